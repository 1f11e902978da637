//! Every corpus file through the real binary: `palisade check --format json`
//! with the built-in pack. The report must count exactly the policy targets
//! computed independently (`counts`), and exit 1 iff the report failed; the
//! errored plan must be refused with exit 2 and a report that lists it as
//! an input error, with no results.

use std::collections::BTreeMap;

use serde_json::Value;

use super::counts::expected;
use super::{CorpusFile, ERRORED_PLAN, corpus_files, decode_independently, expected_format};
use crate::support::{code, palisade};

/// What one run gave: `Err` explains a broken expectation; `Ok` carries the
/// blocking policies of a failed report (empty when it passed).
fn check_one(file: &CorpusFile) -> Result<Vec<String>, String> {
    let path = file.rel_path();
    let out = palisade(&["check", "--format", "json", &path], None);
    let exit = code(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if file.name == ERRORED_PLAN {
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let listed = report["input_errors"][0]["message"].as_str().is_some_and(|m| m.contains("incomplete"));
        let empty = report["violations"].as_array().is_some_and(Vec::is_empty);
        return if exit == 2 && listed && empty && report["summary"]["complete"] == false {
            Ok(Vec::new())
        } else {
            Err(format!(
                "expected exit 2, a report listing the input error as \"incomplete\" and no results; got exit \
                 {exit}, stdout {}, stderr: {stderr}",
                String::from_utf8_lossy(&out.stdout)
            ))
        };
    }
    if exit != 0 && exit != 1 {
        return Err(format!("exit {exit}, stderr: {stderr}"));
    }
    let report: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("exit {exit}, stdout is not JSON ({e}), stderr: {stderr}"))?;
    let summary = &report["summary"];
    let mut problems = Vec::new();
    let (_, targets) = expected(file.folder, &decode_independently(&file.bytes()));
    if summary["resources_evaluated"] != targets {
        problems.push(format!("resources_evaluated {}, expected {targets}", summary["resources_evaluated"]));
    }
    let failed = summary["failed"].as_bool();
    if failed != Some(exit == 1) {
        problems.push(format!("exit {exit} but summary.failed is {}", summary["failed"]));
    }
    let format = &report["provenance"]["inputs"][0]["format"];
    if *format != expected_format(file.folder).to_string() {
        problems.push(format!("read as {format}"));
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    Ok(if exit == 1 { blocking(&report) } else { Vec::new() })
}

/// `policy xCOUNT` for every blocking violation and policy error (never
/// empty: a failed report with no blocking finding says so).
fn blocking(report: &Value) -> Vec<String> {
    let blocks = |v: &Value| matches!(v["enforcement_level"].as_str(), Some("mandatory" | "remediate"));
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let violations = report["violations"].as_array().into_iter().flatten();
    let decided = violations.filter(|v| blocks(v) && v["undecided"] != true);
    let errors = report["policy_errors"].as_array().into_iter().flatten().filter(|e| blocks(e));
    for v in decided {
        *counts.entry(v["policy"].as_str().unwrap_or("?").to_string()).or_default() += 1;
    }
    for e in errors {
        *counts.entry(format!("{} (error)", e["policy"].as_str().unwrap_or("?"))).or_default() += 1;
    }
    if counts.is_empty() {
        return vec!["no blocking finding in the report".to_string()];
    }
    counts.into_iter().map(|(policy, n)| format!("{policy} x{n}")).collect()
}

/// One run per corpus file; every broken expectation is reported by name.
#[test]
fn every_corpus_file_through_the_cli() {
    let files = corpus_files();
    let mut failures = Vec::new();
    let mut failed_reports = Vec::new();
    for file in &files {
        match check_one(file) {
            Err(why) => failures.push(format!("{}: {why}", file.label())),
            Ok(policies) if !policies.is_empty() => {
                failed_reports.push(format!("{}: {}", file.label(), policies.join(", ")));
            }
            Ok(_) => {}
        }
    }
    eprintln!("{} of {} files exit 1:\n{}", failed_reports.len(), files.len(), failed_reports.join("\n"));
    assert!(failures.is_empty(), "{} of {} files failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}
