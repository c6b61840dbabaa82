/* portscope scan — the pass structure the engines share.
 *
 * Every engine sends the first pass in permutation order, then passes of retries for the pairs
 * that got no answer; whether another pass is due is one rule for all (scan_retry_more). With
 * automatic retries a pass that gets no answer at all ends the scan: what was lost to packet
 * loss answers on a retry, what a firewall drops never does.
 *
 * Two ways to know the unanswered pairs: the connect engine keeps lists (struct scan_work: its
 * workers report each pair's fate); the raw engines (syn, udp) keep one bit per pair and walk
 * the order again in every pass (struct scan_sweep), the resumed pairs first. */
#pragma once

#include <pthread.h>

#include "scan-internal.h"

struct scan_work {
        pthread_mutex_t lock;
        const struct scan_config *c;
        struct scan_perm perm;
        struct scan_perm_iter it;
        unsigned pass;
        /* pass 0: the permutation; later passes: list */
        uint64_t *list;
        size_t nlist, next;
        /* unanswered pairs of the current pass, the next pass's list */
        uint64_t *retry;
        size_t nretry, capretry;
        uint64_t pass_sent, pass_answered;
        int max_retries; /* resolved */
        unsigned zero_passes; /* retry passes in a row without an answer */
        bool stop;
};

int scan_work_init(struct scan_work *w, const struct scan_config *c);
void scan_work_free(struct scan_work *w);
/* Takes up to max pairs ; returns how many (0: this pass is exhausted). */
size_t scan_work_take(struct scan_work *w, uint64_t *out, size_t max);
/* Adds pairs to the next pass. */
int scan_work_retry(struct scan_work *w, const uint64_t *idx, size_t n);
void scan_work_answered(struct scan_work *w, uint64_t n);
/* Ends the pass (all workers idle): returns true when another pass is to run; otherwise the
 * unanswered pairs are left in w->retry (w->nretry) for the engine to report. */
bool scan_work_next_pass(struct scan_work *w);
/* The automatic retry rule on its own, for engines that keep no lists: whether pass `pass` (>= 1)
 * that got `answered` answers, with `left` pairs still unanswered, calls for another. */
bool scan_retry_more(const struct scan_config *c, unsigned pass, uint64_t answered, uint64_t left,
                     unsigned *zero_passes);
/* After an interruption, with every probe in flight concluded: fills the resume position and
 * the pairs still to be (re)tried into stats. */
int scan_work_interrupted(struct scan_work *w, struct scan_stats *stats);

/* A pass of an engine that keeps one bit per answered pair: the resumed pairs
 * (c->resume_pending), then the shard's order from c->resume_pos; answered pairs are skipped.
 * Not locked: an engine with several senders takes under its own lock. */
struct scan_sweep {
        const struct scan_config *c;
        const struct scan_perm *perm;
        const struct scan_bitmap *answered;
        uint64_t npairs;
        struct scan_perm_iter it; /* it.pos: positions of the order walked in this pass */
        size_t next_extra;
        bool first;               /* pass 0: counts the positions walked into done0 */
        uint64_t done0;           /* pairs of the order walked by pass 0 (kept across passes) */
};
/* Starts pass `pass` (0: the first). done0 is kept. */
void scan_sweep_begin(struct scan_sweep *s, const struct scan_config *c, const struct scan_perm *perm,
                      const struct scan_bitmap *answered, uint64_t npairs, unsigned pass);
/* Takes up to max unanswered pairs, walking at most max_walk positions of the order (0: no
 * limit; 0 pairs taken then does not mean the end). *ret_end: the pass has no more. */
size_t scan_sweep_take(struct scan_sweep *s, uint64_t *out, size_t max, size_t max_walk, bool *ret_end);
/* After the last pass: every pair still without an answer, up to position end_pos of the order
 * (UINT64_MAX: all). Interrupted: added to stats->pending (for --resume); otherwise reported
 * with silent(ud, v). 0 or -ENOMEM (stats->pending then freed). */
int scan_sweep_unanswered(const struct scan_config *c, const struct scan_perm *perm, const struct scan_bitmap *answered,
                          uint64_t npairs, uint64_t end_pos, bool interrupted, struct scan_stats *stats,
                          void (*silent)(void *ud, uint64_t v), void *ud);
