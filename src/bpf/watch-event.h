/* portscope — what the watch BPF program (watch.bpf.c) hands to user space through its ring
 * buffer. Shared by the BPF program and src/watch: fixed-size fields only. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Bytes of the ring buffer (a power of two, a multiple of the page size). */
#define WATCH_BPF_RING_SIZE (1u << 22)

enum watch_bpf_kind {
        WATCH_BPF_PROBE = 1,    /* a packet dropped because no socket wanted it (NO_SOCKET) */
        WATCH_BPF_FILTERED = 2, /* a packet to this host dropped by netfilter (NETFILTER_DROP) */
        WATCH_BPF_LISTEN = 3,   /* a TCP socket entered LISTEN */
        WATCH_BPF_UNLISTEN = 4, /* a TCP socket left LISTEN */
};

/* Per-CPU counters (array indexes). */
enum watch_bpf_counter {
        WATCH_BPF_SEEN = 0,    /* probes and listener changes the program accepted */
        WATCH_BPF_LOST = 1,    /* of those, the ones the ring buffer had no room for */
        WATCH_BPF_IGNORED = 2, /* NO_SOCKET drops skipped: RST/ACK, other protocols, other netns */
        WATCH_BPF_NCOUNTERS = 4,
};

struct watch_bpf_event {
        __u64 time_ns;    /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
        __u32 netns;      /* network namespace inode */
        __u32 ifindex;
        __u32 pid;        /* listener events: the task that changed the state (tgid) */
        __u8 kind;        /* enum watch_bpf_kind */
        __u8 family;      /* AF_INET or AF_INET6 */
        __u8 protocol;    /* IPPROTO_TCP, IPPROTO_UDP */
        __u8 tcp_flags;   /* the probe's TCP flags byte */
        __u16 sport;      /* host order */
        __u16 dport;      /* host order; listener events: the local port */
        __u8 saddr[16];   /* network order; IPv4 in the first 4 bytes */
        __u8 daddr[16];   /* listener events: the local address */
        char comm[16];
};
