//! `palisade schedule --config palisade.toml`: its options, the job
//! selection, `--check`'s output and the log format; the scheduler itself
//! is the library's [`palisade::schedule`].

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use palisade::schedule;

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

/// `palisade schedule`: exit code 0 after a clean stop (or `--check`); 2
/// for configuration and start-up errors. With `--once`, the worst run's
/// exit code (an abandoned or interrupted run counts 2).
pub(crate) fn run(args: &ScheduleArgs) -> Result<u8> {
    let mut config = schedule::load(&args.config)?;
    if args.check {
        for warning in &config.warnings {
            crate::say!("palisade: warning: {warning}");
        }
    } else {
        // Running: the warnings go to the log, in its format.
        init_logging(args.log_format);
        for warning in &config.warnings {
            tracing::warn!(warning = %warning, "configuration warning");
        }
    }
    if !args.jobs.is_empty() {
        let known = config.job_names();
        if let Some(name) = args.jobs.iter().find(|name| !known.contains(&name.as_str())) {
            bail!("--job {name}: no such job in {} (jobs: {})", args.config.display(), known.join(", "));
        }
        config.keep_jobs(&args.jobs);
    }
    if args.check {
        schedule::print_check(&config, &mut std::io::stdout().lock())?;
        return Ok(0);
    }
    let exe = std::env::current_exe().context("cannot find the palisade binary to run phases with")?;
    let options = schedule::Options { exe, once: args.once, grace: Duration::from_secs(args.grace_secs) };
    Ok(schedule::run(config, options)?)
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
