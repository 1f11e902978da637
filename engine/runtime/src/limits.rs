//! Limits applied to every guest call. Always on; overridable per engine.

use std::time::Duration;

/// The resource limits of one guest call.
///
/// Defaults: a 2 s wall-clock deadline per call, 256 MiB of linear memory per
/// instance, 16 MiB per reply document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock deadline of one call into the guest (epoch interruption,
    /// with a resolution of [`EPOCH_TICK`]).
    pub call_deadline: Duration,
    /// Maximum size of an instance's linear memory, in bytes.
    pub memory_bytes: usize,
    /// Maximum size of one reply document (describe, load, evaluate), in bytes.
    pub reply_bytes: usize,
}

/// How often the engine's ticker advances the epoch.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

impl Default for Limits {
    fn default() -> Self {
        Limits { call_deadline: Duration::from_secs(2), memory_bytes: 256 << 20, reply_bytes: 16 << 20 }
    }
}

impl Limits {
    /// The deadline in epoch ticks (at least 1, rounded up, plus one tick of
    /// slack because the current tick may be nearly over).
    pub fn deadline_ticks(&self) -> u64 {
        let tick = EPOCH_TICK.as_nanos().max(1);
        let ticks = self.call_deadline.as_nanos().div_ceil(tick);
        u64::try_from(ticks).unwrap_or(u64::MAX).saturating_add(1).max(2)
    }
}
