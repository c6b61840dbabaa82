/* Socket owners through a BPF task-file iterator (kernel >= 5.8, CAP_BPF + CAP_PERFMON or root).
 *
 * Walking /proc/PID/fd costs a path lookup and a dentry per descriptor; the iterator visits the
 * same descriptors inside the kernel and writes only sockets: (inode, tgid) records. The program
 * is BPF C (src/bpf/sockowners.bpf.c) built into a light skeleton: its field offsets are CO-RE
 * relocations the kernel resolves at load, so the same binary works across kernels and nothing
 * here parses BTF. Any failure (no privilege, a verifier that says no, a build without the BPF
 * toolchain) returns -errno and the caller walks /proc instead. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-iter.h"

#ifdef PS_HAVE_BPF
#define PS_LSKEL "sockowners.lskel.h"
#include "lskel.h"
#include "sockowners-record.h"

#define RECORD sizeof(struct sockowners_record)
#define BUF_SIZE (1u << 16)

int sockets_bpf_owners(int (*emit)(uint64_t ino, uint32_t pid, void *data), void *data, char *err, size_t errlen)
{
        struct sockowners_bpf *skel = sockowners_bpf__open();
        int iter = -1, r;
        char *buf = NULL;

        if (!skel) {
                snprintf(err, errlen, "loading the BPF iterator: out of memory");
                return -ENOMEM;
        }
        if (sockowners_bpf__load(skel)) {
                r = errno ? -errno : -EINVAL;
                snprintf(err, errlen, "loading the BPF iterator: %s%s", strerror(-r),
                         r == -EPERM ? " (needs root or CAP_BPF and CAP_PERFMON)" : "");
                goto out;
        }
        if (sockowners_bpf__attach(skel)) {
                r = errno ? -errno : -EINVAL;
                snprintf(err, errlen, "attaching the BPF iterator: %s", strerror(-r));
                goto out;
        }
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.iter_create.link_fd = (uint32_t)skel->links.ps_sock_owners_fd;
        iter = skel_sys_bpf(BPF_ITER_CREATE, &a, sizeof(a));
        if (iter < 0) {
                r = -errno;
                snprintf(err, errlen, "creating the BPF iterator: %s", strerror(-r));
                goto out;
        }
        buf = malloc(BUF_SIZE);
        if (!buf) {
                r = -ENOMEM;
                goto out;
        }
        size_t have = 0; /* bytes of an incomplete record kept at the start of buf */
        for (;;) {
                ssize_t n = read(iter, buf + have, BUF_SIZE - have);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        snprintf(err, errlen, "reading the BPF iterator: %s", strerror(-r));
                        goto out;
                }
                if (n == 0)
                        break;
                size_t total = have + (size_t)n, off = 0;
                for (; off + RECORD <= total; off += RECORD) {
                        struct sockowners_record rec;
                        memcpy(&rec, buf + off, sizeof(rec));
                        r = emit(rec.inode, rec.tgid, data);
                        if (r < 0)
                                goto out;
                }
                /* seq_file hands out whole records, but do not rely on it. */
                have = total - off;
                memmove(buf, buf + off, have);
        }
        r = 0;
out:
        free(buf);
        if (iter >= 0)
                close(iter);
        sockowners_bpf__destroy(skel);
        return r;
}
#else
int sockets_bpf_owners(int (*emit)(uint64_t ino, uint32_t pid, void *data), void *data, char *err, size_t errlen)
{
        (void)emit;
        (void)data;
        snprintf(err, errlen, "built without the BPF toolchain (clang, bpftool, kernel BTF)");
        return -EOPNOTSUPP;
}
#endif
