#!/usr/bin/env bash
# Runs every benchmark in bench/ (each prints its own figures and ratios). Benchmarks are not
# tests: nothing here fails on timing.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
for b in "$top"/bench/*.sh; do
  case "$(basename "$b")" in run-all.sh | serve-ab.sh) continue ;; esac # serve-ab compares two set-ups of ours
  echo "== $(basename "$b")"
  bash "$b" "$build" || echo "   ($(basename "$b") could not run: exit $?)"
done
