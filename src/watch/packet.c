/* watch: reading one packet of the AF_PACKET fallback (outside input: every byte is checked
 * against the captured length before it is read). */
#include <netinet/in.h>
#include <string.h>

#include "portscope/port.h"
#include "watch-internal.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd

static uint16_t be16(const uint8_t *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

int watch_packet_parse(const uint8_t *buf, size_t len, uint16_t ethertype, bool outgoing, struct watch_parsed *ret)
{
        struct watch_parsed w;
        unsigned proto;
        size_t th;

        memset(&w, 0, sizeof(w));
        if (ethertype == ETHERTYPE_IPV4 && len >= 20) {
                w.family = AF_INET;
                proto = buf[9];
                th = (size_t)(buf[0] & 0x0f) * 4;
                if (th < 20)
                        return WATCH_PARSED_NONE;
                /* their = source, ours = destination for an inbound packet; swapped below */
                memcpy(w.their, buf + 12, 4);
                memcpy(w.ours, buf + 16, 4);
        } else if (ethertype == ETHERTYPE_IPV6 && len >= 40) {
                w.family = AF_INET6;
                proto = buf[6];
                th = 40;
                memcpy(w.their, buf + 8, 16);
                memcpy(w.ours, buf + 24, 16);
        } else
                return WATCH_PARSED_NONE;
        if (outgoing) {
                if (proto == IPPROTO_TCP && len >= th + 14 && (buf[th + 13] & 0x04)) {
                        /* our RST: the source is ours, the destination theirs */
                        uint8_t t[16];
                        memcpy(t, w.their, 16);
                        memcpy(w.their, w.ours, 16);
                        memcpy(w.ours, t, 16);
                        w.proto = PS_TCP;
                        w.our_port = be16(buf + th);
                        w.their_port = be16(buf + th + 2);
                        *ret = w;
                        return WATCH_PARSED_ANSWER;
                }
                if ((proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) && len >= th + 8) {
                        /* port unreachable quoting their datagram: the inner source is theirs */
                        size_t in = th + 8, uh;
                        if (w.family == AF_INET && len >= in + 20 && buf[in + 9] == IPPROTO_UDP) {
                                memcpy(w.their, buf + in + 12, 4);
                                memcpy(w.ours, buf + in + 16, 4);
                                uh = in + (size_t)(buf[in] & 0x0f) * 4;
                        } else if (w.family == AF_INET6 && len >= in + 40 && buf[in + 6] == IPPROTO_UDP) {
                                memcpy(w.their, buf + in + 8, 16);
                                memcpy(w.ours, buf + in + 24, 16);
                                uh = in + 40;
                        } else
                                return WATCH_PARSED_NONE;
                        if (len < uh + 4)
                                return WATCH_PARSED_NONE;
                        w.proto = PS_UDP;
                        w.their_port = be16(buf + uh);
                        w.our_port = be16(buf + uh + 2);
                        *ret = w;
                        return WATCH_PARSED_ANSWER;
                }
                return WATCH_PARSED_NONE;
        }
        if (proto == IPPROTO_TCP && len >= th + 14) {
                w.proto = PS_TCP;
                w.tcp_flags = buf[th + 13];
                if (w.tcp_flags & 0x14) /* RST or ACK: never a probe */
                        return WATCH_PARSED_NONE;
        } else if (proto == IPPROTO_UDP && len >= th + 8) {
                w.proto = PS_UDP;
        } else
                return WATCH_PARSED_NONE;
        w.their_port = be16(buf + th);
        w.our_port = be16(buf + th + 2);
        *ret = w;
        return WATCH_PARSED_PROBE;
}
