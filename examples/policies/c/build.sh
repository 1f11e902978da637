#!/usr/bin/env bash
# Builds the pack in C: ./build.sh [OUT.wasm] (a core module, guest ABI v1).
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
need clang-22 c
need wasm-ld-22 c
[ -f /usr/lib/wasm32-wasi/libc.a ] || missing c "wasi-libc not found: /usr/lib/wasm32-wasi/libc.a"
out=$(out_path "$@")
scratch

# A WASI reactor: wasi-libc gives malloc and the string functions, which use
# no WASI imports; `_initialize` runs the constructors.
# -Os: a third smaller than -O2, and as fast for these policies.
clang-22 --target=wasm32-wasi -Wno-deprecated --sysroot=/usr \
  -mexec-model=reactor -Os -std=c11 -Wall -Wextra \
  -Wl,-z,stack-size=262144 -Wl,--strip-all \
  -o "$PACK_TMP/pack.wasm" "$PACK_DIR/palisade.c" "$PACK_DIR/policy.c"
publish "$PACK_TMP/pack.wasm" "$out"
