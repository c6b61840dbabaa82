/* Unit tests of watch's detector: each rule at its threshold and one below it, the repetition
 * limit, ignore lists, the bound on sources, probe types; and the rule and ignore syntax. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "portscope/i18n.h"
#include "portscope/registry.h"
#include "portscope/watch.h"
#include "watch/watch-internal.h"

#define MAX_EVENTS 256

struct sink {
        struct watch_event ev[MAX_EVENTS];
        size_t n;
};

static void collect(struct watch_event *e, void *data)
{
        struct sink *s = data;
        if (s->n < MAX_EVENTS)
                s->ev[s->n++] = *e;
}

static size_t count(const struct sink *s, enum watch_event_kind k, enum watch_rule r)
{
        size_t n = 0;
        for (size_t i = 0; i < s->n; i++)
                if (s->ev[i].kind == k && (r == WATCH_RULE_NONE || s->ev[i].rule == r))
                        n++;
        return n;
}

static struct watch_packet probe(uint8_t src_last, uint16_t port, enum ps_proto proto, uint8_t flags)
{
        struct watch_packet p = { .kind = WATCH_PACKET_PROBE, .netns = 42, .family = AF_INET, .proto = proto,
                                  .tcp_flags = flags, .sport = 40000, .dport = port };
        uint8_t s[4] = { 198, 18, 0, src_last }, d[4] = { 198, 18, 1, 1 };
        memcpy(p.saddr, s, 4);
        memcpy(p.daddr, d, 4);
        return p;
}

static void feed(struct watch_detector *d, struct watch_packet p, int64_t t, struct sink *s)
{
        watch_detector_feed(d, &p, t, collect, s);
}

static struct watch_detector *detector(void)
{
        struct watch_rules r;
        watch_rules_default(&r);
        struct watch_detector *d = watch_detector_new(&r, NULL);
        assert_non_null(d);
        return d;
}

/* 20 user ports in 60 s are no scan; the 21st is (weight 1). */
static void test_vertical_user(void **state)
{
        (void)state;
        struct watch_detector *d = detector();
        static struct sink s;
        memset(&s, 0, sizeof(s));
        for (uint16_t i = 0; i < 20; i++)
                feed(d, probe(1, (uint16_t)(2000 + i), PS_TCP, 0x02), 1000 + i, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_NONE), 0);
        assert_int_equal(count(&s, WATCH_EVENT_PROBE, WATCH_RULE_CLOSED_PORT), 20);
        feed(d, probe(1, 2020, PS_TCP, 0x02), 1100, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_VERTICAL), 1);
        /* summarised, not re-announced: neither scans nor probes from it */
        size_t before = s.n;
        for (uint16_t i = 0; i < 100; i++)
                feed(d, probe(1, (uint16_t)(3000 + i), PS_TCP, 0x02), 2000 + i, &s);
        assert_int_equal(s.n, before);
        /* on stopping: one final summary with every probe counted */
        watch_detector_finish(d, 5000, collect, &s);
        assert_int_equal(s.n, before + 1);
        assert_true(s.ev[s.n - 1].final);
        assert_int_equal(s.ev[s.n - 1].probes, 121);
        assert_int_equal(s.ev[s.n - 1].ports, 121);
        watch_detector_free(d);
}

/* System ports weigh 3: 7 of them are 21 points. Spread over more than 60 s they are not. */
static void test_vertical_system(void **state)
{
        (void)state;
        struct watch_detector *d = detector();
        static struct sink s;
        memset(&s, 0, sizeof(s));
        for (uint16_t i = 0; i < 6; i++)
                feed(d, probe(2, (uint16_t)(100 + i), PS_TCP, 0x02), 1000, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_NONE), 0);
        feed(d, probe(2, 106, PS_TCP, 0x02), 1000, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_VERTICAL), 1);

        memset(&s, 0, sizeof(s));
        for (uint16_t i = 0; i < 12; i++) /* one every 20 s: never 21 points in one window */
                feed(d, probe(3, (uint16_t)(100 + i), PS_TCP, 0x02), 1000 + (int64_t)i * 20000, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_NONE), 0);
        watch_detector_free(d);
}

/* A scan is judged by the worst port it touched, not by the last: here the one user port among
 * dynamic ones (without a registry, system ports cannot be told dark). */
static void test_scan_worst_port(void **state)
{
        (void)state;
        struct watch_detector *d = detector();
        static struct sink s;
        memset(&s, 0, sizeof(s));
        for (uint16_t i = 0; i < 10; i++)
                feed(d, probe(9, (uint16_t)(50000 + i), PS_TCP, 0x02), 1000 + i, &s);
        feed(d, probe(9, 2500, PS_UDP, 0), 1010, &s);
        for (uint16_t i = 0; i < 10; i++)
                feed(d, probe(9, (uint16_t)(51000 + i), PS_TCP, 0x02), 1020 + i, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_VERTICAL), 1);
        const struct watch_event *e = &s.ev[s.n - 1];
        assert_int_equal(e->kind, WATCH_EVENT_SCAN);
        assert_int_equal(e->port, 2500);
        assert_int_equal(e->proto, PS_UDP);
        watch_detector_free(d);
}

/* Slow: the 25th distinct port whatever the pace; 15 min idle forgets. */
static void test_slow(void **state)
{
        (void)state;
        struct watch_detector *d = detector();
        static struct sink s;
        memset(&s, 0, sizeof(s));
        for (uint16_t i = 0; i < 24; i++)
                feed(d, probe(4, (uint16_t)(5000 + i), PS_UDP, 0), (int64_t)i * 120000, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_NONE), 0);
        feed(d, probe(4, 5024, PS_UDP, 0), 24 * 120000, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_SLOW), 1);

        memset(&s, 0, sizeof(s));
        for (uint16_t i = 0; i < 24; i++)
                feed(d, probe(5, (uint16_t)(5000 + i), PS_UDP, 0), (int64_t)i * 120000, &s);
        /* 16 minutes of silence, then one more: a new story, not the 25th port */
        feed(d, probe(5, 5024, PS_UDP, 0), 23 * 120000 + 16 * 60000, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_NONE), 0);
        watch_detector_free(d);
}

/* Sweep: one port across 10 local addresses within 60 s. */
static void test_sweep(void **state)
{
        (void)state;
        struct watch_detector *d = detector();
        static struct sink s;
        memset(&s, 0, sizeof(s));
        for (uint8_t i = 0; i < 10; i++) {
                struct watch_packet p = probe(6, 23, PS_TCP, 0x02);
                p.daddr[3] = (uint8_t)(10 + i);
                feed(d, p, 1000 + i, &s);
                assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_NONE), i == 9 ? 1 : 0);
        }
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_SWEEP), 1);
        assert_int_equal(s.ev[s.n - 1].targets, 10);
        watch_detector_free(d);
}

/* Stealth probes are a scan on the first packet; SYN is not stealth, RST/ACK never count. */
static void test_stealth(void **state)
{
        (void)state;
        assert_true(watch_probe_is_stealth(PS_TCP, 0x01));  /* FIN */
        assert_true(watch_probe_is_stealth(PS_TCP, 0x00));  /* NULL */
        assert_true(watch_probe_is_stealth(PS_TCP, 0x29));  /* Xmas */
        assert_true(watch_probe_is_stealth(PS_TCP, 0x03));  /* SYN+FIN */
        assert_false(watch_probe_is_stealth(PS_TCP, 0x02)); /* SYN */
        assert_false(watch_probe_is_stealth(PS_TCP, 0x14)); /* RST+ACK */
        assert_false(watch_probe_is_stealth(PS_UDP, 0x00));
        assert_string_equal(watch_probe_type(PS_TCP, 0x29), "xmas");
        assert_string_equal(watch_probe_type(PS_TCP, 0x00), "null");
        assert_string_equal(watch_probe_type(PS_TCP, 0x03), "syn-fin");
        assert_string_equal(watch_probe_type(PS_UDP, 0), "udp");
        struct watch_detector *d = detector();
        static struct sink s;
        memset(&s, 0, sizeof(s));
        feed(d, probe(7, 8080, PS_TCP, 0x29), 1000, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_STEALTH), 1);
        watch_detector_free(d);
}

/* 250/tcp reserved, 22/tcp ssh. */
static struct registry *mini_registry(void)
{
        static const char csv[] =
                "Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,Registration Date,"
                "Modification Date,Reference,Service Code,Unauthorized Use Reported,Assignment Notes\n"
                ",250,tcp,Reserved,,,,,,,,\n"
                "ssh,22,tcp,The Secure Shell (SSH) Protocol,,,,,,,,\n";
        struct registry *reg = NULL;
        struct ps_error err;
        assert_int_equal(registry_parse_buffer("mini", csv, sizeof(csv) - 1, REGISTRY_SOURCE_IANA_CSV, &reg, &err), 0);
        return reg;
}

/* One (source, port) probe event per 10 minutes; dark ports named with a registry. */
static void test_repeat_and_dark(void **state)
{
        (void)state;
        struct registry *reg = mini_registry();
        struct watch_rules r;
        watch_rules_default(&r);
        struct watch_detector *d = watch_detector_new(&r, reg);
        static struct sink s;
        memset(&s, 0, sizeof(s));
        feed(d, probe(8, 250, PS_TCP, 0x02), 1000, &s);
        feed(d, probe(8, 250, PS_TCP, 0x02), 2000, &s);
        feed(d, probe(8, 250, PS_TCP, 0x02), 599000, &s);
        assert_int_equal(count(&s, WATCH_EVENT_PROBE, WATCH_RULE_DARK_PORT), 1);
        feed(d, probe(8, 250, PS_TCP, 0x02), 602000, &s);
        assert_int_equal(count(&s, WATCH_EVENT_PROBE, WATCH_RULE_DARK_PORT), 2);
        feed(d, probe(8, 22, PS_TCP, 0x02), 602000, &s);
        assert_int_equal(count(&s, WATCH_EVENT_PROBE, WATCH_RULE_CLOSED_PORT), 1);
        struct verdict_context vc = { .registry = reg };
        watch_event_judge(&s.ev[0], &vc, NULL, 0);
        assert_true(s.ev[0].judged);
        assert_int_equal(s.ev[0].verdict.status, REGISTRY_RESERVED);
        assert_int_equal(s.ev[0].verdict.kind, VERDICT_SUSPICIOUS);
        watch_detector_free(d);

        /* --dark-only: the assigned port is not reported */
        r.probes_all = false;
        d = watch_detector_new(&r, reg);
        memset(&s, 0, sizeof(s));
        feed(d, probe(9, 22, PS_TCP, 0x02), 1000, &s);
        feed(d, probe(9, 250, PS_TCP, 0x02), 1000, &s);
        assert_int_equal(s.n, 1);
        assert_int_equal(s.ev[0].rule, WATCH_RULE_DARK_PORT);
        watch_detector_free(d);
        registry_close(reg);
}

/* Loopback sources and chatty ports are ignored by default; --ignore adds sources and ports. */
static void test_ignore(void **state)
{
        (void)state;
        struct watch_rules r;
        watch_rules_default(&r);
        assert_int_equal(watch_rules_ignore(&r, "198.18.0.64/26"), 0);
        assert_int_equal(watch_rules_ignore(&r, "7000-7010/udp"), 0);
        assert_int_equal(watch_rules_ignore(&r, "1.2.3.4/33"), -EINVAL);
        assert_int_equal(watch_rules_ignore(&r, "70000"), -EINVAL);
        assert_int_equal(watch_rules_ignore(&r, "9-8"), -EINVAL);
        assert_int_equal(watch_rules_ignore(&r, "22/xyz"), -EINVAL);
        struct watch_detector *d = watch_detector_new(&r, NULL);
        static struct sink s;
        memset(&s, 0, sizeof(s));
        struct watch_packet lo = probe(1, 2222, PS_TCP, 0x02);
        lo.saddr[0] = 127;
        feed(d, lo, 1000, &s);
        feed(d, probe(1, 5353, PS_UDP, 0), 1000, &s);   /* mDNS */
        feed(d, probe(70, 2222, PS_TCP, 0x02), 1000, &s); /* inside 198.18.0.64/26 */
        feed(d, probe(1, 7005, PS_UDP, 0), 1000, &s);
        assert_int_equal(s.n, 0);
        feed(d, probe(1, 7005, PS_TCP, 0x02), 1000, &s); /* the port was ignored for UDP only */
        feed(d, probe(128, 2222, PS_TCP, 0x02), 1000, &s);
        assert_int_equal(s.n, 2);
        /* Chatter is UDP: 139/tcp (NetBIOS sessions, a worm's port) is a probe. */
        feed(d, probe(2, 139, PS_TCP, 0x02), 1000, &s);
        assert_int_equal(s.n, 3);
        /* A DNS answer after its client gave up, to a port of the ephemeral range, is no probe; from
         * another port, or to a port outside the range, it is. */
        for (unsigned port = r.ephemeral_lo; port < r.ephemeral_lo + 30u; port++) {
                struct watch_packet late = probe(3, (uint16_t)port, PS_UDP, 0);
                late.sport = 53;
                feed(d, late, 1000, &s);
        }
        assert_int_equal(s.n, 3);
        struct watch_packet p53 = probe(4, r.ephemeral_lo, PS_UDP, 0);
        p53.sport = 54;
        feed(d, p53, 1000, &s);
        assert_int_equal(s.n, 4);
        p53 = probe(5, 161, PS_UDP, 0);
        p53.sport = 53; /* nmap -g 53 against a service port */
        feed(d, p53, 1000, &s);
        assert_int_equal(s.n, 5);
        watch_detector_free(d);
        /* --include-chatty: all of them count. */
        r.ignore_chatty = false;
        d = watch_detector_new(&r, NULL);
        memset(&s, 0, sizeof(s));
        struct watch_packet late = probe(3, r.ephemeral_lo, PS_UDP, 0);
        late.sport = 53;
        feed(d, late, 1000, &s);
        assert_int_equal(s.n, 1);
        watch_detector_free(d);
}

/* The table of sources is bounded: the least recently used goes. */
static void test_bounded(void **state)
{
        (void)state;
        struct watch_rules r;
        watch_rules_default(&r);
        assert_int_equal(watch_rules_set(&r, "max-sources=16"), 0);
        struct watch_detector *d = watch_detector_new(&r, NULL);
        static struct sink s;
        for (unsigned i = 0; i < 1000; i++) {
                struct watch_packet p = probe((uint8_t)i, 3000, PS_TCP, 0x02);
                p.saddr[2] = (uint8_t)(i >> 8);
                memset(&s, 0, sizeof(s));
                feed(d, p, 1000 + i, &s);
        }
        size_t n;
        uint64_t evicted;
        watch_detector_stats(d, &n, &evicted);
        assert_int_equal(n, 16);
        assert_int_equal(evicted, 1000 - 16);
        watch_detector_free(d);
}

/* A reported source's story ends with its summary, whether the table evicts it or it goes idle
 * past slow-idle; the next story is judged by its own ports. */
static void test_story_ends(void **state)
{
        (void)state;
        struct watch_rules r;
        watch_rules_default(&r);
        assert_int_equal(watch_rules_set(&r, "max-sources=16"), 0);
        assert_int_equal(watch_rules_set(&r, "slow-idle=2"), 0);
        struct watch_detector *d = watch_detector_new(&r, NULL);
        static struct sink s;
        memset(&s, 0, sizeof(s));
        for (uint16_t i = 0; i < 21; i++)
                feed(d, probe(1, (uint16_t)(2000 + i), PS_TCP, 0x02), 1000 + i, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_VERTICAL), 1);
        size_t before = s.n;
        for (uint8_t src = 2; src <= 17; src++) /* the sixteenth new source evicts source 1 */
                feed(d, probe(src, 3000, PS_TCP, 0x02), 1100 + src, &s);
        bool summary = false;
        for (size_t i = before; i < s.n; i++)
                summary |= s.ev[i].kind == WATCH_EVENT_SCAN && s.ev[i].final && s.ev[i].source[3] == 1 &&
                           s.ev[i].probes == 21;
        assert_true(summary);
        watch_detector_free(d);

        /* Idle past slow-idle: the old story's summary, then a new one judged by its own ports. */
        d = watch_detector_new(&r, NULL);
        memset(&s, 0, sizeof(s));
        for (uint16_t i = 0; i < 7; i++)
                feed(d, probe(1, (uint16_t)(20 + i), PS_TCP, 0x02), 1000, &s); /* system ports */
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_VERTICAL), 1);
        before = s.n;
        for (uint16_t i = 0; i < 21; i++)
                feed(d, probe(1, (uint16_t)(40000 + i), PS_TCP, 0x02), 5000 + i, &s);
        size_t finals = 0, scans = 0;
        for (size_t i = before; i < s.n; i++)
                if (s.ev[i].kind == WATCH_EVENT_SCAN) {
                        if (s.ev[i].final)
                                finals++, assert_int_equal(s.ev[i].probes, 7);
                        else
                                scans++, assert_true(s.ev[i].port >= 40000);
                }
        assert_int_equal(finals, 1);
        assert_int_equal(scans, 1);
        watch_detector_free(d);
}

/* A reported source is quiet until summary_s, but not when it gets worse: a sweep that turns into a
 * vertical scan of system ports is said again, once; then quiet again. */
static void test_escalation(void **state)
{
        (void)state;
        struct watch_rules r;
        watch_rules_default(&r);
        assert_int_equal(watch_rules_set(&r, "sweep-targets=2"), 0);
        struct watch_detector *d = watch_detector_new(&r, NULL);
        static struct sink s;
        memset(&s, 0, sizeof(s));
        for (uint8_t t = 1; t <= 2; t++) {
                struct watch_packet p = probe(7, 3000, PS_TCP, 0x02);
                p.daddr[3] = t;
                feed(d, p, 1000, &s);
        }
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_SWEEP), 1);
        for (uint16_t port = 20; port < 60; port++)
                feed(d, probe(7, port, PS_TCP, 0x02), 2000 + port, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_VERTICAL), 1);
        size_t n = s.n;
        for (uint16_t port = 60; port < 200; port++)
                feed(d, probe(7, port, PS_TCP, 0x02), 3000 + port, &s);
        assert_int_equal(s.n, n); /* nothing worse: quiet */
        watch_detector_free(d);
}

/* probe-rate: spoofed SYNs from many sources, one each, are not one line each past the limit;
 * the second after says how many were held back; scans are still detected. */
static void test_probe_rate(void **state)
{
        (void)state;
        struct watch_rules r;
        watch_rules_default(&r);
        assert_int_equal(watch_rules_set(&r, "probe-rate=5"), 0);
        struct watch_detector *d = watch_detector_new(&r, NULL);
        static struct sink s;
        memset(&s, 0, sizeof(s));
        for (unsigned i = 0; i < 20; i++)
                feed(d, probe((uint8_t)(10 + i), (uint16_t)(3000 + i), PS_TCP, 0x02), 5000 + i, &s);
        assert_int_equal(count(&s, WATCH_EVENT_PROBE, WATCH_RULE_NONE), 5);
        assert_int_equal(count(&s, WATCH_EVENT_STATUS, WATCH_RULE_NONE), 0);
        watch_detector_tick(d, 5500, collect, &s); /* the same second: nothing yet */
        assert_int_equal(count(&s, WATCH_EVENT_STATUS, WATCH_RULE_NONE), 0);
        watch_detector_tick(d, 6000, collect, &s);
        assert_int_equal(count(&s, WATCH_EVENT_STATUS, WATCH_RULE_NONE), 1);
        assert_int_equal(s.ev[s.n - 1].count, 15);
        assert_non_null(strstr(s.ev[s.n - 1].message, "15 probe events not shown one by one"));
        /* one source's vertical scan is still a scan, whatever the limit held back */
        for (uint16_t i = 0; i < 21; i++)
                feed(d, probe(99, (uint16_t)(4000 + i), PS_TCP, 0x02), 7000, &s);
        assert_int_equal(count(&s, WATCH_EVENT_SCAN, WATCH_RULE_VERTICAL), 1);
        watch_detector_finish(d, 7100, collect, &s); /* the last second's held ones are said */
        assert_int_equal(count(&s, WATCH_EVENT_STATUS, WATCH_RULE_NONE), 2);
        watch_detector_free(d);
        assert_int_equal(watch_rules_set(&r, "probe-rate=0"), 0); /* no limit */
        assert_int_equal(watch_rules_set(&r, "probe-rate=x"), -EINVAL);
}

static void test_rules_syntax(void **state)
{
        (void)state;
        struct watch_rules r;
        watch_rules_default(&r);
        assert_int_equal(r.vertical_points, 21);
        assert_int_equal(watch_rules_set(&r, "vertical-points=15"), 0);
        assert_int_equal(r.vertical_points, 15);
        assert_int_equal(watch_rules_set(&r, "vertical-points=0"), -EINVAL);
        assert_int_equal(watch_rules_set(&r, "vertical-points="), -EINVAL);
        assert_int_equal(watch_rules_set(&r, "nonsense=3"), -EINVAL);
        assert_int_equal(watch_rules_set(&r, "slow-ports=-1"), -EINVAL);
        assert_int_equal(watch_rules_set(&r, "summary"), -EINVAL);
}

/* The syslog line of a scan is one line with the source right after "from " (fail2ban's <HOST>). */
static void test_syslog_line(void **state)
{
        (void)state;
        struct watch_event e = { .kind = WATCH_EVENT_SCAN, .rule = WATCH_RULE_VERTICAL, .family = AF_INET,
                                 .proto = PS_TCP, .port = 80, .probes = 300, .ports = 290 };
        uint8_t a[4] = { 198, 18, 0, 1 };
        memcpy(e.source, a, 4);
        char buf[256];
        watch_format_syslog(&e, buf, sizeof(buf));
        assert_string_equal(buf, "port scan from 198.18.0.1: 300 probes, 290 closed ports, rule vertical");
        assert_null(strchr(buf, '\n'));
        /* The line for people brackets an IPv6 source before its port. */
        struct watch_event p6 = { .kind = WATCH_EVENT_PROBE, .rule = WATCH_RULE_CLOSED_PORT, .family = AF_INET6,
                                  .proto = PS_TCP, .port = 250, .source_port = 53126, .time_ms = 1000 };
        p6.source[15] = 1;
        p6.address[15] = 1;
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        watch_write_line(f, &p6, false);
        fclose(f);
        assert_non_null(strstr(text, "from [::1]:53126 to ::1"));
        free(text);
}


/* The packet fallback's reader: an inbound SYN is a probe, an ACK is not; this host's RST and its
 * ICMP port unreachable are answers with the ports the right way round; a short packet is nothing. */
static void test_packet_parse(void **state)
{
        (void)state;
        uint8_t syn[40] = { 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2,
                            0x9c, 0x40, 0x00, 0xfa, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02 };
        struct watch_parsed w;
        assert_int_equal(watch_packet_parse(syn, sizeof(syn), 0x0800, false, &w), WATCH_PARSED_PROBE);
        assert_int_equal(w.their_port, 40000);
        assert_int_equal(w.our_port, 250);
        assert_int_equal(w.their[3], 1);
        assert_int_equal(w.ours[3], 2);
        syn[33] = 0x10; /* ACK */
        assert_int_equal(watch_packet_parse(syn, sizeof(syn), 0x0800, false, &w), WATCH_PARSED_NONE);
        /* our RST from 198.18.0.2:250 to 198.18.0.1:40000 */
        uint8_t rst[40] = { 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 198, 18, 0, 2, 198, 18, 0, 1,
                            0x00, 0xfa, 0x9c, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x14 };
        assert_int_equal(watch_packet_parse(rst, sizeof(rst), 0x0800, true, &w), WATCH_PARSED_ANSWER);
        assert_int_equal(w.their_port, 40000);
        assert_int_equal(w.our_port, 250);
        assert_int_equal(w.their[3], 1);
        /* ICMP port unreachable quoting their UDP datagram 198.18.0.1:5000 -> 198.18.0.2:161 */
        uint8_t icmp[56] = { 0x45, 0, 0, 56, 0, 0, 0, 0, 64, 1, 0, 0, 198, 18, 0, 2, 198, 18, 0, 1,
                             3, 3, 0, 0, 0, 0, 0, 0,
                             0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2,
                             0x13, 0x88, 0x00, 0xa1, 0, 8, 0, 0 };
        assert_int_equal(watch_packet_parse(icmp, sizeof(icmp), 0x0800, true, &w), WATCH_PARSED_ANSWER);
        assert_int_equal(w.their_port, 5000);
        assert_int_equal(w.our_port, 161);
        assert_int_equal(watch_packet_parse(icmp, 50, 0x0800, true, &w), WATCH_PARSED_NONE);
        assert_int_equal(watch_packet_parse(syn, 19, 0x0800, false, &w), WATCH_PARSED_NONE);
        syn[0] = 0x41; /* a header length below 20 bytes */
        assert_int_equal(watch_packet_parse(syn, sizeof(syn), 0x0800, false, &w), WATCH_PARSED_NONE);
}


/* The listener table over reconciles of two namespace labels (the same namespace dumped as 1 and
 * as 2), in a reader language other than English so that every entry carries a second reason:
 * SO_REUSEPORT twins count once, a reason follows its listener from dump to dump, a closed one
 * is gone once, and a namespace forgotten takes its listeners with it. Run under ASan in CI, it
 * also checks that each text is freed once. */
struct mine {
        uint16_t ports[2];
        size_t new_[3][2], gone[3][2]; /* [label][port] */
        bool texts;                    /* every event of ours had a reader-language reason */
};

static void collect_mine(struct watch_event *e, void *data)
{
        struct mine *m = data;
        for (int k = 0; k < 2; k++) {
                static const uint8_t loopback[4] = { 127, 0, 0, 1 };
                if (e->port != m->ports[k] || e->proto != PS_TCP || e->family != AF_INET ||
                    memcmp(e->address, loopback, 4) != 0 || e->netns < 1 || e->netns > 2)
                        continue;
                if (e->kind == WATCH_EVENT_LISTENER_NEW)
                        m->new_[e->netns][k]++;
                else if (e->kind == WATCH_EVENT_LISTENER_GONE)
                        m->gone[e->netns][k]++;
                if (!e->reason_text || !e->judged || !e->verdict.reason[0])
                        m->texts = false;
        }
}

static int tcp_listener(uint16_t port, uint16_t *ret_port)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        int one = 1;
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)), 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(fd, 4), 0);
        socklen_t len = sizeof(a);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        *ret_port = ntohs(a.sin_port);
        return fd;
}

static void test_listeners_table(void **state)
{
        (void)state;
        struct registry *reg = mini_registry();
        struct verdict_context vc = { .registry = reg };
        const struct ps_language *fr = ps_language_find("fr", 2);
        assert_non_null(fr);
        ps_i18n_thread_use(fr);
        assert_false(ps_i18n_is_english());

        struct mine m = { .texts = true };
        uint16_t p;
        int a1 = tcp_listener(0, &m.ports[0]);
        int a2 = tcp_listener(m.ports[0], &p); /* its SO_REUSEPORT twin */
        int b = tcp_listener(0, &m.ports[1]);
        assert_int_equal(p, m.ports[0]);
        assert_int_not_equal(m.ports[0], m.ports[1]);
        struct watch_listeners *l = watch_listeners_new();
        assert_non_null(l);
        for (uint32_t ns = 1; ns <= 2; ns++)
                assert_int_equal(watch_listeners_reconcile(l, &vc, -1, ns, true, 1000, collect_mine, &m), 0);
        for (uint32_t ns = 1; ns <= 2; ns++)
                for (int k = 0; k < 2; k++)
                        assert_int_equal(m.new_[ns][k], 1);
        /* nothing changed: no news */
        assert_int_equal(watch_listeners_reconcile(l, &vc, -1, 1, true, 2000, collect_mine, &m), 0);
        assert_int_equal(m.new_[1][0] + m.new_[1][1], 2);

        close(a1);
        close(a2);
        assert_int_equal(watch_listeners_reconcile(l, &vc, -1, 1, true, 3000, collect_mine, &m), 0);
        assert_int_equal(m.gone[1][0], 1);
        assert_int_equal(m.gone[1][1], 0);
        /* label 2 goes away with both of its listeners, the closed one too */
        watch_listeners_forget(l, 2, 4000, collect_mine, &m);
        assert_int_equal(m.gone[2][0], 1);
        assert_int_equal(m.gone[2][1], 1);
        /* and is a namespace seen for the first time when it comes back */
        assert_int_equal(watch_listeners_reconcile(l, &vc, -1, 2, false, 5000, collect_mine, &m), 0);
        assert_int_equal(m.new_[2][1], 1);
        assert_true(watch_listeners_has(l, 2, PS_TCP, AF_INET, (const uint8_t[16]){ 127, 0, 0, 1 }, m.ports[1]));
        assert_false(watch_listeners_has(l, 2, PS_TCP, AF_INET, (const uint8_t[16]){ 127, 0, 0, 1 }, m.ports[0]));
        assert_true(m.texts);

        close(b);
        watch_listeners_free(l);
        ps_i18n_thread_use(NULL);
        registry_close(reg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vertical_user), cmocka_unit_test(test_vertical_system),
                cmocka_unit_test(test_scan_worst_port),
                cmocka_unit_test(test_slow),          cmocka_unit_test(test_sweep),
                cmocka_unit_test(test_stealth),       cmocka_unit_test(test_repeat_and_dark),
                cmocka_unit_test(test_ignore),        cmocka_unit_test(test_bounded),         cmocka_unit_test(test_story_ends), cmocka_unit_test(test_escalation), cmocka_unit_test(test_probe_rate),
                cmocka_unit_test(test_rules_syntax),  cmocka_unit_test(test_syslog_line),
                cmocka_unit_test(test_packet_parse),  cmocka_unit_test(test_listeners_table),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
