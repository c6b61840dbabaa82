#!/usr/bin/env bash
# The package's check, for CI (root, a Debian machine; not part of `make test`):
#
#   bash tests/ship/check.sh            (KEEP_PACKAGE=1 leaves portscope installed)
#
# Builds the .deb (`make deb`), runs lintian on it (any error or warning fails), installs it
# with dpkg -i, runs `portscope info 625`, the audit and the registry metrics from the installed
# paths, runs watch for 3 s (when BPF or AF_PACKET is allowed here), verifies every unit with
# `systemd-analyze verify` and prints each service's `systemd-analyze security` exposure (any
# above 3.0 fails), checks the alerting rules with promtool (check and unit tests), checks that every metric the rules
# and the Grafana dashboard name is one the installed programs really wrote, and purges the
# package, checking that an upgrade restarts what ran, that removal stops the units and removes the
# metrics files, and that purge removes the state. Installs debhelper, lintian and prometheus when missing (with a policy-rc.d that keeps
# the Prometheus server from starting). Exit 0 all passed, 1 a check failed, 77 not root.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "skipped: installing the package needs root"; exit 77; }

fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok: $*"; }

missing=()
for p in debhelper lintian prometheus nmap-common; do
  dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  prc=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$prc" ]; then
    printf '#!/bin/sh\n# tests/ship/check.sh: no service starts while it installs packages\nexit 101\n' >"$prc"
    chmod 755 "$prc"; created=1
  fi
  echo "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
  [ $created = 1 ] && rm -f "$prc"
fi

tmp=$(mktemp -d)
installed=0
cleanup() {
  [ -n "${wpid:-}" ] && kill "$wpid" 2>/dev/null || true
  if [ $installed = 1 ] && [ -z "${KEEP_PACKAGE:-}" ]; then dpkg --purge portscope >/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

make deb >/dev/null
deb=$(ls build/deb/portscope_*_*.deb)
ok "built $deb"

echo "--- lintian"
lintian --tag-display-limit 0 -I build/deb/portscope_*.changes | tee "$tmp/lintian" || true
if grep -qE '^[EW]: ' "$tmp/lintian"; then bad "lintian reports errors or warnings"; else ok "lintian: no error, no warning"; fi

dpkg -i "$deb" >/dev/null
installed=1
ok "installed with dpkg -i"
for f in /usr/bin/portscope /usr/libexec/portscope/portscope-audit /usr/libexec/portscope/portscope-serve \
         /usr/libexec/portscope/portscope-scan /usr/libexec/portscope/portscope-update \
         /usr/libexec/portscope/portscope-watch /usr/share/man/man1/portscope.1.gz \
         /usr/share/bash-completion/completions/portscope /usr/share/zsh/vendor-completions/_portscope \
         /usr/share/fish/vendor_completions.d/portscope.fish /usr/share/portscope/knowledge.txt; do
  [ -e "$f" ] || bad "$f is not installed"
done
[ -z "$(find /etc/systemd -name 'portscope-*' 2>/dev/null)" ] && ok "no unit enabled by the installation" ||
  bad "the installation enabled units: $(find /etc/systemd -name 'portscope-*')"

/usr/bin/portscope info 625 >"$tmp/info" && grep -q '625' "$tmp/info" && ok "portscope info 625" || bad "portscope info 625"
# The installed catalogues: the CLI's (portscope.mo) and the server's domain of one language (a link to it).
LANG=he_IL.UTF-8 /usr/bin/portscope info --brief 625 >"$tmp/info-he" && grep -q 'דירוג' "$tmp/info-he" \
        && ok "LANG=he_IL.UTF-8 portscope info: Hebrew from the installed catalogue" || bad "portscope info in Hebrew"
[ -e /usr/share/locale/ar/LC_MESSAGES/portscope-ar.mo ] && ok "the server's catalogue of one language is installed" \
        || bad "/usr/share/locale/ar/LC_MESSAGES/portscope-ar.mo is missing"
/usr/bin/portscope audit --prometheus "$tmp/portscope.prom" --fail-on never >/dev/null &&
  grep -q '^portscope_audit_last_run_timestamp_seconds ' "$tmp/portscope.prom" && ok "audit --prometheus from /usr/bin" || bad "audit --prometheus"
/usr/libexec/portscope/portscope-registry-metrics "$tmp/portscope-registry.prom" && ok "portscope-registry-metrics" || bad "portscope-registry-metrics"
# watch: 3 s; with neither BPF nor AF_PACKET here it exits 2 and its metrics are checked from the source's names.
/usr/bin/portscope watch --metrics "$tmp/portscope-watch.prom" >/dev/null 2>"$tmp/watch.err" & wpid=$!
sleep 3; kill -TERM "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true; wpid=
if [ -s "$tmp/portscope-watch.prom" ]; then ok "watch --metrics"; else echo "note: watch did not run here: $(head -c 300 "$tmp/watch.err")"; fi
/usr/bin/curl -V >/dev/null 2>&1 && {
  /usr/bin/portscope serve --listen 127.0.0.1:0 --no-feedback --no-access-log --no-cache >"$tmp/serve.out" 2>&1 & spid=$!
  for _ in $(seq 50); do grep -qoE '127\.0\.0\.1:[0-9]+' "$tmp/serve.out" && break; sleep 0.1; done
  addr=$(grep -oE '127\.0\.0\.1:[0-9]+' "$tmp/serve.out" | head -n1)
  [ -n "$addr" ] && curl -fsS "http://$addr/ports/625" >/dev/null && curl -fsS "http://$addr/metrics" >"$tmp/serve.prom" &&
    ok "serve from /usr/bin ($addr), /metrics" || bad "serve from /usr/bin"
  kill -TERM "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
}

echo "--- systemd units"
for u in /lib/systemd/system/portscope-* /usr/lib/systemd/user/portscope-*; do
  if systemd-analyze verify "$u" >"$tmp/verify" 2>&1 && ! [ -s "$tmp/verify" ]; then ok "systemd-analyze verify $u"
  else bad "systemd-analyze verify $u: $(cat "$tmp/verify")"; fi
done
for u in /lib/systemd/system/portscope-*.service; do
  line=$(systemd-analyze security --offline=true "$u" 2>/dev/null | grep 'Overall exposure level' || true)
  level=$(printf '%s\n' "$line" | grep -oE '[0-9]+\.[0-9]+' | head -n1)
  echo "exposure: $(basename "$u") $(printf '%s\n' "$line" | grep -oE '[0-9]+\.[0-9]+ [A-Z]+' | head -n1)"
  [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 3.0) }' || bad "$(basename "$u") exposure ${level:-unknown} above 3.0"
done

echo "--- Prometheus rules and Grafana dashboard"
rules=/usr/share/doc/portscope/examples/prometheus/portscope.rules.yml
dash=/usr/share/doc/portscope/examples/grafana/portscope.json
promtool check rules "$rules" && ok "promtool check rules" || bad "promtool check rules"
cmp -s "$rules" data/prometheus/portscope.rules.yml || bad "the installed rules differ from data/prometheus/"
(cd data/prometheus && promtool test rules portscope.rules.test.yml) && ok "promtool test rules (the alerts fire on portscope-shaped series)" || bad "promtool test rules"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$dash" && ok "dashboard is JSON" || bad "dashboard is not JSON"
# Every metric name used must be one the programs wrote (watch's from its source when it could not run).
cat "$tmp"/*.prom >"$tmp/all-metrics" 2>/dev/null || true
[ -s "$tmp/portscope-watch.prom" ] || grep -ohE 'portscope_watch_[a-z_]+' src/watch/record.c >>"$tmp/all-metrics"
[ -s "$tmp/serve.prom" ] || grep -ohE 'portscope_(http|feedback|start)_[a-z_]+' src/serve/metrics.c >>"$tmp/all-metrics"
used=$(grep -hv '^[[:space:]]*#' "$rules" "$dash" | grep -oE 'portscope_[a-z_]*[a-z]' | sed -E 's/_(bucket|sum|count)$//' | sort -u)
unknown=0
for m in $used; do
  grep -qE "(^|[^a-z_])${m}(_bucket|_sum|_count)?([{ ]|$)" "$tmp/all-metrics" || { bad "metric $m is used but no program writes it"; unknown=1; }
done
[ $unknown = 0 ] && ok "the $(echo $used | wc -w) metric names the rules and the dashboard use are all written"

echo "--- maintainer scripts: upgrade, remove, purge"
dpkg-deb -e "$deb" "$tmp/control"
if [ -e "$tmp/control/preinst" ] && grep -q 'deb-systemd-invoke stop' "$tmp/control/preinst"; then
  bad "preinst stops the units before an upgrade (they stay stopped after it)"
else ok "no stop before an upgrade"; fi
grep -q 'try-restart' "$tmp/control/postinst" && grep -q 'daemon-reload' "$tmp/control/postinst" &&
  ok "an upgrade reloads systemd and restarts the units that ran" || bad "postinst: no daemon-reload and try-restart"
sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$tmp/control/prerm" 2>/dev/null | grep -q 'deb-systemd-invoke stop .*portscope-serve.service' &&
  ok "removal stops the units" || bad "prerm does not stop the units on removal"
# Metrics files go with the package, state and caches with a purge.
nx=/var/lib/prometheus/node-exporter made_nx=0
[ -d "$nx" ] || { mkdir -p "$nx"; made_nx=1; }
for f in portscope.prom portscope-registry.prom portscope-watch.prom; do echo "# test" >"$nx/$f"; done
mkdir -p /var/lib/portscope /var/cache/portscope
dpkg -r portscope >/dev/null
ls "$nx"/portscope*.prom >/dev/null 2>&1 && bad "dpkg -r left $(ls "$nx"/portscope*.prom)" || ok "dpkg -r removed the metrics files"
[ -d /var/lib/portscope ] && ok "dpkg -r kept the state" || bad "dpkg -r removed /var/lib/portscope"
dpkg --purge portscope >/dev/null
installed=0
[ -e /var/lib/portscope ] || [ -e /var/cache/portscope ] && bad "purge left /var/lib/portscope or /var/cache/portscope" ||
  ok "dpkg --purge removed the state and caches"
[ $made_nx = 1 ] && rmdir "$nx" 2>/dev/null || true

[ $fail = 0 ] && echo "PASS" || echo "FAILED"
exit $fail
