//! Pulumi deployments: `pulumi stack export` output (`{version: 3,
//! deployment: {manifest, resources, ...}}`, `apitype.UntypedDeployment`) and
//! filestate checkpoints (`{version: 3|4, checkpoint: {stack, latest}}`,
//! `apitype.CheckpointV3`; v4 adds `features`).
//!
//! One resource per `resources[]` entry, address = URN, op `no-op` (`delete`
//! for resources pending deletion, `delete: true`, whose address is
//! `URN (pending delete)`), props = outputs when
//! non-empty, else inputs.

use serde_json::Value;

use crate::error::{InputError, InputErrorKind};
use crate::json::{Ctx, Node};
use crate::pulumi::{kind_of, parse_urn, read_state};
use palisade_model::model::{Operation, Resource};

/// The deployment schema versions read.
const ACCEPTED: &[u64] = &[3, 4];

/// Reads an export or checkpoint. Errors: `UnsupportedVersion` for a
/// `version` other than 3 or 4, `Shape` for entries of the wrong structure.
pub(crate) fn parse(ctx: Ctx<'_>, doc: &Value) -> Result<Vec<Resource>, InputError> {
    let root = Node::root(doc, ctx);
    root.object()?;
    let version = root.req("version")?;
    if !version.value.as_u64().is_some_and(|v| ACCEPTED.contains(&v)) {
        return Err(ctx.error(InputErrorKind::UnsupportedVersion {
            field: version.path.clone(),
            seen: format!("deployment version {}", version.value),
            accepted: "deployment version 3 or 4".into(),
        }));
    }
    let deployment = match root.get("deployment")? {
        Some(d) => Some(d),
        None => root.req("checkpoint")?.get("latest")?,
    };
    let Some(deployment) = deployment else {
        return Ok(Vec::new());
    };
    deployment.opt_items("resources")?.iter().map(resource).collect()
}

fn resource(node: &Node<'_>) -> Result<Resource, InputError> {
    let urn = node.req_str("urn")?;
    let state = read_state(node, false)?;
    let (urn_type, name) = parse_urn(urn);
    let rtype = state.rtype.clone().unwrap_or(urn_type);
    // Pulumi keeps an object whose replacement failed (or is pending) under
    // the same URN with `delete: true`; like Terraform's deposed objects it
    // gets a suffix, so that addresses stay unique.
    let address = if state.delete { format!("{urn} (pending delete)") } else { urn.to_string() };
    Ok(Resource {
        address,
        kind: kind_of(&rtype, state.custom, state.external),
        resource_type: rtype,
        name,
        provider: state.provider.unwrap_or_default(),
        op: if state.delete { Operation::Delete } else { Operation::NoOp },
        props: state.props,
        before: None,
        secret: state.secret,
        unset: Vec::new(),
        encrypted: state.encrypted,
        source: node.ctx.source.to_string(),
        partial: false,
    })
}
