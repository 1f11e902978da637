//! Secret redaction: no secret value reaches any output.
//!
//! Policies see secret values (they may need to judge them); every message
//! that leaves a guest is scrubbed of the stack's secret strings.

use serde_json::Value;

use crate::model::{Path, PathSegment, Resource, UNKNOWN};

/// What replaces a secret value in output.
pub const REDACTED: &str = "[secret]";

/// The secret strings of a stack, longest first.
#[derive(Debug, Clone, Default)]
pub struct SecretSet {
    values: Vec<String>,
}

impl SecretSet {
    /// Collect every string and number leaf under a secret path of any
    /// resource (in `props` and `before`).
    pub fn of<'a>(resources: impl IntoIterator<Item = &'a Resource>) -> Self {
        let mut values = Vec::new();
        for r in resources {
            for path in &r.secret {
                for root in std::iter::once(&r.props).chain(r.before.as_ref()) {
                    if let Some(v) = lookup(root, path) {
                        collect_leaves(v, &mut values);
                    }
                }
            }
        }
        values.retain(|v| !v.is_empty() && v != UNKNOWN && v != REDACTED);
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        SecretSet { values }
    }

    /// `text` with every secret value replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), REDACTED);
            }
        }
        out
    }
}

/// The value at `path` under `root`.
pub fn lookup<'a>(root: &'a Value, path: &Path) -> Option<&'a Value> {
    path.iter().try_fold(root, |v, seg| match seg {
        PathSegment::Key(k) => v.get(k.as_str()),
        PathSegment::Index(i) => v.get(*i),
    })
}

fn collect_leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|i| collect_leaves(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_leaves(i, out)),
        Value::Bool(_) | Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{Operation, ResourceKind};

    #[test]
    fn secret_leaves_are_redacted_longest_first_wherever_they_appear() {
        let r = Resource {
            address: "a".into(),
            resource_type: "t".into(),
            name: "a".into(),
            provider: String::new(),
            kind: ResourceKind::Managed,
            op: Operation::Update,
            props: json!({"password": "hunter2-long", "nested": {"keys": ["k1-secret", 4242]}, "plain": "hunter2"}),
            before: Some(json!({"password": "old-pass"})),
            secret: vec![
                vec![PathSegment::Key("password".into())],
                vec![PathSegment::Key("nested".into()), PathSegment::Key("keys".into())],
            ],
            source: "s".into(),
        };
        let set = SecretSet::of([&r]);
        let text = "pw hunter2-long was old-pass, keys k1-secret and 4242; plain hunter2";
        assert_eq!(set.redact(text), "pw [secret] was [secret], keys [secret] and [secret]; plain hunter2");
        assert_eq!(SecretSet::default().redact(text), text);
    }
}
