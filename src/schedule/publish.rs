//! Publishing a run once its phases are over: its [`Verdict`] (exit code
//! and events, from the phases' exit codes and the reports' counts),
//! `run.json` written into its folder, the folder renamed into place
//! ([`JobStore::commit`](super::store::JobStore::commit)), and the outcome
//! logged.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use thiserror::Error;

use super::record::{self, Counts, EventKind, PhaseRecord, RUN_FILE, Reports, RunRecord};
use super::runner::{RunContext, rfc3339};
use super::store::{PendingRun, StoreError};

/// Why a run was not published (logged; the run counts 2).
#[derive(Debug, Error)]
pub(crate) enum PublishError {
    /// `run.json` cannot be created.
    #[error("cannot write run.json to {}: cannot create a file in {}", path.display(), dir.display())]
    Create { path: PathBuf, dir: PathBuf, source: io::Error },
    /// `run.json` cannot be written or synced.
    #[error("writing run.json to {}", path.display())]
    Write { path: PathBuf, source: io::Error },
    /// The folder cannot be renamed into place, or old runs removed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a run's phases and reports say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// 0 clean; 1 drift, violations, or remediation left violations or
    /// failed a change; 2 an error, an incomplete scan, an interrupted run.
    pub exit_code: u8,
    /// Whether the scan exited 0 (read every scope).
    pub scan_complete: bool,
    /// The events to send, in order.
    pub events: Vec<EventKind>,
}

impl Verdict {
    /// The verdict of a run whose `phases` ended so and whose reports hold
    /// `counts`; `auto_remediate`: the job applies fixes; `interrupted`: a
    /// shutdown stopped it during remediation.
    ///
    /// Without a complete scan the only event is `scan_incomplete`. With
    /// one: `drift_clean` or `drift_detected` from the drift phase,
    /// `run_failed` when a phase ended in error (remediation's own error
    /// counts as `remediation_failed` instead when it applies fixes), and,
    /// with `auto_remediate`, `remediation_failed` (a tag change or action
    /// failed) or `remediation_applied` (at least one applied).
    /// Remediation judges check's violations again after its changes: its
    /// verdict replaces check's 1. An interrupted run counts 2.
    pub(crate) fn of(phases: &[PhaseRecord], counts: &Counts, auto_remediate: bool, interrupted: bool) -> Verdict {
        let code_of = |name: &str| phases.iter().find(|p| p.phase == name).map(PhaseRecord::code);
        let scan_complete = code_of("scan") == Some(0);
        let mut events = Vec::new();
        if scan_complete {
            match code_of("drift") {
                Some(0) => events.push(EventKind::DriftClean),
                Some(1) => events.push(EventKind::DriftDetected),
                _ => {}
            }
            let remediation = counts.remediation.unwrap_or_default();
            let remediate_code = code_of("remediate");
            let failed_phase = phases.iter().any(|p| p.code() == 2 && !(auto_remediate && p.phase == "remediate"));
            if failed_phase {
                events.push(EventKind::RunFailed);
            }
            if auto_remediate && remediate_code.is_some() {
                if remediate_code == Some(2) || remediation.failed > 0 {
                    events.push(EventKind::RemediationFailed);
                } else if remediation.applied > 0 {
                    events.push(EventKind::RemediationApplied);
                }
            }
        } else {
            events.push(EventKind::ScanIncomplete);
        }
        let remediated = code_of("remediate").is_some();
        let exit_code = if interrupted {
            2
        } else {
            phases
                .iter()
                .map(|p| if remediated && p.phase == "check" && p.code() == 1 { 0 } else { p.code() })
                .max()
                .unwrap_or(2)
        };
        Verdict { exit_code, scan_complete, events }
    }
}

/// Write `run.json`, publish the folder (moving `latest` to it unless the
/// run was interrupted), and log the outcome.
pub(crate) fn publish(
    ctx: &RunContext,
    pending: PendingRun,
    started: DateTime<Utc>,
    phases: Vec<PhaseRecord>,
    interrupted: bool,
) -> Result<RunRecord, PublishError> {
    let record = run_record(ctx, &pending, started, phases, interrupted);
    write_record(&pending.tmp, &record)?;
    let id = pending.id.clone();
    let (dir, pruned) = match ctx.store.commit(pending, !interrupted) {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_dir_all(ctx.store.dir().join(format!(".tmp-{id}")));
            return Err(e.into());
        }
    };
    for old in &pruned {
        tracing::info!(job = %ctx.job.name, dir = %old.display(), "old run removed (history)");
    }
    log_finished(&record, &dir);
    Ok(record)
}

/// The record of a run that is over, built in `pending`'s folder.
fn run_record(
    ctx: &RunContext,
    pending: &PendingRun,
    started: DateTime<Utc>,
    phases: Vec<PhaseRecord>,
    interrupted: bool,
) -> RunRecord {
    let counts = record::read_counts(&pending.tmp);
    let reports = Reports::found(&pending.tmp, &ctx.store.dir().join(&pending.id));
    let verdict = Verdict::of(&phases, &counts, ctx.job.auto_remediate, interrupted);
    RunRecord {
        format: "palisade-schedule-run",
        version: 1,
        job: ctx.job.name.clone(),
        run_id: pending.id.clone(),
        scheduled_for: ctx.scheduled_for.map(rfc3339),
        started_at: rfc3339(started),
        finished_at: rfc3339(Utc::now()),
        exit_code: verdict.exit_code,
        scan_complete: verdict.scan_complete,
        interrupted,
        skipped_ticks: ctx.skipped_ticks.load(Ordering::Relaxed),
        phases,
        counts,
        events: verdict.events,
        reports,
        palisade_version: env!("CARGO_PKG_VERSION"),
    }
}

/// Write `record` as `run.json` into `folder` (a run's folder, not yet
/// published: no reader sees the file half-written), synced to disk.
pub(crate) fn write_record(folder: &Path, record: &RunRecord) -> Result<(), PublishError> {
    let path = folder.join(RUN_FILE);
    let file = File::create(&path).map_err(|source| PublishError::Create {
        path: path.clone(),
        dir: folder.to_path_buf(),
        source,
    })?;
    let write = |file: File| -> io::Result<()> {
        let mut out = BufWriter::new(file);
        serde_json::to_writer_pretty(&mut out, record)?;
        out.write_all(b"\n")?;
        out.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()
    };
    write(file).map_err(|source| PublishError::Write { path, source })
}

/// Log a published run: its verdict, counts and folder.
fn log_finished(record: &RunRecord, dir: &Path) {
    let events: Vec<&str> = record.events.iter().map(|e| e.as_str()).collect();
    let c = &record.counts;
    tracing::info!(
        job = %record.job,
        run_id = %record.run_id,
        exit_code = record.exit_code,
        scan_complete = record.scan_complete,
        interrupted = record.interrupted,
        resources = c.resources,
        drift_missing = c.drift.map(|d| d.missing),
        drift_unmanaged = c.drift.map(|d| d.unmanaged),
        drift_changed = c.drift.map(|d| d.changed),
        violations = c.violations,
        remediation_applied = c.remediation.map(|r| r.applied),
        remediation_failed = c.remediation.map(|r| r.failed),
        remediation_fixed = c.remediation.map(|r| r.fixed),
        remediation_pending = c.remediation.map(|r| r.pending),
        remediation_still_violating = c.remediation.map(|r| r.still_violating),
        remediation_unverified = c.remediation.map(|r| r.unverified),
        remediation_needs_human = c.remediation.map(|r| r.needs_human),
        remediation_not_applied_max_changes = c.remediation.map(|r| r.not_applied_max_changes),
        skipped_ticks = record.skipped_ticks,
        events = %events.join(","),
        dir = %dir.display(),
        "run finished"
    );
}
