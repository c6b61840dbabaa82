/* portscope scan — port sets: numbers, ranges and sets named after the registry's statuses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan-internal.h"

#include "portscope/i18n.h"

static bool num(const char *s, size_t len, unsigned long max, unsigned long *ret)
{
        if (len == 0 || len > 6)
                return false;
        unsigned long v = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned long)(s[i] - '0');
        }
        if (v > max)
                return false;
        *ret = v;
        return true;
}

static bool is_word(const char *s, size_t len, const char *w)
{
        return strlen(w) == len && strncasecmp(s, w, len) == 0;
}

static int add_status(uint8_t *set, const struct registry *r, enum ps_proto proto, int status, unsigned lo,
                      unsigned hi)
{
        for (unsigned p = lo; p <= hi; p++) {
                enum registry_status s = registry_status(r, (uint16_t)p, proto);
                bool hit;
                if (status == REGISTRY_UNASSIGNED)
                        hit = s == REGISTRY_UNASSIGNED || s == REGISTRY_NOT_ASSIGNED;
                else
                        hit = (int)s == status;
                if (hit)
                        set[p] = 1;
        }
        return 0;
}

static int parse_item(const char *s, size_t len, enum ps_proto proto, const struct registry *r,
                      const struct knowledge *k, uint8_t *set, char *err, size_t errlen)
{
        unsigned long lo, hi;
        const char *dash = memchr(s, '-', len);
        if (len == 0)
                return scan_errf(err, errlen, -EINVAL, _("empty item in the port list"));
        if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-') {
                if (!dash) {
                        if (!num(s, len, 65535, &lo))
                                /* TRANSLATORS: %.*s is an item of the --ports list, as given. */
                                return scan_errf(err, errlen, -ERANGE, _("port '%.*s' is not a number 0-65535"),
                                                 (int)len, s);
                        hi = lo;
                } else {
                        size_t l1 = (size_t)(dash - s), l2 = len - l1 - 1;
                        if (l1 == 0)
                                lo = 1;
                        else if (!num(s, l1, 65535, &lo))
                                /* TRANSLATORS: %.*s is the start of a range in the --ports list ("8000" of
                                 * "8000-8100"). */
                                return scan_errf(err, errlen, -ERANGE, _("range start '%.*s' is not a number 0-65535"),
                                                 (int)l1, s);
                        if (l2 == 0)
                                hi = 65535;
                        else if (!num(dash + 1, l2, 65535, &hi))
                                /* TRANSLATORS: %.*s is the end of a range in the --ports list ("8100" of
                                 * "8000-8100"). */
                                return scan_errf(err, errlen, -ERANGE, _("range end '%.*s' is not a number 0-65535"),
                                                 (int)l2, dash + 1);
                        if (hi < lo)
                                /* TRANSLATORS: %.*s is a range of the --ports list, "8100-8000". */
                                return scan_errf(err, errlen, -ERANGE, _("range %.*s ends before it starts"), (int)len,
                                                 s);
                }
                memset(set + lo, 1, hi - lo + 1);
                return 0;
        }
        /* Named sets. */
        if (len > 4 && strncasecmp(s, "top:", 4) == 0) {
                unsigned long n;
                if (!num(s + 4, len - 4, 65536, &n) || n == 0)
                        /* TRANSLATORS: "top:N" is --ports syntax (not translated). */
                        return scan_errf(err, errlen, -EINVAL, _("top:N needs a number 1-65536"));
                if (!r)
                        return scan_errf(err, errlen, -ENOENT, _("top ports need the registry"));
                uint16_t *tp = malloc(n * sizeof(*tp));
                if (!tp)
                        return -ENOMEM;
                size_t got = registry_top_ports(r, proto, tp, n);
                if (got == 0) {
                        free(tp);
                        return scan_errf(err, errlen, -ENOENT,
                                         _("no nmap-services frequencies loaded (install nmap-common)"));
                }
                for (size_t i = 0; i < got && i < n; i++)
                        set[tp[i]] = 1;
                free(tp);
                return 0;
        }
        if (!r)
                return scan_errf(err, errlen, -ENOENT, _("named port sets need the registry"));
        enum ps_proto pr = proto;
        const char *colon = memchr(s, ':', len);
        size_t wl = len;
        if (colon) {
                char pbuf[8];
                size_t pl = len - (size_t)(colon - s) - 1;
                if (pl == 0 || pl >= sizeof(pbuf))
                        return scan_errf(err, errlen, -EINVAL, _("unknown protocol in '%.*s'"), (int)len, s);
                memcpy(pbuf, colon + 1, pl);
                pbuf[pl] = '\0';
                if (ps_proto_parse(pbuf, &pr) < 0)
                        return scan_errf(err, errlen, -EINVAL, _("unknown protocol in '%.*s'"), (int)len, s);
                wl = (size_t)(colon - s);
        }
        if (is_word(s, wl, "system-unassigned"))
                return add_status(set, r, pr, REGISTRY_UNASSIGNED, 1, 1023);
        if (is_word(s, wl, "unassigned"))
                return add_status(set, r, pr, REGISTRY_UNASSIGNED, 1, 65535);
        if (is_word(s, wl, "reserved"))
                return add_status(set, r, pr, REGISTRY_RESERVED, 1, 65535);
        if (is_word(s, wl, "assigned"))
                return add_status(set, r, pr, REGISTRY_ASSIGNED, 1, 65535);
        if (is_word(s, wl, "system-assigned"))
                return add_status(set, r, pr, REGISTRY_ASSIGNED, 1, 1023);
        if (is_word(s, wl, "malware")) {
                if (!k)
                        return scan_errf(err, errlen, -ENOENT, _("the malware set needs the knowledge file"));
                for (size_t i = 0; i < knowledge_nentries(k); i++) {
                        const struct knowledge_entry *e = knowledge_entry(k, i);
                        if (e->kind != KNOWLEDGE_MALWARE)
                                continue;
                        for (size_t j = 0; j < e->nports; j++)
                                if (e->ports[j].protos & PS_PROTO_BIT(pr))
                                        memset(set + e->ports[j].lo, 1,
                                               (size_t)e->ports[j].hi - e->ports[j].lo + 1);
                }
                return 0;
        }
        /* TRANSLATORS: %.*s is an item of the --ports list; the words in parentheses after
         * "ranges" are the names of port sets (--ports syntax, not translated). */
        return scan_errf(err, errlen, -EINVAL,
                         _("unknown port set '%.*s' (numbers, ranges, system-unassigned, unassigned, reserved, "
                           "assigned[:PROTO], malware, top:N)"),
                         (int)(len > 40 ? 40 : len), s);
}

int scan_ports_parse(const char *spec, enum ps_proto proto, const struct registry *r, const struct knowledge *k,
                     struct scan_ports *ret, char *err, size_t errlen)
{
        uint8_t *set = calloc(65536, 1);
        if (!set)
                return -ENOMEM;
        int rc = 0;
        if (strcmp(spec, "-") == 0) {
                memset(set + 1, 1, 65535);
        } else {
                const char *p = spec;
                for (;;) {
                        const char *c = strchr(p, ',');
                        size_t len = c ? (size_t)(c - p) : strlen(p);
                        rc = parse_item(p, len, proto, r, k, set, err, errlen);
                        if (rc < 0)
                                goto out;
                        if (!c)
                                break;
                        p = c + 1;
                }
        }
        size_t n = 0;
        for (size_t i = 0; i < 65536; i++)
                n += set[i];
        if (n == 0) {
                rc = scan_errf(err, errlen, -ENOENT, _("the port set is empty"));
                goto out;
        }
        uint16_t *ports = malloc(n * sizeof(*ports));
        if (!ports) {
                rc = -ENOMEM;
                goto out;
        }
        size_t j = 0;
        for (size_t i = 0; i < 65536; i++)
                if (set[i])
                        ports[j++] = (uint16_t)i;
        ret->ports = ports;
        ret->n = n;
out:
        free(set);
        return rc;
}

int scan_ports_top(const struct registry *r, enum ps_proto proto, size_t n, struct scan_ports *ret)
{
        if (n == 0 || n > 65536)
                return -EINVAL;
        char spec[32];
        snprintf(spec, sizeof(spec), "top:%zu", n);
        return scan_ports_parse(spec, proto, r, NULL, ret, NULL, 0);
}

void scan_ports_free(struct scan_ports *p)
{
        if (!p)
                return;
        free(p->ports);
        p->ports = NULL;
        p->n = 0;
}
