//! Drift: declared state (Terraform state, Pulumi stack exports) against a
//! cloud inventory, pure and in memory, like driftctl.
//!
//! [`analyze`] merges the desired state of several stacks (managed AWS
//! resources that will exist), matches each resource to the inventory
//! (by ARN, else by type and id) and sorts every resource into one of:
//!
//! - **missing**: in a state, not in the cloud;
//! - **unmanaged**: in the cloud, in no state;
//! - **changed**: matched, with different tags (each key `added`,
//!   `removed` or `changed`); AWS-reserved `aws:*` keys, provider default
//!   tags (compared through `tags_all` / `tagsAll`) and values unknown
//!   until apply are never drift; or with different attributes, among the
//!   ones [`compared_attributes`] lists for its type, normalised first
//!   (`attributes.rs`); split resources (`aws_s3_bucket_versioning`,
//!   `aws_security_group_rule`, ...) are folded into their parent by
//!   [`palisade_model::split`], and what changed through one is its own
//!   entry;
//! - **not checked**, never missing, with a [`NotCheckedReason`]: outside
//!   the scan's scopes or filters, in an incomplete scope, of a type
//!   Palisade cannot match (e.g. IAM), untagged (the Tagging API returns
//!   only tagged resources), ambiguous by id, without ARN or id, or
//!   matched but with attributes it sets unreadable
//!   ([`NotCheckedReason::Unreadable`]). An S3
//!   bucket is in its own region (its ARN names none); one whose region the
//!   state does not tell is outside the scan when not found. After a
//!   tag-filtered scan no resource is missing: its tags may have changed;
//! - **ignored**, by a rule of an [`IgnoreRules`] file (`.palisadeignore`).
//!
//! A cloud resource that several state resources of its own type claim
//! (one state file given twice, a queue matched by ARN from one file and by
//! id from another) is listed in [`DriftReport::duplicate_claims`]: a
//! warning, not drift. A run that compared no state resource with the cloud
//! (or scanned no scope) sets [`Summary::nothing_checked`].
//!
//! Coverage is managed ÷ (managed + unmanaged) cloud resources, overall
//! and per service. An incomplete scan makes the report `complete: false`:
//! it is never a clean result. [`render_text`] and [`render_json`] write
//! the [`DriftReport`]; the JSON schema is
//! `scanner/schema/drift-report.schema.json`.
//!
//! ```
//! use palisade_scanner::drift::{IgnoreRules, analyze, render_text};
//! # let inventory: palisade_model::inventory::Inventory = serde_json::from_str(r#"{"format": "palisade-inventory",
//! #   "version": 1, "provider": "aws", "started_at": "", "finished_at": "", "filters": {}, "scopes": [], "resources": []}"#)?;
//! let state = br#"{"version": 4, "terraform_version": "1.9.5", "serial": 1, "lineage": "l", "outputs": {}, "resources": []}"#;
//! let stack = palisade_input::read_input("terraform.tfstate", state, None)?;
//! let rules = IgnoreRules::parse(".palisadeignore", "type:aws_iam_*\n")?;
//! let report = analyze(&[stack], &inventory, &rules);
//! let mut text = Vec::new();
//! render_text(&report, &mut text)?;
//! assert!(!report.summary.drifted);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use palisade_model::inventory::{Inventory, InventoryResource, ScanFilters, TagFilter};
use palisade_model::model::Stack;
use palisade_model::remediation::plan::ManagedBy;

mod attributes;
mod desired;
mod ignore;
mod index;
mod json;
mod report;
mod tags;
#[cfg(test)]
mod testdata;
#[cfg(test)]
mod tests;
mod text;

pub use attributes::{COMPARED as compared_attributes, TypeAttributes};
pub use ignore::{IGNORE_FILE_NAME, IgnoreError, IgnoreErrorKind, IgnoreRule, IgnoreRuleKind, IgnoreRules};
pub use json::render_json;
pub use report::{
    AttributeChange, AttributeChangeKind, Changed, CloudRef, Coverage, DRIFT_SCHEMA_VERSION, DriftReport,
    DuplicateClaim, IgnoreRuleReport, Ignored, IncompleteScope, LeftOut, MatchedBy, NotChecked, NotCheckedReason,
    REDACTED, RuleRef, Side, StateRef, Summary, TagChange, TagChangeKind,
};
pub use text::render_text;

use desired::Desired;
use ignore::Subject;
use index::{CloudIndex, Found, cloud_ref, cloud_rule, cloud_types, scope_coverage};
use tags::SecretTags;

/// How a cloud resource was claimed by the state side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Claim {
    /// By nothing (so far): unmanaged unless ignored.
    Free,
    /// By an ignored pair or an ambiguous match: counted nowhere.
    Held,
    /// By a state resource: managed.
    Managed,
}

/// Compares the desired state of `desired` (every stack, merged) with
/// `inventory`, ignoring what `ignore` matches. Pure: no I/O, no clock.
pub fn analyze(desired: &[Stack], inventory: &Inventory, ignore: &IgnoreRules) -> DriftReport {
    let prepared = desired::prepare(desired);
    let (wanted, left_out) = desired::collect(desired, &prepared);
    let mut pass = Pass::new(inventory, ignore);
    for (j, d) in wanted.iter().enumerate() {
        pass.state_side(j, d);
    }
    let by_service = pass.cloud_side();
    pass.acc.duplicate_claims = pass.duplicate_claims(&wanted);
    let inputs = Inputs { stacks: desired, inventory, ignore };
    pass.acc.finish(inputs, Tally { state_resources: wanted.len(), left_out, by_service })
}

/// The live resources of `inventory` that a resource of `desired` manages,
/// by ARN: the state file, the address and the declared attributes
/// (Terraform-shaped, split resources folded in), matched as
/// [`analyze`] matches them (by ARN, else by type and id). A split resource
/// whose parent is elsewhere, or a resource of another type that names the
/// ARN (a policy attachment), does not manage it. `palisade remediate`
/// leaves these to code.
pub fn managed_by(desired: &[Stack], inventory: &Inventory) -> BTreeMap<String, ManagedBy> {
    let prepared = desired::prepare(desired);
    let (wanted, _) = desired::collect(desired, &prepared);
    let index = CloudIndex::new(inventory);
    let mut out = BTreeMap::new();
    for d in &wanted {
        let Found::One(i, matched_by) = index.find(d) else { continue };
        let Some(cloud) = inventory.resources.get(i) else { continue };
        let own_type = d.orphan.is_none()
            && (matched_by == MatchedBy::Id
                || d.rule.is_some_and(|rule| cloud_rule(cloud).is_some_and(|c| c.terraform == rule.terraform)));
        if own_type {
            let by =
                ManagedBy { state: d.res.source.clone(), address: d.res.address.clone(), declared: d.props.clone() };
            out.entry(cloud.arn.clone()).or_insert(by);
        }
    }
    out
}

/// One comparison in progress: the inventory indexed, what each cloud
/// resource's ignore rules are and how it was claimed, what was found.
struct Pass<'i> {
    inventory: &'i Inventory,
    ignore: &'i IgnoreRules,
    index: CloudIndex<'i>,
    /// Per cloud resource: the ignore rules matching it, ascending.
    cloud_rules: Vec<Vec<usize>>,
    /// Per cloud resource: how the state side claimed it.
    claims: Vec<Claim>,
    /// (cloud resource, desired resource) of each managed claim by a state
    /// resource of the cloud resource's own type.
    claimants: Vec<(usize, usize)>,
    /// The inventory's filters without their tag filters.
    type_filter: ScanFilters,
    acc: Acc,
}

impl<'i> Pass<'i> {
    fn new(inventory: &'i Inventory, ignore: &'i IgnoreRules) -> Pass<'i> {
        let cloud_rules = inventory
            .resources
            .iter()
            .map(|r| {
                if ignore.is_empty() {
                    return Vec::new();
                }
                ignore.matching(&Subject { arn: Some(&r.arn), types: &cloud_types(r), tags: &r.tags })
            })
            .collect();
        Pass {
            inventory,
            ignore,
            index: CloudIndex::new(inventory),
            cloud_rules,
            claims: vec![Claim::Free; inventory.resources.len()],
            claimants: Vec::new(),
            type_filter: ScanFilters { resource_types: inventory.filters.resource_types.clone(), tags: Vec::new() },
            acc: Acc { hits: vec![0; ignore.rules().len()], ..Acc::default() },
        }
    }

    fn claim(&mut self, i: usize, claim: Claim) {
        if let Some(c) = self.claims.get_mut(i) {
            *c = (*c).max(claim);
        }
    }

    /// Matches one state resource (`j`, its index among the desired) and
    /// files it: in sync, changed, ignored, not checked or missing.
    fn state_side(&mut self, j: usize, d: &Desired<'_>) {
        let state_rules = state_side_rules(self.ignore, d);
        match self.index.find(d) {
            Found::One(i, matched_by) => {
                let (Some(cloud), Some(cloud_rules)) = (self.inventory.resources.get(i), self.cloud_rules.get(i))
                else {
                    return;
                };
                if !state_rules.is_empty() || !cloud_rules.is_empty() {
                    let pair = Some(cloud_ref(cloud, &d.secret));
                    let matched = Matched { state_rules: &state_rules, cloud_rules, state: Some(d), cloud: pair };
                    self.acc.ignore(self.ignore, matched);
                    self.claim(i, Claim::Held);
                    return;
                }
                // Tags the scan could not read are not "no tags": the pair
                // is not checked (never changed, never in sync).
                if let Some(u) = cloud.unread.iter().find(|u| u.attributes.iter().any(|a| a == "tags")) {
                    let detail = format!("its tags could not be read ({}: {})", u.call, u.error);
                    let entry = NotChecked {
                        state: d.state_ref(),
                        reason: NotCheckedReason::ScanIncomplete,
                        detail,
                        candidates: vec![cloud.arn.clone()],
                    };
                    self.acc.not_checked.push(entry);
                    self.claim(i, Claim::Held);
                    return;
                }
                self.compare(d, cloud, matched_by);
                // A resource of another type whose `arn` is this one's (an
                // event target's, a topic policy's) refers to it, not claims it.
                let own_type = d.orphan.is_none()
                    && (matched_by == MatchedBy::Id
                        || d.rule.is_some_and(|rule| cloud_rule(cloud).is_some_and(|c| c.terraform == rule.terraform)));
                if own_type {
                    self.claimants.push((i, j));
                }
                self.claim(i, Claim::Managed);
            }
            _ if !state_rules.is_empty() => {
                let matched = Matched { state_rules: &state_rules, cloud_rules: &[], state: Some(d), cloud: None };
                self.acc.ignore(self.ignore, matched);
            }
            Found::Several(candidates) => {
                let mut arns: Vec<String> =
                    candidates.iter().filter_map(|&i| self.inventory.resources.get(i)).map(|r| r.arn.clone()).collect();
                arns.sort();
                for &i in &candidates {
                    self.claim(i, Claim::Held);
                }
                let detail = format!("ambiguous: {} cloud resources have id {}", arns.len(), d.id.unwrap_or_default());
                let reason = NotCheckedReason::Ambiguous;
                self.acc.not_checked.push(NotChecked { state: d.state_ref(), reason, detail, candidates: arns });
            }
            Found::Nothing => match not_checked_reason(d, self.inventory, &self.type_filter) {
                Some((reason, detail)) => {
                    let entry = NotChecked { state: d.state_ref(), reason, detail, candidates: Vec::new() };
                    self.acc.not_checked.push(entry);
                }
                None => self.acc.missing.push(d.state_ref()),
            },
        }
    }

    /// Compares a matched pair's tags and attributes: changed, not checked
    /// when nothing differs but attributes it sets were unreadable, else in
    /// sync; and a changed entry for each split resource folded into it
    /// with changes of its own.
    fn compare(&mut self, d: &Desired<'_>, cloud: &InventoryResource, matched_by: MatchedBy) {
        let tags = if d.orphan.is_some() { Vec::new() } else { d.tags.diff(&cloud.tags, &d.secret) };
        let side = attributes::DeclaredSide {
            terraform_type: d.compared_type(),
            props: d.props,
            origins: d.origins,
            orphan: d.orphan,
            id: d.id,
        };
        let found = attributes::compare(&side, cloud).unwrap_or_default();
        // Built only for what goes into the report (most pairs are in sync).
        let cloud_side = || cloud_ref(cloud, &d.secret);
        // Each split resource folded into it with changes of its own: an entry.
        for (split, mut changes) in found.splits {
            let Some(res) = d.stack.get(split) else { continue };
            attributes::redact(&mut changes, &res.secret);
            let state = split_state_ref(res);
            let (cloud, tags, not_compared) = (cloud_side(), Vec::new(), Vec::new());
            self.acc.changed.push(Changed { state, cloud, matched_by, tags, attributes: changes, not_compared });
        }
        let mut own = found.own;
        attributes::redact(&mut own, &d.res.secret);
        if !tags.is_empty() || !own.is_empty() {
            let (attributes, not_compared) = (own, found.unreadable);
            let state = d.state_ref();
            self.acc.changed.push(Changed { state, cloud: cloud_side(), matched_by, tags, attributes, not_compared });
        } else if !found.unreadable.is_empty() {
            let detail = format!("not checked: {}", found.unreadable.join("; "));
            let reason = NotCheckedReason::Unreadable;
            let entry = NotChecked { state: d.state_ref(), reason, detail, candidates: Vec::new() };
            self.acc.not_checked.push(entry);
        } else {
            self.acc.in_sync += 1;
        }
    }

    /// The cloud resources claimed by several state resources of their own
    /// type, sorted by ARN, each with its claimants sorted by address, then
    /// state file.
    fn duplicate_claims(&mut self, wanted: &[Desired<'_>]) -> Vec<DuplicateClaim> {
        self.claimants.sort_unstable();
        let mut duplicates: Vec<DuplicateClaim> = self
            .claimants
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|run| run.len() > 1)
            .filter_map(|run| {
                let cloud = self.inventory.resources.get(run.first()?.0)?;
                let mut states: Vec<StateRef> =
                    run.iter().filter_map(|&(_, j)| wanted.get(j)).map(Desired::state_ref).collect();
                states.sort_unstable_by(state_order);
                Some(DuplicateClaim { arn: cloud.arn.clone(), states })
            })
            .collect();
        duplicates.sort_unstable_by(|a, b| a.arn.cmp(&b.arn));
        duplicates
    }

    /// Files the cloud resources no state resource claimed (unmanaged or
    /// ignored) and counts coverage: (managed, unmanaged) per service.
    fn cloud_side(&mut self) -> BTreeMap<&'i str, (usize, usize)> {
        let mut by_service = BTreeMap::new();
        // Inventories are sorted by ARN: services come in runs, counted
        // here and added up when the service changes.
        let mut run: (&str, usize, usize) = ("", 0, 0);
        let no_secret = SecretTags::None;
        let inventory = self.inventory;
        for ((r, claim), rules_here) in inventory.resources.iter().zip(&self.claims).zip(&self.cloud_rules) {
            // A resource that belongs to another (a root volume to its
            // instance) or that AWS made itself (a VPC's default security
            // group) is never unmanaged: no configuration declares it.
            let owned = r.part_of.is_some();
            let counted = *claim == Claim::Managed || (*claim == Claim::Free && rules_here.is_empty() && !owned);
            if counted && run.0 != r.service {
                add_run(&mut by_service, run);
                run = (&r.service, 0, 0);
            }
            match claim {
                Claim::Managed => run.1 += 1,
                Claim::Held => {}
                Claim::Free if !rules_here.is_empty() => {
                    let cloud = Some(cloud_ref(r, &no_secret));
                    let matched = Matched { state_rules: &[], cloud_rules: rules_here, state: None, cloud };
                    self.acc.ignore(self.ignore, matched);
                }
                Claim::Free if owned => {}
                Claim::Free => {
                    run.2 += 1;
                    self.acc.unmanaged.push(cloud_ref(r, &no_secret));
                }
            }
        }
        add_run(&mut by_service, run);
        by_service
    }
}

/// The state entry of a split resource folded into its parent.
fn split_state_ref(res: &palisade_model::model::Resource) -> StateRef {
    let text = |k: &str| res.props.get(k).and_then(serde_json::Value::as_str).map(str::to_string);
    StateRef {
        address: res.address.clone(),
        resource_type: res.resource_type.clone(),
        source: res.source.clone(),
        arn: None,
        id: text("id"),
    }
}

/// Adds a run of one service's (managed, unmanaged) counts.
fn add_run<'i>(
    by_service: &mut BTreeMap<&'i str, (usize, usize)>,
    (service, managed, unmanaged): (&'i str, usize, usize),
) {
    if managed + unmanaged > 0 {
        let counts = by_service.entry(service).or_default();
        counts.0 += managed;
        counts.1 += unmanaged;
    }
}

/// The ignore rules matching a state resource, ascending.
fn state_side_rules(ignore: &IgnoreRules, d: &Desired<'_>) -> Vec<usize> {
    if ignore.is_empty() {
        return Vec::new();
    }
    let types = d.all_types();
    let types: Vec<&str> = types.iter().map(|t| t.as_ref()).collect();
    let empty = BTreeMap::new();
    let tags = d.tags.known_map().unwrap_or(&empty);
    ignore.matching(&Subject { arn: d.arn, types: &types, tags })
}

/// Why an unmatched state resource is not checked; `None`: it is missing.
/// `type_filter`: the inventory's resource type filters alone.
fn not_checked_reason(
    d: &Desired<'_>,
    inventory: &Inventory,
    type_filter: &ScanFilters,
) -> Option<(NotCheckedReason, String)> {
    let ty = &d.res.resource_type;
    match (d.rule, d.arn, d.id) {
        (None, None, _) => {
            let detail = format!("Palisade cannot match {ty} yet, and it has no ARN");
            return Some((NotCheckedReason::UnsupportedType, detail));
        }
        (Some(_), None, None) => {
            return Some((NotCheckedReason::NoIdentity, "no known ARN or id (not created yet?)".into()));
        }
        _ => {}
    }
    let incomplete = match scope_coverage(&inventory.scopes, d) {
        index::Coverage::Outside if inventory.scopes.is_empty() => {
            return Some((NotCheckedReason::OutsideScan, "outside the scan: the inventory scanned nothing".into()));
        }
        index::Coverage::Outside => {
            let detail = format!("outside the scan: no scanned scope covers {}", d.location());
            return Some((NotCheckedReason::OutsideScan, detail));
        }
        index::Coverage::Incomplete(s) => Some(s),
        index::Coverage::Complete => None,
    };
    if d.bucket && d.region.is_none() {
        let detail = "outside the scan: its region is unknown (the state has no region or \
                      bucket_regional_domain_name) and the scan is not known to cover every region";
        return Some((NotCheckedReason::OutsideScan, detail.into()));
    }
    if d.arn.is_none() && d.region.is_none() && d.guess_region.is_none() {
        let detail = "outside the scan: its region is unknown (no ARN, no region, and its state's ARNs name no \
                      one region) and the scan is not known to cover every region";
        return Some((NotCheckedReason::OutsideScan, detail.into()));
    }
    if !type_filter.resource_types.is_empty()
        && let Some(tagging_type) = d.tagging_type()
        && !type_filter.admits(&tagging_type, &BTreeMap::new())
    {
        let detail = format!("outside the scan's filters: type {tagging_type} was not looked for");
        return Some((NotCheckedReason::OutsideFilters, detail));
    }
    let tag_filters = &inventory.filters.tags;
    if !tag_filters.is_empty() {
        let detail = format!(
            "outside the scan's filters: the scan looked only for tags {}, and a tag-filtered scan cannot prove a \
             resource absent (its tags may have changed)",
            tag_filter_text(tag_filters)
        );
        return Some((NotCheckedReason::OutsideFilters, detail));
    }
    if let Some(s) = incomplete {
        let scope = if s.account.is_empty() { s.region.clone() } else { format!("{}/{}", s.account, s.region) };
        let why = s.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
        return Some((NotCheckedReason::ScanIncomplete, format!("the scan of {scope} did not complete{why}")));
    }
    if d.rule.is_none() {
        let detail = format!(
            "Palisade cannot match {ty} yet, and its ARN was not in the scan (the Tagging API may not return this type)"
        );
        return Some((NotCheckedReason::UnsupportedType, detail));
    }
    // A type a live reader listed is seen whether tagged or not; others
    // only through the Tagging API, which lists tagged resources of the
    // types it knows.
    let read = d.rule.is_some_and(|rule| read_by_a_reader(inventory, rule.terraform));
    if !read && d.rule.is_some_and(|rule| !rule.tagging) {
        let detail = format!(
            "not read by this scan: the Tagging API does not list {ty}, and no live reader of it ran (a scan \
             with the iam reader, inventory version 2, reads it)"
        );
        return Some((NotCheckedReason::UnsupportedType, detail));
    }
    if !read && d.tags.is_untagged() {
        let detail = "invisible to the Tagging API: it returns only tagged resources, and this one has no tags";
        return Some((NotCheckedReason::Untagged, detail.into()));
    }
    None
}

/// Whether a live reader listed `terraform_type` in some scope of the
/// inventory (its per-type statistics; none in version 1 snapshots).
fn read_by_a_reader(inventory: &Inventory, terraform_type: &str) -> bool {
    inventory.scopes.iter().any(|s| s.types.contains_key(terraform_type))
}

/// Tag filters in words: `env=prod`, `team=a|b`, `owner` (any value), joined by `, `.
fn tag_filter_text(filters: &[TagFilter]) -> String {
    let one = |f: &TagFilter| {
        if f.values.is_empty() { f.key.clone() } else { format!("{}={}", f.key, f.values.join("|")) }
    };
    filters.iter().map(one).collect::<Vec<_>>().join(", ")
}

/// The report's order of state entries: address, state file, ARN.
fn state_order(a: &StateRef, b: &StateRef) -> std::cmp::Ordering {
    (&a.address, &a.source, &a.arn).cmp(&(&b.address, &b.source, &b.arn))
}

/// What an analysis compares: the stacks, the inventory, the ignore rules.
#[derive(Clone, Copy)]
struct Inputs<'a> {
    stacks: &'a [Stack],
    inventory: &'a Inventory,
    ignore: &'a IgnoreRules,
}

/// The counts of an analysis that are not lists of [`Acc`].
struct Tally<'a> {
    /// The state resources analysed.
    state_resources: usize,
    /// The state resources not looked at.
    left_out: LeftOut,
    /// Per service: (managed, unmanaged) cloud resources.
    by_service: BTreeMap<&'a str, (usize, usize)>,
}

/// An entry that ignore rules matched: its state and cloud sides, and the
/// rules matching each side (ascending indices).
struct Matched<'a, 'd> {
    state_rules: &'a [usize],
    cloud_rules: &'a [usize],
    state: Option<&'a Desired<'d>>,
    cloud: Option<CloudRef>,
}

/// The lists and counts being gathered.
#[derive(Default)]
struct Acc {
    missing: Vec<StateRef>,
    unmanaged: Vec<CloudRef>,
    changed: Vec<Changed>,
    not_checked: Vec<NotChecked>,
    ignored: Vec<Ignored>,
    duplicate_claims: Vec<DuplicateClaim>,
    in_sync: usize,
    /// Per ignore rule: entries it matched.
    hits: Vec<usize>,
}

impl Acc {
    /// Records an ignored entry, matched by rules of `ignore`.
    fn ignore(&mut self, ignore: &IgnoreRules, matched: Matched<'_, '_>) {
        let Matched { state_rules: state, cloud_rules: cloud, state: d, cloud: cloud_side } = matched;
        let mut all: Vec<usize> = state.iter().chain(cloud).copied().collect();
        all.sort_unstable();
        all.dedup();
        for &i in &all {
            if let Some(h) = self.hits.get_mut(i) {
                *h += 1;
            }
        }
        let Some(rule) = all.first().and_then(|&i| ignore.rules().get(i)) else {
            return;
        };
        let matched_on = if state.first() == all.first() { Side::State } else { Side::Cloud };
        self.ignored.push(Ignored {
            state: d.map(Desired::state_ref),
            cloud: cloud_side,
            rule: RuleRef { file: rule.file.clone(), line: rule.line, text: rule.text.clone() },
            matched_on,
        });
    }

    /// The report: the lists sorted, the summary counted, each ignore rule
    /// with its matches.
    fn finish(mut self, inputs: Inputs<'_>, tally: Tally<'_>) -> DriftReport {
        let Inputs { stacks, inventory, ignore } = inputs;
        let Tally { state_resources, left_out, by_service } = tally;
        self.missing.sort_unstable_by(state_order);
        self.unmanaged.sort_unstable_by(|a, b| a.arn.cmp(&b.arn));
        self.changed
            .sort_unstable_by(|a, b| state_order(&a.state, &b.state).then_with(|| a.cloud.arn.cmp(&b.cloud.arn)));
        self.not_checked.sort_unstable_by(|a, b| state_order(&a.state, &b.state));
        self.ignored.sort_unstable_by(|a, b| ignored_key(a).cmp(&ignored_key(b)));
        let mut not_checked_by_reason: BTreeMap<NotCheckedReason, usize> =
            NotCheckedReason::ALL.iter().map(|r| (*r, 0)).collect();
        for n in &self.not_checked {
            *not_checked_by_reason.entry(n.reason).or_default() += 1;
        }
        let (managed, unmanaged) = by_service.values().fold((0, 0), |(m, u), (sm, su)| (m + sm, u + su));
        let coverage_by_service =
            by_service.into_iter().map(|(s, (m, u))| (s.to_string(), Coverage::new(m, u))).collect();
        let compared = self.in_sync + self.changed.len() + self.missing.len();
        let summary = Summary {
            drifted: !(self.missing.is_empty() && self.unmanaged.is_empty() && self.changed.is_empty()),
            nothing_checked: inventory.scopes.is_empty() || (state_resources > 0 && compared == 0),
            state_resources,
            cloud_resources: inventory.resources.len(),
            missing: self.missing.len(),
            unmanaged: self.unmanaged.len(),
            changed: self.changed.len(),
            in_sync: self.in_sync,
            not_checked: self.not_checked.len(),
            not_checked_by_reason,
            ignored: self.ignored.len(),
            managed,
            left_out,
            coverage: Coverage::new(managed, unmanaged),
            coverage_by_service,
            duplicate_claims: self.duplicate_claims.len(),
        };
        let ignore_rules = ignore
            .rules()
            .iter()
            .zip(&self.hits)
            .map(|(r, &matched)| IgnoreRuleReport {
                file: r.file.clone(),
                line: r.line,
                text: r.text.clone(),
                kind: r.kind.name(),
                matched,
            })
            .collect();
        DriftReport {
            schema_version: DRIFT_SCHEMA_VERSION,
            complete: inventory.is_complete(),
            incomplete_scopes: inventory
                .incomplete_scopes()
                .map(|s| IncompleteScope {
                    account: s.account.clone(),
                    region: s.region.clone(),
                    error: s.error.clone(),
                })
                .collect(),
            sources: stacks.iter().map(|s| s.source.clone()).collect(),
            summary,
            missing: self.missing,
            unmanaged: self.unmanaged,
            changed: self.changed,
            not_checked: self.not_checked,
            ignored: self.ignored,
            duplicate_claims: self.duplicate_claims,
            ignore_rules,
        }
    }
}

/// Sort key of an ignored entry: address (or ARN), state file, cloud ARN.
fn ignored_key(i: &Ignored) -> (&str, &str, &str) {
    let cloud_arn = i.cloud.as_ref().map_or("", |c| c.arn.as_str());
    match &i.state {
        Some(s) => (&s.address, &s.source, cloud_arn),
        None => (cloud_arn, "", cloud_arn),
    }
}
