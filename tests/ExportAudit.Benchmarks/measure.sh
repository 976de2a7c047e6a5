# Shared by the benchmark scripts (sourced, not run).
# measure RUNS TIMEFILE CMD... -> "MEDIAN_WALL_SECONDS MAX_RSS_MB" of CMD over RUNS runs (GNU time).
measure() {
  local runs=$1 timefile=$2 times=() rss=0 out r
  shift 2
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$timefile" -f '%e %M' "$@" > /dev/null 2>&1 || true
    out=$(tail -1 "$timefile")
    times+=("${out% *}")
    r=${out#* }; [ "$r" -gt "$rss" ] && rss=$r
  done
  echo "$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') $((rss / 1024))"
}
