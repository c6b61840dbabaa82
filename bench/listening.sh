#!/usr/bin/env bash
# Benchmark of `portscope listening` against ss -tulpn, netstat -tulpn and lsof -nP -i on one load:
# a network namespace of its own with ~20,000 listening sockets across 200 processes (15,000 TCP,
# 5,000 UDP), 5,000 established connections (10,000 sockets, both ends inside) and 3 processes
# holding 10,000 open files each. Every tool runs inside the namespace through `ip netns exec`,
# so all pay the same start-up. Prints each tool's time, its ratio to ss, and whether portscope
# found exactly the sockets (and owners) ss found. portscope is timed with the BPF task-file
# iterator (its default where the kernel and privileges allow) printing the table, --json and
# --jsonl; with the /proc walk (--no-bpf), on two threads and on one; and unprivileged (user
# nobody: no owners of other users, the table only).
#
# Usage: sudo bench/listening.sh [BUILD_DIR]   (env: RUNS=10 WARMUP=2)
# Needs root (network namespace), hyperfine; ss/netstat/lsof are timed when installed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
runs=${RUNS:-10}
warmup=${WARMUP:-2}
[ "$(id -u)" -eq 0 ] || { echo "skipped: not root (the benchmark builds a network namespace)"; exit 77; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine is not installed (scripts/deps.sh bench)" >&2; exit 2; }
audit=$build/portscope-audit
main=$build/portscope
[ -x "$audit" ] || { echo "bench: $audit not built (run make)" >&2; exit 2; }
csv=$top/../shared/data/iana/service-names-port-numbers.2026-02.csv
reg=()
[ -f "$csv" ] && reg=(--registry "$csv")

ns=ps-bench-listen-$$
work=$(mktemp -d /tmp/ps-bench-listen.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cc -O2 -Wall -Wextra -o "$work/ps-bench-load" "$top/bench/listening/ps-bench-load.c"
ip netns add "$ns"
ip -n "$ns" link set lo up

n=0
spawn() { # spawn ARGS... : starts one load process inside the namespace
  ip netns exec "$ns" "$work/ps-bench-load" "$@" >"$work/ready.$n" 2>"$work/err.$n" &
  pids+=($!)
  n=$((n + 1))
}
echo "bench: building the load in namespace $ns"
for i in $(seq 0 149); do spawn tcp $((10000 + i * 100)) 100; done   # 15,000 TCP listeners
for i in $(seq 0 49); do spawn udp $((10000 + i * 100)) 100; done    # 5,000 UDP sockets
for i in $(seq 0 9); do spawn conn $((30000 + i)) 500; done          # 5,000 established pairs
for i in 0 1 2; do spawn files 10000; done                           # 30,000 open files
for i in $(seq 0 $((n - 1))); do
  for _ in $(seq 1 600); do
    grep -q ready "$work/ready.$i" 2>/dev/null && break
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then echo "bench: load process $i failed: $(cat "$work/err.$i")" >&2; exit 2; fi
    sleep 0.05
  done
done
fds=$(for p in "${pids[@]}"; do ls /proc/"$p"/fd 2>/dev/null | wc -l; done | awk '{s+=$1} END {print s}')
all_fds=$(ls -U /proc/[0-9]*/fd 2>/dev/null | grep -c '^[0-9]' || true)
listeners=$(ip netns exec "$ns" ss -Htuln | wc -l)
echo "bench: $listeners listening sockets, $(ip netns exec "$ns" ss -Htn state established | wc -l) established, $fds descriptors in the load ($all_fds on the machine)"

export XDG_CACHE_HOME=$work/cache HOME=$work NO_COLOR=1
ps=("$audit" listening "${reg[@]}")
[ -x "$main" ] && ps=("$main" listening "${reg[@]}")
# The unprivileged run (user nobody) keeps its registry cache in a directory of its own.
chmod 755 "$work"
mkdir -p "$work/nobody"
chown 65534:65534 "$work/nobody"
nobody="setpriv --reuid=65534 --regid=65534 --clear-groups env XDG_CACHE_HOME=$work/nobody HOME=$work/nobody"

# Correctness first: the same (protocol, port, pid) set as ss -tulpn.
ip netns exec "$ns" ss -Htulpn >"$work/ss.txt"
ip netns exec "$ns" "${ps[@]}" --json >"$work/ps.json"
python3 - "$work/ss.txt" "$work/ps.json" <<'PY'
import json, re, sys
ss = set()
for line in open(sys.argv[1]):
    f = line.split()
    port = int(f[4].rsplit(":", 1)[1])
    pids = tuple(sorted(int(x) for x in re.findall(r"pid=(\d+)", line)))
    ss.add((f[0], port, pids))
j = json.load(open(sys.argv[2]))
ps = set()
for l in j["listeners"]:
    if l["protocol"] in ("tcp", "udp") and l["listening"]:
        ps.add((l["protocol"], l["port"], tuple(sorted(o["pid"] for o in l["owners"]))))
same = ss == ps
print(f"bench: portscope found {len(ps)} sockets with owners, ss {len(ss)}: {'identical' if same else 'DIFFERENT'}"
      f" (owners by {j['owners']['method']}; {j.get('elapsed_ms', 0):.1f} ms for netlink + owners)")
if not same:
    print("  only ss:", sorted(ss - ps)[:5], " only portscope:", sorted(ps - ss)[:5])
    sys.exit(1)
PY

cmds=(-n "portscope listening" "ip netns exec $ns ${ps[*]}"
      -n "portscope listening --json" "ip netns exec $ns ${ps[*]} --json"
      -n "portscope listening --jsonl" "ip netns exec $ns ${ps[*]} --jsonl"
      -n "portscope listening (unprivileged)" "ip netns exec $ns $nobody ${ps[*]}"
      -n "portscope listening --no-bpf" "ip netns exec $ns ${ps[*]} --no-bpf"
      -n "portscope listening --no-bpf --threads 1" "ip netns exec $ns ${ps[*]} --no-bpf --threads 1"
      -n "ss -tulpn" "ip netns exec $ns ss -tulpn")
command -v netstat >/dev/null && cmds+=(-n "netstat -tulpn" "ip netns exec $ns netstat -tulpn")
command -v lsof >/dev/null && cmds+=(-n "lsof -nP -i" "ip netns exec $ns lsof -nP -i")
hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$work/times.json" "${cmds[@]}" >"$work/hyperfine.txt" 2>&1 || {
  cat "$work/hyperfine.txt" >&2; exit 2; }
python3 - "$work/times.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
# Medians: a shared machine's other work shows up as outliers in the mean.
med = {x["command"]: x["median"] for x in r}
ss = med["ss -tulpn"]
print(f"{'command':42} {'median ms':>9} {'mean':>8} {'min':>8} {'max':>8} {'x ss':>6}")
for x in r:
    print(f"{x['command']:42} {x['median']*1e3:9.1f} {x['mean']*1e3:8.1f} {x['min']*1e3:8.1f} {x['max']*1e3:8.1f}"
          f" {x['median']/ss:6.3f}")
ps, walk = med["portscope listening"], med["portscope listening --no-bpf"]
js, jl = med["portscope listening --json"], med["portscope listening --jsonl"]
print(f"bench: portscope listening takes {ps/ss:.2f} of ss -tulpn's time (table), {js/ss:.2f} with --json,"
      f" {jl/ss:.2f} with --jsonl (BPF iterator where allowed; goal 0.25 for all three),"
      f" {walk/ss:.2f} with the /proc walk (--no-bpf; goal 0.5),"
      f" {med['portscope listening (unprivileged)']/ss:.2f} unprivileged; medians of {len(r[0]['times'])} runs")
PY
