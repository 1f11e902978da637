#!/usr/bin/env bash
# Builds the pack in JavaScript: ./build.sh [OUT.wasm]
#
# A WebAssembly component of the `pack` world (wit/), made by componentize-js
# from policy.js, which imports ./palisade.js: the engine embedded in the
# component resolves that import itself while it pre-runs the module at
# build time, so no bundler is needed. Every WASI feature is disabled: the
# component imports nothing but the world's type interface.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
need node javascript
need componentize-js javascript
out=$(out_path "$@")
scratch

# Build from this folder: the source paths the engine records are then
# relative to it (`policy.js`, `palisade.js`), whatever the caller's cwd.
cd "$PACK_DIR"
componentize-js policy.js \
  --wit "$PACK_DIR/wit" --world-name pack \
  --disable stdio random clocks http fetch-event \
  --out "$PACK_TMP/pack.wasm"
publish "$PACK_TMP/pack.wasm" "$out"
