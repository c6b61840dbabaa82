/* The registry's index image, shared by its parts: registry-parse.c (sources into a builder),
 * registry-image.c (the builder into an image; validating and mapping the cached image),
 * registry-open.c (finding the sources and the cache) and registry.c (queries on an image).
 * Internal to the core. */
#pragma once

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "portscope/registry.h"
#include "portscope/util.h"

#define IDX_MAGIC "PSIDX\0\0\2"
/* Bumped when what is parsed into the image changes (4: "IANA Reserved" rows are reserved, and
 * impossible dates are not dates), so that cached images of an unchanged source are rebuilt. */
#define IDX_VERSION 4u
#define NCOLS 12
#define MAX_SOURCE_SIZE (256u << 20)
#define MAX_COVER (4u << 20)

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
        /* registry_observed_rank()'s answers, [PS_NPROTO][65536] (0: not observed), made on
         * first use: a registry is shared between threads (serve), hence the lock. */
        _Atomic(uint16_t *) rank;
        atomic_uint rank_calls; /* the first few are answered by a scan: a table costs ms to make */
        pthread_mutex_t rank_lock;
};

/* ---- a growable byte buffer used while building -------------------------------------------- */

struct buf {
        char *data;
        size_t len, cap;
};

static inline int buf_reserve(struct buf *b, size_t more)
{
        if (more > SIZE_MAX - b->len || PS_GROW(b->data, b->cap, b->len + more, SIZE_MAX) < 0)
                return -ENOMEM;
        return 0;
}

static inline int buf_add(struct buf *b, const void *p, size_t n)
{
        if (buf_reserve(b, n) < 0)
                return -ENOMEM;
        memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
}

/* Appends a NUL-terminated string to the pool; returns its offset (0 is the empty string). */
static inline int64_t pool_add(struct buf *pool, const char *s, size_t n)
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

/* The sources parsed so far: rows and observed lines, their strings in one pool. */
struct builder {
        const char *name;
        enum registry_source_kind kind;
        struct buf pool;       /* strings */
        struct buf rows;       /* struct idx_row */
        struct buf obs;        /* struct idx_obs */
        char date[16];
};

static inline const char *pool_str(const struct builder *b, uint32_t off)
{
        return b->pool.data + off;
}

/* Parses a source (kind -1: detected from its content) and nmap-services (obs_data may be NULL)
 * into a malloc'd image (*ret, *ret_size; caller frees). src and obs are recorded in the image's
 * header for the cache. Returns 0 or -errno with *err filled in. */
int registry_build(const char *name, const char *data, size_t len, int kind, const struct file_key *src,
                   const char *obs_path, const char *obs_data, size_t obs_len, const struct file_key *obs,
                   unsigned char **ret, size_t *ret_size, struct ps_error *err);

/* Lays out the builder's rows, indexes, observed lines and strings as one image (*ret malloc'd,
 * caller frees). Returns 0, -ENOMEM or -EFBIG (ranges covering more than MAX_COVER pairs). */
int registry_image_build(struct builder *b, const char *path, const struct file_key *src, const char *obs_path,
                         const struct file_key *obs, unsigned char **ret, size_t *ret_size);
/* Wraps an image in a registry, which takes ownership of it (munmap'd when mapped, else freed);
 * NULL when out of memory (the image is then still the caller's). */
struct registry *registry_image_wrap(const unsigned char *img, size_t size, bool mapped);
/* Maps the cache file when its header is sound and its keys equal src and obs; NULL otherwise. */
struct registry *registry_image_map(const char *cache, const struct file_key *src, const struct file_key *obs);
/* The key a cache is checked against: size, inode, device and modification time of a file. */
void registry_file_key(const struct stat *st, struct file_key *k);
/* Full validation of an image, for tests and `registry --verify`. */
bool registry_image_valid(const struct registry *r);
