/* A port's history across the registry versions `update` kept, read from the uncompressed index
 * it writes beside the snapshots (snapshots.c). Needs libc, jansson and the core only: `info`
 * links this file and nothing heavier. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "portscope/i18n.h"
#include "portscope/port.h"
#include "portscope/registry.h"
#include "portscope/update.h"
#include "portscope/util.h"

#define MAX_INDEX (64u << 20)
#define MAX_VERSIONS 1000

int update_history_path(char *buf, size_t len)
{
        char dir[1024];
        int r = ps_data_dir(dir, sizeof(dir));

        if (r < 0)
                return r;
        r = snprintf(buf, len, "%s/snapshots/history.txt", dir);
        return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

/* Splits line (NUL-terminated, modified) at tabs; returns the number of fields. */
static int split(char *line, char **f, int max)
{
        int n = 0;
        for (char *p = line; n < max;) {
                f[n++] = p;
                p = strchr(p, '\t');
                if (!p)
                        break;
                *p++ = '\0';
        }
        return n;
}

static bool parse_uint(const char *s, unsigned max, unsigned *ret)
{
        unsigned long v = 0;
        if (!*s)
                return false;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return false;
                v = v * 10 + (unsigned long)(*s - '0');
                if (v > max)
                        return false;
        }
        *ret = (unsigned)v;
        return true;
}

int update_snapshot_most_rows(const char *datadir, unsigned *ret)
{
        char path[1300], line[1400], *f[6];
        *ret = 0;
        snprintf(path, sizeof(path), "%s/snapshots/history.txt", datadir);
        FILE *fp = fopen(path, "re");
        if (!fp)
                return errno == ENOENT ? 0 : -errno;
        /* The version lines come first: "V\tINDEX\tDATE\tFILE\tROWS" (an index written before
         * the rows were has four fields: those versions count for nothing). */
        while (fgets(line, sizeof(line), fp)) {
                line[strcspn(line, "\n")] = '\0';
                if (strncmp(line, "portscope-history ", 18) == 0)
                        continue;
                unsigned rows;
                int n = split(line, f, 6);
                if (strcmp(f[0], "V") != 0)
                        break;
                if (n == 5 && parse_uint(f[4], UINT_MAX, &rows) && rows > *ret)
                        *ret = rows;
        }
        fclose(fp);
        return 0;
}

static json_t *run_json(char **f, json_t *versions)
{
        unsigned from, to;
        size_t nv = json_array_size(versions);
        json_t *names = json_array();

        if (!parse_uint(f[1], MAX_VERSIONS, &from) || !parse_uint(f[2], MAX_VERSIONS, &to) || from > to || to >= nv) {
                json_decref(names);
                return NULL;
        }
        if (strcmp(f[4], "-") != 0)
                for (char *p = f[4], *c;; p = c + 1) {
                        c = strchr(p, ',');
                        if (c)
                                *c = '\0';
                        json_array_append_new(names, json_string(p));
                        if (!c)
                                break;
                }
        return json_pack("{s:O,s:O,s:s,s:o,s:o,s:o}", "from", json_array_get(versions, from), "to",
                         json_array_get(versions, to), "status", f[3], "names", names, "registered",
                         strcmp(f[5], "-") ? json_string(f[5]) : json_null(), "modified",
                         strcmp(f[6], "-") ? json_string(f[6]) : json_null());
}

struct hist_entry {
        unsigned lo, hi;
        const char *proto;
        json_t *runs;
};

struct update_history {
        char *data;             /* the index, split in place */
        json_t *versions;
        struct hist_entry *e;   /* sorted by port */
        size_t n;
};

void update_history_close(struct update_history *h)
{
        if (!h)
                return;
        for (size_t i = 0; i < h->n; i++)
                json_decref(h->e[i].runs);
        free(h->e);
        json_decref(h->versions);
        free(h->data);
        free(h);
}

struct update_history *update_history_open_for(const char *registry_path)
{
        char dir[1024], installed[1100];
        struct stat a, b;
        if (!registry_path || ps_data_dir(dir, sizeof dir) < 0)
                return NULL;
        snprintf(installed, sizeof installed, "%s/service-names-port-numbers.csv", dir);
        if (stat(registry_path, &a) != 0 || stat(installed, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return NULL;
        return update_history_open();
}

struct update_history *update_history_open(void)
{
        char path[1100];
        size_t len = 0, cap = 0;
        struct update_history *h = calloc(1, sizeof(*h));
        struct hist_entry *cur = NULL;

        if (!h)
                return NULL;
        if (update_history_path(path, sizeof(path)) < 0 || ps_read_file(path, MAX_INDEX, &h->data, &len) < 0 ||
            strncmp(h->data, "portscope-history 1\n", 20) != 0 || !ps_utf8_valid(h->data, len)) {
                update_history_close(h);
                return NULL;
        }
        h->versions = json_array();
        for (char *line = h->data + 20, *nl; line < h->data + len; line = nl + 1) {
                char *f[8];
                nl = strchr(line, '\n');
                if (!nl)
                        break;
                *nl = '\0';
                int n = split(line, f, 8);
                unsigned lo, hi;
                if (strcmp(f[0], "V") == 0 && (n == 4 || n == 5)) { /* 5: with the version's rows */
                        json_array_append_new(h->versions, json_string(f[2]));
                } else if (strcmp(f[0], "P") == 0 && n == 4) {
                        cur = NULL;
                        if (!parse_uint(f[1], 65535, &lo) || !parse_uint(f[2], 65535, &hi) || lo > hi)
                                continue;
                        if (PS_GROW(h->e, cap, h->n + 1, SIZE_MAX) < 0) {
                                update_history_close(h);
                                return NULL;
                        }
                        cur = &h->e[h->n++];
                        *cur = (struct hist_entry){ lo, hi, f[3], json_array() };
                } else if (strcmp(f[0], "R") == 0 && n == 7 && cur) {
                        json_t *rj = run_json(f, h->versions);
                        if (rj)
                                json_array_append_new(cur->runs, rj);
                }
        }
        return h;
}

json_t *update_history_json(const struct update_history *h, unsigned port)
{
        json_t *changes;

        if (!h)
                return json_null();
        changes = json_array();
        for (size_t i = 0; i < h->n && h->e[i].lo <= port; i++)
                if (port <= h->e[i].hi)
                        json_array_append_new(changes, json_pack("{s:s,s:O}", "protocol", h->e[i].proto, "runs", h->e[i].runs));
        return json_pack("{s:O,s:o}", "versions", h->versions, "changes", changes);
}

json_t *update_history_named(const struct update_history *h, const char *name)
{
        json_t *found = json_array();
        size_t i, j;
        json_t *run, *n;

        if (!h || !found)
                return found;
        for (i = 0; i < h->n; i++)
                json_array_foreach(h->e[i].runs, j, run) {
                        size_t k;
                        bool named = false;
                        json_array_foreach(json_object_get(run, "names"), k, n)
                                named |= strcasecmp(json_string_value(n), name) == 0;
                        if (named)
                                json_array_append_new(found, json_pack("{s:s,s:i,s:i,s:O,s:O}", "protocol", h->e[i].proto,
                                                                       "lo", (json_int_t)h->e[i].lo, "hi",
                                                                       (json_int_t)h->e[i].hi, "from",
                                                                       json_object_get(run, "from"), "to",
                                                                       json_object_get(run, "to")));
                }
        return found;
}

static void put(FILE *f, json_t *s)
{
        const char *v = json_string_value(s);
        ps_term_escape(f, v ? v : "-", (size_t)-1, false);
}

/* A run's status in the reader's language (the index keeps "assigned", ...; anything else as it is). */
static void put_status(FILE *f, json_t *run)
{
        json_t *st = json_object_get(run, "status");
        enum registry_status s;
        if (json_string_value(st) && registry_status_parse(json_string_value(st), &s) == 0)
                fputs(registry_status_label(registry_status_name(s)), f);
        else
                put(f, st); /* escaped: the index is a file like any other */
}

/* "compressnet (assigned)" or "reserved". */
static void put_state(FILE *f, json_t *run)
{
        json_t *names = json_object_get(run, "names"), *x;
        size_t i;

        if (json_array_size(names) == 0) {
                put_status(f, run);
                return;
        }
        json_array_foreach(names, i, x) {
                if (i)
                        fputs(", ", f);
                put(f, x);
        }
        fputs(" (", f);
        put_status(f, run);
        fputc(')', f);
}

/* "compressnet (assigned) since 2024-01" or "... from 2023-01 to 2023-06" (whole sentences for
 * translators: the state and the dates are escaped first). */
static char *text_of(void (*write)(FILE *, json_t *), json_t *v)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        if (!m)
                return NULL;
        write(m, v);
        if (fclose(m) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static char *state_text(json_t *run)
{
        return text_of(put_state, run);
}

static char *value_text(json_t *v)
{
        return text_of(put, v);
}

static void put_state_when(FILE *f, json_t *run, json_t *newest)
{
        json_t *from = json_object_get(run, "from"), *to = json_object_get(run, "to");
        char *st = state_text(run), *a = value_text(from), *b = value_text(to);

        if (st && a && b) {
                if (json_equal(to, newest))
                        /* TRANSLATORS: a port's state in the registry ("ssh (assigned)"), then a date. */
                        fprintf(f, _("%s since %s"), st, a);
                else if (json_equal(from, to))
                        fprintf(f, _("%s in %s"), st, a);
                else
                        fprintf(f, _("%s from %s to %s"), st, a, b);
        }
        free(st);
        free(a);
        free(b);
}

/* Whether change o is of a protocol among protos and has c's runs. */
static bool same_runs_shown(json_t *o, json_t *c, unsigned protos)
{
        enum ps_proto q;
        return ps_proto_parse(json_string_value(json_object_get(o, "protocol")), &q) == 0 && (protos & PS_PROTO_BIT(q)) &&
               json_equal(json_object_get(o, "runs"), json_object_get(c, "runs"));
}

void update_history_print(FILE *f, unsigned port, json_t *h, unsigned protos)
{
        json_t *versions = json_object_get(h, "versions"), *newest, *c, *run, *x;
        size_t i, j;
        bool any = false;

        if (!json_is_object(h) || json_array_size(versions) == 0)
                return;
        newest = json_array_get(versions, json_array_size(versions) - 1);
        {
                char *list = NULL;
                size_t len = 0;
                FILE *m = open_memstream(&list, &len);

                if (!m)
                        return;
                json_array_foreach(versions, i, x) {
                        fputs(i ? ", " : "", m);
                        put(m, x);
                }
                if (fclose(m) != 0) {
                        free(list);
                        return;
                }
                fputc('\n', f);
                fprintf(f,
                        ps_ngettext("History (%zu registry version kept by 'portscope update': %s)\n",
                                    "History (%zu registry versions kept by 'portscope update': %s)\n",
                                    json_array_size(versions)),
                        json_array_size(versions), list ? list : "");
                free(list);
        }
        json_t *changes = json_object_get(h, "changes");
        json_array_foreach(changes, i, c) {
                enum ps_proto p;
                if (ps_proto_parse(json_string_value(json_object_get(c, "protocol")), &p) < 0 || !(protos & PS_PROTO_BIT(p)))
                        continue;
                /* Protocols with the same runs are one line ("49151/tcp,udp,sctp,dccp"), told where
                 * the first of them is. */
                bool told = false;
                for (size_t k = 0; k < i && !told; k++)
                        told = same_runs_shown(json_array_get(changes, k), c, protos);
                if (told)
                        continue;
                any = true;
                fprintf(f, "  %u/", port);
                put(f, json_object_get(c, "protocol"));
                for (size_t k = i + 1; k < json_array_size(changes); k++)
                        if (same_runs_shown(json_array_get(changes, k), c, protos)) {
                                fputc(',', f);
                                put(f, json_object_get(json_array_get(changes, k), "protocol"));
                        }
                fputs(": ", f);
                json_array_foreach(json_object_get(c, "runs"), j, run) {
                        if (j)
                                fputs(ps_i18n_clause_sep(), f);
                        put_state_when(f, run, newest);
                }
                fputc('\n', f);
                /* The registry's own dates for each state. */
                json_array_foreach(json_object_get(c, "runs"), j, run) {
                        json_t *reg = json_object_get(run, "registered"), *mod = json_object_get(run, "modified");
                        char *when = NULL, *r = value_text(reg), *md = value_text(mod);
                        size_t wl = 0;
                        FILE *m = open_memstream(&when, &wl);

                        if (m) {
                                put_state_when(m, run, newest);
                                if (fclose(m) != 0) {
                                        free(when);
                                        when = NULL;
                                }
                        }
                        if (when && r && md)
                                /* TRANSLATORS: a state and its dates in the registry's own columns. */
                                fprintf(f, _("      %s: registered %s, modified %s\n"), when, r, md);
                        free(when);
                        free(r);
                        free(md);
                }
        }
        if (!any)
                fputs(_("  status and names unchanged in every version kept\n"), f);
}
