/* Fetching the IANA registry (libcurl) and comparing two copies row by row. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/error.h"
#include "portscope/update.h"
#include "portscope/util.h"

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
        struct download *d = userdata;
        size_t add = size * n;
        char *nd;

        if (d->len + add > UPDATE_MAX_DOWNLOAD) {
                d->too_big = true;
                return 0;
        }
        nd = realloc(d->data, d->len + add + 1);
        if (!nd)
                return 0;
        d->data = nd;
        memcpy(d->data + d->len, p, add);
        d->len += add;
        d->data[d->len] = '\0';
        return add;
}

int update_fetch(const char *url, long timeout, struct download *d)
{
        char errbuf[CURL_ERROR_SIZE] = "";
        CURL *c;
        CURLcode rc;
        long status = 0;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
                return -EIO;
        c = curl_easy_init();
        if (!c)
                return -ENOMEM;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, d);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "portscope-update/1");
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        curl_global_cleanup();
        if (rc != CURLE_OK) {
                ps_errorf("update: %s: %s", url,
                          d->too_big ? "larger than 64 MiB: not the registry" : *errbuf ? errbuf : curl_easy_strerror(rc));
                return -EIO;
        }
        if (status != 200) {
                ps_errorf("update: %s: HTTP status %ld, expected 200", url, status);
                return -EIO;
        }
        return 0;
}

/* "name port/proto" keys of the rows, sorted, for the difference between two copies. */
char **update_row_keys(const struct registry *r, size_t *ret_n)
{
        uint32_t n = registry_nrows(r);
        char **v = calloc(n ? n : 1, sizeof(*v));

        if (!v)
                return NULL;
        for (uint32_t i = 0; i < n; i++) {
                struct registry_row row;
                registry_row(r, i, &row);
                if (asprintf(&v[i], "%s %s/%s", *row.service ? row.service : "-", *row.port ? row.port : "-",
                             *row.proto ? row.proto : "any") < 0) {
                        v[i] = NULL;
                        for (uint32_t j = 0; j < i; j++)
                                free(v[j]);
                        free(v);
                        return NULL;
                }
        }
        *ret_n = n;
        qsort(v, n, sizeof(*v), cmp_str);
        return v;
}

/* Multiset difference of sorted a and b: keys in a that b lacks. */
void update_keys_diff(char **a, size_t na, char **b, size_t nb, json_t *out)
{
        size_t i = 0, j = 0;

        while (i < na) {
                int c = j < nb ? strcmp(a[i], b[j]) : -1;
                if (c == 0)
                        i++, j++;
                else if (c < 0)
                        json_array_append_new(out, json_string(a[i++]));
                else
                        j++;
        }
}

void update_free_keys(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

