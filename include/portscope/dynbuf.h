/* portscope — one growable byte buffer with a hard maximum (after curl's struct dynbuf).
 *
 * Every append either adds all of its bytes or none: past the maximum it fails with -E2BIG,
 * when memory runs out with -ENOMEM, and in both cases the buffer keeps its earlier contents and
 * stays usable. The contents are always NUL-terminated (the NUL is not counted in the length and
 * not in the maximum), so dynbuf_ptr() is a C string when no NUL byte was added.
 *
 *   struct dynbuf b;
 *   dynbuf_init(&b, 1u << 20);
 *   if (dynbuf_addf(&b, "%u/%s", port, proto) < 0) ...
 *   fwrite(dynbuf_ptr(&b), 1, dynbuf_len(&b), f);
 *   dynbuf_free(&b);
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct dynbuf {
        /* private: use the functions below */
        char *buf;
        size_t len, cap, max;
};

#define DYNBUF_INIT(max_) { .buf = NULL, .len = 0, .cap = 0, .max = (max_) }

/* An empty buffer that will hold at most max bytes (max >= 1). Allocates nothing. */
void dynbuf_init(struct dynbuf *b, size_t max);

/* Appends len bytes of mem. Returns 0, -E2BIG (would exceed the maximum) or -ENOMEM. */
int dynbuf_add(struct dynbuf *b, const void *mem, size_t len);
/* Appends a NUL-terminated string (without its NUL). */
int dynbuf_addstr(struct dynbuf *b, const char *s);
/* Appends printf output. Same results; -EINVAL for a format vsnprintf refuses. */
int dynbuf_addf(struct dynbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int dynbuf_vaddf(struct dynbuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Empties the buffer and keeps its memory for reuse. */
void dynbuf_reset(struct dynbuf *b);
/* Cuts the contents to len bytes (no-op when len >= dynbuf_len()). */
void dynbuf_truncate(struct dynbuf *b, size_t len);
/* Frees the memory; the buffer is empty and usable again with the same maximum. Accepts a
 * zeroed or already freed buffer. */
void dynbuf_free(struct dynbuf *b);

/* The contents, NUL-terminated; "" for an empty buffer (borrowed: valid until the next append,
 * reset or free). */
const char *dynbuf_ptr(const struct dynbuf *b);
size_t dynbuf_len(const struct dynbuf *b);
/* Hands the contents over: returns a malloc'd NUL-terminated string (caller frees) with its
 * length in *ret_len (may be NULL) and leaves the buffer empty; NULL on -ENOMEM (an empty
 * buffer still needs one byte). */
char *dynbuf_take(struct dynbuf *b, size_t *ret_len);
