//! Remediation actions on live resources (`s3.block-public-access`,
//! `ec2.revoke-ingress`, `kms.enable-rotation`, `rds.disable-public-access`,
//! `ecr.immutable-tags`): re-reading each resource with its service's own
//! read calls, reconciling it with the plan ([`reconcile`]), and sending
//! the calls. [`super::Remediator::apply`] drives them; see the parent
//! module's steps.
//!
//! Each service module re-reads a resource into the raw output its live
//! reader records (the same SDK-to-JSON conversions, [`crate::aws::live::raw`])
//! and maps it with that reader's own table ([`crate::aws::live::type_reader`]),
//! so the slice compared with the plan's `before` has exactly the shape the
//! scan gave. A service whose Cargo feature is off fails its actions with
//! "this build has no SERVICE support".

// A build without some services leaves some helpers unused.
#![cfg_attr(
    not(all(feature = "s3", feature = "ec2", feature = "kms", feature = "rds", feature = "ecr")),
    allow(dead_code)
)]

pub mod reconcile;

#[cfg(all(test, feature = "s3", feature = "ec2", feature = "kms", feature = "rds", feature = "ecr"))]
mod moto_tests;

#[cfg(feature = "ec2")]
mod ec2;
#[cfg(feature = "ecr")]
mod ecr;
#[cfg(feature = "kms")]
mod kms;
#[cfg(feature = "rds")]
mod rds;
#[cfg(feature = "s3")]
mod s3;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use palisade_model::remediation::action::{ActionKind, AwsCall};
use palisade_model::remediation::plan::{PlannedAction, RemediationPlan};
use palisade_model::remediation::report::{ActionOutcome, ActionStatus, Verified};
use serde_json::Value;

use self::reconcile::{ActionState, StaleAction, normalized, reconcile_action};
use super::send::Turns;
use super::{ActionCallDone, ApplyOptions, Interruption, Progress, Remediator};

/// How many resources are re-read at once.
const READS_IN_FLIGHT: usize = 8;

/// A resource re-read for an action.
pub(crate) struct Reread {
    /// Its Terraform-shaped properties (the reader's table applied to the
    /// re-read raw output; members the re-read calls do not give absent).
    pub props: Value,
    /// A change AWS reports as accepted and still being applied, described.
    pub at_aws: Option<String>,
}

/// Why a resource could not be re-read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The service says it does not exist (AWS's error text).
    Gone(String),
    /// The read was refused or failed after the SDK's retries (AWS's error
    /// text), or this build cannot read it.
    Failed(String),
}

impl From<String> for ReadError {
    fn from(message: String) -> ReadError {
        ReadError::Failed(message)
    }
}

impl ReadError {
    /// The action's error: `the resource is gone: ...` or `could not
    /// re-read: ...`.
    fn message(&self) -> String {
        match self {
            ReadError::Gone(why) => format!("the resource is gone: {why}"),
            ReadError::Failed(why) => format!("could not re-read: {why}"),
        }
    }
}

/// What a successful call says beyond success.
#[derive(Debug, Default)]
pub(crate) struct CallResult {
    /// [`palisade_model::remediation::report::Verification::Pending`] when
    /// AWS applies the change later.
    pub verification: Option<Verified>,
}

/// The read error of a failed SDK call `operation` (`s3:GetBucketAcl`):
/// [`ReadError::Gone`] for the codes of `gone`.
pub(crate) fn sort_error<E, R>(
    operation: &str,
    error: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
    gone: &[&str],
) -> ReadError
where
    E: std::error::Error + aws_smithy_types::error::metadata::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug + crate::aws::HttpStatus,
{
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    let text = format!("{operation}: {}", crate::aws::describe_sdk_error(error));
    if error.code().is_some_and(|c| gone.contains(&c)) { ReadError::Gone(text) } else { ReadError::Failed(text) }
}

/// The Terraform-shaped properties of re-read `raw` output: the table of
/// `terraform_type`'s live reader applied to it.
pub(crate) fn to_props(terraform_type: &str, raw: &Value) -> Result<Value, ReadError> {
    let reader = crate::aws::live::type_reader(terraform_type)
        .ok_or_else(|| ReadError::Failed(format!("this build has no live reader for {terraform_type}")))?;
    Ok(Value::Object(crate::aws::live::table::apply(reader.rules, raw)))
}

/// The string parameter `key` of a call's parameters (or of one of their
/// objects).
pub(crate) fn str_param<'a>(params: &'a Value, key: &str) -> Result<&'a str, String> {
    params.get(key).and_then(Value::as_str).ok_or_else(|| format!("parameter {key} is not a string"))
}

/// The boolean parameter `key`.
pub(crate) fn bool_param(params: &Value, key: &str) -> Result<bool, String> {
    params.get(key).and_then(Value::as_bool).ok_or_else(|| format!("parameter {key} is not a boolean"))
}

/// The error of an action whose service this build leaves out.
#[cfg_attr(all(feature = "s3", feature = "ec2", feature = "kms", feature = "rds", feature = "ecr"), allow(dead_code))]
fn no_support(service: &str) -> String {
    format!("this build has no {service} support")
}

/// Run `$module::$f(args)` when the build has `$feature`, else fail with
/// [`no_support`].
macro_rules! by_service {
    ($feature:literal, $module:ident :: $f:ident ( $($arg:expr),* )) => {{
        #[cfg(feature = $feature)]
        {
            $module::$f($($arg),*).await
        }
        #[cfg(not(feature = $feature))]
        {
            let _ = ($($arg),*);
            Err(no_support($feature).into())
        }
    }};
}

/// Re-read the resource of `action` in its region; `reads` counts the
/// calls made.
async fn reread(config: &SdkConfig, action: &PlannedAction, reads: &mut usize) -> Result<Reread, ReadError> {
    let (c, region, id) = (config, action.region.as_str(), action.id.as_str());
    if region.is_empty() || id.is_empty() {
        return Err(ReadError::Failed("the plan gives this action no region or no id".into()));
    }
    match action.action.kind() {
        ActionKind::S3BlockPublicAccess => by_service!("s3", s3::reread(c, region, id, reads)),
        ActionKind::Ec2RevokeIngress => by_service!("ec2", ec2::reread(c, region, id, reads)),
        ActionKind::KmsEnableRotation => by_service!("kms", kms::reread(c, region, id, reads)),
        ActionKind::RdsDisablePublicAccess => by_service!("rds", rds::reread(c, region, id, reads)),
        ActionKind::EcrImmutableTags => by_service!("ecr", ecr::reread(c, region, id, reads)),
    }
}

/// Send one call of `kind` in `region`. `Err`: AWS's error text.
async fn send_call(config: &SdkConfig, kind: ActionKind, region: &str, call: &AwsCall) -> Result<CallResult, String> {
    match kind {
        ActionKind::S3BlockPublicAccess => by_service!("s3", s3::send(config, region, call)),
        ActionKind::Ec2RevokeIngress => by_service!("ec2", ec2::send(config, region, call)),
        ActionKind::KmsEnableRotation => by_service!("kms", kms::send(config, region, call)),
        ActionKind::RdsDisablePublicAccess => by_service!("rds", rds::send(config, region, call)),
        ActionKind::EcrImmutableTags => by_service!("ecr", ecr::send(config, region, call)),
    }
}

/// The planned actions as the apply goes: their outcomes, what the re-read
/// left to do, and the time spent on each.
pub(crate) struct ActionRun {
    /// One per planned action, in plan order.
    pub outcomes: Vec<ActionOutcome>,
    /// The calls still to send, by index into `outcomes`.
    pub pending: Vec<(usize, Vec<AwsCall>)>,
    /// The stale actions.
    pub stale: Vec<StaleAction>,
    /// Read calls made.
    pub reads: usize,
    /// Time spent on each action so far.
    elapsed: Vec<Duration>,
}

impl ActionRun {
    /// Every action of `plan` planned, those of kinds `options` does not
    /// allow [`ActionStatus::NotAllowed`].
    pub fn new(plan: &RemediationPlan, options: &ApplyOptions) -> ActionRun {
        let outcomes = plan
            .actions
            .iter()
            .map(|a| {
                let mut o = ActionOutcome::planned(a.clone());
                let kind = a.action.kind();
                if !options.allowed.contains(&kind) {
                    o.status = ActionStatus::NotAllowed;
                    o.error = Some(format!("action {kind} is not allowed: pass --allow-action {kind}"));
                }
                o
            })
            .collect();
        ActionRun {
            elapsed: vec![Duration::ZERO; plan.actions.len()],
            outcomes,
            pending: Vec::new(),
            stale: Vec::new(),
            reads: 0,
        }
    }

    /// Apply the re-reads' verdicts: done, failed (gone, unreadable,
    /// refused), pending or stale.
    fn settle(&mut self, index: usize, read: Result<Reread, ReadError>) {
        let o = &mut self.outcomes[index];
        let reread = match read {
            Ok(reread) => reread,
            Err(e) => {
                o.status = ActionStatus::Failed;
                o.error = Some(e.message());
                return;
            }
        };
        o.found = Some(normalized(&o.action.action.slice(&reread.props)));
        match reconcile_action(&o.action, &reread.props, reread.at_aws.as_deref()) {
            ActionState::Done { verification } => {
                o.status = ActionStatus::Done;
                o.verification = verification;
            }
            ActionState::Pending(calls) => self.pending.push((index, calls)),
            ActionState::Stale(stale) => {
                o.status = ActionStatus::Failed;
                o.error = Some(format!("changed since the plan: {stale}"));
                self.stale.push(stale);
            }
            ActionState::Refused(why) => {
                o.status = ActionStatus::Failed;
                o.error = Some(why);
            }
        }
    }

    /// With a stale plan nothing is sent: every action that was to run
    /// goes back to [`ActionStatus::Planned`] (not-allowed ones and failed
    /// re-reads keep their outcome).
    pub fn hold(&mut self) {
        for o in &mut self.outcomes {
            if o.status == ActionStatus::Done {
                o.status = ActionStatus::Planned;
                o.verification = None;
            }
        }
        self.pending.clear();
    }

    /// `--max-changes`: in plan order, the first `max` distinct ARNs with
    /// pending actions keep them; the rest are
    /// [`ActionStatus::NotAppliedMaxChanges`].
    pub fn limit(&mut self, max: usize) {
        let mut changed: BTreeSet<String> = BTreeSet::new();
        let mut kept = Vec::new();
        for (index, calls) in std::mem::take(&mut self.pending) {
            let arn = &self.outcomes[index].action.arn;
            if changed.contains(arn) || changed.len() < max {
                changed.insert(arn.clone());
                kept.push((index, calls));
            } else {
                let o = &mut self.outcomes[index];
                o.status = ActionStatus::NotAppliedMaxChanges;
                o.error = Some(format!("not applied: max-changes ({max})"));
            }
        }
        self.pending = kept;
    }

    /// Every pending action failed as not sent because the run stopped
    /// (`REASON`) before it; how many.
    pub fn interrupt_all(&mut self, reason: &str) -> usize {
        let pending = std::mem::take(&mut self.pending);
        for (index, _) in &pending {
            let o = &mut self.outcomes[*index];
            o.status = ActionStatus::Failed;
            o.error = Some(format!("interrupted before this action was sent ({reason}); a re-run completes it"));
        }
        pending.len()
    }
}

impl Remediator {
    /// Re-read the resource of every action still [`ActionStatus::Planned`]
    /// in `run` ([`READS_IN_FLIGHT`] at once) and reconcile it.
    pub(crate) async fn reread_actions(&self, run: &mut ActionRun) {
        use futures_util::stream::StreamExt;
        let todo: Vec<(usize, PlannedAction)> = run
            .outcomes
            .iter()
            .enumerate()
            .filter(|(_, o)| o.status == ActionStatus::Planned)
            .map(|(i, o)| (i, o.action.clone()))
            .collect();
        let config = &self.config;
        let mut reads = futures_util::stream::iter(todo)
            .map(|(index, action)| async move {
                let started = Instant::now();
                let mut count = 0;
                let result = reread(config, &action, &mut count).await;
                (index, result, count, started.elapsed())
            })
            .buffered(READS_IN_FLIGHT);
        while let Some((index, result, count, elapsed)) = reads.next().await {
            run.reads += count;
            run.elapsed[index] += elapsed;
            run.settle(index, result);
        }
    }

    /// Send the pending actions of `run`, one action at a time, each one's
    /// calls in order, when `turns` lets them (the rate limit; its `stop`
    /// is asked before each call). A failed call fails its action (its later calls
    /// are not sent) and the run goes on. The calls sent and, if `stop`
    /// answered, the interruption.
    pub(crate) async fn send_actions(
        &self,
        run: &mut ActionRun,
        turns: &mut Turns<'_>,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> (usize, Option<Interruption>) {
        let pending = std::mem::take(&mut run.pending);
        let total: usize = pending.iter().map(|(_, calls)| calls.len()).sum();
        let mut done = 0;
        for (position, (index, calls)) in pending.iter().enumerate() {
            let started = Instant::now();
            run.outcomes[*index].status = ActionStatus::Applied;
            for call in calls {
                if let Some(reason) = turns.next().await {
                    let unsent = stop_at(run, &pending[position..], &reason);
                    return (done, Some(Interruption { reason, unsent }));
                }
                let o = &mut run.outcomes[*index];
                o.started_at.get_or_insert_with(crate::aws::now);
                let result = send_call(&self.config, o.action.action.kind(), &o.action.region, call).await;
                done += 1;
                o.sent.push(call.operation.clone());
                let error = record_call(o, call, result);
                let event = ActionCallDone {
                    arn: &o.action.arn,
                    kind: o.action.action.kind(),
                    operation: &call.operation,
                    error: error.as_deref(),
                    done,
                    total,
                };
                progress(Progress::Action(event));
                if error.is_some() {
                    break;
                }
            }
            run.elapsed[*index] += started.elapsed();
        }
        (done, None)
    }

    /// Close `run`: each action's duration (re-read and calls), in ms.
    pub(crate) fn finish_actions(run: &mut ActionRun) {
        for (o, elapsed) in run.outcomes.iter_mut().zip(&run.elapsed) {
            if !elapsed.is_zero() {
                o.duration_ms = Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
            }
        }
    }
}

/// Record one call's result on its action; the action's error, if it failed.
fn record_call(o: &mut ActionOutcome, call: &AwsCall, result: Result<CallResult, String>) -> Option<String> {
    match result {
        Ok(CallResult { verification }) => {
            if verification.is_some() {
                o.verification = verification;
            }
            None
        }
        Err(text) => {
            let earlier = &o.sent[..o.sent.len() - 1];
            let mut error = format!("{} failed: {text}", call.operation);
            if !earlier.is_empty() {
                error.push_str(&format!(" (after {} succeeded; a re-run sends only the rest)", earlier.join(", ")));
            }
            o.status = ActionStatus::Failed;
            o.error = Some(error.clone());
            Some(error)
        }
    }
}

/// The run stops (`reason`) before a call of the first of `unsent`: each
/// of them fails, saying whether part of it was sent; how many.
fn stop_at(run: &mut ActionRun, unsent: &[(usize, Vec<AwsCall>)], reason: &str) -> usize {
    for (index, _) in unsent {
        let o = &mut run.outcomes[*index];
        o.status = ActionStatus::Failed;
        o.error = Some(if o.sent.is_empty() {
            format!("interrupted before this action was sent ({reason}); a re-run completes it")
        } else {
            format!(
                "interrupted ({reason}) after part of this action was sent ({}); a re-run completes it",
                o.sent.join(", ")
            )
        });
    }
    unsent.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::remediation::action::Action;
    use serde_json::json;

    fn planned(arn: &str, action: Action, props: &Value, ty: &str) -> PlannedAction {
        let before = action.slice(props);
        let id = arn.rsplit(['/', ':']).next().unwrap_or_default();
        PlannedAction {
            arn: arn.into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            resource_type: ty.into(),
            id: id.into(),
            calls: action.calls(id, &before),
            after: action.expected(&before),
            before,
            action,
            policies: Vec::new(),
            managed_by: None,
        }
    }

    fn run_of(actions: Vec<PlannedAction>, allowed: &[ActionKind], max: usize) -> ActionRun {
        let plan = RemediationPlan {
            actions,
            ..serde_json::from_value(json!({
            "format": "palisade-remediation-plan", "version": 2, "created_at": "2026-12-07T00:00:00Z",
            "inventory": {"source": "x", "started_at": "", "finished_at": "", "sha256": ""},
            "packs": [], "changes": [], "needs_human": []}))
            .expect("a plan")
        };
        let options = ApplyOptions { allowed: allowed.iter().copied().collect(), max_changes: max };
        ActionRun::new(&plan, &options)
    }

    #[test]
    fn not_allowed_then_max_changes_by_distinct_arn() {
        let kms = |n: u32| {
            planned(&format!("arn:aws:kms:us-east-1:1:key/k{n}"), Action::KmsEnableRotation, &json!({}), "aws_kms_key")
        };
        let ecr =
            planned("arn:aws:ecr:us-east-1:1:repository/r", Action::EcrImmutableTags, &json!({}), "aws_ecr_repository");
        let mut run = run_of(vec![kms(1), ecr, kms(2), kms(3)], &[ActionKind::KmsEnableRotation], 2);
        assert_eq!(run.outcomes[1].status, ActionStatus::NotAllowed);
        assert_eq!(
            run.outcomes[1].error.as_deref(),
            Some("action ecr.immutable-tags is not allowed: pass --allow-action ecr.immutable-tags")
        );
        for i in [0, 2, 3] {
            let props = json!({"enable_key_rotation": false});
            let reread = Reread { props, at_aws: None };
            run.settle(i, Ok(reread));
        }
        assert_eq!(run.pending.len(), 3);
        run.limit(2);
        let statuses: Vec<ActionStatus> = run.outcomes.iter().map(|o| o.status).collect();
        assert_eq!(
            statuses,
            [
                ActionStatus::Planned,
                ActionStatus::NotAllowed,
                ActionStatus::Planned,
                ActionStatus::NotAppliedMaxChanges
            ]
        );
        assert_eq!(run.outcomes[3].error.as_deref(), Some("not applied: max-changes (2)"));
        assert_eq!(run.interrupt_all("SIGTERM"), 2);
        assert!(run.outcomes[0].error.as_deref().is_some_and(|e| e.starts_with("interrupted before this action")));
    }

    #[test]
    fn reads_that_fail_or_find_nothing_fail_their_action_alone() {
        let key = planned("arn:aws:kms:us-east-1:1:key/k", Action::KmsEnableRotation, &json!({}), "aws_kms_key");
        let mut run = run_of(vec![key.clone(), key.clone(), key], &[ActionKind::KmsEnableRotation], 50);
        run.settle(0, Err(ReadError::Gone("kms:GetKeyRotationStatus: NotFoundException: no key (HTTP 400)".into())));
        run.settle(1, Err(ReadError::Failed("kms:GetKeyRotationStatus: AccessDeniedException (HTTP 400)".into())));
        run.settle(2, Ok(Reread { props: json!({"enable_key_rotation": true}), at_aws: None }));
        assert_eq!(
            run.outcomes[0].error.as_deref(),
            Some("the resource is gone: kms:GetKeyRotationStatus: NotFoundException: no key (HTTP 400)")
        );
        assert!(run.outcomes[1].error.as_deref().is_some_and(|e| e.starts_with("could not re-read: ")));
        assert_eq!(run.outcomes[2].status, ActionStatus::Done);
        assert_eq!(run.outcomes[2].found, Some(json!({"enable_key_rotation": true})));
        assert!(run.pending.is_empty() && run.stale.is_empty());
    }

    #[test]
    fn a_stale_action_holds_back_every_other() {
        let key = planned("arn:aws:kms:us-east-1:1:key/k", Action::KmsEnableRotation, &json!({}), "aws_kms_key");
        let bucket = planned("arn:aws:s3:::b", Action::S3BlockPublicAccess, &json!({}), "aws_s3_bucket");
        let mut run = run_of(
            vec![key.clone(), key, bucket],
            &[ActionKind::KmsEnableRotation, ActionKind::S3BlockPublicAccess],
            50,
        );
        run.settle(0, Ok(Reread { props: json!({"enable_key_rotation": true}), at_aws: None }));
        run.settle(1, Ok(Reread { props: json!({"enable_key_rotation": false}), at_aws: None }));
        let someone = json!({"public_access_block": [{"block_public_acls": true}]});
        run.settle(2, Ok(Reread { props: someone, at_aws: None }));
        assert_eq!(run.stale.len(), 1);
        run.hold();
        let statuses: Vec<ActionStatus> = run.outcomes.iter().map(|o| o.status).collect();
        assert_eq!(statuses, [ActionStatus::Planned, ActionStatus::Planned, ActionStatus::Failed]);
        assert!(run.pending.is_empty());
    }
}
