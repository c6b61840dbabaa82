/* portscope serve — search results: /search?q=TEXT. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pages.h"
#include "portscope/search.h"

int http_page_search(const struct http_ctx *c, const char *q, struct http_buf *b)
{
        enum { MAXHITS = 100 };
        struct search_hit *hits = calloc(MAXHITS, sizeof *hits);
        if (!hits)
                return -ENOMEM;
        /* The same search as `portscope search`. */
        long total = q[0] ? search_run(c->reg, c->know, q, hits, MAXHITS) : 0;
        if (total < 0) {
                free(hits);
                return (int)total;
        }
        size_t n = total > MAXHITS ? MAXHITS : (size_t)total;
        page_begin(b, q[0] ? _("Search results") : _("Search"), NULL);
        P(b, "<h1>");
        h(b, _("Search"));
        P(b, "</h1><form role=\"search\" aria-label=\"");
        h(b, _("Search ports and services"));
        P(b, "\" action=\"/search\" method=\"get\"><p><label for=\"q\">");
        h(b, _("Port number, service name or program"));
        P(b, "</label><br><input id=\"q\" name=\"q\" type=\"search\" required maxlength=\"256\" dir=\"auto\" value=\"");
        h(b, q);
        P(b, "\"> <button class=\"primary\" type=\"submit\">");
        h(b, _("Search"));
        P(b, "</button></p></form>");
        if (q[0]) {
                struct http_buf qq;
                http_buf_init(&qq, 4 * HTTP_QUERY_MAX);
                P(&qq, "<bdi>");
                h(&qq, q);
                P(&qq, "</bdi>");
                const char *qs = qq.error ? "" : http_buf_str(&qq);
                char num[PAGE_NUM_MAX], shown[PAGE_NUM_MAX];
                P(b, "<h2 id=\"results\">");
                if (total == 0)
                        /* TRANSLATORS: %s is what was searched for. */
                        page_printf_html(b, _("No results for “%s”"), qs);
                else if ((size_t)total > n)
                        /* TRANSLATORS: %1$s results in all, %2$s shown, %3$s what was searched for. */
                        page_printf_html(b, ps_ngettext("%1$s result (the first %2$s shown) for “%3$s”",
                                                        "%1$s results (the first %2$s shown) for “%3$s”",
                                                        (unsigned long)total),
                                         page_num(num, (unsigned long)total), page_num(shown, n), qs);
                else
                        /* TRANSLATORS: %1$s is a count of results, %2$s what was searched for. */
                        page_printf_html(b, ps_ngettext("%1$s result for “%2$s”", "%1$s results for “%2$s”",
                                                        (unsigned long)total),
                                         page_num(num, (unsigned long)total), qs);
                http_buf_free(&qq);
                P(b, "</h2>");
                char why[96];
                if (total == 0 && search_not_a_port(q, why, sizeof why)) {
                        P(b, "<p>");
                        struct http_buf w;
                        http_buf_init(&w, 256);
                        http_buf_printf(&w, _("Not a port: %s."), why);
                        if (!w.error)
                                h(b, http_buf_str(&w));
                        http_buf_free(&w);
                        P(b, "</p>");
                }
                P(b, "<ol class=\"results\">");
                for (size_t i = 0; i < n; i++) {
                        const struct search_hit *x = &hits[i];
                        if (x->kind == SEARCH_HIT_ROW) {
                                struct registry_row row;
                                if (registry_row(c->reg, x->row_id, &row) < 0)
                                        continue;
                                P(b, "<li>");
                                if (row.service[0])
                                        page_service_link(b, row.service);
                                else
                                        h(b, _(registry_kind_name(row.kind)));
                                if (row.has_port) {
                                        struct http_buf pl;
                                        http_buf_init(&pl, 256);
                                        P(&pl, "<bdi>");
                                        page_port_link(&pl, row.port_lo);
                                        if (row.port_hi != row.port_lo)
                                                http_buf_printf(&pl, "–%u", (unsigned)row.port_hi);
                                        if (row.proto[0]) {
                                                P(&pl, "/");
                                                h(&pl, row.proto);
                                        }
                                        P(&pl, "</bdi>");
                                        P(b, " — ");
                                        /* TRANSLATORS: after a search result's name; %s is its port (22/tcp). */
                                        page_printf_html(b, _("port %s"), pl.error ? "" : http_buf_str(&pl));
                                        http_buf_free(&pl);
                                }
                                if (row.description[0]) {
                                        P(b, ": <span class=\"muted\"");
                                        page_registry_attrs(b);
                                        P(b, ">");
                                        h(b, row.description);
                                        P(b, "</span>");
                                }
                        } else {
                                const struct knowledge_entry *e = x->entry;
                                P(b, "<li>");
                                page_en(b, "span", NULL, e->name); /* the knowledge file is English */
                                P(b, " ");
                                page_kind_badge(b, e->kind);
                                if (e->nports) {
                                        struct http_buf pl;
                                        http_buf_init(&pl, 256);
                                        page_port_link(&pl, e->ports[0].lo);
                                        P(b, " — ");
                                        page_printf_html(b, _("port %s"), pl.error ? "" : http_buf_str(&pl));
                                        http_buf_free(&pl);
                                }
                                P(b, ": <span class=\"muted\"");
                                page_registry_attrs(b);
                                P(b, ">");
                                h(b, e->summary);
                                P(b, "</span>");
                        }
                        if (x->field && strcmp(x->field, "name") != 0) {
                                struct http_buf fl;
                                http_buf_init(&fl, 128);
                                P(&fl, "<bdi>");
                                h(&fl, _(x->field));
                                P(&fl, "</bdi>");
                                P(b, " <span class=\"muted\">");
                                /* TRANSLATORS: %s is the field a search matched in (description, summary...). */
                                page_printf_html(b, _("(matched in %s)"), fl.error ? "" : http_buf_str(&fl));
                                http_buf_free(&fl);
                                P(b, "</span>");
                        }
                        P(b, "</li>");
                }
                P(b, "</ol>");
                struct http_buf enc, link;
                http_buf_init(&enc, 4 * HTTP_QUERY_MAX);
                http_buf_init(&link, 16 * HTTP_QUERY_MAX);
                http_url_encode(&enc, q, (size_t)-1);
                P(&link, "<a dir=\"ltr\" href=\"/api/v1/search?q=");
                if (!enc.error) {
                        P(&link, http_buf_str(&enc));
                        P(&link, "\">/api/v1/search?q=");
                        h(&link, http_buf_str(&enc));
                }
                P(&link, "</a>");
                http_buf_free(&enc);
                P(b, "<p class=\"muted\">");
                /* TRANSLATORS: %1$s is a link to the API, %2$s the command portscope search (code). */
                page_printf_html(b, _("As JSON: %1$s · the same search as %2$s."), link.error ? "" : http_buf_str(&link),
                                 "<code dir=\"ltr\">portscope search</code>");
                http_buf_free(&link);
                P(b, "</p>");
        }
        free(hits);
        page_end(c, b, "/search", false);
        return page_status(b, 200);
}
