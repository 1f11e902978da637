# Sourced by a policy pack's build.sh (as the pack folder's toolchain.sh):
# where the tools and the intermediates are, and the helpers every build.sh
# uses. The one copy is scripts/toolchains/pack-toolchain.sh in Palisade;
# each examples/policies/LANG/toolchain.sh links to it, and `palisade new`
# puts it in every scaffold.
#
# Tools: each one under $PALISADE_TOOLCHAINS first (the target/toolchains
# folder of a Palisade clone, where `scripts/install-toolchains.sh LANG`
# installs it: venv/bin has zig, go, componentize-py; node/node_modules/.bin
# has asc, componentize-js), then on PATH. In a clone (the pack folder is
# examples/policies/LANG of it), $PALISADE_TOOLCHAINS defaults to the clone's
# target/toolchains and the intermediates go to the clone's
# target/examples/LANG; elsewhere they go to target/ in the pack folder.
#
# Sets PACK_DIR (the pack folder), PACK_NAME (its name), PACK_WORK (the
# intermediates), PACK_OUT (the default OUT; empty: OUT is required) and
# PACK_CLONE (the clone it sits in, or empty). The env.sh beside it in a clone
# sources it for the helpers, with no default OUT.
PACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PACK_NAME=$(basename "$PACK_DIR")
PACK_CLONE=${PACK_DIR%/*/*/*}
if [[ $PACK_DIR == */examples/policies/* ]] && [ -f "$PACK_CLONE/scripts/install-toolchains.sh" ]; then
  PALISADE_TOOLCHAINS=${PALISADE_TOOLCHAINS:-$PACK_CLONE/target/toolchains}
  PACK_WORK="$PACK_CLONE/target/examples/$PACK_NAME"
  PACK_OUT="$PACK_WORK/$PACK_NAME.wasm"
elif [[ $PACK_DIR == */tests/guests/* ]] && [ -f "$PACK_CLONE/scripts/install-toolchains.sh" ]; then
  # A test pack of the clone (tests/guests/NAME): built under target/ too.
  PALISADE_TOOLCHAINS=${PALISADE_TOOLCHAINS:-$PACK_CLONE/target/toolchains}
  PACK_WORK="$PACK_CLONE/target/test-guests/$PACK_NAME"
  PACK_OUT="$PACK_WORK/$PACK_NAME.wasm"
else
  PACK_CLONE=""
  PACK_WORK="$PACK_DIR/target"
  PACK_OUT="$PACK_DIR/$PACK_NAME.wasm"
fi
export PACK_DIR PACK_NAME PACK_WORK
if [ -n "${PALISADE_TOOLCHAINS:-}" ]; then
  export PALISADE_TOOLCHAINS
  export PATH="$PALISADE_TOOLCHAINS/venv/bin:$PALISADE_TOOLCHAINS/node/node_modules/.bin:$PATH"
fi

# missing LANGUAGE WHAT: the install command, then exit 1.
missing() {
  {
    echo "error: the $1 toolchain is not installed ($2)."
    if [ -n "$PACK_CLONE" ]; then
      echo "Install it: $PACK_CLONE/scripts/install-toolchains.sh $1"
    else
      echo "Install it from a clone of Palisade: scripts/install-toolchains.sh $1"
      echo "then: export PALISADE_TOOLCHAINS=/path/to/palisade/target/toolchains"
    fi
  } >&2
  exit 1
}

# need TOOL LANGUAGE: fail with the install command when TOOL is not found.
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    missing "$2" "$1 is not under ${PALISADE_TOOLCHAINS:-\$PALISADE_TOOLCHAINS (unset)} nor on PATH"
  fi
}

# out_path "$@": the one argument OUT.wasm (default: $PACK_OUT, NAME.wasm
# in the pack folder; in a clone, in its intermediates) as an absolute path
# (so build.sh may cd), its folder created. More arguments, no OUT and no
# default, an OUT starting with '-', or one that exists and is not a regular
# file (a directory, a device): the usage or an error, and exit 2.
out_path() {
  local usage="usage: $0 ${PACK_OUT:+[}OUT.wasm${PACK_OUT:+]}"
  if [ $# -gt 1 ] || { [ $# -eq 1 ] && [ -z "$1" ]; } || [ -z "${1:-$PACK_OUT}" ]; then
    echo "$usage" >&2
    exit 2
  fi
  local out=${1:-$PACK_OUT}
  case "$out" in -*)
    echo "$usage (an output path may not start with '-'; write ./$out)" >&2
    exit 2
    ;;
  esac
  if [ -d "$out" ]; then
    echo "error: $out is a directory; give the path of the .wasm file to write" >&2
    exit 2
  fi
  if [ -e "$out" ] && [ ! -f "$out" ]; then
    echo "error: $out exists and is not a regular file (a device, a FIFO?); refusing to replace it" >&2
    exit 2
  fi
  out=$(realpath -m -- "$out")
  mkdir -p -- "$(dirname -- "$out")" || exit 2
  printf '%s\n' "$out"
}

# scratch: a new empty folder $PACK_TMP under $PACK_WORK, removed on exit
# (call it directly, not in $(...)); concurrent builds never share one.
scratch() {
  mkdir -p -- "$PACK_WORK"
  PACK_TMP=$(mktemp -d "$PACK_WORK/build.XXXXXX")
  trap 'rm -rf -- "$PACK_TMP"' EXIT
}

# publish FILE OUT: copy FILE to OUT atomically (mode 644): OUT is the old
# file or the new one, never a part.
publish() {
  local tmp
  tmp=$(mktemp -p "$(dirname -- "$2")" ".$(basename -- "$2").XXXXXX") || exit 1
  if ! { cp -- "$1" "$tmp" && chmod 644 "$tmp" && mv -f -- "$tmp" "$2"; }; then
    rm -f -- "$tmp"
    echo "error: cannot write $2" >&2
    exit 1
  fi
}
