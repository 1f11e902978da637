# Sourced by scripts/install-toolchains.sh and by the guests' build scripts in tests/:
# where the guest toolchains live, and PATH set to find them first.
#   PALISADE_TOOLCHAINS  default: <repo>/target/toolchains
#   $PALISADE_TOOLCHAINS/venv       Python virtualenv: zig, go, componentize-py, wasm-tools
#   $PALISADE_TOOLCHAINS/node       npm packages: asc, componentize-js
#   $PALISADE_TOOLCHAINS/moto-venv  Python virtualenv: moto server and boto3 (the
#                                   tests' local AWS endpoint; not on PATH)
#   PALISADE_MOTO_PYTHON            its python (tests/palisade/moto.rs reads it)
PALISADE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PALISADE_TOOLCHAINS=${PALISADE_TOOLCHAINS:-$PALISADE_ROOT/target/toolchains}
export PALISADE_ROOT PALISADE_TOOLCHAINS
PALISADE_MOTO_PYTHON=${PALISADE_MOTO_PYTHON:-$PALISADE_TOOLCHAINS/moto-venv/bin/python}
export PALISADE_MOTO_PYTHON

# PATH, and the helpers of the packs' build scripts (need, missing, out_path,
# scratch, publish) for the other build scripts of this clone: OUT.wasm is
# required, intermediates go to target/build-scripts.
# shellcheck source=pack-toolchain.sh
source "$PALISADE_ROOT/scripts/toolchains/pack-toolchain.sh"
PACK_CLONE=$PALISADE_ROOT
PACK_WORK="$PALISADE_ROOT/target/build-scripts"
PACK_OUT=""
