#!/usr/bin/env bash
# Builds the Debian package from this tree (tracked and new files, not the build directories)
# in a copy under OUT/src, with dpkg-buildpackage; the .deb, .buildinfo and .changes land in OUT.
set -euo pipefail
out=${1:-build/deb}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
command -v dh >/dev/null || { echo "portscope: make deb: debhelper is missing (apt install debhelper)" >&2; exit 2; }
version=$(dpkg-parsechangelog -S Version)
src="$out/src/portscope-$version"
rm -rf "$out" && mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard | tar --null -T - --ignore-failed-read -cf - | tar -xf - -C "$src"
(cd "$src" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$out/build.log" 2>&1 || {
  tail -n 40 "$out/build.log" >&2; echo "portscope: make deb: dpkg-buildpackage failed (log: $out/build.log)" >&2; exit 2; }
mv "$out"/src/portscope_"$version"_* "$out"/src/portscope-dbgsym_"$version"_* "$out"/ 2>/dev/null || true
ls "$out"/*.deb
