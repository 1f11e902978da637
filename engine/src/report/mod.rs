//! The report model shared by every output format, one file per format.
//!
//! JSON report: schema version 1, described by `engine/schema/report.schema.json`.

use serde::Serialize;

use crate::finding::{Findings, PolicyError, Violation};
use crate::pack::{EnforcementLevel, Pack};

mod json;
mod text;

pub use json::render_json;
pub use text::{clean, render_text};

/// The version of the JSON report's shape (`schema_version`).
pub const SCHEMA_VERSION: u32 = 1;

/// A complete `check` report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Violations, sorted by resource, pack, policy.
    pub violations: Vec<Violation>,
    /// Policy errors, sorted by first resource, pack, policy.
    pub policy_errors: Vec<PolicyError>,
    /// Inputs that are incomplete inventory scans, one line per scope that
    /// did not complete (`FILE: ACCOUNT REGION: error`). A report with any
    /// is never clean: `summary.complete` is false.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
    /// Counts.
    pub summary: Summary,
    /// What produced the report.
    pub provenance: Provenance,
}

/// Counts of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Resources given to resource policies (policy targets of all inputs).
    pub resources_evaluated: usize,
    /// Violations per effective enforcement level.
    pub violations: LevelCounts,
    /// Violations that could not be decided (unknown values); they are
    /// counted as advisory above.
    pub undecided: usize,
    /// Policy errors, all levels.
    pub policy_errors: usize,
    /// Policy errors of mandatory or remediate policies.
    pub blocking_policy_errors: usize,
    /// Whether the run fails `check` (exit code 1).
    pub failed: bool,
    /// Whether every input is complete: false when an inventory input is an
    /// incomplete scan (the command then exits 2, whatever else it found).
    pub complete: bool,
}

/// A count per enforcement level.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LevelCounts {
    /// `advisory`.
    pub advisory: usize,
    /// `mandatory`.
    pub mandatory: usize,
    /// `remediate`.
    pub remediate: usize,
}

/// Versions and digests of everything that went into a report.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// Palisade's version.
    pub palisade_version: String,
    /// The packs, in the order given.
    pub packs: Vec<PackProvenance>,
    /// The inputs, in the order given.
    pub inputs: Vec<InputProvenance>,
}

/// One pack of [`Provenance`].
#[derive(Debug, Clone, Serialize)]
pub struct PackProvenance {
    /// Describe name.
    pub name: String,
    /// Describe version.
    pub version: String,
    /// Hex SHA-256 of the module.
    pub sha256: String,
    /// Path as given, or `builtin:NAME`.
    pub path: String,
    /// `module` (guest ABI v1) or `component` (WIT world `palisade:policy/pack`).
    pub kind: crate::pack::PackKind,
}

/// One input of [`Provenance`].
#[derive(Debug, Clone, Serialize)]
pub struct InputProvenance {
    /// Path as given (`-` for standard input).
    pub path: String,
    /// The format it was read as.
    pub format: String,
    /// Hex SHA-256 of the bytes read.
    pub sha256: String,
}

impl Report {
    /// Marks the report incomplete with one line per scope that did not
    /// complete (see [`Report::incomplete`]); no-op for an empty list.
    pub fn with_incomplete(mut self, lines: Vec<String>) -> Report {
        if !lines.is_empty() {
            self.summary.complete = false;
            self.incomplete = lines;
        }
        self
    }

    /// Build a report from findings and what produced them.
    pub fn new(findings: Findings, packs: &[Pack], inputs: Vec<InputProvenance>, palisade_version: &str) -> Report {
        let mut summary = Summary {
            resources_evaluated: findings.resources_evaluated,
            policy_errors: findings.policy_errors.len(),
            blocking_policy_errors: findings.policy_errors.iter().filter(|e| e.blocks()).count(),
            failed: findings.blocks(),
            complete: true,
            ..Summary::default()
        };
        for v in &findings.violations {
            summary.undecided += usize::from(v.undecided);
            match v.enforcement_level {
                EnforcementLevel::Advisory => summary.violations.advisory += 1,
                EnforcementLevel::Mandatory => summary.violations.mandatory += 1,
                EnforcementLevel::Remediate => summary.violations.remediate += 1,
                EnforcementLevel::Disabled => {}
            }
        }
        Report {
            schema_version: SCHEMA_VERSION,
            violations: findings.violations,
            policy_errors: findings.policy_errors,
            incomplete: Vec::new(),
            summary,
            provenance: Provenance {
                palisade_version: palisade_version.to_string(),
                packs: packs
                    .iter()
                    .map(|p| PackProvenance {
                        name: p.metadata.name.clone(),
                        version: p.metadata.version.clone(),
                        sha256: p.sha256.clone(),
                        path: p.path.clone(),
                        kind: p.kind,
                    })
                    .collect(),
                inputs,
            },
        }
    }
}
