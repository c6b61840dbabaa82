/* Unit tests of the audit library's sockets: /proc/net/raw and cgroup parsing, addresses, and a
 * real netlink dump of a socket this process opens on 127.0.0.1 (no privilege needed). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "portscope/sockets.h"

static void test_proc_raw_and_cgroup(void **state)
{
        (void)state;
        struct sockets_entry e;
        char buf[128];

        assert_int_equal(sockets_parse_proc_raw_line("  sl  local_address rem_address   st tx_queue", AF_INET, &e), -EINVAL);
        assert_int_equal(sockets_parse_proc_raw_line(
                                 "   1: 0100007F:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 4242 2 "
                                 "0000000000000000 0",
                                 AF_INET, &e),
                         0);
        assert_int_equal(e.port, 1);
        assert_int_equal(e.local[0], 127);
        assert_int_equal(e.uid, 1000);
        assert_int_equal(e.inode, 4242);
        assert_int_equal(e.state, 7);
        assert_int_equal(sockets_parse_proc_raw_line("   1: 0100007G:0001 00000000:0000 07", AF_INET, &e), -EINVAL);
        assert_int_equal(sockets_parse_proc_raw_line("   1: 0100007F:0001", AF_INET, &e), -EINVAL);

        sockets_cgroup_unit("/system.slice/ssh.service", buf, sizeof(buf));
        assert_string_equal(buf, "ssh.service");
        sockets_cgroup_unit("/user.slice/user-1000.slice/user@1000.service/app.slice/pd.service", buf, sizeof(buf));
        assert_string_equal(buf, "pd.service");
        sockets_cgroup_unit("/", buf, sizeof(buf));
        assert_string_equal(buf, "");
        sockets_cgroup_container("/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
                                 buf, sizeof(buf));
        assert_string_equal(buf, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        sockets_cgroup_container("/system.slice/ssh.service", buf, sizeof(buf));
        assert_string_equal(buf, "");
}

static void test_addresses(void **state)
{
        (void)state;
        int fam;
        uint8_t a[16];
        char buf[64];

        assert_int_equal(sockets_parse_addr("127.0.0.1", 9, &fam, a), 0);
        assert_int_equal(fam, AF_INET);
        assert_true(sockets_addr_is_loopback(fam, a));
        assert_int_equal(sockets_parse_addr("[::ffff:127.0.0.2]", 18, &fam, a), 0);
        assert_int_equal(fam, AF_INET6);
        assert_true(sockets_addr_is_loopback(fam, a));
        assert_int_equal(sockets_parse_addr("::", 2, &fam, a), 0);
        assert_true(sockets_addr_is_any(fam, a));
        sockets_format_addr(fam, a, buf, sizeof(buf));
        assert_string_equal(buf, "::");
        assert_int_equal(sockets_parse_addr("1.2.3", 5, &fam, a), -EINVAL);
        assert_int_equal(sockets_parse_addr("", 0, &fam, a), -EINVAL);
}

/* ---- a real dump of our own socket ---- */

static void dump_self(unsigned flags)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sin = { .sin_family = AF_INET };
        socklen_t sl = sizeof(sin);
        struct sockets_query q = SOCKETS_QUERY_INIT;
        struct sockets_list *l;
        bool found = false;

        q.flags |= flags;
        assert_true(fd >= 0);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        assert_int_equal(listen(fd, 1), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
        assert_int_equal(sockets_dump(&q, &l), 0);
        assert_int_equal(sockets_find_owners(l, &q), 0);
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                const struct sockets_process *p;
                if (e->proto != SOCKETS_TCP || e->port != ntohs(sin.sin_port))
                        continue;
                found = true;
                assert_true(e->listening);
                assert_int_equal(e->exposure, SOCKETS_EXPOSURE_LOOPBACK);
                assert_int_equal(e->nowners, 1);
                p = sockets_entry_owner(l, e, 0);
                assert_int_equal(p->pid, getpid());
                assert_int_equal(p->uid, getuid());
        }
        assert_true(found);
        assert_true(l->owners.done);
        if (flags & SOCKETS_NO_BPF)
                assert_false(l->owners.bpf);
        sockets_list_free(l);
        close(fd);
}

/* Whichever owner path this machine allows (BPF iterator as root, else /proc). */
static void test_dump_self(void **state)
{
        (void)state;
        dump_self(0);
}

static void test_dump_self_proc(void **state)
{
        (void)state;
        dump_self(SOCKETS_NO_BPF);
}

/* sockets_collect with a filter: only our port remains, owned by us. */
static bool keep_port(const struct sockets_entry *e, void *data)
{
        return e->proto == SOCKETS_TCP && e->port == *(uint16_t *)data;
}

static void test_collect(void **state)
{
        (void)state;
        int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), zero = 0;
        struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
        socklen_t sl = sizeof(sin);
        struct sockets_query q = SOCKETS_QUERY_INIT;
        struct sockets_list *l;
        uint16_t port;

        assert_true(fd >= 0);
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        assert_int_equal(listen(fd, 1), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
        port = ntohs(sin.sin6_port);
        assert_int_equal(sockets_collect(&q, keep_port, &port, &l), 0);
        assert_int_equal(l->n, 1);
        assert_int_equal(l->v[0].family, AF_INET6);
        assert_int_equal(l->v[0].exposure, SOCKETS_EXPOSURE_LOOPBACK);
        assert_false(l->v[0].dual_stack); /* ::1 is not the wildcard */
        assert_int_equal(sockets_entry_owner(l, &l->v[0], 0)->pid, getpid());
        sockets_list_free(l);
        close(fd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_proc_raw_and_cgroup),
                cmocka_unit_test(test_addresses),
                cmocka_unit_test(test_dump_self),
                cmocka_unit_test(test_dump_self_proc),
                cmocka_unit_test(test_collect),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
