#include <ctype.h>
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
                ps_errorf(_("out of memory"));
                return PS_EXIT_ERROR;
        }
        if (json_dumpf(v, stdout, flags) < 0) {
                ps_errorf(_("cannot write JSON: %s"), strerror(errno));
                return PS_EXIT_ERROR;
        }
        fputc('\n', stdout);
        return 0;
}

const char *cli_escaped(const char *s, char *buf, size_t len)
{
        FILE *m = fmemopen(buf, len, "w");

        if (!len)
                return "";
        buf[0] = '\0';
        if (m) {
                setbuf(m, NULL);
                ps_term_escape(m, s ? s : "-", (size_t)-1, false);
                fclose(m);
        }
        buf[len - 1] = '\0';
        return buf;
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
                                                "--range",    "--proto",     "--port", "--offset" };
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
        case 'h': fputs(_(c->usage), stdout); return 0;
        }
        if (c->opts)
                return cli_option_error(c->command, "h", argv, c->opts);
        return ps_option_error(c->command, "h", argv);
}

size_t cli_edit_distance(const char *a, const char *b)
{
        /* Optimal string alignment: insertions, deletions, substitutions and adjacent swaps
         * ("lsit" is one step from "list"), case-insensitive; long words are not typos. */
        size_t la = strlen(a), lb = strlen(b);
        size_t d[3][65];

        if (la > 64 || lb > 64)
                return (size_t)-1;
        for (size_t j = 0; j <= lb; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t *cur = d[i % 3], *prev = d[(i - 1) % 3], *prev2 = d[(i + 1) % 3];
                cur[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
                        size_t v = prev[j - 1] + (ca != cb);
                        if (prev[j] + 1 < v)
                                v = prev[j] + 1;
                        if (cur[j - 1] + 1 < v)
                                v = cur[j - 1] + 1;
                        if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                            tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < v)
                                v = prev2[j - 2] + 1;
                        cur[j] = v;
                }
        }
        return d[la % 3][lb];
}

bool cli_suggest_consider(struct cli_suggest *s, const char *word, const char *candidate)
{
        size_t d = cli_edit_distance(word, candidate);
        size_t len = strlen(word);
        size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;

        if (d == 0 || d > limit || (s->best && d >= s->distance))
                return false;
        s->best = candidate;
        s->distance = d;
        return true;
}

int cli_option_error(const char *command, const char *optstring, char *const argv[], const struct option *opts)
{
        const char *arg = optind > 0 ? argv[optind - 1] : "";
        struct cli_suggest s = { 0 };
        char word[80];

        /* An unknown long option: name the closest known one. */
        if (strncmp(arg, "--", 2) != 0 || optopt || !opts)
                return ps_option_error(command, optstring, argv);
        snprintf(word, sizeof(word), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
        for (const struct option *o = opts; o->name; o++)
                cli_suggest_consider(&s, word, o->name);
        if (!s.best)
                return ps_option_error(command, optstring, argv);
        ps_errorf(_("%s: unknown option '--%s'; did you mean '--%s'? (try 'portscope %s --help')"), command, word,
                  s.best, command);
        return PS_EXIT_ERROR;
}
