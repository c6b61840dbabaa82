/* portscope serve — request and connection bookkeeping: per-request state, the per-client
 * connection limit, and the reaper.
 *
 * libmicrohttpd's own timeout only measures silence, so a client trickling one byte a second
 * would hold its connection for ever: the reaper shuts down any connection whose current
 * request has not been answered within request_timeout. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
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

size_t connections_client_key(struct MHD_Connection *conn, unsigned char key[16])
{
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        return ci ? connections_sockaddr_key(ci->client_addr, key) : 0;
}

void *connections_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
        struct http_server *s = cls;
        (void)conn;
        size_t len = strlen(uri);
        bool fits = len <= HTTP_TARGET_MAX;
        /* The absolute-form ("http://HOST/PATH", RFC 9112, section 3.2.2): its path and query are
         * what is routed, after the target as sent and the authority. Another scheme, or a
         * malformed one, is left as it came: http_route_parse() refuses it (400). */
        struct http_absolute a;
        bool absolute = fits && uri[0] != '/' && http_target_absolute(uri, len, &a) == 0;
        size_t extra = absolute ? a.host_len + 1 + 1 + (len - a.path_off) + 1 : 0;
        /* Not calloc(): the route's 400 bytes of text buffers need no zeroes, on every request. */
        struct req *rq = malloc(sizeof *rq + (fits ? len + 1 + extra : 0));
        if (!rq)
                return NULL;
        memset(rq, 0, offsetof(struct req, route));
        http_route_clear(&rq->route);
        rq->start_ns = server_now_ns();
        rq->sent = -1;
        if (fits) {
                rq->target = rq->target_buf;
                memcpy(rq->target, uri, len + 1);
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
        rq->line_target = rq->target_buf;
        rq->line_target_len = len;
        rq->line_target_end = (uintptr_t)uri + len;
        rq->api_target = http_target_api(uri, len);
        atomic_fetch_add_explicit(&server_shard(s)->inflight, 1, memory_order_relaxed);
        return rq;
}

void connections_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
        struct http_server *s = cls;
        struct req *rq = *req_cls;
        if (!rq)
                return;
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
                rq->sent = -1; /* not all sent: the client went, or the response could not be made */
        *req_cls = NULL;
        int64_t now = server_now_ns();
        double seconds = (double)(now - rq->start_ns) / 1e9;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
        unsigned status = ci ? ci->http_status : 0;
        metrics_count(s, rq, status, seconds);
        const union MHD_ConnectionInfo *sc = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        struct conn *c = sc ? sc->socket_context : NULL;
        if (s->log)
                access_log_write(s, conn, rq, c ? c->addr : NULL, status, seconds);
        if (c) {
                /* The next request on this connection gets a fresh deadline. */
                atomic_store_explicit(&c->deadline_ms, now / 1000000 + (int64_t)s->request_timeout * 1000,
                                      memory_order_relaxed);
        }
        atomic_fetch_sub_explicit(&server_shard(s)->inflight, 1, memory_order_relaxed);
        free(rq->body);
        free(rq);
}

void connections_on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                               enum MHD_ConnectionNotificationCode toe)
{
        struct http_server *s = cls;
        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                struct conn *c = calloc(1, sizeof *c);
                if (!c)
                        return;
                const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                c->fd = ci ? ci->connect_fd : -1;
                const union MHD_ConnectionInfo *ai = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
                const struct sockaddr *sa = ai ? ai->client_addr : NULL;
                c->klen = connections_sockaddr_key(sa, c->key);
                access_log_addr(sa, c->addr);
                atomic_store(&c->deadline_ms, server_now_ns() / 1000000 + (int64_t)s->request_timeout * 1000);
                pthread_mutex_lock(&s->conn_lock);
                c->next = s->conns;
                if (s->conns)
                        s->conns->prev = c;
                s->conns = c;
                s->nconns++;
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
                s->nconns--;
                pthread_mutex_unlock(&s->conn_lock);
                free(c);
                *socket_ctx = NULL;
        }
}

/* libmicrohttpd's own per-IP limit compares whole IPv6 addresses, and one host usually holds a
 * whole /64: count live connections per client key instead (a short scan of at most the
 * connection limit, under the lock the reaper uses). */
enum MHD_Result connections_accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
        struct http_server *s = cls;
        unsigned char key[16];
        size_t klen = connections_sockaddr_key(addr, key);
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

void *connections_reaper(void *arg)
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

                int64_t now = server_now_ns() / 1000000;
                pthread_mutex_lock(&s->conn_lock);
                for (struct conn *c = s->conns; c; c = c->next) {
                        if (c->killed || c->fd < 0)
                                continue;
                        if (now > atomic_load_explicit(&c->deadline_ms, memory_order_relaxed)) {
                                /* Wakes the connection's thread with an error; it closes the connection. */
                                shutdown(c->fd, SHUT_RDWR);
                                c->killed = true;
                                atomic_fetch_add_explicit(&s->m.reaped, 1, memory_order_relaxed);
                        }
                }
                pthread_mutex_unlock(&s->conn_lock);
                pthread_mutex_lock(&s->stop_lock);
        }
        pthread_mutex_unlock(&s->stop_lock);
        return NULL;
}
