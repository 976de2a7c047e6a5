#!/usr/bin/env bash
# A CI gate's cost: one module against one Module.symvers, as users run the tool (the ReadyToRun
# `dotnet publish` output through its apphost, start-up included), median of N runs; then the same with
# custom rules: the first run compiles them (cache empty), later runs load the cached assembly.
# Usage: bash tests/ExportAudit.Benchmarks/gate-benchmark.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-11}"
bash tests/data/fetch-testdata.sh
. "${XDG_CACHE_HOME:-$HOME/.cache}/exportaudit-testdata/env"
pub=$(mktemp -d); cache=$(mktemp -d)
trap 'rm -rf "$pub" "$cache"' EXIT
dotnet publish src/ExportAudit.Cli -c Release -r linux-x64 -p:PublishReadyToRun=true -o "$pub" >/dev/null
ea="$pub/exportaudit"
module=$(find "$EXPORTAUDIT_MODULES_DIR" -name '*.ko' | sort | awk 'NR == 1')
symvers="$EXPORTAUDIT_HEADERS_DIR/Module.symvers"

ms() { # median wall milliseconds of a command over $runs runs
  for _ in $(seq "$runs"); do
    local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
    echo $(( (e - s) / 1000000 ))
  done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

gate=$(ms "$ea" check --no-config --kernel "$symvers" "$module")
sarif=$(ms "$ea" check --no-config --kernel "$symvers" "$module" --format sarif)
s=$(date +%s%N); XDG_CACHE_HOME="$cache" "$ea" check --no-config --kernel "$symvers" "$module" --rules rules/examples >/dev/null; e=$(date +%s%N)
cold=$(( (e - s) / 1000000 ))
warm=$(XDG_CACHE_HOME="$cache" ms "$ea" check --no-config --kernel "$symvers" "$module" --rules rules/examples)
empty=$(ms "$ea" rules)

echo
echo "gate run: 1 module ($(basename "$module")) against Module.symvers ($(wc -l < "$symvers") rows); median of $runs"
printf '%-52s %6s ms\n' "exportaudit rules (start-up only)" "$empty"
printf '%-52s %6s ms\n' "exportaudit check (text)" "$gate"
printf '%-52s %6s ms\n' "exportaudit check --format sarif" "$sarif"
printf '%-52s %6s ms\n' "with --rules rules/examples, first run (compiles)" "$cold"
printf '%-52s %6s ms\n' "with --rules rules/examples, cached assembly" "$warm"
printf 'ratios: check / start-up %.1fx; cached rules / compiling rules %.2fx\n' "$(echo "$gate / $empty" | bc -l)" "$(echo "$warm / $cold" | bc -l)"
