/* portscope serve — what the page files (page*.c) share; not a public interface.
 *
 * Every page is one self-contained document: inline style, at most one inline script (the map's
 * hover), no external assets, and everything it says is there without JavaScript. Every value
 * that comes from the registry, the knowledge file, a process or the request goes through
 * http_html_escape() (h() below); only literals of the page files are written raw. */
#pragma once

#include "serve-internal.h"

/* Rows of the registry shown for one port, at most. */
#define PAGE_MAX_ROWS 64

/* A literal of the page files, written raw. */
static inline void P(struct http_buf *b, const char *s)
{
        http_buf_puts(b, s);
}

/* Outside text, escaped. */
static inline void h(struct http_buf *b, const char *s)
{
        http_html_escape(b, s, (size_t)-1);
}

/* Gives every root-relative link and form target of b (href="/...", action="/...") the prefix,
 * except the API, the map image and links that carry hreflang (they name their own language).
 * Returns 0 or b's error. page_status() calls it. */
int page_relink(struct http_buf *b, const char *prefix);

/* A translated sentence fmt (escaped) with its %s (or %1$s ... %9$s) replaced by args, which are
 * HTML already (escaped by the caller: h() into a buffer, or markup such as "<bdi>22</bdi>").
 * Only %s placeholders: numbers are passed as text, so that a translation cannot break the page. */
void page_html_format(struct http_buf *b, const char *fmt, size_t n, const char *const *args);
#define page_printf_html(b, fmt, ...)                                                                        \
        page_html_format((b), (fmt), sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *),     \
                         (const char *const[]){ __VA_ARGS__ })
/* "<bdi>N</bdi>" into out: a number that stays left to right inside any sentence. */
#define PAGE_NUM_MAX 64
const char *page_num(char out[PAGE_NUM_MAX], unsigned long n);
const char *page_list_sep(void);

/* The attributes that mark English text (the registry's, the knowledge file's) on this page:
 * lang="en", with dir="ltr" on a right-to-left page, and nothing on an English page. */
const char *page_en_attrs(void);
void page_registry_attrs(struct http_buf *b); /* writes page_en_attrs() */
/* <TAG ATTRS page_en_attrs()>TEXT escaped</TAG>; attrs: constant attributes (" class=\"muted\"") or NULL. */
void page_en(struct http_buf *b, const char *tag, const char *attrs, const char *text);
void page_registry_td(struct http_buf *b, const char *text);
void page_heading(struct http_buf *b, const char *title, const char *lead);
void page_knowledge_name(struct http_buf *b, const char *name);
/* attrs: the table's own attributes, a constant (" class=\"rows\""), or NULL. */
void page_table_open(struct http_buf *b, const char *label, const char *attrs, const char *const *heads, size_t n);

/* From <!doctype html> to <main>; title and description are escaped. */
void page_begin(struct http_buf *b, const char *title, const char *description);
/* From </main> to the end: the feedback form for feedback_page (NULL: none), the footer naming
 * the data, and the map script when with_script. */
void page_end(const struct http_ctx *c, struct http_buf *b, const char *feedback_page, bool with_script);
/* status, or -EFBIG / -ENOMEM when the buffer failed. */
int page_status(struct http_buf *b, int status);

void page_service_link(struct http_buf *b, const char *name);
void page_port_link(struct http_buf *b, unsigned port);
/* A link only for http(s) URLs; anything else is shown as text. */
void page_source_text(struct http_buf *b, const char *src);
void page_status_badge(struct http_buf *b, enum registry_status s);
void page_kind_badge(struct http_buf *b, enum knowledge_kind k);
/* The CSS class of each map class's swatch. */
extern const char *const page_class_css[HTTP_NMAP_CLASSES];
/* The map image of proto (PS_TCP, PS_UDP, or -1: any) with its axes and legend; local adds the
 * overlay of this machine's listeners. */
void page_map_figure(const struct http_ctx *c, struct http_buf *b, bool local, int proto);
/* One registry row as a heading and a definition list. */
void page_row_dl(const struct http_ctx *c, struct http_buf *b, const struct registry_row *row);
