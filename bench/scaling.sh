#!/bin/sh
# Thread scaling: runs ScalingBenchmark once per thread count (JMH -t N), then InterferenceBenchmark
# (an L2 reader beside an L3 streamer, and alone) and the L2 view-hit latency (1 thread, ns/op),
# and writes bench/results/<date>-<machine>-scaling[-TAG].json (every result of the run, each with
# its "threads") and .md (key figures, L2 getInto beside Caffeine, ConcurrentHashMap and
# MemorySegment.copy at every thread count, every throughput with its scaling ratio).
# One JMH JSON per thread count is kept in bench/target/scaling/<name>/.
#
#   bench/scaling.sh [--tag NAME] [ARGS...]
#                      NAME is added to the file names (before, after ...); ARGS go to every JMH run
#   BENCH_SCALING_OPTS="-f 1 -wi 2 -w 1s -i 3 -r 1s"   fork, iteration options (this default:
#                      about 10 minutes on 2 cores)
#   BENCH_SCALING_THREADS="1 2 4 8 16"                  the thread counts; 1 is needed for the ratios
#   BENCH_SCALING_NOTE="..."                            a line for the report (the machine's state)
#
# Builds the benchmark jar first when it is missing or older than the sources.
set -eu
cd "$(dirname "$0")/.."

tag=""
if [ "${1:-}" = "--tag" ]; then
  tag="-$2"
  shift 2
fi
opts="${BENCH_SCALING_OPTS:--f 1 -wi 2 -w 1s -i 3 -r 1s}"
threads="${BENCH_SCALING_THREADS:-1 2 4 8 16}"

. ./bench/common.sh
machine=$(printf '%s' "$cpu" | tr 'A-Z' 'a-z' | sed -e 's/([^)]*)//g' -e 's/ cpu @.*//' -e 's/[^a-z0-9][^a-z0-9]*/-/g' -e 's/^-//' -e 's/-$//')
name="$day-$machine-${cores}c-scaling$tag"
work="bench/target/scaling/$name"
rm -rf "$work"
mkdir -p "$work" bench/results

jmh() {
  # $1: the output file; the rest go to JMH
  out=$1
  shift
  # shellcheck disable=SC2086 # the option strings are meant to split
  "$java" $host_flags -jar "$jar" $opts -foe true -rf json -rff "$out" "$@"
}

load_before=$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo "?")
inputs=""
for t in $threads; do
  echo "== ScalingBenchmark, $t thread(s) =="
  jmh "$work/t$t.json" -t "$t" 'ScalingBenchmark\.' "$@"
  inputs="$inputs --in $work/t$t.json"
done
echo "== InterferenceBenchmark =="
jmh "$work/interference.json" 'InterferenceBenchmark\.' "$@"
echo "== L2 view-hit latency =="
jmh "$work/view-latency.json" -bm avgt -tu ns -t 1 -p size=4096 'ScalingBenchmark\.l2View$' "$@"
load_after=$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo "?")

echo
echo "== $name =="
# shellcheck disable=SC2086 # $inputs is meant to split
"$java" -cp "$jar" dev.tiercache.bench.report.ScalingReport $inputs \
  --in "$work/interference.json" --in "$work/view-latency.json" \
  --json "bench/results/$name.json" --out "bench/results/$name.md" \
  --title "scaling$tag run" --cpu "$cpu" --cores "$cores" --date "$day" --load "$load_before → $load_after" \
  --note "${BENCH_SCALING_NOTE:-JMH options: $opts; thread counts: $threads.}"
echo "written: bench/results/$name.json, bench/results/$name.md (per-run JSON in $work)"
