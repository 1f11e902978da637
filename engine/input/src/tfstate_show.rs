//! `terraform show -json` of a state (not a plan): `{format_version, values:
//! {root_module: {resources, child_modules}}}` (format_version 0.x/1.x).
//! Read as [`InputFormat::TfState`](crate::InputFormat::TfState): one
//! resource per `resources[]` entry of every module, op `no-op`, props =
//! `values`, secret = the `true` paths of `sensitive_values`.

use serde_json::{Map, Value};

use crate::error::{InputError, InputErrorKind};
use crate::json::Node;
use crate::masks;
use palisade_model::model::{Operation, Resource, ResourceKind};

/// Reads the state in `root.values.root_module` and its child modules.
pub(crate) fn parse(root: &Node<'_>) -> Result<Vec<Resource>, InputError> {
    let version = root.req("format_version")?;
    let major = version.str()?.split('.').next().unwrap_or_default();
    if !matches!(major, "0" | "1") {
        return Err(root.ctx.error(InputErrorKind::UnsupportedVersion {
            field: version.path.clone(),
            seen: format!("format_version {}", version.value),
            accepted: "format_version 0.x or 1.x".into(),
        }));
    }
    let mut out = Vec::new();
    if let Some(module) = root.req("values")?.get("root_module")? {
        collect(&module, &mut out)?;
    }
    Ok(out)
}

/// Collects the resources of `module` and of its child modules, depth first.
/// Nesting is bounded by the JSON parser's depth limit.
fn collect(module: &Node<'_>, out: &mut Vec<Resource>) -> Result<(), InputError> {
    for res in module.opt_items("resources")? {
        out.push(resource(&res)?);
    }
    for child in module.opt_items("child_modules")? {
        collect(&child, out)?;
    }
    Ok(())
}

fn resource(res: &Node<'_>) -> Result<Resource, InputError> {
    let kind = match res.req_str("mode")? {
        "managed" => ResourceKind::Managed,
        "data" => ResourceKind::Data,
        _ => return Err(res.req("mode")?.shape_error("\"managed\" or \"data\"")),
    };
    let mut address = res.req_str("address")?.to_string();
    if let Some(key) = res.opt_str("deposed_key")? {
        address.push_str(&format!(" (deposed {key})"));
    }
    let mut secret = Vec::new();
    if let Some(mask) = res.get("sensitive_values")? {
        masks::true_paths(mask.value, &mut secret);
    }
    Ok(Resource {
        address,
        resource_type: res.req_str("type")?.to_string(),
        name: res.req_str("name")?.to_string(),
        provider: res.opt_str("provider_name")?.unwrap_or_default().to_string(),
        kind,
        op: Operation::NoOp,
        props: match res.get("values")? {
            Some(v) => v.value.clone(),
            None => Value::Object(Map::new()),
        },
        before: None,
        secret,
        unset: Vec::new(),
        encrypted: Vec::new(),
        source: res.ctx.source.to_string(),
        partial: false,
    })
}
