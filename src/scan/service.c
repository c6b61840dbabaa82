/* portscope scan — identifying the service on an open port, as nmap's version detection does it
 * (https://nmap.org/book/vscan-technique.html), with the probes and rules of nmap-service-probes:
 *
 *   - TCP: connect and listen (the NULL probe); a banner is matched against the NULL probe's
 *     rules. A close before tcpwrappedms without a word is "tcpwrapped". After a silent NULL
 *     probe the first probe goes out on the same connection, every later one on a new one; when
 *     the first probe gets no answer either, its connection listens on until the NULL probe's
 *     totalwaitms (within the budget) for a late banner, beside the next probes.
 *   - Then the probes whose ports directive (inside TLS: sslports) names the port, whatever their
 *     rarity, then the others of rarity up to the intensity (default 7), each group in rarity
 *     order. An answer is matched against the probe's rules, then its fallbacks', then (TCP) the
 *     NULL probe's. A hard match ends it; a soft match is kept, and later probes are limited to
 *     those that can name the soft-matched service (only a hard match replaces it).
 *   - A service that matched "ssl" (soft or hard) is probed again inside TLS, in a budget of its
 *     own (OpenSSL, no certificate check: it identifies, it does not trust): "http" inside is
 *     reported "https"; nothing identified inside is "ssl" with the tunnel (nmap's ssl/unknown).
 *   - UDP: the UDP probes in the same order on one connected socket; an ICMP port unreachable
 *     ends it.
 *
 * Every wait is bounded by the port's budget (o->wait_ms) and sliced in 50 ms so that a stop
 * request (Ctrl-C) is seen quickly. */
#include <errno.h>
#include <sys/random.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probes/service-probes.h"
#include "scan-internal.h"
#include "probes/probes.h"

#define PAUSE_NS 200000000u /* once an answer began, this much silence ends it */

/* Waits for events on fd until deadline (ns, monotonic) in slices of at most 50 ms, so that a
 * stop request (Ctrl-C) is seen quickly. > 0 ready, 0 timed out or stopped, < 0 error. */
static int wait_fd(int fd, short events, uint64_t deadline, const volatile sig_atomic_t *stop)
{
        for (;;) {
                if (stop && *stop)
                        return 0;
                uint64_t now = scan_now_ns();
                if (now >= deadline)
                        return 0;
                uint64_t ms = (deadline - now + 999999) / 1000000;
                struct pollfd p = { .fd = fd, .events = events };
                int r = poll(&p, 1, ms > 50 ? 50 : (int)ms);
                if (r != 0 && !(r < 0 && errno == EINTR))
                        return r;
        }
}

static int connect_to(const struct scan_addr *a, uint16_t port, uint64_t deadline, const volatile sig_atomic_t *stop)
{
        int fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        struct sockaddr_storage ss;
        socklen_t sl = scan_addr_sockaddr(a, port, &ss);
        if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
                int e = errno;
                close(fd);
                return -e;
        }
        int err = 0;
        socklen_t len = sizeof(err);
        if (wait_fd(fd, POLLOUT, deadline, stop) <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
                close(fd);
                return -(err ? err : ETIMEDOUT);
        }
        /* never report a socket connected to itself */
        struct sockaddr_storage x, y;
        socklen_t lx = sizeof(x), ly = sizeof(y);
        if (getsockname(fd, (struct sockaddr *)&x, &lx) == 0 && getpeername(fd, (struct sockaddr *)&y, &ly) == 0 &&
            lx == ly && memcmp(&x, &y, lx) == 0) {
                close(fd);
                return -ECONNREFUSED;
        }
        return fd;
}

/* One identification: the port, its budget, and what was made on the way. */
struct ident {
        struct scan_probes *p;
        const struct scan_addr *addr;
        uint16_t port;
        const struct scan_service_opts *o;
        uint64_t wait;         /* the port's budget (ns) */
        uint64_t end;          /* the port's budget ends */
        uint64_t null_ns;      /* the longest wait for a banner */
        uint64_t probe_ns;     /* the longest wait for one probe's answer */
        SSL_CTX *ctx;          /* made on first need */
        unsigned probes;       /* probes sent */
        unsigned char buf[8192];
};

static bool stopped(const struct ident *id)
{
        return (id->o->stop && *id->o->stop) || scan_now_ns() >= id->end;
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
        uint64_t m = a < b ? a : b;
        return m < c ? m : c;
}

/* A TCP connection, plain or inside TLS. */
struct conn {
        int fd;
        SSL *ssl;
};

static void conn_close(struct conn *c)
{
        SSL_free(c->ssl);
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        c->ssl = NULL;
}

/* The TLS client of version detection: any protocol version and cipher the library still
 * has, no certificate check, no session reuse across ports. */
static SSL_CTX *tls_context(void)
{
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        if (!ctx)
                return NULL;
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_security_level(ctx, 0);
        SSL_CTX_set_min_proto_version(ctx, 0);
        SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
        SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
        return ctx;
}

/* Connects (and, with tls, does the TLS handshake) by deadline. 0 or -errno. */
static int conn_open(struct ident *id, bool tls, uint64_t deadline, struct conn *c)
{
        c->ssl = NULL;
        c->fd = connect_to(id->addr, id->port, deadline, id->o->stop);
        if (c->fd < 0)
                return c->fd;
        if (!tls)
                return 0;
        if (!id->ctx && !(id->ctx = tls_context()))
                goto fail;
        if (!(c->ssl = SSL_new(id->ctx)) || SSL_set_fd(c->ssl, c->fd) != 1)
                goto fail;
        for (;;) {
                ERR_clear_error();
                int r = SSL_connect(c->ssl);
                if (r == 1)
                        return 0;
                int e = SSL_get_error(c->ssl, r);
                short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
                if (!ev || wait_fd(c->fd, ev, deadline, id->o->stop) <= 0)
                        goto fail;
        }
fail:
        ERR_clear_error();
        conn_close(c);
        return -EPROTO;
}

static int conn_send(struct ident *id, struct conn *c, const unsigned char *buf, size_t len)
{
        size_t off = 0;
        while (off < len) {
                if (c->ssl) {
                        ERR_clear_error();
                        int r = SSL_write(c->ssl, buf + off, (int)(len - off));
                        if (r > 0) {
                                off += (size_t)r;
                                continue;
                        }
                        int e = SSL_get_error(c->ssl, r);
                        short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
                        if (!ev || wait_fd(c->fd, ev, id->end, id->o->stop) <= 0) {
                                ERR_clear_error();
                                return -EIO;
                        }
                        continue;
                }
                ssize_t w = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
                if (w > 0) {
                        off += (size_t)w;
                } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
                        if (wait_fd(c->fd, POLLOUT, id->end, id->o->stop) <= 0)
                                return -ETIMEDOUT;
                } else {
                        return w < 0 ? -errno : -EIO;
                }
        }
        return 0;
}

/* > 0 bytes read, 0 the peer closed (or reset), -ETIMEDOUT at the deadline or on a stop. */
static ssize_t conn_recv(struct ident *id, struct conn *c, unsigned char *buf, size_t cap, uint64_t deadline)
{
        for (;;) {
                if (c->ssl) {
                        ERR_clear_error();
                        int r = SSL_read(c->ssl, buf, (int)cap);
                        if (r > 0)
                                return r;
                        int e = SSL_get_error(c->ssl, r);
                        short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
                        if (!ev) {
                                ERR_clear_error();
                                return 0;
                        }
                        if (wait_fd(c->fd, ev, deadline, id->o->stop) <= 0)
                                return -ETIMEDOUT;
                        continue;
                }
                int w = wait_fd(c->fd, POLLIN, deadline, id->o->stop);
                if (w == 0)
                        return -ETIMEDOUT;
                ssize_t r = recv(c->fd, buf, cap, 0);
                if (r >= 0)
                        return r;
                if (errno != EAGAIN && errno != EINTR)
                        return 0;
        }
}

/* Reads an answer until the deadline, the peer's close, a full buffer, or a pause of 200 ms
 * once something came. *closed: the peer closed or reset the connection. */
/* Reads an answer into id->buf from offset n (what came before stays): until deadline, or
 * PAUSE_NS of silence once something came. Returns the length in id->buf. */
static size_t read_answer_at(struct ident *id, struct conn *c, size_t n, uint64_t deadline, bool *closed)
{
        size_t start = n, cap = sizeof(id->buf);
        *closed = false;
        while (n < cap) {
                uint64_t end = deadline, now = scan_now_ns();
                if (n > start && now + PAUSE_NS < end)
                        end = now + PAUSE_NS;
                ssize_t r = conn_recv(id, c, id->buf + n, cap - n, end);
                if (r == -ETIMEDOUT)
                        break;
                if (r <= 0) {
                        *closed = true;
                        break;
                }
                n += (size_t)r;
        }
        return n;
}

static size_t read_answer(struct ident *id, struct conn *c, uint64_t deadline, bool *closed)
{
        return read_answer_at(id, c, 0, deadline, closed);
}

static void keep_banner(struct scan_service *s, const unsigned char *buf, size_t n)
{
        if (s->banner_len)
                return;
        s->banner_len = n < sizeof(s->banner) ? n : sizeof(s->banner);
        memcpy(s->banner, buf, s->banner_len);
}

/* Matches the answer of probe i into *s. 1: a hard match (done), 0 otherwise (a first soft match
 * is kept in *s, *soft set). */
static int take_answer(struct ident *id, int i, const char *probe, size_t n, bool *soft, struct scan_service *s)
{
        keep_banner(s, id->buf, n);
        struct scan_service t = *s;
        if (scan_probes_match_at(id->p, i, id->buf, n, *soft, &t) != 1)
                return 0;
        snprintf(t.probe, sizeof(t.probe), "%s", probe); /* the probe answered, even when a fallback's rule matched */
        uint32_t lo, hi;
        if (strcmp(t.name, "rpcbind") == 0 && !t.version[0] && scan_rpc_versions(id->buf, n, &lo, &hi) == 1) {
                /* The portmapper's answer to a version it does not serve names those it does. */
                if (lo == hi)
                        snprintf(t.version, sizeof(t.version), "%u", lo);
                else
                        snprintf(t.version, sizeof(t.version), "%u-%u", lo, hi);
        }
        if (!t.soft) {
                *s = t;
                return 1;
        }
        if (!*soft) {
                *s = t;
                *soft = true;
        }
        return 0;
}

/* The connection that listens on: the NULL probe's, which got the first probe after a silent
 * first wait (as nmap sends it) and no answer to it in the probe's time. It stays open until
 * the NULL probe's totalwaitms (nmap's 6 s; within the port's budget) while the next probes go
 * out on connections of their own, so that a server that greets late (an SMTP or FTP server's
 * greeting delay) is still heard. */
struct listening {
        struct conn c;
        uint64_t end;
        int probe;        /* the probe sent on it: its rules, its fallbacks', then the NULL probe's */
        const char *name;
};

/* Reads what came on the listening connection by now (wait false) or until its end (wait true),
 * then closes it. 1 on a hard match. */
static int late_answer(struct ident *id, struct listening *l, bool wait, bool *soft, struct scan_service *s)
{
        if (l->c.fd < 0)
                return 0;
        uint64_t now = scan_now_ns();
        if (now >= l->end)
                wait = false; /* what came in time is still read */
        struct pollfd pf = { .fd = l->c.fd, .events = POLLIN };
        bool ready = (l->c.ssl && SSL_pending(l->c.ssl) > 0) ||
                     (wait ? wait_fd(l->c.fd, POLLIN, l->end, id->o->stop) > 0 : poll(&pf, 1, 0) > 0);
        if (!ready) {
                if (wait || now >= l->end)
                        conn_close(&l->c);
                return 0;
        }
        bool closed;
        size_t n = read_answer(id, &l->c, l->end > now + PAUSE_NS ? l->end : now + PAUSE_NS, &closed);
        conn_close(&l->c);
        return n > 0 && take_answer(id, l->probe, l->name, n, soft, s) == 1;
}

/* One round of TCP probes, plain or inside TLS. 0 (s filled as far as it got), or -errno when
 * the first connection failed. */
static int tcp_round(struct ident *id, bool tls, struct scan_service *s)
{
        struct conn c;
        int r = conn_open(id, tls, id->end, &c);
        if (r < 0)
                return r;
        bool soft = false, closed;
        struct listening lis = { .c = { .fd = -1 } };
        struct scan_probe_def d = { .waitms = 6000, .tcpwrappedms = 3000 };
        int null = scan_probes_null(id->p);
        if (null >= 0)
                scan_probes_def(id->p, null, &d);
        uint64_t start = scan_now_ns(), null_end = start + d.waitms * UINT64_C(1000000);
        size_t n = read_answer(id, &c, min3(start + id->null_ns, id->end, null_end), &closed);
        if (n > 0) {
                snprintf(s->probe, sizeof(s->probe), "NULL");
                if (null >= 0 && take_answer(id, null, "NULL", n, &soft, s) == 1)
                        goto done;
                /* A greeting cut in the middle of a line ("220 mx.exa", the rest 0.3 to 2.5 s
                 * later, or a byte at a time) is read on while the NULL probe's wait lasts, as
                 * nmap does, and matched as it grows; a whole line that matches nothing is not
                 * waited on. */
                while (null >= 0 && !closed && n < sizeof(id->buf) && id->buf[n - 1] != '\n' && !stopped(id)) {
                        size_t m = read_answer_at(id, &c, n, id->end < null_end ? id->end : null_end, &closed);
                        if (m == n)
                                break;
                        n = m;
                        s->banner_len = 0; /* the banner is what came in all */
                        if (take_answer(id, null, "NULL", n, &soft, s) == 1)
                                goto done;
                }
                keep_banner(s, id->buf, n);
                conn_close(&c);
        } else if (closed) {
                if (!tls && null >= 0 && scan_now_ns() - start < d.tcpwrappedms * UINT64_C(1000000)) {
                        s->tcpwrapped = true; /* closed before a word: nmap's "tcpwrapped" */
                        goto done;
                }
                conn_close(&c);
        } /* silence: the first probe goes out on this connection */
        struct scan_plan plan = { 0 };
        int i, again = -1;
        while (!stopped(id)) {
                if (again >= 0)
                        i = again, again = -1;
                else if ((i = scan_probes_next(id->p, PS_TCP, id->port, tls, id->o->intensity, soft ? s->name : NULL,
                                               &plan)) < 0)
                        break;
                if (late_answer(id, &lis, false, &soft, s) == 1)
                        goto done;
                scan_probes_def(id->p, i, &d);
                bool fresh = c.fd < 0;
                uint64_t now = scan_now_ns();
                /* beside a listening connection, a connection (and handshake) gets a probe's time */
                uint64_t by = lis.c.fd >= 0 && now + id->probe_ns < id->end ? now + id->probe_ns : id->end;
                if (fresh && conn_open(id, tls, by, &c) < 0) {
                        if (lis.c.fd < 0 || stopped(id))
                                break;
                        /* no connection or no handshake beside the listening one: as below */
                        if (late_answer(id, &lis, false, &soft, s) == 1)
                                goto done;
                        conn_close(&lis.c);
                        again = i;
                        continue;
                }
                id->probes++;
                n = 0;
                closed = true;
                now = scan_now_ns();
                if (conn_send(id, &c, d.payload, d.len) == 0)
                        n = read_answer(id, &c, min3(now + id->probe_ns, id->end, now + d.waitms * UINT64_C(1000000)),
                                        &closed);
                if (n == 0 && !closed && !fresh && null >= 0 && null_end > scan_now_ns() + PAUSE_NS) {
                        /* the NULL probe's connection and its first probe: silence so far */
                        lis = (struct listening){ .c = c, .end = null_end < id->end ? null_end : id->end, .probe = i,
                                                  .name = d.name };
                        c = (struct conn){ .fd = -1 };
                        continue;
                }
                conn_close(&c);
                if (n > 0 && take_answer(id, i, d.name, n, &soft, s) == 1)
                        goto done;
                if (n == 0 && !closed && lis.c.fd >= 0) {
                        /* Silence here too: a server that serves one connection at a time may be
                         * busy with the listening one. Stop listening and send this probe again. */
                        if (late_answer(id, &lis, false, &soft, s) == 1)
                                goto done;
                        conn_close(&lis.c);
                        again = i;
                }
        }
        late_answer(id, &lis, !stopped(id), &soft, s);
done:
        conn_close(&lis.c);
        conn_close(&c);
        return 0;
}

/* Inside TLS, the name of the service over TLS as the registry and nmap-services spell it. */
static void tls_name(struct scan_service *s)
{
        static const char *const names[][2] = {
                { "http", "https" }, { "imap", "imaps" }, { "pop3", "pop3s" }, { "smtp", "smtps" },
                { "ldap", "ldaps" }, { "ftp", "ftps" },   { "telnet", "telnets" }, { "irc", "ircs" },
                { "nntp", "nntps" }, { "domain", "domain-s" },
        };
        char inner[sizeof(s->name)];
        snprintf(inner, sizeof(inner), "%s", strncmp(s->name, "ssl/", 4) == 0 ? s->name + 4 : s->name);
        s->tls = true;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(inner, names[i][0]) == 0) {
                        snprintf(s->name, sizeof(s->name), "%s", names[i][1]);
                        return;
                }
        snprintf(s->name, sizeof(s->name), "ssl/%.43s", inner);
}

/* An MQTT broker's version: subscribe to its $SYS/broker/version topic (nmap's version script
 * asks the same). */
static void mqtt_version(struct ident *id, struct scan_service *s)
{
        struct conn c;
        unsigned char req[SCAN_MQTT_REQUEST_LEN];
        if (conn_open(id, false, id->end, &c) < 0)
                return;
        size_t len = scan_mqtt_request(req);
        id->probes++;
        if (conn_send(id, &c, req, len) == 0) {
                bool closed;
                uint64_t now = scan_now_ns();
                size_t n = read_answer(id, &c, min3(now + id->probe_ns, id->end, now + 2000 * UINT64_C(1000000)), &closed);
                struct scan_service t = *s;
                if (n && scan_mqtt_version(id->buf, n, &t) == 1) {
                        memcpy(s->product, t.product, sizeof(s->product));
                        memcpy(s->version, t.version, sizeof(s->version));
                }
        }
        conn_close(&c);
}

static int identify_tcp(struct ident *id, struct scan_service *s)
{
        int r = tcp_round(id, false, s);
        if (r < 0)
                return r;
        if (strcmp(s->name, "mqtt") == 0 && !s->version[0] && !stopped(id))
                mqtt_version(id, s);
        /* TLS: when the probes say so ("ssl"), and also (beyond nmap) when nothing answered in
         * plain words on a port where TLS is usual (sslports): a server that accepts only recent
         * TLS closes on the SSLv3 and TLS 1.2 hellos of the probes, without an alert to match. */
        bool unnamed = !s->name[0] && !s->tcpwrapped && scan_probes_sslport(id->p, id->port);
        bool ssl = strcmp(s->name, "ssl") == 0;
        if (strncmp(s->name, "ssl/", 4) == 0) { /* named without opening TLS */
                tls_name(s);
        } else if ((ssl || unnamed) && !id->o->no_tls && !(id->o->stop && *id->o->stop) && (ssl || !stopped(id))) {
                /* The probes said "ssl": like nmap, identify again inside TLS from the start, in a
                 * budget of its own (the plain probes may have spent the port's). */
                if (ssl)
                        id->end = scan_now_ns() + id->wait;
                struct scan_service t = { 0 };
                if (tcp_round(id, true, &t) < 0)
                        return 0; /* no TLS handshake: "ssl" as the probes said, or nothing */
                if (t.name[0]) {
                        memcpy(t.banner, s->banner, sizeof(t.banner)); /* the first answer, as without TLS */
                        t.banner_len = s->banner_len;
                        *s = t;
                        tls_name(s);
                } else {
                        /* TLS spoken, the service inside it not identified: nmap's "ssl/unknown" */
                        snprintf(s->name, sizeof(s->name), "ssl");
                        s->tls = true;
                }
        }
        return 0;
}

/* A STUN Binding Request on the connected UDP socket fd; fills s from the answer's SOFTWARE. */
static void identify_stun(struct ident *id, int fd, struct scan_service *s)
{
        uint8_t txid[12];
        unsigned char req[SCAN_STUN_REQUEST_LEN];
        if (getrandom(txid, sizeof(txid), 0) != (ssize_t)sizeof(txid))
                return;
        size_t len = scan_stun_request(req, txid);
        id->probes++;
        if (send(fd, req, len, 0) < 0)
                return;
        uint64_t now = scan_now_ns();
        uint64_t deadline = min3(now + id->probe_ns, id->end, now + 2000 * UINT64_C(1000000));
        while (wait_fd(fd, POLLIN, deadline, id->o->stop) > 0) {
                ssize_t n = recv(fd, id->buf, sizeof(id->buf), MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                if (n <= 0)
                        return;
                struct scan_service t;
                if (scan_stun_parse(id->buf, (size_t)n, txid, &t) == 1) {
                        t.probes = s->probes;
                        *s = t;
                        return;
                }
        }
}

static int identify_udp(struct ident *id, struct scan_service *s)
{
        int fd = socket(id->addr->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        struct sockaddr_storage ss;
        socklen_t sl = scan_addr_sockaddr(id->addr, id->port, &ss);
        if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
                int e = errno;
                close(fd);
                return -e;
        }
        /* STUN's ports: nmap names them with a version script, not a probe; ask first, as that
         * script does (the probes of the file would spend the port's time first). */
        if (id->port == 3478 || id->port == 3479) {
                identify_stun(id, fd, s);
                if (s->name[0]) {
                        close(fd);
                        return 0;
                }
        }
        bool soft = false;
        struct scan_plan plan = { 0 };
        struct scan_probe_def d;
        int i;
        while (!stopped(id) &&
               (i = scan_probes_next(id->p, PS_UDP, id->port, false, id->o->intensity, soft ? s->name : NULL, &plan)) >= 0) {
                scan_probes_def(id->p, i, &d);
                id->probes++;
                if (send(fd, d.payload, d.len, 0) < 0) {
                        if (errno == ECONNREFUSED)
                                break; /* ICMP port unreachable: nobody is there any more */
                        continue;
                }
                uint64_t now = scan_now_ns();
                uint64_t deadline = min3(now + id->probe_ns, id->end, now + d.waitms * UINT64_C(1000000));
                ssize_t n = -1;
                while (n < 0 && wait_fd(fd, POLLIN, deadline, id->o->stop) > 0) {
                        n = recv(fd, id->buf, sizeof(id->buf), MSG_DONTWAIT);
                        if (n < 0 && errno != EAGAIN && errno != EINTR)
                                break;
                }
                if (n < 0 && errno == ECONNREFUSED)
                        break;
                if (n > 0 && take_answer(id, i, d.name, (size_t)n, &soft, s) == 1)
                        break;
        }
        close(fd);
        return 0;
}

void scan_service_opts_init(struct scan_service_opts *o)
{
        *o = (struct scan_service_opts){ .wait_ms = 5000, .intensity = 7 };
}

int scan_service_identify(struct scan_probes *p, const struct scan_addr *addr, uint16_t port, enum ps_proto proto,
                          const struct scan_service_opts *o, struct scan_service *ret)
{
        struct ident *id = calloc(1, sizeof(*id));
        if (!id)
                return -ENOMEM;
        uint64_t wait = (uint64_t)(o->wait_ms ? o->wait_ms : 1) * 1000000u;
        *id = (struct ident){ .p = p, .addr = addr, .port = port, .o = o, .wait = wait, .end = scan_now_ns() + wait,
                              /* a banner gets 2/5 of the budget, each probe 1/5 (at least 100 ms) */
                              .null_ns = wait * 2 / 5, .probe_ns = wait / 5 > 100000000u ? wait / 5 : 100000000u };
        struct scan_service s;
        memset(&s, 0, sizeof(s));
        int r = 0;
        s.excluded = scan_probes_excluded(p, proto, port);
        if (!s.excluded)
                r = proto == PS_UDP ? (p ? identify_udp(id, &s) : 0) : identify_tcp(id, &s);
        s.probes = id->probes;
        SSL_CTX_free(id->ctx);
        free(id);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}
