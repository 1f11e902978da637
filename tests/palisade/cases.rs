//! Every data-driven case file runs through the engine with the built-in
//! pack built to wasm (never the policy functions natively).

use palisade_engine::testcase::{discover, load_case_file, run_case};

use crate::support::{baseline, engine, repo};

#[test]
fn aws_baseline_cases() {
    let engine = engine(2000);
    let packs = [baseline(&engine)];
    let files = discover(&repo("policies/aws-baseline/tests/cases")).expect("case folder exists");
    assert!(!files.is_empty(), "no case files found");
    let mut failures = Vec::new();
    let mut ran = 0;
    for path in &files {
        let file = load_case_file(path).unwrap_or_else(|e| panic!("{e}"));
        for case in &file.cases {
            ran += 1;
            let result = run_case(&engine, &packs, &file, case);
            if let Some(why) = result.failure {
                failures.push(format!("{} :: {}\n{why}", path.display(), result.name));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {ran} cases failed:\n{}", failures.len(), failures.join("\n\n"));
    // Every policy of the pack has a passing and a failing case in both forms.
    for policy in &packs[0].metadata.policies {
        let path = repo(&format!("policies/aws-baseline/tests/cases/{}.yaml", policy.name));
        let file = load_case_file(&path).unwrap_or_else(|e| panic!("no case file for {}: {e}", policy.name));
        let mut seen = std::collections::BTreeSet::new();
        for case in &file.cases {
            let input = case.input.as_ref().expect("policy cases are inline");
            let form = if input.get("resource_changes").is_some() { "terraform" } else { "pulumi" };
            let fails = case.expect.violations.iter().any(|v| v.policy == policy.name && !v.undecided);
            seen.insert((form, if fails { "failing" } else { "passing" }));
        }
        for form in ["terraform", "pulumi"] {
            for outcome in ["failing", "passing"] {
                assert!(seen.contains(&(form, outcome)), "{}: no {outcome} {form} case", policy.name);
            }
        }
    }
}
