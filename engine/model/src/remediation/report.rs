//! The remediation report: what a `palisade remediate` run found, planned,
//! changed, failed to change and left to people.
//!
//! Format `palisade-remediation-report`, version [`REPORT_VERSION`]; the
//! JSON schema is `engine/schema/remediation-report.schema.json`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use serde_json::Value;

use super::plan::{InventoryRef, Managed, NeedsHuman, PackRef, PlannedAction, PlannedChange, RemediationPlan};
use crate::finding::Violation;
use crate::policy::{EnforcementLevel, Severity};

/// The value of a report's `format` field.
pub const REPORT_FORMAT: &str = "palisade-remediation-report";

/// The report version this build writes (2: actions, verification,
/// resources managed by a state).
pub const REPORT_VERSION: u32 = 2;

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
    /// The resource re-read and judged again after an apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verified>,
}

/// What became of one planned action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    /// Planned and not applied (a dry run).
    Planned,
    /// Its calls were sent and accepted by this run.
    Applied,
    /// The resource already had what the action makes when this run re-read
    /// it (an earlier run, or someone, made it): nothing was sent.
    Done,
    /// Not applied, or applied in part: the error says why.
    Failed,
    /// Its kind is not allowed (`--allow-action`): left to a person.
    NotAllowed,
    /// Not applied: `--max-changes` resources had been changed already.
    NotAppliedMaxChanges,
}

/// The verdict of the re-read after an apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    /// Re-read and judged again: the policies that asked for the fix find
    /// nothing.
    Fixed,
    /// Re-read and judged again: one of them still finds a violation.
    StillViolating,
    /// AWS accepted a change it applies later (RDS `PendingModifiedValues`).
    Pending,
    /// The resource could not be re-read or judged.
    Unverified,
}

/// A verification result with what it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    /// The verdict.
    pub result: Verification,
    /// For people: the violations still found, what is pending, or why it
    /// could not be verified.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// One planned action and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOutcome {
    /// The action, its calls and the configuration before and expected after.
    #[serde(flatten)]
    pub action: PlannedAction,
    /// What became of it.
    pub status: ActionStatus,
    /// AWS's error, or why it was not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The configuration as re-read right before the calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<Value>,
    /// The operations sent (`s3:PutPublicAccessBlock`), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sent: Vec<String>,
    /// When its first call was sent, RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// How long its re-read and calls took, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// The resource re-read and judged again after an apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verified>,
}

impl ActionOutcome {
    /// A planned action, not yet applied.
    pub fn planned(action: PlannedAction) -> ActionOutcome {
        ActionOutcome {
            action,
            status: ActionStatus::Planned,
            error: None,
            found: None,
            sent: Vec::new(),
            started_at: None,
            duration_ms: None,
            verification: None,
        }
    }
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
    /// Decided violations found, all levels (undecided findings are
    /// [`Summary::undecided`]).
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
    /// Actions planned.
    #[serde(default)]
    pub actions: usize,
    /// Actions applied by this run.
    #[serde(default)]
    pub actions_applied: usize,
    /// Actions found already done.
    #[serde(default)]
    pub actions_done: usize,
    /// Actions that failed.
    #[serde(default)]
    pub actions_failed: usize,
    /// Actions whose kind is not allowed.
    #[serde(default)]
    pub not_allowed: usize,
    /// Actions not applied because of `--max-changes`.
    #[serde(default)]
    pub not_applied_max_changes: usize,
    /// Resources (changes and actions) verified fixed after an apply.
    #[serde(default)]
    pub fixed: usize,
    /// ... pending at AWS.
    #[serde(default)]
    pub pending: usize,
    /// ... still violating.
    #[serde(default)]
    pub still_violating: usize,
    /// ... that could not be verified.
    #[serde(default)]
    pub unverified: usize,
    /// Fixes left to code because a state manages the resource.
    #[serde(default)]
    pub managed: usize,
    /// Undecided findings (notes: a value could not be read or is unknown),
    /// counted apart from violations.
    #[serde(default)]
    pub undecided: usize,
    /// Resources that changed since the plan was made ([`RemediationReport::stale`]):
    /// when there are any, nothing was sent and the run exits 2.
    #[serde(default)]
    pub stale: usize,
    /// Whether this run evaluated policies: `false` for a run from a plan
    /// file (`--plan-in`), whose violations are "not evaluated (from a
    /// plan)", never 0.
    #[serde(default = "yes")]
    pub evaluated: bool,
    /// Decided mandatory or remediate violations still standing after the
    /// run: all of them on a dry run; on an apply, those on resources whose
    /// change did not end applied. For a run from a reviewed plan, which
    /// re-evaluates no policy, each change not applied counts one.
    pub remaining: usize,
}

fn yes() -> bool {
    true
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
    /// Every planned tag change with its outcome, by ARN.
    pub changes: Vec<ChangeOutcome>,
    /// Every planned action with its outcome, by ARN and kind.
    pub actions: Vec<ActionOutcome>,
    /// Fixes left to code because a state manages the resource.
    pub managed: Vec<Managed>,
    /// The resources that changed since the plan, one line each (what was
    /// found against what the plan expected): the plan is stale and nothing
    /// was sent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale: Vec<String>,
    /// Violations left to people.
    pub needs_human: Vec<NeedsHuman>,
    /// Every violation of the run.
    pub violations: Vec<Violation>,
}

/// The outcomes of a run's plan: its tag changes and its actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Each tag change with its outcome, in plan order.
    pub changes: Vec<ChangeOutcome>,
    /// Each action with its outcome, in plan order.
    pub actions: Vec<ActionOutcome>,
}

impl Outcomes {
    /// Every change and action of `plan`, planned (a dry run).
    pub fn planned(plan: &RemediationPlan) -> Outcomes {
        Outcomes {
            changes: plan
                .changes
                .iter()
                .map(|c| ChangeOutcome {
                    change: c.clone(),
                    status: ChangeStatus::Planned,
                    error: None,
                    verification: None,
                })
                .collect(),
            actions: plan.actions.iter().cloned().map(ActionOutcome::planned).collect(),
        }
    }
}

/// Whether an outcome left its resource fixed: applied or already in place,
/// and, when verified, fixed or pending.
fn settled(applied: bool, verification: Option<&Verified>) -> bool {
    applied && verification.is_none_or(|v| matches!(v.result, Verification::Fixed | Verification::Pending))
}

impl RemediationReport {
    /// The report of a run: `outcomes` are the plan's changes and actions
    /// with their outcome (all planned on a dry run), `violations` the run's
    /// violations (none for a run from a plan file: `run.plan` set),
    /// `resources` the number of live resources judged.
    pub fn new(
        run: RunInfo,
        plan: &RemediationPlan,
        outcomes: Outcomes,
        violations: Vec<Violation>,
        resources: usize,
    ) -> RemediationReport {
        let Outcomes { changes, actions } = outcomes;
        // (ARN, policy) pairs whose fix settled, and ARNs with an unsettled one.
        let mut fixed_pairs: BTreeSet<(String, String)> = BTreeSet::new();
        let mut open: BTreeSet<String> = BTreeSet::new();
        let mut note = |arn: &str, policies: &[String], ok: bool| {
            if ok {
                fixed_pairs.extend(policies.iter().map(|p| (arn.to_string(), p.clone())));
            } else {
                open.insert(arn.to_string());
            }
        };
        for o in &changes {
            let applied = matches!(o.status, ChangeStatus::Applied | ChangeStatus::AlreadyApplied);
            note(&o.change.arn, &o.change.policies, settled(applied, o.verification.as_ref()));
        }
        for o in &actions {
            let applied = matches!(o.status, ActionStatus::Applied | ActionStatus::Done);
            note(&o.action.arn, &o.action.policies, settled(applied, o.verification.as_ref()));
        }
        let evaluated = run.plan.is_none();
        let judged: BTreeSet<&str> = violations.iter().map(|v| v.resource.as_str()).collect();
        let remaining = violations
            .iter()
            .filter(|v| v.blocks())
            .filter(|v| !fixed_pairs.contains(&(v.resource.clone(), format!("{}/{}", v.pack, v.policy))))
            .count()
            // A run from a reviewed plan (`--plan-in`) has no violations: a
            // fix not settled leaves at least the violation that asked for it.
            + open.iter().filter(|arn| !judged.contains(arn.as_str())).count();
        let by_policy = by_policy(&violations);
        let verdicts = changes
            .iter()
            .filter_map(|o| o.verification.as_ref())
            .chain(actions.iter().filter_map(|o| o.verification.as_ref()));
        let mut verified: BTreeMap<Verification, usize> = BTreeMap::new();
        for v in verdicts {
            *verified.entry(v.result).or_default() += 1;
        }
        let change_count = |s: ChangeStatus| changes.iter().filter(|o| o.status == s).count();
        let action_count = |s: ActionStatus| actions.iter().filter(|o| o.status == s).count();
        let summary = Summary {
            resources,
            violations: violations.iter().filter(|v| !v.undecided).count(),
            remediate_violations: violations
                .iter()
                .filter(|v| !v.undecided && v.enforcement_level == EnforcementLevel::Remediate)
                .count(),
            planned: changes.len(),
            applied: change_count(ChangeStatus::Applied),
            already_applied: change_count(ChangeStatus::AlreadyApplied),
            failed: change_count(ChangeStatus::Failed),
            needs_human: plan.needs_human.len() + action_count(ActionStatus::NotAllowed),
            actions: actions.len(),
            actions_applied: action_count(ActionStatus::Applied),
            actions_done: action_count(ActionStatus::Done),
            actions_failed: action_count(ActionStatus::Failed),
            not_allowed: action_count(ActionStatus::NotAllowed),
            not_applied_max_changes: action_count(ActionStatus::NotAppliedMaxChanges),
            fixed: verified.get(&Verification::Fixed).copied().unwrap_or(0),
            pending: verified.get(&Verification::Pending).copied().unwrap_or(0),
            still_violating: verified.get(&Verification::StillViolating).copied().unwrap_or(0),
            unverified: verified.get(&Verification::Unverified).copied().unwrap_or(0),
            managed: plan.managed.iter().filter(|m| !m.changed_in_place).count(),
            undecided: violations.iter().filter(|v| v.undecided).count(),
            stale: 0,
            evaluated,
            remaining: remaining
                + plan.managed.iter().filter(|m| !m.changed_in_place && !judged.contains(m.resource.as_str())).count(),
        };
        RemediationReport {
            format: REPORT_FORMAT.to_string(),
            version: REPORT_VERSION,
            run,
            summary,
            by_policy,
            changes,
            actions,
            managed: plan.managed.clone(),
            stale: Vec::new(),
            needs_human: plan.needs_human.clone(),
            violations,
        }
    }

    /// Record that the plan was stale: `lines` name the resources that
    /// changed since it was made (nothing was sent).
    pub fn mark_stale(&mut self, lines: Vec<String>) {
        self.summary.stale = lines.len();
        self.stale = lines;
    }

    /// The exit code of `palisade remediate` for this report: 0 when nothing
    /// needed doing, or every planned change was applied and each resource
    /// is fixed, pending or done; else 1 (a failure, a resource still
    /// violating or not verified, an action not allowed, one left by
    /// `--max-changes`, a violation left to a person or to code); 2 for a
    /// stale plan ([`RemediationReport::mark_stale`]). (2 for errors and
    /// incomplete scans is decided by the command.)
    pub fn exit_code(&self) -> u8 {
        let s = &self.summary;
        if s.stale > 0 {
            return 2;
        }
        let clean = s.failed == 0
            && s.actions_failed == 0
            && s.still_violating == 0
            && s.unverified == 0
            && s.not_allowed == 0
            && s.not_applied_max_changes == 0
            && s.needs_human == 0
            && s.remaining == 0;
        if clean { 0 } else { 1 }
    }
}

/// Violations per policy (undecided ones included), by severity (critical
/// first), then pack and policy.
fn by_policy(violations: &[Violation]) -> Vec<PolicyCount> {
    let mut per: BTreeMap<(String, String), PolicyCount> = BTreeMap::new();
    for v in violations {
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
    by_policy
}
