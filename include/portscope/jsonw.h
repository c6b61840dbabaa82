/* portscope — a streaming JSON writer (after iproute2's lib/json_writer.c and bpftool's).
 *
 *   struct jsonw w;
 *   jsonw_init_file(&w, stdout, 0);
 *   jsonw_begin_object(&w);
 *   jsonw_name(&w, "port");
 *   jsonw_uint(&w, 625);
 *   jsonw_name(&w, "services");
 *   jsonw_begin_array(&w);
 *   jsonw_string(&w, "dec-dlm");
 *   jsonw_end_array(&w);
 *   jsonw_end_object(&w);
 *   jsonw_newline(&w);
 *   if (jsonw_finish(&w) < 0) ...
 *
 * Output goes to a FILE (borrowed, not closed) or appends to a struct dynbuf (borrowed), through
 * a small staging buffer: call jsonw_finish() (or jsonw_flush()) before using the sink. The
 * writer takes care of commas; misuse (a value in an object without a name, a name outside an
 * object, ends that do not match, nesting deeper than JSONW_MAX_DEPTH, a second top-level value
 * before jsonw_newline()) writes nothing and makes the writer fail with -EINVAL.
 * Errors are sticky: after the first one every call does nothing and jsonw_finish() returns it
 * (-EINVAL misuse, -EIO a stream error, -E2BIG / -ENOMEM from the dynbuf).
 *
 * Layout: compact is jansson's JSON_COMPACT ({"a":1,"b":[1,2]}); JSONW_PRETTY is jansson's
 * JSON_INDENT(2) (a newline and two spaces a level, "name": value, empty containers as {} and []).
 *
 * Strings: the input is bytes. Valid UTF-8 goes out as it is, except that '"', '\\' and the
 * control characters U+0000-U+001F are escaped (\", \\, \b \f \n \r \t, else \u00XX with
 * upper-case hex digits, as jansson does), and U+2028 and U+2029 (line and paragraph separators,
 * which JavaScript does not allow in string literals) become \u2028 and \u2029. DEL and '/' stay.
 * With JSONW_ASCII every character past ASCII is written \uXXXX (upper-case, as jansson does).
 * Invalid UTF-8: each maximal ill-formed subsequence (Unicode 15, section 3.9, "U+FFFD
 * substitution of maximal subparts") is replaced by one U+FFFD (bytes EF BF BD): a stray
 * continuation byte, a byte that never starts a sequence (C0, C1, F5-FF), a sequence cut short
 * (E2 82 then 'a' is one U+FFFD then 'a'), an overlong form, a surrogate (ED A0-BF ..) or a
 * code point past U+10FFFF. So "\xff\xfe" becomes two U+FFFD, "\xe2\x82" one.
 *
 * Numbers: integers in decimal; doubles in the shortest of %.15g, %.16g and %.17g that reads
 * back to the same value, with ".0" added when that looks like an integer (so a reader keeps it
 * a real); NaN and the infinities, which JSON cannot write, become null. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "portscope/dynbuf.h"

#define JSONW_MAX_DEPTH 64u
#define JSONW_STAGE 4096u

enum {
        JSONW_PRETTY = 1u << 0, /* indented by two spaces, like jansson's JSON_INDENT(2) */
        JSONW_ASCII = 1u << 1,  /* past ASCII as \uXXXX (a surrogate pair past U+FFFF), like jansson's
                                 * JSON_ENSURE_ASCII: nothing but ASCII reaches a terminal */
};

struct jsonw {
        /* private: use the functions below */
        FILE *f;
        struct dynbuf *db;
        unsigned flags;
        unsigned depth;
        int err;
        bool top_done;      /* a top-level value is complete (jsonw_newline() allows the next) */
        bool after_name;    /* a name was written: the value comes next, no comma */
        uint64_t is_object; /* bit d: the container at depth d+1 is an object */
        uint64_t has_items; /* bit d: the container at depth d+1 has a member already */
        uint64_t lines;     /* bit d: the array at depth d+1 has one element a line */
        size_t n;
        char stage[JSONW_STAGE];
};

/* Writers to a stream and to a dynbuf (appends after what it holds). flags: JSONW_*. */
void jsonw_init_file(struct jsonw *w, FILE *f, unsigned flags);
void jsonw_init_dynbuf(struct jsonw *w, struct dynbuf *b, unsigned flags);

void jsonw_begin_object(struct jsonw *w);
void jsonw_end_object(struct jsonw *w);
void jsonw_begin_array(struct jsonw *w);
/* An array with one element a line in the compact layout ("[\n" a ",\n" b "\n]": long lists
 * that stay readable with line tools); in the pretty layout the same as jsonw_begin_array(). */
void jsonw_begin_array_lines(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);

/* A member's name (inside an object, before its value); escaped like a string. */
void jsonw_name(struct jsonw *w, const char *name);

/* A string value; NULL writes null. */
void jsonw_string(struct jsonw *w, const char *s);
/* len bytes of s (NUL bytes become \u0000). */
void jsonw_stringn(struct jsonw *w, const char *s, size_t len);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_uint(struct jsonw *w, uint64_t v);
void jsonw_double(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* A member: its name, then its value (iproute2's jsonw_*_field). */
void jsonw_string_field(struct jsonw *w, const char *name, const char *s);
void jsonw_int_field(struct jsonw *w, const char *name, int64_t v);
void jsonw_uint_field(struct jsonw *w, const char *name, uint64_t v);
void jsonw_double_field(struct jsonw *w, const char *name, double v);
void jsonw_bool_field(struct jsonw *w, const char *name, bool v);
void jsonw_null_field(struct jsonw *w, const char *name);
/* A jansson value (borrowed), written member by member in this writer's layout: for the few
 * values that other modules hand out as trees. Object members keep jansson's order. */
void jsonw_json(struct jsonw *w, const json_t *v);

/* Ends the current top-level value with '\n' and allows another (JSON lines). */
void jsonw_newline(struct jsonw *w);

/* Hands the staged bytes to the sink. Returns 0 or the sticky error. */
int jsonw_flush(struct jsonw *w);
/* jsonw_flush(), then checks that every container was closed (-EINVAL) and, for a stream, that
 * it has no error (-EIO). Does not close or flush the FILE itself. */
int jsonw_finish(struct jsonw *w);
/* The sticky error (0 when none). */
int jsonw_error(const struct jsonw *w);

/* Escapes len bytes of s as the body of a JSON string (without the quotes) onto b, by the rules
 * above. Returns 0 or the dynbuf's error. */
int jsonw_escape(struct dynbuf *b, const char *s, size_t len);
