#!/usr/bin/env bash
# End-to-end browser test of `portscope serve`: starts the real server on a free port of
# 127.0.0.1, runs serve.e2e.mjs in headless Debian chromium (playwright-core from npm) and keeps
# the screenshots in tests/artifacts/. Prints "skipped: <reason>" and exits 77 when something it
# needs is missing.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${PORTSCOPE_SRC:-$(cd "$here/../.." && pwd)}
serve=${PORTSCOPE_SERVE_BIN:-${PORTSCOPE_BUILD:-$src/build}/portscope-serve}
chromium=${CHROMIUM:-/usr/bin/chromium}
csv=${PORTSCOPE_TEST_IANA_DIR:+$PORTSCOPE_TEST_IANA_DIR/service-names-port-numbers.2026-02.csv}

skip() { echo "skipped: $*"; exit 77; }
[ -x "$serve" ] || skip "$serve is not built"
[ -n "$csv" ] && [ -f "$csv" ] || skip "the IANA CSV is not available (PORTSCOPE_TEST_IANA_DIR unset)"
[ -x "$chromium" ] || skip "chromium is not installed (apt-get install chromium; see scripts/deps.d/serve.list)"
command -v node >/dev/null || skip "node is not installed (apt-get install nodejs)"
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/axe-core" ]; then
  command -v npm >/dev/null || skip "npm is not installed (apt-get install npm)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2 || skip "npm ci failed (playwright-core not installable)"
fi

work=$(mktemp -d /tmp/portscope-e2e-XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data XDG_STATE_HOME=$work/state
unset PORTSCOPE_DB PORTSCOPE_REGISTRY PORTSCOPE_KNOWLEDGE

"$serve" serve --listen 127.0.0.1:0 --registry "$csv" --db "$work/feedback.db" \
  --access-log "$work/access.log" >"$work/out" 2>"$work/err" &
pid=$!
url=
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/out" 2>/dev/null) && [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "FAIL: the server did not start: $(cat "$work/err")"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "e2e: server at $url (pid $pid)"
PORTSCOPE_URL=$url PORTSCOPE_ARTIFACTS=$src/tests/artifacts CHROMIUM=$chromium \
  timeout 300 node "$here/serve.e2e.mjs"
rc=$?
[ $rc -eq 124 ] && echo "FAIL: the browser test timed out"
exit $rc
