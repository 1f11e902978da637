//! Provider configurations of a Terraform plan (`configuration.provider_config`
//! of `terraform show -json`, format 1.x; the JSON configuration
//! representation of <https://developer.hashicorp.com/terraform/internals/json-format>),
//! as [`ResourceKind::Provider`] resources for stack policies.
//!
//! One resource per entry, aliased ones included (`aws`, `aws.west`,
//! `module.net:aws`):
//!
//! - `address`: Terraform's provider address,
//!   `provider["registry.terraform.io/hashicorp/aws"].west`, prefixed with the
//!   module path for a module's own provider (`module.net.provider[...]`);
//! - `type`: `provider.<name>` (`provider.aws`), so a resource policy
//!   targets providers only by naming that type; `name`: the alias, else the
//!   name; `provider`: the full source address;
//! - `props`: the configuration's arguments: `constant_value`s as they are,
//!   a reference to a root variable as the plan's value of that variable
//!   (secret when the variable is `sensitive`),
//!   any other expression as the unknown marker; nested blocks
//!   (`default_tags`, `assume_role`) as lists of objects; plus `alias` and
//!   `version` (the version constraint) where set.
//!
//! `op` is `no-op`: a provider configuration is not changed by a plan.

use serde_json::{Map, Value};

use crate::error::InputError;
use crate::json::Node;
use palisade_model::model::{Operation, Path, PathSegment, Resource, ResourceKind, UNKNOWN};

/// The provider configurations of the plan at `root`; none when it has no
/// `configuration` (older or trimmed plans). Errors: `Shape` for an entry
/// that is not an object or a `name` that is not a non-empty string.
pub(crate) fn parse(root: &Node<'_>) -> Result<Vec<Resource>, InputError> {
    let Some(config) = root.get("configuration")? else {
        return Ok(Vec::new());
    };
    let Some(providers) = config.get("provider_config")? else {
        return Ok(Vec::new());
    };
    let sensitive = config
        .value
        .pointer("/root_module/variables")
        .and_then(Value::as_object)
        .map(|vars| {
            vars.iter()
                .filter(|(_, v)| v.get("sensitive") == Some(&Value::Bool(true)))
                .map(|(k, _)| k.as_str())
                .collect()
        })
        .unwrap_or_default();
    let vars = Variables { values: root.get("variables")?.map(|v| v.value), sensitive };
    let mut out = Vec::new();
    for (key, _) in providers.object()? {
        let Some(entry) = providers.get(key)? else { continue };
        entry.object()?;
        // `module.net:aws.west` (Terraform 1.x) or a bare `aws.west`.
        let local = key.rsplit_once(':').map_or(key.as_str(), |(_, k)| k);
        let name = match entry.opt_str("name")? {
            Some(n) => n,
            None => local.split('.').next().unwrap_or(local),
        };
        if name.is_empty() {
            return Err(entry.shape_error("a provider configuration with a non-empty `name`"));
        }
        let alias = entry.opt_str("alias")?;
        let full_name = entry.opt_str("full_name")?;
        let module = entry.opt_str("module_address")?.filter(|m| !m.is_empty());
        let mut address = module.map(|m| format!("{m}.")).unwrap_or_default();
        address.push_str(&match full_name {
            Some(full) => format!("provider[\"{full}\"]"),
            None => format!("provider.{name}"),
        });
        if let Some(alias) = alias {
            address.push('.');
            address.push_str(alias);
        }
        let mut secret = Vec::new();
        let mut props = match entry.get("expressions")? {
            Some(exprs) => block(exprs.object()?, &vars, &mut Vec::new(), &mut secret),
            None => Map::new(),
        };
        // The meta-arguments are the entry's own, never an expression's.
        props.remove("alias");
        props.remove("version");
        if let Some(alias) = alias {
            props.insert("alias".into(), Value::String(alias.into()));
        }
        if let Some(version) = entry.opt_str("version_constraint")? {
            props.insert("version".into(), Value::String(version.into()));
        }
        out.push(Resource {
            address,
            resource_type: format!("provider.{name}"),
            name: alias.unwrap_or(name).to_string(),
            provider: full_name.unwrap_or(name).to_string(),
            kind: ResourceKind::Provider,
            op: Operation::NoOp,
            props: Value::Object(props),
            before: None,
            secret,
            unset: Vec::new(),
            encrypted: Vec::new(),
            source: root.ctx.source.to_string(),
            partial: false,
        });
    }
    Ok(out)
}

/// The root module's variables: values (the plan's `variables`) and which
/// are `sensitive` (`configuration.root_module.variables`).
struct Variables<'a> {
    values: Option<&'a Value>,
    sensitive: Vec<&'a str>,
}

/// A block's arguments: each member an expression or a list of nested
/// blocks; the paths of values from sensitive variables go to `secret`.
fn block(
    exprs: &Map<String, Value>,
    vars: &Variables<'_>,
    path: &mut Path,
    secret: &mut Vec<Path>,
) -> Map<String, Value> {
    exprs
        .iter()
        .map(|(k, v)| {
            path.push(PathSegment::Key(k.clone()));
            let value = expression(v, vars, path, secret);
            path.pop();
            (k.clone(), value)
        })
        .collect()
}

/// One expression's value: its `constant_value`, a root variable's value for
/// a lone `var.NAME` reference (secret when the variable is sensitive),
/// nested blocks for a list of objects, else unknown.
fn expression(expr: &Value, vars: &Variables<'_>, path: &mut Path, secret: &mut Vec<Path>) -> Value {
    match expr {
        Value::Object(e) if e.contains_key("constant_value") => e["constant_value"].clone(),
        Value::Object(e) => {
            let refs: Vec<&str> = e
                .get("references")
                .and_then(Value::as_array)
                .map_or_else(Vec::new, |r| r.iter().filter_map(Value::as_str).collect());
            let var = match refs.as_slice() {
                [one] => one.strip_prefix("var."),
                _ => None,
            };
            match var.and_then(|name| Some((name, vars.values?.get(name)?.get("value")?))) {
                Some((name, value)) => {
                    if vars.sensitive.contains(&name) {
                        secret.push(path.clone());
                    }
                    value.clone()
                }
                None => Value::String(UNKNOWN.into()),
            }
        }
        Value::Array(blocks) => Value::Array(
            blocks
                .iter()
                .enumerate()
                .map(|(i, b)| match b {
                    Value::Object(m) => {
                        path.push(PathSegment::Index(i));
                        let value = Value::Object(block(m, vars, path, secret));
                        path.pop();
                        value
                    }
                    _ => Value::String(UNKNOWN.into()),
                })
                .collect(),
        ),
        _ => Value::String(UNKNOWN.into()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::InputFormat;
    use crate::json::Ctx;

    #[test]
    fn aliased_and_module_providers_with_constants_variables_and_blocks() {
        let doc = json!({
            "variables": {"region": {"value": "eu-west-1"}, "key": {"value": "dd0a1b2c3d4e5f60"}},
            "configuration": {"root_module": {"variables": {"key": {"sensitive": true}}}, "provider_config": {
                "datadog": {"name": "datadog", "expressions": {"api_key": {"references": ["var.key"]}}},
                "aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                        "version_constraint": "~> 5.0",
                        "expressions": {"region": {"references": ["var.region"]},
                                        "default_tags": [{"tags": {"constant_value": {"team": "web"}}}]}},
                "aws.west": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws", "alias": "west",
                             "expressions": {"region": {"constant_value": "us-west-2"},
                                             "assume_role": [{"role_arn": {"references": ["aws_iam_role.x.arn", "aws_iam_role.x"]}}]}},
                "module.net:aws": {"name": "aws", "module_address": "module.net"}
            }}
        });
        let ctx = Ctx { source: "p.json", format: InputFormat::TfPlan };
        let got = parse(&Node::root(&doc, ctx)).expect("parses");
        let addrs: Vec<&str> = got.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(
            addrs,
            [
                "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "provider[\"registry.terraform.io/hashicorp/aws\"].west",
                "provider.datadog",
                "module.net.provider.aws",
            ]
        );
        // A sensitive variable's value is secret where it lands.
        assert_eq!(got[2].props, json!({"api_key": "dd0a1b2c3d4e5f60"}));
        assert_eq!(got[2].secret, vec![vec![PathSegment::Key("api_key".into())]]);
        assert!(got[0].secret.is_empty());
        assert_eq!(
            got[0].props,
            json!({"region": "eu-west-1", "default_tags": [{"tags": {"team": "web"}}], "version": "~> 5.0"})
        );
        assert_eq!(
            got[1].props,
            json!({"region": "us-west-2", "assume_role": [{"role_arn": UNKNOWN}], "alias": "west"})
        );
        assert_eq!((got[1].name.as_str(), got[1].resource_type.as_str()), ("west", "provider.aws"));
        assert!(got.iter().all(|r| r.kind == ResourceKind::Provider && !r.is_policy_target()));
    }

    #[test]
    fn an_empty_provider_name_is_refused_at_its_path() {
        let doc = json!({"configuration": {"provider_config": {"x": {"name": ""}}}});
        let ctx = Ctx { source: "p.json", format: InputFormat::TfPlan };
        let err = parse(&Node::root(&doc, ctx)).expect_err("refused").to_string();
        assert!(err.contains("$.configuration.provider_config.x"), "{err}");
    }
}
