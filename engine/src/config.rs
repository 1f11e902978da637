//! Pack configuration: the file format of Pulumi CrossGuard's
//! `--policy-pack-config`, validated against each policy's config schema,
//! and the enforcement level precedence.
//!
//! Format (JSON, or YAML when the file is not JSON), following
//! <https://www.pulumi.com/docs/iac/using-pulumi/crossguard/configuration/>:
//!
//! ```json
//! {
//!   "all": "mandatory",
//!   "aws-s3-bucket-disallow-public-read": "advisory",
//!   "required-tags": { "enforcementLevel": "mandatory", "tags": ["owner", "team"] }
//! }
//! ```
//!
//! - a key is a policy name, or `all` for every policy of every pack;
//! - a value is an enforcement level (`advisory`, `mandatory`, `remediate`,
//!   `disabled`), or an object with an optional `enforcementLevel` and the
//!   policy's config (`all` takes the level only);
//! - a policy name shared by two packs configures both;
//! - `failOnUndecided` (a boolean, Palisade's own key) makes every
//!   undecided result block the run, as `--fail-on-undecided` does.
//!
//! The effective level of a policy is, first found: `--enforcement POLICY=LEVEL`,
//! `--enforcement all=LEVEL`, the file's entry for the policy, the file's
//! `all`, the policy's own default (its `describe`).
//!
//! Every enabled policy's config (the file's, or `{}`), with the defaults of
//! its schema's top-level `properties` filled in, is validated against the
//! policy's JSON Schema (any draft the `jsonschema` crate detects, 2020-12
//! when unstated) before anything is evaluated.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::PolicySettings;
use crate::{EnforcementLevel, Pack};

/// The key that configures every policy.
pub const ALL: &str = "all";

/// The key that makes undecided results block (`failOnUndecided: true`).
pub const FAIL_ON_UNDECIDED: &str = "failOnUndecided";

/// A parsed pack configuration file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackConfig {
    /// Where it was read from (as given), for errors.
    pub path: String,
    /// The level of `all`, if given.
    pub all: Option<EnforcementLevel>,
    /// `failOnUndecided`, if given: whether undecided results block.
    pub fail_on_undecided: Option<bool>,
    /// Per-policy entries, by policy name.
    pub policies: BTreeMap<String, PolicyEntry>,
}

/// One policy's entry in a [`PackConfig`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyEntry {
    /// `enforcementLevel` (or the string value).
    pub level: Option<EnforcementLevel>,
    /// The policy's config: the object's keys other than `enforcementLevel`.
    pub config: Map<String, Value>,
}

/// An enforcement level given on the command line (`--enforcement POLICY=LEVEL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelOverride {
    /// A policy name, or [`ALL`].
    pub policy: String,
    /// The level.
    pub level: EnforcementLevel,
}

impl std::str::FromStr for LevelOverride {
    type Err = String;

    /// Parses `POLICY=LEVEL`; the error names the accepted levels.
    fn from_str(s: &str) -> Result<Self, String> {
        let (policy, level) =
            s.split_once('=').ok_or_else(|| format!("{s:?}: expected POLICY=LEVEL (or all=LEVEL)"))?;
        if policy.is_empty() {
            return Err(format!("{s:?}: the policy name is empty"));
        }
        Ok(LevelOverride { policy: policy.to_string(), level: level.parse()? })
    }
}

/// A schema rule a policy's config breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// The pack of the policy.
    pub pack: String,
    /// The policy.
    pub policy: String,
    /// The config key, as a JSON Pointer into the policy's config (`/tags/1`);
    /// empty for the config object itself.
    pub key: String,
    /// The schema keyword that failed (`type`, `required`, `enum`, ...).
    pub rule: String,
    /// Where the rule is in the schema (JSON Pointer).
    pub schema_path: String,
    /// The validator's message.
    pub message: String,
}

impl fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = if self.key.is_empty() { "(the config object)".to_string() } else { format!("`{}`", self.key) };
        write!(
            f,
            "policy `{}` (pack {}): key {key}: schema rule `{}` ({}): {}",
            self.policy, self.pack, self.rule, self.schema_path, self.message
        )
    }
}

/// Why a pack configuration cannot be used. Always names its source: the
/// file, or `--enforcement`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("pack config {path}: cannot read the file: {error}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// Not JSON or YAML; the message has line and column.
    #[error("pack config {path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// A value of the wrong shape.
    #[error("pack config {path}: key `{key}`: {message}")]
    Shape {
        /// The file.
        path: String,
        /// The top-level key (policy name or `all`), with `.enforcementLevel` when it is that.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A policy name that no loaded pack has.
    #[error("{source_name}: policy `{policy}` is not in any loaded pack ({known})")]
    UnknownPolicy {
        /// `pack config FILE`, or `--enforcement`.
        source_name: String,
        /// The name given.
        policy: String,
        /// The closest names, or the packs' policy names.
        known: String,
    },
    /// A policy's own schema is not a valid JSON Schema.
    #[error("policy `{policy}` (pack {pack}): its config schema is not a valid JSON Schema: {message}")]
    BadSchema {
        /// The pack.
        pack: String,
        /// The policy.
        policy: String,
        /// The validator's message.
        message: String,
    },
    /// Configs that break their policy's schema.
    #[error("{source_name}: invalid policy config:\n  {}", list(.violations))]
    Invalid {
        /// `pack config FILE`, or the policies' defaults when no file is given.
        source_name: String,
        /// Every rule broken, in pack and policy order.
        violations: Vec<SchemaViolation>,
    },
}

fn list(violations: &[SchemaViolation]) -> String {
    violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
}

impl PackConfig {
    /// Read a config file (JSON, or YAML when it is not JSON).
    ///
    /// Errors: [`ConfigError::Read`], [`ConfigError::Syntax`] (with line and
    /// column), [`ConfigError::Shape`].
    pub fn read(path: &Path) -> Result<PackConfig, ConfigError> {
        let shown = path.display().to_string();
        let read = |error| ConfigError::Read { path: shown.clone(), error };
        let bytes = crate::read_capped(path, crate::MAX_SETTINGS_BYTES).map_err(read)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| read(std::io::Error::new(std::io::ErrorKind::InvalidData, "the file is not UTF-8")))?;
        PackConfig::parse(&shown, &text)
    }

    /// Parse a config document; `path` names it in errors.
    pub fn parse(path: &str, text: &str) -> Result<PackConfig, ConfigError> {
        let syntax = |message: String| ConfigError::Syntax { path: path.to_string(), message };
        if text.trim().is_empty() {
            return Err(syntax(
                "the file is empty; expected an object of policy names (or `all`) to levels or configs".into(),
            ));
        }
        let Strict(doc) = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| syntax(format!("not valid JSON: {e}")))?
        } else {
            serde_yaml_ng::from_str(text).map_err(|e| syntax(format!("not valid YAML: {e}")))?
        };
        let shape =
            |key: &str, message: String| ConfigError::Shape { path: path.to_string(), key: key.into(), message };
        let Value::Object(map) = doc else {
            return Err(syntax(format!(
                "expected an object of policy names (or `all`) to levels or configs, found {}",
                kind(&doc)
            )));
        };
        let mut config = PackConfig { path: path.to_string(), ..PackConfig::default() };
        for (key, value) in map {
            let spelled = key.replace(['_', '-'], "").to_ascii_lowercase();
            if key != FAIL_ON_UNDECIDED && spelled == FAIL_ON_UNDECIDED.to_ascii_lowercase() {
                return Err(shape(&key, format!("Palisade's key is spelled `{FAIL_ON_UNDECIDED}`")));
            }
            if let Value::Object(object) = &value
                && object.contains_key(FAIL_ON_UNDECIDED)
            {
                return Err(shape(
                    &format!("{key}.{FAIL_ON_UNDECIDED}"),
                    format!("`{FAIL_ON_UNDECIDED}` is a top-level key of the file, for every policy"),
                ));
            }
            if key == FAIL_ON_UNDECIDED {
                let Value::Bool(on) = value else {
                    return Err(shape(&key, format!("expected true or false, found {}", kind(&value))));
                };
                config.fail_on_undecided = Some(on);
                continue;
            }
            let entry = match value {
                Value::String(s) => {
                    PolicyEntry { level: Some(s.parse().map_err(|e| shape(&key, e))?), config: Map::new() }
                }
                Value::Object(mut object) => {
                    let level = match object.remove("enforcementLevel") {
                        None => None,
                        Some(Value::String(s)) => {
                            Some(s.parse().map_err(|e| shape(&format!("{key}.enforcementLevel"), e))?)
                        }
                        Some(other) => {
                            return Err(shape(
                                &format!("{key}.enforcementLevel"),
                                format!("expected a level string, found {}", kind(&other)),
                            ));
                        }
                    };
                    PolicyEntry { level, config: object }
                }
                other => {
                    return Err(shape(
                        &key,
                        format!("expected an enforcement level or an object, found {}", kind(&other)),
                    ));
                }
            };
            if key == ALL {
                if let Some(extra) = entry.config.keys().next() {
                    return Err(shape(
                        ALL,
                        format!("`all` takes only `enforcementLevel`; configure `{extra}` under a policy's name"),
                    ));
                }
                config.all = entry.level;
            } else {
                config.policies.insert(key, entry);
            }
        }
        Ok(config)
    }
}

/// A JSON value in which an object that gives a key twice is an error, at
/// any depth (`serde_json::Value` keeps the last one silently): a later line
/// must not quietly override an earlier one, e.g. disable a mandatory policy
/// after a bad merge.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Strict;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
                Ok(Strict(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
                Ok(Strict(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
                Ok(Strict(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
                Ok(Strict(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
                Ok(Strict(Value::String(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Strict, E> {
                Ok(Strict(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<Strict, E> {
                Ok(Strict(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Strict, E> {
                Ok(Strict(Value::Null))
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Strict, D::Error> {
                <Strict as serde::Deserialize>::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
                let mut items = Vec::new();
                while let Some(Strict(v)) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Strict(Value::Array(items)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
                let mut object = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if object.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("key `{key}` is given twice")));
                    }
                    let Strict(value) = map.next_value()?;
                    object.insert(key, value);
                }
                Ok(Strict(Value::Object(object)))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The settings of a run: each policy's effective level and its validated
/// config with schema defaults, from the config file (if any), the
/// command-line overrides and the packs' defaults (precedence in the module
/// doc).
///
/// Errors: a policy named in the file or an override that no pack has
/// ([`ConfigError::UnknownPolicy`]); a policy schema that does not compile
/// ([`ConfigError::BadSchema`]); configs that break their schema
/// ([`ConfigError::Invalid`], listing every rule broken).
pub fn resolve(
    config: Option<&PackConfig>,
    overrides: &[LevelOverride],
    packs: &[Pack],
) -> Result<PolicySettings, ConfigError> {
    let known: Vec<&str> =
        packs.iter().flat_map(|p| p.metadata.policies.iter().map(|q| q.name.as_str())).collect::<Vec<_>>();
    let check_known = |source_name: &str, policy: &str| {
        if policy == ALL || known.contains(&policy) {
            return Ok(());
        }
        Err(ConfigError::UnknownPolicy {
            source_name: source_name.to_string(),
            policy: policy.to_string(),
            known: suggest(policy, &known),
        })
    };
    if let Some(c) = config {
        for name in c.policies.keys() {
            check_known(&format!("pack config {}", c.path), name)?;
        }
    }
    for o in overrides {
        check_known("--enforcement", &o.policy)?;
    }
    let cli: HashMap<&str, EnforcementLevel> = overrides.iter().map(|o| (o.policy.as_str(), o.level)).collect();
    let mut settings = PolicySettings::default();
    let mut violations = Vec::new();
    for pack in packs {
        for policy in &pack.metadata.policies {
            let entry = config.and_then(|c| c.policies.get(&policy.name));
            let level = cli
                .get(policy.name.as_str())
                .or_else(|| cli.get(ALL))
                .copied()
                .or(entry.and_then(|e| e.level))
                .or(config.and_then(|c| c.all))
                .unwrap_or(policy.enforcement_level);
            settings.levels.insert(policy.name.clone(), level);
            let given = entry.map(|e| Value::Object(e.config.clone()));
            let full = policy.config_with_defaults(given.as_ref());
            if level != EnforcementLevel::Disabled {
                let validator =
                    jsonschema::validator_for(&policy.config_schema).map_err(|e| ConfigError::BadSchema {
                        pack: pack.metadata.name.clone(),
                        policy: policy.name.clone(),
                        message: e.to_string(),
                    })?;
                violations.extend(validator.iter_errors(&full).map(|e| SchemaViolation {
                    pack: pack.metadata.name.clone(),
                    policy: policy.name.clone(),
                    key: e.instance_path().as_str().to_string(),
                    rule: e.kind().keyword().to_string(),
                    schema_path: e.schema_path().as_str().to_string(),
                    message: e.to_string(),
                }));
            }
            settings.configs.insert(policy.name.clone(), full);
        }
    }
    if !violations.is_empty() {
        let source_name =
            config.map_or_else(|| "the policies' default configs".to_string(), |c| format!("pack config {}", c.path));
        return Err(ConfigError::Invalid { source_name, violations });
    }
    Ok(settings)
}

/// A hint for an unknown policy `name`: `did you mean `X`?` for the known
/// name closest to it (edit distance at most a third of its length), else
/// the known names when there are at most 20, else their count.
pub fn suggest(name: &str, known: &[&str]) -> String {
    let mut close: Vec<(usize, &str)> =
        known.iter().map(|k| (distance(name, k), *k)).filter(|(d, k)| *d <= k.len().max(name.len()) / 3).collect();
    close.sort();
    close.dedup();
    if let Some((_, best)) = close.first() {
        return format!("did you mean `{best}`?");
    }
    let mut all: Vec<&str> = known.to_vec();
    all.sort_unstable();
    all.dedup();
    if all.len() <= 20 {
        format!("known policies: {}", all.join(", "))
    } else {
        format!("{} known policies; `palisade inspect PACK` lists them", all.len())
    }
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossguard_shapes_parse() {
        let c = PackConfig::parse(
            "c.json",
            r#"{"all": "advisory", "p1": "disabled", "p2": {"enforcementLevel": "mandatory", "tags": ["a"]}, "p3": {"x": 1}}"#,
        )
        .expect("valid");
        assert_eq!(c.all, Some(EnforcementLevel::Advisory));
        assert_eq!(c.policies["p1"].level, Some(EnforcementLevel::Disabled));
        assert_eq!(c.policies["p2"].level, Some(EnforcementLevel::Mandatory));
        assert_eq!(c.policies["p2"].config["tags"], serde_json::json!(["a"]));
        assert_eq!(c.policies["p3"].level, None);
        let yaml = PackConfig::parse("c.yaml", "all: mandatory\np2:\n  tags: [b]\n").expect("yaml");
        assert_eq!(yaml.all, Some(EnforcementLevel::Mandatory));
        assert_eq!(yaml.policies["p2"].config["tags"], serde_json::json!(["b"]));
    }

    #[test]
    fn bad_shapes_name_the_key() {
        let e = PackConfig::parse("c.json", r#"{"p": "strict"}"#).expect_err("bad level").to_string();
        assert!(e.contains("c.json") && e.contains("`p`") && e.contains("mandatory"), "{e}");
        let e = PackConfig::parse("c.json", r#"{"p": {"enforcementLevel": 3}}"#).expect_err("bad").to_string();
        assert!(e.contains("`p.enforcementLevel`") && e.contains("a number"), "{e}");
        let e = PackConfig::parse("c.json", r#"{"all": {"tags": []}}"#).expect_err("bad").to_string();
        assert!(e.contains("`all` takes only"), "{e}");
        let e = PackConfig::parse("c.json", "{\"p\": \n").expect_err("syntax").to_string();
        assert!(e.contains("line 2"), "{e}");
        let e = PackConfig::parse("c.yaml", "- a\n- b\n").expect_err("not an object").to_string();
        assert!(e.contains("expected an object of policy names"), "{e}");
        let e = PackConfig::parse("c.yaml", "p: mandatory\np: disabled\n").expect_err("twice").to_string();
        assert!(e.contains("key `p` is given twice"), "{e}");
        let e =
            PackConfig::parse("c.json", r#"{"all": "mandatory", "all": "advisory"}"#).expect_err("twice").to_string();
        assert!(e.contains("key `all` is given twice") && e.contains("line 1"), "{e}");
        let e = PackConfig::parse("c.yaml", "p:\n  enforcementLevel: advisory\n  enforcementLevel: disabled\n")
            .expect_err("nested twice")
            .to_string();
        assert!(e.contains("key `enforcementLevel` is given twice"), "{e}");
        let e = PackConfig::parse("c.json", r#"{"p": {"tags": ["a"], "tags": ["b"]}}"#).expect_err("twice").to_string();
        assert!(e.contains("key `tags` is given twice"), "{e}");
        let e = PackConfig::parse("c.yaml", "  \n").expect_err("empty").to_string();
        assert!(e.contains("the file is empty"), "{e}");
    }

    #[test]
    fn overrides_parse() {
        let o: LevelOverride = "p=mandatory".parse().expect("valid");
        assert_eq!(o, LevelOverride { policy: "p".into(), level: EnforcementLevel::Mandatory });
        assert!("p".parse::<LevelOverride>().is_err());
        assert!("=advisory".parse::<LevelOverride>().is_err());
        assert!("p=loud".parse::<LevelOverride>().is_err());
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("requierd-tags", &["required-tags", "other"]), "did you mean `required-tags`?");
        assert_eq!(suggest("zzz", &["b", "a"]), "known policies: a, b");
    }
}
