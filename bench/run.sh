#!/bin/sh
# Runs the benchmark suite and writes bench/results/<date>-<machine>-<mode>.json (JMH's own
# output) and .md (the report: machine, targets, ratios, every result), then prints the ratios.
#
#   bench/run.sh            full run: every size and index population, 3 x 1 s warm-up, 5 x 1 s
#   bench/run.sh --quick    a few minutes on 2 cores: 64 KiB and 1 MiB values, 10^3 and 10^6 keys
#   bench/run.sh [--quick] [--tag NAME] ARGS...
#                           ARGS go to JMH as well (a benchmark regex, -i 10, -t 2 ...); NAME is
#                           added to the file names, so a focused run does not replace the suite's
#   BENCH_JMH_OPTS="-f 1 -wi 3 -i 10 ..." bench/run.sh ...
#                           replaces the mode's fork, iteration and parameter options
#
# Builds the benchmark jar first when it is missing or older than the sources.
set -eu
cd "$(dirname "$0")/.."

mode=full
if [ "${1:-}" = "--quick" ]; then
  mode=quick
  shift
fi
tag=""
if [ "${1:-}" = "--tag" ]; then
  tag="-$2"
  shift 2
fi

. ./bench/common.sh
machine=$(printf '%s' "$cpu" | tr 'A-Z' 'a-z' | sed -e 's/([^)]*)//g' -e 's/ cpu @.*//' -e 's/[^a-z0-9][^a-z0-9]*/-/g' -e 's/^-//' -e 's/-$//')
name="$day-$machine-${cores}c-$mode$tag"
mkdir -p bench/results

if [ -n "${BENCH_JMH_OPTS:-}" ]; then
  jmh_opts="$BENCH_JMH_OPTS"
elif [ "$mode" = quick ]; then
  jmh_opts="-f 1 -wi 2 -w 200ms -i 5 -r 200ms -p size=65536,1048576 -p entries=1000,1000000"
else
  jmh_opts="-f 1 -wi 3 -w 1s -i 5 -r 1s"
fi

load_before=$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo "?")
# shellcheck disable=SC2086 # the option strings are meant to split
"$java" $host_flags -jar "$jar" $jmh_opts -prof gc -foe true \
  -rf json -rff "bench/results/$name.json" "$@"

load_after=$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo "?")

# JMH records the path of the java it forked; the report names the JDK by version only.
sed -e 's#"jvm" : ".*"#"jvm" : "java"#' "bench/results/$name.json" > "bench/results/$name.json.tmp"
mv "bench/results/$name.json.tmp" "bench/results/$name.json"

echo
echo "== $name =="
"$java" -cp "$jar" dev.tiercache.bench.report.BenchmarkReport \
  --in "bench/results/$name.json" --out "bench/results/$name.md" \
  --title "$mode$tag run" --cpu "$cpu" --cores "$cores" --date "$day" --load "$load_before → $load_after"
echo "written: bench/results/$name.json, bench/results/$name.md"
