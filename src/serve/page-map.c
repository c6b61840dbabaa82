/* portscope serve — the map of all ports: /map. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pages.h"

int http_page_map(const struct http_ctx *c, bool local, struct http_buf *b)
{
        page_begin(b, "Map of all ports", "All 65,536 ports on one map, coloured by registry status.");
        P(b, "<h1>Map of all ports</h1><p class=\"lead\">65,536 ports, 256 per row. Blue ones are assigned by "
             "IANA; amber ones are reserved; purple ones are unassigned but used by known programs.</p>");
        page_map_figure(c, b, local && c->show_local);
        if (local && c->show_local) {
                P(b, "<h2 id=\"listening\">Listening on this machine</h2>");
                http_local_table(c, b);
        }
        P(b, "<h2>Without a pointer</h2><p>Type a port number to open its page:</p><form action=\"/search\" "
             "method=\"get\"><label for=\"mq\">Port</label> <input id=\"mq\" name=\"q\" inputmode=\"numeric\" "
             "pattern=\"[0-9]{1,5}\" maxlength=\"5\" required> <button type=\"submit\">Open</button></form>"
             "<p>Or start from a range: <a href=\"/ports/0\">0</a> (system), <a href=\"/ports/1024\">1024</a> "
             "(user), <a href=\"/ports/49152\">49152</a> (dynamic).</p>");
        page_end(c, b, "/map", true);
        return page_status(b, 200);
}
