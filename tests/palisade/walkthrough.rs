//! The README's five-minute walkthrough, run as a user runs it:
//! `examples/walkthrough/walkthrough.sh` against this test process's moto
//! (seed, scan, drift, remediate dry run and `--apply`, a re-run, the HTML
//! report, `schedule --once`), then its outputs checked.

use std::process::Command;

use serde_json::Value;

use crate::support::repo;

fn read_json(path: &std::path::Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_readme_walkthrough_runs_end_to_end_on_moto() {
    let moto = crate::moto::session();
    let work = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new("bash");
    cmd.arg(repo("examples/walkthrough/walkthrough.sh"))
        .arg(work.path())
        .env("PALISADE", env!("CARGO_BIN_EXE_palisade"))
        .env("PALISADE_MOTO_PYTHON", crate::moto::python());
    moto.command_env(&mut cmd);
    let out = cmd.output().expect("run the walkthrough");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "walkthrough failed ({:?}):\n{stdout}\n{stderr}", out.status);

    // Drift as the README describes it.
    assert!(stdout.contains("drift: 1 missing, 2 unmanaged, 1 changed"), "{stdout}");
    // The dry run planned four changes and changed nothing; the apply did three and one failed.
    let dry = read_json(&work.path().join("reports/dry-run/remediation.json"));
    assert_eq!(dry["run"]["mode"], "dry-run");
    assert_eq!(dry["summary"]["planned"], 4, "{}", dry["summary"]);
    assert_eq!(dry["summary"]["applied"], 0);
    let apply = read_json(&work.path().join("reports/apply/remediation.json"));
    assert_eq!((apply["summary"]["applied"].as_u64(), apply["summary"]["failed"].as_u64()), (Some(3), Some(1)));
    let failed: Vec<&Value> =
        apply["changes"].as_array().expect("changes").iter().filter(|c| c["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["arn"].as_str().is_some_and(|a| a.contains(":sqs:")), "moto refuses to tag SQS: {failed:?}");
    let html = std::fs::read_to_string(work.path().join("reports/apply/remediation.html")).expect("HTML report");
    assert!(html.contains("walkthrough-assets") && html.contains("platform-team"));
    // The re-run had only the queue left to try.
    let rerun = read_json(&work.path().join("reports/rerun/remediation.json"));
    assert_eq!(rerun["summary"]["planned"], 1, "{}", rerun["summary"]);
    assert_eq!(rerun["summary"]["applied"], 0);
    // One scheduled run, behind `latest`, with its reports.
    let latest = work.path().join("scheduled-reports/walkthrough/latest");
    let run = read_json(&latest.join("run.json"));
    assert_eq!(run["job"], "walkthrough", "{run}");
    assert!(latest.join("inventory.json").is_file() && latest.join("drift.json").is_file());
}
