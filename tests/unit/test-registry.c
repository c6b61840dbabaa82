/* Unit tests of the registry on in-memory CSV and services text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/registry.h"

bool registry_image_valid(const struct registry *r);

#define HEADER                                                                                          \
        "Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,Registration Date," \
        "Modification Date,Reference,Service Code,Unauthorized Use Reported,Assignment Notes\n"

static struct registry *parse(const char *text)
{
        struct registry *r = NULL;
        struct ps_error err;
        int ret = registry_parse_buffer("test.csv", text, strlen(text), REGISTRY_SOURCE_IANA_CSV, &r, &err);
        if (ret < 0)
                fail_msg("parse failed: %s:%u: %s", err.file, err.line, err.message);
        return r;
}

static void test_status_precedence(void **state)
{
        (void)state;
        struct registry *r = parse(HEADER ",10-20,,Unassigned,,,,,,,,\n"
                                          ",15,tcp,Reserved,,,,,,,,\n"
                                          "svc,15,,A service,,,,2001-02-03,,,,\n"
                                          ",16,udp,Reserved,,,,,,,,\n"
                                          ",17,,any private thing,,,,,,,,\n"
                                          ",18,,IANA Reserved,,,,,,,,\n"
                                          ",19,,Reserved - IANA,,,,2099-99-99,2001-02-30,,,\n");
        assert_int_equal(registry_status(r, 15, PS_TCP), REGISTRY_ASSIGNED);
        assert_int_equal(registry_status(r, 15, PS_DCCP), REGISTRY_ASSIGNED);
        assert_int_equal(registry_status(r, 16, PS_UDP), REGISTRY_RESERVED);
        assert_int_equal(registry_status(r, 16, PS_TCP), REGISTRY_UNASSIGNED);
        assert_int_equal(registry_status(r, 17, PS_SCTP), REGISTRY_ASSIGNED);
        assert_int_equal(registry_status(r, 18, PS_TCP), REGISTRY_RESERVED);
        assert_int_equal(registry_status(r, 19, PS_UDP), REGISTRY_RESERVED);
        assert_int_equal(registry_status(r, 9, PS_TCP), REGISTRY_UNASSIGNED);
        assert_true(registry_image_valid(r));

        uint32_t ids[8];
        assert_int_equal(registry_covering(r, 15, PS_TCP, ids, 8), 3);
        assert_int_equal(ids[0], 0);
        assert_int_equal(ids[2], 2);
        assert_int_equal(registry_covering(r, 15, PS_UDP, ids, 8), 2);
        assert_int_equal(registry_covering(r, 15, PS_TCP, ids, 1), 3); /* total, even past max */

        struct registry_row row;
        assert_int_equal(registry_row(r, 4, &row), 0);
        assert_int_equal(row.kind, REGISTRY_ROW_PRIVATE);
        assert_int_equal(registry_row(r, 7, &row), -ENOENT);
        assert_string_equal(registry_source(r)->date, "2001-02-03");
        registry_close(r);
}

static void test_names_and_aliases(void **state)
{
        (void)state;
        struct registry *r = parse(HEADER "b-svc,7,tcp,B,,,,,,,,\n"
                                          "b_svc,7,tcp,B,,,,,,,,\"This entry is an alias to \"\"b-svc\"\".\"\n"
                                          "a,8,udp,A,,,,,,,,\n"
                                          "B-SVC,9,tcp,other port,,,,,,,,\n"
                                          "nameonly,,,no port,,,,,,,,\n");
        uint32_t ids[8];
        struct registry_row row;

        assert_int_equal(registry_by_name(r, "b-svc", ids, 8), 2);
        assert_int_equal(ids[0], 0);
        assert_int_equal(ids[1], 3);
        assert_int_equal(registry_by_name(r, "nope", ids, 8), 0);
        assert_int_equal(registry_by_name(r, "nameonly", ids, 8), 1);
        registry_row(r, ids[0], &row);
        assert_false(row.has_port);
        registry_row(r, 1, &row);
        assert_int_equal(row.alias_of, 0);
        registry_row(r, 3, &row);
        assert_int_equal(row.alias_of, -1);

        struct registry_stats st;
        registry_stats(r, &st);
        assert_int_equal(st.rows, 5);
        assert_int_equal(st.name_only_rows, 1);
        assert_int_equal(st.by_status[PS_TCP][REGISTRY_ASSIGNED], 2);
        registry_close(r);
}

static void test_errors(void **state)
{
        static const struct {
                const char *text;
                unsigned line;
                const char *msg;
        } cases[] = {
                { "", 0, "empty" },
                { "a,b,c\n", 1, "header has 3 columns" },
                { HEADER, 2, "no rows" },
                { HEADER "x,1,tcp\n", 2, "3 columns" },
                { HEADER "x,1-,tcp,,,,,,,,,\n", 2, "bad port" },
                { HEADER "x,5-1,tcp,,,,,,,,,\n", 2, "bad port" },
                { HEADER "x,1,icmp,,,,,,,,,\n", 2, "unknown transport" },
                { HEADER ",,,,,,,,,,,\n", 2, "neither" },
        };
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct registry *r = NULL;
                struct ps_error err = { 0 };
                int ret = registry_parse_buffer("t.csv", cases[i].text, strlen(cases[i].text),
                                                REGISTRY_SOURCE_IANA_CSV, &r, &err);
                assert_int_equal(ret, -EINVAL);
                assert_null(r);
                assert_string_equal(err.file, "t.csv");
                if (cases[i].line)
                        assert_int_equal(err.line, cases[i].line);
                if (!strstr(err.message, cases[i].msg))
                        fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, cases[i].msg);
        }
}

static void test_services_file(void **state)
{
        const char *text = "# comment\nssh 22/tcp/udp # Secure Shell\nx11 6000-6063/tcp\nweird 9/ddp\n";
        struct registry *r = NULL;
        struct ps_error err;

        (void)state;
        assert_int_equal(registry_parse_buffer("s", text, strlen(text), REGISTRY_SOURCE_SERVICES, &r, &err), 0);
        assert_int_equal(registry_status(r, 22, PS_UDP), REGISTRY_ASSIGNED);
        assert_int_equal(registry_status(r, 22, PS_SCTP), REGISTRY_NOT_ASSIGNED);
        assert_int_equal(registry_status(r, 6010, PS_TCP), REGISTRY_ASSIGNED);
        assert_int_equal(registry_nrows(r), 3);
        struct registry_row row;
        registry_row(r, 0, &row);
        assert_string_equal(row.description, "Secure Shell");
        assert_string_equal(row.proto, "tcp");
        registry_close(r);

        const char *bad = "ssh twentytwo\n";
        assert_int_equal(registry_parse_buffer("s", bad, strlen(bad), REGISTRY_SOURCE_SERVICES, &r, &err), -EINVAL);
        assert_int_equal(err.line, 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_status_precedence),
                cmocka_unit_test(test_names_and_aliases),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_services_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
