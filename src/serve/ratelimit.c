/* portscope serve — per-client token buckets in a fixed-size table. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "serve-internal.h"
#include "portscope/util.h"

#define RL_KEY_MAX 16 /* an IPv6 address */

struct rl_slot {
        unsigned char key[RL_KEY_MAX];
        size_t keylen;   /* 0: free */
        double tokens;
        double updated;
};

struct http_ratelimit {
        pthread_mutex_t lock;
        unsigned burst;
        double refill;   /* seconds per token */
        size_t nslots;
        struct rl_slot *slots;
};

struct http_ratelimit *http_ratelimit_new(unsigned burst, double refill_seconds, size_t slots)
{
        if (burst == 0 || slots == 0 || !(refill_seconds > 0))
                return NULL;
        struct http_ratelimit *rl = calloc(1, sizeof *rl);
        if (!rl)
                return NULL;
        rl->slots = calloc(slots, sizeof *rl->slots);
        if (!rl->slots) {
                free(rl);
                return NULL;
        }
        pthread_mutex_init(&rl->lock, NULL);
        rl->burst = burst;
        rl->refill = refill_seconds;
        rl->nslots = slots;
        return rl;
}

void http_ratelimit_free(struct http_ratelimit *rl)
{
        if (!rl)
                return;
        pthread_mutex_destroy(&rl->lock);
        free(rl->slots);
        free(rl);
}

bool http_ratelimit_take(struct http_ratelimit *rl, const void *key, size_t keylen, double now)
{
        if (keylen > RL_KEY_MAX)
                keylen = RL_KEY_MAX;
        if (keylen == 0)
                return false;
        /* Linear probing over a short window from the key's hash; a miss reuses the window's
         * stalest slot, whose client then starts with a full bucket: bounded memory wins over
         * remembering every address. */
        enum { WINDOW = 8 };
        size_t start = (size_t)(ps_fnv1a(key, keylen) % rl->nslots);
        bool ok;
        pthread_mutex_lock(&rl->lock);
        struct rl_slot *hit = NULL, *victim = NULL;
        for (size_t i = 0; i < WINDOW && i < rl->nslots; i++) {
                struct rl_slot *s = &rl->slots[(start + i) % rl->nslots];
                if (s->keylen == keylen && memcmp(s->key, key, keylen) == 0) {
                        hit = s;
                        break;
                }
                if (!victim || (victim->keylen != 0 && (s->keylen == 0 || s->updated < victim->updated)))
                        victim = s;
        }
        if (!hit) {
                hit = victim;
                memcpy(hit->key, key, keylen);
                hit->keylen = keylen;
                hit->tokens = rl->burst;
                hit->updated = now;
        }
        if (now > hit->updated) {
                hit->tokens += (now - hit->updated) / rl->refill;
                if (hit->tokens > rl->burst)
                        hit->tokens = rl->burst;
                hit->updated = now;
        }
        ok = hit->tokens >= 1.0;
        if (ok)
                hit->tokens -= 1.0;
        pthread_mutex_unlock(&rl->lock);
        return ok;
}
