/* Socket owners: which processes hold a descriptor of each socket.
 *
 * The walk reads /proc/PID/fd with getdents64 and readlinkat only: a descriptor's link text
 * ("socket:[INODE]") names the socket, so no stat per descriptor is needed. Processes are
 * handed out to a few threads through an atomic counter; each thread collects (socket, pid)
 * pairs that are merged, sorted and de-duplicated afterwards. Where the kernel and privileges
 * allow it, a BPF task-file iterator (bpf-iter.c) replaces the walk. Process details (process.c)
 * are read only for the processes that own something. */
#include "portscope/sockets.h"
#include "portscope/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf-iter.h"
#include "audit-internal.h"

struct linux_dirent64 {
        uint64_t d_ino;
        int64_t d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
};

#define MAX_THREADS 16u

/* ---- inode -> entry index ---- */

struct ino_map {
        uint64_t *keys;
        uint32_t *vals;
        size_t mask;
};

static uint64_t mix64(uint64_t x)
{
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        return x;
}

static int ino_map_init(struct ino_map *m, const struct sockets_list *l)
{
        size_t size = 64;

        while (size < l->n * 2 + 1)
                size <<= 1;
        m->keys = calloc(size, sizeof(*m->keys));
        m->vals = calloc(size, sizeof(*m->vals));
        if (!m->keys || !m->vals)
                return -ENOMEM;
        m->mask = size - 1;
        for (size_t i = 0; i < l->n; i++) {
                uint64_t k = l->v[i].inode;
                if (!k)
                        continue;
                size_t h = mix64(k) & m->mask;
                while (m->keys[h] && m->keys[h] != k)
                        h = (h + 1) & m->mask;
                m->keys[h] = k;
                m->vals[h] = (uint32_t)i;
        }
        return 0;
}

static bool ino_map_get(const struct ino_map *m, uint64_t k, uint32_t *ret)
{
        size_t h = mix64(k) & m->mask;

        while (m->keys[h]) {
                if (m->keys[h] == k) {
                        *ret = m->vals[h];
                        return true;
                }
                h = (h + 1) & m->mask;
        }
        return false;
}

static void ino_map_free(struct ino_map *m)
{
        free(m->keys);
        free(m->vals);
}

/* ---- the walk ---- */

struct pair {
        uint32_t entry;
        pid_t pid;
};

struct walk {
        int proc_fd;
        const pid_t *pids;
        size_t npids;
        atomic_size_t next;
        const struct ino_map *map;
};

struct worker {
        struct walk *w;
        struct pair *pairs;
        size_t npairs, cap;
        unsigned processes, denied, vanished;
        unsigned long fds;
        int err;
        pthread_t thread;
};

static int worker_add(struct worker *k, uint32_t entry, pid_t pid)
{
        int r = PS_GROW(k->pairs, k->cap, k->npairs + 1, SIZE_MAX);

        if (r < 0)
                return r;
        k->pairs[k->npairs++] = (struct pair){ entry, pid };
        return 0;
}

static void walk_pid(struct worker *k, pid_t pid, char *dbuf, size_t dlen)
{
        char path[32];
        int fd;

        snprintf(path, sizeof(path), "%d/fd", (int)pid);
        fd = openat(k->w->proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == EACCES || errno == EPERM)
                        k->denied++;
                else
                        k->vanished++;
                return;
        }
        k->processes++;
        for (;;) {
                long n = syscall(SYS_getdents64, fd, dbuf, dlen);
                if (n <= 0)
                        break;
                for (long off = 0; off < n;) {
                        struct linux_dirent64 *d = (struct linux_dirent64 *)(void *)(dbuf + off);
                        char link[64];
                        ssize_t len;
                        uint64_t ino = 0;
                        uint32_t entry;

                        off += d->d_reclen;
                        if (d->d_name[0] == '.')
                                continue;
                        k->fds++;
                        len = readlinkat(fd, d->d_name, link, sizeof(link) - 1);
                        if (len < 0 && (errno == EACCES || errno == EPERM)) {
                                /* The directory opened but its links do not read (ptrace access
                                 * check): this process's sockets are hidden, say so. */
                                k->denied++;
                                k->processes--;
                                close(fd);
                                return;
                        }
                        /* "socket:[" + at least one digit + "]" */
                        if (len < 10 || memcmp(link, "socket:[", 8) != 0)
                                continue;
                        for (ssize_t i = 8; i < len && link[i] >= '0' && link[i] <= '9'; i++)
                                ino = ino * 10 + (uint64_t)(link[i] - '0');
                        if (ino_map_get(k->w->map, ino, &entry) && worker_add(k, entry, pid) < 0) {
                                k->err = -ENOMEM;
                                close(fd);
                                return;
                        }
                }
        }
        close(fd);
}

static void *worker_run(void *arg)
{
        struct worker *k = arg;
        char *dbuf = malloc(32768);

        if (!dbuf) {
                k->err = -ENOMEM;
                return NULL;
        }
        for (;;) {
                size_t i = atomic_fetch_add_explicit(&k->w->next, 1, memory_order_relaxed);
                if (i >= k->w->npids || k->err)
                        break;
                walk_pid(k, k->w->pids[i], dbuf, 32768);
        }
        free(dbuf);
        return NULL;
}

static int list_pids(int proc_fd, pid_t **ret, size_t *ret_n)
{
        int fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char *buf;
        pid_t *pids = NULL;
        size_t n = 0, cap = 0;

        if (fd < 0)
                return -errno;
        buf = malloc(32768);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        for (;;) {
                long got = syscall(SYS_getdents64, fd, buf, 32768);
                if (got <= 0)
                        break;
                for (long off = 0; off < got;) {
                        struct linux_dirent64 *d = (struct linux_dirent64 *)(void *)(buf + off);
                        long v = 0;
                        bool digits = d->d_name[0] != '\0';
                        off += d->d_reclen;
                        for (const char *c = d->d_name; *c; c++) {
                                if (*c < '0' || *c > '9' || v > 100000000) {
                                        digits = false;
                                        break;
                                }
                                v = v * 10 + (*c - '0');
                        }
                        if (!digits || v <= 0)
                                continue;
                        if (PS_GROW(pids, cap, n + 1, SIZE_MAX) < 0) {
                                free(pids);
                                free(buf);
                                close(fd);
                                return -ENOMEM;
                        }
                        pids[n++] = (pid_t)v;
                }
        }
        free(buf);
        close(fd);
        *ret = pids;
        *ret_n = n;
        return 0;
}


struct bpf_ctx {
        struct worker *k;
        const struct ino_map *map;
};

static int bpf_emit(uint64_t ino, uint32_t pid, void *data)
{
        struct bpf_ctx *c = data;
        uint32_t entry;

        c->k->fds++;
        if (!ino_map_get(c->map, ino, &entry))
                return 0;
        return worker_add(c->k, entry, (pid_t)pid);
}

/* The iterator reports pids of the initial PID namespace: only use it there. */
static bool initial_pid_ns(void)
{
        char link[64];
        ssize_t n = readlink("/proc/self/ns/pid", link, sizeof(link) - 1);

        if (n <= 0)
                return false;
        link[n] = '\0';
        return strcmp(link, "pid:[4026531836]") == 0;
}


static int pair_cmp(const void *a, const void *b)
{
        const struct pair *x = a, *y = b;

        if (x->entry != y->entry)
                return x->entry < y->entry ? -1 : 1;
        return (x->pid > y->pid) - (x->pid < y->pid);
}

static int pid_cmp(const void *a, const void *b)
{
        pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
        return (x > y) - (x < y);
}

/* Socket records gathered by the BPF iterator ahead of time (on another thread). */
struct bpf_records {
        uint64_t *ino;
        uint32_t *pid;
        size_t n, cap;
        int result;
        char err[192];
};

static int records_add(uint64_t ino, uint32_t pid, void *data)
{
        struct bpf_records *b = data;

        if (b->n == b->cap) {
                /* Two arrays of one length: each grows from the same capacity. */
                size_t cap_ino = b->cap, cap_pid = b->cap;
                if (PS_GROW(b->ino, cap_ino, b->n + 1, SIZE_MAX) < 0 || PS_GROW(b->pid, cap_pid, b->n + 1, SIZE_MAX) < 0)
                        return -ENOMEM;
                b->cap = cap_ino < cap_pid ? cap_ino : cap_pid;
        }
        b->ino[b->n] = ino;
        b->pid[b->n] = pid;
        b->n++;
        return 0;
}

static bool bpf_eligible(const struct sockets_query *q)
{
        return !(q && (q->flags & SOCKETS_NO_BPF)) && !(q && q->proc_root) && initial_pid_ns();
}

static int find_owners(struct sockets_list *l, const struct sockets_query *q, const struct bpf_records *pre);

int sockets_find_owners(struct sockets_list *l, const struct sockets_query *q)
{
        return find_owners(l, q, NULL);
}

static void *prefetch_run(void *arg)
{
        struct bpf_records *b = arg;

        b->result = sockets_bpf_owners(records_add, b, b->err, sizeof(b->err));
        return NULL;
}

int sockets_collect(const struct sockets_query *q, bool (*keep)(const struct sockets_entry *e, void *data), void *data,
                    struct sockets_list **ret)
{
        struct bpf_records pre = { .result = -ENOTSUP };
        struct sockets_list *l = NULL;
        pthread_t t;
        bool threaded = false;
        int r;

        /* The iterator does not depend on the dump: run both at once. */
        if (bpf_eligible(q))
                threaded = pthread_create(&t, NULL, prefetch_run, &pre) == 0;
        r = sockets_dump(q, &l);
        if (threaded)
                pthread_join(t, NULL);
        if (r < 0)
                goto out;
        if (keep) {
                size_t k = 0;
                for (size_t i = 0; i < l->n; i++)
                        if (keep(&l->v[i], data))
                                l->v[k++] = l->v[i];
                l->n = k;
        }
        r = find_owners(l, q, threaded ? &pre : NULL);
        if (r < 0)
                goto out;
        *ret = l;
        l = NULL;
out:
        sockets_list_free(l);
        free(pre.ino);
        free(pre.pid);
        return r;
}

/* Whether two listeners' owners are the same programs (name and user, owner by owner): the
 * workers of one server, each with its own SO_REUSEPORT socket, are; two programs are not. */
static bool same_programs(const struct sockets_list *l, const struct sockets_entry *a, const struct sockets_entry *b)
{
        if (a->nowners != b->nowners)
                return false;
        for (size_t k = 0; k < a->nowners; k++) {
                const struct sockets_process *p = &l->procs[a->owners[k]], *q = &l->procs[b->owners[k]];
                if (p->uid != q->uid || strcmp(p->comm, q->comm) != 0)
                        return false;
        }
        return true;
}

static int find_owners(struct sockets_list *l, const struct sockets_query *q, const struct bpf_records *pre)
{
        const char *root = q && q->proc_root ? q->proc_root : "/proc";
        struct ino_map map = { 0 };
        struct walk w = { .proc_fd = -1 };
        struct worker workers[MAX_THREADS];
        struct pair *all = NULL;
        size_t nall = 0;
        pid_t *pids = NULL, *upids = NULL;
        size_t npids = 0, nupids = 0;
        unsigned nthreads;
        int r;

        memset(workers, 0, sizeof(workers));
        memset(&l->owners, 0, sizeof(l->owners));
        w.proc_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (w.proc_fd < 0)
                return -errno;
        r = ino_map_init(&map, l);
        if (r < 0)
                goto out;
        if (pre || bpf_eligible(q)) {
                struct bpf_ctx bc = { .k = &workers[0], .map = &map };
                if (pre) {
                        r = pre->result;
                        snprintf(l->owners.bpf_error, sizeof(l->owners.bpf_error), "%s", pre->err);
                        for (size_t i = 0; r == 0 && i < pre->n; i++)
                                r = bpf_emit(pre->ino[i], pre->pid[i], &bc);
                } else
                        r = sockets_bpf_owners(bpf_emit, &bc, l->owners.bpf_error, sizeof(l->owners.bpf_error));
                if (r == -ENOMEM)
                        goto out;
                if (r == 0) {
                        l->owners.bpf = true;
                        l->owners.bpf_error[0] = '\0';
                        nthreads = 1;
                        goto merge;
                }
                /* Fall back to the walk from a clean slate. */
                workers[0].npairs = 0;
                workers[0].fds = 0;
        }
        r = list_pids(w.proc_fd, &pids, &npids);
        if (r < 0)
                goto out;
        w.pids = pids;
        w.npids = npids;
        w.map = &map;
        atomic_init(&w.next, 0);

        nthreads = q && q->threads ? q->threads : 0;
        if (!nthreads) {
                long cpus = sysconf(_SC_NPROCESSORS_ONLN);
                nthreads = cpus >= 2 ? 2 : 1;
        }
        if (nthreads > MAX_THREADS)
                nthreads = MAX_THREADS;
        /* Threads cost more than they save on a small machine's few processes. */
        if (npids < 64)
                nthreads = 1;
        for (unsigned i = 0; i < nthreads; i++)
                workers[i].w = &w;
        {
                unsigned started = 1;
                for (unsigned i = 1; i < nthreads; i++) {
                        if (pthread_create(&workers[i].thread, NULL, worker_run, &workers[i]) != 0)
                                break;
                        started++;
                }
                worker_run(&workers[0]);
                for (unsigned i = 1; i < started; i++)
                        pthread_join(workers[i].thread, NULL);
                nthreads = started;
        }
merge:
        for (unsigned i = 0; i < nthreads; i++) {
                if (workers[i].err && r >= 0)
                        r = workers[i].err;
                l->owners.processes += workers[i].processes;
                l->owners.denied += workers[i].denied;
                l->owners.vanished += workers[i].vanished;
                l->owners.fds += workers[i].fds;
                nall += workers[i].npairs;
        }
        l->owners.threads = nthreads;
        if (r < 0)
                goto out;
        all = malloc((nall ? nall : 1) * sizeof(*all));
        if (!all) {
                r = -ENOMEM;
                goto out;
        }
        nall = 0;
        for (unsigned i = 0; i < nthreads; i++) {
                if (workers[i].npairs)
                        memcpy(all + nall, workers[i].pairs, workers[i].npairs * sizeof(*all));
                nall += workers[i].npairs;
        }
        qsort(all, nall, sizeof(*all), pair_cmp);
        /* De-duplicate (one process may hold a socket on several descriptors). */
        {
                size_t o = 0;
                for (size_t i = 0; i < nall; i++)
                        if (o == 0 || all[o - 1].entry != all[i].entry || all[o - 1].pid != all[i].pid)
                                all[o++] = all[i];
                nall = o;
        }
        upids = malloc((nall ? nall : 1) * sizeof(*upids));
        free(l->owner_ix);
        l->owner_ix = malloc((nall ? nall : 1) * sizeof(*l->owner_ix));
        if (!upids || !l->owner_ix) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < nall; i++)
                upids[i] = all[i].pid;
        qsort(upids, nall, sizeof(*upids), pid_cmp);
        for (size_t i = 0; i < nall; i++)
                if (nupids == 0 || upids[nupids - 1] != upids[i])
                        upids[nupids++] = upids[i];
        for (size_t i = 0; i < l->nprocs; i++)
                sockets_process_clear(&l->procs[i]);
        free(l->procs);
        l->nprocs = 0;
        l->procs = calloc(nupids ? nupids : 1, sizeof(*l->procs));
        if (!l->procs) {
                r = -ENOMEM;
                goto out;
        }
        r = sockets_read_processes(w.proc_fd, upids, nupids, l->procs);
        /* Unfilled slots are zero: sockets_list_free() clears them all safely. */
        l->nprocs = nupids;
        if (r < 0)
                goto out;
        for (size_t i = 0; i < l->n; i++) {
                l->v[i].owners = NULL;
                l->v[i].nowners = 0;
        }
        for (size_t i = 0; i < nall; i++) {
                struct sockets_entry *e = &l->v[all[i].entry];
                pid_t *found = bsearch(&all[i].pid, upids, nupids, sizeof(*upids), pid_cmp);
                if (!e->owners)
                        e->owners = &l->owner_ix[i];
                l->owner_ix[i] = (uint32_t)(found - upids);
                e->nowners++;
        }
        l->nowner_ix = nall;
        /* A connection not yet accepted is its listener's: nobody else holds it. In an
         * SO_REUSEPORT group of different programs, which one's is not known: none is named. */
        for (size_t i = 0; i < l->n; i++) {
                struct sockets_entry *e = &l->v[i];
                uint32_t li, lj;
                if (e->unaccepted && ino_map_get(&map, e->listener_inode, &li)) {
                        const struct sockets_entry *a = &l->v[li], *b;
                        if (e->listener_inode_tie && ino_map_get(&map, e->listener_inode_tie, &lj) &&
                            (b = &l->v[lj], !same_programs(l, a, b)))
                                continue;
                        e->owners = a->owners;
                        e->nowners = a->nowners;
                }
        }
        for (size_t i = 0; i < l->n; i++)
                if (!l->v[i].nowners)
                        l->owners.unowned++;
        l->owners.privileged = l->owners.denied == 0;
        l->owners.root = geteuid() == 0;
        l->owners.done = true;
        r = 0;
out:
        for (unsigned i = 0; i < MAX_THREADS; i++)
                free(workers[i].pairs);
        free(all);
        free(upids);
        free(pids);
        ino_map_free(&map);
        if (w.proc_fd >= 0)
                close(w.proc_fd);
        return r;
}
