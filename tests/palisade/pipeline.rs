//! The one check pipeline (`palisade_engine::pipeline`): `check`, `scan
//! --inventory --pack` and `remediate` give the same findings, the same
//! redaction and the same input digest for the same snapshot.
//!
//! Pins the bug of issue 15: `scan --pack` printed the value of a tag named
//! `db_password` in clear, where `check` printed `[secret]`, and the two
//! commands computed different input digests.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{code, json, palisade};

/// The secret tag's value: it must appear in no output of any command.
const SECRET: &str = "hunter2-Tr0ub4dor";

/// A snapshot of two buckets; one carries a tag named `db_password`.
fn snapshot(dir: &Path) -> String {
    let resource = |name: &str, tags: Value| {
        serde_json::json!({
            "arn": format!("arn:aws:s3:::{name}"), "service": "s3", "resource_type": "s3:bucket",
            "terraform_type": "aws_s3_bucket", "id": name, "region": "eu-west-1",
            "account": "123456789012", "tags": tags, "seen_at": "2026-12-01T00:00:01Z"
        })
    };
    let doc = serde_json::json!({
        "format": "palisade-inventory", "version": 1, "provider": "aws",
        "started_at": "2026-12-01T00:00:00Z", "finished_at": "2026-12-01T00:00:02Z",
        "filters": {"resource_types": [], "tags": []},
        "scopes": [{"account": "123456789012", "region": "eu-west-1", "status": "complete",
                    "pages": 1, "resources": 2}],
        "resources": [
            resource("app-data", serde_json::json!({"db_password": SECRET, "owner": "team-a"})),
            resource("app-logs", serde_json::json!({"owner": "team-b"})),
        ]
    });
    let path = dir.join("snap.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).expect("serializes")).expect("write snapshot");
    path.display().to_string()
}

/// The config of the issue: `required-tags` mandatory, with an allowed
/// value for `db_password` that the tag does not have.
fn config(dir: &Path) -> String {
    let path = dir.join("c.json");
    let doc = r#"{"required-tags": {"enforcementLevel": "mandatory", "allowed": {"db_password": ["nope"]}}}"#;
    std::fs::write(&path, doc).expect("write config");
    path.display().to_string()
}

/// `(policy, resource, message, level, undecided)` of each violation.
fn findings(violations: &Value) -> BTreeSet<(String, String, String, String, bool)> {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    violations
        .as_array()
        .expect("violations is a list")
        .iter()
        .map(|v| {
            let level = text(v, "enforcement_level");
            (text(v, "policy"), text(v, "resource"), text(v, "message"), level, v["undecided"] == true)
        })
        .collect()
}

/// Every file under `dir`, read as text.
fn files_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            text.push_str(&files_text(&path));
        } else {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).expect("read file")));
        }
    }
    text
}

#[test]
fn check_scan_and_remediate_give_the_same_findings_redaction_and_digest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (snap, config) = (snapshot(dir.path()), config(dir.path()));
    let digest = hex::encode(Sha256::digest(std::fs::read(&snap).expect("read snapshot")));

    let check = palisade(&["check", "--config", &config, "--format", "json", &snap], None);
    let scan = palisade(
        &["scan", "--inventory", &snap, "--pack", "builtin:aws-baseline", "--config", &config, "--format", "json"],
        None,
    );
    let reports = dir.path().join("reports");
    let plan = dir.path().join("plan.json");
    let remediate = palisade(
        &[
            "remediate",
            "--inventory",
            &snap,
            "--config",
            &config,
            "--plan-out",
            &plan.display().to_string(),
            "--report-dir",
            &reports.display().to_string(),
        ],
        None,
    );
    assert_eq!((code(&check), code(&scan)), (1, 1), "a mandatory violation fails check and scan");
    let (check, scan, remediate_out) = (json(&check), json(&scan), remediate);

    // The same findings: a mandatory required-tags violation on the bucket
    // with the secret tag, its value shown as [secret].
    let from_check = findings(&check["violations"]);
    assert_eq!(from_check, findings(&scan["violations"]), "check and scan --pack disagree");
    let tagged: Vec<_> = from_check.iter().filter(|f| f.0 == "required-tags" && f.3 == "mandatory").collect();
    assert!(
        tagged.iter().any(|f| f.1.ends_with(":app-data") && f.2.contains("db_password") && f.2.contains("[secret]")),
        "expected a required-tags violation naming db_password as [secret]: {from_check:#?}"
    );
    let remediation = serde_json::from_str::<Value>(
        &std::fs::read_to_string(reports.join("remediation.json")).expect("remediation.json written"),
    )
    .expect("remediation.json is JSON");
    assert_eq!(from_check, findings(&remediation["violations"]), "check and remediate disagree");

    // The same digest: the SHA-256 of the snapshot's bytes, in both reports
    // and in the remediation plan.
    for report in [&check, &scan] {
        assert_eq!(report["provenance"]["inputs"][0]["sha256"], digest.as_str(), "{}", report["provenance"]);
    }
    let plan: Value = serde_json::from_slice(&std::fs::read(&plan).expect("plan written")).expect("plan is JSON");
    assert_eq!(plan["inventory"]["sha256"], digest.as_str());

    // The secret reaches no output: reports, standard streams, report files.
    let streams = format!(
        "{}{}{}{}",
        check,
        scan,
        String::from_utf8_lossy(&remediate_out.stdout),
        String::from_utf8_lossy(&remediate_out.stderr)
    );
    assert!(!streams.contains(SECRET), "the secret tag value was printed");
    assert!(!files_text(&reports).contains(SECRET), "the secret tag value is in the remediation report");
    assert!(!plan.to_string().contains(SECRET), "the secret tag value is in the remediation plan");
}
