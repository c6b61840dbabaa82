/* portscope serve — feedback: which pages take votes, the thank-you page and /stats. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pages.h"

/* Rewrites page to its one canonical spelling, so that "/services/%73sh" or "/ports/0022" count
 * their votes with "/services/ssh" and "/ports/22" instead of splitting them. */
static bool canonicalize(const struct http_route *r, char *page, size_t len)
{
        char canon[HTTP_TARGET_MAX + 1];
        size_t n = http_route_canonical(r, false, canon, sizeof canon);
        if (n == 0 || n >= len)
                return false;
        memcpy(page, canon, n + 1);
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
        page_begin(b, _("Statistics"), NULL);
        P(b, "<h1>");
        h(b, _("Statistics"));
        P(b, "</h1><h2 id=\"helpful\">");
        h(b, _("Was it helpful?"));
        P(b, "</h2>");
        if (!c->feedback) {
                P(b, "<p>");
                h(b, _("Feedback is switched off on this server."));
                P(b, "</p>");
        } else {
                struct http_feedback_row *rows = NULL;
                size_t n = 0;
                if (http_feedback_list(c->feedback, 500, &rows, &n) < 0) {
                        P(b, "<p>");
                        h(b, _("The feedback store could not be read."));
                        P(b, "</p>");
                } else if (n == 0) {
                        P(b, "<p>");
                        h(b, _("No votes yet."));
                        P(b, "</p>");
                } else {
                        long ty = 0, tn = 0, tm = 0;
                        for (size_t i = 0; i < n; i++) {
                                ty += rows[i].yes;
                                tn += rows[i].no;
                                tm += rows[i].somewhat;
                        }
                        long all = ty + tn + tm;
                        char na[PAGE_NUM_MAX], ny[PAGE_NUM_MAX], nm[PAGE_NUM_MAX], nn_[PAGE_NUM_MAX];
                        P(b, "<p>");
                        /* TRANSLATORS: %1$s votes in all, of which %2$s helpful, %3$s somewhat, %4$s not helpful. */
                        page_printf_html(b, ps_ngettext("%1$s vote: %2$s helpful, %3$s somewhat, %4$s not helpful.",
                                                        "%1$s votes: %2$s helpful, %3$s somewhat, %4$s not helpful.",
                                                        (unsigned long)all),
                                         page_num(na, (unsigned long)all), page_num(ny, (unsigned long)ty),
                                         page_num(nm, (unsigned long)tm), page_num(nn_, (unsigned long)tn));
                        P(b, "</p>");
                        const char *heads[] = { _("Page"), _("Helpful"), _("Somewhat"), _("Not helpful") };
                        page_table_open(b, _("Votes per page"), " id=\"feedback-table\"", heads,
                                        sizeof heads / sizeof heads[0]);
                        for (size_t i = 0; i < n; i++) {
                                P(b, "<tr><td dir=\"ltr\"><a href=\"");
                                h(b, rows[i].page);
                                P(b, "\">");
                                h(b, rows[i].page);
                                http_buf_printf(b, "</a></td><td class=\"yes\">%ld</td><td class=\"somewhat\">%ld</td>"
                                                   "<td class=\"no\">%ld</td></tr>",
                                                rows[i].yes, rows[i].somewhat, rows[i].no);
                        }
                        P(b, "</tbody></table></div>");
                }
                free(rows);
                /* TRANSLATORS: the three votes, as a note's label on /stats. */
                static const char *const vote_name[HTTP_NVOTES] = { N_("not helpful"), N_("somewhat"), N_("helpful") };
                struct http_feedback_note *notes = NULL;
                size_t nn = 0;
                P(b, "<h2 id=\"missing\">");
                h(b, _("What was missing"));
                P(b, "</h2>");
                if (http_feedback_notes(c->feedback, 100, &notes, &nn) < 0) {
                        P(b, "<p>");
                        h(b, _("The notes could not be read."));
                        P(b, "</p>");
                } else if (nn == 0) {
                        P(b, "<p>");
                        h(b, _("No notes yet."));
                        P(b, "</p>");
                } else {
                        P(b, "<ul id=\"feedback-notes\" class=\"notes\">");
                        for (size_t i = 0; i < nn; i++) {
                                P(b, "<li><bdi><a href=\"");
                                h(b, notes[i].page);
                                P(b, "\">");
                                h(b, notes[i].page);
                                P(b, "</a></bdi> (");
                                h(b, _(vote_name[notes[i].vote]));
                                P(b, "): <q dir=\"auto\">");
                                h(b, notes[i].note);
                                P(b, "</q></li>");
                        }
                        P(b, "</ul><p class=\"muted\">");
                        h(b, _("The newest 100 notes."));
                        P(b, "</p>");
                }
                free(notes);
        }
        struct registry_stats rs;
        registry_stats(c->reg, &rs);
        P(b, "<h2 id=\"registry\">");
        h(b, _("The registry"));
        P(b, "</h2>");
        /* TRANSLATORS: the headings of /stats's table of the registry's statuses (counts of ports). */
        const char *heads[] = { _("Protocol"), _("Assigned"), _("Reserved"), _("Unassigned") };
        page_table_open(b, _("Scrollable table"), NULL, heads, sizeof heads / sizeof heads[0]);
        for (int p = 0; p < PS_NPROTO; p++) {
                P(b, "<tr><th scope=\"row\">");
                h(b, ps_proto_name((enum ps_proto)p));
                /* Grouped as the reader's language groups numbers, as the text below them. */
                char a[PAGE_NUM_MAX], r[PAGE_NUM_MAX], u[PAGE_NUM_MAX];
                http_buf_printf(b, "</th><td>%s</td><td>%s</td><td>%s</td></tr>",
                                page_num(a, rs.by_status[p][REGISTRY_ASSIGNED]),
                                page_num(r, rs.by_status[p][REGISTRY_RESERVED]),
                                page_num(u, rs.by_status[p][REGISTRY_UNASSIGNED] + rs.by_status[p][REGISTRY_NOT_ASSIGNED]));
        }
        {
                char n1[PAGE_NUM_MAX], n2[PAGE_NUM_MAX], n3[PAGE_NUM_MAX], n4[PAGE_NUM_MAX], n5[PAGE_NUM_MAX];
                P(b, "</tbody></table></div><p>");
                /* TRANSLATORS: counts of the registry file's rows (%1$s), rows with a port, names without a
                 * port, ranges, and of nmap-services's lines (%5$s). */
                page_printf_html(b, _("%1$s rows, %2$s with a port, %3$s names without a port, %4$s ranges; %5$s "
                                      "nmap-services lines."),
                                 page_num(n1, rs.rows), page_num(n2, rs.rows_with_port), page_num(n3, rs.name_only_rows),
                                 page_num(n4, rs.ranges), page_num(n5, rs.observed));
                P(b, "</p>");
        }
        page_end(c, b, "/stats", false);
        return page_status(b, 200);
}

int http_page_votes(const struct http_ctx *c, const char *page, bool thanks, struct http_buf *b)
{
        long n[HTTP_NVOTES] = { 0, 0, 0 };
        if (c->feedback)
                http_feedback_counts(c->feedback, page, n);
        /* TRANSLATORS: the heading of a page's vote counts, when the reader has not just voted. */
        const char *title = thanks ? _("Thank you") : _("Votes");
        page_begin(b, title, NULL);
        P(b, "<h1>");
        h(b, title);
        P(b, "</h1><p class=\"lead\" id=\"feedback-counts\">");
        struct http_buf pg;
        http_buf_init(&pg, 1024);
        P(&pg, "<bdi>");
        h(&pg, page);
        P(&pg, "</bdi>");
        char yes[64], some[64], no[64];
        snprintf(yes, sizeof yes, "<strong class=\"yes\">%ld</strong>", n[HTTP_VOTE_YES]);
        snprintf(some, sizeof some, "<strong class=\"somewhat\">%ld</strong>", n[HTTP_VOTE_SOMEWHAT]);
        snprintf(no, sizeof no, "<strong class=\"no\">%ld</strong>", n[HTTP_VOTE_NO]);
        /* TRANSLATORS: %1$s is a page (/ports/22), then the counts of its three votes. */
        page_printf_html(b, _("%1$s now has %2$s “helpful”, %3$s “somewhat” and %4$s “not helpful”."),
                         pg.error ? "" : http_buf_str(&pg), yes, some, no);
        http_buf_free(&pg);
        P(b, "</p><p><a href=\"");
        h(b, page);
        P(b, "\">");
        h(b, _("Back to the page"));
        P(b, "</a> · <a href=\"/stats\">");
        h(b, _("All votes"));
        P(b, "</a></p>");
        page_end(c, b, NULL, false);
        return page_status(b, 200);
}
