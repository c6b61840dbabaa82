#!/usr/bin/env bash
# Builds every libFuzzer target (tests/**/fuzz-*.c) with clang, ASan and UBSan, and runs each
# for $1 seconds (default 20) on a seed corpus from the fixtures. A target names the library
# sources it needs on a "fuzz-sources:" line in its header comment.
set -euo pipefail
secs=${1:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/.fuzz
mkdir -p "$out"
cflags=(-std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -I"$top/include" -I"$top/src" -I"$top/src/core" -I"$top/build")
# The built-in knowledge, as the build embeds it.
cc -O1 -o "$out/embed" "$top/tools/embed.c"
"$out/embed" "$top/data/knowledge.txt" "$out/knowledge-builtin.c" ps_knowledge_builtin
[ -f "$top/build/config.h" ] || { echo "fuzz: run 'make' first (needs build/config.h)" >&2; exit 2; }
status=0
for f in $(find "$top/tests" -name 'fuzz-*.c' | sort); do
  name=$(basename "$f" .c)
  srcs=$(sed -n 's/.*fuzz-sources:\([^*]*\).*/\1/p' "$f" | head -1)
  files=()
  libs=()
  for s in $srcs; do
    case "$s" in
      KNOWLEDGE_BUILTIN) files+=("$out/knowledge-builtin.c") ;;
      -l*) libs+=("$s") ;;
      # A core file split in parts (registry.c, registry-parse.c, ...) brings its parts.
      src/core/*.c) files+=("$top/$s"); for part in "$top/${s%.c}"-*.c; do [ -e "$part" ] && files+=("$part"); done ;;
      *) files+=("$top/$s") ;;
    esac
  done
  # Every core file reports errors through src/core/error.c, which escapes with util.c and
  # translates with i18n.c.
  case " ${files[*]} " in
    *" $top/src/core/"*)
      for base in error util i18n; do
        case " ${files[*]} " in *" $top/src/core/$base.c "*) ;; *) files+=("$top/src/core/$base.c") ;; esac
      done ;;
  esac
  echo "fuzz: building $name"
  clang "${cflags[@]}" -o "$out/$name" "$f" "${files[@]}" $(pkg-config --cflags --libs jansson) "${libs[@]}"
  corpus=$out/corpus-$name
  mkdir -p "$corpus"
  case "$name" in
    fuzz-csv) cp "$top"/tests/fixtures/*.csv "$top"/tests/fixtures/services.txt "$corpus"/ ;;
    fuzz-knowledge) head -c 4000 "$top/data/knowledge.txt" >"$corpus/k.txt"
                    tail -c 3000 "$top/data/knowledge.txt" >"$corpus/sockets.txt" ;;
    fuzz-accept-language) printf 'fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5' >"$corpus/a"; printf 'he-IL,he;q=0.9' >"$corpus/b" ;;
    fuzz-portspec) printf '22/tcp' >"$corpus/a"; printf '1-1023,8080/udp' >"$corpus/b" ;;
    fuzz-baseline) grep -v "^#" "$top/docs/baseline-format.md" | head -c 4000 >"$corpus/doc" ;;
    fuzz-jsonw) printf '\000\377caf\303\251 \342\200\250 \377\376 \342\202a "\\\n' >"$corpus/string"
                printf '\001\377\000\001\000\000\000\000\000\000\000\001\232\231\231\231\231\231\271?' >"$corpus/numbers"
                printf '\002\377\000\024\005\102\002\010\026\007\003\001' >"$corpus/calls"
                printf '\002\377\000\072a"b\010\052\\\377\010\001' >"$corpus/names" ;;
    fuzz-scan-resume) cp "$top/tests/fixtures/scan.resume" "$corpus/" ;;
    fuzz-scan-merge) cp "$top/tests/fixtures/scan-shard.jsonl" "$corpus/" ;;
    fuzz-scan-replies) printf '\001\001\000\030\041\022\244\102abcdefghijkl\200\042\000\024Coturn-4.6.1 '"'"'Gorst'"'"'' >"$corpus/coturn" 
                       printf '\105\000\000\070\000\000\000\000\077\001\000\000\306\022\000\002\306\022\000\001\003\012\000\000\000\000\000\000\105\000\000\054\000\000\000\000\100\006\000\000\306\022\000\001\306\022\000\002\234\100\002\161\022\064\126\170' >"$corpus/icmp-host-prohibited" ;;
  esac
  echo "fuzz: running $name for ${secs}s"
  # A failing input is kept under .fuzz/ (libFuzzer's default is the current directory: the tree).
  if ! "$out/$name" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$out/$name-" -print_final_stats=0 "$corpus" >"$out/$name.log" 2>&1; then
    echo "fuzz: $name FAILED (log: $out/$name.log)"; tail -40 "$out/$name.log"; status=1
  else
    echo "fuzz: $name ok ($(grep -c '' "$out/$name.log") log lines; $(grep -o 'DONE.*\|Done [0-9]* runs' "$out/$name.log" | tail -1))"
  fi
done
exit $status
