//! Terraform's split resources, folded into their parent.
//!
//! The AWS provider configures one cloud resource through several: since
//! provider v4 a bucket's versioning, ACL, encryption, public access block,
//! logging and policy are resources of their own
//! (`aws_s3_bucket_versioning`, ...), and a security group's rules may be
//! `aws_security_group_rule` or `aws_vpc_security_group_ingress_rule` /
//! `_egress_rule` resources; a role's managed policies are
//! `aws_iam_role_policy_attachment`s. Pulumi's AWS provider has the same
//! resources (`aws:s3/bucketVersioningV2:BucketVersioningV2`, ...).
//!
//! [`fragments`] says what one split resource sets on its parent, in the
//! parent's Terraform attribute shape (the shape a live reader writes:
//! `versioning[0].enabled`, one `ingress` block per rule); [`fold`] applies
//! the fragments of a stack to their parents. Drift (comparing a bucket with
//! the cloud) and policy evaluation (a policy that needs the folded bucket)
//! call the same two functions.
//!
//! A fragment either **replaces** the parent's attribute (versioning,
//! encryption, ACL, public access block, logging, policy: the split
//! resource owns it) or adds **members** to a set (security group rules,
//! policy attachments: the parent may have others). Props are read in
//! Terraform shape: a Pulumi resource's camelCase names are turned to
//! snake_case first ([`terraform_shaped`]).

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::model::{Resource, ResourceKind, Stack, is_unknown};

/// How a fragment sets its parent's attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldKind {
    /// The split resource owns the attribute: its value replaces the parent's.
    Replace,
    /// The split resource adds elements to a set the parent may hold others of.
    Member,
}

/// What one split resource sets on its parent.
#[derive(Debug, Clone, PartialEq)]
pub struct Fragment {
    /// The split resource's Terraform type (`aws_s3_bucket_versioning`).
    pub split_type: &'static str,
    /// The parent's Terraform type (`aws_s3_bucket`).
    pub parent_type: &'static str,
    /// The parent's id, as Terraform state records it (bucket name, `sg-`
    /// id, role name).
    pub parent_id: String,
    /// The parent's attribute (`versioning`, `ingress`, `managed_policy_arns`).
    pub attribute: &'static str,
    /// Replace or add members.
    pub kind: FoldKind,
    /// [`FoldKind::Replace`]: the attribute's value; [`FoldKind::Member`]:
    /// a list of the elements added.
    pub value: Value,
}

/// A fragment folded into a parent of the stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// Index of the split resource in the stack.
    pub split: usize,
    /// What it set.
    pub fragment: Fragment,
}

/// A stack's split resources, folded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Folding {
    /// Per parent (index in the stack): its Terraform-shaped props with the
    /// fragments applied. Only parents that received a fragment.
    pub props: HashMap<usize, Value>,
    /// Per parent: the fragments applied to it, in stack order.
    pub origins: HashMap<usize, Vec<Origin>>,
    /// Per split resource folded into a parent of the stack: that parent.
    pub folded_into: HashMap<usize, usize>,
    /// Split resources whose parent is not in the stack (managed there
    /// elsewhere, or by hand), with their fragments.
    pub orphans: HashMap<usize, Vec<Fragment>>,
}

/// Parent types: Terraform, then Pulumi.
const PARENTS: &[(&str, &[&str])] = &[
    ("aws_s3_bucket", &["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]),
    ("aws_security_group", &["aws:ec2/securityGroup:SecurityGroup"]),
    ("aws_iam_role", &["aws:iam/role:Role"]),
];

/// A split type: Terraform name, Pulumi names, and what it sets.
struct Split {
    terraform: &'static str,
    pulumi: &'static [&'static str],
    parent: &'static str,
    /// The prop naming the parent's id.
    parent_key: &'static str,
    set: fn(&Map<String, Value>) -> Vec<Set>,
}

/// What a split type sets: (attribute, how, value).
type Set = (&'static str, FoldKind, Value);

const SPLITS: &[Split] = &[
    Split {
        terraform: "aws_s3_bucket_versioning",
        pulumi: &["aws:s3/bucketVersioningV2:BucketVersioningV2", "aws:s3/bucketVersioning:BucketVersioning"],
        parent: "aws_s3_bucket",
        parent_key: "bucket",
        set: versioning,
    },
    Split {
        terraform: "aws_s3_bucket_acl",
        pulumi: &["aws:s3/bucketAclV2:BucketAclV2", "aws:s3/bucketAcl:BucketAcl"],
        parent: "aws_s3_bucket",
        parent_key: "bucket",
        set: acl,
    },
    Split {
        terraform: "aws_s3_bucket_server_side_encryption_configuration",
        pulumi: &[
            "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        ],
        parent: "aws_s3_bucket",
        parent_key: "bucket",
        set: encryption,
    },
    Split {
        terraform: "aws_s3_bucket_public_access_block",
        pulumi: &["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
        parent: "aws_s3_bucket",
        parent_key: "bucket",
        set: public_access_block,
    },
    Split {
        terraform: "aws_s3_bucket_logging",
        pulumi: &["aws:s3/bucketLoggingV2:BucketLoggingV2", "aws:s3/bucketLogging:BucketLogging"],
        parent: "aws_s3_bucket",
        parent_key: "bucket",
        set: logging,
    },
    Split {
        terraform: "aws_s3_bucket_policy",
        pulumi: &["aws:s3/bucketPolicy:BucketPolicy"],
        parent: "aws_s3_bucket",
        parent_key: "bucket",
        set: |p| {
            p.get("policy").filter(|v| known(v)).map(|v| ("policy", FoldKind::Replace, v.clone())).into_iter().collect()
        },
    },
    Split {
        terraform: "aws_security_group_rule",
        pulumi: &["aws:ec2/securityGroupRule:SecurityGroupRule"],
        parent: "aws_security_group",
        parent_key: "security_group_id",
        set: security_group_rule,
    },
    Split {
        terraform: "aws_vpc_security_group_ingress_rule",
        pulumi: &["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"],
        parent: "aws_security_group",
        parent_key: "security_group_id",
        set: |p| vpc_rule(p, "ingress"),
    },
    Split {
        terraform: "aws_vpc_security_group_egress_rule",
        pulumi: &["aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"],
        parent: "aws_security_group",
        parent_key: "security_group_id",
        set: |p| vpc_rule(p, "egress"),
    },
    Split {
        terraform: "aws_iam_role_policy_attachment",
        pulumi: &["aws:iam/rolePolicyAttachment:RolePolicyAttachment"],
        parent: "aws_iam_role",
        parent_key: "role",
        set: |p| {
            let arn = p.get("policy_arn").filter(|v| known(v));
            arn.map(|a| ("managed_policy_arns", FoldKind::Member, json!([a]))).into_iter().collect()
        },
    },
];

/// The Terraform type of a parent type (Terraform or Pulumi name), if it
/// is one split resources fold into.
pub fn parent_type(resource_type: &str) -> Option<&'static str> {
    PARENTS.iter().find(|(tf, pulumi)| *tf == resource_type || pulumi.contains(&resource_type)).map(|(tf, _)| *tf)
}

/// The Terraform type of a split type (Terraform or Pulumi name), if it is one.
pub fn split_type(resource_type: &str) -> Option<&'static str> {
    split_of(resource_type).map(|s| s.terraform)
}

fn split_of(resource_type: &str) -> Option<&'static Split> {
    // Most resources are not split resources: a cheap test first.
    let maybe = resource_type.starts_with("aws:")
        || resource_type.starts_with("aws_s3_bucket_")
        || resource_type.starts_with("aws_security_group_rule")
        || resource_type.starts_with("aws_vpc_security_group_")
        || resource_type.starts_with("aws_iam_role_policy_attachment");
    if !maybe {
        return None;
    }
    SPLITS.iter().find(|s| s.terraform == resource_type || s.pulumi.contains(&resource_type))
}

/// What `res` sets on its parent: empty when it is not a split resource,
/// or when its parent's id or its values are not known (unknown until
/// apply). Its props are read in Terraform shape ([`terraform_shaped`]).
pub fn fragments(res: &Resource) -> Vec<Fragment> {
    let Some(split) = split_of(&res.resource_type) else {
        return Vec::new();
    };
    let props = terraform_shaped(res);
    let Some(map) = props.as_object() else {
        return Vec::new();
    };
    let Some(parent_id) = map.get(split.parent_key).and_then(Value::as_str).filter(|s| !s.is_empty() && known_str(s))
    else {
        return Vec::new();
    };
    (split.set)(map)
        .into_iter()
        .map(|(attribute, kind, value)| Fragment {
            split_type: split.terraform,
            parent_type: split.parent,
            parent_id: parent_id.to_string(),
            attribute,
            kind,
            value,
        })
        .collect()
}

/// Folds the split resources of `stack` into their parents: the managed
/// resources that will exist of the parent type whose `id` is the
/// fragment's parent id. Fragments are applied in stack order (a later
/// replace wins; members are added once each).
pub fn fold(stack: &Stack) -> Folding {
    let live = |r: &Resource| r.kind == ResourceKind::Managed && r.will_exist();
    let split: Vec<(usize, Vec<Fragment>)> = stack
        .resources
        .iter()
        .enumerate()
        .filter(|(_, r)| live(r) && split_of(&r.resource_type).is_some())
        .map(|(i, r)| (i, fragments(r)))
        .filter(|(_, f)| !f.is_empty())
        .collect();
    let mut folding = Folding::default();
    if split.is_empty() {
        return folding;
    }
    let mut parents: HashMap<(&'static str, &str), usize> = HashMap::new();
    for (i, r) in stack.resources.iter().enumerate().filter(|(_, r)| live(r)) {
        if let (Some(ty), Some(id)) = (parent_type(&r.resource_type), r.props.get("id").and_then(Value::as_str)) {
            parents.entry((ty, id)).or_insert(i);
        }
    }
    for (i, frags) in split {
        let Some(first) = frags.first() else { continue };
        let Some(&p) = parents.get(&(first.parent_type, first.parent_id.as_str())) else {
            folding.orphans.insert(i, frags);
            continue;
        };
        let Some(parent) = stack.resources.get(p) else { continue };
        let props = folding.props.entry(p).or_insert_with(|| terraform_shaped(parent).into_owned());
        for fragment in frags {
            apply(props, &fragment);
            folding.origins.entry(p).or_default().push(Origin { split: i, fragment });
        }
        folding.folded_into.insert(i, p);
    }
    folding
}

/// `stack` with each parent's props replaced by its folded props
/// ([`fold`]; Terraform-shaped), for policies that judge the folded parent.
pub fn folded_stack(stack: &Stack) -> Stack {
    let mut folding = fold(stack);
    let mut out = stack.clone();
    for (i, r) in out.resources.iter_mut().enumerate() {
        if let Some(props) = folding.props.remove(&i) {
            r.props = props;
        }
    }
    out
}

/// Applies one fragment to Terraform-shaped props.
fn apply(props: &mut Value, fragment: &Fragment) {
    let Some(map) = props.as_object_mut() else { return };
    match fragment.kind {
        FoldKind::Replace => {
            map.insert(fragment.attribute.to_string(), fragment.value.clone());
        }
        FoldKind::Member => {
            let slot = map.entry(fragment.attribute.to_string()).or_insert_with(|| Value::Array(Vec::new()));
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            if let (Value::Array(list), Value::Array(add)) = (slot, &fragment.value) {
                for v in add {
                    if !list.contains(v) {
                        list.push(v.clone());
                    }
                }
            }
        }
    }
}

/// `res.props` with Terraform's attribute names: a Pulumi AWS resource's
/// (type `aws:...`) camelCase keys turned to snake_case at every depth,
/// except the keys of tag maps (`tags`, `tagsAll`) and of policy documents
/// held as objects (an object with a `Statement`); for S3 types, the
/// plural block names of Pulumi's V2 resources (`versionings`, `grants`,
/// `rules`, `applyServerSideEncryptionByDefaults`, ...) singular, as
/// Terraform names them. Anything else as it is.
pub fn terraform_shaped(res: &Resource) -> Cow<'_, Value> {
    if res.resource_type.starts_with("aws:") {
        Cow::Owned(snake_keys(&res.props, res.resource_type.starts_with("aws:s3/")))
    } else {
        Cow::Borrowed(&res.props)
    }
}

/// Pulumi's plural names of S3 blocks, and Terraform's.
const S3_PLURALS: &[(&str, &str)] = &[
    ("versionings", "versioning"),
    ("grants", "grant"),
    ("loggings", "logging"),
    ("server_side_encryption_configurations", "server_side_encryption_configuration"),
    ("rules", "rule"),
    ("apply_server_side_encryption_by_defaults", "apply_server_side_encryption_by_default"),
];

fn snake_keys(v: &Value, s3: bool) -> Value {
    match v {
        Value::Object(map) if map.contains_key("Statement") => v.clone(),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let mut key = snake_case(k);
                    if s3 && let Some((_, singular)) = S3_PLURALS.iter().find(|(p, _)| *p == key) {
                        key = (*singular).to_string();
                    }
                    let v = if key == "tags" || key == "tags_all" { v.clone() } else { snake_keys(v, s3) };
                    (key, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|i| snake_keys(i, s3)).collect()),
        other => other.clone(),
    }
}

/// `camelCase` (or `HTTPTokens`) as `snake_case` (`http_tokens`): the
/// words of the secret-name check ([`crate::secrets`]), joined by `_`.
pub fn snake_case(name: &str) -> String {
    crate::secrets::words(name).join("_")
}

fn known(v: &Value) -> bool {
    !v.is_null() && !is_unknown(v)
}

fn known_str(s: &str) -> bool {
    !is_unknown(&Value::String(s.to_string()))
}

/// The first element of a one-block list, or the object itself (Pulumi).
fn block(v: Option<&Value>) -> Option<&Map<String, Value>> {
    match v? {
        Value::Array(items) => items.first()?.as_object(),
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn versioning(p: &Map<String, Value>) -> Vec<Set> {
    let Some(config) = block(p.get("versioning_configuration")) else { return Vec::new() };
    let status = config.get("status").and_then(Value::as_str);
    let mfa = config.get("mfa_delete").and_then(Value::as_str);
    if status.is_none() {
        return Vec::new();
    }
    let value = json!([{"enabled": status == Some("Enabled"), "mfa_delete": mfa == Some("Enabled")}]);
    vec![("versioning", FoldKind::Replace, value)]
}

fn acl(p: &Map<String, Value>) -> Vec<Set> {
    if let Some(canned) = p.get("acl").and_then(Value::as_str).filter(|s| !s.is_empty() && known_str(s)) {
        // The canned ACL decides the grants: the parent's recorded `grant`
        // is not compared (an empty list is not set).
        return vec![
            ("acl", FoldKind::Replace, Value::String(canned.to_string())),
            ("grant", FoldKind::Replace, Value::Array(Vec::new())),
        ];
    }
    let Some(policy) = block(p.get("access_control_policy")) else { return Vec::new() };
    let grants = policy.get("grant").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut out: Vec<Value> = Vec::new();
    for g in grants {
        let Some(grantee) = block(g.get("grantee")) else { continue };
        let field = |k: &str| grantee.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let permission = g.get("permission").cloned().unwrap_or(Value::Null);
        out.push(json!({"id": field("id"), "type": field("type"), "uri": field("uri"), "permissions": [permission]}));
    }
    vec![("grant", FoldKind::Replace, Value::Array(out)), ("acl", FoldKind::Replace, Value::Null)]
}

fn encryption(p: &Map<String, Value>) -> Vec<Set> {
    let Some(rule) = p.get("rule").filter(|v| known(v)) else { return Vec::new() };
    // (Pulumi's `rules` are `rule` once Terraform-shaped.)
    let rules = if rule.is_array() { rule.clone() } else { json!([rule]) };
    vec![("server_side_encryption_configuration", FoldKind::Replace, json!([{"rule": rules}]))]
}

fn public_access_block(p: &Map<String, Value>) -> Vec<Set> {
    let flag = |k: &str| p.get(k).and_then(Value::as_bool).unwrap_or(false);
    let value = json!([{
        "block_public_acls": flag("block_public_acls"),
        "block_public_policy": flag("block_public_policy"),
        "ignore_public_acls": flag("ignore_public_acls"),
        "restrict_public_buckets": flag("restrict_public_buckets"),
    }]);
    vec![("public_access_block", FoldKind::Replace, value)]
}

fn logging(p: &Map<String, Value>) -> Vec<Set> {
    let Some(target) = p.get("target_bucket").filter(|v| known(v)) else { return Vec::new() };
    let prefix = p.get("target_prefix").cloned().unwrap_or(json!(""));
    vec![("logging", FoldKind::Replace, json!([{"target_bucket": target, "target_prefix": prefix}]))]
}

/// `aws_security_group_rule`: one `ingress` or `egress` block, with its
/// source group under `security_groups` (the parent's own id means `self`).
fn security_group_rule(p: &Map<String, Value>) -> Vec<Set> {
    let attribute = match p.get("type").and_then(Value::as_str) {
        Some("ingress") => "ingress",
        Some("egress") => "egress",
        _ => return Vec::new(),
    };
    let list = |k: &str| p.get(k).filter(|v| v.is_array()).cloned().unwrap_or(json!([]));
    let sources =
        [list("cidr_blocks"), list("ipv6_cidr_blocks"), list("prefix_list_ids"), one(p, "source_security_group_id")];
    let own = p.get("self").and_then(Value::as_bool).unwrap_or(false);
    vec![(attribute, FoldKind::Member, json!([rule_block(p, "protocol", sources, own)]))]
}

/// `aws_vpc_security_group_ingress_rule` / `_egress_rule`: one source each.
fn vpc_rule(p: &Map<String, Value>, attribute: &'static str) -> Vec<Set> {
    let sources =
        [one(p, "cidr_ipv4"), one(p, "cidr_ipv6"), one(p, "prefix_list_id"), one(p, "referenced_security_group_id")];
    vec![(attribute, FoldKind::Member, json!([rule_block(p, "ip_protocol", sources, false)]))]
}

/// A string prop as a list of one, `[]` when absent or empty.
fn one(p: &Map<String, Value>, key: &str) -> Value {
    p.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map_or_else(|| json!([]), |s| json!([s]))
}

/// One `ingress`/`egress` block of `aws_security_group`: ports and
/// description from `p`, its protocol under `protocol_key`, its sources
/// (CIDRs, IPv6 ranges, prefix lists, groups) and `self`.
fn rule_block(p: &Map<String, Value>, protocol_key: &str, sources: [Value; 4], own: bool) -> Value {
    let [cidr, ipv6, prefix_lists, groups] = sources;
    json!({
        "from_port": p.get("from_port").cloned().unwrap_or(Value::Null),
        "to_port": p.get("to_port").cloned().unwrap_or(Value::Null),
        "protocol": p.get(protocol_key).cloned().unwrap_or(Value::Null),
        "cidr_blocks": cidr,
        "ipv6_cidr_blocks": ipv6,
        "prefix_list_ids": prefix_lists,
        "security_groups": groups,
        "self": own,
        "description": p.get("description").cloned().unwrap_or(json!("")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Operation;

    fn res(ty: &str, props: Value) -> Resource {
        Resource {
            address: format!("{ty}.x"),
            resource_type: ty.into(),
            name: "x".into(),
            provider: String::new(),
            kind: ResourceKind::Managed,
            op: Operation::NoOp,
            props,
            before: None,
            secret: Vec::new(),
            unset: Vec::new(),
            encrypted: Vec::new(),
            source: "s.tfstate".into(),
            partial: false,
        }
    }

    #[test]
    fn snake_case_follows_pulumi_names() {
        assert_eq!(snake_case("versioningConfiguration"), "versioning_configuration");
        assert_eq!(snake_case("httpTokens"), "http_tokens");
        assert_eq!(snake_case("ipv6CidrBlocks"), "ipv6_cidr_blocks");
        assert_eq!(snake_case("sseAlgorithm"), "sse_algorithm");
        assert_eq!(snake_case("kmsMasterKeyId"), "kms_master_key_id");
        assert_eq!(snake_case("self"), "self");
    }

    #[test]
    fn versioning_replaces_and_rules_add_members() {
        let stack = Stack {
            source: "s.tfstate".into(),
            format: crate::model::InputFormat::TfState,
            resources: vec![
                res("aws_s3_bucket", json!({"id": "b", "versioning": [{"enabled": false, "mfa_delete": false}]})),
                res(
                    "aws_s3_bucket_versioning",
                    json!({"bucket": "b", "versioning_configuration": [{"status": "Enabled", "mfa_delete": ""}]}),
                ),
                res("aws_security_group", json!({"id": "sg-1", "ingress": []})),
                res(
                    "aws_security_group_rule",
                    json!({"type": "ingress", "security_group_id": "sg-1", "from_port": 22, "to_port": 22,
                           "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"], "self": false}),
                ),
                res("aws_iam_role_policy_attachment", json!({"role": "elsewhere", "policy_arn": "arn:p"})),
            ],
            notes: Vec::new(),
        };
        let folding = fold(&stack);
        assert_eq!(folding.props[&0]["versioning"], json!([{"enabled": true, "mfa_delete": false}]));
        assert_eq!(folding.props[&2]["ingress"][0]["cidr_blocks"], json!(["10.0.0.0/8"]));
        assert_eq!(folding.folded_into.get(&1), Some(&0));
        assert_eq!(folding.orphans.len(), 1);
        assert_eq!(folding.orphans[&4][0].parent_id, "elsewhere");
        let folded = folded_stack(&stack);
        assert_eq!(folded.resources[0].props["versioning"][0]["enabled"], json!(true));
    }

    #[test]
    fn pulumi_s3_plurals_and_policy_documents_keep_their_meaning() {
        let r = res(
            "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
            json!({"bucket": "b", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]}),
        );
        let f = fragments(&r);
        assert_eq!(f[0].value[0]["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"], "aws:kms");
        let role = res(
            "aws:iam/role:Role",
            json!({"assumeRolePolicy": {"Version": "2012-10-17", "Statement": [{"Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}}),
        );
        let shaped = terraform_shaped(&role);
        assert_eq!(shaped["assume_role_policy"]["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"], "true");
    }

    #[test]
    fn pulumi_split_resources_read_in_terraform_shape() {
        let r = res(
            "aws:s3/bucketVersioningV2:BucketVersioningV2",
            json!({"bucket": "b", "versioningConfiguration": {"status": "Suspended"}}),
        );
        let f = fragments(&r);
        assert_eq!(f[0].value, json!([{"enabled": false, "mfa_delete": false}]));
        assert_eq!(f[0].parent_type, "aws_s3_bucket");
    }
}
