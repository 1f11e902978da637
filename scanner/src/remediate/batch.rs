//! Grouping tag changes into Tagging API calls within AWS's limits. Pure.
//!
//! `TagResources` takes up to [`MAX_ARNS_PER_CALL`] ARNs and one tag map
//! for all of them; `UntagResources` up to as many ARNs and one list of
//! keys. So changes are grouped by region and identical map (or key list),
//! and each group is cut into calls of at most 20 ARNs.
//! API reference:
//! <https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_TagResources.html>.

use std::collections::{BTreeMap, BTreeSet};

use palisade_model::remediation::TagChange;

/// The most ARNs one `TagResources` or `UntagResources` call takes.
pub const MAX_ARNS_PER_CALL: usize = 20;

/// What one call does to all of its ARNs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TagAction {
    /// `TagResources` with this tag map.
    Tag(BTreeMap<String, String>),
    /// `UntagResources` with these keys.
    Untag(BTreeSet<String>),
}

/// One Tagging API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The region the call goes to.
    pub region: String,
    /// What it does.
    pub action: TagAction,
    /// Its ARNs: 1 to [`MAX_ARNS_PER_CALL`], sorted.
    pub arns: Vec<String>,
}

/// The calls that make `changes`, given as `(region, ARN, change)`: every
/// `TagResources` call first (by region, then tag map), then every
/// `UntagResources` call (by region, then keys), each with at most
/// [`MAX_ARNS_PER_CALL`] ARNs that share the call's map or keys. An empty
/// `set` or `remove` gives no call.
pub fn batches<'a>(changes: impl IntoIterator<Item = (&'a str, &'a str, &'a TagChange)>) -> Vec<Batch> {
    let mut groups: BTreeMap<(bool, &str, TagAction), BTreeSet<&str>> = BTreeMap::new();
    for (region, arn, change) in changes {
        if !change.set.is_empty() {
            groups.entry((false, region, TagAction::Tag(change.set.clone()))).or_default().insert(arn);
        }
        if !change.remove.is_empty() {
            groups.entry((true, region, TagAction::Untag(change.remove.clone()))).or_default().insert(arn);
        }
    }
    let mut out = Vec::new();
    for ((_, region, action), arns) in groups {
        let arns: Vec<&str> = arns.into_iter().collect();
        for chunk in arns.chunks(MAX_ARNS_PER_CALL) {
            out.push(Batch {
                region: region.to_string(),
                action: action.clone(),
                arns: chunk.iter().map(|a| a.to_string()).collect(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pairs: &[(&str, &str)]) -> TagChange {
        TagChange { set: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), remove: BTreeSet::new() }
    }

    #[test]
    fn calls_share_one_map_and_hold_at_most_twenty_arns() {
        let both = set(&[("owner", "platform"), ("cost-center", "0000")]);
        let one = set(&[("owner", "platform")]);
        let mut untag = set(&[("owner", "platform")]);
        untag.remove.insert("tmp".into());
        let arns: Vec<String> = (0..45).map(|i| format!("arn:aws:sns:eu-west-1:123456789012:t{i:02}")).collect();
        let mut changes: Vec<(&str, &str, &TagChange)> =
            arns.iter().map(|a| ("eu-west-1", a.as_str(), &both)).collect();
        changes.push(("eu-west-1", "arn:aws:sns:eu-west-1:123456789012:one", &one));
        changes.push(("us-east-1", "arn:aws:sns:us-east-1:123456789012:u", &untag));
        let calls = batches(changes);
        let shape: Vec<(&str, usize, bool)> =
            calls.iter().map(|b| (b.region.as_str(), b.arns.len(), matches!(b.action, TagAction::Tag(_)))).collect();
        assert_eq!(
            shape,
            [
                ("eu-west-1", 20, true),
                ("eu-west-1", 20, true),
                ("eu-west-1", 5, true),
                ("eu-west-1", 1, true),
                ("us-east-1", 1, true),
                ("us-east-1", 1, false),
            ]
        );
        assert_eq!(calls[0].action, TagAction::Tag(both.set.clone()));
        assert_eq!(calls[3].arns, ["arn:aws:sns:eu-west-1:123456789012:one"]);
        assert_eq!(calls[5].action, TagAction::Untag(BTreeSet::from(["tmp".to_string()])));
        assert!(calls.iter().all(|b| b.arns.windows(2).all(|w| w[0] < w[1])), "sorted ARNs");
    }
}
