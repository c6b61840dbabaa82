/* A floor under portscope serve, on libh2o-evloop (h2o 2.2.5, Debian 12): fixed bytes
 * with fixed headers, one h2o event loop per thread, each on its own SO_REUSEPORT socket on
 * 127.0.0.1:PORT, HTTP/1.1 keep-alive, no access log.
 *
 *   h2o-floor mem|file PORT THREADS PATH BODY HEADERS [PATH BODY HEADERS...]
 *
 * mem:  the body is held in memory and handed to h2o_send() (no copy by us; h2o writev()s the
 *       header block and our buffer together).
 * file: h2o_file_send() on BODY (h2o's file generator; h2o 2.2.5 pread()s into a buffer, it has
 *       no sendfile(2)). Content-Type then comes from h2o_file_send's mime argument, and h2o adds
 *       last-modified and accept-ranges of its own (as nginx does); its ETag is off, ours is sent.
 * HEADERS is a `curl -D` header block; status line, Date, Content-Length, Connection are skipped.
 * Prints "ready", runs until SIGTERM/SIGINT. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "floor-input.h"

#define MAX_PATHS 8
#define MAX_HEADERS 32
#define MAX_THREADS 64

struct header {
        const h2o_token_t *token; /* NULL: not a known token */
        char *name, *lname, *value;
        size_t name_len, value_len;
};

struct page {
        const char *path, *file;
        size_t path_len;
        char *body;
        size_t len;
        struct header h[MAX_HEADERS];
        int nh;
        h2o_iovec_t mime;
};

static struct page pages[MAX_PATHS];
static int npages, use_file;
static unsigned port;
static h2o_globalconf_t config;

/* One saved header of page p (floor_each_header()'s callback). */
static int keep_header(void *arg, const char *name, const char *value)
{
        struct page *p = arg;
        if (strcasecmp(name, "content-type") == 0) {
                p->mime = h2o_iovec_init(strdup(value), strlen(value));
                if (use_file) /* h2o_file_send sets it from its mime argument */
                        return 0;
        }
        if (p->nh == MAX_HEADERS)
                return -1;
        struct header *h = &p->h[p->nh++];
        h->name = strdup(name);
        h->name_len = strlen(name);
        h->lname = strdup(name);
        for (char *c = h->lname; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        h->value = strdup(value);
        h->value_len = strlen(value);
        h->token = h2o_lookup_token(h->lname, h->name_len); /* tokens are lower case */
        return 0;
}

static void add_headers(h2o_req_t *req, const struct page *p)
{
        for (int i = 0; i < p->nh; i++) {
                const struct header *h = &p->h[i];
                if (h->token) /* orig_name keeps portscope's spelling on HTTP/1 */
                        h2o_add_header(&req->pool, &req->res.headers, h->token, h->name, h->value, h->value_len);
                else
                        h2o_add_header_by_str(&req->pool, &req->res.headers, h->lname, h->name_len, 0, h->name,
                                              h->value, h->value_len);
        }
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
        static h2o_generator_t generator = { NULL, NULL }; /* the whole body goes in one final h2o_send */
        (void)self;
        for (int i = 0; i < npages; i++) {
                struct page *p = &pages[i];
                if (req->path.len != p->path_len || memcmp(req->path.base, p->path, p->path_len) != 0)
                        continue;
                add_headers(req, p);
                if (use_file) {
                        if (h2o_file_send(req, 200, "OK", p->file, p->mime, H2O_FILE_FLAG_NO_ETAG) != 0)
                                break;
                        return 0;
                }
                req->res.status = 200;
                req->res.reason = "OK";
                req->res.content_length = p->len;
                h2o_start_response(req, &generator);
                h2o_iovec_t body = h2o_iovec_init(p->body, p->len);
                if (req->method.len == 4 && memcmp(req->method.base, "HEAD", 4) == 0)
                        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
                else
                        h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL); /* p->body outlives the write */
                return 0;
        }
        req->res.status = 404;
        req->res.reason = "Not Found";
        h2o_send_inline(req, "", 0);
        return 0;
}

static void on_accept(h2o_socket_t *listener_sock, const char *err)
{
        h2o_accept_ctx_t *actx = listener_sock->data;
        if (err)
                return;
        for (int i = 0; i < 16; i++) { /* drain a few pending connections per wakeup */
                h2o_socket_t *sock = h2o_evloop_socket_accept(listener_sock);
                if (!sock)
                        break;
                h2o_accept(actx, sock);
        }
}

struct worker {
        pthread_t tid;
        int fd;
        h2o_evloop_t *loop;
        h2o_context_t ctx;
        h2o_accept_ctx_t actx;
};

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static void *run(void *arg)
{
        struct worker *w = arg;
        /* Everything per loop is made on the loop's own thread: h2o's memory-pool recycling
         * is thread-local and h2o_context_t is not to be shared. h2o_context_init touches the
         * shared global config (handler context slots), so it is serialised. */
        pthread_mutex_lock(&init_lock);
        w->loop = h2o_evloop_create();
        h2o_context_init(&w->ctx, w->loop, &config);
        pthread_mutex_unlock(&init_lock);
        w->actx.ctx = &w->ctx;
        w->actx.hosts = config.hosts;
        h2o_socket_t *ls = h2o_evloop_socket_create(w->loop, w->fd, H2O_SOCKET_FLAG_DONT_READ);
        ls->data = &w->actx;
        h2o_socket_read_start(ls, on_accept);
        /* not `while (h2o_evloop_run(...) == 0)`: it returns -1 when epoll_wait fails with EINTR
         * (e.g. when strace attaches), which would end the thread and leave its socket unserved */
        for (;;)
                h2o_evloop_run(w->loop, INT32_MAX);
        return NULL;
}

int main(int argc, char **argv)
{
        if (argc < 7 || (argc - 4) % 3 != 0 || (argc - 4) / 3 > MAX_PATHS ||
            (strcmp(argv[1], "mem") != 0 && strcmp(argv[1], "file") != 0)) {
                fprintf(stderr, "usage: h2o-floor mem|file PORT THREADS PATH BODY HEADERS [PATH BODY HEADERS...]\n");
                return 2;
        }
        use_file = strcmp(argv[1], "file") == 0;
        port = (unsigned)strtoul(argv[2], NULL, 10);
        unsigned threads = (unsigned)strtoul(argv[3], NULL, 10);
        if (port == 0 || port > 65535 || threads == 0 || threads > MAX_THREADS) {
                fprintf(stderr, "h2o-floor: bad port or thread count\n");
                return 2;
        }
        for (int a = 4; a < argc; a += 3) {
                struct page *p = &pages[npages++];
                p->path = argv[a];
                p->path_len = strlen(p->path);
                p->file = argv[a + 1];
                if (!(p->body = floor_slurp(p->file, &p->len)) || floor_each_header(argv[a + 2], keep_header, p) < 0) {
                        fprintf(stderr, "h2o-floor: cannot read %s or %s\n", argv[a + 1], argv[a + 2]);
                        return 1;
                }
                if (!p->mime.base)
                        p->mime = h2o_iovec_init(H2O_STRLIT("application/octet-stream"));
        }

        h2o_config_init(&config);
        config.filecache.capacity = 64; /* the file variant keeps its fds open, as nginx's open_file_cache */
        h2o_hostconf_t *host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
        h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
        h2o_handler_t *handler = h2o_create_handler(path, sizeof *handler);
        handler->on_req = on_req;

        signal(SIGPIPE, SIG_IGN);
        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the loops' threads inherit it */
        static struct worker w[MAX_THREADS];
        for (unsigned t = 0; t < threads; t++) {
                if ((w[t].fd = floor_listener(port)) < 0) {
                        fprintf(stderr, "h2o-floor: cannot listen on 127.0.0.1:%u: %s\n", port, strerror(errno));
                        return 1;
                }
        }
        for (unsigned t = 0; t < threads; t++)
                if (pthread_create(&w[t].tid, NULL, run, &w[t]) != 0)
                        return 1;
        printf("ready\n");
        fflush(stdout);
        int sig;
        sigwait(&stop, &sig);
        return 0; /* the loops are not stopped one by one: exiting ends them */
}
