/* portscope registry — which registry is in use, how new, and what it holds. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "portscope/portinfo.h"
#include "portscope/util.h"

static const char registry_usage[] =
        N_("Usage: portscope registry [--json] [--registry FILE]\n"
        "\n"
        "Shows the registry portscope reads: its file and kind (the IANA CSV, or a\n"
        "services(5) file that lists assignments only), its newest registration or\n"
        "modification date, the index cache, the number of rows, and how many ports of\n"
        "each protocol are assigned, reserved and unassigned; also the nmap-services and\n"
        "knowledge files in use.\n"
        "\n"
        "Where the registry comes from, first found wins: --registry FILE,\n"
        "$PORTSCOPE_REGISTRY, the copy 'portscope update' stores in\n"
        "$XDG_DATA_HOME/portscope/, then Debian's libwireshark-data\n"
        "(/usr/share/wireshark/services).\n"
        "\n"
        "Examples:\n"
        "  portscope registry\n"
        "  portscope registry --registry service-names-port-numbers.csv --json\n");

/* The label of a line, padded to 13 columns, and never touching its value whatever its language. */
static void label(const char *s)
{
        ps_put_padded(stdout, s, 13);
        if (ps_text_width(s) >= 13)
                putchar(' ');
}

int cmd_registry(int argc, char **argv)
{
        static const struct option opts[] = {
                CLI_COMMON_OPTIONS, { 0 },
        };
        struct cli_common c = { .command = "registry", .usage = registry_usage, .opts = opts };
        struct registry *r = NULL;
        struct knowledge *k = NULL;
        struct registry_stats st;
        int opt, ret;

        while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1)
                if ((ret = cli_common_option(&c, opt, optarg, argv)) >= 0)
                        return ret;
        if (optind < argc) {
                ps_errorf(_("registry: unexpected argument '%s'"), argv[optind]);
                return PS_EXIT_ERROR;
        }
        ret = cli_open(&c, &r, &k);
        if (ret)
                return ret;
        registry_stats(r, &st);
        const struct registry_source *src = registry_source(r);
        static const char *const status_keys[4] = { "unassigned", "reserved", "assigned", "reserved-or-unassigned" };

        if (c.json) {
                json_t *o = json_object(), *reg = portinfo_source_json(r), *counts = json_object();
                json_object_set_new(reg, "cache", *src->cache_path ? portinfo_string(src->cache_path) : json_null());
                json_object_set_new(reg, "from_cache", json_boolean(src->from_cache));
                json_object_set_new(o, "registry", reg);
                json_object_set_new(o, "rows", json_integer(st.rows));
                json_object_set_new(o, "rows_with_port", json_integer(st.rows_with_port));
                json_object_set_new(o, "name_only_rows", json_integer(st.name_only_rows));
                json_object_set_new(o, "range_rows", json_integer(st.ranges));
                for (unsigned p = 0; p < PS_NPROTO; p++) {
                        json_t *pc = json_object();
                        for (int s = 0; s < 4; s++)
                                if (st.by_status[p][s] || s < 3)
                                        json_object_set_new(pc, status_keys[s], json_integer(st.by_status[p][s]));
                        json_object_set_new(counts, ps_proto_name((enum ps_proto)p), pc);
                }
                json_object_set_new(o, "ports", counts);
                json_object_set_new(o, "observed", json_integer(st.observed));
                json_t *kn = json_object();
                json_object_set_new(kn, "source", portinfo_string(knowledge_origin(k)));
                json_object_set_new(kn, "entries", json_integer((json_int_t)knowledge_nentries(k)));
                json_object_set_new(kn, "services", json_integer((json_int_t)knowledge_nservices(k)));
                json_object_set_new(o, "knowledge", kn);
                ret = cli_print_json(o);
                json_decref(o);
        } else {
                /* The labels of a column: padded to 13 columns whatever their language. */
                label(_("Registry"));
                cli_put(stdout, src->path);
                putchar('\n');
                label(_("Kind"));
                puts(src->kind == REGISTRY_SOURCE_IANA_CSV
                             ? _("IANA Service Name and Transport Protocol Port Number Registry (CSV)")
                             : _("services(5) file: assignments only; reserved and unassigned cannot be told apart"));
                label(_("Newest date"));
                cli_put(stdout, *src->date ? src->date : _("unknown (the source carries no dates)"));
                putchar('\n');
                label(_("Index cache"));
                if (*src->cache_path) {
                        cli_put(stdout, src->cache_path);
                        fputs(src->from_cache ? _(" (read)\n") : _(" (written)\n"), stdout);
                } else
                        puts(ps_pgettext("index cache", "none"));
                label(_("Rows"));
                /* TRANSLATORS: counts of the registry's rows. */
                printf(_("%u (%u with a port, %u service name only, %u ranges)\n\n"), st.rows, st.rows_with_port,
                       st.name_only_rows, st.ranges);
                /* The status words of this table are the registry's own (assigned, reserved, unassigned). */
                printf("%-6s %11s %11s %11s\n", "", "assigned", "reserved", "unassigned");
                for (unsigned p = 0; p < PS_NPROTO; p++) {
                        if (src->kind == REGISTRY_SOURCE_IANA_CSV)
                                printf("%-6s %11u %11u %11u\n", ps_proto_name((enum ps_proto)p), st.by_status[p][2],
                                       st.by_status[p][1], st.by_status[p][0]);
                        else
                                printf(_("%-6s %11u %23u (reserved or unassigned)\n"), ps_proto_name((enum ps_proto)p),
                                       st.by_status[p][2], st.by_status[p][3]);
                }
                putchar('\n');
                label(_("Observed"));
                if (*src->observed_path) {
                        cli_put(stdout, src->observed_path);
                        printf(ps_ngettext(" (%u entry)\n", " (%u entries)\n", st.observed), st.observed);
                } else
                        puts(_("none (install nmap-common for nmap-services)"));
                label(_("Knowledge"));
                cli_put(stdout, knowledge_origin(k));
                /* TRANSLATORS: two counts; one sentence whatever they are. */
                printf(_(" (%zu entries, %zu services with known servers)\n"), knowledge_nentries(k),
                       knowledge_nservices(k));
        }
        knowledge_free(k);
        registry_close(r);
        return ret;
}
