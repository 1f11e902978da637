#!/usr/bin/env bash
# Builds the pack in AssemblyScript: ./build.sh [OUT.wasm] (a core module,
# guest ABI v1).
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
need node assemblyscript
need asc assemblyscript
out=$(out_path "$@")
scratch

# incremental: TLSF + incremental GC, so a large batch evaluated by many
# policies does not grow memory without bound. `--use abort=` turns aborts
# into traps, so the module imports nothing.
cd "$PACK_DIR"
asc assembly/index.ts -O3 --runtime incremental --use abort= --noColors -o "$PACK_TMP/pack.wasm"
publish "$PACK_TMP/pack.wasm" "$out"
