/* portscope: what the registry says a port is, what really lives there, what listens on it,
 * and whether it belongs there. main() only dispatches. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"

static const char usage[] =
        N_("Usage: portscope [COMMAND] [OPTIONS] [ARGS]\n"
        "\n"
        "Answers, for any port: what the IANA registry says it is, what really runs\n"
        "there, what is listening on it here or on a host, and whether it belongs there.\n"
        "\n"
        "Registry and knowledge:\n"
        "  info PORT[/PROTO]|NAME ...  everything known about a port or a service name\n"
        "                              ('portscope 22' and 'portscope ssh' mean info too)\n"
        "  search TEXT                 search names, descriptions, assignees and\n"
        "                              knowledge\n"
        "  list [--status S] [--range R] [--proto P]\n"
        "                              ports by status: e.g. every unassigned system port\n"
        "  registry                    the registry in use: source, date, counts\n"
        "  update                      fetch the current registry from IANA\n"
        "  diff OLD NEW                what changed between two copies of the registry\n"
        "This machine:\n"
        "  (no command), audit         audit every listening socket: owner, registry,\n"
        "                              verdict\n"
        "  listening [PORT]            what is listening (on PORT), owned by which\n"
        "                              process\n"
        "  watch                       probes of empty ports, scans, listeners coming\n"
        "                              and going\n"
        "Other hosts and the web:\n"
        "  scan TARGET...              scan hosts and say which open ports belong there\n"
        "  serve                       port pages and a JSON API on\n"
        "                              http://127.0.0.1:6335/\n"
        "\n"
        "Common options: --registry FILE (the IANA CSV; also $PORTSCOPE_REGISTRY),\n"
        "--json, --help. 'portscope help COMMAND' explains each command. Exit status: 0\n"
        "success, 1 findings (audit, scan), 2 error, 130 interrupted.\n"
        "\n"
        "Examples:\n"
        "  portscope info 625            the registry's rows for 625 and what runs there\n"
        "  portscope info ssh --json     every port of the service 'ssh', as JSON\n"
        "  portscope list --status unassigned --range system --proto tcp\n"
        "  portscope listening 625       what listens on 625 here\n");

static const char *const commands[] = { "info",  "search",    "list",  "registry", "help", "version", "audit",
                                        "listening", "serve", "scan", "update", "diff", "watch" };

/* Runs command cmd with argv {cmd, args...}. from_help: cmd came from "help CMD". */
static int dispatch(const char *cmd, int argc, char **argv, bool from_help)
{
        if (strcmp(cmd, "info") == 0)
                return cmd_info(argc, argv);
        if (strcmp(cmd, "search") == 0)
                return cmd_search(argc, argv);
        if (strcmp(cmd, "list") == 0)
                return cmd_list(argc, argv);
        if (strcmp(cmd, "registry") == 0)
                return cmd_registry(argc, argv);
        if (strcmp(cmd, "help") == 0) {
                fputs(_(usage), stdout);
                return 0;
        }
        if (strcmp(cmd, "version") == 0) {
                printf("portscope %s\n", PORTSCOPE_VERSION);
                return 0;
        }
        static const char *const components[][2] = {
                { "audit", "audit" }, { "listening", "audit" }, { "serve", "serve" },
                { "scan", "scan" },   { "update", "update" }, { "diff", "update" },
                { "watch", "watch" },
        };
        for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++)
                if (strcmp(cmd, components[i][0]) == 0)
                        return cli_exec_component(components[i][1], cmd, argc - 1, argv + 1);

        struct cli_suggest s = { 0 };
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                cli_suggest_consider(&s, cmd, commands[i]);
        if (from_help) {
                if (s.best)
                        ps_errorf(_("unknown command '%s'; did you mean '%s'? (try 'portscope --help')"), cmd, s.best);
                else
                        ps_errorf(_("unknown command '%s' (try 'portscope --help')"), cmd);
                return PS_EXIT_ERROR;
        }
        /* A port or a service name without a command: "portscope 22", "portscope ssh" (and
         * "portscope dict", though it is one letter from "diff": info tells a name from a typo,
         * and names the closest command when it is neither). argv[0] is the operand itself
         * here, so give info a command slot in front of it. */
        char **iargv = calloc((size_t)argc + 2, sizeof(*iargv));
        if (!iargv) {
                ps_errorf(_("out of memory"));
                return PS_EXIT_ERROR;
        }
        static char info_name[] = "info";
        iargv[0] = info_name;
        for (int i = 0; i < argc; i++)
                iargv[i + 1] = argv[i];
        int ret = cmd_info_bare(argc + 1, iargv, s.best);
        free(iargv);
        return ret;
}

int main(int argc, char **argv)
{
        ps_i18n_init();
        const char *cmd = argc > 1 ? argv[1] : NULL;

        /* getopt's own messages would name argv[0] and not escape: commands print their own. */
        opterr = 0;

        if (!cmd || cmd[0] == '-') {
                if (cmd && (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)) {
                        fputs(_(usage), stdout);
                        return ps_output_written(0);
                }
                if (cmd && strcmp(cmd, "--version") == 0) {
                        printf("portscope %s\n", PORTSCOPE_VERSION);
                        return ps_output_written(0);
                }
                /* No command: audit this machine, passing the options along. */
                return cli_exec_component("audit", "audit", argc - 1, argv + 1);
        }
        if (strcmp(cmd, "help") == 0 && argc > 2 && strcmp(argv[2], "help") != 0 && strcmp(argv[2], "--help") != 0 &&
            strcmp(argv[2], "-h") != 0) {
                /* "portscope help CMD" is "portscope CMD --help". */
                static char help_opt[] = "--help";
                char *hargv[] = { argv[2], help_opt, NULL };
                return ps_output_written(dispatch(argv[2], 2, hargv, true));
        }
        return ps_output_written(dispatch(cmd, argc - 1, argv + 1, false));
}
