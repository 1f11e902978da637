//! Terraform's shape masks: `after_unknown`, `after_sensitive`,
//! `before_sensitive` and `sensitive_values` mirror a value's shape with
//! literal `true` at the unknown or sensitive places. `{}`, `[]` and `false`
//! mark nothing.

use serde_json::{Map, Value};

use palisade_model::model::{Path, PathSegment, UNKNOWN};

/// Whether `mask` holds a literal `true` anywhere.
fn marks_any(mask: &Value) -> bool {
    match mask {
        Value::Bool(b) => *b,
        Value::Object(m) => m.values().any(marks_any),
        Value::Array(a) => a.iter().any(marks_any),
        _ => false,
    }
}

/// Every path where `mask` holds literal `true`, appended to `out` (no duplicates).
pub(crate) fn true_paths(mask: &Value, out: &mut Vec<Path>) {
    let mut path = Vec::new();
    walk_true(mask, &mut path, out);
}

fn walk_true(mask: &Value, path: &mut Path, out: &mut Vec<Path>) {
    match mask {
        Value::Bool(true) => push_unique(out, path.clone()),
        Value::Object(m) => {
            for (k, v) in m {
                path.push(PathSegment::Key(k.clone()));
                walk_true(v, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                path.push(PathSegment::Index(i));
                walk_true(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Adds `path` to `out` unless it is there already.
pub(crate) fn push_unique(out: &mut Vec<Path>, path: Path) {
    if !out.contains(&path) {
        out.push(path);
    }
}

/// Writes [`UNKNOWN`] into `target` wherever `mask` (an `after_unknown`) holds
/// literal `true`, creating object members and list elements that `target`
/// lacks. A `true` mask at the root leaves `target` as it is (props stay an
/// object); a whole-resource unknown is rare and carries no values anyway.
pub(crate) fn apply_unknown(target: &mut Value, mask: &Value) {
    match mask {
        Value::Object(m) if marks_any(mask) => apply_object(target, m),
        Value::Array(a) if marks_any(mask) => apply_array(target, a),
        _ => {}
    }
}

fn apply_object(target: &mut Value, mask: &Map<String, Value>) {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(obj) = target else { return };
    for (k, sub) in mask {
        if sub == &Value::Bool(true) {
            obj.insert(k.clone(), Value::String(UNKNOWN.into()));
        } else if marks_any(sub) {
            apply_unknown(obj.entry(k.clone()).or_insert(Value::Null), sub);
        }
    }
}

fn apply_array(target: &mut Value, mask: &[Value]) {
    if !target.is_array() {
        *target = Value::Array(Vec::new());
    }
    let Value::Array(items) = target else { return };
    for (i, sub) in mask.iter().enumerate() {
        if !marks_any(sub) {
            continue;
        }
        while items.len() <= i {
            items.push(Value::Null);
        }
        if let Some(slot) = items.get_mut(i) {
            if sub == &Value::Bool(true) {
                *slot = Value::String(UNKNOWN.into());
            } else {
                apply_unknown(slot, sub);
            }
        }
    }
}
