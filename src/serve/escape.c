/* portscope serve — HTML escaping and URL percent-encoding.
 *
 * Every string that reaches a page from the registry, the knowledge file, a process or the
 * request goes through http_html_escape(): it is the one place where markup can leak in. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "serve-internal.h"
#include "portscope/util.h"

void http_html_escape(struct http_buf *b, const char *s, size_t len)
{
        static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
        if (!s)
                return;
        if (len == (size_t)-1)
                len = strlen(s);
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0, run = 0; /* run: start of bytes that need no escaping */
        while (i < len) {
                unsigned char c = p[i];
                const char *rep = NULL;
                size_t adv = 1;
                switch (c) {
                case '&': rep = "&amp;"; break;
                case '<': rep = "&lt;"; break;
                case '>': rep = "&gt;"; break;
                case '"': rep = "&quot;"; break;
                case '\'': rep = "&#39;"; break;
                case '\t':
                case '\n': break;
                default:
                        if (c < 0x20 || c == 0x7f)
                                rep = replacement;
                        else if (c >= 0x80) {
                                adv = ps_utf8_seq(s + i, len - i, NULL);
                                if (adv == 0) {
                                        rep = replacement;
                                        adv = 1;
                                } else if (adv == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
                                        rep = replacement; /* C1 control characters */
                                }
                        }
                }
                if (rep) {
                        http_buf_add(b, s + run, i - run);
                        http_buf_puts(b, rep);
                        run = i + adv;
                }
                i += adv;
        }
        http_buf_add(b, s + run, len - run);
}

void http_url_encode(struct http_buf *b, const char *s, size_t len)
{
        static const char hex[] = "0123456789ABCDEF";
        if (len == (size_t)-1)
                len = strlen(s);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == '~') {
                        http_buf_add(b, &s[i], 1);
                } else {
                        char e[3] = { '%', hex[c >> 4], hex[c & 15] };
                        http_buf_add(b, e, 3);
                }
        }
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int http_url_decode(const char *s, size_t len, bool plus_space, char *out, size_t outlen)
{
        if (outlen == 0)
                return -E2BIG;
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if (c == '%') {
                        if (len - i < 3)
                                return -EINVAL;
                        int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
                        if (h < 0 || l < 0)
                                return -EINVAL;
                        c = (char)(h * 16 + l);
                        i += 2;
                } else if (c == '+' && plus_space)
                        c = ' ';
                if (c == '\0')
                        return -EINVAL;
                if (o + 1 >= outlen)
                        return -E2BIG;
                out[o++] = c;
        }
        out[o] = '\0';
        for (size_t i = 0; i < o;) {
                size_t n = ps_utf8_seq(out + i, o - i, NULL);
                if (n == 0)
                        return -EINVAL;
                i += n;
        }
        return (int)o;
}

void http_date_of_day(const char *day, char *out, size_t outlen)
{
        static const char wd[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        if (outlen)
                out[0] = '\0';
        if (!day || strlen(day) != 10 || day[4] != '-' || day[7] != '-')
                return;
        int v[3] = { 0, 0, 0 };
        const int at[3] = { 0, 5, 8 }, len[3] = { 4, 2, 2 };
        for (int f = 0; f < 3; f++)
                for (int i = 0; i < len[f]; i++) {
                        char ch = day[at[f] + i];
                        if (ch < '0' || ch > '9')
                                return;
                        v[f] = v[f] * 10 + (ch - '0');
                }
        int y = v[0], m = v[1], d = v[2];
        if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
                return;
        /* The weekday from the days since 1970-01-01 (a Thursday), counted in 400-year eras. */
        int yy = m <= 2 ? y - 1 : y;
        int era = yy / 400, yoe = yy - era * 400;
        int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        long days = (long)era * 146097 + doe - 719468;
        int w = (int)((days + 4) % 7);
        int r = snprintf(out, outlen, "%s, %02d %s %04d 00:00:00 GMT", wd[w], d, mon[m - 1], y);
        if (r < 0 || (size_t)r >= outlen)
                out[0] = '\0';
}
