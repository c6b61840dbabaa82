/* Field knowledge: the project's own file of what really runs on ports (format:
 * docs/knowledge-format.md). Records of "key: value" lines separated by blank lines. */
#include "portscope/i18n.h"
#include "portscope/knowledge.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "portscope/util.h"

#define MAX_KNOWLEDGE_SIZE (16u << 20)

/* Built into the program from data/knowledge.txt (see src/core/meson.build). */
extern const char ps_knowledge_builtin[];
extern const size_t ps_knowledge_builtin_len;

struct knowledge {
        char origin[512];
        char *arena;                       /* all strings */
        size_t arena_used, arena_cap;
        struct knowledge_entry *entries;
        size_t nentries, entries_cap;
        struct knowledge_service *services;
        size_t nservices, services_cap;
        struct knowledge_socket *sockets;
        size_t nsockets, sockets_cap;
        /* Entries own their ranges and process arrays; services own their servers arrays. */
        struct port_index {
                /* The ports cut into intervals no range starts or ends inside: interval i is
                 * [start[i], start[i + 1]), and the entries covering it, in file order, are
                 * entry[first[i]] up to entry[first[i + 1]]. */
                uint32_t *start, *first, *entry;
                size_t nintervals;
        } by_port[PS_NPROTO];
};

/* English in the knowledge file and in JSON; pages and the CLI show _(name). */
static const char *const kind_names[KNOWLEDGE_NKINDS] = {
        /* TRANSLATORS: kinds of knowledge entries: a legitimate application, malware, a common misuse
         * (an exposure), a development server, a tool, command-and-control (c2). */
        N_("application"), N_("malware"), N_("common-misuse"), N_("development"), N_("tool"), N_("c2"),
};

const char *knowledge_kind_name(enum knowledge_kind k)
{
        return (unsigned)k < KNOWLEDGE_NKINDS ? kind_names[k] : "unknown";
}

void knowledge_free(struct knowledge *k)
{
        if (!k)
                return;
        for (size_t i = 0; i < k->nentries; i++) {
                free((void *)k->entries[i].ports);
                free((void *)k->entries[i].processes);
        }
        for (size_t i = 0; i < k->nservices; i++)
                free((void *)k->services[i].servers);
        for (size_t i = 0; i < k->nsockets; i++)
                free((void *)k->sockets[i].processes);
        for (int p = 0; p < PS_NPROTO; p++) {
                free(k->by_port[p].start);
                free(k->by_port[p].first);
                free(k->by_port[p].entry);
        }
        free(k->entries);
        free(k->services);
        free(k->sockets);
        free(k->arena);
        free(k);
}

/* The arena is sized once for the whole input, so pointers into it stay valid. */
static char *arena_put(struct knowledge *k, const char *s, size_t n)
{
        char *p;
        if (k->arena_used + n + 1 > k->arena_cap)
                return NULL;
        p = k->arena + k->arena_used;
        memcpy(p, s, n);
        p[n] = '\0';
        k->arena_used += n + 1;
        return p;
}

/* Splits a space-separated list in place into a malloc'd array of pointers. */
static int split_words(char *s, const char *const **ret, size_t *ret_n)
{
        size_t n = 0, cap = 4;
        const char **v = malloc(cap * sizeof(*v));

        if (!v)
                return -ENOMEM;
        for (char *p = s; *p;) {
                while (*p == ' ' || *p == '\t')
                        p++;
                if (!*p)
                        break;
                char *w = p;
                while (*p && *p != ' ' && *p != '\t')
                        p++;
                if (*p)
                        *p++ = '\0';
                if (PS_GROW(v, cap, n + 1, SIZE_MAX) < 0) {
                        free(v);
                        return -ENOMEM;
                }
                v[n++] = w;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

enum { F_ENTRY, F_NAME, F_KIND, F_PORTS, F_SUMMARY, F_PROCESS, F_SOURCE, F_SERVICE, F_SERVERS, F_SOCKET, NFIELDS };
static const char *const field_names[NFIELDS] = {
        "entry", "name", "kind", "ports", "summary", "process", "source", "service", "servers", "socket",
};

struct record {
        char *val[NFIELDS];
        unsigned line[NFIELDS];
        unsigned start;
};

/* A socket record: "socket: raw packet", who holds such sockets (name, process) and the source. */
static int finish_socket(struct knowledge *k, struct record *rec, const char *name, struct ps_error *err)
{
        struct knowledge_socket s = { .line = rec->start };
        static const int required[] = { F_NAME, F_PROCESS, F_SOURCE };
        const char *const *words;
        size_t nwords;
        int r;

        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
                if (!rec->val[required[i]])
                        return ps_error_set(err, -EINVAL, name, rec->start, 0, _("socket record has no %s"),
                                            field_names[required[i]]);
        if (rec->val[F_ENTRY] || rec->val[F_SERVICE] || rec->val[F_SERVERS] || rec->val[F_KIND] ||
            rec->val[F_PORTS] || rec->val[F_SUMMARY])
                return ps_error_set(err, -EINVAL, name, rec->start, 0,
                                    _("a socket record has only socket, name, process and source keys"));
        r = split_words(rec->val[F_SOCKET], &words, &nwords);
        if (r < 0)
                return r;
        for (size_t i = 0; i < nwords; i++) {
                if (strcmp(words[i], "raw") == 0)
                        s.kinds |= KNOWLEDGE_SOCKET_RAW;
                else if (strcmp(words[i], "packet") == 0)
                        s.kinds |= KNOWLEDGE_SOCKET_PACKET;
                else {
                        const char *bad = words[i]; /* in the arena, not in words */
                        free((void *)words);
                        return ps_error_set(err, -EINVAL, name, rec->line[F_SOCKET], 0,
                                            _("unknown socket kind \"%.40s\" (expected raw or packet)"), bad);
                }
        }
        free((void *)words);
        s.name = rec->val[F_NAME];
        s.source = rec->val[F_SOURCE];
        r = split_words(rec->val[F_PROCESS], &s.processes, &s.nprocesses);
        if (r < 0)
                return r;
        if (PS_GROW(k->sockets, k->sockets_cap, k->nsockets + 1, SIZE_MAX) < 0) {
                free((void *)s.processes);
                return -ENOMEM;
        }
        k->sockets[k->nsockets++] = s;
        return 0;
}

static int finish_record(struct knowledge *k, struct record *rec, const char *name, struct ps_error *err)
{
        char why[256];
        int r;

        if (rec->val[F_SOCKET])
                return finish_socket(k, rec, name, err);
        if (rec->val[F_ENTRY]) {
                struct knowledge_entry e = { .line = rec->start };
                static const int required[] = { F_NAME, F_KIND, F_PORTS, F_SUMMARY, F_SOURCE };
                for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
                        if (!rec->val[required[i]] || !*rec->val[required[i]])
                                return ps_error_set(err, -EINVAL, name, rec->start, 0,
                                                    _("entry \"%.60s\" has no %s"), rec->val[F_ENTRY],
                                                    field_names[required[i]]);
                if (rec->val[F_SERVICE] || rec->val[F_SERVERS])
                        return ps_error_set(err, -EINVAL, name, rec->start, 0,
                                            _("entry \"%.60s\" mixes entry and service keys"),
                                            rec->val[F_ENTRY]);
                e.id = rec->val[F_ENTRY];
                e.name = rec->val[F_NAME];
                e.kind = KNOWLEDGE_NKINDS;
                for (int i = 0; i < KNOWLEDGE_NKINDS; i++)
                        if (strcmp(rec->val[F_KIND], kind_names[i]) == 0)
                                e.kind = (enum knowledge_kind)i;
                if (e.kind == KNOWLEDGE_NKINDS)
                        return ps_error_set(err, -EINVAL, name, rec->line[F_KIND], 0,
                                            _("unknown kind \"%.40s\" (expected application, malware, common-misuse, development, tool or c2)"),
                                            rec->val[F_KIND]);
                struct ps_portspec *ports;
                r = ps_portlist_parse_flags(rec->val[F_PORTS], PS_PORTLIST_BLANKS | PS_PORTLIST_PROTO, &ports, &e.nports,
                                            why, sizeof(why));
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return ps_error_set(err, -EINVAL, name, rec->line[F_PORTS], 0, "%s", why);
                e.ports = ports;
                e.summary = rec->val[F_SUMMARY];
                e.source = rec->val[F_SOURCE];
                if (rec->val[F_PROCESS]) {
                        r = split_words(rec->val[F_PROCESS], &e.processes, &e.nprocesses);
                        if (r < 0) {
                                free(ports);
                                return r;
                        }
                }
                if (PS_GROW(k->entries, k->entries_cap, k->nentries + 1, SIZE_MAX) < 0) {
                        free(ports);
                        free((void *)e.processes);
                        return -ENOMEM;
                }
                k->entries[k->nentries++] = e;
        } else if (rec->val[F_SERVICE]) {
                struct knowledge_service s = { .line = rec->start };
                if (!rec->val[F_SERVERS] || !*rec->val[F_SERVERS])
                        return ps_error_set(err, -EINVAL, name, rec->start, 0,
                                            _("service \"%.60s\" has no servers"), rec->val[F_SERVICE]);
                if (!rec->val[F_SOURCE] || !*rec->val[F_SOURCE])
                        return ps_error_set(err, -EINVAL, name, rec->start, 0,
                                            _("service \"%.60s\" has no source"), rec->val[F_SERVICE]);
                if (rec->val[F_NAME] || rec->val[F_KIND] || rec->val[F_PORTS] || rec->val[F_SUMMARY] || rec->val[F_PROCESS])
                        return ps_error_set(err, -EINVAL, name, rec->start, 0,
                                            _("service \"%.60s\" mixes entry and service keys"),
                                            rec->val[F_SERVICE]);
                s.service = rec->val[F_SERVICE];
                s.source = rec->val[F_SOURCE];
                r = split_words(rec->val[F_SERVERS], &s.servers, &s.nservers);
                if (r < 0)
                        return r;
                if (PS_GROW(k->services, k->services_cap, k->nservices + 1, SIZE_MAX) < 0) {
                        free((void *)s.servers);
                        return -ENOMEM;
                }
                k->services[k->nservices++] = s;
        } else
                return ps_error_set(err, -EINVAL, name, rec->start, 0,
                                    _("a record starts with \"entry:\", \"service:\" or \"socket:\""));
        return 0;
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return (x > y) - (x < y);
}

/* The first interval starting after PORT, less one: the interval holding PORT. */
static size_t interval_of(const struct port_index *ix, uint32_t port)
{
        size_t lo = 0, hi = ix->nintervals;
        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if (ix->start[mid] <= port)
                        lo = mid;
                else
                        hi = mid;
        }
        return lo;
}

/* An audit asks of every listener which entries cover its port: 20,000 listeners times 400
 * entries was 6 % of `listening`. The index answers with a binary search. */
static int index_ports(struct knowledge *k, enum ps_proto proto)
{
        struct port_index *ix = &k->by_port[proto];
        size_t npts = 2, n = 0;
        uint32_t *pts, *last = NULL;
        int r = -ENOMEM;

        for (size_t i = 0; i < k->nentries; i++)
                npts += 2 * k->entries[i].nports;
        pts = malloc(npts * sizeof *pts);
        if (!pts)
                return -ENOMEM;
        pts[n++] = 0;
        pts[n++] = 65536;
        for (size_t i = 0; i < k->nentries; i++)
                for (size_t j = 0; j < k->entries[i].nports; j++) {
                        const struct ps_portspec *ps = &k->entries[i].ports[j];
                        if (ps->protos & PS_PROTO_BIT(proto)) {
                                pts[n++] = ps->lo;
                                pts[n++] = (uint32_t)ps->hi + 1;
                        }
                }
        qsort(pts, n, sizeof *pts, cmp_u32);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
                if (m == 0 || pts[m - 1] != pts[i])
                        pts[m++] = pts[i];
        ix->start = pts;
        ix->nintervals = m - 1; /* start[m - 1] is 65536, the end of the last */
        ix->first = calloc(m, sizeof *ix->first);
        last = malloc(m * sizeof *last);
        if (!ix->first || !last)
                goto out;
        /* Two passes over the ranges: count each interval's entries, then place them. An entry
         * whose ranges overlap is counted once per interval (last[] remembers the entry). */
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < m; i++)
                        last[i] = UINT32_MAX;
                for (size_t i = 0; i < k->nentries; i++)
                        for (size_t j = 0; j < k->entries[i].nports; j++) {
                                const struct ps_portspec *ps = &k->entries[i].ports[j];
                                if (!(ps->protos & PS_PROTO_BIT(proto)))
                                        continue;
                                for (size_t t = interval_of(ix, ps->lo); t < ix->nintervals && ix->start[t] <= ps->hi; t++) {
                                        if (last[t] == i)
                                                continue;
                                        last[t] = (uint32_t)i;
                                        if (pass == 0)
                                                ix->first[t + 1]++;
                                        else
                                                ix->entry[ix->first[t]++] = (uint32_t)i;
                                }
                        }
                if (pass == 0) {
                        for (size_t t = 0; t < ix->nintervals; t++)
                                ix->first[t + 1] += ix->first[t];
                        ix->entry = malloc((ix->first[ix->nintervals] + 1) * sizeof *ix->entry);
                        if (!ix->entry)
                                goto out;
                } else {
                        /* Placing moved each first[t] to where interval t + 1 starts. */
                        memmove(ix->first + 1, ix->first, ix->nintervals * sizeof *ix->first);
                        ix->first[0] = 0;
                }
        }
        r = 0;
out:
        free(last);
        return r;
}

int knowledge_parse(const char *name, const char *data, size_t len, struct knowledge **ret,
                    struct ps_error *err)
{
        struct knowledge *k = calloc(1, sizeof(*k));
        struct record rec = { 0 };
        bool in_record = false;
        int last = -1;
        unsigned line = 0;
        int r = -ENOMEM;

        if (!k)
                return -ENOMEM;
        snprintf(k->origin, sizeof(k->origin), "%s", name);
        /* Check each line, so that the error can name it. */
        for (const char *p = data, *end = data + len; p < end; line++) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
                if (memchr(p, '\0', n)) {
                        r = ps_error_set(err, -EINVAL, name, line + 1, 0,
                                         _("NUL byte: binary data, not a knowledge file"));
                        goto fail;
                }
                if (!ps_utf8_valid(p, n)) {
                        r = ps_error_set(err, -EINVAL, name, line + 1, 0, _("invalid UTF-8"));
                        goto fail;
                }
                p += n + 1;
        }
        line = 0;
        k->arena_cap = len + 1;
        k->arena = malloc(k->arena_cap);
        if (!k->arena)
                goto fail;

        for (const char *p = data, *end = data + len; p <= end;) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *le = eol ? eol : end;
                size_t n = (size_t)(le - p);
                line++;
                if (n > 0 && p[n - 1] == '\r')
                        n--;
                bool blank = true;
                for (size_t i = 0; i < n; i++)
                        if (!isspace((unsigned char)p[i]))
                                blank = false;
                if (n > 0 && p[0] == '#') {
                        /* a comment: neither ends nor continues a record */
                } else if (blank) {
                        if (in_record) {
                                r = finish_record(k, &rec, name, err);
                                if (r < 0)
                                        goto fail;
                                memset(&rec, 0, sizeof(rec));
                                in_record = false;
                                last = -1;
                        }
                } else if (p[0] == ' ' || p[0] == '\t') {
                        if (last < 0) {
                                r = ps_error_set(err, -EINVAL, name, line, 0,
                                                 _("continuation line without a key before it"));
                                goto fail;
                        }
                        /* Join: the arena grows at its end and this value is the last one put. */
                        const char *c = p;
                        while (c < p + n && (*c == ' ' || *c == '\t'))
                                c++;
                        char *v = rec.val[last];
                        size_t vl = strlen(v);
                        if (v + vl + 1 != k->arena + k->arena_used) {
                                r = ps_error_set(err, -EINVAL, name, line, 0, "internal: continuation out of order");
                                goto fail;
                        }
                        size_t cl = (size_t)(p + n - c);
                        /* The joined value is never longer than its lines were. */
                        if (k->arena_used + cl + 1 > k->arena_cap) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        k->arena[k->arena_used - 1] = ' '; /* the value's NUL becomes the space */
                        memcpy(k->arena + k->arena_used, c, cl);
                        k->arena_used += cl;
                        k->arena[k->arena_used++] = '\0';
                } else {
                        const char *colon = memchr(p, ':', n);
                        int f = -1;
                        if (!colon) {
                                r = ps_error_set(err, -EINVAL, name, line, 0, _("expected \"key: value\""));
                                goto fail;
                        }
                        for (int i = 0; i < NFIELDS; i++)
                                if ((size_t)(colon - p) == strlen(field_names[i]) &&
                                    memcmp(p, field_names[i], (size_t)(colon - p)) == 0)
                                        f = i;
                        if (f < 0) {
                                r = ps_error_set(err, -EINVAL, name, line, 0,
                                                 _("unknown key \"%.*s\""), (int)((colon - p) > 40 ? 40 : (colon - p)), p);
                                goto fail;
                        }
                        if (rec.val[f]) {
                                r = ps_error_set(err, -EINVAL, name, line, 0,
                                                 _("key \"%s\" given twice in one record"), field_names[f]);
                                goto fail;
                        }
                        if (!in_record && f != F_ENTRY && f != F_SERVICE && f != F_SOCKET) {
                                r = ps_error_set(err, -EINVAL, name, line, 0,
                                                 _("a record starts with \"entry:\", \"service:\" or \"socket:\", not \"%s:\""),
                                                 field_names[f]);
                                goto fail;
                        }
                        const char *v = colon + 1;
                        size_t vl = (size_t)(p + n - v);
                        while (vl > 0 && (*v == ' ' || *v == '\t'))
                                v++, vl--;
                        while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                                vl--;
                        if (vl == 0) {
                                r = ps_error_set(err, -EINVAL, name, line, 0,
                                                 _("key \"%s\" has an empty value"), field_names[f]);
                                goto fail;
                        }
                        if (!in_record)
                                rec.start = line;
                        in_record = true;
                        rec.val[f] = arena_put(k, v, vl);
                        rec.line[f] = line;
                        if (!rec.val[f])
                                goto fail;
                        last = f;
                }
                if (!eol)
                        break;
                p = eol + 1;
        }
        if (in_record) {
                r = finish_record(k, &rec, name, err);
                if (r < 0)
                        goto fail;
        }
        for (int p = 0; p < PS_NPROTO; p++) {
                r = index_ports(k, (enum ps_proto)p);
                if (r < 0)
                        goto fail;
        }
        *ret = k;
        return 0;
fail:
        if (r == -ENOMEM)
                ps_error_set(err, -EINVAL, name, line, 0, _("out of memory"));
        knowledge_free(k);
        return r;
}

int knowledge_load(const char *path, struct knowledge **ret, struct ps_error *err)
{
        const char *env = getenv("PORTSCOPE_KNOWLEDGE");
        char *data;
        size_t len;
        int r;

        if (!path && env && *env)
                path = env;
        if (!path)
                return knowledge_parse("builtin", ps_knowledge_builtin, ps_knowledge_builtin_len, ret, err);
        r = ps_read_file(path, MAX_KNOWLEDGE_SIZE, &data, &len);
        if (r < 0)
                return ps_error_set(err, r, path, 0, 0, _("cannot read: %s"), strerror(-r));
        r = knowledge_parse(path, data, len, ret, err);
        free(data);
        return r;
}

const char *knowledge_origin(const struct knowledge *k)
{
        return k->origin;
}

size_t knowledge_nentries(const struct knowledge *k)
{
        return k->nentries;
}

const struct knowledge_entry *knowledge_entry(const struct knowledge *k, size_t i)
{
        return i < k->nentries ? &k->entries[i] : NULL;
}

size_t knowledge_nservices(const struct knowledge *k)
{
        return k->nservices;
}

const struct knowledge_service *knowledge_service_at(const struct knowledge *k, size_t i)
{
        return i < k->nservices ? &k->services[i] : NULL;
}

size_t knowledge_for_port(const struct knowledge *k, uint16_t port, enum ps_proto proto,
                          const struct knowledge_entry **out, size_t max)
{
        if ((unsigned)proto >= PS_NPROTO)
                return 0;
        const struct port_index *ix = &k->by_port[proto];
        size_t t = interval_of(ix, port);
        size_t n = ix->first[t + 1] - ix->first[t];

        for (size_t i = 0; i < n && i < max; i++)
                out[i] = &k->entries[ix->entry[ix->first[t] + i]];
        return n;
}

size_t knowledge_nsockets(const struct knowledge *k)
{
        return k ? k->nsockets : 0;
}

const struct knowledge_socket *knowledge_socket_at(const struct knowledge *k, size_t i)
{
        return k && i < k->nsockets ? &k->sockets[i] : NULL;
}

const struct knowledge_service *knowledge_service(const struct knowledge *k, const char *service)
{
        for (size_t i = 0; i < k->nservices; i++)
                if (strcasecmp(k->services[i].service, service) == 0)
                        return &k->services[i];
        return NULL;
}

bool knowledge_serves(const struct knowledge *k, const char *service, const char *process)
{
        const struct knowledge_service *s = knowledge_service(k, service);

        if (!s || !process)
                return false;
        for (size_t i = 0; i < s->nservers; i++)
                if (strcmp(s->servers[i], process) == 0)
                        return true;
        return false;
}
