#!/usr/bin/env bash
# Installs the toolchains that build Palisade's WebAssembly guests, idempotently
# (a second run only checks). Used by the README and by .ci/run.
#
#   scripts/install-toolchains.sh            everything
#   scripts/install-toolchains.sh rust c     only those languages
#   scripts/install-toolchains.sh moto       only the local AWS endpoint
#   scripts/install-toolchains.sh chromium   only the headless browser
#
# Languages and where their toolchains come from:
#   rust        the built-in packs and the Rust example: `rustup target add
#               wasm32-unknown-unknown`, else Debian's rustc-web, cargo-web,
#               rust-web-src and lld-22 (about 1 GB; build.rs then uses
#               -Zbuild-std). PALISADE_GUEST_TOOLCHAIN=debian skips rustup.
#   c           Debian: clang-22, libclang-rt-22-dev-wasm32, wasi-libc, lld-22
#   zig go python
#               PyPI (scripts/toolchains/requirements.txt, pinned) into a
#               virtualenv at $PALISADE_TOOLCHAINS/venv; wasm-tools too
#   assemblyscript javascript
#               npm (scripts/toolchains/package.json) into $PALISADE_TOOLCHAINS/node
#   moto        not a language: moto server and boto3, the local AWS endpoint of
#               the scanner tests (tests/support/aws/), from PyPI
#               (scripts/toolchains/moto-requirements.txt, pinned) into a
#               virtualenv at $PALISADE_TOOLCHAINS/moto-venv
#   chromium    not a language: Debian's chromium and poppler-utils (pdftotext),
#               with which tests/palisade/remediation_report.rs renders the HTML
#               remediation report headless, offline, and reads it back
# $PALISADE_TOOLCHAINS defaults to target/toolchains (scripts/toolchains/env.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=toolchains/env.sh
source "$here/toolchains/env.sh"

all=(rust c zig go python assemblyscript javascript moto chromium)
langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=("${all[@]}")
for lang in "${langs[@]}"; do
  case " ${all[*]} " in
    *" $lang "*) ;;
    *)
      echo "usage: $0 [COMPONENT...]   (components: ${all[*]}; none: all of them)" >&2
      [ "$lang" = --help ] || [ "$lang" = -h ] && exit 0
      echo "install-toolchains: unknown component '$lang'" >&2
      exit 2
      ;;
  esac
done

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  $sudo apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

retry() {
  local attempt
  for attempt in 1 2 3; do
    "$@" && return 0
    echo "install-toolchains: '$*' failed (attempt $attempt)" >&2
    sleep $((attempt * 5))
  done
  return 1
}

rust_target=wasm32-unknown-unknown
rust_debian=(rustc-web cargo-web rust-web-src lld-22)
have_rustup_target() {
  local libdir
  libdir=$(rustc --print target-libdir --target "$rust_target" 2>/dev/null) || return 1
  compgen -G "$libdir/libstd-*.rlib" >/dev/null
}
have_debian_rust() {
  [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust/library ] &&
    command -v wasm-ld-22 >/dev/null
}
install_rust() {
  if [ "${PALISADE_GUEST_TOOLCHAIN:-}" != debian ]; then
    if have_rustup_target; then
      echo "install-toolchains: rust: $rust_target is installed (rustup)"
      return 0
    fi
    if command -v rustup >/dev/null 2>&1 && retry timeout 300 rustup target add "$rust_target"; then
      echo "install-toolchains: rust: installed $rust_target with rustup"
      return 0
    fi
    echo "install-toolchains: rust: rustup cannot add $rust_target; falling back to Debian's rustc-web" >&2
  fi
  if have_debian_rust; then
    echo "install-toolchains: rust: Debian's rustc-web toolchain is installed"
    return 0
  fi
  apt_install "${rust_debian[@]}" && have_debian_rust && return 0
  echo "install-toolchains: rust: cannot install a compiler for $rust_target: run 'rustup target add $rust_target' or install ${rust_debian[*]}" >&2
  return 1
}

c_debian=(clang-22 libclang-rt-22-dev-wasm32 wasi-libc lld-22)
have_c() { command -v clang-22 >/dev/null && [ -f /usr/include/wasm32-wasi/stdlib.h ] && command -v wasm-ld-22 >/dev/null; }
install_c() {
  if have_c; then
    echo "install-toolchains: c: clang-22 and wasi-libc are installed"
    return 0
  fi
  retry apt_install "${c_debian[@]}" && have_c && return 0
  echo "install-toolchains: c: cannot install ${c_debian[*]}" >&2
  return 1
}

venv="$PALISADE_TOOLCHAINS/venv"
install_pypi() {
  local stamp="$venv/.requirements"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$here/toolchains/requirements.txt" &&
    [ -x "$venv/bin/python-zig" ] && [ -x "$venv/bin/go" ] && [ -x "$venv/bin/componentize-py" ] &&
    [ -x "$venv/bin/wasm-tools" ]; then
    echo "install-toolchains: PyPI toolchains are installed in $venv"
    return 0
  fi
  mkdir -p "$PALISADE_TOOLCHAINS"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  retry "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/toolchains/requirements.txt" || {
    echo "install-toolchains: cannot install the PyPI toolchains (scripts/toolchains/requirements.txt)" >&2
    return 1
  }
  cp "$here/toolchains/requirements.txt" "$stamp"
  echo "install-toolchains: installed the PyPI toolchains in $venv"
}

motovenv="$PALISADE_TOOLCHAINS/moto-venv"
have_moto() { "$motovenv/bin/python" -c 'import moto, boto3' >/dev/null 2>&1; }
install_moto() {
  local stamp="$motovenv/.requirements"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$here/toolchains/moto-requirements.txt" && have_moto; then
    echo "install-toolchains: moto: installed in $motovenv"
    return 0
  fi
  mkdir -p "$PALISADE_TOOLCHAINS"
  [ -x "$motovenv/bin/python" ] || python3 -m venv "$motovenv"
  retry "$motovenv/bin/pip" install -q --disable-pip-version-check -r "$here/toolchains/moto-requirements.txt" || {
    echo "install-toolchains: moto: cannot install scripts/toolchains/moto-requirements.txt" >&2
    return 1
  }
  have_moto || {
    echo "install-toolchains: moto: installed, but '$motovenv/bin/python' cannot import moto and boto3" >&2
    return 1
  }
  cp "$here/toolchains/moto-requirements.txt" "$stamp"
  echo "install-toolchains: moto: installed in $motovenv"
}

chromium_debian=(chromium poppler-utils)
have_chromium() { [ -x /usr/bin/chromium ] && command -v pdftotext >/dev/null; }
install_chromium() {
  if have_chromium; then
    echo "install-toolchains: chromium: chromium and pdftotext are installed"
    return 0
  fi
  retry apt_install "${chromium_debian[@]}" && have_chromium && return 0
  echo "install-toolchains: chromium: cannot install ${chromium_debian[*]}" >&2
  return 1
}

nodedir="$PALISADE_TOOLCHAINS/node"
install_npm() {
  local stamp="$nodedir/.package.json"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$here/toolchains/package.json" &&
    [ -x "$nodedir/node_modules/.bin/asc" ] && [ -x "$nodedir/node_modules/.bin/componentize-js" ]; then
    echo "install-toolchains: npm toolchains are installed in $nodedir"
    return 0
  fi
  command -v npm >/dev/null || apt_install nodejs npm || {
    echo "install-toolchains: npm is not installed and cannot be installed" >&2
    return 1
  }
  mkdir -p "$nodedir"
  cp "$here/toolchains/package.json" "$nodedir/package.json"
  if [ -f "$here/toolchains/package-lock.json" ]; then
    cp "$here/toolchains/package-lock.json" "$nodedir/package-lock.json"
    retry npm ci --prefix "$nodedir" --no-audit --no-fund --loglevel=error
  else
    retry npm install --prefix "$nodedir" --no-audit --no-fund --loglevel=error
  fi || {
    echo "install-toolchains: cannot install the npm toolchains (scripts/toolchains/package.json)" >&2
    return 1
  }
  cp "$here/toolchains/package.json" "$stamp"
  echo "install-toolchains: installed the npm toolchains in $nodedir"
}

failed=()
did_pypi="" did_npm=""
for lang in "${langs[@]}"; do
  case "$lang" in
    rust) install_rust || failed+=(rust) ;;
    c) install_c || failed+=(c) ;;
    moto) install_moto || failed+=(moto) ;;
    chromium) install_chromium || failed+=(chromium) ;;
    zig | go | python)
      if [ -z "$did_pypi" ]; then did_pypi=ok; install_pypi || did_pypi=failed; fi
      [ "$did_pypi" = ok ] || failed+=("$lang")
      ;;
    assemblyscript | javascript)
      if [ -z "$did_npm" ]; then did_npm=ok; install_npm || did_npm=failed; fi
      [ "$did_npm" = ok ] || failed+=("$lang")
      ;;
  esac
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "install-toolchains: FAILED for: ${failed[*]}" >&2
  exit 1
fi
