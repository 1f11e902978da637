//! The documents that cross the host/guest boundary (`sdk/ABI.md` sections
//! 3 and 5; the WIT world `sdk/wit/palisade.wit` carries the same JSON in
//! strings), declared once for both sides: the host deserializes what the
//! Rust SDK serializes.
//!
//! Growing them follows the contract rule of `sdk/ABI.md` ("Growing the
//! contract"): a new field is optional (`#[serde(default)]`), so an older
//! guest's documents still read, and an older guest ignores it.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{EnforcementLevel, PolicyKind, Severity};

/// One policy of a describe document (ABI section 3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyInfo {
    /// Unique name in the pack, e.g. `aws-s3-bucket-disallow-public-read`.
    pub name: String,
    /// What the policy checks.
    #[serde(default)]
    pub description: String,
    /// Severity of a violation.
    pub severity: Severity,
    /// Default enforcement level.
    pub enforcement_level: EnforcementLevel,
    /// Resource or stack policy.
    #[serde(default)]
    pub kind: PolicyKind,
    /// Types judged by a resource policy; empty or `*` means every managed resource.
    #[serde(default)]
    pub resource_types: Vec<String>,
    /// JSON Schema of the policy's config (default `{"type": "object"}`).
    #[serde(default = "default_schema")]
    pub config_schema: Value,
    /// A help URL or text.
    #[serde(default)]
    pub help: Option<String>,
}

fn default_schema() -> Value {
    serde_json::json!({"type": "object"})
}

impl PolicyInfo {
    /// The config passed to the policy: `given` (or `{}`) with the defaults of
    /// the schema's top-level `properties` filled in where absent.
    pub fn config_with_defaults(&self, given: Option<&Value>) -> Value {
        let mut config = match given {
            Some(Value::Object(map)) => map.clone(),
            _ => serde_json::Map::new(),
        };
        if let Some(Value::Object(props)) = self.config_schema.get("properties") {
            for (key, schema) in props {
                if let Some(default) = schema.get("default") {
                    config.entry(key.clone()).or_insert_with(|| default.clone());
                }
            }
        }
        Value::Object(config)
    }
}

/// A pack's describe document (ABI section 3): what `palisade_describe`
/// (or the component's `describe`) returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackMetadata {
    /// Pack name.
    pub name: String,
    /// Pack version.
    pub version: String,
    /// What the pack is for.
    #[serde(default)]
    pub description: String,
    /// Its policies, in the pack's order.
    pub policies: Vec<PolicyInfo>,
}

/// The request to run one policy on the loaded batch (ABI section 5):
/// `{"policy": NAME, "config": {...}, "targets": [INDEX, ...]}`. Borrowed
/// when the host writes it, owned when a guest reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluateRequest<'a> {
    /// The policy to run.
    pub policy: Cow<'a, str>,
    /// Its config, schema defaults filled in (`null` when absent).
    #[serde(default)]
    pub config: Cow<'a, Value>,
    /// Indexes into the loaded batch of the resources to judge.
    #[serde(default)]
    pub targets: Cow<'a, [usize]>,
}

/// One violation of an evaluate reply (ABI section 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The policy that reported it; when present, the host requires it to
    /// be the policy it asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The address (or URN, or ARN) of the resource.
    pub resource: String,
    /// A sentence for people.
    pub message: String,
    /// Whether the policy could not decide because a value is unknown.
    #[serde(default)]
    pub undecided: bool,
    /// The proposed fix (ABI section 5, "Remediation"), checked by the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Value>,
}
