/* libFuzzer target: the PORT[/PROTO], LO-HI and list syntax.
 * fuzz-sources: src/core/port.c src/core/util.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/port.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1), err[160];
        struct ps_portspec spec, *v;
        size_t n;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        if (ps_portspec_parse(s, &spec, err, sizeof(err)) == 0 && spec.lo > spec.hi)
                abort();
        if (ps_portlist_parse(s, &v, &n, err, sizeof(err)) == 0) {
                for (size_t i = 0; i < n; i++)
                        if (v[i].lo > v[i].hi || v[i].protos == 0)
                                abort();
                free(v);
        }
        free(s);
        return 0;
}
