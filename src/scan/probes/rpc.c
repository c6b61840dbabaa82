/* ONC RPC (RFC 5531): the versions a program supports, from a PROG_MISMATCH reply. nmap's
 * RPCCheck probe calls the portmapper with a version nobody serves; the reply names the lowest
 * and highest versions it does serve, which nmap reports as rpcbind's version ("2-4"). */
#include <string.h>

#include "probes.h"

static uint32_t be32(const unsigned char *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The reply at b (n bytes, no record mark). */
static int parse_reply(const unsigned char *b, size_t n, uint32_t *ret_lo, uint32_t *ret_hi)
{
        /* xid, REPLY (1), MSG_ACCEPTED (0), verifier flavor, verifier length, body, accept_stat */
        if (n < 20 || be32(b + 4) != 1 || be32(b + 8) != 0)
                return 0;
        uint32_t vlen = be32(b + 16);
        if (vlen > 400 || (vlen & 3))
                return 0;
        size_t o = 20 + vlen;
        /* PROG_MISMATCH (2), low, high */
        if (o + 12 > n || be32(b + o) != 2)
                return 0;
        uint32_t lo = be32(b + o + 4), hi = be32(b + o + 8);
        if (lo > hi || hi > 1000)
                return 0;
        *ret_lo = lo;
        *ret_hi = hi;
        return 1;
}

int scan_rpc_versions(const unsigned char *b, size_t n, uint32_t *ret_lo, uint32_t *ret_hi)
{
        /* Over TCP a record mark comes first: the last-fragment bit and the fragment's length. */
        if (n >= 4 && (b[0] & 0x80) && (size_t)(be32(b) & 0x7fffffffu) + 4 <= n &&
            parse_reply(b + 4, be32(b) & 0x7fffffffu, ret_lo, ret_hi))
                return 1;
        return parse_reply(b, n, ret_lo, ret_hi);
}
