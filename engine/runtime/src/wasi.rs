//! A deny-all WASI preview 1 (`wasi_snapshot_preview1`) for guests whose
//! language runtime imports it: no files, no environment, no network.
//! Follows the ABI's section 6 (`sdk/ABI.md`).
//!
//! Each imported function is defined from the module's own import type, so
//! any preview-1 function links; every call fails with errno `notcapable`
//! except the few a runtime needs to start with nothing: empty arguments
//! and environment, `sched_yield`, and a clock (`clock_time_get`,
//! `clock_res_get` for the realtime and monotonic clocks) and randomness
//! (`random_get`), without which Go's runtime cannot start.

use wasmtime::{Caller, Extern, FuncType, Linker, Val, ValType};

use crate::runtime::HostState;

/// The import module name of WASI preview 1.
pub const WASI_P1: &str = "wasi_snapshot_preview1";

/// WASI errno `success`.
const ERRNO_SUCCESS: i32 = 0;
/// WASI errno `badf`: the answer of `fd_prestat_get` when there are no
/// preopened directories (wasi-libc and Go's `syscall` scan for them).
const ERRNO_BADF: i32 = 8;
/// WASI errno `fault` (a pointer outside linear memory).
const ERRNO_FAULT: i32 = 21;
/// WASI errno `inval` (an unknown clock).
const ERRNO_INVAL: i32 = 28;
/// WASI errno `io` (the host cannot draw random bytes).
const ERRNO_IO: i32 = 29;
/// WASI errno `notcapable`: the capability is not granted.
const ERRNO_NOTCAPABLE: i32 = 76;
/// WASI clock ids: realtime and monotonic (the only clocks granted).
const CLOCK_REALTIME: i32 = 0;
const CLOCK_MONOTONIC: i32 = 1;
/// The resolution reported by `clock_res_get`, in nanoseconds.
const CLOCK_RESOLUTION_NS: u64 = 1_000;
/// The largest `random_get` served in one call, in bytes.
const MAX_RANDOM_BYTES: usize = 1 << 16;

/// The origin of the monotonic clock: the first time any guest reads it.
static MONOTONIC_ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Every function of WASI preview 1 (`wasi_snapshot_preview1.witx`); an
/// import of any other name is refused at load time.
pub const FUNCTIONS: &[&str] = &[
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];

/// Whether `ty` has the shape of a WASI preview 1 function: `i32`/`i64`
/// parameters and at most one `i32` result (the errno).
pub fn is_wasi_shape(ty: &FuncType) -> bool {
    ty.params().all(|p| matches!(p, ValType::I32 | ValType::I64))
        && ty.results().len() <= 1
        && ty.results().all(|r| matches!(r, ValType::I32))
}

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
            "fd_prestat_get" => ERRNO_BADF,
            "clock_time_get" => clock_time_get(&mut caller, params),
            "clock_res_get" => clock_res_get(&mut caller, params),
            "random_get" => random_get(&mut caller, params),
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
    for index in 0..2 {
        let errno = write_at(caller, params, index, &0u32.to_le_bytes());
        if errno != ERRNO_SUCCESS {
            return errno;
        }
    }
    ERRNO_SUCCESS
}

/// Write `bytes` at the address in parameter `index`; the errno.
fn write_at(caller: &mut Caller<'_, HostState>, params: &[Val], index: usize, bytes: &[u8]) -> i32 {
    let Some((memory, ptr)) = memory_and_ptr(caller, params, index) else {
        return ERRNO_FAULT;
    };
    match memory.write(&mut *caller, ptr, bytes) {
        Ok(()) => ERRNO_SUCCESS,
        Err(_) => ERRNO_FAULT,
    }
}

/// The guest's linear memory and the `i32` parameter `index` as an address.
fn memory_and_ptr(
    caller: &mut Caller<'_, HostState>,
    params: &[Val],
    index: usize,
) -> Option<(wasmtime::Memory, usize)> {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return None;
    };
    let ptr = params.get(index).and_then(Val::i32).and_then(|v| usize::try_from(v as u32).ok())?;
    Some((memory, ptr))
}

/// `clock_time_get(id, precision, *time)`: nanoseconds of the realtime clock
/// since the Unix epoch, or of the monotonic clock since its origin.
fn clock_time_get(caller: &mut Caller<'_, HostState>, params: &[Val]) -> i32 {
    let now = match params.first().and_then(Val::i32) {
        Some(CLOCK_REALTIME) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0),
        Some(CLOCK_MONOTONIC) => {
            let origin = MONOTONIC_ORIGIN.get_or_init(std::time::Instant::now);
            // Never 0: some runtimes treat a zero monotonic time as unset.
            u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX).saturating_add(1)
        }
        _ => return ERRNO_INVAL,
    };
    write_at(caller, params, 2, &now.to_le_bytes())
}

/// `clock_res_get(id, *resolution)`.
fn clock_res_get(caller: &mut Caller<'_, HostState>, params: &[Val]) -> i32 {
    match params.first().and_then(Val::i32) {
        Some(CLOCK_REALTIME | CLOCK_MONOTONIC) => write_at(caller, params, 1, &CLOCK_RESOLUTION_NS.to_le_bytes()),
        _ => ERRNO_INVAL,
    }
}

/// `random_get(*buf, len)`: `len` bytes from the operating system's CSPRNG.
fn random_get(caller: &mut Caller<'_, HostState>, params: &[Val]) -> i32 {
    let Some(len) = params.get(1).and_then(Val::i32).and_then(|v| usize::try_from(v as u32).ok()) else {
        return ERRNO_FAULT;
    };
    if len > MAX_RANDOM_BYTES {
        return ERRNO_INVAL;
    }
    let mut bytes = vec![0u8; len];
    if getrandom::fill(&mut bytes).is_err() {
        return ERRNO_IO;
    }
    write_at(caller, params, 0, &bytes)
}
