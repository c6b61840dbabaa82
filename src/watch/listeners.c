/* watch: the listener table. Each reconcile dumps one namespace's sockets through sock_diag
 * (sockets_collect: owners included) and compares with what was there: a TCP listener is
 * announced at its first dump, an unconnected UDP socket at its second in a row (a resolver's
 * query socket lives for milliseconds; a UDP server stays), and a listener that was announced
 * and is no longer there is gone. Connected UDP sockets are kept too (not announced): the packet
 * fallback must not take a reply to one of them for a probe. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portscope/i18n.h"
#include "portscope/sockets.h"
#include "portscope/util.h"
#include "portscope/watch.h"

struct lent {
        uint32_t netns;
        enum ps_proto proto;
        int family;
        uint8_t addr[16];
        uint16_t port;
        bool listening;
        bool dual_stack;
        bool announced;
        unsigned seen;
        pid_t pid;
        char process[64];
        char container[72];
        bool judged;
        struct verdict verdict; /* its reason in English */
        char *text;             /* the reason in the reader's language (owned), or NULL */
        const struct sockets_entry *se; /* its entry in the dump, during the reconcile that made it */
};

struct watch_listeners {
        struct lent *v;
        size_t n, cap;
        uint32_t *netns_done; /* namespaces reconciled at least once */
        size_t nnetns, netns_cap;
};

struct watch_listeners *watch_listeners_new(void)
{
        return calloc(1, sizeof(struct watch_listeners));
}

void watch_listeners_free(struct watch_listeners *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].text);
        free(l->v);
        free(l->netns_done);
        free(l);
}

static int lent_cmp(const void *a, const void *b)
{
        const struct lent *x = a, *y = b;
        if (x->netns != y->netns)
                return x->netns < y->netns ? -1 : 1;
        if (x->proto != y->proto)
                return x->proto < y->proto ? -1 : 1;
        if (x->port != y->port)
                return x->port < y->port ? -1 : 1;
        if (x->family != y->family)
                return x->family < y->family ? -1 : 1;
        int c = memcmp(x->addr, y->addr, 16);
        if (c)
                return c;
        return (int)x->listening - (int)y->listening;
}

bool watch_listeners_has(const struct watch_listeners *l, uint32_t netns, enum ps_proto proto, int family,
                         const uint8_t addr[16], uint16_t port)
{
        if (!l)
                return false;
        /* binary search to the first entry of (netns, proto, port), then look at its addresses */
        size_t lo = 0, hi = l->n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                const struct lent *e = &l->v[mid];
                bool before = e->netns < netns || (e->netns == netns && (e->proto < proto || (e->proto == proto && e->port < port)));
                if (before)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; i < l->n; i++) {
                const struct lent *e = &l->v[i];
                if (e->netns != netns || e->proto != proto || e->port != port)
                        break;
                if (sockets_addr_is_any(e->family, e->addr)) {
                        if (e->family == family || (e->family == AF_INET6 && e->dual_stack))
                                return true;
                        continue;
                }
                if (e->family == family && memcmp(e->addr, addr, family == AF_INET ? 4 : 16) == 0)
                        return true;
                /* an IPv4 packet to an IPv4-mapped IPv6 socket address */
                static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
                if (family == AF_INET && e->family == AF_INET6 && memcmp(e->addr, mapped, 12) == 0 &&
                    memcmp(e->addr + 12, addr, 4) == 0)
                        return true;
        }
        return false;
}

static bool keep_socket(const struct sockets_entry *e, void *data)
{
        (void)data;
        if (e->proto == SOCKETS_TCP)
                return e->listening;
        return e->proto == SOCKETS_UDP;
}

static bool netns_done(struct watch_listeners *l, uint32_t netns, bool mark)
{
        for (size_t i = 0; i < l->nnetns; i++)
                if (l->netns_done[i] == netns)
                        return true;
        if (mark && PS_GROW(l->netns_done, l->netns_cap, l->nnetns + 1, SIZE_MAX) == 0)
                l->netns_done[l->nnetns++] = netns;
        return false;
}

/* The verdict, its reason in English (JSON lines, syslog, the store). */
static void judge_listener(const struct verdict_context *vc, const struct sockets_list *sl,
                           const struct sockets_entry *se, const bool *serving, struct lent *x)
{
        const struct ps_language *was = ps_i18n_use_english();
        verdict_judge_in(vc, sl, se, serving, &x->verdict);
        ps_i18n_thread_use(was);
        x->verdict.matched = NULL; /* borrowed from the dump: gone after it */
        x->judged = true;
        x->se = se;
}

/* The reason again in the reader's language, for the terminal: taken over from the entry's last
 * sighting o (may be NULL) when its English reason has not changed, else composed. */
static void reader_text(const struct verdict_context *vc, const struct sockets_list *sl, const bool *serving,
                        struct lent *o, struct lent *x)
{
        if (!x->judged || x->text)
                return;
        if (o && o->text && strcmp(o->verdict.reason, x->verdict.reason) == 0) {
                x->text = o->text;
                o->text = NULL;
                return;
        }
        struct verdict v;
        verdict_judge_in(vc, sl, x->se, serving, &v);
        x->text = strdup(v.reason); /* out of memory: the English one is shown */
}

static void event_of(const struct lent *x, enum watch_event_kind kind, int64_t now_ms, struct watch_event *e)
{
        memset(e, 0, sizeof(*e));
        e->kind = kind;
        e->time_ms = now_ms;
        e->netns = x->netns;
        e->family = x->family;
        e->proto = x->proto;
        e->port = x->port;
        memcpy(e->address, x->addr, 16);
        e->pid = x->pid;
        e->process = x->process;
        e->container = x->container;
        e->judged = x->judged;
        e->verdict = x->verdict;
        e->reason_text = x->text;
}

int watch_listeners_reconcile(struct watch_listeners *l, const struct verdict_context *vc, int netns_fd, uint32_t netns,
                              bool announce_first, int64_t now_ms, void (*emit)(struct watch_event *e, void *data),
                              void *data)
{
        struct sockets_query q = SOCKETS_QUERY_INIT;
        q.flags = SOCKETS_LISTENING | SOCKETS_CONNECTED | SOCKETS_NO_RAW | SOCKETS_NO_PACKET | SOCKETS_NO_SCTP;
        q.netns_fd = netns_fd;
        struct sockets_list *sl = NULL;
        int r = sockets_collect(&q, keep_socket, NULL, &sl);
        if (r < 0)
                return r;
        bool *serving = verdict_serving_processes(sl);

        /* the new table: other namespaces' entries as they were, this one's from the dump */
        size_t cap = l->n + sl->n + 1;
        struct lent *nv = calloc(cap, sizeof(*nv));
        if (!nv) {
                free(serving);
                sockets_list_free(sl);
                return -ENOMEM;
        }
        size_t nn = 0;
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].netns != netns)
                        nv[nn++] = l->v[i];
        size_t first_new = nn;
        for (size_t i = 0; i < sl->n; i++) {
                const struct sockets_entry *se = &sl->v[i];
                enum ps_proto proto;
                if (!sockets_proto_to_ps(se->proto, &proto))
                        continue;
                struct lent *x = &nv[nn++];
                x->netns = netns;
                x->proto = proto;
                x->family = se->family;
                memcpy(x->addr, se->local, 16);
                x->port = se->port;
                x->listening = se->listening;
                x->dual_stack = se->dual_stack;
                const struct sockets_process *owner = sockets_entry_owner(sl, se, 0);
                if (owner) {
                        x->pid = owner->pid;
                        snprintf(x->process, sizeof(x->process), "%s", owner->comm);
                        snprintf(x->container, sizeof(x->container), "%s", owner->container);
                }
                if (x->listening && vc)
                        judge_listener(vc, sl, se, serving, x);
        }
        qsort(nv + first_new, nn - first_new, sizeof(*nv), lent_cmp);
        /* duplicates (one port, several sockets: SO_REUSEPORT) count once */
        size_t w = first_new;
        for (size_t i = first_new; i < nn; i++) {
                if (w == first_new || lent_cmp(&nv[w - 1], &nv[i]) != 0)
                        nv[w++] = nv[i];
                else
                        free(nv[i].text);
        }
        nn = w;

        bool known = netns_done(l, netns, true);
        bool english = ps_i18n_is_english();
        /* old entries of this namespace (l->v is sorted) against the new ones (sorted) */
        size_t i = 0, j = first_new;
        size_t oi = 0;
        while (oi < l->n && l->v[oi].netns != netns)
                oi++;
        i = oi;
        while (i < l->n || j < nn) {
                struct lent *o = i < l->n && l->v[i].netns == netns ? &l->v[i] : NULL;
                struct lent *x = j < nn ? &nv[j] : NULL;
                int c = !o ? 1 : !x ? -1 : lent_cmp(o, x);
                if (c < 0) { /* gone */
                        if (o->listening && o->announced) {
                                struct watch_event e;
                                event_of(o, WATCH_EVENT_LISTENER_GONE, now_ms, &e);
                                emit(&e, data);
                        }
                        i++;
                        if (i < l->n && l->v[i].netns != netns)
                                i = l->n;
                        continue;
                }
                if (!english)
                        reader_text(vc, sl, serving, c == 0 ? o : NULL, x);
                x->se = NULL; /* the dump goes at the end of this call */
                if (c == 0) {
                        x->seen = o->seen + 1;
                        x->announced = o->announced;
                        i++;
                        if (i < l->n && l->v[i].netns != netns)
                                i = l->n;
                } else {
                        x->seen = 1;
                }
                if (x->listening && !x->announced) {
                        if (!known && !announce_first) {
                                x->announced = true; /* what was there when we started: not news */
                        } else if (x->proto == PS_TCP || x->seen >= 2) {
                                x->announced = true;
                                struct watch_event e;
                                event_of(x, WATCH_EVENT_LISTENER_NEW, now_ms, &e);
                                emit(&e, data);
                        }
                }
                j++;
        }
        qsort(nv, nn, sizeof(*nv), lent_cmp);
        /* this namespace's old entries give way to the new ones; the others moved into nv */
        for (size_t k = 0; k < l->n; k++)
                if (l->v[k].netns == netns)
                        free(l->v[k].text);
        free(l->v);
        l->v = nv;
        l->n = nn;
        l->cap = cap;
        free(serving);
        sockets_list_free(sl);
        return 0;
}

void watch_listeners_forget(struct watch_listeners *l, uint32_t netns, int64_t now_ms,
                            void (*emit)(struct watch_event *e, void *data), void *data)
{
        size_t n = 0;
        for (size_t i = 0; i < l->n; i++) {
                struct lent *x = &l->v[i];
                if (x->netns != netns) {
                        l->v[n++] = *x;
                        continue;
                }
                if (x->listening && x->announced) {
                        struct watch_event e;
                        event_of(x, WATCH_EVENT_LISTENER_GONE, now_ms, &e);
                        emit(&e, data);
                }
                free(x->text);
        }
        l->n = n;
        for (size_t i = 0; i < l->nnetns; i++)
                if (l->netns_done[i] == netns) {
                        l->netns_done[i] = l->netns_done[--l->nnetns];
                        break;
                }
}

void watch_listeners_brief(const struct verdict_context *vc, uint32_t netns, int family, const uint8_t addr[16],
                           uint16_t port, pid_t pid, const char *comm, int64_t now_ms,
                           void (*emit)(struct watch_event *e, void *data), void *data)
{
        /* A list of one socket and its process, as the dump would have had them, for the judge. */
        struct sockets_process proc = { .pid = pid, .uid = (uid_t)-1, .comm = comm, .cmdline = "", .exe = comm,
                                        .path = "", .user = "", .cgroup = "", .unit = "", .container = "" };
        uint32_t owner = 0;
        struct sockets_entry se = { .proto = SOCKETS_TCP, .family = family, .listening = true, .port = port,
                                    .owners = &owner, .nowners = 1 };
        memcpy(se.local, addr, 16);
        se.exposure = sockets_addr_is_any(family, addr) ? SOCKETS_EXPOSURE_ALL
                      : sockets_addr_is_loopback(family, addr) ? SOCKETS_EXPOSURE_LOOPBACK
                                                                : SOCKETS_EXPOSURE_ADDRESS;
        struct sockets_list sl = { .v = &se, .n = 1, .procs = &proc, .nprocs = 1 };
        sl.owners.done = true;
        sl.owners.privileged = true;
        struct lent x = { .netns = netns, .proto = PS_TCP, .family = family, .port = port, .listening = true, .pid = pid };
        memcpy(x.addr, addr, 16);
        snprintf(x.process, sizeof(x.process), "%s", comm);
        if (vc) {
                judge_listener(vc, &sl, &se, NULL, &x);
                if (!ps_i18n_is_english()) {
                        struct verdict v;
                        verdict_judge_in(vc, &sl, &se, NULL, &v);
                        x.text = strdup(v.reason);
                }
        }
        struct watch_event e;
        event_of(&x, WATCH_EVENT_LISTENER_NEW, now_ms, &e);
        emit(&e, data);
        event_of(&x, WATCH_EVENT_LISTENER_GONE, now_ms, &e);
        emit(&e, data);
        free(x.text);
}
