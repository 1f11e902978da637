//! `palisade remediate` for people: the plan and its outcomes on standard
//! output (tag changes, then actions, then fixes left to code), one line
//! per tagging or action call on standard error.
//!
//! Tag values are shown quoted and escaped once (`"a \"b\""`); keys and
//! messages as they are, with control characters escaped (`\n`, `\u{1b}`)
//! so that nothing read from AWS or a plan file can drive the terminal.

use std::collections::BTreeMap;
use std::io::{self, Write};

use palisade_engine::remediation::plan::Managed;
use palisade_engine::remediation::render::{WrittenReport, unsettled};
use palisade_engine::remediation::report::{
    ActionOutcome, ActionStatus, ChangeOutcome, ChangeStatus, Mode, RemediationReport, Verification, Verified,
};
use palisade_scanner::remediate::{ActionCallDone, CallDone, Progress, TagAction};

/// One tagging call on standard error.
fn show_call(call: CallDone<'_>) {
    let (name, what) = match &call.batch.action {
        TagAction::Tag(tags) => ("TagResources", tags.keys().map(|k| shown(k)).collect::<Vec<_>>()),
        TagAction::Untag(keys) => ("UntagResources", keys.iter().map(|k| shown(k)).collect()),
    };
    crate::say!(
        "palisade: [{}/{}] {name} {} ({}): {} ARN(s), {} failed",
        call.done,
        call.total,
        call.batch.region,
        what.join(", "),
        call.batch.arns.len(),
        call.failed
    );
}

/// Progress of `--apply` on standard error, one line per write call:
/// tagging calls as [`show_call`], action calls as [`show_action_call`].
pub(super) fn show_progress(progress: Progress<'_>) {
    match progress {
        Progress::Tags(call) => show_call(call),
        Progress::Action(call) => show_action_call(call),
    }
}

/// One action call on standard error: `palisade: [3/7]
/// s3:PutPublicAccessBlock arn:aws:s3:::site (s3.block-public-access): ok`,
/// or `failed: ERROR` with AWS's text; `[done/total]` counts the action
/// calls of the run.
pub(super) fn show_action_call(call: ActionCallDone<'_>) {
    let outcome = call.error.map_or_else(|| "ok".to_string(), |e| format!("failed: {}", shown(e)));
    crate::say!(
        "palisade: [{}/{}] {} {} ({}): {outcome}",
        call.done,
        call.total,
        shown(call.operation),
        shown(call.arn),
        call.kind
    );
}

/// The plan and its outcomes; `written`: where the report went (`None`:
/// it could not be written, the error follows on standard error).
pub(super) fn render(
    report: &RemediationReport,
    written: Option<&WrittenReport>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let run = &report.run;
    let stale = !report.stale.is_empty();
    let planned = report.changes.iter().filter(|o| o.status == ChangeStatus::Planned).count()
        + report.actions.iter().filter(|o| o.status == ActionStatus::Planned).count();
    match run.mode {
        Mode::DryRun if planned > 0 => writeln!(
            out,
            "DRY RUN: nothing was changed; --apply applies the changes marked planned (actions only of the kinds --allow-action names)."
        )?,
        Mode::DryRun => writeln!(out, "DRY RUN: nothing was changed; nothing is planned for --apply to apply.")?,
        Mode::Apply if stale => writeln!(
            out,
            "APPLY as {}: THE PLAN IS STALE; nothing was sent.",
            run.caller.as_deref().unwrap_or("(unknown caller)")
        )?,
        Mode::Apply => writeln!(
            out,
            "APPLY as {}: each change's outcome below.",
            run.caller.as_deref().unwrap_or("(unknown caller)")
        )?,
    }
    let source = run.plan.as_deref().map_or_else(|| run.inventory.source.clone(), |p| format!("plan {p}"));
    writeln!(out, "From {} (inventory of {}).", shown(&source), run.inventory.started_at)?;
    if stale {
        writeln!(out)?;
        writeln!(out, "Changed since the plan ({}):", report.stale.len())?;
        for line in &report.stale {
            writeln!(out, "  {}", shown(line))?;
        }
    }
    for outcome in &report.changes {
        show_change(outcome, run.mode, stale, out)?;
    }
    for outcome in &report.actions {
        show_action(outcome, run.mode, stale, out)?;
    }
    show_managed(&report.managed, out)?;
    let not_allowed: Vec<&ActionOutcome> =
        report.actions.iter().filter(|o| o.status == ActionStatus::NotAllowed).collect();
    if !report.needs_human.is_empty() || !not_allowed.is_empty() {
        writeln!(out)?;
        writeln!(out, "Needs a human ({}):", report.needs_human.len() + not_allowed.len())?;
        for n in &report.needs_human {
            writeln!(out, "  {}  {}/{}: {}", shown(&n.resource), n.pack, n.policy, shown(&n.reason))?;
        }
        for o in not_allowed {
            let why = o.error.as_deref().map_or_else(|| "not allowed (--allow-action)".to_string(), shown);
            writeln!(out, "  {}  {}: {why}", shown(&o.action.arn), o.action.action.kind())?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", summary_line(report))?;
    match written {
        Some(w) => writeln!(out, "Report: {} (and {}, {})", w.html.display(), w.json.display(), w.markdown.display()),
        None => writeln!(out, "Report: NOT WRITTEN (the error follows on standard error)"),
    }
}

/// One tag change: its status, the state that manages its resource (when
/// changed in place all the same), the keys it sets and removes, the tags
/// before and after (for a change not applied on an apply, the tags as they
/// still are; for one not sent because the plan is `stale`, that), the
/// error and the verification.
fn show_change(outcome: &ChangeOutcome, mode: Mode, stale: bool, out: &mut dyn Write) -> io::Result<()> {
    let c = &outcome.change;
    let not_applied = mode == Mode::Apply && matches!(outcome.status, ChangeStatus::Failed | ChangeStatus::Planned);
    let unsent = mode == Mode::Apply && stale && outcome.status == ChangeStatus::Planned;
    let status = match outcome.status {
        ChangeStatus::Planned if unsent => "NOT SENT",
        ChangeStatus::Planned if mode == Mode::Apply => "NOT APPLIED",
        ChangeStatus::Planned => "planned",
        ChangeStatus::Applied => "applied",
        ChangeStatus::AlreadyApplied => "already-applied",
        ChangeStatus::Failed => "FAILED",
    };
    writeln!(out)?;
    writeln!(out, "{}  [{}, {}, {}]  {status}", shown(&c.arn), c.resource_type, c.region, c.account)?;
    writeln!(out, "  asked by: {}", shown(&c.policies.join(", ")))?;
    show_managed_by(c.managed_by.as_deref(), out)?;
    for (key, value) in &c.change.set {
        match c.before.get(key) {
            Some(old) => writeln!(out, "  ~ {}: {old:?} -> {value:?}", shown(key))?,
            None => writeln!(out, "  + {} = {value:?}", shown(key))?,
        }
    }
    for key in &c.change.remove {
        let old = c.before.get(key).map(|v| format!(" (was {v:?})")).unwrap_or_default();
        writeln!(out, "  - {}{old}", shown(key))?;
    }
    writeln!(out, "  before: {}", tag_list(&c.before))?;
    if unsent {
        writeln!(out, "  after:  {NOT_SENT_STALE}; planned {}", tag_list(&c.after))?;
    } else if not_applied {
        writeln!(out, "  after:  not applied; the tags are still {}", tag_list(&c.before))?;
    } else {
        writeln!(out, "  after:  {}", tag_list(&c.after))?;
    }
    if let Some(error) = &outcome.error {
        writeln!(out, "  error: {}", shown(error))?;
    }
    show_verification(outcome.verification.as_ref(), out)
}

/// One action: its status, the state that manages its resource (when
/// changed in place all the same), parameters, calls, the configuration
/// before and after, what the re-read found when it differs from the
/// plan's before, the operations sent and how long they took, the error and
/// the verification. The after is the planned one on a dry run (which read
/// nothing from the cloud); on an apply, for an action with calls sent but
/// not applied, `partly applied: SENT; the rest was not sent`; for one not
/// sent because the plan is `stale`, that; for another not applied, the
/// configuration as it still is.
fn show_action(outcome: &ActionOutcome, mode: Mode, stale: bool, out: &mut dyn Write) -> io::Result<()> {
    let a = &outcome.action;
    let applied = matches!(outcome.status, ActionStatus::Applied | ActionStatus::Done);
    let partly = mode == Mode::Apply && !applied && !outcome.sent.is_empty();
    let unsent = mode == Mode::Apply && stale && outcome.sent.is_empty() && outcome.status == ActionStatus::Planned;
    let not_applied = mode == Mode::Apply && !applied;
    let status = match outcome.status {
        ActionStatus::Planned if unsent => "NOT SENT",
        ActionStatus::Planned if mode == Mode::Apply => "NOT APPLIED",
        ActionStatus::Planned => "planned",
        ActionStatus::Applied => "applied",
        ActionStatus::Done => "done",
        ActionStatus::Failed if partly => "FAILED: PARTLY APPLIED",
        ActionStatus::Failed => "FAILED",
        ActionStatus::NotAllowed => "NOT ALLOWED",
        ActionStatus::NotAppliedMaxChanges => "NOT APPLIED: max-changes",
    };
    writeln!(out)?;
    writeln!(
        out,
        "{}  [{}, {}, {}]  {}  {status}",
        shown(&a.arn),
        a.resource_type,
        a.region,
        a.account,
        a.action.kind()
    )?;
    writeln!(out, "  asked by: {}", shown(&a.policies.join(", ")))?;
    show_managed_by(a.managed_by.as_deref(), out)?;
    if let palisade_engine::remediation::action::Action::Ec2RevokeIngress { rules } = &a.action {
        let rules: Vec<String> = rules.iter().map(|r| r.label()).collect();
        writeln!(out, "  rules: {}", shown(&rules.join(", ")))?;
    }
    for call in &a.calls {
        writeln!(out, "  call: {} {}", shown(&call.operation), shown(&call.parameters.to_string()))?;
    }
    writeln!(out, "  before: {}", shown(&a.before.to_string()))?;
    let now = outcome.found.as_ref().unwrap_or(&a.before);
    if partly {
        // A call was sent: the configuration is not what it was.
        writeln!(out, "  after:  partly applied: {}; the rest was not sent", shown(&outcome.sent.join(", ")))?;
        writeln!(out, "  planned: {}", shown(&a.after.to_string()))?;
    } else if unsent {
        writeln!(out, "  after:  {NOT_SENT_STALE}")?;
        writeln!(out, "  planned: {}", shown(&a.after.to_string()))?;
    } else if not_applied {
        writeln!(out, "  after:  not applied; still {}", shown(&now.to_string()))?;
        writeln!(out, "  planned: {}", shown(&a.after.to_string()))?;
    } else if mode == Mode::DryRun {
        writeln!(out, "  after (planned): {}", shown(&a.after.to_string()))?;
    } else {
        writeln!(out, "  after:  {}", shown(&a.after.to_string()))?;
    }
    if let Some(found) = outcome.found.as_ref().filter(|f| **f != a.before) {
        writeln!(out, "  found:  {}", shown(&found.to_string()))?;
    }
    if !outcome.sent.is_empty() || outcome.duration_ms.is_some() {
        let sent = if outcome.sent.is_empty() { "nothing".to_string() } else { shown(&outcome.sent.join(", ")) };
        let took = outcome.duration_ms.map(|ms| format!(" in {ms} ms")).unwrap_or_default();
        let at = outcome.started_at.as_deref().map(|t| format!(" from {}", shown(t))).unwrap_or_default();
        writeln!(out, "  sent: {sent}{at}{took}")?;
    }
    if let Some(error) = &outcome.error {
        writeln!(out, "  error: {}", shown(error))?;
    }
    show_verification(outcome.verification.as_ref(), out)
}

/// Why a change or action of a stale plan was not sent.
const NOT_SENT_STALE: &str = "not sent: the plan is stale";

/// `  managed by FILE (ADDRESS); changed in place (--include-managed)`,
/// for a resource a state manages that was changed in place all the same.
fn show_managed_by(managed_by: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    match managed_by {
        Some(by) => writeln!(out, "  managed by {}; changed in place (--include-managed)", shown(by)),
        None => Ok(()),
    }
}

/// `  verified: fixed` (with its detail), when the resource was verified.
fn show_verification(verified: Option<&Verified>, out: &mut dyn Write) -> io::Result<()> {
    let Some(v) = verified else { return Ok(()) };
    let result = match v.result {
        Verification::Fixed => "fixed",
        Verification::StillViolating => "STILL VIOLATING",
        Verification::Pending => "pending",
        Verification::Unverified => "COULD NOT BE VERIFIED",
    };
    if v.detail.is_empty() {
        writeln!(out, "  verified: {result}")
    } else {
        writeln!(out, "  verified: {result}: {}", shown(&v.detail))
    }
}

/// The fixes left to code: `ARN: managed by FILE (ADDRESS): fix it in
/// code`, then the patch's lines (secret values already redacted).
fn show_managed(managed: &[Managed], out: &mut dyn Write) -> io::Result<()> {
    if managed.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Managed by code ({}):", managed.len())?;
    for m in managed {
        writeln!(
            out,
            "  {}: managed by {} ({}): fix it in code ({}, asked by {})",
            shown(&m.resource),
            shown(&m.state),
            shown(&m.address),
            shown(&m.fix),
            shown(&m.policies.join(", "))
        )?;
        for line in &m.diff {
            writeln!(out, "    {}", shown(line))?;
        }
        if let Some(note) = &m.note {
            writeln!(out, "    note: {}", shown(note))?;
        }
    }
    Ok(())
}

/// The counts of the summary. With `--plan-in` no violation is evaluated,
/// so the line says so, and counts the fixes not settled instead (failed,
/// not sent, still violating or not verified: [`unsettled`]). Actions,
/// verification, fixes left to code and undecided findings are counted
/// when there are any; a stale plan says so first.
fn summary_line(report: &RemediationReport) -> String {
    let s = &report.summary;
    let planned = report.changes.iter().filter(|o| o.status == ChangeStatus::Planned).count();
    let mut changes = format!(
        "{} changes: {planned} planned, {} applied, {} already applied, {} failed",
        s.planned, s.applied, s.already_applied, s.failed
    );
    if s.actions > 0 {
        let planned = report.actions.iter().filter(|o| o.status == ActionStatus::Planned).count();
        changes.push_str(&format!(
            "; {} actions: {planned} planned, {} applied, {} done, {} failed, {} not allowed, {} not applied (max-changes)",
            s.actions, s.actions_applied, s.actions_done, s.actions_failed, s.not_allowed, s.not_applied_max_changes
        ));
    }
    if s.fixed + s.pending + s.still_violating + s.unverified > 0 {
        changes.push_str(&format!(
            "; verified: {} fixed, {} pending, {} still violating, {} could not be verified",
            s.fixed, s.pending, s.still_violating, s.unverified
        ));
    }
    if s.managed > 0 {
        changes.push_str(&format!("; {} left to code", s.managed));
    }
    changes.push_str(&format!("; {} need a human", s.needs_human));
    if s.undecided > 0 {
        changes.push_str(&format!("; {} undecided (apart from violations)", s.undecided));
    }
    if !report.stale.is_empty() {
        format!(
            "THE PLAN IS STALE: {} resource(s) changed since it was made; nothing was sent (exit code 2). {} resources in the plan; {changes}.",
            s.stale, s.resources
        )
    } else if report.run.plan.is_some() {
        format!(
            "{} resources in the plan; {changes}; violations not re-evaluated with --plan-in: {} fix(es) not settled (failed, not sent, still violating or not verified).",
            s.resources,
            unsettled(report)
        )
    } else {
        format!(
            "{} resources, {} violations ({} to remediate); {changes}; {} blocking violations remain.",
            s.resources, s.violations, s.remediate_violations, s.remaining
        )
    }
}

/// `key="value", ...`, or `(none)`.
fn tag_list(tags: &BTreeMap<String, String>) -> String {
    if tags.is_empty() {
        return "(none)".to_string();
    }
    tags.iter().map(|(k, v)| format!("{}={v:?}", shown(k))).collect::<Vec<_>>().join(", ")
}

/// `text` with its control characters escaped (`\n`, `\u{1b}`) and
/// nothing else: quotes and backslashes stay as they are, so a message
/// that quotes values already is not escaped twice.
pub(super) fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use palisade_engine::remediation::TagChange;
    use palisade_engine::remediation::action::Action;
    use palisade_engine::remediation::plan::{InventoryRef, PlannedAction, PlannedChange, RemediationPlan};
    use palisade_engine::remediation::report::{Outcomes, RunInfo};
    use serde_json::json;

    use super::*;

    /// The planned `kms.enable-rotation` of key `id`, rotation off.
    fn key(id: &str) -> PlannedAction {
        let action = Action::KmsEnableRotation;
        let before = action.slice(&json!({"enable_key_rotation": false}));
        PlannedAction {
            arn: format!("arn:aws:kms:us-east-1:123456789012:key/{id}"),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            resource_type: "aws_kms_key".into(),
            id: id.into(),
            calls: action.calls(id, &before),
            after: action.expected(&before),
            before,
            action,
            policies: vec!["aws-baseline/aws-kms-key-enable-key-rotation".into()],
            managed_by: None,
        }
    }

    /// A public bucket's fix, left to the state that manages it.
    fn managed() -> Managed {
        Managed {
            resource: "arn:aws:s3:::site".into(),
            state: "prod.tfstate".into(),
            address: "aws_s3_bucket.site".into(),
            fix: "s3.block-public-access".into(),
            patch: vec![json!({"op": "add", "path": "/acl", "value": "private"})],
            diff: vec!["~ /acl: \"public-read\" -> \"private\"".into()],
            policies: vec!["aws-baseline/aws-s3-bucket-disallow-public-read".into()],
            note: None,
            changed_in_place: false,
        }
    }

    /// An applied run: a tag change that failed, a KMS key's rotation
    /// applied and verified pending, the same action on a second key not
    /// allowed, and a bucket whose fix is left to its state.
    fn report() -> RemediationReport {
        let inventory = InventoryRef {
            source: "live:aws".into(),
            started_at: "2026-11-30T10:00:00Z".into(),
            finished_at: "2026-11-30T10:00:01Z".into(),
            sha256: "0".repeat(64),
        };
        let before: BTreeMap<String, String> = [("env".to_string(), "dev".to_string())].into();
        let change =
            TagChange { set: [("owner".to_string(), "platform".to_string())].into(), remove: Default::default() };
        let planned_change = PlannedChange {
            arn: "arn:aws:sqs:us-east-1:123456789012:jobs".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            resource_type: "aws_sqs_queue".into(),
            after: change.apply_to(&before),
            before,
            change,
            policies: vec!["aws-baseline/required-tags".into()],
            managed_by: None,
        };
        let plan = RemediationPlan {
            format: "palisade-remediation-plan".into(),
            version: 2,
            created_at: "2026-11-30T10:00:02Z".into(),
            inventory: inventory.clone(),
            packs: Vec::new(),
            changes: vec![planned_change.clone()],
            actions: vec![key("k-1"), key("k-2")],
            managed: vec![managed()],
            settings: None,
            needs_human: Vec::new(),
        };
        let changes = vec![ChangeOutcome {
            change: planned_change,
            status: ChangeStatus::Failed,
            error: Some("AccessDenied: no".into()),
            verification: None,
        }];
        let applied = ActionOutcome {
            status: ActionStatus::Applied,
            found: Some(plan.actions[0].before.clone()),
            sent: vec!["kms:EnableKeyRotation".into()],
            started_at: Some("2026-11-30T10:00:03Z".into()),
            duration_ms: Some(42),
            verification: Some(Verified { result: Verification::Pending, detail: "rotation starts later".into() }),
            ..ActionOutcome::planned(plan.actions[0].clone())
        };
        let not_allowed = ActionOutcome {
            status: ActionStatus::NotAllowed,
            error: Some("action kms.enable-rotation is not allowed".into()),
            ..ActionOutcome::planned(plan.actions[1].clone())
        };
        let run = RunInfo {
            id: "r".into(),
            started_at: "2026-11-30T10:00:02Z".into(),
            finished_at: "2026-11-30T10:00:04Z".into(),
            mode: Mode::Apply,
            caller: Some("arn:aws:iam::123456789012:user/ops".into()),
            inventory,
            plan: None,
            packs: Vec::new(),
            tool_version: "0".into(),
        };
        RemediationReport::new(run, &plan, Outcomes { changes, actions: vec![applied, not_allowed] }, Vec::new(), 4)
    }

    #[test]
    fn actions_follow_the_tag_changes_with_their_outcome() {
        let mut out = Vec::new();
        render(&report(), None, &mut out).expect("renders");
        let text = String::from_utf8(out).expect("UTF-8");
        let changes = text.find("arn:aws:sqs:").expect("the tag change");
        let actions = text.find("arn:aws:kms:").expect("the actions");
        assert!(changes < actions, "{text}");
        for wanted in [
            // A failed change: the tags as they still are.
            "  before: env=\"dev\"\n  after:  not applied; the tags are still env=\"dev\"\n  error: AccessDenied: no\n",
            "arn:aws:kms:us-east-1:123456789012:key/k-1  [aws_kms_key, us-east-1, 123456789012]  kms.enable-rotation  applied\n",
            "  call: kms:EnableKeyRotation {\"KeyId\":\"k-1\"}\n",
            "  before: {\"enable_key_rotation\":false}\n  after:  {\"enable_key_rotation\":true}\n",
            "  sent: kms:EnableKeyRotation from 2026-11-30T10:00:03Z in 42 ms\n",
            "  verified: pending: rotation starts later\n",
            "key/k-2  [aws_kms_key, us-east-1, 123456789012]  kms.enable-rotation  NOT ALLOWED\n",
            "  after:  not applied; still {\"enable_key_rotation\":false}\n  planned: {\"enable_key_rotation\":true}\n",
            "Managed by code (1):\n  arn:aws:s3:::site: managed by prod.tfstate (aws_s3_bucket.site): fix it in code \
             (s3.block-public-access, asked by aws-baseline/aws-s3-bucket-disallow-public-read)\n    ~ /acl: \"public-read\" -> \"private\"\n",
            "Needs a human (1):\n  arn:aws:kms:us-east-1:123456789012:key/k-2  kms.enable-rotation: action kms.enable-rotation is not allowed\n",
            "; 2 actions: 0 planned, 1 applied, 0 done, 0 failed, 1 not allowed, 0 not applied (max-changes); verified: 0 \
             fixed, 1 pending, 0 still violating, 0 could not be verified; 1 left to code; 1 need a human;",
        ] {
            assert!(text.contains(wanted), "the text lacks {wanted:?}:\n{text}");
        }
    }

    fn text_of(report: &RemediationReport) -> String {
        let mut out = Vec::new();
        render(report, None, &mut out).expect("renders");
        String::from_utf8(out).expect("UTF-8")
    }

    /// [`report`] with the given outcomes, counted again.
    fn with_outcomes(
        mode: Mode,
        plan_in: bool,
        changes: Vec<ChangeOutcome>,
        actions: Vec<ActionOutcome>,
    ) -> RemediationReport {
        let base = report();
        let plan = RemediationPlan {
            format: "palisade-remediation-plan".into(),
            version: 2,
            created_at: "2026-11-30T10:00:02Z".into(),
            inventory: base.run.inventory.clone(),
            packs: Vec::new(),
            changes: changes.iter().map(|o| o.change.clone()).collect(),
            actions: actions.iter().map(|o| o.action.clone()).collect(),
            managed: Vec::new(),
            settings: None,
            needs_human: Vec::new(),
        };
        let mut run = base.run.clone();
        run.mode = mode;
        run.plan = plan_in.then(|| "plan.json".to_string());
        RemediationReport::new(run, &plan, Outcomes { changes, actions }, Vec::new(), 4)
    }

    #[test]
    fn a_stale_plan_says_what_changed_and_that_nothing_was_sent() {
        let base = report();
        let change = ChangeOutcome { status: ChangeStatus::Planned, error: None, ..base.changes[0].clone() };
        let mut report = with_outcomes(Mode::Apply, true, vec![change], vec![ActionOutcome::planned(key("k-1"))]);
        report.mark_stale(vec![
            "arn:aws:kms:us-east-1:123456789012:key/k-1: enable_key_rotation is true, the plan expected false".into(),
        ]);
        let text = text_of(&report);
        for wanted in [
            "APPLY as arn:aws:iam::123456789012:user/ops: THE PLAN IS STALE; nothing was sent.\n",
            "Changed since the plan (1):\n  arn:aws:kms:us-east-1:123456789012:key/k-1: enable_key_rotation is true, the plan expected false\n",
            "arn:aws:sqs:us-east-1:123456789012:jobs  [aws_sqs_queue, us-east-1, 123456789012]  NOT SENT\n",
            "  after:  not sent: the plan is stale; planned env=\"dev\", owner=\"platform\"\n",
            "kms.enable-rotation  NOT SENT\n",
            "  after:  not sent: the plan is stale\n  planned: {\"enable_key_rotation\":true}\n",
            "THE PLAN IS STALE: 1 resource(s) changed since it was made; nothing was sent (exit code 2).",
        ] {
            assert!(text.contains(wanted), "the text lacks {wanted:?}:\n{text}");
        }
        assert!(!text.contains("NOT APPLIED") && !text.contains("still"), "{text}");
    }

    #[test]
    fn a_partly_applied_action_is_not_said_unchanged() {
        let partly = ActionOutcome {
            status: ActionStatus::Failed,
            error: Some("interrupted (SIGTERM) after part of this action was sent (kms:EnableKeyRotation)".into()),
            found: Some(key("k-1").before),
            sent: vec!["kms:EnableKeyRotation".into()],
            ..ActionOutcome::planned(key("k-1"))
        };
        let text = text_of(&with_outcomes(Mode::Apply, false, Vec::new(), vec![partly]));
        assert!(text.contains("kms.enable-rotation  FAILED: PARTLY APPLIED\n"), "{text}");
        assert!(
            text.contains("  after:  partly applied: kms:EnableKeyRotation; the rest was not sent\n  planned: {\"enable_key_rotation\":true}\n"),
            "{text}"
        );
        assert!(!text.contains("not applied; still"), "{text}");
    }

    #[test]
    fn a_dry_run_shows_the_planned_after() {
        let not_allowed = ActionOutcome { status: ActionStatus::NotAllowed, ..ActionOutcome::planned(key("k-2")) };
        let text = text_of(&with_outcomes(Mode::DryRun, false, Vec::new(), vec![not_allowed]));
        assert!(text.starts_with("DRY RUN: nothing was changed; nothing is planned for --apply to apply.\n"), "{text}");
        assert!(
            text.contains(
                "  before: {\"enable_key_rotation\":false}\n  after (planned): {\"enable_key_rotation\":true}\n"
            ),
            "{text}"
        );
        assert!(!text.contains("not applied;"), "{text}");
        let planned =
            text_of(&with_outcomes(Mode::DryRun, false, Vec::new(), vec![ActionOutcome::planned(key("k-1"))]));
        assert!(planned.starts_with(
            "DRY RUN: nothing was changed; --apply applies the changes marked planned (actions only of the kinds --allow-action names).\n"
        ));
    }

    #[test]
    fn managed_resources_changed_in_place_and_notes_are_shown() {
        let mut action = key("k-1");
        action.managed_by = Some("prod.tfstate (aws_kms_key.main)".into());
        let applied = ActionOutcome { status: ActionStatus::Applied, ..ActionOutcome::planned(action) };
        let mut report = with_outcomes(Mode::Apply, false, Vec::new(), vec![applied]);
        let mut m = managed();
        m.note = Some("in Terraform's AWS provider 4+, `public_access_block` is a resource".into());
        report.managed = vec![m];
        let text = text_of(&report);
        assert!(
            text.contains("  managed by prod.tfstate (aws_kms_key.main); changed in place (--include-managed)\n"),
            "{text}"
        );
        assert!(
            text.contains("    ~ /acl: \"public-read\" -> \"private\"\n    note: in Terraform's AWS provider 4+, `public_access_block` is a resource\n"),
            "{text}"
        );
    }

    #[test]
    fn a_plan_in_apply_counts_the_fixes_not_settled() {
        let still = ActionOutcome {
            status: ActionStatus::Applied,
            sent: vec!["kms:EnableKeyRotation".into()],
            verification: Some(Verified { result: Verification::StillViolating, detail: "rotation is off".into() }),
            ..ActionOutcome::planned(key("k-1"))
        };
        let text = text_of(&with_outcomes(Mode::Apply, true, Vec::new(), vec![still]));
        assert!(
            text.contains("violations not re-evaluated with --plan-in: 1 fix(es) not settled (failed, not sent, still violating or not verified)."),
            "{text}"
        );
        assert!(!text.contains("change(s) not applied"), "{text}");
    }
}
