/* portscope scan — nmap's greppable format (-oG): one line per host, in nmap's shape, so that a
 * grep, awk or cut pipeline written for nmap's output reads it unchanged:
 *
 *   # portscope 0.1.0 scan initiated Thu Dec  3 20:25:50 2026 as: portscope scan -p 22,80 ...
 *   Host: 198.18.0.2 ()\tStatus: Up
 *   Host: 198.18.0.2 ()\tPorts: 22/open/tcp//ssh//OpenSSH 9.2p1/, 80/filtered/tcp//http///\tIgnored State: closed (998)
 *   # portscope done at Thu Dec  3 20:25:51 2026 -- 1 IP address (1 host up) scanned in 0.61 seconds
 *
 * The first two words of the comments name portscope where nmap's say "Nmap"; the rest is
 * nmap's. */
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

/* nmap's line has room for one "Ignored State" field: the state of most ports among those counted
 * and not listed (closed, then filtered, then open|filtered on a tie). A second field would move
 * every field after it for a reader that splits on tabs. NULL when nothing is counted. */
static const char *ignored_state(const struct scan_host_report *h, uint64_t *ret_n)
{
        const char *name = NULL;
        uint64_t n = 0;
        if (h->closed > n)
                name = "closed", n = h->closed;
        if (h->filtered > n)
                name = "filtered", n = h->filtered;
        if (h->open_filtered > n)
                name = "open|filtered", n = h->open_filtered;
        *ret_n = n;
        return name;
}

static void port_entry(FILE *f, const struct scan_port_report *p)
{
        /* port/state/protocol/owner/service/rpc_info/version/ */
        fprintf(f, "%u/%s/%s//", p->r.port, scan_state_name(p->r.state), ps_proto_name(p->r.proto));
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

static int grep_write(const struct scan_report *rep, FILE *f, bool color)
{
        (void)color;
        char when[64];
        scan_timestr(rep->start, when, sizeof(when));
        const char *cmd = rep->args ? rep->args : "portscope scan";
        char *args = scan_escape(cmd, strlen(cmd));
        fprintf(f, "# portscope %s scan initiated %s as: %s\n", PORTSCOPE_VERSION, when, args ? args : "");
        free(args);
        size_t up = 0;
        for (size_t i = 0; i < rep->nhosts; i++) {
                const struct scan_host_report *h = &rep->hosts[i];
                if (!h->up && !scan_host_shown(rep, h))
                        continue; /* a sweep's absent host */
                /* A host listed is up, as nmap -Pn (which portscope's listing follows) writes every
                 * host it lists, silent or not: nmap writes no port of a host it calls down. */
                up++;
                char a[64];
                scan_addr_str(&h->addr, a, sizeof(a));
                char *name = scan_escape(h->name ? h->name : "", h->name ? strlen(h->name) : 0);
                fprintf(f, "Host: %s (%s)\tStatus: Up\n", a, name ? name : "");
                /* nmap writes the Ports field even when every port is counted ("Ports: \tIgnored State: ..."). */
                fprintf(f, "Host: %s (%s)\tPorts: ", a, name ? name : "");
                free(name);
                for (size_t j = 0; j < h->nports; j++) {
                        if (j)
                                fputs(", ", f);
                        port_entry(f, &h->ports[j]);
                }
                uint64_t n;
                const char *ignored = ignored_state(h, &n);
                if (ignored)
                        fprintf(f, "\tIgnored State: %s (%llu)", ignored, (unsigned long long)n);
                fputc('\n', f);
        }
        uint64_t total = scan_total_hosts(rep, up);
        scan_timestr(rep->end ? rep->end : rep->start, when, sizeof(when));
        /* An interrupted scan has no "done" line: a script that waits for nmap's finds none. */
        fprintf(f, "# portscope %s at %s -- %llu IP address%s (%zu host%s up) scanned in %.2f seconds\n",
                rep->stats.interrupted ? "interrupted" : "done", when, (unsigned long long)total,
                total == 1 ? "" : "es", up, up == 1 ? "" : "s", rep->stats.elapsed);
        return ferror(f) ? -EIO : 0;
}

const struct scan_output scan_output_grep = {
        .name = "grep",
        .help = "nmap's greppable format: one line per host",
        .write = grep_write,
};
