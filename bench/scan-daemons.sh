#!/usr/bin/env bash
# portscope scan -sV against nmap -sV on stock Debian daemons (those installed; none is
# installed here) in the namespace test bed. Usage: bench/scan-daemons.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${PORTSCOPE_BUILD:-$here/../build}}
export PORTSCOPE_SCAN_BIN=${PORTSCOPE_SCAN_BIN:-$build/portscope-scan}
[ -x "$PORTSCOPE_SCAN_BIN" ] || { echo "bench/scan-daemons.sh: build first ($PORTSCOPE_SCAN_BIN missing)" >&2; exit 2; }
exec python3 "$here/scan/daemons.py"
