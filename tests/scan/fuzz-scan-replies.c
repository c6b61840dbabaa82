/* libFuzzer target: answers from the network read by the scan's own parsers: STUN Binding
 * answers (scan_stun_parse), ONC RPC PROG_MISMATCH replies (scan_rpc_versions), MQTT packets
 * (scan_mqtt_version) and the SYN engine's raw IPv4/IPv6 packets (SYN-ACK, RST, ICMP errors
 * quoting a probe: scan_probe_tcp_syn.parse).
 * fuzz-sources: src/scan/probes/stun.c src/scan/probes/rpc.c src/scan/probes/mqtt.c src/scan/probes/tcp.c src/scan/probes/icmp.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
        /* A reply is to one of our ports, in a state and for a reason that have names. The packet
         * is copied to a buffer of its exact size, so that a read past it is caught. */
        uint8_t *pkt = malloc(size ? size : 1);
        if (pkt) {
                memcpy(pkt, data, size);
                struct scan_reply r;
                if (scan_probe_tcp_syn.parse(pkt, size, 40000, 40063, &r) == 1 &&
                    (r.our_port < 40000 || r.our_port > 40063 ||
                     !(r.state == SCAN_OPEN || r.state == SCAN_CLOSED || r.state == SCAN_FILTERED) ||
                     (unsigned)r.reason >= SCAN_NREASONS ||
                     !(r.target.family == AF_INET || r.target.family == AF_INET6)))
                        __builtin_trap();
                free(pkt);
        }
        return 0;
}
