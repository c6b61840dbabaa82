// SPDX-License-Identifier: GPL-2.0 OR MIT
/* portscope audit: who holds each socket. A task-file iterator (as bpftool's pid_iter.bpf.c)
 * visits every open file of every task inside the kernel and writes one record per socket
 * descriptor: (inode, tgid). Threads sharing a descriptor table are visited once by the kernel.
 * Field offsets (file->f_inode, inode->i_mode and i_ino, task->tgid) are CO-RE relocations that
 * the kernel resolves when the light skeleton loads. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sockowners-record.h"

#define S_IFMT 00170000
#define S_IFSOCK 0140000

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("iter/task_file")
int ps_sock_owners(struct bpf_iter__task_file *ctx)
{
        struct file *file = ctx->file;
        struct task_struct *task = ctx->task;
        if (!file || !task)
                return 0;
        struct inode *inode = BPF_CORE_READ(file, f_inode);
        if (!inode)
                return 0;
        if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFSOCK)
                return 0;
        struct sockowners_record r = {
                .inode = BPF_CORE_READ(inode, i_ino),
                .tgid = (__u32)BPF_CORE_READ(task, tgid),
                .pad = 0,
        };
        bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
        return 0;
}
