#!/usr/bin/env bash
# Benchmark of `portscope serve` against nginx serving the same bytes as static files.
#
#   bash bench/serve.sh [BUILD_DIR]   (ROUNDS=5 DURATION=5 CONNECTIONS=50 WRK_THREADS=2 MODE=alternate
#   BENCH_PATHS="/ports/625")
#
# portscope runs with its default settings (one thread per CPU, the access log on standard
# error, which goes to a file here), nginx with two workers and no access log. For
# /api/v1/ports/625, /ports/625 and /he/ports/625 (the same page in Hebrew: every language
# should be as fast) the bytes portscope serves are saved under nginx's root, then
# wrk runs against each server in turn, ROUNDS times (both servers in every round, so that the
# load other processes put on the machine weighs on both alike). Each line shows both request
# rates side by side, portscope's share of nginx's, and the p99 latencies; the last line per path
# gives the median round. MODE=together runs wrk against both servers at the same time instead
# (each with the same wrk settings): on a machine loaded by other work, both then see the same
# load at every instant, and the ratio says which server does more with the CPU they share.
# Each round also shows the CPU time each server spent per request (user + system, from /proc),
# which other load disturbs much less than the rates. Only 127.0.0.1 is used. Needs wrk and nginx
# (scripts/deps.d/serve.bench.list). Exit 1 when the median is below target (a report, not a test).
# FLOOR=1 (alternate mode) also measures bench/serve/h2o-floor.c in each round: libh2o (2.2.5,
# serve's transport) alone sending the same bytes from memory with the same headers, one event
# loop per thread on SO_REUSEPORT sockets, as portscope sets it up, with nothing of portscope's own
# per request; its column says how much of the gap to nginx is the library's. (The libmicrohttpd
# floor that showed libmicrohttpd 0.9.75 could not reach nginx is in git history: docs/serve.md.)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
serve=$build/portscope-serve
csv=${PORTSCOPE_BENCH_CSV:-$top/../shared/data/iana/service-names-port-numbers.2026-02.csv}
duration=${DURATION:-5}
conns=${CONNECTIONS:-50}
threads=${WRK_THREADS:-2}
rounds=${ROUNDS:-5}
mode=${MODE:-alternate}
nginx=$(command -v nginx || echo /usr/sbin/nginx)

[ -x "$serve" ] || { echo "serve bench: $serve is not built"; exit 2; }
[ -f "$csv" ] || { echo "serve bench: no registry CSV at $csv"; exit 2; }
command -v wrk >/dev/null || { echo "serve bench: wrk is not installed"; exit 2; }
[ -x "$nginx" ] || { echo "serve bench: nginx is not installed"; exit 2; }

work=$(mktemp -d /tmp/portscope-bench-serve-XXXXXX)
spid= npid= fpid=
cleanup() {
  [ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
  [ -n "$npid" ] && kill -QUIT "$npid" 2>/dev/null
  [ -n "$fpid" ] && kill -TERM "$fpid" 2>/dev/null
  sleep 0.3
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# portscope, default settings (its access log goes to standard error)
HOME=$work XDG_CACHE_HOME=$work/cache XDG_STATE_HOME=$work/state \
  "$serve" serve --listen 127.0.0.1:0 --registry "$csv" --db "$work/fb.db" \
  >"$work/serve.out" 2>"$work/serve.err" &
spid=$!
for _ in $(seq 100); do grep -q http "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
purl=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.out") || { echo "serve bench: portscope did not start"; cat "$work/serve.err"; exit 1; }

# nginx with the same bytes
root=$work/root
mkdir -p "$root/api/v1/ports" "$root/ports" "$root/he/ports"
chmod 755 "$work"  # nginx workers run as an unprivileged user
# The same bytes: each body, and the headers portscope sends with it (nginx adds them with
# add_header; it makes Date, Content-Length, ETag and Last-Modified itself, and adds Server and
# Accept-Ranges of its own).
locations=
for p in /api/v1/ports/625 /ports/625 /he/ports/625; do
  curl -sf -D "$work/headers" "$purl$p" -o "$root$p" || exit 1
  cp "$work/headers" "$work/headers.${p//\//_}"
  loc=$(tr -d '\r' <"$work/headers" | awk -v path="$p" '
    BEGIN { printf "    location = %s {", path }
    /^[A-Za-z-]+: / {
      name = substr($0, 1, index($0, ":") - 1); value = substr($0, index($0, ":") + 2)
      lname = tolower(name)
      if (lname == "content-type") { printf " default_type \"%s\";", value; next }
      if (lname ~ /^(date|content-length|etag|last-modified|connection|server)$/) next
      if (value ~ /["$\\]/) { print "unquotable header " name > "/dev/stderr"; exit 1 }
      printf " add_header %s \"%s\" always;", name, value
    }
    END { print " }" }') || exit 1
  locations+="$loc"$'\n'
done
chmod -R a+rX "$root"
nport=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; use epoll; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  sendfile on; tcp_nopush on; keepalive_requests 100000; etag on;
  open_file_cache max=100; open_file_cache_valid 60s;
  server {
    listen 127.0.0.1:$nport;
    root $root;
$locations  }
}
CONF
"$nginx" -c "$work/nginx.conf" -p "$work/nginx" 2>"$work/nginx.err" &
npid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$nport/ports/625" -o /dev/null && break; sleep 0.1; done
nurl=http://127.0.0.1:$nport
cmp <(curl -s "$nurl/ports/625") <(curl -s "$purl/ports/625") || { echo "serve bench: nginx bytes differ"; exit 1; }
furl=
if [ "${FLOOR:-0}" = 1 ] || [ "${FLOOR:-0}" = h2o ]; then
  fport=$(free_port) fargs=()
  for p in /api/v1/ports/625 /ports/625 /he/ports/625; do fargs+=("$p" "$root$p" "$work/headers.${p//\//_}"); done
  cc -O2 -Wall -Wextra -pthread -o "$work/floor" "$top/bench/serve/h2o-floor.c" $(pkg-config --cflags --libs libh2o-evloop) || exit 1
  fargs=(mem "$fport" "$(nproc)" "${fargs[@]}")
  "$work/floor" "${fargs[@]}" >"$work/floor.out" 2>"$work/floor.err" &
  fpid=$!
  for _ in $(seq 50); do grep -q ready "$work/floor.out" 2>/dev/null && break; sleep 0.1; done
  furl=http://127.0.0.1:$fport
  cmp <(curl -s "$furl/ports/625") <(curl -s "$purl/ports/625") || { echo "serve bench: the floor's bytes differ"; cat "$work/floor.err"; exit 1; }
fi
hsize() { curl -s -D - -o /dev/null "$1" | wc -c; }
echo "serve bench: response headers of /ports/625: portscope $(hsize "$purl/ports/625") bytes, nginx $(hsize "$nurl/ports/625") bytes"

echo "serve bench: wrk -t$threads -c$conns -d${duration}s --latency, $rounds rounds ($mode), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "serve bench: portscope $purl (default settings, log on stderr), nginx $nurl (2 workers, access_log off)"
cpu_ticks() { # pids... -> user + system clock ticks
  local sum=0 p
  for p in "$@"; do [ -r "/proc/$p/stat" ] && sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$sum"
}
nginx_pids() { echo "$npid" $(ps -o pid= --ppid "$npid"); }
hz=$(getconf CLK_TCK)
wrk_run() { # url out
  wrk -t"$threads" -c"$conns" -d"${duration}s" --latency "$1" >"$2" 2>&1
}
summary() { # wrk-output cpu-ticks -> "rps p99 us-cpu-per-request errors"
  local rps p99 n errs
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$1")
  p99=$(awk '$1=="99%" {print $2}' "$1")
  n=$(awk '/requests in/ {print $1}' "$1")
  errs=$(grep -E 'Non-2xx|Socket errors' "$1" | tr -s ' \n' ' ')
  echo "${rps:-0} ${p99:--} $(awk -v t="$2" -v n="${n:-0}" -v hz="$hz" 'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }') $errs"
}
run() { # url pids... -> "rps p99 cpu errors"
  local url=$1 t0 t1
  shift
  t0=$(cpu_ticks "$@")
  wrk_run "$url" "$work/wrk.out"
  t1=$(cpu_ticks "$@")
  summary "$work/wrk.out" $((t1 - t0))
}
together() { # path -> two lines: portscope's and nginx's "rps p99 cpu errors"
  local p0 n0 p1 n1
  p0=$(cpu_ticks "$spid"); n0=$(cpu_ticks $(nginx_pids))
  wrk_run "$purl$1" "$work/wrk.p" & local w=$!
  wrk_run "$nurl$1" "$work/wrk.n"
  wait "$w"
  p1=$(cpu_ticks "$spid"); n1=$(cpu_ticks $(nginx_pids))
  summary "$work/wrk.p" $((p1 - p0))
  summary "$work/wrk.n" $((n1 - n0))
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v); print v+0 } else if (v ~ /s$/) { sub(/s/,"",v); print v*1000 } else print v }'; }
status=0
for path in ${BENCH_PATHS:-/api/v1/ports/625 /ports/625 /he/ports/625}; do
  # Warm both (portscope renders the page on its first request).
  wrk -t1 -c4 -d1s "$purl$path" >/dev/null 2>&1
  wrk -t1 -c4 -d1s "$nurl$path" >/dev/null 2>&1
  : >"$work/rounds"
  for round in $(seq "$rounds"); do
    if [ "$mode" = together ]; then
      { read -r p_rps p_p99 p_cpu p_err; read -r n_rps n_p99 n_cpu n_err; } <<<"$(together "$path")"
    elif [ $((round % 2)) = 1 ]; then # alternate which server goes first
      read -r p_rps p_p99 p_cpu p_err <<<"$(run "$purl$path" "$spid")"
      read -r n_rps n_p99 n_cpu n_err <<<"$(run "$nurl$path" $(nginx_pids))"
    else
      read -r n_rps n_p99 n_cpu n_err <<<"$(run "$nurl$path" $(nginx_pids))"
      read -r p_rps p_p99 p_cpu p_err <<<"$(run "$purl$path" "$spid")"
    fi
    floor=
    if [ -n "$furl" ] && [ "$mode" != together ]; then
      read -r f_rps f_p99 f_cpu f_err <<<"$(run "$furl$path" "$fpid")"
      floor=$(printf ' | floor %6s req/s p99 %-8s %5s us CPU/req (%s of nginx)' "$f_rps" "$f_p99" "$f_cpu" \
        "$(awk -v a="$f_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')")
    fi
    ratio=$(awk -v a="$p_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    printf '%-18s round %d: portscope %6s req/s p99 %-8s %5s us CPU/req | nginx %6s req/s p99 %-8s %5s us CPU/req | ratio %s %s%s%s\n' \
      "$path" "$round" "$p_rps" "$p_p99" "$p_cpu" "$n_rps" "$n_p99" "$n_cpu" "$ratio" "$p_err" "$n_err" "$floor"
    echo "$ratio $p_rps $n_rps $(to_ms "$p_p99") $(to_ms "$n_p99") $p_cpu $n_cpu" >>"$work/rounds"
  done
  # The median round by ratio.
  read -r ratio p_rps n_rps p99 n99 p_cpu n_cpu <<<"$(sort -n "$work/rounds" | awk -v n="$rounds" 'NR == int((n + 1) / 2)')"
  verdict=ok
  awk -v r="$ratio" -v l="$p99" 'BEGIN { exit !(r >= 1.0 && l < 5) }' || { verdict="BELOW TARGET"; status=1; }
  printf '%-18s median : portscope %6s req/s p99 %s ms %s us CPU/req | nginx %6s req/s p99 %s ms %s us CPU/req | ratio %s: %s\n' \
    "$path" "$p_rps" "$p99" "$p_cpu" "$n_rps" "$n99" "$n_cpu" "$ratio" "$verdict"
done
echo "serve bench: target: portscope >= nginx's requests/s (ratio >= 1.00) with p99 < 5 ms"
exit $status
