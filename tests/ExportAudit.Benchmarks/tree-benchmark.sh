#!/usr/bin/env bash
# Times `exportaudit check` over Debian's whole module tree against the baseline users write today
# (per module: `modinfo -F license` and `nm -u`, matched against the GPL-only exports of Module.symvers)
# and against kmod's `depmod -n -e -E` (reads every module and resolves every import, CRCs included),
# all in one run, page cache warm, start-up included: the tool is run as users run it, the
# `dotnet publish` ReadyToRun output through its apphost. Also runs the ELF reader comparison.
# Usage: bash tests/ExportAudit.Benchmarks/tree-benchmark.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-5}"
bash tests/data/fetch-testdata.sh
. "${XDG_CACHE_HOME:-$HOME/.cache}/exportaudit-testdata/env"
command -v /usr/bin/time >/dev/null || { echo "installing time" >&2; apt-get install -y -qq time >&2; }

pub=$(mktemp -d)
trap 'rm -rf "$pub"' EXIT
dotnet publish src/ExportAudit.Cli -c Release -r linux-x64 -p:PublishReadyToRun=true -o "$pub" >/dev/null
ea="$pub/exportaudit"
tree="$EXPORTAUDIT_MODULES_DIR"
headers="$EXPORTAUDIT_HEADERS_DIR"
root=$(dirname "$(dirname "$(dirname "$tree")")")
version=$(basename "$tree")
count=$(find "$tree" -name '*.ko*' | wc -l)
size=$(du -sm "$tree" | cut -f1)
find "$tree" -type f -exec cat {} + > /dev/null # page cache warm

. tests/ExportAudit.Benchmarks/measure.sh

baseline() {
  # What a vendor's shell script does today.
  awk -F'\t' '$4 == "EXPORT_SYMBOL_GPL" {print $2}' "$headers/Module.symvers" | sort -u > "$pub/gpl"
  find "$tree" -name '*.ko' | while read -r m; do
    lic=$(modinfo -F license "$m" | head -1)
    case "$lic" in
      "GPL"|"GPL v2"|"GPL and additional rights"|"Dual BSD/GPL"|"Dual MIT/GPL"|"Dual MPL/GPL") continue ;;
    esac
    nm -u "$m" | awk '{print $2}' | sort -u | comm -12 - "$pub/gpl" | sed "s|^|$m uses |"
  done
}
export -f baseline
export tree headers pub

read -r t_text rss_text < <(measure "$rounds" "$pub/time" "$ea" check --kernel "$headers" "$tree" -j 2)
read -r t_json rss_json < <(measure "$rounds" "$pub/time" "$ea" check --kernel "$headers" "$tree" -j 2 --format json)
read -r t_depmod rss_depmod < <(measure "$rounds" "$pub/time" depmod -n -e -E "$headers/Module.symvers" -b "$root" "$version")
start=$(date +%s.%N); bash -c baseline > /dev/null; t_base=$(echo "$(date +%s.%N) - $start" | bc)

echo
echo "Debian $version: $count modules, $size MB; $(nproc) cores; median of $rounds runs"
printf '%-44s %8s %8s %10s\n' "" "wall s" "RSS MB" "vs ours"
printf '%-44s %8.2f %8d %10s\n' "exportaudit check (text)" "$t_text" "$rss_text" "1.0x"
printf '%-44s %8.2f %8d %9.1fx\n' "exportaudit check --format json" "$t_json" "$rss_json" "$(echo "$t_json / $t_text" | bc -l)"
printf '%-44s %8.2f %8d %9.1fx\n' "depmod -n -e -E (kmod)" "$t_depmod" "$rss_depmod" "$(echo "$t_depmod / $t_text" | bc -l)"
printf '%-44s %8.2f %8s %9.1fx\n' "baseline: modinfo + nm per module (1 run)" "$t_base" "-" "$(echo "$t_base / $t_text" | bc -l)"
echo
dotnet run -c Release --project tests/ExportAudit.Benchmarks -- "$tree" 3
