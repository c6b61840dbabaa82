/* Unit tests of the RFC 4180 reader. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

struct parsed {
        char buf[4096];
        size_t used;
        size_t offs[16];
        int n;
        unsigned line;
        struct csv_error err;
};

static int next(struct csv_reader *r, struct parsed *p)
{
        p->n = csv_next(r, p->buf, &p->used, p->offs, 16, &p->line, &p->err);
        return p->n;
}

static void test_quoted_fields(void **state)
{
        const char *in = "a,\"b,c\",\"d \"\"q\"\"\"\r\n\"multi\nline\",,x\n";
        struct csv_reader r;
        struct parsed p = { 0 };

        (void)state;
        csv_init(&r, in, strlen(in));
        assert_int_equal(next(&r, &p), 3);
        assert_string_equal(p.buf + p.offs[0], "a");
        assert_string_equal(p.buf + p.offs[1], "b,c");
        assert_string_equal(p.buf + p.offs[2], "d \"q\"");
        assert_int_equal(p.line, 1);
        assert_int_equal(next(&r, &p), 3);
        assert_string_equal(p.buf + p.offs[0], "multi\nline");
        assert_string_equal(p.buf + p.offs[1], "");
        assert_string_equal(p.buf + p.offs[2], "x");
        assert_int_equal(p.line, 2);
        assert_int_equal(next(&r, &p), 0);
}

static void test_no_final_newline_and_bom(void **state)
{
        const char *in = "\xef\xbb\xbfh1,h2\nv1,v2";
        struct csv_reader r;
        struct parsed p = { 0 };

        (void)state;
        csv_init(&r, in, strlen(in));
        assert_int_equal(next(&r, &p), 2);
        assert_string_equal(p.buf + p.offs[0], "h1");
        assert_int_equal(next(&r, &p), 2);
        assert_string_equal(p.buf + p.offs[1], "v2");
        assert_int_equal(next(&r, &p), 0);
}

static void expect_error(const char *in, size_t len, unsigned line, unsigned column, const char *msg)
{
        struct csv_reader r;
        struct parsed p = { 0 };
        int n;

        csv_init(&r, in, len);
        while ((n = next(&r, &p)) > 0)
                ;
        assert_int_equal(n, -EINVAL);
        assert_int_equal(p.err.line, line);
        if (column)
                assert_int_equal(p.err.column, column);
        assert_non_null(strstr(p.err.message, msg));
}

static void test_errors(void **state)
{
        (void)state;
        expect_error("a,b\nc,\"open\nstill", 17, 2, 3, "never closed");
        expect_error("a,b\"c\n", 6, 1, 4, "quote inside");
        expect_error("\"a\"b,c\n", 7, 1, 4, "after a closing quote");
        expect_error("a,b\n\xff\xfe,c\n", 9, 2, 1, "UTF-8");
        expect_error("a,\0b\n", 5, 1, 3, "NUL");
        expect_error("\xc0\xaf\n", 3, 1, 1, "UTF-8"); /* overlong */
}

static void test_too_many_fields(void **state)
{
        struct csv_reader r;
        char buf[256];
        size_t used = 0, offs[3];
        unsigned line;
        struct csv_error err;

        (void)state;
        csv_init(&r, "1,2,3,4\n", 8);
        assert_int_equal(csv_next(&r, buf, &used, offs, 3, &line, &err), -EINVAL);
        assert_non_null(strstr(err.message, "too many"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_quoted_fields),
                cmocka_unit_test(test_no_final_newline_and_bom),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_too_many_fields),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
