/* portscope update: fetching the registry, checking it, comparing two versions in the
 * registry's own terms, keeping each installed version, and each port's history across them.
 *
 * The history reader (update_history_*) needs only libc and the core, so that `portscope info`
 * can show a port's history without linking zlib or libcurl: `update` writes an uncompressed
 * index beside the compressed snapshots, and the reader reads that index only. */
#ifndef PORTSCOPE_UPDATE_H
#define PORTSCOPE_UPDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "portscope/registry.h"

#define UPDATE_IANA_URL "https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.csv"
#define UPDATE_MAX_DOWNLOAD (64u << 20)
#define UPDATE_MIN_ROWS 10000u        /* the registry has had more than 10,000 rows since 2010 */
#define UPDATE_KEEP_DEFAULT 24u       /* snapshots kept */
#define UPDATE_EXIT_NEWER 10          /* update --check: a newer registry is available */

/* ---- fetching (fetch.c) ---- */

/* What the server said last time, to ask only for a newer copy. All strings "" when unknown. */
struct update_validators {
        char etag[256];
        char last_modified[64];
};

enum update_fetch_result {
        UPDATE_FETCHED = 0,     /* 200: body in d */
        UPDATE_NOT_MODIFIED = 1 /* 304: nothing downloaded */
};

struct download {
        char *data;             /* malloc'd, NUL-terminated; caller frees */
        size_t len;
        size_t cap;             /* internal: allocated bytes of data while downloading */
        bool too_big;
        struct update_validators got;   /* the response's ETag and Last-Modified */
        bool progress;          /* show bytes and rate on stderr (a terminal) */
        double started;         /* internal: progress clock */
        double last_shown;
        bool shown;
};

/* GET url into d (at most UPDATE_MAX_DOWNLOAD bytes), conditional on v when non-NULL.
 * Returns UPDATE_FETCHED, UPDATE_NOT_MODIFIED, or -errno after printing one line why
 * ("portscope: update: ..."): -ENETUNREACH when the host cannot be reached (offline). */
int update_fetch(const char *url, long timeout, const struct update_validators *v, struct download *d);

/* SHA-256 of data as 64 lowercase hex digits (hex must hold 65 bytes). Returns 0 or -EIO. */
int update_sha256(const void *data, size_t len, char hex[65]);

/* ---- checking (validate.c) ---- */

/* Checks an IANA CSV before it is installed: the header by column name (in any order; the
 * column IANA once called "Known Unauthorized Uses" under its old name too), every row parses,
 * at least min_rows rows. On success returns 0, *ret the registry (caller closes) and, when the
 * header was not the canonical one, *ret_csv a rewritten copy with the canonical header and
 * column order (caller frees; NULL when data is canonical already). Returns 1 instead when a
 * column that is none of the twelve was left out, errbuf naming it (a warning). On failure returns
 * -EINVAL and a message naming the file, line and problem in errbuf. */
int update_check_csv(const char *name, const char *data, size_t len, unsigned min_rows, struct registry **ret,
                     char **ret_csv, size_t *ret_csv_len, char *errbuf, size_t errlen);

/* Reads and checks a CSV file the same way (for `diff`); min_rows 0 accepts any count. */
int update_load_file(const char *path, unsigned min_rows, struct registry **ret, char *errbuf, size_t errlen);

/* ---- differences (diff.c) ---- */

/* The difference between two versions: each (port, protocol) expanded to its state (assigned
 * with names, reserved, unassigned) in both, the changes merged over consecutive ports and
 * protocols, grouped by range (system, user, dynamic), plus service-name-only rows and the raw
 * row counts. Returns a new JSON object (docs/update.md), or NULL when out of memory. */
json_t *update_diff(const struct registry *old, const struct registry *new);
/* Prints a diff made by update_diff(): counts first, then the changes (at most limit entries
 * when limit > 0, saying how many were left out). */
void update_diff_print(FILE *f, json_t *diff, size_t limit);
/* Whether a port's status or services changed anywhere in diff (what listens there may then be
 * judged differently): the categories other than aliases, metadata and unauthorized use. */
bool update_diff_occupants_changed(json_t *diff);
/* A change's category (the JSON's "deassigned") as its heading in words ("De-assigned"). */
const char *update_diff_title(const char *category);
/* The changes of a diff whose status or names changed on (port, proto) ("deassigned", ...), or
 * NULL: borrowed from diff. */
json_t *update_diff_find(json_t *diff, unsigned port, const char *proto);

/* ---- one update at a time (lock.c) ---- */

/* Locks datadir for an update (created if need be), waiting up to wait_s seconds for another
 * update to finish, calling waiting() once when it starts to wait. Returns the lock's descriptor
 * (close it to release, after the last write), -1 when datadir cannot be written (nothing will
 * be: storing says why), or -2 with errbuf saying why. */
int update_lock(const char *datadir, unsigned wait_s, void (*waiting)(void), char *errbuf, size_t errlen);

/* ---- snapshots and history (snapshots.c, history.c) ---- */

/* The most rows of the versions the history index lists (0 when none is known; history.c): a
 * copy much smaller than any kept version is cut short, even after steps each under a tenth. */
int update_snapshot_most_rows(const char *datadir, unsigned *ret);

/* Keeps data (an installed registry with newest date `date`) as a gzip snapshot in
 * <datadir>/snapshots/, unless one with the same SHA-256 is there; removes the oldest beyond
 * keep; rewrites the history index from all snapshots (a damaged one is left out). Returns 0,
 * 1 when the index was written but left a damaged snapshot out (errbuf names it), or -errno
 * (errbuf says why). */
int update_snapshot_add(const char *datadir, const char *data, size_t len, const char *date, unsigned keep,
                        char *errbuf, size_t errlen);
/* Number of snapshots kept (for messages), or -errno. */
int update_snapshot_count(const char *datadir);

/* Path of the history index: <datadir>/snapshots/history.txt. */
int update_history_path(char *buf, size_t len);

/* The history index (history.txt under ps_data_dir()/snapshots), read once for any number of
 * ports. NULL when there is none (or it cannot be read). */
struct update_history;
struct update_history *update_history_open(void);
/* The same, when registry_path is the copy 'portscope update' installed (the same file): the
 * versions kept are that copy's. NULL for any other registry (--registry FILE), whose history
 * they are not. */
struct update_history *update_history_open_for(const char *registry_path);
void update_history_close(struct update_history *h); /* accepts NULL */
/* The history of port across the versions in the index:
 * {"versions":["2024-04-30",..],"changes":[{"protocol":"tcp","runs":[{"from","to","status",
 * "names":[..],"registered","modified"}..]}..]}, a protocol listed only when its state changed
 * between versions; json null when h is NULL. New reference. */
json_t *update_history_json(const struct update_history *h, unsigned port);
/* The ports whose kept versions gave them the service name (any case): [{"protocol","lo","hi",
 * "from","to"}..], one per run naming it (empty: none, or h NULL). New reference. */
json_t *update_history_named(const struct update_history *h, const char *name);
/* Prints the "History" section of `info` from update_history_json()'s object (NULL: nothing). */
void update_history_print(FILE *f, unsigned port, json_t *history, unsigned protos);

/* ---- raw rows (diff.c) ---- */

/* "name port/proto" keys of the rows, sorted; NULL when out of memory. */
char **update_row_keys(const struct registry *r, size_t *ret_n);
/* Appends to out the keys of sorted a that sorted b lacks (multiset difference). */
void update_keys_diff(char **a, size_t na, char **b, size_t nb, json_t *out);
void update_free_keys(char **v, size_t n);

#endif
