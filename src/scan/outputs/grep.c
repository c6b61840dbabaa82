/* portscope scan — nmap's greppable format (-oG): one line per host. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "outputs.h"

/* Greppable fields are separated by '/' and ','; as nmap does, '/' becomes '|', and ',' and tabs
 * become spaces. Control characters were escaped first, so a field is one line. */
/* Text already escaped, with the field separators of -oG replaced. */
static void put_escaped(FILE *f, const char *e)
{
        for (const char *p = e; *p; p++)
                fputc(*p == '/' ? '|' : *p == ',' || *p == '\t' ? ' ' : *p, f);
}

static void field(FILE *f, const char *s)
{
        char *e = scan_escape(s, strlen(s));
        put_escaped(f, e ? e : "");
        free(e);
}

static int grep_write(const struct scan_report *rep, FILE *f, bool color)
{
        char when[64];
        scan_timestr(rep->start, when, sizeof(when));
        char *args = scan_escape(rep->args ? rep->args : "portscope scan", strlen(rep->args ? rep->args : "portscope scan"));
        fprintf(f, "# portscope %s (%s scan) initiated %s as: %s\n", PORTSCOPE_VERSION, scan_engine_name(rep->engine),
                when, args ? args : "");
        free(args);
        size_t up = 0;
        for (size_t i = 0; i < rep->nhosts; i++) {
                const struct scan_host_report *h = &rep->hosts[i];
                char a[64];
                scan_addr_str(&h->addr, a, sizeof(a));
                up += h->up;
                if (!h->up && !scan_host_shown(rep, h))
                        continue; /* a sweep's absent host */
                char *name = scan_escape(h->name ? h->name : "", h->name ? strlen(h->name) : 0);
                fprintf(f, "Host: %s (%s)\tStatus: %s\n", a, name ? name : "", h->up ? "Up" : "Down");
                if (h->nports == 0 && !h->closed && !h->filtered) {
                        free(name);
                        continue;
                }
                fprintf(f, "Host: %s (%s)%s", a, name ? name : "", h->nports ? "\tPorts: " : "");
                free(name);
                for (size_t j = 0; j < h->nports; j++) {
                        const struct scan_port_report *p = &h->ports[j];
                        fprintf(f, "%s%u/%s/%s//", j ? ", " : "", p->r.port, scan_state_name(p->r.state),
                                ps_proto_name(p->r.proto));
                        /* The service found, else (like nmap) the registry's name for the port. */
                        char reg[sizeof(p->facts->registered)];
                        scan_registered_name(p, reg, sizeof(reg));
                        field(f, p->service && p->service->name[0] ? p->service->name
                                 : p->service && p->service->tcpwrapped ? "tcpwrapped"
                                                                        : reg);
                        fputs("//", f);
                        if (p->service) {
                                char *d = scan_service_desc(p->service); /* escaped */
                                put_escaped(f, d ? d : "");
                                free(d);
                        }
                        fputc('/', f);
                }
                if (h->closed)
                        fprintf(f, "\tIgnored State: closed (%llu)", (unsigned long long)h->closed);
                if (h->filtered)
                        fprintf(f, "\tIgnored State: filtered (%llu)", (unsigned long long)h->filtered);
                fputc('\n', f);
        }
        fprintf(f, "# portscope %s: %llu IP addresses (%zu hosts up) scanned in %.2f seconds\n",
                rep->stats.interrupted ? "interrupted" : "done", (unsigned long long)scan_total_hosts(rep, up), up,
                rep->stats.elapsed);
        return ferror(f) ? -EIO : 0;
}

const struct scan_output scan_output_grep = {
        .name = "grep",
        .help = "nmap's greppable format: one line per host",
        .write = grep_write,
};
