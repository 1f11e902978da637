/work/main/tests/guests/edge-probe/target/wasm32-unknown-unknown/debug/deps/edge_probe-2e8be7fd1dab8ea0.d: /work/main/clippy.toml src/lib.rs Cargo.toml

/work/main/tests/guests/edge-probe/target/wasm32-unknown-unknown/debug/deps/libedge_probe-2e8be7fd1dab8ea0.rmeta: /work/main/clippy.toml src/lib.rs Cargo.toml

/work/main/clippy.toml:
src/lib.rs:
Cargo.toml:

# env-dep:CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
# env-dep:CLIPPY_CONF_DIR
