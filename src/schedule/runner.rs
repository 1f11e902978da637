//! One run of a job: the `palisade` binary itself as child processes, one
//! per phase, writing into the run's temporary folder:
//!
//! 1. `palisade scan <target> -o inventory.json` (0 complete, 2 incomplete);
//! 2. with state files, `palisade drift --inventory inventory.json --state
//!    F... --format json -o drift.json`;
//! 3. with packs, `palisade check inventory.json --pack P... --format json
//!    -o violations.json --report markdown=violations.md`;
//! 4. with packs and a complete scan, `palisade remediate --inventory
//!    inventory.json --pack P... [--apply --allow-action KIND...
//!    --max-changes N] [--state F...] --report-dir remediation`.
//!
//! Phases run in the run's folder, naming its files relatively (reports
//! that record paths stay right after the rename); paths from the
//! configuration are absolute. Each phase's standard output and error go
//! to `logs/<phase>.log`. Then the run is published (`publish.rs`:
//! `run.json`, the folder renamed into place), and its events queued for
//! the webhook (the job's [`Outbox`] delivers them on its own task: the run
//! is over).
//!
//! At shutdown ([`Stop::Finish`]) no further phase starts and the running
//! one is sent SIGTERM (`remediate` then stops after its current call and
//! writes its report; the other phases just exit); at [`Stop::Abandon`]
//! (the grace period over, or a second signal) it is killed. A run
//! stopped so before its remediation phase started changed nothing: its
//! folder is removed. A run stopped during remediation may have changed
//! tags: it is published, marked `interrupted`, with whatever reports and
//! logs it has, and `latest` is left on the last complete run.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};
use thiserror::Error;
use tokio::sync::watch;

use super::config::Job;
use super::publish::publish;
use super::record::{DRIFT_FILE, INVENTORY_FILE, PhaseRecord, REMEDIATION_DIR, RunRecord, VIOLATIONS_FILE};
use super::store::JobStore;
use super::webhook::Outbox;
use super::{Stop, error_chain};

/// What a run needs.
pub(crate) struct RunContext {
    /// The job.
    pub job: Arc<Job>,
    /// Its folder of runs.
    pub store: Arc<JobStore>,
    /// The `palisade` binary (this process's).
    pub exe: PathBuf,
    /// The cron tick that started it; `None` with `--once`.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Ticks that came, and were skipped, while this run was going.
    pub skipped_ticks: Arc<AtomicU64>,
    /// The shutdown state.
    pub stop: watch::Receiver<Stop>,
    /// Where the run's events go once it is published.
    pub outbox: Outbox,
}

/// How a run ended.
#[derive(Debug)]
pub(crate) enum RunOutcome {
    /// Published (perhaps interrupted during remediation); its record. Its
    /// events are queued for delivery.
    Finished(Box<RunRecord>),
    /// Stopped at shutdown before remediation: its phase stopped, its
    /// folder removed.
    Abandoned,
    /// The run's folder could not be made or published (logged).
    Failed,
}

impl RunOutcome {
    /// The run's exit code: its record's, 2 when abandoned or failed.
    pub(crate) fn code(&self) -> u8 {
        match self {
            RunOutcome::Finished(r) => r.exit_code,
            RunOutcome::Abandoned | RunOutcome::Failed => 2,
        }
    }
}

/// A shutdown stopped the run's phases (the marker of `?` in the phase
/// sequence): the running phase was sent SIGTERM (or killed), or the next
/// phase was not started.
struct Interrupted;

/// Run the job once, to the end or until a shutdown stops it.
pub(crate) async fn run(ctx: RunContext) -> RunOutcome {
    let started = Utc::now();
    let pending = match ctx.store.begin(started) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(job = %ctx.job.name, error = %error_chain(&e), "run not started");
            return RunOutcome::Failed;
        }
    };
    tracing::info!(
        job = %ctx.job.name,
        run_id = %pending.id,
        scheduled_for = ctx.scheduled_for.map(rfc3339),
        "run started"
    );
    let deadline = tokio::time::Instant::now() + ctx.job.run_timeout;
    let mut runner = PhaseRunner { ctx: &ctx, tmp: &pending.tmp, deadline, phases: Vec::new() };
    let interrupted = run_phases(&mut runner).await.is_err();
    let phases = runner.phases;
    if interrupted && !phases.iter().any(|p| p.phase == "remediate") {
        if let Err(e) = ctx.store.discard(&pending) {
            tracing::error!(job = %ctx.job.name, run_id = %pending.id, error = %e, "cannot remove the abandoned run's folder");
        }
        tracing::warn!(
            job = %ctx.job.name,
            run_id = %pending.id,
            "run abandoned at shutdown before remediation (nothing was changed): its folder was removed"
        );
        return RunOutcome::Abandoned;
    }
    if interrupted {
        tracing::warn!(
            job = %ctx.job.name,
            run_id = %pending.id,
            "run interrupted at shutdown during remediation: published with the reports it has, marked interrupted (latest unchanged)"
        );
    }
    let record = match publish(&ctx, pending, started, phases, interrupted) {
        Ok(record) => record,
        Err(e) => {
            tracing::error!(job = %ctx.job.name, error = %error_chain(&e), "run not published");
            return RunOutcome::Failed;
        }
    };
    ctx.outbox.post(&record);
    RunOutcome::Finished(Box::new(record))
}

/// Run the job's phases, in order, into the run's folder; `Err` when a
/// shutdown stopped them.
async fn run_phases(runner: &mut PhaseRunner<'_>) -> Result<(), Interrupted> {
    let job = Arc::clone(&runner.ctx.job);
    let tmp = runner.tmp;
    // Phases run in the run's folder and name their files relatively, so
    // reports that record paths stay right once the folder is renamed.
    let inventory = PathBuf::from(INVENTORY_FILE);

    let mut scan: Vec<OsString> = vec!["scan".into()];
    scan.extend(target_args(&job, true));
    scan.extend(["--no-progress".into(), "--output".into(), inventory.clone().into()]);
    let complete = runner.phase("scan", scan).await?.code() == 0;
    if !tmp.join(INVENTORY_FILE).is_file() || runner.timed_out() {
        return Ok(());
    }
    if !job.state.is_empty() {
        let mut drift: Vec<OsString> = vec!["drift".into(), "--inventory".into(), inventory.clone().into()];
        for state in &job.state {
            drift.extend(["--state".into(), state.clone().into()]);
        }
        if let Some(ignore) = &job.ignore_file {
            drift.extend(["--ignore-file".into(), ignore.clone().into()]);
        }
        drift.extend(["--format".into(), "json".into(), "--output".into(), DRIFT_FILE.into()]);
        runner.phase("drift", drift).await?;
    }
    if job.packs.is_empty() || runner.timed_out() {
        return Ok(());
    }
    let mut check: Vec<OsString> = vec!["check".into(), inventory.clone().into()];
    check.extend(pack_args(&job));
    check.extend(["--format".into(), "json".into(), "--output".into(), VIOLATIONS_FILE.into()]);
    check.extend(["--report".into(), "markdown=violations.md".into()]);
    runner.phase("check", check).await?;
    // Never remediate from a partial picture of the account.
    if !complete || runner.timed_out() {
        return Ok(());
    }
    runner.phase("remediate", remediate_args(&job, &inventory)).await?;
    Ok(())
}

/// The arguments of the remediation phase of `job`, which reads
/// `inventory`: `remediate --inventory FILE`, the packs' options, with
/// `auto_remediate` `--apply`, `--allow-action KIND` per allowed kind (or
/// `all`) and `--max-changes N`, `--state FILE` per state file (resources a
/// state manages are left to code), the AWS access options, and
/// `--report-dir remediation`.
pub(crate) fn remediate_args(job: &Job, inventory: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["remediate".into(), "--inventory".into(), inventory.into()];
    args.extend(pack_args(job));
    if job.auto_remediate {
        args.push("--apply".into());
        for kind in job.allow_actions.names() {
            args.extend(["--allow-action".into(), kind.into()]);
        }
        args.extend(["--max-changes".into(), job.max_changes.to_string().into()]);
    }
    for state in &job.state {
        args.extend(["--state".into(), state.into()]);
    }
    args.extend(target_args(job, false));
    args.extend(["--report-dir".into(), REMEDIATION_DIR.into()]);
    args
}

/// The scan target's options; `scan = false`: only the AWS access ones
/// (what `remediate --inventory` accepts).
fn target_args(job: &Job, scan: bool) -> Vec<OsString> {
    let t = &job.target;
    let mut args: Vec<String> = Vec::new();
    let mut opt = |flag: &str, value: String| args.extend([flag.to_string(), value]);
    if let Some(url) = &t.endpoint_url {
        opt("--endpoint-url", url.clone());
    }
    if let Some(profile) = &t.profile {
        opt("--profile", profile.clone());
    }
    if let Some(n) = t.attempt_timeout_secs {
        opt("--attempt-timeout-secs", n.to_string());
    }
    if let Some(n) = t.max_attempts {
        opt("--max-attempts", n.to_string());
    }
    if let Some(n) = t.retry_backoff_ms {
        opt("--retry-backoff-ms", n.to_string());
    }
    if scan {
        for region in &t.regions {
            opt("--region", region.clone());
        }
        for role in &t.assume_roles {
            opt("--assume-role", role.clone());
        }
        for ty in &t.resource_types {
            opt("--resource-type", ty.clone());
        }
        for tag in &t.tags {
            opt("--tag", tag.clone());
        }
        if let Some(n) = t.max_in_flight {
            opt("--max-in-flight", n.to_string());
        }
        if t.all_regions {
            args.push("--all-regions".to_string());
        }
    }
    args.into_iter().map(OsString::from).collect()
}

/// `--pack`, `--config`, `--enforcement`, `--exemptions` for check and
/// remediate.
fn pack_args(job: &Job) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    for pack in &job.packs {
        args.extend(["--pack".into(), pack.into()]);
    }
    if let Some(config) = &job.pack_config {
        args.extend(["--config".into(), config.clone().into()]);
    }
    for (policy, level) in &job.enforcement {
        args.extend(["--enforcement".into(), format!("{policy}={level}").into()]);
    }
    if let Some(exemptions) = &job.exemptions {
        args.extend(["--exemptions".into(), exemptions.clone().into()]);
    }
    args
}

/// Runs phases one after the other, within the run's deadline.
struct PhaseRunner<'a> {
    ctx: &'a RunContext,
    tmp: &'a Path,
    deadline: tokio::time::Instant,
    phases: Vec<PhaseRecord>,
}

impl PhaseRunner<'_> {
    /// Whether a phase was stopped at the run's time limit.
    fn timed_out(&self) -> bool {
        self.phases.iter().any(|p| p.timed_out)
    }

    /// Run `palisade ARGS` as phase `name`; its record, also kept. `Err`
    /// when a shutdown came before it started (nothing kept) or while it
    /// ran (its record kept).
    async fn phase(&mut self, name: &'static str, args: Vec<OsString>) -> Result<PhaseRecord, Interrupted> {
        let mut stop = self.ctx.stop.clone();
        if *stop.borrow_and_update() != Stop::No {
            tracing::info!(job = %self.ctx.job.name, phase = name, "phase not started: stopping");
            return Err(Interrupted);
        }
        let started = Utc::now();
        let clock = Instant::now();
        let log_rel = format!("logs/{name}.log");
        let mut record = PhaseRecord {
            phase: name,
            args: args.iter().map(|a| a.to_string_lossy().into_owned()).collect(),
            started_at: rfc3339(started),
            duration_ms: 0,
            exit_code: None,
            timed_out: false,
            error: None,
            log: log_rel.clone(),
        };
        tracing::debug!(job = %self.ctx.job.name, phase = name, "phase started");
        let mut interrupted = false;
        match self.spawn(&args, &self.tmp.join(&log_rel)) {
            Err(e) => record.error = Some(error_chain(&e)),
            Ok(mut child) => match self.wait(name, &mut child, &mut stop).await {
                Ended::Exited(Ok(status)) => {
                    record.exit_code = status.code();
                    if status.code().is_none() {
                        record.error = Some(format!("ended by {status}"));
                    }
                }
                Ended::Exited(Err(e)) => record.error = Some(format!("cannot wait for it: {e}")),
                Ended::TimedOut => {
                    stop_child(&mut child).await;
                    record.timed_out = true;
                    record.error = Some(format!(
                        "stopped: the run took longer than run_timeout_secs ({} s)",
                        self.ctx.job.run_timeout.as_secs()
                    ));
                }
                Ended::Interrupted(Ok(status)) => {
                    interrupted = true;
                    record.exit_code = status.code();
                    record.error = Some(match status.code() {
                        Some(_) => "interrupted at shutdown: it was sent SIGTERM and exited".to_string(),
                        None => format!("interrupted at shutdown: sent SIGTERM, it ended by {status}"),
                    });
                }
                Ended::Interrupted(Err(e)) => {
                    interrupted = true;
                    record.error = Some(format!("interrupted at shutdown; cannot wait for it: {e}"));
                }
                Ended::Killed => {
                    interrupted = true;
                    stop_child(&mut child).await;
                    record.error = Some(
                        "interrupted at shutdown: killed (it had not stopped within the grace period after SIGTERM, or a second signal came)"
                            .to_string(),
                    );
                }
            },
        }
        record.duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(
            job = %self.ctx.job.name,
            phase = name,
            exit_code = record.exit_code,
            duration_ms = record.duration_ms,
            error = record.error.as_deref(),
            "phase finished"
        );
        self.phases.push(record.clone());
        if interrupted { Err(Interrupted) } else { Ok(record) }
    }

    /// Wait for phase `name`'s `child`, following the shutdown state:
    /// SIGTERM at [`Stop::Finish`], the end at [`Stop::Abandon`] (the
    /// caller kills it), or at the run's deadline.
    async fn wait(&self, name: &str, child: &mut tokio::process::Child, stop: &mut watch::Receiver<Stop>) -> Ended {
        let mut signalled = false;
        let mut watching = true;
        loop {
            let state = *stop.borrow_and_update();
            if state == Stop::Abandon {
                return Ended::Killed;
            }
            if state == Stop::Finish && !signalled {
                signalled = true;
                let sent = terminate(child);
                tracing::info!(
                    job = %self.ctx.job.name,
                    phase = name,
                    error = sent.err().map(|e| e.to_string()),
                    "stopping: SIGTERM sent to the phase"
                );
            }
            tokio::select! {
                status = child.wait() => {
                    return if signalled { Ended::Interrupted(status) } else { Ended::Exited(status) };
                }
                () = tokio::time::sleep_until(self.deadline) => return Ended::TimedOut,
                changed = stop.changed(), if watching => watching = changed.is_ok(),
            }
        }
    }

    /// Start the child: its own process group (a terminal's Ctrl-C reaches
    /// only the scheduler, which decides), output to `log`, killed if
    /// dropped.
    fn spawn(&self, args: &[OsString], log: &Path) -> Result<tokio::process::Child, SpawnError> {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(|source| SpawnError::Create { path: dir.to_path_buf(), source })?;
        }
        let log_error = |source| SpawnError::Create { path: log.to_path_buf(), source };
        let out = File::create(log).map_err(log_error)?;
        let err = out.try_clone().map_err(log_error)?;
        tokio::process::Command::new(&self.ctx.exe)
            .args(args)
            .current_dir(self.tmp)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| SpawnError::Start { exe: self.ctx.exe.clone(), source })
    }
}

/// Why a phase's process did not start (kept in its record's `error`).
#[derive(Debug, Error)]
enum SpawnError {
    /// The log folder or file cannot be created.
    #[error("cannot create {}", path.display())]
    Create { path: PathBuf, source: io::Error },
    /// The `palisade` binary cannot be started.
    #[error("cannot start {}", exe.display())]
    Start { exe: PathBuf, source: io::Error },
}

/// How waiting for a phase's process ended.
enum Ended {
    /// It exited by itself (or could not be waited for).
    Exited(io::Result<std::process::ExitStatus>),
    /// It exited after it was sent SIGTERM at shutdown.
    Interrupted(io::Result<std::process::ExitStatus>),
    /// The run's deadline came first: kill it.
    TimedOut,
    /// Shutdown stopped waiting ([`Stop::Abandon`]): kill it.
    Killed,
}

/// Send SIGTERM to a phase's process (not reaped yet).
fn terminate(child: &tokio::process::Child) -> io::Result<()> {
    let pid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| io::Error::other("the process has already exited"))?;
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).map_err(io::Error::from)
}

/// Kill a phase's process and reap it.
async fn stop_child(child: &mut tokio::process::Child) {
    let _ = child.start_kill();
    let _ = child.wait().await;
}

/// Resolves once the shutdown state is [`Stop::Abandon`]; never if the
/// sender is gone.
pub(crate) async fn abandoned(stop: &mut watch::Receiver<Stop>) {
    if stop.wait_for(|s| *s == Stop::Abandon).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// RFC 3339 in UTC with seconds: `2026-11-30T10:15:00Z`.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
