//! Reconciling a planned change with the tags a resource has now: what is
//! already done, what is still to do, and what changed behind the plan's
//! back. Pure: no AWS calls.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use palisade_model::remediation::TagChange;
use palisade_model::remediation::aws_limits::RESERVED_PREFIX;
use palisade_model::remediation::plan::PlannedChange;

/// One tag key whose current value is neither the plan's `before` nor its
/// `after` (`None`: the key is absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyConflict {
    /// The tag key.
    pub key: String,
    /// Its value when the plan was made.
    pub before: Option<String>,
    /// Its value once the plan is applied.
    pub after: Option<String>,
    /// Its value now.
    pub found: Option<String>,
}

/// What is wrong with a planned resource now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictKind {
    /// The Tagging API no longer returns the resource: deleted, or left
    /// without tags by someone else.
    Gone,
    /// Tags changed since the plan was made, other than by the plan itself.
    Changed(Vec<KeyConflict>),
}

/// A planned resource that cannot be changed as planned: its tags are not
/// what the plan expected (see [`reconcile`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The resource's ARN.
    pub arn: String,
    /// What is wrong.
    pub kind: ConflictKind,
}

impl fmt::Display for Conflict {
    /// `ARN: tag `owner` is "x" (the plan expected "y", or "z" once applied)`,
    /// one clause per key, joined by `; `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |v: &Option<String>| match v {
            Some(v) => format!("{v:?}"),
            None => "absent".to_string(),
        };
        match &self.kind {
            ConflictKind::Gone => write!(f, "{}: the Tagging API no longer returns this resource", self.arn),
            ConflictKind::Changed(keys) => {
                write!(f, "{}: ", self.arn)?;
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(
                        f,
                        "tag `{}` is {} (the plan expected {} before, {} after)",
                        k.key,
                        shown(&k.found),
                        shown(&k.before),
                        shown(&k.after)
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// What is left of a planned change, given the resource's current tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// Every key is at its target: nothing to send.
    AlreadyApplied,
    /// These keys are still at their `before` value (every other key is at
    /// its target): send only this.
    Pending(TagChange),
    /// The resource's tags are not what the plan expected.
    Conflict(Conflict),
}

/// Compare a planned change with the resource's `current` tags (`None`: the
/// Tagging API did not return it).
///
/// Every key of `before`, `after` and `current` (but `aws:` keys, which AWS
/// manages and Palisade never sends, and keys the plan shows redacted,
/// which the change does not touch) must be at its `before` value (still
/// pending) or at its `after` value (done); any other value is a
/// [`Conflict`] naming the key. So a run interrupted half-way, even between
/// the `TagResources` and `UntagResources` of one resource, is completed by
/// sending only what is missing, and a change someone else made since the
/// plan is never overwritten. A resource not returned is [`ConflictKind::Gone`],
/// unless the change leaves it without tags (then it is done: the API does
/// not return resources without tags), or it had none when the plan was
/// made (a live reader found it untagged; the API still does not return
/// it, so it still has none: pending; if it was deleted since, its tagging
/// call fails for it alone).
pub fn reconcile(change: &PlannedChange, current: Option<&BTreeMap<String, String>>) -> Reconciled {
    let untagged = BTreeMap::new();
    let current = match current {
        Some(current) => current,
        None if change.after.keys().all(|k| is_reserved(k)) => return Reconciled::AlreadyApplied,
        None if change.before.keys().all(|k| is_reserved(k)) => &untagged,
        None => return Reconciled::Conflict(Conflict { arn: change.arn.clone(), kind: ConflictKind::Gone }),
    };
    let keys: BTreeSet<&String> =
        change.before.keys().chain(change.after.keys()).chain(current.keys()).filter(|k| !is_reserved(k)).collect();
    let mut pending = TagChange::default();
    let mut conflicts = Vec::new();
    for key in keys {
        let (before, after, found) = (change.before.get(key), change.after.get(key), current.get(key));
        // A key the plan shows redacted (a conventionally secret one the
        // change does not touch) is never sent and cannot be compared.
        if found == after || (before == after && before.is_some_and(|b| b == palisade_model::REDACTED)) {
            continue;
        }
        if found == before {
            match after {
                Some(value) => {
                    pending.set.insert(key.clone(), value.clone());
                }
                None => {
                    pending.remove.insert(key.clone());
                }
            }
            continue;
        }
        conflicts.push(KeyConflict {
            key: key.clone(),
            before: before.cloned(),
            after: after.cloned(),
            found: found.cloned(),
        });
    }
    if !conflicts.is_empty() {
        Reconciled::Conflict(Conflict { arn: change.arn.clone(), kind: ConflictKind::Changed(conflicts) })
    } else if pending.is_empty() {
        Reconciled::AlreadyApplied
    } else {
        Reconciled::Pending(pending)
    }
}

/// Whether `key` is one of AWS's own (`aws:`, any case).
fn is_reserved(key: &str) -> bool {
    key.get(..RESERVED_PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(RESERVED_PREFIX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn keys_the_plan_shows_redacted_are_not_compared() {
        let mut change = planned();
        change.before.insert("db-password".into(), palisade_model::REDACTED.into());
        change.after.insert("db-password".into(), palisade_model::REDACTED.into());
        let current = tags(&[("env", "dev"), ("tmp", "1"), ("db-password", "the-real-value")]);
        match reconcile(&change, Some(&current)) {
            Reconciled::Pending(pending) => assert_eq!(pending, change.change),
            other => panic!("expected pending, got {other:?}"),
        }
    }

    /// env=dev, tmp=1 -> set owner=platform, env=prod; remove tmp.
    fn planned() -> PlannedChange {
        let before = tags(&[("env", "dev"), ("tmp", "1"), ("aws:cloudformation:stack-name", "s")]);
        let change = TagChange {
            set: tags(&[("owner", "platform"), ("env", "prod")]),
            remove: BTreeSet::from(["tmp".to_string()]),
        };
        PlannedChange {
            arn: "arn:aws:s3:::b".into(),
            region: "eu-west-1".into(),
            account: "123456789012".into(),
            resource_type: "aws_s3_bucket".into(),
            after: change.apply_to(&before),
            before,
            change,
            policies: vec!["aws-baseline/required-tags".into()],
            managed_by: None,
        }
    }

    #[test]
    fn untouched_resources_get_the_whole_change() {
        let p = planned();
        assert_eq!(reconcile(&p, Some(&p.before)), Reconciled::Pending(p.change.clone()));
    }

    #[test]
    fn a_resource_at_its_target_is_already_applied() {
        let p = planned();
        assert_eq!(reconcile(&p, Some(&p.after)), Reconciled::AlreadyApplied);
        // AWS's own keys may change at will.
        let mut now = p.after.clone();
        now.insert("aws:cloudformation:stack-name".into(), "other".into());
        assert_eq!(reconcile(&p, Some(&now)), Reconciled::AlreadyApplied);
    }

    #[test]
    fn a_half_applied_change_sends_only_the_rest() {
        let p = planned();
        // TagResources went through, UntagResources did not.
        let now = tags(&[("env", "prod"), ("owner", "platform"), ("tmp", "1")]);
        let rest = TagChange { set: BTreeMap::new(), remove: BTreeSet::from(["tmp".to_string()]) };
        assert_eq!(reconcile(&p, Some(&now)), Reconciled::Pending(rest));
    }

    #[test]
    fn other_changes_are_conflicts_naming_each_key() {
        let p = planned();
        let now = tags(&[("env", "staging"), ("tmp", "1"), ("extra", "x")]);
        let Reconciled::Conflict(c) = reconcile(&p, Some(&now)) else { panic!("a conflict") };
        let ConflictKind::Changed(keys) = &c.kind else { panic!("changed keys") };
        let names: Vec<&str> = keys.iter().map(|k| k.key.as_str()).collect();
        assert_eq!(names, ["env", "extra"]);
        assert_eq!(
            c.to_string(),
            "arn:aws:s3:::b: tag `env` is \"staging\" (the plan expected \"dev\" before, \"prod\" after); \
             tag `extra` is \"x\" (the plan expected absent before, absent after)"
        );
    }

    #[test]
    fn a_resource_not_returned_is_gone_unless_left_without_tags() {
        let p = planned();
        assert!(matches!(reconcile(&p, None), Reconciled::Conflict(Conflict { kind: ConflictKind::Gone, .. })));
        let mut emptied = planned();
        emptied.change = TagChange { set: BTreeMap::new(), remove: BTreeSet::from(["env".into(), "tmp".into()]) };
        emptied.after = emptied.change.apply_to(&emptied.before);
        assert_eq!(reconcile(&emptied, None), Reconciled::AlreadyApplied);
        // Found untagged by a live reader: still untagged, the whole change pending.
        let mut untagged = planned();
        untagged.before = BTreeMap::new();
        untagged.change = TagChange { set: tags(&[("owner", "platform")]), remove: BTreeSet::new() };
        untagged.after = untagged.change.apply_to(&untagged.before);
        match reconcile(&untagged, None) {
            Reconciled::Pending(pending) => assert_eq!(pending.set, tags(&[("owner", "platform")])),
            other => panic!("{other:?}"),
        }
    }
}
