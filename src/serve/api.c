/* portscope serve — the JSON API: the same objects the CLI prints (portinfo_json), searches and
 * listeners (the objects of `portscope listening --json`). Every object carries "registry":
 * portinfo_source_json(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "serve-internal.h"
#include "portscope/portinfo.h"
#include "portscope/search.h"
#include "portscope/sockets.h"
#include "portscope/verdict.h"

json_t *http_api_port(const struct http_ctx *c, uint16_t port)
{
        return portinfo_json(c->reg, c->know, port);
}

static int set_new(json_t *o, const char *key, json_t *v)
{
        if (!v)
                return -ENOMEM;
        return json_object_set_new(o, key, v) == 0 ? 0 : -ENOMEM;
}

json_t *http_api_search(const struct http_ctx *c, const char *q)
{
        /* The same object as `portscope search --json --limit 100 Q`. */
        return search_json(c->reg, c->know, q, 100);
}

json_t *http_api_error(const struct http_ctx *c, int status, const char *message)
{
        json_t *err = json_pack("{s:i, s:s}", "status", status, "message", message);
        json_t *o = err ? json_pack("{s:o}", "error", err) : NULL;
        if (o && c && c->reg)
                set_new(o, "registry", portinfo_source_json(c->reg));
        return o;
}

int http_local_listening(uint8_t ret_listening[65536])
{
        struct sockets_query q = SOCKETS_QUERY_INIT;
        q.flags = SOCKETS_LISTENING | SOCKETS_NO_RAW;
        struct sockets_list *l = NULL;
        int r = sockets_dump(&q, &l);
        if (r < 0)
                return r;
        memset(ret_listening, 0, 65536);
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].proto == SOCKETS_TCP || l->v[i].proto == SOCKETS_UDP)
                        ret_listening[l->v[i].port] = 1;
        sockets_list_free(l);
        return 0;
}

/* This machine's listeners, each judged by the verdict engine as `portscope listening` judges it. */
void http_local_table(const struct http_ctx *c, struct http_buf *b)
{
        struct verdict_context vc = { .registry = c->reg, .knowledge = c->know };
        struct sockets_query q = SOCKETS_QUERY_INIT;
        q.flags = SOCKETS_LISTENING | SOCKETS_NO_RAW;
        struct sockets_list *l = NULL;
        struct verdict_report *report = NULL;
        if (sockets_collect(&q, NULL, NULL, &l) < 0) {
                http_buf_puts(b, "<p>This machine's sockets could not be listed.</p>");
                return;
        }
        sockets_list_sort(l);
        bool privileged = l->owners.privileged;
        if (verdict_report_build(&vc, l, "host", &report) < 0) {
                http_buf_puts(b, "<p>This machine's sockets could not be judged (out of memory).</p>");
                return;
        }
        l = report->sockets;
        http_buf_puts(b, "<div class=\"scroll\" tabindex=\"0\"><table id=\"listeners\"><thead><tr>"
                         "<th scope=\"col\">Protocol</th><th scope=\"col\">Address</th><th scope=\"col\">Port</th>"
                         "<th scope=\"col\">Processes</th><th scope=\"col\">Verdict</th><th scope=\"col\">Why</th>"
                         "</tr></thead><tbody>");
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                const struct verdict_item *v = &report->verdicts[i];
                if (e->proto != SOCKETS_TCP && e->proto != SOCKETS_UDP)
                        continue;
                char addr[64];
                sockets_format_addr(e->family, e->local, addr, sizeof addr);
                http_buf_puts(b, "<tr><td>");
                http_html_escape(b, sockets_proto_name(e->proto), (size_t)-1);
                http_buf_puts(b, "</td><td>");
                http_html_escape(b, addr, (size_t)-1);
                http_buf_printf(b, "</td><td><a href=\"/ports/%u\">%u</a></td><td>", (unsigned)e->port, (unsigned)e->port);
                for (size_t j = 0; j < e->nowners; j++) {
                        const struct sockets_process *p = sockets_entry_owner(l, e, j);
                        if (!p)
                                continue;
                        if (j)
                                http_buf_puts(b, ", ");
                        http_buf_puts(b, "<code>");
                        http_html_escape(b, p->comm, (size_t)-1);
                        http_buf_printf(b, "</code> (pid %d)", (int)p->pid);
                }
                http_buf_printf(b, "</td><td class=\"v-%s\">%s/%s</td><td>", verdict_kind_name(v->kind),
                                verdict_kind_name(v->kind), verdict_severity_name(v->severity));
                http_html_escape(b, v->reason ? v->reason : "", (size_t)-1);
                http_buf_puts(b, "</td></tr>");
        }
        http_buf_puts(b, "</tbody></table></div>");
        if (!privileged)
                http_buf_puts(b, "<p class=\"muted\">Not every process could be looked into: run as root to see all owners.</p>");
        verdict_report_free(report);
}

/* The object of `portscope listening --json`, written by the audit library itself, so the API and
 * the CLI share one vocabulary. */
json_t *http_api_listeners(const struct http_ctx *c, int *ret_status)
{
        struct verdict_context vc = { .registry = c->reg, .knowledge = c->know };
        struct sockets_query q = SOCKETS_QUERY_INIT;
        struct sockets_list *l = NULL;
        struct verdict_report *report = NULL;

        *ret_status = 500;
        if (sockets_collect(&q, NULL, NULL, &l) < 0)
                return http_api_error(c, 500, "listing this machine's sockets failed");
        sockets_list_sort(l);
        if (verdict_report_build(&vc, l, "host", &report) < 0)
                return NULL;
        /* The audit streams its JSON; the API answers with a tree: read back what it wrote. */
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        int r = f ? verdict_report_dump_json(report, NULL, f, false) : -ENOMEM;
        if (f && fclose(f) != 0 && r == 0)
                r = -ENOMEM;
        verdict_report_free(report);
        json_t *o = r == 0 ? json_loadb(text, len, 0, NULL) : NULL;
        free(text);
        if (o)
                *ret_status = 200;
        return o;
}
