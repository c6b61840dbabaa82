/* Unit tests of the scanner's pure parts: the permutation and its shards, targets, port sets,
 * cookies. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "portscope/registry.h"
#include "portscope/scan.h"
#include "../../src/scan/probes/service-probes.h"
#include "../../src/scan/probes/probes.h"

static void perm_is_permutation(void **state)
{
        (void)state;
        static const uint64_t sizes[] = { 1, 2, 3, 4, 5, 7, 100, 1000, 65535, 65536, 100003 };
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
                uint64_t n = sizes[s];
                uint8_t *seen = calloc(n, 1);
                struct scan_perm p;
                assert_int_equal(scan_perm_init(&p, n, 12345 + s, 0, 1), 0);
                struct scan_perm_iter it;
                scan_perm_begin(&p, 0, &it);
                uint64_t v, count = 0;
                while (scan_perm_next(&p, &it, &v)) {
                        assert_true(v < n);
                        assert_int_equal(seen[v], 0);
                        seen[v] = 1;
                        count++;
                }
                assert_int_equal(count, n);
                free(seen);
        }
}

static void perm_depends_on_seed(void **state)
{
        (void)state;
        struct scan_perm a, b, c;
        assert_int_equal(scan_perm_init(&a, 65535, 1, 0, 1), 0);
        assert_int_equal(scan_perm_init(&b, 65535, 1, 0, 1), 0);
        assert_int_equal(scan_perm_init(&c, 65535, 2, 0, 1), 0);
        struct scan_perm_iter ia, ib, ic;
        scan_perm_begin(&a, 0, &ia);
        scan_perm_begin(&b, 0, &ib);
        scan_perm_begin(&c, 0, &ic);
        int same_ab = 0, same_ac = 0;
        for (int i = 0; i < 100; i++) {
                uint64_t x, y, z;
                scan_perm_next(&a, &ia, &x);
                scan_perm_next(&b, &ib, &y);
                scan_perm_next(&c, &ic, &z);
                same_ab += x == y;
                same_ac += x == z;
        }
        assert_int_equal(same_ab, 100);
        assert_true(same_ac < 10);
}

static void shards_partition(void **state)
{
        (void)state;
        static const uint32_t counts[] = { 1, 2, 3, 7, 16 };
        uint64_t n = 10007 * 3;
        for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
                uint8_t *seen = calloc(n, 1);
                uint64_t total = 0;
                for (uint32_t s = 0; s < counts[c]; s++) {
                        struct scan_perm p;
                        assert_int_equal(scan_perm_init(&p, n, 99, s, counts[c]), 0);
                        struct scan_perm_iter it;
                        scan_perm_begin(&p, 0, &it);
                        uint64_t v;
                        while (scan_perm_next(&p, &it, &v)) {
                                assert_int_equal(seen[v], 0); /* no overlap */
                                seen[v] = 1;
                                total++;
                        }
                }
                assert_int_equal(total, n); /* no gap */
                free(seen);
        }
        struct scan_perm p;
        assert_int_equal(scan_perm_init(&p, 10, 1, 3, 3), -EINVAL);
        assert_int_equal(scan_perm_init(&p, 0, 1, 0, 1), -EINVAL);
}

static void perm_resume(void **state)
{
        (void)state;
        struct scan_perm p;
        assert_int_equal(scan_perm_init(&p, 5000, 7, 1, 2), 0);
        struct scan_perm_iter it, it2;
        scan_perm_begin(&p, 0, &it);
        uint64_t v, w;
        for (int i = 0; i < 1234; i++)
                assert_true(scan_perm_next(&p, &it, &v));
        scan_perm_begin(&p, it.pos, &it2);
        while (scan_perm_next(&p, &it, &v)) {
                assert_true(scan_perm_next(&p, &it2, &w));
                assert_int_equal(v, w);
        }
        assert_false(scan_perm_next(&p, &it2, &w));
}

/* The finished target set of specs minus excl (NULL-terminated lists; excl may be NULL). */
static struct scan_targets *targets_of(const char *const *specs, const char *const *excl)
{
        char err[200];
        struct scan_targets *t = scan_targets_new();
        for (; *specs; specs++)
                assert_int_equal(scan_targets_add(t, *specs, SCAN_TARGETS_NO_DNS, err, sizeof(err)), 0);
        for (; excl && *excl; excl++)
                assert_int_equal(scan_targets_exclude(t, *excl, SCAN_TARGETS_NO_DNS, err, sizeof(err)), 0);
        assert_int_equal(scan_targets_finish(t, err, sizeof(err)), 0);
        return t;
}

/* The TCP port set of spec (caller frees). */
static struct scan_ports ports_of(const char *spec)
{
        char err[200];
        struct scan_ports p = { 0 };
        assert_int_equal(scan_ports_parse(spec, PS_TCP, NULL, NULL, &p, err, sizeof(err)), 0);
        return p;
}

static uint64_t count_of(const char *const *specs, const char *const *excl)
{
        struct scan_targets *t = targets_of(specs, excl);
        uint64_t n = scan_targets_count(t);
        scan_targets_free(t);
        return n;
}

static void targets_parse(void **state)
{
        (void)state;
        assert_int_equal(count_of((const char *const[]){ "198.18.0.0/24", NULL }, NULL), 256);
        assert_int_equal(count_of((const char *const[]){ "198.18.0.7/24", NULL }, NULL), 256);
        assert_int_equal(count_of((const char *const[]){ "198.18.0.1-9", NULL }, NULL), 9);
        assert_int_equal(count_of((const char *const[]){ "198.18.0.1-198.18.1.0", NULL }, NULL), 256);
        assert_int_equal(count_of((const char *const[]){ "198.18.0.0/24", "198.18.0.5", "198.18.0.128/25", NULL }, NULL),
                         256);
        assert_int_equal(count_of((const char *const[]){ "::1", "fd00::/120", NULL }, NULL), 257);
        assert_int_equal(count_of((const char *const[]){ "198.18.0.0/24", NULL },
                                  (const char *const[]){ "198.18.0.0/26", "198.18.0.200", NULL }),
                         256 - 64 - 1);
        assert_int_equal(count_of((const char *const[]){ "198.18.0.1", NULL }, (const char *const[]){ "198.18.0.1", NULL }),
                         0);
        assert_int_equal(count_of((const char *const[]){ "0.0.0.0/0", NULL }, NULL), UINT64_C(1) << 32);
        /* An IPv4-mapped address is its IPv4 address: one target, and excluded with it. */
        assert_int_equal(count_of((const char *const[]){ "::ffff:198.18.0.1", "198.18.0.1", NULL }, NULL), 1);
        assert_int_equal(count_of((const char *const[]){ "::ffff:198.18.0.0/120", NULL }, NULL), 256);
        assert_int_equal(count_of((const char *const[]){ "::ffff:127.0.0.1", "198.18.0.1", NULL },
                                  (const char *const[]){ "127.0.0.0/8", NULL }),
                         1);
        assert_int_equal(count_of((const char *const[]){ "127.0.0.1", NULL }, (const char *const[]){ "::ffff:127.0.0.0/104", NULL }),
                         0);
        {
                struct scan_addr m;
                assert_int_equal(scan_addr_parse("::ffff:127.0.0.1", &m), 0);
                assert_int_equal(m.family, AF_INET);
                assert_int_equal(m.a[0], 127);
                assert_int_equal(m.a[3], 1);
        }

        static const char *const bad[] = { "", "198.18.0.1/33", "198.18.0.300", "198.18.0.9-1", "fd00::/64",
                                           "198.18.0.1-fd00::1", "a b", "198.18.0.1/", "/24", "1.2.3.4-256",
                                           "01.2.3.4", "host!", NULL };
        char err[200];
        for (const char *const *b = bad; *b; b++) {
                struct scan_targets *t = scan_targets_new();
                int r = scan_targets_add(t, *b, SCAN_TARGETS_NO_DNS, err, sizeof(err));
                if (r == 0)
                        fail_msg("accepted bad target '%s'", *b);
                assert_true(strlen(err) > 0);
                scan_targets_free(t);
        }
}

static void targets_index(void **state)
{
        (void)state;
        char err[200];
        struct scan_targets *t = scan_targets_new();
        assert_int_equal(scan_targets_add(t, "198.18.0.0/30", 0, err, sizeof(err)), 0);
        assert_int_equal(scan_targets_add(t, "127.0.0.1", 0, err, sizeof(err)), 0);
        assert_int_equal(scan_targets_add(t, "::1", 0, err, sizeof(err)), 0);
        assert_int_equal(scan_targets_finish(t, err, sizeof(err)), 0);
        assert_int_equal(scan_targets_count(t), 6);
        for (uint64_t i = 0; i < 6; i++) {
                struct scan_addr a;
                scan_targets_get(t, i, &a);
                assert_int_equal(scan_targets_index(t, &a), (int64_t)i);
        }
        struct scan_addr a, b;
        scan_targets_get(t, 0, &a);
        char buf[64];
        assert_int_equal(scan_addr_format(&a, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "127.0.0.1");
        scan_targets_get(t, 5, &a);
        assert_int_equal(scan_addr_format(&a, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "::1");
        assert_int_equal(scan_addr_parse("198.18.0.9", &b), 0);
        assert_int_equal(scan_targets_index(t, &b), -1);
        scan_targets_free(t);
}

static const char services[] = "ssh 22/tcp\nhttp 80/tcp www\nfoo 100/tcp\nfoo 100/udp\n";

static void ports_parse(void **state)
{
        (void)state;
        char err[200];
        struct scan_ports p;
        assert_int_equal(scan_ports_parse("22,80,8000-8002", PS_TCP, NULL, NULL, &p, err, sizeof(err)), 0);
        assert_int_equal(p.n, 5);
        assert_int_equal(p.ports[0], 22);
        assert_int_equal(p.ports[4], 8002);
        scan_ports_free(&p);
        assert_int_equal(scan_ports_parse("-", PS_TCP, NULL, NULL, &p, err, sizeof(err)), 0);
        assert_int_equal(p.n, 65535);
        assert_int_equal(p.ports[0], 1);
        scan_ports_free(&p);
        assert_int_equal(scan_ports_parse("65530-", PS_TCP, NULL, NULL, &p, err, sizeof(err)), 0);
        assert_int_equal(p.n, 6);
        scan_ports_free(&p);
        assert_int_equal(scan_ports_parse("-3,2,3", PS_TCP, NULL, NULL, &p, err, sizeof(err)), 0);
        assert_int_equal(p.n, 3);
        scan_ports_free(&p);
        static const char *const bad[] = { "", "65536", "1-70000", "9-1", "22,,80", "x", "22/tcp", "top:0", "top:x",
                                           "1--2", NULL };
        for (const char *const *b = bad; *b; b++) {
                err[0] = '\0';
                if (scan_ports_parse(*b, PS_TCP, NULL, NULL, &p, err, sizeof(err)) == 0)
                        fail_msg("accepted bad port set '%s'", *b);
                assert_true(strlen(err) > 0);
        }

        struct registry *r = NULL;
        struct ps_error rerr;
        assert_int_equal(registry_parse_buffer("services", services, sizeof(services) - 1, REGISTRY_SOURCE_SERVICES, &r,
                                               &rerr),
                         0);
        assert_int_equal(scan_ports_parse("assigned", PS_TCP, r, NULL, &p, err, sizeof(err)), 0);
        assert_int_equal(p.n, 3);
        scan_ports_free(&p);
        assert_int_equal(scan_ports_parse("assigned:udp", PS_TCP, r, NULL, &p, err, sizeof(err)), 0);
        assert_int_equal(p.n, 1);
        assert_int_equal(p.ports[0], 100);
        scan_ports_free(&p);
        assert_int_equal(scan_ports_parse("system-unassigned", PS_TCP, r, NULL, &p, err, sizeof(err)), 0);
        assert_int_equal(p.n, 1023 - 3);
        scan_ports_free(&p);
        assert_true(scan_ports_parse("malware", PS_TCP, r, NULL, &p, err, sizeof(err)) < 0);
        registry_close(r);
}

static void cookies(void **state)
{
        (void)state;
        struct scan_cookie_key k1 = { 1, 2 }, k2 = { 1, 3 };
        struct scan_addr a, b;
        assert_int_equal(scan_addr_parse("198.18.0.1", &a), 0);
        assert_int_equal(scan_addr_parse("198.18.0.2", &b), 0);
        uint32_t c = scan_cookie(&k1, &a, &b, 61000, 22);
        assert_int_equal(c, scan_cookie(&k1, &a, &b, 61000, 22));
        assert_int_not_equal(c, scan_cookie(&k2, &a, &b, 61000, 22));
        assert_int_not_equal(c, scan_cookie(&k1, &b, &a, 61000, 22));
        assert_int_not_equal(c, scan_cookie(&k1, &a, &b, 61001, 22));
        assert_int_not_equal(c, scan_cookie(&k1, &a, &b, 61000, 23));
        /* SipHash-2-4 reference vector: key 00..0f, empty input. */
        struct scan_cookie_key ref = { UINT64_C(0x0706050403020100), UINT64_C(0x0f0e0d0c0b0a0908) };
        assert_true(scan_siphash(&ref, "", 0) == UINT64_C(0x726fdb47dd0e0e31));
        uint8_t in[15];
        for (int i = 0; i < 15; i++)
                in[i] = (uint8_t)i;
        assert_true(scan_siphash(&ref, in, 15) == UINT64_C(0xa129ca6149be45e5));
}

static void engines_and_names(void **state)
{
        (void)state;
        enum scan_engine e;
        assert_int_equal(scan_engine_parse("-sS", &e), 0);
        assert_int_equal(e, SCAN_ENGINE_SYN);
        assert_int_equal(scan_engine_parse("connect", &e), 0);
        assert_int_equal(e, SCAN_ENGINE_CONNECT);
        assert_int_equal(scan_engine_parse("-sU", &e), 0);
        assert_int_equal(e, SCAN_ENGINE_UDP);
        assert_int_equal(scan_engine_parse("ping", &e), -EINVAL);
        assert_string_equal(scan_state_name(SCAN_OPEN_FILTERED), "open|filtered");
        assert_string_equal(scan_reason_name(SCAN_REASON_SYN_ACK), "syn-ack");
        assert_non_null(scan_output_find("xml"));
        assert_null(scan_output_find("html"));
}

static void targets_dash_names(void **state)
{
        (void)state;
        char err[200];
        /* A '-' in a host name is not a range (ip6-localhost, my-server.example): with DNS off, the
         * name's error; meant as an address range, the range's error. */
        static const char *const cases[][2] = {
                { "ip6-localhost", "host names are not resolved" }, { "my-server.example", "host names are not resolved" },
                { "a-1", "host names are not resolved" },           { "123-reg.example", "host names are not resolved" },
                { "198.18.0-5", "before '-'" },                     { "fd00:-fd00::1", "before '-'" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct scan_targets *t = scan_targets_new();
                assert_true(scan_targets_add(t, cases[i][0], SCAN_TARGETS_NO_DNS, err, sizeof(err)) < 0);
                if (!strstr(err, cases[i][1]))
                        fail_msg("'%s': expected \"%s\", got: %s", cases[i][0], cases[i][1], err);
                scan_targets_free(t);
        }
}

static uint64_t fingerprint_of(const char *const *specs)
{
        struct scan_targets *t = targets_of(specs, NULL);
        struct scan_ports p = ports_of("1-1000");
        uint64_t fp = scan_fingerprint(t, &p, SCAN_ENGINE_SYN);
        scan_ports_free(&p);
        scan_targets_free(t);
        return fp;
}

static void resume_fingerprint(void **state)
{
        (void)state;
        /* Same size, same first and last address, other addresses between: another scan. */
        uint64_t a = fingerprint_of((const char *const[]){ "127.0.0.1", "127.0.0.3", "127.0.0.5", "127.0.0.7",
                                                           "127.0.0.9", "127.0.0.11", "127.0.0.13", "127.0.0.15",
                                                           "127.0.0.17", "127.0.0.19", NULL });
        uint64_t b = fingerprint_of((const char *const[]){ "127.0.0.1-3", "127.0.0.7-9", "127.0.0.13-15", "127.0.0.19",
                                                           NULL });
        uint64_t c = fingerprint_of((const char *const[]){ "127.0.0.19", "127.0.0.17", "127.0.0.15", "127.0.0.13",
                                                           "127.0.0.11", "127.0.0.9", "127.0.0.7", "127.0.0.5",
                                                           "127.0.0.3", "127.0.0.1", NULL });
        assert_true(a != b);
        assert_true(a == c); /* the order of the command line does not matter */
}

static void probe_templates(void **state)
{
        (void)state;
        static const char rules[] =
                "Probe TCP NULL q||\n"
                "match ssh m|^SSH-[\\d.]+-VShell_(\\S+) (\\w+)| p/$2/ v/$SUBST(1,\"_\",\".\")/ i/$P(2)/\n"
                "match x11 m|^XX(..)(....)| p/X/ v/$I(1,\">\")/ i/$I(2,\"<\")/\n";
        struct scan_probes *p = NULL;
        struct ps_error err;
        assert_int_equal(scan_probes_parse("rules", rules, sizeof(rules) - 1, &p, &err), 0);
        struct scan_service s = { 0 };
        static const char ssh[] = "SSH-2.0-VShell_4_0_5 VShell\r\n";
        assert_int_equal(scan_probes_match(p, "NULL", PS_TCP, (const unsigned char *)ssh, sizeof(ssh) - 1, &s), 1);
        assert_string_equal(s.name, "ssh");
        assert_string_equal(s.product, "VShell");
        assert_string_equal(s.version, "4.0.5"); /* as nmap shows it */
        memset(&s, 0, sizeof(s));
        static const unsigned char x[] = { 'X', 'X', 0x01, 0x02, 0x10, 0x00, 0x00, 0x00 };
        assert_int_equal(scan_probes_match(p, "NULL", PS_TCP, x, sizeof(x), &s), 1);
        assert_string_equal(s.version, "258"); /* 0x0102 big endian */
        assert_string_equal(s.info, "16");    /* 0x00000010 little endian */
        scan_probes_free(p);
}

/* The order of probes (nmap's: those naming the port first, then by rarity up to the intensity;
 * after a soft match only those that can name the service), Exclude, and bad directives. */
static void probe_plan(void **state)
{
        (void)state;
        static const char file[] =
                "Exclude 53,T:9100-9102,U:30000\n"
                "Probe TCP NULL q||\n"
                "Probe TCP A q|a|\nrarity 3\nmatch svc-a m|^a|\n"
                "Probe TCP B q|b|\nrarity 1\nsslports 443\n"
                "Probe UDP U q|u|\nrarity 1\nports 53\n"
                "Probe TCP C q|c|\nrarity 9\nports 80,8000-8001\nmatch svc-c m|^c|\n"
                "Probe TCP D q|d|\nrarity 2\nfallback U\nmatch svc-a m|^d|\n";
        struct scan_probes *p = NULL;
        struct ps_error err;
        assert_int_equal(scan_probes_parse("plan", file, sizeof(file) - 1, &p, &err), 0);
        struct scan_probe_def d;
        char order[16];
        size_t n;
        struct { uint16_t port; bool tls; unsigned intensity; const char *soft, *want; } cases[] = {
                { 22, false, 7, NULL, "BDA" },  /* by rarity, not file order */
                { 8001, false, 7, NULL, "CBDA" }, /* C names the port: first, though of rarity 9 */
                { 22, false, 9, NULL, "BDAC" },
                { 22, false, 2, NULL, "BD" },
                { 22, false, 0, NULL, "" },
                { 443, true, 0, NULL, "B" },    /* sslports inside TLS */
                { 443, false, 0, NULL, "" },
                { 22, false, 7, "svc-a", "DA" }, /* soft: only the probes that can name svc-a */
        };
        for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
                struct scan_plan plan = { 0 };
                int i;
                n = 0;
                while ((i = scan_probes_next(p, PS_TCP, cases[k].port, cases[k].tls, cases[k].intensity, cases[k].soft,
                                             &plan)) >= 0 && n + 1 < sizeof(order)) {
                        scan_probes_def(p, i, &d);
                        order[n++] = d.name[0];
                }
                order[n] = '\0';
                assert_string_equal(order, cases[k].want);
        }
        /* a TCP probe's fallback may be a UDP probe's rules; the NULL probe is known */
        assert_true(scan_probes_null(p) >= 0);
        scan_probes_def(p, scan_probes_null(p), &d);
        assert_int_equal(d.waitms, 5000);
        assert_int_equal(d.tcpwrappedms, 3000);
        assert_true(scan_probes_excluded(p, PS_TCP, 53) && scan_probes_excluded(p, PS_UDP, 53));
        assert_true(scan_probes_excluded(p, PS_TCP, 9101) && !scan_probes_excluded(p, PS_UDP, 9101));
        assert_true(scan_probes_excluded(p, PS_UDP, 30000) && !scan_probes_excluded(p, PS_TCP, 30000));
        assert_false(scan_probes_excluded(p, PS_TCP, 22));
        scan_probes_free(p);
        static const char *const bad[] = {
                "Probe TCP A q|a|\nfallback Nope\n",
                "Probe TCP A q|a|\nrarity 10\n",
                "Probe TCP A q|a|\ntotalwaitms 5\n",
                "Probe TCP A q|a|\nsslports 70000\n",
                "Exclude X:1\n",
        };
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
                p = NULL;
                assert_true(scan_probes_parse("bad", bad[k], strlen(bad[k]), &p, &err) < 0);
                assert_null(p);
                assert_true(err.message[0] != '\0');
        }
}

/* Loads state text as a resume file of the scan 198.18.0.0/30 + fd00::1 x 1-3,625. */
static int load_state(const char *text, struct scan_resume *st, struct scan_report *rep, char *err, size_t errlen)
{
        char path[] = "/tmp/ps-resume-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        struct scan_targets *t = targets_of((const char *const[]){ "198.18.0.0/30", "fd00::1", NULL }, NULL);
        struct scan_ports p = ports_of("1-3,625");
        struct ps_error perr = { 0 };
        int r = scan_resume_load(path, t, &p, st, rep, &perr);
        snprintf(err, errlen, "%s", perr.message);
        unlink(path);
        scan_ports_free(&p);
        scan_targets_free(t);
        return r;
}

static void resume_refuses_other_pairs(void **state)
{
        (void)state;
        static const char good[] =
                "{\"portscope_scan_resume\":1,\"seed\":\"7\",\"shard\":0,\"nshards\":1,\"pos\":\"9\","
                "\"fingerprint\":\"1\",\"engine\":\"syn\",\"pending\":[1,2,19],\"results\":[{\"index\":3,"
                "\"address\":\"198.18.0.0\",\"port\":625,\"proto\":0,\"state\":0,\"reason\":0},{\"index\":19,"
                "\"address\":\"fd00::1\",\"port\":625,\"proto\":0,\"state\":1,\"reason\":1}]}";
        char err[256] = "", bad[sizeof(good) + 16];
        struct scan_resume st;
        struct scan_report rep;
        scan_report_init(&rep);
        assert_int_equal(load_state(good, &st, &rep, err, sizeof(err)), 0);
        assert_int_equal(st.npending, 3);
        assert_int_equal(rep.nhosts, 2);
        free(st.mpending);
        scan_report_free(&rep);
        /* 5 targets x 4 ports: pair 20 does not exist; pair 3 is 198.18.0.0:625, not .1 or :22. */
        static const char *const edits[][2] = { { "[1,2,19]", "[1,2,20]" },
                                                { "\"198.18.0.0\",\"port\":625", "\"198.18.0.1\",\"port\":625" },
                                                { "\"198.18.0.0\",\"port\":625", "\"198.18.0.0\",\"port\":22" },
                                                { "\"index\":19", "\"index\":-1" } };
        for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
                const char *at = strstr(good, edits[i][0]);
                assert_non_null(at);
                snprintf(bad, sizeof(bad), "%.*s%s%s", (int)(at - good), good, edits[i][1], at + strlen(edits[i][0]));
                scan_report_init(&rep);
                err[0] = '\0';
                if (load_state(bad, &st, &rep, err, sizeof(err)) == 0)
                        fail_msg("accepted a state naming a pair outside the scan: %s", bad);
                assert_non_null(strstr(err, "not a pair of this scan"));
                scan_report_free(&rep);
        }
}

static void verdict_without_registry(void **state)
{
        (void)state;
        struct scan_report rep;
        scan_report_init(&rep);
        rep.proto = PS_TCP;
        struct scan_result r = { .port = 2222, .proto = PS_TCP, .state = SCAN_OPEN, .reason = SCAN_REASON_SYN_ACK };
        assert_int_equal(scan_addr_parse("127.0.0.1", &r.addr), 0);
        assert_int_equal(scan_report_add(&rep, &r), 0);
        assert_int_equal(scan_report_finish(&rep), 0);
        assert_int_equal(rep.nhosts, 1);
        struct scan_port_report *p = &rep.hosts[0].ports[0];
        /* No registry: nothing to call the port unassigned by (its zeroed status would say so). */
        assert_int_equal(p->verdict, VERDICT_UNEXPLAINED);
        assert_int_equal(p->severity, VERDICT_LOW);
        char why[256];
        scan_report_explain(&rep, p, why, sizeof(why));
        assert_non_null(strstr(why, "no registry"));
        assert_true(rep.hosts[0].up);
        scan_report_free(&rep);
}

/* Filtered ports: a host's first SCAN_FILTERED_LISTED are listed; one more and none is, all are
 * counted (nmap's "Not shown: 26 filtered"); open ports stay listed. */
static void filtered_listed_then_counted(void **state)
{
        (void)state;
        struct scan_report rep;
        scan_report_init(&rep);
        rep.proto = PS_TCP;
        struct scan_result r = { .proto = PS_TCP, .state = SCAN_OPEN, .reason = SCAN_REASON_SYN_ACK, .port = 22 };
        assert_int_equal(scan_addr_parse("198.18.0.2", &r.addr), 0);
        assert_int_equal(scan_report_add(&rep, &r), 0);
        r.state = SCAN_FILTERED;
        r.reason = SCAN_REASON_NO_RESPONSE;
        for (unsigned i = 0; i < SCAN_FILTERED_LISTED; i++) {
                r.port = (uint16_t)(1000 + i);
                assert_int_equal(scan_report_add(&rep, &r), 0);
        }
        assert_int_equal(rep.hosts[0].nports, 1 + SCAN_FILTERED_LISTED);
        assert_int_equal(rep.hosts[0].filtered, 0);
        r.port = 2000;
        assert_int_equal(scan_report_add(&rep, &r), 0);
        r.port = 2001;
        assert_int_equal(scan_report_add(&rep, &r), 0);
        r.state = SCAN_OPEN;
        r.port = 80;
        assert_int_equal(scan_report_add(&rep, &r), 0);
        assert_int_equal(scan_report_finish(&rep), 0);
        const struct scan_host_report *h = &rep.hosts[0];
        assert_int_equal(h->nports, 2);
        assert_int_equal(h->ports[0].r.port, 22);
        assert_int_equal(h->ports[1].r.port, 80);
        assert_int_equal(h->filtered, SCAN_FILTERED_LISTED + 2);
        assert_true(h->up);
        scan_report_free(&rep);
}

/* In a sweep of more than SCAN_SILENT_HOSTS_SHOWN addresses, a host that has not answered keeps
 * counts, not records, for its filtered ports (its entry is not shown anyway); one that has
 * answered lists them as usual. */
static void sweep_silent_hosts_counted(void **state)
{
        (void)state;
        struct scan_report rep;
        char err[128];
        scan_report_init(&rep);
        rep.proto = PS_TCP;
        struct scan_targets *t = scan_targets_new();
        assert_non_null(t);
        assert_int_equal(scan_targets_add(t, "198.18.0.0/23", 0, err, sizeof err), 0);
        assert_int_equal(scan_targets_finish(t, err, sizeof err), 0);
        rep.targets = t;
        struct scan_result r = { .proto = PS_TCP, .state = SCAN_FILTERED, .reason = SCAN_REASON_NO_RESPONSE };
        assert_int_equal(scan_addr_parse("198.18.1.7", &r.addr), 0);
        for (unsigned i = 0; i < 3; i++) {
                r.port = (uint16_t)(1000 + i);
                assert_int_equal(scan_report_add(&rep, &r), 0);
        }
        assert_int_equal(rep.hosts[0].nports, 0);
        assert_int_equal(rep.hosts[0].filtered, 3);
        assert_false(rep.hosts[0].up);
        /* A host that answered lists its filtered ports. */
        assert_int_equal(scan_addr_parse("198.18.0.2", &r.addr), 0);
        r.state = SCAN_OPEN;
        r.reason = SCAN_REASON_SYN_ACK;
        r.port = 22;
        assert_int_equal(scan_report_add(&rep, &r), 0);
        r.state = SCAN_FILTERED;
        r.reason = SCAN_REASON_NO_RESPONSE;
        r.port = 1000;
        assert_int_equal(scan_report_add(&rep, &r), 0);
        assert_int_equal(rep.hosts[1].nports, 2);
        rep.targets = NULL;
        scan_report_free(&rep);
        scan_targets_free(t);
}

/* A STUN Binding answer: the SOFTWARE attribute names product and version; another transaction,
 * a wrong cookie or a length past the datagram is not an answer. */
static void stun_answer(void **state)
{
        (void)state;
        const uint8_t txid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
        unsigned char req[SCAN_STUN_REQUEST_LEN];
        assert_int_equal(scan_stun_request(req, txid), 20);
        assert_int_equal(req[0], 0x00);
        assert_int_equal(req[1], 0x01);
        assert_memory_equal(req + 8, txid, 12);
        static const char sw[] = "Coturn-4.6.1 'Gorst'"; /* 20 bytes */
        unsigned char a[64] = { 0x01, 0x01, 0x00, 0x1c, 0x21, 0x12, 0xa4, 0x42 };
        memcpy(a + 8, txid, 12);
        /* XOR-MAPPED-ADDRESS is skipped over: type 0x0020, 4 bytes (truncated on purpose). */
        unsigned char *at = a + 20;
        at[0] = 0x00, at[1] = 0x20, at[2] = 0x00, at[3] = 0x00;
        at += 4;
        at[0] = 0x80, at[1] = 0x22, at[2] = 0x00, at[3] = (unsigned char)strlen(sw);
        memcpy(at + 4, sw, strlen(sw));
        size_t len = 20 + 4 + 4 + strlen(sw);
        struct scan_service s;
        assert_int_equal(scan_stun_parse(a, len, txid, &s), 1);
        assert_string_equal(s.name, "stun");
        assert_string_equal(s.product, "Coturn");
        assert_string_equal(s.version, "4.6.1");
        assert_string_equal(s.info, "'Gorst'");
        const uint8_t other[12] = { 0 };
        assert_int_equal(scan_stun_parse(a, len, other, &s), 0);
        assert_int_equal(scan_stun_parse(a, len - 1, txid, &s), 0); /* the header claims more than there is */
        a[4] = 0;
        assert_int_equal(scan_stun_parse(a, len, txid, &s), 0);
}


/* An ICMP destination unreachable quoting our SYN is read as filtered with nmap's reason for its
 * code, in IPv4 and in ICMPv6 (the packets a firewall's REJECT sends back). */
static void icmp_reasons(void **state)
{
        (void)state;
        struct scan_addr src, dst;
        assert_int_equal(scan_addr_parse("198.18.0.1", &src), 0);
        assert_int_equal(scan_addr_parse("198.18.0.2", &dst), 0);
        uint8_t syn[64], pkt[128];
        size_t n = scan_probe_tcp_syn.make(syn, &src, &dst, 40000, 625, 0x12345678);
        assert_int_equal(n, 44); /* IP header, TCP header with MSS */
        static const struct {
                uint8_t code;
                const char *reason;
        } v4[] = { { 0, "net-unreach" },     { 1, "host-unreach" },     { 2, "proto-unreach" },
                   { 3, "port-unreach" },    { 9, "net-prohibited" },   { 10, "host-prohibited" },
                   { 13, "admin-prohibited" }, { 4, "dest-unreach" }, { 7, "host-unreach" } };
        for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
                memset(pkt, 0, sizeof(pkt));
                pkt[0] = 0x45, pkt[2] = 0, pkt[3] = 20 + 8 + 28, pkt[8] = 63, pkt[9] = IPPROTO_ICMP;
                memcpy(pkt + 12, dst.a, 4), memcpy(pkt + 16, src.a, 4);
                pkt[20] = 3, pkt[21] = v4[i].code;
                memcpy(pkt + 28, syn, 28); /* our IP header and the first 8 bytes of the SYN */
                struct scan_reply r;
                assert_int_equal(scan_probe_tcp_syn.parse(pkt, 56, 40000, 40000, &r), 1);
                assert_int_equal(r.state, SCAN_FILTERED);
                assert_int_equal(r.port, 625);
                assert_int_equal(r.cookie_seen, 0x12345678);
                assert_string_equal(scan_reason_name(r.reason), v4[i].reason);
                assert_int_equal(scan_probe_tcp_syn.parse(pkt, 55, 40000, 40000, &r), 0); /* cut short */
                assert_int_equal(scan_probe_tcp_syn.parse(pkt, 56, 40001, 40010, &r), 0); /* not our port */
        }
        assert_int_equal(scan_addr_parse("2001:db8::1", &src), 0); /* never sent: parsed only */
        assert_int_equal(scan_addr_parse("2001:db8::2", &dst), 0);
        n = scan_probe_tcp_syn.make(syn, &src, &dst, 40000, 625, 0x12345678);
        assert_true(n >= 8);
        static const struct {
                uint8_t code;
                const char *reason;
        } v6[] = { { 0, "no-route" },      { 1, "admin-prohibited" }, { 2, "beyond-scope" }, { 3, "host-unreach" },
                   { 4, "port-unreach" },  { 5, "admin-prohibited" }, { 6, "reject-route" }, { 7, "dest-unreach" } };
        for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
                memset(pkt, 0, sizeof(pkt));
                pkt[0] = 0x60, pkt[5] = 8 + 48, pkt[6] = 58, pkt[7] = 63;
                memcpy(pkt + 8, dst.a, 16), memcpy(pkt + 24, src.a, 16);
                pkt[40] = 1, pkt[41] = v6[i].code;
                uint8_t *q = pkt + 48; /* the quoted IPv6 header, then 8 bytes of the SYN */
                q[0] = 0x60, q[5] = 20, q[6] = IPPROTO_TCP, q[7] = 64;
                memcpy(q + 8, src.a, 16), memcpy(q + 24, dst.a, 16);
                memcpy(q + 40, syn, 8);
                struct scan_reply r;
                assert_int_equal(scan_probe_tcp_syn.parse(pkt, 96, 40000, 40000, &r), 1);
                assert_int_equal(r.state, SCAN_FILTERED);
                assert_int_equal(r.port, 625);
                assert_memory_equal(r.target.a, dst.a, 16);
                assert_string_equal(scan_reason_name(r.reason), v6[i].reason);
        }
        for (int c = 0; c < 256; c++) { /* every code has a reason with a name */
                assert_true(scan_icmp_unreach_reason(false, (uint8_t)c) < SCAN_NREASONS);
                assert_true(scan_icmp_unreach_reason(true, (uint8_t)c) < SCAN_NREASONS);
        }
        assert_string_equal(scan_reason_name(SCAN_NREASONS), "unknown");
}

/* The portmapper's PROG_MISMATCH reply names the versions it serves, over UDP and over TCP. */
static void rpc_mismatch(void **state)
{
        (void)state;
        static const unsigned char udp[] = {
                0x72, 0xfe, 0x1d, 0x13, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* reply, accepted, AUTH_NONE */
                0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 4,                                     /* PROG_MISMATCH 2-4 */
        };
        unsigned char tcp[4 + sizeof(udp)] = { 0x80, 0, 0, sizeof(udp) };
        memcpy(tcp + 4, udp, sizeof(udp));
        uint32_t lo = 0, hi = 0;
        assert_int_equal(scan_rpc_versions(udp, sizeof(udp), &lo, &hi), 1);
        assert_int_equal(lo, 2);
        assert_int_equal(hi, 4);
        lo = hi = 0;
        assert_int_equal(scan_rpc_versions(tcp, sizeof(tcp), &lo, &hi), 1);
        assert_int_equal(lo, 2);
        assert_int_equal(hi, 4);
        assert_int_equal(scan_rpc_versions(udp, sizeof(udp) - 1, &lo, &hi), 0); /* cut short */
        unsigned char success[sizeof(udp)];
        memcpy(success, udp, sizeof(udp));
        success[23] = 0; /* SUCCESS: no versions to read */
        assert_int_equal(scan_rpc_versions(success, sizeof(success), &lo, &hi), 0);
}


/* An MQTT broker's answer: CONNACK, SUBACK, then the retained $SYS/broker/version PUBLISH. */
static void mqtt_answer(void **state)
{
        (void)state;
        unsigned char req[SCAN_MQTT_REQUEST_LEN];
        assert_int_equal(scan_mqtt_request(req), SCAN_MQTT_REQUEST_LEN);
        assert_int_equal(req[0], 0x10);
        assert_int_equal(req[23], 0x82);
        static const unsigned char a[] = {
                0x20, 2, 0, 0,                   /* CONNACK */
                0x90, 3, 0, 1, 0,                /* SUBACK */
                0x31, 45, 0, 19, '$', 'S', 'Y', 'S', '/', 'b', 'r', 'o', 'k', 'e', 'r', '/', 'v', 'e', 'r', 's', 'i', 'o',
                'n', 'm', 'o', 's', 'q', 'u', 'i', 't', 't', 'o', ' ', 'v', 'e', 'r', 's', 'i', 'o', 'n', ' ', '2', '.',
                '0', '.', '1', '1',
        };
        struct scan_service s = { 0 };
        assert_int_equal(scan_mqtt_version(a, sizeof(a), &s), 1);
        assert_string_equal(s.product, "mosquitto");
        assert_string_equal(s.version, "2.0.11");
        assert_int_equal(scan_mqtt_version(a, sizeof(a) - 1, &s), 0); /* the PUBLISH cut short */
        assert_int_equal(scan_mqtt_version(a, 9, &s), 0);            /* no PUBLISH at all */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(perm_is_permutation), cmocka_unit_test(perm_depends_on_seed),
                cmocka_unit_test(shards_partition),    cmocka_unit_test(perm_resume),
                cmocka_unit_test(targets_parse),       cmocka_unit_test(targets_index),
                cmocka_unit_test(ports_parse),         cmocka_unit_test(cookies),
                cmocka_unit_test(engines_and_names),   cmocka_unit_test(targets_dash_names),
                cmocka_unit_test(resume_fingerprint),  cmocka_unit_test(verdict_without_registry),
                cmocka_unit_test(probe_templates),     cmocka_unit_test(stun_answer),     cmocka_unit_test(rpc_mismatch),     cmocka_unit_test(mqtt_answer),
                cmocka_unit_test(probe_plan),     cmocka_unit_test(resume_refuses_other_pairs),
                cmocka_unit_test(filtered_listed_then_counted),
                cmocka_unit_test(sweep_silent_hosts_counted),
                cmocka_unit_test(icmp_reasons),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
