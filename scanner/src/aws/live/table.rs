//! The declarative mapping from a reader's raw output to the Terraform AWS
//! provider's attribute shape: one table of [`Rule`]s per resource type.
//!
//! The raw output is a JSON object with one member per call
//! (`DescribeSecurityGroups`, `GetBucketAcl`), each the API's response
//! members under their documented names ([`super::raw`]). A rule reads a
//! path of it (`GetBucketAcl.Grants`: segments split by `.`, the first the
//! call at the top level, relative to the current item inside
//! [`Rule::Each`], [`Rule::Nest`] and [`Rule::Split`]; a leading `^` reads
//! from the resource's whole raw output) and writes one Terraform attribute.
//! Absent and `null` values write nothing, except where a rule says
//! otherwise ([`Rule::Or`], [`Rule::Present`], the block rules, which write
//! `[]`).
//!
//! There is no machine-readable table from AWS API names to Terraform's
//! (`../shared/notes/aws-live-readers.md`); ours follow the provider's
//! documentation of each resource's attributes, and the shape CloudQuery's
//! `drift.hcl` and driftctl's normalizers used.

use serde_json::{Map, Value};

/// A literal value a rule may write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lit {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(&'static str),
    /// An empty list.
    EmptyList,
}

impl Lit {
    fn value(self) -> Value {
        match self {
            Lit::Bool(b) => Value::Bool(b),
            Lit::Int(i) => Value::from(i),
            Lit::Str(s) => Value::String(s.to_string()),
            Lit::EmptyList => Value::Array(Vec::new()),
        }
    }
}

/// One mapping rule: where a Terraform attribute comes from.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// `to` = the value at `from`, renamed (`Copy("VpcId", "vpc_id")`).
    Copy(&'static str, &'static str),
    /// `to` = the value at `from`, or the literal when it is absent or null
    /// (AWS omits `FromPort` for all protocols; Terraform writes 0).
    Or(&'static str, &'static str, Lit),
    /// `to` = whether the value at `from` is present, not null and not an
    /// empty string or list (`PublicIpAddress` -> `associate_public_ip_address`).
    Present(&'static str, &'static str),
    /// `to` = whether the string at `from` equals the literal (`Enabled`
    /// -> `true`); absent is `false`.
    Equals(&'static str, &'static str, &'static str),
    /// `to` = the literal, always.
    Const(&'static str, Lit),
    /// `to` = `[value at from]`: a scalar as a one-item list (one CIDR per
    /// rule); absent: `[]`.
    Wrap(&'static str, &'static str),
    /// `to` = the JSON document in the string at `from`, parsed; a string
    /// that does not parse is kept as it is.
    Json(&'static str, &'static str),
    /// `to` = a map from the `[{Key, Value}]` list at `from`.
    Tags(&'static str, &'static str),
    /// `to` = `[block]`, the object at `from` mapped by `rules`: Terraform's
    /// nested blocks are lists of one object. Absent: `[]`.
    Nest {
        /// The object's path.
        from: &'static str,
        /// The attribute.
        to: &'static str,
        /// The block's rules, relative to the object.
        rules: &'static [Rule],
    },
    /// `to` = one block per item of the list at `from`, each mapped by
    /// `rules` relative to the item. Absent: `[]`.
    Each {
        /// The list's path.
        from: &'static str,
        /// The attribute.
        to: &'static str,
        /// Each block's rules, relative to its item.
        rules: &'static [Rule],
    },
    /// `to` = one block per element of each sub-list of each item of the
    /// list at `from` (a security group's permission split into one rule
    /// per CIDR, IPv6 range, group and prefix list, as Terraform's
    /// `ingress` blocks). Each block is the item mapped by `rules`, then
    /// the element mapped by its sub-list's rules. Absent: `[]`.
    Split {
        /// The list's path.
        from: &'static str,
        /// The attribute.
        to: &'static str,
        /// The rules every block takes from its item.
        rules: &'static [Rule],
        /// Each sub-list's path (relative to the item) and the rules each
        /// of its elements adds to its block.
        splits: &'static [(&'static str, &'static [Rule])],
    },
    /// The rules of `then` when the value at `a` equals the value at `b`
    /// (both present), else those of `otherwise` (a group pair naming the
    /// rule's own group is Terraform's `self = true`).
    IfSame {
        /// One path.
        a: &'static str,
        /// The other (often `^`-rooted).
        b: &'static str,
        /// The rules when they are equal.
        then: &'static [Rule],
        /// The rules otherwise.
        otherwise: &'static [Rule],
    },
}

impl Rule {
    /// The path this rule reads (for [`Rule::Const`]: none).
    pub fn from(&self) -> Option<&'static str> {
        match *self {
            Rule::Copy(from, _)
            | Rule::Or(from, _, _)
            | Rule::Present(from, _)
            | Rule::Equals(from, _, _)
            | Rule::Wrap(from, _)
            | Rule::Json(from, _)
            | Rule::Tags(from, _) => Some(from),
            Rule::Nest { from, .. } | Rule::Each { from, .. } | Rule::Split { from, .. } => Some(from),
            Rule::IfSame { a, .. } => Some(a),
            Rule::Const(..) => None,
        }
    }

    /// The attributes this rule writes.
    pub fn to(&self) -> Vec<&'static str> {
        match *self {
            Rule::Copy(_, to)
            | Rule::Or(_, to, _)
            | Rule::Present(_, to)
            | Rule::Equals(_, to, _)
            | Rule::Wrap(_, to)
            | Rule::Json(_, to)
            | Rule::Tags(_, to)
            | Rule::Const(to, _) => vec![to],
            Rule::Nest { to, .. } | Rule::Each { to, .. } | Rule::Split { to, .. } => vec![to],
            Rule::IfSame { then, otherwise, .. } => then.iter().chain(otherwise).flat_map(Rule::to).collect(),
        }
    }
}

/// The Terraform attributes `rules` write from the output of `call` (the
/// top-level rules whose path starts with it): what is unknown when that
/// call could not be made. Sorted, each once.
pub fn attributes_of_call(rules: &[Rule], call: &str) -> Vec<String> {
    let mut out: Vec<String> = rules
        .iter()
        .filter(|r| r.from().and_then(|f| f.trim_start_matches('^').split('.').next()) == Some(call))
        .flat_map(|r| r.to())
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The Terraform-shaped properties of a resource: `rules` applied to its
/// raw output `raw` (an object with one member per call).
pub fn apply(rules: &[Rule], raw: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    apply_into(rules, raw, raw, &mut out);
    out
}

fn apply_into(rules: &[Rule], item: &Value, root: &Value, out: &mut Map<String, Value>) {
    for rule in rules {
        match *rule {
            Rule::Copy(from, to) => {
                if let Some(v) = get(item, root, from) {
                    out.insert(to.into(), v.clone());
                }
            }
            Rule::Or(from, to, lit) => {
                out.insert(to.into(), get(item, root, from).cloned().unwrap_or_else(|| lit.value()));
            }
            Rule::Present(from, to) => {
                let present = get(item, root, from).is_some_and(|v| match v {
                    Value::String(s) => !s.is_empty(),
                    Value::Array(a) => !a.is_empty(),
                    _ => true,
                });
                out.insert(to.into(), Value::Bool(present));
            }
            Rule::Equals(from, to, lit) => {
                out.insert(to.into(), Value::Bool(get(item, root, from).and_then(Value::as_str) == Some(lit)));
            }
            Rule::Const(to, lit) => {
                out.insert(to.into(), lit.value());
            }
            Rule::Wrap(from, to) => {
                out.insert(to.into(), Value::Array(get(item, root, from).cloned().into_iter().collect()));
            }
            Rule::Json(from, to) => {
                if let Some(v) = get(item, root, from) {
                    let parsed = v.as_str().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_else(|| v.clone());
                    out.insert(to.into(), parsed);
                }
            }
            Rule::Tags(from, to) => {
                if let Some(list) = get(item, root, from).and_then(Value::as_array) {
                    out.insert(to.into(), Value::Object(tag_map(list)));
                }
            }
            Rule::Nest { from, to, rules } => {
                let block = get(item, root, from).map(|v| Value::Object(sub(rules, v, root)));
                out.insert(to.into(), Value::Array(block.into_iter().collect()));
            }
            Rule::Each { from, to, rules } => {
                let items = list(get(item, root, from)).map(|v| Value::Object(sub(rules, v, root))).collect();
                out.insert(to.into(), Value::Array(items));
            }
            Rule::Split { from, to, rules, splits } => {
                out.insert(to.into(), Value::Array(split(get(item, root, from), root, rules, splits)));
            }
            Rule::IfSame { a, b, then, otherwise } => {
                let same = matches!((get(item, root, a), get(item, root, b)), (Some(x), Some(y)) if x == y);
                apply_into(if same { then } else { otherwise }, item, root, out);
            }
        }
    }
}

fn split(parent: Option<&Value>, root: &Value, rules: &[Rule], splits: &[(&str, &[Rule])]) -> Vec<Value> {
    let mut blocks = Vec::new();
    for item in list(parent) {
        let base = sub(rules, item, root);
        for (sublist, element_rules) in splits {
            for element in list(get(item, root, sublist)) {
                let mut block = base.clone();
                apply_into(element_rules, element, root, &mut block);
                blocks.push(Value::Object(block));
            }
        }
    }
    blocks
}

fn sub(rules: &[Rule], item: &Value, root: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    apply_into(rules, item, root, &mut out);
    out
}

fn list(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_array).into_iter().flatten()
}

/// The value at `path` (`A.B.C`) under `item`, or under `root` for a path
/// starting with `^`; `None` when absent or null.
fn get<'v>(item: &'v Value, root: &'v Value, path: &str) -> Option<&'v Value> {
    let (mut at, path) = match path.strip_prefix('^') {
        Some(rest) => (root, rest),
        None => (item, path),
    };
    for segment in path.split('.') {
        at = at.get(segment)?;
    }
    (!at.is_null()).then_some(at)
}

/// `[{"Key": k, "Value": v}]` (or lower-case `key`/`value`) as `{k: v}`.
fn tag_map(list: &[Value]) -> Map<String, Value> {
    list.iter()
        .filter_map(|t| {
            let key = t.get("Key").or_else(|| t.get("key"))?.as_str()?;
            let value = t.get("Value").or_else(|| t.get("value")).cloned().unwrap_or(Value::String(String::new()));
            Some((key.to_string(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const INGRESS: &[Rule] = &[Rule::Split {
        from: "D.IpPermissions",
        to: "ingress",
        rules: &[
            Rule::Copy("IpProtocol", "protocol"),
            Rule::Or("FromPort", "from_port", Lit::Int(0)),
            Rule::Or("ToPort", "to_port", Lit::Int(0)),
            Rule::Const("cidr_blocks", Lit::EmptyList),
            Rule::Const("self", Lit::Bool(false)),
        ],
        splits: &[
            ("IpRanges", &[Rule::Wrap("CidrIp", "cidr_blocks"), Rule::Copy("Description", "description")]),
            (
                "UserIdGroupPairs",
                &[Rule::IfSame {
                    a: "GroupId",
                    b: "^D.GroupId",
                    then: &[Rule::Const("self", Lit::Bool(true))],
                    otherwise: &[Rule::Wrap("GroupId", "security_groups")],
                }],
            ),
        ],
    }];

    #[test]
    fn splits_one_block_per_source() {
        let raw = json!({"D": {"GroupId": "sg-1", "IpPermissions": [{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "ssh"}, {"CidrIp": "10.0.0.0/8"}],
            "UserIdGroupPairs": [{"GroupId": "sg-1"}, {"GroupId": "sg-2"}]
        }, {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "1.2.3.4/32"}]}]}});
        let rules = INGRESS;
        let out = apply(rules, &raw);
        let ingress = out["ingress"].as_array().cloned().unwrap_or_default();
        assert_eq!(ingress.len(), 5);
        assert_eq!(ingress[0]["cidr_blocks"], json!(["0.0.0.0/0"]));
        assert_eq!(ingress[0]["description"], json!("ssh"));
        assert_eq!(ingress[2]["self"], json!(true));
        assert_eq!(ingress[3]["security_groups"], json!(["sg-2"]));
        assert_eq!(ingress[4]["from_port"], json!(0));
        assert_eq!(attributes_of_call(rules, "D"), vec!["ingress".to_string()]);
    }

    #[test]
    fn nests_wraps_and_parses() {
        let raw = json!({"A": {"Rotation": "Enabled", "Policy": "{\"a\":1}", "Tags": [{"Key": "k", "Value": "v"}],
                         "Cfg": {"X": 1}}, "B": null});
        let rules = [
            Rule::Equals("A.Rotation", "enabled", "Enabled"),
            Rule::Json("A.Policy", "policy"),
            Rule::Tags("A.Tags", "tags"),
            Rule::Nest { from: "A.Cfg", to: "cfg", rules: &[Rule::Copy("X", "x")] },
            Rule::Nest { from: "B.Cfg", to: "b", rules: &[] },
            Rule::Present("B.Y", "has_y"),
        ];
        let out = apply(&rules, &raw);
        assert_eq!(
            Value::Object(out),
            json!({"enabled": true, "policy": {"a": 1}, "tags": {"k": "v"},
            "cfg": [{"x": 1}], "b": [], "has_y": false})
        );
    }
}
