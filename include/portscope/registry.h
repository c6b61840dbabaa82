/* portscope — the IANA Service Name and Transport Protocol Port Number Registry (RFC 6335),
 * plus nmap's observed-frequency table, loaded into one read-only, mmap-able index.
 *
 * A `struct registry` is immutable once opened and may be shared between threads. Every string
 * it hands out is borrowed: valid until registry_close(), never NULL ("" for an empty field). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portscope/error.h"
#include "portscope/port.h"

struct registry;

enum registry_status {
        REGISTRY_UNASSIGNED = 0,
        REGISTRY_RESERVED = 1,
        REGISTRY_ASSIGNED = 2,
        /* The source lists assignments only (a services(5) file): reserved and unassigned
         * cannot be told apart. */
        REGISTRY_NOT_ASSIGNED = 3,
};
const char *registry_status_name(enum registry_status s); /* "assigned", ..., "reserved-or-unassigned" */
int registry_status_parse(const char *s, enum registry_status *ret);
/* A status as JSON writes it (registry_status_name(): "assigned") in the reader's language; any
 * other string as it is. */
const char *registry_status_label(const char *name);

enum registry_source_kind {
        REGISTRY_SOURCE_IANA_CSV = 0,  /* the official CSV: every row and column */
        REGISTRY_SOURCE_SERVICES = 1,  /* a services(5) file derived from it: assignments only */
};

/* What a row is, from its name and description. */
enum registry_kind {
        REGISTRY_ROW_SERVICE = 0,     /* a named assignment */
        REGISTRY_ROW_PRIVATE = 1,     /* unnamed "any private ..." assignment: private use */
        REGISTRY_ROW_RESERVED = 2,    /* description "Reserved ..." */
        REGISTRY_ROW_UNASSIGNED = 3,  /* description "Unassigned ..." */
        REGISTRY_ROW_OTHER = 4,       /* unnamed, other note: De-registered, Removed, Deprecated ... */
};
const char *registry_kind_name(enum registry_kind k);

/* One row of the registry. All strings borrowed from the registry. */
struct registry_row {
        uint32_t id;             /* 0 .. registry_nrows()-1, in file order */
        uint32_t line;           /* first line of the row in the source file */
        const char *service;     /* the twelve columns, verbatim */
        const char *port;
        const char *proto;
        const char *description;
        const char *assignee;
        const char *contact;
        const char *registered;
        const char *modified;
        const char *reference;
        const char *service_code;
        const char *unauthorized_use;
        const char *notes;
        bool has_port;           /* false for service-name-only rows */
        uint16_t port_lo, port_hi;
        unsigned protos;         /* PS_PROTO_BIT mask; PS_PROTO_ALL when the column is empty */
        enum registry_kind kind;
        int32_t alias_of;        /* row id of the row this one is an alias of, or -1 */
};

/* One line of nmap-services. */
struct registry_observed {
        const char *name;
        uint16_t port;
        enum ps_proto proto;
        double frequency;        /* fraction of scanned hosts with this port open */
        const char *comment;
};

struct registry_stats {
        uint32_t rows, rows_with_port, name_only_rows, ranges;
        /* number of ports 0..65535 with each status, per protocol */
        uint32_t by_status[PS_NPROTO][4];
        uint32_t observed;       /* nmap-services lines */
};

struct registry_source {
        const char *path;               /* the file the registry was read from */
        enum registry_source_kind kind;
        const char *date;               /* newest registration/modification date, "" if none */
        const char *observed_path;      /* nmap-services used, "" if none */
        bool from_cache;                /* the index came from the mmap'd cache */
        const char *cache_path;         /* "" if no cache was used or written */
};

enum {
        REGISTRY_OPEN_NO_CACHE = 1u << 0,   /* neither read nor write the index cache */
        REGISTRY_OPEN_NO_OBSERVED = 1u << 1, /* do not load nmap-services */
};

/* Opens the registry. path: a file named by the user, or NULL to search
 * $PORTSCOPE_REGISTRY, the copy `portscope update` stores ($XDG_DATA_HOME/portscope/
 * service-names-port-numbers.csv), then the system's packages (Wireshark's services file).
 * The file's kind is detected from its content. nmap-services is taken from
 * $PORTSCOPE_NMAP_SERVICES or /usr/share/nmap/nmap-services when present.
 * Returns 0 and *ret (caller closes), or -errno with *err filled in. */
int registry_open(const char *path, unsigned flags, struct registry **ret, struct ps_error *err);
void registry_close(struct registry *r); /* accepts NULL */

/* Parses a file into a registry without any cache (for tests, fuzzers and `update`). */
int registry_parse_file(const char *path, enum registry_source_kind kind, struct registry **ret,
                        struct ps_error *err);
/* Parses a buffer (a CSV or services text); name is used in errors. */
int registry_parse_buffer(const char *name, const char *data, size_t len, enum registry_source_kind kind,
                          struct registry **ret, struct ps_error *err);

const struct registry_source *registry_source(const struct registry *r);
void registry_stats(const struct registry *r, struct registry_stats *ret);

uint32_t registry_nrows(const struct registry *r);
/* Fills *ret with row id; returns 0 or -ENOENT. */
int registry_row(const struct registry *r, uint32_t id, struct registry_row *ret);

enum registry_status registry_status(const struct registry *r, uint16_t port, enum ps_proto proto);

/* The IANA CSV's column a header cell names (0-11, in IANA's order; any case, and the names
 * columns have had), or -1; the column's name as IANA writes it now (NULL past the last). */
int registry_csv_column(const char *name);
const char *registry_csv_header(int col);
/* Whether proto's port is assigned only by an "any private ..." row (24, 35, 57...): set aside
 * for each site's own private use, with no named service. */
bool registry_private_only(const struct registry *r, uint16_t port, enum ps_proto proto);
/* Row ids covering (port, proto), in file order. Writes at most max ids; returns how many
 * there are in total (which may exceed max). */
size_t registry_covering(const struct registry *r, uint16_t port, enum ps_proto proto, uint32_t *ids, size_t max);
/* Row ids whose service name equals name (case-insensitive), in file order; same contract. */
size_t registry_by_name(const struct registry *r, const char *name, uint32_t *ids, size_t max);
/* The ports name is assigned, one spec per row that has a port (its protocols; x11 is 6000-6063),
 * up to max; *ret_rows (may be NULL) gets how many rows name has, with a port or not. */
size_t registry_name_ports(const struct registry *r, const char *name, struct ps_portspec *out, size_t max,
                           size_t *ret_rows);

/* nmap-services lines for port (all protocols), most frequent first; same contract. */
size_t registry_observed(const struct registry *r, uint16_t port, struct registry_observed *out, size_t max);
/* nmap-services ports for proto sorted by frequency, most frequent first: writes at most max. */
/* (port, proto)'s position in registry_top_ports(): 1 = most frequent; 0 when not listed. */
unsigned registry_observed_rank(const struct registry *r, uint16_t port, enum ps_proto proto);
size_t registry_top_ports(const struct registry *r, enum ps_proto proto, uint16_t *ports, size_t max);

