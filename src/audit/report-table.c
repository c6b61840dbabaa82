/* The audit report as a table for people, and the notes under it. */
#include "portscope/verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/i18n.h"
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

/* Writes a translated word padded to width columns (its width measured once by the caller). */
static void pad_word(FILE *f, const char *s, size_t w, int width)
{
        fputs_unlocked(s, f);
        for (; w < (size_t)width; w++)
                fputc_unlocked(' ', f);
        fputc_unlocked(' ', f);
}

/* The port of a row, and "xN" after it when the row stands for N sockets (one program's
 * SO_REUSEPORT group): "8080x4", in ASCII whatever the terminal's character set. Returns its
 * length. */
static int port_cell(const struct sockets_entry *e, char *buf, size_t len)
{
        int n = e->merged ? snprintf(buf, len, "%ux%lu", e->port, (unsigned long)e->merged + 1)
                          : snprintf(buf, len, "%u", e->port);
        if (n < 0 || (size_t)n >= len)
                n = 0;
        buf[n] = '\0';
        return n;
}

void verdict_report_print_table(const struct verdict_report *r, FILE *f, bool color)
{
        const struct sockets_list *l = r->sockets;
        /* TRANSLATORS: the headings of the audit table: a column widens for a longer heading (English widths:
         * PROTO 6, ADDRESS 24, PORT 5, PID 7, PROCESS 15, USER 10, UNIT 22, VERDICT 11, SEV 6). */
        const char *heads[] = { _("PROTO"),   _("ADDRESS"), ps_pgettext("audit table heading", "PORT"),    _("PID"), _("PROCESS"),
                                _("USER"),    _("UNIT"),    _("VERDICT"), _("SEV") };
        /* Each column is as wide as English needs, or as its heading and words in the reader's
         * language need when they are longer. */
        int widths[] = { 6, 24, 5, 7, 15, 10, 22, 11, 6 }; /* PROTO: "packet" */
        enum { W_PROTO, W_ADDR, W_PORT, W_PID, W_PROC, W_USER, W_UNIT, W_VERDICT, W_SEV };
        const char *kinds[VERDICT_NKINDS], *sevs[4];
        size_t kind_w[VERDICT_NKINDS], sev_w[4];

        for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
                if ((int)ps_text_width(heads[i]) > widths[i])
                        widths[i] = (int)ps_text_width(heads[i]);
        for (unsigned k = 0; k < VERDICT_NKINDS; k++) {
                kind_w[k] = ps_text_width(kinds[k] = verdict_kind_label((enum verdict_kind)k));
                if ((int)kind_w[k] > widths[W_VERDICT])
                        widths[W_VERDICT] = (int)kind_w[k];
        }
        for (unsigned k = 0; k < 4; k++) {
                sev_w[k] = ps_text_width(sevs[k] = verdict_severity_label((enum verdict_severity)k));
                if ((int)sev_w[k] > widths[W_SEV])
                        widths[W_SEV] = (int)sev_w[k];
        }
        /* A user or unit longer than its column (Debian-exim, systemd-resolved.service) widens it,
         * up to a point: a row's columns stay aligned with the heading's. So does a port with its
         * count of sockets. */
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_process *p = sockets_entry_owner(l, &l->v[i], 0);
                char port[32];
                int pw = port_cell(&l->v[i], port, sizeof(port));
                if (pw > widths[W_PORT])
                        widths[W_PORT] = pw;
                size_t u = strlen(verdict_report_user(r, i)), n = p && p->unit ? strlen(p->unit) : 0;
                if (u > (size_t)widths[W_USER] && u <= 32)
                        widths[W_USER] = (int)u;
                if (n > (size_t)widths[W_UNIT] && n <= 40)
                        widths[W_UNIT] = (int)n;
        }
        flockfile(f);
        for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
                pad_word(f, heads[i], ps_text_width(heads[i]), widths[i]);
        fputs_unlocked(_("REASON"), f);
        fputc_unlocked('\n', f);
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                const struct verdict_item *v = &r->verdicts[i];
                const struct sockets_process *p = sockets_entry_owner(l, e, 0);
                char addr[96], pid[32], port[32];
                const char *user = verdict_report_user(r, i);

                report_format_local(e, addr, sizeof(addr));
                if (!e->listening) {
                        char ra[64];
                        sockets_format_addr(e->family, e->remote, ra, sizeof(ra));
                        size_t al = strlen(addr);
                        snprintf(addr + al, sizeof(addr) - al, "->%s", ra);
                }
                int port_len = port_cell(e, port, sizeof(port));
                if (p)
                        snprintf(pid, sizeof(pid), "%d%s", (int)p->pid, e->nowners > 1 ? "+" : "");
                else
                        snprintf(pid, sizeof(pid), "-");
                {
                        const char *pn = sockets_proto_name(e->proto);
                        pad(f, pn, strlen(pn), widths[W_PROTO]);
                }
                cell(f, addr, widths[W_ADDR]);
                pad(f, port, (size_t)port_len, widths[W_PORT]);
                pad(f, pid, strlen(pid), widths[W_PID]);
                cell(f, p ? p->comm : "?", widths[W_PROC]);
                cell(f, user, widths[W_USER]);
                cell(f, p && p->unit && *p->unit ? p->unit : "-", widths[W_UNIT]);
                {
                        unsigned kk = (unsigned)v->kind < VERDICT_NKINDS ? (unsigned)v->kind : 0;
                        unsigned ss = (unsigned)v->severity < 4 ? (unsigned)v->severity : 0;
                        if (color)
                                fputs(sev_color(v), f);
                        pad_word(f, kinds[kk], kind_w[kk], widths[W_VERDICT]);
                        pad_word(f, sevs[ss], sev_w[ss], widths[W_SEV]);
                        if (color)
                                fputs("\033[0m", f);
                }
                put_escaped(f, v->reason);
                fputc_unlocked('\n', f);
        }
        for (size_t i = 0; i < r->ngone; i++) {
                const struct baseline_entry *be = &r->context->baseline->v[r->gone[i]];
                char spec[96];
                char *proc = ps_term_escape_dup(be->process ? be->process : "*");
                char *origin = ps_term_escape_dup(r->context->baseline->origin);
                char *why = ps_term_escape_dup(be->reason);

                baseline_entry_format(be, spec, sizeof(spec));
                /* TRANSLATORS: "gone: 22/tcp sshd is in the baseline (FILE:LINE) but nothing listens there: REASON" */
                fprintf(f, _("gone: %s %s is in the baseline (%s:%u) but nothing listens there: %s\n"), spec,
                        proc ? proc : "", origin ? origin : "", be->line, why ? why : "");
                free(proc);
                free(origin);
                free(why);
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
        fprintf(f,
                ps_ngettext("%zu listener: %zu suspicious, %zu mismatch, %zu unexplained, %zu info, %zu expected",
                            "%zu listeners: %zu suspicious, %zu mismatch, %zu unexplained, %zu info, %zu expected",
                            listeners),
                listeners, counts[VERDICT_SUSPICIOUS], counts[VERDICT_MISMATCH], counts[VERDICT_UNEXPLAINED],
                counts[VERDICT_INFO], counts[VERDICT_EXPECTED]);
        if (r->context->baseline)
                fprintf(f, ps_ngettext("; %zu baseline entry gone", "; %zu baseline entries gone", r->ngone), r->ngone);
        fputc('\n', f);
        /* Every output names the registry it judged against. */
        portinfo_print_source(f, "", r->context->registry);
        if (l->owners.done && !l->owners.privileged)
        {
                /* Two sentences, each with its own count. */
                fprintf(f,
                        /* TRANSLATORS: the reason in parentheses is a sentence of its own (not root: ...). */
                        ps_ngettext("note: the descriptors of %u process could not be read (%s).",
                                    "note: the descriptors of %u processes could not be read (%s).", l->owners.denied),
                        l->owners.denied, verdict_hidden_reason(l));
                fputc(' ', f);
                fprintf(f,
                        ps_ngettext("%u socket shows no owner; the user column comes from the kernel's socket owner.\n",
                                    "%u sockets show no owner; the user column comes from the kernel's socket owner.\n",
                                    l->owners.unowned),
                        l->owners.unowned);
        }
        for (unsigned p = 0; p < SOCKETS_NPROTO; p++)
                if (l->unsupported & (1u << p))
                        fprintf(f, _("note: this kernel cannot list %s sockets (no %s_diag support)\n"),
                                sockets_proto_name((enum sockets_proto)p), sockets_proto_name((enum sockets_proto)p));
}

