#!/usr/bin/env bash
# Builds the JavaScript example pack: ./build.sh OUT.wasm
#
# A WebAssembly component of the `pack` world (sdk/wit/palisade.wit), made by
# componentize-js from policy.js, which imports ./palisade.js: the engine
# embedded in the component resolves that import itself while it pre-runs the
# module at build time, so no bundler is needed. Every WASI feature is
# disabled: the component imports nothing but the world's type interface.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../../scripts/toolchains/env.sh
source "$here/../../../scripts/toolchains/env.sh"
need node javascript
need componentize-js javascript

out=$(out_path "$@")

# Build from this folder: the source paths the engine records are then
# relative to it (`policy.js`, `palisade.js`), whatever the caller's cwd.
cd "$here"
componentize-js policy.js \
  --wit "$PALISADE_ROOT/sdk/wit" --world-name pack \
  --disable stdio random clocks http fetch-event \
  --out "$out"
