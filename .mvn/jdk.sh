# Sourced by ./mvnw, ./tiercache and .ci/run: makes JAVA_HOME name a JDK >= 22.
#
# tiercache needs JDK 22+ (the FFM API). Maven itself must run on it as well, not only compile
# with it: an older JDK's jar tool cannot read our module descriptors. JAVA_HOME is kept when it
# is new enough; otherwise the java on PATH and the usual install folders are searched and the
# newest JDK found is used. When there is none, say what to install and stop.

tiercache_java_major() {
  # $1: a JDK home. Prints its feature version (17, 22, 25...) or nothing.
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -n 1
  elif [ -x "$1/bin/java" ]; then
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
  fi
}

tiercache_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    v=$(tiercache_java_major "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 22 ]; then
      return 0
    fi
  fi
  best=""
  best_v=0
  path_java=$(command -v javac 2>/dev/null || true)
  if [ -n "$path_java" ]; then
    path_home=$(dirname "$(dirname "$(readlink -f "$path_java")")")
  else
    path_home=""
  fi
  # globbing may be off in the caller (mvnw runs with set -f)
  case $- in *f*) tiercache_noglob=1; set +f ;; *) tiercache_noglob=0 ;; esac
  for home in "$path_home" /usr/lib/jvm/* /usr/java/* /usr/local/*jdk* /opt/*jdk* /opt/java/* \
              "${HOME:-/nonexistent}"/.sdkman/candidates/java/* "${HOME:-/nonexistent}"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -n "$home" ] && [ -x "$home/bin/javac" ] || continue
    v=$(tiercache_java_major "$home")
    [ -n "$v" ] || continue
    if [ "$v" -ge 22 ] && [ "$v" -gt "$best_v" ]; then
      best="$home"
      best_v="$v"
    fi
  done
  [ "$tiercache_noglob" = 1 ] && set -f
  if [ -z "$best" ]; then
    echo "tiercache needs a JDK 22 or newer (25 recommended) and found none." >&2
    echo "Install one (for example Temurin 25, or your distribution's openjdk-25-jdk) and set JAVA_HOME to it." >&2
    return 1
  fi
  JAVA_HOME="$best"
  export JAVA_HOME
}
