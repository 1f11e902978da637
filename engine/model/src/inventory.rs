//! Inventory snapshots: the cloud resources a scan saw, as written by
//! `palisade scan --output FILE` and read back by every command that takes
//! inventory.
//!
//! Format `palisade-inventory`, version [`INVENTORY_VERSION`]; the JSON
//! schema is `engine/schema/inventory.schema.json`. A snapshot records, for
//! each scanned account and region (a [`ScanScope`]), whether its scan
//! completed, so that an incomplete scan can never be read back as a clean
//! one. The resources follow the AWS Resource Groups Tagging API's
//! `GetResources` model (ARN and tags), with the Terraform type and id that
//! Palisade derives from the ARN where it knows the resource type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{Operation, Resource, ResourceKind};

/// The value of a snapshot's `format` field.
pub const INVENTORY_FORMAT: &str = "palisade-inventory";

/// The snapshot version this build writes and reads.
pub const INVENTORY_VERSION: u32 = 1;

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
    /// Whether a resource of Tagging API type `resource_type` with `tags`
    /// would have been returned by a scan with these filters. A type filter
    /// `ec2` accepts every `ec2:*` type, as the API does.
    pub fn admits(&self, resource_type: &str, tags: &BTreeMap<String, String>) -> bool {
        let type_ok = self.resource_types.is_empty()
            || self.resource_types.iter().any(|f| {
                f == resource_type || resource_type.strip_prefix(f.as_str()).is_some_and(|rest| rest.starts_with(':'))
            });
        type_ok && self.tags.iter().all(|f| f.matches(tags))
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
    /// `no-op`, [partial](Resource::partial) resource per inventory resource,
    /// addressed by ARN, typed by its Terraform type where known (else its
    /// Tagging API type), with props `arn`, `id` (where known), `region`,
    /// `account`, `tags` and `tags_all` (the same map). `source` names the
    /// snapshot or scan.
    pub fn to_resources(&self, source: &str) -> Vec<Resource> {
        self.resources.iter().map(|r| r.to_resource(source)).collect()
    }
}

impl InventoryResource {
    /// This resource in the normalized model (see [`Inventory::to_resources`]).
    pub fn to_resource(&self, source: &str) -> Resource {
        let tags: Map<String, Value> = self.tags.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let mut props = Map::new();
        props.insert("arn".into(), Value::String(self.arn.clone()));
        if let Some(id) = &self.id {
            props.insert("id".into(), Value::String(id.clone()));
        }
        props.insert("region".into(), Value::String(self.region.clone()));
        props.insert("account".into(), Value::String(self.account.clone()));
        props.insert("tags".into(), Value::Object(tags.clone()));
        props.insert("tags_all".into(), Value::Object(tags));
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
            partial: true,
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
