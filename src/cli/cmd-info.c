/* portscope info PORT[/PROTO]|NAME ... — a page in the terminal, or the JSON object. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd-info.h"
#include "portscope/portinfo.h"
#include "portscope/update.h"
#include "portscope/util.h"

static const char info_usage[] =
        N_("Usage: portscope info [OPTIONS] PORT[/PROTO] | LO-HI[/PROTO] | P,Q,.. |\n"
        "                      NAME[/PROTO] ...\n"
        "\n"
        "Everything known about a port: its status in the IANA registry for tcp, udp,\n"
        "sctp and dccp; the range it is in and how ports there are assigned; every\n"
        "registry row with all its columns; what nmap observes there; unofficial uses\n"
        "and malware from portscope's knowledge file; how to check what is listening;\n"
        "and what to think if something is.\n"
        "A service name (e.g. 'ssh') shows every port registered for it; a range is a\n"
        "table. 'portscope 22' and 'portscope ssh' are 'portscope info 22' and\n"
        "'portscope info ssh'.\n"
        "\n"
        "Options:\n"
        "  --brief            a few lines per port: status, name, what is known there,\n"
        "                     nmap rank\n"
        "  --json             an array of one JSON object per port (docs/json.md)\n"
        "  --json-object      the object alone, for exactly one port\n"
        "  --registry FILE    the IANA CSV or a services(5) file (default:\n"
        "                     $PORTSCOPE_REGISTRY, the copy 'portscope update' stores,\n"
        "                     then the system's packages)\n"
        "  --knowledge FILE   a knowledge file instead of the built-in one\n"
        "  --no-cache         neither read nor write the index cache\n"
        "  -h, --help         this text\n"
        "\n"
        "Examples:\n"
        "  portscope info 625\n"
        "  portscope info 22/tcp 3025\n"
        "  portscope info dec_dlm\n"
        "  portscope info --brief ssh/tcp :80 443,8443\n"
        "  portscope info 20-25\n"
        "  portscope info --json 625 | jq '.[0].protocols.tcp.status'\n");


static void print_scan_line(enum ps_proto p, unsigned rank);

static void put_field(const char *label, json_t *v, unsigned indent)
{
        const char *s = json_string_value(v);

        printf("%*s", indent, "");
        ps_put_padded(stdout, label, 18);
        putchar(' ');
        if (!s || !*s) {
                puts("-");
                return;
        }
        /* Multi-line registry fields keep their lines, indented. */
        for (const char *p = s;;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                ps_term_escape(stdout, p, n, false);
                putchar('\n');
                if (!nl)
                        break;
                p = nl + 1;
                printf("%*s%-18s ", indent, "", "");
        }
}

static void print_row(const struct cli_common *c, json_t *row)
{
        const char *name = json_string_value(json_object_get(row, "name"));
        json_int_t first = json_integer_value(json_object_get(row, "first")), last = json_integer_value(json_object_get(row, "last"));
        bool has_port = json_is_integer(json_object_get(row, "first"));
        const char *proto = json_string_value(json_object_get(row, "protocol"));
        const char *alias = json_string_value(json_object_get(row, "alias_of"));

        printf("  %s", cli_color(c, "bold"));
        cli_put(stdout, name ? name : _("(no name)"));
        fputs(cli_color(c, "reset"), stdout);
        putchar(' ');
        if (has_port && first != last)
                printf("%lld-%lld", first, last);
        else if (has_port)
                printf("%lld", first);
        if (has_port) {
                putchar('/');
                cli_put(stdout, proto ? proto : "any");
        } else {
                /* TRANSLATORS: in place of PORT/PROTO: a registry row of a service name without a port. */
                fputs(_("(no port)"), stdout);
        }
        if (alias) {
                fputs(_("  — alias of "), stdout);
                cli_put(stdout, alias);
        }
        printf(_("  %s(line %lld, %s)%s\n"), cli_color(c, "dim"), json_integer_value(json_object_get(row, "line")),
               _(json_string_value(json_object_get(row, "kind"))), cli_color(c, "reset"));
        put_field(_("Description"), json_object_get(row, "description"), 4);
        put_field(_("Assignee"), json_object_get(row, "assignee"), 4);
        put_field(_("Contact"), json_object_get(row, "contact"), 4);
        put_field(_("Registered"), json_object_get(row, "registered"), 4);
        put_field(_("Modified"), json_object_get(row, "modified"), 4);
        put_field(_("Reference"), json_object_get(row, "reference"), 4);
        put_field(_("Service code"), json_object_get(row, "service_code"), 4);
        put_field(_("Unauthorized use"), json_object_get(row, "unauthorized_use"), 4);
        put_field(_("Notes"), json_object_get(row, "notes"), 4);
}

static const char *status_color(const char *status)
{
        if (strcmp(status, "assigned") == 0)
                return "green";
        if (strcmp(status, "reserved") == 0)
                return "yellow";
        return "red";
}

/* Renders the JSON object as a page: the same facts as --json, never others. The source's path is
 * taken as it is (src) rather than from the JSON, where invalid UTF-8 became U+FFFD: a terminal
 * shows such bytes as \xNN. */
static void print_page(const struct cli_common *c, json_t *o, const char *src, unsigned protos)
{
        json_t *reg = json_object_get(o, "registry"), *pr = json_object_get(o, "protocols");
        const char *date = json_string_value(json_object_get(reg, "date"));
        char esc[128];
        json_t *seen_ids = json_array();

        {
                const char *range = json_string_value(json_object_get(o, "range"));
                printf(strcmp(range, "system") == 0 ? _("%sPort %lld%s — system port (%s)\n")
                       : strcmp(range, "user") == 0 ? _("%sPort %lld%s — user port (%s)\n")
                                                    : _("%sPort %lld%s — dynamic port (%s)\n"),
                       cli_color(c, "bold"), json_integer_value(json_object_get(o, "port")), cli_color(c, "reset"),
                       json_string_value(json_object_get(o, "range_bounds")));
        }
        printf("  %s\n", _(json_string_value(json_object_get(o, "procedure"))));
        fputs(_("  Registry: "), stdout);
        cli_put(stdout, src);
        printf(json_is_true(json_object_get(reg, "assignments_only"))
                       ? _(" (a services file: assignments only, newest date %s)\n")
                       : _(" (IANA CSV, newest date %s)\n"),
               cli_escaped(date ? date : _("unknown"), esc, sizeof(esc)));
        if (json_is_true(json_object_get(reg, "assignments_only")))
                puts(_("  This source lists assignments only: reserved and unassigned ports cannot be told apart."));
        putchar('\n');

        puts(_("Status"));
        for (unsigned p = 0; p < PS_NPROTO; p++) {
                if (!(protos & PS_PROTO_BIT(p)))
                        continue;
                json_t *po = json_object_get(pr, ps_proto_name((enum ps_proto)p));
                const char *st = json_string_value(json_object_get(po, "status"));
                json_t *sv = json_object_get(po, "services"), *x;
                size_t i;
                printf("  %-5s %s", ps_proto_name((enum ps_proto)p), cli_color(c, status_color(st)));
                ps_put_padded(stdout, registry_status_label(st), 22);
                fputs(cli_color(c, "reset"), stdout);
                json_array_foreach(sv, i, x) {
                        const char *n = json_string_value(json_object_get(x, "name"));
                        if (i)
                                fputs(", ", stdout);
                        cli_put(stdout, n ? n : json_string_value(json_object_get(x, "description")));
                        if (json_is_string(json_object_get(x, "alias_of")))
                                fputs(_(" (alias)"), stdout);
                }
                if (json_is_true(json_object_get(po, "private_use")))
                        fputs(_("  [private use]"), stdout);
                putchar('\n');
        }

        putchar('\n');
        puts(_("Registry rows"));
        bool any = false;
        for (unsigned p = 0; p < PS_NPROTO; p++) {
                if (!(protos & PS_PROTO_BIT(p)))
                        continue;
                json_t *po = json_object_get(pr, ps_proto_name((enum ps_proto)p));
                const char *lists[] = { "services", "records" };
                for (int l = 0; l < 2; l++) {
                        json_t *x;
                        size_t i;
                        json_array_foreach(json_object_get(po, lists[l]), i, x) {
                                /* A row with an empty protocol covers all four: print it once. */
                                json_int_t id = json_integer_value(json_object_get(x, "id"));
                                json_t *y;
                                size_t j;
                                bool dup = false;
                                json_array_foreach(seen_ids, j, y) dup |= json_integer_value(y) == id;
                                if (dup)
                                        continue;
                                json_array_append_new(seen_ids, json_integer(id));
                                print_row(c, x);
                                any = true;
                        }
                }
        }
        if (!any)
                puts(_("  (none: no row of the registry covers this port)"));
        json_decref(seen_ids);
        update_history_print(stdout, (unsigned)json_integer_value(json_object_get(o, "port")),
                             json_object_get(o, "history"), protos);

        json_t *obs = json_object_get(o, "observed"), *x;
        size_t i;
        putchar('\n');
        puts(_("Observed by nmap (nmap-services: fraction of scanned hosts with the port open)"));
        if (json_array_size(obs) == 0)
                puts(json_is_string(json_object_get(reg, "observed_source")) ? _("  (nothing)")
                                                                              : _("  (nmap-services not installed)"));
        json_array_foreach(obs, i, x) {
                printf("  %-5s ", json_string_value(json_object_get(x, "protocol")));
                cli_put(stdout, json_string_value(json_object_get(x, "name")));
                printf("  %.6f", json_real_value(json_object_get(x, "frequency")));
                if (json_is_integer(json_object_get(x, "rank"))) {
                        char b[16];
                        printf(_("  rank %s"), ps_i18n_number((unsigned)json_integer_value(json_object_get(x, "rank")), b, sizeof(b)));
                }
                const char *cm = json_string_value(json_object_get(x, "comment"));
                if (cm && *cm) {
                        fputs("  # ", stdout);
                        cli_put(stdout, cm);
                }
                putchar('\n');
        }

        /* The rank of each protocol's best line: nmap scans its top 1,000 of each. Without
         * nmap-services nothing can be said of it. */
        bool observed = json_is_string(json_object_get(reg, "observed_source"));
        for (unsigned p = 0; observed && p < 2; p++) {
                json_int_t best = 0;
                json_array_foreach(obs, i, x) {
                        json_int_t rank = json_integer_value(json_object_get(x, "rank"));
                        if (strcmp(json_string_value(json_object_get(x, "protocol")), ps_proto_name((enum ps_proto)p)) == 0 &&
                            rank > 0 && (!best || rank < best))
                                best = rank;
                }
                if ((protos & PS_PROTO_BIT(p)) && (p == PS_TCP || best))
                        print_scan_line((enum ps_proto)p, (unsigned)best);
        }

        json_t *un = json_object_get(o, "unofficial");
        putchar('\n');
        puts(_("Unofficial and observed uses (portscope knowledge)"));
        if (json_array_size(un) == 0)
                puts(_("  (none known)"));
        json_array_foreach(un, i, x) {
                json_t *pp, *y;
                size_t j;
                const char *kind = json_string_value(json_object_get(x, "kind"));
                printf("  %s", cli_color(c, strcmp(kind, "malware") == 0 ? "red" : "cyan"));
                cli_put(stdout, json_string_value(json_object_get(x, "name")));
                printf("%s [%s]", cli_color(c, "reset"), _(kind));
                pp = json_object_get(x, "ports");
                if (json_array_size(pp)) {
                        char ports[512] = "";
                        size_t used = 0;
                        json_array_foreach(pp, j, y) {
                                int n = snprintf(ports + used, sizeof(ports) - used, "%s%s", j ? ", " : "",
                                                 json_string_value(y));
                                if (n < 0 || (size_t)n >= sizeof(ports) - used)
                                        break;
                                used += (size_t)n;
                        }
                        /* TRANSLATORS: after a knowledge entry's name and kind: the ports it is known on
                         * ("625/tcp, 625/udp"). */
                        printf(_(" on %s"), ports);
                }
                fputs("\n    ", stdout);
                cli_put(stdout, json_string_value(json_object_get(x, "summary")));
                fputs(_("\n    source: "), stdout);
                cli_put(stdout, json_string_value(json_object_get(x, "source")));
                putchar('\n');
        }

        json_t *chk = json_object_get(o, "how_to_check");
        putchar('\n');
        puts(_("How to check what is listening"));
        printf("  portscope  %s\n", json_string_value(json_object_get(chk, "portscope")));
        printf("  Linux      %s\n", json_string_value(json_object_get(chk, "linux")));
        printf("  macOS      %s\n", json_string_value(json_object_get(chk, "macos")));
        printf("  Windows    %s\n", json_string_value(json_object_get(chk, "windows")));

        putchar('\n');
        puts(_("If something is listening"));
        for (unsigned p = 0; p < PS_NPROTO; p++) {
                if (!(protos & PS_PROTO_BIT(p)))
                        continue;
                json_t *po = json_object_get(pr, ps_proto_name((enum ps_proto)p));
                printf("  %-5s %s\n", ps_proto_name((enum ps_proto)p), _(json_string_value(json_object_get(po, "advice"))));
        }
}

/* The object of port for the protocols asked (PS_PROTO_ALL: all), with its history when hist
 * is not NULL; NULL on OOM. */
static json_t *port_json(const struct registry *r, const struct knowledge *k, struct update_history *hist,
                         uint16_t port, unsigned protos)
{
        json_t *o = portinfo_json(r, k, port);
        if (o && hist) /* only with snapshots, as in the API (src/serve/page-port-history.c) */
                json_object_set_new(o, "history", update_history_json(hist, port));
        /* PORT/PROTO: the other protocols are not part of the answer (as /api/v1/ports/N/PROTO). */
        if (o && portinfo_keep_protocols(o, protos) < 0) {
                json_decref(o);
                o = NULL;
        }
        return o;
}

/* {"service","port":null,"registry","rows":[...]}: a name without a port, by its rows. */
static json_t *name_json(const struct registry *r, const struct update_history *hist, const char *name)
{
        uint32_t ids[256];
        size_t n = registry_by_name(r, name, ids, 256);
        json_t *o = json_object(), *rows = json_array();
        if (!o || !rows || json_object_set_new(o, "service", portinfo_string(name)) < 0 ||
            json_object_set_new(o, "port", json_null()) < 0 ||
            json_object_set_new(o, "registry", portinfo_source_json(r)) < 0) {
                json_decref(o);
                json_decref(rows);
                return NULL;
        }
        for (size_t i = 0; i < n && i < 256; i++)
                json_array_append_new(rows, portinfo_row_json(r, ids[i]));
        json_object_set_new(o, "rows", rows);
        /* A name that had ports in a kept version (compressnet had 2 and 3 until 2025). */
        json_t *before = update_history_named(hist, name);
        if (json_array_size(before))
                json_object_set_new(o, "former_ports", before);
        else
                json_decref(before);
        return o;
}

static void print_name_page(const struct cli_common *c, json_t *o, const char *src)
{
        json_t *reg = json_object_get(o, "registry"), *row;
        const char *date = json_string_value(json_object_get(reg, "date"));
        char esc[128];
        size_t i;
        /* TRANSLATORS: a service name that has no port number in the registry ("swyp"). */
        printf(_("%sService %s%s — a name without a port number\n"), cli_color(c, "bold"),
               cli_escaped(json_string_value(json_object_get(o, "service")), esc, sizeof esc), cli_color(c, "reset"));
        puts(_("  IANA registers some service names without a port: clients find the server through DNS-SD or SRV\n"
               "  records (RFC 6335, section 5), on whatever port it announces."));
        fputs(_("  Registry: "), stdout);
        cli_put(stdout, src);
        printf(_(" (IANA CSV, newest date %s)\n"), cli_escaped(date ? date : _("unknown"), esc, sizeof(esc)));
        char list[160], until[16];
        if (info_named_before(json_object_get(o, "former_ports"), PS_PROTO_ALL, NULL, NULL, list, sizeof list, until))
                /* TRANSLATORS: %1$s ports ("2/tcp, 2/udp"); %2$s the date of the last kept version that had them. */
                printf(_("  Before: the versions 'portscope update' kept gave it %1$s until %2$s ('portscope info PORT'\n"
                         "  tells each port's history).\n"),
                       list, until);
        putchar('\n');
        puts(_("Registry rows"));
        json_array_foreach(json_object_get(o, "rows"), i, row)
                print_row(c, row);
}

/* nmap's rank of each port per protocol (0: not listed), for --brief and tables. */
struct ranks {
        unsigned tcp[MAX_PORTS], udp[MAX_PORTS];
};

static void fill_ranks(const struct registry *r, struct ranks *rk)
{
        uint16_t *v = malloc(MAX_PORTS * sizeof(*v));
        size_t n;

        if (!v)
                return;
        n = registry_top_ports(r, PS_TCP, v, MAX_PORTS);
        for (size_t i = 0; i < n; i++)
                rk->tcp[v[i]] = (unsigned)i + 1;
        n = registry_top_ports(r, PS_UDP, v, MAX_PORTS);
        for (size_t i = 0; i < n; i++)
                rk->udp[v[i]] = (unsigned)i + 1;
        free(v);
}

/* "in nmap's default scan (top 1,000 TCP ports): yes, rank 150" or "no (rank 1,283)". */
static void print_scan_line(enum ps_proto p, unsigned rank)
{
        char b[16];

        ps_i18n_number(rank, b, sizeof(b));
        if (p == PS_TCP) {
                if (!rank)
                        puts(_("  in nmap's default scan (top 1,000 TCP ports): no (not listed)"));
                else if (rank <= 1000)
                        printf(_("  in nmap's default scan (top 1,000 TCP ports): yes, rank %s\n"), b);
                else
                        printf(_("  in nmap's default scan (top 1,000 TCP ports): no (rank %s)\n"), b);
        } else {
                if (!rank)
                        puts(_("  in nmap's top 1,000 UDP ports (-sU): no (not listed)"));
                else if (rank <= 1000)
                        printf(_("  in nmap's top 1,000 UDP ports (-sU): yes, rank %s\n"), b);
                else
                        printf(_("  in nmap's top 1,000 UDP ports (-sU): no (rank %s)\n"), b);
        }
}

/* A few lines per port: status per protocol, primary name, top occupant, default-scan rank. */
static void print_brief(const struct cli_common *c, const struct registry *r, const struct knowledge *k,
                        const struct ranks *rk, uint16_t port, unsigned protos)
{
        const char *desc = NULL, *name = portinfo_primary_name(r, port, &desc);
        const struct knowledge_entry *top = portinfo_top_occupant(k, port, protos);

        printf("%s%u%s  ", cli_color(c, "bold"), port, cli_color(c, "reset"));
        cli_put(stdout, name ? name : _("(no registered name)"));
        if (desc && *desc) {
                size_t n = strcspn(desc, "\n");
                fputs(" — ", stdout);
                ps_term_escape(stdout, desc, n, false);
        }
        putchar('\n');
        fputs("  ", stdout);
        /* TRANSLATORS: a label of "info --brief", padded to 9 columns with "history" and "known". */
        ps_put_padded(stdout, _("status"), 9);
        for (unsigned p = 0, first = 1; p < PS_NPROTO; p++) {
                if (!(protos & PS_PROTO_BIT(p)))
                        continue;
                const char *st = registry_status_name(registry_status(r, port, (enum ps_proto)p));
                printf("%s%s %s%s%s", first ? "" : ", ", ps_proto_name((enum ps_proto)p), cli_color(c, status_color(st)),
                       registry_status_label(st), cli_color(c, "reset"));
                first = 0;
        }
        putchar('\n');
        if (top) {
                /* Malware on a port with an assigned service is its history, not its occupant. */
                bool history = name && (top->kind == KNOWLEDGE_MALWARE || top->kind == KNOWLEDGE_C2);
                fputs("  ", stdout);
                /* TRANSLATORS: labels of "info --brief": malware once seen on the port; what is known to run there. */
                ps_put_padded(stdout, history ? _("history") : _("known"), 9);
                cli_put(stdout, top->name);
                printf(" [%s]\n", _(knowledge_kind_name(top->kind)));
        }
        /* A few ports: each rank on its own (a pass over nmap-services) beats sorting it all. */
        if (!registry_source(r)->observed_path || !*registry_source(r)->observed_path) {
                puts(_("  (nmap-services not installed)"));
                return;
        }
        if (protos & PS_PROTO_BIT(PS_TCP))
                print_scan_line(PS_TCP, rk ? rk->tcp[port] : portinfo_rank(r, port, PS_TCP));
        if (protos & PS_PROTO_BIT(PS_UDP))
                print_scan_line(PS_UDP, rk ? rk->udp[port] : portinfo_rank(r, port, PS_UDP));
}

static void print_table_head(void)
{
        /* TRANSLATORS: the headings of the table of a port range (info 20-25). */
        ps_put_padded(stdout, ps_pgettext("range table heading", "PORT"), 7);
        ps_put_padded(stdout, "TCP", 12);
        ps_put_padded(stdout, "UDP", 12);
        ps_put_padded(stdout, _("NAME"), 23);
        ps_put_padded(stdout, _("KNOWN FOR"), 23);
        puts(_("NMAP RANK tcp/udp"));
}

/* A cell of 22 columns and a space: a longer text is cut (on a character's boundary) and ends
 * with "…", so that a cut name is not read as a whole one. */
static void print_cell22(const char *s)
{
        size_t w = strlen(s);
        if (w <= 22) {
                ps_term_escape(stdout, s, w, false);
                printf("%*s ", (int)(22 - w), "");
                return;
        }
        size_t cut = 21;
        while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
                cut--;
        ps_term_escape(stdout, s, cut, false);
        printf("\u2026%*s ", (int)(21 - cut), "");
}

static void print_table_row(const struct registry *r, const struct knowledge *k, const struct ranks *rk, uint16_t port)
{
        const char *name = portinfo_primary_name(r, port, NULL);
        const struct knowledge_entry *top = portinfo_top_occupant(k, port, PS_PROTO_ALL);
        char a[16] = "-", b[16] = "-";

        printf("%-6u ", port);
        ps_put_padded(stdout, _(registry_status_name(registry_status(r, port, PS_TCP))), 11);
        putchar(' ');
        ps_put_padded(stdout, _(registry_status_name(registry_status(r, port, PS_UDP))), 11);
        putchar(' ');
        print_cell22(name ? name : "-");
        print_cell22(top ? top->name : "-");
        if (rk->tcp[port])
                ps_i18n_number(rk->tcp[port], a, sizeof(a));
        if (rk->udp[port])
                ps_i18n_number(rk->udp[port], b, sizeof(b));
        printf("%s/%s\n", a, b);
}

int cmd_info_bare(int argc, char **argv, const char *near_command)
{
        info_bare(near_command);
        return cmd_info(argc, argv);
}

int cmd_info(int argc, char **argv)
{
        static const struct option opts[] = {
                CLI_COMMON_OPTIONS, { "brief", no_argument, NULL, 'b' }, { "json-object", no_argument, NULL, 'O' }, { 0 },
        };
        bool brief = false, json_object = false, range = false;
        struct ranks *rk = NULL;
        struct cli_common c = { .command = "info", .usage = info_usage, .opts = opts };
        struct registry *r = NULL;
        struct knowledge *k = NULL;
        struct targets *t = NULL;
        struct update_history *hist = NULL;
        int opt, ret;

        cli_protect_negative(argc, argv);
        while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (opt) {
                case 'b': brief = true; break;
                case 'O': json_object = c.json = true; break;
                default:
                        if ((ret = cli_common_option(&c, opt, optarg, argv)) >= 0)
                                return ret;
                }
        }
        if (optind >= argc) {
                ps_errorf(_("info: which port? (e.g. 'portscope info 625'; see --help)"));
                return PS_EXIT_ERROR;
        }
        c.color = !c.json && ps_use_color(stdout);
        ret = cli_open(&c, &r, &k);
        if (ret)
                return ret;
        t = calloc(1, sizeof(*t));
        if (!t) {
                ps_errorf(_("out of memory"));
                ret = PS_EXIT_ERROR;
                goto out;
        }
        for (int i = optind; i < argc; i++) {
                ret = info_resolve(r, argv[i], t, &range);
                if (ret)
                        goto out;
        }
        if (json_object && t->n + t->nnames != 1) {
                ps_errorf(ps_ngettext("info: --json-object needs exactly one port, and %zu matches (use --json for an array)",
                                      "info: --json-object needs exactly one port, and %zu match (use --json for an array)",
                                      t->n + t->nnames),
                          t->n + t->nnames);
                ret = PS_EXIT_ERROR;
                goto out;
        }
        if (!c.json && (brief || range)) {
                /* A few lines per port, or one line per port for a range. */
                rk = range || t->n > 64 ? calloc(1, sizeof(*rk)) : NULL;
                if (rk)
                        fill_ranks(r, rk);
                else if (range || t->n > 64) {
                        ps_errorf(_("out of memory"));
                        ret = PS_EXIT_ERROR;
                        goto out;
                }
                if (range)
                        print_table_head();
                for (size_t i = 0; i < t->n; i++) {
                        if (range)
                                print_table_row(r, k, rk, t->order[i]);
                        else {
                                if (i)
                                        putchar('\n');
                                print_brief(&c, r, k, rk, t->order[i], t->protos[t->order[i]]);
                        }
                }
                if (range)
                        puts(_("('portscope info PORT' for a port's page; --json for everything)"));
                for (size_t i = 0; i < t->nnames; i++) {
                        uint32_t id;
                        struct registry_row row = { 0 };
                        if (registry_by_name(r, t->names[i], &id, 1) > 0)
                                registry_row(r, id, &row);
                        if (i || t->n)
                                putchar('\n');
                        printf("%s", cli_color(&c, "bold"));
                        cli_put(stdout, t->names[i]);
                        printf("%s", cli_color(&c, "reset"));
                        if (row.description && *row.description) {
                                fputs(" — ", stdout);
                                ps_term_escape(stdout, row.description, strcspn(row.description, "\n"), false);
                        }
                        /* TRANSLATORS: "info --brief NAME" for a service name without a port number. */
                        printf("\n  %s\n", _("a name without a port number (DNS-SD, SRV)"));
                }
                goto flush;
        }
        /* --json is always an array, streamed: a range of thousands must not be built whole. */
        /* The versions 'portscope update' kept, if any, and if they are this registry's. */
        hist = update_history_open_for(registry_source(r)->path);
        bool array = c.json && !json_object;
        if (array)
                fputs("[", stdout);
        for (size_t i = 0; i < t->n + t->nnames && !ret; i++) {
                bool named = i >= t->n; /* a name without a port: its rows */
                uint16_t port = named ? 0 : t->order[i];
                json_t *o = named ? name_json(r, hist, t->names[i - t->n]) : port_json(r, k, hist, port, t->protos[port]);
                if (!o) {
                        ps_errorf(_("out of memory"));
                        ret = PS_EXIT_ERROR;
                        break;
                }
                if (array) {
                        fputs(i ? ",\n" : "\n", stdout);
                        if (json_dumpf(o, stdout, JSON_COMPACT | (isatty(STDOUT_FILENO) ? JSON_ENSURE_ASCII : 0)) < 0) {
                                ps_errorf(_("info: cannot write output"));
                                ret = PS_EXIT_ERROR;
                        }
                } else if (c.json) {
                        ret = cli_print_json(o);
                } else {
                        if (i)
                                puts("\n────────────────────────────────────────────────────────────────────────\n");
                        if (named)
                                print_name_page(&c, o, registry_source(r)->path);
                        else
                                print_page(&c, o, registry_source(r)->path, t->protos[port]);
                }
                json_decref(o);
        }
        if (array)
                fputs("\n]\n", stdout);
flush:
        if (fflush(stdout) != 0 && !ret) {
                ps_errorf(_("info: cannot write output"));
                ret = PS_EXIT_ERROR;
        }
out:
        free(rk);
        update_history_close(hist);
        free(t);
        knowledge_free(k);
        registry_close(r);
        return ret;
}
