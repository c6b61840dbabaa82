/* portscope serve — what the files of the HTTP server share (server.c, routes.c, respond.c,
 * connections.c, metrics.c, access-log.c); not a public interface.
 *
 * The transport is libh2o (h2o 2.2.5, its own event loop): one loop per worker thread, each on
 * its own SO_REUSEPORT socket. What a request may cost is bounded everywhere: h2o reads a request
 * head of at most 100 headers, targets are at most HTTP_TARGET_MAX bytes (longer: 414), the head
 * at most HEAD_MAX bytes (larger: 431), bodies (only POST /feedback has one) at most BODY_MAX
 * (h2o answers 413), a connection that has not sent a whole request within idle_timeout is closed
 * (h2o), and each loop shuts down any connection whose current request has not been answered
 * within request_timeout (connections.c), slow readers included.
 *
 * Responses for pages that depend only on the registry and knowledge are rendered once per
 * variant and kept in the response cache (cache.h): their bytes are written to the socket from
 * there, held until the write is done. */
#pragma once

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "cache.h"
#include "serve-internal.h"
#include "portscope/http.h"

#define BODY_MAX 4096                  /* POST /feedback: a note of 300 characters, percent-encoded, fits */
#define PAGE_MAX (4u << 20)            /* the largest page we render */
#define CACHE_BYTES (96u << 20)        /* bytes of cached responses */
#define CACHE_ENTRIES 16384u           /* cached responses */
/* The largest request head (request line and headers, as sent) answered: larger is 431. h2o
 * itself reads up to 8 KiB + 4 KiB a header, at most 100 headers (more: its own 400). */
#define HEAD_MAX (16u << 10)
#define SERVER_THREADS_MAX 256         /* --threads */

/* ---- per-connection and per-request state ------------------------------------------------- */

struct worker;

/* One accepted connection: in the server's list (under conn_lock) from accept to close. */
struct conn {
        struct conn *prev, *next;
        struct worker *w;             /* the loop it belongs to: only that thread touches fd and sock */
        int fd;
        h2o_socket_t *sock;
        unsigned char key[16]; /* the client: IPv4 address, or IPv6 /64 (see connections_sockaddr_key) */
        size_t klen;
        int64_t deadline_ms;          /* monotonic; its loop shuts the socket down after it */
        bool killed;
        char addr[INET6_ADDRSTRLEN];  /* the client, as the access log writes it */
};

/* One worker thread: an h2o event loop with its listening socket. */
struct worker {
        struct http_server *s;
        unsigned index;
        pthread_t tid;
        bool started;
        int listen_fd;
        h2o_evloop_t *loop;
        h2o_context_t ctx;
        h2o_accept_ctx_t actx;
        h2o_socket_t *listener;       /* NULL once closed */
        int64_t next_reap_ms;
        atomic_uint pending;          /* when quiescing: its connections with a request begun */
};

/* What to call when a response's bytes are no longer needed (the write is done, or the
 * connection gone): release(a, b), or nothing when release is NULL. */
struct respond_hold {
        void (*release)(void *a, void *b);
        void *a, *b;
};
struct req {
        struct http_server *s;
        h2o_req_t *hr;                /* the request h2o is answering */
        struct conn *conn;            /* its connection, or NULL */
        int64_t start_ns;
        char *target;                 /* raw request target in origin-form, NUL-terminated, what is
                                       * routed; NULL when too long */
        size_t target_len;
        /* The target as the request line sent it (the access log's): target itself, or the
         * absolute-form "http://HOST/PATH" whose path and query target holds. */
        const char *line_target;      /* (the start of the target as sent when too long) */
        size_t line_target_len;
        const char *host_header;      /* the Host header when there is one, NUL-terminated */
        const char *host;             /* an absolute-form target's authority, which replaces the
                                       * Host header (RFC 9112, section 3.2.2); NULL otherwise */
        char method[8];
        char version[12];
        bool api_target;              /* the target begins with /api/: errors in JSON, even a 414 */
        const struct ps_language *lang; /* the page's language: its /xx prefix, or Accept-Language */
        bool prefixed;                /* the target began with /xx */
        size_t lang_skip;             /* bytes of that prefix in target */
        char *body;                   /* POST only: the body, NUL-terminated (in h2o's pool) */
        size_t body_len;
        long long sent;               /* bytes of the body queued (the access log's), -1: no
                                       * response was started */
        struct respond_hold hold;     /* what the response's bytes need until written (routes_hold()) */
        struct http_route route;      /* last but one: connections_new_req() zeroes what comes before */
        char target_buf[];            /* target points here */
};

/* ---- cached responses ---------------------------------------------------------------------- */

/* A response kept to be sent many times: its body (and a gzipped twin), with what its headers
 * say. The bytes are written from here; whoever sends one holds it until the write is done. */
struct cached {
        const char *type;             /* Content-Type (one of RESPOND_*) */
        const char *cache;            /* its Cache-Control */
        const char *lang;             /* Content-Language (a page), or NULL */
        const char *vary, *gz_vary;   /* Vary of body and of gz (static text), or NULL */
        bool coded;                   /* body itself is gzip-coded (respond_cached_variant()) */
        char etag[24];                /* "\"" 16 hex "\"", or "\"" 16 hex "-gz\"" (a gzip variant) */
        char etag_gz[24];             /* "\"" 16 hex "-gz\"" */
        size_t len, gz_len;           /* the bodies' lengths */
        const char *body, *gz_body;   /* the bodies; gz_body NULL when not worth it */
        char *own_body, *own_gz;      /* the same when this owns them (respond_cached_twin() borrows) */
        /* The headers of body and of gz as first sent (respond_cached()), or NULL. */
        _Atomic(struct cached_headers *) hdrs[2];
        size_t size;
};
struct cached_headers {
        size_t n;
        h2o_header_t e[];
};

extern const char RESPOND_HTML[], RESPOND_JSON[], RESPOND_JSON_LOCAL[], RESPOND_TEXT[], RESPOND_METRICS[], RESPOND_PNG[], RESPOND_CSS[];
/* Cache-Control values; compared by address (RESPOND_CACHE_NONE: no ETag). */
extern const char RESPOND_CACHE_LONG[], RESPOND_CACHE_SHORT[], RESPOND_CACHE_NONE[];
/* /style.css?v=HASH, the spelling the pages use: that URL's content never changes. */
extern const char RESPOND_CACHE_IMMUTABLE[];

/* ---- the server's languages ---------------------------------------------------------------- */

#define HTTP_LANG_MAX 16 /* languages served at most (ps_languages()) */

/* ---- the server ---------------------------------------------------------------------------- */

#define METRICS_NCODES 19   /* the status codes counted one by one (metrics.c), + "other" */
#define METRICS_NBUCKETS 11 /* latency histogram buckets (metrics.c), + "+Inf" */

/* The counters of every request, one shard per worker thread (server_slot()): each thread adds
 * to its own cache lines, and /metrics sums the shards. */
struct metrics_shard {
        atomic_uint_fast64_t requests[HTTP_NROUTES][METRICS_NCODES];
        atomic_uint_fast64_t latency[METRICS_NBUCKETS + 1];
        atomic_uint_fast64_t latency_sum_us;
        atomic_uint_fast64_t bytes_sent;
        atomic_long inflight;
} __attribute__((aligned(64)));

/* Counters of rare events. */
struct metrics {
        atomic_uint_fast64_t reaped;
        atomic_uint_fast64_t votes_total, votes_limited;
};

struct http_server {
        unsigned max_per_client; /* connections per IPv4 address or IPv6 /64 */
        bool loopback;           /* listening on a loopback address: only this machine's browsers
                                  * reach it, and a request naming another Host was rebound */
        unsigned feedback_refill; /* seconds until one more vote: the 429's Retry-After */
        struct http_ctx ctx;
        /* One loop per worker thread, each on its own SO_REUSEPORT socket bound to the same
         * address: the kernel spreads new connections evenly between them. */
        struct worker *workers;
        unsigned nworkers;
        h2o_globalconf_t config;
        bool config_ready;
        atomic_bool quiesce;          /* stop accepting (each loop closes its listener) */
        atomic_bool stop_loops;       /* close every connection and leave the loops */
        unsigned max_connections;
        uint16_t port;
        char url[80];
        char csp[256];
        char last_modified[32];       /* the registry's date as an HTTP-date, "" when unknown */
        char note[600];
        unsigned request_timeout;
        struct access_log *log; /* NULL: no access log */
        struct http_ratelimit *votes;
        uint8_t classes[65536];

        struct http_cache *cache; /* rendered GET responses (cache.h): values are struct cached */
        /* Each worker thread's front of the cache, by server_slot() (the last slot, which any
         * further thread shares, has none). */
        struct http_cache_front *fronts[SERVER_THREADS_MAX];
        /* Wide /api/v1/ports/A-B ranges being rendered: at most one at a time, so that a client
         * asking for many cannot hold every worker (each takes ~0.1 s); the others get 503. */
        atomic_uint wide_renders;
        struct cached *fixed[HTTP_NROUTES]; /* map.png (tcp), healthz */
        struct cached *map_udp_png; /* /map.png?proto=udp */
        /* /style.css?v=HASH: the bytes of fixed[HTTP_ROUTE_STYLE] (respond_cached_twin(), freed
         * first), cached for a year */
        struct cached *style_versioned;

        pthread_mutex_t conn_lock;
        struct conn *conns;
        unsigned nconns;        /* the length of conns (under conn_lock) */
        unsigned idle_timeout;

        uint64_t id;                   /* tells this server from an earlier one at the same address */
        atomic_uint slots_used;        /* threads that have asked server_slot() */
        unsigned nshards;              /* worker threads + 1 */
        struct metrics_shard *shards;
        struct metrics m;
        time_t started;
};

/* The calling thread's index among the threads serving s, below s->nshards: each worker thread
 * has its own (the last one is shared by any further thread). */
unsigned server_slot(struct http_server *s);
/* This thread's metrics shard. */
static inline struct metrics_shard *server_shard(struct http_server *s)
{
        return &s->shards[server_slot(s)];
}
/* This thread's front of the cache, or NULL when the thread has none (it shares its slot). */
static inline struct http_cache_front *server_front(struct http_server *s)
{
        unsigned slot = server_slot(s);
        return slot + 1 < s->nshards ? s->fronts[slot] : NULL;
}
/* Requests being answered now, over all threads. */
long server_inflight(struct http_server *s);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t server_now_ns(void);
/* Open connections, over every daemon. */
unsigned server_connections(struct http_server *s);

/* HTTP status codes used by name. */
enum {
        HTTP_OK = 200,
        HTTP_MOVED_PERMANENTLY = 301,
        HTTP_SEE_OTHER = 303,
        HTTP_NOT_MODIFIED = 304,
        HTTP_BAD_REQUEST = 400,
        HTTP_FORBIDDEN = 403,
        HTTP_NOT_FOUND = 404,
        HTTP_METHOD_NOT_ALLOWED = 405,
        HTTP_CONTENT_TOO_LARGE = 413,
        HTTP_URI_TOO_LONG = 414,
        HTTP_MISDIRECTED_REQUEST = 421,
        HTTP_TOO_MANY_REQUESTS = 429,
        HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE = 431,
        HTTP_INTERNAL_SERVER_ERROR = 500,
        HTTP_NOT_IMPLEMENTED = 501,
        HTTP_SERVICE_UNAVAILABLE = 503,
};

/* ---- respond.c: building and sending responses --------------------------------------------- */

/* The functions that answer return 0 when a response is on its way, -1 when none could be made
 * (out of memory): routes_on_request() then answers 500 and closes. A body passed in is
 * malloc'd and taken over, even on failure. */
void respond_etag(const void *data, size_t len, char out[20]);
/* The request's header `token` (the last one when repeated), or NULL; value and length. */
const char *respond_header(h2o_req_t *hr, const h2o_token_t *token, size_t *ret_len);
/* The same, NUL-terminated in the request's pool. */
const char *respond_header_str(h2o_req_t *hr, const h2o_token_t *token);
struct cached *respond_cached_new(char *body, size_t len, const char *type, const char *cache);
/* A cached response like `of` (made by respond_cached_new() with the same type) with another
 * Cache-Control, over of's bodies: the same bytes, ETags and encodings without a copy. It borrows
 * them: free it before of. */
struct cached *respond_cached_twin(const struct cached *of, const char *type,
                                   const char *cache);
/* A refusal that says when to ask again (429, 503): body (malloc'd, taken) with Retry-After. */
int respond_retry_after(struct http_server *s, h2o_req_t *hr, unsigned status, char *body, size_t len,
                        const char *type, unsigned seconds);
void respond_cached_free(struct cached *c); /* accepts NULL */
/* One variant of a response, for the response cache: gzipped when gzip and that shrinks it, with
 * its ETag, Content-Encoding and Vary; cache is its Cache-Control. Takes body. */
struct cached *respond_cached_variant(char *body, size_t len, const char *type,
                                      const char *cache, bool gzip);
/* Whether the client takes gzip (Accept-Encoding). */
bool respond_wants_gzip(h2o_req_t *hr);
/* c's response, or 304 when the client holds it (If-None-Match). c stays alive until hold's
 * release (a NULL release: c outlives the server's requests); the hold is given up here on
 * failure too. */
int respond_cached(struct http_server *s, h2o_req_t *hr, struct cached *c, struct respond_hold hold);
#define NO_HOLD ((struct respond_hold){ NULL, NULL, NULL })
/* 200 responses get an ETag (unless RESPOND_CACHE_NONE) and honour If-None-Match. */
int respond_body(struct http_server *s, h2o_req_t *hr, unsigned status, char *body, size_t len, const char *type,
                 const char *cache);
/* Serializes o on one line with < > & as \u escapes (no HTML sniffer can take it for markup),
 * ending in a newline; malloc'd, NULL on OOM. */
char *respond_json_text(json_t *o, size_t *ret_len);
/* Takes o (NULL: -1). */
int respond_json(struct http_server *s, h2o_req_t *hr, unsigned status, json_t *o, const char *cache);
/* An error page, or a JSON error when api. */
int respond_error(struct http_server *s, h2o_req_t *hr, unsigned status, const char *message, bool api);
/* The same, and the connection is closed after it (Connection: close): the rest of what the
 * client sent cannot be trusted to be a request (RFC 9112, section 6.3). */
int respond_error_close(struct http_server *s, h2o_req_t *hr, unsigned status, const char *message, bool api);
/* Sends what a page renderer left in b (freeing it) with the status it returned (< 0: 500). */
int respond_page(struct http_server *s, h2o_req_t *hr, int status, struct http_buf *b, const char *cache);
/* A redirect to location (copied). */
int respond_redirect(h2o_req_t *hr, unsigned status, const char *location);
/* 405 with Allow. */
int respond_method_not_allowed(struct http_server *s, h2o_req_t *hr, bool api, const char *allow);

/* ---- routes.c: what each request gets ------------------------------------------------------- */

/* Answers one request that h2o has read whole (head and body). */
void routes_on_request(struct http_server *s, struct req *rq);
/* The response the handler started has a body of `bytes` (the access log's count). */
void routes_note_sent(size_t bytes);
/* Keeps hold in the request being answered (only from inside routes_on_request(), once: a
 * request has one response), released when the request ends. */
void routes_hold(struct respond_hold hold);

/* ---- connections.c: connections, requests, the reaper ---------------------------------------- */

/* The client's rate-limit and connection-limit key: an IPv4 address or an IPv6 /64. Returns its
 * length (0: none). */
size_t connections_sockaddr_key(const struct sockaddr *sa, unsigned char key[16]);
/* The listening socket of w is readable: accepts what waits, within the limits. */
void connections_on_accept(h2o_socket_t *listener, const char *err);
/* The state of a request h2o hands over, in its pool; its end (h2o disposing of the request)
 * counts it in the metrics and the access log. NULL when out of memory. */
struct req *connections_new_req(struct http_server *s, h2o_req_t *hr);
/* Shuts down every connection of w past its deadline or holding more than INPUT_MAX bytes of
 * unread input (all of them when all is true). */
void connections_reap(struct worker *w, bool all);
/* Connections of w still open; *ret_pending (unless NULL): those with part of a request read
 * and not yet answered (a request in flight, that shutdown waits for). On w's thread. */
unsigned connections_of(struct worker *w, unsigned *ret_pending);

/* ---- metrics.c ----------------------------------------------------------------------------- */

/* Counts a finished request. */
void metrics_count(struct http_server *s, const struct req *rq, unsigned status, double seconds);
/* Counts the body bytes of a response queued. */
void metrics_sent(struct http_server *s, size_t bytes);
/* GET /metrics: the Prometheus text. */
int metrics_serve(struct http_server *s, h2o_req_t *hr);

/* ---- access-log.c -------------------------------------------------------------------------- */

/* The log writes to f's descriptor (f stays the caller's) from a thread of its own. Returns 0
 * or -errno. Close flushes every line queued. */
struct access_log;
/* A log to f with nslots buffers: one per server_slot(). */
int access_log_open(FILE *f, unsigned nslots, struct access_log **ret);
void access_log_close(struct access_log *l); /* accepts NULL */
/* The client's address as the log shows it (connections keep it from their start), "-" if none. */
void access_log_addr(const struct sockaddr *sa, char out[INET6_ADDRSTRLEN]);
/* One line per request in Common Log Format plus the duration, the target and user agent escaped
 * for terminals, queued for the writer whole. ua: the User-Agent, or NULL; addr: the client's
 * address from access_log_addr(). */
void access_log_write(struct http_server *s, const char *ua, size_t ua_len, const struct req *rq, const char *addr,
                      unsigned status, double seconds);
