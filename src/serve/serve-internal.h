/* portscope serve — internals shared by the files of src/serve (not a public interface).
 *
 * Unit tests and the fuzzer include this header too: the buffer, the escapers, the request
 * target parser, the head scanner and the rate limiter are pure and have no dependency on h2o. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "portscope/dynbuf.h"
#include "portscope/i18n.h"
#include "portscope/knowledge.h"
#include "portscope/registry.h"

#include <jansson.h>

/* ---- the page buffer: a dynbuf that remembers its first failure ------------------------- */

/* Appends go to a dynbuf (include/portscope/dynbuf.h); the first one that fails (past max, or
 * out of memory) is kept in error and later appends are ignored, so a renderer appends freely
 * and checks once at the end. */
struct http_buf {
        struct dynbuf d;
        int error; /* 0, or the first failure: -E2BIG (past max) or -ENOMEM */
};

static inline void http_buf_init(struct http_buf *b, size_t max)
{
        dynbuf_init(&b->d, max);
        b->error = 0;
}

/* Frees the bytes; b is empty, without error, with the same maximum. Accepts a freed buffer. */
static inline void http_buf_free(struct http_buf *b)
{
        dynbuf_free(&b->d);
        b->error = 0;
}

/* The contents, NUL-terminated (borrowed, valid until the next append); meaningful when !error. */
static inline const char *http_buf_str(const struct http_buf *b)
{
        return dynbuf_ptr(&b->d);
}

static inline size_t http_buf_len(const struct http_buf *b)
{
        return dynbuf_len(&b->d);
}

static inline void http_buf_add(struct http_buf *b, const void *data, size_t len)
{
        if (!b->error)
                b->error = dynbuf_add(&b->d, data, len);
}

static inline void http_buf_puts(struct http_buf *b, const char *s)
{
        http_buf_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
void http_buf_printf(struct http_buf *b, const char *fmt, ...);
/* Hands the bytes over: returns them NUL-terminated (caller frees) and empties b, or NULL (and
 * frees b) when an append failed or memory ran out. */
char *http_buf_steal(struct http_buf *b, size_t *ret_len);

/* ---- escaping ----------------------------------------------------------------------------- */

/* Appends s[0..len) (len (size_t)-1: NUL-terminated) as HTML text that is safe both between
 * tags and inside a quoted attribute: & < > " ' are replaced by entities, control characters
 * other than tab and newline and invalid UTF-8 sequences by U+FFFD. */
void http_html_escape(struct http_buf *b, const char *s, size_t len);
/* Appends s percent-encoded for a path segment or query value (unreserved bytes kept). */
void http_url_encode(struct http_buf *b, const char *s, size_t len);
/* Percent-decodes s[0..len) into out (size outlen, NUL-terminated); plus_space turns '+' into
 * ' ' (query strings). Rejects bad escapes, NUL bytes and invalid UTF-8 with -EINVAL, output
 * longer than outlen-1 with -E2BIG. Returns the decoded length. */
int http_url_decode(const char *s, size_t len, bool plus_space, char *out, size_t outlen);

/* ---- request targets ---------------------------------------------------------------------- */

enum http_route_id {
        HTTP_ROUTE_NONE = 0, /* no such path: 404 */
        HTTP_ROUTE_HOME,
        HTTP_ROUTE_SEARCH,
        HTTP_ROUTE_PORT,
        HTTP_ROUTE_SERVICE,
        HTTP_ROUTE_RANGES,
        HTTP_ROUTE_MAP,
        HTTP_ROUTE_MAP_PNG,
        HTTP_ROUTE_MAP_CLICK,
        HTTP_ROUTE_STATS,
        HTTP_ROUTE_FEEDBACK,
        HTTP_ROUTE_API_PORT,
        HTTP_ROUTE_API_SEARCH,
        HTTP_ROUTE_API_LISTENERS,
        HTTP_ROUTE_API_SERVICE,
        HTTP_ROUTE_API_RANGES,
        HTTP_ROUTE_API_LIST,
        HTTP_ROUTE_METRICS,
        HTTP_ROUTE_HEALTHZ,
        HTTP_ROUTE_STYLE, /* /style.css: the pages' one stylesheet */
        HTTP_NROUTES
};
const char *http_route_name(enum http_route_id id); /* a label for logs and metrics */

#define HTTP_TARGET_MAX 4096 /* longest request target accepted (longer: 414) */
#define HTTP_QUERY_MAX 256   /* longest decoded search query (longer: 400) */
#define HTTP_NAME_MAX 128    /* longest decoded service name in /services/NAME */

/* What /api/v1/ports/X names. */
enum http_port_form {
        HTTP_PORTS_ONE = 0, /* N */
        HTTP_PORTS_PROTO,   /* N/PROTO */
        HTTP_PORTS_RANGE,   /* A-B */
        HTTP_PORTS_NAME,    /* a service name */
};

#define HTTP_API_RANGE_MAX 1024 /* most ports in one /api/v1/ports/A-B */
/* Wider ranges are served, not kept: 64k windows of up to 3 MB each would push every page out of
 * the cache. */
#define HTTP_API_RANGE_KEPT 64
#define HTTP_API_LIST_MAX 1000  /* largest limit of /api/v1/list */

struct http_route {
        enum http_route_id id;
        bool api;                  /* errors are answered in JSON */
        int status;                /* 0, or the error status the target deserves (400, 404, 414) */
        const char *error;         /* static text explaining status, or NULL */
        uint16_t port;             /* PORT, API_PORT */
        uint16_t port_hi;          /* API_PORT: last port of A-B (= port otherwise) */
        enum http_port_form form;  /* API_PORT */
        int proto;                 /* API_PORT N/PROTO, API_LIST: enum ps_proto, -1 for any */
        int status_filter;         /* API_LIST: enum registry_status, -1 for any */
        int range;                 /* API_LIST: enum ps_range, -1 for any */
        unsigned limit, offset;    /* API_LIST */
        /* http_route_clear() zeroes what comes before name and sets each field after q by name. */
        char name[HTTP_NAME_MAX];  /* SERVICE, API_SERVICE, API_PORT NAME: decoded name */
        char q[HTTP_QUERY_MAX + 1]; /* SEARCH, API_SEARCH: decoded q ("" when absent) */
        bool has_q;
        int x, y;                  /* MAP_CLICK: ISMAP coordinates, -1 when absent */
        bool local;                /* MAP_PNG: ?local=1 overlay */
        bool moved;                /* PORT: another spelling of the page ("/ports/0625"): 301 to it */
        /* MAP, MAP_PNG: ?proto=udp shows udp; tcp otherwise (proto stays -1 when not given) */
};

/* An absolute-form request target (RFC 9112, section 3.2.2): "http://127.0.0.1:6335/ports/22?x". */
struct http_absolute {
        size_t host_off, host_len; /* its authority: a host (name, IPv4, [IPv6]) and an optional :PORT */
        size_t path_off;           /* its path and query, to the target's end ("" or "?..." mean "/...") */
};
/* Splits target[0..len) when it is an http URI (the scheme in any case) whose authority is a host
 * name, an IPv4 address or a bracketed IPv6 address, with an optional :PORT of 1 to 5 digits and
 * at most 65535, and no user info. Returns 0, -EPROTONOSUPPORT when the target is no http URI
 * (another scheme, or none: "*", "ports/22"), -EINVAL when its authority is malformed. Pure. */
int http_target_absolute(const char *target, size_t len, struct http_absolute *ret);
/* Whether a raw request target asks the API, whose errors are JSON: its path begins with /api/,
 * as sent ("/api/v1/ports/22") or after a URI's scheme and authority, even one this server
 * refuses ("http://h:99999/api/...", "https://h/api/..."). Pure. */
bool http_target_api(const char *target, size_t len);
/* Parses a raw origin-form request target ("/ports/625?x=1", not yet percent-decoded; an
 * absolute-form target gives its path and query, see http_target_absolute()) into ret. Always
 * fills ret: a target that names nothing gets HTTP_ROUTE_NONE and status 404; one that names a
 * route with bad parameters gets the route's id and status 400 with error set. Never fails. */
void http_route_parse(const char *target, size_t len, struct http_route *ret);
/* No route yet: HTTP_ROUTE_NONE, no status, every filter "any", empty name and query. */
void http_route_clear(struct http_route *r);
/* The one spelling of a parsed route's target ("/services/%73sh?x=1" → "/services/ssh";
 * "/ports/0022" → "/ports/22"), with the query parameters the route reads when query is true
 * (search's q, the map's proto, list's filters) and no others. Writes it to out, NUL-terminated,
 * and returns its length; 0 for a route in error or without one (or when it does not fit). The
 * response cache keys on it, so that junk in a query is not a new page to render and keep. */
size_t http_route_canonical(const struct http_route *r, bool query, char *out, size_t len);
/* Whether an Accept-Encoding value takes gzip: "gzip" or "x-gzip" in any case, or "*", without a
 * weight of zero ("gzip;q=0" refuses it; a named coding decides over "*"). */
bool http_accepts_gzip(const char *accept_encoding);
/* The same over several Accept-Encoding lines, which are one list (RFC 9110, section 5.3): each
 * line scanned into the state, in order; a later mention of gzip or "*" overrides an earlier. */
struct http_accept_encoding {
        int gzip, any; /* -1: not named; 0: refused (q=0); 1: taken */
};
#define HTTP_ACCEPT_ENCODING_INIT { -1, -1 }
void http_accept_encoding_scan(const char *accept_encoding, struct http_accept_encoding *st);
bool http_accept_encoding_gzip(const struct http_accept_encoding *st);

/* ---- a request's head as sent (head.c) ------------------------------------------------------ */

/* What the header lines of a request head say of who it is for and where it ends. */
struct http_head_shape {
        unsigned hosts, lengths, encodings; /* Host, Content-Length, Transfer-Encoding lines */
        bool lengths_differ;                /* two Content-Lengths with different values */
        bool not_chunked;                   /* a Transfer-Encoding other than "chunked" alone */
        size_t bytes;                       /* the head's length, its empty line included */
};
/* Scans raw[0..len): a request line, header lines ("\r\n" or "\n"), up to the empty line that
 * ends the head (or len). Header names in any case. Pure; never reads past len. */
void http_head_shape(const char *raw, size_t len, struct http_head_shape *ret);

/* ---- the language of a page (lang.c) ------------------------------------------------------- */

/* The language a target's first segment names ("/he", "/he/ports/625"), with *ret_skip the bytes
 * of that prefix ("/he"); NULL (and 0) when it names none. Pure. */
const struct ps_language *http_lang_split(const char *target, size_t len, size_t *ret_skip);
/* Whether a route is a page that exists in every language (/he/ports/625); the API, the image,
 * /metrics and /healthz are not. */
bool http_route_has_language(enum http_route_id id);
/* This thread writes pages in lang from now on: _() speaks it, links keep its /xx prefix when
 * prefixed, and path (the target without prefix) names the page for its alternates. path[len]
 * must be readable: when it is '\0', path itself is used and must last until http_lang_end(),
 * else its first len bytes are copied. */
void http_lang_begin(const struct ps_language *lang, bool prefixed, const char *path, size_t len);
/* Back to the process's language, unprefixed. */
void http_lang_end(void);
/* Whether the page being written came by a prefixed path (else its language was negotiated:
 * its responses vary with Accept-Language). */
bool page_prefixed(void);
/* The page's language prefix ("/he", or "" on a plain path) and its path without it ("/ports/625"). */
const char *page_prefix(void);
const char *page_path(void);

/* Finds key in a raw query string ("a=1&b=2") and decodes its value into out (see
 * http_url_decode). Returns the decoded length, -ENOENT when absent, -EINVAL, -E2BIG. */
int http_query_get(const char *query, size_t len, const char *key, char *out, size_t outlen);

/* Writes day ("YYYY-MM-DD") as an HTTP-date at midnight GMT ("Fri, 10 Jan 2025 00:00:00 GMT")
 * into out; out is "" when day is not such a date. */
void http_date_of_day(const char *day, char *out, size_t outlen);

/* ---- rate limiting ------------------------------------------------------------------------ */

/* A token bucket per client address in a fixed table: at most burst actions at once, refilled at
 * one action per refill_seconds. When the table is full the stalest slot is reused, so memory
 * stays bounded whatever the number of clients. Thread-safe. */
struct http_ratelimit;
struct http_ratelimit *http_ratelimit_new(unsigned burst, double refill_seconds, size_t slots);
void http_ratelimit_free(struct http_ratelimit *rl); /* accepts NULL */
/* Takes one token for key at time now (seconds, monotonic); false when the bucket is empty. */
bool http_ratelimit_take(struct http_ratelimit *rl, const void *key, size_t keylen, double now);

/* ---- hashing ------------------------------------------------------------------------------ */

/* SHA-256 of data, as base64 (44 characters + NUL) for a CSP hash source. */
void http_sha256_base64(const void *data, size_t len, char out[45]);

/* ---- the status of every port, for the map ------------------------------------------------ */

enum http_map_class {
        HTTP_MAP_UNASSIGNED = 0,
        HTTP_MAP_ASSIGNED = 1,
        HTTP_MAP_RESERVED = 2,
        HTTP_MAP_UNOFFICIAL = 3, /* unassigned, but the knowledge file knows a use */
        HTTP_MAP_LISTENING = 4,  /* overlay: something listens here on this machine */
        HTTP_MAP_WIDE = 5,       /* unassigned, inside a wide range a known program may pick from (drawn hatched) */
        HTTP_NMAP_CLASSES
};
const char *http_map_class_name(enum http_map_class c);
/* One class per port (tcp or udp assigned wins, then reserved, then knowledge). */
void http_map_classify(const struct registry *r, const struct knowledge *k, uint8_t classes[65536]);
/* The same for one protocol (proto: enum ps_proto, or -1 for any). A port that only a knowledge
 * entry spanning more than HTTP_MAP_WIDE_SPAN ports explains (RTP's 10000-20000, Kubernetes
 * NodePorts) is HTTP_MAP_WIDE, not HTTP_MAP_UNOFFICIAL. */
#define HTTP_MAP_WIDE_SPAN 64
void http_map_classify_proto(const struct registry *r, const struct knowledge *k, int proto, uint8_t classes[65536]);
/* Encodes classes as a 512x512 palette PNG (2x2 pixels per port, row y holds ports
 * 256*y .. 256*y+255). Returns 0 and a malloc'd *ret, or -errno. */
int http_map_png(const uint8_t classes[65536], uint8_t **ret, size_t *ret_len);
/* Palette colours, 0xRRGGBB. */
uint32_t http_map_color(enum http_map_class c);

/* ---- feedback store (SQLite) ---------------------------------------------------------------- */

struct http_feedback;
/* Opens (creating its directory and table) the store at path. Returns 0 or -errno, with a
 * one-line reason in err. Thread-safe once opened. */
int http_feedback_open(const char *path, struct http_feedback **ret, char *err, size_t errlen);
void http_feedback_close(struct http_feedback *f); /* accepts NULL */
/* The three faces of "Was this page helpful?". */
enum http_vote { HTTP_VOTE_NO = 0, HTTP_VOTE_SOMEWHAT = 1, HTTP_VOTE_YES = 2, HTTP_NVOTES };
#define HTTP_NOTE_CHARS 300  /* longest "what was missing?" note, in characters (the form's maxlength) */
#define HTTP_NOTE_MAX (HTTP_NOTE_CHARS * 4) /* ... in bytes of UTF-8 */
#define HTTP_NOTES_KEPT 1000 /* notes kept (the newest) */
/* Counts a vote for page, and stores note (NULL or "": none) with it, in one transaction. */
int http_feedback_vote(struct http_feedback *f, const char *page, enum http_vote vote, const char *note);
/* Counts for one page by enum http_vote (all 0 when it has none). */
int http_feedback_counts(struct http_feedback *f, const char *page, long ret_counts[HTTP_NVOTES]);
struct http_feedback_row {
        char page[512];
        long yes, no, somewhat;
};
struct http_feedback_note {
        char page[512];
        enum http_vote vote;
        char note[HTTP_NOTE_MAX + 1];
};
/* The newest notes first, at most max. *ret is malloc'd (caller frees). */
int http_feedback_notes(struct http_feedback *f, size_t max, struct http_feedback_note **ret, size_t *ret_n);
/* The pages with votes, most votes first, at most max. *ret is malloc'd (caller frees). */
int http_feedback_list(struct http_feedback *f, size_t max, struct http_feedback_row **ret, size_t *ret_n);

/* ---- what pages and API handlers see of the server ---------------------------------------- */

struct http_ctx {
        const struct registry *reg;
        const struct knowledge *know;       /* may be NULL */
        const struct update_history *history; /* may be NULL: no snapshots kept */
        struct http_feedback *feedback;     /* NULL: feedback disabled */
        const uint8_t *classes;             /* 65536 map classes */
        bool show_local;
};

/* Whether page (a path of this site: a page, not the API nor a form target, that exists) takes
 * votes; rewrites it to its canonical spelling. */
bool http_feedback_page_valid(const struct http_ctx *c, char *page, size_t len);

/* Pages. Each renders a whole HTML document into b and returns the HTTP status it deserves
 * (200, 404, ...), or -errno. */
int http_page_home(const struct http_ctx *c, struct http_buf *b);
int http_page_port(const struct http_ctx *c, uint16_t port, struct http_buf *b);
int http_page_service(const struct http_ctx *c, const char *name, struct http_buf *b);
int http_page_ranges(const struct http_ctx *c, struct http_buf *b);
/* proto: PS_TCP or PS_UDP, or -1 for any protocol (the overlay of local listeners uses it). */
int http_page_map(const struct http_ctx *c, bool local, int proto, struct http_buf *b);
int http_page_search(const struct http_ctx *c, const char *q, struct http_buf *b);
int http_page_stats(const struct http_ctx *c, struct http_buf *b);
/* The votes of PAGE; after the reader's own vote (thanks), a thank-you. */
int http_page_votes(const struct http_ctx *c, const char *page, bool thanks, struct http_buf *b);
int http_page_error(const struct http_ctx *c, int status, const char *message, struct http_buf *b);
/* The inline style sheet and map script, for the Content-Security-Policy hashes. */
const char *http_page_style(void);
/* The stylesheet's version, as the pages link it: /style.css?v=VERSION. */
const char *http_page_style_version(void);
const char *http_page_script(void);

/* API objects (new references, NULL on OOM). */
/* {"source","kind","date","assignments_only","observed_source"}: the registry's provenance as
 * the CLI gives it, but files named by file name only, never by the server's path. */
json_t *http_api_source(const struct http_ctx *c);
/* Replaces o's "registry" member (when it has one) by http_api_source(); takes o, returns it, or
 * NULL (o released) on OOM. */
json_t *http_api_scrub(const struct http_ctx *c, json_t *o);
json_t *http_api_port(const struct http_ctx *c, uint16_t port);
/* portinfo_json(port) plus, when the server has the versions `update` kept, "history" as
 * `portscope info --json` gives it (only proto's changes when proto >= 0); page-port-history.c. */
json_t *http_port_json(const struct http_ctx *c, uint16_t port, int proto);
json_t *http_api_search(const struct http_ctx *c, const char *q, unsigned limit, unsigned offset);
/* The object of `portscope listening --json`. Sets *ret_status: 200, or 500 when the sockets
 * cannot be listed (an API error object) or on OOM (NULL). */
json_t *http_api_listeners(const struct http_ctx *c, int *ret_status);
json_t *http_api_error(const struct http_ctx *c, int status, const char *message);
/* /api/v1/ports/{N/PROTO|A-B|NAME} (N alone is http_api_port), /api/v1/services/NAME,
 * /api/v1/list: set *ret_status (200, or 404 with an error object); NULL on OOM. */
json_t *http_api_ports(const struct http_ctx *c, const struct http_route *rt, int *ret_status);
json_t *http_api_service(const struct http_ctx *c, const char *name, int *ret_status);
json_t *http_api_list(const struct http_ctx *c, const struct http_route *rt, int *ret_status);
json_t *http_api_ranges(const struct http_ctx *c);
/* Appends an HTML table of this machine's listeners (protocol, address, port, processes). */
void http_local_table(const struct http_ctx *c, struct http_buf *b);
/* Ports with a listener on this machine (tcp or udp); returns 0 or -errno. */
int http_local_listening(uint8_t ret_listening[65536]);
