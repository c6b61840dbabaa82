/* portscope — verdicts on listeners, and the audit report built from them.
 *
 * Each listener gets a verdict, a severity and a one-line reason that cites the registry, the
 * knowledge file or the baseline (rules in docs/audit.md). A report owns the socket list it was
 * built from and is what every output (table, JSON, JSON lines, Prometheus) is made of. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "portscope/baseline.h"
#include "portscope/judge.h"
#include "portscope/dynbuf.h"
#include "portscope/jsonw.h"
#include "portscope/knowledge.h"
#include "portscope/registry.h"
#include "portscope/sockets.h"
#include "portscope/util.h"

#define VERDICT_MAX_SERVICES 8

struct verdict {
        enum verdict_kind kind;
        enum verdict_severity severity;
        char reason[640];
        enum registry_status status;      /* registry status of (port, proto); unassigned for raw */
        const char *services[VERDICT_MAX_SERVICES]; /* assigned service names, borrowed from the registry */
        size_t nservices;
        const struct knowledge_entry *knowledge; /* the entry cited, borrowed; NULL if none */
        long baseline;                    /* index of the baseline entry that matched, or -1 */
        enum judge_rule rule;             /* the rule of the verdict engine that decided */
        const char *matched;              /* the owner's name that matched knowledge, borrowed; or NULL */
        /* What the reason names the owner as: the name that matched (also one from the command line,
         * python3 -m http.server: "http.server", which matched cannot borrow), else the script,
         * module or jar an interpreter runs; "" when neither. */
        char identified[256];
};

/* What verdicts are judged against. All borrowed; knowledge and baseline may be NULL. */
struct verdict_context {
        const struct registry *registry;
        const struct knowledge *knowledge;
        const struct baseline *baseline;
        /* verdict_serving_processes() of the sockets before a filter dropped some (a process's
         * own client sockets are told by its other listeners); NULL: of the report's sockets. */
        const bool *serving;
};

/* Judges one socket of l with the verdict engine (judge.h). serving (may be NULL) marks the
 * processes of l->procs that hold a listener outside the ephemeral port range: their
 * unconnected UDP sockets inside the range are their own client sockets. */
void verdict_judge(const struct verdict_context *c, const struct sockets_list *l, const struct sockets_entry *e,
                   struct verdict *ret);
void verdict_judge_in(const struct verdict_context *c, const struct sockets_list *l, const struct sockets_entry *e,
                      const bool *serving, struct verdict *ret);
/* Marks (calloc'd array of l->nprocs, caller frees) the processes that serve outside the
 * ephemeral range; NULL when out of memory. */
bool *verdict_serving_processes(const struct sockets_list *l);
/* The kernel's ip_local_port_range (read once; 32768-60999 when unreadable). */
void verdict_ephemeral_range(uint16_t *ret_lo, uint16_t *ret_hi);

/* Why some processes' descriptors could not be read: not root, or refused even to root (as the
 * owner walk of l saw it). */
const char *verdict_hidden_reason(const struct sockets_list *l);
/* Why a socket has no owner, in one sentence ("not root: ..."), or NULL when it has one. */
const char *verdict_owner_missing(const struct sockets_list *l, const struct sockets_entry *e);

/* ---- the report ---- */

/* What the report keeps of a listener's verdict: struct verdict with its reason out of line (one
 * arena per report instead of 640 bytes a listener). */
struct verdict_item {
        enum verdict_kind kind;
        enum verdict_severity severity;
        enum registry_status status;
        size_t nservices;
        const char *services[VERDICT_MAX_SERVICES]; /* borrowed from the registry */
        const struct knowledge_entry *knowledge;    /* borrowed; NULL if none */
        long baseline;                              /* index of the baseline entry, or -1 */
        const char *reason;                         /* owned by the report */
        enum judge_rule rule;                       /* the verdict engine's rule that decided */
        const char *matched;                        /* the owner's name that matched, borrowed; or NULL */
        const char *identified;                     /* verdict.identified, owned by the report; or NULL */
};

struct verdict_report {
        struct sockets_list *sockets;   /* owned */
        struct verdict_item *verdicts;  /* one per sockets->v[i] */
        const struct verdict_context *context; /* borrowed: must outlive the report */
        size_t *gone;                   /* baseline entries no listener matched (indexes) */
        size_t ngone;
        const char *netns;              /* borrowed: "host" or the --netns argument */
        time_t time;
        double elapsed_ms;              /* time spent enumerating, filled by the caller */
        struct ps_users *users;         /* owned: names of the sockets' and owners' uids */
        /* private */
        struct dynbuf reasons[2];
};

/* Judges every socket of l (taking ownership of l, even on failure): on two threads when there
 * are many. First the listening sockets of l that differ only in their inode (one program's
 * SO_REUSEPORT group: the same protocol, address, port, binding and owners) become one entry,
 * its merged the count of the others; l is expected sorted (sockets_list_sort()). netns is
 * borrowed. Returns 0 and *ret, or -ENOMEM. */
int verdict_report_build(const struct verdict_context *c, struct sockets_list *l, const char *netns,
                         struct verdict_report **ret);
void verdict_report_free(struct verdict_report *r); /* accepts NULL */

/* The worst severity among listeners (connections from --all do not count). */
enum verdict_severity verdict_report_worst(const struct verdict_report *r);
/* Counts per verdict kind (listeners only). */
void verdict_report_counts(const struct verdict_report *r, size_t counts[VERDICT_NKINDS]);
/* The user of socket i: its first owner's, else the name of the socket's uid as the kernel
 * reports it (known even when the process is hidden). Borrowed from the report. */
const char *verdict_report_user(const struct verdict_report *r, size_t i);

/* Every output streams: nothing is built per listener but the line being written.
 *
 * JSON: {"registry":..,"knowledge":..,"baseline":..,"netns":..,"time":..,"privileged":..,
 * "owners":{..},"unsupported_protocols":[..],"gone":[..],"summary":{..},<members of extra>,
 * "listeners":[..]} and a newline, indented when pretty. extra (borrowed, may be NULL) is an
 * object whose members are written before "listeners" (elapsed_ms, changes).
 * Returns 0, -ENOMEM or -EIO. */
int verdict_report_dump_json(const struct verdict_report *r, const json_t *extra, FILE *f, bool pretty);
/* JSON lines: one listener object a line, then {"changes":..} when changes (borrowed) is not
 * NULL. Returns 0 or -EIO. */
int verdict_report_dump_jsonl(const struct verdict_report *r, const json_t *changes, FILE *f);
/* The object of listener i, written through w. */
void verdict_report_listener_json(const struct verdict_report *r, size_t i, struct jsonw *w);
/* A readable table; names and command lines are escaped with ps_term_escape(). */
void verdict_report_print_table(const struct verdict_report *r, FILE *f, bool color);
/* Notes about what could not be seen (privilege, unsupported protocols) as lines on f. */
void verdict_report_print_notes(const struct verdict_report *r, FILE *f);
/* The node_exporter textfile-collector text, written to f (memory: a small record a listener for
 * sorting). Returns 0, -ENOMEM or -EIO. */
int verdict_report_prometheus(const struct verdict_report *r, FILE *f);
/* A draft baseline written to f: explained listeners as entries, the rest commented out with a
 * TODO. Returns 0, -ENOMEM or -EIO. */
int verdict_report_draft_baseline(const struct verdict_report *r, FILE *f);

/* Names of the owners of e for matching (comm and argv[0] basename of each owner, de-duplicated).
 * Writes at most max borrowed pointers, returns how many. */
size_t verdict_owner_names(const struct sockets_list *l, const struct sockets_entry *e, const char **names, size_t max);

/* The IP protocol name of a raw socket's protocol number ("icmp", "ipv6-icmp"...) or NULL. */
const char *verdict_ip_protocol_name(unsigned proto);
