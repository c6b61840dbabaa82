/* A streaming JSON writer (include/portscope/jsonw.h). */
#include "portscope/jsonw.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the sink ---- */

static void sink(struct jsonw *w, const char *s, size_t n)
{
        if (w->err || !n)
                return;
        if (w->f) {
                if (fwrite(s, 1, n, w->f) != n)
                        w->err = -EIO;
        } else {
                int r = dynbuf_add(w->db, s, n);
                if (r < 0)
                        w->err = r;
        }
}

int jsonw_flush(struct jsonw *w)
{
        sink(w, w->stage, w->n);
        w->n = 0;
        return w->err;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
        if (n > JSONW_STAGE - w->n) {
                jsonw_flush(w);
                if (n > JSONW_STAGE) {
                        sink(w, s, n);
                        return;
                }
        }
        memcpy(w->stage + w->n, s, n);
        w->n += n;
}

static void putc1(struct jsonw *w, char c)
{
        if (w->n == JSONW_STAGE)
                jsonw_flush(w);
        w->stage[w->n++] = c;
}

static void init(struct jsonw *w, FILE *f, struct dynbuf *b, unsigned flags)
{
        w->f = f;
        w->db = b;
        w->flags = flags;
        w->depth = 0;
        w->err = 0;
        w->top_done = false;
        w->after_name = false;
        w->is_object = 0;
        w->has_items = 0;
        w->lines = 0;
        w->n = 0;
}

void jsonw_init_file(struct jsonw *w, FILE *f, unsigned flags)
{
        init(w, f, NULL, flags);
}

void jsonw_init_dynbuf(struct jsonw *w, struct dynbuf *b, unsigned flags)
{
        init(w, NULL, b, flags);
}

int jsonw_error(const struct jsonw *w)
{
        return w->err;
}

int jsonw_finish(struct jsonw *w)
{
        jsonw_flush(w);
        if (!w->err && (w->depth || w->after_name))
                w->err = -EINVAL;
        if (!w->err && w->f && ferror(w->f))
                w->err = -EIO;
        return w->err;
}

/* ---- structure ---- */

static bool in_object(const struct jsonw *w)
{
        return w->depth && ((w->is_object >> (w->depth - 1)) & 1u);
}

static void indent(struct jsonw *w, unsigned depth)
{
        static const char spaces[] = "\n                                                                ";

        if (!(w->flags & JSONW_PRETTY))
                return;
        /* "\n" and two spaces a level, in pieces of at most 32 levels. */
        putc1(w, '\n');
        for (size_t k = (size_t)depth * 2; k;) {
                size_t m = k < sizeof(spaces) - 2 ? k : sizeof(spaces) - 2;
                put(w, spaces + 1, m);
                k -= m;
        }
}

/* The current container is an array of one element a line, in the compact layout. */
static bool one_a_line(const struct jsonw *w)
{
        return !(w->flags & JSONW_PRETTY) && w->depth && ((w->lines >> (w->depth - 1)) & 1u);
}

/* Everything a value needs before it: the comma and the indentation, or nothing after a name.
 * Returns false (and fails the writer) for a value where none may go. */
static bool before_value(struct jsonw *w)
{
        if (w->err)
                return false;
        if (w->after_name) {
                w->after_name = false;
                return true;
        }
        if (!w->depth) {
                if (w->top_done) {
                        w->err = -EINVAL;
                        return false;
                }
                return true;
        }
        if (in_object(w)) {
                w->err = -EINVAL;
                return false;
        }
        if ((w->has_items >> (w->depth - 1)) & 1u)
                putc1(w, ',');
        w->has_items |= UINT64_C(1) << (w->depth - 1);
        if (one_a_line(w))
                putc1(w, '\n');
        else
                indent(w, w->depth);
        return true;
}

static void after_value(struct jsonw *w)
{
        if (!w->depth)
                w->top_done = true;
}

static void begin(struct jsonw *w, char c, bool object)
{
        if (!before_value(w))
                return;
        if (w->depth >= JSONW_MAX_DEPTH) {
                w->err = -EINVAL;
                return;
        }
        putc1(w, c);
        w->depth++;
        if (object)
                w->is_object |= UINT64_C(1) << (w->depth - 1);
        else
                w->is_object &= ~(UINT64_C(1) << (w->depth - 1));
        w->has_items &= ~(UINT64_C(1) << (w->depth - 1));
        w->lines &= ~(UINT64_C(1) << (w->depth - 1));
}

static void end(struct jsonw *w, char c, bool object)
{
        if (w->err)
                return;
        if (!w->depth || w->after_name || in_object(w) != object) {
                w->err = -EINVAL;
                return;
        }
        if (one_a_line(w) && ((w->has_items >> (w->depth - 1)) & 1u))
                putc1(w, '\n');
        else if ((w->has_items >> (w->depth - 1)) & 1u)
                indent(w, w->depth - 1);
        putc1(w, c);
        w->depth--;
        after_value(w);
}

void jsonw_begin_object(struct jsonw *w)
{
        begin(w, '{', true);
}

void jsonw_end_object(struct jsonw *w)
{
        end(w, '}', true);
}

void jsonw_begin_array(struct jsonw *w)
{
        begin(w, '[', false);
}

void jsonw_begin_array_lines(struct jsonw *w)
{
        begin(w, '[', false);
        if (!w->err)
                w->lines |= UINT64_C(1) << (w->depth - 1);
}

void jsonw_end_array(struct jsonw *w)
{
        end(w, ']', false);
}

void jsonw_newline(struct jsonw *w)
{
        if (w->err)
                return;
        if (w->depth || w->after_name) {
                w->err = -EINVAL;
                return;
        }
        putc1(w, '\n');
        w->top_done = false;
}

/* ---- strings ---- */

/* How many bytes from s[0] (a byte >= 0x80) form a valid UTF-8 sequence (2-4), or 0 with
 * *ret_bad set to the length of the maximal ill-formed subpart (>= 1) to replace. */
static size_t utf8_seq(const unsigned char *s, size_t len, size_t *ret_bad)
{
        unsigned char c = s[0], lo = 0x80, hi = 0xbf;
        size_t need, i;

        if (c >= 0xc2 && c <= 0xdf)
                need = 2;
        else if (c >= 0xe0 && c <= 0xef) {
                need = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                need = 4;
                if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f;
        } else {
                *ret_bad = 1;
                return 0;
        }
        for (i = 1; i < need; i++) {
                if (i >= len || s[i] < lo || s[i] > hi) {
                        *ret_bad = i;
                        return 0;
                }
                lo = 0x80;
                hi = 0xbf;
        }
        return need;
}

/* Appends the escaped body of a string to out through put(). Generic over the two sinks
 * (struct jsonw's stage or a dynbuf) by a callback, so one loop holds the rules. */
typedef void (*emit_fn)(void *ctx, const char *s, size_t n);

/* 1 for the bytes that need a look: control characters, '"', '\\' and everything past ASCII. */
static const uint8_t special[256] = {
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* Inlined into both callers so that emit is a direct call. */
/* "\uXXXX" for a code point of the BMP, else its surrogate pair; returns the length. */
static size_t u_escape(char *out, uint32_t cp)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t n = 0;
        if (cp >= 0x10000) {
                n = u_escape(out, 0xd800 + ((cp - 0x10000) >> 10));
                cp = 0xdc00 + ((cp - 0x10000) & 0x3ff);
        }
        out[n++] = '\\';
        out[n++] = 'u';
        for (int sh = 12; sh >= 0; sh -= 4)
                out[n++] = hex[(cp >> sh) & 15];
        return n;
}

static inline __attribute__((always_inline)) void escape_to(emit_fn emit, void *ctx, const char *str, size_t len,
                                                            bool ascii)
{
        static const char hex[] = "0123456789ABCDEF";
        const unsigned char *s = (const unsigned char *)str;
        size_t run = 0, i = 0;

        while (i < len) {
                unsigned char c;
                char esc[16];
                size_t elen = 0, step = 1, bad = 0;

                while (i < len && !special[s[i]])
                        i++;
                if (i == len)
                        break;
                c = s[i];
                if (c >= 0x80) {
                        size_t n = utf8_seq(s + i, len - i, &bad);
                        if (n && ascii) {
                                uint32_t cp = c & (0x7f >> n);
                                for (size_t k = 1; k < n; k++)
                                        cp = cp << 6 | (s[i + k] & 0x3f);
                                elen = u_escape(esc, cp);
                                step = n;
                        } else if (n && !(n == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
                                          (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))) {
                                i += n;
                                continue;
                        } else if (n) {
                                memcpy(esc, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                                elen = 6;
                                step = 3;
                        } else {
                                if (ascii)
                                        elen = u_escape(esc, 0xfffd);
                                else
                                        memcpy(esc, "\xef\xbf\xbd", 3), elen = 3;
                                step = bad;
                        }
                } else {
                        esc[0] = '\\';
                        elen = 2;
                        switch (c) {
                        case '"': esc[1] = '"'; break;
                        case '\\': esc[1] = '\\'; break;
                        case '\b': esc[1] = 'b'; break;
                        case '\f': esc[1] = 'f'; break;
                        case '\n': esc[1] = 'n'; break;
                        case '\r': esc[1] = 'r'; break;
                        case '\t': esc[1] = 't'; break;
                        default:
                                memcpy(esc + 1, "u00", 3);
                                esc[4] = hex[c >> 4];
                                esc[5] = hex[c & 15];
                                elen = 6;
                        }
                }
                if (i > run)
                        emit(ctx, str + run, i - run);
                emit(ctx, esc, elen);
                i += step;
                run = i;
        }
        if (len > run)
                emit(ctx, str + run, len - run);
}

static void emit_writer(void *ctx, const char *s, size_t n)
{
        put(ctx, s, n);
}

struct dyn_emit {
        struct dynbuf *b;
        int err;
};

static void emit_dynbuf(void *ctx, const char *s, size_t n)
{
        struct dyn_emit *d = ctx;

        if (!d->err)
                d->err = dynbuf_add(d->b, s, n);
}

int jsonw_escape(struct dynbuf *b, const char *s, size_t len)
{
        struct dyn_emit d = { b, 0 };
        size_t old = dynbuf_len(b);

        escape_to(emit_dynbuf, &d, s, len, false);
        if (d.err)
                dynbuf_truncate(b, old);
        return d.err;
}

static void quoted(struct jsonw *w, const char *s, size_t len)
{
        const unsigned char *u = (const unsigned char *)s;
        size_t i = 0;

        /* Most strings are short and plain: copied into the stage as they are checked. */
        if (len + 2 <= JSONW_STAGE - w->n) {
                char *d = w->stage + w->n + 1;
                w->stage[w->n] = '"';
                while (i < len && !special[u[i]]) {
                        d[i] = (char)u[i];
                        i++;
                }
                w->n += i + 1;
                if (i == len) {
                        w->stage[w->n++] = '"';
                        return;
                }
                /* Plain ASCII up to i, so i starts a character: the rest the long way. */
        } else {
                putc1(w, '"');
        }
        escape_to(emit_writer, w, s + i, len - i, w->flags & JSONW_ASCII);
        putc1(w, '"');
}

/* A name: quoted() without a strlen() first (names are short and plain), then ':'. */
static void quoted_name(struct jsonw *w, const char *name)
{
        const unsigned char *u = (const unsigned char *)name;
        size_t room = JSONW_STAGE - w->n, i = 0;

        if (room >= 4) {
                char *d = w->stage + w->n + 1;
                while (u[i] && !special[u[i]] && i + 4 < room) {
                        d[i] = (char)u[i];
                        i++;
                }
                if (!u[i]) {
                        w->stage[w->n] = '"';
                        d[i] = '"';
                        w->n += i + 2;
                        goto colon;
                }
        }
        quoted(w, name, strlen(name));
colon:
        if (w->flags & JSONW_PRETTY)
                put(w, ": ", 2);
        else
                putc1(w, ':');
}

void jsonw_name(struct jsonw *w, const char *name)
{
        if (w->err)
                return;
        if (!in_object(w) || w->after_name) {
                w->err = -EINVAL;
                return;
        }
        if ((w->has_items >> (w->depth - 1)) & 1u)
                putc1(w, ',');
        w->has_items |= UINT64_C(1) << (w->depth - 1);
        indent(w, w->depth);
        quoted_name(w, name);
        w->after_name = true;
}

void jsonw_stringn(struct jsonw *w, const char *s, size_t len)
{
        if (!before_value(w))
                return;
        quoted(w, s, len);
        after_value(w);
}

void jsonw_string(struct jsonw *w, const char *s)
{
        if (!s)
                jsonw_null(w);
        else
                jsonw_stringn(w, s, strlen(s));
}

/* ---- scalars ---- */

static void literal(struct jsonw *w, const char *s, size_t n)
{
        if (!before_value(w))
                return;
        put(w, s, n);
        after_value(w);
}

void jsonw_null(struct jsonw *w)
{
        literal(w, "null", 4);
}

void jsonw_bool(struct jsonw *w, bool v)
{
        if (v)
                literal(w, "true", 4);
        else
                literal(w, "false", 5);
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
        char buf[24];
        size_t i = sizeof(buf);

        /* By hand: printf is the slowest part of a listener's line otherwise. */
        do {
                buf[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        literal(w, buf + i, sizeof(buf) - i);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
        char buf[24];
        size_t i = sizeof(buf);
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

        do {
                buf[--i] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                buf[--i] = '-';
        literal(w, buf + i, sizeof(buf) - i);
}

void jsonw_double(struct jsonw *w, double v)
{
        char buf[40];
        int n = 0;

        if (!isfinite(v)) {
                jsonw_null(w);
                return;
        }
        for (int prec = 15; prec <= 17; prec++) {
                n = snprintf(buf, sizeof(buf) - 2, "%.*g", prec, v);
                if (n < 0 || (size_t)n >= sizeof(buf) - 2) {
                        w->err = w->err ? w->err : -EINVAL;
                        return;
                }
                if (strtod(buf, NULL) == v)
                        break;
        }
        /* The C locale is assumed (the programs never call setlocale for LC_NUMERIC). */
        if (!strpbrk(buf, ".eEn")) {
                memcpy(buf + n, ".0", 3);
                n += 2;
        }
        literal(w, buf, (size_t)n);
}

/* ---- jansson values ---- */

void jsonw_json(struct jsonw *w, const json_t *v)
{
        if (w->err)
                return;
        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_OBJECT: {
                const char *k;
                json_t *m;
                jsonw_begin_object(w);
                json_object_foreach((json_t *)v, k, m) {
                        jsonw_name(w, k);
                        jsonw_json(w, m);
                }
                jsonw_end_object(w);
                break;
        }
        case JSON_ARRAY:
                jsonw_begin_array(w);
                for (size_t i = 0; i < json_array_size(v); i++)
                        jsonw_json(w, json_array_get(v, i));
                jsonw_end_array(w);
                break;
        case JSON_STRING:
                jsonw_stringn(w, json_string_value(v), json_string_length(v));
                break;
        case JSON_INTEGER:
                jsonw_int(w, (int64_t)json_integer_value(v));
                break;
        case JSON_REAL:
                jsonw_double(w, json_real_value(v));
                break;
        case JSON_TRUE:
                jsonw_bool(w, true);
                break;
        case JSON_FALSE:
                jsonw_bool(w, false);
                break;
        case JSON_NULL:
        default:
                jsonw_null(w);
                break;
        }
}

void jsonw_string_field(struct jsonw *w, const char *name, const char *s)
{
        jsonw_name(w, name);
        jsonw_string(w, s);
}

void jsonw_int_field(struct jsonw *w, const char *name, int64_t v)
{
        jsonw_name(w, name);
        jsonw_int(w, v);
}

void jsonw_uint_field(struct jsonw *w, const char *name, uint64_t v)
{
        jsonw_name(w, name);
        jsonw_uint(w, v);
}

void jsonw_double_field(struct jsonw *w, const char *name, double v)
{
        jsonw_name(w, name);
        jsonw_double(w, v);
}

void jsonw_bool_field(struct jsonw *w, const char *name, bool v)
{
        jsonw_name(w, name);
        jsonw_bool(w, v);
}

void jsonw_null_field(struct jsonw *w, const char *name)
{
        jsonw_name(w, name);
        jsonw_null(w);
}
