/* portscope serve — the page of one port: /ports/N. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "page-port.h"
#include "pages.h"
#include "portscope/port.h"
#include "portscope/portinfo.h"

/* Row ids covering port on any protocol, in file order, without duplicates. */
static size_t port_rows(const struct registry *r, uint16_t port, uint32_t *ids, size_t max)
{
        size_t n = 0;
        for (int p = 0; p < PS_NPROTO; p++) {
                uint32_t tmp[PAGE_MAX_ROWS];
                size_t m = registry_covering(r, port, (enum ps_proto)p, tmp, PAGE_MAX_ROWS);
                if (m > PAGE_MAX_ROWS)
                        m = PAGE_MAX_ROWS;
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
        uint32_t rows[PAGE_MAX_ROWS];
        size_t nrows = port_rows(c->reg, port, rows, PAGE_MAX_ROWS);
        const struct knowledge_entry *ke[32];
        size_t nke = port_knowledge(c->know, port, ke, 32);
        page_knowledge_sort(ke, nke);
        struct page_refs *refs = calloc(1, sizeof *refs);
        if (!refs)
                return -ENOMEM;
        struct page_port_facts facts = {
                .port = port, .rows = rows, .nrows = nrows, .ke = ke, .nke = nke,
                .rank_tcp = page_nmap_rank(c->reg, PS_TCP, port), .rank_udp = page_nmap_rank(c->reg, PS_UDP, port),
                .advice = portinfo_advice(c->reg, c->know, port, PS_TCP),
        };
        memcpy(facts.st, st, sizeof st);

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
        /* Mainstream uses first (sorted above); malware history does not lead on an assigned port. */
        if (nke && !(first_service && (ke[0]->kind == KNOWLEDGE_MALWARE || ke[0]->kind == KNOWLEDGE_MISUSE ||
                                       ke[0]->kind == KNOWLEDGE_C2)))
                http_buf_printf(&sum, "; also known for %s", ke[0]->name);
        http_buf_puts(&sum, ".");

        page_begin(b, title, sum.error ? NULL : http_buf_str(&sum));
        http_buf_printf(b, "<h1>Port %u</h1><p class=\"lead\">", (unsigned)port);
        if (!sum.error)
                h(b, http_buf_str(&sum));
        http_buf_free(&sum);
        P(b, "</p><nav class=\"pager\" aria-label=\"Neighbouring ports\">");
        if (port > 0)
                http_buf_printf(b, "<a rel=\"prev\" href=\"/ports/%u\">← Port %u</a>", port - 1u, port - 1u);
        else
                P(b, "<span></span>");
        if (port < 65535)
                http_buf_printf(b, "<a rel=\"next\" href=\"/ports/%u\">Port %u →</a>", port + 1u, port + 1u);
        P(b, "</nav>");

        page_port_explain(c, b, &facts, refs);
        page_port_rows(c, b, &facts, refs);
        page_port_history(c, b, &facts);

        /* Unofficial uses */
        P(b, "<h2 id=\"unofficial\">Unofficial uses</h2>");
        if (nke == 0)
                P(b, "<p>portscope's field knowledge lists no unofficial use of this port.</p>");
        for (size_t i = 0; i < nke; i++) {
                const struct knowledge_entry *e = ke[i];
                P(b, "<h3>");
                h(b, e->name);
                P(b, " ");
                page_kind_badge(b, e->kind);
                P(b, "</h3><p>");
                h(b, e->summary);
                P(b, "</p><p class=\"muted\">Ports: ");
                for (size_t j = 0; j < e->nports; j++) {
                        if (j)
                                P(b, ", ");
                        if (e->ports[j].lo == e->ports[j].hi)
                                page_port_link(b, e->ports[j].lo);
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
                        page_source_text(b, e->source);
                        page_port_knowledge_refs(b, refs, e);
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
                P(b, "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Scrollable table\"><table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Protocol"
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
                page_port_link(b, q);
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
                                page_service_link(b, first_service);
                                P(b, ": ");
                        } else
                                P(b, ", ");
                        page_port_link(b, row.port_lo);
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
        page_port_faq(c, b, &facts);
        page_refs_print(b, refs);
        free(refs);
        http_buf_printf(b, "<p class=\"muted\">This page as JSON: <a href=\"/api/v1/ports/%u\">/api/v1/ports/%u</a>"
                           " (the same object as <code>portscope info --json %u</code>).</p>",
                        (unsigned)port, (unsigned)port, (unsigned)port);
        char path[32];
        snprintf(path, sizeof path, "/ports/%u", (unsigned)port);
        page_end(c, b, path, false);
        return page_status(b, 200);
}
