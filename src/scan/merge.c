/* portscope scan — --merge: the --jsonl outputs of a sharded scan read back into one report.
 *
 * The files are outside input (copied between machines, maybe edited): each line is parsed on
 * its own with jansson and must be one of the two line types the JSONL output writes (a port,
 * or the closing {"scan":{..}} summary), with only the members that output writes and values of
 * their types. What the verdict engine computes (status, knowledge, verdict, explanation) is
 * read for its type only and recomputed by scan_report_finish(). A file's results reach the
 * report only when the whole file was good, so an error leaves the report as it was. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "scan-internal.h"
#include "portscope/i18n.h"
#include "portscope/util.h"

struct merge_item {
        struct scan_result r;
        struct scan_service *service; /* owned, may be NULL */
        enum scan_unprobed unprobed;
};

struct merge_host { /* a {"host":{..}} line */
        struct scan_addr addr;
        char *name; /* owned, may be NULL */
        bool up;
        unsigned line;
        uint64_t closed, filtered, open_filtered;
};

struct merge_file {
        struct merge_item *v;
        size_t n, cap;
        struct merge_host *h;
        size_t nh, hcap;
        bool all_states; /* a closed or open|filtered port is listed: the shard ran with --all-states */
        bool have_summary;
        uint64_t seed, nports;
        uint32_t shard, nshards;
        enum scan_engine engine;
        enum ps_proto proto;
        long long started;
        struct scan_stats stats;
};

static void merge_file_free(struct merge_file *f)
{
        for (size_t i = 0; i < f->n; i++)
                free(f->v[i].service);
        free(f->v);
        for (size_t i = 0; i < f->nh; i++)
                free(f->h[i].name);
        free(f->h);
}

void scan_merge_init(struct scan_merge *m)
{
        memset(m, 0, sizeof(*m));
}

void scan_merge_free(struct scan_merge *m)
{
        if (!m)
                return;
        free(m->seen);
        for (size_t i = 0; i < m->nnames; i++)
                free(m->names[i]);
        free(m->names);
        memset(m, 0, sizeof(*m));
}

static bool member_in(const char *key, const char *const *names)
{
        for (; *names; names++)
                if (strcmp(key, *names) == 0)
                        return true;
        return false;
}

/* The first member of o not in names, or NULL. */
static const char *unknown_member(json_t *o, const char *const *names)
{
        const char *key;
        json_t *v;
        json_object_foreach(o, key, v)
                if (!member_in(key, names))
                        return key;
        return NULL;
}

/* The first member of o not in top, or else of the object o[key] not in inner, or NULL. */
static const char *unknown_member_in(json_t *o, const char *const *top, const char *key, const char *const *inner)
{
        const char *bad = unknown_member(o, top);
        return bad ? bad : unknown_member(json_object_get(o, key), inner);
}

/* An integer member within [lo, hi]; absent: *ret untouched when !required. */
static int get_int(json_t *o, const char *key, json_int_t lo, json_int_t hi, bool required, json_int_t *ret)
{
        json_t *v = json_object_get(o, key);
        if (!v)
                return required ? -ENOENT : 0;
        if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
                return -EINVAL;
        *ret = json_integer_value(v);
        return 0;
}

static int get_u64str(json_t *o, const char *key, uint64_t *ret)
{
        const char *s = json_string_value(json_object_get(o, key));
        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int get_double(json_t *o, const char *key, double *ret)
{
        json_t *v = json_object_get(o, key);
        if (!v)
                return 0;
        if (!json_is_number(v) || json_number_value(v) < 0)
                return -EINVAL;
        *ret = json_number_value(v);
        return 0;
}

static int get_bool(json_t *o, const char *key, bool *ret)
{
        json_t *v = json_object_get(o, key);
        if (!v)
                return 0;
        if (!json_is_boolean(v))
                return -EINVAL;
        *ret = json_is_true(v);
        return 0;
}

/* An optional string member copied into buf; longer than buf holds: an error unless cut. */
static int get_str(json_t *o, const char *key, char *buf, size_t len, bool cut)
{
        json_t *v = json_object_get(o, key);
        if (!v || json_is_null(v)) /* "name": null, an unidentified service */
                return 0;
        if (!json_is_string(v))
                return -EINVAL;
        size_t n = json_string_length(v);
        if (n >= len && !cut)
                return -E2BIG;
        if (n >= len)
                n = len - 1;
        memcpy(buf, json_string_value(v), n);
        buf[n] = '\0';
        return 0;
}

static int name_index(const char *s, const char *(*name)(int), int n)
{
        for (int i = 0; s && i < n; i++)
                if (strcmp(s, name(i)) == 0)
                        return i;
        return -1;
}

static const char *state_name(int i) { return scan_state_name((enum scan_state)i); }
static const char *reason_name(int i) { return scan_reason_name((enum scan_reason)i); }
static const char *proto_name(int i) { return ps_proto_name((enum ps_proto)i); }
static const char *engine_name(int i) { return scan_engine_name((enum scan_engine)i); }
static const char *unprobed_name(int i)
{
        const char *n = scan_unprobed_name((enum scan_unprobed)i);
        return n ? n : ""; /* SCAN_PROBED has no name: never written, never matched */
}

#define LINE_ERR(...) ps_error_set(err, -EINVAL, name, line, 0, __VA_ARGS__)

static int service_parse(json_t *o, struct scan_service *s, const char *name, unsigned line, struct ps_error *err)
{
        static const char *const members[] = { "probes", "name", "tcpwrapped", "banner", "tunnel", "product",
                                               "version", "info", "probe", "soft", NULL };
        const char *bad = unknown_member(o, members);
        if (bad)
                return LINE_ERR(_("service: unknown member \"%.40s\""), bad);
        memset(s, 0, sizeof(*s));
        json_int_t probes = 0;
        json_t *nm = json_object_get(o, "name");
        const char *tunnel = json_string_value(json_object_get(o, "tunnel"));
        char banner[sizeof(s->banner) + 1];
        banner[0] = '\0';
        if (get_int(o, "probes", 0, 1000, true, &probes) < 0 || !(json_is_null(nm) || json_is_string(nm)) ||
            get_bool(o, "tcpwrapped", &s->tcpwrapped) < 0 || get_bool(o, "soft", &s->soft) < 0 ||
            (json_object_get(o, "tunnel") && (!tunnel || strcmp(tunnel, "ssl") != 0)))
                return LINE_ERR(_("service: a member has the wrong type or value"));
        if (get_str(o, "name", s->name, sizeof(s->name), false) < 0 ||
            get_str(o, "product", s->product, sizeof(s->product), false) < 0 ||
            get_str(o, "version", s->version, sizeof(s->version), false) < 0 ||
            get_str(o, "info", s->info, sizeof(s->info), false) < 0 ||
            get_str(o, "probe", s->probe, sizeof(s->probe), false) < 0 ||
            /* The output turned invalid bytes into U+FFFD (3 bytes): keep the first 512. */
            get_str(o, "banner", banner, sizeof(banner), true) < 0)
                return LINE_ERR(_("service: a string member has the wrong type or is too long"));
        s->probes = (unsigned)probes;
        s->tls = tunnel != NULL;
        s->banner_len = strlen(banner);
        if (s->banner_len > sizeof(s->banner))
                s->banner_len = sizeof(s->banner);
        memcpy(s->banner, banner, s->banner_len);
        return 0;
}

/* A port line; *skip: a "gone" line of --changes (not open in that scan, not merged). */
static int port_parse(json_t *o, struct merge_item *it, bool *skip, const char *name, unsigned line,
                      struct ps_error *err)
{
        static const char *const members[] = { "address", "port", "protocol", "state", "reason", "ttl", "tries",
                                               "unconfirmed", "service", "service_unprobed", "status", "registered", "knowledge",
                                               "verdict", "severity", "rule", "explanation", "change", NULL };
        const char *bad = unknown_member(o, members);
        if (bad)
                return LINE_ERR(_("unknown member \"%.40s\""), bad);
        struct scan_result *r = &it->r;
        memset(it, 0, sizeof(*it));
        const char *a = json_string_value(json_object_get(o, "address"));
        if (!a || scan_addr_parse(a, &r->addr) < 0)
                return LINE_ERR(_("\"address\" is not an IP address"));
        json_int_t port = 0, ttl = 0, tries = 0;
        if (get_int(o, "port", 1, 65535, true, &port) < 0)
                return LINE_ERR(_("\"port\" is not a port number 1-65535"));
        if (get_int(o, "ttl", 0, 255, false, &ttl) < 0 || get_int(o, "tries", 0, 255, true, &tries) < 0)
                return LINE_ERR(_("\"ttl\" or \"tries\" is not a number 0-255"));
        int proto = name_index(json_string_value(json_object_get(o, "protocol")), proto_name, PS_NPROTO);
        int state = name_index(json_string_value(json_object_get(o, "state")), state_name, SCAN_NSTATES);
        int reason = name_index(json_string_value(json_object_get(o, "reason")), reason_name, SCAN_NREASONS);
        if (proto < 0 || state < 0 || reason < 0)
                return LINE_ERR(_("\"protocol\", \"state\" or \"reason\" is missing or unknown"));
        if (get_bool(o, "unconfirmed", &r->unconfirmed) < 0)
                return LINE_ERR(_("\"unconfirmed\" is not a boolean"));
        json_t *unp = json_object_get(o, "service_unprobed");
        int unprobed = unp ? name_index(json_string_value(unp), unprobed_name, SCAN_NUNPROBED) : 0;
        if (unprobed <= 0 && unp)
                return LINE_ERR(_("\"service_unprobed\" is not excluded, interrupted or no-files"));
        /* Recomputed by the verdict engine: only their types are checked. */
        static const char *const strings[] = { "status", "verdict", "severity", "rule", "explanation", NULL };
        for (const char *const *k = strings; *k; k++) {
                json_t *v = json_object_get(o, *k);
                if (v && !json_is_string(v))
                        return LINE_ERR(_("\"%s\" is not a string"), *k);
        }
        json_t *reg = json_object_get(o, "registered"), *kn = json_object_get(o, "knowledge");
        if ((reg && !json_is_array(reg)) || (kn && !json_is_array(kn)))
                return LINE_ERR(_("\"registered\" or \"knowledge\" is not an array"));
        json_t *change = json_object_get(o, "change");
        const char *ch = json_string_value(change);
        if (change && (!ch || (strcmp(ch, "new") != 0 && strcmp(ch, "same") != 0 && strcmp(ch, "gone") != 0)))
                return LINE_ERR(_("\"change\" is not new, same or gone"));
        *skip = ch && strcmp(ch, "gone") == 0;
        r->port = (uint16_t)port;
        r->proto = (enum ps_proto)proto;
        r->state = (enum scan_state)state;
        r->reason = (enum scan_reason)reason;
        r->ttl = (uint8_t)ttl;
        r->tries = (uint8_t)tries;
        it->unprobed = (enum scan_unprobed)unprobed;
        json_t *svc = json_object_get(o, "service");
        if (svc && !json_is_null(svc)) {
                if (!json_is_object(svc))
                        return LINE_ERR(_("\"service\" is not an object or null"));
                if (!(it->service = malloc(sizeof(*it->service))))
                        return ps_error_set(err, -ENOMEM, name, line, 0, _("out of memory"));
                int rc = service_parse(svc, it->service, name, line, err);
                if (rc < 0) {
                        free(it->service);
                        it->service = NULL;
                        return rc;
                }
        }
        return 0;
}

/* A host line: {"host":{"address","name"?,"up","closed","filtered","open_filtered"}}. */
static int host_parse(json_t *o, struct merge_host *h, const char *name, unsigned line, struct ps_error *err)
{
        static const char *const top[] = { "host", NULL };
        static const char *const members[] = { "address", "name", "up", "closed", "filtered", "open_filtered", NULL };
        json_t *x = json_object_get(o, "host");
        const char *bad = unknown_member_in(o, top, "host", members);
        if (bad)
                /* TRANSLATORS: "host" is a line of a --jsonl scan, {"host":{..}}; the quoted word is
                 * its JSON member (not translated). */
                return LINE_ERR(_("host: unknown member \"%.40s\""), bad);
        memset(h, 0, sizeof(*h));
        const char *a = json_string_value(json_object_get(x, "address"));
        if (!a || scan_addr_parse(a, &h->addr) < 0)
                /* TRANSLATORS: "host" is a line of a --jsonl scan, {"host":{..}}; "address" is its
                 * JSON member (not translated). */
                return LINE_ERR(_("host: \"address\" is not an IP address"));
        /* Counts of one shard: at most 65,536 ports of each address. */
        json_int_t closed = 0, filtered = 0, open_filtered = 0;
        json_t *up = json_object_get(x, "up"), *nm = json_object_get(x, "name");
        if (!json_is_boolean(up) || get_int(x, "closed", 0, 65536, true, &closed) < 0 ||
            get_int(x, "filtered", 0, 65536, true, &filtered) < 0 ||
            get_int(x, "open_filtered", 0, 65536, true, &open_filtered) < 0 ||
            (nm && (!json_is_string(nm) || json_string_length(nm) == 0 || json_string_length(nm) > 253)))
                /* TRANSLATORS: "host" is a line of a --jsonl scan, {"host":{..}}. */
                return LINE_ERR(_("host: a member is missing, has the wrong type or is out of range"));
        if (nm && !(h->name = strdup(json_string_value(nm))))
                return ps_error_set(err, -ENOMEM, name, line, 0, _("out of memory"));
        h->up = json_is_true(up);
        h->closed = (uint64_t)closed;
        h->filtered = (uint64_t)filtered;
        h->open_filtered = (uint64_t)open_filtered;
        h->line = line;
        return 0;
}

static int summary_parse(json_t *o, struct merge_file *f, const char *name, unsigned line, struct ps_error *err)
{
        static const char *const top[] = { "scan", "registry", NULL };
        static const char *const members[] = { "engine", "protocol", "ports", "seed", "shard", "shards", "started",
                                               "elapsed", "pairs", "sent", "replies", "passes", "capture_drops",
                                               "srtt_ms", "interrupted", "icmp_limited", "udp_budget_spent", "args",
                                               NULL };
        json_t *s = json_object_get(o, "scan");
        const char *bad = unknown_member_in(o, top, "scan", members);
        if (bad)
                /* TRANSLATORS: "summary" is the last line of a --jsonl scan, {"scan":...}; the quoted
                 * words are its JSON members (not translated). */
                return LINE_ERR(_("summary: unknown member \"%.40s\""), bad);
        json_t *reg = json_object_get(o, "registry");
        if (reg && !json_is_object(reg) && !json_is_null(reg))
                /* TRANSLATORS: "summary" is the last line of a --jsonl scan, {"scan":...}; the quoted
                 * words are its JSON members (not translated). */
                return LINE_ERR(_("summary: \"registry\" is not an object"));
        int engine = name_index(json_string_value(json_object_get(s, "engine")), engine_name, SCAN_NENGINES);
        int proto = name_index(json_string_value(json_object_get(s, "protocol")), proto_name, PS_NPROTO);
        json_int_t ports = 0, shard = 0, shards = 0, started = 0, pairs = 0, sent = 0, replies = 0, passes = 0,
                   drops = 0;
        const json_int_t big = (json_int_t)1 << 62;
        if (engine < 0 || proto < 0)
                /* TRANSLATORS: "summary" is the last line of a --jsonl scan, {"scan":...}; the quoted
                 * words are its JSON members (not translated). */
                return LINE_ERR(_("summary: \"engine\" or \"protocol\" is missing or unknown"));
        if (get_u64str(s, "seed", &f->seed) < 0)
                /* TRANSLATORS: "summary" is the last line of a --jsonl scan, {"scan":...}; the quoted
                 * words are its JSON members (not translated). */
                return LINE_ERR(_("summary: \"seed\" is not a decimal string"));
        if (get_int(s, "ports", 0, 65536, true, &ports) < 0 || get_int(s, "shards", 1, 65536, true, &shards) < 0 ||
            get_int(s, "shard", 1, shards, true, &shard) < 0)
                /* TRANSLATORS: "summary" is the last line of a --jsonl scan, {"scan":...}; the quoted
                 * words are its JSON members (not translated). */
                return LINE_ERR(_("summary: \"ports\", \"shard\" or \"shards\" is missing or out of range"));
        struct scan_stats *st = &f->stats;
        if (get_int(s, "started", 0, big, false, &started) < 0 || get_int(s, "pairs", 0, big, false, &pairs) < 0 ||
            get_int(s, "sent", 0, big, false, &sent) < 0 || get_int(s, "replies", 0, big, false, &replies) < 0 ||
            get_int(s, "passes", 0, 1000, false, &passes) < 0 ||
            get_int(s, "capture_drops", 0, big, false, &drops) < 0 || get_double(s, "elapsed", &st->elapsed) < 0 ||
            get_double(s, "srtt_ms", &st->srtt_ms) < 0 || get_bool(s, "interrupted", &st->interrupted) < 0 ||
            get_bool(s, "icmp_limited", &st->icmp_limited) < 0 ||
            get_bool(s, "udp_budget_spent", &st->udp_budget_spent) < 0 ||
            (json_object_get(s, "args") && !json_is_string(json_object_get(s, "args"))))
                /* TRANSLATORS: "summary" is the last line of a --jsonl scan, {"scan":...}; the quoted
                 * words are its JSON members (not translated). */
                return LINE_ERR(_("summary: a member has the wrong type or is out of range"));
        f->engine = (enum scan_engine)engine;
        f->proto = (enum ps_proto)proto;
        f->nports = (uint64_t)ports;
        f->shard = (uint32_t)shard - 1;
        f->nshards = (uint32_t)shards;
        f->started = started;
        st->pairs = (uint64_t)pairs;
        st->sent = (uint64_t)sent;
        st->replies = (uint64_t)replies;
        st->passes = (unsigned)passes;
        st->capture_drops = (uint64_t)drops;
        f->have_summary = true;
        return 0;
}

static int line_parse(struct merge_file *f, const char *buf, size_t len, const char *name, unsigned line,
                      struct ps_error *err)
{
        if (f->have_summary)
                return LINE_ERR(_("a line after the summary line {\"scan\":..}"));
        json_error_t jerr;
        json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!o)
                return ps_error_set(err, -EINVAL, name, line, (unsigned)jerr.column, "%.*s",
                                    scan_json_error_len(jerr.text), jerr.text);
        int rc;
        if (!json_is_object(o)) {
                rc = LINE_ERR(_("not a JSON object"));
        } else if (json_object_get(o, "scan")) {
                if (json_is_object(json_object_get(o, "scan")))
                        rc = summary_parse(o, f, name, line, err);
                else
                        /* TRANSLATORS: "summary" is the last line of a --jsonl scan, {"scan":...}; the
                         * quoted word is its JSON member (not translated). */
                        rc = LINE_ERR(_("summary: \"scan\" is not an object"));
        } else if (json_object_get(o, "host")) {
                if (!json_is_object(json_object_get(o, "host")))
                        /* TRANSLATORS: "host" is a line of a --jsonl scan, {"host":{..}}. */
                        rc = LINE_ERR(_("host: \"host\" is not an object"));
                else if (f->nh >= SCAN_MERGE_MAX_LINES)
                        /* TRANSLATORS: the most host lines one --jsonl file may hold. */
                        rc = LINE_ERR(ps_ngettext("more than %u host in one file", "more than %u hosts in one file",
                                                  SCAN_MERGE_MAX_LINES),
                                      SCAN_MERGE_MAX_LINES);
                else if (PS_GROW(f->h, f->hcap, f->nh + 1, SCAN_MERGE_MAX_LINES) < 0)
                        rc = ps_error_set(err, -ENOMEM, name, line, 0, _("out of memory"));
                else if ((rc = host_parse(o, &f->h[f->nh], name, line, err)) == 0)
                        f->nh++;
        } else if (f->n >= SCAN_MERGE_MAX_LINES) {
                /* TRANSLATORS: the most port lines one --jsonl file may hold. */
                rc = LINE_ERR(ps_ngettext("more than %u port in one file", "more than %u ports in one file",
                                          SCAN_MERGE_MAX_LINES),
                              SCAN_MERGE_MAX_LINES);
        } else if (PS_GROW(f->v, f->cap, f->n + 1, SCAN_MERGE_MAX_LINES) < 0) {
                rc = ps_error_set(err, -ENOMEM, name, line, 0, _("out of memory"));
        } else {
                bool skip = false;
                rc = port_parse(o, &f->v[f->n], &skip, name, line, err);
                if (rc == 0 && !skip) {
                        enum scan_state st = f->v[f->n].r.state;
                        f->all_states |= st == SCAN_CLOSED || st == SCAN_OPEN_FILTERED;
                        f->n++;
                }
                else if (rc == 0)
                        free(f->v[f->n].service);
        }
        json_decref(o);
        return rc;
}

static int merge_host_cmp(const void *a, const void *b)
{
        return scan_addr_compare(&((const struct merge_host *)a)->addr, &((const struct merge_host *)b)->addr);
}

/* A host's filtered ports are either listed (at most SCAN_FILTERED_LISTED) or all counted, as in
 * the unsharded scan: once one shard counted some, those another shard listed are counted too. */
static void fold_filtered(struct scan_host_report *h)
{
        if (!h->filtered)
                return;
        size_t k = 0;
        for (size_t i = 0; i < h->nports; i++) {
                if (h->ports[i].r.state == SCAN_FILTERED) {
                        free(h->ports[i].service);
                        h->filtered++;
                } else {
                        h->ports[k++] = h->ports[i];
                }
        }
        h->nports = k;
        h->filtered_listed = 0;
}

static int merge_item_cmp(const void *a, const void *b)
{
        return scan_addr_compare(&((const struct merge_item *)a)->r.addr, &((const struct merge_item *)b)->r.addr);
}

/* Each host has one host line at most, and its ports, listed and counted, with those of the
 * files before, are at most the scan's port count (each pair is in one shard): a file cannot
 * claim more. Sorts the file's port and host lines by address. */
static int check_hosts(struct merge_file *f, const struct scan_report *rep, const char *name, struct ps_error *err)
{
        if (f->n)
                qsort(f->v, f->n, sizeof(*f->v), merge_item_cmp);
        if (f->nh)
                qsort(f->h, f->nh, sizeof(*f->h), merge_host_cmp);
        size_t i = 0, k = 0;
        while (i < f->n || k < f->nh) {
                const struct scan_addr *a = k == f->nh || (i < f->n && scan_addr_compare(&f->v[i].r.addr,
                                                                                          &f->h[k].addr) < 0)
                                                    ? &f->v[i].r.addr
                                                    : &f->h[k].addr;
                char s[64] = "?";
                uint64_t total = 0;
                unsigned line = 0;
                for (; i < f->n && scan_addr_compare(&f->v[i].r.addr, a) == 0; i++)
                        total++;
                if (k < f->nh && scan_addr_compare(&f->h[k].addr, a) == 0) {
                        total += f->h[k].closed + f->h[k].filtered + f->h[k].open_filtered;
                        line = f->h[k].line;
                        if (++k < f->nh && scan_addr_compare(&f->h[k].addr, a) == 0) {
                                unsigned l2 = f->h[k].line;
                                scan_addr_format(a, s, sizeof(s));
                                /* TRANSLATORS: "host" is a line of a --jsonl scan, {"host":{..}}; %u is
                                 * the line of the first. */
                                return ps_error_set(err, -EINVAL, name, line > l2 ? line : l2, 0,
                                                    _("host: %s again (first on line %u)"), s, line < l2 ? line : l2);
                        }
                }
                const struct scan_host_report *h = scan_report_host(rep, a);
                if (h)
                        total += h->nports + h->closed + h->filtered + h->open_filtered;
                if (total > f->nports) {
                        scan_addr_format(a, s, sizeof(s));
                        /* TRANSLATORS: %s is an address; the ports the files list and count for it. */
                        return ps_error_set(err, -EINVAL, name, line, 0,
                                            _("%s: %llu ports listed and counted, more than the scan's %llu"), s,
                                            (unsigned long long)total, (unsigned long long)f->nports);
                }
        }
        return 0;
}

/* Adds a good file's results to the report: takes the services and the hosts' names. */
static int file_commit(struct scan_merge *m, struct scan_report *rep, struct merge_file *f)
{
        /* What a shard run with --all-states listed is listed; otherwise the report lists and
         * counts as the unsharded scan does (open listed, closed counted, filtered by the rule). */
        rep->all_states |= f->all_states;
        if (f->nh && PS_GROW(m->names, m->names_cap, m->nnames + f->nh, SIZE_MAX) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < f->n; i++) {
                if (scan_report_add(rep, &f->v[i].r) < 0)
                        return -ENOMEM;
                struct scan_host_report *h = scan_report_host(rep, &f->v[i].r.addr);
                struct scan_port_report *pr = h && h->nports ? &h->ports[h->nports - 1] : NULL;
                if (!pr || pr->r.port != f->v[i].r.port || pr->r.proto != f->v[i].r.proto)
                        continue;
                if (!pr->service) {
                        pr->service = f->v[i].service;
                        f->v[i].service = NULL;
                }
                if (!pr->unprobed)
                        pr->unprobed = f->v[i].unprobed;
        }
        for (size_t i = 0; i < f->nh; i++) {
                const struct merge_host *mh = &f->h[i];
                struct scan_host_report *h =
                        scan_report_host_counts(rep, &mh->addr, mh->up, mh->closed, mh->filtered, mh->open_filtered);
                if (!h)
                        return -ENOMEM;
                if (!h->name && mh->name) {
                        h->name = m->names[m->nnames++] = mh->name;
                        f->h[i].name = NULL;
                }
                /* Only a host line's counts can meet ports listed before: a port line of a host
                 * that already counts filtered ports is counted by scan_report_add() itself. */
                if (!rep->all_states)
                        fold_filtered(h);
        }
        struct scan_stats *s = &rep->stats;
        if (m->nfiles == 0 || f->started < rep->start)
                rep->start = f->started;
        s->pairs += f->stats.pairs;
        s->sent += f->stats.sent;
        s->replies += f->stats.replies;
        s->capture_drops += f->stats.capture_drops;
        /* The shards ran side by side: the slowest one is the scan's time. */
        if (f->stats.elapsed > s->elapsed)
                s->elapsed = f->stats.elapsed;
        if (f->stats.passes > s->passes)
                s->passes = f->stats.passes;
        if (f->stats.srtt_ms > s->srtt_ms)
                s->srtt_ms = f->stats.srtt_ms;
        s->interrupted |= f->stats.interrupted;
        s->icmp_limited |= f->stats.icmp_limited;
        s->udp_budget_spent |= f->stats.udp_budget_spent;
        return 0;
}

int scan_merge_read(struct scan_merge *m, struct scan_report *rep, const char *name, FILE *in, struct ps_error *err)
{
        struct merge_file f = { 0 };
        char *buf = malloc(SCAN_MERGE_MAX_LINE + 1);
        int rc = 0;
        unsigned line = 0;
        if (!buf)
                return ps_error_set(err, -ENOMEM, name, 0, 0, _("out of memory"));
        for (;;) {
                size_t len = 0;
                int c;
                while ((c = getc(in)) != EOF && c != '\n') {
                        if (len == SCAN_MERGE_MAX_LINE) {
                                rc = ps_error_set(err, -E2BIG, name, line + 1, 0, _("a line longer than %u bytes"),
                                                  SCAN_MERGE_MAX_LINE);
                                goto out;
                        }
                        buf[len++] = (char)c;
                }
                if (ferror(in)) {
                        rc = ps_error_set(err, -EIO, name, line + 1, 0, _("read error"));
                        goto out;
                }
                if (c == EOF && len == 0)
                        break;
                if (++line > SCAN_MERGE_MAX_LINES + 1) {
                        /* TRANSLATORS: the most lines one --jsonl file may hold. */
                        rc = ps_error_set(err, -E2BIG, name, line, 0,
                                          ps_ngettext("more than %u line", "more than %u lines", SCAN_MERGE_MAX_LINES + 1),
                                          SCAN_MERGE_MAX_LINES + 1);
                        goto out;
                }
                if ((rc = line_parse(&f, buf, len, name, line, err)) < 0)
                        goto out;
                if (c == EOF)
                        break;
        }
        if (!f.have_summary) {
                rc = ps_error_set(err, -EINVAL, name, line, 0,
                                  _("no summary line {\"scan\":..} at the end: not a --jsonl scan output, or cut off"));
                goto out;
        }
        if ((rc = check_hosts(&f, rep, name, err)) < 0)
                goto out;
        for (size_t i = 0; i < f.n; i++)
                if (f.v[i].r.proto != f.proto) {
                        rc = ps_error_set(err, -EINVAL, name, 0, 0, _("a %s port in a %s scan"),
                                          ps_proto_name(f.v[i].r.proto), ps_proto_name(f.proto));
                        goto out;
                }
        if (m->nfiles == 0) {
                if (!(m->seen = calloc((f.nshards + 7) / 8, 1))) {
                        rc = ps_error_set(err, -ENOMEM, name, 0, 0, _("out of memory"));
                        goto out;
                }
                m->seed = f.seed;
                m->nshards = f.nshards;
                m->engine = f.engine;
                m->proto = f.proto;
                m->nports = f.nports;
        } else if (f.seed != m->seed || f.nshards != m->nshards || f.engine != m->engine || f.proto != m->proto ||
                   f.nports != m->nports) {
                rc = ps_error_set(err, -EINVAL, name, line, 0,
                                  _("a shard of another scan (its seed, shard count, engine or port count differ)"));
                goto out;
        }
        if (m->seen[f.shard / 8] & (1u << (f.shard % 8))) {
                rc = ps_error_set(err, -EINVAL, name, line, 0, _("shard %u/%u was already given"), f.shard + 1,
                                  f.nshards);
                goto out;
        }
        if ((rc = file_commit(m, rep, &f)) < 0) {
                rc = ps_error_set(err, rc, name, 0, 0, _("out of memory"));
                goto out;
        }
        m->seen[f.shard / 8] |= (unsigned char)(1u << (f.shard % 8));
        m->nfiles++;
        m->nseen++;
        rep->engine = m->engine;
        rep->proto = m->proto;
        rep->seed = m->seed;
        rep->shard = 0;
        rep->nshards = 1;
        m->ports.n = (size_t)m->nports;
        m->ports.ports = NULL; /* only the count is known */
        rep->ports = &m->ports;
out:
        merge_file_free(&f);
        free(buf);
        return rc;
}

int scan_merge_load(struct scan_merge *m, struct scan_report *rep, const char *path, struct ps_error *err)
{
        FILE *in = fopen(path, "re");
        if (!in) {
                int e = errno;
                return ps_error_set(err, -e, path, 0, 0, _("cannot open: %s"), strerror(e));
        }
        int rc = scan_merge_read(m, rep, path, in, err);
        fclose(in);
        return rc;
}
