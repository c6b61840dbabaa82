/* portscope update — fetch the current IANA registry, check it, and store it atomically in
 * $XDG_DATA_HOME/portscope/, saying what changed. Its own executable because libcurl (and the
 * TLS stack under it) would cost every other command milliseconds of start-up. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portscope/portinfo.h"
#include "portscope/registry.h"
#include "portscope/util.h"

#define IANA_URL "https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.csv"
#define MAX_DOWNLOAD (64u << 20)

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
        "  --url URL        where to fetch from (default: " IANA_URL ")\n"
        "  --from FILE      install a CSV you already have instead of downloading\n"
        "  --timeout SECS   give up a download after SECS seconds (default 120)\n"
        "  --json           {\"stored\":PATH,\"date\":..,\"rows\":N,\"added\":[..],\"removed\":[..]}\n"
        "  -h, --help       this text\n"
        "\n"
        "Examples:\n"
        "  portscope update\n"
        "  portscope update --from ~/Downloads/service-names-port-numbers.csv\n";

struct download {
        char *data;
        size_t len;
        bool too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
        struct download *d = userdata;
        size_t add = size * n;
        char *nd;

        if (d->len + add > MAX_DOWNLOAD) {
                d->too_big = true;
                return 0;
        }
        nd = realloc(d->data, d->len + add + 1);
        if (!nd)
                return 0;
        d->data = nd;
        memcpy(d->data + d->len, p, add);
        d->len += add;
        d->data[d->len] = '\0';
        return add;
}

static void err_escaped(const char *prefix, const char *s, const char *suffix)
{
        fputs(prefix, stderr);
        ps_term_escape(stderr, s, (size_t)-1, false);
        fputs(suffix, stderr);
}

static int fetch(const char *url, long timeout, struct download *d)
{
        char errbuf[CURL_ERROR_SIZE] = "";
        CURL *c;
        CURLcode rc;
        long status = 0;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
                return -EIO;
        c = curl_easy_init();
        if (!c)
                return -ENOMEM;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, d);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "portscope-update/1");
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        curl_global_cleanup();
        if (rc != CURLE_OK) {
                err_escaped("portscope: update: ", url, ": ");
                fprintf(stderr, "%s\n", d->too_big ? "larger than 64 MiB: not the registry" : *errbuf ? errbuf : curl_easy_strerror(rc));
                return -EIO;
        }
        if (status != 200) {
                err_escaped("portscope: update: ", url, "");
                fprintf(stderr, ": HTTP status %ld, expected 200\n", status);
                return -EIO;
        }
        return 0;
}

/* "name port/proto" keys of the rows, sorted, for the difference between two copies. */
static char **row_keys(const struct registry *r, size_t *ret_n)
{
        uint32_t n = registry_nrows(r);
        char **v = calloc(n ? n : 1, sizeof(*v));

        if (!v)
                return NULL;
        for (uint32_t i = 0; i < n; i++) {
                struct registry_row row;
                registry_row(r, i, &row);
                if (asprintf(&v[i], "%s %s/%s", *row.service ? row.service : "-", *row.port ? row.port : "-",
                             *row.proto ? row.proto : "any") < 0) {
                        v[i] = NULL;
                        for (uint32_t j = 0; j < i; j++)
                                free(v[j]);
                        free(v);
                        return NULL;
                }
        }
        *ret_n = n;
        return v;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Multiset difference of sorted a and b: keys in a that b lacks. */
static void diff(char **a, size_t na, char **b, size_t nb, json_t *out)
{
        size_t i = 0, j = 0;

        while (i < na) {
                int c = j < nb ? strcmp(a[i], b[j]) : -1;
                if (c == 0)
                        i++, j++;
                else if (c < 0)
                        json_array_append_new(out, json_string(a[i++]));
                else
                        j++;
        }
}

static void free_keys(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "url", required_argument, NULL, 'u' },  { "from", required_argument, NULL, 'f' },
                { "json", no_argument, NULL, 'j' },       { "timeout", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },       { 0 },
        };
        const char *url = IANA_URL, *from = NULL;
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
                int r = ps_read_file(from, MAX_DOWNLOAD, &d.data, &d.len);
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
                if (fetch(url, timeout, &d) < 0)
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
        char **kn = row_keys(fresh, &nn), **ko = old ? row_keys(old, &no) : NULL;
        if (kn)
                qsort(kn, nn, sizeof(*kn), cmp_str);
        if (ko)
                qsort(ko, no, sizeof(*ko), cmp_str);
        if (old && kn && ko) {
                diff(kn, nn, ko, no, added);
                diff(ko, no, kn, nn, removed);
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
        free_keys(kn, nn);
        free_keys(ko, no);
        ret = 0;
out:
        free(d.data);
        registry_close(fresh);
        registry_close(old);
        return ret;
}
