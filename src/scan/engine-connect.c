/* portscope scan — the TCP connect engine: non-blocking connect() on epoll.
 *
 * Works without privileges. Each worker thread keeps a window of connecting sockets; the
 * kernel's connect path is the cost that matters (socket, connect, close), so nothing else is
 * done per probe: no allocation, one epoll registration, and SO_LINGER 0 so that an open port is
 * closed with a RST and leaves no TIME_WAIT. Timeouts adapt to the measured round trips.
 * Connecting to 127.0.0.1:P from the ephemeral port P connects the socket to itself (TCP
 * simultaneous open): getsockname() == getpeername() is never reported as open. */
#include <errno.h>
#include <time.h> /* before linux/errqueue.h, which uses struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine-shared.h"

#include "portscope/i18n.h"

struct cslot {
        int fd;
        uint32_t seq;
        uint8_t selfs; /* times this pair connected to itself */
        uint64_t idx;
        uint64_t sent;
};

struct cshared {
        const struct scan_config *c;
        struct scan_work work;
        pthread_barrier_t bar;
        pthread_mutex_t rlock;
        unsigned nthreads;
        unsigned window; /* per thread */
        bool more;
        int fatal;
        char *err;
        size_t errlen;
        uint64_t sent, replies, open, closed, filtered, done0;
        double srtt_ms;
};

struct cworker {
        struct cshared *sh;
        unsigned id;
        int ep;
        struct cslot *slots;
        unsigned nslots, inflight; /* nslots: the window, lowered when the file limit is met */
        unsigned cap;              /* slots allocated */
        unsigned *freel;
        unsigned nfree;
        uint64_t *ring; /* (slot << 32 | seq) in send order */
        size_t rhead, rtail, rcap;
        uint64_t batch[64];
        size_t nbatch, ibatch;
        uint64_t requeue[64];
        uint8_t requeue_selfs[64];
        size_t nrequeue;
        uint8_t cur_selfs; /* of the pair next_index() returned */
        uint64_t retry[256];
        size_t nretry;
        uint64_t answered; /* answers in this pass, handed to the pass rule when it ends */
        bool exhausted;
        struct scan_pacer pacer;
        struct scan_rtt rtt;
        uint32_t seq;
        struct scan_progress_clock pclock;
};

static void report(struct cworker *w, uint64_t idx, enum scan_state st, enum scan_reason why, uint64_t sent_ns,
                   uint64_t now)
{
        struct cshared *sh = w->sh;
        const struct scan_config *c = sh->c;
        uint64_t *ctr = st == SCAN_OPEN ? &sh->open : st == SCAN_CLOSED ? &sh->closed : &sh->filtered;
        __atomic_add_fetch(ctr, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&sh->replies, 1, __ATOMIC_RELAXED);
        w->answered++;
        struct scan_result r = { .index = idx, .proto = PS_TCP, .state = st, .reason = why,
                                 .tries = (uint8_t)(sh->work.pass + 1) };
        scan_pair(c, idx, &r.addr, &r.port);
        if (sent_ns && now > sent_ns)
                r.rtt_us = (uint32_t)((now - sent_ns) / 1000);
        pthread_mutex_lock(&sh->rlock);
        if (c->on_result && sh->fatal == 0 && c->on_result(c->userdata, &r) < 0)
                sh->work.stop = true;
        pthread_mutex_unlock(&sh->rlock);
}

static void flush_retry(struct cworker *w)
{
        if (w->nretry && scan_work_retry(&w->sh->work, w->retry, w->nretry) < 0)
                w->sh->fatal = -ENOMEM;
        w->nretry = 0;
}

static void add_retry(struct cworker *w, uint64_t idx)
{
        if (w->nretry == sizeof(w->retry) / sizeof(w->retry[0]))
                flush_retry(w);
        w->retry[w->nretry++] = idx;
}

static bool next_index(struct cworker *w, uint64_t *ret)
{
        w->cur_selfs = 0;
        if (w->nrequeue) {
                --w->nrequeue;
                *ret = w->requeue[w->nrequeue];
                w->cur_selfs = w->requeue_selfs[w->nrequeue];
                return true;
        }
        if (w->ibatch == w->nbatch) {
                if (w->exhausted)
                        return false;
                w->nbatch = scan_work_take(&w->sh->work, w->batch, sizeof(w->batch) / sizeof(w->batch[0]));
                w->ibatch = 0;
                if (w->nbatch == 0) {
                        w->exhausted = true;
                        return false;
                }
                if (w->sh->work.pass == 0)
                        __atomic_add_fetch(&w->sh->done0, w->nbatch, __ATOMIC_RELAXED);
        }
        *ret = w->batch[w->ibatch++];
        return true;
}

static void push_back_selfs(struct cworker *w, uint64_t idx, uint8_t selfs)
{
        if (w->nrequeue < sizeof(w->requeue) / sizeof(w->requeue[0])) {
                w->requeue_selfs[w->nrequeue] = selfs;
                w->requeue[w->nrequeue++] = idx;
        } else
                add_retry(w, idx); /* cannot happen often: the window shrank a lot at once */
}

static void push_back(struct cworker *w, uint64_t idx)
{
        push_back_selfs(w, idx, w->cur_selfs);
}

/* What an epoll registration carries: the slot and the probe's sequence number. close() ends a
 * registration only when the socket's last reference goes, and another process may hold one for a
 * while (an auditor that inspects every process's files, pidfd_getfd(), a /proc reader preempted on
 * a loaded machine): the closed probe's registration then stays in the set, ready, and reports
 * its slot again after the slot was freed (freed twice: the free list overflowed) or reused
 * (another probe concluded with a wrong answer). An event counts only when the slot still holds
 * the probe that registered it, and EPOLLONESHOT makes such a leftover report at most once. */
static uint64_t ev_tag(unsigned s, uint32_t seq)
{
        return (uint64_t)seq << 32 | s;
}

static void slot_free(struct cworker *w, unsigned s)
{
        if (w->slots[s].fd >= 0)
                close(w->slots[s].fd);
        w->slots[s].fd = -1;
        w->freel[w->nfree++] = s;
        w->inflight--;
}

static int ring_push(struct cworker *w, uint64_t v)
{
        if (w->rtail - w->rhead == w->rcap) {
                size_t ncap = w->rcap * 2;
                uint64_t *nr = malloc(ncap * sizeof(*nr));
                if (!nr)
                        return -ENOMEM;
                for (size_t i = w->rhead; i < w->rtail; i++)
                        nr[i - w->rhead] = w->ring[i % w->rcap];
                free(w->ring);
                w->ring = nr;
                w->rtail -= w->rhead;
                w->rhead = 0;
                w->rcap = ncap;
        }
        w->ring[w->rtail++ % w->rcap] = v;
        return 0;
}

static bool same_endpoint(int fd)
{
        struct sockaddr_storage a, b;
        socklen_t la = sizeof(a), lb = sizeof(b);
        if (getsockname(fd, (struct sockaddr *)&a, &la) < 0 || getpeername(fd, (struct sockaddr *)&b, &lb) < 0)
                return false;
        return la == lb && memcmp(&a, &b, la) == 0;
}

/* The reason an ICMP destination unreachable gave, read from the socket's error queue (IP_RECVERR
 * is on: the errno alone makes host-prohibited and admin-prohibited both EHOSTUNREACH), or
 * SCAN_NREASONS when the error did not come from one. */
static enum scan_reason icmp_reason(int fd)
{
        char data[64], control[512];
        struct iovec iov = { data, sizeof(data) };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                              .msg_controllen = sizeof(control) };
        if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
                return SCAN_NREASONS;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
                if (!((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR) ||
                      (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_RECVERR)) ||
                    cm->cmsg_len < CMSG_LEN(sizeof(struct sock_extended_err)))
                        continue;
                struct sock_extended_err ee;
                memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
                if (ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_type == 3)
                        return scan_icmp_unreach_reason(false, ee.ee_code);
                if (ee.ee_origin == SO_EE_ORIGIN_ICMP6 && ee.ee_type == 1)
                        return scan_icmp_unreach_reason(true, ee.ee_code);
        }
        return SCAN_NREASONS;
}

static void concluded(struct cworker *w, unsigned s, int error, uint64_t now)
{
        struct cslot *sl = &w->slots[s];
        uint64_t idx = sl->idx, sent = sl->sent;
        if (error == 0) {
                if (same_endpoint(sl->fd)) {
                        /* Connected to itself (TCP simultaneous open): never open. The kernel does
                         * not hand out a port a listener holds, so nothing listens there; try again
                         * from another port, and when the ephemeral range offers no other, say
                         * closed. */
                        uint8_t selfs = (uint8_t)(sl->selfs + 1);
                        slot_free(w, s);
                        if (selfs >= 3)
                                report(w, idx, SCAN_CLOSED, SCAN_REASON_SELF_CONNECT, 0, now);
                        else
                                push_back_selfs(w, idx, selfs);
                        return;
                }
                scan_rtt_sample(&w->rtt, (double)(now - sent));
                slot_free(w, s);
                report(w, idx, SCAN_OPEN, SCAN_REASON_SYN_ACK, sent, now);
                return;
        }
        /* An ICMP error names its code; a refusal is a RST or an ICMP port unreachable: closed. */
        enum scan_reason icmp = error == ECONNREFUSED ? SCAN_NREASONS : icmp_reason(w->slots[s].fd);
        slot_free(w, s);
        if (icmp != SCAN_NREASONS) {
                report(w, idx, SCAN_FILTERED, icmp, sent, now);
                return;
        }
        switch (error) {
        case ECONNREFUSED:
                scan_rtt_sample(&w->rtt, (double)(now - sent));
                report(w, idx, SCAN_CLOSED, SCAN_REASON_CONN_REFUSED, sent, now);
                break;
        case EHOSTUNREACH:
                report(w, idx, SCAN_FILTERED, SCAN_REASON_HOST_UNREACH, sent, now);
                break;
        case ENETUNREACH:
                report(w, idx, SCAN_FILTERED, SCAN_REASON_NET_UNREACH, sent, now);
                break;
        case EACCES:
        case EPERM:
                report(w, idx, SCAN_FILTERED, SCAN_REASON_ADMIN_PROHIBITED, sent, now);
                break;
        case ENOPROTOOPT:
                report(w, idx, SCAN_FILTERED, SCAN_REASON_PROTO_UNREACH, sent, now);
                break;
        default: /* ETIMEDOUT and the like: no answer yet */
                add_retry(w, idx);
                break;
        }
}

/* Starts one probe. Returns 1 when started or concluded, 0 when it must wait (no socket or no
 * port available), < 0 on a fatal error. */
static int launch(struct cworker *w, uint64_t idx, uint64_t now)
{
        const struct scan_config *c = w->sh->c;
        struct scan_addr a;
        uint16_t port;
        scan_pair(c, idx, &a, &port);
        int fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                        push_back(w, idx);
                        if (w->inflight > 16)
                                w->nslots = w->inflight; /* the file limit is lower than we thought */
                        return 0;
                }
                return -errno;
        }
        struct linger lg = { 1, 0 };
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        /* ICMP errors queued with their code (icmp_reason()). */
        int on = 1;
        if (a.family == AF_INET)
                setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
        else
                setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
        struct sockaddr_storage ss;
        socklen_t sl;
        memset(&ss, 0, sizeof(ss));
        if (a.family == AF_INET) {
                struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
                s4->sin_family = AF_INET;
                s4->sin_port = htons(port);
                memcpy(&s4->sin_addr, a.a, 4);
                sl = sizeof(*s4);
        } else {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(port);
                memcpy(&s6->sin6_addr, a.a, 16);
                sl = sizeof(*s6);
        }
        unsigned s = w->freel[--w->nfree];
        struct cslot *slot = &w->slots[s];
        slot->fd = fd;
        slot->idx = idx;
        slot->sent = now;
        slot->seq = ++w->seq;
        slot->selfs = w->cur_selfs;
        w->inflight++;
        __atomic_add_fetch(&w->sh->sent, 1, __ATOMIC_RELAXED);
        int r = connect(fd, (struct sockaddr *)&ss, sl);
        int e = r == 0 ? 0 : errno;
        if (e == EINPROGRESS) {
                struct epoll_event ev = { .events = EPOLLOUT | EPOLLONESHOT, .data.u64 = ev_tag(s, slot->seq) };
                if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        e = errno;
                        slot_free(w, s);
                        return -e;
                }
                if (ring_push(w, (uint64_t)s << 32 | slot->seq) < 0) {
                        slot_free(w, s);
                        return -ENOMEM;
                }
                return 1;
        }
        if (e == EAGAIN || e == EADDRNOTAVAIL) {
                /* No local port free towards this address right now. */
                __atomic_sub_fetch(&w->sh->sent, 1, __ATOMIC_RELAXED);
                slot_free(w, s);
                push_back(w, idx);
                return 0;
        }
        concluded(w, s, e, scan_now_ns());
        return 1;
}

static void expire(struct cworker *w, uint64_t now, uint64_t timeout)
{
        while (w->rhead < w->rtail) {
                uint64_t v = w->ring[w->rhead % w->rcap];
                unsigned s = (unsigned)(v >> 32);
                struct cslot *sl = &w->slots[s];
                if (sl->fd < 0 || sl->seq != (uint32_t)v) {
                        w->rhead++;
                        continue;
                }
                if (now < sl->sent + timeout)
                        break;
                uint64_t idx = sl->idx;
                slot_free(w, s);
                add_retry(w, idx);
                w->rhead++;
        }
}

static uint64_t oldest_deadline(struct cworker *w, uint64_t timeout)
{
        while (w->rhead < w->rtail) {
                uint64_t v = w->ring[w->rhead % w->rcap];
                struct cslot *sl = &w->slots[v >> 32];
                if (sl->fd >= 0 && sl->seq == (uint32_t)v)
                        return sl->sent + timeout;
                w->rhead++;
        }
        return UINT64_MAX;
}

static void progress(struct cworker *w, bool force)
{
        struct cshared *sh = w->sh;
        if (w->id != 0 || !sh->c->on_progress)
                return;
        struct scan_progress p = {
                .total = sh->work.perm.positions ? sh->work.perm.n / sh->c->nshards : 0,
                .sent = __atomic_load_n(&sh->sent, __ATOMIC_RELAXED),
                .done = __atomic_load_n(&sh->done0, __ATOMIC_RELAXED),
                .found = __atomic_load_n(&sh->open, __ATOMIC_RELAXED),
                .pass = sh->work.pass,
        };
        scan_progress_tick(sh->c, &w->pclock, &p, force);
}

static int run_pass(struct cworker *w)
{
        struct cshared *sh = w->sh;
        const struct scan_config *c = sh->c;
        struct epoll_event evs[256];
        uint64_t min_ns = (uint64_t)c->min_timeout_ms * 1000000u, max_ns = (uint64_t)c->timeout_ms * 1000000u;
        w->exhausted = false;
        for (;;) {
                if (c->stop && *c->stop)
                        sh->work.stop = true;
                if (sh->fatal)
                        return sh->fatal;
                uint64_t now = scan_now_ns();
                bool blocked = false;
                if (w->inflight < w->nslots) {
                        uint64_t allow = scan_pacer_take(&w->pacer, w->nslots - w->inflight);
                        while (allow > 0 && w->inflight < w->nslots && !sh->work.stop) {
                                uint64_t idx;
                                if (!next_index(w, &idx))
                                        break;
                                int r = launch(w, idx, scan_now_ns());
                                if (r < 0)
                                        return r;
                                if (r == 0) {
                                        blocked = true;
                                        break;
                                }
                                allow--;
                        }
                }
                if (sh->work.stop) {
                        /* Stopping: what this worker took but did not send is saved for --resume
                         * with the unanswered pairs (a half-used batch kept the loop alive). */
                        while (w->nrequeue)
                                add_retry(w, w->requeue[--w->nrequeue]);
                        while (w->ibatch < w->nbatch)
                                add_retry(w, w->batch[w->ibatch++]);
                }
                if (w->inflight == 0 && (w->nrequeue == 0 || sh->work.stop) &&
                    (w->exhausted || sh->work.stop) && w->ibatch == w->nbatch)
                        break;
                uint64_t timeout = scan_rtt_timeout(&w->rtt, min_ns, max_ns);
                uint64_t deadline = oldest_deadline(w, timeout);
                now = scan_now_ns();
                int ms;
                if (blocked && w->inflight == 0)
                        ms = 1;
                else if (deadline == UINT64_MAX)
                        ms = w->inflight ? 100 : 0;
                else
                        ms = deadline <= now ? 0 : (int)((deadline - now + 999999) / 1000000);
                if (ms > 100)
                        ms = 100;
                if (w->inflight < w->nslots && !w->exhausted && !blocked && !sh->work.stop && c->rate <= 0)
                        ms = 0; /* more to send: only collect what is ready */
                /* Every ready socket is read before any is declared timed out. */
                for (;;) {
                        int n = epoll_wait(w->ep, evs, 256, ms);
                        if (n < 0 && errno != EINTR)
                                return -errno;
                        now = scan_now_ns();
                        for (int i = 0; i < n; i++) {
                                unsigned s = (unsigned)evs[i].data.u64;
                                if (w->slots[s].fd < 0 || w->slots[s].seq != (uint32_t)(evs[i].data.u64 >> 32))
                                        continue; /* a closed probe's registration outlived it */
                                int soerr = 0;
                                socklen_t len = sizeof(soerr);
                                if (getsockopt(w->slots[s].fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
                                        soerr = errno;
                                concluded(w, s, soerr, now);
                        }
                        if (n < 256)
                                break;
                        ms = 0;
                }
                expire(w, now, scan_rtt_timeout(&w->rtt, min_ns, max_ns));
                progress(w, false);
        }
        flush_retry(w);
        /* Without this count every retry pass looked silent and automatic retries ended after the
         * second one: under 5% loss each way an open port lost three times (~0.1% of them) was
         * reported filtered. */
        scan_work_answered(&sh->work, w->answered);
        w->answered = 0;
        return 0;
}

static void *worker_main(void *arg)
{
        struct cworker *w = arg;
        struct cshared *sh = w->sh;
        for (;;) {
                int r = run_pass(w);
                if (r < 0 && sh->fatal == 0) {
                        sh->fatal = r;
                        sh->work.stop = true;
                }
                pthread_barrier_wait(&sh->bar);
                if (w->id == 0)
                        sh->more = sh->fatal == 0 && scan_work_next_pass(&sh->work);
                pthread_barrier_wait(&sh->bar);
                if (!sh->more)
                        break;
        }
        progress(w, true);
        return NULL;
}

static int worker_init(struct cworker *w, struct cshared *sh, unsigned id)
{
        memset(w, 0, sizeof(*w));
        w->sh = sh;
        w->id = id;
        w->nslots = w->cap = sh->window;
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        if (w->ep < 0)
                return -errno;
        w->slots = calloc(w->nslots, sizeof(*w->slots));
        w->freel = calloc(w->nslots, sizeof(*w->freel));
        w->rcap = 1024;
        w->ring = malloc(w->rcap * sizeof(*w->ring));
        if (!w->slots || !w->freel || !w->ring)
                return -ENOMEM;
        for (unsigned i = 0; i < w->nslots; i++) {
                w->slots[i].fd = -1;
                w->freel[w->nfree++] = w->nslots - 1 - i;
        }
        scan_pacer_init(&w->pacer, sh->c->rate / sh->nthreads);
        return 0;
}

static void worker_free(struct cworker *w)
{
        if (w->slots)
                for (unsigned i = 0; i < w->cap; i++)
                        if (w->slots[i].fd >= 0)
                                close(w->slots[i].fd);
        if (w->ep >= 0)
                close(w->ep);
        free(w->slots);
        free(w->freel);
        free(w->ring);
}

static int connect_run(const struct scan_config *c, struct scan_stats *stats, char *err, size_t errlen)
{
        struct cshared sh = { .c = c, .err = err, .errlen = errlen };
        int r = scan_work_init(&sh.work, c);
        if (r < 0)
                return scan_errf(err, errlen, r, _("cannot set up the scan order: %s"), strerror(-r));
        unsigned long nofile = scan_raise_nofile();
        unsigned long window = c->max_inflight ? c->max_inflight : 4096;
        if (nofile > 64 && window > nofile - 64)
                window = nofile - 64;
        if (window < 1)
                window = 1;
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned nthreads = c->threads ? c->threads : (ncpu > 0 ? (unsigned)ncpu : 1);
        if (nthreads > 64)
                nthreads = 64;
        uint64_t pairs = sh.work.perm.positions;
        if (pairs < 256 * (uint64_t)nthreads)
                nthreads = 1; /* small scans: a thread costs more than it saves */
        if (window < nthreads)
                nthreads = (unsigned)window;
        sh.nthreads = nthreads;
        sh.window = (unsigned)(window / nthreads);
        pthread_barrier_init(&sh.bar, NULL, nthreads);
        pthread_mutex_init(&sh.rlock, NULL);
        struct cworker *ws = calloc(nthreads, sizeof(*ws));
        pthread_t *tids = calloc(nthreads, sizeof(*tids));
        if (!ws || !tids) {
                r = -ENOMEM;
                goto out;
        }
        for (unsigned i = 0; i < nthreads; i++) {
                ws[i].ep = -1;
                r = worker_init(&ws[i], &sh, i);
                if (r < 0)
                        goto out;
        }
        for (unsigned i = 1; i < nthreads; i++)
                if (pthread_create(&tids[i], NULL, worker_main, &ws[i]) != 0) {
                        /* cannot run with fewer threads than the barrier waits for */
                        abort();
                }
        worker_main(&ws[0]);
        for (unsigned i = 1; i < nthreads; i++)
                pthread_join(tids[i], NULL);
        r = sh.fatal;
        if (r < 0) {
                scan_errf(err, errlen, r, _("connect scan failed: %s"), strerror(-r));
                goto out;
        }
        stats->interrupted = c->stop && *c->stop;
        if (stats->interrupted) {
                r = scan_work_interrupted(&sh.work, stats);
        } else {
                /* What never answered is filtered. */
                for (size_t i = 0; i < sh.work.nretry; i++) {
                        sh.filtered++;
                        if (c->on_result) {
                                struct scan_result res = { .index = sh.work.retry[i], .proto = PS_TCP,
                                                           .state = SCAN_FILTERED,
                                                           .reason = SCAN_REASON_NO_RESPONSE,
                                                           .tries = (uint8_t)(sh.work.pass + 1) };
                                scan_pair(c, res.index, &res.addr, &res.port);
                                if (c->on_result(c->userdata, &res) < 0)
                                        break;
                        }
                }
                stats->resume_pos = sh.work.it.pos;
        }
        stats->pairs = sh.done0;
        stats->sent = sh.sent;
        stats->replies = sh.replies;
        stats->open = sh.open;
        stats->closed = sh.closed;
        stats->filtered = sh.filtered;
        stats->passes = sh.work.pass + 1;
        stats->inflight = sh.window * nthreads;
        double srtt = 0;
        for (unsigned i = 0; i < nthreads; i++)
                srtt += ws[i].rtt.srtt / nthreads;
        stats->srtt_ms = srtt / 1e6;
out:
        if (ws)
                for (unsigned i = 0; i < nthreads; i++)
                        worker_free(&ws[i]);
        free(ws);
        free(tids);
        pthread_barrier_destroy(&sh.bar);
        pthread_mutex_destroy(&sh.rlock);
        scan_work_free(&sh.work);
        return r;
}

const struct scan_engine_ops scan_engine_connect_ops = {
        .name = "connect",
        .proto = PS_TCP,
        .needs_raw = false,
        .run = connect_run,
};
