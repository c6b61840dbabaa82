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
#include "diff-internal.h"

#define MAX_COVER 64

/* The categories, in the order they are printed. */
const struct diff_category diff_categories[] = {
        { "assigned", N_("Newly assigned"), true },
        { "deassigned", N_("De-assigned"), true },
        { "renamed", N_("Renamed"), true },
        { "services_added", N_("Services added beside those that remain"), true },
        { "services_removed", N_("Services removed beside those that remain"), true },
        { "aliases_added", N_("Aliases added"), false },
        { "aliases_removed", N_("Aliases removed"), false },
        { "status", N_("Reserved / unassigned"), true },
        { "metadata", N_("Metadata changed"), false },
        { "unauthorized_use", N_("Unauthorized use report changed"), false },
};
const size_t diff_ncategories = sizeof(diff_categories) / sizeof(diff_categories[0]);

bool update_diff_occupants_changed(json_t *diff)
{
        json_t *counts = json_object_get(diff, "counts");
        for (size_t c = 0; c < diff_ncategories; c++)
                if (diff_categories[c].occupant &&
                    json_integer_value(json_object_get(json_object_get(counts, diff_categories[c].key), "pairs")) > 0)
                        return true;
        return false;
}

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
        for (size_t i = 0; i < diff_ncategories; i++)
                if (strcmp(diff_categories[i].key, key) == 0)
                        return (int)i;
        return (int)diff_ncategories;
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

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Whether two columns say the same: white space alone (a line break where a space was, CR LF,
 * doubled spaces, at either end) is no change. Of the 2024-04 and 2026-02 registries' "metadata
 * changes", 97 of 134 entries were that. */
static bool same_text(const char *a, const char *b)
{
        for (bool first = true;; first = false, a++, b++) {
                bool wa = false, wb = false;
                for (; is_space(*a); a++)
                        wa = true;
                for (; is_space(*b); b++)
                        wb = true;
                if (!*a || !*b)
                        return !*a && !*b; /* white space at the end is none */
                if ((!first && wa != wb) || *a != *b)
                        return false; /* at the start it is none either */
        }
}

static bool rows_equal(const struct registry_row *a, const struct registry_row *b)
{
        if (strcmp(a->service, b->service) != 0 || !same_text(a->unauthorized_use, b->unauthorized_use) ||
            a->kind != b->kind || (a->alias_of < 0) != (b->alias_of < 0))
                return false;
        for (size_t i = 0; i < NFIELDS; i++)
                if (!same_text(field_of(a, fields[i].off), field_of(b, fields[i].off)))
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
                if (!json_equal(pa, pb)) {
                        /* A name for another is a rename; names gained or lost while the others stay
                         * are services added to or removed from a port that stays assigned. */
                        json_t *gained = minus(pb, pa), *lost = minus(pa, pb);
                        if (json_array_size(gained) && json_array_size(lost))
                                add_item(items, "renamed", json_pack("{s:O,s:O}", "from", pa, "to", pb));
                        else if (json_array_size(gained))
                                add_item(items, "services_added", json_pack("{s:O}", "names", gained));
                        else if (json_array_size(lost))
                                add_item(items, "services_removed", json_pack("{s:O}", "names", lost));
                        json_decref(gained);
                        json_decref(lost);
                }
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
                        if (!same_text(va, vb))
                                json_object_set_new(f, fields[k].name,
                                                    json_pack("{s:o,s:o}", "old", portinfo_string(va), "new",
                                                              portinfo_string(vb)));
                }
                if (json_object_size(f))
                        add_item(items, "metadata", json_pack("{s:o,s:o}", "service", portinfo_string(kb), "fields", f));
                else
                        json_decref(f);
                if (!same_text(ra->unauthorized_use, rb->unauthorized_use))
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
                                if (!same_text(va, vb))
                                        json_object_set_new(f, fields[k].name,
                                                            json_pack("{s:o,s:o}", "old", portinfo_string(va), "new",
                                                                      portinfo_string(vb)));
                        }
                        if (!same_text(orow.unauthorized_use, row.unauthorized_use))
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

        for (size_t c = 0; c < diff_ncategories; c++)
                json_object_set_new(counts, diff_categories[c].key, json_pack("{s:i,s:i}", "entries", 0, "pairs", 0));
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

/* The title of a category (its JSON key) as people read it. */
const char *update_diff_title(const char *key)
{
        int i = key ? cat_index(key) : (int)diff_ncategories;
        return i < (int)diff_ncategories ? _(diff_categories[i].title) : key ? key : "?";
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
