/* The audit report as node_exporter textfile-collector metrics, streamed: one small record a
 * listener (its address and port as text) is sorted so that identical label sets (SO_REUSEPORT
 * groups, a process's ephemeral client sockets) give one sample, and the lines are written
 * straight to the file. */
#include "portscope/verdict.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/util.h"

#define NLABELS 8

struct prom_rec {
        const char *label[NLABELS]; /* values, unescaped; address and port are in the record */
        int value;
        char addr[64];
        char port[16]; /* a number, or "ephemeral" */
};

static const char *const label_names[NLABELS] = { "protocol", "address", "port", "process",
                                                   "user", "unit", "verdict", "severity" };

/* A byte that a label value keeps as it is, and that compares the same escaped or not. */
static bool plain(unsigned char c)
{
        return c >= 0x20 && c < 0x7f && c != '\\' && c != '"';
}

/* The escaped form of s[*pos..] one piece at a time: valid UTF-8 with \\, \" and \n escaped,
 * other control bytes and invalid UTF-8 as \\xNN text. Returns the piece's length (0 at the
 * end). */
static size_t esc_next(const char *s, size_t *pos, char out[8])
{
        unsigned char c = (unsigned char)s[*pos];
        const char *p = s + *pos;

        if (!c)
                return 0;
        (*pos)++;
        if (c == '\\')
                return memcpy(out, "\\\\", 2), 2;
        if (c == '"')
                return memcpy(out, "\\\"", 2), 2;
        if (c == '\n')
                return memcpy(out, "\\n", 2), 2;
        if (c >= 0x80) {
                size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
                if (n > 1 && strnlen(p, n) == n && ps_utf8_valid(p, n)) {
                        memcpy(out, p, n);
                        *pos += n - 1;
                        return n;
                }
        } else if (c >= 0x20 && c != 0x7f) {
                out[0] = (char)c;
                return 1;
        }
        return (size_t)snprintf(out, 8, "\\\\x%02x", c);
}

/* Compares escape(a) + '"' with escape(b) + '"' byte by byte: the order of the whole label
 * strings (fields sit between identical separators, and '"' ends a value unambiguously). */
static int escaped_cmp(const char *a, const char *b)
{
        size_t i = 0, pa = 0, pb = 0, la = 0, lb = 0, ia = 0, ib = 0;
        char ba[8], bb[8];
        bool ea = false, eb = false;

        /* Plain text on both sides: compare directly, the end reading as '"'. */
        while (a[i] && a[i] == b[i] && plain((unsigned char)a[i]))
                i++;
        if ((!a[i] || plain((unsigned char)a[i])) && (!b[i] || plain((unsigned char)b[i]))) {
                unsigned char x = a[i] ? (unsigned char)a[i] : '"', y = b[i] ? (unsigned char)b[i] : '"';
                return (x > y) - (x < y);
        }
        for (;;) {
                unsigned char x, y;
                if (ia == la && !ea) {
                        la = esc_next(a, &pa, ba);
                        ia = 0;
                        if (!la) {
                                ba[0] = '"';
                                la = 1;
                                ea = true;
                        }
                }
                if (ib == lb && !eb) {
                        lb = esc_next(b, &pb, bb);
                        ib = 0;
                        if (!lb) {
                                bb[0] = '"';
                                lb = 1;
                                eb = true;
                        }
                }
                x = (unsigned char)ba[ia++];
                y = (unsigned char)bb[ib++];
                if (x != y)
                        return (x > y) - (x < y);
                if (ea && eb && ia == la && ib == lb)
                        return 0;
        }
}

/* Label k of p (the address and the port live in the record, which qsort moves). */
static const char *label(const struct prom_rec *p, unsigned k)
{
        return k == 1 ? p->addr : k == 2 ? p->port : p->label[k];
}

static int rec_cmp(const void *x, const void *y)
{
        const struct prom_rec *a = x, *b = y;

        for (unsigned k = 0; k < NLABELS; k++) {
                int c = escaped_cmp(label(a, k), label(b, k));
                if (c)
                        return c;
        }
        return 0;
}

static void put_labels(FILE *f, const struct prom_rec *p)
{
        for (unsigned k = 0; k < NLABELS; k++) {
                const char *s = label(p, k);
                size_t pos = 0, n;
                char piece[8];
                fprintf(f, "%s%s=\"", k ? "," : "", label_names[k]);
                while ((n = esc_next(s, &pos, piece)) > 0)
                        fwrite(piece, 1, n, f);
                fputc('"', f);
        }
}

int verdict_report_prometheus(const struct verdict_report *r, FILE *f)
{
        const struct sockets_list *l = r->sockets;
        struct prom_rec *recs = malloc((l->n ? l->n : 1) * sizeof(*recs));
        size_t n = 0, counts[VERDICT_NKINDS];
        size_t sev[4] = { 0 };

        if (!recs)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                const struct verdict_item *v = &r->verdicts[i];
                const struct sockets_process *p = sockets_entry_owner(l, e, 0);
                struct prom_rec *rec = &recs[n];

                if (!e->listening)
                        continue;
                sev[v->severity]++;
                sockets_format_place(e, rec->addr, sizeof(rec->addr));
                /* A client socket of a serving process (a resolver's query socket) holds whatever
                 * ephemeral port it drew: as a label, every audit would make new series for it.
                 * Its port is "ephemeral"; a verdict worse than that one keeps its number. */
                if (v->rule == JUDGE_EPHEMERAL_CLIENT && v->severity == VERDICT_NONE)
                        snprintf(rec->port, sizeof(rec->port), "%s", "ephemeral");
                else
                        snprintf(rec->port, sizeof(rec->port), "%u", e->port);
                rec->label[0] = sockets_proto_name(e->proto);
                rec->label[1] = rec->label[2] = NULL;
                rec->label[3] = p && p->comm ? p->comm : "";
                rec->label[4] = verdict_report_user(r, i);
                rec->label[5] = p && p->unit ? p->unit : "";
                rec->label[6] = verdict_kind_name(v->kind);
                rec->label[7] = verdict_severity_name(v->severity);
                rec->value = (int)v->severity;
                n++;
        }
        qsort(recs, n, sizeof(*recs), rec_cmp);
        fputs("# HELP portscope_listener A listening socket seen by portscope audit; the value is its "
              "severity (0 none, 1 low, 2 medium, 3 high).\n# TYPE portscope_listener gauge\n",
              f);
        for (size_t i = 0; i < n; i++) {
                /* SO_REUSEPORT groups give identical label sets: one sample each, the worst. */
                if (i + 1 < n && rec_cmp(&recs[i], &recs[i + 1]) == 0) {
                        if (recs[i + 1].value < recs[i].value)
                                recs[i + 1].value = recs[i].value;
                        continue;
                }
                fputs("portscope_listener{", f);
                put_labels(f, &recs[i]);
                fprintf(f, "} %d\n", recs[i].value);
        }
        free(recs);
        verdict_report_counts(r, counts);
        fputs("# HELP portscope_audit_listeners Listening sockets per verdict.\n"
              "# TYPE portscope_audit_listeners gauge\n",
              f);
        for (unsigned k = 0; k < VERDICT_NKINDS; k++)
                fprintf(f, "portscope_audit_listeners{verdict=\"%s\"} %zu\n", verdict_kind_name((enum verdict_kind)k),
                        counts[k]);
        fputs("# HELP portscope_audit_findings Listening sockets per severity.\n"
              "# TYPE portscope_audit_findings gauge\n",
              f);
        for (unsigned s = 0; s < 4; s++)
                fprintf(f, "portscope_audit_findings{severity=\"%s\"} %zu\n",
                        verdict_severity_name((enum verdict_severity)s), sev[s]);
        fprintf(f,
                "# HELP portscope_audit_baseline_gone Baseline entries with no listener.\n"
                "# TYPE portscope_audit_baseline_gone gauge\nportscope_audit_baseline_gone %zu\n",
                r->ngone);
        fprintf(f,
                "# HELP portscope_audit_privileged 1 when every process's descriptors could be read.\n"
                "# TYPE portscope_audit_privileged gauge\nportscope_audit_privileged %d\n",
                l->owners.privileged ? 1 : 0);
        fprintf(f,
                "# HELP portscope_audit_last_run_timestamp_seconds When the audit ran.\n"
                "# TYPE portscope_audit_last_run_timestamp_seconds gauge\n"
                "portscope_audit_last_run_timestamp_seconds %lld\n",
                (long long)r->time);
        return ferror(f) ? -EIO : 0;
}
