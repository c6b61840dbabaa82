/* portscope scan — the UDP engine: protocol payloads out, answers and ICMP errors in.
 *
 * Works without privileges: one unconnected UDP socket per address family with IP_RECVERR, so
 * the kernel queues each ICMP error together with the destination of the datagram that caused
 * it (msg_name of MSG_ERRQUEUE). An answer means open, ICMP port unreachable closed, another
 * ICMP unreachable filtered, silence open|filtered.
 *
 * Targets limit their ICMP errors (Linux: about one a second per source by default), so the
 * first pass sends every probe at full speed and collects the ports that answer their payload;
 * the retries of the silent ports are then paced at the rate the target's ICMP errors came
 * back and stop when the budget (--udp-budget) is spent. Ports still silent then are reported
 * open|filtered and, when ICMP was visibly limited, unconfirmed. A first pass without any ICMP
 * error may be a limit already spent: icmp_spent() asks once more, a second later. */
#include <errno.h>
#include <time.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine-shared.h"

#include "portscope/i18n.h"

#define BATCH 64
#define SAMPLES 1024

struct udp {
        const struct scan_config *c;
        struct scan_payloads *payloads;
        int fd4, fd6;
        struct scan_bitmap answered;
        uint32_t *port_index;
        uint64_t npairs;
        struct scan_perm perm;
        struct scan_sweep sweep; /* the pass being sent */
        unsigned pass;
        uint64_t pass0_pos; /* how far pass 0 walked the order */
        uint64_t sent, replies, open, closed, filtered, open_filtered, icmp_in_pass, answers_in_pass, last_reply;
        uint64_t sample_idx[SAMPLES], sample_ns[SAMPLES];
        struct scan_rtt rtt;
        struct scan_progress_clock pclock;
        bool stop;
        bool budget_cut; /* a pass was cut short by the budget */
        bool unconfirmed; /* silent pairs: ICMP was limited or the budget ran out */
        unsigned char sink[BATCH][64]; /* answers are not kept: only that they came */
};

static bool want_stop(struct udp *u)
{
        return u->stop || (u->c->stop && *u->c->stop);
}

static bool from_sockaddr(const struct sockaddr_storage *ss, struct scan_addr *a, uint16_t *port)
{
        memset(a, 0, sizeof(*a));
        if (ss->ss_family == AF_INET) {
                const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
                a->family = AF_INET;
                memcpy(a->a, &s4->sin_addr, 4);
                *port = ntohs(s4->sin_port);
                return true;
        }
        if (ss->ss_family == AF_INET6) {
                const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
                a->family = AF_INET6;
                memcpy(a->a, &s6->sin6_addr, 16);
                *port = ntohs(s6->sin6_port);
                return true;
        }
        return false;
}

static void got(struct udp *u, const struct scan_addr *a, uint16_t port, enum scan_state st, enum scan_reason why)
{
        const struct scan_config *c = u->c;
        int64_t ti = scan_targets_index(c->targets, a);
        uint32_t pi = u->port_index[port];
        if (ti < 0 || pi == 0)
                return;
        uint64_t idx = (uint64_t)ti * c->ports->n + (pi - 1);
        uint64_t now = scan_now_ns();
        u->last_reply = now;
        if (u->sample_idx[idx % SAMPLES] == idx + 1 && now > u->sample_ns[idx % SAMPLES])
                scan_rtt_sample(&u->rtt, (double)(now - u->sample_ns[idx % SAMPLES]));
        if (!scan_bitmap_set(&u->answered, idx))
                return;
        u->replies++;
        u->answers_in_pass++;
        if (why == SCAN_REASON_PORT_UNREACH)
                u->icmp_in_pass++;
        uint64_t *ctr = st == SCAN_OPEN ? &u->open : st == SCAN_CLOSED ? &u->closed : &u->filtered;
        (*ctr)++;
        struct scan_result r = { .index = idx, .addr = *a, .port = port, .proto = PS_UDP, .state = st, .reason = why,
                                 .tries = (uint8_t)(u->pass + 1) };
        if (c->on_result && c->on_result(c->userdata, &r) < 0)
                u->stop = true;
}

static void drain(struct udp *u, int fd)
{
        if (fd < 0)
                return;
        /* Answers. */
        for (;;) {
                struct sockaddr_storage from[BATCH];
                struct iovec iov[BATCH];
                struct mmsghdr m[BATCH];
                for (int i = 0; i < BATCH; i++) {
                        iov[i] = (struct iovec){ u->sink[i], sizeof(u->sink[i]) };
                        m[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof(from[i]),
                                                        .msg_iov = &iov[i], .msg_iovlen = 1 };
                }
                int n = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
                if (n <= 0)
                        break;
                for (int i = 0; i < n; i++) {
                        struct scan_addr a;
                        uint16_t port;
                        if (from_sockaddr(&from[i], &a, &port))
                                got(u, &a, port, SCAN_OPEN, SCAN_REASON_UDP_RESPONSE);
                }
        }
        /* ICMP errors, with the destination of the datagram that caused each. */
        for (;;) {
                struct sockaddr_storage dst;
                unsigned char buf[64];
                union {
                        char b[512];
                        struct cmsghdr align;
                } ctl;
                struct iovec iov = { buf, sizeof(buf) };
                struct msghdr mh = { .msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = &iov, .msg_iovlen = 1,
                                     .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
                if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
                        break;
                for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
                        if (!((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
                              (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)))
                                continue;
                        struct sock_extended_err ee;
                        memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
                        struct scan_addr a;
                        uint16_t port;
                        if (!from_sockaddr(&dst, &a, &port))
                                continue;
                        if (ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_type == 3) {
                                if (ee.ee_code == 3)
                                        got(u, &a, port, SCAN_CLOSED, SCAN_REASON_PORT_UNREACH);
                                else
                                        got(u, &a, port, SCAN_FILTERED, scan_icmp_unreach_reason(false, ee.ee_code));
                        } else if (ee.ee_origin == SO_EE_ORIGIN_ICMP6 && ee.ee_type == 1) {
                                if (ee.ee_code == 4)
                                        got(u, &a, port, SCAN_CLOSED, SCAN_REASON_PORT_UNREACH);
                                else
                                        got(u, &a, port, SCAN_FILTERED, scan_icmp_unreach_reason(true, ee.ee_code));
                        } else if (ee.ee_origin == SO_EE_ORIGIN_LOCAL && ee.ee_errno == ECONNREFUSED) {
                                got(u, &a, port, SCAN_CLOSED, SCAN_REASON_PORT_UNREACH);
                        }
                }
        }
}

static void drain_all(struct udp *u, int wait_ms)
{
        struct pollfd p[2] = { { .fd = u->fd4, .events = POLLIN | POLLERR }, { .fd = u->fd6, .events = POLLIN | POLLERR } };
        if (wait_ms > 0)
                poll(p, 2, wait_ms);
        drain(u, u->fd4);
        drain(u, u->fd6);
}

/* A pair that stayed silent to the end: open|filtered. */
static void silent(void *ud, uint64_t v)
{
        struct udp *u = ud;
        u->open_filtered++;
        struct scan_result res = { .index = v, .proto = PS_UDP, .state = SCAN_OPEN_FILTERED,
                                   .reason = SCAN_REASON_NO_RESPONSE, .tries = (uint8_t)(u->pass + 1),
                                   .unconfirmed = u->unconfirmed };
        scan_pair(u->c, v, &res.addr, &res.port);
        if (u->c->on_result)
                u->c->on_result(u->c->userdata, &res);
}

static void progress(struct udp *u, bool force)
{
        if (!u->c->on_progress)
                return;
        struct scan_progress p = { .total = u->npairs / u->c->nshards, .sent = u->sent, .done = u->sweep.done0,
                                   .found = u->open, .pass = u->pass };
        scan_progress_tick(u->c, &u->pclock, &p, force);
}

static void send_batch(struct udp *u, const uint64_t *idx, size_t n)
{
        const struct scan_config *c = u->c;
        struct sockaddr_storage dst[BATCH];
        struct iovec iov[BATCH];
        struct mmsghdr m[BATCH];
        int fam[BATCH];
        for (size_t i = 0; i < n; i++) {
                struct scan_addr a;
                uint16_t port;
                scan_pair(c, idx[i], &a, &port);
                socklen_t sl;
                sl = scan_addr_sockaddr(&a, port, &dst[i]);
                size_t len;
                /* try k sends the port's k-th payload (nmap-payloads may list several) */
                const unsigned char *pl = scan_payloads_get_nth(u->payloads, port, u->pass, &len);
                iov[i] = (struct iovec){ (void *)pl, len };
                m[i].msg_hdr = (struct msghdr){ .msg_name = &dst[i], .msg_namelen = sl, .msg_iov = &iov[i],
                                                .msg_iovlen = 1 };
                fam[i] = a.family;
                if (idx[i] % 31 == 0) {
                        u->sample_idx[idx[i] % SAMPLES] = idx[i] + 1;
                        u->sample_ns[idx[i] % SAMPLES] = scan_now_ns();
                }
        }
        size_t i = 0;
        while (i < n) {
                size_t j = i;
                while (j < n && fam[j] == fam[i])
                        j++;
                int fd = fam[i] == AF_INET ? u->fd4 : u->fd6;
                if (fd < 0) {
                        i = j;
                        continue;
                }
                int r = sendmmsg(fd, m + i, (unsigned)(j - i), 0);
                if (r < 0) {
                        if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
                                drain_all(u, 1);
                                continue;
                        }
                        if (errno == ECONNREFUSED) /* a pending error reported on send: read it and go on */
                                continue;
                        i++; /* unreachable: the pair stays unanswered */
                        continue;
                }
                u->sent += (uint64_t)r;
                i += (size_t)r;
        }
}

/* One pass over the unanswered pairs (pass 0: all of them) at rate pps (0: unlimited). */
static void run_pass(struct udp *u, double rate, uint64_t deadline)
{
        struct scan_pacer pacer;
        scan_pacer_init(&pacer, rate);
        scan_sweep_begin(&u->sweep, u->c, &u->perm, &u->answered, u->npairs, u->pass);
        uint64_t batch[BATCH];
        u->icmp_in_pass = u->answers_in_pass = 0;
        for (;;) {
                if (u->pass == 0)
                        u->pass0_pos = u->sweep.it.pos;
                if (want_stop(u))
                        return;
                if (deadline && scan_now_ns() >= deadline) {
                        u->budget_cut = true;
                        return;
                }
                bool end;
                size_t n = scan_sweep_take(&u->sweep, batch, scan_pacer_take(&pacer, u->pass ? 1 : BATCH), 0, &end);
                if (n)
                        send_batch(u, batch, n);
                drain_all(u, 0);
                progress(u, false);
                if (end) {
                        if (u->pass == 0)
                                u->pass0_pos = u->sweep.it.pos;
                        return;
                }
        }
}

/* Waits for the answers of the pass: until every pair sent so far has answered, or a quiet spell
 * (4 round trips, at least --min-timeout and 100 ms: a UDP answer comes from a program, which
 * may take longer than the kernel's ICMP error), or --timeout. */
static void settle(struct udp *u)
{
        const struct scan_config *c = u->c;
        uint64_t start = scan_now_ns(), max = (uint64_t)c->timeout_ms * 1000000u;
        uint64_t min_quiet = (uint64_t)c->min_timeout_ms * 1000000u;
        if (min_quiet < 100000000u)
                min_quiet = 100000000u < max ? 100000000u : max;
        for (;;) {
                if (u->replies >= u->sweep.done0 + u->c->nresume_pending)
                        return; /* everything answered: nothing to wait for */
                uint64_t now = scan_now_ns();
                uint64_t quiet = u->rtt.samples ? (uint64_t)(4 * u->rtt.srtt) : max;
                if (quiet < min_quiet)
                        quiet = min_quiet;
                uint64_t last = u->last_reply > start ? u->last_reply : start;
                if (now - start >= max || now - last >= quiet || want_stop(u))
                        return;
                drain_all(u, 1);
                progress(u, false);
        }
}

/* Pass 0 drew no ICMP error at all, and ports stayed silent: a host that sends none (a firewall
 * drops the probes) or one whose ICMP budget was already spent (Linux: an error a second per
 * source after a burst of 6; a scan a moment earlier spends it). A second after pass 0, when such a
 * budget holds an error again, one silent pair is probed once more: a port unreachable back says
 * the silence was the limit. Costs about CANARY_WAIT_NS + the wait for its answer, and only when
 * nothing came back. */
#define CANARY_WAIT_NS 1100000000ull
static bool icmp_spent(struct udp *u, uint64_t pass_end, uint64_t deadline)
{
        struct scan_sweep s = { 0 };
        uint64_t idx;
        bool end;
        /* Its answer is awaited 4 round trips, at least 300 ms, at most --timeout; all of it
         * within the budget, or it is not sent. */
        uint64_t wait = u->rtt.samples ? (uint64_t)(4 * u->rtt.srtt) : 0, max = (uint64_t)u->c->timeout_ms * 1000000u;
        if (wait < 300000000u)
                wait = 300000000u;
        if (wait > max)
                wait = max;
        scan_sweep_begin(&s, u->c, &u->perm, &u->answered, u->npairs, 1);
        if (scan_sweep_take(&s, &idx, 1, 0, &end) != 1 || pass_end + CANARY_WAIT_NS + wait > deadline)
                return false;
        while (scan_now_ns() < pass_end + CANARY_WAIT_NS) {
                if (want_stop(u))
                        return false;
                drain_all(u, 50);
        }
        /* A retry: its pass's payload, and its answer counts as a second try. */
        u->pass = 1;
        u->icmp_in_pass = u->answers_in_pass = 0;
        send_batch(u, &idx, 1);
        uint64_t sent = scan_now_ns();
        while (!scan_bitmap_get(&u->answered, idx) && scan_now_ns() - sent < wait && !want_stop(u))
                drain_all(u, 10);
        u->pass = 0;
        /* Any ICMP error now, a second after the pass drew none: the target sends them, slowly. */
        return u->icmp_in_pass > 0;
}

static int open_udp(int family, char *err, size_t errlen)
{
        int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return scan_errf(err, errlen, -errno, _("cannot open a UDP socket: %s"), strerror(errno));
        int one = 1, big = 8 << 20;
        if (family == AF_INET)
                setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one));
        else
                setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
        return fd;
}

static int udp_run(const struct scan_config *c, struct scan_stats *stats, char *err, size_t errlen)
{
        struct udp *u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->c = c;
        u->fd4 = u->fd6 = -1;
        int r;
        char perr[256];
        if (scan_payloads_load(c->payloads_path, &u->payloads, perr, sizeof(perr)) < 0) {
                if (c->payloads_path) {
                        r = scan_errf(err, errlen, -EINVAL, "%s", perr);
                        goto out;
                }
                u->payloads = NULL; /* empty datagrams only */
        }
        uint64_t ntargets = scan_targets_count(c->targets);
        struct scan_addr first, last;
        scan_targets_get(c->targets, 0, &first);
        scan_targets_get(c->targets, ntargets - 1, &last);
        if (first.family == AF_INET && (u->fd4 = r = open_udp(AF_INET, err, errlen)) < 0)
                goto out;
        if (last.family == AF_INET6 && (u->fd6 = r = open_udp(AF_INET6, err, errlen)) < 0)
                goto out;
        u->npairs = ntargets * c->ports->n;
        u->port_index = calloc(65536, sizeof(uint32_t));
        if (!u->port_index || scan_bitmap_init(&u->answered, u->npairs) < 0) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < c->ports->n; i++)
                u->port_index[c->ports->ports[i]] = (uint32_t)i + 1;
        r = scan_perm_init(&u->perm, u->npairs, c->seed, c->shard, c->nshards);
        if (r < 0) {
                r = scan_errf(err, errlen, r, _("cannot set up the scan order"));
                goto out;
        }
        uint64_t budget_end = 0, retry_start = 0, retry_icmp = 0;
        unsigned zero = 0;
        bool limited = false, budget_spent = false;
        double rate = c->rate;
        for (;;) {
                run_pass(u, rate, budget_end);
                uint64_t pass_end = scan_now_ns();
                settle(u);
                uint64_t now = scan_now_ns();
                if (want_stop(u))
                        break;
                uint64_t pairs = u->sweep.done0 + c->nresume_pending;
                uint64_t left = pairs > u->replies ? pairs - u->replies : 0;
                if (u->pass == 0) {
                        budget_end = now + (uint64_t)c->udp_budget_ms * 1000000u;
                        retry_start = now;
                        /* Did the target answer (nearly) every probe that got no datagram back? If
                         * some ICMP errors came but clearly fewer than the silent ports, its ICMP
                         * limit is the likely reason for the silence. No ICMP error at all says
                         * nothing is limited (the host sends none, or every port is open), and a
                         * port or two missing is a silent port, not a limit (Linux lets a burst
                         * of 6 through). */
                        uint64_t need = pairs - u->open, missing = need - u->icmp_in_pass;
                        limited = left > 0 && u->icmp_in_pass > 0 && missing > 2 && (double)missing > 0.1 * (double)need;
                        if (left > 2 && u->icmp_in_pass == 0 && c->max_retries != 0 && !want_stop(u) &&
                            icmp_spent(u, pass_end, budget_end)) {
                                limited = true;
                                /* The retries get their whole budget, from now. */
                                now = retry_start = scan_now_ns();
                                budget_end = now + (uint64_t)c->udp_budget_ms * 1000000u;
                                left = pairs > u->replies ? pairs - u->replies : 0;
                        }
                } else {
                        retry_icmp += u->icmp_in_pass;
                }
                if (limited) {
                        /* --max-retries, when given, bounds these retries too. */
                        if (c->max_retries >= 0 && (int)u->pass >= c->max_retries)
                                break;
                        /* Two retry passes in a row without an answer: what is left is silent. */
                        if (u->pass > 0)
                                zero = u->answers_in_pass ? 0 : zero + 1;
                        if (left == 0 || zero >= 2)
                                break;
                        if (now >= budget_end || u->budget_cut) {
                                budget_spent = true;
                                break;
                        }
                        /* Pace at the rate the ICMP errors come back (more is thrown away by the
                         * limit), never below 2 probes a second. */
                        double secs = (double)(now - retry_start) / 1e9;
                        double icmp_rate = secs > 0.2 ? (double)retry_icmp / secs : 10;
                        rate = c->rate > 0 ? c->rate : (icmp_rate * 2 > 2 ? icmp_rate * 2 : 2);
                } else {
                        if (!scan_retry_more(c, u->pass, u->answers_in_pass, left, &zero))
                                break;
                        if (now >= budget_end || u->budget_cut) {
                                budget_spent = left > 0;
                                break;
                        }
                }
                u->pass++;
        }
        stats->interrupted = c->stop && *c->stop;
        /* Silent pairs: open|filtered (unconfirmed when ICMP was limited or the budget ran out). When
         * interrupted, they are the pending pairs of the saved state instead, and the order
         * continues where pass 0 stopped. */
        u->unconfirmed = limited || budget_spent;
        if (scan_sweep_unanswered(c, &u->perm, &u->answered, u->npairs, stats->interrupted ? u->pass0_pos : UINT64_MAX,
                                  stats->interrupted, stats, silent, u) < 0) {
                r = scan_errf(err, errlen, -ENOMEM, _("out of memory"));
                goto out;
        }
        if (stats->interrupted)
                stats->resume_pos = u->pass0_pos;
        progress(u, true);
        stats->pairs = u->sweep.done0;
        stats->sent = u->sent;
        stats->replies = u->replies;
        stats->open = u->open;
        stats->closed = u->closed;
        stats->filtered = u->filtered;
        stats->open_filtered = u->open_filtered;
        stats->passes = u->pass + 1;
        stats->srtt_ms = u->rtt.srtt / 1e6;
        stats->icmp_limited = limited;
        stats->udp_budget_spent = budget_spent;
        r = 0;
out:
        if (u->fd4 >= 0)
                close(u->fd4);
        if (u->fd6 >= 0)
                close(u->fd6);
        scan_payloads_free(u->payloads);
        scan_bitmap_free(&u->answered);
        free(u->port_index);
        free(u);
        return r;
}

const struct scan_engine_ops scan_engine_udp_ops = {
        .name = "udp",
        .proto = PS_UDP,
        .needs_raw = false,
        .run = udp_run,
};
