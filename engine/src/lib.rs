//! Palisade's engine: the host side of policy-as-code on WebAssembly.
//!
//! Data flows one way (see `ARCHITECTURE.md`):
//!
//! 1. [`input`] parses a Terraform plan or state, a Pulumi stack export,
//!    preview or event log into a [`model::Stack`] of [`model::Resource`]s;
//! 2. an [`Engine`] (built by [`EngineBuilder`]) loads policy [`Pack`]s,
//!    WebAssembly core modules speaking guest ABI v1 (`sdk/ABI.md`) or
//!    components of the WIT world in `sdk/wit`, compiled (or fetched from
//!    the [`ModuleCache`]) and pre-instantiated once;
//! 3. [`Engine::check`] runs every pack on every stack in parallel batches,
//!    each batch on a fresh instance under a deadline and a memory cap, into
//!    [`Findings`];
//! 4. [`report`] turns findings into the text and JSON reports.
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

pub mod baseline;
mod cache;
pub mod config;
mod eval;
pub mod exemption;
mod fault;
mod finding;
pub mod input;
pub mod inventory;
mod limits;
pub mod model;
mod pack;
pub mod remediation;
pub mod report;
mod runtime;
mod secrets;
pub mod source_map;
pub mod testcase;
mod wasi;

pub use cache::{CacheError, CacheOutcome, DEFAULT_MAX_BYTES, ModuleCache};
pub use eval::MAX_MESSAGE_BYTES;
pub use eval::{Engine, EngineBuilder, EngineError, PolicySettings};
pub use fault::{FaultKind, GuestFault};
pub use finding::{Evaluation, Findings, PolicyError, Violation};
pub use limits::{EPOCH_TICK, Limits, MAX_BASELINE_BYTES, MAX_PACK_BYTES, MAX_SETTINGS_BYTES, read_capped};
pub use pack::{
    EnforcementLevel, Pack, PackError, PackErrorKind, PackKind, PackMetadata, PolicyInfo, PolicyKind, Severity,
};
pub use runtime::ABI_VERSION;
pub use runtime::component::{DATA_GUEST_PATH, WIT_PACKAGE};
pub use secrets::{
    MIN_SECRET_CHARS, REDACTED, SecretScope, SecretSet, is_conventionally_secret, mark_conventional_secrets,
};
