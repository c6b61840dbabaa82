/* Fetching the registry with libcurl: conditional on what the server said last time
 * (If-None-Match, If-Modified-Since), with progress on a terminal, one line when it fails. */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "portscope/error.h"
#include "portscope/i18n.h"
#include "portscope/update.h"
#include "portscope/util.h"

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(char *buf, size_t len, double bytes)
{
        if (bytes >= 1e6)
                snprintf(buf, len, "%.1f MB", bytes / 1e6);
        else
                snprintf(buf, len, "%.0f kB", bytes / 1e3);
}

static void show_progress(struct download *d, double total, bool last)
{
        double t = now(), el = t - d->started;
        char got[32], all[32], rate[32];

        if (!last && t - d->last_shown < 0.2)
                return;
        d->last_shown = t;
        human(got, sizeof(got), (double)d->len);
        human(rate, sizeof(rate), el > 0 ? (double)d->len / el : 0);
        if (last) {
                fputs("\r\033[K", stderr);
                /* TRANSLATORS: "Downloaded 1.2 MB in 0.8 s (1.5 MB/s)": a size, seconds, a size per second. */
                fprintf(stderr, _("Downloaded %s in %.1f s (%s/s)\n"), got, el, rate);
                return;
        }
        if (total > 0) {
                human(all, sizeof(all), total);
                fputs("\r\033[K", stderr);
                /* TRANSLATORS: download progress, "  1.2 MB of 3.4 MB (35%), 1.5 MB/s"; keep it short. */
                fprintf(stderr, _("  %s of %s (%.0f%%), %s/s"), got, all, 100.0 * (double)d->len / total, rate);
        } else {
                fputs("\r\033[K", stderr);
                /* TRANSLATORS: download progress without a known total, "  1.2 MB, 1.5 MB/s". */
                fprintf(stderr, _("  %s, %s/s"), got, rate);
        }
        d->shown = true;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
        struct download *d = ud;

        if (d->progress && dlnow > 0)
                show_progress(d, (double)dltotal, false);
        return 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
        struct download *d = userdata;
        size_t add = size * n;
        int r = PS_GROW(d->data, d->cap, d->len + add + 1, (size_t)UPDATE_MAX_DOWNLOAD + 1);

        if (r < 0) {
                d->too_big = r == -E2BIG;
                return 0;
        }
        memcpy(d->data + d->len, p, add);
        d->len += add;
        d->data[d->len] = '\0';
        return add;
}

/* Keeps a header's value (trimmed, printable ASCII only) when its name is name. */
static void take_header(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
        size_t nl = strlen(name), k = 0;

        if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
                return;
        line += nl + 1;
        n -= nl + 1;
        while (n && (*line == ' ' || *line == '\t'))
                line++, n--;
        while (n && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
                n--;
        for (size_t i = 0; i < n && k + 1 < outlen; i++)
                if (line[i] >= 0x20 && line[i] < 0x7f)
                        out[k++] = line[i];
        out[k] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *userdata)
{
        struct download *d = userdata;
        size_t len = size * n;

        /* A new response (after a redirect) starts over. */
        if (len > 5 && strncmp(p, "HTTP/", 5) == 0)
                d->got = (struct update_validators){ 0 };
        take_header(p, len, "ETag", d->got.etag, sizeof(d->got.etag));
        take_header(p, len, "Last-Modified", d->got.last_modified, sizeof(d->got.last_modified));
        return len;
}

int update_fetch(const char *url, long timeout, const struct update_validators *v, struct download *d)
{
        char errbuf[CURL_ERROR_SIZE] = "", h1[320], h2[96];
        struct curl_slist *hdrs = NULL;
        CURL *c;
        CURLcode rc;
        long status = 0;
        curl_off_t expected = -1;
        int ret = 0;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
                return -EIO;
        c = curl_easy_init();
        if (!c) {
                curl_global_cleanup();
                return -ENOMEM;
        }
        if (v && *v->etag && snprintf(h1, sizeof(h1), "If-None-Match: %s", v->etag) < (int)sizeof(h1))
                hdrs = curl_slist_append(hdrs, h1);
        /* The server's own Last-Modified, sent back as it came (RFC 9110 13.1.3). */
        if (v && *v->last_modified && snprintf(h2, sizeof(h2), "If-Modified-Since: %s", v->last_modified) < (int)sizeof(h2))
                hdrs = curl_slist_append(hdrs, h2);
        d->started = d->last_shown = now();
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, d);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, d);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, d);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout < 30 ? timeout : 30L);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "portscope-update/1");
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* gzip when the server offers it */
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
        if (d->progress && d->shown)
                fputs("\r\033[K", stderr);
        switch (rc) {
        case CURLE_OK: break;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
                /* One line, nothing touched: a timer will try again. */
                /* TRANSLATORS: the first %s is a URL, the second curl's own (English) reason. */
                ps_errorf(_("update: offline? cannot reach %s: %s (nothing was changed)"), url,
                          *errbuf ? errbuf : curl_easy_strerror(rc));
                ret = -ENETUNREACH;
                goto out;
        case CURLE_PARTIAL_FILE:
                /* TRANSLATORS: %s is the URL; then bytes received and bytes announced. */
                ps_errorf(_("update: %s: download cut short: %zu of %lld bytes (nothing was changed)"), url, d->len,
                          (long long)expected);
                ret = -EIO;
                goto out;
        default:
                if (d->too_big)
                        ps_errorf(_("update: %s: larger than 64 MiB: not the registry (nothing was changed)"), url);
                else
                        /* TRANSLATORS: the first %s is a URL, the second curl's own (English) reason. */
                        ps_errorf(_("update: %s: %s (nothing was changed)"), url, *errbuf ? errbuf : curl_easy_strerror(rc));
                ret = rc == CURLE_OPERATION_TIMEDOUT && d->len == 0 ? -ENETUNREACH : -EIO;
                goto out;
        }
        if (status == 304) {
                ret = UPDATE_NOT_MODIFIED;
                goto out;
        }
        if (status != 200) {
                ps_errorf(_("update: %s: HTTP status %ld, expected 200 (nothing was changed)"), url, status);
                ret = -EIO;
                goto out;
        }
        if (d->progress)
                show_progress(d, 0, true);
        ret = UPDATE_FETCHED;
out:
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(c);
        curl_global_cleanup();
        return ret;
}

int update_sha256(const void *data, size_t len, char hex[65])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
                return -EIO;
        for (unsigned i = 0; i < 32; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
        return 0;
}
