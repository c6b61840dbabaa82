/* portscope scan — the table for people: one line per listed port with its registry status and
 * verdict, the explanation beside it. */
#include <stdlib.h>
#include <string.h>

#include "outputs.h"
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
        fprintf(f, "%s %-11s %-14s %-16s %-23s %s%-13s%s %s%s\n", chg, pp, scan_state_name(p->r.state),
                esvc ? esvc : "?", p->r.state == SCAN_OPEN || p->r.state == SCAN_OPEN_FILTERED ?
                                           (rep->registry ? registry_status_name(p->facts->status) : "unknown") : "",
                on, scan_verdict_name(p->verdict), off, expl ? expl : "",
                p->r.unconfirmed ? " [unconfirmed]" : "");
        free(esvc);
        free(expl);
        const struct scan_service *s = p->service;
        if (s && (s->product[0] || s->version[0])) {
                char *d = scan_service_desc(s);
                fprintf(f, "  %-11s %s\n", "", d ? d : "");
                free(d);
        } else if (s && !s->name[0] && s->banner_len) {
                char *b = scan_escape((const char *)s->banner, s->banner_len > 80 ? 80 : s->banner_len);
                fprintf(f, "  %-11s banner: %s\n", "", b ? b : "");
                free(b);
        }
}

static int text_write(const struct scan_report *rep, FILE *f, bool color)
{
        uint64_t open = 0;
        size_t up = 0;
        for (size_t i = 0; i < rep->nhosts; i++) {
                const struct scan_host_report *h = &rep->hosts[i];
                size_t nopen = 0;
                for (size_t j = 0; j < h->nports; j++)
                        nopen += h->ports[j].r.state == SCAN_OPEN;
                open += nopen;
                up += h->up;
                if (h->nports == 0 && !rep->all_states && !h->open_filtered)
                        continue;
                char a[64];
                scan_addr_str(&h->addr, a, sizeof(a));
                fprintf(f, "%s%s%s%s: %zu open", a, h->name ? " (" : "", h->name ? h->name : "", h->name ? ")" : "",
                        nopen);
                if (h->closed)
                        fprintf(f, ", %llu closed", (unsigned long long)h->closed);
                if (h->filtered)
                        fprintf(f, ", %llu filtered", (unsigned long long)h->filtered);
                if (h->open_filtered)
                        fprintf(f, ", %llu open|filtered (silent)", (unsigned long long)h->open_filtered);
                fputc('\n', f);
                fprintf(f, "  %-11s %-14s %-16s %-23s %-13s %s\n", "PORT", "STATE", "SERVICE", "REGISTRY", "VERDICT",
                        "WHY");
                for (size_t j = 0; j < h->nports; j++)
                        print_port(f, rep, &h->ports[j], color);
                fputc('\n', f);
        }
        if (rep->changes)
                for (size_t i = 0; i < rep->ngone; i++) {
                        const struct scan_port_report *g = &rep->gone[i];
                        char a[64];
                        scan_addr_str(&g->r.addr, a, sizeof(a));
                        fprintf(f, "- %s %u/%s was open in the previous scan, not now\n", a, g->r.port,
                                ps_proto_name(g->r.proto));
                }
        const struct scan_stats *s = &rep->stats;
        fprintf(f, "%llu open port%s on %zu host%s; %s scan of %zu %s port%s, %.2f s, %llu probes, %llu replies",
                (unsigned long long)open, open == 1 ? "" : "s", up, up == 1 ? "" : "s", scan_engine_name(rep->engine),
                rep->ports ? rep->ports->n : 0, ps_proto_name(rep->proto), rep->ports && rep->ports->n == 1 ? "" : "s",
                s->elapsed, (unsigned long long)s->sent, (unsigned long long)s->replies);
        if (s->passes > 1)
                fprintf(f, ", %u passes", s->passes);
        if (s->capture_drops)
                fprintf(f, ", %llu replies dropped by the capture ring", (unsigned long long)s->capture_drops);
        if (rep->nshards > 1)
                fprintf(f, ", shard %u/%u", rep->shard + 1, rep->nshards);
        if (s->icmp_limited)
                fprintf(f, "; the target limits its ICMP messages, silent ports are unconfirmed");
        if (s->interrupted)
                fprintf(f, "; interrupted");
        fputc('\n', f);
        if (rep->registry)
                portinfo_print_source(f, "", rep->registry);
        else
                fputs("registry: none found (statuses are unknown; see portscope update or --registry FILE)\n", f);
        return ferror(f) ? -EIO : 0;
}

const struct scan_output scan_output_text = {
        .name = "text",
        .help = "a table per host: port, state, service, registry status, verdict and why",
        .write = text_write,
};
