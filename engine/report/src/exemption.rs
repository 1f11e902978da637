//! Exemptions: accepted violations, each with a reason and an optional
//! expiry, in a file reviewed like code.
//!
//! Format (YAML, or JSON):
//!
//! ```yaml
//! exemptions:
//!   - policy: aws-s3-bucket-disallow-public-read   # a policy name, or "*"
//!     resource: "module.website.aws_s3_bucket.*"   # address, URN or ARN; glob
//!     reason: The public website bucket serves static files (SEC-123).
//!     expires: 2027-03-31                          # optional; last day it applies (UTC)
//!     input: plans/prod*.json                      # optional; only violations of these inputs
//! ```
//!
//! `resource` is matched against a violation's resource (Terraform address,
//! Pulumi URN, or ARN for inventory) as a glob in which only `*` (any
//! characters, `.`, `/`, `:` and brackets included) and `?` (one character)
//! are special: `[`, `]`, `{`, `}` and `\` are literal, so
//! `module.apps["*"].aws_db_instance.main` matches every instance of the
//! module and `aws_instance.web[0]` matches itself. An exemption applies
//! through its `expires` day, in UTC; after that it exempts nothing and the
//! report says that it expired and what it would have exempted. An
//! exemption that matched no violation is reported
//! as unused. `input`, when given, is matched the same way against the
//! violation's input file, so one file can hold exemptions for several
//! stacks checked together: against its path relative to the repository
//! root ([`crate::input_path`]: `plans/prod.json` whether the command line
//! said `./plans/prod.json`, `../repo/plans/prod.json` or an absolute
//! path), its absolute path, and the path as given (less `./`), so files
//! written for earlier versions keep working. A leading `./` in the pattern
//! is ignored.

use std::path::Path;

use globset::GlobMatcher;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::input_path::{InputName, InputPaths};

/// A parsed exemptions file.
#[derive(Debug, Clone)]
pub struct Exemptions {
    /// Where it was read from (as given).
    pub path: String,
    /// The entries, in file order.
    pub entries: Vec<Exemption>,
}

/// One exemption.
#[derive(Debug, Clone)]
pub struct Exemption {
    /// Its number in the file, from 1.
    pub number: usize,
    /// A policy name, or `*` for every policy.
    pub policy: String,
    /// The resource pattern as written.
    pub resource: String,
    /// Why the violation is accepted.
    pub reason: String,
    /// The last day it applies (UTC), if any.
    pub expires: Option<Date>,
    /// The input files it applies to, as written (a pattern); `None`: all.
    pub input: Option<String>,
    input_matcher: Option<GlobMatcher>,
    /// The pattern as a glob (only `*` and `?` special).
    matcher: GlobMatcher,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    exemptions: Vec<EntryDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDoc {
    policy: String,
    resource: String,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    input: Option<String>,
}

/// An exemptions file that cannot be used; names the file and the entry.
#[derive(Debug, thiserror::Error)]
#[error("exemptions {path}: {message}")]
pub struct ExemptionError {
    /// The file.
    pub path: String,
    /// What is wrong, with the entry number (and line and column for syntax errors).
    pub message: String,
}

/// What an exemption is, in reports: its file and number, policy, pattern,
/// reason and expiry (`YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExemptionRef {
    /// The exemptions file.
    pub file: String,
    /// Entry number in that file, from 1.
    pub number: usize,
    /// Policy name or `*`.
    pub policy: String,
    /// Resource pattern.
    pub resource: String,
    /// Reason given.
    pub reason: String,
    /// Last day it applies, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The input files it applies to (a pattern), if limited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
}

impl Exemptions {
    /// Read an exemptions file.
    ///
    /// Errors: unreadable file, YAML/JSON syntax (with line and column),
    /// unknown keys, an empty policy, resource or reason, a date that is not
    /// `YYYY-MM-DD`.
    pub fn read(path: &Path) -> Result<Exemptions, ExemptionError> {
        let shown = path.display().to_string();
        let bytes = palisade_model::limits::read_capped(path, palisade_model::limits::MAX_SETTINGS_BYTES)
            .map_err(|e| ExemptionError { path: shown.clone(), message: format!("cannot read the file: {e}") })?;
        let text = String::from_utf8(bytes).map_err(|_| ExemptionError {
            path: shown.clone(),
            message: "cannot read the file: it is not UTF-8".into(),
        })?;
        Exemptions::parse(&shown, &text)
    }

    /// Parse an exemptions document; `path` names it in errors.
    pub fn parse(path: &str, text: &str) -> Result<Exemptions, ExemptionError> {
        let err = |message: String| ExemptionError { path: path.to_string(), message };
        let doc: Doc = serde_yaml_ng::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut entries = Vec::with_capacity(doc.exemptions.len());
        for (i, e) in doc.exemptions.into_iter().enumerate() {
            let number = i + 1;
            let at = |what: String| err(format!("exemption {number} (policy {:?}): {what}", e.policy));
            for (key, value) in [("policy", &e.policy), ("resource", &e.resource), ("reason", &e.reason)] {
                if value.trim().is_empty() {
                    return Err(at(format!("`{key}` is empty")));
                }
            }
            let expires = match &e.expires {
                None => None,
                Some(s) if !is_iso_date(s) => {
                    return Err(at(format!(
                        "`expires` {s:?} is not a date (YYYY-MM-DD): write the last day it applies, in UTC"
                    )));
                }
                Some(s) => Some(s.parse::<Date>().map_err(|_| {
                    at(format!("`expires` {s:?} is not a date (YYYY-MM-DD): write the last day it applies, in UTC"))
                })?),
            };
            let input_matcher = match &e.input {
                None => None,
                Some(i) if i.trim().is_empty() => return Err(at("`input` is empty".into())),
                Some(i) => Some(glob(input_pattern(i)).map_err(|x| at(format!("`input` cannot be matched: {x}")))?),
            };
            entries.push(Exemption {
                number,
                matcher: glob(&e.resource).map_err(|x| at(format!("`resource` cannot be matched: {x}")))?,
                policy: e.policy,
                resource: e.resource,
                reason: e.reason,
                expires,
                input: e.input,
                input_matcher,
            });
        }
        Ok(Exemptions { path: path.to_string(), entries })
    }
}

impl Exemption {
    /// Whether it covers `policy` on `resource` in input `file` (as given
    /// on the command line; expiry aside). To test many violations, name
    /// their inputs once and use [`Exemption::covers_named`].
    pub fn covers(&self, policy: &str, resource: &str, file: &str) -> bool {
        self.covers_named(policy, resource, &InputPaths::current().name(file))
    }

    /// [`Exemption::covers`] for an input already named: `input:` matches
    /// its path relative to the repository root, its absolute path, or the
    /// path as given (less `./`).
    pub fn covers_named(&self, policy: &str, resource: &str, input: &InputName) -> bool {
        (self.policy == "*" || self.policy == policy) && self.matcher.is_match(resource) && self.applies_to_input(input)
    }

    /// Whether it may apply to violations of `input` (it names no input,
    /// or its `input:` glob matches one of the input's names).
    pub fn applies_to_input(&self, input: &InputName) -> bool {
        self.input_matcher
            .as_ref()
            .is_none_or(|m| m.is_match(&input.key) || m.is_match(&input.absolute) || m.is_match(&input.given))
    }

    /// Whether it has expired on `today` (UTC): `expires` is before today.
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|d| d < today)
    }

    /// How reports name it.
    pub fn reference(&self, file: &str) -> ExemptionRef {
        ExemptionRef {
            file: file.to_string(),
            number: self.number,
            policy: self.policy.clone(),
            resource: self.resource.clone(),
            reason: self.reason.clone(),
            expires: self.expires.map(|d| d.to_string()),
            input: self.input.clone(),
        }
    }
}

/// `pattern` as a glob in which only `*` and `?` are special.
fn glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    let mut escaped = String::with_capacity(pattern.len() + 8);
    for c in pattern.chars() {
        if matches!(c, '[' | ']' | '{' | '}' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    Ok(globset::GlobBuilder::new(&escaped).literal_separator(false).backslash_escape(true).build()?.compile_matcher())
}

/// An `input:` pattern less any leading `./`, as input keys are written.
fn input_pattern(pattern: &str) -> &str {
    let mut p = pattern;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest.trim_start_matches('/');
    }
    p
}

/// Whether `s` has the shape `YYYY-MM-DD` (jiff also reads `YYYYMMDD`,
/// which YAML would give for an unquoted number).
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

pub use crate::input_path::input_key;

/// Today's date in UTC, for expiry.
pub fn today_utc() -> Date {
    jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(policy: &str, resource: &str) -> Exemption {
        let text = format!("exemptions:\n  - {{policy: {policy:?}, resource: {resource:?}, reason: r}}\n");
        Exemptions::parse("e.yaml", &text).expect("valid").entries.remove(0)
    }

    #[test]
    fn exact_then_glob() {
        assert!(one("p", "aws_instance.web[0]").covers("p", "aws_instance.web[0]", "plan.json"));
        assert!(!one("p", "aws_instance.web[0]").covers("p", "aws_instance.web[1]", "plan.json"));
        assert!(one("p", "module.a.*").covers("p", "module.a.aws_s3_bucket.b[\"x/y\"]", "plan.json"));
        assert!(one("*", "arn:aws:s3:::logs-*").covers("q", "arn:aws:s3:::logs-2024", "plan.json"));
        assert!(!one("p", "module.a.*").covers("q", "module.a.x", "plan.json"));
        assert!(one("p", "module.apps[\"*\"].aws_db_instance.main").covers(
            "p",
            "module.apps[\"web\"].aws_db_instance.main",
            "plan.json"
        ));
        assert!(!one("p", "module.apps[\"*\"].aws_db_instance.main").covers(
            "p",
            "module.apps.aws_db_instance.main",
            "plan.json"
        ));
        assert!(one("p", "aws_iam_role.r[\"a{b}\\\\c\"]").covers("p", "aws_iam_role.r[\"a{b}\\\\c\"]", "plan.json"));
        assert!(one("p", "urn:pulumi:dev::proj::*::bucket").covers(
            "p",
            "urn:pulumi:dev::proj::aws:s3/bucket:Bucket::bucket",
            "plan.json"
        ));
    }

    #[test]
    fn input_limits_an_exemption() {
        let e = Exemptions::parse(
            "e.yaml",
            "exemptions:\n  - {policy: p, resource: r, reason: x, input: 'plans/staging*'}\n",
        )
        .expect("valid")
        .entries
        .remove(0);
        assert!(e.covers("p", "r", "plans/staging.tfplan.json"));
        assert!(!e.covers("p", "r", "plans/prod.tfplan.json"));
        assert!(e.covers("p", "r", "./plans/staging.tfplan.json"));
        assert_eq!(e.reference("e.yaml").input.as_deref(), Some("plans/staging*"));
    }

    #[test]
    fn expiry_is_inclusive() {
        let e =
            Exemptions::parse("e.yaml", "exemptions:\n  - {policy: p, resource: r, reason: x, expires: 2026-03-31}\n")
                .expect("valid")
                .entries
                .remove(0);
        assert!(!e.expired(jiff::civil::date(2026, 3, 31)));
        assert!(e.expired(jiff::civil::date(2026, 4, 1)));
    }

    #[test]
    fn errors_name_the_entry() {
        let e = Exemptions::parse("e.yaml", "exemptions:\n  - {policy: p, resource: r, reason: ''}\n")
            .expect_err("empty reason")
            .to_string();
        assert!(e.contains("e.yaml") && e.contains("exemption 1") && e.contains("`reason` is empty"), "{e}");
        let e = Exemptions::parse("e.yaml", "exemptions:\n  - {policy: p, resource: r, reason: x, expires: soon}\n")
            .expect_err("bad date")
            .to_string();
        assert!(e.contains("YYYY-MM-DD"), "{e}");
        let e =
            Exemptions::parse("e.yaml", "exemptions:\n  - {policy: p, resource: r, reason: x, expires: 20270630}\n")
                .expect_err("a number")
                .to_string();
        assert!(e.contains("YYYY-MM-DD"), "{e}");
        let e = Exemptions::parse("e.yaml", "exemptions:\n  - {policy: p, resource: r, reasn: x}\n")
            .expect_err("typo")
            .to_string();
        assert!(e.contains("reasn") && e.contains("line 2"), "{e}");
    }
}
