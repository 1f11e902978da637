#!/usr/bin/env bash
# Builds the pack in Rust: ./build.sh [OUT.wasm]
#
# A core module (guest ABI v1) for wasm32-unknown-unknown, built with one of
# the two toolchains Palisade's build.rs uses for its built-in packs:
#   rustup  cargo and rustc, after `rustup target add wasm32-unknown-unknown`
#   debian  Debian's rustc-web, cargo-web, rust-web-src and lld-22, building the
#           standard library from source (-Zbuild-std), linking with wasm-ld-22
# PALISADE_GUEST_TOOLCHAIN=rustup|debian forces one; otherwise rustup when the
# target's standard library is installed, else debian.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
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
have_debian() {
  [ -x "$debian_cargo" ] && [ -x "$debian_rustc" ] && [ -d "$debian_std_src" ]
}

toolchain=${PALISADE_GUEST_TOOLCHAIN:-}
case $toolchain in
  rustup) command -v rustc >/dev/null 2>&1 && have_rustup_std ||
    missing rust "no standard library for $target (rustup target add $target)" ;;
  debian) have_debian || missing rust "no Debian rustc-web ($debian_cargo, $debian_rustc, $debian_std_src)" ;;
  "")
    if command -v rustc >/dev/null 2>&1 && have_rustup_std; then
      toolchain=rustup
    elif have_debian; then
      toolchain=debian
    else
      missing rust "no standard library for $target (rustup target add $target), no Debian rustc-web"
    fi
    ;;
  *)
    echo "error: PALISADE_GUEST_TOOLCHAIN=$toolchain: expected rustup or debian" >&2
    exit 1
    ;;
esac

# The settings of an outer cargo (a build script, a test) must not leak in.
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

# The library's file: the package name of Cargo.toml, `-` made `_`.
crate=$(sed -n 's/^name *= *"\([^"]*\)".*/\1/p' "$PACK_DIR/Cargo.toml" | head -n 1)
crate=${crate//-/_}
args=(build --release --locked --quiet --target "$target" --manifest-path "$PACK_DIR/Cargo.toml" --target-dir "$PACK_WORK")
if [ "$toolchain" = rustup ]; then
  need cargo rust
  cargo "${args[@]}"
else
  need "$debian_linker" rust
  unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER
  RUSTC="$debian_rustc" RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$debian_linker" \
    "$debian_cargo" "${args[@]}" -Zbuild-std=std,panic_abort
fi
publish "$PACK_WORK/$target/release/$crate.wasm" "$out"
