#!/usr/bin/env bash
# portscope scan benchmark: portscope vs nmap, masscan and zmap on the namespace test
# bed. Usage: bench/scan.sh [BUILD_DIR]   (BENCH_RUNS=5, BENCH_LOSS=5, BENCH_SLOW=1)
#
# Every tool scans the same bed (tests/scan/testbed.py), one after the other, with the same
# target and port lists. The bed's settings apply to all of them alike: in the target namespace
# net.core.somaxconn=4096 and net.ipv4.tcp_max_syn_backlog=65536 (listeners use backlog 4096),
# ICMP rate limits off (icmp_ratelimit=0, icmp_msgs_per_sec and icmp_msgs_burst 1000000);
# offloads off on the veth pair; static neighbours. Loss rows drop BENCH_LOSS% of the packets at
# random on each side (iptables statistic). BENCH_SLOW=0 skips the rows that take minutes
# (masscan --retries 1, zmap once per port over the top 100). Each command is bounded (600 s).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${PORTSCOPE_BUILD:-$here/../build}}
export PORTSCOPE_SCAN_BIN=${PORTSCOPE_SCAN_BIN:-$build/portscope-scan}
[ -x "$PORTSCOPE_SCAN_BIN" ] || { echo "bench/scan.sh: build first ($PORTSCOPE_SCAN_BIN missing)" >&2; exit 2; }
exec python3 "$here/scan/bench_scan.py"
