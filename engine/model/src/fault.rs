//! How a guest call can fail: the kinds reported as policy (or pack) errors.

use std::fmt;

use serde::Serialize;

/// The kind of a guest fault, as reported in `policy_errors[].kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// The call ran past its deadline ([`crate::Limits::call_deadline`]).
    Timeout,
    /// The guest tried to grow its memory beyond [`crate::Limits::memory_bytes`].
    Memory,
    /// The guest trapped (unreachable, out-of-bounds access, stack overflow,
    /// a Rust panic, `proc_exit`...).
    Trap,
    /// The guest broke the ABI: a missing export, a bad pointer, a reply that
    /// is not the documented JSON, an oversized reply.
    Abi,
    /// The policy itself answered `{"error": ...}`.
    Policy,
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultKind::Timeout => "timeout",
            FaultKind::Memory => "memory",
            FaultKind::Trap => "trap",
            FaultKind::Abi => "abi",
            FaultKind::Policy => "policy",
        })
    }
}

/// A failed guest call: its kind and a one-line explanation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct GuestFault {
    /// What went wrong.
    pub kind: FaultKind,
    /// A one-line explanation for people.
    pub message: String,
}

impl GuestFault {
    /// A fault of `kind` with `message`.
    pub fn new(kind: FaultKind, message: impl Into<String>) -> Self {
        GuestFault { kind, message: message.into() }
    }

    /// An ABI fault with `message`.
    pub fn abi(message: impl Into<String>) -> Self {
        GuestFault::new(FaultKind::Abi, message)
    }
}
