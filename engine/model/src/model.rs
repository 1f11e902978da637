//! The normalized resource model every policy sees, whatever the input format.
//!
//! One [`Resource`] per managed object, data source, provider or component, as
//! read from a Terraform plan or state, a Pulumi stack export, preview or event
//! log. Unknown values (known only after apply) are marked in-band inside
//! `props` with [`UNKNOWN`]; secret values are listed by path in `secret`.
//! This is also the wire shape of guest ABI v1 (`sdk/ABI.md`, "Resource").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use palisade_abi::UNKNOWN;

/// One step of a [`Path`]: an object key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSegment {
    /// A list index (0-based).
    Index(usize),
    /// An object key.
    Key(String),
}

/// A path from the root of `props` to a value, e.g. `["tags", "Owner"]`.
pub type Path = Vec<PathSegment>;

/// What kind of object a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    /// A managed resource (Terraform `mode: managed`, Pulumi `custom: true`).
    Managed,
    /// A Terraform data source (`mode: data`) or a Pulumi read resource.
    Data,
    /// A provider configuration (Pulumi `pulumi:providers:*`).
    Provider,
    /// A Pulumi component resource (`custom: false`), including the stack.
    Component,
}

impl ResourceKind {
    /// The wire name, e.g. `"managed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Managed => "managed",
            ResourceKind::Data => "data",
            ResourceKind::Provider => "provider",
            ResourceKind::Component => "component",
        }
    }
}

/// What the change does to the resource.
///
/// Terraform `change.actions` and Pulumi step ops map onto these; state files
/// and stack exports give [`Operation::NoOp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// The resource will be created.
    Create,
    /// The resource will be updated in place.
    Update,
    /// The resource will be replaced (deleted and created, either order).
    Replace,
    /// The resource will be deleted.
    Delete,
    /// A data source will be read.
    Read,
    /// No change: the resource exists and stays as it is.
    NoOp,
    /// Removed from state without being destroyed (Terraform `forget`).
    Forget,
    /// An existing object is imported under management.
    Import,
}

impl Operation {
    /// The wire name, e.g. `"no-op"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Replace => "replace",
            Operation::Delete => "delete",
            Operation::Read => "read",
            Operation::NoOp => "no-op",
            Operation::Forget => "forget",
            Operation::Import => "import",
        }
    }

    /// Whether the input changes the resource: anything but `no-op` and
    /// `read`. Of the changed resources, resource policies judge those that
    /// exist after the change (create, update, replace, import: an object
    /// brought under management is judged in the change that imports it,
    /// since later plans show it as `no-op`); a stack policy's violation on
    /// a resource being deleted or forgotten is about this change too.
    pub fn is_change(self) -> bool {
        !matches!(self, Operation::NoOp | Operation::Read)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which resources resource policies judge (`palisade check --only-changed`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ChangeScope {
    /// Every resource a policy targets (the default).
    #[default]
    All,
    /// Only resources the input changes ([`Operation::is_change`]): resource
    /// policies judge only the changed resources that will exist (created,
    /// updated, replaced, imported), and stack policies, which still see
    /// the whole stack, report only their violations on changed resources
    /// (deleted ones included).
    Changed,
}

impl ChangeScope {
    /// Whether a resource with operation `op` is judged in this scope.
    pub fn includes(self, op: Operation) -> bool {
        match self {
            ChangeScope::All => true,
            ChangeScope::Changed => op.is_change(),
        }
    }
}

/// A resource in the normalized model (wire shape of ABI v1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Terraform address (`module.a["k"].aws_s3_bucket.b[0]`) or Pulumi URN.
    pub address: String,
    /// Resource type: `aws_s3_bucket` or `aws:s3/bucket:Bucket`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The resource's own name (last segment of the address or URN).
    pub name: String,
    /// Provider: Terraform provider name or Pulumi provider reference; may be empty.
    #[serde(default)]
    pub provider: String,
    /// What kind of object this is.
    pub kind: ResourceKind,
    /// What the change does.
    pub op: Operation,
    /// Values the resource will have (plan, preview) or has (state, export).
    /// Unknown leaves hold [`UNKNOWN`]. An object, or null when deleted.
    pub props: Value,
    /// Values before the change, when the input has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// Paths (within `props` and `before`) of secret values; a path marks
    /// everything beneath it secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret: Vec<Path>,
    /// Paths (within `props`) of values the configuration does not set and
    /// the provider fills in at apply (Terraform's Optional + Computed
    /// attributes left out of the `configuration` section, and computed-only
    /// ones). Each holds [`UNKNOWN`] in `props`, so a guest that does not
    /// know this field reads it as unknown; a path marks everything beneath
    /// it. A value set by an expression that is unknown at plan time is not
    /// listed: it stays unknown. Empty for inputs without a configuration
    /// (ABI section 4, "Not set and encrypted values").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unset: Vec<Path>,
    /// Paths (within `props`) of values the input holds encrypted (a Pulumi
    /// secret as ciphertext, an event log's `[secret]`): unreadable here,
    /// and not unknown. Each holds [`UNKNOWN`] in `props` and is also listed
    /// in `secret`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encrypted: Vec<Path>,
    /// The input file this resource was read from.
    pub source: String,
    /// Whether only the properties present in `props` are known: every
    /// top-level key absent from `props` is unknown, not absent. True for
    /// live inventory resources, which carry their ARN and tags only (ABI v1
    /// section 4, "Partial resources").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

impl Resource {
    /// Whether resource policies evaluate this resource: managed resources
    /// that will exist after the change (not deleted, not forgotten).
    /// Data sources, providers and components are left to stack policies,
    /// unless a policy names their type (see [`Resource::is_targeted_by`]).
    pub fn is_policy_target(&self) -> bool {
        self.kind == ResourceKind::Managed && self.will_exist()
    }

    /// Whether the resource exists after the change.
    pub fn will_exist(&self) -> bool {
        !matches!(self.op, Operation::Delete | Operation::Forget)
    }

    /// Whether a resource policy declaring `types` evaluates this resource:
    /// the rule of ABI section 3, [`palisade_abi::is_targeted`].
    pub fn is_targeted_by(&self, types: &[String]) -> bool {
        palisade_abi::is_targeted(self.kind.as_str(), self.will_exist(), &self.resource_type, types)
    }

    /// Whether `types` (a resource policy's `resource_types`) names this
    /// resource's type by the rule of [`Resource::is_targeted_by`], whatever
    /// the operation: a resource being deleted still shows that a pack's
    /// types fit the input.
    pub fn has_type_in(&self, types: &[String]) -> bool {
        palisade_abi::is_targeted(self.kind.as_str(), true, &self.resource_type, types)
    }
}

/// The resources of one input file, evaluated together as one stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    /// The input's path as given on the command line (`-` for standard input).
    pub source: String,
    /// The format the input was read as.
    pub format: InputFormat,
    /// Every resource of the input, in input order.
    pub resources: Vec<Resource>,
    /// What the reader says once about the whole input, for the run's
    /// warnings and the report (e.g. a plan without a `configuration`
    /// section, whose left-out values read as unknown). Usually empty.
    pub notes: Vec<String>,
}

impl Stack {
    /// How many resources are policy targets ([`Resource::is_policy_target`]).
    pub fn policy_target_count(&self) -> usize {
        self.resources.iter().filter(|r| r.is_policy_target()).count()
    }
}

/// Whether `value` is the unknown marker.
pub fn is_unknown(value: &Value) -> bool {
    value.as_str() == Some(UNKNOWN)
}

/// An input format Palisade reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// `terraform show -json PLANFILE`, format_version 0.1 to 1.2.
    TfPlan,
    /// Terraform state, version 4.
    TfState,
    /// `pulumi stack export` (version 3) or a checkpoint file (v3/v4).
    PulumiExport,
    /// `pulumi preview --json`.
    PulumiPreview,
    /// Pulumi engine event log (`--event-log`), one JSON event per line.
    PulumiEvents,
    /// A Palisade inventory snapshot (`palisade scan --output`), version 1
    /// ([`crate::inventory`]).
    Inventory,
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::TfPlan => "tfplan",
            InputFormat::TfState => "tfstate",
            InputFormat::PulumiExport => "pulumi-export",
            InputFormat::PulumiPreview => "pulumi-preview",
            InputFormat::PulumiEvents => "pulumi-events",
            InputFormat::Inventory => "inventory",
        })
    }
}

/// The names [`InputFormat`] parses from and displays as, in declaration order.
pub const FORMAT_NAMES: &[&str] =
    &["tfplan", "tfstate", "pulumi-export", "pulumi-preview", "pulumi-events", "inventory"];

const ALL_FORMATS: &[InputFormat] = &[
    InputFormat::TfPlan,
    InputFormat::TfState,
    InputFormat::PulumiExport,
    InputFormat::PulumiPreview,
    InputFormat::PulumiEvents,
    InputFormat::Inventory,
];

impl FromStr for InputFormat {
    type Err = String;

    /// Parses one of [`FORMAT_NAMES`] (ASCII case-insensitive); the error
    /// names the accepted values.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        ALL_FORMATS
            .iter()
            .copied()
            .find(|f| f.to_string().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| format!("unknown input format {wanted:?}; expected one of: {}", FORMAT_NAMES.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(kind: ResourceKind, op: Operation, ty: &str) -> Resource {
        Resource {
            address: format!("{ty}.x"),
            resource_type: ty.into(),
            name: "x".into(),
            provider: String::new(),
            kind,
            op,
            props: Value::Null,
            before: None,
            secret: Vec::new(),
            unset: Vec::new(),
            encrypted: Vec::new(),
            source: "test".into(),
            partial: false,
        }
    }

    #[test]
    fn targeting_follows_kind_op_and_named_types() {
        let types = |ts: &[&str]| ts.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        let managed = resource(ResourceKind::Managed, Operation::Create, "aws_kms_key");
        assert!(managed.is_targeted_by(&types(&["aws_kms_key"])));
        assert!(managed.is_targeted_by(&types(&[])));
        assert!(managed.is_targeted_by(&types(&["*"])));
        assert!(!managed.is_targeted_by(&types(&["aws_s3_bucket"])));
        let data = resource(ResourceKind::Data, Operation::Read, "aws_kms_key");
        assert!(!data.is_targeted_by(&types(&["aws_kms_key"])), "a data source shares the managed type's name");
        assert!(!data.is_targeted_by(&types(&["*"])));
        assert!(data.is_targeted_by(&types(&["data.aws_kms_key"])));
        let provider = resource(ResourceKind::Provider, Operation::NoOp, "pulumi:providers:aws");
        assert!(!provider.is_targeted_by(&types(&["*"])));
        assert!(provider.is_targeted_by(&types(&["pulumi:providers:aws"])));
        let deleted = resource(ResourceKind::Managed, Operation::Delete, "aws_kms_key");
        assert!(!deleted.is_targeted_by(&types(&["aws_kms_key"])));
        assert!(!deleted.is_policy_target());
        let forgotten = resource(ResourceKind::Managed, Operation::Forget, "aws_kms_key");
        assert!(!forgotten.is_policy_target());
    }
}
