//! The scheduler of `palisade schedule --config palisade.toml`: scheduled
//! scans, drift reports, policy checks and remediation, as a long-lived
//! process or once (`--once`, for Kubernetes CronJobs and CI).
//!
//! - `config.rs` reads the TOML file into jobs ([`load`]); `cadence.rs` is
//!   when a job runs (cron in a timezone);
//! - `clock.rs` decides, without waiting, which tick comes next and whether
//!   a tick starts a run; `scheduler.rs` waits for the ticks of each job,
//!   never overlapping a job with itself, and handles SIGTERM/SIGINT
//!   (SIGTERM to the running phases, killed after the grace period);
//! - `runner.rs` runs one job: `palisade` child processes, one per phase;
//!   `publish.rs` gives the run its verdict and publishes it;
//! - `store.rs` publishes runs atomically (`latest`, bounded history);
//! - `record.rs` is `run.json` and the webhook event body; `webhook.rs`
//!   delivers events with retries, on one task per job (not part of runs).
//!
//! Logs are `tracing` events; the binary chooses where they go. Errors are
//! typed: [`ConfigError`] names the file, the job and the key at fault;
//! [`ScheduleError`] is what can stop the scheduler at start.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

mod cadence;
mod clock;
mod config;
mod publish;
mod record;
mod runner;
mod scheduler;
mod store;
mod webhook;

#[cfg(test)]
mod tests;

pub use cadence::CadenceError;
pub use config::{Config, ConfigError, JobError, JobRef, load};
pub use scheduler::print_check;
pub use store::StoreError;

/// How [`run`] runs the jobs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The `palisade` binary to run phases with (each phase is a child
    /// `palisade scan | drift | check | remediate`).
    pub exe: PathBuf,
    /// Run each job once, now, in parallel, and return the worst exit code.
    pub once: bool,
    /// After SIGTERM or SIGINT, how long running phases and webhook
    /// deliveries still due may take before they are killed and dropped.
    pub grace: Duration,
}

/// What stops the scheduler before any job runs.
#[derive(Debug, Error)]
pub enum ScheduleError {
    /// A job's reports folder cannot be created, locked (another process
    /// uses it) or cleaned of a crash's leftovers.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A signal handler cannot be installed.
    #[error("cannot handle {signal}")]
    Signal {
        /// `SIGTERM` or `SIGINT`.
        signal: &'static str,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The async runtime cannot start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] io::Error),
}

/// Run the jobs of `config` until SIGTERM or SIGINT, or, with
/// [`Options::once`], until each ran once. Blocks on its own
/// single-threaded runtime.
///
/// Returns the exit code: 0 after a clean stop; with `once`, the worst
/// run's (0 clean; 1 drift, violations, or remediation left violations; 2
/// errors, an incomplete scan, an abandoned or interrupted run).
pub fn run(config: Config, options: Options) -> Result<u8, ScheduleError> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ScheduleError::Runtime)?;
    let code = runtime.block_on(scheduler::run(config, options));
    // A webhook attempt still in flight when deliveries were dropped (its
    // blocking thread) is not waited for long.
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}

/// The shutdown state, broadcast to every job, run and delivery task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Running: ticks start runs.
    No,
    /// A signal came: no new run or phase; running phases are sent
    /// SIGTERM; webhook deliveries go on.
    Finish,
    /// The grace period is over (or a second signal came): running phases
    /// are killed, deliveries not done are dropped.
    Abandon,
}

/// An error and its sources joined by `: `, as the binary prints errors
/// (for errors that go to logs and `run.json` instead).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text = format!("{text}: {e}");
        source = e.source();
    }
    text
}
