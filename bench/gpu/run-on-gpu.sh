#!/bin/sh
# Runs in the unpacked GPU kit (see bench/gpu/run.sh): needs nothing but the NVIDIA driver.
# TIERCACHE_KIT_SIMULATE=1 runs the same steps on the simulated device (the build machine's check).
set -u
kit=$(cd "$(dirname "$0")" && pwd)
out=${1:-./gpu-report}
mkdir -p "$out"
out=$(cd "$out" && pwd)
java="$kit/jdk/bin/java --enable-native-access=ALL-UNNAMED"
cp=$(ls "$kit"/lib/*.jar | grep -v -e console-standalone -e tiercache-cli -e benchmarks | tr '\n' ':')
console=$(ls "$kit"/lib/junit-platform-console-standalone-*.jar)
report="$out/report.md"
sim=""
[ "${TIERCACHE_KIT_SIMULATE:-0}" = 1 ] && sim="-Dtiercache.cudart=sim:mx250"
step() { echo "== $1" | tee -a "$report"; }

{
  echo "# tiercache GPU check, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "machine: $(uname -srm), $(nproc) cores"
  if command -v nvidia-smi >/dev/null 2>&1; then
    echo "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
  else
    echo "device: no nvidia-smi here${sim:+ (simulated run)}"
  fi
  echo
} > "$report"

step "tests: cuda-tagged and kernel tests (bindings)"
if [ -n "$sim" ]; then
  # the simulated device answers the kernel path; the cuda-tagged tests skip themselves
  timeout 240 $java $sim -jar "$console" execute --class-path "$cp$kit/test-classes/bindings" \
    --select-class dev.tiercache.cuda.DeviceNormalizerTest --details=summary --disable-banner 2>&1 | tee -a "$report" | tail -20
else
  timeout 240 $java -jar "$console" execute --class-path "$cp$kit/test-classes/bindings" \
    --select-class dev.tiercache.cuda.RealCudartGpuTest --select-class dev.tiercache.cuda.RealCudartKernelGpuTest \
    --details=tree --disable-banner 2>&1 | tee -a "$report" | tail -40
fi

step "tests: cuda-tagged (cache)"
timeout 120 $java $sim -jar "$console" execute --class-path "$cp$kit/test-classes/cache" --include-tag cuda \
  --scan-class-path "$kit/test-classes/cache" --details=summary --disable-banner 2>&1 | tee -a "$report" | tail -20

step "demo: 500 images, 2 epochs"
timeout 180 $java $sim -jar "$kit/lib/tiercache-cli.jar" demo --count 500 --epochs 2 --data "$out/demo-data" 2>&1 \
  | grep -v '\[#*-*\]' | tee -a "$report" | tail -20

step "benchmarks: L2->L1 promotion and L3->L2 (TierMoveBenchmark), against raw copies"
# JMH refuses to start while another JMH run on the machine holds its lock file; the kit's run is
# the only benchmark it starts, so a lock left by someone else must not skip its figures
timeout 150 $java -Djmh.ignoreLock=true -jar "$kit/lib/benchmarks.jar" TierMoveBenchmark -f 1 -wi 2 -i 3 -w 1 -r 1 -p size=65536,4194304 \
  -jvmArgsAppend "--enable-native-access=ALL-UNNAMED $sim" -rf json -rff "$out/tier-move.json" 2>&1 | tail -12 | tee -a "$report"

step "benchmarks: getOnDevice hit vs a raw device pointer, device normalisation vs the host loop (1-64 MiB)"
if [ -n "$sim" ]; then
  # the build machine's check: one small size, in this JVM (the simulated device is selected already)
  timeout 120 $java $sim -Djmh.ignoreLock=true -jar "$kit/lib/benchmarks.jar" DeviceHitBenchmark DeviceNormalizeBenchmark -f 0 -wi 0 -i 1 \
    -r 200ms -p size=65536 -rf json -rff "$out/device.json" 2>&1 | grep -E '^(Benchmark|Device)' | tee -a "$report"
else
  timeout 180 $java -Djmh.ignoreLock=true -jar "$kit/lib/benchmarks.jar" DeviceHitBenchmark DeviceNormalizeBenchmark -f 1 -wi 1 -i 3 \
    -w 500ms -r 500ms -p size=1048576,8388608,67108864 -jvmArgsAppend "--enable-native-access=ALL-UNNAMED" \
    -rf json -rff "$out/device.json" 2>&1 | grep -E '^(Benchmark|Device)' | tee -a "$report"
fi
# GB/s and the fraction of the device's memory bandwidth (memory clock x bus width from cudaDeviceGetAttribute)
timeout 60 $java $sim -cp "$kit/lib/benchmarks.jar" dev.tiercache.bench.report.GpuReport "$out/device.json" 2>&1 | tee -a "$report"

echo "report: $report"
