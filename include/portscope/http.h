/* portscope — `portscope serve`: port pages, a map of all ports and a JSON API over HTTP.
 *
 * The server runs on libh2o, an event loop per worker thread over epoll. It borrows the registry
 * and the knowledge (both immutable) for its whole life; pages and API objects are rendered from them on
 * first use and then served from memory. Nothing a client sends ever names a file. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "portscope/knowledge.h"
#include "portscope/registry.h"

struct update_history;

struct http_server;

struct http_config {
        const char *listen;          /* "ADDR:PORT" or "[V6]:PORT"; NULL: "127.0.0.1:6335"; port 0 picks one */
        const struct registry *registry;   /* borrowed, required */
        const struct knowledge *knowledge; /* borrowed, may be NULL */
        const struct update_history *history; /* borrowed, may be NULL: the versions `update` kept */
        const char *db_path;         /* feedback store; NULL: ps_store_path(); "" disables feedback */
        bool feedback_optional;      /* a store that cannot be opened switches feedback off (see
                                      * http_server_note) instead of failing the start */
        bool show_local;             /* serve /api/v1/listeners and the map overlay */
        unsigned threads;            /* worker threads; 0: one per online CPU */
        unsigned idle_timeout;       /* seconds to send a whole request head once the server waits
                                      * for one (silent or trickling); 0: 10 */
        unsigned request_timeout;    /* seconds from a connection's (or last response's) start to the
                                      * end of its next response; 0: 15 */
        unsigned max_connections;    /* 0: 1024 */
        unsigned max_per_ip;         /* connections per client address; 0: 256 */
        unsigned feedback_burst;     /* votes a client address may cast at once; 0: 10 */
        unsigned feedback_refill;    /* seconds for one more vote; 0: 60 */
        FILE *access_log;            /* borrowed, written through its descriptor by a thread of the
                                      * server until http_server_stop(); NULL: no access log */
};

/* Starts serving, the pages in every language of ps_languages() (call ps_i18n_init_server()
 * first, before any thread). Returns 0 and *ret, or -errno (-EADDRINUSE, -EINVAL for a bad listen
 * address, ...) with a one-line reason in err. */
int http_server_start(const struct http_config *cfg, struct http_server **ret, char *err, size_t errlen);

/* The address actually bound, as "http://127.0.0.1:6335/" (borrowed). */
const char *http_server_url(const struct http_server *s);
uint16_t http_server_port(const struct http_server *s);

/* Why a feature is off (e.g. "feedback is off: cannot open ..."), or NULL (borrowed). */
const char *http_server_note(const struct http_server *s);

/* Stops accepting connections, lets requests in flight finish for up to grace_ms, then stops
 * and frees everything. Accepts NULL. */
void http_server_stop(struct http_server *s, unsigned grace_ms);
