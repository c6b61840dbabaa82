/* One growable buffer with a hard maximum (include/portscope/dynbuf.h). */
#include "portscope/dynbuf.h"
#include "portscope/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dynbuf_init(struct dynbuf *b, size_t max)
{
        b->buf = NULL;
        b->len = 0;
        b->cap = 0;
        b->max = max ? max : 1;
}

/* Makes room for len more bytes plus the NUL (ps_grow: doubling, never past max + 1). */
static int grow(struct dynbuf *b, size_t len)
{
        if (len > b->max - b->len)
                return -E2BIG;
        return ps_grow(&b->buf, &b->cap, b->len + len + 1, 1, b->max < SIZE_MAX ? b->max + 1 : SIZE_MAX);
}

int dynbuf_add(struct dynbuf *b, const void *mem, size_t len)
{
        int r = grow(b, len);

        if (r < 0)
                return r;
        if (len)
                memcpy(b->buf + b->len, mem, len);
        b->len += len;
        b->buf[b->len] = '\0';
        return 0;
}

int dynbuf_addstr(struct dynbuf *b, const char *s)
{
        return dynbuf_add(b, s, strlen(s));
}

int dynbuf_vaddf(struct dynbuf *b, const char *fmt, va_list ap)
{
        va_list aq;
        size_t room = b->cap ? b->cap - b->len : 0;
        int n, r;

        /* First into the room there is; only a longer result grows the buffer and prints again. */
        va_copy(aq, ap);
        n = vsnprintf(room ? b->buf + b->len : NULL, room, fmt, aq);
        va_end(aq);
        if (n < 0) {
                if (b->buf)
                        b->buf[b->len] = '\0';
                return -EINVAL;
        }
        if ((size_t)n < room && (size_t)n <= b->max - b->len) {
                b->len += (size_t)n;
                return 0;
        }
        r = grow(b, (size_t)n);
        if (r < 0) {
                if (b->buf)
                        b->buf[b->len] = '\0';
                return r;
        }
        va_copy(aq, ap);
        vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, aq);
        va_end(aq);
        b->len += (size_t)n;
        return 0;
}

int dynbuf_addf(struct dynbuf *b, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = dynbuf_vaddf(b, fmt, ap);
        va_end(ap);
        return r;
}

void dynbuf_reset(struct dynbuf *b)
{
        b->len = 0;
        if (b->buf)
                b->buf[0] = '\0';
}

void dynbuf_truncate(struct dynbuf *b, size_t len)
{
        if (len >= b->len)
                return;
        b->len = len;
        b->buf[len] = '\0';
}

void dynbuf_free(struct dynbuf *b)
{
        free(b->buf);
        b->buf = NULL;
        b->len = 0;
        b->cap = 0;
}

const char *dynbuf_ptr(const struct dynbuf *b)
{
        return b->buf ? b->buf : "";
}

size_t dynbuf_len(const struct dynbuf *b)
{
        return b->len;
}

char *dynbuf_take(struct dynbuf *b, size_t *ret_len)
{
        char *s = b->buf;

        if (!s) {
                s = strdup("");
                if (!s)
                        return NULL;
        }
        if (ret_len)
                *ret_len = b->len;
        b->buf = NULL;
        b->len = 0;
        b->cap = 0;
        return s;
}
