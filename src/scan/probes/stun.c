/* STUN (RFC 5389): a Binding Request, and the server's SOFTWARE attribute read from its answer.
 * nmap names STUN servers with a version script, not a service probe; a scan that sends the
 * same request names them too ("stun", product "Coturn", version "4.6.1"). */
#include <stdio.h>
#include <string.h>

#include "probes.h"

#define STUN_MAGIC 0x2112A442u
#define STUN_BINDING_REQUEST 0x0001u
#define STUN_BINDING_SUCCESS 0x0101u
#define STUN_BINDING_ERROR 0x0111u
#define STUN_ATTR_SOFTWARE 0x8022u

static uint16_t be16(const unsigned char *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const unsigned char *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t scan_stun_request(unsigned char buf[SCAN_STUN_REQUEST_LEN], const uint8_t txid[12])
{
        memset(buf, 0, SCAN_STUN_REQUEST_LEN);
        buf[0] = STUN_BINDING_REQUEST >> 8;
        buf[1] = STUN_BINDING_REQUEST & 0xff;
        /* length 0: no attributes */
        buf[4] = (unsigned char)(STUN_MAGIC >> 24);
        buf[5] = (unsigned char)(STUN_MAGIC >> 16);
        buf[6] = (unsigned char)(STUN_MAGIC >> 8);
        buf[7] = (unsigned char)STUN_MAGIC;
        memcpy(buf + 8, txid, 12);
        return SCAN_STUN_REQUEST_LEN;
}

/* Copies at most cap - 1 bytes of [s, s + n) into out, stopping at a NUL. */
static void copy_field(char *out, size_t cap, const unsigned char *s, size_t n)
{
        size_t i = 0;
        for (; i < n && i + 1 < cap && s[i]; i++)
                out[i] = (char)s[i];
        out[i] = '\0';
}

int scan_stun_parse(const unsigned char *buf, size_t len, const uint8_t txid[12], struct scan_service *ret)
{
        if (len < 20)
                return 0;
        uint16_t type = be16(buf), mlen = be16(buf + 2);
        if ((type != STUN_BINDING_SUCCESS && type != STUN_BINDING_ERROR) || be32(buf + 4) != STUN_MAGIC ||
            memcmp(buf + 8, txid, 12) != 0 || (mlen & 3) || (size_t)mlen + 20 > len)
                return 0;
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->name, sizeof(ret->name), "stun");
        snprintf(ret->probe, sizeof(ret->probe), "STUN-Binding");
        /* Attributes: type, length, value padded to 4 bytes. */
        for (size_t o = 20; o + 4 <= (size_t)mlen + 20;) {
                uint16_t at = be16(buf + o), al = be16(buf + o + 2);
                if (o + 4 + al > (size_t)mlen + 20)
                        break;
                if (at == STUN_ATTR_SOFTWARE && al > 0) {
                        /* "Coturn-4.6.1 'Gorst'": the product, then its version after the last '-'
                         * of the first word when it starts with a digit. */
                        const unsigned char *v = buf + o + 4;
                        size_t word = 0;
                        while (word < al && v[word] != ' ')
                                word++;
                        size_t dash = word;
                        while (dash > 0 && v[dash - 1] != '-')
                                dash--;
                        if (dash > 1 && dash < word && v[dash] >= '0' && v[dash] <= '9') {
                                copy_field(ret->product, sizeof(ret->product), v, dash - 1);
                                copy_field(ret->version, sizeof(ret->version), v + dash, word - dash);
                                if (word + 1 < al)
                                        copy_field(ret->info, sizeof(ret->info), v + word + 1, al - word - 1);
                        } else
                                copy_field(ret->product, sizeof(ret->product), v, al);
                }
                o += 4 + (((size_t)al + 3) & ~(size_t)3);
        }
        size_t keep = len < sizeof(ret->banner) ? len : sizeof(ret->banner);
        memcpy(ret->banner, buf, keep);
        ret->banner_len = keep;
        return 1;
}
