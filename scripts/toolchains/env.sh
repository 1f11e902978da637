# Sourced by scripts/install-toolchains.sh and by every examples/policies/*/build.sh:
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
export PATH="$PALISADE_TOOLCHAINS/venv/bin:$PALISADE_TOOLCHAINS/node/node_modules/.bin:$PATH"

# need TOOL LANGUAGE: fail with a clear message when TOOL is not installed.
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "error: the $2 toolchain is not installed ($1 not found); run: scripts/install-toolchains.sh $2" >&2
    exit 1
  fi
}

# out_path "$@": a build script's one argument, OUT.wasm, as an absolute path
# (so the script may cd), its folder created; with any other arguments, an
# OUT starting with '-', or an OUT that exists but is not a regular file (a
# directory, a device), the usage or an error and exit 2.
out_path() {
  if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 OUT.wasm" >&2
    exit 2
  fi
  case "$1" in -*)
    echo "usage: $0 OUT.wasm (an output path may not start with '-'; write ./$1)" >&2
    exit 2
    ;;
  esac
  if [ -d "$1" ]; then
    echo "error: $1 is a directory; give the path of the .wasm file to write" >&2
    exit 2
  fi
  if [ -e "$1" ] && [ ! -f "$1" ]; then
    echo "error: $1 exists and is not a regular file (a device, a FIFO?); refusing to replace it" >&2
    exit 2
  fi
  local out
  out=$(realpath -m -- "$1")
  mkdir -p -- "$(dirname -- "$out")" || exit 2
  printf '%s\n' "$out"
}
