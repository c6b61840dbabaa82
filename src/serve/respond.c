/* portscope serve — building responses: headers every response carries, ETags and 304,
 * JSON bodies, error pages, the cached responses, and handing them to h2o. */
#include <stdatomic.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST /* z_stream.next_in is const: the body is not written */
#include <zlib.h>

#include "server.h"
#include "portscope/util.h"

const char RESPOND_HTML[] = "text/html; charset=utf-8";
const char RESPOND_JSON[] = "application/json";
/* The same type for what only this machine may read (its listeners): no CORS header, so that no
 * other site's page can read it (add_common() tells the two apart by address). */
const char RESPOND_JSON_LOCAL[] = "application/json";
const char RESPOND_TEXT[] = "text/plain; charset=utf-8";
const char RESPOND_METRICS[] = "text/plain; version=0.0.4; charset=utf-8";
const char RESPOND_PNG[] = "image/png";
const char RESPOND_CSS[] = "text/css; charset=utf-8";
const char RESPOND_CACHE_LONG[] = "public, max-age=300";
const char RESPOND_CACHE_IMMUTABLE[] = "public, max-age=31536000, immutable";
const char RESPOND_CACHE_SHORT[] = "public, max-age=60";
const char RESPOND_CACHE_NONE[] = "no-store";

void respond_etag(const void *data, size_t len, char out[20])
{
        snprintf(out, 20, "\"%016llx\"", (unsigned long long)ps_fnv1a(data, len));
}

#define GZIP_MIN 512 /* smaller bodies are sent as they are */

/* body gzipped (malloc'd, caller frees) or NULL when it would not shrink or memory ran out. */
static char *gzip_body(const char *body, size_t len, size_t *ret_len)
{
        if (len < GZIP_MIN || len > (size_t)UINT32_MAX)
                return NULL;
        z_stream z = { 0 };
        if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16 /* gzip wrapper */, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return NULL;
        uLong cap = deflateBound(&z, (uLong)len);
        char *out = malloc(cap);
        if (!out) {
                deflateEnd(&z);
                return NULL;
        }
        z.next_in = (const Bytef *)body;
        z.avail_in = (uInt)len;
        z.next_out = (Bytef *)out;
        z.avail_out = (uInt)cap;
        int r = deflate(&z, Z_FINISH);
        size_t n = z.total_out;
        deflateEnd(&z);
        if (r != Z_STREAM_END || n >= len) {
                free(out);
                return NULL;
        }
        *ret_len = n;
        /* deflateBound() is more than the body: a cached copy keeps only what it counts. */
        char *shrunk = realloc(out, n);
        return shrunk ? shrunk : out;
}

const char *respond_header(h2o_req_t *hr, const h2o_token_t *token, size_t *ret_len)
{
        ssize_t i = -1, last = -1;
        while ((i = h2o_find_header(&hr->headers, token, i)) != -1)
                last = i;
        if (last < 0)
                return NULL;
        *ret_len = hr->headers.entries[last].value.len;
        return hr->headers.entries[last].value.base;
}

const char *respond_header_str(h2o_req_t *hr, const h2o_token_t *token)
{
        size_t len = 0;
        const char *v = respond_header(hr, token, &len);
        return v ? h2o_strdup(&hr->pool, v, len).base : NULL;
}

/* Header names go out in lower case, as h2o's tokens spell them (and HTTP/2 must): an original
 * spelling would be copied into the request's pool for every header of every response. */
static void respond_add(h2o_req_t *hr, const h2o_token_t *token, const char *value)
{
        h2o_add_header(&hr->pool, &hr->res.headers, token, NULL, value, strlen(value));
}

/* Names of headers h2o has no token for: static, so that a response's headers can be kept
 * (respond_cached()). */
static h2o_iovec_t name_nosniff = { H2O_STRLIT("x-content-type-options") },
                   name_referrer = { H2O_STRLIT("referrer-policy") },
                   name_csp = { H2O_STRLIT("content-security-policy") },
                   name_frame = { H2O_STRLIT("x-frame-options") };

static void add_other(h2o_req_t *hr, h2o_iovec_t *name, const char *value)
{
        h2o_vector_reserve(&hr->pool, &hr->res.headers, hr->res.headers.size + 1);
        hr->res.headers.entries[hr->res.headers.size++] =
                (h2o_header_t){ name, NULL, h2o_iovec_init(value, strlen(value)) };
}

/* Whether the client takes gzip (Accept-Encoding names it without q=0), from every
 * Accept-Encoding line of the request: a client (or a proxy) may split the list in two. */
bool respond_wants_gzip(h2o_req_t *hr)
{
        struct http_accept_encoding st = HTTP_ACCEPT_ENCODING_INIT;
        for (ssize_t i = -1; (i = h2o_find_header(&hr->headers, H2O_TOKEN_ACCEPT_ENCODING, i)) != -1;) {
                const h2o_iovec_t *v = &hr->headers.entries[i].value;
                char buf[256];
                if (v->len < sizeof buf) { /* the common case: no copy in the pool */
                        memcpy(buf, v->base, v->len);
                        buf[v->len] = '\0';
                        http_accept_encoding_scan(buf, &st);
                } else {
                        http_accept_encoding_scan(h2o_strdup(&hr->pool, v->base, v->len).base, &st);
                }
        }
        return http_accept_encoding_gzip(&st);
}

/* Headers every response carries. */
static void add_common(struct http_server *s, h2o_req_t *hr, const char *type)
{
        h2o_vector_reserve(&hr->pool, &hr->res.headers, 12); /* room for all: one allocation */
        respond_add(hr, H2O_TOKEN_CONTENT_TYPE, type);
        add_other(hr, &name_nosniff, "nosniff");
        add_other(hr, &name_referrer, "same-origin");
        if (type == RESPOND_JSON) {
                /* The API is public data: any page may read it (GET only; no credentials). Not
                 * RESPOND_JSON_LOCAL: what listens here is for this machine's own pages. */
                respond_add(hr, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
                if (s->last_modified[0])
                        respond_add(hr, H2O_TOKEN_LAST_MODIFIED, s->last_modified);
        }
        if (strncmp(type, "text/html", 9) == 0) {
                add_other(hr, &name_csp, s->csp);
                add_other(hr, &name_frame, "DENY");
        }
}

/* One Vary value: Accept-Encoding when a gzipped twin exists (encoding), Accept-Language for a
 * page by its plain path (its language was negotiated; by /xx/ it is fixed). NULL: none. */
static const char *vary_of(const char *type, bool encoding)
{
        bool lang = strncmp(type, "text/html", 9) == 0 && !page_prefixed();
        return encoding && lang ? "Accept-Encoding, Accept-Language"
               : encoding       ? "Accept-Encoding"
               : lang           ? "Accept-Language"
                                : NULL;
}

/* A body of `bytes` is sent: the metrics' count and the access log's. */
static void respond_sent(struct http_server *s, size_t bytes)
{
        metrics_sent(s, bytes);
        routes_note_sent(bytes);
}

static const char *reason_of(unsigned status)
{
        switch (status) {
        case 200: return "OK";
        case 301: return "Moved Permanently";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 421: return "Misdirected Request";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
        }
}

static void free_release(void *a, void *b)
{
        (void)b;
        free(a);
}

/* Sends status with the headers already added and body[0..len) (none for HEAD or a 304), which
 * must stay as it is until hold's release, called when h2o has written it (or gave up). The
 * Content-Length is content_length (a 304 says the 200's). */
static int send_bytes(struct http_server *s, h2o_req_t *hr, unsigned status, const char *body, size_t len,
                      size_t content_length, struct respond_hold hold)
{
        /* Let go of when the request ends: after the last byte is written, or when the
         * connection is gone. */
        if (hold.release)
                routes_hold(hold);
        static h2o_generator_t whole = { NULL, NULL }; /* the whole body goes in one final h2o_send() */
        bool no_body = status == HTTP_NOT_MODIFIED || h2o_memis(hr->method.base, hr->method.len, H2O_STRLIT("HEAD"));
        hr->res.status = (int)status;
        hr->res.reason = reason_of(status);
        hr->res.content_length = content_length;
        /* Counted before the bytes leave: h2o writes them at once, and the client may ask
         * /metrics (on another thread) before this one would have counted them after. */
        respond_sent(s, status == HTTP_NOT_MODIFIED ? 0 : len);
        h2o_start_response(hr, &whole);
        h2o_iovec_t b = h2o_iovec_init(body, len);
        h2o_send(hr, &b, no_body || len == 0 ? 0 : 1, H2O_SEND_STATE_FINAL);
        return 0;
}

/* Sends body (malloc'd, taken over) with the headers already added. */
static int send_owned(struct http_server *s, h2o_req_t *hr, unsigned status, char *body, size_t len)
{
        return send_bytes(s, hr, status, body, len, len, (struct respond_hold){ free_release, body, NULL });
}

/* The headers of a response of a type. */
static void add_headers(struct http_server *s, h2o_req_t *hr, const char *type, const char *cache, const char *etag,
                        const char *lang)
{
        add_common(s, hr, type);
        if (type == RESPOND_HTML) {
                /* The page's language (each language is its own cached variant). */
                if (!lang) {
                        const struct ps_language *l = ps_i18n_thread_language();
                        lang = l ? l->code : "en";
                }
                respond_add(hr, H2O_TOKEN_CONTENT_LANGUAGE, lang);
        }
        if (cache)
                respond_add(hr, H2O_TOKEN_CACHE_CONTROL, cache);
        if (etag)
                respond_add(hr, H2O_TOKEN_ETAG, etag);
}

int respond_retry_after(struct http_server *s, h2o_req_t *hr, unsigned status, char *body, size_t len,
                        const char *type, unsigned seconds)
{
        add_headers(s, hr, type, RESPOND_CACHE_NONE, NULL, NULL);
        char retry[16];
        snprintf(retry, sizeof(retry), "%u", seconds);
        respond_add(hr, H2O_TOKEN_RETRY_AFTER, h2o_strdup(&hr->pool, retry, SIZE_MAX).base);
        return send_owned(s, hr, status, body, len);
}

/* A cached response over body and gz (its gzipped twin, or NULL), which it takes over when owned
 * (malloc'd: freed with it, or at once on failure) or borrows (they outlive it). */
static struct cached *cached_make(char *body, size_t len, char *gz, size_t gzlen, bool owned, const char *type,
                                  const char *cache)
{
        struct cached *c = calloc(1, sizeof *c);
        if (!c) {
                if (owned) {
                        free(body);
                        free(gz);
                }
                return NULL;
        }
        c->type = type;
        c->cache = cache;
        respond_etag(body, len, c->etag);
        /* What the body takes of the heap: a rendered page comes in its buffer, whose capacity is
         * a power of two (32 KiB for an 18 KB page). Not copied to its length: the holes that
         * copies leave as the cache evicts do not fit the next page's buffer (measured: 5,000
         * pages, RSS +158 MB copied against +99 MB kept). */
        c->size = (owned ? malloc_usable_size(body) + (gz ? malloc_usable_size(gz) : 0) : 0) + sizeof *c + 1280; /* and the kept headers */
        c->len = len;
        c->body = body;
        c->own_body = owned ? body : NULL;
        if (gz) {
                snprintf(c->etag_gz, sizeof c->etag_gz, "%.17s-gz\"", c->etag);
                c->gz_len = gzlen;
                c->gz_body = gz;
                c->own_gz = owned ? gz : NULL;
                c->gz_vary = vary_of(type, true);
        }
        c->vary = vary_of(type, gz != NULL);
        const struct ps_language *l = ps_i18n_thread_language();
        c->lang = type == RESPOND_HTML ? (l ? l->code : "en") : NULL;
        return c;
}

struct cached *respond_cached_new(char *body, size_t len, const char *type, const char *cache)
{
        size_t gzlen = 0;
        char *gz = type == RESPOND_PNG ? NULL : gzip_body(body, len, &gzlen);
        return cached_make(body, len, gz, gzlen, true, type, cache);
}

struct cached *respond_cached_twin(const struct cached *of, const char *type,
                                   const char *cache)
{
        return cached_make((char *)(uintptr_t)of->body, of->len, (char *)(uintptr_t)of->gz_body, of->gz_len, false,
                           type, cache);
}

struct cached *respond_cached_variant(char *body, size_t len, const char *type,
                                      const char *cache, bool gzip)
{
        size_t gzlen = 0;
        char *gz = gzip && type != RESPOND_PNG ? gzip_body(body, len, &gzlen) : NULL;
        char etag[24];
        respond_etag(body, len, etag);
        bool vary = type != RESPOND_PNG && len >= GZIP_MIN;
        if (gz) {
                free(body);
                body = gz;
                len = gzlen;
        }
        struct cached *c = cached_make(body, len, NULL, 0, true, type, cache);
        if (!c)
                return NULL;
        memcpy(c->etag, etag, sizeof etag);
        if (gz) {
                memcpy(c->etag + 17, "-gz\"", 5);
                c->coded = true;
        }
        c->vary = vary_of(type, vary);
        return c;
}

void respond_cached_free(struct cached *c)
{
        if (!c)
                return;
        free(c->own_body);
        free(c->own_gz);
        free(atomic_load(&c->hdrs[0]));
        free(atomic_load(&c->hdrs[1]));
        free(c);
}

static bool etag_matches(h2o_req_t *hr, const char *etag)
{
        size_t len = 0;
        const char *inm = respond_header(hr, H2O_TOKEN_IF_NONE_MATCH, &len);
        if (!inm)
                return false;
        if (len == 1 && inm[0] == '*')
                return true;
        /* A list of (possibly weak) tags; ours contain no comma, so a plain search is exact. */
        return memmem(inm, len, etag, strlen(etag)) != NULL;
}

/* 304 for a 200 response whose body is len bytes: the headers a 200 would have carried that a
 * cache must update (RFC 9110, section 15.4.5: ETag, Cache-Control, Vary; and CORS and
 * Last-Modified for the API), and the 200's Content-Length (section 8.6 allows it). */
static int not_modified(struct http_server *s, h2o_req_t *hr, const char *type, size_t len, const char *etag,
                        const char *cache, const char *vary, struct respond_hold hold)
{
        respond_add(hr, H2O_TOKEN_ETAG, etag);
        if (cache)
                respond_add(hr, H2O_TOKEN_CACHE_CONTROL, cache);
        if (vary)
                respond_add(hr, H2O_TOKEN_VARY, vary);
        if (type == RESPOND_JSON) {
                respond_add(hr, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
                if (s->last_modified[0])
                        respond_add(hr, H2O_TOKEN_LAST_MODIFIED, s->last_modified);
        }
        return send_bytes(s, hr, HTTP_NOT_MODIFIED, NULL, 0, len, hold);
}

int respond_cached(struct http_server *s, h2o_req_t *hr, struct cached *c, struct respond_hold hold)
{
        const char *cache = c->cache;
        bool gz = c->gz_body && respond_wants_gzip(hr);
        const char *etag = gz ? c->etag_gz : c->etag;
        const char *vary = gz ? c->gz_vary : c->vary;
        size_t len = gz ? c->gz_len : c->len;
        if (etag_matches(hr, etag))
                return not_modified(s, hr, c->type, len, etag, cache, vary, hold);
        /* Its headers, as the first request that sent it made them: every name is static (a
         * token, or one of ours) and every value lives as long as c, the server or the program,
         * so the same array serves every later request (h2o only reads it, and copies it to
         * its pool should it ever add one). */
        struct cached_headers *kept = atomic_load_explicit(&c->hdrs[gz], memory_order_acquire);
        if (kept) {
                hr->res.headers.entries = kept->e;
                hr->res.headers.size = hr->res.headers.capacity = kept->n;
        } else {
                add_headers(s, hr, c->type, cache, etag, c->lang);
                if (gz || c->coded)
                        respond_add(hr, H2O_TOKEN_CONTENT_ENCODING, "gzip");
                if (vary)
                        respond_add(hr, H2O_TOKEN_VARY, vary);
                size_t n = hr->res.headers.size;
                kept = malloc(sizeof *kept + n * sizeof kept->e[0]);
                if (kept) {
                        kept->n = n;
                        memcpy(kept->e, hr->res.headers.entries, n * sizeof kept->e[0]);
                        struct cached_headers *none = NULL;
                        if (!atomic_compare_exchange_strong_explicit(&c->hdrs[gz], &none, kept, memory_order_release,
                                                                     memory_order_relaxed))
                                free(kept); /* another thread kept its own first */
                }
        }
        return send_bytes(s, hr, HTTP_OK, gz ? c->gz_body : c->body, len, len, hold);
}

/* Sends body (malloc'd, taken over); 200 responses get an ETag and honour If-None-Match. */
int respond_body(struct http_server *s, h2o_req_t *hr, unsigned status, char *body, size_t len, const char *type,
                 const char *cache)
{
        char etag[24];
        bool tagged = status == HTTP_OK && cache != RESPOND_CACHE_NONE;
        size_t gzlen = 0;
        char *gz = type != RESPOND_PNG && respond_wants_gzip(hr) ? gzip_body(body, len, &gzlen) : NULL;
        if (tagged) {
                respond_etag(body, len, etag);
                if (gz)
                        memcpy(etag + 17, "-gz\"", 5);
        }
        const char *vary = vary_of(type, type != RESPOND_PNG && len >= GZIP_MIN);
        if (gz) {
                free(body);
                body = gz;
                len = gzlen;
        }
        if (tagged) {
                char *tag = h2o_strdup(&hr->pool, etag, SIZE_MAX).base;
                if (etag_matches(hr, tag)) /* the client holds it: a 304 with the headers this 200 would have had */
                        return not_modified(s, hr, type, len, tag, cache, vary,
                                            (struct respond_hold){ free_release, body, NULL });
                add_headers(s, hr, type, cache, tag, NULL);
        } else {
                add_headers(s, hr, type, cache, NULL, NULL);
        }
        if (gz)
                respond_add(hr, H2O_TOKEN_CONTENT_ENCODING, "gzip");
        if (vary)
                respond_add(hr, H2O_TOKEN_VARY, vary);
        return send_owned(s, hr, status, body, len);
}

/* Serializes o on one line, with < > & written as \u escapes: the same JSON value, but one that
 * no HTML sniffer can take for markup. Returns a malloc'd string ending in a newline. */
char *respond_json_text(json_t *o, size_t *ret_len)
{
        char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!text)
                return NULL;
        size_t len = strlen(text), extra = 0;
        for (size_t i = 0; i < len; i++)
                if (text[i] == '<' || text[i] == '>' || text[i] == '&')
                        extra += 5;
        char *out = malloc(len + extra + 2);
        if (!out) {
                free(text);
                return NULL;
        }
        size_t o_ = 0;
        for (size_t i = 0; i < len; i++) {
                const char *rep = text[i] == '<' ? "\\u003c" : text[i] == '>' ? "\\u003e" : text[i] == '&' ? "\\u0026" : NULL;
                if (rep) {
                        memcpy(out + o_, rep, 6);
                        o_ += 6;
                } else
                        out[o_++] = text[i];
        }
        out[o_++] = '\n';
        out[o_] = '\0';
        free(text);
        *ret_len = o_;
        return out;
}

int respond_json(struct http_server *s, h2o_req_t *hr, unsigned status, json_t *o, const char *cache)
{
        if (!o)
                return -1;
        size_t len = 0;
        char *text = respond_json_text(o, &len);
        json_decref(o);
        if (!text)
                return -1;
        return respond_body(s, hr, status, text, len, RESPOND_JSON, cache);
}

int respond_error(struct http_server *s, h2o_req_t *hr, unsigned status, const char *message, bool api)
{
        if (api)
                return respond_json(s, hr, status, http_api_error(&s->ctx, (int)status, message), RESPOND_CACHE_NONE);
        struct http_buf b;
        http_buf_init(&b, PAGE_MAX);
        int r = http_page_error(&s->ctx, (int)status, message, &b);
        size_t len = 0;
        char *body = r < 0 ? NULL : http_buf_steal(&b, &len);
        http_buf_free(&b);
        if (!body)
                return -1;
        return respond_body(s, hr, status, body, len, RESPOND_HTML, RESPOND_CACHE_NONE);
}

int respond_error_close(struct http_server *s, h2o_req_t *hr, unsigned status, const char *message, bool api)
{
        hr->http1_is_persistent = 0; /* h2o says Connection: close, and closes after the response */
        return respond_error(s, hr, status, message, api);
}

/* Renders a page into a body; returns its status or -errno. */
int respond_page(struct http_server *s, h2o_req_t *hr, int status, struct http_buf *b, const char *cache)
{
        if (status < 0) {
                http_buf_free(b);
                return respond_error(s, hr, HTTP_INTERNAL_SERVER_ERROR, _("the page could not be rendered"), false);
        }
        size_t len = 0;
        char *body = http_buf_steal(b, &len);
        if (!body)
                return -1;
        return respond_body(s, hr, (unsigned)status, body, len, RESPOND_HTML, status == 200 ? cache : RESPOND_CACHE_NONE);
}

int respond_redirect(h2o_req_t *hr, unsigned status, const char *location)
{
        respond_add(hr, H2O_TOKEN_LOCATION, h2o_strdup(&hr->pool, location, SIZE_MAX).base);
        respond_add(hr, H2O_TOKEN_CACHE_CONTROL, RESPOND_CACHE_NONE);
        hr->res.status = (int)status;
        hr->res.reason = reason_of(status);
        hr->res.content_length = 0;
        static h2o_generator_t whole = { NULL, NULL };
        routes_note_sent(0);
        h2o_start_response(hr, &whole);
        h2o_send(hr, NULL, 0, H2O_SEND_STATE_FINAL);
        return 0;
}

int respond_method_not_allowed(struct http_server *s, h2o_req_t *hr, bool api, const char *allow)
{
        char *body = NULL;
        size_t len = 0;
        const char *type = RESPOND_JSON;
        if (api) {
                json_t *o = http_api_error(&s->ctx, 405, "method not allowed");
                body = o ? respond_json_text(o, &len) : NULL;
                json_decref(o);
        } else {
                type = RESPOND_TEXT;
                body = strdup("method not allowed\n");
                len = body ? strlen(body) : 0;
        }
        if (!body)
                return -1;
        add_headers(s, hr, type, RESPOND_CACHE_NONE, NULL, NULL);
        respond_add(hr, H2O_TOKEN_ALLOW, allow);
        return send_owned(s, hr, HTTP_METHOD_NOT_ALLOWED, body, len);
}
