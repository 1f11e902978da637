//! Folding Pulumi steps (preview steps, engine event metadata) into one
//! resource per URN, in first-seen order.
//!
//! The latest step of a URN gives its op, except that a URN with any of
//! `replace`, `create-replacement` or `delete-replaced` is a
//! [`Operation::Replace`]. The latest non-null new state gives `props`
//! (a replace's final `delete-replaced` has none); the latest old state
//! gives `before`. Without a new state `props` falls back to the old state
//! (e.g. a lone `delete-replaced`), except for deletes, whose props are null.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::InputError;
use crate::json::Node;
use crate::masks::push_unique;
use crate::pulumi::{STEP_OPS, State, kind_of, parse_urn, read_state, step_op};
use palisade_model::model::{Operation, Resource, ResourceKind};

/// One step as found in the input.
pub(crate) struct Step<'a> {
    /// The `op` node (for errors).
    pub op: Node<'a>,
    pub urn: &'a str,
    /// A type given beside the states (event metadata `type`).
    pub rtype: Option<&'a str>,
    pub provider: Option<&'a str>,
    pub old: Option<Node<'a>>,
    pub new: Option<Node<'a>>,
}

#[derive(Default)]
struct Entry {
    op: Option<Operation>,
    replace: bool,
    rtype: Option<String>,
    provider: Option<String>,
    old: Option<State>,
    new: Option<State>,
}

/// Steps folded by URN.
#[derive(Default)]
pub(crate) struct Steps {
    order: Vec<String>,
    entries: HashMap<String, Entry>,
    /// Whether `"[secret]"` strings are hidden secrets.
    pub blinded: bool,
}

impl Steps {
    /// No steps yet; `blinded`: `"[secret]"` strings are hidden secrets.
    pub fn new(blinded: bool) -> Self {
        Steps { blinded, ..Steps::default() }
    }

    /// Folds one step in. Errors: an unknown op, a malformed state.
    pub fn record(&mut self, step: Step<'_>) -> Result<(), InputError> {
        let op_name = step.op.str()?;
        let op = step_op(op_name).ok_or_else(|| step.op.shape_error(&format!("one of {STEP_OPS}")))?;
        let old = step.old.map(|n| read_state(&n, self.blinded)).transpose()?;
        let new = step.new.map(|n| read_state(&n, self.blinded)).transpose()?;
        if !self.entries.contains_key(step.urn) {
            self.order.push(step.urn.to_string());
        }
        let entry = self.entries.entry(step.urn.to_string()).or_default();
        entry.op = Some(op);
        entry.replace |= matches!(op_name, "replace" | "create-replacement" | "delete-replaced");
        if let Some(t) = step.rtype {
            entry.rtype = Some(t.to_string());
        }
        if let Some(p) = step.provider.filter(|p| !p.is_empty()) {
            entry.provider = Some(p.to_string());
        }
        if old.is_some() {
            entry.old = old;
        }
        if new.is_some() {
            entry.new = new;
        }
        Ok(())
    }

    /// The resources, in first-seen order.
    pub fn finish(mut self, source: &str) -> Vec<Resource> {
        let order = std::mem::take(&mut self.order);
        order
            .into_iter()
            .filter_map(|urn| {
                let entry = self.entries.remove(&urn)?;
                Some(resource(urn, entry, source))
            })
            .collect()
    }
}

fn resource(urn: String, entry: Entry, source: &str) -> Resource {
    let op = match (entry.replace, entry.op) {
        (true, _) => Operation::Replace,
        (false, Some(op)) => op,
        (false, None) => Operation::NoOp,
    };
    let state = entry.new.as_ref().or(entry.old.as_ref());
    let (urn_type, name) = parse_urn(&urn);
    let rtype = state.and_then(|s| s.rtype.clone()).or(entry.rtype).unwrap_or(urn_type);
    let kind = match (op, state) {
        (Operation::Read, _) => ResourceKind::Data,
        (_, Some(s)) => kind_of(&rtype, s.custom, s.external),
        (_, None) => kind_of(&rtype, rtype != "pulumi:pulumi:Stack", false),
    };
    let provider = entry.provider.or_else(|| state.and_then(|s| s.provider.clone())).unwrap_or_default();
    let mut secret = Vec::new();
    for s in [&entry.new, &entry.old].into_iter().flatten() {
        for p in &s.secret {
            push_unique(&mut secret, p.clone());
        }
    }
    // Encrypted paths are of `props`: the new state's, or the old one's.
    let encrypted = entry.new.as_ref().or(entry.old.as_ref()).map(|s| s.encrypted.clone()).unwrap_or_default();
    let props = match (op, &entry.new, &entry.old) {
        (Operation::Delete, _, _) => Value::Null,
        (_, Some(new), _) => new.props.clone(),
        (_, None, Some(old)) => old.props.clone(),
        (_, None, None) => Value::Null,
    };
    Resource {
        address: urn,
        resource_type: rtype,
        name,
        provider,
        kind,
        op,
        props,
        before: entry.old.map(|s| s.props),
        secret,
        unset: Vec::new(),
        encrypted,
        source: source.to_string(),
        partial: false,
    }
}
