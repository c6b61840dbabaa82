/* portscope — the sockets of this machine (or of another network namespace) and who owns them.
 *
 * Enumeration uses NETLINK_SOCK_DIAG (like ss(8)), with /proc/net as a fallback for protocols the
 * kernel has no diag module for (raw sockets without CONFIG_INET_RAW_DIAG). Owners come from a BPF
 * task-file iterator where the kernel and privileges allow it (root, BTF, the initial PID
 * namespace), else from walking /proc/PID/fd with getdents64 + readlinkat ("socket:[INODE]") on
 * a few threads; then each owning process's details are read from /proc/PID.
 *
 * A `struct sockets_list` owns everything it points to; all strings in it are borrowed from it
 * and valid until sockets_list_free(). Nothing here prints or logs. */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "portscope/judge.h"
#include "portscope/port.h"

/* A socket's protocol: TCP, UDP and SCTP are enum ps_proto's (the same values: a socket's protocol
 * is its registry protocol), then raw IP sockets and packet sockets (AF_PACKET), which have no
 * ports (sockets_proto_to_ps() refuses them; SOCKETS_RAW's value is not PS_DCCP's meaning). */
enum sockets_proto {
        SOCKETS_TCP = PS_TCP,
        SOCKETS_UDP = PS_UDP,
        SOCKETS_SCTP = PS_SCTP,
        SOCKETS_RAW = 3,
        SOCKETS_PACKET = 4,
        SOCKETS_NPROTO = 5
};
/* "tcp", "udp", "sctp", "raw", "packet"; NULL for an invalid value. */
const char *sockets_proto_name(enum sockets_proto p);
/* Case-insensitive; returns 0 and *ret or -EINVAL. */
int sockets_proto_parse(const char *s, enum sockets_proto *ret);
/* The registry protocol of a socket protocol; false for raw and packet sockets (no ports). */
bool sockets_proto_to_ps(enum sockets_proto p, enum ps_proto *ret);
/* Whether a socket of protocol p has ports: false for raw and packet sockets, whose number is a
 * protocol (IP protocol, EtherType). */
static inline bool sockets_proto_has_ports(enum sockets_proto p)
{
        return p < SOCKETS_RAW;
}

/* Who can reach the socket, from its local address and SO_BINDTODEVICE. */
enum sockets_exposure {
        SOCKETS_EXPOSURE_LOOPBACK = 0,  /* 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 */
        SOCKETS_EXPOSURE_ADDRESS = 1,   /* one local address (named interface when known) */
        SOCKETS_EXPOSURE_INTERFACE = 2, /* every address of one interface (SO_BINDTODEVICE) */
        SOCKETS_EXPOSURE_ALL = 3,       /* every address of the namespace: 0.0.0.0 or :: */
};
const char *sockets_exposure_name(enum sockets_exposure e); /* "loopback", "address", "interface", "all" */

/* One process that holds a descriptor of a socket. */
struct sockets_process {
        pid_t pid;
        uid_t uid;            /* real uid from /proc/PID/status, or (uid_t)-1 */
        const char *comm;     /* /proc/PID/comm; "" if unreadable */
        const char *cmdline;  /* arguments joined by spaces (raw bytes; escape before printing) */
        bool cmdline_truncated; /* the command line was longer than 64 KiB: cmdline is its start */
        const char *exe;      /* basename of argv[0] ("" if none) */
        const char *path;     /* the executable, from /proc/PID/exe ("" if unreadable) */
        const char *user;     /* user name, or the uid in decimal */
        const char *cgroup;   /* cgroup v2 path ("" if unknown) */
        const char *unit;     /* systemd unit from the cgroup path ("" if none) */
        const char *container; /* container id (64 hex digits) from the cgroup path ("" if none) */
        /* comm, argv[0]'s basename: a name the executable does not bear (prctl(PR_SET_NAME), exec -a:
         * anyone's to choose), so it names no program; false when the executable is unknown. */
        bool comm_unproven, exe_unproven;
        /* Where the executable lives, when no package would have put it there: then none of its
         * names explains a port (docs/verdicts.md, stray-executable). */
        enum judge_exe_place place;
        const char *place_dir; /* JUDGE_EXE_WRITABLE: that directory, as the process sees it; else NULL */
};

struct sockets_entry {
        enum sockets_proto proto;
        int family;           /* AF_INET or AF_INET6; AF_PACKET for packet sockets */
        uint8_t state;        /* kernel TCP state number (TCP_LISTEN, TCP_CLOSE for unconnected UDP...) */
        bool listening;       /* TCP/SCTP listen, unconnected UDP, raw, packet: a listener */
        bool v6only;          /* IPv6 socket with IPV6_V6ONLY set */
        bool dual_stack;      /* IPv6 wildcard without IPV6_V6ONLY: accepts IPv4 too */
        uint8_t local[16];    /* network order; first 4 bytes for AF_INET */
        uint16_t port;        /* local port; for raw sockets the IP protocol number, for packet
                               * sockets the EtherType they receive (ETH_P_ALL, 3: every frame) */
        uint8_t remote[16];
        uint16_t remote_port;
        uint32_t ifindex;     /* SO_BINDTODEVICE (packet sockets: bind()), 0 when unbound */
        char ifname[IF_NAMESIZE]; /* interface of ifindex or of the local address, "" if none */
        enum sockets_exposure exposure;
        uint64_t inode;       /* 0 for a connection not yet accepted */
        uint32_t uid;         /* socket owner uid as the kernel reports it */
        /* Packet sockets: SOCK_RAW (whole frames), SOCK_DGRAM (without the link-layer header) or the
         * old SOCK_PACKET, and whether a classic BPF filter chooses the frames it receives: the
         * kernel tells it to CAP_NET_ADMIN only (filter_unknown for others), and never tells of an
         * eBPF filter (SO_ATTACH_BPF). */
        uint8_t sock_type;
        bool filter : 1, filter_unknown : 1;
        /* A raw or packet socket that receives nothing: a packet socket of protocol 0 or whose
         * interface is down or gone (not running), an IPv4 raw socket of IPPROTO_RAW (send only).
         * (Bit fields: the entry stays 128 bytes, two cache lines, as it was before these.) */
        bool deaf : 1;
        /* A TCP connection the kernel completed that its program has not accept()ed yet: it waits
         * in the accept queue of the listener listener_inode (same address and port), has no
         * inode of its own, and its owners are that listener's. */
        bool unaccepted;
        uint64_t listener_inode;
        /* Another listener that fits as well (an SO_REUSEPORT group: the kernel does not say
         * whose queue holds it), or 0. When its owners are not listener_inode's, the
         * connection's owners are left unknown rather than given to either program. */
        uint64_t listener_inode_tie;
        /* Owners, filled by sockets_find_owners(): indexes into sockets_list.procs, sorted by pid. */
        const uint32_t *owners;
        size_t nowners;
        /* How many more sockets this entry stands for: verdict_report_build() makes one entry of
         * the listening sockets that differ only in their inode (an SO_REUSEPORT group that the
         * same processes hold); inode is then the first's, and the others' are the merged ones
         * from sockets_list.merged_inodes[merged_at] on (when that is not NULL). 0 for one socket. */
        uint32_t merged;
        uint32_t merged_at;
};

/* What the owner walk saw; tells the user what is missing and why. */
struct sockets_owner_stats {
        bool done;            /* sockets_find_owners() ran */
        bool privileged;      /* could read every process's descriptors */
        bool root;            /* the walk ran with euid 0 */
        unsigned processes;   /* processes looked at */
        unsigned denied;      /* processes whose /proc/PID/fd could not be read (EACCES/EPERM) */
        unsigned vanished;    /* processes that exited during the walk */
        unsigned long fds;    /* descriptors read */
        unsigned threads;     /* threads used */
        unsigned unowned;     /* sockets left without an owner */
        bool bpf;             /* found through the BPF task-file iterator, not the /proc walk */
        char bpf_error[192];  /* why the iterator was not used ("" when it was, or not tried) */
};

struct sockets_list {
        struct sockets_entry *v;
        size_t n;
        struct sockets_process *procs;
        size_t nprocs;
        struct sockets_owner_stats owners;
        /* Protocols that could not be enumerated (no kernel support): PS-style bit mask of
         * (1u << enum sockets_proto), and how raw sockets were read. */
        unsigned unsupported;
        bool raw_from_proc;
        /* The inodes of the sockets merged into other entries (see sockets_entry.merged), or NULL
         * (nothing merged, or no memory to keep them). */
        uint64_t *merged_inodes;
        /* private */
        uint32_t *owner_ix;
        size_t nowner_ix;
        size_t cap;
};

enum {
        SOCKETS_LISTENING = 1u << 0,   /* TCP/SCTP listen, unconnected UDP, raw, packet */
        SOCKETS_CONNECTED = 1u << 1,   /* established TCP (every state but TIME-WAIT), connected UDP */
        SOCKETS_NO_RAW = 1u << 2,
        SOCKETS_NO_SCTP = 1u << 3,
        SOCKETS_NO_BPF = 1u << 4,      /* owners: walk /proc even when the BPF iterator would work */
        SOCKETS_NO_PACKET = 1u << 5,   /* no packet sockets (AF_PACKET) */
};

struct sockets_query {
        unsigned flags;       /* SOCKETS_LISTENING and/or SOCKETS_CONNECTED, plus SOCKETS_NO_* */
        int netns_fd;         /* -1: the calling thread's namespace; else a network namespace fd (borrowed) */
        const char *proc_root; /* NULL: "/proc" */
        unsigned threads;     /* owner walk threads; 0: choose (min(2, online CPUs)) */
};
#define SOCKETS_QUERY_INIT { .flags = SOCKETS_LISTENING, .netns_fd = -1, .proc_root = NULL, .threads = 0 }

/* Lists the sockets. Entering q->netns_fd (setns on the calling thread, then back) needs
 * CAP_SYS_ADMIN. Returns 0 and *ret (caller frees with sockets_list_free), or -errno. */
int sockets_dump(const struct sockets_query *q, struct sockets_list **ret);

/* Finds the processes holding the sockets of l (fills owners, procs and l->owners): through a
 * BPF task-file iterator when the kernel and privileges allow it (and q has neither
 * SOCKETS_NO_BPF nor a proc_root, and we are in the initial PID namespace), else by walking
 * /proc/PID/fd. Returns 0 or -errno. */
int sockets_find_owners(struct sockets_list *l, const struct sockets_query *q);

/* sockets_dump() then sockets_find_owners(), with the BPF iterator (when it is used) running on
 * a second thread while netlink dumps. keep (may be NULL) is called for every socket before
 * owners are looked up; sockets it returns false for are dropped. data is passed to keep. */
int sockets_collect(const struct sockets_query *q, bool (*keep)(const struct sockets_entry *e, void *data), void *data,
                    struct sockets_list **ret);

void sockets_list_free(struct sockets_list *l);
/* net.ipv4.ip_local_port_range of the namespace audited: read once, by the first sockets_dump()
 * (inside its namespace) or the first caller. */
void sockets_ephemeral_range(uint16_t *ret_lo, uint16_t *ret_hi); /* accepts NULL */

/* Opens a network namespace by name (/run/netns/NAME) or path. Returns an fd or -errno. */
int sockets_netns_open(const char *name_or_path);

/* Formats the local (or remote) address: "0.0.0.0", "::", "127.0.0.1", "::ffff:1.2.3.4"; "*" for
 * AF_PACKET (a packet socket has an interface, not an address). */
void sockets_format_addr(int family, const uint8_t addr[16], char *buf, size_t len);
/* Where a socket listens, as a label: its local address, or for a packet socket its interface
 * ("if#N" when it has no name now; "*" for every interface). */
void sockets_format_place(const struct sockets_entry *e, char *buf, size_t len);
/* Parses an IPv4 or IPv6 address (brackets allowed around IPv6). Returns 0 or -EINVAL. */
int sockets_parse_addr(const char *s, size_t len, int *ret_family, uint8_t ret_addr[16]);
/* Whether addr is loopback / the wildcard of its family. */
bool sockets_addr_is_loopback(int family, const uint8_t addr[16]);
bool sockets_addr_is_any(int family, const uint8_t addr[16]);

/* The name of a packet socket's EtherType ("all" for ETH_P_ALL, "ip", "arp", "eapol", "lldp"...),
 * or NULL when it has none here. */
const char *sockets_ethertype_name(uint16_t type);

/* The first (lowest pid) owner, or NULL. */
const struct sockets_process *sockets_entry_owner(const struct sockets_list *l, const struct sockets_entry *e, size_t i);

/* Drops the entries keep returns false for (the processes stay). */
void sockets_list_keep(struct sockets_list *l, bool (*keep)(const struct sockets_entry *e, void *data), void *data);

/* Sorts l->v by protocol, port, family, address (stable output). */
void sockets_list_sort(struct sockets_list *l);

/* Helpers exposed for tests and fuzzers: derive the systemd unit and the container id from a
 * cgroup path. Write "" when there is none. */
void sockets_cgroup_unit(const char *cgroup, char *buf, size_t len);
void sockets_cgroup_container(const char *cgroup, char *buf, size_t len);
/* Parses one line of /proc/net/raw or raw6 into e (fills family, local, port, remote, state,
 * uid, inode). Returns 0, or -EINVAL for the header or a malformed line. */
int sockets_parse_proc_raw_line(const char *line, int family, struct sockets_entry *e);
