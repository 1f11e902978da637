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
    resources: HashMap<Key<'a>, (Vec<&'a str>, &'a Value)>,
    /// Every module's body (`resources`, `module_calls`, `variables`) by
    /// module path; the root module's is the empty path.
    modules: HashMap<Vec<&'a str>, &'a Value>,
    /// The plan's root `variables` (name to `{"value": ...}`).
    variables: Option<&'a Map<String, Value>>,
    /// `configuration.provider_config`: provider configurations by key.
    providers: Option<&'a Map<String, Value>>,
}

/// A resource's place in the configuration: the module call names from the
/// root, then mode, type and name.
type Key<'a> = (Vec<&'a str>, &'a str, &'a str, &'a str);

/// Modules nested deeper than this are not indexed (a plan cannot nest
/// this deep; a hostile one is not walked forever).
const MAX_MODULE_DEPTH: usize = 64;

/// Adds `module` (at `path`), its resources and its calls' to `config`.
fn index_module<'a>(module: &'a Value, path: &mut Vec<&'a str>, config: &mut Configuration<'a>) {
    config.modules.entry(path.clone()).or_insert(module);
    for resource in module.get("resources").and_then(Value::as_array).into_iter().flatten() {
        let field = |k: &str| resource.get(k).and_then(Value::as_str);
        if let (Some(mode), Some(rtype), Some(name)) = (field("mode"), field("type"), field("name")) {
            config.resources.entry((path.clone(), mode, rtype, name)).or_insert_with(|| (path.clone(), resource));
        }
    }
    if path.len() >= MAX_MODULE_DEPTH {
        return;
    }
    for (call, body) in module.get("module_calls").and_then(Value::as_object).into_iter().flatten() {
        if let Some(child) = body.get("module") {
            path.push(call);
            index_module(child, path, config);
            path.pop();
        }
    }
}

impl<'a> Configuration<'a> {
    /// The plan's `configuration.root_module`, if it has one.
    pub(crate) fn of_plan(doc: &'a Value) -> Option<Self> {
        let section = doc.get("configuration")?;
        let root = section.get("root_module").filter(|m| m.is_object())?;
        let mut config = Configuration {
            resources: HashMap::new(),
            modules: HashMap::new(),
            variables: doc.get("variables").and_then(Value::as_object),
            providers: section.get("provider_config").and_then(Value::as_object),
        };
        index_module(root, &mut Vec::new(), &mut config);
        Some(config)
    }

    /// Whether `expression`, in the module at `module`, is `null` at plan
    /// time: the constant `null`, or an expression whose references are
    /// only variables that are `null` (and `count.index`, `each.key`).
    /// Since every input of such an expression is known at plan time, a
    /// value Terraform still marks unknown is one the expression left
    /// `null` for the provider to fill in: `associate_public_ip_address =
    /// var.public_ip` with the variable's default `null`, the pattern of
    /// the registry's modules.
    pub(crate) fn is_null_at_plan(&self, module: &[&'a str], expression: &Value) -> bool {
        self.expression_null(module, expression, 0)
    }

    fn expression_null(&self, module: &[&'a str], expression: &Value, depth: usize) -> bool {
        if is_null_constant(expression) {
            return true;
        }
        if expression.get("constant_value").is_some() || depth > MAX_MODULE_DEPTH {
            return false;
        }
        let Some(references) = expression.get("references").and_then(Value::as_array) else {
            return false;
        };
        let mut variables = 0;
        for reference in references {
            match reference.as_str() {
                Some("count.index" | "each.key") => {}
                Some(r) => match r.strip_prefix("var.") {
                    Some(name) if !name.contains(['.', '[']) && self.variable_null(module, name, depth) => {
                        variables += 1;
                    }
                    _ => return false,
                },
                None => return false,
            }
        }
        variables > 0
    }

    /// Whether variable `name` of the module at `module` is `null`: the
    /// root's value in the plan's `variables`; a module's from its call's
    /// expression, or its `default` when the call does not set it.
    fn variable_null(&self, module: &[&'a str], name: &str, depth: usize) -> bool {
        let Some((call, parent)) = module.split_last() else {
            return self.variables.and_then(|v| v.get(name)).and_then(|v| v.get("value")).is_some_and(Value::is_null);
        };
        let Some(call_body) = self.modules.get(parent).and_then(|m| m.get("module_calls")).and_then(|c| c.get(*call))
        else {
            return false;
        };
        let expressions = match call_body.get("expressions") {
            None => None,
            Some(Value::Object(e)) => e.get(name),
            // A malformed call: nothing can be told.
            Some(_) => return false,
        };
        match expressions {
            Some(expression) => self.expression_null(parent, expression, depth + 1),
            None => call_body
                .get("module")
                .and_then(|m| m.get("variables"))
                .and_then(|v| v.get(name))
                .and_then(|v| v.get("default"))
                .is_some_and(Value::is_null),
        }
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
        let (module, resource) = self.resources.get(&(path, mode, rtype, name))?;
        let (module, resource) = (module.clone(), *resource);
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
        Some(ResourceConfig { expressions, provider, module })
    }
}

/// What the configuration says of one resource.
#[derive(Debug, Clone)]
pub(crate) struct ResourceConfig<'a> {
    /// The module it is in: call names from the root.
    pub(crate) module: Vec<&'a str>,
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
/// out. `null` tells whether an expression is `null` at plan time
/// ([`Configuration::is_null_at_plan`]): an argument set to `null` is not
/// set.
pub(crate) fn unset_paths(
    expressions: &Map<String, Value>,
    unknown: &[Path],
    after: Option<&Value>,
    null: &dyn Fn(&Value) -> bool,
) -> Vec<Path> {
    unknown.iter().filter(|path| is_unset(expressions, path, after, null)).cloned().collect()
}

/// Whether `body` (block body: attribute name to expression, block type to
/// bodies) leaves out the value at `path`; `after` is the planned value at
/// the body's level.
///
/// A key missing from `body` is left out only when `after` has nothing
/// there either: a `dynamic` block is not in `expressions`, but the blocks
/// it makes are in `after` (with placeholders when its `for_each` is
/// unknown), so values beneath it stay unknown.
fn is_unset(
    body: &Map<String, Value>,
    path: &[PathSegment],
    after: Option<&Value>,
    null: &dyn Fn(&Value) -> bool,
) -> bool {
    let Some(PathSegment::Key(key)) = path.first() else {
        return false;
    };
    let rest = &path[1..];
    let after = after.and_then(|a| a.get(key.as_str()));
    match body.get(key) {
        None => after.is_none_or(Value::is_null),
        Some(value) if is_expression(value) => is_null_constant(value) || null(value),
        Some(Value::Array(blocks)) => match rest.first() {
            Some(PathSegment::Index(i)) => blocks
                .get(*i)
                .and_then(Value::as_object)
                .is_some_and(|b| is_unset(b, &rest[1..], after.and_then(|a| a.get(*i)), null)),
            _ => false,
        },
        Some(Value::Object(block)) => {
            // A single nested block: an object, or a list of one in `after`.
            let after = after.map(|a| a.get(0).unwrap_or(a));
            match rest.first() {
                Some(PathSegment::Index(0)) => is_unset(block, &rest[1..], after, null),
                Some(PathSegment::Index(_)) => false,
                _ => is_unset(block, rest, after, null),
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
        assert!(!is_unset(body, &cidr, Some(&after), &|_| false));
        // A block the configuration leaves out has nothing in `after`.
        let after = json!({"name": "a", "ingress": null});
        assert!(is_unset(body, &[key("ingress")], Some(&after), &|_| false));
        assert!(is_unset(body, &[key("ingress")], Some(&json!({"name": "a"})), &|_| false));
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
        let unset = |path: Vec<PathSegment>| is_unset(body, &path, None, &|_| false);
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
