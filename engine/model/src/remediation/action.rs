//! Remediation actions: the closed set of configuration fixes, beyond tags,
//! that a policy at level `remediate` may propose and `palisade remediate`
//! may make on live AWS resources.
//!
//! A guest names the kind and its parameters (ABI v1 section 5,
//! `{"action": {"kind": "ec2.revoke-ingress", "params": {"rules": [...]}}}`);
//! the host defines what each kind does, checks the parameters against the
//! resource, and derives everything else from the kind and the resource's
//! Terraform-shaped properties:
//!
//! | kind | resource type | AWS calls |
//! | --- | --- | --- |
//! | `s3.block-public-access` | `aws_s3_bucket` | `PutPublicAccessBlock` (all four settings); `PutBucketAcl` `private` only when the ACL is a canned public one (the owner's full control and grants to everyone): other grants (log delivery, another account) are kept, and IgnorePublicAcls makes their public neighbours ineffective |
//! | `ec2.revoke-ingress` | `aws_security_group` | `RevokeSecurityGroupIngress` with exactly the listed rules |
//! | `kms.enable-rotation` | `aws_kms_key` | `EnableKeyRotation` |
//! | `rds.disable-public-access` | `aws_db_instance` | `ModifyDBInstance` `PubliclyAccessible=false`, `ApplyImmediately=true` |
//! | `ecr.immutable-tags` | `aws_ecr_repository` | `PutImageTagMutability` `IMMUTABLE` |
//!
//! - [`Action::slice`]: the part of a resource's configuration an action
//!   reads and changes (its *before*); [`Action::expected`] what it becomes
//!   (its *after*). A re-read resource whose slice equals the after is done;
//!   one equal to the before is pending; anything else is stale.
//! - [`Action::calls`]: the AWS calls with their parameters, shown in the
//!   plan and sent as shown.
//! - [`Action::patch`]: the fix as a JSON Patch against the Terraform-shaped
//!   properties, shown in reports and given for resources a state manages
//!   ("fix it in code").
//!
//! Nothing here deletes a bucket, key, instance or group: the closed set
//! has no such kind, and a security group rule is revoked only when it is
//! one the action lists.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::model::UNKNOWN;

/// The URIs of the S3 grantee groups that make a bucket public.
pub const PUBLIC_GRANTEES: [&str; 2] =
    ["http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"];

/// The four settings of an S3 public access block, in Terraform's names.
pub const PUBLIC_ACCESS_BLOCK_SETTINGS: [&str; 4] =
    ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];

/// The kinds of action, a closed set defined by the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ActionKind {
    /// `s3.block-public-access`.
    #[serde(rename = "s3.block-public-access")]
    S3BlockPublicAccess,
    /// `ec2.revoke-ingress`.
    #[serde(rename = "ec2.revoke-ingress")]
    Ec2RevokeIngress,
    /// `kms.enable-rotation`.
    #[serde(rename = "kms.enable-rotation")]
    KmsEnableRotation,
    /// `rds.disable-public-access`.
    #[serde(rename = "rds.disable-public-access")]
    RdsDisablePublicAccess,
    /// `ecr.immutable-tags`.
    #[serde(rename = "ecr.immutable-tags")]
    EcrImmutableTags,
}

impl ActionKind {
    /// Every kind, in the order of the table above.
    pub const ALL: [ActionKind; 5] = [
        ActionKind::S3BlockPublicAccess,
        ActionKind::Ec2RevokeIngress,
        ActionKind::KmsEnableRotation,
        ActionKind::RdsDisablePublicAccess,
        ActionKind::EcrImmutableTags,
    ];

    /// The kind's name (`ec2.revoke-ingress`).
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::S3BlockPublicAccess => "s3.block-public-access",
            ActionKind::Ec2RevokeIngress => "ec2.revoke-ingress",
            ActionKind::KmsEnableRotation => "kms.enable-rotation",
            ActionKind::RdsDisablePublicAccess => "rds.disable-public-access",
            ActionKind::EcrImmutableTags => "ecr.immutable-tags",
        }
    }

    /// The kind named `name`, if it is one.
    pub fn parse(name: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The resource types the kind applies to: the Terraform type first,
    /// then the Pulumi ones.
    pub fn resource_types(self) -> &'static [&'static str] {
        match self {
            ActionKind::S3BlockPublicAccess => &["aws_s3_bucket", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
            ActionKind::Ec2RevokeIngress => &["aws_security_group", "aws:ec2/securityGroup:SecurityGroup"],
            ActionKind::KmsEnableRotation => &["aws_kms_key", "aws:kms/key:Key"],
            ActionKind::RdsDisablePublicAccess => &["aws_db_instance", "aws:rds/instance:Instance"],
            ActionKind::EcrImmutableTags => &["aws_ecr_repository", "aws:ecr/repository:Repository"],
        }
    }

    /// Whether `arn` is the ARN of the resource with this `id` for the kind:
    /// `arn:P:s3:::ID`, `arn:P:ec2:R:A:security-group/ID`,
    /// `arn:P:kms:R:A:key/ID`, `arn:P:rds:R:A:db:ID`,
    /// `arn:P:ecr:R:A:repository/ID`. A plan whose ARN and id disagree
    /// would send its calls to one resource and report another.
    pub fn arn_matches(self, arn: &str, id: &str) -> bool {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, _, service, _, _, resource] = parts.as_slice() else { return false };
        let (want_service, want_resource) = match self {
            ActionKind::S3BlockPublicAccess => ("s3", id.to_string()),
            ActionKind::Ec2RevokeIngress => ("ec2", format!("security-group/{id}")),
            ActionKind::KmsEnableRotation => ("kms", format!("key/{id}")),
            ActionKind::RdsDisablePublicAccess => ("rds", format!("db:{id}")),
            ActionKind::EcrImmutableTags => ("ecr", format!("repository/{id}")),
        };
        !id.is_empty() && *service == want_service && *resource == want_resource
    }

    /// Where the fix goes in Terraform when the attribute it changes is
    /// declared by a resource of its own (AWS provider 4 and later), for
    /// the "fix it in code" advice; `None` when it is the resource's own.
    pub fn code_note(self) -> Option<&'static str> {
        match self {
            ActionKind::S3BlockPublicAccess => Some(
                "in Terraform's AWS provider 4+, `public_access_block` is an `aws_s3_bucket_public_access_block` \
                 resource and `acl`/`grant` an `aws_s3_bucket_acl` resource of this bucket",
            ),
            ActionKind::Ec2RevokeIngress => Some(
                "a rule may also be declared by an `aws_security_group_rule` or \
                 `aws_vpc_security_group_ingress_rule` resource: remove it there",
            ),
            _ => None,
        }
    }

    /// The IAM permissions `remediate --apply` needs for the kind: the
    /// re-reads before and after, and the writes.
    pub fn permissions(self) -> &'static [&'static str] {
        match self {
            ActionKind::S3BlockPublicAccess => &[
                "s3:GetBucketAcl",
                "s3:GetBucketPublicAccessBlock",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketAcl",
            ],
            ActionKind::Ec2RevokeIngress => &["ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress"],
            ActionKind::KmsEnableRotation => &["kms:GetKeyRotationStatus", "kms:EnableKeyRotation"],
            ActionKind::RdsDisablePublicAccess => &["rds:DescribeDBInstances", "rds:ModifyDBInstance"],
            ActionKind::EcrImmutableTags => &["ecr:DescribeRepositories", "ecr:PutImageTagMutability"],
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One security group ingress rule with one CIDR source, as
/// `ec2.revoke-ingress` lists them: `{"protocol": "tcp", "from_port": 80,
/// "to_port": 80, "cidr_ipv4": "0.0.0.0/0"}` (or `cidr_ipv6`).
///
/// Protocols are compared by name (`6` is `tcp`, `17` `udp`, `1` `icmp`,
/// `58` `icmpv6`, `all` is `-1`); for `-1` the ports are 0.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngressRule {
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all) or a protocol number.
    pub protocol: String,
    /// The first port (ICMP: the type).
    pub from_port: i64,
    /// The last port (ICMP: the code).
    pub to_port: i64,
    /// An IPv4 CIDR source (`0.0.0.0/0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv4: Option<String>,
    /// An IPv6 CIDR source (`::/0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv6: Option<String>,
}

impl IngressRule {
    /// The rule in its compared form: protocol named, ports of `-1` zero,
    /// CIDRs trimmed.
    pub fn normalized(&self) -> IngressRule {
        let protocol = protocol_name(&self.protocol);
        let all = protocol == "-1";
        IngressRule {
            from_port: if all { 0 } else { self.from_port },
            to_port: if all { 0 } else { self.to_port },
            protocol,
            cidr_ipv4: self.cidr_ipv4.as_ref().map(|c| c.trim().to_string()),
            cidr_ipv6: self.cidr_ipv6.as_ref().map(|c| c.trim().to_string()),
        }
    }

    /// The CIDR rules of one Terraform `ingress` block (`protocol`,
    /// `from_port`, `to_port`, `cidr_blocks`, `ipv6_cidr_blocks`), one per
    /// CIDR, normalized. Other sources (groups, prefix lists, `self`) give
    /// none. `None` when a value is unknown.
    pub fn of_block(block: &Value) -> Option<Vec<IngressRule>> {
        let protocol = match block.get("protocol").or_else(|| block.get("ip_protocol")) {
            Some(Value::String(s)) if s == UNKNOWN => return None,
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => "-1".to_string(),
        };
        let port = |key: &str| -> Option<i64> {
            match block.get(key) {
                Some(Value::String(s)) if s == UNKNOWN => None,
                Some(v) => Some(v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).unwrap_or(0)),
                None => Some(0),
            }
        };
        let (from_port, to_port) = (port("from_port")?, port("to_port")?);
        let mut rules = Vec::new();
        for (key, v6) in [("cidr_blocks", false), ("ipv6_cidr_blocks", true)] {
            let cidrs = match block.get(key) {
                Some(Value::Array(items)) => items.clone(),
                Some(Value::String(s)) if s == UNKNOWN => return None,
                _ => Vec::new(),
            };
            for cidr in cidrs {
                let Some(cidr) = cidr.as_str() else { continue };
                if cidr == UNKNOWN {
                    return None;
                }
                let (cidr_ipv4, cidr_ipv6) =
                    if v6 { (None, Some(cidr.to_string())) } else { (Some(cidr.to_string()), None) };
                let rule = IngressRule { protocol: protocol.clone(), from_port, to_port, cidr_ipv4, cidr_ipv6 };
                rules.push(rule.normalized());
            }
        }
        Some(rules)
    }

    /// `tcp 80-80 from 0.0.0.0/0`; `all traffic from ::/0` for protocol `-1`.
    pub fn label(&self) -> String {
        let source = self.cidr_ipv4.as_deref().or(self.cidr_ipv6.as_deref()).unwrap_or("?");
        if protocol_name(&self.protocol) == "-1" {
            return format!("all traffic from {source}");
        }
        format!("{} {}-{} from {source}", self.protocol, self.from_port, self.to_port)
    }

    /// The rule as an EC2 `IpPermission` (`RevokeSecurityGroupIngress`'s
    /// shape).
    pub fn ip_permission(&self) -> Value {
        let mut p = json!({"IpProtocol": self.protocol});
        if self.protocol != "-1" {
            p["FromPort"] = json!(self.from_port);
            p["ToPort"] = json!(self.to_port);
        }
        if let Some(c) = &self.cidr_ipv4 {
            p["IpRanges"] = json!([{"CidrIp": c}]);
        }
        if let Some(c) = &self.cidr_ipv6 {
            p["Ipv6Ranges"] = json!([{"CidrIpv6": c}]);
        }
        p
    }
}

/// A protocol by name: `6` `tcp`, `17` `udp`, `1` `icmp`, `58` `icmpv6`,
/// `all` `-1`; others lowercased.
pub fn protocol_name(protocol: &str) -> String {
    let p = protocol.trim().to_ascii_lowercase();
    match p.as_str() {
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        "all" => "-1".into(),
        _ => p,
    }
}

/// An action with its parameters.
///
/// JSON: `{"kind": "kms.enable-rotation"}` (`"params": {}` may be given),
/// `{"kind": "ec2.revoke-ingress", "params": {"rules": [IngressRule, ...]}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ActionWire", into = "ActionWire")]
pub enum Action {
    /// `s3.block-public-access`: no parameters.
    S3BlockPublicAccess,
    /// `ec2.revoke-ingress`: the rules to revoke, 1 or more, sorted, each once.
    Ec2RevokeIngress {
        /// The rules, normalized.
        rules: Vec<IngressRule>,
    },
    /// `kms.enable-rotation`: no parameters.
    KmsEnableRotation,
    /// `rds.disable-public-access`: no parameters.
    RdsDisablePublicAccess,
    /// `ecr.immutable-tags`: no parameters.
    EcrImmutableTags,
}

/// An action as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionWire {
    kind: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    params: Map<String, Value>,
}

impl TryFrom<ActionWire> for Action {
    type Error = String;

    fn try_from(wire: ActionWire) -> Result<Action, String> {
        let Some(kind) = ActionKind::parse(&wire.kind) else {
            let known: Vec<&str> = ActionKind::ALL.iter().map(|k| k.name()).collect();
            return Err(format!("unknown action kind `{}` (known: {})", wire.kind, known.join(", ")));
        };
        if kind != ActionKind::Ec2RevokeIngress
            && let Some(key) = wire.params.keys().next()
        {
            return Err(format!("action `{kind}` takes no parameters, got `{key}`"));
        }
        Ok(match kind {
            ActionKind::S3BlockPublicAccess => Action::S3BlockPublicAccess,
            ActionKind::KmsEnableRotation => Action::KmsEnableRotation,
            ActionKind::RdsDisablePublicAccess => Action::RdsDisablePublicAccess,
            ActionKind::EcrImmutableTags => Action::EcrImmutableTags,
            ActionKind::Ec2RevokeIngress => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Params {
                    rules: Vec<IngressRule>,
                }
                let params: Params = serde_json::from_value(Value::Object(wire.params))
                    .map_err(|e| format!("action `{kind}`: params are not {{\"rules\": [rule, ...]}}: {e}"))?;
                let mut rules = Vec::new();
                for (i, rule) in params.rules.iter().enumerate() {
                    if rule.cidr_ipv4.is_some() == rule.cidr_ipv6.is_some() {
                        return Err(format!(
                            "action `{kind}`: rules[{i}] needs exactly one of cidr_ipv4 and cidr_ipv6"
                        ));
                    }
                    rules.push(rule.normalized());
                }
                let rules: BTreeSet<IngressRule> = rules.into_iter().collect();
                if rules.is_empty() {
                    return Err(format!("action `{kind}`: `rules` is empty"));
                }
                Action::Ec2RevokeIngress { rules: rules.into_iter().collect() }
            }
        })
    }
}

impl From<Action> for ActionWire {
    fn from(action: Action) -> ActionWire {
        let mut params = Map::new();
        if let Action::Ec2RevokeIngress { rules } = &action {
            params.insert("rules".into(), serde_json::to_value(rules).unwrap_or(Value::Null));
        }
        ActionWire { kind: action.kind().name().to_string(), params }
    }
}

impl Action {
    /// The action's kind.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::S3BlockPublicAccess => ActionKind::S3BlockPublicAccess,
            Action::Ec2RevokeIngress { .. } => ActionKind::Ec2RevokeIngress,
            Action::KmsEnableRotation => ActionKind::KmsEnableRotation,
            Action::RdsDisablePublicAccess => ActionKind::RdsDisablePublicAccess,
            Action::EcrImmutableTags => ActionKind::EcrImmutableTags,
        }
    }

    /// This action and `other` (of the same kind, on the same resource) as
    /// one: the union of their rules. `None` for kinds that differ.
    pub fn merge(&self, other: &Action) -> Option<Action> {
        match (self, other) {
            (Action::Ec2RevokeIngress { rules: a }, Action::Ec2RevokeIngress { rules: b }) => {
                let all: BTreeSet<IngressRule> = a.iter().chain(b).cloned().collect();
                Some(Action::Ec2RevokeIngress { rules: all.into_iter().collect() })
            }
            (a, b) if a.kind() == b.kind() => Some(a.clone()),
            _ => None,
        }
    }

    /// Check the action against a resource of `resource_type` with
    /// Terraform-shaped `props`: the type is the kind's, and every rule
    /// to revoke is one of the group's ingress rules. Errors are sentences.
    pub fn check(&self, resource_type: &str, props: &Value) -> Result<(), String> {
        let kind = self.kind();
        if !kind.resource_types().contains(&resource_type) {
            return Err(format!(
                "action `{kind}` applies to {}, not to {resource_type}",
                kind.resource_types().join(", ")
            ));
        }
        if let Action::Ec2RevokeIngress { rules } = self {
            let present = ingress_rules(props)?;
            if let Some(missing) = rules.iter().find(|r| !present.contains(r)) {
                return Err(format!(
                    "action `{kind}`: the group has no ingress rule {} (only listed rules are revoked)",
                    missing.label()
                ));
            }
        }
        Ok(())
    }

    /// Why AWS would refuse this action on a resource in the state `props`
    /// describe, if it would: rotation is enabled only on an enabled key
    /// (not a disabled one, nor one pending deletion). Not a fault of the
    /// policy that proposed it: the remediation plan leaves it to a person.
    pub fn refusal(&self, props: &Value) -> Option<String> {
        let disabled = props.get("is_enabled") == Some(&Value::Bool(false))
            || props.get("key_state").and_then(Value::as_str).is_some_and(|s| s != "Enabled");
        if *self != Action::KmsEnableRotation || !disabled {
            return None;
        }
        let state = props.get("key_state").and_then(Value::as_str).unwrap_or("Disabled");
        Some(format!(
            "the key is {state}; AWS enables rotation only on an enabled key (enable it, or let it be deleted)"
        ))
    }

    /// The part of a resource's configuration (Terraform-shaped `props`)
    /// this action reads and changes, normalized, so that a re-read can be
    /// compared with the plan:
    ///
    /// - `s3.block-public-access`: `{"public_access_block": {the four
    ///   settings, false when not configured}, "grants": [{"grantee",
    ///   "permission"}, ...]}` (every grant of the bucket ACL, one per
    ///   permission, the grantee a group URI or a canonical id, sorted: a
    ///   grant added or removed since the plan makes it stale);
    /// - `ec2.revoke-ingress`: `{"ingress": [block, ...]}`, every ingress
    ///   block without its description, sorted;
    /// - `kms.enable-rotation`: `{"enable_key_rotation": bool}`;
    /// - `rds.disable-public-access`: `{"publicly_accessible": bool}`;
    /// - `ecr.immutable-tags`: `{"image_tag_mutability": "MUTABLE"}`.
    pub fn slice(&self, props: &Value) -> Value {
        match self {
            Action::S3BlockPublicAccess => {
                let block = first_block(props.get("public_access_block"));
                let settings: Map<String, Value> = PUBLIC_ACCESS_BLOCK_SETTINGS
                    .iter()
                    .map(|s| {
                        (s.to_string(), json!(block.and_then(|b| b.get(*s)).and_then(Value::as_bool) == Some(true)))
                    })
                    .collect();
                json!({"public_access_block": settings, "grants": grants(props)})
            }
            Action::Ec2RevokeIngress { .. } => {
                let mut blocks: Vec<Value> = match props.get("ingress") {
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|b| {
                            let mut b = b.clone();
                            if let Value::Object(map) = &mut b {
                                map.remove("description");
                            }
                            b
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                blocks.sort_by_key(Value::to_string);
                json!({"ingress": blocks})
            }
            Action::KmsEnableRotation => {
                json!({"enable_key_rotation": props.get("enable_key_rotation").and_then(Value::as_bool) == Some(true)})
            }
            Action::RdsDisablePublicAccess => {
                json!({"publicly_accessible": props.get("publicly_accessible").and_then(Value::as_bool) == Some(true)})
            }
            Action::EcrImmutableTags => {
                let value = props.get("image_tag_mutability").and_then(Value::as_str).unwrap_or("MUTABLE");
                json!({"image_tag_mutability": value.to_ascii_uppercase()})
            }
        }
    }

    /// The slice once the action is done (see [`Action::slice`]).
    pub fn expected(&self, before: &Value) -> Value {
        match self {
            Action::S3BlockPublicAccess => {
                let settings: Map<String, Value> =
                    PUBLIC_ACCESS_BLOCK_SETTINGS.iter().map(|s| (s.to_string(), json!(true))).collect();
                // Only an ACL that is a canned public one (its owner's full
                // control and grants to everyone) is reset to `private`;
                // other grants (log delivery, another account) are kept,
                // and the block's IgnorePublicAcls makes the public ones
                // ineffective.
                let before_grants = before.get("grants").and_then(Value::as_array).cloned().unwrap_or_default();
                let grants = if is_canned_public(&before_grants) {
                    before_grants.into_iter().filter(|g| !is_public_grant(g)).collect()
                } else {
                    before_grants
                };
                json!({"public_access_block": settings, "grants": grants})
            }
            Action::Ec2RevokeIngress { rules } => {
                let kept: Vec<Value> = before
                    .get("ingress")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|b| without_rules(b, rules))
                    .collect();
                json!({"ingress": kept})
            }
            Action::KmsEnableRotation => json!({"enable_key_rotation": true}),
            Action::RdsDisablePublicAccess => json!({"publicly_accessible": false}),
            Action::EcrImmutableTags => json!({"image_tag_mutability": "IMMUTABLE"}),
        }
    }

    /// The AWS calls that take a resource from `before` (its
    /// [`Action::slice`]) to its [`Action::expected`] slice, for the
    /// resource whose id is `id` (the bucket name, group id, key id, DB
    /// instance identifier or repository name): `{"operation":
    /// "ec2:RevokeSecurityGroupIngress", "parameters": {...}}` with the
    /// API's own parameter names. Empty when nothing is to be done.
    pub fn calls(&self, id: &str, before: &Value) -> Vec<AwsCall> {
        if self.expected(before) == *before {
            return Vec::new();
        }
        let call = |operation: &str, parameters: Value| AwsCall { operation: operation.to_string(), parameters };
        match self {
            Action::S3BlockPublicAccess => {
                let mut calls = Vec::new();
                if before.get("public_access_block") != self.expected(before).get("public_access_block") {
                    calls.push(call(
                        "s3:PutPublicAccessBlock",
                        json!({"Bucket": id, "PublicAccessBlockConfiguration": {
                            "BlockPublicAcls": true, "IgnorePublicAcls": true,
                            "BlockPublicPolicy": true, "RestrictPublicBuckets": true}}),
                    ));
                }
                if before.get("grants") != self.expected(before).get("grants") {
                    calls.push(call("s3:PutBucketAcl", json!({"Bucket": id, "ACL": "private"})));
                }
                calls
            }
            Action::Ec2RevokeIngress { rules } => {
                let present = ingress_rules(before).unwrap_or_default();
                let permissions: Vec<Value> =
                    rules.iter().filter(|r| present.contains(r)).map(IngressRule::ip_permission).collect();
                if permissions.is_empty() {
                    return Vec::new();
                }
                vec![call("ec2:RevokeSecurityGroupIngress", json!({"GroupId": id, "IpPermissions": permissions}))]
            }
            Action::KmsEnableRotation => vec![call("kms:EnableKeyRotation", json!({"KeyId": id}))],
            Action::RdsDisablePublicAccess => vec![call(
                "rds:ModifyDBInstance",
                json!({"DBInstanceIdentifier": id, "PubliclyAccessible": false, "ApplyImmediately": true}),
            )],
            Action::EcrImmutableTags => vec![call(
                "ecr:PutImageTagMutability",
                json!({"repositoryName": id, "imageTagMutability": "IMMUTABLE"}),
            )],
        }
    }

    /// The fix as a JSON Patch (RFC 6902) against Terraform-shaped `props`
    /// (a live resource's properties, or the attributes a state declares):
    /// what to change in code. Empty when `props` already has it.
    pub fn patch(&self, props: &Value) -> Vec<Value> {
        let mut ops = Vec::new();
        let set = |ops: &mut Vec<Value>, key: &str, value: Value| match props.get(key) {
            Some(old) if *old == value => {}
            Some(_) => ops.push(json!({"op": "replace", "path": format!("/{key}"), "value": value})),
            None => ops.push(json!({"op": "add", "path": format!("/{key}"), "value": value})),
        };
        match self {
            Action::S3BlockPublicAccess => {
                let settings: Map<String, Value> =
                    PUBLIC_ACCESS_BLOCK_SETTINGS.iter().map(|s| (s.to_string(), json!(true))).collect();
                if self.slice(props).get("public_access_block") != Some(&Value::Object(settings.clone())) {
                    set(&mut ops, "public_access_block", json!([settings]));
                }
                if let Some(acl) = props.get("acl").and_then(Value::as_str)
                    && acl.starts_with("public-")
                {
                    set(&mut ops, "acl", json!("private"));
                }
                let grants = props.get("grant").and_then(Value::as_array).cloned().unwrap_or_default();
                for (i, g) in grants.iter().enumerate().rev() {
                    if g.get("uri").and_then(Value::as_str).is_some_and(|u| PUBLIC_GRANTEES.contains(&u)) {
                        ops.push(json!({"op": "remove", "path": format!("/grant/{i}")}));
                    }
                }
            }
            Action::Ec2RevokeIngress { rules } => {
                let blocks = props.get("ingress").and_then(Value::as_array).cloned().unwrap_or_default();
                for (i, block) in blocks.iter().enumerate().rev() {
                    match without_rules(block, rules) {
                        None => ops.push(json!({"op": "remove", "path": format!("/ingress/{i}")})),
                        Some(kept) if kept != *block => {
                            ops.push(json!({"op": "replace", "path": format!("/ingress/{i}"), "value": kept}));
                        }
                        Some(_) => {}
                    }
                }
            }
            Action::KmsEnableRotation => set(&mut ops, "enable_key_rotation", json!(true)),
            Action::RdsDisablePublicAccess => set(&mut ops, "publicly_accessible", json!(false)),
            Action::EcrImmutableTags => set(&mut ops, "image_tag_mutability", json!("IMMUTABLE")),
        }
        ops
    }
}

/// One AWS call of an action, as the plan shows it and the host sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsCall {
    /// `SERVICE:Operation`, the IAM action's name (`s3:PutBucketAcl`).
    pub operation: String,
    /// The request's parameters, in the API's own names.
    pub parameters: Value,
}

/// The first block of a Terraform block list (or the object itself).
fn first_block(value: Option<&Value>) -> Option<&Value> {
    match value {
        Some(Value::Array(items)) => items.first(),
        Some(v @ Value::Object(_)) => Some(v),
        _ => None,
    }
}

/// Every grant of `props.grant` (the live reader's shape: `{"type", "id",
/// "uri", "permissions"}`), one `{"grantee", "permission"}` per permission,
/// the grantee a group's URI or a canonical user's id, sorted.
fn grants(props: &Value) -> Vec<Value> {
    let mut out: Vec<(String, String)> = Vec::new();
    for grant in props.get("grant").and_then(Value::as_array).into_iter().flatten() {
        let text = |key: &str| grant.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
        let Some(grantee) = text("uri").or_else(|| text("id")).or_else(|| text("email")) else { continue };
        let permissions = match grant.get("permissions").or_else(|| grant.get("permission")) {
            Some(Value::Array(p)) => p.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(p)) => vec![p.clone()],
            _ => Vec::new(),
        };
        out.extend(permissions.into_iter().map(|p| (grantee.to_string(), p)));
    }
    out.sort();
    out.dedup();
    out.into_iter().map(|(grantee, permission)| json!({"grantee": grantee, "permission": permission})).collect()
}

/// Whether a normalized grant is to everyone (AllUsers, AuthenticatedUsers).
fn is_public_grant(grant: &Value) -> bool {
    grant.get("grantee").and_then(Value::as_str).is_some_and(|g| PUBLIC_GRANTEES.contains(&g))
}

/// Whether normalized grants are those of a canned public ACL
/// (`public-read`, `public-read-write`, `authenticated-read`): some grant to
/// everyone, and besides them only one grantee's `FULL_CONTROL` (the
/// owner's). Resetting such an ACL to `private` removes exactly the public
/// grants.
fn is_canned_public(grants: &[Value]) -> bool {
    let (public, others): (Vec<&Value>, Vec<&Value>) = grants.iter().partition(|g| is_public_grant(g));
    !public.is_empty()
        && others.len() == 1
        && others[0].get("permission").and_then(Value::as_str) == Some("FULL_CONTROL")
}

/// Every CIDR rule of `props.ingress`. Errors when a value is unknown.
fn ingress_rules(props: &Value) -> Result<BTreeSet<IngressRule>, String> {
    let mut rules = BTreeSet::new();
    match props.get("ingress") {
        Some(Value::Array(blocks)) => {
            for block in blocks {
                let found = IngressRule::of_block(block)
                    .ok_or_else(|| "the group's ingress rules are known only after apply".to_string())?;
                rules.extend(found);
            }
        }
        Some(Value::String(s)) if s == UNKNOWN => {
            return Err("the group's ingress rules are known only after apply".to_string());
        }
        _ => {}
    }
    Ok(rules)
}

/// `block` without the CIDRs of `rules`; `None` when it has no source
/// left (every source of the block was revoked).
fn without_rules(block: &Value, rules: &[IngressRule]) -> Option<Value> {
    let Some(mine) = IngressRule::of_block(block) else { return Some(block.clone()) };
    if !mine.iter().any(|r| rules.contains(r)) {
        return Some(block.clone());
    }
    let mut kept = block.clone();
    for (key, v6) in [("cidr_blocks", false), ("ipv6_cidr_blocks", true)] {
        let Some(Value::Array(cidrs)) = kept.get_mut(key) else { continue };
        cidrs.retain(|c| {
            let Some(c) = c.as_str() else { return true };
            let probe = IngressRule {
                protocol: mine.first().map(|r| r.protocol.clone()).unwrap_or_default(),
                from_port: mine.first().map_or(0, |r| r.from_port),
                to_port: mine.first().map_or(0, |r| r.to_port),
                cidr_ipv4: (!v6).then(|| c.trim().to_string()),
                cidr_ipv6: v6.then(|| c.trim().to_string()),
            };
            !rules.contains(&probe)
        });
    }
    let sources = ["cidr_blocks", "ipv6_cidr_blocks", "security_groups", "prefix_list_ids"];
    let any_source = sources.iter().any(|k| kept.get(*k).and_then(Value::as_array).is_some_and(|a| !a.is_empty()))
        || kept.get("self").and_then(Value::as_bool) == Some(true);
    any_source.then_some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_group() -> Value {
        json!({"id": "sg-1", "ingress": [
            {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": ["0.0.0.0/0"], "description": "web"},
            {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8"], "description": ""},
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "ipv6_cidr_blocks": ["::/0"]}
        ]})
    }

    fn revoke(rules: Value) -> Result<Action, serde_json::Error> {
        serde_json::from_value(json!({"kind": "ec2.revoke-ingress", "params": {"rules": rules}}))
    }

    #[test]
    fn kinds_and_params_are_checked() {
        let kms: Action = serde_json::from_value(json!({"kind": "kms.enable-rotation"})).expect("no params");
        assert_eq!(serde_json::to_value(&kms).expect("json"), json!({"kind": "kms.enable-rotation"}));
        let bad = [
            (json!({"kind": "s3.delete-bucket"}), "unknown action kind `s3.delete-bucket`"),
            (json!({"kind": "kms.enable-rotation", "params": {"x": 1}}), "takes no parameters"),
            (json!({"kind": "ec2.revoke-ingress", "params": {"rules": []}}), "`rules` is empty"),
            (json!({"kind": "ec2.revoke-ingress", "params": {}}), "params are not"),
            (
                json!({"kind": "ec2.revoke-ingress", "params": {"rules": [{"protocol": "tcp", "from_port": 1, "to_port": 1}]}}),
                "exactly one of cidr_ipv4",
            ),
            (json!({"kind": "kms.enable-rotation", "extra": 1}), "unknown field"),
        ];
        for (doc, want) in bad {
            let err = serde_json::from_value::<Action>(doc.clone()).expect_err(&doc.to_string()).to_string();
            assert!(err.contains(want), "{doc}: {err}");
        }
    }

    #[test]
    fn revoking_lists_exactly_the_rules_and_keeps_the_others() {
        let action = revoke(json!([{"protocol": "6", "from_port": 80, "to_port": 80, "cidr_ipv4": "0.0.0.0/0"}]))
            .expect("an action");
        let props = open_group();
        action.check("aws_security_group", &props).expect("the rule is in the group");
        let before = action.slice(&props);
        let after = action.expected(&before);
        assert_eq!(after["ingress"].as_array().map(Vec::len), Some(2));
        let calls = action.calls("sg-1", &before);
        assert_eq!(calls.len(), 1);
        assert_eq!(
            calls[0].parameters,
            json!({"GroupId": "sg-1", "IpPermissions": [
                {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]})
        );
        assert!(action.calls("sg-1", &after).is_empty(), "done: nothing to send");
        assert_eq!(action.patch(&props), vec![json!({"op": "remove", "path": "/ingress/0"})]);
        let missing = revoke(json!([{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0"}]))
            .expect("an action");
        let err = missing.check("aws_security_group", &props).expect_err("not in the group");
        assert!(err.contains("no ingress rule tcp 22-22 from 0.0.0.0/0"), "{err}");
        assert!(action.check("aws_s3_bucket", &props).is_err());
    }

    #[test]
    fn a_disabled_key_gets_no_rotation() {
        let action = Action::KmsEnableRotation;
        assert_eq!(action.refusal(&json!({"enable_key_rotation": false, "key_state": "Enabled"})), None);
        for props in [json!({"is_enabled": false}), json!({"key_state": "PendingDeletion", "is_enabled": false})] {
            let why = action.refusal(&props).expect("refused");
            assert!(why.contains("enabled key"), "{why}");
        }
    }

    #[test]
    fn arns_must_name_the_id() {
        use ActionKind::*;
        assert!(S3BlockPublicAccess.arn_matches("arn:aws:s3:::b", "b"));
        assert!(!S3BlockPublicAccess.arn_matches("arn:aws:s3:::other", "b"));
        assert!(Ec2RevokeIngress.arn_matches("arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1", "sg-1"));
        assert!(!Ec2RevokeIngress.arn_matches("arn:aws:ec2:eu-west-1:123456789012:security-group/sg-2", "sg-1"));
        assert!(KmsEnableRotation.arn_matches("arn:aws:kms:eu-west-1:123456789012:key/k", "k"));
        assert!(RdsDisablePublicAccess.arn_matches("arn:aws:rds:eu-west-1:123456789012:db:orders", "orders"));
        assert!(EcrImmutableTags.arn_matches("arn:aws:ecr:eu-west-1:123456789012:repository/api", "api"));
        assert!(!EcrImmutableTags.arn_matches("arn:aws:ecr:eu-west-1:123456789012:repository/api", ""));
        assert!(!KmsEnableRotation.arn_matches("arn:aws:s3:::k", "k"));
    }

    #[test]
    fn a_declared_block_with_several_cidrs_keeps_the_others() {
        let declared = json!({"ingress": [{"protocol": "tcp", "from_port": 80, "to_port": 80,
                                           "cidr_blocks": ["0.0.0.0/0", "10.0.0.0/8"]}]});
        let action = revoke(json!([{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_ipv4": "0.0.0.0/0"}]))
            .expect("an action");
        assert_eq!(
            action.patch(&declared),
            vec![json!({"op": "replace", "path": "/ingress/0", "value":
                {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": ["10.0.0.0/8"]}})]
        );
    }

    #[test]
    fn a_public_bucket_gets_its_block_and_a_private_acl() {
        let props = json!({"grant": [
            {"id": "owner", "type": "CanonicalUser", "uri": "", "permissions": ["FULL_CONTROL"]},
            {"id": "", "type": "Group", "uri": PUBLIC_GRANTEES[0], "permissions": ["READ"]}],
            "public_access_block": []});
        let action = Action::S3BlockPublicAccess;
        let before = action.slice(&props);
        assert_eq!(
            before["grants"],
            json!([{"grantee": PUBLIC_GRANTEES[0], "permission": "READ"}, {"grantee": "owner", "permission": "FULL_CONTROL"}])
        );
        assert_eq!(before["public_access_block"]["block_public_acls"], json!(false));
        let ops: Vec<String> = action.calls("b", &before).into_iter().map(|c| c.operation).collect();
        assert_eq!(ops, ["s3:PutPublicAccessBlock", "s3:PutBucketAcl"]);
        let after = action.expected(&before);
        assert_eq!(after["grants"], json!([{"grantee": "owner", "permission": "FULL_CONTROL"}]));
        assert!(action.calls("b", &after).is_empty());
        assert_eq!(action.patch(&props).len(), 2, "the block added, the AllUsers grant removed");
    }

    #[test]
    fn an_acl_with_other_grants_is_never_reset() {
        // Log delivery and another account keep their grants: only the block
        // is put (IgnorePublicAcls makes the public grant ineffective).
        let props = json!({"grant": [
            {"id": "owner", "type": "CanonicalUser", "uri": "", "permissions": ["FULL_CONTROL"]},
            {"id": "", "type": "Group", "uri": "http://acs.amazonaws.com/groups/s3/LogDelivery", "permissions": ["WRITE"]},
            {"id": "partner", "type": "CanonicalUser", "uri": "", "permissions": ["READ"]},
            {"id": "", "type": "Group", "uri": PUBLIC_GRANTEES[0], "permissions": ["READ"]}],
            "public_access_block": []});
        let action = Action::S3BlockPublicAccess;
        let before = action.slice(&props);
        let after = action.expected(&before);
        assert_eq!(after["grants"], before["grants"], "no grant removed");
        let ops: Vec<String> = action.calls("b", &before).into_iter().map(|c| c.operation).collect();
        assert_eq!(ops, ["s3:PutPublicAccessBlock"]);
    }

    #[test]
    fn simple_kinds_set_one_attribute() {
        let cases = [
            (Action::KmsEnableRotation, json!({"enable_key_rotation": false}), "kms:EnableKeyRotation"),
            (Action::RdsDisablePublicAccess, json!({"publicly_accessible": true}), "rds:ModifyDBInstance"),
            (Action::EcrImmutableTags, json!({"image_tag_mutability": "MUTABLE"}), "ecr:PutImageTagMutability"),
        ];
        for (action, props, operation) in cases {
            let before = action.slice(&props);
            assert_ne!(before, action.expected(&before));
            let calls = action.calls("id-1", &before);
            assert_eq!(calls.iter().map(|c| c.operation.as_str()).collect::<Vec<_>>(), [operation]);
            assert_eq!(action.patch(&props).len(), 1);
            let mut fixed = props.clone();
            json_patch::patch(
                &mut fixed,
                &serde_json::from_value::<json_patch::Patch>(json!(action.patch(&props))).expect("patch"),
            )
            .expect("applies");
            assert_eq!(action.slice(&fixed), action.expected(&before));
        }
    }
}
