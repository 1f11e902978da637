#!/usr/bin/env bash
# Unit tests of the helper layer (assembly/test.ts): ./test.sh
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
need node assemblyscript
need asc assemblyscript
scratch
cd "$PACK_DIR"
asc assembly/test.ts --runtime incremental --use abort= --noColors -o "$PACK_TMP/test.wasm"
node -e '
const bytes = require("fs").readFileSync(process.argv[1]);
WebAssembly.instantiate(bytes, {}).then(({ instance }) => {
  const failed = instance.exports.run();
  if (failed !== 0) {
    console.error(`assembly/test.ts: check ${failed} failed`);
    process.exit(1);
  }
  console.log("ok: assembly/test.ts");
});
' "$PACK_TMP/test.wasm"
