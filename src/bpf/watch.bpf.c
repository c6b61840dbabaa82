// SPDX-License-Identifier: GPL-2.0 OR MIT
/* portscope watch: the kernel's own "nothing listens here" decision and listeners as they come
 * and go.
 *
 * skb:kfree_skb with reason NO_SOCKET is where TCP and UDP give up on a packet no socket wanted;
 * the reason's number differs between kernels, so it is resolved from the running kernel's BTF
 * when the program loads (bpf_core_enum_value). TCP counts only packets that open or probe (SYN,
 * FIN, NULL, Xmas, SYN+FIN): never RST or ACK, which is what a raw-socket scanner's own replies
 * look like when they die here too. sock:inet_sock_set_state reports TCP sockets entering and
 * leaving LISTEN. Events go through a ring buffer; per-CPU counters keep the totals when a
 * flood fills it. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "watch-event.h"

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10
#define TCP_LISTEN_STATE 10

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set before loading: the namespace to watch (0: every namespace), whether to report packets
 * netfilter dropped. */
const volatile __u32 watch_netns = 0;
const volatile __u8 watch_filtered = 0;

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, WATCH_BPF_RING_SIZE);
} events SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, WATCH_BPF_NCOUNTERS);
        __type(key, __u32);
        __type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which)
{
        __u64 *v = bpf_map_lookup_elem(&counters, &which);
        if (v)
                *v += 1;
}

static __always_inline int submit(struct watch_bpf_event *e)
{
        count(WATCH_BPF_SEEN);
        if (bpf_ringbuf_output(&events, e, sizeof(*e), 0) < 0)
                count(WATCH_BPF_LOST);
        return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(watch_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
        __u8 kind;
        if (reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NO_SOCKET))
                kind = WATCH_BPF_PROBE;
        else if (watch_filtered &&
                 reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP))
                kind = WATCH_BPF_FILTERED;
        else
                return 0;

        /* A firewall drops outgoing packets too (OUTPUT, a local reject): only what came in, which
         * has an ingress interface, is a probe of this host. */
        if (kind == WATCH_BPF_FILTERED && (!BPF_CORE_READ(skb, skb_iif) || !BPF_CORE_READ(skb, dev))) {
                count(WATCH_BPF_IGNORED);
                return 0;
        }
        __u32 netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
        if (watch_netns && netns != watch_netns) {
                count(WATCH_BPF_IGNORED);
                return 0;
        }
        struct watch_bpf_event e = {};
        e.kind = kind;
        e.netns = netns;
        e.ifindex = BPF_CORE_READ(skb, dev, ifindex);

        unsigned char *head = BPF_CORE_READ(skb, head);
        __u16 nh = BPF_CORE_READ(skb, network_header);
        __u16 th = BPF_CORE_READ(skb, transport_header);
        __u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
        if (proto == ETH_P_IP) {
                struct iphdr ip;
                if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) < 0)
                        return 0;
                e.family = AF_INET;
                e.protocol = ip.protocol;
                __builtin_memcpy(e.saddr, &ip.saddr, 4);
                __builtin_memcpy(e.daddr, &ip.daddr, 4);
                if (th == (__u16)~0U || th == nh) /* transport header not set yet (netfilter) */
                        th = nh + ip.ihl * 4;
        } else if (proto == ETH_P_IPV6) {
                struct ipv6hdr ip6;
                if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh) < 0)
                        return 0;
                e.family = AF_INET6;
                e.protocol = ip6.nexthdr;
                __builtin_memcpy(e.saddr, &ip6.saddr, 16);
                __builtin_memcpy(e.daddr, &ip6.daddr, 16);
                if (th == (__u16)~0U || th == nh)
                        th = nh + sizeof(ip6);
        } else {
                count(WATCH_BPF_IGNORED);
                return 0;
        }
        if (e.protocol == IPPROTO_TCP) {
                struct tcphdr tcp;
                if (bpf_probe_read_kernel(&tcp, sizeof(tcp), head + th) < 0)
                        return 0;
                __u8 flags = ((__u8 *)&tcp)[13];
                if (flags & (TCP_FLAG_RST | TCP_FLAG_ACK)) {
                        count(WATCH_BPF_IGNORED);
                        return 0;
                }
                e.tcp_flags = flags;
                e.sport = bpf_ntohs(tcp.source);
                e.dport = bpf_ntohs(tcp.dest);
        } else if (e.protocol == IPPROTO_UDP) {
                struct udphdr udp;
                if (bpf_probe_read_kernel(&udp, sizeof(udp), head + th) < 0)
                        return 0;
                e.sport = bpf_ntohs(udp.source);
                e.dport = bpf_ntohs(udp.dest);
        } else {
                count(WATCH_BPF_IGNORED);
                return 0;
        }
        e.time_ns = bpf_ktime_get_ns();
        return submit(&e);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(watch_sock_state, struct sock *sk, int oldstate, int newstate)
{
        if (newstate != TCP_LISTEN_STATE && oldstate != TCP_LISTEN_STATE)
                return 0;
        if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
                return 0;
        __u32 netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
        if (watch_netns && netns != watch_netns)
                return 0;
        struct watch_bpf_event e = {};
        e.kind = newstate == TCP_LISTEN_STATE ? WATCH_BPF_LISTEN : WATCH_BPF_UNLISTEN;
        e.netns = netns;
        e.protocol = IPPROTO_TCP;
        e.family = BPF_CORE_READ(sk, __sk_common.skc_family);
        e.dport = BPF_CORE_READ(sk, __sk_common.skc_num);
        if (e.family == AF_INET) {
                __u32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
                __builtin_memcpy(e.daddr, &a, 4);
        } else {
                BPF_CORE_READ_INTO(&e.daddr, sk, __sk_common.skc_v6_rcv_saddr);
        }
        e.pid = bpf_get_current_pid_tgid() >> 32;
        bpf_get_current_comm(e.comm, sizeof(e.comm));
        e.time_ns = bpf_ktime_get_ns();
        return submit(&e);
}
