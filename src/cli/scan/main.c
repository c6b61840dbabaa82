/* portscope-scan — `portscope scan`: parse the command line, run the library's scan, identify
 * services, judge, print. Run by `portscope scan ...` (argv {"portscope-scan", "scan", ...}) or
 * directly (`portscope-scan ...`). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "scan-cli.h"
#include "portscope/i18n.h"
#include "portscope/error.h"
#include "portscope/knowledge.h"
#include "portscope/registry.h"
#include "portscope/scan.h"
#include "portscope/util.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
        (void)sig;
        stop_flag = 1;
}

void scan_cli_die(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        ps_verrorf(fmt, ap);
        va_end(ap);
        exit(PS_EXIT_ERROR);
}

static void die_error(const struct ps_error *e) __attribute__((noreturn));
static void die_error(const struct ps_error *e)
{
        ps_error_print(NULL, e, -EINVAL);
        exit(PS_EXIT_ERROR);
}

const char *scan_cli_quote(const char *s)
{
        static char buf[4][128];
        static unsigned n;
        char *b = buf[n++ % 4];
        snprintf(b, sizeof(buf[0]), "%.120s", s);
        return b;
}



/* A number 0-max, or 1-max when from_one: anything else ends the run naming the range. */
static unsigned long long parse_count(const char *opt, const char *s, bool from_one, unsigned long long max)
{
        char *end;
        if (!*s || *s == '-' || *s == '+')
                scan_cli_die(_("%s: '%s' is not a number"), opt, scan_cli_quote(s));
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v > max || (from_one && v == 0)) {
                if (from_one)
                        scan_cli_die(_("%s: '%s' is not a number 1-%llu"), opt, scan_cli_quote(s), max);
                scan_cli_die(_("%s: '%s' is not a number 0-%llu"), opt, scan_cli_quote(s), max);
        }
        return v;
}

static unsigned long long parse_num(const char *opt, const char *s, unsigned long long max)
{
        return parse_count(opt, s, false, max);
}

static unsigned parse_ms(const char *opt, const char *s)
{
        char buf[32];
        size_t len = strlen(s);
        unsigned mult = 1;
        if (len >= sizeof(buf))
                scan_cli_die(_("%s: '%s' is not a duration"), opt, scan_cli_quote(s));
        memcpy(buf, s, len + 1);
        if (len > 2 && strcmp(buf + len - 2, "ms") == 0)
                buf[len - 2] = '\0';
        else if (len > 1 && buf[len - 1] == 's')
                buf[len - 1] = '\0', mult = 1000;
        return (unsigned)parse_num(opt, buf, 3600000 / mult) * mult;
}


enum {
        OPT_TOP = 256, OPT_EXCLUDE, OPT_EXCLUDE_FILE, OPT_ENGINE, OPT_RATE, OPT_RETRIES, OPT_TIMEOUT, OPT_INFLIGHT,
        OPT_SEED, OPT_SHARD, OPT_RESUME, OPT_JSON, OPT_JSONL, OPT_ALL, OPT_NOPROG, OPT_STORE, OPT_CHANGES,
        OPT_REGISTRY, OPT_KNOWLEDGE, OPT_SERVICE, OPT_NOSERVICE, OPT_SWAIT, OPT_PROBES, OPT_PAYLOADS,
        OPT_UDPBUDGET, OPT_SPORTS, OPT_XML, OPT_GREP, OPT_JFILE, OPT_NOPING, OPT_THREADS, OPT_OUTPUT,
        OPT_INTENSITY, OPT_VLIGHT, OPT_VALL, OPT_MERGE,
};

static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "ports", required_argument, NULL, 'p' },
        { "top-ports", required_argument, NULL, OPT_TOP },
        { "input-file", required_argument, NULL, 'i' },
        { "exclude", required_argument, NULL, OPT_EXCLUDE },
        { "exclude-file", required_argument, NULL, OPT_EXCLUDE_FILE },
        { "engine", required_argument, NULL, OPT_ENGINE },
        { "rate", required_argument, NULL, OPT_RATE },
        { "max-retries", required_argument, NULL, OPT_RETRIES },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "max-inflight", required_argument, NULL, OPT_INFLIGHT },
        { "threads", required_argument, NULL, OPT_THREADS },
        { "seed", required_argument, NULL, OPT_SEED },
        { "shard", required_argument, NULL, OPT_SHARD },
        { "resume", required_argument, NULL, OPT_RESUME },
        { "json", no_argument, NULL, OPT_JSON },
        { "jsonl", no_argument, NULL, OPT_JSONL },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "all-states", no_argument, NULL, OPT_ALL },
        { "no-progress", no_argument, NULL, OPT_NOPROG },
        { "store", no_argument, NULL, OPT_STORE },
        { "changes", no_argument, NULL, OPT_CHANGES },
        { "registry", required_argument, NULL, OPT_REGISTRY },
        { "knowledge", required_argument, NULL, OPT_KNOWLEDGE },
        { "service", no_argument, NULL, OPT_SERVICE },
        { "no-service", no_argument, NULL, OPT_NOSERVICE },
        { "service-wait", required_argument, NULL, OPT_SWAIT },
        { "service-probes", required_argument, NULL, OPT_PROBES },
        { "version-intensity", required_argument, NULL, OPT_INTENSITY },
        { "version-light", no_argument, NULL, OPT_VLIGHT },
        { "version-all", no_argument, NULL, OPT_VALL },
        { "payloads", required_argument, NULL, OPT_PAYLOADS },
        { "udp-budget", required_argument, NULL, OPT_UDPBUDGET },
        { "source-ports", required_argument, NULL, OPT_SPORTS },
        { "xml-file", required_argument, NULL, OPT_XML },
        { "grep-file", required_argument, NULL, OPT_GREP },
        { "json-file", required_argument, NULL, OPT_JFILE },
        { "no-ping", no_argument, NULL, OPT_NOPING },
        { "merge", no_argument, NULL, OPT_MERGE },
        { 0, 0, 0, 0 },
};

struct run {
        struct scan_report rep;
        pthread_mutex_t lock;
        int oom;
        bool progress;
};

static int on_result(void *ud, const struct scan_result *r)
{
        struct run *run = ud;
        if (scan_report_add(&run->rep, r) < 0) {
                run->oom = 1;
                return -1;
        }
        return 0;
}

static void on_progress(void *ud, const struct scan_progress *p)
{
        struct run *run = ud;
        if (!run->progress)
                return;
        double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 100;
        double eta = p->rate > 0 && p->total > p->done ? (double)(p->total - p->done) / p->rate : 0;
        fputs("\r\033[K", stderr);
        char nopen[64];
        /* TRANSLATORS: the open ports found so far, in the scan's progress line. Keep it short. */
        snprintf(nopen, sizeof(nopen), ps_ngettext("%" PRIu64 " open", "%" PRIu64 " open", (unsigned long)p->found),
                 p->found);
        /* TRANSLATORS: the scan's progress line, rewritten in place: percent done, probes sent of
         * all, packets per second, the open ports found ("3 open"), the pass, seconds left. Keep it
         * short. */
        fprintf(stderr, _("scan: %5.1f%%  %" PRIu64 "/%" PRIu64 " sent  %.0f pps  %s  pass %u  ETA %.1fs"), pct, p->done,
                p->total, p->rate, nopen, p->pass + 1, eta);
}

/* One format for standard output: a second, different one is an error, not a silent choice. */
static void set_format(struct scan_cli_opts *o, const char *format, const char *option)
{
        if (o->format && strcmp(o->format, format) != 0)
                /* TRANSLATORS: two options of portscope scan that choose the output's format. */
                scan_cli_die(_("%s and %s: choose one"), o->format_option, option);
        o->format = format;
        o->format_option = option;
}

/* Calls fn on every comma-separated item of list; stops at the first error. */
static void each_item(const char *list, void (*fn)(struct scan_targets *, const char *), struct scan_targets *t)
{
        char item[256];
        for (const char *p = list;;) {
                size_t len = strcspn(p, ",");
                if (len >= sizeof(item))
                        scan_cli_die(_("target '%.40s...': too long"), scan_cli_quote(p));
                memcpy(item, p, len);
                item[len] = '\0';
                if (len)
                        fn(t, item);
                if (!p[len])
                        break;
                p += len + 1;
        }
}

static void add_target(struct scan_targets *t, const char *spec)
{
        char err[200];
        if (scan_targets_add(t, spec, 0, err, sizeof(err)) < 0)
                scan_cli_die(_("target '%s': %s"), scan_cli_quote(spec), err);
}

static void exclude_target(struct scan_targets *t, const char *spec)
{
        char err[200];
        if (scan_targets_exclude(t, spec, 0, err, sizeof(err)) < 0)
                scan_cli_die(_("--exclude '%s': %s"), scan_cli_quote(spec), err);
}

/* The command line as the user would type it ("portscope scan -p 22 ..."), for the outputs that
 * record it (nmap's "as:"): the helper does not name itself, whether portscope ran it or not. */
static char *join_args(int argc, char **argv)
{
        static const char prog[] = "portscope scan";
        int first = argc > 1 && strcmp(argv[1], "scan") == 0 ? 2 : 1;
        size_t len = sizeof(prog);
        for (int i = first; i < argc; i++)
                len += strlen(argv[i]) + 1;
        char *s = malloc(len);
        if (!s)
                return NULL;
        memcpy(s, prog, sizeof(prog) - 1);
        size_t o = sizeof(prog) - 1;
        for (int i = first; i < argc; i++) {
                size_t l = strlen(argv[i]);
                s[o++] = ' ';
                memcpy(s + o, argv[i], l);
                o += l;
        }
        s[o] = '\0';
        return s;
}

/* The registry and the knowledge file: optional, unless named. */
static void load_refs(const struct scan_cli_opts *po, struct registry **ret_reg, struct knowledge **ret_kn)
{
        const struct scan_cli_opts o = *po;
        struct registry *reg = NULL;
        struct knowledge *kn = NULL;
        struct ps_error rerr;
        int r = registry_open(o.registry, 0, &reg, &rerr);
        if (r < 0) {
                const char *named = o.registry ? o.registry : getenv("PORTSCOPE_REGISTRY");
                if (named && *named) /* a registry that was asked for must be there */
                        die_error(&rerr);
                reg = NULL; /* no registry on this machine: statuses are "unknown" */
        }
        struct ps_error kerr;
        r = knowledge_load(o.knowledge, &kn, &kerr);
        if (r < 0) {
                const char *named = o.knowledge ? o.knowledge : getenv("PORTSCOPE_KNOWLEDGE");
                if (named && *named)
                        die_error(&kerr);
                kn = NULL;
        }
        *ret_reg = reg;
        *ret_kn = kn;
}

/* Prints the finished report in the chosen format and the -o files. Returns the exit status:
 * 0, PS_EXIT_FINDINGS (an open port judged medium or worse) or PS_EXIT_ERROR. */
/* --merge FILE...: no scan; the shards' --jsonl outputs read back, judged again, printed. Every
 * file is read before anything is printed: a bad line stops the whole with nothing written. */
static int run_merge(const struct scan_cli_opts *o, int nfiles, char **files, const char *args)
{
        if (nfiles < 1)
                scan_cli_die(_("scan: --merge needs the --jsonl files of the shards"));
        if (o->store || o->resume || o->shard || o->input_file || o->ports || o->top)
                scan_cli_die(_("scan: --merge takes files, not a scan's options (--store, --changes, --resume, "
                          "--shard, --ports, -iL)"));
        struct registry *reg = NULL;
        struct knowledge *kn = NULL;
        load_refs(o, &reg, &kn);
        struct scan_merge m;
        struct scan_report rep;
        scan_merge_init(&m);
        scan_report_init(&rep);
        rep.registry = reg;
        rep.knowledge = kn;
        rep.args = args;
        for (int i = 0; i < nfiles; i++) {
                struct ps_error e = { 0 };
                int r = strcmp(files[i], "-") == 0 ? scan_merge_read(&m, &rep, files[i], stdin, &e)
                                                   : scan_merge_load(&m, &rep, files[i], &e);
                if (r < 0) {
                        if (e.line)
                                scan_cli_die(_("scan: --merge %s:%u: %s"), scan_cli_quote(files[i]), e.line, e.message);
                        scan_cli_die(_("scan: --merge %s: %s"), scan_cli_quote(files[i]), e.message);
                }
        }
        if (m.nseen < m.nshards)
                ps_errorf(_("scan: --merge: %zu of the %u shards given; the report is incomplete"), m.nseen,
                          (unsigned)m.nshards);
        if (scan_report_finish(&rep) < 0)
                scan_cli_die(_("scan: out of memory"));
        int rc = scan_cli_emit(o, &rep);
        scan_report_free(&rep);
        scan_merge_free(&m);
        knowledge_free(kn);
        registry_close(reg);
        return rc;
}

/* Whether an --engine value names the UDP scan (an unknown one is refused later). */
static bool is_udp_engine(const char *name)
{
        enum scan_engine e;
        return scan_engine_parse(name, &e) == 0 && e == SCAN_ENGINE_UDP;
}

int main(int argc, char **argv)
{
        ps_i18n_init();
        char *args = join_args(argc, argv);
        /* Called as `portscope-scan scan ...` by portscope, or directly. */
        if (argc > 1 && strcmp(argv[1], "scan") == 0) {
                argv[1] = argv[0];
                argv++;
                argc--;
        }
        scan_cli_translate_nmap(argc, argv);
        struct scan_cli_opts o = { .max_retries = -1, .timeout = 1000, .service_wait = 5000, .udp_budget = 5000,
                       .intensity = 7 };
        struct scan_targets *targets = scan_targets_new();
        if (!targets)
                scan_cli_die(_("out of memory"));
        int c;
        char err[256];
        opterr = 0;
        while ((c = getopt_long(argc, argv, "hp:i:", longopts, NULL)) != -1) {
                switch (c) {
                case 'h':
                        scan_cli_help();
                        scan_targets_free(targets);
                        free(args);
                        return 0;
                case 'p': o.ports = optarg; break;
                case 'i': o.input_file = optarg; break;
                case OPT_TOP: o.top = optarg; break;
                case OPT_EXCLUDE: o.exclude = optarg; break;
                case OPT_EXCLUDE_FILE: o.exclude_file = optarg; break;
                case OPT_ENGINE:
                        if (o.engine && is_udp_engine(o.engine) != is_udp_engine(optarg)) {
                                /* nmap's -sS -sU scans both; the last one given would silently win. A
                                 * TCP engine after another is a choice made again (an alias's default). */
                                scan_cli_die(_("scan: one scan type at a time: %s and %s were given (-sU in a run of "
                                               "its own scans UDP)"),
                                             o.engine, optarg);
                        }
                        o.engine = optarg;
                        break;
                case OPT_RATE: o.rate = (double)parse_num("--rate", optarg, 100000000); break;
                case OPT_RETRIES: o.max_retries = (int)parse_num("--max-retries", optarg, 50); break;
                case OPT_TIMEOUT: o.timeout = parse_ms("--timeout", optarg); if (!o.timeout) o.timeout = 1; break;
                case OPT_INFLIGHT: o.max_inflight = (unsigned)parse_num("--max-inflight", optarg, 1000000); break;
                case OPT_THREADS: o.threads = (unsigned)parse_num("--threads", optarg, 64); break;
                case OPT_SEED: o.seed = parse_num("--seed", optarg, UINT64_MAX); o.seed_set = true; break;
                case OPT_SHARD: o.shard = optarg; break;
                case OPT_RESUME: o.resume = optarg; break;
                case OPT_JSON: set_format(&o, "json", "--json"); break;
                case OPT_JSONL: set_format(&o, "jsonl", "--jsonl"); break;
                case OPT_OUTPUT:
                        if (!scan_output_find(optarg))
                                scan_cli_die(_("--output: unknown format '%s' (text, json, jsonl, xml, grep)"),
                                             scan_cli_quote(optarg));
                        set_format(&o, optarg, "--output");
                        break;
                case OPT_ALL: o.all_states = true; break;
                case OPT_NOPROG: o.no_progress = true; break;
                case OPT_STORE: o.store = true; break;
                case OPT_CHANGES: o.store = o.changes = true; break;
                case OPT_REGISTRY: o.registry = optarg; break;
                case OPT_KNOWLEDGE: o.knowledge = optarg; break;
                case OPT_SERVICE: o.no_service = false; break;
                case OPT_NOSERVICE: o.no_service = true; break;
                case OPT_SWAIT:
                        if ((o.service_wait = parse_ms("--service-wait", optarg)) == 0)
                                scan_cli_die(_("--service-wait: 0 ms leaves no time to connect (use --no-service)"));
                        break;
                case OPT_PROBES: o.probes = optarg; break;
                case OPT_INTENSITY: o.intensity = (unsigned)parse_num("--version-intensity", optarg, 9); break;
                case OPT_VLIGHT: o.intensity = 2; break;
                case OPT_VALL: o.intensity = 9; break;
                case OPT_PAYLOADS: o.payloads = optarg; break;
                case OPT_UDPBUDGET: o.udp_budget = parse_ms("--udp-budget", optarg); break;
                case OPT_SPORTS: o.source_ports = optarg; break;
                case OPT_XML: o.oX = optarg; break;
                case OPT_GREP: o.oG = optarg; break;
                case OPT_JFILE: o.oJ = optarg; break;
                case OPT_NOPING: break;
                case OPT_MERGE: o.merge = true; break;
                default:
                        scan_targets_free(targets);
                        return ps_option_error("scan", "hp:i:", argv);
                }
        }
        if (o.format && strcmp(o.format, "text") != 0)
                ps_i18n_use_english(); /* the whole output is machine-readable: English */
        if (o.merge) {
                scan_targets_free(targets);
                int rc = run_merge(&o, argc - optind, argv + optind, args);
                free(args);
                return rc;
        }
        if (optind >= argc && !o.input_file && !o.resume)
                scan_cli_die(_("scan: no target given (try 'portscope scan --help')"));

        /* The engine first: it decides the protocol of the port set. */
        struct scan_config cfg;
        scan_config_init(&cfg);
        if (o.engine) {
                if (scan_engine_parse(o.engine, &cfg.engine) < 0)
                        scan_cli_die(_("--engine: unknown engine '%s' (connect, syn, udp)"), scan_cli_quote(o.engine));
        } else {
                cfg.engine = scan_privileged() ? SCAN_ENGINE_SYN : SCAN_ENGINE_CONNECT;
        }
        enum ps_proto proto = cfg.engine == SCAN_ENGINE_UDP ? PS_UDP : PS_TCP;
        if ((cfg.engine == SCAN_ENGINE_SYN) && !scan_privileged())
                scan_cli_die(_("--engine syn needs CAP_NET_RAW (run as root, or use --engine connect)"));

        scan_cli_check_file_output(o.oX, "-oX");
        scan_cli_check_file_output(o.oG, "-oG");
        scan_cli_check_file_output(o.oJ, "-oJ");
        scan_cli_check_outputs_apart(&o);
        struct registry *reg = NULL;
        struct knowledge *kn = NULL;
        load_refs(&o, &reg, &kn);
        int r;

        /* Targets. */
        for (int i = optind; i < argc; i++)
                each_item(argv[i], add_target, targets);
        if (o.input_file && scan_targets_add_file(targets, o.input_file, false, 0, err, sizeof(err)) < 0)
                scan_cli_die("%s: %s", scan_cli_quote(o.input_file), err);
        if (o.exclude)
                each_item(o.exclude, exclude_target, targets);
        if (o.exclude_file && scan_targets_add_file(targets, o.exclude_file, true, 0, err, sizeof(err)) < 0)
                scan_cli_die("%s: %s", scan_cli_quote(o.exclude_file), err);
        if (scan_targets_finish(targets, err, sizeof(err)) < 0)
                scan_cli_die(_("targets: %s"), err);
        if (scan_targets_count(targets) == 0 && !o.resume) {
                if (o.exclude || o.exclude_file)
                        scan_cli_die(_("no target left to scan (all excluded?)"));
                scan_cli_die(_("no target to scan: the targets given name no address (an empty argument or -iL file?)"));
        }

        /* Ports. */
        struct scan_ports ports = { 0 };
        if (o.ports && o.top)
                scan_cli_die(_("--ports and --top-ports: give one of them"));
        if (o.top) {
                unsigned long long n = parse_count("--top-ports", o.top, true, 65536);
                char spec[32];
                snprintf(spec, sizeof(spec), "top:%llu", n);
                if (scan_ports_parse(spec, proto, reg, kn, &ports, err, sizeof(err)) < 0)
                        scan_cli_die(_("--top-ports '%s': %s"), scan_cli_quote(o.top), err);
        } else if (o.ports) {
                if (scan_ports_parse(o.ports, proto, reg, kn, &ports, err, sizeof(err)) < 0)
                        scan_cli_die(_("--ports '%s': %s"), scan_cli_quote(o.ports), err);
        } else if (scan_ports_parse("top:1000", proto, reg, kn, &ports, err, sizeof(err)) < 0 &&
                   scan_ports_parse("1-1024", proto, reg, kn, &ports, err, sizeof(err)) < 0) {
                scan_cli_die(_("ports: %s"), err);
        }

        if (o.shard) {
                unsigned long a, b;
                char tail;
                if (sscanf(o.shard, "%lu/%lu%c", &a, &b, &tail) != 2 || b == 0 || a == 0 || a > b || b > 65536)
                        scan_cli_die(_("--shard '%s': expected I/N with 1 <= I <= N (e.g. 1/4)"),
                                     scan_cli_quote(o.shard));
                cfg.shard = (uint32_t)(a - 1);
                cfg.nshards = (uint32_t)b;
                /* The shards split one random order: each must draw the same one. */
                if (!o.seed_set && !o.resume)
                        scan_cli_die(_("--shard needs --seed N, the same N for every shard (they split one random order)"));
                /* Each shard sees part of every host: the others' open ports would look gone. */
                if (o.changes)
                        scan_cli_die(_("--changes compares whole scans, not shards: merge the shards (--merge), or scan "
                                    "without --shard"));
        }
        if (o.source_ports) {
                unsigned long a, b;
                char tail;
                if (sscanf(o.source_ports, "%lu-%lu%c", &a, &b, &tail) != 2 || a < 1024 || b > 65535 || a > b)
                        scan_cli_die(_("--source-ports '%s': expected LO-HI within 1024-65535"),
                                     scan_cli_quote(o.source_ports));
                cfg.sport_lo = (uint16_t)a;
                cfg.sport_hi = (uint16_t)b;
        }
        if (!o.seed_set && getrandom(&o.seed, sizeof(o.seed), 0) != sizeof(o.seed))
                o.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;

        struct run run = { .progress = isatty(2) && !o.no_progress };
        scan_report_init(&run.rep);
        run.rep.all_states = o.all_states;

        /* Resume. */
        struct scan_resume res = { 0 };
        bool resuming = false;
        uint64_t fp = scan_fingerprint(targets, &ports, cfg.engine);
        if (o.resume && access(o.resume, F_OK) == 0) {
                struct ps_error rserr = { 0 };
                if (scan_resume_load(o.resume, targets, &ports, &res, &run.rep, &rserr) < 0)
                        die_error(&rserr);
                if (res.fingerprint != fp)
                        scan_cli_die(_("--resume '%s': the saved scan had other targets, ports or engine"),
                                     scan_cli_quote(o.resume));
                if (o.seed_set && o.seed != res.seed)
                        scan_cli_die(_("--resume '%s': the saved scan used another --seed"), scan_cli_quote(o.resume));
                if (o.shard && (cfg.shard != res.shard || cfg.nshards != res.nshards))
                        scan_cli_die(_("--resume '%s': the saved scan is shard %u/%u, not %s"), scan_cli_quote(o.resume),
                                  res.shard + 1, res.nshards, scan_cli_quote(o.shard));
                o.seed = res.seed;
                cfg.shard = res.shard;
                cfg.nshards = res.nshards;
                cfg.resume_pos = res.pos;
                resuming = true;
        }

        cfg.targets = targets;
        cfg.ports = &ports;
        cfg.seed = o.seed;
        cfg.rate = o.rate;
        cfg.max_retries = o.max_retries;
        cfg.timeout_ms = o.timeout;
        cfg.max_inflight = o.max_inflight;
        cfg.threads = o.threads;
        cfg.payloads_path = o.payloads;
        cfg.udp_budget_ms = o.udp_budget;
        cfg.all_states = o.all_states;
        cfg.stop = &stop_flag;
        cfg.on_result = on_result;
        cfg.on_progress = on_progress;
        cfg.userdata = &run;
        if (resuming) {
                cfg.resume_pending = res.mpending;
                cfg.nresume_pending = res.npending;
        }

        struct sigaction sa = { .sa_handler = on_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        run.rep.args = args;
        run.rep.engine = cfg.engine;
        run.rep.proto = proto;
        run.rep.seed = o.seed;
        run.rep.shard = cfg.shard;
        run.rep.nshards = cfg.nshards;
        run.rep.ports = &ports;
        run.rep.targets = targets;
        run.rep.registry = reg;
        run.rep.knowledge = kn;
        run.rep.start = (long long)time(NULL);

        struct scan_stats stats;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = scan_run(&cfg, &stats, err, sizeof(err));
        if (run.progress)
                fputs("\r\033[K", stderr);
        if (r < 0)
                scan_cli_die("scan: %s", err); /* exits: what is held is the process's */
        if (run.oom)
                scan_cli_die(_("scan: out of memory"));
        /* What ran before an interruption counts too: the summary is the whole scan's. */
        stats.pairs += res.before.pairs;
        stats.sent += res.before.sent;
        stats.replies += res.before.replies;
        if (res.before.started)
                run.rep.start = res.before.started;
        run.rep.stats = stats;
        for (size_t i = 0; i < run.rep.nhosts; i++)
                run.rep.hosts[i].name = scan_targets_name(targets, &run.rep.hosts[i].addr);

        if (stats.interrupted) {
                char defpath[PATH_MAX];
                const char *path = o.resume;
                if (!path) {
                        char dir[PATH_MAX - 16];
                        if (ps_state_dir(dir, sizeof(dir)) == 0 && ps_mkdir_p(dir) == 0) {
                                snprintf(defpath, sizeof(defpath), "%s/scan.resume", dir);
                                path = defpath;
                        }
                }
                struct scan_resume st = { .seed = o.seed, .shard = cfg.shard, .nshards = cfg.nshards,
                                          .pos = stats.resume_pos, .fingerprint = fp,
                                          .pending = stats.pending, .npending = stats.npending,
                                          .before = { .pairs = stats.pairs, .sent = stats.sent, .replies = stats.replies,
                                                      .elapsed = res.before.elapsed + stats.elapsed,
                                                      .started = run.rep.start } };
                snprintf(st.engine, sizeof(st.engine), "%s", scan_engine_name(cfg.engine));
                if (path && scan_resume_save(path, &st, &run.rep) == 0)
                        ps_errorf(_("scan interrupted; continue with the same targets and options and --resume %s"),
                                  scan_cli_quote(path));
                else
                        ps_errorf(_("scan interrupted; could not save the state to resume"));
        } else if (o.resume && resuming) {
                unlink(o.resume); /* done: the state is spent */
        }

        /* Services. */
        if (!o.no_service && !stop_flag)
                scan_cli_identify(&run.rep, &o, &stop_flag);
        run.rep.end = (long long)time(NULL);
        /* Service identification counts: the run took from its start to now. */
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (took > run.rep.stats.elapsed)
                run.rep.stats.elapsed = took;
        run.rep.stats.elapsed += res.before.elapsed;
        /* Interrupted while identifying services: the report says so, as when interrupted scanning. */
        if (stop_flag)
                run.rep.stats.interrupted = true;
        if (stop_flag && !o.no_service)
                scan_cli_unprobed_interrupted(&run.rep);
        if (scan_report_finish(&run.rep) < 0)
                scan_cli_die(_("scan: out of memory"));

        if (o.store && run.rep.stats.interrupted) {
                /* A partial scan as the last word on a host would make its unscanned open ports
                 * look gone at the next --changes. */
                ps_errorf(_("scan: the scan was interrupted, so it is not recorded in the store"));
        } else if (o.store) {
                if (scan_store_record(NULL, &run.rep, o.changes, err, sizeof(err)) < 0)
                        scan_cli_die("scan: %s", err);
                if (o.changes && scan_report_finish(&run.rep) < 0)
                        scan_cli_die(_("scan: out of memory"));
        }

        int rc = scan_cli_emit(&o, &run.rep);
        free(stats.pending);
        free(res.mpending);
        scan_report_free(&run.rep);
        scan_ports_free(&ports);
        scan_targets_free(targets);
        knowledge_free(kn);
        registry_close(reg);
        free(args);
        if (!stats.interrupted && stop_flag) {
                ps_errorf(_("interrupted during service identification; services are missing"));
                return PS_EXIT_INTERRUPTED;
        }
        return stats.interrupted ? PS_EXIT_INTERRUPTED : rc;
}
