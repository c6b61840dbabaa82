/* MQTT (3.1.1): a broker's version, from its retained $SYS/broker/version topic. nmap reports it
 * with a version script; a CONNECT and a SUBSCRIBE to that topic get the same answer
 * ("mosquitto version 2.0.11"). */
#include <stdio.h>
#include <string.h>

#include "probes.h"

static const char VERSION_TOPIC[] = "$SYS/broker/version";

size_t scan_mqtt_request(unsigned char buf[SCAN_MQTT_REQUEST_LEN])
{
        static const unsigned char connect[] = {
                0x10, 21,                               /* CONNECT, remaining length */
                0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, /* MQTT 3.1.1, clean session, keep-alive 60 s */
                0, 9, 'p', 'o', 'r', 't', 's', 'c', 'o', 'p', 'e',
        };
        static const unsigned char subscribe[] = { 0x82, 24, 0, 1, 0, 19 }; /* SUBSCRIBE id 1, topic length */
        size_t n = 0;
        memcpy(buf + n, connect, sizeof(connect));
        n += sizeof(connect);
        memcpy(buf + n, subscribe, sizeof(subscribe));
        n += sizeof(subscribe);
        memcpy(buf + n, VERSION_TOPIC, sizeof(VERSION_TOPIC) - 1);
        n += sizeof(VERSION_TOPIC) - 1;
        buf[n++] = 0; /* QoS 0 */
        return n;
}

int scan_mqtt_version(const unsigned char *b, size_t n, struct scan_service *ret)
{
        size_t o = 0;
        while (o + 2 <= n) {
                unsigned type = b[o] >> 4, qos = (b[o] >> 1) & 3;
                size_t len = 0, i = o + 1;
                unsigned shift = 0;
                /* Remaining length: at most four bytes of seven bits. */
                for (;;) {
                        if (i >= n || shift > 21)
                                return 0;
                        len |= (size_t)(b[i] & 0x7f) << shift;
                        shift += 7;
                        if (!(b[i++] & 0x80))
                                break;
                }
                if (len > n - i)
                        return 0;
                const unsigned char *body = b + i;
                if (type == 3 && len >= 2) { /* PUBLISH */
                        size_t tl = (size_t)body[0] << 8 | body[1];
                        size_t p = 2 + tl + (qos ? 2 : 0);
                        if (p <= len && tl == sizeof(VERSION_TOPIC) - 1 && memcmp(body + 2, VERSION_TOPIC, tl) == 0) {
                                char v[96];
                                size_t vl = len - p < sizeof(v) - 1 ? len - p : sizeof(v) - 1;
                                memcpy(v, body + p, vl);
                                v[vl] = '\0';
                                if (memchr(v, '\0', vl))
                                        return 0;
                                memset(ret->product, 0, sizeof(ret->product));
                                memset(ret->version, 0, sizeof(ret->version));
                                /* "mosquitto version 2.0.11": the product, then its version. */
                                const char *sep = strstr(v, " version ");
                                if (sep && sep > v) {
                                        snprintf(ret->product, sizeof(ret->product), "%.*s", (int)(sep - v), v);
                                        snprintf(ret->version, sizeof(ret->version), "%s", sep + 9);
                                } else
                                        snprintf(ret->product, sizeof(ret->product), "%s", v);
                                return 1;
                        }
                }
                o = i + len;
        }
        return 0;
}
