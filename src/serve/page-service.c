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
                return http_page_error(c, 404, _("The registry has no service of that name."), b);
        page_begin(b, name, _("A service name in the IANA registry: its ports and programs."));
        {
                struct http_buf nm;
                http_buf_init(&nm, 512);
                page_en(&nm, "bdi", NULL, name);
                P(b, "<h1>");
                /* TRANSLATORS: a service page's heading; %s is the service's name (ssh). */
                page_printf_html(b, _("Service %s"), nm.error ? "" : http_buf_str(&nm));
                P(b, "</h1>");
                http_buf_free(&nm);
        }
        if (n) {
                /* The description most of its rows give (the shortest of equals): http-alt's first
                 * row (591) is "FileMaker, Inc. - HTTP Alternate (see Port 80)", its others say
                 * "HTTP Alternate". */
                struct registry_row row, o;
                size_t best = SIZE_MAX, best_n = 0, best_len = 0;
                for (size_t i = 0; i < n; i++) {
                        if (registry_row(c->reg, ids[i], &row) < 0 || !row.description[0])
                                continue;
                        size_t same = 0, len = strlen(row.description);
                        for (size_t j = 0; j < n; j++)
                                same += registry_row(c->reg, ids[j], &o) == 0 && strcmp(o.description, row.description) == 0;
                        if (best == SIZE_MAX || same > best_n || (same == best_n && len < best_len)) {
                                best = i;
                                best_n = same;
                                best_len = len;
                        }
                }
                if (best != SIZE_MAX && registry_row(c->reg, ids[best], &row) == 0) {
                        P(b, "<p class=\"lead\"");
                        page_registry_attrs(b);
                        P(b, ">");
                        h(b, row.description);
                        P(b, "</p>");
                }
        }
        P(b, "<h2>");
        h(b, _("Ports"));
        P(b, "</h2>");
        if (n == 0) {
                P(b, "<p>");
                h(b, _("No row of the registry has this name."));
                P(b, "</p>");
        } else {
                const char *heads[] = { _("Port"), _("Protocol"), _("Description"), _("Reference") };
                page_table_open(b, _("Scrollable table"), NULL, heads, sizeof heads / sizeof heads[0]);
                for (size_t i = 0; i < n; i++) {
                        struct registry_row row;
                        if (registry_row(c->reg, ids[i], &row) < 0)
                                continue;
                        P(b, "<tr><td>");
                        if (!row.has_port) {
                                P(b, "<span class=\"muted\">");
                                /* TRANSLATORS: a registry row that names a service without a port. */
                                h(b, _("none (name only)"));
                                P(b, "</span>");
                        }
                        else if (row.port_lo == row.port_hi)
                                page_port_link(b, row.port_lo);
                        else {
                                P(b, "<bdi>");
                                page_port_link(b, row.port_lo);
                                P(b, "–");
                                page_port_link(b, row.port_hi);
                                P(b, "</bdi>");
                        }
                        P(b, "</td>");
                        page_registry_td(b, row.proto);
                        page_registry_td(b, row.description);
                        page_registry_td(b, row.reference);
                        P(b, "</tr>");
                }
                P(b, "</tbody></table></div>");
                P(b, "<h2>");
                h(b, _("Registry rows"));
                P(b, "</h2>");
                for (size_t i = 0; i < n; i++) {
                        struct registry_row row;
                        if (registry_row(c->reg, ids[i], &row) == 0)
                                page_row_dl(c, b, &row);
                }
        }
        if (ks) {
                P(b, "<h2>");
                h(b, _("Programs that serve it"));
                P(b, "</h2><ul>");
                for (size_t j = 0; j < ks->nservers; j++) {
                        P(b, "<li><code dir=\"ltr\">");
                        h(b, ks->servers[j]);
                        P(b, "</code></li>");
                }
                P(b, "</ul>");
                if (ks->source && ks->source[0]) {
                        P(b, "<p class=\"muted\">");
                        h(b, _("Source:"));
                        P(b, " ");
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
