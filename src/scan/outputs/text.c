/* portscope scan — the table for people: one line per listed port with its registry status and
 * verdict, the explanation beside it. */
#include <stdlib.h>
#include <string.h>

#include "outputs.h"
#include "portscope/i18n.h"
#include "portscope/portinfo.h"
#include "portscope/util.h"

static const char *verdict_color(enum verdict_kind v)
{
        switch (v) {
        case VERDICT_EXPECTED: return "\033[32m";
        case VERDICT_SUSPICIOUS:
        case VERDICT_MISMATCH: return "\033[1;31m";
        case VERDICT_UNEXPLAINED: return "\033[33m";
        default: return "";
        }
}

static void print_port(FILE *f, const struct scan_report *rep, const struct scan_port_report *p, bool color)
{
        char pp[16], why[SCAN_EXPLANATION_MAX];
        snprintf(pp, sizeof(pp), "%u/%s", p->r.port, ps_proto_name(p->r.proto));
        const char *svc = p->service && p->service->name[0] ? p->service->name
                          : p->service && p->service->tcpwrapped ? "tcpwrapped" : "?";
        char *esvc = scan_escape(svc, strlen(svc));
        scan_report_explain(rep, p, why, sizeof(why));
        char *expl = scan_escape(why, strlen(why));
        const char *on = color ? verdict_color(p->verdict) : "", *off = color && *on ? "\033[0m" : "";
        const char *chg = p->change > 0 ? "+" : p->change < 0 ? "-" : " ";
        bool opened = p->r.state == SCAN_OPEN || p->r.state == SCAN_OPEN_FILTERED;
        fprintf(f, "%s %-11s %-14s %-16s ", chg, pp, scan_state_name(p->r.state), esvc ? esvc : "?");
        /* The registry's status and the verdict as the audit table says them, in the reader's
         * language; the states are nmap's words. */
        /* TRANSLATORS: the registry status of a port scanned without a registry (REGISTRY column). */
        const char *status = rep->registry ? _(registry_status_name(p->facts->status)) : ps_pgettext("registry status", "unknown");
        ps_put_padded(f, opened ? status : "", 23);
        fprintf(f, " %s", on);
        ps_put_padded(f, verdict_kind_label(p->verdict), 13);
        fprintf(f, "%s %s%s\n", off, expl ? expl : "", p->r.unconfirmed ? _(" [unconfirmed]") : "");
        free(esvc);
        free(expl);
        const struct scan_service *s = p->service;
        if (s && (s->product[0] || s->version[0] || s->info[0])) {
                char *d = scan_service_desc(s);
                fprintf(f, "  %-11s %s\n", "", d ? d : "");
                free(d);
        } else if (s && !s->name[0] && s->banner_len) {
                char *b = scan_escape((const char *)s->banner, s->banner_len > 80 ? 80 : s->banner_len);
                /* TRANSLATORS: %s is the first bytes a service sent, escaped. */
                fprintf(f, _("  %-11s banner: %s\n"), "", b ? b : "");
                free(b);
        }
}

/* Appends a phrase to a list of phrases ("3 open" + "2 closed" → "3 open, 2 closed"). */
static void append_phrase(char *list, size_t len, const char *phrase)
{
        char tmp[256];
        /* TRANSLATORS: joins two items of a list of counts ("3 open, 2 closed"); the first %s may
         * itself be a list. */
        snprintf(tmp, sizeof(tmp), ps_pgettext("list of counts", "%s, %s"), list, phrase);
        snprintf(list, len, "%s", tmp);
}

static int text_write(const struct scan_report *rep, FILE *f, bool color)
{
        uint64_t open = 0;
        size_t up = 0;
        for (size_t i = 0; i < rep->nhosts; i++) {
                const struct scan_host_report *h = &rep->hosts[i];
                size_t nopen = 0;
                /* The line counts every port: those listed below it (a few filtered ones are) and
                 * those only counted. */
                unsigned long long filtered = h->filtered, open_filtered = h->open_filtered;
                for (size_t j = 0; j < h->nports; j++) {
                        nopen += h->ports[j].r.state == SCAN_OPEN;
                        filtered += h->ports[j].r.state == SCAN_FILTERED;
                        open_filtered += h->ports[j].r.state == SCAN_OPEN_FILTERED;
                }
                open += nopen;
                up += h->up;
                if (!h->up && !scan_host_shown(rep, h))
                        continue;
                char a[64];
                scan_addr_str(&h->addr, a, sizeof(a));
                char *name = h->name ? scan_escape(h->name, strlen(h->name)) : NULL;
                /* Each count is its own phrase (ps_ngettext), the phrases joined into a list. */
                char counts[256], phrase[96];
                /* TRANSLATORS: how many of a host's listed ports are open (after "ADDRESS: "). */
                snprintf(counts, sizeof(counts), ps_ngettext("%zu open", "%zu open", (unsigned long)nopen), nopen);
                if (h->closed) {
                        /* TRANSLATORS: how many of a host's ports are closed (nmap's state). */
                        snprintf(phrase, sizeof(phrase), ps_ngettext("%llu closed", "%llu closed", (unsigned long)h->closed),
                                 (unsigned long long)h->closed);
                        append_phrase(counts, sizeof(counts), phrase);
                }
                if (filtered) {
                        /* TRANSLATORS: how many of a host's ports are filtered (nmap's state). */
                        snprintf(phrase, sizeof(phrase),
                                 ps_ngettext("%llu filtered", "%llu filtered", (unsigned long)filtered), filtered);
                        append_phrase(counts, sizeof(counts), phrase);
                }
                if (open_filtered) {
                        /* TRANSLATORS: how many of a host's ports did not answer (nmap's state
                         * "open|filtered", not translated; "silent" explains it). */
                        snprintf(phrase, sizeof(phrase),
                                 ps_ngettext("%llu open|filtered (silent)", "%llu open|filtered (silent)",
                                             (unsigned long)open_filtered),
                                 open_filtered);
                        append_phrase(counts, sizeof(counts), phrase);
                }
                if (h->name)
                        /* TRANSLATORS: an address, its name, then the counts of its ports ("3 open, 2 closed"). */
                        fprintf(f, ps_pgettext("scan host line", "%s (%s): %s"), a, name ? name : "", counts);
                else
                        /* TRANSLATORS: an address, then the counts of its ports ("3 open, 2 closed"). */
                        fprintf(f, ps_pgettext("scan host line", "%s: %s"), a, counts);
                free(name);
                fputc('\n', f);
                /* A host with nothing to list (every port silent): its line says it all. */
                if (h->nports == 0)
                        continue;
                /* The column headings; the states below them are nmap's words, not translated. */
                fputs("  ", f);
                /* TRANSLATORS: a column heading of the scan table (upper case in English). */
                ps_put_padded(f, _("PORT"), 11);
                fputc(' ', f);
                /* TRANSLATORS: a column heading of the scan table. */
                ps_put_padded(f, _("STATE"), 14);
                fputc(' ', f);
                /* TRANSLATORS: a column heading of the scan table. */
                ps_put_padded(f, _("SERVICE"), 16);
                fputc(' ', f);
                /* TRANSLATORS: a column heading of the scan table: the port's IANA status. */
                ps_put_padded(f, _("REGISTRY"), 23);
                fputc(' ', f);
                /* TRANSLATORS: a column heading of the scan table. */
                ps_put_padded(f, _("VERDICT"), 13);
                fputc(' ', f);
                /* TRANSLATORS: a column heading of the scan table: the explanation of the verdict. */
                fputs(_("WHY"), f);
                fputc('\n', f);
                for (size_t j = 0; j < h->nports; j++)
                        print_port(f, rep, &h->ports[j], color);
                fputc('\n', f);
        }
        if (rep->changes)
                for (size_t i = 0; i < rep->ngone; i++) {
                        const struct scan_port_report *g = &rep->gone[i];
                        char a[64];
                        scan_addr_str(&g->r.addr, a, sizeof(a));
                        /* TRANSLATORS: an address, a port number and its protocol ("tcp"). */
                        fprintf(f, _("- %s %u/%s was open in the previous scan, not now\n"), a, g->r.port,
                                ps_proto_name(g->r.proto));
                }
        const struct scan_stats *s = &rep->stats;
        /* The summary holds several counts: each is its own phrase (ps_ngettext), placed in one
         * sentence whose order the translator chooses. */
        char nopen[64], nhosts[64], nports[80], nprobes[64], nreplies[64];
        size_t np = rep->ports ? rep->ports->n : 0;
        snprintf(nopen, sizeof(nopen), ps_ngettext("%llu open port", "%llu open ports", (unsigned long)open),
                 (unsigned long long)open);
        snprintf(nhosts, sizeof(nhosts), ps_ngettext("%zu host", "%zu hosts", (unsigned long)up), up);
        /* TRANSLATORS: a count of ports and their protocol ("1000 tcp ports"). */
        snprintf(nports, sizeof(nports), ps_ngettext("%zu %s port", "%zu %s ports", (unsigned long)np), np,
                 ps_proto_name(rep->proto));
        snprintf(nprobes, sizeof(nprobes), ps_ngettext("%llu probe", "%llu probes", (unsigned long)s->sent),
                 (unsigned long long)s->sent);
        snprintf(nreplies, sizeof(nreplies), ps_ngettext("%llu reply", "%llu replies", (unsigned long)s->replies),
                 (unsigned long long)s->replies);
        /* TRANSLATORS: the scan's summary: "3 open ports on 1 host; connect scan of 1000 tcp ports,
         * 0.52 s, 1000 probes, 1003 replies". The %s are, in order: the open ports, the hosts, the
         * engine's name (connect, syn, udp: not translated), the ports scanned, then seconds, probes
         * and replies. Reorder with %1$s ... %7$s if needed. */
        fprintf(f, _("%s on %s; %s scan of %s, %.2f s, %s, %s"), nopen, nhosts, scan_engine_name(rep->engine), nports,
                s->elapsed, nprobes, nreplies);
        /* TRANSLATORS: clauses appended to the scan's summary. */
        if (s->passes > 1)
                fprintf(f, ps_ngettext(", %u pass", ", %u passes", s->passes), s->passes);
        if (s->capture_drops)
                fprintf(f, ps_ngettext(", %llu reply dropped by the capture ring", ", %llu replies dropped by the capture ring",
                                       (unsigned long)s->capture_drops),
                        (unsigned long long)s->capture_drops);
        if (rep->nshards > 1)
                fprintf(f, _(", shard %u/%u"), rep->shard + 1, rep->nshards);
        if (s->icmp_limited)
                fputs(_("; the target limits its ICMP messages, silent ports are unconfirmed"), f);
        else if (s->udp_budget_spent)
                fputs(_("; --udp-budget ran out before the silent ports were retried enough: they are unconfirmed"), f);
        if (s->interrupted)
                fputs(_("; interrupted"), f);
        fputc('\n', f);
        if (rep->registry)
                portinfo_print_source(f, "", rep->registry);
        else
                fputs(_("registry: none found (statuses are unknown; see portscope update or --registry FILE)\n"), f);
        return ferror(f) ? -EIO : 0;
}

const struct scan_output scan_output_text = {
        .name = "text",
        .help = "a table per host: port, state, service, registry status, verdict and why",
        .write = text_write,
};
