/* portscope-serve: `portscope serve`. Thin: parse options, open the registry and the knowledge,
 * start the server (src/serve), wait for SIGTERM or SIGINT, stop gracefully. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "portscope/i18n.h"
#include "portscope/error.h"
#include "portscope/http.h"
#include "portscope/knowledge.h"
#include "portscope/registry.h"
#include "portscope/update.h"
#include "portscope/util.h"

static const char usage_text[] =
        N_("Usage: portscope serve [OPTIONS]\n"
        "\n"
        "Serves a page for every port, a map of all 65,536 ports and a JSON API, from\n"
        "the same registry and knowledge as the rest of portscope. By default it listens\n"
        "on 127.0.0.1:6335 only, so that nothing beyond this machine can reach it.\n"
        "\n"
        "Pages:  /  /search?q=TEXT  /ports/N  /services/NAME  /ranges  /map  /stats\n"
        "API:    /api/v1/ports/N (the object of 'portscope info --json-object N')\n"
        "        /api/v1/search?q=TEXT (as 'portscope search --json --limit 100 TEXT')\n"
        "        /api/v1/listeners (only with --show-local)  /metrics (Prometheus)\n"
        "        /healthz\n"
        "\n"
        "Options:\n"
        "  --listen ADDR:PORT      address to listen on (default 127.0.0.1:6335;\n"
        "                          [::1]:PORT for IPv6; port 0 picks a free one and\n"
        "                          prints it)\n"
        "  --registry FILE         the registry to read (default: see\n"
        "                          'portscope info --help')\n"
        "  --knowledge FILE        a knowledge file instead of the built-in one\n"
        "  --no-cache              neither read nor write the registry's index cache\n"
        "  --show-local            also show what listens on this machine\n"
        "                          (/api/v1/listeners, the map overlay); off by default:\n"
        "                          it is not for everyone to see\n"
        "  --db FILE               where feedback votes are counted (default: the\n"
        "                          portscope store, $PORTSCOPE_DB or\n"
        "                          ~/.local/state/portscope/portscope.db)\n"
        "  --no-feedback           no \"Was this page helpful?\" and no store\n"
        "  --feedback-limit B/S    votes per client address: B at once, one more every S\n"
        "                          seconds (default 10/60)\n"
        "  --access-log FILE       append one line per request to FILE ('-': standard\n"
        "                          error, the default)\n"
        "  --no-access-log         keep no access log\n"
        "  --threads N             worker threads (default: one per CPU)\n"
        "  --idle-timeout S        close a connection silent for S seconds (default 10)\n"
        "  --request-timeout S     close a connection whose request is not answered S\n"
        "                          seconds after it began (slow clients; default 15)\n"
        "  --max-connections N     open connections at most (default 1024)\n"
        "  --max-per-ip N          connections per client address at most (default 256)\n"
        "  -h, --help              this text\n"
        "\n"
        "SIGTERM or SIGINT stops it: no new connections, requests in flight finish (up\n"
        "to 5 s).\n"
        "\n"
        "Examples:\n"
        "  portscope serve                      then open http://127.0.0.1:6335/\n"
        "  portscope serve --listen 127.0.0.1:8080 \\\n"
        "      --registry service-names-port-numbers.csv\n"
        "  curl -s http://127.0.0.1:6335/api/v1/ports/22\n");

static int parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi, unsigned *ret)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (s[0] < '0' || s[0] > '9' || *end || errno || v < lo || v > hi) {
                ps_errorf("serve: %s '%s': expected a number from %u to %u", opt, s, lo, hi);
                return -EINVAL;
        }
        *ret = (unsigned)v;
        return 0;
}

enum {
        OPT_LISTEN = 256,
        OPT_REGISTRY,
        OPT_KNOWLEDGE,
        OPT_NO_CACHE,
        OPT_SHOW_LOCAL,
        OPT_DB,
        OPT_NO_FEEDBACK,
        OPT_FEEDBACK_LIMIT,
        OPT_ACCESS_LOG,
        OPT_NO_ACCESS_LOG,
        OPT_THREADS,
        OPT_IDLE_TIMEOUT,
        OPT_REQUEST_TIMEOUT,
        OPT_MAX_CONNECTIONS,
        OPT_MAX_PER_IP,
};

int main(int argc, char **argv)
{
        ps_i18n_init_server();
        static const struct option opts[] = {
                { "listen", required_argument, NULL, OPT_LISTEN },
                { "registry", required_argument, NULL, OPT_REGISTRY },
                { "knowledge", required_argument, NULL, OPT_KNOWLEDGE },
                { "no-cache", no_argument, NULL, OPT_NO_CACHE },
                { "show-local", no_argument, NULL, OPT_SHOW_LOCAL },
                { "db", required_argument, NULL, OPT_DB },
                { "no-feedback", no_argument, NULL, OPT_NO_FEEDBACK },
                { "feedback-limit", required_argument, NULL, OPT_FEEDBACK_LIMIT },
                { "access-log", required_argument, NULL, OPT_ACCESS_LOG },
                { "no-access-log", no_argument, NULL, OPT_NO_ACCESS_LOG },
                { "threads", required_argument, NULL, OPT_THREADS },
                { "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
                { "request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT },
                { "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
                { "max-per-ip", required_argument, NULL, OPT_MAX_PER_IP },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        struct http_config cfg = { 0 };
        const char *registry_path = NULL, *knowledge_path = NULL, *log_path = "-";
        bool no_cache = false;

        /* Run as {"portscope-serve", "serve", ...} by portscope, or directly. */
        if (argc > 1 && strcmp(argv[1], "serve") == 0) {
                argv[1] = argv[0];
                argv++;
                argc--;
        }
        int opt;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (opt) {
                case OPT_LISTEN: cfg.listen = optarg; break;
                case OPT_REGISTRY: registry_path = optarg; break;
                case OPT_KNOWLEDGE: knowledge_path = optarg; break;
                case OPT_NO_CACHE: no_cache = true; break;
                case OPT_SHOW_LOCAL: cfg.show_local = true; break;
                case OPT_DB:
                        if (!optarg[0]) {
                                ps_errorf("serve: --db needs a file name (use --no-feedback to switch feedback off)");
                                return PS_EXIT_ERROR;
                        }
                        cfg.db_path = optarg;
                        break;
                case OPT_NO_FEEDBACK: cfg.db_path = ""; break;
                case OPT_FEEDBACK_LIMIT: {
                        const char *slash = strchr(optarg, '/');
                        char burst[16];
                        size_t bl = slash ? (size_t)(slash - optarg) : 0;
                        if (!slash || bl == 0 || bl >= sizeof burst) {
                                ps_errorf("serve: --feedback-limit '%s': expected BURST/SECONDS, e.g. 10/60", optarg);
                                return PS_EXIT_ERROR;
                        }
                        memcpy(burst, optarg, bl);
                        burst[bl] = '\0';
                        if (parse_uint("--feedback-limit", burst, 1, 1000000, &cfg.feedback_burst) < 0 ||
                            parse_uint("--feedback-limit", slash + 1, 1, 86400 * 365, &cfg.feedback_refill) < 0)
                                return PS_EXIT_ERROR;
                        break;
                }
                case OPT_ACCESS_LOG: log_path = optarg; break;
                case OPT_NO_ACCESS_LOG: log_path = NULL; break;
                case OPT_THREADS:
                        if (parse_uint("--threads", optarg, 1, 256, &cfg.threads) < 0)
                                return PS_EXIT_ERROR;
                        break;
                case OPT_IDLE_TIMEOUT:
                        if (parse_uint("--idle-timeout", optarg, 1, 3600, &cfg.idle_timeout) < 0)
                                return PS_EXIT_ERROR;
                        break;
                case OPT_REQUEST_TIMEOUT:
                        if (parse_uint("--request-timeout", optarg, 1, 3600, &cfg.request_timeout) < 0)
                                return PS_EXIT_ERROR;
                        break;
                case OPT_MAX_CONNECTIONS:
                        if (parse_uint("--max-connections", optarg, 1, 1000000, &cfg.max_connections) < 0)
                                return PS_EXIT_ERROR;
                        break;
                case OPT_MAX_PER_IP:
                        if (parse_uint("--max-per-ip", optarg, 1, 1000000, &cfg.max_per_ip) < 0)
                                return PS_EXIT_ERROR;
                        break;
                case 'h': fputs(_(usage_text), stdout); return 0;
                default: return ps_option_error("serve", "h", argv);
                }
        }
        if (optind < argc) {
                ps_errorf("serve: unexpected argument '%s' (try 'portscope serve --help')", argv[optind]);
                return PS_EXIT_ERROR;
        }

        struct registry *reg = NULL;
        struct knowledge *know = NULL;
        struct ps_error rerr = { 0 };
        int r = registry_open(registry_path, no_cache ? REGISTRY_OPEN_NO_CACHE : 0, &reg, &rerr);
        if (r < 0) {
                ps_error_print(NULL, &rerr, r);
                return PS_EXIT_ERROR;
        }
        struct ps_error kerr = { 0 };
        r = knowledge_load(knowledge_path, &know, &kerr);
        if (r < 0) {
                ps_error_print(NULL, &kerr, r);
                registry_close(reg);
                return PS_EXIT_ERROR;
        }
        FILE *log = NULL;
        if (log_path && strcmp(log_path, "-") == 0)
                log = stderr;
        else if (log_path) {
                log = fopen(log_path, "ae");
                if (!log) {
                        ps_errorf("serve: cannot open the access log '%s': %s", log_path, strerror(errno));
                        knowledge_free(know);
                        registry_close(reg);
                        return PS_EXIT_ERROR;
                }
        }
        /* Without --db, a store that cannot be opened only switches feedback off. */
        cfg.feedback_optional = cfg.db_path == NULL;
        cfg.registry = reg;
        cfg.knowledge = know;
        cfg.access_log = log;
        /* The versions `portscope update` kept (ps_data_dir()/snapshots/history.txt), read once
         * like the registry: a later update shows after a restart. None, or a registry that is
         * not the installed copy (--registry FILE): the pages say no versions are kept. */
        struct update_history *hist = update_history_open_for(registry_source(reg)->path);
        cfg.history = hist;

        /* The server's threads inherit this mask: the signals are taken by sigwait() below. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);

        struct http_server *srv = NULL;
        char err[512];
        r = http_server_start(&cfg, &srv, err, sizeof err);
        if (r < 0) {
                ps_errorf("serve: %s", err);
                if (log && log != stderr)
                        fclose(log);
                update_history_close(hist);
                knowledge_free(know);
                registry_close(reg);
                return PS_EXIT_ERROR;
        }
        if (http_server_note(srv))
                ps_errorf("serve: %s", http_server_note(srv));
        printf("portscope: serving %s (SIGTERM or Ctrl-C stops)\n", http_server_url(srv));
        fflush(stdout);

        int sig = 0;
        sigwait(&set, &sig);
        fprintf(stderr, "portscope: %s: finishing requests in flight and stopping\n",
                sig == SIGTERM ? "SIGTERM" : "SIGINT");
        http_server_stop(srv, 5000);
        if (log && log != stderr)
                fclose(log);
        update_history_close(hist);
        knowledge_free(know);
        registry_close(reg);
        return 0;
}
