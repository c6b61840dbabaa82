/* The facts of a process that owns a socket, from /proc/PID: command name, command line, real
 * uid and user name, cgroup path, and the systemd unit and container id found in that path. */
#include "portscope/sockets.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "portscope/util.h"
#include "audit-internal.h"

#define CMDLINE_MAX (64u * 1024u) /* a command line longer than this is cut */


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
        free((char *)p->path);
        free((char *)p->user);
        free((char *)p->cgroup);
        free((char *)p->unit);
        free((char *)p->container);
        free((char *)p->place_dir);
        memset(p, 0, sizeof(*p));
}

static char *xstrdup(const char *s)
{
        return strdup(s ? s : "");
}

/* The name, for fstatat(proc_fd, ...), of path (its first n bytes) as process pid sees its files.
 * /proc/PID/exe is written from the reader's root, past a chroot of pid's: when pid shares
 * this process's mount namespace the path is looked up from here; in another one (a container)
 * it is that namespace's path, looked up through /proc/PID/root. */
static bool seen_by(pid_t pid, bool own_ns, const char *path, size_t n, char *buf, size_t len)
{
        int m = own_ns ? snprintf(buf, len, "%.*s", (int)n, path) : snprintf(buf, len, "%d/root%.*s", (int)pid, (int)n, path);
        return m > 0 && (size_t)m < len;
}

/* Whether name (a comm or argv[0]'s basename) is the executable path's, as the process pid sees its
 * files: its basename, the kernel's 15-byte cut of it (comm), or a link to it where a command is
 * found, beside it or in a system bin directory (/usr/bin/redis-server is redis-check-rdb,
 * /usr/bin/python3 python3.11). A name the program gave itself is none of these. exe: the
 * executable's stat, NULL when it could not be read (then nothing tells). */
static bool names_executable(int proc_fd, pid_t pid, bool own_ns, const struct stat *exe, const char *path,
                             const char *name)
{
        static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin" };
        const char *base = strrchr(path, '/');
        size_t n = strlen(name);
        char lp[PATH_MAX], where[PATH_MAX];
        struct stat st;

        if (!*path || !base || !*name)
                return true; /* nothing to tell by */
        base++;
        if (strcmp(name, base) == 0 || (n == 15 && strncmp(name, base, 15) == 0))
                return true;
        if (strchr(name, '/') || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
                return false;
        if (!exe)
                return true;
        for (size_t i = 0; i <= sizeof(dirs) / sizeof(dirs[0]); i++) {
                int m = i < sizeof(dirs) / sizeof(dirs[0]) ? snprintf(where, sizeof(where), "%s/%s", dirs[i], name)
                                                           : snprintf(where, sizeof(where), "%.*s/%s",
                                                                      (int)(base - 1 - path), path, name);
                if (m > 0 && (size_t)m < sizeof(where) && seen_by(pid, own_ns, where, strlen(where), lp, sizeof(lp)) &&
                    fstatat(proc_fd, lp, &st, 0) == 0 && st.st_dev == exe->st_dev && st.st_ino == exe->st_ino)
                        return true;
        }
        return false;
}

/* The nearest directory above the file path (dev: its filesystem) that any user can write (/tmp,
 * /var/tmp, /dev/shm), walking up while on that filesystem (an AppImage is mounted under /tmp,
 * and lives on its own), as process pid sees its files; malloc'd, or NULL. A directory that
 * cannot be read says nothing: the walk goes on above it. */
static char *writable_dir(int proc_fd, pid_t pid, bool own_ns, const char *path, dev_t dev)
{
        char lp[PATH_MAX];
        struct stat st;

        if (path[0] != '/')
                return NULL;
        for (const char *end = strrchr(path, '/'); end; end = end > path ? memrchr(path, '/', (size_t)(end - path)) : NULL) {
                size_t dl = end > path ? (size_t)(end - path) : 1;
                if (!seen_by(pid, own_ns, path, dl, lp, sizeof(lp)) || fstatat(proc_fd, lp, &st, 0) != 0 ||
                    !S_ISDIR(st.st_mode))
                        continue;
                if (st.st_dev != dev)
                        break;
                if (st.st_mode & S_IWOTH)
                        return strndup(path, dl);
        }
        return NULL;
}

/* Where the executable (path, as /proc/PID/exe names it, " (deleted)" cut off when its name was
 * unlinked: deleted; exe: its stat) lives, when no package would have put it there: a memfd
 * (fileless); under a directory any user can write, deleted or not (a copy of sshd in /tmp, an
 * O_TMPFILE); a file any user can write; or deleted with nothing at its path now (an upgrade puts the new version there:
 * that is not it). What cannot be read says nothing. *ret_dir: the writable directory, malloc'd. */
static enum judge_exe_place exe_place(int proc_fd, pid_t pid, bool own_ns, const struct stat *exe, const char *path,
                                        bool deleted, char **ret_dir)
{
        char lp[PATH_MAX];
        struct stat st;

        *ret_dir = NULL;
        if (deleted && strncmp(path, "/memfd:", 7) == 0)
                return JUDGE_EXE_MEMORY;
        if ((*ret_dir = writable_dir(proc_fd, pid, own_ns, path, exe->st_dev)))
                return JUDGE_EXE_WRITABLE;
        /* dpkg never installs a file any user may write: anyone could have put their code in it. */
        if (S_ISREG(exe->st_mode) && (exe->st_mode & S_IWOTH))
                return JUDGE_EXE_WRITABLE_FILE;
        /* Nothing at its path, as the process sees it and as this one does: a process that
         * chrooted itself in another mount namespace (ip netns exec) names its executable from
         * that namespace's root, which is neither /proc/PID/root nor, always, this one's. Either
         * finding a file there is enough: a deleted file is said only on both words. */
        if (!deleted || path[0] != '/')
                return JUDGE_EXE_INSTALLED;
        for (int view = own_ns; view < 2; view++)
                if (!seen_by(pid, view, path, strlen(path), lp, sizeof(lp)) || fstatat(proc_fd, lp, &st, 0) == 0 ||
                    errno != ENOENT)
                        return JUDGE_EXE_INSTALLED;
        return JUDGE_EXE_DELETED;
}

/* own_mnt: the inode of this process's mount namespace (see seen_by()). */
static int read_process(int proc_fd, pid_t pid, ino_t own_mnt, struct ps_users *users, struct sockets_process *ret)
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
        /* Two bytes more than is kept tell a command line that was cut from one that fits: one
         * of exactly CMDLINE_MAX bytes ends with its last argument's NUL, a byte more. */
        s = read_proc(proc_fd, pid, "cmdline", CMDLINE_MAX + 2, &len);
        if (s && len > CMDLINE_MAX) {
                p.cmdline_truncated = !(len == CMDLINE_MAX + 1 && s[CMDLINE_MAX] == '\0');
                len = CMDLINE_MAX;
                s[len] = '\0';
        }
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
        {
                /* The executable itself: argv[0] can be anything, /proc/PID/exe cannot. */
                char lp[32], target[PATH_MAX];
                struct stat exe, ns;
                snprintf(lp, sizeof(lp), "%d/exe", (int)pid);
                ssize_t n = readlinkat(proc_fd, lp, target, sizeof(target) - 1);
                bool known = n > 0 && fstatat(proc_fd, lp, &exe, 0) == 0;
                if (n < 0)
                        n = 0;
                target[n] = '\0';
                snprintf(lp, sizeof(lp), "%d/ns/mnt", (int)pid);
                bool own_ns = fstatat(proc_fd, lp, &ns, 0) == 0 && ns.st_ino == own_mnt;
                /* The kernel's mark of a name unlinked (the file may live on under another link:
                 * dpkg's .dpkg-tmp while it unpacks), unless a file of that very name is the
                 * executable itself. */
                char named[PATH_MAX + 16];
                struct stat st;
                bool deleted = known && n > 10 && strcmp(target + n - 10, " (deleted)") == 0 &&
                               !(seen_by(pid, own_ns, target, (size_t)n, named, sizeof(named)) &&
                                 fstatat(proc_fd, named, &st, 0) == 0 && st.st_dev == exe.st_dev && st.st_ino == exe.st_ino);
                if (deleted)
                        target[n - 10] = '\0';
                p.path = xstrdup(target);
                if (p.path && known) {
                        char *dir;
                        p.place = exe_place(proc_fd, pid, own_ns, &exe, p.path, deleted, &dir);
                        p.place_dir = dir;
                }
                if (p.path) {
                        const struct stat *e = known ? &exe : NULL;
                        p.comm_unproven = p.comm && !names_executable(proc_fd, pid, own_ns, e, p.path, p.comm);
                        p.exe_unproven = p.exe && !names_executable(proc_fd, pid, own_ns, e, p.path, p.exe);
                }
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
                const char *name = ps_users_name(users, p.uid);
                p.user = name ? strdup(name) : NULL;
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
        if (!p.comm || !p.cmdline || !p.exe || !p.path || !p.user || !p.cgroup || !p.unit || !p.container) {
                sockets_process_clear(&p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

struct read_job {
        int proc_fd;
        const pid_t *pids;
        struct sockets_process *out;
        size_t from, to;
        struct ps_users *users;
        ino_t own_mnt;
        int err;
};

static void *read_range(void *arg)
{
        struct read_job *j = arg;

        for (size_t i = j->from; i < j->to && !j->err; i++)
                j->err = read_process(j->proc_fd, j->pids[i], j->own_mnt, j->users, &j->out[i]);
        return NULL;
}

int sockets_read_processes(int proc_fd, const pid_t *pids, size_t n, struct sockets_process *out)
{
        /* A few hundred owners cost a few files each: two threads when there are many. */
        struct ps_users *users = ps_users_new();
        struct stat ns;
        ino_t own_mnt = fstatat(proc_fd, "self/ns/mnt", &ns, 0) == 0 ? ns.st_ino : 0;
        struct read_job jobs[2] = { { proc_fd, pids, out, 0, n / 2, users, own_mnt, 0 },
                                    { proc_fd, pids, out, n / 2, n, users, own_mnt, 0 } };
        pthread_t t;
        bool threaded;

        if (!users)
                return -ENOMEM;
        threaded = n >= 64 && sysconf(_SC_NPROCESSORS_ONLN) >= 2 && pthread_create(&t, NULL, read_range, &jobs[1]) == 0;
        if (!threaded)
                jobs[0].to = n;
        read_range(&jobs[0]);
        if (threaded)
                pthread_join(t, NULL);
        ps_users_free(users);
        return jobs[0].err ? jobs[0].err : threaded ? jobs[1].err : 0;
}
