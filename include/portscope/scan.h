/* portscope — the port scanner: targets, port sets, the scan order, the engines and their results.
 *
 * A scan is the set of pairs (target, port) of a `struct scan_targets` and a `struct scan_ports`,
 * visited in a random order that depends only on the seed (`struct scan_perm`), optionally split
 * into shards. An engine (connect, syn, udp) probes the pairs and reports each result through a
 * callback; `scan_report_*` turns results into the report that outputs print (docs/scan.md). */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "portscope/knowledge.h"
#include "portscope/port.h"
#include "portscope/judge.h"
#include "portscope/registry.h"

/* ---- addresses ------------------------------------------------------------------------- */

/* An IPv4 or IPv6 address. For IPv4 the four bytes are in a[0..3], network order. */
struct scan_addr {
        int family; /* AF_INET or AF_INET6 */
        uint8_t a[16];
};

/* Writes the address in its usual text form ("198.18.0.2", "::1"); returns 0 or -ENOSPC. */
int scan_addr_format(const struct scan_addr *a, char *buf, size_t len);
/* Parses a literal IPv4 or IPv6 address (no names). Returns 0 or -EINVAL. */
int scan_addr_parse(const char *s, struct scan_addr *ret);
int scan_addr_compare(const struct scan_addr *a, const struct scan_addr *b);
struct sockaddr_storage;
/* Fills *ss with (a, port) as a sockaddr_in or sockaddr_in6; returns its length. */
unsigned scan_addr_sockaddr(const struct scan_addr *a, uint16_t port, struct sockaddr_storage *ss);

/* ---- targets ----------------------------------------------------------------------------- */

/* A set of addresses: IPv4 and IPv6 intervals, kept sorted and merged, exclusions removed. */
struct scan_targets;

enum {
        SCAN_TARGETS_NO_DNS = 1u << 0, /* names are an error instead of being resolved */
};

/* At most this many addresses in one scan (2^32: all of IPv4). */
#define SCAN_TARGETS_MAX (UINT64_C(1) << 32)

struct scan_targets *scan_targets_new(void); /* NULL on OOM; free with scan_targets_free */
void scan_targets_free(struct scan_targets *t); /* accepts NULL */

/* Adds (or, for _exclude, removes) one target: a name, an IPv4 or IPv6 address, a CIDR block
 * ("198.18.0.0/24", "fd00::/120"), a range ("198.18.0.1-198.18.0.9", "198.18.0.1-9").
 * On failure returns -EINVAL/-ERANGE/-E2BIG/-ENOENT (name not found) and writes a one-line
 * reason (without the input) into err. */
int scan_targets_add(struct scan_targets *t, const char *spec, unsigned flags, char *err, size_t errlen);
int scan_targets_exclude(struct scan_targets *t, const char *spec, unsigned flags, char *err, size_t errlen);
/* Reads targets from a file: whitespace or comma separated, '#' starts a comment. Errors name
 * the line ("line 3: ..."). exclude selects scan_targets_exclude. */
int scan_targets_add_file(struct scan_targets *t, const char *path, bool exclude, unsigned flags, char *err,
                          size_t errlen);
/* Applies the exclusions and freezes the set. Must be called before count/get. */
int scan_targets_finish(struct scan_targets *t, char *err, size_t errlen);
uint64_t scan_targets_count(const struct scan_targets *t);
/* The i-th address in ascending order (IPv4 before IPv6); i < count. */
void scan_targets_get(const struct scan_targets *t, uint64_t i, struct scan_addr *ret);
/* Index of a, or -1 when a is not in the set. */
int64_t scan_targets_index(const struct scan_targets *t, const struct scan_addr *a);
/* The name given for an address ("localhost"), or NULL. Borrowed. */
const char *scan_targets_name(const struct scan_targets *t, const struct scan_addr *a);

/* ---- port sets ----------------------------------------------------------------------------- */

struct scan_ports {
        uint16_t *ports; /* ascending, unique; malloc'd */
        size_t n;
};

/* Parses a port set for one protocol: a comma-separated list of
 *   N | N-M | N- | -M | - (all of 1-65535)
 *   system-unassigned | unassigned | reserved | assigned | assigned:tcp | assigned:udp
 *   malware (ports of the knowledge file's malware entries) | top:N (nmap-services frequency)
 * Named sets need r (and k for malware); they select the ports for proto unless they name one
 * ("assigned:udp"). Returns 0 or -EINVAL/-ERANGE/-ENOENT with a reason in err. */
int scan_ports_parse(const char *spec, enum ps_proto proto, const struct registry *r, const struct knowledge *k,
                     struct scan_ports *ret, char *err, size_t errlen);
/* The n most frequently open ports of nmap-services for proto. -ENOENT without nmap-services. */
int scan_ports_top(const struct registry *r, enum ps_proto proto, size_t n, struct scan_ports *ret);
void scan_ports_free(struct scan_ports *p); /* frees ports, keeps p */

/* ---- order: a permutation of [0, n), split into shards ----------------------------------- */

/* The multiplicative group modulo the smallest prime p > n, walked from a seeded start with a
 * seeded generator; values above n are skipped. Position k of the cycle belongs to shard
 * k mod nshards, so shards never overlap and their union is the whole (as in zmap). */
struct scan_perm {
        uint64_t n, prime, gen, start;
        uint32_t shard, nshards;
        uint64_t step;      /* gen^nshards mod prime */
        uint64_t first;     /* start * gen^shard mod prime */
        uint64_t positions; /* cycle positions of this shard */
};

struct scan_perm_iter {
        uint64_t x;   /* current group element */
        uint64_t pos; /* positions of this shard consumed so far */
};

/* n >= 1, shard < nshards, n < 2^62. Returns 0 or -EINVAL. */
int scan_perm_init(struct scan_perm *ret, uint64_t n, uint64_t seed, uint32_t shard, uint32_t nshards);
/* Starts an iterator after `done` positions of the shard (0 for a fresh scan, a saved
 * scan_perm_iter.pos to resume). */
void scan_perm_begin(const struct scan_perm *p, uint64_t done, struct scan_perm_iter *ret);
/* Next element of the shard; false at the end. */
bool scan_perm_next(const struct scan_perm *p, struct scan_perm_iter *it, uint64_t *ret);

/* ---- SYN cookies ------------------------------------------------------------------------- */

struct scan_cookie_key {
        uint64_t k0, k1;
};
/* SipHash-2-4 of the connection's addresses and ports, truncated to 32 bits: the sequence
 * number of our SYN, so that a reply proves itself (its ack is cookie + 1). */
uint32_t scan_cookie(const struct scan_cookie_key *key, const struct scan_addr *src, const struct scan_addr *dst,
                     uint16_t sport, uint16_t dport);
uint64_t scan_siphash(const struct scan_cookie_key *key, const void *data, size_t len);

/* ---- engines and results ------------------------------------------------------------------- */

enum scan_engine { SCAN_ENGINE_CONNECT = 0, SCAN_ENGINE_SYN = 1, SCAN_ENGINE_UDP = 2, SCAN_NENGINES };
const char *scan_engine_name(enum scan_engine e); /* "connect", "syn", "udp" */
/* Accepts the names and nmap's -sT, -sS, -sU (also "sT", "T", ...). Returns 0 or -EINVAL. */
int scan_engine_parse(const char *s, enum scan_engine *ret);

enum scan_state { SCAN_OPEN = 0, SCAN_CLOSED = 1, SCAN_FILTERED = 2, SCAN_OPEN_FILTERED = 3, SCAN_NSTATES };
const char *scan_state_name(enum scan_state s); /* "open", "closed", "filtered", "open|filtered" */
enum scan_unprobed;
/* "excluded", "interrupted", "no-files" (JSON's service_unprobed); NULL for SCAN_PROBED. */
const char *scan_unprobed_name(enum scan_unprobed u);

/* Why a port got its state, with nmap's names ("syn-ack", "conn-refused", ...). */
enum scan_reason {
        SCAN_REASON_SYN_ACK = 0,
        SCAN_REASON_RESET,
        SCAN_REASON_CONN_REFUSED,
        SCAN_REASON_NO_RESPONSE,
        SCAN_REASON_UDP_RESPONSE,
        SCAN_REASON_PORT_UNREACH,
        SCAN_REASON_HOST_UNREACH,
        SCAN_REASON_NET_UNREACH,
        SCAN_REASON_ADMIN_PROHIBITED,
        SCAN_REASON_PROTO_UNREACH,
        SCAN_REASON_SELF_CONNECT,
        /* Added later: the values above keep their numbers (a --resume file holds them). */
        SCAN_REASON_NET_PROHIBITED,  /* ICMP unreachable code 9 */
        SCAN_REASON_HOST_PROHIBITED, /* code 10 (the REJECT rule of RHEL's stock iptables) */
        SCAN_REASON_DEST_UNREACH,    /* another code of destination unreachable */
        SCAN_REASON_NO_ROUTE,        /* ICMPv6 code 0 */
        SCAN_REASON_BEYOND_SCOPE,    /* ICMPv6 code 2 */
        SCAN_REASON_REJECT_ROUTE,    /* ICMPv6 code 6 */
        SCAN_NREASONS
};
const char *scan_reason_name(enum scan_reason r);
/* The reason an ICMP destination unreachable (IPv4 type 3, or ICMPv6 type 1 when v6) of this
 * code gives, with nmap's names: net-, host-, proto-, port-unreach, net-, host-, admin-prohibited
 * (IPv4 codes 0-3, 9, 10, 13; unknown network and TOS variants count as net- or host-unreach);
 * no-route, admin-prohibited, beyond-scope, host-unreach, port-unreach, reject-route (ICMPv6
 * codes 0-4, 6; 5, a source address refused by policy, is admin-prohibited); dest-unreach for
 * any other code. */
enum scan_reason scan_icmp_unreach_reason(bool v6, uint8_t code);

struct scan_result {
        uint64_t index;         /* target index * nports + port index */
        struct scan_addr addr;
        uint16_t port;
        enum ps_proto proto;
        enum scan_state state;
        enum scan_reason reason;
        uint8_t ttl;            /* of the reply, 0 when unknown */
        uint8_t tries;          /* probes sent until the answer */
        bool unconfirmed;       /* UDP: silence, but ICMP was rate-limited or the budget ran out */
        uint32_t rtt_us;        /* 0 when unknown */
};

struct scan_progress {
        uint64_t total;     /* probes of the first pass (pairs in this shard) */
        uint64_t sent;      /* probes sent, retries included */
        uint64_t done;      /* pairs of the first pass sent */
        uint64_t found;     /* open ports so far */
        unsigned pass;
        double elapsed;     /* seconds */
        double rate;        /* probes per second, recent */
};

struct scan_stats {
        uint64_t pairs;       /* pairs in this shard */
        uint64_t sent;        /* probes sent, retries included */
        uint64_t replies;     /* valid replies */
        uint64_t invalid;     /* replies that failed the cookie or did not belong to the scan */
        uint64_t open, closed, filtered, open_filtered;
        uint64_t capture_drops; /* packets the kernel dropped from our capture ring */
        uint64_t send_errors;
        uint64_t resume_pos;  /* positions of the shard done (for --resume) */
        uint64_t *pending;    /* interrupted: pairs still to retry (malloc'd, caller frees) */
        size_t npending;
        unsigned passes;
        unsigned inflight;    /* connect: the window used */
        double elapsed;
        double srtt_ms;       /* smoothed round trip time measured */
        bool interrupted;
        bool icmp_limited;    /* UDP: the target limited its ICMP messages */
        bool udp_budget_spent; /* UDP: --udp-budget ran out with ports still silent */
};

/* Called for every result (from the engine's thread, never concurrently). Returning < 0 stops
 * the scan. Every answer is reported (open, closed, filtered by an ICMP error); pairs that stayed
 * silent are reported when config.all_states (UDP: always, as open|filtered). */
typedef int (*scan_result_fn)(void *userdata, const struct scan_result *r);
typedef void (*scan_progress_fn)(void *userdata, const struct scan_progress *p);

struct scan_config {
        enum scan_engine engine;
        const struct scan_targets *targets; /* borrowed, finished */
        const struct scan_ports *ports;     /* borrowed */
        uint64_t seed;
        uint32_t shard, nshards;            /* 0/1 for the whole */
        uint64_t resume_pos;                /* positions of the shard already done */
        const uint64_t *resume_pending;     /* pairs to retry from an interrupted run (borrowed) */
        size_t nresume_pending;
        double rate;                        /* probes per second, 0: unlimited */
        int max_retries;                    /* -1: automatic (retry while retries find answers, <= 10) */
        unsigned timeout_ms;                /* the longest a probe is waited for (default 1000) */
        unsigned min_timeout_ms;            /* adaptive timeouts never go below (default 5) */
        unsigned max_inflight;              /* connect: 0 = from RLIMIT_NOFILE */
        unsigned threads;                   /* connect: 0 = number of CPUs */
        uint16_t sport_lo, sport_hi;        /* syn: source ports (default 61000-61999) */
        const char *source;                 /* source address, NULL: from the route */
        const char *payloads_path;          /* udp: nmap-payloads, NULL: /usr/share/nmap */
        unsigned udp_budget_ms;             /* udp: time for ports that stay silent (default 5000) */
        bool all_states;
        bool drop_privileges;               /* syn, udp raw: drop capabilities after opening */
        volatile sig_atomic_t *stop;        /* set non-zero to stop (from a signal handler) */
        scan_result_fn on_result;
        scan_progress_fn on_progress;       /* may be NULL; called about 10 times a second */
        void *userdata;
};

/* Default values for everything, engine connect. */
void scan_config_init(struct scan_config *c);
/* Whether the raw-socket engines can run (CAP_NET_RAW). */
bool scan_privileged(void);
/* Runs the scan. Returns 0 (interrupted scans too: stats->interrupted), or -errno with a reason
 * in err. */
int scan_run(const struct scan_config *c, struct scan_stats *stats, char *err, size_t errlen);

/* Drops every capability and sets no_new_privs; used by the raw engines once their sockets are
 * open. Returns 0 or -errno. */
int scan_drop_privileges(void);
/* Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit. */
unsigned long scan_raise_nofile(void);

/* ---- service identification ------------------------------------------------------------------ */

/* nmap-service-probes: probes, their match rules (PCRE2), compiled lazily. Immutable after load
 * except for the lazily compiled regexes (compiled under a lock: matching is thread-safe). */
struct scan_probes;

/* path NULL: $PORTSCOPE_SERVICE_PROBES, else /usr/share/nmap/nmap-service-probes. */
int scan_probes_load(const char *path, struct scan_probes **ret, struct ps_error *err);
int scan_probes_parse(const char *name, const char *data, size_t len, struct scan_probes **ret,
                      struct ps_error *err);
void scan_probes_free(struct scan_probes *p); /* accepts NULL */
size_t scan_probes_count(const struct scan_probes *p);
size_t scan_probes_nmatches(const struct scan_probes *p);

struct scan_service {
        char name[48];      /* "ssh", "http", "https" (http inside TLS); "" when unknown */
        char product[96];
        char version[48];
        char info[96];
        char probe[32];     /* the probe that got the answer ("NULL", "GetRequest") */
        bool soft;          /* only a softmatch */
        bool tls;           /* identified inside TLS */
        bool tcpwrapped;    /* the server closed the connection before saying anything (name "") */
        unsigned probes;    /* probes sent (the NULL probe, a banner, not counted) */
        bool excluded;      /* not probed at all: the probes file's Exclude names the port */
        unsigned char banner[512]; /* the first bytes of the answer, raw (escape before display) */
        size_t banner_len;
};

/* Matches a response to probe `probe` ("NULL" for a banner) against the rules (then those of
 * the probe's fallbacks). Returns 1 and fills ret on a match, 0 without one, -errno on error. */
int scan_probes_match(struct scan_probes *p, const char *probe, enum ps_proto proto, const unsigned char *resp,
                      size_t len, struct scan_service *ret);

struct scan_service_opts {
        unsigned wait_ms;   /* the most time spent on one port, all probes included (default 5000) */
        unsigned intensity; /* 0-9 (default 7): probes rarer than this go only to the ports they name */
        bool no_tls;        /* do not identify what runs inside TLS */
        const volatile sig_atomic_t *stop; /* non-zero: stop (checked every 50 ms); may be NULL */
};
void scan_service_opts_init(struct scan_service_opts *o);

/* Identifies the service on an open port as nmap's version detection does (docs/scan.md): TCP:
 * a banner, then the probes of nmap-service-probes that name the port, then the others up to
 * the intensity, in rarity order, with fallbacks and soft matches, and again inside TLS when
 * the port speaks TLS; UDP: the UDP probes the same way. Bounded by o->wait_ms; returns early
 * on a stop. Fills ret (name "" when unidentified). Returns 0 or -errno (TCP: no connection).
 * p may be NULL for banners only. Safe to call from several threads on one p. */
int scan_service_identify(struct scan_probes *p, const struct scan_addr *addr, uint16_t port, enum ps_proto proto,
                          const struct scan_service_opts *o, struct scan_service *ret);

/* nmap-payloads: UDP payloads per port. */
struct scan_payloads;
int scan_payloads_load(const char *path, struct scan_payloads **ret, char *err, size_t errlen);
int scan_payloads_parse(const char *data, size_t len, struct scan_payloads **ret, char *err, size_t errlen);
void scan_payloads_free(struct scan_payloads *p);
/* The payload for port (first one listed), or NULL (len 0). Borrowed. */
const unsigned char *scan_payloads_get(const struct scan_payloads *p, uint16_t port, size_t *ret_len);
/* The k-th payload listed for port (k counts from 0, modulo the port's payloads): the UDP engine's
 * k-th try sends it, as nmap does, for services that answer only one of them. */
const unsigned char *scan_payloads_get_nth(const struct scan_payloads *p, uint16_t port, unsigned k, size_t *ret_len);
size_t scan_payloads_count(const struct scan_payloads *p);

/* ---- the report: registry status, knowledge, service and verdict per port ------------------- */

/* Verdicts come from the verdict engine (judge.h): one vocabulary with the audit. */
const char *scan_verdict_name(enum verdict_kind v); /* "expected", "mismatch", ... */

/* What the registry and the knowledge file say about one port and protocol: computed once per
 * distinct port by scan_report_finish() and shared by every host's report of that port. */
struct scan_port_facts {
        enum registry_status status;
        char registered[128];        /* the registry's service names for the port, comma-separated */
        const struct knowledge_entry *knowledge[8]; /* borrowed from the knowledge */
        size_t nknowledge;
        struct scan_port_facts *next_alloc; /* internal: the report's list of what it allocated */
};

#define SCAN_EXPLANATION_MAX 640

struct scan_port_report {
        struct scan_result r;
        const struct scan_port_facts *facts; /* borrowed from the report; set by scan_report_finish() */
        struct scan_service *service; /* owned by the report (malloc'd): NULL unless identified */
        enum scan_unprobed {          /* service identification was asked for, and did not probe it: */
                SCAN_PROBED = 0,      /* (it did, or it was not asked for) */
                SCAN_UNPROBED_EXCLUDED, /* the probes file's Exclude names the port (printers, by default) */
                SCAN_UNPROBED_INTERRUPTED, /* the scan was interrupted first */
                SCAN_UNPROBED_NO_FILES, /* no file descriptor was left for it */
                SCAN_NUNPROBED
        } unprobed;
        enum verdict_kind verdict;    /* set by scan_report_finish() / scan_report_judge() */
        enum verdict_severity severity;
        enum judge_rule rule;
        int change;                   /* --changes: +1 newly open, -1 no longer open, 0 same */
};

struct scan_host_report {
        struct scan_addr addr;
        const char *name;            /* borrowed from the targets, or NULL */
        struct scan_port_report *ports; /* sorted by port */
        size_t nports, cap;
        uint64_t closed, filtered, open_filtered; /* counts of the states not listed */
        uint32_t filtered_listed;    /* filtered ports listed (at most SCAN_FILTERED_LISTED) */
        bool up;                     /* any answer at all */
};
/* Whether a host has what its listed ports do not say: it answered, or ports it only counts
 * (what --resume state and the --jsonl host line keep). */
static inline bool scan_host_counted(const struct scan_host_report *h)
{
        return h->up || h->closed || h->filtered || h->open_filtered;
}
/* A host's filtered ports are listed one by one up to this many (nmap's 25 ports a state);
 * beyond it, none is listed and `filtered` counts them all ("Not shown: 998 filtered"). */
#define SCAN_FILTERED_LISTED 25

struct scan_report {
        const char *args;            /* the command line, for XML's nmaprun */
        enum scan_engine engine;
        enum ps_proto proto;
        uint64_t seed;
        uint32_t shard, nshards;
        long long start, end;        /* unix time */
        const struct scan_ports *ports;
        const struct scan_targets *targets; /* borrowed: what was scanned (for --changes) */
        const struct registry *registry;   /* borrowed */
        const struct knowledge *knowledge; /* borrowed, may be NULL */
        struct scan_host_report *hosts;    /* sorted by address */
        size_t nhosts, cap;
        size_t *hindex;              /* internal: open-addressing index of hosts (host number + 1) */
        size_t hcap;
        struct scan_stats stats;
        bool all_states;
        bool changes;                /* --changes was computed */
        struct scan_port_report *gone; /* --changes: ports open in the previous scan, not now */
        size_t ngone, capgone;
        struct scan_port_facts **facts; /* internal: [proto * 65536 + port], filled on demand */
        struct scan_port_facts *facts_all; /* internal: every one allocated (freed by walking this) */
};

/* A scan of more addresses than this shows no host that never answered (outputs.c), and keeps
 * only counts for such a host's filtered ports while it has not answered (report.c). */
#define SCAN_SILENT_HOSTS_SHOWN 256

void scan_report_init(struct scan_report *rep);
void scan_report_free(struct scan_report *rep);
/* Adds a result (any state). Returns 0 or -ENOMEM. */
int scan_report_add(struct scan_report *rep, const struct scan_result *r);
/* Sorts hosts and ports and fills the facts and verdict of every port. Returns 0 or -ENOMEM. */
int scan_report_finish(struct scan_report *rep);
/* Recomputes the verdict of one port (after its service was identified; facts set). */
void scan_report_judge(const struct scan_report *rep, struct scan_port_report *pr);
/* The verdict's sentence (at most SCAN_EXPLANATION_MAX - 1 bytes) ("ssh answers on a port assigned to ..."); may quote the service name,
 * escape it before display. Always terminates buf (len > 0). */
void scan_report_explain(const struct scan_report *rep, const struct scan_port_report *pr, char *buf, size_t len);

/* Outputs: one constant table per format (src/scan/outputs/). */
struct scan_output {
        const char *name;  /* "text", "json", "jsonl", "xml", "grep" */
        const char *help;
        /* Writes the whole report to f. tty: f is a terminal (colours, pretty JSON). Returns 0 or
         * -errno. */
        int (*write)(const struct scan_report *rep, FILE *f, bool tty);
};
const struct scan_output *scan_output_find(const char *name);
extern const struct scan_output *const scan_outputs[];

/* ---- the store: results in SQLite, compared with the previous scan --------------------------- */

/* Records the report's open ports (tables scan_runs, scan_ports in db_path; NULL: the store
 * ps_store_open() finds) and, when
 * compare, fills rep->gone and each port's change from the previous scan of each host.
 * Returns 0 or -errno with a reason in err. */
int scan_store_record(const char *db_path, struct scan_report *rep, bool compare, char *err, size_t errlen);

/* ---- resume -------------------------------------------------------------------------------------- */

/* The state of an interrupted scan: what is needed to continue it with --resume. */
struct scan_resume {
        uint64_t seed;
        uint32_t shard, nshards;
        uint64_t pos;           /* positions of the shard done */
        uint64_t fingerprint;   /* of the targets, ports and engine: a resume must match */
        char engine[16];
        const uint64_t *pending; /* save: pairs to retry (borrowed) */
        uint64_t *mpending;      /* load: the same, malloc'd (caller frees) */
        size_t npending;
        /* The runs before this state was saved, all of them (a scan interrupted more than once):
         * what the continued scan's summary adds to its own. */
        struct scan_resume_before {
                uint64_t pairs, sent, replies;
                double elapsed;
                long long started; /* unix time the first run began; 0 if unknown */
        } before;
};
uint64_t scan_fingerprint(const struct scan_targets *t, const struct scan_ports *p, enum scan_engine e);
/* Writes the state and the results so far (report) as JSON, atomically. */
int scan_resume_save(const char *path, const struct scan_resume *st, const struct scan_report *rep);
/* Reads a state file of a scan of targets t and ports p; results found before the interruption
 * are added to rep. A pair that is not one of this scan's makes it fail (-EINVAL). */
int scan_resume_load(const char *path, const struct scan_targets *t, const struct scan_ports *p,
                     struct scan_resume *ret, struct scan_report *rep, struct ps_error *err);

/* ---- merge: the --jsonl outputs of a sharded scan, one report ---------------------------------- */

/* Bounds of one file: port lines, host lines (each), and bytes in a line. */
#define SCAN_MERGE_MAX_LINES (1u << 22)
#define SCAN_MERGE_MAX_LINE (1u << 18)

/* What the files read so far agree on: the same scan (seed, shards, engine, protocol, ports). */
struct scan_merge {
        uint64_t seed, nports;
        uint32_t nshards;
        enum scan_engine engine;
        enum ps_proto proto;
        unsigned char *seen; /* a bit per shard given (malloc'd) */
        size_t nfiles, nseen;
        struct scan_ports ports; /* the report's rep->ports after a merge: the count only (ports NULL) */
        char **names;            /* the hosts' names the report borrows (malloc'd) */
        size_t nnames, names_cap;
};
void scan_merge_init(struct scan_merge *m);
void scan_merge_free(struct scan_merge *m); /* accepts NULL; free after the report that points at it */
/* Reads one --jsonl output (name: for errors) and adds its results to rep, or nothing on error:
 * every line must be a port line, a host line (its counts are added to the host's: the merged
 * report then counts closed and filtered ports as the unsharded scan does) or the closing
 * summary line of the JSONL output, and the file
 * a shard of the same scan as those before, not given twice. Returns 0 or -errno with err
 * naming the line. Then scan_report_finish() judges. */
int scan_merge_read(struct scan_merge *m, struct scan_report *rep, const char *name, FILE *in, struct ps_error *err);
int scan_merge_load(struct scan_merge *m, struct scan_report *rep, const char *path, struct ps_error *err);
