/* Every installed registry version, kept gzip-compressed in <datadir>/snapshots/ as
 * DATE_SHA.csv.gz (one file per distinct SHA-256, the oldest removed beyond a count), and the
 * history index written from them: for each (port, protocol) whose state ever changed between
 * the versions kept, the runs of versions with one state. `info` reads that index (history.c). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "portscope/i18n.h"
#include "portscope/update.h"
#include "portscope/util.h"

#define SNAP_DIR "snapshots"
#define SNAP_SUFFIX ".csv.gz"
#define MAX_SNAPSHOTS 1000

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_list(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

/* Names of the snapshots in dir, sorted (by date, as names start with it). */
static int list_snapshots(const char *dir, char ***ret, size_t *ret_n)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char **v = NULL;
        size_t n = 0, cap = 0;

        if (!d) {
                *ret = NULL;
                *ret_n = 0;
                return errno == ENOENT ? 0 : -errno;
        }
        while ((e = readdir(d)) && n < MAX_SNAPSHOTS) {
                size_t l = strlen(e->d_name);
                if (l <= strlen(SNAP_SUFFIX) || strcmp(e->d_name + l - strlen(SNAP_SUFFIX), SNAP_SUFFIX) != 0 ||
                    e->d_name[0] == '.')
                        continue;
                if (PS_GROW(v, cap, n + 1, MAX_SNAPSHOTS) < 0 || !(v[n] = strdup(e->d_name))) {
                        free_list(v, n);
                        closedir(d);
                        return -ENOMEM;
                }
                n++;
        }
        closedir(d);
        if (n)
                qsort(v, n, sizeof(*v), cmp_str);
        *ret = v;
        *ret_n = n;
        return 0;
}

static int gzip(const char *data, size_t len, unsigned char **ret, size_t *ret_len)
{
        z_stream z = { 0 };
        unsigned char *out;
        uLong bound;

        if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return -ENOMEM;
        bound = deflateBound(&z, (uLong)len) + 32;
        out = malloc(bound);
        if (!out) {
                deflateEnd(&z);
                return -ENOMEM;
        }
        z.next_in = (Bytef *)(uintptr_t)data;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)bound;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
                deflateEnd(&z);
                free(out);
                return -EIO;
        }
        *ret = out;
        *ret_len = z.total_out;
        deflateEnd(&z);
        return 0;
}

static int gunzip(const unsigned char *data, size_t len, char **ret, size_t *ret_len)
{
        z_stream z = { 0 };
        size_t cap = len * 4 + 1024, n = 0;
        char *out = malloc(cap);
        int zr;

        if (!out || inflateInit2(&z, 15 + 16) != Z_OK) {
                free(out);
                return -ENOMEM;
        }
        z.next_in = (Bytef *)(uintptr_t)data;
        z.avail_in = (uInt)len;
        do {
                if (cap - n < 65536) {
                        /* A snapshot inflates to at most UPDATE_MAX_DOWNLOAD bytes. */
                        int r = PS_GROW(out, cap, n + 65536, (size_t)UPDATE_MAX_DOWNLOAD + 65536);
                        if (r < 0) {
                                zr = r == -E2BIG ? Z_DATA_ERROR : Z_MEM_ERROR;
                                break;
                        }
                }
                z.next_out = (Bytef *)out + n;
                z.avail_out = (uInt)(cap - n - 1);
                zr = inflate(&z, Z_NO_FLUSH);
                n = z.total_out;
        } while (zr == Z_OK);
        inflateEnd(&z);
        if (zr != Z_STREAM_END) {
                free(out);
                return zr == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
        }
        out[n] = '\0';
        *ret = out;
        *ret_len = n;
        return 0;
}

int update_snapshot_count(const char *datadir)
{
        char dir[1200];
        char **v;
        size_t n;
        int r;

        snprintf(dir, sizeof(dir), "%s/" SNAP_DIR, datadir);
        r = list_snapshots(dir, &v, &n);
        if (r < 0)
                return r;
        free_list(v, n);
        return (int)n;
}

/* ---- the history index ---- */

/* One state of a (port, protocol) in one version, interned: "status\tnames\tregistered\tmodified". */
struct interner {
        char **s;
        uint32_t *slots; /* index + 1, 0 empty */
        size_t n, cap, nslots;
};

static uint64_t fnv(const char *s)
{
        return ps_fnv1a(s, strlen(s));
}

static int intern(struct interner *t, const char *s, uint32_t *ret)
{
        if (t->n * 2 >= t->nslots) {
                size_t ns = t->nslots ? t->nslots * 2 : 4096;
                uint32_t *sl = calloc(ns, sizeof(*sl));
                if (!sl)
                        return -ENOMEM;
                for (size_t i = 0; i < t->n; i++) {
                        size_t h = fnv(t->s[i]) & (ns - 1);
                        while (sl[h])
                                h = (h + 1) & (ns - 1);
                        sl[h] = (uint32_t)i + 1;
                }
                free(t->slots);
                t->slots = sl;
                t->nslots = ns;
        }
        size_t h = fnv(s) & (t->nslots - 1);
        while (t->slots[h]) {
                if (strcmp(t->s[t->slots[h] - 1], s) == 0) {
                        *ret = t->slots[h] - 1;
                        return 0;
                }
                h = (h + 1) & (t->nslots - 1);
        }
        if (PS_GROW(t->s, t->cap, t->n + 1, SIZE_MAX) < 0)
                return -ENOMEM;
        if (!(t->s[t->n] = strdup(s)))
                return -ENOMEM;
        t->slots[h] = (uint32_t)t->n + 1;
        *ret = (uint32_t)t->n++;
        return 0;
}

static void interner_free(struct interner *t)
{
        for (size_t i = 0; i < t->n; i++)
                free(t->s[i]);
        free(t->s);
        free(t->slots);
}

/* Copies s into the index text: no tab, newline, comma or control byte can break its lines. */
static size_t put_clean(char *out, size_t room, const char *s)
{
        size_t k = 0;
        for (; *s && k + 1 < room; s++)
                out[k++] = ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ',') ? '?' : *s;
        out[k] = '\0';
        return k;
}

static const char *date_or_dash(const char *d)
{
        size_t n = strlen(d);
        if (n != 7 && n != 10)
                return "-";
        for (size_t i = 0; i < n; i++)
                if ((i == 4 || i == 7) ? d[i] != '-' : (d[i] < '0' || d[i] > '9'))
                        return "-";
        return d;
}

static void state_text(const struct registry *r, unsigned port, enum ps_proto p, char *buf, size_t len)
{
        uint32_t ids[32];
        size_t n = registry_covering(r, (uint16_t)port, p, ids, 32), k;
        enum registry_status st = registry_status(r, (uint16_t)port, p);
        struct registry_row row, main_row = { 0 };
        bool have_main = false, named_main = false;

        k = (size_t)snprintf(buf, len, "%s\t", registry_status_name(st));
        bool first = true;
        for (size_t i = 0; i < n && i < 32; i++) {
                registry_row(r, ids[i], &row);
                if (*row.service && k + 2 < len) {
                        if (!first)
                                buf[k++] = ',';
                        k += put_clean(buf + k, len - k, row.service);
                        first = false;
                }
                /* Dates of the assignment (its first named row), else of the row saying what the port is. */
                if (!named_main && ((*row.service && row.alias_of < 0) || !have_main)) {
                        main_row = row;
                        named_main = *row.service && row.alias_of < 0;
                        have_main = true;
                }
        }
        if (first && k + 2 < len)
                buf[k++] = '-';
        if (k < len)
                snprintf(buf + k, len - k, "\t%s\t%s", have_main ? date_or_dash(main_row.registered) : "-",
                         have_main ? date_or_dash(main_row.modified) : "-");
}

struct run {
        uint16_t from, to;
        uint32_t sig;
};

struct runvec {
        size_t n;
        struct run r[];
};

struct entry {
        unsigned lo, hi, proto;
        struct runvec *runs; /* borrowed */
};

static bool runs_equal(const struct runvec *a, const struct runvec *b)
{
        return a->n == b->n && memcmp(a->r, b->r, a->n * sizeof(a->r[0])) == 0;
}

static int cmp_entry(const void *pa, const void *pb)
{
        const struct entry *a = pa, *b = pb;
        if (a->lo != b->lo)
                return a->lo < b->lo ? -1 : 1;
        return (int)a->proto - (int)b->proto;
}

struct index_ctx {
        char **names;           /* snapshot files, sorted */
        char (*dates)[11];
        unsigned *rows;         /* each version's rows */
        size_t nv;
        struct interner *t;
        struct entry *e;
        size_t ne;
};

static int fill_index(FILE *f, void *ud)
{
        struct index_ctx *c = ud;

        fputs("portscope-history 1\n", f);
        for (size_t v = 0; v < c->nv; v++)
                fprintf(f, "V\t%zu\t%s\t%s\t%u\n", v, c->dates[v], c->names[v], c->rows[v]);
        for (size_t i = 0; i < c->ne; i++) {
                const struct entry *e = &c->e[i];
                fprintf(f, "P\t%u\t%u\t%s\n", e->lo, e->hi, ps_proto_name((enum ps_proto)e->proto));
                for (size_t j = 0; j < e->runs->n; j++)
                        fprintf(f, "R\t%u\t%u\t%s\n", e->runs->r[j].from, e->runs->r[j].to, c->t->s[e->runs->r[j].sig]);
        }
        return ferror(f) ? -EIO : 0;
}

/* Rewrites the history index from the snapshots in dir. */
static int write_index(const char *datadir, const char *dir, char *errbuf, size_t errlen)
{
        char **names = NULL, path[1300];
        size_t nv = 0;
        int r = list_snapshots(dir, &names, &nv);
        struct interner t = { 0 };
        uint32_t *last = NULL;
        uint16_t *start = NULL;
        struct runvec **runs = NULL;
        char (*dates)[11] = NULL;
        unsigned *rows = NULL;
        struct entry *e = NULL;
        size_t ne = 0, cap = 0;
        const size_t NP = (size_t)PS_NPROTO * 65536;

        if (r < 0) {
                snprintf(errbuf, errlen, "%s: %s", dir, strerror(-r));
                return r;
        }
        last = calloc(NP, sizeof(*last));
        start = calloc(NP, sizeof(*start));
        runs = calloc(NP, sizeof(*runs));
        dates = calloc(nv ? nv : 1, sizeof(*dates));
        rows = calloc(nv ? nv : 1, sizeof(*rows));
        if (!last || !start || !runs || !dates || !rows) {
                r = -ENOMEM;
                goto out;
        }
        size_t w = 0, damaged = 0; /* versions read so far; snapshots left out */
        for (size_t v = 0; v < nv; v++) {
                unsigned char *gz = NULL;
                char *csv = NULL, snap[1300];
                size_t gzlen = 0, csvlen = 0;
                struct registry *reg = NULL;
                struct ps_error err = { 0 };

                snprintf(snap, sizeof(snap), "%s/%s", dir, names[v]);
                r = ps_read_file(snap, UPDATE_MAX_DOWNLOAD, (char **)&gz, &gzlen);
                if (r == 0)
                        r = gunzip(gz, gzlen, &csv, &csvlen);
                free(gz);
                if (r == 0 && registry_parse_buffer(snap, csv, csvlen, REGISTRY_SOURCE_IANA_CSV, &reg, &err) < 0)
                        r = -EBADMSG;
                free(csv);
                if (r == -EBADMSG) {
                        /* One damaged file does not cost the history of the others: left out, and
                         * named (the first one) for the user to delete. */
                        if (!damaged++)
                                snprintf(errbuf, errlen, _("snapshot %s is damaged: the history leaves it out (delete it)"),
                                         snap);
                        free(names[v]);
                        names[v] = NULL;
                        r = 0;
                        continue;
                }
                if (r < 0) {
                        snprintf(errbuf, errlen, _("snapshot %s: %s"), snap, strerror(-r));
                        goto out;
                }
                names[w] = names[v];
                if (w != v)
                        names[v] = NULL;
                snprintf(dates[w], sizeof(dates[w]), "%s", date_or_dash(registry_source(reg)->date));
                rows[w] = registry_nrows(reg);
                for (unsigned p = 0; p < PS_NPROTO && r == 0; p++)
                        for (unsigned port = 0; port <= 65535; port++) {
                                char buf[1024];
                                uint32_t sig;
                                size_t k = (size_t)p * 65536 + port;
                                state_text(reg, port, (enum ps_proto)p, buf, sizeof(buf));
                                r = intern(&t, buf, &sig);
                                if (r < 0)
                                        break;
                                if (w > 0 && sig != last[k]) {
                                        /* The run that ended at w - 1 is history. */
                                        size_t n = runs[k] ? runs[k]->n : 0;
                                        struct runvec *nr = realloc(runs[k], sizeof(*nr) + (n + 2) * sizeof(nr->r[0]));
                                        if (!nr) {
                                                r = -ENOMEM;
                                                break;
                                        }
                                        nr->n = n + 1;
                                        nr->r[n] = (struct run){ start[k], (uint16_t)(w - 1), last[k] };
                                        runs[k] = nr;
                                        start[k] = (uint16_t)w;
                                }
                                last[k] = sig;
                        }
                registry_close(reg);
                if (r < 0)
                        goto out;
                w++;
        }
        nv = w; /* names[w..] are NULL now: left-out snapshots were freed above */
        /* Close the current runs of the ports that changed, and merge consecutive ports. */
        for (unsigned p = 0; p < PS_NPROTO; p++)
                for (unsigned port = 0; port <= 65535; port++) {
                        size_t k = (size_t)p * 65536 + port;
                        if (!runs[k])
                                continue;
                        runs[k]->r[runs[k]->n++] = (struct run){ start[k], (uint16_t)(nv - 1), last[k] };
                        if (ne && e[ne - 1].proto == p && e[ne - 1].hi + 1 == port && runs_equal(e[ne - 1].runs, runs[k])) {
                                e[ne - 1].hi = port;
                                continue;
                        }
                        if (PS_GROW(e, cap, ne + 1, SIZE_MAX) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                        e[ne++] = (struct entry){ port, port, p, runs[k] };
                }
        if (ne)
                qsort(e, ne, sizeof(*e), cmp_entry);
        struct index_ctx ctx = { names, dates, rows, nv, &t, e, ne };
        snprintf(path, sizeof(path), "%s/" SNAP_DIR "/history.txt", datadir);
        r = ps_write_atomic(path, 0644, fill_index, &ctx);
        if (r < 0)
                snprintf(errbuf, errlen, "%s: %s", path, strerror(-r));
        else if (damaged)
                r = 1; /* written, with a warning in errbuf */
out:
        if (r == -ENOMEM)
                snprintf(errbuf, errlen, "%s", _("out of memory"));
        if (runs)
                for (size_t k = 0; k < NP; k++)
                        free(runs[k]);
        free(runs);
        free(last);
        free(start);
        free(dates);
        free(rows);
        free(e);
        interner_free(&t);
        free_list(names, nv);
        return r;
}

int update_snapshot_add(const char *datadir, const char *data, size_t len, const char *date, unsigned keep,
                        char *errbuf, size_t errlen)
{
        char dir[1200], sha[65], path[1400], tag[32];
        char **v = NULL;
        size_t n = 0;
        bool have = false;
        int r;

        snprintf(dir, sizeof(dir), "%s/" SNAP_DIR, datadir);
        /* Readable by all, as the registry copy beside it is (the system units' state directory is
         * 0755 for the DynamicUser of serve, which reads history.txt); a user's data directory
         * (0700) still keeps it private. */
        r = ps_mkdir_p(datadir);
        if (r == 0 && mkdir(dir, 0755) < 0 && errno != EEXIST)
                r = -errno;
        if (r == 0)
                r = update_sha256(data, len, sha);
        if (r == 0)
                r = list_snapshots(dir, &v, &n);
        if (r < 0) {
                snprintf(errbuf, errlen, "%s: %s", dir, strerror(-r));
                return r;
        }
        /* The same bytes are kept once, whatever the date in the name. */
        snprintf(tag, sizeof(tag), "_%.16s" SNAP_SUFFIX, sha);
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(v[i]);
                have |= l >= strlen(tag) && strcmp(v[i] + l - strlen(tag), tag) == 0;
        }
        free_list(v, n);
        if (!have) {
                unsigned char *gz;
                size_t gzlen;
                r = gzip(data, len, &gz, &gzlen);
                if (r == 0) {
                        snprintf(path, sizeof(path), "%s/%s%s", dir, *date ? date : "undated", tag);
                        r = ps_write_file_atomic(path, gz, gzlen, 0644);
                        free(gz);
                }
                if (r < 0) {
                        snprintf(errbuf, errlen, _("cannot store a snapshot in %s: %s"), dir, strerror(-r));
                        return r;
                }
        }
        r = list_snapshots(dir, &v, &n);
        if (r < 0) {
                snprintf(errbuf, errlen, "%s: %s", dir, strerror(-r));
                return r;
        }
        /* The oldest go first, never the version just installed. */
        for (size_t i = 0, left = n; keep && i < n && left > keep; i++) {
                size_t l = strlen(v[i]);
                if (l >= strlen(tag) && strcmp(v[i] + l - strlen(tag), tag) == 0)
                        continue;
                left--;
                snprintf(path, sizeof(path), "%s/%s", dir, v[i]);
                if (unlink(path) < 0 && errno != ENOENT) {
                        r = -errno;
                        snprintf(errbuf, errlen, _("cannot remove %s: %s"), path, strerror(-r));
                        free_list(v, n);
                        return r;
                }
        }
        free_list(v, n);
        return write_index(datadir, dir, errbuf, errlen);
}
