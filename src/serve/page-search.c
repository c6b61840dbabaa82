/* portscope serve — search results: /search?q=TEXT. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pages.h"
#include "portscope/search.h"

int http_page_search(const struct http_ctx *c, const char *q, struct http_buf *b)
{
        enum { MAXHITS = 100 };
        struct search_hit *hits = calloc(MAXHITS, sizeof *hits);
        if (!hits)
                return -ENOMEM;
        /* The same search as `portscope search`. */
        long total = q[0] ? search_run(c->reg, c->know, q, hits, MAXHITS) : 0;
        if (total < 0) {
                free(hits);
                return (int)total;
        }
        size_t n = total > MAXHITS ? MAXHITS : (size_t)total;
        page_begin(b, q[0] ? "Search results" : "Search", NULL);
        P(b, "<h1>Search</h1><form role=\"search\" aria-label=\"Search ports and services\" action=\"/search\" method=\"get\"><p><label for=\"q\">Port "
             "number, service name or program</label><br><input id=\"q\" name=\"q\" type=\"search\" required "
             "maxlength=\"256\" value=\"");
        h(b, q);
        P(b, "\"> <button class=\"primary\" type=\"submit\">Search</button></p></form>");
        if (q[0]) {
                P(b, "<h2 id=\"results\">");
                if (total == 0)
                        P(b, "No results");
                else if ((size_t)total > n)
                        http_buf_printf(b, "%ld results (the first %zu shown)", total, n);
                else
                        http_buf_printf(b, "%ld result%s", total, total == 1 ? "" : "s");
                P(b, " for “");
                h(b, q);
                P(b, "”</h2><ol class=\"results\">");
                for (size_t i = 0; i < n; i++) {
                        const struct search_hit *x = &hits[i];
                        if (x->kind == SEARCH_HIT_ROW) {
                                struct registry_row row;
                                if (registry_row(c->reg, x->row_id, &row) < 0)
                                        continue;
                                P(b, "<li>");
                                if (row.service[0])
                                        page_service_link(b, row.service);
                                else
                                        h(b, registry_kind_name(row.kind));
                                if (row.has_port) {
                                        P(b, " — port ");
                                        page_port_link(b, row.port_lo);
                                        if (row.port_hi != row.port_lo)
                                                http_buf_printf(b, "–%u", (unsigned)row.port_hi);
                                        if (row.proto[0]) {
                                                P(b, "/");
                                                h(b, row.proto);
                                        }
                                }
                                if (row.description[0]) {
                                        P(b, ": <span class=\"muted\">");
                                        h(b, row.description);
                                        P(b, "</span>");
                                }
                        } else {
                                const struct knowledge_entry *e = x->entry;
                                P(b, "<li>");
                                h(b, e->name);
                                P(b, " ");
                                page_kind_badge(b, e->kind);
                                if (e->nports) {
                                        P(b, " — port ");
                                        page_port_link(b, e->ports[0].lo);
                                }
                                P(b, ": <span class=\"muted\">");
                                h(b, e->summary);
                                P(b, "</span>");
                        }
                        if (x->field && strcmp(x->field, "name") != 0) {
                                P(b, " <span class=\"muted\">(matched in ");
                                h(b, x->field);
                                P(b, ")</span>");
                        }
                        P(b, "</li>");
                }
                P(b, "</ol>");
                P(b, "<p class=\"muted\">As JSON: <a href=\"/api/v1/search?q=");
                struct http_buf enc;
                http_buf_init(&enc, 4 * HTTP_QUERY_MAX);
                http_url_encode(&enc, q, (size_t)-1);
                if (!enc.error) {
                        P(b, http_buf_str(&enc));
                        P(b, "\">/api/v1/search?q=");
                        h(b, http_buf_str(&enc));
                }
                http_buf_free(&enc);
                P(b, "</a> · the same search as <code>portscope search</code>.</p>");
        }
        free(hits);
        page_end(c, b, "/search", false);
        return page_status(b, 200);
}
