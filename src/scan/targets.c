/* portscope scan — addresses and target sets.
 *
 * A target set is a list of intervals of addresses; IPv4 and IPv6 share one 128-bit number line
 * per family. Inclusions and exclusions are collected as given, then scan_targets_finish() sorts,
 * merges and subtracts them once, so the order of the command line does not matter. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scan-internal.h"
#include "portscope/i18n.h"
#include "portscope/util.h"

typedef unsigned __int128 u128;

struct iv {
        int family;
        u128 lo, hi;
};

struct named {
        struct scan_addr addr;
        char *name;
};

struct ivec {
        struct iv *v;
        size_t n, cap;
};

struct scan_targets {
        struct ivec inc, exc;
        struct named *names;
        size_t nnames, capnames;
        uint64_t *prefix; /* prefix[i]: addresses before interval i */
        uint64_t count;
        bool finished;
};

int scan_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
        if (err && errlen) {
                va_list ap;
                va_start(ap, fmt);
                int n = vsnprintf(err, errlen, fmt, ap);
                va_end(ap);
                if (n < 0)
                        err[0] = '\0';
        }
        return rc;
}

static u128 addr_to_u128(const struct scan_addr *a)
{
        u128 v = 0;
        size_t len = a->family == AF_INET ? 4 : 16;
        for (size_t i = 0; i < len; i++)
                v = (v << 8) | a->a[i];
        return v;
}

static void u128_to_addr(int family, u128 v, struct scan_addr *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->family = family;
        size_t len = family == AF_INET ? 4 : 16;
        for (size_t i = len; i-- > 0;) {
                ret->a[i] = (uint8_t)v;
                v >>= 8;
        }
}

int scan_addr_format(const struct scan_addr *a, char *buf, size_t len)
{
        if (!inet_ntop(a->family, a->a, buf, (socklen_t)len))
                return -ENOSPC;
        return 0;
}

unsigned scan_addr_sockaddr(const struct scan_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
        memset(ss, 0, sizeof(*ss));
        if (a->family == AF_INET) {
                struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
                s4->sin_family = AF_INET;
                s4->sin_port = htons(port);
                memcpy(&s4->sin_addr, a->a, 4);
                return sizeof(*s4);
        }
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        memcpy(&s6->sin6_addr, a->a, 16);
        return sizeof(*s6);
}

int scan_addr_parse(const char *s, struct scan_addr *ret)
{
        struct scan_addr a;
        memset(&a, 0, sizeof(a));
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (inet_pton(AF_INET, s, a.a) == 1)
                a.family = AF_INET;
        else if (inet_pton(AF_INET6, s, a.a) == 1)
                a.family = AF_INET6;
        else
                return -EINVAL;
        /* ::ffff:127.0.0.1 is 127.0.0.1 (the packets are IPv4): one address, one spelling, so that
         * an --exclude of 127.0.0.0/8 covers it too. */
        if (a.family == AF_INET6 && memcmp(a.a, mapped, 12) == 0) {
                memmove(a.a, a.a + 12, 4);
                memset(a.a + 4, 0, 12);
                a.family = AF_INET;
        }
        *ret = a;
        return 0;
}

int scan_addr_compare(const struct scan_addr *a, const struct scan_addr *b)
{
        if (a->family != b->family)
                return a->family == AF_INET ? -1 : 1;
        return memcmp(a->a, b->a, a->family == AF_INET ? 4 : 16);
}

struct scan_targets *scan_targets_new(void)
{
        return calloc(1, sizeof(struct scan_targets));
}

void scan_targets_free(struct scan_targets *t)
{
        if (!t)
                return;
        free(t->inc.v);
        free(t->exc.v);
        for (size_t i = 0; i < t->nnames; i++)
                free(t->names[i].name);
        free(t->names);
        free(t->prefix);
        free(t);
}

static int ivec_push(struct ivec *v, int family, u128 lo, u128 hi)
{
        int r = PS_GROW(v->v, v->cap, v->n + 1, (size_t)1 << 24);
        if (r < 0)
                return r;
        v->v[v->n++] = (struct iv){ family, lo, hi };
        return 0;
}

static int add_name(struct scan_targets *t, const struct scan_addr *a, const char *name)
{
        if (PS_GROW(t->names, t->capnames, t->nnames + 1, SIZE_MAX) < 0)
                return -ENOMEM;
        char *d = strdup(name);
        if (!d)
                return -ENOMEM;
        t->names[t->nnames++] = (struct named){ *a, d };
        return 0;
}

static bool parse_uint(const char *s, size_t len, unsigned max, unsigned *ret)
{
        if (len == 0 || len > 3 + (max > 999))
                return false;
        unsigned v = 0;
        for (size_t i = 0; i < len; i++) {
                if (!isdigit((unsigned char)s[i]))
                        return false;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        if (len > 1 && s[0] == '0')
                return false;
        if (v > max)
                return false;
        *ret = v;
        return true;
}

/* Parses one spec into an interval; *ret_name_addr set when it was a name. */
static int parse_spec(struct scan_targets *t, const char *spec, unsigned flags, struct ivec *into, char *err,
                      size_t errlen)
{
        char buf[256];
        size_t len = strlen(spec);
        if (len == 0)
                return scan_errf(err, errlen, -EINVAL, _("empty target"));
        if (len >= sizeof(buf))
                return scan_errf(err, errlen, -EINVAL, _("target too long"));
        memcpy(buf, spec, len + 1);
        struct scan_addr a, b;

        char *slash = strchr(buf, '/');
        if (slash) {
                *slash = '\0';
                if (scan_addr_parse(buf, &a) < 0)
                        return scan_errf(err, errlen, -EINVAL, _("not an address before '/' of a CIDR block"));
                /* An IPv4-mapped block (::ffff:198.18.0.0/120) is the IPv4 block of its last 32 bits. */
                bool mapped = a.family == AF_INET && strchr(buf, ':');
                unsigned bits = a.family == AF_INET && !mapped ? 32 : 128, prefix;
                if (!parse_uint(slash + 1, strlen(slash + 1), bits, &prefix) || (mapped && prefix < 96))
                        return scan_errf(err, errlen, -EINVAL, _("prefix length must be %u-%u"), mapped ? 96u : 0u, bits);
                if (mapped) {
                        prefix -= 96;
                        bits = 32;
                }
                if (bits - prefix > 32)
                        return scan_errf(err, errlen, -E2BIG, _("block too large: at most 2^32 addresses"));
                u128 v = addr_to_u128(&a);
                u128 size = (u128)1 << (bits - prefix);
                u128 lo = v & ~(size - 1);
                return ivec_push(into, a.family, lo, lo + size - 1);
        }
        char *dash = strchr(buf, '-');
        if (dash) {
                *dash = '\0';
                if (scan_addr_parse(buf, &a) < 0) {
                        /* Not a range: a host name such as ip6-localhost, unless the part before
                         * the '-' was meant as an address. */
                        const char *after = dash + 1;
                        bool addrish = strchr(buf, ':') || strchr(after, ':') ||
                                       (strspn(buf, "0123456789.") == (size_t)(dash - buf) &&
                                        strspn(after, "0123456789.") == strlen(after));
                        *dash = '-';
                        if (addrish)
                                return scan_errf(err, errlen, -EINVAL, _("not an address before '-' of a range"));
                        dash = NULL;
                }
        }
        if (dash) {
                const char *rest = dash + 1;
                unsigned last;
                if (a.family == AF_INET && parse_uint(rest, strlen(rest), 255, &last)) {
                        b = a;
                        b.a[3] = (uint8_t)last;
                } else if (scan_addr_parse(rest, &b) < 0 || b.family != a.family) {
                        return scan_errf(err, errlen, -EINVAL, _("range end must be an address of the same family "
                                                                 "or the last IPv4 byte"));
                }
                u128 lo = addr_to_u128(&a), hi = addr_to_u128(&b);
                if (hi < lo)
                        /* TRANSLATORS: a target range ("198.18.0.9-1") whose end is below its start. */
                        return scan_errf(err, errlen, -ERANGE, _("range ends before it starts"));
                if (hi - lo >= ((u128)1 << 32))
                        return scan_errf(err, errlen, -E2BIG, _("range too large: at most 2^32 addresses"));
                return ivec_push(into, a.family, lo, hi);
        }
        if (scan_addr_parse(buf, &a) == 0) {
                u128 v = addr_to_u128(&a);
                return ivec_push(into, a.family, v, v);
        }
        /* Digits and dots only, or a ':' : a malformed address, not a name to look up. */
        if (strspn(buf, "0123456789.") == len || strchr(buf, ':'))
                return scan_errf(err, errlen, -EINVAL, _("not a valid IPv4 or IPv6 address"));
        /* A host name: letters, digits, '-', '.', '_' only. */
        for (size_t i = 0; i < len; i++)
                if (!isalnum((unsigned char)buf[i]) && !strchr("-._", buf[i]))
                        return scan_errf(err, errlen, -EINVAL,
                                         _("not an address, a CIDR block, a range or a host name"));
        if (flags & SCAN_TARGETS_NO_DNS)
                return scan_errf(err, errlen, -EINVAL, _("host names are not resolved here (use an address)"));
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
        int r = getaddrinfo(buf, NULL, &hints, &res);
        if (r != 0)
                return scan_errf(err, errlen, -ENOENT, _("cannot resolve host name: %s"), gai_strerror(r));
        /* Like nmap: the first IPv4 address, else the first IPv6 address. */
        const struct addrinfo *pick = NULL;
        for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
                if (ai->ai_family == AF_INET) {
                        pick = ai;
                        break;
                }
        for (const struct addrinfo *ai = res; ai && !pick; ai = ai->ai_next)
                if (ai->ai_family == AF_INET6)
                        pick = ai;
        if (!pick) {
                freeaddrinfo(res);
                return scan_errf(err, errlen, -ENOENT, _("host name has no IPv4 or IPv6 address"));
        }
        memset(&a, 0, sizeof(a));
        a.family = pick->ai_family;
        if (a.family == AF_INET)
                memcpy(a.a, &((const struct sockaddr_in *)pick->ai_addr)->sin_addr, 4);
        else
                memcpy(a.a, &((const struct sockaddr_in6 *)pick->ai_addr)->sin6_addr, 16);
        freeaddrinfo(res);
        u128 v = addr_to_u128(&a);
        r = ivec_push(into, a.family, v, v);
        if (r < 0)
                return r;
        return into == &t->inc ? add_name(t, &a, buf) : 0;
}

int scan_targets_add(struct scan_targets *t, const char *spec, unsigned flags, char *err, size_t errlen)
{
        if (t->finished)
                return -EBUSY;
        return parse_spec(t, spec, flags, &t->inc, err, errlen);
}

int scan_targets_exclude(struct scan_targets *t, const char *spec, unsigned flags, char *err, size_t errlen)
{
        if (t->finished)
                return -EBUSY;
        return parse_spec(t, spec, flags, &t->exc, err, errlen);
}

int scan_targets_add_file(struct scan_targets *t, const char *path, bool exclude, unsigned flags, char *err,
                          size_t errlen)
{
        char *data = NULL;
        size_t len = 0;
        /* '-' is standard input, as for nmap's -iL. */
        int r = ps_read_file(strcmp(path, "-") == 0 ? "/dev/stdin" : path, 64u << 20, &data, &len);
        if (r < 0)
                return scan_errf(err, errlen, r, _("cannot read: %s"), strerror(-r));
        unsigned line = 1;
        size_t i = 0;
        char tok[256], sub[200];
        while (i < len) {
                char ch = data[i];
                if (ch == '\n') {
                        line++;
                        i++;
                        continue;
                }
                if (ch == '#') {
                        while (i < len && data[i] != '\n')
                                i++;
                        continue;
                }
                if (isspace((unsigned char)ch) || ch == ',') {
                        i++;
                        continue;
                }
                size_t s = i;
                while (i < len && !isspace((unsigned char)data[i]) && data[i] != ',' && data[i] != '#')
                        i++;
                size_t tl = i - s;
                if (tl >= sizeof(tok)) {
                        r = scan_errf(err, errlen, -EINVAL, _("line %u: target too long"), line);
                        goto out;
                }
                if (memchr(data + s, '\0', tl)) {
                        r = scan_errf(err, errlen, -EINVAL, _("line %u: NUL byte"), line);
                        goto out;
                }
                memcpy(tok, data + s, tl);
                tok[tl] = '\0';
                r = parse_spec(t, tok, flags, exclude ? &t->exc : &t->inc, sub, sizeof(sub));
                if (r < 0) {
                        r = scan_errf(err, errlen, r, _("line %u: %s"), line, sub);
                        goto out;
                }
        }
        r = 0;
out:
        free(data);
        return r;
}

static int iv_cmp(const void *x, const void *y)
{
        const struct iv *a = x, *b = y;
        if (a->family != b->family)
                return a->family == AF_INET ? -1 : 1;
        if (a->lo != b->lo)
                return a->lo < b->lo ? -1 : 1;
        return 0;
}

static void ivec_merge(struct ivec *v)
{
        if (v->n == 0)
                return;
        qsort(v->v, v->n, sizeof(*v->v), iv_cmp);
        size_t o = 0;
        for (size_t i = 1; i < v->n; i++) {
                struct iv *last = &v->v[o];
                if (v->v[i].family == last->family && v->v[i].lo <= last->hi + 1 && last->hi + 1 != 0) {
                        if (v->v[i].hi > last->hi)
                                last->hi = v->v[i].hi;
                } else if (v->v[i].family == last->family && last->hi + 1 == 0) {
                        /* last reaches the top of the space: everything after is inside */
                } else {
                        v->v[++o] = v->v[i];
                }
        }
        v->n = o + 1;
}

int scan_targets_finish(struct scan_targets *t, char *err, size_t errlen)
{
        if (t->finished)
                return 0;
        ivec_merge(&t->inc);
        ivec_merge(&t->exc);
        struct ivec out = { 0 };
        size_t j = 0;
        for (size_t i = 0; i < t->inc.n; i++) {
                struct iv cur = t->inc.v[i];
                bool alive = true;
                while (j < t->exc.n && iv_cmp(&t->exc.v[j], &cur) < 0 &&
                       (t->exc.v[j].family != cur.family || t->exc.v[j].hi < cur.lo))
                        j++;
                for (size_t k = j; k < t->exc.n && alive; k++) {
                        const struct iv *e = &t->exc.v[k];
                        if (e->family != cur.family || e->lo > cur.hi)
                                break;
                        if (e->hi < cur.lo)
                                continue;
                        if (e->lo > cur.lo) {
                                int r = ivec_push(&out, cur.family, cur.lo, e->lo - 1);
                                if (r < 0) {
                                        free(out.v);
                                        return scan_errf(err, errlen, r, _("too many target intervals"));
                                }
                        }
                        if (e->hi >= cur.hi)
                                alive = false;
                        else
                                cur.lo = e->hi + 1;
                }
                if (alive) {
                        int r = ivec_push(&out, cur.family, cur.lo, cur.hi);
                        if (r < 0) {
                                free(out.v);
                                return scan_errf(err, errlen, r, _("too many target intervals"));
                        }
                }
        }
        free(t->inc.v);
        t->inc = out;
        t->prefix = calloc(t->inc.n + 1, sizeof(uint64_t));
        if (!t->prefix)
                return -ENOMEM;
        u128 total = 0;
        for (size_t i = 0; i < t->inc.n; i++) {
                t->prefix[i] = (uint64_t)total;
                total += t->inc.v[i].hi - t->inc.v[i].lo + 1;
                if (total > SCAN_TARGETS_MAX)
                        return scan_errf(err, errlen, -E2BIG, _("too many addresses: at most 2^32 in one scan"));
        }
        t->prefix[t->inc.n] = (uint64_t)total;
        t->count = (uint64_t)total;
        t->finished = true;
        return 0;
}

uint64_t scan_targets_count(const struct scan_targets *t)
{
        return t->finished ? t->count : 0;
}

size_t scan_targets_nintervals(const struct scan_targets *t)
{
        return t->finished ? t->inc.n : 0;
}

void scan_targets_interval(const struct scan_targets *t, size_t i, struct scan_addr *lo, struct scan_addr *hi)
{
        const struct iv *v = &t->inc.v[i];
        u128_to_addr(v->family, v->lo, lo);
        u128_to_addr(v->family, v->hi, hi);
}

uint64_t scan_targets_hash(const struct scan_targets *t, const struct scan_cookie_key *key)
{
        uint64_t h = t->count;
        for (size_t i = 0; t->finished && i < t->inc.n; i++) {
                const struct iv *v = &t->inc.v[i];
                uint64_t b[6] = { h, (uint64_t)v->family, (uint64_t)(v->lo >> 64), (uint64_t)v->lo,
                                  (uint64_t)(v->hi >> 64), (uint64_t)v->hi };
                h = scan_siphash(key, b, sizeof(b));
        }
        return h;
}

void scan_targets_get(const struct scan_targets *t, uint64_t i, struct scan_addr *ret)
{
        size_t lo = 0, hi = t->inc.n; /* find the last interval with prefix <= i */
        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if (t->prefix[mid] <= i)
                        lo = mid;
                else
                        hi = mid;
        }
        const struct iv *v = &t->inc.v[lo];
        u128_to_addr(v->family, v->lo + (i - t->prefix[lo]), ret);
}

int64_t scan_targets_index(const struct scan_targets *t, const struct scan_addr *a)
{
        u128 v = addr_to_u128(a);
        size_t lo = 0, hi = t->inc.n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const struct iv *m = &t->inc.v[mid];
                if (m->family != a->family ? (m->family == AF_INET) : m->hi < v)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < t->inc.n && t->inc.v[lo].family == a->family && t->inc.v[lo].lo <= v && v <= t->inc.v[lo].hi)
                return (int64_t)(t->prefix[lo] + (uint64_t)(v - t->inc.v[lo].lo));
        return -1;
}

const char *scan_targets_name(const struct scan_targets *t, const struct scan_addr *a)
{
        for (size_t i = 0; i < t->nnames; i++)
                if (scan_addr_compare(&t->names[i].addr, a) == 0)
                        return t->names[i].name;
        return NULL;
}
