#!/usr/bin/env bash
# scan-source on Debian's linux-source-6.1 against `rg -n EXPORT_SYMBOL` on the same tree, one run, page
# cache warm, ReadyToRun publish through its apphost; median of N runs, with the ratio and peak RSS.
# Usage: bash tests/ExportAudit.Benchmarks/source-benchmark.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-3}"
bash tests/data/fetch-testdata.sh
. "${XDG_CACHE_HOME:-$HOME/.cache}/exportaudit-testdata/env"
command -v rg >/dev/null || apt-get install -y -qq ripgrep >&2
pub=$(mktemp -d); trap 'rm -rf "$pub"' EXIT
dotnet publish src/ExportAudit.Cli -c Release -r linux-x64 -p:PublishReadyToRun=true -o "$pub" >/dev/null
tree="$EXPORTAUDIT_SOURCE_61"
rg -n EXPORT_SYMBOL "$tree" > /dev/null || true # warm the page cache

. tests/ExportAudit.Benchmarks/measure.sh
read -r t_rg rss_rg < <(measure "$runs" "$pub/time" rg -n EXPORT_SYMBOL "$tree")
read -r t_scan rss_scan < <(measure "$runs" "$pub/time" "$pub/exportaudit" scan-source "$tree" --format json -j 2)
read -r t_cfg rss_cfg < <(measure "$runs" "$pub/time" "$pub/exportaudit" scan-source "$tree" --kconfig "$EXPORTAUDIT_HEADERS_DIR/.config" --arch x86 --format json -j 2)
# With the call graph and the laundering and in-tree-user checks (the source issue's second goal: <= 4x rg).
read -r t_calls rss_calls < <(measure "$runs" "$pub/time" "$pub/exportaudit" scan-source "$tree" --calls --format json -j 2)
echo
echo "linux-source-6.1 ($(find "$tree" -name '*.[chS]' | wc -l) .c/.h/.S files); median of $runs; $(nproc) cores"
printf '%-58s %7s %7s %8s\n' "" "wall s" "RSS MB" "vs rg"
printf '%-58s %7.2f %7d %8s\n' "rg -n EXPORT_SYMBOL" "$t_rg" "$rss_rg" "1.0x"
printf '%-58s %7.2f %7d %7.1fx\n' "exportaudit scan-source (exports, licenses, namespaces)" "$t_scan" "$rss_scan" "$(echo "$t_scan / $t_rg" | bc -l)"
printf '%-58s %7.2f %7d %7.1fx\n' "  with --kconfig and --arch x86 (and Kbuild owners)" "$t_cfg" "$rss_cfg" "$(echo "$t_cfg / $t_rg" | bc -l)"
printf '%-58s %7.2f %7d %7.1fx\n' "exportaudit scan-source --calls (call graph, EA3001-3003)" "$t_calls" "$rss_calls" "$(echo "$t_calls / $t_rg" | bc -l)"
