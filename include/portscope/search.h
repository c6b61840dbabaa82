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
        unsigned protos;                      /* SEARCH_HIT_ROW: PS_PROTO_BIT mask of the merged rows */
        double popularity;                    /* nmap's frequency of the row's port (0: unknown, range) */
};

/* Searches for what people type. A port, a range or a port with its protocol ("3025", ":22",
 * "22/tcp", "8080-8090", spaces allowed) finds the rows and knowledge entries on those ports.
 * Other text is a case-insensitive substring of service names, descriptions, assignees, notes and
 * knowledge entries (name, summary, processes), and common words ("mail", "smb", "rdp", "dns",
 * "web"...) also find the services people mean by them. Blanks around and inside the text are
 * normalised. Rows of one service name on one port are merged into one hit (protos: all their
 * protocols; row_id: the best-scoring row). Hits are sorted best first: score (exact name 100,
 * synonym 95-88, name prefix 80, name 60, other columns 50-10), then nmap's frequency of the
 * port, then file order. Reserved/Unassigned filler rows are not hits. Writes at most max hits
 * from the offset-th on, and returns the total number of hits, or -ENOMEM. */
long search_page(const struct registry *r, const struct knowledge *k, const char *text, size_t offset,
                 struct search_hit *out, size_t max);
/* search_page() from the first hit. */
long search_run(const struct registry *r, const struct knowledge *k, const char *text, struct search_hit *out,
                size_t max);

struct jsonw;

/* {"query":..,"registry":..,"total":..,"offset":..,"limit":..,"results":[..]} with at most max
 * results from the offset-th on, each {"type":"registry","row":{..},"protocols":[..]} or
 * {"type":"knowledge","entry":{..}}, written to w (borrowed). 0, -ENOMEM, or the writer's error. */
int search_write_page(struct jsonw *w, const struct registry *r, const struct knowledge *k, const char *text,
                      size_t offset, size_t max);
int search_write(struct jsonw *w, const struct registry *r, const struct knowledge *k, const char *text, size_t max);
/* The same object as a jansson value (read back from search_write's output), for the HTTP API.
 * New reference; NULL on out-of-memory. */
json_t *search_json_page(const struct registry *r, const struct knowledge *k, const char *text, size_t offset,
                         size_t max);
/* Whether the query is meant as a port but is none ("99999", "90-80"): err says why (the port
 * syntax's message), for a search that finds nothing to say so. */
bool search_not_a_port(const char *query, char *err, size_t errlen);
json_t *search_json(const struct registry *r, const struct knowledge *k, const char *text, size_t max); /* offset 0 */
