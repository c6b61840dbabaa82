/* libFuzzer target: nmap-payloads parsing.
 * fuzz-sources: src/scan/probes/payloads.c src/scan/targets.c src/scan/cookie.c src/core/csv.c src/core/knowledge.c src/core/port.c src/core/portinfo.c src/core/registry.c src/core/search.c src/core/jsonw.c src/core/dynbuf.c src/core/util.c KNOWLEDGE_BUILTIN -lm -lpthread */
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
