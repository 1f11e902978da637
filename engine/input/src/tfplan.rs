//! Terraform plans as printed by `terraform show -json PLANFILE` (and
//! `tofu show -json`), `format_version` 0.x and 1.x (0.1 to 1.2 seen).
//!
//! One resource per `resource_changes[]` entry; `props` is `change.after`
//! with [`UNKNOWN`](palisade_model::model::UNKNOWN) written where `change.after_unknown`
//! is `true`; `secret` lists the `true` paths of `after_sensitive` and
//! `before_sensitive`. Then one provider resource per provider configuration
//! (aliased ones too; [`crate::tfproviders`]). A plan with `"errored": true`
//! is refused.

use serde_json::{Map, Value};

use crate::error::{InputError, InputErrorKind};
use crate::json::{Ctx, Node};
use crate::masks;
use palisade_model::model::{Operation, Resource, ResourceKind};

/// The major `format_version`s read.
const ACCEPTED_MAJORS: &[&str] = &["0", "1"];

/// Reads a plan document. Errors: `IncompletePlan` for `errored: true`,
/// `UnsupportedVersion` for a `format_version` major other than 0 or 1,
/// `Shape` for entries of the wrong structure.
pub(crate) fn parse(ctx: Ctx<'_>, doc: &Value) -> Result<Vec<Resource>, InputError> {
    let root = Node::root(doc, ctx);
    root.object()?;
    if root.flag("errored")? {
        return Err(ctx.error(InputErrorKind::IncompletePlan));
    }
    check_version(&root)?;
    if ["format_version", "resource_changes", "planned_values"].iter().all(|k| doc.get(k).is_none()) {
        return Err(root.shape_error("a Terraform plan with `format_version` and `resource_changes`"));
    }
    let mut resources = root.opt_items("resource_changes")?.iter().map(resource).collect::<Result<Vec<_>, _>>()?;
    resources.extend(super::tfproviders::parse(&root)?);
    Ok(resources)
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

fn resource(entry: &Node<'_>) -> Result<Resource, InputError> {
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
    Ok(Resource {
        address,
        resource_type: entry.req_str("type")?.to_string(),
        name: entry.req_str("name")?.to_string(),
        provider: entry.opt_str("provider_name")?.unwrap_or_default().to_string(),
        kind,
        op,
        props: props(&change, op)?,
        before: change.get("before")?.map(|n| n.value.clone()),
        secret,
        unset: Vec::new(),
        encrypted: Vec::new(),
        source: entry.ctx.source.to_string(),
        partial: false,
    })
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
