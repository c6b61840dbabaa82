/* portscope scan — saving an interrupted scan and continuing it.
 *
 * The state is small: the seed and shard define the order, `pos` says how much of it was sent,
 * `pending` lists the pairs sent but not answered yet (they are retried first), and the results
 * found so far are kept so that the continued scan reports the whole. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scan-internal.h"
#include "portscope/i18n.h"
#include "portscope/util.h"

uint64_t scan_fingerprint(const struct scan_targets *t, const struct scan_ports *p, enum scan_engine e)
{
        /* Every interval of the targets counts: two lists of the same size are different scans. */
        static const struct scan_cookie_key k = { UINT64_C(0x706f72747363), UINT64_C(0x6f70652d7363) };
        uint64_t buf[3] = { scan_siphash(&k, p->ports, p->n * sizeof(uint16_t)), (uint64_t)e, scan_targets_hash(t, &k) };
        return scan_siphash(&k, buf, sizeof(buf));
}

static json_t *u64(uint64_t v)
{
        char b[32];
        snprintf(b, sizeof(b), "%" PRIu64, v);
        return json_string(b);
}

static int get_u64(json_t *o, const char *key, uint64_t *ret)
{
        const char *s = json_string_value(json_object_get(o, key));
        if (!s || !*s)
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || *s == '-')
                return -EINVAL;
        *ret = v;
        return 0;
}

int scan_resume_save(const char *path, const struct scan_resume *st, const struct scan_report *rep)
{
        json_t *o = json_object(), *pend = json_array(), *res = json_array();
        json_object_set_new(o, "portscope_scan_resume", json_integer(1));
        json_object_set_new(o, "seed", u64(st->seed));
        json_object_set_new(o, "shard", json_integer(st->shard));
        json_object_set_new(o, "nshards", json_integer(st->nshards));
        json_object_set_new(o, "pos", u64(st->pos));
        json_object_set_new(o, "fingerprint", u64(st->fingerprint));
        json_object_set_new(o, "engine", json_string(st->engine));
        for (size_t i = 0; i < st->npending; i++)
                json_array_append_new(pend, json_integer((json_int_t)st->pending[i]));
        json_object_set_new(o, "pending", pend);
        json_object_set_new(o, "before", json_pack("{s:o,s:o,s:o,s:f,s:I}", "pairs", u64(st->before.pairs), "sent",
                                                   u64(st->before.sent), "replies", u64(st->before.replies),
                                                   "elapsed", st->before.elapsed, "started",
                                                   (json_int_t)st->before.started));
        for (size_t i = 0; i < rep->nhosts; i++) {
                const struct scan_host_report *h = &rep->hosts[i];
                for (size_t j = 0; j < h->nports; j++) {
                        const struct scan_result *r = &h->ports[j].r;
                        char a[64];
                        if (scan_addr_format(&r->addr, a, sizeof(a)) < 0)
                                continue;
                        json_array_append_new(res, json_pack("{s:I,s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:b}", "index",
                                                             (json_int_t)r->index, "address", a, "port", r->port,
                                                             "proto", (int)r->proto, "state", (int)r->state,
                                                             "reason", (int)r->reason, "ttl", r->ttl, "tries",
                                                             r->tries, "unconfirmed", r->unconfirmed));
                }
        }
        json_object_set_new(o, "results", res);
        /* What the report only counts: hosts up, closed/filtered answers not listed. */
        json_t *hosts = json_array();
        for (size_t i = 0; i < rep->nhosts; i++) {
                const struct scan_host_report *h = &rep->hosts[i];
                char a[64];
                if (!scan_host_counted(h) ||
                    scan_addr_format(&h->addr, a, sizeof(a)) < 0)
                        continue;
                json_t *x = json_object();
                json_object_set_new(x, "address", json_string(a));
                json_object_set_new(x, "up", json_boolean(h->up));
                json_object_set_new(x, "closed", u64(h->closed));
                json_object_set_new(x, "filtered", u64(h->filtered));
                json_object_set_new(x, "open_filtered", u64(h->open_filtered));
                json_array_append_new(hosts, x);
        }
        json_object_set_new(o, "hosts", hosts);
        char *text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!text)
                return -ENOMEM;
        int r = ps_write_file_atomic(path, text, strlen(text), 0600);
        free(text);
        return r;
}

int scan_resume_load(const char *path, const struct scan_targets *t, const struct scan_ports *p,
                     struct scan_resume *ret, struct scan_report *rep, struct ps_error *err)
{
        /* The file is outside input: every pair it names must be a pair of this scan, or an edited
         * file could point the scanner at addresses that are not its targets. */
        struct scan_config pc = { .targets = t, .ports = p };
        uint64_t npairs = scan_targets_count(t) * (uint64_t)p->n;
        char *data = NULL;
        size_t len;
        int r = ps_read_file(path, 1u << 30, &data, &len);
        if (r < 0)
                return ps_error_set(err, r, path, 0, 0, _("cannot read: %s"), strerror(-r));
        json_error_t jerr;
        json_t *o = json_loadb(data, len, 0, &jerr);
        free(data);
        if (!o)
                return ps_error_set(err, -EINVAL, path, (unsigned)jerr.line, (unsigned)jerr.column, "%.*s",
                                    scan_json_error_len(jerr.text), jerr.text);
        struct scan_resume st = { 0 };
        json_t *pend = json_object_get(o, "pending"), *res = json_object_get(o, "results");
        json_int_t shard = json_integer_value(json_object_get(o, "shard"));
        json_int_t nshards = json_integer_value(json_object_get(o, "nshards"));
        const char *engine = json_string_value(json_object_get(o, "engine"));
        if (json_integer_value(json_object_get(o, "portscope_scan_resume")) != 1 || get_u64(o, "seed", &st.seed) < 0 ||
            get_u64(o, "pos", &st.pos) < 0 || get_u64(o, "fingerprint", &st.fingerprint) < 0 || nshards < 1 ||
            nshards > 65536 || shard < 0 || shard >= nshards || !engine || !json_is_array(pend) ||
            !json_is_array(res)) {
                r = ps_error_set(err, -EINVAL, path, 0, 0, _("not a portscope scan state file"));
                goto out;
        }
        st.shard = (uint32_t)shard;
        st.nshards = (uint32_t)nshards;
        snprintf(st.engine, sizeof(st.engine), "%s", engine);
        st.npending = json_array_size(pend);
        st.mpending = malloc((st.npending + 1) * sizeof(uint64_t));
        if (!st.mpending) {
                r = ps_error_set(err, -ENOMEM, path, 0, 0, _("out of memory"));
                goto out;
        }
        for (size_t i = 0; i < st.npending; i++) {
                json_int_t v = json_integer_value(json_array_get(pend, i));
                if (v < 0 || (uint64_t)v >= npairs) {
                        r = ps_error_set(err, -EINVAL, path, 0, 0, _("pending pair %zu is not a pair of this scan"), i);
                        goto out;
                }
                st.mpending[i] = (uint64_t)v;
        }
        for (size_t i = 0; i < json_array_size(res); i++) {
                json_t *x = json_array_get(res, i);
                struct scan_result sr = { 0 };
                const char *a = json_string_value(json_object_get(x, "address"));
                json_int_t port = json_integer_value(json_object_get(x, "port"));
                json_int_t proto = json_integer_value(json_object_get(x, "proto"));
                json_int_t state = json_integer_value(json_object_get(x, "state"));
                json_int_t reason = json_integer_value(json_object_get(x, "reason"));
                if (!a || scan_addr_parse(a, &sr.addr) < 0 || port < 0 || port > 65535 || proto < 0 ||
                    proto >= PS_NPROTO || state < 0 || state >= SCAN_NSTATES || reason < 0 || reason >= SCAN_NREASONS)
                        continue;
                json_int_t index = json_integer_value(json_object_get(x, "index"));
                struct scan_addr pa;
                uint16_t pport;
                if (index >= 0 && (uint64_t)index < npairs)
                        scan_pair(&pc, (uint64_t)index, &pa, &pport);
                if (index < 0 || (uint64_t)index >= npairs || scan_addr_compare(&pa, &sr.addr) != 0 || pport != port) {
                        r = ps_error_set(err, -EINVAL, path, 0, 0, _("result %zu is not a pair of this scan"), i);
                        goto out;
                }
                sr.index = (uint64_t)index;
                sr.port = (uint16_t)port;
                sr.proto = (enum ps_proto)proto;
                sr.state = (enum scan_state)state;
                sr.reason = (enum scan_reason)reason;
                sr.ttl = (uint8_t)json_integer_value(json_object_get(x, "ttl"));
                sr.tries = (uint8_t)json_integer_value(json_object_get(x, "tries"));
                sr.unconfirmed = json_is_true(json_object_get(x, "unconfirmed"));
                if (scan_report_add(rep, &sr) < 0) {
                        r = ps_error_set(err, -ENOMEM, path, 0, 0, _("out of memory"));
                        goto out;
                }
        }
        /* Absent in files of older versions: the summary then covers the last run only. */
        json_t *before = json_object_get(o, "before");
        if (before) {
                json_t *el = json_object_get(before, "elapsed"), *sa = json_object_get(before, "started");
                if (get_u64(before, "pairs", &st.before.pairs) < 0 || get_u64(before, "sent", &st.before.sent) < 0 ||
                    get_u64(before, "replies", &st.before.replies) < 0 || !json_is_number(el) ||
                    !(json_number_value(el) >= 0 && json_number_value(el) < 1e9) || !json_is_integer(sa) ||
                    json_integer_value(sa) < 0) {
                        r = ps_error_set(err, -EINVAL, path, 0, 0, _("\"before\" is not the summary of earlier runs"));
                        goto out;
                }
                st.before.elapsed = json_number_value(el);
                st.before.started = (long long)json_integer_value(sa);
        }
        json_t *hosts = json_object_get(o, "hosts"); /* absent in files of older versions */
        for (size_t i = 0; i < json_array_size(hosts); i++) {
                json_t *x = json_array_get(hosts, i);
                const char *a = json_string_value(json_object_get(x, "address"));
                struct scan_addr addr;
                uint64_t closed = 0, filtered = 0, open_filtered = 0;
                if (!a || scan_addr_parse(a, &addr) < 0 || scan_targets_index(t, &addr) < 0 ||
                    get_u64(x, "closed", &closed) < 0 || get_u64(x, "filtered", &filtered) < 0 ||
                    get_u64(x, "open_filtered", &open_filtered) < 0) {
                        r = ps_error_set(err, -EINVAL, path, 0, 0, _("host %zu is not a target of this scan"), i);
                        goto out;
                }
                if (!scan_report_host_counts(rep, &addr, json_is_true(json_object_get(x, "up")), closed, filtered,
                                             open_filtered)) {
                        r = ps_error_set(err, -ENOMEM, path, 0, 0, _("out of memory"));
                        goto out;
                }
        }
        *ret = st;
        r = 0;
out:
        if (r < 0)
                free(st.mpending);
        json_decref(o);
        return r;
}
