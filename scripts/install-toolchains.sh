#!/usr/bin/env bash
# Installs what building Palisade needs beyond the Rust toolchain: the
# wasm32-unknown-unknown target that the built-in policy packs compile to.
# Idempotent: a second run does nothing. Used by the README and by .ci/run.
set -euo pipefail

target=wasm32-unknown-unknown

if rustc --print target-libdir --target "$target" >/dev/null 2>&1 &&
   [ -d "$(rustc --print target-libdir --target "$target")" ] &&
   ls "$(rustc --print target-libdir --target "$target")"/libstd-*.rlib >/dev/null 2>&1; then
  echo "install-toolchains: $target is installed"
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

cat >&2 <<MSG
install-toolchains: cannot install the Rust target $target.
Palisade's built-in policy packs are Rust crates compiled to WebAssembly by
build.rs, which needs that target. Install it with
    rustup target add $target
(rustup is the Rust toolchain installer; see https://rustup.rs).
MSG
exit 1
