/* The audit baseline parser (outside input: limits everywhere, errors with line and column). */
#include "portscope/baseline.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/i18n.h"
#include "portscope/util.h"

#define ANY_PROTOS ((1u << SOCKETS_TCP) | (1u << SOCKETS_UDP) | (1u << SOCKETS_SCTP))
#define MAX_PROCESS 255u

static int fail(struct ps_error *err, const char *name, unsigned line, unsigned col, int r,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int fail(struct ps_error *err, const char *name, unsigned line, unsigned col, int r,
                const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        ps_error_vset(err, r, name ? name : "baseline", line, col, fmt, ap);
        va_end(ap);
        return r;
}

void baseline_free(struct baseline *b)
{
        if (!b)
                return;
        for (size_t i = 0; i < b->n; i++) {
                free((char *)b->v[i].process);
                free((char *)b->v[i].reason);
        }
        free(b->v);
        free(b->port_start);
        free(b->port_entries);
        free(b->ranges);
        free((char *)b->origin);
        free(b);
}

static int build_index(struct baseline *b);

static bool is_space(char c)
{
        return c == ' ' || c == '\t';
}

/* Parses "LO" or "LO-HI" at [s, s+len). */
static int parse_ports(const char *s, size_t len, uint16_t *lo, uint16_t *hi)
{
        const char *dash = memchr(s, '-', len);

        if (!dash) {
                if (ps_port_parse_n(s, len, lo) < 0)
                        return -EINVAL;
                *hi = *lo;
                return 0;
        }
        if (ps_port_parse_n(s, (size_t)(dash - s), lo) < 0 ||
            ps_port_parse_n(dash + 1, len - (size_t)(dash + 1 - s), hi) < 0 || *hi < *lo)
                return -EINVAL;
        return 0;
}

/* The first column: [ADDRESS:]PORT[-PORT][/PROTO]. col is 1-based for errors. */
static int parse_spec(const char *name, unsigned lineno, unsigned col, const char *s, size_t len,
                      struct baseline_entry *e, struct ps_error *err)
{
        const char *slash = memchr(s, '/', len);
        size_t speclen = slash ? (size_t)(slash - s) : len;
        const char *portpart = s;
        size_t portlen = speclen;

        e->protos = ANY_PROTOS;
        if (slash) {
                char proto[8];
                size_t pl = len - speclen - 1;
                enum sockets_proto p;
                if (pl == 0 || pl >= sizeof(proto))
                        return fail(err, name, lineno, col + (unsigned)speclen + 1, -EINVAL,
                                    _("expected a protocol (tcp, udp, sctp, raw, packet) after '/'"));
                memcpy(proto, slash + 1, pl);
                proto[pl] = '\0';
                if (sockets_proto_parse(proto, &p) < 0)
                        return fail(err, name, lineno, col + (unsigned)speclen + 1, -EINVAL,
                                    _("unknown protocol (expected tcp, udp, sctp, raw or packet)"));
                e->protos = 1u << p;
        }
        if (speclen && s[0] == '[') {
                const char *close = memchr(s, ']', speclen);
                if (!close || (size_t)(close - s) + 1 >= speclen || close[1] != ':')
                        return fail(err, name, lineno, col, -EINVAL,
                                    _("an IPv6 address must be written [ADDRESS]:PORT"));
                if (sockets_parse_addr(s, (size_t)(close - s) + 1, &e->family, e->address) < 0 ||
                    e->family != AF_INET6)
                        return fail(err, name, lineno, col, -EINVAL, _("invalid IPv6 address"));
                e->has_address = true;
                portpart = close + 2;
                portlen = speclen - (size_t)(portpart - s);
        } else {
                const char *colon = memchr(s, ':', speclen);
                if (colon) {
                        if (memchr(colon + 1, ':', speclen - (size_t)(colon + 1 - s)))
                                return fail(err, name, lineno, col, -EINVAL,
                                            _("an IPv6 address must be written [ADDRESS]:PORT"));
                        if (sockets_parse_addr(s, (size_t)(colon - s), &e->family, e->address) < 0 ||
                            e->family != AF_INET)
                                return fail(err, name, lineno, col, -EINVAL, _("invalid IPv4 address"));
                        e->has_address = true;
                        portpart = colon + 1;
                        portlen = speclen - (size_t)(portpart - s);
                }
        }
        if (e->has_address && e->protos == 1u << SOCKETS_PACKET)
                return fail(err, name, lineno, col, -EINVAL,
                            _("a packet socket has no address: write ETHERTYPE/packet (3/packet: every frame)"));
        if (parse_ports(portpart, portlen, &e->port_lo, &e->port_hi) < 0)
                return fail(err, name, lineno, col + (unsigned)(portpart - s), -EINVAL,
                            _("expected PORT or LO-HI (0-65535, LO <= HI)"));
        if (e->protos == 1u << SOCKETS_RAW && e->port_hi > 255)
                return fail(err, name, lineno, col + (unsigned)(portpart - s), -EINVAL,
                            _("a raw socket's number is its IP protocol, 0-255"));
        return 0;
}

static int parse_line(const char *name, unsigned lineno, const char *s, size_t len, struct baseline_entry *e,
                      struct ps_error *err)
{
        size_t i = 0, start;
        int r;

        memset(e, 0, sizeof(*e));
        e->line = lineno;
        while (i < len && is_space(s[i]))
                i++;
        start = i;
        while (i < len && !is_space(s[i]))
                i++;
        r = parse_spec(name, lineno, (unsigned)start + 1, s + start, i - start, e, err);
        if (r < 0)
                return r;
        while (i < len && is_space(s[i]))
                i++;
        if (i == len)
                return fail(err, name, lineno, (unsigned)i + 1, -EINVAL,
                            _("expected a process name (or *) and a reason after the port"));
        start = i;
        while (i < len && !is_space(s[i]))
                i++;
        if (i - start > MAX_PROCESS)
                return fail(err, name, lineno, (unsigned)start + 1, -EINVAL, _("process name longer than %u bytes"),
                            MAX_PROCESS);
        /* "22 /tcp sshd why": the protocol parted from its port would be taken for the process. */
        if (s[start] == '/') {
                char proto[8];
                enum sockets_proto p;
                size_t pl = i - start - 1;
                if (pl && pl < sizeof(proto)) {
                        memcpy(proto, s + start + 1, pl);
                        proto[pl] = '\0';
                        if (sockets_proto_parse(proto, &p) == 0)
                                return fail(err, name, lineno, (unsigned)start + 1, -EINVAL,
                                            _("a space before '/%s': write the port and its protocol together "
                                              "(22/tcp)"),
                                            proto);
                }
        }
        if (!(i - start == 1 && s[start] == '*')) {
                e->process = strndup(s + start, i - start);
                if (!e->process)
                        return -ENOMEM;
        }
        while (i < len && is_space(s[i]))
                i++;
        /* The reason is required: a baseline that does not say why is a list nobody can review. */
        if (i == len) {
                free((char *)e->process);
                e->process = NULL;
                return fail(err, name, lineno, (unsigned)i + 1, -EINVAL,
                            _("missing reason: every entry must say why the listener is expected"));
        }
        start = i;
        while (len > start && is_space(s[len - 1]))
                len--;
        e->reason = strndup(s + start, len - start);
        if (!e->reason) {
                free((char *)e->process);
                e->process = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int entry_cmp(const struct baseline_entry *a, const struct baseline_entry *b)
{
        if (a->port_lo != b->port_lo)
                return a->port_lo < b->port_lo ? -1 : 1;
        if (a->port_hi != b->port_hi)
                return a->port_hi < b->port_hi ? -1 : 1;
        if (a->protos != b->protos)
                return a->protos < b->protos ? -1 : 1;
        if (a->has_address != b->has_address)
                return a->has_address ? 1 : -1;
        if (a->has_address) {
                if (a->family != b->family)
                        return a->family < b->family ? -1 : 1;
                int c = memcmp(a->address, b->address, sizeof a->address);
                if (c)
                        return c;
        }
        if (!a->process || !b->process)
                return !a->process && !b->process ? 0 : a->process ? 1 : -1;
        return strcmp(a->process, b->process);
}

static int cmp_entries(const void *x, const void *y)
{
        const struct baseline_entry *a = *(const struct baseline_entry *const *)x, *b = *(const struct baseline_entry *const *)y;
        int c = entry_cmp(a, b);
        return c ? c : (a->line > b->line) - (a->line < b->line);
}

/* The same entry twice (a copy pasted again, a merge): the later one can never match, and its
 * reason is never read. Refused, naming both lines; sorted, so 100,000 entries cost a sort. */
static int find_repeated(const struct baseline *b, const char *name, struct ps_error *err)
{
        if (b->n < 2)
                return 0;
        const struct baseline_entry **v = malloc(b->n * sizeof(*v));
        int r = 0;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < b->n; i++)
                v[i] = &b->v[i];
        qsort(v, b->n, sizeof(*v), cmp_entries);
        for (size_t i = 1; i < b->n && !r; i++)
                if (entry_cmp(v[i - 1], v[i]) == 0)
                        r = fail(err, name, v[i]->line, 1, -EINVAL,
                                 _("the same port, protocol, address and process as line %u: this entry could never "
                                   "match"),
                                 v[i - 1]->line);
        free(v);
        return r;
}

int baseline_parse(const char *name, const char *data, size_t len, struct baseline **ret,
                   struct ps_error *err)
{
        struct baseline *b = calloc(1, sizeof(*b));
        size_t cap = 0, pos = 0;
        unsigned lineno = 0;
        int r = 0;

        if (!b)
                return -ENOMEM;
        b->origin = strdup(name ? name : "baseline");
        if (!b->origin) {
                r = -ENOMEM;
                goto fail;
        }
        if (len > BASELINE_MAX_FILE) {
                r = fail(err, name, 0, 0, -E2BIG, _("file larger than %u bytes"), BASELINE_MAX_FILE);
                goto fail;
        }
        /* A byte-order mark, as some editors write UTF-8: not part of the first line. */
        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                pos = 3;
        while (pos < len) {
                const char *line = data + pos, *nl = memchr(line, '\n', len - pos);
                size_t ll = nl ? (size_t)(nl - line) : len - pos;
                size_t i = 0;

                pos += ll + (nl ? 1 : 0);
                lineno++;
                if (ll && line[ll - 1] == '\r')
                        ll--;
                if (ll > BASELINE_MAX_LINE) {
                        r = fail(err, name, lineno, BASELINE_MAX_LINE + 1, -E2BIG, _("line longer than %u bytes"),
                                 BASELINE_MAX_LINE);
                        goto fail;
                }
                if (!ps_utf8_valid(line, ll)) {
                        size_t j = 0, n;
                        while (j < ll && (n = ps_utf8_seq(line + j, ll - j, NULL)) > 0)
                                j += n;
                        r = fail(err, name, lineno, (unsigned)j + 1, -EINVAL, _("line is not valid UTF-8"));
                        goto fail;
                }
                for (size_t j = 0; j < ll; j++) {
                        unsigned char c = (unsigned char)line[j];
                        if ((c < 0x20 && c != '\t') || c == 0x7f) {
                                r = fail(err, name, lineno, (unsigned)j + 1, -EINVAL, _("control character 0x%02x"), c);
                                goto fail;
                        }
                }
                while (i < ll && is_space(line[i]))
                        i++;
                if (i == ll || line[i] == '#')
                        continue;
                if (b->n == BASELINE_MAX_ENTRIES) {
                        r = fail(err, name, lineno, 1, -E2BIG, _("more than %u entries"), BASELINE_MAX_ENTRIES);
                        goto fail;
                }
                r = PS_GROW(b->v, cap, b->n + 1, BASELINE_MAX_ENTRIES);
                if (r < 0)
                        goto fail;
                r = parse_line(name, lineno, line, ll, &b->v[b->n], err);
                if (r < 0)
                        goto fail;
                b->n++;
        }
        r = find_repeated(b, name, err);
        if (r < 0)
                goto fail;
        r = build_index(b);
        if (r < 0)
                goto fail;
        *ret = b;
        return 0;
fail:
        baseline_free(b);
        return r;
}

int baseline_load(const char *path, struct baseline **ret, struct ps_error *err)
{
        char *data = NULL;
        size_t len = 0;
        int r = ps_read_file(path, BASELINE_MAX_FILE, &data, &len);

        if (r < 0)
                return fail(err, path, 0, 0, r, _("cannot read the baseline: %s"), strerror(-r));
        r = baseline_parse(path, data, len, ret, err);
        free(data);
        return r;
}

static bool entry_matches(const struct baseline_entry *e, enum sockets_proto proto, uint16_t port, int family,
                          const uint8_t address[16], const char *const *names, size_t nnames)
{
        bool named = e->process == NULL;

        if (!(e->protos & (1u << proto)) || port < e->port_lo || port > e->port_hi)
                return false;
        if (e->has_address && (e->family != family || memcmp(e->address, address, family == AF_INET ? 4 : 16) != 0))
                return false;
        for (size_t j = 0; !named && j < nnames; j++)
                named = names[j] && strcmp(names[j], e->process) == 0;
        return named;
}

/* Counting sort of the single-port entries by port (stable: file order within a port). */
static int build_index(struct baseline *b)
{
        size_t nsingle = 0;

        b->port_start = calloc(65537, sizeof(*b->port_start));
        if (!b->port_start)
                return -ENOMEM;
        for (size_t i = 0; i < b->n; i++) {
                if (b->v[i].port_lo == b->v[i].port_hi) {
                        b->port_start[b->v[i].port_lo + 1]++;
                        nsingle++;
                } else
                        b->nranges++;
        }
        b->port_entries = malloc((nsingle ? nsingle : 1) * sizeof(*b->port_entries));
        b->ranges = malloc((b->nranges ? b->nranges : 1) * sizeof(*b->ranges));
        if (!b->port_entries || !b->ranges)
                return -ENOMEM;
        for (size_t p = 1; p <= 65536; p++)
                b->port_start[p] += b->port_start[p - 1];
        {
                uint32_t *next = malloc(65536 * sizeof(*next));
                size_t nr = 0;
                if (!next)
                        return -ENOMEM;
                memcpy(next, b->port_start, 65536 * sizeof(*next));
                for (size_t i = 0; i < b->n; i++) {
                        if (b->v[i].port_lo == b->v[i].port_hi)
                                b->port_entries[next[b->v[i].port_lo]++] = (uint32_t)i;
                        else
                                b->ranges[nr++] = (uint32_t)i;
                }
                free(next);
        }
        return 0;
}

long baseline_match(const struct baseline *b, enum sockets_proto proto, uint16_t port, int family,
                    const uint8_t address[16], const char *const *names, size_t nnames)
{
        size_t i, j, iend, jend;

        if (!b)
                return -1;
        if (!b->port_start) {
                for (size_t k = 0; k < b->n; k++)
                        if (entry_matches(&b->v[k], proto, port, family, address, names, nnames))
                                return (long)k;
                return -1;
        }
        /* The entries of this port and the ranges, merged in file order: the first match wins. */
        i = b->port_start[port];
        iend = b->port_start[port + 1];
        j = 0;
        jend = b->nranges;
        while (i < iend || j < jend) {
                uint32_t k;
                if (j == jend || (i < iend && b->port_entries[i] < b->ranges[j]))
                        k = b->port_entries[i++];
                else
                        k = b->ranges[j++];
                if (entry_matches(&b->v[k], proto, port, family, address, names, nnames))
                        return (long)k;
        }
        return -1;
}

void baseline_mark_matches(const struct baseline *b, enum sockets_proto proto, uint16_t port, int family,
                           const uint8_t address[16], const char *const *names, size_t nnames, bool *seen)
{
        if (!b)
                return;
        if (!b->port_start) {
                for (size_t k = 0; k < b->n; k++)
                        if (!seen[k] && entry_matches(&b->v[k], proto, port, family, address, names, nnames))
                                seen[k] = true;
                return;
        }
        for (size_t i = b->port_start[port]; i < b->port_start[port + 1]; i++) {
                uint32_t k = b->port_entries[i];
                if (!seen[k] && entry_matches(&b->v[k], proto, port, family, address, names, nnames))
                        seen[k] = true;
        }
        for (size_t j = 0; j < b->nranges; j++) {
                uint32_t k = b->ranges[j];
                if (!seen[k] && entry_matches(&b->v[k], proto, port, family, address, names, nnames))
                        seen[k] = true;
        }
}

int baseline_entry_format(const struct baseline_entry *e, char *buf, size_t len)
{
        char addr[INET6_ADDRSTRLEN + 4] = "", ports[16], proto[8] = "";
        int n;

        if (e->has_address) {
                char a[INET6_ADDRSTRLEN];
                sockets_format_addr(e->family, e->address, a, sizeof(a));
                snprintf(addr, sizeof(addr), e->family == AF_INET6 ? "[%s]:" : "%s:", a);
        }
        if (e->port_lo == e->port_hi)
                snprintf(ports, sizeof(ports), "%u", e->port_lo);
        else
                snprintf(ports, sizeof(ports), "%u-%u", e->port_lo, e->port_hi);
        if (e->protos != ANY_PROTOS)
                for (unsigned p = 0; p < SOCKETS_NPROTO; p++)
                        if (e->protos == (1u << p))
                                snprintf(proto, sizeof(proto), "/%s", sockets_proto_name((enum sockets_proto)p));
        n = snprintf(buf, len, "%s%s%s", addr, ports, proto);
        return n < 0 || (size_t)n >= len ? -ENOBUFS : 0;
}
