//! Terraform plans as printed by `terraform show -json PLANFILE` (and
//! `tofu show -json`), `format_version` 0.x and 1.x (0.1 to 1.2 seen).
//!
//! One resource per `resource_changes[]` entry; `props` is `change.after`
//! with [`UNKNOWN`](palisade_model::model::UNKNOWN) written where `change.after_unknown`
//! is `true`; `secret` lists the `true` paths of `after_sensitive` and
//! `before_sensitive`. Then one provider resource per provider configuration
//! (aliased ones too; [`crate::tfproviders`]). A plan with `"errored": true`
//! is refused.
//!
//! `unset` lists the unknown paths the resource's configuration leaves out
//! (the plan's `configuration` section, [`crate::tfconfig`]): values the
//! provider fills in at apply, not values set by an expression unknown at
//! plan time. A plan without a configuration section has no `unset` paths,
//! and [`parse`] says so in a note.

use serde_json::{Map, Value};

use crate::error::{InputError, InputErrorKind};
use crate::json::{Ctx, Node};
use crate::masks;
use crate::tfconfig::{self, Configuration};
use palisade_model::model::{Operation, Resource, ResourceKind};

/// The note of a plan without a `configuration` section.
pub(crate) const NO_CONFIGURATION: &str = "the plan has no `configuration` section, so a value the configuration \
     leaves for the provider to fill in cannot be told from one known only after apply: both are read as unknown \
     (policies that need them are undecided). `terraform show -json PLANFILE` writes the section.";

/// The major `format_version`s read.
const ACCEPTED_MAJORS: &[&str] = &["0", "1"];

/// Reads a plan document: its resources, and the notes to give once about
/// the whole plan ([`NO_CONFIGURATION`] for a plan with resource changes and
/// no configuration section). Errors: `IncompletePlan` for `errored: true`,
/// `UnsupportedVersion` for a `format_version` major other than 0 or 1,
/// `Shape` for entries of the wrong structure.
pub(crate) fn parse(ctx: Ctx<'_>, doc: &Value) -> Result<(Vec<Resource>, Vec<String>), InputError> {
    let root = Node::root(doc, ctx);
    root.object()?;
    if root.flag("errored")? {
        return Err(ctx.error(InputErrorKind::IncompletePlan));
    }
    check_version(&root)?;
    if ["format_version", "resource_changes", "planned_values"].iter().all(|k| doc.get(k).is_none()) {
        return Err(root.shape_error("a Terraform plan with `format_version` and `resource_changes`"));
    }
    let config = Configuration::of_plan(doc);
    let changes = root.opt_items("resource_changes")?;
    let mut resources = changes.iter().map(|e| resource(e, config.as_ref())).collect::<Result<Vec<_>, _>>()?;
    resources.extend(super::tfproviders::parse(&root)?);
    let mut notes = Vec::new();
    if config.is_none() && !changes.is_empty() {
        notes.push(NO_CONFIGURATION.to_string());
    }
    Ok((resources, notes))
}

fn check_version(root: &Node<'_>) -> Result<(), InputError> {
    let Some(node) = root.get("format_version")? else {
        return Ok(());
    };
    let version = node.str()?;
    let major = version.split('.').next().unwrap_or_default();
    if ACCEPTED_MAJORS.contains(&major) {
        return Ok(());
    }
    Err(root.ctx.error(InputErrorKind::UnsupportedVersion {
        field: node.path.clone(),
        seen: format!("format_version {version:?}"),
        accepted: "format_version 0.x or 1.x (0.1 to 1.2)".into(),
    }))
}

fn resource(entry: &Node<'_>, config: Option<&Configuration<'_>>) -> Result<Resource, InputError> {
    let address = entry.req_str("address")?;
    let kind = match entry.req("mode")?.str()? {
        "managed" => ResourceKind::Managed,
        "data" => ResourceKind::Data,
        _ => return Err(entry.req("mode")?.shape_error("\"managed\" or \"data\"")),
    };
    let change = entry.req("change")?;
    change.object()?;
    let deposed = entry.opt_str("deposed")?;
    let op = match deposed {
        Some(_) => Operation::Delete,
        None => operation(&change)?,
    };
    let address = match deposed {
        Some(key) => format!("{address} (deposed {key})"),
        None => address.to_string(),
    };
    let mut secret = Vec::new();
    for key in ["after_sensitive", "before_sensitive"] {
        if let Some(mask) = change.get(key)? {
            masks::true_paths(mask.value, &mut secret);
        }
    }
    let resource_type = entry.req_str("type")?;
    let name = entry.req_str("name")?;
    let mut props = props(&change, op)?;
    let unset = match config {
        Some(config) if !matches!(op, Operation::Delete | Operation::Forget) => {
            let mode = if kind == ResourceKind::Data { "data" } else { "managed" };
            let module = entry.opt_str("module_address")?;
            let resource = config.resource(module, mode, resource_type, name);
            let null =
                |expression: &Value| resource.as_ref().is_some_and(|r| config.is_null_at_plan(&r.module, expression));
            let mut unset = unset(&change, resource.as_ref().map(|r| r.expressions), &null)?;
            if let Some(resource) = resource.as_ref().filter(|_| is_aws(entry)) {
                resolve_tags_all(&mut props, &mut unset, resource);
            }
            unset
        }
        _ => Vec::new(),
    };
    Ok(Resource {
        address,
        resource_type: resource_type.to_string(),
        name: name.to_string(),
        provider: entry.opt_str("provider_name")?.unwrap_or_default().to_string(),
        kind,
        op,
        props,
        before: change.get("before")?.map(|n| n.value.clone()),
        secret,
        unset,
        encrypted: Vec::new(),
        source: entry.ctx.source.to_string(),
        partial: false,
    })
}

/// The paths of `change.after_unknown` that `expressions` (the resource's
/// configuration, when found) leaves out.
fn unset(
    change: &Node<'_>,
    expressions: Option<&serde_json::Map<String, Value>>,
    null: &dyn Fn(&Value) -> bool,
) -> Result<Vec<palisade_model::model::Path>, InputError> {
    let (Some(expressions), Some(mask)) = (expressions, change.get("after_unknown")?) else {
        return Ok(Vec::new());
    };
    let mut unknown = Vec::new();
    masks::true_paths(mask.value, &mut unknown);
    let after = change.get("after")?.map(|a| a.value);
    Ok(tfconfig::unset_paths(expressions, &unknown, after, null))
}

/// Whether the entry's provider is the AWS provider
/// (`registry.terraform.io/hashicorp/aws`, or OpenTofu's registry).
fn is_aws(entry: &Node<'_>) -> bool {
    entry.opt_str("provider_name").ok().flatten().is_some_and(|p| p.ends_with("/hashicorp/aws") || p == "aws")
}

/// Fills in an AWS resource's `tags_all` where it is unset only because the
/// provider computes it from `tags` and the provider's `default_tags`, and
/// both are known from the plan ([`tfconfig::ResourceConfig::aws_tags_all`]).
fn resolve_tags_all(
    props: &mut Value,
    unset: &mut Vec<palisade_model::model::Path>,
    resource: &tfconfig::ResourceConfig<'_>,
) {
    let tags_all = vec![palisade_model::model::PathSegment::Key("tags_all".into())];
    if !unset.contains(&tags_all) {
        return;
    }
    let Some(obj) = props.as_object_mut() else { return };
    if let Some(value) = resource.aws_tags_all(obj.get("tags")) {
        obj.insert("tags_all".into(), value);
        unset.retain(|p| p != &tags_all);
    }
}

/// `change.actions` (and `change.importing`) to an [`Operation`].
fn operation(change: &Node<'_>) -> Result<Operation, InputError> {
    let actions = change.req("actions")?;
    let names = actions.items()?.iter().map(|n| n.str()).collect::<Result<Vec<_>, _>>()?;
    let op = match names.as_slice() {
        ["create"] => Operation::Create,
        ["update"] => Operation::Update,
        ["delete", "create"] | ["create", "delete"] => Operation::Replace,
        ["delete"] => Operation::Delete,
        ["read"] => Operation::Read,
        ["no-op"] => Operation::NoOp,
        ["forget"] => Operation::Forget,
        _ => {
            return Err(actions.shape_error(
                "one of [\"create\"], [\"update\"], [\"delete\",\"create\"], \
                 [\"create\",\"delete\"], [\"delete\"], [\"read\"], [\"no-op\"], [\"forget\"]",
            ));
        }
    };
    if op == Operation::NoOp && change.get("importing")?.is_some() {
        return Ok(Operation::Import);
    }
    Ok(op)
}

/// `after` with unknowns marked; null for deleted and forgotten resources.
fn props(change: &Node<'_>, op: Operation) -> Result<Value, InputError> {
    if matches!(op, Operation::Delete | Operation::Forget) {
        return Ok(Value::Null);
    }
    let mut props = match change.get("after")? {
        Some(after) => after.object().map(|_| after.value.clone())?,
        None => Value::Object(Map::new()),
    };
    if let Some(mask) = change.get("after_unknown")? {
        masks::apply_unknown(&mut props, mask.value);
    }
    Ok(props)
}
