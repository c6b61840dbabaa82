/* portscope scan — nmap's XML format (-oX), valid against nmap.dtd so that existing report
 * tools read it. The DTD only allows scanner="nmap"; profile_name and a comment say who wrote it.
 * Registry status and verdict travel as a <script id="portscope-verdict"> per port. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "outputs.h"

static void attr(FILE *f, const char *name, const char *value)
{
        char *e = scan_escape(value, strlen(value));
        fprintf(f, " %s=\"", name);
        scan_xml_escape(f, e ? e : "");
        fputc('"', f);
        free(e);
}

static void services_attr(FILE *f, const struct scan_ports *p)
{
        fputs(" services=\"", f);
        for (size_t i = 0; p && p->ports && i < p->n;) /* merged: only a count */ {
                size_t j = i;
                while (j + 1 < p->n && p->ports[j + 1] == p->ports[j] + 1)
                        j++;
                if (i)
                        fputc(',', f);
                if (j > i)
                        fprintf(f, "%u-%u", p->ports[i], p->ports[j]);
                else
                        fprintf(f, "%u", p->ports[i]);
                i = j + 1;
        }
        fputc('"', f);
}

static const char *scan_type(enum scan_engine e)
{
        return e == SCAN_ENGINE_SYN ? "syn" : e == SCAN_ENGINE_UDP ? "udp" : "connect";
}

static int xml_write(const struct scan_report *rep, FILE *f, bool color)
{
        char ts[64];
        scan_timestr(rep->start, ts, sizeof(ts));
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n", f);
        fprintf(f, "<!-- portscope %s scan, nmap-compatible output -->\n", PORTSCOPE_VERSION);
        fputs("<nmaprun scanner=\"nmap\"", f);
        attr(f, "args", rep->args ? rep->args : "portscope scan");
        fprintf(f, " start=\"%lld\"", rep->start);
        attr(f, "startstr", ts);
        fprintf(f, " version=\"%s\" profile_name=\"portscope\" xmloutputversion=\"1.05\">\n", PORTSCOPE_VERSION);
        fprintf(f, "<scaninfo type=\"%s\" protocol=\"%s\" numservices=\"%zu\"", scan_type(rep->engine),
                ps_proto_name(rep->proto), rep->ports ? rep->ports->n : 0);
        services_attr(f, rep->ports);
        fputs("/>\n<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n", f);
        size_t up = 0;
        for (size_t i = 0; i < rep->nhosts; i++) {
                const struct scan_host_report *h = &rep->hosts[i];
                char a[64];
                scan_addr_str(&h->addr, a, sizeof(a));
                up += h->up;
                if (!h->up && !scan_host_shown(rep, h))
                        continue; /* a sweep's absent host */
                fprintf(f, "<host starttime=\"%lld\" endtime=\"%lld\"><status state=\"%s\" reason=\"%s\" "
                           "reason_ttl=\"0\"/>\n",
                        rep->start, rep->end, h->up ? "up" : "down", h->up ? "reply" : "no-response");
                fprintf(f, "<address addr=\"%s\" addrtype=\"%s\"/>\n", a, h->addr.family == AF_INET ? "ipv4" : "ipv6");
                if (h->name) {
                        fputs("<hostnames><hostname", f);
                        attr(f, "name", h->name);
                        fputs(" type=\"user\"/></hostnames>\n", f);
                }
                fputs("<ports>", f);
                if (h->closed)
                        fprintf(f, "<extraports state=\"closed\" count=\"%llu\"><extrareasons reason=\"%s\" "
                                   "count=\"%llu\"/></extraports>\n",
                                (unsigned long long)h->closed,
                                rep->engine == SCAN_ENGINE_CONNECT ? "conn-refused" :
                                rep->engine == SCAN_ENGINE_UDP ? "port-unreach" : "reset",
                                (unsigned long long)h->closed);
                if (h->filtered)
                        fprintf(f, "<extraports state=\"filtered\" count=\"%llu\"><extrareasons reason=\"no-response\" "
                                   "count=\"%llu\"/></extraports>\n",
                                (unsigned long long)h->filtered, (unsigned long long)h->filtered);
                if (h->open_filtered)
                        fprintf(f, "<extraports state=\"open|filtered\" count=\"%llu\"><extrareasons "
                                   "reason=\"no-response\" count=\"%llu\"/></extraports>\n",
                                (unsigned long long)h->open_filtered, (unsigned long long)h->open_filtered);
                for (size_t j = 0; j < h->nports; j++) {
                        const struct scan_port_report *p = &h->ports[j];
                        fprintf(f, "<port protocol=\"%s\" portid=\"%u\"><state state=\"%s\" reason=\"%s\" "
                                   "reason_ttl=\"%u\"/>",
                                ps_proto_name(p->r.proto), p->r.port, scan_state_name(p->r.state),
                                scan_reason_name(p->r.reason), p->r.ttl);
                        const struct scan_service *s = p->service;
                        if (s && s->name[0]) {
                                fputs("<service", f);
                                attr(f, "name", s->name);
                                if (s->product[0])
                                        attr(f, "product", s->product);
                                if (s->version[0])
                                        attr(f, "version", s->version);
                                if (s->info[0])
                                        attr(f, "extrainfo", s->info);
                                if (s->tls)
                                        fputs(" tunnel=\"ssl\"", f);
                                fprintf(f, " method=\"probed\" conf=\"%d\"/>", s->soft ? 8 : 10);
                        } else if (s && s->tcpwrapped) {
                                fputs("<service name=\"tcpwrapped\" method=\"probed\" conf=\"8\"/>", f);
                        } else if (p->facts->registered[0]) {
                                char name[64];
                                scan_registered_name(p, name, sizeof(name));
                                fputs("<service", f);
                                attr(f, "name", name);
                                fputs(" method=\"table\" conf=\"3\"/>", f);
                        }
                        if (p->r.state == SCAN_OPEN || p->r.state == SCAN_OPEN_FILTERED) {
                                char out[SCAN_EXPLANATION_MAX + 128], why[SCAN_EXPLANATION_MAX];
                                scan_report_explain(rep, p, why, sizeof(why));
                                snprintf(out, sizeof(out), "registry: %s; verdict: %s; %s",
                                         rep->registry ? registry_status_name(p->facts->status) : "unknown",
                                         scan_verdict_name(p->verdict), why);
                                fputs("<script id=\"portscope-verdict\"", f);
                                attr(f, "output", out);
                                fputs("/>", f);
                        }
                        fputs("</port>\n", f);
                }
                fputs("</ports>\n</host>\n", f);
        }
        char te[64];
        scan_timestr(rep->end, te, sizeof(te));
        fprintf(f, "<runstats><finished time=\"%lld\"", rep->end);
        attr(f, "timestr", te);
        uint64_t total = scan_total_hosts(rep, up);
        /* An interrupted scan is no success (nmap.dtd: exit "error" with an errormsg). */
        fprintf(f, " elapsed=\"%.2f\" summary=\"%llu IP addresses (%zu hosts up) scanned in %.2f seconds\" "
                   "exit=\"%s\"%s/><hosts up=\"%zu\" down=\"%llu\" total=\"%llu\"/></runstats>\n</nmaprun>\n",
                rep->stats.elapsed, (unsigned long long)total, up, rep->stats.elapsed,
                rep->stats.interrupted ? "error" : "success", rep->stats.interrupted ? " errormsg=\"interrupted\"" : "",
                up, (unsigned long long)(total - up), (unsigned long long)total);
        return ferror(f) ? -EIO : 0;
}

const struct scan_output scan_output_xml = {
        .name = "xml",
        .help = "nmap's XML (-oX), valid against nmap.dtd",
        .write = xml_write,
};
