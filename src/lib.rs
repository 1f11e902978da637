//! The `palisade` command's library half: the built-in policy packs, compiled
//! from `policies/` to WebAssembly by `build.rs` and embedded in the binary;
//! the scheduler of `palisade schedule` ([`schedule`]); the resource types a
//! scan filters on ([`resource_types`]).
//!
//! The command itself (`src/main.rs`) only parses arguments, calls
//! [`palisade_engine`] and this library, and maps outcomes to exit codes.
#![deny(missing_docs)]

pub mod resource_types;
pub mod schedule;

/// A policy pack embedded in the binary.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinPack {
    /// The name used in reports' provenance: `builtin:NAME`.
    pub path: &'static str,
    /// The WebAssembly module (guest ABI v1).
    pub wasm: &'static [u8],
}

/// `aws-baseline`: AWS security checks (`policies/aws-baseline`), used by
/// `palisade check` when no `--pack` is given.
pub const AWS_BASELINE: BuiltinPack =
    BuiltinPack { path: "builtin:aws-baseline", wasm: include_bytes!(concat!(env!("OUT_DIR"), "/aws_baseline.wasm")) };

/// The packs used when none is given.
pub const DEFAULT_PACKS: &[BuiltinPack] = &[AWS_BASELINE];

/// The default directory of the compiled-pack cache: `$PALISADE_CACHE_DIR`,
/// else `$XDG_CACHE_HOME/palisade`, else `$HOME/.cache/palisade`; `None`
/// when none of these is set.
pub fn default_cache_dir() -> Option<std::path::PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    var("PALISADE_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("palisade")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("palisade")))
}
