/* portscope scan — results in the SQLite store, and what changed since the previous scan.
 * Tables (prefixed scan_): scan_runs, scan_hosts (hosts that answered in a run, open ports or not), scan_ports
 * (open ports of a run). */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan-internal.h"
#include "portscope/i18n.h"
#include "portscope/util.h"
#include "portscope/store.h"

static const char schema[] =
        "CREATE TABLE IF NOT EXISTS scan_runs(id INTEGER PRIMARY KEY, started INTEGER NOT NULL, "
        "  engine TEXT NOT NULL, protocol TEXT NOT NULL, nports INTEGER NOT NULL, args TEXT);"
        "CREATE TABLE IF NOT EXISTS scan_hosts(run INTEGER NOT NULL REFERENCES scan_runs(id), "
        "  address TEXT NOT NULL, protocol TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS scan_hosts_addr ON scan_hosts(address, protocol, run);"
        "CREATE TABLE IF NOT EXISTS scan_ports(run INTEGER NOT NULL REFERENCES scan_runs(id), "
        "  address TEXT NOT NULL, port INTEGER NOT NULL, protocol TEXT NOT NULL, state TEXT NOT NULL, "
        "  service TEXT, verdict TEXT);"
        "CREATE INDEX IF NOT EXISTS scan_ports_run ON scan_ports(run, address);";

static int fail(sqlite3 *db, char *err, size_t errlen, const char *what)
{
        return scan_errf(err, errlen, -EIO, "%s: %s", what, db ? sqlite3_errmsg(db) : _("cannot open"));
}

static bool open_now(const struct scan_report *rep, const struct scan_addr *a, uint16_t port)
{
        const struct scan_host_report *h = scan_report_host(rep, a);
        const struct scan_port_report *p = h ? scan_report_port(h, port, rep->proto) : NULL;
        return p && p->r.state == SCAN_OPEN;
}

static bool scanned_port(const struct scan_report *rep, uint16_t port)
{
        size_t lo = 0, hi = rep->ports ? rep->ports->n : 0;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (rep->ports->ports[mid] < port)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return rep->ports && lo < rep->ports->n && rep->ports->ports[lo] == port;
}

static int compare(sqlite3 *db, struct scan_report *rep, sqlite3_int64 run, char *err, size_t errlen)
{
        const char *proto = ps_proto_name(rep->proto);
        /* Open ports of each address's latest earlier run. */
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db,
                               "SELECT p.address, p.port FROM scan_ports p WHERE p.protocol = ?1 AND p.run = "
                               "(SELECT MAX(h.run) FROM scan_hosts h WHERE h.address = p.address AND "
                               "h.protocol = ?1 AND h.run < ?2) AND p.state = 'open'",
                               -1, &st, NULL) != SQLITE_OK)
                return fail(db, err, errlen, "query");
        sqlite3_bind_text(st, 1, proto, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, run);
        int r = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
                struct scan_addr a;
                const char *as = (const char *)sqlite3_column_text(st, 0);
                int port = sqlite3_column_int(st, 1);
                if (!as || scan_addr_parse(as, &a) < 0 || port < 0 || port > 65535)
                        continue;
                if (rep->targets && scan_targets_index(rep->targets, &a) < 0)
                        continue;
                if (!scanned_port(rep, (uint16_t)port) || open_now(rep, &a, (uint16_t)port)) {
                        /* still open: mark same */
                        const struct scan_host_report *h = scan_report_host(rep, &a);
                        struct scan_port_report *p = h ? scan_report_port(h, (uint16_t)port, rep->proto) : NULL;
                        if (p)
                                p->change = 2; /* seen before */
                        continue;
                }
                if (PS_GROW(rep->gone, rep->capgone, rep->ngone + 1, SIZE_MAX) < 0) {
                        r = -ENOMEM;
                        break;
                }
                struct scan_port_report *g = &rep->gone[rep->ngone++];
                memset(g, 0, sizeof(*g));
                g->r.addr = a;
                g->r.port = (uint16_t)port;
                g->r.proto = rep->proto;
                g->r.state = SCAN_CLOSED;
                g->change = -1;
        }
        sqlite3_finalize(st);
        /* Hosts with an earlier run: ports not seen before are new. */
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM scan_hosts WHERE address = ?1 AND protocol = ?2 AND run < ?3 LIMIT 1",
                               -1, &st, NULL) != SQLITE_OK)
                return fail(db, err, errlen, "query");
        for (size_t i = 0; i < rep->nhosts; i++) {
                char a[64];
                if (scan_addr_format(&rep->hosts[i].addr, a, sizeof(a)) < 0)
                        continue;
                sqlite3_reset(st);
                sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 2, proto, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 3, run);
                bool known = sqlite3_step(st) == SQLITE_ROW;
                for (size_t j = 0; j < rep->hosts[i].nports; j++) {
                        struct scan_port_report *p = &rep->hosts[i].ports[j];
                        if (p->r.state != SCAN_OPEN)
                                continue;
                        p->change = p->change == 2 ? 0 : known ? 1 : 0;
                }
        }
        sqlite3_finalize(st);
        rep->changes = true;
        return r;
}

int scan_store_record(const char *db_path, struct scan_report *rep, bool compare_prev, char *err, size_t errlen)
{
        sqlite3 *db = NULL;
        int r;
        r = ps_store_open(db_path, 5000, &db, err, errlen);
        if (r < 0)
                return r;
        if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
                r = fail(db, err, errlen, "cannot prepare the store");
                goto out;
        }
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "INSERT INTO scan_runs(started, engine, protocol, nports, args) VALUES(?,?,?,?,?)",
                               -1, &st, NULL) != SQLITE_OK) {
                r = fail(db, err, errlen, "insert");
                goto rollback;
        }
        sqlite3_bind_int64(st, 1, rep->start);
        sqlite3_bind_text(st, 2, scan_engine_name(rep->engine), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, ps_proto_name(rep->proto), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, rep->ports ? (sqlite3_int64)rep->ports->n : 0);
        sqlite3_bind_text(st, 5, rep->args ? rep->args : "", -1, SQLITE_STATIC);
        r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
        sqlite3_finalize(st);
        if (r < 0) {
                r = fail(db, err, errlen, "insert");
                goto rollback;
        }
        sqlite3_int64 run = sqlite3_last_insert_rowid(db);
        sqlite3_stmt *sh, *sp;
        if (sqlite3_prepare_v2(db, "INSERT INTO scan_hosts(run, address, protocol) VALUES(?,?,?)", -1, &sh, NULL) !=
                    SQLITE_OK ||
            sqlite3_prepare_v2(db,
                               "INSERT INTO scan_ports(run, address, port, protocol, state, service, verdict) "
                               "VALUES(?,?,?,?,?,?,?)",
                               -1, &sp, NULL) != SQLITE_OK) {
                r = fail(db, err, errlen, "insert");
                goto rollback;
        }
        for (size_t i = 0; i < rep->nhosts && r == 0; i++) {
                char a[64];
                if (scan_addr_format(&rep->hosts[i].addr, a, sizeof(a)) < 0)
                        continue;
                /* A host row only for hosts that answered: the next scan compares with the last
                 * one that saw them. Their ports (UDP open|filtered too) are recorded anyway. */
                if (rep->hosts[i].up) {
                        sqlite3_reset(sh);
                        sqlite3_bind_int64(sh, 1, run);
                        sqlite3_bind_text(sh, 2, a, -1, SQLITE_TRANSIENT);
                        sqlite3_bind_text(sh, 3, ps_proto_name(rep->proto), -1, SQLITE_STATIC);
                        if (sqlite3_step(sh) != SQLITE_DONE)
                                r = -EIO;
                }
                for (size_t j = 0; j < rep->hosts[i].nports && r == 0; j++) {
                        const struct scan_port_report *p = &rep->hosts[i].ports[j];
                        if (p->r.state != SCAN_OPEN && p->r.state != SCAN_OPEN_FILTERED)
                                continue;
                        sqlite3_reset(sp);
                        sqlite3_bind_int64(sp, 1, run);
                        sqlite3_bind_text(sp, 2, a, -1, SQLITE_TRANSIENT);
                        sqlite3_bind_int(sp, 3, p->r.port);
                        sqlite3_bind_text(sp, 4, ps_proto_name(p->r.proto), -1, SQLITE_STATIC);
                        sqlite3_bind_text(sp, 5, scan_state_name(p->r.state), -1, SQLITE_STATIC);
                        if (p->service && p->service->name[0])
                                sqlite3_bind_text(sp, 6, p->service->name, -1, SQLITE_TRANSIENT);
                        else
                                sqlite3_bind_null(sp, 6);
                        sqlite3_bind_text(sp, 7, scan_verdict_name(p->verdict), -1, SQLITE_STATIC);
                        if (sqlite3_step(sp) != SQLITE_DONE)
                                r = -EIO;
                }
        }
        sqlite3_finalize(sh);
        sqlite3_finalize(sp);
        if (r < 0) {
                r = fail(db, err, errlen, "insert");
                goto rollback;
        }
        if (compare_prev && (r = compare(db, rep, run, err, errlen)) < 0)
                goto rollback;
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                r = fail(db, err, errlen, "commit");
                goto rollback;
        }
        r = 0;
        goto out;
rollback:
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
        sqlite3_close(db);
        return r;
}
