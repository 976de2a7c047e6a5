#!/usr/bin/env bash
# scan-source on Debian's linux-source-6.1 against `rg -n EXPORT_SYMBOL` on the same tree, one run, page
# cache warm, ReadyToRun publish through its apphost; the commands in turns, median of N runs each, with the ratio and
# peak RSS, and the same for the fastest run of each.
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

# The four commands take turns, run by run, so that a machine whose speed drifts (a shared one) slows them alike:
# the ratios are of the same minutes. Each figure is the median of its runs; RSS the largest.
timed() { /usr/bin/time -o "$pub/time" -f '%e %M' "$@" > /dev/null 2>&1 || true; }
run_k() {
  case $1 in
    0) timed rg -n EXPORT_SYMBOL "$tree" ;;
    1) timed "$pub/exportaudit" scan-source "$tree" --format json -j 2 ;;
    2) timed "$pub/exportaudit" scan-source "$tree" --kconfig "$EXPORTAUDIT_HEADERS_DIR/.config" --arch x86 --format json -j 2 ;;
    # With the call graph and the laundering and in-tree-user checks (the source issue's second goal: <= 4x rg).
    3) timed "$pub/exportaudit" scan-source "$tree" --calls --format json -j 2 ;;
  esac
}
declare -a times rss
for ((r = 0; r < runs; r++)); do
  for k in 0 1 2 3; do
    run_k "$k"
    read -r t m < <(tail -1 "$pub/time")
    times[$k]+="$t "
    [ "$m" -gt "${rss[$k]:-0}" ] && rss[$k]=$m
  done
done
median() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
fastest() { printf '%s\n' $1 | sort -n | head -1; }
# The medians, and the fastest run of each: on a shared machine the least disturbed one, a second view of the ratio.
t_rg=$(median "${times[0]}"); m_rg=$(fastest "${times[0]}"); rss_rg=$((rss[0] / 1024))
t_scan=$(median "${times[1]}"); m_scan=$(fastest "${times[1]}"); rss_scan=$((rss[1] / 1024))
t_cfg=$(median "${times[2]}"); m_cfg=$(fastest "${times[2]}"); rss_cfg=$((rss[2] / 1024))
t_calls=$(median "${times[3]}"); m_calls=$(fastest "${times[3]}"); rss_calls=$((rss[3] / 1024))
ratio() { echo "$1 / $2" | bc -l; }
echo
echo "linux-source-6.1 ($(find "$tree" -name '*.[chS]' | wc -l) .c/.h/.S files); median of $runs runs taken in turns; $(nproc) cores"
printf '%-58s %7s %7s %8s %9s %8s\n' "" "wall s" "RSS MB" "vs rg" "fastest" "vs rg"
printf '%-58s %7.2f %7d %8s %9.2f %8s\n' "rg -n EXPORT_SYMBOL" "$t_rg" "$rss_rg" "1.0x" "$m_rg" "1.0x"
printf '%-58s %7.2f %7d %7.1fx %9.2f %7.1fx\n' "exportaudit scan-source (exports, licenses, namespaces)" "$t_scan" "$rss_scan" "$(ratio "$t_scan" "$t_rg")" "$m_scan" "$(ratio "$m_scan" "$m_rg")"
printf '%-58s %7.2f %7d %7.1fx %9.2f %7.1fx\n' "  with --kconfig and --arch x86 (and Kbuild owners)" "$t_cfg" "$rss_cfg" "$(ratio "$t_cfg" "$t_rg")" "$m_cfg" "$(ratio "$m_cfg" "$m_rg")"
printf '%-58s %7.2f %7d %7.1fx %9.2f %7.1fx\n' "exportaudit scan-source --calls (call graph, EA3001-3003)" "$t_calls" "$rss_calls" "$(ratio "$t_calls" "$t_rg")" "$m_calls" "$(ratio "$m_calls" "$m_rg")"
