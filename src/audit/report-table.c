/* The audit report as a table for people, and the notes under it. */
#include "portscope/verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/portinfo.h"
#include "portscope/util.h"
#include "report-internal.h"

static const char *sev_color(const struct verdict_item *v)
{
        if (v->kind == VERDICT_EXPECTED)
                return "\033[32m";
        switch (v->severity) {
        case VERDICT_HIGH: return "\033[1;31m";
        case VERDICT_MEDIUM: return "\033[33m";
        case VERDICT_LOW: return "\033[36m";
        default: return "";
        }
}

/* Printable ASCII without backslashes is printed as it is; anything else goes through
 * ps_term_escape() (which writes byte by byte: keep it off the common path). */
static bool plain_ascii(const char *s, size_t *ret_len)
{
        const char *p = s;

        for (; *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f || *p == '\\')
                        return false;
        *ret_len = (size_t)(p - s);
        return true;
}

static void put_escaped(FILE *f, const char *s)
{
        size_t n;

        if (plain_ascii(s, &n))
                fwrite_unlocked(s, 1, n, f);
        else
                ps_term_escape(f, s, (size_t)-1, false);
}

/* Writes n bytes of s and pads with spaces to width, then one space (no printf: a table of
 * 20,000 rows spends its time there otherwise). */
static void pad(FILE *f, const char *s, size_t n, int width)
{
        static const char spaces[] = "                                ";

        /* The caller holds the stream's lock (flockfile): no per-call locking. */
        fwrite_unlocked(s, 1, n, f);
        for (size_t w = n; w < (size_t)width;) {
                size_t k = (size_t)width - w < sizeof(spaces) - 1 ? (size_t)width - w : sizeof(spaces) - 1;
                fwrite_unlocked(spaces, 1, k, f);
                w += k;
        }
        fputc_unlocked(' ', f);
}

/* Prints s escaped, padded to width (escaping may only widen it). */
static void cell(FILE *f, const char *s, int width)
{
        size_t n;
        char *buf = NULL;
        size_t blen = 0;
        FILE *m;

        if (plain_ascii(s, &n)) {
                pad(f, s, n, width);
                return;
        }
        m = open_memstream(&buf, &blen);
        if (!m) {
                ps_term_escape(f, s, (size_t)-1, false);
                fputc(' ', f);
                return;
        }
        ps_term_escape(m, s, (size_t)-1, false);
        fclose(m);
        pad(f, buf ? buf : "", buf ? blen : 0, width);
        free(buf);
}

void verdict_report_print_table(const struct verdict_report *r, FILE *f, bool color)
{
        const struct sockets_list *l = r->sockets;

        flockfile(f);
        fprintf(f, "%-5s %-24s %-5s %-7s %-15s %-10s %-22s %-11s %-6s %s\n", "PROTO", "ADDRESS", "PORT", "PID",
                "PROCESS", "USER", "UNIT", "VERDICT", "SEV", "REASON");
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                const struct verdict_item *v = &r->verdicts[i];
                const struct sockets_process *p = sockets_entry_owner(l, e, 0);
                char addr[96], pid[32], port[16];
                const char *user = verdict_report_user(r, i);

                report_format_local(e, addr, sizeof(addr));
                if (!e->listening) {
                        char ra[64];
                        sockets_format_addr(e->family, e->remote, ra, sizeof(ra));
                        size_t al = strlen(addr);
                        snprintf(addr + al, sizeof(addr) - al, "->%s", ra);
                }
                snprintf(port, sizeof(port), "%u", e->port);
                if (p)
                        snprintf(pid, sizeof(pid), "%d%s", (int)p->pid, e->nowners > 1 ? "+" : "");
                else
                        snprintf(pid, sizeof(pid), "-");
                {
                        const char *pn = sockets_proto_name(e->proto);
                        pad(f, pn, strlen(pn), 5);
                }
                cell(f, addr, 24);
                pad(f, port, strlen(port), 5);
                pad(f, pid, strlen(pid), 7);
                cell(f, p ? p->comm : "?", 15);
                cell(f, user, 10);
                cell(f, p && p->unit && *p->unit ? p->unit : "-", 22);
                {
                        const char *k = verdict_kind_name(v->kind), *sv = verdict_severity_name(v->severity);
                        if (color)
                                fputs(sev_color(v), f);
                        pad(f, k, strlen(k), 11);
                        pad(f, sv, strlen(sv), 6);
                        if (color)
                                fputs("\033[0m", f);
                }
                put_escaped(f, v->reason);
                fputc_unlocked('\n', f);
        }
        for (size_t i = 0; i < r->ngone; i++) {
                const struct baseline_entry *be = &r->context->baseline->v[r->gone[i]];
                char spec[96];
                baseline_entry_format(be, spec, sizeof(spec));
                fprintf(f, "gone: %s ", spec);
                ps_term_escape(f, be->process ? be->process : "*", (size_t)-1, false);
                fputs(" is in the baseline (", f);
                ps_term_escape(f, r->context->baseline->origin, (size_t)-1, false);
                fprintf(f, ":%u) but nothing listens there: ", be->line);
                ps_term_escape(f, be->reason, (size_t)-1, false);
                fputc('\n', f);
        }
        funlockfile(f);
}

void verdict_report_print_notes(const struct verdict_report *r, FILE *f)
{
        const struct sockets_list *l = r->sockets;
        size_t counts[VERDICT_NKINDS];
        size_t listeners = 0;

        verdict_report_counts(r, counts);
        for (unsigned k = 0; k < VERDICT_NKINDS; k++)
                listeners += counts[k];
        fprintf(f, "%zu listener%s: %zu suspicious, %zu mismatch, %zu unexplained, %zu info, %zu expected", listeners,
                listeners == 1 ? "" : "s", counts[VERDICT_SUSPICIOUS], counts[VERDICT_MISMATCH],
                counts[VERDICT_UNEXPLAINED], counts[VERDICT_INFO], counts[VERDICT_EXPECTED]);
        if (r->context->baseline)
                fprintf(f, "; %zu baseline entr%s gone", r->ngone, r->ngone == 1 ? "y" : "ies");
        fputc('\n', f);
        /* Every output names the registry it judged against. */
        portinfo_print_source(f, "", r->context->registry);
        if (l->owners.done && !l->owners.privileged)
                fprintf(f,
                        "note: the descriptors of %u process%s could not be read (%s), so %u socket%s show%s no "
                        "owner; the user column comes from the kernel's socket owner.\n",
                        l->owners.denied, l->owners.denied == 1 ? "" : "es", verdict_hidden_reason(l), l->owners.unowned,
                        l->owners.unowned == 1 ? "" : "s", l->owners.unowned == 1 ? "s" : "");
        for (unsigned p = 0; p < SOCKETS_NPROTO; p++)
                if (l->unsupported & (1u << p))
                        fprintf(f, "note: this kernel cannot list %s sockets (no %s_diag support)\n",
                                sockets_proto_name((enum sockets_proto)p), sockets_proto_name((enum sockets_proto)p));
}

