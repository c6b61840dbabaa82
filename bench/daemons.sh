#!/usr/bin/env bash
# Real-daemon evaluation of portscope's verdicts: ~40 stock Debian daemons and six deliberately
# wrong listeners in a network namespace; portscope audits it, portscope and nmap scan it from
# a second namespace. Prints false alarms on stock daemons, wrong listeners caught, services
# named by each scanner, and the times. Method and figures: docs/verdicts-bench.md.
#
# Usage: bench/daemons.sh [BUILD_DIR] [--json] [--strict] [--udp] [--no-install] [--registry=F]
#   --json        the summary as one JSON document on stdout (for CI logs)
#   --json-file=F also write that JSON document to F (the text summary still on stdout)
#   --strict      exit 1 on a false alarm, a wrong listener missed, or fewer services named
#                 than nmap (default: exit 0 whatever the figures; 2 when the bench itself fails)
#   --udp         also scan the UDP ports (portscope -sU, nmap -sU -sV: about 3 minutes more)
#   --no-install  do not install the packages of scripts/deps.d/daemons.bench.list
#   --registry=F  the IANA CSV to judge by (default: ../shared/data/iana, as the tests use)
#
# Needs root. Installs its packages with a /usr/sbin/policy-rc.d that exits 101, so no daemon
# starts on the host (the file is removed afterwards only when this script created it). Every
# daemon runs in the foreground inside the namespace with a configuration under a temp dir;
# everything started is killed by PID and the namespaces and temp dir are removed on success,
# failure and Ctrl-C. Addresses: 198.18.0.1-5 only, on a veth pair with no route out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build="$top/build"
args=()
install=1
for a in "$@"; do
  case "$a" in
    --json|--strict|--udp|--registry=*|--json-file=*) args+=("$a") ;;
    --no-install) install=0 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    -*) echo "bench/daemons.sh: unknown option '$a'" >&2; exit 2 ;;
    *) build=$a ;;
  esac
done
dir=$(cd "$build" 2>/dev/null && pwd) || { echo "bench/daemons.sh: no build directory '$build'" >&2; exit 2; }
build=$dir
[ -x "$build/portscope" ] || { echo "bench/daemons.sh: build first ($build/portscope missing)" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
  echo "bench/daemons.sh: skipped: needs root (package installs, network namespaces)" >&2
  exit 77
fi

install_packages() {
  local list="$top/scripts/deps.d/daemons.bench.list" missing=() p
  while read -r p _; do
    [ -n "$p" ] && [ "${p#\#}" = "$p" ] || continue
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
  done <"$list"
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "bench/daemons.sh: installing ${#missing[@]} packages: ${missing[*]}" >&2
  local prc=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$prc" ]; then
    trap 'rm -f "$prc"; exit 130' INT TERM HUP
    printf '#!/bin/sh\n# bench/daemons.sh: no service starts while it installs packages\nexit 101\n' >"$prc"
    chmod 755 "$prc"
    created=1
  fi
  local rc=0
  export DEBIAN_FRONTEND=noninteractive
  # A stale package list makes apt fetch files that the mirror no longer has: update, retry.
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/psbench-daemons-apt.log 2>&1 ||
    { apt-get update -qq && apt-get install -y -q --no-install-recommends "${missing[@]}" \
        >/tmp/psbench-daemons-apt.log 2>&1; } || rc=$?
  if [ $created = 1 ]; then rm -f "$prc"; trap - INT TERM HUP; fi
  if [ $rc -ne 0 ]; then
    echo "bench/daemons.sh: apt-get install failed (exit $rc); the tail of its log:" >&2
    tail -5 /tmp/psbench-daemons-apt.log >&2
    return 2
  fi
  rm -f /tmp/psbench-daemons-apt.log
}

t0=$(date +%s.%N)
[ $install = 1 ] && install_packages
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
py=/usr/bin/python3; [ -x "$py" ] || py=python3
exec "$py" "$here/daemons/run.py" "$build" --install-seconds "$secs" ${args[@]+"${args[@]}"}
