/* Everything known about one port as JSON: the one object behind `info --json`, the API and
 * the pages. */
#include "portscope/portinfo.h"
#include "portscope/i18n.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/util.h"

/* json_string() refuses invalid UTF-8 (a file name in Latin-1, a damaged cache) and the key
 * would silently vanish: replace each bad byte (and NUL) by U+FFFD instead. */
json_t *portinfo_stringn(const char *s, size_t len)
{
        json_t *j;
        size_t o = 0;
        char *buf;

        if (!memchr(s, '\0', len) && ps_utf8_valid(s, len))
                return json_stringn(s, len);
        if (len > (SIZE_MAX - 1) / 3)
                return NULL;
        buf = malloc(len * 3 + 1);
        if (!buf)
                return NULL;
        for (size_t i = 0; i < len;) {
                size_t n = s[i] ? ps_utf8_seq(s + i, len - i, NULL) : 0;
                if (n > 0) {
                        memcpy(buf + o, s + i, n);
                        o += n;
                        i += n;
                } else {
                        memcpy(buf + o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                }
        }
        j = json_stringn(buf, o);
        free(buf);
        return j;
}

json_t *portinfo_string(const char *s)
{
        return portinfo_stringn(s, strlen(s));
}

static json_t *str_or_null(const char *s)
{
        return *s ? portinfo_string(s) : json_null();
}

json_t *portinfo_source_json(const struct registry *r)
{
        const struct registry_source *s = registry_source(r);
        json_t *o = json_object();

        json_object_set_new(o, "source", portinfo_string(s->path));
        json_object_set_new(o, "kind", portinfo_string(s->kind == REGISTRY_SOURCE_IANA_CSV ? "iana-csv" : "services"));
        json_object_set_new(o, "date", str_or_null(s->date));
        json_object_set_new(o, "assignments_only", json_boolean(s->kind == REGISTRY_SOURCE_SERVICES));
        json_object_set_new(o, "observed_source", str_or_null(s->observed_path));
        return o;
}

void portinfo_print_source(FILE *f, const char *prefix, const struct registry *r)
{
        const struct registry_source *s = registry_source(r);
        char *path = ps_term_escape_dup(s->path), *date = ps_term_escape_dup(*s->date ? s->date : _("unknown"));

        if (s->kind == REGISTRY_SOURCE_IANA_CSV)
                /* TRANSLATORS: a prefix ("# " or nothing), the registry's file and its newest date. */
                fprintf(f, _("%sregistry: %s (IANA CSV, newest date %s)\n"), prefix, path ? path : "?", date ? date : "?");
        else
                /* TRANSLATORS: a prefix ("# " or nothing), the services file and its newest date. */
                fprintf(f, _("%sregistry: %s (services file, assignments only, newest date %s)\n"), prefix,
                        path ? path : "?", date ? date : "?");
        free(path);
        free(date);
}

json_t *portinfo_row_json(const struct registry *r, uint32_t row_id)
{
        struct registry_row row, target;
        json_t *o;

        if (registry_row(r, row_id, &row) < 0)
                return json_null();
        o = json_object();
        json_object_set_new(o, "name", str_or_null(row.service));
        /* One type per field: the port is a number (null for a range or a name-only row), the
         * row's bounds are first and last (equal for one port, null without a port). */
        json_object_set_new(o, "port", row.has_port && row.port_lo == row.port_hi ? json_integer(row.port_lo) : json_null());
        json_object_set_new(o, "first", row.has_port ? json_integer(row.port_lo) : json_null());
        json_object_set_new(o, "last", row.has_port ? json_integer(row.port_hi) : json_null());
        json_object_set_new(o, "protocol", str_or_null(row.proto));
        json_object_set_new(o, "description", str_or_null(row.description));
        json_object_set_new(o, "assignee", str_or_null(row.assignee));
        json_object_set_new(o, "contact", str_or_null(row.contact));
        json_object_set_new(o, "registered", str_or_null(row.registered));
        json_object_set_new(o, "modified", str_or_null(row.modified));
        json_object_set_new(o, "reference", str_or_null(row.reference));
        json_object_set_new(o, "service_code", str_or_null(row.service_code));
        json_object_set_new(o, "unauthorized_use", str_or_null(row.unauthorized_use));
        json_object_set_new(o, "notes", str_or_null(row.notes));
        if (row.alias_of >= 0 && registry_row(r, (uint32_t)row.alias_of, &target) == 0)
                json_object_set_new(o, "alias_of", portinfo_string(target.service));
        else
                json_object_set_new(o, "alias_of", json_null());
        json_object_set_new(o, "kind", portinfo_string(registry_kind_name(row.kind)));
        json_object_set_new(o, "line", json_integer(row.line));
        json_object_set_new(o, "id", json_integer(row.id));
        return o;
}

json_t *portinfo_knowledge_json(const struct knowledge_entry *e)
{
        json_t *o = json_object(), *ports = json_array(), *procs = json_array();

        json_object_set_new(o, "id", portinfo_string(e->id));
        json_object_set_new(o, "name", portinfo_string(e->name));
        json_object_set_new(o, "kind", portinfo_string(knowledge_kind_name(e->kind)));
        for (size_t i = 0; i < e->nports; i++)
                for (unsigned p = 0; p < PS_NPROTO; p++) {
                        char buf[32];
                        if (!(e->ports[i].protos & PS_PROTO_BIT(p)))
                                continue;
                        if (e->ports[i].lo == e->ports[i].hi)
                                snprintf(buf, sizeof(buf), "%u/%s", e->ports[i].lo, ps_proto_name((enum ps_proto)p));
                        else
                                snprintf(buf, sizeof(buf), "%u-%u/%s", e->ports[i].lo, e->ports[i].hi,
                                         ps_proto_name((enum ps_proto)p));
                        json_array_append_new(ports, json_string(buf));
                }
        json_object_set_new(o, "ports", ports);
        json_object_set_new(o, "summary", portinfo_string(e->summary));
        json_object_set_new(o, "source", portinfo_string(e->source));
        for (size_t i = 0; i < e->nprocesses; i++)
                json_array_append_new(procs, portinfo_string(e->processes[i]));
        json_object_set_new(o, "processes", procs);
        return o;
}

/* A service row plus "servers": the programs the knowledge file says serve it (empty when it
 * knows none, or when k is NULL). */
static json_t *service_json(const struct registry *r, const struct knowledge *k, uint32_t row_id,
                            const struct registry_row *row)
{
        json_t *o = portinfo_row_json(r, row_id), *servers = json_array();
        const struct knowledge_service *ks = k && *row->service ? knowledge_service(k, row->service) : NULL;

        for (size_t i = 0; ks && i < ks->nservers; i++)
                json_array_append_new(servers, portinfo_string(ks->servers[i]));
        if (json_is_object(o))
                json_object_set_new(o, "servers", servers);
        else
                json_decref(servers);
        return o;
}

/* English (JSON says it so); a page or the CLI shows _(advice). */
const char *portinfo_advice(const struct registry *r, const struct knowledge *k, uint16_t port, enum ps_proto proto)
{
        enum registry_status s = registry_status(r, port, proto);
        enum ps_range range = ps_range_of(port);
        const struct knowledge_entry *e[16];
        size_t n = k ? knowledge_for_port(k, port, proto, e, 16) : 0;

        for (size_t i = 0; i < n && i < 16; i++)
                if (e[i]->kind == KNOWLEDGE_MALWARE)
                        return N_("Known malware uses this port: a listener here deserves a close look at its process.");
        if (port == 0)
                return N_("Nothing can listen on port 0: a program that binds it gets an ephemeral port instead. "
                          "Traffic to port 0 is malformed or a probe (fingerprinting).");
        if (range == PS_RANGE_DYNAMIC)
                return N_("Dynamic range: ephemeral ports of outgoing connections and private services live here; "
                       "a listener should still belong to a program you know.");
        if (range == PS_RANGE_SYSTEM && (s == REGISTRY_RESERVED || s == REGISTRY_UNASSIGNED))
                return N_("Nothing is registered here: a service listening on this system port is either lost or "
                       "hiding. Find its process and ask why.");
        if (range == PS_RANGE_SYSTEM && s == REGISTRY_NOT_ASSIGNED)
                return N_("No assignment is known here (this source cannot tell reserved from unassigned): a service "
                       "listening on this system port is suspicious.");
        if (s == REGISTRY_ASSIGNED && registry_private_only(r, port, proto))
                return N_("Set aside for private use: no public service is registered here, so a listener should be "
                          "one of this site's own, known to you.");
        if (s == REGISTRY_ASSIGNED)
                return N_("Assigned: a listener should be a known server of the assigned service; anything else is "
                       "a mismatch worth checking.");
        if (s == REGISTRY_RESERVED && n > 0)
                return N_("Reserved by IANA, but programs are known to use it (see unofficial uses): a listener "
                          "should be one of them.");
        if (s == REGISTRY_RESERVED)
                return N_("Reserved by IANA, assigned to no one: a listener here has no registered reason; it "
                          "should have one of your own.");
        if (n > 0)
                return N_("Unassigned, but programs are known to use it (see unofficial uses): a listener should be "
                       "one of them.");
        return N_("Unassigned user port: a listener here has no registered reason; it should have one of your own.");
}

/* Mainstream uses before the history of a port: legitimate programs, then tools and misuse,
 * malware and command-and-control last. */
static int kind_order(enum knowledge_kind kind)
{
        switch (kind) {
        case KNOWLEDGE_APPLICATION: return 0;
        case KNOWLEDGE_DEVELOPMENT: return 1;
        case KNOWLEDGE_TOOL: return 2;
        case KNOWLEDGE_MISUSE: return 3;
        case KNOWLEDGE_C2: return 4;
        case KNOWLEDGE_MALWARE: return 5;
        case KNOWLEDGE_NKINDS: break;
        }
        return 6;
}

void portinfo_sort_knowledge(const struct knowledge_entry **e, size_t n)
{
        /* Insertion sort: stable (file order within a kind), and n is a handful. */
        for (size_t i = 1; i < n; i++) {
                const struct knowledge_entry *x = e[i];
                size_t j = i;
                for (; j > 0 && kind_order(e[j - 1]->kind) > kind_order(x->kind); j--)
                        e[j] = e[j - 1];
                e[j] = x;
        }
}

unsigned portinfo_rank(const struct registry *r, uint16_t port, enum ps_proto proto)
{
        return registry_observed_rank(r, port, proto);
}

const char *portinfo_primary_name(const struct registry *r, uint16_t port, const char **ret_description)
{
        static const enum ps_proto order[] = { PS_TCP, PS_UDP, PS_SCTP, PS_DCCP };

        for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
                uint32_t ids[64];
                size_t n = registry_covering(r, port, order[o], ids, 64);
                for (size_t i = 0; i < n && i < 64; i++) {
                        struct registry_row row;
                        if (registry_row(r, ids[i], &row) < 0 || row.kind != REGISTRY_ROW_SERVICE || !*row.service ||
                            row.alias_of >= 0)
                                continue;
                        if (ret_description)
                                *ret_description = row.description;
                        return row.service;
                }
        }
        if (ret_description)
                *ret_description = NULL;
        return NULL;
}

const struct knowledge_entry *portinfo_top_occupant(const struct knowledge *k, uint16_t port, unsigned protos)
{
        const struct knowledge_entry *best = NULL;

        for (unsigned p = 0; k && p < PS_NPROTO; p++) {
                if (!(protos & PS_PROTO_BIT(p)))
                        continue;
                const struct knowledge_entry *e[64];
                size_t n = knowledge_for_port(k, port, (enum ps_proto)p, e, 64);
                for (size_t i = 0; i < n && i < 64; i++)
                        if (!best || kind_order(e[i]->kind) < kind_order(best->kind))
                                best = e[i];
        }
        return best;
}

json_t *portinfo_json(const struct registry *r, const struct knowledge *k, uint16_t port)
{
        enum ps_range range = ps_range_of(port);
        json_t *o = json_object(), *protos = json_object(), *observed = json_array(), *unofficial = json_array();
        json_t *check = json_object();
        const struct knowledge_entry *seen[64];
        size_t nseen = 0;
        char buf[256];

        if (!o)
                return NULL;
        json_object_set_new(o, "port", json_integer(port));
        json_object_set_new(o, "range", portinfo_string(ps_range_name(range)));
        json_object_set_new(o, "range_bounds", portinfo_string(ps_range_bounds(range)));
        json_object_set_new(o, "procedure", portinfo_string(ps_range_procedure(range)));
        json_object_set_new(o, "registry", portinfo_source_json(r));

        for (unsigned p = 0; p < PS_NPROTO; p++) {
                uint32_t ids[64];
                size_t n = registry_covering(r, port, (enum ps_proto)p, ids, 64);
                enum registry_status st = registry_status(r, port, (enum ps_proto)p);
                json_t *po = json_object(), *services = json_array(), *records = json_array(), *notes = json_array();
                bool private_use = false;

                json_object_set_new(po, "status", portinfo_string(registry_status_name(st)));
                for (size_t i = 0; i < n && i < 64; i++) {
                        struct registry_row row;
                        registry_row(r, ids[i], &row);
                        if (row.kind == REGISTRY_ROW_PRIVATE)
                                private_use = true;
                        if (row.kind == REGISTRY_ROW_SERVICE || row.kind == REGISTRY_ROW_PRIVATE)
                                json_array_append_new(services, service_json(r, k, ids[i], &row));
                        else {
                                json_array_append_new(records, portinfo_row_json(r, ids[i]));
                                /* Keep the registry's own word: Reserved, Unassigned, De-registered... */
                                json_array_append_new(notes, portinfo_string(row.description));
                        }
                        if (*row.unauthorized_use)
                                json_array_append_new(notes, portinfo_string(row.unauthorized_use));
                        if (*row.notes && row.kind != REGISTRY_ROW_SERVICE)
                                json_array_append_new(notes, portinfo_string(row.notes));
                }
                json_object_set_new(po, "private_use", json_boolean(private_use));
                json_object_set_new(po, "services", services);
                json_object_set_new(po, "records", records);
                json_object_set_new(po, "notes", notes);
                json_object_set_new(po, "advice", json_string(portinfo_advice(r, k, port, (enum ps_proto)p)));
                json_object_set_new(protos, ps_proto_name((enum ps_proto)p), po);

                if (k) {
                        const struct knowledge_entry *e[64];
                        size_t ne = knowledge_for_port(k, port, (enum ps_proto)p, e, 64);
                        portinfo_sort_knowledge(e, ne < 64 ? ne : 64);
                        for (size_t i = 0; i < ne && i < 64; i++) {
                                bool dup = false;
                                for (size_t j = 0; j < nseen; j++)
                                        dup |= seen[j] == e[i];
                                if (dup || nseen == 64)
                                        continue;
                                seen[nseen++] = e[i];
                                json_array_append_new(unofficial, portinfo_knowledge_json(e[i]));
                        }
                }
        }
        json_object_set_new(o, "protocols", protos);

        struct registry_observed obs[32];
        size_t no = registry_observed(r, port, obs, 32);
        for (size_t i = 0; i < no && i < 32; i++) {
                json_t *x = json_object();
                json_object_set_new(x, "name", portinfo_string(obs[i].name));
                json_object_set_new(x, "protocol", portinfo_string(ps_proto_name(obs[i].proto)));
                /* nmap-services has six decimals; the index stores a float. */
                json_object_set_new(x, "frequency", json_real(round(obs[i].frequency * 1e6) / 1e6));
                json_object_set_new(x, "comment", obs[i].comment ? str_or_null(obs[i].comment) : json_null());
                /* 1 = most often open for its protocol; nmap's default scan is the top 1,000. */
                unsigned rank = portinfo_rank(r, port, obs[i].proto);
                json_object_set_new(x, "rank", rank ? json_integer(rank) : json_null());
                json_object_set_new(x, "in_top_1000", json_boolean(rank && rank <= 1000));
                json_array_append_new(observed, x);
        }
        json_object_set_new(o, "observed", observed);

        json_t *summary = json_object(), *status = json_object();
        const char *pdesc = NULL, *pname = portinfo_primary_name(r, port, &pdesc);
        const struct knowledge_entry *top = portinfo_top_occupant(k, port, PS_PROTO_ALL);
        for (unsigned p = 0; p < PS_NPROTO; p++)
                json_object_set_new(status, ps_proto_name((enum ps_proto)p),
                                    portinfo_string(registry_status_name(registry_status(r, port, (enum ps_proto)p))));
        json_object_set_new(summary, "status", status);
        json_object_set_new(summary, "primary_name", pname ? portinfo_string(pname) : json_null());
        json_object_set_new(summary, "primary_description", pdesc ? portinfo_string(pdesc) : json_null());
        json_object_set_new(summary, "top_occupant", top ? portinfo_string(top->id) : json_null());
        json_object_set_new(summary, "top_occupant_name", top ? portinfo_string(top->name) : json_null());
        json_object_set_new(o, "summary", summary);
        json_object_set_new(o, "unofficial", unofficial);

        snprintf(buf, sizeof(buf), "portscope listening %u", port);
        json_object_set_new(check, "portscope", json_string(buf));
        snprintf(buf, sizeof(buf), "sudo ss -tulpn 'sport = :%u'", port);
        json_object_set_new(check, "linux", json_string(buf));
        snprintf(buf, sizeof(buf), "sudo lsof -nP -i :%u", port);
        json_object_set_new(check, "macos", json_string(buf));
        snprintf(buf, sizeof(buf), "Get-NetTCPConnection -LocalPort %u -State Listen; Get-NetUDPEndpoint -LocalPort %u",
                 port, port);
        json_object_set_new(check, "windows", json_string(buf));
        json_object_set_new(o, "how_to_check", check);
        return o;
}

/* Whether a knowledge port spec ("3025", "512-1023/udp") covers port with one of protos. */
static bool spec_covers(const char *spec, unsigned port, unsigned protos)
{
        char *end;
        unsigned long lo = strtoul(spec, &end, 10), hi = lo;
        if (end == spec)
                return true; /* not a port spec: keep what it belongs to */
        if (*end == '-')
                hi = strtoul(end + 1, &end, 10);
        if (port < lo || port > hi)
                return false;
        if (*end != '/')
                return true; /* every protocol */
        enum ps_proto p;
        return ps_proto_parse(end + 1, &p) < 0 || (protos & PS_PROTO_BIT(p));
}

/* Removes the array's elements whose "protocol" is not one of protos. */
static void keep_by_protocol(json_t *a, unsigned protos)
{
        for (size_t i = json_array_size(a); i-- > 0;) {
                enum ps_proto p;
                const char *pn = json_string_value(json_object_get(json_array_get(a, i), "protocol"));
                if (pn && (ps_proto_parse(pn, &p) < 0 || !(protos & PS_PROTO_BIT(p))))
                        json_array_remove(a, i);
        }
}

int portinfo_keep_protocols(json_t *o, unsigned protos)
{
        protos &= PS_PROTO_ALL;
        if (!json_is_object(o) || protos == PS_PROTO_ALL || protos == 0)
                return 0;
        unsigned port = (unsigned)json_integer_value(json_object_get(o, "port"));
        json_t *pr = json_object_get(o, "protocols");
        for (unsigned p = 0; p < PS_NPROTO; p++)
                if (!(protos & PS_PROTO_BIT(p)))
                        json_object_del(pr, ps_proto_name((enum ps_proto)p));
        keep_by_protocol(json_object_get(o, "observed"), protos);
        keep_by_protocol(json_object_get(json_object_get(o, "history"), "changes"), protos);
        json_t *un = json_object_get(o, "unofficial");
        for (size_t i = json_array_size(un); i-- > 0;) {
                json_t *ports = json_object_get(json_array_get(un, i), "ports"), *spec;
                size_t j;
                bool keep = json_array_size(ports) == 0;
                json_array_foreach(ports, j, spec)
                        keep |= json_is_string(spec) && spec_covers(json_string_value(spec), port, protos);
                if (!keep)
                        json_array_remove(un, i);
        }
        for (unsigned p = 0; p < PS_NPROTO; p++)
                if (protos == PS_PROTO_BIT(p) && json_object_set_new(o, "protocol", json_string(ps_proto_name((enum ps_proto)p))) < 0)
                        return -ENOMEM;
        return 0;
}
