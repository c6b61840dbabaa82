/* portscope — everything known about one port, as the JSON object that `portscope info --json`
 * prints and /api/v1/ports/N serves (schema: docs/json.md). One truth for CLI, API and pages. */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "portscope/knowledge.h"
#include "portscope/registry.h"

/* A JSON string of s even when s is not valid UTF-8: bad bytes (and NUL) become U+FFFD, the JSON
 * and HTML side of the policy in util.h. New reference, NULL when out of memory. */
json_t *portinfo_string(const char *s);
json_t *portinfo_stringn(const char *s, size_t len);

/* {"registry":{"source":..,"kind":..,"date":..,"assignments_only":..}} — the registry's
 * provenance, included in every output. Returns a new reference (caller decrefs). */
json_t *portinfo_source_json(const struct registry *r);
/* The same for people: "<prefix>registry: PATH (KIND, newest date D)" and a newline, escaped for a
 * terminal. Every output names the registry it judged by. */
void portinfo_print_source(FILE *f, const char *prefix, const struct registry *r);

/* The object for one row (every column, plus alias_of). New reference. */
json_t *portinfo_row_json(const struct registry *r, uint32_t row_id);

/* The whole object for port: {"port","range","range_bounds","procedure","registry",
 * "protocols":{"tcp":{"status","notes":[..],"services":[..]},...},"observed":[..],
 * "unofficial":[..] (mainstream uses first), "summary":{"status":{..},"primary_name",
 * "primary_description","top_occupant"}}; each observed entry has "rank" and "in_top_1000". k may be NULL (no unofficial uses). New reference, NULL on OOM. */
json_t *portinfo_json(const struct registry *r, const struct knowledge *k, uint16_t port);

/* Reduces portinfo_json()'s object (with its "history", if any) to the protocols in protos
 * (PS_PROTO_BIT() bits), for a question about PORT/PROTO: "protocols", "observed",
 * "history.changes", and the "unofficial" entries whose port specs for this port name none of
 * them; "protocol" is set when one is left. PS_PROTO_ALL changes nothing. Returns 0 or -ENOMEM. */
int portinfo_keep_protocols(json_t *o, unsigned protos);

/* A knowledge entry as JSON {"name","kind","ports":["3025/tcp"],"summary","source","processes"}. */
json_t *portinfo_knowledge_json(const struct knowledge_entry *e);

/* One or two sentences on what to think of a listener on (port, proto): from the registry status,
 * the range and malware entries in k (may be NULL). Static string. */
const char *portinfo_advice(const struct registry *r, const struct knowledge *k, uint16_t port, enum ps_proto proto);

/* nmap's rank of (port, proto) in nmap-services: 1 = most often open for that protocol, ties by
 * port; 0 when nmap-services does not list it. nmap's default scan is the top 1,000 TCP ports. */
unsigned portinfo_rank(const struct registry *r, uint16_t port, enum ps_proto proto);

/* The first service name registered for port (tcp first, then udp, sctp, dccp; aliases
 * skipped), borrowed from r, or NULL; *ret_description (may be NULL) gets its description. */
const char *portinfo_primary_name(const struct registry *r, uint16_t port, const char **ret_description);

/* The most mainstream knowledge entry on port for one of protos (PS_PROTO_BIT() bits;
 * PS_PROTO_ALL: any protocol; applications before tools, misuse, c2 and malware; file order
 * within a kind), or NULL. k may be NULL. Borrowed. */
const struct knowledge_entry *portinfo_top_occupant(const struct knowledge *k, uint16_t port, unsigned protos);

/* Orders entries mainstream first (stable): applications, development, tools, misuse, c2, malware. */
void portinfo_sort_knowledge(const struct knowledge_entry **e, size_t n);
