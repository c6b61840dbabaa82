/* Unit tests of portscope serve's pure parts: the HTML escaper, URL coding, request target and
 * query parsing, the rate limiter, the buffer, SHA-256 and the map PNG. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "serve/pages.h"
#include "serve/serve-internal.h"
#include "portscope/util.h"

static char *esc(const char *s, size_t len)
{
        struct http_buf b;
        http_buf_init(&b, 1 << 20);
        http_html_escape(&b, s, len);
        size_t n;
        char *out = http_buf_steal(&b, &n);
        assert_non_null(out);
        return out;
}

static void test_html_escape(void **state)
{
        (void)state;
        char *o = esc("<script>alert(\"x\" & 'y')</script>", (size_t)-1);
        assert_string_equal(o, "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
        free(o);
        o = esc("plain text, no change", (size_t)-1);
        assert_string_equal(o, "plain text, no change");
        free(o);
        /* Valid UTF-8 passes; tab and newline are kept. */
        o = esc("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80\tx\ny", (size_t)-1);
        assert_string_equal(o, "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80\tx\ny");
        free(o);
        /* Control characters, C1 controls, invalid, overlong and surrogate sequences: U+FFFD. */
        o = esc("a\x01" "b\x7f" "c\xc2\x85" "d\xff" "e\xc0\xbc" "f\xed\xa0\x80" "g\xe2\x82", (size_t)-1);
        assert_string_equal(o, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd" "d\xef\xbf\xbd"
                               "e\xef\xbf\xbd\xef\xbf\xbd" "f\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                               "g\xef\xbf\xbd\xef\xbf\xbd");
        free(o);
        /* An explicit length stops at it, even across a NUL. */
        o = esc("a<\0>b", 4);
        assert_string_equal(o, "a&lt;\xef\xbf\xbd&gt;");
        free(o);
        o = esc("", (size_t)-1);
        assert_string_equal(o, "");
        free(o);
}

static void test_url_coding(void **state)
{
        (void)state;
        struct http_buf b;
        http_buf_init(&b, 1024);
        http_url_encode(&b, "a b/c?d=é&<", (size_t)-1);
        assert_string_equal(http_buf_str(&b), "a%20b%2Fc%3Fd%3D%C3%A9%26%3C");
        http_buf_free(&b);

        char out[32];
        assert_int_equal(http_url_decode("a%20b+c", 7, true, out, sizeof out), 5);
        assert_string_equal(out, "a b c");
        assert_int_equal(http_url_decode("a+b", 3, false, out, sizeof out), 3);
        assert_string_equal(out, "a+b");
        assert_int_equal(http_url_decode("%C3%A9", 6, false, out, sizeof out), 2);
        assert_int_equal(http_url_decode("%zz", 3, true, out, sizeof out), -EINVAL);
        assert_int_equal(http_url_decode("%4", 2, true, out, sizeof out), -EINVAL);
        assert_int_equal(http_url_decode("%00", 3, true, out, sizeof out), -EINVAL);
        assert_int_equal(http_url_decode("%ff", 3, true, out, sizeof out), -EINVAL);
        assert_int_equal(http_url_decode("abcdef", 6, true, out, 4), -E2BIG);
        assert_int_equal(http_url_decode("", 0, true, out, sizeof out), 0);
        assert_string_equal(out, "");
}

static void test_query(void **state)
{
        (void)state;
        char v[16];
        const char *q = "a=1&q=hello+world&empty=&flag&x=%3Cb%3E";
        size_t n = strlen(q);
        assert_int_equal(http_query_get(q, n, "q", v, sizeof v), 11);
        assert_string_equal(v, "hello world");
        assert_int_equal(http_query_get(q, n, "a", v, sizeof v), 1);
        assert_int_equal(http_query_get(q, n, "empty", v, sizeof v), 0);
        assert_int_equal(http_query_get(q, n, "flag", v, sizeof v), 0);
        assert_int_equal(http_query_get(q, n, "x", v, sizeof v), 3);
        assert_string_equal(v, "<b>");
        assert_int_equal(http_query_get(q, n, "missing", v, sizeof v), -ENOENT);
        assert_int_equal(http_query_get(q, n, "fla", v, sizeof v), -ENOENT);
        assert_int_equal(http_query_get("", 0, "q", v, sizeof v), -ENOENT);
        assert_int_equal(http_query_get("q=%", 3, "q", v, sizeof v), -EINVAL);
        assert_int_equal(http_query_get("q=0123456789abcdefg", 19, "q", v, sizeof v), -E2BIG);
        /* The first occurrence wins. */
        assert_int_equal(http_query_get("q=1&q=2", 7, "q", v, sizeof v), 1);
        assert_string_equal(v, "1");
}

static void route(const char *t, struct http_route *r)
{
        http_route_parse(t, strlen(t), r);
}

static void test_accepts_gzip(void **state)
{
        (void)state;
        static const char *const yes[] = { "gzip", "GZIP", "deflate, gzip", "gzip;q=0.5", "x-gzip", "*",
                                           "br;q=1.0, gzip ; Q=0.001", "identity, *;q=0.1", "gzip;level=9" };
        static const char *const no[] = { "", "deflate", "gzipx", "xgzip", "gzip;q=0", "GZIP;Q=0.000",
                                           "*;q=0", "gzip;q=0, *", "br", "identity;q=1" };
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
                assert_true(http_accepts_gzip(yes[i]));
        for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
                assert_false(http_accepts_gzip(no[i]));
}

/* The absolute-form (RFC 9112, section 3.2.2): an http URI's authority and where its path begins. */
static void test_target_absolute(void **state)
{
        (void)state;
        static const struct {
                const char *target, *host, *path;
        } good[] = {
                { "http://127.0.0.1:6335/ports/22?x=1", "127.0.0.1:6335", "/ports/22?x=1" },
                { "HTTP://LocalHost/", "LocalHost", "/" },
                { "http://[::1]:80/he/ports/22", "[::1]:80", "/he/ports/22" },
                { "http://example.org", "example.org", "" },
                { "http://a-b.c_d~e?q=1", "a-b.c_d~e", "?q=1" },
                { "http://h:65535/", "h:65535", "/" },
        };
        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
                struct http_absolute a;
                const char *t = good[i].target;
                assert_int_equal(http_target_absolute(t, strlen(t), &a), 0);
                assert_int_equal(a.host_len, strlen(good[i].host));
                assert_memory_equal(t + a.host_off, good[i].host, a.host_len);
                assert_string_equal(t + a.path_off, good[i].path);
        }
        static const char *const other[] = { "/ports/22", "*", "https://127.0.0.1/", "ftp://x/", "http:/x/", "httpx://x/",
                                             "ports/22", "" };
        static const char *const bad[] = { "http://", "http:///ports/22", "http://u@h/", "http://h:/", "http://h:123456/",
                                           "http://h:65536/", "http://h:99999/api/v1/ports/22", "http://h:x/",
                                           "http://h:80x/", "http://[::1/", "http://[]/", "http://[::1]x/", "http://a%2eb/",
                                           "http://h#f", "http://<x>/", "http://h\\/" };
        struct http_absolute a;
        for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
                assert_int_equal(http_target_absolute(other[i], strlen(other[i]), &a), -EPROTONOSUPPORT);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                assert_int_equal(http_target_absolute(bad[i], strlen(bad[i]), &a), -EINVAL);
        /* Only the bytes given count: a NUL inside the IPv6 brackets is no hex digit. */
        assert_int_equal(http_target_absolute("http://[::1\0]/", 15, &a), -EINVAL);
        struct http_route r;
        route("http:///ports/22", &r);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.error, "host in the request target"));
        assert_false(r.api);
        route("https://h/ports/22", &r);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.error, "must be a path"));
        assert_false(r.api);
        /* A refused target whose path is the API's is answered as the API answers: in JSON. */
        route("http://h:99999/api/v1/ports/22", &r);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.error, "host in the request target"));
        assert_true(r.api);
        route("https://h/api/v1/ports/22", &r);
        assert_int_equal(r.status, 400);
        assert_true(r.api);
        static const char *const api[] = { "/api/v1/ports/22", "/api/", "http://h/api/v1/list", "HTTP://h:99999/api/x",
                                           "http://u@h:/api/v1/ranges", "ftp+x.y-z://h/api/" };
        static const char *const not_api[] = { "/", "/api", "/he/api/v1/ports/22", "http://h/apis/", "http://h?/api/",
                                               "http://h#/api/", "http://h", "api/v1/ports/22", "://h/api/",
                                               "1http://h/api/", "http:/h/api/", "" };
        for (size_t i = 0; i < sizeof api / sizeof api[0]; i++)
                assert_true(http_target_api(api[i], strlen(api[i])));
        for (size_t i = 0; i < sizeof not_api / sizeof not_api[0]; i++)
                assert_false(http_target_api(not_api[i], strlen(not_api[i])));
        /* Only the bytes given count. */
        assert_false(http_target_api("http://h/api/", 12));
}

/* The one spelling the response cache keys on: junk and other spellings of a target fold into it. */
static void test_canonical(void **state)
{
        (void)state;
        static const char *const cases[][2] = {
                { "/ports/625?x=1", "/ports/625" },
                { "/services/%73sh?utm=1", "/services/ssh" },
                { "/services/914c%2Fg", "/services/914c%2Fg" },
                { "/search?junk=1&q=a+b", "/search?q=a%20b" },
                { "/search", "/search" },
                { "/map?proto=udp&x=2", "/map?proto=udp" },
                { "/map?proto=tcp", "/map" },
                { "/api/v1/ports/1-1024?a=7", "/api/v1/ports/1-1024" },
                { "/api/v1/ports/22/udp?x", "/api/v1/ports/22/udp" },
                { "/api/v1/services/ssh?x", "/api/v1/services/ssh" },
                { "/api/v1/list?offset=5&status=assigned&z=1", "/api/v1/list?status=assigned&limit=100&offset=5" },
                { "/api/v1/list", "/api/v1/list?limit=100&offset=0" },
                { "/api/v1/search?q=%3Cx%3E", "/api/v1/search?q=%3Cx%3E&limit=100&offset=0" },
                { "/api/v1/search?offset=7&q=ssh&limit=5&z", "/api/v1/search?q=ssh&limit=5&offset=7" },
        };
        char out[HTTP_TARGET_MAX + 1];
        struct http_route r;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                route(cases[i][0], &r);
                assert_int_equal(http_route_canonical(&r, true, out, sizeof out), strlen(cases[i][1]));
                assert_string_equal(out, cases[i][1]);
        }
        /* Without the query: the page a vote is for. */
        route("/search?q=ssh", &r);
        assert_int_equal(http_route_canonical(&r, false, out, sizeof out), strlen("/search"));
        /* Errors and routes that are not pages or objects have none; nor has a spelling that does not fit. */
        route("/ports/70000", &r);
        assert_int_equal(http_route_canonical(&r, true, out, sizeof out), 0);
        route("/healthz", &r);
        assert_int_equal(http_route_canonical(&r, true, out, sizeof out), 0);
        route("/services/ssh", &r);
        assert_int_equal(http_route_canonical(&r, true, out, 8), 0);
}

static void test_routes(void **state)
{
        (void)state;
        struct http_route r;
        route("/", &r);
        assert_int_equal(r.id, HTTP_ROUTE_HOME);
        assert_int_equal(r.status, 0);
        route("/ports/625", &r);
        assert_int_equal(r.id, HTTP_ROUTE_PORT);
        assert_int_equal(r.port, 625);
        route("/ports/0", &r);
        assert_int_equal(r.id, HTTP_ROUTE_PORT);
        assert_int_equal(r.port, 0);
        route("/ports/65535?x=1", &r);
        assert_int_equal(r.id, HTTP_ROUTE_PORT);
        assert_int_equal(r.port, 65535);
        /* Other spellings of a port's page have moved to it (301), with the port. */
        for (const char *const *moved = (const char *const[]){ "/ports/0625", "/ports/625/", "/ports/%36%32%35",
                                                               "/ports/000625/", NULL };
             *moved; moved++) {
                route(*moved, &r);
                assert_int_equal(r.id, HTTP_ROUTE_PORT);
                assert_int_equal(r.status, 0);
                assert_true(r.moved);
                assert_int_equal(r.port, 625);
        }
        route("/ports/625", &r);
        assert_false(r.moved);
        for (const char *const *bad = (const char *const[]){ "/ports/65536", "/ports/065536", "/ports/", "/ports/-1",
                                                             "/ports/1e3", "/ports/625//", "/ports/ 1", "/ports/%2F",
                                                             NULL };
             *bad; bad++) {
                route(*bad, &r);
                assert_int_equal(r.status, 404);
                assert_false(r.api);
        }
        route("/api/v1/ports/22", &r);
        assert_int_equal(r.id, HTTP_ROUTE_API_PORT);
        assert_true(r.api);
        assert_int_equal(r.port, 22);
        assert_int_equal(r.form, HTTP_PORTS_ONE);
        route("/api/v1/ports/4294967318", &r); /* a number past 65535, however long: no such port */
        assert_int_equal(r.status, 404);
        route("/api/v1/ports/99999", &r); /* parsed, but no such port */
        assert_int_equal(r.id, HTTP_ROUTE_API_PORT);
        assert_int_equal(r.status, 404);
        assert_non_null(r.error);
        route("/api/v1/ports/abc", &r); /* a service name: found or not at dispatch */
        assert_int_equal(r.status, 0);
        assert_int_equal(r.form, HTTP_PORTS_NAME);
        assert_string_equal(r.name, "abc");
        route("/api/v1/ports/a%3Cb", &r);
        assert_int_equal(r.status, 400);
        /* A service name has a letter (RFC 6335, section 5.1): digits spelled in percent-escapes
         * are no name, nor another spelling of a port or range (its canonical spelling would be). */
        for (size_t i = 0; i < 3; i++) {
                static const char *const t[] = { "/api/v1/ports/33333%3332", "/api/v1/ports/%32%32", "/api/v1/ports/%31-2" };
                route(t[i], &r);
                assert_int_equal(r.status, 400);
                assert_int_equal(r.name[0], '\0');
        }
        route("/api/v1/ports/22/udp", &r);
        assert_int_equal(r.status, 0);
        assert_int_equal(r.form, HTTP_PORTS_PROTO);
        assert_int_equal(r.proto, PS_UDP);
        route("/api/v1/ports/22/icmp", &r);
        assert_int_equal(r.status, 400);
        route("/api/v1/ports/22-25", &r);
        assert_int_equal(r.status, 0);
        assert_int_equal(r.form, HTTP_PORTS_RANGE);
        assert_int_equal(r.port, 22);
        assert_int_equal(r.port_hi, 25);
        route("/api/v1/ports/25-22", &r);
        assert_int_equal(r.status, 400);
        route("/api/v1/ports/0-1023", &r);
        assert_int_equal(r.status, 0);
        route("/api/v1/ports/0-1024", &r); /* 1025 ports: more than one answer holds */
        assert_int_equal(r.status, 400);
        route("/api/v1/ports/22-", &r);
        assert_int_equal(r.status, 400);
        route("/api/v1/services/ssh", &r);
        assert_int_equal(r.id, HTTP_ROUTE_API_SERVICE);
        assert_string_equal(r.name, "ssh");
        route("/api/v1/ranges", &r);
        assert_int_equal(r.id, HTTP_ROUTE_API_RANGES);
        route("/api/v1/list?status=reserved&range=system&proto=udp&limit=10&offset=20", &r);
        assert_int_equal(r.id, HTTP_ROUTE_API_LIST);
        assert_int_equal(r.status, 0);
        assert_int_equal(r.status_filter, REGISTRY_RESERVED);
        assert_int_equal(r.range, PS_RANGE_SYSTEM);
        assert_int_equal(r.proto, PS_UDP);
        assert_int_equal(r.limit, 10);
        assert_int_equal(r.offset, 20);
        route("/api/v1/list", &r);
        assert_int_equal(r.status, 0);
        assert_int_equal(r.limit, 100);
        assert_int_equal(r.proto, -1);
        route("/api/v1/list?limit=abc", &r);
        assert_int_equal(r.status, 400);
        route("/api/v1/search?q=ssh+server", &r);
        assert_int_equal(r.id, HTTP_ROUTE_API_SEARCH);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.q, "ssh server");
        route("/api/v1/search", &r);
        assert_int_equal(r.status, 400);
        route("/api/v1/search?q=", &r);
        assert_int_equal(r.status, 400);
        route("/api/v1/search?q=%zz", &r);
        assert_int_equal(r.status, 400);
        route("/api/v2/anything", &r);
        assert_int_equal(r.status, 404);
        assert_true(r.api);
        route("/api/v1/listeners", &r);
        assert_int_equal(r.id, HTTP_ROUTE_API_LISTENERS);
        route("/search?q=%3Cscript%3E", &r);
        assert_int_equal(r.id, HTTP_ROUTE_SEARCH);
        assert_string_equal(r.q, "<script>");
        route("/search", &r);
        assert_int_equal(r.id, HTTP_ROUTE_SEARCH);
        assert_false(r.has_q);
        route("/services/ssh", &r);
        assert_int_equal(r.id, HTTP_ROUTE_SERVICE);
        assert_string_equal(r.name, "ssh");
        route("/services/a%20b", &r);
        assert_int_equal(r.id, HTTP_ROUTE_SERVICE);
        assert_string_equal(r.name, "a b");
        route("/services/", &r);
        assert_int_equal(r.status, 404);
        /* A few registered names have a slash ("914c/g"): a name, not a path (nothing names a file;
         * an unknown name is a 404 of the service page). */
        route("/services/a%2Fb", &r);
        assert_int_equal(r.id, HTTP_ROUTE_SERVICE);
        assert_string_equal(r.name, "a/b");
        route("/services/..%2F..%2Fetc%2Fpasswd", &r);
        assert_int_equal(r.id, HTTP_ROUTE_SERVICE);
        assert_string_equal(r.name, "../../etc/passwd");
        route("/services/a/b", &r); /* a bare slash: a path below a service, and there is none */
        assert_int_equal(r.status, 404);
        route("/api/v1/services/a/b", &r);
        assert_int_equal(r.status, 400);
        route("/api/v1/ports/914c%2Fg", &r);
        assert_int_equal(r.form, HTTP_PORTS_NAME);
        assert_string_equal(r.name, "914c/g");
        route("/map/click?10,20", &r);
        assert_int_equal(r.id, HTTP_ROUTE_MAP_CLICK);
        assert_int_equal(r.x, 10);
        assert_int_equal(r.y, 20);
        route("/map/click?512,0", &r);
        assert_int_equal(r.status, 400);
        route("/map/click", &r); /* Enter on the map's link: no coordinates, sent to the form */
        assert_int_equal(r.status, 0);
        assert_int_equal(r.id, HTTP_ROUTE_MAP_CLICK);
        assert_int_equal(r.x, -1);
        route("/map/click?5", &r);
        assert_int_equal(r.status, 400);
        route("/map.png?local=1", &r);
        assert_int_equal(r.id, HTTP_ROUTE_MAP_PNG);
        assert_true(r.local);
        assert_int_equal(r.proto, -1);
        route("/map.png", &r);
        assert_false(r.local);
        route("/map.png?proto=udp", &r);
        assert_int_equal(r.proto, PS_UDP);
        route("/map?proto=tcp", &r);
        assert_int_equal(r.id, HTTP_ROUTE_MAP);
        assert_int_equal(r.proto, PS_TCP);
        route("/map?proto=icmp", &r);
        assert_int_equal(r.status, 0);
        assert_int_equal(r.proto, -1);
        route("/metrics", &r);
        assert_int_equal(r.id, HTTP_ROUTE_METRICS);
        route("/healthz", &r);
        assert_int_equal(r.id, HTTP_ROUTE_HEALTHZ);
        /* Nothing reaches the file system: unknown paths are 404 whatever they look like. */
        for (const char *const *bad = (const char *const[]){ "/etc/passwd", "/../../etc/passwd", "/static/x.css",
                                                             "/index.html", "//", "/ranges/", "/RANGES", NULL };
             *bad; bad++) {
                route(*bad, &r);
                assert_int_equal(r.id, HTTP_ROUTE_NONE);
                assert_int_equal(r.status, 404);
        }
        route("http://example.org/", &r);
        assert_int_equal(r.status, 400);
        route("*", &r);
        assert_int_equal(r.status, 400);
        route("", &r);
        assert_int_equal(r.status, 400);
        char *big = malloc(HTTP_TARGET_MAX + 10);
        assert_non_null(big);
        big[0] = '/';
        memset(big + 1, 'a', HTTP_TARGET_MAX + 8);
        big[HTTP_TARGET_MAX + 9] = '\0';
        route(big, &r);
        assert_int_equal(r.status, 414);
        free(big);
        /* A search query longer than the limit. */
        char q[400] = "/search?q=";
        memset(q + 10, 'x', 300);
        q[310] = '\0';
        route(q, &r);
        assert_int_equal(r.status, 400);
        assert_string_equal(http_route_name(HTTP_ROUTE_API_PORT), "api_port");
        assert_string_equal(http_route_name((enum http_route_id)999), "none");
}

static void test_ratelimit(void **state)
{
        (void)state;
        struct http_ratelimit *rl = http_ratelimit_new(3, 10.0, 64);
        assert_non_null(rl);
        const unsigned char a[4] = { 127, 0, 0, 1 }, b[4] = { 127, 0, 0, 2 };
        /* A burst of three, then nothing until a token is back. */
        assert_true(http_ratelimit_take(rl, a, 4, 100.0));
        assert_true(http_ratelimit_take(rl, a, 4, 100.0));
        assert_true(http_ratelimit_take(rl, a, 4, 100.0));
        assert_false(http_ratelimit_take(rl, a, 4, 100.0));
        assert_false(http_ratelimit_take(rl, a, 4, 105.0));
        /* Another address has its own bucket. */
        assert_true(http_ratelimit_take(rl, b, 4, 105.0));
        /* One token per 10 s. */
        assert_true(http_ratelimit_take(rl, a, 4, 110.5));
        assert_false(http_ratelimit_take(rl, a, 4, 111.0));
        /* Refill is capped at the burst. */
        assert_true(http_ratelimit_take(rl, a, 4, 10000.0));
        assert_true(http_ratelimit_take(rl, a, 4, 10000.0));
        assert_true(http_ratelimit_take(rl, a, 4, 10000.0));
        assert_false(http_ratelimit_take(rl, a, 4, 10000.0));
        /* Time going backwards does not mint tokens. */
        assert_false(http_ratelimit_take(rl, a, 4, 50.0));
        /* No key: refused. */
        assert_false(http_ratelimit_take(rl, a, 0, 10000.0));
        http_ratelimit_free(rl);

        /* Many more clients than slots: memory stays bounded, and every client still gets its
         * first vote (a reused slot starts full). */
        rl = http_ratelimit_new(1, 3600.0, 16);
        for (unsigned i = 0; i < 1000; i++) {
                unsigned char k[4] = { 10, (unsigned char)(i >> 16), (unsigned char)(i >> 8), (unsigned char)i };
                assert_true(http_ratelimit_take(rl, k, 4, 1.0 + i));
        }
        http_ratelimit_free(rl);
        assert_null(http_ratelimit_new(0, 1.0, 16));
        assert_null(http_ratelimit_new(1, 0.0, 16));
        http_ratelimit_free(NULL);
}

static void test_buf(void **state)
{
        (void)state;
        struct http_buf b;
        http_buf_init(&b, 10);
        http_buf_puts(&b, "12345");
        http_buf_printf(&b, "%d", 678);
        assert_int_equal(b.error, 0);
        assert_string_equal(http_buf_str(&b), "12345678");
        http_buf_puts(&b, "abc"); /* 11 > 10 */
        assert_int_equal(b.error, -E2BIG);
        http_buf_puts(&b, "");          /* ignored after a failure */
        assert_int_equal(b.error, -E2BIG);
        size_t n;
        assert_null(http_buf_steal(&b, &n));
        http_buf_init(&b, 1 << 20);
        char big[600];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        http_buf_printf(&b, "<%s>", big);
        assert_int_equal(http_buf_len(&b), 601);
        char *s = http_buf_steal(&b, &n);
        assert_int_equal(n, 601);
        free(s);
        http_buf_init(&b, 16);
        s = http_buf_steal(&b, &n);
        assert_non_null(s);
        assert_int_equal(n, 0);
        free(s);
}

static void test_http_date(void **state)
{
        (void)state;
        char d[32];
        http_date_of_day("2026-02-27", d, sizeof d);
        assert_string_equal(d, "Fri, 27 Feb 2026 00:00:00 GMT");
        http_date_of_day("2024-04-30", d, sizeof d);
        assert_string_equal(d, "Tue, 30 Apr 2024 00:00:00 GMT");
        http_date_of_day("2000-03-01", d, sizeof d);
        assert_string_equal(d, "Wed, 01 Mar 2000 00:00:00 GMT");
        http_date_of_day("1970-01-01", d, sizeof d);
        assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
        for (const char *const *bad = (const char *const[]){ "", "2024-13-01", "2024-02-30", "24-01-01", "2024-01-0x",
                                                              "1969-12-31", "2024/01/01", NULL };
             *bad; bad++) {
                http_date_of_day(*bad, d, sizeof d);
                assert_string_equal(d, "");
        }
        http_date_of_day("2024-04-30", d, 8); /* too small: nothing rather than a cut date */
        assert_string_equal(d, "");
}

static void test_sha256(void **state)
{
        (void)state;
        char out[45];
        http_sha256_base64("", 0, out);
        assert_string_equal(out, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
        http_sha256_base64("abc", 3, out);
        assert_string_equal(out, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
        /* 56 bytes: the padding needs a second block. */
        const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        http_sha256_base64(m, strlen(m), out);
        assert_string_equal(out, "JI1qYdIGOLjlwCaTDD5gOaM85Flk/yFn9uzt1BnbBsE=");
        assert_int_not_equal(ps_fnv1a("a", 1), ps_fnv1a("b", 1));
}

/* The /xx prefix of a target, and the links a prefixed page rewrites. */
static void test_languages(void **state)
{
        (void)state;
        size_t skip = 99;
        const struct ps_language *l = http_lang_split("/he/ports/625", 13, &skip);
        assert_non_null(l);
        assert_string_equal(l->code, "he");
        assert_true(l->rtl);
        assert_int_equal(skip, 3);
        l = http_lang_split("/ar", 3, &skip);
        assert_non_null(l);
        assert_int_equal(skip, 3);
        assert_null(http_lang_split("/ports/625", 10, &skip));
        assert_int_equal(skip, 0);
        assert_null(http_lang_split("/xx/ports/625", 13, &skip));
        l = http_lang_split("/he?x=1", 7, &skip); /* the start page, its query ignored */
        assert_non_null(l);
        assert_int_equal(skip, 3);
        assert_null(http_lang_split("/he-IL/ports/1", 14, &skip));
        assert_null(http_lang_split("/", 1, &skip));
        assert_null(http_lang_split("he/ports", 8, &skip));
        assert_true(http_route_has_language(HTTP_ROUTE_PORT));
        assert_true(http_route_has_language(HTTP_ROUTE_FEEDBACK));
        assert_false(http_route_has_language(HTTP_ROUTE_API_PORT));
        assert_false(http_route_has_language(HTTP_ROUTE_MAP_PNG));
        assert_false(http_route_has_language(HTTP_ROUTE_METRICS));

        struct http_buf b;
        http_buf_init(&b, 1 << 16);
        http_buf_puts(&b, "<a href=\"/ports/1\">1</a><form action=\"/search\"><a href=\"/api/v1/ports/1\">j</a>"
                          "<img src=\"/map.png\"><a href=\"/map.png?proto=udp\">m</a><a href=\"#x\">x</a>"
                          "<a href=\"//example.org/\">e</a><a hreflang=\"en\" href=\"/en/ports/1\">en</a>"
                          "<link rel=\"alternate\" hreflang=\"x-default\" href=\"/ports/1\"><p>href=\"/ports/2\"</p>");
        assert_int_equal(page_relink(&b, "/he"), 0);
        assert_string_equal(http_buf_str(&b),
                            "<a href=\"/he/ports/1\">1</a><form action=\"/he/search\"><a href=\"/api/v1/ports/1\">j</a>"
                            "<img src=\"/map.png\"><a href=\"/map.png?proto=udp\">m</a><a href=\"#x\">x</a>"
                            "<a href=\"//example.org/\">e</a><a hreflang=\"en\" href=\"/en/ports/1\">en</a>"
                            "<link rel=\"alternate\" hreflang=\"x-default\" href=\"/ports/1\"><p>href=\"/ports/2\"</p>");
        assert_int_equal(page_relink(&b, ""), 0); /* a plain path keeps its links */
        http_buf_free(&b);

        /* A translated sentence: escaped, its %s (in any order) replaced by markup. */
        http_buf_init(&b, 1024);
        page_printf_html(&b, "%2$s & %1$s <%2$s> 100%%", "<b>1</b>", "<i>2</i>");
        assert_string_equal(http_buf_str(&b), "<i>2</i> &amp; <b>1</b> &lt;<i>2</i>&gt; 100%");
        http_buf_free(&b);
        http_buf_init(&b, 1024);
        page_printf_html(&b, "%s %s %d", "a"); /* more placeholders than arguments, or unknown ones */
        assert_string_equal(http_buf_str(&b), "a  %d");
        http_buf_free(&b);
}

static void test_map_png(void **state)
{
        (void)state;
        uint8_t *classes = calloc(65536, 1);
        assert_non_null(classes);
        classes[0] = HTTP_MAP_ASSIGNED;
        classes[65535] = HTTP_MAP_RESERVED;
        classes[256 * 100 + 10] = HTTP_MAP_WIDE; /* hatched: x 20-21, y 200-201 */
        uint8_t *png = NULL;
        size_t len = 0;
        assert_int_equal(http_map_png(classes, &png, &len), 0);
        assert_true(len > 8 + 25 + 12);
        assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
        assert_memory_equal(png + 12, "IHDR", 4);
        /* Walk the chunks, check each CRC, inflate IDAT and look at two pixels. */
        size_t pos = 8;
        uint8_t *raw = malloc(512 * 513);
        uLongf rawlen = 512 * 513;
        bool idat = false, iend = false;
        while (pos + 12 <= len) {
                uint32_t n = (uint32_t)png[pos] << 24 | (uint32_t)png[pos + 1] << 16 | (uint32_t)png[pos + 2] << 8 |
                             png[pos + 3];
                uint32_t crc = (uint32_t)png[pos + 8 + n] << 24 | (uint32_t)png[pos + 9 + n] << 16 |
                               (uint32_t)png[pos + 10 + n] << 8 | png[pos + 11 + n];
                assert_int_equal(crc, (uint32_t)crc32(0, png + pos + 4, n + 4));
                if (memcmp(png + pos + 4, "IDAT", 4) == 0) {
                        assert_int_equal(uncompress(raw, &rawlen, png + pos + 8, n), Z_OK);
                        idat = true;
                }
                if (memcmp(png + pos + 4, "IEND", 4) == 0)
                        iend = true;
                pos += 12 + n;
        }
        assert_true(idat && iend);
        assert_int_equal(pos, len);
        assert_int_equal(rawlen, 512 * 513);
        assert_int_equal(raw[1], HTTP_MAP_ASSIGNED);         /* port 0: x 0, y 0 */
        assert_int_equal(raw[1 + 1], HTTP_MAP_ASSIGNED);     /* 2x2 pixels per port */
        assert_int_equal(raw[1 + 2], HTTP_MAP_UNASSIGNED);   /* port 1 */
        assert_int_equal(raw[511 * 513 + 512], HTTP_MAP_RESERVED); /* port 65535 */
        /* A wide range is hatched, its top-left pixel (the one the page's script reads) kept. */
        assert_int_equal(raw[200 * 513 + 1 + 20], HTTP_MAP_WIDE);      /* 20 + 200: 0 mod 4 */
        assert_int_equal(raw[200 * 513 + 1 + 21], HTTP_MAP_UNOFFICIAL); /* 21 + 200: 1 mod 4 */
        assert_int_equal(raw[201 * 513 + 1 + 21], HTTP_MAP_WIDE);
        /* The lines where the user and dynamic ranges begin: an extra palette entry. */
        assert_int_equal(raw[7 * 513 + 1 + 100], HTTP_NMAP_CLASSES);
        assert_int_equal(raw[383 * 513 + 1 + 100], HTTP_NMAP_CLASSES);
        assert_int_equal(raw[8 * 513 + 1 + 100], HTTP_MAP_UNASSIGNED);
        free(raw);
        free(png);
        free(classes);
        assert_string_equal(http_map_class_name(HTTP_MAP_ASSIGNED), "assigned");
        assert_int_equal(http_map_color(HTTP_MAP_ASSIGNED), 0x1f5fa8);
}

/* What a head as sent says of Host and framing, whatever the case and line ends; never past len. */
static void test_head_shape(void **state)
{
        (void)state;
        struct http_head_shape sh;
        const char *h = "GET / HTTP/1.1\r\nHost: a\r\nCONTENT-length:  5 \r\nX: y\r\n\r\nhost: body\r\n";
        http_head_shape(h, strlen(h), &sh);
        assert_int_equal(sh.hosts, 1); /* the body's "host:" is not a header */
        assert_int_equal(sh.lengths, 1);
        assert_false(sh.lengths_differ);
        assert_int_equal(sh.encodings, 0);
        assert_int_equal(sh.bytes, strlen(h) - strlen("host: body\r\n"));

        h = "POST /f HTTP/1.1\nhost: a\nHost: b\nContent-Length: 5\ncontent-length: 40\n\n";
        http_head_shape(h, strlen(h), &sh);
        assert_int_equal(sh.hosts, 2);
        assert_int_equal(sh.lengths, 2);
        assert_true(sh.lengths_differ);
        h = "POST /f HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"; /* the same twice */
        http_head_shape(h, strlen(h), &sh);
        assert_false(sh.lengths_differ);

        const char *codings[] = { "chunked", "Chunked", " chunked\t" };
        for (size_t i = 0; i < sizeof codings / sizeof *codings; i++) {
                char buf[128];
                snprintf(buf, sizeof buf, "POST / HTTP/1.1\r\nTransfer-Encoding:%s\r\n\r\n", codings[i]);
                http_head_shape(buf, strlen(buf), &sh);
                assert_int_equal(sh.encodings, 1);
                assert_false(sh.not_chunked);
        }
        const char *others[] = { "identity", "gzip, chunked", "chunked, identity", "xchunked", "" };
        for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
                char buf[128];
                snprintf(buf, sizeof buf, "POST / HTTP/1.1\r\nTransfer-Encoding: %s\r\n\r\n", others[i]);
                http_head_shape(buf, strlen(buf), &sh);
                assert_true(sh.not_chunked);
        }
        /* Not a header: a name with a space before its colon, a longer name, the request line. */
        h = "GET /Host: x HTTP/1.1\r\nHost : a\r\nHostname: b\r\nX-Host: c\r\n\r\n";
        http_head_shape(h, strlen(h), &sh);
        assert_int_equal(sh.hosts, 0);
        /* A head cut short: counted as far as it goes. */
        h = "GET / HTTP/1.1\r\nHost: a\r\nHo";
        http_head_shape(h, strlen(h), &sh);
        assert_int_equal(sh.hosts, 1);
        assert_int_equal(sh.bytes, strlen(h));
        http_head_shape("", 0, &sh);
        assert_int_equal(sh.bytes, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_html_escape), cmocka_unit_test(test_url_coding), cmocka_unit_test(test_query),
                cmocka_unit_test(test_routes),      cmocka_unit_test(test_canonical), cmocka_unit_test(test_target_absolute),   cmocka_unit_test(test_accepts_gzip),      cmocka_unit_test(test_ratelimit),  cmocka_unit_test(test_buf),
                cmocka_unit_test(test_sha256),      cmocka_unit_test(test_http_date),      cmocka_unit_test(test_map_png), cmocka_unit_test(test_head_shape), cmocka_unit_test(test_languages),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
