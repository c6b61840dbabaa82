/* The registry: parse the IANA CSV (or a services(5) file) and nmap-services into one compact,
 * position-independent index image; keep that image in a cache file keyed to the sources and
 * mmap it on the next run, so that answering for one port touches a few pages only. */
#include "portscope/registry.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "portscope/util.h"

#define IDX_MAGIC "PSIDX\0\0\2"
#define IDX_VERSION 3u
#define NCOLS 12
#define MAX_SOURCE_SIZE (256u << 20)
#define MAX_COVER (4u << 20)

static const char *const csv_header[NCOLS] = {
        "Service Name", "Port Number",  "Transport Protocol", "Description",
        "Assignee",     "Contact",      "Registration Date",  "Modification Date",
        "Reference",    "Service Code", "Unauthorized Use Reported", "Assignment Notes",
};

struct file_key {
        uint64_t size, ino, dev;
        int64_t mtime_sec, mtime_nsec;
};

struct idx_header {
        char magic[8];
        uint32_t version, kind;
        uint64_t total_size;
        struct file_key src, obs;
        uint32_t nrows, ncover, nobs, nnames;
        uint32_t off_rows, off_cover_off, off_cover_ids, off_names;
        uint32_t off_obs, off_obs_port, off_status, off_strings;
        uint32_t strings_len, str_path, str_date, str_obs_path;
        struct registry_stats stats;
};

struct idx_row {
        uint32_t col[NCOLS];
        uint32_t line;
        int32_t alias_of;
        uint16_t lo, hi;
        uint8_t protos, kind, has_port, pad;
};

struct idx_obs {
        uint32_t name, comment;
        uint16_t port;
        uint8_t proto, pad;
        float freq;
};

struct registry {
        const unsigned char *base;
        size_t size;
        bool mapped;
        const struct idx_header *h;
        const struct idx_row *rows;
        const uint32_t *cover_off, *cover_ids, *names, *obs_port;
        const struct idx_obs *obs;
        const uint8_t *status; /* [PS_NPROTO][65536] */
        const char *strings;
        struct registry_source source;
        char cache_path[1024];
};

/* ---- errors ---------------------------------------------------------------------------- */

__attribute__((format(printf, 6, 7)))
static int set_error(struct registry_error *err, int r, const char *file, unsigned line, unsigned column,
                     const char *fmt, ...)
{
        va_list ap;

        if (!err)
                return r;
        snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
        err->line = line;
        err->column = column;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        return r;
}

/* ---- a growable byte buffer used while building -------------------------------------------- */

struct buf {
        char *data;
        size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t more)
{
        if (b->len + more <= b->cap)
                return 0;
        size_t ncap = b->cap ? b->cap : 4096;
        while (ncap < b->len + more)
                ncap *= 2;
        char *n = realloc(b->data, ncap);
        if (!n)
                return -ENOMEM;
        b->data = n;
        b->cap = ncap;
        return 0;
}

static int buf_add(struct buf *b, const void *p, size_t n)
{
        if (buf_reserve(b, n) < 0)
                return -ENOMEM;
        memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
}

/* Appends a NUL-terminated string to the pool; returns its offset (0 is the empty string). */
static int64_t pool_add(struct buf *pool, const char *s, size_t n)
{
        size_t off = pool->len;

        if (n == 0)
                return 0;
        if (buf_reserve(pool, n + 1) < 0)
                return -ENOMEM;
        memcpy(pool->data + off, s, n);
        pool->data[off + n] = '\0';
        pool->len += n + 1;
        return (int64_t)off;
}

/* ---- parsing ----------------------------------------------------------------------------- */

struct builder {
        const char *name;
        enum registry_source_kind kind;
        struct buf pool;       /* strings */
        struct buf rows;       /* struct idx_row */
        struct buf obs;        /* struct idx_obs */
        char date[16];
};

static void builder_free(struct builder *b)
{
        free(b->pool.data);
        free(b->rows.data);
        free(b->obs.data);
}

static const char *pool_str(const struct builder *b, uint32_t off)
{
        return b->pool.data + off;
}

static enum registry_kind classify(const char *service, const char *description)
{
        if (*service)
                return REGISTRY_ROW_SERVICE;
        if (strncasecmp(description, "Reserved", 8) == 0)
                return REGISTRY_ROW_RESERVED;
        if (strncasecmp(description, "Unassigned", 10) == 0)
                return REGISTRY_ROW_UNASSIGNED;
        if (strncasecmp(description, "any private", 11) == 0)
                return REGISTRY_ROW_PRIVATE;
        return REGISTRY_ROW_OTHER;
}

/* "N" or "N-M"; empty means no port. */
static int parse_port_field(const char *s, struct idx_row *row)
{
        const char *dash = strchr(s, '-');
        int r;

        if (*s == '\0') {
                row->has_port = 0;
                return 0;
        }
        if (dash) {
                r = ps_port_parse_n(s, (size_t)(dash - s), &row->lo);
                if (r == 0)
                        r = ps_port_parse_n(dash + 1, strlen(dash + 1), &row->hi);
        } else {
                r = ps_port_parse_n(s, strlen(s), &row->lo);
                row->hi = row->lo;
        }
        if (r < 0 || row->lo > row->hi)
                return -EINVAL;
        row->has_port = 1;
        return 0;
}

/* YYYY-MM or YYYY-MM-DD: the only shapes the registry uses. */
static bool is_date(const char *d)
{
        size_t n = strlen(d);
        if (n != 7 && n != 10)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((i == 4 || i == 7) ? d[i] != '-' : (d[i] < '0' || d[i] > '9'))
                        return false;
        return true;
}

static void note_date(struct builder *b, const char *d)
{
        /* The newest date compares greatest as text. Anything that is not a date is left out:
         * the newest date is printed on every output and must be exactly a date. */
        if (is_date(d) && strcmp(d, b->date) > 0)
                memcpy(b->date, d, strlen(d) + 1);
}

static int parse_csv(struct builder *b, const char *data, size_t len, struct registry_error *err)
{
        struct csv_reader rd;
        struct csv_error cerr;
        size_t offs[NCOLS + 1];
        size_t start;
        unsigned line;
        int n;

        /* Unescaped text never outgrows the input: one reservation holds every field. */
        if (buf_reserve(&b->pool, len + 2 * NCOLS + 2) < 0)
                return -ENOMEM;
        csv_init(&rd, data, len);

        start = b->pool.len;
        n = csv_next(&rd, b->pool.data, &b->pool.len, offs, NCOLS + 1, &line, &cerr);
        if (n < 0)
                return set_error(err, -EINVAL, b->name, cerr.line, cerr.column, "%s", cerr.message);
        if (n == 0)
                return set_error(err, -EINVAL, b->name, 1, 0, "empty file: not the IANA CSV");
        if (n != NCOLS)
                return set_error(err, -EINVAL, b->name, 1, 0,
                                 "header has %d columns, expected the IANA CSV's %d (\"Service Name,Port Number,...\")", n,
                                 NCOLS);
        for (int i = 0; i < NCOLS; i++)
                if (strcmp(b->pool.data + offs[i], csv_header[i]) != 0)
                        return set_error(err, -EINVAL, b->name, 1, 0, "header column %d is \"%.60s\", expected \"%s\"",
                                         i + 1, b->pool.data + offs[i], csv_header[i]);
        b->pool.len = start; /* the header is not data */

        for (;;) {
                struct idx_row row = { .alias_of = -1 };
                enum ps_proto p;

                start = b->pool.len;
                n = csv_next(&rd, b->pool.data, &b->pool.len, offs, NCOLS + 1, &line, &cerr);
                if (n == 0)
                        break;
                if (n < 0)
                        return set_error(err, -EINVAL, b->name, cerr.line, cerr.column, "%s", cerr.message);
                if (n == 1 && b->pool.data[offs[0]] == '\0') {
                        b->pool.len = start; /* a blank line */
                        continue;
                }
                if (n != NCOLS)
                        return set_error(err, -EINVAL, b->name, line, 0, "row has %d columns, expected %d", n, NCOLS);
                for (int i = 0; i < NCOLS; i++)
                        row.col[i] = b->pool.data[offs[i]] ? (uint32_t)offs[i] : 0;
                row.line = line;
                if (parse_port_field(pool_str(b, row.col[1]), &row) < 0)
                        return set_error(err, -EINVAL, b->name, line, 0, "bad port number \"%.40s\" (expected N or N-M, 0-65535)",
                                         pool_str(b, row.col[1]));
                if (row.col[2] == 0)
                        row.protos = PS_PROTO_ALL;
                else if (ps_proto_parse(pool_str(b, row.col[2]), &p) == 0)
                        row.protos = (uint8_t)PS_PROTO_BIT(p);
                else
                        return set_error(err, -EINVAL, b->name, line, 0,
                                         "unknown transport protocol \"%.40s\" (expected tcp, udp, sctp, dccp or empty)",
                                         pool_str(b, row.col[2]));
                if (row.col[0] == 0 && !row.has_port)
                        return set_error(err, -EINVAL, b->name, line, 0, "row has neither a service name nor a port");
                row.kind = (uint8_t)classify(pool_str(b, row.col[0]), pool_str(b, row.col[3]));
                note_date(b, pool_str(b, row.col[6]));
                note_date(b, pool_str(b, row.col[7]));
                if (buf_add(&b->rows, &row, sizeof(row)) < 0)
                        return -ENOMEM;
        }
        if (b->rows.len == 0)
                return set_error(err, -EINVAL, b->name, rd.line, 0, "no rows after the header (truncated?)");
        return 0;
}

/* services(5): "name port/proto[/proto...] [aliases...] [# comment]". */
static int parse_services(struct builder *b, const char *data, size_t len, struct registry_error *err)
{
        const char *p = data, *end = data + len;
        unsigned line = 0;

        const char *nul = memchr(data, '\0', len);
        if (nul) {
                unsigned nl = 1;
                for (const char *q = data; q < nul; q++)
                        nl += *q == '\n';
                return set_error(err, -EINVAL, b->name, nl, 0, "NUL byte: binary data, not a services file");
        }
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *le = eol ? eol : end, *hash, *q, *name, *spec;
                size_t name_len, spec_len;
                int64_t name_off, port_off, desc_off = 0;
                struct idx_row row = { .alias_of = -1 };

                line++;
                hash = memchr(p, '#', (size_t)(le - p));
                q = p;
                while (q < (hash ? hash : le) && isspace((unsigned char)*q))
                        q++;
                if (q == (hash ? hash : le)) {
                        p = eol ? eol + 1 : end;
                        continue;
                }
                if (!ps_utf8_valid(p, (size_t)(le - p)))
                        return set_error(err, -EINVAL, b->name, line, 0, "invalid UTF-8");
                name = q;
                while (q < le && !isspace((unsigned char)*q) && *q != '#')
                        q++;
                name_len = (size_t)(q - name);
                while (q < le && (*q == ' ' || *q == '\t'))
                        q++;
                spec = q;
                while (q < le && !isspace((unsigned char)*q) && *q != '#')
                        q++;
                spec_len = (size_t)(q - spec);
                const char *slash = memchr(spec, '/', spec_len);
                if (!slash)
                        return set_error(err, -EINVAL, b->name, line, (unsigned)(spec - p) + 1,
                                         "expected PORT/PROTO after the service name");
                char portbuf[16];
                size_t plen = (size_t)(slash - spec);
                if (plen == 0 || plen >= sizeof(portbuf))
                        return set_error(err, -EINVAL, b->name, line, (unsigned)(spec - p) + 1, "bad port number");
                memcpy(portbuf, spec, plen);
                portbuf[plen] = '\0';
                if (parse_port_field(portbuf, &row) < 0)
                        return set_error(err, -EINVAL, b->name, line, (unsigned)(spec - p) + 1, "bad port number");
                if (hash) {
                        const char *d = hash + 1;
                        while (d < le && isspace((unsigned char)*d))
                                d++;
                        size_t dl = (size_t)(le - d);
                        while (dl > 0 && isspace((unsigned char)d[dl - 1]))
                                dl--;
                        desc_off = pool_add(&b->pool, d, dl);
                }
                name_off = pool_add(&b->pool, name, name_len);
                port_off = pool_add(&b->pool, portbuf, plen);
                if (name_off < 0 || port_off < 0 || desc_off < 0)
                        return -ENOMEM;
                /* One row per protocol, as in the CSV. */
                for (const char *pp = slash; pp < spec + spec_len;) {
                        const char *pe = pp + 1;
                        char proto[8];
                        enum ps_proto pr;
                        while (pe < spec + spec_len && *pe != '/')
                                pe++;
                        size_t pl = (size_t)(pe - pp - 1);
                        if (pl == 0 || pl >= sizeof(proto))
                                return set_error(err, -EINVAL, b->name, line, (unsigned)(pp - p) + 2, "bad protocol");
                        memcpy(proto, pp + 1, pl);
                        proto[pl] = '\0';
                        pp = pe;
                        if (ps_proto_parse(proto, &pr) < 0)
                                continue; /* e.g. "ddp" in some services files: not a transport we know */
                        struct idx_row r = row;
                        int64_t proto_off = pool_add(&b->pool, ps_proto_name(pr), strlen(ps_proto_name(pr)));
                        if (proto_off < 0)
                                return -ENOMEM;
                        r.col[0] = (uint32_t)name_off;
                        r.col[1] = (uint32_t)port_off;
                        r.col[2] = (uint32_t)proto_off;
                        r.col[3] = (uint32_t)desc_off;
                        r.protos = (uint8_t)PS_PROTO_BIT(pr);
                        r.kind = REGISTRY_ROW_SERVICE;
                        r.line = line;
                        if (buf_add(&b->rows, &r, sizeof(r)) < 0)
                                return -ENOMEM;
                }
                p = eol ? eol + 1 : end;
        }
        if (b->rows.len == 0)
                return set_error(err, -EINVAL, b->name, line, 0, "no services in the file");
        return 0;
}

/* nmap-services: "name<TAB>port/proto<TAB>frequency[<TAB># comment]". Malformed lines are
 * skipped: this is field knowledge, not the registry, and it must never stop portscope. */
static int parse_observed(struct builder *b, const char *data, size_t len)
{
        const char *p = data, *end = data + len;

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *le = eol ? eol : end;
                const char *f[4] = { 0 }, *fe[4] = { 0 };
                int nf = 0;
                const char *q = p;

                while (q < le && nf < 4) {
                        f[nf] = q;
                        while (q < le && *q != '\t')
                                q++;
                        fe[nf++] = q;
                        if (q < le)
                                q++;
                }
                p = eol ? eol + 1 : end;
                if (nf < 3 || *f[0] == '#' || fe[0] == f[0])
                        continue;
                const char *slash = memchr(f[1], '/', (size_t)(fe[1] - f[1]));
                struct idx_obs o = { 0 };
                enum ps_proto pr;
                char proto[8], freq[32];
                if (!slash || ps_port_parse_n(f[1], (size_t)(slash - f[1]), &o.port) < 0)
                        continue;
                size_t pl = (size_t)(fe[1] - slash - 1), fl = (size_t)(fe[2] - f[2]);
                if (pl == 0 || pl >= sizeof(proto) || fl == 0 || fl >= sizeof(freq))
                        continue;
                memcpy(proto, slash + 1, pl);
                proto[pl] = '\0';
                memcpy(freq, f[2], fl);
                freq[fl] = '\0';
                if (ps_proto_parse(proto, &pr) < 0)
                        continue;
                char *fend;
                double fv = strtod(freq, &fend);
                if (*fend != '\0' || !(fv >= 0 && fv <= 1)) /* also refuses NaN */
                        continue;
                if (!ps_utf8_valid(f[0], (size_t)(fe[0] - f[0])))
                        continue;
                o.proto = (uint8_t)pr;
                o.freq = (float)fv;
                int64_t no = pool_add(&b->pool, f[0], (size_t)(fe[0] - f[0]));
                int64_t co = 0;
                if (nf == 4) {
                        const char *c = f[3];
                        while (c < fe[3] && (*c == '#' || *c == ' '))
                                c++;
                        if (ps_utf8_valid(c, (size_t)(fe[3] - c)))
                                co = pool_add(&b->pool, c, (size_t)(fe[3] - c));
                }
                if (no < 0 || co < 0)
                        return -ENOMEM;
                o.name = (uint32_t)no;
                o.comment = (uint32_t)co;
                if (buf_add(&b->obs, &o, sizeof(o)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* ---- building the image ------------------------------------------------------------------ */

static int cmp_names(const void *a, const void *b, void *ctx)
{
        const struct builder *bld = ctx;
        const struct idx_row *rows = (const struct idx_row *)bld->rows.data;
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        int c = strcasecmp(pool_str(bld, rows[x].col[0]), pool_str(bld, rows[y].col[0]));
        return c ? c : (x > y) - (x < y);
}

static int cmp_obs(const void *a, const void *b)
{
        const struct idx_obs *x = a, *y = b;
        if (x->port != y->port)
                return (x->port > y->port) - (x->port < y->port);
        if (x->freq != y->freq)
                return x->freq < y->freq ? 1 : -1;
        return (x->proto > y->proto) - (x->proto < y->proto);
}

static size_t align8(size_t n)
{
        return (n + 7) & ~(size_t)7;
}

/* Finds the row an alias row refers to: the note says 'This entry is an alias to "name".' */
static void resolve_aliases(struct builder *b, const uint32_t *names, uint32_t nnames)
{
        struct idx_row *rows = (struct idx_row *)b->rows.data;
        uint32_t nrows = (uint32_t)(b->rows.len / sizeof(*rows));

        for (uint32_t i = 0; i < nrows; i++) {
                const char *note = pool_str(b, rows[i].col[11]);
                const char *m = strstr(note, "alias to \"");
                char target[128];
                const char *q;
                size_t n;

                if (!m)
                        continue;
                m += strlen("alias to \"");
                q = strchr(m, '"');
                n = q ? (size_t)(q - m) : 0;
                if (n == 0 || n >= sizeof(target))
                        continue;
                memcpy(target, m, n);
                target[n] = '\0';
                /* Binary search the first row with that name, then pick the one on the same port
                 * and protocol. */
                uint32_t lo = 0, hi = nnames;
                while (lo < hi) {
                        uint32_t mid = lo + (hi - lo) / 2;
                        if (strcasecmp(pool_str(b, rows[names[mid]].col[0]), target) < 0)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                for (; lo < nnames && strcasecmp(pool_str(b, rows[names[lo]].col[0]), target) == 0; lo++) {
                        const struct idx_row *t = &rows[names[lo]];
                        if (names[lo] != i && t->lo == rows[i].lo && t->hi == rows[i].hi && t->protos == rows[i].protos) {
                                rows[i].alias_of = (int32_t)names[lo];
                                break;
                        }
                }
        }
}

static int build_image(struct builder *b, const char *path, const struct file_key *src,
                       const char *obs_path, const struct file_key *obs, unsigned char **ret, size_t *ret_size)
{
        struct idx_row *rows = (struct idx_row *)b->rows.data;
        uint32_t nrows = (uint32_t)(b->rows.len / sizeof(*rows));
        uint32_t nobs = (uint32_t)(b->obs.len / sizeof(struct idx_obs));
        uint32_t *cover_off = NULL, *cover_ids = NULL, *names = NULL, *obs_port = NULL, *fill = NULL;
        uint8_t *status = NULL;
        uint64_t ncover = 0;
        uint32_t nnames = 0;
        struct idx_header h = { .version = IDX_VERSION };
        unsigned char *img = NULL;
        int r = -ENOMEM;

        memcpy(h.magic, IDX_MAGIC, 8);
        h.kind = b->kind;
        h.src = *src;
        if (obs)
                h.obs = *obs;
        int64_t sp = pool_add(&b->pool, path, strlen(path));
        int64_t sd = pool_add(&b->pool, b->date, strlen(b->date));
        int64_t so = obs_path ? pool_add(&b->pool, obs_path, strlen(obs_path)) : 0;
        if (sp < 0 || sd < 0 || so < 0)
                goto out;
        rows = (struct idx_row *)b->rows.data;
        h.str_path = (uint32_t)sp;
        h.str_date = (uint32_t)sd;
        h.str_obs_path = (uint32_t)so;

        cover_off = calloc(65537, sizeof(uint32_t));
        fill = calloc(65536, sizeof(uint32_t));
        names = malloc((nrows ? nrows : 1) * sizeof(uint32_t));
        obs_port = calloc(65537, sizeof(uint32_t));
        status = calloc(PS_NPROTO, 65536);
        if (!cover_off || !fill || !names || !obs_port || !status)
                goto out;

        for (uint32_t i = 0; i < nrows; i++) {
                if (rows[i].has_port) {
                        ncover += (uint64_t)rows[i].hi - rows[i].lo + 1;
                        /* The real registry's rows cover ~56,000 (port, row) pairs; a small
                         * hostile file of wide ranges must not make a multi-gigabyte index. */
                        if (ncover > MAX_COVER) {
                                r = -EFBIG;
                                goto out;
                        }
                        for (uint32_t p = rows[i].lo; p <= rows[i].hi; p++)
                                cover_off[p + 1]++;
                }
                if (rows[i].col[0])
                        names[nnames++] = i;
        }
        for (uint32_t p = 0; p < 65536; p++)
                cover_off[p + 1] += cover_off[p];
        cover_ids = malloc((ncover ? ncover : 1) * sizeof(uint32_t));
        if (!cover_ids)
                goto out;
        for (uint32_t i = 0; i < nrows; i++)
                if (rows[i].has_port)
                        for (uint32_t p = rows[i].lo; p <= rows[i].hi; p++)
                                cover_ids[cover_off[p] + fill[p]++] = i;

        qsort_r(names, nnames, sizeof(uint32_t), cmp_names, b);
        if (nobs)
                qsort(b->obs.data, nobs, sizeof(struct idx_obs), cmp_obs);
        if (b->kind == REGISTRY_SOURCE_IANA_CSV)
                resolve_aliases(b, names, nnames);

        /* Status: assigned (a named or "any private" row) beats reserved beats unassigned. A
         * services file only knows assignments. */
        uint8_t base_status = b->kind == REGISTRY_SOURCE_SERVICES ? REGISTRY_NOT_ASSIGNED : REGISTRY_UNASSIGNED;
        memset(status, base_status, PS_NPROTO * 65536);
        for (uint32_t i = 0; i < nrows; i++) {
                uint8_t s;
                if (!rows[i].has_port)
                        continue;
                if (rows[i].kind == REGISTRY_ROW_SERVICE || rows[i].kind == REGISTRY_ROW_PRIVATE)
                        s = REGISTRY_ASSIGNED;
                else if (rows[i].kind == REGISTRY_ROW_RESERVED)
                        s = REGISTRY_RESERVED;
                else
                        continue;
                for (unsigned pr = 0; pr < PS_NPROTO; pr++) {
                        if (!(rows[i].protos & PS_PROTO_BIT(pr)))
                                continue;
                        for (uint32_t p = rows[i].lo; p <= rows[i].hi; p++) {
                                uint8_t *cur = &status[pr * 65536 + p];
                                if (*cur != REGISTRY_ASSIGNED && (s == REGISTRY_ASSIGNED || *cur != REGISTRY_RESERVED))
                                        *cur = s;
                        }
                }
        }

        const struct idx_obs *ob = (const struct idx_obs *)b->obs.data;
        for (uint32_t i = 0; i < nobs; i++)
                obs_port[ob[i].port + 1]++;
        for (uint32_t p = 0; p < 65536; p++)
                obs_port[p + 1] += obs_port[p];

        /* Statistics, computed once here rather than on every `registry` command. */
        h.stats.rows = nrows;
        for (uint32_t i = 0; i < nrows; i++) {
                if (rows[i].has_port)
                        h.stats.rows_with_port++;
                else
                        h.stats.name_only_rows++;
                if (rows[i].has_port && rows[i].hi > rows[i].lo)
                        h.stats.ranges++;
        }
        for (unsigned pr = 0; pr < PS_NPROTO; pr++)
                for (uint32_t p = 0; p < 65536; p++)
                        h.stats.by_status[pr][status[pr * 65536 + p]]++;
        h.stats.observed = nobs;

        size_t off = align8(sizeof(h));
        h.off_rows = (uint32_t)off;
        off = align8(off + (size_t)nrows * sizeof(struct idx_row));
        h.off_cover_off = (uint32_t)off;
        off = align8(off + 65537 * sizeof(uint32_t));
        h.off_cover_ids = (uint32_t)off;
        off = align8(off + ncover * sizeof(uint32_t));
        h.off_names = (uint32_t)off;
        off = align8(off + (size_t)nnames * sizeof(uint32_t));
        h.off_obs = (uint32_t)off;
        off = align8(off + (size_t)nobs * sizeof(struct idx_obs));
        h.off_obs_port = (uint32_t)off;
        off = align8(off + 65537 * sizeof(uint32_t));
        h.off_status = (uint32_t)off;
        off = align8(off + PS_NPROTO * 65536);
        h.off_strings = (uint32_t)off;
        h.strings_len = (uint32_t)b->pool.len;
        off = align8(off + b->pool.len);
        if (off > UINT32_MAX) {
                r = -EFBIG;
                goto out;
        }
        h.total_size = off;
        h.nrows = nrows;
        h.ncover = (uint32_t)ncover;
        h.nobs = nobs;
        h.nnames = nnames;

        img = calloc(1, off);
        if (!img)
                goto out;
        memcpy(img, &h, sizeof(h));
        memcpy(img + h.off_rows, rows, (size_t)nrows * sizeof(struct idx_row));
        memcpy(img + h.off_cover_off, cover_off, 65537 * sizeof(uint32_t));
        memcpy(img + h.off_cover_ids, cover_ids, ncover * sizeof(uint32_t));
        memcpy(img + h.off_names, names, (size_t)nnames * sizeof(uint32_t));
        if (nobs) /* memcpy from NULL is undefined even for 0 bytes */
                memcpy(img + h.off_obs, b->obs.data, (size_t)nobs * sizeof(struct idx_obs));
        memcpy(img + h.off_obs_port, obs_port, 65537 * sizeof(uint32_t));
        memcpy(img + h.off_status, status, PS_NPROTO * 65536);
        memcpy(img + h.off_strings, b->pool.data, b->pool.len);
        *ret = img;
        *ret_size = off;
        img = NULL;
        r = 0;
out:
        free(img);
        free(cover_off);
        free(fill);
        free(names);
        free(obs_port);
        free(status);
        free(cover_ids);
        return r;
}

/* Checks an image's internal consistency so that a damaged cache file can never make a
 * lookup read out of bounds. */
static bool header_valid(const unsigned char *img, size_t size)
{
        const struct idx_header *h = (const struct idx_header *)img;

        if (size < sizeof(*h) || memcmp(h->magic, IDX_MAGIC, 8) != 0 || h->version != IDX_VERSION ||
            h->total_size != size || h->kind > REGISTRY_SOURCE_SERVICES)
                return false;
        /* Sections are 8-byte aligned as build_image() writes them; anything else is damage,
         * and would make the tables' reads misaligned. */
        if ((h->off_rows | h->off_cover_off | h->off_cover_ids | h->off_names | h->off_obs | h->off_obs_port |
             h->off_status | h->off_strings) & 7u)
                return false;
        if ((uint64_t)h->off_strings + align8(h->strings_len) != size)
                return false;
#define FITS(off, bytes) ((uint64_t)(off) + (uint64_t)(bytes) <= size)
        if (!FITS(h->off_rows, (uint64_t)h->nrows * sizeof(struct idx_row)) ||
            !FITS(h->off_cover_off, 65537 * 4) || !FITS(h->off_cover_ids, (uint64_t)h->ncover * 4) ||
            !FITS(h->off_names, (uint64_t)h->nnames * 4) || !FITS(h->off_obs, (uint64_t)h->nobs * sizeof(struct idx_obs)) ||
            !FITS(h->off_obs_port, 65537 * 4) || !FITS(h->off_status, PS_NPROTO * 65536) ||
            !FITS(h->off_strings, h->strings_len) || h->strings_len == 0)
                return false;
#undef FITS
        const char *strings = (const char *)img + h->off_strings;
        return strings[0] == '\0' && strings[h->strings_len - 1] == '\0' && h->str_path < h->strings_len &&
               h->str_date < h->strings_len && h->str_obs_path < h->strings_len;
}

static bool image_valid(const unsigned char *img, size_t size)
{
        const struct idx_header *h = (const struct idx_header *)img;

        if (!header_valid(img, size))
                return false;
        const char *strings = (const char *)img + h->off_strings;
        if (strings[0] != '\0' || strings[h->strings_len - 1] != '\0')
                return false;
        const uint32_t *co = (const uint32_t *)(img + h->off_cover_off);
        const uint32_t *op = (const uint32_t *)(img + h->off_obs_port);
        if (co[65536] != h->ncover || op[65536] != h->nobs)
                return false;
        for (uint32_t p = 0; p < 65536; p++)
                if (co[p] > co[p + 1] || op[p] > op[p + 1])
                        return false;
        const struct idx_row *rows = (const struct idx_row *)(img + h->off_rows);
        for (uint32_t i = 0; i < h->nrows; i++) {
                for (int c = 0; c < NCOLS; c++)
                        if (rows[i].col[c] >= h->strings_len)
                                return false;
                if (rows[i].alias_of >= (int32_t)h->nrows || rows[i].kind > REGISTRY_ROW_OTHER)
                        return false;
        }
        const uint32_t *ids = (const uint32_t *)(img + h->off_cover_ids);
        for (uint32_t i = 0; i < h->ncover; i++)
                if (ids[i] >= h->nrows)
                        return false;
        const uint32_t *names = (const uint32_t *)(img + h->off_names);
        for (uint32_t i = 0; i < h->nnames; i++)
                if (names[i] >= h->nrows)
                        return false;
        const struct idx_obs *ob = (const struct idx_obs *)(img + h->off_obs);
        for (uint32_t i = 0; i < h->nobs; i++)
                if (ob[i].name >= h->strings_len || ob[i].comment >= h->strings_len || ob[i].proto >= PS_NPROTO)
                        return false;
        if (h->str_path >= h->strings_len || h->str_date >= h->strings_len || h->str_obs_path >= h->strings_len)
                return false;
        return true;
}

static struct registry *registry_from_image(const unsigned char *img, size_t size, bool mapped)
{
        struct registry *r = calloc(1, sizeof(*r));
        if (!r)
                return NULL;
        r->base = img;
        r->size = size;
        r->mapped = mapped;
        r->h = (const struct idx_header *)img;
        r->rows = (const struct idx_row *)(img + r->h->off_rows);
        r->cover_off = (const uint32_t *)(img + r->h->off_cover_off);
        r->cover_ids = (const uint32_t *)(img + r->h->off_cover_ids);
        r->names = (const uint32_t *)(img + r->h->off_names);
        r->obs = (const struct idx_obs *)(img + r->h->off_obs);
        r->obs_port = (const uint32_t *)(img + r->h->off_obs_port);
        r->status = img + r->h->off_status;
        r->strings = (const char *)img + r->h->off_strings;
        r->source.path = r->strings + r->h->str_path;
        r->source.kind = (enum registry_source_kind)r->h->kind;
        r->source.date = r->strings + r->h->str_date;
        r->source.observed_path = r->strings + r->h->str_obs_path;
        r->source.from_cache = mapped;
        r->source.cache_path = r->cache_path;
        return r;
}

void registry_close(struct registry *r)
{
        if (!r)
                return;
        if (r->mapped)
                munmap((void *)r->base, r->size);
        else
                free((void *)r->base);
        free(r);
}

/* ---- sources ----------------------------------------------------------------------------- */

static void key_of(const struct stat *st, struct file_key *k)
{
        memset(k, 0, sizeof(*k));
        k->size = (uint64_t)st->st_size;
        k->ino = st->st_ino;
        k->dev = st->st_dev;
        k->mtime_sec = st->st_mtim.tv_sec;
        k->mtime_nsec = st->st_mtim.tv_nsec;
}

static enum registry_source_kind detect_kind(const char *data, size_t len)
{
        const char *nl;
        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                data += 3, len -= 3;
        if (len >= 12 && memcmp(data, "Service Name", 12) == 0)
                return REGISTRY_SOURCE_IANA_CSV;
        nl = memchr(data, '\n', len);
        /* A first line with commas is a CSV, even if its header is wrong: say so in the error. */
        if (memchr(data, ',', nl ? (size_t)(nl - data) : len) && (len == 0 || data[0] != '#'))
                return REGISTRY_SOURCE_IANA_CSV;
        return REGISTRY_SOURCE_SERVICES;
}

static int build_from_buffer(const char *name, const char *data, size_t len, int kind, const struct file_key *src,
                             const char *obs_path, const char *obs_data, size_t obs_len, const struct file_key *obs,
                             unsigned char **ret, size_t *ret_size, struct registry_error *err)
{
        struct builder b = { .name = name };
        int r;

        if (len == 0)
                return set_error(err, -EINVAL, name, 0, 0, "empty file: not a port registry");
        b.kind = kind >= 0 ? (enum registry_source_kind)kind : detect_kind(data, len);
        if (buf_add(&b.pool, "", 1) < 0)
                return -ENOMEM;
        r = b.kind == REGISTRY_SOURCE_IANA_CSV ? parse_csv(&b, data, len, err) : parse_services(&b, data, len, err);
        if (r == 0 && obs_data)
                r = parse_observed(&b, obs_data, obs_len);
        if (r == 0)
                r = build_image(&b, name, src, obs_path, obs, ret, ret_size);
        if (r == -ENOMEM)
                set_error(err, r, name, 0, 0, "out of memory");
        else if (r == -EFBIG)
                set_error(err, r, name, 0, 0, "the port ranges cover more than %u (port, row) pairs: not the IANA registry",
                          MAX_COVER);
        builder_free(&b);
        return r;
}

int registry_parse_buffer(const char *name, const char *data, size_t len, enum registry_source_kind kind,
                          struct registry **ret, struct registry_error *err)
{
        struct file_key none = { 0 };
        unsigned char *img;
        size_t size;
        int r = build_from_buffer(name, data, len, (int)kind, &none, NULL, NULL, 0, NULL, &img, &size, err);

        if (r < 0)
                return r;
        *ret = registry_from_image(img, size, false);
        if (!*ret) {
                free(img);
                return set_error(err, -ENOMEM, name, 0, 0, "out of memory");
        }
        return 0;
}

int registry_parse_file(const char *path, enum registry_source_kind kind, struct registry **ret,
                        struct registry_error *err)
{
        char *data;
        size_t len;
        int r = ps_read_file(path, MAX_SOURCE_SIZE, &data, &len);

        if (r < 0)
                return set_error(err, r, path, 0, 0, "cannot read: %s", strerror(-r));
        r = registry_parse_buffer(path, data, len, kind, ret, err);
        free(data);
        return r;
}

/* Picks the registry file: explicit, $PORTSCOPE_REGISTRY, the `update` copy, the system's. */
static int find_source(const char *path, char *buf, size_t len, struct stat *st, struct registry_error *err)
{
        const char *env = getenv("PORTSCOPE_REGISTRY");
        char dd[1024];

        if (!path && env && *env)
                path = env;
        if (path) {
                if (stat(path, st) < 0)
                        return set_error(err, -errno, path, 0, 0, "cannot open registry: %s", strerror(errno));
                if (!S_ISREG(st->st_mode))
                        return set_error(err, -EINVAL, path, 0, 0, "not a regular file");
                snprintf(buf, len, "%s", path);
                return 0;
        }
        if (ps_data_dir(dd, sizeof(dd)) == 0) {
                int n = snprintf(buf, len, "%s/service-names-port-numbers.csv", dd);
                if (n > 0 && (size_t)n < len && stat(buf, st) == 0 && S_ISREG(st->st_mode))
                        return 0;
        }
        static const char *const system_files[] = { "/usr/share/wireshark/services" };
        for (size_t i = 0; i < sizeof(system_files) / sizeof(system_files[0]); i++)
                if (stat(system_files[i], st) == 0 && S_ISREG(st->st_mode)) {
                        snprintf(buf, len, "%s", system_files[i]);
                        return 0;
                }
        return set_error(err, -ENOENT, "", 0, 0,
                         "no port registry found: run 'portscope update', name the IANA CSV with --registry FILE "
                         "(or PORTSCOPE_REGISTRY), or install Debian's libwireshark-data");
}

static uint64_t fnv1a(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ull;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
        return h;
}

static bool key_equal(const struct file_key *a, const struct file_key *b)
{
        return a->size == b->size && a->ino == b->ino && a->dev == b->dev && a->mtime_sec == b->mtime_sec &&
               a->mtime_nsec == b->mtime_nsec;
}

static struct registry *try_cache(const char *cache, const struct file_key *src, const struct file_key *obs)
{
        struct stat st;
        void *m;
        int fd = open(cache, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(struct idx_header)) {
                close(fd);
                return NULL;
        }
        m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (m == MAP_FAILED)
                return NULL;
        const struct idx_header *h = m;
        if (!header_valid(m, (size_t)st.st_size) || !key_equal(&h->src, src) || !key_equal(&h->obs, obs)) {
                munmap(m, (size_t)st.st_size);
                return NULL;
        }
        /* The cache lives in the user's own directory, written by us atomically; a full
         * validation would touch every page and cost what the cache saves. The header and its
         * section bounds were checked above; ids and offsets are bounds-checked where read. */
        struct registry *r = registry_from_image(m, (size_t)st.st_size, true);
        if (!r)
                munmap(m, (size_t)st.st_size);
        return r;
}

int registry_open(const char *path, unsigned flags, struct registry **ret, struct registry_error *err)
{
        char src_path[1024], cache[1024] = "", obs_path[1024] = "";
        struct stat st, ost;
        struct file_key src, obs = { 0 };
        const char *obs_env = getenv("PORTSCOPE_NMAP_SERVICES");
        bool have_obs = false;
        int r;

        r = find_source(path, src_path, sizeof(src_path), &st, err);
        if (r < 0)
                return r;
        key_of(&st, &src);
        if (!(flags & REGISTRY_OPEN_NO_OBSERVED)) {
                const char *op = obs_env ? obs_env : "/usr/share/nmap/nmap-services";
                if (*op && stat(op, &ost) == 0 && S_ISREG(ost.st_mode)) {
                        snprintf(obs_path, sizeof(obs_path), "%s", op);
                        key_of(&ost, &obs);
                        have_obs = true;
                }
        }

        if (!(flags & REGISTRY_OPEN_NO_CACHE)) {
                char dir[900], real[PATH_MAX];
                const char *key = realpath(src_path, real) ? real : src_path;
                if (ps_cache_dir(dir, sizeof(dir)) == 0) {
                        int n = snprintf(cache, sizeof(cache), "%s/registry-%016llx%s.idx", dir,
                                         (unsigned long long)fnv1a(key), have_obs ? "" : "-noobs");
                        if (n < 0 || (size_t)n >= sizeof(cache))
                                cache[0] = '\0';
                }
                if (cache[0]) {
                        struct registry *reg = try_cache(cache, &src, &obs);
                        if (reg) {
                                snprintf(reg->cache_path, sizeof(reg->cache_path), "%s", cache);
                                *ret = reg;
                                return 0;
                        }
                }
        }

        char *data = NULL, *odata = NULL;
        size_t len = 0, olen = 0;
        unsigned char *img;
        size_t size;
        r = ps_read_file(src_path, MAX_SOURCE_SIZE, &data, &len);
        if (r < 0)
                return set_error(err, r, src_path, 0, 0, "cannot read registry: %s", strerror(-r));
        if (have_obs && ps_read_file(obs_path, MAX_SOURCE_SIZE, &odata, &olen) < 0) {
                have_obs = false;
                obs_path[0] = '\0';
                memset(&obs, 0, sizeof(obs));
        }
        r = build_from_buffer(src_path, data, len, -1, &src, have_obs ? obs_path : NULL, odata, olen,
                              have_obs ? &obs : NULL, &img, &size, err);
        free(data);
        free(odata);
        if (r < 0)
                return r;
        bool cached = false;
        if (cache[0]) {
                char dir[1024];
                snprintf(dir, sizeof(dir), "%s", cache);
                char *slash = strrchr(dir, '/');
                if (slash)
                        *slash = '\0';
                /* A cache that cannot be written only costs time on the next run. */
                cached = ps_mkdir_p(dir) == 0 && ps_write_file_atomic(cache, img, size, 0600) == 0;
        }
        struct registry *reg = registry_from_image(img, size, false);
        if (!reg) {
                free(img);
                return set_error(err, -ENOMEM, src_path, 0, 0, "out of memory");
        }
        if (cached)
                snprintf(reg->cache_path, sizeof(reg->cache_path), "%s", cache);
        *ret = reg;
        return 0;
}

/* ---- queries ----------------------------------------------------------------------------- */

static const char *str_at(const struct registry *r, uint32_t off)
{
        return off < r->h->strings_len ? r->strings + off : "";
}

const char *registry_status_name(enum registry_status s)
{
        switch (s) {
        case REGISTRY_UNASSIGNED: return "unassigned";
        case REGISTRY_RESERVED: return "reserved";
        case REGISTRY_ASSIGNED: return "assigned";
        case REGISTRY_NOT_ASSIGNED: return "reserved-or-unassigned";
        }
        return "unknown";
}

int registry_status_parse(const char *s, enum registry_status *ret)
{
        for (int i = 0; i < 4; i++)
                if (strcasecmp(s, registry_status_name((enum registry_status)i)) == 0) {
                        *ret = (enum registry_status)i;
                        return 0;
                }
        return -EINVAL;
}

const char *registry_kind_name(enum registry_kind k)
{
        static const char *const names[] = { "service", "private", "reserved", "unassigned", "other" };
        return (unsigned)k <= REGISTRY_ROW_OTHER ? names[k] : "other";
}

const struct registry_source *registry_source(const struct registry *r)
{
        return &r->source;
}

void registry_stats(const struct registry *r, struct registry_stats *ret)
{
        *ret = r->h->stats;
}

uint32_t registry_nrows(const struct registry *r)
{
        return r->h->nrows;
}

int registry_row(const struct registry *r, uint32_t id, struct registry_row *ret)
{
        const struct idx_row *row;

        if (id >= r->h->nrows)
                return -ENOENT;
        row = &r->rows[id];
        ret->id = id;
        ret->line = row->line;
        ret->service = str_at(r, row->col[0]);
        ret->port = str_at(r, row->col[1]);
        ret->proto = str_at(r, row->col[2]);
        ret->description = str_at(r, row->col[3]);
        ret->assignee = str_at(r, row->col[4]);
        ret->contact = str_at(r, row->col[5]);
        ret->registered = str_at(r, row->col[6]);
        ret->modified = str_at(r, row->col[7]);
        ret->reference = str_at(r, row->col[8]);
        ret->service_code = str_at(r, row->col[9]);
        ret->unauthorized_use = str_at(r, row->col[10]);
        ret->notes = str_at(r, row->col[11]);
        ret->has_port = row->has_port;
        ret->port_lo = row->lo;
        ret->port_hi = row->hi;
        ret->protos = row->protos;
        ret->kind = row->kind <= REGISTRY_ROW_OTHER ? (enum registry_kind)row->kind : REGISTRY_ROW_OTHER;
        ret->alias_of = row->alias_of >= 0 && (uint32_t)row->alias_of < r->h->nrows ? row->alias_of : -1;
        return 0;
}

enum registry_status registry_status(const struct registry *r, uint16_t port, enum ps_proto proto)
{
        if ((unsigned)proto >= PS_NPROTO)
                return REGISTRY_UNASSIGNED;
        uint8_t s = r->status[(size_t)proto * 65536 + port];
        return s <= REGISTRY_NOT_ASSIGNED ? (enum registry_status)s : REGISTRY_UNASSIGNED;
}

size_t registry_covering(const struct registry *r, uint16_t port, enum ps_proto proto, uint32_t *ids, size_t max)
{
        uint32_t a = r->cover_off[port], b = r->cover_off[port + 1];
        size_t n = 0;

        if (b > r->h->ncover || a > b)
                return 0;
        for (uint32_t i = a; i < b; i++) {
                uint32_t id = r->cover_ids[i];
                if (id >= r->h->nrows || !(r->rows[id].protos & PS_PROTO_BIT(proto)))
                        continue;
                if (n < max)
                        ids[n] = id;
                n++;
        }
        return n;
}

size_t registry_by_name(const struct registry *r, const char *name, uint32_t *ids, size_t max)
{
        uint32_t lo = 0, hi = r->h->nnames, n = 0;

        while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (strcasecmp(str_at(r, r->rows[r->names[mid] < r->h->nrows ? r->names[mid] : 0].col[0]), name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (; lo < r->h->nnames; lo++) {
                uint32_t id = r->names[lo];
                if (id >= r->h->nrows || strcasecmp(str_at(r, r->rows[id].col[0]), name) != 0)
                        break;
                if (n < max)
                        ids[n] = id;
                n++;
        }
        /* Keep file order for the caller: names were sorted by (name, id), so they already are. */
        return n;
}

size_t registry_observed(const struct registry *r, uint16_t port, struct registry_observed *out, size_t max)
{
        uint32_t a = r->obs_port[port], b = r->obs_port[port + 1];
        size_t n = 0;

        if (b > r->h->nobs || a > b)
                return 0;
        for (uint32_t i = a; i < b; i++, n++)
                if (n < max) {
                        out[n].name = str_at(r, r->obs[i].name);
                        out[n].port = r->obs[i].port;
                        out[n].proto = r->obs[i].proto < PS_NPROTO ? (enum ps_proto)r->obs[i].proto : PS_TCP;
                        out[n].frequency = r->obs[i].freq;
                        out[n].comment = str_at(r, r->obs[i].comment);
                }
        return n;
}

struct top_item {
        float freq;
        uint16_t port;
};

static int cmp_top(const void *a, const void *b)
{
        const struct top_item *x = a, *y = b;
        if (x->freq != y->freq)
                return x->freq < y->freq ? 1 : -1;
        return (x->port > y->port) - (x->port < y->port);
}

size_t registry_top_ports(const struct registry *r, enum ps_proto proto, uint16_t *ports, size_t max)
{
        struct top_item *v;
        size_t n = 0;

        v = malloc((r->h->nobs ? r->h->nobs : 1) * sizeof(*v));
        if (!v)
                return 0;
        for (uint32_t i = 0; i < r->h->nobs; i++)
                if (r->obs[i].proto == proto)
                        v[n++] = (struct top_item){ r->obs[i].freq, r->obs[i].port };
        qsort(v, n, sizeof(*v), cmp_top);
        if (n > max)
                n = max;
        for (size_t i = 0; i < n; i++)
                ports[i] = v[i].port;
        free(v);
        return n;
}

/* For tests and `registry --verify`: full validation of an image. */
bool registry_image_valid(const struct registry *r);
bool registry_image_valid(const struct registry *r)
{
        return image_valid(r->base, r->size);
}
