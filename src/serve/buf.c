/* portscope serve — a growable byte buffer with a hard maximum. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve-internal.h"

void http_buf_init(struct http_buf *b, size_t max)
{
        *b = (struct http_buf){ .max = max };
}

void http_buf_free(struct http_buf *b)
{
        free(b->data);
        *b = (struct http_buf){ .max = b->max };
}

char *http_buf_steal(struct http_buf *b, size_t *ret_len)
{
        if (b->failed) {
                http_buf_free(b);
                return NULL;
        }
        if (!b->data) {
                /* An empty buffer still hands out a valid string. */
                http_buf_add(b, "", 0);
                if (b->failed)
                        return NULL;
        }
        char *d = b->data;
        *ret_len = b->len;
        *b = (struct http_buf){ .max = b->max };
        return d;
}

static bool buf_reserve(struct http_buf *b, size_t extra)
{
        if (b->failed)
                return false;
        if (extra > b->max || b->len > b->max - extra) {
                b->failed = true;
                return false;
        }
        size_t need = b->len + extra + 1;
        if (need <= b->cap)
                return true;
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need)
                cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        char *d = realloc(b->data, cap);
        if (!d) {
                b->failed = true;
                return false;
        }
        b->data = d;
        b->cap = cap;
        return true;
}

void http_buf_add(struct http_buf *b, const void *data, size_t len)
{
        if (!buf_reserve(b, len))
                return;
        if (len)
                memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
}

void http_buf_puts(struct http_buf *b, const char *s)
{
        http_buf_add(b, s, strlen(s));
}

void http_buf_printf(struct http_buf *b, const char *fmt, ...)
{
        char small[256];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(small, sizeof small, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->failed = true;
                return;
        }
        if ((size_t)n < sizeof small) {
                http_buf_add(b, small, (size_t)n);
                return;
        }
        if (!buf_reserve(b, (size_t)n))
                return;
        va_start(ap, fmt);
        int m = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        if (m != n) {
                b->failed = true;
                return;
        }
        b->len += (size_t)n;
}
