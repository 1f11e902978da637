//! Unit tests of the scheduler, one file per module: cron in a timezone
//! across DST changes (`cadence.rs`), the clock's ticks after a late
//! wake-up and while a run is going (`clock.rs`), the configuration's typed
//! errors and its remediation keys (`config.rs`), the run's verdict and
//! `run.json` (`publish.rs`), the record and the webhook body
//! (`record.rs`), the remediation counts from a v2 report
//! (`remediation.rs`), the remediation child's arguments (`runner.rs`),
//! the folder of runs (`store.rs`). The whole scheduler, with its child processes, signals and
//! webhooks, is tested end to end in `tests/palisade/schedule.rs`.

use chrono::{DateTime, Utc};

mod cadence;
mod clock;
mod config;
mod publish;
mod record;
mod remediation;
mod runner;
mod store;

/// An RFC 3339 time (any offset) as UTC.
fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("an RFC 3339 time").with_timezone(&Utc)
}

/// A phase record of `phase` that exited with `exit_code` (`None`: killed).
fn phase(phase: &'static str, exit_code: Option<i32>) -> crate::schedule::record::PhaseRecord {
    crate::schedule::record::PhaseRecord {
        phase,
        args: vec![phase.to_string()],
        started_at: "2026-11-30T10:15:00Z".to_string(),
        duration_ms: 1200,
        exit_code,
        timed_out: false,
        error: None,
        log: format!("logs/{phase}.log"),
    }
}
