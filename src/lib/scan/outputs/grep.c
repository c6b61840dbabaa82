/* portscope scan — nmap's greppable format (-oG): one line per host. */
#include <stdlib.h>
#include <string.h>

#include "outputs.h"

/* Greppable fields are separated by '/' and ','; those characters become spaces. */
static void field(FILE *f, const char *s)
{
        char *e = scan_escape(s, strlen(s));
        for (const char *p = e ? e : ""; *p; p++)
                fputc(*p == '/' || *p == ',' || *p == '\t' ? ' ' : *p, f);
        free(e);
}

static int grep_write(const struct scan_report *rep, FILE *f, bool color)
{
        fprintf(f, "# portscope %s scan initiated %lld as: %s\n", scan_engine_name(rep->engine), rep->start,
                rep->args ? rep->args : "portscope scan");
        for (size_t i = 0; i < rep->nhosts; i++) {
                const struct scan_host_report *h = &rep->hosts[i];
                char a[64];
                scan_addr_str(&h->addr, a, sizeof(a));
                fprintf(f, "Host: %s (%s)\tStatus: %s\n", a, h->name ? h->name : "", h->up ? "Up" : "Down");
                if (h->nports == 0)
                        continue;
                fprintf(f, "Host: %s (%s)\tPorts: ", a, h->name ? h->name : "");
                for (size_t j = 0; j < h->nports; j++) {
                        const struct scan_port_report *p = &h->ports[j];
                        fprintf(f, "%s%u/%s/%s//", j ? ", " : "", p->r.port, scan_state_name(p->r.state),
                                ps_proto_name(p->r.proto));
                        field(f, p->service ? p->service->name : "");
                        fputs("//", f);
                        if (p->service) {
                                char *d = scan_service_desc(p->service);
                                field(f, d ? d : "");
                                free(d);
                        }
                        fputc('/', f);
                }
                if (h->closed)
                        fprintf(f, "\tIgnored State: closed (%llu)", (unsigned long long)h->closed);
                fputc('\n', f);
        }
        size_t up = 0;
        for (size_t i = 0; i < rep->nhosts; i++)
                up += rep->hosts[i].up;
        uint64_t total = rep->targets ? scan_targets_count(rep->targets) : rep->nhosts;
        fprintf(f, "# portscope done: %llu IP addresses (%zu hosts up) scanned in %.2f seconds\n",
                (unsigned long long)(total < up ? up : total), up, rep->stats.elapsed);
        return ferror(f) ? -EIO : 0;
}

const struct scan_output scan_output_grep = {
        .name = "grep",
        .help = "nmap's greppable format: one line per host",
        .write = grep_write,
};
