//! Inventory snapshots: the cloud resources a scan saw, as written by
//! `palisade scan --output FILE` and read back by every command that takes
//! inventory.
//!
//! Format `palisade-inventory`, version [`INVENTORY_VERSION`]; the JSON
//! schema is `engine/schema/inventory.schema.json`. A snapshot records, for
//! each scanned account and region (a [`ScanScope`]), whether its scan
//! completed, so that an incomplete scan can never be read back as a clean
//! one. Each resource has its ARN, tags, Terraform type and id; a resource
//! found by a live reader (version 2) also has the reader's raw output per
//! call, the Terraform-shaped properties mapped from it, and the attributes
//! that could not be read, with why ([`Unread`]). Resources of types without
//! a reader come from the AWS Resource Groups Tagging API (`GetResources`):
//! ARN and tags only. Version 1 snapshots (tags only) are still read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{Operation, Resource, ResourceKind};

/// The value of a snapshot's `format` field.
pub const INVENTORY_FORMAT: &str = "palisade-inventory";

/// The snapshot version this build writes.
pub const INVENTORY_VERSION: u32 = 2;

/// The snapshot versions this build reads: 1 (Tagging API only) and 2.
pub const INVENTORY_VERSIONS_READ: [u32; 2] = [1, INVENTORY_VERSION];

/// [`InventoryResource::found_by`] of a resource the Tagging API found (and
/// of every resource of a version 1 snapshot).
pub const FOUND_BY_TAGGING: &str = "tag:GetResources";

/// Terraform types AWS cannot tag: their resources get no `tags` or
/// `tags_all` properties, so tag policies leave them alone.
pub const UNTAGGABLE_TYPES: &[&str] = &["aws_iam_account_password_policy"];

/// The region of a scope that reads an account's global services (IAM, the
/// S3 bucket list).
pub const GLOBAL_SCOPE: &str = "global";

/// A whole snapshot: what was asked, what answered, what was seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// Always [`INVENTORY_FORMAT`].
    pub format: String,
    /// [`INVENTORY_VERSION`].
    pub version: u32,
    /// The cloud provider scanned: `aws`.
    pub provider: String,
    /// When the scan started, RFC 3339 in UTC (`2026-11-30T10:00:00Z`).
    pub started_at: String,
    /// When the scan ended, RFC 3339 in UTC.
    pub finished_at: String,
    /// The filters the scan applied; resources outside them were not looked for.
    pub filters: ScanFilters,
    /// One entry per account and region scanned, in (account, region) order.
    pub scopes: Vec<ScanScope>,
    /// Every resource seen, once per ARN, sorted by ARN.
    pub resources: Vec<InventoryResource>,
}

/// The filters of a scan (`--resource-type`, `--tag`), as passed to
/// `GetResources` (`ResourceTypeFilters`, `TagFilters`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanFilters {
    /// Tagging API resource types (`ec2:instance`, `s3`); empty: all types.
    #[serde(default)]
    pub resource_types: Vec<String>,
    /// Tag filters; a resource must match every one. Empty: no tag filter.
    #[serde(default)]
    pub tags: Vec<TagFilter>,
}

/// One tag filter: the key must be present, with one of `values` when any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagFilter {
    /// The tag key.
    pub key: String,
    /// Accepted values; empty means any value.
    #[serde(default)]
    pub values: Vec<String>,
}

impl TagFilter {
    /// Whether `tags` pass this filter.
    pub fn matches(&self, tags: &BTreeMap<String, String>) -> bool {
        match tags.get(&self.key) {
            Some(v) => self.values.is_empty() || self.values.iter().any(|w| w == v),
            None => false,
        }
    }
}

impl ScanFilters {
    /// Whether the type filter admits Tagging API type `resource_type` (the
    /// tag filters aside).
    pub fn admits_type(&self, resource_type: &str) -> bool {
        self.resource_types.is_empty()
            || self.resource_types.iter().any(|f| {
                f == resource_type || resource_type.strip_prefix(f.as_str()).is_some_and(|rest| rest.starts_with(':'))
            })
    }

    /// Whether a resource of Tagging API type `resource_type` with `tags`
    /// would have been returned by a scan with these filters. A type filter
    /// `ec2` accepts every `ec2:*` type, as the API does.
    pub fn admits(&self, resource_type: &str, tags: &BTreeMap<String, String>) -> bool {
        self.admits_type(resource_type) && self.tags.iter().all(|f| f.matches(tags))
    }
}

/// The scan of one account in one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanScope {
    /// The 12-digit account id; empty when it could not be learned.
    pub account: String,
    /// The region, e.g. `eu-west-1`.
    pub region: String,
    /// The role assumed for this account (`--assume-role`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Whether every page was read.
    pub status: ScopeStatus,
    /// Why the scan is incomplete (the last error, after retries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `GetResources` pages read.
    pub pages: u64,
    /// Resources returned by this scope (before de-duplication across regions).
    pub resources: u64,
    /// Calls made, by IAM action (`ec2:DescribeSecurityGroups`), retries not
    /// counted; empty in version 1 snapshots.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub calls: BTreeMap<String, u64>,
    /// Per Terraform type read by a live reader in this scope: the resources
    /// found and the calls made for them (list and detail calls).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub types: BTreeMap<String, TypeStats>,
}

/// What a live reader did in one scope for one resource type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeStats {
    /// Resources found.
    pub resources: u64,
    /// Calls made for them: list calls and detail calls, retries not counted.
    pub calls: u64,
}

/// Attributes of a resource that could not be read: one detail call's
/// failure. The attributes hold [`crate::model::UNKNOWN`] in the resource's
/// properties, so the policies that need them are undecided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unread {
    /// The IAM action of the call not made or failed (`s3:GetBucketAcl`):
    /// the permission to grant when [`UnreadReason::Denied`].
    pub call: String,
    /// Why the attributes are unknown.
    pub reason: UnreadReason,
    /// The Terraform attributes left unknown (`grant`, `acl`).
    pub attributes: Vec<String>,
    /// The service's error (`AccessDenied: Access Denied (HTTP 403)`), or
    /// why the call was not made.
    pub error: String,
}

/// Why attributes of a resource are unknown ([`Unread::reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnreadReason {
    /// The call was refused for lack of permission (`AccessDenied`,
    /// `UnauthorizedOperation`, `AccessDeniedException`).
    Denied,
    /// The call failed after its retries (throttled, an error of the service).
    Failed,
    /// The call was not made: no loaded policy judges the type, and drift
    /// was not asked (`palisade scan --pack`).
    Skipped,
}

/// Whether a [`ScanScope`] was read to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeStatus {
    /// Every page was read.
    Complete,
    /// A call failed after its retries; the resources listed are a part only.
    Incomplete,
}

/// A resource seen by a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryResource {
    /// The ARN (unique in a snapshot).
    pub arn: String,
    /// The ARN's service, e.g. `ec2`, `s3`.
    pub service: String,
    /// The Tagging API resource type: `service:type` (`ec2:instance`), or
    /// the service alone when the ARN has no type (`s3`, `sqs`, `sns`).
    pub resource_type: String,
    /// The Terraform AWS provider type (`aws_instance`), where Palisade knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terraform_type: Option<String>,
    /// The resource's id as Terraform state records it (`i-0abc`, a bucket
    /// name, a queue URL's last segment), where Palisade knows how to derive it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The region the resource lives in; for resources whose ARN names no
    /// region (S3 buckets), the region whose scan saw it first.
    pub region: String,
    /// The account id; from the ARN, else the scope's account.
    pub account: String,
    /// The resource's tags.
    pub tags: BTreeMap<String, String>,
    /// When the scan saw it, RFC 3339 in UTC.
    pub seen_at: String,
    /// The call that found it: a reader's list call as an IAM action
    /// (`ec2:DescribeSecurityGroups`), or [`FOUND_BY_TAGGING`].
    #[serde(default = "found_by_tagging")]
    pub found_by: String,
    /// A live reader's output, per call (`DescribeSecurityGroups`,
    /// `GetBucketAcl`): the API's response members under their documented
    /// names; `null` for a setting the call says is not configured
    /// (`ServerSideEncryptionConfigurationNotFoundError`). Kept so that a
    /// mapping can be fixed without a rescan. Absent for resources the
    /// Tagging API found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Map<String, Value>>,
    /// The properties mapped from `raw`, in the Terraform AWS provider's
    /// attribute shape (`ingress[].cidr_blocks[]`), as the policies read
    /// them. Absent for resources the Tagging API found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Value>>,
    /// The attributes that could not be read, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<Unread>,
    /// What this resource belongs to, when no configuration declares it on
    /// its own: the instance of a root volume (`i-0abc`, Terraform's
    /// `aws_instance.root_block_device`), or `aws` for what AWS creates
    /// itself (a VPC's `default` security group). Drift never reports such
    /// a resource unmanaged; policies judge it as any other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<String>,
}

fn found_by_tagging() -> String {
    FOUND_BY_TAGGING.to_string()
}

impl Inventory {
    /// Whether every scope completed.
    pub fn is_complete(&self) -> bool {
        self.scopes.iter().all(|s| s.status == ScopeStatus::Complete)
    }

    /// The scopes that did not complete.
    pub fn incomplete_scopes(&self) -> impl Iterator<Item = &ScanScope> {
        self.scopes.iter().filter(|s| s.status == ScopeStatus::Incomplete)
    }

    /// One line per incomplete scope, `SOURCE: ACCOUNT REGION: error`
    /// (`(unknown account)` when the account could not be read), for
    /// reports and errors; empty for a complete snapshot.
    pub fn incomplete_lines(&self, source: &str) -> Vec<String> {
        self.incomplete_scopes()
            .map(|s| {
                let account = if s.account.is_empty() { "(unknown account)" } else { s.account.as_str() };
                format!("{source}: {account} {}: {}", s.region, s.error.as_deref().unwrap_or("incomplete"))
            })
            .collect()
    }

    /// One line per call that could not be made for some resources
    /// (`s3:GetBucketAcl was denied (AccessDenied: ...): grant it to read
    /// grant of 2 resources; undecided where a policy needs them: ARN, ARN`),
    /// naming the permission and the resources it
    /// affected (the first 5, then a count), in call order; empty when
    /// every attribute was read; then one line for the resources whose
    /// detail calls were skipped (`scan --pack`, types no pack judged).
    /// Reports carry these as notes.
    pub fn unread_lines(&self) -> Vec<String> {
        type Affected<'a> = (Vec<&'a str>, std::collections::BTreeSet<&'a str>, &'a str);
        let mut by_call: BTreeMap<(&str, UnreadReason), Affected<'_>> = BTreeMap::new();
        for r in &self.resources {
            for u in r.unread.iter().filter(|u| u.reason != UnreadReason::Skipped) {
                let entry = by_call
                    .entry((u.call.as_str(), u.reason))
                    .or_insert_with(|| (Vec::new(), Default::default(), u.error.as_str()));
                entry.0.push(r.arn.as_str());
                entry.1.extend(u.attributes.iter().map(String::as_str));
            }
        }
        let skipped: Vec<&str> = self
            .resources
            .iter()
            .filter(|r| r.unread.iter().any(|u| u.reason == UnreadReason::Skipped))
            .map(|r| r.arn.as_str())
            .collect();
        let skipped_line = (!skipped.is_empty()).then(|| {
            format!(
                "{} resource{} read without their detail calls (the scan's packs did not judge their types): \
                 policies that need those attributes are undecided; a scan without --pack reads them: {}{}",
                skipped.len(),
                if skipped.len() == 1 { " was" } else { "s were" },
                skipped.iter().take(5).copied().collect::<Vec<_>>().join(", "),
                if skipped.len() > 5 { format!(" and {} more", skipped.len() - 5) } else { String::new() }
            )
        });
        by_call
            .into_iter()
            .map(|((call, reason), (arns, attributes, error))| {
                let shown: Vec<&str> = arns.iter().take(5).copied().collect();
                let more = if arns.len() > 5 { format!(" and {} more", arns.len() - 5) } else { String::new() };
                let attributes: Vec<&str> = attributes.into_iter().collect();
                let n = arns.len();
                let resources = if n == 1 { "1 resource".to_string() } else { format!("{n} resources") };
                let what = match reason {
                    UnreadReason::Denied => format!(
                        "{call} was denied ({error}): grant it to read {} of {resources}",
                        attributes.join(", ")
                    ),
                    _ => format!("{call} failed ({error}): {} unread on {resources}", attributes.join(", ")),
                };
                format!("{what}; undecided where a policy needs them: {}{more}", shown.join(", "))
            })
            .chain(skipped_line)
            .collect()
    }

    /// The snapshot file's bytes, as `palisade scan --output` writes them:
    /// pretty-printed JSON and a final newline. A live scan's input digest
    /// is the SHA-256 of these bytes, so it equals the digest `check` gives
    /// the written file.
    ///
    /// # Errors
    /// Only if serde_json fails to serialize (it does not for this type).
    pub fn to_snapshot_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// The resources in the normalized model, for policies: one managed,
    /// `no-op` resource per inventory resource, addressed by ARN, typed by
    /// its Terraform type where known (else its Tagging API type), with
    /// props `arn`, `id` (where known), `region`, `account`, `tags` and
    /// `tags_all` (the same map), over the mapped properties of a resource
    /// a live reader read; the others are [partial](Resource::partial).
    /// `source` names the snapshot or scan.
    pub fn to_resources(&self, source: &str) -> Vec<Resource> {
        self.resources.iter().map(|r| r.to_resource(source)).collect()
    }
}

impl InventoryResource {
    /// This resource in the normalized model (see [`Inventory::to_resources`]).
    /// A resource a live reader read is whole (not partial): its
    /// [`properties`](Self::properties), with the unread attributes
    /// [`crate::model::UNKNOWN`]. A resource the Tagging API found is
    /// partial: ARN, id, region, account and tags only.
    pub fn to_resource(&self, source: &str) -> Resource {
        let tags: Map<String, Value> = self.tags.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let mut props = self.properties.clone().unwrap_or_default();
        props.insert("arn".into(), Value::String(self.arn.clone()));
        if let Some(id) = &self.id {
            props.insert("id".into(), Value::String(id.clone()));
        }
        props.insert("region".into(), Value::String(self.region.clone()));
        props.insert("account".into(), Value::String(self.account.clone()));
        if !self.terraform_type.as_deref().is_some_and(|t| UNTAGGABLE_TYPES.contains(&t)) {
            props.entry("tags").or_insert_with(|| Value::Object(tags.clone()));
            props.entry("tags_all").or_insert(Value::Object(tags));
        }
        for attribute in self.unread.iter().flat_map(|u| &u.attributes) {
            props.insert(attribute.clone(), Value::String(crate::model::UNKNOWN.to_string()));
        }
        let name = self.id.clone().unwrap_or_else(|| arn_tail(&self.arn).to_string());
        Resource {
            address: self.arn.clone(),
            resource_type: self.terraform_type.clone().unwrap_or_else(|| self.resource_type.clone()),
            name,
            provider: "aws".into(),
            kind: ResourceKind::Managed,
            op: Operation::NoOp,
            props: Value::Object(props),
            before: None,
            secret: Vec::new(),
            unset: Vec::new(),
            encrypted: Vec::new(),
            source: source.to_string(),
            partial: self.properties.is_none(),
        }
    }
}

/// The last `/` or `:` separated segment of an ARN.
fn arn_tail(arn: &str) -> &str {
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resource(extra: Value) -> InventoryResource {
        let mut r = json!({"arn": "arn:aws:s3:::b", "service": "s3", "resource_type": "s3",
            "terraform_type": "aws_s3_bucket", "id": "b", "region": "eu-west-1", "account": "123456789012",
            "tags": {"owner": "me"}, "seen_at": "2026-12-07T00:00:00Z"});
        if let (Some(r), Value::Object(extra)) = (r.as_object_mut(), extra) {
            r.extend(extra);
        }
        serde_json::from_value(r).expect("a snapshot resource")
    }

    #[test]
    fn a_version_1_resource_is_partial_and_found_by_the_tagging_api() {
        let r = resource(json!({}));
        assert_eq!(r.found_by, FOUND_BY_TAGGING);
        let model = r.to_resource("s.json");
        assert!(model.partial);
        assert_eq!(model.props["tags_all"], json!({"owner": "me"}));
    }

    #[test]
    fn a_read_resource_is_whole_with_its_unread_attributes_unknown() {
        let r = resource(json!({"found_by": "s3:ListBuckets", "properties": {"bucket": "b", "versioning": []},
            "unread": [{"call": "s3:GetBucketAcl", "reason": "denied", "attributes": ["grant"],
                        "error": "AccessDenied: Access Denied (HTTP 403)"}]}));
        let model = r.to_resource("live:aws");
        assert!(!model.partial);
        assert_eq!(model.props["grant"], json!(crate::model::UNKNOWN));
        assert_eq!(model.props["versioning"], json!([]));
        assert_eq!(model.props["tags"], json!({"owner": "me"}));
        let inventory = Inventory {
            format: INVENTORY_FORMAT.into(),
            version: INVENTORY_VERSION,
            provider: "aws".into(),
            started_at: String::new(),
            finished_at: String::new(),
            filters: ScanFilters::default(),
            scopes: Vec::new(),
            resources: vec![r],
        };
        assert_eq!(
            inventory.unread_lines(),
            vec![
                "s3:GetBucketAcl was denied (AccessDenied: Access Denied (HTTP 403)): grant it to read grant of 1 \
                 resource; undecided where a policy needs them: arn:aws:s3:::b"
                    .to_string()
            ]
        );
    }

    #[test]
    fn filters_admit_like_the_api() {
        let tags: BTreeMap<String, String> = [("env".to_string(), "prod".to_string())].into();
        let f = ScanFilters { resource_types: vec!["ec2".into()], tags: vec![] };
        assert!(f.admits("ec2:instance", &tags));
        assert!(!f.admits("ec2x:instance", &tags));
        assert!(!f.admits("s3", &tags));
        let f = ScanFilters {
            resource_types: vec![],
            tags: vec![TagFilter { key: "env".into(), values: vec!["dev".into(), "prod".into()] }],
        };
        assert!(f.admits("s3", &tags));
        assert!(!f.admits("s3", &BTreeMap::new()));
    }
}
