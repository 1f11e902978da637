//! Declared tags and how they compare with the cloud's.
//!
//! The declared tags of a resource are Terraform's `tags_all` or Pulumi's
//! `tagsAll` (the resource's own tags plus the provider's default tags,
//! which is what the cloud has) when present and known, else its `tags`.
//! AWS-reserved keys (`aws:*`, set by CloudFormation and other AWS
//! services) are never compared; nor are tags whose declared value is
//! unknown until apply.

use std::borrow::Cow;
use std::collections::BTreeMap;

use palisade_model::model::{PathSegment, Resource, is_unknown};
use serde_json::Value;

use super::report::{REDACTED, TagChange, TagChangeKind};

/// The props that hold a resource's tags, most complete first.
const TAG_PROPS: [&str; 3] = ["tags_all", "tagsAll", "tags"];

/// What the state says of a resource's tags.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DeclaredTags<'a> {
    /// The resource has no tags prop at all (a type without tags, e.g. a
    /// policy attachment): tags are not compared.
    NotTracked,
    /// The whole tag map is unknown until apply: not compared.
    Unknown,
    /// Known tags (`aws:` keys included; comparisons skip them).
    Known {
        /// Tag values by key.
        tags: BTreeMap<&'a str, Cow<'a, str>>,
        /// Keys whose value is unknown until apply: not compared.
        unknown: Vec<&'a str>,
    },
}

/// Which tag values are secret (never printed), beside conventionally
/// secret keys, which always are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum SecretTags<'a> {
    /// None.
    #[default]
    None,
    /// Every value (the whole map is secret).
    All,
    /// These keys' values.
    Keys(Vec<&'a str>),
}

impl<'a> SecretTags<'a> {
    /// The secret tag keys of `resource`, from its secret paths.
    pub(crate) fn of(resource: &'a Resource) -> SecretTags<'a> {
        let mut keys = Vec::new();
        for path in &resource.secret {
            match path.as_slice() {
                // The whole of `props` is secret.
                [] => return SecretTags::All,
                [PathSegment::Key(p), rest @ ..] if TAG_PROPS.contains(&p.as_str()) => match rest.first() {
                    None => return SecretTags::All,
                    Some(PathSegment::Key(k)) => keys.push(k.as_str()),
                    Some(PathSegment::Index(_)) => {}
                },
                _ => {}
            }
        }
        if keys.is_empty() { SecretTags::None } else { SecretTags::Keys(keys) }
    }

    /// Whether the value of `key` is secret: marked so in the state, or a
    /// conventionally secret name (`db-password`, `api_token`; see
    /// [`palisade_model::is_conventionally_secret`]) on either side.
    pub(crate) fn contains(&self, key: &str) -> bool {
        if palisade_model::is_conventionally_secret(key) {
            return true;
        }
        match self {
            SecretTags::None => false,
            SecretTags::All => true,
            SecretTags::Keys(keys) => keys.contains(&key),
        }
    }

    /// `value`, or [`REDACTED`] when `key` is secret.
    pub(crate) fn show(&self, key: &str, value: &str) -> String {
        if self.contains(key) { REDACTED.to_string() } else { value.to_string() }
    }
}

impl<'a> DeclaredTags<'a> {
    /// The declared tags of a resource's `props`.
    pub(crate) fn of(props: &'a Value) -> DeclaredTags<'a> {
        let mut seen = false;
        for prop in TAG_PROPS {
            match props.get(prop) {
                Some(Value::Object(map)) => return DeclaredTags::known(map),
                // `tags = null`: no tags; `tags_all = null` (older states):
                // look at `tags`.
                Some(Value::Null) if prop == "tags" => {
                    return DeclaredTags::Known { tags: BTreeMap::new(), unknown: Vec::new() };
                }
                Some(v) if is_unknown(v) => seen = true,
                Some(_) => {}
                None => {}
            }
        }
        if seen { DeclaredTags::Unknown } else { DeclaredTags::NotTracked }
    }

    fn known(map: &'a serde_json::Map<String, Value>) -> DeclaredTags<'a> {
        let mut tags = BTreeMap::new();
        let mut unknown = Vec::new();
        for (k, v) in map {
            match v {
                Value::String(s) if s == palisade_model::model::UNKNOWN => unknown.push(k.as_str()),
                Value::String(s) => {
                    tags.insert(k.as_str(), Cow::Borrowed(s.as_str()));
                }
                Value::Null => {}
                // Tag values are strings; other scalars are compared as written.
                other => {
                    tags.insert(k.as_str(), Cow::Owned(other.to_string()));
                }
            }
        }
        DeclaredTags::Known { tags, unknown }
    }

    /// Whether the resource has no tags other than `aws:` ones (and so the
    /// Tagging API, which returns only tagged resources, would not see it).
    /// Unknown tags might be anything: not untagged.
    pub(crate) fn is_untagged(&self) -> bool {
        match self {
            DeclaredTags::NotTracked => true,
            DeclaredTags::Unknown => false,
            DeclaredTags::Known { tags, unknown } => unknown.is_empty() && tags.keys().all(|k| is_reserved(k)),
        }
    }

    /// The known tags, for filters and ignore rules (empty unless known).
    pub(crate) fn known_map(&self) -> Option<&BTreeMap<&'a str, Cow<'a, str>>> {
        match self {
            DeclaredTags::Known { tags, .. } => Some(tags),
            _ => None,
        }
    }

    /// How the cloud's `actual` tags differ from these, sorted by key;
    /// empty when they agree or tags are not compared.
    pub(crate) fn diff(&self, actual: &BTreeMap<String, String>, secret: &SecretTags<'_>) -> Vec<TagChange> {
        let DeclaredTags::Known { tags, unknown } = self else {
            return Vec::new();
        };
        // Both maps are sorted by key: one merge walk, no lookups.
        let mut changes = Vec::new();
        let mut want = tags.iter().filter(|(k, _)| !is_reserved(k)).peekable();
        let mut got = actual
            .iter()
            .filter(|(k, _)| !is_reserved(k) && !unknown.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .peekable();
        loop {
            let order = match (want.peek(), got.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some((w, _)), Some((g, _))) => (**w).cmp(*g),
            };
            match order {
                std::cmp::Ordering::Less => {
                    if let Some((key, value)) = want.next() {
                        changes.push(change(key, TagChangeKind::Removed, Some(value), None, secret));
                    }
                }
                std::cmp::Ordering::Greater => {
                    if let Some((key, value)) = got.next() {
                        changes.push(change(key, TagChangeKind::Added, None, Some(value), secret));
                    }
                }
                std::cmp::Ordering::Equal => {
                    if let (Some((key, w)), Some((_, g))) = (want.next(), got.next())
                        && w.as_ref() != g
                    {
                        changes.push(change(key, TagChangeKind::Changed, Some(w), Some(g), secret));
                    }
                }
            }
        }
        changes
    }
}

fn change(
    key: &str,
    kind: TagChangeKind,
    desired: Option<&str>,
    actual: Option<&str>,
    secret: &SecretTags<'_>,
) -> TagChange {
    TagChange {
        key: key.to_string(),
        kind,
        desired: desired.map(|v| secret.show(key, v)),
        actual: actual.map(|v| secret.show(key, v)),
    }
}

/// Whether a tag key is reserved by AWS (`aws:` prefix, any case, as AWS
/// treats it).
pub(crate) fn is_reserved(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cloud(tags: &[(&str, &str)]) -> BTreeMap<String, String> {
        tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn declared_tags_prefer_tags_all_when_known() {
        let cases = [
            (json!({"tags": {"a": "1"}, "tags_all": {"a": "1", "team": "x"}}), Some(vec!["a", "team"])),
            (json!({"tags": {"a": "1"}, "tagsAll": {"a": "1", "team": "x"}}), Some(vec!["a", "team"])),
            (json!({"tags": {"a": "1"}, "tags_all": palisade_model::model::UNKNOWN}), Some(vec!["a"])),
            (json!({"tags": {"a": "1"}, "tags_all": null}), Some(vec!["a"])),
            (json!({"tags": null}), Some(vec![])),
            (json!({"tags": palisade_model::model::UNKNOWN}), None),
            (json!({"policy": "{}"}), None),
        ];
        for (props, keys) in cases {
            let declared = DeclaredTags::of(&props);
            assert_eq!(declared.known_map().map(|m| m.keys().copied().collect::<Vec<_>>()), keys, "{props}");
        }
        assert_eq!(DeclaredTags::of(&json!({"x": 1})), DeclaredTags::NotTracked);
        assert_eq!(DeclaredTags::of(&json!({"tags": palisade_model::model::UNKNOWN})), DeclaredTags::Unknown);
    }

    #[test]
    fn diff_reports_each_kind_and_skips_reserved_and_unknown() {
        let props = json!({"tags_all": {"Name": "web", "env": "prod", "owner": palisade_model::model::UNKNOWN,
            "aws:cloudformation:stack-name": "s"}});
        let declared = DeclaredTags::of(&props);
        let actual =
            cloud(&[("Name", "web-2"), ("owner", "bob"), ("extra", "1"), ("aws:cloudformation:logical-id", "L")]);
        let changes = declared.diff(&actual, &SecretTags::None);
        let got: Vec<(&str, TagChangeKind, Option<&str>, Option<&str>)> =
            changes.iter().map(|c| (c.key.as_str(), c.kind, c.desired.as_deref(), c.actual.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("Name", TagChangeKind::Changed, Some("web"), Some("web-2")),
                ("env", TagChangeKind::Removed, Some("prod"), None),
                ("extra", TagChangeKind::Added, None, Some("1")),
            ]
        );
        assert!(DeclaredTags::NotTracked.diff(&actual, &SecretTags::None).is_empty());
        assert!(!declared.is_untagged());
        assert!(DeclaredTags::of(&json!({"tags": {"aws:x": "y"}})).is_untagged());
    }

    #[test]
    fn conventionally_secret_keys_are_redacted_without_a_marker() {
        let props = json!({"tags": {"db-password": "in-state-1", "team": "a"}});
        let declared = DeclaredTags::of(&props);
        let actual: BTreeMap<String, String> =
            [("db-password", "in-cloud-2"), ("team", "b"), ("client-secret", "cloud-only-3")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let changes = declared.diff(&actual, &SecretTags::None);
        let shown: Vec<(&str, Option<&str>, Option<&str>)> =
            changes.iter().map(|c| (c.key.as_str(), c.desired.as_deref(), c.actual.as_deref())).collect();
        assert_eq!(
            shown,
            [
                ("client-secret", None, Some(REDACTED)),
                ("db-password", Some(REDACTED), Some(REDACTED)),
                ("team", Some("a"), Some("b")),
            ]
        );
        assert_eq!(SecretTags::None.show("api-token", "t0k3n-value"), REDACTED);
    }

    #[test]
    fn secret_values_are_redacted() {
        let props = json!({"tags": {"token": "s3cr3t-value", "Name": "a"}});
        let declared = DeclaredTags::of(&props);
        let secret = SecretTags::Keys(vec!["token"]);
        let changes = declared.diff(&cloud(&[("token", "old-s3cr3t"), ("Name", "b")]), &secret);
        assert_eq!(changes[1].desired.as_deref(), Some(REDACTED));
        assert_eq!(changes[1].actual.as_deref(), Some(REDACTED));
        assert_eq!(changes[0].actual.as_deref(), Some("b"));
    }
}
