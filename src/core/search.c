/* Search across the registry's rows and the knowledge entries. */
#include "portscope/i18n.h"
#include "portscope/search.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "portscope/jsonw.h"
#include "portscope/portinfo.h"
#include "portscope/util.h"

/* A hit and its group key: the row's name and port as written (borrowed from the registry). */
struct item {
        struct search_hit h;
        const char *name, *port;
};

struct collector {
        struct item *v;
        size_t n, cap;
};

static int add(struct collector *c, struct search_hit h, const char *name, const char *port)
{
        if (PS_GROW(c->v, c->cap, c->n + 1, SIZE_MAX) < 0)
                return -ENOMEM;
        c->v[c->n++] = (struct item){ h, name, port };
        return 0;
}

static int name_score(const char *name, const char *q)
{
        if (strcasecmp(name, q) == 0)
                return 100;
        if (strncasecmp(name, q, strlen(q)) == 0)
                return 80;
        if (ps_strcasestr(name, q))
                return 60;
        return 0;
}

/* An entry is found by its id ("redis-valkey") or its name ("Redis / Valkey"), whichever fits best. */
static int entry_score(const struct knowledge_entry *e, const char *q)
{
        int a = name_score(e->id, q), b = name_score(e->name, q);

        return a > b ? a : b;
}

/* What people call a service, and the ports they mean: "mail" is SMTP, submission, POP3 and
 * IMAP with their TLS ports, though no registry row says "mail" in its name. */
static const struct synonym {
        const char *word;
        uint16_t ports[8];
} synonyms[] = {
        { "mail", { 25, 465, 587, 110, 143, 993, 995 } },
        { "email", { 25, 465, 587, 110, 143, 993, 995 } },
        { "e-mail", { 25, 465, 587, 110, 143, 993, 995 } },
        { "imap", { 143, 993 } },
        { "pop", { 110, 995 } },
        { "smtp", { 25, 465, 587 } },
        { "smb", { 445, 139 } },
        { "cifs", { 445, 139 } },
        { "samba", { 445, 139 } },
        { "windows file sharing", { 445, 139 } },
        { "netbios", { 137, 138, 139 } },
        { "rdp", { 3389 } },
        { "remote desktop", { 3389 } },
        { "dns", { 53, 853 } },
        { "ntp", { 123 } },
        { "time", { 123, 37 } },
        { "ldap", { 389, 636, 3268, 3269 } },
        { "active directory", { 88, 389, 636, 3268, 3269, 445 } },
        { "vnc", { 5900 } },
        { "web", { 80, 443, 8080, 8443 } },
        { "www", { 80, 443, 8080, 8443 } },
        { "http", { 80, 443, 8080, 8443 } },
        { "https", { 443, 8443 } },
        { "tls", { 443, 465, 636, 853, 993, 995 } },
        { "ssh", { 22 } },
        { "sftp", { 22 } },
        { "scp", { 22 } },
        { "ftp", { 21, 20, 990 } },
        { "telnet", { 23 } },
        { "snmp", { 161, 162 } },
        { "syslog", { 514, 6514 } },
        { "dhcp", { 67, 68, 546, 547 } },
        { "tftp", { 69 } },
        { "nfs", { 2049, 111 } },
        { "rpc", { 111, 135 } },
        { "kerberos", { 88, 464 } },
        { "sql", { 3306, 5432, 1433, 1521 } },
        { "database", { 3306, 5432, 1433, 1521, 27017, 6379 } },
        { "mysql", { 3306 } },
        { "mariadb", { 3306 } },
        { "postgres", { 5432 } },
        { "mssql", { 1433, 1434 } },
        { "oracle", { 1521 } },
        { "mongo", { 27017 } },
        { "redis", { 6379 } },
        { "vpn", { 1194, 500, 4500, 1723, 51820 } },
        { "openvpn", { 1194 } },
        { "ipsec", { 500, 4500 } },
        { "wireguard", { 51820 } },
        { "proxy", { 3128, 1080, 8080 } },
        { "socks", { 1080 } },
        { "sip", { 5060, 5061 } },
        { "voip", { 5060, 5061 } },
        { "xmpp", { 5222, 5269 } },
        { "jabber", { 5222, 5269 } },
        { "irc", { 6667, 6697 } },
        { "mqtt", { 1883, 8883 } },
        { "docker", { 2375, 2376 } },
        { "kubernetes", { 6443, 10250 } },
        { "printer", { 631, 515, 9100 } },
        { "printing", { 631, 515, 9100 } },
        { "ipp", { 631 } },
        { "git", { 9418 } },
        { "rsync", { 873 } },
        { "bgp", { 179 } },
        { "x11", { 6000 } },
};

static const struct synonym *synonym_of(const char *q)
{
        for (size_t i = 0; i < sizeof(synonyms) / sizeof(synonyms[0]); i++)
                if (strcasecmp(synonyms[i].word, q) == 0)
                        return &synonyms[i];
        return NULL;
}

/* Its position in the synonym's list (the order people expect), or -1. */
static int synonym_index(const struct synonym *syn, uint16_t port)
{
        for (int i = 0; syn && i < 8 && syn->ports[i]; i++)
                if (syn->ports[i] == port)
                        return i;
        return -1;
}

/* How often nmap finds the row's port open (the most for any of its protocols); 0 for ranges. */
static double popularity(const struct registry *r, const struct registry_row *row)
{
        struct registry_observed o[32];
        double best = 0;

        if (!row->has_port || row->port_lo != row->port_hi)
                return 0;
        size_t n = registry_observed(r, row->port_lo, o, 32);
        for (size_t i = 0; i < n && i < 32; i++)
                if ((row->protos & PS_PROTO_BIT(o[i].proto)) && o[i].frequency > best)
                        best = o[i].frequency;
        return best;
}

static int cmp_hits(const void *a, const void *b)
{
        const struct search_hit *x = &((const struct item *)a)->h, *y = &((const struct item *)b)->h;
        if (x->score != y->score)
                return y->score - x->score;
        if (x->popularity != y->popularity)
                return x->popularity < y->popularity ? 1 : -1;
        if (x->kind != y->kind)
                return (int)x->kind - (int)y->kind;
        if (x->kind == SEARCH_HIT_ROW)
                return (x->row_id > y->row_id) - (x->row_id < y->row_id);
        return (x->entry > y->entry) - (x->entry < y->entry);
}

/* Rows of one service on one port ("ssh" on 22 for tcp, udp and sctp) are one result: sorted
 * by (name, port), best score first, so that a group's first item is the one it keeps. */
static int cmp_group(const void *a, const void *b)
{
        const struct item *x = a, *y = b;
        int c;

        if (x->h.kind != y->h.kind)
                return (int)x->h.kind - (int)y->h.kind;
        if (x->h.kind != SEARCH_HIT_ROW)
                return (x->h.entry > y->h.entry) - (x->h.entry < y->h.entry);
        if ((c = strcasecmp(x->name, y->name)) != 0 || (c = strcmp(x->port, y->port)) != 0)
                return c;
        if (x->h.score != y->h.score)
                return y->h.score - x->h.score;
        return (x->h.row_id > y->h.row_id) - (x->h.row_id < y->h.row_id);
}

static bool same_group(const struct item *x, const struct item *y)
{
        /* Unnamed rows (private use, de-registered) stay apart. */
        return x->h.kind == SEARCH_HIT_ROW && y->h.kind == SEARCH_HIT_ROW && *x->name &&
               strcasecmp(x->name, y->name) == 0 && strcmp(x->port, y->port) == 0;
}

/* A query that is a port, a range or a port with its protocol: "3025", ":22", "22/tcp",
 * "8080-8090", "8080 - 8090". err (may be NULL) gets why a query that starts like one is none. */
static bool port_query(const char *text, struct ps_portspec *ret, char *err, size_t errlen)
{
        char buf[64], e[96];
        size_t o = 0;

        for (const char *p = text; *p; p++) {
                if (*p == ' ' || *p == '\t')
                        continue;
                if (o + 1 >= sizeof(buf))
                        return false;
                buf[o++] = *p;
        }
        buf[o] = '\0';
        const char *s = buf[0] == ':' ? buf + 1 : buf;
        if (*s < '0' || *s > '9')
                return false;
        if (ps_portspec_parse(s, ret, e, sizeof(e)) == 0)
                return true;
        /* Digits and a range's dash only: meant as a port ("99999", "90-80"), not a word. */
        if (err && strspn(s, "0123456789-") == strlen(s))
                snprintf(err, errlen, "%s", e);
        return false;
}

/* The ASCII character a few look-alikes stand for, or 0: Arabic-Indic and Persian digits
 * (U+0660-0669, U+06F0-06F9: what an Arabic keyboard types for 22) and the fullwidth forms of
 * ASCII (U+FF01-FF5E: ＳＳＨ, ２２, from East Asian input methods). *n is the sequence's length. */
static char ascii_of(const unsigned char *p, size_t *n)
{
        *n = 2;
        if (p[0] == 0xD9 && p[1] >= 0xA0 && p[1] <= 0xA9)
                return (char)('0' + (p[1] - 0xA0));
        if (p[0] == 0xDB && p[1] >= 0xB0 && p[1] <= 0xB9)
                return (char)('0' + (p[1] - 0xB0));
        *n = 3;
        if (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x81 && p[2] <= 0xBF)
                return (char)(0x21 + (p[2] - 0x81));
        if (p[0] == 0xEF && p[1] == 0xBD && p[2] >= 0x80 && p[2] <= 0x9E)
                return (char)(0x60 + (p[2] - 0x80));
        return 0;
}

/* The query without spaces around it and with runs of blanks as one space (into buf), with
 * look-alike digits and letters as their ASCII (ascii_of()). */
static const char *normalise(const char *text, char *buf, size_t len)
{
        size_t o = 0;
        bool space = false;

        for (const char *p = text; *p && o + 2 < len; p++) {
                if (*p == ' ' || *p == '\t' || *p == '\n') {
                        space = o > 0;
                        continue;
                }
                if (space)
                        buf[o++] = ' ';
                space = false;
                size_t n = 0;
                char a = (unsigned char)*p >= 0xC0 && p[1] ? ascii_of((const unsigned char *)p, &n) : 0;
                if (a && (n == 2 || p[2])) {
                        buf[o++] = a;
                        p += n - 1;
                        continue;
                }
                buf[o++] = *p;
        }
        buf[o] = '\0';
        return buf;
}

static void score_row_text(const struct registry *r, const struct registry_row *row, const char *text,
                           const struct synonym *syn, struct search_hit *h)
{
        int si = row->has_port && row->port_lo == row->port_hi ? synonym_index(syn, row->port_lo) : -1;

        (void)r;
        if ((h->score = name_score(row->service, text)))
                /* TRANSLATORS: the fields a search can match in (shown as "(matched in FIELD)"). */
                h->field = N_("name");
        if (si >= 0 && row->kind == REGISTRY_ROW_SERVICE && h->score < 95 - si) {
                /* What people mean by the word, in the order they expect. */
                h->score = 95 - si;
                h->field = N_("synonym");
        }
        if (h->score)
                return;
        if (ps_strcasestr(row->description, text))
                h->field = N_("description"), h->score = 40;
        else if (ps_strcasestr(row->assignee, text) || ps_strcasestr(row->contact, text))
                h->field = N_("assignee"), h->score = 20;
        else if (ps_strcasestr(row->notes, text))
                h->field = N_("notes"), h->score = 20;
        else if (ps_strcasestr(row->reference, text))
                h->field = N_("reference"), h->score = 10;
        else if (ps_strcasestr(row->unauthorized_use, text))
                h->field = N_("Unauthorized Use Reported"), h->score = 20; /* the column, as IANA names it */
}

long search_page(const struct registry *r, const struct knowledge *k, const char *query, size_t offset,
                 struct search_hit *out, size_t max)
{
        struct collector c = { 0 };
        uint32_t nrows = registry_nrows(r);
        char text[256];
        struct ps_portspec spec;
        bool by_port;
        const struct synonym *syn;

        normalise(query, text, sizeof(text));
        if (!*text)
                return 0;
        by_port = port_query(text, &spec, NULL, 0);
        syn = by_port ? NULL : synonym_of(text);
        for (uint32_t i = 0; i < nrows; i++) {
                struct registry_row row;
                struct search_hit h = { .kind = SEARCH_HIT_ROW, .row_id = i };
                registry_row(r, i, &row);
                /* Reserved and unassigned rows say nothing to search, unless someone reported
                 * unauthorized use of their ports (1491: "Unauthorized Use Known on port 1491"). */
                if ((row.kind == REGISTRY_ROW_RESERVED || row.kind == REGISTRY_ROW_UNASSIGNED) && !row.unauthorized_use[0])
                        continue;
                if (by_port) {
                        if (!row.has_port || row.port_hi < spec.lo || row.port_lo > spec.hi || !(row.protos & spec.protos))
                                continue;
                        /* The port's own rows before the wide ranges that cover it. */
                        h.score = row.port_lo == row.port_hi ? 100 : 70;
                        h.field = N_("port");
                } else
                        score_row_text(r, &row, text, syn, &h);
                if (!h.score)
                        continue;
                h.protos = row.protos & (by_port ? spec.protos : PS_PROTO_ALL);
                h.popularity = popularity(r, &row);
                if (add(&c, h, row.service, row.port) < 0)
                        goto oom;
        }
        for (size_t i = 0; k && i < knowledge_nentries(k); i++) {
                const struct knowledge_entry *e = knowledge_entry(k, i);
                struct search_hit h = { .kind = SEARCH_HIT_KNOWLEDGE, .entry = e };
                if (by_port) {
                        for (size_t j = 0; j < e->nports && !h.score; j++)
                                if (e->ports[j].hi >= spec.lo && e->ports[j].lo <= spec.hi && (e->ports[j].protos & spec.protos))
                                        h.score = e->ports[j].lo == e->ports[j].hi ? 90 : 60, h.field = N_("port");
                } else if ((h.score = entry_score(e, text)))
                        h.field = N_("name");
                else if (ps_strcasestr(e->summary, text))
                        h.field = N_("summary"), h.score = 40;
                else
                        for (size_t j = 0; j < e->nprocesses && !h.score; j++)
                                if (strcasecmp(e->processes[j], text) == 0)
                                        h.field = N_("process"), h.score = 50;
                if (!h.score)
                        continue;
                if (add(&c, h, e->id, "") < 0)
                        goto oom;
        }
        if (c.n) { /* qsort(NULL, 0, ...) is undefined */
                size_t n = 0;
                qsort(c.v, c.n, sizeof(*c.v), cmp_group);
                for (size_t i = 0; i < c.n; i++) {
                        if (n && same_group(&c.v[n - 1], &c.v[i])) {
                                /* The group keeps its best row (first here) and gains the protocols. */
                                c.v[n - 1].h.protos |= c.v[i].h.protos;
                                if (c.v[i].h.popularity > c.v[n - 1].h.popularity)
                                        c.v[n - 1].h.popularity = c.v[i].h.popularity;
                                continue;
                        }
                        c.v[n++] = c.v[i];
                }
                c.n = n;
                qsort(c.v, c.n, sizeof(*c.v), cmp_hits);
        }
        for (size_t i = 0; offset < c.n && i < c.n - offset && i < max; i++)
                out[i] = c.v[offset + i].h;
        free(c.v);
        return (long)c.n;
oom:
        free(c.v);
        return -ENOMEM;
}

long search_run(const struct registry *r, const struct knowledge *k, const char *text, struct search_hit *out,
                size_t max)
{
        return search_page(r, k, text, 0, out, max);
}

int search_write(struct jsonw *w, const struct registry *r, const struct knowledge *k, const char *text, size_t max)
{
        return search_write_page(w, r, k, text, 0, max);
}

int search_write_page(struct jsonw *w, const struct registry *r, const struct knowledge *k, const char *text,
                      size_t offset, size_t max)
{
        struct search_hit *hits = calloc(max ? max : 1, sizeof(*hits));
        long n;

        if (!hits)
                return -ENOMEM;
        n = search_page(r, k, text, offset, hits, max);
        if (n < 0) {
                free(hits);
                return (int)n;
        }
        json_t *src = portinfo_source_json(r);
        jsonw_begin_object(w);
        jsonw_name(w, "query");
        jsonw_string(w, text);
        jsonw_name(w, "registry");
        jsonw_json(w, src);
        json_decref(src);
        jsonw_name(w, "total");
        jsonw_int(w, n);
        jsonw_name(w, "offset");
        jsonw_int(w, (int64_t)offset);
        jsonw_name(w, "limit");
        jsonw_int(w, (int64_t)max);
        jsonw_name(w, "results");
        jsonw_begin_array(w);
        for (size_t i = 0; offset < (size_t)n && i < (size_t)n - offset && i < max; i++) {
                /* A row and a knowledge entry are portinfo's jansson values (the API's too). */
                json_t *v = hits[i].kind == SEARCH_HIT_ROW ? portinfo_row_json(r, hits[i].row_id)
                                                           : portinfo_knowledge_json(hits[i].entry);
                jsonw_begin_object(w);
                jsonw_name(w, "type");
                jsonw_string(w, hits[i].kind == SEARCH_HIT_ROW ? "registry" : "knowledge");
                jsonw_name(w, hits[i].kind == SEARCH_HIT_ROW ? "row" : "entry");
                jsonw_json(w, v);
                if (hits[i].kind == SEARCH_HIT_ROW) {
                        /* Every protocol of the merged rows ("ssh" on 22: tcp, udp, sctp). */
                        jsonw_name(w, "protocols");
                        jsonw_begin_array(w);
                        for (unsigned p = 0; p < PS_NPROTO; p++)
                                if (hits[i].protos & PS_PROTO_BIT(p))
                                        jsonw_string(w, ps_proto_name((enum ps_proto)p));
                        jsonw_end_array(w);
                }
                jsonw_name(w, "matched");
                jsonw_string(w, hits[i].field);
                jsonw_end_object(w);
                json_decref(v);
        }
        jsonw_end_array(w);
        jsonw_end_object(w);
        free(hits);
        return jsonw_error(w);
}

json_t *search_json(const struct registry *r, const struct knowledge *k, const char *text, size_t max)
{
        return search_json_page(r, k, text, 0, max);
}

json_t *search_json_page(const struct registry *r, const struct knowledge *k, const char *text, size_t offset,
                         size_t max)
{
        /* The writer's document read back: one definition of the object for the CLI and the API. */
        struct dynbuf b = DYNBUF_INIT((size_t)256 << 20); /* the whole registry is ~10 MB */
        struct jsonw w;
        json_t *o = NULL;

        jsonw_init_dynbuf(&w, &b, 0);
        if (search_write_page(&w, r, k, text, offset, max) == 0 && jsonw_finish(&w) == 0)
                o = json_loadb(dynbuf_ptr(&b), dynbuf_len(&b), JSON_ALLOW_NUL, NULL);
        dynbuf_free(&b);
        return o;
}

bool search_not_a_port(const char *query, char *err, size_t errlen)
{
        char text[256];
        struct ps_portspec spec;
        if (errlen)
                err[0] = '\0';
        normalise(query, text, sizeof(text));
        return !port_query(text, &spec, err, errlen) && errlen && err[0];
}
