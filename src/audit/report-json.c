/* The audit report as JSON and JSON lines, streamed through the JSON writer: no tree is built
 * per listener (only the knowledge entries cited, once each, come from portinfo as trees). */
#include "portscope/verdict.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portscope/portinfo.h"

/* Knowledge entries cited → their JSON, built once each (a few distinct entries for thousands of
 * listeners). Open addressing on the pointer. */
struct kcache {
        const struct knowledge_entry **key;
        json_t **val;
        size_t cap, n;
};

static void kcache_free(struct kcache *c)
{
        for (size_t i = 0; i < c->cap; i++)
                json_decref(c->val[i]);
        free(c->key);
        free(c->val);
}

static size_t kcache_slot(const struct kcache *c, const struct knowledge_entry *k)
{
        size_t h = (size_t)(((uintptr_t)k >> 4) * 0x9e3779b97f4a7c15ull) & (c->cap - 1);

        while (c->key[h] && c->key[h] != k)
                h = (h + 1) & (c->cap - 1);
        return h;
}

/* The JSON of k (borrowed from the cache), or a new reference in *ret_own without a cache or
 * when out of memory for it. */
static const json_t *kcache_get(struct kcache *c, const struct knowledge_entry *k, json_t **ret_own)
{
        size_t h;

        *ret_own = NULL;
        if (c && (c->n + 1) * 2 > c->cap) {
                struct kcache big = { 0 };
                big.cap = c->cap ? c->cap * 2 : 64;
                big.key = calloc(big.cap, sizeof(*big.key));
                big.val = calloc(big.cap, sizeof(*big.val));
                if (!big.key || !big.val) {
                        free(big.key);
                        free(big.val);
                        c = NULL;
                } else {
                        for (size_t i = 0; i < c->cap; i++)
                                if (c->key[i]) {
                                        size_t s = kcache_slot(&big, c->key[i]);
                                        big.key[s] = c->key[i];
                                        big.val[s] = c->val[i];
                                }
                        big.n = c->n;
                        free(c->key);
                        free(c->val);
                        *c = big;
                }
        }
        if (!c)
                return *ret_own = portinfo_knowledge_json(k);
        h = kcache_slot(c, k);
        if (!c->key[h]) {
                c->val[h] = portinfo_knowledge_json(k);
                if (!c->val[h])
                        return NULL;
                c->key[h] = k;
                c->n++;
        }
        return c->val[h];
}

/* A string member; NULL writes null. */
/* A string member, null when NULL or empty. */
static void str_or_null(struct jsonw *w, const char *name, const char *s)
{
        jsonw_string_field(w, name, s && *s ? s : NULL);
}

static void process_json(struct jsonw *w, const struct sockets_process *p)
{
        jsonw_begin_object(w);
        jsonw_int_field(w, "pid", p->pid);
        jsonw_string_field(w, "process", p->comm);
        jsonw_string_field(w, "cmdline", p->cmdline);
        jsonw_bool_field(w, "cmdline_truncated", p->cmdline_truncated);
        str_or_null(w, "executable", p->path);
        str_or_null(w, "user", p->user);
        jsonw_name(w, "uid");
        if (p->uid == (uid_t)-1)
                jsonw_null(w);
        else
                jsonw_uint(w, p->uid);
        str_or_null(w, "unit", p->unit);
        str_or_null(w, "cgroup", p->cgroup);
        str_or_null(w, "container", p->container);
        jsonw_end_object(w);
}

static void listener_json(const struct verdict_report *r, size_t i, struct jsonw *w, struct kcache *kc)
{
        const struct sockets_list *l = r->sockets;
        const struct sockets_entry *e = &l->v[i];
        const struct verdict_item *v = &r->verdicts[i];
        const struct sockets_process *p = sockets_entry_owner(l, e, 0);
        enum ps_proto pp;
        char a[64];

        jsonw_begin_object(w);
        jsonw_string_field(w, "protocol", sockets_proto_name(e->proto));
        jsonw_string_field(w, "family", e->family == AF_PACKET ? "packet" : e->family == AF_INET6 ? "ipv6" : "ipv4");
        sockets_format_addr(e->family, e->local, a, sizeof(a));
        jsonw_string_field(w, "address", a);
        jsonw_int_field(w, "port", e->port);
        if (e->proto == SOCKETS_RAW)
                str_or_null(w, "ip_protocol", verdict_ip_protocol_name(e->port));
        if (!sockets_proto_has_ports(e->proto))
                jsonw_bool_field(w, "receiving", !e->deaf); /* false: it only sends, or its interface is gone */
        if (e->proto == SOCKETS_PACKET) {
                /* port is the EtherType; the socket's type, and whether a BPF filter was seen. */
                str_or_null(w, "ethertype", sockets_ethertype_name(e->port));
                jsonw_string_field(w, "packet_type", e->sock_type == SOCK_DGRAM  ? "dgram"
                                                     : e->sock_type == SOCK_RAW  ? "raw"
                                                     : e->sock_type == SOCK_PACKET ? "packet"
                                                                                   : NULL);
                /* null: not known (the kernel shows filters to CAP_NET_ADMIN only). */
                jsonw_name(w, "bpf_filter");
                if (e->filter_unknown)
                        jsonw_null(w);
                else
                        jsonw_bool(w, e->filter);
        }
        jsonw_bool_field(w, "listening", e->listening);
        if (!e->listening) {
                sockets_format_addr(e->family, e->remote, a, sizeof(a));
                jsonw_string_field(w, "remote_address", a);
                jsonw_int_field(w, "remote_port", e->remote_port);
                /* Completed by the kernel, not yet accept()ed: its owners are its listener's. */
                jsonw_bool_field(w, "in_accept_queue", e->unaccepted);
        }
        jsonw_bool_field(w, "dual_stack", e->dual_stack);
        jsonw_bool_field(w, "v6only", e->v6only);
        jsonw_string_field(w, "exposure", sockets_exposure_name(e->exposure));
        str_or_null(w, "interface", e->ifname);
        jsonw_uint_field(w, "inode", e->inode);
        jsonw_uint_field(w, "sockets", (uint64_t)e->merged + 1);
        /* Every socket's inode (a group's, the first's first; none for a connection still in its
         * listener's queue), in every listener, so that each has the same fields. */
        jsonw_name(w, "inodes");
        jsonw_begin_array(w);
        if (e->inode)
                jsonw_uint(w, e->inode);
        for (uint32_t k = 0; l->merged_inodes && k < e->merged; k++)
                jsonw_uint(w, l->merged_inodes[e->merged_at + k]);
        jsonw_end_array(w);
        jsonw_name(w, "pid");
        if (p)
                jsonw_int(w, p->pid);
        else
                jsonw_null(w);
        jsonw_string_field(w, "process", p ? p->comm : NULL);
        jsonw_string_field(w, "cmdline", p ? p->cmdline : NULL);
        /* Longer than 64 KiB: cmdline is its start. */
        jsonw_bool_field(w, "cmdline_truncated", p && p->cmdline_truncated);
        /* The kernel tells the socket's owner uid even when the process is hidden. */
        jsonw_string_field(w, "user", verdict_report_user(r, i));
        str_or_null(w, "unit", p ? p->unit : NULL);
        str_or_null(w, "container", p ? p->container : NULL);
        jsonw_name(w, "owners");
        jsonw_begin_array(w);
        for (size_t k = 0; k < e->nowners; k++)
                process_json(w, sockets_entry_owner(l, e, k));
        jsonw_end_array(w);
        str_or_null(w, "owner_missing", verdict_owner_missing(l, e));
        jsonw_string_field(w, "range", sockets_proto_to_ps(e->proto, &pp) ? ps_range_name(ps_range_of(e->port)) : NULL);
        jsonw_string_field(w, "status", sockets_proto_has_ports(e->proto) ? registry_status_name(v->status) : NULL);
        jsonw_name(w, "services");
        jsonw_begin_array(w);
        for (size_t k = 0; k < v->nservices; k++)
                jsonw_string(w, v->services[k]);
        jsonw_end_array(w);
        jsonw_string_field(w, "verdict", verdict_kind_name(v->kind));
        jsonw_string_field(w, "severity", verdict_severity_name(v->severity));
        jsonw_string_field(w, "reason", v->reason);
        jsonw_string_field(w, "rule", judge_rule_name(v->rule));
        str_or_null(w, "identified_as", v->identified);
        jsonw_name(w, "knowledge");
        if (v->knowledge) {
                json_t *own;
                jsonw_json(w, kcache_get(kc, v->knowledge, &own));
                json_decref(own);
        } else
                jsonw_null(w);
        jsonw_name(w, "baseline");
        if (v->baseline >= 0 && r->context->baseline) {
                const struct baseline_entry *be = &r->context->baseline->v[v->baseline];
                jsonw_begin_object(w);
                jsonw_string_field(w, "file", r->context->baseline->origin);
                jsonw_int_field(w, "line", be->line);
                jsonw_string_field(w, "reason", be->reason);
                jsonw_end_object(w);
        } else
                jsonw_null(w);
        jsonw_end_object(w);
}

void verdict_report_listener_json(const struct verdict_report *r, size_t i, struct jsonw *w)
{
        listener_json(r, i, w, NULL);
}

static void gone_json(const struct verdict_report *r, size_t b, struct jsonw *w)
{
        const struct baseline_entry *be = &r->context->baseline->v[b];
        char spec[96];

        baseline_entry_format(be, spec, sizeof(spec));
        jsonw_begin_object(w);
        jsonw_string_field(w, "entry", spec);
        jsonw_string_field(w, "process", be->process);
        jsonw_string_field(w, "reason", be->reason);
        jsonw_int_field(w, "line", be->line);
        jsonw_end_object(w);
}

/* The members before "listeners". */
static void head_json(const struct verdict_report *r, struct jsonw *w)
{
        const struct sockets_list *l = r->sockets;
        size_t counts[VERDICT_NKINDS];

        if (r->context->registry) {
                json_t *src = portinfo_source_json(r->context->registry);
                jsonw_name(w, "registry");
                jsonw_json(w, src);
                json_decref(src);
        }
        jsonw_string_field(w, "knowledge", r->context->knowledge ? knowledge_origin(r->context->knowledge) : NULL);
        jsonw_string_field(w, "baseline", r->context->baseline ? r->context->baseline->origin : NULL);
        jsonw_string_field(w, "netns", r->netns);
        jsonw_int_field(w, "time", (int64_t)r->time);
        jsonw_bool_field(w, "privileged", l->owners.privileged);
        jsonw_name(w, "owners");
        jsonw_begin_object(w);
        jsonw_string_field(w, "method", l->owners.bpf ? "bpf-iterator" : "proc");
        str_or_null(w, "bpf_unavailable", l->owners.bpf_error);
        /* The iterator sees every process but reports sockets only. */
        jsonw_name(w, "processes");
        if (l->owners.bpf)
                jsonw_null(w);
        else
                jsonw_uint(w, l->owners.processes);
        jsonw_int_field(w, "denied", l->owners.denied);
        jsonw_uint_field(w, "descriptors", l->owners.fds);
        jsonw_int_field(w, "unowned_sockets", l->owners.unowned);
        jsonw_string_field(w, "missing", l->owners.privileged ? NULL : verdict_hidden_reason(l));
        jsonw_end_object(w);
        jsonw_name(w, "unsupported_protocols");
        jsonw_begin_array(w);
        for (unsigned p = 0; p < SOCKETS_NPROTO; p++)
                if (l->unsupported & (1u << p))
                        jsonw_string(w, sockets_proto_name((enum sockets_proto)p));
        jsonw_end_array(w);
        jsonw_name(w, "gone");
        jsonw_begin_array(w);
        for (size_t i = 0; i < r->ngone; i++)
                gone_json(r, r->gone[i], w);
        jsonw_end_array(w);
        verdict_report_counts(r, counts);
        jsonw_name(w, "summary");
        jsonw_begin_object(w);
        for (unsigned k = 0; k < VERDICT_NKINDS; k++)
                jsonw_int_field(w, verdict_kind_name((enum verdict_kind)k), (int64_t)counts[k]);
        jsonw_string_field(w, "worst", verdict_severity_name(verdict_report_worst(r)));
        jsonw_int_field(w, "gone", (int64_t)r->ngone);
        jsonw_end_object(w);
}

static int finish(struct jsonw *w, FILE *f)
{
        int r = jsonw_finish(w);

        if (r == -E2BIG || r == -EINVAL)
                r = -ENOMEM;
        if (r == 0 && ferror(f))
                r = -EIO;
        return r;
}

int verdict_report_dump_json(const struct verdict_report *r, const json_t *extra, FILE *f, bool pretty)
{
        struct kcache kc = { 0 };
        struct jsonw w;
        int rc;

        /* On a terminal, nothing past ASCII raw: a process name's bidi controls stay \uXXXX. */
        jsonw_init_file(&w, f, (pretty ? JSONW_PRETTY : 0) | (isatty(fileno(f)) ? JSONW_ASCII : 0));
        jsonw_begin_object(&w);
        head_json(r, &w);
        if (extra) {
                const char *k;
                json_t *m;
                json_object_foreach((json_t *)extra, k, m) {
                        jsonw_name(&w, k);
                        jsonw_json(&w, m);
                }
        }
        jsonw_name(&w, "listeners");
        jsonw_begin_array(&w);
        for (size_t i = 0; i < r->sockets->n && !jsonw_error(&w); i++)
                listener_json(r, i, &w, &kc);
        jsonw_end_array(&w);
        jsonw_end_object(&w);
        jsonw_newline(&w);
        rc = finish(&w, f);
        kcache_free(&kc);
        return rc;
}

int verdict_report_dump_jsonl(const struct verdict_report *r, const json_t *changes, FILE *f)
{
        struct kcache kc = { 0 };
        struct jsonw w;
        int rc;

        jsonw_init_file(&w, f, isatty(fileno(f)) ? JSONW_ASCII : 0);
        for (size_t i = 0; i < r->sockets->n && !jsonw_error(&w); i++) {
                listener_json(r, i, &w, &kc);
                jsonw_newline(&w);
        }
        /* A baseline entry nothing matched is a finding (it counts for --fail-on): a line each. */
        for (size_t i = 0; i < r->ngone && !jsonw_error(&w); i++) {
                jsonw_begin_object(&w);
                jsonw_name(&w, "gone");
                gone_json(r, r->gone[i], &w);
                jsonw_end_object(&w);
                jsonw_newline(&w);
        }
        if (changes) {
                jsonw_begin_object(&w);
                jsonw_name(&w, "changes");
                jsonw_json(&w, changes);
                jsonw_end_object(&w);
                jsonw_newline(&w);
        }
        rc = finish(&w, f);
        kcache_free(&kc);
        return rc;
}
