/* libFuzzer target: answers from the network read by the scan's own parsers: STUN Binding
 * answers (scan_stun_parse), ONC RPC PROG_MISMATCH replies (scan_rpc_versions) and MQTT packets
 * (scan_mqtt_version).
 * fuzz-sources: src/scan/probes/stun.c src/scan/probes/rpc.c src/scan/probes/mqtt.c */
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
        struct scan_service m;
        memset(&m, 0, sizeof(m));
        if (scan_mqtt_version(data, size, &m) == 1 &&
            (strnlen(m.product, sizeof(m.product)) == sizeof(m.product) ||
             strnlen(m.version, sizeof(m.version)) == sizeof(m.version)))
                __builtin_trap();
        uint32_t lo, hi;
        if (scan_rpc_versions(data, size, &lo, &hi) == 1 && lo > hi)
                __builtin_trap();
        return 0;
}
