/* portscope serve — the page buffer's out-of-line parts (serve-internal.h). */
#include <stdarg.h>

#include "serve-internal.h"

void http_buf_printf(struct http_buf *b, const char *fmt, ...)
{
        va_list ap;

        if (b->error)
                return;
        va_start(ap, fmt);
        b->error = dynbuf_vaddf(&b->d, fmt, ap);
        va_end(ap);
}

char *http_buf_steal(struct http_buf *b, size_t *ret_len)
{
        char *d = NULL;

        if (!b->error)
                d = dynbuf_take(&b->d, ret_len);
        http_buf_free(b);
        return d;
}
