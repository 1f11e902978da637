//! Findings: what evaluation produces, before it is rendered as a report.

use serde::Serialize;

use crate::fault::FaultKind;
use crate::model::Operation;
use crate::policy::{EnforcementLevel, PolicyKind, Severity};

/// A policy's verdict against one resource (report `violations[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The policy that found it.
    pub policy: String,
    /// The pack of that policy (its describe name).
    pub pack: String,
    /// The effective level: the policy's level, or `advisory` when undecided.
    pub enforcement_level: EnforcementLevel,
    /// The policy's severity.
    pub severity: Severity,
    /// Terraform address or Pulumi URN.
    pub resource: String,
    /// The resource's type.
    pub resource_type: String,
    /// What the input does to the resource (`create`, `update`, `replace`,
    /// `delete`, `read`, `no-op`, `forget`, `import`), so that a reviewer
    /// tells this change from what is already there.
    pub action: Operation,
    /// The policy's message, with secret values replaced by `[secret]`.
    pub message: String,
    /// The input file.
    pub file: String,
    /// True when the policy could not decide because a value it needs is
    /// unknown until apply; then the violation is only advisory.
    pub undecided: bool,
    /// Where the resource is declared in the source (`--source-dir`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
    /// The fix the policy proposed, checked against the resource: only for
    /// decided violations of resource policies at level `remediate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<crate::remediation::Remediation>,
}

/// One policy run on the resources of one input: what a JUnit report turns
/// into one test case per resource (or one per stack, for a stack policy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The pack (describe name).
    pub pack: String,
    /// The policy.
    pub policy: String,
    /// Resource or stack policy.
    pub kind: PolicyKind,
    /// The input file.
    pub file: String,
    /// The resources a resource policy judged, in input order; empty for a
    /// stack policy, which judges the input as a whole.
    pub resources: Vec<String>,
}

/// A policy that failed to run on some resources (report `policy_errors[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyError {
    /// The pack (describe name).
    pub pack: String,
    /// The policy that failed.
    pub policy: String,
    /// The policy's effective enforcement level.
    pub enforcement_level: EnforcementLevel,
    /// What went wrong.
    pub kind: FaultKind,
    /// The resources the policy was judging when it failed, sorted.
    pub resources: Vec<String>,
    /// One line for people (secret values replaced by `[secret]`).
    pub message: String,
    /// The input file.
    pub file: String,
}

impl PolicyError {
    /// Whether this error fails `check` (the policy is mandatory or remediate).
    pub fn blocks(&self) -> bool {
        self.enforcement_level.blocks()
    }
}

impl Violation {
    /// Whether this violation fails `check`: decided, at a blocking level.
    pub fn blocks(&self) -> bool {
        !self.undecided && self.enforcement_level.blocks()
    }
}

/// Everything one evaluation found, sorted so that it never depends on
/// thread count or batch size: violations by resource, pack, policy, file,
/// message; policy errors by first resource, pack, policy, file, kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Violations found.
    pub violations: Vec<Violation>,
    /// Policies that failed.
    pub policy_errors: Vec<PolicyError>,
    /// Resources given to resource policies (policy targets of all inputs;
    /// with [`crate::model::ChangeScope::Changed`], the changed ones).
    pub resources_evaluated: usize,
    /// Resources read from all inputs, of every kind and operation.
    pub resources_loaded: usize,
    /// Resources judged by at least one resource policy (distinct input
    /// and address over [`Findings::evaluations`]); stack policies judge
    /// an input as a whole and are not counted here.
    pub resources_judged: usize,
    /// Every enabled policy with the resources it judged, by pack, input
    /// and policy order (a resource policy that targets nothing in an input
    /// is absent for it).
    pub evaluations: Vec<Evaluation>,
}

impl Findings {
    /// Sort both lists into their canonical order and merge policy errors of
    /// one policy that failed the same way in several batches.
    pub fn normalize(&mut self) {
        self.violations.sort_by(|a, b| {
            (&a.resource, &a.pack, &a.policy, &a.file, &a.message).cmp(&(
                &b.resource,
                &b.pack,
                &b.policy,
                &b.file,
                &b.message,
            ))
        });
        self.violations.dedup();
        let mut merged: Vec<PolicyError> = Vec::new();
        let mut errors = std::mem::take(&mut self.policy_errors);
        errors.sort_by(|a, b| {
            (&a.pack, &a.policy, &a.file, a.kind, &a.message).cmp(&(&b.pack, &b.policy, &b.file, b.kind, &b.message))
        });
        for e in errors {
            match merged.last_mut() {
                Some(last)
                    if (&last.pack, &last.policy, &last.file, last.kind, &last.message)
                        == (&e.pack, &e.policy, &e.file, e.kind, &e.message) =>
                {
                    last.resources.extend(e.resources);
                }
                _ => merged.push(e),
            }
        }
        for e in &mut merged {
            e.resources.sort();
            e.resources.dedup();
        }
        merged.sort_by(|a, b| {
            (a.resources.first(), &a.pack, &a.policy, &a.file, a.kind).cmp(&(
                b.resources.first(),
                &b.pack,
                &b.policy,
                &b.file,
                b.kind,
            ))
        });
        self.policy_errors = merged;
    }

    /// Whether the run fails `check`: a decided mandatory (or remediate)
    /// violation, or an error of a mandatory (or remediate) policy.
    pub fn blocks(&self) -> bool {
        self.violations.iter().any(Violation::blocks) || self.policy_errors.iter().any(PolicyError::blocks)
    }
}

/// A place in a `.tf` file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceLocation {
    /// The file: the folder given to the source map's `SourceMap::from_dir` joined with the
    /// file's path relative to it, lexically normalized (`.` segments dropped,
    /// `dir/..` folded) and with `/` separators, e.g.
    /// `infra/modules/network/main.tf`. Relative when that folder is.
    pub file: String,
    /// The line, 1-based.
    pub line: u32,
    /// The column, 1-based, in characters (Unicode scalar values).
    pub column: u32,
}
