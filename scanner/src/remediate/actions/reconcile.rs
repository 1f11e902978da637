//! Reconciling a planned action with the configuration re-read right before
//! applying it: what is done, what is still to send, and what changed behind
//! the plan's back. Pure: no AWS calls.

use std::collections::BTreeSet;
use std::fmt;

use palisade_model::remediation::action::{ActionKind, AwsCall};
use palisade_model::remediation::plan::PlannedAction;
use palisade_model::remediation::report::{Verification, Verified};
use serde_json::{Map, Value};

/// A planned action whose resource changed since the plan in a way the
/// action does not account for: its re-read slice is neither the plan's
/// `before`, nor its `after`, nor a state between the two. When there is
/// one, nothing at all is sent ([`super::super::ApplyOutcome::stale`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleAction {
    /// The resource's ARN.
    pub arn: String,
    /// The action's kind.
    pub kind: ActionKind,
    /// The slice as re-read now ([`palisade_model::remediation::action::Action::slice`]).
    pub found: Value,
    /// The slice when the plan was made.
    pub before: Value,
    /// The slice the plan makes.
    pub after: Value,
}

impl fmt::Display for StaleAction {
    /// `ARN (KIND): `public_access_block` is {...} (the plan expected {...}
    /// before, {...} after)`, one clause per member of the slice that is
    /// neither, joined by `; `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): ", self.arn, self.kind)?;
        let (found, before, after) = (normalized(&self.found), normalized(&self.before), normalized(&self.after));
        let keys: BTreeSet<&String> = [&found, &before, &after].into_iter().flat_map(members).collect();
        let shown = |v: Option<&Value>| v.map_or_else(|| "absent".to_string(), Value::to_string);
        let mut first = true;
        for key in keys {
            let (n, b, a) = (found.get(key), before.get(key), after.get(key));
            if n == b || n == a {
                continue;
            }
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(f, "`{key}` is {} (the plan expected {} before, {} after)", shown(n), shown(b), shown(a))?;
        }
        if first {
            // Each member is at its before or after value, but not as a
            // state the action can complete (e.g. a rule added back).
            write!(f, "the configuration is {} (the plan expected {} before, {} after)", found, before, after)?;
        }
        Ok(())
    }
}

/// What is left of a planned action, given its re-read slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionState {
    /// The resource already has the planned result: nothing to send.
    /// `verification` is set when AWS reports the change as accepted but
    /// still being applied (RDS).
    Done {
        /// [`Verification::Pending`] with AWS's status, or `None`.
        verification: Option<Verified>,
    },
    /// Still to do: these calls, in order (all of the plan's when the
    /// resource is at its `before`; the remaining ones when a run stopped
    /// half-way through the action).
    Pending(Vec<AwsCall>),
    /// Changed since the plan: nothing is sent for any resource.
    Stale(StaleAction),
    /// The plan itself does not hold for this action (its `after` or its
    /// calls are not what the action makes of its `before`, or the action
    /// no longer fits the re-read resource): this action fails, unsent.
    Refused(String),
}

/// Compare `planned` with its resource as re-read: `props` the
/// Terraform-shaped properties (the reader's table applied to the re-read
/// raw output), `at_aws` a change AWS reports in progress (RDS:
/// `DBInstanceStatus` `modifying` while still publicly accessible).
///
/// - `found == after`: [`ActionState::Done`];
/// - `found == before`: the action is checked against `props`
///   ([`palisade_model::remediation::action::Action::check`]) and
///   [`ActionState::Pending`] with `action.calls(id, found)`, which must be
///   the plan's calls; except when `at_aws` says AWS is applying it
///   ([`ActionState::Done`] with verification pending);
/// - `found` *between* the two ([`is_between`]): [`ActionState::Pending`]
///   with `action.calls(id, found)`, each one of the plan's calls or part
///   of one (fewer rules to revoke);
/// - anything else: [`ActionState::Stale`].
///
/// Slices are compared normalized (ingress blocks sorted). The plan's own
/// consistency is checked first: `after` must be `action.expected(before)`.
pub fn reconcile_action(planned: &PlannedAction, props: &Value, at_aws: Option<&str>) -> ActionState {
    let action = &planned.action;
    let (before, after) = (normalized(&planned.before), normalized(&planned.after));
    if normalized(&action.expected(&planned.before)) != after {
        return ActionState::Refused(
            "not sent: the plan's `after` is not what the action makes of its `before` (was the plan edited?)".into(),
        );
    }
    let found = normalized(&action.slice(props));
    if found == after {
        return ActionState::Done { verification: None };
    }
    if found == before {
        if let Some(detail) = at_aws {
            let verified = Verified { result: Verification::Pending, detail: detail.to_string() };
            return ActionState::Done { verification: Some(verified) };
        }
        if let Err(why) = action.check(&planned.resource_type, props) {
            return ActionState::Refused(format!("not sent: {why}"));
        }
        let calls = action.calls(&planned.id, &found);
        if calls != planned.calls {
            return ActionState::Refused(
                "not sent: the plan's calls are not the action's calls for its `before` (was the plan edited?)".into(),
            );
        }
        return ActionState::Pending(calls);
    }
    if is_between(action.kind(), &before, &after, &found) {
        let calls = action.calls(&planned.id, &found);
        if calls.is_empty() || !calls.iter().all(|c| planned.calls.iter().any(|p| is_within(c, p))) {
            return ActionState::Refused(
                "not sent: the calls left for this half-applied action are not among the plan's".into(),
            );
        }
        return ActionState::Pending(calls);
    }
    ActionState::Stale(StaleAction {
        arn: planned.arn.clone(),
        kind: action.kind(),
        found,
        before: planned.before.clone(),
        after: planned.after.clone(),
    })
}

/// Whether `found` is a state an interrupted run of the action leaves:
/// each member of the slice at its `before` or its `after` value
/// (`s3.block-public-access`: the block put, the ACL not yet); for
/// `ec2.revoke-ingress`, also the group with only some of the listed rules
/// revoked (every block of `after` still there, none that `before` did not
/// have). The other kinds have one member, so nothing is between.
pub fn is_between(kind: ActionKind, before: &Value, after: &Value, found: &Value) -> bool {
    let keys: BTreeSet<&String> = [before, after, found].into_iter().flat_map(members).collect();
    if keys.iter().all(|k| found.get(*k) == before.get(*k) || found.get(*k) == after.get(*k)) {
        return true;
    }
    if kind == ActionKind::Ec2RevokeIngress {
        let blocks = |v: &Value| -> BTreeSet<String> {
            v.get("ingress").and_then(Value::as_array).into_iter().flatten().map(Value::to_string).collect()
        };
        let (b, a, n) = (blocks(before), blocks(after), blocks(found));
        let only_ingress = keys.iter().all(|k| k.as_str() == "ingress");
        return only_ingress && a.is_subset(&n) && n.is_subset(&b);
    }
    false
}

/// Whether `call` does part of `planned`: the same operation, and each
/// parameter the same, but lists, which may hold fewer of the planned
/// items (the rules of a revoke not yet sent).
fn is_within(call: &AwsCall, planned: &AwsCall) -> bool {
    fn part(v: &Value, of: &Value) -> bool {
        match (v, of) {
            (Value::Array(items), Value::Array(all)) => items.iter().all(|i| all.contains(i)),
            (Value::Object(m), Value::Object(all)) => {
                m.len() == all.len() && m.iter().all(|(k, v)| all.get(k).is_some_and(|o| part(v, o)))
            }
            _ => v == of,
        }
    }
    call.operation == planned.operation && part(&call.parameters, &planned.parameters)
}

/// The member names of a slice (an object; others have none).
fn members(v: &Value) -> impl Iterator<Item = &String> {
    v.as_object().into_iter().flat_map(Map::keys)
}

/// A slice in its compared form: every array of objects under `ingress`
/// sorted (a re-read lists rules in AWS's order).
pub fn normalized(slice: &Value) -> Value {
    let mut out = slice.clone();
    if let Some(Value::Array(blocks)) = out.get_mut("ingress") {
        blocks.sort_by_key(Value::to_string);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::remediation::action::{Action, PUBLIC_GRANTEES};
    use serde_json::json;

    fn planned(action: Action, resource_type: &str, id: &str, props: &Value) -> PlannedAction {
        let before = action.slice(props);
        PlannedAction {
            arn: format!("arn:aws:test:::{id}"),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            resource_type: resource_type.into(),
            id: id.into(),
            calls: action.calls(id, &before),
            after: action.expected(&before),
            before,
            action,
            policies: vec!["aws-baseline/x".into()],
            managed_by: None,
        }
    }

    fn public_bucket() -> Value {
        json!({"bucket": "b", "grant": [
            {"id": "owner", "type": "CanonicalUser", "uri": "", "permissions": ["FULL_CONTROL"]},
            {"id": "", "type": "Group", "uri": PUBLIC_GRANTEES[0], "permissions": ["READ"]}],
            "public_access_block": []})
    }

    fn fixed_bucket() -> Value {
        json!({"bucket": "b", "grant": [
            {"id": "owner", "type": "CanonicalUser", "uri": "", "permissions": ["FULL_CONTROL"]}],
            "public_access_block": [{"block_public_acls": true, "block_public_policy": true,
                                     "ignore_public_acls": true, "restrict_public_buckets": true}]})
    }

    fn operations(state: &ActionState) -> Vec<&str> {
        match state {
            ActionState::Pending(calls) => calls.iter().map(|c| c.operation.as_str()).collect(),
            other => panic!("expected pending, got {other:?}"),
        }
    }

    #[test]
    fn done_pending_and_stale_buckets() {
        let p = planned(Action::S3BlockPublicAccess, "aws_s3_bucket", "b", &public_bucket());
        assert_eq!(
            operations(&reconcile_action(&p, &public_bucket(), None)),
            ["s3:PutPublicAccessBlock", "s3:PutBucketAcl"]
        );
        assert_eq!(reconcile_action(&p, &fixed_bucket(), None), ActionState::Done { verification: None });
        // Someone turned on only one setting: neither before nor after.
        let mut other = public_bucket();
        other["public_access_block"] = json!([{"block_public_acls": true}]);
        let ActionState::Stale(stale) = reconcile_action(&p, &other, None) else { panic!("stale") };
        let text = stale.to_string();
        assert!(text.starts_with("arn:aws:test:::b (s3.block-public-access): `public_access_block` is {"), "{text}");
        assert!(!text.contains("public_grants"), "grants are at their before value: {text}");
    }

    #[test]
    fn a_half_applied_bucket_sends_only_the_rest() {
        let p = planned(Action::S3BlockPublicAccess, "aws_s3_bucket", "b", &public_bucket());
        // Killed after PutPublicAccessBlock, before PutBucketAcl.
        let mut blocked = public_bucket();
        blocked["public_access_block"] = fixed_bucket()["public_access_block"].clone();
        assert_eq!(operations(&reconcile_action(&p, &blocked, None)), ["s3:PutBucketAcl"]);
        // The ACL reset by someone, the block not yet: only the block.
        let mut private = fixed_bucket();
        private["public_access_block"] = json!([]);
        assert_eq!(operations(&reconcile_action(&p, &private, None)), ["s3:PutPublicAccessBlock"]);
    }

    fn group(rules: Value) -> Value {
        json!({"id": "sg-1", "ingress": rules})
    }

    fn rule(port: i64, cidr: &str) -> Value {
        json!({"protocol": "tcp", "from_port": port, "to_port": port, "cidr_blocks": [cidr], "ipv6_cidr_blocks": [],
               "prefix_list_ids": [], "security_groups": [], "self": false, "description": "d"})
    }

    fn revoke(ports: &[i64]) -> Action {
        let rules: Vec<Value> = ports
            .iter()
            .map(|p| json!({"protocol": "tcp", "from_port": p, "to_port": p, "cidr_ipv4": "0.0.0.0/0"}))
            .collect();
        serde_json::from_value(json!({"kind": "ec2.revoke-ingress", "params": {"rules": rules}})).expect("action")
    }

    #[test]
    fn security_groups_revoke_only_listed_rules_still_there() {
        let open = group(json!([rule(80, "0.0.0.0/0"), rule(22, "10.0.0.0/8"), rule(443, "0.0.0.0/0")]));
        let p = planned(revoke(&[80, 443]), "aws_security_group", "sg-1", &open);
        let state = reconcile_action(&p, &open, None);
        assert_eq!(operations(&state), ["ec2:RevokeSecurityGroupIngress"]);
        // AWS lists the rules in another order: still pending, same calls.
        let reordered = group(json!([rule(443, "0.0.0.0/0"), rule(22, "10.0.0.0/8"), rule(80, "0.0.0.0/0")]));
        assert_eq!(reconcile_action(&p, &reordered, None), state);
        // Port 80 already revoked: only 443 is sent.
        let half = group(json!([rule(22, "10.0.0.0/8"), rule(443, "0.0.0.0/0")]));
        let ActionState::Pending(calls) = reconcile_action(&p, &half, None) else { panic!("pending") };
        assert_eq!(calls[0].parameters["IpPermissions"].as_array().map(Vec::len), Some(1));
        assert_eq!(calls[0].parameters["IpPermissions"][0]["FromPort"], json!(443));
        assert_eq!(
            reconcile_action(&p, &group(json!([rule(22, "10.0.0.0/8")])), None),
            ActionState::Done { verification: None }
        );
        assert!(is_within(&calls[0], &p.calls[0]) && !is_within(&p.calls[0], &calls[0]));
        // A rule added since, or the kept one removed: stale.
        let added = group(json!([
            rule(80, "0.0.0.0/0"),
            rule(22, "10.0.0.0/8"),
            rule(443, "0.0.0.0/0"),
            rule(25, "0.0.0.0/0")
        ]));
        assert!(matches!(reconcile_action(&p, &added, None), ActionState::Stale(_)));
        let removed = group(json!([rule(80, "0.0.0.0/0"), rule(443, "0.0.0.0/0")]));
        assert!(matches!(reconcile_action(&p, &removed, None), ActionState::Stale(_)));
    }

    #[test]
    fn single_setting_kinds_are_done_pending_or_stale() {
        let cases = [
            (
                Action::KmsEnableRotation,
                "aws_kms_key",
                json!({"enable_key_rotation": false}),
                json!({"enable_key_rotation": true}),
                None,
            ),
            (
                Action::RdsDisablePublicAccess,
                "aws_db_instance",
                json!({"publicly_accessible": true}),
                json!({"publicly_accessible": false}),
                None,
            ),
            (
                Action::EcrImmutableTags,
                "aws_ecr_repository",
                json!({"image_tag_mutability": "MUTABLE"}),
                json!({"image_tag_mutability": "IMMUTABLE"}),
                Some(json!({"image_tag_mutability": "IMMUTABLE_WITH_EXCLUSION"})),
            ),
        ];
        for (action, ty, before, after, other) in cases {
            let p = planned(action, ty, "id-1", &before);
            assert_eq!(reconcile_action(&p, &before, None), ActionState::Pending(p.calls.clone()), "{ty}");
            assert_eq!(reconcile_action(&p, &after, None), ActionState::Done { verification: None }, "{ty}");
            if let Some(other) = other {
                assert!(matches!(reconcile_action(&p, &other, None), ActionState::Stale(_)), "{ty}");
            }
            // One member: nothing is between.
            assert!(!is_between(p.action.kind(), &p.before, &p.after, &json!({})), "{ty}");
        }
    }

    #[test]
    fn an_rds_change_in_progress_at_aws_is_done_and_pending() {
        let p =
            planned(Action::RdsDisablePublicAccess, "aws_db_instance", "db-1", &json!({"publicly_accessible": true}));
        let state = reconcile_action(&p, &json!({"publicly_accessible": true}), Some("modifying"));
        let ActionState::Done { verification: Some(v) } = state else { panic!("done, pending") };
        assert_eq!((v.result, v.detail.as_str()), (Verification::Pending, "modifying"));
    }

    #[test]
    fn an_edited_plan_is_refused() {
        let mut p = planned(Action::KmsEnableRotation, "aws_kms_key", "k", &json!({"enable_key_rotation": false}));
        p.calls[0].parameters["KeyId"] = json!("another-key");
        let state = reconcile_action(&p, &json!({"enable_key_rotation": false}), None);
        assert!(matches!(&state, ActionState::Refused(why) if why.contains("calls")), "{state:?}");
        p.after = json!({"enable_key_rotation": false});
        let state = reconcile_action(&p, &json!({"enable_key_rotation": false}), None);
        assert!(matches!(&state, ActionState::Refused(why) if why.contains("`after`")), "{state:?}");
        // A rule no longer in the group is not revoked.
        let open = group(json!([rule(80, "0.0.0.0/0")]));
        let mut p = planned(revoke(&[80]), "aws_security_group", "sg-1", &open);
        p.resource_type = "aws_s3_bucket".into();
        assert!(matches!(reconcile_action(&p, &open, None), ActionState::Refused(_)));
    }
}
