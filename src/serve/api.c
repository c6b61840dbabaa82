/* portscope serve — the JSON API: the same objects the CLI prints (portinfo_json), searches and
 * listeners (the objects of `portscope listening --json`). Every object carries "registry":
 * http_api_source(), which names files without their paths. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pages.h"
#include "serve-internal.h"
#include "portscope/portinfo.h"
#include "portscope/search.h"
#include "portscope/sockets.h"
#include "portscope/verdict.h"

static int set_new(json_t *o, const char *key, json_t *v)
{
        if (!v)
                return -ENOMEM;
        return json_object_set_new(o, key, v) == 0 ? 0 : -ENOMEM;
}

/* The last path component of path ("" stays ""). */
static const char *base_name(const char *path)
{
        if (!path)
                return "";
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

static json_t *str_or_null(const char *s)
{
        return s && s[0] ? portinfo_string(s) : json_null();
}

json_t *http_api_source(const struct http_ctx *c)
{
        /* The CLI's object names the files by path (portinfo_source_json); a server tells its
         * clients only the file names: where its files live is none of their business. */
        const struct registry_source *s = registry_source(c->reg);
        json_t *o = json_object();
        if (!o)
                return NULL;
        if (set_new(o, "source", str_or_null(base_name(s->path))) < 0 ||
            set_new(o, "kind", portinfo_string(s->kind == REGISTRY_SOURCE_IANA_CSV ? "iana-csv" : "services")) < 0 ||
            set_new(o, "date", str_or_null(s->date)) < 0 ||
            set_new(o, "assignments_only", json_boolean(s->kind == REGISTRY_SOURCE_SERVICES)) < 0 ||
            set_new(o, "observed_source", str_or_null(base_name(s->observed_path))) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

/* Empty strings become null, in place, at any depth: in the API an absent value is always null. */
static int nulls(json_t *v)
{
        if (json_is_object(v)) {
                void *it = json_object_iter(v);
                while (it) {
                        json_t *x = json_object_iter_value(it);
                        if (json_is_string(x) && json_string_length(x) == 0) {
                                if (json_object_iter_set_new(v, it, json_null()) < 0)
                                        return -ENOMEM;
                        } else if (nulls(x) < 0)
                                return -ENOMEM;
                        it = json_object_iter_next(v, it);
                }
        } else if (json_is_array(v)) {
                for (size_t i = 0; i < json_array_size(v); i++) {
                        json_t *x = json_array_get(v, i);
                        if (json_is_string(x) && json_string_length(x) == 0) {
                                if (json_array_set_new(v, i, json_null()) < 0)
                                        return -ENOMEM;
                        } else if (nulls(x) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

json_t *http_api_scrub(const struct http_ctx *c, json_t *o)
{
        if (o && nulls(o) < 0) {
                json_decref(o);
                return NULL;
        }
        if (o && json_is_object(o) && json_object_get(o, "registry") && set_new(o, "registry", http_api_source(c)) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *http_api_port(const struct http_ctx *c, uint16_t port)
{
        return http_api_scrub(c, http_port_json(c, port, -1));
}

json_t *http_api_search(const struct http_ctx *c, const char *q, unsigned limit, unsigned offset)
{
        /* The same object as `portscope search --json --limit L --offset O Q`, with the registry
         * named by file name. */
        return http_api_scrub(c, search_json_page(c->reg, c->know, q, offset, limit));
}

/* {"api":1, ..., "registry":{...}}: the frame of every list answer. */
static json_t *frame(const struct http_ctx *c)
{
        json_t *o = json_object();
        if (o && (set_new(o, "api", json_integer(1)) < 0 || set_new(o, "registry", http_api_source(c)) < 0)) {
                json_decref(o);
                return NULL;
        }
        return o;
}

/* portinfo_json(port) without "registry" (the frame carries it), reduced to one protocol when
 * proto >= 0. */
static json_t *port_object(const struct http_ctx *c, uint16_t port, int proto)
{
        json_t *o = http_port_json(c, port, proto);
        if (!o || nulls(o) < 0) {
                json_decref(o);
                return NULL;
        }
        json_object_del(o, "registry");
        if (proto < 0)
                return o;
        if (portinfo_keep_protocols(o, PS_PROTO_BIT(proto)) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *http_api_ports(const struct http_ctx *c, const struct http_route *rt, int *ret_status)
{
        *ret_status = 500;
        if (rt->form == HTTP_PORTS_PROTO) {
                json_t *o = port_object(c, rt->port, rt->proto);
                if (o && set_new(o, "registry", http_api_source(c)) < 0) {
                        json_decref(o);
                        return NULL;
                }
                if (o)
                        *ret_status = 200;
                return o;
        }
        /* A range, or the ports a service name is assigned: {"api","query","ports":[objects]}. */
        uint8_t *want = calloc(65536, 1);
        if (!want)
                return NULL;
        if (rt->form == HTTP_PORTS_RANGE) {
                for (unsigned p = rt->port; p <= rt->port_hi; p++)
                        want[p] = 1;
        } else {
                uint32_t ids[256];
                size_t n = registry_by_name(c->reg, rt->name, ids, 256);
                size_t hits = 0;
                for (size_t i = 0; i < n && i < 256; i++) {
                        struct registry_row row;
                        if (registry_row(c->reg, ids[i], &row) < 0 || !row.has_port)
                                continue;
                        /* Named ranges (x11 6000-6063) are listed by their first port only. */
                        want[row.port_lo] = 1;
                        hits++;
                }
                if (hits == 0) {
                        free(want);
                        *ret_status = 404;
                        return http_api_error(c, 404, "no port is assigned to this service name");
                }
        }
        json_t *o = frame(c), *ports = json_array();
        bool ok = o && ports;
        if (ok && rt->form == HTTP_PORTS_NAME)
                ok = set_new(o, "service", portinfo_string(rt->name)) == 0;
        for (unsigned p = 0; ok && p < 65536; p++)
                if (want[p])
                        ok = json_array_append_new(ports, port_object(c, (uint16_t)p, -1)) == 0;
        free(want);
        if (ok)
                ok = json_object_set(o, "ports", ports) == 0;
        json_decref(ports);
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        *ret_status = 200;
        return o;
}

json_t *http_api_service(const struct http_ctx *c, const char *name, int *ret_status)
{
        uint32_t ids[256];
        size_t n = registry_by_name(c->reg, name, ids, 256);
        const struct knowledge_service *ks = c->know ? knowledge_service(c->know, name) : NULL;
        *ret_status = 500;
        if (n == 0 && !ks) {
                *ret_status = 404;
                return http_api_error(c, 404, "no such service name in the registry");
        }
        json_t *o = frame(c), *rows = json_array();
        bool ok = o && rows && set_new(o, "service", portinfo_string(name)) == 0;
        for (size_t i = 0; ok && i < n && i < 256; i++)
                ok = json_array_append_new(rows, portinfo_row_json(c->reg, ids[i])) == 0;
        if (ok)
                ok = nulls(rows) == 0;
        if (ok)
                ok = json_object_set(o, "rows", rows) == 0;
        json_decref(rows);
        if (ok) {
                json_t *k = json_null();
                if (ks) {
                        json_t *servers = json_array();
                        for (size_t i = 0; servers && i < ks->nservers; i++)
                                json_array_append_new(servers, portinfo_string(ks->servers[i]));
                        k = json_pack("{s:o, s:o}", "servers", servers ? servers : json_array(), "source",
                                      ks->source && ks->source[0] ? portinfo_string(ks->source) : json_null());
                }
                ok = set_new(o, "knowledge", k) == 0;
        }
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        *ret_status = 200;
        return o;
}

json_t *http_api_ranges(const struct http_ctx *c)
{
        static const unsigned first[3] = { 0, 1024, 49152 }, last[3] = { 1023, 49151, 65535 };
        json_t *o = frame(c), *ranges = json_array();
        bool ok = o && ranges;
        for (unsigned i = 0; ok && i < 3; i++) {
                enum ps_range rg = (enum ps_range)i;
                ok = json_array_append_new(ranges, json_pack("{s:s, s:i, s:i, s:s, s:o}", "name", ps_range_name(rg),
                                                             "first", (int)first[i], "last", (int)last[i],
                                                             "procedure", ps_range_procedure(rg), "rfc",
                                                             json_string("RFC 6335, section 6"))) == 0;
        }
        if (ok)
                ok = json_object_set(o, "ranges", ranges) == 0;
        json_decref(ranges);
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *http_api_list(const struct http_ctx *c, const struct http_route *rt, int *ret_status)
{
        json_t *o = frame(c), *items = json_array();
        bool ok = o && items;
        unsigned long total = 0;
        *ret_status = 500;
        for (unsigned p = 0; ok && p < 65536; p++) {
                if (rt->range >= 0 && (int)ps_range_of((uint16_t)p) != rt->range)
                        continue;
                for (unsigned pr = 0; ok && pr < PS_NPROTO; pr++) {
                        if (rt->proto >= 0 && (int)pr != rt->proto)
                                continue;
                        enum registry_status st = registry_status(c->reg, (uint16_t)p, (enum ps_proto)pr);
                        if (rt->status_filter >= 0 && (int)st != rt->status_filter)
                                continue;
                        if (rt->status_filter < 0 && rt->proto < 0 && st != REGISTRY_ASSIGNED && st != REGISTRY_RESERVED)
                                continue; /* without filters: what is registered, not 200,000 gaps */
                        total++;
                        if (total <= rt->offset || total > (unsigned long)rt->offset + rt->limit)
                                continue;
                        uint32_t id;
                        json_t *name = json_null();
                        if (registry_covering(c->reg, (uint16_t)p, (enum ps_proto)pr, &id, 1) > 0) {
                                struct registry_row row;
                                if (registry_row(c->reg, id, &row) == 0 && row.service[0])
                                        name = portinfo_string(row.service);
                        }
                        ok = json_array_append_new(items, json_pack("{s:i, s:s, s:s, s:o}", "port", (int)p, "protocol",
                                                                    ps_proto_name((enum ps_proto)pr), "status",
                                                                    registry_status_name(st), "name", name)) == 0;
                }
        }
        if (ok)
                ok = set_new(o, "total", json_integer((json_int_t)total)) == 0 &&
                     set_new(o, "limit", json_integer(rt->limit)) == 0 &&
                     set_new(o, "offset", json_integer(rt->offset)) == 0 && json_object_set(o, "items", items) == 0;
        json_decref(items);
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        *ret_status = 200;
        return o;
}

json_t *http_api_error(const struct http_ctx *c, int status, const char *message)
{
        json_t *err = json_pack("{s:i, s:s}", "status", status, "message", message);
        json_t *o = err ? json_pack("{s:o}", "error", err) : NULL;
        if (o && c && c->reg)
                set_new(o, "registry", http_api_source(c));
        return o;
}

int http_local_listening(uint8_t ret_listening[65536])
{
        struct sockets_query q = SOCKETS_QUERY_INIT;
        q.flags = SOCKETS_LISTENING | SOCKETS_NO_RAW | SOCKETS_NO_PACKET;
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
        q.flags = SOCKETS_LISTENING | SOCKETS_NO_RAW | SOCKETS_NO_PACKET;
        struct sockets_list *l = NULL;
        struct verdict_report *report = NULL;
        if (sockets_collect(&q, NULL, NULL, &l) < 0) {
                http_buf_puts(b, "<p>");
                http_html_escape(b, _("This machine's sockets could not be listed."), (size_t)-1);
                http_buf_puts(b, "</p>");
                return;
        }
        sockets_list_sort(l);
        bool privileged = l->owners.privileged;
        if (verdict_report_build(&vc, l, "host", &report) < 0) {
                http_buf_puts(b, "<p>");
                http_html_escape(b, _("This machine's sockets could not be judged (out of memory)."), (size_t)-1);
                http_buf_puts(b, "</p>");
                return;
        }
        l = report->sockets;
        /* TRANSLATORS: the headings of the table of this machine's listeners (on /map?local=1). */
        const char *const heads[] = { _("Protocol"), _("Address"), _("Port"), _("Processes"), _("Verdict"), _("Why") };
        page_table_open(b, _("Scrollable table"), " id=\"listeners\"", heads, sizeof heads / sizeof heads[0]);
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                const struct verdict_item *v = &report->verdicts[i];
                if (e->proto != SOCKETS_TCP && e->proto != SOCKETS_UDP)
                        continue;
                char addr[64];
                sockets_format_addr(e->family, e->local, addr, sizeof addr);
                http_buf_puts(b, "<tr><td>");
                http_html_escape(b, sockets_proto_name(e->proto), (size_t)-1);
                http_buf_puts(b, "</td><td dir=\"ltr\">");
                http_html_escape(b, addr, (size_t)-1);
                http_buf_printf(b, "</td><td><a href=\"/ports/%u\">%u</a>", (unsigned)e->port, (unsigned)e->port);
                /* One program's SO_REUSEPORT group is one row: how many sockets, as the audit's table. */
                if (e->merged)
                        http_buf_printf(b, " &#215;%lu", (unsigned long)e->merged + 1);
                http_buf_puts(b, "</td><td>");
                for (size_t j = 0; j < e->nowners; j++) {
                        const struct sockets_process *p = sockets_entry_owner(l, e, j);
                        if (!p)
                                continue;
                        if (j)
                                http_buf_puts(b, ", ");
                        http_buf_puts(b, "<code>");
                        http_html_escape(b, p->comm, (size_t)-1);
                        http_buf_puts(b, "</code> ");
                        /* TRANSLATORS: after a process name in the listeners table of the map page. */
                        http_buf_printf(b, _("(pid %d)"), (int)p->pid);
                }
                http_buf_printf(b, "</td><td class=\"v-%s\" dir=\"ltr\">%s/%s</td><td>", verdict_kind_name(v->kind),
                                verdict_kind_name(v->kind), verdict_severity_name(v->severity));
                http_html_escape(b, v->reason ? v->reason : "", (size_t)-1);
                http_buf_puts(b, "</td></tr>");
        }
        http_buf_puts(b, "</tbody></table></div>");
        if (!privileged)
        {
                http_buf_puts(b, "<p class=\"muted\">");
                http_html_escape(b, _("Not every process could be looked into: run as root to see all owners."), (size_t)-1);
                http_buf_puts(b, "</p>");
        }
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
        o = http_api_scrub(c, o);
        if (o)
                *ret_status = 200;
        return o;
}
