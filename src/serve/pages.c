/* portscope serve — server-rendered HTML pages.
 *
 * Every page is one self-contained document: inline style, at most one inline script (the map's
 * hover), no external assets, and everything it says is there without JavaScript. Every value
 * that comes from the registry, the knowledge file, a process or the request goes through
 * http_html_escape() (h() below); only literals of this file are written raw. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve-internal.h"
#include "config.h"
#include "portscope/port.h"
#include "portscope/portinfo.h"
#include "portscope/search.h"

/* ---- building blocks ------------------------------------------------------------------------ */

static void P(struct http_buf *b, const char *s)
{
        http_buf_puts(b, s);
}

static void h(struct http_buf *b, const char *s)
{
        http_html_escape(b, s, (size_t)-1);
}

static void service_link(struct http_buf *b, const char *name)
{
        P(b, "<a href=\"/services/");
        http_url_encode(b, name, (size_t)-1);
        P(b, "\">");
        h(b, name);
        P(b, "</a>");
}

static void port_link(struct http_buf *b, unsigned port)
{
        http_buf_printf(b, "<a href=\"/ports/%u\">%u</a>", port, port);
}

/* A link only for http(s) URLs; anything else is shown as text. */
static void source_text(struct http_buf *b, const char *src)
{
        if (strncmp(src, "https://", 8) == 0 || strncmp(src, "http://", 7) == 0) {
                P(b, "<a rel=\"noopener noreferrer nofollow\" href=\"");
                h(b, src);
                P(b, "\">");
                h(b, src);
                P(b, "</a>");
        } else {
                h(b, src);
        }
}

static const char style[] =
        ":root{--fg:#1b1f24;--muted:#4a5360;--bg:#fff;--line:#d0d7de;--link:#0b57d0;--soft:#f3f5f8}"
        "*{box-sizing:border-box}"
        "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);"
        "background:var(--bg)}"
        "a{color:var(--link)}a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #f5a623;"
        "outline-offset:2px}"
        ".skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}.skip:focus{left:.5rem}"
        "header{background:#14213d;color:#fff;padding:.6rem 1rem}"
        "header .bar{max-width:64rem;margin:0 auto;display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;"
        "align-items:center}"
        "header a{color:#fff}header .brand{font-weight:700;font-size:1.15rem;text-decoration:none}"
        "header nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:1rem;margin:0;padding:0}"
        "header form{display:flex;gap:.4rem;margin-left:auto}"
        "header input{padding:.35rem .5rem;border:1px solid #8892a6;border-radius:4px;min-width:12rem}"
        "button{font:inherit;padding:.35rem .8rem;border-radius:4px;border:1px solid #14213d;background:#fff;"
        "color:#14213d;cursor:pointer}"
        "button.primary{background:#0b57d0;border-color:#0b57d0;color:#fff}"
        "main,.feedback,footer{max-width:64rem;margin:0 auto;padding:0 1rem}"
        "h1{font-size:1.9rem;margin:1.2rem 0 .3rem}h2{font-size:1.35rem;margin:1.8rem 0 .5rem;"
        "border-bottom:1px solid var(--line);padding-bottom:.2rem}h3{font-size:1.1rem;margin:1.2rem 0 .4rem}"
        ".lead{font-size:1.1rem;color:var(--muted);margin-top:0}"
        ".scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;margin:.5rem 0}"
        "th,td{text-align:left;vertical-align:top;padding:.35rem .6rem;border-bottom:1px solid var(--line)}"
        "th{background:var(--soft)}"
        "dl.row{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.15rem 1rem;margin:.4rem 0;"
        "padding:.6rem .8rem;background:var(--soft);border-radius:6px}"
        "dl.row dt{font-weight:600;color:var(--muted)}dl.row dd{margin:0;overflow-wrap:anywhere;white-space:pre-line}"
        "h3.row{font-size:1rem;margin:1rem 0 .2rem}"
        ".badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.85rem;font-weight:600;"
        "border:1px solid currentColor}"
        ".st-assigned{color:#0b4a8f}.st-reserved{color:#8a5a00}.st-unassigned{color:#4a5360}"
        ".st-unofficial,.k-application,.k-development,.k-tool{color:#6c2a8a}.k-malware,.k-c2,.k-common-misuse{color:#b3261e}"
        "pre{background:#0f172a;color:#e5e7eb;padding:.6rem .8rem;border-radius:6px;overflow-x:auto}"
        ".note{border-left:4px solid #d08c00;background:#fff8e6;padding:.6rem .9rem;border-radius:0 6px 6px 0}"
        ".note.warn{border-color:#b3261e;background:#fdecea}"
        ".pager{display:flex;justify-content:space-between;margin:1rem 0}"
        ".map-scroll{overflow:auto;max-width:100%;border:1px solid var(--line);display:inline-block}"
        ".map-scroll img{display:block;image-rendering:pixelated;cursor:crosshair}"
        "figure{margin:0}#map-info{font-weight:600;min-height:1.5em}"
        ".legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem}"
        ".sw{display:inline-block;width:1rem;height:1rem;border:1px solid #555;vertical-align:-.15rem;"
        "margin-right:.35rem}"
        ".c0{background:#e4e7eb}.c1{background:#1f5fa8}.c2{background:#d08c00}.c3{background:#8e44ad}"
        ".c4{background:#d62728}"
        ".results li{margin:.35rem 0}.muted{color:var(--muted)}"
        ".feedback{margin-top:2.5rem}.feedback form{display:flex;gap:.6rem;align-items:center;flex-wrap:wrap}"
        ".feedback h2{font-size:1.1rem}"
        "footer{margin-top:2rem;padding-bottom:2rem;color:var(--muted);font-size:.9rem;"
        "border-top:1px solid var(--line)}"
        "@media (max-width:40rem){header form{margin-left:0;width:100%}header input{flex:1;min-width:0}"
        "h1{font-size:1.5rem}dl.row{grid-template-columns:1fr}}";

const char *http_page_style(void)
{
        return style;
}

/* The map's hover and click: reads the class of a port from the image's own pixels. */
static const char script[] =
        "(function(){var img=document.getElementById('portmap'),info=document.getElementById('map-info');"
        "if(!img||!info)return;var names={'e4e7eb':'unassigned','1f5fa8':'assigned','d08c00':'reserved',"
        "'8e44ad':'unofficial use','d62728':'listening here'};var cv=document.createElement('canvas'),cx=null;"
        "function load(){cv.width=512;cv.height=512;cx=cv.getContext('2d');cx.drawImage(img,0,0);}"
        "if(img.complete&&img.naturalWidth)load();else img.addEventListener('load',load);"
        "function at(e){var r=img.getBoundingClientRect();var x=Math.floor((e.clientX-r.left)*256/r.width),"
        "y=Math.floor((e.clientY-r.top)*256/r.height);if(x<0||y<0||x>255||y>255)return -1;return y*256+x;}"
        "function cls(p){if(!cx)return '';var d=cx.getImageData((p%256)*2,Math.floor(p/256)*2,1,1).data;"
        "var k=((d[0]<<16)|(d[1]<<8)|d[2]).toString(16);while(k.length<6)k='0'+k;return names[k]||'';}"
        "function show(p){if(p<0)return;var c=cls(p);info.textContent='Port '+p+(c?' \\u2014 '+c:'');}"
        "var touch=false,armed=-1;img.addEventListener('pointerdown',function(e){touch=e.pointerType==='touch';});"
        "img.addEventListener('mousemove',function(e){show(at(e));});"
        "img.addEventListener('click',function(e){var p=at(e);if(p<0)return;e.preventDefault();"
        "if(touch&&armed!==p){armed=p;show(p);info.textContent+=' (tap again to open)';return;}"
        "location.href='/ports/'+p;});})();";

const char *http_page_script(void)
{
        return script;
}

static void page_begin(struct http_buf *b, const char *title, const char *description)
{
        P(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             "<link rel=\"icon\" href=\"data:,\"><title>");
        h(b, title);
        P(b, " · portscope</title>");
        if (description) {
                P(b, "<meta name=\"description\" content=\"");
                h(b, description);
                P(b, "\">");
        }
        P(b, "<style>");
        P(b, style);
        P(b, "</style></head><body><a class=\"skip\" href=\"#main\">Skip to content</a>"
             "<header><div class=\"bar\"><a class=\"brand\" href=\"/\">portscope</a>"
             "<nav aria-label=\"Main\"><ul><li><a href=\"/map\">Map</a></li><li><a href=\"/ranges\">Ranges</a></li>"
             "<li><a href=\"/stats\">Stats</a></li></ul></nav>"
             "<form role=\"search\" action=\"/search\" method=\"get\"><label class=\"skip\" for=\"hq\">Search "
             "ports and services</label><input id=\"hq\" name=\"q\" type=\"search\" "
             "placeholder=\"Port or service, e.g. 22, ssh\" required maxlength=\"256\">"
             "<button type=\"submit\">Search</button></form></div></header><main id=\"main\">");
}

static void page_end(const struct http_ctx *c, struct http_buf *b, const char *feedback_page, bool with_script)
{
        P(b, "</main>");
        if (c->feedback && feedback_page) {
                P(b, "<aside class=\"feedback\" aria-labelledby=\"fb-h\"><h2 id=\"fb-h\">Was this page helpful?</h2>"
                     "<form method=\"post\" action=\"/feedback\"><input type=\"hidden\" name=\"page\" value=\"");
                h(b, feedback_page);
                P(b, "\"><button type=\"submit\" name=\"helpful\" value=\"yes\">Yes</button>"
                     "<button type=\"submit\" name=\"helpful\" value=\"no\">No</button>"
                     "<span class=\"muted\">Anonymous: no cookies; only the count is kept.</span></form></aside>");
        }
        const struct registry_source *src = registry_source(c->reg);
        const char *path = src->path ? src->path : "";
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        P(b, "<footer><p>Data: ");
        h(b, src->kind == REGISTRY_SOURCE_IANA_CSV ? "IANA Service Name and Transport Protocol Port Number Registry"
                                                   : "services file (assignments only)");
        P(b, " (");
        h(b, base);
        if (src->date && src->date[0]) {
                P(b, ", updated ");
                h(b, src->date);
        }
        P(b, ")");
        if (src->observed_path && src->observed_path[0])
                P(b, "; observed frequencies from nmap-services");
        if (c->know) {
                P(b, "; field knowledge: ");
                h(b, knowledge_origin(c->know));
        }
        P(b, ". Served by portscope " PORTSCOPE_VERSION ".</p></footer>");
        if (with_script) {
                P(b, "<script>");
                P(b, script);
                P(b, "</script>");
        }
        P(b, "</body></html>\n");
}

static int page_status(struct http_buf *b, int status)
{
        if (b->failed)
                return b->len >= b->max ? -EFBIG : -ENOMEM;
        return status;
}

static const char *status_class(enum registry_status s)
{
        switch (s) {
        case REGISTRY_ASSIGNED: return "st-assigned";
        case REGISTRY_RESERVED: return "st-reserved";
        default: return "st-unassigned";
        }
}

static void status_badge(struct http_buf *b, enum registry_status s)
{
        http_buf_printf(b, "<span class=\"badge %s\">", status_class(s));
        h(b, registry_status_name(s));
        P(b, "</span>");
}

static void kind_badge(struct http_buf *b, enum knowledge_kind k)
{
        const char *n = knowledge_kind_name(k);
        P(b, "<span class=\"badge k-");
        h(b, n);
        P(b, "\">");
        h(b, n);
        P(b, "</span>");
}

static const char *const class_css[HTTP_NMAP_CLASSES] = { "c0", "c1", "c2", "c3", "c4" };

static void map_figure(const struct http_ctx *c, struct http_buf *b, bool local)
{
        P(b, "<figure><div class=\"map-scroll\"><a href=\"/map/click\"><img id=\"portmap\" src=\"/map.png");
        if (local)
                P(b, "?local=1");
        P(b, "\" ismap width=\"512\" height=\"512\" alt=\"Map of all 65,536 ports, 256 per row, coloured by "
             "registry status. Every port also has its own page at /ports/N.\"></a></div>"
             "<figcaption>Each row holds 256 ports: the top row is ports 0–255, the bottom row 65280–65535. "
             "Hover or tap to see a port, click to open its page.</figcaption></figure>"
             "<p id=\"map-info\" aria-live=\"polite\">Hover over the map to see a port.</p><ul class=\"legend\">");
        for (int i = 0; i < HTTP_NMAP_CLASSES; i++) {
                if (i == HTTP_MAP_LISTENING && !local)
                        continue;
                http_buf_printf(b, "<li><span class=\"sw %s\"></span>", class_css[i]);
                h(b, http_map_class_name((enum http_map_class)i));
                P(b, "</li>");
        }
        P(b, "</ul>");
        if (c->show_local) {
                if (local)
                        P(b, "<p><a href=\"/map\">Hide what listens on this machine</a></p>");
                else
                        P(b, "<p><a href=\"/map?local=1\">Show what listens on this machine</a></p>");
        }
}

/* ---- home --------------------------------------------------------------------------------- */

int http_page_home(const struct http_ctx *c, struct http_buf *b)
{
        page_begin(b, "Ports, what runs on them and what to think", "What every TCP and UDP port is for.");
        P(b, "<h1>What runs on that port?</h1><p class=\"lead\">Every one of the 65,536 ports: what the IANA "
             "registry says, what really runs there, how to check your machine and what to think when "
             "something listens.</p>"
             "<form role=\"search\" action=\"/search\" method=\"get\"><p><label for=\"q\">Port number or service "
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
                port_link(b, top[i]);
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
        map_figure(c, b, false);
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

/* ---- one port ------------------------------------------------------------------------------- */

#define MAX_ROWS 64

/* Row ids covering port on any protocol, in file order, without duplicates. */
static size_t port_rows(const struct registry *r, uint16_t port, uint32_t *ids, size_t max)
{
        size_t n = 0;
        for (int p = 0; p < PS_NPROTO; p++) {
                uint32_t tmp[MAX_ROWS];
                size_t m = registry_covering(r, port, (enum ps_proto)p, tmp, MAX_ROWS);
                if (m > MAX_ROWS)
                        m = MAX_ROWS;
                for (size_t i = 0; i < m; i++) {
                        size_t j = 0;
                        while (j < n && ids[j] != tmp[i])
                                j++;
                        if (j == n && n < max)
                                ids[n++] = tmp[i];
                }
        }
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
                        uint32_t t = ids[j];
                        ids[j] = ids[j - 1];
                        ids[j - 1] = t;
                }
        return n;
}

static size_t port_knowledge(const struct knowledge *k, uint16_t port, const struct knowledge_entry **out,
                             size_t max)
{
        size_t n = 0;
        if (!k)
                return 0;
        for (int p = 0; p < PS_NPROTO; p++) {
                const struct knowledge_entry *tmp[32];
                size_t m = knowledge_for_port(k, port, (enum ps_proto)p, tmp, 32);
                if (m > 32)
                        m = 32;
                for (size_t i = 0; i < m; i++) {
                        size_t j = 0;
                        while (j < n && out[j] != tmp[i])
                                j++;
                        if (j == n && n < max)
                                out[n++] = tmp[i];
                }
        }
        return n;
}

static void dl_item(struct http_buf *b, const char *term, const char *value)
{
        P(b, "<dt>");
        h(b, term);
        P(b, "</dt><dd>");
        if (value && value[0])
                h(b, value);
        else
                P(b, "<span class=\"muted\">—</span>");
        P(b, "</dd>");
}

static void row_dl(const struct http_ctx *c, struct http_buf *b, const struct registry_row *row)
{
        P(b, "<h3 class=\"row\">");
        h(b, row->service[0] ? row->service : registry_kind_name(row->kind));
        if (row->port[0] || row->proto[0]) {
                P(b, " · ");
                h(b, row->port);
                if (row->proto[0]) {
                        P(b, "/");
                        h(b, row->proto);
                }
        }
        P(b, "</h3><dl class=\"row\">");
        P(b, "<dt>Service Name</dt><dd>");
        if (row->service[0])
                service_link(b, row->service);
        else
                P(b, "<span class=\"muted\">—</span>");
        P(b, "</dd>");
        dl_item(b, "Port Number", row->port);
        dl_item(b, "Transport Protocol", row->proto);
        dl_item(b, "Description", row->description);
        dl_item(b, "Assignee", row->assignee);
        dl_item(b, "Contact", row->contact);
        dl_item(b, "Registration Date", row->registered);
        dl_item(b, "Modification Date", row->modified);
        dl_item(b, "Reference", row->reference);
        dl_item(b, "Service Code", row->service_code);
        dl_item(b, "Unauthorized Use Reported", row->unauthorized_use);
        dl_item(b, "Assignment Notes", row->notes);
        P(b, "<dt>Kind</dt><dd>");
        h(b, registry_kind_name(row->kind));
        if (row->alias_of >= 0) {
                struct registry_row a;
                if (registry_row(c->reg, (uint32_t)row->alias_of, &a) == 0 && a.service[0]) {
                        P(b, " (alias of ");
                        service_link(b, a.service);
                        P(b, ")");
                }
        }
        http_buf_printf(b, "</dd><dt>Source line</dt><dd>%u</dd></dl>", (unsigned)row->line);
}

/* The commands come from portinfo_json() ("how_to_check"): the same the CLI prints. */
static void check_commands(struct http_buf *b, json_t *info)
{
        static const char *const oses[][2] = {
                { "linux", "Linux" }, { "macos", "macOS" }, { "windows", "Windows (PowerShell)" }, { "portscope", "portscope" },
        };
        json_t *how = json_object_get(info, "how_to_check");
        P(b, "<h2 id=\"check\">How to check</h2><p>Whether something listens on this port on your machine, and "
             "which program:</p>");
        for (size_t i = 0; i < sizeof oses / sizeof oses[0]; i++) {
                const char *cmd = json_string_value(json_object_get(how, oses[i][0]));
                if (!cmd)
                        continue;
                P(b, "<h3>");
                h(b, oses[i][1]);
                P(b, "</h3><pre><code>");
                /* "a; b" reads better as two lines. */
                for (const char *c = cmd; *c;) {
                        const char *semi = strstr(c, "; ");
                        size_t n = semi ? (size_t)(semi - c) : strlen(c);
                        http_html_escape(b, c, n);
                        if (!semi)
                                break;
                        P(b, "\n");
                        c = semi + 2;
                }
                P(b, "</code></pre>");
        }
}

static void security_note(const struct http_ctx *c, struct http_buf *b, uint16_t port, json_t *info,
                          const enum registry_status st[PS_NPROTO], const struct knowledge_entry *const *ke,
                          size_t nke, const uint32_t *rows, size_t nrows)
{
        bool assigned = false, reserved = false, bad = false;
        for (int p = 0; p < PS_NPROTO; p++) {
                assigned |= st[p] == REGISTRY_ASSIGNED;
                reserved |= st[p] == REGISTRY_RESERVED;
        }
        for (size_t i = 0; i < nke; i++)
                bad |= ke[i]->kind == KNOWLEDGE_MALWARE || ke[i]->kind == KNOWLEDGE_MISUSE;
        P(b, "<h2 id=\"security\">If something is listening</h2>");
        http_buf_printf(b, "<div class=\"note%s\">", bad ? " warn" : "");
        if (bad) {
                P(b, "<p><strong>Known from malware or misuse:</strong> ");
                bool first = true;
                for (size_t i = 0; i < nke; i++) {
                        if (ke[i]->kind != KNOWLEDGE_MALWARE && ke[i]->kind != KNOWLEDGE_MISUSE)
                                continue;
                        if (!first)
                                P(b, ", ");
                        h(b, ke[i]->name);
                        first = false;
                }
                P(b, ". A listener here that you cannot attribute to a program you installed deserves a closer "
                     "look: find its process (above), its executable and how it was started.</p>");
        }
        /* The core's advice per protocol (portinfo_json), each distinct text once. */
        const char *seen[PS_NPROTO] = { 0 };
        size_t nseen = 0;
        for (int p = 0; p < PS_NPROTO; p++) {
                json_t *pr = json_object_get(json_object_get(info, "protocols"), ps_proto_name((enum ps_proto)p));
                const char *adv = json_string_value(json_object_get(pr, "advice"));
                if (!adv || !adv[0])
                        continue;
                bool dup = false;
                for (size_t i = 0; i < nseen; i++)
                        dup |= strcmp(seen[i], adv) == 0;
                if (dup)
                        continue;
                seen[nseen++] = adv;
                P(b, "<p>");
                if (p != PS_TCP || nseen > 1) {
                        P(b, "<strong>");
                        h(b, ps_proto_name((enum ps_proto)p));
                        P(b, ":</strong> ");
                }
                h(b, adv);
                P(b, "</p>");
        }
        if (assigned) {
                P(b, "<p>The registry says which service <em>should</em> use this port, not what does: any program "
                     "can listen on any port. Check that the process is a server of the assigned service");
                bool any = false;
                for (size_t i = 0; i < nrows && c->know; i++) {
                        struct registry_row row;
                        if (registry_row(c->reg, rows[i], &row) < 0 || !row.service[0])
                                continue;
                        const struct knowledge_service *ks = knowledge_service(c->know, row.service);
                        if (!ks || ks->nservers == 0)
                                continue;
                        P(b, any ? "; " : " (");
                        h(b, row.service);
                        P(b, " is served by ");
                        for (size_t j = 0; j < ks->nservers; j++) {
                                if (j)
                                        P(b, ", ");
                                P(b, "<code>");
                                h(b, ks->servers[j]);
                                P(b, "</code>");
                        }
                        any = true;
                        break;
                }
                P(b, any ? ").</p>" : ".</p>");
        } else if (reserved) {
                P(b, "<p>The port is reserved: no service may be assigned to it, so no standard program should "
                     "listen here. A listener is either a program that ignores the registry or one to look into.</p>");
        } else if (nke == 0) {
                P(b, "<p>No service is assigned here and no common program is known to use it: nothing explains a "
                     "listener but the program itself. Identify it before trusting it.</p>");
        } else {
                P(b, "<p>No service is assigned here; the uses listed above are the likely explanations. Confirm the "
                     "process matches one of them.</p>");
        }
        switch (ps_range_of(port)) {
        case PS_RANGE_SYSTEM:
                P(b, "<p>On Linux, binding a port below 1024 needs root or <code>CAP_NET_BIND_SERVICE</code> (unless "
                     "<code>net.ipv4.ip_unprivileged_port_start</code> was lowered), so a listener here runs with, or "
                     "was given, privilege.</p>");
                break;
        case PS_RANGE_DYNAMIC:
                P(b, "<p>Ports in the dynamic range are what operating systems hand out for outgoing connections and "
                     "for programs that ask for any free port; a <em>listener</em> here usually picked it at random "
                     "(RPC services, games, development tools), so the port number alone says little.</p>");
                break;
        default:
                break;
        }
        P(b, "<p>Whatever it is, expose it no further than needed: bind it to <code>127.0.0.1</code> or keep it "
             "behind a firewall.</p></div>");
}

int http_page_port(const struct http_ctx *c, uint16_t port, struct http_buf *b)
{
        char title[32];
        snprintf(title, sizeof title, "Port %u", (unsigned)port);
        enum registry_status st[PS_NPROTO];
        for (int p = 0; p < PS_NPROTO; p++)
                st[p] = registry_status(c->reg, port, (enum ps_proto)p);
        uint32_t rows[MAX_ROWS];
        size_t nrows = port_rows(c->reg, port, rows, MAX_ROWS);
        const struct knowledge_entry *ke[32];
        size_t nke = port_knowledge(c->know, port, ke, 32);

        /* The one-line summary, also the page's description. */
        struct http_buf sum;
        http_buf_init(&sum, 4096);
        const char *first_service = NULL;
        for (size_t i = 0; i < nrows; i++) {
                struct registry_row row;
                if (registry_row(c->reg, rows[i], &row) == 0 && row.kind == REGISTRY_ROW_SERVICE && row.service[0]) {
                        first_service = row.service;
                        http_buf_printf(&sum, "Port %u is assigned to %s", (unsigned)port, row.service);
                        size_t dl = strcspn(row.description, "\r\n");
                        if (dl && strncasecmp(row.description, row.service, dl) != 0)
                                http_buf_printf(&sum, " (%.*s)", (int)(dl > 200 ? 200 : dl), row.description);
                        break;
                }
        }
        if (!first_service)
                http_buf_printf(&sum, "Port %u is %s in the IANA registry", (unsigned)port,
                                registry_status_name(st[PS_TCP]));
        if (nke)
                http_buf_printf(&sum, "; also known for %s", ke[0]->name);
        http_buf_puts(&sum, ".");

        page_begin(b, title, sum.failed ? NULL : sum.data);
        http_buf_printf(b, "<h1>Port %u</h1><p class=\"lead\">", (unsigned)port);
        if (!sum.failed)
                h(b, sum.data);
        http_buf_free(&sum);
        P(b, "</p><nav class=\"pager\" aria-label=\"Neighbouring ports\">");
        if (port > 0)
                http_buf_printf(b, "<a rel=\"prev\" href=\"/ports/%u\">← Port %u</a>", port - 1u, port - 1u);
        else
                P(b, "<span></span>");
        if (port < 65535)
                http_buf_printf(b, "<a rel=\"next\" href=\"/ports/%u\">Port %u →</a>", port + 1u, port + 1u);
        P(b, "</nav>");

        /* Status per protocol */
        P(b, "<h2 id=\"status\">Status by protocol</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">"
             "Protocol</th><th scope=\"col\">Status</th><th scope=\"col\">Services</th></tr></thead><tbody>");
        for (int p = 0; p < PS_NPROTO; p++) {
                P(b, "<tr><th scope=\"row\">");
                h(b, ps_proto_name((enum ps_proto)p));
                P(b, "</th><td>");
                status_badge(b, st[p]);
                P(b, "</td><td>");
                uint32_t ids[MAX_ROWS];
                size_t m = registry_covering(c->reg, port, (enum ps_proto)p, ids, MAX_ROWS);
                if (m > MAX_ROWS)
                        m = MAX_ROWS;
                bool any = false;
                for (size_t i = 0; i < m; i++) {
                        struct registry_row row;
                        if (registry_row(c->reg, ids[i], &row) < 0 || !row.service[0])
                                continue;
                        if (any)
                                P(b, ", ");
                        service_link(b, row.service);
                        any = true;
                }
                if (!any)
                        P(b, "<span class=\"muted\">—</span>");
                P(b, "</td></tr>");
        }
        P(b, "</tbody></table></div>");

        /* Range */
        enum ps_range rg = ps_range_of(port);
        P(b, "<h2 id=\"range\">Range</h2><p>Port ");
        http_buf_printf(b, "%u", (unsigned)port);
        P(b, " is in the <a href=\"/ranges#");
        h(b, ps_range_name(rg));
        P(b, "\">");
        h(b, ps_range_name(rg));
        P(b, " range</a> (");
        h(b, ps_range_bounds(rg));
        P(b, "). ");
        h(b, ps_range_procedure(rg));
        P(b, "</p>");

        /* Registry rows */
        P(b, "<h2 id=\"registry\">In the registry</h2>");
        if (nrows == 0)
                P(b, "<p>No row of the registry covers this port.</p>");
        for (size_t i = 0; i < nrows; i++) {
                struct registry_row row;
                if (registry_row(c->reg, rows[i], &row) < 0)
                        continue;
                row_dl(c, b, &row);
        }

        /* Unofficial uses */
        P(b, "<h2 id=\"unofficial\">Unofficial uses</h2>");
        if (nke == 0)
                P(b, "<p>portscope's field knowledge lists no unofficial use of this port.</p>");
        for (size_t i = 0; i < nke; i++) {
                const struct knowledge_entry *e = ke[i];
                P(b, "<h3>");
                h(b, e->name);
                P(b, " ");
                kind_badge(b, e->kind);
                P(b, "</h3><p>");
                h(b, e->summary);
                P(b, "</p><p class=\"muted\">Ports: ");
                for (size_t j = 0; j < e->nports; j++) {
                        if (j)
                                P(b, ", ");
                        if (e->ports[j].lo == e->ports[j].hi)
                                port_link(b, e->ports[j].lo);
                        else
                                http_buf_printf(b, "%u–%u", (unsigned)e->ports[j].lo, (unsigned)e->ports[j].hi);
                }
                if (e->nprocesses) {
                        P(b, ". Processes: ");
                        for (size_t j = 0; j < e->nprocesses; j++) {
                                if (j)
                                        P(b, ", ");
                                P(b, "<code>");
                                h(b, e->processes[j]);
                                P(b, "</code>");
                        }
                }
                if (e->source && e->source[0]) {
                        P(b, ". Source: ");
                        source_text(b, e->source);
                }
                P(b, ".</p>");
        }

        /* Observed */
        P(b, "<h2 id=\"observed\">Observed on the Internet</h2>");
        struct registry_observed obs[8];
        size_t nobs = registry_observed(c->reg, port, obs, 8);
        if (nobs > 8)
                nobs = 8;
        if (nobs == 0) {
                P(b, "<p>nmap's frequency table has no entry for this port");
                const struct registry_source *src = registry_source(c->reg);
                if (!src->observed_path || !src->observed_path[0])
                        P(b, " (it was not available to this server)");
                P(b, ".</p>");
        } else {
                P(b, "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Protocol"
                     "</th><th scope=\"col\">Open on</th><th scope=\"col\">Comment</th></tr></thead><tbody>");
                for (size_t i = 0; i < nobs; i++) {
                        P(b, "<tr><td>");
                        h(b, obs[i].name);
                        P(b, "</td><td>");
                        h(b, ps_proto_name(obs[i].proto));
                        http_buf_printf(b, "</td><td>%.4f%% of scanned hosts</td><td>", obs[i].frequency * 100.0);
                        h(b, obs[i].comment);
                        P(b, "</td></tr>");
                }
                P(b, "</tbody></table></div><p class=\"muted\">From nmap-services: how often nmap's scans found the "
                     "port open.</p>");
        }

        /* Nearby */
        P(b, "<h2 id=\"nearby\">Nearby ports</h2><ul class=\"results\">");
        unsigned lo = port >= 5 ? port - 5u : 0, hi = port <= 65530 ? port + 5u : 65535;
        for (unsigned q = lo; q <= hi; q++) {
                if (q == port)
                        continue;
                P(b, "<li>");
                port_link(b, q);
                P(b, " <span class=\"muted\">");
                h(b, http_map_class_name((enum http_map_class)c->classes[q]));
                P(b, "</span>");
                uint32_t id;
                if (registry_covering(c->reg, (uint16_t)q, PS_TCP, &id, 1) > 0 ||
                    registry_covering(c->reg, (uint16_t)q, PS_UDP, &id, 1) > 0) {
                        struct registry_row row;
                        if (registry_row(c->reg, id, &row) == 0 && row.service[0]) {
                                P(b, " — ");
                                h(b, row.service);
                        }
                }
                P(b, "</li>");
        }
        P(b, "</ul>");

        /* Other ports of the same services */
        if (first_service) {
                uint32_t ids[32];
                size_t m = registry_by_name(c->reg, first_service, ids, 32);
                if (m > 32)
                        m = 32;
                bool any = false;
                for (size_t i = 0; i < m; i++) {
                        struct registry_row row;
                        if (registry_row(c->reg, ids[i], &row) < 0 || !row.has_port ||
                            (row.port_lo <= port && port <= row.port_hi))
                                continue;
                        if (!any) {
                                P(b, "<p>Other ports of ");
                                service_link(b, first_service);
                                P(b, ": ");
                        } else
                                P(b, ", ");
                        port_link(b, row.port_lo);
                        P(b, "/");
                        h(b, row.proto);
                        any = true;
                }
                if (any)
                        P(b, ".</p>");
        }

        json_t *info = portinfo_json(c->reg, c->know, port);
        check_commands(b, info);
        security_note(c, b, port, info, st, ke, nke, rows, nrows);
        json_decref(info);
        http_buf_printf(b, "<p class=\"muted\">This page as JSON: <a href=\"/api/v1/ports/%u\">/api/v1/ports/%u</a>"
                           " (the same object as <code>portscope info --json %u</code>).</p>",
                        (unsigned)port, (unsigned)port, (unsigned)port);
        char path[32];
        snprintf(path, sizeof path, "/ports/%u", (unsigned)port);
        page_end(c, b, path, false);
        return page_status(b, 200);
}

/* ---- a service name ------------------------------------------------------------------------- */

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
                P(b, "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Port</th><th scope=\"col\">Protocol"
                     "</th><th scope=\"col\">Description</th><th scope=\"col\">Reference</th></tr></thead><tbody>");
                for (size_t i = 0; i < n; i++) {
                        struct registry_row row;
                        if (registry_row(c->reg, ids[i], &row) < 0)
                                continue;
                        P(b, "<tr><td>");
                        if (!row.has_port)
                                P(b, "<span class=\"muted\">none (name only)</span>");
                        else if (row.port_lo == row.port_hi)
                                port_link(b, row.port_lo);
                        else {
                                port_link(b, row.port_lo);
                                P(b, "–");
                                port_link(b, row.port_hi);
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
                                row_dl(c, b, &row);
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
                        source_text(b, ks->source);
                        P(b, "</p>");
                }
        }
        struct http_buf path;
        http_buf_init(&path, HTTP_TARGET_MAX);
        http_buf_puts(&path, "/services/");
        http_url_encode(&path, name, (size_t)-1);
        page_end(c, b, path.failed ? NULL : path.data, false);
        http_buf_free(&path);
        return page_status(b, 200);
}

/* ---- ranges, map ---------------------------------------------------------------------------- */

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
                        http_buf_printf(b, "<li><span class=\"sw %s\"></span>%u ", class_css[k], count[k]);
                        h(b, http_map_class_name((enum http_map_class)k));
                        P(b, "</li>");
                }
                P(b, "</ul><p>From ");
                port_link(b, bounds[r][0]);
                P(b, " to ");
                port_link(b, bounds[r][1]);
                P(b, ".</p></section>");
        }
        P(b, "<p class=\"muted\">Counts are of port numbers (TCP or UDP assigned counts as assigned); "
             "“unofficial use” means unassigned but known from portscope's field knowledge.</p>");
        page_end(c, b, "/ranges", false);
        return page_status(b, 200);
}

int http_page_map(const struct http_ctx *c, bool local, struct http_buf *b)
{
        page_begin(b, "Map of all ports", "All 65,536 ports on one map, coloured by registry status.");
        P(b, "<h1>Map of all ports</h1><p class=\"lead\">65,536 ports, 256 per row. Blue ones are assigned by "
             "IANA; amber ones are reserved; purple ones are unassigned but used by known programs.</p>");
        map_figure(c, b, local && c->show_local);
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

/* ---- search --------------------------------------------------------------------------------- */

int http_page_search(const struct http_ctx *c, const char *q, struct http_buf *b)
{
        enum { MAXHITS = 100 };
        struct search_hit *hits = calloc(MAXHITS, sizeof *hits);
        if (!hits)
                return -ENOMEM;
        /* The same search as `portscope search` (src/core/search.c). */
        long total = q[0] ? search_run(c->reg, c->know, q, hits, MAXHITS) : 0;
        if (total < 0) {
                free(hits);
                return (int)total;
        }
        size_t n = total > MAXHITS ? MAXHITS : (size_t)total;
        page_begin(b, q[0] ? "Search results" : "Search", NULL);
        P(b, "<h1>Search</h1><form role=\"search\" action=\"/search\" method=\"get\"><p><label for=\"q\">Port "
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
                                        service_link(b, row.service);
                                else
                                        h(b, registry_kind_name(row.kind));
                                if (row.has_port) {
                                        P(b, " — port ");
                                        port_link(b, row.port_lo);
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
                                kind_badge(b, e->kind);
                                if (e->nports) {
                                        P(b, " — port ");
                                        port_link(b, e->ports[0].lo);
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
                if (!enc.failed) {
                        P(b, enc.data);
                        P(b, "\">/api/v1/search?q=");
                        h(b, enc.data);
                }
                http_buf_free(&enc);
                P(b, "</a> · the same search as <code>portscope search</code>.</p>");
        }
        free(hits);
        page_end(c, b, "/search", false);
        return page_status(b, 200);
}

/* ---- feedback ------------------------------------------------------------------------------- */

/* Rewrites page to its one canonical spelling, so that "/services/%73sh" or "/ports/0022" count
 * their votes with "/services/ssh" and "/ports/22" instead of splitting them. */
static bool canonicalize(const struct http_route *r, char *page, size_t len)
{
        static const struct {
                enum http_route_id id;
                const char *path;
        } fixed[] = {
                { HTTP_ROUTE_HOME, "/" },        { HTTP_ROUTE_SEARCH, "/search" }, { HTTP_ROUTE_RANGES, "/ranges" },
                { HTTP_ROUTE_MAP, "/map" },      { HTTP_ROUTE_STATS, "/stats" },
        };
        struct http_buf b;
        size_t n = 0;
        char *canon;

        http_buf_init(&b, len);
        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
                if (r->id == fixed[i].id)
                        http_buf_puts(&b, fixed[i].path);
        if (r->id == HTTP_ROUTE_PORT)
                http_buf_printf(&b, "/ports/%u", r->port);
        else if (r->id == HTTP_ROUTE_SERVICE) {
                http_buf_puts(&b, "/services/");
                http_url_encode(&b, r->name, strlen(r->name));
        }
        canon = http_buf_steal(&b, &n);
        http_buf_free(&b);
        if (!canon || n == 0 || n >= len) {
                free(canon);
                return false;
        }
        memcpy(page, canon, n + 1);
        free(canon);
        return true;
}

bool http_feedback_page_valid(const struct http_ctx *c, char *page, size_t len)
{
        struct http_route r;
        http_route_parse(page, strlen(page), &r);
        if (r.status != 0 || r.api || strchr(page, '?'))
                return false;
        switch (r.id) {
        case HTTP_ROUTE_HOME:
        case HTTP_ROUTE_SEARCH:
        case HTTP_ROUTE_PORT:
        case HTTP_ROUTE_RANGES:
        case HTTP_ROUTE_MAP:
        case HTTP_ROUTE_STATS:
                return canonicalize(&r, page, len);
        case HTTP_ROUTE_SERVICE: {
                uint32_t id;
                return (registry_by_name(c->reg, r.name, &id, 1) > 0 ||
                        (c->know && knowledge_service(c->know, r.name) != NULL)) &&
                       canonicalize(&r, page, len);
        }
        default:
                return false;
        }
}

int http_page_stats(const struct http_ctx *c, struct http_buf *b)
{
        page_begin(b, "Statistics", NULL);
        P(b, "<h1>Statistics</h1><h2 id=\"helpful\">Was it helpful?</h2>");
        if (!c->feedback)
                P(b, "<p>Feedback is switched off on this server.</p>");
        else {
                struct http_feedback_row *rows = NULL;
                size_t n = 0;
                if (http_feedback_list(c->feedback, 500, &rows, &n) < 0)
                        P(b, "<p>The feedback store could not be read.</p>");
                else if (n == 0)
                        P(b, "<p>No votes yet.</p>");
                else {
                        long ty = 0, tn = 0;
                        for (size_t i = 0; i < n; i++) {
                                ty += rows[i].yes;
                                tn += rows[i].no;
                        }
                        http_buf_printf(b, "<p>%ld vote%s: %ld yes, %ld no.</p>", ty + tn, ty + tn == 1 ? "" : "s", ty,
                                        tn);
                        P(b, "<div class=\"scroll\"><table id=\"feedback-table\"><thead><tr><th scope=\"col\">Page</th>"
                             "<th scope=\"col\">Yes</th><th scope=\"col\">No</th></tr></thead><tbody>");
                        for (size_t i = 0; i < n; i++) {
                                P(b, "<tr><td><a href=\"");
                                h(b, rows[i].page);
                                P(b, "\">");
                                h(b, rows[i].page);
                                http_buf_printf(b, "</a></td><td class=\"yes\">%ld</td><td class=\"no\">%ld</td></tr>",
                                                rows[i].yes, rows[i].no);
                        }
                        P(b, "</tbody></table></div>");
                }
                free(rows);
        }
        struct registry_stats rs;
        registry_stats(c->reg, &rs);
        P(b, "<h2 id=\"registry\">The registry</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">"
             "Protocol</th><th scope=\"col\">Assigned</th><th scope=\"col\">Reserved</th><th scope=\"col\">"
             "Unassigned</th></tr></thead><tbody>");
        for (int p = 0; p < PS_NPROTO; p++) {
                P(b, "<tr><th scope=\"row\">");
                h(b, ps_proto_name((enum ps_proto)p));
                http_buf_printf(b, "</th><td>%u</td><td>%u</td><td>%u</td></tr>",
                                (unsigned)rs.by_status[p][REGISTRY_ASSIGNED], (unsigned)rs.by_status[p][REGISTRY_RESERVED],
                                (unsigned)(rs.by_status[p][REGISTRY_UNASSIGNED] + rs.by_status[p][REGISTRY_NOT_ASSIGNED]));
        }
        http_buf_printf(b, "</tbody></table></div><p>%u rows, %u with a port, %u names without a port, %u ranges; "
                           "%u nmap-services lines.</p>",
                        (unsigned)rs.rows, (unsigned)rs.rows_with_port, (unsigned)rs.name_only_rows,
                        (unsigned)rs.ranges, (unsigned)rs.observed);
        page_end(c, b, "/stats", false);
        return page_status(b, 200);
}

int http_page_thanks(const struct http_ctx *c, const char *page, struct http_buf *b)
{
        long yes = 0, no = 0;
        if (c->feedback)
                http_feedback_counts(c->feedback, page, &yes, &no);
        page_begin(b, "Thank you", NULL);
        P(b, "<h1>Thank you</h1><p class=\"lead\" id=\"feedback-counts\">");
        h(b, page);
        http_buf_printf(b, " now has <strong class=\"yes\">%ld</strong> “yes” and <strong class=\"no\">%ld</strong> "
                           "“no”.</p>",
                        yes, no);
        P(b, "<p><a href=\"");
        h(b, page);
        P(b, "\">Back to the page</a> · <a href=\"/stats\">All votes</a></p>");
        page_end(c, b, NULL, false);
        return page_status(b, 200);
}

int http_page_error(const struct http_ctx *c, int status, const char *message, struct http_buf *b)
{
        const char *title = status == 404   ? "Not found"
                            : status == 400 ? "Bad request"
                            : status == 405 ? "Method not allowed"
                            : status == 413 ? "Request too large"
                            : status == 429 ? "Too many requests"
                                            : "Error";
        page_begin(b, title, NULL);
        http_buf_printf(b, "<h1>%s</h1><p class=\"lead\">", title);
        h(b, message);
        P(b, "</p><p><a href=\"/\">Start page</a> · <a href=\"/map\">Map of all ports</a></p>");
        page_end(c, b, NULL, false);
        return page_status(b, status);
}
