/* portscope scan — JSON: one document (--json) or one object per port (--jsonl).
 * Schema in docs/scan.md. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "outputs.h"
#include "portscope/portinfo.h"

static json_t *escaped(const char *s, size_t len)
{
        char *e = scan_escape(s, len);
        json_t *j = json_string(e ? e : "");
        free(e);
        return j;
}

static json_t *port_json(const struct scan_report *rep, const struct scan_port_report *p, bool with_host)
{
        json_t *o = json_object();
        if (with_host) {
                char a[64];
                scan_addr_str(&p->r.addr, a, sizeof(a));
                json_object_set_new(o, "address", json_string(a));
        }
        json_object_set_new(o, "port", json_integer(p->r.port));
        json_object_set_new(o, "protocol", json_string(ps_proto_name(p->r.proto)));
        json_object_set_new(o, "state", json_string(scan_state_name(p->r.state)));
        json_object_set_new(o, "reason", json_string(scan_reason_name(p->r.reason)));
        if (p->r.ttl)
                json_object_set_new(o, "ttl", json_integer(p->r.ttl));
        json_object_set_new(o, "tries", json_integer(p->r.tries));
        if (p->r.unconfirmed)
                json_object_set_new(o, "unconfirmed", json_true());
        if (p->has_service && p->service.name[0]) {
                json_t *s = json_object();
                json_object_set_new(s, "name", escaped(p->service.name, strlen(p->service.name)));
                if (p->service.product[0])
                        json_object_set_new(s, "product", escaped(p->service.product, strlen(p->service.product)));
                if (p->service.version[0])
                        json_object_set_new(s, "version", escaped(p->service.version, strlen(p->service.version)));
                if (p->service.info[0])
                        json_object_set_new(s, "info", escaped(p->service.info, strlen(p->service.info)));
                json_object_set_new(s, "probe", json_string(p->service.probe));
                json_object_set_new(s, "soft", json_boolean(p->service.soft));
                if (p->service.banner_len)
                        json_object_set_new(s, "banner",
                                            escaped((const char *)p->service.banner, p->service.banner_len));
                json_object_set_new(o, "service", s);
        } else if (p->has_service && p->service.banner_len) {
                json_t *s = json_object();
                json_object_set_new(s, "name", json_null());
                json_object_set_new(s, "banner", escaped((const char *)p->service.banner, p->service.banner_len));
                json_object_set_new(o, "service", s);
        } else {
                json_object_set_new(o, "service", json_null());
        }
        json_object_set_new(o, "status", json_string(rep->registry ? registry_status_name(p->status) : "unknown"));
        json_t *reg = json_array();
        char buf[sizeof(p->registered)];
        memcpy(buf, p->registered, sizeof(buf));
        for (char *s = buf, *e; s && *s; s = e) {
                e = strchr(s, ',');
                if (e)
                        *e++ = '\0';
                json_array_append_new(reg, json_string(s));
        }
        json_object_set_new(o, "registered", reg);
        json_t *kn = json_array();
        for (size_t i = 0; i < p->nknowledge; i++)
                json_array_append_new(kn, portinfo_knowledge_json(p->knowledge[i]));
        json_object_set_new(o, "knowledge", kn);
        json_object_set_new(o, "verdict", json_string(scan_verdict_name(p->verdict)));
        json_object_set_new(o, "explanation", escaped(p->explanation, strlen(p->explanation)));
        if (rep->changes)
                json_object_set_new(o, "change", json_string(p->change > 0 ? "new" : p->change < 0 ? "gone" : "same"));
        return o;
}

static json_t *scan_json(const struct scan_report *rep)
{
        const struct scan_stats *s = &rep->stats;
        json_t *o = json_object();
        json_object_set_new(o, "engine", json_string(scan_engine_name(rep->engine)));
        json_object_set_new(o, "protocol", json_string(ps_proto_name(rep->proto)));
        json_object_set_new(o, "ports", json_integer((json_int_t)(rep->ports ? rep->ports->n : 0)));
        json_object_set_new(o, "seed", json_integer((json_int_t)(rep->seed & INT64_MAX)));
        json_object_set_new(o, "shard", json_integer(rep->shard + 1));
        json_object_set_new(o, "shards", json_integer(rep->nshards));
        json_object_set_new(o, "started", json_integer(rep->start));
        json_object_set_new(o, "elapsed", json_real(s->elapsed));
        json_object_set_new(o, "pairs", json_integer((json_int_t)s->pairs));
        json_object_set_new(o, "sent", json_integer((json_int_t)s->sent));
        json_object_set_new(o, "replies", json_integer((json_int_t)s->replies));
        json_object_set_new(o, "passes", json_integer(s->passes));
        json_object_set_new(o, "capture_drops", json_integer((json_int_t)s->capture_drops));
        json_object_set_new(o, "srtt_ms", json_real(s->srtt_ms));
        json_object_set_new(o, "interrupted", json_boolean(s->interrupted));
        if (rep->proto == PS_UDP)
                json_object_set_new(o, "icmp_limited", json_boolean(s->icmp_limited));
        if (rep->args)
                json_object_set_new(o, "args", json_string(rep->args));
        return o;
}

static int dump(json_t *j, FILE *f, size_t flags)
{
        int r = json_dumpf(j, f, flags);
        json_decref(j);
        fputc('\n', f);
        return r < 0 || ferror(f) ? -EIO : 0;
}

static int json_write(const struct scan_report *rep, FILE *f, bool color)
{
        json_t *root = json_object();
        json_object_set_new(root, "scan", scan_json(rep));
        if (rep->registry)
                json_object_set_new(root, "registry", portinfo_source_json(rep->registry));
        json_t *hosts = json_array();
        for (size_t i = 0; i < rep->nhosts; i++) {
                const struct scan_host_report *h = &rep->hosts[i];
                if (h->nports == 0 && !rep->all_states && !h->open_filtered)
                        continue;
                json_t *ho = json_object();
                char a[64];
                scan_addr_str(&h->addr, a, sizeof(a));
                json_object_set_new(ho, "address", json_string(a));
                json_object_set_new(ho, "name", h->name ? json_string(h->name) : json_null());
                json_t *ports = json_array();
                for (size_t j = 0; j < h->nports; j++)
                        json_array_append_new(ports, port_json(rep, &h->ports[j], false));
                json_object_set_new(ho, "ports", ports);
                json_object_set_new(ho, "closed", json_integer((json_int_t)h->closed));
                json_object_set_new(ho, "filtered", json_integer((json_int_t)h->filtered));
                json_object_set_new(ho, "open_filtered", json_integer((json_int_t)h->open_filtered));
                json_array_append_new(hosts, ho);
        }
        json_object_set_new(root, "hosts", hosts);
        if (rep->changes) {
                json_t *gone = json_array();
                for (size_t i = 0; i < rep->ngone; i++)
                        json_array_append_new(gone, port_json(rep, &rep->gone[i], true));
                json_object_set_new(root, "gone", gone);
        }
        /* pretty for people at a terminal, compact (and much faster) for programs */
        return dump(root, f, (color ? JSON_INDENT(2) : JSON_COMPACT) | JSON_ENSURE_ASCII);
}

static int jsonl_write(const struct scan_report *rep, FILE *f, bool color)
{
        int r = 0;
        for (size_t i = 0; i < rep->nhosts && r == 0; i++)
                for (size_t j = 0; j < rep->hosts[i].nports && r == 0; j++)
                        r = dump(port_json(rep, &rep->hosts[i].ports[j], true), f, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (r == 0) {
                json_t *end = json_object();
                json_object_set_new(end, "scan", scan_json(rep));
                if (rep->registry)
                        json_object_set_new(end, "registry", portinfo_source_json(rep->registry));
                r = dump(end, f, JSON_COMPACT | JSON_ENSURE_ASCII);
        }
        return r;
}

const struct scan_output scan_output_json = {
        .name = "json",
        .help = "one JSON document: {\"scan\":{..},\"registry\":{..},\"hosts\":[{\"address\",\"ports\":[..]}]}",
        .write = json_write,
};

const struct scan_output scan_output_jsonl = {
        .name = "jsonl",
        .help = "one JSON object per port and line, then a summary line {\"scan\":{..}}",
        .write = jsonl_write,
};
