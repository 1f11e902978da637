/work/main/tests/guests/edge-probe/target/wasm32-unknown-unknown/debug/deps/palisade_sdk-b49d113208724bb9.d: /work/main/sdk/src/lib.rs /work/main/sdk/src/pack.rs /work/main/sdk/src/policy.rs /work/main/sdk/src/prop.rs /work/main/sdk/src/resource.rs /work/main/sdk/src/abi.rs

/work/main/tests/guests/edge-probe/target/wasm32-unknown-unknown/debug/deps/libpalisade_sdk-b49d113208724bb9.rmeta: /work/main/sdk/src/lib.rs /work/main/sdk/src/pack.rs /work/main/sdk/src/policy.rs /work/main/sdk/src/prop.rs /work/main/sdk/src/resource.rs /work/main/sdk/src/abi.rs

/work/main/sdk/src/lib.rs:
/work/main/sdk/src/pack.rs:
/work/main/sdk/src/policy.rs:
/work/main/sdk/src/prop.rs:
/work/main/sdk/src/resource.rs:
/work/main/sdk/src/abi.rs:
