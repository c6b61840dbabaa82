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
                if (sa->sa_family == AF_INET)
                        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr, sizeof addr);
                else if (sa->sa_family == AF_INET6)
                        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr,
                                  sizeof addr);
        }
        char when[40];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        if (strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm) == 0)
                when[0] = '\0';
        const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
        const char *method = rq->method[0] ? rq->method : "-";
        char tail[64];
        snprintf(tail, sizeof tail, "\" %.3fms\n", seconds * 1e3);
        char mid[48];
        snprintf(mid, sizeof mid, "%s%s\" %u - \"", rq->version[0] ? " " : "", rq->version, status);

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
