//! Verification after `remediate --apply`: every resource a change or an
//! action reached is read again (a live scan of its types in its regions)
//! and judged again by the same policies, and each outcome gets its verdict
//! ([`Verification`]):
//!
//! - *fixed*: the policies that asked for the fix find nothing, and the
//!   re-read resource has what the plan expected (the tags of `after`, the
//!   action's `after` configuration); the detail names other policies that
//!   still find a violation on it;
//! - *pending*: AWS accepted a change it applies later (set by the
//!   scanner from RDS `PendingModifiedValues`) and the re-read does not show
//!   it yet;
//! - *still violating*: a policy that asked still finds a violation,
//!   another policy at level `remediate` finds one on the resource, or the
//!   re-read configuration is not what the plan expected;
//! - *unverified*: the resource could not be read again (not found, its
//!   scope incomplete, the scan failed), the policies could not be run, or
//!   one could not decide.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use palisade_engine::config::{LevelOverride, PackConfig};
use palisade_engine::inventory::{Inventory, InventoryResource};
use palisade_engine::remediation::action::Action;
use palisade_engine::remediation::plan::RemediationPlan;
use palisade_engine::remediation::report::{ActionStatus, ChangeStatus, Outcomes, Verification, Verified};
use palisade_engine::{Engine, Pack, Violation};
use serde_json::Value;

use crate::live::InventoryArgs;
use crate::packs::{PackArgs, PolicyFiles};

/// The policies of a run, loaded once: they judge the inventory, then the
/// re-read resources.
pub(super) struct Judge {
    files: PolicyFiles,
    engine: Engine,
    packs: Vec<Pack>,
    /// `None`: the run's own `--enforcement` (and `--fail-on-undecided`,
    /// `--exemptions`); `Some`: a plan file's overrides.
    overrides: Option<Vec<LevelOverride>>,
}

impl Judge {
    /// The packs, config, overrides and exemptions of `args`.
    pub(super) fn of_args(args: &PackArgs) -> Result<Judge> {
        let files = args.policy_files()?;
        let engine = args.engine()?;
        let packs = args.load(&engine)?;
        Ok(Judge { files, engine, packs, overrides: None })
    }

    /// The packs a plan names (`builtin:NAME` or a file), with the settings
    /// of the run that made it (its `--config` and `--enforcement`), so
    /// that the resources are judged again as they were judged then.
    pub(super) fn of_plan(args: &PackArgs, plan: &RemediationPlan, shown: &str) -> Result<Judge> {
        let paths: Vec<std::path::PathBuf> = plan.packs.iter().map(|p| p.source.clone().into()).collect();
        let engine = args.engine()?;
        let packs = args.load_paths(&engine, &paths)?;
        for (named, loaded) in plan.packs.iter().zip(&packs) {
            if named.name != loaded.metadata.name || named.version != loaded.metadata.version {
                anyhow::bail!(
                    "{} is now pack {} {}, not the plan's {} {}",
                    named.source,
                    loaded.metadata.name,
                    loaded.metadata.version,
                    named.name,
                    named.version
                );
            }
        }
        let settings = plan.settings.clone().unwrap_or_default();
        let config = settings
            .config
            .as_deref()
            .map(|text| PackConfig::parse(&format!("{shown} (settings.config)"), text))
            .transpose()?;
        let overrides = settings
            .enforcement
            .iter()
            .map(|o| {
                o.parse::<LevelOverride>().map_err(|e| anyhow::anyhow!("{shown}: settings.enforcement {o:?}: {e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Judge { files: PolicyFiles::with_config(config), engine, packs, overrides: Some(overrides) })
    }

    /// The loaded packs.
    pub(super) fn packs(&self) -> &[Pack] {
        &self.packs
    }

    /// Run the packs on `input` through the check pipeline.
    pub(super) fn check(
        &self,
        args: &PackArgs,
        input: palisade_engine::pipeline::CheckInput,
    ) -> Result<palisade_engine::pipeline::Checked> {
        let pipeline = match &self.overrides {
            None => self.files.pipeline(args, &self.engine, &self.packs),
            Some(overrides) => self.files.pipeline_with(&self.engine, &self.packs, overrides),
        };
        Ok(pipeline.build()?.check(vec![input]))
    }
}

/// What a verified resource must show, besides no violation of its policies.
enum Expect<'a> {
    /// These tags (values shown redacted in the plan are not compared).
    Tags(&'a BTreeMap<String, String>),
    /// The action's configuration after.
    Slice(&'a Action, &'a Value),
}

/// One outcome to verify: its resource, policies and expectation.
struct Target<'a> {
    arn: &'a str,
    region: &'a str,
    resource_type: &'a str,
    policies: &'a [String],
    expect: Expect<'a>,
    /// Set by the scanner: AWS applies the change later.
    pending: Option<&'a Verified>,
}

/// Verify every applied change and action of `outcomes` in place (see the
/// module docs). Errors of the re-read or of the policies make the
/// verdicts *unverified*, naming the error; they are not errors of the run.
pub(super) fn verify(
    inventory_args: &InventoryArgs,
    packs: &PackArgs,
    judge: Result<&Judge, String>,
    outcomes: &mut Outcomes,
) {
    let verdicts = {
        let targets = targets(outcomes);
        if targets.is_empty() {
            return;
        }
        crate::say!(
            "palisade: verifying {} resource(s): reading them again and re-running their policies",
            targets.len()
        );
        let reread = reread(inventory_args, &targets);
        let judged = match (&reread, judge) {
            (Ok(inventory), Ok(judge)) => rejudge(packs, judge, inventory),
            (Err(e), _) => Err(e.clone()),
            (_, Err(e)) => Err(format!("the policies could not be loaded again: {e}")),
        };
        targets
            .iter()
            .map(|t| verdict(t, reread.as_ref().ok(), judged.as_deref().map_err(String::as_str)))
            .collect::<Vec<_>>()
    };
    let mut verdicts = verdicts.into_iter();
    for o in outcomes.changes.iter_mut().filter(|o| changed(o.status)) {
        o.verification = verdicts.next();
    }
    for o in outcomes.actions.iter_mut().filter(|o| acted(o.status)) {
        o.verification = verdicts.next();
    }
}

/// Give every applied change and action the verdict *unverified* with
/// `why` (a run stopped by a signal reads nothing again).
pub(super) fn not_verified(outcomes: &mut Outcomes, why: &str) {
    let verdict = || Some(Verified { result: Verification::Unverified, detail: why.to_string() });
    for o in outcomes.changes.iter_mut().filter(|o| changed(o.status)) {
        o.verification = verdict();
    }
    for o in outcomes.actions.iter_mut().filter(|o| acted(o.status) || !o.sent.is_empty()) {
        if o.verification.is_none() {
            o.verification = verdict();
        }
    }
}

fn changed(status: ChangeStatus) -> bool {
    matches!(status, ChangeStatus::Applied | ChangeStatus::AlreadyApplied)
}

fn acted(status: ActionStatus) -> bool {
    matches!(status, ActionStatus::Applied | ActionStatus::Done)
}

/// The outcomes to verify, changes first, in order.
fn targets(outcomes: &Outcomes) -> Vec<Target<'_>> {
    let changes = outcomes.changes.iter().filter(|o| changed(o.status)).map(|o| Target {
        arn: &o.change.arn,
        region: &o.change.region,
        resource_type: &o.change.resource_type,
        policies: &o.change.policies,
        expect: Expect::Tags(&o.change.after),
        pending: None,
    });
    let actions = outcomes.actions.iter().filter(|o| acted(o.status)).map(|o| Target {
        arn: &o.action.arn,
        region: &o.action.region,
        resource_type: &o.action.resource_type,
        policies: &o.action.policies,
        expect: Expect::Slice(&o.action.action, &o.action.after),
        pending: o.verification.as_ref().filter(|v| v.result == Verification::Pending),
    });
    changes.chain(actions).collect()
}

/// A live scan of the targets' types in their regions.
fn reread(args: &InventoryArgs, targets: &[Target<'_>]) -> Result<Inventory, String> {
    let regions: BTreeSet<String> = targets.iter().map(|t| t.region.to_string()).collect();
    let types: BTreeSet<String> = targets.iter().map(|t| t.resource_type.to_string()).collect();
    args.verify_scan(regions.into_iter().collect(), types.into_iter().collect())
        .map_err(|e| format!("the resources could not be read again: {e:#}"))
}

/// The violations of the re-read inventory, or why there are none.
fn rejudge(args: &PackArgs, judge: &Judge, inventory: &Inventory) -> Result<Vec<Violation>, String> {
    let bytes = inventory.to_snapshot_bytes().map_err(|e| format!("the re-read could not be serialized: {e}"))?;
    let input = palisade_engine::pipeline::CheckInput::inventory("live:aws (verification)", inventory, &bytes);
    let checked = judge.check(args, input).map_err(|e| format!("the policies could not run again: {e:#}"))?;
    Ok(checked.report.violations)
}

/// The verdict of one target.
fn verdict(t: &Target<'_>, inventory: Option<&Inventory>, violations: Result<&[Violation], &str>) -> Verified {
    let unverified = |detail: String| Verified { result: Verification::Unverified, detail };
    let violations = match violations {
        Ok(v) => v,
        Err(e) => return unverified(e.to_string()),
    };
    let Some(inventory) = inventory else { return unverified("the resources could not be read again".into()) };
    let Some(resource) = inventory.resources.iter().find(|r| r.arn == t.arn) else {
        let why = match inventory.incomplete_lines("the re-read").first() {
            Some(line) => format!("not found when read again, and the re-read was incomplete: {line}"),
            None => "not found when read again (deleted since?)".to_string(),
        };
        return unverified(why);
    };
    let mine: Vec<&Violation> = violations
        .iter()
        .filter(|v| v.resource == t.arn && t.policies.contains(&format!("{}/{}", v.pack, v.policy)))
        .collect();
    if let Some(v) = mine.iter().find(|v| !v.undecided) {
        if let Some(pending) = t.pending {
            return pending.clone();
        }
        return Verified {
            result: Verification::StillViolating,
            detail: format!("{}/{}: {}", v.pack, v.policy, v.message),
        };
    }
    if let Some(v) = mine.first() {
        return unverified(format!("{}/{} could not decide: {}", v.pack, v.policy, v.message));
    }
    if let Some(v) = violations.iter().find(|v| {
        v.resource == t.arn && !v.undecided && v.enforcement_level == palisade_engine::EnforcementLevel::Remediate
    }) {
        return Verified {
            result: Verification::StillViolating,
            detail: format!(
                "the policies that asked find nothing, but {}/{} (also at level remediate) does: {}",
                v.pack, v.policy, v.message
            ),
        };
    }
    match expectation_met(&t.expect, resource) {
        Ok(()) => Verified { result: Verification::Fixed, detail: others(t, violations) },
        Err(_) if t.pending.is_some() => t.pending.cloned().unwrap_or_else(|| unverified(String::new())),
        Err(detail) => Verified { result: Verification::StillViolating, detail },
    }
}

/// The decided violations of other policies on the target's resource, for
/// people: a resource fixed for the policies that asked may still break
/// others (empty when none does).
fn others(t: &Target<'_>, violations: &[Violation]) -> String {
    let mut names: Vec<String> = violations
        .iter()
        .filter(|v| v.resource == t.arn && !v.undecided)
        .map(|v| format!("{}/{}", v.pack, v.policy))
        .filter(|p| !t.policies.contains(p))
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        String::new()
    } else {
        format!("fixed for the policies that asked; other violations remain on it: {}", names.join(", "))
    }
}

/// Whether the re-read resource has what the plan expected.
fn expectation_met(expect: &Expect<'_>, resource: &InventoryResource) -> Result<(), String> {
    match expect {
        Expect::Tags(after) => {
            let redacted = palisade_engine::REDACTED;
            let wrong: Vec<String> = after
                .iter()
                .filter(|(k, v)| v.as_str() != redacted && resource.tags.get(*k) != Some(*v))
                .map(|(k, _)| k.clone())
                .collect();
            if wrong.is_empty() {
                Ok(())
            } else {
                Err(format!("tags not as planned when read again: {}", wrong.join(", ")))
            }
        }
        Expect::Slice(action, after) => {
            let Some(props) = resource.properties.as_ref() else {
                return Err("its configuration was not read again".to_string());
            };
            let found = action.slice(&Value::Object(props.clone()));
            if found == **after {
                Ok(())
            } else {
                Err(format!("configuration read again is {found}, the plan expected {after}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn inventory(enable_key_rotation: bool) -> Inventory {
        serde_json::from_value(json!({
            "format": "palisade-inventory", "version": 2, "provider": "aws",
            "started_at": "2026-12-07T00:00:00Z", "finished_at": "2026-12-07T00:00:01Z",
            "filters": {"resource_types": [], "tags": []}, "scopes": [],
            "resources": [{"arn": "arn:aws:kms:eu-west-1:123456789012:key/k", "service": "kms",
                "resource_type": "kms:key", "terraform_type": "aws_kms_key", "id": "k", "region": "eu-west-1",
                "account": "123456789012", "tags": {"owner": "a"}, "seen_at": "2026-12-07T00:00:00Z",
                "found_by": "kms:ListKeys", "properties": {"enable_key_rotation": enable_key_rotation}}]
        }))
        .expect("an inventory")
    }

    fn violation(undecided: bool) -> Violation {
        Violation {
            policy: "aws-kms-key-enable-key-rotation".into(),
            pack: "aws-baseline".into(),
            enforcement_level: palisade_engine::EnforcementLevel::Remediate,
            severity: palisade_engine::Severity::Medium,
            resource: "arn:aws:kms:eu-west-1:123456789012:key/k".into(),
            resource_type: "aws_kms_key".into(),
            action: palisade_engine::model::Operation::NoOp,
            message: "KMS key does not rotate automatically.".into(),
            file: "live:aws".into(),
            undecided,
            location: None,
            remediation: None,
        }
    }

    const POLICIES: [&str; 1] = ["aws-baseline/aws-kms-key-enable-key-rotation"];

    fn target<'a>(policies: &'a [String], after: &'a Value, pending: Option<&'a Verified>) -> Target<'a> {
        Target {
            arn: "arn:aws:kms:eu-west-1:123456789012:key/k",
            region: "eu-west-1",
            resource_type: "aws_kms_key",
            policies,
            expect: Expect::Slice(&Action::KmsEnableRotation, after),
            pending,
        }
    }

    #[test]
    fn verdicts_follow_the_policies_and_the_configuration_read_again() {
        let policies: Vec<String> = POLICIES.iter().map(|p| p.to_string()).collect();
        let after = json!({"enable_key_rotation": true});
        let t = target(&policies, &after, None);
        let fixed = inventory(true);
        assert_eq!(verdict(&t, Some(&fixed), Ok(&[])).result, Verification::Fixed);
        let still = verdict(&t, Some(&inventory(false)), Ok(&[violation(false)]));
        assert_eq!(still.result, Verification::StillViolating);
        assert!(still.detail.contains("does not rotate"), "{}", still.detail);
        // No violation, but the configuration is not what the plan expected.
        let differs = verdict(&t, Some(&inventory(false)), Ok(&[]));
        assert_eq!(differs.result, Verification::StillViolating);
        assert!(differs.detail.contains("the plan expected"), "{}", differs.detail);
        assert_eq!(verdict(&t, Some(&fixed), Ok(&[violation(true)])).result, Verification::Unverified);
        assert_eq!(verdict(&t, Some(&fixed), Err("the policies could not run")).result, Verification::Unverified);
        let mut gone = fixed.clone();
        gone.resources.clear();
        assert!(verdict(&t, Some(&gone), Ok(&[])).detail.contains("not found"));
        // AWS applies it later: pending stays pending while the re-read shows the old value.
        let pending = Verified { result: Verification::Pending, detail: "modifying".into() };
        let t = target(&policies, &after, Some(&pending));
        assert_eq!(verdict(&t, Some(&inventory(false)), Ok(&[violation(false)])).result, Verification::Pending);
        assert_eq!(verdict(&t, Some(&fixed), Ok(&[])).result, Verification::Fixed);
    }
}
