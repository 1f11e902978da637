//! The clock's rules: a late wake-up runs the tick it waited for once and
//! passes over the ones it slept through; a clock set back never repeats a
//! tick; a tick that comes while a run is going is skipped.

use chrono::{DateTime, Duration, Utc};

use super::utc;
use crate::schedule::cadence::Cadence;
use crate::schedule::clock::{Clock, TickAction};

fn hourly() -> Cadence {
    Cadence::parse("0 * * * *", "UTC").expect("a valid cadence")
}

#[test]
fn the_next_tick_is_the_first_after_now() {
    let cadence = hourly();
    let clock = Clock::new(&cadence);
    assert_eq!(clock.next(utc("2026-06-01T10:59:30Z")), Some(utc("2026-06-01T11:00:00Z")));
    // Strictly after: woken exactly at a tick, that tick is not next.
    assert_eq!(clock.next(utc("2026-06-01T11:00:00Z")), Some(utc("2026-06-01T12:00:00Z")));
}

#[test]
fn a_late_wake_up_runs_the_awaited_tick_once_and_passes_over_the_rest() {
    let cadence = hourly();
    let mut clock = Clock::new(&cadence);
    let awaited = clock.next(utc("2026-06-01T10:59:30Z")).expect("a tick");
    assert_eq!(awaited, utc("2026-06-01T11:00:00Z"));
    // The machine sleeps from 10:59:30 to 13:30: the 11:00 tick comes late
    // and runs (scheduled for 11:00), once.
    assert_eq!(clock.tick(awaited, false), TickAction::Start);
    // 12:00 and 13:00 passed while it slept: neither is next, nor run.
    let woke = utc("2026-06-01T13:30:05Z");
    assert_eq!(clock.next(woke), Some(utc("2026-06-01T14:00:00Z")));
}

#[test]
fn a_stopped_process_resumed_days_later_runs_once_then_keeps_to_the_schedule() {
    let cadence = Cadence::parse("*/15 * * * *", "Europe/Berlin").expect("a valid cadence");
    let mut clock = Clock::new(&cadence);
    let awaited = clock.next(utc("2026-06-01T08:10:00Z")).expect("a tick");
    assert_eq!(awaited, utc("2026-06-01T08:15:00Z"));
    // SIGSTOP at 08:10, SIGCONT three days later at 09:07: the 08:15 tick
    // runs then, and the next is 09:15, not one of the ticks passed over.
    let resumed = utc("2026-06-04T09:07:00Z");
    let mut ran = Vec::new();
    let mut now = resumed;
    let mut next = awaited;
    while next < utc("2026-06-04T10:00:00Z") {
        now = now.max(next);
        assert_eq!(clock.tick(next, false), TickAction::Start);
        ran.push(next);
        next = clock.next(now).expect("a tick");
    }
    let expected = ["2026-06-01T08:15:00Z", "2026-06-04T09:15:00Z", "2026-06-04T09:30:00Z", "2026-06-04T09:45:00Z"];
    assert_eq!(ran, expected.map(utc));
}

#[test]
fn a_clock_set_back_never_repeats_a_tick() {
    let cadence = hourly();
    let mut clock = Clock::new(&cadence);
    assert_eq!(clock.tick(utc("2026-06-01T11:00:00Z"), false), TickAction::Start);
    // NTP sets the wall clock back to 10:45, after the 11:00 run.
    assert_eq!(clock.next(utc("2026-06-01T10:45:00Z")), Some(utc("2026-06-01T12:00:00Z")));
}

#[test]
fn a_tick_while_a_run_is_going_is_skipped() {
    let cadence = hourly();
    let mut clock = Clock::new(&cadence);
    assert_eq!(clock.tick(utc("2026-06-01T11:00:00Z"), true), TickAction::Skip);
    // A skipped tick is acted on: it is not waited for again.
    assert_eq!(clock.next(utc("2026-06-01T11:00:00Z")), Some(utc("2026-06-01T12:00:00Z")));
    assert_eq!(clock.tick(utc("2026-06-01T12:00:00Z"), false), TickAction::Start);
}

/// What the scheduler's loop does with ticks every 10 minutes and runs
/// that take `run` each: the ticks started and skipped, from 10:00 to 11:00.
fn simulate(run: Duration) -> (Vec<DateTime<Utc>>, Vec<DateTime<Utc>>) {
    let cadence = Cadence::parse("*/10 * * * *", "UTC").expect("a valid cadence");
    let mut clock = Clock::new(&cadence);
    let (mut started, mut skipped) = (Vec::new(), Vec::new());
    let mut run_ends: Option<DateTime<Utc>> = None;
    let mut now = utc("2026-06-01T09:55:00Z");
    while let Some(tick) = clock.next(now).filter(|t| *t <= utc("2026-06-01T11:00:00Z")) {
        now = tick;
        let going = run_ends.is_some_and(|end| end > now);
        match clock.tick(tick, going) {
            TickAction::Start => {
                started.push(tick);
                run_ends = Some(tick + run);
            }
            TickAction::Skip => skipped.push(tick),
        }
    }
    (started, skipped)
}

#[test]
fn runs_never_overlap_and_the_next_free_tick_starts_a_run() {
    let (started, skipped) = simulate(Duration::minutes(25));
    let at = |times: &[&str]| times.iter().map(|t| utc(t)).collect::<Vec<_>>();
    assert_eq!(started, at(&["2026-06-01T10:00:00Z", "2026-06-01T10:30:00Z", "2026-06-01T11:00:00Z"]));
    assert_eq!(
        skipped,
        at(&["2026-06-01T10:10:00Z", "2026-06-01T10:20:00Z", "2026-06-01T10:40:00Z", "2026-06-01T10:50:00Z"])
    );
    // A run that ends exactly at the next tick does not hold it.
    let (started, skipped) = simulate(Duration::minutes(10));
    assert_eq!(started.len(), 7, "{started:?}");
    assert!(skipped.is_empty(), "{skipped:?}");
}
