/* portscope serve — "Was this page helpful?" votes, counted per page in the SQLite store.
 *
 * Only counts are kept: no address, no time, no cookie. The table belongs to this component
 * (serve_feedback) in the store shared with the other components. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve-internal.h"
#include "portscope/store.h"

struct http_feedback {
        pthread_mutex_t lock;
        sqlite3 *db;
        sqlite3_stmt *vote_yes, *vote_no, *counts, *list;
};

static int sql_errno(int rc)
{
        switch (rc & 0xff) {
        case SQLITE_NOMEM: return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED: return -EBUSY;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH: return -EACCES;
        case SQLITE_CANTOPEN: return -ENOENT;
        case SQLITE_FULL: return -ENOSPC;
        default: return -EIO;
        }
}

void http_feedback_close(struct http_feedback *f)
{
        if (!f)
                return;
        sqlite3_finalize(f->vote_yes);
        sqlite3_finalize(f->vote_no);
        sqlite3_finalize(f->counts);
        sqlite3_finalize(f->list);
        sqlite3_close(f->db);
        pthread_mutex_destroy(&f->lock);
        free(f);
}

int http_feedback_open(const char *path, struct http_feedback **ret, char *err, size_t errlen)
{
        struct http_feedback *f = calloc(1, sizeof *f);
        if (!f) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        pthread_mutex_init(&f->lock, NULL);
        /* Votes run on the server's worker threads: never hold one for long behind another
         * writer of the shared store; a vote that cannot be stored at once gets 503. */
        int r = ps_store_open(path, 50, &f->db, err, errlen);
        if (r < 0) {
                http_feedback_close(f);
                return r;
        }
        const char *schema = "CREATE TABLE IF NOT EXISTS serve_feedback ("
                             " page TEXT PRIMARY KEY NOT NULL,"
                             " yes INTEGER NOT NULL DEFAULT 0,"
                             " no INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;";
        int rc = sqlite3_exec(f->db, schema, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(f->db,
                                        "INSERT INTO serve_feedback(page, yes, no) VALUES(?1, 1, 0) "
                                        "ON CONFLICT(page) DO UPDATE SET yes = yes + 1",
                                        -1, &f->vote_yes, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(f->db,
                                        "INSERT INTO serve_feedback(page, yes, no) VALUES(?1, 0, 1) "
                                        "ON CONFLICT(page) DO UPDATE SET no = no + 1",
                                        -1, &f->vote_no, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(f->db, "SELECT yes, no FROM serve_feedback WHERE page = ?1", -1, &f->counts,
                                        NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(f->db,
                                        "SELECT page, yes, no FROM serve_feedback ORDER BY yes + no DESC, page LIMIT ?1",
                                        -1, &f->list, NULL);
        if (rc != SQLITE_OK) {
                snprintf(err, errlen, "cannot set up %s: %s", path, sqlite3_errmsg(f->db));
                r = sql_errno(rc);
                http_feedback_close(f);
                return r;
        }
        *ret = f;
        return 0;
}

int http_feedback_vote(struct http_feedback *f, const char *page, bool helpful)
{
        pthread_mutex_lock(&f->lock);
        sqlite3_stmt *st = helpful ? f->vote_yes : f->vote_no;
        sqlite3_bind_text(st, 1, page, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        pthread_mutex_unlock(&f->lock);
        return rc == SQLITE_DONE ? 0 : sql_errno(rc);
}

int http_feedback_counts(struct http_feedback *f, const char *page, long *ret_yes, long *ret_no)
{
        pthread_mutex_lock(&f->lock);
        sqlite3_bind_text(f->counts, 1, page, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(f->counts);
        long y = 0, n = 0;
        if (rc == SQLITE_ROW) {
                y = (long)sqlite3_column_int64(f->counts, 0);
                n = (long)sqlite3_column_int64(f->counts, 1);
                rc = SQLITE_DONE;
        }
        sqlite3_reset(f->counts);
        sqlite3_clear_bindings(f->counts);
        pthread_mutex_unlock(&f->lock);
        if (rc != SQLITE_DONE)
                return sql_errno(rc);
        *ret_yes = y;
        *ret_no = n;
        return 0;
}

int http_feedback_list(struct http_feedback *f, size_t max, struct http_feedback_row **ret, size_t *ret_n)
{
        struct http_feedback_row *v = calloc(max ? max : 1, sizeof *v);
        if (!v)
                return -ENOMEM;
        size_t n = 0;
        pthread_mutex_lock(&f->lock);
        sqlite3_bind_int64(f->list, 1, (sqlite3_int64)max);
        int rc;
        while ((rc = sqlite3_step(f->list)) == SQLITE_ROW && n < max) {
                const unsigned char *page = sqlite3_column_text(f->list, 0);
                snprintf(v[n].page, sizeof v[n].page, "%s", page ? (const char *)page : "");
                v[n].yes = (long)sqlite3_column_int64(f->list, 1);
                v[n].no = (long)sqlite3_column_int64(f->list, 2);
                n++;
        }
        sqlite3_reset(f->list);
        pthread_mutex_unlock(&f->lock);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
                free(v);
                return sql_errno(rc);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}
