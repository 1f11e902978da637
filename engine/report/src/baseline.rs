//! Baselines: the findings an estate already had, so that a team can adopt
//! Palisade and block only new problems.
//!
//! A baseline is an earlier JSON report (schema version 1,
//! `engine/schema/report.schema.json`), as `palisade check --write-baseline
//! FILE` records it. Its `violations[]` and `baselined[]` entries are the
//! known findings, matched by policy name and resource (address, URN or
//! ARN); message, level and file do not matter, so a reworded message or a
//! moved plan file does not make a known finding new. When the baseline or
//! the run has several inputs, findings are matched within their input,
//! compared by path relative to the repository root ([`crate::input_path`]),
//! so `./plans/x.json`, `plans/x.json` and `/home/me/repo/plans/x.json` are
//! one input, and a baseline recorded on one machine matches on another
//! (the report records each input's `repo_path`; older baselines, without
//! it, are keyed against the current directory).

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use palisade_model::finding::Violation;

use crate::input_path::InputPaths;

/// The known findings of a baseline.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// Where it was read from (as given).
    pub path: String,
    /// `(policy, resource)` pairs.
    pub known: BTreeSet<(String, String)>,
    /// `(input key, policy, resource)` triples: the input's path relative to
    /// the repository root ([`crate::input_path`]; the report's
    /// `provenance.inputs[].repo_path` when it records one, else the file
    /// as recorded, keyed against the current directory); empty when the
    /// entry has no file.
    pub known_in: BTreeSet<(String, String, String)>,
    /// The input files it was recorded from, keyed as in `known_in` (its
    /// report's `provenance.inputs`, and the files its findings name).
    pub inputs: BTreeSet<String>,
    /// The `known` pairs recorded at least once as a decided violation (not
    /// undecided): only these cover a decided violation ([`Baseline::covers`]).
    pub decided: BTreeSet<(String, String)>,
    /// The `known_in` triples recorded at least once as decided.
    pub decided_in: BTreeSet<(String, String, String)>,
}

#[derive(Deserialize)]
struct Doc {
    schema_version: u32,
    violations: Vec<Entry>,
    #[serde(default)]
    baselined: Vec<Entry>,
    #[serde(default)]
    provenance: Option<ProvenanceDoc>,
}

#[derive(Deserialize)]
struct ProvenanceDoc {
    #[serde(default)]
    inputs: Vec<InputDoc>,
}

#[derive(Deserialize)]
struct InputDoc {
    path: String,
    /// Written since input paths are keyed by repository (absent before).
    #[serde(default)]
    repo_path: Option<String>,
}

#[derive(Deserialize)]
struct Entry {
    policy: String,
    resource: String,
    #[serde(default)]
    file: String,
    #[serde(default)]
    undecided: bool,
}

/// A baseline that cannot be read: names the file and the JSON path.
#[derive(Debug, thiserror::Error)]
#[error("baseline {path}: {message}")]
pub struct BaselineError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl Baseline {
    /// Read a baseline (a JSON report of schema version 1).
    ///
    /// Errors: unreadable file; not JSON; not a Palisade JSON report (the
    /// error names the JSON path, e.g. `violations[3].policy`); another
    /// schema version.
    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let shown = path.display().to_string();
        let bytes = palisade_model::limits::read_capped(path, palisade_model::limits::MAX_BASELINE_BYTES)
            .map_err(|e| BaselineError { path: shown.clone(), message: format!("cannot read the file: {e}") })?;
        Baseline::parse(&shown, &bytes)
    }

    /// Parse a baseline document; `path` names it in errors.
    pub fn parse(path: &str, bytes: &[u8]) -> Result<Baseline, BaselineError> {
        let err = |message: String| BaselineError { path: path.to_string(), message };
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let doc: Doc = serde_path_to_error::deserialize(de).map_err(|e| {
            let at = e.path().to_string();
            err(format!(
                "not a Palisade JSON report (as `palisade check --format json` or --write-baseline writes): at {}: {}",
                if at == "." { "$".to_string() } else { format!("$.{at}") },
                e.inner()
            ))
        })?;
        if doc.schema_version != crate::SCHEMA_VERSION {
            return Err(err(format!(
                "report schema version {} is not supported (this Palisade reads version {})",
                doc.schema_version,
                crate::SCHEMA_VERSION
            )));
        }
        let mut baseline = Baseline { path: path.to_string(), ..Baseline::default() };
        let paths = InputPaths::current();
        // The key each input was recorded under, when the report has it.
        let mut keys = std::collections::HashMap::new();
        // The inputs it was recorded from, clean ones included.
        for input in doc.provenance.into_iter().flat_map(|p| p.inputs) {
            let key = input.repo_path.unwrap_or_else(|| paths.key(&input.path));
            baseline.inputs.insert(key.clone());
            keys.insert(input.path, key);
        }
        for e in doc.violations.into_iter().chain(doc.baselined) {
            let file = keys.get(&e.file).cloned().unwrap_or_else(|| paths.key(&e.file));
            if !file.is_empty() {
                baseline.inputs.insert(file.clone());
            }
            if !e.undecided {
                baseline.decided.insert((e.policy.clone(), e.resource.clone()));
                baseline.decided_in.insert((file.clone(), e.policy.clone(), e.resource.clone()));
            }
            baseline.known.insert((e.policy.clone(), e.resource.clone()));
            baseline.known_in.insert((file, e.policy, e.resource));
        }
        Ok(baseline)
    }

    /// Whether `policy` on `resource` is a known finding; with `by_input`,
    /// known in the input whose key ([`InputPaths::key`]) is `key` (or in
    /// an entry that names no file).
    pub fn contains(&self, key: &str, policy: &str, resource: &str, by_input: bool) -> bool {
        let (p, r) = (policy.to_string(), resource.to_string());
        if !by_input {
            return self.known.contains(&(p, r));
        }
        self.known_in.contains(&(key.to_string(), p.clone(), r.clone()))
            || self.known_in.contains(&(String::new(), p, r))
    }

    /// Whether the baseline covers violation `v` of the input whose key is
    /// `key` ([`Baseline::contains`]): an undecided one is covered by any
    /// entry, a decided one only by an entry recorded decided, so a finding
    /// known as undecided (a value known only after apply) does not hide
    /// the violation the value turns out to make.
    pub fn covers(&self, key: &str, v: &Violation, by_input: bool) -> bool {
        if !self.contains(key, &v.policy, &v.resource, by_input) {
            return false;
        }
        if v.undecided {
            return true;
        }
        let (p, r) = (v.policy.clone(), v.resource.clone());
        if !by_input {
            return self.decided.contains(&(p, r));
        }
        self.decided_in.contains(&(key.to_string(), p.clone(), r.clone()))
            || self.decided_in.contains(&(String::new(), p, r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_violations_and_baselined() {
        let b = Baseline::parse(
            "b.json",
            br#"{"schema_version": 1, "violations": [{"policy": "p", "resource": "a", "message": "m"}],
                 "baselined": [{"policy": "q", "resource": "b"}], "summary": {}}"#,
        )
        .expect("valid");
        assert!(
            b.contains("x", "p", "a", false) && b.contains("x", "q", "b", false) && !b.contains("x", "p", "b", false)
        );
        // Entries without a file match any input.
        assert!(b.contains("x", "p", "a", true));
    }

    #[test]
    fn an_undecided_entry_does_not_cover_a_decided_violation() {
        let b = Baseline::parse(
            "b.json",
            br#"{"schema_version": 1, "violations": [{"policy": "p", "resource": "a", "undecided": true},
                                                     {"policy": "p", "resource": "b"}]}"#,
        )
        .expect("valid");
        let v = |resource: &str, undecided: bool| Violation {
            policy: "p".into(),
            pack: "k".into(),
            enforcement_level: palisade_model::policy::EnforcementLevel::Mandatory,
            severity: palisade_model::policy::Severity::High,
            resource: resource.into(),
            resource_type: "t".into(),
            action: palisade_model::model::Operation::Create,
            message: "m".into(),
            file: String::new(),
            undecided,
            location: None,
            remediation: None,
        };
        assert!(b.covers("x", &v("a", true), false) && !b.covers("x", &v("a", false), false));
        assert!(b.covers("x", &v("b", false), false) && b.covers("x", &v("b", true), false));
        assert!(b.covers("x", &v("b", false), true) && !b.covers("x", &v("a", false), true));
    }

    #[test]
    fn several_inputs_match_by_input() {
        let b = Baseline::parse(
            "b.json",
            br#"{"schema_version": 1, "violations": [{"policy": "p", "resource": "a", "file": "staging.json"}]}"#,
        )
        .expect("valid");
        let key = |p: &str| InputPaths::current().key(p);
        assert!(b.contains(&key("prod.json"), "p", "a", false));
        assert!(b.contains(&key("staging.json"), "p", "a", true) && !b.contains(&key("prod.json"), "p", "a", true));
        assert!(b.contains(&key("./staging.json"), "p", "a", true));
        // A recorded repository path wins over the path as given then.
        let b = Baseline::parse(
            "b.json",
            br#"{"schema_version": 1, "violations": [{"policy": "p", "resource": "a", "file": "/laptop/repo/plans/x.json"}],
                 "provenance": {"inputs": [{"path": "/laptop/repo/plans/x.json", "repo_path": "plans/x.json"},
                                           {"path": "y.json", "repo_path": "plans/y.json"}]}}"#,
        )
        .expect("valid");
        assert!(b.contains("plans/x.json", "p", "a", true) && !b.contains("plans/y.json", "p", "a", true));
        // A clean input recorded in provenance counts as an input.
        let b = Baseline::parse(
            "b.json",
            br#"{"schema_version": 1, "violations": [{"policy": "p", "resource": "a", "file": "staging.json"}],
                 "provenance": {"inputs": [{"path": "staging.json"}, {"path": "prod.json"}]}}"#,
        )
        .expect("valid");
        assert_eq!(b.inputs.len(), 2);
    }

    #[test]
    fn errors_name_the_path() {
        let e = Baseline::parse("b.json", br#"{"schema_version": 1, "violations": [{"policy": 3}]}"#)
            .expect_err("bad")
            .to_string();
        assert!(e.contains("b.json") && e.contains("$.violations[0].policy"), "{e}");
        let e = Baseline::parse("b.json", br#"{"schema_version": 9, "violations": []}"#).expect_err("v9").to_string();
        assert!(e.contains("version 9"), "{e}");
        let e = Baseline::parse("b.json", b"[]").expect_err("not a report").to_string();
        assert!(e.contains("not a Palisade JSON report"), "{e}");
    }
}
