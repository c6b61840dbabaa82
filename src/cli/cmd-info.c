/* portscope info PORT[/PROTO]|NAME ... — a page in the terminal, or the JSON object. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "portscope/portinfo.h"
#include "portscope/update.h"
#include "portscope/util.h"

static const char info_usage[] =
        "Usage: portscope info [OPTIONS] PORT[/PROTO] | LO-HI[/PROTO] | SERVICE-NAME ...\n"
        "\n"
        "Everything known about a port: its status in the IANA registry for tcp, udp, sctp and\n"
        "dccp; the range it is in and how ports there are assigned; every registry row with all\n"
        "its columns; what nmap observes there; unofficial uses and malware from portscope's\n"
        "knowledge file; how to check what is listening; and what to think if something is.\n"
        "A service name (e.g. 'ssh') shows every port registered for it.\n"
        "\n"
        "Options:\n"
        "  --json             one JSON object per port (an array for several; docs/json.md)\n"
        "  --registry FILE    the IANA CSV or a services(5) file (default: $PORTSCOPE_REGISTRY,\n"
        "                     the copy 'portscope update' stores, then the system's packages)\n"
        "  --knowledge FILE   a knowledge file instead of the built-in one\n"
        "  --no-cache         neither read nor write the index cache\n"
        "  -h, --help         this text\n"
        "\n"
        "Examples:\n"
        "  portscope info 625\n"
        "  portscope info 22/tcp 3025\n"
        "  portscope info dec_dlm\n"
        "  portscope info --json 625 | jq .protocols.tcp.status\n";

#define MAX_PORTS 65536

static void put_field(const char *label, json_t *v, unsigned indent)
{
        const char *s = json_string_value(v);

        printf("%*s%-18s ", indent, "", label);
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
        const char *port = json_string_value(json_object_get(row, "port"));
        const char *proto = json_string_value(json_object_get(row, "protocol"));
        const char *alias = json_string_value(json_object_get(row, "alias_of"));

        printf("  %s", cli_color(c, "bold"));
        cli_put(stdout, name ? name : "(no name)");
        fputs(cli_color(c, "reset"), stdout);
        putchar(' ');
        cli_put(stdout, port);
        putchar('/');
        cli_put(stdout, proto ? proto : "any");
        if (alias) {
                fputs("  — alias of ", stdout);
                cli_put(stdout, alias);
        }
        printf("  %s(line %lld, %s)%s\n", cli_color(c, "dim"), json_integer_value(json_object_get(row, "line")),
               json_string_value(json_object_get(row, "kind")), cli_color(c, "reset"));
        put_field("Description", json_object_get(row, "description"), 4);
        put_field("Assignee", json_object_get(row, "assignee"), 4);
        put_field("Contact", json_object_get(row, "contact"), 4);
        put_field("Registered", json_object_get(row, "registered"), 4);
        put_field("Modified", json_object_get(row, "modified"), 4);
        put_field("Reference", json_object_get(row, "reference"), 4);
        put_field("Service code", json_object_get(row, "service_code"), 4);
        put_field("Unauthorized use", json_object_get(row, "unauthorized_use"), 4);
        put_field("Notes", json_object_get(row, "notes"), 4);
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
        json_t *seen_ids = json_array();

        printf("%sPort %lld%s — %s port (%s)\n", cli_color(c, "bold"), json_integer_value(json_object_get(o, "port")),
               cli_color(c, "reset"), json_string_value(json_object_get(o, "range")),
               json_string_value(json_object_get(o, "range_bounds")));
        printf("  %s\n", json_string_value(json_object_get(o, "procedure")));
        fputs("  Registry: ", stdout);
        cli_put(stdout, src);
        printf(" (%s, newest date ",
               json_is_true(json_object_get(reg, "assignments_only")) ? "a services file: assignments only" : "IANA CSV");
        cli_put(stdout, date ? date : "unknown");
        puts(")");
        if (json_is_true(json_object_get(reg, "assignments_only")))
                puts("  This source lists assignments only: reserved and unassigned ports cannot be told apart.");
        putchar('\n');

        puts("Status");
        for (unsigned p = 0; p < PS_NPROTO; p++) {
                if (!(protos & PS_PROTO_BIT(p)))
                        continue;
                json_t *po = json_object_get(pr, ps_proto_name((enum ps_proto)p));
                const char *st = json_string_value(json_object_get(po, "status"));
                json_t *sv = json_object_get(po, "services"), *x;
                size_t i;
                printf("  %-5s %s%-22s%s", ps_proto_name((enum ps_proto)p), cli_color(c, status_color(st)), st,
                       cli_color(c, "reset"));
                json_array_foreach(sv, i, x) {
                        const char *n = json_string_value(json_object_get(x, "name"));
                        if (i)
                                fputs(", ", stdout);
                        cli_put(stdout, n ? n : json_string_value(json_object_get(x, "description")));
                        if (json_is_string(json_object_get(x, "alias_of")))
                                fputs(" (alias)", stdout);
                }
                if (json_is_true(json_object_get(po, "private_use")))
                        fputs("  [private use]", stdout);
                putchar('\n');
        }

        puts("\nRegistry rows");
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
                puts("  (none: no row of the registry covers this port)");
        json_decref(seen_ids);
        update_history_print(stdout, (unsigned)json_integer_value(json_object_get(o, "port")),
                             json_object_get(o, "history"), protos);

        json_t *obs = json_object_get(o, "observed"), *x;
        size_t i;
        puts("\nObserved by nmap (nmap-services: fraction of scanned hosts with the port open)");
        if (json_array_size(obs) == 0)
                puts(json_is_string(json_object_get(reg, "observed_source")) ? "  (nothing)"
                                                                              : "  (nmap-services not installed)");
        json_array_foreach(obs, i, x) {
                printf("  %-5s ", json_string_value(json_object_get(x, "protocol")));
                cli_put(stdout, json_string_value(json_object_get(x, "name")));
                printf("  %.6f", json_real_value(json_object_get(x, "frequency")));
                const char *cm = json_string_value(json_object_get(x, "comment"));
                if (cm && *cm) {
                        fputs("  # ", stdout);
                        cli_put(stdout, cm);
                }
                putchar('\n');
        }

        json_t *un = json_object_get(o, "unofficial");
        puts("\nUnofficial and observed uses (portscope knowledge)");
        if (json_array_size(un) == 0)
                puts("  (none known)");
        json_array_foreach(un, i, x) {
                json_t *pp, *y;
                size_t j;
                const char *kind = json_string_value(json_object_get(x, "kind"));
                printf("  %s", cli_color(c, strcmp(kind, "malware") == 0 ? "red" : "cyan"));
                cli_put(stdout, json_string_value(json_object_get(x, "name")));
                printf("%s [%s]", cli_color(c, "reset"), kind);
                pp = json_object_get(x, "ports");
                json_array_foreach(pp, j, y) printf("%s%s", j ? ", " : " on ", json_string_value(y));
                fputs("\n    ", stdout);
                cli_put(stdout, json_string_value(json_object_get(x, "summary")));
                fputs("\n    source: ", stdout);
                cli_put(stdout, json_string_value(json_object_get(x, "source")));
                putchar('\n');
        }

        json_t *chk = json_object_get(o, "how_to_check");
        puts("\nHow to check what is listening");
        printf("  portscope  %s\n", json_string_value(json_object_get(chk, "portscope")));
        printf("  Linux      %s\n", json_string_value(json_object_get(chk, "linux")));
        printf("  macOS      %s\n", json_string_value(json_object_get(chk, "macos")));
        printf("  Windows    %s\n", json_string_value(json_object_get(chk, "windows")));

        puts("\nIf something is listening");
        for (unsigned p = 0; p < PS_NPROTO; p++) {
                if (!(protos & PS_PROTO_BIT(p)))
                        continue;
                json_t *po = json_object_get(pr, ps_proto_name((enum ps_proto)p));
                printf("  %-5s %s\n", ps_proto_name((enum ps_proto)p), json_string_value(json_object_get(po, "advice")));
        }
}

/* The ports asked for, in the order first asked, with the protocols asked for each. */
struct targets {
        uint16_t order[MAX_PORTS];
        uint8_t protos[MAX_PORTS]; /* 0: not asked */
        size_t n;
};

static void add_target(struct targets *t, uint16_t port, unsigned protos)
{
        if (!t->protos[port])
                t->order[t->n++] = port;
        t->protos[port] |= (uint8_t)protos;
}

/* Turns one operand into ports: a port, a range or a service name. */
static int resolve(const struct registry *r, const char *arg, struct targets *t)
{
        struct ps_portspec spec;
        char err[160];

        if (arg[0] == '\x01') {
                ps_errorf("info: '-%s': ports are 0-65535, not negative", arg + 1);
                return PS_EXIT_ERROR;
        }
        if (ps_portspec_parse(arg, &spec, err, sizeof(err)) == 0) {
                for (uint32_t p = spec.lo; p <= spec.hi; p++)
                        add_target(t, (uint16_t)p, spec.protos);
                return 0;
        }
        /* Not a port: a service name? Only when it does not start like a number. */
        if (!(arg[0] >= '0' && arg[0] <= '9')) {
                uint32_t ids[256];
                size_t found = registry_by_name(r, arg, ids, 256);
                size_t with_port = 0;
                for (size_t i = 0; i < found && i < 256; i++) {
                        struct registry_row row;
                        registry_row(r, ids[i], &row);
                        if (!row.has_port)
                                continue;
                        with_port++;
                        for (uint32_t p = row.port_lo; p <= row.port_hi; p++)
                                add_target(t, (uint16_t)p, row.protos);
                }
                if (with_port)
                        return 0;
                if (found)
                        ps_errorf("info: '%s' is a registered service name without a port number", arg);
                else
                        ps_errorf("info: '%s': not a port number (0-65535, LO-HI, PORT/PROTO) nor a service name in the "
                                  "registry", arg);
                return PS_EXIT_ERROR;
        }
        ps_errorf("info: '%s': %s", arg, err);
        return PS_EXIT_ERROR;
}

int cmd_info(int argc, char **argv)
{
        static const struct option opts[] = {
                CLI_COMMON_OPTIONS, { 0 },
        };
        struct cli_common c = { .command = "info", .usage = info_usage };
        struct registry *r = NULL;
        struct knowledge *k = NULL;
        struct targets *t = NULL;
        struct update_history *hist = NULL;
        int opt, ret;

        cli_protect_negative(argc, argv);
        while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1)
                if ((ret = cli_common_option(&c, opt, optarg, argv)) >= 0)
                        return ret;
        if (optind >= argc) {
                ps_errorf("info: which port? (e.g. 'portscope info 625'; see --help)");
                return PS_EXIT_ERROR;
        }
        c.color = !c.json && ps_use_color(stdout);
        ret = cli_open(&c, &r, &k);
        if (ret)
                return ret;
        t = calloc(1, sizeof(*t));
        if (!t) {
                ps_errorf("out of memory");
                ret = PS_EXIT_ERROR;
                goto out;
        }
        for (int i = optind; i < argc; i++) {
                ret = resolve(r, argv[i], t);
                if (ret)
                        goto out;
        }
        /* Several ports print an array, streamed: a range of thousands must not be built whole. */
        hist = update_history_open(); /* the versions 'portscope update' kept, if any */
        bool array = c.json && t->n > 1;
        if (array)
                fputs("[", stdout);
        for (size_t i = 0; i < t->n && !ret; i++) {
                uint16_t port = t->order[i];
                json_t *o = portinfo_json(r, k, port);
                if (o && hist) /* only with snapshots: the API has no history yet */
                        json_object_set_new(o, "history", update_history_json(hist, port));
                if (!o) {
                        ps_errorf("out of memory");
                        ret = PS_EXIT_ERROR;
                        break;
                }
                if (array) {
                        fputs(i ? ",\n" : "\n", stdout);
                        if (json_dumpf(o, stdout, JSON_COMPACT | (isatty(STDOUT_FILENO) ? JSON_ENSURE_ASCII : 0)) < 0)
                                ret = PS_EXIT_ERROR;
                } else if (c.json) {
                        ret = cli_print_json(o);
                } else {
                        if (i)
                                puts("\n────────────────────────────────────────────────────────────────────────\n");
                        print_page(&c, o, registry_source(r)->path, t->protos[port]);
                }
                json_decref(o);
        }
        if (array)
                fputs("\n]\n", stdout);
        if (fflush(stdout) != 0 && !ret) {
                ps_errorf("info: cannot write output");
                ret = PS_EXIT_ERROR;
        }
out:
        update_history_close(hist);
        free(t);
        knowledge_free(k);
        registry_close(r);
        return ret;
}
