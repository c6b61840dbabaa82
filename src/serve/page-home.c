/* portscope serve — the start page. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pages.h"
#include "portscope/port.h"

int http_page_home(const struct http_ctx *c, struct http_buf *b)
{
        page_begin(b, _("Ports, what runs on them and what to think"), _("What every TCP and UDP port is for."));
        page_heading(b, _("What runs on that port?"),
                     _("Every one of the 65,536 ports: what the IANA registry says, what really runs there, how to check "
                       "your machine and what to think when something listens."));
        P(b, "<form role=\"search\" aria-label=\"");
        h(b, _("Search ports and services"));
        P(b, "\" action=\"/search\" method=\"get\"><p><label for=\"q\">");
        h(b, _("Port number or service name"));
        P(b, "</label><br><input id=\"q\" name=\"q\" type=\"search\" required maxlength=\"256\" placeholder=\"");
        /* TRANSLATORS: the search field's placeholder on the start page; 625, ssh, postgres are what one may type. */
        h(b, _("e.g. 625, ssh, postgres"));
        P(b, "\"> <button class=\"primary\" type=\"submit\">");
        h(b, _("Search"));
        P(b, "</button></p></form><h2>");
        h(b, _("Often looked up"));
        P(b, "</h2><ul class=\"legend\">");
        uint16_t top[24];
        size_t n = registry_top_ports(c->reg, PS_TCP, top, 24);
        static const uint16_t fallback[] = { 21, 22, 23, 25, 53, 80, 110, 123, 143, 443, 445, 465, 587, 993,
                                             995, 1433, 3306, 3389, 5432, 5900, 6379, 8080, 8443, 27017 };
        if (n == 0) {
                memcpy(top, fallback, sizeof fallback);
                n = sizeof fallback / sizeof fallback[0];
        }
        if (n > 24)
                n = 24;
        for (size_t i = 0; i < n; i++) {
                P(b, "<li>");
                page_port_link(b, top[i]);
                uint32_t id;
                if (registry_covering(c->reg, top[i], PS_TCP, &id, 1) > 0) {
                        struct registry_row row;
                        if (registry_row(c->reg, id, &row) == 0 && row.service[0]) {
                                P(b, " ");
                                page_en(b, "span", " class=\"muted\"", row.service);
                        }
                }
                P(b, "</li>");
        }
        P(b, "</ul><h2>");
        h(b, _("The map of all ports"));
        P(b, "</h2>");
        page_map_figure(c, b, false, PS_TCP);
        P(b, "<h2>");
        h(b, _("Ranges"));
        P(b, "</h2><ul>");
        for (int r = PS_RANGE_SYSTEM; r <= PS_RANGE_DYNAMIC; r++) {
                P(b, "<li><a href=\"/ranges#");
                h(b, ps_range_name((enum ps_range)r));
                P(b, "\">");
                h(b, _(ps_range_name((enum ps_range)r)));
                P(b, "</a> <bdi>");
                h(b, ps_range_bounds((enum ps_range)r));
                P(b, "</bdi>");
                P(b, "</li>");
        }
        P(b, "</ul><p>");
        /* TRANSLATORS: %1$s and %2$s are links to the API (/api/v1/ports/22, /api/v1/search?q=ssh). */
        page_printf_html(b, _("Machines and scripts can use the same data as JSON: %1$s, %2$s."),
                         "<a dir=\"ltr\" href=\"/api/v1/ports/22\">/api/v1/ports/22</a>",
                         "<a dir=\"ltr\" href=\"/api/v1/search?q=ssh\">/api/v1/search?q=ssh</a>");
        P(b, "</p>");
        page_end(c, b, "/", true);
        return page_status(b, 200);
}
