/* portscope serve — the port ranges: /ranges. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pages.h"
#include "portscope/port.h"

int http_page_ranges(const struct http_ctx *c, struct http_buf *b)
{
        page_begin(b, "Port ranges", "The three port ranges of RFC 6335 and how ports in each are assigned.");
        P(b, "<h1>Port ranges</h1><p class=\"lead\">RFC 6335 splits the 65,536 ports of each transport protocol "
             "into three ranges, each with its own rules for assignment.</p>");
        static const unsigned bounds[3][2] = { { 0, 1023 }, { 1024, 49151 }, { 49152, 65535 } };
        for (int r = PS_RANGE_SYSTEM; r <= PS_RANGE_DYNAMIC; r++) {
                unsigned count[HTTP_NMAP_CLASSES] = { 0 };
                for (unsigned p = bounds[r][0]; p <= bounds[r][1]; p++)
                        count[c->classes[p] < HTTP_NMAP_CLASSES ? c->classes[p] : 0]++;
                P(b, "<section aria-labelledby=\"");
                h(b, ps_range_name((enum ps_range)r));
                P(b, "-h\"><h2 id=\"");
                h(b, ps_range_name((enum ps_range)r));
                P(b, "-h\"><a id=\"");
                h(b, ps_range_name((enum ps_range)r));
                P(b, "\"></a>");
                const char *n = ps_range_name((enum ps_range)r);
                char cap[32];
                snprintf(cap, sizeof cap, "%s", n);
                if (cap[0] >= 'a' && cap[0] <= 'z')
                        cap[0] = (char)(cap[0] - 'a' + 'A');
                h(b, cap);
                P(b, " ports: ");
                h(b, ps_range_bounds((enum ps_range)r));
                P(b, "</h2><p>");
                h(b, ps_range_procedure((enum ps_range)r));
                P(b, "</p><ul>");
                for (int k = 0; k < HTTP_MAP_LISTENING; k++) {
                        http_buf_printf(b, "<li><span class=\"sw %s\"></span>%u ", page_class_css[k], count[k]);
                        h(b, http_map_class_name((enum http_map_class)k));
                        P(b, "</li>");
                }
                P(b, "</ul><p>From ");
                page_port_link(b, bounds[r][0]);
                P(b, " to ");
                page_port_link(b, bounds[r][1]);
                P(b, ".</p></section>");
        }
        P(b, "<p class=\"muted\">Counts are of port numbers (TCP or UDP assigned counts as assigned); "
             "“unofficial use” means unassigned but known from portscope's field knowledge.</p>");
        page_end(c, b, "/ranges", false);
        return page_status(b, 200);
}
