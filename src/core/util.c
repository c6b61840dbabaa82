/* Small shared utilities: XDG paths, atomic files, terminal escaping. */
#include "portscope/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int xdg_dir(const char *var, const char *fallback, char *buf, size_t len)
{
        const char *base = getenv(var);
        int n;

        /* The XDG spec says relative values are invalid and must be ignored. */
        if (base && base[0] == '/')
                n = snprintf(buf, len, "%s/portscope", base);
        else {
                const char *home = getenv("HOME");
                if (!home || home[0] != '/')
                        return -ENOENT;
                n = snprintf(buf, len, "%s/%s/portscope", home, fallback);
        }
        if (n < 0 || (size_t)n >= len)
                return -ENAMETOOLONG;
        return 0;
}

int ps_data_dir(char *buf, size_t len)
{
        return xdg_dir("XDG_DATA_HOME", ".local/share", buf, len);
}

int ps_cache_dir(char *buf, size_t len)
{
        return xdg_dir("XDG_CACHE_HOME", ".cache", buf, len);
}

int ps_state_dir(char *buf, size_t len)
{
        return xdg_dir("XDG_STATE_HOME", ".local/state", buf, len);
}

int ps_store_path(char *buf, size_t len)
{
        const char *env = getenv("PORTSCOPE_DB");
        size_t used;
        int r;

        if (env && *env) {
                if (strlen(env) >= len)
                        return -ENAMETOOLONG;
                memcpy(buf, env, strlen(env) + 1);
                return 0;
        }
        r = ps_state_dir(buf, len);
        if (r < 0)
                return r;
        used = strlen(buf);
        r = snprintf(buf + used, len - used, "/portscope.db");
        return (r < 0 || (size_t)r >= len - used) ? -ENAMETOOLONG : 0;
}

int ps_mkdir_p(const char *path)
{
        char tmp[4096];
        size_t len = strlen(path);

        if (len == 0 || len >= sizeof(tmp))
                return -ENAMETOOLONG;
        memcpy(tmp, path, len + 1);
        for (char *p = tmp + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int ps_write_atomic(const char *path, int mode, int (*fill)(FILE *f, void *ud), void *ud)
{
        char real[PATH_MAX], tmp[PATH_MAX + 16], dir[PATH_MAX];
        struct stat st;
        bool exists = stat(path, &st) == 0;
        FILE *f;
        int fd, r, n;

        if (exists && !S_ISREG(st.st_mode)) {
                /* A device or a pipe (/dev/stdout, a FIFO): written in place, nothing to replace. */
                if (!(f = fopen(path, "we")))
                        return -errno;
                r = fill(f, ud);
                if (fclose(f) != 0 && r == 0)
                        r = -errno;
                return r;
        }
        /* A symlink is followed: the file it names is replaced, not the link. */
        if (exists && realpath(path, real))
                path = real;
        n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
        if (n < 0 || (size_t)n >= sizeof(tmp))
                return -ENAMETOOLONG;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (!(f = fdopen(fd, "w"))) {
                r = -errno;
                close(fd);
                unlink(tmp);
                return r;
        }
        /* An existing file keeps its mode and, where we may, its owner (a 0600 report stays 0600,
         * a user's file written under sudo stays the user's). */
        r = fchmod(fd, exists ? st.st_mode & 07777 : (mode_t)mode) < 0 ? -errno : 0;
        if (r == 0 && exists && (st.st_uid != geteuid() || st.st_gid != getegid()))
                if (fchown(fd, st.st_uid, st.st_gid) < 0) {
                        /* best effort: without CAP_CHOWN the file becomes ours */
                }
        if (r == 0)
                r = fill(f, ud);
        if (fflush(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        /* Make the rename itself durable. */
        memcpy(dir, path, strlen(path) + 1);
        fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                (void)fsync(fd);
                close(fd);
        }
        return 0;
}

struct bytes {
        const void *data;
        size_t len;
};

static int put_bytes(FILE *f, void *ud)
{
        const struct bytes *b = ud;
        return b->len && fwrite(b->data, 1, b->len, f) != b->len ? -EIO : 0;
}

int ps_write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
        struct bytes b = { data, len };
        return ps_write_atomic(path, mode, put_bytes, &b);
}

int ps_grow(void *pv, size_t *cap, size_t need, size_t elem, size_t max)
{
        void *v, *nv;
        size_t nc;

        if (need <= *cap)
                return 0;
        if (elem == 0 || need > max || need > SIZE_MAX / elem)
                return -E2BIG;
        if (max > SIZE_MAX / elem)
                max = SIZE_MAX / elem;
        nc = *cap ? *cap : (256 + elem - 1) / elem;
        while (nc < need)
                nc = nc > max / 2 ? max : nc * 2;
        if (nc > max)
                nc = max;
        /* pv is the address of a T *: read and write the pointer without type-punning it. */
        memcpy(&v, pv, sizeof(v));
        nv = realloc(v, nc * elem);
        if (!nv)
                return -ENOMEM;
        memcpy(pv, &nv, sizeof(nv));
        *cap = nc;
        return 0;
}

int ps_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
        struct stat st;
        char *buf = NULL;
        size_t cap, len = 0;
        int r;

        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto fail;
        }
        if (S_ISDIR(st.st_mode)) {
                r = -EISDIR;
                goto fail;
        }
        cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
        if (cap > max + 1) {
                r = -EFBIG;
                goto fail;
        }
        buf = malloc(cap);
        if (!buf) {
                r = -ENOMEM;
                goto fail;
        }
        for (;;) {
                ssize_t n;
                if (len + 1 == cap) {
                        /* Room for max + 1 bytes and the NUL: one byte past max tells a file
                         * that is too large. */
                        r = ps_grow(&buf, &cap, cap + 1, 1, max < SIZE_MAX - 2 ? max + 2 : SIZE_MAX);
                        if (r < 0) {
                                r = r == -E2BIG ? -EFBIG : r;
                                goto fail;
                        }
                }
                n = read(fd, buf + len, cap - 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len > max) {
                r = -EFBIG;
                goto fail;
        }
        buf[len] = '\0';
        *ret = buf;
        *ret_len = len;
        return 0;
fail:
        free(buf);
        return r;
}

int ps_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = ps_read_fd(fd, max, ret, ret_len);
        close(fd);
        return r;
}

size_t ps_utf8_seq(const char *s, size_t left, uint32_t *ret_cp)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t n;
        uint32_t cp;

        if (left == 0)
                return 0;
        unsigned c = p[0];
        if (c < 0x80) {
                if (ret_cp)
                        *ret_cp = c;
                return 1;
        }
        if (c >= 0xc2 && c <= 0xdf)
                n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, cp = c & 0x07;
        else
                return 0;
        if (left < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        if (ret_cp)
                *ret_cp = cp;
        return n;
}

bool ps_utf8_valid(const char *s, size_t len)
{
        for (size_t i = 0; i < len;) {
                size_t n = ps_utf8_seq(s + i, len - i, NULL);
                if (n == 0)
                        return false;
                i += n;
        }
        return true;
}

/* Characters that reorder or hide what a terminal shows (bidirectional controls, zero-width
 * and invisible format characters, line/paragraph separators), and the non-characters U+FFFE,
 * U+FFFF that XML refuses. */
static bool hidden_char(uint32_t cp)
{
        return cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
               (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || cp == 0xfffe ||
               cp == 0xffff;
}

void ps_term_escape(FILE *f, const char *s, size_t len, bool keep_newlines)
{
        const unsigned char *p = (const unsigned char *)s;

        if (len == (size_t)-1)
                len = strlen(s);
        for (size_t i = 0; i < len;) {
                unsigned c = p[i];
                uint32_t cp = 0;
                size_t n = ps_utf8_seq(s + i, len - i, &cp);

                if (c == '\n' && keep_newlines) {
                        fputc('\n', f);
                        i++;
                } else if (c == '\t' && keep_newlines) {
                        fputc('\t', f);
                        i++;
                } else if (c == '\\') {
                        fputs("\\\\", f);
                        i++;
                } else if (c == '\n') {
                        fputs("\\n", f);
                        i++;
                } else if (n == 0 || c < 0x20 || c == 0x7f) {
                        fprintf(f, "\\x%02x", c);
                        i++;
                } else if ((cp >= 0x80 && cp < 0xa0) || hidden_char(cp)) {
                        /* C1 control characters (U+0080..U+009F) act on some terminals. */
                        fprintf(f, "\\u%04x", (unsigned)cp);
                        i += n;
                } else {
                        fwrite(p + i, 1, n, f);
                        i += n;
                }
        }
}

char *ps_term_escape_dup(const char *s)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        if (!m)
                return NULL;
        ps_term_escape(m, s, (size_t)-1, false);
        if (fclose(m) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

uint64_t ps_fnv1a(const void *data, size_t len)
{
        const unsigned char *p = data;
        uint64_t h = 0xcbf29ce484222325ull;

        for (size_t i = 0; i < len; i++)
                h = (h ^ p[i]) * 0x100000001b3ull;
        return h;
}

const char *ps_strcasestr(const char *haystack, const char *needle)
{
        size_t n = strlen(needle);

        if (n == 0)
                return haystack;
        for (; *haystack; haystack++) {
                size_t i = 0;
                while (i < n && haystack[i] &&
                       tolower((unsigned char)haystack[i]) == tolower((unsigned char)needle[i]))
                        i++;
                if (i == n)
                        return haystack;
        }
        return NULL;
}

bool ps_use_color(FILE *f)
{
        const char *term = getenv("TERM");
        const char *nc = getenv("NO_COLOR");

        if (nc && *nc)
                return false;
        if (term && strcmp(term, "dumb") == 0)
                return false;
        return isatty(fileno(f));
}

/* ---- uid → user name ---- */

struct ps_user_slot {
        uid_t uid;
        char *name; /* NULL: an empty slot */
};

struct ps_users {
        pthread_mutex_t lock;
        struct ps_user_slot *slot; /* open addressing, a power of two */
        size_t cap, n;
};

struct ps_users *ps_users_new(void)
{
        struct ps_users *u = calloc(1, sizeof(*u));

        if (!u)
                return NULL;
        u->cap = 16;
        u->slot = calloc(u->cap, sizeof(*u->slot));
        if (!u->slot) {
                free(u);
                return NULL;
        }
        pthread_mutex_init(&u->lock, NULL);
        return u;
}

void ps_users_free(struct ps_users *u)
{
        if (!u)
                return;
        for (size_t i = 0; i < u->cap; i++)
                free(u->slot[i].name);
        free(u->slot);
        pthread_mutex_destroy(&u->lock);
        free(u);
}

static size_t users_find(const struct ps_users *u, uid_t uid)
{
        size_t h = ((size_t)uid * 0x9e3779b97f4a7c15ull) & (u->cap - 1);

        while (u->slot[h].name && u->slot[h].uid != uid)
                h = (h + 1) & (u->cap - 1);
        return h;
}

static int users_grow(struct ps_users *u)
{
        size_t ocap = u->cap;
        struct ps_user_slot *old = u->slot;

        u->slot = calloc(ocap * 2, sizeof(*u->slot));
        if (!u->slot) {
                u->slot = old;
                return -ENOMEM;
        }
        u->cap = ocap * 2;
        for (size_t i = 0; i < ocap; i++)
                if (old[i].name)
                        u->slot[users_find(u, old[i].uid)] = old[i];
        free(old);
        return 0;
}

const char *ps_users_name(struct ps_users *u, uid_t uid)
{
        const char *name = NULL;
        size_t h;

        if (!u)
                return NULL;
        pthread_mutex_lock(&u->lock);
        h = users_find(u, uid);
        if (!u->slot[h].name && (u->n + 1) * 2 > u->cap) {
                if (users_grow(u) < 0)
                        goto out;
                h = users_find(u, uid);
        }
        if (!u->slot[h].name) {
                struct passwd pw, *res = NULL;
                char buf[1024], num[24];
                const char *s = num;
                if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_name)
                        s = res->pw_name;
                else
                        snprintf(num, sizeof(num), "%u", (unsigned)uid);
                u->slot[h].name = strdup(s);
                if (!u->slot[h].name)
                        goto out;
                u->slot[h].uid = uid;
                u->n++;
        }
        name = u->slot[h].name;
out:
        pthread_mutex_unlock(&u->lock);
        return name;
}

int ps_netns_enter(int netns_fd, int *saved)
{
        *saved = -1;
        if (netns_fd < 0)
                return 0;
        int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return -errno;
        if (setns(netns_fd, CLONE_NEWNET) < 0) {
                int r = -errno;
                close(self);
                return r;
        }
        *saved = self;
        return 0;
}

int ps_netns_leave(int saved)
{
        if (saved < 0)
                return 0;
        int r = setns(saved, CLONE_NEWNET) < 0 ? -errno : 0;
        close(saved);
        return r;
}
