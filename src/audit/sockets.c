/* Socket enumeration: NETLINK_SOCK_DIAG dumps per (family, protocol), /proc/net/raw as fallback;
 * packet sockets in sockets-packet.c. */
#include "portscope/sockets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "portscope/util.h"
#include "audit-internal.h"

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

/* TCP states as the kernel numbers them (include/net/tcp_states.h). */
enum {
        ST_ESTABLISHED = 1,
        ST_SYN_RECV = 3,
        ST_TIME_WAIT = 6,
        ST_CLOSE = 7,
        ST_CLOSE_WAIT = 8,
        ST_LISTEN = 10,
        ST_NEW_SYN_RECV = 12,
};
#define ST_BIT(s) (1u << (s))

static const char *const proto_names[SOCKETS_NPROTO] = { "tcp", "udp", "sctp", "raw", "packet" };

const char *sockets_proto_name(enum sockets_proto p)
{
        return (unsigned)p < SOCKETS_NPROTO ? proto_names[p] : NULL;
}

int sockets_proto_parse(const char *s, enum sockets_proto *ret)
{
        for (unsigned i = 0; i < SOCKETS_NPROTO; i++)
                if (strcasecmp(s, proto_names[i]) == 0) {
                        *ret = (enum sockets_proto)i;
                        return 0;
                }
        return -EINVAL;
}

bool sockets_proto_to_ps(enum sockets_proto p, enum ps_proto *ret)
{
        switch (p) {
        case SOCKETS_TCP: *ret = PS_TCP; return true;
        case SOCKETS_UDP: *ret = PS_UDP; return true;
        case SOCKETS_SCTP: *ret = PS_SCTP; return true;
        default: return false;
        }
}

const char *sockets_exposure_name(enum sockets_exposure e)
{
        static const char *const names[] = { "loopback", "address", "interface", "all" };
        return (unsigned)e < 4 ? names[e] : "?";
}

void sockets_format_addr(int family, const uint8_t addr[16], char *buf, size_t len)
{
        if (family == AF_PACKET) {
                snprintf(buf, len, "*");
                return;
        }
        if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len) && len)
                buf[0] = '\0';
}

void sockets_format_place(const struct sockets_entry *e, char *buf, size_t len)
{
        if (e->proto == SOCKETS_PACKET)
                snprintf(buf, len, "%s", e->ifindex && e->ifname[0] ? e->ifname : "*");
        else
                sockets_format_addr(e->family, e->local, buf, len);
}

int sockets_parse_addr(const char *s, size_t len, int *ret_family, uint8_t ret_addr[16])
{
        char tmp[INET6_ADDRSTRLEN + 2];
        uint8_t a[16] = { 0 };

        if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
                s++;
                len -= 2;
                if (len >= sizeof(tmp))
                        return -EINVAL;
                memcpy(tmp, s, len);
                tmp[len] = '\0';
                if (inet_pton(AF_INET6, tmp, a) != 1)
                        return -EINVAL;
                *ret_family = AF_INET6;
                memcpy(ret_addr, a, 16);
                return 0;
        }
        if (len == 0 || len >= sizeof(tmp))
                return -EINVAL;
        memcpy(tmp, s, len);
        tmp[len] = '\0';
        if (inet_pton(AF_INET, tmp, a) == 1) {
                *ret_family = AF_INET;
        } else if (inet_pton(AF_INET6, tmp, a) == 1) {
                *ret_family = AF_INET6;
        } else
                return -EINVAL;
        memcpy(ret_addr, a, 16);
        return 0;
}

bool sockets_addr_is_loopback(int family, const uint8_t a[16])
{
        static const uint8_t v6lo[16] = { [15] = 1 };
        static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

        if (family == AF_INET)
                return a[0] == 127;
        if (memcmp(a, v6lo, 16) == 0)
                return true;
        return memcmp(a, mapped, 12) == 0 && a[12] == 127;
}

bool sockets_addr_is_any(int family, const uint8_t a[16])
{
        static const uint8_t zero[16];
        return memcmp(a, zero, family == AF_INET ? 4 : 16) == 0;
}

/* ---- growing the list ---- */

struct sockets_entry *sockets_list_push(struct sockets_list *l)
{
        if (PS_GROW(l->v, l->cap, l->n + 1, SIZE_MAX) < 0)
                return NULL;
        memset(&l->v[l->n], 0, sizeof(l->v[0]));
        return &l->v[l->n++];
}

/* ---- netlink ---- */

struct dump_ctx {
        int err; /* first: sockets_nl_dump() and its done callback find it there */
        struct sockets_list *list;
        enum sockets_proto proto;
        int family;
        unsigned listen_states; /* states that make a listener for this protocol */
};

static int attr_cb(const struct nlattr *attr, void *data)
{
        const struct nlattr **tb = data;
        int type = mnl_attr_get_type(attr);

        if (mnl_attr_type_valid(attr, INET_DIAG_MAX) > 0)
                tb[type] = attr;
        return MNL_CB_OK;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
        struct dump_ctx *c = data;
        const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *tb[INET_DIAG_MAX + 1] = { 0 };
        struct sockets_entry *e;

        if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
            mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
                return MNL_CB_OK;
        mnl_attr_parse(nlh, sizeof(*m), attr_cb, tb);
        /* A TCP connection the kernel has completed but its program has not accept()ed yet has no
         * inode either: it waits in its listener's accept queue (established, a Fast Open child
         * still in SYN-RECV, or closed by its peer meanwhile), and belongs to that listener. */
        bool queued = c->proto == SOCKETS_TCP && m->idiag_inode == 0 &&
                      (m->idiag_state == ST_ESTABLISHED || m->idiag_state == ST_SYN_RECV ||
                       m->idiag_state == ST_CLOSE_WAIT);
        /* TIME-WAIT and request sockets, and orphans (closed by their program, finishing their
         * FIN exchange), have no inode and no owner: not sockets anyone holds. */
        if (m->idiag_state == ST_TIME_WAIT || m->idiag_state == ST_NEW_SYN_RECV || (m->idiag_inode == 0 && !queued))
                return MNL_CB_OK;
        e = sockets_list_push(c->list);
        if (!e) {
                c->err = -ENOMEM;
                return MNL_CB_ERROR;
        }
        e->proto = c->proto;
        e->family = m->idiag_family;
        e->state = m->idiag_state;
        e->listening = (c->listen_states & ST_BIT(m->idiag_state)) != 0;
        memcpy(e->local, m->id.idiag_src, 16);
        memcpy(e->remote, m->id.idiag_dst, 16);
        e->port = ntohs(m->id.idiag_sport);
        e->remote_port = ntohs(m->id.idiag_dport);
        e->ifindex = m->id.idiag_if;
        e->inode = m->idiag_inode;
        e->unaccepted = queued;
        e->uid = m->idiag_uid;
        if (tb[INET_DIAG_SKV6ONLY])
                e->v6only = mnl_attr_get_u8(tb[INET_DIAG_SKV6ONLY]) != 0;
        if (c->proto == SOCKETS_RAW && tb[INET_DIAG_PROTOCOL])
                e->port = mnl_attr_get_u8(tb[INET_DIAG_PROTOCOL]);
        /* IPv4's IPPROTO_RAW sends whole IP packets and receives none (raw(7)). */
        e->deaf = c->proto == SOCKETS_RAW && e->family == AF_INET && e->port == IPPROTO_RAW;
        return MNL_CB_OK;
}

/* NLMSG_DONE of a dump carries the dump's error (an int) in newer kernels; libmnl ignores it. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
        int *err = data;

        if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
                int e = *(const int *)mnl_nlmsg_get_payload(nlh);
                if (e < 0) {
                        *err = e;
                        return MNL_CB_ERROR;
                }
        }
        return MNL_CB_STOP;
}

int sockets_nl_dump(struct mnl_socket *nl, const struct nlmsghdr *nlh, char *buf, size_t buflen, mnl_cb_t cb,
                    void *data)
{
        unsigned portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
        int *err = data;

        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                ssize_t n = mnl_socket_recvfrom(nl, buf, buflen);
                if (n < 0)
                        return -errno;
                mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_DONE] = done_cb };
                int r = mnl_cb_run2(buf, (size_t)n, seq, portid, cb, data, ctl, NLMSG_MIN_TYPE);
                if (r == MNL_CB_STOP)
                        return 0;
                if (r < 0)
                        return *err ? *err : -errno;
        }
}

/* One dump request. Returns 0, -ENOENT/-EOPNOTSUPP when the kernel has no diag handler for the
 * protocol, or another -errno. */
static int dump_one(struct mnl_socket *nl, char *buf, size_t buflen, struct sockets_list *l,
                    enum sockets_proto proto, int family, unsigned states, unsigned listen_states)
{
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct dump_ctx c = { .list = l, .proto = proto, .family = family, .listen_states = listen_states };

        nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        nlh->nlmsg_seq = (unsigned)(proto * 16 + family + 1);
        if (proto == SOCKETS_RAW) {
                struct inet_diag_req_raw *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
                req->sdiag_family = (uint8_t)family;
                req->sdiag_protocol = IPPROTO_RAW;
                req->sdiag_raw_protocol = IPPROTO_RAW; /* IPPROTO_RAW: every protocol */
                req->idiag_states = states;
        } else {
                struct inet_diag_req_v2 *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
                req->sdiag_family = (uint8_t)family;
                req->sdiag_protocol = proto == SOCKETS_TCP ? IPPROTO_TCP
                                      : proto == SOCKETS_UDP ? IPPROTO_UDP : IPPROTO_SCTP;
                req->idiag_states = states;
        }
        return sockets_nl_dump(nl, nlh, buf, buflen, msg_cb, &c);
}

/* /proc/net/raw: "sl local_address rem_address st tx:rx tr:when retr uid timeout inode ...". The
 * "port" of a raw socket's local address is its protocol. */
static int parse_hex_addr(const char **p, int family, uint8_t out[16], uint16_t *port)
{
        const char *s = *p;
        unsigned words = family == AF_INET ? 1 : 4;
        unsigned long v;
        char *end;

        for (unsigned w = 0; w < words; w++) {
                char tmp[9];
                uint32_t u;
                for (int i = 0; i < 8; i++) {
                        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F') ||
                              (s[i] >= 'a' && s[i] <= 'f')))
                                return -EINVAL;
                        tmp[i] = s[i];
                }
                tmp[8] = '\0';
                v = strtoul(tmp, &end, 16);
                u = (uint32_t)v;
                /* The kernel prints each 32-bit word of the address in host order. */
                memcpy(out + 4 * w, &u, 4);
                s += 8;
        }
        if (*s != ':')
                return -EINVAL;
        s++;
        errno = 0;
        v = strtoul(s, &end, 16);
        if (end == s || errno || v > 0xffff)
                return -EINVAL;
        *port = (uint16_t)v;
        *p = end;
        return 0;
}

static const char *skip_ws(const char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        return s;
}

static const char *skip_field(const char *s)
{
        s = skip_ws(s);
        while (*s && *s != ' ' && *s != '\t' && *s != '\n')
                s++;
        return s;
}

int sockets_parse_proc_raw_line(const char *line, int family, struct sockets_entry *e)
{
        const char *p = skip_ws(line);
        char *end;
        unsigned long long v;

        memset(e, 0, sizeof(*e));
        /* "N:" */
        if (*p < '0' || *p > '9')
                return -EINVAL;
        p = skip_field(p);
        p = skip_ws(p);
        if (parse_hex_addr(&p, family, e->local, &e->port) < 0)
                return -EINVAL;
        p = skip_ws(p);
        if (parse_hex_addr(&p, family, e->remote, &e->remote_port) < 0)
                return -EINVAL;
        p = skip_ws(p);
        errno = 0;
        v = strtoull(p, &end, 16);
        if (end == p || errno || v > 0xff)
                return -EINVAL;
        e->state = (uint8_t)v;
        p = end;
        p = skip_field(p); /* tx_queue:rx_queue */
        p = skip_field(p); /* tr:tm->when */
        p = skip_field(p); /* retrnsmt */
        p = skip_ws(p);
        errno = 0;
        v = strtoull(p, &end, 10);
        if (end == p || errno || v > UINT32_MAX)
                return -EINVAL;
        e->uid = (uint32_t)v;
        p = end;
        p = skip_field(p); /* timeout */
        p = skip_ws(p);
        errno = 0;
        v = strtoull(p, &end, 10);
        if (end == p || errno)
                return -EINVAL;
        e->inode = v;
        e->family = family;
        e->proto = SOCKETS_RAW;
        return 0;
}

static int raw_from_proc(struct sockets_list *l, int family, unsigned flags)
{
        const char *path = family == AF_INET ? "/proc/thread-self/net/raw" : "/proc/thread-self/net/raw6";
        char line[512];
        FILE *f = fopen(path, "re");

        if (!f)
                return errno == ENOENT ? 0 : -errno;
        while (fgets(line, sizeof(line), f)) {
                struct sockets_entry tmp, *e;
                if (sockets_parse_proc_raw_line(line, family, &tmp) < 0 || tmp.inode == 0)
                        continue;
                /* A raw socket with a connected peer (ping -I tricks) is not a listener. */
                tmp.listening = sockets_addr_is_any(family, tmp.remote);
                tmp.deaf = family == AF_INET && tmp.port == IPPROTO_RAW;
                if (tmp.listening ? !(flags & SOCKETS_LISTENING) : !(flags & SOCKETS_CONNECTED))
                        continue;
                e = sockets_list_push(l);
                if (!e) {
                        fclose(f);
                        return -ENOMEM;
                }
                *e = tmp;
        }
        fclose(f);
        return 0;
}

/* ---- exposure and interface names ---- */

static void fill_exposure(struct sockets_list *l)
{
        struct ifaddrs *ifa = NULL;
        bool have_ifa = getifaddrs(&ifa) == 0;

        for (size_t i = 0; i < l->n; i++) {
                struct sockets_entry *e = &l->v[i];
                if (e->proto == SOCKETS_PACKET) {
                        /* Bound to an interface, or every interface of the namespace. One that was
                         * removed leaves index -1, which names nothing: "if#-1". */
                        if (e->ifindex && !if_indextoname(e->ifindex, e->ifname))
                                snprintf(e->ifname, sizeof(e->ifname), "if#%d", (int)e->ifindex);
                        e->exposure = !e->ifindex                   ? SOCKETS_EXPOSURE_ALL
                                      : strcmp(e->ifname, "lo") == 0 ? SOCKETS_EXPOSURE_LOOPBACK
                                                                     : SOCKETS_EXPOSURE_INTERFACE;
                        continue;
                }
                /* Raw IPv6 sockets never receive IPv4, whatever V6ONLY says. */
                if (e->proto != SOCKETS_RAW && e->family == AF_INET6 && !e->v6only &&
                    sockets_addr_is_any(AF_INET6, e->local))
                        e->dual_stack = true;
                if (e->ifindex) {
                        if (!if_indextoname(e->ifindex, e->ifname))
                                e->ifname[0] = '\0';
                }
                if (sockets_addr_is_loopback(e->family, e->local))
                        e->exposure = SOCKETS_EXPOSURE_LOOPBACK;
                else if (sockets_addr_is_any(e->family, e->local))
                        e->exposure = e->ifindex ? SOCKETS_EXPOSURE_INTERFACE : SOCKETS_EXPOSURE_ALL;
                else
                        e->exposure = SOCKETS_EXPOSURE_ADDRESS;
                /* A socket bound to lo by device is loopback however it was addressed. */
                if (e->ifindex && strcmp(e->ifname, "lo") == 0)
                        e->exposure = SOCKETS_EXPOSURE_LOOPBACK;
                if (e->exposure == SOCKETS_EXPOSURE_ADDRESS && !e->ifindex && have_ifa) {
                        for (struct ifaddrs *a = ifa; a; a = a->ifa_next) {
                                if (!a->ifa_addr || a->ifa_addr->sa_family != e->family)
                                        continue;
                                const void *p = e->family == AF_INET
                                        ? (const void *)&((struct sockaddr_in *)(void *)a->ifa_addr)->sin_addr
                                        : (const void *)&((struct sockaddr_in6 *)(void *)a->ifa_addr)->sin6_addr;
                                if (memcmp(p, e->local, e->family == AF_INET ? 4 : 16) == 0) {
                                        snprintf(e->ifname, sizeof(e->ifname), "%s", a->ifa_name);
                                        break;
                                }
                        }
                }
        }
        if (ifa)
                freeifaddrs(ifa);
}

/* ---- namespaces ---- */

int sockets_netns_open(const char *name)
{
        char path[4096];
        int fd, n;

        if (!name || !*name)
                return -EINVAL;
        if (strchr(name, '/'))
                n = snprintf(path, sizeof(path), "%s", name);
        else
                n = snprintf(path, sizeof(path), "/run/netns/%s", name);
        if (n < 0 || (size_t)n >= sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Anything but a network namespace (a regular file, a PID namespace) is refused here, so
         * that the caller can say so instead of failing later in setns(). */
        if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
                close(fd);
                return -ENOTTY;
        }
        return fd;
}

/* ---- connections not yet accepted ---- */

struct port_ix {
        uint16_t port;
        size_t i;
};

static int port_ix_cmp(const void *a, const void *b)
{
        const struct port_ix *x = a, *y = b;
        if (x->port != y->port)
                return x->port < y->port ? -1 : 1;
        return (x->i > y->i) - (x->i < y->i);
}

/* How well listener t matches the local end of queued connection e: 2 its address, 1 the
 * wildcard of its family, 0 not at all (the kernel prefers the exact address too). */
static int listener_score(const struct sockets_entry *t, const struct sockets_entry *e)
{
        if (t->family != e->family || (t->ifindex && t->ifindex != e->ifindex))
                return 0;
        if (memcmp(t->local, e->local, e->family == AF_INET ? 4 : 16) == 0)
                return 2;
        return sockets_addr_is_any(t->family, t->local) ? 1 : 0;
}

/* Finds the listener whose accept queue holds each connection not yet accepted (same family, local
 * port and address, or its wildcard) and keeps its inode; a connection without one (its listener
 * closed during the dump) is dropped, as it was before it could be told apart. In an SO_REUSEPORT
 * group the kernel does not say which queue: the first is kept, and one as good as listener_inode_tie
 * (find_owners() names no program when their programs differ). */
static int attach_queued(struct sockets_list *l)
{
        struct port_ix *ix;
        size_t nix = 0, n = 0;
        bool any = false;

        for (size_t i = 0; i < l->n; i++)
                any |= l->v[i].unaccepted;
        if (!any)
                return 0;
        ix = malloc(l->n * sizeof(*ix));
        if (!ix)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].proto == SOCKETS_TCP && l->v[i].listening && l->v[i].inode)
                        ix[nix++] = (struct port_ix){ l->v[i].port, i };
        qsort(ix, nix, sizeof(*ix), port_ix_cmp);
        for (size_t i = 0; i < l->n; i++) {
                struct sockets_entry *e = &l->v[i];
                if (e->unaccepted) {
                        size_t lo = 0, hi = nix;
                        int best = 0;
                        e->listener_inode = e->listener_inode_tie = 0;
                        while (lo < hi) {
                                size_t mid = lo + (hi - lo) / 2;
                                if (ix[mid].port < e->port)
                                        lo = mid + 1;
                                else
                                        hi = mid;
                        }
                        for (size_t k = lo; k < nix && ix[k].port == e->port; k++) {
                                int sc = listener_score(&l->v[ix[k].i], e);
                                if (sc > best) {
                                        best = sc;
                                        e->listener_inode = l->v[ix[k].i].inode;
                                        e->listener_inode_tie = 0;
                                } else if (sc == best && sc > 0 && !e->listener_inode_tie) {
                                        e->listener_inode_tie = l->v[ix[k].i].inode;
                                }
                        }
                }
        }
        /* Then drop the ones without a listener (the indexes above stay valid until now). */
        for (size_t i = 0; i < l->n; i++)
                if (!l->v[i].unaccepted || l->v[i].listener_inode)
                        l->v[n++] = l->v[i];
        l->n = n;
        free(ix);
        return 0;
}

static int collect(const struct sockets_query *q, struct sockets_list *l)
{
        struct mnl_socket *nl;
        size_t buflen = 1u << 16; /* big reads: fewer recvmsg calls on large dumps */
        char *buf = malloc(buflen);
        static const int families[2] = { AF_INET, AF_INET6 };
        int r = 0;

        if (!buf)
                return -ENOMEM;
        nl = mnl_socket_open(NETLINK_SOCK_DIAG);
        if (!nl) {
                r = -errno;
                free(buf);
                return r;
        }
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                r = -errno;
                goto out;
        }
        for (unsigned p = 0; p < SOCKETS_NPROTO; p++) {
                unsigned states = 0, listen = 0;
                if (p == SOCKETS_RAW && (q->flags & SOCKETS_NO_RAW))
                        continue;
                if (p == SOCKETS_SCTP && (q->flags & SOCKETS_NO_SCTP))
                        continue;
                if (p == SOCKETS_PACKET) {
                        /* Every packet socket receives: each is a listener, none a connection. */
                        if ((q->flags & SOCKETS_NO_PACKET) || !(q->flags & SOCKETS_LISTENING))
                                continue;
                        r = sockets_dump_packet(nl, buf, buflen, l);
                        if (r == -ENOENT || r == -EOPNOTSUPP || r == -EINVAL || r == -EPROTONOSUPPORT) {
                                l->unsupported |= 1u << p; /* no packet_diag in this kernel */
                                r = 0;
                        }
                        if (r < 0)
                                goto out;
                        continue;
                }
                switch (p) {
                case SOCKETS_TCP:
                case SOCKETS_SCTP:
                        listen = ST_BIT(ST_LISTEN);
                        break;
                case SOCKETS_UDP:
                case SOCKETS_RAW:
                        /* Unconnected UDP and raw sockets sit in TCP_CLOSE ("UNCONN" in ss). */
                        listen = ST_BIT(ST_CLOSE);
                        break;
                }
                if (q->flags & SOCKETS_LISTENING)
                        states |= listen;
                if (q->flags & SOCKETS_CONNECTED)
                        states |= 0xfffu & ~listen & ~ST_BIT(ST_TIME_WAIT) & ~1u;
                if (!states)
                        continue;
                for (unsigned f = 0; f < 2; f++) {
                        r = dump_one(nl, buf, buflen, l, (enum sockets_proto)p, families[f], states, listen);
                        if (r == -ENOENT || r == -EOPNOTSUPP || r == -EINVAL || r == -EPROTONOSUPPORT) {
                                /* No diag module for this protocol in this kernel. */
                                if (p == SOCKETS_RAW) {
                                        l->raw_from_proc = true;
                                        r = raw_from_proc(l, families[f], q->flags);
                                        if (r < 0)
                                                goto out;
                                } else
                                        l->unsupported |= 1u << p;
                                r = 0;
                                continue;
                        }
                        if (r < 0)
                                goto out;
                }
        }
        r = attach_queued(l);
        if (r < 0)
                goto out;
        fill_exposure(l);
out:
        mnl_socket_close(nl);
        free(buf);
        return r;
}

int sockets_dump(const struct sockets_query *q, struct sockets_list **ret)
{
        struct sockets_list *l = calloc(1, sizeof(*l));
        int saved, r;

        if (!l)
                return -ENOMEM;
        r = ps_netns_enter(q->netns_fd, &saved);
        if (r < 0)
                goto fail;
        uint16_t lo, hi;
        sockets_ephemeral_range(&lo, &hi); /* the audited namespace's range */
        r = collect(q, l);
        /* Going back cannot fail for a namespace we were in; if it does, the thread is in the
         * wrong namespace and the caller must know. */
        int back = ps_netns_leave(saved);
        if (r >= 0)
                r = back;
        if (r < 0)
                goto fail;
        *ret = l;
        return 0;
fail:
        sockets_list_free(l);
        return r;
}

static uint16_t eph_lo = 32768, eph_hi = 60999;
static pthread_once_t eph_once = PTHREAD_ONCE_INIT;

static void read_ephemeral_range(void)
{
        FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
        int a, b;
        if (!f)
                return;
        if (fscanf(f, "%d %d", &a, &b) == 2 && a >= 1 && b <= 65535 && a <= b) {
                eph_lo = (uint16_t)a;
                eph_hi = (uint16_t)b;
        }
        fclose(f);
}

void sockets_ephemeral_range(uint16_t *ret_lo, uint16_t *ret_hi)
{
        /* Read once, whichever thread asks first; sockets_dump() asks inside the namespace it
         * audits, since /proc/sys/net is the reader's namespace's. */
        pthread_once(&eph_once, read_ephemeral_range);
        *ret_lo = eph_lo;
        *ret_hi = eph_hi;
}

void sockets_list_free(struct sockets_list *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->nprocs; i++)
                sockets_process_clear(&l->procs[i]);
        free(l->procs);
        free(l->owner_ix);
        free(l->merged_inodes);
        free(l->v);
        free(l);
}

const struct sockets_process *sockets_entry_owner(const struct sockets_list *l, const struct sockets_entry *e, size_t i)
{
        if (i >= e->nowners)
                return NULL;
        return &l->procs[e->owners[i]];
}

static int entry_cmp(const void *a, const void *b)
{
        const struct sockets_entry *x = a, *y = b;
        int c;

        if (x->proto != y->proto)
                return x->proto < y->proto ? -1 : 1;
        if (x->port != y->port)
                return x->port < y->port ? -1 : 1;
        if (x->listening != y->listening)
                return x->listening ? -1 : 1;
        if (x->family != y->family)
                return x->family < y->family ? -1 : 1;
        c = memcmp(x->local, y->local, 16);
        if (c)
                return c;
        c = memcmp(x->remote, y->remote, 16);
        if (c)
                return c;
        if (x->remote_port != y->remote_port)
                return x->remote_port < y->remote_port ? -1 : 1;
        return x->inode < y->inode ? -1 : x->inode > y->inode;
}

void sockets_list_keep(struct sockets_list *l, bool (*keep)(const struct sockets_entry *e, void *data), void *data)
{
        size_t n = 0;
        for (size_t i = 0; i < l->n; i++)
                if (keep(&l->v[i], data))
                        l->v[n++] = l->v[i];
        l->n = n;
}

void sockets_list_sort(struct sockets_list *l)
{
        if (l->n > 1)
                qsort(l->v, l->n, sizeof(l->v[0]), entry_cmp);
}
