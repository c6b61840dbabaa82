/* portscope audit: the history of audits (the SQLite store). The store is opened and the previous
 * audit read before the run writes anything, so that a store that cannot be used fails the run
 * before --prometheus and --write-baseline are written; this audit is recorded and compared
 * after them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "portscope/error.h"
#include "portscope/i18n.h"
#include "portscope/portinfo.h"
#include "portscope/util.h"
#include "audit-cli.h"

/* The listeners of a report as history items (strings borrowed from the report, addresses in
 * buffers owned by the caller through *ret_addrs). */
static int report_items(const struct verdict_report *r, struct history_item **ret, size_t *ret_n, char **ret_addrs)
{
        const struct sockets_list *l = r->sockets;
        struct history_item *v = calloc(l->n ? l->n : 1, sizeof(*v));
        char *addrs = calloc(l->n ? l->n : 1, 64);
        static char empty[] = "";
        size_t n = 0;

        if (!v || !addrs) {
                free(v);
                free(addrs);
                return -ENOMEM;
        }
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                const struct sockets_process *p = sockets_entry_owner(l, e, 0);
                if (!e->listening)
                        continue;
                sockets_format_place(e, addrs + 64 * n, 64);
                v[n].protocol = (char *)sockets_proto_name(e->proto);
                v[n].address = addrs + 64 * n;
                v[n].port = e->port;
                v[n].process = p ? (char *)p->comm : empty;
                v[n].user = p ? (char *)p->user : empty;
                v[n].verdict = (char *)verdict_kind_name(r->verdicts[i].kind);
                v[n].severity = (char *)verdict_severity_name(r->verdicts[i].severity);
                n++;
        }
        *ret = v;
        *ret_n = n;
        *ret_addrs = addrs;
        return 0;
}

static json_t *item_json(const struct history_item *it)
{
        json_t *o = json_object();
        json_object_set_new(o, "protocol", json_string(it->protocol));
        json_object_set_new(o, "address", json_string(it->address));
        json_object_set_new(o, "port", json_integer(it->port));
        json_object_set_new(o, "process", portinfo_string(it->process));
        json_object_set_new(o, "verdict", json_string(it->verdict));
        json_object_set_new(o, "severity", json_string(it->severity));
        return o;
}

static void print_item(FILE *f, char sign, const struct history_item *it)
{
        bool v6 = strchr(it->address, ':') != NULL;
        fprintf(f, v6 ? "  %c %-4s [%s]:%u " : "  %c %-4s %s:%u ", sign, it->protocol, it->address, it->port);
        ps_term_escape(f, it->process[0] ? it->process : "?", (size_t)-1, false);
        fprintf(f, " (%s, %s)\n", it->verdict, it->severity);
}

int audit_history_open(struct audit_history *ah, const char *label, bool changes, bool record)
{
        char err[512];
        int q;

        memset(ah, 0, sizeof(*ah));
        ah->changes = changes;
        ah->record = record;
        q = history_open(NULL, &ah->h, err, sizeof(err));
        if (q < 0) {
                ah->h = NULL;
                ps_errorf("history: %s", err);
                /* Recording is best effort; comparing is what --changes asked for. */
                return changes ? PS_EXIT_ERROR : PS_EXIT_OK;
        }
        if (!changes)
                return PS_EXIT_OK;
        q = history_last_run(ah->h, label, &ah->last);
        if (q == 0) {
                ah->have_last = true;
                if (history_load(ah->h, ah->last.id, &ah->old, &ah->nold) < 0) {
                        ps_errorf(_("history: cannot read the previous audit: %s"), history_error(ah->h));
                        return PS_EXIT_ERROR;
                }
        } else if (q != -ENOENT) {
                ps_errorf(_("history: cannot read the previous audit: %s"), history_error(ah->h));
                return PS_EXIT_ERROR;
        }
        return PS_EXIT_OK;
}

int audit_history_finish(struct audit_history *ah, const struct verdict_report *r, const char *label,
                         json_t **ret_changes, FILE *text)
{
        struct history_item *cur = NULL, *old = ah->old;
        size_t ncur = 0, nold = ah->nold;
        char *addrs = NULL;
        int rc = PS_EXIT_OK;

        *ret_changes = NULL;
        if (!ah->h)
                return PS_EXIT_OK;
        if (report_items(r, &cur, &ncur, &addrs) < 0) {
                ps_errorf(_("out of memory"));
                rc = PS_EXIT_ERROR;
                goto out;
        }
        if (ah->record && history_record(ah->h, label, r->time, r->sockets->owners.privileged, cur, ncur, NULL) < 0) {
                ps_errorf(_("history: cannot record this audit: %s"), history_error(ah->h));
                if (ah->changes) {
                        rc = PS_EXIT_ERROR;
                        goto out;
                }
        }
        if (ah->changes) {
                size_t *app = NULL, *van = NULL, napp = 0, nvan = 0;
                json_t *c = json_object(), *ja = json_array(), *jv = json_array();
                if (history_diff(old, nold, cur, ncur, &app, &napp, &van, &nvan) < 0) {
                        json_decref(c);
                        json_decref(ja);
                        json_decref(jv);
                        ps_errorf(_("out of memory"));
                        rc = PS_EXIT_ERROR;
                        goto out;
                }
                json_object_set_new(c, "since", ah->have_last ? json_integer((json_int_t)ah->last.time) : json_null());
                for (size_t i = 0; i < napp; i++)
                        json_array_append_new(ja, item_json(&cur[app[i]]));
                for (size_t i = 0; i < nvan; i++)
                        json_array_append_new(jv, item_json(&old[van[i]]));
                json_object_set_new(c, "appeared", ja);
                json_object_set_new(c, "vanished", jv);
                if (text) {
                        if (ah->have_last) {
                                char when[64];
                                struct tm tm;
                                localtime_r(&ah->last.time, &tm);
                                strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
                                fprintf(text, "Changes since the last audit of %s (%s): %zu appeared, %zu vanished\n",
                                        label, when, napp, nvan);
                        } else
                                fprintf(text, "No earlier audit of %s to compare with: every listener is new (%zu)\n",
                                        label, napp);
                        for (size_t i = 0; i < napp; i++)
                                print_item(text, '+', &cur[app[i]]);
                        for (size_t i = 0; i < nvan; i++)
                                print_item(text, '-', &old[van[i]]);
                }
                free(app);
                free(van);
                *ret_changes = c;
        }
out:
        free(cur);
        free(addrs);
        return rc;
}

void audit_history_close(struct audit_history *ah)
{
        history_items_free(ah->old, ah->nold);
        ah->old = NULL;
        ah->nold = 0;
        history_close(ah->h);
        ah->h = NULL;
}

