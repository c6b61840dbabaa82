/* libFuzzer target: nmap-payloads parsing.
 * fuzz-sources: src/lib/scan/probes/payloads.c src/lib/scan/targets.c src/lib/scan/cookie.c src/lib/csv.c src/lib/knowledge.c src/lib/port.c src/lib/portinfo.c src/lib/registry.c src/lib/search.c src/lib/util.c KNOWLEDGE_BUILTIN -lm -lpthread */
#include <stdint.h>

#include "portscope/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct scan_payloads *p = NULL;
        char err[256];
        if (scan_payloads_parse((const char *)data, size, &p, err, sizeof(err)) == 0) {
                size_t len;
                for (unsigned port = 0; port < 65536; port += 97)
                        scan_payloads_get(p, (uint16_t)port, &len);
                scan_payloads_free(p);
        }
        return 0;
}
