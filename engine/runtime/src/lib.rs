//! Palisade's policy runtime: WebAssembly policy packs in a wasmtime
//! sandbox. The only crate of Palisade that links wasmtime.
//!
//! An [`EngineBuilder`] makes an [`Engine`] (one wasmtime engine with epoch
//! interruption, the compiled-pack [`ModuleCache`], [`Limits`] always on);
//! [`Engine::load_pack`] compiles (or fetches) and pre-instantiates a
//! [`Pack`], a core module of guest ABI v1 (`sdk/ABI.md`) or a component of
//! the WIT world `sdk/wit`, and reads its describe document;
//! [`Engine::check`] runs packs on stacks in parallel batches, each batch on
//! a fresh instance under a deadline and a memory cap, into
//! [`Findings`](palisade_model::Findings). A policy's fault is that policy's
//! [`PolicyError`](palisade_model::PolicyError), never the run's error.
#![deny(missing_docs)]

mod cache;
mod eval;
mod limits;
mod pack;
mod runtime;
mod wasi;

pub use cache::{CacheError, CacheOutcome, DEFAULT_MAX_BYTES, ModuleCache};
pub use eval::{Engine, EngineBuilder, EngineError, MAX_MESSAGE_BYTES};
pub use limits::{EPOCH_TICK, Limits};
pub use pack::{Pack, PackError, PackErrorKind};
pub use runtime::ABI_VERSION;
pub use runtime::component::{DATA_GUEST_PATH, WIT_PACKAGE, WIT_VERSIONS};
