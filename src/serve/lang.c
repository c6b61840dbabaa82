/* portscope serve — the language of each page: the /xx/ prefix of a request target, the state
 * of the page being written (per thread, like _()), and the links that keep the prefix. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pages.h"

const struct ps_language *http_lang_split(const char *target, size_t len, size_t *ret_skip)
{
        *ret_skip = 0;
        if (len < 2 || target[0] != '/')
                return NULL;
        size_t n = 1;
        while (n < len && target[n] != '/' && target[n] != '?')
                n++;
        /* "/he", "/he/..." and "/he?..." (the home page with a query it ignores, as "/?..." is). */
        const struct ps_language *lang = ps_language_find(target + 1, n - 1);
        if (lang)
                *ret_skip = n;
        return lang;
}

bool http_route_has_language(enum http_route_id id)
{
        switch (id) {
        case HTTP_ROUTE_HOME:
        case HTTP_ROUTE_SEARCH:
        case HTTP_ROUTE_PORT:
        case HTTP_ROUTE_SERVICE:
        case HTTP_ROUTE_RANGES:
        case HTTP_ROUTE_MAP:
        case HTTP_ROUTE_MAP_CLICK:
        case HTTP_ROUTE_STATS:
        case HTTP_ROUTE_FEEDBACK:
                return true;
        default:
                return false;
        }
}

/* The page this thread is writing; set for each request (and for each page rendered ahead). The
 * path is the caller's when it ends there (a request's target does, and lives until the request
 * is answered), else a copy: this runs twice per request, and a copy of up to 4 KB is not free. */
static _Thread_local struct {
        bool prefixed;
        char prefix[16]; /* "/he", or "" */
        const char *path;
        char copy[HTTP_TARGET_MAX + 1];
} cur;

void http_lang_begin(const struct ps_language *lang, bool prefixed, const char *path, size_t len)
{
        ps_i18n_thread_use(lang);
        cur.prefixed = prefixed && lang;
        cur.prefix[0] = '\0';
        if (cur.prefixed) {
                size_t n = strnlen(lang->code, sizeof cur.prefix - 2);
                cur.prefix[0] = '/';
                memcpy(cur.prefix + 1, lang->code, n);
                cur.prefix[n + 1] = '\0';
        }
        if (!path || len == 0) {
                cur.path = "/";
        } else if (len <= HTTP_TARGET_MAX && path[len] == '\0') {
                cur.path = path;
        } else {
                if (len > HTTP_TARGET_MAX)
                        len = HTTP_TARGET_MAX;
                memcpy(cur.copy, path, len);
                cur.copy[len] = '\0';
                cur.path = cur.copy;
        }
}

void http_lang_end(void)
{
        ps_i18n_thread_use(NULL);
        cur.prefixed = false;
        cur.prefix[0] = '\0';
        cur.path = "/";
}

const char *page_prefix(void)
{
        return cur.prefix;
}

bool page_prefixed(void)
{
        return cur.prefixed;
}

const char *page_path(void)
{
        return cur.path && cur.path[0] ? cur.path : "/";
}

/* Whether the attribute value starting at v (just after `="`) is a path of ours that takes the
 * page's prefix: a root-relative page link, not the API, the image, nor a protocol-relative URL. */
static bool takes_prefix(const char *v)
{
        if (v[0] != '/' || v[1] == '/')
                return false;
        /* The router decides, so that a new route needs saying only once (http_route_has_language). */
        struct http_route rt;
        http_route_parse(v, strcspn(v, "\"#"), &rt); /* up to the value's end or its fragment */
        return http_route_has_language(rt.id);
}

int page_relink(struct http_buf *b, const char *prefix)
{
        if (b->error || !prefix[0])
                return b->error;
        const char *s = http_buf_str(b);
        size_t len = http_buf_len(b), plen = strlen(prefix);
        struct http_buf out;
        http_buf_init(&out, b->d.max);
        size_t last = 0, tag = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '<') {
                        tag = i;
                        continue;
                }
                size_t k;
                if (strncmp(s + i, " href=\"", 7) == 0)
                        k = 7;
                else if (strncmp(s + i, " action=\"", 9) == 0)
                        k = 9;
                else
                        continue;
                if (!takes_prefix(s + i + k))
                        continue;
                /* Links that name their language (the switcher, the alternates) keep their own. */
                if (memmem(s + tag, i - tag, "hreflang=", 9))
                        continue;
                http_buf_add(&out, s + last, i + k - last);
                http_buf_add(&out, prefix, plen);
                last = i + k;
                i += k - 1;
        }
        http_buf_add(&out, s + last, len - last);
        if (out.error) {
                int e = out.error;
                http_buf_free(&out);
                b->error = e;
                return e;
        }
        http_buf_free(b);
        *b = out;
        return 0;
}
