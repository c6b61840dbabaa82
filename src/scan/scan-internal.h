/* portscope scan — shared between the scanner's own files, not part of the public API. */
#pragma once

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "portscope/scan.h"

/* An engine: one constant table per file (engine-connect.c, engine-syn.c, engine-udp.c). */
struct scan_engine_ops {
        const char *name;
        enum ps_proto proto;
        bool needs_raw; /* needs CAP_NET_RAW */
        /* Runs the whole scan; contract of scan_run(). */
        int (*run)(const struct scan_config *c, struct scan_stats *stats, char *err, size_t errlen);
};
extern const struct scan_engine_ops scan_engine_connect_ops;
extern const struct scan_engine_ops scan_engine_syn_ops;
extern const struct scan_engine_ops scan_engine_udp_ops;

static inline uint64_t scan_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Round trip estimator (RFC 6298): srtt, rttvar in nanoseconds. */
struct scan_rtt {
        double srtt, rttvar;
        uint64_t samples;
};
void scan_rtt_sample(struct scan_rtt *r, double ns);
/* srtt + 4 rttvar clamped to [min_ns, max_ns]; max_ns before any sample. */
uint64_t scan_rtt_timeout(const struct scan_rtt *r, uint64_t min_ns, uint64_t max_ns);

/* A token bucket: rate 0 means unlimited. */
struct scan_pacer {
        double rate;
        double tokens;
        uint64_t last;
};
void scan_pacer_init(struct scan_pacer *p, double rate);
/* How many probes may be sent now (at most want); waits a little when none. */
uint64_t scan_pacer_take(struct scan_pacer *p, uint64_t want);

/* A bit per pair: answered or not. */
struct scan_bitmap {
        uint64_t *w;
        uint64_t n;
};
int scan_bitmap_init(struct scan_bitmap *b, uint64_t n);
void scan_bitmap_free(struct scan_bitmap *b);
static inline bool scan_bitmap_get(const struct scan_bitmap *b, uint64_t i)
{
        return (b->w[i >> 6] >> (i & 63)) & 1;
}
static inline bool scan_bitmap_set(struct scan_bitmap *b, uint64_t i)
{
        uint64_t m = UINT64_C(1) << (i & 63);
        bool was = b->w[i >> 6] & m;
        b->w[i >> 6] |= m;
        return !was;
}

/* Fills the address and port of pair index i. */
void scan_pair(const struct scan_config *c, uint64_t i, struct scan_addr *ret_addr, uint16_t *ret_port);

/* Progress reporting helper: calls c->on_progress at most every 100 ms. */
struct scan_progress_clock {
        uint64_t start, last, last_sent;
        double rate;
};
void scan_progress_tick(const struct scan_config *c, struct scan_progress_clock *pc, struct scan_progress *p,
                        bool force);

/* Finds the local source address the kernel would use towards dst. */
int scan_route_source(const struct scan_addr *dst, struct scan_addr *ret);

/* err helper: formats into err, returns rc. */
int scan_errf(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The length of jansson's error text without its " near '...'": that quotes the file, which may
 * be one the caller could not read itself (portscope run with more rights than its caller). */
static inline int scan_json_error_len(const char *text)
{
        const char *near = strstr(text, " near ");
        size_t n = near ? (size_t)(near - text) : strlen(text);
        return n > 1024 ? 1024 : (int)n;
}

/* After scan_report_finish() (hosts sorted and indexed, ports sorted): the report of host a, or
 * NULL; the report of (port, proto) on host h, or NULL. Borrowed. */
struct scan_host_report *scan_report_host(const struct scan_report *rep, const struct scan_addr *a);
struct scan_port_report *scan_report_port(const struct scan_host_report *h, uint16_t port, enum ps_proto proto);

/* Appends pair v to stats->pending (capacity *cap, grown as needed): the pairs an interrupted
 * scan saves for --resume. 0 or -ENOMEM. */
int scan_pending_add(struct scan_stats *stats, size_t *cap, uint64_t v);

/* A hash of the size and every interval of a finished target set (for the resume fingerprint). */
uint64_t scan_targets_hash(const struct scan_targets *t, const struct scan_cookie_key *key);
/* The merged intervals of a finished target set, in order. */
size_t scan_targets_nintervals(const struct scan_targets *t);
void scan_targets_interval(const struct scan_targets *t, size_t i, struct scan_addr *lo, struct scan_addr *hi);
/* Adds counts to host a (what a resumed scan had counted before its interruption, a merged
 * shard's host line). Returns the host, or NULL when out of memory. */
struct scan_host_report *scan_report_host_counts(struct scan_report *rep, const struct scan_addr *a, bool up,
                                                 uint64_t closed, uint64_t filtered, uint64_t open_filtered);

/* The addresses scanned, as nmap counts them: every target, up or not (at least up; report.c). */
uint64_t scan_total_hosts(const struct scan_report *rep, size_t up);
