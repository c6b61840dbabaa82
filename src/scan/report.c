/* portscope scan — the report: results grouped by host, each open port judged against the
 * registry, the knowledge file and the service that answered. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "scan-internal.h"
#include "portscope/util.h"
#include "portscope/i18n.h"

const char *scan_verdict_name(enum verdict_kind v)
{
        return verdict_kind_name(v);
}

void scan_report_init(struct scan_report *rep)
{
        memset(rep, 0, sizeof(*rep));
        rep->nshards = 1;
}

void scan_report_free(struct scan_report *rep)
{
        if (!rep)
                return;
        for (size_t i = 0; i < rep->nhosts; i++) {
                for (size_t j = 0; j < rep->hosts[i].nports; j++)
                        free(rep->hosts[i].ports[j].service);
                free(rep->hosts[i].ports);
        }
        free(rep->hosts);
        free(rep->hindex);
        for (size_t i = 0; i < rep->ngone; i++)
                free(rep->gone[i].service);
        free(rep->gone);
        for (struct scan_port_facts *pf = rep->facts_all, *next; pf; pf = next) {
                next = pf->next_alloc;
                free(pf);
        }
        free(rep->facts);
        memset(rep, 0, sizeof(*rep));
}

static size_t addr_hash(const struct scan_addr *a)
{
        static const struct scan_cookie_key k = { 0x5ca9, 0x4057 };
        return (size_t)scan_siphash(&k, a->a, a->family == AF_INET ? 4 : 16);
}

static int index_build(struct scan_report *rep, size_t cap)
{
        size_t *ix = calloc(cap, sizeof(*ix));
        if (!ix)
                return -ENOMEM;
        for (size_t i = 0; i < rep->nhosts; i++) {
                size_t h = addr_hash(&rep->hosts[i].addr) & (cap - 1);
                while (ix[h])
                        h = (h + 1) & (cap - 1);
                ix[h] = i + 1;
        }
        free(rep->hindex);
        rep->hindex = ix;
        rep->hcap = cap;
        return 0;
}

/* The index slot of host a (hcap > 0): where it is, or the empty slot where it belongs. */
static size_t index_slot(const struct scan_report *rep, const struct scan_addr *a, struct scan_host_report **found)
{
        size_t h = addr_hash(a) & (rep->hcap - 1);
        *found = NULL;
        for (; rep->hindex[h]; h = (h + 1) & (rep->hcap - 1))
                if (scan_addr_compare(&rep->hosts[rep->hindex[h] - 1].addr, a) == 0) {
                        *found = &rep->hosts[rep->hindex[h] - 1];
                        break;
                }
        return h;
}

static struct scan_host_report *host_get(struct scan_report *rep, const struct scan_addr *a)
{
        /* Results of one host usually arrive together; check the last host first. */
        if (rep->nhosts && scan_addr_compare(&rep->hosts[rep->nhosts - 1].addr, a) == 0)
                return &rep->hosts[rep->nhosts - 1];
        if ((rep->nhosts + 1) * 2 > rep->hcap && index_build(rep, rep->hcap ? rep->hcap * 2 : 64) < 0)
                return NULL;
        struct scan_host_report *x;
        size_t h = index_slot(rep, a, &x);
        if (x)
                return x;
        if (PS_GROW(rep->hosts, rep->cap, rep->nhosts + 1, SIZE_MAX) < 0)
                return NULL;
        struct scan_host_report *hr = &rep->hosts[rep->nhosts++];
        memset(hr, 0, sizeof(*hr));
        hr->addr = *a;
        rep->hindex[h] = rep->nhosts;
        return hr;
}

struct scan_host_report *scan_report_host(const struct scan_report *rep, const struct scan_addr *a)
{
        struct scan_host_report *x = NULL;
        if (rep->hcap)
                index_slot(rep, a, &x);
        return x;
}

struct scan_port_report *scan_report_port(const struct scan_host_report *h, uint16_t port, enum ps_proto proto)
{
        size_t lo = 0, hi = h->nports;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const struct scan_port_report *p = &h->ports[mid];
                if (p->r.port < port || (p->r.port == port && p->r.proto < proto))
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < h->nports && h->ports[lo].r.port == port && h->ports[lo].r.proto == proto)
                return &h->ports[lo];
        return NULL;
}

uint64_t scan_total_hosts(const struct scan_report *rep, size_t up)
{
        uint64_t total = rep->targets ? scan_targets_count(rep->targets) : rep->nhosts;
        return total < up ? up : total;
}

int scan_report_add(struct scan_report *rep, const struct scan_result *r)
{
        struct scan_host_report *h = host_get(rep, &r->addr);
        if (!h)
                return -ENOMEM;
        /* Up: the host itself answered (an ICMP error from a router or silence says nothing). */
        if ((r->state == SCAN_OPEN || r->state == SCAN_CLOSED) && r->reason != SCAN_REASON_SELF_CONNECT)
                h->up = true;
        bool listed = r->state == SCAN_OPEN || rep->all_states;
        /* In a sweep whose silent hosts are not shown, a host that has not answered keeps counts
         * only: 25 records each for 65,000 absent hosts would be some 150 MB for nothing. */
        bool shown = h->up || scan_total_hosts(rep, 0) <= SCAN_SILENT_HOSTS_SHOWN;
        if (!listed && r->state == SCAN_FILTERED && !h->filtered && shown) {
                if (h->filtered_listed < SCAN_FILTERED_LISTED) {
                        listed = true;
                        h->filtered_listed++;
                } else {
                        /* one too many: none is listed, all are counted */
                        size_t k = 0;
                        for (size_t i = 0; i < h->nports; i++)
                                if (h->ports[i].r.state != SCAN_FILTERED)
                                        h->ports[k++] = h->ports[i];
                        h->nports = k;
                        if (!k) { /* a host that never answered: nothing left to hold */
                                free(h->ports);
                                h->ports = NULL;
                                h->cap = 0;
                        }
                        h->filtered = h->filtered_listed;
                        h->filtered_listed = 0;
                }
        }
        if (!listed) {
                if (r->state == SCAN_CLOSED)
                        h->closed++;
                else if (r->state == SCAN_OPEN_FILTERED)
                        h->open_filtered++;
                else
                        h->filtered++;
                return 0;
        }
        if (PS_GROW(h->ports, h->cap, h->nports + 1, SIZE_MAX) < 0)
                return -ENOMEM;
        struct scan_port_report *p = &h->ports[h->nports++];
        memset(p, 0, sizeof(*p));
        p->r = *r;
        return 0;
}

struct scan_host_report *scan_report_host_counts(struct scan_report *rep, const struct scan_addr *a, bool up,
                                                 uint64_t closed, uint64_t filtered, uint64_t open_filtered)
{
        struct scan_host_report *h = host_get(rep, a);
        if (!h)
                return NULL;
        h->up |= up;
        h->closed += closed;
        h->filtered += filtered;
        h->open_filtered += open_filtered;
        return h;
}

static int host_cmp(const void *a, const void *b)
{
        return scan_addr_compare(&((const struct scan_host_report *)a)->addr,
                                 &((const struct scan_host_report *)b)->addr);
}

static int port_cmp(const void *a, const void *b)
{
        const struct scan_port_report *x = a, *y = b;
        if (x->r.port != y->r.port)
                return x->r.port < y->r.port ? -1 : 1;
        return (int)x->r.proto - (int)y->r.proto;
}

/* Service names are the same service: equal ignoring case and nmap's "ssl/" prefix. */
/* The facts of (port, proto), computed on first use. NULL on out-of-memory. */
static const struct scan_port_facts *facts_get(struct scan_report *rep, uint16_t port, enum ps_proto proto)
{
        if (!rep->facts && !(rep->facts = calloc((size_t)PS_NPROTO * 65536, sizeof(*rep->facts))))
                return NULL;
        struct scan_port_facts **slot = &rep->facts[(size_t)proto * 65536 + port];
        if (*slot)
                return *slot;
        struct scan_port_facts *pf = calloc(1, sizeof(*pf));
        if (!pf)
                return NULL;
        pf->next_alloc = rep->facts_all;
        rep->facts_all = pf;
        if (rep->registry) {
                pf->status = registry_status(rep->registry, port, proto);
                uint32_t ids[16];
                size_t n = registry_covering(rep->registry, port, proto, ids, 16);
                size_t used = 0;
                for (size_t i = 0; i < n && i < 16; i++) {
                        struct registry_row row;
                        if (registry_row(rep->registry, ids[i], &row) < 0 || !row.service[0])
                                continue;
                        if (strstr(pf->registered, row.service))
                                continue;
                        int w = snprintf(pf->registered + used, sizeof(pf->registered) - used, "%s%s",
                                         used ? "," : "", row.service);
                        if (w < 0 || (size_t)w >= sizeof(pf->registered) - used) {
                                pf->registered[used] = '\0';
                                break;
                        }
                        used += (size_t)w;
                }
        }
        if (rep->knowledge)
                pf->nknowledge = knowledge_for_port(rep->knowledge, port, proto, pf->knowledge, 8);
        if (pf->nknowledge > 8)
                pf->nknowledge = 8;
        *slot = pf;
        return pf;
}

/* The verdict engine's judgement of pr. The input and identity live in the caller's frame:
 * the reason must be written before they go. */
static void judge_port(const struct scan_report *rep, const struct scan_port_report *pr, struct judge_input *in,
                       struct judge_identity *id, char *state, size_t statelen, struct judgement *ret)
{
        struct judge_context c = { .registry = rep->registry, .knowledge = rep->knowledge };
        const struct scan_service *s = pr->service;

        in->port = pr->r.port;
        in->proto = pr->r.proto;
        in->remote = true;
        in->loopback = false;
        in->probed = s != NULL && !pr->unprobed;
        if (pr->unprobed == SCAN_UNPROBED_EXCLUDED)
                /* TRANSLATORS: why scan did not probe an open port for its service. */
                in->unprobed = _("the probes file excludes the port (nmap-service-probes' Exclude: printers print "
                                 "what they are sent)");
        else if (pr->unprobed == SCAN_UNPROBED_INTERRUPTED)
                /* TRANSLATORS: why scan did not probe an open port for its service. */
                in->unprobed = _("the scan was interrupted first");
        else if (pr->unprobed == SCAN_UNPROBED_NO_FILES)
                /* TRANSLATORS: why scan did not probe an open port for its service. */
                in->unprobed = _("no file descriptor was left (see ulimit -n)");
        if (pr->r.state != SCAN_OPEN) {
                snprintf(state, statelen, "%s (%s)", scan_state_name(pr->r.state), scan_reason_name(pr->r.reason));
                in->not_open = true;
                in->state = state;
        }
        /* "ssl" alone names the tunnel, not the service in it. */
        if (s && s->name[0] && strcmp(s->name, "ssl") != 0)
                judge_identity_from_service(id, s->name, s->product);
        if (s && s->banner_len) {
                in->banner = s->banner;
                in->banner_len = s->banner_len;
        }
        in->who = id;
        judge(&c, in, ret);
}

void scan_report_judge(const struct scan_report *rep, struct scan_port_report *pr)
{
        struct judge_input in = JUDGE_INPUT_INIT;
        struct judge_identity id = { 0 };
        struct judgement j;
        char state[64];

        judge_port(rep, pr, &in, &id, state, sizeof(state), &j);
        pr->verdict = j.kind;
        pr->severity = j.severity;
        pr->rule = j.rule;
}

void scan_report_explain(const struct scan_report *rep, const struct scan_port_report *pr, char *buf, size_t len)
{
        struct judge_input in = JUDGE_INPUT_INIT;
        struct judge_identity id = { 0 };
        struct judgement j;
        char state[64];

        if (len == 0)
                return;
        judge_port(rep, pr, &in, &id, state, sizeof(state), &j);
        judge_reason(&j, buf, len);
}

int scan_report_finish(struct scan_report *rep)
{
        if (rep->nhosts)
                qsort(rep->hosts, rep->nhosts, sizeof(*rep->hosts), host_cmp);
        if (rep->hcap && index_build(rep, rep->hcap) < 0) /* the order changed */
                return -ENOMEM;
        for (size_t i = 0; i < rep->nhosts; i++) {
                struct scan_host_report *h = &rep->hosts[i];
                if (h->nports) /* a host with only closed answers has none */
                        qsort(h->ports, h->nports, sizeof(*h->ports), port_cmp);
                /* A resumed scan may have reported a pair twice: keep the first. */
                size_t o = 0;
                for (size_t j = 0; j < h->nports; j++) {
                        if (o && h->ports[o - 1].r.port == h->ports[j].r.port &&
                            h->ports[o - 1].r.proto == h->ports[j].r.proto) {
                                free(h->ports[j].service);
                                continue;
                        }
                        h->ports[o++] = h->ports[j];
                }
                h->nports = o;
                for (size_t j = 0; j < h->nports; j++) {
                        struct scan_port_report *p = &h->ports[j];
                        if (!(p->facts = facts_get(rep, p->r.port, p->r.proto)))
                                return -ENOMEM;
                        scan_report_judge(rep, p);
                }
        }
        for (size_t i = 0; i < rep->ngone; i++) {
                struct scan_port_report *g = &rep->gone[i];
                if (!(g->facts = facts_get(rep, g->r.port, g->r.proto)))
                        return -ENOMEM;
                scan_report_judge(rep, g);
        }
        return 0;
}
