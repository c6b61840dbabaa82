/* portscope — ports, protocols, ranges and the PORT[/PROTO] syntax.
 *
 * Everything here is pure: no I/O, no allocation unless a function says so. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ps_proto { PS_TCP = 0, PS_UDP = 1, PS_SCTP = 2, PS_DCCP = 3, PS_NPROTO = 4 };

#define PS_PROTO_BIT(p) (1u << (p))
#define PS_PROTO_ALL 0x0fu

/* RFC 6335 section 6: the three port ranges. */
enum ps_range { PS_RANGE_SYSTEM = 0, PS_RANGE_USER = 1, PS_RANGE_DYNAMIC = 2 };

/* "tcp", "udp", "sctp", "dccp"; NULL for an invalid value. */
const char *ps_proto_name(enum ps_proto p);
/* Case-insensitive; returns 0 and sets *ret, or -EINVAL. */
int ps_proto_parse(const char *s, enum ps_proto *ret);

enum ps_range ps_range_of(uint16_t port);
const char *ps_range_name(enum ps_range r);          /* "system", "user", "dynamic" */
const char *ps_range_bounds(enum ps_range r);        /* "0-1023", ... */
const char *ps_range_procedure(enum ps_range r);     /* one sentence: how ports there are assigned */
/* Parses "system", "user", "dynamic" or "well-known", "registered", "ephemeral". */
int ps_range_parse(const char *s, enum ps_range *ret);

/* One parsed "PORT", "PORT/PROTO", "LO-HI" or "LO-HI/PROTO". protos is a mask of
 * PS_PROTO_BIT(); PS_PROTO_ALL when no protocol was given. */
struct ps_portspec {
        uint16_t lo, hi;
        unsigned protos;
};

/* Parses a decimal port number 0..65535 (no sign, no spaces, no leading '+'); the whole of
 * [s, s+len) must be consumed. Returns 0 or -EINVAL / -ERANGE. */
int ps_port_parse_n(const char *s, size_t len, uint16_t *ret);

/* Parses one PORT[/PROTO] or LO-HI[/PROTO]. On failure returns -EINVAL or -ERANGE and writes a
 * one-line reason (without the input itself) into err. */
int ps_portspec_parse(const char *s, struct ps_portspec *ret, char *err, size_t errlen);

/* Parses a comma-separated list of specs ("22,80,8000-8100/tcp"). *ret is malloc'd (caller
 * frees) on success. In a list of several, err names the failing item. */
int ps_portlist_parse(const char *s, struct ps_portspec **ret, size_t *ret_n, char *err, size_t errlen);
enum {
        PS_PORTLIST_BLANKS = 1u << 0, /* spaces and tabs around items ("22/tcp, 53/udp") */
        PS_PORTLIST_PROTO = 1u << 1,  /* every item names its protocol */
};
int ps_portlist_parse_flags(const char *s, unsigned flags, struct ps_portspec **ret, size_t *ret_n, char *err,
                            size_t errlen);
