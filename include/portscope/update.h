/* portscope update: fetching the registry and comparing two copies. */
#ifndef PORTSCOPE_UPDATE_H
#define PORTSCOPE_UPDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "portscope/registry.h"

#define UPDATE_IANA_URL "https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.csv"
#define UPDATE_MAX_DOWNLOAD (64u << 20)

struct download {
        char *data;
        size_t len;
        bool too_big;
};

/* GET url into d (at most UPDATE_MAX_DOWNLOAD bytes); 0, or -errno after printing why. */
int update_fetch(const char *url, long timeout, struct download *d);
/* "name port/proto" keys of the rows, sorted; NULL when out of memory. */
char **update_row_keys(const struct registry *r, size_t *ret_n);
/* Appends to out the keys of sorted a that sorted b lacks (multiset difference). */
void update_keys_diff(char **a, size_t na, char **b, size_t nb, json_t *out);
void update_free_keys(char **v, size_t n);

#endif
