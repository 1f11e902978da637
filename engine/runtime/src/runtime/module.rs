//! Core modules speaking guest ABI v1 (`sdk/ABI.md`): JSON documents
//! through linear memory, replies packed as `(len << 32) | ptr`.

use serde::Deserialize;
use wasmtime::{InstancePre, Memory, Store, TypedFunc};

use super::{DescribeError, HostState, Request, Runtime, WireViolation, classify};
use crate::pack::PackMetadata;
use palisade_model::fault::{FaultKind, GuestFault};

pub use palisade_abi::ABI_VERSION;

/// One live guest instance speaking ABI v1: a fresh store and instance.
pub(crate) struct ModuleGuest {
    store: Store<HostState>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    describe: TypedFunc<(), i64>,
    load: TypedFunc<(i32, i32), i64>,
    evaluate: TypedFunc<(i32, i32), i64>,
    reply_limit: usize,
    deadline_ticks: u64,
}

impl ModuleGuest {
    /// Instantiate `pre` in a fresh store, call `_initialize` if exported and
    /// check `palisade_abi_version`.
    ///
    /// Errors: a missing or mistyped export or another ABI version is an
    /// [`FaultKind::Abi`] fault; a trap or limit during start-up its own kind.
    pub fn new(runtime: &Runtime, pre: &InstancePre<HostState>) -> Result<ModuleGuest, GuestFault> {
        let mut store = Store::new(&runtime.engine, runtime.host_state());
        store.limiter(|s| s as &mut dyn wasmtime::ResourceLimiter);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(runtime.limits.deadline_ticks());
        let instance =
            pre.instantiate(&mut store).map_err(|e| classify(store.data(), e, "instantiating the module", ""))?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| GuestFault::abi("the module exports no memory named `memory`"))?;
        let version: TypedFunc<(), i32> = typed(&instance, &mut store, "palisade_abi_version")?;
        let init = instance.get_typed_func::<(), ()>(&mut store, "_initialize").ok();
        let mut guest = ModuleGuest {
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
            init.call(&mut guest.store, ()).map_err(|e| classify(guest.store.data(), e, "_initialize", ""))?;
        }
        guest.arm();
        let found = version
            .call(&mut guest.store, ())
            .map_err(|e| classify(guest.store.data(), e, "palisade_abi_version", ""))?;
        if found != ABI_VERSION {
            return Err(GuestFault::abi(format!(
                "the pack speaks guest ABI version {found}, but this Palisade speaks version {ABI_VERSION}"
            )));
        }
        Ok(guest)
    }

    /// Call `palisade_describe` and parse its document (ABI v1 section 3).
    pub fn describe(&mut self) -> Result<PackMetadata, DescribeError> {
        self.arm();
        let packed = self
            .describe
            .call(&mut self.store, ())
            .map_err(|e| DescribeError::Fault(classify(self.store.data(), e, "palisade_describe", "")))?;
        let reply = self.read_reply(packed, "palisade_describe").map_err(DescribeError::Fault)?;
        let mut de = serde_json::Deserializer::from_slice(&reply);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            DescribeError::Invalid(format!("at `{path}`: {}", e.into_inner()))
        })
    }

    /// Call `palisade_load` with a batch document (ABI v1 section 4). A
    /// non-empty reply refuses the batch: a [`FaultKind::Policy`] fault.
    pub fn load(&mut self, batch: &[u8]) -> Result<(), GuestFault> {
        let f = self.load.clone();
        let reply = self.call_with(&f, batch, "palisade_load")?;
        if reply.is_empty() {
            return Ok(());
        }
        let message = match serde_json::from_slice::<Reply>(&reply) {
            Ok(Reply { error: Some(e), .. }) => e,
            _ => String::from_utf8_lossy(&reply).chars().take(200).collect(),
        };
        Err(GuestFault::new(FaultKind::Policy, format!("palisade_load refused the batch: {message}")))
    }

    /// Call `palisade_evaluate` (ABI v1 section 5) and parse its reply.
    pub fn evaluate(&mut self, request: &Request<'_>) -> Result<Vec<WireViolation>, GuestFault> {
        let request =
            serde_json::to_vec(request).map_err(|e| GuestFault::abi(format!("cannot encode the request: {e}")))?;
        let f = self.evaluate.clone();
        let reply = self.call_with(&f, &request, "palisade_evaluate")?;
        let reply: Reply = serde_json::from_slice(&reply).map_err(|e| {
            GuestFault::abi(format!("palisade_evaluate replied with a document that is not valid: {e}"))
        })?;
        if let Some(error) = reply.error {
            // Redacted with every other fault message, in `eval::policy_error`.
            return Err(GuestFault::new(FaultKind::Policy, error));
        }
        reply
            .violations
            .ok_or_else(|| GuestFault::abi("palisade_evaluate replied with neither `violations` nor `error`"))
    }

    /// Write `input` into guest memory and call `f(ptr, len)`.
    fn call_with(&mut self, f: &TypedFunc<(i32, i32), i64>, input: &[u8], what: &str) -> Result<Vec<u8>, GuestFault> {
        let len = i32::try_from(input.len()).map_err(|_| {
            GuestFault::abi(format!("an input of {} bytes is too large for a 32-bit guest", input.len()))
        })?;
        self.arm();
        let ptr =
            self.alloc.call(&mut self.store, len).map_err(|e| classify(self.store.data(), e, "palisade_alloc", ""))?;
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
        let packed = f.call(&mut self.store, (ptr, len)).map_err(|e| classify(self.store.data(), e, what, ""))?;
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

/// A reply of `palisade_evaluate` or `palisade_load` (ABI v1 section 5).
#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    violations: Option<Vec<WireViolation>>,
    #[serde(default)]
    error: Option<String>,
}

/// Look up a typed export, as an ABI fault when missing or mistyped.
fn typed<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
    instance: &wasmtime::Instance,
    store: &mut Store<HostState>,
    name: &str,
) -> Result<TypedFunc<P, R>, GuestFault> {
    instance.get_typed_func::<P, R>(&mut *store, name).map_err(|e| GuestFault::abi(format!("export `{name}`: {e}")))
}
