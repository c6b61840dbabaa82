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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_builtin),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
