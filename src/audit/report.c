/* The audit report: every socket judged (on two threads when there are many), the baseline
 * entries no listener matched, and what all outputs share. The outputs are report-table.c,
 * report-json.c, report-prometheus.c and report-draft.c. */
#include "portscope/verdict.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "portscope/i18n.h"
#include "report-internal.h"

/* A report's reasons, all of them: far more than any machine has. */
#define REASONS_MAX (1u << 30)

struct judge_job {
        const struct verdict_context *c;
        const struct sockets_list *l;
        struct verdict_item *out;
        struct dynbuf *reasons;
        size_t from, to;
        int err;
        const bool *serving;
        const struct ps_language *lang; /* the caller's: a worker thread writes reasons in it */
};

/* Judges into one scratch verdict (its reason inline, reused and so always in cache), keeps the
 * fields and appends the reason to the job's arena; pointers are set once the arena is final. */
static void *judge_range(void *arg)
{
        struct judge_job *j = arg;
        struct verdict v;

        for (size_t i = j->from; i < j->to && !j->err; i++) {
                struct verdict_item *it = &j->out[i];
                verdict_judge_in(j->c, j->l, &j->l->v[i], j->serving, &v);
                it->kind = v.kind;
                it->severity = v.severity;
                it->status = v.status;
                it->nservices = v.nservices;
                memcpy(it->services, v.services, sizeof(it->services));
                it->knowledge = v.knowledge;
                it->baseline = v.baseline;
                it->rule = v.rule;
                it->matched = v.matched;
                /* The reason, then the name it identified ("" when none): link_reasons() reads both. */
                j->err = dynbuf_add(j->reasons, v.reason, strnlen(v.reason, sizeof(v.reason) - 1) + 1);
                if (!j->err)
                        j->err = dynbuf_add(j->reasons, v.identified, strnlen(v.identified, sizeof(v.identified) - 1) + 1);
        }
        return NULL;
}

/* The second thread: judge_range in the language of the thread that started it. */
static void *judge_range_worker(void *arg)
{
        ps_i18n_thread_use(((struct judge_job *)arg)->lang);
        return judge_range(arg);
}

static void link_reasons(const struct judge_job *j)
{
        const char *p = dynbuf_ptr(j->reasons);

        for (size_t i = j->from; i < j->to; i++) {
                j->out[i].reason = p;
                p += strlen(p) + 1;
                j->out[i].identified = *p ? p : NULL;
                p += strlen(p) + 1;
        }
}

/* Whether a and b are sockets at one place: the run of a sorted list (sockets_list_sort()) in
 * which one row's sockets are. */
static bool same_place(const struct sockets_entry *a, const struct sockets_entry *b)
{
        return a->proto == b->proto && a->port == b->port && a->listening == b->listening && a->family == b->family &&
               memcmp(a->local, b->local, 16) == 0 && memcmp(a->remote, b->remote, 16) == 0 &&
               a->remote_port == b->remote_port;
}

/* Whether listener b would be a's row again: the same binding and the same owners (the same
 * processes, or none seen), so that nothing but the inode tells them apart. */
static bool same_row(const struct sockets_entry *a, const struct sockets_entry *b)
{
        return a->listening && b->listening && !a->unaccepted && !b->unaccepted && same_place(a, b) &&
               a->state == b->state && a->v6only == b->v6only && a->dual_stack == b->dual_stack &&
               a->ifindex == b->ifindex && a->exposure == b->exposure && a->uid == b->uid && a->nowners == b->nowners &&
               a->sock_type == b->sock_type && a->filter == b->filter && a->deaf == b->deaf &&
               (a->nowners == 0 || memcmp(a->owners, b->owners, a->nowners * sizeof(*a->owners)) == 0);
}

/* One row per program and place: the sockets of an SO_REUSEPORT group that the same processes
 * hold (nginx's reuseport, a server with a socket per thread) would be identical rows; the first
 * stays, counting the others in merged, whose inodes go to l->merged_inodes (in the order they
 * came, each row's together). Sockets of other processes in the group stay rows of their own:
 * another program on a server's port is a finding. */
static void merge_groups(struct sockets_list *l)
{
        size_t n = 0, njoined = 0;
        /* The sockets that joined a row: which row, and their inodes (the entries themselves are
         * overwritten as the rows are packed). */
        struct joined {
                size_t row;
                uint64_t inode;
        } *joined = malloc((l->n ? l->n : 1) * sizeof(*joined));

        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                bool merged = false;
                /* Back through the rows kept at the same place (a few, but sockets bound to other
                 * devices or held by other processes can sit between a row's sockets). */
                for (size_t k = n; e->listening && k-- > 0 && same_place(&l->v[k], e);)
                        if (same_row(&l->v[k], e)) {
                                l->v[k].merged++; /* the list comes unmerged: one socket each */
                                merged = true;
                                if (joined)
                                        joined[njoined++] = (struct joined){ k, e->inode };
                                break;
                        }
                if (!merged)
                        l->v[n++] = *e;
        }
        l->n = n;
        if (njoined && joined && (l->merged_inodes = malloc(njoined * sizeof(*l->merged_inodes)))) {
                /* Each row's share in row order, filled in the order its sockets came. */
                uint32_t at = 0;
                for (size_t k = 0; k < n; k++) {
                        l->v[k].merged_at = at;
                        at += l->v[k].merged;
                }
                for (size_t j = 0; j < njoined; j++)
                        l->merged_inodes[l->v[joined[j].row].merged_at++] = joined[j].inode;
                for (size_t k = 0; k < n; k++)
                        l->v[k].merged_at -= l->v[k].merged;
        }
        free(joined);
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
        merge_groups(l);
        r->sockets = l;
        r->context = c;
        r->netns = netns ? netns : "host";
        r->time = time(NULL);
        dynbuf_init(&r->reasons[0], REASONS_MAX);
        dynbuf_init(&r->reasons[1], REASONS_MAX);
        r->verdicts = calloc(l->n ? l->n : 1, sizeof(*r->verdicts));
        r->users = ps_users_new();
        if (!r->verdicts || !r->users)
                goto oom;
        if (c->baseline && c->baseline->n) {
                seen = calloc(c->baseline->n, sizeof(*seen));
                r->gone = calloc(c->baseline->n, sizeof(*r->gone));
                if (!seen || !r->gone)
                        goto oom;
        }
        {
                /* The registry and the knowledge are immutable: judge on two threads when it pays. */
                bool *own = c->serving ? NULL : verdict_serving_processes(l);
                const bool *serving = c->serving ? c->serving : own;
                /* Reasons are in the caller's language (English for JSON): the worker speaks it too. */
                const struct ps_language *lang = ps_i18n_thread_language();
                struct judge_job jobs[2] = { { c, l, r->verdicts, &r->reasons[0], 0, l->n / 2, 0, serving, lang },
                                             { c, l, r->verdicts, &r->reasons[1], l->n / 2, l->n, 0, serving, lang } };
                pthread_t t;
                bool threaded = l->n >= 4096 && sysconf(_SC_NPROCESSORS_ONLN) >= 2 &&
                                pthread_create(&t, NULL, judge_range_worker, &jobs[1]) == 0;
                if (!threaded) {
                        jobs[0].to = l->n;
                        jobs[1].from = l->n;
                }
                judge_range(&jobs[0]);
                if (threaded)
                        pthread_join(t, NULL);
                free(own);
                if (jobs[0].err || jobs[1].err)
                        goto oom;
                link_reasons(&jobs[0]);
                link_reasons(&jobs[1]);
        }
        /* An entry is gone when no listener matches it at all (whatever the verdict said). */
        if (seen) {
                for (size_t i = 0; i < l->n; i++) {
                        const struct sockets_entry *e = &l->v[i];
                        const char *names[16];
                        size_t nn;
                        if (r->verdicts[i].baseline >= 0)
                                seen[r->verdicts[i].baseline] = true;
                        if (!e->listening)
                                continue;
                        nn = verdict_owner_names(l, e, names, 16);
                        baseline_mark_matches(c->baseline, e->proto, e->port, e->family, e->local, names, nn, seen);
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
        dynbuf_free(&r->reasons[0]);
        dynbuf_free(&r->reasons[1]);
        ps_users_free(r->users);
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

const char *verdict_report_user(const struct verdict_report *r, size_t i)
{
        const struct sockets_entry *e = &r->sockets->v[i];
        const struct sockets_process *p = sockets_entry_owner(r->sockets, e, 0);
        const char *u;

        if (p && p->user && *p->user)
                return p->user;
        u = ps_users_name(r->users, e->uid);
        return u ? u : "?";
}

void report_format_local(const struct sockets_entry *e, char *buf, size_t len)
{
        char a[64];

        sockets_format_place(e, a, sizeof(a));
        if (e->proto == SOCKETS_PACKET) /* its interface is its place */
                snprintf(buf, len, "%s", a);
        else if (e->dual_stack)
                snprintf(buf, len, "%s(+v4)", a);
        else if (e->ifindex && e->ifname[0])
                snprintf(buf, len, "%s%%%s", a, e->ifname);
        else
                snprintf(buf, len, "%s", a);
}
