#!/usr/bin/env bash
# Builds the Rust example pack: ./build.sh OUT.wasm
#
# A core module (guest ABI v1) for wasm32-unknown-unknown, built with one of
# the two toolchains the host's build.rs uses for the built-in packs:
#   rustup  the rustup cargo and rustc, with `rustup target add wasm32-unknown-unknown`
#   debian  Debian's rustc-web, cargo-web, rust-web-src and lld-22, building the
#           standard library from source (-Zbuild-std) and linking with wasm-ld-22
# PALISADE_GUEST_TOOLCHAIN=rustup|debian forces one; otherwise rustup when the
# target's standard library is installed, else debian.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../../scripts/toolchains/env.sh
source "$here/../../../scripts/toolchains/env.sh"

out=$(out_path "$@")

target=wasm32-unknown-unknown
debian_cargo=/usr/bin/cargo
debian_rustc=/usr/bin/rustc
debian_std_src=/usr/lib/rustlib/src/rust/library
debian_linker=wasm-ld-22

have_rustup_std() {
  local libdir
  libdir=$(rustc --print target-libdir --target "$target" 2>/dev/null) || return 1
  compgen -G "$libdir/libstd-*" >/dev/null
}

toolchain=${PALISADE_GUEST_TOOLCHAIN:-}
case $toolchain in
  rustup | debian) ;;
  "")
    if command -v rustc >/dev/null 2>&1 && have_rustup_std; then
      toolchain=rustup
    elif [ -x "$debian_cargo" ] && [ -x "$debian_rustc" ] && [ -d "$debian_std_src" ]; then
      toolchain=debian
    else
      echo "error: the rust toolchain is not installed (no standard library for $target, no Debian rustc-web); run: scripts/install-toolchains.sh rust" >&2
      exit 1
    fi
    ;;
  *)
    echo "error: PALISADE_GUEST_TOOLCHAIN=$toolchain: expected rustup or debian" >&2
    exit 1
    ;;
esac

# The settings of an outer cargo (e.g. the test suite's) must not leak in.
while read -r name; do
  case $name in
    CARGO_FEATURE_* | CARGO_CFG_* | CARGO_PKG_* | CARGO_MANIFEST_* | CARGO_PROFILE_* | \
      CARGO_ENCODED_RUSTFLAGS | RUSTC | RUSTFLAGS | CARGO_BUILD_TARGET | CARGO_TARGET_DIR | \
      CARGO_BUILD_RUSTFLAGS | RUSTC_WORKSPACE_WRAPPER | CARGO_PRIMARY_PACKAGE | CARGO_CRATE_NAME | \
      OUT_DIR | TARGET | HOST | PROFILE | OPT_LEVEL | DEBUG)
      unset "$name"
      ;;
  esac
done < <(compgen -e)

target_dir="$PALISADE_ROOT/target/examples/rust"
args=(build --release --locked --quiet --target "$target" --manifest-path "$here/Cargo.toml" --target-dir "$target_dir")
if [ "$toolchain" = rustup ]; then
  need cargo rust
  need rustc rust
  cargo "${args[@]}"
else
  need "$debian_cargo" rust
  need "$debian_rustc" rust
  need "$debian_linker" rust
  [ -d "$debian_std_src" ] || {
    echo "error: the rust toolchain is not installed ($debian_std_src not found); run: scripts/install-toolchains.sh rust" >&2
    exit 1
  }
  unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER
  RUSTC="$debian_rustc" RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$debian_linker" \
    "$debian_cargo" "${args[@]}" -Zbuild-std=std,panic_abort
fi
cp "$target_dir/$target/release/example_rust.wasm" "$out"
