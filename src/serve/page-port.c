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

/* A port number as the registry writes it: never grouped ("6335", not "6,335"), in every language;
 * isolated, as page_num() isolates numbers, for right-to-left pages. */
static const char *port_num(char out[PAGE_NUM_MAX], unsigned port)
{
        snprintf(out, PAGE_NUM_MAX, "<bdi>%u</bdi>", port);
        return out;
}

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
                { "linux", "Linux" }, { "macos", "macOS" }, { "windows", N_("Windows (PowerShell)") }, { "portscope", "portscope" },
        };
        json_t *how = json_object_get(info, "how_to_check");
        P(b, "<h2 id=\"check\">");
        h(b, _("How to check"));
        P(b, "</h2><p>");
        h(b, _("Whether something listens on this port on your machine, and which program:"));
        P(b, "</p>");
        for (size_t i = 0; i < sizeof oses / sizeof oses[0]; i++) {
                const char *cmd = json_string_value(json_object_get(how, oses[i][0]));
                if (!cmd)
                        continue;
                P(b, "<h3>");
                h(b, _(oses[i][1]));
                P(b, "</h3><pre dir=\"ltr\"><code>");
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
        P(b, "<h2 id=\"security\">");
        h(b, _("If something is listening"));
        P(b, "</h2>");
        http_buf_printf(b, "<div class=\"note%s\">", bad ? " warn" : "");
        if (bad) {
                struct http_buf l;
                http_buf_init(&l, 2048);
                bool first = true;
                for (size_t i = 0; i < nke; i++) {
                        if (ke[i]->kind != KNOWLEDGE_MALWARE && ke[i]->kind != KNOWLEDGE_MISUSE)
                                continue;
                        if (!first)
                                P(&l, page_list_sep());
                        page_knowledge_name(&l, ke[i]->name);
                        first = false;
                }
                P(b, "<p>");
                /* TRANSLATORS: %s is a list of malware or misuse names. */
                page_printf_html(b, _("Known from malware or misuse: %s. A listener here that you cannot attribute to a "
                                      "program you installed deserves a closer look: find its process (above), its "
                                      "executable and how it was started."), l.error ? "" : http_buf_str(&l));
                http_buf_free(&l);
                P(b, "</p>");
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
                        P(b, "<strong dir=\"ltr\">");
                        h(b, ps_proto_name((enum ps_proto)p));
                        P(b, "</strong>: ");
                }
                h(b, _(adv));
                P(b, "</p>");
        }
        if (assigned) {
                P(b, "<p>");
                h(b, _("The registry says which service should use this port, not what does: any program can listen "
                       "on any port."));
                P(b, " ");
                bool any = false;
                for (size_t i = 0; i < nrows && c->know; i++) {
                        struct registry_row row;
                        if (registry_row(c->reg, rows[i], &row) < 0 || !row.service[0])
                                continue;
                        const struct knowledge_service *ks = knowledge_service(c->know, row.service);
                        if (!ks || ks->nservers == 0)
                                continue;
                        struct http_buf sv, sn;
                        http_buf_init(&sv, 2048);
                        http_buf_init(&sn, 256);
                        page_en(&sn, "bdi", NULL, row.service);
                        for (size_t j = 0; j < ks->nservers; j++) {
                                if (j)
                                        P(&sv, page_list_sep());
                                P(&sv, "<code dir=\"ltr\">");
                                h(&sv, ks->servers[j]);
                                P(&sv, "</code>");
                        }
                        /* TRANSLATORS: %1$s is a service name, %2$s the programs that serve it (ssh: sshd, dropbear). */
                        page_printf_html(b, _("Check that the process is a server of the assigned service (%1$s is served "
                                              "by %2$s)."), sn.error ? "" : http_buf_str(&sn),
                                         sv.error ? "" : http_buf_str(&sv));
                        http_buf_free(&sv);
                        http_buf_free(&sn);
                        any = true;
                        break;
                }
                if (!any)
                        h(b, _("Check that the process is a server of the assigned service."));
                P(b, "</p>");
        } else if (reserved) {
                P(b, "<p>");
                h(b, _("The port is reserved: no service may be assigned to it, so no standard program should "
                       "listen here. A listener is either a program that ignores the registry or one to look into."));
                P(b, "</p>");
        } else if (nke == 0) {
                P(b, "<p>");
                h(b, _("No service is assigned here and no common program is known to use it: nothing explains a "
                       "listener but the program itself. Identify it before trusting it."));
                P(b, "</p>");
        } else {
                P(b, "<p>");
                h(b, _("No service is assigned here; the uses listed above are the likely explanations. Confirm the "
                       "process matches one of them."));
                P(b, "</p>");
        }
        switch (ps_range_of(port)) {
        case PS_RANGE_SYSTEM:
                P(b, "<p>");
                /* TRANSLATORS: %1$s is CAP_NET_BIND_SERVICE, %2$s net.ipv4.ip_unprivileged_port_start (code). */
                page_printf_html(b, _("On Linux, binding a port below 1024 needs root or %1$s (unless %2$s was lowered), "
                                      "so a listener here runs with, or was given, privilege."),
                                 "<code dir=\"ltr\">CAP_NET_BIND_SERVICE</code>",
                                 "<code dir=\"ltr\">net.ipv4.ip_unprivileged_port_start</code>");
                P(b, "</p>");
                break;
        case PS_RANGE_DYNAMIC:
                P(b, "<p>");
                h(b, _("Ports in the dynamic range are what operating systems hand out for outgoing connections and "
                       "for programs that ask for any free port; a listener here usually picked it at random "
                       "(RPC services, games, development tools), so the port number alone says little."));
                P(b, "</p>");
                break;
        default:
                break;
        }
        P(b, "<p>");
        /* TRANSLATORS: %s is the address 127.0.0.1 (code). */
        page_printf_html(b, _("Whatever it is, expose it no further than needed: bind it to %s or keep it behind a "
                              "firewall."), "<code dir=\"ltr\">127.0.0.1</code>");
        P(b, "</p></div>");
}

int http_page_port(const struct http_ctx *c, uint16_t port, struct http_buf *b)
{
        char title[128];
        /* TRANSLATORS: a port page's title and heading; %u is the port number. */
        snprintf(title, sizeof title, _("Port %u"), (unsigned)port);
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
        for (int p = 0; p < PS_NPROTO; p++)
                if (st[p] == REGISTRY_ASSIGNED) {
                        facts.private_use = registry_private_only(c->reg, port, (enum ps_proto)p);
                        if (!facts.private_use)
                                break;
                }

        /* The one-line summary, also the page's description. */
        struct http_buf sum;
        http_buf_init(&sum, 4096);
        const char *first_service = NULL;
        for (size_t i = 0; i < nrows; i++) {
                struct registry_row row;
                if (registry_row(c->reg, rows[i], &row) == 0 && row.kind == REGISTRY_ROW_SERVICE && row.service[0]) {
                        first_service = row.service;
                        size_t dl = strcspn(row.description, "\r\n");
                        if (dl && strncasecmp(row.description, row.service, dl) != 0)
                                /* TRANSLATORS: %1$u a port, %2$s its service, %4$.*3$s the service's description (%3$ is its
                                 * length, not printed). */
                                http_buf_printf(&sum, _("Port %1$u is assigned to %2$s (%4$.*3$s)"), (unsigned)port,
                                                row.service, (int)(dl > 200 ? 200 : dl), row.description);
                        else
                                http_buf_printf(&sum, _("Port %u is assigned to %s"), (unsigned)port, row.service);
                        break;
                }
        }
        if (!first_service)
                /* TRANSLATORS: %s is a registry status: assigned, reserved or unassigned. */
                http_buf_printf(&sum, _("Port %u is %s in the IANA registry"), (unsigned)port,
                                _(registry_status_name(st[PS_TCP])));
        /* Mainstream uses first (sorted above); malware history does not lead on an assigned port. */
        if (nke && !(first_service && (ke[0]->kind == KNOWLEDGE_MALWARE || ke[0]->kind == KNOWLEDGE_MISUSE ||
                                       ke[0]->kind == KNOWLEDGE_C2)))
                /* TRANSLATORS: follows "Port 22 is assigned to ssh"; %s is a program's name. */
                http_buf_printf(&sum, _("; also known for %s"), ke[0]->name);
        http_buf_puts(&sum, ".");

        page_begin(b, title, sum.error ? NULL : http_buf_str(&sum));
        P(b, "<h1>");
        {
                char num[PAGE_NUM_MAX];
                page_printf_html(b, _("Port %s"), port_num(num, port));
        }
        P(b, "</h1><p class=\"lead\">");
        if (!sum.error)
                h(b, http_buf_str(&sum));
        http_buf_free(&sum);
        P(b, "</p><nav class=\"pager\" aria-label=\"");
        h(b, _("Neighbouring ports"));
        P(b, "\">");
        /* The arrows point the way the page reads. */
        bool rtl = ps_i18n_thread_language()->rtl;
        char num[PAGE_NUM_MAX];
        if (port > 0) {
                http_buf_printf(b, "<a rel=\"prev\" href=\"/ports/%u\">%s ", port - 1u, rtl ? "→" : "←");
                page_printf_html(b, _("Port %s"), port_num(num, port - 1u));
                P(b, "</a>");
        } else
                P(b, "<span></span>");
        if (port < 65535) {
                http_buf_printf(b, "<a rel=\"next\" href=\"/ports/%u\">", port + 1u);
                page_printf_html(b, _("Port %s"), port_num(num, port + 1u));
                P(b, rtl ? " ←</a>" : " →</a>");
        }
        P(b, "</nav>");

        page_port_explain(c, b, &facts, refs);
        page_port_rows(c, b, &facts, refs);
        page_port_history(c, b, &facts);

        /* Unofficial uses */
        P(b, "<h2 id=\"unofficial\">");
        h(b, _("Unofficial uses"));
        P(b, "</h2>");
        if (nke == 0) {
                P(b, "<p>");
                h(b, _("portscope's field knowledge lists no unofficial use of this port."));
                P(b, "</p>");
        }
        for (size_t i = 0; i < nke; i++) {
                const struct knowledge_entry *e = ke[i];
                P(b, "<h3>");
                page_knowledge_name(b, e->name);
                P(b, " ");
                page_kind_badge(b, e->kind);
                /* The knowledge file's own words (English) until it has translations. */
                P(b, "</h3><p");
                page_registry_attrs(b);
                P(b, ">");
                h(b, e->summary);
                P(b, "</p><p class=\"muted\">");
                /* TRANSLATORS: followed by a list of port numbers. */
                h(b, _("Ports:"));
                P(b, " ");
                for (size_t j = 0; j < e->nports; j++) {
                        if (j)
                                P(b, page_list_sep());
                        if (e->ports[j].lo == e->ports[j].hi)
                                page_port_link(b, e->ports[j].lo);
                        else
                                http_buf_printf(b, "<bdi>%u–%u</bdi>", (unsigned)e->ports[j].lo, (unsigned)e->ports[j].hi);
                }
                if (e->nprocesses) {
                        P(b, ". ");
                        /* TRANSLATORS: followed by a list of process names. */
                        h(b, _("Processes:"));
                        P(b, " ");
                        for (size_t j = 0; j < e->nprocesses; j++) {
                                if (j)
                                        P(b, page_list_sep());
                                P(b, "<code dir=\"ltr\">");
                                h(b, e->processes[j]);
                                P(b, "</code>");
                        }
                }
                if (e->source && e->source[0]) {
                        P(b, ". ");
                        /* TRANSLATORS: followed by a URL or a document's name. */
                        h(b, _("Source:"));
                        P(b, " ");
                        page_source_text(b, e->source);
                        page_port_knowledge_refs(b, refs, e);
                }
                P(b, ".</p>");
        }

        /* Observed */
        P(b, "<h2 id=\"observed\">");
        h(b, _("Observed on the Internet"));
        P(b, "</h2>");
        struct registry_observed obs[8];
        size_t nobs = registry_observed(c->reg, port, obs, 8);
        if (nobs > 8)
                nobs = 8;
        if (nobs == 0) {
                const struct registry_source *src = registry_source(c->reg);
                P(b, "<p>");
                h(b, !src->observed_path || !src->observed_path[0]
                             ? _("nmap's frequency table has no entry for this port (it was not available to this server).")
                             : _("nmap's frequency table has no entry for this port."));
                P(b, "</p>");
        } else {
                /* TRANSLATORS: the headings of the table of nmap-services entries. */
                const char *heads[] = { _("Name"), _("Protocol"), _("Open on"), _("Comment") };
                page_table_open(b, _("Scrollable table"), NULL, heads, sizeof heads / sizeof heads[0]);
                for (size_t i = 0; i < nobs; i++) {
                        P(b, "<tr>");
                        page_registry_td(b, obs[i].name);
                        P(b, "<td>");
                        h(b, ps_proto_name(obs[i].proto));
                        char pct[80], pnum[48];
                        snprintf(pct, sizeof pct, "<bdi>%s</bdi>",
                                 ps_i18n_percent(obs[i].frequency * 100.0, 4, pnum, sizeof pnum));
                        P(b, "</td><td>");
                        /* TRANSLATORS: %s is a percentage such as 0.1234%. */
                        page_printf_html(b, _("%s of scanned hosts"), pct);
                        P(b, "</td>");
                        page_registry_td(b, obs[i].comment);
                        P(b, "</tr>");
                }
                P(b, "</tbody></table></div><p class=\"muted\">");
                h(b, _("From nmap-services: how often nmap's scans found the port open."));
                P(b, "</p>");
        }

        /* Nearby */
        P(b, "<h2 id=\"nearby\">");
        h(b, _("Nearby ports"));
        P(b, "</h2><ul class=\"results\">");
        unsigned lo = port >= 5 ? port - 5u : 0, hi = port <= 65530 ? port + 5u : 65535;
        for (unsigned q = lo; q <= hi; q++) {
                if (q == port)
                        continue;
                P(b, "<li>");
                page_port_link(b, q);
                P(b, " <span class=\"muted\">");
                h(b, _(http_map_class_name((enum http_map_class)c->classes[q])));
                P(b, "</span>");
                uint32_t id;
                if (registry_covering(c->reg, (uint16_t)q, PS_TCP, &id, 1) > 0 ||
                    registry_covering(c->reg, (uint16_t)q, PS_UDP, &id, 1) > 0) {
                        struct registry_row row;
                        if (registry_row(c->reg, id, &row) == 0 && row.service[0]) {
                                P(b, " — ");
                                page_en(b, "bdi", NULL, row.service);
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
                struct http_buf others;
                http_buf_init(&others, 8192);
                for (size_t i = 0; i < m; i++) {
                        struct registry_row row;
                        if (registry_row(c->reg, ids[i], &row) < 0 || !row.has_port ||
                            (row.port_lo <= port && port <= row.port_hi))
                                continue;
                        if (any)
                                P(&others, page_list_sep());
                        P(&others, "<bdi>");
                        page_port_link(&others, row.port_lo);
                        P(&others, "/");
                        h(&others, row.proto);
                        P(&others, "</bdi>");
                        any = true;
                }
                if (any) {
                        struct http_buf sl;
                        http_buf_init(&sl, 512);
                        page_service_link(&sl, first_service);
                        P(b, "<p>");
                        /* TRANSLATORS: %1$s is a service (a link), %2$s a list of its ports (22/tcp, 22/udp). */
                        page_printf_html(b, _("Other ports of %1$s: %2$s."), sl.error ? "" : http_buf_str(&sl),
                                         others.error ? "" : http_buf_str(&others));
                        P(b, "</p>");
                        http_buf_free(&sl);
                }
                http_buf_free(&others);
        }

        json_t *info = portinfo_json(c->reg, c->know, port);
        check_commands(b, info);
        security_note(c, b, port, info, st, ke, nke, rows, nrows);
        json_decref(info);
        page_port_faq(c, b, &facts);
        page_refs_print(b, refs);
        free(refs);
        {
                char link[96], cmd[96];
                snprintf(link, sizeof link, "<a dir=\"ltr\" href=\"/api/v1/ports/%u\">/api/v1/ports/%u</a>", (unsigned)port,
                         (unsigned)port);
                snprintf(cmd, sizeof cmd, "<code dir=\"ltr\">portscope info --json %u</code>", (unsigned)port);
                P(b, "<p class=\"muted\">");
                /* TRANSLATORS: %1$s is a link to the API (/api/v1/ports/22), %2$s a command (code). */
                page_printf_html(b, _("This page as JSON: %1$s (the same object as %2$s)."), link, cmd);
                P(b, "</p>");
        }
        char path[32];
        snprintf(path, sizeof path, "/ports/%u", (unsigned)port);
        page_end(c, b, path, false);
        return page_status(b, 200);
}
