/* portscope scan — SYN cookies: SipHash-2-4 of the 4-tuple under a per-scan random key.
 *
 * Nothing is stored per probe: a reply is ours when its acknowledgement number is the cookie of
 * its own addresses and ports plus one, which an off-path sender cannot guess. */
#include <string.h>
#include <sys/socket.h>

#include "scan-internal.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                     \
        do {                                                                                         \
                v0 += v1;                                                                            \
                v1 = ROTL(v1, 13);                                                                   \
                v1 ^= v0;                                                                            \
                v0 = ROTL(v0, 32);                                                                   \
                v2 += v3;                                                                            \
                v3 = ROTL(v3, 16);                                                                   \
                v3 ^= v2;                                                                            \
                v0 += v3;                                                                            \
                v3 = ROTL(v3, 21);                                                                   \
                v3 ^= v0;                                                                            \
                v2 += v1;                                                                            \
                v1 = ROTL(v1, 17);                                                                   \
                v1 ^= v2;                                                                            \
                v2 = ROTL(v2, 32);                                                                   \
        } while (0)

static uint64_t load64(const uint8_t *p)
{
        uint64_t v;
        memcpy(&v, p, 8);
        return v; /* little-endian hosts only matter for reproducibility inside one run */
}

uint64_t scan_siphash(const struct scan_cookie_key *key, const void *data, size_t len)
{
        const uint8_t *in = data;
        uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ key->k0;
        uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ key->k1;
        uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ key->k0;
        uint64_t v3 = UINT64_C(0x7465646279746573) ^ key->k1;
        uint64_t b = (uint64_t)len << 56;
        size_t end = len - (len % 8);
        for (size_t i = 0; i < end; i += 8) {
                uint64_t m = load64(in + i);
                v3 ^= m;
                SIPROUND;
                SIPROUND;
                v0 ^= m;
        }
        for (size_t i = 0; i < len % 8; i++)
                b |= (uint64_t)in[end + i] << (8 * i);
        v3 ^= b;
        SIPROUND;
        SIPROUND;
        v0 ^= b;
        v2 ^= 0xff;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t scan_cookie(const struct scan_cookie_key *key, const struct scan_addr *src, const struct scan_addr *dst,
                     uint16_t sport, uint16_t dport)
{
        uint8_t buf[36];
        size_t alen = src->family == AF_INET ? 4 : 16;
        memcpy(buf, src->a, alen);
        memcpy(buf + alen, dst->a, alen);
        buf[2 * alen] = (uint8_t)(sport >> 8);
        buf[2 * alen + 1] = (uint8_t)sport;
        buf[2 * alen + 2] = (uint8_t)(dport >> 8);
        buf[2 * alen + 3] = (uint8_t)dport;
        return (uint32_t)scan_siphash(key, buf, 2 * alen + 4);
}
