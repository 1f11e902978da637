//! Property values: [`Prop`], the unknown marker and the two naming styles.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use palisade_abi::UNKNOWN;

/// One step of a property path: an object key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSegment {
    /// A list index (0-based).
    Index(usize),
    /// An object key.
    Key(String),
}

/// Formats a path as `a.b[0].c` (`value` for the empty path).
pub(crate) fn path_to_string(path: &[PathSegment]) -> String {
    if path.is_empty() {
        return "value".to_owned();
    }
    let mut out = String::new();
    for seg in path {
        match seg {
            PathSegment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathSegment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// A value a policy needs is not known here: known only after apply, not
/// set in the configuration (the provider chooses it at apply), encrypted
/// in the input, or not carried by a live resource ([`Cause`]).
///
/// Returned as the error of the typed readers of [`Prop`]; `?` turns it into
/// [`Finding::Undecided`](crate::Finding::Undecided) in a check function,
/// with a message that gives the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    path: String,
    cause: Cause,
}

/// Why a value is not known (ABI section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// Set by an expression whose value is known only after apply.
    AfterApply,
    /// Not set in the configuration: the provider fills it in at apply
    /// (the Resource's `unset` paths).
    Unset,
    /// Held encrypted by the input: a Pulumi secret as ciphertext (the
    /// Resource's `encrypted` paths).
    Encrypted,
    /// A live (partial) resource, which the inventory carries with its ARN
    /// and tags only.
    Live,
}

impl Unknown {
    /// An unknown value at `path` (as printed in messages, e.g. `ingress[0].cidr_blocks`).
    pub fn new(path: impl Into<String>) -> Self {
        Unknown::because(path, Cause::AfterApply)
    }

    /// An unknown value at `path` of a live (partial) resource, which the
    /// inventory does not carry.
    pub fn live(path: impl Into<String>) -> Self {
        Unknown::because(path, Cause::Live)
    }

    /// A value at `path` that is not known for the reason `cause`.
    pub fn because(path: impl Into<String>, cause: Cause) -> Self {
        Unknown { path: path.into(), cause }
    }

    /// The path of the unknown value, e.g. `root_block_device[0].encrypted`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Why the value is not known.
    pub fn cause(&self) -> Cause {
        self.cause
    }
}

impl fmt::Display for Unknown {
    /// The reason, for an undecided message: e.g. "acl is known only after
    /// apply", "encrypted is not set in the configuration ...".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match self.cause {
            Cause::AfterApply => write!(f, "{path} is known only after apply"),
            Cause::Unset => {
                write!(f, "{path} is not set in the configuration, and the provider chooses its value at apply")
            }
            Cause::Encrypted => write!(
                f,
                "{path} is encrypted in this export (or hidden as [secret] in a preview or event log); run \
                 pulumi stack export --show-secrets (or pulumi preview --show-secrets), or pulumi policy analyze"
            ),
            Cause::Live => {
                write!(f, "{path} is not known for a live resource (the inventory has its ARN and tags only)")
            }
        }
    }
}

impl std::error::Error for Unknown {}

/// What a [`Prop`] holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PropValue<'a> {
    /// The key is not there (or the parent is absent or null).
    Absent,
    /// The value is JSON `null`.
    Null,
    /// The value is known only after apply ([`UNKNOWN`]): set by an
    /// expression unknown at plan time.
    Unknown,
    /// Not set in the configuration: the provider fills it in at apply
    /// (the sentinel at or under one of the resource's `unset` paths).
    /// [`Prop::as_configured`] reads it as [`PropValue::Absent`].
    Unset,
    /// Held encrypted by the input (the sentinel at or under one of the
    /// resource's `encrypted` paths): it has a value, unreadable here.
    Encrypted,
    /// A known JSON value: never `null`, never the unknown marker.
    Known(&'a Value),
}

impl<'a> PropValue<'a> {
    fn classify(value: Option<&'a Value>) -> Self {
        match value {
            None => PropValue::Absent,
            Some(Value::Null) => PropValue::Null,
            Some(Value::String(s)) if s == UNKNOWN => PropValue::Unknown,
            Some(v) => PropValue::Known(v),
        }
    }
}

/// The paths a resource marks (ABI section 4): secret, not set in the
/// configuration, encrypted. Each marks everything beneath it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Marks<'a> {
    pub(crate) secret: &'a [Vec<PathSegment>],
    pub(crate) unset: &'a [Vec<PathSegment>],
    pub(crate) encrypted: &'a [Vec<PathSegment>],
}

impl Marks<'_> {
    /// What the unknown sentinel at `path` stands for.
    fn unknown_at(&self, path: &[PathSegment]) -> PropValue<'static> {
        if self.encrypted.iter().any(|p| path.starts_with(p)) {
            PropValue::Encrypted
        } else if self.unset.iter().any(|p| path.starts_with(p)) {
            PropValue::Unset
        } else {
            PropValue::Unknown
        }
    }
}

/// A property of a resource (or of a config), reached by a path from the root.
///
/// A `Prop` is [absent](Prop::is_absent), [null](Prop::is_null), not known
/// ([unknown](Prop::is_unknown): [unset](Prop::is_unset) in the
/// configuration, [encrypted](Prop::is_encrypted), or known only after
/// apply) or a known JSON value. Navigation never fails: [`get`](Prop::get)
/// on an absent or null value gives an absent one, and on a value not known
/// gives the same value. The typed readers ([`bool`](Prop::bool),
/// [`str`](Prop::str), [`i64`](Prop::i64), [`f64`](Prop::f64),
/// [`strings`](Prop::strings)) return `Err(Unknown)` for a value not known,
/// its [`Cause`] in the message, so that `?` in a check function answers
/// *undecided*. A policy that applies the provider's default for a value the
/// configuration leaves out reads through [`as_configured`](Prop::as_configured).
#[derive(Debug, Clone)]
pub struct Prop<'a> {
    value: PropValue<'a>,
    path: Vec<PathSegment>,
    marks: Marks<'a>,
    /// Read unset values as absent ([`Prop::as_configured`]); inherited.
    configured: bool,
    /// Name absent keys in camelCase in [`path_string`](Self::path_string)
    /// (the resource is a Pulumi one), so messages use the author's names.
    camel: bool,
    /// Keys absent from this object are unknown (the root of a partial resource).
    open: bool,
    /// This value is unknown because its partial resource does not carry it.
    live: bool,
}

impl<'a> Prop<'a> {
    /// A root property over `value` (no secrets), e.g. for tests or configs.
    pub fn from_json(value: &'a Value) -> Self {
        Prop::root(Some(value), &[])
    }

    /// This property, naming absent keys in camelCase when `camel` (Pulumi).
    /// This property, with keys absent from it unknown rather than absent
    /// when `open` (the root of a partial resource).
    pub(crate) fn open(mut self, open: bool) -> Self {
        self.open = open;
        self
    }

    pub(crate) fn camel_case(mut self, camel: bool) -> Self {
        self.camel = camel;
        self
    }

    /// The key an absent property is named by: as asked, or in camelCase.
    fn absent_key(&self, key: &str) -> PathSegment {
        PathSegment::Key(if self.camel { snake_to_camel(key) } else { key.to_owned() })
    }

    pub(crate) fn root(value: Option<&'a Value>, secrets: &'a [Vec<PathSegment>]) -> Self {
        Prop::root_marked(value, Marks { secret: secrets, ..Marks::default() })
    }

    pub(crate) fn root_marked(value: Option<&'a Value>, marks: Marks<'a>) -> Self {
        let root = Prop {
            value: PropValue::Absent,
            path: Vec::new(),
            marks,
            configured: false,
            camel: false,
            open: false,
            live: false,
        };
        Prop { value: root.refine(PropValue::classify(value), &[]), ..root }
    }

    /// `value` at `path`, with the sentinel told apart by the marks, and
    /// unset read as absent when [configured](Prop::as_configured).
    fn refine(&self, value: PropValue<'a>, path: &[PathSegment]) -> PropValue<'a> {
        match value {
            PropValue::Unknown => match self.marks.unknown_at(path) {
                PropValue::Unset if self.configured => PropValue::Absent,
                other => other,
            },
            other => other,
        }
    }

    fn child(&self, value: PropValue<'a>, seg: PathSegment) -> Self {
        let mut path = self.path.clone();
        path.push(seg);
        let value = self.refine(value, &path);
        Prop {
            value,
            path,
            marks: self.marks,
            configured: self.configured,
            camel: self.camel,
            open: false,
            live: self.live,
        }
    }

    /// This property read as the configuration sets it: a value the
    /// configuration leaves out for the provider to fill in
    /// ([`PropValue::Unset`]) reads as absent, here and in every property
    /// reached from it, so the policy applies its rule for an absent value
    /// (the provider's default). Values known only after apply and
    /// encrypted ones are unchanged. Use it where the provider's default is
    /// known: `r.props().as_configured().get("encrypted").bool_or(false)?`.
    pub fn as_configured(&self) -> Prop<'a> {
        let value = match self.value {
            PropValue::Unset => PropValue::Absent,
            other => other,
        };
        Prop { value, configured: true, ..self.clone() }
    }

    /// What this property holds.
    pub fn value(&self) -> PropValue<'a> {
        self.value
    }

    /// The known JSON value, if the property is neither absent, null nor unknown.
    pub fn json(&self) -> Option<&'a Value> {
        match self.value {
            PropValue::Known(v) => Some(v),
            _ => None,
        }
    }

    /// The path of this property from the root, with the keys as found.
    pub fn path(&self) -> &[PathSegment] {
        &self.path
    }

    /// The path as text, e.g. `ingress[0].cidr_blocks` (`value` at the root).
    pub fn path_string(&self) -> String {
        path_to_string(&self.path)
    }

    /// Whether the key is not there (or a parent is absent or null).
    pub fn is_absent(&self) -> bool {
        self.value == PropValue::Absent
    }

    /// Whether the value is JSON `null`.
    pub fn is_null(&self) -> bool {
        self.value == PropValue::Null
    }

    /// Whether the value is not known here: known only after apply,
    /// [unset](Prop::is_unset) in the configuration, or
    /// [encrypted](Prop::is_encrypted). [`value`](Prop::value) tells which.
    pub fn is_unknown(&self) -> bool {
        matches!(self.value, PropValue::Unknown | PropValue::Unset | PropValue::Encrypted)
    }

    /// Whether the configuration does not set the value and the provider
    /// fills it in at apply ([`PropValue::Unset`]).
    pub fn is_unset(&self) -> bool {
        self.value == PropValue::Unset
    }

    /// Whether the input holds the value encrypted ([`PropValue::Encrypted`]).
    pub fn is_encrypted(&self) -> bool {
        self.value == PropValue::Encrypted
    }

    /// Whether the value is known and not null.
    pub fn is_known(&self) -> bool {
        matches!(self.value, PropValue::Known(_))
    }

    /// Whether the value is unknown or contains an unknown value anywhere beneath it.
    pub fn contains_unknown(&self) -> bool {
        fn walk(v: &Value) -> bool {
            match v {
                Value::String(s) => s == UNKNOWN,
                Value::Array(items) => items.iter().any(walk),
                Value::Object(map) => map.values().any(walk),
                _ => false,
            }
        }
        match self.value {
            PropValue::Unknown => true,
            PropValue::Known(v) => walk(v),
            _ => false,
        }
    }

    /// The value of `key` in this object.
    ///
    /// Both naming styles are accepted: `get("cidr_blocks")` finds
    /// `cidr_blocks` or `cidrBlocks`, and `get("cidrBlocks")` finds either too
    /// (an exact match wins). On a list of exactly one element (a Terraform
    /// nested block such as `root_block_device: [{...}]`) the key is looked up
    /// in that element, so the same call works for the Pulumi single-object
    /// form. Unknown propagates (the result is the same unknown value);
    /// absent, null and non-objects give an absent value. At the root of a
    /// partial resource, a key that is not there is unknown.
    pub fn get(&self, key: &str) -> Prop<'a> {
        match self.value {
            PropValue::Unknown | PropValue::Unset | PropValue::Encrypted => self.clone(),
            PropValue::Known(Value::Object(map)) => match lookup(map, key) {
                Some((found, v)) => self.child(PropValue::classify(Some(v)), PathSegment::Key(found.to_owned())),
                None if self.open => Prop { live: true, ..self.child(PropValue::Unknown, self.absent_key(key)) },
                None => self.child(PropValue::Absent, self.absent_key(key)),
            },
            PropValue::Known(Value::Array(items)) if items.len() == 1 => self.at(0).get(key),
            _ => self.child(PropValue::Absent, self.absent_key(key)),
        }
    }

    /// The first of `keys` that is not absent (for properties whose names
    /// differ between providers beyond snake/camel case, e.g.
    /// `&["default_action", "defaultActions"]`); absent if none is there.
    ///
    /// At the root of a partial resource, the first key present wins, and
    /// when none is present the result is unknown.
    pub fn get_any(&self, keys: &[&str]) -> Prop<'a> {
        let closed = Prop { open: false, ..self.clone() };
        let mut first = None;
        for key in keys {
            let p = closed.get(key);
            if !p.is_absent() {
                return p;
            }
            first.get_or_insert(key);
        }
        match first {
            Some(key) => self.get(key),
            None => self.child(PropValue::Absent, PathSegment::Key(String::new())),
        }
    }

    /// The element at `index` of a list. A single object (or scalar) counts
    /// as a list of one element, as in [`items`](Prop::items). Unknown
    /// propagates; anything else gives an absent value.
    pub fn at(&self, index: usize) -> Prop<'a> {
        match self.value {
            PropValue::Unknown | PropValue::Unset | PropValue::Encrypted => self.clone(),
            PropValue::Known(Value::Array(items)) => {
                self.child(PropValue::classify(items.get(index)), PathSegment::Index(index))
            }
            PropValue::Known(_) if index == 0 => self.clone(),
            _ => self.child(PropValue::Absent, PathSegment::Index(index)),
        }
    }

    /// The elements of a list, or a single object (or scalar) as one element;
    /// nothing for absent or null. `Err` when the list itself is unknown
    /// (an element may still be unknown: check it when you read it).
    ///
    /// This reads a repeated nested block alike in its Terraform form
    /// (`root_block_device: [{...}]`) and its Pulumi form (`rootBlockDevice: {...}`).
    pub fn items(&self) -> Result<Items<'a>, Unknown> {
        let inner = match self.value {
            PropValue::Unknown | PropValue::Unset | PropValue::Encrypted => return Err(self.unknown()),
            PropValue::Absent | PropValue::Null => ItemsInner::Empty,
            PropValue::Known(Value::Array(items)) => {
                ItemsInner::List { parent: self.clone(), iter: items.iter().enumerate() }
            }
            PropValue::Known(_) => ItemsInner::One(Some(self.clone())),
        };
        Ok(Items { inner })
    }

    /// The first element of a list, or a single object (or scalar) itself;
    /// absent for an empty list, absent or null. Unknown propagates.
    pub fn first(&self) -> Prop<'a> {
        match self.value {
            PropValue::Absent | PropValue::Null => self.child(PropValue::Absent, PathSegment::Index(0)),
            _ => self.at(0),
        }
    }

    /// The [`Unknown`] error for this property's path, with its [`Cause`].
    pub fn unknown(&self) -> Unknown {
        let cause = match self.value {
            PropValue::Unset => Cause::Unset,
            PropValue::Encrypted => Cause::Encrypted,
            _ if self.live => Cause::Live,
            _ => Cause::AfterApply,
        };
        Unknown::because(self.path_string(), cause)
    }

    fn known(&self) -> Result<Option<&'a Value>, Unknown> {
        match self.value {
            PropValue::Unknown | PropValue::Unset | PropValue::Encrypted => Err(self.unknown()),
            PropValue::Known(v) => Ok(Some(v)),
            PropValue::Absent | PropValue::Null => Ok(None),
        }
    }

    /// A boolean; also the strings `"true"`/`"false"` (any case).
    /// `Ok(None)` when absent, null or of another type.
    pub fn bool(&self) -> Result<Option<bool>, Unknown> {
        Ok(match self.known()? {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        })
    }

    /// [`bool`](Prop::bool), with `default` when absent, null or not a boolean.
    pub fn bool_or(&self, default: bool) -> Result<bool, Unknown> {
        Ok(self.bool()?.unwrap_or(default))
    }

    /// A string. `Ok(None)` when absent, null or not a string.
    pub fn str(&self) -> Result<Option<&'a str>, Unknown> {
        Ok(match self.known()? {
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        })
    }

    /// [`str`](Prop::str), with `default` when absent, null or not a string.
    pub fn str_or(&self, default: &'a str) -> Result<&'a str, Unknown> {
        Ok(self.str()?.unwrap_or(default))
    }

    /// An integer; also an integral float and a numeric string such as a port
    /// given as `"443"`. `Ok(None)` when absent, null or not an integer.
    pub fn i64(&self) -> Result<Option<i64>, Unknown> {
        fn from_f64(f: f64) -> Option<i64> {
            // Only integral values within i64's range.
            (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18).then_some(f as i64)
        }
        Ok(match self.known()? {
            Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().and_then(from_f64)),
            Some(Value::String(s)) => {
                let s = s.trim();
                s.parse::<i64>().ok().or_else(|| s.parse::<f64>().ok().and_then(from_f64))
            }
            _ => None,
        })
    }

    /// A number; also a numeric string. `Ok(None)` when absent, null or not a number.
    pub fn f64(&self) -> Result<Option<f64>, Unknown> {
        Ok(match self.known()? {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            _ => None,
        })
    }

    /// The strings of a list of strings; a single string gives one. Absent,
    /// null and other types give an empty list, and non-string elements are
    /// skipped. `Err` when the list or any element of it is unknown.
    pub fn strings(&self) -> Result<Vec<&'a str>, Unknown> {
        Ok(match self.known()? {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) if s == UNKNOWN => {
                            let element = self.child(PropValue::Unknown, PathSegment::Index(i));
                            if !element.is_absent() {
                                return Err(element.unknown());
                            }
                        }
                        Value::String(s) => out.push(s.as_str()),
                        _ => {}
                    }
                }
                out
            }
            _ => Vec::new(),
        })
    }

    /// Whether this value is secret: a secret path of the resource is this
    /// path or a prefix of it. Never print a secret value.
    pub fn is_secret(&self) -> bool {
        self.marks.secret.iter().any(|s| self.path.starts_with(s))
    }

    /// Whether this value is secret or holds a secret value beneath it.
    pub fn contains_secret(&self) -> bool {
        self.marks.secret.iter().any(|s| self.path.starts_with(s) || s.starts_with(&self.path))
    }

    /// The value for a message: strings quoted, other values as JSON,
    /// `not set` when absent, `null`, `(known after apply)` when unknown,
    /// `not set in the configuration` when unset, `[encrypted]` when
    /// encrypted, and `[secret]` when it is or holds a secret value.
    pub fn display(&self) -> Shown<'_, 'a> {
        Shown(self)
    }
}

/// A [`Prop`] formatted for a message (see [`Prop::display`]); secret values
/// are never shown.
#[derive(Debug)]
pub struct Shown<'p, 'a>(&'p Prop<'a>);

impl fmt::Display for Shown<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prop = self.0;
        match prop.value {
            PropValue::Absent => f.write_str("not set"),
            PropValue::Null => f.write_str("null"),
            PropValue::Unknown => f.write_str("(known after apply)"),
            PropValue::Unset => f.write_str("not set in the configuration"),
            PropValue::Encrypted => f.write_str("[encrypted]"),
            PropValue::Known(_) if prop.contains_secret() => f.write_str("[secret]"),
            PropValue::Known(v) => write!(f, "{v}"),
        }
    }
}

/// The elements of a list property (see [`Prop::items`]).
#[derive(Debug)]
pub struct Items<'a> {
    inner: ItemsInner<'a>,
}

#[derive(Debug)]
enum ItemsInner<'a> {
    Empty,
    One(Option<Prop<'a>>),
    List { parent: Prop<'a>, iter: std::iter::Enumerate<std::slice::Iter<'a, Value>> },
}

impl<'a> Iterator for Items<'a> {
    type Item = Prop<'a>;

    fn next(&mut self) -> Option<Prop<'a>> {
        match &mut self.inner {
            ItemsInner::Empty => None,
            ItemsInner::One(one) => one.take(),
            ItemsInner::List { parent, iter } => {
                let (i, v) = iter.next()?;
                Some(parent.child(PropValue::classify(Some(v)), PathSegment::Index(i)))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            ItemsInner::Empty => (0, Some(0)),
            ItemsInner::One(one) => {
                let n = usize::from(one.is_some());
                (n, Some(n))
            }
            ItemsInner::List { iter, .. } => iter.size_hint(),
        }
    }
}

/// Looks `key` up in `map`: exact match first, then the other naming style.
fn lookup<'m>(map: &'m serde_json::Map<String, Value>, key: &str) -> Option<(&'m str, &'m Value)> {
    if let Some((k, v)) = map.get_key_value(key) {
        return Some((k.as_str(), v));
    }
    let other = if key.contains('_') { snake_to_camel(key) } else { camel_to_snake(key) };
    if other == key {
        return None;
    }
    map.get_key_value(other.as_str()).map(|(k, v)| (k.as_str(), v))
}

/// `cidr_blocks` -> `cidrBlocks`.
pub(crate) fn snake_to_camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for (i, c) in s.chars().enumerate() {
        if c == '_' && i > 0 {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `cidrBlocks` -> `cidr_blocks`.
pub(crate) fn camel_to_snake(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn naming_styles_convert_both_ways() {
        assert_eq!(snake_to_camel("cidr_blocks"), "cidrBlocks");
        assert_eq!(snake_to_camel("ipv6_cidr_blocks"), "ipv6CidrBlocks");
        assert_eq!(camel_to_snake("ipv6CidrBlocks"), "ipv6_cidr_blocks");
        assert_eq!(camel_to_snake("acl"), "acl");
    }

    #[test]
    fn get_accepts_both_naming_styles() {
        let tf = json!({"cidr_blocks": ["10.0.0.0/8"]});
        let pu = json!({"cidrBlocks": ["10.0.0.0/8"]});
        for doc in [&tf, &pu] {
            let root = Prop::from_json(doc);
            for key in ["cidr_blocks", "cidrBlocks"] {
                assert_eq!(root.get(key).strings(), Ok(vec!["10.0.0.0/8"]), "{key} in {doc}");
            }
        }
        // An exact match wins over the converted name.
        let both = json!({"cidr_blocks": "snake", "cidrBlocks": "camel"});
        let root = Prop::from_json(&both);
        assert_eq!(root.get("cidr_blocks").str(), Ok(Some("snake")));
        assert_eq!(root.get("cidrBlocks").str(), Ok(Some("camel")));
        // The path names the key as found.
        assert_eq!(Prop::from_json(&pu).get("cidr_blocks").path_string(), "cidrBlocks");
    }

    #[test]
    fn unknown_null_and_absent_are_distinct() {
        let doc = json!({"u": UNKNOWN, "n": null, "v": false, "o": {"inner": 1}});
        let root = Prop::from_json(&doc);
        let (u, n, a, v) = (root.get("u"), root.get("n"), root.get("a"), root.get("v"));
        assert!(u.is_unknown() && !u.is_null() && !u.is_absent());
        assert!(n.is_null() && !n.is_unknown() && !n.is_absent());
        assert!(a.is_absent() && !a.is_unknown() && !a.is_null());
        assert!(v.is_known());
        assert_eq!(u.bool(), Err(Unknown::new("u")));
        assert_eq!(n.bool(), Ok(None));
        assert_eq!(a.bool(), Ok(None));
        assert_eq!(v.bool(), Ok(Some(false)));
        // Unknown propagates through get, keeping the path where it stands;
        // absent and null give absent.
        assert_eq!(u.get("x").get("y").bool(), Err(Unknown::new("u")));
        assert!(n.get("x").is_absent());
        assert!(a.get("x").get("y").is_absent());
        assert_eq!(root.get("o").get("inner").i64(), Ok(Some(1)));
        assert!(root.contains_unknown());
        assert!(!root.get("o").contains_unknown());
        assert_eq!(u.unknown().to_string(), "u is known only after apply");
    }

    #[test]
    fn unknown_elements_of_lists() {
        let doc = json!({"cidrs": ["10.0.0.0/8", UNKNOWN], "whole": UNKNOWN});
        let root = Prop::from_json(&doc);
        assert_eq!(root.get("cidrs").strings(), Err(Unknown::new("cidrs[1]")));
        assert_eq!(root.get("whole").strings(), Err(Unknown::new("whole")));
        assert!(root.get("whole").items().is_err());
        let items: Vec<_> = root.get("cidrs").items().expect("known list").collect();
        assert_eq!(items.len(), 2);
        assert!(items[1].is_unknown());
        assert_eq!(items[1].path_string(), "cidrs[1]");
    }

    #[test]
    fn items_and_first_read_lists_and_single_objects_alike() {
        let tf = json!({"root_block_device": [{"encrypted": true}]});
        let pu = json!({"rootBlockDevice": {"encrypted": true}});
        for doc in [&tf, &pu] {
            let block = Prop::from_json(doc).get("root_block_device");
            let items: Vec<_> = block.items().expect("known").collect();
            assert_eq!(items.len(), 1, "{doc}");
            assert_eq!(items[0].get("encrypted").bool(), Ok(Some(true)));
            assert_eq!(block.first().get("encrypted").bool(), Ok(Some(true)));
            // get on a one-element list looks inside the element.
            assert_eq!(block.get("encrypted").bool(), Ok(Some(true)));
        }
        let many = json!({"ingress": [{"p": 1}, {"p": 2}], "none": [], "nul": null});
        let root = Prop::from_json(&many);
        let ports: Vec<_> = root.get("ingress").items().expect("known").map(|i| i.get("p").i64()).collect();
        assert_eq!(ports, vec![Ok(Some(1)), Ok(Some(2))]);
        assert_eq!(
            root.get("ingress").items().expect("known").nth(1).map(|p| p.path_string()),
            Some("ingress[1]".to_owned())
        );
        assert!(root.get("ingress").get("p").is_absent(), "get on a longer list is absent");
        assert_eq!(root.get("none").items().expect("known").count(), 0);
        assert_eq!(root.get("nul").items().expect("known").count(), 0);
        assert_eq!(root.get("missing").items().expect("known").count(), 0);
        assert!(root.get("none").first().is_absent());
    }

    #[test]
    fn typed_readers_accept_stringified_values() {
        let doc = json!({"b": "TRUE", "p": "443", "f": "1.5", "n": 8080.0, "s": "one", "bad": "x"});
        let root = Prop::from_json(&doc);
        assert_eq!(root.get("b").bool(), Ok(Some(true)));
        assert_eq!(root.get("p").i64(), Ok(Some(443)));
        assert_eq!(root.get("n").i64(), Ok(Some(8080)));
        assert_eq!(root.get("f").f64(), Ok(Some(1.5)));
        assert_eq!(root.get("f").i64(), Ok(None));
        assert_eq!(root.get("s").strings(), Ok(vec!["one"]));
        assert_eq!(root.get("bad").bool(), Ok(None));
        assert_eq!(root.get("bad").bool_or(false), Ok(false));
        assert_eq!(root.get("missing").str_or("MUTABLE"), Ok("MUTABLE"));
    }

    #[test]
    fn secrets_are_never_displayed() {
        let doc = json!({"password": "hunter2", "nested": {"token": "t"}, "acl": "private"});
        let secrets = vec![
            vec![PathSegment::Key("password".into())],
            vec![PathSegment::Key("nested".into()), PathSegment::Key("token".into())],
        ];
        let root = Prop::root(Some(&doc), &secrets);
        assert!(root.get("password").is_secret());
        assert_eq!(root.get("password").display().to_string(), "[secret]");
        assert!(!root.get("nested").is_secret());
        assert_eq!(root.get("nested").display().to_string(), "[secret]");
        assert_eq!(root.get("acl").display().to_string(), "\"private\"");
        assert_eq!(root.get("gone").display().to_string(), "not set");
    }
}
