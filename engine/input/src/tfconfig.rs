//! A Terraform plan's `configuration` section: what each resource's
//! configuration sets, to tell a value the configuration leaves out from one
//! set by an expression unknown at plan time.
//!
//! Terraform writes both as `true` in `change.after_unknown` (an Optional +
//! Computed attribute the configuration does not set is filled in by the
//! provider at apply). The configuration section (`terraform show -json`,
//! "configuration representation") holds per module (`root_module`, then
//! `module_calls.<name>.module`, recursively) the resources, each with
//! `mode`, `type`, `name` and `expressions`: per attribute an expression
//! (`constant_value` and/or `references`), per nested block a list of block
//! bodies (a single nested block is one body). Resource instances of `count`
//! and `for_each` share their resource's configuration, and module instances
//! share their module's.
//!
//! A path of `after_unknown` is *unset* when the resource's configuration
//! leaves it out: an attribute or block not in `expressions`, or an
//! attribute whose expression is the constant `null`. Anything else stays
//! unknown, including what `dynamic` blocks make (they are not in
//! `expressions`, so a `dynamic` block whose `for_each` is unknown at plan
//! time reads as not set: a documented limit).

use std::collections::HashMap;

use serde_json::{Map, Value};

use palisade_model::model::{Path, PathSegment};

/// The configuration of a plan, indexed for lookups by resource.
#[derive(Debug)]
pub(crate) struct Configuration<'a> {
    /// Every module's resources by module path (call names), mode, type
    /// and name.
    resources: HashMap<Key<'a>, &'a Value>,
    /// `configuration.provider_config`: provider configurations by key.
    providers: Option<&'a Map<String, Value>>,
}

/// A resource's place in the configuration: the module call names from the
/// root, then mode, type and name.
type Key<'a> = (Vec<&'a str>, &'a str, &'a str, &'a str);

/// Modules nested deeper than this are not indexed (a plan cannot nest
/// this deep; a hostile one is not walked forever).
const MAX_MODULE_DEPTH: usize = 64;

/// Adds the resources of `module` (at `path`) and of its calls to `index`.
fn index_module<'a>(module: &'a Value, path: &mut Vec<&'a str>, index: &mut HashMap<Key<'a>, &'a Value>) {
    for resource in module.get("resources").and_then(Value::as_array).into_iter().flatten() {
        let field = |k: &str| resource.get(k).and_then(Value::as_str);
        if let (Some(mode), Some(rtype), Some(name)) = (field("mode"), field("type"), field("name")) {
            index.entry((path.clone(), mode, rtype, name)).or_insert(resource);
        }
    }
    if path.len() >= MAX_MODULE_DEPTH {
        return;
    }
    for (call, body) in module.get("module_calls").and_then(Value::as_object).into_iter().flatten() {
        if let Some(child) = body.get("module") {
            path.push(call);
            index_module(child, path, index);
            path.pop();
        }
    }
}

impl<'a> Configuration<'a> {
    /// The plan's `configuration.root_module`, if it has one.
    pub(crate) fn of_plan(doc: &'a Value) -> Option<Self> {
        let config = doc.get("configuration")?;
        let root = config.get("root_module").filter(|m| m.is_object())?;
        let mut resources = HashMap::new();
        index_module(root, &mut Vec::new(), &mut resources);
        Some(Configuration { resources, providers: config.get("provider_config").and_then(Value::as_object) })
    }

    /// The configuration of the resource `mode`.`type`.`name` in the module
    /// at `module_address` (`module.a["k"].module.b[0]`; `None` for the
    /// root module); `None` when the configuration does not have it.
    pub(crate) fn resource(
        &self,
        module_address: Option<&str>,
        mode: &str,
        rtype: &str,
        name: &str,
    ) -> Option<ResourceConfig<'a>> {
        let path = module_names(module_address.unwrap_or_default())?;
        let resource = *self.resources.get(&(path, mode, rtype, name))?;
        let expressions = match resource.get("expressions") {
            Some(Value::Object(expressions)) => expressions,
            // A resource whose configuration sets nothing.
            None => empty(),
            Some(_) => return None,
        };
        let provider = resource
            .get("provider_config_key")
            .and_then(Value::as_str)
            .and_then(|key| self.providers?.get(key)?.get("expressions")?.as_object());
        Some(ResourceConfig { expressions, provider })
    }
}

/// What the configuration says of one resource.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResourceConfig<'a> {
    /// Its body: attribute name to expression, block type to bodies.
    pub(crate) expressions: &'a Map<String, Value>,
    /// The `expressions` of its provider configuration
    /// (`configuration.provider_config[provider_config_key]`), when found.
    pub(crate) provider: Option<&'a Map<String, Value>>,
}

impl ResourceConfig<'_> {
    /// An AWS resource's `tags_all` (its tags merged over the provider's
    /// `default_tags`), when the plan leaves it unknown only because the
    /// provider computes it: `tags` is known (an object, or null or absent:
    /// no tags) and the provider configuration has no `default_tags`, or
    /// constant ones. `None` otherwise (default tags from an expression).
    pub(crate) fn aws_tags_all(&self, tags: Option<&Value>) -> Option<Value> {
        let mut all = match self.provider?.get("default_tags") {
            None => Map::new(),
            Some(Value::Array(blocks)) => match blocks.as_slice() {
                [] => Map::new(),
                [block] => match block.get("tags") {
                    None => Map::new(),
                    Some(expression) if is_expression(expression) => match expression.get("constant_value") {
                        Some(Value::Object(tags)) if expression.get("references").is_none() => tags.clone(),
                        Some(Value::Null) => Map::new(),
                        _ => return None,
                    },
                    Some(_) => return None,
                },
                _ => return None,
            },
            Some(_) => return None,
        };
        match tags {
            None | Some(Value::Null) => {}
            Some(Value::Object(own)) if !own.values().any(palisade_model::model::is_unknown) => {
                all.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Some(_) => return None,
        }
        Some(Value::Object(all))
    }
}

/// An empty body, for resources with no `expressions`.
fn empty() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

/// The module call names of a module address, instance keys dropped:
/// `module.a["k.x"].module.b[0]` -> `["a", "b"]`. `None` when the address
/// does not have that shape.
fn module_names(address: &str) -> Option<Vec<&str>> {
    let mut names = Vec::new();
    let mut rest = address;
    while !rest.is_empty() {
        rest = rest.strip_prefix("module.")?;
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        names.push(&rest[..end]);
        rest = &rest[end..];
        if rest.starts_with('[') {
            rest = skip_key(rest)?;
        }
        if let Some(after) = rest.strip_prefix('.') {
            rest = after;
        }
    }
    Some(names)
}

/// `rest` after the instance key it starts with (`[0]`, `["a]b"]`).
fn skip_key(rest: &str) -> Option<&str> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ']' if !quoted => return Some(&rest[i + 1..]),
            _ => {}
        }
    }
    None
}

/// Which of `unknown` (the paths where `after_unknown` holds `true`) the
/// configuration body `expressions` leaves out; `after` is the change's
/// `after`, which tells a block the configuration writes through `dynamic`
/// (not in `expressions`, but with values in `after`) from one it leaves
/// out.
pub(crate) fn unset_paths(expressions: &Map<String, Value>, unknown: &[Path], after: Option<&Value>) -> Vec<Path> {
    unknown.iter().filter(|path| is_unset(expressions, path, after)).cloned().collect()
}

/// Whether `body` (block body: attribute name to expression, block type to
/// bodies) leaves out the value at `path`; `after` is the planned value at
/// the body's level.
///
/// A key missing from `body` is left out only when `after` has nothing
/// there either: a `dynamic` block is not in `expressions`, but the blocks
/// it makes are in `after` (with placeholders when its `for_each` is
/// unknown), so values beneath it stay unknown.
fn is_unset(body: &Map<String, Value>, path: &[PathSegment], after: Option<&Value>) -> bool {
    let Some(PathSegment::Key(key)) = path.first() else {
        return false;
    };
    let rest = &path[1..];
    let after = after.and_then(|a| a.get(key.as_str()));
    match body.get(key) {
        None => after.is_none_or(Value::is_null),
        Some(value) if is_expression(value) => is_null_constant(value),
        Some(Value::Array(blocks)) => match rest.first() {
            Some(PathSegment::Index(i)) => blocks
                .get(*i)
                .and_then(Value::as_object)
                .is_some_and(|b| is_unset(b, &rest[1..], after.and_then(|a| a.get(*i)))),
            _ => false,
        },
        Some(Value::Object(block)) => {
            // A single nested block: an object, or a list of one in `after`.
            let after = after.map(|a| a.get(0).unwrap_or(a));
            match rest.first() {
                Some(PathSegment::Index(0)) => is_unset(block, &rest[1..], after),
                Some(PathSegment::Index(_)) => false,
                _ => is_unset(block, rest, after),
            }
        }
        Some(_) => false,
    }
}

/// Whether `value` is an expression (`constant_value`, `references`), not
/// a block body. An empty object is an expression that is neither a
/// constant nor a reference (a function call): set.
fn is_expression(value: &Value) -> bool {
    value.as_object().is_some_and(|m| m.keys().all(|k| k == "constant_value" || k == "references"))
}

/// Whether an expression is the constant `null` (an argument set to `null`
/// is not set).
fn is_null_constant(expression: &Value) -> bool {
    expression.get("constant_value").is_some_and(Value::is_null) && expression.get("references").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(k: &str) -> PathSegment {
        PathSegment::Key(k.into())
    }

    #[test]
    fn blocks_a_dynamic_block_writes_are_not_left_out() {
        // `dynamic "ingress"` is not in `expressions`; its blocks are in `after`.
        let body = json!({"name": {"constant_value": "a"}});
        let body = body.as_object().expect("an object");
        let after = json!({"name": "a", "ingress": [{"from_port": 443}]});
        let cidr = vec![key("ingress"), PathSegment::Index(0), key("cidr_blocks")];
        assert!(!is_unset(body, &cidr, Some(&after)));
        // A block the configuration leaves out has nothing in `after`.
        let after = json!({"name": "a", "ingress": null});
        assert!(is_unset(body, &[key("ingress")], Some(&after)));
        assert!(is_unset(body, &[key("ingress")], Some(&json!({"name": "a"}))));
    }

    #[test]
    fn module_addresses_lose_their_instance_keys() {
        assert_eq!(module_names(""), Some(vec![]));
        assert_eq!(module_names("module.a"), Some(vec!["a"]));
        assert_eq!(module_names(r#"module.a["k.x]"].module.b[0]"#), Some(vec!["a", "b"]));
        assert_eq!(module_names("aws_s3_bucket.x"), None);
        assert_eq!(module_names(r#"module.a["open"#), None);
    }

    #[test]
    fn left_out_and_null_are_unset_expressions_and_blocks_are_not() {
        let body = json!({
            "acl": {"references": ["var.acl"]},
            "bucket": {"constant_value": "b"},
            "policy": {"constant_value": null},
            "tags": {},
            "root_block_device": [{"volume_size": {"constant_value": 10}}],
            "vpc_config": {"subnet_ids": {"references": ["aws_subnet.a.id"]}}
        });
        let body = body.as_object().expect("an object");
        let unset = |path: Vec<PathSegment>| is_unset(body, &path, None);
        assert!(unset(vec![key("grant")]));
        assert!(unset(vec![key("policy")]));
        assert!(!unset(vec![key("acl")]));
        assert!(!unset(vec![key("tags"), key("Name")]));
        assert!(unset(vec![key("root_block_device"), PathSegment::Index(0), key("encrypted")]));
        assert!(!unset(vec![key("root_block_device"), PathSegment::Index(0), key("volume_size")]));
        assert!(!unset(vec![key("root_block_device"), PathSegment::Index(1), key("encrypted")]));
        assert!(!unset(vec![key("root_block_device")]));
        assert!(unset(vec![key("vpc_config"), PathSegment::Index(0), key("endpoint_public_access")]));
        assert!(unset(vec![key("vpc_config"), key("endpoint_public_access")]));
        assert!(!unset(vec![key("vpc_config"), key("subnet_ids")]));
    }
}
