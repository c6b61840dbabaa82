/* Unit tests of the growable buffer: appends, printf, the hard maximum, reset, take. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/dynbuf.h"

static void test_add(void **state)
{
        struct dynbuf b;

        (void)state;
        dynbuf_init(&b, 1000);
        assert_string_equal(dynbuf_ptr(&b), "");
        assert_int_equal(dynbuf_len(&b), 0);
        assert_int_equal(dynbuf_add(&b, "abc", 3), 0);
        assert_int_equal(dynbuf_addstr(&b, "def"), 0);
        assert_int_equal(dynbuf_add(&b, "", 0), 0);
        assert_string_equal(dynbuf_ptr(&b), "abcdef");
        assert_int_equal(dynbuf_len(&b), 6);
        /* Growth past the first allocation keeps the contents. */
        for (int i = 0; i < 100; i++)
                assert_int_equal(dynbuf_add(&b, "0123456789", 5), 0);
        assert_int_equal(dynbuf_len(&b), 506);
        assert_memory_equal(dynbuf_ptr(&b) + 6, "0123401234", 10);
        assert_int_equal(dynbuf_ptr(&b)[506], '\0');
        /* NUL bytes are data. */
        assert_int_equal(dynbuf_add(&b, "x\0y", 3), 0);
        assert_int_equal(dynbuf_len(&b), 509);
        assert_memory_equal(dynbuf_ptr(&b) + 506, "x\0y", 3);
        dynbuf_free(&b);
        assert_int_equal(dynbuf_len(&b), 0);
        assert_string_equal(dynbuf_ptr(&b), "");
        /* Usable again after free. */
        assert_int_equal(dynbuf_addstr(&b, "again"), 0);
        assert_string_equal(dynbuf_ptr(&b), "again");
        dynbuf_free(&b);
        dynbuf_free(&b);
}

static void test_addf(void **state)
{
        struct dynbuf b = DYNBUF_INIT(4096);
        char big[600];

        (void)state;
        assert_int_equal(dynbuf_addf(&b, "%u/%s", 625u, "tcp"), 0);
        assert_string_equal(dynbuf_ptr(&b), "625/tcp");
        /* Longer than what is allocated: grows and prints again. */
        memset(big, 'z', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(dynbuf_addf(&b, "[%s]", big), 0);
        assert_int_equal(dynbuf_len(&b), 7 + 2 + 599);
        assert_int_equal(dynbuf_ptr(&b)[7], '[');
        assert_int_equal(dynbuf_ptr(&b)[7 + 600], ']');
        assert_int_equal(dynbuf_addf(&b, "%s", ""), 0);
        assert_int_equal(dynbuf_len(&b), 608);
        dynbuf_free(&b);
}

static void test_max(void **state)
{
        struct dynbuf b;

        (void)state;
        dynbuf_init(&b, 10);
        assert_int_equal(dynbuf_add(&b, "0123456789", 10), 0);
        /* Full: one more byte fails and the buffer keeps what it had. */
        assert_int_equal(dynbuf_add(&b, "x", 1), -E2BIG);
        assert_int_equal(dynbuf_addstr(&b, "x"), -E2BIG);
        assert_int_equal(dynbuf_addf(&b, "%d", 7), -E2BIG);
        assert_string_equal(dynbuf_ptr(&b), "0123456789");
        assert_int_equal(dynbuf_len(&b), 10);
        /* An empty append still fits. */
        assert_int_equal(dynbuf_add(&b, "", 0), 0);
        dynbuf_reset(&b);
        assert_int_equal(dynbuf_len(&b), 0);
        assert_string_equal(dynbuf_ptr(&b), "");
        /* A printf that would cross the maximum fails whole, even when it fits the allocation. */
        assert_int_equal(dynbuf_addstr(&b, "abcdef"), 0);
        assert_int_equal(dynbuf_addf(&b, "%s", "ghijk"), -E2BIG);
        assert_string_equal(dynbuf_ptr(&b), "abcdef");
        assert_int_equal(dynbuf_addf(&b, "%s", "ghij"), 0);
        assert_string_equal(dynbuf_ptr(&b), "abcdefghij");
        /* An append far past the maximum, from an empty buffer. */
        dynbuf_free(&b);
        assert_int_equal(dynbuf_add(&b, "0123456789A", 11), -E2BIG);
        assert_string_equal(dynbuf_ptr(&b), "");
        assert_int_equal(dynbuf_add(&b, "ok", 2), 0);
        assert_string_equal(dynbuf_ptr(&b), "ok");
        /* A length that would overflow size_t arithmetic is refused, not wrapped. */
        assert_int_equal(dynbuf_add(&b, "x", SIZE_MAX), -E2BIG);
        assert_string_equal(dynbuf_ptr(&b), "ok");
        dynbuf_free(&b);
}

static void test_truncate_take(void **state)
{
        struct dynbuf b;
        size_t len = 99;
        char *s;

        (void)state;
        dynbuf_init(&b, 100);
        s = dynbuf_take(&b, &len);
        assert_non_null(s);
        assert_string_equal(s, "");
        assert_int_equal(len, 0);
        free(s);
        assert_int_equal(dynbuf_addstr(&b, "hello, world"), 0);
        dynbuf_truncate(&b, 5);
        assert_string_equal(dynbuf_ptr(&b), "hello");
        dynbuf_truncate(&b, 50);
        assert_string_equal(dynbuf_ptr(&b), "hello");
        s = dynbuf_take(&b, &len);
        assert_string_equal(s, "hello");
        assert_int_equal(len, 5);
        assert_int_equal(dynbuf_len(&b), 0);
        assert_string_equal(dynbuf_ptr(&b), "");
        free(s);
        dynbuf_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_add),
                cmocka_unit_test(test_addf),
                cmocka_unit_test(test_max),
                cmocka_unit_test(test_truncate_take),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
