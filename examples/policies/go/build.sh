#!/usr/bin/env bash
# Builds the Go example pack: ./build.sh OUT.wasm (a core module, guest ABI v1).
set -euo pipefail
source "$(dirname "$0")/../../../scripts/toolchains/env.sh"
need go go

out=$(out_path "$@")
src=$(cd "$(dirname "$0")" && pwd)

# Everything Go writes goes under target/: no network, nothing in $HOME or
# in the source tree, the local toolchain only, no VCS stamp, no local paths.
work="$PALISADE_ROOT/target/examples/go"
mkdir -p "$work"
export GOTOOLCHAIN=local GOPROXY=off GOENV=off GOWORK=off CGO_ENABLED=0 \
  GOFLAGS="-mod=readonly -trimpath -buildvcs=false" \
  GOCACHE="$work/cache" GOPATH="$work/gopath" GOMODCACHE="$work/gopath/pkg/mod" \
  XDG_CONFIG_HOME="$work/config" GOOS=wasip1 GOARCH=wasm

# go:wasmexport needs Go 1.24 or later.
version=$(go env GOVERSION)
minor=${version#go1.}
minor=${minor%%.*}
if ! [[ $minor =~ ^[0-9]+$ ]] || [ "$minor" -lt 24 ]; then
  echo "error: $(command -v go) is $version; the go example needs Go 1.24 or later: run scripts/install-toolchains.sh go" >&2
  exit 1
fi

cd "$src"
go build -buildmode=c-shared -o "$out" .
