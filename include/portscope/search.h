/* portscope — search across the registry and field knowledge (CLI `search`, web `/search`,
 * API `/api/v1/search`: one implementation). */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "portscope/knowledge.h"
#include "portscope/registry.h"

enum search_hit_kind { SEARCH_HIT_ROW = 0, SEARCH_HIT_KNOWLEDGE = 1 };

struct search_hit {
        enum search_hit_kind kind;
        uint32_t row_id;                      /* SEARCH_HIT_ROW */
        const struct knowledge_entry *entry;  /* SEARCH_HIT_KNOWLEDGE; borrowed */
        const char *field;                    /* the column that matched: "name", "description", ... */
        int score;                            /* higher is better */
};

/* Case-insensitive substring search of service names, descriptions, assignees, notes and
 * knowledge entries (name, summary, processes). Hits are sorted best first (exact name, name
 * prefix, name, then other columns; file order within a score). Reserved/Unassigned filler rows
 * are not hits. Writes at most max hits and returns the total number found, or -ENOMEM. */
long search_run(const struct registry *r, const struct knowledge *k, const char *text, struct search_hit *out,
                size_t max);

struct jsonw;

/* {"query":..,"registry":..,"total":..,"results":[..]} with at most max results, each
 * {"type":"registry","row":{..}} or {"type":"knowledge","entry":{..}}, written to w (borrowed).
 * 0, -ENOMEM, or the writer's error. */
int search_write(struct jsonw *w, const struct registry *r, const struct knowledge *k, const char *text, size_t max);
/* The same object as a jansson value (read back from search_write's output), for the HTTP API.
 * New reference; NULL on out-of-memory. */
json_t *search_json(const struct registry *r, const struct knowledge *k, const char *text, size_t max);
