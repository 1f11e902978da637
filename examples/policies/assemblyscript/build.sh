#!/usr/bin/env bash
# Builds the AssemblyScript example pack: ./build.sh OUT.wasm
set -euo pipefail
source "$(dirname "$0")/../../../scripts/toolchains/env.sh"
need asc assemblyscript

out=$(out_path "$@")
here=$(cd "$(dirname "$0")" && pwd)
work="$PALISADE_ROOT/target/examples/assemblyscript"
mkdir -p "$work" "$(dirname "$out")"

# incremental: TLSF + incremental GC, so a large batch evaluated by many
# policies does not grow memory without bound. `--use abort=` turns aborts
# into traps, so the module imports nothing.
cd "$here"
asc assembly/index.ts -O3 --runtime incremental --use abort= --noColors -o "$work/pack.wasm"
cp "$work/pack.wasm" "$out"
