//! `palisade scan` against moto server (a real HTTP endpoint, the real AWS
//! SDK): regions, pages, S3 de-duplication, filters, policies on live
//! resources, retries under throttling and incomplete scans.

use std::path::Path;

use serde_json::{Value, json};

use crate::moto::{self, MotoSession, palisade_aws};
use crate::support::{code, root, stderr};

/// `palisade scan --endpoint-url MOTO --region R... EXTRA...`.
fn scan_live(session: &MotoSession, regions: &[&str], extra: &[&str]) -> std::process::Output {
    let endpoint = session.endpoint();
    let mut args = vec!["scan", "--endpoint-url", endpoint.as_str()];
    for region in regions {
        args.extend(["--region", region]);
    }
    args.extend_from_slice(extra);
    palisade_aws(session, &args)
}

/// The snapshot written to `path`.
pub fn snapshot(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("the snapshot is JSON")
}

/// Buckets in eu-west-1, 120 queues in eu-west-1 (more than one page), SSM
/// parameters in us-east-1.
fn seed_two_regions(session: &MotoSession) -> Value {
    session.seed(&json!({"resources": [
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "palisade-logs", "tags": {"owner": "ops"}},
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "palisade-assets", "tags": {"team": "web"}},
        {"kind": "sqs_queue", "region": "eu-west-1", "name": "jobs", "count": 120, "tags": {"team": "data"}},
        {"kind": "ssm_parameter", "region": "us-east-1", "name": "/app/setting", "count": 5, "tags": {"team": "web"}},
    ]}))
}

/// Asserts that `snapshot` follows `engine/schema/inventory.schema.json`.
pub fn assert_valid_snapshot(snapshot: &Value) {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(crate::support::repo("engine/schema/inventory.schema.json")).expect("schema"),
    )
    .expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(snapshot).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn arns(snapshot: &Value) -> Vec<String> {
    snapshot["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r["arn"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn scan_covers_regions_pages_and_counts_s3_once() {
    let session = moto::session();
    let seeded = seed_two_regions(&session);
    let dir = tempfile::tempdir().expect("tempdir");
    let out_path = dir.path().join("inventory.json");
    let out = scan_live(&session, &["eu-west-1", "us-east-1"], &["-o", out_path.to_str().expect("utf-8")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let snap = snapshot(&out_path);
    assert_valid_snapshot(&snap);
    assert_eq!(snap["format"], "palisade-inventory");
    assert_eq!(snap["version"], 2);
    let scopes = snap["scopes"].as_array().expect("scopes");
    // Two regions, and the account's global scope (the S3 bucket list).
    assert_eq!(scopes.len(), 3);
    for scope in scopes {
        assert_eq!(scope["status"], "complete", "{scope}");
        assert_eq!(scope["account"], "123456789012", "{scope}");
    }
    let eu = scopes.iter().find(|s| s["region"] == "eu-west-1").expect("eu-west-1 scope");
    assert!(eu["pages"].as_u64().unwrap_or(0) >= 2, "120 queues take more than one page: {eu}");
    // 2 buckets + 120 queues + 5 parameters, each once although moto
    // returns the buckets in both regions; and each region's default VPC's
    // default security group, untagged, found by the EC2 reader.
    let found = arns(&snap);
    assert_eq!(found.len(), 129, "{found:?}");
    let mut expected: Vec<String> = seeded["resources"]
        .as_array()
        .expect("seeded")
        .iter()
        .map(|r| r["arn"].as_str().unwrap_or("").to_string())
        .collect();
    let defaults: Vec<&Value> =
        snap["resources"].as_array().expect("resources").iter().filter(|r| r["part_of"] == "aws").collect();
    assert_eq!(defaults.len(), 2, "{defaults:#?}");
    for default in defaults {
        assert_eq!(default["terraform_type"], "aws_security_group");
        assert_eq!(default["properties"]["name"], "default");
        expected.push(default["arn"].as_str().unwrap_or("").to_string());
    }
    expected.sort();
    assert_eq!(found, expected);
    let bucket = snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["arn"] == "arn:aws:s3:::palisade-logs")
        .expect("bucket");
    assert_eq!(bucket["terraform_type"], "aws_s3_bucket");
    assert_eq!(bucket["id"], "palisade-logs");
    assert_eq!(bucket["tags"], json!({"owner": "ops"}), "joined by ARN from the Tagging API sweep");
    assert_eq!(bucket["found_by"], "s3:ListBuckets");
    assert_eq!(bucket["region"], "eu-west-1", "GetBucketLocation");
    let queue =
        snap["resources"].as_array().expect("resources").iter().find(|r| r["resource_type"] == "sqs").expect("a queue");
    assert_eq!(queue["terraform_type"], "aws_sqs_queue");
    assert_eq!(queue["region"], "eu-west-1");
    // The text summary of the same snapshot, read back.
    let out = palisade_aws(&session, &["scan", "--inventory", out_path.to_str().expect("utf-8")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("COMPLETE: 129 resources in 3 scopes (0 incomplete)"), "{text}");
}

#[test]
fn scan_filters_map_to_the_api() {
    let session = moto::session();
    seed_two_regions(&session);
    let run = |extra: &[&str]| {
        let mut args = vec!["--format", "json"];
        args.extend_from_slice(extra);
        let out = scan_live(&session, &["eu-west-1", "us-east-1"], &args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let snap: Value = serde_json::from_slice(&out.stdout).expect("json snapshot on stdout");
        arns(&snap)
    };
    let web = run(&["--tag", "team=web"]);
    assert_eq!(web.len(), 6, "one bucket and five parameters: {web:?}");
    assert!(web.contains(&"arn:aws:s3:::palisade-assets".to_string()));
    let either = run(&["--tag", "team=web", "--tag", "team=data"]);
    assert_eq!(either.len(), 126, "values of one key are alternatives: {}", either.len());
    let buckets = run(&["--resource-type", "s3"]);
    assert_eq!(buckets, vec!["arn:aws:s3:::palisade-assets".to_string(), "arn:aws:s3:::palisade-logs".to_string()]);
    let owned_buckets = run(&["--resource-type", "s3", "--tag", "owner"]);
    assert_eq!(owned_buckets, vec!["arn:aws:s3:::palisade-logs".to_string()]);
}

#[test]
fn scan_runs_packs_on_live_resources() {
    let session = moto::session();
    seed_two_regions(&session);
    session.seed(&json!({"resources": [
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "palisade-public", "config": {"acl": "public-read"}},
    ]}));
    let out = scan_live(&session, &["eu-west-1"], &["--pack", "builtin:aws-baseline", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    // The buckets are read in full: the public one fails, the others pass;
    // nothing is undecided.
    assert_eq!(code(&out), 1, "{report:#}");
    assert_eq!(report["summary"]["complete"], true);
    let violations = report["violations"].as_array().expect("violations");
    let found: Vec<(&str, &str, bool)> = violations
        .iter()
        .map(|v| (v["resource"].as_str().unwrap_or(""), v["policy"].as_str().unwrap_or(""), v["undecided"] == true))
        .collect();
    assert_eq!(
        found,
        vec![("arn:aws:s3:::palisade-public", "aws-s3-bucket-disallow-public-read", false)],
        "{report:#}"
    );
    assert_eq!(report["provenance"]["inputs"][0]["format"], "inventory");

    // A tag policy decides on live resources as on planned ones.
    let dir = tempfile::tempdir().expect("tempdir");
    let pack = dir.path().join("example-rust.wasm");
    crate::support::run_build_script("examples/policies/rust/build.sh", &pack, "rust");
    let out = scan_live(&session, &["eu-west-1"], &["--pack", pack.to_str().expect("utf-8"), "--format", "json"]);
    assert_eq!(code(&out), 0, "required-tags is advisory: {}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    let decided: Vec<(String, String)> = report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter(|v| v["undecided"] == false)
        .map(|v| (v["resource"].as_str().unwrap_or("").to_string(), v["policy"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        decided,
        vec![
            ("arn:aws:s3:::palisade-assets".to_string(), "required-tags".to_string()),
            ("arn:aws:s3:::palisade-public".to_string(), "required-tags".to_string()),
        ],
        "untagged resources are found too: {report:#}"
    );
}

#[test]
fn throttling_is_retried_and_a_region_that_keeps_failing_is_incomplete() {
    let session = moto::session();
    seed_two_regions(&session);
    let dir = tempfile::tempdir().expect("tempdir");
    let clean_path = dir.path().join("clean.json");
    let endpoint = session.endpoint();
    let regions = ["--region", "eu-west-1", "--region", "us-east-1"];
    let fast = ["--retry-backoff-ms", "5"];
    let mut args = vec!["scan", "--endpoint-url", &endpoint, "-o", clean_path.to_str().expect("utf-8")];
    args.extend_from_slice(&regions);
    let out = palisade_aws(&session, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // Every third call throttled: retries make the scan whole.
    let proxy = session.throttle_proxy(3, &[]);
    let proxy_url = proxy.endpoint();
    let throttled_path = dir.path().join("throttled.json");
    let mut args = vec!["scan", "--endpoint-url", &proxy_url, "-o", throttled_path.to_str().expect("utf-8")];
    args.extend_from_slice(&regions);
    args.extend_from_slice(&fast);
    let out = palisade_aws(&session, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let stats = proxy.stats();
    assert!(stats["throttled"].as_u64().unwrap_or(0) >= 1, "the proxy throttled some calls: {stats}");
    assert_eq!(arns(&snapshot(&throttled_path)), arns(&snapshot(&clean_path)), "retries lose nothing");

    // A region that is always throttled: incomplete, with the error; the
    // other region's resources are kept; exit 2; never "0 resources, clean".
    let failing = session.throttle_proxy(0, &["us-east-1"]);
    let failing_url = failing.endpoint();
    let partial_path = dir.path().join("partial.json");
    let mut args = vec!["scan", "--endpoint-url", &failing_url, "-o", partial_path.to_str().expect("utf-8")];
    args.extend_from_slice(&regions);
    args.extend_from_slice(&fast);
    args.extend_from_slice(&["--max-attempts", "3"]);
    let out = palisade_aws(&session, &args);
    assert_eq!(code(&out), 2, "an incomplete scan exits 2: {}", stderr(&out));
    assert!(stderr(&out).contains("incomplete"), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("INCOMPLETE"), "{text}");
    let snap = snapshot(&partial_path);
    let us = snap["scopes"].as_array().expect("scopes").iter().find(|s| s["region"] == "us-east-1").expect("us-east-1");
    assert_eq!(us["status"], "incomplete", "{us}");
    assert!(us["error"].as_str().unwrap_or("").contains("Throttling"), "{us}");
    let eu = snap["scopes"].as_array().expect("scopes").iter().find(|s| s["region"] == "eu-west-1").expect("eu-west-1");
    assert_eq!(eu["status"], "complete", "{eu}");

    // The incomplete snapshot stays incomplete wherever it is read.
    let partial = partial_path.to_str().expect("utf-8");
    let out = palisade_aws(&session, &["scan", "--inventory", partial, "--pack", "builtin:aws-baseline"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("INCOMPLETE"));
    let out = palisade_aws(&session, &["check", partial, "--format", "json"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(report["summary"]["complete"], false);
    let empty_state = dir.path().join("empty.tfstate");
    std::fs::write(
        &empty_state,
        r#"{"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "x", "outputs": {}, "resources": []}"#,
    )
    .expect("write state");
    let out =
        palisade_aws(&session, &["drift", "--state", empty_state.to_str().expect("utf-8"), "--inventory", partial]);
    assert_eq!(code(&out), 2, "drift on an incomplete snapshot exits 2, with drift found too: {}", stderr(&out));
}

#[test]
fn bad_scan_options_are_usage_errors() {
    let session = moto::session();
    let endpoint = session.endpoint();
    for (args, wanted) in [
        (vec!["scan", "--endpoint-url", endpoint.as_str(), "--region", "Mars-1"], "not a region name"),
        (
            vec!["scan", "--endpoint-url", endpoint.as_str(), "--assume-role", "arn:aws:s3:::bucket"],
            "not an IAM role ARN",
        ),
        (vec!["scan", "--endpoint-url", endpoint.as_str(), "--tag", "=x"], "key is empty"),
        (vec!["scan", "--inventory", "x.json", "--region", "eu-west-1"], "cannot go with it"),
    ] {
        let out = palisade_aws(&session, &args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(stderr(&out).contains(wanted), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn assumed_roles_scan_their_own_accounts() {
    let session = moto::session();
    seed_two_regions(&session);
    let out = scan_live(
        &session,
        &["eu-west-1"],
        &[
            "--format",
            "json",
            "--assume-role",
            "arn:aws:iam::111111111111:role/audit",
            "--assume-role",
            "arn:aws:iam::222222222222:role/audit",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let snap: Value = serde_json::from_slice(&out.stdout).expect("snapshot");
    let scopes: Vec<(String, String)> = snap["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .map(|s| (s["account"].as_str().unwrap_or("").to_string(), s["role_arn"].as_str().unwrap_or("").to_string()))
        .collect();
    // Per account its region and its global scope (IAM, the bucket list).
    let account = |id: &str| (id.to_string(), format!("arn:aws:iam::{id}:role/audit"));
    assert_eq!(
        scopes,
        vec![account("111111111111"), account("111111111111"), account("222222222222"), account("222222222222")]
    );
    let regions: Vec<&str> =
        snap["scopes"].as_array().expect("scopes").iter().filter_map(|s| s["region"].as_str()).collect();
    assert_eq!(regions, vec!["eu-west-1", "global", "eu-west-1", "global"]);
    // Each account's readers see that account's resources only (moto keeps
    // accounts apart; the roles assumed need not exist in them).
    for r in snap["resources"].as_array().expect("resources") {
        let account = r["account"].as_str().unwrap_or_default();
        assert!(["111111111111", "222222222222"].contains(&account), "{r:#}");
    }
}

#[test]
fn a_named_profile_supplies_credentials_and_region() {
    let session = moto::session();
    seed_two_regions(&session);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config");
    let credentials = dir.path().join("credentials");
    std::fs::write(&config, "[profile audit]\nregion = us-east-1\n").expect("write config");
    std::fs::write(&credentials, "[audit]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
        .expect("write credentials");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_palisade"));
    session.command_env(&mut cmd);
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .args([
            "scan",
            "--profile",
            "audit",
            "--endpoint-url",
            &session.endpoint(),
            "--format",
            "json",
            "--region",
            "us-east-1",
        ]);
    let out = cmd.output().expect("palisade runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let snap: Value = serde_json::from_slice(&out.stdout).expect("snapshot");
    assert_eq!(arns(&snap).iter().filter(|a| a.contains(":ssm:us-east-1:")).count(), 5);
    // Without the profile there are no credentials: a setup error, not an empty scan.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_palisade"));
    session.command_env(&mut cmd);
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .args(["scan", "--endpoint-url", &session.endpoint(), "--region", "us-east-1"]);
    let out = cmd.output().expect("palisade runs");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot identify the AWS account"), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "nothing that could read as a clean scan");
}

/// Regressions from a new user's trial of `scan`.
#[test]
fn trial_regressions_of_scan() {
    let session = moto::session();
    seed_two_regions(&session);
    let dir = tempfile::tempdir().expect("tempdir");

    // A 200 answer without the resource list is a broken endpoint, never an empty region.
    let blank = session.proxy(0, &[], &["GetResources"]);
    let out = palisade_aws(&session, &["scan", "--endpoint-url", &blank.endpoint(), "--region", "eu-west-1"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("no ResourceTagMappingList"), "{}", stderr(&out));

    // --profile wins over credentials in the environment: an unknown profile is an error.
    let out = scan_live(&session, &["eu-west-1"], &["--profile", "no-such-profile"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot identify the AWS account"), "{}", stderr(&out));

    // A bare KEY accepts any value, whatever KEY=VALUE also named.
    let out =
        scan_live(&session, &["eu-west-1", "us-east-1"], &["--format", "json", "--tag", "team", "--tag", "team=web"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let snap: Value = serde_json::from_slice(&out.stdout).expect("snapshot");
    assert_eq!(arns(&snap).len(), 126, "every team-tagged resource");

    // Terraform type names are translated; shapes that are no type are refused.
    let out = scan_live(&session, &["eu-west-1"], &["--format", "json", "--resource-type", "aws_sqs_queue"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let snap: Value = serde_json::from_slice(&out.stdout).expect("snapshot");
    assert_eq!(snap["filters"]["resource_types"], json!(["sqs"]));
    assert_eq!(arns(&snap).len(), 120);
    for bad in ["", "EC2", "aws_unheard_of"] {
        let out = scan_live(&session, &["eu-west-1"], &["--resource-type", bad]);
        assert_eq!(code(&out), 2, "{bad:?}: {}", stderr(&out));
    }
    // Partitions do not mix; --all-regions goes without --region.
    let out = scan_live(&session, &["eu-west-1", "cn-north-1"], &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("different partitions"), "{}", stderr(&out));
    let out = scan_live(&session, &["eu-west-1"], &["--all-regions"]);
    assert_eq!(code(&out), 2);

    // `-o -` puts the snapshot alone on standard output (the summary goes to
    // standard error); with --pack it is refused. A snapshot with no scopes is refused.
    let out = scan_live(&session, &["eu-west-1"], &["-o", "-", "--format", "text"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let piped: Value = serde_json::from_slice(&out.stdout).expect("standard output is the snapshot alone");
    assert_eq!(piped["format"], "palisade-inventory");
    assert!(stderr(&out).contains("COMPLETE"), "{}", stderr(&out));
    let out = scan_live(&session, &["eu-west-1"], &["-o", "-", "--pack", "builtin:aws-baseline"]);
    assert_eq!(code(&out), 2);
    let mut empty: Value =
        serde_json::from_slice(&std::fs::read(root().join("examples/drift/inventory.json")).expect("read"))
            .expect("json");
    empty["scopes"] = json!([]);
    empty["resources"] = json!([]);
    let empty_path = dir.path().join("empty.json");
    std::fs::write(&empty_path, empty.to_string()).expect("write");
    let out = palisade_aws(&session, &["scan", "--inventory", empty_path.to_str().expect("utf-8")]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("$.scopes"), "{}", stderr(&out));
    empty.as_object_mut().expect("object").remove("scopes");
    std::fs::write(&empty_path, empty.to_string()).expect("write");
    let out = palisade_aws(&session, &["scan", "--inventory", empty_path.to_str().expect("utf-8")]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains(" at $ ") && stderr(&out).contains("scopes"), "{}", stderr(&out));

    // drift: the report and the saved snapshot may not be one file.
    let same = dir.path().join("same.json");
    let same = same.to_str().expect("utf-8");
    let out = palisade_aws(
        &session,
        &[
            "drift",
            "--state",
            "examples/drift/terraform.tfstate",
            "--endpoint-url",
            &session.endpoint(),
            "--region",
            "eu-west-1",
            "-o",
            same,
            "--save-inventory",
            same,
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--save-inventory"), "{}", stderr(&out));
}
