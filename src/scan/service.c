/* portscope scan — identifying the service on an open TCP port: its banner first (nmap's NULL
 * probe), then the probes nmap-service-probes lists for the port, then HTTP. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scan-internal.h"

size_t scan_probes_plan(const struct scan_probes *ps, uint16_t port, const char **names, const unsigned char **payloads,
                        size_t *lens, size_t max);

/* Waits for events on fd until deadline (ns, monotonic) in slices of at most 50 ms, so that a
 * stop request (Ctrl-C) is seen quickly. > 0 ready, 0 timed out or stopped, < 0 error. */
static int wait_fd(int fd, short events, uint64_t deadline, const volatile sig_atomic_t *stop)
{
        for (;;) {
                if (stop && *stop)
                        return 0;
                uint64_t now = scan_now_ns();
                if (now >= deadline)
                        return 0;
                uint64_t ms = (deadline - now + 999999) / 1000000;
                struct pollfd p = { .fd = fd, .events = events };
                int r = poll(&p, 1, ms > 50 ? 50 : (int)ms);
                if (r != 0 && !(r < 0 && errno == EINTR))
                        return r;
        }
}

static int connect_to(const struct scan_addr *a, uint16_t port, uint64_t deadline, const volatile sig_atomic_t *stop)
{
        int fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        socklen_t sl;
        if (a->family == AF_INET) {
                struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
                s4->sin_family = AF_INET;
                s4->sin_port = htons(port);
                memcpy(&s4->sin_addr, a->a, 4);
                sl = sizeof(*s4);
        } else {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(port);
                memcpy(&s6->sin6_addr, a->a, 16);
                sl = sizeof(*s6);
        }
        if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
                int e = errno;
                close(fd);
                return -e;
        }
        int err = 0;
        socklen_t len = sizeof(err);
        if (wait_fd(fd, POLLOUT, deadline, stop) <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
                close(fd);
                return -(err ? err : ETIMEDOUT);
        }
        /* never report a socket connected to itself */
        struct sockaddr_storage x, y;
        socklen_t lx = sizeof(x), ly = sizeof(y);
        if (getsockname(fd, (struct sockaddr *)&x, &lx) == 0 && getpeername(fd, (struct sockaddr *)&y, &ly) == 0 &&
            lx == ly && memcmp(&x, &y, lx) == 0) {
                close(fd);
                return -ECONNREFUSED;
        }
        return fd;
}

/* Reads until the deadline, the peer closed, or buf is full; once something came, a pause of
 * 200 ms ends the answer. */
static size_t read_some(int fd, unsigned char *buf, size_t cap, uint64_t deadline, const volatile sig_atomic_t *stop)
{
        size_t n = 0;
        while (n < cap) {
                uint64_t end = deadline;
                if (n > 0 && scan_now_ns() + 200000000u < end)
                        end = scan_now_ns() + 200000000u;
                if (wait_fd(fd, POLLIN, end, stop) <= 0)
                        break;
                ssize_t r = recv(fd, buf + n, cap - n, 0);
                if (r <= 0)
                        break;
                n += (size_t)r;
        }
        return n;
}

int scan_service_identify(struct scan_probes *p, const struct scan_addr *addr, uint16_t port, unsigned wait_ms,
                          unsigned max_probes, const volatile sig_atomic_t *stop, struct scan_service *ret)
{
        struct scan_service s;
        memset(&s, 0, sizeof(s));
        unsigned char buf[4096];
        uint64_t wait_ns = (uint64_t)wait_ms * 1000000u;
        /* Connecting and the banner may take wait_ms; the probes then share another wait_ms. */
        uint64_t banner_end = scan_now_ns() + wait_ns;
        int fd = connect_to(addr, port, banner_end, stop);
        if (fd < 0)
                return fd;
        size_t n = read_some(fd, buf, sizeof(buf), banner_end, stop);
        close(fd);
        if (n) {
                s.banner_len = n < sizeof(s.banner) ? n : sizeof(s.banner);
                memcpy(s.banner, buf, s.banner_len);
                snprintf(s.probe, sizeof(s.probe), "NULL");
                if (p && scan_probes_match(p, "NULL", PS_TCP, buf, n, &s) == 1 && !s.soft) {
                        *ret = s;
                        return 0;
                }
        }
        const char *names[8];
        const unsigned char *payloads[8];
        size_t lens[8];
        size_t np = scan_probes_plan(p, port, names, payloads, lens, max_probes < 8 ? max_probes : 8);
        uint64_t deadline = scan_now_ns() + wait_ns;
        for (size_t i = 0; i < np && !(stop && *stop) && scan_now_ns() < deadline; i++) {
                fd = connect_to(addr, port, deadline, stop);
                if (fd < 0)
                        break;
                ssize_t w = send(fd, payloads[i], lens[i], MSG_NOSIGNAL);
                n = w == (ssize_t)lens[i] ? read_some(fd, buf, sizeof(buf), deadline, stop) : 0;
                close(fd);
                if (n == 0)
                        continue;
                struct scan_service t = s;
                if (s.banner_len == 0) {
                        t.banner_len = n < sizeof(t.banner) ? n : sizeof(t.banner);
                        memcpy(t.banner, buf, t.banner_len);
                }
                int m = scan_probes_match(p, names[i], PS_TCP, buf, n, &t);
                /* The probe that got the answer, even when a fallback's rule matched it. */
                snprintf(t.probe, sizeof(t.probe), "%s", names[i]);
                if (m == 1) {
                        if (!t.soft) {
                                *ret = t;
                                return 0;
                        }
                        if (!s.name[0])
                                s = t;
                } else if (s.banner_len == 0) {
                        s = t;
                }
        }
        *ret = s;
        return 0;
}
