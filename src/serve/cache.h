/* portscope serve — the response cache: rendered GET responses kept by request target and
 * variant, bounded in entries and bytes, evicted least recently used first.
 *
 * A key is the request target as the client sent it (path and query) plus a variant string that
 * names every request header the response varies on (its Vary): the content encoding and the
 * language, built by http_cache_variant(). Only responses that depend on nothing but the key and
 * the data the server holds (the registry, the knowledge file) belong here: never anything per
 * client (feedback, rate-limited answers), with live counters (/stats, /metrics, listeners), nor
 * errors that echo what a client sent.
 *
 * The values are opaque to the cache (the server keeps struct cached in it); the cache
 * calls free_value when the last holder lets go of an evicted or cleared entry. Lookups hand out
 * a held reference, so an entry evicted while a request still sends it stays alive until
 * http_cache_release(). http_cache_clear() drops everything (the registry or knowledge was
 * replaced); a value rendered from the old data is refused by http_cache_put() afterwards,
 * because the generation it was rendered under is gone. Thread-safe: the table is split in
 * shards, each under its own lock held only for the lookup itself. No h2o here, so that the unit
 * tests can drive it directly. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_cache;
struct http_cache_entry;
struct http_cache_front;

/* free_value(value, arg) frees one value; arg is given here once. */
typedef void http_cache_free_fn(void *value, void *arg);

/* A cache of at most max_entries entries and max_bytes bytes (the sizes given to put, plus the
 * key's). NULL when out of memory. */
struct http_cache *http_cache_new(size_t max_entries, size_t max_bytes, http_cache_free_fn *free_value, void *arg);
/* Frees every entry; no reference may be held any more. Accepts NULL. */
void http_cache_free(struct http_cache *c);

#define HTTP_CACHE_VARIANT_MAX 48
/* Writes the variant of a response into out: the language code ("en"; NULL or "": none) and the
 * content encoding ("gzip"; NULL or "": identity), as "lang=en;enc=gzip". Adding a dimension
 * (a header the responses vary on) means adding it here, and to http_cache_vary_covered(). */
void http_cache_variant(char out[HTTP_CACHE_VARIANT_MAX], const char *lang, const char *encoding);
/* Whether every request header named in a response's Vary value (NULL: none) is one that the
 * variant captures (Accept-Encoding, Accept-Language). A response that varies on anything else
 * (or on "*") must not be cached. */
bool http_cache_vary_covered(const char *vary);

/* The generation to pass to http_cache_put() for a value about to be rendered: read it before
 * reading the data the value is made of. */
uint64_t http_cache_generation(const struct http_cache *c);

/* The entry for target[0..len) and variant, held (release it), or NULL. */
struct http_cache_entry *http_cache_get(struct http_cache *c, const char *target, size_t len, const char *variant);
/* Stores value (of size bytes) for target and variant, and returns it held. When another thread
 * stored the same key first, value is freed and that entry is returned instead. When value cannot
 * be kept (out of memory, larger than the whole budget, the cache was cleared since generation),
 * it is returned held all the same, but in an entry of its own that the last release frees. NULL
 * only when out of memory (value freed). */
struct http_cache_entry *http_cache_put(struct http_cache *c, const char *target, size_t len, const char *variant,
                                        void *value, size_t size, uint64_t generation);
/* The value of a held entry (borrowed while held). */
void *http_cache_value(const struct http_cache_entry *e);
/* Lets go of an entry that get or put returned. Accepts NULL. */
void http_cache_release(struct http_cache *c, struct http_cache_entry *e);
/* Drops every entry (held ones live on until released) and starts a new generation. */
void http_cache_clear(struct http_cache *c);

/* A front: the few entries one thread looked up last, held by it, so that looking them up again
 * takes no lock and writes no memory that other threads read (a cache line bounced between cores
 * on every request costs more than the lookup). One thread at a time may use a front. Its entries
 * live on when the cache evicts them, until the front lets go of them: at most 8 per front beyond
 * the cache's bounds. A front must be freed before its cache. NULL when out of memory. */
struct http_cache_front *http_cache_front_new(struct http_cache *c);
void http_cache_front_free(struct http_cache_front *f);
/* http_cache_get() through f: the entry is borrowed (not to be released), valid until the next
 * call on f or its free; NULL when the cache does not hold it. A hit in f counts as a hit. */
struct http_cache_entry *http_cache_front_get(struct http_cache_front *f, const char *target, size_t len,
                                              const char *variant);
/* Keeps e (just returned by http_cache_front_get() on f) alive past the next calls on f, until as
 * many unpins: a response written from it a little at a time (a slow client) while the thread
 * serves others. Takes no lock and writes nothing another thread reads. On f's thread only. */
void http_cache_front_pin(struct http_cache_front *f, struct http_cache_entry *e);
void http_cache_front_unpin(struct http_cache_front *f, struct http_cache_entry *e);

struct http_cache_stats {
        size_t entries, bytes;
        uint64_t hits, misses, evictions;
};
void http_cache_stats(struct http_cache *c, struct http_cache_stats *ret);
