//! The guest side of ABI v1 (`sdk/ABI.md`): buffers, packed replies and the
//! guest state behind the exports that [`export_pack!`](crate::export_pack)
//! generates. Not meant to be called directly.
//!
//! State lives in `thread_local!` cells (on `wasm32-unknown-unknown`, plain
//! statics): the pack (built once), the loaded batch, the input buffers
//! handed out by `palisade_alloc` and not yet consumed, and the last reply,
//! kept alive until the next call replaces it.

#![allow(unsafe_code)]

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::cell::{OnceCell, RefCell};

use serde_json::json;

use crate::pack::Pack;
use crate::resource::Batch;

pub use palisade_abi::ABI_VERSION;

/// An input buffer handed out by `palisade_alloc`.
struct Buffer {
    ptr: *mut u8,
    size: usize,
}

thread_local! {
    static PACK: OnceCell<Pack> = const { OnceCell::new() };
    static BATCH: RefCell<Option<Batch>> = const { RefCell::new(None) };
    static BUFFERS: RefCell<Vec<Buffer>> = const { RefCell::new(Vec::new()) };
    static REPLY: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.max(1), 1).ok()
}

/// Allocates `len` zeroed bytes for the host to write into; returns their
/// address, or 0 when out of memory.
pub fn alloc_addr(len: usize) -> usize {
    let Some(layout) = layout(len) else { return 0 };
    // SAFETY: `layout` has a non-zero size (at least 1 byte) and alignment 1.
    // The memory is zeroed, so every byte is initialized even if the host
    // writes fewer bytes than it asked for.
    let ptr = unsafe { alloc_zeroed(layout) };
    if ptr.is_null() {
        return 0;
    }
    BUFFERS.with(|b| b.borrow_mut().push(Buffer { ptr, size: len }));
    ptr.expose_provenance()
}

/// Runs `f` on the `len` bytes at `addr` (a buffer of [`alloc_addr`]), then
/// frees the buffer. `Err` when `addr` is not a live buffer or `len` exceeds it.
pub fn with_input<R>(addr: usize, len: usize, f: impl FnOnce(&[u8]) -> R) -> Result<R, String> {
    let buffer = BUFFERS.with(|b| {
        let mut buffers = b.borrow_mut();
        let i = buffers.iter().position(|buf| buf.ptr.addr() == addr)?;
        Some(buffers.swap_remove(i))
    });
    let Some(buffer) = buffer else {
        return Err(format!("input buffer at {addr:#x} was not allocated by palisade_alloc (or was already used)"));
    };
    let result = if len <= buffer.size {
        // SAFETY: `buffer.ptr` came from `alloc_zeroed` with at least
        // `buffer.size >= len` bytes, all initialized (zeroed, then written by
        // the host); it is still allocated (it was in the registry, which we
        // just removed it from, so nothing else frees or reads it), and no
        // Rust reference to that memory exists while the slice lives.
        let bytes = unsafe { std::slice::from_raw_parts(buffer.ptr, len) };
        Ok(f(bytes))
    } else {
        Err(format!("input length {len} exceeds the {} bytes allocated at {addr:#x}", buffer.size))
    };
    if let Some(layout) = layout(buffer.size) {
        // SAFETY: `buffer.ptr` was allocated by `alloc_zeroed` with this very
        // layout (same size, alignment 1), is freed exactly once (it is no
        // longer in the registry), and the slice above is dropped.
        unsafe { dealloc(buffer.ptr, layout) };
    }
    result
}

/// Keeps `bytes` as the current reply (freeing the previous one) and returns
/// its address and length.
pub fn set_reply(bytes: Vec<u8>) -> (usize, usize) {
    REPLY.with(|r| {
        let mut reply = r.borrow_mut();
        *reply = bytes;
        (reply.as_ptr().expose_provenance(), reply.len())
    })
}

fn error_reply(message: &str) -> Vec<u8> {
    json!({ "error": message }).to_string().into_bytes()
}

fn with_pack<R>(make: fn() -> Pack, f: impl FnOnce(&Pack) -> R) -> R {
    PACK.with(|cell| f(cell.get_or_init(make)))
}

/// `palisade_describe`: the describe document.
pub fn describe_reply(make: fn() -> Pack) -> (usize, usize) {
    set_reply(with_pack(make, |p| p.describe_json()).into_bytes())
}

/// `palisade_load`: parses and keeps the batch; empty reply on success.
pub fn load_reply(addr: usize, len: usize) -> (usize, usize) {
    let parsed = with_input(addr, len, Batch::from_slice).and_then(|r| r);
    let reply = match parsed {
        Ok(batch) => {
            BATCH.with(|b| *b.borrow_mut() = Some(batch));
            Vec::new()
        }
        Err(e) => {
            BATCH.with(|b| *b.borrow_mut() = None);
            error_reply(&e)
        }
    };
    set_reply(reply)
}

/// `palisade_evaluate`: runs one policy on the loaded batch.
pub fn evaluate_reply(make: fn() -> Pack, addr: usize, len: usize) -> (usize, usize) {
    let reply = with_input(addr, len, |request| {
        with_pack(make, |pack| BATCH.with(|b| pack.evaluate_json(b.borrow().as_ref(), request)))
    });
    set_reply(match reply {
        Ok(json) => json.into_bytes(),
        Err(e) => error_reply(&e),
    })
}

/// `(len << 32) | ptr`, both as unsigned 32-bit numbers.
pub fn pack_reply((addr, len): (usize, usize)) -> i64 {
    (((len as u64) << 32) | u64::from(addr as u32)) as i64
}

/// An `i32` address or length of the wasm ABI as an unsigned number.
pub fn to_usize(v: i32) -> usize {
    v as u32 as usize
}

/// `palisade_alloc(len)` for the wasm ABI.
pub fn alloc(len: i32) -> i32 {
    if len < 0 {
        return 0;
    }
    alloc_addr(to_usize(len)) as u32 as i32
}

/// `palisade_describe()` for the wasm ABI.
pub fn describe(make: fn() -> Pack) -> i64 {
    pack_reply(describe_reply(make))
}

/// `palisade_load(ptr, len)` for the wasm ABI.
pub fn load(ptr: i32, len: i32) -> i64 {
    pack_reply(load_reply(to_usize(ptr), to_usize(len)))
}

/// `palisade_evaluate(ptr, len)` for the wasm ABI.
pub fn evaluate(make: fn() -> Pack, ptr: i32, len: i32) -> i64 {
    pack_reply(evaluate_reply(make, to_usize(ptr), to_usize(len)))
}

/// Generates the ABI v1 exports of a pack: `palisade_abi_version`,
/// `palisade_alloc`, `palisade_describe`, `palisade_load` and
/// `palisade_evaluate` (see `sdk/ABI.md`).
///
/// Give it a function returning the [`Pack`](crate::Pack); it is called once,
/// on first use. Invoke it once, at the root of a `cdylib` crate built for
/// `wasm32-unknown-unknown`.
///
/// ```
/// use palisade_sdk::prelude::*;
/// fn pack() -> Pack {
///     Pack::new("empty", "0.1.0")
/// }
/// palisade_sdk::export_pack!(pack);
/// # assert_eq!(palisade_abi_version(), 1);
/// ```
#[macro_export]
macro_rules! export_pack {
    ($pack:expr) => {
        /// Palisade ABI: the ABI version of this pack (1).
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn palisade_abi_version() -> i32 {
            $crate::__abi::ABI_VERSION
        }

        /// Palisade ABI: allocates an input buffer of `len` bytes.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn palisade_alloc(len: i32) -> i32 {
            $crate::__abi::alloc(len)
        }

        /// Palisade ABI: the describe document, as a packed reply.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn palisade_describe() -> i64 {
            $crate::__abi::describe($pack)
        }

        /// Palisade ABI: loads the batch at `ptr`, `len`.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn palisade_load(ptr: i32, len: i32) -> i64 {
            $crate::__abi::load(ptr, len)
        }

        /// Palisade ABI: runs the evaluate request at `ptr`, `len`.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn palisade_evaluate(ptr: i32, len: i32) -> i64 {
            $crate::__abi::evaluate($pack, ptr, len)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(addr: usize, bytes: &[u8]) {
        let ptr = std::ptr::with_exposed_provenance_mut::<u8>(addr);
        // SAFETY: `addr` is a live buffer of at least `bytes.len()` bytes from
        // `alloc_addr`, exposed there; nothing else references it.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr, bytes.len()) };
    }

    fn read((addr, len): (usize, usize)) -> String {
        let ptr = std::ptr::with_exposed_provenance::<u8>(addr);
        // SAFETY: `(addr, len)` is the current reply buffer, alive until the
        // next call that sets a reply; it is read before that.
        let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
        String::from_utf8_lossy(bytes).into_owned()
    }

    fn send(bytes: &[u8]) -> (usize, usize) {
        let addr = alloc_addr(bytes.len());
        assert_ne!(addr, 0);
        write(addr, bytes);
        (addr, bytes.len())
    }

    fn pack() -> Pack {
        crate::tests::demo_pack()
    }

    #[test]
    fn buffers_and_replies_round_trip() {
        let describe = read(describe_reply(pack));
        assert!(describe.contains("\"demo-ebs-encrypted\""), "{describe}");

        let (batch_addr, batch_len) = send(crate::tests::DEMO_BATCH.as_bytes());
        assert_eq!(load_reply(batch_addr, batch_len).1, 0, "load succeeds with an empty reply");

        let (addr, len) = send(br#"{"policy": "demo-ebs-encrypted", "targets": [0, 1, 2]}"#);
        let reply: serde_json::Value =
            serde_json::from_str(&read(evaluate_reply(pack, addr, len))).expect("json reply");
        assert_eq!(reply["violations"].as_array().map(Vec::len), Some(2), "{reply}");

        // A buffer is consumed once; a failed load forgets the batch.
        assert!(read(load_reply(batch_addr, batch_len)).contains("not allocated"));
        let (addr, len) = send(br#"{"policy": "demo-ebs-encrypted", "targets": [0]}"#);
        assert!(read(evaluate_reply(pack, addr, len)).contains("no batch is loaded"));

        // A length beyond the buffer is refused, and the buffer is freed.
        let addr = alloc_addr(4);
        assert!(read(evaluate_reply(pack, addr, 5)).contains("exceeds"));
        assert_eq!(pack_reply((0x10, 3)), (3_i64 << 32) | 0x10);
    }
}
