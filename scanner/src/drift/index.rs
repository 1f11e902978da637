//! The cloud side: the inventory indexed for matching, and its scopes.
//!
//! A state resource matches a cloud resource by ARN when the state has a
//! valid one; otherwise by type and id: the
//! cloud resources whose rule is the state type's rule and whose derived
//! id has the same [`id_key`], narrowed to the state resource's region and
//! account when those are known. Log group ARNs are compared without the
//! `:*` suffix some tools record.

use std::collections::HashMap;
use std::sync::OnceLock;

use palisade_model::inventory::{Inventory, InventoryResource, ScanScope, ScopeStatus};

use super::desired::Desired;
use super::report::{CloudRef, MatchedBy};
use crate::arn::{TypeRule, classify, id_key, rule_for_type};

/// What a state resource found in the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// Exactly one cloud resource (its index).
    One(usize, MatchedBy),
    /// Several cloud resources share its id (their indices, in inventory order).
    Several(Vec<usize>),
    /// None.
    Nothing,
}

/// The inventory, indexed by ARN and (on first use) by rule and id.
pub(crate) struct CloudIndex<'a> {
    inventory: &'a Inventory,
    by_arn: HashMap<&'a str, usize>,
    by_id: OnceLock<HashMap<(&'static str, String), Vec<usize>>>,
}

/// The ARN as compared: without a trailing `:*` (log groups).
pub(crate) fn arn_key(arn: &str) -> &str {
    arn.strip_suffix(":*").unwrap_or(arn)
}

impl<'a> CloudIndex<'a> {
    /// Indexes `inventory` by ARN (the first resource wins a duplicate ARN).
    pub(crate) fn new(inventory: &'a Inventory) -> CloudIndex<'a> {
        let mut by_arn = HashMap::with_capacity(inventory.resources.len());
        for (i, r) in inventory.resources.iter().enumerate() {
            by_arn.entry(arn_key(&r.arn)).or_insert(i);
        }
        CloudIndex { inventory, by_arn, by_id: OnceLock::new() }
    }

    /// The cloud resource(s) `d` matches.
    pub(crate) fn find(&self, d: &Desired<'_>) -> Found {
        if let Some(arn) = d.arn {
            return match self.by_arn.get(arn_key(arn)) {
                Some(&i) => Found::One(i, MatchedBy::Arn),
                None => Found::Nothing,
            };
        }
        let (Some(rule), Some(id)) = (d.rule, d.id) else {
            return Found::Nothing;
        };
        let by_id = self.by_id.get_or_init(|| self.index_ids());
        let resources = &self.inventory.resources;
        let at = |i: usize, region: Option<&str>, account: Option<&str>| {
            resources.get(i).is_some_and(|r| {
                region.is_none_or(|want| r.region == want) && account.is_none_or(|want| r.account == want)
            })
        };
        let all = by_id.get(&(rule.terraform, id_key(rule, id))).map_or(&[][..], Vec::as_slice);
        // Where the state says it is, for sure; then, among several, where
        // its state file's other resources are.
        let mut candidates: Vec<usize> = all.iter().copied().filter(|&i| at(i, d.region, d.account)).collect();
        if candidates.len() > 1 {
            let (region, account) = d.place();
            let narrowed: Vec<usize> = candidates.iter().copied().filter(|&i| at(i, region, account)).collect();
            if !narrowed.is_empty() {
                candidates = narrowed;
            }
        }
        match candidates.as_slice() {
            [] => Found::Nothing,
            [one] => Found::One(*one, MatchedBy::Id),
            _ => Found::Several(candidates),
        }
    }

    fn index_ids(&self) -> HashMap<(&'static str, String), Vec<usize>> {
        let mut by_id: HashMap<(&'static str, String), Vec<usize>> = HashMap::new();
        for (i, r) in self.inventory.resources.iter().enumerate() {
            if let Some((rule, id)) = rule_and_id(r) {
                by_id.entry((rule.terraform, id_key(rule, &id))).or_default().push(i);
            }
        }
        by_id
    }
}

/// A cloud resource's rule and id: as the inventory records them, else as
/// Palisade derives them from the ARN.
fn rule_and_id(r: &InventoryResource) -> Option<(&'static TypeRule, String)> {
    let recorded = r.terraform_type.as_deref().and_then(rule_for_type);
    match (recorded, &r.id) {
        (Some(rule), Some(id)) => Some((rule, id.clone())),
        _ => {
            let c = classify(&r.arn, &r.region, &r.account)?;
            Some((recorded.or(c.rule)?, r.id.clone().or(c.id)?))
        }
    }
}

/// The rule of a cloud resource's type: as the inventory records it, else
/// as Palisade derives it from the ARN.
pub(crate) fn cloud_rule(r: &InventoryResource) -> Option<&'static TypeRule> {
    r.terraform_type.as_deref().and_then(rule_for_type).or_else(|| classify(&r.arn, &r.region, &r.account)?.rule)
}

/// Every type a cloud resource goes by, for `type:` ignore rules: its
/// Tagging API type, its Terraform type and the Pulumi types of its rule.
pub(crate) fn cloud_types(r: &InventoryResource) -> Vec<&str> {
    let mut types = vec![r.resource_type.as_str()];
    if let Some(tf) = &r.terraform_type {
        types.push(tf);
        types.extend(rule_for_type(tf).into_iter().flat_map(|rule| rule.pulumi.iter().copied()));
    }
    types
}

/// The report's view of a cloud resource, with the values of `secret` tag
/// keys (secret in the state it is paired with) redacted.
pub(crate) fn cloud_ref(r: &InventoryResource, secret: &super::tags::SecretTags<'_>) -> CloudRef {
    CloudRef {
        arn: r.arn.clone(),
        resource_type: r.resource_type.clone(),
        terraform_type: r.terraform_type.clone(),
        service: r.service.clone(),
        region: r.region.clone(),
        account: r.account.clone(),
        tags: r.tags.iter().map(|(k, v)| (k.clone(), secret.show(k, v))).collect(),
    }
}

/// Whether the scan looked where a state resource lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coverage<'a> {
    /// No scanned scope covers its account and region.
    Outside,
    /// A covering scope did not complete (the first such).
    Incomplete(&'a ScanScope),
    /// Every covering scope completed.
    Complete,
}

/// Which scopes cover `d` (at its [`Desired::place`]): those of its region
/// (any, when unknown or global) and its account (any, when unknown; a scope whose account the
/// scan could not learn covers every account).
pub(crate) fn scope_coverage<'i>(scopes: &'i [ScanScope], d: &Desired<'_>) -> Coverage<'i> {
    let (region, account) = d.place();
    let mut covering = scopes.iter().filter(|s| {
        region.is_none_or(|r| s.region == r) && account.is_none_or(|a| s.account.is_empty() || s.account == a)
    });
    let Some(first) = covering.next() else {
        return Coverage::Outside;
    };
    // S3 buckets and IAM are listed in the account's global scope: its
    // failure leaves them unchecked whatever their region's scope says.
    let global_type = d.rule.is_some_and(|r| r.service == "s3" || r.service == "iam");
    let global = scopes.iter().filter(|s| {
        global_type
            && s.region == palisade_model::inventory::GLOBAL_SCOPE
            && account.is_none_or(|a| s.account.is_empty() || s.account == a)
    });
    match std::iter::once(first).chain(covering).chain(global).find(|s| s.status == ScopeStatus::Incomplete) {
        Some(s) => Coverage::Incomplete(s),
        None => Coverage::Complete,
    }
}
