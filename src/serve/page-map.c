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
        page_begin(b, "Map of all ports", "All 65,536 ports on one map, coloured by registry status.");
        P(b, "<h1>Map of all ports</h1><p class=\"lead\">65,536 ports, 256 per row. Blue ones are assigned by "
             "IANA; amber ones are reserved; purple ones are unassigned but used by known programs; hatched ones lie "
             "in a wide range a known program picks from.</p>");
        if (!local) {
                P(b, "<nav class=\"toggle\" aria-label=\"Protocol\"><a href=\"/map\"");
                P(b, proto == PS_TCP ? " aria-current=\"page\">TCP</a>" : ">TCP</a>");
                P(b, " <a href=\"/map?proto=udp\"");
                P(b, proto == PS_UDP ? " aria-current=\"page\">UDP</a></nav>" : ">UDP</a></nav>");
        }
        page_map_figure(c, b, local && c->show_local, proto);
        if (local && c->show_local) {
                P(b, "<h2 id=\"listening\">Listening on this machine</h2>");
                http_local_table(c, b);
        }
        P(b, "<h2 id=\"goto\">Without a pointer</h2><p>On the map, the arrow keys move a cursor and Enter opens "
             "its port. Or type a port number to open its page:</p><form action=\"/search\" "
             "method=\"get\"><label for=\"mq\">Port</label> <input id=\"mq\" name=\"q\" inputmode=\"numeric\" "
             "pattern=\"[0-9]{1,5}\" maxlength=\"5\" required> <button type=\"submit\">Open</button></form>"
             "<p>Or start from a range: <a href=\"/ports/0\">0</a> (system), <a href=\"/ports/1024\">1024</a> "
             "(user), <a href=\"/ports/49152\">49152</a> (dynamic).</p>");
        page_end(c, b, "/map", true);
        return page_status(b, 200);
}
