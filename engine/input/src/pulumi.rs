//! Shared Pulumi reading: resource states (`apitype.ResourceV3`, as in stack
//! exports, preview steps and engine events), URNs, kinds, step ops, and the
//! property encodings (secrets, resource references, output values, unknowns).

use serde_json::{Map, Value};

use crate::error::InputError;
use crate::json::Node;
use crate::masks::push_unique;
use palisade_model::model::{Operation, Path, PathSegment, ResourceKind, UNKNOWN};

/// The key marking a specially encoded property value.
const SIG_KEY: &str = "4dabf18193072939515e22adb298388d";
/// Signature of a secret (`ciphertext` or `plaintext`).
const SECRET_SIG: &str = "1b47061264138c4ac30d75fd1eb44270";
/// Signature of a resource reference (`urn`, `id`, `packageVersion`).
const RESOURCE_REF_SIG: &str = "5cf8f73096256a8f31e491e813e4eb8e";
/// Signature of an output value (`value`, `secret`, `dependencies`).
const OUTPUT_SIG: &str = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
/// How event logs and previews show a secret they do not reveal.
const BLINDED: &str = "[secret]";
/// Plaintext secrets nested deeper than this are kept as they are.
const MAX_DEPTH: usize = 16;

/// The step ops accepted, for errors.
pub(crate) const STEP_OPS: &str = "same, create, update, replace, create-replacement, \
    delete-replaced, delete, discard, discard-replaced, read, read-replacement, refresh, \
    import, import-replacement, remove-pending-replace";

/// A Pulumi step op (`deploy.StepOp`) as an [`Operation`].
pub(crate) fn step_op(op: &str) -> Option<Operation> {
    Some(match op {
        "same" | "refresh" => Operation::NoOp,
        "create" => Operation::Create,
        "update" => Operation::Update,
        "replace" | "create-replacement" | "delete-replaced" => Operation::Replace,
        "delete" | "discard" | "discard-replaced" | "remove-pending-replace" => Operation::Delete,
        "read" | "read-replacement" => Operation::Read,
        "import" | "import-replacement" => Operation::Import,
        _ => return None,
    })
}

/// The resource type and name of a URN
/// (`urn:pulumi:<stack>::<project>::<parent$type>::<name>`); the name is
/// everything after the third `::` (names may contain `::`). A string that is
/// not a URN gives an empty type and its last `::` segment as name.
pub(crate) fn parse_urn(urn: &str) -> (String, String) {
    let parts: Vec<&str> = urn.splitn(4, "::").collect();
    match parts.as_slice() {
        [_, _, qualified, name] => {
            let rtype = qualified.rsplit('$').next().unwrap_or_default();
            (rtype.to_string(), (*name).to_string())
        }
        _ => (String::new(), urn.rsplit("::").next().unwrap_or(urn).to_string()),
    }
}

/// Kind: `pulumi:providers:*` are providers, `custom: false` (or absent)
/// components (the stack too), `external: true` data, the rest managed.
pub(crate) fn kind_of(rtype: &str, custom: bool, external: bool) -> ResourceKind {
    if rtype.starts_with("pulumi:providers:") {
        ResourceKind::Provider
    } else if !custom {
        ResourceKind::Component
    } else if external {
        ResourceKind::Data
    } else {
        ResourceKind::Managed
    }
}

/// A resource state (`apitype.ResourceV3`), normalized.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub rtype: Option<String>,
    pub custom: bool,
    pub external: bool,
    pub delete: bool,
    pub provider: Option<String>,
    /// `outputs` when a non-empty object, else `inputs`, else `{}`.
    pub props: Value,
    pub secret: Vec<Path>,
    /// Secrets held as ciphertext (or `[secret]` when `blinded`): each is
    /// [`UNKNOWN`] in `props` and also in `secret`.
    pub encrypted: Vec<Path>,
}

/// Reads a state object. `blinded`: the string `"[secret]"` is a hidden
/// secret (event logs, previews), made [`UNKNOWN`] and marked secret and
/// encrypted.
pub(crate) fn read_state(node: &Node<'_>, blinded: bool) -> Result<State, InputError> {
    let outputs = node.get("outputs")?;
    let raw = match outputs.as_ref().map(|n| n.object()).transpose()? {
        Some(map) if !map.is_empty() => outputs.map(|n| n.value),
        _ => match node.get("inputs")? {
            Some(inputs) => inputs.object().map(|_| Some(inputs.value))?,
            None => None,
        },
    };
    let mut decoder = Decoder { blinded, path: Vec::new(), secret: Vec::new(), encrypted: Vec::new() };
    let props = match raw {
        Some(v) => decoder.normalize(v, 0),
        None => Value::Object(Map::new()),
    };
    let Decoder { mut secret, encrypted, .. } = decoder;
    for name in node.opt_items("additionalSecretOutputs")? {
        push_unique(&mut secret, vec![PathSegment::Key(name.str()?.to_string())]);
    }
    Ok(State {
        rtype: node.opt_str("type")?.map(str::to_string),
        custom: node.flag("custom")?,
        external: node.flag("external")?,
        delete: node.flag("delete")?,
        provider: node.opt_str("provider")?.map(str::to_string),
        props,
        secret,
        encrypted,
    })
}

/// Decodes Pulumi's property encodings, collecting the paths of secret and
/// encrypted values on the way.
struct Decoder {
    /// `"[secret]"` strings are hidden secrets.
    blinded: bool,
    /// Where the walk is.
    path: Path,
    secret: Vec<Path>,
    encrypted: Vec<Path>,
}

impl Decoder {
    /// A secret whose value this input does not hold: [`UNKNOWN`], marked
    /// secret and encrypted.
    fn hidden(&mut self) -> Value {
        push_unique(&mut self.secret, self.path.clone());
        push_unique(&mut self.encrypted, self.path.clone());
        Value::String(UNKNOWN.into())
    }

    /// `v` (at `self.path`) decoded.
    fn normalize(&mut self, v: &Value, depth: usize) -> Value {
        match v {
            Value::String(s) if self.blinded && s == BLINDED => self.hidden(),
            Value::Object(m) if m.contains_key(SIG_KEY) => self.special(m, depth),
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, x) in m {
                    self.path.push(PathSegment::Key(k.clone()));
                    out.insert(k.clone(), self.normalize(x, depth));
                    self.path.pop();
                }
                Value::Object(out)
            }
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for (i, x) in a.iter().enumerate() {
                    self.path.push(PathSegment::Index(i));
                    out.push(self.normalize(x, depth));
                    self.path.pop();
                }
                Value::Array(out)
            }
            other => other.clone(),
        }
    }

    /// A value carrying [`SIG_KEY`]: secret, resource reference or output
    /// value; assets and archives are kept as they are.
    fn special(&mut self, m: &Map<String, Value>, depth: usize) -> Value {
        match m.get(SIG_KEY).and_then(Value::as_str) {
            Some(SECRET_SIG) => {
                push_unique(&mut self.secret, self.path.clone());
                match m.get("plaintext").and_then(Value::as_str) {
                    Some(text) if depth < MAX_DEPTH => {
                        let decoded = serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into()));
                        self.normalize(&decoded, depth + 1)
                    }
                    Some(text) => Value::String(text.into()),
                    None => self.hidden(),
                }
            }
            Some(RESOURCE_REF_SIG) => match m.get("id") {
                Some(id) if !id.is_null() && id.as_str() != Some("") => id.clone(),
                _ => m.get("urn").cloned().unwrap_or(Value::Null),
            },
            Some(OUTPUT_SIG) => {
                if m.get("secret").and_then(Value::as_bool) == Some(true) {
                    push_unique(&mut self.secret, self.path.clone());
                }
                match m.get("value") {
                    Some(inner) => self.normalize(inner, depth),
                    None => Value::String(UNKNOWN.into()),
                }
            }
            _ => Value::Object(m.clone()),
        }
    }
}
