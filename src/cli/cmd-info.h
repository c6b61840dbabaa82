/* portscope info: the operands resolved into ports and names (cmd-info-resolve.c), for the pages
 * and objects of cmd-info.c. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portscope/registry.h"

#define MAX_PORTS 65536

/* The ports asked for, in the order first asked, with the protocols asked for each; and the
 * service names asked for that IANA registered without a port number ("swyp"). */
#define MAX_NAMES 64
struct targets {
        uint16_t order[MAX_PORTS];
        uint8_t protos[MAX_PORTS]; /* 0: not asked */
        size_t n;
        const char *names[MAX_NAMES]; /* argv's strings */
        size_t nnames;
};

/* The operand came without a command ('portscope ssh'): a word that is nothing is an unknown
 * command as much as an unknown service; near_command is the command it is closest to, or NULL. */
void info_bare(const char *near_command);
/* Turns one operand into ports and names added to t; *ret_range when a range was asked (a table).
 * Returns 0, or an exit status after printing why. */
int info_resolve(const struct registry *r, const char *arg, struct targets *t, bool *ret_range);
/* The ports runs of kept versions gave a name (update_history_named()), of the protocols asked:
 * listed in list (at most six, then "and N more"), the last version that had it in until, added to
 * t when t is not NULL. Returns how many. */
size_t info_named_before(json_t *hits, unsigned protos, struct targets *t, bool *ret_range, char *list, size_t len,
                         char until[16]);
