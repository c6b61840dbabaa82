#!/usr/bin/env bash
# A/B of two portscope serve set-ups on one path: two servers side by side, wrk against each in
# turn (alternating which goes first), ROUNDS times; prints each round's rate and the server's CPU
# time per request and p99 latency, then the medians and B's share of A's rate.
#
#   bash bench/serve-ab.sh "ARGS_A" "ARGS_B" [PATH]
#       (BIN_A=build/portscope-serve BIN_B=BIN_A ROUNDS=6 DURATION=3 CONNECTIONS=50 WRK_THREADS=2)
#
# For example the cost of the access log: bash bench/serve-ab.sh "" "--no-access-log"; or two
# builds: BIN_A=/tmp/old/portscope-serve bash bench/serve-ab.sh "" "". Only 127.0.0.1 is used.
# Needs wrk. Effects smaller than the spread of the rounds (often ±10 % on a shared machine) do
# not show: read the CPU per request, which other load disturbs less. The same build as A and as B
# has given B/A 1.01 and 1.07: run both orders (swap A and B), more than once, before believing a
# small effect.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
csv=${PORTSCOPE_BENCH_CSV:-$top/../shared/data/iana/service-names-port-numbers.2026-02.csv}
bin_a=${BIN_A:-$top/build/portscope-serve}
bin_b=${BIN_B:-$bin_a}
args_a=${1-} args_b=${2-} path=${3:-/ports/625}
rounds=${ROUNDS:-6} duration=${DURATION:-3} conns=${CONNECTIONS:-50} threads=${WRK_THREADS:-2}
[ -x "$bin_a" ] && [ -x "$bin_b" ] || { echo "serve-ab: $bin_a or $bin_b is not built"; exit 2; }
[ -f "$csv" ] || { echo "serve-ab: no registry CSV at $csv"; exit 2; }
command -v wrk >/dev/null || { echo "serve-ab: wrk is not installed"; exit 2; }

work=$(mktemp -d /tmp/portscope-bench-ab-XXXXXX)
pa= pb=
cleanup() {
  for p in $pa $pb; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

start() { # name bin args -> pid; the URL lands in $work/name.out
  # shellcheck disable=SC2086 # args are words
  HOME=$work XDG_CACHE_HOME=$work/cache XDG_STATE_HOME=$work/state \
    "$2" serve --listen 127.0.0.1:0 --registry "$csv" --db "$work/$1.db" $3 >"$work/$1.out" 2>"$work/$1.err" &
  echo $!
}
pa=$(start a "$bin_a" "$args_a")
pb=$(start b "$bin_b" "$args_b")
url() {
  for _ in $(seq 100); do grep -q http "$work/$1.out" 2>/dev/null && break; sleep 0.1; done
  grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/$1.out" || { echo "serve-ab: server $1 did not start" >&2; cat "$work/$1.err" >&2; exit 1; }
}
ua=$(url a) || exit 1
ub=$(url b) || exit 1
for u in "$ua" "$ub"; do wrk -t1 -c4 -d1s "$u$path" >/dev/null 2>&1; done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
one() { # url pid -> "rate cpu-us-per-request p99-ms"
  local t0 t1 out
  t0=$(ticks "$2")
  out=$(wrk -t"$threads" -c"$conns" -d"${duration}s" --latency "$1")
  t1=$(ticks "$2")
  awk -v t=$((t1 - t0)) -v hz="$hz" '/Requests\/sec/ { r = $2 } /requests in/ { n = $1 }
    $1 == "99%" { v = $2; m = 1; if (v ~ /us$/) m = 0.001; else if (v ~ /ms$/) m = 1; else if (v ~ /s$/) m = 1000
                  sub(/[um]?s$/, "", v); p = v * m }
    END { printf "%.0f %.2f %.2f\n", r, (n > 0 ? t * 1e6 / hz / n : 0), p }' <<<"$out"
}
echo "serve-ab: $path, wrk -t$threads -c$conns -d${duration}s, $rounds rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "serve-ab: A = $bin_a $args_a"
echo "serve-ab: B = $bin_b $args_b"
: >"$work/rounds"
for r in $(seq "$rounds"); do
  if [ $((r % 2)) = 1 ]; then
    read -r ra ca pa99 <<<"$(one "$ua$path" "$pa")"; read -r rb cb pb99 <<<"$(one "$ub$path" "$pb")"
  else
    read -r rb cb pb99 <<<"$(one "$ub$path" "$pb")"; read -r ra ca pa99 <<<"$(one "$ua$path" "$pa")"
  fi
  printf 'round %d: A %7s req/s %6s us CPU/req p99 %5s ms | B %7s req/s %6s us CPU/req p99 %5s ms\n' \
    "$r" "$ra" "$ca" "$pa99" "$rb" "$cb" "$pb99"
  echo "$ra $ca $rb $cb $pa99 $pb99" >>"$work/rounds"
done
python3 - "$work/rounds" <<'PY'
import statistics as st, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
ra, ca, rb, cb, pa, pb = (st.median(r[i] for r in rows) for i in range(6))
pair = st.median(r[2] / r[0] for r in rows if r[0] > 0)
print(f"median: A {ra:.0f} req/s {ca:.2f} us CPU/req p99 {pa:.2f} ms | B {rb:.0f} req/s {cb:.2f} us CPU/req "
      f"p99 {pb:.2f} ms | B/A {rb / ra:.3f} (per round {pair:.3f})")
PY
