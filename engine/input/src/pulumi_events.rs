//! Pulumi engine event logs (`pulumi up|preview|destroy --event-log FILE`):
//! JSON Lines, one `apitype.EngineEvent` per line (`sequence`, `timestamp`
//! and one event member), blank lines allowed; a JSON array of events is
//! accepted too.
//!
//! `resourcePreEvent`, `resOutputsEvent` and `resOpFailedEvent` carry step
//! metadata `{op, urn, type, provider, old, new}`; they are folded by URN as
//! preview steps are ([`crate::pulumi_steps`]), later events superseding
//! earlier ones. Other events are ignored, so an interrupted (cancelled)
//! log yields the resources seen so far. `"[secret]"` strings become
//! [`UNKNOWN`](palisade_model::model::UNKNOWN) with their path marked secret.

use serde_json::Value;

use crate::detect::EVENT_KEYS;
use crate::error::{InputError, InputErrorKind};
use crate::json::{Ctx, Node, syntax_kind};
use crate::pulumi_steps::{Step, Steps};
use palisade_model::model::Resource;

/// The events that describe a resource step.
const STEP_EVENTS: &[&str] = &["resourcePreEvent", "resOutputsEvent", "resOpFailedEvent"];

/// One event and where it is: its line (JSON Lines) or its JSON path root.
struct Doc {
    line: Option<usize>,
    path: String,
    value: Value,
}

/// Reads an event log. `parsed` is the document when the whole text is one
/// JSON value (a single event or an array of events). Errors: `Json` with the
/// file's line number for a line that is not JSON; `Shape` for a document
/// that is not an event or step metadata of the wrong structure.
pub(crate) fn parse(ctx: Ctx<'_>, text: &str, parsed: Option<Value>) -> Result<Vec<Resource>, InputError> {
    let docs = match parsed {
        Some(Value::Array(items)) => {
            items.into_iter().enumerate().map(|(i, value)| Doc { line: None, path: format!("$[{i}]"), value }).collect()
        }
        Some(value) => vec![Doc { line: None, path: "$".into(), value }],
        None => match serde_json::from_str::<Value>(text) {
            Ok(value) => return parse(ctx, text, Some(value)),
            Err(_) => lines(ctx, text)?,
        },
    };
    let mut steps = Steps::new(true);
    for doc in &docs {
        let node = Node { value: &doc.value, path: doc.path.clone(), line: doc.line, ctx };
        event(&node, &mut steps)?;
    }
    Ok(steps.finish(ctx.source))
}

/// Parses each non-blank line as one JSON value.
fn lines(ctx: Ctx<'_>, text: &str) -> Result<Vec<Doc>, InputError> {
    if text.trim().is_empty() {
        return Err(ctx.error(InputErrorKind::Empty));
    }
    let mut docs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line).map_err(|e| ctx.error(syntax_kind(&e, i + 1)))?;
        docs.push(Doc { line: Some(i + 1), path: "$".into(), value });
    }
    Ok(docs)
}

/// Folds one event into `steps` when it is a resource step event.
fn event(node: &Node<'_>, steps: &mut Steps) -> Result<(), InputError> {
    let obj = node.object()?;
    let is_event = obj.keys().any(|k| k == "sequence" || k == "timestamp" || EVENT_KEYS.contains(&k.as_str()));
    if !is_event {
        return Err(node.shape_error(
            "a Pulumi engine event (an object with `sequence`, `timestamp` and an event such \
             as `resourcePreEvent`)",
        ));
    }
    for key in STEP_EVENTS {
        let Some(ev) = node.get(key)? else { continue };
        let md = ev.req("metadata")?;
        steps.record(Step {
            op: md.req("op")?,
            urn: md.req_str("urn")?,
            rtype: md.opt_str("type")?,
            provider: md.opt_str("provider")?,
            old: md.get("old")?,
            new: md.get("new")?,
        })?;
    }
    Ok(())
}
