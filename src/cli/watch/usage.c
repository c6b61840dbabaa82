/* portscope watch: its --help. */
#include <stdio.h>

#include "portscope/i18n.h"
#include "watch-cli.h"

static const char usage[] =
        N_("Usage: portscope watch [OPTIONS]\n"
        "\n"
        "Reports, as they happen, probes of ports where nothing listens (above all\n"
        "reserved and unassigned system ports), port scans, and listeners that appear or\n"
        "vanish, each judged by the verdict engine. Never blocks anything. Stops on\n"
        "Ctrl-C (SIGINT) or SIGTERM.\n"
        "\n"
        "Options:\n"
        "  --jsonl              one JSON object per event and line (default: a readable\n"
        "                       line)\n"
        "  --netns NAME         watch another network namespace (/run/netns/NAME or a\n"
        "                       path)\n"
        "  --all-netns          watch every network namespace (BPF method only)\n"
        "  --method M           auto (default), bpf (skb:kfree_skb NO_SOCKET), packet\n"
        "                       (AF_PACKET)\n"
        "  --filtered           also report packets to this host dropped by the firewall\n"
        "                       (bpf)\n"
        "  --dark-only          probe events only for reserved and unassigned system\n"
        "                       ports\n"
        "  --ignore ITEM        ignore a source (ADDRESS[/PREFIX]) or a port\n"
        "                       (PORT[-PORT][/PROTO])\n"
        "  --include-loopback   do not ignore loopback sources\n"
        "  --include-chatty     do not ignore UDP to the DHCP, NetBIOS, DHCPv6, SSDP,\n"
        "                       mDNS and LLMNR ports, nor late UDP replies (from 53,\n"
        "                       123 ... to an ephemeral port)\n"
        "  --rule NAME=VALUE    dark-repeat=600 vertical-points=21 vertical-window=60\n"
        "                       system-weight=3 slow-ports=25 slow-idle=900\n"
        "                       sweep-targets=10 sweep-window=60 summary=3600\n"
        "                       max-sources=4096 probe-rate=100 (seconds, counts)\n"
        "  --reconcile SECONDS  listener dump interval (default 30; packet method: 2)\n"
        "  --syslog             also send each event to syslog (daemon facility)\n"
        "  --store[=FILE]       record events in the SQLite store (default: the\n"
        "                       portscope store)\n"
        "  --metrics FILE       write Prometheus counters to FILE (textfile collector)\n"
        "                       every 15 s\n"
        "  --duration SECONDS   stop after SECONDS\n"
        "  --registry FILE      the IANA CSV (also $PORTSCOPE_REGISTRY)\n"
        "  --knowledge FILE     the knowledge file (default: built in)\n"
        "  --help\n"
        "\n"
        "Needs CAP_BPF and CAP_PERFMON (bpf), or CAP_NET_RAW (packet); run as root.\n");

void watch_cli_help(void)
{
        fputs(_(usage), stdout);
}
