/* portscope — the record the socket-owner iterator (sockowners.bpf.c) writes, read by
 * src/audit/bpf-iter.c: 16 bytes, no holes. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct sockowners_record {
        __u64 inode;
        __u32 tgid;
        __u32 pad;
};
