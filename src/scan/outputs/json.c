/* portscope scan — JSON: one document (--json) or one object per port (--jsonl).
 * Schema in docs/scan.md.
 *
 * Written as a stream, not built as one jansson tree: a /16 x 100 ports scan has a million open
 * ports, and a tree of a million objects took half a minute to build and dump. jansson still
 * writes every value that needs escaping; the part of a port object that only depends on the
 * port (registry status, registered names, knowledge, verdict and sentence, when no service was
 * identified) is written once per distinct port and copied after that. For a terminal the
 * compact text is read back and indented by jansson. */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "outputs.h"
#include "portscope/portinfo.h"

/* Outside text (banners, what a service said of itself): invalid UTF-8 becomes U+FFFD. */
static json_t *escaped(const char *s, size_t len)
{
        return portinfo_stringn(s, len);
}

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII)

/* Writes j (compact) and drops the reference. */
static int put_json(FILE *f, json_t *j)
{
        if (!j)
                return -ENOMEM;
        int r = json_dumpf(j, f, DUMP_FLAGS | JSON_ENCODE_ANY);
        json_decref(j);
        return r < 0 ? -EIO : 0;
}

static json_t *service_json(const struct scan_service *s)
{
        json_t *o = json_object();
        json_object_set_new(o, "probes", json_integer(s->probes));
        if (!s->name[0]) {
                json_object_set_new(o, "name", json_null());
                if (s->tcpwrapped)
                        json_object_set_new(o, "tcpwrapped", json_true());
                json_object_set_new(o, "banner", escaped((const char *)s->banner, s->banner_len));
                return o;
        }
        if (s->tls)
                json_object_set_new(o, "tunnel", json_string("ssl"));
        json_object_set_new(o, "name", escaped(s->name, strlen(s->name)));
        if (s->product[0])
                json_object_set_new(o, "product", escaped(s->product, strlen(s->product)));
        if (s->version[0])
                json_object_set_new(o, "version", escaped(s->version, strlen(s->version)));
        if (s->info[0])
                json_object_set_new(o, "info", escaped(s->info, strlen(s->info)));
        json_object_set_new(o, "probe", json_string(s->probe));
        json_object_set_new(o, "soft", json_boolean(s->soft));
        if (s->banner_len)
                json_object_set_new(o, "banner", escaped((const char *)s->banner, s->banner_len));
        return o;
}

/* "status":..,"registered":[..],"knowledge":[..],"verdict":..,"explanation":.. as a malloc'd
 * string (the members without braces), or NULL on out-of-memory. */
static char *judgement(const struct scan_report *rep, const struct scan_port_report *p)
{
        json_t *o = json_object();
        json_object_set_new(o, "status",
                            json_string(rep->registry ? registry_status_name(p->facts->status) : "unknown"));
        json_t *reg = json_array();
        char buf[sizeof(p->facts->registered)];
        memcpy(buf, p->facts->registered, sizeof(buf));
        for (char *s = buf, *e; s && *s; s = e) {
                e = strchr(s, ',');
                if (e)
                        *e++ = '\0';
                json_array_append_new(reg, json_string(s));
        }
        json_object_set_new(o, "registered", reg);
        json_t *kn = json_array();
        for (size_t i = 0; i < p->facts->nknowledge; i++)
                json_array_append_new(kn, portinfo_knowledge_json(p->facts->knowledge[i]));
        json_object_set_new(o, "knowledge", kn);
        json_object_set_new(o, "verdict", json_string(scan_verdict_name(p->verdict)));
        json_object_set_new(o, "severity", json_string(verdict_severity_name(p->severity)));
        json_object_set_new(o, "rule", json_string(judge_rule_name(p->rule)));
        char why[SCAN_EXPLANATION_MAX];
        scan_report_explain(rep, p, why, sizeof(why));
        json_object_set_new(o, "explanation", escaped(why, strlen(why)));
        char *s = json_dumps(o, DUMP_FLAGS);
        json_decref(o);
        if (!s)
                return NULL;
        size_t len = strlen(s);
        if (len < 2) {
                free(s);
                return NULL;
        }
        memmove(s, s + 1, len - 2); /* without the braces */
        s[len - 2] = '\0';
        return s;
}

struct writer {
        const struct scan_report *rep;
        FILE *f;
        char **cache; /* [proto * 65536 + port]: judgement of an open port without service */
};

static const char *cached_judgement(struct writer *w, const struct scan_port_report *p, char **ret_owned)
{
        *ret_owned = NULL;
        if (p->service || p->r.state != SCAN_OPEN)
                return *ret_owned = judgement(w->rep, p);
        if (!w->cache && !(w->cache = calloc((size_t)PS_NPROTO * 65536, sizeof(*w->cache))))
                return NULL;
        char **slot = &w->cache[(size_t)p->r.proto * 65536 + p->r.port];
        if (!*slot)
                *slot = judgement(w->rep, p);
        return *slot;
}

static void writer_free(struct writer *w)
{
        if (w->cache)
                for (size_t i = 0; i < (size_t)PS_NPROTO * 65536; i++)
                        free(w->cache[i]);
        free(w->cache);
}

static int port_write(struct writer *w, const struct scan_port_report *p, bool with_host)
{
        FILE *f = w->f;
        fputc('{', f);
        if (with_host) {
                char a[64];
                scan_addr_str(&p->r.addr, a, sizeof(a));
                fprintf(f, "\"address\":\"%s\",", a);
        }
        fprintf(f, "\"port\":%u,\"protocol\":\"%s\",\"state\":\"%s\",\"reason\":\"%s\",", p->r.port,
                ps_proto_name(p->r.proto), scan_state_name(p->r.state), scan_reason_name(p->r.reason));
        if (p->r.ttl)
                fprintf(f, "\"ttl\":%u,", p->r.ttl);
        fprintf(f, "\"tries\":%u,", p->r.tries);
        if (p->r.unconfirmed)
                fputs("\"unconfirmed\":true,", f);
        fputs("\"service\":", f);
        if (p->service && (p->service->name[0] || p->service->banner_len || p->service->tcpwrapped ||
                           p->service->probes)) {
                if (put_json(f, service_json(p->service)) < 0)
                        return -EIO;
        } else {
                fputs("null", f);
        }
        fputc(',', f);
        char *owned;
        const char *j = cached_judgement(w, p, &owned);
        if (!j)
                return -ENOMEM;
        fputs(j, f);
        free(owned);
        if (w->rep->changes)
                fprintf(f, ",\"change\":\"%s\"", p->change > 0 ? "new" : p->change < 0 ? "gone" : "same");
        fputc('}', f);
        return ferror(f) ? -EIO : 0;
}

static json_t *scan_json(const struct scan_report *rep)
{
        const struct scan_stats *s = &rep->stats;
        json_t *o = json_object();
        json_object_set_new(o, "engine", json_string(scan_engine_name(rep->engine)));
        json_object_set_new(o, "protocol", json_string(ps_proto_name(rep->proto)));
        json_object_set_new(o, "ports", json_integer((json_int_t)(rep->ports ? rep->ports->n : 0)));
        /* A decimal string: seeds use all 64 bits, more than a JSON number keeps exactly. */
        char seed[24];
        snprintf(seed, sizeof(seed), "%" PRIu64, rep->seed);
        json_object_set_new(o, "seed", json_string(seed));
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

/* The compact document. */
static int document_write(const struct scan_report *rep, FILE *f)
{
        struct writer w = { .rep = rep, .f = f };
        int r = 0;
        fputs("{\"scan\":", f);
        if ((r = put_json(f, scan_json(rep))) < 0)
                goto out;
        if (rep->registry) {
                fputs(",\"registry\":", f);
                if ((r = put_json(f, portinfo_source_json(rep->registry))) < 0)
                        goto out;
        }
        fputs(",\"hosts\":[", f);
        bool first = true;
        for (size_t i = 0; i < rep->nhosts && r == 0; i++) {
                const struct scan_host_report *h = &rep->hosts[i];
                if (h->nports == 0 && !rep->all_states && !h->open_filtered)
                        continue;
                char a[64];
                scan_addr_str(&h->addr, a, sizeof(a));
                fprintf(f, "%s{\"address\":\"%s\",\"name\":", first ? "" : ",", a);
                first = false;
                json_t *name = h->name ? json_string(h->name) : NULL; /* NULL too when not UTF-8 */
                if ((r = put_json(f, name ? name : json_null())) < 0)
                        break;
                fputs(",\"ports\":[", f);
                for (size_t j = 0; j < h->nports && r == 0; j++) {
                        if (j)
                                fputc(',', f);
                        r = port_write(&w, &h->ports[j], false);
                }
                fprintf(f, "],\"closed\":%llu,\"filtered\":%llu,\"open_filtered\":%llu}", (unsigned long long)h->closed,
                        (unsigned long long)h->filtered, (unsigned long long)h->open_filtered);
        }
        fputc(']', f);
        if (r == 0 && rep->changes) {
                fputs(",\"gone\":[", f);
                for (size_t i = 0; i < rep->ngone && r == 0; i++) {
                        if (i)
                                fputc(',', f);
                        r = port_write(&w, &rep->gone[i], true);
                }
                fputc(']', f);
        }
        fputs("}\n", f);
out:
        writer_free(&w);
        return r < 0 ? r : ferror(f) ? -EIO : 0;
}

static int json_write(const struct scan_report *rep, FILE *f, bool tty)
{
        if (!tty)
                return document_write(rep, f);
        /* for people at a terminal: the same document, indented */
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        if (!m)
                return -ENOMEM;
        int r = document_write(rep, m);
        if (fclose(m) != 0 && r == 0)
                r = -ENOMEM;
        json_t *doc = r == 0 ? json_loadb(buf, len, 0, NULL) : NULL;
        free(buf);
        if (!doc)
                return r < 0 ? r : -EIO;
        r = json_dumpf(doc, f, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        json_decref(doc);
        fputc('\n', f);
        return r < 0 || ferror(f) ? -EIO : 0;
}

static int jsonl_write(const struct scan_report *rep, FILE *f, bool tty)
{
        struct writer w = { .rep = rep, .f = f };
        int r = 0;
        for (size_t i = 0; i < rep->nhosts && r == 0; i++)
                for (size_t j = 0; j < rep->hosts[i].nports && r == 0; j++) {
                        r = port_write(&w, &rep->hosts[i].ports[j], true);
                        fputc('\n', f);
                }
        for (size_t i = 0; rep->changes && i < rep->ngone && r == 0; i++) { /* "change":"gone" */
                r = port_write(&w, &rep->gone[i], true);
                fputc('\n', f);
        }
        writer_free(&w);
        if (r == 0) {
                json_t *end = json_object();
                json_object_set_new(end, "scan", scan_json(rep));
                if (rep->registry)
                        json_object_set_new(end, "registry", portinfo_source_json(rep->registry));
                r = put_json(f, end);
                fputc('\n', f);
        }
        return r < 0 ? r : ferror(f) ? -EIO : 0;
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
