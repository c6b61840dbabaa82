/* Test helper: opens the sockets named on the command line, prints "ready", then waits for a
 * signal. Run it under a symlink to give it a process name (sshd, pd, nc ...).
 *
 *   ps-audit-listen [--uid UID] SPEC...
 *   SPEC: tcp4:ADDR:PORT  tcp6:ADDR:PORT[:v6only|:dual]  udp4:ADDR:PORT  udp6:ADDR:PORT[:v6only]
 *         raw4:PROTO  raw6:PROTO  conn4:PORT (a connected TCP pair to 127.0.0.1:PORT, in-process)
 *         dev:IFNAME:tcp4:PORT (SO_BINDTODEVICE on 0.0.0.0:PORT)
 *         packet:ETHERTYPE[:IFNAME]  packetf:ETHERTYPE[:IFNAME] (a packet socket, bound to IFNAME;
 *         packetf with a classic BPF filter that takes every frame, as BPFDoor attaches one)
 * Other arguments (options and names without a ':') are ignored, so that a copy named python3
 * or java can carry an interpreter's command line: python3 -m http.server tcp4:0.0.0.0:8000.
 * Only for tests: addresses must be loopback or in the test's own namespace. */
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <grp.h>

static int num(const char *s)
{
        return (int)strtol(s, NULL, 10);
}

static int die(const char *what, const char *spec)
{
        fprintf(stderr, "ps-audit-listen: %s: %s: %s\n", spec, what, strerror(errno));
        exit(2);
}

static int open_inet(int family, int type, const char *addr, int port, int v6only, const char *dev, const char *spec)
{
        int fd = socket(family, type, 0), one = 1;
        struct sockaddr_storage ss;
        socklen_t sl;

        if (fd < 0)
                die("socket", spec);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev)) < 0)
                die("SO_BINDTODEVICE", spec);
        memset(&ss, 0, sizeof(ss));
        if (family == AF_INET) {
                struct sockaddr_in *s = (struct sockaddr_in *)&ss;
                s->sin_family = AF_INET;
                s->sin_port = htons((uint16_t)port);
                if (inet_pton(AF_INET, addr, &s->sin_addr) != 1)
                        die("bad address", spec);
                sl = sizeof(*s);
        } else {
                struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
                if (v6only >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
                        die("IPV6_V6ONLY", spec);
                s->sin6_family = AF_INET6;
                s->sin6_port = htons((uint16_t)port);
                if (inet_pton(AF_INET6, addr, &s->sin6_addr) != 1)
                        die("bad address", spec);
                sl = sizeof(*s);
        }
        if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
                die("bind", spec);
        if (type == SOCK_STREAM && listen(fd, 16) < 0)
                die("listen", spec);
        return fd;
}

static void open_spec(char *spec)
{
        char copy[256];
        char *kind, *rest, *addr, *port, *opt;
        int v6only = -1;

        snprintf(copy, sizeof(copy), "%s", spec);
        kind = copy;
        rest = strchr(copy, ':');
        if (!rest) {
                errno = EINVAL;
                die("bad spec", spec);
        }
        *rest++ = '\0';
        if (strcmp(kind, "raw4") == 0 || strcmp(kind, "raw6") == 0) {
                if (socket(kind[3] == '4' ? AF_INET : AF_INET6, SOCK_RAW, num(rest)) < 0)
                        die("raw socket", spec);
                return;
        }
        if (strcmp(kind, "packet") == 0 || strcmp(kind, "packetf") == 0) {
                char *ifname = strchr(rest, ':');
                if (ifname)
                        *ifname++ = '\0';
                uint16_t type = htons((uint16_t)num(rest));
                int s = socket(AF_PACKET, SOCK_RAW, type);
                if (s < 0)
                        die("packet socket", spec);
                if (ifname) {
                        struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = type,
                                                  .sll_ifindex = (int)if_nametoindex(ifname) };
                        if (!ll.sll_ifindex || bind(s, (struct sockaddr *)&ll, sizeof(ll)) < 0)
                                die("bind packet socket", spec);
                }
                if (kind[6] == 'f') {
                        static struct sock_filter take_all[] = { BPF_STMT(BPF_RET | BPF_K, 0xffff) };
                        struct sock_fprog prog = { .len = 1, .filter = take_all };
                        if (setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
                                die("SO_ATTACH_FILTER", spec);
                }
                return;
        }
        if (strcmp(kind, "conn4") == 0) {
                int port_n = num(rest);
                int l = open_inet(AF_INET, SOCK_STREAM, "127.0.0.1", port_n, -1, NULL, spec);
                int c = socket(AF_INET, SOCK_STREAM, 0);
                struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port_n) };
                inet_pton(AF_INET, "127.0.0.1", &s.sin_addr);
                if (c < 0 || connect(c, (struct sockaddr *)&s, sizeof(s)) < 0)
                        die("connect", spec);
                if (accept(l, NULL, NULL) < 0)
                        die("accept", spec);
                return;
        }
        if (strcmp(kind, "dev") == 0) {
                char *ifname = rest, *k = strchr(rest, ':');
                if (!k) {
                        errno = EINVAL;
                        die("bad spec", spec);
                }
                *k++ = '\0';
                port = strchr(k, ':');
                if (!port) {
                        errno = EINVAL;
                        die("bad spec", spec);
                }
                *port++ = '\0';
                open_inet(AF_INET, strcmp(k, "udp4") == 0 ? SOCK_DGRAM : SOCK_STREAM, "0.0.0.0", num(port), -1,
                          ifname, spec);
                return;
        }
        /* ADDR:PORT[:opt]; IPv6 addresses in brackets. */
        if (rest[0] == '[') {
                addr = rest + 1;
                port = strchr(addr, ']');
                if (!port || port[1] != ':') {
                        errno = EINVAL;
                        die("bad spec", spec);
                }
                *port = '\0';
                port += 2;
        } else {
                addr = rest;
                port = strchr(rest, ':');
                if (!port) {
                        errno = EINVAL;
                        die("bad spec", spec);
                }
                *port++ = '\0';
        }
        opt = strchr(port, ':');
        if (opt) {
                *opt++ = '\0';
                v6only = strcmp(opt, "v6only") == 0 ? 1 : 0;
        }
        if (strcmp(kind, "tcp4") == 0)
                open_inet(AF_INET, SOCK_STREAM, addr, num(port), -1, NULL, spec);
        else if (strcmp(kind, "tcp6") == 0)
                open_inet(AF_INET6, SOCK_STREAM, addr, num(port), v6only, NULL, spec);
        else if (strcmp(kind, "udp4") == 0)
                open_inet(AF_INET, SOCK_DGRAM, addr, num(port), -1, NULL, spec);
        else if (strcmp(kind, "udp6") == 0)
                open_inet(AF_INET6, SOCK_DGRAM, addr, num(port), v6only, NULL, spec);
        else {
                errno = EINVAL;
                die("unknown kind", spec);
        }
}

int main(int argc, char **argv)
{
        int i = 1;
        long uid = -1;
        sigset_t set;
        int sig;

        if (i + 1 < argc && strcmp(argv[i], "--uid") == 0) {
                uid = num(argv[i + 1]);
                i += 2;
        }
        for (; i < argc; i++)
                if (argv[i][0] != '-' && strchr(argv[i], ':'))
                        open_spec(argv[i]);
        if (uid >= 0 && (setgroups(0, NULL) < 0 || setresgid((gid_t)uid, (gid_t)uid, (gid_t)uid) < 0 ||
                         setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0))
                die("drop privileges", "--uid");
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, NULL);
        printf("ready\n");
        fflush(stdout);
        sigwait(&set, &sig);
        return 0;
}
