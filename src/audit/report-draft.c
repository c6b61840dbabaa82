/* The audit report as a draft baseline: one line per (protocol, port, process), explained
 * listeners as entries and the rest commented out with a TODO. Duplicates are found through a
 * hash set, so a draft of 20,000 listeners costs one pass. */
#include "portscope/verdict.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "portscope/baseline.h"
#include "portscope/judge.h"
#include "portscope/util.h"

static bool baseline_word(const char *s)
{
        if (!s || !*s || strlen(s) > 255)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
                        return false;
        return true;
}

/* A reason on one line of printable text. */
static void draft_reason(FILE *f, const char *s)
{
        bool utf8 = ps_utf8_valid(s, strlen(s));

        for (const char *p = s; *p; p++) {
                unsigned char c = (unsigned char)*p;
                fputc((c < 0x20 || c == 0x7f || (!utf8 && c >= 0x80)) ? '?' : (char)c, f);
        }
}

/* The set of (protocol, port, name, loopback address) lines written so far. */
struct seen {
        struct seen_key {
                const char *name; /* NULL: an empty slot */
                uint16_t port;
                uint8_t proto;
                uint8_t family;   /* 0: any address */
                uint8_t addr[16];
        } *slot;
        size_t mask;
};

static uint64_t key_hash(const struct seen_key *k)
{
        uint64_t h = 1469598103934665603ull ^ ((uint64_t)k->proto << 16 | k->port);

        for (const unsigned char *p = (const unsigned char *)k->name; *p; p++)
                h = (h ^ *p) * 1099511628211ull;
        for (size_t i = 0; k->family && i < sizeof k->addr; i++)
                h = (h ^ k->addr[i]) * 1099511628211ull;
        return h ^ (h >> 29);
}

/* Adds the key; returns false when it was there already. */
static bool seen_add(struct seen *s, const struct seen_key *k)
{
        size_t h = (size_t)key_hash(k) & s->mask;

        for (; s->slot[h].name; h = (h + 1) & s->mask)
                if (s->slot[h].port == k->port && s->slot[h].proto == k->proto && s->slot[h].family == k->family &&
                    memcmp(s->slot[h].addr, k->addr, sizeof k->addr) == 0 && strcmp(s->slot[h].name, k->name) == 0)
                        return false;
        s->slot[h] = *k;
        return true;
}

static bool wildcard(const struct sockets_entry *e)
{
        static const uint8_t any[16];
        return memcmp(e->local, any, e->family == AF_INET6 ? 16 : 4) == 0;
}

/* Whether the listener is drafted with its address ("127.0.0.1:631/tcp", "[::1]:631/tcp"; the
 * others "631/tcp"): a service reachable from this machine only is drafted with its address, so that the same program
 * listening on every address later is not "expected" by the same line. Other addresses are left
 * out (a DHCP lease would make the line stale). */
static bool pinned(const struct sockets_entry *e)
{
        return e->exposure == SOCKETS_EXPOSURE_LOOPBACK && sockets_proto_has_ports(e->proto) && !wildcard(e);
}

static void draft_spec(FILE *f, const struct sockets_entry *e)
{
        if (pinned(e)) {
                char a[INET6_ADDRSTRLEN];
                sockets_format_addr(e->family, e->local, a, sizeof a);
                fprintf(f, e->family == AF_INET6 ? "[%s]:" : "%s:", a);
        }
        fprintf(f, "%u/%s", e->port, sockets_proto_name(e->proto));
}

int verdict_report_draft_baseline(const struct verdict_report *r, FILE *f)
{
        const struct sockets_list *l = r->sockets;
        struct seen seen;
        size_t size = 64;
        char when[64];
        struct tm tm;

        while (size < l->n * 2 + 1)
                size <<= 1;
        seen.slot = calloc(size, sizeof(*seen.slot));
        seen.mask = size - 1;
        if (!seen.slot)
                return -ENOMEM;
        gmtime_r(&r->time, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
        fprintf(f,
                "# portscope baseline, drafted by `portscope audit --write-baseline` on %s.\n"
                "# Format: docs/baseline-format.md. One listener a line:\n"
                "#   [ADDRESS:]PORT[-PORT][/PROTO]  PROCESS|*  REASON (required)\n"
                "# Explained listeners are entries; edit their reasons to say why they belong here.\n"
                "# The others are commented out: uncomment only what you can explain. A server's own\n"
                "# client sockets are left out: their ports are drawn at random, and the audit knows them.\n\n",
                when);
        if (l->owners.done && !l->owners.privileged)
                fputs("# Drafted without root: the owners of other users' sockets were hidden, so their lines are\n"
                      "# TODOs. Draft as root for a baseline of this machine.\n\n",
                      f);
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                const struct verdict_item *v = &r->verdicts[i];
                const struct sockets_process *p = sockets_entry_owner(l, e, 0);
                /* The owner the verdict named (rpcbind beside systemd on 111), else the first. */
                const char *name = v->matched && baseline_word(v->matched) ? v->matched
                                   : p && baseline_word(p->comm)             ? p->comm
                                                                             : "*";
                /* A name a baseline cannot hold, or an owner hidden from this run: the line stays a
                 * comment, "*" would take anyone. */
                bool unnamed = strcmp(name, "*") == 0;
                /* python3 names no program: the line would accept any script on the port. */
                bool interpreter = !unnamed && judge_is_interpreter(name);
                /* A wildcard socket bound to the loopback interface: a line has no way to say "lo",
                 * and one without an address would accept the same program on every interface. */
                bool on_lo = e->exposure == SOCKETS_EXPOSURE_LOOPBACK && sockets_proto_has_ports(e->proto) && wildcard(e);
                /* A packet socket bound to one interface: a line names no interface, and would
                 * accept the program's packet sockets on every one. */
                bool on_if = e->proto == SOCKETS_PACKET && e->ifindex;
                /* Matched by the baseline in use: its own reason, not "in the baseline (FILE:N): ...". */
                const char *reason = v->reason;
                if (v->baseline >= 0 && r->context && r->context->baseline &&
                    (size_t)v->baseline < r->context->baseline->n)
                        reason = r->context->baseline->v[v->baseline].reason;

                if (v->rule == JUDGE_EPHEMERAL_CLIENT)
                        continue;

                /* One line per (protocol, port, process): the IPv4 and IPv6 sockets of every address
                 * share it; a loopback-only one has its own line, with its address. */
                struct seen_key k = { .name = name, .port = e->port, .proto = (uint8_t)e->proto };
                if (pinned(e)) {
                        k.family = (uint8_t)e->family;
                        memcpy(k.addr, e->local, sizeof k.addr);
                }
                if (!e->listening || !seen_add(&seen, &k))
                        continue;
                bool explained = v->kind == VERDICT_EXPECTED || v->kind == VERDICT_INFO;
                if (!explained) {
                        fprintf(f, "# TODO %s, %s: ", verdict_kind_name(v->kind), verdict_severity_name(v->severity));
                        draft_reason(f, v->reason);
                        fputc('\n', f);
                }
                if (unnamed && p) {
                        fputs("# TODO the process name '", f);
                        draft_reason(f, p->comm ? p->comm : "");
                        fputs("' cannot be written in a baseline; '*' would accept any process\n", f);
                } else if (unnamed) {
                        /* Root sees no owner either for a kernel socket or one of another PID namespace. */
                        const char *why = verdict_owner_missing(l, e);
                        fputs("# TODO the owner is unknown (", f);
                        draft_reason(f, why ? why : "no process holds it");
                        fputs("); '*' would accept any process\n", f);
                }
                if (interpreter) {
                        fputs("# TODO '", f);
                        draft_reason(f, name);
                        fputs("' runs any script: this line would accept every program it runs on the port\n", f);
                }
                if (on_lo)
                        fputs("# TODO bound to the loopback interface on a wildcard address: a line cannot say so, and "
                              "this one would accept the program on every interface (bind it to 127.0.0.1 or ::1)\n",
                              f);
                if (on_if) {
                        fputs("# TODO bound to the interface '", f);
                        draft_reason(f, e->ifname);
                        fputs("': a line cannot say so, and this one would accept the program's packet sockets on "
                              "every interface\n",
                              f);
                }
                if (!explained || unnamed || interpreter || on_lo)
                        fputs("# ", f);
                draft_spec(f, e);
                fprintf(f, "\t%s\t", name);
                draft_reason(f, reason);
                fputc('\n', f);
        }
        /* Entries of the baseline in use that nothing matched: kept, commented, to delete or to
         * keep for when the service returns (a re-draft over the file must not lose them). */
        for (size_t i = 0; i < r->ngone && r->context && r->context->baseline; i++) {
                const struct baseline_entry *be = &r->context->baseline->v[r->gone[i]];
                char spec[96];
                baseline_entry_format(be, spec, sizeof(spec));
                fprintf(f, "# GONE nothing listens there now (%s:%u): delete the line, or uncomment it if the service "
                           "comes back\n# %s\t%s\t",
                        baseline_word(r->context->baseline->origin) ? r->context->baseline->origin : "baseline", be->line,
                        spec, be->process ? be->process : "*");
                draft_reason(f, be->reason);
                fputc('\n', f);
        }
        free(seen.slot);
        return ferror(f) ? -EIO : 0;
}
