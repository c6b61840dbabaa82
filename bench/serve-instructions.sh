#!/usr/bin/env bash
# The instructions `portscope serve` executes per request, counted by valgrind's callgrind: a
# figure the machine's other load does not move, for changes too small for bench/serve-ab.sh's
# rates to show (a few per cent). One worker thread, one keep-alive client on 127.0.0.1 asking
# BENCH_PATH N1 and then N2 times; the difference of the two runs divided by N2 - N1 is the cost of one
# request, start-up excluded. memset is reported apart: valgrind counts rep stosb zeroing
# byte by byte, far above what it costs on the CPU.
#
#   bash bench/serve-instructions.sh [BUILD_DIR ...]   (BENCH_PATH=/api/v1/ports/625 N1=1000 N2=6000)
#
# With several build directories (e.g. an older commit built elsewhere) each gets a line. User
# space only; the kernel's share (about two thirds of the CPU) is not counted. Needs valgrind.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
path=${BENCH_PATH:-/api/v1/ports/625}
builds=("$@")
[ ${#builds[@]} -eq 0 ] && builds=("$top/build")
n1=${N1:-1000} n2=${N2:-6000}
csv=${PORTSCOPE_BENCH_CSV:-$top/../shared/data/iana/service-names-port-numbers.2026-02.csv}
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
  { echo "serve-instructions: valgrind is not installed"; exit 2; }
[ -f "$csv" ] || { echo "serve-instructions: no registry CSV at $csv"; exit 2; }
work=$(mktemp -d /tmp/portscope-bench-instr-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# run BIN N OUT: serve under callgrind, N requests for path, the profile in OUT
run() {
  local d="$work/run"
  rm -rf "$d"; mkdir -p "$d"
  HOME=$d XDG_CACHE_HOME=$d/c XDG_STATE_HOME=$d/s valgrind --tool=callgrind --callgrind-out-file="$3" \
    "$1" serve --threads 1 --listen 127.0.0.1:0 --registry "$csv" --db "$d/fb.db" >"$d/out" 2>"$d/err" &
  pid=$!
  for _ in $(seq 600); do grep -q http "$d/out" 2>/dev/null && break; sleep 0.1; done
  local url; url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$d/out") || { echo "serve-instructions: serve did not start"; cat "$d/err"; exit 1; }
  python3 - "${url##*:}" "$path" "$2" <<'PY' || exit 1
import socket, sys
port, path, n = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
req = b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n\r\n"
buf = b""
for _ in range(n):
    s.sendall(req)
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = int(next(l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")))
    while len(rest) < length:
        rest += s.recv(65536)
    buf = rest[length:]
s.close()
PY
  kill -TERM "$pid"; wait "$pid" 2>/dev/null; pid=
}

# totals FILE -> "ALL MEMSET" instruction counts
totals() {
  callgrind_annotate --threshold=100 --tree=none "$1" 2>/dev/null | awk '
    /PROGRAM TOTALS/ { gsub(",", "", $1); all = $1 }
    /memset/ && $0 !~ /=>/ { gsub(",", "", $1); ms += $1 }
    END { printf "%d %d\n", all, ms }'
}

echo "serve-instructions: $path, $((n2 - n1)) requests on one keep-alive connection, user space (callgrind)"
for b in "${builds[@]}"; do
  bin=$(cd "$b" && pwd)/portscope-serve
  [ -x "$bin" ] || { echo "serve-instructions: $bin is not built"; exit 2; }
  run "$bin" "$n1" "$work/a.out"
  run "$bin" "$n2" "$work/b.out"
  read -r a_all a_ms < <(totals "$work/a.out")
  read -r b_all b_ms < <(totals "$work/b.out")
  per=$(( (b_all - a_all) / (n2 - n1) )) ms=$(( (b_ms - a_ms) / (n2 - n1) ))
  printf '%-40s %7d instructions per request: %6d without memset, memset %6d\n' "$b" "$per" "$((per - ms))" "$ms"
done
