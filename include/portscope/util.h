/* portscope — small shared utilities: XDG paths, atomic files, escaping for terminals. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* $XDG_DATA_HOME/portscope (default ~/.local/share/portscope), $XDG_CACHE_HOME/portscope
 * (~/.cache/portscope) and $XDG_STATE_HOME/portscope (~/.local/state/portscope). Writes the path
 * into buf; returns 0, or -ENAMETOOLONG / -ENOENT (no HOME). Does not create the directory. */
int ps_data_dir(char *buf, size_t len);
int ps_cache_dir(char *buf, size_t len);
int ps_state_dir(char *buf, size_t len);
/* The SQLite store shared by the audit history, scan results and page feedback:
 * ps_state_dir()/portscope.db, or $PORTSCOPE_DB. Components own their tables. */
int ps_store_path(char *buf, size_t len);

/* mkdir -p with mode 0700 for the parts it creates. Returns 0 or -errno. */
int ps_mkdir_p(const char *path);

/* Writes path atomically with what fill() writes to f (fill returns 0 or -errno): a temporary
 * file beside it, fsync, rename, fsync of the directory. Nothing is left half-written on failure.
 * A symlink is followed; an existing file keeps its mode (and owner where permitted), a new one
 * gets mode; a device or pipe is written in place. Returns 0 or -errno. */
int ps_write_atomic(const char *path, int mode, int (*fill)(FILE *f, void *ud), void *ud);
/* ps_write_atomic() of len bytes. */
int ps_write_file_atomic(const char *path, const void *data, size_t len, int mode);

/* Makes room in a growable array: *(T **)pv holds *cap elements of elem bytes; after 0 it holds
 * at least need. Capacity doubles (the first allocation is at least 256 bytes' worth) but never
 * past max elements. Returns 0, -E2BIG (need > max, or the size would overflow) or -ENOMEM; on
 * failure the array and *cap are unchanged (the caller still frees the array).
 *
 *   if (PS_GROW(l->v, l->cap, l->n + 1, LIST_MAX) < 0) ...
 */
int ps_grow(void *pv, size_t *cap, size_t need, size_t elem, size_t max);
#define PS_GROW(v, cap, need, max) ps_grow(&(v), &(cap), (need), sizeof(*(v)), (max))

/* Reads a whole regular file (at most max bytes; -EFBIG beyond) into a malloc'd, NUL-terminated
 * buffer. Returns 0 and *ret / *ret_len, or -errno. */
int ps_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* The same from an open descriptor (a pipe, standard input), which stays open. */
int ps_read_fd(int fd, size_t max, char **ret, size_t *ret_len);

/* Writes s to f so that no byte of it can act on a terminal: control characters (C0, DEL, C1),
 * invalid UTF-8 and backslashes are shown as \xNN / \\, newlines as \n unless keep_newlines.
 * len may be (size_t)-1 for a NUL-terminated string. */
void ps_term_escape(FILE *f, const char *s, size_t len, bool keep_newlines);
/* The same into a malloc'd string (caller frees; NULL when out of memory), for a placeholder of a
 * translated sentence. */
char *ps_term_escape_dup(const char *s);

/* Invalid UTF-8 in output, one policy: text for a terminal (or a text file) shows each bad byte as
 * \xNN (ps_term_escape); HTML and JSON replace it by U+FFFD (portinfo_string(), the HTML escaper). */

/* Length (1..4) of the UTF-8 sequence at s[0..left), or 0 when it is not a valid one: overlong,
 * surrogate, above U+10FFFF, truncated or a stray byte. *ret_cp (may be NULL) gets its code point. */
size_t ps_utf8_seq(const char *s, size_t left, uint32_t *ret_cp);
/* Returns true when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool ps_utf8_valid(const char *s, size_t len);

/* 64-bit FNV-1a of data[0..len): cache file names, ETags, hash tables. Not for adversarial keys
 * where collisions matter. */
uint64_t ps_fnv1a(const void *data, size_t len);

/* Case-insensitive ASCII substring search. */
const char *ps_strcasestr(const char *haystack, const char *needle);

/* uid → user name, each uid looked up once: getpwuid_r reads /etc/passwd (or asks a daemon) on
 * every call, and a table of 20,000 sockets has a handful of users. Thread-safe. */
struct ps_users;
struct ps_users *ps_users_new(void); /* NULL when out of memory */
void ps_users_free(struct ps_users *u); /* accepts NULL */
/* The user name of uid, or the uid in decimal when it has none. Borrowed from u, valid until
 * ps_users_free(). NULL only when out of memory (or u is NULL). */
const char *ps_users_name(struct ps_users *u, uid_t uid);

/* Whether colour should be used on f: a tty, $NO_COLOR unset, $TERM not "dumb". */
bool ps_use_color(FILE *f);

/* Network namespaces, per thread: ps_netns_enter() moves the calling thread into netns_fd (nothing
 * when netns_fd < 0) and gives in *saved the namespace to come back to (-1 when there is none);
 * ps_netns_leave() goes back to it and closes it. Both return 0 or -errno. A thread that cannot
 * go back is in the wrong namespace: its caller must not go on as if it were not. */
int ps_netns_enter(int netns_fd, int *saved);
int ps_netns_leave(int saved);
