/* portscope update — one update at a time per data directory.
 *
 * A timer's update and a user's at once could each pass the checks against the copy installed
 * before either wrote, and together install what neither would have (an older copy). An
 * exclusive flock(2) on <datadir>/update.lock, held from before the installed copy is read until
 * after the last write, makes them take turns. The file is never removed: removing a lock file
 * lets a third process lock a new one while the second still holds the old. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "portscope/i18n.h"
#include "portscope/update.h"
#include "portscope/util.h"

int update_lock(const char *datadir, unsigned wait_s, void (*waiting)(void), char *errbuf, size_t errlen)
{
        char path[1100];
        snprintf(path, sizeof path, "%s/update.lock", datadir);
        int r = ps_mkdir_p(datadir);
        int fd = r < 0 ? -1 : open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) {
                int e = r < 0 ? -r : errno;
                if (e == EACCES || e == EROFS || e == EPERM)
                        return -1; /* nothing can be written there either: storing will say so */
                snprintf(errbuf, errlen, _("cannot lock %s: %s"), path, strerror(e));
                return -2;
        }
        bool told = false;
        for (unsigned tries = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; tries++) {
                if (errno != EWOULDBLOCK && errno != EINTR) {
                        snprintf(errbuf, errlen, _("cannot lock %s: %s"), path, strerror(errno));
                        close(fd);
                        return -2;
                }
                if (tries >= wait_s * 10u) {
                        snprintf(errbuf, errlen, _("another update still holds %s after %u s"), path, wait_s);
                        close(fd);
                        return -2;
                }
                if (!told && waiting) {
                        waiting();
                        told = true;
                }
                struct timespec ts = { 0, 100 * 1000 * 1000 };
                nanosleep(&ts, NULL);
        }
        return fd;
}
