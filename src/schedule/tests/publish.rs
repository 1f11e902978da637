//! A run's verdict (exit code, events) from its phases and counts, and
//! `run.json` as written.

use std::fs;

use super::phase;
use crate::schedule::publish::{PublishError, Verdict, write_record};
use crate::schedule::record::{Counts, EventKind, RemediationCounts, RunRecord};

/// The verdict of phases that exited so (`None`: killed), without
/// auto-remediation nor interruption.
fn verdict(phases: &[(&'static str, Option<i32>)], counts: &Counts, auto_remediate: bool) -> Verdict {
    let phases: Vec<_> = phases.iter().map(|&(name, code)| phase(name, code)).collect();
    Verdict::of(&phases, counts, auto_remediate, false)
}

fn remediated(applied: u64, failed: u64) -> Counts {
    let counts = RemediationCounts { planned: 2, applied, failed, ..RemediationCounts::default() };
    Counts { remediation: Some(counts), ..Counts::default() }
}

#[test]
fn drift_sets_the_event_and_the_exit_code() {
    let none = Counts::default();
    let clean = verdict(&[("scan", Some(0)), ("drift", Some(0))], &none, false);
    assert_eq!(clean, Verdict { exit_code: 0, scan_complete: true, events: vec![EventKind::DriftClean] });
    let found = verdict(&[("scan", Some(0)), ("drift", Some(1))], &none, false);
    assert_eq!(found, Verdict { exit_code: 1, scan_complete: true, events: vec![EventKind::DriftDetected] });
    let failed = verdict(&[("scan", Some(0)), ("drift", Some(2))], &none, false);
    assert_eq!(failed, Verdict { exit_code: 2, scan_complete: true, events: vec![EventKind::RunFailed] });
}

#[test]
fn an_incomplete_scan_sends_only_scan_incomplete() {
    let none = Counts::default();
    for scan in [Some(2), None] {
        let v = verdict(&[("scan", scan), ("drift", Some(1)), ("check", Some(1))], &none, true);
        assert_eq!(v, Verdict { exit_code: 2, scan_complete: false, events: vec![EventKind::ScanIncomplete] });
    }
    // No phase at all (none started): an error.
    assert_eq!(verdict(&[], &none, false).exit_code, 2);
}

#[test]
fn remediation_replaces_checks_violations() {
    let phases = [("scan", Some(0)), ("check", Some(1)), ("remediate", Some(0))];
    let v = verdict(&phases, &remediated(2, 0), true);
    assert_eq!(v, Verdict { exit_code: 0, scan_complete: true, events: vec![EventKind::RemediationApplied] });
    // A dry run left the violations: remediate's 1 stands.
    let dry = verdict(&[("scan", Some(0)), ("check", Some(1)), ("remediate", Some(1))], &Counts::default(), false);
    assert_eq!(dry, Verdict { exit_code: 1, scan_complete: true, events: vec![] });
    // Check's errors still count.
    let broken = verdict(&[("scan", Some(0)), ("check", Some(2)), ("remediate", Some(0))], &Counts::default(), false);
    assert_eq!(broken.exit_code, 2);
    assert_eq!(broken.events, [EventKind::RunFailed]);
}

#[test]
fn auto_remediation_failures_are_remediation_failed_not_run_failed() {
    let phases = [("scan", Some(0)), ("check", Some(1)), ("remediate", Some(1))];
    let v = verdict(&phases, &remediated(1, 1), true);
    assert_eq!(v, Verdict { exit_code: 1, scan_complete: true, events: vec![EventKind::RemediationFailed] });
    let errored = [("scan", Some(0)), ("check", Some(1)), ("remediate", Some(2))];
    let v = verdict(&errored, &Counts::default(), true);
    assert_eq!(v, Verdict { exit_code: 2, scan_complete: true, events: vec![EventKind::RemediationFailed] });
    // Without auto_remediate, remediation's error is the run's.
    let v = verdict(&errored, &Counts::default(), false);
    assert_eq!(v.events, [EventKind::RunFailed]);
    // Nothing to apply: no remediation event.
    let v = verdict(&[("scan", Some(0)), ("check", Some(0)), ("remediate", Some(0))], &remediated(0, 0), true);
    assert_eq!(v.events, []);
}

#[test]
fn an_interrupted_run_counts_two() {
    let phases = [phase("scan", Some(0)), phase("check", Some(1)), phase("remediate", Some(1))];
    let v = Verdict::of(&phases, &remediated(1, 1), true, true);
    assert_eq!(v, Verdict { exit_code: 2, scan_complete: true, events: vec![EventKind::RemediationFailed] });
}

#[test]
fn run_json_is_pretty_with_a_final_newline() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let record = RunRecord {
        format: "palisade-schedule-run",
        version: 1,
        job: "nightly".to_string(),
        run_id: "20261130T101500Z".to_string(),
        scheduled_for: None,
        started_at: "2026-11-30T10:15:01Z".to_string(),
        finished_at: "2026-11-30T10:16:30Z".to_string(),
        exit_code: 0,
        scan_complete: true,
        interrupted: false,
        skipped_ticks: 0,
        phases: vec![phase("scan", Some(0))],
        counts: Counts::default(),
        events: vec![],
        reports: Default::default(),
        palisade_version: "0.0.0",
    };
    write_record(dir.path(), &record).expect("run.json is written");
    let text = fs::read_to_string(dir.path().join("run.json")).expect("run.json");
    assert!(text.starts_with("{\n  \"format\": \"palisade-schedule-run\",\n"), "{text}");
    assert!(text.ends_with("}\n") && !text.ends_with("\n\n"), "{text}");
    let missing = dir.path().join("gone");
    let err = write_record(&missing, &record).expect_err("no folder");
    assert!(matches!(&err, PublishError::Create { dir, .. } if *dir == missing), "{err:?}");
}
