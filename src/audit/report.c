/* The audit report and its outputs: table, JSON, Prometheus textfile, baseline draft. */
#include "portscope/verdict.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "portscope/portinfo.h"
#include "portscope/util.h"

struct judge_job {
        const struct verdict_context *c;
        const struct sockets_list *l;
        struct verdict *out;
        size_t from, to;
};

static void *judge_range(void *arg)
{
        struct judge_job *j = arg;

        for (size_t i = j->from; i < j->to; i++)
                verdict_judge(j->c, j->l, &j->l->v[i], &j->out[i]);
        return NULL;
}

int verdict_report_build(const struct verdict_context *c, struct sockets_list *l, const char *netns,
                         struct verdict_report **ret)
{
        struct verdict_report *r = calloc(1, sizeof(*r));
        bool *seen = NULL;

        if (!r) {
                sockets_list_free(l);
                return -ENOMEM;
        }
        r->sockets = l;
        r->context = c;
        r->netns = netns ? netns : "host";
        r->time = time(NULL);
        r->verdicts = calloc(l->n ? l->n : 1, sizeof(*r->verdicts));
        if (c->baseline && c->baseline->n) {
                seen = calloc(c->baseline->n, sizeof(*seen));
                r->gone = calloc(c->baseline->n, sizeof(*r->gone));
                if (!seen || !r->gone)
                        goto oom;
        }
        if (!r->verdicts)
                goto oom;
        {
                /* The registry and the knowledge are immutable: judge on two threads when it pays. */
                struct judge_job jobs[2] = { { c, l, r->verdicts, 0, l->n / 2 }, { c, l, r->verdicts, l->n / 2, l->n } };
                pthread_t t;
                bool threaded = l->n >= 4096 && sysconf(_SC_NPROCESSORS_ONLN) >= 2 &&
                                pthread_create(&t, NULL, judge_range, &jobs[1]) == 0;
                if (!threaded)
                        jobs[0].to = l->n;
                judge_range(&jobs[0]);
                if (threaded)
                        pthread_join(t, NULL);
        }
        for (size_t i = 0; i < l->n; i++)
                if (seen && r->verdicts[i].baseline >= 0)
                        seen[r->verdicts[i].baseline] = true;
        /* An entry is gone when no listener matches it at all (whatever the verdict said). */
        if (seen) {
                for (size_t i = 0; i < l->n; i++) {
                        const struct sockets_entry *e = &l->v[i];
                        const char *names[16];
                        size_t nn;
                        if (!e->listening)
                                continue;
                        nn = verdict_owner_names(l, e, names, 16);
                        for (size_t b = 0; b < c->baseline->n; b++) {
                                const struct baseline_entry *be = &c->baseline->v[b];
                                if (seen[b])
                                        continue;
                                if (baseline_match(&(struct baseline){ .origin = "", .v = (struct baseline_entry *)be, .n = 1 },
                                                   e->proto, e->port, e->family, e->local, names, nn) == 0)
                                        seen[b] = true;
                        }
                }
                for (size_t b = 0; b < c->baseline->n; b++)
                        if (!seen[b])
                                r->gone[r->ngone++] = b;
        }
        free(seen);
        *ret = r;
        return 0;
oom:
        free(seen);
        verdict_report_free(r);
        return -ENOMEM;
}

void verdict_report_free(struct verdict_report *r)
{
        if (!r)
                return;
        sockets_list_free(r->sockets);
        free(r->verdicts);
        free(r->gone);
        free(r);
}

enum verdict_severity verdict_report_worst(const struct verdict_report *r)
{
        enum verdict_severity w = VERDICT_NONE;

        for (size_t i = 0; i < r->sockets->n; i++)
                if (r->sockets->v[i].listening && r->verdicts[i].severity > w)
                        w = r->verdicts[i].severity;
        return w;
}

void verdict_report_counts(const struct verdict_report *r, size_t counts[VERDICT_NKINDS])
{
        memset(counts, 0, sizeof(size_t) * VERDICT_NKINDS);
        for (size_t i = 0; i < r->sockets->n; i++)
                if (r->sockets->v[i].listening)
                        counts[r->verdicts[i].kind]++;
}

/* ---- JSON ---- */

/* A JSON string of outside bytes: invalid UTF-8 becomes U+FFFD, so nothing is dropped silently
 * (jansson refuses invalid UTF-8). */
static json_t *jstr(const char *s)
{
        json_t *j = s ? portinfo_string(s) : NULL;

        return j ? j : json_null();
}

static json_t *str_or_null(const char *s)
{
        return s && *s ? jstr(s) : json_null();
}

static json_t *process_json(const struct sockets_process *p)
{
        json_t *o = json_object();

        json_object_set_new(o, "pid", json_integer(p->pid));
        json_object_set_new(o, "process", jstr(p->comm));
        json_object_set_new(o, "cmdline", jstr(p->cmdline));
        json_object_set_new(o, "user", str_or_null(p->user));
        json_object_set_new(o, "uid", p->uid == (uid_t)-1 ? json_null() : json_integer(p->uid));
        json_object_set_new(o, "unit", str_or_null(p->unit));
        json_object_set_new(o, "cgroup", str_or_null(p->cgroup));
        json_object_set_new(o, "container", str_or_null(p->container));
        return o;
}

static void socket_user(uint32_t uid, char *buf, size_t len);

static json_t *listener_json(const struct verdict_report *r, size_t i, json_t **proc_cache);

json_t *verdict_listener_json(const struct verdict_report *r, size_t i)
{
        return listener_json(r, i, NULL);
}

/* proc_cache (may be NULL): one JSON object per process, built once and shared by all the
 * sockets the process holds (a server with a thousand sockets has one command line). */
static json_t *listener_json(const struct verdict_report *r, size_t i, json_t **proc_cache)
{
        const struct sockets_list *l = r->sockets;
        const struct sockets_entry *e = &l->v[i];
        const struct verdict *v = &r->verdicts[i];
        const struct sockets_process *p = sockets_entry_owner(l, e, 0);
        json_t *o = json_object(), *owners = json_array(), *services = json_array();
        char a[64], user[64];
        enum ps_proto pp;

        sockets_format_addr(e->family, e->local, a, sizeof(a));
        json_object_set_new(o, "protocol", json_string(sockets_proto_name(e->proto)));
        json_object_set_new(o, "family", json_string(e->family == AF_INET6 ? "ipv6" : "ipv4"));
        json_object_set_new(o, "address", json_string(a));
        json_object_set_new(o, "port", json_integer(e->port));
        if (e->proto == SOCKETS_RAW)
                json_object_set_new(o, "ip_protocol", str_or_null(verdict_ip_protocol_name(e->port)));
        json_object_set_new(o, "listening", json_boolean(e->listening));
        if (!e->listening) {
                sockets_format_addr(e->family, e->remote, a, sizeof(a));
                json_object_set_new(o, "remote_address", json_string(a));
                json_object_set_new(o, "remote_port", json_integer(e->remote_port));
        }
        json_object_set_new(o, "dual_stack", json_boolean(e->dual_stack));
        json_object_set_new(o, "v6only", json_boolean(e->v6only));
        json_object_set_new(o, "exposure", json_string(sockets_exposure_name(e->exposure)));
        json_object_set_new(o, "interface", str_or_null(e->ifname));
        json_object_set_new(o, "inode", json_integer((json_int_t)e->inode));
        json_object_set_new(o, "pid", p ? json_integer(p->pid) : json_null());
        json_object_set_new(o, "process", p ? jstr(p->comm) : json_null());
        json_object_set_new(o, "cmdline", p ? jstr(p->cmdline) : json_null());
        /* The kernel tells the socket's owner uid even when the process is hidden. */
        if (p && p->user && *p->user)
                json_object_set_new(o, "user", jstr(p->user));
        else {
                socket_user(e->uid, user, sizeof(user));
                json_object_set_new(o, "user", jstr(user));
        }
        json_object_set_new(o, "unit", p ? str_or_null(p->unit) : json_null());
        json_object_set_new(o, "container", p ? str_or_null(p->container) : json_null());
        for (size_t k = 0; k < e->nowners; k++) {
                if (proc_cache) {
                        uint32_t ix = e->owners[k];
                        if (!proc_cache[ix])
                                proc_cache[ix] = process_json(&l->procs[ix]);
                        json_array_append(owners, proc_cache[ix]);
                } else
                        json_array_append_new(owners, process_json(sockets_entry_owner(l, e, k)));
        }
        json_object_set_new(o, "owners", owners);
        json_object_set_new(o, "owner_missing", str_or_null(verdict_owner_missing(l, e)));
        json_object_set_new(o, "range", sockets_proto_to_ps(e->proto, &pp) ? json_string(ps_range_name(ps_range_of(e->port)))
                                                                           : json_null());
        json_object_set_new(o, "status", e->proto == SOCKETS_RAW ? json_null() : json_string(registry_status_name(v->status)));
        for (size_t k = 0; k < v->nservices; k++)
                json_array_append_new(services, jstr(v->services[k]));
        json_object_set_new(o, "services", services);
        json_object_set_new(o, "verdict", json_string(verdict_kind_name(v->kind)));
        json_object_set_new(o, "severity", json_string(verdict_severity_name(v->severity)));
        json_object_set_new(o, "reason", jstr(v->reason));
        json_object_set_new(o, "knowledge", v->knowledge ? portinfo_knowledge_json(v->knowledge) : json_null());
        if (v->baseline >= 0 && r->context->baseline) {
                const struct baseline_entry *be = &r->context->baseline->v[v->baseline];
                json_t *b = json_object();
                json_object_set_new(b, "file", jstr(r->context->baseline->origin));
                json_object_set_new(b, "line", json_integer(be->line));
                json_object_set_new(b, "reason", jstr(be->reason));
                json_object_set_new(o, "baseline", b);
        } else
                json_object_set_new(o, "baseline", json_null());
        return o;
}

static json_t *gone_json(const struct verdict_report *r, size_t b)
{
        const struct baseline_entry *be = &r->context->baseline->v[b];
        json_t *o = json_object();
        char spec[96];

        baseline_entry_format(be, spec, sizeof(spec));
        json_object_set_new(o, "entry", json_string(spec));
        json_object_set_new(o, "process", be->process ? jstr(be->process) : json_null());
        json_object_set_new(o, "reason", jstr(be->reason));
        json_object_set_new(o, "line", json_integer(be->line));
        return o;
}

static json_t *report_head_json(const struct verdict_report *r);

json_t *verdict_report_json(const struct verdict_report *r)
{
        json_t *o = report_head_json(r), *arr = json_array();

        for (size_t i = 0; i < r->sockets->n; i++)
                json_array_append_new(arr, verdict_listener_json(r, i));
        json_object_set_new(o, "listeners", arr);
        return o;
}

int verdict_report_dump_json(const struct verdict_report *r, json_t *extra, FILE *f, bool pretty)
{
        json_t *head, **cache;
        char *s;
        size_t len;
        int rc = 0;

        if (pretty) {
                json_t *all = verdict_report_json(r);
                if (extra)
                        json_object_update(all, extra);
                s = json_dumps(all, JSON_INDENT(2));
                json_decref(all);
                if (!s)
                        return -ENOMEM;
                fputs(s, f);
                fputc('\n', f);
                free(s);
                return ferror(f) ? -EIO : 0;
        }
        /* Streamed: one small tree per listener instead of one tree of everything. */
        head = report_head_json(r);
        if (extra)
                json_object_update(head, extra);
        s = json_dumps(head, JSON_COMPACT);
        json_decref(head);
        if (!s)
                return -ENOMEM;
        len = strlen(s);
        /* "{...}" → "{...," then the listeners, then "]}". */
        fwrite(s, 1, len - 1, f);
        fputs(len > 2 ? ",\"listeners\":[" : "\"listeners\":[", f);
        free(s);
        cache = calloc(r->sockets->nprocs ? r->sockets->nprocs : 1, sizeof(*cache));
        if (!cache)
                return -ENOMEM;
        for (size_t i = 0; i < r->sockets->n; i++) {
                json_t *l = listener_json(r, i, cache);
                s = json_dumps(l, JSON_COMPACT);
                json_decref(l);
                if (!s) {
                        rc = -ENOMEM;
                        break;
                }
                if (i)
                        fputc(',', f);
                fputs(s, f);
                free(s);
        }
        for (size_t i = 0; i < r->sockets->nprocs; i++)
                json_decref(cache[i]);
        free(cache);
        if (rc < 0)
                return rc;
        fputs("]}\n", f);
        return ferror(f) ? -EIO : 0;
}

static json_t *report_head_json(const struct verdict_report *r)
{
        const struct sockets_list *l = r->sockets;
        json_t *o = json_object(), *gone = json_array(), *own = json_object(), *sum = json_object(),
               *unsup = json_array();
        size_t counts[VERDICT_NKINDS];

        if (r->context->registry)
                json_object_set_new(o, "registry", portinfo_source_json(r->context->registry));
        json_object_set_new(o, "knowledge",
                            r->context->knowledge ? json_string(knowledge_origin(r->context->knowledge)) : json_null());
        json_object_set_new(o, "baseline", r->context->baseline ? jstr(r->context->baseline->origin) : json_null());
        json_object_set_new(o, "netns", jstr(r->netns));
        json_object_set_new(o, "time", json_integer((json_int_t)r->time));
        json_object_set_new(o, "privileged", json_boolean(l->owners.privileged));
        json_object_set_new(own, "method", json_string(l->owners.bpf ? "bpf-iterator" : "proc"));
        json_object_set_new(own, "bpf_unavailable", str_or_null(l->owners.bpf_error));
        /* The iterator sees every process but reports sockets only. */
        json_object_set_new(own, "processes", l->owners.bpf ? json_null() : json_integer(l->owners.processes));
        json_object_set_new(own, "denied", json_integer(l->owners.denied));
        json_object_set_new(own, "descriptors", json_integer((json_int_t)l->owners.fds));
        json_object_set_new(own, "unowned_sockets", json_integer(l->owners.unowned));
        json_object_set_new(own, "missing",
                            l->owners.privileged ? json_null() : json_string(verdict_hidden_reason()));
        json_object_set_new(o, "owners", own);
        for (unsigned p = 0; p < SOCKETS_NPROTO; p++)
                if (l->unsupported & (1u << p))
                        json_array_append_new(unsup, json_string(sockets_proto_name((enum sockets_proto)p)));
        json_object_set_new(o, "unsupported_protocols", unsup);
        for (size_t i = 0; i < r->ngone; i++)
                json_array_append_new(gone, gone_json(r, r->gone[i]));
        json_object_set_new(o, "gone", gone);
        verdict_report_counts(r, counts);
        for (unsigned k = 0; k < VERDICT_NKINDS; k++)
                json_object_set_new(sum, verdict_kind_name((enum verdict_kind)k), json_integer((json_int_t)counts[k]));
        json_object_set_new(sum, "worst", json_string(verdict_severity_name(verdict_report_worst(r))));
        json_object_set_new(sum, "gone", json_integer((json_int_t)r->ngone));
        json_object_set_new(o, "summary", sum);
        return o;
}

/* ---- table ---- */

static void socket_user(uint32_t uid, char *buf, size_t len)
{
        /* getpwuid_r is enough here; the list of users is small. */
        char pw[1024];
        struct passwd pwd, *res = NULL;

        if (getpwuid_r(uid, &pwd, pw, sizeof(pw), &res) == 0 && res)
                snprintf(buf, len, "%s", res->pw_name);
        else
                snprintf(buf, len, "%u", uid);
}

static const char *sev_color(const struct verdict *v)
{
        if (v->kind == VERDICT_EXPECTED)
                return "\033[32m";
        switch (v->severity) {
        case VERDICT_HIGH: return "\033[1;31m";
        case VERDICT_MEDIUM: return "\033[33m";
        case VERDICT_LOW: return "\033[36m";
        default: return "";
        }
}

/* Printable ASCII without backslashes is printed as it is; anything else goes through
 * ps_term_escape() (which writes byte by byte: keep it off the common path). */
static bool plain_ascii(const char *s, size_t *ret_len)
{
        const char *p = s;

        for (; *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f || *p == '\\')
                        return false;
        *ret_len = (size_t)(p - s);
        return true;
}

static void put_escaped(FILE *f, const char *s)
{
        size_t n;

        if (plain_ascii(s, &n))
                fwrite_unlocked(s, 1, n, f);
        else
                ps_term_escape(f, s, (size_t)-1, false);
}

/* Writes n bytes of s and pads with spaces to width, then one space (no printf: a table of
 * 20,000 rows spends its time there otherwise). */
static void pad(FILE *f, const char *s, size_t n, int width)
{
        static const char spaces[] = "                                ";

        /* The caller holds the stream's lock (flockfile): no per-call locking. */
        fwrite_unlocked(s, 1, n, f);
        for (size_t w = n; w < (size_t)width;) {
                size_t k = (size_t)width - w < sizeof(spaces) - 1 ? (size_t)width - w : sizeof(spaces) - 1;
                fwrite_unlocked(spaces, 1, k, f);
                w += k;
        }
        fputc_unlocked(' ', f);
}

/* Prints s escaped, padded to width (escaping may only widen it). */
static void cell(FILE *f, const char *s, int width)
{
        size_t n;
        char *buf = NULL;
        size_t blen = 0;
        FILE *m;

        if (plain_ascii(s, &n)) {
                pad(f, s, n, width);
                return;
        }
        m = open_memstream(&buf, &blen);
        if (!m) {
                ps_term_escape(f, s, (size_t)-1, false);
                fputc(' ', f);
                return;
        }
        ps_term_escape(m, s, (size_t)-1, false);
        fclose(m);
        pad(f, buf ? buf : "", buf ? blen : 0, width);
        free(buf);
}

static void format_local(const struct sockets_entry *e, char *buf, size_t len)
{
        char a[64];

        sockets_format_addr(e->family, e->local, a, sizeof(a));
        if (e->dual_stack)
                snprintf(buf, len, "%s(+v4)", a);
        else if (e->ifindex && e->ifname[0])
                snprintf(buf, len, "%s%%%s", a, e->ifname);
        else
                snprintf(buf, len, "%s", a);
}

void verdict_report_print_table(const struct verdict_report *r, FILE *f, bool color)
{
        const struct sockets_list *l = r->sockets;

        flockfile(f);
        fprintf(f, "%-5s %-24s %-5s %-7s %-15s %-10s %-22s %-11s %-6s %s\n", "PROTO", "ADDRESS", "PORT", "PID",
                "PROCESS", "USER", "UNIT", "VERDICT", "SEV", "REASON");
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                const struct verdict *v = &r->verdicts[i];
                const struct sockets_process *p = sockets_entry_owner(l, e, 0);
                char addr[96], pid[32], user[64], port[16];

                format_local(e, addr, sizeof(addr));
                if (!e->listening) {
                        char ra[64];
                        sockets_format_addr(e->family, e->remote, ra, sizeof(ra));
                        size_t al = strlen(addr);
                        snprintf(addr + al, sizeof(addr) - al, "->%s", ra);
                }
                snprintf(port, sizeof(port), "%u", e->port);
                if (p)
                        snprintf(pid, sizeof(pid), "%d%s", (int)p->pid, e->nowners > 1 ? "+" : "");
                else
                        snprintf(pid, sizeof(pid), "-");
                if (p && p->user && *p->user)
                        snprintf(user, sizeof(user), "%s", p->user);
                else
                        socket_user(e->uid, user, sizeof(user));
                {
                        const char *pn = sockets_proto_name(e->proto);
                        pad(f, pn, strlen(pn), 5);
                }
                cell(f, addr, 24);
                pad(f, port, strlen(port), 5);
                pad(f, pid, strlen(pid), 7);
                cell(f, p ? p->comm : "?", 15);
                cell(f, user, 10);
                cell(f, p && p->unit && *p->unit ? p->unit : "-", 22);
                {
                        const char *k = verdict_kind_name(v->kind), *sv = verdict_severity_name(v->severity);
                        if (color)
                                fputs(sev_color(v), f);
                        pad(f, k, strlen(k), 11);
                        pad(f, sv, strlen(sv), 6);
                        if (color)
                                fputs("\033[0m", f);
                }
                put_escaped(f, v->reason);
                fputc_unlocked('\n', f);
        }
        for (size_t i = 0; i < r->ngone; i++) {
                const struct baseline_entry *be = &r->context->baseline->v[r->gone[i]];
                char spec[96];
                baseline_entry_format(be, spec, sizeof(spec));
                fprintf(f, "gone: %s ", spec);
                ps_term_escape(f, be->process ? be->process : "*", (size_t)-1, false);
                fputs(" is in the baseline (", f);
                ps_term_escape(f, r->context->baseline->origin, (size_t)-1, false);
                fprintf(f, ":%u) but nothing listens there: ", be->line);
                ps_term_escape(f, be->reason, (size_t)-1, false);
                fputc('\n', f);
        }
        funlockfile(f);
}

void verdict_report_print_notes(const struct verdict_report *r, FILE *f)
{
        const struct sockets_list *l = r->sockets;
        size_t counts[VERDICT_NKINDS];
        size_t listeners = 0;

        verdict_report_counts(r, counts);
        for (unsigned k = 0; k < VERDICT_NKINDS; k++)
                listeners += counts[k];
        fprintf(f, "%zu listener%s: %zu suspicious, %zu mismatch, %zu unexplained, %zu info, %zu expected", listeners,
                listeners == 1 ? "" : "s", counts[VERDICT_SUSPICIOUS], counts[VERDICT_MISMATCH],
                counts[VERDICT_UNEXPLAINED], counts[VERDICT_INFO], counts[VERDICT_EXPECTED]);
        if (r->context->baseline)
                fprintf(f, "; %zu baseline entr%s gone", r->ngone, r->ngone == 1 ? "y" : "ies");
        fputc('\n', f);
        /* Every output names the registry it judged against. */
        portinfo_print_source(f, "", r->context->registry);
        if (l->owners.done && !l->owners.privileged)
                fprintf(f,
                        "note: the descriptors of %u process%s could not be read (%s), so %u socket%s show%s no "
                        "owner; the user column comes from the kernel's socket owner.\n",
                        l->owners.denied, l->owners.denied == 1 ? "" : "es", verdict_hidden_reason(), l->owners.unowned,
                        l->owners.unowned == 1 ? "" : "s", l->owners.unowned == 1 ? "s" : "");
        for (unsigned p = 0; p < SOCKETS_NPROTO; p++)
                if (l->unsupported & (1u << p))
                        fprintf(f, "note: this kernel cannot list %s sockets (no %s_diag support)\n",
                                sockets_proto_name((enum sockets_proto)p), sockets_proto_name((enum sockets_proto)p));
}

/* ---- growable text ---- */

struct text {
        char *buf;
        size_t len, cap;
        bool oom;
};

static void tput(struct text *t, const char *s, size_t n)
{
        if (t->oom)
                return;
        if (t->len + n + 1 > t->cap) {
                size_t cap = t->cap ? t->cap : 4096;
                while (cap < t->len + n + 1)
                        cap *= 2;
                char *b = realloc(t->buf, cap);
                if (!b) {
                        t->oom = true;
                        return;
                }
                t->buf = b;
                t->cap = cap;
        }
        memcpy(t->buf + t->len, s, n);
        t->len += n;
        t->buf[t->len] = '\0';
}

static void tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(struct text *t, const char *fmt, ...)
{
        char small[1024];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(small, sizeof(small), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n < sizeof(small)) {
                tput(t, small, (size_t)n);
                return;
        }
        char *big = malloc((size_t)n + 1);
        if (!big) {
                t->oom = true;
                return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        tput(t, big, (size_t)n);
        free(big);
}

static int text_finish(struct text *t, char **ret, size_t *ret_len)
{
        if (t->oom || !t->buf) {
                if (!t->oom && !t->buf) {
                        t->buf = strdup("");
                        if (t->buf) {
                                *ret = t->buf;
                                *ret_len = 0;
                                return 0;
                        }
                }
                free(t->buf);
                return -ENOMEM;
        }
        *ret = t->buf;
        *ret_len = t->len;
        return 0;
}

/* ---- Prometheus ---- */

/* Label values: valid UTF-8 with \\, \" and \n escaped; other bytes shown as \xNN text. */
static void prom_label(struct text *t, const char *name, const char *s, bool comma)
{
        tprintf(t, "%s%s=\"", comma ? "," : "", name);
        for (const char *p = s ? s : ""; *p; p++) {
                unsigned char c = (unsigned char)*p;
                if (c == '\\')
                        tput(t, "\\\\", 2);
                else if (c == '"')
                        tput(t, "\\\"", 2);
                else if (c == '\n')
                        tput(t, "\\n", 2);
                else if (c < 0x20 || c == 0x7f)
                        tprintf(t, "\\\\x%02x", c);
                else if (c >= 0x80) {
                        size_t n = ps_utf8_seq(p, strnlen(p, 4), NULL);
                        if (n > 1) {
                                tput(t, p, n);
                                p += n - 1;
                        } else
                                tprintf(t, "\\\\x%02x", c);
                } else
                        tput(t, (const char *)&c, 1);
        }
        tput(t, "\"", 1);
}

struct prom_line {
        char *labels;
        int value;
};

static int prom_cmp(const void *a, const void *b)
{
        return strcmp(((const struct prom_line *)a)->labels, ((const struct prom_line *)b)->labels);
}

int verdict_report_prometheus(const struct verdict_report *r, char **ret, size_t *ret_len)
{
        const struct sockets_list *l = r->sockets;
        struct text t = { 0 };
        struct prom_line *lines = calloc(l->n ? l->n : 1, sizeof(*lines));
        size_t nl = 0, counts[VERDICT_NKINDS];
        size_t sev[4] = { 0 };
        int rc;

        if (!lines)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                const struct verdict *v = &r->verdicts[i];
                const struct sockets_process *p = sockets_entry_owner(l, e, 0);
                struct text lt = { 0 };
                char a[64], port[8], user[64];

                if (!e->listening)
                        continue;
                sev[v->severity]++;
                sockets_format_addr(e->family, e->local, a, sizeof(a));
                snprintf(port, sizeof(port), "%u", e->port);
                if (p && p->user && *p->user)
                        snprintf(user, sizeof(user), "%s", p->user);
                else
                        socket_user(e->uid, user, sizeof(user));
                prom_label(&lt, "protocol", sockets_proto_name(e->proto), false);
                prom_label(&lt, "address", a, true);
                prom_label(&lt, "port", port, true);
                prom_label(&lt, "process", p ? p->comm : "", true);
                prom_label(&lt, "user", user, true);
                prom_label(&lt, "unit", p ? p->unit : "", true);
                prom_label(&lt, "verdict", verdict_kind_name(v->kind), true);
                prom_label(&lt, "severity", verdict_severity_name(v->severity), true);
                if (lt.oom) {
                        free(lt.buf);
                        t.oom = true;
                        break;
                }
                lines[nl].labels = lt.buf;
                lines[nl].value = (int)v->severity;
                nl++;
        }
        /* SO_REUSEPORT groups give identical label sets: one sample each. */
        qsort(lines, nl, sizeof(*lines), prom_cmp);
        tprintf(&t, "# HELP portscope_listener A listening socket seen by portscope audit; the value is its "
                    "severity (0 none, 1 low, 2 medium, 3 high).\n# TYPE portscope_listener gauge\n");
        for (size_t i = 0; i < nl; i++) {
                if (i + 1 < nl && strcmp(lines[i].labels, lines[i + 1].labels) == 0) {
                        if (lines[i + 1].value < lines[i].value)
                                lines[i + 1].value = lines[i].value;
                        continue;
                }
                tprintf(&t, "portscope_listener{%s} %d\n", lines[i].labels, lines[i].value);
        }
        verdict_report_counts(r, counts);
        tprintf(&t, "# HELP portscope_audit_listeners Listening sockets per verdict.\n"
                    "# TYPE portscope_audit_listeners gauge\n");
        for (unsigned k = 0; k < VERDICT_NKINDS; k++)
                tprintf(&t, "portscope_audit_listeners{verdict=\"%s\"} %zu\n", verdict_kind_name((enum verdict_kind)k),
                        counts[k]);
        tprintf(&t, "# HELP portscope_audit_findings Listening sockets per severity.\n"
                    "# TYPE portscope_audit_findings gauge\n");
        for (unsigned s = 0; s < 4; s++)
                tprintf(&t, "portscope_audit_findings{severity=\"%s\"} %zu\n",
                        verdict_severity_name((enum verdict_severity)s), sev[s]);
        tprintf(&t, "# HELP portscope_audit_baseline_gone Baseline entries with no listener.\n"
                    "# TYPE portscope_audit_baseline_gone gauge\nportscope_audit_baseline_gone %zu\n",
                r->ngone);
        tprintf(&t, "# HELP portscope_audit_privileged 1 when every process's descriptors could be read.\n"
                    "# TYPE portscope_audit_privileged gauge\nportscope_audit_privileged %d\n",
                l->owners.privileged ? 1 : 0);
        tprintf(&t, "# HELP portscope_audit_last_run_timestamp_seconds When the audit ran.\n"
                    "# TYPE portscope_audit_last_run_timestamp_seconds gauge\n"
                    "portscope_audit_last_run_timestamp_seconds %lld\n",
                (long long)r->time);
        for (size_t i = 0; i < l->n; i++)
                free(lines[i].labels);
        free(lines);
        rc = text_finish(&t, ret, ret_len);
        return rc;
}

/* ---- baseline draft ---- */

static bool baseline_word(const char *s)
{
        if (!s || !*s || strlen(s) > 255)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
                        return false;
        return true;
}

/* A reason on one line of printable text: control characters and invalid UTF-8 as \xNN. */
static void draft_reason(struct text *t, const char *s)
{
        for (const char *p = s; *p;) {
                unsigned char c = (unsigned char)*p;
                size_t n = ps_utf8_seq(p, strnlen(p, 4), NULL);
                if (n == 0 || c < 0x20 || c == 0x7f) {
                        tprintf(t, "\\x%02x", c);
                        p++;
                } else {
                        tput(t, p, n);
                        p += n;
                }
        }
}

int verdict_report_draft_baseline(const struct verdict_report *r, char **ret, size_t *ret_len)
{
        const struct sockets_list *l = r->sockets;
        struct text t = { 0 };
        char when[64];
        struct tm tm;

        gmtime_r(&r->time, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
        tprintf(&t, "# portscope baseline, drafted by `portscope audit --write-baseline` on %s.\n"
                    "# Format: docs/baseline-format.md. One listener a line:\n"
                    "#   [ADDRESS:]PORT[-PORT][/PROTO]  PROCESS|*  REASON (required)\n"
                    "# Explained listeners are entries; edit their reasons to say why they belong here.\n"
                    "# The others are commented out: uncomment only what you can explain.\n\n",
                when);
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                const struct verdict *v = &r->verdicts[i];
                const struct sockets_process *p = sockets_entry_owner(l, e, 0);
                const char *name = p && baseline_word(p->comm) ? p->comm : "*";
                bool dup = false;

                if (!e->listening)
                        continue;
                /* One line per (protocol, port, process): IPv4 and IPv6 sockets share it. */
                for (size_t j = 0; j < i && !dup; j++) {
                        const struct sockets_entry *o = &l->v[j];
                        const struct sockets_process *op = sockets_entry_owner(l, o, 0);
                        const char *oname = op && baseline_word(op->comm) ? op->comm : "*";
                        dup = o->listening && o->proto == e->proto && o->port == e->port && strcmp(oname, name) == 0;
                }
                if (dup)
                        continue;
                if (v->kind == VERDICT_EXPECTED || v->kind == VERDICT_INFO) {
                        tprintf(&t, "%u/%s\t%s\t", e->port, sockets_proto_name(e->proto), name);
                } else {
                        tprintf(&t, "# TODO %s, %s: ", verdict_kind_name(v->kind), verdict_severity_name(v->severity));
                        draft_reason(&t, v->reason);
                        tprintf(&t, "\n# %u/%s\t%s\t", e->port, sockets_proto_name(e->proto), name);
                }
                draft_reason(&t, v->reason);
                tput(&t, "\n", 1);
        }
        return text_finish(&t, ret, ret_len);
}
