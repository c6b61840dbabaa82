/* portscope update — fetch the current IANA registry (only when the server has a newer one),
 * check it, store it atomically in $XDG_DATA_HOME/portscope/, keep a snapshot of it, and say
 * what changed in the registry's own terms; portscope diff OLD NEW — the same comparison of any
 * two files. Its own executable because libcurl (and the TLS stack under it) would cost every
 * other command milliseconds of start-up. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "portscope/i18n.h"
#include "portscope/error.h"
#include "portscope/portinfo.h"
#include "portscope/registry.h"
#include "portscope/update.h"
#include "portscope/util.h"
#include "update-cli.h"

/* The URL is a placeholder: one msgid for the whole text, whatever the URL. */
#define UPDATE_USAGE \
        /* TRANSLATORS: %s is the default URL, on its own line under "--url URL"; keep lines short. */ \
        N_("Usage: portscope update [--url URL | --from FILE] [--check] [--json] [OPTIONS]\n" \
        "\n" \
        "Fetches the IANA Service Name and Transport Protocol Port Number Registry (CSV)\n" \
        "and installs it as $XDG_DATA_HOME/portscope/service-names-port-numbers.csv\n" \
        "(default ~/.local/share/portscope/), which every portscope command then reads\n" \
        "unless given --registry FILE. The download is conditional (If-None-Match,\n" \
        "If-Modified-Since): when the server says nothing changed, or the file has the\n" \
        "SHA-256 of the installed copy, nothing is touched. A new copy is installed only\n" \
        "when its header has every column (by name), every row parses and it has at\n" \
        "least --min-rows rows; it replaces the old one atomically. Each installed\n" \
        "version is kept, compressed, in $XDG_DATA_HOME/portscope/snapshots/\n" \
        "('portscope info PORT' shows a port's history across them). Then it says what\n" \
        "changed, port by port: newly assigned, de-assigned, renamed, aliases, metadata,\n" \
        "unauthorized use; and whether something listens here on a port whose status\n" \
        "changed. Progress is shown on a terminal only.\n" \
        "\n" \
        "Options:\n" \
        "  --url URL        where to fetch from (default:\n" \
        "                   %s)\n" \
        "  --from FILE      install a CSV you already have instead of downloading\n" \
        "                   ('-': read it from standard input)\n" \
        "  --check          only say whether a newer registry is available; install\n" \
        "                   nothing. Exit status 0: current, 10: a newer one is\n" \
        "                   available, 2: error\n" \
        "  --timeout SECS   give up a download after SECS seconds (default 120)\n" \
        "  --min-rows N     refuse a registry with fewer rows (default 10000)\n" \
        "  --force          install a registry older than the installed one, or with\n" \
        "                   a tenth fewer rows (refused otherwise: a copy cut short)\n" \
        "  --keep N         snapshots kept, the oldest removed first (default 24)\n" \
        "  --limit N        print at most N changes (default: all)\n" \
        "  --no-listening   do not ask the audit what listens on the ports that changed\n" \
        "  --json           one object (docs/update.md)\n" \
        "  -h, --help       this text\n" \
        "\n" \
        "Exit status: 0 installed or already current, 10 (--check) a newer registry is\n" \
        "available, 2 error (offline, HTTP error, a download that fails the checks):\n" \
        "nothing was changed.\n" \
        "\n" \
        "Examples:\n" \
        "  portscope update\n" \
        "  portscope update --check || echo 'newer registry available'\n" \
        "  portscope update --from ~/Downloads/service-names-port-numbers.csv\n")

int update_cli_print_json(json_t *o)
{
        int r = json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        if (ps_output_written(0) != 0)
                return 2;
        if (r < 0)
                ps_errorf(_("out of memory"));
        return r < 0 ? 2 : 0;
}

bool update_cli_parse_count(const char *opt, const char *arg, unsigned long min, unsigned long max, unsigned long *ret)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(arg, &end, 10);
        if (!*arg || *end || errno || v < min || v > max || arg[0] == '-') {
                /* TRANSLATORS: an option, the value given, then the least and the most it takes. */
                ps_errorf(_("%s '%s': expected a number from %lu to %lu"), opt, arg, min, max);
                return false;
        }
        *ret = v;
        return true;
}

/* ---- what listens here on the ports that changed ---- */

/* Runs `portscope-audit listening --json` (beside this program, or installed) and returns its
 * listeners; NULL with why when it cannot. */
static json_t *listeners(char *why, size_t whylen)
{
        char self[PATH_MAX], path[PATH_MAX + 32];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        int fd[2], status;
        pid_t pid;

        path[0] = '\0';
        if (n > 0) {
                self[n] = '\0';
                *strrchr(self, '/') = '\0';
                snprintf(path, sizeof(path), "%s/portscope-audit", self);
        }
        if (!*path || access(path, X_OK) != 0)
                snprintf(path, sizeof(path), "%s/portscope-audit", PORTSCOPE_LIBEXECDIR);
        if (access(path, X_OK) != 0) {
                snprintf(why, whylen, "%s", _("portscope-audit is not installed"));
                return NULL;
        }
        if (pipe2(fd, O_CLOEXEC) < 0) {
                snprintf(why, whylen, "pipe: %s", strerror(errno));
                return NULL;
        }
        fflush(stdout);
        pid = fork();
        if (pid < 0) {
                snprintf(why, whylen, "fork: %s", strerror(errno));
                close(fd[0]);
                close(fd[1]);
                return NULL;
        }
        if (pid == 0) {
                int devnull = open("/dev/null", O_WRONLY);
                dup2(fd[1], STDOUT_FILENO);
                if (devnull >= 0)
                        dup2(devnull, STDERR_FILENO);
                execl(path, "portscope-audit", "listening", "--json", (char *)NULL);
                _exit(127);
        }
        close(fd[1]);
        json_error_t jerr;
        FILE *f = fdopen(fd[0], "r");
        json_t *o = f ? json_loadf(f, JSON_DISABLE_EOF_CHECK, &jerr) : NULL;
        if (f)
                fclose(f);
        else
                close(fd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        /* The audit exits 1 when it has findings: that is an answer too. */
        if (!o || !WIFEXITED(status) || WEXITSTATUS(status) > 1) {
                snprintf(why, whylen, _("portscope-audit listening failed (exit status %d)"),
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
                json_decref(o);
                return NULL;
        }
        json_t *l = json_incref(json_object_get(o, "listeners"));
        json_decref(o);
        if (!json_is_array(l)) {
                json_decref(l);
                snprintf(why, whylen, "%s", _("portscope-audit listening gave no listeners"));
                return NULL;
        }
        return l;
}

/* Listeners on a port whose status or names changed: [{"port","protocol","process","pid","change"}]. */
static json_t *affected_listeners(json_t *diff, char *why, size_t whylen)
{
        json_t *l = listeners(why, whylen), *out, *x;
        size_t i;

        if (!l)
                return NULL;
        out = json_array();
        json_array_foreach(l, i, x) {
                json_t *port = json_object_get(x, "port"), *proto = json_object_get(x, "protocol");
                if (!json_is_integer(port) || !json_is_string(proto) || json_is_false(json_object_get(x, "listening")))
                        continue;
                json_t *c = update_diff_find(diff, (unsigned)json_integer_value(port), json_string_value(proto));
                if (!c)
                        continue;
                bool dup = false;
                json_t *y;
                size_t j;
                json_array_foreach(out, j, y) dup |= json_equal(json_object_get(y, "port"), port) &&
                                                     json_equal(json_object_get(y, "protocol"), proto);
                if (dup)
                        continue;
                json_array_append_new(out, json_pack("{s:O,s:O,s:O,s:O,s:O}", "port", port, "protocol", proto, "process",
                                                     json_object_get(x, "process") ? json_object_get(x, "process") : json_null(),
                                                     "pid", json_object_get(x, "pid") ? json_object_get(x, "pid") : json_null(),
                                                     "change", c));
        }
        json_decref(l);
        return out;
}

static void print_affected(json_t *aff, const char *why)
{
        json_t *x;
        size_t i;

        if (!aff) {
                putchar('\n');
                /* TRANSLATORS: %s says why it was not checked ("not asked (--no-listening)",
                 * "portscope-audit is not installed"). */
                printf(_("What listens here on the ports that changed: %s\n"), why);
                return;
        }
        if (json_array_size(aff) == 0) {
                putchar('\n');
                puts(_("Nothing listens here on a port whose registry status changed."));
                return;
        }
        putchar('\n');
        fputs(_("Listening here on ports whose registry status changed (the audit's verdict may have changed;\n"
                "run 'portscope audit'):\n"),
              stdout);
        json_array_foreach(aff, i, x) {
                json_t *c = json_object_get(x, "change");
                const char *proc = json_string_value(json_object_get(x, "process"));
                printf("  %lld/%s  ", json_integer_value(json_object_get(x, "port")),
                       json_string_value(json_object_get(x, "protocol")));
                if (proc)
                        ps_term_escape(stdout, proc, (size_t)-1, false);
                else
                        fputs(_("(owner unknown)"), stdout);
                if (json_is_integer(json_object_get(x, "pid")))
                        printf(" (pid %lld)", json_integer_value(json_object_get(x, "pid")));
                /* The category's heading, as in the list of changes above ("De-assigned"). */
                printf(": %s", update_diff_title(json_string_value(json_object_get(c, "category"))));
                json_t *names = json_object_get(c, "names");
                if (!names)
                        names = json_object_get(c, "to");
                if (json_is_array(names) && json_array_size(names)) {
                        json_t *y;
                        size_t j;
                        fputs(" (", stdout);
                        json_array_foreach(names, j, y) {
                                if (j)
                                        fputs(", ", stdout);
                                ps_term_escape(stdout, json_string_value(y), (size_t)-1, false);
                        }
                        fputs(")", stdout);
                }
                putchar('\n');
        }
}

/* ---- update ---- */

struct state {
        char url[2048];
        char sha256[65];
        struct update_validators v;
};

static void state_load(const char *path, struct state *s)
{
        json_error_t e;
        json_t *o = json_load_file(path, 0, &e);
        const char *x;

        memset(s, 0, sizeof(*s));
        if (!o)
                return;
        if ((x = json_string_value(json_object_get(o, "url"))))
                snprintf(s->url, sizeof(s->url), "%s", x);
        if ((x = json_string_value(json_object_get(o, "sha256"))))
                snprintf(s->sha256, sizeof(s->sha256), "%s", x);
        if ((x = json_string_value(json_object_get(o, "etag"))))
                snprintf(s->v.etag, sizeof(s->v.etag), "%s", x);
        if ((x = json_string_value(json_object_get(o, "last_modified"))))
                snprintf(s->v.last_modified, sizeof(s->v.last_modified), "%s", x);
        json_decref(o);
}

static int state_save(const char *path, const char *url, const char *sha, const struct update_validators *v)
{
        json_t *o = json_pack("{s:o,s:s,s:s,s:s}", "url", portinfo_string(url), "sha256", sha, "etag", v->etag,
                              "last_modified", v->last_modified);
        char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
        int r = s ? ps_write_file_atomic(path, s, strlen(s), 0644) : -ENOMEM;

        free(s);
        json_decref(o);
        return r;
}

struct opts {
        const char *url, *from;
        bool json, check, no_listening, force;
        long timeout;
        unsigned long min_rows, keep, limit;
};

/* Nothing new, nothing touched: the server answered 304 Not Modified (not_modified; since is its
 * Last-Modified, "" when it sent none), or the download has the SHA-256 of the installed copy. */
static int report_unchanged(const struct opts *o, const char *path, const char *sha, bool not_modified, const char *since)
{
        if (o->json) {
                json_t *out = json_object();
                json_object_set_new(out, "status", json_string("current"));
                json_object_set_new(out, "stored", portinfo_string(path));
                if (not_modified)
                        json_object_set_new(out, "since", json_string(*since ? since : "the last download"));
                json_object_set_new(out, "sha256", json_string(sha));
                int r = update_cli_print_json(out);
                json_decref(out);
                return r;
        }
        if (not_modified && *since)
                /* TRANSLATORS: %s is the server's Last-Modified date, as it sent it (English, HTTP's format). */
                printf(o->check ? _("Current: unchanged since %s (the server answered 304 Not Modified); nothing was changed.\n")
                                : _("Registry: unchanged since %s (the server answered 304 Not Modified); nothing was changed.\n"),
                       since);
        else if (not_modified)
                fputs(o->check ? _("Current: unchanged since the last download (the server answered 304 Not Modified); "
                                   "nothing was changed.\n")
                               : _("Registry: unchanged since the last download (the server answered 304 Not Modified); "
                                   "nothing was changed.\n"),
                      stdout);
        else
                /* TRANSLATORS: %.12s is the start of a SHA-256 in hexadecimal. */
                printf(o->check ? _("Current: unchanged (the new copy has the SHA-256 of the installed one, %.12s…); "
                                    "nothing was changed.\n")
                                : _("Registry: unchanged (the new copy has the SHA-256 of the installed one, %.12s…); "
                                    "nothing was changed.\n"),
                       sha);
        return ps_output_written(0);
}

/* Why a well-formed copy is still not installed over the one in use (NULL: nothing against it):
 * it is older (a downgrade takes assignments away), or it has a tenth fewer rows (a body cut at
 * a row boundary that still has --min-rows rows). The registry only grows, a row at a time. */
static const char *refusal(const struct registry *fresh, const struct registry *old, unsigned most_rows, bool *older,
                           char *buf, size_t len)
{
        *older = false;
        /* No registry is dated after today (tomorrow, for the time zones): such a date is a copy or
         * a clock gone wrong, and as the installed copy's date it would make every later copy
         * look older. */
        char today[16], tomorrow[16];
        time_t t = time(NULL);
        struct tm tm;
        strftime(today, sizeof today, "%Y-%m-%d", gmtime_r(&t, &tm));
        t += 86400;
        strftime(tomorrow, sizeof tomorrow, "%Y-%m-%d", gmtime_r(&t, &tm));
        const char *nd = registry_source(fresh)->date, *od = old ? registry_source(old)->date : "";
        if (*nd && strcmp(nd, tomorrow) > 0) {
                /* TRANSLATORS: a date (3000-01-01), then today's (UTC). */
                snprintf(buf, len, _("its newest date %s is after today (%s): a copy or a clock gone wrong"), nd, today);
                return buf;
        }
        if (!old)
                return NULL;
        /* An installed copy dated in the future (by an earlier portscope) is not compared by date. */
        if (*nd && *od && strcmp(od, tomorrow) <= 0 && strcmp(nd, od) < 0) {
                *older = true;
                /* TRANSLATORS: two dates (2024-04-30, 2026-02-25): the new copy's and the installed one's. */
                snprintf(buf, len, _("its newest date %s is older than the installed copy's (%s)"), nd, od);
                return buf;
        }
        unsigned nr = registry_nrows(fresh), orows = registry_nrows(old);
        if ((uint64_t)nr * 10 <= (uint64_t)orows * 9) {
                /* TRANSLATORS: two counts of rows (thousands): the new copy's and the installed one's. */
                snprintf(buf, len, _("it has %u rows, the installed copy %u: cut short?"), nr, orows);
                return buf;
        }
        /* Against the largest version kept too: else steps each a little under a tenth would
         * shrink the registry as far as one likes (14,500 → 13,060 → 11,760 rows). */
        if ((uint64_t)nr * 10 <= (uint64_t)most_rows * 9) {
                /* TRANSLATORS: two counts of rows (thousands): the new copy's and the largest of the
                 * versions installed before (kept in the history). */
                snprintf(buf, len, _("it has %u rows, a version installed before had %u: cut short?"), nr, most_rows);
                return buf;
        }
        return NULL;
}

/* Said once while another update holds the data directory (update_lock()). */
static void say_waiting(void)
{
        ps_errorf("%s", _("update: another update is running; waiting for it"));
}

static int cmd_update(int argc, char **argv, bool stdin_open)
{
        static const struct option lopts[] = {
                { "url", required_argument, NULL, 'u' },      { "from", required_argument, NULL, 'f' },
                { "json", no_argument, NULL, 'j' },           { "timeout", required_argument, NULL, 't' },
                { "check", no_argument, NULL, 'c' },          { "min-rows", required_argument, NULL, 'm' },
                { "keep", required_argument, NULL, 'k' },     { "limit", required_argument, NULL, 'l' },
                { "no-listening", no_argument, NULL, 'L' },   { "help", no_argument, NULL, 'h' },
                { "force", no_argument, NULL, 'F' },          { 0 },
        };
        struct opts o = { .url = UPDATE_IANA_URL, .timeout = 120, .min_rows = UPDATE_MIN_ROWS, .keep = UPDATE_KEEP_DEFAULT };
        bool url_given = false;
        struct download d = { 0 };
        struct registry *fresh = NULL, *old = NULL;
        char dir[1024], path[1100], statepath[1100], err[1024], sha_new[65] = "", sha_old[65] = "";
        char *old_data = NULL, *canon = NULL;
        size_t old_len = 0, canon_len = 0;
        struct state st;
        json_t *out = NULL, *diff = NULL, *aff = NULL;
        int opt, ret = 2, r, lock_fd = -1;

        opterr = 0;
        while ((opt = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
                unsigned long v;
                switch (opt) {
                case 'u': o.url = optarg; url_given = true; break;
                case 'f': o.from = optarg; break;
                case 'j': o.json = true; break;
                case 'c': o.check = true; break;
                case 'L': o.no_listening = true; break;
                case 'F': o.force = true; break;
                case 't':
                        if (!update_cli_parse_count("update: --timeout", optarg, 1, 3600, &v))
                                return 2;
                        o.timeout = (long)v;
                        break;
                case 'm':
                        if (!update_cli_parse_count("update: --min-rows", optarg, 0, 10000000, &o.min_rows))
                                return 2;
                        break;
                case 'k':
                        if (!update_cli_parse_count("update: --keep", optarg, 1, 1000, &o.keep))
                                return 2;
                        break;
                case 'l':
                        if (!update_cli_parse_count("update: --limit", optarg, 0, 1000000000, &o.limit))
                                return 2;
                        break;
                case 'h': printf(_(UPDATE_USAGE), UPDATE_IANA_URL); return 0;
                default: return ps_option_error("update", "h", argv);
                }
        }
        if (o.json) {
                /* JSON never changes with the language (its listening_note included). */
                ps_i18n_use_english();
        }
        if (optind < argc) {
                ps_errorf(_("update: unexpected argument '%s'"), argv[optind]);
                return 2;
        }
        if (o.from && url_given) {
                ps_errorf(_("update: --url and --from exclude each other"));
                return 2;
        }
        /* --from - reads the CSV from standard input (curl ... | portscope update --from -). */
        bool from_stdin = o.from && strcmp(o.from, "-") == 0;
        const char *from_name = from_stdin ? _("standard input") : o.from ? o.from : o.url;
        if (from_stdin && !stdin_open) {
                ps_errorf(_("update: %s: %s (nothing was changed)"), from_name, strerror(EBADF));
                return 2;
        }
        if (ps_data_dir(dir, sizeof(dir)) < 0) {
                ps_errorf(_("update: no data directory (set HOME or XDG_DATA_HOME)"));
                return 2;
        }
        snprintf(path, sizeof(path), "%s/service-names-port-numbers.csv", dir);
        snprintf(statepath, sizeof(statepath), "%s/update-state.json", dir);
        /* --check writes nothing: no lock (the copy it reads is replaced by rename, whole). */
        lock_fd = o.check ? -1 : update_lock(dir, (unsigned)o.timeout + 60u, say_waiting, err, sizeof(err));
        if (lock_fd == -2) {
                ps_errorf(_("update: %s (nothing was changed)"), err);
                goto out;
        }

        /* The installed copy, and what the server said when it was fetched. */
        if (ps_read_file(path, UPDATE_MAX_DOWNLOAD, &old_data, &old_len) == 0)
                update_sha256(old_data, old_len, sha_old);
        state_load(statepath, &st);
        bool conditional = !o.from && *sha_old && strcmp(st.url, o.url) == 0 && strcmp(st.sha256, sha_old) == 0;

        if (o.from) {
                r = from_stdin ? ps_read_fd(STDIN_FILENO, UPDATE_MAX_DOWNLOAD, &d.data, &d.len)
                               : ps_read_file(o.from, UPDATE_MAX_DOWNLOAD, &d.data, &d.len);
                if (r < 0) {
                        ps_errorf(_("update: %s: %s (nothing was changed)"), from_name, strerror(-r));
                        goto out;
                }
        } else {
                d.progress = !o.json && isatty(STDERR_FILENO);
                if (d.progress) {
                        char *url = ps_term_escape_dup(o.url);
                        /* TRANSLATORS: %s is a URL. */
                        fprintf(stderr, _("Fetching %s ...\n"), url ? url : "");
                        free(url);
                }
                r = update_fetch(o.url, o.timeout, conditional ? &st.v : NULL, &d);
                if (r < 0)
                        goto out;
                if (r == UPDATE_NOT_MODIFIED) {
                        ret = report_unchanged(&o, path, sha_old, true, st.v.last_modified);
                        goto out;
                }
        }
        update_sha256(d.data ? d.data : "", d.len, sha_new);
        bool same = *sha_old && strcmp(sha_new, sha_old) == 0;
        /* Only a complete, well-formed IANA CSV replaces the copy in use. */
        int checked = same ? 0
                           : update_check_csv(from_name, d.data ? d.data : "", d.len, (unsigned)o.min_rows, &fresh,
                                              &canon, &canon_len, err, sizeof(err));
        if (checked < 0) {
                ps_errorf(_("update: %s (nothing was changed)"), err);
                goto out;
        }
        /* A column that is none of the twelve: said once the copy is installed without it. */
        char column_note[sizeof(err)] = "";
        if (checked > 0)
                snprintf(column_note, sizeof(column_note), "%s", err);
        /* A header rewritten to the canonical one: the installed copy may be that rewrite. */
        if (!same && canon && *sha_old) {
                char sha_canon[65];
                update_sha256(canon, canon_len, sha_canon);
                same = strcmp(sha_canon, sha_old) == 0;
        }
        if (same) {
                /* The server did not help, the hash says it: nothing new. Remember its validators. */
                if (!o.check && !o.from)
                        state_save(statepath, o.url, sha_old, &d.got);
                ret = report_unchanged(&o, path, sha_old, false, "");
                goto out;
        }
        if (old_data) {
                char e2[1024], *old_canon = NULL;
                size_t old_canon_len = 0;
                if (update_check_csv(path, old_data, old_len, 0, &old, &old_canon, &old_canon_len, e2, sizeof(e2)) < 0)
                        old = NULL;
                free(old_canon);
        }
        const char *date = registry_source(fresh)->date;
        bool older = false;
        unsigned most_rows = 0;
        if (old)
                (void)update_snapshot_most_rows(dir, &most_rows); /* none known: the installed copy decides */
        const char *against = o.force ? NULL : refusal(fresh, old, most_rows, &older, err, sizeof(err));
        if (against && o.check && older) {
                /* Not newer: nothing to install, which --check reports as current (0). */
                ret = 0;
                if (o.json) {
                        out = json_pack("{s:s,s:s,s:s,s:s}", "status", "older", "date", date, "installed_date",
                                        registry_source(old)->date, "sha256", sha_new);
                        ret = update_cli_print_json(out);
                } else {
                        /* TRANSLATORS: two dates: the copy checked, the installed one. */
                        printf(_("Not newer: this copy's newest date is %s, the installed one's %s; nothing to install.\n"),
                               date, registry_source(old)->date);
                }
                goto out;
        }
        if (against) {
                /* TRANSLATORS: the file or URL, then why (a clause starting in lower case). */
                ps_errorf(_("update: refusing %s: %s; --force installs it anyway (nothing was changed)"),
                          from_name, against);
                goto out;
        }
        if (o.check) {
                if (o.json) {
                        out = json_pack("{s:s,s:s,s:o,s:s}", "status", "available", "date", date, "installed_date",
                                        old ? json_string(registry_source(old)->date) : json_null(), "sha256", sha_new);
                        update_cli_print_json(out);
                } else if (o.from) {
                        /* The file named: plain 'portscope update' would download from IANA instead. */
                        char *from = ps_term_escape_dup(o.from);
                        bool newer = !old || strcmp(date, registry_source(old)->date) > 0;
                        /* TRANSLATORS: a date, a count of rows (thousands), the installed copy's date, a file. */
                        printf(newer ? _("This copy is newer: newest date %s, %u rows (installed: %s). "
                                         "'portscope update --from %s' installs it.\n")
                                     : _("This copy differs from the installed one: newest date %s, %u rows (installed: %s). "
                                         "'portscope update --from %s' installs it.\n"),
                               date, registry_nrows(fresh),
                               old ? registry_source(old)->date : ps_pgettext("installed copy", "none"), from ? from : "");
                        free(from);
                } else {
                        bool newer = !old || strcmp(date, registry_source(old)->date) > 0;
                        /* TRANSLATORS: a date (2026-02-25), a count of rows, the installed copy's date. */
                        printf(newer ? ps_ngettext("A newer registry is available: newest date %s, %u row (installed: %s). "
                                                   "'portscope update' installs it.\n",
                                                   "A newer registry is available: newest date %s, %u rows (installed: %s). "
                                                   "'portscope update' installs it.\n",
                                                   registry_nrows(fresh))
                                     : ps_ngettext("A different registry is available: newest date %s, %u row (installed: %s). "
                                                   "'portscope update' installs it.\n",
                                                   "A different registry is available: newest date %s, %u rows (installed: %s). "
                                                   "'portscope update' installs it.\n",
                                                   registry_nrows(fresh)),
                               date, registry_nrows(fresh),
                               /* TRANSLATORS: in place of the installed copy's date: no copy is installed. */
                               old ? registry_source(old)->date : ps_pgettext("installed copy", "none"));
                }
                ret = UPDATE_EXIT_NEWER;
                goto out;
        }

        /* A copy installed by an earlier portscope, without snapshots, is history too. */
        if (old && update_snapshot_count(dir) <= 0)
                (void)update_snapshot_add(dir, old_data, old_len, registry_source(old)->date, (unsigned)o.keep, err,
                                          sizeof(err));
        const char *body = canon ? canon : d.data;
        size_t body_len = canon ? canon_len : d.len;
        r = ps_mkdir_p(dir);
        if (r == 0)
                r = ps_write_file_atomic(path, body, body_len, 0644);
        if (r < 0) {
                ps_errorf(_("update: cannot store %s: %s (nothing was changed)"), path, strerror(-r));
                goto out;
        }
        /* From here the new copy is installed: what follows only reports. */
        ret = 0;
        if (*column_note)
                ps_errorf(_("update: warning: %s"), column_note);
        char sha_body[65];
        update_sha256(body, body_len, sha_body);
        if (!o.from)
                state_save(statepath, o.url, sha_body, &d.got);
        char snap_err[1024] = "";
        r = update_snapshot_add(dir, body, body_len, date, (unsigned)o.keep, snap_err, sizeof(snap_err));
        if (r < 0)
                ps_errorf(_("update: warning: %s (the registry was installed; its history was not kept)"), snap_err);
        else if (r > 0)
                ps_errorf(_("update: warning: %s"), snap_err);
        int nsnap = update_snapshot_count(dir);

        if (old) {
                diff = update_diff(old, fresh);
                if (!diff)
                        ps_errorf(_("update: out of memory comparing the versions"));
        }
        char why[256];
        snprintf(why, sizeof(why), "%s", old ? _("not asked (--no-listening)") : _("no previous copy to compare with"));
        bool status_changed = diff && update_diff_occupants_changed(diff);
        if (diff && status_changed && !o.no_listening)
                aff = affected_listeners(diff, why, sizeof(why));
        else if (diff && !status_changed)
                snprintf(why, sizeof(why), "%s", _("no port changed status"));

        if (o.json) {
                out = json_pack("{s:o,s:s,s:o,s:o,s:s,s:i,s:s,s:o,s:i,s:o,s:o,s:o,s:o}", "registry", portinfo_source_json(fresh),
                                "status", "installed", "stored", portinfo_string(path), "source",
                                portinfo_string(from_stdin ? "-" : from_name), "date", date, "rows",
                                (json_int_t)registry_nrows(fresh), "sha256", sha_body, "previous_date",
                                old ? json_string(registry_source(old)->date) : json_null(), "snapshots",
                                (json_int_t)(nsnap > 0 ? nsnap : 0), "diff", diff ? json_incref(diff) : json_null(),
                                "listening", aff ? json_incref(aff) : json_null(), "added",
                                diff ? json_incref(json_object_get(diff, "added")) : json_array(), "removed",
                                diff ? json_incref(json_object_get(diff, "removed")) : json_array());
                if (!aff)
                        json_object_set_new(out, "listening_note", json_string(why));
                if (update_cli_print_json(out) != 0)
                        ret = 2;
                goto out;
        }
        char *epath = ps_term_escape_dup(path), *edir = ps_term_escape_dup(dir);
        /* TRANSLATORS: %s is the path of the installed file. */
        printf(_("Installed %s\n"), epath ? epath : "");
        /* Dates are checked to be YYYY-MM[-DD] when parsed: nothing to escape. */
        /* TRANSLATORS: a count of rows, a date (2026-02-25), the start of a SHA-256. */
        printf(ps_ngettext("  %u row, newest date %s, SHA-256 %.16s…\n", "  %u rows, newest date %s, SHA-256 %.16s…\n",
                           registry_nrows(fresh)),
               registry_nrows(fresh), date, sha_body);
        if (nsnap > 0)
                /* TRANSLATORS: a count of versions, a directory, the most kept (--keep). */
                printf(ps_ngettext("  %d version kept in %s/snapshots/ (at most %lu)\n",
                                   "  %d versions kept in %s/snapshots/ (at most %lu)\n", (unsigned long)nsnap),
                       nsnap, edir ? edir : "", o.keep);
        free(epath);
        free(edir);
        if (!old) {
                puts(_("  (no previous copy to compare with)"));
        } else if (diff) {
                putchar('\n');
                /* The file now holds the new copy: the old side is the copy it held. */
                json_object_set_new(json_object_get(diff, "old"), "source",
                                    json_string(_("the previously installed copy")));
                update_diff_print(stdout, diff, o.limit);
                if (status_changed)
                        print_affected(aff, why);
        }
        if (ps_output_written(0) != 0)
                ret = 2;
out:
        json_decref(out);
        json_decref(diff);
        json_decref(aff);
        free(d.data);
        free(old_data);
        free(canon);
        registry_close(fresh);
        registry_close(old);
        if (lock_fd >= 0)
                close(lock_fd); /* after the last write: the next update sees all of it */
        return ret;
}

int main(int argc, char **argv)
{
        /* Before anything opens a file: with standard input closed, the first file opened would
         * take descriptor 0, and --from - would read it (the lock file, read as an empty CSV). */
        bool stdin_open = fcntl(STDIN_FILENO, F_GETFD) >= 0;

        ps_i18n_init();
        /* Called as {"portscope-update", "update"|"diff", args...} by portscope, or directly. */
        if (argc > 1 && strcmp(argv[1], "diff") == 0) {
                argv[1] = argv[0];
                return update_cli_diff(argc - 1, argv + 1);
        }
        if (argc > 1 && strcmp(argv[1], "update") == 0) {
                argv[1] = argv[0];
                argc--, argv++;
        }
        return cmd_update(argc, argv, stdin_open);
}
