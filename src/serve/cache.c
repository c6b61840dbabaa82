/* portscope serve — the response cache (see cache.h).
 *
 * SHARDS tables, each a hash table of chains plus a least-recently-used list under one mutex; a
 * key goes to the shard its hash names, and each shard keeps its share of both bounds. An entry
 * carries a reference count: the table holds one while the entry is linked, every get or put
 * hands out one more, and the last release frees the value. So eviction never waits for a
 * request that is still sending the value, and a request never sees it freed under it.
 *
 * A front (one per worker thread) holds the few entries its thread looked up last: a hit there
 * takes no lock and writes nothing another thread reads. Without it, every thread that serves the
 * same page writes the same shard lock, reference count and hit counter on every request, and
 * those cache lines go from core to core each time. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cache.h"
#include "portscope/util.h"

#define SHARDS_MAX 16
#define SHARD_MIN_ENTRIES 16 /* a small cache has fewer shards: its LRU order stays exact */

struct http_cache_entry {
        struct http_cache_entry *chain;      /* the next in the hash bucket */
        struct http_cache_entry *prev, *next; /* the LRU list: head is the most recently used */
        atomic_uint refs;
        uint64_t hash;
        void *value;
        size_t size;   /* charged against the byte bound */
        size_t tlen;   /* the target's length; the variant follows its NUL */
        char key[];    /* target NUL variant NUL */
};

struct shard {
        pthread_mutex_t lock;
        struct http_cache_entry **buckets;
        size_t nbuckets; /* a power of two */
        struct http_cache_entry *head, *tail;
        size_t entries, bytes, max_entries, max_bytes;
};

struct http_cache {
        http_cache_free_fn *free_value;
        void *arg;
        _Atomic uint64_t generation;
        atomic_uint_fast64_t hits, misses, evictions;
        pthread_mutex_t fronts_lock;
        struct http_cache_front *fronts; /* under fronts_lock: their hits count too */
        size_t nshards;
        struct shard shards[SHARDS_MAX];
};

#define FRONT_ENTRIES 8

struct http_cache_front {
        struct http_cache *cache;
        struct http_cache_front *next;        /* the cache's fronts */
        uint64_t generation;                  /* the cache's when these entries were looked up */
        unsigned used, victim;                /* entries in e; the next one to let go when full */
        struct http_cache_entry *e[FRONT_ENTRIES]; /* held */
        unsigned pins[FRONT_ENTRIES];         /* responses being written from e[i] */
        /* Entries that left e while pinned, each with the front's reference to it, let go of
         * when its last pin goes (http_cache_front_unpin()). */
        struct parked { struct http_cache_entry *e; unsigned pins; } *parked;
        size_t nparked, capparked;
        atomic_uint_fast64_t hits;            /* written by the owning thread only */
} __attribute__((aligned(64)));

static size_t pow2_at_least(size_t n)
{
        size_t p = 16;
        while (p < n && p < ((size_t)1 << 30))
                p <<= 1;
        return p;
}

struct http_cache *http_cache_new(size_t max_entries, size_t max_bytes, http_cache_free_fn *free_value, void *arg)
{
        if (max_entries == 0 || max_bytes == 0)
                return NULL;
        struct http_cache *c = calloc(1, sizeof *c);
        if (!c)
                return NULL;
        c->free_value = free_value;
        c->arg = arg;
        pthread_mutex_init(&c->fronts_lock, NULL);
        c->nshards = max_entries / SHARD_MIN_ENTRIES;
        if (c->nshards < 1)
                c->nshards = 1;
        if (c->nshards > SHARDS_MAX)
                c->nshards = SHARDS_MAX;
        for (size_t i = 0; i < c->nshards; i++) {
                struct shard *sh = &c->shards[i];
                /* The remainders go to the first shards: the bounds add up exactly. */
                sh->max_entries = max_entries / c->nshards + (i < max_entries % c->nshards);
                sh->max_bytes = max_bytes / c->nshards + (i < max_bytes % c->nshards);
                sh->nbuckets = pow2_at_least(sh->max_entries);
                sh->buckets = calloc(sh->nbuckets, sizeof *sh->buckets);
                pthread_mutex_init(&sh->lock, NULL);
                if (!sh->buckets) {
                        c->nshards = i + 1;
                        http_cache_free(c);
                        return NULL;
                }
        }
        return c;
}

static void entry_unref(struct http_cache *c, struct http_cache_entry *e)
{
        if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) != 1)
                return;
        if (c->free_value)
                c->free_value(e->value, c->arg);
        free(e);
}

void http_cache_release(struct http_cache *c, struct http_cache_entry *e)
{
        if (e)
                entry_unref(c, e);
}

void *http_cache_value(const struct http_cache_entry *e)
{
        return e->value;
}

/* Unlinks e from sh (locked); the table's reference goes to the caller. */
static void shard_unlink(struct shard *sh, struct http_cache_entry *e)
{
        struct http_cache_entry **pp = &sh->buckets[e->hash & (sh->nbuckets - 1)];
        while (*pp != e)
                pp = &(*pp)->chain;
        *pp = e->chain;
        if (e->prev)
                e->prev->next = e->next;
        else
                sh->head = e->next;
        if (e->next)
                e->next->prev = e->prev;
        else
                sh->tail = e->prev;
        e->prev = e->next = e->chain = NULL;
        sh->entries--;
        sh->bytes -= e->size;
}

static void shard_push_front(struct shard *sh, struct http_cache_entry *e)
{
        e->prev = NULL;
        e->next = sh->head;
        if (sh->head)
                sh->head->prev = e;
        sh->head = e;
        if (!sh->tail)
                sh->tail = e;
}

void http_cache_free(struct http_cache *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->nshards; i++) {
                struct shard *sh = &c->shards[i];
                while (sh->head) {
                        struct http_cache_entry *e = sh->head;
                        shard_unlink(sh, e);
                        entry_unref(c, e);
                }
                free(sh->buckets);
                pthread_mutex_destroy(&sh->lock);
        }
        pthread_mutex_destroy(&c->fronts_lock);
        free(c);
}

/* Appends s (at most max bytes of it) at *p. */
static void variant_add(char **p, const char *s, size_t max)
{
        size_t n = strnlen(s, max);
        memcpy(*p, s, n);
        *p += n;
}

void http_cache_variant(char out[HTTP_CACHE_VARIANT_MAX], const char *lang, const char *encoding)
{
        /* Built on every cacheable request: by hand, not with snprintf. 5 + 16 + 5 + 16 + 1 fits. */
        char *p = out;
        variant_add(&p, "lang=", 5);
        variant_add(&p, lang ? lang : "", 16);
        variant_add(&p, ";enc=", 5);
        variant_add(&p, encoding && *encoding ? encoding : "identity", 16);
        *p = '\0';
}

bool http_cache_vary_covered(const char *vary)
{
        static const char *const covered[] = { "Accept-Encoding", "Accept-Language" };
        if (!vary)
                return true;
        const char *p = vary;
        while (*p) {
                while (*p == ' ' || *p == '\t' || *p == ',')
                        p++;
                size_t n = strcspn(p, " \t,");
                if (n == 0)
                        break;
                bool ok = false;
                for (size_t i = 0; i < sizeof covered / sizeof covered[0]; i++)
                        if (n == strlen(covered[i]) && strncasecmp(p, covered[i], n) == 0)
                                ok = true;
                if (!ok)
                        return false; /* another header, or "*" */
                p += n;
        }
        return true;
}

uint64_t http_cache_generation(const struct http_cache *c)
{
        return atomic_load_explicit(&c->generation, memory_order_acquire);
}

static uint64_t key_hash(const char *target, size_t len, const char *variant)
{
        /* FNV-1a over target NUL variant, continued by hand to avoid building the key. */
        uint64_t h = ps_fnv1a(target, len) * 0x100000001b3ULL; /* the NUL: xor 0, multiply */
        for (const unsigned char *v = (const unsigned char *)variant; *v; v++) {
                h ^= *v;
                h *= 0x100000001b3ULL;
        }
        return h;
}

static bool key_equal(const struct http_cache_entry *e, const char *target, size_t len, const char *variant)
{
        return e->tlen == len && memcmp(e->key, target, len) == 0 && strcmp(e->key + len + 1, variant) == 0;
}

static struct shard *shard_of(struct http_cache *c, uint64_t h)
{
        /* The high bits pick the shard, the low ones the bucket. */
        return &c->shards[(h >> 40) % c->nshards];
}

static struct http_cache_entry *shard_find(struct shard *sh, uint64_t h, const char *target, size_t len,
                                           const char *variant)
{
        for (struct http_cache_entry *e = sh->buckets[h & (sh->nbuckets - 1)]; e; e = e->chain)
                if (e->hash == h && key_equal(e, target, len, variant))
                        return e;
        return NULL;
}

struct http_cache_entry *http_cache_get(struct http_cache *c, const char *target, size_t len, const char *variant)
{
        uint64_t h = key_hash(target, len, variant);
        struct shard *sh = shard_of(c, h);
        pthread_mutex_lock(&sh->lock);
        struct http_cache_entry *e = shard_find(sh, h, target, len, variant);
        if (e) {
                atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
                if (sh->head != e) {
                        /* Most recently used: to the front. */
                        e->prev->next = e->next;
                        if (e->next)
                                e->next->prev = e->prev;
                        else
                                sh->tail = e->prev;
                        shard_push_front(sh, e);
                }
        }
        pthread_mutex_unlock(&sh->lock);
        atomic_fetch_add_explicit(e ? &c->hits : &c->misses, 1, memory_order_relaxed);
        return e;
}

struct http_cache_entry *http_cache_put(struct http_cache *c, const char *target, size_t len, const char *variant,
                                        void *value, size_t size, uint64_t generation)
{
        size_t vlen = strlen(variant);
        struct http_cache_entry *e = malloc(sizeof *e + len + vlen + 2);
        if (!e) {
                if (c->free_value)
                        c->free_value(value, c->arg);
                return NULL;
        }
        memset(e, 0, sizeof *e);
        e->hash = key_hash(target, len, variant);
        e->value = value;
        e->tlen = len;
        e->size = size + sizeof *e + len + vlen + 2;
        memcpy(e->key, target, len);
        e->key[len] = '\0';
        memcpy(e->key + len + 1, variant, vlen + 1);
        atomic_init(&e->refs, 1); /* the caller's */

        struct shard *sh = shard_of(c, e->hash);
        struct http_cache_entry *evicted = NULL; /* chained through ->chain, released unlocked */
        pthread_mutex_lock(&sh->lock);
        if (e->size > sh->max_bytes || generation != atomic_load_explicit(&c->generation, memory_order_acquire)) {
                pthread_mutex_unlock(&sh->lock);
                return e; /* served once, never kept */
        }
        struct http_cache_entry *old = shard_find(sh, e->hash, target, len, variant);
        if (old) {
                /* Another thread rendered the same response first: share its entry. */
                atomic_fetch_add_explicit(&old->refs, 1, memory_order_relaxed);
                pthread_mutex_unlock(&sh->lock);
                entry_unref(c, e);
                return old;
        }
        while (sh->tail && (sh->entries + 1 > sh->max_entries || sh->bytes + e->size > sh->max_bytes)) {
                struct http_cache_entry *lru = sh->tail;
                shard_unlink(sh, lru);
                lru->chain = evicted;
                evicted = lru;
                atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
        }
        atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed); /* the table's */
        struct http_cache_entry **bucket = &sh->buckets[e->hash & (sh->nbuckets - 1)];
        e->chain = *bucket;
        *bucket = e;
        shard_push_front(sh, e);
        sh->entries++;
        sh->bytes += e->size;
        pthread_mutex_unlock(&sh->lock);
        while (evicted) {
                struct http_cache_entry *next = evicted->chain;
                entry_unref(c, evicted);
                evicted = next;
        }
        return e;
}

void http_cache_clear(struct http_cache *c)
{
        /* First the generation: a value rendered from the old data is refused from now on. */
        atomic_fetch_add_explicit(&c->generation, 1, memory_order_acq_rel);
        for (size_t i = 0; i < c->nshards; i++) {
                struct shard *sh = &c->shards[i];
                pthread_mutex_lock(&sh->lock);
                struct http_cache_entry *all = NULL;
                while (sh->head) {
                        struct http_cache_entry *e = sh->head;
                        shard_unlink(sh, e);
                        e->chain = all;
                        all = e;
                }
                pthread_mutex_unlock(&sh->lock);
                while (all) {
                        struct http_cache_entry *next = all->chain;
                        entry_unref(c, all);
                        all = next;
                }
        }
}

void http_cache_stats(struct http_cache *c, struct http_cache_stats *ret)
{
        struct http_cache_stats st = { 0 };
        for (size_t i = 0; i < c->nshards; i++) {
                struct shard *sh = &c->shards[i];
                pthread_mutex_lock(&sh->lock);
                st.entries += sh->entries;
                st.bytes += sh->bytes;
                pthread_mutex_unlock(&sh->lock);
        }
        st.hits = atomic_load_explicit(&c->hits, memory_order_relaxed);
        pthread_mutex_lock(&c->fronts_lock);
        for (const struct http_cache_front *f = c->fronts; f; f = f->next)
                st.hits += atomic_load_explicit(&f->hits, memory_order_relaxed);
        pthread_mutex_unlock(&c->fronts_lock);
        st.misses = atomic_load_explicit(&c->misses, memory_order_relaxed);
        st.evictions = atomic_load_explicit(&c->evictions, memory_order_relaxed);
        *ret = st;
}

struct http_cache_front *http_cache_front_new(struct http_cache *c)
{
        struct http_cache_front *f = aligned_alloc(_Alignof(struct http_cache_front), sizeof *f);
        if (!f)
                return NULL;
        memset(f, 0, sizeof *f);
        f->cache = c;
        f->generation = http_cache_generation(c);
        pthread_mutex_lock(&c->fronts_lock);
        f->next = c->fronts;
        c->fronts = f;
        pthread_mutex_unlock(&c->fronts_lock);
        return f;
}

/* The front lets go of slot i: its reference now, or when its pins go (parked). */
static void front_let_go(struct http_cache_front *f, unsigned i)
{
        if (!f->pins[i]) {
                entry_unref(f->cache, f->e[i]);
                return;
        }
        if (f->nparked == f->capparked) {
                size_t cap = f->capparked ? 2 * f->capparked : 8;
                struct parked *p = realloc(f->parked, cap * sizeof *p);
                if (!p) { /* out of memory: the reference is kept for ever, the response stays whole */
                        f->pins[i] = 0;
                        return;
                }
                f->parked = p;
                f->capparked = cap;
        }
        f->parked[f->nparked++] = (struct parked){ f->e[i], f->pins[i] };
        f->pins[i] = 0;
}

static void front_drop(struct http_cache_front *f)
{
        for (unsigned i = 0; i < f->used; i++)
                front_let_go(f, i);
        f->used = f->victim = 0;
}

void http_cache_front_pin(struct http_cache_front *f, struct http_cache_entry *e)
{
        for (unsigned i = 0; i < f->used; i++)
                if (f->e[i] == e) {
                        f->pins[i]++;
                        return;
                }
        for (size_t i = 0; i < f->nparked; i++)
                if (f->parked[i].e == e) {
                        f->parked[i].pins++;
                        return;
                }
}

/* The pins of one entry may sit on its slot and on parked records (it came back to the front
 * after it was parked): every record holds a reference, the pins count the responses being
 * written over all of them, and a record lets go only when it has none. */
void http_cache_front_unpin(struct http_cache_front *f, struct http_cache_entry *e)
{
        for (unsigned i = 0; i < f->used; i++)
                if (f->e[i] == e && f->pins[i]) {
                        f->pins[i]--;
                        return;
                }
        for (size_t i = 0; i < f->nparked; i++)
                if (f->parked[i].e == e && f->parked[i].pins) {
                        if (--f->parked[i].pins == 0) {
                                entry_unref(f->cache, e);
                                f->parked[i] = f->parked[--f->nparked];
                        }
                        return;
                }
}

void http_cache_front_free(struct http_cache_front *f)
{
        if (!f)
                return;
        struct http_cache *c = f->cache;
        front_drop(f);
        for (size_t i = 0; i < f->nparked; i++) /* no response is being written any more */
                entry_unref(c, f->parked[i].e);
        free(f->parked);
        pthread_mutex_lock(&c->fronts_lock);
        struct http_cache_front **pp = &c->fronts; /* a few, one per thread */
        while (*pp != f)
                pp = &(*pp)->next;
        *pp = f->next;
        /* Its hits stay counted. */
        atomic_fetch_add_explicit(&c->hits, atomic_load_explicit(&f->hits, memory_order_relaxed), memory_order_relaxed);
        pthread_mutex_unlock(&c->fronts_lock);
        free(f);
}

struct http_cache_entry *http_cache_front_get(struct http_cache_front *f, const char *target, size_t len,
                                              const char *variant)
{
        /* Read before the lookup below: if the cache is cleared after this, the next call sees a
         * newer generation and lets go of whatever this one keeps. */
        uint64_t g = http_cache_generation(f->cache);
        if (g != f->generation) {
                front_drop(f);
                f->generation = g;
        }
        for (unsigned i = 0; i < f->used; i++) {
                struct http_cache_entry *e = f->e[i];
                if (key_equal(e, target, len, variant)) {
                        atomic_store_explicit(&f->hits, atomic_load_explicit(&f->hits, memory_order_relaxed) + 1,
                                              memory_order_relaxed);
                        return e;
                }
        }
        struct http_cache_entry *e = http_cache_get(f->cache, target, len, variant);
        if (!e)
                return NULL;
        if (f->used < FRONT_ENTRIES) {
                f->e[f->used++] = e;
        } else {
                front_let_go(f, f->victim);
                f->e[f->victim] = e;
                f->victim = (f->victim + 1) % FRONT_ENTRIES;
        }
        return e;
}
