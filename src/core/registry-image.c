/* The registry's index image: one position-independent block of rows, per-port indexes, observed
 * lines and strings, built from a builder, kept in a cache file keyed to the sources, and mmap'd
 * on the next run so that answering for one port touches a few pages only. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry-internal.h"

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

int registry_image_build(struct builder *b, const char *path, const struct file_key *src, const char *obs_path,
                         const struct file_key *obs, unsigned char **ret, size_t *ret_size)
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

struct registry *registry_image_wrap(const unsigned char *img, size_t size, bool mapped)
{
        struct registry *r = calloc(1, sizeof(*r));
        if (!r)
                return NULL;
        pthread_mutex_init(&r->rank_lock, NULL);
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
        free(atomic_load(&r->rank));
        pthread_mutex_destroy(&r->rank_lock);
        free(r);
}

void registry_file_key(const struct stat *st, struct file_key *k)
{
        memset(k, 0, sizeof(*k));
        k->size = (uint64_t)st->st_size;
        k->ino = st->st_ino;
        k->dev = st->st_dev;
        k->mtime_sec = st->st_mtim.tv_sec;
        k->mtime_nsec = st->st_mtim.tv_nsec;
}

static bool key_equal(const struct file_key *a, const struct file_key *b)
{
        return a->size == b->size && a->ino == b->ino && a->dev == b->dev && a->mtime_sec == b->mtime_sec &&
               a->mtime_nsec == b->mtime_nsec;
}

struct registry *registry_image_map(const char *cache, const struct file_key *src, const struct file_key *obs)
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
        struct registry *r = registry_image_wrap(m, (size_t)st.st_size, true);
        if (!r)
                munmap(m, (size_t)st.st_size);
        return r;
}

bool registry_image_valid(const struct registry *r)
{
        return image_valid(r->base, r->size);
}
