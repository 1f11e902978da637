//! `run.json`, the webhook event body, and the counts read from a run's
//! reports.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use super::phase;
use crate::schedule::record::{Counts, DriftCounts, EventKind, PhaseRecord, Reports, RunRecord, read_counts};

/// A finished run of job `nightly` with drift found.
fn record(dir: &Path) -> RunRecord {
    RunRecord {
        format: "palisade-schedule-run",
        version: 1,
        job: "nightly".to_string(),
        run_id: "20261130T101500Z".to_string(),
        scheduled_for: Some("2026-11-30T10:15:00Z".to_string()),
        started_at: "2026-11-30T10:15:01Z".to_string(),
        finished_at: "2026-11-30T10:16:30Z".to_string(),
        exit_code: 1,
        scan_complete: true,
        interrupted: false,
        skipped_ticks: 2,
        phases: vec![phase("scan", Some(0)), phase("drift", Some(1))],
        counts: Counts {
            resources: Some(4),
            drift: Some(DriftCounts { missing: 1, unmanaged: 2, changed: 0 }),
            violations: None,
            remediation: None,
        },
        events: vec![EventKind::DriftDetected],
        reports: Reports::found(dir, Path::new("/reports/nightly/20261130T101500Z")),
        palisade_version: env!("CARGO_PKG_VERSION"),
    }
}

#[test]
fn the_event_body_carries_the_run_and_its_reports() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    fs::write(dir.path().join("inventory.json"), "{}").expect("a report");
    fs::write(dir.path().join("drift.json"), "{}").expect("a report");
    let record = record(dir.path());
    let body = serde_json::to_value(record.event(EventKind::DriftDetected)).expect("JSON");
    let run = "/reports/nightly/20261130T101500Z";
    assert_eq!(
        body,
        json!({
            "format": "palisade-schedule-event",
            "version": 1,
            "event": "drift_detected",
            "job": "nightly",
            "run_id": "20261130T101500Z",
            "time": "2026-11-30T10:16:30Z",
            "started_at": "2026-11-30T10:15:01Z",
            "exit_code": 1,
            "counts": {
                "resources": 4,
                "drift": {"missing": 1, "unmanaged": 2, "changed": 0},
                "violations": null,
                "remediation": null,
            },
            "reports": {
                "dir": run,
                "run": format!("{run}/run.json"),
                "inventory": format!("{run}/inventory.json"),
                "drift": format!("{run}/drift.json"),
                "violations": null,
                "remediation": null,
                "remediation_html": null,
            },
            "palisade_version": env!("CARGO_PKG_VERSION"),
        })
    );
}

#[test]
fn run_json_has_every_field() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let value = serde_json::to_value(record(dir.path())).expect("JSON");
    let Value::Object(fields) = &value else { panic!("an object: {value}") };
    let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = [
        "format",
        "version",
        "job",
        "run_id",
        "scheduled_for",
        "started_at",
        "finished_at",
        "exit_code",
        "scan_complete",
        "interrupted",
        "skipped_ticks",
        "phases",
        "counts",
        "events",
        "reports",
        "palisade_version",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(value["skipped_ticks"], 2);
    assert_eq!(
        value["phases"][1],
        json!({
            "phase": "drift",
            "args": ["drift"],
            "started_at": "2026-11-30T10:15:00Z",
            "duration_ms": 1200,
            "exit_code": 1,
            "timed_out": false,
            "error": null,
            "log": "logs/drift.log",
        })
    );
}

#[test]
fn counts_come_from_the_reports_and_absent_or_unreadable_ones_are_null() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let run = dir.path();
    assert_eq!(
        serde_json::to_value(read_counts(run)).expect("JSON"),
        json!({
            "resources": null, "drift": null, "violations": null, "remediation": null,
        })
    );
    fs::write(run.join("inventory.json"), r#"{"resources": [{"arn": "a"}, {"arn": "b"}], "scopes": []}"#)
        .expect("a report");
    let drift = r#"{"summary": {"missing": 1, "unmanaged": 2, "changed": 3, "coverage": 0.5}}"#;
    fs::write(run.join("drift.json"), drift).expect("a report");
    let check = r#"{"summary": {"violations": {"advisory": 1, "mandatory": 2, "remediate": 3}}}"#;
    fs::write(run.join("violations.json"), check).expect("a report");
    fs::create_dir(run.join("remediation")).expect("a folder");
    fs::write(run.join("remediation/remediation.json"), "{\"summary\": ").expect("a cut report");
    let counts = read_counts(run);
    assert_eq!(counts.resources, Some(2));
    assert_eq!(counts.drift, Some(DriftCounts { missing: 1, unmanaged: 2, changed: 3 }));
    assert_eq!(counts.violations, Some(6), "every level counts");
    assert_eq!(counts.remediation, None, "a report that does not read counts as absent");
    // A summary that is not a remediation report's (v1 fields only, no
    // `remaining`) does not read either.
    let partial = r#"{"summary": {"planned": 4, "applied": 3, "failed": 1, "needs_human": 2}}"#;
    fs::write(run.join("remediation/remediation.json"), partial).expect("a report");
    assert_eq!(read_counts(run).remediation, None);
}

#[test]
fn a_phase_counts_zero_one_or_two() {
    let codes = [Some(0), Some(1), Some(2), Some(3), Some(-1), None];
    let verdicts: Vec<u8> = codes.iter().map(|&c| PhaseRecord::code(&phase("scan", c))).collect();
    assert_eq!(verdicts, [0, 1, 2, 2, 2, 2]);
}

#[test]
fn event_names_are_snake_case_in_bodies_and_logs() {
    for kind in [
        EventKind::DriftDetected,
        EventKind::DriftClean,
        EventKind::ScanIncomplete,
        EventKind::RemediationApplied,
        EventKind::RemediationFailed,
        EventKind::RunFailed,
    ] {
        assert_eq!(serde_json::to_value(kind).expect("JSON"), json!(kind.as_str()));
    }
}
