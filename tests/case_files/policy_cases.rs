//! The built-in pack's data-driven cases,
//! `policies/aws-baseline/tests/cases/*.yaml`: one trial per file, through
//! the engine with the pack built to wasm (never the policy functions
//! natively); and one trial that every policy has its cases.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use libtest_mimic::{Failed, Trial};
use palisade_engine::Pack;
use palisade_engine::testcase::load_case_file;

use crate::support::{baseline, repo};
use crate::{case_files, policy_file_trial, shared_engine};

/// The case folder of the built-in pack.
const DIR: &str = "policies/aws-baseline/tests/cases";

/// The built-in pack, loaded once.
fn packs() -> &'static [Pack] {
    static PACKS: OnceLock<[Pack; 1]> = OnceLock::new();
    PACKS.get_or_init(|| [baseline(shared_engine())])
}

/// `policy_cases::STEM` for each case file, and the completeness trial.
pub fn trials() -> Vec<Trial> {
    let mut trials: Vec<Trial> = case_files("policy_cases", DIR)
        .into_iter()
        .map(|(name, path)| policy_file_trial(name, path, packs, 1))
        .collect();
    trials.push(Trial::test("policy_cases::every-policy-has-its-four-cases", every_policy_has_its_four_cases));
    trials
}

/// Every policy of the pack has a case file named after it, with a passing
/// and a failing case in both forms (Terraform and Pulumi).
fn every_policy_has_its_four_cases() -> Result<(), Failed> {
    let mut missing = Vec::new();
    for policy in &packs()[0].metadata.policies {
        let path = repo(&format!("{DIR}/{}.yaml", policy.name));
        let file = load_case_file(&path).map_err(|e| format!("no case file for {}: {e}", policy.name))?;
        let mut seen = BTreeSet::new();
        for case in &file.cases {
            let Some(input) = case.input.as_ref() else {
                return Err(format!("{} :: {}: policy cases are inline (`input:`)", path.display(), case.name).into());
            };
            let form = if input.get("resource_changes").is_some() { "terraform" } else { "pulumi" };
            let fails = case.expect.violations.iter().any(|v| v.policy == policy.name && !v.undecided);
            seen.insert((form, if fails { "failing" } else { "passing" }));
        }
        for form in ["terraform", "pulumi"] {
            for outcome in ["failing", "passing"] {
                if !seen.contains(&(form, outcome)) {
                    missing.push(format!("{}: no {outcome} {form} case", path.display()));
                }
            }
        }
    }
    if missing.is_empty() { Ok(()) } else { Err(missing.join("\n").into()) }
}
