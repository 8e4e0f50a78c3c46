#!/usr/bin/env bash
# Regenerates the jextract-shaped bindings from our own headers in native-headers/.
#
#   tools/jextract/regenerate.sh            # all bindings
#   JEXTRACT=/path/to/jextract tools/jextract/regenerate.sh
#
# Needs jextract built for JDK 22 (its jdk22 branch): master's output calls
# SymbolLookup.findOrThrow, which exists only from JDK 23, and tiercache supports JDK 22.
#
# One edit follows each run, and only one: the header class's SYMBOL_LOOKUP line is pointed at our
# library discovery (CudaLibrary, Lz4Library) or at the default lookup (libc), because jextract's
# own `-l` would open the unversioned libcudart.so that distributions do not ship, and because a
# simulated device must be able to answer the same symbols.
set -euo pipefail
cd "$(dirname "$0")/../.."

jextract="${JEXTRACT:-$(command -v jextract || true)}"
if [ -z "$jextract" ] || [ ! -x "$jextract" ]; then
  echo "jextract is not installed: get a JDK 22 build from https://jdk.java.net/jextract (or build its jdk22 branch)," >&2
  echo "then put it on PATH or set JEXTRACT=/path/to/bin/jextract. Nothing was changed." >&2
  exit 2
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

generate() {
  # $1 header, $2 include list, $3 package, $4 header class, $5 module source root, $6 SYMBOL_LOOKUP expression
  "$jextract" --output "$out" --target-package "$3" --header-class-name "$4" @"$2" "$1"
  local dir="$5/$(echo "$3" | tr . /)"
  mkdir -p "$dir"
  sed -e "s|^\(    static final SymbolLookup SYMBOL_LOOKUP = \).*|\1$6;|" \
      -e '/^            .or(Linker.nativeLinker().defaultLookup());$/d' \
      "$out/$(echo "$3" | tr . /)/$4.java" > "$dir/$4.java"
  echo "regenerated $dir/$4.java"
}

generate native-headers/cudart/cudart.h native-headers/cudart/includes.txt \
  dev.tiercache.cuda.raw cudart_h bindings/src/main/java 'dev.tiercache.cuda.CudaLibrary.symbolLookup()'

generate native-headers/cuda/cuda.h native-headers/cuda/includes.txt \
  dev.tiercache.cuda.raw cuda_h bindings/src/main/java 'dev.tiercache.cuda.CudaLibrary.driverSymbolLookup()'

if [ -f native-headers/lz4/lz4.h ]; then
  generate native-headers/lz4/lz4.h native-headers/lz4/includes.txt \
    dev.tiercache.lz4 lz4_h bindings/src/main/java 'dev.tiercache.lz4.Lz4Library.symbolLookup()'
fi
if [ -f native-headers/libc/libc.h ]; then
  generate native-headers/libc/libc.h native-headers/libc/includes.txt \
    dev.tiercache.libc libc_h bindings/src/main/java 'Linker.nativeLinker().defaultLookup()'
fi
echo "Review with: git diff -- bindings/src/main/java"
