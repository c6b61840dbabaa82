/* Socket owners through a BPF task-file iterator (kernel >= 5.8, CAP_BPF + CAP_PERFMON or root).
 *
 * Walking /proc/PID/fd costs a path lookup and a dentry per descriptor; the iterator visits the
 * same descriptors inside the kernel and writes only sockets: (inode, tgid, fd) records. The
 * program is assembled here (no clang, no libbpf): the few structure offsets it needs (file ->
 * f_inode, inode -> i_mode and i_ino, task_struct -> tgid, bpf_iter_meta -> seq) are read from
 * the kernel's own BTF in /sys/kernel/btf/vmlinux, so the same binary works across kernels.
 * Any failure (no BTF, no privilege, a verifier that says no) returns -errno and the caller
 * walks /proc instead. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf-iter.h"
#include "portscope/util.h"

#define BTF_MAGIC 0xeB9F
#define BTF_MAX_SIZE (64u << 20)

enum {
        K_INT = 1, K_PTR = 2, K_ARRAY = 3, K_STRUCT = 4, K_UNION = 5, K_ENUM = 6, K_FWD = 7, K_TYPEDEF = 8,
        K_VOLATILE = 9, K_CONST = 10, K_RESTRICT = 11, K_FUNC = 12, K_FUNC_PROTO = 13, K_VAR = 14, K_DATASEC = 15,
        K_FLOAT = 16, K_DECL_TAG = 17, K_TYPE_TAG = 18, K_ENUM64 = 19,
};

struct btf_hdr {
        uint16_t magic;
        uint8_t version, flags;
        uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

struct btf_t {
        uint32_t name_off, info, size_or_type;
};

struct btf_m {
        uint32_t name_off, type, offset;
};

struct btf {
        char *data;
        size_t len;
        bool mapped;            /* data is an mmap of the sysfs file (kernels >= 6.16), else malloc'd */
        const char *strs;
        uint32_t str_len;
        const struct btf_t **types; /* by id; [0] unused */
        uint32_t ntypes;
};

static unsigned kind_of(const struct btf_t *t)
{
        return (t->info >> 24) & 0x1f;
}

static unsigned vlen_of(const struct btf_t *t)
{
        return t->info & 0xffff;
}

static const char *btf_name(const struct btf *b, uint32_t off)
{
        return off < b->str_len ? b->strs + off : "";
}

static void btf_free(struct btf *b)
{
        if (b->mapped)
                munmap(b->data, b->len);
        else
                free(b->data);
        free(b->types);
}

/* Maps the kernel's BTF when sysfs allows it (no 5 MB copy), else reads it. */
static int btf_map(struct btf *b)
{
        const char *path = "/sys/kernel/btf/vmlinux";
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;

        if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size <= BTF_MAX_SIZE) {
                void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
                if (p != MAP_FAILED) {
                        close(fd);
                        b->data = p;
                        b->len = (size_t)st.st_size;
                        b->mapped = true;
                        return 0;
                }
        }
        if (fd >= 0)
                close(fd);
        return ps_read_file(path, BTF_MAX_SIZE, &b->data, &b->len);
}

static int btf_load(struct btf *b)
{
        const struct btf_hdr *h;
        size_t cap = 0;
        const char *p, *end;
        int r;

        memset(b, 0, sizeof(*b));
        r = btf_map(b);
        if (r < 0)
                return r;
        h = (const struct btf_hdr *)(void *)b->data;
        if (b->len < sizeof(*h) || h->magic != BTF_MAGIC || h->hdr_len > b->len ||
            (uint64_t)h->hdr_len + h->type_off + h->type_len > b->len ||
            (uint64_t)h->hdr_len + h->str_off + h->str_len > b->len)
                return -EINVAL;
        b->strs = b->data + h->hdr_len + h->str_off;
        b->str_len = h->str_len;
        p = b->data + h->hdr_len + h->type_off;
        end = p + h->type_len;
        cap = 1u << 17;
        b->types = malloc(cap * sizeof(*b->types));
        if (!b->types)
                return -ENOMEM;
        b->ntypes = 1;
        while (p + sizeof(struct btf_t) <= end) {
                const struct btf_t *t = (const struct btf_t *)(const void *)p;
                size_t extra;
                unsigned v = vlen_of(t);

                switch (kind_of(t)) {
                case K_INT: case K_VAR: case K_DECL_TAG: extra = 4; break;
                case K_ARRAY: extra = 12; break;
                case K_STRUCT: case K_UNION: case K_DATASEC: case K_ENUM64: extra = 12u * v; break;
                case K_ENUM: case K_FUNC_PROTO: extra = 8u * v; break;
                case K_PTR: case K_FWD: case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT: case K_FUNC:
                case K_FLOAT: case K_TYPE_TAG: extra = 0; break;
                default: return -EINVAL;
                }
                if (b->ntypes == cap) {
                        const struct btf_t **nt = realloc(b->types, cap * 2 * sizeof(*nt));
                        if (!nt)
                                return -ENOMEM;
                        b->types = nt;
                        cap *= 2;
                }
                b->types[b->ntypes++] = t;
                p += sizeof(*t) + extra;
        }
        return 0;
}

static int32_t btf_find(const struct btf *b, unsigned kind, const char *name)
{
        for (uint32_t i = 1; i < b->ntypes; i++)
                if (kind_of(b->types[i]) == kind && strcmp(btf_name(b, b->types[i]->name_off), name) == 0)
                        return (int32_t)i;
        return -1;
}

/* Follows typedefs and qualifiers. */
static const struct btf_t *btf_resolve(const struct btf *b, uint32_t id)
{
        for (int depth = 0; depth < 32 && id && id < b->ntypes; depth++) {
                const struct btf_t *t = b->types[id];
                unsigned k = kind_of(t);
                if (k != K_TYPEDEF && k != K_VOLATILE && k != K_CONST && k != K_RESTRICT && k != K_TYPE_TAG)
                        return t;
                id = t->size_or_type;
        }
        return NULL;
}

/* Byte offset of member name in struct/union t, searching anonymous members; -1 if absent. */
static long btf_member_off(const struct btf *b, const struct btf_t *t, const char *name, int depth)
{
        const struct btf_m *m;
        bool kflag;

        if (!t || depth > 8 || (kind_of(t) != K_STRUCT && kind_of(t) != K_UNION))
                return -1;
        m = (const struct btf_m *)(const void *)(t + 1);
        kflag = t->info >> 31;
        for (unsigned i = 0; i < vlen_of(t); i++) {
                uint32_t bits = kflag ? (m[i].offset & 0xffffff) : m[i].offset;
                if (bits % 8)
                        continue;
                if (m[i].name_off == 0) {
                        const struct btf_t *inner = btf_resolve(b, m[i].type);
                        long off = inner ? btf_member_off(b, inner, name, depth + 1) : -1;
                        if (off >= 0)
                                return (long)(bits / 8) + off;
                } else if (strcmp(btf_name(b, m[i].name_off), name) == 0)
                        return (long)(bits / 8);
        }
        return -1;
}

static long struct_member(const struct btf *b, const char *sname, const char *member)
{
        int32_t id = btf_find(b, K_STRUCT, sname);
        return id < 0 ? -1 : btf_member_off(b, b->types[id], member, 0);
}

/* ---- the program ---- */

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define MOV64(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64I(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADD64I(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define AND64I(d, i) INSN(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, i)
#define JEQI(d, i, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define JNEI(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define ST0(sz, d, o) INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, 0)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static long sys_bpf(int cmd, union bpf_attr *a)
{
        return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

int sockets_bpf_owners(int (*emit)(uint64_t ino, uint32_t pid, void *data), void *data, char *err, size_t errlen)
{
        struct btf b;
        long f_inode, i_mode, i_ino, tgid, seq;
        int32_t func;
        int prog = -1, link = -1, iter = -1, r;
        char *buf = NULL;
        union bpf_attr a;

        r = btf_load(&b);
        if (r < 0) {
                snprintf(err, errlen, "no kernel BTF (/sys/kernel/btf/vmlinux): %s", strerror(-r));
                btf_free(&b);
                return r;
        }
        func = btf_find(&b, K_FUNC, "bpf_iter_task_file");
        f_inode = struct_member(&b, "file", "f_inode");
        i_mode = struct_member(&b, "inode", "i_mode");
        i_ino = struct_member(&b, "inode", "i_ino");
        tgid = struct_member(&b, "task_struct", "tgid");
        seq = struct_member(&b, "bpf_iter_meta", "seq");
        btf_free(&b);
        if (func < 0 || f_inode < 0 || i_mode < 0 || i_ino < 0 || tgid < 0 || seq < 0 || f_inode > 32767 ||
            i_mode > 32767 || i_ino > 32767 || tgid > 32767 || seq > 32767) {
                snprintf(err, errlen, "this kernel's BTF lacks the task-file iterator (kernel >= 5.8)");
                return -EOPNOTSUPP;
        }
        {
                /* ctx is the iterator's argument array: meta, task, fd, file at 0, 8, 16, 24. */
                const struct bpf_insn insns[] = {
                        MOV64(6, 1),
                        LDX(BPF_DW, 7, 6, 0),            /* r7 = meta */
                        LDX(BPF_DW, 8, 6, 24),           /* r8 = file (may be NULL: end of a task) */
                        JEQI(8, 0, 17),
                        LDX(BPF_DW, 9, 6, 8),            /* r9 = task */
                        JEQI(9, 0, 15),
                        LDX(BPF_DW, 2, 8, (int16_t)f_inode),
                        JEQI(2, 0, 13),
                        LDX(BPF_H, 3, 2, (int16_t)i_mode),
                        AND64I(3, 0xf000),
                        JNEI(3, 0xc000, 10),             /* S_IFSOCK only */
                        LDX(BPF_DW, 4, 2, (int16_t)i_ino),
                        STX(BPF_DW, 10, 4, -16),
                        LDX(BPF_W, 5, 9, (int16_t)tgid),
                        STX(BPF_W, 10, 5, -8),
                        ST0(BPF_W, 10, -4),              /* no uninitialised stack in the record */
                        LDX(BPF_DW, 1, 7, (int16_t)seq), /* bpf_seq_write(meta->seq, fp - 16, 16) */
                        MOV64(2, 10),
                        ADD64I(2, -16),
                        MOV64I(3, 16),
                        CALL(BPF_FUNC_seq_write),
                        MOV64I(0, 0),
                        EXIT(),
                };
                memset(&a, 0, sizeof(a));
                a.prog_type = BPF_PROG_TYPE_TRACING;
                a.expected_attach_type = BPF_TRACE_ITER;
                a.attach_btf_id = (uint32_t)func;
                a.insns = (uint64_t)(uintptr_t)insns;
                a.insn_cnt = sizeof(insns) / sizeof(insns[0]);
                a.license = (uint64_t)(uintptr_t) "Dual MIT/GPL";
                memcpy(a.prog_name, "ps_sock_owners", sizeof("ps_sock_owners"));
                prog = (int)sys_bpf(BPF_PROG_LOAD, &a);
                if (prog < 0) {
                        r = -errno;
                        snprintf(err, errlen, "loading the BPF iterator: %s%s", strerror(errno),
                                 errno == EPERM ? " (needs root or CAP_BPF and CAP_PERFMON)" : "");
                        goto out;
                }
        }
        memset(&a, 0, sizeof(a));
        a.link_create.prog_fd = (uint32_t)prog;
        a.link_create.attach_type = BPF_TRACE_ITER;
        link = (int)sys_bpf(BPF_LINK_CREATE, &a);
        if (link < 0) {
                r = -errno;
                snprintf(err, errlen, "attaching the BPF iterator: %s", strerror(errno));
                goto out;
        }
        memset(&a, 0, sizeof(a));
        a.iter_create.link_fd = (uint32_t)link;
        iter = (int)sys_bpf(BPF_ITER_CREATE, &a);
        if (iter < 0) {
                r = -errno;
                snprintf(err, errlen, "creating the BPF iterator: %s", strerror(errno));
                goto out;
        }
        buf = malloc(1u << 16);
        if (!buf) {
                r = -ENOMEM;
                goto out;
        }
        {
                size_t have = 0; /* bytes of an incomplete record kept at the start of buf */
                for (;;) {
                        ssize_t n = read(iter, buf + have, (1u << 16) - have);
                        size_t off = 0, total;
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0) {
                                r = -errno;
                                snprintf(err, errlen, "reading the BPF iterator: %s", strerror(errno));
                                goto out;
                        }
                        if (n == 0)
                                break;
                        total = have + (size_t)n;
                        for (; off + 16 <= total; off += 16) {
                                uint64_t ino;
                                uint32_t pid;
                                memcpy(&ino, buf + off, 8);
                                memcpy(&pid, buf + off + 8, 4);
                                r = emit(ino, pid, data);
                                if (r < 0)
                                        goto out;
                        }
                        /* seq_file hands out whole records, but do not rely on it. */
                        have = total - off;
                        memmove(buf, buf + off, have);
                }
        }
        r = 0;
out:
        free(buf);
        if (iter >= 0)
                close(iter);
        if (link >= 0)
                close(link);
        if (prog >= 0)
                close(prog);
        return r;
}
