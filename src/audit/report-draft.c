/* The audit report as a draft baseline: one line per (protocol, port, process), explained
 * listeners as entries and the rest commented out with a TODO. Duplicates are found through a
 * hash set, so a draft of 20,000 listeners costs one pass. */
#include "portscope/verdict.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The set of (protocol, port, name) lines written so far. */
struct seen {
        struct seen_key {
                const char *name; /* NULL: an empty slot */
                uint16_t port;
                uint8_t proto;
        } *slot;
        size_t mask;
};

static uint64_t key_hash(enum sockets_proto proto, uint16_t port, const char *name)
{
        uint64_t h = 1469598103934665603ull ^ ((uint64_t)proto << 16 | port);

        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                h = (h ^ *p) * 1099511628211ull;
        return h ^ (h >> 29);
}

/* Adds the key; returns false when it was there already. */
static bool seen_add(struct seen *s, enum sockets_proto proto, uint16_t port, const char *name)
{
        size_t h = (size_t)key_hash(proto, port, name) & s->mask;

        for (; s->slot[h].name; h = (h + 1) & s->mask)
                if (s->slot[h].port == port && s->slot[h].proto == proto && strcmp(s->slot[h].name, name) == 0)
                        return false;
        s->slot[h] = (struct seen_key){ name, port, (uint8_t)proto };
        return true;
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
                "# The others are commented out: uncomment only what you can explain.\n\n",
                when);
        for (size_t i = 0; i < l->n; i++) {
                const struct sockets_entry *e = &l->v[i];
                const struct verdict_item *v = &r->verdicts[i];
                const struct sockets_process *p = sockets_entry_owner(l, e, 0);
                const char *name = p && baseline_word(p->comm) ? p->comm : "*";

                /* One line per (protocol, port, process): IPv4 and IPv6 sockets share it. */
                if (!e->listening || !seen_add(&seen, e->proto, e->port, name))
                        continue;
                if (v->kind == VERDICT_EXPECTED || v->kind == VERDICT_INFO) {
                        fprintf(f, "%u/%s\t%s\t", e->port, sockets_proto_name(e->proto), name);
                } else {
                        fprintf(f, "# TODO %s, %s: ", verdict_kind_name(v->kind), verdict_severity_name(v->severity));
                        draft_reason(f, v->reason);
                        fprintf(f, "\n# %u/%s\t%s\t", e->port, sockets_proto_name(e->proto), name);
                }
                draft_reason(f, v->reason);
                fputc('\n', f);
        }
        free(seen.slot);
        return ferror(f) ? -EIO : 0;
}
