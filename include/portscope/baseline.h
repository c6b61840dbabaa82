/* portscope — the audit baseline: the listeners a machine is expected to have, each with the
 * reason why (format: docs/baseline-format.md).
 *
 *   # [ADDRESS:]PORT[-PORT][/PROTO]   PROCESS   REASON...
 *   22/tcp             sshd      remote administration (OPS-112)
 *   127.0.0.1:631/tcp  cupsd     local printing only
 *   5353/udp           *         mDNS, whichever daemon answers it
 *
 * A parsed `struct baseline` is immutable and owns its strings. The parser takes outside input:
 * it never trusts lengths, limits lines, entries and sizes, and reports file:line:column. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portscope/error.h"
#include "portscope/sockets.h"

#define BASELINE_MAX_LINE 4096u       /* bytes in one line */
#define BASELINE_MAX_ENTRIES 100000u
#define BASELINE_MAX_FILE (16u << 20) /* bytes */

struct baseline_entry {
        unsigned protos;        /* mask of (1u << enum sockets_proto); no /PROTO: tcp, udp, sctp */
        uint16_t port_lo, port_hi;
        bool has_address;
        int family;             /* AF_INET or AF_INET6 when has_address */
        uint8_t address[16];
        const char *process;    /* NULL: any process ("*") */
        const char *reason;     /* never empty */
        unsigned line;
};

struct baseline {
        const char *origin;     /* the name or path it was read from */
        struct baseline_entry *v;
        size_t n;
        /* private: the parser's index, so that matching costs the entries of one port (plus the
         * port ranges) rather than all of them. NULL when absent: every entry is then scanned. */
        uint32_t *port_start;   /* 65537 offsets into port_entries */
        uint32_t *port_entries; /* single-port entries, grouped by port, in file order */
        uint32_t *ranges;       /* entries with a port range, in file order */
        size_t nranges;
};

/* Parses data[0..len) (need not be NUL-terminated). name is used in errors and as origin.
 * Returns 0 and *ret (caller frees with baseline_free), or -EINVAL (syntax, *err filled in),
 * -E2BIG (limits, *err filled in) or -ENOMEM. */
int baseline_parse(const char *name, const char *data, size_t len, struct baseline **ret,
                   struct ps_error *err);
/* Reads and parses a file (at most BASELINE_MAX_FILE bytes). Same contract, plus -errno from
 * reading (with *err naming the file). */
int baseline_load(const char *path, struct baseline **ret, struct ps_error *err);
void baseline_free(struct baseline *b); /* accepts NULL */

/* Index of the first entry that explains a listener, or -1. names: the owner's process names
 * (comm, argv[0] basename ...), borrowed; nnames may be 0 (owner unknown: only "*" entries match). */
long baseline_match(const struct baseline *b, enum sockets_proto proto, uint16_t port, int family,
                    const uint8_t address[16], const char *const *names, size_t nnames);

/* Sets seen[i] for every entry i that explains the listener (not only the first). seen has b->n
 * elements. */
void baseline_mark_matches(const struct baseline *b, enum sockets_proto proto, uint16_t port, int family,
                           const uint8_t address[16], const char *const *names, size_t nnames, bool *seen);

/* Formats an entry's first column ("127.0.0.1:631/tcp", "[::1]:5432/tcp", "8000-8100/tcp").
 * Returns 0, or -ENOBUFS when buf is too small (buf then holds a truncated string). */
int baseline_entry_format(const struct baseline_entry *e, char *buf, size_t len);
