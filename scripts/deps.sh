#!/usr/bin/env bash
# Installs the Debian packages portscope needs to build, test and benchmark, but only those
# that are missing: a machine that has them all is not touched (and needs no root).
set -euo pipefail
build=(build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
       libjansson-dev libmnl-dev libsqlite3-dev libh2o-evloop-dev libcurl4-openssl-dev
       libpcre2-dev libcmocka-dev gettext)
run=(nmap-common libwireshark-data iproute2 procps python3 ca-certificates)
test=(ethtool iptables)
bench=(hyperfine nmap masscan wrk nginx-light lsof net-tools)
want=("${build[@]}" "${run[@]}" "${test[@]}")
[ "${1:-}" = bench ] && want+=("${bench[@]}")
# Components add their own needs, one package a line, in scripts/deps.d/NAME.list
# (NAME.bench.list: only for benchmarks).
for f in "$(dirname "$0")"/deps.d/*.list; do
  [ -e "$f" ] || continue
  case "$f" in *.bench.list) [ "${1:-}" = bench ] || continue ;; esac
  while read -r p _; do [ -n "$p" ] && [ "${p#\#}" = "$p" ] && want+=("$p"); done <"$f"
done
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
updated=0
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  updated=1
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The end-to-end tests drive Chromium from Node: Debian's nodejs comes without npm, a
# NodeSource nodejs brings its own (and conflicts with Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then
  echo "deps: installing npm" >&2
  [ $updated = 1 ] || $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
