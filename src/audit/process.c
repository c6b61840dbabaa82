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

/* Whether name (a comm or argv[0]'s basename) is the executable path's, as the process pid sees its
 * files: its basename, the kernel's 15-byte cut of it (comm), or a link to it where a command is
 * found, beside it or in a system bin directory (/usr/bin/redis-server is redis-check-rdb,
 * /usr/bin/python3 python3.11). A name the program gave itself is none of these. */
static bool names_executable(int proc_fd, pid_t pid, const char *path, const char *name)
{
        static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin" };
        const char *base = strrchr(path, '/');
        size_t n = strlen(name);
        char lp[PATH_MAX];
        struct stat exe, st;

        if (!*path || !base || !*name)
                return true; /* nothing to tell by */
        base++;
        if (strcmp(name, base) == 0 || (n == 15 && strncmp(name, base, 15) == 0))
                return true;
        if (strchr(name, '/') || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
                return false;
        snprintf(lp, sizeof(lp), "%d/exe", (int)pid);
        if (fstatat(proc_fd, lp, &exe, 0) != 0)
                return true;
        for (size_t i = 0; i <= sizeof(dirs) / sizeof(dirs[0]); i++) {
                int m = i < sizeof(dirs) / sizeof(dirs[0])
                                ? snprintf(lp, sizeof(lp), "%d/root%s/%s", (int)pid, dirs[i], name)
                                : snprintf(lp, sizeof(lp), "%d/root%.*s/%s", (int)pid, (int)(base - 1 - path), path, name);
                if (m > 0 && (size_t)m < sizeof(lp) && fstatat(proc_fd, lp, &st, 0) == 0 && st.st_dev == exe.st_dev &&
                    st.st_ino == exe.st_ino)
                        return true;
        }
        return false;
}

/* Where the executable (path, as /proc/PID/exe names it, " (deleted)" cut off) lives, when no
 * package would have put it there: a memfd (fileless), a file deleted that nothing replaced (an
 * upgrade puts the new version at the same path: that is not it), or a file under a directory any
 * user can write (/tmp, /var/tmp, /dev/shm), on the file's own filesystem (an AppImage is mounted
 * under /tmp but lives on its own). Looked up as the process sees its files; what cannot be read
 * says nothing. *ret_dir: that directory, malloc'd. */
static enum sockets_exe_place exe_place(int proc_fd, pid_t pid, const char *path, bool deleted, char **ret_dir)
{
        char lp[PATH_MAX];
        struct stat exe, st;
        int m;

        *ret_dir = NULL;
        if (deleted && strncmp(path, "/memfd:", 7) == 0)
                return SOCKETS_EXE_MEMORY;
        if (path[0] != '/')
                return SOCKETS_EXE_INSTALLED;
        if (deleted) {
                m = snprintf(lp, sizeof(lp), "%d/root%s", (int)pid, path);
                if (m > 0 && (size_t)m < sizeof(lp) && fstatat(proc_fd, lp, &st, 0) != 0 && errno == ENOENT)
                        return SOCKETS_EXE_DELETED;
                return SOCKETS_EXE_INSTALLED;
        }
        snprintf(lp, sizeof(lp), "%d/exe", (int)pid);
        if (fstatat(proc_fd, lp, &exe, 0) != 0)
                return SOCKETS_EXE_INSTALLED;
        /* Each directory above it, nearest first, while on the executable's filesystem. */
        for (const char *end = strrchr(path, '/'); end; end = end > path ? memrchr(path, '/', (size_t)(end - path)) : NULL) {
                size_t dl = end > path ? (size_t)(end - path) : 1;
                m = snprintf(lp, sizeof(lp), "%d/root%.*s", (int)pid, (int)dl, path);
                if (m <= 0 || (size_t)m >= sizeof(lp) || fstatat(proc_fd, lp, &st, 0) != 0 || !S_ISDIR(st.st_mode) ||
                    st.st_dev != exe.st_dev)
                        break;
                if (st.st_mode & S_IWOTH) {
                        *ret_dir = strndup(path, dl);
                        return *ret_dir ? SOCKETS_EXE_WRITABLE : SOCKETS_EXE_INSTALLED;
                }
        }
        return SOCKETS_EXE_INSTALLED;
}

static int read_process(int proc_fd, pid_t pid, struct ps_users *users, struct sockets_process *ret)
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
                snprintf(lp, sizeof(lp), "%d/exe", (int)pid);
                ssize_t n = readlinkat(proc_fd, lp, target, sizeof(target) - 1);
                if (n < 0)
                        n = 0;
                target[n] = '\0';
                bool deleted = n > 10 && strcmp(target + n - 10, " (deleted)") == 0;
                if (deleted)
                        target[n - 10] = '\0';
                p.path = xstrdup(target);
                if (p.path) {
                        char *dir;
                        p.place = exe_place(proc_fd, pid, p.path, deleted, &dir);
                        p.place_dir = dir;
                        p.comm_unproven = p.comm && !names_executable(proc_fd, pid, p.path, p.comm);
                        p.exe_unproven = p.exe && !names_executable(proc_fd, pid, p.path, p.exe);
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
        int err;
};

static void *read_range(void *arg)
{
        struct read_job *j = arg;

        for (size_t i = j->from; i < j->to && !j->err; i++)
                j->err = read_process(j->proc_fd, j->pids[i], j->users, &j->out[i]);
        return NULL;
}

int sockets_read_processes(int proc_fd, const pid_t *pids, size_t n, struct sockets_process *out)
{
        /* A few hundred owners cost a few files each: two threads when there are many. */
        struct ps_users *users = ps_users_new();
        struct read_job jobs[2] = { { proc_fd, pids, out, 0, n / 2, users, 0 }, { proc_fd, pids, out, n / 2, n, users, 0 } };
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
