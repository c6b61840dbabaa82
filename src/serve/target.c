/* portscope serve — parsing request targets into routes.
 *
 * The target is parsed here from the raw bytes the client sent (h2o hands them over as they came),
 * so that one small, fuzzed function decides what a request means. No part
 * of a target ever names a file: routes are a fixed table. */
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "serve-internal.h"
#include "portscope/i18n.h"
#include "portscope/port.h"

static const char *const route_names[HTTP_NROUTES] = {
        [HTTP_ROUTE_NONE] = "none",
        [HTTP_ROUTE_HOME] = "home",
        [HTTP_ROUTE_SEARCH] = "search",
        [HTTP_ROUTE_PORT] = "port",
        [HTTP_ROUTE_SERVICE] = "service",
        [HTTP_ROUTE_RANGES] = "ranges",
        [HTTP_ROUTE_MAP] = "map",
        [HTTP_ROUTE_MAP_PNG] = "map_png",
        [HTTP_ROUTE_MAP_CLICK] = "map_click",
        [HTTP_ROUTE_STATS] = "stats",
        [HTTP_ROUTE_FEEDBACK] = "feedback",
        [HTTP_ROUTE_API_PORT] = "api_port",
        [HTTP_ROUTE_API_SEARCH] = "api_search",
        [HTTP_ROUTE_API_LISTENERS] = "api_listeners",
        [HTTP_ROUTE_API_SERVICE] = "api_service",
        [HTTP_ROUTE_API_RANGES] = "api_ranges",
        [HTTP_ROUTE_API_LIST] = "api_list",
        [HTTP_ROUTE_METRICS] = "metrics",
        [HTTP_ROUTE_HEALTHZ] = "healthz",
        [HTTP_ROUTE_STYLE] = "style",
};

const char *http_route_name(enum http_route_id id)
{
        return (unsigned)id < HTTP_NROUTES ? route_names[id] : "none";
}

/* A decimal port: 1-5 digits, no sign, no leading zero (one spelling per port), <= 65535. */
static int parse_port(const char *s, size_t len, uint16_t *ret)
{
        if (len == 0 || (len > 1 && s[0] == '0'))
                return -EINVAL;
        unsigned v = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                if (v <= 65535)
                        v = v * 10 + (unsigned)(s[i] - '0');
        }
        if (v > 65535) /* a number, but no port: 404 ("4294967318" too) */
                return -ERANGE;
        *ret = (uint16_t)v;
        return 0;
}

/* A non-negative decimal below 100000 (ISMAP coordinates). */
static int parse_coord(const char *s, size_t len)
{
        if (len == 0 || len > 5)
                return -1;
        int v = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

int http_query_get(const char *query, size_t len, const char *key, char *out, size_t outlen)
{
        size_t klen = strlen(key);
        size_t i = 0;
        while (i <= len && len > 0) {
                size_t end = i;
                while (end < len && query[end] != '&' && query[end] != ';')
                        end++;
                const char *eq = memchr(query + i, '=', end - i);
                size_t name_end = eq ? (size_t)(eq - query) : end;
                if (name_end - i == klen && memcmp(query + i, key, klen) == 0) {
                        if (!eq) {
                                if (!outlen)
                                        return -E2BIG;
                                out[0] = '\0';
                                return 0;
                        }
                        size_t v = name_end + 1;
                        return http_url_decode(query + v, end - v, true, out, outlen);
                }
                i = end + 1;
        }
        return -ENOENT;
}

static bool seg_eq(const char *p, size_t n, const char *lit)
{
        size_t l = strlen(lit);
        return n == l && memcmp(p, lit, l) == 0;
}

static bool has_prefix(const char *p, size_t n, const char *lit)
{
        size_t l = strlen(lit);
        return n >= l && memcmp(p, lit, l) == 0;
}

static void set_error(struct http_route *r, int status, const char *why)
{
        r->status = status;
        r->error = why;
}

static void parse_q(struct http_route *r, const char *query, size_t qlen)
{
        int n = http_query_get(query, qlen, "q", r->q, sizeof r->q);
        if (n >= 0)
                r->has_q = true;
        else if (n == -E2BIG)
                set_error(r, 400, N_("the search query is longer than 256 bytes"));
        else if (n == -EINVAL)
                set_error(r, 400, N_("the search query is not valid percent-encoded UTF-8"));
        if (n < 0)
                r->q[0] = '\0';
}

/* A service name as the registry spells them (RFC 6335 5.1, with the '_' '.' '+' '*' that
 * older rows carry): starts with a letter or digit, and has a letter. Digits alone ("22",
 * "1-2", decoded from "%32%32") are no name: they would spell a port or a range. */
static bool name_ok(const char *s)
{
        bool letter = false;
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (; *s; s++) {
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
                      *s == '_' || *s == '.' || *s == '+' || *s == '*' || *s == '/'))
                        return false;
                letter |= (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z');
        }
        return letter;
}

/* Another spelling of a port's page: leading zeros ("0625"), a trailing slash, percent-encoded
 * digits ("%36%32%35"). Such a page has moved (301) to its one spelling, rather than not being. */
static bool moved_port(const char *s, size_t len, uint16_t *ret)
{
        char d[16];
        int n = http_url_decode(s, len, false, d, sizeof d);
        if (n <= 0)
                return false;
        size_t k = (size_t)n, z = 0;
        if (d[k - 1] == '/')
                k--;
        while (z + 1 < k && d[z] == '0')
                z++;
        return parse_port(d + z, k - z, ret) == 0;
}

/* Sets the route's error from parse_port's result; true when the port is good. */
static bool port_or_error(struct http_route *r, int e)
{
        if (e == -ERANGE)
                set_error(r, 404, N_("no such port: ports are numbered 0 to 65535"));
        else if (e < 0)
                set_error(r, 400, N_("not a port: expected /api/v1/ports/N, N/PROTO, A-B or a service name"));
        return e == 0;
}

/* /api/v1/ports/X: X is N, N/PROTO, A-B or a service name. */
static void parse_api_ports(struct http_route *r, const char *x, size_t n)
{
        r->id = HTTP_ROUTE_API_PORT;
        r->form = HTTP_PORTS_ONE;
        const char *slash = memchr(x, '/', n);
        const char *dash = memchr(x, '-', n);
        size_t digits = 0; /* x is not NUL-terminated: count within n */
        while (digits < n && x[digits] >= '0' && x[digits] <= '9')
                digits++;
        if (digits > 0 && digits >= (slash ? (size_t)(slash - x) : dash ? (size_t)(dash - x) : n)) {
                if (slash) {
                        char proto[8];
                        size_t pl = n - (size_t)(slash - x) - 1;
                        enum ps_proto pr;
                        if (!port_or_error(r, parse_port(x, (size_t)(slash - x), &r->port)))
                                return;
                        if (pl == 0 || pl >= sizeof proto) {
                                set_error(r, 400, N_("expected a protocol after the slash: tcp, udp, sctp or dccp"));
                                return;
                        }
                        memcpy(proto, slash + 1, pl);
                        proto[pl] = '\0';
                        if (ps_proto_parse(proto, &pr) < 0) {
                                set_error(r, 400, N_("unknown protocol: expected tcp, udp, sctp or dccp"));
                                return;
                        }
                        r->form = HTTP_PORTS_PROTO;
                        r->proto = (int)pr;
                        r->port_hi = r->port;
                        return;
                }
                if (dash) {
                        if (!port_or_error(r, parse_port(x, (size_t)(dash - x), &r->port)) ||
                            !port_or_error(r, parse_port(dash + 1, n - (size_t)(dash - x) - 1, &r->port_hi)))
                                return;
                        if (r->port_hi < r->port)
                                set_error(r, 400, N_("a port range A-B needs A <= B"));
                        else if ((unsigned)(r->port_hi - r->port) >= HTTP_API_RANGE_MAX)
                                set_error(r, 400, N_("a port range holds at most 1024 ports"));
                        r->form = HTTP_PORTS_RANGE;
                        return;
                }
                if (port_or_error(r, parse_port(x, n, &r->port)))
                        r->port_hi = r->port;
                return;
        }
        /* A name's own slash is sent as %2F ("914c%2Fg"); a bare one separates a protocol. */
        int dn = slash ? -EINVAL : http_url_decode(x, n, false, r->name, sizeof r->name);
        if (dn <= 0 || !name_ok(r->name)) {
                r->name[0] = '\0';
                port_or_error(r, -EINVAL);
                return;
        }
        r->form = HTTP_PORTS_NAME;
}

/* An optional unsigned query parameter; false (and the route's error set) when malformed. */
static bool query_uint(struct http_route *r, const char *query, size_t qlen, const char *key, unsigned max,
                       unsigned *ret)
{
        char v[16];
        int n = http_query_get(query, qlen, key, v, sizeof v);
        if (n == -ENOENT)
                return true;
        unsigned long x = 0;
        bool ok = n > 0 && n <= 9 && strspn(v, "0123456789") == (size_t)n;
        for (int i = 0; ok && i < n; i++)
                x = x * 10 + (unsigned long)(v[i] - '0');
        if (!ok || x > max) {
                set_error(r, 400, strcmp(key, "limit") == 0 ? N_("limit must be a number from 1 to 1000")
                                                             : N_("offset must be a non-negative number below 1000000"));
                return false;
        }
        *ret = (unsigned)x;
        return true;
}

/* ?status= of /api/v1/list: the statuses a port can have, by their JSON names. */
static const struct {
        const char *name;
        enum registry_status status;
} list_statuses[] = { { "assigned", REGISTRY_ASSIGNED }, { "reserved", REGISTRY_RESERVED },
                      { "unassigned", REGISTRY_UNASSIGNED } };

/* ?limit=N&offset=M of a list or a search: 100 and 0 when absent, limit 1-1000. */
static void parse_paging(struct http_route *r, const char *query, size_t qlen)
{
        r->limit = 100;
        if (!query_uint(r, query, qlen, "limit", HTTP_API_LIST_MAX, &r->limit) ||
            !query_uint(r, query, qlen, "offset", 999999, &r->offset))
                return;
        if (r->limit == 0)
                set_error(r, 400, N_("limit must be a number from 1 to 1000"));
}

static void parse_api_list(struct http_route *r, const char *query, size_t qlen)
{
        char v[32];
        r->id = HTTP_ROUTE_API_LIST;
        int n = http_query_get(query, qlen, "status", v, sizeof v);
        if (n != -ENOENT) {
                int st = -1;
                for (size_t i = 0; n > 0 && i < sizeof list_statuses / sizeof list_statuses[0]; i++)
                        if (strcmp(v, list_statuses[i].name) == 0)
                                st = (int)list_statuses[i].status;
                if (st < 0) {
                        set_error(r, 400, N_("status must be assigned, reserved or unassigned"));
                        return;
                }
                r->status_filter = st;
        }
        n = http_query_get(query, qlen, "range", v, sizeof v);
        if (n != -ENOENT) {
                enum ps_range rg;
                if (n <= 0 || ps_range_parse(v, &rg) < 0) {
                        set_error(r, 400, N_("range must be system, user or dynamic"));
                        return;
                }
                r->range = (int)rg;
        }
        n = http_query_get(query, qlen, "proto", v, sizeof v);
        if (n != -ENOENT) {
                enum ps_proto pr;
                if (n <= 0 || ps_proto_parse(v, &pr) < 0) {
                        set_error(r, 400, N_("proto must be tcp, udp, sctp or dccp"));
                        return;
                }
                r->proto = (int)pr;
        }
        parse_paging(r, query, qlen);
}

/* ?proto=udp on the map; anything else is the default (tcp). */
static void map_proto(struct http_route *r, const char *query, size_t qlen)
{
        char v[8];
        if (http_query_get(query, qlen, "proto", v, sizeof v) > 0)
                r->proto = strcmp(v, "udp") == 0 ? PS_UDP : strcmp(v, "tcp") == 0 ? PS_TCP : -1;
}

int http_target_absolute(const char *target, size_t len, struct http_absolute *ret)
{
        if (len < 7 || strncasecmp(target, "http://", 7) != 0)
                return -EPROTONOSUPPORT;
        size_t i = 7, host = i;
        if (i < len && target[i] == '[') {
                /* An IPv6 address; whether it is one, host_is_local_literal() asks inet_pton(). */
                i++;
                while (i < len && target[i] != '\0' && strchr("0123456789abcdefABCDEF:.", target[i]))
                        i++;
                if (i == host + 1 || i >= len || target[i] != ']')
                        return -EINVAL;
                i++;
        } else {
                /* A name or an IPv4 address: RFC 3986's unreserved characters, no user info ('@'),
                 * no percent-encoding. */
                while (i < len && ((target[i] >= 'a' && target[i] <= 'z') || (target[i] >= 'A' && target[i] <= 'Z') ||
                                   (target[i] >= '0' && target[i] <= '9') || target[i] == '-' || target[i] == '.' ||
                                   target[i] == '_' || target[i] == '~'))
                        i++;
                if (i == host)
                        return -EINVAL;
        }
        if (i < len && target[i] == ':') {
                /* A port this server could be reached on: 1 to 5 digits, at most 65535 ("h:99999"
                 * is no port). RFC 3986 allows an empty one ("h:/"); it is refused as before. */
                size_t digits = 0;
                uint16_t port;
                while (i + 1 + digits < len && target[i + 1 + digits] >= '0' && target[i + 1 + digits] <= '9')
                        digits++;
                if (digits > 5 || ps_port_parse_n(target + i + 1, digits, &port) < 0)
                        return -EINVAL;
                i += 1 + digits;
        }
        if (i < len && target[i] != '/' && target[i] != '?')
                return -EINVAL;
        *ret = (struct http_absolute){ .host_off = host, .host_len = i - host, .path_off = i };
        return 0;
}

bool http_target_api(const char *target, size_t len)
{
        size_t i = 0;
        if (len == 0 || target[0] != '/') {
                /* SCHEME "://" AUTHORITY: the scheme's characters (RFC 3986, section 3.1), then the
                 * authority up to the '/', '?' or '#' that ends it (section 3.2), whatever it holds. */
                while (i < len && ((target[i] >= 'a' && target[i] <= 'z') || (target[i] >= 'A' && target[i] <= 'Z') ||
                                   (i > 0 && ((target[i] >= '0' && target[i] <= '9') || target[i] == '+' ||
                                              target[i] == '-' || target[i] == '.'))))
                        i++;
                if (i == 0 || len - i < 3 || memcmp(target + i, "://", 3) != 0)
                        return false;
                i += 3;
                while (i < len && target[i] != '/' && target[i] != '?' && target[i] != '#')
                        i++;
        }
        return has_prefix(target + i, len - i, "/api/");
}

/* Every field but the two text buffers, which only need to be empty: this runs for every request,
 * and they are most of the struct's 460 bytes. */
void http_route_clear(struct http_route *r)
{
        memset(r, 0, offsetof(struct http_route, name));
        r->id = HTTP_ROUTE_NONE;
        r->proto = r->status_filter = r->range = -1;
        r->name[0] = r->q[0] = '\0';
        r->has_q = r->local = r->moved = false;
        r->x = r->y = -1;
}

void http_route_parse(const char *target, size_t len, struct http_route *ret)
{
        http_route_clear(ret);
        struct http_route *r = ret;

        if (len > HTTP_TARGET_MAX) {
                set_error(r, 414, N_("the request target is too long"));
                return;
        }
        if (len == 0 || target[0] != '/') {
                /* An absolute-form target arrives here only when it is not one this server takes. */
                struct http_absolute a;
                r->api = http_target_api(target, len);
                set_error(r, 400,
                          http_target_absolute(target, len, &a) == -EINVAL
                                  ? N_("the host in the request target is not valid: expected http://HOST[:PORT]/PATH")
                                  : N_("the request target must be a path (/ports/22) or an http:// URI"));
                return;
        }
        const char *qm = memchr(target, '?', len);
        size_t plen = qm ? (size_t)(qm - target) : len;
        const char *query = qm ? qm + 1 : "";
        size_t qlen = qm ? len - plen - 1 : 0;
        const char *p = target;

        if (has_prefix(p, plen, "/api/")) {
                r->api = true;
                if (has_prefix(p, plen, "/api/v1/ports/")) {
                        size_t off = strlen("/api/v1/ports/");
                        parse_api_ports(r, p + off, plen - off);
                } else if (has_prefix(p, plen, "/api/v1/services/")) {
                        size_t off = strlen("/api/v1/services/");
                        r->id = HTTP_ROUTE_API_SERVICE;
                        int n = memchr(p + off, '/', plen - off)
                                        ? -EINVAL /* a name's slash is %2F */
                                        : http_url_decode(p + off, plen - off, false, r->name, sizeof r->name);
                        if (n <= 0 || !name_ok(r->name)) {
                                r->name[0] = '\0';
                                set_error(r, 400, N_("not a service name: expected /api/v1/services/NAME"));
                        }
                } else if (seg_eq(p, plen, "/api/v1/ranges")) {
                        r->id = HTTP_ROUTE_API_RANGES;
                } else if (seg_eq(p, plen, "/api/v1/list")) {
                        parse_api_list(r, query, qlen);
                } else if (seg_eq(p, plen, "/api/v1/search")) {
                        r->id = HTTP_ROUTE_API_SEARCH;
                        parse_q(r, query, qlen);
                        if (r->status == 0 && (!r->has_q || r->q[0] == '\0'))
                                set_error(r, 400, N_("missing query: expected /api/v1/search?q=TEXT"));
                        /* Pages of results, as /api/v1/list's (and search --limit/--offset). */
                        if (r->status == 0)
                                parse_paging(r, query, qlen);
                } else if (seg_eq(p, plen, "/api/v1/listeners")) {
                        r->id = HTTP_ROUTE_API_LISTENERS;
                } else {
                        set_error(r, 404, N_("no such API endpoint"));
                }
                return;
        }

        if (seg_eq(p, plen, "/")) {
                r->id = HTTP_ROUTE_HOME;
        } else if (seg_eq(p, plen, "/search")) {
                r->id = HTTP_ROUTE_SEARCH;
                parse_q(r, query, qlen);
        } else if (has_prefix(p, plen, "/ports/")) {
                size_t off = strlen("/ports/");
                int e = parse_port(p + off, plen - off, &r->port);
                if (e == 0)
                        r->id = HTTP_ROUTE_PORT;
                else if (moved_port(p + off, plen - off, &r->port)) {
                        r->id = HTTP_ROUTE_PORT;
                        r->moved = true;
                } else
                        set_error(r, 404, N_("no such port: ports are numbered 0 to 65535"));
        } else if (has_prefix(p, plen, "/services/")) {
                size_t off = strlen("/services/");
                /* "914c/g", "EtherNet/IP-1": a few registered names have a slash, sent as %2F; a bare
                 * slash would be a path below the service, and there is none. */
                int n = memchr(p + off, '/', plen - off)
                                ? -EINVAL
                                : http_url_decode(p + off, plen - off, false, r->name, sizeof r->name);
                if (n > 0)
                        r->id = HTTP_ROUTE_SERVICE;
                else {
                        r->name[0] = '\0';
                        set_error(r, 404, N_("no such service name"));
                }
        } else if (seg_eq(p, plen, "/ranges")) {
                r->id = HTTP_ROUTE_RANGES;
        } else if (seg_eq(p, plen, "/map")) {
                r->id = HTTP_ROUTE_MAP;
                map_proto(r, query, qlen);
        } else if (seg_eq(p, plen, "/style.css")) {
                r->id = HTTP_ROUTE_STYLE;
        } else if (seg_eq(p, plen, "/map.png")) {
                r->id = HTTP_ROUTE_MAP_PNG;
                char v[8];
                r->local = http_query_get(query, qlen, "local", v, sizeof v) > 0 && strcmp(v, "1") == 0;
                map_proto(r, query, qlen);
        } else if (seg_eq(p, plen, "/map/click")) {
                /* A server-side image map (<img ismap>) sends "?X,Y" in image pixels. */
                r->id = HTTP_ROUTE_MAP_CLICK;
                const char *comma = memchr(query, ',', qlen);
                if (qlen == 0) {
                        /* Enter on the map's link without a pointer: no coordinates. The
                         * dispatcher sends it to the map's "type a port" form. */
                        return;
                }
                if (comma) {
                        r->x = parse_coord(query, (size_t)(comma - query));
                        r->y = parse_coord(comma + 1, qlen - (size_t)(comma - query) - 1);
                }
                if (r->x < 0 || r->y < 0 || r->x >= 512 || r->y >= 512) {
                        r->x = r->y = -1;
                        set_error(r, 400, N_("expected map coordinates ?X,Y within 512x512"));
                }
        } else if (seg_eq(p, plen, "/stats")) {
                r->id = HTTP_ROUTE_STATS;
        } else if (seg_eq(p, plen, "/feedback")) {
                r->id = HTTP_ROUTE_FEEDBACK;
        } else if (seg_eq(p, plen, "/metrics")) {
                r->id = HTTP_ROUTE_METRICS;
        } else if (seg_eq(p, plen, "/healthz")) {
                r->id = HTTP_ROUTE_HEALTHZ;
        } else {
                set_error(r, 404, N_("no such page"));
        }
}

/* A bounded writer into a caller's array: what http_route_canonical() spells. */
struct spell {
        char *p;
        size_t len, cap;
        bool over;
};

static void spell(struct spell *w, const char *s, size_t n)
{
        if (w->over || n >= w->cap - w->len) {
                w->over = true;
                return;
        }
        memcpy(w->p + w->len, s, n);
        w->len += n;
        w->p[w->len] = '\0';
}

static void spell_str(struct spell *w, const char *s)
{
        spell(w, s, strlen(s));
}

static void spell_uint(struct spell *w, const char *before, unsigned v)
{
        char num[12], *p = num + sizeof num; /* digits by hand: snprintf costs more than the rest */
        do
                *--p = (char)('0' + v % 10);
        while (v /= 10);
        spell_str(w, before);
        spell(w, p, (size_t)(num + sizeof num - p));
}

/* Percent-encoded as http_url_encode() does: unreserved bytes kept. */
static void spell_encoded(struct spell *w, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    c == '.' || c == '~')
                        spell(w, s, 1);
                else
                        spell(w, (char[3]){ '%', hex[c >> 4], hex[c & 15] }, 3);
        }
}

size_t http_route_canonical(const struct http_route *r, bool query, char *out, size_t len)
{
        struct spell w = { out, 0, len, len == 0 };
        if (len)
                out[0] = '\0';
        if (r->status != 0)
                return 0;
        switch (r->id) {
        case HTTP_ROUTE_HOME: spell_str(&w, "/"); break;
        case HTTP_ROUTE_RANGES: spell_str(&w, "/ranges"); break;
        case HTTP_ROUTE_STATS: spell_str(&w, "/stats"); break;
        case HTTP_ROUTE_PORT: spell_uint(&w, "/ports/", r->port); break;
        case HTTP_ROUTE_SERVICE:
                spell_str(&w, "/services/");
                spell_encoded(&w, r->name);
                break;
        case HTTP_ROUTE_SEARCH:
                spell_str(&w, "/search");
                if (query && r->has_q) {
                        spell_str(&w, "?q=");
                        spell_encoded(&w, r->q);
                }
                break;
        case HTTP_ROUTE_MAP:
                spell_str(&w, query && r->proto == PS_UDP ? "/map?proto=udp" : "/map");
                break;
        case HTTP_ROUTE_API_RANGES: spell_str(&w, "/api/v1/ranges"); break;
        case HTTP_ROUTE_API_SERVICE:
                spell_str(&w, "/api/v1/services/");
                spell_encoded(&w, r->name);
                break;
        case HTTP_ROUTE_API_SEARCH:
                spell_str(&w, "/api/v1/search?q=");
                spell_encoded(&w, r->q);
                spell_uint(&w, "&limit=", r->limit);
                spell_uint(&w, "&offset=", r->offset);
                break;
        case HTTP_ROUTE_API_PORT:
                switch (r->form) {
                case HTTP_PORTS_ONE: spell_uint(&w, "/api/v1/ports/", r->port); break;
                case HTTP_PORTS_PROTO:
                        spell_uint(&w, "/api/v1/ports/", r->port);
                        spell_str(&w, "/");
                        spell_str(&w, ps_proto_name((enum ps_proto)r->proto));
                        break;
                case HTTP_PORTS_RANGE:
                        spell_uint(&w, "/api/v1/ports/", r->port);
                        spell_uint(&w, "-", r->port_hi);
                        break;
                case HTTP_PORTS_NAME:
                        spell_str(&w, "/api/v1/ports/");
                        spell_encoded(&w, r->name);
                        break;
                }
                break;
        case HTTP_ROUTE_API_LIST: {
                const char *sep = "?";
                spell_str(&w, "/api/v1/list");
                for (size_t i = 0; i < sizeof list_statuses / sizeof list_statuses[0]; i++)
                        if (r->status_filter == (int)list_statuses[i].status) {
                                spell_str(&w, "?status=");
                                spell_str(&w, list_statuses[i].name);
                                sep = "&";
                        }
                if (r->range >= 0) {
                        spell_str(&w, sep);
                        spell_str(&w, "range=");
                        spell_str(&w, ps_range_name((enum ps_range)r->range));
                        sep = "&";
                }
                if (r->proto >= 0) {
                        spell_str(&w, sep);
                        spell_str(&w, "proto=");
                        spell_str(&w, ps_proto_name((enum ps_proto)r->proto));
                        sep = "&";
                }
                spell_str(&w, sep);
                spell_uint(&w, "limit=", r->limit);
                spell_uint(&w, "&offset=", r->offset);
                break;
        }
        default: return 0;
        }
        return w.over ? 0 : w.len;
}

/* The length of s's run of optional white space (RFC 9110: spaces and tabs). */
static size_t ows(const char *s, size_t n)
{
        size_t i = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
        return i;
}

/* Whether a weight ("0", "0.000") is zero: "q=0" refuses what it names. A malformed one is not. */
static bool weight_is_zero(const char *s, size_t n)
{
        const char *v = s;
        int q;
        return ps_http_qvalue(&v, &q) && v == s + n && q == 0;
}

void http_accept_encoding_scan(const char *ae, struct http_accept_encoding *st)
{
        int gzip = st->gzip, any = st->any;
        for (const char *p = ae; *p;) {
                size_t n = strcspn(p, ",");
                size_t i = ows(p, n), c = i;
                while (c < n && p[c] != ';' && p[c] != ' ' && p[c] != '\t')
                        c++;
                bool zero = false;
                /* Parameters: only q matters ("gzip;q=0", "GZIP ; Q=0.000"). */
                for (const char *sc = memchr(p + c, ';', n - c); sc;) {
                        size_t at = (size_t)(sc - p) + 1;
                        at += ows(p + at, n - at);
                        const char *next = memchr(p + at, ';', n - at);
                        size_t end = next ? (size_t)(next - p) : n;
                        if (end - at >= 2 && (p[at] == 'q' || p[at] == 'Q') && p[at + 1] == '=') {
                                size_t v = at + 2, e = end;
                                while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t'))
                                        e--;
                                zero = weight_is_zero(p + v, e - v);
                        }
                        sc = next;
                }
                size_t len = c - i;
                if ((len == 4 && strncasecmp(p + i, "gzip", 4) == 0) || (len == 6 && strncasecmp(p + i, "x-gzip", 6) == 0))
                        gzip = !zero;
                else if (len == 1 && p[i] == '*')
                        any = !zero;
                p += n;
                if (*p == ',')
                        p++;
        }
        st->gzip = gzip;
        st->any = any;
}

bool http_accept_encoding_gzip(const struct http_accept_encoding *st)
{
        return st->gzip >= 0 ? st->gzip == 1 : st->any == 1;
}

bool http_accepts_gzip(const char *ae)
{
        struct http_accept_encoding st = HTTP_ACCEPT_ENCODING_INIT;
        http_accept_encoding_scan(ae, &st);
        return http_accept_encoding_gzip(&st);
}
