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
#include "portscope/knowledge.h"
#include "portscope/registry.h"
#include "portscope/sockets.h"

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
};

/* What verdicts are judged against. All borrowed; knowledge and baseline may be NULL. */
struct verdict_context {
        const struct registry *registry;
        const struct knowledge *knowledge;
        const struct baseline *baseline;
        /* The verdict engine's context, filled by verdict_context_prepare() (optional: without
         * it the engine is set up per call, slower). Owned, freed by verdict_context_release(). */
        struct judge_context judge;
        bool prepared;
};

/* Builds c->knowledge_ports. Returns 0 or -ENOMEM (the context still works without it). */
int verdict_context_prepare(struct verdict_context *c);
void verdict_context_release(struct verdict_context *c);

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

/* Why a socket has no owner, in one sentence ("not root: ..."), or NULL when it has one. */
/* Why some processes' descriptors could not be read: not root, or refused even to root. */
const char *verdict_hidden_reason(void);

const char *verdict_owner_missing(const struct sockets_list *l, const struct sockets_entry *e);

/* ---- the report ---- */

struct verdict_report {
        struct sockets_list *sockets;   /* owned */
        struct verdict *verdicts;       /* one per sockets->v[i] */
        const struct verdict_context *context; /* borrowed: must outlive the report */
        size_t *gone;                   /* baseline entries no listener matched (indexes) */
        size_t ngone;
        const char *netns;              /* borrowed: "host" or the --netns argument */
        time_t time;
        double elapsed_ms;              /* time spent enumerating, filled by the caller */
};

/* Judges every socket of l (taking ownership of l, even on failure). netns is borrowed. */
int verdict_report_build(const struct verdict_context *c, struct sockets_list *l, const char *netns,
                         struct verdict_report **ret);
void verdict_report_free(struct verdict_report *r); /* accepts NULL */

/* The worst severity among listeners (connections from --all do not count). */
enum verdict_severity verdict_report_worst(const struct verdict_report *r);
/* Counts per verdict kind (listeners only). */
void verdict_report_counts(const struct verdict_report *r, size_t counts[VERDICT_NKINDS]);

/* JSON of listener i (new reference). */
json_t *verdict_listener_json(const struct verdict_report *r, size_t i);
/* {"registry":..,"knowledge":..,"privileged":..,"owners":{..},"netns":..,"time":..,"listeners":[..],
 *  "gone":[..],"summary":{..}} (new reference). */
json_t *verdict_report_json(const struct verdict_report *r);
/* Writes the report's JSON (the object above, plus the members of extra, borrowed, may be NULL)
 * and a newline to f: indented when pretty, else compact and streamed listener by listener.
 * Returns 0, -ENOMEM or -EIO. */
int verdict_report_dump_json(const struct verdict_report *r, json_t *extra, FILE *f, bool pretty);
/* A readable table; names and command lines are escaped with ps_term_escape(). */
void verdict_report_print_table(const struct verdict_report *r, FILE *f, bool color);
/* Notes about what could not be seen (privilege, unsupported protocols) as lines on f. */
void verdict_report_print_notes(const struct verdict_report *r, FILE *f);
/* The node_exporter textfile-collector text (caller frees *ret). Returns 0 or -ENOMEM. */
int verdict_report_prometheus(const struct verdict_report *r, char **ret, size_t *ret_len);
/* A draft baseline: explained listeners as entries, the rest commented out with a TODO
 * (caller frees *ret). Returns 0 or -ENOMEM. */
int verdict_report_draft_baseline(const struct verdict_report *r, char **ret, size_t *ret_len);

/* Names of the owners of e for matching (comm and argv[0] basename of each owner, de-duplicated).
 * Writes at most max borrowed pointers, returns how many. */
size_t verdict_owner_names(const struct sockets_list *l, const struct sockets_entry *e, const char **names, size_t max);

/* The IP protocol name of a raw socket's protocol number ("icmp", "ipv6-icmp"...) or NULL. */
const char *verdict_ip_protocol_name(unsigned proto);
