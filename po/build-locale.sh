#!/bin/sh
# Builds the catalogues into a locale tree for the build directory, as installed:
#   OUTDIR/<ll>/LC_MESSAGES/portscope.mo and portscope-<ll>.mo (the domain of one language, which
#   a server uses; src/core/i18n.c explains why), then touches STAMP.
# Usage: build-locale.sh MSGFMT OUTDIR STAMP DOMAIN PO...
set -eu
msgfmt=$1 out=$2 stamp=$3 domain=$4
shift 4
for po in "$@"; do
  ll=$(basename "$po" .po)
  dir=$out/$ll/LC_MESSAGES
  mkdir -p "$dir"
  "$msgfmt" -o "$dir/$domain.mo.tmp" "$po"
  mv "$dir/$domain.mo.tmp" "$dir/$domain.mo"
  cp "$dir/$domain.mo" "$dir/$domain-$ll.mo"
done
touch "$stamp"
