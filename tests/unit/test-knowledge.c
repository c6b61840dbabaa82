/* Unit tests of the knowledge parser, and of the built-in knowledge file itself. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/knowledge.h"

static void test_parse(void **state)
{
        const char *text = "# c\n\nentry: netpd\nname: netpd (Pure Data)\nkind: application\nports: 3025/tcp, 3000-3001/udp\n"
                           "summary: first part\n  continued here\nprocess: pd puredata\nsource: https://x\n\n"
                           "service: ssh\nservers: sshd dropbear\nsource: y\n";
        struct knowledge *k = NULL;
        struct ps_error err;
        const struct knowledge_entry *e[4];

        (void)state;
        assert_int_equal(knowledge_parse("t", text, strlen(text), &k, &err), 0);
        assert_int_equal(knowledge_nentries(k), 1);
        assert_int_equal(knowledge_for_port(k, 3025, PS_TCP, e, 4), 1);
        assert_string_equal(e[0]->summary, "first part continued here");
        assert_string_equal(e[0]->id, "netpd");
        assert_string_equal(e[0]->name, "netpd (Pure Data)");
        assert_int_equal(e[0]->nprocesses, 2);
        assert_string_equal(e[0]->processes[1], "puredata");
        assert_int_equal(knowledge_for_port(k, 3025, PS_UDP, e, 4), 0);
        assert_int_equal(knowledge_for_port(k, 3001, PS_UDP, e, 4), 1);
        assert_true(knowledge_serves(k, "SSH", "dropbear"));
        assert_false(knowledge_serves(k, "ssh", "nc"));
        assert_false(knowledge_serves(k, "http", "nginx"));
        knowledge_free(k);

        /* Socket records: who holds raw and packet sockets. */
        text = "socket: packet raw\nname: DHCP clients\nprocess: dhclient\n  dhcpcd\nsource: s\n\n"
               "socket: raw\nname: ping tools\nprocess: ping\nsource: t\n";
        assert_int_equal(knowledge_parse("t", text, strlen(text), &k, &err), 0);
        assert_int_equal(knowledge_nsockets(k), 2);
        assert_int_equal(knowledge_socket_at(k, 0)->kinds, KNOWLEDGE_SOCKET_RAW | KNOWLEDGE_SOCKET_PACKET);
        assert_int_equal(knowledge_socket_at(k, 1)->kinds, KNOWLEDGE_SOCKET_RAW);
        assert_string_equal(knowledge_socket_at(k, 0)->name, "DHCP clients");
        assert_int_equal(knowledge_socket_at(k, 0)->nprocesses, 2);
        assert_string_equal(knowledge_socket_at(k, 0)->processes[1], "dhcpcd");
        assert_string_equal(knowledge_socket_at(k, 1)->source, "t");
        assert_null(knowledge_socket_at(k, 2));
        assert_int_equal(knowledge_nentries(k), 0);
        knowledge_free(k);
}

static void test_errors(void **state)
{
        static const struct {
                const char *text;
                unsigned line;
                const char *msg;
        } cases[] = {
                { "kind: malware\n", 1, "starts with" },
                { "entry: a\nname: A\nkind: x\nports: 1/tcp\nsummary: s\nsource: t\n", 3, "unknown kind" },
                { "entry: a\nname: A\nkind: tool\nports: 1\nsummary: s\nsource: t\n", 4, "no protocol" },
                { "entry: a\nname: A\nkind: tool\nports: 70000/tcp\nsummary: s\nsource: t\n", 4, "out of range" },
                { "entry: a\nname: A\nkind: tool\nports: 1/tcp\nsummary: s\n", 1, "no source" },
                { "\n\nentry: a\nkind: tool\nports: 1/tcp\nsummary: s\nsource: t\n", 3, "entry \"a\" has no name" },
                { "entry: a\nname:   \nkind: tool\nports: 1/tcp\nsummary: s\nsource: t\n", 2, "key \"name\" has an empty value" },
                { "entry: a\nname: A\nname: B\n", 3, "twice" },
                { "service: ssh\nname: SSH\nservers: sshd\nsource: t\n", 1, "mixes" },
                { "entry: a\nentry: b\n", 2, "twice" },
                { "entry: a\ncolour: red\n", 2, "unknown key" },
                { "  floating\n", 1, "continuation" },
                { "entry: a\nkind:\n", 2, "empty value" },
                { "service: ssh\nsource: x\n", 1, "no servers" },
                { "entry: a\nname: A\nkind: tool\nports: 1/tcp\nsummary: s\nsource: t\nservers: x\n", 1, "mixes" },
                { "no colon here\n", 1, "key: value" },
                { "socket: raw ip\nname: n\nprocess: p\nsource: s\n", 1, "unknown socket kind \"ip\"" },
                { "socket: raw\nname: n\nsource: s\n", 1, "socket record has no process" },
                { "socket: raw\nprocess: p\nsource: s\n", 1, "socket record has no name" },
                { "socket: raw\nname: n\nprocess: p\nsource: s\nports: 1/tcp\n", 1, "only socket, name, process" },
                { "process: p\nsocket: raw\n", 1, "\"socket:\", not \"process:\"" },
        };
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct knowledge *k = NULL;
                struct ps_error err = { 0 };
                assert_int_equal(knowledge_parse("t", cases[i].text, strlen(cases[i].text), &k, &err), -EINVAL);
                assert_null(k);
                if (err.line != cases[i].line || !strstr(err.message, cases[i].msg))
                        fail_msg("case %zu: line %u \"%s\"; want line %u \"%s\"", i, err.line, err.message,
                                 cases[i].line, cases[i].msg);
        }
}

/* true when an entry on (port, proto) lists process among its process names. */
static bool has_process(const struct knowledge *k, uint16_t port, enum ps_proto proto, const char *process)
{
        const struct knowledge_entry *e[64];
        size_t n = knowledge_for_port(k, port, proto, e, 64);

        for (size_t i = 0; i < n && i < 64; i++)
                for (size_t j = 0; j < e[i]->nprocesses; j++)
                        if (strcmp(e[i]->processes[j], process) == 0)
                                return true;
        return false;
}

/* The file the program ships: it parses, and has what the project promises of it. */
static void test_builtin(void **state)
{
        struct knowledge *k = NULL;
        struct ps_error err;
        const struct knowledge_entry *e[16];
        size_t n, malware = 0;

        (void)state;
        unsetenv("PORTSCOPE_KNOWLEDGE");
        if (knowledge_load(NULL, &k, &err) < 0)
                fail_msg("built-in knowledge: %s:%u: %s", err.file, err.line, err.message);
        assert_true(knowledge_nentries(k) >= 400);
        assert_true(knowledge_nservices(k) >= 110);
        for (size_t i = 0; i < knowledge_nentries(k); i++) {
                const struct knowledge_entry *x = knowledge_entry(k, i);
                assert_true(strlen(x->source) > 0);
                /* A name is for people: short enough for a heading or a table cell. */
                if (!x->name[0] || strlen(x->name) > 60)
                        fail_msg("%s: name \"%s\" is empty or longer than 60 bytes", x->id, x->name);
                malware += knowledge_entry(k, i)->kind == KNOWLEDGE_MALWARE;
        }
        assert_true(malware >= 10);
        n = knowledge_for_port(k, 3025, PS_TCP, e, 16);
        assert_true(n >= 1);
        n = knowledge_for_port(k, 3389, PS_TCP, e, 16);
        for (size_t i = 0; i < n && i < 16; i++)
                if (strcmp(e[i]->id, "rdp-exposure") == 0)
                        assert_string_equal(e[i]->name, "Remote Desktop (RDP) exposed");
        n = knowledge_for_port(k, 31337, PS_UDP, e, 16);
        assert_true(n >= 1);
        n = knowledge_for_port(k, 6335, PS_TCP, e, 16);
        assert_true(n >= 1);
        assert_true(knowledge_serves(k, "ssh", "sshd"));
        assert_true(knowledge_serves(k, "http", "nginx"));
        /* Debian daemons on their default ports, by the names /proc/PID/comm shows. */
        assert_true(knowledge_serves(k, "smux", "snmpd"));
        assert_true(knowledge_serves(k, "http-alt", "lighttpd"));
        assert_true(knowledge_serves(k, "rndc", "named"));
        assert_false(knowledge_serves(k, "smux", "sshd"));
        assert_true(has_process(k, 323, PS_UDP, "chronyd"));
        assert_true(has_process(k, 9100, PS_TCP, "prometheus-node"));
        assert_true(has_process(k, 9100, PS_TCP, "node_exporter"));
        assert_true(has_process(k, 6082, PS_TCP, "varnishd"));
        assert_true(has_process(k, 8404, PS_TCP, "haproxy"));
        assert_false(has_process(k, 323, PS_TCP, "chronyd"));
        knowledge_free(k);
}

/* The entries covering PORT/PROTO found the slow way: every range of every entry, in file order. */
static size_t covering(const struct knowledge *k, uint16_t port, enum ps_proto proto,
                       const struct knowledge_entry **out, size_t max)
{
        size_t n = 0;
        for (size_t i = 0; i < knowledge_nentries(k); i++) {
                const struct knowledge_entry *x = knowledge_entry(k, i);
                for (size_t j = 0; j < x->nports; j++)
                        if (port >= x->ports[j].lo && port <= x->ports[j].hi &&
                            (x->ports[j].protos & PS_PROTO_BIT(proto))) {
                                if (n < max)
                                        out[n] = x;
                                n++;
                                break;
                        }
        }
        return n;
}

static void same_as_slow_way(const struct knowledge *k)
{
        const struct knowledge_entry *a[64], *b[64];

        for (int p = 0; p < PS_NPROTO; p++)
                for (uint32_t port = 0; port <= 65535; port++) {
                        size_t na = knowledge_for_port(k, (uint16_t)port, (enum ps_proto)p, a, 64);
                        size_t nb = covering(k, (uint16_t)port, (enum ps_proto)p, b, 64);
                        if (na != nb)
                                fail_msg("port %u protocol %d: %zu entries, the slow way %zu", port, p, na, nb);
                        for (size_t i = 0; i < na && i < 64; i++)
                                if (a[i] != b[i])
                                        fail_msg("port %u protocol %d: entry %zu is %s, the slow way %s", port, p, i,
                                                 a[i]->id, b[i]->id);
                }
}

/* knowledge_for_port() answers from an index of the ranges: for every port and protocol, the
 * same entries in the same order as a look at every range, with ranges that overlap (within one
 * entry and across entries), touch, cover single ports and both ends of the port space. */
static void test_port_index(void **state)
{
        const char *text = "entry: a\nname: A\nkind: tool\nports: 0-10/tcp, 5-20/tcp, 65535/udp\nsummary: s\nsource: x\n\n"
                           "entry: b\nname: B\nkind: tool\nports: 10/tcp, 11-11/tcp, 20-30/tcp, 20-30/udp\nsummary: s\nsource: x\n\n"
                           "entry: c\nname: C\nkind: tool\nports: 0-65535/sctp, 30000-65535/tcp\nsummary: s\nsource: x\n\n"
                           "entry: d\nname: D\nkind: tool\nports: 5/tcp, 5/udp\nsummary: s\nsource: x\n";
        struct knowledge *k = NULL;
        struct ps_error err;
        const struct knowledge_entry *e[2];

        (void)state;
        assert_int_equal(knowledge_parse("t", text, strlen(text), &k, &err), 0);
        same_as_slow_way(k);
        /* Spot checks, so that the slow way is not the only judge. */
        assert_int_equal(knowledge_for_port(k, 10, PS_TCP, e, 2), 2);
        assert_string_equal(e[0]->id, "a");
        assert_string_equal(e[1]->id, "b");
        assert_int_equal(knowledge_for_port(k, 5, PS_TCP, e, 2), 2); /* a and d: a counted once */
        assert_string_equal(e[1]->id, "d");
        assert_int_equal(knowledge_for_port(k, 65535, PS_DCCP, e, 2), 0);
        assert_int_equal(knowledge_for_port(k, 65535, PS_UDP, e, 2), 1);
        assert_int_equal(knowledge_for_port(k, 31, PS_TCP, e, 2), 0);
        knowledge_free(k);

        unsetenv("PORTSCOPE_KNOWLEDGE");
        assert_int_equal(knowledge_load(NULL, &k, &err), 0);
        same_as_slow_way(k);
        knowledge_free(k);
        assert_int_equal(knowledge_parse("t", "", 0, &k, &err), 0);
        same_as_slow_way(k);
        knowledge_free(k);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_builtin),
                cmocka_unit_test(test_port_index),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
