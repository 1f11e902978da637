//! The wasmtime side: one engine with an epoch ticker, a store per instance
//! with a memory limiter, and the two kinds of guest behind one [`Guest`]:
//! core modules speaking guest ABI v1 (`sdk/ABI.md`, [`module`]) and
//! components of the WIT world `palisade:policy/pack@1.0.0` (`sdk/wit`,
//! [`component`]).
//!
//! Shape (after kubewarden's policy-evaluator): the code is compiled and
//! pre-instantiated once per pack ([`Code`]); every batch gets a fresh
//! [`Guest`] (store + instance), thrown away after any fault. Both kinds get
//! the same limits, the same faults and the same results.

pub(crate) mod component;
pub(crate) mod module;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use wasmtime::{Config, Engine, ResourceLimiter, Trap};

use crate::cache::{CacheError, ModuleCache};
use crate::limits::{EPOCH_TICK, Limits};
use crate::pack::PackMetadata;
use crate::wasi::ProcExit;
use palisade_model::fault::{FaultKind, GuestFault};

pub use palisade_abi::ABI_VERSION;

/// Per-store host data shared by both kinds of guest: the memory limiter.
#[derive(Debug)]
pub struct HostState {
    max_memory: usize,
    memory_exceeded: Option<usize>,
}

/// Raised (as a trap) when a guest asks for more memory than allowed.
#[derive(Debug, thiserror::Error)]
#[error("memory limit of {limit} bytes exceeded (asked for {desired} bytes)")]
struct MemoryLimitExceeded {
    limit: usize,
    desired: usize,
}

impl ResourceLimiter for HostState {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_memory {
            self.memory_exceeded = Some(desired);
            return Err(MemoryLimitExceeded { limit: self.max_memory, desired }.into());
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// Stops the epoch ticker thread when the last owner drops it.
#[derive(Debug)]
struct TickerStop(Arc<AtomicBool>);

impl Drop for TickerStop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The shared wasmtime engine, its epoch ticker, the limits and the module
/// cache. Cheap to clone; the ticker stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) limits: Limits,
    pub(crate) cache: Option<Arc<ModuleCache>>,
    _ticker: Arc<TickerStop>,
}

impl Runtime {
    /// A runtime with epoch interruption on and a ticker advancing the epoch
    /// every [`EPOCH_TICK`]; no cache until [`Runtime::use_cache`].
    pub fn new(limits: Limits) -> Result<Self, String> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        let engine = Engine::new(&config).map_err(|e| format!("{e:#}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticking = engine.clone();
        let flag = stop.clone();
        thread::Builder::new()
            .name("palisade-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    thread::sleep(EPOCH_TICK);
                    ticking.increment_epoch();
                }
            })
            .map_err(|e| format!("cannot start the epoch ticker: {e}"))?;
        Ok(Runtime { engine, limits, cache: None, _ticker: Arc::new(TickerStop(stop)) })
    }

    /// Cache compiled code in `dir` (see [`ModuleCache::open`]), keeping the
    /// entries under `max_bytes`.
    pub fn use_cache(&mut self, dir: &Path, max_bytes: u64) -> Result<(), CacheError> {
        self.cache = Some(Arc::new(ModuleCache::open(dir, &self.engine)?.with_limit(max_bytes)));
        Ok(())
    }

    /// Fresh host data with the memory limit.
    fn host_state(&self) -> HostState {
        HostState { max_memory: self.limits.memory_bytes, memory_exceeded: None }
    }
}

/// A pack's compiled, pre-instantiated code, of either kind.
pub(crate) enum Code {
    /// A core module speaking guest ABI v1.
    Module(wasmtime::InstancePre<HostState>),
    /// A component of the WIT world `pack`.
    Component(component::ComponentCode),
}

/// One live guest instance of either kind: a fresh store and instance.
pub(crate) enum Guest {
    Module(Box<module::ModuleGuest>),
    Component(Box<component::ComponentGuest>),
}

/// A `describe` that failed: the guest faulted, or its document is invalid.
#[derive(Debug)]
pub(crate) enum DescribeError {
    Fault(GuestFault),
    Invalid(String),
}

/// The request to run one policy on the loaded batch (ABI v1 section 5),
/// declared once in [`palisade_abi::wire`].
pub(crate) type Request<'a> = palisade_abi::wire::EvaluateRequest<'a>;

/// One violation as the guest reported it, before the host checks it
/// ([`palisade_abi::wire::Violation`]).
pub(crate) type WireViolation = palisade_abi::wire::Violation;

impl Guest {
    /// Instantiate `code` in a fresh store and start it (`_initialize` and
    /// the ABI version check for modules).
    pub fn new(runtime: &Runtime, code: &Code) -> Result<Guest, GuestFault> {
        Ok(match code {
            Code::Module(pre) => Guest::Module(Box::new(module::ModuleGuest::new(runtime, pre)?)),
            Code::Component(pre) => Guest::Component(Box::new(component::ComponentGuest::new(runtime, pre)?)),
        })
    }

    /// The pack's metadata, not yet validated (see `pack::validate`).
    pub fn describe(&mut self) -> Result<PackMetadata, DescribeError> {
        match self {
            Guest::Module(g) => g.describe(),
            Guest::Component(g) => g.describe(),
        }
    }

    /// Hand the guest a batch (ABI v1 section 4). A refusal is a
    /// [`FaultKind::Policy`] fault.
    pub fn load(&mut self, batch: &[u8]) -> Result<(), GuestFault> {
        match self {
            Guest::Module(g) => g.load(batch),
            Guest::Component(g) => g.load(batch),
        }
    }

    /// Run one policy on the loaded batch. The policy's own error is a
    /// [`FaultKind::Policy`] fault; a malformed reply an ABI fault.
    pub fn evaluate(&mut self, request: &Request<'_>) -> Result<Vec<WireViolation>, GuestFault> {
        match self {
            Guest::Module(g) => g.evaluate(request),
            Guest::Component(g) => g.evaluate(request),
        }
    }
}

/// Turn a wasmtime error from a guest call into a [`GuestFault`]; `extra` is
/// appended to trap messages (a component's last lines of stderr).
fn classify(state: &HostState, err: wasmtime::Error, what: &str, extra: &str) -> GuestFault {
    if let Some(desired) = state.memory_exceeded {
        let limit = state.max_memory;
        return GuestFault::new(
            FaultKind::Memory,
            format!("{what}: memory limit of {limit} bytes exceeded (the guest asked for {desired} bytes)"),
        );
    }
    if let Some(exit) = err.downcast_ref::<ProcExit>() {
        return GuestFault::new(FaultKind::Trap, format!("{what}: {exit}{extra}"));
    }
    if let Some(exit) = err.downcast_ref::<wasmtime_wasi::I32Exit>() {
        return GuestFault::new(FaultKind::Trap, format!("{what}: the guest exited with status {}{extra}", exit.0));
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => GuestFault::new(FaultKind::Timeout, format!("{what}: deadline exceeded")),
        Some(trap) => GuestFault::new(FaultKind::Trap, format!("{what}: {trap}{extra}")),
        None => GuestFault::new(FaultKind::Trap, format!("{what}: {}{extra}", first_line(&err))),
    }
}

/// The first line of the error's root cause (the top-level message of a
/// wasmtime error may be only a backtrace header).
fn first_line(err: &wasmtime::Error) -> String {
    let text = err.root_cause().to_string();
    text.lines().next().unwrap_or_default().to_string()
}
