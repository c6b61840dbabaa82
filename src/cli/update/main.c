/* portscope update — fetch the current IANA registry, check it, and store it atomically in
 * $XDG_DATA_HOME/portscope/, saying what changed. Its own executable because libcurl (and the
 * TLS stack under it) would cost every other command milliseconds of start-up. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portscope/error.h"
#include "portscope/portinfo.h"
#include "portscope/registry.h"
#include "portscope/update.h"
#include "portscope/util.h"

static const char usage[] =
        "Usage: portscope update [--url URL | --from FILE] [--json] [--timeout SECONDS]\n"
        "\n"
        "Fetches the IANA Service Name and Transport Protocol Port Number Registry (CSV), checks\n"
        "that it parses completely, and stores it as\n"
        "$XDG_DATA_HOME/portscope/service-names-port-numbers.csv (default\n"
        "~/.local/share/portscope/), which every portscope command then reads unless given\n"
        "--registry FILE. The old copy is replaced atomically, and only by a file that parses:\n"
        "a failed or partial download changes nothing. Prints the rows added and removed (by\n"
        "service name, port and protocol).\n"
        "\n"
        "Options:\n"
        "  --url URL        where to fetch from (default: " UPDATE_IANA_URL ")\n"
        "  --from FILE      install a CSV you already have instead of downloading\n"
        "  --timeout SECS   give up a download after SECS seconds (default 120)\n"
        "  --json           {\"stored\":PATH,\"date\":..,\"rows\":N,\"added\":[..],\"removed\":[..]}\n"
        "  -h, --help       this text\n"
        "\n"
        "Examples:\n"
        "  portscope update\n"
        "  portscope update --from ~/Downloads/service-names-port-numbers.csv\n";

/* The first 20 keys of a difference, one a line after sign. */
static void print_keys(json_t *keys, char sign, const char *what)
{
        size_t i;
        json_t *x;

        json_array_foreach(keys, i, x) {
                if (i == 20) {
                        printf("    … and %zu more %s\n", json_array_size(keys) - 20, what);
                        break;
                }
                printf("    %c ", sign);
                ps_term_escape(stdout, json_string_value(x), (size_t)-1, false);
                putchar('\n');
        }
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "url", required_argument, NULL, 'u' },  { "from", required_argument, NULL, 'f' },
                { "json", no_argument, NULL, 'j' },       { "timeout", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },       { 0 },
        };
        const char *url = UPDATE_IANA_URL, *from = NULL;
        bool json = false, url_given = false;
        long timeout = 120;
        struct download d = { 0 };
        struct registry *fresh = NULL, *old = NULL;
        struct ps_error err = { 0 };
        char dir[1024], path[1100];
        int opt, ret = PS_EXIT_ERROR;

        /* Called as {"portscope-update", "update", args...} by portscope, or directly. */
        if (argc > 1 && strcmp(argv[1], "update") == 0) {
                argv[1] = argv[0];
                argc--, argv++;
        }
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (opt) {
                case 'u': url = optarg; url_given = true; break;
                case 'f': from = optarg; break;
                case 'j': json = true; break;
                case 't': {
                        char *end;
                        timeout = strtol(optarg, &end, 10);
                        if (*end || timeout <= 0 || timeout > 3600) {
                                ps_errorf("update: --timeout '%s': expected 1-3600 seconds", optarg);
                                return PS_EXIT_ERROR;
                        }
                        break;
                }
                case 'h': fputs(usage, stdout); return 0;
                default: return ps_option_error("update", "h", argv);
                }
        }
        if (optind < argc) {
                ps_errorf("update: unexpected argument '%s'", argv[optind]);
                return PS_EXIT_ERROR;
        }
        if (from && url_given) {
                ps_errorf("update: --url and --from exclude each other");
                return PS_EXIT_ERROR;
        }
        if (ps_data_dir(dir, sizeof(dir)) < 0) {
                ps_errorf("update: no data directory (set HOME or XDG_DATA_HOME)");
                return PS_EXIT_ERROR;
        }
        snprintf(path, sizeof(path), "%s/service-names-port-numbers.csv", dir);

        if (from) {
                int r = ps_read_file(from, UPDATE_MAX_DOWNLOAD, &d.data, &d.len);
                if (r < 0) {
                        ps_errorf("update: %s: %s", from, strerror(-r));
                        return PS_EXIT_ERROR;
                }
        } else {
                if (!json && isatty(STDERR_FILENO)) {
                        fputs("Fetching ", stderr);
                        ps_term_escape(stderr, url, (size_t)-1, false);
                        fputs(" ...\n", stderr);
                }
                if (update_fetch(url, timeout, &d) < 0)
                        goto out;
        }
        /* Only a complete, well-formed IANA CSV replaces the copy in use. */
        int r = registry_parse_buffer(from ? from : url, d.data ? d.data : "", d.len, REGISTRY_SOURCE_IANA_CSV,
                                      &fresh, &err);
        if (r < 0) {
                size_t n = strlen(err.message);
                snprintf(err.message + n, sizeof(err.message) - n, " (nothing was changed)");
                ps_error_print("update", &err, r);
                goto out;
        }
        if (access(path, R_OK) == 0)
                (void)registry_parse_file(path, REGISTRY_SOURCE_IANA_CSV, &old, &err);

        r = ps_mkdir_p(dir);
        if (r == 0)
                r = ps_write_file_atomic(path, d.data, d.len, 0644);
        if (r < 0) {
                ps_errorf("update: cannot store %s: %s (nothing was changed)", path, strerror(-r));
                goto out;
        }

        json_t *o = json_object(), *added = json_array(), *removed = json_array();
        size_t nn = 0, no = 0;
        char **kn = update_row_keys(fresh, &nn), **ko = old ? update_row_keys(old, &no) : NULL;
        if (old && kn && ko) {
                update_keys_diff(kn, nn, ko, no, added);
                update_keys_diff(ko, no, kn, nn, removed);
        }
        json_object_set_new(o, "registry", portinfo_source_json(fresh));
        json_object_set_new(o, "stored", portinfo_string(path));
        json_object_set_new(o, "source", portinfo_string(from ? from : url));
        json_object_set_new(o, "date", json_string(registry_source(fresh)->date));
        json_object_set_new(o, "rows", json_integer(registry_nrows(fresh)));
        json_object_set_new(o, "previous_date", old ? json_string(registry_source(old)->date) : json_null());
        json_object_set_new(o, "added", added);
        json_object_set_new(o, "removed", removed);
        if (json) {
                json_dumpf(o, stdout, JSON_COMPACT);
                putchar('\n');
        } else {
                fputs("Stored ", stdout);
                ps_term_escape(stdout, path, (size_t)-1, false);
                /* Dates are checked to be YYYY-MM[-DD] when parsed: nothing to escape. */
                printf("\n  %u rows, newest date %s\n", registry_nrows(fresh), registry_source(fresh)->date);
                if (old) {
                        printf("  previous copy: newest date %s; %zu rows added, %zu removed (by name, port and protocol)\n",
                               registry_source(old)->date, json_array_size(added), json_array_size(removed));
                        print_keys(added, '+', "added");
                        print_keys(removed, '-', "removed");
                } else
                        puts("  (no previous copy)");
        }
        json_decref(o);
        update_free_keys(kn, nn);
        update_free_keys(ko, no);
        ret = PS_EXIT_OK;
out:
        free(d.data);
        registry_close(fresh);
        registry_close(old);
        return ret;
}
