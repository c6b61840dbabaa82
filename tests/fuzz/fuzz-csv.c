/* libFuzzer target: the IANA CSV parser and the index built from it.
 * fuzz-sources: src/core/csv.c src/core/registry.c src/core/port.c src/core/util.c */
#include <stddef.h>
#include <stdint.h>

#include "portscope/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct registry *r = NULL;
        struct ps_error err;

        if (registry_parse_buffer("fuzz", (const char *)data, size, REGISTRY_SOURCE_IANA_CSV, &r, &err) == 0) {
                uint32_t ids[8];
                struct registry_row row;
                (void)registry_status(r, (uint16_t)size, PS_TCP);
                (void)registry_covering(r, (uint16_t)size, PS_UDP, ids, 8);
                (void)registry_by_name(r, "a", ids, 8);
                for (uint32_t i = 0; i < registry_nrows(r); i++)
                        (void)registry_row(r, i, &row);
                registry_close(r);
        }
        if (registry_parse_buffer("fuzz", (const char *)data, size, REGISTRY_SOURCE_SERVICES, &r, &err) == 0)
                registry_close(r);
        return 0;
}
