/* Unit tests of the audit library: baseline parser, verdict rules on hand-made sockets, the
 * report and its outputs, history (a real SQLite file). The sockets' own tests are in
 * test-audit-sockets-unit.c. */
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

#include "portscope/baseline.h"
#include "portscope/history.h"
#include "portscope/knowledge.h"
#include "portscope/registry.h"
#include "portscope/sockets.h"
#include "portscope/verdict.h"

/* ---- baseline ---- */

static struct baseline *parse_ok(const char *text)
{
        struct baseline *b = NULL;
        struct ps_error err = { 0 };
        int r = baseline_parse("t.baseline", text, strlen(text), &b, &err);
        if (r < 0)
                fprintf(stderr, "unexpected error %s:%u:%u: %s\n", err.file, err.line, err.column, err.message);
        assert_int_equal(r, 0);
        return b;
}

static void parse_err(const char *text, unsigned line, unsigned col, const char *needle)
{
        struct baseline *b = NULL;
        struct ps_error err = { 0 };
        int r = baseline_parse("t.baseline", text, strlen(text), &b, &err);
        assert_true(r < 0);
        assert_null(b);
        assert_string_equal(err.file, "t.baseline");
        assert_int_equal(err.line, line);
        if (col)
                assert_int_equal(err.column, col);
        if (!strstr(err.message, needle))
                fprintf(stderr, "message '%s' lacks '%s'\n", err.message, needle);
        assert_non_null(strstr(err.message, needle));
}

static void test_baseline_parse(void **state)
{
        (void)state;
        struct baseline *b = parse_ok("# comment\n"
                                      "\n"
                                      "22/tcp   sshd   remote administration (OPS-112)  \n"
                                      "  127.0.0.1:631/tcp cupsd local printing\r\n"
                                      "[::1]:5432/tcp postgres app database # not a comment\n"
                                      "5353 * mDNS, any daemon\n"
                                      "8000-8100/udp python3 dev servers\n"
                                      "1/raw ping icmp");
        char spec[96];

        assert_int_equal(b->n, 6);
        assert_int_equal(b->v[0].port_lo, 22);
        assert_int_equal(b->v[0].protos, 1u << SOCKETS_TCP);
        assert_string_equal(b->v[0].process, "sshd");
        assert_string_equal(b->v[0].reason, "remote administration (OPS-112)");
        assert_int_equal(b->v[0].line, 3);
        assert_true(b->v[1].has_address);
        assert_int_equal(b->v[1].family, AF_INET);
        assert_string_equal(b->v[1].reason, "local printing");
        assert_int_equal(b->v[2].family, AF_INET6);
        assert_string_equal(b->v[2].reason, "app database # not a comment");
        assert_null(b->v[3].process);
        assert_int_equal(b->v[3].protos, (1u << SOCKETS_TCP) | (1u << SOCKETS_UDP) | (1u << SOCKETS_SCTP));
        assert_int_equal(b->v[4].port_lo, 8000);
        assert_int_equal(b->v[4].port_hi, 8100);
        assert_int_equal(b->v[5].protos, 1u << SOCKETS_RAW);
        assert_int_equal(baseline_entry_format(&b->v[1], spec, sizeof(spec)), 0);
        assert_string_equal(spec, "127.0.0.1:631/tcp");
        assert_int_equal(baseline_entry_format(&b->v[2], spec, sizeof(spec)), 0);
        assert_string_equal(spec, "[::1]:5432/tcp");
        assert_int_equal(baseline_entry_format(&b->v[3], spec, sizeof(spec)), 0);
        assert_string_equal(spec, "5353");
        assert_int_equal(baseline_entry_format(&b->v[1], spec, 4), -ENOBUFS);
        baseline_free(b);
        baseline_free(NULL);
        /* A byte-order mark (as some editors write UTF-8) is not part of the first line. */
        b = parse_ok("\xef\xbb\xbf" "22/tcp sshd administration\n");
        assert_int_equal(b->n, 1);
        assert_int_equal(b->v[0].port_lo, 22);
        baseline_free(b);
}

static void test_baseline_errors(void **state)
{
        (void)state;
        parse_err("22/tcp sshd\n", 1, 12, "missing reason");
        parse_err("256/raw * why\n", 1, 1, "IP protocol, 0-255");
        parse_err("22 /tcp sshd why\n", 1, 4, "a space before '/tcp'");
        parse_err("22/tcp sshd a\n80/tcp nginx b\n22/tcp sshd again\n", 3, 1, "as line 1");
        parse_err("[::1]:631/tcp cupsd a\n[::1]:631/tcp cupsd b\n", 2, 1, "as line 1");
        parse_err("1-5/tcp * a\n# c\n1-5/tcp * b\n", 3, 1, "as line 1");
        /* Alike but not the same: each can match. */
        baseline_free(parse_ok("22/tcp sshd a\n22/udp sshd b\n22 sshd c\n127.0.0.1:22/tcp sshd d\n22/tcp dropbear e\n"
                               "22/tcp * f\n1/raw * g\n255/raw * h\n3/packet * i\n34958/packet wpa_supplicant j\n"));
        parse_err("127.0.0.1:3/packet * why\n", 1, 1, "a packet socket has no address");
        parse_err("3/frame * why\n", 1, 3, "expected tcp, udp, sctp, raw or packet");
        parse_err("ok/tcp sshd why\n", 1, 1, "PORT");
        parse_err("# c\n22/tcpx sshd why\n", 2, 4, "unknown protocol");
        parse_err("65536/tcp sshd why\n", 1, 1, "PORT");
        parse_err("90-80/tcp sshd why\n", 1, 1, "LO <= HI");
        parse_err("22/ sshd why\n", 1, 4, "protocol");
        parse_err("::1:22/tcp sshd why\n", 1, 1, "[ADDRESS]");
        parse_err("1.2.3:22/tcp x why\n", 1, 1, "IPv4");
        parse_err("[1.2.3.4]:22/tcp x why\n", 1, 1, "IPv6");
        parse_err("[::1]22/tcp x why\n", 1, 1, "[ADDRESS]");
        parse_err("22/tcp\n", 1, 7, "process");
        parse_err("22/tcp s why\x01\n", 1, 13, "control");
        parse_err("22/tcp s why\xff\n", 1, 13, "UTF-8"); /* the column of the bad byte */
        parse_err("\xef\xbb\xbf" "22/tcp s why\n22/tcp\n", 2, 7, "process"); /* a byte-order mark is skipped */
        {
                char *big = malloc(BASELINE_MAX_LINE + 100);
                memset(big, 'a', BASELINE_MAX_LINE + 50);
                memcpy(big, "22/tcp s ", 9);
                big[BASELINE_MAX_LINE + 50] = '\0';
                parse_err(big, 1, 0, "longer");
                free(big);
        }
}

static void test_baseline_match(void **state)
{
        (void)state;
        struct baseline *b = parse_ok("22/tcp sshd ssh\n127.0.0.1:631/tcp cupsd print\n5353/udp * mdns\n");
        const char *sshd[] = { "sshd" }, *nc[] = { "nc", "ncat" }, *cups[] = { "cupsd" };
        uint8_t any[16] = { 0 }, lo[16] = { 127, 0, 0, 1 }, other[16] = { 198, 18, 0, 1 };

        assert_int_equal(baseline_match(b, SOCKETS_TCP, 22, AF_INET, any, sshd, 1), 0);
        assert_int_equal(baseline_match(b, SOCKETS_TCP, 22, AF_INET6, any, sshd, 1), 0);
        assert_int_equal(baseline_match(b, SOCKETS_TCP, 22, AF_INET, any, nc, 2), -1);
        assert_int_equal(baseline_match(b, SOCKETS_UDP, 22, AF_INET, any, sshd, 1), -1);
        assert_int_equal(baseline_match(b, SOCKETS_TCP, 22, AF_INET, any, NULL, 0), -1);
        assert_int_equal(baseline_match(b, SOCKETS_TCP, 631, AF_INET, lo, cups, 1), 1);
        assert_int_equal(baseline_match(b, SOCKETS_TCP, 631, AF_INET, other, cups, 1), -1);
        assert_int_equal(baseline_match(b, SOCKETS_UDP, 5353, AF_INET, other, NULL, 0), 2);
        assert_int_equal(baseline_match(NULL, SOCKETS_UDP, 5353, AF_INET, other, NULL, 0), -1);
        baseline_free(b);
}

/* The index by port answers what a scan of every entry answers: the first entry in file order,
 * ranges and single ports interleaved, and every entry for 'gone'. */
static void test_baseline_index(void **state)
{
        (void)state;
        struct baseline *b = parse_ok("100-200/tcp r range\n150/tcp x exact\n150/tcp * any\n1-65535/udp * all udp\n"
                                      "65535/tcp z top\n0/tcp z zero\n");
        struct baseline plain = { .origin = "t", .v = b->v, .n = b->n };
        const char *x[] = { "x" }, *r[] = { "r" }, *q[] = { "q" }, *z[] = { "z" };
        const char *const *names[] = { x, r, q, z };
        uint8_t any[16] = { 0 };
        bool seen[6] = { false };

        assert_non_null(b->port_start);
        assert_int_equal(baseline_match(b, SOCKETS_TCP, 150, AF_INET, any, x, 1), 1);
        assert_int_equal(baseline_match(b, SOCKETS_TCP, 150, AF_INET, any, r, 1), 0);
        assert_int_equal(baseline_match(b, SOCKETS_TCP, 150, AF_INET, any, q, 1), 2);
        assert_int_equal(baseline_match(b, SOCKETS_TCP, 151, AF_INET, any, q, 1), -1);
        assert_int_equal(baseline_match(b, SOCKETS_UDP, 150, AF_INET, any, q, 1), 3);
        assert_int_equal(baseline_match(b, SOCKETS_TCP, 65535, AF_INET, any, z, 1), 4);
        assert_int_equal(baseline_match(b, SOCKETS_TCP, 0, AF_INET, any, z, 1), 5);
        for (unsigned port = 0; port < 65536; port += 13)
                for (unsigned n = 0; n < 4; n++)
                        for (unsigned pr = 0; pr < 2; pr++)
                                assert_int_equal(baseline_match(b, (enum sockets_proto)pr, (uint16_t)port, AF_INET, any, names[n], 1),
                                                 baseline_match(&plain, (enum sockets_proto)pr, (uint16_t)port, AF_INET, any, names[n], 1));
        baseline_mark_matches(b, SOCKETS_TCP, 150, AF_INET, any, x, 1, seen);
        assert_false(seen[0]);
        assert_true(seen[1]);
        assert_true(seen[2]);
        assert_false(seen[3]);
        baseline_mark_matches(b, SOCKETS_UDP, 9, AF_INET, any, NULL, 0, seen);
        assert_true(seen[3]);
        assert_false(seen[4] || seen[5]);
        baseline_free(b);
}

/* ---- verdicts on hand-made sockets ---- */

static const char csv[] =
        "Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,Registration Date,"
        "Modification Date,Reference,Service Code,Unauthorized Use Reported,Assignment Notes\n"
        "ssh,22,tcp,The Secure Shell (SSH) Protocol,,,,,[RFC4251],,,\n"
        ",250-263,tcp,Unassigned,,,,,,,,\n"
        "dec-dlm,625,tcp,DEC DLM,,,,,,,,\n"
        "hbci,3000,tcp,HBCI,,,,,,,,\n"
        "arepa-raft,3025,tcp,Arepa Raft,,,,,,,,\n"
        "arepa-raft,3025,udp,Arepa Raft,,,,,,,,\n"
        "eldim,31337,tcp,eldim,,,,,,,,\n"
        ",40001-40840,tcp,Unassigned,,,,,,,,\n"
        ",49152-65535,tcp,Reserved,,,,,,,,\n";

static const char know[] = "service: ssh\nservers: sshd dropbear\nsource: test\n\n"
                           "entry: netpd\nname: netpd\nkind: application\nports: 3025/tcp, 3025/udp\nsummary: Pure Data netpd.\n"
                           "process: pd\nsource: test\n\n"
                           "entry: bo\nname: Back Orifice\nkind: malware\nports: 31337/tcp\nsummary: Back Orifice.\nsource: test\n\n"
                           "entry: express\nname: Express\nkind: development\nports: 3000/tcp\nsummary: Node apps.\n"
                           "process: node\nsource: test\n\n"
                           "entry: beef\nname: BeEF\nkind: c2\nports: 3000/tcp\nsummary: BeEF.\nprocess: beef ruby\n"
                           "source: test\n\n"
                           "entry: bo2k\nname: Back Orifice 2000\nkind: malware\nports: 54321/udp\nsummary: BO2K.\n"
                           "source: test\n\n"
                           "socket: raw\nname: ping tools\nprocess: pd\nsource: test\n";

struct fixture {
        struct registry *reg;
        struct knowledge *k;
        struct sockets_list l;
        struct sockets_process procs[6];
        uint32_t owner_ix[6];
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        struct ps_error rerr;
        struct ps_error kerr;
        static const char *names[6] = { "sshd", "nc", "pd", "python3", "node", "ruby" };
        static const char *cmdlines[6] = { "sshd", "nc", "pd", "python3", "node server.js", "ruby app.rb" };

        if (registry_parse_buffer("test.csv", csv, sizeof(csv) - 1, REGISTRY_SOURCE_IANA_CSV, &f->reg, &rerr) < 0) {
                fprintf(stderr, "registry: %s:%u: %s\n", rerr.file, rerr.line, rerr.message);
                return -1;
        }
        if (knowledge_parse("test.knowledge", know, sizeof(know) - 1, &f->k, &kerr) < 0) {
                fprintf(stderr, "knowledge: %u: %s\n", kerr.line, kerr.message);
                return -1;
        }
        for (int i = 0; i < 6; i++) {
                f->procs[i] = (struct sockets_process){ .pid = 100 + i, .uid = 0, .comm = names[i], .cmdline = cmdlines[i],
                                                        .exe = names[i], .user = "root", .cgroup = "", .unit = "",
                                                        .container = "" };
                f->owner_ix[i] = (uint32_t)i;
        }
        f->l.procs = f->procs;
        f->l.nprocs = 6;
        f->l.owners.done = true;
        f->l.owners.privileged = true;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        registry_close(f->reg);
        knowledge_free(f->k);
        free(f);
        return 0;
}

/* Judges a TCP/UDP listener on port owned by process index who (-1: no owner). */
static void judge_one(struct fixture *f, enum sockets_proto proto, uint16_t port, int who, bool loopback,
                  const struct baseline *b, struct verdict *v)
{
        struct sockets_entry e = { .proto = proto, .family = AF_INET, .listening = true, .port = port };
        struct verdict_context c = { .registry = f->reg, .knowledge = f->k, .baseline = b };

        if (loopback) {
                e.local[0] = 127;
                e.local[3] = 1;
                e.exposure = SOCKETS_EXPOSURE_LOOPBACK;
        } else
                e.exposure = SOCKETS_EXPOSURE_ALL;
        if (who >= 0) {
                e.owners = &f->owner_ix[who];
                e.nowners = 1;
        }
        verdict_judge(&c, &f->l, &e, v);
}

static void expect(const struct verdict *v, enum verdict_kind k, enum verdict_severity s, const char *needle)
{
        if (v->kind != k || v->severity != s || !strstr(v->reason, needle))
                fprintf(stderr, "got %s/%s: %s (wanted %s/%s with '%s')\n", verdict_kind_name(v->kind),
                        verdict_severity_name(v->severity), v->reason, verdict_kind_name(k), verdict_severity_name(s),
                        needle);
        assert_int_equal(v->kind, k);
        assert_int_equal(v->severity, s);
        assert_non_null(strstr(v->reason, needle));
}

/* A raw (IP protocol port) or packet (EtherType port) socket of process who (-1: no owner). */
static void judge_raw(struct fixture *f, enum sockets_proto proto, uint16_t port, int who, bool filter, bool loopback,
                      struct verdict *v)
{
        struct sockets_entry e = { .proto = proto, .family = proto == SOCKETS_PACKET ? AF_PACKET : AF_INET,
                                   .listening = true, .port = port, .filter = filter };
        struct verdict_context c = { .registry = f->reg, .knowledge = f->k };

        e.exposure = loopback ? SOCKETS_EXPOSURE_LOOPBACK : SOCKETS_EXPOSURE_ALL;
        if (loopback)
                snprintf(e.ifname, sizeof(e.ifname), "lo"), e.ifindex = 1;
        if (who >= 0) {
                e.owners = &f->owner_ix[who];
                e.nowners = 1;
        }
        verdict_judge(&c, &f->l, &e, v);
}

/* Raw and packet sockets are judged by their holder: a socket record of its kind explains it. */
static void test_raw_verdicts(void **state)
{
        struct fixture *f = *state;
        struct verdict v;

        judge_raw(f, SOCKETS_RAW, 1, 2, false, false, &v);
        expect(&v, VERDICT_EXPECTED, VERDICT_NONE, "raw socket receiving IP protocol 1 (icmp), held by pd, one of the ping tools");
        assert_int_equal(v.rule, JUDGE_RAW);
        /* The record is for raw sockets: pd's packet socket is not explained by it. */
        judge_raw(f, SOCKETS_PACKET, 3, 2, false, false, &v);
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_MEDIUM,
               "packet socket receiving every frame on every interface, held by pd, which is not known to need one");
        assert_int_equal(v.rule, JUDGE_RAW_UNEXPLAINED);
        assert_null(strstr(v.reason, "BPF"));
        judge_raw(f, SOCKETS_PACKET, 0x0806, 1, true, false, &v);
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_HIGH, "EtherType 0x0806 (arp) on every interface, held by nc");
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_HIGH, "a BPF filter chooses the frames it gets, as BPFDoor's does");
        /* A filter on a raw IP socket is not the packet socket's trigger. */
        judge_raw(f, SOCKETS_RAW, 17, 1, true, false, &v);
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_MEDIUM, "raw socket receiving IP protocol 17 (udp), held by nc");
        judge_raw(f, SOCKETS_RAW, 200, -1, false, false, &v);
        expect(&v, VERDICT_UNEXPLAINED, VERDICT_MEDIUM, "raw socket receiving IP protocol 200; owner unknown");
        judge_raw(f, SOCKETS_PACKET, 0x1234, 1, true, true, &v);
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_MEDIUM, "EtherType 0x1234 on lo");
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_MEDIUM, "severity lowered from high to medium");

        /* Sockets that receive nothing wait for nothing; a filter we cannot see is said. */
        struct verdict_context c = { .registry = f->reg, .knowledge = f->k };
        struct sockets_entry e = { .proto = SOCKETS_RAW, .family = AF_INET, .listening = true, .port = 255,
                                   .deaf = true, .exposure = SOCKETS_EXPOSURE_ALL, .owners = &f->owner_ix[1],
                                   .nowners = 1 };
        verdict_judge(&c, &f->l, &e, &v);
        expect(&v, VERDICT_INFO, VERDICT_LOW, "raw socket of IP protocol 255 (IPPROTO_RAW), which only sends");
        expect(&v, VERDICT_INFO, VERDICT_LOW, "held by nc, which is not known to need one; it receives nothing");
        e = (struct sockets_entry){ .proto = SOCKETS_PACKET, .family = AF_PACKET, .listening = true, .port = 3,
                                    .filter_unknown = true, .exposure = SOCKETS_EXPOSURE_ALL, .owners = &f->owner_ix[1],
                                    .nowners = 1 };
        verdict_judge(&c, &f->l, &e, &v);
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_MEDIUM, "; whether a BPF filter chooses its frames, the kernel tells root only");
        e.filter_unknown = false;
        e.deaf = true;
        e.ifindex = 7;
        snprintf(e.ifname, sizeof e.ifname, "if#-1");
        verdict_judge(&c, &f->l, &e, &v);
        expect(&v, VERDICT_INFO, VERDICT_LOW, "packet socket receiving no frames now (its interface is down or gone) on if#-1");
        assert_null(strstr(v.reason, "magic packet"));
}

static void test_verdicts(void **state)
{
        struct fixture *f = *state;
        struct verdict v;

        judge_one(f, SOCKETS_TCP, 22, 0, false, NULL, &v);
        expect(&v, VERDICT_EXPECTED, VERDICT_NONE, "sshd serves ssh");
        assert_int_equal(v.nservices, 1);
        assert_string_equal(v.services[0], "ssh");
        judge_one(f, SOCKETS_TCP, 22, 1, false, NULL, &v);
        expect(&v, VERDICT_MISMATCH, VERDICT_MEDIUM, "nc is not a known server");
        judge_one(f, SOCKETS_TCP, 22, 1, true, NULL, &v);
        expect(&v, VERDICT_MISMATCH, VERDICT_LOW, "loopback only, so severity lowered from medium to low");
        judge_one(f, SOCKETS_TCP, 250, 3, false, NULL, &v);
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_HIGH, "nothing is registered on 250/tcp");
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_HIGH, "either lost or hiding");
        judge_one(f, SOCKETS_TCP, 250, -1, false, NULL, &v);
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_HIGH, "owner unknown");
        {
                /* A services(5) file lists assignments only: a system port it lacks may be assigned
                 * (/etc/services lacks 599 of IANA's), so no "lost or hiding" on its word. */
                static const char services[] = "ssh\t\t22/tcp\n";
                struct registry *full = f->reg, *svc = NULL;
                struct ps_error err;
                assert_int_equal(registry_parse_buffer("services", services, sizeof(services) - 1,
                                                       REGISTRY_SOURCE_SERVICES, &svc, &err), 0);
                f->reg = svc;
                judge_one(f, SOCKETS_TCP, 18, 1, false, NULL, &v);
                expect(&v, VERDICT_UNEXPLAINED, VERDICT_MEDIUM, "18/tcp is not in the services file in use");
                assert_null(strstr(v.reason, "lost or hiding"));
                judge_one(f, SOCKETS_TCP, 22, 0, false, NULL, &v);
                expect(&v, VERDICT_EXPECTED, VERDICT_NONE, "sshd serves ssh");
                f->reg = full;
                registry_close(svc);
        }
        judge_one(f, SOCKETS_TCP, 3025, 2, false, NULL, &v);
        expect(&v, VERDICT_EXPECTED, VERDICT_NONE, "netpd");
        assert_non_null(v.knowledge);
        judge_one(f, SOCKETS_UDP, 3025, 3, false, NULL, &v);
        expect(&v, VERDICT_UNEXPLAINED, VERDICT_MEDIUM, "knowledge knows netpd here");
        judge_one(f, SOCKETS_TCP, 31337, 3, false, NULL, &v);
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_HIGH, "known malware port: Back Orifice (knowledge)");
        judge_one(f, SOCKETS_TCP, 31337, 3, true, NULL, &v);
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_MEDIUM, "lowered from high to medium");
        judge_one(f, SOCKETS_TCP, 40001, 3, false, NULL, &v);
        expect(&v, VERDICT_UNEXPLAINED, VERDICT_MEDIUM, "nothing is registered on 40001/tcp");
        /* node on 3000, where a benign entry names node and a C2 entry names ruby: not the C2's,
         * and not explained either (node runs any program). */
        judge_one(f, SOCKETS_TCP, 3000, 4, false, NULL, &v);
        expect(&v, VERDICT_UNEXPLAINED, VERDICT_LOW, "node server.js on 3000/tcp runs on node, as Express does");
        assert_int_equal(v.rule, JUDGE_RUNTIME_USE);
        judge_one(f, SOCKETS_TCP, 3000, 5, false, NULL, &v);
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_HIGH, "known command-and-control port: BeEF");
        judge_one(f, SOCKETS_TCP, 3000, 3, false, NULL, &v);
        expect(&v, VERDICT_SUSPICIOUS, VERDICT_HIGH, "known command-and-control port: BeEF");
        judge_one(f, SOCKETS_TCP, 625, 3, false, NULL, &v);
        expect(&v, VERDICT_UNEXPLAINED, VERDICT_MEDIUM, "assigned to dec-dlm");
        judge_one(f, SOCKETS_TCP, 60000, 3, false, NULL, &v);
        expect(&v, VERDICT_INFO, VERDICT_LOW, "dynamic range");
        judge_one(f, SOCKETS_TCP, 60000, 3, true, NULL, &v);
        expect(&v, VERDICT_INFO, VERDICT_NONE, "loopback only");
        {
                struct baseline *b = parse_ok("250/tcp python3 the lab's legacy service\n40001 * test rig\n");
                judge_one(f, SOCKETS_TCP, 250, 3, false, b, &v);
                expect(&v, VERDICT_EXPECTED, VERDICT_NONE, "in the baseline (t.baseline:1): the lab's legacy service");
                assert_int_equal(v.baseline, 0);
                judge_one(f, SOCKETS_TCP, 250, 1, false, b, &v);
                expect(&v, VERDICT_SUSPICIOUS, VERDICT_HIGH, "250/tcp");
                judge_one(f, SOCKETS_TCP, 40001, -1, false, b, &v);
                expect(&v, VERDICT_EXPECTED, VERDICT_NONE, "test rig");
                baseline_free(b);
        }
        {
                /* sshd whose executable no package put where it is: its names explain nothing, in
                 * the knowledge or a baseline; a name that explains nothing anyway is judged as it was. */
                struct sockets_process real = f->procs[0];
                struct baseline *b = parse_ok("22/tcp sshd the bastion\n");
                f->procs[0].path = "/tmp/x/sshd";
                f->procs[0].place = JUDGE_EXE_WRITABLE;
                f->procs[0].place_dir = "/tmp";
                judge_one(f, SOCKETS_TCP, 22, 0, false, NULL, &v);
                expect(&v, VERDICT_SUSPICIOUS, VERDICT_HIGH, "its executable /tmp/x/sshd lies under /tmp");
                assert_int_equal(v.rule, JUDGE_STRAY_EXECUTABLE);
                judge_one(f, SOCKETS_TCP, 22, 0, false, b, &v);
                expect(&v, VERDICT_SUSPICIOUS, VERDICT_HIGH, "lies under /tmp");
                judge_one(f, SOCKETS_TCP, 22, 0, true, NULL, &v);
                expect(&v, VERDICT_SUSPICIOUS, VERDICT_MEDIUM, "lowered from high to medium");
                {
                        /* An entry for any process is the sysadmin's word for whatever is there. */
                        struct baseline *any = parse_ok("22/tcp * the lab's go run server\n");
                        judge_one(f, SOCKETS_TCP, 22, 0, false, any, &v);
                        expect(&v, VERDICT_EXPECTED, VERDICT_NONE, "the lab's go run server");
                        baseline_free(any);
                }
                judge_one(f, SOCKETS_TCP, 40001, 0, false, NULL, &v);
                expect(&v, VERDICT_UNEXPLAINED, VERDICT_MEDIUM, "nothing is registered on 40001/tcp");
                f->procs[0].place = JUDGE_EXE_DELETED;
                f->procs[0].place_dir = NULL;
                judge_one(f, SOCKETS_TCP, 22, 0, false, NULL, &v);
                expect(&v, VERDICT_SUSPICIOUS, VERDICT_MEDIUM, "/tmp/x/sshd was deleted and nothing took its place");
                f->procs[0].path = "/memfd:sshd";
                f->procs[0].place = JUDGE_EXE_MEMORY;
                judge_one(f, SOCKETS_TCP, 22, 0, false, NULL, &v);
                expect(&v, VERDICT_SUSPICIOUS, VERDICT_HIGH, "/memfd:sshd is a memfd");
                f->procs[0] = real;
                judge_one(f, SOCKETS_TCP, 22, 0, false, b, &v);
                expect(&v, VERDICT_EXPECTED, VERDICT_NONE, "in the baseline");
                baseline_free(b);
        }
}

/* An unconnected UDP socket in the ephemeral range is a server's own client socket, unless it sits
 * on a malware port and its process's other listener is not explained either. */
static void test_ephemeral_threat(void **state)
{
        struct fixture *f = *state;
        uint16_t lo, hi;
        verdict_ephemeral_range(&lo, &hi);
        if (!(lo <= 54321 && 54321 <= hi))
                skip(); /* this machine's ip_local_port_range leaves 54321 out */
        /* sshd (0) serves 22 and holds 54321/udp; python3 (3) listens on 625 (unexplained) and holds 54321/udp. */
        struct sockets_entry v[4] = {
                { .proto = SOCKETS_TCP, .family = AF_INET, .listening = true, .port = 22, .owners = &f->owner_ix[0], .nowners = 1, .exposure = SOCKETS_EXPOSURE_ALL },
                { .proto = SOCKETS_UDP, .family = AF_INET, .listening = true, .port = 54321, .owners = &f->owner_ix[0], .nowners = 1, .exposure = SOCKETS_EXPOSURE_ALL },
                { .proto = SOCKETS_TCP, .family = AF_INET, .listening = true, .port = 625, .owners = &f->owner_ix[3], .nowners = 1, .exposure = SOCKETS_EXPOSURE_ALL },
                { .proto = SOCKETS_UDP, .family = AF_INET, .listening = true, .port = 54321, .owners = &f->owner_ix[3], .nowners = 1, .exposure = SOCKETS_EXPOSURE_ALL },
        };
        struct sockets_list l = f->l;
        l.v = v;
        l.n = 4;
        struct verdict_context c = { .registry = f->reg, .knowledge = f->k };
        bool *serving = verdict_serving_processes(&l);
        struct verdict r;
        assert_non_null(serving);
        verdict_judge_in(&c, &l, &v[1], serving, &r);
        expect(&r, VERDICT_INFO, VERDICT_NONE, "sshd's own client socket");
        verdict_judge_in(&c, &l, &v[3], serving, &r);
        expect(&r, VERDICT_SUSPICIOUS, VERDICT_HIGH, "known malware port: Back Orifice 2000");
        free(serving);
}

/* What an output function writes, as a string (caller frees). */
static __attribute__((noinline)) char *output(const struct verdict_report *r, int (*fn)(const struct verdict_report *r, FILE *f), size_t *ret_len)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        assert_non_null(m);
        assert_int_equal(fn(r, m), 0);
        assert_int_equal(fclose(m), 0);
        *ret_len = len;
        return buf;
}

static int dump_json_compact(const struct verdict_report *r, FILE *f)
{
        return verdict_report_dump_json(r, NULL, f, false);
}

static int dump_json_pretty(const struct verdict_report *r, FILE *f)
{
        return verdict_report_dump_json(r, NULL, f, true);
}

static int dump_jsonl(const struct verdict_report *r, FILE *f)
{
        return verdict_report_dump_jsonl(r, NULL, f);
}

static int dump_table(const struct verdict_report *r, FILE *f)
{
        verdict_report_print_table(r, f, false);
        return 0;
}

static struct sockets_process test_process(pid_t pid, const char *comm)
{
        return (struct sockets_process){ .pid = pid, .comm = strdup(comm), .cmdline = strdup(comm), .exe = strdup(comm),
                                         .path = strdup(""), .user = strdup("root"), .cgroup = strdup(""),
                                         .unit = strdup(""), .container = strdup("") };
}

/* One row per program and place: the sockets of an SO_REUSEPORT group that the same processes
 * hold are one entry counting them; another program's socket, one bound to a device, and
 * connections keep their rows. */
static void test_report_merge(void **state)
{
        struct fixture *f = *state;
        struct verdict_context c = { .registry = f->reg, .knowledge = f->k };
        struct sockets_list *l = calloc(1, sizeof(*l));
        struct verdict_report *r;
        size_t len;
        /* owners of each entry below, as indexes into procs (nginx master and worker: 0 1) */
        static const struct {
                enum sockets_proto proto;
                bool listening;
                uint16_t remote_port;
                uint32_t ifindex;
                int owners; /* 0: none, 1: nginx's two processes, 2: the intruder */
        } in[] = {
                { SOCKETS_TCP, true, 0, 0, 1 }, { SOCKETS_TCP, true, 0, 0, 2 }, { SOCKETS_TCP, true, 0, 0, 1 },
                { SOCKETS_TCP, true, 0, 2, 1 }, { SOCKETS_TCP, true, 0, 0, 1 }, { SOCKETS_TCP, true, 0, 0, 0 },
                { SOCKETS_TCP, true, 0, 0, 0 }, { SOCKETS_UDP, true, 0, 0, 1 }, { SOCKETS_TCP, false, 40001, 0, 1 },
                { SOCKETS_TCP, false, 40002, 0, 1 },
        };
        size_t n = sizeof(in) / sizeof(in[0]), ix = 0;

        l->v = calloc(n, sizeof(*l->v));
        l->owner_ix = calloc(2 * n, sizeof(*l->owner_ix));
        l->procs = calloc(3, sizeof(*l->procs));
        assert_non_null(l->v);
        assert_non_null(l->owner_ix);
        assert_non_null(l->procs);
        l->procs[0] = test_process(10, "nginx");
        l->procs[1] = test_process(11, "nginx");
        l->procs[2] = test_process(20, "intruder");
        l->nprocs = 3;
        for (size_t i = 0; i < n; i++) {
                struct sockets_entry *e = &l->v[l->n++];
                *e = (struct sockets_entry){ .proto = in[i].proto, .family = AF_INET, .listening = in[i].listening,
                                             .port = 8080, .remote_port = in[i].remote_port, .ifindex = in[i].ifindex,
                                             .inode = 100 + i, .exposure = SOCKETS_EXPOSURE_ALL };
                if (!in[i].listening)
                        memcpy(e->remote, (uint8_t[]){ 192, 0, 2, 1 }, 4);
                e->owners = &l->owner_ix[ix];
                if (in[i].owners == 1) {
                        l->owner_ix[ix++] = 0;
                        l->owner_ix[ix++] = 1;
                        e->nowners = 2;
                } else if (in[i].owners == 2) {
                        l->owner_ix[ix++] = 2;
                        e->nowners = 1;
                }
        }
        l->nowner_ix = ix;
        l->owners.done = l->owners.privileged = true;
        sockets_list_sort(l);
        assert_int_equal(verdict_report_build(&c, l, "host", &r), 0);
        l = r->sockets;
        /* nginx's 3 sockets, the intruder's, the one bound to a device, the 2 without owners, 2
         * connections, the udp socket. */
        assert_int_equal(l->n, 7);
        static const struct {
                uint64_t inode;
                uint32_t merged;
        } want[] = { { 100, 2 }, { 101, 0 }, { 103, 0 }, { 105, 1 }, { 108, 0 }, { 109, 0 }, { 107, 0 } };
        for (size_t i = 0; i < 7; i++) {
                assert_int_equal(l->v[i].inode, want[i].inode);
                assert_int_equal(l->v[i].merged, want[i].merged);
        }
        assert_int_equal(sockets_entry_owner(l, &l->v[1], 0)->pid, 20);
        char *text = output(r, dump_json_compact, &len);
        json_t *j = json_loads(text, 0, NULL), *li = json_object_get(j, "listeners");
        assert_non_null(li);
        assert_int_equal(json_array_size(li), 7);
        for (size_t i = 0; i < 7; i++)
                assert_int_equal(json_integer_value(json_object_get(json_array_get(li, i), "sockets")), want[i].merged + 1);
        /* A group lists every socket's inode, its first's first; a single socket its own. */
        static const uint64_t group0[] = { 100, 102, 104 }, group3[] = { 105, 106 };
        for (size_t i = 0; i < 7; i++) {
                json_t *inodes = json_object_get(json_array_get(li, i), "inodes");
                const uint64_t *g = i == 0 ? group0 : i == 3 ? group3 : &want[i].inode;
                assert_int_equal(json_array_size(inodes), want[i].merged + 1);
                for (size_t k = 0; k <= want[i].merged; k++)
                        assert_int_equal(json_integer_value(json_array_get(inodes, k)), g[k]);
        }
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"), "unexplained")) +
                                 json_integer_value(json_object_get(json_object_get(j, "summary"), "info")) +
                                 json_integer_value(json_object_get(json_object_get(j, "summary"), "mismatch")) +
                                 json_integer_value(json_object_get(json_object_get(j, "summary"), "suspicious")) +
                                 json_integer_value(json_object_get(json_object_get(j, "summary"), "expected")),
                         5);
        json_decref(j);
        free(text);
        text = output(r, dump_table, &len);
        assert_non_null(strstr(text, " 8080x3 10+ "));
        assert_non_null(strstr(text, " 8080x2 -  "));
        assert_non_null(strstr(text, " 8080   20 "));
        free(text);
        verdict_report_free(r);
}

static void test_report_outputs(void **state)
{
        struct fixture *f = *state;
        struct sockets_list *l = calloc(1, sizeof(*l));
        struct baseline *b = parse_ok("22/tcp sshd ssh\n9999/tcp gone-daemon it was here\n");
        struct verdict_context c = { .registry = f->reg, .knowledge = f->k, .baseline = b };
        struct verdict_report *r;
        char *text;
        size_t len;

        /* Two sockets: sshd on 22, and a process with a hostile name on 250. */
        l->v = calloc(2, sizeof(*l->v));
        l->n = 2;
        l->procs = calloc(2, sizeof(*l->procs));
        l->nprocs = 2;
        l->owner_ix = calloc(2, sizeof(*l->owner_ix));
        l->owner_ix[0] = 0;
        l->owner_ix[1] = 1;
        l->procs[0] = (struct sockets_process){ .pid = 7, .comm = strdup("sshd"), .cmdline = strdup("sshd -D"),
                                                .exe = strdup("sshd"), .user = strdup("root"), .cgroup = strdup(""),
                                                .unit = strdup("ssh.service"), .container = strdup("") };
        l->procs[1] = (struct sockets_process){ .pid = 8, .comm = strdup("ev\"il\n\x1b[2J"), .cmdline = strdup("\xff\xfe"),
                                                .exe = strdup("x"), .user = strdup("nobody"), .cgroup = strdup(""),
                                                .unit = strdup(""), .container = strdup("") };
        l->v[0] = (struct sockets_entry){ .proto = SOCKETS_TCP, .family = AF_INET, .listening = true, .port = 22,
                                          .owners = &l->owner_ix[0], .nowners = 1, .exposure = SOCKETS_EXPOSURE_ALL };
        l->v[1] = (struct sockets_entry){ .proto = SOCKETS_TCP, .family = AF_INET, .listening = true, .port = 250,
                                          .owners = &l->owner_ix[1], .nowners = 1, .exposure = SOCKETS_EXPOSURE_ALL };
        l->owners.done = l->owners.privileged = true;
        assert_int_equal(verdict_report_build(&c, l, "host", &r), 0);
        assert_int_equal(r->ngone, 1);
        assert_int_equal(r->gone[0], 1);
        assert_int_equal(verdict_report_worst(r), VERDICT_HIGH);

        text = output(r, verdict_report_prometheus, &len);
        assert_int_equal(strlen(text), len);
        assert_non_null(strstr(text, "portscope_listener{protocol=\"tcp\",address=\"0.0.0.0\",port=\"22\",process=\"sshd\","
                                     "user=\"root\",unit=\"ssh.service\",verdict=\"expected\",severity=\"none\"} 0\n"));
        assert_non_null(strstr(text, "process=\"ev\\\"il\\n\\\\x1b[2J\""));
        assert_non_null(strstr(text, "severity=\"high\"} 3\n"));
        assert_non_null(strstr(text, "portscope_audit_findings{severity=\"high\"} 1\n"));
        assert_non_null(strstr(text, "portscope_audit_baseline_gone 1\n"));
        free(text);

        {
                /* Compact and indented JSON are the same document; invalid UTF-8 is U+FFFD. */
                text = output(r, dump_json_compact, &len);
                char *pretty = output(r, dump_json_pretty, &len);
                json_t *j = json_loads(text, 0, NULL), *jp = json_loads(pretty, 0, NULL), *li;
                assert_non_null(j);
                assert_non_null(jp);
                assert_true(json_equal(j, jp));
                assert_non_null(strstr(pretty, "\n  \"listeners\": [\n    {\n      \"protocol\": \"tcp\",\n"));
                assert_int_equal(text[strlen(text) - 1], '\n');
                li = json_array_get(json_object_get(j, "listeners"), 1);
                assert_string_equal(json_string_value(json_object_get(li, "verdict")), "suspicious");
                assert_string_equal(json_string_value(json_object_get(li, "cmdline")), "\xef\xbf\xbd\xef\xbf\xbd");
                assert_string_equal(json_string_value(json_object_get(li, "process")), "ev\"il\n\x1b[2J");
                assert_string_equal(json_string_value(json_object_get(json_object_get(j, "summary"), "worst")), "high");
                assert_int_equal(json_array_size(json_object_get(j, "gone")), 1);
                assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "gone"), 0), "entry")),
                                    "9999/tcp");
                free(text);
                free(pretty);
                json_decref(j);
                json_decref(jp);
                /* JSON lines: one listener a line, each the same object as in the document. */
                text = output(r, dump_jsonl, &len);
                {
                        char *nl = strchr(text, '\n');
                        assert_non_null(nl);
                        *nl = '\0';
                        j = json_loads(text, 0, NULL);
                        assert_non_null(j);
                        assert_int_equal(json_integer_value(json_object_get(j, "port")), 22);
                        assert_string_equal(json_string_value(json_object_get(j, "reason")), r->verdicts[0].reason);
                        json_decref(j);
                        char *second = strchr(nl + 1, '\n');
                        assert_non_null(second);
                        /* then the baseline entry nothing matched, as --json's "gone" has it */
                        char *third = strchr(second + 1, '\n');
                        assert_non_null(third);
                        *third = '\0';
                        j = json_loads(second + 1, 0, NULL);
                        assert_non_null(j);
                        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "gone"), "entry")),
                                            "9999/tcp");
                        json_decref(j);
                        assert_null(strchr(third + 1, '\n'));
                }
                free(text);
        }
        {
                /* The table must not carry the escape sequence or newline of the process name. */
                char *buf = NULL;
                size_t blen = 0;
                FILE *m = open_memstream(&buf, &blen);
                verdict_report_print_table(r, m, false);
                fclose(m);
                assert_null(strchr(buf, '\x1b'));
                assert_non_null(strstr(buf, "gone: 9999/tcp gone-daemon"));
                free(buf);
        }
        text = output(r, verdict_report_draft_baseline, &len);
        {
                /* The draft parses, and keeps the unexplained listener commented out. */
                struct baseline *d = parse_ok(text);
                assert_int_equal(d->n, 1);
                assert_int_equal(d->v[0].port_lo, 22);
                assert_non_null(strstr(text, "# TODO suspicious, high"));
                /* Its name cannot be written: never drafted as "*" (any process). */
                assert_non_null(strstr(text, "cannot be written in a baseline"));
                assert_non_null(strstr(text, "\n# 250/tcp\t*\t"));
                baseline_free(d);
        }
        free(text);
        verdict_report_free(r);
        baseline_free(b);
}

/* ---- history ---- */

/* Prometheus: one sample per label set (the worst severity of an SO_REUSEPORT group), in the
 * byte order of the escaped label text ("a b" sorts before "a": ' ' < '"'). */
static void test_prometheus_order(void **state)
{
        struct fixture *f = *state;
        struct sockets_list *l = calloc(1, sizeof(*l));
        struct verdict_context c = { .registry = f->reg, .knowledge = f->k };
        static const char *const comm[3] = { "a", "a b", "a" };
        static const uint16_t port[3] = { 40001, 40001, 40001 };
        struct verdict_report *r;
        const char *pa, *pab;
        char *text;
        size_t len;

        l->v = calloc(4, sizeof(*l->v));
        l->procs = calloc(3, sizeof(*l->procs));
        l->owner_ix = calloc(4, sizeof(*l->owner_ix));
        l->nprocs = 3;
        for (int i = 0; i < 3; i++) {
                l->procs[i] = (struct sockets_process){ .pid = 10 + i, .comm = strdup(comm[i]), .cmdline = strdup(""),
                                                        .exe = strdup(comm[i]), .user = strdup("root"), .cgroup = strdup(""),
                                                        .unit = strdup(""), .container = strdup("") };
                l->owner_ix[i] = (uint32_t)i;
                l->v[i] = (struct sockets_entry){ .proto = SOCKETS_TCP, .family = AF_INET, .listening = true, .port = port[i],
                                                  .owners = &l->owner_ix[i], .nowners = 1, .exposure = SOCKETS_EXPOSURE_ALL };
        }
        /* The two "a" sockets (pids 10 and 12) have the same labels: one sample. */
        l->n = 3;
        l->owners.done = l->owners.privileged = true;
        assert_int_equal(verdict_report_build(&c, l, "host", &r), 0);
        text = output(r, verdict_report_prometheus, &len);
        pa = strstr(text, "process=\"a\",");
        pab = strstr(text, "process=\"a b\",");
        assert_non_null(pa);
        assert_non_null(pab);
        assert_true(pab < pa);
        assert_null(strstr(pa + 1, "process=\"a\","));
        free(text);
        verdict_report_free(r);
}

static void test_users(void **state)
{
        struct ps_users *u = ps_users_new();
        const char *root, *again;

        (void)state;
        assert_non_null(u);
        root = ps_users_name(u, 0);
        assert_string_equal(root, "root");
        /* Many uids (growth), then the first again: the same string, not a new lookup. */
        for (uid_t uid = 4000000000u; uid < 4000000100u; uid++) {
                char want[16];
                snprintf(want, sizeof(want), "%u", (unsigned)uid);
                assert_string_equal(ps_users_name(u, uid), want);
        }
        again = ps_users_name(u, 0);
        assert_ptr_equal(root, again);
        assert_null(ps_users_name(NULL, 0));
        ps_users_free(u);
        ps_users_free(NULL);
}

static void test_history(void **state)
{
        (void)state;
        char dir[] = "/tmp/ps-audit-hist-XXXXXX", path[128], err[256];
        struct history *h;
        struct history_run run;
        struct history_item *got;
        size_t n, *app, *van, napp, nvan;
        struct history_item a[] = {
                { "tcp", "0.0.0.0", 22, "sshd", "root", "expected", "none" },
                { "tcp", "::", 22, "sshd", "root", "expected", "none" },
                { "udp", "0.0.0.0", 53, "named", "bind", "expected", "none" },
        };
        struct history_item b[] = {
                { "tcp", "0.0.0.0", 22, "sshd", "root", "expected", "none" },
                { "tcp", "::", 22, "sshd", "root", "expected", "none" },
                { "tcp", "::", 22, "sshd", "root", "expected", "none" },
                { "tcp", "0.0.0.0", 31337, "nc", "root", "suspicious", "high" },
        };

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/sub/portscope.db", dir);
        assert_int_equal(history_open(path, &h, err, sizeof(err)), 0);
        assert_int_equal(history_last_run(h, "host", &run), -ENOENT);
        assert_int_equal(history_record(h, "host", 1000, true, a, 3, NULL), 0);
        assert_int_equal(history_record(h, "other", 1001, false, b, 4, NULL), 0);
        assert_int_equal(history_last_run(h, "host", &run), 0);
        assert_int_equal(run.time, 1000);
        assert_true(run.privileged);
        assert_int_equal(history_load(h, run.id, &got, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(got[2].process, "named");
        assert_int_equal(got[2].port, 53);
        assert_int_equal(history_diff(got, n, b, 4, &app, &napp, &van, &nvan), 0);
        assert_int_equal(napp, 1);
        assert_int_equal(app[0], 3);
        assert_int_equal(nvan, 1);
        assert_string_equal(got[van[0]].process, "named");
        free(app);
        free(van);
        history_items_free(got, n);
        history_close(h);
        unlink(path);
        snprintf(path, sizeof(path), "%s/sub", dir);
        rmdir(path);
        rmdir(dir);
}

/* ---- parsers of kernel text ---- */

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_baseline_parse),
                cmocka_unit_test(test_baseline_errors),
                cmocka_unit_test(test_baseline_match),
                cmocka_unit_test(test_baseline_index),
                cmocka_unit_test_setup_teardown(test_prometheus_order, setup, teardown),
                cmocka_unit_test(test_users),
                cmocka_unit_test_setup_teardown(test_verdicts, setup, teardown),
                cmocka_unit_test_setup_teardown(test_raw_verdicts, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ephemeral_threat, setup, teardown),
                cmocka_unit_test_setup_teardown(test_report_outputs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_report_merge, setup, teardown),
                cmocka_unit_test(test_history),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
