/* portscope — field knowledge: what really runs on ports, in the project's own words.
 *
 * The knowledge file (data/knowledge.txt, format in docs/knowledge-format.md) is compiled into
 * the program; $PORTSCOPE_KNOWLEDGE or an explicit path replaces it. A loaded `struct knowledge`
 * is immutable and may be shared between threads; all strings are borrowed from it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portscope/error.h"
#include "portscope/port.h"

struct knowledge;

enum knowledge_kind {
        KNOWLEDGE_APPLICATION = 0, /* a legitimate program that uses the port without (or beside) an assignment */
        KNOWLEDGE_MALWARE = 1,     /* a trojan, backdoor or botnet known for the port */
        KNOWLEDGE_MISUSE = 2,      /* common-misuse: a well-known squatting or re-purposing */
        KNOWLEDGE_DEVELOPMENT = 3, /* development servers and tools' defaults */
        KNOWLEDGE_TOOL = 4,        /* security, testing and administration tools (scanners, proxies) */
        KNOWLEDGE_C2 = 5,          /* command-and-control frameworks: a listener means an intrusion or a red team */
        KNOWLEDGE_NKINDS
};
const char *knowledge_kind_name(enum knowledge_kind k); /* "application", "malware", "common-misuse", ... */

/* An entry: one use of one or more ports. */
struct knowledge_entry {
        const char *id;             /* the internal id ("rdp-exposure"): stable, for JSON and matching */
        const char *name;           /* the name a person reads ("Remote Desktop (RDP) exposed") */
        enum knowledge_kind kind;
        const struct ps_portspec *ports; /* each with its protocol(s): PS_PROTO_BIT mask */
        size_t nports;
        const char *summary;        /* one or two sentences */
        const char *source;         /* where the fact comes from: a URL or a citation */
        const char *const *processes; /* process names that identify this use (may be empty) */
        size_t nprocesses;
        unsigned line;              /* where the entry starts in the file */
};

/* A service and the programs that serve it: "ssh" is served by "sshd", "dropbear". */
struct knowledge_service {
        const char *service;
        const char *const *servers;
        size_t nservers;
        const char *source;
        unsigned line;
};

/* Loads the knowledge: path, else $PORTSCOPE_KNOWLEDGE, else the built-in copy. Returns 0 and
 * *ret (caller frees with knowledge_free), or -errno with *err filled in. */
int knowledge_load(const char *path, struct knowledge **ret, struct ps_error *err);
/* Parses a buffer; name is used in errors. */
int knowledge_parse(const char *name, const char *data, size_t len, struct knowledge **ret,
                    struct ps_error *err);
void knowledge_free(struct knowledge *k); /* accepts NULL */

/* "builtin" or the path it was read from. */
const char *knowledge_origin(const struct knowledge *k);

size_t knowledge_nentries(const struct knowledge *k);
const struct knowledge_entry *knowledge_entry(const struct knowledge *k, size_t i);
size_t knowledge_nservices(const struct knowledge *k);
const struct knowledge_service *knowledge_service_at(const struct knowledge *k, size_t i);

/* Who holds a raw IP socket or a packet socket (AF_PACKET) for a reason: "DHCP clients and
 * servers" are dhclient, dhcpcd ... (a socket record, docs/knowledge-format.md). */
enum { KNOWLEDGE_SOCKET_RAW = 1u << 0, KNOWLEDGE_SOCKET_PACKET = 1u << 1 };
struct knowledge_socket {
        unsigned kinds;               /* KNOWLEDGE_SOCKET_RAW and/or KNOWLEDGE_SOCKET_PACKET */
        const char *name;             /* "DHCP clients and servers" */
        const char *const *processes; /* program names, as in process: */
        size_t nprocesses;
        const char *source;
        unsigned line;
};
size_t knowledge_nsockets(const struct knowledge *k);
const struct knowledge_socket *knowledge_socket_at(const struct knowledge *k, size_t i);

/* Entries for (port, proto) in file order; writes at most max, returns the total. */
size_t knowledge_for_port(const struct knowledge *k, uint16_t port, enum ps_proto proto,
                          const struct knowledge_entry **out, size_t max);
/* The servers of a service name (case-insensitive), or NULL if the file does not know it. */
const struct knowledge_service *knowledge_service(const struct knowledge *k, const char *service);
/* true when process (a command name such as "sshd") is a known server of service. */
bool knowledge_serves(const struct knowledge *k, const char *service, const char *process);
