/* portscope — the SQLite store shared by the audit history, scan results and page feedback.
 *
 * One opener for all of them, in its own small library (ps_store) so that the `portscope` binary
 * itself never links SQLite. Each component owns its tables (CREATE TABLE IF NOT EXISTS, names
 * prefixed with the component's). */
#pragma once

#include <stddef.h>

struct sqlite3;

/* The store's schema version, kept in PRAGMA user_version. A store written by a newer portscope
 * (a higher version) is refused rather than misread. */
#define PS_STORE_VERSION 1

/* Opens the store at path (NULL: ps_store_path(), i.e. $PORTSCOPE_DB or
 * $XDG_STATE_HOME/portscope/portscope.db), creating its directory (0700) and the file (0600) when
 * missing; sets journal_mode=WAL, synchronous=NORMAL and a busy timeout of busy_ms, and records
 * PS_STORE_VERSION. Returns 0 and *ret (close with sqlite3_close), or -errno with a one-line
 * reason naming the file in err ("cannot create /x/portscope.db: Permission denied"). */
int ps_store_open(const char *path, int busy_ms, struct sqlite3 **ret, char *err, size_t errlen);
