//! Secret redaction: no secret value reaches any output.
//!
//! Policies see secret values (they may need to judge them); every message
//! that leaves a guest is scrubbed of secret values before it is reported:
//!
//! - a message from a batch loses the secret values of 4 characters or more
//!   of every resource of that batch (the guest saw them all; see
//!   [`SecretSet::scope`]), where they stand as a whole token (not inside a
//!   longer word or number: a secret `8080` is redacted in `port 8080` but
//!   not in `18080`);
//! - every message loses every secret value of 8 characters or more of the
//!   whole stack, wherever it stands;
//! - shorter values are not searched for: they cannot be found without
//!   wrecking unrelated text (the SDK never prints secret values itself);
//! - each value is also searched for as guests commonly print it: escaped
//!   as in JSON (`\"`, `\\`, `\n`) and as in Python's `repr` (`\'`,
//!   `\\`, `\n`), and, for a value of several lines, line by line (lines
//!   of 8 characters or more), so a multi-line key cut into lines or shown
//!   escaped is still found.
//!
//! Replacement is one pass over the original text, so `[secret]` is never
//! redacted again.

use aho_corasick::AhoCorasick;
use serde_json::Value;

use crate::model::{Path, PathSegment, Resource, UNKNOWN};

/// What replaces a secret value in output.
pub const REDACTED: &str = "[secret]";

/// Secret values shorter than this are not searched for.
pub const MIN_SECRET_CHARS: usize = 4;

/// Secret values at least this long are redacted anywhere, in any message.
const STACK_WIDE_CHARS: usize = 8;

/// The secret values of a stack, ready to scrub messages.
#[derive(Debug, Clone, Default)]
pub struct SecretSet {
    /// Each resource's values (with their printed forms), for [`SecretSet::scope`].
    values: Vec<Vec<String>>,
    stack_wide: Option<Matcher>,
}

/// The secret values of a slice of a stack (a batch), in one matcher: a guest
/// sees every resource of its batch, so a message about one resource may
/// carry another's secret.
#[derive(Debug, Clone, Default)]
pub struct SecretScope {
    matcher: Option<Matcher>,
}

#[derive(Debug, Clone)]
struct Matcher {
    automaton: AhoCorasick,
    /// Per pattern: whether a match must stand as a whole token.
    whole_token: Vec<bool>,
}

impl Matcher {
    fn new(values: Vec<String>) -> Option<Matcher> {
        if values.is_empty() {
            return None;
        }
        let whole_token = values.iter().map(|v| v.chars().count() < STACK_WIDE_CHARS).collect();
        AhoCorasick::new(&values).ok().map(|automaton| Matcher { automaton, whole_token })
    }

    /// Byte spans of acceptable matches in `text`.
    fn spans(&self, text: &str, out: &mut Vec<(usize, usize)>) {
        for m in self.automaton.find_overlapping_iter(text) {
            let (start, end) = (m.start(), m.end());
            let alnum = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
            let standalone = !alnum(text[..start].chars().next_back()) && !alnum(text[end..].chars().next());
            if standalone || !self.whole_token[m.pattern().as_usize()] {
                out.push((start, end));
            }
        }
    }
}

impl SecretSet {
    /// Collect every string and number leaf under a secret path of each
    /// resource (in `props` and `before`), indexed like `resources`.
    pub fn of(resources: &[Resource]) -> Self {
        let mut wide = Vec::new();
        let values: Vec<Vec<String>> = resources
            .iter()
            .map(|r| {
                let mut values = Vec::new();
                for path in &r.secret {
                    for root in std::iter::once(&r.props).chain(r.before.as_ref()) {
                        if let Some(v) = lookup(root, path) {
                            collect_leaves(v, &mut values);
                        }
                    }
                }
                values.retain(|v| v.chars().count() >= MIN_SECRET_CHARS && v != UNKNOWN && v != REDACTED);
                let forms: Vec<String> = values.iter().flat_map(|v| printed_forms(v)).collect();
                values.extend(forms);
                values.sort();
                values.dedup();
                wide.extend(values.iter().filter(|v| v.chars().count() >= STACK_WIDE_CHARS).cloned());
                values
            })
            .collect();
        wide.sort();
        wide.dedup();
        SecretSet { values, stack_wide: Matcher::new(wide) }
    }

    /// One matcher for the secrets of the resources in `range` (indexes into
    /// the stack), for [`SecretSet::redact_scope`].
    pub fn scope(&self, range: std::ops::Range<usize>) -> SecretScope {
        self.scope_of(range)
    }

    /// One matcher for the secrets of the resources at `indexes`.
    fn scope_of(&self, indexes: impl IntoIterator<Item = usize>) -> SecretScope {
        let mut all: Vec<String> = indexes.into_iter().filter_map(|i| self.values.get(i)).flatten().cloned().collect();
        all.sort();
        all.dedup();
        SecretScope { matcher: Matcher::new(all) }
    }

    /// `text` with the secret values of `scope` and the long values of the
    /// whole stack replaced by [`REDACTED`].
    pub fn redact_scope(&self, text: &str, scope: &SecretScope) -> String {
        let mut spans = Vec::new();
        if let Some(m) = &scope.matcher {
            m.spans(text, &mut spans);
        }
        self.replace(text, spans)
    }

    /// `text` with secret values replaced by [`REDACTED`]: the values of the
    /// resources at `resources` (indexes into the stack), and the long values
    /// of the whole stack.
    pub fn redact(&self, text: &str, resources: &[usize]) -> String {
        self.redact_scope(text, &self.scope_of(resources.iter().copied()))
    }

    /// Add the stack-wide spans to `spans`, then replace them all in `text`
    /// in one pass (never inside a placeholder already there).
    fn replace(&self, text: &str, mut spans: Vec<(usize, usize)>) -> String {
        if let Some(m) = &self.stack_wide {
            m.spans(text, &mut spans);
        }
        // Text already redacted (e.g. by the SDK) is not redacted again.
        let placeholders: Vec<(usize, usize)> =
            text.match_indices(REDACTED).map(|(i, _)| (i, i + REDACTED.len())).collect();
        spans.retain(|&(s, e)| !placeholders.iter().any(|&(ps, pe)| s < pe && ps < e));
        if spans.is_empty() {
            return text.to_string();
        }
        // Earliest first, longest first at one start; skip spans inside a taken one.
        spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for (start, end) in spans {
            if start < pos {
                if end > pos {
                    pos = end;
                }
                continue;
            }
            out.push_str(&text[pos..start]);
            out.push_str(REDACTED);
            pos = end;
        }
        out.push_str(&text[pos..]);
        out
    }
}

/// Words that make an attribute name conventionally secret, whatever the
/// sensitivity markers say (a provider may not mark it, or the plan's
/// `after_sensitive` may be empty), also inside a longer word
/// (`dbpassword`, `clientsecret`): `password`, `db_password`,
/// `masterPassword`, `DBPassword`, `client_secret`, `secret_string`,
/// `auth_token`, `APIToken`, `passphrase`.
const SECRET_WORDS: &[&str] = &["password", "passwd", "passphrase", "secret", "token"];

/// Two-word names that are secret (`private_key_pem`, `privateKey`,
/// `api_key`, `apiKey`), also written as one word (`privatekey`, `apikey`).
const SECRET_PAIRS: &[(&str, &str)] = &[("private", "key"), ("api", "key")];

/// Last words that make such a name describe a secret rather than hold one:
/// `secret_arn`, `password_length`, `access_token_validity`, `token_ttl`.
const NOT_A_SECRET_VALUE: &[&str] = &[
    "arn",
    "arns",
    "id",
    "ids",
    "name",
    "names",
    "length",
    "version",
    "versions",
    "enabled",
    "type",
    "validity",
    "units",
    "ttl",
    "duration",
    "count",
    "policy",
    "rotation",
    "reset",
    "required",
    "expiration",
];

/// Whole names (as words) that hold a secret word but no secret: the
/// instance metadata service's setting `http_tokens` (`httpTokens`,
/// `HttpTokens`: `required` or `optional`).
const NOT_SECRET_NAMES: &[&[&str]] = &[&["http", "tokens"]];

/// Whether an attribute (or tag) name is conventionally secret: one of its
/// words holds `password`, `passwd`, `passphrase`, `secret` or `token`, or
/// it has the words `private key` or `api key` (or `privatekey`, `apikey`),
/// and its last word is not one that describes the secret (`arn`, `id`,
/// `length`, `validity`, ...). Words are split at `_`, `-`, `.`, spaces,
/// lower-to-upper case changes and the end of an acronym (`DBPassword`:
/// `db`, `password`), so snake_case (Terraform), camelCase (Pulumi),
/// PascalCase (CloudFormation) and kebab-case names all match.
pub fn is_conventionally_secret(name: &str) -> bool {
    // Most names hold none of these: no allocation for them.
    let bytes = name.as_bytes();
    let holds = |w: &str| bytes.windows(w.len()).any(|b| b.eq_ignore_ascii_case(w.as_bytes()));
    if !["pass", "secret", "token", "key"].into_iter().any(holds) {
        return false;
    }
    let words = words(name);
    let Some(last) = words.last() else { return false };
    if NOT_A_SECRET_VALUE.contains(&last.as_str()) || NOT_SECRET_NAMES.iter().any(|n| words.iter().eq(n.iter())) {
        return false;
    }
    words.iter().any(|w| SECRET_WORDS.iter().any(|s| w.contains(s)))
        || words.windows(2).any(|p| SECRET_PAIRS.contains(&(p[0].as_str(), p[1].as_str())))
        || words.iter().any(|w| {
            SECRET_PAIRS.iter().any(|(a, b)| w.len() == a.len() + b.len() && w.starts_with(a) && w.ends_with(b))
        })
}

/// `name` cut into lower-case words (see [`is_conventionally_secret`]);
/// also how [`crate::split::snake_case`] turns Pulumi's names into Terraform's.
pub(crate) fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
            continue;
        }
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let after_lower = prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit());
        let acronym_end = prev.is_some_and(char::is_uppercase) && next.is_some_and(char::is_lowercase);
        if c.is_uppercase() && (after_lower || acronym_end) && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.extend(c.to_lowercase());
    }
    words.extend((!word.is_empty()).then_some(word));
    words
}

/// Marks secret, in `resource.secret`, every value (in `props` and
/// `before`) held under a conventionally secret name
/// ([`is_conventionally_secret`]), at any depth, besides what the input's
/// own markers say. Null values are not marked; paths already secret (or
/// beneath a secret path) are not added twice.
pub fn mark_conventional_secrets(resource: &mut Resource) {
    let mut found = Vec::new();
    let mut path = Vec::new();
    walk_names(&resource.props, &mut path, &mut found);
    if let Some(before) = &resource.before {
        walk_names(before, &mut path, &mut found);
    }
    for p in found {
        if !resource.secret.iter().any(|s| p.starts_with(s)) {
            resource.secret.push(p);
        }
    }
}

/// A step of a path being walked, borrowed (owned only for a match).
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn walk_names<'a>(value: &'a Value, path: &mut Vec<Step<'a>>, out: &mut Vec<Path>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(Step::Key(k));
                if !v.is_null() && is_conventionally_secret(k) {
                    let owned: Path = path
                        .iter()
                        .map(|s| match s {
                            Step::Key(k) => PathSegment::Key((*k).to_string()),
                            Step::Index(i) => PathSegment::Index(*i),
                        })
                        .collect();
                    if !out.contains(&owned) {
                        out.push(owned);
                    }
                } else {
                    walk_names(v, path, out);
                }
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Step::Index(i));
                walk_names(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The other forms in which a guest may print `value`: JSON-escaped,
/// `repr`-escaped, and its lines of [`STACK_WIDE_CHARS`] or more.
fn printed_forms(value: &str) -> Vec<String> {
    let mut forms = Vec::new();
    if let Ok(json) = serde_json::to_string(value)
        && let Some(inner) = json.strip_prefix('"').and_then(|j| j.strip_suffix('"'))
    {
        forms.push(inner.to_string());
    }
    let mut repr = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => repr.push_str("\\\\"),
            '\'' => repr.push_str("\\'"),
            '\n' => repr.push_str("\\n"),
            '\r' => repr.push_str("\\r"),
            '\t' => repr.push_str("\\t"),
            c => repr.push(c),
        }
    }
    if !value.is_ascii() {
        // JSON with non-ASCII escaped (Python's json.dumps default, JS's JSON
        // of lone surrogates aside) and Python's ascii().
        let ascii_json: String = forms.first().map_or("", String::as_str).chars().map(json_ascii).collect();
        let ascii_repr: String = repr.chars().map(python_ascii).collect();
        forms.push(ascii_json);
        forms.push(ascii_repr);
    }
    forms.push(repr);
    if value.contains('\n') {
        forms
            .extend(value.lines().map(str::trim).filter(|l| l.chars().count() >= STACK_WIDE_CHARS).map(str::to_string));
    }
    forms.retain(|f| f != value && f.chars().count() >= MIN_SECRET_CHARS);
    forms
}

/// `c` as JSON writes it with only ASCII: `\\uXXXX`, surrogate pairs above U+FFFF.
fn json_ascii(c: char) -> String {
    if c.is_ascii() {
        return c.to_string();
    }
    let mut units = [0u16; 2];
    c.encode_utf16(&mut units).iter().map(|u| format!("\\u{u:04x}")).collect()
}

/// `c` as Python's `ascii()` writes it: `\\xXX`, `\\uXXXX` or `\\UXXXXXXXX`.
fn python_ascii(c: char) -> String {
    match u32::from(c) {
        n if n < 0x80 => c.to_string(),
        n if n < 0x100 => format!("\\x{n:02x}"),
        n if n < 0x10000 => format!("\\u{n:04x}"),
        n => format!("\\U{n:08x}"),
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

    fn resource(props: serde_json::Value, secret: Vec<Path>) -> Resource {
        Resource {
            address: "a".into(),
            resource_type: "t".into(),
            name: "a".into(),
            provider: String::new(),
            kind: ResourceKind::Managed,
            op: Operation::Update,
            props,
            before: Some(json!({"password": "oldpw12"})),
            secret,
            unset: Vec::new(),
            encrypted: Vec::new(),
            source: "s".into(),
            partial: false,
        }
    }

    fn key(k: &str) -> PathSegment {
        PathSegment::Key(k.into())
    }

    #[test]
    fn secret_values_are_redacted_in_messages_about_their_resource() {
        let r = resource(
            json!({"password": "hunter2-long", "nested": {"keys": ["k1-secret", 4242]}, "plain": "hunter2"}),
            vec![vec![key("password")], vec![key("nested"), key("keys")]],
        );
        let set = SecretSet::of(&[r]);
        let text = "pw hunter2-long was oldpw12, keys k1-secret and 4242; plain hunter2; port 14242";
        assert_eq!(
            set.redact(text, &[0]),
            "pw [secret] was [secret], keys [secret] and [secret]; plain hunter2; port 14242"
        );
        // Other resources' messages lose only the long values.
        assert_eq!(set.redact(text, &[]), "pw [secret] was oldpw12, keys [secret] and 4242; plain hunter2; port 14242");
        assert_eq!(SecretSet::default().redact(text, &[0]), text);
    }

    #[test]
    fn short_values_and_the_placeholder_are_left_alone() {
        let r =
            resource(json!({"a": "e", "b": 0, "c": "secret"}), vec![vec![key("a")], vec![key("b")], vec![key("c")]]);
        let set = SecretSet::of(&[r]);
        assert_eq!(set.redact("allows 0.0.0.0/0; secret here", &[0]), "allows 0.0.0.0/0; [secret] here");
        assert_eq!(set.redact("value [secret]", &[0]), "value [secret]");
    }

    #[test]
    fn conventionally_secret_names_in_every_case_style() {
        for name in [
            "password",
            "db_password",
            "masterPassword",
            "master-password",
            "client_secret",
            "secret_string",
            "SecretString",
            "auth_token",
            "private_key_pem",
            "privateKey",
            "ssh_passphrase",
            "TOKEN",
            "DBPassword",
            "APIToken",
            "DBPASSWORD",
            "dbpassword",
            "clientsecret",
            "api_key",
            "apiKey",
            "privatekey",
        ] {
            assert!(is_conventionally_secret(name), "{name} is secret");
        }
        for name in [
            "secret_arn",
            "kms_key_id",
            "password_length",
            "minimumPasswordLength",
            "access_token_validity",
            "token_ttl",
            "private_ip",
            "key_name",
            "passenger",
            "tokens_enabled",
            "DBPasswordLength",
            "kms_key_id",
            "key_pair",
            "monkey",
            "http_tokens",
            "httpTokens",
            "HttpTokens",
            "",
        ] {
            assert!(!is_conventionally_secret(name), "{name} is not secret");
        }
    }

    #[test]
    fn conventional_names_are_marked_at_any_depth_beside_the_markers() {
        let mut r = resource(
            json!({"password": "hunter22", "db": [{"auth_token": "t0ken-value"}], "secret_arn": "arn:x", "token": null}),
            vec![vec![key("password")]],
        );
        mark_conventional_secrets(&mut r);
        assert_eq!(r.secret, vec![vec![key("password")], vec![key("db"), PathSegment::Index(0), key("auth_token")]],);
    }

    #[test]
    fn escaped_and_line_by_line_forms_are_redacted() {
        let key_pem = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQ\nLxoS2tFczGk0aB1c2d3e4f5\n-----END KEY-----";
        let r = resource(
            json!({"password": "p@ss'w\\ord\"2024", "pem": key_pem}),
            vec![vec![key("password")], vec![key("pem")]],
        );
        let set = SecretSet::of(&[r]);
        // Python's repr, JSON, and a key printed a line at a time.
        assert_eq!(set.redact(r#"ValueError: 'p@ss\'w\\ord"2024' is bad"#, &[]), "ValueError: '[secret]' is bad");
        assert_eq!(set.redact(r#"{"pw": "p@ss'w\\ord\"2024"}"#, &[]), r#"{"pw": "[secret]"}"#);
        assert_eq!(
            set.redact("stderr: MIIEvQIBADANBgkqhkiG9w0BAQ | LxoS2tFczGk0aB1c2d3e4f5 | done", &[]),
            "stderr: [secret] | [secret] | done"
        );
        let escaped = serde_json::to_string(key_pem).unwrap_or_default();
        assert_eq!(set.redact(&format!("key {escaped}"), &[]), "key \"[secret]\"");
    }

    #[test]
    fn non_ascii_secrets_are_redacted_in_ascii_escaped_forms_too() {
        let r = resource(json!({"pw": "pässwörd-geheim😀"}), vec![vec![key("pw")]]);
        let set = SecretSet::of(&[r]);
        // Python's json.dumps (ensure_ascii) and ascii().
        assert_eq!(set.redact(r#"dumps "p\u00e4ssw\u00f6rd-geheim\ud83d\ude00""#, &[]), r#"dumps "[secret]""#);
        assert_eq!(set.redact(r"ascii 'p\xe4ssw\xf6rd-geheim\U0001f600'", &[]), "ascii '[secret]'");
    }

    #[test]
    fn a_scope_redacts_every_secret_of_its_batch() {
        let a = resource(json!({"pw": "abcd"}), vec![vec![key("pw")]]);
        let b = resource(json!({"pw": "wxyz"}), vec![vec![key("pw")]]);
        let set = SecretSet::of(&[a, b]);
        // A message about `a` carrying `b`'s short secret: only a batch scope catches it.
        assert_eq!(set.redact("a says wxyz", &[0]), "a says wxyz");
        assert_eq!(set.redact_scope("a says wxyz and abcd", &set.scope(0..2)), "a says [secret] and [secret]");
        assert_eq!(set.redact_scope("a says wxyz", &set.scope(0..1)), "a says wxyz");
    }
}
