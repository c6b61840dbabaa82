/* Unit tests of the utilities: escaping, UTF-8, atomic files, XDG paths. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "portscope/error.h"
#include "portscope/util.h"

static char *escape(const char *s, size_t len, bool nl)
{
        char *buf = NULL;
        size_t sz = 0;
        FILE *f = open_memstream(&buf, &sz);
        ps_term_escape(f, s, len, nl);
        fclose(f);
        return buf;
}

static void test_escape(void **state)
{
        char *o;

        (void)state;
        o = escape("plain café", (size_t)-1, false);
        assert_string_equal(o, "plain café");
        free(o);
        o = escape("\x1b[31mred\a\\", (size_t)-1, false);
        assert_string_equal(o, "\\x1b[31mred\\x07\\\\");
        free(o);
        o = escape("a\nb\tc", (size_t)-1, false);
        assert_string_equal(o, "a\\nb\\x09c");
        free(o);
        o = escape("a\nb", (size_t)-1, true);
        assert_string_equal(o, "a\nb");
        free(o);
        o = escape("\xc2\x9b" "31m\xff", (size_t)-1, false); /* C1 CSI and a stray byte */
        assert_string_equal(o, "\\u009b31m\\xff");
        free(o);
        o = escape("a\0b", 3, false);
        assert_string_equal(o, "a\\x00b");
        free(o);
        /* Bidirectional overrides, zero-width characters and XML's non-characters are shown,
         * not obeyed; other letters pass (é, U+2027, U+FFFD). */
        o = escape("user\xe2\x80\xae" "gpj.exe\xe2\x80\x8b\xd8\x9c\xef\xbf\xbe\xef\xbb\xbf"
                   "\xe2\x80\xa7\xef\xbf\xbd\xe2\x81\xa6x", (size_t)-1, false);
        assert_string_equal(o, "user\\u202egpj.exe\\u200b\\u061c\\ufffe\\ufeff\xe2\x80\xa7\xef\xbf\xbd\\u2066x");
        free(o);
}

static void test_utf8(void **state)
{
        (void)state;
        assert_true(ps_utf8_valid("héllo €𝄞", strlen("héllo €𝄞")));
        assert_false(ps_utf8_valid("\xc0\x80", 2));         /* overlong NUL */
        assert_false(ps_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
        assert_false(ps_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
        assert_false(ps_utf8_valid("\xe2\x82", 2));         /* truncated */
}

static void test_utf8_seq(void **state)
{
        uint32_t cp = 0;

        (void)state;
        assert_int_equal(ps_utf8_seq("a", 1, &cp), 1);
        assert_int_equal(cp, 'a');
        assert_int_equal(ps_utf8_seq("\xc3\xa9x", 3, &cp), 2);
        assert_int_equal(cp, 0xe9);
        assert_int_equal(ps_utf8_seq("\xe2\x80\xae", 3, &cp), 3);
        assert_int_equal(cp, 0x202e);
        assert_int_equal(ps_utf8_seq("\xf4\x8f\xbf\xbf", 4, &cp), 4);
        assert_int_equal(cp, 0x10ffff);
        assert_int_equal(ps_utf8_seq("\xe0\x9f\xbf", 3, NULL), 0);    /* overlong */
        assert_int_equal(ps_utf8_seq("\xed\xbf\xbf", 3, NULL), 0);    /* surrogate */
        assert_int_equal(ps_utf8_seq("\xf4\x90\x80\x80", 4, NULL), 0); /* above U+10FFFF */
        assert_int_equal(ps_utf8_seq("\xc3\xa9", 1, NULL), 0);         /* truncated by left */
        assert_int_equal(ps_utf8_seq("\x80", 1, NULL), 0);              /* a stray continuation byte */
        assert_int_equal(ps_utf8_seq("", 0, NULL), 0);
}

/* What fn() writes on stderr, as a malloc'd string. */
static char *stderr_of(void (*fn)(void))
{
        char path[] = "/tmp/ps-test-stderr-XXXXXX", *out = NULL;
        int fd = mkstemp(path), saved = dup(2);
        size_t len = 0;

        assert_true(fd >= 0 && saved >= 0);
        fflush(stderr);
        dup2(fd, 2);
        fn();
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        close(fd);
        assert_int_equal(ps_read_file(path, 4096, &out, &len), 0);
        unlink(path);
        return out;
}

static void print_parse_error(void)
{
        struct ps_error e;
        assert_int_equal(ps_error_set(&e, -EINVAL, "a\x1b.csv", 3, 7, "bad\n%s", "thing"), -EINVAL);
        ps_error_print("update", &e, -EINVAL);
        ps_error_set(&e, -ENOENT, "", 0, 0, "%s", "");
        ps_error_print(NULL, &e, -ENOENT);
}

static void print_formatted(void)
{
        ps_errorf("scan: target '%s': %s", "\xc2\x9b" "2J", "no such host");
}

static void test_errors(void **state)
{
        char *o;

        (void)state;
        /* One escaped line each, naming the command and where; strerror when there is no message. */
        o = stderr_of(print_parse_error);
        assert_string_equal(o, "portscope: update: a\\x1b.csv:3:7: bad\\nthing\nportscope: No such file or directory\n");
        free(o);
        o = stderr_of(print_formatted);
        assert_string_equal(o, "portscope: scan: target '\\u009b2J': no such host\n");
        free(o);
        assert_int_equal(ps_error_set(NULL, -EIO, "x", 1, 1, "y"), -EIO);
}

static void test_fnv1a(void **state)
{
        (void)state;
        /* The published 64-bit FNV-1a test vectors. */
        assert_true(ps_fnv1a("", 0) == 0xcbf29ce484222325ull);
        assert_true(ps_fnv1a("a", 1) == 0xaf63dc4c8601ec8cull);
        assert_true(ps_fnv1a("foobar", 6) == 0x85944171f73967e8ull);
}

static void test_grow(void **state)
{
        uint32_t *v = NULL;
        size_t cap = 0;

        (void)state;
        /* The first allocation holds at least 256 bytes; then doubling. */
        assert_int_equal(PS_GROW(v, cap, 1, 1000), 0);
        assert_non_null(v);
        assert_int_equal(cap, 64);
        v[63] = 7;
        assert_int_equal(PS_GROW(v, cap, 64, 1000), 0); /* already room: nothing moves */
        assert_int_equal(cap, 64);
        assert_int_equal(PS_GROW(v, cap, 65, 1000), 0);
        assert_int_equal(cap, 128);
        assert_int_equal(v[63], 7);
        /* Never past the maximum, and past it nothing changes. */
        assert_int_equal(PS_GROW(v, cap, 600, 1000), 0);
        assert_int_equal(cap, 1000);
        assert_int_equal(PS_GROW(v, cap, 1001, 1000), -E2BIG);
        assert_int_equal(cap, 1000);
        assert_int_equal(v[63], 7);
        /* A size that would overflow is refused, whatever the maximum. */
        assert_int_equal(PS_GROW(v, cap, SIZE_MAX / 2, SIZE_MAX), -E2BIG);
        assert_int_equal(cap, 1000);
        free(v);
}

/* A pipe fed len bytes by a child: ps_read_file() grows its buffer as it reads. */
static int read_pipe(size_t len, size_t max, size_t *ret_len)
{
        int fds[2];
        char path[64], *data = NULL;
        pid_t pid;
        int r, status;

        assert_int_equal(pipe(fds), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                static char chunk[4096];
                close(fds[0]);
                memset(chunk, 'p', sizeof(chunk));
                for (size_t done = 0; done < len;) {
                        size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
                        ssize_t w = write(fds[1], chunk, n);
                        if (w <= 0)
                                _exit(1);
                        done += (size_t)w;
                }
                _exit(0);
        }
        close(fds[1]);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
        r = ps_read_file(path, max, &data, ret_len);
        close(fds[0]);
        waitpid(pid, &status, 0);
        if (r == 0) {
                assert_int_equal(strlen(data), *ret_len);
                assert_true(*ret_len == 0 || data[*ret_len - 1] == 'p');
        }
        free(data);
        return r;
}

static void test_read_growing(void **state)
{
        size_t len = 0;

        (void)state;
        assert_int_equal(read_pipe(200000, 200000, &len), 0); /* exactly the maximum */
        assert_int_equal(len, 200000);
        assert_int_equal(read_pipe(200001, 200000, &len), -EFBIG);
        assert_int_equal(read_pipe(65535, 65535, &len), 0);
        assert_int_equal(len, 65535);
}

static void test_atomic_write(void **state)
{
        char dir[] = "/tmp/ps-util-XXXXXX", path[256], *data;
        size_t len;
        struct dirent *de;
        int files = 0;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/sub/dir/f.txt", dir);
        char sub[256];
        snprintf(sub, sizeof(sub), "%s/sub/dir", dir);
        assert_int_equal(ps_mkdir_p(sub), 0);
        assert_int_equal(ps_write_file_atomic(path, "hello", 5, 0640), 0);
        assert_int_equal(ps_write_file_atomic(path, "bye", 3, 0640), 0);
        assert_int_equal(ps_read_file(path, 100, &data, &len), 0);
        assert_int_equal(len, 3);
        assert_string_equal(data, "bye");
        free(data);
        assert_int_equal(ps_read_file(path, 2, &data, &len), -EFBIG);
        assert_int_equal(ps_read_file(sub, 100, &data, &len), -EISDIR);
        /* No temporary file left behind. */
        DIR *d = opendir(sub);
        while ((de = readdir(d)))
                files += de->d_name[0] != '.';
        closedir(d);
        assert_int_equal(files, 1);
        /* A directory that does not exist: an error, nothing written. */
        snprintf(path, sizeof(path), "%s/missing/f.txt", dir);
        assert_int_equal(ps_write_file_atomic(path, "x", 1, 0600), -ENOENT);
        unlink(path);
        snprintf(path, sizeof(path), "%s/sub/dir/f.txt", dir);
        unlink(path);
        rmdir(sub);
        snprintf(sub, sizeof(sub), "%s/sub", dir);
        rmdir(sub);
        rmdir(dir);
}

static void test_xdg(void **state)
{
        char buf[256];

        (void)state;
        setenv("XDG_CACHE_HOME", "/x/cache", 1);
        assert_int_equal(ps_cache_dir(buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/x/cache/portscope");
        setenv("XDG_CACHE_HOME", "relative", 1);
        setenv("HOME", "/home/u", 1);
        assert_int_equal(ps_cache_dir(buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/home/u/.cache/portscope");
        setenv("PORTSCOPE_DB", "/tmp/x.db", 1);
        assert_int_equal(ps_store_path(buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/tmp/x.db");
        unsetenv("PORTSCOPE_DB");
        setenv("XDG_STATE_HOME", "/s", 1);
        assert_int_equal(ps_store_path(buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/s/portscope/portscope.db");
        assert_int_equal(ps_store_path(buf, 5), -ENAMETOOLONG);
        assert_non_null(ps_strcasestr("Secure SHELL", "shell"));
        assert_null(ps_strcasestr("abc", "abd"));
}

static ino_t netns_inode(void)
{
        struct stat st;
        return stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

static int open_fds(void)
{
        int n = 0;
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return -1;
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

/* In a child (the test's own namespace stays as it was): a new namespace, entered and left. */
static int netns_round_trip(void)
{
        int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        ino_t orig_ino = netns_inode();
        if (orig < 0 || unshare(CLONE_NEWNET) < 0)
                return errno == EPERM ? 77 : 1;
        int fresh = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        ino_t fresh_ino = netns_inode();
        if (fresh < 0 || fresh_ino == orig_ino || setns(orig, CLONE_NEWNET) < 0 || netns_inode() != orig_ino)
                return 2;
        int fds = open_fds(), saved;
        if (ps_netns_enter(fresh, &saved) != 0 || saved < 0 || netns_inode() != fresh_ino)
                return 3;
        if (ps_netns_leave(saved) != 0 || netns_inode() != orig_ino || open_fds() != fds)
                return 4;
        return 0;
}

static void test_netns(void **state)
{
        (void)state;
        int saved = 123, fds = open_fds();
        assert_int_equal(ps_netns_enter(-1, &saved), 0); /* no namespace: nothing to do */
        assert_int_equal(saved, -1);
        assert_int_equal(ps_netns_leave(saved), 0);
        int notns = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(notns >= 0);
        saved = 123;
        int r = ps_netns_enter(notns, &saved); /* EINVAL, or EPERM without CAP_SYS_ADMIN */
        assert_true(r == -EINVAL || r == -EPERM);
        assert_int_equal(saved, -1);
        close(notns);
        assert_int_equal(open_fds(), fds); /* nothing left open */

        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(netns_round_trip());
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                skip(); /* creating a network namespace needs CAP_SYS_ADMIN */
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_utf8),
                cmocka_unit_test(test_utf8_seq),
                cmocka_unit_test(test_fnv1a),
                cmocka_unit_test(test_grow),
                cmocka_unit_test(test_read_growing),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_atomic_write),
                cmocka_unit_test(test_xdg),
                cmocka_unit_test(test_netns),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
