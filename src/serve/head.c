/* portscope serve — what a request's head says of its framing, read from the bytes as sent.
 *
 * h2o keeps one Host (the last) and one of Content-Length and Transfer-Encoding (it prefers the
 * latter) and drops the rest, so what RFC 9112 asks a server to refuse (a request with two Hosts,
 * or with its length said twice) is read here from the head as it came. Pure: no h2o. */
#include <string.h>
#include <strings.h>

#include "serve-internal.h"

/* Whether line[0..n) is header `name` (lower case), i.e. begins with name and ':' (no space). */
static bool header_is(const char *line, size_t n, const char *name, size_t nlen)
{
        return n > nlen && line[nlen] == ':' && strncasecmp(line, name, nlen) == 0;
}

/* The value of a header line after its colon, without the whitespace around it. */
static void header_value(const char *line, size_t n, size_t nlen, const char **ret, size_t *ret_len)
{
        const char *v = line + nlen + 1, *end = line + n;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                end--;
        *ret = v;
        *ret_len = (size_t)(end - v);
}

void http_head_shape(const char *raw, size_t len, struct http_head_shape *ret)
{
        memset(ret, 0, sizeof *ret);
        const char *p = raw, *end = raw + len;
        const char *length = NULL;
        size_t length_len = 0;
        bool first = true;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *eol = nl ? nl : end;
                size_t n = (size_t)(eol - p);
                if (n > 0 && p[n - 1] == '\r')
                        n--;
                if (!first && n == 0) { /* the empty line: the head ends */
                        p = nl ? nl + 1 : end;
                        break;
                }
                if (!first) {
                        const char *v;
                        size_t vl;
                        if (header_is(p, n, "host", 4)) {
                                ret->hosts++;
                        } else if (header_is(p, n, "content-length", 14)) {
                                header_value(p, n, 14, &v, &vl);
                                if (length && (vl != length_len || memcmp(v, length, vl) != 0))
                                        ret->lengths_differ = true;
                                length = v;
                                length_len = vl;
                                ret->lengths++;
                        } else if (header_is(p, n, "transfer-encoding", 17)) {
                                header_value(p, n, 17, &v, &vl);
                                ret->encodings++;
                                /* "chunked" alone is the one coding read here ("gzip, chunked",
                                 * "identity": not). */
                                if (!(vl == 7 && strncasecmp(v, "chunked", 7) == 0))
                                        ret->not_chunked = true;
                        }
                }
                first = false;
                p = nl ? nl + 1 : end;
        }
        ret->bytes = (size_t)(p - raw);
}
