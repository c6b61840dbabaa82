/* portscope audit's command line (src/cli/audit/): what main.c shares with changes.c. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "portscope/history.h"
#include "portscope/verdict.h"

/* ---- changes.c: the history of audits ---- */

/* The store as one run uses it: opened, and the previous audit read, before anything is written;
 * this audit recorded and compared after the outputs are. */
struct audit_history {
        struct history *h;         /* NULL: nothing to record (opening failed without --changes) */
        bool changes;              /* --changes: compare, and fail when the store cannot be used */
        bool record;               /* record this audit (not --no-history) */
        bool have_last;            /* a previous audit of the namespace was read */
        struct history_run last;
        struct history_item *old;  /* its listeners (owned) */
        size_t nold;
};

/* Opens the store and, with changes, reads the previous audit of the namespace label. Without
 * changes a store that cannot be opened is said (one line) and not used: recording is best
 * effort. Returns PS_EXIT_OK, or PS_EXIT_ERROR after one line saying why. */
int audit_history_open(struct audit_history *ah, const char *label, bool changes, bool record);
/* Records the audit r (when ah->record) and, with changes, compares it with the previous one:
 * *ret_changes gets the JSON of the changes (or NULL), text (may be NULL) their lines. Returns
 * PS_EXIT_OK or PS_EXIT_ERROR (said). */
int audit_history_finish(struct audit_history *ah, const struct verdict_report *r, const char *label,
                         json_t **ret_changes, FILE *text);
void audit_history_close(struct audit_history *ah); /* accepts a zeroed one */
