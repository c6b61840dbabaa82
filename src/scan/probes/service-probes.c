/* portscope scan — nmap-service-probes: probes, and match rules compiled with PCRE2.
 *
 * The file holds ~190 probes and ~12,000 rules; a scan touches few of them, so a rule's regex is
 * compiled the first time a response is matched against it (under a lock; matching itself is
 * thread-safe). Templates ($1, $P(1), $SUBST(1,"a","b")) fill the product, version and info
 * fields from the captures; the caller escapes them before display. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../scan-internal.h"
#include "portscope/util.h"
#include "service-probes.h"

struct rule {
        char *service;
        char *pattern;
        size_t plen;
        uint32_t flags;
        char *tmpl[3]; /* p, v, i */
        bool soft;
        pcre2_code *code; /* lazily */
        bool failed;
};

#define MAX_FALLBACKS 8

struct probe {
        char name[32];
        enum ps_proto proto;
        unsigned char *payload;
        size_t len;
        uint8_t *ports;    /* bitmap 65536 bits, or NULL */
        uint8_t *sslports; /* the same, for the port inside TLS */
        unsigned rarity, waitms, tcpwrappedms;
        char fallback[MAX_FALLBACKS][32];
        size_t nfallback;
        int fb[MAX_FALLBACKS]; /* the fallbacks resolved (indices), after parsing */
        size_t nfb;
        struct rule *rules;
        size_t nrules, caprules;
};

struct scan_probes {
        struct probe *v;
        size_t n, cap;
        size_t nrules;
        int null;          /* the NULL probe, -1 when none */
        int *order;        /* probe indices by rarity (file order within one), n of them */
        uint8_t *exclude[PS_NPROTO]; /* the Exclude directive: bitmaps, NULL when none */
        pthread_mutex_t lock;
        /* Bounded backtracking, as nmap bounds it: a rule and an answer made for each other cannot
         * hold a thread (pcre2_match then fails with an error, which is no match). Read-only once
         * made, so shared by every matching thread. */
        pcre2_match_context *mctx;
};

void scan_probes_free(struct scan_probes *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++) {
                struct probe *pr = &p->v[i];
                for (size_t j = 0; j < pr->nrules; j++) {
                        struct rule *r = &pr->rules[j];
                        free(r->service);
                        free(r->pattern);
                        for (int k = 0; k < 3; k++)
                                free(r->tmpl[k]);
                        pcre2_code_free(r->code);
                }
                free(pr->rules);
                free(pr->payload);
                free(pr->ports);
                free(pr->sslports);
        }
        free(p->v);
        free(p->order);
        for (int k = 0; k < PS_NPROTO; k++)
                free(p->exclude[k]);
        pcre2_match_context_free(p->mctx);
        pthread_mutex_destroy(&p->lock);
        free(p);
}

size_t scan_probes_count(const struct scan_probes *p)
{
        return p ? p->n : 0;
}

size_t scan_probes_nmatches(const struct scan_probes *p)
{
        return p ? p->nrules : 0;
}

static int hexv(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Unescapes nmap's q|...| payload syntax. */
static int unescape(const char *s, size_t n, unsigned char **ret, size_t *ret_len)
{
        unsigned char *o = malloc(n + 1);
        if (!o)
                return -ENOMEM;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '\\' || i + 1 >= n) {
                        o[k++] = (unsigned char)s[i];
                        continue;
                }
                char e = s[++i];
                switch (e) {
                case 'x':
                        if (i + 2 < n && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
                                o[k++] = (unsigned char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
                                i += 2;
                        } else {
                                free(o);
                                return -EINVAL;
                        }
                        break;
                case '0': o[k++] = 0; break;
                case 'a': o[k++] = 7; break;
                case 'b': o[k++] = 8; break;
                case 'f': o[k++] = 12; break;
                case 'n': o[k++] = 10; break;
                case 'r': o[k++] = 13; break;
                case 't': o[k++] = 9; break;
                case 'v': o[k++] = 11; break;
                default: o[k++] = (unsigned char)e; break;
                }
        }
        *ret = o;
        *ret_len = k;
        return 0;
}

static int parse_ports(const char *s, size_t n, uint8_t **ret)
{
        uint8_t *bits = *ret ? *ret : calloc(65536 / 8, 1);
        if (!bits)
                return -ENOMEM;
        *ret = bits;
        size_t i = 0;
        while (i < n) {
                unsigned long lo = 0, hi;
                size_t st = i;
                while (i < n && isdigit((unsigned char)s[i]) && lo <= 65535)
                        lo = lo * 10 + (unsigned long)(s[i++] - '0');
                if (i == st || lo > 65535)
                        return -EINVAL;
                hi = lo;
                if (i < n && s[i] == '-') {
                        i++;
                        st = i;
                        hi = 0;
                        while (i < n && isdigit((unsigned char)s[i]) && hi <= 65535)
                                hi = hi * 10 + (unsigned long)(s[i++] - '0');
                        if (i == st || hi > 65535 || hi < lo)
                                return -EINVAL;
                }
                for (unsigned long p = lo; p <= hi; p++)
                        bits[p >> 3] |= (uint8_t)(1u << (p & 7));
                if (i < n && s[i] == ',')
                        i++;
                else if (i < n)
                        return -EINVAL;
        }
        return 0;
}

/* Reads a delimited field starting at *p (the delimiter is **p); returns its start and length. */
static bool delimited(const char **p, const char *end, const char **ret, size_t *ret_len)
{
        if (*p >= end)
                return false;
        char d = **p;
        const char *s = *p + 1, *e = memchr(s, d, (size_t)(end - s));
        if (!e)
                return false;
        *ret = s;
        *ret_len = (size_t)(e - s);
        *p = e + 1;
        return true;
}

static char *dupn(const char *s, size_t n)
{
        char *d = malloc(n + 1);
        if (d) {
                memcpy(d, s, n);
                d[n] = '\0';
        }
        return d;
}

static int parse_match(struct probe *pr, const char *s, const char *end, bool soft)
{
        /* SERVICE m<d>REGEX<d>[is] [p/../] [v/../] [i/../] ... */
        const char *sp = s;
        while (sp < end && !isspace((unsigned char)*sp))
                sp++;
        if (sp == s || sp >= end)
                return -EINVAL;
        const char *p = sp;
        while (p < end && isspace((unsigned char)*p))
                p++;
        if (p >= end || *p != 'm')
                return -EINVAL;
        p++;
        const char *re;
        size_t relen;
        if (!delimited(&p, end, &re, &relen))
                return -EINVAL;
        uint32_t flags = 0;
        while (p < end && (*p == 'i' || *p == 's')) {
                flags |= *p == 'i' ? PCRE2_CASELESS : PCRE2_DOTALL;
                p++;
        }
        struct rule r = { .soft = soft, .flags = flags };
        r.service = dupn(s, (size_t)(sp - s));
        r.pattern = dupn(re, relen);
        r.plen = relen;
        if (!r.service || !r.pattern)
                goto oom;
        while (p < end) {
                while (p < end && isspace((unsigned char)*p))
                        p++;
                if (p >= end)
                        break;
                if (end - p > 4 && strncmp(p, "cpe:", 4) == 0) {
                        p += 4;
                        const char *v;
                        size_t vl;
                        if (!delimited(&p, end, &v, &vl))
                                break;
                        if (p < end && *p == 'a')
                                p++;
                        continue;
                }
                char key = *p++;
                const char *v;
                size_t vl;
                if (!delimited(&p, end, &v, &vl))
                        break;
                int k = key == 'p' ? 0 : key == 'v' ? 1 : key == 'i' ? 2 : -1;
                if (k >= 0 && !r.tmpl[k] && !(r.tmpl[k] = dupn(v, vl)))
                        goto oom;
        }
        if (PS_GROW(pr->rules, pr->caprules, pr->nrules + 1, SIZE_MAX) < 0)
                goto oom;
        pr->rules[pr->nrules++] = r;
        return 0;
oom:
        free(r.service);
        free(r.pattern);
        for (int k = 0; k < 3; k++)
                free(r.tmpl[k]);
        return -ENOMEM;
}

/* Exclude T:9100-9107,53,U:30000-40000: as nmap's -p, a "T:" or "U:" prefix applies to the items
 * after it; items before any prefix apply to both protocols. */
static int parse_exclude(struct scan_probes *ps, const char *s, size_t n)
{
        int which = -1; /* -1: both */
        size_t i = 0;
        while (i < n) {
                while (i < n && isspace((unsigned char)s[i]))
                        i++;
                if (i + 1 < n && s[i + 1] == ':') {
                        char c = (char)toupper((unsigned char)s[i]);
                        which = c == 'T' ? PS_TCP : c == 'U' ? PS_UDP : c == 'S' ? PS_SCTP : -2;
                        if (which == -2)
                                return -EINVAL;
                        i += 2;
                }
                size_t st = i;
                while (i < n && s[i] != ',')
                        i++;
                size_t e = i;
                while (e > st && isspace((unsigned char)s[e - 1]))
                        e--;
                if (e == st)
                        return -EINVAL;
                for (int k = 0; k < PS_NPROTO; k++) {
                        if (which >= 0 ? k != which : (k != PS_TCP && k != PS_UDP))
                                continue;
                        int r = parse_ports(s + st, e - st, &ps->exclude[k]);
                        if (r < 0)
                                return r;
                }
                if (i < n)
                        i++; /* ',' */
        }
        return 0;
}

static int by_rarity(const void *a, const void *b, void *ctx)
{
        const struct scan_probes *ps = ctx;
        int x = *(const int *)a, y = *(const int *)b;
        if (ps->v[x].rarity != ps->v[y].rarity)
                return ps->v[x].rarity < ps->v[y].rarity ? -1 : 1;
        return x < y ? -1 : x > y; /* stable: file order */
}

static int find_index(const struct scan_probes *ps, const char *name, enum ps_proto proto)
{
        for (size_t i = 0; i < ps->n; i++)
                if (ps->v[i].proto == proto && strcmp(ps->v[i].name, name) == 0)
                        return (int)i;
        return -1;
}

/* After the last line: fallbacks resolved to indices (a name of the probe's protocol first, then
 * of any: DNSVersionBindReqTCP falls back to the UDP DNSVersionBindReq's rules), the rarity
 * order, the NULL probe. */
static int finish(struct scan_probes *ps, struct ps_error *err)
{
        ps->null = find_index(ps, "NULL", PS_TCP);
        for (size_t i = 0; i < ps->n; i++) {
                struct probe *pr = &ps->v[i];
                for (size_t k = 0; k < pr->nfallback; k++) {
                        int f = find_index(ps, pr->fallback[k], pr->proto);
                        if (f < 0)
                                f = find_index(ps, pr->fallback[k], pr->proto == PS_TCP ? PS_UDP : PS_TCP);
                        if (f < 0) {
                                snprintf(err->message, sizeof(err->message), "Probe %s: unknown fallback '%s'",
                                         pr->name, pr->fallback[k]);
                                return -EINVAL;
                        }
                        if ((size_t)f != i)
                                pr->fb[pr->nfb++] = f;
                }
        }
        ps->order = malloc((ps->n ? ps->n : 1) * sizeof(*ps->order));
        if (!ps->order)
                return -ENOMEM;
        for (size_t i = 0; i < ps->n; i++)
                ps->order[i] = (int)i;
        qsort_r(ps->order, ps->n, sizeof(*ps->order), by_rarity, ps);
        return 0;
}

int scan_probes_parse(const char *name, const char *data, size_t len, struct scan_probes **ret,
                      struct ps_error *err)
{
        struct scan_probes *ps = calloc(1, sizeof(*ps));
        if (!ps)
                return -ENOMEM;
        pthread_mutex_init(&ps->lock, NULL);
        if (!(ps->mctx = pcre2_match_context_create(NULL))) {
                scan_probes_free(ps);
                return -ENOMEM;
        }
        pcre2_set_match_limit(ps->mctx, 100000);
        pcre2_set_depth_limit(ps->mctx, 10000);
        memset(err, 0, sizeof(*err));
        snprintf(err->file, sizeof(err->file), "%s", name);
        const char *p = data, *end = data + len;
        unsigned line = 0;
        int r = 0;
        while (p < end) {
                line++;
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                const char *s = p;
                p = nl ? nl + 1 : end;
                while (le > s && (le[-1] == '\r' || isspace((unsigned char)le[-1])))
                        le--;
                if (s == le || *s == '#')
                        continue;
                struct probe *cur = ps->n ? &ps->v[ps->n - 1] : NULL;
                size_t n = (size_t)(le - s);
#define KW(k) (n > strlen(k) && strncmp(s, k, strlen(k)) == 0)
                if (KW("Probe ")) {
                        const char *q = s + 6;
                        enum ps_proto proto;
                        if (le - q > 4 && strncmp(q, "TCP ", 4) == 0)
                                proto = PS_TCP;
                        else if (le - q > 4 && strncmp(q, "UDP ", 4) == 0)
                                proto = PS_UDP;
                        else {
                                r = -EINVAL;
                                snprintf(err->message, sizeof(err->message), "Probe: expected TCP or UDP");
                                goto fail;
                        }
                        q += 4;
                        const char *nm = q;
                        while (q < le && !isspace((unsigned char)*q))
                                q++;
                        size_t nml = (size_t)(q - nm);
                        while (q < le && isspace((unsigned char)*q))
                                q++;
                        const char *pl;
                        size_t pll;
                        if (nml == 0 || nml >= 32 || q >= le || *q != 'q' || (q++, !delimited(&q, le, &pl, &pll))) {
                                r = -EINVAL;
                                snprintf(err->message, sizeof(err->message), "Probe: expected NAME q|payload|");
                                goto fail;
                        }
                        if (PS_GROW(ps->v, ps->cap, ps->n + 1, SIZE_MAX) < 0) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        struct probe *np = &ps->v[ps->n];
                        memset(np, 0, sizeof(*np));
                        memcpy(np->name, nm, nml);
                        np->proto = proto;
                        np->waitms = 5000;
                        np->tcpwrappedms = 3000;
                        np->rarity = 5;
                        if ((r = unescape(pl, pll, &np->payload, &np->len)) < 0) {
                                snprintf(err->message, sizeof(err->message), "Probe: bad escape in the payload");
                                goto fail;
                        }
                        ps->n++;
                        continue;
                }
                if (KW("Exclude ")) {
                        if ((r = parse_exclude(ps, s + 8, n - 8)) < 0) {
                                snprintf(err->message, sizeof(err->message), "Exclude: bad port list");
                                goto fail;
                        }
                        continue;
                }
                if (!cur) {
                        r = -EINVAL;
                        snprintf(err->message, sizeof(err->message), "directive before the first Probe");
                        goto fail;
                }
                if (KW("match ") || KW("softmatch ")) {
                        bool soft = s[0] == 's';
                        const char *q = s + (soft ? 10 : 6);
                        r = parse_match(cur, q, le, soft);
                        if (r < 0) {
                                snprintf(err->message, sizeof(err->message), "%s: expected SERVICE m/REGEX/",
                                         soft ? "softmatch" : "match");
                                goto fail;
                        }
                        ps->nrules++;
                } else if (KW("ports ") || KW("sslports ")) {
                        bool ssl = s[0] == 's';
                        size_t skip = ssl ? 9 : 6;
                        if ((r = parse_ports(s + skip, n - skip, ssl ? &cur->sslports : &cur->ports)) < 0) {
                                snprintf(err->message, sizeof(err->message), "%s: bad port list", ssl ? "sslports" : "ports");
                                goto fail;
                        }
                } else if (KW("rarity ")) {
                        unsigned long v = strtoul(s + 7, NULL, 10);
                        if (v < 1 || v > 9) {
                                r = -EINVAL;
                                snprintf(err->message, sizeof(err->message), "rarity: expected 1-9");
                                goto fail;
                        }
                        cur->rarity = (unsigned)v;
                } else if (KW("totalwaitms ") || KW("tcpwrappedms ")) {
                        bool tw = s[1] == 'c';
                        unsigned long v = strtoul(s + (tw ? 13 : 12), NULL, 10);
                        if (v < 100 || v > 300000) {
                                r = -EINVAL;
                                snprintf(err->message, sizeof(err->message), "%s: expected 100-300000 ms",
                                         tw ? "tcpwrappedms" : "totalwaitms");
                                goto fail;
                        }
                        *(tw ? &cur->tcpwrappedms : &cur->waitms) = (unsigned)v;
                } else if (KW("fallback ")) {
                        const char *q = s + 9;
                        while (q < le && cur->nfallback < MAX_FALLBACKS) {
                                const char *f = q;
                                while (q < le && *q != ',' && !isspace((unsigned char)*q))
                                        q++;
                                size_t fl = (size_t)(q - f);
                                if (fl > 0 && fl < 32) {
                                        memcpy(cur->fallback[cur->nfallback], f, fl);
                                        cur->fallback[cur->nfallback++][fl] = '\0';
                                }
                                while (q < le && (*q == ',' || isspace((unsigned char)*q)))
                                        q++;
                        }
                } else {
                        r = -EINVAL;
                        snprintf(err->message, sizeof(err->message), "unknown directive");
                        goto fail;
                }
#undef KW
        }
        if ((r = finish(ps, err)) < 0)
                goto fail;
        *ret = ps;
        return 0;
fail:
        err->line = line;
        scan_probes_free(ps);
        return r;
}

int scan_probes_load(const char *path, struct scan_probes **ret, struct ps_error *err)
{
        if (!path)
                path = getenv("PORTSCOPE_SERVICE_PROBES");
        if (!path)
                path = "/usr/share/nmap/nmap-service-probes";
        memset(err, 0, sizeof(*err));
        snprintf(err->file, sizeof(err->file), "%s", path);
        char *data;
        size_t len;
        int r = ps_read_file(path, 64u << 20, &data, &len);
        if (r < 0) {
                snprintf(err->message, sizeof(err->message), "cannot read: %s", strerror(-r));
                return r;
        }
        r = scan_probes_parse(path, data, len, ret, err);
        free(data);
        return r;
}

static pcre2_code *rule_code(struct scan_probes *ps, struct rule *r)
{
        pcre2_code *c = __atomic_load_n(&r->code, __ATOMIC_ACQUIRE);
        if (c || __atomic_load_n(&r->failed, __ATOMIC_ACQUIRE))
                return c;
        pthread_mutex_lock(&ps->lock);
        if (!r->code && !r->failed) {
                int ec;
                PCRE2_SIZE off;
                c = pcre2_compile((PCRE2_SPTR)r->pattern, r->plen, r->flags, &ec, &off, NULL);
                if (c)
                        __atomic_store_n(&r->code, c, __ATOMIC_RELEASE);
                else
                        __atomic_store_n(&r->failed, true, __ATOMIC_RELEASE);
        }
        c = r->code;
        pthread_mutex_unlock(&ps->lock);
        return c;
}

/* Appends capture n (or its printable part) to out. */
static void put_capture(char *out, size_t cap, size_t *o, const unsigned char *subj, PCRE2_SIZE *ov, int rc, int n,
                        bool printable)
{
        if (n <= 0 || n >= rc || ov[2 * n] == PCRE2_UNSET)
                return;
        for (PCRE2_SIZE i = ov[2 * n]; i < ov[2 * n + 1] && *o + 1 < cap; i++) {
                unsigned char ch = subj[i];
                if (printable && (ch < 0x20 || ch >= 0x7f))
                        continue;
                out[(*o)++] = (char)ch;
        }
}

/* Reads a quoted template argument ("..." with \\ escapes) at *pp into buf; advances *pp past it. */
static bool quoted_arg(const char **pp, char *buf, size_t cap)
{
        const char *p = *pp;
        size_t n = 0;
        if (*p != '"')
                return false;
        for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                        p++;
                if (n + 1 >= cap)
                        return false;
                buf[n++] = *p;
        }
        if (*p != '"')
                return false;
        buf[n] = '\0';
        *pp = p + 1;
        return true;
}

/* $SUBST(n,"from","to"): capture n, printable part, every "from" replaced by "to" (nmap's
 * version strings such as 4_0_5 -> 4.0.5). Returns the end of the template or NULL. */
static const char *subst(const char *p, char *out, size_t cap, size_t *o, const unsigned char *subj, PCRE2_SIZE *ov,
                         int rc)
{
        const char *a = p + 7;
        char from[32], to[32], cap_text[256];
        if (!isdigit((unsigned char)*a) || a[1] != ',')
                return NULL;
        int n = *a - '0';
        a += 2;
        if (!quoted_arg(&a, from, sizeof(from)) || *a++ != ',' || !quoted_arg(&a, to, sizeof(to)) || *a != ')' ||
            !from[0])
                return NULL;
        size_t cl = 0;
        put_capture(cap_text, sizeof(cap_text), &cl, subj, ov, rc, n, true);
        cap_text[cl] = '\0';
        size_t fl = strlen(from), tl = strlen(to);
        for (size_t i = 0; i < cl && *o + 1 < cap;) {
                if (strncmp(cap_text + i, from, fl) == 0) {
                        for (size_t k = 0; k < tl && *o + 1 < cap; k++)
                                out[(*o)++] = to[k];
                        i += fl;
                } else {
                        out[(*o)++] = cap_text[i++];
                }
        }
        return a + 1;
}

/* $I(n,">") / $I(n,"<"): capture n (at most 8 bytes) as an unsigned big / little endian number. */
static const char *unpack_int(const char *p, char *out, size_t cap, size_t *o, const unsigned char *subj,
                              PCRE2_SIZE *ov, int rc)
{
        const char *a = p + 3;
        char order[4];
        if (!isdigit((unsigned char)*a) || a[1] != ',')
                return NULL;
        int n = *a - '0';
        a += 2;
        if (!quoted_arg(&a, order, sizeof(order)) || *a != ')' || (strcmp(order, ">") != 0 && strcmp(order, "<") != 0))
                return NULL;
        if (n > 0 && n < rc && ov[2 * n] != PCRE2_UNSET && ov[2 * n + 1] - ov[2 * n] <= 8) {
                uint64_t v = 0;
                size_t len = ov[2 * n + 1] - ov[2 * n];
                for (size_t i = 0; i < len; i++) {
                        unsigned char b = subj[ov[2 * n] + (order[0] == '>' ? i : len - 1 - i)];
                        v = v << 8 | b;
                }
                char num[24];
                int w = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
                for (int k = 0; k < w && *o + 1 < cap; k++)
                        out[(*o)++] = num[k];
        }
        return a + 1;
}

static void expand(const char *t, const unsigned char *subj, PCRE2_SIZE *ov, int rc, char *out, size_t cap)
{
        size_t o = 0;
        out[0] = '\0';
        if (!t)
                return;
        for (const char *p = t; *p && o + 1 < cap;) {
                if (p[0] == '$' && isdigit((unsigned char)p[1])) {
                        put_capture(out, cap, &o, subj, ov, rc, p[1] - '0', false);
                        p += 2;
                } else if (strncmp(p, "$P(", 3) == 0 && isdigit((unsigned char)p[3]) && p[4] == ')') {
                        put_capture(out, cap, &o, subj, ov, rc, p[3] - '0', true);
                        p += 5;
                } else if (strncmp(p, "$SUBST(", 7) == 0 || strncmp(p, "$I(", 3) == 0) {
                        const char *next = p[1] == 'S' ? subst(p, out, cap, &o, subj, ov, rc)
                                                       : unpack_int(p, out, cap, &o, subj, ov, rc);
                        if (!next) { /* malformed: skip to its ')' */
                                const char *close = strchr(p, ')');
                                next = close ? close + 1 : p + strlen(p);
                        }
                        p = next;
                } else {
                        out[o++] = *p++;
                }
        }
        out[o] = '\0';
}

/* 1: hard match, 2: soft match, 0: none. */
static int match_probe(struct scan_probes *ps, const struct probe *pr, const unsigned char *resp, size_t len,
                       struct scan_service *ret, bool *have_soft)
{
        for (size_t i = 0; i < pr->nrules; i++) {
                struct rule *r = &pr->rules[i];
                if (r->soft && *have_soft)
                        continue;
                pcre2_code *code = rule_code(ps, r);
                if (!code)
                        continue;
                pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
                if (!md)
                        return -ENOMEM;
                int rc = pcre2_match(code, resp, len, 0, 0, md, ps->mctx);
                if (rc > 0) {
                        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
                        struct scan_service s = ret ? *ret : (struct scan_service){ 0 };
                        snprintf(s.name, sizeof(s.name), "%s", r->service);
                        expand(r->tmpl[0], resp, ov, rc, s.product, sizeof(s.product));
                        expand(r->tmpl[1], resp, ov, rc, s.version, sizeof(s.version));
                        expand(r->tmpl[2], resp, ov, rc, s.info, sizeof(s.info));
                        snprintf(s.probe, sizeof(s.probe), "%s", pr->name);
                        s.soft = r->soft;
                        pcre2_match_data_free(md);
                        *ret = s;
                        if (!r->soft)
                                return 1;
                        *have_soft = true;
                        continue;
                }
                pcre2_match_data_free(md);
        }
        return 0;
}

int scan_probes_match_at(struct scan_probes *ps, int i, const unsigned char *resp, size_t len, bool have_soft,
                         struct scan_service *ret)
{
        if (!ps || i < 0 || (size_t)i >= ps->n || len == 0)
                return 0;
        const struct probe *pr = &ps->v[i];
        bool soft = have_soft;
        int r = match_probe(ps, pr, resp, len, ret, &soft);
        for (size_t k = 0; r == 0 && k < pr->nfb; k++)
                r = match_probe(ps, &ps->v[pr->fb[k]], resp, len, ret, &soft);
        /* TCP answers are also tried against the NULL probe's rules (nmap's implicit last fallback). */
        if (r == 0 && pr->proto == PS_TCP && ps->null >= 0 && ps->null != i)
                r = match_probe(ps, &ps->v[ps->null], resp, len, ret, &soft);
        if (r != 0)
                return r < 0 ? r : 1;
        return soft && !have_soft ? 1 : 0;
}

int scan_probes_match(struct scan_probes *ps, const char *probe, enum ps_proto proto, const unsigned char *resp,
                      size_t len, struct scan_service *ret)
{
        return ps ? scan_probes_match_at(ps, find_index(ps, probe, proto), resp, len, false, ret) : 0;
}

int scan_probes_null(const struct scan_probes *ps)
{
        return ps ? ps->null : -1;
}

void scan_probes_def(const struct scan_probes *ps, int i, struct scan_probe_def *ret)
{
        const struct probe *pr = &ps->v[i];
        *ret = (struct scan_probe_def){ .name = pr->name, .proto = pr->proto, .payload = pr->payload, .len = pr->len,
                                        .rarity = pr->rarity, .waitms = pr->waitms, .tcpwrappedms = pr->tcpwrappedms };
}

static bool in_bits(const uint8_t *bits, uint16_t port)
{
        return bits && (bits[port >> 3] >> (port & 7) & 1);
}

/* nmap's serviceIsPossible: one of the probe's rules names the service. */
static bool can_name(const struct probe *pr, const char *service)
{
        for (size_t i = 0; i < pr->nrules; i++)
                if (strcmp(pr->rules[i].service, service) == 0)
                        return true;
        return false;
}

int scan_probes_next(const struct scan_probes *ps, enum ps_proto proto, uint16_t port, bool tls, unsigned intensity,
                     const char *soft, struct scan_plan *plan)
{
        if (!ps)
                return -1;
        while (plan->phase < 2) {
                while (plan->pos < ps->n) {
                        int i = ps->order[plan->pos++];
                        const struct probe *pr = &ps->v[i];
                        if (pr->proto != proto || i == ps->null || pr->len == 0)
                                continue;
                        bool named = in_bits(tls ? pr->sslports : pr->ports, port);
                        if (plan->phase == 0 ? named
                                             : !named && pr->rarity <= intensity && (!soft || can_name(pr, soft)))
                                return i;
                }
                plan->phase++;
                plan->pos = 0;
        }
        return -1;
}

bool scan_probes_sslport(const struct scan_probes *ps, uint16_t port)
{
        for (size_t i = 0; ps && i < ps->n; i++)
                if (ps->v[i].proto == PS_TCP && in_bits(ps->v[i].sslports, port))
                        return true;
        return false;
}

bool scan_probes_excluded(const struct scan_probes *ps, enum ps_proto proto, uint16_t port)
{
        return ps && (unsigned)proto < PS_NPROTO && in_bits(ps->exclude[proto], port);
}
