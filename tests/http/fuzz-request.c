/* libFuzzer target: request targets, request heads as sent, query strings, percent-decoding and
 * HTML escaping — every byte a client controls before portscope serve decides what a request means.
 * fuzz-sources: src/serve/target.c src/serve/head.c src/serve/escape.c src/serve/buf.c src/core/dynbuf.c src/core/util.c src/core/port.c
 *
 * Checks, beyond "no crash": the route parser always leaves a valid route id and a NUL-terminated
 * name and query, whatever the struct held before (a parse into garbage equals a parse into
 * zeroes: http_route_clear() leaves the text buffers' tails alone); an absolute-form target's
 * authority and path lie within it, the path where
 * one begins; a route's canonical spelling parses back to the same route and spells the
 * same; escaped text never contains a raw markup character. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int routes_differ(const struct http_route *a, const struct http_route *b)
{
        return a->id != b->id || a->api != b->api || a->status != b->status || a->error != b->error ||
               a->port != b->port || a->port_hi != b->port_hi || a->form != b->form || a->proto != b->proto ||
               a->status_filter != b->status_filter || a->range != b->range || a->limit != b->limit ||
               a->offset != b->offset || strcmp(a->name, b->name) != 0 || strcmp(a->q, b->q) != 0 ||
               a->has_q != b->has_q || a->x != b->x || a->y != b->y || a->local != b->local || a->moved != b->moved;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *)data;

        struct http_head_shape sh;
        http_head_shape(s, size, &sh);
        if (sh.bytes > size || (sh.lengths_differ && sh.lengths < 2) || sh.hosts + sh.lengths + sh.encodings > size)
                abort();

        struct http_route r, dirty;
        memset(&r, 0, sizeof r);
        memset(&dirty, 0xa5, sizeof dirty);
        dirty.name[sizeof dirty.name - 1] = dirty.q[sizeof dirty.q - 1] = '\0';
        http_route_parse(s, size, &r);
        http_route_parse(s, size, &dirty);
        if (routes_differ(&r, &dirty))
                abort();
        if ((unsigned)r.id >= HTTP_NROUTES || strnlen(r.name, sizeof r.name) == sizeof r.name ||
            strnlen(r.q, sizeof r.q) == sizeof r.q)
                abort();
        if (r.status == 0 && r.id == HTTP_ROUTE_NONE)
                abort();
        if (r.status && !r.error)
                abort();

        char canon[HTTP_TARGET_MAX + 1], again[HTTP_TARGET_MAX + 1];
        size_t cn = http_route_canonical(&r, true, canon, sizeof canon);
        if (cn) {
                struct http_route r2;
                if (strlen(canon) != cn)
                        abort();
                http_route_parse(canon, cn, &r2);
                if (r2.status != 0 || r2.id != r.id || strcmp(r2.name, r.name) != 0 || strcmp(r2.q, r.q) != 0 ||
                    r2.port != r.port || r2.port_hi != r.port_hi)
                        abort();
                if (http_route_canonical(&r2, true, again, sizeof again) != cn || strcmp(again, canon) != 0)
                        abort();
        }

        struct http_absolute a;
        if (http_target_absolute(s, size, &a) == 0 &&
            (a.host_off != 7 || a.host_len == 0 || a.path_off != a.host_off + a.host_len || a.path_off > size ||
             (a.path_off < size && s[a.path_off] != '/' && s[a.path_off] != '?')))
                abort();
        /* An accepted absolute-form target asks the API exactly when its path does. */
        if (http_target_absolute(s, size, &a) == 0 &&
            http_target_api(s, size) != (size - a.path_off >= 5 && memcmp(s + a.path_off, "/api/", 5) == 0))
                abort();

        char *ae = strndup(s, size);
        if (ae) {
                (void)http_accepts_gzip(ae);
                free(ae);
        }

        char v[HTTP_QUERY_MAX + 1];
        int n = http_query_get(s, size, "q", v, sizeof v);
        if (n >= 0 && strlen(v) != (size_t)n)
                abort();
        n = http_url_decode(s, size, true, v, sizeof v);
        if (n >= 0 && (size_t)n >= sizeof v)
                abort();

        struct http_buf b;
        http_buf_init(&b, 1 << 20);
        http_html_escape(&b, s, size);
        if (!b.error && strpbrk(http_buf_str(&b), "<>\"'"))
                abort();
        http_url_encode(&b, s, size);
        http_buf_free(&b);
        return 0;
}
