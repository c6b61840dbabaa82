/* Two versions of the registry compared in its own terms: each (port, protocol) is expanded to
 * its state in both (assigned with names, reserved, unassigned), and what changed is said once
 * for each run of consecutive ports and each set of protocols with the same change. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/port.h"
#include "portscope/portinfo.h"
#include "portscope/i18n.h"
#include "portscope/update.h"
#include "portscope/util.h"

#define MAX_COVER 64

/* The categories, in the order they are printed. */
static const struct {
        const char *key, *title;
} categories[] = {
        { "assigned", N_("Newly assigned") },
        { "deassigned", N_("De-assigned") },
        { "renamed", N_("Renamed") },
        { "aliases_added", N_("Aliases added") },
        { "aliases_removed", N_("Aliases removed") },
        { "status", N_("Reserved / unassigned") },
        { "metadata", N_("Metadata changed") },
        { "unauthorized_use", N_("Unauthorized use report changed") },
};
#define NCAT (sizeof(categories) / sizeof(categories[0]))

static const struct {
        const char *name, *bounds;
        unsigned lo, hi;
} ranges[] = {
        { "system", "0-1023", 0, 1023 },
        { "user", "1024-49151", 1024, 49151 },
        { "dynamic", "49152-65535", 49152, 65535 },
};

/* The metadata columns compared; unauthorized use is its own category. */
static const struct {
        const char *name;
        size_t off;
} fields[] = {
        { "description", offsetof(struct registry_row, description) },
        { "assignee", offsetof(struct registry_row, assignee) },
        { "contact", offsetof(struct registry_row, contact) },
        { "registered", offsetof(struct registry_row, registered) },
        { "modified", offsetof(struct registry_row, modified) },
        { "reference", offsetof(struct registry_row, reference) },
        { "service_code", offsetof(struct registry_row, service_code) },
        { "notes", offsetof(struct registry_row, notes) },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const char *field_of(const struct registry_row *r, size_t off)
{
        return *(const char *const *)((const char *)r + off);
}

static int cat_index(const char *key)
{
        for (size_t i = 0; i < NCAT; i++)
                if (strcmp(categories[i].key, key) == 0)
                        return (int)i;
        return (int)NCAT;
}

struct pstate {
        enum registry_status status;
        size_t n;
        struct registry_row rows[MAX_COVER];
};

static void load_state(const struct registry *r, unsigned port, enum ps_proto p, struct pstate *s)
{
        uint32_t ids[MAX_COVER];
        size_t n = registry_covering(r, (uint16_t)port, p, ids, MAX_COVER);

        s->status = registry_status(r, (uint16_t)port, p);
        s->n = n < MAX_COVER ? n : MAX_COVER;
        for (size_t i = 0; i < s->n; i++)
                registry_row(r, ids[i], &s->rows[i]);
}

static bool rows_equal(const struct registry_row *a, const struct registry_row *b)
{
        if (strcmp(a->service, b->service) != 0 || strcmp(a->unauthorized_use, b->unauthorized_use) != 0 ||
            a->kind != b->kind || (a->alias_of < 0) != (b->alias_of < 0))
                return false;
        for (size_t i = 0; i < NFIELDS; i++)
                if (strcmp(field_of(a, fields[i].off), field_of(b, fields[i].off)) != 0)
                        return false;
        return true;
}

static bool states_equal(const struct pstate *a, const struct pstate *b)
{
        if (a->status != b->status || a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (!rows_equal(&a->rows[i], &b->rows[i]))
                        return false;
        return true;
}

/* Names of the named rows: primary (alias_of < 0) or aliases. */
static json_t *names(const struct pstate *s, int which /* 0 primary, 1 aliases, 2 all */)
{
        json_t *a = json_array();

        for (size_t i = 0; i < s->n; i++) {
                const struct registry_row *r = &s->rows[i];
                if (!*r->service || (which == 0 && r->alias_of >= 0) || (which == 1 && r->alias_of < 0))
                        continue;
                bool dup = false;
                size_t j;
                json_t *x;
                json_array_foreach(a, j, x) dup |= strcmp(json_string_value(x), r->service) == 0;
                if (!dup)
                        json_array_append_new(a, portinfo_string(r->service));
        }
        return a;
}

/* Strings of a that b lacks. */
static json_t *minus(json_t *a, json_t *b)
{
        json_t *out = json_array(), *x, *y;
        size_t i, j;

        json_array_foreach(a, i, x) {
                bool found = false;
                json_array_foreach(b, j, y) found |= json_equal(x, y);
                if (!found)
                        json_array_append(out, x);
        }
        return out;
}

/* Which row is which in the other version: its name, or its kind for unnamed rows. */
static void row_key(const struct registry_row *r, char *buf, size_t len)
{
        if (*r->service)
                snprintf(buf, len, "%s", r->service);
        else
                snprintf(buf, len, "(%s)", registry_kind_name(r->kind));
}

static void add_item(json_t *items, const char *cat, json_t *item)
{
        json_object_set_new(item, "category", json_string(cat));
        json_array_append_new(items, item);
}

/* The changes of one (port, protocol), as JSON objects without port and protocol. */
static void classify(const struct pstate *a, const struct pstate *b, json_t *items)
{
        const char *sa = registry_status_name(a->status), *sb = registry_status_name(b->status);
        bool aa = a->status == REGISTRY_ASSIGNED, ba = b->status == REGISTRY_ASSIGNED;

        if (!aa && ba) {
                add_item(items, "assigned",
                         json_pack("{s:s,s:o}", "from", sa, "names", names(b, 2)));
        } else if (aa && !ba) {
                add_item(items, "deassigned", json_pack("{s:o,s:s}", "names", names(a, 2), "to", sb));
        } else if (a->status != b->status) {
                add_item(items, "status", json_pack("{s:s,s:s}", "from", sa, "to", sb));
        } else if (aa) {
                json_t *pa = names(a, 0), *pb = names(b, 0), *xa = names(a, 1), *xb = names(b, 1);
                if (!json_equal(pa, pb))
                        add_item(items, "renamed", json_pack("{s:O,s:O}", "from", pa, "to", pb));
                json_t *added = minus(xb, xa), *removed = minus(xa, xb);
                if (json_array_size(added))
                        add_item(items, "aliases_added", json_pack("{s:O}", "names", added));
                if (json_array_size(removed))
                        add_item(items, "aliases_removed", json_pack("{s:O}", "names", removed));
                json_decref(added);
                json_decref(removed);
                json_decref(pa);
                json_decref(pb);
                json_decref(xa);
                json_decref(xb);
        }
        /* Rows present in both versions (by name, or by kind when unnamed): their columns. */
        for (size_t i = 0; i < b->n; i++) {
                char kb[128], ka[128];
                const struct registry_row *rb = &b->rows[i], *ra = NULL;
                row_key(rb, kb, sizeof(kb));
                for (size_t j = 0; j < a->n && !ra; j++) {
                        row_key(&a->rows[j], ka, sizeof(ka));
                        if (strcmp(ka, kb) == 0)
                                ra = &a->rows[j];
                }
                /* An earlier row of b with the same key was compared already. */
                bool seen = false;
                for (size_t j = 0; j < i && !seen; j++) {
                        row_key(&b->rows[j], ka, sizeof(ka));
                        seen = strcmp(ka, kb) == 0;
                }
                if (!ra || seen)
                        continue;
                json_t *f = json_object();
                for (size_t k = 0; k < NFIELDS; k++) {
                        const char *va = field_of(ra, fields[k].off), *vb = field_of(rb, fields[k].off);
                        if (strcmp(va, vb) != 0)
                                json_object_set_new(f, fields[k].name,
                                                    json_pack("{s:o,s:o}", "old", portinfo_string(va), "new",
                                                              portinfo_string(vb)));
                }
                if (json_object_size(f))
                        add_item(items, "metadata", json_pack("{s:o,s:o}", "service", portinfo_string(kb), "fields", f));
                else
                        json_decref(f);
                if (strcmp(ra->unauthorized_use, rb->unauthorized_use) != 0)
                        add_item(items, "unauthorized_use",
                                 json_pack("{s:o,s:o,s:o}", "service", portinfo_string(kb), "old", portinfo_string(ra->unauthorized_use),
                                           "new", portinfo_string(rb->unauthorized_use)));
        }
}

/* A change being merged over consecutive ports: its item, protocols and ports so far. */
struct open_entry {
        char *key;      /* the item serialised: equal keys merge */
        json_t *item;
        unsigned protos, lo, hi;
};

struct merger {
        struct open_entry *open;
        size_t nopen, cap;
        json_t *out[3];  /* entries per range */
};

static unsigned range_of(unsigned port)
{
        return port < 1024 ? 0 : port < 49152 ? 1 : 2;
}

static void close_entry(struct merger *m, struct open_entry *e)
{
        json_t *protos = json_array();
        char ports[16];

        for (unsigned p = 0; p < PS_NPROTO; p++)
                if (e->protos & PS_PROTO_BIT(p))
                        json_array_append_new(protos, json_string(ps_proto_name((enum ps_proto)p)));
        if (e->lo == e->hi)
                snprintf(ports, sizeof(ports), "%u", e->lo);
        else
                snprintf(ports, sizeof(ports), "%u-%u", e->lo, e->hi);
        json_object_set_new(e->item, "ports", json_string(ports));
        json_object_set_new(e->item, "port_lo", json_integer(e->lo));
        json_object_set_new(e->item, "port_hi", json_integer(e->hi));
        json_object_set_new(e->item, "protocols", protos);
        json_array_append_new(m->out[range_of(e->lo)], e->item);
        free(e->key);
}

/* Takes the changes found at port (key, item, protocols; items owned), extending the open
 * entries that ended at port - 1 with the same key and protocols, and closing the others. */
static int merge_port(struct merger *m, unsigned port, char **keys, json_t **items, unsigned *protos, size_t n)
{
        bool *extended = calloc(m->nopen + 1, sizeof(bool));

        if (!extended)
                return -ENOMEM;
        size_t nold = m->nopen;
        for (size_t i = 0; i < n; i++) {
                size_t j;
                for (j = 0; j < nold; j++) {
                        struct open_entry *e = &m->open[j];
                        if (!extended[j] && e->hi + 1 == port && e->protos == protos[i] && range_of(e->lo) == range_of(port) &&
                            strcmp(e->key, keys[i]) == 0)
                                break;
                }
                if (j < nold) {
                        m->open[j].hi = port;
                        extended[j] = true;
                        free(keys[i]);
                        json_decref(items[i]);
                        continue;
                }
                if (PS_GROW(m->open, m->cap, m->nopen + 1, SIZE_MAX) < 0) {
                        free(extended);
                        return -ENOMEM;
                }
                m->open[m->nopen++] = (struct open_entry){ keys[i], items[i], protos[i], port, port };
        }
        /* Entries neither extended nor new are complete. */
        size_t w = 0;
        for (size_t j = 0; j < m->nopen; j++) {
                if (j < nold && !extended[j])
                        close_entry(m, &m->open[j]);
                else
                        m->open[w++] = m->open[j];
        }
        m->nopen = w;
        free(extended);
        return 0;
}

static int cmp_entries(const void *pa, const void *pb)
{
        json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
        int ca = cat_index(json_string_value(json_object_get(a, "category")));
        int cb = cat_index(json_string_value(json_object_get(b, "category")));
        if (ca != cb)
                return ca - cb;
        json_int_t la = json_integer_value(json_object_get(a, "port_lo")), lb = json_integer_value(json_object_get(b, "port_lo"));
        return la < lb ? -1 : la > lb;
}

/* Sorts a range's entries by category, then port (a stable order: ports are unique per category
 * and protocol set, and ties keep the order of the protocols). */
static void sort_entries(json_t *arr)
{
        size_t n = json_array_size(arr);
        json_t **v = calloc(n ? n : 1, sizeof(*v));

        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                v[i] = json_incref(json_array_get(arr, i));
        qsort(v, n, sizeof(*v), cmp_entries);
        json_array_clear(arr);
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, v[i]);
        free(v);
}

/* Rows without a port, by name. */
static void diff_names_only(const struct registry *old, const struct registry *new, json_t *out)
{
        json_t *added = json_array(), *removed = json_array(), *changed = json_array();
        const struct registry *regs[2] = { old, new };

        for (int side = 0; side < 2; side++) {
                const struct registry *r = regs[side], *other = regs[!side];
                for (uint32_t i = 0; i < registry_nrows(r); i++) {
                        struct registry_row row, orow;
                        uint32_t ids[16];
                        registry_row(r, i, &row);
                        if (row.has_port)
                                continue;
                        size_t n = registry_by_name(other, row.service, ids, 16);
                        bool found = false, same = false;
                        /* A name may have several rows without a port: an identical one in the
                         * other version means no change; else the first with the same protocol. */
                        for (size_t j = 0; j < n && j < 16 && !same; j++) {
                                struct registry_row x;
                                registry_row(other, ids[j], &x);
                                if (x.has_port || strcmp(x.service, row.service) != 0 || strcmp(x.proto, row.proto) != 0)
                                        continue;
                                same = rows_equal(&x, &row);
                                if (!found || same)
                                        orow = x;
                                found = true;
                        }
                        if (same)
                                continue;
                        if (!found) {
                                json_array_append_new(side ? added : removed,
                                                      json_pack("{s:o,s:o,s:o}", "name", portinfo_string(row.service),
                                                                "protocol", portinfo_string(row.proto), "description",
                                                                portinfo_string(row.description)));
                                continue;
                        }
                        if (side == 0)
                                continue; /* compared once, from the new side */
                        json_t *f = json_object();
                        for (size_t k = 0; k < NFIELDS; k++) {
                                const char *va = field_of(&orow, fields[k].off), *vb = field_of(&row, fields[k].off);
                                if (strcmp(va, vb) != 0)
                                        json_object_set_new(f, fields[k].name,
                                                            json_pack("{s:o,s:o}", "old", portinfo_string(va), "new",
                                                                      portinfo_string(vb)));
                        }
                        if (strcmp(orow.unauthorized_use, row.unauthorized_use) != 0)
                                json_object_set_new(f, "unauthorized_use",
                                                    json_pack("{s:o,s:o}", "old", portinfo_string(orow.unauthorized_use),
                                                              "new", portinfo_string(row.unauthorized_use)));
                        if (json_object_size(f))
                                json_array_append_new(changed, json_pack("{s:o,s:o,s:o}", "name", portinfo_string(row.service),
                                                                         "protocol", portinfo_string(row.proto), "fields", f));
                        else
                                json_decref(f);
                }
        }
        json_object_set_new(out, "added", added);
        json_object_set_new(out, "removed", removed);
        json_object_set_new(out, "changed", changed);
}

static json_t *version_json(const struct registry *r)
{
        const struct registry_source *s = registry_source(r);
        return json_pack("{s:o,s:o,s:i}", "source", portinfo_string(s->path), "date",
                         *s->date ? json_string(s->date) : json_null(), "rows", (json_int_t)registry_nrows(r));
}

json_t *update_diff(const struct registry *old, const struct registry *new)
{
        struct merger m = { 0 };
        struct pstate *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
        json_t *o = json_object(), *counts = json_object(), *rs = json_array(), *no = json_object();
        int r = 0;

        if (!a || !b || !o) {
                free(a);
                free(b);
                json_decref(o);
                json_decref(counts);
                json_decref(rs);
                json_decref(no);
                return NULL;
        }
        for (int i = 0; i < 3; i++)
                m.out[i] = json_array();
        for (unsigned port = 0; port <= 65535 && r == 0; port++) {
                char *keys[PS_NPROTO * 16];
                json_t *items[PS_NPROTO * 16];
                unsigned protos[PS_NPROTO * 16];
                size_t n = 0;
                for (unsigned p = 0; p < PS_NPROTO; p++) {
                        load_state(old, port, (enum ps_proto)p, a);
                        load_state(new, port, (enum ps_proto)p, b);
                        if (states_equal(a, b))
                                continue;
                        json_t *its = json_array(), *x;
                        size_t i;
                        classify(a, b, its);
                        json_array_foreach(its, i, x) {
                                char *k = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS);
                                size_t j;
                                /* The same change on another protocol of this port: one entry. */
                                for (j = 0; j < n; j++)
                                        if (strcmp(keys[j], k) == 0)
                                                break;
                                if (j < n) {
                                        protos[j] |= PS_PROTO_BIT(p);
                                        free(k);
                                } else if (n < PS_NPROTO * 16) {
                                        keys[n] = k;
                                        items[n] = json_incref(x);
                                        protos[n++] = PS_PROTO_BIT(p);
                                } else
                                        free(k);
                        }
                        json_decref(its);
                }
                r = merge_port(&m, port, keys, items, protos, n);
        }
        /* Whatever is still open ends at 65535. */
        for (size_t j = 0; j < m.nopen; j++)
                close_entry(&m, &m.open[j]);
        free(m.open);
        free(a);
        free(b);

        for (size_t c = 0; c < NCAT; c++)
                json_object_set_new(counts, categories[c].key, json_pack("{s:i,s:i}", "entries", 0, "pairs", 0));
        for (int i = 0; i < 3; i++) {
                json_t *x;
                size_t j;
                sort_entries(m.out[i]);
                json_array_foreach(m.out[i], j, x) {
                        json_t *c = json_object_get(counts, json_string_value(json_object_get(x, "category")));
                        json_int_t pairs = (json_integer_value(json_object_get(x, "port_hi")) -
                                            json_integer_value(json_object_get(x, "port_lo")) + 1) *
                                           (json_int_t)json_array_size(json_object_get(x, "protocols"));
                        json_object_set_new(c, "entries", json_integer(json_integer_value(json_object_get(c, "entries")) + 1));
                        json_object_set_new(c, "pairs", json_integer(json_integer_value(json_object_get(c, "pairs")) + pairs));
                }
                json_array_append_new(rs, json_pack("{s:s,s:s,s:o}", "range", ranges[i].name, "bounds", ranges[i].bounds,
                                                    "changes", m.out[i]));
        }
        diff_names_only(old, new, no);

        json_t *added = json_array(), *removed = json_array();
        size_t nn = 0, nold = 0;
        char **kn = update_row_keys(new, &nn), **ko = update_row_keys(old, &nold);
        if (kn && ko) {
                update_keys_diff(kn, nn, ko, nold, added);
                update_keys_diff(ko, nold, kn, nn, removed);
        }
        update_free_keys(kn, nn);
        update_free_keys(ko, nold);

        json_object_set_new(o, "old", version_json(old));
        json_object_set_new(o, "new", version_json(new));
        json_object_set_new(o, "rows", json_pack("{s:i,s:i}", "added", (json_int_t)json_array_size(added), "removed",
                                                 (json_int_t)json_array_size(removed)));
        json_object_set_new(o, "counts", counts);
        json_object_set_new(o, "ranges", rs);
        json_object_set_new(o, "names_only", no);
        json_object_set_new(o, "added", added);
        json_object_set_new(o, "removed", removed);
        if (r < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *update_diff_find(json_t *diff, unsigned port, const char *proto)
{
        json_t *rg, *x, *y;
        size_t i, j, k;

        json_array_foreach(json_object_get(diff, "ranges"), i, rg) {
                json_array_foreach(json_object_get(rg, "changes"), j, x) {
                        const char *cat = json_string_value(json_object_get(x, "category"));
                        if (strcmp(cat, "metadata") == 0 || strcmp(cat, "unauthorized_use") == 0)
                                continue;
                        if (port < json_integer_value(json_object_get(x, "port_lo")) ||
                            port > json_integer_value(json_object_get(x, "port_hi")))
                                continue;
                        json_array_foreach(json_object_get(x, "protocols"), k, y) if (strcmp(json_string_value(y), proto) == 0) return x;
                }
        }
        return NULL;
}

/* ---- text ---- */

static void put(FILE *f, json_t *s)
{
        const char *v = json_string_value(s);
        ps_term_escape(f, v ? v : "", (size_t)-1, false);
}

static void put_names(FILE *f, json_t *arr)
{
        json_t *x;
        size_t i;

        if (json_array_size(arr) == 0) {
                fputs(_("(no name)"), f);
                return;
        }
        json_array_foreach(arr, i, x) {
                if (i)
                        fputs(", ", f);
                put(f, x);
        }
}

/* Registry text escaped into a string, to be placed in a translated sentence (caller frees;
 * NULL when out of memory). */
static char *escaped(json_t *s, bool as_names)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        if (!m)
                return NULL;
        if (as_names)
                put_names(m, s);
        else
                put(m, s);
        if (fclose(m) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* A registry status (the JSON's enum) in words. */
static const char *status_words(json_t *s)
{
        const char *v = json_string_value(s);

        if (!v)
                return "?";
        if (strcmp(v, "assigned") == 0)
                return _("assigned");
        if (strcmp(v, "reserved") == 0)
                return _("reserved");
        if (strcmp(v, "unassigned") == 0)
                return _("unassigned");
        if (strcmp(v, "reserved-or-unassigned") == 0)
                return _("reserved or unassigned");
        return v;
}

/* The service of a metadata line, escaped (caller frees): a name, or the kind of an unnamed row
 * (the JSON's "(private)", "(reserved)", "(unassigned)", "(other)") in words. */
static char *service_words(json_t *s)
{
        const char *v = json_string_value(s);

        if (v && strcmp(v, "(private)") == 0)
                /* TRANSLATORS: a registry row without a service name, reserved for private use. */
                return strdup(_("(private)"));
        if (v && strcmp(v, "(reserved)") == 0)
                /* TRANSLATORS: a registry row without a service name: a reserved port. */
                return strdup(_("(reserved)"));
        if (v && strcmp(v, "(unassigned)") == 0)
                /* TRANSLATORS: a registry row without a service name: an unassigned port. */
                return strdup(_("(unassigned)"));
        if (v && strcmp(v, "(other)") == 0)
                /* TRANSLATORS: a registry row without a service name, of no known kind. */
                return strdup(_("(other)"));
        return escaped(s, false);
}

static void put_quoted(FILE *f, json_t *s)
{
        fputc('"', f);
        put(f, s);
        fputc('"', f);
}

static void print_entry(FILE *f, json_t *x)
{
        const char *cat = json_string_value(json_object_get(x, "category"));
        char where[64];
        int n = snprintf(where, sizeof(where), "%s/", json_string_value(json_object_get(x, "ports")));
        json_t *p;
        size_t i;

        json_array_foreach(json_object_get(x, "protocols"), i, p)
                if (n > 0 && (size_t)n < sizeof(where))
                        n += snprintf(where + n, sizeof(where) - (size_t)n, "%s%s", i ? "," : "", json_string_value(p));
        fprintf(f, "    %-18s ", where);
        if (strcmp(cat, "assigned") == 0 || strcmp(cat, "deassigned") == 0) {
                char *names = escaped(json_object_get(x, "names"), true);
                if (strcmp(cat, "assigned") == 0)
                        /* TRANSLATORS: service names, then the port's earlier status ("reserved", "unassigned"). */
                        fprintf(f, _("%s (was %s)"), names ? names : "", status_words(json_object_get(x, "from")));
                else
                        /* TRANSLATORS: service names, then the port's status now ("reserved", "unassigned"),
                         * under the heading "De-assigned". */
                        fprintf(f, _("%s de-assigned, now %s"), names ? names : "", status_words(json_object_get(x, "to")));
                free(names);
        } else if (strcmp(cat, "status") == 0) {
                fprintf(f, "%s → %s", status_words(json_object_get(x, "from")), status_words(json_object_get(x, "to")));
        } else if (strcmp(cat, "renamed") == 0) {
                put_names(f, json_object_get(x, "from"));
                fputs(" → ", f);
                put_names(f, json_object_get(x, "to"));
        } else if (strcmp(cat, "aliases_added") == 0 || strcmp(cat, "aliases_removed") == 0) {
                put_names(f, json_object_get(x, "names"));
        } else if (strcmp(cat, "metadata") == 0) {
                const char *k;
                json_t *v;
                bool first = true;
                char *changes = NULL;
                size_t clen = 0;
                FILE *m = open_memstream(&changes, &clen);
                if (!m)
                        return;
                /* The field names are the registry's columns (the JSON's keys): not translated. */
                json_object_foreach(json_object_get(x, "fields"), k, v) {
                        fprintf(m, "%s%s ", first ? "" : "; ", k);
                        put_quoted(m, json_object_get(v, "old"));
                        fputs(" → ", m);
                        put_quoted(m, json_object_get(v, "new"));
                        first = false;
                }
                if (fclose(m) != 0) {
                        free(changes);
                        changes = NULL;
                }
                char *service = service_words(json_object_get(x, "service"));
                /* TRANSLATORS: a row's service name (or its kind, "(private)"), then the columns that
                 * changed: 'description "old" → "new"; notes "old" → "new"' (column names not
                 * translated). */
                fprintf(f, ps_pgettext("registry diff", "%s: %s"), service ? service : "", changes ? changes : "");
                free(service);
                free(changes);
        } else if (strcmp(cat, "unauthorized_use") == 0) {
                char *service = service_words(json_object_get(x, "service"));
                char *from = escaped(json_object_get(x, "old"), false), *to = escaped(json_object_get(x, "new"), false);
                /* TRANSLATORS: a row's service name (or its kind, "(private)"), then the registry's
                 * unauthorized-use report before and after (registry text, quoted). */
                fprintf(f, _("%s: \"%s\" → \"%s\""), service ? service : "", from ? from : "", to ? to : "");
                free(service);
                free(from);
                free(to);
        }
        fputc('\n', f);
}

const char *update_diff_title(const char *key)
{
        int i = key ? cat_index(key) : (int)NCAT;
        return i < (int)NCAT ? _(categories[i].title) : key ? key : "?";
}

/* "Registry SOURCE (newest date D, N rows)", or its second line "→ SOURCE (...)". */
static void print_version(FILE *f, json_t *v, bool second)
{
        const char *date = json_string_value(json_object_get(v, "date"));
        json_int_t rows = json_integer_value(json_object_get(v, "rows"));
        char *src = escaped(json_object_get(v, "source"), false);

        if (!second)
                /* TRANSLATORS: a file name or URL, a date (2026-02-25) and a count of rows. */
                fprintf(f, ps_ngettext("Registry %s (newest date %s, %lld row)\n", "Registry %s (newest date %s, %lld rows)\n",
                                       (unsigned long)rows),
                        src ? src : "", date ? date : _("unknown"), (long long)rows);
        else
                /* TRANSLATORS: the second line under "Registry %s (...)": the newer version; keep the
                 * arrow below "Registry"'s end or start. */
                fprintf(f, ps_ngettext("      → %s (newest date %s, %lld row)\n", "      → %s (newest date %s, %lld rows)\n",
                                       (unsigned long)rows),
                        src ? src : "", date ? date : _("unknown"), (long long)rows);
        free(src);
}

/* A range's heading: "System ports (0-1023)". */
static void print_range_title(FILE *f, const char *range, const char *bounds)
{
        fputc('\n', f);
        /* TRANSLATORS: %s is a span of port numbers, "0-1023". */
        if (strcmp(range, "system") == 0)
                fprintf(f, _("System ports (%s)"), bounds);
        else if (strcmp(range, "user") == 0)
                fprintf(f, _("User ports (%s)"), bounds);
        else if (strcmp(range, "dynamic") == 0)
                fprintf(f, _("Dynamic ports (%s)"), bounds);
        else
                fprintf(f, "%s (%s)", range, bounds);
        fputc('\n', f);
}

void update_diff_print(FILE *f, json_t *d, size_t limit)
{
        json_t *rows = json_object_get(d, "rows");
        json_t *counts = json_object_get(d, "counts"), *no = json_object_get(d, "names_only"), *rg, *x;
        size_t i, j, shown = 0, total = 0;

        print_version(f, json_object_get(d, "old"), false);
        print_version(f, json_object_get(d, "new"), true);
        /* Each count is its own phrase (ps_ngettext), placed in one sentence. */
        long long radded = json_integer_value(json_object_get(rows, "added"));
        long long rremoved = json_integer_value(json_object_get(rows, "removed"));
        char nadded[64], nremoved[64], nchanged[64];
        /* TRANSLATORS: rows of the registry added (after "Rows: "). */
        snprintf(nadded, sizeof(nadded), ps_ngettext("%lld added", "%lld added", (unsigned long)radded), radded);
        /* TRANSLATORS: rows of the registry removed (after "Rows: "). */
        snprintf(nremoved, sizeof(nremoved), ps_ngettext("%lld removed", "%lld removed", (unsigned long)rremoved), rremoved);
        /* TRANSLATORS: the registry's rows added and removed ("3 added", "1 removed"), in this order. */
        fprintf(f, _("Rows: %s, %s (by service name, port and protocol)\n"), nadded, nremoved);
        fputc('\n', f);
        fputs(_("Changes, counted in port/protocol pairs:\n"), f);
        for (size_t c = 0; c < NCAT; c++) {
                json_t *cc = json_object_get(counts, categories[c].key);
                fputs("  ", f);
                ps_put_padded(f, _(categories[c].title), 36);
                fprintf(f, " %6lld\n", json_integer_value(json_object_get(cc, "pairs")));
                total += (size_t)json_integer_value(json_object_get(cc, "entries"));
        }
        size_t sadded = json_array_size(json_object_get(no, "added")), sremoved = json_array_size(json_object_get(no, "removed")),
               schanged = json_array_size(json_object_get(no, "changed"));
        /* TRANSLATORS: service names (without a port) added. */
        snprintf(nadded, sizeof(nadded), ps_ngettext("%zu added", "%zu added", (unsigned long)sadded), sadded);
        /* TRANSLATORS: service names (without a port) removed. */
        snprintf(nremoved, sizeof(nremoved), ps_ngettext("%zu removed", "%zu removed", (unsigned long)sremoved), sremoved);
        /* TRANSLATORS: service names (without a port) whose rows changed. */
        snprintf(nchanged, sizeof(nchanged), ps_ngettext("%zu changed", "%zu changed", (unsigned long)schanged), schanged);
        /* TRANSLATORS: a line of the table above (indented by two spaces): service names added,
         * removed and changed ("3 added", "1 removed", "0 changed"), in this order. */
        fprintf(f, _("  Service names without a port: %s, %s, %s\n"), nadded, nremoved, nchanged);
        total += json_array_size(json_object_get(no, "added")) + json_array_size(json_object_get(no, "removed")) +
                 json_array_size(json_object_get(no, "changed"));

        json_array_foreach(json_object_get(d, "ranges"), i, rg) {
                json_t *ch = json_object_get(rg, "changes");
                const char *last = NULL;
                if (json_array_size(ch) == 0 || (limit && shown >= limit))
                        continue;
                print_range_title(f, json_string_value(json_object_get(rg, "range")),
                                  json_string_value(json_object_get(rg, "bounds")));
                json_array_foreach(ch, j, x) {
                        if (limit && shown >= limit)
                                break;
                        const char *cat = json_string_value(json_object_get(x, "category"));
                        if (!last || strcmp(last, cat) != 0)
                                fprintf(f, "  %s\n", update_diff_title(cat));
                        last = cat;
                        print_entry(f, x);
                        shown++;
                }
        }
        static const char *const nkinds[][2] = {
                /* TRANSLATORS: what happened to a service name without a port (the name follows);
                 * padded to 8 columns. */
                { "added", N_("Added") },
                /* TRANSLATORS: what happened to a service name without a port (the name follows);
                 * padded to 8 columns. */
                { "removed", N_("Removed") },
                /* TRANSLATORS: what happened to a service name without a port (the name follows);
                 * padded to 8 columns. */
                { "changed", N_("Changed") },
        };
        bool header = false;
        for (size_t k = 0; k < 3; k++) {
                json_t *arr = json_object_get(no, nkinds[k][0]);
                json_array_foreach(arr, j, x) {
                        if (limit && shown >= limit)
                                break;
                        if (!header) {
                                fputc('\n', f);
                                fputs(_("Service names without a port\n"), f);
                        }
                        header = true;
                        fputs("  ", f);
                        ps_put_padded(f, _(nkinds[k][1]), 8);
                        fputc(' ', f);
                        put(f, json_object_get(x, "name"));
                        if (*json_string_value(json_object_get(x, "protocol"))) {
                                fputc('/', f);
                                put(f, json_object_get(x, "protocol"));
                        }
                        if (k < 2) {
                                fputs(": ", f);
                                put(f, json_object_get(x, "description"));
                        } else {
                                const char *key;
                                json_t *v;
                                fputs(":", f);
                                json_object_foreach(json_object_get(x, "fields"), key, v) {
                                        fprintf(f, " %s ", key);
                                        put_quoted(f, json_object_get(v, "old"));
                                        fputs(" → ", f);
                                        put_quoted(f, json_object_get(v, "new"));
                                }
                        }
                        fputc('\n', f);
                        shown++;
                }
        }
        if (shown < total) {
                fputc('\n', f);
                /* TRANSLATORS: the number of changes left out, then the --limit given. */
                fprintf(f, ps_ngettext("… %zu more change not shown (--limit %zu; --limit 0 shows all)\n",
                                       "… %zu more changes not shown (--limit %zu; --limit 0 shows all)\n", total - shown),
                        total - shown, limit);
        }
        if (total == 0) {
                fputc('\n', f);
                fputs(_("No differences.\n"), f);
        }
}

/* ---- raw rows ---- */

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

char **update_row_keys(const struct registry *r, size_t *ret_n)
{
        uint32_t n = registry_nrows(r);
        char **v = calloc(n ? n : 1, sizeof(*v));

        if (!v)
                return NULL;
        for (uint32_t i = 0; i < n; i++) {
                struct registry_row row;
                registry_row(r, i, &row);
                if (asprintf(&v[i], "%s %s/%s", *row.service ? row.service : "-", *row.port ? row.port : "-",
                             *row.proto ? row.proto : "any") < 0) {
                        v[i] = NULL;
                        update_free_keys(v, i);
                        return NULL;
                }
        }
        *ret_n = n;
        qsort(v, n, sizeof(*v), cmp_str);
        return v;
}

void update_keys_diff(char **a, size_t na, char **b, size_t nb, json_t *out)
{
        size_t i = 0, j = 0;

        while (i < na) {
                int c = j < nb ? strcmp(a[i], b[j]) : -1;
                if (c == 0)
                        i++, j++;
                else if (c < 0)
                        json_array_append_new(out, portinfo_string(a[i++]));
                else
                        j++;
        }
}

void update_free_keys(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}
