/* watch: the captures. BPF first (the kernel's own NO_SOCKET decision, src/bpf/watch.bpf.c,
 * through a light skeleton and a ring buffer read here), else an AF_PACKET socket with a classic
 * BPF filter whose packets are matched against the sock_diag listener table. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "portscope/util.h"
#include "portscope/watch.h"
#include "watch-event.h"
#include "watch-internal.h"

#ifdef PS_HAVE_BPF
#define PS_LSKEL "watch.lskel.h"
#include "lskel.h"
#endif

#define RING_HDR_BUSY (1u << 31)
#define RING_HDR_DISCARD (1u << 30)
#define RING_HDR_SZ 8

#define PENDING_SLOTS 16384
#define PENDING_NS 2000000000ull /* an answer comes within microseconds; 2 s is generous */

struct pending {
        bool used;
        struct watch_packet p;
};

struct watch_capture {
        enum watch_method method;
        uint32_t netns;
        /* BPF */
#ifdef PS_HAVE_BPF
        struct watch_bpf *skel;
#endif
        int ring_fd;
        size_t ring_size;
        unsigned long *consumer;
        const unsigned long *producer;
        const uint8_t *ring;
        size_t page;
        int counters_fd;
        unsigned ncpus;
        /* packet */
        int packet_fd;
        char limits[896]; /* the packet method's 387 bytes (and --filtered's note), after up to 255 of why BPF was not used */
        struct pending *pending; /* inbound probes waiting for the kernel's RST or ICMP answer */
        const struct watch_listeners *listeners;
        uint64_t seen, lost;
};

const char *watch_method_name(enum watch_method m)
{
        switch (m) {
        case WATCH_METHOD_AUTO: return "auto";
        case WATCH_METHOD_BPF: return "bpf";
        case WATCH_METHOD_PACKET: return "packet";
        }
        return "?";
}

#ifdef PS_HAVE_BPF
static unsigned possible_cpus(void)
{
        /* "0-3" or "0,2-5": the highest number + 1 is what per-CPU maps are sized by */
        FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
        unsigned max = 0;
        if (f) {
                char buf[256];
                if (fgets(buf, sizeof(buf), f)) {
                        for (char *p = buf; *p;) {
                                char *end;
                                unsigned long v = strtoul(p, &end, 10);
                                if (end == p)
                                        break;
                                if (v > max)
                                        max = (unsigned)v;
                                p = end;
                                while (*p == ',' || *p == '-' || *p == '\n')
                                        p++;
                        }
                }
                fclose(f);
        }
        return max + 1;
}
#endif

static long sys_bpf(int cmd, union bpf_attr *attr)
{
        return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void unmap_ring(struct watch_capture *c)
{
        if (c->consumer)
                munmap(c->consumer, c->page);
        if (c->producer)
                munmap((void *)c->producer, c->page + 2 * c->ring_size);
        c->consumer = NULL;
        c->producer = NULL;
}

void watch_capture_close(struct watch_capture *c)
{
        if (!c)
                return;
        unmap_ring(c);
#ifdef PS_HAVE_BPF
        if (c->skel)
                watch_bpf__destroy(c->skel); /* detaches: the links' descriptors close */
#endif
        if (c->packet_fd >= 0)
                close(c->packet_fd);
        free(c->pending);
        free(c);
}

#ifdef PS_HAVE_BPF
static int open_bpf(struct watch_capture *c, const struct watch_capture_options *o, char *err, size_t errlen)
{
        c->skel = watch_bpf__open();
        if (!c->skel) {
                snprintf(err, errlen, "BPF: out of memory");
                return -ENOMEM;
        }
        c->skel->rodata->watch_netns = o->netns;
        c->skel->rodata->watch_filtered = o->filtered;
        int r = watch_bpf__load(c->skel);
        if (r) {
                r = errno ? -errno : -EINVAL;
                if (r == -EPERM || r == -EACCES)
                        snprintf(err, errlen, "BPF: loading the watch program needs CAP_BPF and CAP_PERFMON "
                                              "(run as root; --method packet needs CAP_NET_RAW)");
                else
                        snprintf(err, errlen, "BPF: loading the watch program failed: %s", strerror(-r));
                return r;
        }
        if (watch_bpf__attach(c->skel)) {
                r = errno ? -errno : -EINVAL;
                snprintf(err, errlen, "BPF: attaching to skb:kfree_skb and sock:inet_sock_set_state failed: %s",
                         strerror(-r));
                return r;
        }
        c->ring_fd = c->skel->maps.events.map_fd;
        c->counters_fd = c->skel->maps.counters.map_fd;
        c->ring_size = WATCH_BPF_RING_SIZE;
        c->page = (size_t)sysconf(_SC_PAGESIZE);
        c->ncpus = possible_cpus();
        void *cons = mmap(NULL, c->page, PROT_READ | PROT_WRITE, MAP_SHARED, c->ring_fd, 0);
        if (cons == MAP_FAILED) {
                r = -errno;
                snprintf(err, errlen, "BPF: mapping the ring buffer: %s", strerror(-r));
                return r;
        }
        c->consumer = cons;
        /* the data pages are mapped twice in a row, so a record that wraps reads straight */
        void *prod = mmap(NULL, c->page + 2 * c->ring_size, PROT_READ, MAP_SHARED, c->ring_fd, (off_t)c->page);
        if (prod == MAP_FAILED) {
                r = -errno;
                snprintf(err, errlen, "BPF: mapping the ring buffer: %s", strerror(-r));
                return r;
        }
        c->producer = prod;
        c->ring = (const uint8_t *)prod + c->page;
        return 0;
}
#endif

/* Inbound (PACKET_HOST) IPv4/IPv6 TCP without RST or ACK, and UDP (first fragments); outgoing
 * (PACKET_OUTGOING) TCP with RST and ICMP/ICMPv6 port unreachable: the kernel's own answers that
 * nothing listens. The rest is dropped in the kernel. The socket is SOCK_DGRAM: the filter sees
 * the packet from its network header. */
#define PACKET_SNAP 128
static int packet_filter(int fd)
{
        static struct sock_filter code[] = {
                /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
                /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_HOST, 1, 0),
                /* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 16, 42),
                /* 3 IN */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL)),
                /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 1, 0),
                /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 8, 39),
                /* 6 IN4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
                /* 7 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 37, 0),
                /* 8 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
                /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 34, 0),
                /* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 34),
                /* 11 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
                /* 12 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13),
                /* 13 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x14, 31, 30),
                /* 14 IN6 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
                /* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 28, 0),
                /* 16 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 28),
                /* 17 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40 + 13),
                /* 18 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x14, 26, 25),
                /* 19 OUT */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL)),
                /* 20 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 1, 0),
                /* 21 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 13, 23),
                /* 22 OUT4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
                /* 23 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 21, 0),
                /* 24 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
                /* 25 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 6, 0),
                /* 26 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, 0, 18),
                /* 27 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
                /* 28 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),
                /* 29 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, 0, 15),
                /* 30 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, 1),
                /* 31 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, 12, 13),
                /* 32 OUT4T */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
                /* 33 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13),
                /* 34 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x04, 9, 10),
                /* 35 OUT6 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
                /* 36 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 5, 0),
                /* 37 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, 7),
                /* 38 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40),
                /* 39 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 5),
                /* 40 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 41),
                /* 41 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4, 2, 3),
                /* 42 OUT6T */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40 + 13),
                /* 43 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x04, 0, 1),
                /* 44 ACCEPT */ BPF_STMT(BPF_RET | BPF_K, PACKET_SNAP),
                /* 45 DROP */ BPF_STMT(BPF_RET | BPF_K, 0),
        };
        struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
        return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

static int open_packet(struct watch_capture *c, const struct watch_capture_options *o, char *err, size_t errlen)
{
        int self, r = ps_netns_enter(o->netns_fd, &self);
        if (r < 0) {
                snprintf(err, errlen, "packet: entering the network namespace needs CAP_SYS_ADMIN (and, under systemd, "
                         "RestrictNamespaces= allowing net): %s",
                         strerror(-r));
                return r;
        }
        int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
        if (fd < 0) {
                r = -errno;
                if (r == -EPERM || r == -EACCES)
                        snprintf(err, errlen, "packet: an AF_PACKET socket needs CAP_NET_RAW (run as root)");
                else
                        snprintf(err, errlen, "packet: AF_PACKET socket: %s", strerror(-r));
        } else {
                /* a filter attached after creation: drain what slipped in before it */
                r = packet_filter(fd);
                if (r < 0) {
                        snprintf(err, errlen, "packet: attaching the filter: %s", strerror(-r));
                        close(fd);
                        fd = -1;
                } else {
                        int rcvbuf = 32 << 20;
                        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
                        char junk[64];
                        while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
                                ;
                }
        }
        int back = ps_netns_leave(self);
        if (r == 0)
                r = back;
        if (r < 0) {
                if (fd >= 0)
                        close(fd);
                return r;
        }
        c->pending = calloc(PENDING_SLOTS, sizeof(*c->pending));
        if (!c->pending) {
                close(fd);
                snprintf(err, errlen, "packet: out of memory");
                return -ENOMEM;
        }
        c->packet_fd = fd;
        return 0;
}

int watch_capture_open(const struct watch_capture_options *o, struct watch_capture **ret, char *err, size_t errlen)
{
        struct watch_capture *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->ring_fd = c->counters_fd = c->packet_fd = -1;
        c->netns = o->netns;
        int r = -EOPNOTSUPP;
        char bpf_err[256] = "BPF: this build has no BPF programs (no clang, bpftool or kernel BTF at build time)";
        if (o->method != WATCH_METHOD_PACKET) {
#ifdef PS_HAVE_BPF
                r = open_bpf(c, o, bpf_err, sizeof(bpf_err));
#endif
                if (r == 0) {
                        c->method = WATCH_METHOD_BPF;
                        *ret = c;
                        return 0;
                }
                if (o->method == WATCH_METHOD_BPF) {
                        snprintf(err, errlen, "%s", bpf_err);
                        watch_capture_close(c);
                        return r;
                }
                unmap_ring(c);
#ifdef PS_HAVE_BPF
                if (c->skel)
                        watch_bpf__destroy(c->skel);
                c->skel = NULL;
#endif
        }
        if (o->netns == 0) {
                snprintf(err, errlen, "%s%s--all-netns needs the BPF method", o->method == WATCH_METHOD_AUTO ? bpf_err : "",
                         o->method == WATCH_METHOD_AUTO ? "; " : "");
                watch_capture_close(c);
                return -EOPNOTSUPP;
        }
        char perr[256];
        r = open_packet(c, o, perr, sizeof(perr));
        if (r < 0) {
                if (o->method == WATCH_METHOD_AUTO)
                        snprintf(err, errlen, "%s; %s", bpf_err, perr);
                else
                        snprintf(err, errlen, "%s", perr);
                watch_capture_close(c);
                return r;
        }
        c->method = WATCH_METHOD_PACKET;
        snprintf(c->limits, sizeof(c->limits),
                 "%s%s%spacket method: a probe is an inbound SYN (or FIN, NULL, Xmas) answered by the kernel's RST, or a "
                 "UDP datagram answered by its ICMP port unreachable: UDP undercounts under the ICMP rate limit; one "
                 "namespace only; listeners from the sock_diag table every 2 s, without pids from the kernel; under a "
                 "flood beyond the socket buffer, packets (probes or answers) are lost and counted as dropped",
                 o->method == WATCH_METHOD_AUTO ? "BPF unavailable (" : "", o->method == WATCH_METHOD_AUTO ? bpf_err : "",
                 o->method == WATCH_METHOD_AUTO ? "); " : "");
        if (o->filtered) {
                size_t n = strlen(c->limits);
                snprintf(c->limits + n, sizeof(c->limits) - n, "; --filtered reports nothing with this method (a "
                                                                "firewall drop gets no answer to see)");
        }
        *ret = c;
        return 0;
}

enum watch_method watch_capture_method(const struct watch_capture *c)
{
        return c->method;
}

const char *watch_capture_limits(const struct watch_capture *c)
{
        return c->limits;
}

int watch_capture_fd(const struct watch_capture *c)
{
        return c->method == WATCH_METHOD_BPF ? c->ring_fd : c->packet_fd;
}

void watch_capture_set_listeners(struct watch_capture *c, const struct watch_listeners *l)
{
        c->listeners = l;
}

static void from_bpf(const struct watch_bpf_event *b, struct watch_packet *p)
{
        memset(p, 0, sizeof(*p));
        p->kind = (enum watch_packet_kind)b->kind;
        p->time_ns = b->time_ns;
        p->netns = b->netns;
        p->ifindex = b->ifindex;
        p->family = b->family;
        p->proto = b->protocol == IPPROTO_UDP ? PS_UDP : PS_TCP;
        p->tcp_flags = b->tcp_flags;
        p->sport = b->sport;
        p->dport = b->dport;
        memcpy(p->saddr, b->saddr, 16);
        memcpy(p->daddr, b->daddr, 16);
        p->pid = (pid_t)b->pid;
        memcpy(p->comm, b->comm, sizeof(p->comm));
        p->comm[sizeof(p->comm) - 1] = 0;
}

static int drain_ring(struct watch_capture *c, void (*fn)(const struct watch_packet *p, void *data), void *data)
{
        int n = 0;
        unsigned long cons = atomic_load_explicit((_Atomic unsigned long *)c->consumer, memory_order_acquire);
        /* a budget per call: under a flood the loop returns to poll (and to the signals) */
        while (n < 65536) {
                unsigned long prod =
                        atomic_load_explicit((_Atomic unsigned long *)c->producer, memory_order_acquire);
                if (cons >= prod)
                        break;
                while (cons < prod && n < 65536) {
                        const uint8_t *hdr = c->ring + (cons & (c->ring_size - 1));
                        uint32_t len = atomic_load_explicit((_Atomic uint32_t *)hdr, memory_order_acquire);
                        if (len & RING_HDR_BUSY)
                                goto out;
                        uint32_t size = len & ~(RING_HDR_BUSY | RING_HDR_DISCARD);
                        if (!(len & RING_HDR_DISCARD) && size >= sizeof(struct watch_bpf_event)) {
                                struct watch_packet p;
                                from_bpf((const struct watch_bpf_event *)(hdr + RING_HDR_SZ), &p);
                                fn(&p, data);
                                n++;
                        }
                        cons += (size + RING_HDR_SZ + 7) & ~7ul;
                        atomic_store_explicit((_Atomic unsigned long *)c->consumer, cons, memory_order_release);
                }
        }
out:
        return n;
}

static uint64_t monotonic_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t pending_slot(int family, enum ps_proto proto, const uint8_t their[16], uint16_t their_port,
                             const uint8_t ours[16], uint16_t our_port)
{
        uint32_t h = 2166136261u;
        const uint8_t k[] = { (uint8_t)family, (uint8_t)proto, (uint8_t)(their_port >> 8), (uint8_t)their_port,
                              (uint8_t)(our_port >> 8), (uint8_t)our_port };
        for (size_t i = 0; i < sizeof(k); i++)
                h = (h ^ k[i]) * 16777619u;
        for (size_t i = 0; i < 16; i++)
                h = (h ^ their[i] ^ (uint32_t)(ours[i] << 8)) * 16777619u;
        return h % PENDING_SLOTS;
}

/* The kernel answered (their, their_port) -> (ours, our_port): the waiting probe is confirmed. */
static void answered(struct watch_capture *c, int family, enum ps_proto proto, const uint8_t their[16],
                     uint16_t their_port, const uint8_t ours[16], uint16_t our_port, uint64_t now,
                     void (*fn)(const struct watch_packet *p, void *data), void *data, int *n)
{
        struct pending *pd = &c->pending[pending_slot(family, proto, their, their_port, ours, our_port)];
        if (!pd->used || pd->p.family != family || pd->p.proto != proto || pd->p.sport != their_port ||
            pd->p.dport != our_port || memcmp(pd->p.saddr, their, 16) != 0 || memcmp(pd->p.daddr, ours, 16) != 0 ||
            now - pd->p.time_ns > PENDING_NS)
                return;
        pd->used = false;
        c->seen++;
        fn(&pd->p, data);
        (*n)++;
}

static int drain_packet(struct watch_capture *c, void (*fn)(const struct watch_packet *p, void *data), void *data)
{
        int n = 0;
        uint8_t buf[PACKET_SNAP];
        for (int budget = 0; budget < 65536; budget++) {
                struct sockaddr_ll sll;
                socklen_t sl = sizeof(sll);
                ssize_t len = recvfrom(c->packet_fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&sll, &sl);
                if (len < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                uint64_t now = monotonic_ns();
                struct watch_parsed w;
                int kind = watch_packet_parse(buf, (size_t)len, ntohs(sll.sll_protocol),
                                              sll.sll_pkttype == PACKET_OUTGOING, &w);
                if (kind == WATCH_PARSED_ANSWER) {
                        answered(c, w.family, w.proto, w.their, w.their_port, w.ours, w.our_port, now, fn, data, &n);
                        continue;
                }
                if (kind != WATCH_PARSED_PROBE)
                        continue;
                int family = w.family;
                struct watch_packet p = { .kind = WATCH_PACKET_PROBE, .netns = c->netns, .ifindex = (uint32_t)sll.sll_ifindex,
                                          .family = family, .time_ns = now, .proto = w.proto, .tcp_flags = w.tcp_flags,
                                          .sport = w.their_port, .dport = w.our_port };
                memcpy(p.saddr, w.their, 16);
                memcpy(p.daddr, w.ours, 16);
                /* something listens there: not a probe, whatever comes back */
                if (c->listeners && watch_listeners_has(c->listeners, c->netns, p.proto, p.family, p.daddr, p.dport))
                        continue;
                struct pending *pd = &c->pending[pending_slot(family, p.proto, p.saddr, p.sport, p.daddr, p.dport)];
                pd->used = true;
                pd->p = p;
        }
        /* what the socket buffer had no room for (reset by each read) */
        struct tpacket_stats st;
        socklen_t stl = sizeof(st);
        if (getsockopt(c->packet_fd, SOL_PACKET, PACKET_STATISTICS, &st, &stl) == 0)
                c->lost += st.tp_drops;
        return n;
}

int watch_capture_drain(struct watch_capture *c, void (*fn)(const struct watch_packet *p, void *data), void *data)
{
        if (c->method == WATCH_METHOD_BPF)
                return drain_ring(c, fn, data);
        return drain_packet(c, fn, data);
}

void watch_capture_counts(const struct watch_capture *c, uint64_t *ret_seen, uint64_t *ret_lost)
{
        *ret_seen = c->seen;
        *ret_lost = c->lost;
        if (c->method != WATCH_METHOD_BPF)
                return;
        uint64_t *vals = calloc(c->ncpus, sizeof(uint64_t));
        if (!vals)
                return;
        uint64_t totals[2] = { 0, 0 };
        for (uint32_t key = 0; key < 2; key++) {
                union bpf_attr attr;
                memset(&attr, 0, sizeof(attr));
                attr.map_fd = (uint32_t)c->counters_fd;
                attr.key = (uint64_t)(uintptr_t)&key;
                attr.value = (uint64_t)(uintptr_t)vals;
                if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr) < 0)
                        continue;
                for (unsigned i = 0; i < c->ncpus; i++)
                        totals[key] += vals[i];
        }
        free(vals);
        *ret_seen = totals[WATCH_BPF_SEEN];
        *ret_lost = totals[WATCH_BPF_LOST];
}
