/* portscope scan — handing out pairs to workers, pass after pass. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine-shared.h"
#include "portscope/util.h"

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
        if (PS_GROW(w->retry, w->capretry, w->nretry + n, SIZE_MAX) < 0) {
                r = -ENOMEM;
                goto out;
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
        bool more = !w->stop && scan_retry_more(w->c, w->pass, w->pass_answered, w->nretry, &w->zero_passes);
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

void scan_sweep_begin(struct scan_sweep *s, const struct scan_config *c, const struct scan_perm *perm,
                      const struct scan_bitmap *answered, uint64_t npairs, unsigned pass)
{
        uint64_t done0 = s->c ? s->done0 : 0;
        *s = (struct scan_sweep){ .c = c, .perm = perm, .answered = answered, .npairs = npairs, .first = pass == 0,
                                  .done0 = done0 };
        scan_perm_begin(perm, c->resume_pos, &s->it);
}

size_t scan_sweep_take(struct scan_sweep *s, uint64_t *out, size_t max, size_t max_walk, bool *ret_end)
{
        const struct scan_config *c = s->c;
        size_t n = 0, walked = 0;
        *ret_end = false;
        while (n < max && s->next_extra < c->nresume_pending) {
                uint64_t v = c->resume_pending[s->next_extra++];
                if (v < s->npairs && !scan_bitmap_get(s->answered, v))
                        out[n++] = v;
        }
        while (n < max && (max_walk == 0 || walked < max_walk)) {
                uint64_t v;
                if (!scan_perm_next(s->perm, &s->it, &v)) {
                        *ret_end = true;
                        break;
                }
                walked++;
                if (s->first)
                        s->done0++;
                if (!scan_bitmap_get(s->answered, v))
                        out[n++] = v;
        }
        return n;
}

int scan_sweep_unanswered(const struct scan_config *c, const struct scan_perm *perm, const struct scan_bitmap *answered,
                          uint64_t npairs, uint64_t end_pos, bool interrupted, struct scan_stats *stats,
                          void (*silent)(void *ud, uint64_t v), void *ud)
{
        struct scan_perm_iter it;
        scan_perm_begin(perm, c->resume_pos, &it);
        size_t cap = 0;
        stats->pending = NULL;
        stats->npending = 0;
        for (size_t i = 0; i < c->nresume_pending + 1; i++) {
                bool extra = i < c->nresume_pending;
                uint64_t v;
                for (;;) {
                        if (extra)
                                v = c->resume_pending[i];
                        else if (it.pos >= end_pos || !scan_perm_next(perm, &it, &v))
                                break;
                        if (v >= npairs || scan_bitmap_get(answered, v)) {
                                /* answered */
                        } else if (interrupted) {
                                if (scan_pending_add(stats, &cap, v) < 0) {
                                        free(stats->pending);
                                        stats->pending = NULL;
                                        stats->npending = 0;
                                        return -ENOMEM;
                                }
                        } else {
                                silent(ud, v);
                        }
                        if (extra)
                                break;
                }
        }
        return 0;
}
