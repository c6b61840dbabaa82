/* Benchmark load for bench/listening.sh: one process of the load.
 *
 *   ps-bench-load tcp PORT COUNT     COUNT TCP listeners on 0.0.0.0:PORT..PORT+COUNT-1
 *   ps-bench-load udp PORT COUNT     COUNT UDP sockets bound the same way
 *   ps-bench-load conn PORT COUNT    a listener on 127.0.0.1:PORT and COUNT established pairs to it
 *   ps-bench-load files COUNT        COUNT open descriptors of /dev/null
 *
 * Prints "ready" when everything is open, then waits for SIGTERM. Runs inside the benchmark's
 * own network namespace: every address is 0.0.0.0 or 127.0.0.1 there. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static long num(const char *s)
{
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || *end || v < 0 || v > 1000000) {
                fprintf(stderr, "ps-bench-load: bad number '%s'\n", s);
                exit(2);
        }
        return v;
}

static void die(const char *what)
{
        fprintf(stderr, "ps-bench-load: %s: %s\n", what, strerror(errno));
        exit(2);
}

static int bound(int type, const char *addr, long port)
{
        int fd = socket(AF_INET, type, 0), one = 1;
        struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

        if (fd < 0)
                die("socket");
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        inet_pton(AF_INET, addr, &s.sin_addr);
        if (bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
                die("bind");
        if (type == SOCK_STREAM && listen(fd, 4096) < 0)
                die("listen");
        return fd;
}

int main(int argc, char **argv)
{
        struct rlimit rl;
        sigset_t set;
        int sig;

        if (argc < 3) {
                fprintf(stderr, "usage: ps-bench-load tcp|udp|conn PORT COUNT | files COUNT\n");
                return 2;
        }
        /* Raise the descriptor limit to the hard limit: the load holds thousands. */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
        if (strcmp(argv[1], "files") == 0) {
                long n = num(argv[2]);
                for (long i = 0; i < n; i++)
                        if (open("/dev/null", O_RDONLY) < 0)
                                die("open /dev/null");
        } else if (argc == 4 && (strcmp(argv[1], "tcp") == 0 || strcmp(argv[1], "udp") == 0)) {
                long port = num(argv[2]), n = num(argv[3]);
                for (long i = 0; i < n; i++)
                        bound(argv[1][0] == 't' ? SOCK_STREAM : SOCK_DGRAM, "0.0.0.0", port + i);
        } else if (argc == 4 && strcmp(argv[1], "conn") == 0) {
                long port = num(argv[2]), n = num(argv[3]);
                int l = bound(SOCK_STREAM, "127.0.0.1", port);
                struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
                inet_pton(AF_INET, "127.0.0.1", &s.sin_addr);
                for (long i = 0; i < n; i++) {
                        int c = socket(AF_INET, SOCK_STREAM, 0);
                        if (c < 0 || connect(c, (struct sockaddr *)&s, sizeof(s)) < 0)
                                die("connect");
                        if (accept(l, NULL, NULL) < 0)
                                die("accept");
                }
        } else {
                fprintf(stderr, "ps-bench-load: unknown mode '%s'\n", argv[1]);
                return 2;
        }
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        printf("ready\n");
        fflush(stdout);
        sigwait(&set, &sig);
        return 0;
}
