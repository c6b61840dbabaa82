/* portscope scan — the AF_PACKET receive ring. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "scan-internal.h"

#include "portscope/i18n.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

int scan_capture_open(struct scan_capture *c, bool tcp, uint16_t lo, uint16_t hi, char *err, size_t errlen)
{
        memset(c, 0, sizeof(*c));
        c->fd = -1;
        /* Offsets from the network header (SOCK_DGRAM). Labels: 19 accept, 20 reject. */
        struct sock_filter prog[] = {
                /* 0 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
                /* 1 */ BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
                /* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 9),
                /* 3 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
                /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, 14, 0),
                /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, tcp ? IPPROTO_TCP : 0xffff, 0, 14),
                /* 6 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
                /* 7 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 12, 0),
                /* 8 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
                /* 9 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
                /* 10 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lo, 0, 9),
                /* 11 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, hi, 8, 7),
                /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 7),
                /* 13 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
                /* 14 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 4, 0),
                /* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, tcp ? IPPROTO_TCP : 0xffff, 0, 4),
                /* 16 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 42),
                /* 17 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lo, 0, 2),
                /* 18 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, hi, 1, 0),
                /* 19 */ BPF_STMT(BPF_RET | BPF_K, 1024),
                /* 20 */ BPF_STMT(BPF_RET | BPF_K, 0),
        };
        struct sock_fprog fprog = { .len = sizeof(prog) / sizeof(prog[0]), .filter = prog };
        int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return scan_errf(err, errlen, -errno, _("cannot open a packet socket: %s"), strerror(errno));
        int r;
        int v = TPACKET_V3, one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) < 0 ||
            setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0) {
                r = scan_errf(err, errlen, -errno, _("cannot set up the packet socket: %s"), strerror(errno));
                goto fail;
        }
        setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
        /* 32 blocks of 1 MiB: some 250,000 replies can wait while we are busy. */
        struct tpacket_req3 req = {
                .tp_block_size = 1u << 20,
                .tp_block_nr = 32,
                .tp_frame_size = 2048,
                .tp_frame_nr = (1u << 20) / 2048 * 32,
                .tp_retire_blk_tov = 1, /* ms: a partly filled block is handed over quickly */
        };
        if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
                r = scan_errf(err, errlen, -errno, _("cannot set up the receive ring: %s"), strerror(errno));
                goto fail;
        }
        size_t len = (size_t)req.tp_block_size * req.tp_block_nr;
        void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) {
                r = scan_errf(err, errlen, -errno, _("cannot map the receive ring: %s"), strerror(errno));
                goto fail;
        }
        struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
        if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
                r = scan_errf(err, errlen, -errno, _("cannot bind the packet socket: %s"), strerror(errno));
                munmap(map, len);
                goto fail;
        }
        c->fd = fd;
        c->map = map;
        c->block_size = req.tp_block_size;
        c->nblocks = req.tp_block_nr;
        scan_capture_update_drops(c);
        c->drops = 0;
        return 0;
fail:
        close(fd);
        return r;
}

int scan_capture_poll(struct scan_capture *c, int timeout_ms, void (*fn)(void *ud, const uint8_t *pkt, size_t len),
                      void *ud)
{
        int total = 0;
        for (;;) {
                struct tpacket_block_desc *bd = (void *)(c->map + (size_t)c->cur * c->block_size);
                if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
                        if (total > 0 || timeout_ms == 0)
                                return total;
                        struct pollfd pfd = { .fd = c->fd, .events = POLLIN | POLLERR };
                        int r = poll(&pfd, 1, timeout_ms);
                        if (r < 0 && errno != EINTR)
                                return -errno;
                        timeout_ms = 0;
                        continue;
                }
                uint32_t n = bd->hdr.bh1.num_pkts;
                uint8_t *p = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
                uint8_t *end = (uint8_t *)bd + c->block_size;
                for (uint32_t i = 0; i < n && p < end; i++) {
                        struct tpacket3_hdr *h = (void *)p;
                        if (h->tp_mac + h->tp_snaplen <= (size_t)(end - p))
                                fn(ud, p + h->tp_mac, h->tp_snaplen);
                        if (h->tp_next_offset == 0)
                                break;
                        p += h->tp_next_offset;
                }
                total += (int)n;
                __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
                c->cur = (c->cur + 1) % c->nblocks;
        }
}

void scan_capture_update_drops(struct scan_capture *c)
{
        struct tpacket_stats_v3 st;
        socklen_t len = sizeof(st);
        if (c->fd >= 0 && getsockopt(c->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
                c->drops += st.tp_drops;
}

void scan_capture_close(struct scan_capture *c)
{
        if (c->map)
                munmap(c->map, c->block_size * c->nblocks);
        if (c->fd >= 0)
                close(c->fd);
        c->map = NULL;
        c->fd = -1;
}
