/* portscope serve — the part of /ports/N a person reads first: what the registry's status means
 * (RFC 6335), the range, the usual occupants, nmap's default scan, what to do; then the registry
 * rows as one compact table, a generated FAQ (schema.org FAQPage) and numbered references.
 * Every sentence is put together from the registry, nmap-services and the knowledge file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pages.h"
#include "page-port.h"
#include "portscope/port.h"

long page_nmap_rank(const struct registry *r, enum ps_proto proto, uint16_t port)
{
        uint16_t *top = malloc(65536 * sizeof *top);
        if (!top)
                return -ENOMEM;
        size_t n = registry_top_ports(r, proto, top, 65536);
        long rank = 0;
        for (size_t i = 0; i < n && i < 65536; i++)
                if (top[i] == port) {
                        rank = (long)i + 1;
                        break;
                }
        free(top);
        return rank;
}

/* How a status reads: RFC 6335 gives every port one of three states, Assigned, Unassigned or Reserved. */
static const char *status_meaning(const struct page_port_facts *f, enum registry_status s)
{
        if (s == REGISTRY_ASSIGNED && f->private_use)
                return _("IANA has set this port aside for private use: no one service is registered on it, and "
                         "each site may run its own.");
        if (s == REGISTRY_UNASSIGNED && ps_range_of(f->port) == PS_RANGE_DYNAMIC)
                return _("No service is assigned, and none ever will be: the dynamic range is never assigned; any "
                         "program may use it, mostly for the ephemeral ends of connections.");
        switch (s) {
        case REGISTRY_ASSIGNED:
                return _("IANA has assigned this port to the service named here: that service is expected on it, "
                         "though any program can listen on any port.");
        case REGISTRY_RESERVED:
                return _("IANA has set this port aside: it is not available for regular assignment, so no standard "
                         "service is expected on it.");
        case REGISTRY_UNASSIGNED:
                return _("No service is assigned: the port is free to be assigned, and no program has a registered "
                         "reason to be on it.");
        default:
                return _("The registry source lists assignments only, and none covers this port (reserved and "
                         "unassigned cannot be told apart).");
        }
}

/* Mainstream uses first: applications, development servers and tools before misuse, malware and
 * command-and-control history. */
static int kind_order(enum knowledge_kind k)
{
        switch (k) {
        case KNOWLEDGE_APPLICATION: return 0;
        case KNOWLEDGE_DEVELOPMENT: return 1;
        case KNOWLEDGE_TOOL: return 2;
        case KNOWLEDGE_MISUSE: return 3;
        case KNOWLEDGE_MALWARE: return 4;
        default: return 5;
        }
}

void page_knowledge_sort(const struct knowledge_entry **ke, size_t n)
{
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && kind_order(ke[j - 1]->kind) > kind_order(ke[j]->kind); j--) {
                        const struct knowledge_entry *t = ke[j];
                        ke[j] = ke[j - 1];
                        ke[j - 1] = t;
                }
}

static bool is_bad(enum knowledge_kind k)
{
        return k == KNOWLEDGE_MALWARE || k == KNOWLEDGE_MISUSE || k == KNOWLEDGE_C2;
}

/* ---- references --------------------------------------------------------------------------- */

static size_t ref_add(struct page_refs *refs, const char *text, const char *url)
{
        for (size_t i = 0; i < refs->n; i++)
                if (strcmp(refs->v[i].text, text) == 0)
                        return i + 1;
        if (refs->n == PAGE_MAX_REFS)
                return 0;
        snprintf(refs->v[refs->n].text, sizeof refs->v[refs->n].text, "%s", text);
        snprintf(refs->v[refs->n].url, sizeof refs->v[refs->n].url, "%s", url ? url : "");
        return ++refs->n;
}

static void cite(struct http_buf *b, size_t n)
{
        if (n) {
                char num[PAGE_NUM_MAX];
                snprintf(num, sizeof num, "%zu", n);
                http_buf_printf(b, "<sup><a href=\"#ref-%zu\" aria-label=\"", n);
                /* TRANSLATORS: the accessible name of a citation mark [2]; %s is its number. */
                page_printf_html(b, _("reference %s"), num);
                http_buf_printf(b, "\">[%zu]</a></sup>", n);
        }
}

void page_refs_print(struct http_buf *b, const struct page_refs *refs)
{
        P(b, "<h2 id=\"references\">");
        h(b, _("References"));
        P(b, "</h2><ol class=\"refs\">");
        for (size_t i = 0; i < refs->n; i++) {
                http_buf_printf(b, "<li id=\"ref-%zu\">", i + 1);
                h(b, _(refs->v[i].text));
                if (refs->v[i].url[0]) {
                        P(b, ": ");
                        page_source_text(b, refs->v[i].url);
                }
                P(b, "</li>");
        }
        P(b, "</ol>");
}

/* Cites every "[RFCnnnn]" of a registry reference column. */
static void cite_rfcs(struct http_buf *b, struct page_refs *refs, const char *reference)
{
        for (const char *p = reference; (p = strstr(p, "[RFC")) != NULL;) {
                p += 4;
                size_t n = strspn(p, "0123456789");
                if (n == 0 || n > 5 || p[n] != ']')
                        continue;
                char text[16], url[64];
                snprintf(text, sizeof text, "RFC %.*s", (int)n, p);
                snprintf(url, sizeof url, "https://www.rfc-editor.org/rfc/rfc%.*s", (int)n, p);
                cite(b, ref_add(refs, text, url));
        }
}

/* Whether a and b have the same first line. */
static bool same_line(const char *a, const char *b)
{
        size_t la = strcspn(a, "\r\n"), lb = strcspn(b, "\r\n");
        return la == lb && memcmp(a, b, la) == 0;
}

/* The first assigned service among f's rows from *i on that no earlier row already named, into
 * *row, with *i at its index; false when there is none left. An earlier row names it when it has
 * the same service name, or (with by_description) the same first line of description: aliases
 * such as dec_dlm and www share the first one's. */
static bool next_service(const struct http_ctx *c, const struct page_port_facts *f, size_t *i, bool by_description,
                         struct registry_row *row)
{
        for (; *i < f->nrows; (*i)++) {
                if (registry_row(c->reg, f->rows[*i], row) < 0 || row->kind != REGISTRY_ROW_SERVICE || !row->service[0])
                        continue;
                bool dup = false;
                for (size_t j = 0; j < *i && !dup; j++) {
                        struct registry_row o;
                        dup = registry_row(c->reg, f->rows[j], &o) == 0 && o.kind == REGISTRY_ROW_SERVICE &&
                              (strcmp(o.service, row->service) == 0 ||
                               (by_description && row->description[0] && same_line(o.description, row->description)));
                }
                if (!dup)
                        return true;
        }
        return false;
}

/* ---- the explanation ---------------------------------------------------------------------- */

static void protos_with(struct http_buf *b, const enum registry_status st[PS_NPROTO], enum registry_status s)
{
        bool first = true;
        for (int p = 0; p < PS_NPROTO; p++)
                if (st[p] == s) {
                        if (!first)
                                P(b, page_list_sep());
                        h(b, ps_proto_name((enum ps_proto)p));
                        first = false;
                }
}

static void rank_number(char *out, size_t len, long rank);

static void scan_rank_text(struct http_buf *b, long rank, bool udp)
{
        char rk[48];
        rank_number(rk, sizeof rk, rank);
        P(b, "<li>");
        /* TRANSLATORS: the answers of "In nmap's default TCP scan (top 1,000 TCP ports)"; %s is a rank. */
        if (rank <= 0)
                h(b, udp ? _("In nmap's default UDP scan (top 1,000 UDP ports): no (nmap-services has no frequency for it).")
                         : _("In nmap's default TCP scan (top 1,000 TCP ports): no (nmap-services has no frequency for it)."));
        else if (rank <= 1000)
                page_printf_html(b, udp ? _("In nmap's default UDP scan (top 1,000 UDP ports): yes, rank %s.")
                                        : _("In nmap's default TCP scan (top 1,000 TCP ports): yes, rank %s."), rk);
        else
                page_printf_html(b, udp ? _("In nmap's default UDP scan (top 1,000 UDP ports): no (rank %s).")
                                        : _("In nmap's default TCP scan (top 1,000 TCP ports): no (rank %s)."), rk);
        P(b, "</li>");
}

static void rank_number(char *out, size_t len, long rank)
{
        ps_i18n_number(rank > 0 ? (unsigned long long)rank : 0, out, len);
}

void page_port_explain(const struct http_ctx *c, struct http_buf *b, const struct page_port_facts *f,
                       struct page_refs *refs)
{
        /* TRANSLATORS: the references of a port page (a document's title, then what it is). */
        size_t r_iana = ref_add(refs, N_("IANA Service Name and Transport Protocol Port Number Registry"),
                                "https://www.iana.org/assignments/service-names-port-numbers/");
        size_t r_6335 = ref_add(refs, N_("RFC 6335: IANA procedures for service names and port numbers"),
                                "https://www.rfc-editor.org/rfc/rfc6335");
        P(b, "<section aria-labelledby=\"explain-h\" class=\"explain\"><h2 id=\"explain-h\">");
        /* TRANSLATORS: the heading of a port page's summary. */
        h(b, _("In short"));
        P(b, "</h2><ul>");
        /* Status per protocol, grouped: "tcp, udp: Assigned — meaning". */
        bool done[4] = { false, false, false, false };
        for (int p = 0; p < PS_NPROTO; p++) {
                enum registry_status s = f->st[p];
                if ((unsigned)s >= 4 || done[s])
                        continue;
                done[s] = true;
                P(b, "<li><strong dir=\"ltr\">");
                protos_with(b, f->st, s);
                P(b, "</strong>: ");
                page_status_badge(b, s);
                P(b, " — ");
                h(b, status_meaning(f, s));
                cite(b, r_6335);
                cite(b, r_iana);
                P(b, "</li>");
        }
        enum ps_range rg = ps_range_of(f->port);
        {
                struct http_buf l;
                http_buf_init(&l, 512);
                P(&l, "<a href=\"/ranges#");
                h(&l, ps_range_name(rg));
                P(&l, "\">");
                h(&l, _(ps_range_name(rg)));
                P(&l, "</a>");
                char bounds[64];
                snprintf(bounds, sizeof bounds, "<bdi>%s</bdi>", ps_range_bounds(rg));
                P(b, "<li>");
                /* TRANSLATORS: %1$s is the range's name (a link: system, user, dynamic), %2$s its ports (0-1023). */
                page_printf_html(b, _("Range: %1$s (%2$s)."), l.error ? "" : http_buf_str(&l), bounds);
                http_buf_free(&l);
                P(b, " ");
                h(b, _(ps_range_procedure(rg)));
        }
        cite(b, r_6335);
        P(b, "</li>");

        /* Usual occupants: the assigned services, then the known uses, mainstream first. */
        /* TRANSLATORS: followed by a list of services and programs, separated by semicolons. */
        P(b, "<li>");
        h(b, _("Usual occupants:"));
        P(b, " ");
        size_t shown = 0;
        struct registry_row row;
        /* One entry per service: aliases (dec_dlm, www) share the first one's description. */
        for (size_t i = 0; shown < 4 && next_service(c, f, &i, true, &row); i++) {
                if (shown++)
                        P(b, ps_i18n_clause_sep());
                size_t dl = strcspn(row.description, "\r\n");
                struct http_buf l, d;
                http_buf_init(&l, 1024);
                http_buf_init(&d, 1024);
                page_service_link(&l, row.service);
                P(&d, "<span");
                page_registry_attrs(&d);
                P(&d, ">");
                http_html_escape(&d, row.description, dl > 120 ? 120 : dl);
                P(&d, "</span>");
                if (dl)
                        /* TRANSLATORS: an assigned service: %1$s its description (IANA's English), %2$s its name. */
                        page_printf_html(b, _("%1$s (%2$s, assigned)"), d.error ? "" : http_buf_str(&d),
                                         l.error ? "" : http_buf_str(&l));
                else
                        /* TRANSLATORS: an assigned service: %s its name. */
                        page_printf_html(b, _("%s (assigned)"), l.error ? "" : http_buf_str(&l));
                http_buf_free(&l);
                http_buf_free(&d);
        }
        for (size_t i = 0; i < f->nke && i < 6; i++) {
                if (shown++)
                        P(b, ps_i18n_clause_sep());
                struct http_buf n;
                http_buf_init(&n, 512);
                page_knowledge_name(&n, f->ke[i]->name);
                struct http_buf k;
                http_buf_init(&k, 128);
                h(&k, _(knowledge_kind_name(f->ke[i]->kind)));
                /* TRANSLATORS: a known use of a port: %1$s a program, %2$s its kind (application, malware...). */
                page_printf_html(b, _("%1$s (%2$s)"), n.error ? "" : http_buf_str(&n), k.error ? "" : http_buf_str(&k));
                http_buf_free(&n);
                http_buf_free(&k);
        }
        if (!shown)
                h(b, _("none known: neither the registry nor portscope's field knowledge names a program for it"));
        P(b, ".</li>");

        const struct registry_source *src = registry_source(c->reg);
        if (src->observed_path && src->observed_path[0]) {
                size_t r_nmap = ref_add(refs, N_("nmap-services: how often nmap found each port open"),
                                        "https://nmap.org/book/nmap-services.html");
                (void)r_nmap;
                scan_rank_text(b, f->rank_tcp, false);
                scan_rank_text(b, f->rank_udp, true);
        }
        P(b, "<li>");
        h(b, _("If something answers here:"));
        P(b, " ");
        bool assigned = false;
        for (int p = 0; p < PS_NPROTO; p++)
                assigned |= f->st[p] == REGISTRY_ASSIGNED;
        if (assigned)
                h(b, _("it should be a server of the assigned service; find its process and make sure it is one you "
                       "run on purpose, then expose it no further than needed."));
        else
                h(b, _(f->advice));
        P(b, " <a href=\"#security\">");
        h(b, _("What to check"));
        P(b, "</a>.</li></ul></section>");
}

/* ---- the registry rows, compact ------------------------------------------------------------- */

void page_port_rows(const struct http_ctx *c, struct http_buf *b, const struct page_port_facts *f,
                    struct page_refs *refs)
{
        P(b, "<h2 id=\"registry\">");
        h(b, _("In the registry"));
        P(b, "</h2>");
        if (f->nrows == 0) {
                P(b, "<p>");
                h(b, _("No row of the registry covers this port."));
                P(b, "</p>");
                return;
        }
        /* TRANSLATORS: the headings of the table of registry rows. */
        const char *heads[] = { _("Service"), _("Port"), _("Protocol"), _("Description"), _("Reference") };
        page_table_open(b, _("Registry rows"), " class=\"rows\"", heads, sizeof heads / sizeof heads[0]);
        for (size_t i = 0; i < f->nrows; i++) {
                struct registry_row row;
                if (registry_row(c->reg, f->rows[i], &row) < 0)
                        continue;
                P(b, "<tr><td");
                page_registry_attrs(b);
                P(b, ">");
                if (row.service[0])
                        page_service_link(b, row.service);
                else {
                        P(b, "<span class=\"muted\">");
                        /* TRANSLATORS: a registry row without a service name. */
                        h(b, _("(none)"));
                        P(b, "</span>");
                }
                P(b, "</td><td><bdi>");
                h(b, row.port);
                P(b, "</bdi></td>");
                page_registry_td(b, row.proto);
                page_registry_td(b, row.description);
                P(b, "<td");
                page_registry_attrs(b);
                P(b, ">");
                h(b, row.reference);
                cite_rfcs(b, refs, row.reference);
                P(b, "</td></tr>");
        }
        P(b, "</tbody></table></div><details class=\"allcols\"><summary>");
        h(b, _("Show all columns"));
        P(b, "</summary>");
        for (size_t i = 0; i < f->nrows; i++) {
                struct registry_row row;
                if (registry_row(c->reg, f->rows[i], &row) == 0)
                        page_row_dl(c, b, &row);
        }
        P(b, "</details>");
}

/* ---- the FAQ ------------------------------------------------------------------------------ */

struct faq {
        struct http_buf q, a; /* plain text (escaped when written) */
};

static void faq_write(struct http_buf *b, json_t *items, struct faq *f)
{
        if (f->q.error || f->a.error)
                return;
        P(b, "<h3>");
        h(b, http_buf_str(&f->q));
        P(b, "</h3><p>");
        h(b, http_buf_str(&f->a));
        P(b, "</p>");
        json_t *it = json_pack("{s:s, s:s, s:{s:s, s:s}}", "@type", "Question", "name", http_buf_str(&f->q),
                               "acceptedAnswer", "@type", "Answer", "text", http_buf_str(&f->a));
        if (it)
                json_array_append_new(items, it);
}

static void faq_reset(struct faq *f)
{
        http_buf_free(&f->q);
        http_buf_free(&f->a);
        http_buf_init(&f->q, 1024);
        http_buf_init(&f->a, 4096);
}

/* "http (tcp, udp, sctp), www (tcp, udp)": the first max services assigned the port, each with
 * the protocols its rows name (none: a row without a protocol), then "and N more". */
static void assigned_text(const struct http_ctx *c, struct http_buf *t, const struct page_port_facts *f, int max)
{
        int n = 0, more = 0;
        struct registry_row row;
        for (size_t i = 0; next_service(c, f, &i, false, &row); i++) {
                if (n == max) {
                        more++;
                        continue;
                }
                http_buf_printf(t, "%s%s", n ? page_list_sep() : "", row.service);
                /* The protocols of every row of this name on the port, in file order. */
                int np = 0;
                for (size_t j = i; j < f->nrows; j++) {
                        struct registry_row o;
                        if (registry_row(c->reg, f->rows[j], &o) < 0 || o.kind != REGISTRY_ROW_SERVICE ||
                            strcmp(o.service, row.service) != 0 || !o.proto[0])
                                continue;
                        http_buf_printf(t, "%s%s", np++ ? page_list_sep() : " (", o.proto);
                }
                if (np)
                        http_buf_puts(t, ")");
                n++;
        }
        if (more)
                /* TRANSLATORS: after a list of services; %d is how many more are not listed. */
                http_buf_printf(t, ps_ngettext(", and %d more", ", and %d more", (unsigned long)more), more);
}

void page_port_faq(const struct http_ctx *c, struct http_buf *b, const struct page_port_facts *f)
{
        unsigned port = f->port;
        bool assigned = false, reserved = false;
        for (int p = 0; p < PS_NPROTO; p++) {
                assigned |= f->st[p] == REGISTRY_ASSIGNED;
                reserved |= f->st[p] == REGISTRY_RESERVED;
        }
        size_t nbad = 0, ngood = 0;
        for (size_t i = 0; i < f->nke; i++) {
                if (is_bad(f->ke[i]->kind))
                        nbad++;
                else
                        ngood++;
        }
        json_t *items = json_array();
        struct faq q;
        http_buf_init(&q.q, 1024);
        http_buf_init(&q.a, 4096);
        P(b, "<section aria-labelledby=\"faq-h\"><h2 id=\"faq-h\">");
        /* TRANSLATORS: the heading of a port page's frequently asked questions. */
        h(b, _("Questions"));
        P(b, "</h2>");

        /* The FAQ is plain text (escaped when written), also the page's schema.org FAQPage. */
        struct http_buf list;
        http_buf_printf(&q.q, _("Is anything supposed to be on port %u?"), port);
        bool priv = f->private_use;
        if (priv) {
                http_buf_printf(&q.a, _("Nothing public: port %u is set aside for private use, so each site may run "
                                        "a service of its own on it, and no registered one is expected."), port);
        } else if (assigned) {
                http_buf_init(&list, 1024);
                assigned_text(c, &list, f, 4);
                /* TRANSLATORS: %s is a list of services with their protocols: "ssh/tcp, ssh/udp". */
                http_buf_printf(&q.a, _("Yes: the IANA registry assigns it to %s."), list.error ? "" : http_buf_str(&list));
                http_buf_free(&list);
        } else if (reserved) {
                http_buf_printf(&q.a, _("No: port %u is reserved in the IANA registry, so no standard service belongs "
                                        "on it."), port);
        } else {
                http_buf_printf(&q.a, _("No: the IANA registry assigns port %u to no service."), port);
        }
        if (ngood) {
                http_buf_init(&list, 1024);
                size_t k = 0;
                for (size_t i = 0; i < f->nke; i++)
                        if (!is_bad(f->ke[i]->kind))
                                http_buf_printf(&list, "%s%s", k++ ? page_list_sep() : "", f->ke[i]->name);
                http_buf_puts(&q.a, " ");
                /* TRANSLATORS: %s is a list of program names. */
                http_buf_printf(&q.a, _("Programs known to use it anyway: %s."), list.error ? "" : http_buf_str(&list));
                http_buf_free(&list);
        }
        faq_write(b, items, &q);

        faq_reset(&q);
        http_buf_printf(&q.q, _("Is it safe to block port %u?"), port);
        if (assigned && !priv) {
                http_buf_init(&list, 1024);
                assigned_text(c, &list, f, 2);
                /* TRANSLATORS: %s is a list of services with their protocols: "ssh/tcp, ssh/udp". */
                http_buf_printf(&q.a, _("Blocking it cuts off %s from the network. If this machine does not offer that "
                                        "service to others, nothing registered needs the port reachable: block it."),
                                list.error ? "" : http_buf_str(&list));
                http_buf_free(&list);
        } else {
                http_buf_printf(&q.a, _("Yes, unless you run a program that uses it yourself: no registered service "
                                        "needs port %u."), port);
        }
        faq_write(b, items, &q);

        faq_reset(&q);
        http_buf_printf(&q.q, _("Why do scanners check port %u?"), port);
        char rk[48];
        if (f->rank_tcp > 0 && f->rank_tcp <= 1000) {
                rank_number(rk, sizeof rk, f->rank_tcp);
                http_buf_printf(&q.a, _("Because it is in nmap's default scan: rank %s of the TCP ports nmap finds "
                                        "open most often (nmap-services), and the default scan probes the top 1,000."), rk);
        } else if (f->rank_tcp > 0) {
                rank_number(rk, sizeof rk, f->rank_tcp);
                http_buf_printf(&q.a, _("nmap's default scan does not include it (rank %s of the TCP ports in "
                                        "nmap-services; the default scan probes the top 1,000): a scan that reaches it "
                                        "probes every port or looks for it on purpose."), rk);
        } else {
                http_buf_puts(&q.a, _("nmap-services has no frequency for it, so nmap's default scan does not probe it: "
                                      "a scan that reaches it probes every port or looks for it on purpose."));
        }
        if (nbad) {
                http_buf_init(&list, 1024);
                size_t k = 0;
                for (size_t i = 0; i < f->nke; i++)
                        if (is_bad(f->ke[i]->kind))
                                http_buf_printf(&list, "%s%s", k++ ? page_list_sep() : "", f->ke[i]->name);
                http_buf_puts(&q.a, " ");
                /* TRANSLATORS: %s is a list of malware or misuse names. */
                http_buf_printf(&q.a, _("It is also known from %s, which scanners look for."),
                                list.error ? "" : http_buf_str(&list));
                http_buf_free(&list);
        }
        faq_write(b, items, &q);

        faq_reset(&q);
        http_buf_printf(&q.q, _("How do I see what is listening on port %u?"), port);
        /* TRANSLATORS: the commands stay as they are; %1$u ... %4$u are the same port number. */
        http_buf_printf(&q.a, _("On Linux: sudo ss -tulpn 'sport = :%1$u'. On macOS: sudo lsof -nP -i :%2$u. On Windows "
                                "(PowerShell): Get-NetTCPConnection -LocalPort %3$u -State Listen. With portscope: "
                                "portscope listening %4$u."), port, port, port, port);
        faq_write(b, items, &q);
        http_buf_free(&q.q);
        http_buf_free(&q.a);
        P(b, "</section>");

        /* schema.org FAQPage: a data block, not a script (the CSP's script-src does not apply). */
        json_t *ld = items ? json_pack("{s:s, s:s, s:o}", "@context", "https://schema.org", "@type", "FAQPage",
                                       "mainEntity", items)
                           : NULL;
        char *text = ld ? json_dumps(ld, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        json_decref(ld);
        if (text) {
                P(b, "<script type=\"application/ld+json\">");
                for (const char *p = text; *p; p++) {
                        if (*p == '<')
                                P(b, "\\u003c");
                        else if (*p == '>')
                                P(b, "\\u003e");
                        else if (*p == '&')
                                P(b, "\\u0026");
                        else
                                http_buf_add(b, p, 1);
                }
                P(b, "</script>");
                free(text);
        }
}

void page_port_knowledge_refs(struct http_buf *b, struct page_refs *refs, const struct knowledge_entry *e)
{
        if (e->source && e->source[0]) {
                bool url = strncmp(e->source, "https://", 8) == 0 || strncmp(e->source, "http://", 7) == 0;
                char text[160];
                /* TRANSLATORS: a reference of a port page; %s is a program's name. */
                if (snprintf(text, sizeof text, _("portscope field knowledge: %s"), e->name) < 0)
                        return;
                cite(b, ref_add(refs, url ? text : e->source, url ? e->source : NULL));
        }
}
