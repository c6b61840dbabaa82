/* portscope — watch: probes of ports where nothing listens, port scans, and listeners as they
 * come and go, as they happen.
 *
 * Three parts, each usable alone:
 * - a capture (struct watch_capture) hands over what the kernel saw: packets no socket wanted
 *   (through the BPF program src/bpf/watch.bpf.c, or through an AF_PACKET socket matched against
 *   the listener table) and TCP sockets entering or leaving LISTEN;
 * - the detector (struct watch_detector) turns packets into `probe` and `scan` events under the
 *   rules of struct watch_rules, with bounded state per source;
 * - the listener table (struct watch_listeners) reconciles sock_diag dumps into `listener-new`
 *   and `listener-gone` events.
 * Events (struct watch_event) are written by the outputs (JSON lines, a terminal line, syslog,
 * the SQLite store, Prometheus counters). Nothing here blocks traffic. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "portscope/judge.h"
#include "portscope/port.h"
#include "portscope/verdict.h"

/* ---- what the capture saw ---------------------------------------------------------------- */

enum watch_packet_kind {
        WATCH_PACKET_PROBE = 1,    /* nothing listens on the destination (kernel: NO_SOCKET) */
        WATCH_PACKET_FILTERED = 2, /* dropped by the firewall before any socket was looked up */
        WATCH_PACKET_LISTEN = 3,   /* a TCP socket entered LISTEN */
        WATCH_PACKET_UNLISTEN = 4, /* a TCP socket left LISTEN */
};

struct watch_packet {
        enum watch_packet_kind kind;
        uint64_t time_ns;       /* CLOCK_MONOTONIC */
        uint32_t netns;         /* network namespace inode */
        uint32_t ifindex;
        int family;             /* AF_INET, AF_INET6 */
        enum ps_proto proto;    /* PS_TCP, PS_UDP */
        uint8_t tcp_flags;
        uint16_t sport, dport;  /* listener changes: dport is the local port */
        uint8_t saddr[16], daddr[16];
        pid_t pid;              /* listener changes: the task, 0 when unknown */
        char comm[16];
};

/* The probe's kind from its TCP flags: "syn", "fin", "null", "xmas", "syn-fin", "other"; "udp". */
const char *watch_probe_type(enum ps_proto proto, uint8_t tcp_flags);
/* FIN, NULL, Xmas or SYN+FIN: a stealth probe. */
bool watch_probe_is_stealth(enum ps_proto proto, uint8_t tcp_flags);

enum watch_method { WATCH_METHOD_AUTO = 0, WATCH_METHOD_BPF = 1, WATCH_METHOD_PACKET = 2 };
const char *watch_method_name(enum watch_method m); /* "auto", "bpf", "packet" */

struct watch_capture_options {
        enum watch_method method;
        uint32_t netns;          /* namespace inode to watch; 0: every namespace (BPF only) */
        int netns_fd;            /* the packet fallback: namespace to open its socket in; -1: ours */
        bool filtered;           /* BPF: also report packets to this host dropped by netfilter */
};

struct watch_capture;

/* Opens a capture. On failure *ret_error explains (naming the missing capability when that is
 * the cause) and -errno is returned: -EPERM without privileges. With WATCH_METHOD_AUTO, BPF is
 * tried first, then the packet socket. */
int watch_capture_open(const struct watch_capture_options *o, struct watch_capture **ret, char *ret_error,
                       size_t error_len);
void watch_capture_close(struct watch_capture *c); /* accepts NULL; detaches the programs */
enum watch_method watch_capture_method(const struct watch_capture *c);
/* What this method cannot see, for the user ("" when nothing worth saying). */
const char *watch_capture_limits(const struct watch_capture *c);
/* A descriptor that becomes readable when packets are waiting (for poll/epoll). */
int watch_capture_fd(const struct watch_capture *c);
/* Hands every waiting packet to fn. Returns the number handed over or -errno. */
int watch_capture_drain(struct watch_capture *c, void (*fn)(const struct watch_packet *p, void *data), void *data);
/* Totals kept by the kernel side: packets accepted and packets lost (ring buffer full). */
void watch_capture_counts(const struct watch_capture *c, uint64_t *ret_seen, uint64_t *ret_lost);
/* The packet fallback matches against the listeners: hand it the current table (borrowed until
 * the next call). No-op for BPF. */
struct watch_listeners;
void watch_capture_set_listeners(struct watch_capture *c, const struct watch_listeners *l);

/* ---- events ------------------------------------------------------------------------------ */

enum watch_event_kind {
        WATCH_EVENT_PROBE = 0,
        WATCH_EVENT_SCAN,
        WATCH_EVENT_LISTENER_NEW,
        WATCH_EVENT_LISTENER_GONE,
        WATCH_EVENT_DROPPED,
        WATCH_EVENT_STATUS,
        WATCH_EVENT_NKINDS
};
const char *watch_event_kind_name(enum watch_event_kind k); /* "probe", "scan", "listener-new", ... */

enum watch_rule {
        WATCH_RULE_NONE = 0,
        WATCH_RULE_DARK_PORT,    /* probe: a reserved or unassigned system port */
        WATCH_RULE_CLOSED_PORT,  /* probe: any other port where nothing listens */
        WATCH_RULE_FILTERED,     /* probe: dropped by the firewall */
        WATCH_RULE_VERTICAL,     /* scan: weighted distinct ports within a window */
        WATCH_RULE_SLOW,         /* scan: distinct ports until idle */
        WATCH_RULE_SWEEP,        /* scan: one port across many local addresses or namespaces */
        WATCH_RULE_STEALTH,      /* scan: FIN, NULL, Xmas, SYN+FIN */
        WATCH_RULE_NRULES
};
const char *watch_rule_name(enum watch_rule r); /* "dark-port", "vertical", ... */

struct watch_event {
        enum watch_event_kind kind;
        enum watch_rule rule;
        int64_t time_ms;          /* wall clock, ms since the epoch */
        uint32_t netns;
        const char *netns_name;   /* borrowed; NULL when unknown */
        int family;
        enum ps_proto proto;
        uint16_t port;            /* probe: destination; listener: local port */
        uint8_t source[16];       /* probe, scan: the source address */
        uint8_t address[16];      /* probe: destination; listener: local address */
        uint16_t source_port;
        const char *probe_type;   /* "syn", "udp", ... */
        /* scan */
        uint64_t probes;          /* probes seen from the source so far */
        uint32_t ports;           /* distinct closed ports */
        uint32_t targets;         /* sweep: distinct local addresses or namespaces */
        int64_t first_ms, last_ms;
        bool final;               /* the summary written on stopping */
        /* listener */
        pid_t pid;
        const char *process;      /* borrowed; raw bytes: escape before display */
        const char *container;    /* borrowed; "" or NULL when none */
        /* dropped, status */
        uint64_t count;
        const char *message;      /* status: what is watched and how (English: JSONL, syslog, store) */
        const char *text;         /* status: the same for people, translated (NULL: message) */
        /* the verdict: listeners are judged when found, probes by watch_event_judge(); its reason
         * is English (JSON lines, syslog, the store) */
        bool judged;
        struct verdict verdict;
        const char *reason_text;  /* the same reason in the reader's language, for the terminal
                                   * (borrowed; NULL: the reader reads English) */
};

/* Judges a probe or scan event with c: traffic to a port where nothing listens, so the registry
 * status decides (a reserved or unassigned system port is suspicious/high, an assigned port
 * unexplained, the dynamic range info); knowledge, which describes occupants, is not used.
 * The reason is English; when the reader's language is another and text is given, the reason in
 * it goes into text (len bytes), which e->reason_text then points at. */
void watch_event_judge(struct watch_event *e, const struct verdict_context *c, char *text, size_t len);

/* ---- detection ---------------------------------------------------------------------------- */

#define WATCH_MAX_IGNORE 64

struct watch_rules {
        unsigned dark_repeat_s;   /* a (source, port) probe is repeated at most once per this; 600 */
        unsigned vertical_points; /* 21 */
        unsigned vertical_window_s; /* 60 */
        unsigned system_weight;   /* points of a system port; 3 (others 1) */
        unsigned slow_ports;      /* 25 */
        unsigned slow_idle_s;     /* 900 */
        unsigned sweep_targets;   /* 10 */
        unsigned sweep_window_s;  /* 60 */
        unsigned summary_s;       /* a reported source is summarised, not re-announced; 3600 */
        unsigned max_sources;     /* 4096 */
        unsigned probe_rate;      /* probe events a second, all sources together; beyond, counted in a
                                   * status line (spoofed SYNs from many sources are one line a
                                   * second, not one each); 0: no limit; 100 */
        bool probes_all;          /* report probes of every closed port, not only dark ones; true */
        bool ignore_loopback;     /* true */
        bool ignore_chatty;       /* UDP: DHCP, NetBIOS, DHCPv6, SSDP, mDNS, LLMNR, and late replies
                                   * (from 53, 123 ... to a port of the ephemeral range); true */
        uint16_t ephemeral_lo, ephemeral_hi; /* ip_local_port_range when the rules were made */
        /* --ignore: sources (address/prefix) and ports */
        struct { int family; uint8_t addr[16]; unsigned prefix; } ignore_src[WATCH_MAX_IGNORE];
        size_t nignore_src;
        struct { uint16_t lo, hi; unsigned protos; } ignore_port[WATCH_MAX_IGNORE];
        size_t nignore_port;
};
void watch_rules_default(struct watch_rules *r);
/* Adds an --ignore item: "ADDRESS[/PREFIX]", "PORT[-PORT][/PROTO]". Returns 0, -EINVAL, -ENOSPC. */
int watch_rules_ignore(struct watch_rules *r, const char *item);
/* One rule setting "name=value" (dark-repeat, vertical-points, ...). Returns 0 or -EINVAL. */
int watch_rules_set(struct watch_rules *r, const char *setting);

struct watch_detector;
struct registry;
/* reg (borrowed, may be NULL) tells dark ports from others. NULL on out-of-memory. */
struct watch_detector *watch_detector_new(const struct watch_rules *r, const struct registry *reg);
void watch_detector_free(struct watch_detector *d);
/* Feeds one probe; emits 0 or more events through emit (the event is valid during the call). */
void watch_detector_feed(struct watch_detector *d, const struct watch_packet *p, int64_t now_ms,
                         void (*emit)(struct watch_event *e, void *data), void *data);
/* Emits one final scan summary per reported source still tracked. */
/* Once a second: the probe events held back by probe-rate in the second that ended, as one status
 * event. */
void watch_detector_tick(struct watch_detector *d, int64_t now_ms, void (*emit)(struct watch_event *e, void *data),
                         void *data);
void watch_detector_finish(struct watch_detector *d, int64_t now_ms, void (*emit)(struct watch_event *e, void *data),
                           void *data);
/* Sources tracked and evicted so far (for status lines and tests). */
void watch_detector_stats(const struct watch_detector *d, size_t *ret_sources, uint64_t *ret_evicted);

/* ---- listeners ----------------------------------------------------------------------------- */

struct watch_listeners;
struct watch_listeners *watch_listeners_new(void);
void watch_listeners_free(struct watch_listeners *l);
/* Dumps the listeners of the namespace netns_fd (-1: ours; inode netns) and emits listener-new
 * for each one not seen before and listener-gone for each one gone. The first reconcile of a
 * namespace announces nothing unless announce_first. Returns 0 or -errno. */
int watch_listeners_reconcile(struct watch_listeners *l, const struct verdict_context *vc, int netns_fd,
                              uint32_t netns, bool announce_first, int64_t now_ms, void (*emit)(struct watch_event *e, void *data), void *data);
/* The namespace netns is gone, and its listeners with it: emits listener-gone for each one that
 * was announced and forgets them all (a namespace made again later is new). */
void watch_listeners_forget(struct watch_listeners *l, uint32_t netns, int64_t now_ms,
                            void (*emit)(struct watch_event *e, void *data), void *data);
/* A TCP listener the kernel announced (pid and comm of the task that called listen()) and closed
 * before a dump could list it: emits its listener-new and listener-gone, judged as a dump's. */
void watch_listeners_brief(const struct verdict_context *vc, uint32_t netns, int family, const uint8_t addr[16],
                           uint16_t port, pid_t pid, const char *comm, int64_t now_ms,
                           void (*emit)(struct watch_event *e, void *data), void *data);
/* Whether something in namespace netns listens on (proto, family, addr, port): for the packet
 * fallback, which must tell "nothing listens" itself. */
bool watch_listeners_has(const struct watch_listeners *l, uint32_t netns, enum ps_proto proto, int family,
                         const uint8_t addr[16], uint16_t port);

/* ---- outputs ------------------------------------------------------------------------------ */

struct registry;
/* One JSON object, one line (with "registry" only on status events). */
void watch_write_jsonl(FILE *f, const struct watch_event *e, const struct registry *reg);
/* One readable line, escaped for a terminal. */
void watch_write_line(FILE *f, const struct watch_event *e, bool color);
/* The line sent to syslog (fail2ban: "... from ADDRESS ..."), into buf. */
void watch_format_syslog(const struct watch_event *e, char *buf, size_t len);

/* Prometheus counters by protocol, range, registry status and rule. */
struct watch_metrics;
struct watch_metrics *watch_metrics_new(void);
void watch_metrics_free(struct watch_metrics *m);
void watch_metrics_add(struct watch_metrics *m, const struct watch_event *e);
/* Writes the text exposition format; seen and lost are the capture's kernel totals. */
int watch_metrics_write(const struct watch_metrics *m, FILE *f, uint64_t seen, uint64_t lost);

/* The SQLite store: table watch_events. */
struct watch_store;
/* Opens (creating) the store through ps_store_open(); 0, or -errno with a one-line reason in err. */
int watch_store_open(const char *path, struct watch_store **ret, char *err, size_t errlen);
int watch_store_add(struct watch_store *s, const struct watch_event *e);
int watch_store_flush(struct watch_store *s); /* commits the open transaction */
void watch_store_close(struct watch_store *s);
