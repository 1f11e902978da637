//! Test helpers: states from `scanner/tests/data/` and inventories that
//! mirror them, as the Tagging API would list them.

use std::collections::BTreeMap;

use palisade_input::read_input;
use palisade_model::inventory::{Inventory, InventoryResource, ScanFilters, ScanScope, ScopeStatus};
use palisade_model::model::Stack;

use super::desired;
use super::index::arn_key;
use crate::arn::{Arn, IdRule, classify};

/// The state file `path` (under `scanner/tests/data/`), its source named `path`.
pub(crate) fn stack(path: &str) -> Stack {
    let full = format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    read_input(path, &bytes, None).unwrap_or_else(|e| panic!("{e}"))
}

/// A complete scope.
pub(crate) fn scope(account: &str, region: &str) -> ScanScope {
    ScanScope {
        account: account.into(),
        region: region.into(),
        role_arn: None,
        status: ScopeStatus::Complete,
        error: None,
        pages: 1,
        resources: 0,
        calls: Default::default(),
        types: Default::default(),
    }
}

/// An inventory of `resources` (sorted by ARN) seen by `scopes`.
pub(crate) fn inventory(scopes: Vec<ScanScope>, mut resources: Vec<InventoryResource>) -> Inventory {
    resources.sort_by(|a, b| a.arn.cmp(&b.arn));
    Inventory {
        format: "palisade-inventory".into(),
        version: 1,
        provider: "aws".into(),
        started_at: "2026-11-30T10:00:00Z".into(),
        finished_at: "2026-11-30T10:00:05Z".into(),
        filters: ScanFilters::default(),
        scopes,
        resources,
    }
}

/// A cloud resource as a scan records it; `region` and `account` fill in
/// what the ARN leaves empty.
pub(crate) fn cloud(arn: &str, region: &str, account: &str, tags: &[(&str, &str)]) -> InventoryResource {
    let c = classify(arn, region, account).unwrap_or_else(|| panic!("not an ARN: {arn}"));
    let parsed = Arn::parse(arn).unwrap_or_else(|| panic!("not an ARN: {arn}"));
    let pick = |own: &str, fallback: &str| if own.is_empty() { fallback.to_string() } else { own.to_string() };
    InventoryResource {
        arn: arn.into(),
        service: c.service,
        resource_type: c.resource_type,
        terraform_type: c.rule.map(|r| r.terraform.to_string()),
        id: c.id,
        region: pick(parsed.region, region),
        account: pick(parsed.account, account),
        tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        seen_at: "2026-11-30T10:00:01Z".into(),
        found_by: palisade_model::inventory::FOUND_BY_TAGGING.into(),
        raw: None,
        properties: None,
        unread: Vec::new(),
        part_of: None,
    }
}

/// The cloud resources behind `stacks` as the Tagging API lists them: every
/// ARN of a desired resource (or, without one, derived from its id in
/// `region`/`account`) whose type Palisade knows, with the declared tags
/// (`tags_all`) and configuration (the Terraform-shaped props, as a live
/// reader would have read them). Untagged ones only when `untagged`. Log group ARNs lose
/// their `:*`, as the API lists them.
pub(crate) fn mirror(stacks: &[Stack], region: &str, account: &str, untagged: bool) -> Vec<InventoryResource> {
    let prepared = desired::prepare(stacks);
    let (wanted, _) = desired::collect(stacks, &prepared);
    let mut seen: BTreeMap<String, InventoryResource> = BTreeMap::new();
    // Resources of a matched type first, so their tags win a shared ARN.
    let (ruled, others): (Vec<_>, Vec<_>) = wanted.iter().partition(|d| d.rule.is_some());
    for d in ruled.into_iter().chain(others) {
        let arn = match (d.arn, d.rule, d.id) {
            (Some(arn), _, _) => arn_key(arn).to_string(),
            (None, Some(rule), Some(id)) => match (rule.id, rule.arn_type) {
                (IdRule::Arn, _) => id.to_string(),
                (IdRule::Rest, Some(t)) => format!("arn:aws:{}:{region}:{account}:{t}/{id}", rule.service),
                (IdRule::SqsUrl, _) => {
                    let name = id.rsplit('/').next().unwrap_or(id);
                    format!("arn:aws:sqs:{region}:{account}:{name}")
                }
                _ => continue,
            },
            _ => continue,
        };
        if d.tags.is_untagged() && !untagged || seen.contains_key(&arn) {
            continue;
        }
        if classify(&arn, region, account).and_then(|c| c.rule).is_none() {
            continue;
        }
        let tags: Vec<(&str, &str)> = d.tags.known_map().into_iter().flatten().map(|(k, v)| (*k, v.as_ref())).collect();
        let mut mirrored = cloud(&arn, region, account, &tags);
        // A live reader's view: the declared configuration itself.
        mirrored.properties = d.props.as_object().cloned();
        seen.insert(arn.clone(), mirrored);
    }
    seen.into_values().collect()
}
