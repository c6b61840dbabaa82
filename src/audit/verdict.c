/* Verdicts on sockets: the audit's evidence (owner identity, addresses, baseline, ephemeral
 * client sockets) handed to the verdict engine (src/core/judge.c, rules in docs/verdicts.md). */
#include "portscope/verdict.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "portscope/i18n.h"

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

size_t verdict_owner_names(const struct sockets_list *l, const struct sockets_entry *e, const char **names, size_t max)
{
        size_t n = 0;

        for (size_t i = 0; i < e->nowners; i++) {
                const struct sockets_process *p = sockets_entry_owner(l, e, i);
                /* Names the executable bears: a baseline line "22/tcp sshd" does not explain a
                 * python3 that calls itself sshd, nor a copy of sshd in /tmp (no name of an
                 * executable no package put there). */
                if (p->place != JUDGE_EXE_INSTALLED)
                        continue;
                const char *cand[2] = { p->comm_unproven ? NULL : p->comm, p->exe_unproven ? NULL : p->exe };
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
                return _("even root may not read the descriptors of some processes (ptrace access check: a "
                         "process outside this container or protected by a security module)");
        return _("not root: processes of other users are hidden (reading /proc/PID/fd needs the same user, root "
                 "or CAP_SYS_PTRACE)");
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
                return _("owners were not looked up");
        if (!l->owners.privileged)
                return hidden_reason(l->owners.root);
        return _("no process holds it (a kernel socket, or its process exited or lives in another PID namespace)");
}

void verdict_ephemeral_range(uint16_t *ret_lo, uint16_t *ret_hi)
{
        sockets_ephemeral_range(ret_lo, ret_hi);
}

static bool in_ephemeral(uint16_t port)
{
        uint16_t lo, hi;
        verdict_ephemeral_range(&lo, &hi);
        return port >= lo && port <= hi;
}

bool *verdict_serving_processes(const struct sockets_list *l)
{
        bool *serving = calloc(l->nprocs ? l->nprocs : 1, sizeof(*serving));
        if (!serving)
                return NULL;
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                if (!e->listening || !sockets_proto_has_ports(e->proto) || in_ephemeral(e->port))
                        continue;
                for (size_t k = 0; k < e->nowners; k++)
                        serving[e->owners[k]] = true;
        }
        return serving;
}

/* The service manager itself, not a program that calls itself systemd (prctl(PR_SET_NAME) and
 * argv[0] are anyone's to choose): its executable is systemd's, or, when /proc/PID/exe cannot be
 * read, it is process 1. */
static bool is_systemd(const struct sockets_process *p)
{
        if (!p->comm || strcmp(p->comm, "systemd") != 0)
                return false;
        if (!p->path || !*p->path)
                return p->pid == 1;
        return strcmp(p->path, "/usr/lib/systemd/systemd") == 0 || strcmp(p->path, "/lib/systemd/systemd") == 0;
}

/* Whether a listener outside the ephemeral range that shares an owner with e is expected. */
static bool explained_elsewhere(const struct verdict_context *c, const struct sockets_list *l,
                                const struct sockets_entry *e)
{
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *o = &l->v[i];
                bool shared = false;
                if (o == e || !o->listening || !sockets_proto_has_ports(o->proto) || in_ephemeral(o->port))
                        continue;
                for (size_t a = 0; a < o->nowners && !shared; a++)
                        for (size_t b = 0; b < e->nowners && !shared; b++)
                                shared = o->owners[a] == e->owners[b];
                if (!shared)
                        continue;
                struct verdict v;
                verdict_judge_in(c, l, o, NULL, &v);
                if (v.kind == VERDICT_EXPECTED)
                        return true;
        }
        return false;
}

void verdict_judge(const struct verdict_context *c, const struct sockets_list *l, const struct sockets_entry *e,
                   struct verdict *v)
{
        verdict_judge_in(c, l, e, NULL, v);
}

void verdict_judge_in(const struct verdict_context *c, const struct sockets_list *l, const struct sockets_entry *e,
                      const bool *serving, struct verdict *v)
{
        struct judge_identity id = { 0 }, claimed = { 0 };
        bool unproven = false;
        const char *executable = NULL;
        struct judge_input in = JUDGE_INPUT_INIT;
        struct judgement j;
        const struct judge_context jctx = { .registry = c->registry, .knowledge = c->knowledge }, *jc = &jctx;
        char noname[48], peer[80], range[16];
        const char *names[16];
        size_t nnames = verdict_owner_names(l, e, names, 16);

        memset(v, 0, sizeof(*v));
        v->baseline = -1;
        /* Every owner's names: comm, argv[0], and the script of an interpreter. A name the
         * executable does not bear names no program (see names_executable()); the names it
         * claims are kept apart, only when some owner has such a name. */
        for (size_t i = 0; i < e->nowners && !unproven; i++) {
                const struct sockets_process *p = sockets_entry_owner(l, e, i);
                if (p->comm_unproven || p->exe_unproven) {
                        unproven = true;
                        executable = p->path;
                }
        }
        for (size_t i = 0; i < e->nowners; i++) {
                const struct sockets_process *p = sockets_entry_owner(l, e, i);
                const char *slash = p->path ? strrchr(p->path, '/') : NULL;
                judge_identity_from_process(&id, p->comm_unproven ? NULL : p->comm, slash ? slash + 1 : p->path,
                                            p->exe_unproven ? NULL : p->exe, p->cmdline);
                if (unproven)
                        judge_identity_from_process(&claimed, p->comm, slash ? slash + 1 : p->path, p->exe, p->cmdline);
        }
        if (unproven) {
                in.claimed = &claimed;
                in.executable = executable;
        }
        for (size_t i = 0; i < e->nowners && in.place == JUDGE_EXE_INSTALLED; i++) {
                const struct sockets_process *p = sockets_entry_owner(l, e, i);
                if (p->place != JUDGE_EXE_INSTALLED) {
                        in.place = p->place;
                        in.place_dir = p->place_dir;
                        in.executable = p->path;
                }
        }
        const struct sockets_process *first = e->nowners ? sockets_entry_owner(l, e, 0) : NULL;
        /* systemd alone (the system's or a user's manager) holds the sockets of its .socket units. */
        in.activation = e->nowners > 0;
        for (size_t i = 0; i < e->nowners && in.activation; i++)
                in.activation = is_systemd(sockets_entry_owner(l, e, i));
        if (!id.nnames && first) {
                /* An owner without a name (empty comm and argv[0], or gone mid-walk) is still an owner. */
                snprintf(noname, sizeof(noname), "pid %d (no name)", (int)first->pid);
                id.display = noname;
                id.names[id.nnames++] = noname;
        }
        in.who = &id;
        in.owner_missing = verdict_owner_missing(l, e);
        if (!in.owner_missing && !id.nnames)
                in.owner_missing = "its process has no name or exited";
        in.port = e->port;
        in.loopback = e->exposure == SOCKETS_EXPOSURE_LOOPBACK;
        if (!sockets_proto_to_ps(e->proto, &in.proto)) {
                in.proto = PS_TCP;
                in.raw = true;
                in.packet = e->proto == SOCKETS_PACKET;
                in.raw_protocol = in.packet ? sockets_ethertype_name(e->port) : verdict_ip_protocol_name(e->port);
                in.interface = in.packet && e->ifindex && e->ifname[0] ? e->ifname : NULL;
                in.filter = e->filter;
                in.filter_unknown = e->filter_unknown;
                in.deaf = e->deaf;
        }
        if (!e->listening) {
                char a[64];
                sockets_format_addr(e->family, e->remote, a, sizeof(a));
                snprintf(peer, sizeof(peer), "%s%s%s:%u", e->family == AF_INET6 ? "[" : "", a,
                         e->family == AF_INET6 ? "]" : "", e->remote_port);
                in.connection = true;
                in.unaccepted = e->unaccepted;
                in.peer = peer;
        } else if (c->baseline) {
                long b = baseline_match(c->baseline, e->proto, e->port, e->family, e->local, names, nnames);
                /* A dual-stack socket also serves IPv4: an entry for 0.0.0.0 explains it too. */
                if (b < 0 && e->dual_stack) {
                        static const uint8_t any4[16];
                        b = baseline_match(c->baseline, e->proto, e->port, AF_INET, any4, names, nnames);
                }
                if (b >= 0) {
                        in.baseline = b;
                        in.baseline_origin = c->baseline->origin;
                        in.baseline_line = c->baseline->v[b].line;
                        in.baseline_reason = c->baseline->v[b].reason;
                }
        }
        if (serving && e->listening && e->proto == SOCKETS_UDP && in_ephemeral(e->port)) {
                bool serves = false;
                for (size_t k = 0; k < e->nowners && !serves; k++)
                        serves = serving[e->owners[k]];
                /* On a malware or C2 port, the exemption needs a server that is explained: a
                 * resolver's query socket that landed on 54321 is one, a backdoor beside a
                 * listener nothing explains is not. */
                if (serves && judge_threat_port(jc, e->port, PS_UDP))
                        serves = explained_elsewhere(c, l, e);
                if (serves) {
                        uint16_t lo, hi;
                        verdict_ephemeral_range(&lo, &hi);
                        snprintf(range, sizeof(range), "%u-%u", lo, hi);
                        in.ephemeral_client = true;
                        in.ephemeral_range = range;
                }
        }
        judge(jc, &in, &j);
        v->kind = j.kind;
        v->severity = j.severity;
        v->rule = j.rule;
        v->status = j.status;
        v->nservices = j.nservices;
        memcpy(v->services, j.services, j.nservices * sizeof(j.services[0]));
        v->knowledge = j.knowledge;
        v->baseline = in.baseline;
        /* matched points into id, which does not outlive this call: keep a name of the process. */
        v->matched = NULL;
        /* What the reason names: the name that matched, else the program an interpreter runs. */
        snprintf(v->identified, sizeof(v->identified), "%s", j.matched ? j.matched : id.program ? id.program : "");
        for (size_t i = 0; j.matched && i < nnames; i++)
                if (strcasecmp(names[i], j.matched) == 0)
                        v->matched = names[i];
        judge_reason(&j, v->reason, sizeof(v->reason));
}
