/* Queries on an open registry: rows, status, the rows covering a port, names, nmap's observed
 * use. Every answer is read from the index image; nothing is allocated but registry_top_ports()'s
 * scratch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "portscope/i18n.h"
#include "registry-internal.h"

/* ---- queries ----------------------------------------------------------------------------- */

static const char *str_at(const struct registry *r, uint32_t off)
{
        return off < r->h->strings_len ? r->strings + off : "";
}

const char *registry_status_name(enum registry_status s)
{
        switch (s) {
        /* English (JSON and options say them so); pages and the CLI show _(name). */
        case REGISTRY_UNASSIGNED: return N_("unassigned");
        case REGISTRY_RESERVED: return N_("reserved");
        case REGISTRY_ASSIGNED: return N_("assigned");
        case REGISTRY_NOT_ASSIGNED: return N_("reserved-or-unassigned");
        }
        return "unknown";
}

int registry_status_parse(const char *s, enum registry_status *ret)
{
        for (int i = 0; i < 4; i++)
                if (strcasecmp(s, registry_status_name((enum registry_status)i)) == 0) {
                        *ret = (enum registry_status)i;
                        return 0;
                }
        return -EINVAL;
}

const char *registry_status_label(const char *name)
{
        enum registry_status st;
        return registry_status_parse(name, &st) == 0 ? _(registry_status_name(st)) : name;
}

const char *registry_kind_name(enum registry_kind k)
{
        /* TRANSLATORS: the kind of a registry row: a service, a private-use range, reserved, unassigned. */
        static const char *const names[] = { N_("service"), N_("private"), N_("reserved"), N_("unassigned"),
                                              N_("other") };
        return (unsigned)k <= REGISTRY_ROW_OTHER ? names[k] : "other";
}

const struct registry_source *registry_source(const struct registry *r)
{
        return &r->source;
}

void registry_stats(const struct registry *r, struct registry_stats *ret)
{
        *ret = r->h->stats;
}

uint32_t registry_nrows(const struct registry *r)
{
        return r->h->nrows;
}

int registry_row(const struct registry *r, uint32_t id, struct registry_row *ret)
{
        const struct idx_row *row;

        if (id >= r->h->nrows)
                return -ENOENT;
        row = &r->rows[id];
        ret->id = id;
        ret->line = row->line;
        ret->service = str_at(r, row->col[0]);
        ret->port = str_at(r, row->col[1]);
        ret->proto = str_at(r, row->col[2]);
        ret->description = str_at(r, row->col[3]);
        ret->assignee = str_at(r, row->col[4]);
        ret->contact = str_at(r, row->col[5]);
        ret->registered = str_at(r, row->col[6]);
        ret->modified = str_at(r, row->col[7]);
        ret->reference = str_at(r, row->col[8]);
        ret->service_code = str_at(r, row->col[9]);
        ret->unauthorized_use = str_at(r, row->col[10]);
        ret->notes = str_at(r, row->col[11]);
        ret->has_port = row->has_port;
        ret->port_lo = row->lo;
        ret->port_hi = row->hi;
        ret->protos = row->protos;
        ret->kind = row->kind <= REGISTRY_ROW_OTHER ? (enum registry_kind)row->kind : REGISTRY_ROW_OTHER;
        ret->alias_of = row->alias_of >= 0 && (uint32_t)row->alias_of < r->h->nrows ? row->alias_of : -1;
        return 0;
}

enum registry_status registry_status(const struct registry *r, uint16_t port, enum ps_proto proto)
{
        if ((unsigned)proto >= PS_NPROTO)
                return REGISTRY_UNASSIGNED;
        uint8_t s = r->status[(size_t)proto * 65536 + port];
        return s <= REGISTRY_NOT_ASSIGNED ? (enum registry_status)s : REGISTRY_UNASSIGNED;
}

bool registry_private_only(const struct registry *r, uint16_t port, enum ps_proto proto)
{
        if (registry_status(r, port, proto) != REGISTRY_ASSIGNED)
                return false;
        uint32_t ids[64];
        size_t n = registry_covering(r, port, proto, ids, 64);
        bool priv = false;
        for (size_t i = 0; i < n && i < 64; i++) {
                struct registry_row row;
                if (registry_row(r, ids[i], &row) < 0)
                        continue;
                if (row.kind == REGISTRY_ROW_SERVICE && row.service[0])
                        return false;
                priv |= row.kind == REGISTRY_ROW_PRIVATE;
        }
        return priv;
}

size_t registry_covering(const struct registry *r, uint16_t port, enum ps_proto proto, uint32_t *ids, size_t max)
{
        uint32_t a = r->cover_off[port], b = r->cover_off[port + 1];
        size_t n = 0;

        if (b > r->h->ncover || a > b)
                return 0;
        for (uint32_t i = a; i < b; i++) {
                uint32_t id = r->cover_ids[i];
                if (id >= r->h->nrows || !(r->rows[id].protos & PS_PROTO_BIT(proto)))
                        continue;
                if (n < max)
                        ids[n] = id;
                n++;
        }
        return n;
}

size_t registry_name_ports(const struct registry *r, const char *name, struct ps_portspec *out, size_t max,
                           size_t *ret_rows)
{
        uint32_t ids[256];
        size_t found = registry_by_name(r, name, ids, 256), n = 0;

        for (size_t i = 0; i < found && i < 256 && n < max; i++) {
                struct registry_row row;
                if (registry_row(r, ids[i], &row) == 0 && row.has_port)
                        out[n++] = (struct ps_portspec){ row.port_lo, row.port_hi, row.protos };
        }
        if (ret_rows)
                *ret_rows = found;
        return n;
}

size_t registry_by_name(const struct registry *r, const char *name, uint32_t *ids, size_t max)
{
        uint32_t lo = 0, hi = r->h->nnames, n = 0;

        while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (strcasecmp(str_at(r, r->rows[r->names[mid] < r->h->nrows ? r->names[mid] : 0].col[0]), name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (; lo < r->h->nnames; lo++) {
                uint32_t id = r->names[lo];
                if (id >= r->h->nrows || strcasecmp(str_at(r, r->rows[id].col[0]), name) != 0)
                        break;
                if (n < max)
                        ids[n] = id;
                n++;
        }
        /* Keep file order for the caller: names were sorted by (name, id), so they already are. */
        return n;
}

size_t registry_observed(const struct registry *r, uint16_t port, struct registry_observed *out, size_t max)
{
        uint32_t a = r->obs_port[port], b = r->obs_port[port + 1];
        size_t n = 0;

        if (b > r->h->nobs || a > b)
                return 0;
        for (uint32_t i = a; i < b; i++, n++)
                if (n < max) {
                        out[n].name = str_at(r, r->obs[i].name);
                        out[n].port = r->obs[i].port;
                        out[n].proto = r->obs[i].proto < PS_NPROTO ? (enum ps_proto)r->obs[i].proto : PS_TCP;
                        out[n].frequency = r->obs[i].freq;
                        out[n].comment = str_at(r, r->obs[i].comment);
                }
        return n;
}

struct top_item {
        float freq;
        uint16_t port;
};

static int cmp_top(const void *a, const void *b)
{
        const struct top_item *x = a, *y = b;
        if (x->freq != y->freq)
                return x->freq < y->freq ? 1 : -1;
        return (x->port > y->port) - (x->port < y->port);
}

/* One answer of registry_observed_rank() without the table (a pass over every observation). */
static unsigned rank_by_scan(const struct registry *r, uint16_t port, enum ps_proto proto)
{
        uint32_t a = r->obs_port[port], b = r->obs_port[port + 1];
        float f = -1;
        unsigned rank = 1;

        if (b > r->h->nobs || a > b)
                return 0;
        for (uint32_t i = a; i < b; i++)
                if (r->obs[i].proto == proto && r->obs[i].freq > f)
                        f = r->obs[i].freq;
        if (f < 0)
                return 0;
        for (uint32_t i = 0; i < r->h->nobs; i++)
                if (r->obs[i].proto == proto &&
                    (r->obs[i].freq > f || (r->obs[i].freq == f && r->obs[i].port < port)))
                        rank++;
        return rank;
}

/* Answers by scan before the table is made: one port's info asks a few. */
#define RANK_SCANS 32u

/* Every observed port's rank, per protocol, in registry_top_ports()'s order (frequency, then
 * port); NULL when memory ran out. */
static uint16_t *make_ranks(const struct registry *r)
{
        uint16_t *t = calloc((size_t)PS_NPROTO * 65536u, sizeof(*t));
        struct top_item *v = malloc((r->h->nobs ? r->h->nobs : 1) * sizeof(*v));
        if (!t || !v) {
                free(t);
                free(v);
                return NULL;
        }
        for (unsigned p = 0; p < PS_NPROTO; p++) {
                size_t n = 0;
                for (uint32_t i = 0; i < r->h->nobs; i++)
                        if (r->obs[i].proto == p)
                                v[n++] = (struct top_item){ r->obs[i].freq, r->obs[i].port };
                qsort(v, n, sizeof(*v), cmp_top);
                uint16_t *row = t + (size_t)p * 65536u;
                for (size_t i = 0; i < n; i++)
                        if (!row[v[i].port])
                                row[v[i].port] = (uint16_t)(i + 1 < UINT16_MAX ? i + 1 : UINT16_MAX);
        }
        free(v);
        return t;
}

unsigned registry_observed_rank(const struct registry *r, uint16_t port, enum ps_proto proto)
{
        struct registry *m = (struct registry *)r; /* the table is a cache: the registry stays as it was */
        uint16_t *t = atomic_load_explicit(&m->rank, memory_order_acquire);

        if ((unsigned)proto >= PS_NPROTO)
                return 0;
        if (!t && atomic_fetch_add_explicit(&m->rank_calls, 1, memory_order_relaxed) < RANK_SCANS)
                return rank_by_scan(r, port, proto);
        if (!t) {
                pthread_mutex_lock(&m->rank_lock);
                t = atomic_load_explicit(&m->rank, memory_order_relaxed);
                if (!t) {
                        t = make_ranks(r);
                        atomic_store_explicit(&m->rank, t, memory_order_release);
                }
                pthread_mutex_unlock(&m->rank_lock);
                if (!t)
                        return 0;
        }
        return t[(size_t)proto * 65536u + port];
}

size_t registry_top_ports(const struct registry *r, enum ps_proto proto, uint16_t *ports, size_t max)
{
        struct top_item *v;
        size_t n = 0;

        v = malloc((r->h->nobs ? r->h->nobs : 1) * sizeof(*v));
        if (!v)
                return 0;
        for (uint32_t i = 0; i < r->h->nobs; i++)
                if (r->obs[i].proto == proto)
                        v[n++] = (struct top_item){ r->obs[i].freq, r->obs[i].port };
        qsort(v, n, sizeof(*v), cmp_top);
        if (n > max)
                n = max;
        for (size_t i = 0; i < n; i++)
                ports[i] = v[i].port;
        free(v);
        return n;
}
