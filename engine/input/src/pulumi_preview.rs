//! `pulumi preview --json` output (`display.previewDigest`): `{config,
//! steps: [{op, urn, provider, oldState, newState, ...}], diagnostics,
//! changeSummary, ...}`, states in the stack-export resource shape.
//!
//! One resource per URN (see [`crate::pulumi_steps`] for how the steps of a
//! URN are folded, e.g. a replace sequence into one `replace`).

use serde_json::Value;

use crate::error::{InputError, InputErrorKind};
use crate::json::{Ctx, Node};
use crate::pulumi_steps::{Step, Steps};
use palisade_model::model::Resource;

/// Reads a preview document. Errors: `FailedPreview` when a diagnostic has
/// severity `error` (the preview did not finish: it is never a clean
/// report); `Shape` for steps of the wrong structure or with an unknown `op`.
pub(crate) fn parse(ctx: Ctx<'_>, doc: &Value) -> Result<Vec<Resource>, InputError> {
    let root = Node::root(doc, ctx);
    let errors: Vec<String> = root
        .opt_items("diagnostics")?
        .iter()
        .filter(|d| d.value.get("severity").and_then(Value::as_str) == Some("error"))
        .map(|d| d.value.get("message").and_then(Value::as_str).unwrap_or("(no message)").trim().to_string())
        .collect();
    if !errors.is_empty() {
        return Err(ctx.error(InputErrorKind::FailedPreview { first_error: errors[0].clone(), errors: errors.len() }));
    }
    let mut steps = Steps::new(true);
    for step in root.req("steps")?.items()? {
        steps.record(Step {
            op: step.req("op")?,
            urn: step.req_str("urn")?,
            rtype: None,
            provider: step.opt_str("provider")?,
            old: step.get("oldState")?,
            new: step.get("newState")?,
        })?;
    }
    Ok(steps.finish(ctx.source))
}
