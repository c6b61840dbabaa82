/* portscope — the verdict engine: does an occupant belong on its port?
 *
 * One engine for every place that judges a port: the audit of this machine's listeners, the
 * scan of another host's open ports, and anything else that knows who or what holds a port.
 * The caller gathers the evidence (registry and knowledge are consulted here); the engine picks
 * the first rule that applies (docs/verdicts.md has the table) and returns a judgement: a kind, a
 * severity, the rule, and the evidence it used. The judgement holds no text: judge_reason()
 * writes its one-line reason on demand, so a report of 20,000 listeners stores no sentences.
 *
 * Everything a judgement points to is borrowed from the input, the registry or the knowledge. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portscope/knowledge.h"
#include "portscope/port.h"
#include "portscope/registry.h"

enum verdict_kind {
        VERDICT_EXPECTED = 0,    /* explained: baseline, a known server of the service, knowledge */
        VERDICT_INFO = 1,        /* nothing wrong, worth knowing (dynamic range, raw sockets, clients) */
        VERDICT_UNEXPLAINED = 2, /* nothing explains it */
        VERDICT_MISMATCH = 3,    /* an assigned port held by something that is not a known server of it */
        VERDICT_SUSPICIOUS = 4,  /* unregistered system port, or a malware or C2 port held by a stranger */
        VERDICT_NKINDS
};
enum verdict_severity { VERDICT_NONE = 0, VERDICT_LOW = 1, VERDICT_MEDIUM = 2, VERDICT_HIGH = 3 };

const char *verdict_kind_name(enum verdict_kind k);         /* "expected", ... */
const char *verdict_severity_name(enum verdict_severity s); /* "none", "low", "medium", "high" */
/* The same in the reader's language, as the audit and scan tables, watch's lines and the reasons
 * show them. */
const char *verdict_kind_label(enum verdict_kind k);
const char *verdict_severity_label(enum verdict_severity s);
/* Returns 0 and *ret, or -EINVAL. */
int verdict_severity_parse(const char *s, enum verdict_severity *ret);

/* The rules, in the order they are tried. */
enum judge_rule {
        JUDGE_NOT_OPEN = 0,        /* scan: closed or filtered: nothing occupies the port */
        JUDGE_CONNECTION,          /* audit --all: a connection, not a listener */
        JUDGE_BASELINE,            /* the baseline names it */
        JUDGE_RAW,                 /* a raw or packet socket held by a program known to need one */
        JUDGE_RAW_UNEXPLAINED,     /* a raw or packet socket that nothing explains */
        JUDGE_KNOWN_SERVER,        /* a known server of the service the port is assigned to */
        JUDGE_KNOWN_USE,           /* a knowledge entry for the port names the occupant */
        JUDGE_THREAT_NAMED,        /* a malware entry names the occupant */
        JUDGE_EPHEMERAL_CLIENT,    /* an unconnected UDP socket in the ephemeral range of a server */
        JUDGE_RUNTIME_USE,         /* an entry for the exact port names the interpreter the occupant runs on */
        JUDGE_DISGUISED,           /* only a name the occupant gave itself, not its executable's, would explain it */
        JUDGE_STRAY_EXECUTABLE,    /* its names would explain it, but no package put its executable where it is */
        JUDGE_THREAT_PORT,         /* a malware or C2 port held by something the knowledge does not explain */
        JUDGE_LIKELY_USE,          /* scan: not identified, but a knowledge entry says what usually runs there */
        JUDGE_SYSTEM_UNREGISTERED, /* a system port IANA has not assigned */
        JUDGE_PRIVATE_USE,         /* assigned for private use: only the owner can say */
        JUDGE_SOCKET_ACTIVATION,   /* assigned, held by systemd alone for a .socket unit */
        JUDGE_MISMATCH,            /* assigned, the servers are known, the occupant is not one */
        JUDGE_NO_SERVERS_KNOWN,    /* assigned, nothing says which programs serve it */
        JUDGE_OWNER_UNKNOWN,       /* assigned, and the occupant is unknown */
        JUDGE_USER_UNREGISTERED,   /* a user port nobody registered and nothing explains */
        JUDGE_DYNAMIC,             /* the dynamic range: ephemeral and private */
        JUDGE_NO_REGISTRY,         /* no registry to judge by */
        JUDGE_NRULES
};
const char *judge_rule_name(enum judge_rule r); /* "known-server", "threat-port", ... */

#define JUDGE_MAX_NAMES 8
#define JUDGE_MAX_SERVICES 8

/* Who or what occupies the port: the names it is known by. For a process: its comm, the
 * basename of its executable and of argv[0], and for an interpreter (python3, java, node, ruby,
 * perl, php) the script, module or jar it runs. For a scanned port: the service nmap's probes
 * named and the words of the product ("Squid http proxy"). Names are matched without case. */
struct judge_identity {
        const char *names[JUDGE_MAX_NAMES];
        size_t nnames;
        const char *display;     /* how the reason names it: "sshd", "python3 app.py", "pid 42 (no name)";
                                  * NULL: unknown */
        const char *program;     /* an interpreter's script, module or jar as the display names it
                                  * ("http.server" in "python3 http.server"); NULL otherwise */
        /* Bit i: names[i] is an interpreter's own name (python3, java, node...), which says nothing
         * of the program it runs: it alone explains no port. */
        uint32_t interpreter;
        /* storage for names derived from a command line or a product (filled by the helpers) */
        char store[256];
        size_t used;
};

/* Adds name (borrowed) if it is new and there is room. */
void judge_identity_add(struct judge_identity *id, const char *name);
/* Whether name is an interpreter's (python3, java, node, ruby, perl, php): it names no program. */
bool judge_is_interpreter(const char *name);
/* The occupant's name for the interpreter name (a knowledge entry's process: "python3") names,
 * when it runs on that interpreter ("python3.11"), else NULL. */
const char *judge_identity_runs_on(const struct judge_identity *id, const char *name);
/* Adds comm, exe (basename of the executable), argv0 (basename of argv[0]) and, when the program
 * is an interpreter, the script, module or jar named on its command line (args separated by
 * spaces), with and without its suffix ("manage.py", "manage"). The interpreter's own names are
 * marked (interpreter), and the display becomes "python3 manage.py". Any may be NULL or "". */
void judge_identity_from_process(struct judge_identity *id, const char *comm, const char *exe, const char *argv0,
                                 const char *cmdline);
/* Adds a scanned service's name and the words of its product (lower case, at least 3 letters). */
void judge_identity_from_service(struct judge_identity *id, const char *service, const char *product);

struct judge_input {
        uint16_t port;
        enum ps_proto proto;
        const struct judge_identity *who; /* NULL or no names: the occupant is unknown */
        const char *owner_missing;        /* why the occupant is unknown (shown in the reason) */
        bool empty;                       /* watch: nothing occupies the port (owner_missing says so) */
        bool loopback;                    /* reachable from this machine only: severity one step lower */
        bool remote;                      /* judged from a scan: the identity is the answering service */
        bool probed;                      /* scan: service identification ran */
        bool not_open;                    /* scan: closed or filtered */
        const unsigned char *banner;      /* scan: the answer's first bytes (a knowledge entry it names explains it) */
        size_t banner_len;
        const char *state;                /* scan: "closed (reset)" and the like, for not_open */
        const char *unprobed;             /* scan: why service identification, asked for, did not probe the port */
        /* audit only */
        bool connection;                  /* not a listener (audit --all) */
        const char *peer;                 /* the connection's remote address and port, "1.2.3.4:22" */
        bool unaccepted;                  /* the connection waits in its listener's accept queue */
        bool raw;                         /* a raw or packet socket; port is the IP protocol number */
        bool packet;                      /* a packet socket (AF_PACKET); port is the EtherType */
        const char *raw_protocol;         /* "icmp"... or, for a packet socket, "all", "arp"...; or NULL */
        const char *interface;            /* a packet socket's interface, NULL for every interface */
        bool filter;                      /* a packet socket with a classic BPF filter (seen) */
        bool filter_unknown;              /* whether it has one is not shown to us (not CAP_NET_ADMIN) */
        bool deaf;                        /* a raw or packet socket that receives nothing (send only, or
                                           * its interface is down or gone) */
        bool ephemeral_client;            /* unconnected UDP in ip_local_port_range, its process serves elsewhere */
        bool activation;                  /* held by systemd alone: a .socket unit's, its service starts on demand */
        const char *ephemeral_range;      /* "32768-60999" */
        long baseline;                    /* index of the matching baseline entry, or -1 */
        const char *baseline_origin;      /* the baseline file */
        unsigned baseline_line;
        const char *baseline_reason;
        /* The occupant with the names it gave itself too (comm, argv[0] that its executable does
         * not bear), and that executable: when those names alone would explain it, it is disguised. */
        const struct judge_identity *claimed;
        const char *executable;
        /* Where that executable lives, when no package would have put it there (audit): then the
         * names it bears explain nothing either. */
        enum judge_exe_place {
                JUDGE_EXE_INSTALLED = 0, /* nothing says otherwise */
                JUDGE_EXE_WRITABLE,      /* under place_dir, a directory any user can write */
                JUDGE_EXE_DELETED,       /* deleted, and nothing took its place */
                JUDGE_EXE_MEMORY,        /* a memfd: never a file */
                JUDGE_EXE_WRITABLE_FILE, /* the file itself: any user can rewrite it */
        } place;
        const char *place_dir;
};
#define JUDGE_INPUT_INIT { .baseline = -1 }

struct judgement {
        enum verdict_kind kind;
        enum verdict_severity severity;
        enum judge_rule rule;
        bool lowered;                      /* loopback lowered the severity one step */
        enum registry_status status;       /* of (port, proto); unassigned for raw sockets */
        bool assignments_only;             /* the registry is a services(5) file: "unassigned" means "not
                                            * listed", which proves nothing */
        const char *services[JUDGE_MAX_SERVICES]; /* the names the port is assigned to (no aliases) */
        size_t nservices;
        const struct knowledge_entry *knowledge;      /* the entry the rule used, or NULL */
        const struct knowledge_entry *context;        /* an entry for the port that did not explain it */
        const struct knowledge_service *servers;      /* the service record the rule used, or NULL */
        const struct knowledge_service *serves_other; /* mismatch: a service the occupant is a server of */
        const char *matched;               /* the occupant's name that matched, or NULL */
        const char *runtime;               /* runtime-use: the interpreter the entry names ("node") */
        const struct knowledge_socket *holder; /* raw: the socket record that names the occupant */
        const struct judge_input *in;      /* borrowed: judge_reason() reads it */
};

/* What judgements are made against. registry and knowledge may be NULL. */
struct judge_context {
        const struct registry *registry;
        const struct knowledge *knowledge;
};

/* Whether a malware or c2 knowledge entry names (port, proto) itself, not as part of a wide range. */
bool judge_threat_port(const struct judge_context *c, uint16_t port, enum ps_proto proto);

/* Judges in (borrowed by *ret until the reason has been written). */
void judge(const struct judge_context *c, const struct judge_input *in, struct judgement *ret);
/* The judgement's one-line reason, citing its evidence, into buf (always terminated when len > 0).
 * Returns the length it needed, like snprintf. The reason may quote outside text (process and
 * service names): escape it before display. */
size_t judge_reason(const struct judgement *j, char *buf, size_t len);
