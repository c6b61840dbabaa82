/* watch: helpers shared inside src/watch. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Wall clock in milliseconds since the epoch. */
int64_t watch_now_ms(void);
/* Whether addr (family) is a loopback address. */
bool watch_addr_loopback(int family, const uint8_t addr[16]);

/* One packet of the AF_PACKET fallback, read (packet.c): an inbound TCP probe (SYN or an odd
 * flag set, never RST or ACK) or UDP datagram, or this host's own answer that nothing listens
 * (an outgoing RST, or an ICMP port unreachable quoting the datagram). buf starts at the IP
 * header; ethertype is ETH_P_IP or ETH_P_IPV6. */
enum { WATCH_PARSED_NONE = 0, WATCH_PARSED_PROBE = 1, WATCH_PARSED_ANSWER = 2 };
struct watch_parsed {
        int family;
        int proto;                 /* enum ps_proto: PS_TCP, PS_UDP */
        uint8_t tcp_flags;
        uint8_t their[16], ours[16];
        uint16_t their_port, our_port;
};
int watch_packet_parse(const uint8_t *buf, size_t len, uint16_t ethertype, bool outgoing, struct watch_parsed *ret);
