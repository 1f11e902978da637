//! Ignore rules: the `.palisadeignore` file, Palisade's `.driftignore`.
//!
//! One rule per line; blank lines and lines starting with `#` are skipped,
//! and each line is trimmed. A UTF-8 byte order mark at the start of the
//! file (some Windows editors write one) is skipped. Three kinds of rule:
//!
//! | rule | matches a resource when |
//! | --- | --- |
//! | `arn:<glob>` | its ARN matches the glob; the whole line is the glob, e.g. `arn:aws:s3:::logs-*` |
//! | `type:<glob>` | one of its types matches: the Terraform type (`aws_s3_bucket`), a Pulumi type (`aws:s3/bucket:Bucket`) or the Tagging API type (`s3`, `ec2:instance`) |
//! | `tag:KEY=VALUEGLOB` | it has tag `KEY` with a value matching the glob |
//! | `tag:KEY` | it has tag `KEY`, whatever the value |
//!
//! Globs are [`globset`] globs: `*` and `?` match any characters including
//! `/` and `:`, `[abc]` and `{a,b}` work as usual, and `\` escapes. Matching
//! is case-sensitive. A state resource is matched on its ARN (when known),
//! its types and its declared tags; a cloud resource on its ARN, its types
//! and its tags. A matched pair is ignored when either side is.

use std::collections::HashMap;

use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};

/// The conventional name of an ignore file.
pub const IGNORE_FILE_NAME: &str = ".palisadeignore";

/// A parsed set of ignore rules, possibly from several files.
#[derive(Debug, Clone)]
pub struct IgnoreRules {
    rules: Vec<IgnoreRule>,
    arns: GlobSet,
    /// Rule index of each glob of `arns`.
    arn_rules: Vec<usize>,
    types: GlobSet,
    /// Rule index of each glob of `types`.
    type_rules: Vec<usize>,
    /// Tag rules by key: (rule index, value glob; `None`: any value).
    tags: HashMap<String, Vec<(usize, Option<GlobMatcher>)>>,
}

/// One rule as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    /// The file's name as given to [`IgnoreRules::parse`].
    pub file: String,
    /// The 1-based line number.
    pub line: usize,
    /// The line, trimmed.
    pub text: String,
    /// What it matches.
    pub kind: IgnoreRuleKind,
}

/// The kinds of ignore rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoreRuleKind {
    /// `arn:<glob>`: the glob (the whole line).
    Arn(String),
    /// `type:<glob>`: the glob.
    Type(String),
    /// `tag:KEY` or `tag:KEY=VALUEGLOB`.
    Tag {
        /// The tag key, matched exactly.
        key: String,
        /// The value glob; `None`: any value.
        value: Option<String>,
    },
}

impl IgnoreRuleKind {
    /// `arn`, `type` or `tag`.
    pub fn name(&self) -> &'static str {
        match self {
            IgnoreRuleKind::Arn(_) => "arn",
            IgnoreRuleKind::Type(_) => "type",
            IgnoreRuleKind::Tag { .. } => "tag",
        }
    }
}

/// A line of an ignore file that is not a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {kind}: {text:?}")]
pub struct IgnoreError {
    /// The file's name as given.
    pub file: String,
    /// The 1-based line number.
    pub line: usize,
    /// The line, trimmed.
    pub text: String,
    /// What is wrong with it.
    pub kind: IgnoreErrorKind,
}

/// What is wrong with an ignore rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgnoreErrorKind {
    /// The line starts with none of `arn:`, `type:`, `tag:`.
    #[error("not a rule (rules start with `arn:`, `type:` or `tag:`; comments with `#`)")]
    UnknownKind,
    /// `type:` or `arn:` with nothing after it.
    #[error("empty pattern")]
    EmptyPattern,
    /// `tag:` or `tag:=value`.
    #[error("empty tag key")]
    EmptyTagKey,
    /// A glob that does not parse.
    #[error("bad glob ({0})")]
    Glob(globset::Error),
}

/// Something tags can be looked up in (the state's or the cloud's tags).
pub(crate) trait TagLookup {
    /// The value of tag `key`, if present.
    fn tag(&self, key: &str) -> Option<&str>;
}

/// What an ignore rule is matched against.
pub(crate) struct Subject<'s> {
    /// The ARN, when known.
    pub arn: Option<&'s str>,
    /// Every type the resource goes by.
    pub types: &'s [&'s str],
    /// Its tags.
    pub tags: &'s dyn TagLookup,
}

impl Default for IgnoreRules {
    fn default() -> Self {
        IgnoreRules::empty()
    }
}

impl IgnoreRules {
    /// No rules: nothing is ignored.
    pub fn empty() -> IgnoreRules {
        IgnoreRules {
            rules: Vec::new(),
            arns: GlobSet::empty(),
            arn_rules: Vec::new(),
            types: GlobSet::empty(),
            type_rules: Vec::new(),
            tags: HashMap::new(),
        }
    }

    /// Parses the text of one ignore file; `file` names it in errors and in
    /// the report. A leading byte order mark is skipped. Errors: the first
    /// line that is not a rule, as `file:line: what: "line"`.
    pub fn parse(file: &str, text: &str) -> Result<IgnoreRules, IgnoreError> {
        let mut rules = IgnoreRules::empty();
        rules.add(file, text)?;
        Ok(rules)
    }

    /// Adds the rules of another file after the ones already here (a
    /// leading byte order mark skipped). On error the rules are left as
    /// they were.
    pub fn add(&mut self, file: &str, text: &str) -> Result<(), IgnoreError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut all = self.rules.clone();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let error = |kind| IgnoreError { file: file.to_string(), line: n + 1, text: line.to_string(), kind };
            let kind = parse_rule(line).map_err(error)?;
            all.push(IgnoreRule { file: file.to_string(), line: n + 1, text: line.to_string(), kind });
        }
        *self = IgnoreRules::compile(all)?;
        Ok(())
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[IgnoreRule] {
        &self.rules
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    fn compile(rules: Vec<IgnoreRule>) -> Result<IgnoreRules, IgnoreError> {
        let (mut arns, mut types) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        let (mut arn_rules, mut type_rules) = (Vec::new(), Vec::new());
        let mut tags: HashMap<String, Vec<(usize, Option<GlobMatcher>)>> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            let glob = |pattern: &str| Glob::new(pattern).map_err(|e| rule_error(rule, IgnoreErrorKind::Glob(e)));
            match &rule.kind {
                IgnoreRuleKind::Arn(p) => {
                    arns.add(glob(p)?);
                    arn_rules.push(i);
                }
                IgnoreRuleKind::Type(p) => {
                    types.add(glob(p)?);
                    type_rules.push(i);
                }
                IgnoreRuleKind::Tag { key, value } => {
                    let matcher = value.as_deref().map(glob).transpose()?.map(|g| g.compile_matcher());
                    tags.entry(key.clone()).or_default().push((i, matcher));
                }
            }
        }
        // Every glob compiled on its own; a set fails only past regex size
        // limits, reported against the last rule of its kind.
        let set_error = |kind_rules: &[usize], e| match kind_rules.last().and_then(|&i| rules.get(i)) {
            Some(rule) => rule_error(rule, IgnoreErrorKind::Glob(e)),
            None => IgnoreError { file: String::new(), line: 0, text: String::new(), kind: IgnoreErrorKind::Glob(e) },
        };
        let arns = arns.build().map_err(|e| set_error(&arn_rules, e))?;
        let types = types.build().map_err(|e| set_error(&type_rules, e))?;
        Ok(IgnoreRules { rules, arns, arn_rules, types, type_rules, tags })
    }

    /// The indices (into [`IgnoreRules::rules`]) of the rules matching
    /// `subject`, ascending, each once.
    pub(crate) fn matching(&self, subject: &Subject<'_>) -> Vec<usize> {
        let mut hits = Vec::new();
        if self.rules.is_empty() {
            return hits;
        }
        if let Some(arn) = subject.arn.filter(|_| !self.arn_rules.is_empty()) {
            hits.extend(self.arns.matches(arn).into_iter().filter_map(|g| self.arn_rules.get(g).copied()));
        }
        if !self.type_rules.is_empty() {
            for t in subject.types {
                hits.extend(self.types.matches(t).into_iter().filter_map(|g| self.type_rules.get(g).copied()));
            }
        }
        for (key, rules) in &self.tags {
            if let Some(value) = subject.tags.tag(key) {
                hits.extend(
                    rules.iter().filter(|(_, m)| m.as_ref().is_none_or(|m| m.is_match(value))).map(|(i, _)| *i),
                );
            }
        }
        hits.sort_unstable();
        hits.dedup();
        hits
    }
}

fn rule_error(rule: &IgnoreRule, kind: IgnoreErrorKind) -> IgnoreError {
    IgnoreError { file: rule.file.clone(), line: rule.line, text: rule.text.clone(), kind }
}

/// One trimmed, non-comment line to a rule.
fn parse_rule(line: &str) -> Result<IgnoreRuleKind, IgnoreErrorKind> {
    if let Some(rest) = line.strip_prefix("arn:") {
        if rest.is_empty() {
            return Err(IgnoreErrorKind::EmptyPattern);
        }
        return Ok(IgnoreRuleKind::Arn(line.to_string()));
    }
    if let Some(rest) = line.strip_prefix("type:") {
        let pattern = rest.trim();
        if pattern.is_empty() {
            return Err(IgnoreErrorKind::EmptyPattern);
        }
        return Ok(IgnoreRuleKind::Type(pattern.to_string()));
    }
    if let Some(rest) = line.strip_prefix("tag:") {
        let (key, value) = match rest.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim().to_string())),
            None => (rest.trim(), None),
        };
        if key.is_empty() {
            return Err(IgnoreErrorKind::EmptyTagKey);
        }
        return Ok(IgnoreRuleKind::Tag { key: key.to_string(), value });
    }
    Err(IgnoreErrorKind::UnknownKind)
}

impl<S: std::borrow::Borrow<str> + Ord, V: AsRef<str>> TagLookup for std::collections::BTreeMap<S, V> {
    fn tag(&self, key: &str) -> Option<&str> {
        self.get(key).map(AsRef::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn hits(rules: &IgnoreRules, arn: Option<&str>, types: &[&str], tags: &[(&str, &str)]) -> Vec<usize> {
        let tags: BTreeMap<String, String> = tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        rules.matching(&Subject { arn, types, tags: &tags })
    }

    #[test]
    fn parses_each_kind_and_skips_comments() {
        let text = "# buckets of logs\n\narn:aws:s3:::logs-*\n  type:aws_iam_*  \ntag:env=dev*\ntag:temporary\r\n";
        let rules = IgnoreRules::parse(".palisadeignore", text).expect("valid rules");
        let kinds: Vec<(usize, &str, &IgnoreRuleKind)> =
            rules.rules().iter().map(|r| (r.line, r.text.as_str(), &r.kind)).collect();
        assert_eq!(
            kinds,
            [
                (3, "arn:aws:s3:::logs-*", &IgnoreRuleKind::Arn("arn:aws:s3:::logs-*".into())),
                (4, "type:aws_iam_*", &IgnoreRuleKind::Type("aws_iam_*".into())),
                (5, "tag:env=dev*", &IgnoreRuleKind::Tag { key: "env".into(), value: Some("dev*".into()) }),
                (6, "tag:temporary", &IgnoreRuleKind::Tag { key: "temporary".into(), value: None }),
            ]
        );
        assert_eq!(hits(&rules, Some("arn:aws:s3:::logs-2024"), &["s3"], &[]), [0]);
        assert!(hits(&rules, Some("arn:aws:s3:::data"), &["s3"], &[]).is_empty());
        assert_eq!(hits(&rules, None, &["aws:iam/role:Role", "aws_iam_role"], &[]), [1]);
        assert_eq!(hits(&rules, None, &[], &[("env", "development"), ("temporary", "")]), [2, 3]);
        assert!(hits(&rules, None, &[], &[("env", "prod"), ("Temporary", "yes")]).is_empty());
        assert!(IgnoreRules::empty().is_empty());
    }

    #[test]
    fn globs_cross_slashes_and_colons() {
        let rules = IgnoreRules::parse("x", "arn:aws:ec2:*:*:instance/*\ntype:aws:ec2/*").expect("valid");
        assert_eq!(hits(&rules, Some("arn:aws:ec2:eu-west-1:123456789012:instance/i-1"), &[], &[]), [0]);
        assert_eq!(hits(&rules, None, &["aws:ec2/subnet:Subnet"], &[]), [1]);
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let cases = [
            ("# ok\nbucket:logs", 2, IgnoreErrorKind::UnknownKind),
            ("type:", 1, IgnoreErrorKind::EmptyPattern),
            ("arn:", 1, IgnoreErrorKind::EmptyPattern),
            ("\n\ntag:=x", 3, IgnoreErrorKind::EmptyTagKey),
        ];
        for (text, line, kind) in cases {
            let e = IgnoreRules::parse("ops/.palisadeignore", text).expect_err(text);
            assert_eq!((e.line, &e.kind), (line, &kind), "{text}");
            assert!(e.to_string().starts_with(&format!("ops/.palisadeignore:{line}: ")), "{e}");
        }
        let e = IgnoreRules::parse("f", "type:aws_s3_bucket\narn:aws:s3:::[logs").expect_err("unclosed class");
        assert_eq!(e.line, 2);
        assert!(matches!(e.kind, IgnoreErrorKind::Glob(_)));
        assert!(e.to_string().contains("arn:aws:s3:::[logs"), "{e}");
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        for text in ["\u{feff}arn:aws:s3:::logs-*\ntag:x", "\u{feff}# comment\narn:aws:s3:::logs-*\ntag:x"] {
            let rules = IgnoreRules::parse(".palisadeignore", text).expect("a BOM is not part of the first line");
            let got: Vec<(&str, &IgnoreRuleKind)> = rules.rules().iter().map(|r| (r.text.as_str(), &r.kind)).collect();
            assert_eq!(got[0], ("arn:aws:s3:::logs-*", &IgnoreRuleKind::Arn("arn:aws:s3:::logs-*".into())), "{text:?}");
            assert_eq!(got.len(), 2, "{text:?}");
            assert_eq!(hits(&rules, Some("arn:aws:s3:::logs-1"), &[], &[]), [0]);
        }
        let mut rules = IgnoreRules::empty();
        rules.add("b", "\u{feff}type:s3").expect("add skips it too");
        assert_eq!(rules.rules()[0].kind, IgnoreRuleKind::Type("s3".into()));
        // Only at the start of the file.
        let e = IgnoreRules::parse("f", "tag:x\n\u{feff}tag:y").expect_err("a BOM inside is not skipped");
        assert_eq!((e.line, e.kind), (2, IgnoreErrorKind::UnknownKind));
    }

    #[test]
    fn add_appends_and_keeps_rules_on_error() {
        let mut rules = IgnoreRules::parse("a", "tag:x").expect("valid");
        rules.add("b", "type:s3").expect("valid");
        assert_eq!(rules.rules().iter().map(|r| (r.file.as_str(), r.line)).collect::<Vec<_>>(), [("a", 1), ("b", 1)]);
        assert!(rules.add("c", "nope").is_err());
        assert_eq!(rules.rules().len(), 2);
        assert_eq!(hits(&rules, None, &["s3"], &[("x", "1")]), [0, 1]);
    }
}
