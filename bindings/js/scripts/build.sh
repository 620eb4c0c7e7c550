#!/usr/bin/env bash
# Builds the WebAssembly artefacts of the JavaScript package from the core's sources with emscripten (Debian's
# emscripten package, 3.1.6) and copies them into bindings/js/dist/:
#   braid-simd.{mjs,wasm}    SIMD128 + native WebAssembly exceptions
#   braid-plain.{mjs,wasm}   WebAssembly 1.0 (the fallback for engines without SIMD)
# Each variant is the root CMake project configured with emcmake (cmake/wasm.cmake), in build/wasm-<variant>.
# Usage: bash bindings/js/scripts/build.sh [simd] [plain]     (both by default)
# The compile takes a few minutes per variant on two cores; it holds /tmp/braid-build.lock so that it never
# runs beside another heavy build.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
variants=("$@")
[ ${#variants[@]} -eq 0 ] && variants=(simd plain)
command -v emcmake >/dev/null || { echo "emcmake not found: apt-get install emscripten (or make js-deps)" >&2; exit 1; }
# Debian's emscripten needs its JavaScript dependencies (acorn) from the system's node path.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
lock=${BRAID_BUILD_LOCK:-/tmp/braid-build.lock}
mkdir -p bindings/js/dist
for v in "${variants[@]}"; do
  case $v in simd | plain) ;; *) echo "unknown variant '$v' (simd or plain)" >&2; exit 2 ;; esac
  dir=build/wasm-$v
  if [ ! -f "$dir/build.ninja" ]; then
    flock "$lock" emcmake cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBRAID_WASM_VARIANT="$v" \
      -Wno-dev >/dev/null
  fi
  flock "$lock" cmake --build "$dir" --target braid_wasm -j "${BRAID_BUILD_JOBS:-2}"
  cp "$dir/braid-$v.mjs" "$dir/braid-$v.wasm" bindings/js/dist/
  size=$(stat -c %s "bindings/js/dist/braid-$v.wasm")
  gz=$(gzip -9 <"bindings/js/dist/braid-$v.wasm" | wc -c)
  echo "braid-$v.wasm: $size bytes, $gz gzipped (-9)"
done
