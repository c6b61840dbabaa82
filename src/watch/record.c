/* watch: what outlives a line of output — Prometheus counters and the SQLite store. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "portscope/registry.h"
#include "portscope/sockets.h"
#include "portscope/store.h"
#include "portscope/watch.h"

#define NRANGES 3
#define NSTATUS 4

struct watch_metrics {
        /* probe events by protocol (tcp, udp), range, registry status and rule */
        uint64_t probes[2][NRANGES][NSTATUS][WATCH_RULE_NRULES];
        /* system ports only: probe events by protocol and port */
        uint64_t system_port[2][1024];
        uint64_t scans[WATCH_RULE_NRULES];
        uint64_t listeners[2][2]; /* new, gone x tcp, udp */
};

struct watch_metrics *watch_metrics_new(void)
{
        return calloc(1, sizeof(struct watch_metrics));
}

void watch_metrics_free(struct watch_metrics *m)
{
        free(m);
}

static unsigned range_of(uint16_t port)
{
        return port < 1024 ? 0 : port < 49152 ? 1 : 2;
}

static const char *const range_names[NRANGES] = { "system", "user", "dynamic" };

void watch_metrics_add(struct watch_metrics *m, const struct watch_event *e)
{
        unsigned p = e->proto == PS_UDP ? 1 : 0;
        switch (e->kind) {
        case WATCH_EVENT_PROBE: {
                unsigned st = e->judged && (unsigned)e->verdict.status < NSTATUS ? (unsigned)e->verdict.status : 0;
                m->probes[p][range_of(e->port)][st][e->rule]++;
                if (e->port < 1024)
                        m->system_port[p][e->port]++;
                break;
        }
        case WATCH_EVENT_SCAN:
                if (!e->final)
                        m->scans[e->rule]++;
                break;
        case WATCH_EVENT_LISTENER_NEW:
        case WATCH_EVENT_LISTENER_GONE:
                m->listeners[e->kind == WATCH_EVENT_LISTENER_GONE][p]++;
                break;
        default:
                break;
        }
}

int watch_metrics_write(const struct watch_metrics *m, FILE *f, uint64_t seen, uint64_t lost)
{
        static const char *const protos[2] = { "tcp", "udp" };
        fputs("# HELP portscope_watch_probe_events_total Probes of ports where nothing listens, reported as events.\n"
              "# TYPE portscope_watch_probe_events_total counter\n",
              f);
        for (unsigned p = 0; p < 2; p++)
                for (unsigned r = 0; r < NRANGES; r++)
                        for (unsigned s = 0; s < NSTATUS; s++)
                                for (unsigned ru = 0; ru < WATCH_RULE_NRULES; ru++)
                                        if (m->probes[p][r][s][ru])
                                                fprintf(f,
                                                        "portscope_watch_probe_events_total{protocol=\"%s\",range=\"%s\","
                                                        "status=\"%s\",rule=\"%s\"} %" PRIu64 "\n",
                                                        protos[p], range_names[r], registry_status_name((enum registry_status)s),
                                                        watch_rule_name((enum watch_rule)ru), m->probes[p][r][s][ru]);
        fputs("# HELP portscope_watch_system_port_probe_events_total Probe events of system ports, by port.\n"
              "# TYPE portscope_watch_system_port_probe_events_total counter\n",
              f);
        for (unsigned p = 0; p < 2; p++)
                for (unsigned port = 0; port < 1024; port++)
                        if (m->system_port[p][port])
                                fprintf(f, "portscope_watch_system_port_probe_events_total{protocol=\"%s\",port=\"%u\"} %" PRIu64 "\n",
                                        protos[p], port, m->system_port[p][port]);
        fputs("# HELP portscope_watch_scans_total Scans reported, by rule.\n# TYPE portscope_watch_scans_total counter\n", f);
        for (unsigned ru = WATCH_RULE_VERTICAL; ru < WATCH_RULE_NRULES; ru++)
                fprintf(f, "portscope_watch_scans_total{rule=\"%s\"} %" PRIu64 "\n", watch_rule_name((enum watch_rule)ru),
                        m->scans[ru]);
        fputs("# HELP portscope_watch_listener_events_total Listeners that appeared or vanished.\n"
              "# TYPE portscope_watch_listener_events_total counter\n",
              f);
        for (unsigned g = 0; g < 2; g++)
                for (unsigned p = 0; p < 2; p++)
                        fprintf(f, "portscope_watch_listener_events_total{event=\"%s\",protocol=\"%s\"} %" PRIu64 "\n",
                                g ? "listener-gone" : "listener-new", protos[p], m->listeners[g][p]);
        fprintf(f,
                "# HELP portscope_watch_kernel_packets_total Packets the capture accepted (every probe, reported or not).\n"
                "# TYPE portscope_watch_kernel_packets_total counter\n"
                "portscope_watch_kernel_packets_total %" PRIu64 "\n"
                "# HELP portscope_watch_kernel_lost_total Of those, lost because the ring buffer was full.\n"
                "# TYPE portscope_watch_kernel_lost_total counter\n"
                "portscope_watch_kernel_lost_total %" PRIu64 "\n",
                seen, lost);
        return ferror(f) ? -EIO : 0;
}

struct watch_store {
        sqlite3 *db;
        sqlite3_stmt *ins;
        bool in_tx;
};

int watch_store_open(const char *path, struct watch_store **ret, char *err, size_t errlen)
{
        struct watch_store *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        /* The one store opener: directory and modes, WAL, busy timeout, schema version. */
        int r = ps_store_open(path, 2000, &s->db, err, errlen);
        if (r < 0) {
                free(s);
                return r;
        }
        if (sqlite3_exec(s->db,
                         "CREATE TABLE IF NOT EXISTS watch_events ("
                         " id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, event TEXT NOT NULL, netns INTEGER,"
                         " protocol TEXT, port INTEGER, source TEXT, address TEXT, rule TEXT, probes INTEGER,"
                         " ports INTEGER, first_ms INTEGER, last_ms INTEGER, pid INTEGER, process TEXT,"
                         " status TEXT, verdict TEXT, severity TEXT, reason TEXT, count INTEGER);"
                         "CREATE INDEX IF NOT EXISTS watch_events_time ON watch_events(time_ms);",
                         NULL, NULL, NULL) != SQLITE_OK)
                goto fail;
        if (sqlite3_prepare_v2(s->db,
                               "INSERT INTO watch_events (time_ms, event, netns, protocol, port, source, address, rule,"
                               " probes, ports, first_ms, last_ms, pid, process, status, verdict, severity, reason, count)"
                               " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               -1, &s->ins, NULL) != SQLITE_OK)
                goto fail;
        *ret = s;
        return 0;
fail:
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
        watch_store_close(s);
        return -EIO;
}

int watch_store_add(struct watch_store *s, const struct watch_event *e)
{
        if (!s->in_tx) {
                if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
                        return -EIO;
                s->in_tx = true;
        }
        char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
        sockets_format_addr(e->family, e->source, src, sizeof(src));
        sockets_format_addr(e->family, e->address, dst, sizeof(dst));
        bool traffic = e->kind == WATCH_EVENT_PROBE || e->kind == WATCH_EVENT_SCAN;
        bool port_event = traffic || e->kind == WATCH_EVENT_LISTENER_NEW || e->kind == WATCH_EVENT_LISTENER_GONE;
        sqlite3_stmt *st = s->ins;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        sqlite3_bind_int64(st, 1, e->time_ms);
        sqlite3_bind_text(st, 2, watch_event_kind_name(e->kind), -1, SQLITE_STATIC);
        if (port_event) {
                sqlite3_bind_int64(st, 3, e->netns);
                sqlite3_bind_text(st, 4, ps_proto_name(e->proto), -1, SQLITE_STATIC);
                sqlite3_bind_int(st, 5, e->port);
                sqlite3_bind_text(st, 7, dst, -1, SQLITE_TRANSIENT);
        }
        if (traffic) {
                sqlite3_bind_text(st, 6, src, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 8, watch_rule_name(e->rule), -1, SQLITE_STATIC);
        }
        if (e->kind == WATCH_EVENT_SCAN) {
                sqlite3_bind_int64(st, 9, (sqlite3_int64)e->probes);
                sqlite3_bind_int64(st, 10, e->ports);
                sqlite3_bind_int64(st, 11, e->first_ms);
                sqlite3_bind_int64(st, 12, e->last_ms);
        }
        if (e->pid > 0)
                sqlite3_bind_int(st, 13, e->pid);
        if (e->process && *e->process)
                sqlite3_bind_text(st, 14, e->process, -1, SQLITE_TRANSIENT);
        if (e->judged) {
                sqlite3_bind_text(st, 15, registry_status_name(e->verdict.status), -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 16, verdict_kind_name(e->verdict.kind), -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 17, verdict_severity_name(e->verdict.severity), -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 18, e->verdict.reason, -1, SQLITE_TRANSIENT);
        }
        if (e->kind == WATCH_EVENT_DROPPED)
                sqlite3_bind_int64(st, 19, (sqlite3_int64)e->count);
        return sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
}

int watch_store_flush(struct watch_store *s)
{
        if (!s || !s->in_tx)
                return 0;
        s->in_tx = false;
        if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
                return 0;
        /* A commit that failed (a full disk) may leave its transaction open: give it up, so that
         * the next events begin one of their own once there is room again. */
        if (!sqlite3_get_autocommit(s->db))
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -EIO;
}

void watch_store_close(struct watch_store *s)
{
        if (!s)
                return;
        watch_store_flush(s);
        sqlite3_finalize(s->ins);
        sqlite3_close(s->db);
        free(s);
}
