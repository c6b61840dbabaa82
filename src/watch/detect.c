/* watch: from probes to events. Each source (address, namespace) has a bounded record: distinct
 * closed ports (a short list, then a bitmap per protocol), a weighted window for the vertical
 * rule (scanlogd's: system ports weigh 3, others 1, 21 points in 60 s), a total for the slow rule
 * (25 ports, forgotten after 15 min idle) and when it was last reported. Sources are kept in
 * least-recently-used order and the oldest goes when the table is full. The sweep rule (one port
 * across many local addresses or namespaces) keys on (source address, protocol, port) in a
 * direct-mapped cache; so does the repetition limit of probe events. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "portscope/i18n.h"
#include "portscope/registry.h"
#include "portscope/sockets.h"
#include "portscope/watch.h"
#include "watch-internal.h"

#define SMALL_PORTS 16
#define BUCKETS 8192
#define MAX_BITMAPS 512
#define REPEAT_SLOTS 16384
#define SWEEP_SLOTS 4096
#define SWEEP_TARGETS 32

struct source {
        int family;
        uint8_t addr[16];
        uint32_t netns;
        uint32_t hash;
        struct source *hnext, *prev, *next; /* hash chain; LRU list (head: most recent) */
        int64_t first_ms, last_ms;
        uint64_t probes;
        uint32_t nports;
        uint32_t small[SMALL_PORTS]; /* proto << 16 | port */
        unsigned nsmall;
        uint8_t *bitmap;             /* 2 x 8192 bytes: TCP, then UDP */
        int64_t win_start;
        unsigned win_points;
        int64_t reported_ms;         /* 0: never reported */
        enum watch_rule rule;        /* the rule of the last report */
        uint32_t targets;            /* sweep: the widest seen */
        enum ps_proto last_proto;
        uint16_t last_port;
        uint8_t last_daddr[16];
        /* The port a scan is judged by: the first of the worst kind it touched (port_rank()). */
        enum ps_proto worst_proto;
        uint16_t worst_port;
        unsigned worst_rank;
        unsigned reported_rank;      /* worst_rank at the last report */
};

struct repeat_slot {
        uint32_t hash;
        int64_t ms;
};

struct sweep_slot {
        int family;
        uint8_t addr[16];
        uint32_t key;          /* proto << 16 | port; 0xffffffff: empty */
        int64_t start;
        uint32_t targets[SWEEP_TARGETS];
        unsigned ntargets;
};

struct watch_detector {
        struct watch_rules rules;
        const struct registry *reg;
        struct source *buckets[BUCKETS];
        struct source *head, *tail;
        size_t nsources, nbitmaps;
        uint64_t evicted;
        struct repeat_slot repeat[REPEAT_SLOTS];
        struct sweep_slot *sweep;
        /* Of the feed running: a reported source that is evicted or starts a new story first gets
         * its final summary (its probes were counted; losing them hid the first of two scans). */
        void (*emit)(struct watch_event *e, void *data);
        void *emit_data;
        int64_t now_ms;
        /* probe-rate: the second being counted, its probe events, those held back */
        int64_t rate_sec;
        unsigned rate_n;
        uint64_t held, held_total;
        char held_msg[160], held_text[256];
};

/* UDP only: NetBIOS's 139/tcp (the session service) is a worm's target, not broadcast chatter. */
static const struct { uint16_t lo, hi; } chatty[] = {
        { 67, 68 }, { 137, 138 }, { 546, 547 }, { 1900, 1900 }, { 5353, 5353 }, { 5355, 5355 },
};

/* Services that answer from their well-known port to the client's ephemeral one: an answer that
 * comes after the client gave up (a DNS reply after its 50 ms timeout) meets a closed port, and is
 * a late reply, not a probe. Reported as probes they made the host's own resolver a "vertical
 * scan", the line fail2ban bans. */
static const uint16_t answering[] = { 53, 123, 161, 443, 500, 853, 1900, 3478, 4500, 5353 };

static bool late_reply(const struct watch_rules *r, const struct watch_packet *p)
{
        if (p->proto != PS_UDP || p->dport < r->ephemeral_lo || p->dport > r->ephemeral_hi)
                return false;
        for (size_t i = 0; i < sizeof(answering) / sizeof(answering[0]); i++)
                if (p->sport == answering[i])
                        return true;
        return false;
}

void watch_rules_default(struct watch_rules *r)
{
        memset(r, 0, sizeof(*r));
        r->dark_repeat_s = 600;
        r->vertical_points = 21;
        r->vertical_window_s = 60;
        r->system_weight = 3;
        r->slow_ports = 25;
        r->slow_idle_s = 900;
        r->sweep_targets = 10;
        r->sweep_window_s = 60;
        r->summary_s = 3600;
        r->max_sources = 4096;
        r->probe_rate = 100;
        r->probes_all = true;
        r->ignore_loopback = true;
        r->ignore_chatty = true;
        r->ephemeral_lo = 32768; /* Linux's default ip_local_port_range; the program reads the
                                  * watched namespace's own (portscope watch: ephemeral_range()) */
        r->ephemeral_hi = 60999;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
        if (!*s || *s < '0' || *s > '9')
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

int watch_rules_set(struct watch_rules *r, const char *setting)
{
        static const struct { const char *name; size_t off; unsigned long min, max; } names[] = {
                { "dark-repeat", offsetof(struct watch_rules, dark_repeat_s), 0, 86400 },
                { "vertical-points", offsetof(struct watch_rules, vertical_points), 1, 1000000 },
                { "vertical-window", offsetof(struct watch_rules, vertical_window_s), 1, 86400 },
                { "system-weight", offsetof(struct watch_rules, system_weight), 1, 1000 },
                { "slow-ports", offsetof(struct watch_rules, slow_ports), 1, 131072 },
                { "slow-idle", offsetof(struct watch_rules, slow_idle_s), 1, 86400 * 7 },
                { "sweep-targets", offsetof(struct watch_rules, sweep_targets), 2, SWEEP_TARGETS },
                { "sweep-window", offsetof(struct watch_rules, sweep_window_s), 1, 86400 },
                { "summary", offsetof(struct watch_rules, summary_s), 1, 86400 * 7 },
                { "max-sources", offsetof(struct watch_rules, max_sources), 16, 1u << 20 },
                { "probe-rate", offsetof(struct watch_rules, probe_rate), 0, 1000000 },
        };
        const char *eq = strchr(setting, '=');
        if (!eq)
                return -EINVAL;
        size_t n = (size_t)(eq - setting);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                if (strlen(names[i].name) != n || strncmp(names[i].name, setting, n) != 0)
                        continue;
                unsigned long v;
                if (parse_uint(eq + 1, names[i].max, &v) < 0 || v < names[i].min)
                        return -EINVAL;
                *(unsigned *)((char *)r + names[i].off) = (unsigned)v;
                return 0;
        }
        return -EINVAL;
}

int watch_rules_ignore(struct watch_rules *r, const char *item)
{
        if (!*item)
                return -EINVAL;
        /* a port: digits first, and no ':' or '.' */
        if (*item >= '0' && *item <= '9' && !strchr(item, '.') && !strchr(item, ':')) {
                if (r->nignore_port >= WATCH_MAX_IGNORE)
                        return -ENOSPC;
                char buf[32];
                size_t len = strlen(item);
                if (len >= sizeof(buf))
                        return -EINVAL;
                memcpy(buf, item, len + 1);
                unsigned protos = PS_PROTO_BIT(PS_TCP) | PS_PROTO_BIT(PS_UDP);
                char *slash = strchr(buf, '/');
                if (slash) {
                        *slash = 0;
                        enum ps_proto p;
                        if (ps_proto_parse(slash + 1, &p) < 0)
                                return -EINVAL;
                        protos = PS_PROTO_BIT(p);
                }
                char *dash = strchr(buf, '-');
                if (dash)
                        *dash = 0;
                unsigned long lo, hi;
                if (parse_uint(buf, 65535, &lo) < 0)
                        return -EINVAL;
                hi = lo;
                if (dash && parse_uint(dash + 1, 65535, &hi) < 0)
                        return -EINVAL;
                if (hi < lo)
                        return -EINVAL;
                r->ignore_port[r->nignore_port].lo = (uint16_t)lo;
                r->ignore_port[r->nignore_port].hi = (uint16_t)hi;
                r->ignore_port[r->nignore_port].protos = protos;
                r->nignore_port++;
                return 0;
        }
        if (r->nignore_src >= WATCH_MAX_IGNORE)
                return -ENOSPC;
        const char *slash = strchr(item, '/');
        size_t alen = slash ? (size_t)(slash - item) : strlen(item);
        int family;
        uint8_t addr[16];
        if (sockets_parse_addr(item, alen, &family, addr) < 0)
                return -EINVAL;
        unsigned long prefix = family == AF_INET ? 32 : 128;
        if (slash && parse_uint(slash + 1, prefix, &prefix) < 0)
                return -EINVAL;
        r->ignore_src[r->nignore_src].family = family;
        memcpy(r->ignore_src[r->nignore_src].addr, addr, 16);
        r->ignore_src[r->nignore_src].prefix = (unsigned)prefix;
        r->nignore_src++;
        return 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
        unsigned bytes = bits / 8, rest = bits % 8;
        if (memcmp(a, b, bytes) != 0)
                return false;
        if (!rest)
                return true;
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        return (a[bytes] & mask) == (b[bytes] & mask);
}

static bool ignored(const struct watch_rules *r, const struct watch_packet *p)
{
        if (r->ignore_loopback && watch_addr_loopback(p->family, p->saddr))
                return true;
        if (r->ignore_chatty && p->proto == PS_UDP) {
                for (size_t i = 0; i < sizeof(chatty) / sizeof(chatty[0]); i++)
                        if (p->dport >= chatty[i].lo && p->dport <= chatty[i].hi)
                                return true;
                if (late_reply(r, p))
                        return true;
        }
        for (size_t i = 0; i < r->nignore_port; i++)
                if (p->dport >= r->ignore_port[i].lo && p->dport <= r->ignore_port[i].hi &&
                    (r->ignore_port[i].protos & PS_PROTO_BIT(p->proto)))
                        return true;
        for (size_t i = 0; i < r->nignore_src; i++)
                if (r->ignore_src[i].family == p->family && prefix_match(p->saddr, r->ignore_src[i].addr, r->ignore_src[i].prefix))
                        return true;
        return false;
}

struct watch_detector *watch_detector_new(const struct watch_rules *r, const struct registry *reg)
{
        struct watch_detector *d = calloc(1, sizeof(*d));
        if (!d)
                return NULL;
        d->sweep = calloc(SWEEP_SLOTS, sizeof(*d->sweep));
        if (!d->sweep) {
                free(d);
                return NULL;
        }
        for (size_t i = 0; i < SWEEP_SLOTS; i++)
                d->sweep[i].key = 0xffffffffu;
        d->rules = *r;
        d->reg = reg;
        return d;
}

/* Frees a source's port bitmap, keeping the detector's count of bitmaps right. */
static void bitmap_drop(struct watch_detector *d, struct source *s)
{
        if (s->bitmap)
                d->nbitmaps--;
        free(s->bitmap);
        s->bitmap = NULL;
}

static void source_free(struct watch_detector *d, struct source *s)
{
        bitmap_drop(d, s);
        free(s);
}

void watch_detector_free(struct watch_detector *d)
{
        if (!d)
                return;
        for (struct source *s = d->head, *n; s; s = n) {
                n = s->next;
                source_free(d, s);
        }
        free(d->sweep);
        free(d);
}

void watch_detector_stats(const struct watch_detector *d, size_t *ret_sources, uint64_t *ret_evicted)
{
        *ret_sources = d->nsources;
        *ret_evicted = d->evicted;
}

/* FNV-1a */
static uint32_t hash_bytes(uint32_t h, const void *p, size_t n)
{
        const uint8_t *b = p;
        for (size_t i = 0; i < n; i++)
                h = (h ^ b[i]) * 16777619u;
        return h;
}

static uint32_t source_hash(int family, const uint8_t addr[16], uint32_t netns)
{
        uint32_t h = hash_bytes(2166136261u, &family, sizeof(family));
        h = hash_bytes(h, addr, 16);
        return hash_bytes(h, &netns, sizeof(netns));
}

static void lru_unlink(struct watch_detector *d, struct source *s)
{
        if (s->prev)
                s->prev->next = s->next;
        else
                d->head = s->next;
        if (s->next)
                s->next->prev = s->prev;
        else
                d->tail = s->prev;
        s->prev = s->next = NULL;
}

static void lru_front(struct watch_detector *d, struct source *s)
{
        s->next = d->head;
        s->prev = NULL;
        if (d->head)
                d->head->prev = s;
        d->head = s;
        if (!d->tail)
                d->tail = s;
}

static void emit_scan(struct watch_detector *d, struct source *s, enum watch_rule rule, int64_t now_ms, bool final,
                      void (*emit)(struct watch_event *e, void *data), void *data);

/* How much a scan rule says: a sweep (one port, many targets) least, a stealth scan most. */
static unsigned rule_rank(enum watch_rule r)
{
        switch (r) {
        case WATCH_RULE_SWEEP: return 1;
        case WATCH_RULE_SLOW: return 2;
        case WATCH_RULE_VERTICAL: return 3;
        case WATCH_RULE_STEALTH: return 4;
        default: return 0;
        }
}

/* The final summary of a reported source whose story ends (evicted, or idle past slow-idle). */
static void summarise(struct watch_detector *d, struct source *s)
{
        if (s->reported_ms && d->emit)
                emit_scan(d, s, s->rule, d->now_ms, true, d->emit, d->emit_data);
}

static void source_remove(struct watch_detector *d, struct source *s)
{
        summarise(d, s);
        struct source **pp = &d->buckets[s->hash % BUCKETS];
        while (*pp && *pp != s)
                pp = &(*pp)->hnext;
        if (*pp)
                *pp = s->hnext;
        lru_unlink(d, s);
        d->nsources--;
        source_free(d, s);
}

static struct source *source_get(struct watch_detector *d, const struct watch_packet *p)
{
        uint32_t h = source_hash(p->family, p->saddr, p->netns);
        for (struct source *s = d->buckets[h % BUCKETS]; s; s = s->hnext)
                if (s->hash == h && s->family == p->family && s->netns == p->netns && memcmp(s->addr, p->saddr, 16) == 0) {
                        lru_unlink(d, s);
                        lru_front(d, s);
                        return s;
                }
        while (d->nsources >= d->rules.max_sources && d->tail) {
                source_remove(d, d->tail);
                d->evicted++;
        }
        struct source *s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->family = p->family;
        memcpy(s->addr, p->saddr, 16);
        s->netns = p->netns;
        s->hash = h;
        s->hnext = d->buckets[h % BUCKETS];
        d->buckets[h % BUCKETS] = s;
        lru_front(d, s);
        d->nsources++;
        return s;
}

static void source_reset(struct watch_detector *d, struct source *s)
{
        summarise(d, s);
        bitmap_drop(d, s);
        s->worst_rank = 0; /* the new story is judged by its own ports */
        s->reported_rank = 0;
        s->worst_port = 0;
        s->nports = 0;
        s->nsmall = 0;
        s->probes = 0;
        s->first_ms = 0;
        s->win_start = 0;
        s->win_points = 0;
        s->reported_ms = 0;
        s->rule = WATCH_RULE_NONE;
        s->targets = 0;
}

/* Marks (proto, port) seen; true when it is new for this source. */
static bool port_add(struct watch_detector *d, struct source *s, enum ps_proto proto, uint16_t port)
{
        uint32_t key = (uint32_t)proto << 16 | port;
        if (s->bitmap) {
                uint8_t *b = s->bitmap + (proto == PS_UDP ? 8192 : 0);
                if (b[port / 8] & (1u << (port % 8)))
                        return false;
                b[port / 8] |= (uint8_t)(1u << (port % 8));
                return true;
        }
        for (unsigned i = 0; i < s->nsmall; i++)
                if (s->small[i] == key)
                        return false;
        if (s->nsmall < SMALL_PORTS) {
                s->small[s->nsmall++] = key;
                return true;
        }
        /* a scanner: a bitmap (bounded in number: the least recently used sources go first) */
        while (d->nbitmaps >= MAX_BITMAPS && d->tail && d->tail != s) {
                source_remove(d, d->tail);
                d->evicted++;
        }
        s->bitmap = calloc(2, 8192);
        if (!s->bitmap)
                return true; /* out of memory: counted as new, never remembered */
        d->nbitmaps++;
        for (unsigned i = 0; i < s->nsmall; i++) {
                uint8_t *b = s->bitmap + ((s->small[i] >> 16) == PS_UDP ? 8192 : 0);
                uint16_t pt = (uint16_t)s->small[i];
                b[pt / 8] |= (uint8_t)(1u << (pt % 8));
        }
        return port_add(d, s, proto, port);
}

static bool is_dark(const struct watch_detector *d, enum ps_proto proto, uint16_t port)
{
        if (port >= 1024 || !d->reg)
                return false;
        enum registry_status st = registry_status(d->reg, port, proto);
        return st == REGISTRY_UNASSIGNED || st == REGISTRY_RESERVED || st == REGISTRY_NOT_ASSIGNED;
}

/* How bad a probe of the port is, as the registry judges an empty port: 3 a reserved or
 * unassigned system port, 2 any other port outside the dynamic range, 1 the dynamic range. */
static unsigned port_rank(const struct watch_detector *d, enum ps_proto proto, uint16_t port)
{
        if (is_dark(d, proto, port))
                return 3;
        return ps_range_of(port) == PS_RANGE_DYNAMIC ? 1 : 2;
}

static void fill_common(struct watch_event *e, const struct watch_packet *p, int64_t now_ms)
{
        memset(e, 0, sizeof(*e));
        e->time_ms = now_ms;
        e->netns = p->netns;
        e->family = p->family;
        e->proto = p->proto;
        e->port = p->dport;
        memcpy(e->source, p->saddr, 16);
        memcpy(e->address, p->daddr, 16);
        e->source_port = p->sport;
        e->probe_type = watch_probe_type(p->proto, p->tcp_flags);
}

static void emit_scan(struct watch_detector *d, struct source *s, enum watch_rule rule, int64_t now_ms, bool final,
                      void (*emit)(struct watch_event *e, void *data), void *data)
{
        struct watch_event e;
        memset(&e, 0, sizeof(e));
        e.kind = WATCH_EVENT_SCAN;
        e.rule = rule;
        e.time_ms = now_ms;
        e.netns = s->netns;
        e.family = s->family;
        /* A scan is judged by the worst port it touched, not by whichever came last. */
        e.proto = s->worst_rank ? s->worst_proto : s->last_proto;
        e.port = s->worst_rank ? s->worst_port : s->last_port;
        memcpy(e.source, s->addr, 16);
        memcpy(e.address, s->last_daddr, 16);
        e.probes = s->probes;
        e.ports = s->nports;
        e.targets = s->targets;
        e.first_ms = s->first_ms;
        e.last_ms = s->last_ms;
        e.final = final;
        s->reported_ms = now_ms;
        s->rule = rule;
        s->reported_rank = s->worst_rank;
        (void)d;
        emit(&e, data);
}

/* Sweep: distinct (local address, namespace) targets of one (source, protocol, port). */
static uint32_t sweep_feed(struct watch_detector *d, const struct watch_packet *p, int64_t now_ms)
{
        uint32_t key = (uint32_t)p->proto << 16 | p->dport;
        uint32_t h = hash_bytes(source_hash(p->family, p->saddr, 0), &key, sizeof(key));
        struct sweep_slot *sl = &d->sweep[h % SWEEP_SLOTS];
        if (sl->key != key || sl->family != p->family || memcmp(sl->addr, p->saddr, 16) != 0 ||
            now_ms - sl->start > (int64_t)d->rules.sweep_window_s * 1000) {
                sl->key = key;
                sl->family = p->family;
                memcpy(sl->addr, p->saddr, 16);
                sl->start = now_ms;
                sl->ntargets = 0;
        }
        uint32_t t = hash_bytes(hash_bytes(2166136261u, p->daddr, 16), &p->netns, sizeof(p->netns));
        for (unsigned i = 0; i < sl->ntargets; i++)
                if (sl->targets[i] == t)
                        return sl->ntargets;
        if (sl->ntargets < SWEEP_TARGETS)
                sl->targets[sl->ntargets++] = t;
        return sl->ntargets;
}

void watch_detector_feed(struct watch_detector *d, const struct watch_packet *p, int64_t now_ms,
                         void (*emit)(struct watch_event *e, void *data), void *data)
{
        const struct watch_rules *r = &d->rules;
        if (p->kind != WATCH_PACKET_PROBE && p->kind != WATCH_PACKET_FILTERED)
                return;
        if (ignored(r, p))
                return;
        d->emit = emit;
        d->emit_data = data;
        d->now_ms = now_ms;
        struct source *s = source_get(d, p);
        if (!s)
                return;
        if (s->last_ms && now_ms - s->last_ms > (int64_t)r->slow_idle_s * 1000)
                source_reset(d, s); /* idle long enough: a new story */
        if (!s->first_ms)
                s->first_ms = now_ms;
        s->last_ms = now_ms;
        s->probes++;
        s->last_proto = p->proto;
        s->last_port = p->dport;
        memcpy(s->last_daddr, p->daddr, 16);

        bool fresh = port_add(d, s, p->proto, p->dport);
        bool dark = is_dark(d, p->proto, p->dport);
        if (fresh) {
                s->nports++;
                unsigned rank = port_rank(d, p->proto, p->dport);
                if (rank > s->worst_rank) {
                        s->worst_rank = rank;
                        s->worst_proto = p->proto;
                        s->worst_port = p->dport;
                }
                if (!s->win_start || now_ms - s->win_start > (int64_t)r->vertical_window_s * 1000) {
                        s->win_start = now_ms;
                        s->win_points = 0;
                }
                s->win_points += p->dport < 1024 ? r->system_weight : 1;
        }
        uint32_t targets = sweep_feed(d, p, now_ms);
        if (targets > s->targets)
                s->targets = targets;

        /* a reported source is summarised, not re-announced, until summary_s has passed */
        bool quiet = s->reported_ms && now_ms - s->reported_ms < (int64_t)r->summary_s * 1000;
        enum watch_rule rule = WATCH_RULE_NONE;
        if (watch_probe_is_stealth(p->proto, p->tcp_flags))
                rule = WATCH_RULE_STEALTH;
        else if (s->win_points >= r->vertical_points)
                rule = WATCH_RULE_VERTICAL;
        else if (targets >= r->sweep_targets)
                rule = WATCH_RULE_SWEEP;
        else if (s->nports >= r->slow_ports)
                rule = WATCH_RULE_SLOW;
        /* Quiet, but worse than reported: a sweep that turns into a vertical scan, or a scan that
         * reaches the reserved system ports, is said again (a few times at most: both only rise). A
         * summary line would come too late for whoever acts on the first (fail2ban). */
        bool worse = quiet && rule != WATCH_RULE_NONE &&
                     (rule_rank(rule) > rule_rank(s->rule) || s->worst_rank > s->reported_rank);
        if (rule != WATCH_RULE_NONE && (!quiet || worse)) {
                if (worse && rule_rank(rule) < rule_rank(s->rule))
                        rule = s->rule;
                emit_scan(d, s, rule, now_ms, false, emit, data);
                return;
        }
        if (quiet || (!dark && !r->probes_all))
                return;
        /* a probe event: at most once per (source, protocol, port) per dark_repeat_s */
        uint32_t key = (uint32_t)p->proto << 16 | p->dport;
        uint32_t h = hash_bytes(s->hash, &key, sizeof(key));
        struct repeat_slot *rs = &d->repeat[h % REPEAT_SLOTS];
        if (!fresh && rs->hash == h && rs->ms && now_ms - rs->ms < (int64_t)r->dark_repeat_s * 1000)
                return;
        rs->hash = h;
        rs->ms = now_ms;
        if (r->probe_rate) {
                if (now_ms / 1000 != d->rate_sec) {
                        watch_detector_tick(d, now_ms, emit, data);
                        d->rate_sec = now_ms / 1000;
                        d->rate_n = 0;
                }
                if (d->rate_n >= r->probe_rate) {
                        d->held++;
                        return;
                }
                d->rate_n++;
        }
        struct watch_event e;
        fill_common(&e, p, now_ms);
        e.kind = WATCH_EVENT_PROBE;
        e.rule = p->kind == WATCH_PACKET_FILTERED ? WATCH_RULE_FILTERED : dark ? WATCH_RULE_DARK_PORT : WATCH_RULE_CLOSED_PORT;
        e.probes = s->probes;
        e.ports = s->nports;
        e.first_ms = s->first_ms;
        e.last_ms = s->last_ms;
        emit(&e, data);
}

void watch_detector_tick(struct watch_detector *d, int64_t now_ms, void (*emit)(struct watch_event *e, void *data),
                         void *data)
{
        if (!d->held || now_ms / 1000 == d->rate_sec)
                return;
        d->held_total += d->held;
        snprintf(d->held_msg, sizeof d->held_msg,
                 "%llu probe events not shown one by one (over probe-rate=%u a second); scans are still detected",
                 (unsigned long long)d->held, d->rules.probe_rate);
        /* TRANSLATORS: a status line of watch under a flood of probes; %1$llu is a count, %2$u the
         * limit (--rule probe-rate, not translated). */
        snprintf(d->held_text, sizeof d->held_text,
                 ps_ngettext("%1$llu probe event not shown one by one (over probe-rate=%2$u a second); scans are still "
                             "detected",
                             "%1$llu probe events not shown one by one (over probe-rate=%2$u a second); scans are "
                             "still detected",
                             (unsigned long)d->held),
                 (unsigned long long)d->held, d->rules.probe_rate);
        struct watch_event e = { .kind = WATCH_EVENT_STATUS, .time_ms = now_ms, .count = d->held,
                                 .message = d->held_msg, .text = d->held_text };
        d->held = 0;
        emit(&e, data);
}

void watch_detector_finish(struct watch_detector *d, int64_t now_ms, void (*emit)(struct watch_event *e, void *data),
                           void *data)
{
        d->rate_sec = -1; /* what was held back in the last second is said too */
        watch_detector_tick(d, now_ms, emit, data);
        for (struct source *s = d->tail; s; s = s->prev)
                if (s->reported_ms)
                        emit_scan(d, s, s->rule, now_ms, true, emit, data);
}
