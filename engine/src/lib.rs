//! Palisade's engine: the host side of policy-as-code on WebAssembly, and
//! the one way from inputs to a report.
//!
//! The crates below it follow the dependencies (see `ARCHITECTURE.md`):
//! `palisade-model` (the data model), `palisade-input` (the parsers),
//! `palisade-runtime` (packs in the wasmtime sandbox) and `palisade-report`
//! (report formats, exemptions, baselines). This crate re-exports them under
//! one name and adds what joins them:
//!
//! - [`pipeline`]: the one check pipeline: inputs (files, snapshots or
//!   live resources), packs, settings, exemptions and a baseline in, a
//!   [`report::Report`] out. Secret marking, input digests, settings,
//!   exemptions and baselines happen there, once, for every command;
//! - [`config`]: CrossGuard's pack config format resolved into
//!   [`PolicySettings`], every config checked against its policy's schema;
//! - [`testcase`]: the data-driven case format and its driver.
//!
//! ```no_run
//! use palisade_engine::{EngineBuilder, PolicySettings, input};
//! let engine = EngineBuilder::new().build()?;
//! let pack = engine.load_pack_file("pack.wasm".as_ref())?;
//! let stack = input::read_input("plan.json", &std::fs::read("plan.json")?, None)?;
//! let findings = engine.check(&[pack], &[stack], &PolicySettings::default());
//! println!("{} violations", findings.violations.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod pipeline;
pub mod testcase;

pub use palisade_input as input;
pub use palisade_model::{inventory, model};
pub use palisade_report as report;
pub use palisade_report::{baseline, exemption, source_map};

/// Fixes: checked against their resource ([`remediation::resolve`]), the
/// remediation plan and report model (from `palisade-model`), and the
/// remediation report's renderer ([`remediation::render`], from
/// `palisade-report`).
pub mod remediation {
    pub use palisade_model::remediation::*;
    pub use palisade_report::remediation as render;
}

pub use palisade_model::fault::{FaultKind, GuestFault};
pub use palisade_model::finding::{Evaluation, Findings, PolicyError, Violation};
pub use palisade_model::limits::{MAX_BASELINE_BYTES, MAX_PACK_BYTES, MAX_SETTINGS_BYTES, read_capped};
pub use palisade_model::policy::{
    DescribedPack, EnforcementLevel, PackKind, PackMetadata, PolicyInfo, PolicyKind, PolicySettings, Severity,
};
pub use palisade_model::secrets::{
    MIN_SECRET_CHARS, REDACTED, SecretScope, SecretSet, is_conventionally_secret, mark_conventional_secrets,
};
pub use palisade_runtime::{
    ABI_VERSION, CacheError, CacheOutcome, DATA_GUEST_PATH, DEFAULT_MAX_BYTES, EPOCH_TICK, Engine, EngineBuilder,
    EngineError, Limits, MAX_MESSAGE_BYTES, ModuleCache, Pack, PackError, PackErrorKind, WIT_PACKAGE, WIT_VERSIONS,
};
