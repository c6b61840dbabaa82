/* portscope info: what the operands name, as ports and service names (cmd-info.h). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd-info.h"
#include "portscope/update.h"
#include "portscope/util.h"

static void add_target(struct targets *t, uint16_t port, unsigned protos)
{
        if (!t->protos[port])
                t->order[t->n++] = port;
        t->protos[port] |= (uint8_t)protos;
}

/* Set by cmd_info_bare(): the operand came without a command, so a word that is nothing is an
 * unknown command as much as an unknown service. */
static bool bare;
static const char *bare_near_command;

void info_bare(const char *near_command)
{
        bare = true;
        bare_near_command = near_command;
}

/* The registered name closest to word, for "did you mean" (NULL: none close enough). */
static const char *closest_name(const struct registry *r, const char *word)
{
        struct cli_suggest s = { 0 };
        uint32_t n = registry_nrows(r);

        for (uint32_t i = 0; i < n; i++) {
                struct registry_row row;
                if (registry_row(r, i, &row) == 0 && row.has_port && *row.service)
                        cli_suggest_consider(&s, word, row.service);
        }
        return s.best;
}

/* The ports runs of kept versions gave a name (update_history_named()), of the protocols asked:
 * listed in list ("1980/tcp, 1980/udp", at most six, then "and N more"), the last version that had
 * it in until, and added to t when t is not NULL. Returns how many. */
size_t info_named_before(json_t *hits, unsigned protos, struct targets *t, bool *ret_range, char *list, size_t len,
                           char until[16])
{
        size_t i, listed = 0, more = 0;
        json_t *x;

        *list = '\0';
        *until = '\0';
        json_array_foreach(hits, i, x) {
                enum ps_proto p;
                unsigned lo = (unsigned)json_integer_value(json_object_get(x, "lo"));
                unsigned hi = (unsigned)json_integer_value(json_object_get(x, "hi"));
                const char *to = json_string_value(json_object_get(x, "to"));
                if (ps_proto_parse(json_string_value(json_object_get(x, "protocol")), &p) < 0 ||
                    !(PS_PROTO_BIT(p) & protos) || hi > 65535 || lo > hi)
                        continue;
                for (unsigned port = lo; t && port <= hi; port++)
                        add_target(t, (uint16_t)port, PS_PROTO_BIT(p));
                if (ret_range)
                        *ret_range |= lo != hi;
                if (to && strlen(to) < 16 && strcmp(to, until) > 0)
                        memcpy(until, to, strlen(to) + 1);
                size_t used = strlen(list);
                char one[32];
                if (lo == hi)
                        snprintf(one, sizeof one, "%s%u/%s", listed ? ", " : "", lo, ps_proto_name(p));
                else
                        snprintf(one, sizeof one, "%s%u-%u/%s", listed ? ", " : "", lo, hi, ps_proto_name(p));
                if (listed < 6 && used + strlen(one) < len) {
                        memcpy(list + used, one, strlen(one) + 1);
                        listed++;
                } else
                        more++;
        }
        if (more) {
                size_t used = strlen(list);
                /* TRANSLATORS: after a list of ports: how many more are not listed. */
                snprintf(list + used, len - used, ps_ngettext(" and %zu more", " and %zu more", more), more);
        }
        return listed + more;
}

/* A name the registry no longer has that versions 'portscope update' kept gave to ports: those
 * ports are the answer (their pages show them now, and their history the name), after a note on
 * standard error. Returns whether there were any. */
static bool former_name(const struct registry *r, const char *arg, const char *name, unsigned protos,
                        struct targets *t, bool *ret_range)
{
        struct update_history *h = update_history_open_for(registry_source(r)->path);
        json_t *hits = update_history_named(h, name);
        char list[160], until[16], esc[128];
        size_t n = info_named_before(hits, protos, t, ret_range, list, sizeof list, until);

        json_decref(hits);
        update_history_close(h);
        if (!n)
                return false;
        /* TRANSLATORS: %1$s a service name; %2$s the registry's date; %3$s ports ("1980/tcp, 1980/udp");
         * %4$s the date of the last kept version that had the name. */
        fprintf(stderr, _("portscope: info: '%1$s' is no longer in the registry (newest date %2$s); the versions "
                          "'portscope update' kept gave it to %3$s until %4$s: shown below as they are now, with "
                          "their history\n"),
                cli_escaped(arg, esc, sizeof esc), registry_source(r)->date, list, until);
        return true;
}

static int resolve_name(const struct registry *r, const char *arg, const char *name, unsigned protos,
                        struct targets *t, bool *ret_range)
{
        struct ps_portspec spec[256];
        size_t found, n = registry_name_ports(r, name, spec, 256, &found);
        size_t with_port = 0;

        for (size_t i = 0; i < n; i++) {
                if (!(spec[i].protos & protos))
                        continue;
                with_port++;
                *ret_range |= spec[i].lo != spec[i].hi; /* x11 is 6000-6063: a table */
                for (uint32_t p = spec[i].lo; p <= spec[i].hi; p++)
                        add_target(t, (uint16_t)p, spec[i].protos & protos);
        }
        if (with_port)
                return 0;
        if (found && protos == PS_PROTO_ALL && t->nnames < MAX_NAMES) {
                for (size_t i = 0; i < t->nnames; i++)
                        if (strcmp(t->names[i], name) == 0)
                                return 0;
                t->names[t->nnames++] = name;
                return 0;
        }
        if (found && protos != PS_PROTO_ALL)
                ps_errorf(_("info: '%s': the service is not registered for that protocol"), arg);
        else if (found)
                ps_errorf(_("info: '%s' is a registered service name without a port number"), arg);
        else if (former_name(r, arg, name, protos, t, ret_range))
                return 0;
        else {
                const char *near = bare && bare_near_command ? bare_near_command : closest_name(r, name);
                if (bare)
                        if (near)
                                ps_errorf(_("unknown command or service name '%s'; did you mean '%s'? (try 'portscope --help')"),
                                          arg, near);
                        else
                                ps_errorf(_("unknown command or service name '%s' (try 'portscope --help')"), arg);
                else if (near)
                        ps_errorf(_("info: '%s': not a port number nor a service name in the registry; did you mean "
                                    "'%s'?"), arg, near);
                else
                        ps_errorf(_("info: '%s': not a port number (0-65535, LO-HI, PORT/PROTO) nor a service name in "
                                    "the registry"), arg);
        }
        return PS_EXIT_ERROR;
}

/* Turns one operand into ports: a port, a range, a list ("22,80"), ":22", or a service name
 * with or without a protocol ("ssh", "ssh/tcp"). */
int info_resolve(const struct registry *r, const char *arg, struct targets *t, bool *ret_range)
{
        struct ps_portspec spec;
        char err[160];
        const char *s = arg;

        if (arg[0] == '\x01') {
                ps_errorf(_("info: '-%s': ports are 0-65535, not negative"), arg + 1);
                return PS_EXIT_ERROR;
        }
        if (s[0] == ':' && s[1] >= '0' && s[1] <= '9') /* ":22", as in host:port */
                s++;
        if (strchr(s, ',')) {
                struct ps_portspec *v = NULL;
                size_t n = 0;
                if (ps_portlist_parse_flags(s, PS_PORTLIST_BLANKS, &v, &n, err, sizeof(err)) < 0) {
                        ps_errorf("info: '%s': %s", arg, err);
                        return PS_EXIT_ERROR;
                }
                for (size_t i = 0; i < n; i++) {
                        *ret_range |= v[i].lo != v[i].hi;
                        for (uint32_t p = v[i].lo; p <= v[i].hi; p++)
                                add_target(t, (uint16_t)p, v[i].protos);
                }
                free(v);
                return 0;
        }
        if (ps_portspec_parse(s, &spec, err, sizeof(err)) == 0) {
                *ret_range |= spec.lo != spec.hi;
                for (uint32_t p = spec.lo; p <= spec.hi; p++)
                        add_target(t, (uint16_t)p, spec.protos);
                return 0;
        }
        /* Not a port: a service name? Only when it does not start like a number. */
        if (!(s[0] >= '0' && s[0] <= '9') && s == arg) {
                const char *slash = strrchr(arg, '/');
                enum ps_proto proto;
                if (slash && slash > arg && ps_proto_parse(slash + 1, &proto) == 0) {
                        char name[128];
                        if (snprintf(name, sizeof(name), "%.*s", (int)(slash - arg), arg) >= (int)sizeof(name)) {
                                ps_errorf(_("info: '%s': not a port number nor a service name"), arg);
                                return PS_EXIT_ERROR;
                        }
                        return resolve_name(r, arg, name, PS_PROTO_BIT(proto), t, ret_range);
                }
                return resolve_name(r, arg, arg, PS_PROTO_ALL, t, ret_range);
        }
        ps_errorf("info: '%s': %s", arg, err);
        return PS_EXIT_ERROR;
}

