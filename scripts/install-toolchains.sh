#!/usr/bin/env bash
# Installs what building Palisade needs beyond the Rust toolchain: a compiler
# for wasm32-unknown-unknown, the target the built-in policy packs build to
# (see build.rs). Idempotent: a second run does nothing. Used by the README
# and by .ci/run.
#
# 1. rustup: `rustup target add wasm32-unknown-unknown` (seconds);
# 2. else Debian's packages rustc-web, cargo-web, rust-web-src and lld-22
#    (about 1 GB), which build.rs then uses with -Zbuild-std.
# PALISADE_GUEST_TOOLCHAIN=debian skips step 1 (build.rs honours it too).
set -euo pipefail

target=wasm32-unknown-unknown
debian_packages=(rustc-web cargo-web rust-web-src lld-22)

have_rustup_target() {
  local libdir
  libdir=$(rustc --print target-libdir --target "$target" 2>/dev/null) || return 1
  compgen -G "$libdir/libstd-*.rlib" >/dev/null
}

have_debian_toolchain() {
  [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust/library ] &&
    command -v wasm-ld-22 >/dev/null
}

if [ "${PALISADE_GUEST_TOOLCHAIN:-}" != debian ]; then
  if have_rustup_target; then
    echo "install-toolchains: $target is installed (rustup)"
    exit 0
  fi
  if command -v rustup >/dev/null 2>&1; then
    for attempt in 1 2 3; do
      if timeout 300 rustup target add "$target"; then
        echo "install-toolchains: installed $target with rustup"
        exit 0
      fi
      echo "install-toolchains: rustup target add failed (attempt $attempt)" >&2
      sleep $((attempt * 5))
    done
  fi
  echo "install-toolchains: rustup cannot add $target; falling back to Debian's rustc-web" >&2
fi

if have_debian_toolchain; then
  echo "install-toolchains: Debian's rustc-web toolchain is installed"
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${debian_packages[@]}"
  if have_debian_toolchain; then
    echo "install-toolchains: installed Debian's rustc-web toolchain"
    exit 0
  fi
fi

cat >&2 <<MSG
install-toolchains: cannot install a compiler for $target.
Palisade's built-in policy packs are Rust crates compiled to WebAssembly by
build.rs. Either install the target with rustup:
    rustup target add $target
or, on Debian 12, the packages: ${debian_packages[*]}
MSG
exit 1
