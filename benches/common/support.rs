//! What `tests/palisade/moto.rs` needs of the test support module, for the
//! benches that start moto (`#[path = "common/support.rs"] mod support;`
//! beside `#[path = "../tests/palisade/moto.rs"] mod moto;`).

/// The repository root.
pub fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under the repository root.
pub fn repo(rel: &str) -> std::path::PathBuf {
    root().join(rel)
}
