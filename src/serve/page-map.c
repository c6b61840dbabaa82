/* portscope serve — the map of all ports: /map. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pages.h"
#include "portscope/port.h"

int http_page_map(const struct http_ctx *c, bool local, int proto, struct http_buf *b)
{
        page_begin(b, _("Map of all ports"), _("All 65,536 ports on one map, coloured by registry status."));
        page_heading(b, _("Map of all ports"),
                     _("65,536 ports, 256 per row. Blue ones are assigned by IANA; amber ones are reserved; purple ones are "
                       "unassigned but used by known programs; hatched ones lie in a wide range a known program picks from."));
        if (!local) {
                P(b, "<nav class=\"toggle\" aria-label=\"");
                /* TRANSLATORS: the name of the map's TCP/UDP switch, read by screen readers. */
                h(b, _("Protocol"));
                P(b, "\"><a href=\"/map\"");
                P(b, proto == PS_TCP ? " aria-current=\"page\">TCP</a>" : ">TCP</a>");
                P(b, " <a href=\"/map?proto=udp\"");
                P(b, proto == PS_UDP ? " aria-current=\"page\">UDP</a></nav>" : ">UDP</a></nav>");
        }
        page_map_figure(c, b, local && c->show_local, proto);
        if (local && c->show_local) {
                P(b, "<h2 id=\"listening\">");
                h(b, _("Listening on this machine"));
                P(b, "</h2>");
                http_local_table(c, b);
        }
        P(b, "<h2 id=\"goto\">");
        /* TRANSLATORS: the heading of the map's keyboard help (using the map without a mouse). */
        h(b, _("Without a pointer"));
        P(b, "</h2><p>");
        h(b, _("On the map, the arrow keys move a cursor and Enter opens its port. Or type a port number to open its "
               "page:"));
        P(b, "</p><form action=\"/search\" method=\"get\"><label for=\"mq\">");
        h(b, _("Port"));
        P(b, "</label> <input id=\"mq\" name=\"q\" inputmode=\"numeric\" dir=\"ltr\" pattern=\"[0-9]{1,5}\" "
             "maxlength=\"5\" required> <button type=\"submit\">");
        /* TRANSLATORS: the button that opens the page of the port typed. */
        h(b, _("Open"));
        P(b, "</button></form><p>");
        /* TRANSLATORS: %1$s, %2$s, %3$s are links to ports 0, 1024 and 49152. */
        page_printf_html(b, _("Or start from a range: %1$s (system), %2$s (user), %3$s (dynamic)."),
                         "<a href=\"/ports/0\"><bdi>0</bdi></a>", "<a href=\"/ports/1024\"><bdi>1024</bdi></a>",
                         "<a href=\"/ports/49152\"><bdi>49152</bdi></a>");
        P(b, "</p>");
        page_end(c, b, "/map", true);
        return page_status(b, 200);
}
