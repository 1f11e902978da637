//! Attribute drift: what a state declares against what the cloud has,
//! for a documented list of attributes per type, with no false drift.
//!
//! Only the attributes of [`COMPARED`] are compared (the security-relevant
//! and commonly drifted ones), and of those only what the declared state
//! sets (a `null` or absent attribute is not compared). Computed and
//! write-only attributes are never listed, so never compared. Both sides
//! are normalised first:
//!
//! - `null`, absent, `""`, `[]` and the provider's default (per attribute:
//!   `false` for `encrypted`, `"optional"` for `http_tokens`, ...) are equal;
//! - a block is its one element, whether a one-element list (Terraform) or
//!   an object (Pulumi), compared field by field on the fields listed;
//! - sets compare as sets: ids and ARNs (`vpc_security_group_ids`,
//!   `managed_policy_arns`); security group rules, expanded to one rule per
//!   source (CIDR, IPv6 range, prefix list, group, `self`) as AWS stores
//!   them, with protocol numbers named (`6` is `tcp`, `all` is `-1`), ports
//!   `0` for protocol `-1`, and the group's own id as `self`; bucket grants,
//!   one per grantee and permission;
//! - a canned `acl` (`private`, `public-read`, ...) is compared with the
//!   group grants (AllUsers, AuthenticatedUsers, LogDelivery) it makes;
//! - JSON policy documents compare semantically: parsed, a single
//!   statement or value is a list of one, lists of actions, resources and
//!   principals are sets, statements are a set, an account id principal is
//!   its `:root` ARN, empty `Sid`s are dropped.
//!
//! Pulumi resources are compared through their Terraform-shaped names
//! ([`palisade_model::split::terraform_shaped`], which also turns
//! `BucketV2`'s plural names, `versionings`, `grants`, ..., singular).

use std::collections::BTreeSet;

use palisade_model::inventory::InventoryResource;
use palisade_model::is_conventionally_secret;
use palisade_model::model::PathSegment;
use palisade_model::split::{FoldKind, Fragment, Origin, snake_case};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::report::REDACTED;

/// One attribute that differs between the state and the cloud.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeChange {
    /// The Terraform attribute, with the field of a block after a dot:
    /// `instance_type`, `versioning.enabled`, `ingress`.
    pub attribute: String,
    /// The declared value, normalised. For a set (rules, grants, ids): the
    /// elements declared that the cloud does not have. `null`: not set (or
    /// the provider's default). `"[secret]"` when secret.
    pub declared: Value,
    /// The cloud's value, normalised. For a set: the elements the cloud
    /// has that are not declared.
    pub live: Value,
    /// Whether `declared` and `live` are values, or a set's elements.
    pub kind: AttributeChangeKind,
}

/// What an [`AttributeChange`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeChangeKind {
    /// Two values, declared and live.
    Value,
    /// Two lists: the elements declared, not in the cloud; the elements in
    /// the cloud, not declared.
    Set,
}

/// A provider default: the value an unset attribute has.
#[derive(Debug, Clone, Copy)]
enum Def {
    /// No default but `null` / `""` / `[]`.
    None,
    /// `false`.
    False,
    /// `true`.
    True,
    /// This number.
    Int(i64),
    /// This string.
    Str(&'static str),
}

/// How an attribute's value is compared.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// A string, number or boolean, with its default.
    Scalar(Def),
    /// An unordered list of strings.
    Set,
    /// A block (one-element list or object): these fields.
    Block(&'static [(&'static str, Shape)]),
    /// Security group rules (`ingress`, `egress`).
    Rules,
    /// Bucket grants (`grant`).
    Grants,
    /// A canned ACL, against the cloud's group grants (`grant`).
    CannedAcl,
    /// A JSON policy document (a string or an object).
    Policy,
}

/// One compared attribute.
#[derive(Debug, Clone, Copy)]
struct Attr {
    /// The Terraform attribute name.
    name: &'static str,
    /// The live property it is compared with (usually `name`).
    live: &'static str,
    shape: Shape,
    /// Compared only when the declared `(attribute, value)` holds one of the
    /// values (`iops` only for volume types where it is set, not computed).
    only_if: Option<(&'static str, &'static [&'static str])>,
}

const fn attr(name: &'static str, shape: Shape) -> Attr {
    Attr { name, live: name, shape, only_if: None }
}

/// The attributes compared for one Terraform type.
#[derive(Debug, Clone, Copy)]
pub struct TypeAttributes {
    /// The Terraform type (`aws_security_group`); Pulumi types map to it.
    pub terraform_type: &'static str,
    attributes: &'static [Attr],
}

impl TypeAttributes {
    /// The names of the compared attributes, in table order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.attributes.iter().map(|a| a.name)
    }
}

const METADATA: &[(&str, Shape)] = &[
    ("http_tokens", Shape::Scalar(Def::Str("optional"))),
    ("http_endpoint", Shape::Scalar(Def::Str("enabled"))),
    ("http_put_response_hop_limit", Shape::Scalar(Def::Int(1))),
    ("instance_metadata_tags", Shape::Scalar(Def::Str("disabled"))),
];
const SSE_DEFAULT: &[(&str, Shape)] =
    &[("sse_algorithm", Shape::Scalar(Def::None)), ("kms_master_key_id", Shape::Scalar(Def::None))];
const SSE_RULE: &[(&str, Shape)] = &[
    ("apply_server_side_encryption_by_default", Shape::Block(SSE_DEFAULT)),
    ("bucket_key_enabled", Shape::Scalar(Def::False)),
];
const SSE: &[(&str, Shape)] = &[("rule", Shape::Block(SSE_RULE))];
const VERSIONING: &[(&str, Shape)] =
    &[("enabled", Shape::Scalar(Def::False)), ("mfa_delete", Shape::Scalar(Def::False))];
const LOGGING: &[(&str, Shape)] =
    &[("target_bucket", Shape::Scalar(Def::None)), ("target_prefix", Shape::Scalar(Def::None))];
const PUBLIC_ACCESS_BLOCK: &[(&str, Shape)] = &[
    ("block_public_acls", Shape::Scalar(Def::False)),
    ("block_public_policy", Shape::Scalar(Def::False)),
    ("ignore_public_acls", Shape::Scalar(Def::False)),
    ("restrict_public_buckets", Shape::Scalar(Def::False)),
];

/// Every compared type and its attributes (the README's drift section
/// lists the same).
pub static COMPARED: &[TypeAttributes] = &[
    TypeAttributes {
        terraform_type: "aws_security_group",
        attributes: &[attr("ingress", Shape::Rules), attr("egress", Shape::Rules)],
    },
    TypeAttributes {
        terraform_type: "aws_s3_bucket",
        attributes: &[
            Attr { live: "grant", ..attr("acl", Shape::CannedAcl) },
            attr("grant", Shape::Grants),
            attr("server_side_encryption_configuration", Shape::Block(SSE)),
            attr("versioning", Shape::Block(VERSIONING)),
            attr("public_access_block", Shape::Block(PUBLIC_ACCESS_BLOCK)),
            attr("policy", Shape::Policy),
            attr("logging", Shape::Block(LOGGING)),
        ],
    },
    TypeAttributes {
        terraform_type: "aws_ebs_volume",
        attributes: &[
            attr("size", Shape::Scalar(Def::None)),
            attr("type", Shape::Scalar(Def::None)),
            Attr { only_if: Some(("type", &["io1", "io2", "gp3"])), ..attr("iops", Shape::Scalar(Def::None)) },
            attr("encrypted", Shape::Scalar(Def::False)),
        ],
    },
    TypeAttributes {
        terraform_type: "aws_instance",
        attributes: &[
            attr("instance_type", Shape::Scalar(Def::None)),
            attr("metadata_options", Shape::Block(METADATA)),
            attr("vpc_security_group_ids", Shape::Set),
        ],
    },
    TypeAttributes {
        terraform_type: "aws_db_instance",
        attributes: &[
            attr("publicly_accessible", Shape::Scalar(Def::False)),
            attr("storage_encrypted", Shape::Scalar(Def::False)),
            attr("instance_class", Shape::Scalar(Def::None)),
            attr("backup_retention_period", Shape::Scalar(Def::None)),
        ],
    },
    TypeAttributes {
        terraform_type: "aws_rds_cluster",
        attributes: &[
            attr("storage_encrypted", Shape::Scalar(Def::False)),
            attr("backup_retention_period", Shape::Scalar(Def::None)),
        ],
    },
    TypeAttributes {
        terraform_type: "aws_kms_key",
        attributes: &[
            attr("enable_key_rotation", Shape::Scalar(Def::False)),
            attr("is_enabled", Shape::Scalar(Def::True)),
        ],
    },
    TypeAttributes {
        terraform_type: "aws_iam_role",
        attributes: &[attr("assume_role_policy", Shape::Policy), attr("managed_policy_arns", Shape::Set)],
    },
];

/// The compared attributes of a Terraform type.
pub fn compared(terraform_type: &str) -> Option<&'static TypeAttributes> {
    COMPARED.iter().find(|t| t.terraform_type == terraform_type)
}

/// The declared side of one comparison.
pub(crate) struct DeclaredSide<'a> {
    /// The Terraform type compared as.
    pub terraform_type: &'a str,
    /// Terraform-shaped props, with split resources folded in.
    pub props: &'a Value,
    /// The fragments folded into these props (attribution of changes).
    pub origins: &'a [Origin],
    /// For a split resource whose parent is not in its stack: only these.
    pub orphan: Option<&'a [Fragment]>,
    /// The resource's own id (a security group's, for `self`).
    pub id: Option<&'a str>,
}

/// What one comparison found.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    /// Changes of the resource itself.
    pub own: Vec<AttributeChange>,
    /// Changes of the split resources folded into it: (stack index, changes).
    pub splits: Vec<(usize, Vec<AttributeChange>)>,
    /// Attributes that could not be compared: `attr (why)`.
    pub unreadable: Vec<String>,
}

/// Compares `declared` with `cloud`: `None` when the type has no compared
/// attributes or the state sets none of them.
pub(crate) fn compare(declared: &DeclaredSide<'_>, cloud: &InventoryResource) -> Option<Comparison> {
    let spec = compared(declared.terraform_type)?;
    let props = declared.props.as_object()?;
    let wanted: Vec<(&Attr, &Value)> = spec
        .attributes
        .iter()
        .filter_map(|a| Some((a, declared_value(props, a)?)))
        .filter(|(a, _)| declared.orphan.is_none_or(|f| f.iter().any(|f| f.attribute == a.name)))
        .filter(|(a, _)| {
            a.only_if.is_none_or(|(k, vals)| props.get(k).and_then(Value::as_str).is_some_and(|v| vals.contains(&v)))
        })
        .collect();
    if wanted.is_empty() {
        return None;
    }
    let mut out = Comparison::default();
    let Some(live) = cloud.properties.as_ref() else {
        let names: Vec<&str> = wanted.iter().map(|(a, _)| a.name).collect();
        out.unreadable.push(format!(
            "{}: its configuration was not read (it was found by the Tagging API only: the live reader of {} did \
             not run or its list call failed (see the scan's errors), or the snapshot is version 1)",
            names.join(", "),
            declared.terraform_type
        ));
        return Some(out);
    };
    for (a, value) in wanted {
        if holds_unknown(value) {
            out.unreadable.push(format!(
                "{}: its declared value is not known (a secret the export holds encrypted, or unknown until apply)",
                a.name
            ));
            continue;
        }
        if let Some(u) = cloud.unread.iter().find(|u| u.attributes.iter().any(|x| x == a.live)) {
            let reason = serde_json::to_value(u.reason).ok().and_then(|v| v.as_str().map(str::to_string));
            out.unreadable.push(format!(
                "{} unreadable ({} {}: {})",
                a.name,
                u.call,
                reason.unwrap_or_default(),
                u.error
            ));
            continue;
        }
        compare_attr(a, value, live.get(a.live), declared, &mut out);
    }
    Some(out)
}

/// Whether `v` holds the unknown sentinel anywhere.
fn holds_unknown(v: &Value) -> bool {
    match v {
        Value::String(_) => palisade_model::model::is_unknown(v),
        Value::Array(items) => items.iter().any(holds_unknown),
        Value::Object(map) => map.values().any(holds_unknown),
        _ => false,
    }
}

/// The declared value of `a`, when set (an
/// unknown value is set: it is reported as not known). An
/// empty `grant` list is not set: Terraform records it so when the bucket
/// has a canned `acl` (compared instead).
fn declared_value<'a>(props: &'a Map<String, Value>, a: &Attr) -> Option<&'a Value> {
    props
        .get(a.name)
        .filter(|v| !v.is_null())
        .filter(|v| !matches!(a.shape, Shape::Grants) || v.as_array().is_none_or(|g| !g.is_empty()))
}

struct Ctx<'a> {
    own_id: Option<&'a str>,
}

/// Compares one attribute and files its changes under their owner.
fn compare_attr(a: &Attr, declared: &Value, live: Option<&Value>, side: &DeclaredSide<'_>, out: &mut Comparison) {
    let ctx = &Ctx { own_id: side.id };
    let owner_of_whole = replace_origin(side.origins, a.name);
    match a.shape {
        Shape::Rules | Shape::Grants | Shape::Set => {
            let key = |v: &Value| elements(a.shape, v, ctx);
            let d = key(declared);
            let l = live.map(key).unwrap_or_default();
            let members: Vec<(usize, BTreeSet<String>)> = member_origins(side.origins, a.name)
                .map(|(split, v)| (split, elements(a.shape, v, ctx).into_iter().map(|(k, _)| k).collect()))
                .collect();
            let only_declared: Vec<&(String, Value)> = d.iter().filter(|e| !l.iter().any(|x| x.0 == e.0)).collect();
            let only_live: Vec<Value> =
                l.iter().filter(|e| !d.iter().any(|x| x.0 == e.0)).map(|e| e.1.clone()).collect();
            if side.orphan.is_some_and(|f| f.iter().any(|f| f.attribute == a.name && f.kind == FoldKind::Member)) {
                // A split resource alone: its members must be there; the
                // parent's others are not its business.
                let missing: Vec<Value> = only_declared.iter().map(|e| e.1.clone()).collect();
                push(out, None, a.name, missing, Vec::new());
                return;
            }
            let mut parent_missing = Vec::new();
            let mut by_split: Vec<(usize, Vec<Value>)> = Vec::new();
            for (k, v) in only_declared {
                match members.iter().find(|(_, keys)| keys.contains(k)) {
                    Some((split, _)) => match by_split.iter_mut().find(|(s, _)| s == split) {
                        Some((_, list)) => list.push(v.clone()),
                        None => by_split.push((*split, vec![v.clone()])),
                    },
                    None => parent_missing.push(v.clone()),
                }
            }
            for (split, missing) in by_split {
                push(out, Some(split), a.name, missing, Vec::new());
            }
            push(out, owner_of_whole, a.name, parent_missing, only_live);
        }
        _ => {
            let mut changes = Vec::new();
            diff(a.shape, a.name, declared, live, &mut changes);
            file(out, owner_of_whole, changes);
        }
    }
}

/// Files a set change (elements missing from the cloud, elements added)
/// under `owner` (a split resource) or the resource itself.
fn push(out: &mut Comparison, owner: Option<usize>, name: &str, missing: Vec<Value>, added: Vec<Value>) {
    if missing.is_empty() && added.is_empty() {
        return;
    }
    let change = AttributeChange {
        attribute: name.to_string(),
        declared: Value::Array(missing),
        live: Value::Array(added),
        kind: AttributeChangeKind::Set,
    };
    file(out, owner, vec![change]);
}

fn file(out: &mut Comparison, owner: Option<usize>, changes: Vec<AttributeChange>) {
    if changes.is_empty() {
        return;
    }
    match owner {
        None => out.own.extend(changes),
        Some(split) => match out.splits.iter_mut().find(|(s, _)| *s == split) {
            Some((_, list)) => list.extend(changes),
            None => out.splits.push((split, changes)),
        },
    }
}

/// The split resource owning a whole attribute (the last replace), if any.
fn replace_origin(origins: &[Origin], name: &str) -> Option<usize> {
    origins.iter().rev().find(|o| o.fragment.kind == FoldKind::Replace && o.fragment.attribute == name).map(|o| o.split)
}

fn member_origins<'o>(origins: &'o [Origin], name: &'o str) -> impl Iterator<Item = (usize, &'o Value)> + 'o {
    origins
        .iter()
        .filter(move |o| o.fragment.kind == FoldKind::Member && o.fragment.attribute == name)
        .map(|o| (o.split, &o.fragment.value))
}

/// Scalar, block, ACL and policy differences, by attribute path.
fn diff(shape: Shape, path: &str, declared: &Value, live: Option<&Value>, out: &mut Vec<AttributeChange>) {
    match shape {
        Shape::Block(fields) => {
            let d = block(Some(declared));
            match d {
                Some(d) => {
                    let l = block(live);
                    for (name, shape) in fields {
                        let Some(dv) = d.get(*name).filter(|v| !v.is_null()) else { continue };
                        diff(*shape, &format!("{path}.{name}"), dv, l.and_then(|l| l.get(*name)), out);
                    }
                }
                // Declared as no block at all (`[]`): any block is drift.
                None => {
                    if let Some(l) = norm_block(live, fields) {
                        let kind = AttributeChangeKind::Value;
                        out.push(AttributeChange { attribute: path.into(), declared: Value::Null, live: l, kind });
                    }
                }
            }
        }
        // A declared `""` with no default is not set: not compared.
        Shape::Scalar(Def::None) if declared.as_str() == Some("") => {}
        _ => {
            let (d, l) = (norm(shape, Some(declared)), norm(shape, live));
            if d != l {
                // Shown as the default, not `null`, where there is one.
                let shown = |v: Option<Value>| v.or_else(|| default_of(shape)).unwrap_or(Value::Null);
                out.push(AttributeChange {
                    attribute: path.into(),
                    declared: shown(d),
                    live: shown(l),
                    kind: AttributeChangeKind::Value,
                });
            }
        }
    }
}

/// A normalised scalar, ACL or policy; `None` for not set or the default.
fn norm(shape: Shape, v: Option<&Value>) -> Option<Value> {
    match shape {
        Shape::Scalar(def) => scalar(v?, def),
        Shape::Policy => policy(v?),
        Shape::CannedAcl => match v? {
            Value::String(canned) => {
                canned_grants(canned).map(|g| Value::Array(g.into_iter().map(Value::String).collect()))
            }
            grants => {
                let groups: BTreeSet<String> =
                    grant_keys(grants).into_iter().filter(|k| k.starts_with("group ")).collect();
                Some(Value::Array(groups.into_iter().map(Value::String).collect()))
            }
        },
        Shape::Block(fields) => norm_block(v, fields),
        Shape::Set | Shape::Rules | Shape::Grants => None,
    }
}

/// A block with its fields normalised, `None` when every field is unset.
fn norm_block(v: Option<&Value>, fields: &[(&str, Shape)]) -> Option<Value> {
    let b = block(v)?;
    let map: Map<String, Value> =
        fields.iter().filter_map(|(name, shape)| Some((name.to_string(), norm(*shape, b.get(*name))?))).collect();
    (!map.is_empty()).then_some(Value::Object(map))
}

fn block(v: Option<&Value>) -> Option<&Map<String, Value>> {
    match v? {
        Value::Array(items) => items.first()?.as_object(),
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// The default value of a scalar shape, if it has one.
fn default_of(shape: Shape) -> Option<Value> {
    match shape {
        Shape::Scalar(def) => def_value(def),
        _ => None,
    }
}

fn def_value(def: Def) -> Option<Value> {
    match def {
        Def::None => None,
        Def::False => Some(json!(false)),
        Def::True => Some(json!(true)),
        Def::Int(n) => Some(json!(n)),
        Def::Str(s) => Some(json!(s)),
    }
}

/// A scalar: `null`, `""` and the default are `None`; numeric and boolean
/// strings are numbers and booleans; a whole float is an integer.
fn scalar(v: &Value, def: Def) -> Option<Value> {
    let v = match v {
        Value::Null => return None,
        Value::Number(n)
            if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15) && !n.is_i64() && !n.is_u64() =>
        {
            json!(n.as_f64().unwrap_or_default() as i64)
        }
        Value::String(s) if s.is_empty() => return None,
        Value::String(s) => match (s.parse::<i64>(), s.as_str()) {
            (Ok(n), _) => json!(n),
            (_, "true") => json!(true),
            (_, "false") => json!(false),
            _ => v.clone(),
        },
        Value::Array(a) if a.is_empty() => return None,
        other => other.clone(),
    };
    (Some(&v) != def_value(def).as_ref()).then_some(v)
}

/// A set's elements: (canonical key, shown value), sorted by key, unique.
fn elements(shape: Shape, v: &Value, ctx: &Ctx<'_>) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = match shape {
        Shape::Rules => rules(v, ctx),
        Shape::Grants => grant_keys(v).into_iter().map(|k| (k.clone(), Value::String(k))).collect(),
        _ => list(v).filter_map(|e| scalar(e, Def::None)).map(|e| (key(&e), e)).collect(),
    };
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

fn key(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

fn list(v: &Value) -> impl Iterator<Item = &Value> {
    match v {
        Value::Array(items) => items.iter(),
        _ => [].iter(),
    }
}

/// Security group rules, one per source, canonical.
fn rules(v: &Value, ctx: &Ctx<'_>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for rule in list(v).filter_map(Value::as_object) {
        let protocol = protocol(rule.get("protocol"));
        let all = protocol == "-1";
        let port = |k: &str| if all { 0 } else { rule.get(k).and_then(number).unwrap_or(0) };
        let (from, to) = (port("from_port"), port("to_port"));
        let description = rule.get("description").and_then(Value::as_str).unwrap_or("");
        let mut sources: Vec<(&str, String)> = Vec::new();
        for (field, kind) in [("cidr_blocks", "cidr"), ("ipv6_cidr_blocks", "ipv6"), ("prefix_list_ids", "prefix_list")]
        {
            sources.extend(
                rule.get(field)
                    .map(list)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|s| (kind, s.to_string())),
            );
        }
        for g in rule.get("security_groups").map(list).into_iter().flatten().filter_map(Value::as_str) {
            // Another account's group is `ACCOUNT/sg-...`; AWS lists the id.
            let id = g.rsplit('/').next().unwrap_or(g);
            if Some(id) == ctx.own_id {
                sources.push(("self", String::new()))
            } else {
                sources.push(("group", id.to_string()))
            }
        }
        if rule.get("self").and_then(Value::as_bool) == Some(true) {
            sources.push(("self", String::new()));
        }
        for (kind, source) in sources {
            let shown = json!({"protocol": protocol, "from_port": from, "to_port": to, kind: source, "description": description});
            out.push((format!("{protocol}|{from}|{to}|{kind}|{source}|{description}"), shown));
        }
    }
    out
}

fn number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.parse().ok())
}

/// A protocol as AWS names it: `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all),
/// else the number.
fn protocol(v: Option<&Value>) -> String {
    let p = v.map(key).unwrap_or_default().to_ascii_lowercase();
    match p.as_str() {
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        "all" | "-1" | "" => "-1".into(),
        _ => p,
    }
}

/// Grants, one per grantee and permission: `user ID PERMISSION` or
/// `group URI PERMISSION`.
fn grant_keys(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for g in list(v).filter_map(Value::as_object) {
        let field = |k: &str| g.get(k).and_then(Value::as_str).unwrap_or("");
        let who = match (field("type"), field("uri")) {
            ("Group", uri) | (_, uri) if !uri.is_empty() => format!("group {uri}"),
            (_, _) => format!("user {}", field("id")),
        };
        let permissions: Vec<&str> = match g.get("permissions").or_else(|| g.get("permission")) {
            Some(Value::String(p)) => vec![p.as_str()],
            Some(p) => list(p).filter_map(Value::as_str).collect(),
            None => Vec::new(),
        };
        out.extend(permissions.into_iter().map(|p| format!("{who} {p}")));
    }
    out
}

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// The group grants a canned ACL makes (the owner's own grant aside);
/// `None` for a canned ACL whose grants are not all group grants.
fn canned_grants(canned: &str) -> Option<Vec<String>> {
    let g = |uri: &str, p: &str| format!("group {uri} {p}");
    let mut grants = match canned {
        "private" | "bucket-owner-read" | "bucket-owner-full-control" => Vec::new(),
        "public-read" => vec![g(ALL_USERS, "READ")],
        "public-read-write" => vec![g(ALL_USERS, "READ"), g(ALL_USERS, "WRITE")],
        "authenticated-read" => vec![g(AUTHENTICATED, "READ")],
        "log-delivery-write" => vec![g(LOG_DELIVERY, "READ_ACP"), g(LOG_DELIVERY, "WRITE")],
        _ => return None,
    };
    grants.sort();
    Some(grants)
}

/// A policy document, normalised; `None` for no policy (`""`, `{}`).
fn policy(v: &Value) -> Option<Value> {
    let doc = match v {
        Value::String(s) if s.trim().is_empty() => return None,
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
        Value::Object(m) if m.is_empty() => return None,
        other => other.clone(),
    };
    let Value::Object(mut doc) = doc else { return Some(doc) };
    doc.remove("Id");
    let statements = match doc.remove("Statement") {
        Some(Value::Array(list)) => list,
        Some(one) => vec![one],
        None => Vec::new(),
    };
    let mut statements: Vec<Value> = statements.iter().map(statement).collect();
    statements.sort_by_key(Value::to_string);
    statements.dedup();
    doc.insert("Statement".into(), Value::Array(statements));
    Some(Value::Object(doc))
}

fn statement(s: &Value) -> Value {
    let Some(map) = s.as_object() else { return s.clone() };
    let mut out = Map::new();
    for (k, v) in map {
        let v = match k.as_str() {
            "Sid" if v.as_str() == Some("") => continue,
            "Action" | "NotAction" | "Resource" | "NotResource" => string_set(v),
            "Principal" | "NotPrincipal" => principal(v),
            "Condition" => condition(v),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

/// A string or list of strings as a sorted, unique list.
fn string_set(v: &Value) -> Value {
    let items: BTreeSet<String> = match v {
        Value::Array(items) => items.iter().map(key).collect(),
        other => std::iter::once(key(other)).collect(),
    };
    Value::Array(items.into_iter().map(Value::String).collect())
}

fn principal(v: &Value) -> Value {
    match v {
        Value::String(s) if s == "*" => json!({"AWS": ["*"]}),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let set = string_set(v);
                    let set = if k == "AWS" { account_roots(set) } else { set };
                    (k.clone(), set)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A 12-digit account id principal as AWS stores it: `arn:aws:iam::ID:root`.
fn account_roots(set: Value) -> Value {
    let items: BTreeSet<String> =
        list(&set)
            .map(key)
            .map(|p| {
                if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
                    format!("arn:aws:iam::{p}:root")
                } else {
                    p
                }
            })
            .collect();
    Value::Array(items.into_iter().map(Value::String).collect())
}

fn condition(v: &Value) -> Value {
    let Some(ops) = v.as_object() else { return v.clone() };
    Value::Object(
        ops.iter()
            .map(|(op, keys)| {
                let keys = keys.as_object().map_or_else(
                    || keys.clone(),
                    |m| Value::Object(m.iter().map(|(k, v)| (k.clone(), string_set(v))).collect()),
                );
                (op.clone(), keys)
            })
            .collect(),
    )
}

/// `changes` with secret values redacted: an attribute whose name is
/// conventionally secret, or under (or over) a secret path of the resource.
pub(crate) fn redact(changes: &mut [AttributeChange], secret: &[Vec<PathSegment>]) {
    for c in changes {
        let top = c.attribute.split('.').next().unwrap_or(&c.attribute);
        let leaf = c.attribute.rsplit('.').next().unwrap_or(&c.attribute);
        let secret_path = secret.iter().any(|p| match p.first() {
            None => true,
            Some(PathSegment::Key(k)) => snake_case(k) == top,
            Some(PathSegment::Index(_)) => false,
        });
        if secret_path || is_conventionally_secret(top) || is_conventionally_secret(leaf) {
            c.declared = json!(REDACTED);
            c.live = json!(REDACTED);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx<'static> {
        Ctx { own_id: Some("sg-1") }
    }

    #[test]
    fn rules_compare_as_sets_of_one_source_each() {
        let declared = json!([{"protocol": "6", "from_port": 22, "to_port": 22,
            "cidr_blocks": ["10.0.0.0/8", "192.168.0.0/16"], "self": true, "security_groups": [], "description": null}]);
        let live = json!([
            {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["192.168.0.0/16"], "description": ""},
            {"protocol": "tcp", "from_port": 22, "to_port": 22, "self": false, "security_groups": ["sg-1"], "description": ""},
            {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8"], "description": ""}]);
        let keys = |v| elements(Shape::Rules, v, &ctx()).into_iter().map(|e| e.0).collect::<Vec<_>>();
        assert_eq!(keys(&declared), keys(&live));
        let all = json!([{"protocol": "all", "from_port": 0, "to_port": 65535, "cidr_blocks": ["0.0.0.0/0"]}]);
        let aws = json!([{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}]);
        assert_eq!(keys(&all), keys(&aws));
    }

    #[test]
    fn policies_compare_semantically() {
        let a = json!(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Sid":""}}"#
        );
        let b = json!({"Version": "2012-10-17", "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]}}]});
        assert_eq!(policy(&a), policy(&b));
        let c = json!({"Version": "2012-10-17", "Statement": [{"Action": ["sts:AssumeRole", "sts:TagSession"], "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]}}]});
        assert_ne!(policy(&a), policy(&c));
    }

    #[test]
    fn defaults_empty_and_null_are_equal() {
        assert_eq!(scalar(&json!(false), Def::False), None);
        assert_eq!(scalar(&json!(""), Def::None), None);
        assert_eq!(scalar(&json!("optional"), Def::Str("optional")), None);
        assert_eq!(scalar(&json!("20"), Def::None), Some(json!(20)));
        let mut out = Vec::new();
        diff(
            Shape::Block(VERSIONING),
            "versioning",
            &json!([{"enabled": false, "mfa_delete": false}]),
            Some(&json!([])),
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
        diff(
            Shape::Block(VERSIONING),
            "versioning",
            &json!([{"enabled": true}]),
            Some(&json!([{"enabled": false}])),
            &mut out,
        );
        assert_eq!(out[0].attribute, "versioning.enabled");
        assert_eq!((out[0].declared.clone(), out[0].live.clone()), (json!(true), json!(false)));
    }

    #[test]
    fn a_canned_acl_is_its_group_grants() {
        let live = json!([{"id": "abc", "type": "CanonicalUser", "uri": "", "permissions": ["FULL_CONTROL"]},
            {"id": "", "type": "Group", "uri": ALL_USERS, "permissions": ["READ"]}]);
        assert_eq!(norm(Shape::CannedAcl, Some(&json!("public-read"))), norm(Shape::CannedAcl, Some(&live)));
        assert_ne!(norm(Shape::CannedAcl, Some(&json!("private"))), norm(Shape::CannedAcl, Some(&live)));
    }
}
