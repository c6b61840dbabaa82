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
        page_begin(b, _("Port ranges"), _("The three port ranges of RFC 6335 and how ports in each are assigned."));
        page_heading(b, _("Port ranges"),
                     _("RFC 6335 splits the 65,536 ports of each transport protocol into three ranges, each with its own "
                       "rules for assignment."));
        /* TRANSLATORS: the headings of /ranges; %s is the range's ports (0-1023). */
        static const char *const heading[3] = { N_("System ports: %s"), N_("User ports: %s"), N_("Dynamic ports: %s") };
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
                char rb[64];
                snprintf(rb, sizeof rb, "<bdi>%s</bdi>", ps_range_bounds((enum ps_range)r));
                page_printf_html(b, _(heading[r - PS_RANGE_SYSTEM]), rb);
                P(b, "</h2><p>");
                h(b, _(ps_range_procedure((enum ps_range)r)));
                P(b, "</p><ul>");
                /* Every class the map draws but the listening overlay: the counts add up to the range. */
                for (int k = 0; k < HTTP_NMAP_CLASSES; k++) {
                        if (k == HTTP_MAP_LISTENING)
                                continue;
                        char num[PAGE_NUM_MAX];
                        struct http_buf cn;
                        http_buf_init(&cn, 128);
                        h(&cn, _(http_map_class_name((enum http_map_class)k)));
                        http_buf_printf(b, "<li><span class=\"sw %s\"></span>", page_class_css[k]);
                        /* TRANSLATORS: %1$s a count of ports, %2$s a class of the map (assigned, reserved...). */
                        page_printf_html(b, ps_ngettext("%1$s port: %2$s", "%1$s ports: %2$s", count[k]),
                                         page_num(num, count[k]), cn.error ? "" : http_buf_str(&cn));
                        http_buf_free(&cn);
                        P(b, "</li>");
                }
                struct http_buf from, to;
                http_buf_init(&from, 128);
                http_buf_init(&to, 128);
                page_port_link(&from, bounds[r][0]);
                page_port_link(&to, bounds[r][1]);
                P(b, "</ul><p>");
                /* TRANSLATORS: %1$s and %2$s are links to the first and last port of a range. */
                page_printf_html(b, _("From %1$s to %2$s."), from.error ? "" : http_buf_str(&from),
                                 to.error ? "" : http_buf_str(&to));
                http_buf_free(&from);
                http_buf_free(&to);
                P(b, "</p></section>");
        }
        P(b, "<p class=\"muted\">");
        h(b, _("Counts are of port numbers: a port assigned on any of the four protocols counts as assigned, "
               "else reserved on any as reserved; “unofficial use” means unassigned but known from portscope's "
               "field knowledge (TCP or UDP), and a wide range of known use is one a known program picks its ports "
               "from."));
        P(b, "</p>");
        page_end(c, b, "/ranges", false);
        return page_status(b, 200);
}
