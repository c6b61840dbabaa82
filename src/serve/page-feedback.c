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
                        long ty = 0, tn = 0, tm = 0;
                        for (size_t i = 0; i < n; i++) {
                                ty += rows[i].yes;
                                tn += rows[i].no;
                                tm += rows[i].somewhat;
                        }
                        long all = ty + tn + tm;
                        http_buf_printf(b, "<p>%ld vote%s: %ld helpful, %ld somewhat, %ld not helpful.</p>", all,
                                        all == 1 ? "" : "s", ty, tm, tn);
                        P(b, "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Votes per page\">"
                             "<table id=\"feedback-table\"><thead><tr><th scope=\"col\">Page</th>"
                             "<th scope=\"col\">Helpful</th><th scope=\"col\">Somewhat</th><th scope=\"col\">Not "
                             "helpful</th></tr></thead><tbody>");
                        for (size_t i = 0; i < n; i++) {
                                P(b, "<tr><td><a href=\"");
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
                static const char *const vote_name[HTTP_NVOTES] = { "not helpful", "somewhat", "helpful" };
                struct http_feedback_note *notes = NULL;
                size_t nn = 0;
                P(b, "<h2 id=\"missing\">What was missing</h2>");
                if (http_feedback_notes(c->feedback, 100, &notes, &nn) < 0)
                        P(b, "<p>The notes could not be read.</p>");
                else if (nn == 0)
                        P(b, "<p>No notes yet.</p>");
                else {
                        P(b, "<ul id=\"feedback-notes\" class=\"notes\">");
                        for (size_t i = 0; i < nn; i++) {
                                P(b, "<li><a href=\"");
                                h(b, notes[i].page);
                                P(b, "\">");
                                h(b, notes[i].page);
                                P(b, "</a> (");
                                h(b, vote_name[notes[i].vote]);
                                P(b, "): <q>");
                                h(b, notes[i].note);
                                P(b, "</q></li>");
                        }
                        P(b, "</ul><p class=\"muted\">The newest 100 notes.</p>");
                }
                free(notes);
        }
        struct registry_stats rs;
        registry_stats(c->reg, &rs);
        P(b, "<h2 id=\"registry\">The registry</h2><div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\"><table><thead><tr><th scope=\"col\">"
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
        long n[HTTP_NVOTES] = { 0, 0, 0 };
        if (c->feedback)
                http_feedback_counts(c->feedback, page, n);
        page_begin(b, "Thank you", NULL);
        P(b, "<h1>Thank you</h1><p class=\"lead\" id=\"feedback-counts\">");
        h(b, page);
        http_buf_printf(b, " now has <strong class=\"yes\">%ld</strong> “helpful”, <strong class=\"somewhat\">%ld"
                           "</strong> “somewhat” and <strong class=\"no\">%ld</strong> “not helpful”.</p>",
                        n[HTTP_VOTE_YES], n[HTTP_VOTE_SOMEWHAT], n[HTTP_VOTE_NO]);
        P(b, "<p><a href=\"");
        h(b, page);
        P(b, "\">Back to the page</a> · <a href=\"/stats\">All votes</a></p>");
        page_end(c, b, NULL, false);
        return page_status(b, 200);
}
