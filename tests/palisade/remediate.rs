//! `palisade remediate` against moto server (the real AWS SDK, a real HTTP
//! endpoint): dry run vs apply, partial failures, idempotent re-runs,
//! batching, a run killed half-way and completed, SIGTERM during an apply,
//! stale plans, throttling, report directories checked up front.
//!
//! Resources are seeded with some tags but without the keys the built-in
//! `required-tags` policy requires (`owner`, `cost-center`), which it sets
//! to their defaults at level `remediate`. What changed is always read back
//! from moto.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::moto::{self, MotoSession, palisade_aws};
use crate::support::{code, root, stderr};

/// `required-tags` at level `remediate`, with a default for each key.
const CONFIG: &str = r#"{"required-tags": {"enforcementLevel": "remediate", "tags": ["owner", "cost-center"],
  "defaults": {"owner": "platform", "cost-center": "0000"}}}"#;

/// Prints `{ARN: {KEY: VALUE}}` of every resource the Tagging API lists in
/// eu-west-1 and us-east-1.
const TAGS: &str = r#"
import boto3, json
found = {}
for region in ["eu-west-1", "us-east-1"]:
    api = boto3.client("resourcegroupstaggingapi", region_name=region)
    for page in api.get_paginator("get_resources").paginate(ResourcesPerPage=100, TagsPerPage=500):
        for r in page["ResourceTagMappingList"]:
            found[r["ResourceARN"]] = {t["Key"]: t["Value"] for t in r["Tags"]}
print(json.dumps(found))
"#;

type Tags = BTreeMap<String, BTreeMap<String, String>>;

/// The tags of every resource in moto, by ARN.
fn moto_tags(moto: &MotoSession) -> Tags {
    let out = moto.run_boto3(&moto.endpoint(), TAGS);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("tags are not JSON ({e}): {out}"))
}

/// A temporary directory with the pack config as `config.json`.
struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    fn new() -> Workdir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.json"), CONFIG).expect("write config");
        Workdir { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).to_str().expect("utf-8 path").to_string()
    }
}

/// The services these tests seed (`--resource-type`): the default VPC's
/// default security group that the EC2 reader finds is left out of their
/// plans.
const SEEDED_SERVICES: [&str; 10] = [
    "--resource-type",
    "sns",
    "--resource-type",
    "s3",
    "--resource-type",
    "sqs",
    "--resource-type",
    "ssm",
    "--resource-type",
    "dynamodb",
];

/// `palisade scan --region eu-west-1 -o FILE` of the seeded services,
/// asserting success.
fn scan_to(moto: &MotoSession, file: &str) {
    let mut args = vec!["scan", "--region", "eu-west-1", "-o", file];
    args.extend(SEEDED_SERVICES);
    let out = palisade_aws(moto, &args);
    assert_eq!(code(&out), 0, "scan: {}", stderr(&out));
}

/// `palisade remediate ARGS --format json` (a live scan, `--region` given,
/// of the seeded services only: [`SEEDED_SERVICES`]); the exit code and the
/// report printed on standard output, checked against the report's JSON
/// schema.
fn remediate(moto: &MotoSession, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["remediate", "--format", "json"];
    all.extend_from_slice(args);
    if args.contains(&"--region") && !args.contains(&"--resource-type") {
        all.extend(SEEDED_SERVICES);
    }
    let out = palisade_aws(moto, &all);
    let err = stderr(&out);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is not a report ({e}): {}\nstderr: {err}", String::from_utf8_lossy(&out.stdout))
    });
    let schema: Value = read_json(&crate::support::repo("engine/schema/remediation-report.schema.json"));
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "the report breaks its schema: {errors:#?}\n{report:#}");
    (code(&out), report, err)
}

/// The pack options: the built-in pack with `required-tags` at `remediate`.
fn pack_args(work: &Workdir) -> Vec<String> {
    vec!["--pack".into(), "builtin:aws-baseline".into(), "--config".into(), work.arg("config.json")]
}

/// `{ARN: status}` of a report's changes.
fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| (c["arn"].as_str().expect("arn").to_string(), c["status"].as_str().expect("status").to_string()))
        .collect()
}

/// `{ARN: after}` of a report's (or a plan's) changes.
fn targets(doc: &Value) -> Tags {
    doc["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (c["arn"].as_str().expect("arn").to_string(), serde_json::from_value(c["after"].clone()).expect("tags"))
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Three topics without either key, a bucket with one, a table with both.
fn seed_mixed(moto: &MotoSession) -> Value {
    moto.seed(&json!({"resources": [
        {"kind": "sns_topic", "region": "eu-west-1", "name": "orders", "count": 3, "tags": {"env": "dev"}},
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "palisade-logs", "tags": {"owner": "data"}},
        {"kind": "dynamodb_table", "region": "eu-west-1", "name": "ledger",
         "tags": {"owner": "finance", "cost-center": "4242"}},
    ]}))
}

#[test]
fn a_dry_run_changes_nothing_and_apply_changes_exactly_the_plan() {
    let moto = moto::session();
    seed_mixed(&moto);
    let work = Workdir::new();
    let snap = work.arg("snap.json");
    scan_to(&moto, &snap);
    let before = moto_tags(&moto);

    // Dry run: the plan, a report, exit 1 (violations remain), nothing changed.
    let mut args: Vec<String> = vec!["--inventory".into(), snap.clone()];
    args.extend(pack_args(&work));
    args.extend(["--plan-out".into(), work.arg("plan.json"), "--report-dir".into(), work.arg("dry")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (exit, report, err) = remediate(&moto, &args);
    assert_eq!(exit, 1, "a dry run with changes planned exits 1: {err}");
    assert_eq!(report["run"]["mode"], "dry-run");
    let topic = |i: u32| format!("arn:aws:sns:eu-west-1:123456789012:orders-{i}");
    let expected: BTreeMap<String, String> = [topic(0), topic(1), topic(2), "arn:aws:s3:::palisade-logs".to_string()]
        .into_iter()
        .map(|arn| (arn, "planned".to_string()))
        .collect();
    assert_eq!(statuses(&report), expected, "the table already has both keys: {report:#}");
    let bucket = &report["changes"].as_array().expect("changes")[0];
    assert_eq!(bucket["change"], json!({"set": {"cost-center": "0000"}, "remove": []}), "{bucket}");
    assert_eq!(bucket["before"], json!({"owner": "data"}));
    assert_eq!(bucket["after"], json!({"owner": "data", "cost-center": "0000"}));
    assert_eq!(bucket["policies"], json!(["aws-baseline/required-tags"]));
    assert_eq!(report["summary"]["planned"], 4);
    assert_eq!(moto_tags(&moto), before, "a dry run changes nothing");
    for file in ["remediation.json", "remediation.html", "remediation.md"] {
        assert!(work.path("dry").join(file).is_file(), "{file} written: {err}");
    }
    assert_eq!(read_json(&work.path("dry").join("remediation.json")), report, "the file is what stdout shows");
    let plan = read_json(&work.path("plan.json"));
    assert_eq!(plan["format"], "palisade-remediation-plan");
    assert_eq!(targets(&plan), targets(&report));

    // The text output shows each change per ARN, before and after.
    let out =
        palisade_aws(&moto, &["remediate", "--plan-in", &work.arg("plan.json"), "--report-dir", &work.arg("text")]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DRY RUN"), "{text}");
    assert!(text.contains("arn:aws:s3:::palisade-logs  [aws_s3_bucket, eu-west-1, 123456789012]  planned"), "{text}");
    assert!(text.contains("  + cost-center = \"0000\"\n  before: owner=\"data\""), "{text}");
    assert!(text.contains(&format!("Report: {}", work.path("text").join("remediation.html").display())), "{text}");
    assert_eq!(moto_tags(&moto), before, "a dry run of a plan file changes nothing");

    // Apply: exactly the plan's `after` on the planned resources; the others untouched.
    let mut args: Vec<String> = vec!["--inventory".into(), snap.clone(), "--apply".into()];
    args.extend(pack_args(&work));
    args.extend(["--report-dir".into(), work.arg("apply")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (exit, applied, err) = remediate(&moto, &args);
    assert_eq!(exit, 0, "everything applied: {err}\n{applied:#}");
    assert_eq!(applied["run"]["mode"], "apply");
    assert_eq!(applied["run"]["caller"], "arn:aws:sts::123456789012:user/moto");
    assert!(statuses(&applied).values().all(|s| s == "applied"), "{applied:#}");
    assert_eq!(applied["summary"]["remaining"], 0);
    let mut want = before.clone();
    want.extend(targets(&plan));
    assert_eq!(moto_tags(&moto), want, "the plan, nothing else");

    // Idempotent: a new live run finds nothing to do; the old plan is already in place.
    let (exit, again, err) = remediate(
        &moto,
        &[
            "--region",
            "eu-west-1",
            "--pack",
            "builtin:aws-baseline",
            "--config",
            &work.arg("config.json"),
            "--apply",
            "--report-dir",
            &work.arg("again"),
        ],
    );
    assert_eq!(exit, 0, "nothing to do: {err}");
    assert_eq!(again["changes"], json!([]), "{again:#}");
    assert_eq!(again["summary"]["remediate_violations"], 0);
    let (exit, replay, err) =
        remediate(&moto, &["--plan-in", &work.arg("plan.json"), "--apply", "--report-dir", &work.arg("replay")]);
    assert_eq!(exit, 0, "{err}");
    assert!(statuses(&replay).values().all(|s| s == "already-applied"), "{replay:#}");
    assert_eq!(replay["run"]["plan"], work.arg("plan.json"));
    assert_eq!(moto_tags(&moto), want);
}

#[test]
fn refused_arns_fail_one_by_one_and_the_others_are_applied() {
    let moto = moto::session();
    moto.seed(&json!({"resources": [
        {"kind": "sns_topic", "region": "eu-west-1", "name": "alerts", "count": 2, "tags": {"env": "prod"}},
        {"kind": "sqs_queue", "region": "eu-west-1", "name": "jobs", "count": 2, "tags": {"env": "prod"}},
        {"kind": "ssm_parameter", "region": "eu-west-1", "name": "/app/setting", "tags": {"env": "prod"}},
    ]}));
    let work = Workdir::new();
    let before = moto_tags(&moto);
    let mut args: Vec<String> = vec!["--region".into(), "eu-west-1".into(), "--apply".into()];
    args.extend(pack_args(&work));
    args.extend(["--plan-out".into(), work.arg("plan.json"), "--report-dir".into(), work.arg("r")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (exit, report, err) = remediate(&moto, &args);
    assert_eq!(exit, 1, "a failed change exits 1: {err}");
    let refused = [
        "arn:aws:sqs:eu-west-1:123456789012:jobs-0",
        "arn:aws:sqs:eu-west-1:123456789012:jobs-1",
        "arn:aws:ssm:eu-west-1:123456789012:parameter/app/setting",
    ];
    let mut failed = 0;
    for change in report["changes"].as_array().expect("changes") {
        let arn = change["arn"].as_str().expect("arn");
        if refused.contains(&arn) {
            failed += 1;
            assert_eq!(change["status"], "failed", "{change}");
            let error = change["error"].as_str().unwrap_or_default();
            assert!(error.contains("InternalServiceException"), "AWS's code, per ARN: {change}");
            assert!(error.contains("not yet supported"), "AWS's message: {change}");
        } else {
            assert_eq!(change["status"], "applied", "{change}");
        }
    }
    assert_eq!(failed, 3, "{report:#}");
    assert_eq!(report["summary"]["failed"], 3);
    assert_eq!(report["summary"]["applied"], 2);
    assert_eq!(report["summary"]["remaining"], 3, "the refused resources still violate");
    let now = moto_tags(&moto);
    for arn in refused {
        assert_eq!(now[arn], before[arn], "{arn} unchanged");
    }
    for i in 0..2 {
        let arn = format!("arn:aws:sns:eu-west-1:123456789012:alerts-{i}");
        assert_eq!(now[&arn], tags(&[("env", "prod"), ("owner", "platform"), ("cost-center", "0000")]), "{arn}");
    }

    // The same plan again (--plan-in: no violation is evaluated): the text
    // says so, and counts the changes not applied instead.
    let out = palisade_aws(
        &moto,
        &["remediate", "--plan-in", &work.arg("plan.json"), "--apply", "--report-dir", &work.arg("again")],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "violations not re-evaluated with --plan-in: 3 fix(es) not settled (failed, not sent, still violating or not verified)."
        ),
        "plan-in summary: {text}"
    );
    assert!(!text.contains("blocking violations remain"), "{text}");
    assert_eq!(read_json(&work.path("again/remediation.json"))["summary"]["remaining"], 3);
}

#[test]
fn more_than_twenty_arns_go_in_calls_of_at_most_twenty() {
    let moto = moto::session();
    moto.seed(&json!({"resources": [
        {"kind": "sns_topic", "region": "eu-west-1", "name": "fanout", "count": 47, "tags": {"env": "dev"}},
        {"kind": "sns_topic", "region": "eu-west-1", "name": "owned", "count": 2, "tags": {"owner": "web"}},
    ]}));
    let work = Workdir::new();
    let mut args: Vec<String> = vec!["--region".into(), "eu-west-1".into(), "--apply".into()];
    args.extend(pack_args(&work));
    args.extend(["--report-dir".into(), work.arg("r")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (exit, report, err) = remediate(&moto, &args);
    assert_eq!(exit, 0, "{err}");
    assert_eq!(report["summary"]["applied"], 49, "{report:#}");
    // One line per call on stderr: 47 ARNs sharing one tag map in calls of 20, 20, 7; then the 2 others.
    let calls: Vec<&str> = err.lines().filter(|l| l.contains("TagResources")).collect();
    let sizes: Vec<usize> = calls
        .iter()
        .map(|l| l.split(": ").last().and_then(|t| t.split(' ').next()).and_then(|n| n.parse().ok()).expect("a count"))
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 49, "{err}");
    assert!(sizes.iter().all(|&n| n <= 20), "{err}");
    assert!(sizes.len() >= 4, "at least three calls for the 47, one for the 2: {err}");
    // Moto has every change.
    let now = moto_tags(&moto);
    for i in 0..47 {
        let arn = format!("arn:aws:sns:eu-west-1:123456789012:fanout-{i}");
        assert_eq!(now[&arn], tags(&[("env", "dev"), ("owner", "platform"), ("cost-center", "0000")]), "{arn}");
    }
    for i in 0..2 {
        let arn = format!("arn:aws:sns:eu-west-1:123456789012:owned-{i}");
        assert_eq!(now[&arn], tags(&[("owner", "web"), ("cost-center", "0000")]), "{arn}");
    }
}

/// Polls moto (up to 60 s) until between `at_least` and `at_most` of the 45
/// `fanout-*` topics have `owner=platform`, and returns how many; fails when
/// more than `at_most` are (the poll missed the state it waits for).
fn wait_for_tagged(moto: &MotoSession, at_least: usize, at_most: usize) -> usize {
    let script = format!(
        r#"
import boto3, time
api = boto3.client("resourcegroupstaggingapi", region_name="eu-west-1")
deadline = time.time() + 60
while time.time() < deadline:
    tagged = 0
    for page in api.get_paginator("get_resources").paginate(
            TagFilters=[{{"Key": "owner", "Values": ["platform"]}}], ResourcesPerPage=100, TagsPerPage=500):
        tagged += sum(":fanout-" in r["ResourceARN"] for r in page["ResourceTagMappingList"])
    if {at_least} <= tagged <= {at_most}:
        print(tagged)
        break
    if tagged > {at_most}:
        raise SystemExit(f"{{tagged}} topics were tagged before the poll saw {at_least} to {at_most}")
    time.sleep(0.02)
else:
    raise SystemExit("not enough topics were tagged within 60 s")
"#
    );
    moto.run_boto3(&moto.endpoint(), &script).trim().parse().expect("a count")
}

/// 45 SNS topics without the required tags, scanned into `snap.json` of a
/// new working directory.
fn seed_fanout(moto: &MotoSession) -> (Workdir, String) {
    moto.seed(&json!({"resources": [
        {"kind": "sns_topic", "region": "eu-west-1", "name": "fanout", "count": 45, "tags": {"env": "dev"}},
    ]}));
    let work = Workdir::new();
    let snap = work.arg("snap.json");
    scan_to(moto, &snap);
    (work, snap)
}

#[test]
fn a_run_killed_half_way_is_completed_without_applying_anything_twice() {
    let moto = moto::session();
    let (work, snap) = seed_fanout(&moto);

    // One call every two seconds: 20, 20 and 5 ARNs over four seconds.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_palisade"));
    cmd.args(["remediate", "--inventory", &snap, "--apply", "--calls-per-second", "0.5"])
        .args(pack_args(&work))
        .args(["--plan-out", &work.arg("plan.json"), "--report-dir", &work.arg("killed")])
        .current_dir(root())
        .env("PALISADE_CACHE_DIR", root().join("target/test-cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    moto.command_env(&mut cmd);
    let mut child = cmd.spawn().expect("palisade starts");
    let seen = wait_for_tagged(&moto, 1, 44);
    child.kill().expect("SIGKILL");
    let out = child.wait_with_output().expect("reaped");
    assert_eq!(out.status.code(), None, "killed by a signal: {}", stderr(&out));
    let done: Vec<String> = moto_tags(&moto)
        .into_iter()
        .filter(|(_, t)| t.get("owner").is_some_and(|v| v == "platform"))
        .map(|(arn, _)| arn)
        .collect();
    assert!(done.len() >= seen && done.len() < 45, "killed half-way: {} tagged", done.len());
    assert!(!work.path("killed").exists(), "no half-written report");

    // The re-run of the same plan: the done ones are already-applied, only the rest is sent.
    let (exit, report, err) =
        remediate(&moto, &["--plan-in", &work.arg("plan.json"), "--apply", "--report-dir", &work.arg("rerun")]);
    assert_eq!(exit, 0, "{err}");
    let statuses = statuses(&report);
    assert_eq!(statuses.len(), 45);
    for (arn, status) in &statuses {
        let want = if done.contains(arn) { "already-applied" } else { "applied" };
        assert_eq!(status, want, "{arn}");
    }
    assert_eq!(report["summary"]["already_applied"], done.len());
    assert_eq!(report["summary"]["applied"], 45 - done.len());
    let sent: usize = err
        .lines()
        .filter(|l| l.contains("TagResources"))
        .map(|l| {
            l.split(": ").last().and_then(|t| t.split(' ').next()).and_then(|n| n.parse::<usize>().ok()).expect("n")
        })
        .sum();
    assert_eq!(sent, 45 - done.len(), "only the rest was sent: {err}");
    let now = moto_tags(&moto);
    assert!(now.values().all(|t| t == &tags(&[("env", "dev"), ("owner", "platform"), ("cost-center", "0000")])));
}

#[test]
fn sigterm_during_apply_stops_after_the_call_in_flight_and_writes_the_report() {
    let moto = moto::session();
    let (work, snap) = seed_fanout(&moto);

    // Calls of 20, 20 and 5 ARNs, one every five seconds: SIGTERM comes
    // during the wait after the first (the wait does not delay the stop).
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_palisade"));
    cmd.args(["remediate", "--inventory", &snap, "--apply", "--calls-per-second", "0.2", "--format", "json"])
        .args(pack_args(&work))
        .args(["--plan-out", &work.arg("plan.json"), "--report-dir", &work.arg("runs/term")])
        .current_dir(root())
        .env("PALISADE_CACHE_DIR", root().join("target/test-cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    moto.command_env(&mut cmd);
    let child = cmd.spawn().expect("palisade starts");
    let seen = wait_for_tagged(&moto, 20, 45);
    assert_eq!(seen, 20, "the first call");
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success(), "kill -TERM");
    let out = child.wait_with_output().expect("reaped");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "an interrupted apply exits 1: {err}");
    assert!(err.contains("interrupted by SIGTERM: 25 change(s) not sent"), "{err}");
    assert!(err.contains(&work.path("runs/term").display().to_string()), "says where the report is: {err}");

    // The report: the first call's 20 applied, the other 25 failed as not sent.
    let report = read_json(&work.path("runs/term/remediation.json"));
    let stdout: Value = serde_json::from_slice(&out.stdout).expect("the report on stdout");
    assert_eq!(stdout, report);
    let done: Vec<String> = moto_tags(&moto)
        .into_iter()
        .filter(|(_, t)| t.get("owner").is_some_and(|v| v == "platform"))
        .map(|(arn, _)| arn)
        .collect();
    assert_eq!(done.len(), 20, "nothing sent after the signal");
    for change in report["changes"].as_array().expect("changes") {
        let arn = change["arn"].as_str().expect("arn").to_string();
        if done.contains(&arn) {
            assert_eq!(change["status"], "applied", "{change}");
        } else {
            assert_eq!(change["status"], "failed", "{change}");
            assert_eq!(
                change["error"], "interrupted before this change was sent (SIGTERM); a re-run completes it",
                "{change}"
            );
        }
    }
    assert_eq!(report["summary"]["applied"], 20);
    assert_eq!(report["summary"]["failed"], 25);

    // The re-run of the plan completes it without sending anything twice.
    let (exit, rerun, err) =
        remediate(&moto, &["--plan-in", &work.arg("plan.json"), "--apply", "--report-dir", &work.arg("rerun")]);
    assert_eq!(exit, 0, "{err}");
    for (arn, status) in statuses(&rerun) {
        let want = if done.contains(&arn) { "already-applied" } else { "applied" };
        assert_eq!(status, want, "{arn}");
    }
    assert_eq!(rerun["summary"]["already_applied"], 20);
    assert_eq!(rerun["summary"]["applied"], 25);
    let now = moto_tags(&moto);
    assert!(now.values().all(|t| t == &tags(&[("env", "dev"), ("owner", "platform"), ("cost-center", "0000")])));
}

#[test]
fn a_plan_whose_resources_changed_since_is_refused_naming_them() {
    let moto = moto::session();
    seed_mixed(&moto);
    let work = Workdir::new();
    let snap = work.arg("snap.json");
    scan_to(&moto, &snap);
    let mut args: Vec<String> = vec!["--inventory".into(), snap.clone()];
    args.extend(pack_args(&work));
    args.extend(["--plan-out".into(), work.arg("plan.json"), "--report-dir".into(), work.arg("plan")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (exit, _, err) = remediate(&moto, &args);
    assert_eq!(exit, 1, "{err}");

    // A report directory that cannot be created is refused before any AWS call.
    let untouched = moto_tags(&moto);
    let out = palisade_aws(
        &moto,
        &["remediate", "--plan-in", &work.arg("plan.json"), "--apply", "--report-dir", "/proc/palisade-rep"],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("--report-dir /proc/palisade-rep: cannot create a directory in /proc: "), "{err}");
    assert_eq!(err.matches("palisade-rep").count(), 1, "the path once: {err}");
    assert!(!err.contains("TagResources"), "nothing sent: {err}");
    assert_eq!(moto_tags(&moto), untouched, "nothing was changed");

    // Someone sets `owner` on one topic after the review.
    let changed = "arn:aws:sns:eu-west-1:123456789012:orders-1";
    moto.seed(&json!({"tag": [{"arn": changed, "region": "eu-west-1", "tags": {"owner": "web"}}]}));
    let before = moto_tags(&moto);
    let out = palisade_aws(
        &moto,
        &["remediate", "--plan-in", &work.arg("plan.json"), "--apply", "--report-dir", &work.arg("stale")],
    );
    let (exit, err, text) = (code(&out), stderr(&out), String::from_utf8_lossy(&out.stdout));
    assert_eq!(exit, 2, "a stale plan is refused: {err}");
    assert!(err.contains("the plan is stale"), "{err}");
    let conflict = format!("{changed}: tag `owner` is \"web\" (the plan expected absent before, \"platform\" after)");
    assert!(err.contains(&conflict), "names the resource and key: {err}");
    // The text output quotes values once.
    assert!(text.contains(&format!("  error: changed since the plan: {conflict}\n")), "{text}");
    assert!(!text.contains("\\\""), "nothing escaped twice: {text}");
    assert_eq!(moto_tags(&moto), before, "nothing was changed");
    let report = read_json(&work.path("stale/remediation.json"));
    let statuses = statuses(&report);
    assert_eq!(statuses[changed], "failed", "{report:#}");
    assert!(statuses.iter().filter(|(a, _)| *a != changed).all(|(_, s)| s == "planned"), "{report:#}");

    // A plan for another account than the caller's is refused before any call.
    let mut plan = read_json(&work.path("plan.json"));
    plan["changes"][0]["account"] = json!("111111111111");
    std::fs::write(work.path("other.json"), plan.to_string()).expect("write");
    let out = palisade_aws(
        &moto,
        &["remediate", "--plan-in", &work.arg("other.json"), "--apply", "--report-dir", &work.arg("other")],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("account(s) 111111111111"), "{}", stderr(&out));
    assert!(stderr(&out).contains("arn:aws:sts::123456789012:user/moto in account 123456789012"), "{}", stderr(&out));
    assert_eq!(moto_tags(&moto), before);
}

#[test]
fn a_plan_older_than_the_inventory_is_refused() {
    let moto = moto::session();
    seed_mixed(&moto);
    let work = Workdir::new();
    let (old, new) = (work.arg("old.json"), work.arg("new.json"));
    scan_to(&moto, &old);
    let mut args: Vec<String> = vec!["--inventory".into(), old.clone()];
    args.extend(pack_args(&work));
    args.extend(["--plan-out".into(), work.arg("plan.json"), "--report-dir".into(), work.arg("plan")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (exit, _, err) = remediate(&moto, &args);
    assert_eq!(exit, 1, "{err}");
    // The plan's own inventory is fine.
    let (exit, _, err) = remediate(
        &moto,
        &["--plan-in", &work.arg("plan.json"), "--inventory", &old, "--report-dir", &work.arg("same")],
    );
    assert_eq!(exit, 1, "a dry run of the plan: {err}");

    moto.seed(&json!({"tag": [{"arn": "arn:aws:s3:::palisade-logs", "region": "eu-west-1", "tags": {"team": "ops"}}]}));
    std::thread::sleep(std::time::Duration::from_millis(20));
    scan_to(&moto, &new);
    let before = moto_tags(&moto);
    let out = palisade_aws(
        &moto,
        &[
            "remediate",
            "--plan-in",
            &work.arg("plan.json"),
            "--inventory",
            &new,
            "--apply",
            "--report-dir",
            &work.arg("r"),
        ],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("is older than the inventory"), "{}", stderr(&out));
    assert!(!work.path("r").exists(), "refused before anything");
    assert_eq!(moto_tags(&moto), before);
}

#[test]
fn throttled_tagging_calls_are_retried_and_an_incomplete_scan_applies_nothing() {
    let moto = moto::session();
    moto.seed(&json!({"resources": [
        {"kind": "sns_topic", "region": "eu-west-1", "name": "t", "count": 30, "tags": {"env": "dev"}},
        {"kind": "sns_topic", "region": "us-east-1", "name": "u", "count": 3, "tags": {"env": "dev"}},
    ]}));
    let work = Workdir::new();
    let before = moto_tags(&moto);

    // A region that never answers: the scan is incomplete, nothing is applied, exit 2.
    let failing = moto.throttle_proxy(0, &["us-east-1"]);
    let mut args: Vec<String> =
        ["--endpoint-url", &failing.endpoint(), "--region", "eu-west-1", "--region", "us-east-1"]
            .map(String::from)
            .to_vec();
    args.extend(SEEDED_SERVICES.map(String::from));
    args.extend(["--max-attempts", "2", "--retry-backoff-ms", "5", "--apply", "--plan-out"].map(String::from));
    args.push(work.arg("plan.json"));
    args.extend(pack_args(&work));
    args.extend(["--report-dir".into(), work.arg("incomplete")]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (exit, report, err) = remediate(&moto, &argv);
    assert_eq!(exit, 2, "{err}");
    assert!(err.contains("the scan is incomplete"), "{err}");
    assert_eq!(report["run"]["mode"], "dry-run", "never applied: {report:#}");
    assert!(!work.path("plan.json").exists(), "no plan from an incomplete scan");
    assert_eq!(moto_tags(&moto), before);
    drop(failing);

    // Every third request throttled: the SDK's retries get everything through.
    let proxy = moto.throttle_proxy(3, &[]);
    let mut args: Vec<String> = ["--endpoint-url", &proxy.endpoint(), "--region", "eu-west-1", "--region", "us-east-1"]
        .map(String::from)
        .to_vec();
    args.extend(SEEDED_SERVICES.map(String::from));
    args.extend(["--retry-backoff-ms", "5", "--apply"].map(String::from));
    args.extend(pack_args(&work));
    args.extend(["--report-dir".into(), work.arg("throttled")]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (exit, report, err) = remediate(&moto, &argv);
    assert_eq!(exit, 0, "{err}\n{report:#}");
    assert_eq!(report["summary"]["applied"], 33);
    let stats = proxy.stats();
    assert!(stats["throttled"].as_u64().unwrap_or(0) >= 2, "calls were throttled: {stats}");
    let now = moto_tags(&moto);
    assert_eq!(now.len(), 33);
    assert!(now.values().all(|t| t == &tags(&[("env", "dev"), ("owner", "platform"), ("cost-center", "0000")])));
}

#[test]
fn remediate_usage_errors_exit_2() {
    let work = Workdir::new();
    let plan = work.arg("plan.json");
    std::fs::write(&plan, "{\"format\": \"palisade-remediation-plan\", \"version\": 1}").expect("write");
    let run = |args: &[&str]| {
        let mut all = vec!["remediate"];
        all.extend_from_slice(args);
        let out = crate::support::palisade(&all, None);
        (code(&out), stderr(&out))
    };
    let (exit, err) = run(&["--plan-in", &plan, "--pack", "builtin:aws-baseline"]);
    assert_eq!(exit, 2);
    assert!(err.contains("--plan-in applies a reviewed plan as it is"), "{err}");
    let (exit, err) = run(&["--plan-in", &plan, "--report-dir", &work.arg("r")]);
    assert_eq!(exit, 2);
    assert!(err.contains("not a remediation plan"), "names the problem: {err}");
    let (exit, err) = run(&["--plan-in", &plan, "--calls-per-second", "0"]);
    assert_eq!(exit, 2);
    assert!(err.contains("not a positive number"), "{err}");
    std::fs::create_dir(work.path("used")).expect("mkdir");
    std::fs::write(work.path("used/x"), "x").expect("write");
    let (exit, err) = run(&["--plan-in", &plan, "--report-dir", &work.arg("used")]);
    assert_eq!(exit, 2);
    assert!(err.contains("is not empty"), "{err}");

    // --plan-out at (or inside) --report-dir: refused before anything is written.
    let snap = work.arg("absent-snapshot.json");
    let out = work.arg("out");
    let (exit, err) =
        run(&["--inventory", &snap, "--pack", "builtin:aws-baseline", "--plan-out", &out, "--report-dir", &out]);
    assert_eq!(exit, 2);
    assert!(err.contains(&format!("--plan-out {out} and --report-dir {out} are the same path")), "{err}");
    let inside = work.arg("out/plan.json");
    let (exit, err) =
        run(&["--inventory", &snap, "--pack", "builtin:aws-baseline", "--plan-out", &inside, "--report-dir", &out]);
    assert_eq!(exit, 2);
    assert!(err.contains(&format!("--plan-out {inside} is inside --report-dir {out}")), "{err}");
    assert!(!work.path("out").exists(), "nothing written");
}

#[test]
fn a_tagging_call_that_fails_as_a_whole_fails_each_of_its_arns() {
    let moto = moto::session();
    moto.seed(&json!({"resources": [
        {"kind": "sns_topic", "region": "eu-west-1", "name": "t", "count": 3, "tags": {"env": "dev"}},
    ]}));
    let work = Workdir::new();
    let snap = work.arg("snap.json");
    scan_to(&moto, &snap);
    let before = moto_tags(&moto);
    // Through the proxy: STS (1), GetResources (2), TagResources (3, throttled); one attempt only.
    let proxy = moto.throttle_proxy(3, &[]);
    let mut args: Vec<String> =
        ["--inventory", &snap, "--endpoint-url", &proxy.endpoint(), "--max-attempts", "1", "--apply"]
            .map(String::from)
            .to_vec();
    args.extend(pack_args(&work));
    args.extend(["--report-dir".into(), work.arg("r")]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (exit, report, err) = remediate(&moto, &argv);
    assert_eq!(exit, 1, "{err}");
    assert_eq!(proxy.stats()["throttled"], 1, "{err}");
    let changes = report["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 3);
    for change in changes {
        assert_eq!(change["status"], "failed", "{change}");
        assert_eq!(change["error"], "TagResources failed: ThrottlingException: Rate exceeded (HTTP 400)", "{change}");
    }
    assert_eq!(moto_tags(&moto), before);
}
