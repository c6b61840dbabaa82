/* portscope scan — what the engines share: names, the dispatch table, round trip estimation,
 * pacing, the answered bitmap, privileges. */
#include <errno.h>
#include <linux/capability.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "scan-internal.h"
#include "portscope/i18n.h"
#include "portscope/util.h"

static const struct scan_engine_ops *const engines[SCAN_NENGINES] = {
        [SCAN_ENGINE_CONNECT] = &scan_engine_connect_ops,
        [SCAN_ENGINE_SYN] = &scan_engine_syn_ops,
        [SCAN_ENGINE_UDP] = &scan_engine_udp_ops,
};

const char *scan_engine_name(enum scan_engine e)
{
        return (unsigned)e < SCAN_NENGINES ? engines[e]->name : NULL;
}

int scan_engine_parse(const char *s, enum scan_engine *ret)
{
        static const struct {
                const char *name;
                enum scan_engine e;
        } names[] = {
                { "connect", SCAN_ENGINE_CONNECT }, { "-sT", SCAN_ENGINE_CONNECT }, { "sT", SCAN_ENGINE_CONNECT },
                { "T", SCAN_ENGINE_CONNECT },       { "tcp", SCAN_ENGINE_CONNECT }, { "syn", SCAN_ENGINE_SYN },
                { "-sS", SCAN_ENGINE_SYN },         { "sS", SCAN_ENGINE_SYN },      { "S", SCAN_ENGINE_SYN },
                { "udp", SCAN_ENGINE_UDP },         { "-sU", SCAN_ENGINE_UDP },     { "sU", SCAN_ENGINE_UDP },
                { "U", SCAN_ENGINE_UDP },
        };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(s, names[i].name) == 0) {
                        *ret = names[i].e;
                        return 0;
                }
        return -EINVAL;
}

const char *scan_state_name(enum scan_state s)
{
        static const char *const n[] = { "open", "closed", "filtered", "open|filtered" };
        return (unsigned)s < SCAN_NSTATES ? n[s] : "unknown";
}

const char *scan_unprobed_name(enum scan_unprobed u)
{
        static const char *const n[] = { NULL, "excluded", "interrupted", "no-files" };
        _Static_assert(sizeof(n) / sizeof(n[0]) == SCAN_NUNPROBED, "a name for every reason not to probe");
        return (unsigned)u < SCAN_NUNPROBED ? n[u] : NULL;
}

const char *scan_reason_name(enum scan_reason r)
{
        static const char *const n[] = {
                "syn-ack",    "reset",       "conn-refused", "no-response",      "udp-response",   "port-unreach",
                "host-unreach", "net-unreach", "admin-prohibited", "proto-unreach", "self-connect",
                "net-prohibited", "host-prohibited", "dest-unreach", "no-route", "beyond-scope", "reject-route",
        };
        _Static_assert(sizeof(n) / sizeof(n[0]) == SCAN_NREASONS, "a name for every reason");
        return (unsigned)r < SCAN_NREASONS ? n[r] : "unknown";
}

void scan_config_init(struct scan_config *c)
{
        memset(c, 0, sizeof(*c));
        c->engine = SCAN_ENGINE_CONNECT;
        c->nshards = 1;
        c->max_retries = -1;
        c->timeout_ms = 1000;
        c->min_timeout_ms = 5;
        c->sport_lo = 61000;
        c->sport_hi = 61999;
        c->udp_budget_ms = 5000;
        c->drop_privileges = true;
}

bool scan_privileged(void)
{
        int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

int scan_run(const struct scan_config *c, struct scan_stats *stats, char *err, size_t errlen)
{
        memset(stats, 0, sizeof(*stats));
        if ((unsigned)c->engine >= SCAN_NENGINES)
                return scan_errf(err, errlen, -EINVAL, _("unknown engine"));
        if (!c->targets || !c->ports || c->ports->n == 0 || scan_targets_count(c->targets) == 0)
                return scan_errf(err, errlen, -EINVAL, _("nothing to scan"));
        if (c->nshards == 0 || c->shard >= c->nshards)
                return scan_errf(err, errlen, -EINVAL, _("invalid shard"));
        uint64_t start = scan_now_ns();
        int r = engines[c->engine]->run(c, stats, err, errlen);
        stats->elapsed = (double)(scan_now_ns() - start) / 1e9;
        return r;
}

void scan_rtt_sample(struct scan_rtt *r, double ns)
{
        if (r->samples++ == 0) {
                r->srtt = ns;
                r->rttvar = ns / 2;
        } else {
                r->rttvar = 0.75 * r->rttvar + 0.25 * fabs(r->srtt - ns);
                r->srtt = 0.875 * r->srtt + 0.125 * ns;
        }
}

uint64_t scan_rtt_timeout(const struct scan_rtt *r, uint64_t min_ns, uint64_t max_ns)
{
        if (r->samples == 0)
                return max_ns;
        double t = r->srtt + 4 * r->rttvar;
        if (t < (double)min_ns)
                return min_ns;
        if (t > (double)max_ns)
                return max_ns;
        return (uint64_t)t;
}

void scan_pacer_init(struct scan_pacer *p, double rate)
{
        p->rate = rate;
        p->tokens = rate > 0 ? (rate / 1000 < 1 ? 1 : rate / 1000) : 0;
        p->last = scan_now_ns();
}

uint64_t scan_pacer_take(struct scan_pacer *p, uint64_t want)
{
        if (p->rate <= 0)
                return want;
        for (;;) {
                uint64_t now = scan_now_ns();
                p->tokens += (double)(now - p->last) * p->rate / 1e9;
                p->last = now;
                double burst = p->rate / 100 < 1 ? 1 : p->rate / 100; /* at most 10 ms worth */
                if (p->tokens > burst)
                        p->tokens = burst;
                if (p->tokens >= 1) {
                        uint64_t n = (uint64_t)p->tokens;
                        if (n > want)
                                n = want;
                        p->tokens -= (double)n;
                        return n;
                }
                double wait_ns = (1 - p->tokens) * 1e9 / p->rate;
                struct timespec ts = { 0, (long)(wait_ns < 1e6 ? wait_ns : 1e6) };
                nanosleep(&ts, NULL);
        }
}

int scan_bitmap_init(struct scan_bitmap *b, uint64_t n)
{
        b->n = n;
        b->w = calloc((n + 63) / 64, sizeof(uint64_t));
        return b->w ? 0 : -ENOMEM;
}

void scan_bitmap_free(struct scan_bitmap *b)
{
        free(b->w);
        b->w = NULL;
}

int scan_pending_add(struct scan_stats *stats, size_t *cap, uint64_t v)
{
        if (ps_grow(&stats->pending, cap, stats->npending + 1, sizeof(*stats->pending), SIZE_MAX) < 0)
                return -ENOMEM;
        stats->pending[stats->npending++] = v;
        return 0;
}

void scan_pair(const struct scan_config *c, uint64_t i, struct scan_addr *ret_addr, uint16_t *ret_port)
{
        uint64_t np = c->ports->n;
        scan_targets_get(c->targets, i / np, ret_addr);
        *ret_port = c->ports->ports[i % np];
}

void scan_progress_tick(const struct scan_config *c, struct scan_progress_clock *pc, struct scan_progress *p,
                        bool force)
{
        if (!c->on_progress)
                return;
        uint64_t now = scan_now_ns();
        if (pc->start == 0) {
                pc->start = pc->last = now;
                pc->last_sent = 0;
        }
        if (!force && now - pc->last < 100000000u)
                return;
        double dt = (double)(now - pc->last) / 1e9;
        if (dt > 0) {
                double inst = (double)(p->sent - pc->last_sent) / dt;
                pc->rate = pc->rate == 0 ? inst : 0.5 * pc->rate + 0.5 * inst;
        }
        pc->last = now;
        pc->last_sent = p->sent;
        p->elapsed = (double)(now - pc->start) / 1e9;
        p->rate = pc->rate;
        c->on_progress(c->userdata, p);
}

int scan_route_source(const struct scan_addr *dst, struct scan_addr *ret)
{
        int fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        socklen_t sl;
        if (dst->family == AF_INET) {
                struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
                s4->sin_family = AF_INET;
                s4->sin_port = htons(9);
                memcpy(&s4->sin_addr, dst->a, 4);
                sl = sizeof(*s4);
        } else {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(9);
                memcpy(&s6->sin6_addr, dst->a, 16);
                sl = sizeof(*s6);
        }
        /* A UDP connect sends nothing: it only asks the routing table. A subnet's broadcast address
         * is refused (EACCES) without SO_BROADCAST, though the route to it is as good as its
         * neighbours': every CIDR block holds one. */
        if (dst->family == AF_INET) {
                int one = 1;
                (void)setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
        }
        int r = 0;
        if (connect(fd, (struct sockaddr *)&ss, sl) < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
                r = -errno;
        } else {
                memset(ret, 0, sizeof(*ret));
                ret->family = dst->family;
                if (dst->family == AF_INET)
                        memcpy(ret->a, &((struct sockaddr_in *)&ss)->sin_addr, 4);
                else
                        memcpy(ret->a, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
        }
        close(fd);
        return r;
}

int scan_drop_privileges(void)
{
        /* Empty the bounding set while we still may, then every capability set. */
        for (int cap = 0; cap <= 63; cap++)
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM)
                        break;
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        struct __user_cap_data_struct d[2];
        memset(d, 0, sizeof(d));
        if (syscall(SYS_capset, &h, d) < 0)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

unsigned long scan_raise_nofile(void)
{
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return 1024;
        if (rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        getrlimit(RLIMIT_NOFILE, &rl);
        }
        return rl.rlim_cur == RLIM_INFINITY ? 1u << 20 : (unsigned long)rl.rlim_cur;
}
