/* portscope serve — counters and the Prometheus text of /metrics. */
#include <string.h>

#include "server.h"

static const int metric_codes[] = { 200, 204, 301, 303, 304, 400, 403, 404, 405, 408, 413, 414, 421, 429, 431, 500, 501, 503 };
#define NCODES ((int)(sizeof metric_codes / sizeof metric_codes[0]) + 1) /* + "other" */
static const double latency_buckets[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1.0 };
#define NBUCKETS ((int)(sizeof latency_buckets / sizeof latency_buckets[0]))
_Static_assert(NCODES == METRICS_NCODES, "METRICS_NCODES is the number of metric_codes + 1");
_Static_assert(NBUCKETS == METRICS_NBUCKETS, "METRICS_NBUCKETS is the number of latency_buckets");

static int code_index(unsigned status)
{
        for (int i = 0; i < NCODES - 1; i++)
                if ((unsigned)metric_codes[i] == status)
                        return i;
        return NCODES - 1;
}

void metrics_count(struct http_server *s, const struct req *rq, unsigned status, double seconds)
{
        struct metrics_shard *m = server_shard(s);
        atomic_fetch_add_explicit(&m->requests[rq->route.id < HTTP_NROUTES ? rq->route.id : 0][code_index(status)], 1,
                                  memory_order_relaxed);
        int b = 0;
        while (b < NBUCKETS && seconds > latency_buckets[b])
                b++;
        atomic_fetch_add_explicit(&m->latency[b], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&m->latency_sum_us, (uint64_t)(seconds * 1e6), memory_order_relaxed);
}

void metrics_sent(struct http_server *s, size_t bytes)
{
        atomic_fetch_add_explicit(&server_shard(s)->bytes_sent, bytes, memory_order_relaxed);
}

/* The per-request counters summed over the shards, read once for one /metrics answer. */
struct totals {
        uint64_t requests[HTTP_NROUTES][NCODES];
        uint64_t latency[NBUCKETS + 1];
        uint64_t latency_sum_us, bytes_sent;
};

static void sum_shards(const struct http_server *s, struct totals *t)
{
        memset(t, 0, sizeof *t);
        for (unsigned i = 0; i < s->nshards; i++) {
                const struct metrics_shard *m = &s->shards[i];
                for (int r = 0; r < HTTP_NROUTES; r++)
                        for (int c = 0; c < NCODES; c++)
                                t->requests[r][c] += atomic_load_explicit(&m->requests[r][c], memory_order_relaxed);
                for (int b = 0; b <= NBUCKETS; b++)
                        t->latency[b] += atomic_load_explicit(&m->latency[b], memory_order_relaxed);
                t->latency_sum_us += atomic_load_explicit(&m->latency_sum_us, memory_order_relaxed);
                t->bytes_sent += atomic_load_explicit(&m->bytes_sent, memory_order_relaxed);
        }
}

int metrics_serve(struct http_server *s, h2o_req_t *hr)
{
        struct totals t;
        sum_shards(s, &t);
        struct http_buf b;
        http_buf_init(&b, 1u << 20);
        http_buf_puts(&b, "# HELP portscope_http_requests_total HTTP requests answered, by route and status code.\n"
                          "# TYPE portscope_http_requests_total counter\n");
        for (int r = 0; r < HTTP_NROUTES; r++)
                for (int c = 0; c < NCODES; c++) {
                        uint64_t v = t.requests[r][c];
                        if (!v)
                                continue;
                        if (c < NCODES - 1)
                                http_buf_printf(&b, "portscope_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                                                http_route_name((enum http_route_id)r), metric_codes[c],
                                                (unsigned long long)v);
                        else
                                http_buf_printf(&b, "portscope_http_requests_total{route=\"%s\",code=\"other\"} %llu\n",
                                                http_route_name((enum http_route_id)r), (unsigned long long)v);
                }
        http_buf_puts(&b, "# HELP portscope_http_request_duration_seconds Time from request line to response done.\n"
                          "# TYPE portscope_http_request_duration_seconds histogram\n");
        uint64_t cum = 0;
        for (int i = 0; i <= NBUCKETS; i++) {
                cum += t.latency[i];
                if (i < NBUCKETS)
                        http_buf_printf(&b, "portscope_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                                        latency_buckets[i], (unsigned long long)cum);
                else
                        http_buf_printf(&b, "portscope_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                                        (unsigned long long)cum);
        }
        http_buf_printf(&b,
                        "portscope_http_request_duration_seconds_sum %.6f\n"
                        "portscope_http_request_duration_seconds_count %llu\n",
                        (double)t.latency_sum_us / 1e6,
                        (unsigned long long)cum);
        struct http_cache_stats cs;
        http_cache_stats(s->cache, &cs);
        http_buf_printf(&b,
                        "# HELP portscope_http_response_bytes_total Body bytes of responses queued.\n"
                        "# TYPE portscope_http_response_bytes_total counter\n"
                        "portscope_http_response_bytes_total %llu\n"
                        "# HELP portscope_http_in_flight_requests Requests being answered now.\n"
                        "# TYPE portscope_http_in_flight_requests gauge\n"
                        "portscope_http_in_flight_requests %ld\n"
                        "# HELP portscope_http_connections Open connections.\n"
                        "# TYPE portscope_http_connections gauge\n"
                        "portscope_http_connections %u\n"
                        "# HELP portscope_http_reaped_connections_total Connections shut down for taking too long.\n"
                        "# TYPE portscope_http_reaped_connections_total counter\n"
                        "portscope_http_reaped_connections_total %llu\n"
                        "# HELP portscope_http_cache_bytes Bytes of rendered responses kept.\n"
                        "# TYPE portscope_http_cache_bytes gauge\n"
                        "portscope_http_cache_bytes %zu\n"
                        "# HELP portscope_http_cache_entries Rendered responses kept.\n"
                        "# TYPE portscope_http_cache_entries gauge\n"
                        "portscope_http_cache_entries %zu\n"
                        "# HELP portscope_http_cache_hits_total Requests answered from the response cache.\n"
                        "# TYPE portscope_http_cache_hits_total counter\n"
                        "portscope_http_cache_hits_total %llu\n"
                        "# HELP portscope_http_cache_misses_total Cacheable requests rendered.\n"
                        "# TYPE portscope_http_cache_misses_total counter\n"
                        "portscope_http_cache_misses_total %llu\n"
                        "# HELP portscope_http_cache_evictions_total Responses dropped to stay within the cache's bounds.\n"
                        "# TYPE portscope_http_cache_evictions_total counter\n"
                        "portscope_http_cache_evictions_total %llu\n"
                        "# HELP portscope_feedback_votes_total Feedback votes stored.\n"
                        "# TYPE portscope_feedback_votes_total counter\n"
                        "portscope_feedback_votes_total %llu\n"
                        "# HELP portscope_feedback_rate_limited_total Feedback votes refused by the rate limit.\n"
                        "# TYPE portscope_feedback_rate_limited_total counter\n"
                        "portscope_feedback_rate_limited_total %llu\n"
                        "# HELP portscope_start_time_seconds When the server started (Unix time).\n"
                        "# TYPE portscope_start_time_seconds gauge\n"
                        "portscope_start_time_seconds %lld\n",
                        (unsigned long long)t.bytes_sent, server_inflight(s),
                        server_connections(s),
                        (unsigned long long)atomic_load_explicit(&s->m.reaped, memory_order_relaxed),
                        cs.bytes, cs.entries, (unsigned long long)cs.hits, (unsigned long long)cs.misses,
                        (unsigned long long)cs.evictions,
                        (unsigned long long)atomic_load_explicit(&s->m.votes_total, memory_order_relaxed),
                        (unsigned long long)atomic_load_explicit(&s->m.votes_limited, memory_order_relaxed),
                        (long long)s->started);
        size_t len = 0;
        char *body = http_buf_steal(&b, &len);
        if (!body)
                return -1;
        return respond_body(s, hr, HTTP_OK, body, len, RESPOND_METRICS, RESPOND_CACHE_NONE);
}
