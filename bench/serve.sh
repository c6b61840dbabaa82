#!/usr/bin/env bash
# Benchmark of `portscope serve` against nginx serving the same bytes as static files.
#
#   bash bench/serve.sh [BUILD_DIR]
#
# For /api/v1/ports/625 and /ports/625: fetches the bytes portscope serves, writes them under an
# nginx root, then runs wrk against each server in turn (same connections, threads and duration),
# and prints requests per second, p50/p99 latency and portscope's share of nginx's rate. Both
# servers get two workers (this machine has two cores) and write an access log to a file.
# Only 127.0.0.1 is used; every run is bounded by its duration. Needs wrk and nginx
# (scripts/deps.d/serve.bench.list).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
serve=$build/portscope-serve
csv=${PORTSCOPE_BENCH_CSV:-$top/../shared/data/iana/service-names-port-numbers.2026-02.csv}
duration=${DURATION:-10}
conns=${CONNECTIONS:-50}
threads=${WRK_THREADS:-2}
nginx=$(command -v nginx || echo /usr/sbin/nginx)

[ -x "$serve" ] || { echo "serve bench: $serve is not built"; exit 2; }
[ -f "$csv" ] || { echo "serve bench: no registry CSV at $csv"; exit 2; }
command -v wrk >/dev/null || { echo "serve bench: wrk is not installed"; exit 2; }
[ -x "$nginx" ] || { echo "serve bench: nginx is not installed"; exit 2; }

work=$(mktemp -d /tmp/portscope-bench-serve-XXXXXX)
spid= npid=
cleanup() {
  [ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
  [ -n "$npid" ] && kill -QUIT "$npid" 2>/dev/null
  sleep 0.3
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# portscope
HOME=$work XDG_CACHE_HOME=$work/cache XDG_STATE_HOME=$work/state \
  "$serve" serve --listen 127.0.0.1:0 --registry "$csv" --db "$work/fb.db" --threads 2 \
  --access-log "$work/portscope-access.log" >"$work/serve.out" 2>"$work/serve.err" &
spid=$!
for _ in $(seq 100); do grep -q http "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
purl=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.out") || { echo "serve bench: portscope did not start"; cat "$work/serve.err"; exit 1; }

# nginx with the same bytes
root=$work/root
mkdir -p "$root/api/v1/ports" "$root/ports"
chmod 755 "$work"  # nginx workers run as an unprivileged user
curl -sf "$purl/api/v1/ports/625" -o "$root/api/v1/ports/625" || exit 1
curl -sf "$purl/ports/625" -o "$root/ports/625" || exit 1
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
  access_log $work/nginx/access.log;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  sendfile on; tcp_nopush on; keepalive_requests 100000; etag on;
  server {
    listen 127.0.0.1:$nport;
    root $root;
    location /api/ { default_type application/json; }
    location /ports/ { default_type "text/html; charset=utf-8"; }
  }
}
CONF
"$nginx" -c "$work/nginx.conf" -p "$work/nginx" 2>"$work/nginx.err" &
npid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$nport/ports/625" -o /dev/null && break; sleep 0.1; done
nurl=http://127.0.0.1:$nport
cmp <(curl -s "$nurl/ports/625") <(curl -s "$purl/ports/625") || { echo "serve bench: nginx bytes differ"; exit 1; }

echo "serve bench: wrk -t$threads -c$conns -d${duration}s, $(nproc) cores; portscope $purl, nginx $nurl"
run() { # url -> "rps p50 p99"
  local out
  wrk -t"$threads" -c"$conns" -d"${duration}s" --latency "$1" >"$work/wrk.out" 2>&1
  out=$(cat "$work/wrk.out")
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr '\n' ' ')
  echo "$rps $p50 $p99 $errs"
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v); print v+0 } else if (v ~ /s$/) { sub(/s/,"",v); print v*1000 } else print v }'; }
status=0
for path in /api/v1/ports/625 /ports/625; do
  # Warm both (the first request renders and caches the page).
  wrk -t1 -c4 -d1s "$purl$path" >/dev/null 2>&1
  wrk -t1 -c4 -d1s "$nurl$path" >/dev/null 2>&1
  read -r n_rps n_p50 n_p99 n_err <<<"$(run "$nurl$path")"
  read -r p_rps p_p50 p_p99 p_err <<<"$(run "$purl$path")"
  ratio=$(awk -v a="$p_rps" -v b="$n_rps" 'BEGIN { printf "%.0f", 100 * a / b }')
  p99ms=$(to_ms "$p_p99")
  verdict=ok
  awk -v r="$ratio" -v l="$p99ms" 'BEGIN { exit !(r >= 80 && l < 5) }' || { verdict="BELOW TARGET"; status=1; }
  printf '%-20s nginx %9s req/s p50 %-8s p99 %-8s | portscope %9s req/s p50 %-8s p99 %-8s | %s%% of nginx, p99 %s ms: %s %s%s\n' \
    "$path" "$n_rps" "$n_p50" "$n_p99" "$p_rps" "$p_p50" "$p_p99" "$ratio" "$p99ms" "$verdict" "$n_err" "$p_err"
done
echo "serve bench: target: portscope >= 80% of nginx's requests/s with p99 < 5 ms"
exit $status
