/* Ports, protocols, ranges, and the PORT[/PROTO] syntax. */
#include "portscope/port.h"
#include "portscope/i18n.h"
#include "portscope/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

static const char *const proto_names[PS_NPROTO] = { "tcp", "udp", "sctp", "dccp" };

const char *ps_proto_name(enum ps_proto p)
{
        return (unsigned)p < PS_NPROTO ? proto_names[p] : NULL;
}

int ps_proto_parse(const char *s, enum ps_proto *ret)
{
        for (unsigned i = 0; i < PS_NPROTO; i++)
                if (strcasecmp(s, proto_names[i]) == 0) {
                        *ret = (enum ps_proto)i;
                        return 0;
                }
        return -EINVAL;
}

enum ps_range ps_range_of(uint16_t port)
{
        if (port <= 1023)
                return PS_RANGE_SYSTEM;
        if (port <= 49151)
                return PS_RANGE_USER;
        return PS_RANGE_DYNAMIC;
}

/* The procedures are English (JSON says them so); a page or the CLI shows _(procedure). */
static const struct {
        const char *name, *bounds, *procedure;
} ranges[] = {
        [PS_RANGE_SYSTEM] = { N_("system"), "0-1023",
                              N_("System Ports (well-known): assigned by IANA through IETF Review or IESG "
                              "Approval (RFC 6335, section 6).") },
        [PS_RANGE_USER] = { N_("user"), "1024-49151",
                            N_("User Ports (registered): assigned by IANA through IETF Review, IESG "
                            "Approval or Expert Review (RFC 6335, section 6).") },
        [PS_RANGE_DYNAMIC] = { N_("dynamic"), "49152-65535",
                               N_("Dynamic Ports (private or ephemeral): never assigned; free for "
                               "dynamic, private and ephemeral use (RFC 6335, section 6).") },
};

const char *ps_range_name(enum ps_range r)
{
        return ranges[r].name;
}

const char *ps_range_bounds(enum ps_range r)
{
        return ranges[r].bounds;
}

const char *ps_range_procedure(enum ps_range r)
{
        return ranges[r].procedure;
}

int ps_range_parse(const char *s, enum ps_range *ret)
{
        static const struct {
                const char *name;
                enum ps_range r;
        } names[] = {
                { "system", PS_RANGE_SYSTEM },   { "well-known", PS_RANGE_SYSTEM },
                { "user", PS_RANGE_USER },       { "registered", PS_RANGE_USER },
                { "dynamic", PS_RANGE_DYNAMIC }, { "ephemeral", PS_RANGE_DYNAMIC },
                { "private", PS_RANGE_DYNAMIC },
        };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcasecmp(s, names[i].name) == 0) {
                        *ret = names[i].r;
                        return 0;
                }
        return -EINVAL;
}

int ps_port_parse_n(const char *s, size_t len, uint16_t *ret)
{
        unsigned long v = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned long)(s[i] - '0');
                if (v > 65535)
                        return -ERANGE;
        }
        *ret = (uint16_t)v;
        return 0;
}

static int port_error(char *err, size_t errlen, int r, const char *what)
{
        if (err && errlen)
                snprintf(err, errlen, "%s", what);
        return r;
}

int ps_portspec_parse(const char *s, struct ps_portspec *ret, char *err, size_t errlen)
{
        const char *slash = strchr(s, '/');
        size_t numlen = slash ? (size_t)(slash - s) : strlen(s);
        const char *dash = memchr(s, '-', numlen);
        struct ps_portspec spec = { .protos = PS_PROTO_ALL };
        int r;

        if (numlen == 0)
                return port_error(err, errlen, -EINVAL, _("no port number"));
        if (s[0] == '-')
                return port_error(err, errlen, -ERANGE, _("ports are 0-65535, not negative"));
        if (dash) {
                r = ps_port_parse_n(s, (size_t)(dash - s), &spec.lo);
                if (r == 0)
                        r = ps_port_parse_n(dash + 1, numlen - (size_t)(dash - s) - 1, &spec.hi);
        } else {
                r = ps_port_parse_n(s, numlen, &spec.lo);
                spec.hi = spec.lo;
        }
        if (r == -ERANGE)
                return port_error(err, errlen, r, _("port out of range (0-65535)"));
        if (r < 0)
                return port_error(err, errlen, r, _("not a port number (expected PORT, LO-HI, PORT/PROTO)"));
        if (spec.lo > spec.hi)
                return port_error(err, errlen, -EINVAL, _("range is backwards (LO must not exceed HI)"));
        if (slash) {
                enum ps_proto p;
                if (ps_proto_parse(slash + 1, &p) < 0)
                        return port_error(err, errlen, -EINVAL, _("unknown protocol (expected tcp, udp, sctp or dccp)"));
                spec.protos = PS_PROTO_BIT(p);
        }
        *ret = spec;
        return 0;
}

int ps_portlist_parse_flags(const char *s, unsigned flags, struct ps_portspec **ret, size_t *ret_n, char *err,
                           size_t errlen)
{
        struct ps_portspec *v = NULL;
        size_t n = 0, cap = 0;
        const char *p = s;
        bool several = strchr(s, ',') != NULL;

        for (;;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen(p);
                char item[64], why[128];
                int r;

                if (flags & PS_PORTLIST_BLANKS) {
                        for (; len > 0 && (*p == ' ' || *p == '\t'); len--)
                                p++;
                        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
                                len--;
                }
                if (len == 0 || len >= sizeof(item)) {
                        free(v);
                        return port_error(err, errlen, -EINVAL,
                                          len ? _("list item too long") : several ? _("empty item in port list") : _("empty port list"));
                }
                memcpy(item, p, len);
                item[len] = '\0';
                if (PS_GROW(v, cap, n + 1, SIZE_MAX) < 0) {
                        free(v);
                        return -ENOMEM;
                }
                r = ps_portspec_parse(item, &v[n], why, sizeof(why));
                if (r == 0 && (flags & PS_PORTLIST_PROTO) && !strchr(item, '/')) {
                        r = -EINVAL;
                        snprintf(why, sizeof(why), "%s", _("no protocol (write PORT/tcp, PORT/udp ...)"));
                }
                if (r < 0) {
                        free(v);
                        /* In a list, say which item. */
                        if (err && errlen && several)
                                snprintf(err, errlen, "\"%.40s\": %s", item, why);
                        else
                                port_error(err, errlen, r, why);
                        return r;
                }
                n++;
                if (!comma)
                        break;
                p = comma + 1;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int ps_portlist_parse(const char *s, struct ps_portspec **ret, size_t *ret_n, char *err, size_t errlen)
{
        return ps_portlist_parse_flags(s, 0, ret, ret_n, err, errlen);
}
