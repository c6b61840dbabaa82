/* Socket owners: which processes hold a descriptor of each socket.
 *
 * The walk reads /proc/PID/fd with getdents64 and readlinkat only: a descriptor's link text
 * ("socket:[INODE]") names the socket, so no stat per descriptor is needed. Processes are
 * handed out to a few threads through an atomic counter; each thread collects (socket, pid)
 * pairs that are merged, sorted and de-duplicated afterwards. Process details (comm, cmdline,
 * user, cgroup) are read only for the processes that own something. */
#include "portscope/sockets.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
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

#define CMDLINE_MAX (64u * 1024u) /* a command line longer than this is cut */
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
        if (k->npairs == k->cap) {
                size_t cap = k->cap ? k->cap * 2 : 64;
                struct pair *p = realloc(k->pairs, cap * sizeof(*p));
                if (!p)
                        return -ENOMEM;
                k->pairs = p;
                k->cap = cap;
        }
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
                        if (n == cap) {
                                size_t c2 = cap ? cap * 2 : 1024;
                                pid_t *p = realloc(pids, c2 * sizeof(*p));
                                if (!p) {
                                        free(pids);
                                        free(buf);
                                        close(fd);
                                        return -ENOMEM;
                                }
                                pids = p;
                                cap = c2;
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

/* ---- process details ---- */

/* Reads a small /proc file relative to proc_fd; returns a malloc'd NUL-terminated buffer. */
static char *read_proc(int proc_fd, pid_t pid, const char *name, size_t max, size_t *ret_len)
{
        char path[64];
        char *buf;
        size_t len = 0;
        int fd;

        snprintf(path, sizeof(path), "%d/%s", (int)pid, name);
        fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        buf = malloc(max + 1);
        if (!buf) {
                close(fd);
                return NULL;
        }
        while (len < max) {
                ssize_t n = read(fd, buf + len, max - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        return buf;
}

void sockets_cgroup_unit(const char *cgroup, char *buf, size_t len)
{
        static const char *const suffixes[] = { ".service", ".scope", ".socket", ".mount", ".swap" };
        const char *best = NULL;
        size_t best_len = 0;
        const char *p = cgroup;

        if (len)
                buf[0] = '\0';
        /* The last path component that is a unit, except the user manager when something is
         * nested under it ("user@1000.service/app.slice/foo.service" → foo.service). */
        while (p && *p) {
                const char *end;
                size_t n;
                while (*p == '/')
                        p++;
                end = strchr(p, '/');
                n = end ? (size_t)(end - p) : strlen(p);
                for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
                        size_t sl = strlen(suffixes[i]);
                        if (n > sl && memcmp(p + n - sl, suffixes[i], sl) == 0) {
                                best = p;
                                best_len = n;
                                break;
                        }
                }
                p = end;
        }
        if (best && best_len < len) {
                memcpy(buf, best, best_len);
                buf[best_len] = '\0';
        }
}

void sockets_cgroup_container(const char *cgroup, char *buf, size_t len)
{
        size_t run = 0;

        if (len)
                buf[0] = '\0';
        /* docker-<64 hex>.scope, /docker/<id>, libpod-<id>, cri-containerd-<id>, crio-<id>. */
        for (const char *p = cgroup; ; p++) {
                if (*p && isxdigit((unsigned char)*p) && !isupper((unsigned char)*p)) {
                        run++;
                        continue;
                }
                if (run == 64 && len > 64) {
                        memcpy(buf, p - 64, 64);
                        buf[64] = '\0';
                        return;
                }
                run = 0;
                if (!*p)
                        break;
        }
}

void sockets_process_clear(struct sockets_process *p)
{
        free((char *)p->comm);
        free((char *)p->cmdline);
        free((char *)p->exe);
        free((char *)p->user);
        free((char *)p->cgroup);
        free((char *)p->unit);
        free((char *)p->container);
        memset(p, 0, sizeof(*p));
}

static char *xstrdup(const char *s)
{
        return strdup(s ? s : "");
}

/* uid → user name, looked up once per uid (NSS reads /etc/passwd on every call). */
struct uid_cache {
        uid_t uid[32];
        char name[32][128];
        unsigned n;
};

static void user_name(struct uid_cache *c, uid_t uid, char *buf, size_t len)
{
        struct passwd pw, *res = NULL;
        char pwbuf[1024];

        for (unsigned i = 0; i < c->n; i++)
                if (c->uid[i] == uid) {
                        snprintf(buf, len, "%s", c->name[i]);
                        return;
                }
        if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
                snprintf(buf, len, "%s", res->pw_name);
        else
                snprintf(buf, len, "%u", (unsigned)uid);
        if (c->n < 32) {
                c->uid[c->n] = uid;
                snprintf(c->name[c->n], sizeof(c->name[0]), "%s", buf);
                c->n++;
        }
}

static int read_process(int proc_fd, pid_t pid, struct uid_cache *uc, struct sockets_process *ret)
{
        struct sockets_process p = { .pid = pid, .uid = (uid_t)-1 };
        size_t len = 0;
        char *s, tmp[128];
        char *cg;

        size_t clen = 0;
        s = read_proc(proc_fd, pid, "comm", 64, &clen);
        if (s) {
                /* Only the kernel's final newline: a name may itself hold one (PR_SET_NAME). */
                if (clen && s[clen - 1] == '\n')
                        s[clen - 1] = '\0';
                p.comm = s;
        } else
                p.comm = xstrdup("");
        s = read_proc(proc_fd, pid, "cmdline", CMDLINE_MAX, &len);
        if (s) {
                const char *a0 = s, *slash = strrchr(s, '/');
                /* argv[0]'s basename: "python3" in "/usr/bin/python3 x.py". */
                p.exe = xstrdup(slash ? slash + 1 : a0);
                while (len && s[len - 1] == '\0')
                        len--;
                for (size_t i = 0; i < len; i++)
                        if (s[i] == '\0')
                                s[i] = ' ';
                s[len] = '\0';
                p.cmdline = s;
        } else {
                p.exe = xstrdup("");
                p.cmdline = xstrdup("");
        }
        s = read_proc(proc_fd, pid, "status", 4096, NULL);
        if (s) {
                const char *u = strstr(s, "\nUid:");
                if (u) {
                        char *end;
                        unsigned long v = strtoul(u + 5, &end, 10);
                        if (end != u + 5)
                                p.uid = (uid_t)v;
                }
                free(s);
        }
        if (p.uid != (uid_t)-1) {
                user_name(uc, p.uid, tmp, sizeof(tmp));
                p.user = xstrdup(tmp);
        } else
                p.user = xstrdup("");
        cg = read_proc(proc_fd, pid, "cgroup", 8192, NULL);
        if (cg) {
                /* "HIERARCHY:CONTROLLERS:PATH" lines; the v2 line is "0::PATH". Prefer it, else
                 * take the first line's path. */
                const char *path = NULL;
                size_t plen = 0;
                for (const char *line = cg; *line;) {
                        const char *nl = strchr(line, '\n');
                        size_t ll = nl ? (size_t)(nl - line) : strlen(line);
                        const char *c1 = memchr(line, ':', ll);
                        const char *c2 = c1 ? memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - line)) : NULL;
                        if (c2 && (!path || (line[0] == '0' && c1 == line + 1 && c2 == c1 + 1))) {
                                path = c2 + 1;
                                plen = ll - (size_t)(c2 + 1 - line);
                        }
                        if (!nl)
                                break;
                        line = nl + 1;
                }
                if (path) {
                        memmove(cg, path, plen);
                        cg[plen] = '\0';
                } else
                        cg[0] = '\0';
                p.cgroup = cg;
        } else
                p.cgroup = xstrdup("");
        sockets_cgroup_unit(p.cgroup, tmp, sizeof(tmp));
        p.unit = xstrdup(tmp);
        {
                char id[80];
                sockets_cgroup_container(p.cgroup, id, sizeof(id));
                p.container = xstrdup(id);
        }
        if (!p.comm || !p.cmdline || !p.exe || !p.user || !p.cgroup || !p.unit || !p.container) {
                sockets_process_clear(&p);
                return -ENOMEM;
        }
        *ret = p;
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

struct read_job {
        int proc_fd;
        const pid_t *pids;
        struct sockets_process *out;
        size_t from, to;
        struct uid_cache uc;
        int err;
};

static void *read_range(void *arg)
{
        struct read_job *j = arg;

        for (size_t i = j->from; i < j->to && !j->err; i++)
                j->err = read_process(j->proc_fd, j->pids[i], &j->uc, &j->out[i]);
        return NULL;
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
                size_t cap = b->cap ? b->cap * 2 : 4096;
                uint64_t *ni = realloc(b->ino, cap * sizeof(*ni));
                if (!ni)
                        return -ENOMEM;
                b->ino = ni;
                uint32_t *np = realloc(b->pid, cap * sizeof(*np));
                if (!np)
                        return -ENOMEM;
                b->pid = np;
                b->cap = cap;
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
        {
                /* A few hundred owners cost a few files each: two threads when there are many. */
                struct read_job *jobs = calloc(2, sizeof(*jobs));
                pthread_t t;
                bool threaded = false;

                if (!jobs) {
                        r = -ENOMEM;
                        goto out;
                }
                for (int k = 0; k < 2; k++) {
                        jobs[k].proc_fd = w.proc_fd;
                        jobs[k].pids = upids;
                        jobs[k].out = l->procs;
                }
                jobs[0].to = jobs[1].from = nupids / 2;
                jobs[1].to = nupids;
                threaded = nupids >= 64 && sysconf(_SC_NPROCESSORS_ONLN) >= 2 &&
                           pthread_create(&t, NULL, read_range, &jobs[1]) == 0;
                if (!threaded)
                        jobs[0].to = nupids;
                read_range(&jobs[0]);
                if (threaded)
                        pthread_join(t, NULL);
                /* Unfilled slots are zero: sockets_list_free() clears them all safely. */
                l->nprocs = nupids;
                r = jobs[0].err ? jobs[0].err : threaded ? jobs[1].err : 0;
                free(jobs);
                if (r < 0)
                        goto out;
        }
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
        for (size_t i = 0; i < l->n; i++)
                if (!l->v[i].nowners)
                        l->owners.unowned++;
        l->owners.privileged = l->owners.denied == 0;
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
