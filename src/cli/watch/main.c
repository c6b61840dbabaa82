/* portscope-watch — `portscope watch`: probes of ports where nothing listens, port scans, and
 * listeners as they come and go, as they happen. Parses the command line, opens a capture, and
 * runs one poll loop: packets to the detector, listener changes to a sock_diag reconcile, events
 * to the outputs. Run by `portscope watch ...` (argv {"portscope-watch", "watch", ...}) or
 * directly. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "portscope/i18n.h"
#include "portscope/error.h"
#include "portscope/knowledge.h"
#include "portscope/portinfo.h"
#include "portscope/registry.h"
#include "portscope/sockets.h"
#include "portscope/util.h"
#include "portscope/verdict.h"
#include "portscope/watch.h"
#include "watch-cli.h"

#define MAX_NETNS 256


/* One escaped line "portscope: watch: ..." (ps_errorf) and exit status 2. */
static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        ps_errorf("watch: %s", msg);
        exit(PS_EXIT_ERROR);
}

static unsigned parse_seconds(const char *opt, const char *s, unsigned max)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (!*s || *s == '-' || *end || errno || v > max)
                die_usage(_("%s: '%s' is not a number of seconds (0-%u)"), opt, s, max);
        return (unsigned)v;
}

struct netns_ent {
        uint32_t inode;
        int fd;       /* -1: ours, or opened from path for each reconcile */
        char path[96]; /* --all-netns: opened when needed (an open descriptor would keep a deleted
                        * namespace alive) */
        char name[64];
};

#define MAX_BRIEF 256 /* per 100 ms; more, and the dump is made at once (brief_note()) */

struct watch_cli {
        /* options */
        bool jsonl, use_syslog, all_netns, color;
        const char *metrics_path;
        unsigned reconcile_s;
        /* state */
        struct registry *reg;
        struct verdict_context vc;
        struct watch_capture *cap;
        struct watch_detector *det;
        struct watch_listeners *lis;
        struct watch_metrics *metrics;
        struct watch_store *store;
        struct netns_ent ns[MAX_NETNS];
        size_t nns;
        uint32_t self_netns;
        uint32_t pending[MAX_NETNS]; /* namespaces whose listeners changed (tracepoint) */
        size_t npending;
        int64_t pending_at;          /* when to reconcile them (ms, monotonic) */
        /* TCP listeners the kernel announced since that reconcile, with the task that listened:
         * one that also closed and is not in the dump lived too briefly to be listed. */
        struct brief {
                uint32_t netns;
                int family;
                uint8_t addr[16];
                uint16_t port;
                pid_t pid;
                char comm[16];
                bool closed;
        } brief[MAX_BRIEF];
        size_t nbrief;
        uint64_t lost_reported;
        int64_t last_ns_scan;
        bool write_failed; /* the store or the metrics file */
        bool store_failed; /* said once */
        bool out_failed;   /* standard output */
};

static int64_t mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t inode_of_fd(int fd)
{
        struct stat st;
        return fstat(fd, &st) == 0 ? (uint32_t)st.st_ino : 0;
}

static struct netns_ent *netns_find(struct watch_cli *w, uint32_t inode)
{
        for (size_t i = 0; i < w->nns; i++)
                if (w->ns[i].inode == inode)
                        return &w->ns[i];
        return NULL;
}

/* The ephemeral port range (ip_local_port_range) of the namespace watched, for the late-reply
 * rule: /proc/sys/net is the reading thread's namespace's, so it is read inside. With
 * --all-netns, the host's. */
static void ephemeral_range(int netns_fd, struct watch_rules *rules)
{
        int self, r = ps_netns_enter(netns_fd, &self);
        if (r < 0)
                die_usage(_("--netns: cannot enter the namespace to read its ephemeral port range: %s"), strerror(-r));
        sockets_ephemeral_range(&rules->ephemeral_lo, &rules->ephemeral_hi);
        r = ps_netns_leave(self);
        if (r < 0)
                die_usage(_("cannot return to the network namespace watch started in: %s"), strerror(-r));
}

/* --all-netns: names the namespaces of /run/netns (ip netns add) and ours ("host"). */
static void netns_scan(struct watch_cli *w)
{
        w->last_ns_scan = mono_ms();
        DIR *d = opendir("/run/netns");
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d)) && w->nns < MAX_NETNS) {
                if (de->d_name[0] == '.')
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || netns_find(w, (uint32_t)st.st_ino))
                        continue;
                struct netns_ent *e = &w->ns[w->nns++];
                e->inode = (uint32_t)st.st_ino;
                e->fd = -1;
                snprintf(e->path, sizeof(e->path), "/run/netns/%.80s", de->d_name);
                snprintf(e->name, sizeof(e->name), "%.63s", de->d_name);
        }
        closedir(d);
}

/* A namespace no /run/netns name points to (a container's): found through the first process
 * living in it, named after its container (from its cgroup) or the process. */
static void netns_from_procs(struct watch_cli *w, uint32_t inode)
{
        DIR *d = opendir("/proc");
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d)) && w->nns < MAX_NETNS) {
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                char path[64];
                struct stat st;
                snprintf(path, sizeof(path), "/proc/%.20s/ns/net", de->d_name);
                if (stat(path, &st) < 0 || (uint32_t)st.st_ino != inode)
                        continue;
                char nspath[64];
                snprintf(nspath, sizeof(nspath), "%s", path);
                char cg[512] = "", comm[32] = "", container[80] = "";
                snprintf(path, sizeof(path), "/proc/%.20s/cgroup", de->d_name);
                FILE *f = fopen(path, "re");
                if (f) {
                        if (fgets(cg, sizeof(cg), f))
                                cg[strcspn(cg, "\n")] = 0;
                        fclose(f);
                }
                const char *cgpath = strstr(cg, "::") ? strstr(cg, "::") + 2 : cg;
                sockets_cgroup_container(cgpath, container, sizeof(container));
                snprintf(path, sizeof(path), "/proc/%.20s/comm", de->d_name);
                f = fopen(path, "re");
                if (f) {
                        if (fgets(comm, sizeof(comm), f))
                                comm[strcspn(comm, "\n")] = 0;
                        fclose(f);
                }
                struct netns_ent *e = &w->ns[w->nns++];
                e->inode = inode;
                e->fd = -1;
                snprintf(e->path, sizeof(e->path), "%s", nspath);
                if (container[0])
                        snprintf(e->name, sizeof(e->name), "container %.12s", container);
                else
                        snprintf(e->name, sizeof(e->name), "pid %.20s (%.15s)", de->d_name, comm);
                break;
        }
        closedir(d);
}

static const char *netns_name(struct watch_cli *w, uint32_t inode)
{
        struct netns_ent *e = netns_find(w, inode);
        if (!e && w->all_netns && mono_ms() - w->last_ns_scan > 1000) {
                netns_scan(w);
                e = netns_find(w, inode);
                if (!e) {
                        netns_from_procs(w, inode);
                        e = netns_find(w, inode);
                }
        }
        return e ? e->name : NULL;
}

/* A store write or commit that failed (a full disk, a broken file): said once; the run ends
 * with status 2, and watching goes on. */
static void store_failed(struct watch_cli *w)
{
        if (!w->store_failed)
                ps_errorf(_("watch: could not record an event in the store"));
        w->store_failed = w->write_failed = true;
}

static void emit(struct watch_event *e, void *data)
{
        struct watch_cli *w = data;
        if (!e->netns_name && e->kind != WATCH_EVENT_STATUS && e->kind != WATCH_EVENT_DROPPED)
                e->netns_name = netns_name(w, e->netns);
        char text[sizeof(e->verdict.reason)];
        if (!e->judged)
                watch_event_judge(e, &w->vc, text, sizeof(text));
        if (w->jsonl)
                watch_write_jsonl(stdout, e, w->reg);
        else
                watch_write_line(stdout, e, w->color);
        if (w->use_syslog) {
                char line[512];
                watch_format_syslog(e, line, sizeof(line));
                int prio = e->kind == WATCH_EVENT_SCAN ? LOG_WARNING
                           : e->judged && e->verdict.severity >= VERDICT_HIGH ? LOG_WARNING
                                                                             : LOG_NOTICE;
                syslog(prio, "%s", line);
        }
        if (w->metrics)
                watch_metrics_add(w->metrics, e);
        if (w->store && watch_store_add(w->store, e) < 0)
                store_failed(w);
}

static void pending_add(struct watch_cli *w, uint32_t netns)
{
        for (size_t i = 0; i < w->npending; i++)
                if (w->pending[i] == netns)
                        return;
        if (w->npending < MAX_NETNS)
                w->pending[w->npending++] = netns;
        if (!w->pending_at)
                w->pending_at = mono_ms() + 100; /* let the socket settle into (or out of) the tables */
}

static void settle(struct watch_cli *w, bool forced);

static void brief_note(struct watch_cli *w, const struct watch_packet *p)
{
        struct brief *b = NULL;
        for (size_t i = 0; i < w->nbrief && !b; i++)
                if (w->brief[i].netns == p->netns && w->brief[i].port == p->dport && w->brief[i].family == p->family &&
                    memcmp(w->brief[i].addr, p->daddr, 16) == 0)
                        b = &w->brief[i];
        if (p->kind == WATCH_PACKET_UNLISTEN) {
                if (b)
                        b->closed = true;
                return;
        }
        if (!b && w->nbrief == MAX_BRIEF) {
                /* More listeners in 100 ms than the table holds (a program opening hundreds, or one
                 * hiding a brief listener behind them): the dump is made now, and what it shows
                 * settled, so that none goes unreported. */
                settle(w, true);
                pending_add(w, p->netns);
        }
        if (!b)
                b = &w->brief[w->nbrief++];
        *b = (struct brief){ .netns = p->netns, .family = p->family, .port = p->dport, .pid = p->pid };
        memcpy(b->addr, p->daddr, 16);
        snprintf(b->comm, sizeof b->comm, "%s", p->comm);
}

/* After the reconcile: a listener that opened and closed in between is not in the dump, and would
 * go unseen (a program listening for a moment, a backdoor's probe of the firewall). */
static void brief_report(struct watch_cli *w, bool forced)
{
        for (size_t i = 0; i < w->nbrief; i++) {
                const struct brief *b = &w->brief[i];
                /* Forced (the table full, in the middle of a drain): the closes of these listeners
                 * may still be ahead in the ring; one that the dump, made after its listen, does
                 * not list has closed all the same. */
                if ((b->closed || forced) && !watch_listeners_has(w->lis, b->netns, PS_TCP, b->family, b->addr, b->port))
                        watch_listeners_brief(&w->vc, b->netns, b->family, b->addr, b->port, b->pid, b->comm, wall_ms(),
                                              emit, w);
        }
        w->nbrief = 0;
}

static void on_packet(const struct watch_packet *p, void *data)
{
        struct watch_cli *w = data;
        if (p->kind == WATCH_PACKET_LISTEN || p->kind == WATCH_PACKET_UNLISTEN) {
                if (netns_find(w, p->netns) || (w->all_netns && netns_name(w, p->netns))) {
                        pending_add(w, p->netns);
                        brief_note(w, p);
                }
                return;
        }
        watch_detector_feed(w->det, p, wall_ms(), emit, w);
}

/* A process still in namespace inode: its /proc/PID/ns/net into path. */
static bool proc_in_netns(uint32_t inode, char *path, size_t len)
{
        DIR *d = opendir("/proc");
        struct dirent *de;
        bool found = false;
        if (!d)
                return false;
        while (!found && (de = readdir(d))) {
                struct stat st;
                char p[64];
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(p, sizeof p, "/proc/%.20s/ns/net", de->d_name);
                if (stat(p, &st) == 0 && (uint32_t)st.st_ino == inode) {
                        snprintf(path, len, "%s", p);
                        found = true;
                }
        }
        closedir(d);
        return found;
}

static void reconcile(struct watch_cli *w, struct netns_ent *e, bool announce_first)
{
        int fd = e->fd;
        if (e->path[0]) {
                fd = open(e->path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || inode_of_fd(fd) != e->inode) {
                        if (fd >= 0)
                                close(fd);
                        fd = -1;
                        /* The name went (ip netns del) or its process exited: the namespace lives
                         * on while a process is in it, and so do its listeners. "Gone" only when
                         * nothing is left in it, or a listener could be hidden by deleting a name. */
                        char alive[sizeof e->path];
                        if (proc_in_netns(e->inode, alive, sizeof alive)) {
                                snprintf(e->path, sizeof e->path, "%s", alive);
                                fd = open(e->path, O_RDONLY | O_CLOEXEC);
                                if (fd >= 0 && inode_of_fd(fd) != e->inode) {
                                        close(fd);
                                        fd = -1;
                                }
                        }
                        if (fd < 0) { /* the namespace is gone */
                                watch_listeners_forget(w->lis, e->inode, wall_ms(), emit, w);
                                e->inode = 0;
                                return;
                        }
                }
        }
        int r = watch_listeners_reconcile(w->lis, &w->vc, fd, e->inode, announce_first, wall_ms(), emit, w);
        if (r < 0 && r != -ENOENT)
                ps_errorf(_("watch: listing the listeners of %s: %s"), e->name, strerror(-r));
        if (e->path[0])
                close(fd);
}

/* The listeners of the namespaces where some opened or closed: dumped, announced, and the brief
 * ones (opened and closed in between) reported. */
static void settle(struct watch_cli *w, bool forced)
{
        for (size_t i = 0; i < w->npending; i++) {
                struct netns_ent *e = netns_find(w, w->pending[i]);
                if (e)
                        reconcile(w, e, true);
        }
        watch_capture_set_listeners(w->cap, w->lis);
        brief_report(w, forced);
        w->npending = 0;
        w->pending_at = 0;
}

static void reconcile_all(struct watch_cli *w)
{
        for (size_t i = 0; i < w->nns; i++)
                reconcile(w, &w->ns[i], false);
        /* forget the namespaces that are gone */
        size_t n = 0;
        for (size_t i = 0; i < w->nns; i++)
                if (w->ns[i].inode)
                        w->ns[n++] = w->ns[i];
        w->nns = n;
        watch_capture_set_listeners(w->cap, w->lis);
}

static void check_lost(struct watch_cli *w)
{
        uint64_t seen, lost;
        watch_capture_counts(w->cap, &seen, &lost);
        if (lost > w->lost_reported) {
                struct watch_event e = { .kind = WATCH_EVENT_DROPPED, .time_ms = wall_ms(), .count = lost };
                w->lost_reported = lost;
                emit(&e, w);
        }
}

static int metrics_fill(FILE *f, void *data)
{
        struct watch_cli *w = data;
        uint64_t seen, lost;
        watch_capture_counts(w->cap, &seen, &lost);
        return watch_metrics_write(w->metrics, f, seen, lost);
}

static void write_metrics(struct watch_cli *w)
{
        int r = w->metrics_path ? ps_write_atomic(w->metrics_path, 0644, metrics_fill, w) : 0;
        if (r < 0 && !w->write_failed) {
                ps_errorf(_("watch: --metrics %s: %s"), w->metrics_path, strerror(-r));
                w->write_failed = true;
        }
}

int main(int argc, char **argv)
{
        ps_i18n_init();
        /* argv[1] is the subcommand when run by portscope */
        if (argc > 1 && strcmp(argv[1], "watch") == 0) {
                argv[1] = argv[0];
                argc--;
                argv++;
        }
        enum {
                O_JSONL = 256, O_NETNS, O_ALL_NETNS, O_METHOD, O_FILTERED, O_DARK_ONLY, O_IGNORE, O_INC_LO, O_INC_CHATTY,
                O_RULE, O_RECONCILE, O_SYSLOG, O_STORE, O_METRICS, O_DURATION, O_REGISTRY, O_KNOWLEDGE,
        };
        static const struct option opts[] = {
                { "jsonl", no_argument, NULL, O_JSONL },
                { "netns", required_argument, NULL, O_NETNS },
                { "all-netns", no_argument, NULL, O_ALL_NETNS },
                { "method", required_argument, NULL, O_METHOD },
                { "filtered", no_argument, NULL, O_FILTERED },
                { "dark-only", no_argument, NULL, O_DARK_ONLY },
                { "ignore", required_argument, NULL, O_IGNORE },
                { "include-loopback", no_argument, NULL, O_INC_LO },
                { "include-chatty", no_argument, NULL, O_INC_CHATTY },
                { "rule", required_argument, NULL, O_RULE },
                { "reconcile", required_argument, NULL, O_RECONCILE },
                { "syslog", no_argument, NULL, O_SYSLOG },
                { "store", optional_argument, NULL, O_STORE },
                { "metrics", required_argument, NULL, O_METRICS },
                { "duration", required_argument, NULL, O_DURATION },
                { "registry", required_argument, NULL, O_REGISTRY },
                { "knowledge", required_argument, NULL, O_KNOWLEDGE },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        static struct watch_cli w;
        struct watch_rules rules;
        watch_rules_default(&rules);
        struct watch_capture_options co = { .method = WATCH_METHOD_AUTO, .netns_fd = -1 };
        const char *netns_arg = NULL, *registry_path = NULL, *knowledge_path = NULL, *store_path = NULL;
        bool store = false;
        long duration = -1;
        int reconcile_opt = -1;
        int opt;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (opt) {
                case O_JSONL: w.jsonl = true; break;
                case O_NETNS: netns_arg = optarg; break;
                case O_ALL_NETNS: w.all_netns = true; break;
                case O_METHOD:
                        if (strcmp(optarg, "auto") == 0)
                                co.method = WATCH_METHOD_AUTO;
                        else if (strcmp(optarg, "bpf") == 0)
                                co.method = WATCH_METHOD_BPF;
                        else if (strcmp(optarg, "packet") == 0)
                                co.method = WATCH_METHOD_PACKET;
                        else
                                die_usage(_("--method: '%s' is not one of auto, bpf, packet"), optarg);
                        break;
                case O_FILTERED: co.filtered = true; break;
                case O_DARK_ONLY: rules.probes_all = false; break;
                case O_IGNORE: {
                        int r = watch_rules_ignore(&rules, optarg);
                        if (r == -ENOSPC)
                                die_usage(ps_ngettext("--ignore: more than %d item", "--ignore: more than %d items", WATCH_MAX_IGNORE),
                                          WATCH_MAX_IGNORE);
                        if (r < 0)
                                die_usage(_("--ignore: '%s' is neither ADDRESS[/PREFIX] nor PORT[-PORT][/PROTO]"), optarg);
                        break;
                }
                case O_INC_LO: rules.ignore_loopback = false; break;
                case O_INC_CHATTY: rules.ignore_chatty = false; break;
                case O_RULE:
                        if (watch_rules_set(&rules, optarg) < 0)
                                die_usage(_("--rule: '%s' is not NAME=VALUE with a known name and a value in range (see --help)"),
                                          optarg);
                        break;
                case O_RECONCILE: reconcile_opt = (int)parse_seconds("--reconcile", optarg, 86400); break;
                case O_SYSLOG: w.use_syslog = true; break;
                case O_STORE: store = true; store_path = optarg; break;
                case O_METRICS: w.metrics_path = optarg; break;
                case O_DURATION: duration = (long)parse_seconds("--duration", optarg, 86400 * 365); break;
                case O_REGISTRY: registry_path = optarg; break;
                case O_KNOWLEDGE: knowledge_path = optarg; break;
                case 'h': watch_cli_help(); return 0;
                default: exit(ps_option_error("watch", "h", argv));
                }
        }
        if (optind < argc)
                die_usage(_("unexpected argument '%s' (try 'portscope watch --help')"), argv[optind]);
        if (netns_arg && w.all_netns)
                die_usage(_("--netns and --all-netns exclude each other"));
        if (w.all_netns && co.method == WATCH_METHOD_PACKET)
                die_usage(_("--all-netns needs --method bpf (a packet socket sees one namespace)"));
        if (co.filtered && co.method == WATCH_METHOD_PACKET)
                die_usage(_("--filtered needs --method bpf (the packet method sees the kernel's answers, and a "
                            "firewall drop has none)"));
        if (reconcile_opt == 0)
                die_usage(_("--reconcile: at least 1 second"));

        /* what we watch */
        int self_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        w.self_netns = self_fd >= 0 ? inode_of_fd(self_fd) : 0;
        if (self_fd >= 0)
                close(self_fd);
        if (netns_arg) {
                int fd = sockets_netns_open(netns_arg);
                if (fd == -ENOTTY)
                        die_usage(_("--netns: '%s': not a network namespace (expected a name under /run/netns or a "
                                    "file such as /proc/PID/ns/net)"),
                                  netns_arg);
                if (fd < 0)
                        die_usage("--netns: '%s': %s", netns_arg, strerror(-fd));
                struct netns_ent *e = &w.ns[w.nns++];
                e->fd = fd;
                e->inode = inode_of_fd(fd);
                snprintf(e->name, sizeof(e->name), "%.63s", netns_arg);
                co.netns = e->inode;
                co.netns_fd = fd;
        } else {
                struct netns_ent *e = &w.ns[w.nns++];
                e->fd = -1;
                e->inode = w.self_netns;
                snprintf(e->name, sizeof(e->name), "host");
                co.netns = w.all_netns ? 0 : w.self_netns;
                if (w.all_netns)
                        netns_scan(&w);
        }

        ephemeral_range(co.netns_fd, &rules);

        /* the registry and knowledge judge by */
        struct ps_error rerr;
        if (registry_open(registry_path, 0, &w.reg, &rerr) < 0) {
                const char *named = registry_path ? registry_path : getenv("PORTSCOPE_REGISTRY");
                if (named && *named)
                        die_usage("%s:%u: %s", rerr.file[0] ? rerr.file : named, rerr.line, rerr.message);
                w.reg = NULL;
        }
        struct knowledge *kn = NULL;
        struct ps_error kerr;
        if (knowledge_load(knowledge_path, &kn, &kerr) < 0) {
                const char *named = knowledge_path ? knowledge_path : getenv("PORTSCOPE_KNOWLEDGE");
                if (named && *named)
                        die_usage("%s:%u: %s", kerr.file[0] ? kerr.file : named, kerr.line, kerr.message);
                kn = NULL;
        }
        w.vc.registry = w.reg;
        w.vc.knowledge = kn;

        if (store) {
                char def[4096];
                if (!store_path) {
                        if (ps_store_path(def, sizeof(def)) < 0)
                                die_usage(_("--store: no place for the store (set $XDG_STATE_HOME or $HOME)"));
                        store_path = def;
                }
                char why[512];
                if (watch_store_open(store_path, &w.store, why, sizeof(why)) < 0)
                        die_usage("--store: %s", why);
        }
        if (w.metrics_path) {
                w.metrics = watch_metrics_new();
                if (!w.metrics)
                        die_usage(_("out of memory"));
        }
        w.color = !w.jsonl && ps_use_color(stdout);
        /* JSON lines never change with the language. The store and syslog do not either: their
         * reasons are composed in English, and again in the reader's language for the terminal. */
        if (w.jsonl)
                ps_i18n_use_english();

        /* signals through a descriptor: the loop wakes and stops within one poll */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                die_usage("signalfd: %s", strerror(errno));

        char err[512];
        int r = watch_capture_open(&co, &w.cap, err, sizeof(err));
        if (r < 0) {
                ps_errorf("watch: %s", err);
                return PS_EXIT_ERROR;
        }
        w.det = watch_detector_new(&rules, w.reg);
        w.lis = watch_listeners_new();
        if (!w.det || !w.lis)
                die_usage(_("out of memory"));
        if (w.use_syslog)
                openlog("portscope-watch", LOG_PID, LOG_DAEMON);
        enum watch_method method = watch_capture_method(w.cap);
        w.reconcile_s = reconcile_opt > 0 ? (unsigned)reconcile_opt : method == WATCH_METHOD_PACKET ? 2 : 30;
        reconcile_all(&w); /* what listens now: not news */

        char msg[1536];
        const char *limits = watch_capture_limits(w.cap);
        snprintf(msg, sizeof(msg), "watching %s (netns %u) with %s%s%s", w.all_netns ? "every network namespace" : w.ns[0].name,
                 w.all_netns ? 0u : w.ns[0].inode, watch_method_name(method), *limits ? "; " : "", limits);
        /* The same for people: JSONL, syslog and the store keep the English message. */
        char text[1536];
        if (w.all_netns)
                /* TRANSLATORS: %s is the capture method's name (bpf, packet: not translated). */
                snprintf(text, sizeof(text), _("watching every network namespace with %s"), watch_method_name(method));
        else
                /* TRANSLATORS: a namespace's name ("host", "container 1a2b3c"), its inode, the capture method's name. */
                snprintf(text, sizeof(text), _("watching %s (netns %u) with %s"), w.ns[0].name, w.ns[0].inode,
                         watch_method_name(method));
        if (*limits) {
                size_t n = strlen(text);
                snprintf(text + n, sizeof(text) - n, "%s%s", ps_i18n_clause_sep(), limits);
        }
        struct watch_event st = { .kind = WATCH_EVENT_STATUS, .time_ms = wall_ms(), .message = msg, .text = text };
        emit(&st, &w);
        /* What cannot be written is said at once, not after hours of watching: standard output,
         * and the metrics file (written now, then every 15 seconds). */
        bool stop = false;
        if (fflush(stdout) != 0 || ferror(stdout)) {
                ps_errorf(_("watch: cannot write output: %s"), strerror(errno));
                w.out_failed = stop = true;
        }
        if (!stop && w.metrics) {
                write_metrics(&w);
                stop = w.write_failed;
        }

        int64_t start = mono_ms(), next_reconcile = start + (int64_t)w.reconcile_s * 1000, next_tick = start + 1000,
                next_metrics = start + 15000;
        while (!stop) {
                int64_t now = mono_ms();
                int64_t due = next_tick;
                if (duration >= 0 && start + duration * 1000 < due)
                        due = start + duration * 1000;
                if (w.pending_at && w.pending_at < due)
                        due = w.pending_at;
                int timeout = due > now ? (int)(due - now) : 0;
                struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN }, { .fd = watch_capture_fd(w.cap), .events = POLLIN } };
                if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
                        break;
                if (pfd[0].revents & POLLIN)
                        stop = true;
                if (pfd[1].revents & POLLIN)
                        watch_capture_drain(w.cap, on_packet, &w);
                now = mono_ms();
                if (w.pending_at && now >= w.pending_at)
                        settle(&w, false);
                if (now >= next_tick) {
                        next_tick = now + 1000;
                        check_lost(&w);
                        watch_detector_tick(w.det, wall_ms(), emit, &w);
                        if (watch_store_flush(w.store) < 0)
                                store_failed(&w);
                }
                if (now >= next_reconcile) {
                        if (w.all_netns)
                                netns_scan(&w);
                        reconcile_all(&w);
                        next_reconcile = mono_ms() + (int64_t)w.reconcile_s * 1000;
                }
                if (w.metrics && now >= next_metrics) {
                        write_metrics(&w);
                        next_metrics = now + 15000;
                }
                if (duration >= 0 && now - start >= duration * 1000)
                        stop = true;
                if ((fflush(stdout) != 0 || ferror(stdout)) && !w.out_failed) {
                        ps_errorf(_("watch: cannot write output: %s"), strerror(errno));
                        w.out_failed = stop = true;
                }
        }
        /* what is still in the ring, then the summaries */
        watch_capture_drain(w.cap, on_packet, &w);
        check_lost(&w);
        watch_detector_finish(w.det, wall_ms(), emit, &w);
        if (w.metrics)
                write_metrics(&w);
        watch_capture_close(w.cap); /* detaches the programs */
        fflush(stdout);
        if (watch_store_flush(w.store) < 0)
                store_failed(&w);
        watch_store_close(w.store);
        watch_metrics_free(w.metrics);
        watch_detector_free(w.det);
        watch_listeners_free(w.lis);
        for (size_t i = 0; i < w.nns; i++)
                if (w.ns[i].fd >= 0)
                        close(w.ns[i].fd);
        knowledge_free(kn);
        registry_close(w.reg);
        close(sfd);
        if (w.use_syslog)
                closelog();
        if (!w.out_failed && (fflush(stdout) != 0 || ferror(stdout))) {
                ps_errorf(_("watch: cannot write output: %s"), strerror(errno));
                w.out_failed = true;
        }
        /* Events that could not be written, recorded or counted: the run did not do its job. */
        return w.out_failed || w.write_failed ? 2 : 0;
}
