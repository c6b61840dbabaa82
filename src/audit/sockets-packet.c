/* Packet sockets (AF_PACKET): what sees every frame of an interface, below IP. A DHCP client or
 * tcpdump holds one; so does a backdoor that waits for a magic packet without a port (BPFDoor).
 * Read from NETLINK_SOCK_DIAG (packet_diag, as `ss -0` does). */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <string.h>
#include <sys/socket.h>

#include "audit-internal.h"

struct packet_ctx {
        int err; /* first, as sockets_nl_dump() wants */
        struct sockets_list *list;
};

static int packet_attr_cb(const struct nlattr *attr, void *data)
{
        const struct nlattr **tb = data;

        if (mnl_attr_type_valid(attr, PACKET_DIAG_MAX) > 0)
                tb[mnl_attr_get_type(attr)] = attr;
        return MNL_CB_OK;
}

static int packet_msg_cb(const struct nlmsghdr *nlh, void *data)
{
        struct packet_ctx *c = data;
        const struct packet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *tb[PACKET_DIAG_MAX + 1] = { 0 };
        struct sockets_entry *e;

        if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || mnl_nlmsg_get_payload_len(nlh) < sizeof(*m) ||
            m->pdiag_ino == 0)
                return MNL_CB_OK;
        mnl_attr_parse(nlh, sizeof(*m), packet_attr_cb, tb);
        e = sockets_list_push(c->list);
        if (!e) {
                c->err = -ENOMEM;
                return MNL_CB_ERROR;
        }
        e->proto = SOCKETS_PACKET;
        e->family = AF_PACKET;
        e->listening = true; /* it receives whatever frames its protocol and interface say */
        e->port = m->pdiag_num; /* the kernel gives it in host order */
        e->inode = m->pdiag_ino;
        e->sock_type = m->pdiag_type;
        e->uid = (uint32_t)-1;
        if (tb[PACKET_DIAG_INFO] && mnl_attr_get_payload_len(tb[PACKET_DIAG_INFO]) >= sizeof(struct packet_diag_info)) {
                const struct packet_diag_info *pi = mnl_attr_get_payload(tb[PACKET_DIAG_INFO]);
                e->ifindex = pi->pdi_index;
                /* Not hooked to its protocol: protocol 0 (it only sends), or its interface is down
                 * or was removed (the kernel then makes its index -1). */
                e->deaf = !(pi->pdi_flags & PDI_RUNNING);
        }
        if (tb[PACKET_DIAG_UID] && mnl_attr_get_payload_len(tb[PACKET_DIAG_UID]) >= sizeof(uint32_t))
                e->uid = mnl_attr_get_u32(tb[PACKET_DIAG_UID]);
        /* Without CAP_NET_ADMIN the kernel sends this attribute empty, filter or not; with it, only
         * a classic filter's instructions (an eBPF one has none to show). */
        if (tb[PACKET_DIAG_FILTER]) {
                if (mnl_attr_get_payload_len(tb[PACKET_DIAG_FILTER]) >= sizeof(struct sock_filter))
                        e->filter = true;
                else if (mnl_attr_get_payload_len(tb[PACKET_DIAG_FILTER]) == 0)
                        e->filter_unknown = true;
        }
        return MNL_CB_OK;
}

int sockets_dump_packet(struct mnl_socket *nl, char *buf, size_t buflen, struct sockets_list *l)
{
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct packet_diag_req *req;
        struct packet_ctx c = { .list = l };

        nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        nlh->nlmsg_seq = 0x5041434bu; /* "PACK" */
        req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
        req->sdiag_family = AF_PACKET;
        req->pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_FILTER;
        return sockets_nl_dump(nl, nlh, buf, buflen, packet_msg_cb, &c);
}

const char *sockets_ethertype_name(uint16_t type)
{
        switch (type) {
        case 0x0003: return "all";    /* ETH_P_ALL */
        case 0x0800: return "ip";
        case 0x0806: return "arp";
        case 0x86dd: return "ipv6";
        case 0x888e: return "eapol";  /* 802.1X */
        case 0x88cc: return "lldp";
        case 0x88f7: return "ptp";    /* IEEE 1588 over Ethernet */
        case 0x8863: return "pppoe-discovery";
        case 0x8864: return "pppoe-session";
        case 0x8100: return "802.1q";
        case 0x0004: return "802.2";  /* ETH_P_802_2: LLC (STP, CDP, IS-IS) */
        case 0x88e5: return "macsec";
        case 0x890d: return "802.11-encap"; /* TDLS set-up frames (wpa_supplicant) */
        case 0x8035: return "rarp";
        case 0x88a8: return "802.1ad";
        default: return NULL;
        }
}
