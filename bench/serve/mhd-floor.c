/* The floor under `portscope serve`: libmicrohttpd answering fixed bytes, set up as serve sets it
 * up (one epoll daemon per thread on its own SO_REUSEPORT socket, TURBO, the same pool and
 * timeout, each thread its own response, the response queued on the handler's second call), and
 * nothing else: no routing, no cache lookup, no language, no access log. bench/serve.sh runs it
 * beside portscope and nginx (FLOOR=1): the gap between it and portscope is portscope's own work
 * per request, the gap between it and nginx is libmicrohttpd's.
 *
 *   mhd-floor PORT THREADS PATH BODY HEADERS [PATH BODY HEADERS...]
 *
 * BODY is the file of bytes to send for the target PATH (exact match, else 404); HEADERS is a
 * response header block as `curl -D` writes it (its status line, Date, Content-Length and
 * Connection are skipped: libmicrohttpd makes them). Listens on 127.0.0.1:PORT, prints "ready",
 * and runs until SIGTERM or SIGINT. */
#include <errno.h>
#include <microhttpd.h>
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

#include "floor-input.h"

#define MAX_PATHS 8
#define MAX_THREADS 64
#define POOL (32u << 10) /* serve's CONN_MEMORY */

struct page {
        const char *path;
        char *body;
        size_t len;
        struct MHD_Response *resp[MAX_THREADS];
};

static struct page pages[MAX_PATHS];
static int npages;
static struct MHD_Response *not_found[MAX_THREADS];

static int add_header(void *r, const char *name, const char *value)
{
        return MHD_add_response_header(r, name, value) == MHD_YES ? 0 : -1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **req)
{
        static int seen;
        unsigned thread = (unsigned)(uintptr_t)cls;
        (void)method;
        (void)version;
        (void)upload;
        (void)upload_size;
        if (!*req) { /* headers only: answer on the next call, as serve does (keep-alive) */
                *req = &seen;
                return MHD_YES;
        }
        for (int i = 0; i < npages; i++)
                if (strcmp(url, pages[i].path) == 0)
                        return MHD_queue_response(conn, MHD_HTTP_OK, pages[i].resp[thread]);
        return MHD_queue_response(conn, MHD_HTTP_NOT_FOUND, not_found[thread]);
}

int main(int argc, char **argv)
{
        if (argc < 6 || (argc - 3) % 3 != 0 || (argc - 3) / 3 > MAX_PATHS) {
                fprintf(stderr, "usage: mhd-floor PORT THREADS PATH BODY HEADERS [PATH BODY HEADERS...] (at most %d)\n",
                        MAX_PATHS);
                return 2;
        }
        unsigned port = (unsigned)strtoul(argv[1], NULL, 10), threads = (unsigned)strtoul(argv[2], NULL, 10);
        if (port == 0 || port > 65535 || threads == 0 || threads > MAX_THREADS) {
                fprintf(stderr, "mhd-floor: bad port or thread count\n");
                return 2;
        }
        for (int a = 3; a < argc; a += 3) {
                struct page *p = &pages[npages++];
                p->path = argv[a];
                if (!(p->body = floor_slurp(argv[a + 1], &p->len))) {
                        fprintf(stderr, "mhd-floor: cannot read %s: %s\n", argv[a + 1], strerror(errno));
                        return 1;
                }
                for (unsigned t = 0; t < threads; t++) {
                        p->resp[t] = MHD_create_response_from_buffer(p->len, p->body, MHD_RESPMEM_PERSISTENT);
                        if (!p->resp[t] || floor_each_header(argv[a + 2], add_header, p->resp[t]) < 0) {
                                fprintf(stderr, "mhd-floor: cannot make the response of %s\n", p->path);
                                return 1;
                        }
                }
        }
        for (unsigned t = 0; t < threads; t++)
                if (!(not_found[t] = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT)))
                        return 1;

        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the daemons' threads inherit it */
        struct MHD_Daemon *d[MAX_THREADS];
        for (unsigned t = 0; t < threads; t++) {
                int fd = floor_listener(port);
                if (fd < 0) {
                        fprintf(stderr, "mhd-floor: cannot listen on 127.0.0.1:%u: %s\n", port, strerror(errno));
                        return 1;
                }
                d[t] = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO | MHD_USE_ITC, 0, NULL, NULL,
                                        on_request, (void *)(uintptr_t)t, MHD_OPTION_LISTEN_SOCKET, fd,
                                        MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                        (size_t)POOL, MHD_OPTION_CONNECTION_LIMIT, 1024u / threads, MHD_OPTION_END);
                if (!d[t]) {
                        fprintf(stderr, "mhd-floor: cannot start libmicrohttpd\n");
                        return 1;
                }
        }
        printf("ready\n");
        fflush(stdout);
        int sig;
        sigwait(&stop, &sig);
        for (unsigned t = 0; t < threads; t++)
                MHD_stop_daemon(d[t]);
        return 0;
}
