/* libFuzzer target: STUN answers (outside input from the network) through scan_stun_parse().
 * fuzz-sources: src/scan/probes/stun.c */
#include <stdint.h>
#include <string.h>

#include "../../src/scan/probes/probes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct scan_service s;
        uint8_t txid[12] = { 0 };
        /* The fuzzer's own bytes 8-19 as the transaction, so that answers get past the check. */
        if (size >= 20)
                memcpy(txid, data + 8, 12);
        if (scan_stun_parse(data, size, txid, &s) == 1) {
                /* Every field the parser fills is terminated within its buffer. */
                if (strnlen(s.product, sizeof(s.product)) == sizeof(s.product) ||
                    strnlen(s.version, sizeof(s.version)) == sizeof(s.version) ||
                    strnlen(s.info, sizeof(s.info)) == sizeof(s.info) || s.banner_len > sizeof(s.banner))
                        __builtin_trap();
        }
        return 0;
}
