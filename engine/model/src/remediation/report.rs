//! The remediation report: what a `palisade remediate` run found, planned,
//! changed, failed to change and left to people.
//!
//! Format `palisade-remediation-report`, version [`REPORT_VERSION`]; the
//! JSON schema is `engine/schema/remediation-report.schema.json`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::plan::{InventoryRef, NeedsHuman, PackRef, PlannedChange, RemediationPlan};
use crate::finding::Violation;
use crate::policy::{EnforcementLevel, Severity};

/// The value of a report's `format` field.
pub const REPORT_FORMAT: &str = "palisade-remediation-report";

/// The report version this build writes.
pub const REPORT_VERSION: u32 = 1;

/// Whether a run only planned or also applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// `dry-run`: the plan was made and shown; nothing was changed.
    DryRun,
    /// `apply`: the plan was executed (`--apply`).
    Apply,
}

/// What became of one planned change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeStatus {
    /// Planned and not applied (a dry run).
    Planned,
    /// Applied by this run.
    Applied,
    /// The resource already had the change when this run looked (an earlier,
    /// interrupted run applied it): nothing was sent.
    AlreadyApplied,
    /// Not applied: the error says why.
    Failed,
}

/// One planned change and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeOutcome {
    /// The change.
    #[serde(flatten)]
    pub change: PlannedChange,
    /// What became of it.
    pub status: ChangeStatus,
    /// Why it failed (AWS's error code and message, from `FailedResourcesMap`
    /// or the call), for [`ChangeStatus::Failed`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Who ran what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The run's id (its start time, `20261130T101500Z`, unless a scheduler gave one).
    pub id: String,
    /// When the run started, RFC 3339 UTC.
    pub started_at: String,
    /// When it ended, RFC 3339 UTC.
    pub finished_at: String,
    /// Dry run or apply.
    pub mode: Mode,
    /// The caller's identity (STS `GetCallerIdentity` ARN) where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// The inventory the run judged.
    pub inventory: InventoryRef,
    /// The plan file applied (`--plan-in`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// The packs, with their versions.
    pub packs: Vec<PackRef>,
    /// Palisade's version.
    pub tool_version: String,
}

/// The report's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Live resources judged.
    pub resources: usize,
    /// Violations found, all levels, undecided included.
    pub violations: usize,
    /// Decided violations at level `remediate`.
    pub remediate_violations: usize,
    /// Resources with a planned change.
    pub planned: usize,
    /// Changes applied by this run.
    pub applied: usize,
    /// Changes found already in place.
    pub already_applied: usize,
    /// Changes that failed.
    pub failed: usize,
    /// Violations left to people.
    pub needs_human: usize,
    /// Decided mandatory or remediate violations still standing after the
    /// run: all of them on a dry run; on an apply, those on resources whose
    /// change did not end applied. For a run from a reviewed plan, which
    /// re-evaluates no policy, each change not applied counts one.
    pub remaining: usize,
}

/// Violations of one policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyCount {
    /// The pack.
    pub pack: String,
    /// The policy.
    pub policy: String,
    /// Its severity.
    pub severity: Severity,
    /// Its effective level.
    pub enforcement_level: EnforcementLevel,
    /// Violations found (undecided included).
    pub violations: usize,
}

/// A whole remediation report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemediationReport {
    /// [`REPORT_FORMAT`].
    pub format: String,
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The run.
    pub run: RunInfo,
    /// Counts.
    pub summary: Summary,
    /// Violations per policy, by severity (critical first), then pack and policy.
    pub by_policy: Vec<PolicyCount>,
    /// Every planned change with its outcome, by ARN.
    pub changes: Vec<ChangeOutcome>,
    /// Violations left to people.
    pub needs_human: Vec<NeedsHuman>,
    /// Every violation of the run.
    pub violations: Vec<Violation>,
}

impl RemediationReport {
    /// The report of a run: `outcomes` are the plan's changes with their
    /// outcome (all [`ChangeStatus::Planned`] on a dry run), `violations`
    /// the run's violations, `resources` the number of live resources judged.
    pub fn new(
        run: RunInfo,
        plan: &RemediationPlan,
        outcomes: Vec<ChangeOutcome>,
        violations: Vec<Violation>,
        resources: usize,
    ) -> RemediationReport {
        let count = |s: ChangeStatus| outcomes.iter().filter(|o| o.status == s).count();
        let fixed: std::collections::BTreeSet<&str> = outcomes
            .iter()
            .filter(|o| matches!(o.status, ChangeStatus::Applied | ChangeStatus::AlreadyApplied))
            .map(|o| o.change.arn.as_str())
            .collect();
        let fixed_pairs: std::collections::BTreeSet<(&str, String)> = outcomes
            .iter()
            .filter(|o| fixed.contains(o.change.arn.as_str()))
            .flat_map(|o| o.change.policies.iter().map(move |p| (o.change.arn.as_str(), p.clone())))
            .collect();
        let judged: std::collections::BTreeSet<&str> = violations.iter().map(|v| v.resource.as_str()).collect();
        let remaining = violations
            .iter()
            .filter(|v| v.blocks())
            .filter(|v| !fixed_pairs.contains(&(v.resource.as_str(), format!("{}/{}", v.pack, v.policy))))
            .count()
            // A run from a reviewed plan (`--plan-in`) has no violations: a
            // change not applied leaves at least the violation that asked for it.
            + outcomes
                .iter()
                .filter(|o| !fixed.contains(o.change.arn.as_str()) && !judged.contains(o.change.arn.as_str()))
                .count();
        let mut per: BTreeMap<(String, String), PolicyCount> = BTreeMap::new();
        for v in &violations {
            let count = per.entry((v.pack.clone(), v.policy.clone())).or_insert_with(|| PolicyCount {
                pack: v.pack.clone(),
                policy: v.policy.clone(),
                severity: v.severity,
                enforcement_level: v.enforcement_level,
                violations: 0,
            });
            count.violations += 1;
            // The policy's level, not the advisory level of its undecided findings.
            if !v.undecided {
                count.enforcement_level = v.enforcement_level;
            }
        }
        let mut by_policy: Vec<PolicyCount> = per.into_values().collect();
        by_policy.sort_by(|a, b| (b.severity, &a.pack, &a.policy).cmp(&(a.severity, &b.pack, &b.policy)));
        let summary = Summary {
            resources,
            violations: violations.len(),
            remediate_violations: violations
                .iter()
                .filter(|v| !v.undecided && v.enforcement_level == EnforcementLevel::Remediate)
                .count(),
            planned: outcomes.len(),
            applied: count(ChangeStatus::Applied),
            already_applied: count(ChangeStatus::AlreadyApplied),
            failed: count(ChangeStatus::Failed),
            needs_human: plan.needs_human.len(),
            remaining,
        };
        RemediationReport {
            format: REPORT_FORMAT.to_string(),
            version: REPORT_VERSION,
            run,
            summary,
            by_policy,
            changes: outcomes,
            needs_human: plan.needs_human.clone(),
            violations,
        }
    }

    /// The exit code of `palisade remediate` for this report: 0 when nothing
    /// needed doing or everything was applied (no change failed, no blocking
    /// violation remains); else 1. (2, for errors and incomplete scans, is
    /// decided before a report exists.)
    pub fn exit_code(&self) -> u8 {
        if self.summary.failed == 0 && self.summary.remaining == 0 && self.summary.needs_human == 0 { 0 } else { 1 }
    }
}
