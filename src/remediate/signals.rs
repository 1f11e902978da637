//! SIGTERM and SIGINT during `palisade remediate --apply`.
//!
//! The first of them asks the run to stop: the tagging call in flight
//! completes, no other is sent, the changes not sent are marked failed, the
//! report is written and the command exits 1 (`palisade schedule` forwards
//! SIGTERM and relies on this). A second one ends the process at once with
//! 128 + its number (130 for SIGINT, 143 for SIGTERM), as the default
//! action would.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::{flag, low_level};

/// The stop request of a run: which signal came first, if any.
pub(super) struct StopSignals {
    /// The number of the first signal received; 0: none.
    first: Arc<AtomicUsize>,
}

impl StopSignals {
    /// Handle SIGTERM and SIGINT for the rest of the process (see the
    /// module docs). Errors: a handler that cannot be installed.
    pub(super) fn register() -> Result<StopSignals> {
        let armed = Arc::new(AtomicBool::new(false));
        let first = Arc::new(AtomicUsize::new(0));
        for signal in [SIGTERM, SIGINT] {
            let name = low_level::signal_name(signal).unwrap_or("a signal");
            let number = usize::try_from(signal).context("a signal number")?;
            // Order matters: the shutdown checks the flag the first signal
            // sets after it, so it fires from the second signal on.
            flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&armed))
                .and_then(|_| flag::register(signal, Arc::clone(&armed)))
                .with_context(|| format!("cannot handle {name}"))?;
            // Only the first signal gets here: a second one exits above.
            flag::register_usize(signal, Arc::clone(&first), number)
                .with_context(|| format!("cannot handle {name}"))?;
        }
        Ok(StopSignals { first })
    }

    /// The name of the signal that asked the run to stop (`SIGTERM`), once
    /// one did.
    pub(super) fn received(&self) -> Option<String> {
        let number = self.first.load(Ordering::SeqCst);
        if number == 0 {
            return None;
        }
        let name = i32::try_from(number).ok().and_then(low_level::signal_name);
        Some(name.map_or_else(|| format!("signal {number}"), str::to_string))
    }
}
