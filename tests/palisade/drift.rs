//! `palisade drift` against moto server: a Terraform state and a Pulumi
//! stack export, merged, against a live scan and against its snapshot;
//! missing, unmanaged, changed, not checked, ignored, coverage, exit codes.

use serde_json::{Value, json};

use crate::moto::{self, palisade_aws};
use crate::support::code;

/// The seeded resources by name: `(arn, id)`.
fn by_name(seeded: &Value, name: &str) -> (String, String) {
    let r = seeded["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name} was seeded: {seeded}"));
    (r["arn"].as_str().unwrap_or("").to_string(), r["id"].as_str().unwrap_or("").to_string())
}

/// A Terraform state v4 resource.
fn tf(ty: &str, name: &str, attributes: Value) -> Value {
    json!({"mode": "managed", "type": ty, "name": name,
        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
        "instances": [{"schema_version": 0, "attributes": attributes, "sensitive_attributes": []}]})
}

fn names<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    let mut out: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e.pointer(field).and_then(Value::as_str).unwrap_or(""))
        .collect();
    out.sort();
    out
}

/// The seeded cloud of the drift test: what its state files refer to.
struct Seeded {
    data_arn: String,
    logs_arn: String,
    orders_url: String,
    vpc_arn: String,
    vpc_id: String,
}

/// Seeds buckets, queues, a parameter and a VPC; a reserved `aws:` tag on one bucket.
fn seed_drift_cloud(session: &moto::MotoSession) -> Seeded {
    let seeded = session.seed(&json!({"resources": [
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "palisade-data", "tags": {"owner": "data", "managed_by": "terraform"}},
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "palisade-logs", "tags": {"owner": "ops", "temp": "1", "managed_by": "terraform"}},
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "scratch-build-1", "tags": {"owner": "ci"}},
        {"kind": "sqs_queue", "region": "eu-west-1", "name": "orders", "tags": {"team": "shop"}},
        {"kind": "sqs_queue", "region": "eu-west-1", "name": "stray", "tags": {"team": "unknown"}},
        {"kind": "ssm_parameter", "region": "eu-west-1", "name": "/legacy/flag", "tags": {"legacy": "yes"}},
        {"kind": "ec2_vpc", "region": "eu-west-1", "name": "main", "tags": {"env": "prod"}},
        // Read by the IAM reader (the Tagging API does not list IAM).
        {"kind": "iam_role", "region": "eu-west-1", "name": "ci", "tags": {"team": "ci"}},
    ]}));
    let (data_arn, _) = by_name(&seeded, "palisade-data");
    let (logs_arn, _) = by_name(&seeded, "palisade-logs");
    let (_, orders_url) = by_name(&seeded, "orders");
    let (vpc_arn, vpc_id) = by_name(&seeded, "main");
    // CloudFormation's reserved tags on a managed resource are not drift.
    session.seed(&json!({"tag": [{"arn": data_arn, "region": "eu-west-1", "tags": {"aws:cloudformation:stack-name": "legacy"}}]}));

    Seeded { data_arn, logs_arn, orders_url, vpc_arn, vpc_id }
}

/// Writes the Terraform state, the Pulumi export and the ignore file into
/// `dir`; their paths, in that order.
fn write_drift_inputs(dir: &std::path::Path, seeded: &Seeded) -> [std::path::PathBuf; 3] {
    let Seeded { data_arn, logs_arn, orders_url, vpc_arn, vpc_id } = seeded;
    let state = json!({"version": 4, "terraform_version": "1.9.5", "serial": 3, "lineage": "drift-test", "outputs": {},
    "resources": [
        // In sync: `managed_by` comes from the provider's default tags (tags_all only).
        tf("aws_s3_bucket", "data", json!({"id": "palisade-data", "arn": data_arn, "bucket": "palisade-data",
            "tags": {"owner": "data"}, "tags_all": {"owner": "data", "managed_by": "terraform"}})),
        // Changed: owner differs, env removed in the cloud, temp added there.
        tf("aws_s3_bucket", "logs", json!({"id": "palisade-logs", "arn": logs_arn, "bucket": "palisade-logs",
            "tags": {"owner": "platform", "env": "prod"}, "tags_all": {"owner": "platform", "env": "prod", "managed_by": "terraform"}})),
        // Matched by id (a queue URL), no ARN in this state.
        tf("aws_sqs_queue", "orders", json!({"id": orders_url, "name": "orders", "tags": {"team": "shop"}, "tags_all": {"team": "shop"}})),
        // Missing: tagged, in a scanned region, not in the cloud.
        tf("aws_sqs_queue", "gone", json!({"id": "https://sqs.eu-west-1.amazonaws.com/123456789012/gone",
            "arn": "arn:aws:sqs:eu-west-1:123456789012:gone", "tags": {"team": "shop"}, "tags_all": {"team": "shop"}})),
        // Not checked: untagged, so invisible to the Tagging API.
        tf("aws_sqs_queue", "quiet", json!({"id": "https://sqs.eu-west-1.amazonaws.com/123456789012/quiet",
            "arn": "arn:aws:sqs:eu-west-1:123456789012:quiet", "tags": {}, "tags_all": {}})),
        // Not checked: a region the scan did not cover.
        tf("aws_sqs_queue", "far", json!({"id": "https://sqs.ap-south-1.amazonaws.com/123456789012/far",
            "arn": "arn:aws:sqs:ap-south-1:123456789012:far", "tags": {"team": "shop"}, "tags_all": {"team": "shop"}})),
        // Not checked: IAM is not served by the Tagging API.
        tf("aws_iam_role", "ci", json!({"id": "ci", "arn": "arn:aws:iam::123456789012:role/ci", "tags": {"team": "ci"}})),
    ]});
    let state_path = dir.join("terraform.tfstate");
    std::fs::write(&state_path, serde_json::to_vec_pretty(&state).expect("state")).expect("write state");
    // The VPC is declared by a Pulumi stack (the seed names EC2 resources
    // with a `Name` tag); the two files are merged.
    let export = json!({"version": 3, "deployment": {"manifest": {"time": "2026-11-30T00:00:00Z", "magic": "", "version": "v3.140.0"},
    "resources": [
        {"urn": "urn:pulumi:prod::net::pulumi:pulumi:Stack::net-prod", "custom": false, "type": "pulumi:pulumi:Stack"},
        {"urn": "urn:pulumi:prod::net::aws:ec2/vpc:Vpc::main", "custom": true, "id": vpc_id, "type": "aws:ec2/vpc:Vpc",
         "inputs": {"cidrBlock": "10.0.0.0/16", "tags": {"env": "prod", "Name": "main"}},
         "outputs": {"id": vpc_id, "arn": vpc_arn, "cidrBlock": "10.0.0.0/16", "tags": {"env": "prod", "Name": "main"}, "tagsAll": {"env": "prod", "Name": "main"}}}
    ]}});
    let export_path = dir.join("net.stack.json");
    std::fs::write(&export_path, serde_json::to_vec_pretty(&export).expect("export")).expect("write export");
    let ignore_path = dir.join(".palisadeignore");
    std::fs::write(
        &ignore_path,
        "# build scratch space\narn:aws:s3:::scratch-*\n\ntag:legacy=yes\ntype:aws_lambda_function\n",
    )
    .expect("write ignore file");

    [state_path, export_path, ignore_path]
}

/// The missing, unmanaged and changed resources (each tag key) of the report.
fn assert_drift_kinds(report: &Value) {
    assert_eq!(report["complete"], true);
    assert_eq!(names(&report["missing"], "/address"), vec!["aws_sqs_queue.gone"], "{report:#}");
    assert_eq!(names(&report["unmanaged"], "/arn"), vec!["arn:aws:sqs:eu-west-1:123456789012:stray"], "{report:#}");
    assert_eq!(names(&report["changed"], "/state/address"), vec!["aws_s3_bucket.logs"], "{report:#}");
    let mut tag_changes: Vec<(String, String, Value, Value)> = report["changed"][0]["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| {
            (
                t["key"].as_str().unwrap_or("").into(),
                t["kind"].as_str().unwrap_or("").into(),
                t["desired"].clone(),
                t["actual"].clone(),
            )
        })
        .collect();
    tag_changes.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        tag_changes,
        vec![
            ("env".into(), "removed".into(), json!("prod"), Value::Null),
            ("owner".into(), "changed".into(), json!("platform"), json!("ops")),
            ("temp".into(), "added".into(), Value::Null, json!("1")),
        ]
    );
}

/// The not-checked resources with their reasons, the ignored ones, and coverage.
fn assert_not_checked_ignored_and_coverage(report: &Value) {
    let mut not_checked: Vec<(&str, &str)> = report["not_checked"]
        .as_array()
        .expect("not_checked")
        .iter()
        .map(|n| (n["state"]["address"].as_str().unwrap_or(""), n["reason"].as_str().unwrap_or("")))
        .collect();
    not_checked.sort();
    assert_eq!(
        not_checked,
        vec![("aws_sqs_queue.far", "outside_scan"), ("aws_sqs_queue.quiet", "untagged")],
        "{report:#}"
    );
    let mut ignored = names(&report["ignored"], "/cloud/arn");
    ignored.sort();
    assert_eq!(
        ignored,
        vec!["arn:aws:s3:::scratch-build-1", "arn:aws:ssm:eu-west-1:123456789012:parameter/legacy/flag"]
    );
    let matched: Vec<u64> =
        report["ignore_rules"].as_array().expect("rules").iter().map(|r| r["matched"].as_u64().unwrap_or(99)).collect();
    assert_eq!(matched, vec![1, 1, 0], "each rule with its count: {report:#}");
    // Managed: data, logs, orders, the VPC, the role; unmanaged: stray. 5 / 6
    // (the VPCs' default security groups are AWS's: never unmanaged).
    assert_eq!(report["summary"]["coverage"]["managed"], 5, "{report:#}");
    assert_eq!(report["summary"]["coverage"]["unmanaged"], 1);
    assert_eq!(report["summary"]["coverage"]["percent"], 83.33);
    assert_eq!(report["summary"]["coverage_by_service"]["sqs"]["percent"], 50.0, "{report:#}");
}

#[test]
fn drift_reports_each_kind_against_a_live_scan_and_its_snapshot() {
    let session = moto::session();
    let seeded = seed_drift_cloud(&session);
    let dir = tempfile::tempdir().expect("tempdir");
    let [state_path, export_path, ignore_path] = write_drift_inputs(dir.path(), &seeded);
    let endpoint = session.endpoint();
    let snapshot_path = dir.path().join("inventory.json");
    let (state_arg, export_arg, ignore_arg, snapshot_arg) = (
        state_path.to_str().expect("utf-8"),
        export_path.to_str().expect("utf-8"),
        ignore_path.to_str().expect("utf-8"),
        snapshot_path.to_str().expect("utf-8"),
    );
    let drift = |source: &[&str]| {
        let mut args = vec!["drift", "--state", state_arg, "--state", export_arg, "--ignore-file", ignore_arg];
        args.extend_from_slice(source);
        palisade_aws(&session, &args)
    };
    let live = drift(&[
        "--endpoint-url",
        &endpoint,
        "--region",
        "eu-west-1",
        "--format",
        "json",
        "--save-inventory",
        snapshot_arg,
    ]);
    assert_eq!(code(&live), 1, "drift exits 1: {}", String::from_utf8_lossy(&live.stderr));
    let report: Value = serde_json::from_slice(&live.stdout).expect("the drift report is JSON");
    assert_drift_kinds(&report);
    assert_not_checked_ignored_and_coverage(&report);

    // The same comparison from the snapshot the live run saved, as text.
    let text = drift(&["--inventory", snapshot_arg]);
    assert_eq!(code(&text), 1, "{}", String::from_utf8_lossy(&text.stderr));
    let text = String::from_utf8_lossy(&text.stdout);
    for wanted in
        ["aws_sqs_queue.gone", "arn:aws:sqs:eu-west-1:123456789012:stray", "aws_s3_bucket.logs", "83.3%", "scratch-*"]
    {
        assert!(text.contains(wanted), "{wanted} in:\n{text}");
    }

    // In sync: only what the state declares, and no drift.
    let out = palisade_aws(
        &session,
        &[
            "drift",
            "--state",
            export_arg,
            "--endpoint-url",
            &endpoint,
            "--region",
            "eu-west-1",
            "--resource-type",
            "ec2:vpc",
        ],
    );
    assert_eq!(
        code(&out),
        0,
        "no drift exits 0: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn drift_refuses_inputs_that_are_not_state() {
    let session = moto::session();
    let out = palisade_aws(
        &session,
        &[
            "drift",
            "--state",
            "examples/plans/web-stack.tfplan.json",
            "--inventory",
            "scanner/tests/data/inventory/default-tags.inventory.json",
        ],
    );
    assert_eq!(code(&out), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("web-stack.tfplan.json") && stderr.contains("declared state"), "{stderr}");
    let dir = tempfile::tempdir().expect("tempdir");
    let bad_ignore = dir.path().join("ignore");
    std::fs::write(&bad_ignore, "arn:aws:s3:::ok-*\nregion:eu-west-1\n").expect("write");
    let out = palisade_aws(
        &session,
        &[
            "drift",
            "--state",
            "scanner/tests/data/tfstate/snyk__driftctl__aws_subnet.json",
            "--inventory",
            "x.json",
            "--ignore-file",
            bad_ignore.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code(&out), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(":2:") && stderr.contains("region:eu-west-1"), "the bad line by file and number: {stderr}");
}

/// The README's drift example: the findings and exit code it promises.
#[test]
fn readme_drift_example_reports_the_promised_findings() {
    let out = crate::support::palisade(
        &[
            "drift",
            "--state",
            "examples/drift/terraform.tfstate",
            "--inventory",
            "examples/drift/inventory.json",
            "--ignore-file",
            "examples/drift/palisadeignore",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let report = crate::support::json(&out);
    assert_eq!(names(&report["missing"], "/address"), vec!["aws_sns_topic.alerts"]);
    assert_eq!(names(&report["unmanaged"], "/tags/Name"), vec!["debug-box"]);
    assert_eq!(names(&report["changed"], "/state/address"), vec!["aws_instance.bastion", "aws_s3_bucket.audit"]);
    let bastion = &report["changed"][0]["attributes"][0];
    assert_eq!(
        (&bastion["attribute"], &bastion["declared"], &bastion["live"]),
        (&json!("instance_type"), &json!("t3.micro"), &json!("t3.large"))
    );
    assert_eq!(names(&report["not_checked"], "/state/address"), vec!["aws_iam_role.deploy", "aws_sqs_queue.scratch"]);
    assert_eq!(names(&report["ignored"], "/cloud/arn"), vec!["arn:aws:s3:::acme-tmp-export-2026"]);
    assert_eq!(report["summary"]["coverage"]["managed"], 6);
    assert_eq!(report["summary"]["coverage"]["unmanaged"], 1);
}

/// A snapshot is checked like any input: errors name the file and the JSON
/// path; versions other than 1 and 2 are refused; `check` reads a complete one.
#[test]
fn snapshots_are_validated_where_they_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::repo("examples/drift/inventory.json")).expect("read"),
    )
    .expect("json");
    let cases = [
        ("/version", json!(3), "inventory version 3"),
        ("/resources/1/tags", json!(["a"]), "$.resources[1].tags"),
        ("/scopes/0/status", json!("partial"), "$.scopes[0].status"),
    ];
    for (pointer, value, wanted) in cases {
        let mut bad = good.clone();
        *bad.pointer_mut(pointer).expect("the pointer exists") = value;
        let path = dir.path().join("bad.json");
        std::fs::write(&path, serde_json::to_vec(&bad).expect("json")).expect("write");
        let p = path.to_str().expect("utf-8");
        for args in [
            vec!["scan", "--inventory", p],
            vec!["drift", "--state", "examples/drift/terraform.tfstate", "--inventory", p],
            vec!["check", p],
        ] {
            let out = crate::support::palisade(&args, None);
            assert_eq!(code(&out), 2, "{args:?}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains(p) && stderr.contains(wanted), "{args:?}: {stderr}");
        }
    }
    let mut dup = good.clone();
    let first = dup["resources"][0].clone();
    dup["resources"].as_array_mut().expect("resources").push(first);
    let path = dir.path().join("dup.json");
    std::fs::write(&path, serde_json::to_vec(&dup).expect("json")).expect("write");
    let out = crate::support::palisade(&["scan", "--inventory", path.to_str().expect("utf-8")], None);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("$.resources["), "{}", String::from_utf8_lossy(&out.stderr));

    let out = crate::support::palisade(&["check", "examples/drift/inventory.json", "--format", "json"], None);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let report = crate::support::json(&out);
    assert_eq!(report["summary"]["complete"], true);
    assert_eq!(report["summary"]["resources_evaluated"], 8);
    assert_eq!(report["summary"]["violations"]["mandatory"], 0, "live resources never fail on unknown properties");
}
