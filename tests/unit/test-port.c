/* Unit tests of the PORT[/PROTO] syntax, ranges and protocols. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/port.h"

static void test_valid(void **state)
{
        struct ps_portspec s;
        char err[128];

        (void)state;
        assert_int_equal(ps_portspec_parse("0", &s, err, sizeof(err)), 0);
        assert_int_equal(s.lo, 0);
        assert_int_equal(s.protos, PS_PROTO_ALL);
        assert_int_equal(ps_portspec_parse("65535/UDP", &s, err, sizeof(err)), 0);
        assert_int_equal(s.hi, 65535);
        assert_int_equal(s.protos, PS_PROTO_BIT(PS_UDP));
        assert_int_equal(ps_portspec_parse("6000-6063/tcp", &s, err, sizeof(err)), 0);
        assert_int_equal(s.lo, 6000);
        assert_int_equal(s.hi, 6063);
        assert_int_equal(ps_portspec_parse("7-7", &s, err, sizeof(err)), 0);
}

static void test_invalid(void **state)
{
        static const struct {
                const char *in;
                int r;
                const char *msg;
        } cases[] = {
                { "65536", -ERANGE, "out of range" }, { "-1", -ERANGE, "negative" },
                { "abc", -EINVAL, "not a port" },     { "22/xyz", -EINVAL, "unknown protocol" },
                { "1-0", -EINVAL, "backwards" },      { "", -EINVAL, "no port" },
                { "+5", -EINVAL, "not a port" },      { " 5", -EINVAL, "not a port" },
                { "5-", -EINVAL, "not a port" },      { "1-2-3", -EINVAL, "not a port" },
                { "22/", -EINVAL, "unknown protocol" }, { "/tcp", -EINVAL, "no port" },
                { "99999999999999999999", -ERANGE, "out of range" },
        };
        struct ps_portspec s;
        char err[128];

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                err[0] = '\0';
                assert_int_equal(ps_portspec_parse(cases[i].in, &s, err, sizeof(err)), cases[i].r);
                assert_non_null(strstr(err, cases[i].msg));
        }
}

static void test_list(void **state)
{
        struct ps_portspec *v;
        size_t n;
        char err[128];

        (void)state;
        assert_int_equal(ps_portlist_parse("22,80-81/tcp,53/udp", &v, &n, err, sizeof(err)), 0);
        assert_int_equal(n, 3);
        assert_int_equal(v[1].hi, 81);
        assert_int_equal(v[2].protos, PS_PROTO_BIT(PS_UDP));
        free(v);
        assert_int_equal(ps_portlist_parse("22,,80", &v, &n, err, sizeof(err)), -EINVAL);
        assert_int_equal(ps_portlist_parse("", &v, &n, err, sizeof(err)), -EINVAL);
        assert_int_equal(ps_portlist_parse("22,70000", &v, &n, err, sizeof(err)), -ERANGE);
        assert_string_equal(err, "\"70000\": port out of range (0-65535)"); /* a list names the item */
        assert_int_equal(ps_portlist_parse("22, 80", &v, &n, err, sizeof(err)), -EINVAL);

        /* The knowledge file's lists: blanks around items, a protocol on each. */
        assert_int_equal(ps_portlist_parse_flags(" 22/tcp,\t53/udp ", PS_PORTLIST_BLANKS | PS_PORTLIST_PROTO, &v, &n, err,
                                                 sizeof(err)), 0);
        assert_int_equal(n, 2);
        assert_int_equal(v[1].lo, 53);
        assert_int_equal(v[1].protos, PS_PROTO_BIT(PS_UDP));
        free(v);
        assert_int_equal(ps_portlist_parse_flags("22/tcp, 80", PS_PORTLIST_BLANKS | PS_PORTLIST_PROTO, &v, &n, err,
                                                 sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "\"80\": no protocol"));
        assert_int_equal(ps_portlist_parse_flags("22/tcp, ", PS_PORTLIST_BLANKS, &v, &n, err, sizeof(err)), -EINVAL);
}

static void test_ranges(void **state)
{
        enum ps_range r;
        enum ps_proto p;

        (void)state;
        assert_int_equal(ps_range_of(0), PS_RANGE_SYSTEM);
        assert_int_equal(ps_range_of(1023), PS_RANGE_SYSTEM);
        assert_int_equal(ps_range_of(1024), PS_RANGE_USER);
        assert_int_equal(ps_range_of(49151), PS_RANGE_USER);
        assert_int_equal(ps_range_of(49152), PS_RANGE_DYNAMIC);
        assert_int_equal(ps_range_of(65535), PS_RANGE_DYNAMIC);
        assert_int_equal(ps_range_parse("well-known", &r), 0);
        assert_int_equal(r, PS_RANGE_SYSTEM);
        assert_int_equal(ps_range_parse("nope", &r), -EINVAL);
        assert_int_equal(ps_proto_parse("SCTP", &p), 0);
        assert_int_equal(p, PS_SCTP);
        assert_int_equal(ps_proto_parse("icmp", &p), -EINVAL);
        assert_null(ps_proto_name((enum ps_proto)7));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_list),
                cmocka_unit_test(test_ranges),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
