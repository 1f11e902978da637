//! Outcomes, policies and their metadata, and the policy config.

use std::fmt;

use serde_json::{Value, json};

use crate::prop::{Prop, Unknown};
use crate::resource::{Resource, Stack};

/// Why a resource does not pass a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The resource breaks the policy; the message says how (never echo secrets).
    Violation(String),
    /// The policy cannot decide because a value it needs is unknown.
    Undecided(String),
    /// The resource breaks the policy, and the policy proposes a fix. The
    /// host keeps the fix only when the policy runs at level `remediate`
    /// (otherwise this is a plain violation).
    Fixable(String, Remediation),
}

/// A proposed fix for one resource (ABI v1 section 5, "Remediation"): a
/// tag change, a JSON Patch (RFC 6902) of the resource's properties, or an
/// action of the host's closed set ([`ACTION_KINDS`]).
///
/// ```
/// use palisade_sdk::{IngressRule, Remediation, json};
/// let fix = Remediation::tags().set("owner", "platform").remove("temp");
/// assert_eq!(fix.json()["tags"]["set"]["owner"], "platform");
/// let patch = Remediation::patch(json!([{"op": "replace", "path": "/acl", "value": "private"}]));
/// assert_eq!(patch.json()["patch"][0]["op"], "replace");
/// let rotate = Remediation::action("kms.enable-rotation");
/// assert_eq!(rotate.json(), &json!({"action": {"kind": "kms.enable-rotation"}}));
/// let revoke = Remediation::revoke_ingress([IngressRule::ipv4("tcp", 80, 80, "0.0.0.0/0")]);
/// assert_eq!(
///     revoke.json(),
///     &json!({"action": {"kind": "ec2.revoke-ingress", "params": {"rules": [
///         {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_ipv4": "0.0.0.0/0"}]}}})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remediation {
    doc: Value,
}

impl Remediation {
    /// An empty tag change; add keys with [`set`](Self::set) and [`remove`](Self::remove).
    pub fn tags() -> Self {
        Remediation { doc: json!({"tags": {"set": {}, "remove": []}}) }
    }

    /// Sets tag `key` to `value` (a tag change only; ignored on a patch).
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        if let Some(Value::Object(set)) = self.doc.pointer_mut("/tags/set") {
            set.insert(key.into(), Value::String(value.into()));
        }
        self
    }

    /// Removes tag `key` (a tag change only; ignored on a patch).
    pub fn remove(mut self, key: impl Into<String>) -> Self {
        if let Some(Value::Array(remove)) = self.doc.pointer_mut("/tags/remove") {
            remove.push(Value::String(key.into()));
        }
        self
    }

    /// A JSON Patch of the resource's properties: a list of operations
    /// (`{"op": "replace", "path": "/acl", "value": "private"}`), paths from
    /// the root of the resource's props. Only planned resources can be
    /// patched; a live resource accepts only tag changes.
    pub fn patch(operations: Value) -> Self {
        Remediation { doc: json!({"patch": operations}) }
    }

    /// An action of the host's closed set ([`ACTION_KINDS`]) without
    /// parameters: `{"action": {"kind": KIND}}`. The host checks it against
    /// the resource (kind known, resource type one of the kind's) and derives
    /// the AWS calls itself; for `ec2.revoke-ingress`, which needs its rules,
    /// use [`revoke_ingress`](Self::revoke_ingress).
    ///
    /// ```
    /// use palisade_sdk::{Remediation, json};
    /// let fix = Remediation::action("ecr.immutable-tags");
    /// assert_eq!(fix.json(), &json!({"action": {"kind": "ecr.immutable-tags"}}));
    /// ```
    pub fn action(kind: &str) -> Self {
        Remediation { doc: json!({"action": {"kind": kind}}) }
    }

    /// An action with parameters: `{"action": {"kind": KIND, "params":
    /// PARAMS}}`; `null` or an empty object sends no `params`. A kind or
    /// parameters the host does not accept make the fix an `abi` error of
    /// the policy for that resource (its violation is kept).
    ///
    /// ```
    /// use palisade_sdk::{Remediation, json};
    /// let fix = Remediation::action_with_params("rds.disable-public-access", json!({}));
    /// assert_eq!(fix.json(), &json!({"action": {"kind": "rds.disable-public-access"}}));
    /// ```
    pub fn action_with_params(kind: &str, params: Value) -> Self {
        let empty = params.is_null() || params.as_object().is_some_and(serde_json::Map::is_empty);
        if empty {
            Remediation::action(kind)
        } else {
            Remediation { doc: json!({"action": {"kind": kind, "params": params}}) }
        }
    }

    /// `ec2.revoke-ingress` with exactly `rules`, the security group's
    /// ingress rules to revoke (one per CIDR source). The host revokes a
    /// rule only when it is one of the group's (re-read before the call),
    /// never the whole group.
    ///
    /// ```
    /// use palisade_sdk::{IngressRule, Remediation};
    /// let fix = Remediation::revoke_ingress([
    ///     IngressRule::ipv4("tcp", 22, 22, "0.0.0.0/0"),
    ///     IngressRule::ipv6("-1", 0, 0, "::/0"),
    /// ]);
    /// assert_eq!(fix.json()["action"]["params"]["rules"][1]["cidr_ipv6"], "::/0");
    /// ```
    pub fn revoke_ingress(rules: impl IntoIterator<Item = IngressRule>) -> Self {
        let rules: Vec<Value> = rules.into_iter().map(|r| r.json()).collect();
        Remediation::action_with_params(EC2_REVOKE_INGRESS, json!({ "rules": rules }))
    }

    /// Whether the host's action `kind` applies to resources of
    /// `resource_type` ([`ACTION_KINDS`]); `false` for a kind it does not
    /// define. Propose an action only where this holds: elsewhere the host
    /// refuses the fix.
    ///
    /// ```
    /// use palisade_sdk::Remediation;
    /// assert!(Remediation::action_applies_to("s3.block-public-access", "aws:s3/bucketV2:BucketV2"));
    /// assert!(!Remediation::action_applies_to("s3.block-public-access", "aws_s3_bucket_acl"));
    /// ```
    pub fn action_applies_to(kind: &str, resource_type: &str) -> bool {
        ACTION_KINDS.iter().any(|(k, types)| *k == kind && types.contains(&resource_type))
    }

    /// The remediation document sent to the host.
    pub fn json(&self) -> &Value {
        &self.doc
    }
}

/// The action kind that revokes a security group's ingress rules.
pub const EC2_REVOKE_INGRESS: &str = "ec2.revoke-ingress";

/// The host's closed set of remediation actions (ABI v1 section 5), each
/// with the resource types it applies to (the Terraform type, then the
/// Pulumi ones). Only `ec2.revoke-ingress` takes parameters (`rules`).
///
/// | kind | what the host does on `palisade remediate --apply` |
/// | --- | --- |
/// | `s3.block-public-access` | `PutPublicAccessBlock` (all four settings); `PutBucketAcl` `private` only when the ACL is a canned public one (the owner's full control and grants to everyone): other grants (log delivery, another account) are kept, and IgnorePublicAcls makes their public neighbours ineffective |
/// | `ec2.revoke-ingress` | `RevokeSecurityGroupIngress` with exactly the listed rules |
/// | `kms.enable-rotation` | `EnableKeyRotation` |
/// | `rds.disable-public-access` | `ModifyDBInstance` `PubliclyAccessible=false`, `ApplyImmediately=true` |
/// | `ecr.immutable-tags` | `PutImageTagMutability` `IMMUTABLE` |
pub const ACTION_KINDS: [(&str, &[&str]); 5] = [
    ("s3.block-public-access", &["aws_s3_bucket", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]),
    (EC2_REVOKE_INGRESS, &["aws_security_group", "aws:ec2/securityGroup:SecurityGroup"]),
    ("kms.enable-rotation", &["aws_kms_key", "aws:kms/key:Key"]),
    ("rds.disable-public-access", &["aws_db_instance", "aws:rds/instance:Instance"]),
    ("ecr.immutable-tags", &["aws_ecr_repository", "aws:ecr/repository:Repository"]),
];

/// One security group ingress rule with one CIDR source, as
/// `ec2.revoke-ingress` lists them (ABI v1 section 5):
/// `{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_ipv4": "0.0.0.0/0"}`.
///
/// `protocol` is a name (`tcp`, `udp`, `icmp`, `icmpv6`), a number (`6`)
/// or `-1` for all protocols (the host compares them by name, and ignores
/// the ports of `-1`); the ports are the rule's range (ICMP: type and
/// code), 0 when the rule has none. One Terraform `ingress` block with
/// several CIDRs is several rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressRule {
    /// The protocol, as the rule gives it.
    pub protocol: String,
    /// The first port.
    pub from_port: i64,
    /// The last port.
    pub to_port: i64,
    /// The source: an IPv4 CIDR (`cidr_ipv4`) or an IPv6 one (`cidr_ipv6`).
    pub source: Cidr,
}

/// The CIDR source of an [`IngressRule`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cidr {
    /// `cidr_ipv4`, from a block's `cidr_blocks` (`0.0.0.0/0`).
    V4(String),
    /// `cidr_ipv6`, from a block's `ipv6_cidr_blocks` (`::/0`).
    V6(String),
}

impl IngressRule {
    /// A rule from the IPv4 CIDR `cidr`.
    pub fn ipv4(protocol: impl Into<String>, from_port: i64, to_port: i64, cidr: impl Into<String>) -> Self {
        IngressRule { protocol: protocol.into(), from_port, to_port, source: Cidr::V4(cidr.into()) }
    }

    /// A rule from the IPv6 CIDR `cidr`.
    pub fn ipv6(protocol: impl Into<String>, from_port: i64, to_port: i64, cidr: impl Into<String>) -> Self {
        IngressRule { protocol: protocol.into(), from_port, to_port, source: Cidr::V6(cidr.into()) }
    }

    /// The rule as the host reads it: `{"protocol", "from_port", "to_port",
    /// "cidr_ipv4" | "cidr_ipv6"}`.
    pub fn json(&self) -> Value {
        let (key, cidr) = match &self.source {
            Cidr::V4(c) => ("cidr_ipv4", c),
            Cidr::V6(c) => ("cidr_ipv6", c),
        };
        json!({"protocol": self.protocol, "from_port": self.from_port, "to_port": self.to_port, key: cidr})
    }
}

impl Finding {
    /// The message for people.
    pub fn message(&self) -> &str {
        match self {
            Finding::Violation(m) | Finding::Undecided(m) | Finding::Fixable(m, _) => m,
        }
    }

    /// The proposed fix, for [`Finding::Fixable`].
    pub fn remediation(&self) -> Option<&Remediation> {
        match self {
            Finding::Fixable(_, fix) => Some(fix),
            _ => None,
        }
    }

    /// Whether this is [`Finding::Undecided`].
    pub fn is_undecided(&self) -> bool {
        matches!(self, Finding::Undecided(_))
    }
}

impl From<Unknown> for Finding {
    /// Undecided, with the message "`<path>` is known only after apply".
    fn from(unknown: Unknown) -> Self {
        Finding::Undecided(unknown.to_string())
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Violation(m) | Finding::Fixable(m, _) => write!(f, "violation: {m}"),
            Finding::Undecided(m) => write!(f, "undecided: {m}"),
        }
    }
}

/// The result of judging one resource: `Ok(())` passes.
///
/// `?` on a typed reader of [`Prop`] turns an unknown value into
/// `Err(Finding::Undecided(..))`.
pub type Outcome = Result<(), Finding>;

/// A violation with `message`.
pub fn violation(message: impl Into<String>) -> Outcome {
    Err(Finding::Violation(message.into()))
}

/// A violation with `message` and a proposed fix (kept by the host at level
/// `remediate`).
pub fn violation_with_fix(message: impl Into<String>, fix: Remediation) -> Outcome {
    Err(Finding::Fixable(message.into(), fix))
}

/// An undecided outcome with `message` (a value the policy needs is unknown).
pub fn undecided(message: impl Into<String>) -> Outcome {
    Err(Finding::Undecided(message.into()))
}

/// Passes when `ok`, else a violation with `message`.
pub fn require(ok: bool, message: impl Into<String>) -> Outcome {
    if ok { Ok(()) } else { violation(message) }
}

/// Combines the outcomes of several parts of a resource (e.g. one per
/// ingress rule): the first violation if any, else the first undecided
/// outcome if any, else a pass. A definite violation always wins over an
/// unknown elsewhere. Stops at the first violation.
pub fn all<I: IntoIterator<Item = Outcome>>(outcomes: I) -> Outcome {
    let mut pending = None;
    for outcome in outcomes {
        match outcome {
            Ok(()) => {}
            Err(v @ (Finding::Violation(_) | Finding::Fixable(..))) => return Err(v),
            Err(undecided) => {
                pending.get_or_insert(undecided);
            }
        }
    }
    pending.map_or(Ok(()), Err)
}

pub use palisade_abi::{EnforcementLevel, Severity};

/// A policy's config: the JSON object of the request, schema defaults filled
/// in by the host. Getters accept either naming style.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    value: Value,
}

impl Default for Config {
    fn default() -> Self {
        Config::new(Value::Object(serde_json::Map::new()))
    }
}

impl Config {
    /// A config over `value`; `null` counts as an empty object.
    pub fn new(value: Value) -> Self {
        let value = if value.is_null() { Value::Object(serde_json::Map::new()) } else { value };
        Config { value }
    }

    /// The whole config document.
    pub fn json(&self) -> &Value {
        &self.value
    }

    /// A config value, as a [`Prop`].
    pub fn get(&self, key: &str) -> Prop<'_> {
        Prop::from_json(&self.value).get(key)
    }

    /// A boolean, or `default` when not set.
    pub fn bool_or(&self, key: &str, default: bool) -> bool {
        self.get(key).bool().ok().flatten().unwrap_or(default)
    }

    /// A string, or `default` when not set.
    pub fn str_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.get(key).str().ok().flatten().unwrap_or(default)
    }

    /// An integer, or `default` when not set.
    pub fn i64_or(&self, key: &str, default: i64) -> i64 {
        self.get(key).i64().ok().flatten().unwrap_or(default)
    }

    /// A number, or `default` when not set.
    pub fn f64_or(&self, key: &str, default: f64) -> f64 {
        self.get(key).f64().ok().flatten().unwrap_or(default)
    }

    /// A list of strings (a single string gives one); empty when not set.
    pub fn strings(&self, key: &str) -> Vec<&str> {
        self.get(key).strings().unwrap_or_default()
    }
}

/// The check of a resource policy.
pub type ResourceCheck = fn(&Resource<'_>, &Config) -> Outcome;

/// The check of a stack policy: `(address, finding)` for each resource that
/// does not pass.
pub type StackCheck = fn(&Stack<'_>, &Config) -> Vec<(String, Finding)>;

/// Metadata shared by both kinds of policy.
#[derive(Debug, Clone)]
struct Meta {
    name: String,
    description: String,
    severity: Severity,
    enforcement_level: Option<EnforcementLevel>,
    config_schema: Value,
    help: Option<String>,
}

impl Meta {
    fn new(name: impl Into<String>, severity: Severity) -> Self {
        Meta {
            name: name.into(),
            description: String::new(),
            severity,
            enforcement_level: None,
            config_schema: json!({"type": "object"}),
            help: None,
        }
    }
}

macro_rules! meta_methods {
    () => {
        /// Sets the description shown with the policy.
        pub fn description(mut self, description: impl Into<String>) -> Self {
            self.meta.description = description.into();
            self
        }

        /// Sets the help: a URL or a sentence of remediation advice.
        pub fn help(mut self, help: impl Into<String>) -> Self {
            self.meta.help = Some(help.into());
            self
        }

        /// Sets the default enforcement level (otherwise
        /// [`Severity::default_enforcement`]).
        pub fn enforcement(mut self, level: EnforcementLevel) -> Self {
            self.meta.enforcement_level = Some(level);
            self
        }

        /// Sets the JSON Schema of the config (default `{"type": "object"}`);
        /// the host fills the `default`s of its top-level `properties`.
        pub fn config_schema(mut self, schema: Value) -> Self {
            self.meta.config_schema = schema;
            self
        }

        /// The policy name.
        pub fn name(&self) -> &str {
            &self.meta.name
        }

        /// The severity.
        pub fn severity(&self) -> Severity {
            self.meta.severity
        }

        /// The default enforcement level: as set, or from the severity.
        pub fn enforcement_level(&self) -> EnforcementLevel {
            self.meta.enforcement_level.unwrap_or_else(|| self.meta.severity.default_enforcement())
        }
    };
}

/// A policy that judges one resource at a time.
#[derive(Debug, Clone)]
pub struct ResourcePolicy {
    meta: Meta,
    resource_types: Vec<String>,
    check: ResourceCheck,
}

impl ResourcePolicy {
    /// A policy `name` (lower-case words joined by `-`) of `severity` running
    /// `check` on every managed resource, unless [`types`](Self::types) narrows it.
    pub fn new(name: impl Into<String>, severity: Severity, check: ResourceCheck) -> Self {
        ResourcePolicy { meta: Meta::new(name, severity), resource_types: Vec::new(), check }
    }

    /// Sets the resource types judged (Terraform and Pulumi names); `[]` or
    /// `["*"]` means every managed resource.
    pub fn types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resource_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// The resource types judged.
    pub fn resource_types(&self) -> &[String] {
        &self.resource_types
    }

    /// Runs the check on one resource.
    pub fn check(&self, resource: &Resource<'_>, config: &Config) -> Outcome {
        (self.check)(resource, config)
    }

    /// Whether the host gives `resource` to this policy (ABI section 3), for
    /// native tests: resources that will exist; managed ones when no type or
    /// `*` is listed or their type is; providers and components when their
    /// type is named; data sources when `data.<type>` is named.
    pub fn targets(&self, resource: &Resource<'_>) -> bool {
        palisade_abi::is_targeted(
            resource.kind_str(),
            resource.op().will_exist(),
            resource.resource_type(),
            &self.resource_types,
        )
    }

    meta_methods!();
}

/// A policy that sees every resource of the stack at once.
#[derive(Debug, Clone)]
pub struct StackPolicy {
    meta: Meta,
    check: StackCheck,
}

impl StackPolicy {
    /// A stack policy `name` of `severity` running `check` on the whole stack.
    pub fn new(name: impl Into<String>, severity: Severity, check: StackCheck) -> Self {
        StackPolicy { meta: Meta::new(name, severity), check }
    }

    /// Runs the check on the stack.
    pub fn check(&self, stack: &Stack<'_>, config: &Config) -> Vec<(String, Finding)> {
        (self.check)(stack, config)
    }

    meta_methods!();
}

/// A policy of either kind.
#[derive(Debug, Clone)]
pub enum Policy {
    /// A resource policy.
    Resource(ResourcePolicy),
    /// A stack policy.
    Stack(StackPolicy),
}

impl From<ResourcePolicy> for Policy {
    fn from(p: ResourcePolicy) -> Self {
        Policy::Resource(p)
    }
}

impl From<StackPolicy> for Policy {
    fn from(p: StackPolicy) -> Self {
        Policy::Stack(p)
    }
}

impl Policy {
    fn meta(&self) -> &Meta {
        match self {
            Policy::Resource(p) => &p.meta,
            Policy::Stack(p) => &p.meta,
        }
    }

    /// The policy name.
    pub fn name(&self) -> &str {
        &self.meta().name
    }

    /// The severity.
    pub fn severity(&self) -> Severity {
        self.meta().severity
    }

    /// The default enforcement level.
    pub fn enforcement_level(&self) -> EnforcementLevel {
        match self {
            Policy::Resource(p) => p.enforcement_level(),
            Policy::Stack(p) => p.enforcement_level(),
        }
    }

    /// The config schema.
    pub fn config_schema(&self) -> &Value {
        &self.meta().config_schema
    }

    /// The policy's entry of the describe document (ABI section 3).
    pub fn describe(&self) -> palisade_abi::wire::PolicyInfo {
        let meta = self.meta();
        let (kind, types) = match self {
            Policy::Resource(p) => (palisade_abi::PolicyKind::Resource, p.resource_types.clone()),
            Policy::Stack(_) => (palisade_abi::PolicyKind::Stack, Vec::new()),
        };
        palisade_abi::wire::PolicyInfo {
            name: meta.name.clone(),
            description: meta.description.clone(),
            severity: meta.severity,
            enforcement_level: self.enforcement_level(),
            kind,
            resource_types: types,
            config_schema: meta.config_schema.clone(),
            help: meta.help.clone(),
        }
    }
}
