/* Unit tests of the scanner's outputs on reports built by hand: nmap's greppable format (-oG),
 * line by line, as nmap 7.93 writes it for the same ports (compared with `nmap -oG -`).
 * And the table's line under a port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "portscope/scan.h"

#define START 1796153206 /* Tue Dec  1 19:26:46 2026 UTC */

static void add(struct scan_report *rep, const char *addr, uint16_t port, enum ps_proto proto,
                enum scan_state st, enum scan_reason reason)
{
        struct scan_result r = { .proto = proto, .state = st, .reason = reason, .port = port };
        assert_int_equal(scan_addr_parse(addr, &r.addr), 0);
        assert_int_equal(scan_report_add(rep, &r), 0);
}

static void add_range(struct scan_report *rep, const char *addr, uint16_t lo, uint16_t hi, enum ps_proto proto,
                      enum scan_state st, enum scan_reason reason)
{
        for (unsigned p = lo; p <= hi; p++)
                add(rep, addr, (uint16_t)p, proto, st, reason);
}

static void report_init(struct scan_report *rep, enum ps_proto proto)
{
        scan_report_init(rep);
        rep->proto = proto;
        rep->args = "portscope scan -p 1-2000 198.18.0.2";
        rep->start = START;
        rep->end = START + 1;
        rep->stats.elapsed = 0.5;
}

/* The report in -oG, malloc'd. */
static char *grep_of(struct scan_report *rep)
{
        assert_int_equal(scan_report_finish(rep), 0);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(scan_output_find("grep")->write(rep, f, false), 0);
        assert_int_equal(fclose(f), 0);
        return buf;
}

/* Line n (from 0) of text, without its newline, in buf. */
static const char *line(const char *text, int n, char *buf, size_t len)
{
        for (; n > 0 && text; n--) {
                text = strchr(text, '\n');
                if (text)
                        text++;
        }
        assert_non_null(text);
        size_t l = strcspn(text, "\n");
        assert_true(l < len);
        memcpy(buf, text, l);
        buf[l] = '\0';
        return buf;
}

/* "# portscope VERSION rest": the first two words, any version, then rest. */
static void assert_comment(const char *l, const char *rest)
{
        assert_memory_equal(l, "# portscope ", 12);
        const char *sp = strchr(l + 12, ' ');
        assert_non_null(sp);
        assert_string_equal(sp + 1, rest);
}

/* One host up: its open port and its few filtered ports listed, the closed ones counted; a
 * silent host listed (a scan of two addresses) is up, as nmap -Pn writes it. Header and footer in
 * nmap's shape ("scan initiated ... as:", "done at ... -- N IP addresses (M hosts up)"). */
static void grep_hosts(void **state)
{
        (void)state;
        struct scan_report rep;
        report_init(&rep, PS_TCP);
        add(&rep, "198.18.0.2", 22, PS_TCP, SCAN_OPEN, SCAN_REASON_SYN_ACK);
        add(&rep, "198.18.0.2", 1000, PS_TCP, SCAN_FILTERED, SCAN_REASON_NO_RESPONSE);
        add_range(&rep, "198.18.0.2", 1001, 1095, PS_TCP, SCAN_CLOSED, SCAN_REASON_RESET);
        add(&rep, "198.18.0.3", 1001, PS_TCP, SCAN_FILTERED, SCAN_REASON_NO_RESPONSE);
        char *g = grep_of(&rep), b[512];
        line(g, 0, b, sizeof b);
        assert_comment(b, "scan initiated Tue Dec  1 19:26:46 2026 as: portscope scan -p 1-2000 198.18.0.2");
        assert_string_equal(line(g, 1, b, sizeof b), "Host: 198.18.0.2 ()\tStatus: Up");
        assert_string_equal(line(g, 2, b, sizeof b), "Host: 198.18.0.2 ()\tPorts: 22/open/tcp/////, "
                                                     "1000/filtered/tcp/////\tIgnored State: closed (95)");
        assert_string_equal(line(g, 3, b, sizeof b), "Host: 198.18.0.3 ()\tStatus: Up");
        assert_string_equal(line(g, 4, b, sizeof b), "Host: 198.18.0.3 ()\tPorts: 1001/filtered/tcp/////");
        assert_string_equal(line(g, 5, b, sizeof b),
                            "# portscope done at Tue Dec  1 19:26:47 2026 -- "
                            "2 IP addresses (2 hosts up) scanned in 0.50 seconds");
        size_t nl = 0;
        for (const char *c = g; *c; c++)
                nl += *c == '\n';
        assert_int_equal(nl, 6);
        free(g);
        scan_report_free(&rep);
}

/* Two states counted: one "Ignored State" field, the state of most ports (nmap's line has room
 * for one), and the Ports field written even when it lists nothing. One host: singular words. */
static void grep_one_ignored_state(void **state)
{
        (void)state;
        struct scan_report rep;
        report_init(&rep, PS_TCP);
        add_range(&rep, "198.18.0.2", 1, 95, PS_TCP, SCAN_CLOSED, SCAN_REASON_RESET);
        add_range(&rep, "198.18.0.2", 1000, 1000 + SCAN_FILTERED_LISTED, PS_TCP, SCAN_FILTERED,
                  SCAN_REASON_NO_RESPONSE);
        char *g = grep_of(&rep), b[512];
        assert_int_equal(rep.hosts[0].filtered, SCAN_FILTERED_LISTED + 1);
        assert_string_equal(line(g, 2, b, sizeof b), "Host: 198.18.0.2 ()\tPorts: \tIgnored State: closed (95)");
        assert_string_equal(line(g, 3, b, sizeof b),
                            "# portscope done at Tue Dec  1 19:26:47 2026 -- "
                            "1 IP address (1 host up) scanned in 0.50 seconds");
        free(g);
        scan_report_free(&rep);

        report_init(&rep, PS_TCP);
        add_range(&rep, "198.18.0.2", 1, 3, PS_TCP, SCAN_CLOSED, SCAN_REASON_RESET);
        add_range(&rep, "198.18.0.2", 1000, 1999, PS_TCP, SCAN_FILTERED, SCAN_REASON_NO_RESPONSE);
        add(&rep, "198.18.0.2", 22, PS_TCP, SCAN_OPEN, SCAN_REASON_SYN_ACK);
        g = grep_of(&rep);
        assert_string_equal(line(g, 2, b, sizeof b),
                            "Host: 198.18.0.2 ()\tPorts: 22/open/tcp/////\tIgnored State: filtered (1000)");
        free(g);
        scan_report_free(&rep);
}

/* UDP ports that stayed silent are counted open|filtered and written as nmap does; the host is
 * listed though it never answered. An interrupted scan ends with no "done" line. */
static void grep_open_filtered(void **state)
{
        (void)state;
        struct scan_report rep;
        report_init(&rep, PS_UDP);
        add_range(&rep, "198.18.0.2", 40500, 40510, PS_UDP, SCAN_OPEN_FILTERED, SCAN_REASON_NO_RESPONSE);
        rep.stats.interrupted = true;
        char *g = grep_of(&rep), b[512];
        assert_string_equal(line(g, 1, b, sizeof b), "Host: 198.18.0.2 ()\tStatus: Up");
        assert_string_equal(line(g, 2, b, sizeof b),
                            "Host: 198.18.0.2 ()\tPorts: \tIgnored State: open|filtered (11)");
        assert_string_equal(line(g, 3, b, sizeof b),
                            "# portscope interrupted at Tue Dec  1 19:26:47 2026 -- "
                            "1 IP address (1 host up) scanned in 0.50 seconds");
        assert_null(strstr(g, " done "));
        free(g);
        scan_report_free(&rep);
}

/* The table names a match's product, version and, alone too, its extra information: an SSH
 * server matched only as "protocol 2.0" shows that under its port, as -oG and nmap do. */
static void text_info_only(void **state)
{
        (void)state;
        struct scan_report rep;
        report_init(&rep, PS_TCP);
        add(&rep, "198.18.0.2", 22, PS_TCP, SCAN_OPEN, SCAN_REASON_SYN_ACK);
        assert_int_equal(scan_report_finish(&rep), 0);
        struct scan_port_report *p = &rep.hosts[0].ports[0];
        p->service = calloc(1, sizeof *p->service);
        assert_non_null(p->service);
        strcpy(p->service->name, "ssh");
        strcpy(p->service->info, "protocol 2.0");
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(scan_output_find("text")->write(&rep, f, false), 0);
        assert_int_equal(fclose(f), 0);
        if (!strstr(buf, "(protocol 2.0)"))
                fprintf(stderr, "%s", buf);
        assert_non_null(strstr(buf, "(protocol 2.0)"));
        free(buf);
        scan_report_free(&rep);
}

int main(void)
{
        /* scan_timestr() writes local time */
        setenv("TZ", "UTC", 1);
        tzset();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(grep_hosts),
                cmocka_unit_test(grep_one_ignored_state),
                cmocka_unit_test(grep_open_filtered),
                cmocka_unit_test(text_info_only),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
