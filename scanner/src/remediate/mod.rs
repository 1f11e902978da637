//! Applying a [`RemediationPlan`] to live AWS resources: the tag changes
//! `palisade remediate --apply` makes, through the Resource Groups Tagging
//! API (`GetResources`, `TagResources`, `UntagResources`).
//!
//! API reference:
//! <https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_TagResources.html>.
//!
//! [`Remediator::apply`] executes exactly the plan, never more:
//!
//! 1. **Whose account.** The credentials' identity (STS
//!    `GetCallerIdentity`) is learned once ([`Remediator::connect`]); a plan
//!    with changes in another account is refused before any call
//!    ([`RemediateError::OtherAccount`]).
//! 2. **Re-read.** Right before changing anything, the current tags of
//!    every planned ARN are read again (`GetResources` with
//!    `ResourceARNList`, [`MAX_ARNS_PER_READ`] ARNs a call, per region). A
//!    read that fails changes nothing ([`RemediateError::Read`]).
//! 3. **Reconcile** ([`reconcile()`]). Each key is either still at its
//!    `before` value (pending) or at its `after` value (done). A change
//!    entirely in place is [`ChangeStatus::AlreadyApplied`] and nothing is
//!    sent for it: a re-run after success sends nothing, and a run killed
//!    half-way is completed by the next without sending anything twice.
//!    A resource whose tags are anything else, or that is gone, is a
//!    [`Conflict`]: then **nothing** is sent for any resource
//!    ([`ApplyOutcome::conflicts`]), so a reviewed plan is never applied
//!    over changes made since.
//! 4. **Calls** ([`batches`]): `TagResources` first, then
//!    `UntagResources`, grouped by region and identical tag map (or key
//!    list), at most [`MAX_ARNS_PER_CALL`] ARNs a call, one call at a time,
//!    at most [`RemediateOptions::calls_per_second`]. `aws:` keys are never
//!    sent (such a change fails without a call). Throttling and transient
//!    errors are retried by the SDK's standard strategy
//!    ([`RemediateOptions::max_attempts`]); per-ARN failures come from
//!    `FailedResourcesMap`, and a call that fails as a whole fails each of
//!    its ARNs. A resource whose `TagResources` failed gets no
//!    `UntagResources`.
//! 5. **Stopping.** The caller may ask the run to stop (a signal): the call
//!    in flight completes, no other is sent, and each change not (wholly)
//!    sent is [`ChangeStatus::Failed`] with an error saying so
//!    ([`ApplyOutcome::interrupted`]); a re-run completes them (step 3).
//!
//! The clients are built as the scan's ([`crate::aws`]): the same
//! credential chain, profile, endpoint override, retry and timeout
//! configuration.

mod batch;
mod calls;
mod reconcile;
mod send;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_config::{Region, SdkConfig};
use aws_sdk_resourcegroupstagging as tagging;
use palisade_model::remediation::TagChange;
use palisade_model::remediation::plan::{PlannedChange, RemediationPlan};
use palisade_model::remediation::report::{ChangeOutcome, ChangeStatus};

pub use batch::{Batch, MAX_ARNS_PER_CALL, TagAction, batches};
pub use calls::MAX_ARNS_PER_READ;
pub use reconcile::{Conflict, ConflictKind, KeyConflict, Reconciled, reconcile};

use crate::aws::{self, AwsScanOptions, regions};

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
        /// How many planned changes are in them.
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

/// What [`Remediator::apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// Each planned change with its outcome, in plan order. With
    /// [`ApplyOutcome::conflicts`], the conflicting changes are
    /// [`ChangeStatus::Failed`] (the error says what changed) and the others
    /// stay [`ChangeStatus::Planned`].
    pub outcomes: Vec<ChangeOutcome>,
    /// Resources whose tags changed since the plan, or that are gone. When
    /// there are any, no call was sent.
    pub conflicts: Vec<Conflict>,
    /// Tagging calls sent (`TagResources` and `UntagResources`).
    pub calls: usize,
    /// Set when the run was asked to stop before its last call.
    pub interrupted: Option<Interruption>,
}

/// A run stopped before all of its calls were sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    /// Why, as the `stop` callback of [`Remediator::apply`] gave it
    /// (`SIGTERM`).
    pub reason: String,
    /// Changes left wholly or partly unsent: [`ChangeStatus::Failed`], with
    /// the error `interrupted before this change was sent (REASON); a re-run
    /// completes it` (or `interrupted (REASON) after part of this change was
    /// sent; ...`).
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

    /// Refuse a plan with changes outside the caller's account
    /// ([`RemediateError::OtherAccount`]). Changes with no account (an ARN
    /// without one, as S3's, scanned by a caller that could not be
    /// identified) are refused too.
    pub fn check_accounts(&self, plan: &RemediationPlan) -> Result<(), RemediateError> {
        let others: Vec<&PlannedChange> = plan.changes.iter().filter(|c| c.account != self.caller.account).collect();
        let Some(first) = others.first() else { return Ok(()) };
        let accounts: BTreeSet<String> = others
            .iter()
            .map(|c| if c.account.is_empty() { "(unknown)".to_string() } else { c.account.clone() })
            .collect();
        Err(RemediateError::OtherAccount {
            caller_account: self.caller.account.clone(),
            caller_arn: self.caller.arn.clone(),
            accounts: accounts.into_iter().collect(),
            count: others.len(),
            example: first.arn.clone(),
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
    /// pending (see the module docs). `progress` is called after each
    /// tagging call. `stop` is asked before each call (and every 50 ms while
    /// waiting for `calls_per_second`); once it gives a reason (e.g.
    /// `SIGTERM`, from a signal handler's flag), no further call is sent:
    /// see [`ApplyOutcome::interrupted`].
    ///
    /// Errors: [`RemediateError::OtherAccount`] and [`RemediateError::Read`],
    /// both before anything is sent. Conflicts are not errors: see
    /// [`ApplyOutcome::conflicts`].
    pub fn apply(
        &self,
        plan: &RemediationPlan,
        progress: &mut dyn FnMut(CallDone<'_>),
        stop: &dyn Fn() -> Option<String>,
    ) -> Result<ApplyOutcome, RemediateError> {
        self.check_accounts(plan)?;
        let current = self.current_tags(&plan.changes)?;
        let states: Vec<Reconciled> = plan.changes.iter().map(|c| reconcile(c, current.get(&c.arn))).collect();
        let conflicts: Vec<Conflict> = states
            .iter()
            .filter_map(|s| match s {
                Reconciled::Conflict(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        if !conflicts.is_empty() {
            let outcomes = plan
                .changes
                .iter()
                .zip(&states)
                .map(|(change, state)| match state {
                    Reconciled::Conflict(c) => failed(change, format!("changed since the plan: {c}")),
                    _ => ChangeOutcome { change: change.clone(), status: ChangeStatus::Planned, error: None },
                })
                .collect();
            return Ok(ApplyOutcome { outcomes, conflicts, calls: 0, interrupted: None });
        }

        // What AWS would refuse is never sent (`aws:` keys, limits).
        let mut errors: BTreeMap<String, String> = BTreeMap::new();
        let mut pending: Vec<(&str, &str, &TagChange)> = Vec::new();
        for (change, state) in plan.changes.iter().zip(&states) {
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
        let calls = batches(pending.iter().map(|(region, arn, rest)| (*region, *arn, *rest)));
        let sent = self.runtime.block_on(self.send_all(&calls, &mut errors, progress, stop));

        let outcomes = plan
            .changes
            .iter()
            .zip(&states)
            .map(|(change, state)| match (state, errors.get(&change.arn)) {
                (_, Some(error)) => failed(change, error.clone()),
                (Reconciled::AlreadyApplied, None) => {
                    ChangeOutcome { change: change.clone(), status: ChangeStatus::AlreadyApplied, error: None }
                }
                (_, None) => ChangeOutcome { change: change.clone(), status: ChangeStatus::Applied, error: None },
            })
            .collect();
        Ok(ApplyOutcome { outcomes, conflicts, calls: sent.calls, interrupted: sent.interrupted })
    }

    /// A Tagging API client for `region`.
    fn client(&self, region: &str) -> tagging::Client {
        let config = tagging::config::Builder::from(&self.config).region(Region::new(region.to_string())).build();
        tagging::Client::from_conf(config)
    }
}

fn failed(change: &PlannedChange, error: String) -> ChangeOutcome {
    ChangeOutcome { change: change.clone(), status: ChangeStatus::Failed, error: Some(error) }
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
