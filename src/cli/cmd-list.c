/* portscope list — ports by status, range and protocol. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "portscope/jsonw.h"
#include "portscope/portinfo.h"
#include "portscope/util.h"

static const char list_usage[] =
        N_("Usage: portscope list [--status S] [--range R] [--proto P] [--compact] [--json]\n"
        "\n"
        "Lists (port, protocol) pairs with their registry status, range and service\n"
        "names.\n"
        "\n"
        "Options:\n"
        "  --status S     assigned, reserved, unassigned (or reserved-or-unassigned for a\n"
        "                 services-file source); repeatable\n"
        "  --range R      system (0-1023), user (1024-49151), dynamic (49152-65535);\n"
        "                 repeatable\n"
        "  --proto P      tcp, udp, sctp, dccp; repeatable (default: all four)\n"
        "  --port SPEC    only these ports, e.g. 1-1023 or 20-25,80 (default: 0-65535)\n"
        "  --compact      merge consecutive ports with the same status and names into\n"
        "                 ranges\n"
        "  --json         {\"registry\":{..},\"ports\":[{\"port\",\"protocol\",\"status\",\"range\",\n"
        "                 \"services\"}]}\n"
        "                 (with --compact: \"first\" and \"last\" instead of \"port\")\n"
        "  --registry FILE, --no-cache   see 'portscope info --help'\n"
        "\n"
        "Examples:\n"
        "  portscope list --status unassigned --range system --proto tcp # lost or hiding\n"
        "  portscope list --status reserved --compact\n"
        "  portscope list --port 6000-6100 --proto tcp --json\n");

/* Service names of the rows covering (port, proto), comma-separated, into buf. */
static void names_of(const struct registry *r, uint16_t port, enum ps_proto p, char *buf, size_t len)
{
        uint32_t ids[64];
        size_t n = registry_covering(r, port, p, ids, 64), used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n && i < 64; i++) {
                struct registry_row row;
                registry_row(r, ids[i], &row);
                if (row.kind != REGISTRY_ROW_SERVICE)
                        continue;
                int w = snprintf(buf + used, len - used, "%s%s", used ? "," : "", row.service);
                if (w < 0 || (size_t)w >= len - used)
                        break;
                used += (size_t)w;
        }
}

static void emit(const struct cli_common *c, struct jsonw *w, bool compact, uint16_t lo, uint16_t hi, enum ps_proto p,
                 enum registry_status st, const char *names)
{
        if (c->json) {
                jsonw_begin_object(w);
                if (compact) {
                        jsonw_name(w, "first");
                        jsonw_uint(w, lo);
                        jsonw_name(w, "last");
                        jsonw_uint(w, hi);
                } else {
                        jsonw_name(w, "port");
                        jsonw_uint(w, lo);
                }
                jsonw_name(w, "protocol");
                jsonw_string(w, ps_proto_name(p));
                jsonw_name(w, "status");
                jsonw_string(w, registry_status_name(st));
                jsonw_name(w, "range");
                jsonw_string(w, ps_range_name(ps_range_of(lo)));
                jsonw_name(w, "services");
                jsonw_begin_array(w);
                for (const char *s = names; *s;) {
                        const char *e = strchr(s, ',');
                        size_t n = e ? (size_t)(e - s) : strlen(s);
                        jsonw_stringn(w, s, n);
                        s += n + (e ? 1 : 0);
                }
                jsonw_end_array(w);
                jsonw_end_object(w);
        } else {
                char where[32];
                if (lo == hi)
                        snprintf(where, sizeof(where), "%u/%s", lo, ps_proto_name(p));
                else
                        snprintf(where, sizeof(where), "%u-%u/%s", lo, hi, ps_proto_name(p));
                /* No blanks at the end of a line without names. */
                if (*names) {
                        printf("%-18s %-24s %-8s ", where, registry_status_name(st), ps_range_name(ps_range_of(lo)));
                        cli_put(stdout, names);
                        putchar('\n');
                } else {
                        printf("%-18s %-24s %s\n", where, registry_status_name(st), ps_range_name(ps_range_of(lo)));
                }
        }
}

int cmd_list(int argc, char **argv)
{
        static const struct option opts[] = {
                CLI_COMMON_OPTIONS,
                { "status", required_argument, NULL, 's' }, { "range", required_argument, NULL, 'R' },
                { "proto", required_argument, NULL, 'p' },  { "port", required_argument, NULL, 'P' },
                { "compact", no_argument, NULL, 'c' },      { 0 },
        };
        struct cli_common c = { .command = "list", .usage = list_usage, .opts = opts };
        struct registry *r = NULL;
        unsigned statuses = 0, ranges = 0, protos = 0;
        struct ps_portspec *specs = NULL;
        size_t nspecs = 0;
        bool compact = false;
        struct jsonw w;
        int opt, ret;

        while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (opt) {
                case 'c': compact = true; break;
                case 's': {
                        enum registry_status s;
                        if (registry_status_parse(optarg, &s) < 0) {
                                ps_errorf(_("list: --status '%s': expected assigned, reserved, unassigned or "
                                          "reserved-or-unassigned"), optarg);
                                free(specs);
                                return PS_EXIT_ERROR;
                        }
                        statuses |= 1u << s;
                        /* On a source that tells them apart (the IANA CSV), "reserved or
                         * unassigned" is both; a services file has only the one status. */
                        if (s == REGISTRY_NOT_ASSIGNED)
                                statuses |= 1u << REGISTRY_RESERVED | 1u << REGISTRY_UNASSIGNED;
                        break;
                }
                case 'R': {
                        enum ps_range rg;
                        if (ps_range_parse(optarg, &rg) < 0) {
                                ps_errorf(_("list: --range '%s': expected system, user or dynamic"), optarg);
                                free(specs);
                                return PS_EXIT_ERROR;
                        }
                        ranges |= 1u << rg;
                        break;
                }
                case 'p': {
                        enum ps_proto p;
                        if (ps_proto_parse(optarg, &p) < 0) {
                                ps_errorf(_("list: --proto '%s': expected tcp, udp, sctp or dccp"), optarg);
                                free(specs);
                                return PS_EXIT_ERROR;
                        }
                        protos |= PS_PROTO_BIT(p);
                        break;
                }
                case 'P': {
                        char err[160];
                        free(specs);
                        specs = NULL;
                        if (ps_portlist_parse(optarg, &specs, &nspecs, err, sizeof(err)) < 0) {
                                ps_errorf("list: --port '%s': %s", optarg, err);
                                return PS_EXIT_ERROR;
                        }
                        break;
                }
                default:
                        if ((ret = cli_common_option(&c, opt, optarg, argv)) >= 0)
                                return ret;
                }
        }
        if (optind < argc) {
                ps_errorf(_("list: unexpected argument '%s' (filters are options: see --help)"), argv[optind]);
                free(specs);
                return PS_EXIT_ERROR;
        }
        if (!statuses)
                statuses = 0xf;
        if (!ranges)
                ranges = 0x7;
        if (!protos)
                protos = PS_PROTO_ALL;
        ret = cli_open(&c, &r, NULL);
        if (ret) {
                free(specs);
                return ret;
        }
        if (registry_source(r)->kind == REGISTRY_SOURCE_SERVICES &&
            (statuses & (1u << REGISTRY_RESERVED | 1u << REGISTRY_UNASSIGNED)) &&
            !(statuses & (1u << REGISTRY_NOT_ASSIGNED | 1u << REGISTRY_ASSIGNED)))
                /* Not an error: the list is right, and empty (nothing else was asked for). */
                ps_errorf(_("list: %s is a services file, which lists assignments only: no port in it is "
                            "reserved or unassigned (--status reserved-or-unassigned lists the ports it lacks; "
                            "'portscope update' installs IANA's registry, which tells them apart)"),
                          registry_source(r)->path);
        if (c.json) {
                /* One port a line: 262,144 of them stay readable with line tools. */
                json_t *src = portinfo_source_json(r);
                jsonw_init_file(&w, stdout, 0);
                jsonw_begin_object(&w);
                jsonw_name(&w, "registry");
                jsonw_json(&w, src);
                json_decref(src);
                jsonw_name(&w, "ports");
                jsonw_begin_array_lines(&w);
        } else
                portinfo_print_source(stdout, "# ", r);
        for (unsigned p = 0; p < PS_NPROTO; p++) {
                if (!(protos & PS_PROTO_BIT(p)))
                        continue;
                char names[1024], run_names[1024] = "";
                int32_t run_lo = -1, run_hi = -1;
                enum registry_status run_st = REGISTRY_UNASSIGNED;
                for (uint32_t port = 0; port <= 65535; port++) {
                        bool in = nspecs == 0;
                        for (size_t i = 0; i < nspecs && !in; i++)
                                in = port >= specs[i].lo && port <= specs[i].hi && (specs[i].protos & PS_PROTO_BIT(p));
                        enum registry_status st = registry_status(r, (uint16_t)port, (enum ps_proto)p);
                        in = in && (statuses & (1u << st)) && (ranges & (1u << ps_range_of((uint16_t)port)));
                        if (!in) {
                                if (run_lo >= 0)
                                        emit(&c, &w, compact, (uint16_t)run_lo, (uint16_t)run_hi, (enum ps_proto)p,
                                             run_st, run_names);
                                run_lo = -1;
                                continue;
                        }
                        names_of(r, (uint16_t)port, (enum ps_proto)p, names, sizeof(names));
                        if (!compact) {
                                emit(&c, &w, false, (uint16_t)port, (uint16_t)port, (enum ps_proto)p, st, names);
                                continue;
                        }
                        if (run_lo >= 0 && run_st == st && (uint32_t)run_hi + 1 == port &&
                            ps_range_of((uint16_t)run_lo) == ps_range_of((uint16_t)port) && strcmp(names, run_names) == 0) {
                                run_hi = (int32_t)port;
                                continue;
                        }
                        if (run_lo >= 0)
                                emit(&c, &w, compact, (uint16_t)run_lo, (uint16_t)run_hi, (enum ps_proto)p, run_st,
                                     run_names);
                        run_lo = run_hi = (int32_t)port;
                        run_st = st;
                        memcpy(run_names, names, sizeof(names));
                }
                if (compact && run_lo >= 0)
                        emit(&c, &w, compact, (uint16_t)run_lo, (uint16_t)run_hi, (enum ps_proto)p, run_st, run_names);
        }
        int werr = 0;
        if (c.json) {
                jsonw_end_array(&w);
                jsonw_end_object(&w);
                jsonw_newline(&w);
                werr = jsonw_finish(&w);
        }
        if (fflush(stdout) != 0 || werr < 0) {
                ps_errorf(_("list: cannot write output"));
                ret = PS_EXIT_ERROR;
        }
        free(specs);
        registry_close(r);
        return ret;
}
