//! The remediation counts of `run.json` and of the `remediation_applied`
//! and `remediation_failed` events, read from a real remediation report
//! (v2, made with the model's types): tag changes and actions together,
//! and the verification verdicts after the apply.

use std::fs;
use std::path::Path;

use palisade_engine::Severity;
use palisade_engine::remediation::TagChange;
use palisade_engine::remediation::action::Action;
use palisade_engine::remediation::plan::{InventoryRef, NeedsHuman, PlannedAction, PlannedChange, RemediationPlan};
use palisade_engine::remediation::report::{
    ActionOutcome, ActionStatus, ChangeOutcome, ChangeStatus, Mode, Outcomes, RemediationReport, RunInfo, Verification,
    Verified,
};
use serde_json::{Value, json};

use super::phase;
use crate::schedule::publish::Verdict;
use crate::schedule::record::{Counts, EventKind, RemediationCounts, Reports, RunRecord, read_counts};

const ACCOUNT: &str = "123456789012";

/// A tag change on queue `name`, with its outcome.
fn change(name: &str, status: ChangeStatus, verdict: Option<Verification>) -> ChangeOutcome {
    let change = PlannedChange {
        arn: format!("arn:aws:sqs:eu-west-1:{ACCOUNT}:{name}"),
        region: "eu-west-1".to_string(),
        account: ACCOUNT.to_string(),
        resource_type: "aws_sqs_queue".to_string(),
        before: [("team".to_string(), "shop".to_string())].into(),
        change: TagChange { set: [("owner".to_string(), "platform".to_string())].into(), remove: Default::default() },
        after: [("owner".to_string(), "platform".to_string()), ("team".to_string(), "shop".to_string())].into(),
        policies: vec!["aws-baseline/required-tags".to_string()],
        managed_by: None,
    };
    let error = (status == ChangeStatus::Failed).then(|| "AccessDenied: not allowed".to_string());
    ChangeOutcome { change, status, error, verification: verified(verdict) }
}

/// An action on the resource `arn` (of type `resource_type`, named `id`).
fn action(action: Action, resource_type: &str, arn: &str, id: &str) -> PlannedAction {
    let before = json!({"setting": false});
    let after = json!({"setting": true});
    PlannedAction {
        arn: arn.to_string(),
        region: "eu-west-1".to_string(),
        account: ACCOUNT.to_string(),
        resource_type: resource_type.to_string(),
        id: id.to_string(),
        calls: Vec::new(),
        action,
        before,
        after,
        policies: vec!["aws-baseline/fix".to_string()],
        managed_by: None,
    }
}

/// `planned` with its outcome.
fn outcome(planned: PlannedAction, status: ActionStatus, verdict: Option<Verification>) -> ActionOutcome {
    let mut outcome = ActionOutcome::planned(planned);
    outcome.status = status;
    outcome.verification = verified(verdict);
    if status == ActionStatus::Failed {
        outcome.error = Some("InvalidParameterCombination".to_string());
    }
    outcome
}

fn verified(verdict: Option<Verification>) -> Option<Verified> {
    verdict.map(|result| Verified { result, detail: String::new() })
}

/// The report of an applying run: two tag changes (one applied and fixed,
/// one failed) and seven actions (applied and fixed, pending, still
/// violating, unverified; failed; not allowed; left by `--max-changes`),
/// and one violation left to a person.
fn report() -> RemediationReport {
    let bucket = |name: &str| format!("arn:aws:s3:::{name}");
    let key = format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234");
    let db = format!("arn:aws:rds:eu-west-1:{ACCOUNT}:db:orders");
    let repo = |name: &str| format!("arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/{name}");
    let actions = vec![
        outcome(
            action(Action::S3BlockPublicAccess, "aws_s3_bucket", &bucket("web"), "web"),
            ActionStatus::Applied,
            Some(Verification::Fixed),
        ),
        outcome(
            action(Action::RdsDisablePublicAccess, "aws_db_instance", &db, "orders"),
            ActionStatus::Applied,
            Some(Verification::Pending),
        ),
        outcome(
            action(Action::KmsEnableRotation, "aws_kms_key", &key, "1234"),
            ActionStatus::Applied,
            Some(Verification::StillViolating),
        ),
        outcome(
            action(Action::EcrImmutableTags, "aws_ecr_repository", &repo("api"), "api"),
            ActionStatus::Applied,
            Some(Verification::Unverified),
        ),
        outcome(
            action(Action::EcrImmutableTags, "aws_ecr_repository", &repo("web"), "web"),
            ActionStatus::Failed,
            None,
        ),
        outcome(
            action(Action::S3BlockPublicAccess, "aws_s3_bucket", &bucket("logs"), "logs"),
            ActionStatus::NotAllowed,
            None,
        ),
        outcome(
            action(Action::S3BlockPublicAccess, "aws_s3_bucket", &bucket("assets"), "assets"),
            ActionStatus::NotAppliedMaxChanges,
            None,
        ),
    ];
    let changes = vec![
        change("orders", ChangeStatus::Applied, Some(Verification::Fixed)),
        change("jobs", ChangeStatus::Failed, None),
    ];
    let human = NeedsHuman {
        resource: bucket("archive"),
        pack: "aws-baseline".to_string(),
        policy: "s3-no-public-policy".to_string(),
        severity: Severity::High,
        message: "the bucket policy allows everyone".to_string(),
        reason: "no fix".to_string(),
    };
    report_of(changes, actions, vec![human])
}

/// The report of an applying run of these outcomes, its plan made of them.
fn report_of(
    changes: Vec<ChangeOutcome>,
    actions: Vec<ActionOutcome>,
    needs_human: Vec<NeedsHuman>,
) -> RemediationReport {
    let inventory = InventoryRef {
        source: "inventory.json".to_string(),
        started_at: "2026-11-30T10:15:01Z".to_string(),
        finished_at: "2026-11-30T10:15:03Z".to_string(),
        sha256: "0".repeat(64),
    };
    let plan = RemediationPlan {
        format: "palisade-remediation-plan".to_string(),
        version: 2,
        created_at: "2026-11-30T10:15:04Z".to_string(),
        inventory: inventory.clone(),
        packs: Vec::new(),
        changes: changes.iter().map(|c| c.change.clone()).collect(),
        actions: actions.iter().map(|a| a.action.clone()).collect(),
        managed: Vec::new(),
        settings: None,
        needs_human,
    };
    let run = RunInfo {
        id: "20261130T101500Z".to_string(),
        started_at: "2026-11-30T10:15:04Z".to_string(),
        finished_at: "2026-11-30T10:15:09Z".to_string(),
        mode: Mode::Apply,
        caller: None,
        inventory,
        plan: None,
        packs: Vec::new(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    RemediationReport::new(run, &plan, Outcomes { changes, actions }, Vec::new(), 12)
}

/// Write `report` where a run's remediation phase writes it, in `run`.
fn write_report(run: &Path, report: &RemediationReport) {
    fs::create_dir_all(run.join("remediation")).expect("a folder");
    let text = serde_json::to_string_pretty(report).expect("JSON");
    fs::write(run.join("remediation/remediation.json"), text).expect("the report is written");
}

/// A finished run of job `fixes` with `counts` and `events`.
fn record(run: &Path, counts: Counts, events: Vec<EventKind>) -> RunRecord {
    RunRecord {
        format: "palisade-schedule-run",
        version: 1,
        job: "fixes".to_string(),
        run_id: "20261130T101500Z".to_string(),
        scheduled_for: None,
        started_at: "2026-11-30T10:15:00Z".to_string(),
        finished_at: "2026-11-30T10:15:10Z".to_string(),
        exit_code: 1,
        scan_complete: true,
        interrupted: false,
        skipped_ticks: 0,
        phases: vec![phase("scan", Some(0)), phase("check", Some(1)), phase("remediate", Some(1))],
        counts,
        events,
        reports: Reports::found(run, Path::new("/reports/fixes/20261130T101500Z")),
        palisade_version: env!("CARGO_PKG_VERSION"),
    }
}

#[test]
fn counts_add_actions_to_tag_changes_and_name_the_verdicts() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    write_report(dir.path(), &report());
    let counts = read_counts(dir.path()).remediation.expect("the report reads");
    assert_eq!(
        counts,
        RemediationCounts {
            planned: 9,
            applied: 5,
            failed: 2,
            needs_human: 2,
            fixed: 2,
            pending: 1,
            still_violating: 1,
            unverified: 1,
            not_applied_max_changes: 1,
        }
    );
}

#[test]
fn the_remediation_events_carry_the_named_counts_as_run_json_does() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    write_report(dir.path(), &report());
    let counts = read_counts(dir.path());
    let phases = [phase("scan", Some(0)), phase("check", Some(1)), phase("remediate", Some(1))];
    let verdict = Verdict::of(&phases, &counts, true, false);
    assert_eq!(verdict.events, [EventKind::RemediationFailed], "an action and a tag change failed");
    let record = record(dir.path(), counts, verdict.events);
    let expected = json!({
        "planned": 9, "applied": 5, "failed": 2, "needs_human": 2, "fixed": 2, "pending": 1,
        "still_violating": 1, "unverified": 1, "not_applied_max_changes": 1,
    });
    let body = serde_json::to_value(record.event(EventKind::RemediationFailed)).expect("JSON");
    assert_eq!(body["event"], "remediation_failed");
    assert_eq!(body["counts"]["remediation"], expected, "{body:#}");
    let run_json = serde_json::to_value(&record).expect("JSON");
    assert_eq!(run_json["counts"]["remediation"], expected, "{run_json:#}");
    assert_eq!(body["reports"]["remediation"], "/reports/fixes/20261130T101500Z/remediation/remediation.json");
}

#[test]
fn actions_alone_make_remediation_applied() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    // Only the applied actions of the report above: no tag change, nothing
    // failed, nothing left to a person.
    let mut actions = report().actions;
    actions.retain(|a| a.status == ActionStatus::Applied);
    let report = report_of(Vec::new(), actions, Vec::new());
    write_report(dir.path(), &report);
    let counts = read_counts(dir.path());
    let phases = [phase("scan", Some(0)), phase("check", Some(1)), phase("remediate", Some(1))];
    let verdict = Verdict::of(&phases, &counts, true, false);
    assert_eq!(verdict.events, [EventKind::RemediationApplied]);
    let body = serde_json::to_value(record(dir.path(), counts, verdict.events).event(EventKind::RemediationApplied))
        .expect("JSON");
    let remediation = &body["counts"]["remediation"];
    assert_eq!(remediation["applied"], 4, "{body:#}");
    assert_eq!(remediation["failed"], 0, "{body:#}");
    let verdicts: Vec<&Value> =
        ["fixed", "pending", "still_violating", "unverified"].iter().map(|k| &remediation[*k]).collect();
    assert_eq!(verdicts, [&json!(1), &json!(1), &json!(1), &json!(1)], "{body:#}");
}
