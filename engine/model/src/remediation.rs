//! Remediation: the fixes that policies at enforcement level `remediate`
//! propose with their violations, and what Palisade does with them.
//!
//! A policy returns a violation with a `remediation` document (guest ABI v1
//! section 5, "Remediation"; `sdk/ABI.md`). Two kinds, exactly one per
//! violation:
//!
//! - `{"action": {"kind": "...", "params": {...}}}`: a configuration fix of
//!   the host's closed set ([`action`]), for live resources;
//! - `{"patch": [...]}`: a JSON Patch ([RFC 6902](https://www.rfc-editor.org/rfc/rfc6902))
//!   against the resource's `props`, in the style of CrossGuard's
//!   `remediateResource` (which returns new properties);
//! - `{"tags": {"set": {"KEY": "VALUE"}, "remove": ["KEY"]}}`: a tag change.
//!
//! [`resolve`] checks a document against its resource and gives both views
//! of the fix, a [`Remediation`]: the patch (a tag change on a planned
//! resource becomes a patch of `/tags`), and for tag-only fixes the
//! [`TagChange`] (a patch that only sets or removes string leaves of
//! `/tags` becomes one). `palisade check` shows the patch per resource and
//! never rewrites the user's code or plan; `palisade remediate` applies tag
//! changes to live resources ([`plan`], then the scanner's tagging calls),
//! and writes a [`report`].

pub mod action;
pub mod plan;
pub mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{Resource, UNKNOWN};

/// AWS's limits on tags (Tagging API `TagResources`): keys of 1 to 128
/// characters, values of at most 256, no `aws:` prefix, at most 50 tags.
pub mod aws_limits {
    /// Longest key, in Unicode characters.
    pub const MAX_KEY_CHARS: usize = 128;
    /// Longest value, in Unicode characters.
    pub const MAX_VALUE_CHARS: usize = 256;
    /// Most tags on one resource.
    pub const MAX_TAGS: usize = 50;
    /// The prefix reserved for AWS's own tags.
    pub const RESERVED_PREFIX: &str = "aws:";
}

/// A tag change: keys to set (with their values) and keys to remove. A key
/// is never in both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagChange {
    /// Keys to set, with their new values.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Keys to remove.
    #[serde(default)]
    pub remove: BTreeSet<String>,
}

impl TagChange {
    /// Whether the change does nothing.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }

    /// The part of the change that `tags` does not already have: keys to set
    /// whose value differs, keys to remove that are present.
    pub fn pending(&self, tags: &BTreeMap<String, String>) -> TagChange {
        TagChange {
            set: self
                .set
                .iter()
                .filter(|(k, v)| tags.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            remove: self.remove.iter().filter(|k| tags.contains_key(*k)).cloned().collect(),
        }
    }

    /// `tags` with the change applied.
    pub fn apply_to(&self, tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut out = tags.clone();
        for key in &self.remove {
            out.remove(key);
        }
        out.extend(self.set.iter().map(|(k, v)| (k.clone(), v.clone())));
        out
    }

    /// Why AWS would refuse this change on a resource that has `tags`, if it
    /// would: an `aws:` key, a key or value too long, an empty key, or more
    /// than 50 tags after the change ([`aws_limits`]).
    pub fn aws_violation(&self, tags: &BTreeMap<String, String>) -> Option<String> {
        use aws_limits::*;
        for key in self.set.keys().chain(self.remove.iter()) {
            if key.to_ascii_lowercase().starts_with(RESERVED_PREFIX) {
                return Some(format!("tag key `{key}` uses the prefix `aws:`, which AWS reserves"));
            }
            if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
                return Some(format!("tag key `{key}` is not 1 to {MAX_KEY_CHARS} characters long"));
            }
        }
        for (key, value) in &self.set {
            if value.chars().count() > MAX_VALUE_CHARS {
                return Some(format!("the value of tag `{key}` is longer than {MAX_VALUE_CHARS} characters"));
            }
        }
        // AWS's own `aws:` tags do not count toward the limit.
        let after = self.apply_to(tags).keys().filter(|k| !k.to_ascii_lowercase().starts_with(RESERVED_PREFIX)).count();
        if after > MAX_TAGS {
            return Some(format!("the resource would have {after} tags of its own; AWS allows {MAX_TAGS}"));
        }
        None
    }
}

/// A policy's fix for one resource, checked against it by [`resolve`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remediation {
    /// The fix as a JSON Patch (RFC 6902) against the resource's `props`:
    /// `[{"op": "add", "path": "/tags/owner", "value": "platform"}, ...]`.
    /// It applies cleanly to the resource as the input gives it.
    pub patch: Vec<Value>,
    /// The fix as a tag change, when it changes only string tags (`/tags/KEY`).
    /// Live resources can only be fixed this way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<TagChange>,
    /// The fix as an action of the host's closed set ([`action::Action`]),
    /// when the policy proposed one: its `patch` is then what the action
    /// changes in the resource's Terraform-shaped properties.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<action::Action>,
    /// The patch for people, one line per operation ([`diff_lines`]), with
    /// secret values replaced by `[secret]`.
    pub diff: Vec<String>,
}

/// The remediation document a guest sends (ABI v1 section 5).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default)]
    patch: Option<json_patch::Patch>,
    #[serde(default)]
    tags: Option<TagChange>,
    #[serde(default)]
    action: Option<action::Action>,
}

/// Check a guest's remediation document against `resource` and give the
/// fix both ways.
///
/// `Ok(None)` when the fix changes nothing (an empty patch, tags already
/// as asked).
///
/// Errors (a sentence, for an `abi` error of the policy): a document that is
/// not `{"patch": [...]}` or `{"tags": {...}}`; a patch that does not apply
/// to the resource's props (a missing path, a failed `test`); a fix that
/// touches an unknown value; a tag change with a key both set and removed,
/// or on a resource without a `tags` property, or (planned resources) that
/// AWS would refuse; a JSON string (a component's text that is not JSON);
/// on a live ([partial](Resource::partial)) resource, a fix that changes
/// anything but string tags. A tag change AWS would refuse
/// ([`TagChange::aws_violation`]) is not an error here: the remediation plan
/// leaves that resource to a person.
///
/// `redact` is the stack's secret scrubbing (identity when there is none):
/// a fix whose patch or tag change it would alter carries a secret value and
/// is an error (fixes are shown in every report), and the diff's values go
/// through it before they are cut.
pub fn resolve(
    document: &Value,
    resource: &Resource,
    redact: &dyn Fn(&str) -> String,
) -> Result<Option<Remediation>, String> {
    if let Value::String(text) = document {
        let shown: String = text.chars().take(60).collect();
        return Err(format!("the remediation is not JSON of an object (a component sends it as JSON text): {shown:?}"));
    }
    let wire: Wire = serde_json::from_value(document.clone()).map_err(|e| {
        format!("the remediation is not {{\"patch\": [JSON Patch]}}, {{\"tags\": {{\"set\": {{...}}, \"remove\": [...]}}}} or {{\"action\": {{\"kind\": ..., \"params\": {{...}}}}}}: {e}")
    })?;
    let props = match &resource.props {
        Value::Object(_) => resource.props.clone(),
        Value::Null => Value::Object(Map::new()),
        _ => return Err("the resource's props are not an object".to_string()),
    };
    let kinds =
        usize::from(wire.patch.is_some()) + usize::from(wire.tags.is_some()) + usize::from(wire.action.is_some());
    if kinds != 1 {
        return Err("a remediation has exactly one of `patch`, `tags` and `action`".to_string());
    }
    if let Some(action) = wire.action {
        return resolve_action(action, resource, redact);
    }
    let (patch, tags) = match (wire.patch, wire.tags) {
        (Some(_), Some(_)) | (None, None) => {
            return Err("a remediation has exactly one of `patch`, `tags` and `action`".to_string());
        }
        (Some(patch), None) => {
            let patch = serde_json::to_value(&patch).map_err(|e| e.to_string())?;
            let ops = match patch {
                Value::Array(ops) => ops,
                _ => return Err("the patch is not a list of operations".to_string()),
            };
            let tags = tag_change_of(&ops, &props);
            (ops, tags)
        }
        (None, Some(change)) => {
            if let Some(key) = change.set.keys().find(|k| change.remove.contains(*k)) {
                return Err(format!("the tag change both sets and removes `{key}`"));
            }
            (tag_patch(&change, &props)?, Some(change.pending(&current_tags(&props))))
        }
    };
    check_applies(&patch, &props)?;
    if resource.partial && tags.is_none() {
        return Err(
            "a live resource can only be fixed by a tag change (its other properties are not known)".to_string()
        );
    }
    // On a planned resource the change lands through the IaC tool, which
    // AWS refuses in the same cases; on a live one the plan sends it to a person.
    if !resource.partial
        && let Some(why) = tags.as_ref().and_then(|t| t.aws_violation(&current_tags(&props)))
    {
        return Err(format!("AWS would refuse the tag change: {why}"));
    }
    if patch.is_empty() {
        return Ok(None);
    }
    let shown = serde_json::to_string(&(&patch, &tags)).unwrap_or_default();
    if redact(&shown) != shown {
        return Err(
            "it carries a secret value (fixes are shown in reports; set or patch only the keys it changes)".to_string()
        );
    }
    let mut fix = Remediation { patch, tags, action: None, diff: Vec::new() };
    fix.diff = diff_lines(&fix, &props, redact);
    Ok(Some(fix))
}

/// An action checked against `resource` (its Terraform-shaped props, see
/// [`crate::split::terraform_shaped`]): `Ok(None)` when the resource
/// already has what the action makes.
fn resolve_action(
    action: action::Action,
    resource: &Resource,
    redact: &dyn Fn(&str) -> String,
) -> Result<Option<Remediation>, String> {
    if resource.partial {
        return Err("an action needs the resource's configuration, which a tag-only (partial) resource does not carry"
            .to_string());
    }
    let shaped = crate::split::terraform_shaped(resource);
    let props = match shaped.as_ref() {
        Value::Null => Value::Object(Map::new()),
        other => other.clone(),
    };
    action.check(&resource.resource_type, &props)?;
    let slice = action.slice(&props);
    if slice.to_string().contains(UNKNOWN) {
        return Err(format!("action `{}` reads values known only after apply", action.kind()));
    }
    let patch = action.patch(&props);
    if patch.is_empty() {
        return Ok(None);
    }
    check_applies(&patch, &props)?;
    let mut fix = Remediation { patch, tags: None, action: Some(action), diff: Vec::new() };
    fix.diff = diff_lines(&fix, &props, redact);
    Ok(Some(fix))
}

/// The resource's string tags (`props.tags`); other values are left out.
pub fn current_tags(props: &Value) -> BTreeMap<String, String> {
    match props.get("tags") {
        Some(Value::Object(map)) => {
            map.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect()
        }
        _ => BTreeMap::new(),
    }
}

/// `~` and `/` escaped for a JSON Pointer token (RFC 6901).
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unescape_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// A tag change as a patch of `/tags` on `props`.
pub(crate) fn tag_patch(change: &TagChange, props: &Value) -> Result<Vec<Value>, String> {
    let mut ops = Vec::new();
    match props.get("tags") {
        Some(Value::String(s)) if s == UNKNOWN => {
            return Err("the resource's tags are unknown until apply, so they cannot be patched".to_string());
        }
        Some(Value::Object(tags)) => {
            for key in &change.remove {
                if tags.contains_key(key) {
                    ops.push(serde_json::json!({"op": "remove", "path": format!("/tags/{}", pointer_token(key))}));
                }
            }
            for (key, value) in &change.set {
                if tags.get(key).and_then(Value::as_str) != Some(value) {
                    ops.push(
                        serde_json::json!({"op": "add", "path": format!("/tags/{}", pointer_token(key)), "value": value}),
                    );
                }
            }
        }
        None if !change.set.is_empty() => {
            return Err("the resource has no `tags` property (it cannot be tagged this way)".to_string());
        }
        Some(Value::Null) | None => {
            if !change.set.is_empty() {
                let value: Map<String, Value> =
                    change.set.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
                ops.push(serde_json::json!({"op": "add", "path": "/tags", "value": value}));
            }
        }
        Some(_) => return Err("the resource's `tags` is not an object".to_string()),
    }
    Ok(ops)
}

/// The tag change a patch amounts to, when every operation sets a string
/// `/tags/KEY` (add, replace) or removes one.
fn tag_change_of(ops: &[Value], props: &Value) -> Option<TagChange> {
    let mut change = TagChange::default();
    for op in ops {
        let token = op.get("path")?.as_str()?.strip_prefix("/tags/")?;
        // `/tags/a/b` is below a tag, not a tag.
        if token.contains('/') {
            return None;
        }
        let key = unescape_token(token);
        match op.get("op")?.as_str()? {
            "add" | "replace" => {
                let value = op.get("value")?.as_str()?;
                change.remove.remove(&key);
                change.set.insert(key, value.to_string());
            }
            "remove" => {
                change.set.remove(&key);
                change.remove.insert(key);
            }
            _ => return None,
        }
    }
    // Against the current tags, so that a patch re-setting a value is not a change.
    let current = current_tags(props);
    Some(TagChange {
        set: change.set.into_iter().filter(|(k, v)| current.get(k) != Some(v)).collect(),
        remove: change.remove.into_iter().filter(|k| current.contains_key(k)).collect(),
    })
}

/// Apply `ops` to a copy of `props`: errors name the failing operation, and
/// a patch reading or replacing an unknown value is refused.
fn check_applies(ops: &[Value], props: &Value) -> Result<(), String> {
    let patch: json_patch::Patch =
        serde_json::from_value(Value::Array(ops.to_vec())).map_err(|e| format!("invalid JSON Patch: {e}"))?;
    for (i, op) in ops.iter().enumerate() {
        let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
        if let Some(Value::String(s)) = props.pointer(path)
            && s == UNKNOWN
        {
            return Err(format!("patch operation {i} ({path}) touches a value known only after apply"));
        }
    }
    let mut copy = props.clone();
    json_patch::patch(&mut copy, &patch).map_err(|e| format!("the patch does not apply to the resource: {e}"))
}

/// The fix for people, one line per operation against `props`:
/// `+ /tags/owner: "platform"`, `- /tags/temp: "x"`, `~ /acl: "public-read" -> "private"`.
/// Values are JSON; long ones are cut at 80 characters.
/// Each value goes through `redact` (the stack's secret scrubbing) before it
/// is cut, so a cut never keeps part of a secret.
pub fn diff_lines(remediation: &Remediation, props: &Value, redact: &dyn Fn(&str) -> String) -> Vec<String> {
    let shown = |v: &Value| {
        let mut s = redact(&v.to_string());
        if s.chars().count() > 80 {
            s = s.chars().take(77).collect::<String>() + "...";
        }
        s
    };
    let mut lines = Vec::new();
    for op in &remediation.patch {
        let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
        let old = props.pointer(path);
        let mut line = String::new();
        let _ = match (op.get("op").and_then(Value::as_str).unwrap_or_default(), op.get("value")) {
            ("add" | "replace", Some(new)) => match old {
                Some(old) if old != new => write!(line, "~ {path}: {} -> {}", shown(old), shown(new)),
                Some(_) => write!(line, "= {path}: {}", shown(new)),
                None => write!(line, "+ {path}: {}", shown(new)),
            },
            ("remove", _) => write!(line, "- {path}: {}", old.map_or_else(|| "null".to_string(), shown)),
            (other, _) => {
                let from = op.get("from").and_then(Value::as_str).map(|f| format!(" from {f}")).unwrap_or_default();
                write!(line, "{other} {path}{from}")
            }
        };
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{Operation, ResourceKind};

    /// No secrets: the identity.
    fn same(s: &str) -> String {
        s.to_string()
    }

    fn resource(props: Value, partial: bool) -> Resource {
        Resource {
            address: "aws_s3_bucket.b".into(),
            resource_type: "aws_s3_bucket".into(),
            name: "b".into(),
            provider: String::new(),
            kind: ResourceKind::Managed,
            op: Operation::Create,
            props,
            before: None,
            secret: Vec::new(),
            unset: Vec::new(),
            encrypted: Vec::new(),
            source: "plan.json".into(),
            partial,
        }
    }

    #[test]
    fn a_tag_change_on_a_planned_resource_is_a_patch_of_tags() {
        let r = resource(json!({"tags": {"env": "prod", "tmp": "1"}}), false);
        let fix =
            resolve(&json!({"tags": {"set": {"owner": "platform", "env": "prod"}, "remove": ["tmp"]}}), &r, &same)
                .expect("resolves")
                .expect("a fix");
        assert_eq!(
            fix.patch,
            vec![
                json!({"op": "remove", "path": "/tags/tmp"}),
                json!({"op": "add", "path": "/tags/owner", "value": "platform"})
            ]
        );
        assert_eq!(fix.diff, vec!["- /tags/tmp: \"1\"", "+ /tags/owner: \"platform\""]);
        // No tags at all: one `add` of the whole map.
        let fix = resolve(&json!({"tags": {"set": {"a/b~c": "x"}}}), &resource(json!({"tags": null}), false), &same)
            .expect("resolves")
            .expect("a fix");
        assert_eq!(fix.patch, vec![json!({"op": "add", "path": "/tags", "value": {"a/b~c": "x"}})]);
    }

    #[test]
    fn a_patch_of_string_tags_is_a_tag_change() {
        let r = resource(json!({"tags": {"a/b": "1", "keep": "k"}}), true);
        let fix = resolve(
            &json!({"patch": [{"op": "add", "path": "/tags/owner", "value": "o"}, {"op": "remove", "path": "/tags/a~1b"},
                               {"op": "replace", "path": "/tags/keep", "value": "k"}]}),
            &r,
            &same,
        )
        .expect("resolves")
            .expect("a fix");
        let change = fix.tags.expect("a tag change");
        assert_eq!(change.set, BTreeMap::from([("owner".to_string(), "o".to_string())]));
        assert_eq!(change.remove, BTreeSet::from(["a/b".to_string()]));
    }

    #[test]
    fn bad_fixes_are_refused_with_a_reason() {
        let planned = resource(json!({"acl": "public-read", "tags": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}), false);
        let live = resource(json!({"tags": {"env": "prod"}}), true);
        let cases = [
            (json!({"patch": [{"op": "remove", "path": "/nope"}]}), &planned, "does not apply"),
            (json!({"patch": [{"op": "replace", "path": "/tags", "value": {}}]}), &planned, "known only after apply"),
            (json!({"tags": {"set": {"a": "1"}}}), &planned, "unknown until apply"),
            (json!({"tags": {"set": {"a": "1"}, "remove": ["a"]}}), &live, "both sets and removes"),
            (
                json!({"patch": [{"op": "add", "path": "/acl", "value": "private"}]}),
                &live,
                "only be fixed by a tag change",
            ),
            (json!({"patch": [], "tags": {}}), &live, "exactly one"),
            (json!({"action": {"kind": "kms.enable-rotation"}}), &live, "partial"),
            (json!({"action": {"kind": "kms.enable-rotation"}}), &planned, "applies to aws_kms_key"),
            (json!({"fix": 1}), &live, "is not"),
            (json!({"patch": [{"op": "explode", "path": "/a"}]}), &live, "is not"),
            (json!("not json"), &live, "not JSON of an object"),
            (json!({"tags": {"set": {"a": "1"}}}), &resource(json!({"acl": "private"}), false), "no `tags` property"),
            (json!({"tags": {"set": {"aws:a": "1"}}}), &resource(json!({"tags": {}}), false), "reserves"),
        ];
        for (doc, r, want) in cases {
            let err = resolve(&doc, r, &same).expect_err(&doc.to_string());
            assert!(err.contains(want), "{doc}: {err}");
        }
        let fix = resolve(&json!({"patch": [{"op": "replace", "path": "/acl", "value": "private"}]}), &planned, &same)
            .expect("a property patch on a planned resource")
            .expect("a fix");
        assert_eq!(fix.tags, None);
        assert_eq!(fix.diff, vec!["~ /acl: \"public-read\" -> \"private\""]);
    }

    #[test]
    fn fixes_that_change_nothing_are_no_fix() {
        let r = resource(json!({"tags": {"owner": "a"}}), false);
        assert_eq!(resolve(&json!({"patch": []}), &r, &same), Ok(None));
        assert_eq!(resolve(&json!({"tags": {"set": {"owner": "a"}, "remove": ["gone"]}}), &r, &same), Ok(None));
    }

    #[test]
    fn aws_limits_are_the_plans_business_and_aws_keys_do_not_count() {
        // A fix AWS would refuse still resolves: the plan sends it to a person.
        let live = resource(json!({"tags": {"env": "prod"}}), true);
        let fix = resolve(&json!({"tags": {"set": {"aws:x": "1"}}}), &live, &same).expect("resolves").expect("a fix");
        let change = fix.tags.expect("a tag change");
        assert!(change.aws_violation(&BTreeMap::new()).is_some_and(|w| w.contains("reserves")));
        // 48 own tags and 2 of AWS's, plus 2 new: 50 of its own, allowed.
        let mut tags: BTreeMap<String, String> = (0..48).map(|i| (format!("k{i}"), "v".to_string())).collect();
        tags.insert("aws:cloudformation:stack-name".into(), "s".into());
        tags.insert("aws:cloudformation:stack-id".into(), "i".into());
        let two = TagChange {
            set: BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]),
            remove: BTreeSet::new(),
        };
        assert_eq!(two.aws_violation(&tags), None);
        tags.insert("k48".into(), "v".into());
        assert!(two.aws_violation(&tags).is_some_and(|w| w.contains("51 tags of its own")));
    }

    #[test]
    fn pending_and_apply() {
        let change = TagChange {
            set: BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]),
            remove: BTreeSet::from(["c".into(), "d".into()]),
        };
        let tags = BTreeMap::from([("a".to_string(), "1".to_string()), ("c".to_string(), "x".to_string())]);
        let pending = change.pending(&tags);
        assert_eq!(pending.set.keys().collect::<Vec<_>>(), ["b"]);
        assert_eq!(pending.remove.iter().collect::<Vec<_>>(), ["c"]);
        let after = change.apply_to(&tags);
        assert_eq!(after, BTreeMap::from([("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())]));
        assert!(change.pending(&after).is_empty());
    }
}
