/* Checking a registry before it is installed: the header by column name, every row, the row
 * count. A header with the columns in another order, or with a column under the name IANA used
 * before, is rewritten to the canonical header so that every reader of the stored copy can take
 * it as it is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "portscope/i18n.h"
#include "portscope/update.h"
#include "portscope/util.h"

#define NCOLS 12
#define MAX_IN_COLS 64


struct outbuf {
        char *p;
        size_t len;
};

static void put_field(struct outbuf *o, const char *s)
{
        bool quote = strpbrk(s, ",\"\r\n") != NULL;

        if (quote)
                o->p[o->len++] = '"';
        for (; *s; s++) {
                if (*s == '"')
                        o->p[o->len++] = '"';
                o->p[o->len++] = *s;
        }
        if (quote)
                o->p[o->len++] = '"';
}

static void trim(char *s)
{
        size_t n = strlen(s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                s[--n] = '\0';
        size_t i = strncmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* a byte-order mark */
        while (s[i] == ' ' || s[i] == '\t')
                i++;
        memmove(s, s + i, strlen(s + i) + 1);
}

/* Maps the header's columns to the canonical ones; returns 1 when it is canonical as it is, 0
 * when it must be rewritten, -EINVAL (errbuf filled) when a column is missing. A column that is
 * none of the twelve (or one of them again) is left out of the rewrite: *ret_extra counts them
 * and errbuf names the first, for a warning. */
static int map_header(const char *name, const char *data, size_t len, int map[NCOLS], unsigned *ret_extra,
                      char *errbuf, size_t errlen)
{
        struct csv_reader rd;
        struct csv_error cerr;
        size_t offs[MAX_IN_COLS + 1], used = 0;
        unsigned line;
        const char *nl = memchr(data, '\n', len);
        size_t hlen = nl ? (size_t)(nl - data) + 1 : len;
        char *buf = malloc(hlen + 2 * MAX_IN_COLS + 2);
        int n, ret = 1;

        if (!buf)
                return -ENOMEM;
        csv_init(&rd, data, hlen);
        n = csv_next(&rd, buf, &used, offs, MAX_IN_COLS + 1, &line, &cerr);
        if (n <= 0) {
                if (n == 0)
                        snprintf(errbuf, errlen, _("%s:1: empty file: not the IANA CSV"), name);
                else
                        snprintf(errbuf, errlen, "%s:1: %s", name, cerr.message);
                free(buf);
                return -EINVAL;
        }
        for (int c = 0; c < NCOLS; c++) {
                map[c] = -1;
                for (int i = 0; i < n && map[c] < 0; i++) {
                        char *h = buf + offs[i];
                        trim(h);
                        if (registry_csv_column(h) == c)
                                map[c] = i;
                }
                if (map[c] < 0) {
                        /* TRANSLATORS: a file name, then an English column name of IANA's CSV ("Port Number"). */
                        snprintf(errbuf, errlen, _("%s:1: header has no column \"%s\": not the IANA CSV (or IANA renamed it)"),
                                 name, registry_csv_header(c));
                        free(buf);
                        return -EINVAL;
                }
                if (map[c] != c || strcmp(buf + offs[map[c]], registry_csv_header(c)) != 0)
                        ret = 0;
        }
        if (n != NCOLS)
                ret = 0;
        *ret_extra = 0;
        for (int i = 0; i < n; i++) {
                bool mapped = false;
                for (int c = 0; c < NCOLS; c++)
                        mapped |= map[c] == i;
                if (mapped)
                        continue;
                if ((*ret_extra)++ == 0) {
                        char *shown = ps_term_escape_dup(buf + offs[i]);
                        /* TRANSLATORS: a file name, a column's number (1 is the first) and its name. */
                        snprintf(errbuf, errlen, _("%s:1: column %d (\"%.60s\") is not one of the registry's twelve; it is "
                                                   "left out of the installed copy"),
                                 name, i + 1, shown ? shown : "");
                        free(shown);
                }
        }
        /* Only the canonical bytes count as canonical: a BOM or spaces around names are rewritten. */
        if (ret == 1) {
                char want[512];
                size_t w = 0;
                for (int c = 0; c < NCOLS; c++)
                        w += (size_t)snprintf(want + w, sizeof(want) - w, "%s%s", c ? "," : "", registry_csv_header(c));
                if (hlen < w || memcmp(data, want, w) != 0 || (hlen > w && data[w] != '\r' && data[w] != '\n'))
                        ret = 0;
        }
        free(buf);
        return ret;
}

/* The CSV with the canonical header and column order. */
static int rewrite(const char *name, const char *data, size_t len, const int map[NCOLS], char **ret, size_t *ret_len,
                   char *errbuf, size_t errlen)
{
        struct csv_reader rd;
        struct csv_error cerr;
        size_t offs[MAX_IN_COLS + 1], used;
        unsigned line;
        char *fbuf = malloc(len + 2 * MAX_IN_COLS + 2);
        /* Quotes double, and each of a row's 12 fields may gain two; a row has at least 11 commas
         * and a newline in the input (its header has 12 columns): 4 * len covers it. */
        struct outbuf o = { malloc(4 * len + 1024), 0 };
        int n;
        bool first = true;

        if (!fbuf || !o.p) {
                free(fbuf);
                free(o.p);
                return -ENOMEM;
        }
        csv_init(&rd, data, len);
        for (;;) {
                used = 0;
                n = csv_next(&rd, fbuf, &used, offs, MAX_IN_COLS + 1, &line, &cerr);
                if (n == 0)
                        break;
                if (n < 0) {
                        snprintf(errbuf, errlen, "%s:%u:%u: %s", name, cerr.line, cerr.column, cerr.message);
                        goto fail;
                }
                if (first) {
                        for (int c = 0; c < NCOLS; c++) {
                                if (c)
                                        o.p[o.len++] = ',';
                                put_field(&o, registry_csv_header(c));
                        }
                        o.p[o.len++] = '\n';
                        first = false;
                        continue;
                }
                if (n == 1 && fbuf[offs[0]] == '\0')
                        continue;
                for (int c = 0; c < NCOLS; c++) {
                        if (map[c] >= n) {
                                /* TRANSLATORS: a file name and line; the row's columns, then the
                                 * columns the header names (at least). */
                                snprintf(errbuf, errlen,
                                         ps_ngettext("%s:%u: the row has %d column, the header %d",
                                                     "%s:%u: the row has %d columns, the header %d", (unsigned long)n),
                                         name, line, n, map[c] + 1);
                                goto fail;
                        }
                        if (c)
                                o.p[o.len++] = ',';
                        put_field(&o, fbuf + offs[map[c]]);
                }
                o.p[o.len++] = '\n';
        }
        free(fbuf);
        o.p[o.len] = '\0';
        *ret = o.p;
        *ret_len = o.len;
        return 0;
fail:
        free(fbuf);
        free(o.p);
        return -EINVAL;
}

/* The twelve columns of a row, in the CSV's order. */
static void row_columns(const struct registry_row *w, const char *col[NCOLS])
{
        const char *const c[NCOLS] = { w->service, w->port, w->proto, w->description, w->assignee, w->contact,
                                       w->registered, w->modified, w->reference, w->service_code, w->unauthorized_use,
                                       w->notes };
        memcpy(col, c, sizeof c);
}

static uint64_t row_hash(const struct registry_row *w)
{
        const char *col[NCOLS];
        row_columns(w, col);
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < NCOLS; i++)
                h = (ps_fnv1a(col[i], strlen(col[i])) ^ h) * 1099511628211ULL;
        return h;
}

static bool rows_same(const struct registry_row *a, const struct registry_row *b)
{
        const char *ca[NCOLS], *cb[NCOLS];
        row_columns(a, ca);
        row_columns(b, cb);
        for (size_t i = 0; i < NCOLS; i++)
                if (strcmp(ca[i], cb[i]) != 0)
                        return false;
        return true;
}

/* A row that repeats an earlier one column for column: the registry has none (a copy pasted
 * twice, or cut and joined wrong). 0, -ENOMEM, or -EINVAL with errbuf naming both lines. */
static int find_repeated_row(const char *name, const struct registry *reg, char *errbuf, size_t errlen)
{
        uint32_t n = registry_nrows(reg);
        size_t cap = 16;
        while (cap < (size_t)n * 2)
                cap <<= 1;
        uint32_t *slot = malloc(cap * sizeof *slot); /* row id + 1, 0 empty */
        if (!slot)
                return -ENOMEM;
        memset(slot, 0, cap * sizeof *slot);
        int r = 0;
        for (uint32_t i = 0; i < n && r == 0; i++) {
                struct registry_row row, other;
                if (registry_row(reg, i, &row) < 0)
                        continue;
                for (size_t k = row_hash(&row) & (cap - 1);; k = (k + 1) & (cap - 1)) {
                        if (!slot[k]) {
                                slot[k] = i + 1;
                                break;
                        }
                        if (registry_row(reg, slot[k] - 1, &other) == 0 && rows_same(&row, &other)) {
                                /* TRANSLATORS: a file name, a line number, and the earlier line it repeats. */
                                snprintf(errbuf, errlen, _("%s:%u: this row repeats line %u: a copy gone wrong"), name,
                                         row.line, other.line);
                                r = -EINVAL;
                                break;
                        }
                }
        }
        free(slot);
        return r;
}

int update_check_csv(const char *name, const char *data, size_t len, unsigned min_rows, struct registry **ret,
                     char **ret_csv, size_t *ret_csv_len, char *errbuf, size_t errlen)
{
        int map[NCOLS];
        char *csv = NULL;
        size_t csv_len = 0;
        struct registry *reg = NULL;
        struct ps_error err = { 0 };
        int r;

        *ret_csv = NULL;
        *ret_csv_len = 0;
        if (memchr(data, '\0', len)) {
                snprintf(errbuf, errlen, _("%s: NUL byte: binary data, not the IANA CSV"), name);
                return -EINVAL;
        }
        unsigned extra = 0;
        r = map_header(name, data, len, map, &extra, errbuf, errlen);
        if (r < 0)
                return r;
        if (r == 0) {
                r = rewrite(name, data, len, map, &csv, &csv_len, errbuf, errlen);
                if (r < 0)
                        return r;
        }
        r = registry_parse_buffer(name, csv ? csv : data, csv ? csv_len : len, REGISTRY_SOURCE_IANA_CSV, &reg, &err);
        if (r < 0) {
                if (err.line && err.column)
                        snprintf(errbuf, errlen, "%s:%u:%u: %s", err.file, err.line, err.column, err.message);
                else if (err.line)
                        snprintf(errbuf, errlen, "%s:%u: %s", err.file, err.line, err.message);
                else
                        snprintf(errbuf, errlen, "%s: %s", err.file, err.message);
                free(csv);
                return -EINVAL;
        }
        r = find_repeated_row(name, reg, errbuf, errlen);
        if (r < 0) {
                if (r == -ENOMEM)
                        snprintf(errbuf, errlen, "%s", _("out of memory"));
                registry_close(reg);
                free(csv);
                return r;
        }
        if (registry_nrows(reg) < min_rows) {
                char nrows[64];
                /* TRANSLATORS: the rows a downloaded registry holds (fewer than expected). */
                snprintf(nrows, sizeof(nrows), ps_ngettext("only %u row", "only %u rows", registry_nrows(reg)),
                         registry_nrows(reg));
                /* TRANSLATORS: a file name or URL; "only 12 rows"; the fewest rows a whole registry has. */
                snprintf(errbuf, errlen, _("%s: %s, expected at least %u: truncated or not the whole registry"), name,
                         nrows, min_rows);
                registry_close(reg);
                free(csv);
                return -EINVAL;
        }
        *ret = reg;
        *ret_csv = csv;
        *ret_csv_len = csv_len;
        return extra ? 1 : 0; /* errbuf names the first column left out */
}

int update_load_file(const char *path, unsigned min_rows, struct registry **ret, char *errbuf, size_t errlen)
{
        char *data = NULL, *csv = NULL;
        size_t len = 0, csv_len = 0;
        int r = ps_read_file(path, UPDATE_MAX_DOWNLOAD, &data, &len);

        if (r < 0) {
                snprintf(errbuf, errlen, "%s: %s", path, strerror(-r));
                return r;
        }
        r = update_check_csv(path, data, len, min_rows, ret, &csv, &csv_len, errbuf, errlen);
        free(data);
        free(csv);
        return r;
}
