/* Audit history in the shared SQLite store (tables audit_runs, audit_listeners). */
#include "portscope/history.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/i18n.h"
#include "portscope/store.h"
#include "portscope/util.h"

struct history {
        sqlite3 *db;
        char errbuf[512];
};

/* Keeps SQLite's message of a failure before a ROLLBACK or finalize replaces it. */
static void remember(struct history *h)
{
        const char *file = sqlite3_db_filename(h->db, "main");
        snprintf(h->errbuf, sizeof(h->errbuf), "%s: %s", file && *file ? file : "(store)", sqlite3_errmsg(h->db));
}

const char *history_error(struct history *h)
{
        if (!h->errbuf[0])
                remember(h);
        return h->errbuf;
}

static const char schema[] =
        "PRAGMA foreign_keys = ON;"
        "CREATE TABLE IF NOT EXISTS audit_runs ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  time INTEGER NOT NULL,"
        "  netns TEXT NOT NULL,"
        "  privileged INTEGER NOT NULL,"
        "  listeners INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS audit_runs_netns ON audit_runs(netns, id);"
        "CREATE TABLE IF NOT EXISTS audit_listeners ("
        "  run INTEGER NOT NULL REFERENCES audit_runs(id) ON DELETE CASCADE,"
        "  protocol TEXT NOT NULL,"
        "  address TEXT NOT NULL,"
        "  port INTEGER NOT NULL,"
        "  process TEXT NOT NULL,"
        "  user TEXT NOT NULL,"
        "  verdict TEXT NOT NULL,"
        "  severity TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS audit_listeners_run ON audit_listeners(run);";

int history_open(const char *path, struct history **ret, char *err, size_t errlen)
{
        struct history *h = calloc(1, sizeof(*h));
        int r;

        if (!h)
                return -ENOMEM;
        r = ps_store_open(path, 5000, &h->db, err, errlen);
        if (r < 0) {
                free(h);
                return r;
        }
        if (sqlite3_exec(h->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
                /* TRANSLATORS: a database file, then SQLite's own (English) reason. */
                snprintf(err, errlen, _("cannot set up %s: %s"), sqlite3_db_filename(h->db, "main"), sqlite3_errmsg(h->db));
                history_close(h);
                return -EIO;
        }
        *ret = h;
        return 0;
}

void history_close(struct history *h)
{
        if (!h)
                return;
        sqlite3_close(h->db);
        free(h);
}

int history_last_run(struct history *h, const char *netns, struct history_run *ret)
{
        sqlite3_stmt *st;
        int r;

        if (sqlite3_prepare_v2(h->db, "SELECT id, time, privileged FROM audit_runs WHERE netns = ? ORDER BY id DESC LIMIT 1",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(st, 1, netns, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
                ret->id = sqlite3_column_int64(st, 0);
                ret->time = (time_t)sqlite3_column_int64(st, 1);
                ret->privileged = sqlite3_column_int(st, 2) != 0;
                r = 0;
        } else
                r = r == SQLITE_DONE ? -ENOENT : -EIO;
        sqlite3_finalize(st);
        return r;
}

static char *col(sqlite3_stmt *st, int i)
{
        const unsigned char *s = sqlite3_column_text(st, i);
        return strdup(s ? (const char *)s : "");
}

void history_items_free(struct history_item *items, size_t n)
{
        if (!items)
                return;
        for (size_t i = 0; i < n; i++) {
                free(items[i].protocol);
                free(items[i].address);
                free(items[i].process);
                free(items[i].user);
                free(items[i].verdict);
                free(items[i].severity);
        }
        free(items);
}

int history_load(struct history *h, int64_t run, struct history_item **ret, size_t *ret_n)
{
        sqlite3_stmt *st;
        struct history_item *v = NULL;
        size_t n = 0, cap = 0;
        int r;

        if (sqlite3_prepare_v2(h->db,
                               "SELECT protocol, address, port, process, user, verdict, severity FROM audit_listeners "
                               "WHERE run = ? ORDER BY rowid",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_int64(st, 1, run);
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                struct history_item *it;
                r = PS_GROW(v, cap, n + 1, SIZE_MAX);
                if (r < 0)
                        goto fail;
                it = &v[n++];
                it->protocol = col(st, 0);
                it->address = col(st, 1);
                it->port = (uint16_t)sqlite3_column_int(st, 2);
                it->process = col(st, 3);
                it->user = col(st, 4);
                it->verdict = col(st, 5);
                it->severity = col(st, 6);
                if (!it->protocol || !it->address || !it->process || !it->user || !it->verdict || !it->severity) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        if (r != SQLITE_DONE) {
                r = -EIO;
                goto fail;
        }
        sqlite3_finalize(st);
        *ret = v;
        *ret_n = n;
        return 0;
fail:
        sqlite3_finalize(st);
        history_items_free(v, n);
        return r;
}

int history_record(struct history *h, const char *netns, time_t t, bool privileged, const struct history_item *items,
                   size_t n, int64_t *ret_id)
{
        sqlite3_stmt *st = NULL;
        int64_t id;
        int r = -EIO;

        h->errbuf[0] = '\0';
        if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
                remember(h);
                return -EIO;
        }
        if (sqlite3_prepare_v2(h->db, "INSERT INTO audit_runs(time, netns, privileged, listeners) VALUES (?, ?, ?, ?)", -1,
                               &st, NULL) != SQLITE_OK)
                goto rollback;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)t);
        sqlite3_bind_text(st, 2, netns, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, privileged ? 1 : 0);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)n);
        if (sqlite3_step(st) != SQLITE_DONE)
                goto rollback;
        sqlite3_finalize(st);
        st = NULL;
        id = sqlite3_last_insert_rowid(h->db);
        if (sqlite3_prepare_v2(h->db,
                               "INSERT INTO audit_listeners(run, protocol, address, port, process, user, verdict, severity) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               -1, &st, NULL) != SQLITE_OK)
                goto rollback;
        for (size_t i = 0; i < n; i++) {
                const struct history_item *it = &items[i];
                sqlite3_reset(st);
                sqlite3_bind_int64(st, 1, id);
                sqlite3_bind_text(st, 2, it->protocol, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, it->address, -1, SQLITE_STATIC);
                sqlite3_bind_int(st, 4, it->port);
                sqlite3_bind_text(st, 5, it->process ? it->process : "", -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 6, it->user ? it->user : "", -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 7, it->verdict, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 8, it->severity, -1, SQLITE_STATIC);
                if (sqlite3_step(st) != SQLITE_DONE)
                        goto rollback;
        }
        sqlite3_finalize(st);
        st = NULL;
        /* Keep the newest HISTORY_KEEP_RUNS runs of this namespace. */
        if (sqlite3_prepare_v2(h->db,
                               "DELETE FROM audit_runs WHERE netns = ?1 AND id NOT IN "
                               "(SELECT id FROM audit_runs WHERE netns = ?1 ORDER BY id DESC LIMIT ?2)",
                               -1, &st, NULL) != SQLITE_OK)
                goto rollback;
        sqlite3_bind_text(st, 1, netns, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, HISTORY_KEEP_RUNS);
        if (sqlite3_step(st) != SQLITE_DONE)
                goto rollback;
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                goto rollback;
        if (ret_id)
                *ret_id = id;
        return 0;
rollback:
        remember(h);
        sqlite3_finalize(st);
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
}

static int item_cmp(const struct history_item *a, const struct history_item *b)
{
        int c = strcmp(a->protocol, b->protocol);

        if (c)
                return c;
        if (a->port != b->port)
                return a->port < b->port ? -1 : 1;
        c = strcmp(a->address, b->address);
        if (c)
                return c;
        return strcmp(a->process ? a->process : "", b->process ? b->process : "");
}

static int index_cmp(const void *x, const void *y, void *items)
{
        const struct history_item *v = items;
        return item_cmp(&v[*(const size_t *)x], &v[*(const size_t *)y]);
}

static size_t *sorted_index(const struct history_item *v, size_t n)
{
        size_t *ix = malloc((n ? n : 1) * sizeof(*ix));

        if (!ix)
                return NULL;
        for (size_t i = 0; i < n; i++)
                ix[i] = i;
        qsort_r(ix, n, sizeof(*ix), index_cmp, (void *)v);
        return ix;
}

/* Indexes of a's items missing from b, each key once (sorted merge). */
static int missing(const struct history_item *a, size_t na, const struct history_item *b, size_t nb, size_t **ret,
                   size_t *ret_n)
{
        size_t *ia = sorted_index(a, na), *ib = sorted_index(b, nb), *v = malloc((na ? na : 1) * sizeof(*v));
        size_t n = 0, j = 0;

        if (!ia || !ib || !v) {
                free(ia);
                free(ib);
                free(v);
                return -ENOMEM;
        }
        for (size_t i = 0; i < na; i++) {
                const struct history_item *x = &a[ia[i]];
                int c = 1;
                if (i > 0 && item_cmp(x, &a[ia[i - 1]]) == 0)
                        continue;
                while (j < nb && (c = item_cmp(&b[ib[j]], x)) < 0)
                        j++;
                if (j >= nb || c != 0)
                        v[n++] = ia[i];
        }
        free(ia);
        free(ib);
        *ret = v;
        *ret_n = n;
        return 0;
}

int history_diff(const struct history_item *old, size_t nold, const struct history_item *cur, size_t ncur,
                 size_t **ret_appeared, size_t *ret_nappeared, size_t **ret_vanished, size_t *ret_nvanished)
{
        size_t *app = NULL, *van = NULL, napp = 0, nvan = 0;

        if (missing(cur, ncur, old, nold, &app, &napp) < 0)
                return -ENOMEM;
        if (missing(old, nold, cur, ncur, &van, &nvan) < 0) {
                free(app);
                return -ENOMEM;
        }
        *ret_appeared = app;
        *ret_nappeared = napp;
        *ret_vanished = van;
        *ret_nvanished = nvan;
        return 0;
}
