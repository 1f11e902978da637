//! Remediation plans: the exact tag changes and actions `palisade
//! remediate` makes on live resources, per ARN, made from the violations of
//! a run on an inventory and written with `--plan-out` for review.
//!
//! Format `palisade-remediation-plan`, version [`PLAN_VERSION`] (version 1,
//! tag changes only, is still read). A plan records the inventory it was
//! made from (times and SHA-256) and, per resource, the tags before, the
//! change and the tags after; per action, the AWS calls with their
//! parameters and the configuration before and expected after
//! ([`PlannedAction`]). Applying it later re-reads every resource and
//! refuses a plan whose resources changed since (see the scanner's
//! `remediate` module). Resources a Terraform or Pulumi state manages are
//! set aside ([`RemediationPlan::set_aside_managed`]): fixed in code, not
//! in place.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use serde_json::Value;

use super::TagChange;
use super::action::{Action, ActionKind, AwsCall};
use crate::finding::Violation;
use crate::inventory::{Inventory, InventoryResource};
use crate::policy::{EnforcementLevel, Severity};

/// The value of a plan's `format` field.
pub const PLAN_FORMAT: &str = "palisade-remediation-plan";

/// The plan version this build writes.
pub const PLAN_VERSION: u32 = 2;

/// The plan versions this build reads: 1 (tag changes only) and 2.
pub const READ_VERSIONS: [u32; 2] = [1, 2];

/// The inventory a plan or a remediation run was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryRef {
    /// The snapshot file, or `live:aws` for a scan of this run.
    pub source: String,
    /// When the scan started, RFC 3339 UTC.
    pub started_at: String,
    /// When the scan ended, RFC 3339 UTC.
    pub finished_at: String,
    /// SHA-256 (hex) of the snapshot's JSON as written by Palisade.
    pub sha256: String,
}

/// A policy pack that took part, for the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackRef {
    /// The pack's describe name.
    pub name: String,
    /// The pack's describe version.
    pub version: String,
    /// Where it was loaded from (`builtin:aws-baseline`, a file path).
    pub source: String,
}

/// The tag change of one live resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedChange {
    /// The resource's ARN.
    pub arn: String,
    /// Its region (where the tagging call goes).
    pub region: String,
    /// Its account id.
    pub account: String,
    /// Its type: Terraform type where known, else the Tagging API type.
    pub resource_type: String,
    /// Its tags as the inventory saw them.
    pub before: BTreeMap<String, String>,
    /// The change: only keys whose value changes and keys present to remove.
    pub change: TagChange,
    /// Its tags once the change is applied.
    pub after: BTreeMap<String, String>,
    /// The policies that asked for it, as `pack/policy`, sorted.
    pub policies: Vec<String>,
    /// The state that manages the resource, `FILE (ADDRESS)`, when it is
    /// changed in place all the same (`--include-managed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
}

/// One action on one live resource: what is sent, and the configuration it
/// changes (see [`super::action`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedAction {
    /// The resource's ARN.
    pub arn: String,
    /// Its region (where the calls go).
    pub region: String,
    /// Its account id.
    pub account: String,
    /// Its Terraform type.
    pub resource_type: String,
    /// The id the calls name it by: the bucket name, group id, key id, DB
    /// instance identifier or repository name.
    pub id: String,
    /// The action, with its parameters.
    pub action: Action,
    /// The calls, with their parameters, as they are sent
    /// ([`Action::calls`] of `before`).
    pub calls: Vec<AwsCall>,
    /// The configuration the action changes, as the inventory saw it
    /// ([`Action::slice`]).
    pub before: Value,
    /// The same once the action is done ([`Action::expected`]).
    pub after: Value,
    /// The policies that asked for it, as `pack/policy`, sorted.
    pub policies: Vec<String>,
    /// The state that manages the resource, `FILE (ADDRESS)`, when it is
    /// changed in place all the same (`--include-managed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
}

/// The pack settings of the run that made a plan, so that a later
/// `--plan-in --apply` judges the resources again as that run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSettings {
    /// The `--config` document, verbatim (JSON or YAML), if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// The `--enforcement` overrides, `POLICY=LEVEL`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enforcement: Vec<String>,
}

/// A fix Palisade does not make in place because a state manages the
/// resource: the code should change instead (`--include-managed` overrides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Managed {
    /// The resource (ARN).
    pub resource: String,
    /// The state file that manages it.
    pub state: String,
    /// Its address (or URN) in that state.
    pub address: String,
    /// What would have been done: `tags` or an action kind.
    pub fix: String,
    /// The fix as a JSON Patch against the attributes the state declares.
    pub patch: Vec<Value>,
    /// The patch for people, one line per operation.
    pub diff: Vec<String>,
    /// The policies that asked for it, as `pack/policy`, sorted.
    pub policies: Vec<String>,
    /// Where the fix goes in code when it is not the resource's own
    /// attribute ([`ActionKind::code_note`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Whether the resource is changed in place all the same
    /// (`--include-managed`): the code still needs the patch, or the next
    /// apply of the state reverts the fix.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub changed_in_place: bool,
}

/// The state resource that manages a live resource, for
/// [`RemediationPlan::set_aside_managed`].
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedBy {
    /// The state file.
    pub state: String,
    /// The resource's address (or URN) there.
    pub address: String,
    /// The attributes it declares, Terraform-shaped.
    pub declared: Value,
}

/// A violation at level `remediate` that Palisade will not fix by itself,
/// and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeedsHuman {
    /// The resource (ARN).
    pub resource: String,
    /// The pack.
    pub pack: String,
    /// The policy.
    pub policy: String,
    /// The policy's severity.
    pub severity: Severity,
    /// The violation's message.
    pub message: String,
    /// Why it is left to a person: no fix proposed, a fix that is not a tag
    /// change, two policies asking for different values, AWS's limits.
    pub reason: String,
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemediationPlan {
    /// Always [`PLAN_FORMAT`].
    pub format: String,
    /// [`PLAN_VERSION`].
    pub version: u32,
    /// When the plan was made, RFC 3339 UTC.
    pub created_at: String,
    /// The inventory it was made from.
    pub inventory: InventoryRef,
    /// The packs whose policies asked for the changes.
    pub packs: Vec<PackRef>,
    /// The tag changes, one per ARN, sorted by ARN.
    pub changes: Vec<PlannedChange>,
    /// The actions, one per ARN and kind, sorted by ARN and kind (absent
    /// in version 1).
    #[serde(default)]
    pub actions: Vec<PlannedAction>,
    /// Fixes left to code because a state manages the resource, sorted by
    /// resource (absent in version 1).
    #[serde(default)]
    pub managed: Vec<Managed>,
    /// The pack settings of the run that made the plan (absent in version
    /// 1, and when none were given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<PlanSettings>,
    /// Violations at level `remediate` left to people, sorted by resource and policy.
    pub needs_human: Vec<NeedsHuman>,
}

/// A plan file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Not JSON, or not a plan's shape; the message names the JSON path.
    #[error("{path}: not a remediation plan: {message}")]
    Shape {
        /// The file.
        path: String,
        /// What is wrong, with its JSON path.
        message: String,
    },
    /// A plan of another format or version.
    #[error("{path}: {message}")]
    Version {
        /// The file.
        path: String,
        /// What was found and what is accepted.
        message: String,
    },
}

impl RemediationPlan {
    /// Make the plan for the violations of a run on `inventory` (read from
    /// `inventory_ref.source`).
    ///
    /// Only decided violations at level `remediate` on resources of the
    /// inventory count. A fix that is a tag change joins the resource's
    /// change; two policies giving one key different values, or one setting
    /// a key another removes, send both to [`RemediationPlan::needs_human`],
    /// as do violations without a fix or with a fix that is not a tag
    /// change, and changes AWS would refuse. Changes that the resource
    /// already has are dropped, so a resource already fixed is not listed.
    pub fn new(
        inventory: &Inventory,
        inventory_ref: InventoryRef,
        packs: Vec<PackRef>,
        violations: &[Violation],
        created_at: String,
    ) -> RemediationPlan {
        let by_arn: BTreeMap<&str, &InventoryResource> =
            inventory.resources.iter().map(|r| (r.arn.as_str(), r)).collect();
        let mut needs_human = Vec::new();
        let (asks, action_asks) = fix_asks(&by_arn, violations, &mut needs_human);
        let mut changes = Vec::new();
        for (arn, asked) in asks {
            let Some(resource) = by_arn.get(arn) else { continue };
            match planned_change(arn, resource, &asked) {
                Ok(Some(change)) => changes.push(change),
                Ok(None) => {}
                Err(reason) => needs_human.extend(asked.iter().map(|(v, _)| human(v, reason.clone()))),
            }
        }
        let mut actions = Vec::new();
        for ((arn, _), asked) in action_asks {
            let Some(resource) = by_arn.get(arn) else { continue };
            match planned_action(arn, resource, &asked) {
                Ok(Some(action)) => actions.push(action),
                Ok(None) => {}
                Err(reason) => needs_human.extend(asked.iter().map(|(v, _)| human(v, reason.clone()))),
            }
        }
        needs_human.sort_by(|a, b| (&a.resource, &a.pack, &a.policy).cmp(&(&b.resource, &b.pack, &b.policy)));
        needs_human.dedup();
        RemediationPlan {
            format: PLAN_FORMAT.to_string(),
            version: PLAN_VERSION,
            created_at,
            inventory: inventory_ref,
            packs,
            changes,
            actions,
            managed: Vec::new(),
            settings: None,
            needs_human,
        }
    }

    /// Mark the tag changes and actions of resources a state manages
    /// (`managed`, by ARN) with their state, when they are changed in place
    /// all the same (`--include-managed`), and list each in
    /// [`RemediationPlan::managed`] too ([`Managed::changed_in_place`]), with
    /// the patch the code needs so that the next apply keeps the fix.
    /// `redact` is the states' secret scrubbing.
    pub fn note_managed(&mut self, managed: &BTreeMap<String, ManagedBy>, redact: &dyn Fn(&str) -> String) {
        let shown = |by: &ManagedBy| format!("{} ({})", by.state, by.address);
        let mut out = Vec::new();
        for c in &mut self.changes {
            c.managed_by = managed.get(&c.arn).map(shown);
            if let Some(by) = managed.get(&c.arn) {
                let patch = super::tag_patch(&c.change, &by.declared).unwrap_or_default();
                out.push(managed_entry(&c.arn, by, ("tags".into(), patch), &c.policies, redact));
            }
        }
        for a in &mut self.actions {
            a.managed_by = managed.get(&a.arn).map(shown);
            if let Some(by) = managed.get(&a.arn) {
                let patch = a.action.patch(&by.declared);
                let mut entry = managed_entry(&a.arn, by, (a.action.kind().name().into(), patch), &a.policies, redact);
                entry.note = a.action.kind().code_note().map(str::to_string);
                out.push(entry);
            }
        }
        for entry in &mut out {
            entry.changed_in_place = true;
            let also = "changed in place (--include-managed): change the code too, or its next apply reverts the fix";
            entry.note = Some(entry.note.take().map_or_else(|| also.to_string(), |n| format!("{also}; {n}")));
        }
        out.sort_by(|a, b| (&a.resource, &a.fix).cmp(&(&b.resource, &b.fix)));
        self.managed.extend(out);
    }

    /// Move the tag changes and actions of resources a state manages
    /// (`managed`, by ARN) to [`RemediationPlan::managed`], each with its
    /// fix as a patch of the declared attributes. `redact` is the states'
    /// secret scrubbing, applied to the shown diff.
    pub fn set_aside_managed(&mut self, managed: &BTreeMap<String, ManagedBy>, redact: &dyn Fn(&str) -> String) {
        let mut out = Vec::new();
        self.changes.retain(|c| {
            let Some(by) = managed.get(&c.arn) else { return true };
            let patch = super::tag_patch(&c.change, &by.declared).unwrap_or_default();
            out.push(managed_entry(&c.arn, by, ("tags".into(), patch), &c.policies, redact));
            false
        });
        self.actions.retain(|a| {
            let Some(by) = managed.get(&a.arn) else { return true };
            let patch = a.action.patch(&by.declared);
            let mut entry = managed_entry(&a.arn, by, (a.action.kind().name().into(), patch), &a.policies, redact);
            entry.note = a.action.kind().code_note().map(str::to_string);
            out.push(entry);
            false
        });
        out.sort_by(|a, b| (&a.resource, &a.fix).cmp(&(&b.resource, &b.fix)));
        self.managed.extend(out);
    }

    /// Replace the reason "the policy proposed no fix" of violations whose
    /// policy did propose one that was invalid (an `abi` policy error naming
    /// that resource, see [`super::resolve`]) by that error's message.
    pub fn explain_invalid_fixes(&mut self, errors: &[crate::finding::PolicyError]) {
        for h in &mut self.needs_human {
            let invalid = errors.iter().find(|e| {
                e.kind == crate::fault::FaultKind::Abi
                    && e.pack == h.pack
                    && e.policy == h.policy
                    && e.resources.contains(&h.resource)
            });
            if let Some(e) = invalid {
                h.reason = format!("the proposed fix is invalid: {}", e.message);
            }
        }
    }

    /// Read a plan written by `--plan-out`. Errors name the file and the
    /// JSON path of the first problem; plans of another format or version
    /// are refused naming both versions.
    pub fn from_json(path: &str, bytes: &[u8]) -> Result<RemediationPlan, PlanError> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| PlanError::Shape { path: path.to_string(), message: e.to_string() })?;
        let format = value.get("format");
        if format.and_then(serde_json::Value::as_str) != Some(PLAN_FORMAT) {
            let found = format.map_or_else(|| "missing".to_string(), |f| format!("{f}"));
            return Err(PlanError::Version {
                path: path.to_string(),
                message: format!("`format` is {found}, expected \"{PLAN_FORMAT}\""),
            });
        }
        let version = value.get("version");
        let known = version
            .and_then(serde_json::Value::as_u64)
            .is_some_and(|v| READ_VERSIONS.iter().any(|r| u64::from(*r) == v));
        if !known {
            let found = version.map_or_else(|| "missing".to_string(), |v| format!("{v}"));
            return Err(PlanError::Version {
                path: path.to_string(),
                message: format!(
                    "plan `version` {found} is not supported (this build reads the numbers 1 and {PLAN_VERSION})"
                ),
            });
        }
        let plan: RemediationPlan = serde_path_to_error::deserialize(value).map_err(|e| PlanError::Shape {
            path: path.to_string(),
            message: format!("at {}: {}", e.path(), e.inner()),
        })?;
        let shape = |i: usize, arn: &str, message: String| PlanError::Shape {
            path: path.to_string(),
            message: format!("at changes[{i}] ({arn}): {message}"),
        };
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in plan.changes.iter().enumerate() {
            if !seen.insert(c.arn.as_str()) {
                return Err(shape(i, &c.arn, "the ARN has another change earlier in the plan".to_string()));
            }
            check_arn(&c.arn, &c.region, &c.account).map_err(|m| shape(i, &c.arn, m))?;
            if let Some(key) = c.change.set.keys().find(|k| c.change.remove.contains(*k)) {
                return Err(shape(i, &c.arn, format!("tag `{key}` is both set and removed")));
            }
            if c.change.apply_to(&c.before) != c.after {
                return Err(PlanError::Shape {
                    path: path.to_string(),
                    message: format!("at changes[{i}] ({}): `after` is not `before` with the change applied", c.arn),
                });
            }
            if let Some(why) = c.change.aws_violation(&c.before) {
                return Err(PlanError::Shape {
                    path: path.to_string(),
                    message: format!("at changes[{i}] ({}): {why}", c.arn),
                });
            }
        }
        if plan.version == 1 && (!plan.actions.is_empty() || !plan.managed.is_empty() || plan.settings.is_some()) {
            return Err(PlanError::Shape {
                path: path.to_string(),
                message: "a version 1 plan has tag changes only; `actions`, `managed` and `settings` need version 2"
                    .to_string(),
            });
        }
        check_actions(path, &plan)?;
        Ok(plan)
    }
}

/// The actions of a plan read from `path`, checked: an ARN and kind once,
/// the ARN against its fields, the kind against the type, and the calls and
/// the configuration after exactly what the action makes of the one before
/// (so a plan edited by hand sends nothing it does not show).
fn check_actions(path: &str, plan: &RemediationPlan) -> Result<(), PlanError> {
    let mut seen = BTreeSet::new();
    for (i, a) in plan.actions.iter().enumerate() {
        let shape = |message: String| PlanError::Shape {
            path: path.to_string(),
            message: format!("at actions[{i}] ({}): {message}", a.arn),
        };
        let kind = a.action.kind();
        if !seen.insert((a.arn.as_str(), kind)) {
            return Err(shape(format!("the ARN has another `{kind}` action earlier in the plan")));
        }
        check_arn(&a.arn, &a.region, &a.account).map_err(shape)?;
        if kind.resource_types().first() != Some(&a.resource_type.as_str()) {
            return Err(shape(format!("action `{kind}` does not apply to {}", a.resource_type)));
        }
        if !kind.arn_matches(&a.arn, &a.id) {
            return Err(shape(format!("`id` {:?} is not the resource the ARN names", a.id)));
        }
        if a.after != a.action.expected(&a.before) {
            return Err(shape("`after` is not what the action makes of `before`".to_string()));
        }
        if a.calls != a.action.calls(&a.id, &a.before) {
            return Err(shape("`calls` are not the calls the action makes from `before`".to_string()));
        }
        if a.calls.is_empty() {
            return Err(shape("the action makes no call: `before` is already `after`".to_string()));
        }
    }
    Ok(())
}

/// The ARN of a planned change against its `account` and `region` fields:
/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, where an empty region
/// (S3) or account matches any; the region field must look like a region
/// name (`eu-west-1`).
fn check_arn(arn: &str, region: &str, account: &str) -> Result<(), String> {
    let c = ArnFields { arn, region, account };
    let parts: Vec<&str> = c.arn.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return Err("not an ARN (expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)".to_string());
    };
    if *arn != "arn" || partition.is_empty() || service.is_empty() || resource.is_empty() {
        return Err("not an ARN (expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)".to_string());
    }
    let region_like = |r: &str| {
        r.split('-').count() >= 3
            && r.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
            && r.ends_with(|ch: char| ch.is_ascii_digit())
    };
    if !region_like(c.region) {
        return Err(format!("`region` {:?} is not a region name (e.g. eu-west-1)", c.region));
    }
    if !region.is_empty() && *region != c.region {
        return Err(format!("`region` is {:?} but the ARN's region is {region:?}", c.region));
    }
    if !account.is_empty() && *account != c.account {
        return Err(format!("`account` is {:?} but the ARN's account is {account:?}", c.account));
    }
    if c.account.len() != 12 || !c.account.chars().all(|ch| ch.is_ascii_digit()) {
        return Err(format!("`account` {:?} is not a 12-digit account id", c.account));
    }
    Ok(())
}

/// A planned resource's ARN and its `region` and `account` fields.
struct ArnFields<'a> {
    arn: &'a str,
    region: &'a str,
    account: &'a str,
}

/// A violation that asks for a tag change, and the change.
type Ask<'v> = (&'v Violation, &'v TagChange);

/// A violation that asks for an action, and the action.
type ActionAsk<'v> = (&'v Violation, &'v Action);

/// The asks of the violations, by ARN (tag changes) and by ARN and kind
/// (actions).
type Asks<'v> = (BTreeMap<&'v str, Vec<Ask<'v>>>, BTreeMap<(&'v str, ActionKind), Vec<ActionAsk<'v>>>);

/// The tag changes asked for, by ARN, and the actions, by ARN and kind, in
/// violation order: only decided violations at level `remediate` on
/// resources of the inventory (`by_arn`) count. Those without a fix, or
/// with a patch that is neither, go to `needs_human`.
fn fix_asks<'v>(
    by_arn: &BTreeMap<&str, &InventoryResource>,
    violations: &'v [Violation],
    needs_human: &mut Vec<NeedsHuman>,
) -> Asks<'v> {
    let mut asks: BTreeMap<&str, Vec<Ask<'v>>> = BTreeMap::new();
    let mut actions: BTreeMap<(&str, ActionKind), Vec<ActionAsk<'v>>> = BTreeMap::new();
    for v in violations {
        if v.undecided || v.enforcement_level != EnforcementLevel::Remediate {
            continue;
        }
        if !by_arn.contains_key(v.resource.as_str()) {
            continue;
        }
        let Some(fix) = v.remediation.as_ref() else {
            needs_human.push(human(v, "the policy proposed no fix".to_string()));
            continue;
        };
        match (&fix.tags, &fix.action) {
            (Some(change), _) => asks.entry(v.resource.as_str()).or_default().push((v, change)),
            (None, Some(action)) => {
                actions.entry((v.resource.as_str(), action.kind())).or_default().push((v, action));
            }
            (None, None) => needs_human.push(human(
                v,
                "the fix is a patch, not a tag change or an action of Palisade's set (fix it in code)".to_string(),
            )),
        }
    }
    (asks, actions)
}

/// The action on one resource from what its policies `asked` (one kind,
/// their parameters merged): `Ok(None)` when the resource already has what
/// it makes, `Err` with the reason when it is left to a person.
fn planned_action(
    arn: &str,
    resource: &InventoryResource,
    asked: &[ActionAsk<'_>],
) -> Result<Option<PlannedAction>, String> {
    let Some(((_, first), rest)) = asked.split_first() else { return Ok(None) };
    let action = rest.iter().try_fold((*first).clone(), |a, (_, b)| a.merge(b)).ok_or("actions of two kinds")?;
    let kind = action.kind();
    let Some(props) = resource.properties.as_ref() else {
        return Err(format!("action `{kind}` needs the resource's configuration, which the inventory does not hold"));
    };
    let Some(id) = resource.id.clone().filter(|id| !id.is_empty()) else {
        return Err(format!("action `{kind}` needs the resource's id, which the inventory does not hold"));
    };
    let props = Value::Object(props.clone());
    let resource_type = resource.terraform_type.clone().unwrap_or_default();
    action.check(&resource_type, &props)?;
    if let Some(why) = action.refusal(&props) {
        return Err(format!("AWS would refuse action `{kind}`: {why}"));
    }
    let before = action.slice(&props);
    let calls = action.calls(&id, &before);
    if calls.is_empty() {
        return Ok(None);
    }
    let policies: BTreeSet<String> = asked.iter().map(|(v, _)| format!("{}/{}", v.pack, v.policy)).collect();
    Ok(Some(PlannedAction {
        arn: arn.to_string(),
        region: resource.region.clone(),
        account: resource.account.clone(),
        resource_type,
        id,
        after: action.expected(&before),
        before,
        calls,
        action,
        policies: policies.into_iter().collect(),
        managed_by: None,
    }))
}

/// The entry of a fix set aside for `by`'s state.
fn managed_entry(
    arn: &str,
    by: &ManagedBy,
    (fix, patch): (String, Vec<Value>),
    policies: &[String],
    redact: &dyn Fn(&str) -> String,
) -> Managed {
    let shown = super::Remediation { patch: patch.clone(), tags: None, action: None, diff: Vec::new() };
    let diff = super::diff_lines(&shown, &by.declared, redact);
    Managed {
        resource: arn.to_string(),
        state: by.state.clone(),
        address: by.address.clone(),
        fix,
        patch,
        diff,
        policies: policies.to_vec(),
        note: None,
        changed_in_place: false,
    }
}

/// The change of one resource from what its policies `asked`: `Ok(None)`
/// when the resource already has it, `Err` with the reason when it is left
/// to a person (policies that disagree, a change AWS would refuse).
fn planned_change(arn: &str, resource: &InventoryResource, asked: &[Ask<'_>]) -> Result<Option<PlannedChange>, String> {
    // Remediation tags through the Resource Groups Tagging API, regional;
    // it does not tag what a global scope read (IAM users and roles).
    if resource.region == crate::inventory::GLOBAL_SCOPE {
        return Err(format!(
            "the Resource Groups Tagging API cannot tag {} (a global {} resource); tag it with its service's own API",
            resource.terraform_type.as_deref().unwrap_or(&resource.resource_type),
            if resource.service.is_empty() { "AWS" } else { resource.service.as_str() }
        ));
    }
    let (change, conflict) = merge_asks(asked);
    let change = change.pending(&resource.tags);
    if let Some(reason) = conflict {
        return Err(reason);
    }
    if let Some(why) = change.aws_violation(&resource.tags) {
        return Err(format!("AWS would refuse the change: {why}"));
    }
    if change.is_empty() {
        return Ok(None);
    }
    let policies: BTreeSet<String> = asked.iter().map(|(v, _)| format!("{}/{}", v.pack, v.policy)).collect();
    Ok(Some(PlannedChange {
        arn: arn.to_string(),
        region: resource.region.clone(),
        account: resource.account.clone(),
        resource_type: resource.terraform_type.clone().unwrap_or_else(|| resource.resource_type.clone()),
        after: shown_tags(change.apply_to(&resource.tags), &change),
        before: shown_tags(resource.tags.clone(), &change),
        change,
        policies: policies.into_iter().collect(),
        managed_by: None,
    }))
}

/// The asked changes merged into one, and the last conflict between them
/// (one key given two values, or set by one policy and removed by another).
fn merge_asks(asked: &[Ask<'_>]) -> (TagChange, Option<String>) {
    let mut change = TagChange::default();
    let mut conflict: Option<String> = None;
    for (_, c) in asked {
        for (key, value) in &c.set {
            match change.set.get(key) {
                Some(other) if other != value => {
                    conflict = Some(format!("policies ask for different values of tag `{key}`"));
                }
                _ if change.remove.contains(key) => {
                    conflict = Some(format!("one policy sets tag `{key}` and another removes it"));
                }
                _ => {
                    change.set.insert(key.clone(), value.clone());
                }
            }
        }
        for key in &c.remove {
            if change.set.contains_key(key) {
                conflict = Some(format!("one policy sets tag `{key}` and another removes it"));
            }
            change.remove.insert(key.clone());
        }
    }
    (change, conflict)
}

/// `v` left to a person for `reason`.
fn human(v: &Violation, reason: String) -> NeedsHuman {
    NeedsHuman {
        resource: v.resource.clone(),
        pack: v.pack.clone(),
        policy: v.policy.clone(),
        severity: v.severity,
        message: v.message.clone(),
        reason,
    }
}

/// `tags` as a plan shows them: the values of conventionally secret keys
/// (`db-password`, `api-token`; [`crate::is_conventionally_secret`]) that
/// the change does not touch are replaced by [`crate::REDACTED`], so no
/// plan, report or dry run prints them. A key the change sets or removes
/// keeps its value (the plan applies it; a fix never carries a secret
/// value of its stack).
fn shown_tags(tags: BTreeMap<String, String>, change: &TagChange) -> BTreeMap<String, String> {
    tags.into_iter()
        .map(|(k, v)| {
            let hidden =
                crate::is_conventionally_secret(&k) && !change.set.contains_key(&k) && !change.remove.contains(&k);
            let v = if hidden { crate::REDACTED.to_string() } else { v };
            (k, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_plan_shows_untouched_secret_named_tags_redacted() {
        let tags: BTreeMap<String, String> = [("db-password", "RogueTagSecret-1"), ("api-token", "t-1"), ("team", "a")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let change =
            TagChange { set: BTreeMap::from([("api-token".to_string(), "t-2".to_string())]), ..Default::default() };
        let shown = shown_tags(tags, &change);
        assert_eq!(shown["db-password"], crate::REDACTED);
        // The key the change sets keeps its value: the plan applies it.
        assert_eq!((shown["api-token"].as_str(), shown["team"].as_str()), ("t-1", "a"));
    }

    fn plan_with(changes: serde_json::Value) -> Vec<u8> {
        json!({"format": PLAN_FORMAT, "version": 1, "created_at": "2026-11-30T10:00:00Z",
               "inventory": {"source": "i.json", "started_at": "2026-11-30T09:00:00Z",
                             "finished_at": "2026-11-30T09:00:01Z", "sha256": "00"},
               "packs": [], "changes": changes, "needs_human": []})
        .to_string()
        .into_bytes()
    }

    fn change(
        arn: &str,
        region: &str,
        account: &str,
        set: serde_json::Value,
        remove: serde_json::Value,
    ) -> serde_json::Value {
        let mut after = json!({"env": "dev"});
        for (k, v) in set.as_object().into_iter().flatten() {
            after[k] = v.clone();
        }
        for k in remove.as_array().into_iter().flatten() {
            if let (Some(map), Some(k)) = (after.as_object_mut(), k.as_str()) {
                map.remove(k);
            }
        }
        json!({"arn": arn, "region": region, "account": account, "resource_type": "aws_s3_bucket",
               "before": {"env": "dev"}, "change": {"set": set, "remove": remove}, "after": after,
               "policies": ["p/required-tags"]})
    }

    /// A plan of one KMS action on key `id` named by `arn`, in `version`.
    fn action_plan(version: u32, arn: &str, id: &str) -> Vec<u8> {
        let action = Action::KmsEnableRotation;
        let before = json!({"enable_key_rotation": false});
        let mut doc: serde_json::Value = serde_json::from_slice(&plan_with(json!([]))).expect("JSON");
        doc["version"] = json!(version);
        doc["actions"] = json!([{"arn": arn, "region": "eu-west-1", "account": "123456789012",
            "resource_type": "aws_kms_key", "id": id, "action": action, "calls": action.calls(id, &before),
            "before": before, "after": action.expected(&before), "policies": ["p/k"]}]);
        doc.to_string().into_bytes()
    }

    #[test]
    fn an_action_must_name_its_resource_twice_alike_and_needs_version_2() {
        let arn = "arn:aws:kms:eu-west-1:123456789012:key/k-1";
        let plan = RemediationPlan::from_json("p.json", &action_plan(2, arn, "k-1")).expect("a good plan");
        assert_eq!(plan.actions.len(), 1);
        let other = "arn:aws:kms:eu-west-1:123456789012:key/k-2";
        let err = RemediationPlan::from_json("p.json", &action_plan(2, other, "k-1")).expect_err("ARN and id differ");
        assert!(
            err.to_string().contains("at actions[0] (arn:aws:kms:eu-west-1:123456789012:key/k-2): `id` \"k-1\""),
            "{err}"
        );
        let err = RemediationPlan::from_json("p.json", &action_plan(1, arn, "k-1")).expect_err("v1 with actions");
        assert!(err.to_string().contains("a version 1 plan has tag changes only"), "{err}");
    }

    #[test]
    fn invalid_fixes_are_explained_in_needs_human() {
        let mut plan = RemediationPlan::from_json("p.json", &plan_with(json!([]))).expect("empty plan");
        let human = |resource: &str| NeedsHuman {
            resource: resource.into(),
            pack: "p".into(),
            policy: "t".into(),
            severity: Severity::Medium,
            message: "m".into(),
            reason: "the policy proposed no fix".into(),
        };
        plan.needs_human = vec![human("arn:a"), human("arn:b")];
        let error = crate::finding::PolicyError {
            pack: "p".into(),
            policy: "t".into(),
            enforcement_level: EnforcementLevel::Remediate,
            kind: crate::fault::FaultKind::Abi,
            resources: vec!["arn:b".into()],
            message: "a live resource can only be fixed by a tag change".into(),
            file: "i.json".into(),
        };
        plan.explain_invalid_fixes(&[error]);
        assert_eq!(plan.needs_human[0].reason, "the policy proposed no fix");
        assert_eq!(
            plan.needs_human[1].reason,
            "the proposed fix is invalid: a live resource can only be fixed by a tag change"
        );
    }

    #[test]
    fn plans_are_checked_against_their_arns() {
        let good = change(
            "arn:aws:sns:eu-west-1:123456789012:t",
            "eu-west-1",
            "123456789012",
            json!({"owner": "a"}),
            json!([]),
        );
        assert!(RemediationPlan::from_json("p.json", &plan_with(json!([good.clone()]))).is_ok());
        let s3 = change("arn:aws:s3:::b", "eu-west-1", "123456789012", json!({"owner": "a"}), json!([]));
        assert!(
            RemediationPlan::from_json("p.json", &plan_with(json!([s3]))).is_ok(),
            "S3 ARNs name no region or account"
        );
        let cases = [
            (json!([good.clone(), good.clone()]), "another change earlier"),
            (
                json!([change(
                    "arn:aws:sns:eu-west-1:999999999999:t",
                    "eu-west-1",
                    "123456789012",
                    json!({"o": "a"}),
                    json!([])
                )]),
                "the ARN's account",
            ),
            (
                json!([change(
                    "arn:aws:sns:eu-west-1:123456789012:t",
                    "us-east-1",
                    "123456789012",
                    json!({"o": "a"}),
                    json!([])
                )]),
                "the ARN's region",
            ),
            (
                json!([change("arn:aws:s3:::b", "mars-1", "123456789012", json!({"o": "a"}), json!([]))]),
                "not a region name",
            ),
            (json!([change("not-an-arn", "eu-west-1", "123456789012", json!({"o": "a"}), json!([]))]), "not an ARN"),
            (
                json!([change("arn:aws:s3:::b", "eu-west-1", "123456789012", json!({"o": "a"}), json!(["o"]))]),
                "both set and removed",
            ),
        ];
        for (changes, want) in cases {
            let err = RemediationPlan::from_json("p.json", &plan_with(changes.clone())).expect_err(want).to_string();
            assert!(err.contains(want) && err.starts_with("p.json: "), "{want}: {err}");
        }
        let mut doc: serde_json::Value = serde_json::from_slice(&plan_with(json!([]))).expect("JSON");
        doc["version"] = json!("1");
        let err =
            RemediationPlan::from_json("p.json", doc.to_string().as_bytes()).expect_err("a string version").to_string();
        assert!(err.contains("plan `version` \"1\" is not supported"), "{err}");
        doc["format"] = json!(null);
        let err = RemediationPlan::from_json("p.json", doc.to_string().as_bytes()).expect_err("no format").to_string();
        assert!(err.contains("`format` is null"), "{err}");
    }
}
