/* The portscope command line: shared pieces of the subcommands. */
#pragma once

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "portscope/error.h"
#include "portscope/i18n.h"
#include "portscope/knowledge.h"
#include "portscope/registry.h"

struct cli_common {
        const char *command;    /* "info", ...: names the command in errors */
        const char *usage;      /* the --help text */
        const char *registry;   /* --registry FILE */
        const char *knowledge;  /* --knowledge FILE */
        bool json;
        bool no_cache;
        bool color;
        const struct option *opts; /* the command's options: "did you mean" for an unknown one */
};

/* The options every registry command takes: --json, --registry, --knowledge, --no-cache, --help. */
#define CLI_COMMON_OPTIONS                                                                     \
        { "json", no_argument, NULL, 'j' }, { "registry", required_argument, NULL, 'r' },     \
                { "knowledge", required_argument, NULL, 'k' }, { "no-cache", no_argument, NULL, 'n' }, \
                { "help", no_argument, NULL, 'h' }

/* For what getopt_long() returned that the command does not take itself: one of
 * CLI_COMMON_OPTIONS goes into c and -1 says "go on"; --help prints c->usage and returns 0; an
 * unknown option or a missing value is reported (ps_option_error) and returns PS_EXIT_ERROR.
 *
 *   default:
 *           if ((ret = cli_common_option(&c, opt, optarg, argv)) >= 0)
 *                   return ret;
 */
int cli_common_option(struct cli_common *c, int opt, const char *arg, char *const argv[]);

/* Opens the registry (and knowledge when k is non-NULL), reporting failures as one line.
 * Returns 0 or PS_EXIT_ERROR. */
int cli_open(const struct cli_common *c, struct registry **r, struct knowledge **k);


/* Prints a JSON value (pretty when stdout is a terminal) and a newline. Returns 0 or 2. */
int cli_print_json(json_t *v);

/* Escaped text output (see ps_term_escape). */
void cli_put(FILE *f, const char *s);

/* Colours: returns the escape sequence or "" when colour is off. */
const char *cli_color(const struct cli_common *c, const char *which);

/* A port argument that looks like an option ("-1") is an operand, not an option: this moves
 * such arguments after a "--" so getopt leaves them alone. */
void cli_protect_negative(int argc, char **argv);

/* Case-insensitive edit distance (insertions, deletions, substitutions, adjacent swaps);
 * (size_t)-1 for words over 64 characters. */
size_t cli_edit_distance(const char *a, const char *b);
/* The closest candidate seen so far within a typo's reach of the word ("did you mean"). */
struct cli_suggest {
        const char *best; /* borrowed from the candidates; NULL: none close enough */
        size_t distance;
};
/* Considers candidate for word; true when it became the best. An exact match is not a typo. */
bool cli_suggest_consider(struct cli_suggest *s, const char *word, const char *candidate);
/* ps_option_error(), naming the closest long option of opts for an unknown one. Returns 2. */
int cli_option_error(const char *command, const char *optstring, char *const argv[], const struct option *opts);

int cmd_info(int argc, char **argv);
/* info for an operand given without a command ("portscope 22", "portscope ssh"): an operand that
 * is neither a port nor a name is reported as an unknown command, with near_command (may be
 * NULL) or else the closest service name as the suggestion. */
int cmd_info_bare(int argc, char **argv, const char *near_command);
int cmd_search(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_registry(int argc, char **argv);
/* Runs portscope-<component> with argv {component-exe, subcommand, args...}; returns only on error. */
int cli_exec_component(const char *component, const char *subcommand, int argc, char **argv);
