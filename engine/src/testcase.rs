//! Policy test cases as data: a small input plus the expected findings, in
//! YAML (or JSON, which is YAML). One driver runs every case file; the
//! built-in pack's tests, `palisade test` and the edge-case suite share it.
//!
//! Format (one file holds many cases):
//!
//! ```yaml
//! cases:
//!   - name: terraform unencrypted volume is a violation
//!     policies: [aws-ebs-volume-disallow-unencrypted-volume]  # optional: run and compare only these
//!     format: tfplan          # optional: tfplan|tfstate|pulumi-export|pulumi-preview|pulumi-events
//!     input: {format_version: "1.2", resource_changes: [...]}  # or input_file: relative/path.json
//!     config: {policy-name: {key: value, enforcementLevel: advisory}}  # optional
//!     levels: {policy-name: mandatory}                            # optional overrides
//!     expect:
//!       violations:
//!         - {policy: aws-ebs-volume-disallow-unencrypted-volume, resource: aws_ebs_volume.data}
//!         - {policy: ..., resource: ..., undecided: true, message_contains: "unknown"}
//!       policy_errors: [{policy: ..., kind: timeout}]           # optional, default none
//!       resources_evaluated: 1                                  # optional
//!       failed: true                                            # optional: would `check` exit 1
//! ```
//!
//! A case that names a policy the pack does not have (in `policies`,
//! `expect`, `config` or `levels`) fails, naming it: a typo never passes
//! silently.
//!
//! A policy's `config` object is read as `check --config` reads it: its
//! `enforcementLevel` (a string: `advisory`, `mandatory`, `remediate` or
//! `disabled`) is the policy's level in the case, and the other keys are
//! its config, validated against the policy's schema. A level that is not
//! one of those fails the case, naming the accepted ones. Setting one
//! policy's level both in `levels:` and in `config.<policy>.enforcementLevel`
//! fails the case too (even when they agree): a level is set in one place.
//!
//! Errors, as opposed to failures: a case file that cannot be read or
//! parsed, or that gives two cases the same name ([`CaseError`] from
//! [`load_case_file`]); a case whose input cannot be read or parsed (no
//! input, both `input` and `input_file`, an unreadable file, an unknown
//! `format`, a document no reader accepts): its [`CaseResult::error`] is
//! set and nothing is compared.
//!
//! [`discover`] follows symbolic links to folders, but visits each folder
//! (by canonical path) once and skips a link to the case folder or to a
//! folder above it, so a cycle such as `ln -s .. cases/up` neither loops
//! nor sweeps in the files above the case folder.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::Findings;
use crate::input::{self, InputFormat};
use crate::{EnforcementLevel, Pack};
use crate::{Engine, PolicySettings};

/// A case file: its path and its cases.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// Where it was read from; `input_file`s are relative to its folder.
    pub path: PathBuf,
    /// Its cases, in file order.
    pub cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFileDoc {
    cases: Vec<Case>,
}

/// One test case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case pins.
    pub name: String,
    /// The input format; auto-detected when absent.
    #[serde(default)]
    pub format: Option<String>,
    /// An inline input document.
    #[serde(default)]
    pub input: Option<Value>,
    /// An input file, relative to the case file.
    #[serde(default)]
    pub input_file: Option<PathBuf>,
    /// Run and compare only these policies, and the ones `config` or `levels`
    /// name (default: all). The others are disabled for the case.
    #[serde(default)]
    pub policies: Option<Vec<String>>,
    /// Config per policy name.
    #[serde(default)]
    pub config: HashMap<String, Value>,
    /// Enforcement level overrides per policy name.
    #[serde(default)]
    pub levels: HashMap<String, EnforcementLevel>,
    /// What must be found.
    pub expect: Expect,
}

/// The expected findings of a case.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Exactly these violations (of the compared policies).
    #[serde(default)]
    pub violations: Vec<ExpectedViolation>,
    /// Exactly these policy errors (of the compared policies).
    #[serde(default)]
    pub policy_errors: Vec<ExpectedError>,
    /// The number of resources given to resource policies.
    #[serde(default)]
    pub resources_evaluated: Option<usize>,
    /// Whether `check` would fail (exit 1).
    #[serde(default)]
    pub failed: Option<bool>,
}

/// One expected violation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedViolation {
    /// Policy name.
    pub policy: String,
    /// Resource address or URN.
    pub resource: String,
    /// Whether it is undecided (default false).
    #[serde(default)]
    pub undecided: bool,
    /// A substring the message must contain.
    #[serde(default)]
    pub message_contains: Option<String>,
    /// The proposed fix as a JSON Patch (RFC 6902), exactly; `[]` means
    /// the violation must carry no fix. Unchecked when not given. A fix is
    /// kept only at level `remediate` (set `enforcementLevel` in the case's
    /// `config`).
    #[serde(default)]
    pub patch: Option<Vec<Value>>,
}

/// One expected policy error.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedError {
    /// Policy name.
    pub policy: String,
    /// Fault kind (`timeout`, `memory`, `trap`, `abi`, `policy`), if it matters.
    #[serde(default)]
    pub kind: Option<String>,
}

/// A case file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("test case file {path}: {message}")]
pub struct CaseError {
    /// The case file.
    pub path: String,
    /// What is wrong, with line and column where known.
    pub message: String,
}

/// Read a case file (YAML or JSON).
///
/// Errors: the file cannot be read, is not a case file (with line and
/// column), or names two of its cases alike (each duplicated name given).
pub fn load_case_file(path: &Path) -> Result<CaseFile, CaseError> {
    let err = |message: String| CaseError { path: path.display().to_string(), message };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let doc: CaseFileDoc = serde_yaml_ng::from_str(&text).map_err(|e| err(e.to_string()))?;
    let mut seen = HashSet::new();
    let mut duplicated: Vec<&str> = Vec::new();
    for case in &doc.cases {
        if !seen.insert(case.name.as_str()) && !duplicated.contains(&case.name.as_str()) {
            duplicated.push(&case.name);
        }
    }
    if !duplicated.is_empty() {
        let names: Vec<String> = duplicated.iter().map(|n| format!("{n:?}")).collect();
        return Err(err(format!(
            "case names must be unique within a file; given more than once: {}",
            names.join(", ")
        )));
    }
    Ok(CaseFile { path: path.to_path_buf(), cases: doc.cases })
}

/// Every `.yaml`, `.yml` and `.json` file under `dir`, recursively, sorted.
///
/// Symbolic links to folders are followed, each folder (by canonical path)
/// visited once; a link to `dir` or to a folder above it is skipped, so a
/// cycle (`ln -s .. cases/up`) neither loops nor reads the folders above.
pub fn discover(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let root = std::fs::canonicalize(dir)?;
    let mut visited = HashSet::from([root.clone()]);
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                // A folder that cannot be resolved is left for read_dir to report.
                let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                if !root.starts_with(&canonical) && visited.insert(canonical) {
                    pending.push(path);
                }
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The outcome of one case: `failure` is `None` when it passed, else a diff
/// for people, one finding per line: `-` expected and not found, `+` found
/// and not expected, `~` found with a different message.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case file.
    pub file: PathBuf,
    /// The case name.
    pub name: String,
    /// Why it failed: expected vs actual, line by line (each line indented
    /// by two spaces); when [`error`](Self::error) is set, what is wrong
    /// with the case.
    pub failure: Option<String>,
    /// Whether the case could not run (its input is missing, unreadable or
    /// malformed, or its `format` unknown): an error in the case, not a
    /// finding that differs. `failure` then says what is wrong.
    pub error: bool,
}

/// Run one case of `file` against `packs`.
///
/// A case whose input cannot be read is an error ([`CaseResult::error`]).
/// A case that names a policy none of `packs` has (in `policies`, the
/// expected findings, `config` or `levels`) fails without running, naming
/// the policy and the policies the packs do have.
pub fn run_case(engine: &Engine, packs: &[Pack], file: &CaseFile, case: &Case) -> CaseResult {
    let result = |failure: Option<String>, error: bool| CaseResult {
        file: file.path.clone(),
        name: case.name.clone(),
        failure,
        error,
    };
    let stack = match input_of(file, case) {
        Ok(stack) => stack,
        Err(message) => return result(Some(message), true),
    };
    let failure = match unknown_policies(packs, case) {
        Some(message) => Some(message),
        None => match case_settings(packs, case) {
            Ok(settings) => compare(case, &engine.check(packs, &[stack], &settings)),
            Err(message) => Some(format!("  {message}")),
        },
    };
    result(failure, false)
}

/// The policy names `case` refers to that no pack of `packs` has, as a
/// failure message; `None` when every name is known.
fn unknown_policies(packs: &[Pack], case: &Case) -> Option<String> {
    let named = case
        .policies
        .iter()
        .flatten()
        .chain(case.expect.violations.iter().map(|v| &v.policy))
        .chain(case.expect.policy_errors.iter().map(|e| &e.policy))
        .chain(case.config.keys())
        .chain(case.levels.keys());
    let mut unknown: Vec<&str> = Vec::new();
    for name in named {
        if !packs.iter().any(|p| p.policy(name).is_some()) && !unknown.contains(&name.as_str()) {
            unknown.push(name);
        }
    }
    if unknown.is_empty() {
        return None;
    }
    let known: Vec<&str> = packs.iter().flat_map(|p| p.metadata.policies.iter().map(|i| i.name.as_str())).collect();
    let lines: Vec<String> = unknown
        .iter()
        .map(|name| format!("  the case names policy `{name}`, which the pack does not have"))
        .chain(std::iter::once(format!("  the pack's policies: {}", known.join(", "))))
        .collect();
    Some(lines.join("\n"))
}

/// The case's `config` and `levels` as a pack config, resolved as `check
/// --config` resolves one: each config's `enforcementLevel` taken as the
/// policy's level, the rest validated against the policy's schema, defaults
/// filled in. A config `check` would refuse fails the case, and so does a
/// level set both in `levels` and in `config`.
fn case_settings(packs: &[Pack], case: &Case) -> Result<PolicySettings, String> {
    let mut config = crate::config::PackConfig { path: format!("case {:?}", case.name), ..Default::default() };
    let mut names: Vec<&String> = case.config.keys().collect();
    names.sort();
    for policy in names {
        let Value::Object(map) = &case.config[policy] else {
            return Err(format!("config of `{policy}` must be an object"));
        };
        let mut map = map.clone();
        let level = match map.remove("enforcementLevel") {
            None => None,
            Some(Value::String(s)) => Some(
                s.parse::<EnforcementLevel>().map_err(|e| format!("config of `{policy}`: enforcementLevel: {e}"))?,
            ),
            Some(other) => {
                return Err(format!(
                    "config of `{policy}`: enforcementLevel: expected a level string (advisory, mandatory, \
                     remediate or disabled), found {other}"
                ));
            }
        };
        if level.is_some() && case.levels.contains_key(policy) {
            return Err(format!(
                "the level of `{policy}` is set twice, in `levels` and in `config.{policy}.enforcementLevel`; \
                 keep one"
            ));
        }
        let entry = config.policies.entry(policy.clone()).or_default();
        entry.config = map;
        entry.level = level;
    }
    for (policy, level) in &case.levels {
        config.policies.entry(policy.clone()).or_default().level = Some(*level);
    }
    // A case that names its policies runs only those (and the ones it
    // configures): `failed` is about them, not about every policy loaded.
    if let Some(wanted) = &case.policies {
        for info in packs.iter().flat_map(|p| &p.metadata.policies) {
            if !wanted.contains(&info.name) && !config.policies.contains_key(&info.name) {
                config.policies.entry(info.name.clone()).or_default().level = Some(EnforcementLevel::Disabled);
            }
        }
    }
    crate::config::resolve(Some(&config), &[], packs).map_err(|e| e.to_string())
}

/// The case's input, read: an error message for people when it is missing,
/// unreadable or malformed.
fn input_of(file: &CaseFile, case: &Case) -> Result<crate::model::Stack, String> {
    let format = match &case.format {
        Some(f) => Some(f.parse::<InputFormat>().map_err(|e| format!("format: {e}"))?),
        None => None,
    };
    let (source, bytes) = match (&case.input, &case.input_file) {
        (Some(doc), None) => (format!("{}#{}", file.path.display(), case.name), inline_bytes(doc)?),
        (None, Some(rel)) => {
            let path = file.path.parent().unwrap_or(Path::new(".")).join(rel);
            let bytes = std::fs::read(&path).map_err(|e| format!("input_file: cannot read {}: {e}", path.display()))?;
            (path.display().to_string(), bytes)
        }
        _ => return Err("a case needs exactly one of `input` and `input_file`".into()),
    };
    input::read_input(&source, &bytes, format).map_err(|e| format!("the input cannot be read: {e}"))
}

/// An inline document as input bytes (JSON; a list of Pulumi events is read
/// as a JSON array).
fn inline_bytes(doc: &Value) -> Result<Vec<u8>, String> {
    serde_json::to_vec(doc).map_err(|e| e.to_string())
}

/// Expected vs actual findings of `case` as a diff for people: `-` lines
/// were expected and not found, `+` lines found and not expected, `~` lines
/// matched but differ in their message. `None` when they agree.
fn compare(case: &Case, findings: &Findings) -> Option<String> {
    let wanted = |policy: &str| case.policies.as_ref().is_none_or(|ps| ps.iter().any(|p| p == policy));
    let mut problems = Vec::new();
    let mut actual: Vec<_> = findings.violations.iter().filter(|v| wanted(&v.policy)).collect();
    for e in &case.expect.violations {
        let pos =
            actual.iter().position(|v| v.policy == e.policy && v.resource == e.resource && v.undecided == e.undecided);
        match pos {
            Some(i) => {
                let v = actual.remove(i);
                if let Some(sub) = e.message_contains.as_ref().filter(|s| !v.message.contains(s.as_str())) {
                    problems.push(format!(
                        "  ~ violation {} on {}: message {:?} does not contain {sub:?}",
                        e.policy, e.resource, v.message
                    ));
                }
                let actual_patch = v.remediation.as_ref().map(|r| r.patch.clone()).unwrap_or_default();
                if let Some(patch) = e.patch.as_ref().filter(|p| **p != actual_patch) {
                    problems.push(format!(
                        "  ~ violation {} on {}: fix {} is not {}",
                        e.policy,
                        e.resource,
                        Value::Array(actual_patch),
                        Value::Array(patch.clone())
                    ));
                }
            }
            None => {
                let undecided = if e.undecided { " (undecided)" } else { "" };
                let message = e.message_contains.as_ref().map(|m| format!(": ...{m}...")).unwrap_or_default();
                problems.push(format!("  - violation {} on {}{undecided}{message}", e.policy, e.resource));
            }
        }
    }
    for v in actual {
        let undecided = if v.undecided { " (undecided)" } else { "" };
        problems.push(format!("  + violation {} on {}{undecided}: {}", v.policy, v.resource, v.message));
    }
    let mut errors: Vec<_> = findings.policy_errors.iter().filter(|e| wanted(&e.policy)).collect();
    for e in &case.expect.policy_errors {
        let pos = errors
            .iter()
            .position(|a| a.policy == e.policy && e.kind.as_ref().is_none_or(|k| *k == a.kind.to_string()));
        match pos {
            Some(i) => {
                errors.remove(i);
            }
            None => {
                problems.push(format!("  - policy error {} ({})", e.policy, e.kind.as_deref().unwrap_or("any kind")))
            }
        }
    }
    for a in errors {
        problems.push(format!("  + policy error {} ({}): {}", a.policy, a.kind, a.message));
    }
    if let Some(n) = case.expect.resources_evaluated.filter(|n| *n != findings.resources_evaluated) {
        problems.push(format!("  - resources_evaluated: {n}"));
        problems.push(format!("  + resources_evaluated: {}", findings.resources_evaluated));
    }
    if let Some(f) = case.expect.failed.filter(|f| *f != findings.blocks()) {
        problems.push(format!("  - failed: {f}"));
        problems.push(format!("  + failed: {}", findings.blocks()));
    }
    (!problems.is_empty()).then(|| problems.join("\n"))
}
