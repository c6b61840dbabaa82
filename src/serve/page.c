/* portscope serve — what every page shares: the document frame (head, style, header, footer,
 * feedback form), links, badges, the map figure, a registry row, and the error page. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pages.h"
#include "portscope/util.h"
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
        ".skip{position:absolute;inset-inline-start:-999px;top:0;background:#fff;padding:.5rem}.skip:focus{inset-inline-start:.5rem}"
        "header{background:#14213d;color:#fff;padding:.6rem 1rem}"
        "header .bar{max-width:64rem;margin:0 auto;display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;"
        "align-items:center}"
        "header a{color:#fff}header .brand{font-weight:700;font-size:1.15rem;text-decoration:none}"
        "header nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:1rem;margin:0;padding:0}"
        "header form{display:flex;gap:.4rem;margin-inline-start:auto}"
        ".langs ul{list-style:none;display:flex;flex-wrap:wrap;gap:.2rem .8rem;margin:0;padding:0;font-size:.9rem}"
        ".langs a[aria-current]{font-weight:700;text-decoration:none}"
        "header input{padding:.35rem .5rem;border:1px solid #8892a6;border-radius:4px;min-width:12rem}"
        "button{font:inherit;padding:.35rem .8rem;border-radius:4px;border:1px solid #14213d;background:#fff;"
        "color:#14213d;cursor:pointer}"
        "button.primary{background:#0b57d0;border-color:#0b57d0;color:#fff}"
        "main,.feedback,footer{max-width:64rem;margin:0 auto;padding:0 1rem}"
        "h1{font-size:1.9rem;margin:1.2rem 0 .3rem}h2{font-size:1.35rem;margin:1.8rem 0 .5rem;"
        "border-bottom:1px solid var(--line);padding-bottom:.2rem}h3{font-size:1.1rem;margin:1.2rem 0 .4rem}"
        ".lead{font-size:1.1rem;color:var(--muted);margin-top:0}"
        "main,.feedback,footer{overflow-wrap:break-word}.refs,.notes{overflow-wrap:anywhere}.explain ul{padding-inline-start:1.2rem}.explain li{margin:.25rem 0}"
        "details.allcols{margin:.5rem 0}details.allcols summary{cursor:pointer;color:var(--link)}"
        ".faces{display:flex;flex-wrap:wrap;gap:.5rem}.face{font-size:1.2rem}"
        ".feedback textarea{display:block;width:100%;max-width:32rem;font:inherit}"
        ".scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;margin:.5rem 0}"
        "th,td{text-align:start;vertical-align:top;padding:.35rem .6rem;border-bottom:1px solid var(--line)}"
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
        ".note{border-inline-start:4px solid #d08c00;background:#fff8e6;padding:.6rem .9rem;border-radius:6px;border-start-start-radius:0;border-end-start-radius:0}"
        ".note.warn{border-color:#b3261e;background:#fdecea}"
        ".pager{display:flex;justify-content:space-between;margin:1rem 0}"
        ".map-scroll{position:relative;max-width:514px;border:1px solid var(--line)}"
        ".map-scroll img{display:block;width:100%;height:auto;image-rendering:pixelated;cursor:crosshair}"
        "figure{margin:0}#map-info{font-weight:600;min-height:1.5em}"
        ".legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem}"
        ".sw{display:inline-block;width:1rem;height:1rem;border:1px solid #555;vertical-align:-.15rem;"
        "margin-inline-end:.35rem}"
        ".c0{background:#e4e7eb}.c1{background:#1f5fa8}.c2{background:#d08c00}.c3{background:#8e44ad}"
        ".c4{background:#d62728}.c5{background:repeating-linear-gradient(135deg,#8e44ad 0 2px,#f1e6f6 2px 6px)}"
        ".map-grid{display:grid;grid-template-columns:auto minmax(0,1fr);gap:.3rem;max-width:38rem}"
        ".axis-y{position:relative;min-width:6.5rem;font-size:.75rem;color:var(--muted);margin-top:1.1rem}"
        ".axis-y span{position:absolute;inset-inline-end:0;white-space:nowrap;line-height:1}"
        /* 1024 is row 4, too close to 0 for two labels: its label sits just below */
        ".r0{top:0}.r4{top:3.5%}.r64{top:25%}.r128{top:50%}.r192{top:75%}.r255{top:calc(100% - .75rem)}"
        ".axis-x{position:relative;height:1.1rem;font-size:.75rem;color:var(--muted)}"
        /* the x axis and the cursor follow the image, which is the same in both directions */
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
        "@media (max-width:40rem){header form{margin-inline-start:0;width:100%}header input{flex:1;min-width:0}"
        "h1{font-size:1.5rem}dl.row{grid-template-columns:1fr}}";

const char *http_page_style(void)
{
        return style;
}

/* The stylesheet's version in its URL (/style.css?v=...): a page always gets the stylesheet it was
 * written for, however long a browser keeps the old one. */
static char style_version[17];
static pthread_once_t style_once = PTHREAD_ONCE_INIT;

static void style_version_init(void)
{
        snprintf(style_version, sizeof style_version, "%016llx",
                 (unsigned long long)ps_fnv1a(style, sizeof style - 1));
}

const char *http_page_style_version(void)
{
        pthread_once(&style_once, style_version_init);
        return style_version;
}

/* The map's hover and click: reads the class of a port from the image's own pixels. */
static const char script[] =
        "(function(){var img=document.getElementById('portmap'),info=document.getElementById('map-info');"
        "if(!img||!info)return;var proto=img.getAttribute('data-proto')||'tcp',link=document.getElementById('map-link'),"
        "cursor=document.getElementById('map-cursor');"
        "var pre=img.getAttribute('data-base')||'',fmt=info.getAttribute('data-port')||'%s',"
        "tap=info.getAttribute('data-tap')||'',names={};"
        "Array.prototype.forEach.call(document.querySelectorAll('.legend [data-rgb]'),function(e){"
        "names[e.getAttribute('data-rgb')]=e.textContent;});"
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
        "function show(p){if(p<0||p===cur)return;cur=p;var c=cls(p);info.textContent=fmt.replace('%s','\u2066'+p+'/'+proto+'\u2069')+"
        "(c?' \u2014 '+c:'');var n=++seq;clearTimeout(timer);timer=setTimeout(function(){name(p,n);},120);}"
        "function place(p){if(!cursor)return;var w=img.clientWidth/256,h=img.clientHeight/256;"
        "cursor.style.left=((p%256)*w-1)+'px';cursor.style.top=(Math.floor(p/256)*h-1)+'px';"
        "cursor.style.width=Math.max(w,3)+2+'px';cursor.style.height=Math.max(h,3)+2+'px';cursor.hidden=false;}"
        "var touch=false,armed=-1;img.addEventListener('pointerdown',function(e){touch=e.pointerType==='touch';});"
        "img.addEventListener('mousemove',function(e){show(at(e));});"
        "img.addEventListener('click',function(e){var p=at(e);if(p<0)return;e.preventDefault();"
        "if(touch&&armed!==p){armed=p;cur=-1;show(p);info.textContent+=' '+tap;return;}"
        "location.href=pre+'/ports/'+p;});"
        "if(link){link.addEventListener('focus',function(){var p=cur<0?0:cur;cur=-1;show(p);place(p);});"
        "link.addEventListener('blur',function(){if(cursor)cursor.hidden=true;});"
        "link.addEventListener('keydown',function(e){var d={ArrowLeft:-1,ArrowRight:1,ArrowUp:-256,ArrowDown:256,"
        "PageUp:-4096,PageDown:4096,Home:-65536,End:65536}[e.key];"
        "if(d!==undefined){e.preventDefault();var p=Math.min(65535,Math.max(0,(cur<0?0:cur)+d));show(p);place(p);"
        "return;}if(e.key==='Enter'){e.preventDefault();location.href=pre+'/ports/'+(cur<0?0:cur);}});}})();";

const char *http_page_script(void)
{
        return script;
}

/* The link to this page in lang (NULL: the plain path, x-default), escaped for an attribute. */
static void page_link_in(struct http_buf *b, const struct ps_language *lang)
{
        if (lang) {
                P(b, "/");
                P(b, lang->code);
        }
        const char *path = page_path();
        if (!lang || strcmp(path, "/") != 0)
                h(b, path);
}

/* here: the page is this path's (its alternates, and a switcher to it in each language). An error
 * page is nobody's: its switcher leads to each language's start page, and it names no alternates,
 * so that a 4 KB bad path is not repeated thirteen times (41 KB sent for 4 KB asked). */
static void begin(struct http_buf *b, const char *title, const char *description, bool here)
{
        const struct ps_language *cur = ps_i18n_thread_language();
        size_t nlang = 0;
        const struct ps_language *langs = ps_languages(&nlang);
        P(b, "<!doctype html>\n<html lang=\"");
        P(b, cur->code);
        P(b, cur->rtl ? "\" dir=\"rtl\">" : "\" dir=\"ltr\">");
        P(b, "<head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             "<link rel=\"icon\" href=\"data:,\"><title>");
        struct http_buf t;
        http_buf_init(&t, 1024);
        h(&t, title);
        /* TRANSLATORS: a page's <title>: %s is the page's own title ("Port 22"). */
        page_printf_html(b, _("%s · portscope"), t.error ? "" : http_buf_str(&t));
        http_buf_free(&t);
        P(b, "</title>");
        for (size_t i = 0; here && i < nlang; i++) {
                P(b, "<link rel=\"alternate\" hreflang=\"");
                P(b, langs[i].code);
                P(b, "\" href=\"");
                page_link_in(b, &langs[i]);
                P(b, "\">");
        }
        if (here) {
                P(b, "<link rel=\"alternate\" hreflang=\"x-default\" href=\"");
                page_link_in(b, NULL);
                P(b, "\">");
        }
        if (description) {
                P(b, "<meta name=\"description\" content=\"");
                h(b, description);
                P(b, "\">");
        }
        /* One stylesheet for every page, fetched once (not 5 KB more in each page). */
        pthread_once(&style_once, style_version_init);
        P(b, "<link rel=\"stylesheet\" href=\"/style.css?v=");
        P(b, style_version);
        P(b, "\"></head><body><a class=\"skip\" href=\"#main\">");
        h(b, _("Skip to content"));
        P(b, "</a><header><div class=\"bar\"><a class=\"brand\" href=\"/\">portscope</a><nav aria-label=\"");
        /* TRANSLATORS: the name of the site's main navigation, read by screen readers. */
        h(b, _("Main"));
        P(b, "\"><ul><li><a href=\"/map\">");
        /* TRANSLATORS: the links of the site's header. */
        h(b, _("Map"));
        P(b, "</a></li><li><a href=\"/ranges\">");
        h(b, _("Ranges"));
        P(b, "</a></li><li><a href=\"/stats\">");
        h(b, _("Stats"));
        P(b, "</a></li></ul></nav><form role=\"search\" aria-label=\"");
        h(b, _("Site search"));
        P(b, "\" action=\"/search\" method=\"get\"><label class=\"skip\" for=\"hq\">");
        h(b, _("Search ports and services"));
        P(b, "</label><input id=\"hq\" name=\"q\" type=\"search\" placeholder=\"");
        /* TRANSLATORS: the search field's placeholder; 22 and ssh are what one may type. */
        h(b, _("Port or service, e.g. 22, ssh"));
        P(b, "\" required maxlength=\"256\"><button type=\"submit\">");
        h(b, _("Search"));
        P(b, "</button></form>");
        if (nlang > 1) {
                P(b, "<nav class=\"langs\" aria-label=\"");
                /* TRANSLATORS: the name of the language switcher, read by screen readers. */
                h(b, _("Language"));
                P(b, "\"><ul>");
                for (size_t i = 0; i < nlang; i++) {
                        http_buf_printf(b, "<li><a hreflang=\"%s\" lang=\"%s\" dir=\"%s\" href=\"", langs[i].code,
                                        langs[i].code, langs[i].rtl ? "rtl" : "ltr");
                        if (here)
                                page_link_in(b, &langs[i]);
                        else
                                http_buf_printf(b, "/%s", langs[i].code);
                        P(b, &langs[i] == cur ? "\" aria-current=\"true\">" : "\">");
                        h(b, langs[i].native_name);
                        P(b, "</a></li>");
                }
                P(b, "</ul></nav>");
        }
        P(b, "</div></header><main id=\"main\">");
}

void page_begin(struct http_buf *b, const char *title, const char *description)
{
        begin(b, title, description, true);
}

void page_end(const struct http_ctx *c, struct http_buf *b, const char *feedback_page, bool with_script)
{
        P(b, "</main>");
        if (c->feedback && feedback_page) {
                P(b, "<aside class=\"feedback\" aria-labelledby=\"fb-h\"><h2 id=\"fb-h\">");
                h(b, _("Was this page helpful?"));
                P(b, "</h2><form method=\"post\" action=\"/feedback\"><input type=\"hidden\" name=\"page\" value=\"");
                h(b, feedback_page);
                P(b, "\"><div class=\"faces\" role=\"group\" aria-labelledby=\"fb-h\">"
                     "<button type=\"submit\" name=\"vote\" value=\"no\"><span class=\"face\" aria-hidden=\"true\">"
                     "\xe2\x98\xb9</span> ");
                /* TRANSLATORS: the three answers to "Was this page helpful?". */
                h(b, _("Not helpful"));
                P(b, "</button><button type=\"submit\" name=\"vote\" value=\"somewhat\"><span class=\"face\" "
                     "aria-hidden=\"true\">\xf0\x9f\x98\x90</span> ");
                h(b, _("Somewhat"));
                P(b, "</button><button type=\"submit\" name=\"vote\" value=\"yes\"><span class=\"face\" "
                     "aria-hidden=\"true\">\xe2\x98\xba</span> ");
                h(b, _("Helpful"));
                P(b, "</button></div><p><label for=\"fb-note\">");
                h(b, _("What was missing? (optional, up to 300 characters)"));
                P(b, "</label><textarea id=\"fb-note\" name=\"note\" maxlength=\"300\" rows=\"2\"></textarea></p>"
                     "<p class=\"muted\">");
                h(b, _("Anonymous: no cookies; only the count and your note are kept."));
                P(b, "</p></form></aside>");
        }
        const struct registry_source *src = registry_source(c->reg);
        const char *path = src->path ? src->path : "";
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        P(b, "<footer><p>");
        /* TRANSLATORS: the footer; the first %s is the registry's name (kept in English), the second its
         * file name. */
        const char *fmt = src->date && src->date[0] ? _("Data: %s (%s, updated %s)") : _("Data: %s (%s)");
        /* The name is the registry's own (English): marked so on any page. */
        struct http_buf name;
        http_buf_init(&name, 512);
        P(&name, "<span lang=\"en\" dir=\"ltr\">");
        h(&name, src->kind == REGISTRY_SOURCE_IANA_CSV ? "IANA Service Name and Transport Protocol Port Number Registry"
                                                       : "services file");
        P(&name, "</span>");
        struct http_buf file;
        http_buf_init(&file, 512);
        P(&file, "<bdi>");
        h(&file, base);
        P(&file, "</bdi>");
        struct http_buf date;
        http_buf_init(&date, 64);
        P(&date, "<bdi>");
        if (src->date)
                h(&date, src->date);
        P(&date, "</bdi>");
        page_printf_html(b, fmt, name.error ? "" : http_buf_str(&name), file.error ? "" : http_buf_str(&file),
                         date.error ? "" : http_buf_str(&date));
        P(b, "."); /* a sentence of its own: the next one follows */
        http_buf_free(&name);
        http_buf_free(&file);
        http_buf_free(&date);
        if (src->kind != REGISTRY_SOURCE_IANA_CSV) {
                P(b, " ");
                h(b, _("The services file holds assignments only."));
        }
        if (src->observed_path && src->observed_path[0]) {
                P(b, " ");
                h(b, _("Observed frequencies come from nmap-services."));
        }
        if (c->know) {
                /* A file name, never the server's path. */
                const char *ko = knowledge_origin(c->know);
                const char *kb = strrchr(ko, '/');
                P(b, " ");
                struct http_buf kf;
                http_buf_init(&kf, 512);
                P(&kf, "<bdi>");
                h(&kf, kb ? kb + 1 : ko);
                P(&kf, "</bdi>");
                /* TRANSLATORS: %s is the knowledge file's name. */
                page_printf_html(b, _("Field knowledge: %s."), kf.error ? "" : http_buf_str(&kf));
                http_buf_free(&kf);
        }
        P(b, " ");
        /* TRANSLATORS: %s is portscope's version number. */
        page_printf_html(b, _("Served by portscope %s."), "<bdi>" PORTSCOPE_VERSION "</bdi>");
        P(b, "</p></footer>");
        if (with_script) {
                P(b, "<script>");
                P(b, script);
                P(b, "</script>");
        }
        P(b, "</body></html>\n");
}

void page_html_format(struct http_buf *b, const char *fmt, size_t n, const char *const *args)
{
        size_t next = 0;
        const char *f = fmt;
        while (*f) {
                const char *pc = strchr(f, '%');
                if (!pc) {
                        h(b, f);
                        break;
                }
                http_html_escape(b, f, (size_t)(pc - f));
                const char *spec = pc + 1;
                if (spec[0] == '%') {
                        P(b, "%");
                        f = spec + 1;
                        continue;
                }
                size_t idx = next++;
                if (spec[0] >= '1' && spec[0] <= '9' && spec[1] == '$') {
                        idx = (size_t)(spec[0] - '1');
                        spec += 2;
                }
                if (spec[0] != 's') {
                        /* Not a placeholder of ours: shown as it is. */
                        P(b, "%");
                        f = pc + 1;
                        continue;
                }
                if (idx < n && args[idx])
                        P(b, args[idx]);
                f = spec + 1;
        }
}

const char *page_num(char out[PAGE_NUM_MAX], unsigned long n)
{
        char digits[40];
        snprintf(out, PAGE_NUM_MAX, "<bdi>%s</bdi>", ps_i18n_number(n, digits, sizeof digits));
        return out;
}

/* A list's separator in the reader's language (", " in English, "، " in Arabic). */
const char *page_list_sep(void)
{
        /* TRANSLATORS: the separator between the items of a list on a page ("tcp, udp"). */
        return ps_pgettext("list separator", ", ");
}


int page_status(struct http_buf *b, int status)
{
        page_relink(b, page_prefix());
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
        /* The core's names (assigned, reserved, unassigned): translated where the core marks them. */
        h(b, _(registry_status_name(s)));
        P(b, "</span>");
}

void page_kind_badge(struct http_buf *b, enum knowledge_kind k)
{
        const char *n = knowledge_kind_name(k);
        P(b, "<span class=\"badge k-");
        h(b, n);
        P(b, "\">");
        h(b, _(n));
        P(b, "</span>");
}

const char *const page_class_css[HTTP_NMAP_CLASSES] = { "c0", "c1", "c2", "c3", "c4", "c5" };

void page_map_figure(const struct http_ctx *c, struct http_buf *b, bool local, int proto)
{
        const char *pn = proto == PS_UDP ? "udp" : "tcp";
        char n1[PAGE_NUM_MAX];
        /* The image is a map: 0 at the left whatever the direction of the page; its axes follow it. */
        P(b, "<figure><div class=\"map-grid\"><div class=\"axis-y\" aria-hidden=\"true\">"
             "<span class=\"r0\"><bdi>0</bdi></span><span class=\"r4\">");
        /* TRANSLATORS: a label of the map's axis where the user ports begin; %s is 1024. */
        page_printf_html(b, _("%s user"), page_num(n1, 1024));
        /* Numbers grouped as the page's language groups them, as the labels beside them. */
        http_buf_printf(b, "</span><span class=\"r64\">%s</span>", page_num(n1, 16384));
        http_buf_printf(b, "<span class=\"r128\">%s</span><span class=\"r192\">", page_num(n1, 32768));
        /* TRANSLATORS: a label of the map's axis where the dynamic ports begin; %s is 49152. */
        page_printf_html(b, _("%s dynamic"), page_num(n1, 49152));
        http_buf_printf(b, "</span><span class=\"r255\">%s</span>", page_num(n1, 65280));
        P(b, "</div><div><div class=\"axis-x\" dir=\"ltr\" "
             "aria-hidden=\"true\"><span class=\"x0\">+0</span><span class=\"x64\">+64</span><span class=\"x128\">+128"
             "</span><span class=\"x192\">+192</span><span class=\"x255\">+255</span></div>"
             "<div class=\"map-scroll\" dir=\"ltr\"><a id=\"map-link\" href=\"/map/click\" aria-describedby=\"map-help\">"
             "<img id=\"portmap\" src=\"/map.png");
        if (local)
                P(b, "?local=1");
        else if (proto == PS_UDP)
                P(b, "?proto=udp");
        P(b, "\" data-proto=\"");
        P(b, local ? "any" : pn);
        P(b, "\" data-base=\"");
        h(b, page_prefix());
        P(b, "\" ismap width=\"512\" height=\"512\" alt=\"");
        /* TRANSLATORS: the map image's text alternative; /ports/N is a path of the site. */
        h(b, local            ? _("Map of all 65,536 ports, 256 per row, coloured by registry status. Every port "
                                  "also has its own page at /ports/N.")
             : proto == PS_UDP ? _("Map of all 65,536 UDP ports, 256 per row, coloured by registry status. Every "
                                  "port also has its own page at /ports/N.")
                               : _("Map of all 65,536 TCP ports, 256 per row, coloured by registry status. Every "
                                  "port also has its own page at /ports/N."));
        P(b, "\"></a><span id=\"map-cursor\" class=\"map-cursor\" hidden></span></div></div></div>"
             "<figcaption id=\"map-help\">");
        h(b, _("Each row holds 256 ports: the top row is ports 0–255, the bottom row 65280–65535; dark lines mark "
               "where the user (1024) and dynamic (49152) ranges begin. Hover or tap to see a port, click to open its "
               "page; with the keyboard, the arrow keys move a cursor and Enter opens the port."));
        P(b, "</figcaption></figure><p id=\"map-info\" aria-live=\"polite\" data-port=\"");
        /* TRANSLATORS: the map's hover text; %s is a port and its protocol, e.g. 22/tcp. */
        h(b, _("Port %s"));
        P(b, "\" data-tap=\"");
        /* TRANSLATORS: added to the map's text on a touch screen after the first tap on a port. */
        h(b, _("(tap again to open)"));
        P(b, "\">");
        h(b, _("Hover over the map to see a port."));
        P(b, "</p><ul class=\"legend\">");
        for (int i = 0; i < HTTP_NMAP_CLASSES; i++) {
                if (i == HTTP_MAP_LISTENING && !local)
                        continue;
                http_buf_printf(b, "<li><span class=\"sw %s\"></span><span data-rgb=\"%06x\">", page_class_css[i],
                                (unsigned)http_map_color((enum http_map_class)i));
                h(b, _(http_map_class_name((enum http_map_class)i)));
                P(b, "</span></li>");
        }
        P(b, "</ul>");
        if (c->show_local) {
                P(b, local ? "<p><a href=\"/map\">" : "<p><a href=\"/map?local=1\">");
                h(b, local ? _("Hide what listens on this machine") : _("Show what listens on this machine"));
                P(b, "</a></p>");
        }
}

/* A cell of registry text: IANA's English, marked so (and left to right on a right-to-left page). */
void page_en(struct http_buf *b, const char *tag, const char *attrs, const char *text)
{
        http_buf_printf(b, "<%s%s%s>", tag, attrs ? attrs : "", page_en_attrs());
        h(b, text);
        http_buf_printf(b, "</%s>", tag);
}

void page_registry_td(struct http_buf *b, const char *text)
{
        page_en(b, "td", NULL, text);
}

/* A page's heading and the sentence that says what the page is for. */
void page_heading(struct http_buf *b, const char *title, const char *lead)
{
        P(b, "<h1>");
        h(b, title);
        P(b, "</h1><p class=\"lead\">");
        h(b, lead);
        P(b, "</p>");
}

/* A scrollable table (a labelled region the keyboard can reach) and its header row. */
void page_table_open(struct http_buf *b, const char *label, const char *attrs, const char *const *heads, size_t n)
{
        P(b, "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"");
        h(b, label);
        P(b, "\"><table");
        P(b, attrs ? attrs : "");
        P(b, "><thead><tr>");
        for (size_t i = 0; i < n; i++) {
                P(b, "<th scope=\"col\">");
                h(b, heads[i]);
                P(b, "</th>");
        }
        P(b, "</tr></thead><tbody>");
}

/* A knowledge entry's name: the knowledge file is English (no translations yet), marked so. */
void page_knowledge_name(struct http_buf *b, const char *name)
{
        page_en(b, "span", NULL, name);
}

const char *page_en_attrs(void)
{
        const struct ps_language *l = ps_i18n_thread_language();
        if (strcmp(l->code, "en") == 0)
                return ""; /* the page's own language: saying it again is a kilobyte a page */
        return l->rtl ? " lang=\"en\" dir=\"ltr\"" : " lang=\"en\"";
}

void page_registry_attrs(struct http_buf *b)
{
        P(b, page_en_attrs());
}

static void dl_item(struct http_buf *b, const char *term, const char *value)
{
        P(b, "<dt>");
        h(b, term);
        P(b, "</dt><dd");
        page_registry_attrs(b);
        P(b, ">");
        if (value && value[0])
                h(b, value);
        else
                P(b, "<span class=\"muted\">—</span>");
        P(b, "</dd>");
}

void page_row_dl(const struct http_ctx *c, struct http_buf *b, const struct registry_row *row)
{
        P(b, "<h3 class=\"row\"><bdi");
        page_registry_attrs(b);
        P(b, ">");
        h(b, row->service[0] ? row->service : _(registry_kind_name(row->kind)));
        if (row->port[0] || row->proto[0]) {
                P(b, " · ");
                h(b, row->port);
                if (row->proto[0]) {
                        if (row->port[0]) /* "ssh · 22/tcp"; a row without a port: "ssh · tcp" */
                                P(b, "/");
                        h(b, row->proto);
                }
        }
        P(b, "</bdi></h3><dl class=\"row\"><dt>");
        /* TRANSLATORS: the registry's columns, as IANA names them (Service Name, Port Number, ...). */
        h(b, _("Service Name"));
        P(b, "</dt><dd");
        page_registry_attrs(b);
        P(b, ">");
        if (row->service[0])
                page_service_link(b, row->service);
        else
                P(b, "<span class=\"muted\">—</span>");
        P(b, "</dd>");
        dl_item(b, _("Port Number"), row->port);
        dl_item(b, _("Transport Protocol"), row->proto);
        dl_item(b, _("Description"), row->description);
        dl_item(b, _("Assignee"), row->assignee);
        dl_item(b, _("Contact"), row->contact);
        dl_item(b, _("Registration Date"), row->registered);
        dl_item(b, _("Modification Date"), row->modified);
        dl_item(b, _("Reference"), row->reference);
        dl_item(b, _("Service Code"), row->service_code);
        dl_item(b, _("Unauthorized Use Reported"), row->unauthorized_use);
        dl_item(b, _("Assignment Notes"), row->notes);
        P(b, "<dt>");
        /* TRANSLATORS: the kind of a registry row (service, reserved, unassigned range, ...). */
        h(b, _("Kind"));
        P(b, "</dt><dd>");
        h(b, _(registry_kind_name(row->kind)));
        if (row->alias_of >= 0) {
                struct registry_row a;
                if (registry_row(c->reg, (uint32_t)row->alias_of, &a) == 0 && a.service[0]) {
                        struct http_buf l;
                        http_buf_init(&l, 1024);
                        page_service_link(&l, a.service);
                        P(b, " ");
                        /* TRANSLATORS: after a row's kind; %s is the service (a link) it is an alias of. */
                        page_printf_html(b, _("(alias of %s)"), l.error ? "" : http_buf_str(&l));
                        http_buf_free(&l);
                }
        }
        P(b, "</dd><dt>");
        /* TRANSLATORS: the line of the registry file a row was read from. */
        h(b, _("Source line"));
        http_buf_printf(b, "</dt><dd><bdi>%u</bdi></dd></dl>", (unsigned)row->line);
}

int http_page_error(const struct http_ctx *c, int status, const char *message, struct http_buf *b)
{
        const char *title = status == 404   ? _("Not found")
                            : status == 400 ? _("Bad request")
                            : status == 405 ? _("Method not allowed")
                            : status == 413 ? _("Request too large")
                            : status == 429 ? _("Too many requests")
                                            : _("Error");
        begin(b, title, NULL, false);
        page_heading(b, title, message);
        P(b, "<p><a href=\"/\">");
        h(b, _("Start page"));
        P(b, "</a> · <a href=\"/map\">");
        h(b, _("Map of all ports"));
        P(b, "</a></p>");
        page_end(c, b, NULL, false);
        return page_status(b, status);
}
