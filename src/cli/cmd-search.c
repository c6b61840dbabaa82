/* portscope search TEXT — registry names, descriptions, assignees, notes and knowledge. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "portscope/jsonw.h"
#include "portscope/portinfo.h"
#include "portscope/search.h"
#include "portscope/util.h"

static const char search_usage[] =
        N_("Usage: portscope search [OPTIONS] TEXT...\n"
        "\n"
        "Searches, case-insensitively, the registry's service names, descriptions,\n"
        "assignees, contacts, notes and references, and portscope's knowledge entries\n"
        "(names, summaries, process names). A port, a range or PORT/PROTO (3025, 22/tcp,\n"
        "8080-8090) finds what is on those ports; common words (mail, smb, rdp, dns,\n"
        "ntp, ldap, vnc, web, ssh...) also find the services people mean by them. Best\n"
        "matches first: exact name, common word, name prefix, name, then other columns;\n"
        "ports nmap finds open more often first within each. A service's rows for\n"
        "several protocols are one result. Several words are searched as one phrase.\n"
        "\n"
        "Options:\n"
        "  --limit N          show at most N results (default 50; 0 = all)\n"
        "  --offset N         skip the first N results (the next page)\n"
        "  --json             {\"query\",\"registry\",\"total\",\"results\":[...]}\n"
        "  --registry FILE    the registry to read (see 'portscope info --help')\n"
        "  --knowledge FILE   a knowledge file instead of the built-in one\n"
        "  -h, --help         this text\n"
        "\n"
        "Examples:\n"
        "  portscope search kerberos\n"
        "  portscope search mail\n"
        "  portscope search 8080-8090\n"
        "  portscope search 'pure data'\n"
        "  portscope search --json --limit 5 apple\n");

int cmd_search(int argc, char **argv)
{
        static const struct option opts[] = {
                CLI_COMMON_OPTIONS, { "limit", required_argument, NULL, 'l' }, { "offset", required_argument, NULL, 'o' }, { 0 },
        };
        struct cli_common c = { .command = "search", .usage = search_usage, .opts = opts };
        struct registry *r = NULL;
        struct knowledge *k = NULL;
        size_t limit = 50, offset = 0, qlen = 0;
        char *query = NULL;
        int opt, ret;

        while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (opt) {
                case 'l':
                case 'o': {
                        char *end;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (*optarg < '0' || *optarg > '9' || *end || v > 1000000) {
                                ps_errorf(_("search: --%s '%s': expected a number 0-1000000"), opt == 'l' ? "limit" : "offset",
                                          optarg);
                                return PS_EXIT_ERROR;
                        }
                        if (opt == 'o')
                                offset = v;
                        else
                                limit = v ? v : 1000000;
                        break;
                }
                default:
                        if ((ret = cli_common_option(&c, opt, optarg, argv)) >= 0)
                                return ret;
                }
        }
        if (optind >= argc) {
                ps_errorf(_("search: what should I look for? (e.g. 'portscope search ssh')"));
                return PS_EXIT_ERROR;
        }
        for (int i = optind; i < argc; i++)
                qlen += strlen(argv[i]) + 1;
        query = calloc(1, qlen + 1);
        if (!query)
                return PS_EXIT_ERROR;
        for (int i = optind; i < argc; i++) {
                if (i > optind)
                        strncat(query, " ", qlen);
                strncat(query, argv[i], qlen - strlen(query));
        }
        if (!*query) {
                ps_errorf(_("search: the search text is empty"));
                free(query);
                return PS_EXIT_ERROR;
        }
        c.color = !c.json && ps_use_color(stdout);
        ret = cli_open(&c, &r, &k);
        if (ret) {
                free(query);
                return ret;
        }
        if (c.json) {
                /* On a terminal, indented and \u-escaped beyond ASCII (C1 controls, bidi), as
                 * cli_print_json() does. */
                struct jsonw w;
                jsonw_init_file(&w, stdout, isatty(STDOUT_FILENO) ? JSONW_PRETTY | JSONW_ASCII : 0);
                int e = search_write_page(&w, r, k, query, offset, limit);
                jsonw_newline(&w);
                if (e == 0)
                        e = jsonw_finish(&w);
                if (e < 0 || fflush(stdout) != 0) {
                        ps_errorf(_("search: cannot write JSON: %s"), strerror(e < 0 ? -e : errno));
                        ret = PS_EXIT_ERROR;
                }
                goto out;
        }
        struct search_hit *hits = calloc(limit, sizeof(*hits));
        long total = hits ? search_page(r, k, query, offset, hits, limit) : -1;
        if (total < 0) {
                ps_errorf(_("out of memory"));
                free(hits);
                ret = PS_EXIT_ERROR;
                goto out;
        }
        size_t shown = (size_t)total > offset ? (size_t)total - offset : 0;
        if (shown > limit)
                shown = limit;
        for (size_t i = 0; i < shown; i++) {
                if (hits[i].kind == SEARCH_HIT_ROW) {
                        struct registry_row row;
                        char where[48], protos[24] = "";
                        registry_row(r, hits[i].row_id, &row);
                        /* Port and protocol were checked when the source was parsed, but come from a
                         * cache file here: print them through the escaper all the same. */
                        for (unsigned p = 0; p < PS_NPROTO && *row.proto; p++) /* merged rows: all their protocols */
                                if (hits[i].protos & PS_PROTO_BIT(p))
                                        snprintf(protos + strlen(protos), sizeof(protos) - strlen(protos), "%s%s",
                                                 *protos ? "," : "", ps_proto_name((enum ps_proto)p));
                        snprintf(where, sizeof(where), "%.12s/%.20s", row.has_port ? row.port : "-", *protos ? protos : "any");
                        const char *name = *row.service ? row.service : "(no name)";
                        size_t w = strlen(name);
                        printf("%s", cli_color(&c, "bold"));
                        cli_put(stdout, name);
                        printf("%s%*s ", cli_color(&c, "reset"), w < 22 ? (int)(22 - w) : 0, "");
                        cli_put(stdout, where);
                        printf("%*s ", strlen(where) < 18 ? (int)(18 - strlen(where)) : 0, "");
                        const char *d = row.description;
                        const char *nl = strchr(d, '\n');
                        ps_term_escape(stdout, d, nl ? (size_t)(nl - d) : strlen(d), false);
                        if (strcmp(hits[i].field, "name") != 0 && strcmp(hits[i].field, "description") != 0 &&
                            strcmp(hits[i].field, "synonym") != 0 && strcmp(hits[i].field, "port") != 0)
                                printf("  %s[%s]%s", cli_color(&c, "dim"), hits[i].field, cli_color(&c, "reset"));
                        putchar('\n');
                } else {
                        const struct knowledge_entry *e = hits[i].entry;
                        printf("%s", cli_color(&c, "cyan"));
                        cli_put(stdout, e->name);
                        printf("%s [knowledge: %s] ", cli_color(&c, "reset"), knowledge_kind_name(e->kind));
                        for (size_t j = 0; j < e->nports; j++)
                                for (unsigned p = 0; p < PS_NPROTO; p++)
                                        if (e->ports[j].protos & PS_PROTO_BIT(p)) {
                                                if (e->ports[j].lo == e->ports[j].hi)
                                                        printf("%u/%s ", e->ports[j].lo, ps_proto_name((enum ps_proto)p));
                                                else
                                                        printf("%u-%u/%s ", e->ports[j].lo, e->ports[j].hi,
                                                               ps_proto_name((enum ps_proto)p));
                                        }
                        fputs("\n    ", stdout);
                        cli_put(stdout, e->summary);
                        putchar('\n');
                }
        }
        if ((size_t)total > offset + shown)
                /* TRANSLATORS: a count of further matches, then the offset of the next page. */
                printf(ps_ngettext("… %zu more (--offset %zu for the next page, --limit 0 for all)\n",
                                   "… %zu more (--offset %zu for the next page, --limit 0 for all)\n",
                                   (unsigned long)((size_t)total - offset - shown)),
                       (size_t)total - offset - shown, offset + shown);
        if (total == 0) {
                char esc[512];
                /* TRANSLATORS: %s is the search text. */
                printf(_("No match for '%s'.\n"), cli_escaped(query, esc, sizeof(esc)));
                char why[96];
                if (search_not_a_port(query, why, sizeof why))
                        /* TRANSLATORS: why a search that looks like a port found nothing ("port out of range (0-65535)"). */
                        printf(_("Not a port: %s.\n"), why);
        } else if (shown == 0)
                /* TRANSLATORS: the count of matches, then the offset asked for. */
                printf(ps_ngettext("%ld match, none past --offset %zu (--offset 0 for the first page).\n",
                                   "%ld matches, none past --offset %zu (--offset 0 for the first page).\n",
                                   (unsigned long)total),
                       total, offset);
        portinfo_print_source(stdout, "# ", r);
        free(hits);
out:
        free(query);
        knowledge_free(k);
        registry_close(r);
        return ret;
}
