#!/usr/bin/env bash
# portscope scan benchmark (issue 5): portscope vs nmap, masscan and zmap on the namespace test
# bed. Usage: bench/scan.sh [BUILD_DIR]   (BENCH_RUNS=5, BENCH_LOSS=5)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${PORTSCOPE_BUILD:-$here/../build}}
export PORTSCOPE_SCAN_BIN=${PORTSCOPE_SCAN_BIN:-$build/src/lib/scan/portscope-scan}
[ -x "$PORTSCOPE_SCAN_BIN" ] || { echo "bench/scan.sh: build first ($PORTSCOPE_SCAN_BIN missing)" >&2; exit 2; }
exec python3 "$here/scan/bench_scan.py"
