/* portscope serve — "Was this page helpful?" votes (no, somewhat, yes), counted per page in the
 * SQLite store, and the optional "what was missing?" notes (the newest HTTP_NOTES_KEPT).
 *
 * Only counts and the notes' text are kept: no address, no time, no cookie. The table belongs to this component
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
        sqlite3_stmt *vote[HTTP_NVOTES], *counts, *list, *note_add, *note_trim, *notes;
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
        for (int i = 0; i < HTTP_NVOTES; i++)
                sqlite3_finalize(f->vote[i]);
        sqlite3_finalize(f->note_add);
        sqlite3_finalize(f->note_trim);
        sqlite3_finalize(f->notes);
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
        /* Stores from before the third face lack its column: add it once (an error saying it is
         * there already is the normal case). */
        if (rc == SQLITE_OK)
                sqlite3_exec(f->db, "ALTER TABLE serve_feedback ADD COLUMN somewhat INTEGER NOT NULL DEFAULT 0;", NULL,
                             NULL, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_exec(f->db,
                                  "CREATE TABLE IF NOT EXISTS serve_feedback_note ("
                                  " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                  " page TEXT NOT NULL,"
                                  " vote INTEGER NOT NULL,"
                                  " note TEXT NOT NULL);",
                                  NULL, NULL, NULL);
        static const char *const column[HTTP_NVOTES] = { "no", "somewhat", "yes" };
        for (int i = 0; i < HTTP_NVOTES && rc == SQLITE_OK; i++) {
                char sql[256];
                snprintf(sql, sizeof sql,
                         "INSERT INTO serve_feedback(page, yes, no, somewhat) VALUES(?1, %d, %d, %d) "
                         "ON CONFLICT(page) DO UPDATE SET %s = %s + 1",
                         i == HTTP_VOTE_YES, i == HTTP_VOTE_NO, i == HTTP_VOTE_SOMEWHAT, column[i], column[i]);
                rc = sqlite3_prepare_v2(f->db, sql, -1, &f->vote[i], NULL);
        }
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(f->db, "SELECT yes, no, somewhat FROM serve_feedback WHERE page = ?1", -1,
                                        &f->counts, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(f->db,
                                        "SELECT page, yes, no, somewhat FROM serve_feedback "
                                        "ORDER BY yes + no + somewhat DESC, page LIMIT ?1",
                                        -1, &f->list, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(f->db, "INSERT INTO serve_feedback_note(page, vote, note) VALUES(?1, ?2, ?3)",
                                        -1, &f->note_add, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(f->db,
                                        "DELETE FROM serve_feedback_note WHERE id <= "
                                        "(SELECT max(id) FROM serve_feedback_note) - ?1",
                                        -1, &f->note_trim, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(f->db,
                                        "SELECT page, vote, note FROM serve_feedback_note ORDER BY id DESC LIMIT ?1",
                                        -1, &f->notes, NULL);
        if (rc != SQLITE_OK) {
                snprintf(err, errlen, "cannot set up %s: %s", path, sqlite3_errmsg(f->db));
                r = sql_errno(rc);
                http_feedback_close(f);
                return r;
        }
        *ret = f;
        return 0;
}

static int step_once(sqlite3_stmt *st)
{
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc == SQLITE_DONE ? 0 : sql_errno(rc);
}

int http_feedback_vote(struct http_feedback *f, const char *page, enum http_vote vote, const char *note)
{
        if ((unsigned)vote >= HTTP_NVOTES)
                return -EINVAL;
        pthread_mutex_lock(&f->lock);
        int r = sqlite3_exec(f->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EBUSY;
        if (r == 0) {
                sqlite3_bind_text(f->vote[vote], 1, page, -1, SQLITE_TRANSIENT);
                r = step_once(f->vote[vote]);
        }
        if (r == 0 && note && note[0]) {
                sqlite3_bind_text(f->note_add, 1, page, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int(f->note_add, 2, (int)vote);
                sqlite3_bind_text(f->note_add, 3, note, -1, SQLITE_TRANSIENT);
                r = step_once(f->note_add);
                if (r == 0) {
                        sqlite3_bind_int(f->note_trim, 1, HTTP_NOTES_KEPT);
                        r = step_once(f->note_trim);
                }
        }
        if (r == 0 && sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                r = -EBUSY;
        if (r < 0)
                sqlite3_exec(f->db, "ROLLBACK", NULL, NULL, NULL);
        pthread_mutex_unlock(&f->lock);
        return r;
}

int http_feedback_notes(struct http_feedback *f, size_t max, struct http_feedback_note **ret, size_t *ret_n)
{
        struct http_feedback_note *v = calloc(max ? max : 1, sizeof *v);
        if (!v)
                return -ENOMEM;
        size_t n = 0;
        pthread_mutex_lock(&f->lock);
        sqlite3_bind_int64(f->notes, 1, (sqlite3_int64)max);
        int rc;
        while ((rc = sqlite3_step(f->notes)) == SQLITE_ROW && n < max) {
                const unsigned char *page = sqlite3_column_text(f->notes, 0);
                const unsigned char *note = sqlite3_column_text(f->notes, 2);
                snprintf(v[n].page, sizeof v[n].page, "%s", page ? (const char *)page : "");
                int vote = sqlite3_column_int(f->notes, 1);
                v[n].vote = vote >= 0 && vote < HTTP_NVOTES ? (enum http_vote)vote : HTTP_VOTE_NO;
                snprintf(v[n].note, sizeof v[n].note, "%s", note ? (const char *)note : "");
                n++;
        }
        sqlite3_reset(f->notes);
        pthread_mutex_unlock(&f->lock);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
                free(v);
                return sql_errno(rc);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int http_feedback_counts(struct http_feedback *f, const char *page, long ret_counts[HTTP_NVOTES])
{
        pthread_mutex_lock(&f->lock);
        sqlite3_bind_text(f->counts, 1, page, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(f->counts);
        long y = 0, n = 0, m = 0;
        if (rc == SQLITE_ROW) {
                y = (long)sqlite3_column_int64(f->counts, 0);
                n = (long)sqlite3_column_int64(f->counts, 1);
                m = (long)sqlite3_column_int64(f->counts, 2);
                rc = SQLITE_DONE;
        }
        sqlite3_reset(f->counts);
        sqlite3_clear_bindings(f->counts);
        pthread_mutex_unlock(&f->lock);
        if (rc != SQLITE_DONE)
                return sql_errno(rc);
        ret_counts[HTTP_VOTE_YES] = y;
        ret_counts[HTTP_VOTE_NO] = n;
        ret_counts[HTTP_VOTE_SOMEWHAT] = m;
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
                v[n].somewhat = (long)sqlite3_column_int64(f->list, 3);
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
