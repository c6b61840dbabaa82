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
        page_begin(b, "Ports, what runs on them and what to think", "What every TCP and UDP port is for.");
        P(b, "<h1>What runs on that port?</h1><p class=\"lead\">Every one of the 65,536 ports: what the IANA "
             "registry says, what really runs there, how to check your machine and what to think when "
             "something listens.</p>"
             "<form role=\"search\" aria-label=\"Search ports and services\" action=\"/search\" method=\"get\"><p><label for=\"q\">Port number or service "
             "name</label><br><input id=\"q\" name=\"q\" type=\"search\" required maxlength=\"256\" "
             "placeholder=\"e.g. 625, ssh, postgres\"> <button class=\"primary\" type=\"submit\">Search</button>"
             "</p></form><h2>Often looked up</h2><ul class=\"legend\">");
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
                                P(b, " <span class=\"muted\">");
                                h(b, row.service);
                                P(b, "</span>");
                        }
                }
                P(b, "</li>");
        }
        P(b, "</ul><h2>The map of all ports</h2>");
        page_map_figure(c, b, false, PS_TCP);
        P(b, "<h2>Ranges</h2><ul>");
        for (int r = PS_RANGE_SYSTEM; r <= PS_RANGE_DYNAMIC; r++) {
                P(b, "<li><a href=\"/ranges#");
                h(b, ps_range_name((enum ps_range)r));
                P(b, "\">");
                h(b, ps_range_name((enum ps_range)r));
                P(b, "</a> ");
                h(b, ps_range_bounds((enum ps_range)r));
                P(b, "</li>");
        }
        P(b, "</ul><p>Machines and scripts can use the same data as JSON: <a href=\"/api/v1/ports/22\">"
             "/api/v1/ports/22</a>, <a href=\"/api/v1/search?q=ssh\">/api/v1/search?q=ssh</a>.</p>");
        page_end(c, b, "/", true);
        return page_status(b, 200);
}
