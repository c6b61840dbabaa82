/* portscope serve — a port's history across the registry versions `portscope update` kept: the
 * "history" member of the API's port objects (the same as `portscope info --json`'s) and the
 * "History" section of /ports/N, both from update_history_json() over the index the server
 * opened at its start (http_config.history). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pages.h"
#include "page-port.h"
#include "portscope/i18n.h"
#include "portscope/port.h"
#include "portscope/portinfo.h"
#include "portscope/update.h"

/* The history of port, a deep copy: the runs inside update_history_json()'s object are shared
 * with the index and every thread, and the API rewrites its objects in place (empty strings to
 * null). proto >= 0 keeps that protocol's changes only. NULL on OOM. */
static json_t *history_json(const struct http_ctx *c, uint16_t port, int proto)
{
        json_t *shared = update_history_json(c->history, port);
        json_t *o = shared ? json_deep_copy(shared) : NULL;
        json_decref(shared);
        if (!o || proto < 0)
                return o;
        json_t *changes = json_object_get(o, "changes");
        const char *keep = ps_proto_name((enum ps_proto)proto);
        for (size_t i = json_array_size(changes); i-- > 0;) {
                const char *pn = json_string_value(json_object_get(json_array_get(changes, i), "protocol"));
                if (!pn || strcmp(pn, keep) != 0)
                        json_array_remove(changes, i);
        }
        return o;
}

json_t *http_port_json(const struct http_ctx *c, uint16_t port, int proto)
{
        json_t *o = portinfo_json(c->reg, c->know, port);
        if (!o || !c->history)
                return o;
        json_t *hist = history_json(c, port, proto);
        if (!hist || json_object_set_new(o, "history", hist) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

/* ---- the page section ----------------------------------------------------------------------- */

static void status_badge(struct http_buf *b, const char *name)
{
        static const enum registry_status all[] = { REGISTRY_ASSIGNED, REGISTRY_RESERVED, REGISTRY_UNASSIGNED };
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                if (name && strcmp(name, registry_status_name(all[i])) == 0) {
                        page_status_badge(b, all[i]);
                        return;
                }
        h(b, name ? name : "?");
}

/* A date of the registry, or a dash when it has none. */
static void date_cell(struct http_buf *b, json_t *d)
{
        if (json_is_string(d) && json_string_length(d)) {
                h(b, json_string_value(d));
                return;
        }
        P(b, "<span class=\"muted\" title=\"");
        h(b, _("no date in the registry"));
        P(b, "\">—</span>");
}

/* Which versions a run covers: "2024-04-30", "since 2026-02-25", "2024-04-30 to 2025-06-01". */
static void versions_cell(struct http_buf *b, json_t *run, json_t *newest)
{
        json_t *from = json_object_get(run, "from"), *to = json_object_get(run, "to");
        const char *f = json_string_value(from), *e = json_string_value(to);
        struct http_buf s;

        http_buf_init(&s, 256);
        if (!f || !e)
                http_buf_puts(&s, "?");
        else if (json_equal(to, newest))
                http_buf_printf(&s, _("since %s"), f);
        else if (json_equal(from, to))
                http_buf_puts(&s, f);
        else
                http_buf_printf(&s, _("%s to %s"), f, e);
        if (!s.error)
                h(b, http_buf_str(&s));
        http_buf_free(&s);
}

static void runs_table(struct http_buf *b, unsigned port, const char *proto, json_t *runs, json_t *newest)
{
        static const char *const heads[] = { N_("State"), N_("Registry versions"), N_("Registered"), N_("Modified") };
        json_t *run, *x;
        size_t i, j;

        http_buf_printf(b, "<h3 id=\"history-%u-", port);
        h(b, proto);
        http_buf_printf(b, "\">%u/", port);
        h(b, proto);
        P(b, "</h3>");
        const char *cols[sizeof heads / sizeof heads[0]];
        for (i = 0; i < sizeof heads / sizeof heads[0]; i++)
                cols[i] = _(heads[i]);
        page_table_open(b, _("History of this port and protocol"), " class=\"history\"", cols,
                        sizeof cols / sizeof cols[0]);
        json_array_foreach(runs, i, run) {
                json_t *names = json_object_get(run, "names");
                P(b, "<tr><td>");
                json_array_foreach(names, j, x) {
                        if (!json_is_string(x))
                                continue;
                        if (j)
                                P(b, page_list_sep());
                        page_service_link(b, json_string_value(x));
                }
                if (json_array_size(names))
                        P(b, " ");
                status_badge(b, json_string_value(json_object_get(run, "status")));
                P(b, "</td><td>");
                versions_cell(b, run, newest);
                P(b, "</td><td>");
                date_cell(b, json_object_get(run, "registered"));
                P(b, "</td><td>");
                date_cell(b, json_object_get(run, "modified"));
                P(b, "</td></tr>");
        }
        P(b, "</tbody></table></div>");
}

/* The Registration and Modification dates of the rows of the registry served here. */
static void current_dates(const struct http_ctx *c, struct http_buf *b, const struct page_port_facts *f)
{
        bool any = false;

        for (size_t i = 0; i < f->nrows; i++) {
                struct registry_row row;
                if (registry_row(c->reg, f->rows[i], &row) < 0 || (!row.registered[0] && !row.modified[0]))
                        continue;
                if (!any) {
                        P(b, "<p>");
                        h(b, _("The registry served here dates its rows for this port:"));
                        P(b, "</p><ul class=\"dates\">");
                }
                any = true;
                P(b, "<li>");
                if (row.service[0])
                        page_service_link(b, row.service);
                else
                        h(b, _(registry_kind_name(row.kind)));
                P(b, " ");
                h(b, row.port);
                if (row.proto[0]) {
                        P(b, "/");
                        h(b, row.proto);
                }
                P(b, ": ");
                struct http_buf s;
                http_buf_init(&s, 256);
                http_buf_printf(&s, _("registered %s, modified %s"), row.registered[0] ? row.registered : "—",
                                row.modified[0] ? row.modified : "—");
                if (!s.error)
                        h(b, http_buf_str(&s));
                http_buf_free(&s);
                P(b, "</li>");
        }
        if (any)
                P(b, "</ul>");
        else if (f->nrows) {
                P(b, "<p>");
                h(b, _("The registry served here gives no registration or modification date for the rows of this port."));
                P(b, "</p>");
        }
}

void page_port_history(const struct http_ctx *c, struct http_buf *b, const struct page_port_facts *f)
{
        P(b, "<h2 id=\"history\">");
        h(b, _("History"));
        P(b, "</h2>");
        json_t *hist = c->history ? history_json(c, f->port, -1) : NULL;
        json_t *versions = json_object_get(hist, "versions"), *v, *ch;
        size_t nv = json_array_size(versions), i;
        if (nv == 0) {
                /* One line: where versions come from, and that the server reads them at its start. */
                P(b, "<p>");
                h(b, _("No earlier versions of the registry are kept here: 'portscope update' keeps each version it "
                     "installs, and 'portscope serve' reads them when it starts."));
                P(b, "</p>");
                json_decref(hist);
                current_dates(c, b, f);
                return;
        }
        struct http_buf list, s;
        http_buf_init(&list, 1024);
        json_array_foreach(versions, i, v) {
                if (i)
                        http_buf_puts(&list, page_list_sep());
                http_buf_puts(&list, json_string_value(v) ? json_string_value(v) : "?");
        }
        http_buf_init(&s, 2048);
        http_buf_printf(&s,
                        ps_ngettext("%zu registry version is kept by 'portscope update': %s.",
                                    "%zu registry versions are kept by 'portscope update': %s.", nv),
                        nv, list.error ? "…" : http_buf_str(&list));
        P(b, "<p>");
        if (!s.error)
                h(b, http_buf_str(&s));
        P(b, "</p>");
        http_buf_free(&s);
        http_buf_free(&list);

        json_t *changes = json_object_get(hist, "changes");
        if (json_array_size(changes) == 0) {
                P(b, "<p>");
                h(b, _("This port's status and names are the same in every version kept."));
                P(b, "</p>");
        }
        json_array_foreach(changes, i, ch) {
                const char *pn = json_string_value(json_object_get(ch, "protocol"));
                runs_table(b, f->port, pn ? pn : "?", json_object_get(ch, "runs"), json_array_get(versions, nv - 1));
        }
        json_decref(hist);
        current_dates(c, b, f);
}
