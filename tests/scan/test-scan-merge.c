/* Unit tests of --merge on shards built by hand: the shards' --jsonl outputs merged give the
 * unsharded scan's report, its listed ports and the counts of the ports it does not list (closed,
 * filtered past the 25 listed, open|filtered), whatever the order of the files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "portscope/scan.h"

#define NPORTS 2000

struct pair {
        const char *addr;
        uint16_t port;
        enum scan_state state;
};

/* The scan's answers: 198.18.0.2 has 22 open, `filtered` filtered ports from 100 and the rest
 * closed; 198.18.0.3 is closed but for one open port; 198.18.0.4 never answers. */
static size_t answers(struct pair *v, unsigned filtered)
{
        size_t n = 0;
        for (unsigned p = 1; p <= NPORTS; p++) {
                v[n++] = (struct pair){ "198.18.0.2", (uint16_t)p,
                                        p == 22 ? SCAN_OPEN : p >= 100 && p < 100 + filtered ? SCAN_FILTERED : SCAN_CLOSED };
                v[n++] = (struct pair){ "198.18.0.3", (uint16_t)p, p == 1999 ? SCAN_OPEN : SCAN_CLOSED };
                v[n++] = (struct pair){ "198.18.0.4", (uint16_t)p, SCAN_FILTERED };
        }
        return n;
}

/* The shard of answer i: ports alternate between the shards, and so do the hosts of one port. */
static uint32_t shard_of(size_t i, uint32_t nshards)
{
        return (uint32_t)((i / 3 + i % 3) % nshards);
}

static enum scan_reason reason_of(enum scan_state st)
{
        return st == SCAN_OPEN ? SCAN_REASON_SYN_ACK : st == SCAN_CLOSED ? SCAN_REASON_RESET : SCAN_REASON_NO_RESPONSE;
}

/* The report of the answers whose index is shard (mod nshards), finished. */
static void shard_report(struct scan_report *rep, struct scan_ports *ports, const struct pair *v, size_t n,
                         uint32_t shard, uint32_t nshards, bool all_states)
{
        scan_report_init(rep);
        rep->engine = SCAN_ENGINE_SYN;
        rep->proto = PS_TCP;
        rep->seed = 7;
        rep->shard = shard;
        rep->nshards = nshards;
        rep->start = 1796153206;
        rep->all_states = all_states;
        ports->ports = NULL;
        ports->n = NPORTS;
        rep->ports = ports;
        for (size_t i = 0; i < n; i++) {
                if (shard_of(i, nshards) != shard)
                        continue;
                struct scan_result r = { .proto = PS_TCP, .state = v[i].state, .reason = reason_of(v[i].state),
                                         .port = v[i].port, .tries = 1 };
                assert_int_equal(scan_addr_parse(v[i].addr, &r.addr), 0);
                assert_int_equal(scan_report_add(rep, &r), 0);
                rep->stats.pairs++;
        }
        assert_int_equal(scan_report_finish(rep), 0);
}

/* A report's --jsonl output, malloc'd. */
static char *jsonl_of(const struct scan_report *rep, size_t *len)
{
        char *buf = NULL;
        FILE *f = open_memstream(&buf, len);
        assert_non_null(f);
        assert_int_equal(scan_output_find("jsonl")->write(rep, f, false), 0);
        assert_int_equal(fclose(f), 0);
        return buf;
}

/* A merge under way: its state, the report it fills and the last error. */
struct merging {
        struct scan_merge m;
        struct scan_report rep;
        struct ps_error err;
};

static void merging_init(struct merging *g)
{
        memset(&g->err, 0, sizeof(g->err));
        scan_merge_init(&g->m);
        scan_report_init(&g->rep);
}

static void merging_free(struct merging *g)
{
        scan_report_free(&g->rep);
        scan_merge_free(&g->m);
}

/* Merges one file's text; returns scan_merge_read()'s result. */
static int merge_text(struct merging *g, const char *text, size_t len)
{
        FILE *in = fmemopen((void *)text, len, "r");
        assert_non_null(in);
        int r = scan_merge_read(&g->m, &g->rep, "shard.jsonl", in, &g->err);
        fclose(in);
        return r;
}

static const struct scan_host_report *host_of(const struct scan_report *rep, const struct scan_addr *a)
{
        for (size_t i = 0; i < rep->nhosts; i++)
                if (scan_addr_compare(&rep->hosts[i].addr, a) == 0)
                        return &rep->hosts[i];
        return NULL;
}

static size_t listed(const struct scan_host_report *h, enum scan_state st)
{
        size_t n = 0;
        for (size_t i = 0; i < h->nports; i++)
                n += h->ports[i].r.state == st;
        return n;
}

/* The merged report has the whole report's hosts, listed ports and counts. */
static void assert_same(const struct scan_report *whole, const struct scan_report *merged)
{
        for (size_t i = 0; i < whole->nhosts; i++) {
                const struct scan_host_report *w = &whole->hosts[i];
                const struct scan_host_report *g = host_of(merged, &w->addr);
                char a[64];
                assert_int_equal(scan_addr_format(&w->addr, a, sizeof(a)), 0);
                assert_non_null(g);
                if (w->up != g->up || w->closed != g->closed || w->filtered != g->filtered ||
                    w->open_filtered != g->open_filtered || w->nports != g->nports)
                        fail_msg("%s: up %d closed %llu filtered %llu listed %zu, merged: up %d closed %llu "
                                 "filtered %llu listed %zu",
                                 a, w->up, (unsigned long long)w->closed, (unsigned long long)w->filtered, w->nports,
                                 g->up, (unsigned long long)g->closed, (unsigned long long)g->filtered, g->nports);
                for (size_t j = 0; j < w->nports; j++) {
                        assert_int_equal(w->ports[j].r.port, g->ports[j].r.port);
                        assert_int_equal(w->ports[j].r.state, g->ports[j].r.state);
                }
        }
        assert_int_equal(whole->nhosts, merged->nhosts);
}

/* The shards of the answers v, merged in the given order (a permutation of 0..nshards-1),
 * against the unsharded report. */
static void check_merge_of(const struct pair *v, size_t n, uint32_t nshards, const uint32_t *order, bool all_states)
{
        struct scan_ports wp, sp;
        struct scan_report whole, shard;
        struct merging g;
        shard_report(&whole, &wp, v, n, 0, 1, all_states);
        merging_init(&g);
        for (uint32_t i = 0; i < nshards; i++) {
                shard_report(&shard, &sp, v, n, order[i], nshards, all_states);
                size_t len;
                char *text = jsonl_of(&shard, &len);
                if (merge_text(&g, text, len) < 0)
                        fail_msg("shard %u: %u: %s", order[i] + 1, g.err.line, g.err.message);
                free(text);
                scan_report_free(&shard);
        }
        assert_int_equal(scan_report_finish(&g.rep), 0);
        assert_same(&whole, &g.rep);
        merging_free(&g);
        scan_report_free(&whole);
}

/* The same, for the answers with `filtered` filtered ports on 198.18.0.2. */
static void check_merge(unsigned filtered, uint32_t nshards, const uint32_t *order, bool all_states)
{
        static struct pair v[3 * NPORTS];
        size_t n = answers(v, filtered);
        check_merge_of(v, n, nshards, order, all_states);
}

static void merge_counts_closed(void **state)
{
        (void)state;
        const uint32_t order[] = { 0, 1, 2 };
        check_merge(10, 3, order, false);
}

/* 40 filtered: each of 2 shards lists its 20, the merge counts all 40 (more than 25), as the
 * unsharded scan does. */
static void merge_folds_listed_filtered(void **state)
{
        (void)state;
        const uint32_t a[] = { 0, 1 }, b[] = { 1, 0 };
        check_merge(40, 2, a, false);
        check_merge(40, 2, b, false);
}

/* 60 filtered in 3 shards of 20: listed by each, counted once merged, in any order. */
static void merge_filtered_any_order(void **state)
{
        (void)state;
        const uint32_t orders[][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 } };
        for (size_t i = 0; i < 3; i++)
                check_merge(60, 3, orders[i], false);
}

/* A shard that counted its filtered ports (more than 25) and one that listed its few: counted. */
static void merge_counted_then_listed(void **state)
{
        (void)state;
        static struct pair v[3 * NPORTS];
        size_t n = answers(v, 0);
        /* Shard 1 of 2 holds 30 filtered ports (counted), shard 2 holds 5 (listed). */
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i].addr, "198.18.0.2") == 0 && v[i].port >= 200 &&
                    (shard_of(i, 2) == 0 ? v[i].port < 260 : v[i].port < 210))
                        v[i].state = SCAN_FILTERED;
        /* Unsharded, the 35 are counted and none listed: so must the merge be (check_merge_of()
         * compares the listed ports and the counts), in either order. */
        struct scan_ports wp;
        struct scan_report whole;
        shard_report(&whole, &wp, v, n, 0, 1, false);
        assert_int_equal(whole.hosts[0].filtered, 35);
        assert_int_equal(listed(&whole.hosts[0], SCAN_FILTERED), 0);
        scan_report_free(&whole);
        const uint32_t orders[][2] = { { 0, 1 }, { 1, 0 } };
        for (size_t i = 0; i < 2; i++)
                check_merge_of(v, n, 2, orders[i], false);
}

/* Shards run with --all-states list every port: so does the merge. */
static void merge_all_states(void **state)
{
        (void)state;
        const uint32_t order[] = { 1, 0 };
        check_merge(40, 2, order, true);
}

/* Files without host lines (written before they existed) still merge: the open ports. */
static void merge_without_host_lines(void **state)
{
        (void)state;
        static struct pair v[3 * NPORTS];
        size_t n = answers(v, 10);
        struct scan_ports sp;
        struct scan_report shard;
        struct merging g;
        shard_report(&shard, &sp, v, n, 0, 1, false);
        size_t len;
        char *text = jsonl_of(&shard, &len);
        /* Drop the host lines. */
        char *w = text;
        for (char *l = text; *l;) {
                char *nl = strchr(l, '\n');
                size_t ll = nl ? (size_t)(nl - l + 1) : strlen(l);
                if (strncmp(l, "{\"host\":", 8) != 0) {
                        memmove(w, l, ll);
                        w += ll;
                }
                l += ll;
        }
        *w = '\0';
        merging_init(&g);
        assert_int_equal(merge_text(&g, text, strlen(text)), 0);
        assert_int_equal(scan_report_finish(&g.rep), 0);
        const struct scan_host_report *h = host_of(&g.rep, &shard.hosts[0].addr);
        assert_non_null(h);
        assert_int_equal(listed(h, SCAN_OPEN), 1);
        assert_int_equal(listed(h, SCAN_FILTERED), 10);
        assert_int_equal(h->closed, 0);
        free(text);
        merging_free(&g);
        scan_report_free(&shard);
}

/* Bad host lines are refused with their line, and the report stays as it was. */
static void merge_bad_host_lines(void **state)
{
        (void)state;
        static const char summary[] = "{\"scan\":{\"engine\":\"syn\",\"protocol\":\"tcp\",\"ports\":10,\"seed\":\"7\","
                                      "\"shard\":1,\"shards\":1}}\n";
        static const struct {
                const char *line, *says;
        } bad[] = {
                { "{\"host\":{\"address\":\"198.18.0.2\",\"up\":true,\"closed\":1,\"filtered\":0}}", "missing" },
                { "{\"host\":{\"address\":\"198.18.0.2\",\"up\":1,\"closed\":1,\"filtered\":0,\"open_filtered\":0}}",
                  "wrong type" },
                { "{\"host\":{\"address\":\"198.18.0.2\",\"up\":true,\"closed\":70000,\"filtered\":0,"
                  "\"open_filtered\":0}}",
                  "out of range" },
                { "{\"host\":{\"address\":\"198.18.0.2\",\"up\":true,\"closed\":-1,\"filtered\":0,"
                  "\"open_filtered\":0}}",
                  "out of range" },
                { "{\"host\":{\"address\":\"nowhere\",\"up\":true,\"closed\":1,\"filtered\":0,\"open_filtered\":0}}",
                  "not an IP address" },
                { "{\"host\":{\"address\":\"198.18.0.2\",\"up\":true,\"closed\":1,\"filtered\":0,\"open_filtered\":0,"
                  "\"extra\":1}}",
                  "unknown member \"extra\"" },
                { "{\"host\":{\"address\":\"198.18.0.2\",\"name\":\"\",\"up\":true,\"closed\":1,\"filtered\":0,"
                  "\"open_filtered\":0}}",
                  "wrong type" },
                { "{\"host\":[1]}", "not an object" },
                { "{\"host\":{\"address\":\"198.18.0.2\",\"up\":true,\"closed\":1,\"filtered\":0,\"open_filtered\":0}}\n"
                  "{\"host\":{\"address\":\"198.18.0.2\",\"up\":true,\"closed\":1,\"filtered\":0,\"open_filtered\":0}}",
                  "198.18.0.2 again (first on line 1)" },
                { "{\"host\":{\"address\":\"198.18.0.2\",\"up\":true,\"closed\":6,\"filtered\":5,\"open_filtered\":0}}",
                  "198.18.0.2: 11 ports listed and counted, more than the scan's 10" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char text[1024];
                snprintf(text, sizeof(text), "%s\n%s", bad[i].line, summary);
                struct merging g;
                merging_init(&g);
                assert_int_equal(merge_text(&g, text, strlen(text)), -EINVAL);
                if (!strstr(g.err.message, bad[i].says) || g.err.line < 1)
                        fail_msg("%s: %u: \"%s\", not \"%s\"", bad[i].line, g.err.line, g.err.message, bad[i].says);
                assert_int_equal(g.rep.nhosts, 0);
                merging_free(&g);
        }
        /* The same with good lines is accepted, and the counts are the host's. */
        char text[1024];
        snprintf(text, sizeof(text), "%s%s",
                 "{\"host\":{\"address\":\"198.18.0.2\",\"name\":\"h\",\"up\":true,\"closed\":9,\"filtered\":1,"
                 "\"open_filtered\":0}}\n",
                 summary);
        struct merging g;
        merging_init(&g);
        assert_int_equal(merge_text(&g, text, strlen(text)), 0);
        assert_int_equal(scan_report_finish(&g.rep), 0);
        assert_int_equal(g.rep.nhosts, 1);
        assert_true(g.rep.hosts[0].up);
        assert_int_equal(g.rep.hosts[0].closed, 9);
        assert_int_equal(g.rep.hosts[0].filtered, 1);
        assert_string_equal(g.rep.hosts[0].name, "h");
        merging_free(&g);
}

/* Two shards may not count more ports for a host, together, than the scan has; the refused file
 * changes nothing. */
/* Why an open port was not probed survives a merge; a reason that is none of the three is refused. */
static void merge_unprobed(void **state)
{
        (void)state;
        static const char summary[] = "{\"scan\":{\"engine\":\"syn\",\"protocol\":\"tcp\",\"ports\":10,\"seed\":\"7\","
                                      "\"shard\":1,\"shards\":1}}\n";
        static const char *const values[] = { "\"excluded\"", "\"\"", "\"maybe\"", "5", "null" };
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                char text[1024];
                snprintf(text, sizeof(text),
                         "{\"address\":\"198.18.0.2\",\"port\":9101,\"protocol\":\"tcp\",\"state\":\"open\","
                         "\"reason\":\"syn-ack\",\"tries\":1,\"service\":null,\"service_unprobed\":%s}\n%s",
                         values[i], summary);
                struct merging g;
                merging_init(&g);
                int r = merge_text(&g, text, strlen(text));
                if (i == 0) {
                        assert_int_equal(r, 0);
                        assert_int_equal(scan_report_finish(&g.rep), 0);
                        assert_int_equal(g.rep.nhosts, 1);
                        assert_int_equal(g.rep.hosts[0].nports, 1);
                        assert_int_equal(g.rep.hosts[0].ports[0].unprobed, SCAN_UNPROBED_EXCLUDED);
                } else {
                        assert_int_equal(r, -EINVAL);
                        if (!strstr(g.err.message, "\"service_unprobed\" is not excluded, interrupted or no-files"))
                                fail_msg("%s: \"%s\"", values[i], g.err.message);
                        assert_int_equal(g.rep.nhosts, 0);
                }
                merging_free(&g);
        }
}

static void merge_shards_over_count(void **state)
{
        (void)state;
        static const char a[] = "{\"host\":{\"address\":\"198.18.0.2\",\"up\":true,\"closed\":8,\"filtered\":0,"
                                "\"open_filtered\":0}}\n{\"scan\":{\"engine\":\"syn\",\"protocol\":\"tcp\",\"ports\":10,"
                                "\"seed\":\"7\",\"shard\":1,\"shards\":2}}\n";
        static const char b[] = "{\"address\":\"198.18.0.2\",\"port\":22,\"protocol\":\"tcp\",\"state\":\"open\","
                                "\"reason\":\"syn-ack\",\"tries\":1}\n"
                                "{\"host\":{\"address\":\"198.18.0.2\",\"up\":true,\"closed\":2,\"filtered\":0,"
                                "\"open_filtered\":0}}\n{\"scan\":{\"engine\":\"syn\",\"protocol\":\"tcp\",\"ports\":10,"
                                "\"seed\":\"7\",\"shard\":2,\"shards\":2}}\n";
        struct merging g;
        merging_init(&g);
        assert_int_equal(merge_text(&g, a, strlen(a)), 0);
        assert_int_equal(merge_text(&g, b, strlen(b)), -EINVAL);
        if (!strstr(g.err.message, "11 ports listed and counted, more than the scan's 10"))
                fail_msg("two shards counting 11 of 10 ports: \"%s\"", g.err.message);
        assert_int_equal(g.rep.hosts[0].closed, 8);
        assert_int_equal(g.rep.hosts[0].nports, 0);
        merging_free(&g);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(merge_counts_closed),
                cmocka_unit_test(merge_folds_listed_filtered),
                cmocka_unit_test(merge_filtered_any_order),
                cmocka_unit_test(merge_counted_then_listed),
                cmocka_unit_test(merge_all_states),
                cmocka_unit_test(merge_without_host_lines),
                cmocka_unit_test(merge_bad_host_lines),
                cmocka_unit_test(merge_unprobed),
                cmocka_unit_test(merge_shards_over_count),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
