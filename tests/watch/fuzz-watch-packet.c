/* libFuzzer target: packets of watch's AF_PACKET fallback (outside input) through
 * watch_packet_parse(), both directions and both IP versions.
 * fuzz-sources: src/watch/packet.c */
#include <stdbool.h>
#include <stdint.h>

#include "watch/watch-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const uint16_t types[] = { 0x0800, 0x86dd };
        for (unsigned t = 0; t < 2; t++)
                for (int out = 0; out < 2; out++) {
                        struct watch_parsed w;
                        int k = watch_packet_parse(data, size, types[t], out, &w);
                        /* an answer only from this host's own packets, a probe only from others' */
                        if ((k == WATCH_PARSED_ANSWER && !out) || (k == WATCH_PARSED_PROBE && out))
                                __builtin_trap();
                        if (k == WATCH_PARSED_PROBE && w.proto == 0 && (w.tcp_flags & 0x14))
                                __builtin_trap(); /* RST or ACK is never a probe */
                }
        return 0;
}
