/* The one opener of the SQLite store: see include/portscope/store.h. */
#include "portscope/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "portscope/util.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static int fail(sqlite3 *db, int r, char *err, size_t errlen, const char *what, const char *path, const char *why)
{
        snprintf(err, errlen, "%s %s: %s", what, path, why);
        sqlite3_close(db);
        return r;
}

int ps_store_open(const char *path, int busy_ms, struct sqlite3 **ret, char *err, size_t errlen)
{
        char buf[PATH_MAX], dir[PATH_MAX];
        sqlite3 *db = NULL;
        int r, fd;

        if (!path) {
                r = ps_store_path(buf, sizeof(buf));
                if (r < 0) {
                        snprintf(err, errlen, "no place for the store (set HOME, XDG_STATE_HOME or PORTSCOPE_DB): %s",
                                 strerror(-r));
                        return r;
                }
                path = buf;
        }
        if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
                snprintf(err, errlen, "store path too long");
                return -ENAMETOOLONG;
        }
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                r = ps_mkdir_p(dir);
                if (r < 0)
                        return fail(NULL, r, err, errlen, "cannot create the directory of", path, strerror(-r));
        }
        /* Created here rather than by SQLite: a new store is private (0600), and the reason a file
         * cannot be created (permissions, a read-only file system) is errno's, not SQLite's
         * "unable to open database file". */
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return fail(NULL, -errno, err, errlen, "cannot create", path, strerror(errno));
        close(fd);

        r = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        if (r != SQLITE_OK)
                return fail(db, -EIO, err, errlen, "cannot open", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(r));
        sqlite3_busy_timeout(db, busy_ms);
        if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, NULL) != SQLITE_OK)
                return fail(db, -EIO, err, errlen, "cannot set up", path, sqlite3_errmsg(db));

        sqlite3_stmt *st;
        int version = -1;
        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
                if (sqlite3_step(st) == SQLITE_ROW)
                        version = sqlite3_column_int(st, 0);
                sqlite3_finalize(st);
        }
        if (version < 0)
                return fail(db, -EIO, err, errlen, "cannot read", path, sqlite3_errmsg(db));
        if (version > PS_STORE_VERSION) {
                char why[96];
                snprintf(why, sizeof(why), "written by a newer portscope (store version %d, this one knows %d)", version,
                         PS_STORE_VERSION);
                return fail(db, -EPROTO, err, errlen, "cannot use", path, why);
        }
        /* Version 0 is a new file or a store from before versions were recorded: the tables of
         * version 1 are the ones it already has. */
        if (version < PS_STORE_VERSION &&
            sqlite3_exec(db, "PRAGMA user_version = " STR(PS_STORE_VERSION), NULL, NULL, NULL) != SQLITE_OK)
                return fail(db, -EIO, err, errlen, "cannot set up", path, sqlite3_errmsg(db));
        *ret = db;
        return 0;
}
