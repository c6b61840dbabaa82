/* portscope serve — connections and requests: accepting within the per-client and total limits,
 * the state of each request and what its end counts, and the reaper.
 *
 * h2o's request timeout counts from the moment it waits for a request until the whole head is
 * read, so a client trickling one byte a second is cut off after idle_timeout; but once a request
 * is read, nothing bounds how long its answer takes to leave (a client that does not read). Each
 * loop therefore shuts down, a few times a second, any of its connections whose current request
 * has not been answered within request_timeout. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

size_t connections_sockaddr_key(const struct sockaddr *sa, unsigned char key[16])
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

/* h2o closed the connection's socket (h2o_socket_t.on_close, after close(2)): on the loop's own
 * thread, which is the only one that shuts its descriptor down, so the number is not reused
 * under the reaper. */
static void conn_closed(void *data)
{
        struct conn *c = data;
        struct http_server *s = c->w->s;
        pthread_mutex_lock(&s->conn_lock);
        if (c->prev)
                c->prev->next = c->next;
        else
                s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        s->nconns--;
        pthread_mutex_unlock(&s->conn_lock);
        free(c);
}

/* Takes one waiting connection: 1 when one was taken (or refused), 0 when none waits. */
static int accept_one(struct worker *w)
{
        struct http_server *s = w->s;
        struct sockaddr_storage sa;
        socklen_t salen = sizeof sa;
        int fd = accept4(w->listen_fd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
                return errno == EINTR || errno == ECONNABORTED ? 1 : 0; /* EAGAIN, or EMFILE: next time */
        unsigned char key[16];
        size_t klen = connections_sockaddr_key((const struct sockaddr *)&sa, key);
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
                close(fd);
                return 1;
        }
        /* The limits: connections in all, and per client (an IPv4 address or an IPv6 /64: one
         * host usually holds a whole /64), a short scan of at most the connection limit. */
        pthread_mutex_lock(&s->conn_lock);
        unsigned n = 0;
        if (klen)
                for (const struct conn *o = s->conns; o; o = o->next)
                        n += o->klen == klen && memcmp(o->key, key, klen) == 0;
        if (s->nconns >= s->max_connections || n >= s->max_per_client) {
                pthread_mutex_unlock(&s->conn_lock);
                free(c);
                close(fd);
                return 1;
        }
        c->w = w;
        c->fd = fd;
        memcpy(c->key, key, klen);
        c->klen = klen;
        c->deadline_ms = server_now_ns() / 1000000 + (int64_t)s->request_timeout * 1000;
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        s->nconns++;
        pthread_mutex_unlock(&s->conn_lock);
        access_log_addr((const struct sockaddr *)&sa, c->addr);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        /* As h2o_evloop_socket_accept() makes them: its loop runs accepted sockets as a server's. */
        h2o_socket_t *sock = h2o_evloop_socket_create(w->loop, fd, H2O_SOCKET_FLAG_IS_ACCEPTED_CONNECTION);
        c->sock = sock;
        sock->on_close.cb = conn_closed;
        sock->on_close.data = c;
        h2o_accept(&w->actx, sock);
        return 1;
}

void connections_on_accept(h2o_socket_t *listener, const char *err)
{
        struct worker *w = listener->data;
        if (err)
                return;
        /* A few per wakeup: the loop's other connections get their turn. */
        for (int i = 0; i < 32 && accept_one(w); i++)
                ;
}

/* The connection a request came on, or NULL. */
static struct conn *conn_of(h2o_req_t *hr)
{
        if (!hr->conn->callbacks->get_socket)
                return NULL;
        h2o_socket_t *sock = hr->conn->callbacks->get_socket(hr->conn);
        return sock && sock->on_close.cb == conn_closed ? sock->on_close.data : NULL;
}

/* The request is done (h2o disposes of its pool): what it counts. */
static void req_done(void *p)
{
        struct req *rq = p;
        struct http_server *s = rq->s;
        h2o_req_t *hr = rq->hr;
        int64_t now = server_now_ns();
        double seconds = (double)(now - rq->start_ns) / 1e9;
        unsigned status = hr->res.status > 0 ? (unsigned)hr->res.status : 0;
        metrics_count(s, rq, status, seconds);
        if (s->log) {
                size_t ualen = 0;
                const char *ua = respond_header(hr, H2O_TOKEN_USER_AGENT, &ualen);
                access_log_write(s, ua, ualen, rq, rq->conn ? rq->conn->addr : "-", status, seconds);
        }
        /* The next request on this connection gets a fresh deadline. */
        if (rq->conn)
                rq->conn->deadline_ms = now / 1000000 + (int64_t)s->request_timeout * 1000;
        atomic_fetch_sub_explicit(&server_shard(s)->inflight, 1, memory_order_relaxed);
        if (rq->hold.release)
                rq->hold.release(rq->hold.a, rq->hold.b);
}

struct req *connections_new_req(struct http_server *s, h2o_req_t *hr)
{
        const char *uri = hr->input.path.base;
        size_t len = hr->input.path.len;
        bool fits = len <= HTTP_TARGET_MAX;
        /* The absolute-form ("http://HOST/PATH", RFC 9112, section 3.2.2): its path and query are
         * what is routed, after the target as sent and the authority. Another scheme, or a
         * malformed one, is left as it came: http_route_parse() refuses it (400). */
        struct http_absolute a;
        bool absolute = fits && len > 0 && uri[0] != '/' && http_target_absolute(uri, len, &a) == 0;
        size_t extra = absolute ? a.host_len + 1 + 1 + (len - a.path_off) + 1 : 0;
        struct req *rq = h2o_mem_alloc_shared(&hr->pool, sizeof *rq + (fits ? len + 1 + extra : 0), req_done);
        /* Not all zeroed: the route's 400 bytes of text buffers need no zeroes, on every request. */
        memset(rq, 0, offsetof(struct req, route)); /* hold included */
        http_route_clear(&rq->route);
        rq->s = s;
        rq->hr = hr;
        rq->conn = conn_of(hr);
        rq->start_ns = server_now_ns();
        rq->sent = -1;
        if (fits) {
                rq->target = rq->target_buf;
                memcpy(rq->target, uri, len);
                rq->target[len] = '\0';
                rq->target_len = len;
        }
        if (absolute) {
                char *host = rq->target_buf + len + 1, *path = host + a.host_len + 1;
                memcpy(host, uri + a.host_off, a.host_len);
                host[a.host_len] = '\0';
                size_t n = 0;
                if (a.path_off == len || uri[a.path_off] != '/')
                        path[n++] = '/'; /* "http://HOST" and "http://HOST?q" are "/" and "/?q" */
                memcpy(path + n, uri + a.path_off, len - a.path_off);
                n += len - a.path_off;
                path[n] = '\0';
                rq->host = host;
                rq->target = path;
                rq->target_len = n;
        }
        rq->line_target = fits ? rq->target_buf : uri;
        rq->line_target_len = len;
        rq->api_target = http_target_api(uri, len);
        size_t ml = hr->input.method.len < sizeof rq->method - 1 ? hr->input.method.len : sizeof rq->method - 1;
        memcpy(rq->method, hr->input.method.base, ml);
        rq->method[ml] = '\0';
        memcpy(rq->version, hr->version >= 0x101 ? "HTTP/1.1" : "HTTP/1.0", 9);
        atomic_fetch_add_explicit(&server_shard(s)->inflight, 1, memory_order_relaxed);
        return rq;
}

/* The most input a connection may hold unanswered: a head refused with 431 (past HEAD_MAX) is
 * still read whole, and a body (BODY_MAX) or a few pipelined requests may follow it. */
#define INPUT_MAX (HEAD_MAX + BODY_MAX + (32u << 10))

void connections_reap(struct worker *w, bool all)
{
        struct http_server *s = w->s;
        int64_t now = server_now_ns() / 1000000;
        pthread_mutex_lock(&s->conn_lock);
        for (struct conn *c = s->conns; c; c = c->next) {
                if (c->w != w || c->killed)
                        continue;
                /* h2o reads a head of up to 8 KiB + 4 KiB a header (100 of them: 408 KiB)
                 * before it refuses one: a connection holding more unread input than any
                 * answerable request needs is cut at the next look, not at the idle timeout. */
                bool hoarding = c->sock->input && c->sock->input->size > INPUT_MAX;
                if (all || now > c->deadline_ms || hoarding) {
                        /* h2o sees the end at its next read or write, and closes the connection. */
                        shutdown(c->fd, SHUT_RDWR);
                        c->killed = true;
                        if (!all)
                                atomic_fetch_add_explicit(&s->m.reaped, 1, memory_order_relaxed);
                }
        }
        pthread_mutex_unlock(&s->conn_lock);
}

unsigned connections_of(struct worker *w, unsigned *ret_pending)
{
        struct http_server *s = w->s;
        unsigned n = 0, pending = 0;
        pthread_mutex_lock(&s->conn_lock);
        for (const struct conn *c = s->conns; c; c = c->next)
                if (c->w == w) {
                        n++;
                        /* Bytes read and not consumed: a request begun (or being answered). */
                        pending += !c->killed && c->sock->input && c->sock->input->size > 0;
                }
        pthread_mutex_unlock(&s->conn_lock);
        if (ret_pending)
                *ret_pending = pending;
        return n;
}
