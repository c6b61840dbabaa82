/* portscope scan — probe modules: how a probe packet is built and how a reply is read.
 * One constant table per module file (zmap's probe modules). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "../scan-internal.h"

/* What a reply says about the probed pair. */
struct scan_reply {
        struct scan_addr target;  /* the probed address */
        uint16_t port;            /* the probed port */
        uint16_t our_port;        /* our source port of the probe */
        uint32_t cookie_seen;     /* the value that must equal the cookie */
        enum scan_state state;
        enum scan_reason reason;
        uint8_t ttl;
};

struct scan_probe_module {
        const char *name;
        size_t max_len; /* bytes make() may write */
        /* Writes the probe from src:sport to dst:dport carrying cookie into buf (at least max_len
         * bytes). IPv4: the whole IP packet (for IP_HDRINCL); IPv6: the transport header only (the
         * kernel writes the IPv6 header). Returns the length. */
        size_t (*make)(uint8_t *buf, const struct scan_addr *src, const struct scan_addr *dst, uint16_t sport,
                       uint16_t dport, uint32_t cookie);
        /* Reads a packet starting at its IP header. Returns 1 and fills *ret when it is a reply
         * to one of our probes (source port within [lo, hi]); 0 otherwise. The caller checks the
         * cookie. Must never read beyond len. */
        int (*parse)(const uint8_t *pkt, size_t len, uint16_t lo, uint16_t hi, struct scan_reply *ret);
};

extern const struct scan_probe_module scan_probe_tcp_syn;

uint16_t scan_checksum_fold(uint32_t sum);
uint32_t scan_checksum_add(uint32_t sum, const void *data, size_t len);

/* STUN (probes/stun.c): a Binding Request with transaction id txid, and the answer read back:
 * returns 1 and fills ret (name "stun", product and version from SOFTWARE) when buf is a
 * Binding answer to txid, else 0. */
#define SCAN_STUN_REQUEST_LEN 20
size_t scan_stun_request(unsigned char buf[SCAN_STUN_REQUEST_LEN], const uint8_t txid[12]);
int scan_stun_parse(const unsigned char *buf, size_t len, const uint8_t txid[12], struct scan_service *ret);

/* ONC RPC (probes/rpc.c): the lowest and highest versions named by a PROG_MISMATCH reply (over
 * UDP, or over TCP with its record mark). Returns 1 and fills them, else 0. */
int scan_rpc_versions(const unsigned char *b, size_t n, uint32_t *ret_lo, uint32_t *ret_hi);

/* MQTT (probes/mqtt.c): a CONNECT and a SUBSCRIBE to $SYS/broker/version in one request, and the
 * broker's answer read back: returns 1 and fills ret's product and version from the topic's
 * PUBLISH ("mosquitto", "2.0.11"), else 0. */
#define SCAN_MQTT_REQUEST_LEN 49
size_t scan_mqtt_request(unsigned char buf[SCAN_MQTT_REQUEST_LEN]);
int scan_mqtt_version(const unsigned char *b, size_t n, struct scan_service *ret);
