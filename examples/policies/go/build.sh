#!/usr/bin/env bash
# Builds the pack in Go: ./build.sh [OUT.wasm] (a core module, guest ABI v1).
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
need go go
out=$(out_path "$@")
scratch

# Everything Go writes goes with the intermediates: no network, nothing in
# $HOME or in this folder, the local toolchain only, no VCS stamp, no local
# paths.
work="$PACK_WORK/go"
export GOTOOLCHAIN=local GOPROXY=off GOENV=off GOWORK=off CGO_ENABLED=0 \
  GOFLAGS="-mod=readonly -trimpath -buildvcs=false" \
  GOCACHE="$work/cache" GOPATH="$work/gopath" GOMODCACHE="$work/gopath/pkg/mod" \
  XDG_CONFIG_HOME="$work/config" GOOS=wasip1 GOARCH=wasm

# go:wasmexport needs Go 1.24 or later.
version=$(go env GOVERSION)
minor=${version#go1.}
minor=${minor%%.*}
if ! [[ $minor =~ ^[0-9]+$ ]] || [ "$minor" -lt 24 ]; then
  missing go "$(command -v go) is $version; go:wasmexport needs Go 1.24 or later"
fi
cd "$PACK_DIR"
go build -buildmode=c-shared -o "$PACK_TMP/pack.wasm" .
publish "$PACK_TMP/pack.wasm" "$out"
