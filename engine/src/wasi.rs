//! A deny-all WASI preview 1 (`wasi_snapshot_preview1`) for guests whose
//! language runtime imports it: no files, no environment, no network, no
//! clock, no randomness. Follows the ABI's section 6 (`sdk/ABI.md`).
//!
//! Each imported function is defined from the module's own import type, so
//! any preview-1 function links; every call fails with errno `notcapable`
//! except the few a runtime needs to start with nothing.

use wasmtime::{Caller, Extern, FuncType, Linker, Val, ValType};

use crate::runtime::HostState;

/// The import module name of WASI preview 1.
pub const WASI_P1: &str = "wasi_snapshot_preview1";

/// WASI errno `success`.
const ERRNO_SUCCESS: i32 = 0;
/// WASI errno `fault` (a pointer outside linear memory).
const ERRNO_FAULT: i32 = 21;
/// WASI errno `notcapable`: the capability is not granted.
const ERRNO_NOTCAPABLE: i32 = 76;

/// Raised by `proc_exit`; ends the running call as a trap.
#[derive(Debug, thiserror::Error)]
#[error("the guest called proc_exit({0})")]
pub struct ProcExit(pub i32);

/// Define `name` of [`WASI_P1`] in `linker` with type `ty`, deny-all.
pub fn define(linker: &mut Linker<HostState>, name: &str, ty: FuncType) -> wasmtime::Result<()> {
    let name_owned = name.to_string();
    let results: Vec<ValType> = ty.results().collect();
    linker.func_new(WASI_P1, name, ty, move |mut caller, params, out| {
        let errno = match name_owned.as_str() {
            "proc_exit" => {
                let code = params.first().and_then(Val::i32).unwrap_or(0);
                return Err(ProcExit(code).into());
            }
            "args_sizes_get" | "environ_sizes_get" => write_zero_pair(&mut caller, params),
            "args_get" | "environ_get" | "sched_yield" => ERRNO_SUCCESS,
            _ => ERRNO_NOTCAPABLE,
        };
        for (slot, ty) in out.iter_mut().zip(results.iter()) {
            *slot = match ty {
                ValType::I32 => Val::I32(errno),
                ValType::I64 => Val::I64(i64::from(errno)),
                _ => Val::null_func_ref(),
            };
        }
        Ok(())
    })?;
    Ok(())
}

/// `args_sizes_get`/`environ_sizes_get`: write two zero `u32`s (count, size).
fn write_zero_pair(caller: &mut Caller<'_, HostState>, params: &[Val]) -> i32 {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return ERRNO_FAULT;
    };
    for p in params.iter().take(2) {
        let Some(ptr) = p.i32().and_then(|v| usize::try_from(v as u32).ok()) else {
            return ERRNO_FAULT;
        };
        if memory.write(&mut *caller, ptr, &0u32.to_le_bytes()).is_err() {
            return ERRNO_FAULT;
        }
    }
    ERRNO_SUCCESS
}
