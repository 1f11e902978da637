//! The wasmtime side: one engine with an epoch ticker, a store per instance
//! with a memory limiter, and the calls of guest ABI v1 (`sdk/ABI.md`).
//!
//! Shape (after kubewarden's policy-evaluator): the module is compiled and
//! pre-instantiated once per pack ([`wasmtime::InstancePre`]); every batch
//! gets a fresh [`Guest`] (store + instance), thrown away after any fault.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use wasmtime::{Config, Engine, InstancePre, Memory, ResourceLimiter, Store, Trap, TypedFunc};

use crate::fault::{FaultKind, GuestFault};
use crate::limits::{EPOCH_TICK, Limits};
use crate::wasi::ProcExit;

pub use palisade_abi::ABI_VERSION;

/// Per-store host data: the memory limiter.
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

/// The shared wasmtime engine, its epoch ticker and the limits.
/// Cheap to clone; the ticker stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) limits: Limits,
    _ticker: Arc<TickerStop>,
}

impl Runtime {
    /// A runtime with epoch interruption on and a ticker advancing the epoch
    /// every [`EPOCH_TICK`].
    pub fn new(limits: Limits) -> Result<Self, String> {
        let mut config = Config::new();
        config.epoch_interruption(true);
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
        Ok(Runtime { engine, limits, _ticker: Arc::new(TickerStop(stop)) })
    }

    /// A new store with the memory limiter installed.
    fn store(&self) -> Store<HostState> {
        let mut store =
            Store::new(&self.engine, HostState { max_memory: self.limits.memory_bytes, memory_exceeded: None });
        store.limiter(|s| s as &mut dyn ResourceLimiter);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(self.limits.deadline_ticks());
        store
    }
}

/// One live guest instance speaking ABI v1: a fresh store and instance.
pub struct Guest {
    store: Store<HostState>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    describe: TypedFunc<(), i64>,
    load: TypedFunc<(i32, i32), i64>,
    evaluate: TypedFunc<(i32, i32), i64>,
    reply_limit: usize,
    deadline_ticks: u64,
}

impl Guest {
    /// Instantiate `pre` in a fresh store, call `_initialize` if exported and
    /// check `palisade_abi_version`.
    ///
    /// Errors: a missing or mistyped export or another ABI version is an
    /// [`FaultKind::Abi`] fault; a trap or limit during start-up its own kind.
    pub fn new(runtime: &Runtime, pre: &InstancePre<HostState>) -> Result<Guest, GuestFault> {
        let mut store = runtime.store();
        let instance = pre.instantiate(&mut store).map_err(|e| classify(&store, e, "instantiating the module"))?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| GuestFault::abi("the module exports no memory named `memory`"))?;
        let version: TypedFunc<(), i32> = typed(&instance, &mut store, "palisade_abi_version")?;
        let init = instance.get_typed_func::<(), ()>(&mut store, "_initialize").ok();
        let mut guest = Guest {
            alloc: typed(&instance, &mut store, "palisade_alloc")?,
            describe: typed(&instance, &mut store, "palisade_describe")?,
            load: typed(&instance, &mut store, "palisade_load")?,
            evaluate: typed(&instance, &mut store, "palisade_evaluate")?,
            store,
            memory,
            reply_limit: runtime.limits.reply_bytes,
            deadline_ticks: runtime.limits.deadline_ticks(),
        };
        if let Some(init) = init {
            guest.arm();
            init.call(&mut guest.store, ()).map_err(|e| classify(&guest.store, e, "_initialize"))?;
        }
        guest.arm();
        let found =
            version.call(&mut guest.store, ()).map_err(|e| classify(&guest.store, e, "palisade_abi_version"))?;
        if found != ABI_VERSION {
            return Err(GuestFault::abi(format!(
                "the pack speaks guest ABI version {found}, but this Palisade speaks version {ABI_VERSION}"
            )));
        }
        Ok(guest)
    }

    /// Call `palisade_describe`; returns the reply bytes.
    pub fn describe(&mut self) -> Result<Vec<u8>, GuestFault> {
        self.arm();
        let packed =
            self.describe.call(&mut self.store, ()).map_err(|e| classify(&self.store, e, "palisade_describe"))?;
        self.read_reply(packed, "palisade_describe")
    }

    /// Call `palisade_load` with a batch document; returns the reply bytes
    /// (empty on success).
    pub fn load(&mut self, batch: &[u8]) -> Result<Vec<u8>, GuestFault> {
        let f = self.load.clone();
        self.call_with(&f, batch, "palisade_load")
    }

    /// Call `palisade_evaluate` with a request document; returns the reply bytes.
    pub fn evaluate(&mut self, request: &[u8]) -> Result<Vec<u8>, GuestFault> {
        let f = self.evaluate.clone();
        self.call_with(&f, request, "palisade_evaluate")
    }

    /// Write `input` into guest memory and call `f(ptr, len)`.
    fn call_with(&mut self, f: &TypedFunc<(i32, i32), i64>, input: &[u8], what: &str) -> Result<Vec<u8>, GuestFault> {
        let len = i32::try_from(input.len()).map_err(|_| {
            GuestFault::abi(format!("an input of {} bytes is too large for a 32-bit guest", input.len()))
        })?;
        self.arm();
        let ptr = self.alloc.call(&mut self.store, len).map_err(|e| classify(&self.store, e, "palisade_alloc"))?;
        if ptr == 0 && len > 0 {
            return Err(GuestFault::new(
                FaultKind::Memory,
                format!("palisade_alloc({len}) returned 0 (out of memory)"),
            ));
        }
        self.memory
            .write(&mut self.store, ptr as u32 as usize, input)
            .map_err(|_| GuestFault::abi(format!("palisade_alloc({len}) returned {ptr:#x}, outside linear memory")))?;
        self.arm();
        let packed = f.call(&mut self.store, (ptr, len)).map_err(|e| classify(&self.store, e, what))?;
        self.read_reply(packed, what)
    }

    /// Reset the deadline before a call.
    fn arm(&mut self) {
        self.store.set_epoch_deadline(self.deadline_ticks);
    }

    /// Copy out the reply document a packed `(len << 32) | ptr` points at.
    fn read_reply(&mut self, packed: i64, what: &str) -> Result<Vec<u8>, GuestFault> {
        let ptr = (packed as u64 & 0xffff_ffff) as usize;
        let len = (packed as u64 >> 32) as usize;
        if len > self.reply_limit {
            return Err(GuestFault::abi(format!(
                "{what} replied {len} bytes, over the limit of {} bytes",
                self.reply_limit
            )));
        }
        let data = self.memory.data(&self.store);
        data.get(ptr..ptr.saturating_add(len))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| GuestFault::abi(format!("{what} replied with bytes {ptr:#x}+{len}, outside linear memory")))
    }
}

/// Look up a typed export, as an ABI fault when missing or mistyped.
fn typed<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
    instance: &wasmtime::Instance,
    store: &mut Store<HostState>,
    name: &str,
) -> Result<TypedFunc<P, R>, GuestFault> {
    instance.get_typed_func::<P, R>(&mut *store, name).map_err(|e| GuestFault::abi(format!("export `{name}`: {e}")))
}

/// Turn a wasmtime error from a guest call into a [`GuestFault`].
fn classify(store: &Store<HostState>, err: wasmtime::Error, what: &str) -> GuestFault {
    if let Some(desired) = store.data().memory_exceeded {
        let limit = store.data().max_memory;
        return GuestFault::new(
            FaultKind::Memory,
            format!("{what}: memory limit of {limit} bytes exceeded (the guest asked for {desired} bytes)"),
        );
    }
    if let Some(exit) = err.downcast_ref::<ProcExit>() {
        return GuestFault::new(FaultKind::Trap, format!("{what}: {exit}"));
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => GuestFault::new(FaultKind::Timeout, format!("{what}: deadline exceeded")),
        Some(trap) => GuestFault::new(FaultKind::Trap, format!("{what}: {trap}")),
        None => GuestFault::new(FaultKind::Trap, format!("{what}: {}", first_line(&err))),
    }
}

fn first_line(err: &wasmtime::Error) -> String {
    let text = format!("{err}");
    text.lines().next().unwrap_or_default().to_string()
}
