//! Applying a [`RemediationPlan`] to live AWS resources: the tag changes
//! `palisade remediate --apply` makes, through the Resource Groups Tagging
//! API (`GetResources`, `TagResources`, `UntagResources`), and the actions
//! beyond tags (`s3.block-public-access`, `ec2.revoke-ingress`,
//! `kms.enable-rotation`, `rds.disable-public-access`, `ecr.immutable-tags`,
//! [`palisade_model::remediation::action`]), through each service's API.
//!
//! API reference:
//! <https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_TagResources.html>.
//!
//! [`Remediator::apply`] executes exactly the plan, never more:
//!
//! 1. **Whose account.** The credentials' identity (STS
//!    `GetCallerIdentity`) is learned once ([`Remediator::connect`]); a plan
//!    with changes or actions in another account is refused before any
//!    call ([`RemediateError::OtherAccount`]).
//! 2. **Blast radius, first part.** Actions of kinds not in
//!    [`ApplyOptions::allowed`] are [`report::ActionStatus::NotAllowed`] ("action
//!    KIND is not allowed: pass --allow-action KIND"): nothing is read or
//!    sent for them.
//! 3. **Re-read.** Right before changing anything, the current tags of
//!    every planned ARN are read again (`GetResources` with
//!    `ResourceARNList`, [`MAX_ARNS_PER_READ`] ARNs a call, per region). A
//!    read that fails changes nothing ([`RemediateError::Read`]). Each
//!    allowed action's resource is re-read in its region with its service's
//!    own read calls (`GetPublicAccessBlock` and `GetBucketAcl`,
//!    `DescribeSecurityGroups`, `GetKeyRotationStatus`,
//!    `DescribeDBInstances`, `DescribeRepositories`), mapped by the live
//!    reader's own table into the scan's Terraform shape, and sliced
//!    ([`palisade_model::remediation::action::Action::slice`]). A resource
//!    gone, or a read refused or failing after retries, fails that action
//!    alone, with AWS's error text.
//! 4. **Reconcile** ([`reconcile()`], [`reconcile_action`]). Each tag key
//!    is either still at its `before` value (pending) or at its `after`
//!    value (done); each action's slice is its `after` ([`report::ActionStatus::Done`]),
//!    its `before` (pending: the plan's calls), or between the two after an
//!    interrupted run (pending: only the remaining calls, [`is_between`]).
//!    Nothing is sent for what is done: a re-run after success sends
//!    nothing, and a run killed half-way is completed by the next without
//!    sending anything twice. A resource whose tags are anything else, or
//!    that is gone, is a [`Conflict`]; an action whose slice is anything
//!    else is a [`StaleAction`]. **One rule for both:** with any conflict
//!    or stale action, **nothing** is sent for any resource
//!    ([`ApplyOutcome::conflicts`], [`ApplyOutcome::stale`]), so a reviewed
//!    plan is never applied over changes made since. Calls are only ever
//!    `action.calls(id, found)`, checked against the plan's: a security
//!    group rule is revoked only when it is one the plan listed and still
//!    there.
//! 5. **Blast radius, second part.** In plan order, the first
//!    [`ApplyOptions::max_changes`] distinct resources with pending actions
//!    keep them; the others are [`report::ActionStatus::NotAppliedMaxChanges`]
//!    ("not applied: max-changes (N)"). Tag changes do not count.
//! 6. **Calls.** Tags first ([`batches`]): `TagResources`, then
//!    `UntagResources`, grouped by region and identical tag map (or key
//!    list), at most [`MAX_ARNS_PER_CALL`] ARNs a call. `aws:` keys are
//!    never sent (such a change fails without a call); per-ARN failures
//!    come from `FailedResourcesMap`, and a call that fails as a whole
//!    fails each of its ARNs. A resource whose `TagResources` failed gets
//!    no `UntagResources`. Then the actions, one at a time, each one's
//!    calls in order (`PutPublicAccessBlock` before `PutBucketAcl`); a
//!    failed call fails its action (AWS's error text) and the others go
//!    on. Every write call goes one at a time, at most
//!    [`RemediateOptions::calls_per_second`]; throttling and transient
//!    errors are retried by the SDK's standard strategy
//!    ([`RemediateOptions::max_attempts`]). An RDS change AWS applies later
//!    is [`palisade_model::remediation::report::Verification::Pending`].
//! 7. **Stopping.** The caller may ask the run to stop (a signal): the call
//!    in flight completes, no other is sent, and each change or action not
//!    (wholly) sent is failed with an error saying so
//!    ([`ApplyOutcome::interrupted`]); a re-run completes them (step 4).
//!
//! The clients are built as the scan's ([`crate::aws`]): the same
//! credential chain, profile, endpoint override, retry and timeout
//! configuration; S3's are path-style with an endpoint URL.

pub mod actions;
mod batch;
mod calls;
mod reconcile;
mod send;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_config::{Region, SdkConfig};
use aws_sdk_resourcegroupstagging as tagging;
use palisade_model::remediation::TagChange;
use palisade_model::remediation::action::ActionKind;
use palisade_model::remediation::plan::{PlannedChange, RemediationPlan};
#[cfg(doc)]
use palisade_model::remediation::report;
use palisade_model::remediation::report::{ActionOutcome, ChangeOutcome, ChangeStatus};

pub use actions::reconcile::{ActionState, StaleAction, is_between, reconcile_action};
pub use batch::{Batch, MAX_ARNS_PER_CALL, TagAction, batches};
pub use calls::MAX_ARNS_PER_READ;
pub use reconcile::{Conflict, ConflictKind, KeyConflict, Reconciled, reconcile};

use crate::aws::{self, AwsScanOptions, regions};
use actions::ActionRun;
use send::Turns;

/// How to reach AWS and how fast to go. Build with
/// [`RemediateOptions::default`] and set fields.
#[derive(Debug, Clone)]
pub struct RemediateOptions {
    /// A named profile of the shared config files (`--profile`).
    pub profile: Option<String>,
    /// A compatible endpoint to send every call to (`--endpoint-url`).
    pub endpoint_url: Option<String>,
    /// The region of the STS call; default: the configured one, else
    /// `us-east-1`. Tagging calls go to each change's own region.
    pub region: Option<String>,
    /// Attempts per call, the first included (1 to 20).
    pub max_attempts: u32,
    /// The first retry's backoff; it doubles per attempt, with jitter.
    pub initial_backoff: Duration,
    /// The longest backoff between two attempts.
    pub max_backoff: Duration,
    /// The longest one attempt may take.
    pub attempt_timeout: Duration,
    /// The most `TagResources`/`UntagResources` calls per second (any
    /// positive number, e.g. `0.5`: one call every two seconds); `None`: as
    /// fast as AWS answers. Reads are not limited.
    pub calls_per_second: Option<f64>,
}

impl Default for RemediateOptions {
    fn default() -> Self {
        let scan = AwsScanOptions::default();
        RemediateOptions {
            profile: None,
            endpoint_url: None,
            region: None,
            max_attempts: scan.max_attempts,
            initial_backoff: scan.initial_backoff,
            max_backoff: scan.max_backoff,
            attempt_timeout: scan.attempt_timeout,
            calls_per_second: None,
        }
    }
}

/// Why a remediation could not run. Failures of single tagging calls are
/// not errors: they are [`ChangeStatus::Failed`] outcomes.
#[derive(Debug, thiserror::Error)]
pub enum RemediateError {
    /// An option out of its range.
    #[error("{0}")]
    BadOption(String),
    /// The async runtime could not be started.
    #[error("cannot start the remediation's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// STS `GetCallerIdentity` failed: no credentials, or an endpoint that
    /// does not answer.
    #[error("cannot identify the AWS caller: {0}")]
    Credentials(String),
    /// The plan changes resources of accounts other than the caller's.
    #[error(
        "the plan changes {count} resource(s) in account(s) {} (e.g. {example}), but the credentials are {caller_arn} in account {caller_account}; Palisade changes only the caller's own account: run once per account with its credentials (e.g. --profile)",
        accounts.join(", ")
    )]
    OtherAccount {
        /// The caller's account id.
        caller_account: String,
        /// The caller's ARN.
        caller_arn: String,
        /// The other accounts, sorted.
        accounts: Vec<String>,
        /// How many planned changes and actions are in them.
        count: usize,
        /// One of their ARNs.
        example: String,
    },
    /// The current tags could not be read before applying; nothing was
    /// changed.
    #[error("cannot read the current tags in {region} before applying, so nothing was changed: {message}")]
    Read {
        /// The region.
        region: String,
        /// The failure, described (AWS's error code and message).
        message: String,
    },
}

/// Who the credentials are (STS `GetCallerIdentity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The account id.
    pub account: String,
    /// The caller's ARN (`arn:aws:iam::123456789012:user/NAME`, an assumed
    /// role's session ARN, ...).
    pub arn: String,
}

/// The default of [`ApplyOptions::max_changes`] (`--max-changes`).
pub const DEFAULT_MAX_CHANGES: usize = 50;

/// What may run (from the CLI's `--allow-action` and `--max-changes`).
/// The default allows no action (tag changes only) and 50 changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Action kinds allowed to run; others end [`report::ActionStatus::NotAllowed`]
    /// (nothing read or sent for them).
    pub allowed: BTreeSet<ActionKind>,
    /// The most resources actions may change in this run (tag changes do
    /// not count). Past it, the remaining actions end
    /// [`report::ActionStatus::NotAppliedMaxChanges`] with the error `not applied:
    /// max-changes (N)`.
    pub max_changes: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { allowed: BTreeSet::new(), max_changes: DEFAULT_MAX_CHANGES }
    }
}

/// What [`Remediator::apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// Each planned change with its outcome, in plan order. With
    /// [`ApplyOutcome::conflicts`] or [`ApplyOutcome::stale`], the
    /// conflicting changes are [`ChangeStatus::Failed`] (the error says what
    /// changed) and the others stay [`ChangeStatus::Planned`].
    pub outcomes: Vec<ChangeOutcome>,
    /// Resources whose tags changed since the plan, or that are gone. When
    /// there are any, no call was sent.
    pub conflicts: Vec<Conflict>,
    /// Tagging calls sent (`TagResources` and `UntagResources`).
    pub calls: usize,
    /// Set when the run was asked to stop before its last call.
    pub interrupted: Option<Interruption>,
    /// Each planned action with its outcome, in plan order. With
    /// [`ApplyOutcome::conflicts`] or [`ApplyOutcome::stale`], the stale
    /// actions are [`report::ActionStatus::Failed`] ("changed since the plan:
    /// ..."), those not allowed [`report::ActionStatus::NotAllowed`], those whose
    /// re-read failed [`report::ActionStatus::Failed`], and the others
    /// [`report::ActionStatus::Planned`].
    pub actions: Vec<ActionOutcome>,
    /// Actions whose resource changed since the plan other than toward the
    /// plan's result. When there are any, no call was sent.
    pub stale: Vec<StaleAction>,
    /// Action calls sent (`PutPublicAccessBlock`, `ModifyDBInstance`, ...),
    /// failed ones included.
    pub action_calls: usize,
    /// Read calls made to re-read the actions' resources.
    pub reads: usize,
}

/// A run stopped before all of its calls were sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    /// Why, as the `stop` callback of [`Remediator::apply`] gave it
    /// (`SIGTERM`).
    pub reason: String,
    /// Changes and actions left wholly or partly unsent:
    /// [`ChangeStatus::Failed`] / [`report::ActionStatus::Failed`], with the error
    /// `interrupted before this change was sent (REASON); a re-run
    /// completes it` (or `interrupted (REASON) after part of this change
    /// was sent; ...`; "action" for actions).
    pub unsent: usize,
}

/// One tagging call as it completed, for progress reports.
#[derive(Debug, Clone, Copy)]
pub struct CallDone<'a> {
    /// The call.
    pub batch: &'a Batch,
    /// Its ARNs that failed (per ARN or the whole call).
    pub failed: usize,
    /// Calls done so far, this one included.
    pub done: usize,
    /// Calls this run sends in all (fewer when a resource's tagging failed
    /// and its untagging is skipped).
    pub total: usize,
}

/// One action call as it completed, for progress reports.
#[derive(Debug, Clone, Copy)]
pub struct ActionCallDone<'a> {
    /// The resource's ARN.
    pub arn: &'a str,
    /// The action's kind.
    pub kind: ActionKind,
    /// The call (`s3:PutPublicAccessBlock`).
    pub operation: &'a str,
    /// `None`: AWS accepted it; else the action's error (AWS's text).
    pub error: Option<&'a str>,
    /// Action calls done so far, this one included.
    pub done: usize,
    /// Action calls this run means to send (fewer are sent when an
    /// action's call fails: its later calls are skipped).
    pub total: usize,
}

/// A write call of an apply as it completed.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A tagging call.
    Tags(CallDone<'a>),
    /// An action's call.
    Action(ActionCallDone<'a>),
}

/// A connection to AWS for remediation: the SDK configuration, the
/// caller's identity and a runtime of its own (its methods block).
pub struct Remediator {
    runtime: tokio::runtime::Runtime,
    config: SdkConfig,
    caller: CallerIdentity,
    calls_per_second: Option<f64>,
}

impl Remediator {
    /// Load the AWS configuration as the scan does and learn the caller's
    /// identity.
    ///
    /// Errors: [`RemediateError::BadOption`] (a region, endpoint, attempt
    /// count or rate out of range), [`RemediateError::Runtime`],
    /// [`RemediateError::Credentials`].
    pub fn connect(options: &RemediateOptions) -> Result<Remediator, RemediateError> {
        validate(options)?;
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(RemediateError::Runtime)?;
        let scan = AwsScanOptions {
            regions: options.region.iter().cloned().collect(),
            profile: options.profile.clone(),
            endpoint_url: options.endpoint_url.clone(),
            max_attempts: options.max_attempts,
            initial_backoff: options.initial_backoff,
            max_backoff: options.max_backoff,
            attempt_timeout: options.attempt_timeout,
            ..AwsScanOptions::default()
        };
        let (config, identity) = runtime.block_on(async {
            let config = aws::load_base_config(&scan).await;
            let config = match config.region() {
                Some(_) => config,
                None => config.into_builder().region(Region::new("us-east-1")).build(),
            };
            let who = match &options.profile {
                Some(profile) => format!("profile {profile}"),
                None => "the default credentials".to_string(),
            };
            let identity = aws::caller_identity(&config, &who).await;
            (config, identity)
        });
        let (account, arn) = identity.map_err(RemediateError::Credentials)?;
        Ok(Remediator {
            runtime,
            config,
            caller: CallerIdentity { account, arn },
            calls_per_second: options.calls_per_second,
        })
    }

    /// The credentials' identity.
    pub fn caller(&self) -> &CallerIdentity {
        &self.caller
    }

    /// Refuse a plan with changes or actions outside the caller's account
    /// ([`RemediateError::OtherAccount`]). Those with no account (an ARN
    /// without one, as S3's, scanned by a caller that could not be
    /// identified) are refused too.
    pub fn check_accounts(&self, plan: &RemediationPlan) -> Result<(), RemediateError> {
        let all = plan
            .changes
            .iter()
            .map(|c| (c.account.as_str(), c.arn.as_str()))
            .chain(plan.actions.iter().map(|a| (a.account.as_str(), a.arn.as_str())));
        let others: Vec<(&str, &str)> = all.filter(|(account, _)| *account != self.caller.account).collect();
        let Some(first) = others.first() else { return Ok(()) };
        let accounts: BTreeSet<String> = others
            .iter()
            .map(|(account, _)| if account.is_empty() { "(unknown)".to_string() } else { account.to_string() })
            .collect();
        Err(RemediateError::OtherAccount {
            caller_account: self.caller.account.clone(),
            caller_arn: self.caller.arn.clone(),
            accounts: accounts.into_iter().collect(),
            count: others.len(),
            example: first.1.to_string(),
        })
    }

    /// The current tags of the planned resources, by ARN (absent: not
    /// returned by the API), read per region ([`MAX_ARNS_PER_READ`] a call).
    ///
    /// Errors: [`RemediateError::Read`] for the first region whose read fails.
    pub fn current_tags(
        &self,
        changes: &[PlannedChange],
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, RemediateError> {
        let mut by_region: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for c in changes {
            by_region.entry(c.region.as_str()).or_default().push(c.arn.clone());
        }
        self.runtime.block_on(async {
            let mut found = BTreeMap::new();
            for (region, arns) in by_region {
                if region.is_empty() {
                    return Err(RemediateError::Read {
                        region: "(no region)".into(),
                        message: format!("{} planned resource(s) have no region, e.g. {}", arns.len(), arns[0]),
                    });
                }
                let client = self.client(region);
                let tags = calls::read_tags(&client, &arns)
                    .await
                    .map_err(|message| RemediateError::Read { region: region.to_string(), message })?;
                found.extend(tags);
            }
            Ok(found)
        })
    }

    /// Apply `plan`: check the accounts, re-read, reconcile, send what is
    /// pending (see the module docs), within `options` (the action kinds
    /// allowed, `--max-changes`). `progress` is called after each write
    /// call (tags, then actions). `stop` is asked before each write call
    /// (and every 50 ms while waiting for `calls_per_second`); once it
    /// gives a reason (e.g. `SIGTERM`, from a signal handler's flag), no
    /// further call is sent: see [`ApplyOutcome::interrupted`].
    ///
    /// Errors: [`RemediateError::OtherAccount`] and [`RemediateError::Read`]
    /// (the tags), both before anything is sent. Conflicts and stale
    /// actions are not errors: see [`ApplyOutcome::conflicts`] and
    /// [`ApplyOutcome::stale`]; nor are failures of single resources
    /// (their outcomes say why).
    pub fn apply(
        &self,
        plan: &RemediationPlan,
        options: &ApplyOptions,
        progress: &mut dyn FnMut(Progress<'_>),
        stop: &dyn Fn() -> Option<String>,
    ) -> Result<ApplyOutcome, RemediateError> {
        self.check_accounts(plan)?;
        let mut run = ActionRun::new(plan, options);
        let current = self.current_tags(&plan.changes)?;
        let states: Vec<Reconciled> = plan.changes.iter().map(|c| reconcile(c, current.get(&c.arn))).collect();
        let conflicts: Vec<Conflict> = states
            .iter()
            .filter_map(|s| match s {
                Reconciled::Conflict(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        self.runtime.block_on(self.reread_actions(&mut run));
        if !conflicts.is_empty() || !run.stale.is_empty() {
            run.hold();
            Remediator::finish_actions(&mut run);
            return Ok(ApplyOutcome {
                outcomes: held_changes(plan, &states),
                conflicts,
                calls: 0,
                interrupted: None,
                stale: run.stale,
                actions: run.outcomes,
                action_calls: 0,
                reads: run.reads,
            });
        }
        run.limit(options.max_changes);
        let (mut errors, pending) = pending_tags(plan, &states, &current);
        let calls = batches(pending.iter().map(|(region, arn, rest)| (*region, *arn, *rest)));
        let (tag_calls, action_calls, interrupted) = self.runtime.block_on(async {
            let mut turns = Turns::new(self.calls_per_second, stop);
            let sent = self.send_all(&calls, &mut errors, &mut turns, &mut *progress).await;
            if let Some(mut interruption) = sent.interrupted {
                interruption.unsent += run.interrupt_all(&interruption.reason);
                return (sent.calls, 0, Some(interruption));
            }
            let (action_calls, interrupted) = self.send_actions(&mut run, &mut turns, &mut *progress).await;
            (sent.calls, action_calls, interrupted)
        });
        Remediator::finish_actions(&mut run);
        Ok(ApplyOutcome {
            outcomes: change_outcomes(plan, &states, &errors),
            conflicts,
            calls: tag_calls,
            interrupted,
            stale: run.stale,
            actions: run.outcomes,
            action_calls,
            reads: run.reads,
        })
    }

    /// A Tagging API client for `region`.
    fn client(&self, region: &str) -> tagging::Client {
        let config = tagging::config::Builder::from(&self.config).region(Region::new(region.to_string())).build();
        tagging::Client::from_conf(config)
    }
}

/// The changes when nothing is sent (a conflict or a stale action): the
/// conflicting ones failed, the others planned.
fn held_changes(plan: &RemediationPlan, states: &[Reconciled]) -> Vec<ChangeOutcome> {
    plan.changes
        .iter()
        .zip(states)
        .map(|(change, state)| match state {
            Reconciled::Conflict(c) => failed(change, format!("changed since the plan: {c}")),
            _ => outcome(change, ChangeStatus::Planned),
        })
        .collect()
}

/// What is left to send of one change: `(region, ARN, change)`.
type PendingTags<'a> = (&'a str, &'a str, &'a TagChange);

/// What is left to send of each change, as `(region, ARN, change)`, and
/// the errors (by ARN) of those AWS would refuse (`aws:` keys, limits),
/// which are never sent.
fn pending_tags<'a>(
    plan: &'a RemediationPlan,
    states: &'a [Reconciled],
    current: &BTreeMap<String, BTreeMap<String, String>>,
) -> (BTreeMap<String, String>, Vec<PendingTags<'a>>) {
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    let mut pending: Vec<(&str, &str, &TagChange)> = Vec::new();
    for (change, state) in plan.changes.iter().zip(states) {
        if let Reconciled::Pending(rest) = state {
            let now = current.get(&change.arn).cloned().unwrap_or_default();
            match rest.aws_violation(&now) {
                Some(why) => {
                    errors.insert(change.arn.clone(), format!("not sent: AWS would refuse it: {why}"));
                }
                None => pending.push((change.region.as_str(), change.arn.as_str(), rest)),
            }
        }
    }
    (errors, pending)
}

/// Each change's outcome after the calls: failed (with its error), already
/// applied, or applied.
fn change_outcomes(
    plan: &RemediationPlan,
    states: &[Reconciled],
    errors: &BTreeMap<String, String>,
) -> Vec<ChangeOutcome> {
    plan.changes
        .iter()
        .zip(states)
        .map(|(change, state)| match (state, errors.get(&change.arn)) {
            (_, Some(error)) => failed(change, error.clone()),
            (Reconciled::AlreadyApplied, None) => outcome(change, ChangeStatus::AlreadyApplied),
            (_, None) => outcome(change, ChangeStatus::Applied),
        })
        .collect()
}

fn outcome(change: &PlannedChange, status: ChangeStatus) -> ChangeOutcome {
    ChangeOutcome { change: change.clone(), status, error: None, verification: None }
}

fn failed(change: &PlannedChange, error: String) -> ChangeOutcome {
    ChangeOutcome { change: change.clone(), status: ChangeStatus::Failed, error: Some(error), verification: None }
}

fn validate(options: &RemediateOptions) -> Result<(), RemediateError> {
    if let Some(region) = &options.region
        && !regions::is_region_name(region)
    {
        return Err(RemediateError::BadOption(format!("{region:?} is not a region name (expected e.g. eu-west-1)")));
    }
    if let Some(url) = &options.endpoint_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(RemediateError::BadOption(format!("--endpoint-url {url:?} is not an http:// or https:// URL")));
    }
    if !(1..=20).contains(&options.max_attempts) {
        return Err(RemediateError::BadOption(format!("max attempts must be 1 to 20, not {}", options.max_attempts)));
    }
    if let Some(n) = options.calls_per_second
        && !(n.is_finite() && n > 0.0 && 1.0 / n < 86_400.0)
    {
        return Err(RemediateError::BadOption(format!(
            "calls per second must be a positive number (at least one call a day), not {n}"
        )));
    }
    Ok(())
}
