#!/usr/bin/env bash
# Builds the Zig example pack from source: ./build.sh OUT.wasm
# Intermediates and the Zig caches live under target/examples/zig.
set -euo pipefail
source "$(dirname "$0")/../../../scripts/toolchains/env.sh"
need python-zig zig

out=$(out_path "$@")
src=$(cd "$(dirname "$0")" && pwd)
work="$PALISADE_ROOT/target/examples/zig"
mkdir -p "$work"
export ZIG_GLOBAL_CACHE_DIR="$work/global-cache"
export ZIG_LOCAL_CACHE_DIR="$work/cache"
tmp=$(mktemp -d "$work/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
python -m ziglang build-exe "$src/policy.zig" \
  -target wasm32-freestanding -fno-entry -rdynamic -O ReleaseSmall \
  --name policy -femit-bin="$tmp/policy.wasm"
mkdir -p "$(dirname "$out")"
cp "$tmp/policy.wasm" "$out"
