/* portscope serve — the access log: one line per request in Common Log Format plus the duration.
 *
 * The line is formatted in memory and handed to the stream with one fwrite(), so that an
 * unbuffered standard error (the default) costs one write(2) per request, and lines of
 * concurrent requests never interleave. The target and the user agent are escaped by
 * ps_term_escape(); the common case (printable ASCII without a backslash, which it writes
 * unchanged) is copied without a stream. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "portscope/util.h"

#define LINE_FAST 2048 /* a line longer than this is formatted by the slow path */

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
                fwrite(l->buf, 1, l->len, s->log);
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
                fwrite(text, 1, len, s->log);
        free(text);
}
