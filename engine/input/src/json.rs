//! Walking a `serde_json::Value` while tracking the JSON path, so that a value
//! of the wrong shape gives an [`InputError`] naming where it is
//! (`$.resource_changes[3].change.actions`).

use serde_json::{Map, Value};

use crate::InputFormat;
use crate::error::{InputError, InputErrorKind};

/// The file being read and its format, for errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub source: &'a str,
    pub format: InputFormat,
}

impl Ctx<'_> {
    /// An error of `kind` in this file.
    pub fn error(&self, kind: InputErrorKind) -> InputError {
        InputError::new(self.source, Some(self.format), kind)
    }
}

/// A value inside the document and the path leading to it.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    pub value: &'a Value,
    pub path: String,
    pub line: Option<usize>,
    pub ctx: Ctx<'a>,
}

/// How a value is described in errors: "null", "the string \"x\"",
/// `["explode"]` (short arrays and objects in full), "an object".
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() <= 40 => format!("the string {s:?}"),
        Value::String(_) => "a (long) string".into(),
        Value::Array(_) | Value::Object(_) => {
            let noun = if v.is_array() { "an array" } else { "an object" };
            match serde_json::to_string(v) {
                Ok(text) if text.chars().count() <= 60 => text,
                _ => noun.into(),
            }
        }
    }
}

/// [`describe`] for the value at JSON path `path`, through the one notion
/// of a secret ([`palisade_model::secrets::is_conventionally_secret`]):
/// under a conventionally secret name (`$.values.password`) the value is
/// [`REDACTED`](palisade_model::secrets::REDACTED); a short array or
/// object holding such a name anywhere is only named, not shown. Which
/// values the input marks sensitive is unknown in a document that did not
/// parse, so names are all there is to go by.
pub(crate) fn describe_at(path: &str, v: &Value) -> String {
    use palisade_model::secrets::{REDACTED, is_conventionally_secret};
    let secret_path = path.split(['.', '[', ']', '"']).any(is_conventionally_secret);
    if secret_path && !v.is_null() {
        return REDACTED.to_string();
    }
    fn holds_secret_name(v: &Value) -> bool {
        match v {
            Value::Object(map) => map.iter().any(|(k, v)| is_conventionally_secret(k) || holds_secret_name(v)),
            Value::Array(items) => items.iter().any(holds_secret_name),
            _ => false,
        }
    }
    match v {
        Value::Array(_) if holds_secret_name(v) => "an array".into(),
        Value::Object(_) if holds_secret_name(v) => "an object".into(),
        _ => describe(v),
    }
}

fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!("{parent}.{key}")
    } else {
        let quoted = serde_json::to_string(key).unwrap_or_else(|_| format!("\"{key}\""));
        format!("{parent}[{quoted}]")
    }
}

impl<'a> Node<'a> {
    /// The document root, at path `$`.
    pub fn root(value: &'a Value, ctx: Ctx<'a>) -> Self {
        Node { value, path: "$".into(), line: None, ctx }
    }

    fn child(&self, value: &'a Value, path: String) -> Self {
        Node { value, path, line: self.line, ctx: self.ctx }
    }

    /// A Shape error at this node.
    pub fn shape_error(&self, expected: &str) -> InputError {
        self.ctx.error(InputErrorKind::Shape {
            line: self.line,
            json_path: self.path.clone(),
            expected: expected.to_string(),
            found: describe_at(&self.path, self.value),
        })
    }

    /// This node as an object.
    pub fn object(&self) -> Result<&'a Map<String, Value>, InputError> {
        self.value.as_object().ok_or_else(|| self.shape_error("an object"))
    }

    /// The member `key`, when present and not null; an error if this is not an object.
    pub fn get(&self, key: &str) -> Result<Option<Node<'a>>, InputError> {
        match self.object()?.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => Ok(Some(self.child(v, key_path(&self.path, key)))),
        }
    }

    /// The member `key`; an error naming its path when it is absent or null.
    pub fn req(&self, key: &str) -> Result<Node<'a>, InputError> {
        match self.get(key)? {
            Some(n) => Ok(n),
            None => {
                let found = match self.object()?.get(key) {
                    Some(v) => describe_at(&key_path(&self.path, key), v),
                    None => "nothing (the key is missing)".into(),
                };
                Err(self.ctx.error(InputErrorKind::Shape {
                    line: self.line,
                    json_path: key_path(&self.path, key),
                    expected: format!("a value for `{key}`"),
                    found,
                }))
            }
        }
    }

    /// This node as a string.
    pub fn str(&self) -> Result<&'a str, InputError> {
        self.value.as_str().ok_or_else(|| self.shape_error("a string"))
    }

    /// The string member `key` (required).
    pub fn req_str(&self, key: &str) -> Result<&'a str, InputError> {
        self.req(key)?.str()
    }

    /// The string member `key`, if present and not null.
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, InputError> {
        self.get(key)?.map(|n| n.str()).transpose()
    }

    /// The boolean member `key`, false when absent or null.
    pub fn flag(&self, key: &str) -> Result<bool, InputError> {
        match self.get(key)? {
            None => Ok(false),
            Some(n) => n.value.as_bool().ok_or_else(|| n.shape_error("a boolean")),
        }
    }

    /// The elements of this array.
    pub fn items(&self) -> Result<Vec<Node<'a>>, InputError> {
        let arr = self.value.as_array().ok_or_else(|| self.shape_error("an array"))?;
        let path = &self.path;
        Ok(arr.iter().enumerate().map(|(i, v)| self.child(v, format!("{path}[{i}]"))).collect())
    }

    /// The elements of the array member `key`; empty when absent or null.
    pub fn opt_items(&self, key: &str) -> Result<Vec<Node<'a>>, InputError> {
        match self.get(key)? {
            None => Ok(Vec::new()),
            Some(n) => n.items(),
        }
    }
}

/// A JSON syntax error at `line` (1-based, in the file) and the error's column.
pub(crate) fn syntax_kind(err: &serde_json::Error, line: usize) -> InputErrorKind {
    let text = err.to_string();
    let detail = match text.rsplit_once(" at line ") {
        Some(("recursion limit exceeded", _)) => "nested deeper than 128 levels, the most Palisade reads".to_string(),
        Some((msg, _)) => msg.to_string(),
        None => text,
    };
    InputErrorKind::Json { line, column: err.column(), detail }
}

/// Parses the whole text as one JSON value (when the user named the format).
pub(crate) fn parse_text(ctx: Ctx<'_>, text: &str) -> Result<Value, InputError> {
    if text.trim().is_empty() {
        return Err(ctx.error(InputErrorKind::Empty));
    }
    serde_json::from_str(text).map_err(|e| ctx.error(syntax_kind(&e, e.line())))
}
