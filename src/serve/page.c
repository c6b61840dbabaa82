/* portscope serve — what every page shares: the document frame (head, style, header, footer,
 * feedback form), links, badges, the map figure, a registry row, and the error page. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pages.h"
#include "config.h"

void page_service_link(struct http_buf *b, const char *name)
{
        P(b, "<a href=\"/services/");
        http_url_encode(b, name, (size_t)-1);
        P(b, "\">");
        h(b, name);
        P(b, "</a>");
}

void page_port_link(struct http_buf *b, unsigned port)
{
        http_buf_printf(b, "<a href=\"/ports/%u\">%u</a>", port, port);
}

void page_source_text(struct http_buf *b, const char *src)
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
        "a{color:var(--link)}a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #c26a00;"
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
        "main,.feedback,footer{overflow-wrap:break-word}.refs,.notes{overflow-wrap:anywhere}.explain ul{padding-left:1.2rem}.explain li{margin:.25rem 0}"
        "details.allcols{margin:.5rem 0}details.allcols summary{cursor:pointer;color:var(--link)}"
        ".faces{display:flex;flex-wrap:wrap;gap:.5rem}.face{font-size:1.2rem}"
        ".feedback textarea{display:block;width:100%;max-width:32rem;font:inherit}"
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
        "pre{background:#0f172a;color:#e5e7eb;padding:.6rem .8rem;border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere}"
        ".note{border-left:4px solid #d08c00;background:#fff8e6;padding:.6rem .9rem;border-radius:0 6px 6px 0}"
        ".note.warn{border-color:#b3261e;background:#fdecea}"
        ".pager{display:flex;justify-content:space-between;margin:1rem 0}"
        ".map-scroll{position:relative;max-width:514px;border:1px solid var(--line)}"
        ".map-scroll img{display:block;width:100%;height:auto;image-rendering:pixelated;cursor:crosshair}"
        "figure{margin:0}#map-info{font-weight:600;min-height:1.5em}"
        ".legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem}"
        ".sw{display:inline-block;width:1rem;height:1rem;border:1px solid #555;vertical-align:-.15rem;"
        "margin-right:.35rem}"
        ".c0{background:#e4e7eb}.c1{background:#1f5fa8}.c2{background:#d08c00}.c3{background:#8e44ad}"
        ".c4{background:#d62728}.c5{background:repeating-linear-gradient(135deg,#8e44ad 0 2px,#f1e6f6 2px 6px)}"
        ".map-grid{display:grid;grid-template-columns:auto minmax(0,1fr);gap:.3rem;max-width:38rem}"
        ".axis-y{position:relative;min-width:6.5rem;font-size:.75rem;color:var(--muted);margin-top:1.1rem}"
        ".axis-y span{position:absolute;right:0;white-space:nowrap;line-height:1}"
        /* 1024 is row 4, too close to 0 for two labels: its label sits just below */
        ".r0{top:0}.r4{top:3.5%}.r64{top:25%}.r128{top:50%}.r192{top:75%}.r255{top:calc(100% - .75rem)}"
        ".axis-x{position:relative;height:1.1rem;font-size:.75rem;color:var(--muted)}"
        ".axis-x span{position:absolute;top:0}.x0{left:0}.x64{left:25%}.x128{left:50%}.x192{left:75%}"
        ".x255{right:0}"
        ".map-cursor{position:absolute;left:0;top:0;width:4px;height:4px;outline:2px solid #000;"
        "box-shadow:0 0 0 4px #fff;pointer-events:none}"
        ".toggle{display:flex;gap:1rem;margin:.5rem 0}.toggle a[aria-current]{font-weight:700;color:var(--fg)}"
        "#map-link{display:block}#map-link:focus-visible{outline:3px solid #c26a00;outline-offset:2px}"
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
        "if(!img||!info)return;var proto=img.getAttribute('data-proto')||'tcp',link=document.getElementById('map-link'),"
        "cursor=document.getElementById('map-cursor');"
        "var names={'e4e7eb':'unassigned','1f5fa8':'assigned','d08c00':'reserved',"
        "'8e44ad':'unofficial use','d62728':'listening here','f1e6f6':'inside a wide range of known use'};"
        "var cv=document.createElement('canvas'),cx=null;"
        "function load(){cv.width=512;cv.height=512;cx=cv.getContext('2d');cx.drawImage(img,0,0);}"
        "if(img.complete&&img.naturalWidth)load();else img.addEventListener('load',load);"
        "function at(e){var r=img.getBoundingClientRect();var x=Math.floor((e.clientX-r.left)*256/r.width),"
        "y=Math.floor((e.clientY-r.top)*256/r.height);if(x<0||y<0||x>255||y>255)return -1;return y*256+x;}"
        "function cls(p){if(!cx)return '';var d=cx.getImageData((p%256)*2,Math.floor(p/256)*2,1,1).data;"
        "var k=((d[0]<<16)|(d[1]<<8)|d[2]).toString(16);while(k.length<6)k='0'+k;return names[k]||'';}"
        "var cur=-1,seq=0,timer=0;"
        "function name(p,n){if(proto==='any')return;fetch('/api/v1/ports/'+p+'/'+proto).then(function(r){"
        "return r.ok?r.json():null;}).then(function(o){if(!o||n!==seq)return;var pr=o.protocols&&o.protocols[proto];"
        "var s=pr&&pr.services&&pr.services[0];if(s&&s.name)info.textContent+=' \u2014 '+s.name+"
        "(s.description?' ('+String(s.description).split('\\n')[0]+')':'');"
        "else if(o.unofficial&&o.unofficial[0])info.textContent+=' \u2014 '+o.unofficial[0].name;}).catch(function(){});}"
        "function show(p){if(p<0||p===cur)return;cur=p;var c=cls(p);info.textContent='Port '+p+'/'+proto+"
        "(c?' \u2014 '+c:'');var n=++seq;clearTimeout(timer);timer=setTimeout(function(){name(p,n);},120);}"
        "function place(p){if(!cursor)return;var w=img.clientWidth/256,h=img.clientHeight/256;"
        "cursor.style.left=((p%256)*w-1)+'px';cursor.style.top=(Math.floor(p/256)*h-1)+'px';"
        "cursor.style.width=Math.max(w,3)+2+'px';cursor.style.height=Math.max(h,3)+2+'px';cursor.hidden=false;}"
        "var touch=false,armed=-1;img.addEventListener('pointerdown',function(e){touch=e.pointerType==='touch';});"
        "img.addEventListener('mousemove',function(e){show(at(e));});"
        "img.addEventListener('click',function(e){var p=at(e);if(p<0)return;e.preventDefault();"
        "if(touch&&armed!==p){armed=p;cur=-1;show(p);info.textContent+=' (tap again to open)';return;}"
        "location.href='/ports/'+p;});"
        "if(link){link.addEventListener('focus',function(){var p=cur<0?0:cur;cur=-1;show(p);place(p);});"
        "link.addEventListener('blur',function(){if(cursor)cursor.hidden=true;});"
        "link.addEventListener('keydown',function(e){var d={ArrowLeft:-1,ArrowRight:1,ArrowUp:-256,ArrowDown:256,"
        "PageUp:-4096,PageDown:4096,Home:-65536,End:65536}[e.key];"
        "if(d!==undefined){e.preventDefault();var p=Math.min(65535,Math.max(0,(cur<0?0:cur)+d));show(p);place(p);"
        "return;}if(e.key==='Enter'){e.preventDefault();location.href='/ports/'+(cur<0?0:cur);}});}})();";

const char *http_page_script(void)
{
        return script;
}

void page_begin(struct http_buf *b, const char *title, const char *description)
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
             "<form role=\"search\" aria-label=\"Site search\" action=\"/search\" method=\"get\"><label class=\"skip\" for=\"hq\">Search "
             "ports and services</label><input id=\"hq\" name=\"q\" type=\"search\" "
             "placeholder=\"Port or service, e.g. 22, ssh\" required maxlength=\"256\">"
             "<button type=\"submit\">Search</button></form></div></header><main id=\"main\">");
}

void page_end(const struct http_ctx *c, struct http_buf *b, const char *feedback_page, bool with_script)
{
        P(b, "</main>");
        if (c->feedback && feedback_page) {
                P(b, "<aside class=\"feedback\" aria-labelledby=\"fb-h\"><h2 id=\"fb-h\">Was this page helpful?</h2>"
                     "<form method=\"post\" action=\"/feedback\"><input type=\"hidden\" name=\"page\" value=\"");
                h(b, feedback_page);
                P(b, "\"><div class=\"faces\" role=\"group\" aria-labelledby=\"fb-h\">"
                     "<button type=\"submit\" name=\"vote\" value=\"no\"><span class=\"face\" aria-hidden=\"true\">"
                     "\xe2\x98\xb9</span> Not helpful</button>"
                     "<button type=\"submit\" name=\"vote\" value=\"somewhat\"><span class=\"face\" "
                     "aria-hidden=\"true\">\xf0\x9f\x98\x90</span> Somewhat</button>"
                     "<button type=\"submit\" name=\"vote\" value=\"yes\"><span class=\"face\" aria-hidden=\"true\">"
                     "\xe2\x98\xba</span> Helpful</button></div>"
                     "<p><label for=\"fb-note\">What was missing? (optional, up to 300 characters)</label>"
                     "<textarea id=\"fb-note\" name=\"note\" maxlength=\"300\" rows=\"2\"></textarea></p>"
                     "<p class=\"muted\">Anonymous: no cookies; only the count and your note are kept.</p>"
                     "</form></aside>");
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
                /* A file name, never the server's path. */
                const char *ko = knowledge_origin(c->know);
                const char *kb = strrchr(ko, '/');
                P(b, "; field knowledge: ");
                h(b, kb ? kb + 1 : ko);
        }
        P(b, ". Served by portscope " PORTSCOPE_VERSION ".</p></footer>");
        if (with_script) {
                P(b, "<script>");
                P(b, script);
                P(b, "</script>");
        }
        P(b, "</body></html>\n");
}

int page_status(struct http_buf *b, int status)
{
        if (b->error)
                return b->error == -E2BIG ? -EFBIG : b->error;
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

void page_status_badge(struct http_buf *b, enum registry_status s)
{
        http_buf_printf(b, "<span class=\"badge %s\">", status_class(s));
        h(b, registry_status_name(s));
        P(b, "</span>");
}

void page_kind_badge(struct http_buf *b, enum knowledge_kind k)
{
        const char *n = knowledge_kind_name(k);
        P(b, "<span class=\"badge k-");
        h(b, n);
        P(b, "\">");
        h(b, n);
        P(b, "</span>");
}

const char *const page_class_css[HTTP_NMAP_CLASSES] = { "c0", "c1", "c2", "c3", "c4", "c5" };

void page_map_figure(const struct http_ctx *c, struct http_buf *b, bool local, int proto)
{
        const char *pn = proto == PS_UDP ? "udp" : "tcp";
        P(b, "<figure><div class=\"map-grid\"><div class=\"axis-y\" aria-hidden=\"true\">"
             "<span class=\"r0\">0</span><span class=\"r4\">1024 user</span><span class=\"r64\">16384</span>"
             "<span class=\"r128\">32768</span><span class=\"r192\">49152 dynamic</span>"
             "<span class=\"r255\">65280</span></div><div><div class=\"axis-x\" aria-hidden=\"true\">"
             "<span class=\"x0\">+0</span><span class=\"x64\">+64</span><span class=\"x128\">+128</span>"
             "<span class=\"x192\">+192</span><span class=\"x255\">+255</span></div>"
             "<div class=\"map-scroll\"><a id=\"map-link\" href=\"/map/click\" aria-describedby=\"map-help\">"
             "<img id=\"portmap\" src=\"/map.png");
        if (local)
                P(b, "?local=1");
        else if (proto == PS_UDP)
                P(b, "?proto=udp");
        P(b, "\" data-proto=\"");
        P(b, local ? "any" : pn);
        P(b, "\" ismap width=\"512\" height=\"512\" alt=\"Map of all 65,536 ");
        P(b, local ? "" : proto == PS_UDP ? "UDP " : "TCP ");
        P(b, "ports, 256 per row, coloured by registry status. Every port also has its own page at /ports/N.\"></a>"
             "<span id=\"map-cursor\" class=\"map-cursor\" hidden></span></div></div></div>"
             "<figcaption id=\"map-help\">Each row holds 256 ports: the top row is ports 0–255, the bottom row "
             "65280–65535; dark lines mark where the user (1024) and dynamic (49152) ranges begin. Hover or tap to "
             "see a port, click to open its page; with the keyboard, the arrow keys move a cursor and Enter opens "
             "the port.</figcaption></figure>"
             "<p id=\"map-info\" aria-live=\"polite\">Hover over the map to see a port.</p><ul class=\"legend\">");
        for (int i = 0; i < HTTP_NMAP_CLASSES; i++) {
                if (i == HTTP_MAP_LISTENING && !local)
                        continue;
                http_buf_printf(b, "<li><span class=\"sw %s\"></span>", page_class_css[i]);
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

void page_row_dl(const struct http_ctx *c, struct http_buf *b, const struct registry_row *row)
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
                page_service_link(b, row->service);
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
                        page_service_link(b, a.service);
                        P(b, ")");
                }
        }
        http_buf_printf(b, "</dd><dt>Source line</dt><dd>%u</dd></dl>", (unsigned)row->line);
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
