/* The verdict engine's reasons: a judgement told as one sentence in the reader's language
 * (machine-readable outputs compose it in English). The rules are in judge.c. */
#include "portscope/judge.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "portscope/i18n.h"

/* ---- reasons --------------------------------------------------------------------------------- */

struct out {
        char *buf;
        size_t len, need;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
        va_list ap;
        size_t used = o->need < o->len ? o->need : (o->len ? o->len - 1 : 0);
        va_start(ap, fmt);
        int n = vsnprintf(o->len ? o->buf + used : NULL, o->len ? o->len - used : 0, fmt, ap);
        va_end(ap);
        if (n > 0)
                o->need += (size_t)n;
}

/* The separator between two clauses, as the language punctuates ("; ", "\u00a0; ", "؛ "); never
 * a format, whatever a translation holds. */
static void put_sep(struct out *o)
{
        put(o, "%s", ps_i18n_clause_sep());
}

/* A summary without its final period, to go on inside a sentence; at most 300 bytes. */
static int summary_len(const char *s)
{
        size_t n = strlen(s);
        while (n && (s[n - 1] == '.' || s[n - 1] == ' '))
                n--;
        return n > 300 ? 300 : (int)n;
}

/* The services a port is assigned to, "a, b, c" (registry names, never translated). */
static void join_services(const struct judgement *j, char *buf, size_t len)
{
        struct out o = { buf, len, 0 };
        buf[0] = '\0';
        for (size_t i = 0; i < j->nservices; i++)
                put(&o, "%s%s", i ? ", " : "", j->services[i]);
}

/* A service's known servers, "a, b, c..." (program names). */
static void join_servers(const struct knowledge_service *ks, char *buf, size_t len)
{
        struct out o = { buf, len, 0 };
        buf[0] = '\0';
        for (size_t i = 0; i < ks->nservers && i < 6; i++)
                put(&o, "%s%s", i ? ", " : "", ks->servers[i]);
        if (ks->nservers > 6)
                put(&o, "...");
}

/* What a raw or packet socket receives: "raw socket receiving IP protocol 1 (icmp)", "packet
 * socket receiving every frame on every interface". */
static void raw_what(const struct judge_input *in, char *buf, size_t len)
{
        struct out o = { buf, len, 0 };
        char type[48];

        buf[0] = '\0';
        if (!in->packet && in->deaf) {
                /* TRANSLATORS: IPPROTO_RAW is a name; %u is its number (255). */
                put(&o, _("raw socket of IP protocol %u (IPPROTO_RAW), which only sends: it writes whole IP packets "
                          "and receives none"),
                    in->port);
                return;
        }
        if (!in->packet) {
                if (in->raw_protocol)
                        /* TRANSLATORS: an IP protocol number and its name (tcp, icmp ...). */
                        put(&o, _("raw socket receiving IP protocol %u (%s)"), in->port, in->raw_protocol);
                else
                        put(&o, _("raw socket receiving IP protocol %u"), in->port);
                return;
        }
        if (in->port == 0) /* bound to no protocol: it sends frames, and receives none */
                /* TRANSLATORS: in "packet socket receiving %s on %s". */
                snprintf(type, sizeof type, "%s", _("no frames (it only sends)"));
        else if (in->deaf)
                /* TRANSLATORS: in "packet socket receiving %s on %s". */
                snprintf(type, sizeof type, "%s", _("no frames now (its interface is down or gone)"));
        else if (in->port == 3) /* ETH_P_ALL */
                snprintf(type, sizeof type, "%s", _("every frame"));
        else if (in->raw_protocol)
                snprintf(type, sizeof type, "EtherType 0x%04x (%s)", in->port, in->raw_protocol);
        else
                snprintf(type, sizeof type, "EtherType 0x%04x", in->port);
        /* TRANSLATORS: what a packet socket receives ("every frame", "EtherType 0x0806 (arp)") and
         * where: an interface's name, or "every interface". */
        put(&o, _("packet socket receiving %s on %s"), type,
            in->interface && *in->interface ? in->interface : _("every interface"));
}

/* The verdicts as people read them (the audit and scan tables, watch's lines); JSON, syslog and
 * the stores keep verdict_kind_name()'s words. */
const char *verdict_kind_label(enum verdict_kind k)
{
        switch (k) {
        /* TRANSLATORS: a verdict (audit and scan tables, watch): the listener belongs there. */
        case VERDICT_EXPECTED: return _("expected");
        /* TRANSLATORS: a verdict (audit and scan tables, watch): worth knowing, no problem. */
        case VERDICT_INFO: return _("info");
        /* TRANSLATORS: a verdict (audit and scan tables, watch): nothing explains the listener. */
        case VERDICT_UNEXPLAINED: return _("unexplained");
        /* TRANSLATORS: a verdict (audit and scan tables, watch): the process is not what the registry
         * says the port is for. */
        case VERDICT_MISMATCH: return _("mismatch");
        /* TRANSLATORS: a verdict (audit and scan tables, watch): a known malware or C2 port or name. */
        case VERDICT_SUSPICIOUS: return _("suspicious");
        case VERDICT_NKINDS: break;
        }
        return verdict_kind_name(k);
}

const char *verdict_severity_label(enum verdict_severity s)
{
        switch (s) {
        /* TRANSLATORS: a severity in the audit table (column SEV, 6 columns wide), watch's lines and reasons. */
        case VERDICT_NONE: return ps_pgettext("severity", "none");
        /* TRANSLATORS: a severity in the audit table (column SEV, 6 columns wide), watch's lines and reasons. */
        case VERDICT_LOW: return _("low");
        /* TRANSLATORS: a severity in the audit table (column SEV, 6 columns wide), watch's lines and reasons. */
        case VERDICT_MEDIUM: return _("medium");
        /* TRANSLATORS: a severity in the audit table (column SEV, 6 columns wide), watch's lines and reasons. */
        case VERDICT_HIGH: return _("high");
        }
        return verdict_severity_name(s);
}

/* The reason is composed in the calling thread's language (_()): machine-readable outputs
 * compose it with the thread speaking English (ps_i18n_thread_use), so JSON never changes with
 * the language. Clauses that are added to a reason are whole clauses, joined by the language's
 * clause separator ("; " in English, "\u00a0; " in French, "؛ " in Arabic). */
size_t judge_reason(const struct judgement *j, char *buf, size_t len)
{
        const struct judge_input *in = j->in;
        struct out o = { buf, len, 0 };
        /* Raw and packet sockets are written as the baseline writes them: 1/raw, 3/packet. */
        const char *proto = in->packet ? "packet" : in->raw ? "raw" : ps_proto_name(in->proto);
        const char *who = in->who && in->who->display ? in->who->display : NULL;
        unsigned port = in->port;
        char services[512];

        if (len)
                buf[0] = '\0';
        join_services(j, services, sizeof services);
        switch (j->rule) {
        case JUDGE_NOT_OPEN:
                /* The scan's state words (closed, filtered ...) are nmap's vocabulary. */
                put(&o, "%s", in->state ? in->state : _("not open"));
                break;
        case JUDGE_CONNECTION:
                if (in->unaccepted)
                        /* TRANSLATORS: %s is the peer's address and port; accept() is the system call. */
                        put(&o, _("a connection from %s, not yet accepted: it waits in the accept queue of the "
                                  "listener on this port"),
                            in->peer ? in->peer : "?");
                else
                        /* TRANSLATORS: %s is the peer's address and port. */
                        put(&o, _("a connection to %s, not a listener"), in->peer ? in->peer : "?");
                break;
        case JUDGE_BASELINE:
                /* TRANSLATORS: the baseline file, its line number, and the reason written there (the user's
                 * own words). */
                put(&o, _("in the baseline (%s:%u): %s"), in->baseline_origin ? in->baseline_origin : "?",
                    in->baseline_line, in->baseline_reason ? in->baseline_reason : "");
                break;
        case JUDGE_RAW:
        case JUDGE_RAW_UNEXPLAINED: {
                char what[160];
                raw_what(in, what, sizeof what);
                if (j->rule == JUDGE_RAW)
                        /* TRANSLATORS: what the socket receives ("packet socket receiving every frame on
                         * eth0"), the program (dhclient), and the knowledge's name for the programs that
                         * need such a socket ("DHCP clients and servers"). */
                        put(&o, _("%s, held by %s, one of the %s"), what, who ? who : "?",
                            j->holder ? j->holder->name : "?");
                else if (!who)
                        put(&o, "%s", what);
                else if (in->deaf)
                        /* TRANSLATORS: what the socket does, and the program holding it. */
                        put(&o, _("%s, held by %s, which is not known to need one; it receives nothing, so it waits for "
                                  "nothing"),
                            what, who);
                else if (in->packet)
                        /* TRANSLATORS: what the socket receives, and the program holding it. */
                        put(&o, _("%s, held by %s, which is not known to need one: a packet socket sees frames "
                                  "before the firewall does, as a backdoor waiting for a magic packet does"),
                            what, who);
                else
                        /* TRANSLATORS: what the socket receives, and the program holding it. */
                        put(&o, _("%s, held by %s, which is not known to need one: a raw socket sees packets "
                                  "without a port, as a backdoor waiting for a magic packet does"),
                            what, who);
                if (j->rule == JUDGE_RAW_UNEXPLAINED && in->packet && !in->deaf && in->filter) {
                        put_sep(&o);
                        /* TRANSLATORS: a clause added to a reason; BPF and BPFDoor are names. */
                        put(&o, _("a BPF filter chooses the frames it gets, as BPFDoor's does"));
                } else if (j->rule == JUDGE_RAW_UNEXPLAINED && in->packet && !in->deaf && in->filter_unknown) {
                        put_sep(&o);
                        /* TRANSLATORS: a clause added to a reason; BPF is a name, root a user. */
                        put(&o, _("whether a BPF filter chooses its frames, the kernel tells root only"));
                }
                break;
        }
        case JUDGE_SOCKET_ACTIVATION:
                /* TRANSLATORS: the port and protocol (111/tcp), then its registered services (sunrpc). */
                put(&o, _("systemd holds %u/%s, assigned to %s, for a socket unit: the service starts on the first "
                          "connection ('systemctl list-sockets' names it)"),
                    port, proto, services);
                break;
        case JUDGE_KNOWN_SERVER:
                if (in->remote)
                        /* TRANSLATORS: a service name (ssh), then the port and protocol (22/tcp). */
                        put(&o, _("%s answers, the service registered for %u/%s"), j->matched, port, proto);
                else if (j->servers)
                        /* TRANSLATORS: a program (sshd), the service it serves (ssh), the port and protocol. */
                        put(&o, _("%s serves %s, assigned %u/%s (registry)"), j->matched, j->servers->service, port,
                            proto);
                else
                        /* TRANSLATORS: a program, the service it is named after, the port and protocol. */
                        put(&o, _("%s serves %s, assigned %u/%s (registry); the process is named after the service"),
                            j->matched, j->matched, port, proto);
                break;
        case JUDGE_KNOWN_USE:
        case JUDGE_THREAT_NAMED:
                /* TRANSLATORS: the program, the port and protocol, the name of a knowledge entry, its kind
                 * (application, tool, c2 ... as the knowledge file spells it) and its English summary. */
                put(&o, _("%s on %u/%s is %s (knowledge, %s): %.*s"), j->matched, port, proto, j->knowledge->name,
                    knowledge_kind_name(j->knowledge->kind), summary_len(j->knowledge->summary), j->knowledge->summary);
                if (j->status == REGISTRY_ASSIGNED && j->nservices) {
                        put_sep(&o);
                        /* TRANSLATORS: a clause added to a reason; %s lists registered service names. */
                        put(&o, _("the port is assigned to %s"), services);
                }
                break;
        case JUDGE_RUNTIME_USE:
                /* TRANSLATORS: the program (node server.js), the port and protocol, the interpreter
                 * (node), the name of a knowledge entry, its kind (development ...), its English
                 * summary, and the interpreter again. */
                put(&o, _("%s on %u/%s runs on %s, as %s does (knowledge, %s): %.*s; but %s runs any program, so "
                          "which one this is is not known"),
                    who ? who : j->matched, port, proto, j->runtime, j->knowledge->name,
                    knowledge_kind_name(j->knowledge->kind), summary_len(j->knowledge->summary), j->knowledge->summary,
                    j->runtime);
                break;
        case JUDGE_DISGUISED:
                /* TRANSLATORS: the program (python3), the name it gave itself (sshd), the port and
                 * protocol, and the path of its executable. */
                put(&o, _("%s calls itself %s, which would explain %u/%s, but its executable is %s, which does not "
                          "bear that name: a program that takes another's name is hiding"),
                    who ? who : "?", j->matched ? j->matched : "?", port, proto,
                    in->executable && *in->executable ? in->executable : "?");
                break;
        case JUDGE_STRAY_EXECUTABLE: {
                const char *exe = in->executable && *in->executable ? in->executable : "?";
                if (in->place == JUDGE_EXE_WRITABLE)
                        /* TRANSLATORS: the program (sshd), port and protocol, its executable
                         * (/tmp/x/sshd) and a directory above it (/tmp). */
                        put(&o, _("%s would explain %u/%s, but its executable %s lies under %s, which any user can "
                                  "write and where no package installs a program: a copy under a server's name is not "
                                  "that server"),
                            who ? who : "?", port, proto, exe, in->place_dir ? in->place_dir : "?");
                else if (in->place == JUDGE_EXE_WRITABLE_FILE)
                        /* TRANSLATORS: the program (sshd), port and protocol, and its executable. */
                        put(&o, _("%s would explain %u/%s, but its executable %s can be rewritten by any user: no "
                                  "package installs a program so, and anyone may have put their own code in it"),
                            who ? who : "?", port, proto, exe);
                else if (in->place == JUDGE_EXE_DELETED)
                        /* TRANSLATORS: the program (sshd), port and protocol, and the path its
                         * executable had. */
                        put(&o, _("%s would explain %u/%s, but its executable %s was deleted and nothing took its "
                                  "place: a package removed while it ran, or a program that removes itself"),
                            who ? who : "?", port, proto, exe);
                else
                        /* TRANSLATORS: the program (sshd), port and protocol, and its executable
                         * (/memfd:x). */
                        put(&o, _("%s would explain %u/%s, but its executable %s is a memfd, never a file on disk: "
                                  "a program loaded straight into memory is hiding"),
                            who ? who : "?", port, proto, exe);
                break;
        }
        case JUDGE_EPHEMERAL_CLIENT:
                if (who)
                        /* TRANSLATORS: a program, a port, and a port range (32768-60999). */
                        put(&o, _("%s's own client socket: unconnected UDP on %u, inside the ephemeral range %s, held by a "
                                  "process that serves elsewhere (a resolver or query socket; the port is drawn at random)"),
                            who, port, in->ephemeral_range ? in->ephemeral_range : "");
                else
                        /* TRANSLATORS: a port, and a port range (32768-60999). */
                        put(&o, _("its owner's own client socket: unconnected UDP on %u, inside the ephemeral range %s, "
                                  "held by a process that serves elsewhere (a resolver or query socket; the port is drawn "
                                  "at random)"),
                            port, in->ephemeral_range ? in->ephemeral_range : "");
                break;
        case JUDGE_THREAT_PORT:
                if (j->knowledge->kind == KNOWLEDGE_C2)
                        /* TRANSLATORS: port and protocol, the name of a knowledge entry and its English summary. */
                        put(&o, _("%u/%s is a known command-and-control port: %s (knowledge): %.*s"), port, proto,
                            j->knowledge->name, summary_len(j->knowledge->summary), j->knowledge->summary);
                else
                        /* TRANSLATORS: port and protocol, the name of a knowledge entry and its English summary. */
                        put(&o, _("%u/%s is a known malware port: %s (knowledge): %.*s"), port, proto, j->knowledge->name,
                            summary_len(j->knowledge->summary), j->knowledge->summary);
                if (who && in->remote) {
                        put_sep(&o);
                        /* TRANSLATORS: a clause added to a reason; %s is the service that answered. */
                        put(&o, _("answering: %s, which nothing explains here"), who);
                } else if (who) {
                        put_sep(&o);
                        /* TRANSLATORS: a clause added to a reason; %s is the program holding the port. */
                        put(&o, _("held by %s, which nothing explains here"), who);
                } else if (in->remote && in->probed) {
                        put_sep(&o);
                        /* TRANSLATORS: a clause added to a reason: scan's service identification ran and
                         * none of its probes named the service. */
                        put(&o, "%s", _("no probe identified the service"));
                } else if (in->remote && !in->unprobed) {
                        put_sep(&o);
                        /* TRANSLATORS: a clause added to a reason; -sV is an option of portscope scan. */
                        put(&o, "%s", _("the service was not identified (-sV would tell)"));
                }
                break;
        case JUDGE_LIKELY_USE:
                /* TRANSLATORS: port and protocol, the name of a knowledge entry, its kind (application ...)
                 * and its English summary. */
                put(&o, _("open, the service was not identified; %u/%s is usually %s (knowledge, %s): %.*s"), port, proto,
                    j->knowledge->name, knowledge_kind_name(j->knowledge->kind), summary_len(j->knowledge->summary),
                    j->knowledge->summary);
                break;
        case JUDGE_SYSTEM_UNREGISTERED:
                if (j->assignments_only)
                        /* TRANSLATORS: port and protocol; the registry in use is a services(5) file. */
                        put(&o, _("%u/%s is not in the services file in use, which lists assignments only: it may be "
                                  "assigned, and nothing confirms what is here ('portscope update' installs IANA's "
                                  "registry, which tells)"),
                            port, proto);
                else if (in->empty)
                        /* TRANSLATORS: port and protocol, the registry's status (unassigned, reserved: IANA's words);
                         * a probe of a port where nothing listens. */
                        put(&o, _("nothing is registered on %u/%s (%s)"), port, proto, registry_status_name(j->status));
                else if (who)
                        /* TRANSLATORS: port and protocol, the registry's status (unassigned, reserved: IANA's words)
                         * and the program or service found there. */
                        put(&o, _("nothing is registered on %u/%s (%s); %s here is either lost or hiding"), port, proto,
                            registry_status_name(j->status), who);
                else
                        /* TRANSLATORS: port and protocol, the registry's status (unassigned, reserved: IANA's words). */
                        put(&o, _("nothing is registered on %u/%s (%s); a service here is either lost or hiding"), port,
                            proto, registry_status_name(j->status));
                break;
        case JUDGE_PRIVATE_USE:
                if (who)
                        /* TRANSLATORS: port and protocol, then the program or service found there. */
                        put(&o, _("%u/%s is assigned for private use (registry), so only you can say whether %s belongs here"),
                            port, proto, who);
                else if (in->remote || in->empty)
                        put(&o, _("%u/%s is assigned for private use (registry), so only you can say whether a service "
                                  "belongs here"),
                            port, proto);
                else
                        put(&o, _("%u/%s is assigned for private use (registry), so only you can say whether its owner "
                                  "belongs here"),
                            port, proto);
                break;
        case JUDGE_MISMATCH:
                if (in->remote) {
                        /* TRANSLATORS: the service that answered, port and protocol, the registered services. */
                        put(&o, _("%s answers on %u/%s, which is assigned to %s"), who ? who : "?", port, proto, services);
                        break;
                }
                if (j->servers) {
                        char servers[256];
                        join_servers(j->servers, servers, sizeof servers);
                        /* TRANSLATORS: port and protocol, the registered services, their known server programs,
                         * and the program found there. */
                        put(&o, _("%u/%s is assigned to %s, served by %s (knowledge); %s is not a known server of it"), port,
                            proto, services, servers, who ? who : "?");
                } else {
                        /* TRANSLATORS: port and protocol, the registered services, and the program found there. */
                        put(&o, _("%u/%s is assigned to %s; %s is not a known server of it"), port, proto, services,
                            who ? who : "?");
                }
                if (j->serves_other) {
                        put(&o, " ");
                        /* TRANSLATORS: added to a reason; %s is another service's name. */
                        put(&o, _("(it is a server of %s)"), j->serves_other->service);
                }
                break;
        case JUDGE_NO_SERVERS_KNOWN:
                if (in->remote && !who)
                        /* TRANSLATORS: port and protocol, and the registered services. */
                        put(&o, _("%u/%s is assigned to %s; open, the service was not identified"), port, proto, services);
                else
                        /* TRANSLATORS: port and protocol, the registered services, and the program found there. */
                        put(&o, _("%u/%s is assigned to %s, but the knowledge file names no servers for it, so nothing "
                                  "confirms that %s serves it"),
                            port, proto, services, who ? who : "?");
                break;
        case JUDGE_OWNER_UNKNOWN:
                if (in->empty) {
                        /* TRANSLATORS: port and protocol, the registered services; a probe of a port where
                         * nothing listens (the next clause says so). */
                        put(&o, _("%u/%s is assigned to %s"), port, proto, services);
                        break;
                }
                /* TRANSLATORS: port and protocol, the registered services, and why no owner was found. */
                put(&o, _("%u/%s is assigned to %s, but the owner is unknown: %s"), port, proto, services,
                    in->owner_missing ? in->owner_missing : _("no process holds it"));
                break;
        case JUDGE_USER_UNREGISTERED:
                if (in->empty)
                        /* TRANSLATORS: port and protocol; a probe of a port where nothing listens. */
                        put(&o, _("nothing is registered on %u/%s"), port, proto);
                else if (who)
                        /* TRANSLATORS: port and protocol, then the program or service found there. */
                        put(&o, _("nothing is registered on %u/%s and no knowledge entry or baseline explains %s"), port, proto,
                            who);
                else if (in->remote)
                        put(&o, _("nothing is registered on %u/%s and no knowledge entry or baseline explains a service"),
                            port, proto);
                else
                        put(&o, _("nothing is registered on %u/%s and no knowledge entry or baseline explains its owner"),
                            port, proto);
                break;
        case JUDGE_DYNAMIC:
                /* TRANSLATORS: port and protocol. */
                put(&o, _("%u/%s is in the dynamic range (49152-65535): ephemeral and private use"), port, proto);
                break;
        case JUDGE_NO_REGISTRY:
                /* TRANSLATORS: port and protocol. */
                put(&o, _("no registry to judge %u/%s by"), port, proto);
                break;
        case JUDGE_NRULES:
                break;
        }
        /* Knowledge that knows the port but not this occupant is worth saying. */
        if (j->context && j->rule != JUDGE_THREAT_PORT && j->kind != VERDICT_EXPECTED && j->kind != VERDICT_INFO) {
                const char *name = j->context->name;
                const char *proc = j->context->nprocesses ? j->context->processes[0] : NULL;
                put_sep(&o);
                /* TRANSLATORS: clauses added to a reason: the name of a knowledge entry, the process it names,
                 * and the program or service actually found there. */
                /* An entry whose process is the interpreter this runs on tells it from nothing. */
                if (proc && who && !judge_identity_runs_on(in->who, proc))
                        put(&o, in->remote ? _("knowledge knows %s here (process %s), but %s answers")
                                           : _("knowledge knows %s here (process %s), but this is %s"),
                            name, proc, who);
                else if (proc)
                        put(&o, _("knowledge knows %s here (process %s)"), name, proc);
                else if (who)
                        put(&o, in->remote ? _("knowledge knows %s here, but %s answers")
                                           : _("knowledge knows %s here, but this is %s"),
                            name, who);
                else
                        put(&o, _("knowledge knows %s here"), name);
        }
        if (in->remote && in->unprobed && !in->not_open) {
                put_sep(&o);
                /* TRANSLATORS: a clause added to a reason; %s says why (the scan was interrupted first). */
                put(&o, _("its service was not probed: %s"), in->unprobed);
        }
        if (in->empty && in->owner_missing) {
                /* Not an owner that is unknown: no owner ("nothing listens; probed from ..."). */
                put_sep(&o);
                put(&o, "%s", in->owner_missing);
        } else if (!who && !in->remote && in->owner_missing && j->rule != JUDGE_OWNER_UNKNOWN && j->rule != JUDGE_RAW &&
                   j->rule != JUDGE_CONNECTION && j->rule != JUDGE_BASELINE) {
                put_sep(&o);
                /* TRANSLATORS: a clause added to a reason; %s says why the owner is unknown. */
                put(&o, _("owner unknown: %s"), in->owner_missing);
        }
        if (j->lowered) {
                put_sep(&o);
                /* TRANSLATORS: a clause added to a reason; two severities (none, low, medium, high). */
                put(&o, _("listening on loopback only, so severity lowered from %s to %s"),
                    verdict_severity_label(j->severity + 1), verdict_severity_label(j->severity));
        }
        return o.need;
}
