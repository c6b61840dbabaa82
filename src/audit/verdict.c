/* Verdicts: what the registry, the knowledge file and the baseline say of each listener.
 *
 * Order of the rules (docs/audit.md):
 *   connection (--all)                        → info/none
 *   baseline entry                            → expected/none
 *   raw socket                                → info/low
 *   a known server of an assigned service     → expected/none
 *   a knowledge entry naming the process      → expected/none (application, development)
 *                                               info/low (tool, common-misuse)
 *   a knowledge malware entry for the port    → suspicious/high
 *   system port not assigned                  → suspicious/high
 *   assigned, servers known, process differs  → mismatch/medium
 *   assigned, no servers known / owner hidden → unexplained/medium
 *   user port not assigned                    → unexplained/medium
 *   dynamic port                              → info/low
 * then loopback-only lowers the severity one step. */
#include "portscope/verdict.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

static const char *const kind_names[VERDICT_NKINDS] = { "expected", "info", "unexplained", "mismatch", "suspicious" };
static const char *const sev_names[4] = { "none", "low", "medium", "high" };

const char *verdict_kind_name(enum verdict_kind k)
{
        return (unsigned)k < VERDICT_NKINDS ? kind_names[k] : "?";
}

const char *verdict_severity_name(enum verdict_severity s)
{
        return (unsigned)s < 4 ? sev_names[s] : "?";
}

int verdict_severity_parse(const char *s, enum verdict_severity *ret)
{
        for (unsigned i = 0; i < 4; i++)
                if (strcasecmp(s, sev_names[i]) == 0) {
                        *ret = (enum verdict_severity)i;
                        return 0;
                }
        return -EINVAL;
}

const char *verdict_ip_protocol_name(unsigned p)
{
        switch (p) {
        case 1: return "icmp";
        case 2: return "igmp";
        case 4: return "ipip";
        case 6: return "tcp";
        case 17: return "udp";
        case 41: return "ipv6";
        case 47: return "gre";
        case 50: return "esp";
        case 51: return "ah";
        case 58: return "ipv6-icmp";
        case 89: return "ospf";
        case 103: return "pim";
        case 112: return "vrrp";
        case 132: return "sctp";
        case 255: return "raw";
        default: return NULL;
        }
}

/* Appends to a fixed buffer; a reason cut at the buffer's end is still a reason. */
static void appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t len, const char *fmt, ...)
{
        size_t used = strnlen(buf, len);
        va_list ap;

        if (used + 1 >= len)
                return;
        va_start(ap, fmt);
        vsnprintf(buf + used, len - used, fmt, ap);
        va_end(ap);
}

int verdict_context_prepare(struct verdict_context *c)
{
        size_t n;

        free(c->knowledge_ports);
        c->knowledge_ports = NULL;
        if (!c->knowledge)
                return 0;
        c->knowledge_ports = calloc(65536u * PS_NPROTO / 8u, 1);
        if (!c->knowledge_ports)
                return -ENOMEM;
        n = knowledge_nentries(c->knowledge);
        for (size_t i = 0; i < n; i++) {
                const struct knowledge_entry *e = knowledge_entry(c->knowledge, i);
                for (size_t j = 0; j < e->nports; j++)
                        for (unsigned port = e->ports[j].lo; port <= e->ports[j].hi; port++)
                                for (unsigned p = 0; p < PS_NPROTO; p++)
                                        if (e->ports[j].protos & PS_PROTO_BIT(p)) {
                                                unsigned bit = port * PS_NPROTO + p;
                                                c->knowledge_ports[bit / 8] |= (uint8_t)(1u << (bit % 8));
                                        }
        }
        return 0;
}

void verdict_context_release(struct verdict_context *c)
{
        free(c->knowledge_ports);
        c->knowledge_ports = NULL;
}

static bool knowledge_may_know(const struct verdict_context *c, uint16_t port, enum ps_proto p)
{
        unsigned bit = (unsigned)port * PS_NPROTO + (unsigned)p;

        if (!c->knowledge_ports)
                return true;
        return (c->knowledge_ports[bit / 8] >> (bit % 8)) & 1u;
}

size_t verdict_owner_names(const struct sockets_list *l, const struct sockets_entry *e, const char **names, size_t max)
{
        size_t n = 0;

        for (size_t i = 0; i < e->nowners; i++) {
                const struct sockets_process *p = sockets_entry_owner(l, e, i);
                const char *cand[2] = { p->comm, p->exe };
                for (unsigned c = 0; c < 2; c++) {
                        bool dup = !cand[c] || !*cand[c];
                        for (size_t j = 0; !dup && j < n; j++)
                                dup = strcmp(names[j], cand[c]) == 0;
                        if (!dup && n < max)
                                names[n++] = cand[c];
                }
        }
        return n;
}

static const char *hidden_reason(bool root)
{
        /* Root can be refused too: the ptrace access check protects processes outside this PID
         * namespace's reach or under a security module. Say which case this is. */
        if (root)
                return "even root may not read the descriptors of some processes (ptrace access check: a "
                       "process outside this container or protected by a security module)";
        return "not root: processes of other users are hidden (reading /proc/PID/fd needs the same user, root "
               "or CAP_SYS_PTRACE)";
}

const char *verdict_hidden_reason(const struct sockets_list *l)
{
        return hidden_reason(l->owners.done ? l->owners.root : geteuid() == 0);
}

const char *verdict_owner_missing(const struct sockets_list *l, const struct sockets_entry *e)
{
        if (e->nowners)
                return NULL;
        if (!l->owners.done)
                return "owners were not looked up";
        if (!l->owners.privileged)
                return hidden_reason(l->owners.root);
        return "no process holds it (a kernel socket, or its process exited or lives in another PID namespace)";
}

static bool name_in(const char *const *names, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(names[i], s) == 0)
                        return true;
        return false;
}

static void lower_for_loopback(const struct sockets_entry *e, struct verdict *v)
{
        if (e->exposure != SOCKETS_EXPOSURE_LOOPBACK || v->severity == VERDICT_NONE)
                return;
        appendf(v->reason, sizeof(v->reason), "; listening on loopback only, so severity lowered from %s to %s",
                verdict_severity_name(v->severity), verdict_severity_name(v->severity - 1));
        v->severity--;
}

/* A summary without its final period, to go on inside a sentence; at most 300 bytes. */
static int summary_len(const char *s)
{
        size_t n = strlen(s);

        while (n && (s[n - 1] == '.' || s[n - 1] == ' '))
                n--;
        return n > 300 ? 300 : (int)n;
}

static void set(struct verdict *v, enum verdict_kind k, enum verdict_severity s)
{
        v->kind = k;
        v->severity = s;
}

/* "ssh" or "dec-dlm, dec_dlm". */
static void join_services(const struct verdict *v, char *buf, size_t len)
{
        buf[0] = '\0';
        for (size_t i = 0; i < v->nservices; i++)
                appendf(buf, len, "%s%s", i ? ", " : "", v->services[i]);
}

/* "sshd, dropbear" for the first service the knowledge file has servers for. */
static const struct knowledge_service *known_servers(const struct verdict_context *c, const struct verdict *v)
{
        if (!c->knowledge)
                return NULL;
        for (size_t i = 0; i < v->nservices; i++) {
                const struct knowledge_service *s = knowledge_service(c->knowledge, v->services[i]);
                if (s && s->nservers)
                        return s;
        }
        return NULL;
}

void verdict_judge(const struct verdict_context *c, const struct sockets_list *l, const struct sockets_entry *e,
                   struct verdict *v)
{
        const char *names[16];
        size_t nnames = verdict_owner_names(l, e, names, 16);
        const char *proc = nnames ? names[0] : NULL;
        const char *proto = sockets_proto_name(e->proto);
        char noname[48];
        const struct knowledge_entry *kent[16];
        size_t nk = 0;
        enum ps_proto pp;
        char svc[256];

        memset(v, 0, sizeof(*v));
        /* An owner without a name (empty comm and argv[0], or gone mid-walk) is still an owner. */
        const struct sockets_process *first = e->nowners ? sockets_entry_owner(l, e, 0) : NULL;
        if (!proc && first) {
                snprintf(noname, sizeof(noname), "pid %d (no name)", (int)first->pid);
                proc = noname;
        }
        v->baseline = -1;
        v->status = REGISTRY_UNASSIGNED;

        if (!e->listening) {
                char a[64];
                sockets_format_addr(e->family, e->remote, a, sizeof(a));
                set(v, VERDICT_INFO, VERDICT_NONE);
                appendf(v->reason, sizeof(v->reason), "a connection to %s%s%s:%u, not a listener",
                        e->family == AF_INET6 ? "[" : "", a, e->family == AF_INET6 ? "]" : "", e->remote_port);
                return;
        }
        if (sockets_proto_to_ps(e->proto, &pp) && c->registry) {
                uint32_t ids[32];
                size_t n = registry_covering(c->registry, e->port, pp, ids, 32);
                v->status = registry_status(c->registry, e->port, pp);
                for (size_t i = 0; i < n && i < 32; i++) {
                        struct registry_row row;
                        bool dup = false;
                        /* Aliases ("dec_dlm" for "dec-dlm") name the same service twice. */
                        if (registry_row(c->registry, ids[i], &row) < 0 || row.kind != REGISTRY_ROW_SERVICE ||
                            !row.service[0] || row.alias_of >= 0)
                                continue;
                        for (size_t j = 0; j < v->nservices && !dup; j++)
                                dup = strcasecmp(v->services[j], row.service) == 0;
                        if (!dup && v->nservices < VERDICT_MAX_SERVICES)
                                v->services[v->nservices++] = row.service;
                }
        }
        if (c->baseline) {
                long b = baseline_match(c->baseline, e->proto, e->port, e->family, e->local, names, nnames);
                /* A dual-stack socket also serves IPv4: an entry for 0.0.0.0 explains it too. */
                if (b < 0 && e->dual_stack) {
                        static const uint8_t any4[16];
                        b = baseline_match(c->baseline, e->proto, e->port, AF_INET, any4, names, nnames);
                }
                if (b >= 0) {
                        const struct baseline_entry *be = &c->baseline->v[b];
                        v->baseline = b;
                        set(v, VERDICT_EXPECTED, VERDICT_NONE);
                        appendf(v->reason, sizeof(v->reason), "in the baseline (%s:%u): %s", c->baseline->origin,
                                be->line, be->reason);
                        return;
                }
        }
        if (e->proto == SOCKETS_RAW) {
                const char *pn = verdict_ip_protocol_name(e->port);
                set(v, VERDICT_INFO, VERDICT_LOW);
                appendf(v->reason, sizeof(v->reason),
                        "raw socket receiving IP protocol %u%s%s%s: it sees every such packet, not a port",
                        e->port, pn ? " (" : "", pn ? pn : "", pn ? ")" : "");
                lower_for_loopback(e, v);
                return;
        }
        join_services(v, svc, sizeof(svc));
        /* A known server of an assigned service. */
        for (size_t i = 0; i < v->nservices && proc; i++) {
                for (size_t j = 0; j < nnames; j++) {
                        bool serves = c->knowledge && knowledge_serves(c->knowledge, v->services[i], names[j]);
                        if (serves || strcasecmp(names[j], v->services[i]) == 0) {
                                set(v, VERDICT_EXPECTED, VERDICT_NONE);
                                appendf(v->reason, sizeof(v->reason), "%s serves %s, assigned %u/%s (registry)%s",
                                        names[j], v->services[i], e->port, proto,
                                        serves ? "" : "; the process is named after the service");
                                return;
                        }
                }
        }
        if (c->knowledge && knowledge_may_know(c, e->port, pp))
                nk = knowledge_for_port(c->knowledge, e->port, pp, kent, 16);
        if (nk > 16)
                nk = 16;
        /* A knowledge entry that names the process. */
        for (size_t i = 0; i < nk; i++) {
                const struct knowledge_entry *k = kent[i];
                if (k->kind == KNOWLEDGE_MALWARE)
                        continue;
                for (size_t j = 0; j < k->nprocesses; j++) {
                        if (!name_in(names, nnames, k->processes[j]))
                                continue;
                        v->knowledge = k;
                        if (k->kind == KNOWLEDGE_APPLICATION || k->kind == KNOWLEDGE_DEVELOPMENT)
                                set(v, VERDICT_EXPECTED, VERDICT_NONE);
                        else
                                set(v, VERDICT_INFO, VERDICT_LOW);
                        appendf(v->reason, sizeof(v->reason), "%s on %u/%s is %s (knowledge, %s): %.*s", proc, e->port,
                                proto, k->name, knowledge_kind_name(k->kind), summary_len(k->summary), k->summary);
                        if (v->status == REGISTRY_ASSIGNED)
                                appendf(v->reason, sizeof(v->reason), "; the port is assigned to %s", svc);
                        lower_for_loopback(e, v);
                        return;
                }
        }
        for (size_t i = 0; i < nk; i++) {
                const struct knowledge_entry *k = kent[i];
                if (k->kind != KNOWLEDGE_MALWARE)
                        continue;
                v->knowledge = k;
                set(v, VERDICT_SUSPICIOUS, VERDICT_HIGH);
                appendf(v->reason, sizeof(v->reason), "%u/%s is a known malware port: %s (knowledge): %.*s", e->port,
                        proto, k->name, summary_len(k->summary), k->summary);
                if (proc)
                        appendf(v->reason, sizeof(v->reason), "; held by %s", proc);
                lower_for_loopback(e, v);
                return;
        }
        {
                enum ps_range range = ps_range_of(e->port);
                const char *missing = verdict_owner_missing(l, e);
                bool assigned = v->status == REGISTRY_ASSIGNED && v->nservices > 0;

                if (!missing)
                        missing = "its process has no name or exited";
                if (v->status == REGISTRY_ASSIGNED && v->nservices == 0 && range != PS_RANGE_DYNAMIC) {
                        /* "any private mail system" and the like: assigned, but to no one service. */
                        set(v, VERDICT_UNEXPLAINED, VERDICT_MEDIUM);
                        appendf(v->reason, sizeof(v->reason),
                                "%u/%s is assigned for private use (registry), so only you can say whether %s belongs "
                                "here",
                                e->port, proto, proc ? proc : "its owner");
                } else if (!assigned && range == PS_RANGE_SYSTEM) {
                        set(v, VERDICT_SUSPICIOUS, VERDICT_HIGH);
                        appendf(v->reason, sizeof(v->reason),
                                "nothing is registered on %u/%s (%s); a service here is either lost or hiding",
                                e->port, proto, registry_status_name(v->status));
                } else if (assigned && range != PS_RANGE_DYNAMIC) {
                        const struct knowledge_service *ks = known_servers(c, v);
                        if (ks && proc) {
                                char servers[192] = "";
                                for (size_t i = 0; i < ks->nservers && i < 6; i++)
                                        appendf(servers, sizeof(servers), "%s%s", i ? ", " : "", ks->servers[i]);
                                set(v, VERDICT_MISMATCH, VERDICT_MEDIUM);
                                appendf(v->reason, sizeof(v->reason),
                                        "%u/%s is assigned to %s, served by %s (knowledge); %s is not a known server of it",
                                        e->port, proto, ks->service, servers, proc);
                        } else if (!proc) {
                                set(v, VERDICT_UNEXPLAINED, VERDICT_MEDIUM);
                                appendf(v->reason, sizeof(v->reason),
                                        "%u/%s is assigned to %s, but the owner is unknown: %s", e->port, proto, svc,
                                        missing);
                        } else {
                                set(v, VERDICT_UNEXPLAINED, VERDICT_MEDIUM);
                                appendf(v->reason, sizeof(v->reason),
                                        "%u/%s is assigned to %s, but the knowledge file names no servers for it, "
                                        "so nothing confirms that %s serves it",
                                        e->port, proto, svc, proc);
                        }
                } else if (range == PS_RANGE_USER) {
                        set(v, VERDICT_UNEXPLAINED, VERDICT_MEDIUM);
                        appendf(v->reason, sizeof(v->reason),
                                "nothing is registered on %u/%s and no knowledge entry or baseline explains it",
                                e->port, proto);
                } else {
                        set(v, VERDICT_INFO, VERDICT_LOW);
                        appendf(v->reason, sizeof(v->reason),
                                "%u/%s is in the dynamic range (49152-65535): ephemeral and private use", e->port,
                                proto);
                }
                /* Knowledge that knows the port but not this process is worth saying. */
                if (v->kind != VERDICT_INFO && nk) {
                        const struct knowledge_entry *k = kent[0];
                        appendf(v->reason, sizeof(v->reason), "; knowledge knows %s here", k->name);
                        if (k->nprocesses)
                                appendf(v->reason, sizeof(v->reason), " (process %s)", k->processes[0]);
                        if (proc)
                                appendf(v->reason, sizeof(v->reason), ", but this is %s", proc);
                }
                if (!proc && v->kind != VERDICT_UNEXPLAINED)
                        appendf(v->reason, sizeof(v->reason), "; owner unknown: %s", missing);
        }
        lower_for_loopback(e, v);
}
