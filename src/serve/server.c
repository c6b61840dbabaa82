/* portscope serve — starting and stopping the server: one h2o event loop per worker thread,
 * each on its own listening socket, the fixed pages rendered at start, the feedback store. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "portscope/util.h"

int64_t server_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

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

static bool sockaddr_is_loopback(const struct sockaddr_storage *sa)
{
        if (sa->ss_family == AF_INET)
                return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a6) ||
               (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
}

/* Binds a plain socket to sa (not listening) to see that the address is free, and writes the
 * port it got into sa (which matters when sa asked for port 0); closes it. */
static int probe_port(struct sockaddr_storage *sa, socklen_t salen)
{
        int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (sa->ss_family == AF_INET6)
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        struct sockaddr_storage bound;
        socklen_t blen = sizeof bound;
        if (bind(fd, (const struct sockaddr *)sa, salen) < 0 || getsockname(fd, (struct sockaddr *)&bound, &blen) < 0) {
                int e = -errno;
                close(fd);
                return e;
        }
        close(fd);
        if (sa->ss_family == AF_INET6)
                ((struct sockaddr_in6 *)sa)->sin6_port = ((struct sockaddr_in6 *)&bound)->sin6_port;
        else
                ((struct sockaddr_in *)sa)->sin_port = ((struct sockaddr_in *)&bound)->sin_port;
        return 0;
}

/* reuseport: one of several sockets on the same address, one per worker thread. */
static int open_listener(const struct sockaddr_storage *sa, socklen_t salen, bool reuseport)
{
        int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
                int e = -errno;
                close(fd);
                return e;
        }
        if (sa->ss_family == AF_INET6)
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, (const struct sockaddr *)sa, salen) < 0 || listen(fd, 1024) < 0) {
                int e = -errno;
                close(fd);
                return e;
        }
        return fd;
}

static void cached_free_value(void *value, void *arg)
{
        (void)arg;
        respond_cached_free(value);
}

/* The map image of one protocol, cached. */
static struct cached *map_png_of(struct http_server *s, enum ps_proto proto)
{
        uint8_t *classes = malloc(65536);
        if (!classes)
                return NULL;
        http_map_classify_proto(s->ctx.reg, s->ctx.know, (int)proto, classes);
        uint8_t *png = NULL;
        size_t len = 0;
        int r = http_map_png(classes, &png, &len);
        free(classes);
        return r == 0 ? respond_cached_new((char *)png, len, RESPOND_PNG, RESPOND_CACHE_LONG) : NULL;
}

static void server_free(struct http_server *s)
{
        if (!s)
                return;
        for (unsigned i = 0; i < SERVER_THREADS_MAX; i++)
                http_cache_front_free(s->fronts[i]); /* before the cache */
        http_cache_free(s->cache); /* after the loops: no request holds an entry */
        respond_cached_free(s->style_versioned); /* before the stylesheet whose bytes it borrows */
        for (int i = 0; i < HTTP_NROUTES; i++)
                respond_cached_free(s->fixed[i]);
        respond_cached_free(s->map_udp_png);
        http_ratelimit_free(s->votes);
        access_log_close(s->log); /* after the loops: every request has been logged */
        http_feedback_close(s->ctx.feedback);
        if (s->config_ready)
                h2o_config_dispose(&s->config);
        pthread_mutex_destroy(&s->conn_lock);
        free(s->workers);
        free(s->shards);
        free(s);
}

unsigned server_slot(struct http_server *s)
{
        static _Thread_local uint64_t owner;
        static _Thread_local unsigned slot;
        if (owner != s->id) {
                unsigned n = atomic_fetch_add_explicit(&s->slots_used, 1, memory_order_relaxed);
                slot = n < s->nshards ? n : s->nshards - 1;
                owner = s->id;
        }
        return slot;
}

long server_inflight(struct http_server *s)
{
        long n = 0;
        for (unsigned i = 0; i < s->nshards; i++)
                n += atomic_load_explicit(&s->shards[i].inflight, memory_order_relaxed);
        return n;
}

/* h2o's handler: every request, read whole (head and body), comes here. */
struct server_handler {
        h2o_handler_t super;
        struct http_server *s;
};

static int on_req(h2o_handler_t *self, h2o_req_t *hr)
{
        struct http_server *s = ((struct server_handler *)self)->s;
        routes_on_request(s, connections_new_req(s, hr));
        return 0;
}

/* h2o's configuration: one host, one path, our handler; the limits. */
static void configure(struct http_server *s)
{
        h2o_config_init(&s->config);
        s->config_ready = true;
        s->config.server_name = h2o_iovec_init(H2O_STRLIT("")); /* no Server header */
        s->config.max_request_entity_size = BODY_MAX;           /* larger: h2o answers 413 */
        /* From waiting for a request to having its head: an idle connection, or one trickling. */
        s->config.http1.req_timeout = (uint64_t)s->idle_timeout * 1000;
        s->config.http1.upgrade_to_http2 = 0;
        h2o_hostconf_t *host = h2o_config_register_host(&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
        h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
        struct server_handler *h = (struct server_handler *)h2o_create_handler(path, sizeof *h);
        h->super.on_req = on_req;
        h->s = s;
}

static pthread_mutex_t context_lock = PTHREAD_MUTEX_INITIALIZER;

#define REAP_MS 250 /* how often a loop looks for connections past their deadline */

static void close_listener(struct worker *w)
{
        if (w->listener) {
                h2o_socket_read_stop(w->listener);
                h2o_socket_close(w->listener); /* closes listen_fd */
                w->listener = NULL;
                w->listen_fd = -1;
        }
}

/* One worker thread: its loop, made on the thread (h2o's allocators are per thread), until
 * stop_loops; then it closes its connections and waits (a second at most) for them to go. */
static void *worker_run(void *arg)
{
        struct worker *w = arg;
        struct http_server *s = w->s;
        w->loop = h2o_evloop_create();
        /* h2o_context_init() writes the shared configuration (its handlers' context slots). */
        pthread_mutex_lock(&context_lock);
        h2o_context_init(&w->ctx, w->loop, &s->config);
        pthread_mutex_unlock(&context_lock);
        w->actx.ctx = &w->ctx;
        w->actx.hosts = s->config.hosts;
        w->listener = h2o_evloop_socket_create(w->loop, w->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
        w->listener->data = w;
        h2o_socket_read_start(w->listener, connections_on_accept);
        w->next_reap_ms = server_now_ns() / 1000000 + REAP_MS;
        while (!atomic_load_explicit(&s->stop_loops, memory_order_relaxed)) {
                h2o_evloop_run(w->loop, 100); /* -1 on EINTR: nothing to do but go on */
                /* After each batch of events, the core goes to whatever else waits for it: a
                 * client on this machine (a local proxy, a browser, wrk) then reads its answer
                 * and sends the next request at once, instead of when the scheduler preempts a
                 * loop that finds new events every time it looks. On 2 shared cores under wrk
                 * this took the p99 from about 6 ms to under 1 and the rate of /ports/625 from
                 * 0.92 of nginx's to 1.15 (docs/serve.md); alone on its cores it costs one
                 * system call per batch. */
                sched_yield();
                if (atomic_load_explicit(&s->quiesce, memory_order_relaxed)) {
                        if (w->listener) {
                                close_listener(w);
                                /* No more keep-alive (h2o_context_request_shutdown() would
                                 * also arm HTTP/2's graceful-shutdown timers, which this
                                 * server does not speak, and h2o_context_dispose() asserts
                                 * that no timer is armed). */
                                w->ctx.shutdown_requested = 1;
                        }
                        unsigned pending = 0;
                        connections_of(w, &pending);
                        atomic_store(&w->pending, pending);
                }
                int64_t now = server_now_ns() / 1000000;
                if (now >= w->next_reap_ms) {
                        connections_reap(w, false);
                        w->next_reap_ms = now + REAP_MS;
                }
        }
        close_listener(w);
        connections_reap(w, true);
        int64_t until = server_now_ns() + 1000000000LL;
        while (connections_of(w, NULL) > 0 && server_now_ns() < until)
                h2o_evloop_run(w->loop, 10);
        pthread_mutex_lock(&context_lock);
        h2o_context_dispose(&w->ctx);
        pthread_mutex_unlock(&context_lock);
        if (connections_of(w, NULL) == 0)
                h2o_evloop_destroy(w->loop);
        return NULL;
}

/* Ends every worker thread (each closes its connections), and closes the listening sockets of
 * those that never started. */
static void stop_workers(struct http_server *s)
{
        atomic_store(&s->quiesce, true);
        atomic_store(&s->stop_loops, true);
        for (unsigned i = 0; i < s->nworkers; i++) {
                struct worker *w = &s->workers[i];
                if (w->started)
                        pthread_join(w->tid, NULL);
                else if (w->listen_fd >= 0)
                        close(w->listen_fd);
                w->started = false;
                w->listen_fd = -1;
        }
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
        s->loopback = sockaddr_is_loopback(&sa);
        s->started = time(NULL);
        s->request_timeout = cfg->request_timeout ? cfg->request_timeout : 15;
        s->feedback_refill = cfg->feedback_refill ? cfg->feedback_refill : 60;
        s->ctx.reg = cfg->registry;
        s->ctx.know = cfg->knowledge;
        s->ctx.history = cfg->history;
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
        unsigned threads = cfg->threads;
        if (threads == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                threads = n > 0 ? (unsigned)n : 1;
        }
        if (threads > SERVER_THREADS_MAX)
                threads = SERVER_THREADS_MAX;
        /* One metrics shard (and access-log buffer) per worker thread, and one for any other. */
        static atomic_uint_fast64_t server_ids = 1;
        s->id = atomic_fetch_add(&server_ids, 1);
        s->nshards = threads + 1;
        s->shards = aligned_alloc(_Alignof(struct metrics_shard), s->nshards * sizeof *s->shards);
        if (!s->shards) {
                r = -ENOMEM;
                snprintf(err, errlen, "out of memory");
                goto fail;
        }
        memset(s->shards, 0, s->nshards * sizeof *s->shards);
        if (cfg->access_log) {
                r = access_log_open(cfg->access_log, s->nshards, &s->log);
                if (r < 0) {
                        snprintf(err, errlen, "cannot start the access log: %s", strerror(-r));
                        goto fail;
                }
        }
        s->votes = http_ratelimit_new(cfg->feedback_burst ? cfg->feedback_burst : 10,
                                      cfg->feedback_refill ? cfg->feedback_refill : 60.0, 4096);
        if (!s->votes) {
                r = -ENOMEM;
                snprintf(err, errlen, "out of memory");
                goto fail;
        }

        http_map_classify(s->ctx.reg, s->ctx.know, s->classes);

        char script_hash[45];
        http_sha256_base64(http_page_script(), strlen(http_page_script()), script_hash);
        r = snprintf(s->csp, sizeof s->csp,
                     "default-src 'none'; img-src 'self' data:; connect-src 'self'; style-src 'self'; script-src 'sha256-%s'; "
                     "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
                     script_hash);
        if (r < 0 || (size_t)r >= sizeof s->csp) {
                r = -EOVERFLOW;
                snprintf(err, errlen, "internal error: CSP too long");
                goto fail;
        }

        http_date_of_day(registry_source(s->ctx.reg)->date, s->last_modified, sizeof s->last_modified);

        /* Pages and objects are rendered on first request, per variant (cache.h); the images and
         * /healthz have one variant only and are made now. */
        s->cache = http_cache_new(CACHE_ENTRIES, CACHE_BYTES, cached_free_value, NULL);
        for (unsigned i = 0; s->cache && i + 1 < s->nshards; i++)
                if (!(s->fronts[i] = http_cache_front_new(s->cache))) {
                        r = -ENOMEM;
                        snprintf(err, errlen, "out of memory");
                        goto fail;
                }
        s->fixed[HTTP_ROUTE_MAP_PNG] = map_png_of(s, PS_TCP);
        s->map_udp_png = map_png_of(s, PS_UDP);
        /* The one stylesheet (http_page_style()), once in memory, under both of its URLs. */
        char *css = strdup(http_page_style());
        if (css)
                s->fixed[HTTP_ROUTE_STYLE] = respond_cached_new(css, strlen(css), RESPOND_CSS, RESPOND_CACHE_LONG);
        if (s->fixed[HTTP_ROUTE_STYLE])
                s->style_versioned = respond_cached_twin(s->fixed[HTTP_ROUTE_STYLE], RESPOND_CSS,
                                                         RESPOND_CACHE_IMMUTABLE);
        char *ok = strdup("ok\n");
        if (ok)
                s->fixed[HTTP_ROUTE_HEALTHZ] = respond_cached_new(ok, 3, RESPOND_TEXT, RESPOND_CACHE_NONE);
        if (!s->cache || !s->fixed[HTTP_ROUTE_MAP_PNG] || !s->fixed[HTTP_ROUTE_HEALTHZ] || !s->fixed[HTTP_ROUTE_STYLE] ||
            !s->style_versioned || !s->map_udp_png) {
                r = -ENOMEM;
                snprintf(err, errlen, "rendering the fixed pages failed");
                goto fail;
        }

        if (threads > 1) {
                /* The sockets share the port with SO_REUSEPORT, which would as well let them join
                 * another server of this user listening there already: a plain bind first, that
                 * fails as before when the port is taken, and picks the port when it is 0. */
                r = probe_port(&sa, salen);
                if (r < 0) {
                        snprintf(err, errlen, "cannot listen on %s: %s", listen_spec, strerror(-r));
                        goto fail;
                }
        }
        s->workers = calloc(threads, sizeof *s->workers);
        if (!s->workers) {
                r = -ENOMEM;
                snprintf(err, errlen, "out of memory");
                goto fail;
        }
        for (unsigned i = 0; i < threads; i++) {
                s->workers[i].listen_fd = -1;
                s->workers[i].s = s;
                s->workers[i].index = i;
        }
        s->nworkers = threads;
        for (unsigned i = 0; i < threads; i++) {
                r = open_listener(&sa, salen, threads > 1);
                if (r < 0) {
                        snprintf(err, errlen, "cannot listen on %s: %s", listen_spec, strerror(-r));
                        goto fail;
                }
                s->workers[i].listen_fd = r;
        }
        struct sockaddr_storage bound;
        socklen_t blen = sizeof bound;
        if (getsockname(s->workers[0].listen_fd, (struct sockaddr *)&bound, &blen) == 0)
                s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                            : ((struct sockaddr_in *)&bound)->sin_port);
        s->max_per_client = cfg->max_per_ip ? cfg->max_per_ip : 256u;
        s->max_connections = cfg->max_connections ? cfg->max_connections : 1024u;
        s->idle_timeout = cfg->idle_timeout ? cfg->idle_timeout : 10u;
        configure(s);
        /* A write to a client that has gone must fail with EPIPE, not end the process (h2o writes
         * with writev(2)): the same as the CLI sets, for a program that did not. */
        struct sigaction old;
        if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
                signal(SIGPIPE, SIG_IGN);
        for (unsigned i = 0; i < threads; i++) {
                if (pthread_create(&s->workers[i].tid, NULL, worker_run, &s->workers[i]) != 0) {
                        r = -EAGAIN;
                        snprintf(err, errlen, "cannot start a thread");
                        goto fail;
                }
                s->workers[i].started = true;
        }
        if (sa.ss_family == AF_INET6) {
                char host[INET6_ADDRSTRLEN];
                inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host, sizeof host);
                snprintf(s->url, sizeof s->url, "http://[%s]:%u/", host, (unsigned)s->port);
        } else {
                char host[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof host);
                snprintf(s->url, sizeof s->url, "http://%s:%u/", host, (unsigned)s->port);
        }
        *ret = s;
        return 0;
fail:
        stop_workers(s);
        server_free(s);
        return r;
}

/* From our own list, not the daemons': a request on one thread must not read another thread's
 * daemon, which shutdown may be freeing. */
unsigned server_connections(struct http_server *s)
{
        pthread_mutex_lock(&s->conn_lock);
        unsigned n = s->nconns;
        pthread_mutex_unlock(&s->conn_lock);
        return n;
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

/* Whether a loop has a request begun and not answered (or has not looked yet). */
static bool workers_pending(struct http_server *s)
{
        for (unsigned i = 0; i < s->nworkers; i++)
                if (atomic_load(&s->workers[i].pending))
                        return true;
        return false;
}

void http_server_stop(struct http_server *s, unsigned grace_ms)
{
        if (!s)
                return;
        /* Stop accepting; requests in flight may finish within the grace period. */
        for (unsigned i = 0; i < s->nworkers; i++)
                atomic_store(&s->workers[i].pending, 1); /* until its loop has looked */
        atomic_store(&s->quiesce, true);
        int64_t until = server_now_ns() + (int64_t)grace_ms * 1000000;
        while ((server_inflight(s) > 0 || workers_pending(s)) && server_now_ns() < until) {
                struct timespec ts = { 0, 10 * 1000000L };
                nanosleep(&ts, NULL);
        }
        stop_workers(s);
        server_free(s);
}
