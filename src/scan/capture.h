/* portscope scan — receiving replies: an AF_PACKET socket with a TPACKET_V3 ring and a BPF filter.
 *
 * TPACKET_V3 packs packets of any size into large blocks, so GRO/TSO-sized packets do not
 * reserve 64 KiB slots each (the failure of a libpcap capture in immediate mode with offloads
 * on); the kernel's drop counters are read and reported. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scan_capture {
        int fd;
        uint8_t *map;
        size_t block_size;
        unsigned nblocks, cur;
        uint64_t drops;
};

/* Opens the capture for TCP replies to destination ports [lo, hi] and all ICMP/ICMPv6 (tcp
 * true), or for ICMP only (tcp false). Returns 0 or -errno with a reason in err. */
int scan_capture_open(struct scan_capture *c, bool tcp, uint16_t lo, uint16_t hi, char *err, size_t errlen);
/* Hands every packet ready (network header first) to fn; waits up to timeout_ms when none is.
 * Returns the number of packets, or -errno. */
int scan_capture_poll(struct scan_capture *c, int timeout_ms, void (*fn)(void *ud, const uint8_t *pkt, size_t len),
                      void *ud);
/* Adds the kernel's drop counters since the last call to c->drops. */
void scan_capture_update_drops(struct scan_capture *c);
void scan_capture_close(struct scan_capture *c);
