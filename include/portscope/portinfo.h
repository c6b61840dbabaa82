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
 * "unofficial":[..]}. k may be NULL (no unofficial uses). New reference, NULL on OOM. */
json_t *portinfo_json(const struct registry *r, const struct knowledge *k, uint16_t port);

/* A knowledge entry as JSON {"name","kind","ports":["3025/tcp"],"summary","source","processes"}. */
json_t *portinfo_knowledge_json(const struct knowledge_entry *e);

/* One or two sentences on what to think of a listener on (port, proto): from the registry status,
 * the range and malware entries in k (may be NULL). Static string. */
const char *portinfo_advice(const struct registry *r, const struct knowledge *k, uint16_t port, enum ps_proto proto);
