#!/usr/bin/env bash
# Fuzzes ExportAudit's parsers with AFL++ (Debian's afl++) through SharpFuzz.
# Usage: bash tests/ExportAudit.Fuzz/fuzz.sh SECONDS [TARGET...]   (default: every target)
# Seeds come from the real inputs the tests use. Prints executions and crashes per target, copies any
# crash to tests/ExportAudit.Tests/Fuzz/crashes/TARGET/ (a regression test replays them), and exits 1
# if a target crashed.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-30}"; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(elf vmlinux modinfo symvers yaml compressed csource patch)

command -v afl-fuzz >/dev/null || { apt-get install -y -qq afl++ >&2; }
bash tests/data/fetch-testdata.sh
. "${XDG_CACHE_HOME:-$HOME/.cache}/exportaudit-testdata/env"

work="${XDG_CACHE_HOME:-$HOME/.cache}/exportaudit-testdata/fuzz"
out="$work/bin"
rm -rf "$out" && mkdir -p "$out"
dotnet build -c Release tests/ExportAudit.Fuzz -o "$out" >/dev/null
dotnet tool restore >/dev/null
dotnet tool run sharpfuzz "$out/ExportAudit.Core.dll" >/dev/null

seeds() { # target -> seed directory
  local t=$1 d="$work/seeds/$1"
  rm -rf "$d" && mkdir -p "$d"
  local small; small=$(find "$EXPORTAUDIT_MODULES_DIR" -name '*.ko' -size -12k | sort | awk 'NR <= 4')
  case "$t" in
    elf|vmlinux) for m in $small; do cp "$m" "$d/"; done
                 cp ../shared/corpus/kmod-testsuite/*.ko "$d/" 2>/dev/null || true ;;
    modinfo) for m in $small; do objcopy -O binary --only-section=.modinfo "$m" "$d/$(basename "$m").modinfo"; done ;;
    symvers) head -40 "$EXPORTAUDIT_HEADERS_DIR/Module.symvers" > "$d/v56"
             head -20 "$EXPORTAUDIT_HEADERS_DIR/Module.symvers" | awk -F'\t' -v OFS='\t' '{print $1,$2,$5,$3,$4}' > "$d/v54"
             head -20 "$EXPORTAUDIT_HEADERS_DIR/Module.symvers" | cut -f1-4 > "$d/v4"
             head -20 "$EXPORTAUDIT_HEADERS_DIR/Module.symvers" | cut -f1-3 > "$d/v3" ;;
    yaml) cp samples/kernels/*.yaml samples/modules/*.yaml samples/shim/*.yaml rules/example-policy.yaml "$d/" ;;
    csource) for f in kernel/module/version.c mm/percpu-km.c drivers/pwm/pwm-lpss.c include/linux/export.h; do
               [ -f "$EXPORTAUDIT_SOURCE_61/$f" ] && cp "$EXPORTAUDIT_SOURCE_61/$f" "$d/$(basename "$f")"
             done ;;
    patch) cp samples/patches/*.patch "$d/"
           # The same patch as mail clients re-encode it: quoted-printable and base64 MIME bodies, CRLF.
           python3 - "$d" samples/patches/*.patch <<'PY'
import base64, quopri, sys
out, src = sys.argv[1], open(sys.argv[2], 'rb').read()
head, _, body = src.partition(b'\n\n')
mime = lambda enc: head + b'\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: ' + enc + b'\n\n'
open(out + '/qp.patch', 'wb').write(mime(b'quoted-printable') + quopri.encodestring(body))
open(out + '/b64.patch', 'wb').write(mime(b'base64') + base64.encodebytes(body))
open(out + '/crlf.patch', 'wb').write(src.replace(b'\n', b'\r\n'))
PY
           ;;
    compressed) for m in $(echo "$small" | awk 'NR <= 2'); do
                  xz -c "$m" > "$d/$(basename "$m").xz"; zstd -q -c "$m" > "$d/$(basename "$m").zst"; gzip -c "$m" > "$d/$(basename "$m").gz"
                done ;;
  esac
  echo "$d"
}

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
status=0
printf '%-12s %10s %8s %8s %8s\n' target seconds execs "exec/s" crashes
for t in "${targets[@]}"; do
  seed=$(seeds "$t")
  findings="$work/findings/$t"
  rm -rf "$findings" && mkdir -p "$(dirname "$findings")"
  timeout $((seconds + 120)) afl-fuzz -i "$seed" -o "$findings" -V "$seconds" -t 10000 -m none -- "$out/ExportAudit.Fuzz" "$t" > "$work/$t.log" 2>&1 || true
  stats="$findings/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "fuzz: $t: afl-fuzz did not start; see $work/$t.log" >&2
    tail -20 "$work/$t.log" >&2
    status=1
    continue
  fi
  execs=$(awk -F': *' '$1 ~ /^execs_done/ {print $2}' "$stats")
  crashes=$(awk -F': *' '$1 ~ /^(saved_crashes|unique_crashes)/ {print $2; exit}' "$stats")
  printf '%-12s %10s %8s %8s %8s\n' "$t" "$seconds" "$execs" "$((execs / (seconds > 0 ? seconds : 1)))" "$crashes"
  if [ "${crashes:-0}" != 0 ]; then
    mkdir -p "tests/ExportAudit.Tests/Fuzz/crashes/$t"
    cp "$findings"/default/crashes/id* "tests/ExportAudit.Tests/Fuzz/crashes/$t/" 2>/dev/null || true
    status=1
  fi
done
exit $status
