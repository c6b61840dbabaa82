/* Unit tests of the streaming JSON writer: escapes, invalid UTF-8, numbers, nesting, pretty and
 * compact layouts (checked against jansson's), misuse, a FILE sink and the dynbuf maximum. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/jsonw.h"

/* Writes one string value compactly and returns the output (static buffer). */
static const char *str_json(const char *s, size_t len)
{
        static char out[1024];
        struct dynbuf b = DYNBUF_INIT(1000);
        struct jsonw w;

        jsonw_init_dynbuf(&w, &b, 0);
        jsonw_stringn(&w, s, len);
        assert_int_equal(jsonw_finish(&w), 0);
        assert_true(dynbuf_len(&b) < sizeof(out));
        memcpy(out, dynbuf_ptr(&b), dynbuf_len(&b) + 1);
        dynbuf_free(&b);
        return out;
}

#define S(lit) str_json(lit, sizeof(lit) - 1)

static void test_escapes(void **state)
{
        (void)state;
        assert_string_equal(S("plain"), "\"plain\"");
        assert_string_equal(S(""), "\"\"");
        assert_string_equal(S("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
        assert_string_equal(S("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
        assert_string_equal(S("\x01\x1b[2J\x1f\x7f"), "\"\\u0001\\u001B[2J\\u001F\x7f\"");
        assert_string_equal(S("nul\0byte"), "\"nul\\u0000byte\"");
        /* Valid UTF-8 stays, U+2028 and U+2029 are escaped. */
        assert_string_equal(S("café €𝄞"), "\"café €𝄞\"");
        assert_string_equal(S("a\xe2\x80\xa8" "b\xe2\x80\xa9"), "\"a\\u2028b\\u2029\"");
        assert_string_equal(S("\xe2\x80\xa7"), "\"\xe2\x80\xa7\"");
}

#define FFFD "\xef\xbf\xbd"

/* The *_field helpers write a member: its name, then the value. */
static void test_fields(void **state)
{
        (void)state;
        struct dynbuf b = DYNBUF_INIT(1000);
        struct jsonw w;
        jsonw_init_dynbuf(&w, &b, 0);
        jsonw_begin_object(&w);
        jsonw_string_field(&w, "s", "x\"y");
        jsonw_string_field(&w, "n", NULL);
        jsonw_int_field(&w, "i", -3);
        jsonw_uint_field(&w, "u", 18446744073709551615u);
        jsonw_double_field(&w, "d", 0.5);
        jsonw_bool_field(&w, "b", true);
        jsonw_null_field(&w, "z");
        jsonw_end_object(&w);
        assert_int_equal(jsonw_finish(&w), 0);
        assert_string_equal(dynbuf_ptr(&b),
                            "{\"s\":\"x\\\"y\",\"n\":null,\"i\":-3,\"u\":18446744073709551615,\"d\":0.5,\"b\":true,\"z\":null}");
        dynbuf_free(&b);
}

static void test_invalid_utf8(void **state)
{
        (void)state;
        /* One U+FFFD for each maximal ill-formed subpart. */
        assert_string_equal(S("\xff\xfe"), "\"" FFFD FFFD "\"");
        assert_string_equal(S("a\x80z"), "\"a" FFFD "z\"");
        assert_string_equal(S("\xe2\x82" "a"), "\"" FFFD "a\"");        /* cut short */
        assert_string_equal(S("\xe2\x82"), "\"" FFFD "\"");             /* cut by the end */
        assert_string_equal(S("\xf0\x9f\x98"), "\"" FFFD "\"");
        assert_string_equal(S("\xc0\xaf"), "\"" FFFD FFFD "\"");        /* overlong '/' */
        assert_string_equal(S("\xe0\x80\xaf"), "\"" FFFD FFFD FFFD "\""); /* overlong, 3 bytes */
        assert_string_equal(S("\xed\xa0\x80"), "\"" FFFD FFFD FFFD "\""); /* surrogate U+D800 */
        assert_string_equal(S("\xf4\x90\x80\x80"), "\"" FFFD FFFD FFFD FFFD "\""); /* > U+10FFFF */
        assert_string_equal(S("\xf5"), "\"" FFFD "\"");
        assert_string_equal(S("\xc3" "\xa9\xa9"), "\"é" FFFD "\"");
        /* Valid edges. */
        assert_string_equal(S("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");
        assert_string_equal(S("\xed\x9f\xbf"), "\"\xed\x9f\xbf\"");
        {
                struct dynbuf b = DYNBUF_INIT(64);
                assert_int_equal(jsonw_escape(&b, "x\xff\"", 3), 0);
                assert_string_equal(dynbuf_ptr(&b), "x" FFFD "\\\"");
                dynbuf_free(&b);
        }
}

/* Writes a fixed document with every kind of value. */
static void document(struct jsonw *w)
{
        jsonw_begin_object(w);
        jsonw_name(w, "port");
        jsonw_uint(w, 625);
        jsonw_name(w, "neg");
        jsonw_int(w, INT64_MIN);
        jsonw_name(w, "big");
        jsonw_uint(w, UINT64_MAX);
        jsonw_name(w, "ratio");
        jsonw_double(w, 0.1);
        jsonw_name(w, "whole");
        jsonw_double(w, 3.0);
        jsonw_name(w, "nan");
        jsonw_double(w, NAN);
        jsonw_name(w, "inf");
        jsonw_double(w, -INFINITY);
        jsonw_name(w, "yes");
        jsonw_bool(w, true);
        jsonw_name(w, "no");
        jsonw_bool(w, false);
        jsonw_name(w, "none");
        jsonw_string(w, NULL);
        jsonw_name(w, "list");
        jsonw_begin_array(w);
        jsonw_string(w, "a");
        jsonw_begin_object(w);
        jsonw_end_object(w);
        jsonw_begin_array(w);
        jsonw_end_array(w);
        jsonw_begin_array(w);
        jsonw_null(w);
        jsonw_end_array(w);
        jsonw_end_array(w);
        jsonw_name(w, "obj");
        jsonw_begin_object(w);
        jsonw_name(w, "k\"ey");
        jsonw_string(w, "v");
        jsonw_end_object(w);
        jsonw_end_object(w);
}

static char *write_doc(unsigned flags)
{
        struct dynbuf b = DYNBUF_INIT(1u << 16);
        struct jsonw w;

        jsonw_init_dynbuf(&w, &b, flags);
        document(&w);
        assert_int_equal(jsonw_finish(&w), 0);
        return dynbuf_take(&b, NULL);
}

static void test_layouts(void **state)
{
        char *compact = write_doc(0), *pretty = write_doc(JSONW_PRETTY), *ref;
        json_error_t err;
        json_t *j;

        (void)state;
        assert_string_equal(compact,
                            "{\"port\":625,\"neg\":-9223372036854775808,\"big\":18446744073709551615,\"ratio\":0.1,"
                            "\"whole\":3.0,\"nan\":null,\"inf\":null,\"yes\":true,\"no\":false,\"none\":null,"
                            "\"list\":[\"a\",{},[],[null]],\"obj\":{\"k\\\"ey\":\"v\"}}");
        /* Both layouts are jansson's own, byte for byte (without the number jansson cannot hold). */
        {
                /* jansson cannot hold UINT64_MAX: read it as 1 (padded with whitespace). */
                char *copy = strdup(compact), *big = strstr(copy, "18446744073709551615");
                assert_non_null(big);
                memcpy(big, "1                   ", 20);
                j = json_loads(copy, 0, &err);
                free(copy);
        }
        assert_non_null(j);
        json_object_del(j, "big");
        json_object_set_new(j, "ratio", json_real(0.5));
        {
                struct dynbuf b = DYNBUF_INIT(1u << 16);
                struct jsonw w;
                for (int pretty_mode = 0; pretty_mode < 2; pretty_mode++) {
                        dynbuf_reset(&b);
                        jsonw_init_dynbuf(&w, &b, pretty_mode ? JSONW_PRETTY : 0);
                        jsonw_json(&w, j);
                        assert_int_equal(jsonw_finish(&w), 0);
                        ref = json_dumps(j, pretty_mode ? JSON_INDENT(2) : JSON_COMPACT);
                        assert_string_equal(dynbuf_ptr(&b), ref);
                        free(ref);
                }
                dynbuf_free(&b);
        }
        json_decref(j);
        assert_non_null(strstr(pretty, "{\n  \"port\": 625,\n"));
        assert_non_null(strstr(pretty, "\"list\": [\n    \"a\",\n    {},\n    [],\n    [\n      null\n    ]\n  ],\n"));
        assert_non_null(strstr(pretty, "\n  }\n}"));
        free(compact);
        free(pretty);
}

static void test_numbers(void **state)
{
        static const double v[] = { 0.0, -0.0, 1.5, 1e300, 5e-324, 0.1 + 0.2, 123456789.125, 1e21, -2.5e-7 };
        struct dynbuf b = DYNBUF_INIT(4096);
        struct jsonw w;

        (void)state;
        /* Every double reads back to itself. */
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                json_t *j;
                dynbuf_reset(&b);
                jsonw_init_dynbuf(&w, &b, 0);
                jsonw_double(&w, v[i]);
                assert_int_equal(jsonw_finish(&w), 0);
                j = json_loads(dynbuf_ptr(&b), JSON_DECODE_ANY, NULL);
                assert_non_null(j);
                assert_true(json_is_real(j));
                assert_true(json_real_value(j) == v[i]);
                json_decref(j);
        }
        dynbuf_reset(&b);
        jsonw_init_dynbuf(&w, &b, 0);
        jsonw_double(&w, 0.1 + 0.2);
        assert_int_equal(jsonw_finish(&w), 0);
        assert_string_equal(dynbuf_ptr(&b), "0.30000000000000004");
        dynbuf_free(&b);
}

static int misuse(void (*f)(struct jsonw *w))
{
        struct dynbuf b = DYNBUF_INIT(4096);
        struct jsonw w;
        int r;

        jsonw_init_dynbuf(&w, &b, 0);
        f(&w);
        r = jsonw_finish(&w);
        dynbuf_free(&b);
        return r;
}

static void value_without_name(struct jsonw *w)
{
        jsonw_begin_object(w);
        jsonw_uint(w, 1);
        jsonw_end_object(w);
}

static void name_in_array(struct jsonw *w)
{
        jsonw_begin_array(w);
        jsonw_name(w, "x");
        jsonw_null(w);
        jsonw_end_array(w);
}

static void mismatched_end(struct jsonw *w)
{
        jsonw_begin_array(w);
        jsonw_end_object(w);
}

static void unclosed(struct jsonw *w)
{
        jsonw_begin_object(w);
        jsonw_name(w, "a");
        jsonw_begin_array(w);
}

static void dangling_name(struct jsonw *w)
{
        jsonw_begin_object(w);
        jsonw_name(w, "a");
        jsonw_end_object(w);
}

static void two_top_values(struct jsonw *w)
{
        jsonw_uint(w, 1);
        jsonw_uint(w, 2);
}

static void too_deep(struct jsonw *w)
{
        for (unsigned i = 0; i <= JSONW_MAX_DEPTH; i++)
                jsonw_begin_array(w);
}

static void deepest(struct jsonw *w)
{
        for (unsigned i = 0; i < JSONW_MAX_DEPTH; i++)
                jsonw_begin_array(w);
        for (unsigned i = 0; i < JSONW_MAX_DEPTH; i++)
                jsonw_end_array(w);
}

static void test_misuse(void **state)
{
        (void)state;
        assert_int_equal(misuse(value_without_name), -EINVAL);
        assert_int_equal(misuse(name_in_array), -EINVAL);
        assert_int_equal(misuse(mismatched_end), -EINVAL);
        assert_int_equal(misuse(unclosed), -EINVAL);
        assert_int_equal(misuse(dangling_name), -EINVAL);
        assert_int_equal(misuse(two_top_values), -EINVAL);
        assert_int_equal(misuse(too_deep), -EINVAL);
        assert_int_equal(misuse(deepest), 0);
}

static void test_lines_and_file(void **state)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        struct jsonw w;

        (void)state;
        assert_non_null(m);
        jsonw_init_file(&w, m, 0);
        for (int i = 0; i < 3; i++) {
                jsonw_begin_object(&w);
                jsonw_name(&w, "i");
                jsonw_int(&w, i);
                jsonw_end_object(&w);
                jsonw_newline(&w);
        }
        assert_int_equal(jsonw_finish(&w), 0);
        fclose(m);
        assert_string_equal(buf, "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n");
        free(buf);

        /* More than the staging buffer: a long string goes through whole. */
        {
                size_t n = 3 * JSONW_STAGE + 17;
                char *big = malloc(n);
                buf = NULL;
                m = open_memstream(&buf, &len);
                memset(big, 'q', n);
                big[100] = '"';
                jsonw_init_file(&w, m, JSONW_PRETTY);
                jsonw_begin_array(&w);
                jsonw_stringn(&w, big, n);
                jsonw_end_array(&w);
                assert_int_equal(jsonw_finish(&w), 0);
                fclose(m);
                assert_int_equal(len, n + 1 + 2 + 4 + 2);
                assert_memory_equal(buf, "[\n  \"qq", 7);
                assert_memory_equal(buf + len - 4, "q\"\n]", 4);
                free(big);
                free(buf);
        }
}

/* A document written with flags, as a malloc'd string. */
static char *flagged(unsigned flags, void (*f)(struct jsonw *w))
{
        struct dynbuf b = DYNBUF_INIT(4096);
        struct jsonw w;

        jsonw_init_dynbuf(&w, &b, flags);
        f(&w);
        assert_int_equal(jsonw_finish(&w), 0);
        char *out = strdup(dynbuf_ptr(&b));
        dynbuf_free(&b);
        return out;
}

static void ascii_doc(struct jsonw *w)
{
        jsonw_begin_array(w);
        jsonw_string(w, "caf\xc3\xa9 \xe2\x82\xac\xf0\x9d\x84\x9e \xe2\x80\xae\xc2\x9b\xef\xbf\xbe\x1b\x7f");
        jsonw_string(w, "bad \xff\xe2\x82 \xe2\x80\xa8");
        jsonw_end_array(w);
}

static void test_ascii(void **state)
{
        (void)state;
        /* Past ASCII as jansson's JSON_ENSURE_ASCII writes it (surrogate pairs past U+FFFF, bidi
         * and C1 controls included), invalid UTF-8 as \uFFFD. */
        char *got = flagged(JSONW_ASCII, ascii_doc);
        json_t *v = json_pack("[s]", "caf\xc3\xa9 \xe2\x82\xac\xf0\x9d\x84\x9e \xe2\x80\xae\xc2\x9b\xef\xbf\xbe\x1b\x7f");
        char *want = json_dumps(json_array_get(v, 0), JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
        assert_non_null(want);
        assert_memory_equal(got, "[", 1);
        assert_memory_equal(got + 1, want, strlen(want));
        assert_string_equal(got + 1 + strlen(want), ",\"bad \\uFFFD\\uFFFD \\u2028\"]");
        assert_string_equal(want, "\"caf\\u00E9 \\u20AC\\uD834\\uDD1E \\u202E\\u009B\\uFFFE\\u001B\x7f\"");
        free(want);
        json_decref(v);
        free(got);
}

static void lines_doc(struct jsonw *w)
{
        jsonw_begin_object(w);
        jsonw_name(w, "a");
        jsonw_begin_array_lines(w);
        jsonw_end_array(w);
        jsonw_name(w, "b");
        jsonw_begin_array_lines(w);
        jsonw_begin_object(w);
        jsonw_name(w, "c");
        jsonw_begin_array(w);
        jsonw_int(w, 1);
        jsonw_int(w, 2);
        jsonw_end_array(w);
        jsonw_end_object(w);
        jsonw_int(w, 3);
        jsonw_end_array(w);
        jsonw_end_object(w);
}

static void lines_doc_plain(struct jsonw *w)
{
        jsonw_begin_object(w);
        jsonw_name(w, "a");
        jsonw_begin_array(w);
        jsonw_end_array(w);
        jsonw_name(w, "b");
        jsonw_begin_array(w);
        jsonw_begin_object(w);
        jsonw_name(w, "c");
        jsonw_begin_array(w);
        jsonw_int(w, 1);
        jsonw_int(w, 2);
        jsonw_end_array(w);
        jsonw_end_object(w);
        jsonw_int(w, 3);
        jsonw_end_array(w);
        jsonw_end_object(w);
}

static void test_array_lines(void **state)
{
        (void)state;
        char *got = flagged(0, lines_doc);
        assert_string_equal(got, "{\"a\":[],\"b\":[\n{\"c\":[1,2]},\n3\n]}");
        free(got);
        /* Pretty: the ordinary layout. */
        char *pretty = flagged(JSONW_PRETTY, lines_doc), *plain = flagged(JSONW_PRETTY, lines_doc_plain);
        assert_string_equal(pretty, plain);
        free(pretty);
        free(plain);
}

static void test_max_exceeded(void **state)
{
        struct dynbuf b = DYNBUF_INIT(40);
        struct jsonw w;

        (void)state;
        dynbuf_addstr(&b, "prefix:");
        jsonw_init_dynbuf(&w, &b, 0);
        jsonw_begin_array(&w);
        for (int i = 0; i < 100; i++)
                jsonw_string(&w, "0123456789");
        jsonw_end_array(&w);
        assert_int_equal(jsonw_finish(&w), -E2BIG);
        /* The buffer is still valid, within its maximum, and the error stays. */
        assert_true(dynbuf_len(&b) <= 40);
        assert_memory_equal(dynbuf_ptr(&b), "prefix:", 7);
        jsonw_null(&w);
        assert_int_equal(jsonw_error(&w), -E2BIG);
        dynbuf_free(&b);

        /* jsonw_escape leaves the buffer as it was when it does not fit. */
        dynbuf_init(&b, 8);
        dynbuf_addstr(&b, "ab");
        assert_int_equal(jsonw_escape(&b, "\x01\x02\x03", 3), -E2BIG);
        assert_string_equal(dynbuf_ptr(&b), "ab");
        dynbuf_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escapes),
                cmocka_unit_test(test_invalid_utf8),
                cmocka_unit_test(test_fields),
                cmocka_unit_test(test_layouts),
                cmocka_unit_test(test_numbers),
                cmocka_unit_test(test_misuse),
                cmocka_unit_test(test_lines_and_file),
                cmocka_unit_test(test_max_exceeded),
                cmocka_unit_test(test_ascii),
                cmocka_unit_test(test_array_lines),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
