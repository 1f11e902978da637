//! Tags: the configurable `required-tags` policy, which can remediate.

use palisade_sdk::prelude::*;
use palisade_sdk::serde_json::{Map, Value};

pub fn policies() -> [ResourcePolicy; 1] {
    // AWS resources only: other providers' `tags` are lists or labels.
    [ResourcePolicy::new("required-tags", Severity::Medium, required_tags)
        .types(["aws_*", "aws:*"])
        .description(
            "Checks that taggable resources carry the required tag keys, with allowed values; at level remediate, \
             sets the configured default values of missing keys.",
        )
        .enforcement(EnforcementLevel::Advisory)
        .config_schema(json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "tags": {
                    "description": "Tag keys every taggable resource must carry.",
                    "type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": true, "default": []
                },
                "allowed": {
                    "description": "Allowed values per tag key: exact values or patterns where * matches any text and ? one character.",
                    "type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "default": {}
                },
                "defaults": {
                    "description": "Values to set for missing required keys when the policy runs at level remediate (keys of AWS's form: not `aws:`, at most 128 characters; values at most 256).",
                    "type": "object",
                    "propertyNames": {"minLength": 1, "maxLength": 128, "not": {"pattern": "^[aA][wW][sS]:"}},
                    "additionalProperties": {"type": "string", "maxLength": 256},
                    "default": {}
                }
            }
        }))
        .help(
            "Add the missing tag keys (config `tags`) with allowed values (config `allowed`). At enforcement level \
             remediate, keys with a configured default (config `defaults`) are set by `palisade remediate`.",
        )]
}

/// Undecided on a value not known here: `after_apply` when it is known
/// only after apply, else the reason the SDK gives (encrypted in the
/// export, not set in the configuration).
fn not_known(prop: &Prop, after_apply: &str) -> Outcome {
    match prop.value() {
        palisade_sdk::PropValue::Unknown => undecided(after_apply),
        _ => Err(prop.unknown().into()),
    }
}

/// A resource is taggable when it has `tags` or `tags_all` (Terraform
/// writes `tags: null` for a taggable resource without tags; inventory
/// resources always have them). Provider default tags count: `tags_all`
/// is read when it is known.
fn required_tags(r: &Resource, config: &Config) -> Outcome {
    let required = config.strings("tags");
    let allowed = object(config.json().get("allowed"));
    let defaults = object(config.json().get("defaults"));
    if required.is_empty() && allowed.is_empty() {
        return Ok(());
    }
    // `tags` not set in the configuration is no tags; `tags_all` (the tags
    // with the provider's default tags) is computed, so it stays unknown.
    let tags = r.configured().get("tags");
    let all = r.get("tags_all");
    // Auto Scaling groups take `tag` blocks (or a `tags` list) of {key, value}.
    // (A live resource has only its tags: its absent `tag` is not unknown here.)
    let blocks = r.get("tag");
    let no_blocks = blocks.is_absent() || r.is_partial();
    if tags.is_absent() && all.is_absent() && no_blocks {
        return Ok(());
    }
    if blocks.is_unknown() && !r.is_partial() {
        return not_known(&blocks, "The `tag` blocks are known only after apply.");
    }
    // The most complete known map: `tags_all` (with the provider's default
    // tags) when known, else `tags`; plus list-shaped tags.
    let mut map = match (all.json(), tags.json()) {
        (Some(Value::Object(m)), _) if all.is_known() => m.clone(),
        (_, Some(Value::Object(m))) if tags.is_known() => m.clone(),
        _ if tags.is_unknown() => return not_known(&tags, "The tags are known only after apply."),
        _ if all.is_unknown() => return not_known(&all, "The tags are known only after apply."),
        _ => Map::new(),
    };
    let mut list_shaped = false;
    for list in [tags.json(), blocks.json()] {
        if let Some(Value::Array(items)) = list {
            list_shaped = true;
            for item in items {
                if let Some(key) = item.get("key").and_then(Value::as_str) {
                    map.insert(key.to_string(), item.get("value").cloned().unwrap_or(Value::Null));
                }
            }
        }
    }
    let mut missing = Vec::new();
    for key in &required {
        if !map.contains_key(*key) {
            missing.push(*key);
        }
    }
    let mut wrong = Vec::new();
    let mut unknown = None;
    for (key, patterns) in &allowed {
        let Some(value) = map.get(key) else { continue };
        let patterns: Vec<&str> = patterns.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        match value.as_str() {
            Some(v) if v == palisade_sdk::UNKNOWN => unknown = Some(key.clone()),
            Some(v) if patterns.iter().any(|p| wildcard(p, v)) => {}
            Some(v) => wrong.push(format!("tag `{key}` is \"{v}\", not one of: {}", patterns.join(", "))),
            None => wrong.push(format!("tag `{key}` is not a string")),
        }
    }
    if !missing.is_empty() && wrong.is_empty() && all.is_unknown() {
        // The provider's default tags may supply them.
        let when = if all.is_unset() { "is filled in by the provider at apply" } else { "is known only after apply" };
        return undecided(format!("Tags are missing from `tags`, and `tags_all` (with the provider's default tags) {when}."));
    }
    if missing.is_empty() && wrong.is_empty() {
        return match unknown {
            Some(key) => undecided(format!("The value of tag `{key}` is known only after apply.")),
            None => Ok(()),
        };
    }
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing required tags: {}", missing.join(", ")));
    }
    parts.extend(wrong.iter().cloned());
    let mut message = parts.join("; ");
    if let Some(first) = message.get(..1) {
        message = first.to_uppercase() + &message[1..];
    }
    message.push('.');
    // A fix only when defaults cover every missing key and no value is wrong,
    // and the tags are a map (a fix of list-shaped tags is left to people).
    let fix = !list_shaped
        && wrong.is_empty()
        && missing.iter().all(|k| defaults.get(*k).and_then(Value::as_str).is_some_and(|v| default_ok(&allowed, k, v)));
    if !fix {
        // Say why no default could be used, when one was configured.
        for key in &missing {
            if let Some(v) = defaults.get(*key).and_then(Value::as_str).filter(|v| !default_ok(&allowed, key, v)) {
                message.push_str(&format!(" The default \"{v}\" for `{key}` is not among its allowed values."));
            }
        }
    }
    if fix {
        let mut remediation = Remediation::tags();
        for key in &missing {
            if let Some(value) = defaults.get(*key).and_then(Value::as_str) {
                remediation = remediation.set(*key, value);
            }
        }
        return violation_with_fix(message, remediation);
    }
    violation(message)
}

fn object(value: Option<&Value>) -> Map<String, Value> {
    match value {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

/// Whether a default value is itself allowed (a default that breaks
/// `allowed` is never applied).
fn default_ok(allowed: &Map<String, Value>, key: &str, value: &str) -> bool {
    match allowed.get(key).and_then(Value::as_array) {
        Some(patterns) => patterns.iter().filter_map(Value::as_str).any(|p| wildcard(p, value)),
        None => true,
    }
}

/// `*` matches any text (also none), `?` one character; all else is literal.
fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards() {
        assert!(wildcard("prod", "prod"));
        assert!(!wildcard("prod", "production"));
        assert!(wildcard("team-*", "team-a"));
        assert!(wildcard("team-*", "team-"));
        assert!(wildcard("?a*b", "xaYYb"));
        assert!(!wildcard("?a*b", "aYYb"));
        assert!(wildcard("*", ""));
        assert!(wildcard("a*b*c", "abbbc"));
    }
}
