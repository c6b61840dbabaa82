/* portscope — the audit history: every `portscope audit` is recorded in the SQLite store
 * (ps_store_path(), tables audit_runs and audit_listeners) so that `audit --changes` can tell
 * which listeners appeared or vanished since the previous audit of the same namespace. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct history;

/* One recorded listener. The strings are owned by the item when it comes from history_load()
 * (free with history_items_free), borrowed when passed to history_record(). */
struct history_item {
        char *protocol;
        char *address;
        uint16_t port;
        char *process;  /* "" when the owner was unknown */
        char *user;
        char *verdict;
        char *severity;
};

struct history_run {
        int64_t id;
        time_t time;
        bool privileged;
};

#define HISTORY_KEEP_RUNS 1000 /* runs kept per namespace; older ones are deleted when recording */

/* Opens (creating it and its directory) the store at path, or ps_store_path() when NULL.
 * Returns 0 and *ret, or -errno; on failure writes a one-line reason into err. */
int history_open(const char *path, struct history **ret, char *err, size_t errlen);

/* "FILE: SQLite's message" for the last failed call on h; valid until the next call. */
const char *history_error(struct history *h);
void history_close(struct history *h); /* accepts NULL */

/* The newest run recorded for netns ("host" for the caller's own namespace). 0, or -ENOENT. */
int history_last_run(struct history *h, const char *netns, struct history_run *ret);
/* Loads a run's listeners. *ret is malloc'd (caller frees with history_items_free). */
int history_load(struct history *h, int64_t run, struct history_item **ret, size_t *ret_n);
void history_items_free(struct history_item *items, size_t n);
/* Records a run (in one transaction) and returns its id in *ret_id (may be NULL). */
int history_record(struct history *h, const char *netns, time_t t, bool privileged,
                   const struct history_item *items, size_t n, int64_t *ret_id);

/* Compares two sets of listeners by (protocol, address, port, process). Writes malloc'd arrays of
 * indexes: items of cur not in old (appeared) and of old not in cur (vanished); duplicates count
 * once. Returns 0 or -ENOMEM. */
int history_diff(const struct history_item *old, size_t nold, const struct history_item *cur, size_t ncur,
                 size_t **ret_appeared, size_t *ret_nappeared, size_t **ret_vanished, size_t *ret_nvanished);
