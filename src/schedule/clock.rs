//! A job's clock without the waiting: which cron tick comes next, and
//! whether a tick that came starts a run. `scheduler.rs` sleeps until the
//! wall clock reaches the tick and acts on the answer; the rules are here,
//! pure, so they are unit-tested (`tests/clock.rs`).
//!
//! The rules:
//! - the tick waited for runs when the clock wakes, however late (the
//!   machine was suspended, the process stopped): the run's
//!   `scheduled_for` is that tick;
//! - ticks the clock slept through after it are passed over: neither run
//!   nor counted as skipped; the next tick is the first one after the
//!   wake-up. A machine asleep across many ticks runs the job once when it
//!   wakes, then keeps to the schedule;
//! - a wall clock set back never brings back a tick already acted on;
//! - a tick that comes while the job's previous run is still going is
//!   skipped (the scheduler logs it and counts it in the run's `run.json`):
//!   a job never overlaps itself.

use chrono::{DateTime, Utc};

use super::cadence::Cadence;

/// What a tick does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TickAction {
    /// No run is going: start one, scheduled for this tick.
    Start,
    /// The previous run is still going: skip this tick.
    Skip,
}

/// One job's clock: its cadence and the tick it last acted on.
#[derive(Debug)]
pub(crate) struct Clock<'a> {
    cadence: &'a Cadence,
    last: Option<DateTime<Utc>>,
}

impl<'a> Clock<'a> {
    /// A clock that has acted on no tick yet.
    pub(crate) fn new(cadence: &'a Cadence) -> Clock<'a> {
        Clock { cadence, last: None }
    }

    /// The tick to wait for, seen at `now`: the first time the cadence
    /// matches after both `now` and the last tick acted on. `None` when it
    /// matches no time to come.
    pub(crate) fn next(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = self.last.map_or(now, |last| last.max(now));
        self.cadence.next_after(from)
    }

    /// Tick `tick` came (the wall clock reached it, perhaps long after);
    /// `run_going`: whether the job's previous run is still going. The tick
    /// is acted on either way: it never comes again.
    pub(crate) fn tick(&mut self, tick: DateTime<Utc>, run_going: bool) -> TickAction {
        self.last = Some(tick);
        if run_going { TickAction::Skip } else { TickAction::Start }
    }
}
