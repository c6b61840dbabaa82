#!/usr/bin/env bash
# Runs the meson test suite in build dir $1 and ends with one summary line:
#   tests: N passed, N failed, N skipped
# Skipped tests are listed with their reasons, so a skip is never mistaken for a pass.
set -uo pipefail
build=${1:-build}; shift || true
meson test -C "$build" --print-errorlogs "$@"
rc=$?
log="$build/meson-logs/testlog.json"
if [ -f "$log" ]; then
  python3 - "$log" <<'PY'
import json, sys
passed = failed = skipped = 0
skips = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    r = t.get("result")
    if r in ("OK", "EXPECTEDFAIL"): passed += 1
    elif r == "SKIP":
        skipped += 1
        why = [l for l in (t.get("stdout") or "").splitlines() if l.startswith("skipped")]
        skips.append(f"  {t['name']}: {why[-1] if why else 'skipped'}")
    else: failed += 1
if skips:
    print("Skipped tests:")
    print("\n".join(skips))
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
fi
exit $rc
