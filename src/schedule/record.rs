//! What a run leaves: `run.json` in its folder ([`RunRecord`], format
//! `palisade-schedule-run` v1) and the webhook events ([`Event`], format
//! `palisade-schedule-event` v1), and the counts both carry, read from the
//! phases' JSON reports. Both are documented in `examples/schedule/README.md`.

use std::path::{Path, PathBuf};

use palisade_engine::remediation::report::Summary;
use serde::{Deserialize, Serialize};

/// The kinds of events a run sends (see [`RunRecord::events`] for which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EventKind {
    /// The scan completed and drift found something missing, unmanaged or
    /// changed.
    DriftDetected,
    /// The scan completed and drift found nothing.
    DriftClean,
    /// The scan failed or is incomplete (a scope could not be read): drift
    /// cannot be ruled out, and nothing was remediated.
    ScanIncomplete,
    /// `auto_remediate` applied at least one fix (a tag change or an
    /// action), and none failed. Its counts say how many were verified
    /// fixed, pending, still violating or unverified.
    RemediationApplied,
    /// `auto_remediate` was on and a fix (a tag change or an action)
    /// failed, or remediation ended in error.
    RemediationFailed,
    /// A phase other than the scan ended in error (a state file that no
    /// longer reads, a pack that does not load, the run's time limit).
    RunFailed,
}

impl EventKind {
    /// The name in event bodies and logs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventKind::DriftDetected => "drift_detected",
            EventKind::DriftClean => "drift_clean",
            EventKind::ScanIncomplete => "scan_incomplete",
            EventKind::RemediationApplied => "remediation_applied",
            EventKind::RemediationFailed => "remediation_failed",
            EventKind::RunFailed => "run_failed",
        }
    }
}

/// One phase of a run: a `palisade` child process.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PhaseRecord {
    /// `scan`, `drift`, `check` or `remediate`.
    pub phase: &'static str,
    /// Its arguments (after the program).
    pub args: Vec<String>,
    /// When it started (RFC 3339, UTC).
    pub started_at: String,
    /// How long it ran, in milliseconds.
    pub duration_ms: u64,
    /// Its exit code; `null` when it did not exit by itself (killed at the
    /// time limit, did not start).
    pub exit_code: Option<i32>,
    /// Whether the run's time limit stopped it.
    pub timed_out: bool,
    /// Why it did not start or exit, if so.
    pub error: Option<String>,
    /// Its standard output and error, relative to the run's folder.
    pub log: String,
}

impl PhaseRecord {
    /// The phase's verdict: its exit code 0 or 1, else 2 (an error, a
    /// signal, a time-out, a failure to start).
    pub(crate) fn code(&self) -> u8 {
        match self.exit_code {
            Some(0) => 0,
            Some(1) => 1,
            _ => 2,
        }
    }
}

/// Drift counts (`drift.json`'s `summary`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DriftCounts {
    /// In a state, not in the cloud.
    pub missing: u64,
    /// In the cloud, in no state.
    pub unmanaged: u64,
    /// Matched, with different tags.
    pub changed: u64,
}

/// Remediation counts, from `remediation/remediation.json`'s `summary`
/// (report v2): tag changes and actions together, resources verified after
/// an apply by verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct RemediationCounts {
    /// Fixes planned: tag changes and actions.
    pub planned: u64,
    /// Fixes applied by this run: tag changes and actions.
    pub applied: u64,
    /// Fixes that failed: tag changes and actions.
    pub failed: u64,
    /// Violations left to people, actions of a kind not allowed included.
    pub needs_human: u64,
    /// Resources verified fixed after the apply.
    pub fixed: u64,
    /// Resources whose change AWS accepted and applies later.
    pub pending: u64,
    /// Resources that still violate a policy after the apply.
    pub still_violating: u64,
    /// Resources that could not be re-read or judged after the apply.
    pub unverified: u64,
    /// Actions not applied because `max_changes` resources had been changed.
    pub not_applied_max_changes: u64,
}

impl RemediationCounts {
    /// The counts of a remediation report's summary.
    pub(crate) fn of(s: &Summary) -> RemediationCounts {
        let n = |count: usize| u64::try_from(count).unwrap_or(u64::MAX);
        RemediationCounts {
            planned: n(s.planned.saturating_add(s.actions)),
            applied: n(s.applied.saturating_add(s.actions_applied)),
            failed: n(s.failed.saturating_add(s.actions_failed)),
            needs_human: n(s.needs_human),
            fixed: n(s.fixed),
            pending: n(s.pending),
            still_violating: n(s.still_violating),
            unverified: n(s.unverified),
            not_applied_max_changes: n(s.not_applied_max_changes),
        }
    }
}

/// The counts of a run; `null` where the phase did not run or left no
/// report.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Counts {
    /// Resources in the inventory.
    pub resources: Option<u64>,
    /// Drift found.
    pub drift: Option<DriftCounts>,
    /// Violations found by `check` (every level, exemptions left out).
    pub violations: Option<u64>,
    /// What remediation planned and did.
    pub remediation: Option<RemediationCounts>,
}

/// The report files of a run, as absolute paths in its final folder;
/// `null` for those the run did not write.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Reports {
    /// The run's folder.
    pub dir: PathBuf,
    /// `run.json`.
    pub run: PathBuf,
    /// `inventory.json`, the scan's snapshot.
    pub inventory: Option<PathBuf>,
    /// `drift.json`.
    pub drift: Option<PathBuf>,
    /// `violations.json`, check's JSON report.
    pub violations: Option<PathBuf>,
    /// `remediation/remediation.json`.
    pub remediation: Option<PathBuf>,
    /// `remediation/remediation.html`.
    pub remediation_html: Option<PathBuf>,
}

impl Reports {
    /// The reports present in `built` (a run's temporary folder), named as
    /// they will be once it is renamed to `dir`.
    pub(crate) fn found(built: &Path, dir: &Path) -> Reports {
        let at = |rel: &str| built.join(rel).is_file().then(|| dir.join(rel));
        Reports {
            dir: dir.to_path_buf(),
            run: dir.join(RUN_FILE),
            inventory: at(INVENTORY_FILE),
            drift: at(DRIFT_FILE),
            violations: at(VIOLATIONS_FILE),
            remediation: at("remediation/remediation.json"),
            remediation_html: at("remediation/remediation.html"),
        }
    }
}

/// `run.json`.
pub(crate) const RUN_FILE: &str = "run.json";
/// The scan's snapshot.
pub(crate) const INVENTORY_FILE: &str = "inventory.json";
/// The drift report.
pub(crate) const DRIFT_FILE: &str = "drift.json";
/// The policy report.
pub(crate) const VIOLATIONS_FILE: &str = "violations.json";
/// The remediation report folder.
pub(crate) const REMEDIATION_DIR: &str = "remediation";

/// `run.json`: one run, written last into its folder.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunRecord {
    /// `palisade-schedule-run`.
    pub format: &'static str,
    /// 1.
    pub version: u32,
    /// The job's name.
    pub job: String,
    /// The run's id (its folder's name).
    pub run_id: String,
    /// The cron tick that started it (RFC 3339, UTC); `null` with `--once`.
    pub scheduled_for: Option<String>,
    /// When it started and finished (RFC 3339, UTC).
    pub started_at: String,
    /// See `started_at`.
    pub finished_at: String,
    /// 0 clean; 1 drift, violations, or remediation left violations or
    /// failed a change; 2 an error, an incomplete scan, or an interrupted
    /// run.
    pub exit_code: u8,
    /// Whether the scan read every scope.
    pub scan_complete: bool,
    /// Whether a shutdown (SIGTERM, SIGINT) stopped the run during its
    /// remediation phase: that phase was sent SIGTERM (and killed if it did
    /// not stop within the grace period), so its report may be missing or
    /// list changes as failed "interrupted", and changes may have been made
    /// that no report lists. Such a run's `exit_code` is 2, and `latest`
    /// does not move to it. (Runs stopped earlier changed nothing and are
    /// not kept.)
    pub interrupted: bool,
    /// Cron ticks that came while this run was going, and were skipped.
    pub skipped_ticks: u64,
    /// The phases, in order; phases not run are absent.
    pub phases: Vec<PhaseRecord>,
    /// What the reports count.
    pub counts: Counts,
    /// The events the run sends, in order.
    pub events: Vec<EventKind>,
    /// The reports' paths.
    pub reports: Reports,
    /// The version of palisade.
    pub palisade_version: &'static str,
}

/// A webhook event: the body of one POST.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Event<'a> {
    /// `palisade-schedule-event`.
    pub format: &'static str,
    /// 1.
    pub version: u32,
    /// What happened.
    pub event: EventKind,
    /// The job's name.
    pub job: &'a str,
    /// The run's id.
    pub run_id: &'a str,
    /// When the run finished (RFC 3339, UTC).
    pub time: &'a str,
    /// When the run started (RFC 3339, UTC).
    pub started_at: &'a str,
    /// The run's exit code.
    pub exit_code: u8,
    /// The run's counts.
    pub counts: &'a Counts,
    /// The run's reports.
    pub reports: &'a Reports,
    /// The version of palisade.
    pub palisade_version: &'static str,
}

impl RunRecord {
    /// The body of event `kind` of this run.
    pub(crate) fn event(&self, kind: EventKind) -> Event<'_> {
        Event {
            format: "palisade-schedule-event",
            version: 1,
            event: kind,
            job: &self.job,
            run_id: &self.run_id,
            time: &self.finished_at,
            started_at: &self.started_at,
            exit_code: self.exit_code,
            counts: &self.counts,
            reports: &self.reports,
            palisade_version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// The counts the reports in `built` (a run's folder) hold. A report that
/// is absent or does not read leaves its count `null`.
pub(crate) fn read_counts(built: &Path) -> Counts {
    #[derive(Deserialize)]
    struct Inventory {
        resources: Vec<serde::de::IgnoredAny>,
    }
    #[derive(Deserialize)]
    struct Drift {
        summary: DriftCounts,
    }
    #[derive(Deserialize)]
    struct Levels {
        advisory: u64,
        mandatory: u64,
        remediate: u64,
    }
    #[derive(Deserialize)]
    struct CheckSummary {
        violations: Levels,
    }
    #[derive(Deserialize)]
    struct Check {
        summary: CheckSummary,
    }
    #[derive(Deserialize)]
    struct Remediation {
        summary: Summary,
    }
    fn read<T: for<'de> Deserialize<'de>>(path: PathBuf) -> Option<T> {
        let bytes = std::fs::read(path).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
    Counts {
        resources: read::<Inventory>(built.join(INVENTORY_FILE))
            .map(|i| u64::try_from(i.resources.len()).unwrap_or(u64::MAX)),
        drift: read::<Drift>(built.join(DRIFT_FILE)).map(|d| d.summary),
        violations: read::<Check>(built.join(VIOLATIONS_FILE)).map(|c| {
            let v = c.summary.violations;
            v.advisory + v.mandatory + v.remediate
        }),
        remediation: read::<Remediation>(built.join(REMEDIATION_DIR).join("remediation.json"))
            .map(|r| RemediationCounts::of(&r.summary)),
    }
}
