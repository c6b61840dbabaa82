#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "portscope/util.h"

int cli_open(const struct cli_common *c, struct registry **r, struct knowledge **k)
{
        struct ps_error err = { 0 };
        struct ps_error kerr = { 0 };
        int ret;

        ret = registry_open(c->registry, c->no_cache ? REGISTRY_OPEN_NO_CACHE : 0, r, &err);
        if (ret < 0) {
                ps_error_print(NULL, &err, ret);
                return PS_EXIT_ERROR;
        }
        if (!k)
                return 0;
        ret = knowledge_load(c->knowledge, k, &kerr);
        if (ret < 0) {
                ps_error_print(NULL, &kerr, ret);
                registry_close(*r);
                *r = NULL;
                return PS_EXIT_ERROR;
        }
        return 0;
}

int cli_print_json(json_t *v)
{
        /* On a terminal, \u-escape everything beyond ASCII: jansson passes C1 controls through. */
        size_t flags = isatty(STDOUT_FILENO) ? (JSON_INDENT(2) | JSON_ENSURE_ASCII) : JSON_COMPACT;

        if (!v) {
                ps_errorf("out of memory");
                return PS_EXIT_ERROR;
        }
        if (json_dumpf(v, stdout, flags) < 0) {
                ps_errorf("cannot write JSON: %s", strerror(errno));
                return PS_EXIT_ERROR;
        }
        fputc('\n', stdout);
        return 0;
}

void cli_put(FILE *f, const char *s)
{
        ps_term_escape(f, s ? s : "-", (size_t)-1, false);
}

const char *cli_color(const struct cli_common *c, const char *which)
{
        static const struct {
                const char *name, *seq;
        } colors[] = {
                { "reset", "\033[0m" },  { "bold", "\033[1m" },   { "dim", "\033[2m" },
                { "green", "\033[32m" }, { "yellow", "\033[33m" }, { "red", "\033[31m" },
                { "cyan", "\033[36m" },
        };
        if (!c->color)
                return "";
        for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
                if (strcmp(colors[i].name, which) == 0)
                        return colors[i].seq;
        return "";
}

void cli_protect_negative(int argc, char **argv)
{
        /* getopt would take an operand like "-1" for an option: mark it with a \x01 in place
         * of the '-', which the operand parsers recognise and reject as a negative port. */
        static const char *const with_arg[] = { "--registry", "--knowledge", "--limit", "--status",
                                                "--range",    "--proto",     "--port" };
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        break;
                bool is_value = false;
                for (size_t j = 0; j < sizeof(with_arg) / sizeof(with_arg[0]); j++)
                        is_value |= strcmp(argv[i - 1], with_arg[j]) == 0;
                if (!is_value && argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9')
                        argv[i][0] = '\x01';
        }
}

int cli_common_option(struct cli_common *c, int opt, const char *arg, char *const argv[])
{
        switch (opt) {
        case 'j': c->json = true; return -1;
        case 'r': c->registry = arg; return -1;
        case 'k': c->knowledge = arg; return -1;
        case 'n': c->no_cache = true; return -1;
        case 'h': fputs(c->usage, stdout); return 0;
        }
        return ps_option_error(c->command, "h", argv);
}
