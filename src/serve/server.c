/* portscope serve — the HTTP server: libmicrohttpd with a thread pool over epoll.
 *
 * What a request may cost is bounded everywhere: the request line and headers fit in a
 * per-connection memory pool (larger: 414/431), targets are at most HTTP_TARGET_MAX bytes, bodies
 * (only POST /feedback has one) at most BODY_MAX, a silent connection is closed after
 * idle_timeout, and a reaper thread shuts down any connection whose current request has not
 * been answered within request_timeout — libmicrohttpd's own timeout only measures silence, so a
 * client trickling one byte a second would otherwise hold its connection for ever.
 *
 * Responses for pages that depend only on the (immutable) registry are rendered once and kept
 * as libmicrohttpd response objects, which are reference-counted and shared between threads. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "serve-internal.h"
#include "portscope/http.h"
#include "portscope/portinfo.h"
#include "portscope/util.h"

#define BODY_MAX 1024                  /* POST /feedback: "page=...&helpful=yes" */
#define PAGE_MAX (4u << 20)            /* the largest page we render */
#define CACHE_BUDGET (96u << 20)       /* bytes of cached port pages and objects */
#define CONN_MEMORY (32u << 10)        /* per-connection pool: request line + headers */

/* ---- per-connection and per-request state ------------------------------------------------- */

struct conn {
        struct conn *prev, *next;
        int fd;
        unsigned char key[16]; /* the client: IPv4 address, or IPv6 /64 (see client_key) */
        size_t klen;
        _Atomic int64_t deadline_ms;  /* monotonic; the reaper shuts the socket down after it */
        bool killed;
};

struct req {
        int64_t start_ns;
        char *target;                 /* raw request target, NUL-terminated; NULL when too long */
        size_t target_len;
        char method[8];
        char version[12];
        bool seen;                    /* the access handler ran once */
        bool answered;                /* a response was queued */
        bool post;
        bool body_overflow;
        struct http_route route;
        size_t body_len;
        char body[BODY_MAX + 1];
};

/* ---- cached responses ---------------------------------------------------------------------- */

struct cached {
        struct MHD_Response *resp;
        char etag[20];                /* "\"" 16 hex "\"" */
        size_t size;
};

/* ---- metrics ------------------------------------------------------------------------------- */

static const int metric_codes[] = { 200, 204, 301, 303, 304, 400, 403, 404, 405, 408, 413, 414, 421, 429, 431, 500, 501, 503 };
#define NCODES ((int)(sizeof metric_codes / sizeof metric_codes[0]) + 1) /* + "other" */
static const double latency_buckets[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1.0 };
#define NBUCKETS ((int)(sizeof latency_buckets / sizeof latency_buckets[0]))

struct http_server {
        unsigned max_per_client; /* connections per IPv4 address or IPv6 /64 */
        unsigned feedback_refill; /* seconds until one more vote: the 429's Retry-After */
        struct http_ctx ctx;
        struct MHD_Daemon *daemon;
        int listen_fd;
        uint16_t port;
        char url[80];
        char csp[256];
        char note[600];
        unsigned request_timeout;
        FILE *log;
        struct http_ratelimit *votes;
        uint8_t classes[65536];

        _Atomic(struct cached *) port_html[65536];
        _Atomic(struct cached *) port_json[65536];
        atomic_size_t cache_bytes;
        struct cached *fixed[HTTP_NROUTES]; /* home, ranges, map, map.png, healthz */

        pthread_mutex_t conn_lock;
        struct conn *conns;
        pthread_t reaper;
        bool reaper_started;
        pthread_mutex_t stop_lock;
        pthread_cond_t stop_cond;
        bool stopping;

        atomic_long inflight;
        atomic_uint_fast64_t requests[HTTP_NROUTES][NCODES];
        atomic_uint_fast64_t latency[NBUCKETS + 1];
        atomic_uint_fast64_t latency_sum_us;
        atomic_uint_fast64_t bytes_sent;
        atomic_uint_fast64_t reaped;
        atomic_uint_fast64_t votes_total, votes_limited;
        atomic_uint_fast64_t cache_misses;
        time_t started;
};

static int64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- building responses --------------------------------------------------------------------- */

static void etag_of(const void *data, size_t len, char out[20])
{
        snprintf(out, 20, "\"%016llx\"", (unsigned long long)ps_fnv1a(data, len));
}

/* Headers every response carries. */
static void add_common(struct http_server *s, struct MHD_Response *r, const char *type)
{
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, "Referrer-Policy", "same-origin");
        if (strncmp(type, "text/html", 9) == 0) {
                MHD_add_response_header(r, "Content-Security-Policy", s->csp);
                MHD_add_response_header(r, "X-Frame-Options", "DENY");
        }
}

/* Takes ownership of body (malloc'd). */
static struct MHD_Response *make_response(struct http_server *s, char *body, size_t len, const char *type,
                                          const char *cache, const char *etag)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!r) {
                free(body);
                return NULL;
        }
        add_common(s, r, type);
        if (cache)
                MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
        if (etag)
                MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        return r;
}

static struct cached *cached_new(struct http_server *s, char *body, size_t len, const char *type, const char *cache)
{
        struct cached *c = calloc(1, sizeof *c);
        if (!c) {
                free(body);
                return NULL;
        }
        etag_of(body, len, c->etag);
        c->size = len + sizeof *c + 512;
        c->resp = make_response(s, body, len, type, cache, c->etag);
        if (!c->resp) {
                free(c);
                return NULL;
        }
        return c;
}

static void cached_free(struct cached *c)
{
        if (!c)
                return;
        MHD_destroy_response(c->resp);
        free(c);
}

static const char TYPE_HTML[] = "text/html; charset=utf-8";
static const char TYPE_JSON[] = "application/json";
static const char TYPE_TEXT[] = "text/plain; charset=utf-8";
static const char TYPE_METRICS[] = "text/plain; version=0.0.4; charset=utf-8";
static const char TYPE_PNG[] = "image/png";
static const char CACHE_LONG[] = "public, max-age=300";
static const char CACHE_SHORT[] = "public, max-age=60";
static const char CACHE_NONE[] = "no-store";

static bool etag_matches(struct MHD_Connection *conn, const char *etag)
{
        const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        if (!inm)
                return false;
        if (strcmp(inm, "*") == 0)
                return true;
        /* A list of (possibly weak) tags; ours contain no comma, so a plain search is exact. */
        return strstr(inm, etag) != NULL;
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct req *rq, unsigned status, struct MHD_Response *r)
{
        (void)rq;
        return MHD_queue_response(conn, status, r);
}

static enum MHD_Result send_not_modified(struct http_server *s, struct MHD_Connection *conn, struct req *rq,
                                         const char *etag, const char *cache)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        if (cache)
                MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
        (void)s;
        enum MHD_Result ret = queue(conn, rq, MHD_HTTP_NOT_MODIFIED, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result send_cached(struct http_server *s, struct MHD_Connection *conn, struct req *rq,
                                   struct cached *c, const char *cache)
{
        if (etag_matches(conn, c->etag))
                return send_not_modified(s, conn, rq, c->etag, cache);
        return queue(conn, rq, MHD_HTTP_OK, c->resp);
}

/* Sends body (malloc'd, taken over); 200 responses get an ETag and honour If-None-Match. */
static enum MHD_Result send_body(struct http_server *s, struct MHD_Connection *conn, struct req *rq, unsigned status,
                                 char *body, size_t len, const char *type, const char *cache)
{
        char etag[20];
        bool tagged = status == MHD_HTTP_OK && cache != CACHE_NONE;
        if (tagged) {
                etag_of(body, len, etag);
                if (etag_matches(conn, etag)) {
                        free(body);
                        return send_not_modified(s, conn, rq, etag, cache);
                }
        }
        struct MHD_Response *r = make_response(s, body, len, type, cache, tagged ? etag : NULL);
        if (!r)
                return MHD_NO;
        enum MHD_Result ret = queue(conn, rq, status, r);
        MHD_destroy_response(r);
        return ret;
}

/* Serializes o on one line, with < > & written as \u escapes: the same JSON value, but one that
 * no HTML sniffer can take for markup. Returns a malloc'd string ending in a newline. */
static char *json_text(json_t *o, size_t *ret_len)
{
        char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!text)
                return NULL;
        size_t len = strlen(text), extra = 0;
        for (size_t i = 0; i < len; i++)
                if (text[i] == '<' || text[i] == '>' || text[i] == '&')
                        extra += 5;
        char *out = malloc(len + extra + 2);
        if (!out) {
                free(text);
                return NULL;
        }
        size_t o_ = 0;
        for (size_t i = 0; i < len; i++) {
                const char *rep = text[i] == '<' ? "\\u003c" : text[i] == '>' ? "\\u003e" : text[i] == '&' ? "\\u0026" : NULL;
                if (rep) {
                        memcpy(out + o_, rep, 6);
                        o_ += 6;
                } else
                        out[o_++] = text[i];
        }
        out[o_++] = '\n';
        out[o_] = '\0';
        free(text);
        *ret_len = o_;
        return out;
}

static enum MHD_Result send_json(struct http_server *s, struct MHD_Connection *conn, struct req *rq, unsigned status,
                                 json_t *o, const char *cache)
{
        if (!o)
                return MHD_NO;
        size_t len = 0;
        char *text = json_text(o, &len);
        json_decref(o);
        if (!text)
                return MHD_NO;
        return send_body(s, conn, rq, status, text, len, TYPE_JSON, cache);
}

static enum MHD_Result send_error(struct http_server *s, struct MHD_Connection *conn, struct req *rq, unsigned status,
                                  const char *message, bool api)
{
        if (api)
                return send_json(s, conn, rq, status, http_api_error(&s->ctx, (int)status, message), CACHE_NONE);
        struct http_buf b;
        http_buf_init(&b, PAGE_MAX);
        int r = http_page_error(&s->ctx, (int)status, message, &b);
        size_t len = 0;
        char *body = r < 0 ? NULL : http_buf_steal(&b, &len);
        http_buf_free(&b);
        if (!body)
                return MHD_NO;
        return send_body(s, conn, rq, status, body, len, TYPE_HTML, CACHE_NONE);
}

/* Renders a page into a body; returns its status or -errno. */
typedef int (*render_fn)(const struct http_ctx *c, struct http_buf *b, const void *arg);

static enum MHD_Result send_page(struct http_server *s, struct MHD_Connection *conn, struct req *rq, int status,
                                 struct http_buf *b, const char *cache)
{
        if (status < 0) {
                http_buf_free(b);
                return send_error(s, conn, rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "the page could not be rendered", false);
        }
        size_t len = 0;
        char *body = http_buf_steal(b, &len);
        if (!body)
                return MHD_NO;
        return send_body(s, conn, rq, (unsigned)status, body, len, TYPE_HTML, status == 200 ? cache : CACHE_NONE);
}

/* ---- port pages and objects, cached on first use ------------------------------------------- */

static struct cached *port_entry(struct http_server *s, uint16_t port, bool json, bool *ret_temporary)
{
        _Atomic(struct cached *) *slot = json ? &s->port_json[port] : &s->port_html[port];
        struct cached *c = atomic_load_explicit(slot, memory_order_acquire);
        *ret_temporary = false;
        if (c)
                return c;
        atomic_fetch_add_explicit(&s->cache_misses, 1, memory_order_relaxed);
        char *body = NULL;
        size_t len = 0;
        if (json) {
                json_t *o = http_api_port(&s->ctx, port);
                body = o ? json_text(o, &len) : NULL;
                json_decref(o);
                if (!body)
                        return NULL;
        } else {
                struct http_buf b;
                http_buf_init(&b, PAGE_MAX);
                if (http_page_port(&s->ctx, port, &b) != 200) {
                        http_buf_free(&b);
                        return NULL;
                }
                body = http_buf_steal(&b, &len);
                if (!body)
                        return NULL;
        }
        c = cached_new(s, body, len, json ? TYPE_JSON : TYPE_HTML, CACHE_LONG);
        if (!c)
                return NULL;
        size_t used = atomic_load_explicit(&s->cache_bytes, memory_order_relaxed);
        if (used + c->size > CACHE_BUDGET) {
                *ret_temporary = true; /* over budget: serve it, then drop it */
                return c;
        }
        struct cached *expected = NULL;
        if (atomic_compare_exchange_strong_explicit(slot, &expected, c, memory_order_acq_rel, memory_order_acquire)) {
                atomic_fetch_add_explicit(&s->cache_bytes, c->size, memory_order_relaxed);
                return c;
        }
        cached_free(c); /* another thread was first */
        return expected;
}

static enum MHD_Result serve_port(struct http_server *s, struct MHD_Connection *conn, struct req *rq, bool json)
{
        bool temporary;
        struct cached *c = port_entry(s, rq->route.port, json, &temporary);
        if (!c)
                return send_error(s, conn, rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "the port could not be rendered", json);
        enum MHD_Result r = send_cached(s, conn, rq, c, CACHE_LONG);
        if (temporary)
                cached_free(c);
        return r;
}

/* ---- metrics -------------------------------------------------------------------------------- */

static int code_index(unsigned status)
{
        for (int i = 0; i < NCODES - 1; i++)
                if ((unsigned)metric_codes[i] == status)
                        return i;
        return NCODES - 1;
}

static enum MHD_Result serve_metrics(struct http_server *s, struct MHD_Connection *conn, struct req *rq)
{
        struct http_buf b;
        http_buf_init(&b, 1u << 20);
        http_buf_puts(&b, "# HELP portscope_http_requests_total HTTP requests answered, by route and status code.\n"
                          "# TYPE portscope_http_requests_total counter\n");
        for (int r = 0; r < HTTP_NROUTES; r++)
                for (int c = 0; c < NCODES; c++) {
                        uint64_t v = atomic_load_explicit(&s->requests[r][c], memory_order_relaxed);
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
                cum += atomic_load_explicit(&s->latency[i], memory_order_relaxed);
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
                        (double)atomic_load_explicit(&s->latency_sum_us, memory_order_relaxed) / 1e6,
                        (unsigned long long)cum);
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
                        "# HELP portscope_http_cache_bytes Bytes of rendered port pages and objects kept.\n"
                        "# TYPE portscope_http_cache_bytes gauge\n"
                        "portscope_http_cache_bytes %zu\n"
                        "# HELP portscope_http_cache_misses_total Port pages and objects rendered.\n"
                        "# TYPE portscope_http_cache_misses_total counter\n"
                        "portscope_http_cache_misses_total %llu\n"
                        "# HELP portscope_feedback_votes_total Feedback votes stored.\n"
                        "# TYPE portscope_feedback_votes_total counter\n"
                        "portscope_feedback_votes_total %llu\n"
                        "# HELP portscope_feedback_rate_limited_total Feedback votes refused by the rate limit.\n"
                        "# TYPE portscope_feedback_rate_limited_total counter\n"
                        "portscope_feedback_rate_limited_total %llu\n"
                        "# HELP portscope_start_time_seconds When the server started (Unix time).\n"
                        "# TYPE portscope_start_time_seconds gauge\n"
                        "portscope_start_time_seconds %lld\n",
                        (unsigned long long)atomic_load_explicit(&s->bytes_sent, memory_order_relaxed),
                        atomic_load_explicit(&s->inflight, memory_order_relaxed),
                        s->daemon ? MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS)->num_connections
                                  : 0u,
                        (unsigned long long)atomic_load_explicit(&s->reaped, memory_order_relaxed),
                        atomic_load_explicit(&s->cache_bytes, memory_order_relaxed),
                        (unsigned long long)atomic_load_explicit(&s->cache_misses, memory_order_relaxed),
                        (unsigned long long)atomic_load_explicit(&s->votes_total, memory_order_relaxed),
                        (unsigned long long)atomic_load_explicit(&s->votes_limited, memory_order_relaxed),
                        (long long)s->started);
        size_t len = 0;
        char *body = http_buf_steal(&b, &len);
        if (!body)
                return MHD_NO;
        return send_body(s, conn, rq, MHD_HTTP_OK, body, len, TYPE_METRICS, CACHE_NONE);
}

/* ---- feedback ------------------------------------------------------------------------------- */

static size_t sockaddr_key(const struct sockaddr *sa, unsigned char key[16])
{
        if (!sa)
                return 0;
        if (sa->sa_family == AF_INET) {
                memcpy(key, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
                return 4;
        }
        if (sa->sa_family == AF_INET6) {
                /* One bucket per /64: a single host usually holds a whole /64. */
                memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 8);
                return 8;
        }
        return 0;
}

static size_t client_key(struct MHD_Connection *conn, unsigned char key[16])
{
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        return ci ? sockaddr_key(ci->client_addr, key) : 0;
}

static enum MHD_Result serve_feedback_post(struct http_server *s, struct MHD_Connection *conn, struct req *rq)
{
        if (!s->ctx.feedback)
                return send_error(s, conn, rq, MHD_HTTP_NOT_FOUND, "feedback is switched off on this server", false);
        char page[512], helpful[8];
        int pn = http_query_get(rq->body, rq->body_len, "page", page, sizeof page);
        int hn = http_query_get(rq->body, rq->body_len, "helpful", helpful, sizeof helpful);
        if (pn <= 0 || hn <= 0 || (strcmp(helpful, "yes") != 0 && strcmp(helpful, "no") != 0))
                return send_error(s, conn, rq, MHD_HTTP_BAD_REQUEST,
                                  "expected a form with page=/PATH and helpful=yes or helpful=no", false);
        /* Votes come from this site's own form: a browser sends its Origin, which must be us. */
        const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
        const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        if (origin && (!host || strncmp(origin, "http://", 7) != 0 || strcmp(origin + 7, host) != 0))
                return send_error(s, conn, rq, MHD_HTTP_FORBIDDEN, "votes are taken only from this site's own pages",
                                  false);
        if (!http_feedback_page_valid(&s->ctx, page, sizeof page))
                return send_error(s, conn, rq, MHD_HTTP_BAD_REQUEST, "feedback is taken only for pages of this site",
                                  false);
        unsigned char key[16];
        size_t klen = client_key(conn, key);
        if (!http_ratelimit_take(s->votes, key, klen, (double)now_ns() / 1e9)) {
                atomic_fetch_add_explicit(&s->votes_limited, 1, memory_order_relaxed);
                struct http_buf b;
                http_buf_init(&b, PAGE_MAX);
                int st = http_page_error(&s->ctx, 429,
                                         "Too many votes from your address for now. Thank you all the same; try again "
                                         "in a few minutes.",
                                         &b);
                size_t len = 0;
                char *body = st < 0 ? NULL : http_buf_steal(&b, &len);
                http_buf_free(&b);
                if (!body)
                        return MHD_NO;
                struct MHD_Response *r = make_response(s, body, len, TYPE_HTML, CACHE_NONE, NULL);
                if (!r)
                        return MHD_NO;
                char retry[16];
                snprintf(retry, sizeof(retry), "%u", s->feedback_refill);
                MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry);
                enum MHD_Result ret = queue(conn, rq, MHD_HTTP_TOO_MANY_REQUESTS, r);
                MHD_destroy_response(r);
                return ret;
        }
        if (http_feedback_vote(s->ctx.feedback, page, strcmp(helpful, "yes") == 0) < 0)
                return send_error(s, conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
                                  "the vote could not be stored right now (the store is busy); please try again", false);
        atomic_fetch_add_explicit(&s->votes_total, 1, memory_order_relaxed);
        struct http_buf loc;
        http_buf_init(&loc, 2048);
        http_buf_puts(&loc, "/feedback?page=");
        http_url_encode(&loc, page, (size_t)-1);
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!r || loc.failed) {
                http_buf_free(&loc);
                if (r)
                        MHD_destroy_response(r);
                return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc.data);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, CACHE_NONE);
        http_buf_free(&loc);
        enum MHD_Result ret = queue(conn, rq, MHD_HTTP_SEE_OTHER, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result serve_feedback_get(struct http_server *s, struct MHD_Connection *conn, struct req *rq)
{
        if (!s->ctx.feedback)
                return send_error(s, conn, rq, MHD_HTTP_NOT_FOUND, "feedback is switched off on this server", false);
        const char *qm = strchr(rq->target, '?');
        char page[512];
        int n = qm ? http_query_get(qm + 1, strlen(qm + 1), "page", page, sizeof page) : -ENOENT;
        if (n <= 0 || !http_feedback_page_valid(&s->ctx, page, sizeof page))
                return send_error(s, conn, rq, MHD_HTTP_BAD_REQUEST, "expected /feedback?page=/PATH of a page", false);
        struct http_buf b;
        http_buf_init(&b, PAGE_MAX);
        return send_page(s, conn, rq, http_page_thanks(&s->ctx, page, &b), &b, CACHE_NONE);
}

/* ---- the map -------------------------------------------------------------------------------- */

static enum MHD_Result serve_map_png_local(struct http_server *s, struct MHD_Connection *conn, struct req *rq)
{
        uint8_t *classes = malloc(65536);
        if (!classes)
                return MHD_NO;
        memcpy(classes, s->classes, 65536);
        uint8_t *listening = malloc(65536);
        if (!listening) {
                free(classes);
                return MHD_NO;
        }
        if (http_local_listening(listening) == 0)
                for (unsigned p = 0; p < 65536; p++)
                        if (listening[p])
                                classes[p] = HTTP_MAP_LISTENING;
        free(listening);
        uint8_t *png = NULL;
        size_t len = 0;
        int r = http_map_png(classes, &png, &len);
        free(classes);
        if (r < 0)
                return MHD_NO;
        return send_body(s, conn, rq, MHD_HTTP_OK, (char *)png, len, TYPE_PNG, CACHE_NONE);
}

static enum MHD_Result redirect(struct MHD_Connection *conn, struct req *rq, unsigned status, const char *location)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, CACHE_NONE);
        enum MHD_Result ret = queue(conn, rq, status, r);
        MHD_destroy_response(r);
        return ret;
}

/* Whether the Host header names this machine by address or as "localhost". What listens here
 * is served only then: a page of another site whose name was rebound to 127.0.0.1 (DNS
 * rebinding) sends its own name. */
static bool host_is_local_literal(struct MHD_Connection *conn)
{
        const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        if (!host)
                return true; /* HTTP/1.0 without Host: not a browser */
        char h[INET6_ADDRSTRLEN + 8];
        size_t n = strlen(host);
        if (n == 0 || n >= sizeof h)
                return false;
        memcpy(h, host, n + 1);
        if (h[0] == '[') {
                char *end = strchr(h, ']');
                if (!end || (end[1] && end[1] != ':'))
                        return false;
                *end = '\0';
                struct in6_addr a6;
                return inet_pton(AF_INET6, h + 1, &a6) == 1;
        }
        char *colon = strchr(h, ':');
        if (colon)
                *colon = '\0';
        struct in_addr a4;
        return strcasecmp(h, "localhost") == 0 || inet_pton(AF_INET, h, &a4) == 1;
}

/* ---- dispatch ------------------------------------------------------------------------------- */

static enum MHD_Result dispatch_get(struct http_server *s, struct MHD_Connection *conn, struct req *rq)
{
        const struct http_route *rt = &rq->route;
        struct http_buf b;
        switch (rt->id) {
        case HTTP_ROUTE_PORT:
                return serve_port(s, conn, rq, false);
        case HTTP_ROUTE_API_PORT:
                return serve_port(s, conn, rq, true);
        case HTTP_ROUTE_HOME:
        case HTTP_ROUTE_RANGES:
        case HTTP_ROUTE_HEALTHZ:
                return send_cached(s, conn, rq, s->fixed[rt->id], rt->id == HTTP_ROUTE_HEALTHZ ? CACHE_NONE : CACHE_LONG);
        case HTTP_ROUTE_MAP:
                if (!(s->ctx.show_local && strstr(rq->target, "local=1") && host_is_local_literal(conn)))
                        return send_cached(s, conn, rq, s->fixed[rt->id], CACHE_LONG);
                http_buf_init(&b, PAGE_MAX);
                return send_page(s, conn, rq, http_page_map(&s->ctx, true, &b), &b, CACHE_NONE);
        case HTTP_ROUTE_MAP_PNG:
                if (rt->local && s->ctx.show_local && host_is_local_literal(conn))
                        return serve_map_png_local(s, conn, rq);
                return send_cached(s, conn, rq, s->fixed[rt->id], CACHE_LONG);
        case HTTP_ROUTE_MAP_CLICK: {
                char loc[32];
                snprintf(loc, sizeof loc, "/ports/%d", (rt->y / 2) * 256 + rt->x / 2);
                return redirect(conn, rq, MHD_HTTP_SEE_OTHER, loc);
        }
        case HTTP_ROUTE_SEARCH: {
                /* A bare port number goes straight to its page. */
                uint16_t port;
                const char *q = rt->q;
                size_t ql = strlen(q);
                bool digits = ql > 0 && ql <= 5 && strspn(q, "0123456789") == ql;
                if (digits) {
                        unsigned v = 0;
                        for (size_t i = 0; i < ql; i++)
                                v = v * 10 + (unsigned)(q[i] - '0');
                        if (v <= 65535) {
                                port = (uint16_t)v;
                                char loc[32];
                                snprintf(loc, sizeof loc, "/ports/%u", (unsigned)port);
                                return redirect(conn, rq, MHD_HTTP_SEE_OTHER, loc);
                        }
                }
                http_buf_init(&b, PAGE_MAX);
                return send_page(s, conn, rq, http_page_search(&s->ctx, q, &b), &b, CACHE_SHORT);
        }
        case HTTP_ROUTE_SERVICE:
                http_buf_init(&b, PAGE_MAX);
                return send_page(s, conn, rq, http_page_service(&s->ctx, rt->name, &b), &b, CACHE_LONG);
        case HTTP_ROUTE_STATS:
                http_buf_init(&b, PAGE_MAX);
                return send_page(s, conn, rq, http_page_stats(&s->ctx, &b), &b, CACHE_NONE);
        case HTTP_ROUTE_FEEDBACK:
                return serve_feedback_get(s, conn, rq);
        case HTTP_ROUTE_API_SEARCH:
                return send_json(s, conn, rq, MHD_HTTP_OK, http_api_search(&s->ctx, rt->q), CACHE_SHORT);
        case HTTP_ROUTE_API_LISTENERS: {
                if (!s->ctx.show_local)
                        return send_error(s, conn, rq, MHD_HTTP_NOT_FOUND,
                                          "listeners are not served: start portscope serve with --show-local", true);
                if (!host_is_local_literal(conn))
                        return send_error(s, conn, rq, MHD_HTTP_MISDIRECTED_REQUEST,
                                          "listeners are served only to requests for this machine's address "
                                          "(Host: 127.0.0.1, [::1] or localhost)",
                                          true);
                int status = 500;
                json_t *o = http_api_listeners(&s->ctx, &status);
                return send_json(s, conn, rq, (unsigned)status, o, CACHE_NONE);
        }
        case HTTP_ROUTE_METRICS:
                return serve_metrics(s, conn, rq);
        case HTTP_ROUTE_NONE:
        case HTTP_NROUTES:
                break;
        }
        return send_error(s, conn, rq, MHD_HTTP_NOT_FOUND, "no such page", rt->api);
}

static enum MHD_Result method_not_allowed(struct http_server *s, struct MHD_Connection *conn, struct req *rq,
                                          const char *allow)
{
        char *body = NULL;
        size_t len = 0;
        const char *type = TYPE_JSON;
        if (rq->route.api) {
                json_t *o = http_api_error(&s->ctx, 405, "method not allowed");
                body = o ? json_text(o, &len) : NULL;
                json_decref(o);
        } else {
                type = TYPE_TEXT;
                body = strdup("method not allowed\n");
                len = body ? strlen(body) : 0;
        }
        if (!body)
                return MHD_NO;
        struct MHD_Response *r = make_response(s, body, len, type, CACHE_NONE, NULL);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
        enum MHD_Result ret = queue(conn, rq, MHD_HTTP_METHOD_NOT_ALLOWED, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **req_cls)
{
        struct http_server *s = cls;
        struct req *rq = *req_cls;
        (void)url;
        if (!rq)
                return MHD_NO; /* the URI callback always runs first; without it, give up */

        if (!rq->seen) {
                rq->seen = true;
                snprintf(rq->method, sizeof rq->method, "%s", method);
                snprintf(rq->version, sizeof rq->version, "%s", version);
                if (!rq->target)
                        return MHD_YES; /* 414 in the next call */
                http_route_parse(rq->target, rq->target_len, &rq->route);
                bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
                bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
                if (rq->route.status)
                        return MHD_YES; /* answered in the next call */
                if (rq->route.id == HTTP_ROUTE_FEEDBACK) {
                        if (!get && !post)
                                return method_not_allowed(s, conn, rq, "GET, HEAD, POST");
                        if (post) {
                                const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                                              MHD_HTTP_HEADER_CONTENT_LENGTH);
                                if (cl && (strlen(cl) > 6 || strtoul(cl, NULL, 10) > BODY_MAX))
                                        return send_error(s, conn, rq, MHD_HTTP_CONTENT_TOO_LARGE,
                                                          "the request body is larger than 1024 bytes", false);
                                rq->post = true;
                                return MHD_YES; /* the body follows */
                        }
                } else if (!get) {
                        return method_not_allowed(s, conn, rq, "GET, HEAD");
                }
                /* libmicrohttpd 0.9.7x closes the connection after a response queued in the
                 * first call (the headers only); answering in the second keeps it alive. */
                return MHD_YES;
        }

        if (rq->post) {
                if (*upload_size) {
                        size_t n = *upload_size;
                        if (rq->body_len + n > BODY_MAX)
                                return MHD_NO; /* chunked past the limit: drop the connection */
                        memcpy(rq->body + rq->body_len, upload_data, n);
                        rq->body_len += n;
                        rq->body[rq->body_len] = '\0';
                        *upload_size = 0;
                        return MHD_YES;
                }
                rq->post = false;
                return serve_feedback_post(s, conn, rq);
        }
        if (*upload_size) {
                /* A body on a GET: not wanted, and not kept. */
                *upload_size = 0;
                return MHD_YES;
        }
        if (rq->answered)
                return MHD_YES;
        rq->answered = true;
        if (!rq->target)
                return send_error(s, conn, rq, MHD_HTTP_URI_TOO_LONG, "the request target is too long", false);
        if (rq->route.status)
                return send_error(s, conn, rq, (unsigned)rq->route.status, rq->route.error, rq->route.api);
        return dispatch_get(s, conn, rq);
}

/* ---- request and connection bookkeeping ------------------------------------------------------ */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
        struct http_server *s = cls;
        (void)conn;
        struct req *rq = calloc(1, sizeof *rq);
        if (!rq)
                return NULL;
        rq->start_ns = now_ns();
        size_t len = strlen(uri);
        if (len <= HTTP_TARGET_MAX) {
                rq->target = malloc(len + 1);
                if (rq->target) {
                        memcpy(rq->target, uri, len + 1);
                        rq->target_len = len;
                }
        }
        atomic_fetch_add_explicit(&s->inflight, 1, memory_order_relaxed);
        return rq;
}

static void log_request(struct http_server *s, struct MHD_Connection *conn, struct req *rq, unsigned status,
                        double seconds)
{
        char addr[INET6_ADDRSTRLEN] = "-";
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
                const struct sockaddr *sa = ci->client_addr;
                if (sa->sa_family == AF_INET)
                        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr, sizeof addr);
                else if (sa->sa_family == AF_INET6)
                        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr,
                                  sizeof addr);
        }
        char when[40];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        if (strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm) == 0)
                when[0] = '\0';
        const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
        flockfile(s->log);
        fprintf(s->log, "%s - - [%s] \"%s ", addr, when, rq->method[0] ? rq->method : "-");
        if (rq->target)
                ps_term_escape(s->log, rq->target, rq->target_len, false);
        else
                fputs("(too long)", s->log);
        fprintf(s->log, "%s%s\" %u - \"", rq->version[0] ? " " : "", rq->version, status);
        ps_term_escape(s->log, ua ? ua : "-", (size_t)-1, false);
        fprintf(s->log, "\" %.3fms\n", seconds * 1e3);
        funlockfile(s->log);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
        struct http_server *s = cls;
        struct req *rq = *req_cls;
        (void)toe;
        if (!rq)
                return;
        *req_cls = NULL;
        double seconds = (double)(now_ns() - rq->start_ns) / 1e9;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
        unsigned status = ci ? ci->http_status : 0;
        atomic_fetch_add_explicit(&s->requests[rq->route.id < HTTP_NROUTES ? rq->route.id : 0][code_index(status)], 1,
                                  memory_order_relaxed);
        int b = 0;
        while (b < NBUCKETS && seconds > latency_buckets[b])
                b++;
        atomic_fetch_add_explicit(&s->latency[b], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->latency_sum_us, (uint64_t)(seconds * 1e6), memory_order_relaxed);
        if (s->log)
                log_request(s, conn, rq, status, seconds);
        /* The next request on this connection gets a fresh deadline. */
        const union MHD_ConnectionInfo *sc = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        if (sc && sc->socket_context) {
                struct conn *c = sc->socket_context;
                atomic_store_explicit(&c->deadline_ms, now_ns() / 1000000 + (int64_t)s->request_timeout * 1000,
                                      memory_order_relaxed);
        }
        atomic_fetch_sub_explicit(&s->inflight, 1, memory_order_relaxed);
        free(rq->target);
        free(rq);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode toe)
{
        struct http_server *s = cls;
        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                struct conn *c = calloc(1, sizeof *c);
                if (!c)
                        return;
                const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                c->fd = ci ? ci->connect_fd : -1;
                c->klen = client_key(conn, c->key);
                atomic_store(&c->deadline_ms, now_ns() / 1000000 + (int64_t)s->request_timeout * 1000);
                pthread_mutex_lock(&s->conn_lock);
                c->next = s->conns;
                if (s->conns)
                        s->conns->prev = c;
                s->conns = c;
                pthread_mutex_unlock(&s->conn_lock);
                *socket_ctx = c;
        } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
                struct conn *c = *socket_ctx;
                if (!c)
                        return;
                /* libmicrohttpd closes the descriptor after this returns; holding the lock here
                 * keeps the reaper from shutting down a descriptor number that was reused. */
                pthread_mutex_lock(&s->conn_lock);
                if (c->prev)
                        c->prev->next = c->next;
                else
                        s->conns = c->next;
                if (c->next)
                        c->next->prev = c->prev;
                pthread_mutex_unlock(&s->conn_lock);
                free(c);
                *socket_ctx = NULL;
        }
}

/* libmicrohttpd's own per-IP limit compares whole IPv6 addresses, and one host usually holds a
 * whole /64: count live connections per client key instead (a short scan of at most the
 * connection limit, under the lock the reaper uses). */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
        struct http_server *s = cls;
        unsigned char key[16];
        size_t klen = sockaddr_key(addr, key);
        unsigned n = 0;

        (void)addrlen;
        if (!klen)
                return MHD_YES;
        pthread_mutex_lock(&s->conn_lock);
        for (const struct conn *c = s->conns; c; c = c->next)
                n += c->klen == klen && memcmp(c->key, key, klen) == 0;
        pthread_mutex_unlock(&s->conn_lock);
        return n < s->max_per_client ? MHD_YES : MHD_NO;
}

static void *reaper_main(void *arg)
{
        struct http_server *s = arg;
        pthread_mutex_lock(&s->stop_lock);
        while (!s->stopping) {
                struct timespec until;
                clock_gettime(CLOCK_MONOTONIC, &until);
                until.tv_nsec += 250 * 1000000L;
                if (until.tv_nsec >= 1000000000L) {
                        until.tv_sec++;
                        until.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&s->stop_cond, &s->stop_lock, &until);
                if (s->stopping)
                        break;
                pthread_mutex_unlock(&s->stop_lock);

                int64_t now = now_ns() / 1000000;
                pthread_mutex_lock(&s->conn_lock);
                for (struct conn *c = s->conns; c; c = c->next) {
                        if (c->killed || c->fd < 0)
                                continue;
                        if (now > atomic_load_explicit(&c->deadline_ms, memory_order_relaxed)) {
                                /* Wakes the connection's thread with an error; it closes the connection. */
                                shutdown(c->fd, SHUT_RDWR);
                                c->killed = true;
                                atomic_fetch_add_explicit(&s->reaped, 1, memory_order_relaxed);
                        }
                }
                pthread_mutex_unlock(&s->conn_lock);
                if (s->log)
                        fflush(s->log);
                pthread_mutex_lock(&s->stop_lock);
        }
        pthread_mutex_unlock(&s->stop_lock);
        return NULL;
}

/* ---- start and stop ------------------------------------------------------------------------- */

/* Parses "ADDR:PORT" / "[V6]:PORT" into a sockaddr. */
static int parse_listen(const char *spec, struct sockaddr_storage *ret, socklen_t *ret_len)
{
        const char *colon = strrchr(spec, ':');
        if (!colon || colon == spec)
                return -EINVAL;
        char host[INET6_ADDRSTRLEN + 2];
        size_t hl = (size_t)(colon - spec);
        if (hl >= sizeof host)
                return -EINVAL;
        memcpy(host, spec, hl);
        host[hl] = '\0';
        const char *ps = colon + 1;
        size_t pl = strlen(ps);
        if (pl == 0 || pl > 5 || strspn(ps, "0123456789") != pl)
                return -EINVAL;
        unsigned long port = strtoul(ps, NULL, 10);
        if (port > 65535)
                return -EINVAL;
        memset(ret, 0, sizeof *ret);
        if (host[0] == '[') {
                if (hl < 3 || host[hl - 1] != ']')
                        return -EINVAL;
                host[hl - 1] = '\0';
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)ret;
                a->sin6_family = AF_INET6;
                a->sin6_port = htons((uint16_t)port);
                if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
                        return -EINVAL;
                *ret_len = sizeof *a;
                return 0;
        }
        struct sockaddr_in *a = (struct sockaddr_in *)ret;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (strcmp(host, "localhost") == 0)
                snprintf(host, sizeof host, "127.0.0.1");
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
                return -EINVAL;
        *ret_len = sizeof *a;
        return 0;
}

static int open_listener(const struct sockaddr_storage *sa, socklen_t salen)
{
        int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (sa->ss_family == AF_INET6)
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, (const struct sockaddr *)sa, salen) < 0 || listen(fd, 1024) < 0) {
                int e = -errno;
                close(fd);
                return e;
        }
        return fd;
}

static struct cached *fixed_page(struct http_server *s, int (*fn)(const struct http_ctx *, struct http_buf *))
{
        struct http_buf b;
        http_buf_init(&b, PAGE_MAX);
        if (fn(&s->ctx, &b) != 200) {
                http_buf_free(&b);
                return NULL;
        }
        size_t len = 0;
        char *body = http_buf_steal(&b, &len);
        return body ? cached_new(s, body, len, TYPE_HTML, CACHE_LONG) : NULL;
}

static int page_map_plain(const struct http_ctx *c, struct http_buf *b)
{
        return http_page_map(c, false, b);
}

static void server_free(struct http_server *s)
{
        if (!s)
                return;
        for (unsigned p = 0; p < 65536; p++) {
                cached_free(atomic_load(&s->port_html[p]));
                cached_free(atomic_load(&s->port_json[p]));
        }
        for (int i = 0; i < HTTP_NROUTES; i++)
                cached_free(s->fixed[i]);
        http_ratelimit_free(s->votes);
        http_feedback_close(s->ctx.feedback);
        pthread_mutex_destroy(&s->conn_lock);
        pthread_mutex_destroy(&s->stop_lock);
        pthread_cond_destroy(&s->stop_cond);
        free(s);
}

int http_server_start(const struct http_config *cfg, struct http_server **ret, char *err, size_t errlen)
{
        if (!cfg || !cfg->registry) {
                snprintf(err, errlen, "no registry");
                return -EINVAL;
        }
        struct sockaddr_storage sa;
        socklen_t salen = 0;
        const char *listen_spec = cfg->listen ? cfg->listen : "127.0.0.1:6335";
        if (parse_listen(listen_spec, &sa, &salen) < 0) {
                snprintf(err, errlen, "invalid listen address '%s': expected ADDR:PORT or [V6ADDR]:PORT", listen_spec);
                return -EINVAL;
        }
        struct http_server *s = calloc(1, sizeof *s);
        if (!s) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        pthread_mutex_init(&s->conn_lock, NULL);
        pthread_mutex_init(&s->stop_lock, NULL);
        /* The reaper's deadlines must not move when the wall clock is stepped. */
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&s->stop_cond, &ca);
        pthread_condattr_destroy(&ca);
        s->listen_fd = -1;
        s->started = time(NULL);
        s->log = cfg->access_log;
        s->request_timeout = cfg->request_timeout ? cfg->request_timeout : 15;
        s->feedback_refill = cfg->feedback_refill ? cfg->feedback_refill : 60;
        s->ctx.reg = cfg->registry;
        s->ctx.know = cfg->knowledge;
        s->ctx.show_local = cfg->show_local;
        s->ctx.classes = s->classes;
        int r;

        if (!cfg->db_path || cfg->db_path[0]) {
                char path[PATH_MAX];
                const char *db = cfg->db_path;
                if (!db) {
                        r = ps_store_path(path, sizeof path);
                        if (r < 0) {
                                snprintf(err, errlen, "cannot locate the feedback store: %s", strerror(-r));
                                if (!cfg->feedback_optional)
                                        goto fail;
                                path[0] = '\0';
                        }
                        db = path;
                }
                if (!db[0])
                        r = -ENOENT;
                else
                        r = http_feedback_open(db, &s->ctx.feedback, err, errlen);
                if (r < 0 && cfg->feedback_optional) {
                        /* err says why */
                        snprintf(s->note, sizeof s->note, "feedback is off: %s", err);
                        s->ctx.feedback = NULL;
                } else if (r < 0)
                        goto fail;
        }
        s->votes = http_ratelimit_new(cfg->feedback_burst ? cfg->feedback_burst : 10,
                                      cfg->feedback_refill ? cfg->feedback_refill : 60.0, 4096);
        if (!s->votes) {
                r = -ENOMEM;
                snprintf(err, errlen, "out of memory");
                goto fail;
        }

        http_map_classify(s->ctx.reg, s->ctx.know, s->classes);

        char style_hash[45], script_hash[45];
        http_sha256_base64(http_page_style(), strlen(http_page_style()), style_hash);
        http_sha256_base64(http_page_script(), strlen(http_page_script()), script_hash);
        r = snprintf(s->csp, sizeof s->csp,
                     "default-src 'none'; img-src 'self' data:; style-src 'sha256-%s'; script-src 'sha256-%s'; "
                     "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
                     style_hash, script_hash);
        if (r < 0 || (size_t)r >= sizeof s->csp) {
                r = -EOVERFLOW;
                snprintf(err, errlen, "internal error: CSP too long");
                goto fail;
        }

        s->fixed[HTTP_ROUTE_HOME] = fixed_page(s, http_page_home);
        s->fixed[HTTP_ROUTE_RANGES] = fixed_page(s, http_page_ranges);
        s->fixed[HTTP_ROUTE_MAP] = fixed_page(s, page_map_plain);
        uint8_t *png = NULL;
        size_t pnglen = 0;
        if (http_map_png(s->classes, &png, &pnglen) == 0)
                s->fixed[HTTP_ROUTE_MAP_PNG] = cached_new(s, (char *)png, pnglen, TYPE_PNG, CACHE_LONG);
        char *ok = strdup("ok\n");
        if (ok)
                s->fixed[HTTP_ROUTE_HEALTHZ] = cached_new(s, ok, 3, TYPE_TEXT, CACHE_NONE);
        if (!s->fixed[HTTP_ROUTE_HOME] || !s->fixed[HTTP_ROUTE_RANGES] || !s->fixed[HTTP_ROUTE_MAP] ||
            !s->fixed[HTTP_ROUTE_MAP_PNG] || !s->fixed[HTTP_ROUTE_HEALTHZ]) {
                r = -ENOMEM;
                snprintf(err, errlen, "rendering the fixed pages failed");
                goto fail;
        }

        r = open_listener(&sa, salen);
        if (r < 0) {
                snprintf(err, errlen, "cannot listen on %s: %s", listen_spec, strerror(-r));
                goto fail;
        }
        s->listen_fd = r;

        unsigned threads = cfg->threads;
        if (threads == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                threads = n > 0 ? (unsigned)n : 1;
        }
        unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
        if (sa.ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        s->max_per_client = cfg->max_per_ip ? cfg->max_per_ip : 256u;
        s->daemon = MHD_start_daemon(
                flags, 0, accept_policy, s, on_request, s, MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
                MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
                cfg->max_connections ? cfg->max_connections : 1024u, MHD_OPTION_CONNECTION_TIMEOUT,
                cfg->idle_timeout ? cfg->idle_timeout : 10u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
                MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
        if (!s->daemon) {
                r = -EIO;
                snprintf(err, errlen, "cannot start the HTTP server on %s", listen_spec);
                goto fail;
        }
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
        s->port = di ? di->port : 0;
        if (sa.ss_family == AF_INET6) {
                char host[INET6_ADDRSTRLEN];
                inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host, sizeof host);
                snprintf(s->url, sizeof s->url, "http://[%s]:%u/", host, (unsigned)s->port);
        } else {
                char host[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof host);
                snprintf(s->url, sizeof s->url, "http://%s:%u/", host, (unsigned)s->port);
        }
        if (pthread_create(&s->reaper, NULL, reaper_main, s) != 0) {
                r = -EAGAIN;
                snprintf(err, errlen, "cannot start a thread");
                goto fail;
        }
        s->reaper_started = true;
        *ret = s;
        return 0;
fail:
        if (s->daemon)
                MHD_stop_daemon(s->daemon);
        if (s->listen_fd >= 0)
                close(s->listen_fd);
        server_free(s);
        return r;
}

const char *http_server_url(const struct http_server *s)
{
        return s->url;
}

const char *http_server_note(const struct http_server *s)
{
        return s->note[0] ? s->note : NULL;
}

uint16_t http_server_port(const struct http_server *s)
{
        return s->port;
}

void http_server_stop(struct http_server *s, unsigned grace_ms)
{
        if (!s)
                return;
        /* Stop accepting; requests in flight may finish within the grace period. */
        MHD_socket lfd = MHD_quiesce_daemon(s->daemon);
        if (lfd != MHD_INVALID_SOCKET)
                close(lfd);
        s->listen_fd = -1;
        int64_t until = now_ns() + (int64_t)grace_ms * 1000000;
        while (atomic_load(&s->inflight) > 0 && now_ns() < until) {
                struct timespec ts = { 0, 10 * 1000000L };
                nanosleep(&ts, NULL);
        }
        MHD_stop_daemon(s->daemon);
        s->daemon = NULL;
        if (s->reaper_started) {
                pthread_mutex_lock(&s->stop_lock);
                s->stopping = true;
                pthread_cond_signal(&s->stop_cond);
                pthread_mutex_unlock(&s->stop_lock);
                pthread_join(s->reaper, NULL);
        }
        if (s->log)
                fflush(s->log);
        server_free(s);
}
