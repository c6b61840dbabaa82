/* portscope scan — nmap-payloads: the UDP payload that makes a service answer, per port.
 *
 *   udp 53,69,5353 "\x00\x00\x10..." "more of the same payload"
 *   source 53          (optional: nmap sends from that port; ignored here)
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../scan-internal.h"
#include "portscope/i18n.h"
#include "portscope/util.h"

struct payload {
        unsigned char *data;
        size_t len;
};

struct scan_payloads {
        struct payload *v;
        size_t n, cap;
        int32_t by_port[65536]; /* index into v, -1 none */
        uint32_t *more;         /* the 2nd, 3rd... payload of a port: port << 16 | index, sorted */
        size_t nmore, capmore;
};

void scan_payloads_free(struct scan_payloads *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++)
                free(p->v[i].data);
        free(p->v);
        free(p->more);
        free(p);
}

struct lex {
        const char *s, *end;
        unsigned line;
};

static void skip_space(struct lex *l)
{
        while (l->s < l->end) {
                if (*l->s == '\n') {
                        l->line++;
                        l->s++;
                } else if (isspace((unsigned char)*l->s)) {
                        l->s++;
                } else if (*l->s == '#') {
                        while (l->s < l->end && *l->s != '\n')
                                l->s++;
                } else {
                        break;
                }
        }
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A quoted C-style string appended to *buf. */
static int quoted(struct lex *l, unsigned char **buf, size_t *len, size_t *cap, char *err, size_t errlen)
{
        l->s++; /* the quote */
        while (l->s < l->end && *l->s != '"') {
                if (*l->s == '\n')
                        return scan_errf(err, errlen, -EINVAL, _("line %u: string not closed"), l->line);
                unsigned char c = (unsigned char)*l->s++;
                if (c == '\\') {
                        if (l->s >= l->end)
                                return scan_errf(err, errlen, -EINVAL, _("line %u: escape at end"), l->line);
                        char e = *l->s++;
                        switch (e) {
                        case 'x': {
                                int h1 = l->s < l->end ? hexval(l->s[0]) : -1;
                                int h2 = l->s + 1 < l->end ? hexval(l->s[1]) : -1;
                                if (h1 < 0 || h2 < 0)
                                        return scan_errf(err, errlen, -EINVAL, _("line %u: bad \\x escape"), l->line);
                                c = (unsigned char)(h1 * 16 + h2);
                                l->s += 2;
                                break;
                        }
                        case '0': c = 0; break;
                        case 'a': c = 7; break;
                        case 'b': c = 8; break;
                        case 'f': c = 12; break;
                        case 'n': c = 10; break;
                        case 'r': c = 13; break;
                        case 't': c = 9; break;
                        case 'v': c = 11; break;
                        default: c = (unsigned char)e; break;
                        }
                }
                if (*len == *cap) {
                        size_t nc = *cap ? *cap * 2 : 64;
                        if (nc > 65536)
                                return scan_errf(err, errlen, -E2BIG, _("line %u: payload too long"), l->line);
                        unsigned char *nb = realloc(*buf, nc);
                        if (!nb)
                                return -ENOMEM;
                        *buf = nb;
                        *cap = nc;
                }
                (*buf)[(*len)++] = c;
        }
        if (l->s >= l->end)
                return scan_errf(err, errlen, -EINVAL, _("line %u: string not closed"), l->line);
        l->s++;
        return 0;
}

static size_t word(struct lex *l, const char **ret)
{
        *ret = l->s;
        while (l->s < l->end && !isspace((unsigned char)*l->s) && *l->s != '"' && *l->s != '#')
                l->s++;
        return (size_t)(l->s - *ret);
}

static int parse_portlist(const char *w, size_t n, uint8_t *set, unsigned line, char *err, size_t errlen)
{
        size_t i = 0;
        while (i < n) {
                unsigned long lo = 0, hi;
                size_t s = i;
                while (i < n && isdigit((unsigned char)w[i]) && lo <= 65535)
                        lo = lo * 10 + (unsigned long)(w[i++] - '0');
                if (i == s || lo > 65535)
                        return scan_errf(err, errlen, -EINVAL, _("line %u: bad port list"), line);
                hi = lo;
                if (i < n && w[i] == '-') {
                        i++;
                        s = i;
                        hi = 0;
                        while (i < n && isdigit((unsigned char)w[i]) && hi <= 65535)
                                hi = hi * 10 + (unsigned long)(w[i++] - '0');
                        if (i == s || hi > 65535 || hi < lo)
                                return scan_errf(err, errlen, -EINVAL, _("line %u: bad port range"), line);
                }
                memset(set + lo, 1, hi - lo + 1);
                if (i < n) {
                        if (w[i] != ',')
                                return scan_errf(err, errlen, -EINVAL, _("line %u: bad port list"), line);
                        i++;
                }
        }
        return 0;
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return x < y ? -1 : x > y;
}

int scan_payloads_parse(const char *data, size_t len, struct scan_payloads **ret, char *err, size_t errlen)
{
        struct scan_payloads *p = calloc(1, sizeof(*p));
        uint8_t *set = malloc(65536);
        if (!p || !set) {
                free(p);
                free(set);
                return -ENOMEM;
        }
        memset(p->by_port, 0xff, sizeof(p->by_port));
        struct lex l = { data, data + len, 1 };
        int r = 0;
        for (;;) {
                skip_space(&l);
                if (l.s >= l.end)
                        break;
                const char *w;
                size_t n = word(&l, &w);
                if (n == 6 && strncmp(w, "source", 6) == 0) {
                        skip_space(&l);
                        word(&l, &w);
                        continue;
                }
                if (n != 3 || (strncmp(w, "udp", 3) != 0 && strncmp(w, "tcp", 3) != 0)) {
                        r = scan_errf(err, errlen, -EINVAL, _("line %u: expected 'udp PORTS \"payload\"'"), l.line);
                        goto out;
                }
                bool udp = w[0] == 'u';
                skip_space(&l);
                n = word(&l, &w);
                memset(set, 0, 65536);
                if ((r = parse_portlist(w, n, set, l.line, err, errlen)) < 0)
                        goto out;
                unsigned char *buf = NULL;
                size_t blen = 0, bcap = 0;
                bool any = false;
                for (;;) {
                        skip_space(&l);
                        if (l.s >= l.end || *l.s != '"')
                                break;
                        if ((r = quoted(&l, &buf, &blen, &bcap, err, errlen)) < 0) {
                                free(buf);
                                goto out;
                        }
                        any = true;
                }
                if (!any) {
                        free(buf);
                        r = scan_errf(err, errlen, -EINVAL, _("line %u: a payload string is missing"), l.line);
                        goto out;
                }
                if (!udp) {
                        free(buf);
                        continue;
                }
                if (PS_GROW(p->v, p->cap, p->n + 1, SIZE_MAX) < 0) {
                        free(buf);
                        r = -ENOMEM;
                        goto out;
                }
                p->v[p->n] = (struct payload){ buf, blen };
                p->n++;
                for (size_t i = 0; i < 65536 && p->n <= 65536; i++) {
                        if (!set[i])
                                continue;
                        if (p->by_port[i] < 0) {
                                p->by_port[i] = (int32_t)(p->n - 1);
                                continue;
                        }
                        if (PS_GROW(p->more, p->capmore, p->nmore + 1, SIZE_MAX) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                        p->more[p->nmore++] = (uint32_t)i << 16 | (uint32_t)(p->n - 1);
                }
        }
out:
        free(set);
        if (r == 0 && p->nmore)
                qsort(p->more, p->nmore, sizeof(*p->more), cmp_u32); /* file order within a port */
        if (r < 0) {
                scan_payloads_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

int scan_payloads_load(const char *path, struct scan_payloads **ret, char *err, size_t errlen)
{
        if (!path)
                path = getenv("PORTSCOPE_NMAP_PAYLOADS");
        if (!path)
                path = "/usr/share/nmap/nmap-payloads";
        char *data;
        size_t len;
        int r = ps_read_file(path, 16u << 20, &data, &len);
        if (r < 0)
                return scan_errf(err, errlen, r, "%s: %s", path, strerror(-r));
        char sub[200];
        r = scan_payloads_parse(data, len, ret, sub, sizeof(sub));
        free(data);
        if (r < 0)
                return scan_errf(err, errlen, r, "%s: %s", path, sub);
        return 0;
}

const unsigned char *scan_payloads_get(const struct scan_payloads *p, uint16_t port, size_t *ret_len)
{
        int32_t i = p ? p->by_port[port] : -1;
        if (i < 0) {
                *ret_len = 0;
                return NULL;
        }
        *ret_len = p->v[i].len;
        return p->v[i].data;
}

const unsigned char *scan_payloads_get_nth(const struct scan_payloads *p, uint16_t port, unsigned k, size_t *ret_len)
{
        int32_t i = p ? p->by_port[port] : -1;
        if (i < 0 || k == 0)
                return scan_payloads_get(p, port, ret_len);
        /* the port's other payloads: a run of p->more */
        size_t lo = 0, hi = p->nmore;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (p->more[mid] >> 16 < port)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        size_t n = 0;
        while (lo + n < p->nmore && p->more[lo + n] >> 16 == port)
                n++;
        k %= (unsigned)(n + 1);
        if (k == 0)
                return scan_payloads_get(p, port, ret_len);
        i = (int32_t)(p->more[lo + k - 1] & 0xffff);
        *ret_len = p->v[i].len;
        return p->v[i].data;
}

size_t scan_payloads_count(const struct scan_payloads *p)
{
        return p ? p->n : 0;
}
