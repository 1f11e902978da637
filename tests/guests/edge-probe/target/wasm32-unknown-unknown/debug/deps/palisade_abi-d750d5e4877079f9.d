/work/main/tests/guests/edge-probe/target/wasm32-unknown-unknown/debug/deps/palisade_abi-d750d5e4877079f9.d: /work/main/sdk/abi/src/lib.rs /work/main/sdk/abi/src/wire.rs

/work/main/tests/guests/edge-probe/target/wasm32-unknown-unknown/debug/deps/libpalisade_abi-d750d5e4877079f9.rmeta: /work/main/sdk/abi/src/lib.rs /work/main/sdk/abi/src/wire.rs

/work/main/sdk/abi/src/lib.rs:
/work/main/sdk/abi/src/wire.rs:
