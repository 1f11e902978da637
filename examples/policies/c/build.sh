#!/usr/bin/env bash
# Builds the example pack in C: ./build.sh OUT.wasm (a core module, ABI v1).
set -euo pipefail
source "$(dirname "$0")/../../../scripts/toolchains/env.sh"
need clang-22 c
need wasm-ld-22 c
if [ ! -f /usr/lib/wasm32-wasi/libc.a ]; then
  echo "error: the c toolchain is not installed (wasi-libc not found); run: scripts/install-toolchains.sh c" >&2
  exit 1
fi

out=$(out_path "$@")
src=$(cd "$(dirname "$0")" && pwd)
work="$PALISADE_ROOT/target/examples/c"
mkdir -p "$work" "$(dirname "$out")"
tmp=$(mktemp -p "$work" pack.XXXXXX)
trap 'rm -f "$tmp"' EXIT

# A WASI reactor: wasi-libc gives malloc and the string functions, which use
# no WASI imports; `_initialize` runs the constructors.
# -Os: a third smaller than -O2, and as fast for these policies.
clang-22 --target=wasm32-wasi -Wno-deprecated --sysroot=/usr \
  -mexec-model=reactor -Os -std=c11 -Wall -Wextra \
  -Wl,-z,stack-size=262144 -Wl,--strip-all \
  -o "$tmp" "$src/palisade.c" "$src/policy.c"
chmod 644 "$tmp"
mv -f "$tmp" "$out"
