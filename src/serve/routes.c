/* portscope serve — what each request gets: methods, dispatch by route, the port cache, feedback,
 * the map overlay and the Host check that guards what listens here. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"
#include "portscope/i18n.h"
#include "portscope/port.h"
#include "portscope/util.h"

/* What a cacheable route renders: its status, body (malloc'd), type and Cache-Control. */
struct rendered {
        int status; /* < 0: -errno */
        char *body;
        size_t len;
        const char *type, *cache;
};

static void render_json(struct rendered *out, int status, json_t *o, const char *cache)
{
        out->type = RESPOND_JSON;
        out->cache = cache;
        out->body = o ? respond_json_text(o, &out->len) : NULL;
        json_decref(o);
        out->status = out->body ? status : -ENOMEM;
}

static void render_page(struct rendered *out, int status, struct http_buf *b, const char *cache)
{
        out->type = RESPOND_HTML;
        out->cache = cache;
        out->body = status < 0 ? NULL : http_buf_steal(b, &out->len);
        http_buf_free(b);
        out->status = status < 0 ? status : out->body ? status : -ENOMEM;
}

/* Renders a route of cacheable_route(): pages and objects that depend on nothing but the request
 * target and the data the server holds. */
static void render_cacheable(struct http_server *s, const struct http_route *rt, struct rendered *out)
{
        const struct http_ctx *c = &s->ctx;
        struct http_buf b;
        int status = 500;
        http_buf_init(&b, PAGE_MAX);
        switch (rt->id) {
        case HTTP_ROUTE_PORT:
                render_page(out, http_page_port(c, rt->port, &b), &b, RESPOND_CACHE_LONG);
                return;
        case HTTP_ROUTE_SERVICE:
                render_page(out, http_page_service(c, rt->name, &b), &b, RESPOND_CACHE_LONG);
                return;
        case HTTP_ROUTE_SEARCH:
                render_page(out, http_page_search(c, rt->q, &b), &b, RESPOND_CACHE_SHORT);
                return;
        case HTTP_ROUTE_HOME:
                render_page(out, http_page_home(c, &b), &b, RESPOND_CACHE_LONG);
                return;
        case HTTP_ROUTE_RANGES:
                render_page(out, http_page_ranges(c, &b), &b, RESPOND_CACHE_LONG);
                return;
        case HTTP_ROUTE_MAP:
                render_page(out, http_page_map(c, false, rt->proto == PS_UDP ? PS_UDP : PS_TCP, &b), &b,
                            RESPOND_CACHE_LONG);
                return;
        /* The object first, then its status: the call sets it (argument order is unspecified). */
        case HTTP_ROUTE_API_PORT: {
                json_t *o;
                if (rt->form == HTTP_PORTS_ONE) {
                        o = http_api_port(c, rt->port);
                        status = 200;
                } else {
                        o = http_api_ports(c, rt, &status);
                }
                render_json(out, status, o, RESPOND_CACHE_LONG);
                break;
        }
        case HTTP_ROUTE_API_SERVICE: {
                json_t *o = http_api_service(c, rt->name, &status);
                render_json(out, status, o, RESPOND_CACHE_LONG);
                break;
        }
        case HTTP_ROUTE_API_LIST: {
                json_t *o = http_api_list(c, rt, &status);
                render_json(out, status, o, RESPOND_CACHE_LONG);
                break;
        }
        case HTTP_ROUTE_API_RANGES:
                render_json(out, 200, http_api_ranges(c), RESPOND_CACHE_LONG);
                break;
        case HTTP_ROUTE_API_SEARCH:
                render_json(out, 200, http_api_search(c, rt->q, rt->limit, rt->offset), RESPOND_CACHE_SHORT);
                break;
        default:
                out->status = -EINVAL;
                out->body = NULL;
                break;
        }
        http_buf_free(&b);
}

/* 503 with Retry-After: another wide range is being rendered (JSON: only the API has them). */
static int busy(struct http_server *s, h2o_req_t *hr)
{
        json_t *o = http_api_error(&s->ctx, 503,
                                   _("another wide port range is being rendered; ask again in a second, or for "
                                     "64 ports or fewer"));
        size_t len = 0;
        char *text = o ? respond_json_text(o, &len) : NULL;
        json_decref(o);
        if (!text)
                return -1;
        return respond_retry_after(s, hr, HTTP_SERVICE_UNAVAILABLE, text, len, RESPOND_JSON, 1);
}

static void free_cached(void *a, void *b)
{
        (void)b;
        respond_cached_free(a);
}

static void release_entry(void *cache, void *e)
{
        http_cache_release(cache, e);
}

static void unpin_entry(void *front, void *e)
{
        http_cache_front_unpin(front, e);
}

/* Serves a route that render_cacheable() renders, from the response cache when it holds the
 * target in the variant this request wants. Only 200 responses are kept: an error may echo what
 * the client sent (the name of a service that does not exist). */
static int serve_cacheable(struct http_server *s, h2o_req_t *hr, struct req *rq)
{
        bool gzip = respond_wants_gzip(hr);
        const struct ps_language *lang = ps_i18n_thread_language();
        char variant[HTTP_CACHE_VARIANT_MAX];
        http_cache_variant(variant, lang ? lang->code : NULL, gzip ? "gzip" : NULL);
        /* The key: the /xx prefix and the route's one spelling, so that "?junk=N" or "%73sh" is not
         * a new response to render and keep (the page's own links use it too). */
        char key[HTTP_TARGET_MAX + 8];
        size_t pre = rq->prefixed ? rq->lang_skip : 0;
        memcpy(key, rq->target, pre);
        size_t klen = http_route_canonical(&rq->route, true, key + pre, sizeof key - pre);
        if (klen == 0)
                return respond_error(s, hr, HTTP_INTERNAL_SERVER_ERROR, _("the page could not be rendered"),
                                     rq->route.api);
        /* The page's own links use that spelling (routes_on_request() began with the raw one). */
        if (!rq->target || klen != rq->target_len - pre || memcmp(key + pre, rq->target + pre, klen) != 0)
                http_lang_begin(rq->lang, rq->prefixed, key + pre, klen);
        klen += pre;
        /* From this thread's front when it has one: then e is borrowed, and pinned in the front
         * until the response is written; else held until then. */
        struct http_cache_front *front = server_front(s);
        struct http_cache_entry *e = front ? http_cache_front_get(front, key, klen, variant)
                                           : http_cache_get(s->cache, key, klen, variant);
        bool wide = rq->route.form == HTTP_PORTS_RANGE &&
                    (unsigned)(rq->route.port_hi - rq->route.port) >= HTTP_API_RANGE_KEPT;
        if (!e) {
                uint64_t generation = http_cache_generation(s->cache);
                struct rendered out;
                if (wide && atomic_fetch_add(&s->wide_renders, 1) > 0) {
                        atomic_fetch_sub(&s->wide_renders, 1);
                        return busy(s, hr);
                }
                render_cacheable(s, &rq->route, &out);
                if (wide)
                        atomic_fetch_sub(&s->wide_renders, 1);
                if (out.status < 0)
                        return respond_error(s, hr, HTTP_INTERNAL_SERVER_ERROR, _("the page could not be rendered"),
                                             rq->route.api);
                if (out.status != HTTP_OK)
                        return respond_body(s, hr, (unsigned)out.status, out.body, out.len, out.type,
                                            out.type == RESPOND_HTML ? RESPOND_CACHE_NONE : out.cache);
                struct cached *c = respond_cached_variant(out.body, out.len, out.type, out.cache, gzip);
                if (!c)
                        return -1;
                if (wide || !http_cache_vary_covered(c->vary)) {
                        /* A wide range, or it varies on a header the variant does not capture:
                         * served, never kept. */
                        return respond_cached(s, hr, c, (struct respond_hold){ free_cached, c, NULL });
                }
                e = http_cache_put(s->cache, key, klen, variant, c, c->size, generation);
                if (!e)
                        return -1;
                front = NULL; /* held, not from the front */
        } else if (front) {
                http_cache_front_pin(front, e);
        }
        struct cached *c = http_cache_value(e);
        return respond_cached(s, hr, c,
                              front ? (struct respond_hold){ unpin_entry, front, e }
                                    : (struct respond_hold){ release_entry, s->cache, e });
}

/* "" or ":PORT" (1 to 5 digits, at most 65535): what may follow a Host's name. */
static bool port_suffix_ok(const char *p)
{
        if (!*p)
                return true;
        size_t n = strlen(p + 1);
        uint16_t port;
        return p[0] == ':' && n <= 5 && ps_port_parse_n(p + 1, n, &port) == 0;
}

/* Who the request is for: the authority of an absolute-form target, which replaces the Host
 * header (RFC 9112, section 3.2.2), else the Host header; NULL when there is neither. */
static const char *request_host(const struct req *rq)
{
        return rq->host ? rq->host : rq->host_header;
}

/* Whether the request's host names this machine by address or as "localhost". What listens here
 * is served only then: a page of another site whose name was rebound to 127.0.0.1 (DNS
 * rebinding) sends its own name. */
static bool host_is_local_literal(h2o_req_t *hr, const struct req *rq)
{
        const char *host = request_host(rq);
        if (!host)
                return true; /* HTTP/1.0 without Host: not a browser */
        char h[INET6_ADDRSTRLEN + 8];
        size_t n = strlen(host);
        if (n == 0 || n >= sizeof h)
                return false;
        memcpy(h, host, n + 1);
        if (h[0] == '[') {
                char *end = strchr(h, ']');
                if (!end || !port_suffix_ok(end + 1))
                        return false;
                *end = '\0';
                struct in6_addr a6;
                return inet_pton(AF_INET6, h + 1, &a6) == 1;
        }
        char *colon = strchr(h, ':');
        if (colon) {
                if (!port_suffix_ok(colon))
                        return false;
                *colon = '\0';
        }
        struct in_addr a4;
        return strcasecmp(h, "localhost") == 0 || inet_pton(AF_INET, h, &a4) == 1;
}

/* The request's header `lname` (lower case; the last when repeated), NUL-terminated in its pool,
 * or NULL: for headers h2o has no token for. */
static const char *header_str(h2o_req_t *hr, const char *lname)
{
        ssize_t i = -1, last = -1;
        while ((i = h2o_find_header_by_str(&hr->headers, lname, strlen(lname), i)) != -1)
                last = i;
        if (last < 0)
                return NULL;
        const h2o_iovec_t *v = &hr->headers.entries[last].value;
        return h2o_strdup(&hr->pool, v->base, v->len).base;
}

/* Whether the request comes from one of this site's own pages, or from no page at all: a browser
 * names the page's origin (Origin) on a form's POST and on another site's fetch(); it must be
 * this server, as the client addressed it (request_host()). curl and the like send none. */
static bool origin_is_ours(h2o_req_t *hr, const struct req *rq)
{
        const char *origin = header_str(hr, "origin");
        const char *host = request_host(rq);
        if (origin)
                return host && strncmp(origin, "http://", 7) == 0 && strcmp(origin + 7, host) == 0;
        /* No Origin (an older browser, or a request that carries none): what else a browser says
         * of where the request comes from must not name another site either. */
        const char *site = header_str(hr, "sec-fetch-site");
        if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
                return false;
        const char *referer = respond_header_str(hr, H2O_TOKEN_REFERER);
        if (!referer)
                return true;
        size_t hl = host ? strlen(host) : 0;
        return host && strncmp(referer, "http://", 7) == 0 && strncmp(referer + 7, host, hl) == 0 &&
               (referer[7 + hl] == '/' || referer[7 + hl] == '\0');
}

static int serve_feedback_post(struct http_server *s, h2o_req_t *hr, struct req *rq)
{
        if (!s->ctx.feedback)
                return respond_error(s, hr, HTTP_NOT_FOUND, _("feedback is switched off on this server"), false);
        char page[512], vote_s[16], note[HTTP_NOTE_MAX + 1];
        int pn = http_query_get(rq->body, rq->body_len, "page", page, sizeof page);
        /* vote=no|somewhat|yes; the older helpful=yes|no is still taken. */
        int vn = http_query_get(rq->body, rq->body_len, "vote", vote_s, sizeof vote_s);
        if (vn == -ENOENT)
                vn = http_query_get(rq->body, rq->body_len, "helpful", vote_s, sizeof vote_s);
        enum http_vote vote = HTTP_NVOTES;
        if (vn > 0)
                vote = strcmp(vote_s, "yes") == 0        ? HTTP_VOTE_YES
                       : strcmp(vote_s, "somewhat") == 0 ? HTTP_VOTE_SOMEWHAT
                       : strcmp(vote_s, "no") == 0       ? HTTP_VOTE_NO
                                                         : HTTP_NVOTES;
        if (pn <= 0 || vote == HTTP_NVOTES)
                return respond_error(s, hr, HTTP_BAD_REQUEST,
                                     _("expected a form with page=/PATH and vote=no, vote=somewhat or vote=yes"), false);
        int nn = http_query_get(rq->body, rq->body_len, "note", note, sizeof note);
        if (nn < 0 && nn != -ENOENT && nn != -E2BIG)
                return respond_error(s, hr, HTTP_BAD_REQUEST, _("the note is not valid UTF-8 text"), false);
        if (nn < 0 && nn != -E2BIG)
                note[0] = '\0';
        /* The form counts characters (maxlength="300"): so does the server, whatever the script. */
        size_t chars = 0, nlen = nn > 0 ? (size_t)nn : 0;
        for (size_t i = 0; i < nlen; chars++) {
                uint32_t cp;
                size_t k = ps_utf8_seq(note + i, nlen - i, &cp);
                i += k ? k : 1;
        }
        if (nn == -E2BIG || chars > HTTP_NOTE_CHARS)
                return respond_error(s, hr, HTTP_BAD_REQUEST, _("the note is longer than 300 characters"), false);
        /* Listening on loopback, a vote must name this machine (Host): another site's page whose
         * name was rebound to 127.0.0.1 (DNS rebinding) names its own, and its Origin matches it. */
        if (s->loopback && !host_is_local_literal(hr, rq))
                return respond_error(s, hr, HTTP_MISDIRECTED_REQUEST,
                                     _("votes are taken only by this machine's address (Host: 127.0.0.1, [::1] or "
                                       "localhost)"),
                                     false);
        /* Votes come from this site's own form: a browser sends its Origin, which must be us. */
        if (!origin_is_ours(hr, rq))
                return respond_error(s, hr, HTTP_FORBIDDEN, _("votes are taken only from this site's own pages"),
                                     false);
        if (!http_feedback_page_valid(&s->ctx, page, sizeof page))
                return respond_error(s, hr, HTTP_BAD_REQUEST, _("feedback is taken only for pages of this site"),
                                     false);
        if (!http_ratelimit_take(s->votes, rq->conn ? rq->conn->key : NULL, rq->conn ? rq->conn->klen : 0, (double)server_now_ns() / 1e9)) {
                atomic_fetch_add_explicit(&s->m.votes_limited, 1, memory_order_relaxed);
                struct http_buf b;
                http_buf_init(&b, PAGE_MAX);
                int st = http_page_error(&s->ctx, 429,
                                         _("Too many votes from your address for now. Thank you all the same; try again "
                                         "in a few minutes."),
                                         &b);
                size_t len = 0;
                char *body = st < 0 ? NULL : http_buf_steal(&b, &len);
                http_buf_free(&b);
                if (!body)
                        return -1;
                return respond_retry_after(s, hr, HTTP_TOO_MANY_REQUESTS, body, len, RESPOND_HTML,
                                           s->feedback_refill);
        }
        if (http_feedback_vote(s->ctx.feedback, page, vote, note) < 0)
                return respond_error(s, hr, HTTP_SERVICE_UNAVAILABLE,
                                     _("the vote could not be stored right now (the store is busy); please try again"), false);
        atomic_fetch_add_explicit(&s->m.votes_total, 1, memory_order_relaxed);
        struct http_buf loc;
        http_buf_init(&loc, 2048);
        http_buf_puts(&loc, page_prefix());
        http_buf_puts(&loc, "/feedback?page=");
        http_url_encode(&loc, page, (size_t)-1);
        http_buf_puts(&loc, "&voted=1");
        if (loc.error) {
                http_buf_free(&loc);
                return -1;
        }
        int ret = respond_redirect(hr, HTTP_SEE_OTHER, http_buf_str(&loc));
        http_buf_free(&loc);
        return ret;
}

static int serve_feedback_get(struct http_server *s, h2o_req_t *hr, struct req *rq)
{
        if (!s->ctx.feedback)
                return respond_error(s, hr, HTTP_NOT_FOUND, _("feedback is switched off on this server"), false);
        const char *qm = strchr(rq->target, '?');
        char page[512];
        int n = qm ? http_query_get(qm + 1, strlen(qm + 1), "page", page, sizeof page) : -ENOENT;
        if (n <= 0 || !http_feedback_page_valid(&s->ctx, page, sizeof page))
                return respond_error(s, hr, HTTP_BAD_REQUEST, _("expected /feedback?page=/PATH of a page"), false);
        /* The redirect after a vote adds voted=1: only then does the page thank the reader. Without
         * it (a link, a bookmark) it shows the counts, and thanks nobody for a vote not given. */
        char voted[4];
        bool thanks = http_query_get(qm + 1, strlen(qm + 1), "voted", voted, sizeof voted) == 1 && voted[0] == '1';
        struct http_buf b;
        http_buf_init(&b, PAGE_MAX);
        return respond_page(s, hr, http_page_votes(&s->ctx, page, thanks, &b), &b, RESPOND_CACHE_NONE);
}

static int serve_map_png_local(struct http_server *s, h2o_req_t *hr, struct req *rq)
{
        uint8_t *classes = malloc(65536);
        if (!classes)
                return -1;
        memcpy(classes, s->classes, 65536);
        uint8_t *listening = malloc(65536);
        if (!listening) {
                free(classes);
                return -1;
        }
        if (http_local_listening(listening) == 0)
                for (unsigned p = 0; p < 65536; p++)
                        if (listening[p])
                                classes[p] = HTTP_MAP_LISTENING;
        free(listening);
        uint8_t *png = NULL;
        size_t len = 0;
        int r = http_map_png(classes, &png, &len);
        free(classes);
        if (r < 0)
                return -1;
        return respond_body(s, hr, HTTP_OK, (char *)png, len, RESPOND_PNG, RESPOND_CACHE_NONE);
}

/* Whether the target's query has local=1 (/map?local=1): the parameter, not the text anywhere
 * ("nolocal=1" is not it). */
static bool asks_local(const struct req *rq)
{
        const char *qm = rq->target ? strchr(rq->target, '?') : NULL;
        char v[2];
        return qm && http_query_get(qm + 1, strlen(qm + 1), "local", v, sizeof v) == 1 && v[0] == '1';
}

static int dispatch_get(struct http_server *s, h2o_req_t *hr, struct req *rq)
{
        const struct http_route *rt = &rq->route;
        struct http_buf b;
        if (rt->moved) {
                char loc[48];
                snprintf(loc, sizeof loc, "%s/ports/%u", page_prefix(), (unsigned)rt->port);
                return respond_redirect(hr, HTTP_MOVED_PERMANENTLY, loc);
        }
        switch (rt->id) {
        case HTTP_ROUTE_PORT:
        case HTTP_ROUTE_SERVICE:
        case HTTP_ROUTE_HOME:
        case HTTP_ROUTE_RANGES:
        case HTTP_ROUTE_API_PORT:
        case HTTP_ROUTE_API_SERVICE:
        case HTTP_ROUTE_API_LIST:
        case HTTP_ROUTE_API_RANGES:
        case HTTP_ROUTE_API_SEARCH:
                return serve_cacheable(s, hr, rq);
        case HTTP_ROUTE_HEALTHZ:
                return respond_cached(s, hr, s->fixed[rt->id], NO_HOLD);
        case HTTP_ROUTE_STYLE:
                /* The pages link /style.css?v=HASH: a new stylesheet is a new URL. */
                if (rq->target && strncmp(rq->target, "/style.css?v=", 13) == 0 &&
                    strcmp(rq->target + 13, http_page_style_version()) == 0)
                        return respond_cached(s, hr, s->style_versioned, NO_HOLD);
                return respond_cached(s, hr, s->fixed[rt->id], NO_HOLD);
        case HTTP_ROUTE_MAP:
                if (!(s->ctx.show_local && asks_local(rq) && host_is_local_literal(hr, rq)))
                        return serve_cacheable(s, hr, rq);
                http_buf_init(&b, PAGE_MAX);
                return respond_page(s, hr, http_page_map(&s->ctx, true, -1, &b), &b, RESPOND_CACHE_NONE);
        case HTTP_ROUTE_MAP_PNG:
                if (rt->local && s->ctx.show_local && host_is_local_literal(hr, rq))
                        return serve_map_png_local(s, hr, rq);
                return respond_cached(s, hr, rt->proto == PS_UDP ? s->map_udp_png : s->fixed[rt->id], NO_HOLD);
        case HTTP_ROUTE_MAP_CLICK: {
                char loc[48];
                if (rt->x < 0)
                        snprintf(loc, sizeof loc, "%s/map#goto", page_prefix());
                else
                        snprintf(loc, sizeof loc, "%s/ports/%d", page_prefix(), (rt->y / 2) * 256 + rt->x / 2);
                return respond_redirect(hr, HTTP_SEE_OTHER, loc);
        }
        case HTTP_ROUTE_SEARCH: {
                /* A bare port number goes straight to its page. */
                uint16_t port;
                const char *q = rt->q;
                size_t ql = strlen(q);
                bool digits = ql > 0 && ql <= 5 && strspn(q, "0123456789") == ql;
                if (digits) {
                        unsigned v = 0;
                        for (size_t i = 0; i < ql; i++)
                                v = v * 10 + (unsigned)(q[i] - '0');
                        if (v <= 65535) {
                                port = (uint16_t)v;
                                char loc[48];
                                snprintf(loc, sizeof loc, "%s/ports/%u", page_prefix(), (unsigned)port);
                                return respond_redirect(hr, HTTP_SEE_OTHER, loc);
                        }
                }
                return serve_cacheable(s, hr, rq);
        }
        case HTTP_ROUTE_STATS:
                http_buf_init(&b, PAGE_MAX);
                return respond_page(s, hr, http_page_stats(&s->ctx, &b), &b, RESPOND_CACHE_NONE);
        case HTTP_ROUTE_FEEDBACK:
                return serve_feedback_get(s, hr, rq);
        case HTTP_ROUTE_API_LISTENERS: {
                if (!s->ctx.show_local)
                        return respond_error(s, hr, HTTP_NOT_FOUND,
                                             _("listeners are not served: start portscope serve with --show-local"), true);
                if (!host_is_local_literal(hr, rq))
                        return respond_error(s, hr, HTTP_MISDIRECTED_REQUEST,
                                             _("listeners are served only to requests for this machine's address "
                                             "(Host: 127.0.0.1, [::1] or localhost)"),
                                             true);
                if (!origin_is_ours(hr, rq))
                        return respond_error(s, hr, HTTP_FORBIDDEN,
                                             _("listeners are served only to this site's own pages"), true);
                int status = 500;
                json_t *o = http_api_listeners(&s->ctx, &status);
                size_t len = 0;
                char *text = o ? respond_json_text(o, &len) : NULL;
                json_decref(o);
                if (!text)
                        return -1;
                return respond_body(s, hr, (unsigned)status, text, len, RESPOND_JSON_LOCAL, RESPOND_CACHE_NONE);
        }
        case HTTP_ROUTE_METRICS:
                return metrics_serve(s, hr);
        case HTTP_ROUTE_NONE:
        case HTTP_NROUTES:
                break;
        }
        return respond_error(s, hr, HTTP_NOT_FOUND, _("no such page"), rt->api);
}

/* Chooses the request's language: its /xx prefix (then the rest of the target is the route), or
 * Accept-Language on a plain path; the API speaks English whatever the client asks. */
static void choose_language(h2o_req_t *hr, struct req *rq)
{
        size_t n = 0;
        const struct ps_language *english = ps_languages(&n);
        size_t skip = 0;
        const struct ps_language *lang = rq->target ? http_lang_split(rq->target, rq->target_len, &skip) : NULL;
        if (lang) {
                if (skip == rq->target_len || rq->target[skip] == '?')
                        http_route_parse("/", 1, &rq->route);
                else
                        http_route_parse(rq->target + skip, rq->target_len - skip, &rq->route);
                /* A page's own error ("/fr/ports/abc": not a port) is kept, in the language. */
                if (!http_route_has_language(rq->route.id) && !(rq->route.status && !rq->route.api)) {
                        /* /he/api/..., /he/metrics: only pages have languages. */
                        http_route_clear(&rq->route);
                        rq->route.status = HTTP_NOT_FOUND;
                        rq->route.error = N_("no such page");
                }
                rq->lang = lang;
                rq->prefixed = true;
                rq->lang_skip = skip;
                return;
        }
        if (rq->target)
                http_route_parse(rq->target, rq->target_len, &rq->route);
        rq->prefixed = false;
        rq->lang_skip = 0;
        rq->lang = rq->target && rq->route.api
                           ? english
                           : ps_language_negotiate(respond_header_str(hr, H2O_TOKEN_ACCEPT_LANGUAGE));
}

/* The request this thread's handler is answering, for routes_note_sent(). */
static _Thread_local struct req *current;

void routes_note_sent(size_t bytes)
{
        if (current)
                current->sent = (long long)bytes;
}

void routes_hold(struct respond_hold hold)
{
        current->hold = hold; /* one response per request, always inside routes_on_request() */
}

/* Why a request is refused before it is routed (a msgid), or NULL, from its head as sent
 * (http_head_shape()):
 * - what RFC 9112 says a server must refuse (400): an HTTP/1.1 request without exactly one Host
 *   (section 3.2), and a message whose length is said twice, by two different Content-Lengths or
 *   by a Content-Length beside a Transfer-Encoding (section 6.3: a proxy and this server could
 *   then disagree on where the next request begins); the connection is closed after the answer;
 *   (h2o itself refuses a Transfer-Encoding other than chunked, 400, and closes);
 * - a head larger than HEAD_MAX (431). */
static const char *refused(h2o_req_t *hr, const struct http_head_shape *sh, unsigned *status)
{
        *status = HTTP_BAD_REQUEST;
        if (sh->hosts > 1 || (sh->hosts == 0 && hr->version >= 0x101))
                return N_("an HTTP/1.1 request needs exactly one Host header");
        if (sh->lengths_differ || (sh->lengths && sh->encodings))
                return N_("the request's length is given twice (Content-Length and Transfer-Encoding, or two "
                          "Content-Lengths)");
        if (sh->encodings > 1 || sh->not_chunked) {
                /* Where the body ends is unknown: the connection cannot go on either. */
                *status = HTTP_NOT_IMPLEMENTED;
                return N_("the request's Transfer-Encoding is not chunked, the only one this server reads");
        }
        *status = HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE;
        if (sh->bytes > HEAD_MAX)
                return N_("the request's headers are too large (cookies?)");
        return NULL;
}

/* The head of the request as its client sent it: the input buffer of its connection's socket
 * begins with it while the request is answered (h2o consumes it after the response). */
static void head_shape(const struct req *rq, struct http_head_shape *sh)
{
        if (rq->conn) {
                http_head_shape(rq->conn->sock->input->bytes, rq->conn->sock->input->size, sh);
                return;
        }
        memset(sh, 0, sizeof *sh); /* not a connection serve accepted: nothing to read */
        sh->hosts = 1;
}

static int on_request(struct http_server *s, h2o_req_t *hr, struct req *rq, const struct http_head_shape *sh)
{
        unsigned status = 0;
        const char *bad = refused(hr, sh, &status);
        if (bad) {
                /* A 400 or 501 ends the connection: what follows cannot be trusted to be a request. */
                return status != HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE
                               ? respond_error_close(s, hr, status, _(bad), rq->route.api)
                               : respond_error(s, hr, status, _(bad), rq->route.api);
        }
        if (!rq->target)
                return respond_error(s, hr, HTTP_URI_TOO_LONG, _("the request target is too long"), rq->api_target);
        const h2o_iovec_t *m = &hr->input.method;
        bool get = h2o_memis(m->base, m->len, H2O_STRLIT("GET")) || h2o_memis(m->base, m->len, H2O_STRLIT("HEAD"));
        bool post = h2o_memis(m->base, m->len, H2O_STRLIT("POST"));
        /* OPTIONS * asks about the server as a whole (RFC 9110, section 9.3.7): it takes no
         * OPTIONS, and says which methods it does take. */
        if (h2o_memis(m->base, m->len, H2O_STRLIT("OPTIONS")) && rq->target_len == 1 && rq->target[0] == '*')
                return respond_method_not_allowed(s, hr, rq->route.api, "GET, HEAD, POST");
        if (rq->route.status)
                return respond_error(s, hr, (unsigned)rq->route.status,
                                     rq->route.error ? _(rq->route.error) : _("no such page"), rq->route.api);
        if (rq->route.id == HTTP_ROUTE_FEEDBACK) {
                if (!get && !post)
                        return respond_method_not_allowed(s, hr, false, "GET, HEAD, POST");
                if (post) {
                        /* h2o has read it whole, at most BODY_MAX bytes (more: its own 413). */
                        rq->body = h2o_strdup(&hr->pool, hr->entity.base ? hr->entity.base : "", hr->entity.len).base;
                        rq->body_len = hr->entity.len;
                        return serve_feedback_post(s, hr, rq);
                }
        } else if (!get) {
                return respond_method_not_allowed(s, hr, rq->route.api, "GET, HEAD");
        }
        return dispatch_get(s, hr, rq);
}

/* Every call speaks the request's language, and leaves the thread as it found it. */
void routes_on_request(struct http_server *s, struct req *rq)
{
        h2o_req_t *hr = rq->hr;
        struct http_head_shape sh;
        head_shape(rq, &sh);
        /* What h2o keeps of the Host header (it sets a default when there is none). */
        if (sh.hosts == 1 && hr->input.authority.base)
                rq->host_header = h2o_strdup(&hr->pool, hr->input.authority.base, hr->input.authority.len).base;
        choose_language(hr, rq);
        http_lang_begin(rq->lang, rq->prefixed, rq->target ? rq->target + rq->lang_skip : "/",
                        rq->target ? rq->target_len - rq->lang_skip : 1);
        current = rq;
        int r = on_request(s, hr, rq, &sh);
        current = NULL;
        http_lang_end();
        if (r < 0 && rq->sent < 0) { /* nothing started */
                /* Out of memory: an answer all the same, and the end of the connection. */
                hr->http1_is_persistent = 0;
                h2o_send_error_500(hr, "Internal Server Error", "out of memory\n", H2O_SEND_ERROR_HTTP1_CLOSE_CONNECTION);
        }
}
