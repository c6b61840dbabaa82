/* Unit tests of update_lock(): one update at a time per data directory. flock(2) locks belong to
 * an open file description, so a second open of update.lock in this process contends like
 * another process would. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "portscope/update.h"

static char dir[64];
static int waited;

static void on_waiting(void)
{
        waited++;
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(void **state)
{
        (void)state;
        snprintf(dir, sizeof dir, "/tmp/portscope-lock-XXXXXX");
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
        char path[128];
        (void)state;
        snprintf(path, sizeof path, "%s/sub/update.lock", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/sub", dir);
        rmdir(path);
        snprintf(path, sizeof path, "%s/update.lock", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/file", dir);
        unlink(path);
        return rmdir(dir);
}

/* Free: the lock is taken at once, in a directory made for it; held: a second taker waits
 * wait_s seconds, says so once, and gives up with the path and the wait in its message. */
static void test_held_then_timeout(void **state)
{
        char sub[96], err[256] = "";
        (void)state;
        snprintf(sub, sizeof sub, "%s/sub", dir);
        waited = 0;
        int fd = update_lock(sub, 0, on_waiting, err, sizeof err);
        assert_true(fd >= 0);
        assert_int_equal(waited, 0);

        double t0 = now_s();
        assert_int_equal(update_lock(sub, 1, on_waiting, err, sizeof err), -2);
        double took = now_s() - t0;
        assert_int_equal(waited, 1);
        assert_true(took >= 0.9 && took < 5);
        assert_non_null(strstr(err, "another update still holds"));
        assert_non_null(strstr(err, "/sub/update.lock"));
        assert_non_null(strstr(err, "after 1 s"));

        /* Released: the next one takes it without waiting. */
        close(fd);
        waited = 0;
        fd = update_lock(sub, 1, on_waiting, err, sizeof err);
        assert_true(fd >= 0);
        assert_int_equal(waited, 0);
        close(fd);
}

/* Released while waiting (another process's update ends): the waiter says it waits, then gets it. */
static void test_released_while_waiting(void **state)
{
        char path[96], err[256] = "";
        int ready[2];
        (void)state;
        assert_int_equal(pipe(ready), 0);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                snprintf(path, sizeof path, "%s/update.lock", dir);
                int fd = open(path, O_RDWR | O_CREAT, 0644);
                if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(ready[1], "x", 1) != 1)
                        _exit(1);
                struct timespec ts = { 0, 500 * 1000 * 1000 };
                nanosleep(&ts, NULL);
                _exit(0); /* the lock goes with the process */
        }
        char c;
        close(ready[1]);
        assert_int_equal(read(ready[0], &c, 1), 1);
        close(ready[0]);
        waited = 0;
        double t0 = now_s();
        int fd = update_lock(dir, 10, on_waiting, err, sizeof err);
        double took = now_s() - t0;
        assert_true(fd >= 0);
        assert_int_equal(waited, 1);
        assert_true(took >= 0.3 && took < 5);
        close(fd);
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A data directory that cannot be one (a file is in the way): an error naming the path. */
static void test_not_a_directory(void **state)
{
        char file[96], sub[128], err[256] = "";
        (void)state;
        snprintf(file, sizeof file, "%s/file", dir);
        int f = open(file, O_CREAT | O_WRONLY, 0600);
        assert_true(f >= 0);
        close(f);
        snprintf(sub, sizeof sub, "%s/x", file);
        assert_int_equal(update_lock(sub, 0, NULL, err, sizeof err), -2);
        assert_non_null(strstr(err, "cannot lock"));
        assert_non_null(strstr(err, "/file/x/update.lock"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_held_then_timeout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_released_while_waiting, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_a_directory, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
