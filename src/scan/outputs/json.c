/* portscope scan — JSON: one document (--json) or one object per port (--jsonl).
 * Schema in docs/scan.md.
 *
 * Streamed through the project's JSON writer (portscope/jsonw.h), never built as one jansson
 * tree: a /16 x 100 ports scan has a million open ports, and a tree of a million objects took
 * half a minute to build and dump. What only depends on the port number of an open port
 * without identified service (its knowledge entries as jansson values from portinfo, the
 * verdict's sentence) is made once per distinct port and kept. ASCII only (JSONW_ASCII, as
 * before with jansson): banners are hostile text, and a terminal showing the JSON gets no bidi
 * or C1 control character from them; indented on a terminal, compact elsewhere. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "outputs.h"
#include "portscope/jsonw.h"
#include "portscope/portinfo.h"

/* A banner: bytes from the network. Invalid UTF-8 becomes U+FFFD (the writer's policy); so does
 * NUL, which the writer would keep as \u0000 and jansson's reader refuses by default. */
static void banner_write(struct jsonw *w, const struct scan_service *s)
{
        const char *b = (const char *)s->banner;
        size_t len = s->banner_len < sizeof(s->banner) ? s->banner_len : sizeof(s->banner);
        if (!memchr(b, '\0', len)) {
                jsonw_stringn(w, b, len);
                return;
        }
        char buf[sizeof(s->banner) * 3];
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                if (b[i]) {
                        buf[n++] = b[i];
                } else {
                        memcpy(buf + n, "\xef\xbf\xbd", 3);
                        n += 3;
                }
        }
        jsonw_stringn(w, buf, n);
}

static void service_write(struct jsonw *w, const struct scan_service *s)
{
        jsonw_begin_object(w);
        jsonw_uint_field(w, "probes", s->probes);
        if (!s->name[0]) {
                jsonw_null_field(w, "name");
                if (s->tcpwrapped) {
                        jsonw_bool_field(w, "tcpwrapped", true);
                }
                jsonw_name(w, "banner");
                banner_write(w, s);
                jsonw_end_object(w);
                return;
        }
        if (s->tls)
                jsonw_string_field(w, "tunnel", "ssl");
        jsonw_string_field(w, "name", s->name);
        if (s->product[0])
                jsonw_string_field(w, "product", s->product);
        if (s->version[0])
                jsonw_string_field(w, "version", s->version);
        if (s->info[0])
                jsonw_string_field(w, "info", s->info);
        jsonw_string_field(w, "probe", s->probe);
        jsonw_bool_field(w, "soft", s->soft);
        if (s->banner_len) {
                jsonw_name(w, "banner");
                banner_write(w, s);
        }
        jsonw_end_object(w);
}

/* What a port's judgement needs that takes work to make: its knowledge entries (portinfo's
 * jansson values) and the verdict's sentence. */
struct judged {
        json_t *knowledge; /* array */
        char *why;
};

static void judged_free(struct judged *j)
{
        if (!j)
                return;
        json_decref(j->knowledge);
        free(j->why);
        free(j);
}

static struct judged *judged_make(const struct scan_report *rep, const struct scan_port_report *p)
{
        struct judged *j = calloc(1, sizeof(*j));
        if (!j)
                return NULL;
        j->knowledge = json_array();
        j->why = malloc(SCAN_EXPLANATION_MAX);
        if (!j->knowledge || !j->why) {
                judged_free(j);
                return NULL;
        }
        for (size_t i = 0; i < p->facts->nknowledge; i++)
                if (json_array_append_new(j->knowledge, portinfo_knowledge_json(p->facts->knowledge[i])) < 0) {
                        judged_free(j);
                        return NULL;
                }
        scan_report_explain(rep, p, j->why, SCAN_EXPLANATION_MAX);
        return j;
}

struct writer {
        const struct scan_report *rep;
        struct jsonw w;
        struct judged **cache; /* [proto * 65536 + port]: an open port without service */
};

/* The judgement of p: borrowed from the cache, or made for this port alone (*ret_owned, which
 * the caller frees). NULL on out-of-memory. */
static const struct judged *judged_of(struct writer *wr, const struct scan_port_report *p, struct judged **ret_owned)
{
        *ret_owned = NULL;
        if (p->service || p->r.state != SCAN_OPEN)
                return *ret_owned = judged_make(wr->rep, p);
        if (!wr->cache && !(wr->cache = calloc((size_t)PS_NPROTO * 65536, sizeof(*wr->cache))))
                return NULL;
        struct judged **slot = &wr->cache[(size_t)p->r.proto * 65536 + p->r.port];
        if (!*slot)
                *slot = judged_make(wr->rep, p);
        return *slot;
}

static void writer_init(struct writer *wr, const struct scan_report *rep, FILE *f, bool tty)
{
        wr->rep = rep;
        wr->cache = NULL;
        jsonw_init_file(&wr->w, f, JSONW_ASCII | (tty ? JSONW_PRETTY : 0));
}

static void writer_free(struct writer *wr)
{
        if (wr->cache)
                for (size_t i = 0; i < (size_t)PS_NPROTO * 65536; i++)
                        judged_free(wr->cache[i]);
        free(wr->cache);
}

static int port_write(struct writer *wr, const struct scan_port_report *p, bool with_host)
{
        struct jsonw *w = &wr->w;
        const struct scan_report *rep = wr->rep;
        struct judged *owned;
        const struct judged *j = judged_of(wr, p, &owned);
        if (!j)
                return -ENOMEM;
        jsonw_begin_object(w);
        if (with_host) {
                char a[64];
                scan_addr_str(&p->r.addr, a, sizeof(a));
                jsonw_string_field(w, "address", a);
        }
        jsonw_uint_field(w, "port", p->r.port);
        jsonw_string_field(w, "protocol", ps_proto_name(p->r.proto));
        jsonw_string_field(w, "state", scan_state_name(p->r.state));
        jsonw_string_field(w, "reason", scan_reason_name(p->r.reason));
        if (p->r.ttl)
                jsonw_uint_field(w, "ttl", p->r.ttl);
        jsonw_uint_field(w, "tries", p->r.tries);
        if (p->r.unconfirmed) {
                jsonw_bool_field(w, "unconfirmed", true);
        }
        jsonw_name(w, "service");
        if (p->service && (p->service->name[0] || p->service->banner_len || p->service->tcpwrapped ||
                           p->service->probes))
                service_write(w, p->service);
        else
                jsonw_null(w);
        if (p->unprobed)
                jsonw_string_field(w, "service_unprobed", scan_unprobed_name(p->unprobed));
        jsonw_string_field(w, "status", rep->registry ? registry_status_name(p->facts->status) : "unknown");
        jsonw_name(w, "registered");
        jsonw_begin_array(w);
        for (const char *s = p->facts->registered; *s;) {
                const char *e = strchr(s, ',');
                size_t n = e ? (size_t)(e - s) : strlen(s);
                jsonw_stringn(w, s, n);
                s += n + (e ? 1 : 0);
        }
        jsonw_end_array(w);
        jsonw_name(w, "knowledge");
        jsonw_json(w, j->knowledge);
        jsonw_string_field(w, "verdict", scan_verdict_name(p->verdict));
        jsonw_string_field(w, "severity", verdict_severity_name(p->severity));
        jsonw_string_field(w, "rule", judge_rule_name(p->rule));
        jsonw_string_field(w, "explanation", j->why);
        if (rep->changes)
                jsonw_string_field(w, "change", p->change > 0 ? "new" : p->change < 0 ? "gone" : "same");
        jsonw_end_object(w);
        judged_free(owned);
        return jsonw_error(w);
}

static void scan_write(struct jsonw *w, const struct scan_report *rep)
{
        const struct scan_stats *s = &rep->stats;
        jsonw_begin_object(w);
        jsonw_string_field(w, "engine", scan_engine_name(rep->engine));
        jsonw_string_field(w, "protocol", ps_proto_name(rep->proto));
        jsonw_uint_field(w, "ports", rep->ports ? rep->ports->n : 0);
        /* A decimal string: seeds use all 64 bits, more than a JSON number keeps exactly. */
        char seed[24];
        snprintf(seed, sizeof(seed), "%" PRIu64, rep->seed);
        jsonw_string_field(w, "seed", seed);
        jsonw_uint_field(w, "shard", (uint64_t)rep->shard + 1);
        jsonw_uint_field(w, "shards", rep->nshards);
        jsonw_int_field(w, "started", rep->start);
        jsonw_double_field(w, "elapsed", s->elapsed);
        jsonw_uint_field(w, "pairs", s->pairs);
        jsonw_uint_field(w, "sent", s->sent);
        jsonw_uint_field(w, "replies", s->replies);
        jsonw_uint_field(w, "passes", s->passes);
        jsonw_uint_field(w, "capture_drops", s->capture_drops);
        jsonw_double_field(w, "srtt_ms", s->srtt_ms);
        jsonw_bool_field(w, "interrupted", s->interrupted);
        if (rep->proto == PS_UDP) {
                jsonw_bool_field(w, "icmp_limited", s->icmp_limited);
                jsonw_bool_field(w, "udp_budget_spent", s->udp_budget_spent);
        }
        if (rep->args)
                jsonw_string_field(w, "args", rep->args);
        jsonw_end_object(w);
}

/* "registry": the provenance of the verdicts, when a registry was found. */
static void registry_write(struct jsonw *w, const struct scan_report *rep)
{
        if (!rep->registry)
                return;
        json_t *src = portinfo_source_json(rep->registry);
        if (!src) {
                jsonw_null_field(w, "registry");
                return;
        }
        jsonw_name(w, "registry");
        jsonw_json(w, src);
        json_decref(src);
}

static int finish(struct writer *wr, int r)
{
        int e = jsonw_finish(&wr->w);
        writer_free(wr);
        return r < 0 ? r : e;
}

static int json_write(const struct scan_report *rep, FILE *f, bool tty)
{
        struct writer wr;
        struct jsonw *w = &wr.w;
        int r = 0;
        writer_init(&wr, rep, f, tty);
        jsonw_begin_object(w);
        jsonw_name(w, "scan");
        scan_write(w, rep);
        registry_write(w, rep);
        jsonw_name(w, "hosts");
        jsonw_begin_array(w);
        for (size_t i = 0; i < rep->nhosts && r == 0; i++) {
                const struct scan_host_report *h = &rep->hosts[i];
                if (!h->up && !scan_host_shown(rep, h))
                        continue;
                char a[64];
                scan_addr_str(&h->addr, a, sizeof(a));
                jsonw_begin_object(w);
                jsonw_string_field(w, "address", a);
                jsonw_string_field(w, "name", h->name); /* NULL: null */
                jsonw_name(w, "ports");
                jsonw_begin_array(w);
                for (size_t j = 0; j < h->nports && r == 0; j++)
                        r = port_write(&wr, &h->ports[j], false);
                jsonw_end_array(w);
                jsonw_uint_field(w, "closed", h->closed);
                jsonw_uint_field(w, "filtered", h->filtered);
                jsonw_uint_field(w, "open_filtered", h->open_filtered);
                jsonw_end_object(w);
        }
        jsonw_end_array(w);
        if (r == 0 && rep->changes) {
                jsonw_name(w, "gone");
                jsonw_begin_array(w);
                for (size_t i = 0; i < rep->ngone && r == 0; i++)
                        r = port_write(&wr, &rep->gone[i], true);
                jsonw_end_array(w);
        }
        if (r == 0) {
                jsonw_end_object(w);
                jsonw_newline(w);
        }
        return finish(&wr, r);
}

/* {"host":{..}}: what a host's port lines do not say (whether it answered, the ports only counted),
 * so that --merge of the shards gives the unsharded scan's counts. Every host with any of them
 * has one, shown or not: a host silent in one shard may have answered in another. */
static void host_line_write(struct jsonw *w, const struct scan_host_report *h)
{
        char a[64];
        if (!scan_host_counted(h))
                return;
        scan_addr_str(&h->addr, a, sizeof(a));
        jsonw_begin_object(w);
        jsonw_name(w, "host");
        jsonw_begin_object(w);
        jsonw_string_field(w, "address", a);
        if (h->name)
                jsonw_string_field(w, "name", h->name);
        jsonw_bool_field(w, "up", h->up);
        jsonw_uint_field(w, "closed", h->closed);
        jsonw_uint_field(w, "filtered", h->filtered);
        jsonw_uint_field(w, "open_filtered", h->open_filtered);
        jsonw_end_object(w);
        jsonw_end_object(w);
        jsonw_newline(w);
}

static int jsonl_write(const struct scan_report *rep, FILE *f, bool tty)
{
        (void)tty; /* one object a line, also on a terminal */
        struct writer wr;
        struct jsonw *w = &wr.w;
        int r = 0;
        writer_init(&wr, rep, f, false);
        for (size_t i = 0; i < rep->nhosts && r == 0; i++) {
                for (size_t j = 0; scan_host_shown(rep, &rep->hosts[i]) && j < rep->hosts[i].nports && r == 0; j++) {
                        r = port_write(&wr, &rep->hosts[i].ports[j], true);
                        jsonw_newline(w);
                }
                if (r == 0)
                        host_line_write(w, &rep->hosts[i]);
        }
        for (size_t i = 0; rep->changes && i < rep->ngone && r == 0; i++) { /* "change":"gone" */
                r = port_write(&wr, &rep->gone[i], true);
                jsonw_newline(w);
        }
        if (r == 0) {
                jsonw_begin_object(w);
                jsonw_name(w, "scan");
                scan_write(w, rep);
                registry_write(w, rep);
                jsonw_end_object(w);
                jsonw_newline(w);
        }
        return finish(&wr, r);
}

const struct scan_output scan_output_json = {
        .name = "json",
        .help = "one JSON document: {\"scan\":{..},\"registry\":{..},\"hosts\":[{\"address\",\"ports\":[..]}]}",
        .write = json_write,
};

const struct scan_output scan_output_jsonl = {
        .name = "jsonl",
        .help = "one JSON object per port and line, one per host ({\"host\":{..}}), then a summary line {\"scan\":{..}}",
        .write = jsonl_write,
};
