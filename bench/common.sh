# Sourced by bench/run.sh and bench/scaling.sh from the repository root: finds a JDK >= 22, sets
# $java and $host_flags for the JMH host JVM, builds bench/target/benchmarks.jar when it is missing
# or older than the sources, and names the machine ($cpu, $cores, $day).
. ./.mvn/jdk.sh
tiercache_find_jdk || exit 1
java="$JAVA_HOME/bin/java"
host_flags="--enable-native-access=ALL-UNNAMED -Xmx512m"
if [ "$(tiercache_java_major "$JAVA_HOME")" -ge 23 ]; then
  host_flags="$host_flags --sun-misc-unsafe-memory-access=allow"
fi

jar=bench/target/benchmarks.jar
if [ ! -f "$jar" ] || [ -n "$(find bench/src cache/src bindings/src bench/pom.xml -newer "$jar" -print 2>/dev/null | head -n 1)" ]; then
  echo "building $jar"
  ./mvnw -B -q -DskipTests -pl bench -am package -Dbench.smoke.skip=true
fi

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)
day=$(date +%Y-%m-%d)
