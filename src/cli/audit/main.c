/* portscope-audit: `portscope` / `portscope audit` / `portscope listening`. Thin: parse options,
 * call the library (sockets, verdict, baseline, history), print. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "portscope/i18n.h"
#include "portscope/baseline.h"
#include "portscope/error.h"
#include "portscope/knowledge.h"
#include "portscope/port.h"
#include "portscope/registry.h"
#include "portscope/sockets.h"
#include "portscope/util.h"
#include "portscope/verdict.h"
#include "audit-cli.h"

enum mode { MODE_AUDIT, MODE_LISTENING };

struct options {
        enum mode mode;
        bool json, jsonl, all, changes, no_history, no_cache, no_bpf;
        const char *netns, *registry, *knowledge, *baseline, *write_baseline, *prometheus;
        enum verdict_severity fail_on;
        bool fail_never;
        unsigned threads;
        struct ps_portspec *ports;
        size_t nports;
        const char *service; /* listening NAME: the ports the registry assigns NAME, once it is open */
        int only; /* listening raw|packet: that enum sockets_proto alone; else -1 */
};

static void usage(FILE *f)
{
        fputs(_("Usage: portscope [audit] [OPTIONS]\n"
              "       portscope listening [PORT[/PROTO][,...] | NAME] [OPTIONS]\n"
              "\n"
              "What is listening here, and does it belong? `audit` lists every listening\n"
              "socket (TCP listening, UDP bound, SCTP, raw, packet), the process that owns\n"
              "it, what the IANA registry and the knowledge file say of its port, and a\n"
              "verdict: expected, info, unexplained, mismatch or suspicious, with a severity\n"
              "and the reason. `listening PORT` answers \"what is on 625?\".\n"
              "\n"
              "Examples:\n"
              "  portscope                              audit this machine (a table on a\n"
              "                                         terminal)\n"
              "  portscope listening 625                who listens on port 625, any protocol\n"
              "  portscope listening 53/udp --json      the same for 53/udp, as JSON\n"
              "  portscope listening http-alt           the same for the ports the registry\n"
              "                                         assigns a service name\n"
              "  portscope listening packet             who holds packet sockets (AF_PACKET:\n"
              "                                         they see every frame, no port); `raw`\n"
              "                                         for raw IP sockets\n"
              "  sudo portscope audit --netns blue      audit the network namespace `ip netns`\n"
              "                                         calls blue\n"
              "  portscope audit --write-baseline b.txt draft a baseline, then edit its reasons\n"
              "  portscope audit --baseline b.txt       listeners in b.txt are expected;\n"
              "                                         missing ones are gone\n"
              "  portscope audit --changes              what appeared or vanished since the\n"
              "                                         last audit\n"
              "  portscope audit --fail-on medium \\\n"
              "      --prometheus /var/lib/node_exporter/textfile/portscope.prom\n"
              "\n"
              "Options:\n"
              "  --json                 one JSON document\n"
              "  --jsonl                one JSON object per listener and line\n"
              "  --all                  also established TCP and connected UDP sockets\n"
              "  --netns NAME|PATH      inspect another network namespace (/run/netns/NAME or\n"
              "                         a path such as /proc/PID/ns/net; needs CAP_SYS_ADMIN)\n"
              "  --registry FILE        the IANA CSV or a services file to judge ports by\n"
              "  --knowledge FILE       a knowledge file instead of the built-in one\n"
              "  --baseline FILE        expected listeners, each with a reason\n"
              "                         (docs/baseline-format.md)\n"
              "  --write-baseline FILE  (audit) write a draft baseline from what is listening\n"
              "                         now\n"
              "  --prometheus FILE      (audit) write node_exporter textfile metrics,\n"
              "                         atomically\n"
              "  --fail-on SEVERITY     (audit) exit 1 when a listener reaches\n"
              "                         none|low|medium|high (default high; a baseline entry\n"
              "                         that is gone counts as medium); `never` always exits 0\n"
              "  --changes              (audit) show listeners that appeared or vanished since\n"
              "                         the last audit of the same namespace\n"
              "  --no-history           (audit) do not record this audit\n"
              "  --threads N            threads for the /proc walk (default: 2, or 1 on a\n"
              "                         single CPU)\n"
              "  --no-bpf               find owners by walking /proc even where the BPF\n"
              "                         task-file iterator would work (root, kernel >= 5.8)\n"
              "  --no-cache             neither read nor write the registry's index cache\n"
              "  -h, --help             this help\n"
              "\n"
              "Without root, other users' processes are hidden: their sockets are listed with\n"
              "the socket's user but no pid or process, and the output says so.\n"
              "History: $PORTSCOPE_DB or $XDG_STATE_HOME/portscope/portscope.db. Exit status:\n"
              "0 nothing reached --fail-on, 1 findings (listening: nothing listens on PORT), 2\n"
              "error.\n"),
              f);
}

static int parse_args(int argc, char **argv, struct options *o)
{
        enum {
                OPT_JSON = 256, OPT_JSONL, OPT_ALL, OPT_NETNS, OPT_REGISTRY, OPT_KNOWLEDGE, OPT_BASELINE,
                OPT_WRITE_BASELINE, OPT_PROMETHEUS, OPT_FAIL_ON, OPT_CHANGES, OPT_NO_HISTORY, OPT_THREADS,
                OPT_NO_CACHE, OPT_NO_BPF,
        };
        static const struct option longopts[] = {
                { "json", no_argument, NULL, OPT_JSON },
                { "jsonl", no_argument, NULL, OPT_JSONL },
                { "all", no_argument, NULL, OPT_ALL },
                { "netns", required_argument, NULL, OPT_NETNS },
                { "registry", required_argument, NULL, OPT_REGISTRY },
                { "knowledge", required_argument, NULL, OPT_KNOWLEDGE },
                { "baseline", required_argument, NULL, OPT_BASELINE },
                { "write-baseline", required_argument, NULL, OPT_WRITE_BASELINE },
                { "prometheus", required_argument, NULL, OPT_PROMETHEUS },
                { "fail-on", required_argument, NULL, OPT_FAIL_ON },
                { "changes", no_argument, NULL, OPT_CHANGES },
                { "no-history", no_argument, NULL, OPT_NO_HISTORY },
                { "threads", required_argument, NULL, OPT_THREADS },
                { "no-cache", no_argument, NULL, OPT_NO_CACHE },
                { "no-bpf", no_argument, NULL, OPT_NO_BPF },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        o->fail_on = VERDICT_HIGH;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_JSON: o->json = true; break;
                case OPT_JSONL: o->jsonl = true; break;
                case OPT_ALL: o->all = true; break;
                case OPT_NETNS: o->netns = optarg; break;
                case OPT_REGISTRY: o->registry = optarg; break;
                case OPT_KNOWLEDGE: o->knowledge = optarg; break;
                case OPT_BASELINE: o->baseline = optarg; break;
                case OPT_WRITE_BASELINE: o->write_baseline = optarg; break;
                case OPT_PROMETHEUS: o->prometheus = optarg; break;
                case OPT_CHANGES: o->changes = true; break;
                case OPT_NO_HISTORY: o->no_history = true; break;
                case OPT_NO_CACHE: o->no_cache = true; break;
                case OPT_NO_BPF: o->no_bpf = true; break;
                case OPT_FAIL_ON:
                        if (strcmp(optarg, "never") == 0)
                                o->fail_never = true;
                        else if (verdict_severity_parse(optarg, &o->fail_on) < 0) {
                                ps_errorf(_("--fail-on %s: unknown severity (expected none, low, medium, high or never)"),
                                      optarg);
                                return PS_EXIT_ERROR;
                        }
                        break;
                case OPT_THREADS: {
                        char *end;
                        errno = 0;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || v < 1 || v > 16 || optarg[0] == '-') {
                                ps_errorf(_("--threads %s: expected a number from 1 to 16"), optarg);
                                return PS_EXIT_ERROR;
                        }
                        o->threads = (unsigned)v;
                        break;
                }
                case 'h':
                        usage(stdout);
                        exit(PS_EXIT_OK);
                case '?':
                default:
                        return ps_option_error(o->mode == MODE_LISTENING ? "listening" : "audit", "h", argv);
                }
        }
        if (o->json && o->jsonl) {
                ps_errorf(_("--json and --jsonl: choose one"));
                return PS_EXIT_ERROR;
        }
        if (o->mode == MODE_LISTENING) {
                if (o->write_baseline || o->prometheus || o->changes) {
                        ps_errorf(_("listening: --write-baseline, --prometheus and --changes belong to `portscope audit`"));
                        return PS_EXIT_ERROR;
                }
                if (optind < argc) {
                        char why[256];
                        if (optind + 1 < argc) {
                                ps_errorf(_("listening: one PORT argument (a list: 22,80,8000-8100/tcp), got '%s' too"),
                                      argv[optind + 1]);
                                return PS_EXIT_ERROR;
                        }
                        const char *a = argv[optind];
                        enum sockets_proto only;
                        /* raw and packet sockets have no port: they are asked for by their kind
                         * (no service is named either). */
                        if (sockets_proto_parse(a, &only) == 0 && !sockets_proto_has_ports(only)) {
                                o->only = (int)only;
                                return PS_EXIT_OK;
                        }
                        /* ":22", as in host:port (info takes it too). */
                        const char *spec = a[0] == ':' && a[1] >= '0' && a[1] <= '9' ? a + 1 : a;
                        if (ps_portlist_parse(spec, &o->ports, &o->nports, why, sizeof(why)) < 0) {
                                /* A service name (ssh, http-alt) is looked up in the registry later. */
                                bool name = (a[0] >= 'a' && a[0] <= 'z') || (a[0] >= 'A' && a[0] <= 'Z');
                                for (const char *ch = a; name && *ch; ch++)
                                        name = (*ch >= 'a' && *ch <= 'z') || (*ch >= 'A' && *ch <= 'Z') ||
                                               (*ch >= '0' && *ch <= '9') || *ch == '-' || *ch == '_' || *ch == '.';
                                if (!name) {
                                        ps_errorf("listening %s: %s", a, why);
                                        return PS_EXIT_ERROR;
                                }
                                free(o->ports);
                                o->ports = NULL;
                                o->nports = 0;
                                o->service = a;
                        }
                }
        } else if (optind < argc) {
                ps_errorf(_("audit: unexpected argument '%s' (did you mean `portscope listening %s`?)"), argv[optind],
                      argv[optind]);
                return PS_EXIT_ERROR;
        }
        return PS_EXIT_OK;
}

static bool port_wanted(const struct options *o, const struct sockets_entry *e);

static bool keep_port(const struct sockets_entry *e, void *data)
{
        return port_wanted(data, e);
}

/* Whether the ports asked for may include unconnected UDP ones in the ephemeral range: whether
 * such a socket is a server's own client socket depends on the process's other listeners, which
 * the ports asked for may leave out. The range is the audited namespace's, read inside it during
 * the dump: any UDP port from 1024 up may be in it. */
static bool asks_ephemeral_udp(const struct options *o)
{
        for (size_t i = 0; i < o->nports; i++)
                if ((o->ports[i].protos & PS_PROTO_BIT(PS_UDP)) && o->ports[i].hi >= 1024)
                        return true;
        return false;
}

/* keep_port(), and the listeners that tell a server (kept until verdict_serving_processes()). */
static bool keep_port_or_server(const struct sockets_entry *e, void *data)
{
        uint16_t lo, hi;
        verdict_ephemeral_range(&lo, &hi);
        return port_wanted(data, e) ||
               (e->listening && sockets_proto_has_ports(e->proto) && (e->port < lo || e->port > hi));
}

static bool port_wanted(const struct options *o, const struct sockets_entry *e)
{
        enum ps_proto pp;

        if (o->only >= 0)
                return e->proto == (enum sockets_proto)o->only;
        if (!o->nports)
                return true;
        if (!sockets_proto_to_ps(e->proto, &pp))
                return false;
        for (size_t i = 0; i < o->nports; i++)
                if (e->port >= o->ports[i].lo && e->port <= o->ports[i].hi && (o->ports[i].protos & PS_PROTO_BIT(pp)))
                        return true;
        return false;
}

/* A stable name for the namespace in the history: the --netns argument, "host" for the initial
 * namespace, else its inode. */
/* One name per namespace, however it was reached (--netns NAME, --netns /proc/PID/ns/net, or run
 * inside it by ip netns exec): its name under /run/netns when it has one, else "net:[INODE]". The
 * history keys runs by it: three spellings were three histories, each "every listener is new". */
static void netns_name_of(ino_t ino, dev_t dev, char *buf, size_t len)
{
        DIR *d = opendir("/run/netns");
        struct dirent *de;
        while (d && (de = readdir(d))) {
                struct stat st;
                if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0 && st.st_ino == ino &&
                    st.st_dev == dev) {
                        snprintf(buf, len, "%s", de->d_name);
                        closedir(d);
                        return;
                }
        }
        if (d)
                closedir(d);
        snprintf(buf, len, "net:[%llu]", (unsigned long long)ino);
}

static void netns_label(const struct options *o, char *buf, size_t len)
{
        struct stat self, init;

        if (o->netns) {
                char path[PATH_MAX];
                struct stat st;
                snprintf(path, sizeof path, strchr(o->netns, '/') ? "%s" : "/run/netns/%s", o->netns);
                if (stat(path, &st) == 0)
                        netns_name_of(st.st_ino, st.st_dev, buf, len);
                else
                        snprintf(buf, len, "%s", o->netns);
                return;
        }
        /* The namespace of PID 1 is "host"; any other is named by its inode. When PID 1's cannot
         * be read, the initial namespace's fixed inode (PROC_NET_INIT_INO) tells. */
        bool other = false;
        if (stat("/proc/self/ns/net", &self) == 0) {
                if (stat("/proc/1/ns/net", &init) == 0)
                        other = init.st_ino != self.st_ino || init.st_dev != self.st_dev;
                else
                        other = self.st_ino != 0xEFFFFFF9u;
        }
        if (other)
                netns_name_of(self.st_ino, self.st_dev, buf, len);
        else
                snprintf(buf, len, "host");
}

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int fill_draft(FILE *f, void *ud)
{
        return verdict_report_draft_baseline(ud, f);
}

static int fill_prometheus(FILE *f, void *ud)
{
        return verdict_report_prometheus(ud, f);
}

/* Streams an output into path, atomically. */
static int write_file(const char *what, const char *path, int (*fill)(FILE *f, void *ud), struct verdict_report *r)
{
        int q = ps_write_atomic(path, 0644, fill, r);
        if (q < 0) {
                ps_errorf(_("%s %s: cannot write: %s"), what, path, strerror(-q));
                return PS_EXIT_ERROR;
        }
        return PS_EXIT_OK;
}

/* Whether every PORT/PROTO asked for names a protocol whose sockets cannot be seen here: dccp
 * (portscope lists none), or one the kernel cannot list (sctp without sctp_diag). "Nothing
 * listens" would then be a guess: err says why no answer is given. */
static bool asks_only_unseen(const struct options *o, const struct sockets_list *l, char *err, size_t len)
{
        unsigned asked = 0, unseen = PS_PROTO_BIT(PS_DCCP);
        if (o->only >= 0 && (l->unsupported & (1u << o->only))) {
                snprintf(err, len, _("cannot tell what listens there: this kernel cannot list %s sockets (no %s_diag support)"),
                         sockets_proto_name((enum sockets_proto)o->only), sockets_proto_name((enum sockets_proto)o->only));
                return true;
        }
        for (unsigned p = 0; p < SOCKETS_NPROTO; p++)
                if ((l->unsupported & (1u << p)) && p < PS_NPROTO)
                        unseen |= PS_PROTO_BIT(p);
        for (size_t i = 0; i < o->nports; i++)
                asked |= o->ports[i].protos & PS_PROTO_ALL;
        if (!o->nports || (asked & ~unseen))
                return false;
        if (asked & PS_PROTO_BIT(PS_DCCP))
                snprintf(err, len, "%s", _("cannot tell what listens there: portscope does not list dccp sockets"));
        else
                snprintf(err, len, _("cannot tell what listens there: this kernel cannot list %s sockets (no %s_diag support)"),
                         "sctp", "sctp");
        return true;
}

static int run(struct options *o)
{
        struct registry *reg = NULL;
        struct knowledge *know = NULL;
        struct baseline *base = NULL;
        struct sockets_list *l = NULL;
        struct verdict_report *report = NULL;
        struct sockets_query q = SOCKETS_QUERY_INIT;
        struct verdict_context ctx = { 0 };
        struct audit_history hist = { 0 };
        bool *serving = NULL;
        json_t *changes = NULL;
        char label[256];
        double t0, tstart = now_ms(), towners = 0, tverdict = 0;
        bool timing = getenv("PORTSCOPE_TIMING") != NULL;
        int rc = PS_EXIT_ERROR, r;

        {
                struct ps_error err = { 0 };
                r = registry_open(o->registry, o->no_cache ? REGISTRY_OPEN_NO_CACHE : 0, &reg, &err);
                if (r < 0) {
                        ps_error_print(NULL, &err, r);
                        goto out;
                }
        }
        if (o->service) {
                o->ports = calloc(256, sizeof(*o->ports));
                if (!o->ports) {
                        ps_errorf(_("out of memory"));
                        goto out;
                }
                o->nports = registry_name_ports(reg, o->service, o->ports, 256, NULL);
                if (!o->nports) {
                        char *esc = ps_term_escape_dup(o->service);
                        /* TRANSLATORS: what was asked for (ssh), which is neither ports nor a registered name. */
                        ps_errorf(_("listening %s: not a port, and the registry assigns no port to that name"), esc ? esc : "?");
                        free(esc);
                        goto out;
                }
        }
        {
                struct ps_error err = { 0 };
                r = knowledge_load(o->knowledge, &know, &err);
                if (r < 0) {
                        ps_error_print(NULL, &err, r);
                        goto out;
                }
        }
        if (o->baseline) {
                struct ps_error err = { 0 };
                r = baseline_load(o->baseline, &base, &err);
                if (r < 0) {
                        ps_error_print(NULL, &err, r);
                        goto out;
                }
        }
        ctx.registry = reg;
        ctx.knowledge = know;
        ctx.baseline = base;

        q.flags = SOCKETS_LISTENING | (o->all ? SOCKETS_CONNECTED : 0) | (o->no_bpf ? SOCKETS_NO_BPF : 0);
        q.threads = o->threads;
        if (o->netns) {
                q.netns_fd = sockets_netns_open(o->netns);
                if (q.netns_fd < 0) {
                        ps_errorf("--netns %s: %s", o->netns,
                              q.netns_fd == -ENOTTY ? "not a network namespace (expected a name under /run/netns or a "
                                                      "file such as /proc/PID/ns/net)"
                                                    : strerror(-q.netns_fd));
                        goto out;
                }
        }
        netns_label(o, label, sizeof(label));
        /* The store first: one that cannot be used fails --changes before anything is written. */
        if (o->mode == MODE_AUDIT && (!o->no_history || o->changes) &&
            audit_history_open(&hist, label, o->changes, !o->no_history) != PS_EXIT_OK)
                goto out;
        if (timing)
                fprintf(stderr, "timing: registry+knowledge+baseline %.1f ms\n", now_ms() - tstart);
        t0 = now_ms();
        bool other_listeners = o->nports && asks_ephemeral_udp(o);
        r = sockets_collect(&q, other_listeners ? keep_port_or_server : keep_port, o, &l);
        if (r >= 0 && other_listeners) {
                serving = verdict_serving_processes(l);
                if (!serving) {
                        ps_errorf(_("out of memory"));
                        goto out;
                }
                ctx.serving = serving;
                sockets_list_keep(l, keep_port, (void *)o);
        }
        towners = now_ms();
        if (r < 0) {
                if (o->netns && (r == -EPERM || r == -EACCES))
                        ps_errorf(_("--netns %s: cannot enter the namespace: %s (needs root or CAP_SYS_ADMIN)"), o->netns,
                              strerror(-r));
                else
                        ps_errorf(_("cannot list sockets and their owners (netlink sock_diag, /proc): %s"), strerror(-r));
                goto out;
        }
        towners = now_ms();
        char unseen[256];
        if (asks_only_unseen(o, l, unseen, sizeof unseen)) {
                ps_errorf("%s", unseen);
                goto out;
        }
        /* Ports asked for without sctp: that sctp sockets cannot be listed is no note of this answer. */
        if (o->nports) {
                unsigned asked = 0;
                for (size_t i = 0; i < o->nports; i++)
                        asked |= o->ports[i].protos;
                if (!(asked & PS_PROTO_BIT(PS_SCTP)))
                        l->unsupported &= ~(1u << SOCKETS_SCTP);
        }
        sockets_list_sort(l);
        r = verdict_report_build(&ctx, l, o->netns ? o->netns : label, &report);
        l = NULL;
        if (r < 0) {
                ps_errorf(_("out of memory"));
                goto out;
        }
        report->elapsed_ms = towners - t0;
        tverdict = now_ms();
        if (timing)
                fprintf(stderr, "timing: sockets and owners (%s) %.1f ms, verdicts %.1f ms\n",
                        report->sockets->owners.bpf ? "bpf" : "proc", towners - t0, tverdict - towners);

        /* The audit is recorded (and compared) before any file is written: a store that cannot
         * take it (locked, full) fails a --changes run with nothing written. */
        if (o->mode == MODE_AUDIT && (!o->no_history || o->changes)) {
                bool text = !o->json && !o->jsonl;
                if (audit_history_finish(&hist, report, label, &changes, text ? stdout : NULL) != PS_EXIT_OK)
                        goto out;
        }
        if (o->write_baseline) {
                rc = write_file("--write-baseline", o->write_baseline, fill_draft, report);
                if (rc != PS_EXIT_OK)
                        goto out;
                rc = PS_EXIT_ERROR;
                ps_errorf(_("wrote a draft baseline to %s; give each entry its reason"), o->write_baseline);
        }
        if (o->prometheus) {
                rc = write_file("--prometheus", o->prometheus, fill_prometheus, report);
                if (rc != PS_EXIT_OK)
                        goto out;
                rc = PS_EXIT_ERROR;
        }

        if (o->json) {
                json_t *extra = json_object();
                json_object_set_new(extra, "elapsed_ms", json_real(report->elapsed_ms));
                if (changes)
                        json_object_set(extra, "changes", changes);
                r = verdict_report_dump_json(report, extra, stdout, isatty(STDOUT_FILENO));
                json_decref(extra);
                if (r < 0) {
                        ps_errorf(_("cannot write JSON: %s"), strerror(-r));
                        goto out;
                }
        } else if (o->jsonl) {
                r = verdict_report_dump_jsonl(report, changes, stdout);
                if (r < 0) {
                        ps_errorf(_("cannot write JSON lines: %s"), strerror(-r));
                        goto out;
                }
        } else if (!o->changes) {
                if (o->only >= 0 && report->sockets->n == 0) {
                        if (o->netns)
                                /* TRANSLATORS: raw or packet, and a network namespace's name. */
                                printf(_("no %s socket in network namespace %s\n"), sockets_proto_name((enum sockets_proto)o->only),
                                       o->netns);
                        else
                                /* TRANSLATORS: raw or packet. */
                                printf(_("no %s socket in this network namespace\n"), sockets_proto_name((enum sockets_proto)o->only));
                } else if (o->nports && report->sockets->n == 0) {
                        char spec[64], list[512] = "";
                        size_t used = 0;
                        for (size_t i = 0; i < o->nports && used < sizeof(list); i++) {
                                if (o->ports[i].lo == o->ports[i].hi)
                                        snprintf(spec, sizeof(spec), "%u", o->ports[i].lo);
                                else
                                        snprintf(spec, sizeof(spec), "%u-%u", o->ports[i].lo, o->ports[i].hi);
                                int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", spec);
                                used += w > 0 ? (size_t)w : 0;
                                /* Name the protocols asked for, unless every one was. */
                                if ((o->ports[i].protos & PS_PROTO_ALL) != PS_PROTO_ALL)
                                        for (unsigned p = 0, first = 1; p < PS_NPROTO && used < sizeof(list); p++)
                                                if (o->ports[i].protos & PS_PROTO_BIT(p)) {
                                                        w = snprintf(list + used, sizeof(list) - used, "%s%s",
                                                                     first ? "/" : ",", ps_proto_name(p));
                                                        used += w > 0 ? (size_t)w : 0;
                                                        first = 0;
                                                }
                        }
                        if (o->netns)
                                /* TRANSLATORS: ports (22, 53/udp, 8000-8100) and a network namespace's name. */
                                printf(_("nothing is listening on %s in network namespace %s\n"), list, o->netns);
                        else
                                /* TRANSLATORS: ports (22, 53/udp, 8000-8100). */
                                printf(_("nothing is listening on %s in this network namespace\n"), list);
                } else {
                        verdict_report_print_table(report, stdout, ps_use_color(stdout));
                }
                verdict_report_print_notes(report, stdout);
        } else {
                /* --changes shows what changed, not the table; the counts, the registry and what
                 * this run could not see still explain the exit status. */
                putchar('\n');
                verdict_report_print_notes(report, stdout);
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
                ps_errorf(_("cannot write output: %s"), strerror(errno));
                goto out;
        }
        if (timing)
                fprintf(stderr, "timing: output %.1f ms, total %.1f ms\n", now_ms() - tverdict, now_ms() - tstart);
        rc = PS_EXIT_OK;
        if (o->mode == MODE_LISTENING) {
                if ((o->nports || o->only >= 0) && report->sockets->n == 0)
                        rc = PS_EXIT_FINDINGS;
        } else if (!o->fail_never && report->ngone && o->fail_on <= VERDICT_MEDIUM) {
                rc = PS_EXIT_FINDINGS; /* a service the baseline names is missing */
        } else if (!o->fail_never && verdict_report_worst(report) >= o->fail_on) {
                size_t any = 0;
                /* --fail-on none fails on any listener at all, but not on an empty machine. */
                for (size_t i = 0; i < report->sockets->n; i++)
                        any += report->sockets->v[i].listening;
                if (any)
                        rc = PS_EXIT_FINDINGS;
        }
out:
        if (q.netns_fd >= 0)
                close(q.netns_fd);
        json_decref(changes);
        audit_history_close(&hist);
        verdict_report_free(report);
        sockets_list_free(l);
        free(serving);
        baseline_free(base);
        knowledge_free(know);
        registry_close(reg);
        return rc;
}

int main(int argc, char **argv)
{
        ps_i18n_init();
        struct options o = { .only = -1 };
        int rc, first = 1;

        /* Large outputs (20,000 listeners) go out in 64 KiB writes rather than 4 KiB ones. The
         * buffer is ours: given NULL, glibc keeps its own size (st_blksize) and ignores ours. */
        static char outbuf[1u << 16];
        if (!isatty(STDOUT_FILENO))
                setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
        /* argv: {"portscope-audit", "audit"|"listening", args...} from `portscope`, or direct. */
        if (argc > 1 && strcmp(argv[1], "listening") == 0) {
                o.mode = MODE_LISTENING;
                first = 2;
        } else if (argc > 1 && strcmp(argv[1], "audit") == 0) {
                first = 2;
        } else if (argc > 1 && argv[1][0] != '-') {
                ps_errorf(_("%s: unknown subcommand (expected audit or listening; see --help)"), argv[1]);
                return PS_EXIT_ERROR;
        }
        /* getopt wants argv[0] before the options. */
        argv[first - 1] = argv[0];
        rc = parse_args(argc - (first - 1), argv + (first - 1), &o);
        if (rc == PS_EXIT_OK && (o.json || o.jsonl)) {
                /* JSON never changes with the language: its reasons are composed in English. */
                ps_i18n_use_english();
        }
        if (rc == PS_EXIT_OK)
                rc = run(&o);
        free(o.ports);
        return rc;
}
