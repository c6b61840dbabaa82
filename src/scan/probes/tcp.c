/* portscope scan — the TCP SYN probe: a SYN with an MSS option whose sequence number is the
 * cookie; a SYN-ACK says open, a RST closed, an ICMP unreachable filtered. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "probes.h"

uint32_t scan_checksum_add(uint32_t sum, const void *data, size_t len)
{
        const uint8_t *p = data;
        while (len > 1) {
                sum += (uint32_t)(p[0] << 8 | p[1]);
                p += 2;
                len -= 2;
        }
        if (len)
                sum += (uint32_t)(p[0] << 8);
        return sum;
}

uint16_t scan_checksum_fold(uint32_t sum)
{
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* 24 bytes: header and MSS 1460. */
static void tcp_syn(uint8_t *t, uint16_t sport, uint16_t dport, uint32_t seq)
{
        memset(t, 0, 24);
        put16(t, sport);
        put16(t + 2, dport);
        put32(t + 4, seq);
        t[12] = 6 << 4; /* data offset: 6 words */
        t[13] = 0x02;   /* SYN */
        put16(t + 14, 1024);
        t[20] = 2;
        t[21] = 4;
        put16(t + 22, 1460);
}

/* The SYN's checksum over the pseudo-header (addresses of alen bytes, protocol, length). */
static void syn_checksum(uint8_t *t, const struct scan_addr *src, const struct scan_addr *dst, size_t alen)
{
        uint32_t sum = scan_checksum_add(0, src->a, alen);
        sum = scan_checksum_add(sum, dst->a, alen);
        sum += IPPROTO_TCP + 24;
        sum = scan_checksum_add(sum, t, 24);
        put16(t + 16, scan_checksum_fold(sum));
}

static size_t syn_make(uint8_t *buf, const struct scan_addr *src, const struct scan_addr *dst, uint16_t sport,
                       uint16_t dport, uint32_t cookie)
{
        if (src->family == AF_INET) {
                uint8_t *ip = buf, *t = buf + 20;
                memset(ip, 0, 20);
                ip[0] = 0x45;
                put16(ip + 2, 44);
                put16(ip + 4, (uint16_t)(cookie ^ (cookie >> 16))); /* IP id */
                ip[8] = 64;
                ip[9] = IPPROTO_TCP;
                memcpy(ip + 12, src->a, 4);
                memcpy(ip + 16, dst->a, 4);
                put16(ip + 10, scan_checksum_fold(scan_checksum_add(0, ip, 20)));
                tcp_syn(t, sport, dport, cookie);
                syn_checksum(t, src, dst, 4);
                return 44;
        }
        tcp_syn(buf, sport, dport, cookie);
        syn_checksum(buf, src, dst, 16);
        return 24;
}

/* A TCP header at t (tlen bytes) of a packet from target to us. */
static int tcp_reply(const uint8_t *t, size_t tlen, uint16_t lo, uint16_t hi, struct scan_reply *r)
{
        if (tlen < 20)
                return 0;
        uint16_t dport = get16(t + 2);
        if (dport < lo || dport > hi)
                return 0;
        uint8_t flags = t[13];
        r->port = get16(t);
        r->our_port = dport;
        r->cookie_seen = get32(t + 8) - 1; /* ack = cookie + 1 */
        if ((flags & 0x12) == 0x12) {
                r->state = SCAN_OPEN;
                r->reason = SCAN_REASON_SYN_ACK;
        } else if (flags & 0x04) {
                if (!(flags & 0x10))
                        return 0; /* a RST without ACK does not echo our cookie */
                r->state = SCAN_CLOSED;
                r->reason = SCAN_REASON_RESET;
        } else {
                return 0;
        }
        return 1;
}

/* The probe quoted inside an ICMP error: our IP header and the first 8 bytes of our SYN. */
static int icmp_quote(const uint8_t *q, size_t qlen, int family, uint16_t lo, uint16_t hi, struct scan_reply *r)
{
        const uint8_t *t;
        size_t hl;
        if (family == AF_INET) {
                if (qlen < 20 || (q[0] >> 4) != 4 || q[9] != IPPROTO_TCP)
                        return 0;
                hl = (size_t)(q[0] & 0xf) * 4;
                if (hl < 20 || qlen < hl + 8)
                        return 0;
                memset(&r->target, 0, sizeof(r->target));
                r->target.family = AF_INET;
                memcpy(r->target.a, q + 16, 4);
        } else {
                if (qlen < 48 || (q[0] >> 4) != 6 || q[6] != IPPROTO_TCP)
                        return 0;
                hl = 40;
                memset(&r->target, 0, sizeof(r->target));
                r->target.family = AF_INET6;
                memcpy(r->target.a, q + 24, 16);
        }
        t = q + hl;
        uint16_t sport = get16(t);
        if (sport < lo || sport > hi)
                return 0;
        r->our_port = sport;
        r->port = get16(t + 2);
        r->cookie_seen = get32(t + 4);
        return 1;
}

static int syn_parse(const uint8_t *p, size_t len, uint16_t lo, uint16_t hi, struct scan_reply *r)
{
        if (len < 1)
                return 0;
        memset(r, 0, sizeof(*r));
        if ((p[0] >> 4) == 4) {
                if (len < 20)
                        return 0;
                size_t hl = (size_t)(p[0] & 0xf) * 4;
                size_t tot = get16(p + 2);
                if (hl < 20 || tot < hl || tot > len)
                        return 0;
                if (get16(p + 6) & 0x1fff)
                        return 0; /* a later fragment */
                r->ttl = p[8];
                if (p[9] == IPPROTO_TCP) {
                        r->target.family = AF_INET;
                        memcpy(r->target.a, p + 12, 4);
                        return tcp_reply(p + hl, tot - hl, lo, hi, r);
                }
                if (p[9] == IPPROTO_ICMP && tot >= hl + 8 && p[hl] == 3) {
                        uint8_t code = p[hl + 1];
                        if (!icmp_quote(p + hl + 8, tot - hl - 8, AF_INET, lo, hi, r))
                                return 0;
                        r->ttl = p[8];
                        r->state = SCAN_FILTERED;
                        r->reason = scan_icmp_unreach_reason(false, code);
                        return 1;
                }
                return 0;
        }
        if ((p[0] >> 4) == 6) {
                if (len < 40)
                        return 0;
                size_t plen = get16(p + 4);
                if (plen + 40 > len)
                        return 0;
                r->ttl = p[7];
                if (p[6] == IPPROTO_TCP) {
                        r->target.family = AF_INET6;
                        memcpy(r->target.a, p + 8, 16);
                        return tcp_reply(p + 40, plen, lo, hi, r);
                }
                if (p[6] == IPPROTO_ICMPV6 && plen >= 8 && p[40] == 1) {
                        uint8_t code = p[41];
                        if (!icmp_quote(p + 48, plen - 8, AF_INET6, lo, hi, r))
                                return 0;
                        r->state = SCAN_FILTERED;
                        r->reason = scan_icmp_unreach_reason(true, code);
                        return 1;
                }
        }
        return 0;
}

const struct scan_probe_module scan_probe_tcp_syn = {
        .name = "tcp_syn",
        .max_len = 44,
        .make = syn_make,
        .parse = syn_parse,
};
