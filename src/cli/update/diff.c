/* portscope diff OLD NEW: what changed between two copies of the registry, in its own terms
 * (src/update/diff.c compares, diff-print.c writes). */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "portscope/error.h"
#include "portscope/i18n.h"
#include "portscope/portinfo.h"
#include "portscope/registry.h"
#include "portscope/update.h"
#include "update-cli.h"

static const char diff_usage[] =
        N_("Usage: portscope diff [--json] [--limit N] OLD.csv NEW.csv\n"
        "\n"
        "Compares two copies of the IANA registry in its own terms: each port and\n"
        "protocol is expanded to its state in both (assigned, with its names; reserved;\n"
        "unassigned), and the changes are listed by range (system ports first): newly\n"
        "assigned, de-assigned (to reserved or unassigned), renamed, aliases added or\n"
        "removed, reserved/unassigned, metadata (description, assignee, contact,\n"
        "reference, dates, notes) and unauthorized use reported; service names without a\n"
        "port separately. Counts come first, then every change. Consecutive ports and\n"
        "protocols with the same change are one line.\n"
        "\n"
        "Options:\n"
        "  --limit N        print at most N changes (default: all; the counts are always\n"
        "                   whole)\n"
        "  --json           the same structure as JSON (docs/update.md)\n"
        "  -h, --help       this text\n"
        "\n"
        "Examples:\n"
        "  portscope diff service-names-port-numbers.2024-04.csv \\\n"
        "      service-names-port-numbers.2026-02.csv\n"
        "  portscope diff --json old.csv new.csv | jq '.ranges[0].changes[]'\n");

int update_cli_diff(int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' }, { "limit", required_argument, NULL, 'l' },
                { "help", no_argument, NULL, 'h' }, { 0 },
        };
        bool json = false;
        unsigned long limit = 0;
        struct registry *a = NULL, *b = NULL;
        char err[1024];
        int opt, ret = 2;

        opterr = 0;
        while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (opt) {
                case 'j': json = true; break;
                case 'l':
                        if (!update_cli_parse_count("diff: --limit", optarg, 0, 1000000000, &limit))
                                return 2;
                        break;
                case 'h': fputs(_(diff_usage), stdout); return 0;
                default: return ps_option_error("diff", "h", argv);
                }
        }
        if (argc - optind != 2) {
                ps_errorf(_("diff: expected two registry files, OLD and NEW (see --help)"));
                return 2;
        }
        if (update_load_file(argv[optind], 0, &a, err, sizeof(err)) < 0 ||
            update_load_file(argv[optind + 1], 0, &b, err, sizeof(err)) < 0) {
                ps_errorf("diff: %s", err);
                goto out;
        }
        json_t *d = update_diff(a, b);
        if (!d) {
                ps_errorf(_("diff: out of memory"));
                goto out;
        }
        if (json) {
                json_object_set_new(d, "registry", portinfo_source_json(b));
                ret = update_cli_print_json(d);
        } else {
                update_diff_print(stdout, d, limit);
                ret = ps_output_written(0);
        }
        json_decref(d);
out:
        registry_close(a);
        registry_close(b);
        return ret;
}
