#!/usr/bin/env bash
# Build the component-probe pack: ./build.sh OUT.wasm
#
# Like examples/policies/python/build.sh, but WITHOUT --stub-wasi: the
# component imports real WASI 0.2, so the host's sandbox (not a stub) is what
# stops it. app.py and palisade.py are the example's, copied at build time.
# The world is wit/probe.wit: the pack world of sdk/wit (also copied) plus
# direct imports of wasi:sockets (wit/sockets.wit, a subset).
set -euo pipefail
source "$(dirname "$0")/../../../scripts/toolchains/env.sh"
need componentize-py python

out=$(out_path "$@")
src=$(cd "$(dirname "$0")" && pwd)
example="$PALISADE_ROOT/examples/policies/python"

# Build from a copy: importing the app at build time would write __pycache__
# into the source tree.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/app" "$work/wit/deps" "$(dirname "$out")"
cp "$example/app.py" "$example/palisade.py" "$src/policy.py" "$work/app/"
cp "$src/wit/probe.wit" "$work/wit/"
cp "$src/wit/sockets.wit" "$PALISADE_ROOT/sdk/wit/palisade.wit" "$work/wit/deps/"

cd "$work"
componentize-py -d "$work/wit" -w probe componentize \
  -p "$work/app" app -o "$out" >/dev/null
