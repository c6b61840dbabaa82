/* libFuzzer target: nmap-service-probes parsing, then matching a banner against what parsed.
 * fuzz-sources: src/scan/probes/service-probes.c src/scan/targets.c src/scan/cookie.c -lpcre2-8 src/core/csv.c src/core/knowledge.c src/core/port.c src/core/portinfo.c src/core/registry.c src/core/search.c src/core/jsonw.c src/core/dynbuf.c src/core/util.c KNOWLEDGE_BUILTIN -lm -lpthread */
#include <stdint.h>
#include <string.h>

#include "portscope/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct scan_probes *p = NULL;
        struct ps_error err;
        if (scan_probes_parse("fuzz", (const char *)data, size, &p, &err) == 0) {
                static const unsigned char banner[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\nHTTP/1.1 200 OK\r\n";
                struct scan_service s;
                memset(&s, 0, sizeof(s));
                scan_probes_match(p, "NULL", PS_TCP, banner, sizeof(banner) - 1, &s);
                scan_probes_match(p, "GetRequest", PS_TCP, data, size, &s);
                scan_probes_free(p);
        }
        return 0;
}
