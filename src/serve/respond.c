/* portscope serve — building responses: headers every response carries, ETags and 304,
 * JSON bodies, error pages, the cached (shared) responses. */
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

static enum MHD_Result scan_accept_encoding(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
        (void)kind;
        if (value && strlen(key) == 15 && strcasecmp(key, MHD_HTTP_HEADER_ACCEPT_ENCODING) == 0)
                http_accept_encoding_scan(value, cls);
        return MHD_YES;
}

/* Whether the client takes gzip (Accept-Encoding names it without q=0), from every
 * Accept-Encoding line of the request: a client (or a proxy) may split the list in two. */
bool respond_wants_gzip(struct MHD_Connection *conn)
{
        struct http_accept_encoding st = HTTP_ACCEPT_ENCODING_INIT;
        MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_accept_encoding, &st);
        return http_accept_encoding_gzip(&st);
}

/* Set while respond_error_close() makes its response: the connection ends with it. */
static _Thread_local bool closing;

/* Headers every response carries. */
static void add_common(struct http_server *s, struct MHD_Response *r, const char *type)
{
        if (closing)
                MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, "Referrer-Policy", "same-origin");
        if (type == RESPOND_JSON) {
                /* The API is public data: any page may read it (GET only; no credentials). Not
                 * RESPOND_JSON_LOCAL: what listens here is for this machine's own pages. */
                MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
                if (s->last_modified[0])
                        MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, s->last_modified);
        }
        if (strncmp(type, "text/html", 9) == 0) {
                MHD_add_response_header(r, "Content-Security-Policy", s->csp);
                MHD_add_response_header(r, "X-Frame-Options", "DENY");
        }
}

/* One Vary header: Accept-Encoding when a gzipped twin exists (encoding), Accept-Language for a
 * page by its plain path (its language was negotiated; by /xx/ it is fixed). */
static void add_vary(struct MHD_Response *r, const char *type, bool encoding)
{
        bool lang = strncmp(type, "text/html", 9) == 0 && !page_prefixed();
        if (encoding || lang)
                MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
                                        encoding && lang ? "Accept-Encoding, Accept-Language"
                                        : encoding       ? "Accept-Encoding"
                                                         : "Accept-Language");
}

/* A body of `bytes` is queued: the metrics' count and the access log's. */
static void respond_sent(struct http_server *s, size_t bytes)
{
        metrics_sent(s, bytes);
        routes_note_sent(bytes);
}

struct MHD_Response *respond_static(const void *body, size_t len)
{
#if MHD_VERSION >= 0x00097701
        return MHD_create_response_from_buffer_static(len, body);
#else
        /* Before 0.9.77, libmicrohttpd takes a void * in every mode; with MHD_RESPMEM_PERSISTENT
         * it neither writes nor frees the bytes. This is the one cast to its signature. */
        return MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
#endif
}

/* The headers every response of a type carries; r (NULL passes through). */
static struct MHD_Response *response_headers(struct http_server *s, struct MHD_Response *r, const char *type,
                                             const char *cache, const char *etag)
{
        if (!r)
                return NULL;
        add_common(s, r, type);
        if (type == RESPOND_HTML) {
                /* The page's language (each language is its own cached variant). */
                const struct ps_language *lang = ps_i18n_thread_language();
                MHD_add_response_header(r, "Content-Language", lang ? lang->code : "en");
        }
        if (cache)
                MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
        if (etag)
                MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        return r;
}

/* A response over body, which it takes over (malloc'd), even on failure. */
static struct MHD_Response *response_owned(struct http_server *s, char *body, size_t len, const char *type,
                                           const char *cache, const char *etag)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!r)
                free(body);
        return response_headers(s, r, type, cache, etag);
}

/* A response over body, which it borrows: body outlives the response. */
static struct MHD_Response *response_borrowed(struct http_server *s, const char *body, size_t len, const char *type,
                                              const char *cache, const char *etag)
{
        return response_headers(s, respond_static(body, len), type, cache, etag);
}

/* Takes ownership of body (malloc'd). */
struct MHD_Response *respond_make(struct http_server *s, char *body, size_t len, const char *type,
                                  const char *cache, const char *etag)
{
        return response_owned(s, body, len, type, cache, etag);
}

enum MHD_Result respond_queue(struct http_server *s, struct MHD_Connection *conn, unsigned status,
                              struct MHD_Response *r, size_t len)
{
        enum MHD_Result ret = MHD_queue_response(conn, status, r);
        if (ret == MHD_YES)
                respond_sent(s, len);
        MHD_destroy_response(r);
        return ret;
}

enum MHD_Result respond_retry_after(struct http_server *s, struct MHD_Connection *conn, unsigned status, char *body,
                                    size_t len, const char *type, unsigned seconds)
{
        struct MHD_Response *r = respond_make(s, body, len, type, RESPOND_CACHE_NONE, NULL);
        if (!r)
                return MHD_NO;
        char retry[16];
        snprintf(retry, sizeof(retry), "%u", seconds);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry);
        return respond_queue(s, conn, status, r, len);
}

/* The responses of a cached body and its gzipped twin (gz: NULL when there is none), over bytes
 * that are either taken over (own_body and own_gz, malloc'd: freed with the responses, or at once
 * on failure) or borrowed (body and gz, which outlive them): one of each pair is NULL. */
static struct cached *cached_make(struct http_server *s, char *own_body, const char *body, size_t len, char *own_gz,
                                  const char *gz, size_t gzlen, const char *type, const char *cache)
{
        bool owned = own_body != NULL;
        if (owned) {

                body = own_body;
                gz = own_gz;
        }
        struct cached *c = calloc(1, sizeof *c);
        if (!c) {
                free(own_body);
                free(own_gz);
                return NULL;
        }
        respond_etag(body, len, c->etag);
        /* What the body takes of the heap: a rendered page comes in its buffer, whose capacity is
         * a power of two (32 KiB for an 18 KB page). Not copied to its length: the holes that
         * copies leave as the cache evicts do not fit the next page's buffer (measured: 5,000
         * pages, RSS +158 MB copied against +99 MB kept). */
        c->size = (owned ? malloc_usable_size(own_body) : 0) + sizeof *c + 512;
        c->len = len;
        c->body = body;
        c->resp = owned ? response_owned(s, own_body, len, type, cache, c->etag)
                        : response_borrowed(s, body, len, type, cache, c->etag);
        if (!c->resp) {
                free(own_gz);
                free(c);
                return NULL;
        }
        if (gz) {
                snprintf(c->etag_gz, sizeof c->etag_gz, "%.17s-gz\"", c->etag);
                c->gz = owned ? response_owned(s, own_gz, gzlen, type, cache, c->etag_gz)
                              : response_borrowed(s, gz, gzlen, type, cache, c->etag_gz);
                if (c->gz) {
                        c->gz_len = gzlen;
                        c->gz_body = gz;
                        MHD_add_response_header(c->gz, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
                        add_vary(c->gz, type, true);
                        c->size += owned ? malloc_usable_size(own_gz) : 0;
                }
        }
        add_vary(c->resp, type, c->gz != NULL);
        return c;
}

struct cached *respond_cached_new(struct http_server *s, char *body, size_t len, const char *type, const char *cache)
{
        size_t gzlen = 0;
        char *gz = type == RESPOND_PNG ? NULL : gzip_body(body, len, &gzlen);
        return cached_make(s, body, NULL, len, gz, NULL, gzlen, type, cache);
}

struct cached *respond_cached_twin(struct http_server *s, const struct cached *of, const char *type,
                                   const char *cache)
{
        return cached_make(s, NULL, of->body, of->len, NULL, of->gz ? of->gz_body : NULL, of->gz_len, type, cache);
}

/* A body that several responses send: the last one freed frees it. */
struct shared_bytes {
        atomic_uint refs;
        char *bytes;
};

static void shared_bytes_unref(void *cls)
{
        struct shared_bytes *b = cls;
        if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) {
                free(b->bytes);
                free(b);
        }
}

/* A response over b's bytes that holds one reference to them (taken here). NULL when out of
 * memory; b is as it was. */
static struct MHD_Response *shared_response(struct shared_bytes *b, size_t len)
{
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
        struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(len, b->bytes,
                                                                                     shared_bytes_unref, b);
        if (!r)
                atomic_fetch_sub_explicit(&b->refs, 1, memory_order_relaxed);
        return r;
}

static enum MHD_Result copy_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
        (void)kind;
        return MHD_add_response_header(cls, key, value) == MHD_YES ? MHD_YES : MHD_NO;
}

/* This thread's own copy of c->resp (see struct cached), or c->resp when it has none. */
static struct MHD_Response *thread_response(struct http_server *s, struct cached *c)
{
        if (!c->mine)
                return c->resp;
        unsigned slot = server_slot(s);
        if (slot >= c->nmine)
                return c->resp;
        if (!c->mine[slot]) {
                struct MHD_Response *r = shared_response(c->shared, c->len);
                if (!r)
                        return c->resp;
                if (MHD_get_response_headers(c->resp, copy_header, r) < 0) {
                        MHD_destroy_response(r);
                        return c->resp;
                }
                c->mine[slot] = r;
        }
        return c->mine[slot];
}

void respond_cached_per_thread(struct http_server *s, struct cached *c)
{
        /* Workers have the slots below the last one (server_slot()); no copies when out of memory. */
        c->nmine = s->nshards - 1;
        c->mine = calloc(c->nmine, sizeof *c->mine);
        /* Each copy, when made: a page's response with its headers takes 1,344 bytes of heap. */
        if (c->mine)
                c->size += c->nmine * 1536;
}

struct cached *respond_cached_variant(struct http_server *s, char *body, size_t len, const char *type,
                                      const char *cache, bool gzip)
{
        struct cached *c = calloc(1, sizeof *c);
        if (!c) {
                free(body);
                return NULL;
        }
        size_t gzlen = 0;
        char *gz = gzip && type != RESPOND_PNG ? gzip_body(body, len, &gzlen) : NULL;
        respond_etag(body, len, c->etag);
        if (gz) {
                memcpy(c->etag + 17, "-gz\"", 5);
                free(body);
                body = gz;
                len = gzlen;
        }
        c->cache = cache;
        c->len = len;
        c->body = body;
        c->shared = malloc(sizeof *c->shared);
        if (!c->shared) {
                free(body);
                free(c);
                return NULL;
        }
        atomic_init(&c->shared->refs, 1); /* this function's, let go below */
        c->shared->bytes = body;
        c->resp = response_headers(s, shared_response(c->shared, len), type, cache, c->etag);
        shared_bytes_unref(c->shared); /* the body now lives as long as a response over it */
        if (!c->resp) {
                free(c);
                return NULL;
        }
        c->size = malloc_usable_size(body) + sizeof *c + 512; /* the buffer, not only its length */
        if (gz)
                MHD_add_response_header(c->resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
        add_vary(c->resp, type, gz || (type != RESPOND_PNG && len >= GZIP_MIN));
        return c;
}

void respond_cached_free(struct cached *c)
{
        if (!c)
                return;
        for (unsigned i = 0; c->mine && i < c->nmine; i++)
                if (c->mine[i])
                        MHD_destroy_response(c->mine[i]);
        free(c->mine);
        MHD_destroy_response(c->resp);
        if (c->gz)
                MHD_destroy_response(c->gz);
        free(c);
}

static bool etag_matches(struct MHD_Connection *conn, const char *etag)
{
        const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        if (!inm)
                return false;
        if (strcmp(inm, "*") == 0)
                return true;
        /* A list of (possibly weak) tags; ours contain no comma, so a plain search is exact. */
        return strstr(inm, etag) != NULL;
}

/* The body of a 304, which libmicrohttpd never asks for (it sends none with a 304). */
static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
        (void)cls;
        (void)pos;
        (void)buf;
        (void)max;
        return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* 304 for the 200 response `like`, whose body is len bytes: the headers a 200 would have carried
 * that a cache must update (RFC 9110, section 15.4.5: ETag, Cache-Control, Vary; and CORS and
 * Last-Modified for the API). libmicrohttpd 0.9.75 gives every 304 the Content-Length of its
 * response, and RFC 9110, section 8.6 allows only the 200's there (or none): so the response is
 * one of len bytes that libmicrohttpd does not read. Its way of sending none is worse: a response
 * of unknown size is chunked, and then a 304 carries a "0" chunk, read as the start of the next
 * response. Neither MHD_RF_INSANITY_HEADER_CONTENT_LENGTH nor a header removed by hand keeps its
 * own Content-Length out (0.9.75 has no MHD_RF_HEAD_ONLY_RESPONSE). */
static enum MHD_Result respond_not_modified(struct MHD_Connection *conn, struct MHD_Response *like, size_t len,
                                            const char *etag, const char *cache)
{
        struct MHD_Response *r = MHD_create_response_from_callback(len, 4096, no_body, NULL, NULL);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        if (cache)
                MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
        static const char *const kept[] = { MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_LAST_MODIFIED,
                                            "Access-Control-Allow-Origin" };
        for (size_t i = 0; like && i < sizeof kept / sizeof kept[0]; i++) {
                const char *v = MHD_get_response_header(like, kept[i]);
                if (v)
                        MHD_add_response_header(r, kept[i], v);
        }
        enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_NOT_MODIFIED, r);
        MHD_destroy_response(r);
        return ret;
}

enum MHD_Result respond_cached(struct http_server *s, struct MHD_Connection *conn,
                               struct cached *c, const char *cache)
{
        bool gz = c->gz && respond_wants_gzip(conn);
        const char *etag = gz ? c->etag_gz : c->etag;
        if (etag_matches(conn, etag))
                return respond_not_modified(conn, gz ? c->gz : c->resp, gz ? c->gz_len : c->len, etag, cache);
        if (MHD_queue_response(conn, MHD_HTTP_OK, gz ? c->gz : thread_response(s, c)) != MHD_YES)
                return MHD_NO;
        respond_sent(s, gz ? c->gz_len : c->len); /* shared: not destroyed, unlike respond_queue() */
        return MHD_YES;
}

/* Sends body (malloc'd, taken over); 200 responses get an ETag and honour If-None-Match. */
enum MHD_Result respond_body(struct http_server *s, struct MHD_Connection *conn, unsigned status,
                             char *body, size_t len, const char *type, const char *cache)
{
        char etag[24];
        bool tagged = status == MHD_HTTP_OK && cache != RESPOND_CACHE_NONE;
        size_t gzlen = 0;
        char *gz = type != RESPOND_PNG && respond_wants_gzip(conn) ? gzip_body(body, len, &gzlen) : NULL;
        bool matched = false;
        if (tagged) {
                respond_etag(body, len, etag);
                if (gz)
                        memcpy(etag + 17, "-gz\"", 5);
                matched = etag_matches(conn, etag);
        }
        bool vary = type != RESPOND_PNG && len >= GZIP_MIN;
        if (gz) {
                free(body);
                body = gz;
                len = gzlen;
        }
        struct MHD_Response *r = respond_make(s, body, len, type, cache, tagged ? etag : NULL);
        if (!r)
                return MHD_NO;
        if (gz)
                MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
        add_vary(r, type, vary);
        if (matched) {
                /* The client holds it: a 304 with the headers this 200 would have had. */
                enum MHD_Result ret = respond_not_modified(conn, r, len, etag, cache);
                MHD_destroy_response(r);
                return ret;
        }
        return respond_queue(s, conn, status, r, len);
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

enum MHD_Result respond_json(struct http_server *s, struct MHD_Connection *conn, unsigned status,
                             json_t *o, const char *cache)
{
        if (!o)
                return MHD_NO;
        size_t len = 0;
        char *text = respond_json_text(o, &len);
        json_decref(o);
        if (!text)
                return MHD_NO;
        return respond_body(s, conn, status, text, len, RESPOND_JSON, cache);
}

enum MHD_Result respond_error(struct http_server *s, struct MHD_Connection *conn, unsigned status,
                              const char *message, bool api)
{
        if (api)
                return respond_json(s, conn, status, http_api_error(&s->ctx, (int)status, message), RESPOND_CACHE_NONE);
        struct http_buf b;
        http_buf_init(&b, PAGE_MAX);
        int r = http_page_error(&s->ctx, (int)status, message, &b);
        size_t len = 0;
        char *body = r < 0 ? NULL : http_buf_steal(&b, &len);
        http_buf_free(&b);
        if (!body)
                return MHD_NO;
        return respond_body(s, conn, status, body, len, RESPOND_HTML, RESPOND_CACHE_NONE);
}

enum MHD_Result respond_error_close(struct http_server *s, struct MHD_Connection *conn, unsigned status,
                                    const char *message, bool api)
{
        closing = true;
        enum MHD_Result r = respond_error(s, conn, status, message, api);
        closing = false;
        return r;
}

/* Renders a page into a body; returns its status or -errno. */
enum MHD_Result respond_page(struct http_server *s, struct MHD_Connection *conn, int status,
                             struct http_buf *b, const char *cache)
{
        if (status < 0) {
                http_buf_free(b);
                return respond_error(s, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, _("the page could not be rendered"), false);
        }
        size_t len = 0;
        char *body = http_buf_steal(b, &len);
        if (!body)
                return MHD_NO;
        return respond_body(s, conn, (unsigned)status, body, len, RESPOND_HTML, status == 200 ? cache : RESPOND_CACHE_NONE);
}

enum MHD_Result respond_redirect(struct MHD_Connection *conn, unsigned status, const char *location)
{
        struct MHD_Response *r = respond_static("", 0);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, RESPOND_CACHE_NONE);
        enum MHD_Result ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}
