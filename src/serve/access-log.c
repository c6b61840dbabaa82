/* portscope serve — the access log: one line per request in Common Log Format plus the duration.
 *
 * A worker thread formats its line in memory and appends it whole to a pending buffer; one
 * writer thread hands what is pending to the file with write(2) within about a millisecond: one
 * write per line when requests are rare, one per millisecond under load. Worker threads thus
 * never wait on the log file: when both wrote to it themselves, each write took the file's lock,
 * and a worker preempted while holding it stalled the other. Lines never interleave. The target
 * and the user agent are escaped by ps_term_escape(); the common case (printable ASCII without
 * a backslash, which it writes unchanged) is copied without a stream. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "portscope/util.h"

#define LINE_FAST 2048            /* a line longer than this is formatted by the slow path */
#define PENDING_MAX (256u << 10)  /* bytes waiting for the writer; a worker waits when full */
#define COALESCE_NS 1000000L      /* a line waits at most about this long to be written */

struct access_log {
        int fd;
        pthread_mutex_t lock;
        pthread_cond_t wake;  /* the writer: lines are pending, or stop */
        pthread_cond_t room;  /* workers: the pending buffer has room again */
        char *pending, *spare; /* PENDING_MAX bytes each; swapped by the writer */
        size_t len;
        bool writer_idle, stop, started;
        pthread_t writer;
};

static void write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return; /* nowhere to log to: the lines are lost, the requests are not */
                p += w;
                n -= (size_t)w;
        }
}

static void *writer_main(void *arg)
{
        struct access_log *l = arg;
        pthread_mutex_lock(&l->lock);
        for (;;) {
                while (l->len == 0 && !l->stop) {
                        l->writer_idle = true;
                        pthread_cond_wait(&l->wake, &l->lock);
                        l->writer_idle = false;
                }
                if (l->len == 0)
                        break; /* stopping, and everything written */
                if (!l->stop) {
                        /* Let the lines of the next millisecond join this write: under load, one
                         * wake-up and one write(2) for many requests instead of one each. */
                        pthread_mutex_unlock(&l->lock);
                        struct timespec ts = { 0, COALESCE_NS };
                        nanosleep(&ts, NULL);
                        pthread_mutex_lock(&l->lock);
                }
                char *out = l->pending;
                size_t n = l->len;
                l->pending = l->spare;
                l->spare = out;
                l->len = 0;
                pthread_cond_broadcast(&l->room);
                pthread_mutex_unlock(&l->lock);
                write_all(l->fd, out, n);
                pthread_mutex_lock(&l->lock);
        }
        pthread_mutex_unlock(&l->lock);
        return NULL;
}

int access_log_open(FILE *f, struct access_log **ret)
{
        struct access_log *l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        l->fd = fileno(f);
        l->pending = malloc(PENDING_MAX);
        l->spare = malloc(PENDING_MAX);
        if (l->fd < 0 || !l->pending || !l->spare) {
                int e = l->fd < 0 ? -EBADF : -ENOMEM;
                free(l->pending);
                free(l->spare);
                free(l);
                return e;
        }
        /* Whatever the caller left in the stream's buffer goes first. */
        fflush(f);
        pthread_mutex_init(&l->lock, NULL);
        pthread_cond_init(&l->wake, NULL);
        pthread_cond_init(&l->room, NULL);
        int r = pthread_create(&l->writer, NULL, writer_main, l);
        if (r != 0) {
                access_log_close(l);
                return -r;
        }
        l->started = true;
        *ret = l;
        return 0;
}

void access_log_close(struct access_log *l)
{
        if (!l)
                return;
        if (l->started) {
                pthread_mutex_lock(&l->lock);
                l->stop = true;
                pthread_cond_signal(&l->wake);
                pthread_mutex_unlock(&l->lock);
                pthread_join(l->writer, NULL);
        }
        pthread_mutex_destroy(&l->lock);
        pthread_cond_destroy(&l->wake);
        pthread_cond_destroy(&l->room);
        free(l->pending);
        free(l->spare);
        free(l);
}

/* Queues one whole line for the writer. */
static void emit(struct access_log *l, const char *line, size_t n)
{
        if (n > PENDING_MAX) {
                /* A line longer than the whole buffer (a huge user agent): written here. */
                pthread_mutex_lock(&l->lock);
                write_all(l->fd, line, n);
                pthread_mutex_unlock(&l->lock);
                return;
        }
        pthread_mutex_lock(&l->lock);
        while (l->len + n > PENDING_MAX)
                pthread_cond_wait(&l->room, &l->lock);
        memcpy(l->pending + l->len, line, n);
        l->len += n;
        if (l->writer_idle)
                pthread_cond_signal(&l->wake);
        pthread_mutex_unlock(&l->lock);
}

struct line {
        char buf[LINE_FAST];
        size_t len;
        bool slow; /* something to escape, or too long */
};

static void add(struct line *l, const char *s, size_t n)
{
        if (l->slow || n > sizeof l->buf - l->len) {
                l->slow = true;
                return;
        }
        memcpy(l->buf + l->len, s, n);
        l->len += n;
}

static void add_str(struct line *l, const char *s)
{
        add(l, s, strlen(s));
}

/* Writes v in decimal, zero-padded to width; returns the length. snprintf() costs as much as
 * the rest of a log line, and the line is written on every request. */
static size_t fmt_u(char *p, unsigned long long v, int width)
{
        char tmp[24];
        int n = 0;
        do {
                tmp[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        while (n < width)
                tmp[n++] = '0';
        for (int i = 0; i < n; i++)
                p[i] = tmp[n - 1 - i];
        return (size_t)n;
}

/* "01/Dec/2026:17:48:35 +0000" (Common Log Format, UTC) without gmtime_r(), which takes the
 * time zone lock of the C library on every call. Days to civil date: H. Hinnant's algorithm. */
static void clf_time(time_t t, char out[64])
{
        static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        long long days = (long long)t / 86400, secs = (long long)t % 86400;
        if (secs < 0) {
                secs += 86400;
                days--;
        }
        long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
        long long doe = z - era * 146097;
        long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long long mp = (5 * doy + 2) / 153;
        long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
        long long y = yoe + era * 400 + (m <= 2);
        if (y < 0 || y > 9999) {
                snprintf(out, 64, "-");
                return;
        }
        char *p = out;
        p += fmt_u(p, (unsigned long long)d, 2);
        *p++ = '/';
        memcpy(p, months[m - 1], 3);
        p += 3;
        *p++ = '/';
        p += fmt_u(p, (unsigned long long)y, 4);
        *p++ = ':';
        p += fmt_u(p, (unsigned long long)(secs / 3600), 2);
        *p++ = ':';
        p += fmt_u(p, (unsigned long long)(secs / 60 % 60), 2);
        *p++ = ':';
        p += fmt_u(p, (unsigned long long)(secs % 60), 2);
        memcpy(p, " +0000", 7);
}

/* What ps_term_escape() writes unchanged. */
static bool plain(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e || s[i] == '\\')
                        return false;
        return true;
}

static void add_escaped(struct line *l, const char *s, size_t n)
{
        if (!plain(s, n))
                l->slow = true;
        add(l, s, n);
}

void access_log_write(struct http_server *s, struct MHD_Connection *conn, const struct req *rq, unsigned status,
                      double seconds)
{
        char addr[INET6_ADDRSTRLEN] = "-";
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
                const struct sockaddr *sa = ci->client_addr;
                if (sa->sa_family == AF_INET) {
                        const unsigned char *b = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
                        char *p = addr;
                        for (int i = 0; i < 4; i++) {
                                p += fmt_u(p, b[i], 1);
                                *p++ = i < 3 ? '.' : '\0';
                        }
                } else if (sa->sa_family == AF_INET6)
                        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr,
                                  sizeof addr);
        }
        char when[64];
        clf_time(time(NULL), when);
        const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
        const char *method = rq->method[0] ? rq->method : "-";
        char tail[48], *p = tail;
        unsigned long long us = seconds > 0 ? (unsigned long long)(seconds * 1e6 + 0.5) : 0;
        memcpy(p, "\" ", 2);
        p += 2;
        p += fmt_u(p, us / 1000, 1);
        *p++ = '.';
        p += fmt_u(p, us % 1000, 3);
        memcpy(p, "ms\n", 4);
        char mid[48];
        p = mid;
        if (rq->version[0]) {
                size_t vl = strlen(rq->version);
                *p++ = ' ';
                memcpy(p, rq->version, vl);
                p += vl;
        }
        memcpy(p, "\" ", 2);
        p += 2;
        p += fmt_u(p, status, 1);
        memcpy(p, " - \"", 5);

        struct line line = { .len = 0 }, *l = &line;
        add_str(l, addr);
        add_str(l, " - - [");
        add_str(l, when);
        add_str(l, "] \"");
        add_str(l, method);
        add_str(l, " ");
        if (rq->target)
                add_escaped(l, rq->target, rq->target_len);
        else
                add_str(l, "(too long)");
        add_str(l, mid);
        add_escaped(l, ua ? ua : "-", strlen(ua ? ua : "-"));
        add_str(l, tail);
        if (!l->slow) {
                emit(s->log, l->buf, l->len);
                return;
        }

        /* Escapes to write, or a long line: the same pieces through ps_term_escape(). */
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (!m)
                return;
        fprintf(m, "%s - - [%s] \"%s ", addr, when, method);
        if (rq->target)
                ps_term_escape(m, rq->target, rq->target_len, false);
        else
                fputs("(too long)", m);
        fputs(mid, m);
        ps_term_escape(m, ua ? ua : "-", (size_t)-1, false);
        fputs(tail, m);
        if (fclose(m) == 0)
                emit(s->log, text, len);
        free(text);
}
