//! The drift report model: what [`analyze`](super::analyze) found, one
//! model for every output format ([`render_text`](super::render_text),
//! [`render_json`](super::render_json)).
//!
//! The JSON form is schema version [`DRIFT_SCHEMA_VERSION`], described by
//! `scanner/schema/drift-report.schema.json`. Every list is sorted (state
//! entries by address then state file, cloud entries by ARN), so a report
//! never depends on input order beyond its content. Secret tag values
//! (Terraform `sensitive_attributes`, Pulumi secrets) are shown as
//! `[secret]`.

use std::collections::BTreeMap;

use serde::Serialize;

pub use super::attributes::{AttributeChange, AttributeChangeKind};

/// The `schema_version` of the JSON report.
pub const DRIFT_SCHEMA_VERSION: u32 = 1;

/// What replaces a secret tag value in a report.
pub const REDACTED: &str = "[secret]";

/// The result of comparing declared state with a cloud inventory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    /// Always [`DRIFT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Whether every scope of the scan completed. When false, resources in
    /// the incomplete scopes are not checked, and "no drift" cannot be
    /// trusted.
    pub complete: bool,
    /// The scopes whose scan did not complete, as the inventory records them.
    pub incomplete_scopes: Vec<IncompleteScope>,
    /// The state files compared (each stack's `source`), in the order given.
    pub sources: Vec<String>,
    /// Counts and coverage.
    pub summary: Summary,
    /// State resources the cloud does not have, sorted by address, then state file.
    pub missing: Vec<StateRef>,
    /// Cloud resources no state has, sorted by ARN.
    pub unmanaged: Vec<CloudRef>,
    /// Matched resources whose tags differ, sorted by address, then state file.
    pub changed: Vec<Changed>,
    /// State resources whose drift could not be decided, with why; sorted by
    /// address, then state file.
    pub not_checked: Vec<NotChecked>,
    /// Resources (state, cloud, or a matched pair) an ignore rule matched,
    /// sorted by address (or ARN for cloud-only entries).
    pub ignored: Vec<Ignored>,
    /// Cloud resources that several state resources of their own type
    /// matched (one state file given twice, two stacks managing one
    /// resource), sorted by ARN: a warning, not drift. Each such state
    /// resource is counted in [`Summary::in_sync`] or listed in
    /// [`DriftReport::changed`] on its own. Ignored matches are left out.
    pub duplicate_claims: Vec<DuplicateClaim>,
    /// Every ignore rule, in file order, with how many entries it matched.
    pub ignore_rules: Vec<IgnoreRuleReport>,
}

/// A scope (account and region) whose scan did not complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncompleteScope {
    /// The account id; empty when the scan could not learn it.
    pub account: String,
    /// The region.
    pub region: String,
    /// The error that stopped the scan, when recorded.
    pub error: Option<String>,
}

/// Counts over the whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Whether anything is missing, unmanaged or changed.
    pub drifted: bool,
    /// Whether the run compared nothing: the inventory has no scopes, or
    /// there are state resources but none was compared with the cloud
    /// (each one not checked or ignored). "No drift" then proves nothing.
    pub nothing_checked: bool,
    /// State resources compared: managed AWS resources that will exist, from
    /// every state file.
    pub state_resources: usize,
    /// Resources in the inventory.
    pub cloud_resources: usize,
    /// Entries of [`DriftReport::missing`].
    pub missing: usize,
    /// Entries of [`DriftReport::unmanaged`].
    pub unmanaged: usize,
    /// Entries of [`DriftReport::changed`]: state resources, and split
    /// resources folded into one (counted in [`LeftOut::folded`], not in
    /// [`Summary::state_resources`]) with changes of their own.
    pub changed: usize,
    /// Matched state resources whose tags and compared attributes agree
    /// with the cloud (tags not tracked or not known are not compared).
    pub in_sync: usize,
    /// Entries of [`DriftReport::not_checked`].
    pub not_checked: usize,
    /// [`Summary::not_checked`] by reason; every reason code is present.
    pub not_checked_by_reason: BTreeMap<NotCheckedReason, usize>,
    /// Entries of [`DriftReport::ignored`].
    pub ignored: usize,
    /// Entries of [`DriftReport::duplicate_claims`].
    pub duplicate_claims: usize,
    /// Cloud resources matched to at least one (not ignored) state resource.
    pub managed: usize,
    /// State resources left out of the comparison.
    pub left_out: LeftOut,
    /// Managed ÷ (managed + unmanaged) over every service.
    pub coverage: Coverage,
    /// The same per service (the ARN's service: `ec2`, `s3`), sorted by service.
    pub coverage_by_service: BTreeMap<String, Coverage>,
}

/// State resources that drift analysis does not look at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// Data sources, providers, components, and resources being deleted or
    /// forgotten.
    pub not_managed: usize,
    /// Managed resources of other providers than AWS.
    pub not_aws: usize,
    /// Split resources (`aws_s3_bucket_versioning`, `aws_security_group_rule`,
    /// ...) folded into a parent of their stack: compared with it, their
    /// changes listed under their own address.
    pub folded: usize,
}

/// Infrastructure-as-code coverage: how much of the cloud a state manages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Coverage {
    /// Cloud resources matched to a state resource.
    pub managed: usize,
    /// Cloud resources in no state.
    pub unmanaged: usize,
    /// `100 × managed ÷ (managed + unmanaged)`, rounded to two decimals;
    /// `None` (JSON `null`) when there is no cloud resource to count.
    pub percent: Option<f64>,
}

impl Coverage {
    /// Coverage of `managed` out of `managed + unmanaged`.
    pub fn new(managed: usize, unmanaged: usize) -> Coverage {
        let total = managed + unmanaged;
        let percent = (total > 0).then(|| (10_000.0 * managed as f64 / total as f64).round() / 100.0);
        Coverage { managed, unmanaged, percent }
    }
}

/// A resource as a state file declares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct StateRef {
    /// Terraform address (`aws_instance.web`) or Pulumi URN.
    pub address: String,
    /// Terraform (`aws_instance`) or Pulumi (`aws:ec2/instance:Instance`) type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The state file it was read from.
    pub source: String,
    /// Its ARN, when the state records a valid one.
    pub arn: Option<String>,
    /// Its id, when the state records one.
    pub id: Option<String>,
}

/// A resource as the scan saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloudRef {
    /// The ARN.
    pub arn: String,
    /// The Tagging API resource type (`ec2:instance`, `s3`).
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The Terraform type, where Palisade knows it.
    pub terraform_type: Option<String>,
    /// The ARN's service (`ec2`).
    pub service: String,
    /// The region (for S3 buckets, the region whose scan saw it first).
    pub region: String,
    /// The account id.
    pub account: String,
    /// The tags the cloud has.
    pub tags: BTreeMap<String, String>,
}

/// A cloud resource that several state resources claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateClaim {
    /// The cloud resource's ARN.
    pub arn: String,
    /// The state resources matched to it (two or more), sorted by address,
    /// then state file.
    pub states: Vec<StateRef>,
}

/// How a state resource was matched to a cloud resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchedBy {
    /// The state's `arn` is the cloud resource's ARN.
    Arn,
    /// Same type, and the state's `id` is the id derived from the cloud ARN.
    Id,
}

impl MatchedBy {
    /// The wire name: `arn` or `id`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Arn => "arn",
            MatchedBy::Id => "id",
        }
    }
}

/// A matched pair whose tags or attributes differ. A change found through
/// a split resource (`aws_s3_bucket_versioning`) is its own entry, with
/// that resource as `state` and its parent's cloud resource as `cloud`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changed {
    /// The state side.
    pub state: StateRef,
    /// The cloud side.
    pub cloud: CloudRef,
    /// How the two were matched.
    pub matched_by: MatchedBy,
    /// The differing tags, sorted by key.
    pub tags: Vec<TagChange>,
    /// The differing attributes, in the order of the type's compared
    /// attributes ([`compared_attributes`](super::compared_attributes)),
    /// secrets redacted.
    pub attributes: Vec<AttributeChange>,
    /// Compared attributes that could not be read, with why (`policy
    /// unreadable (s3:GetBucketPolicy denied: ...)`): not compared.
    pub not_compared: Vec<String>,
}

/// One tag that differs between the state and the cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagChange {
    /// The tag key.
    pub key: String,
    /// What differs.
    pub kind: TagChangeKind,
    /// The value the state declares; `None` for `added`.
    pub desired: Option<String>,
    /// The value the cloud has; `None` for `removed`.
    pub actual: Option<String>,
}

/// How a tag differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TagChangeKind {
    /// In the cloud, not in the state.
    Added,
    /// In the state, not in the cloud.
    Removed,
    /// In both, with different values.
    Changed,
}

impl TagChangeKind {
    /// The wire name: `added`, `removed`, `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            TagChangeKind::Added => "added",
            TagChangeKind::Removed => "removed",
            TagChangeKind::Changed => "changed",
        }
    }
}

/// A state resource whose drift could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotChecked {
    /// The state resource.
    pub state: StateRef,
    /// Why, as a code.
    pub reason: NotCheckedReason,
    /// Why, in words, with the specifics (type, scope, id).
    pub detail: String,
    /// For [`NotCheckedReason::Ambiguous`]: the ARNs of the candidates,
    /// sorted; for a tag-unread [`NotCheckedReason::ScanIncomplete`], the
    /// cloud resource's ARN; else empty.
    pub candidates: Vec<String>,
}

/// Why a state resource was not checked. Serialized as its [`code`](Self::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotCheckedReason {
    /// No scanned scope covers its account and region; or it is an S3
    /// bucket whose region the state does not tell.
    OutsideScan,
    /// The scan's resource type filters exclude it; or the scan was
    /// filtered by tag, and a tag-filtered scan cannot prove a resource
    /// absent (its tags may have changed).
    OutsideFilters,
    /// The scan of its scope (or, without a region to tell, of some scope)
    /// did not complete.
    ScanIncomplete,
    /// Palisade cannot match its type yet, and its ARN (if any) was not seen;
    /// the Tagging API may not return this type at all (e.g. IAM).
    UnsupportedType,
    /// It has no tags (other than `aws:` ones) and the scan did not see it:
    /// the Tagging API returns only tagged resources.
    Untagged,
    /// Matched by id, several cloud resources have that id.
    Ambiguous,
    /// Neither a known ARN nor a known id (e.g. not created yet).
    NoIdentity,
    /// Matched, but attributes the state sets could not be read (a
    /// permission missing, a call failed or skipped, or no live reader of
    /// its type ran): never "in sync".
    Unreadable,
}

impl NotCheckedReason {
    /// Every reason, in report order.
    pub const ALL: [NotCheckedReason; 8] = [
        NotCheckedReason::OutsideScan,
        NotCheckedReason::OutsideFilters,
        NotCheckedReason::ScanIncomplete,
        NotCheckedReason::UnsupportedType,
        NotCheckedReason::Untagged,
        NotCheckedReason::Ambiguous,
        NotCheckedReason::NoIdentity,
        NotCheckedReason::Unreadable,
    ];

    /// The code used in JSON: `outside_scan`, `outside_filters`,
    /// `scan_incomplete`, `unsupported_type`, `untagged`, `ambiguous`,
    /// `no_identity`, `unreadable`.
    pub fn code(self) -> &'static str {
        match self {
            NotCheckedReason::OutsideScan => "outside_scan",
            NotCheckedReason::OutsideFilters => "outside_filters",
            NotCheckedReason::ScanIncomplete => "scan_incomplete",
            NotCheckedReason::UnsupportedType => "unsupported_type",
            NotCheckedReason::Untagged => "untagged",
            NotCheckedReason::Ambiguous => "ambiguous",
            NotCheckedReason::NoIdentity => "no_identity",
            NotCheckedReason::Unreadable => "unreadable",
        }
    }

    /// A one-line explanation of the reason in general.
    pub fn description(self) -> &'static str {
        match self {
            NotCheckedReason::OutsideScan => {
                "outside the scan: no scanned account and region covers them (or, for S3 buckets, their region is unknown)"
            }
            NotCheckedReason::OutsideFilters => {
                "outside the scan's filters (resource types; after a tag-filtered scan, every resource not found)"
            }
            NotCheckedReason::ScanIncomplete => "their scope's scan did not complete",
            NotCheckedReason::UnsupportedType => {
                "types Palisade cannot match yet, not seen by ARN (the Tagging API may not return them)"
            }
            NotCheckedReason::Untagged => "invisible to the Tagging API: it returns only tagged resources",
            NotCheckedReason::Ambiguous => "several cloud resources have their id",
            NotCheckedReason::NoIdentity => "no known ARN or id (not created yet?)",
            NotCheckedReason::Unreadable => "matched, but attributes the state sets could not be read",
        }
    }
}

/// A resource, or a matched pair, that an ignore rule matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ignored {
    /// The state side, if any.
    pub state: Option<StateRef>,
    /// The cloud side, if any.
    pub cloud: Option<CloudRef>,
    /// The first rule (in file order) that matched either side.
    pub rule: RuleRef,
    /// The side that rule matched (the state side when it matched both).
    pub matched_on: Side,
}

/// A side of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The declared state.
    State,
    /// The cloud inventory.
    Cloud,
}

/// Where an ignore rule is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// The ignore file's name as given.
    pub file: String,
    /// The 1-based line number.
    pub line: usize,
    /// The rule as written (trimmed).
    pub text: String,
}

/// An ignore rule and how much it matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IgnoreRuleReport {
    /// The ignore file's name as given.
    pub file: String,
    /// The 1-based line number.
    pub line: usize,
    /// The rule as written (trimmed).
    pub text: String,
    /// `arn`, `type` or `tag`.
    pub kind: &'static str,
    /// How many entries of [`DriftReport::ignored`] it matches (on either
    /// side; an entry matched by several rules counts for each).
    pub matched: usize,
}
