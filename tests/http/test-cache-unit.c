/* Unit tests of portscope serve's response cache (src/serve/cache.c): hits and misses, variant
 * separation, the bounds in entries and bytes (least recently used first), invalidation,
 * entries held across eviction, and the per-thread fronts. The values are counted tokens, so every free is seen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/cache.h"

struct token {
        int id;
        int *freed; /* incremented when the cache frees the token */
};

static void token_free(void *value, void *arg)
{
        struct token *t = value;
        (*t->freed)++;
        (void)arg;
        free(t);
}

static struct token *token(int id, int *freed)
{
        struct token *t = malloc(sizeof *t);
        assert_non_null(t);
        t->id = id;
        t->freed = freed;
        return t;
}

static int value_id(const struct http_cache_entry *e)
{
        return ((const struct token *)http_cache_value(e))->id;
}

/* Stores id under target/variant and lets go of it. */
static void put(struct http_cache *c, const char *target, const char *variant, int id, int *freed, size_t size)
{
        struct http_cache_entry *e =
                http_cache_put(c, target, strlen(target), variant, token(id, freed), size, http_cache_generation(c));
        assert_non_null(e);
        assert_int_equal(value_id(e), id);
        http_cache_release(c, e);
}

/* The id stored under target/variant, or -1. */
static int get(struct http_cache *c, const char *target, const char *variant)
{
        struct http_cache_entry *e = http_cache_get(c, target, strlen(target), variant);
        if (!e)
                return -1;
        int id = value_id(e);
        http_cache_release(c, e);
        return id;
}

static void test_hit_miss(void **state)
{
        (void)state;
        int freed = 0;
        struct http_cache *c = http_cache_new(100, 1 << 20, token_free, NULL);
        assert_non_null(c);
        char v[HTTP_CACHE_VARIANT_MAX];
        http_cache_variant(v, "en", NULL);
        assert_int_equal(get(c, "/ports/625", v), -1);
        put(c, "/ports/625", v, 1, &freed, 1000);
        assert_int_equal(get(c, "/ports/625", v), 1);
        assert_int_equal(get(c, "/ports/625", v), 1);
        /* The target is the whole key: another path, a query, a prefix are other entries. */
        assert_int_equal(get(c, "/ports/62", v), -1);
        assert_int_equal(get(c, "/ports/625?x=1", v), -1);
        assert_int_equal(get(c, "/ports/6250", v), -1);
        struct http_cache_stats st;
        http_cache_stats(c, &st);
        assert_int_equal(st.entries, 1);
        assert_true(st.bytes >= 1000);
        assert_int_equal(st.hits, 2);
        assert_int_equal(st.misses, 4);
        assert_int_equal(freed, 0);
        /* A second put of the same key (two threads rendered it at once) keeps the first. */
        struct http_cache_entry *e = http_cache_put(c, "/ports/625", 10, v, token(2, &freed), 1000, http_cache_generation(c));
        assert_non_null(e);
        assert_int_equal(value_id(e), 1);
        assert_int_equal(freed, 1);
        http_cache_release(c, e);
        http_cache_free(c);
        assert_int_equal(freed, 2);
}

static void test_variants(void **state)
{
        (void)state;
        int freed = 0;
        struct http_cache *c = http_cache_new(100, 1 << 20, token_free, NULL);
        assert_non_null(c);
        char en[HTTP_CACHE_VARIANT_MAX], en_gz[HTTP_CACHE_VARIANT_MAX], he[HTTP_CACHE_VARIANT_MAX],
                he_gz[HTTP_CACHE_VARIANT_MAX], none[HTTP_CACHE_VARIANT_MAX];
        http_cache_variant(en, "en", NULL);
        http_cache_variant(en_gz, "en", "gzip");
        http_cache_variant(he, "he", "");
        http_cache_variant(he_gz, "he", "gzip");
        http_cache_variant(none, NULL, NULL);
        assert_string_equal(en, "lang=en;enc=identity");
        assert_string_equal(he_gz, "lang=he;enc=gzip");
        assert_string_equal(none, "lang=;enc=identity");
        put(c, "/ports/625", en, 1, &freed, 100);
        assert_int_equal(get(c, "/ports/625", en_gz), -1);
        assert_int_equal(get(c, "/ports/625", he), -1);
        assert_int_equal(get(c, "/ports/625", none), -1);
        put(c, "/ports/625", en_gz, 2, &freed, 100);
        put(c, "/ports/625", he, 3, &freed, 100);
        put(c, "/ports/625", he_gz, 4, &freed, 100);
        assert_int_equal(get(c, "/ports/625", en), 1);
        assert_int_equal(get(c, "/ports/625", en_gz), 2);
        assert_int_equal(get(c, "/ports/625", he), 3);
        assert_int_equal(get(c, "/ports/625", he_gz), 4);
        /* Target and variant do not run into each other. */
        put(c, "/a", "bc", 5, &freed, 100);
        assert_int_equal(get(c, "/ab", "c"), -1);
        assert_int_equal(get(c, "/a", "bc"), 5);
        assert_int_equal(freed, 0);
        http_cache_free(c);
        assert_int_equal(freed, 5);
}

static void test_vary(void **state)
{
        (void)state;
        assert_true(http_cache_vary_covered(NULL));
        assert_true(http_cache_vary_covered(""));
        assert_true(http_cache_vary_covered("Accept-Encoding"));
        assert_true(http_cache_vary_covered("accept-encoding, Accept-Language"));
        assert_false(http_cache_vary_covered("*"));
        assert_false(http_cache_vary_covered("Accept-Encoding, Cookie"));
        assert_false(http_cache_vary_covered("User-Agent"));
        assert_false(http_cache_vary_covered("Accept-Encodings"));
}

static void test_bound_entries(void **state)
{
        (void)state;
        int freed = 0;
        /* A small cache has one shard: the order of eviction is exact. */
        struct http_cache *c = http_cache_new(3, 1 << 20, token_free, NULL);
        assert_non_null(c);
        put(c, "/1", "v", 1, &freed, 10);
        put(c, "/2", "v", 2, &freed, 10);
        put(c, "/3", "v", 3, &freed, 10);
        assert_int_equal(get(c, "/1", "v"), 1); /* /1 used: /2 is now the least recently used */
        put(c, "/4", "v", 4, &freed, 10);
        assert_int_equal(freed, 1);
        assert_int_equal(get(c, "/2", "v"), -1);
        assert_int_equal(get(c, "/1", "v"), 1);
        assert_int_equal(get(c, "/3", "v"), 3);
        assert_int_equal(get(c, "/4", "v"), 4);
        struct http_cache_stats st;
        http_cache_stats(c, &st);
        assert_int_equal(st.entries, 3);
        assert_int_equal(st.evictions, 1);
        http_cache_free(c);
        assert_int_equal(freed, 4);

        /* A large cache in shards: never more than its bound, whatever goes in. */
        freed = 0;
        c = http_cache_new(100, 1 << 20, token_free, NULL);
        assert_non_null(c);
        char target[32];
        for (int i = 0; i < 1000; i++) {
                snprintf(target, sizeof target, "/ports/%d", i);
                put(c, target, "v", i, &freed, 10);
        }
        http_cache_stats(c, &st);
        assert_true(st.entries <= 100);
        assert_true(st.entries >= 50);
        assert_int_equal(freed, 1000 - (int)st.entries);
        assert_int_equal(get(c, "/ports/999", "v"), 999);
        http_cache_free(c);
        assert_int_equal(freed, 1000);
}

static void test_bound_bytes(void **state)
{
        (void)state;
        int freed = 0;
        struct http_cache *c = http_cache_new(8, 10000, token_free, NULL);
        assert_non_null(c);
        put(c, "/a", "v", 1, &freed, 4000);
        put(c, "/b", "v", 2, &freed, 4000);
        put(c, "/c", "v", 3, &freed, 4000); /* 12000 > 10000: /a goes */
        assert_int_equal(get(c, "/a", "v"), -1);
        assert_int_equal(get(c, "/b", "v"), 2);
        assert_int_equal(get(c, "/c", "v"), 3);
        struct http_cache_stats st;
        http_cache_stats(c, &st);
        assert_int_equal(st.entries, 2);
        assert_true(st.bytes <= 10000);
        assert_int_equal(freed, 1);
        /* Larger than the whole budget: handed back once, never kept, nothing evicted. */
        struct http_cache_entry *e = http_cache_put(c, "/huge", 5, "v", token(4, &freed), 20000, http_cache_generation(c));
        assert_non_null(e);
        assert_int_equal(value_id(e), 4);
        http_cache_release(c, e);
        assert_int_equal(freed, 2);
        assert_int_equal(get(c, "/huge", "v"), -1);
        assert_int_equal(get(c, "/b", "v"), 2);
        http_cache_free(c);
        assert_int_equal(freed, 4);
}

static void test_invalidation(void **state)
{
        (void)state;
        int freed = 0;
        struct http_cache *c = http_cache_new(100, 1 << 20, token_free, NULL);
        assert_non_null(c);
        put(c, "/ports/625", "v", 1, &freed, 100);
        put(c, "/ports/80", "v", 2, &freed, 100);
        /* A request still sending /ports/625 holds it across the clear. */
        struct http_cache_entry *held = http_cache_get(c, "/ports/625", 10, "v");
        assert_non_null(held);
        /* A value rendered before the clear, stored after it: from the old data, so not kept. */
        uint64_t before = http_cache_generation(c);
        http_cache_clear(c);
        assert_true(http_cache_generation(c) != before);
        assert_int_equal(freed, 1); /* /ports/80; /ports/625 is held */
        assert_int_equal(value_id(held), 1);
        http_cache_release(c, held);
        assert_int_equal(freed, 2);
        assert_int_equal(get(c, "/ports/625", "v"), -1);
        assert_int_equal(get(c, "/ports/80", "v"), -1);
        struct http_cache_entry *stale = http_cache_put(c, "/ports/625", 10, "v", token(3, &freed), 100, before);
        assert_non_null(stale);
        assert_int_equal(value_id(stale), 3);
        http_cache_release(c, stale);
        assert_int_equal(freed, 3);
        assert_int_equal(get(c, "/ports/625", "v"), -1);
        /* Rendered after the clear: kept. */
        put(c, "/ports/625", "v", 4, &freed, 100);
        assert_int_equal(get(c, "/ports/625", "v"), 4);
        struct http_cache_stats st;
        http_cache_stats(c, &st);
        assert_int_equal(st.entries, 1);
        http_cache_free(c);
        assert_int_equal(freed, 4);
}

static void test_held_across_eviction(void **state)
{
        (void)state;
        int freed = 0;
        struct http_cache *c = http_cache_new(1, 1 << 20, token_free, NULL);
        assert_non_null(c);
        put(c, "/a", "v", 1, &freed, 10);
        struct http_cache_entry *a = http_cache_get(c, "/a", 2, "v");
        assert_non_null(a);
        put(c, "/b", "v", 2, &freed, 10); /* evicts /a, which is still held */
        assert_int_equal(freed, 0);
        assert_int_equal(get(c, "/a", "v"), -1);
        assert_int_equal(value_id(a), 1);
        http_cache_release(c, a);
        assert_int_equal(freed, 1);
        http_cache_free(c);
        assert_int_equal(freed, 2);
        assert_null(http_cache_new(0, 100, token_free, NULL));
}

/* The id a front finds under target/variant, or -1. */
static int front_get(struct http_cache_front *f, const char *target, const char *variant)
{
        struct http_cache_entry *e = http_cache_front_get(f, target, strlen(target), variant);
        return e ? value_id(e) : -1;
}

static void test_front(void **state)
{
        (void)state;
        int freed = 0;
        struct http_cache *c = http_cache_new(100, 1 << 20, token_free, NULL);
        assert_non_null(c);
        struct http_cache_front *f = http_cache_front_new(c), *g = http_cache_front_new(c);
        assert_non_null(f);
        assert_non_null(g);
        assert_int_equal(front_get(f, "/ports/625", "v"), -1);
        put(c, "/ports/625", "v", 1, &freed, 100);
        put(c, "/ports/80", "v", 2, &freed, 100);
        /* The first lookup goes to the cache, the next ones are the front's; both are hits. */
        for (int i = 0; i < 3; i++)
                assert_int_equal(front_get(f, "/ports/625", "v"), 1);
        assert_int_equal(front_get(g, "/ports/625", "v"), 1);
        /* The whole key, as in the cache: another variant, a prefix, a longer target miss. */
        assert_int_equal(front_get(f, "/ports/625", "w"), -1);
        assert_int_equal(front_get(f, "/ports/62", "v"), -1);
        assert_int_equal(front_get(f, "/ports/6250", "v"), -1);
        assert_int_equal(front_get(f, "/ports/80", "v"), 2);
        struct http_cache_stats st;
        http_cache_stats(c, &st);
        assert_int_equal(st.hits, 5);   /* 4 of /ports/625 (2 in f's front), 1 of /ports/80 */
        assert_int_equal(st.misses, 4); /* before the put, and the three other keys */

        /* More keys than a front keeps: the oldest it looked up are let go of, and still found
         * in the cache; nothing is freed while the cache keeps them. */
        char t[32];
        for (int i = 0; i < 20; i++) {
                snprintf(t, sizeof t, "/p/%d", i);
                put(c, t, "v", 100 + i, &freed, 10);
        }
        for (int i = 0; i < 20; i++) {
                snprintf(t, sizeof t, "/p/%d", i);
                assert_int_equal(front_get(f, t, "v"), 100 + i);
        }
        assert_int_equal(front_get(f, "/ports/625", "v"), 1);
        assert_int_equal(freed, 0);

        /* Cleared: a front lets go of what it holds at its next lookup, and finds nothing. */
        assert_int_equal(front_get(g, "/ports/625", "v"), 1);
        http_cache_clear(c);
        /* Held, so not freed yet: /ports/625 (by f and g) and the last 7 /p/ f looked up. */
        assert_int_equal(freed, 22 - 8);
        assert_int_equal(front_get(f, "/ports/625", "v"), -1);
        assert_int_equal(front_get(g, "/ports/625", "v"), -1);
        assert_int_equal(freed, 22);
        put(c, "/ports/625", "v", 3, &freed, 100);
        assert_int_equal(front_get(f, "/ports/625", "v"), 3);

        /* A front's hits stay counted after it is freed; its entries are let go of. */
        http_cache_stats(c, &st);
        uint64_t hits = st.hits;
        assert_int_equal(front_get(f, "/ports/625", "v"), 3);
        http_cache_front_free(g);
        http_cache_front_free(f);
        http_cache_stats(c, &st);
        assert_int_equal(st.hits, hits + 1);
        assert_int_equal(freed, 22);
        http_cache_front_free(NULL);
        http_cache_free(c);
        assert_int_equal(freed, 23);
}

static void test_front_held_across_eviction(void **state)
{
        (void)state;
        int freed = 0;
        struct http_cache *c = http_cache_new(1, 1 << 20, token_free, NULL);
        assert_non_null(c);
        struct http_cache_front *f = http_cache_front_new(c);
        assert_non_null(f);
        put(c, "/a", "v", 1, &freed, 10);
        assert_int_equal(front_get(f, "/a", "v"), 1);
        put(c, "/b", "v", 2, &freed, 10); /* evicts /a from the cache: the front still holds it */
        assert_int_equal(get(c, "/a", "v"), -1);
        assert_int_equal(freed, 0);
        assert_int_equal(front_get(f, "/a", "v"), 1);
        http_cache_front_free(f);
        assert_int_equal(freed, 1);
        http_cache_free(c);
        assert_int_equal(freed, 2);
}

/* A pinned entry outlives the front's letting go of it (a response still being written from it):
 * freed at its last unpin, and not before, however the pins are spread over its records. */
static void test_front_pins(void **state)
{
        (void)state;
        int freed = 0;
        struct http_cache *c = http_cache_new(2, 1 << 20, token_free, NULL);
        assert_non_null(c);
        struct http_cache_front *f = http_cache_front_new(c);
        assert_non_null(f);
        put(c, "/a", "v", 1, &freed, 10);
        struct http_cache_entry *a = http_cache_front_get(f, "/a", 2, "v");
        assert_non_null(a);
        http_cache_front_pin(f, a);
        http_cache_front_pin(f, a); /* two responses from it */
        /* The cache evicts /a, and the front looks up 8 other keys: it lets go of /a's slot. */
        char t[16];
        for (int i = 0; i < 9; i++) {
                snprintf(t, sizeof t, "/p/%d", i);
                put(c, t, "v", 10 + i, &freed, 10);
                assert_int_equal(front_get(f, t, "v"), 10 + i);
        }
        assert_int_equal(get(c, "/a", "v"), -1);
        int before = freed;
        assert_int_equal(value_id(a), 1); /* still whole */
        http_cache_front_unpin(f, a);
        assert_int_equal(freed, before); /* one response still writes it */
        http_cache_front_unpin(f, a);
        assert_int_equal(freed, before + 1);

        /* Parked while pinned, then looked up again: the pins of both records are one count. */
        put(c, "/b", "v", 2, &freed, 10);
        struct http_cache_entry *b = http_cache_front_get(f, "/b", 2, "v");
        http_cache_front_pin(f, b);
        http_cache_clear(c); /* the next lookup drops every slot: /b is parked, pinned */
        put(c, "/q", "v", 3, &freed, 10);
        assert_int_equal(front_get(f, "/q", "v"), 3);
        before = freed;
        http_cache_front_unpin(f, b);
        assert_int_equal(freed, before + 1); /* /b: cleared, its last pin gone */
        http_cache_front_free(f);
        http_cache_free(c);
        assert_int_equal(freed, 2 + 9 + 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hit_miss),     cmocka_unit_test(test_variants),
                cmocka_unit_test(test_vary),         cmocka_unit_test(test_bound_entries),
                cmocka_unit_test(test_bound_bytes),  cmocka_unit_test(test_invalidation),
                cmocka_unit_test(test_held_across_eviction), cmocka_unit_test(test_front), cmocka_unit_test(test_front_pins),
                cmocka_unit_test(test_front_held_across_eviction),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
