/* portscope serve — the page of a service name: /services/NAME. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pages.h"

int http_page_service(const struct http_ctx *c, const char *name, struct http_buf *b)
{
        uint32_t ids[256];
        size_t n = registry_by_name(c->reg, name, ids, 256);
        if (n > 256)
                n = 256;
        const struct knowledge_service *ks = c->know ? knowledge_service(c->know, name) : NULL;
        if (n == 0 && !ks)
                return http_page_error(c, 404, "The registry has no service of that name.", b);
        page_begin(b, name, "A service name in the IANA registry: its ports and programs.");
        P(b, "<h1>Service ");
        h(b, name);
        P(b, "</h1>");
        if (n) {
                struct registry_row row;
                if (registry_row(c->reg, ids[0], &row) == 0 && row.description[0]) {
                        P(b, "<p class=\"lead\">");
                        h(b, row.description);
                        P(b, "</p>");
                }
        }
        P(b, "<h2>Ports</h2>");
        if (n == 0)
                P(b, "<p>No row of the registry has this name.</p>");
        else {
                P(b, "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\"><table><thead><tr><th scope=\"col\">Port</th><th scope=\"col\">Protocol"
                     "</th><th scope=\"col\">Description</th><th scope=\"col\">Reference</th></tr></thead><tbody>");
                for (size_t i = 0; i < n; i++) {
                        struct registry_row row;
                        if (registry_row(c->reg, ids[i], &row) < 0)
                                continue;
                        P(b, "<tr><td>");
                        if (!row.has_port)
                                P(b, "<span class=\"muted\">none (name only)</span>");
                        else if (row.port_lo == row.port_hi)
                                page_port_link(b, row.port_lo);
                        else {
                                page_port_link(b, row.port_lo);
                                P(b, "–");
                                page_port_link(b, row.port_hi);
                        }
                        P(b, "</td><td>");
                        h(b, row.proto);
                        P(b, "</td><td>");
                        h(b, row.description);
                        P(b, "</td><td>");
                        h(b, row.reference);
                        P(b, "</td></tr>");
                }
                P(b, "</tbody></table></div>");
                P(b, "<h2>Registry rows</h2>");
                for (size_t i = 0; i < n; i++) {
                        struct registry_row row;
                        if (registry_row(c->reg, ids[i], &row) == 0)
                                page_row_dl(c, b, &row);
                }
        }
        if (ks) {
                P(b, "<h2>Programs that serve it</h2><ul>");
                for (size_t j = 0; j < ks->nservers; j++) {
                        P(b, "<li><code>");
                        h(b, ks->servers[j]);
                        P(b, "</code></li>");
                }
                P(b, "</ul>");
                if (ks->source && ks->source[0]) {
                        P(b, "<p class=\"muted\">Source: ");
                        page_source_text(b, ks->source);
                        P(b, "</p>");
                }
        }
        struct http_buf path;
        http_buf_init(&path, HTTP_TARGET_MAX);
        http_buf_puts(&path, "/services/");
        http_url_encode(&path, name, (size_t)-1);
        page_end(c, b, path.error ? NULL : http_buf_str(&path), false);
        http_buf_free(&path);
        return page_status(b, 200);
}
