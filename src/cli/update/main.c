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

static void err_escaped(const char *prefix, const char *s, const char *suffix)
{
        fputs(prefix, stderr);
        ps_term_escape(stderr, s, (size_t)-1, false);
        fputs(suffix, stderr);
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
        struct registry_error err = { 0 };
        char dir[1024], path[1100];
        int opt, ret = 2;

        /* Called as {"portscope-update", "update", args...} by portscope, or directly. */
        if (argc > 1 && strcmp(argv[1], "update") == 0) {
                argv[1] = argv[0];
                argc--, argv++;
        }
        while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (opt) {
                case 'u': url = optarg; url_given = true; break;
                case 'f': from = optarg; break;
                case 'j': json = true; break;
                case 't': {
                        char *end;
                        timeout = strtol(optarg, &end, 10);
                        if (*end || timeout <= 0 || timeout > 3600) {
                                err_escaped("portscope: update: --timeout '", optarg, "': expected 1-3600 seconds\n");
                                return 2;
                        }
                        break;
                }
                case 'h': fputs(usage, stdout); return 0;
                default: fputs("Try 'portscope update --help'.\n", stderr); return 2;
                }
        }
        if (optind < argc) {
                err_escaped("portscope: update: unexpected argument '", argv[optind], "'\n");
                return 2;
        }
        if (from && url_given) {
                fputs("portscope: update: --url and --from exclude each other\n", stderr);
                return 2;
        }
        if (ps_data_dir(dir, sizeof(dir)) < 0) {
                fputs("portscope: update: no data directory (set HOME or XDG_DATA_HOME)\n", stderr);
                return 2;
        }
        snprintf(path, sizeof(path), "%s/service-names-port-numbers.csv", dir);

        if (from) {
                int r = ps_read_file(from, UPDATE_MAX_DOWNLOAD, &d.data, &d.len);
                if (r < 0) {
                        err_escaped("portscope: update: ", from, ": ");
                        fprintf(stderr, "%s\n", strerror(-r));
                        return 2;
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
        if (registry_parse_buffer(from ? from : url, d.data ? d.data : "", d.len, REGISTRY_SOURCE_IANA_CSV, &fresh,
                                  &err) < 0) {
                fputs("portscope: update: ", stderr);
                ps_term_escape(stderr, err.file, (size_t)-1, false);
                if (err.line)
                        fprintf(stderr, ":%u", err.line);
                fputs(": ", stderr);
                ps_term_escape(stderr, err.message, (size_t)-1, false);
                fputs(" (nothing was changed)\n", stderr);
                goto out;
        }
        if (access(path, R_OK) == 0)
                (void)registry_parse_file(path, REGISTRY_SOURCE_IANA_CSV, &old, &err);

        int r = ps_mkdir_p(dir);
        if (r == 0)
                r = ps_write_file_atomic(path, d.data, d.len, 0644);
        if (r < 0) {
                err_escaped("portscope: update: cannot store ", path, ": ");
                fprintf(stderr, "%s (nothing was changed)\n", strerror(-r));
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
                        size_t i;
                        json_t *x;
                        json_array_foreach(added, i, x) {
                                if (i == 20) {
                                        printf("    … and %zu more added\n", json_array_size(added) - 20);
                                        break;
                                }
                                fputs("    + ", stdout);
                                ps_term_escape(stdout, json_string_value(x), (size_t)-1, false);
                                putchar('\n');
                        }
                        json_array_foreach(removed, i, x) {
                                if (i == 20) {
                                        printf("    … and %zu more removed\n", json_array_size(removed) - 20);
                                        break;
                                }
                                fputs("    - ", stdout);
                                ps_term_escape(stdout, json_string_value(x), (size_t)-1, false);
                                putchar('\n');
                        }
                } else
                        puts("  (no previous copy)");
        }
        json_decref(o);
        update_free_keys(kn, nn);
        update_free_keys(ko, no);
        ret = 0;
out:
        free(d.data);
        registry_close(fresh);
        registry_close(old);
        return ret;
}
