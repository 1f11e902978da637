#!/usr/bin/env bash
# Builds the pack in Zig: ./build.sh [OUT.wasm] (a core module, guest ABI v1).
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
# `zig`, or the ziglang package's `python-zig` (what the install script puts
# in $PALISADE_TOOLCHAINS/venv/bin).
if command -v zig >/dev/null 2>&1; then zig=zig; else
  need python-zig zig
  zig=python-zig
fi
out=$(out_path "$@")
scratch
# The Zig caches live with the intermediates, never in this folder or $HOME.
export ZIG_GLOBAL_CACHE_DIR="$PACK_WORK/zig/global-cache" ZIG_LOCAL_CACHE_DIR="$PACK_WORK/zig/cache"
cd "$PACK_TMP"
"$zig" build-exe "$PACK_DIR/policy.zig" \
  -target wasm32-freestanding -fno-entry -rdynamic -O ReleaseSmall \
  --name policy -femit-bin="$PACK_TMP/policy.wasm"
publish "$PACK_TMP/policy.wasm" "$out"
