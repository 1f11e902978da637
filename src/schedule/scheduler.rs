//! The waiting: one task per job that sleeps until its next cron tick and
//! starts a run, unless the job's previous run is still going (that tick
//! is skipped, logged, and counted in the run's `run.json`); which tick
//! comes next, after a late wake-up too, is [`Clock`]'s rule. A run ends
//! when it is published; its webhook events are delivered by the job's
//! [`Outbox`] task meanwhile, so a slow webhook never skips a tick.
//!
//! SIGTERM and SIGINT stop the ticking and forward SIGTERM to the phase
//! each run has going ([`Stop::Finish`]); at the end of the grace period,
//! or at a second signal, phases still going are killed and webhook events
//! not yet delivered are dropped ([`Stop::Abandon`]).

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::clock::{Clock, TickAction};
use super::config::{Config, Job};
use super::runner::{self, RunContext, RunOutcome, rfc3339};
use super::store::JobStore;
use super::webhook::Outbox;
use super::{Options, ScheduleError, Stop};

/// Run the jobs until a signal (or, with `--once`, until each ran once).
/// Returns the exit code: 0 after a clean stop; with `--once`, the worst
/// run's (an abandoned or interrupted run counts 2).
pub(crate) async fn run(config: Config, options: Options) -> Result<u8, ScheduleError> {
    let mut signals = Signals::new()?;
    let stores = open_stores(&config.jobs)?;
    let (stop_tx, stop_rx) = watch::channel(Stop::No);
    let mut tasks = JoinSet::new();
    for (job, store) in config.jobs.into_iter().zip(stores) {
        let (job, exe, stop) = (Arc::new(job), options.exe.clone(), stop_rx.clone());
        if options.once {
            tasks.spawn(run_once(job, store, exe, stop));
        } else {
            tasks.spawn(job_loop(job, store, exe, stop));
        }
    }
    tracing::info!(
        config = %config.path.display(),
        jobs = tasks.len(),
        once = options.once,
        "palisade schedule started"
    );
    let worst = supervise(&mut tasks, &stop_tx, &mut signals, options.grace).await;
    let stopped = *stop_tx.borrow() != Stop::No;
    tracing::info!(stopped_by_signal = stopped, "palisade schedule stopped");
    Ok(if options.once {
        worst
    } else if stopped {
        0
    } else {
        worst
    })
}

/// Open (lock, clean) each job's folder of runs, in job order.
fn open_stores(jobs: &[Job]) -> Result<Vec<Arc<JobStore>>, ScheduleError> {
    let mut stores = Vec::new();
    for job in jobs {
        let (store, recovered) = JobStore::open(&job.dir, job.history)?;
        for path in recovered.removed {
            tracing::warn!(job = %job.name, path = %path.display(), "removed the leftover of an interrupted run");
        }
        if let Some(moved) = recovered.latest {
            tracing::warn!(
                job = %job.name,
                before = moved.before.as_deref().unwrap_or("(none)"),
                now = moved.now.as_deref().unwrap_or("(none: no complete run)"),
                "latest did not name the newest complete run: repaired"
            );
        }
        stores.push(Arc::new(store));
    }
    Ok(stores)
}

/// Wait for the job tasks to end, turning signals into the shutdown state:
/// the first into [`Stop::Finish`] and the grace period, a second one or
/// the end of the grace period into [`Stop::Abandon`]. Returns the worst
/// exit code of the tasks (2 for a task that failed).
async fn supervise(
    tasks: &mut JoinSet<u8>,
    stop_tx: &watch::Sender<Stop>,
    signals: &mut Signals,
    grace: Duration,
) -> u8 {
    let mut worst = 0u8;
    let mut grace_over: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    loop {
        let grace_end = async {
            match grace_over.as_mut() {
                Some(sleep) => sleep.as_mut().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                Some(Ok(code)) => worst = worst.max(code),
                Some(Err(e)) => {
                    tracing::error!(error = %e, "a job's task failed");
                    worst = 2;
                }
            },
            name = signals.next() => {
                if *stop_tx.borrow() == Stop::No {
                    tracing::info!(
                        signal = name,
                        grace_secs = grace.as_secs(),
                        "stopping: no new run or phase; running phases are sent SIGTERM and, like webhook deliveries, have the grace period to end"
                    );
                    let _ = stop_tx.send(Stop::Finish);
                    grace_over = Some(Box::pin(tokio::time::sleep(grace)));
                } else {
                    tracing::warn!(signal = name, "second signal: killing running phases, dropping webhook deliveries");
                    let _ = stop_tx.send(Stop::Abandon);
                }
            }
            () = grace_end => {
                tracing::warn!("grace period over: killing running phases, dropping webhook deliveries");
                let _ = stop_tx.send(Stop::Abandon);
                grace_over = None;
            }
        }
    }
    worst
}

/// SIGTERM and SIGINT, as they come.
struct Signals {
    sigterm: Signal,
    sigint: Signal,
}

impl Signals {
    /// Handle SIGTERM and SIGINT from now on.
    fn new() -> Result<Signals, ScheduleError> {
        let handle = |kind: SignalKind, name: &'static str| {
            signal(kind).map_err(|source| ScheduleError::Signal { signal: name, source })
        };
        Ok(Signals {
            sigterm: handle(SignalKind::terminate(), "SIGTERM")?,
            sigint: handle(SignalKind::interrupt(), "SIGINT")?,
        })
    }

    /// The name of the next SIGTERM or SIGINT.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.sigterm.recv() => "SIGTERM",
            _ = self.sigint.recv() => "SIGINT",
        }
    }
}

/// `--once`: run the job now, then wait for its deliveries. Returns the
/// run's exit code.
async fn run_once(job: Arc<Job>, store: Arc<JobStore>, exe: PathBuf, stop: watch::Receiver<Stop>) -> u8 {
    let (outbox, deliveries) = Outbox::open(&job.name, job.webhook.as_ref(), stop.clone());
    let ctx = RunContext {
        job: Arc::clone(&job),
        store,
        exe,
        scheduled_for: None,
        skipped_ticks: Arc::new(AtomicU64::new(0)),
        stop,
        outbox,
    };
    // The run drops its outbox: deliveries end with its events.
    let code = runner::run(ctx).await.code();
    finish_deliveries(&job.name, deliveries).await;
    code
}

/// One job's clock: run at each tick until the stop; then wait for the run
/// in progress (which stops) and the job's deliveries. Returns 0.
async fn job_loop(job: Arc<Job>, store: Arc<JobStore>, exe: PathBuf, mut stop: watch::Receiver<Stop>) -> u8 {
    let (outbox, deliveries) = Outbox::open(&job.name, job.webhook.as_ref(), stop.clone());
    let mut running: Option<(JoinHandle<RunOutcome>, Arc<AtomicU64>)> = None;
    let mut clock = Clock::new(&job.cadence);
    loop {
        let Some(next) = clock.next(Utc::now()) else {
            tracing::info!(job = %job.name, "no further run: the schedule matches no time to come");
            break;
        };
        tracing::info!(job = %job.name, next_run = %rfc3339(next), "job scheduled");
        tokio::select! {
            () = sleep_until_wall(next) => {}
            () = stopping(&mut stop) => break,
        }
        let going = running.as_ref().is_some_and(|(handle, _)| !handle.is_finished());
        if clock.tick(next, going) == TickAction::Skip {
            if let Some((_, skipped)) = &running {
                let n = skipped.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(
                    job = %job.name,
                    tick = %rfc3339(next),
                    skipped_ticks = n,
                    "tick skipped: the previous run is still going"
                );
            }
            continue;
        }
        let skipped = Arc::new(AtomicU64::new(0));
        let ctx = RunContext {
            job: Arc::clone(&job),
            store: Arc::clone(&store),
            exe: exe.clone(),
            scheduled_for: Some(next),
            skipped_ticks: Arc::clone(&skipped),
            stop: stop.clone(),
            outbox: outbox.clone(),
        };
        running = Some((tokio::spawn(runner::run(ctx)), skipped));
    }
    if let Some((handle, _)) = running
        && let Err(e) = handle.await
    {
        tracing::error!(job = %job.name, error = %e, "a run's task failed");
    }
    drop(outbox);
    finish_deliveries(&job.name, deliveries).await;
    0
}

/// Wait for a job's delivery task, if it has one (its outbox dropped).
async fn finish_deliveries(job: &str, deliveries: Option<JoinHandle<()>>) {
    if let Some(task) = deliveries
        && let Err(e) = task.await
    {
        tracing::error!(job, error = %e, "the webhook delivery task failed");
    }
}

/// Sleep until the wall clock reaches `at` (timers run on the monotonic
/// clock: wake up, look at the wall clock, sleep again if early).
async fn sleep_until_wall(at: DateTime<Utc>) {
    loop {
        let left = at - Utc::now();
        match left.to_std() {
            Ok(d) if !d.is_zero() => tokio::time::sleep(d).await,
            _ => return,
        }
    }
}

/// Resolves once a stop was asked for; never if the sender is gone.
async fn stopping(stop: &mut watch::Receiver<Stop>) {
    if stop.wait_for(|s| *s != Stop::No).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// `--check`: each job's schedule, phases, reports folder and next three
/// run times, written to `out` (the binary gives standard output).
pub fn print_check(config: &Config, out: &mut dyn Write) -> io::Result<()> {
    let now = Utc::now();
    for job in &config.jobs {
        let c = &job.cadence;
        writeln!(out, "job {}: {:?} in {} (cron: {})", job.name, c.expression, c.timezone, c.normalized)?;
        writeln!(out, "  phases: {}", phases(job).join(", "))?;
        writeln!(out, "  reports: {} (history {})", job.dir.display(), job.history)?;
        if let Some(hook) = &job.webhook {
            writeln!(out, "  webhook: {} ({} retries)", hook.url, hook.retries)?;
        }
        let mut t = now;
        for _ in 0..3 {
            let Some(next) = c.next_after(t) else { break };
            writeln!(out, "  next: {} ({})", rfc3339(next), next.with_timezone(&c.timezone).to_rfc3339())?;
            t = next;
        }
    }
    writeln!(out, "{}: {} job(s), valid", config.path.display(), config.jobs.len())?;
    out.flush()
}

/// The phases a run of `job` has, as `--check` lists them.
fn phases(job: &Job) -> Vec<String> {
    let mut phases = vec!["scan".to_string()];
    if !job.state.is_empty() {
        phases.push(format!("drift ({} state file(s))", job.state.len()));
    }
    if !job.packs.is_empty() {
        phases.push(format!("check ({})", job.packs.join(", ")));
        phases.push(if job.auto_remediate {
            let names = job.allow_actions.names();
            let actions = if names.is_empty() { "none".to_string() } else { names.join(" ") };
            format!("remediate --apply (actions allowed: {actions}; max changes {})", job.max_changes)
        } else {
            "remediate (dry run)".to_string()
        });
    }
    phases
}
