#!/usr/bin/env bash
# portscope info vs getent services, same port, one run, warm cache. Prints means and the ratio.
# Goal (issue: the foundation): portscope info <= 2 x getent services.
# Usage: bench/info.sh [BUILD_DIR]   (needs hyperfine; the IANA CSV from ../shared or
# $PORTSCOPE_REGISTRY)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bin=$build/portscope
export PORTSCOPE_REGISTRY=${PORTSCOPE_REGISTRY:-$top/../shared/data/iana/service-names-port-numbers.2026-02.csv}
[ -f "$PORTSCOPE_REGISTRY" ] || { echo "bench/info: no registry at $PORTSCOPE_REGISTRY" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
"$bin" info 625 >/dev/null # warm the index cache
for port in 625 22; do
  hyperfine -N -i --warmup 100 --runs 500 --export-json "$tmp/$port.json" \
    "getent services $port" "$bin info $port" "$bin info --json $port" >/dev/null 2>&1
  python3 - "$tmp/$port.json" "$port" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
print(f"port {sys.argv[2]}:")
for x in r:
    print(f"  {x['command'].split('/')[-1]:<34} median {x['median']*1e3:6.3f} ms  mean {x['mean']*1e3:6.3f} ms  "
          f"ratio {x['median']/base:4.2f}x getent")
PY
done
