/* portscope scan — the TCP SYN engine: raw sockets out, an AF_PACKET ring in, nothing stored
 * per probe.
 *
 * The sequence number of each SYN is a keyed hash of its 4-tuple (cookie.c); a SYN-ACK or RST
 * whose acknowledgement is that plus one is a reply to us, whatever happened in between. One
 * bit per pair records that it was answered; a retry pass walks the same permutation again and
 * resends what has no bit. Sender threads share the permutation (one per CPU: on a veth the
 * target's processing runs on the sending CPU, so more senders use more cores); one receiver
 * thread reads the ring and reports.
 *
 * Our source ports (61000-61999 by default) are outside the kernel's ephemeral range, so no
 * local connection can own them: the kernel answers each SYN-ACK with a RST because it knows no
 * such connection, which closes the half-open connection on the target, as nmap's scans do. (A
 * rule dropping those RSTs, as masscan suggests, leaves SYN_RECV entries on the target that
 * answer a later probe on the same 4-tuple with a stale SYN-ACK; the source port therefore
 * changes with every scan and every try, and a stale reply fails the cookie and is retried.)
 * Capabilities are dropped as soon as the sockets are open. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "engine-shared.h"
#include "probes/probes.h"

#include "portscope/i18n.h"

#define BATCH 64
#define SAMPLES 1024

struct sshared {
        const struct scan_config *c;
        const struct scan_probe_module *probe;
        struct scan_cookie_key key;
        struct scan_addr src4, src6;
        bool has4, has6;
        int raw4, raw6; /* shared by the senders: sendmmsg is atomic per message */
        struct scan_capture cap;
        struct scan_bitmap answered;
        uint32_t *port_index; /* port -> index + 1 */
        uint64_t npairs;
        /* the shared walk of the permutation */
        pthread_mutex_t lock;
        struct scan_perm perm;
        struct scan_sweep sweep; /* the pass being sent; its done0 read atomically by progress */
        size_t nextra;           /* resumed pairs, sent in every pass before the walk */
        unsigned pass;
        uint16_t sport_range;
        /* counters written by the senders (atomic) */
        uint64_t sent __attribute__((aligned(64))), send_errors;
        /* counters written by the receiver only, read atomically; a cache line apart from the
         * senders' (sharing one cost the receiver a tenth of its time) */
        uint64_t replies __attribute__((aligned(64))), invalid, open, closed, filtered, last_reply_ns;
        /* round trip samples: send time of pair idx at [idx % SAMPLES] */
        uint64_t sample_idx[SAMPLES], sample_ns[SAMPLES];
        struct scan_rtt rtt; /* receiver thread only */
        uint64_t srtt_ns;    /* published by the receiver */
        uint64_t min_rtt_ns;
        uint64_t rtt_samples; /* published by the receiver */
        /* congestion control (sender 0): the rate all senders share, 0 = unlimited */
        uint64_t rate_mpps;  /* probes per second * 1000, atomic */
        uint64_t cc_last, cc_sent, cc_drops, cc_samples, cc_hold_until;
        double cc_peak;      /* the highest rate actually sent over a tick */
        volatile int rx_stop;
        pthread_mutex_t rlock;
        unsigned ntx;
        bool stop_requested;
        struct scan_progress_clock pclock;
};

/* ++*p for a counter only one thread writes: no locked instruction. */
static void bump(uint64_t *p)
{
        __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

static bool want_stop(struct sshared *sh)
{
        return sh->stop_requested || (sh->c->stop && *sh->c->stop);
}

/* ---- receiving ------------------------------------------------------------------------------- */

static void on_packet(void *ud, const uint8_t *pkt, size_t len)
{
        struct sshared *sh = ud;
        const struct scan_config *c = sh->c;
        struct scan_reply r;
        if (!sh->probe->parse(pkt, len, c->sport_lo, c->sport_hi, &r))
                return;
        const struct scan_addr *src = r.target.family == AF_INET ? &sh->src4 : &sh->src6;
        if (scan_cookie(&sh->key, src, &r.target, r.our_port, r.port) != r.cookie_seen) {
                bump(&sh->invalid);
                return;
        }
        int64_t ti = scan_targets_index(c->targets, &r.target);
        uint32_t pi = sh->port_index[r.port];
        if (ti < 0 || pi == 0) {
                bump(&sh->invalid);
                return;
        }
        uint64_t idx = (uint64_t)ti * c->ports->n + (pi - 1);
        uint64_t now = scan_now_ns();
        __atomic_store_n(&sh->last_reply_ns, now, __ATOMIC_RELAXED);
        if (__atomic_load_n(&sh->sample_idx[idx % SAMPLES], __ATOMIC_RELAXED) == idx + 1) {
                uint64_t t = __atomic_load_n(&sh->sample_ns[idx % SAMPLES], __ATOMIC_RELAXED);
                if (t && now > t) {
                        scan_rtt_sample(&sh->rtt, (double)(now - t));
                        __atomic_store_n(&sh->srtt_ns, (uint64_t)sh->rtt.srtt, __ATOMIC_RELAXED);
                        __atomic_store_n(&sh->rtt_samples, sh->rtt.samples, __ATOMIC_RELAXED);
                        if (sh->min_rtt_ns == 0 || now - t < sh->min_rtt_ns)
                                __atomic_store_n(&sh->min_rtt_ns, now - t, __ATOMIC_RELAXED);
                }
        }
        /* Only the receiver sets bits; senders only read them (a stale read costs a resend). */
        if (!scan_bitmap_set(&sh->answered, idx))
                return;
        bump(&sh->replies);
        bump(r.state == SCAN_OPEN ? &sh->open : r.state == SCAN_CLOSED ? &sh->closed : &sh->filtered);
        struct scan_result res = { .index = idx, .addr = r.target, .port = r.port, .proto = PS_TCP,
                                   .state = r.state, .reason = r.reason, .ttl = r.ttl,
                                   .tries = (uint8_t)(sh->pass + 1) };
        pthread_mutex_lock(&sh->rlock);
        if (c->on_result && c->on_result(c->userdata, &res) < 0)
                sh->stop_requested = true;
        pthread_mutex_unlock(&sh->rlock);
}

static void *rx_main(void *arg)
{
        struct sshared *sh = arg;
        while (!__atomic_load_n(&sh->rx_stop, __ATOMIC_ACQUIRE)) {
                if (scan_capture_poll(&sh->cap, 2, on_packet, sh) < 0)
                        break;
        }
        while (scan_capture_poll(&sh->cap, 0, on_packet, sh) > 0)
                ;
        return NULL;
}

/* ---- sending ----------------------------------------------------------------------------------- */

struct sender {
        struct sshared *sh;
        unsigned id;
        struct scan_pacer pacer;
        uint8_t pkt[BATCH][64];
        struct sockaddr_storage dst[BATCH];
        struct iovec iov[BATCH];
        struct mmsghdr msg[BATCH];
        int fam[BATCH];
        unsigned n;
};

/* Takes up to max pairs of the current pass that are still unanswered; *ret_end when the pass
 * has no more. (The lock is held for a bounded walk: 0 pairs does not mean the end.) */
static size_t take(struct sshared *sh, uint64_t *out, size_t max, bool *ret_end)
{
        pthread_mutex_lock(&sh->lock);
        size_t n = scan_sweep_take(&sh->sweep, out, max, 64 * max, ret_end);
        pthread_mutex_unlock(&sh->lock);
        return n;
}

static int flush(struct sender *s)
{
        struct sshared *sh = s->sh;
        unsigned i = 0;
        while (i < s->n) {
                /* runs of one family go to one socket */
                unsigned j = i;
                while (j < s->n && s->fam[j] == s->fam[i])
                        j++;
                int fd = s->fam[i] == AF_INET ? sh->raw4 : sh->raw6;
                int r = sendmmsg(fd, s->msg + i, j - i, 0);
                if (r < 0) {
                        if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
                                struct timespec ts = { 0, 50000 };
                                nanosleep(&ts, NULL);
                                continue;
                        }
                        /* unreachable and the like: count and go on (the pair stays unanswered) */
                        __atomic_add_fetch(&sh->send_errors, 1, __ATOMIC_RELAXED);
                        i++;
                        continue;
                }
                __atomic_add_fetch(&sh->sent, (uint64_t)r, __ATOMIC_RELAXED);
                i += (unsigned)r;
        }
        s->n = 0;
        return 0;
}

static void queue(struct sender *s, uint64_t idx)
{
        struct sshared *sh = s->sh;
        const struct scan_config *c = sh->c;
        struct scan_addr dst;
        uint16_t dport;
        scan_pair(c, idx, &dst, &dport);
        /* A source port that differs per scan (the key) and per try: a retry is a new flow for the
         * target, and a half-open connection left from an earlier scan is not hit twice. */
        uint16_t sport = (uint16_t)(c->sport_lo +
                                    ((idx * UINT64_C(0x9E3779B1) + sh->pass * 131u + sh->key.k0) >> 7) % sh->sport_range);
        const struct scan_addr *src = dst.family == AF_INET ? &sh->src4 : &sh->src6;
        if ((dst.family == AF_INET && !sh->has4) || (dst.family == AF_INET6 && !sh->has6))
                return;
        uint32_t cookie = scan_cookie(&sh->key, src, &dst, sport, dport);
        unsigned k = s->n++;
        size_t len = sh->probe->make(s->pkt[k], src, &dst, sport, dport, cookie);
        memset(&s->dst[k], 0, sizeof(s->dst[k]));
        socklen_t sl;
        if (dst.family == AF_INET) {
                struct sockaddr_in *a = (struct sockaddr_in *)&s->dst[k];
                a->sin_family = AF_INET;
                memcpy(&a->sin_addr, dst.a, 4);
                sl = sizeof(*a);
        } else {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s->dst[k];
                a->sin6_family = AF_INET6;
                memcpy(&a->sin6_addr, dst.a, 16);
                sl = sizeof(*a);
        }
        s->fam[k] = dst.family;
        s->iov[k] = (struct iovec){ s->pkt[k], len };
        s->msg[k].msg_hdr = (struct msghdr){ .msg_name = &s->dst[k], .msg_namelen = sl, .msg_iov = &s->iov[k],
                                             .msg_iovlen = 1 };
        if (idx % 61 == 0) {
                __atomic_store_n(&sh->sample_ns[idx % SAMPLES], scan_now_ns(), __ATOMIC_RELAXED);
                __atomic_store_n(&sh->sample_idx[idx % SAMPLES], idx + 1, __ATOMIC_RELAXED);
        }
}

static void progress(struct sshared *sh, bool force)
{
        if (!sh->c->on_progress)
                return;
        struct scan_progress p = {
                .total = sh->npairs / sh->c->nshards,
                .sent = __atomic_load_n(&sh->sent, __ATOMIC_RELAXED),
                .done = __atomic_load_n(&sh->sweep.done0, __ATOMIC_RELAXED),
                .found = __atomic_load_n(&sh->open, __ATOMIC_RELAXED),
                .pass = sh->pass,
        };
        scan_progress_tick(sh->c, &sh->pclock, &p, force);
}

/* Sender 0, every 4 ms: as fast as the target and our capture keep up. New evidence of
 * congestion (the capture ring dropped replies, or fresh round trip samples show replies queueing
 * up: smoothed round trip > 8 x the best one and > best + 2 ms) cuts the rate to 70% of what was
 * actually sent, at most once per hold time (4 round trips, at least 20 ms), so that a cut shows
 * its effect before the next one; otherwise the rate grows by 5% a tick, up to twice the best
 * rate sent so far (and --rate). Without fresh samples there is no verdict: the srtt of a pass
 * that sends little is stale, and once kept the rate at its floor for a whole retry pass. */
static void congestion(struct sshared *sh)
{
        const struct scan_config *c = sh->c;
        uint64_t now = scan_now_ns();
        if (sh->cc_last == 0) {
                sh->cc_last = now;
                sh->cc_sent = __atomic_load_n(&sh->sent, __ATOMIC_RELAXED);
                return;
        }
        if (now - sh->cc_last < 4000000u)
                return;
        uint64_t sent = __atomic_load_n(&sh->sent, __ATOMIC_RELAXED);
        double actual = (double)(sent - sh->cc_sent) * 1e9 / (double)(now - sh->cc_last);
        sh->cc_last = now;
        sh->cc_sent = sent;
        if (actual > sh->cc_peak)
                sh->cc_peak = actual;
        scan_capture_update_drops(&sh->cap);
        uint64_t drops = __atomic_load_n(&sh->cap.drops, __ATOMIC_RELAXED);
        uint64_t samples = __atomic_load_n(&sh->rtt_samples, __ATOMIC_RELAXED);
        uint64_t srtt = __atomic_load_n(&sh->srtt_ns, __ATOMIC_RELAXED);
        uint64_t minr = __atomic_load_n(&sh->min_rtt_ns, __ATOMIC_RELAXED);
        bool fresh = samples > sh->cc_samples;
        bool congested = drops > sh->cc_drops || (fresh && minr && srtt > 8 * minr && srtt > minr + 2000000u);
        sh->cc_drops = drops;
        sh->cc_samples = samples;
        double rate = (double)__atomic_load_n(&sh->rate_mpps, __ATOMIC_RELAXED) / 1000;
        if (congested) {
                if (now < sh->cc_hold_until)
                        return;
                double base = rate > 0 && rate < actual ? rate : actual;
                rate = base * 0.7;
                if (rate < 1000)
                        rate = 1000;
                uint64_t hold = 4 * srtt;
                sh->cc_hold_until = now + (hold > 20000000u ? hold : 20000000u);
        } else if (rate > 0) {
                rate *= 1.05;
                double top = 2 * sh->cc_peak > 1000 ? 2 * sh->cc_peak : 1000;
                if (rate > top)
                        rate = top;
        }
        if (c->rate > 0 && (rate == 0 || rate > c->rate))
                rate = c->rate;
        __atomic_store_n(&sh->rate_mpps, (uint64_t)(rate * 1000), __ATOMIC_RELAXED);
}

/* The sender's share of the current rate. */
static void pace_update(struct sender *s)
{
        struct sshared *sh = s->sh;
        if (s->id == 0)
                congestion(sh);
        s->pacer.rate = (double)__atomic_load_n(&sh->rate_mpps, __ATOMIC_RELAXED) / 1000 / sh->ntx;
}

static void *tx_main(void *arg)
{
        struct sender *s = arg;
        struct sshared *sh = s->sh;
        uint64_t idx[BATCH];
        for (;;) {
                if (want_stop(sh))
                        break;
                pace_update(s);
                /* Take a batch first, pace its sending after: a retry pass skips the answered
                 * pairs at memory speed, whatever the rate. */
                bool end;
                size_t n = take(sh, idx, BATCH, &end);
                if (n == 0 && end)
                        break;
                /* Ctrl-C stops the batch too: at a low rate one batch lasts 64/rate seconds. The pairs
                 * taken and not sent have no answer: the final walk makes them pending (--resume). */
                for (size_t i = 0; i < n && !want_stop(sh);) {
                        size_t k = (size_t)scan_pacer_take(&s->pacer, n - i);
                        while (k-- > 0)
                                queue(s, idx[i++]);
                        flush(s);
                        if (i < n)
                                pace_update(s);
                }
                if (s->id == 0)
                        progress(sh, false);
        }
        return NULL;
}

/* After a pass: wait until replies stop coming (a few round trips of silence), at most timeout. */
static void settle(struct sshared *sh)
{
        const struct scan_config *c = sh->c;
        uint64_t start = scan_now_ns(), max = (uint64_t)c->timeout_ms * 1000000u;
        uint64_t min_quiet = (uint64_t)c->min_timeout_ms * 1000000u;
        for (;;) {
                uint64_t now = scan_now_ns();
                uint64_t srtt = __atomic_load_n(&sh->srtt_ns, __ATOMIC_RELAXED);
                uint64_t quiet = srtt > 0 ? (uint64_t)(4 * srtt) : max;
                if (quiet < min_quiet)
                        quiet = min_quiet;
                uint64_t last = __atomic_load_n(&sh->last_reply_ns, __ATOMIC_RELAXED);
                if (last < start)
                        last = start;
                if (now - start >= max || now - last >= quiet || want_stop(sh))
                        return;
                struct timespec ts = { 0, 200000 };
                nanosleep(&ts, NULL);
                progress(sh, false);
        }
}

/* A pair that never answered: filtered (the report lists a host's first SCAN_FILTERED_LISTED,
 * counts more). */
static void silent(void *ud, uint64_t v)
{
        struct sshared *sh = ud;
        const struct scan_config *c = sh->c;
        sh->filtered++;
        if (c->on_result) {
                struct scan_result res = { .index = v, .proto = PS_TCP, .state = SCAN_FILTERED,
                                           .reason = SCAN_REASON_NO_RESPONSE, .tries = (uint8_t)(sh->pass + 1) };
                scan_pair(c, v, &res.addr, &res.port);
                c->on_result(c->userdata, &res);
        }
}

static int open_raw(int family, const struct scan_addr *src, char *err, size_t errlen)
{
        int fd = family == AF_INET ? socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW)
                                   : socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0)
                return scan_errf(err, errlen, -errno, _("cannot open a raw socket (needs CAP_NET_RAW): %s"),
                                 strerror(errno));
        int big = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
        setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
        if (family == AF_INET6) {
                struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
                memcpy(&a.sin6_addr, src->a, 16);
                if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                        int e = errno;
                        close(fd);
                        return scan_errf(err, errlen, -e, _("cannot bind the IPv6 raw socket: %s"), strerror(e));
                }
        }
        /* The raw socket receives every TCP packet too: never read, keep its buffer tiny. */
        int small = 1;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
        return fd;
}

/* Whether the kernel would send to a from the source address every probe of its family carries;
 * 0, or -EINVAL with the reason in err. */
static int check_source(const struct sshared *sh, const struct scan_addr *a, char *err, size_t errlen)
{
        const struct scan_addr *want = a->family == AF_INET ? &sh->src4 : &sh->src6;
        struct scan_addr src;
        bool routed = scan_route_source(a, &src) == 0;
        if (!(a->family == AF_INET ? sh->has4 : sh->has6) || (routed && scan_addr_compare(&src, want) == 0))
                return 0;
        char at[64], w[64], got[64];
        scan_addr_format(a, at, sizeof(at));
        scan_addr_format(want, w, sizeof(w));
        if (routed)
                scan_addr_format(&src, got, sizeof(got));
        else
                /* TRANSLATORS: in place of a source address: the kernel has no route to the target. */
                snprintf(got, sizeof(got), "%s", _("no route"));
        return scan_errf(err, errlen, -EINVAL,
                         /* TRANSLATORS: our source address towards the first target, then the one
                          * towards another target, and that target. */
                         _("the targets need different source addresses (%s towards the first, %s towards %s): scan "
                           "them in separate runs"),
                         w, got, at);
}

static int syn_run(const struct scan_config *c, struct scan_stats *stats, char *err, size_t errlen)
{
        struct sshared *sh = aligned_alloc(64, (sizeof(*sh) + 63) / 64 * 64);
        if (!sh)
                return -ENOMEM;
        memset(sh, 0, sizeof(*sh));
        sh->c = c;
        sh->probe = &scan_probe_tcp_syn;
        sh->raw4 = sh->raw6 = -1;
        sh->cap.fd = -1;
        sh->sport_range = (uint16_t)(c->sport_hi - c->sport_lo + 1);
        pthread_mutex_init(&sh->lock, NULL);
        pthread_mutex_init(&sh->rlock, NULL);
        int r;
        pthread_t rx = 0, tx[64];
        unsigned ntx = 0;
        bool rx_started = false;
        struct sender *senders = NULL;
        uint64_t ntargets = scan_targets_count(c->targets);
        sh->npairs = ntargets * c->ports->n;
        if (getrandom(&sh->key, sizeof(sh->key), 0) != sizeof(sh->key)) {
                r = scan_errf(err, errlen, -EIO, _("no random numbers for the cookie key"));
                goto out;
        }
        /* Source addresses: the kernel's choice towards the first target of each family. */
        struct scan_addr first;
        scan_targets_get(c->targets, 0, &first);
        /* IPv4 targets come first: the first IPv6 one is found by bisection. */
        uint64_t lo6 = 0, hi6 = ntargets;
        while (lo6 < hi6) {
                uint64_t mid = lo6 + (hi6 - lo6) / 2;
                struct scan_addr m;
                scan_targets_get(c->targets, mid, &m);
                if (m.family == AF_INET6)
                        hi6 = mid;
                else
                        lo6 = mid + 1;
        }
        struct scan_addr first6;
        if (first.family == AF_INET && scan_route_source(&first, &sh->src4) == 0)
                sh->has4 = true;
        if (lo6 < ntargets) {
                scan_targets_get(c->targets, lo6, &first6);
                if (scan_route_source(&first6, &sh->src6) == 0)
                        sh->has6 = true;
        }
        if (!sh->has4 && !sh->has6) {
                char a[64];
                scan_addr_format(&first, a, sizeof(a));
                r = scan_errf(err, errlen, -ENETUNREACH, _("no route to %s"), a);
                goto out;
        }
        /* One source address per family goes into every probe: a target that the routing table
         * reaches from another address would never see its answers come back to us. Checked at
         * both ends of every target interval and at every 256th address between them, which
         * finds the routes of a /24 or larger inside, up to 2^24 targets (65,536 lookups, well
         * under a second); above that every (targets / 65,536)th. */
        uint64_t step = ntargets > (UINT64_C(1) << 24) ? ntargets / 65536 : 256;
        for (size_t i = 0; i < scan_targets_nintervals(c->targets); i++) {
                struct scan_addr lo, hi;
                scan_targets_interval(c->targets, i, &lo, &hi);
                if ((r = check_source(sh, &lo, err, errlen)) < 0 || (r = check_source(sh, &hi, err, errlen)) < 0)
                        goto out;
        }
        for (uint64_t i = 0; i < ntargets; i += step) {
                struct scan_addr a;
                scan_targets_get(c->targets, i, &a);
                if ((r = check_source(sh, &a, err, errlen)) < 0)
                        goto out;
        }
        if (sh->has4 && (sh->raw4 = r = open_raw(AF_INET, &sh->src4, err, errlen)) < 0)
                goto out;
        if (sh->has6 && (sh->raw6 = r = open_raw(AF_INET6, &sh->src6, err, errlen)) < 0)
                goto out;
        r = scan_capture_open(&sh->cap, true, c->sport_lo, c->sport_hi, err, errlen);
        if (r < 0)
                goto out;
        if (c->drop_privileges && (r = scan_drop_privileges()) < 0) {
                r = scan_errf(err, errlen, r, _("cannot drop privileges: %s"), strerror(-r));
                goto out;
        }
        sh->port_index = calloc(65536, sizeof(uint32_t));
        if (!sh->port_index || scan_bitmap_init(&sh->answered, sh->npairs) < 0) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < c->ports->n; i++)
                sh->port_index[c->ports->ports[i]] = (uint32_t)i + 1;
        r = scan_perm_init(&sh->perm, sh->npairs, c->seed, c->shard, c->nshards);
        if (r < 0) {
                r = scan_errf(err, errlen, r, _("cannot set up the scan order"));
                goto out;
        }
        sh->nextra = c->nresume_pending;
        if (pthread_create(&rx, NULL, rx_main, sh) != 0) {
                r = scan_errf(err, errlen, -EAGAIN, _("cannot start the receiver"));
                goto out;
        }
        rx_started = true;

        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        /* One sender per CPU: a packet sent to a local or virtual interface is processed by the
         * kernel on the sending CPU (the target's answer and our capture too), so senders are
         * what spreads that work over the CPUs. The receiver shares them; when it falls behind,
         * the ring's drops slow the senders down (congestion()). */
        ntx = c->threads ? c->threads : (ncpu > 0 ? (unsigned)ncpu : 1);
        if (ntx > 64)
                ntx = 64;
        if (sh->npairs / c->nshards < 4096)
                ntx = 1;
        sh->ntx = ntx;
        sh->rate_mpps = (uint64_t)(c->rate * 1000);
        senders = calloc(ntx, sizeof(*senders));
        if (!senders) {
                r = -ENOMEM;
                goto out;
        }
        unsigned zero = 0;
        uint64_t answered_before = 0;
        for (;;) {
                scan_sweep_begin(&sh->sweep, c, &sh->perm, &sh->answered, sh->npairs, sh->pass);
                for (unsigned i = 0; i < ntx; i++) {
                        senders[i] = (struct sender){ .sh = sh, .id = i };
                        scan_pacer_init(&senders[i].pacer, c->rate / ntx);
                }
                unsigned started = 0;
                for (unsigned i = 1; i < ntx; i++)
                        if (pthread_create(&tx[i], NULL, tx_main, &senders[i]) == 0)
                                started = i;
                        else
                                break;
                tx_main(&senders[0]);
                for (unsigned i = 1; i <= started; i++)
                        pthread_join(tx[i], NULL);
                settle(sh);
                if (want_stop(sh))
                        break;
                uint64_t answered = __atomic_load_n(&sh->replies, __ATOMIC_RELAXED);
                uint64_t pairs = sh->sweep.done0 + sh->nextra;
                uint64_t left = pairs > answered ? pairs - answered : 0;
                if (!scan_retry_more(c, sh->pass, answered - answered_before, left, &zero))
                        break;
                answered_before = answered;
                sh->pass++;
        }
        /* Late replies still count: let the receiver finish what is in the ring. */
        __atomic_store_n(&sh->rx_stop, 1, __ATOMIC_RELEASE);
        pthread_join(rx, NULL);
        rx_started = false;
        scan_capture_update_drops(&sh->cap);

        stats->interrupted = want_stop(sh) && c->stop && *c->stop;
        /* Walk the shard once more: what has no bit is filtered (or pending, when interrupted). */
        uint64_t walked_to = sh->sweep.it.pos;
        if (scan_sweep_unanswered(c, &sh->perm, &sh->answered, sh->npairs, stats->interrupted ? walked_to : UINT64_MAX,
                                  stats->interrupted, stats, silent, sh) < 0) {
                r = scan_errf(err, errlen, -ENOMEM, _("out of memory"));
                goto out;
        }
        stats->resume_pos = walked_to;
        progress(sh, true);
        stats->pairs = sh->sweep.done0 + sh->nextra;
        stats->sent = sh->sent;
        stats->replies = sh->replies;
        stats->invalid = sh->invalid;
        stats->open = sh->open;
        stats->closed = sh->closed;
        stats->filtered = sh->filtered;
        stats->capture_drops = sh->cap.drops;
        stats->send_errors = sh->send_errors;
        stats->passes = sh->pass + 1;
        stats->srtt_ms = sh->rtt.srtt / 1e6;
        r = 0;
out:
        if (rx_started) {
                __atomic_store_n(&sh->rx_stop, 1, __ATOMIC_RELEASE);
                pthread_join(rx, NULL);
        }
        free(senders);
        scan_capture_close(&sh->cap);
        if (sh->raw4 >= 0)
                close(sh->raw4);
        if (sh->raw6 >= 0)
                close(sh->raw6);
        scan_bitmap_free(&sh->answered);
        free(sh->port_index);
        pthread_mutex_destroy(&sh->lock);
        pthread_mutex_destroy(&sh->rlock);
        free(sh);
        return r;
}

const struct scan_engine_ops scan_engine_syn_ops = {
        .name = "syn",
        .proto = PS_TCP,
        .needs_raw = true,
        .run = syn_run,
};
