/* libFuzzer target: target specifications, target files and port sets (no DNS).
 * fuzz-sources: src/scan/targets.c src/scan/cookie.c src/scan/ports.c src/core/csv.c src/core/knowledge.c src/core/port.c src/core/portinfo.c src/core/registry.c src/core/search.c src/core/jsonw.c src/core/dynbuf.c src/core/util.c KNOWLEDGE_BUILTIN -lm -lpthread */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        char err[256];
        struct scan_targets *t = scan_targets_new();
        /* each line a target; lines starting with '!' are exclusions */
        for (char *line = s, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (line[0] == '!')
                        scan_targets_exclude(t, line + 1, SCAN_TARGETS_NO_DNS, err, sizeof(err));
                else
                        scan_targets_add(t, line, SCAN_TARGETS_NO_DNS, err, sizeof(err));
        }
        if (scan_targets_finish(t, err, sizeof(err)) == 0) {
                uint64_t n = scan_targets_count(t);
                for (uint64_t i = 0; i < n && i < 64; i++) {
                        struct scan_addr a;
                        scan_targets_get(t, i * (n / 64 + 1) % n, &a);
                        if (scan_targets_index(t, &a) < 0)
                                abort();
                }
        }
        scan_targets_free(t);
        memcpy(s, data, size);
        s[size] = '\0';
        struct scan_ports p;
        if (scan_ports_parse(s, PS_TCP, NULL, NULL, &p, err, sizeof(err)) == 0)
                scan_ports_free(&p);
        free(s);
        return 0;
}
