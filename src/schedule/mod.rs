//! `palisade schedule --config palisade.toml`: scheduled scans, drift
//! reports, policy checks and remediation, as a long-lived process or once
//! (`--once`, for Kubernetes CronJobs and CI).
//!
//! - `config.rs` reads the TOML file into jobs; `cadence.rs` is when a job
//!   runs (cron in a timezone);
//! - `scheduler.rs` ticks each job, never overlapping a job with itself,
//!   and handles SIGTERM/SIGINT (SIGTERM to the running phases, killed
//!   after the grace period);
//! - `runner.rs` runs one job: `palisade` child processes, one per phase;
//! - `store.rs` publishes runs atomically (`latest`, bounded history);
//! - `record.rs` is `run.json` and the webhook event body; `webhook.rs`
//!   delivers events with retries, on one task per job (not part of runs).
//!
//! Logs are `tracing` events on standard error, as text or JSON lines.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;

mod cadence;
mod config;
mod record;
mod runner;
mod scheduler;
mod store;
mod webhook;

#[derive(clap::Args)]
pub(crate) struct ScheduleArgs {
    /// The schedule configuration (TOML): `[defaults]` and `[[job]]`
    /// tables; see examples/schedule/README.md.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Run every job once, now, in parallel, and exit with the worst job's
    /// exit code (2 > 1 > 0).
    #[arg(long, conflicts_with = "check")]
    once: bool,
    /// Validate the configuration and print each job's next run times;
    /// run nothing.
    #[arg(long)]
    check: bool,
    /// Only this job; repeatable. Default: every job.
    #[arg(long = "job", value_name = "NAME")]
    jobs: Vec<String>,
    /// After SIGTERM or SIGINT (which is forwarded as SIGTERM to the phase
    /// each run has going), how long those phases and the webhook
    /// deliveries still due may take before the phases are killed and the
    /// deliveries dropped, in seconds. A second signal ends the wait.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    grace_secs: u64,
    /// The log format on standard error.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// How logs are written.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// One line per event: time, level, message, fields.
    Text,
    /// One JSON object per line.
    Json,
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

/// `palisade schedule`: exit code 0 after a clean stop (or `--check`); 2
/// for configuration and start-up errors. With `--once`, the worst run's
/// exit code (an abandoned or interrupted run counts 2).
pub(crate) fn run(args: &ScheduleArgs) -> Result<u8> {
    let mut config = config::load(&args.config)?;
    for warning in &config.warnings {
        crate::say!("palisade: warning: {warning}");
    }
    if !args.jobs.is_empty() {
        for name in &args.jobs {
            if !config.jobs.iter().any(|j| &j.name == name) {
                let known: Vec<&str> = config.jobs.iter().map(|j| j.name.as_str()).collect();
                bail!("--job {name}: no such job in {} (jobs: {})", args.config.display(), known.join(", "));
            }
        }
        config.jobs.retain(|j| args.jobs.contains(&j.name));
    }
    if args.check {
        return scheduler::print_check(&config);
    }
    init_logging(args.log_format);
    let exe = std::env::current_exe().context("cannot find the palisade binary to run phases with")?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    let options = scheduler::Options { exe, once: args.once, grace: Duration::from_secs(args.grace_secs) };
    let code = runtime.block_on(scheduler::run(config, options));
    // A webhook attempt still in flight when deliveries were dropped (its
    // blocking thread) is not waited for long.
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}

/// Send `tracing` events to standard error, at level INFO and above.
fn init_logging(format: LogFormat) {
    let builder =
        tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).with_max_level(tracing::Level::INFO);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
    };
}
