#!/bin/sh
# The GPU check kit: builds a self-contained bundle here, runs it on a machine with an NVIDIA GPU and
# neither Java nor network.
#
#   bench/gpu/run.sh bundle       here: builds bench/gpu/target/tiercache-gpu-kit.tgz (a jlinked JDK,
#                                 the library, its test classes, the JUnit console, the demo and the
#                                 benchmarks) and checks that it is under 64 MiB
#   bench/gpu/run.sh check        here: unpacks the bundle and runs its non-GPU part on the simulated
#                                 device (the kernel path included), as the GPU run will run it
#   tar xzf tiercache-gpu-kit.tgz && kit/run-on-gpu.sh [OUT]
#                                 there: the cuda-tagged tests, the kernel against the host result,
#                                 the demo on the real GPU and the GPU benchmarks (L2->L1 promotion,
#                                 the getOnDevice hit against a raw pointer, device normalisation
#                                 against the host loop, in GB/s and % of the memory bandwidth); a
#                                 report in OUT (default ./gpu-report); about 6 minutes
#
# `bundle` needs the JUnit console jar from Maven Central once (./mvnw dependency:copy).
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
target=bench/gpu/target
kit=$target/kit
limit=$((64 * 1024 * 1024))

. ./.mvn/jdk.sh
tiercache_find_jdk

bundle() {
  rm -rf "$kit" && mkdir -p "$kit/lib" "$kit/test-classes"
  ./mvnw -B -q -o -DskipTests -Dbench.smoke.skip=true -Dstress.skip=true package -pl bindings,cache,tools,bench -am
  version=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml | head -1)
  ./mvnw -B -q dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$version" -DoutputDirectory="$kit/lib"
  # in a reactor with -am: alone, -pl cache would look for the bindings jar in the local repository
  ./mvnw -B -q -o -DskipTests -Dbench.smoke.skip=true -Dstress.skip=true package dependency:copy-dependencies -pl cache -am \
    -DincludeScope=runtime -DexcludeGroupIds=dev.tiercache -DoutputDirectory="$root/$kit/lib"
  cp bindings/target/tiercache-bindings-*.jar cache/target/tiercache-[0-9]*.jar "$kit/lib/"
  cp -r bindings/target/test-classes "$kit/test-classes/bindings"
  cp -r cache/target/test-classes "$kit/test-classes/cache"
  cp tools/target/tiercache-cli.jar "$kit/lib/"
  cp bench/target/benchmarks.jar "$kit/lib/"
  rm -f "$kit"/lib/*-sources.jar "$kit"/lib/*-javadoc.jar
  "$JAVA_HOME/bin/jlink" --add-modules java.base,java.desktop,java.management,java.logging,java.naming,jdk.unsupported,jdk.management \
    --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$kit/jdk"
  cp bench/gpu/run-on-gpu.sh "$kit/"
  chmod +x "$kit/run-on-gpu.sh"
  tar -C "$target" -czf "$target/tiercache-gpu-kit.tgz" kit
  size=$(wc -c < "$target/tiercache-gpu-kit.tgz")
  echo "bundle: $target/tiercache-gpu-kit.tgz, $((size / 1024 / 1024)) MiB ($size bytes), unpacked $(du -sh "$kit" | cut -f1)"
  if [ "$size" -ge "$limit" ]; then
    echo "bundle: too large: $size bytes >= $limit" >&2
    exit 1
  fi
}

case "${1:-}" in
  bundle) bundle ;;
  check)
    [ -f "$target/tiercache-gpu-kit.tgz" ] || bundle
    rm -rf "$target/check" && mkdir -p "$target/check"
    tar -C "$target/check" -xzf "$target/tiercache-gpu-kit.tgz"
    TIERCACHE_KIT_SIMULATE=1 "$target/check/kit/run-on-gpu.sh" "$target/check/report"
    ;;
  *) sed -n '2,19p' "$0"; exit 2 ;;
esac
