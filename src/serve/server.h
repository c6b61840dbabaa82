/* portscope serve — what the files of the HTTP server share (server.c, routes.c, respond.c,
 * connections.c, metrics.c, access-log.c); not a public interface.
 *
 * What a request may cost is bounded everywhere: the request line and headers fit in a
 * per-connection memory pool (larger: 414/431), targets are at most HTTP_TARGET_MAX bytes, bodies
 * (only POST /feedback has one) at most BODY_MAX, a silent connection is closed after
 * idle_timeout, and a reaper thread shuts down any connection whose current request has not
 * been answered within request_timeout (connections.c).
 *
 * Responses for pages that depend only on the registry and knowledge are rendered once per
 * variant and kept in the response cache (cache.h) as libmicrohttpd response objects, which are
 * reference-counted and shared between threads. */
#pragma once

#include <microhttpd.h>
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
/* Per-connection pool (libmicrohttpd's default): the request as read, each header and each
 * cookie parsed (the Cookie header is copied, each cookie a 48-byte record), then the response's
 * header. A request that leaves less than CONN_RESPONSE_RESERVE of it is answered 431 before
 * libmicrohttpd runs out building the response header (it would close without a word). */
#define CONN_MEMORY (32u << 10)
#define CONN_RESPONSE_RESERVE (6u << 10)
#define SERVER_THREADS_MAX 256         /* --threads */

/* ---- per-connection and per-request state ------------------------------------------------- */

struct conn {
        struct conn *prev, *next;
        int fd;
        unsigned char key[16]; /* the client: IPv4 address, or IPv6 /64 (see connections_sockaddr_key) */
        size_t klen;
        _Atomic int64_t deadline_ms;  /* monotonic; the reaper shuts the socket down after it */
        bool killed;
        char addr[INET6_ADDRSTRLEN];  /* the client, as the access log writes it */
};

struct req {
        int64_t start_ns;
        char *target;                 /* raw request target in origin-form, NUL-terminated, what is
                                       * routed; NULL when too long */
        size_t target_len;
        /* The target as the request line sent it (the access log's): target itself, or the
         * absolute-form "http://HOST/PATH" whose path and query target holds. */
        const char *line_target;
        size_t line_target_len;
        /* Where the target libmicrohttpd handed over ends: its version follows one byte further
         * unless a NUL byte in the target cut the string short (see refused()). */
        uintptr_t line_target_end;
        const char *host;             /* an absolute-form target's authority, which replaces the
                                       * Host header (RFC 9112, section 3.2.2); NULL otherwise */
        char method[8];
        char version[12];
        bool seen;                    /* the access handler ran once */
        bool answered;                /* a response was queued */
        bool post;
        bool api_target;              /* the target begins with /api/: errors in JSON, even a 414 */
        const struct ps_language *lang; /* the page's language: its /xx prefix, or Accept-Language */
        bool prefixed;                /* the target began with /xx */
        size_t lang_skip;             /* bytes of that prefix in target */
        char *body;                   /* POST only: BODY_MAX + 1 bytes, NUL-terminated */
        size_t body_len;
        long long sent;               /* bytes of the body queued (the access log's), -1: none */
        struct http_route route;      /* last but one: connections_on_uri() zeroes what comes before */
        char target_buf[];            /* target points here */
};

/* ---- cached responses ---------------------------------------------------------------------- */

struct cached {
        struct MHD_Response *resp;
        struct MHD_Response *gz;      /* the same body gzipped, or NULL (not worth it, or no memory) */
        char etag[24];                /* "\"" 16 hex "\"", or "\"" 16 hex "-gz\"" (a gzip variant) */
        char etag_gz[24];             /* "\"" 16 hex "-gz\"" */
        const char *cache;            /* respond_cached_variant(): its Cache-Control */
        size_t len, gz_len;           /* the bodies' lengths */
        const char *body, *gz_body;   /* the bodies, owned by resp and gz (respond_cached_twin() borrows them) */
        size_t size;
        /* respond_cached_per_thread(): each worker thread's own copy of resp (by server_slot(),
         * made on its first use), over the same body, which the last of them frees (shared). One
         * response shared by every thread has its reference count and lock written by all of
         * them, a cache line moved between cores on every request. */
        struct shared_bytes *shared;
        struct MHD_Response **mine;
        unsigned nmine;
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
        /* One daemon per worker thread, each on its own SO_REUSEPORT socket bound to the same
         * address: the kernel spreads new connections evenly between them. (libmicrohttpd's thread
         * pool shares one socket, and whichever worker wakes first accepts: under a burst of
         * connections one worker could take them all while the other CPU idled.) */
        struct MHD_Daemon *daemons[SERVER_THREADS_MAX];
        int listen_fds[SERVER_THREADS_MAX];
        unsigned ndaemons;
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
        pthread_t reaper;
        bool reaper_started;
        pthread_mutex_t stop_lock;
        pthread_cond_t stop_cond;
        bool stopping;

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

/* ---- respond.c: building and queueing responses --------------------------------------------- */

/* A response over len bytes at body that it borrows (they outlive it): libmicrohttpd's
 * MHD_RESPMEM_PERSISTENT, const-correct. NULL when out of memory. */
struct MHD_Response *respond_static(const void *body, size_t len);
/* These return what MHD_queue_response returned, or MHD_NO when out of memory (libmicrohttpd
 * then closes the connection). A body passed in is malloc'd and taken over, even on failure. */
void respond_etag(const void *data, size_t len, char out[20]);
struct MHD_Response *respond_make(struct http_server *s, char *body, size_t len, const char *type, const char *cache,
                                  const char *etag);
struct cached *respond_cached_new(struct http_server *s, char *body, size_t len, const char *type, const char *cache);
/* The responses of `of` (made by respond_cached_new() with the same type) with another
 * Cache-Control, over of's bodies: the same bytes, ETags and encodings without a copy. It borrows
 * them: free it before of. */
struct cached *respond_cached_twin(struct http_server *s, const struct cached *of, const char *type,
                                   const char *cache);
/* A refusal that says when to ask again (429, 503): body (malloc'd, taken) with Retry-After. */
enum MHD_Result respond_retry_after(struct http_server *s, struct MHD_Connection *conn, unsigned status, char *body,
                                    size_t len, const char *type, unsigned seconds);
/* Queues r (taken over: destroyed here) with its body of len bytes, counted in /metrics. */
enum MHD_Result respond_queue(struct http_server *s, struct MHD_Connection *conn, unsigned status,
                              struct MHD_Response *r, size_t len);
void respond_cached_free(struct cached *c); /* accepts NULL */
/* One variant of a response, for the response cache: gzipped when gzip and that shrinks it, with
 * its ETag, Content-Encoding and Vary; cache is its Cache-Control. Takes body. */
struct cached *respond_cached_variant(struct http_server *s, char *body, size_t len, const char *type,
                                      const char *cache, bool gzip);
/* c (from respond_cached_variant()) is to be kept and sent many times: from now on each worker
 * thread sends it from a response of its own (struct cached), and c->size counts them. */
void respond_cached_per_thread(struct http_server *s, struct cached *c);
/* Whether the client takes gzip (Accept-Encoding). */
bool respond_wants_gzip(struct MHD_Connection *conn);
/* c's response, or 304 when the client holds it (If-None-Match). */
enum MHD_Result respond_cached(struct http_server *s, struct MHD_Connection *conn, struct cached *c, const char *cache);
/* 200 responses get an ETag (unless RESPOND_CACHE_NONE) and honour If-None-Match. */
enum MHD_Result respond_body(struct http_server *s, struct MHD_Connection *conn, unsigned status, char *body,
                             size_t len, const char *type, const char *cache);
/* Serializes o on one line with < > & as \u escapes (no HTML sniffer can take it for markup),
 * ending in a newline; malloc'd, NULL on OOM. */
char *respond_json_text(json_t *o, size_t *ret_len);
/* Takes o (NULL: MHD_NO). */
enum MHD_Result respond_json(struct http_server *s, struct MHD_Connection *conn, unsigned status, json_t *o,
                             const char *cache);
/* An error page, or a JSON error when api. */
enum MHD_Result respond_error(struct http_server *s, struct MHD_Connection *conn, unsigned status,
                              const char *message, bool api);
/* The same, and the connection is closed after it (Connection: close): the rest of what the
 * client sent cannot be trusted to be a request (RFC 9112, section 6.3). */
enum MHD_Result respond_error_close(struct http_server *s, struct MHD_Connection *conn, unsigned status,
                                    const char *message, bool api);
/* Sends what a page renderer left in b (freeing it) with the status it returned (< 0: 500). */
enum MHD_Result respond_page(struct http_server *s, struct MHD_Connection *conn, int status, struct http_buf *b,
                             const char *cache);
enum MHD_Result respond_redirect(struct MHD_Connection *conn, unsigned status, const char *location);

/* ---- routes.c: what each request gets ------------------------------------------------------- */

/* libmicrohttpd's access handler (MHD_AccessHandlerCallback); cls is the server. */
enum MHD_Result routes_on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **req_cls);
/* The response the handler queued has a body of `bytes` (the access log's count). */
void routes_note_sent(size_t bytes);

/* ---- connections.c: request and connection bookkeeping, the reaper --------------------------- */

/* The client's rate-limit and connection-limit key: an IPv4 address or an IPv6 /64. Returns its
 * length (0: none). */
size_t connections_sockaddr_key(const struct sockaddr *sa, unsigned char key[16]);
size_t connections_client_key(struct MHD_Connection *conn, unsigned char key[16]);
void *connections_on_uri(void *cls, const char *uri, struct MHD_Connection *conn);
void connections_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                              enum MHD_RequestTerminationCode toe);
void connections_on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                               enum MHD_ConnectionNotificationCode toe);
enum MHD_Result connections_accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen);
/* The reaper thread (pthread start routine; arg is the server). */
void *connections_reaper(void *arg);

/* ---- metrics.c ----------------------------------------------------------------------------- */

/* Counts a finished request. */
void metrics_count(struct http_server *s, const struct req *rq, unsigned status, double seconds);
/* Counts the body bytes of a response queued. */
void metrics_sent(struct http_server *s, size_t bytes);
/* GET /metrics: the Prometheus text. */
enum MHD_Result metrics_serve(struct http_server *s, struct MHD_Connection *conn);

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
 * for terminals, queued for the writer whole. addr: the client's address from access_log_addr(),
 * or NULL to look it up. */
void access_log_write(struct http_server *s, struct MHD_Connection *conn, const struct req *rq, const char *addr,
                      unsigned status, double seconds);
