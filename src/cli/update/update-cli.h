/* What portscope-update's two commands share (main.c: update; diff.c: diff). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* portscope diff [--json] [--limit N] OLD NEW: its exit status. */
int update_cli_diff(int argc, char **argv);
/* o as one line of compact JSON on stdout: 0, or 2 with a line on stderr. */
int update_cli_print_json(json_t *o);
/* arg as a number from min to max into *ret; false, with a line naming opt, when it is not one. */
bool update_cli_parse_count(const char *opt, const char *arg, unsigned long min, unsigned long max, unsigned long *ret);
