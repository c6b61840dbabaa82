/* portscope scan — handing out pairs to workers, pass after pass. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine-shared.h"

int scan_work_init(struct scan_work *w, const struct scan_config *c)
{
        memset(w, 0, sizeof(*w));
        w->c = c;
        uint64_t n = scan_targets_count(c->targets) * (uint64_t)c->ports->n;
        int r = scan_perm_init(&w->perm, n, c->seed, c->shard, c->nshards);
        if (r < 0)
                return r;
        scan_perm_begin(&w->perm, c->resume_pos, &w->it);
        w->max_retries = c->max_retries < 0 ? 10 : c->max_retries;
        pthread_mutex_init(&w->lock, NULL);
        if (c->nresume_pending > 0)
                return scan_work_retry(w, c->resume_pending, c->nresume_pending);
        return 0;
}

void scan_work_free(struct scan_work *w)
{
        free(w->list);
        free(w->retry);
        pthread_mutex_destroy(&w->lock);
}

size_t scan_work_take(struct scan_work *w, uint64_t *out, size_t max)
{
        size_t n = 0;
        pthread_mutex_lock(&w->lock);
        if (w->stop)
                goto out;
        if (w->pass == 0) {
                while (n < max && scan_perm_next(&w->perm, &w->it, &out[n]))
                        n++;
        } else {
                while (n < max && w->next < w->nlist)
                        out[n++] = w->list[w->next++];
        }
        w->pass_sent += n;
out:
        pthread_mutex_unlock(&w->lock);
        return n;
}

int scan_work_retry(struct scan_work *w, const uint64_t *idx, size_t n)
{
        int r = 0;
        pthread_mutex_lock(&w->lock);
        if (w->nretry + n > w->capretry) {
                size_t cap = w->capretry ? w->capretry : 1024;
                while (cap < w->nretry + n)
                        cap *= 2;
                uint64_t *nr = realloc(w->retry, cap * sizeof(*nr));
                if (!nr) {
                        r = -ENOMEM;
                        goto out;
                }
                w->retry = nr;
                w->capretry = cap;
        }
        memcpy(w->retry + w->nretry, idx, n * sizeof(*idx));
        w->nretry += n;
out:
        pthread_mutex_unlock(&w->lock);
        return r;
}

void scan_work_answered(struct scan_work *w, uint64_t n)
{
        pthread_mutex_lock(&w->lock);
        w->pass_answered += n;
        pthread_mutex_unlock(&w->lock);
}

bool scan_work_next_pass(struct scan_work *w)
{
        pthread_mutex_lock(&w->lock);
        bool more = true;
        if (w->stop || w->nretry == 0 || (int)w->pass >= w->max_retries)
                more = false;
        /* Automatic retries: a retry pass that got no answer at all says the rest is filtered; when
         * few remain (the tail of packet loss), two such passes in a row. */
        else if (w->c->max_retries < 0 && w->pass > 0 && w->pass_answered == 0 &&
                 (w->nretry >= 1000 || w->zero_passes >= 1))
                more = false;
        if (w->pass > 0)
                w->zero_passes = w->pass_answered == 0 ? w->zero_passes + 1 : 0;
        if (more) {
                free(w->list);
                w->list = w->retry;
                w->nlist = w->nretry;
                w->next = 0;
                w->retry = NULL;
                w->nretry = w->capretry = 0;
                w->pass++;
                w->pass_sent = w->pass_answered = 0;
        }
        pthread_mutex_unlock(&w->lock);
        return more;
}

int scan_work_interrupted(struct scan_work *w, struct scan_stats *stats)
{
        pthread_mutex_lock(&w->lock);
        int r = 0;
        size_t rest = w->pass > 0 ? w->nlist - w->next : 0;
        stats->resume_pos = w->it.pos;
        stats->npending = w->nretry + rest;
        stats->pending = malloc((stats->npending + 1) * sizeof(uint64_t));
        if (!stats->pending) {
                stats->npending = 0;
                r = -ENOMEM;
        } else {
                if (w->nretry)
                        memcpy(stats->pending, w->retry, w->nretry * sizeof(uint64_t));
                if (rest)
                        memcpy(stats->pending + w->nretry, w->list + w->next, rest * sizeof(uint64_t));
        }
        pthread_mutex_unlock(&w->lock);
        return r;
}

bool scan_retry_more(const struct scan_config *c, unsigned pass, uint64_t answered, uint64_t left,
                     unsigned *zero_passes)
{
        int max = c->max_retries < 0 ? 10 : c->max_retries;
        if (left == 0 || (int)pass >= max)
                return false;
        if (pass == 0 || c->max_retries >= 0)
                return true;
        if (answered > 0) {
                *zero_passes = 0;
                return true;
        }
        ++*zero_passes;
        return left < 1000 && *zero_passes < 2;
}
