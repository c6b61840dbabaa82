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
#include <stdlib.h>
#include <string.h>

#include "../scan-internal.h"
#include "portscope/util.h"

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

struct probe {
        char name[32];
        enum ps_proto proto;
        unsigned char *payload;
        size_t len;
        uint8_t *ports; /* bitmap 65536 bits, or NULL */
        unsigned rarity, waitms;
        char fallback[4][32];
        size_t nfallback;
        struct rule *rules;
        size_t nrules, caprules;
};

struct scan_probes {
        struct probe *v;
        size_t n, cap;
        size_t nrules;
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
        }
        free(p->v);
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
        if (pr->nrules == pr->caprules) {
                size_t nc = pr->caprules ? pr->caprules * 2 : 16;
                struct rule *nr = realloc(pr->rules, nc * sizeof(*nr));
                if (!nr)
                        goto oom;
                pr->rules = nr;
                pr->caprules = nc;
        }
        pr->rules[pr->nrules++] = r;
        return 0;
oom:
        free(r.service);
        free(r.pattern);
        for (int k = 0; k < 3; k++)
                free(r.tmpl[k]);
        return -ENOMEM;
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
                        if (ps->n == ps->cap) {
                                size_t nc = ps->cap ? ps->cap * 2 : 32;
                                struct probe *nv = realloc(ps->v, nc * sizeof(*nv));
                                if (!nv) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                                ps->v = nv;
                                ps->cap = nc;
                        }
                        struct probe *np = &ps->v[ps->n];
                        memset(np, 0, sizeof(*np));
                        memcpy(np->name, nm, nml);
                        np->proto = proto;
                        np->waitms = 5000;
                        if ((r = unescape(pl, pll, &np->payload, &np->len)) < 0) {
                                snprintf(err->message, sizeof(err->message), "Probe: bad escape in the payload");
                                goto fail;
                        }
                        ps->n++;
                        continue;
                }
                if (!cur) {
                        if (KW("Exclude "))
                                continue;
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
                        if (s[0] == 's')
                                continue; /* no TLS here */
                        if ((r = parse_ports(s + 6, n - 6, &cur->ports)) < 0) {
                                snprintf(err->message, sizeof(err->message), "ports: bad port list");
                                goto fail;
                        }
                } else if (KW("rarity ")) {
                        cur->rarity = (unsigned)strtoul(s + 7, NULL, 10);
                } else if (KW("totalwaitms ")) {
                        cur->waitms = (unsigned)strtoul(s + 12, NULL, 10);
                } else if (KW("fallback ")) {
                        const char *q = s + 9;
                        while (q < le && cur->nfallback < 4) {
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
                } else if (KW("Exclude ") || KW("tcpwrappedms ")) {
                        continue;
                } else {
                        r = -EINVAL;
                        snprintf(err->message, sizeof(err->message), "unknown directive");
                        goto fail;
                }
#undef KW
        }
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

static const struct probe *find_probe(const struct scan_probes *ps, const char *name, enum ps_proto proto)
{
        for (size_t i = 0; ps && i < ps->n; i++)
                if (ps->v[i].proto == proto && strcmp(ps->v[i].name, name) == 0)
                        return &ps->v[i];
        return NULL;
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

int scan_probes_match(struct scan_probes *ps, const char *probe, enum ps_proto proto, const unsigned char *resp,
                      size_t len, struct scan_service *ret)
{
        const struct probe *pr = find_probe(ps, probe, proto);
        if (!pr || len == 0)
                return 0;
        bool soft = false;
        int r = match_probe(ps, pr, resp, len, ret, &soft);
        if (r != 0)
                return r < 0 ? r : 1;
        for (size_t i = 0; i < pr->nfallback; i++) {
                const struct probe *fb = find_probe(ps, pr->fallback[i], proto);
                if (fb && fb != pr && (r = match_probe(ps, fb, resp, len, ret, &soft)) != 0)
                        return r < 0 ? r : 1;
        }
        /* Without a fallback that matched, TCP responses are also tried against the NULL probe. */
        const struct probe *null = proto == PS_TCP ? find_probe(ps, "NULL", PS_TCP) : NULL;
        if (null && null != pr && (r = match_probe(ps, null, resp, len, ret, &soft)) != 0)
                return r < 0 ? r : 1;
        return soft ? 1 : 0;
}

/* For service.c: the probes to send to port, in order (those naming the port first). */
size_t scan_probes_plan(const struct scan_probes *ps, uint16_t port, const char **names, const unsigned char **payloads,
                        size_t *lens, size_t max);
size_t scan_probes_plan(const struct scan_probes *ps, uint16_t port, const char **names, const unsigned char **payloads,
                        size_t *lens, size_t max)
{
        size_t n = 0;
        if (!ps)
                return 0;
        static const char *const generic[] = { "GetRequest", "GenericLines" };
        for (int round = 0; round < 3 && n < max; round++)
                for (size_t i = 0; i < ps->n && n < max; i++) {
                        const struct probe *pr = &ps->v[i];
                        if (pr->proto != PS_TCP || pr->len == 0)
                                continue;
                        bool named = pr->ports && (pr->ports[port >> 3] >> (port & 7) & 1);
                        /* round 0: probes naming the port; then HTTP's, then generic lines */
                        if (round == 0 ? !named : (named || strcmp(pr->name, generic[round - 1]) != 0))
                                continue;
                        names[n] = pr->name;
                        payloads[n] = pr->payload;
                        lens[n] = pr->len;
                        n++;
                }
        return n;
}
