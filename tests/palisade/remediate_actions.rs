//! `palisade remediate` actions against moto server (the real AWS SDK, a
//! real HTTP endpoint, calls counted by a proxy in front of moto): a public
//! bucket, a security group open to the world, a KMS key without rotation,
//! a public RDS instance and a mutable ECR repository are found, planned
//! (dry run by default), applied only when allowed, re-read before each
//! call, verified after, and never sent twice. What changed is always read
//! back from moto with boto3.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::moto::{self, MotoSession, ProxyOptions, ThrottleProxy, palisade_aws};
use crate::support::{code, stderr};

const REGION: &str = "eu-west-1";

/// The six policies with actions, at level `remediate`; every other
/// policy disabled, so that the runs judge only these.
const ENFORCEMENT: [&str; 14] = [
    "--enforcement",
    "all=disabled",
    "--enforcement",
    "aws-s3-bucket-disallow-public-read=remediate",
    "--enforcement",
    "aws-ec2-securitygroup-disallow-public-internet-ingress=remediate",
    "--enforcement",
    "aws-ec2-securitygroup-disallow-inbound-http-traffic=remediate",
    "--enforcement",
    "aws-kms-key-enable-key-rotation=remediate",
    "--enforcement",
    "aws-rds-instance-disallow-public-access=remediate",
    "--enforcement",
    "aws-ecr-repository-disallow-mutable-image=remediate",
];

/// The types seeded (the default VPC's default group is found too; it
/// allows nothing from outside).
const TYPES: [&str; 10] = [
    "--resource-type",
    "s3",
    "--resource-type",
    "ec2:security-group",
    "--resource-type",
    "kms",
    "--resource-type",
    "rds",
    "--resource-type",
    "ecr",
];

/// The write calls of the five kinds, as the proxy names them.
const WRITES: [&str; 6] = [
    "PutPublicAccessBlock",
    "PutBucketAcl",
    "RevokeSecurityGroupIngress",
    "EnableKeyRotation",
    "ModifyDBInstance",
    "PutImageTagMutability",
];

/// One of each violating resource, and a group rule that must stay.
struct Seeded {
    bucket: String,
    group: String,
    key: String,
    db: String,
    repo: String,
}

fn seed(moto: &MotoSession) -> Seeded {
    let out = moto.seed(&json!({"resources": [
        {"kind": "s3_bucket", "region": REGION, "name": "public-assets", "config": {"acl": "public-read"}},
        {"kind": "ec2_security_group", "region": REGION, "name": "web-open", "config": {"ingress": [
            {"protocol": "tcp", "from": 80, "to": 80, "cidr": "0.0.0.0/0", "description": "http"},
            {"protocol": "tcp", "from": 22, "to": 22, "cidr": "0.0.0.0/0"},
            {"protocol": "tcp", "from": 443, "to": 443, "cidr": "10.0.0.0/8", "description": "internal tls"}
        ]}},
        {"kind": "kms_key", "region": REGION, "name": "data-key", "config": {"rotation": false}},
        {"kind": "rds_instance", "region": REGION, "name": "orders-db", "config": {"public": true}},
        {"kind": "ecr_repository", "region": REGION, "name": "api", "config": {"immutable": false}},
    ]}));
    let id = |i: usize| out["resources"][i]["id"].as_str().expect("id").to_string();
    Seeded { bucket: id(0), group: id(1), key: id(2), db: id(3), repo: id(4) }
}

/// The five settings, read from moto with boto3.
fn settings(moto: &MotoSession, s: &Seeded) -> Value {
    let code = format!(
        r#"
import boto3, json
r = "{REGION}"
s3 = boto3.client("s3", region_name=r)
try:
    block = all(s3.get_public_access_block(Bucket="{b}")["PublicAccessBlockConfiguration"].values())
except s3.exceptions.ClientError:
    block = False
grants = s3.get_bucket_acl(Bucket="{b}")["Grants"]
public = any(g["Grantee"].get("URI", "").endswith("/AllUsers") for g in grants)
g = boto3.client("ec2", region_name=r).describe_security_groups(GroupIds=["{g}"])["SecurityGroups"][0]
ingress = sorted(f'{{p["IpProtocol"]}} {{p.get("FromPort")}} {{x["CidrIp"]}}' for p in g["IpPermissions"] for x in p.get("IpRanges", []))
rotation = boto3.client("kms", region_name=r).get_key_rotation_status(KeyId="{k}")["KeyRotationEnabled"]
db = boto3.client("rds", region_name=r).describe_db_instances(DBInstanceIdentifier="{d}")["DBInstances"][0]
repo = boto3.client("ecr", region_name=r).describe_repositories(repositoryNames=["{e}"])["repositories"][0]
print(json.dumps({{"block": block, "public_acl": public, "ingress": ingress, "rotation": rotation,
                  "public_db": db["PubliclyAccessible"], "mutability": repo["imageTagMutability"]}}))
"#,
        b = s.bucket,
        g = s.group,
        k = s.key,
        d = s.db,
        e = s.repo
    );
    let out = moto.run_boto3(&moto.endpoint(), &code);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("settings are not JSON ({e}): {out}"))
}

fn violating() -> Value {
    json!({"block": false, "public_acl": true, "ingress": ["tcp 22 0.0.0.0/0", "tcp 443 10.0.0.0/8", "tcp 80 0.0.0.0/0"],
           "rotation": false, "public_db": true, "mutability": "MUTABLE"})
}

fn fixed() -> Value {
    json!({"block": true, "public_acl": false, "ingress": ["tcp 443 10.0.0.0/8"], "rotation": true,
           "public_db": false, "mutability": "IMMUTABLE"})
}

/// `palisade remediate --format json --endpoint-url PROXY ARGS`: the exit
/// code, the report (checked against its schema) and standard error.
fn remediate(moto: &MotoSession, proxy: &ThrottleProxy, args: &[&str]) -> (i32, Value, String) {
    let endpoint = proxy.endpoint();
    let mut all = vec!["remediate", "--format", "json", "--endpoint-url", &endpoint, "--retry-backoff-ms", "20"];
    all.extend_from_slice(args);
    let out = palisade_aws(moto, &all);
    let err = stderr(&out);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is not a report ({e}): {}\nstderr: {err}", String::from_utf8_lossy(&out.stdout))
    });
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::repo("engine/schema/remediation-report.schema.json")).expect("schema"),
    )
    .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "the report breaks its schema: {errors:#?}\n{report:#}");
    (code(&out), report, err)
}

/// The options of a live run of the six policies on the seeded types.
fn live(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<&str> = vec!["--region", REGION, "--pack", "builtin:aws-baseline"];
    args.extend(ENFORCEMENT);
    args.extend(TYPES);
    args.extend_from_slice(extra);
    args.into_iter().map(str::to_string).collect()
}

/// `{"KIND ARN": status}` of a report's actions.
fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| {
            let key = format!("{} {}", a["action"]["kind"].as_str().expect("kind"), a["arn"].as_str().expect("arn"));
            (key, a["status"].as_str().expect("status").to_string())
        })
        .collect()
}

/// Write calls the proxy saw, by action.
fn writes(proxy: &ThrottleProxy) -> BTreeMap<&'static str, u64> {
    WRITES.iter().map(|w| (*w, proxy.action_count(w))).collect()
}

fn strings(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn actions_are_planned_then_applied_when_allowed_verified_and_never_sent_twice() {
    let moto = moto::session();
    let s = seed(&moto);
    let proxy = moto.proxy_with(&ProxyOptions::default());
    let work = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| work.path().join(name).to_str().expect("utf-8").to_string();
    assert_eq!(settings(&moto, &s), violating());

    // Dry run (the default): a plan of five actions, nothing sent; told
    // which kinds the apply will allow, it marks the others.
    let args = live(&["--allow-action", "kms.enable-rotation", "--report-dir", &path("allowed")]);
    let (exit, report, err) = remediate(&moto, &proxy, &strings(&args));
    assert_eq!(exit, 1, "{err}\n{report:#}");
    let kinds: BTreeMap<String, String> =
        statuses(&report).into_iter().map(|(k, v)| (k.split(' ').next().unwrap_or_default().to_string(), v)).collect();
    assert_eq!(kinds.values().filter(|s| *s == "not-allowed").count(), 4, "{kinds:#?}");
    assert_eq!(kinds["kms.enable-rotation"], "planned");
    let args = live(&["--plan-out", &path("plan.json"), "--report-dir", &path("dry")]);
    let (exit, report, err) = remediate(&moto, &proxy, &strings(&args));
    assert_eq!(exit, 1, "{err}\n{report:#}");
    assert_eq!(report["run"]["mode"], "dry-run");
    let all = statuses(&report);
    assert_eq!(all.len(), 5, "{report:#}");
    assert!(all.values().all(|s| s == "planned"), "{all:#?}");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(path("plan.json")).expect("plan")).expect("JSON");
    assert_eq!((plan["format"].as_str(), plan["version"].as_u64()), (Some("palisade-remediation-plan"), Some(2)));
    // The settings of this run, so that the apply of the plan judges again as it did.
    assert_eq!(plan["settings"]["enforcement"].as_array().map(Vec::len), Some(7), "{:#}", plan["settings"]);
    let revoke = plan["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["action"]["kind"] == "ec2.revoke-ingress")
        .expect("a revoke action")
        .clone();
    assert_eq!(
        revoke["calls"],
        json!([{"operation": "ec2:RevokeSecurityGroupIngress", "parameters": {"GroupId": s.group, "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}}]),
        "exactly the two offending rules, asked by both policies: {revoke:#}"
    );
    assert_eq!(
        revoke["policies"],
        json!([
            "aws-baseline/aws-ec2-securitygroup-disallow-inbound-http-traffic",
            "aws-baseline/aws-ec2-securitygroup-disallow-public-internet-ingress"
        ])
    );
    assert_eq!(revoke["after"]["ingress"].as_array().map(Vec::len), Some(1), "the 443 rule stays: {revoke:#}");
    assert_eq!(writes(&proxy).values().sum::<u64>(), 0, "a dry run sends nothing");
    assert_eq!(settings(&moto, &s), violating());

    // Apply the reviewed plan with every kind allowed: fixed and verified.
    let (exit, applied, err) = remediate(
        &moto,
        &proxy,
        &["--plan-in", &path("plan.json"), "--apply", "--allow-action", "all", "--report-dir", &path("apply")],
    );
    assert_eq!(exit, 0, "{err}\n{applied:#}");
    assert!(statuses(&applied).values().all(|s| s == "applied"), "{applied:#}");
    for a in applied["actions"].as_array().expect("actions") {
        let result = a["verification"]["result"].as_str().unwrap_or("none");
        assert!(result == "fixed" || result == "pending", "{a:#}");
        assert_eq!(a["found"], a["before"], "re-read right before the calls: {a:#}");
    }
    assert_eq!(settings(&moto, &s), fixed());
    let sent = writes(&proxy);
    assert_eq!(sent, WRITES.iter().map(|w| (*w, 1)).collect(), "one call each: {sent:#?}");

    // The same plan again: every action done, nothing sent.
    let (exit, again, err) = remediate(
        &moto,
        &proxy,
        &["--plan-in", &path("plan.json"), "--apply", "--allow-action", "all", "--report-dir", &path("again")],
    );
    assert_eq!(exit, 0, "{err}\n{again:#}");
    assert!(statuses(&again).values().all(|s| s == "done"), "{again:#}");
    assert_eq!(writes(&proxy), sent, "nothing sent the second time");
    assert_eq!(settings(&moto, &s), fixed());

    // A new live run finds nothing left to fix.
    let args = live(&["--apply", "--allow-action", "all", "--report-dir", &path("live")]);
    let (exit, clean, err) = remediate(&moto, &proxy, &strings(&args));
    assert_eq!(exit, 0, "{err}\n{clean:#}");
    assert_eq!(clean["actions"], json!([]), "{clean:#}");
}

#[test]
fn a_plan_whose_resources_changed_sends_nothing() {
    let moto = moto::session();
    let s = seed(&moto);
    let proxy = moto.proxy_with(&ProxyOptions::default());
    let work = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| work.path().join(name).to_str().expect("utf-8").to_string();
    let args = live(&["--plan-out", &path("plan.json"), "--report-dir", &path("dry")]);
    let (exit, _, err) = remediate(&moto, &proxy, &strings(&args));
    assert_eq!(exit, 1, "{err}");

    // Someone opens another port after the review.
    moto.run_boto3(
        &moto.endpoint(),
        &format!(
            r#"
import boto3
boto3.client("ec2", region_name="{REGION}").authorize_security_group_ingress(GroupId="{g}", IpPermissions=[
    {{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{{"CidrIp": "0.0.0.0/0"}}]}}])
print("ok")
"#,
            g = s.group
        ),
    );
    let (exit, report, err) = remediate(
        &moto,
        &proxy,
        &["--plan-in", &path("plan.json"), "--apply", "--allow-action", "all", "--report-dir", &path("stale")],
    );
    assert_eq!(exit, 2, "a stale plan: {err}\n{report:#}");
    assert!(err.contains("the plan is stale") && err.contains(&s.group), "{err}");
    assert_eq!(writes(&proxy).values().sum::<u64>(), 0, "nothing sent for any resource");
    let mut want = violating();
    want["ingress"] = json!(["tcp 22 0.0.0.0/0", "tcp 443 10.0.0.0/8", "tcp 80 0.0.0.0/0", "tcp 8080 0.0.0.0/0"]);
    assert_eq!(settings(&moto, &s), want);
}

#[test]
fn only_allowed_kinds_run_within_max_changes_and_failures_stay_per_resource() {
    let moto = moto::session();
    let s = seed(&moto);
    // The repository's write is refused; the others go through.
    let proxy = moto.proxy_with(&ProxyOptions { deny: vec!["PutImageTagMutability"], ..ProxyOptions::default() });
    let work = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| work.path().join(name).to_str().expect("utf-8").to_string();
    let args = live(&[
        "--apply",
        "--allow-action",
        "kms.enable-rotation",
        "--allow-action",
        "ecr.immutable-tags",
        "--allow-action",
        "s3.block-public-access",
        "--max-changes",
        "2",
        "--report-dir",
        &path("limited"),
    ]);
    let (exit, report, err) = remediate(&moto, &proxy, &strings(&args));
    assert_eq!(exit, 1, "{err}\n{report:#}");
    let by_kind: BTreeMap<String, String> =
        statuses(&report).into_iter().map(|(k, v)| (k.split(' ').next().unwrap_or_default().to_string(), v)).collect();
    // Plan order is by ARN: ecr, kms, then s3 (past --max-changes 2).
    assert_eq!(
        by_kind,
        BTreeMap::from([
            ("ec2.revoke-ingress".to_string(), "not-allowed".to_string()),
            ("ecr.immutable-tags".to_string(), "failed".to_string()),
            ("kms.enable-rotation".to_string(), "applied".to_string()),
            ("rds.disable-public-access".to_string(), "not-allowed".to_string()),
            ("s3.block-public-access".to_string(), "not-applied-max-changes".to_string()),
        ]),
        "{report:#}"
    );
    let ecr =
        report["actions"].as_array().expect("actions").iter().find(|a| a["action"]["kind"] == "ecr.immutable-tags");
    let error = ecr.and_then(|a| a["error"].as_str()).unwrap_or_default();
    assert!(error.contains("AccessDenied"), "AWS's error text: {error}");
    assert_eq!(report["summary"]["not_allowed"], 2);
    assert_eq!(report["summary"]["not_applied_max_changes"], 1);
    let mut want = violating();
    want["rotation"] = json!(true);
    assert_eq!(settings(&moto, &s), want, "only the key changed");
    assert_eq!(proxy.action_count("RevokeSecurityGroupIngress") + proxy.action_count("ModifyDBInstance"), 0);
}

#[test]
fn resources_a_state_manages_are_left_to_code_with_the_patch() {
    let moto = moto::session();
    let s = seed(&moto);
    let proxy = moto.proxy_with(&ProxyOptions::default());
    let work = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| work.path().join(name).to_str().expect("utf-8").to_string();
    let state = json!({"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "l", "outputs": {},
        "resources": [{"mode": "managed", "type": "aws_kms_key", "name": "data", "provider":
            "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": [{"schema_version": 0, "attributes": {
                "id": s.key, "arn": format!("arn:aws:kms:{REGION}:123456789012:key/{}", s.key),
                "enable_key_rotation": false, "is_enabled": true, "tags": {}}}]}]});
    std::fs::write(path("kms.tfstate"), state.to_string()).expect("state written");
    let args = live(&[
        "--apply",
        "--allow-action",
        "kms.enable-rotation",
        "--state",
        &path("kms.tfstate"),
        "--report-dir",
        &path("managed"),
    ]);
    let (exit, report, err) = remediate(&moto, &proxy, &strings(&args));
    assert_eq!(exit, 1, "a violation left to code: {err}\n{report:#}");
    let managed = report["managed"].as_array().expect("managed");
    assert_eq!(managed.len(), 1, "{report:#}");
    assert_eq!(managed[0]["address"], "aws_kms_key.data");
    assert_eq!(managed[0]["state"], path("kms.tfstate"));
    assert_eq!(managed[0]["fix"], "kms.enable-rotation");
    assert_eq!(managed[0]["patch"], json!([{"op": "replace", "path": "/enable_key_rotation", "value": true}]));
    assert_eq!(proxy.action_count("EnableKeyRotation"), 0, "not changed in place");
    assert_eq!(settings(&moto, &s)["rotation"], false);

    // --include-managed changes it all the same.
    let args = live(&[
        "--apply",
        "--allow-action",
        "kms.enable-rotation",
        "--state",
        &path("kms.tfstate"),
        "--include-managed",
        "--report-dir",
        &path("included"),
    ]);
    let (_, report, err) = remediate(&moto, &proxy, &strings(&args));
    let managed = report["managed"].as_array().expect("managed");
    assert_eq!(managed.len(), 1, "still listed, with the patch the code needs: {err}\n{report:#}");
    assert_eq!(managed[0]["changed_in_place"], true);
    let kms =
        report["actions"].as_array().and_then(|a| a.iter().find(|a| a["action"]["kind"] == "kms.enable-rotation"));
    assert_eq!(
        kms.map(|a| a["managed_by"].clone()),
        Some(json!(format!("{} (aws_kms_key.data)", path("kms.tfstate")))),
        "{report:#}"
    );
    assert_eq!(settings(&moto, &s)["rotation"], true);
}

/// The plan of a dry run through `proxy`, written to `dir/plan.json`.
fn plan_to(moto: &MotoSession, proxy: &ThrottleProxy, dir: &std::path::Path) -> String {
    let plan = dir.join("plan.json").to_str().expect("utf-8").to_string();
    let report = dir.join("dry").to_str().expect("utf-8").to_string();
    let args = live(&["--plan-out", &plan, "--report-dir", &report]);
    let (exit, _, err) = remediate(moto, proxy, &strings(&args));
    assert_eq!(exit, 1, "{err}");
    plan
}

/// `palisade remediate --plan-in PLAN --apply --allow-action all
/// --calls-per-second RATE --format json` through `proxy`, running.
fn spawn_apply(
    moto: &MotoSession,
    proxy: &ThrottleProxy,
    plan: &str,
    report: &std::path::Path,
    rate: &str,
) -> std::process::Child {
    let endpoint = proxy.endpoint();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_palisade"));
    cmd.args(["remediate", "--plan-in", plan, "--apply", "--allow-action", "all", "--endpoint-url", &endpoint])
        .args(["--calls-per-second", rate, "--format", "json", "--report-dir"])
        .arg(report)
        .current_dir(crate::support::root())
        .env("PALISADE_CACHE_DIR", crate::support::root().join("target/test-cache"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    moto.command_env(&mut cmd);
    cmd.spawn().expect("palisade starts")
}

/// Wait (two minutes at most) until the proxy has seen a write call.
fn wait_for_a_write(proxy: &ThrottleProxy) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while writes(proxy).values().sum::<u64>() == 0 {
        assert!(std::time::Instant::now() < deadline, "no write call within two minutes");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn sigterm_stops_after_the_call_in_flight_and_the_report_says_what_was_not_sent() {
    let moto = moto::session();
    seed(&moto);
    let proxy = moto.proxy_with(&ProxyOptions::default());
    let work = tempfile::tempdir().expect("tempdir");
    let plan = plan_to(&moto, &proxy, work.path());
    let dir = work.path().join("term");
    let child = spawn_apply(&moto, &proxy, &plan, &dir, "0.2");
    wait_for_a_write(&proxy);
    let status = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success(), "kill -TERM");
    let out = child.wait_with_output().expect("reaped");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "an interrupted apply exits 1: {err}");
    assert!(err.contains("interrupted by SIGTERM"), "{err}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("the report on stdout");
    assert!(dir.join("remediation.html").is_file(), "the report is written: {err}");
    let sent = writes(&proxy).values().sum::<u64>();
    assert_eq!(sent, 1, "nothing sent after the signal");
    let all = statuses(&report);
    assert_eq!(all.values().filter(|s| *s == "applied").count(), 1, "{report:#}");
    for a in report["actions"].as_array().expect("actions").iter().filter(|a| a["status"] != "applied") {
        assert_eq!(a["status"], "failed", "{a:#}");
        let error = a["error"].as_str().unwrap_or_default();
        assert!(error.starts_with("interrupted") && error.contains("SIGTERM"), "{error}");
    }
}

#[test]
fn a_run_killed_half_way_is_completed_without_sending_any_call_twice() {
    let moto = moto::session();
    let s = seed(&moto);
    let proxy = moto.proxy_with(&ProxyOptions::default());
    let work = tempfile::tempdir().expect("tempdir");
    let plan = plan_to(&moto, &proxy, work.path());

    // One write call every two seconds: six calls over ten seconds; killed after the first.
    let mut child = spawn_apply(&moto, &proxy, &plan, &work.path().join("killed"), "0.5");
    wait_for_a_write(&proxy);
    child.kill().expect("SIGKILL");
    let out = child.wait_with_output().expect("reaped");
    assert_eq!(out.status.code(), None, "killed by a signal: {}", stderr(&out));
    let sent = writes(&proxy).values().sum::<u64>();
    assert!((1..6).contains(&sent), "killed half-way: {sent} write calls");
    assert!(!work.path().join("killed").exists(), "no half-written report");

    // The re-run: what was done is `done`, the rest applied, no call sent twice.
    let rerun = work.path().join("rerun").to_str().expect("utf-8").to_string();
    let (exit, report, err) =
        remediate(&moto, &proxy, &["--plan-in", &plan, "--apply", "--allow-action", "all", "--report-dir", &rerun]);
    assert_eq!(exit, 0, "{err}\n{report:#}");
    let done = statuses(&report).values().filter(|s| *s == "done").count();
    assert!(done >= 1, "the killed run's action is done: {report:#}");
    assert!(statuses(&report).values().all(|s| s == "done" || s == "applied"), "{report:#}");
    assert_eq!(writes(&proxy), WRITES.iter().map(|w| (*w, 1)).collect(), "each call once in all");
    assert_eq!(settings(&moto, &s), fixed());
}

#[test]
fn throttled_writes_are_retried_and_a_resource_that_cannot_be_read_again_is_unverified() {
    let moto = moto::session();
    let s = seed(&moto);
    let plain = moto.proxy_with(&ProxyOptions::default());
    let work = tempfile::tempdir().expect("tempdir");
    let plan = plan_to(&moto, &plain, work.path());
    // The key's rotation is throttled twice, then accepted; the scan after
    // the apply cannot list keys, so the key cannot be read again.
    let proxy = moto.proxy_with(&ProxyOptions {
        throttle: vec![("EnableKeyRotation", 2)],
        deny: vec!["ListKeys"],
        ..ProxyOptions::default()
    });
    let dir = work.path().join("apply").to_str().expect("utf-8").to_string();
    let (exit, report, err) =
        remediate(&moto, &proxy, &["--plan-in", &plan, "--apply", "--allow-action", "all", "--report-dir", &dir]);
    assert_eq!(exit, 1, "one resource could not be verified: {err}\n{report:#}");
    assert_eq!(proxy.action_count("EnableKeyRotation"), 3, "two throttled, the third accepted");
    assert!(statuses(&report).values().all(|s| s == "applied"), "{report:#}");
    let verdicts: BTreeMap<String, String> = report["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| {
            let kind = a["action"]["kind"].as_str().unwrap_or_default().to_string();
            (kind, a["verification"]["result"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    assert_eq!(verdicts["kms.enable-rotation"], "unverified", "{report:#}");
    let kms =
        report["actions"].as_array().and_then(|a| a.iter().find(|a| a["action"]["kind"] == "kms.enable-rotation"));
    let detail = kms.and_then(|a| a["verification"]["detail"].as_str()).unwrap_or_default();
    assert!(detail.contains("kms:ListKeys"), "the reason names the call: {detail}");
    assert_eq!(report["summary"]["unverified"], 1);
    assert!(verdicts.iter().filter(|(k, _)| *k != "kms.enable-rotation").all(|(_, v)| v == "fixed" || v == "pending"));
    assert_eq!(settings(&moto, &s), fixed());
}

#[test]
fn a_bucket_acl_with_other_grants_keeps_them_and_only_public_access_is_blocked() {
    let moto = moto::session();
    // A bucket readable by everyone that also grants log delivery and another
    // account: resetting its ACL would delete those grants.
    let grants = moto.run_boto3(
        &moto.endpoint(),
        &format!(
            r#"
import boto3, json
s3 = boto3.client("s3", region_name="{REGION}")
s3.create_bucket(Bucket="shared-logs", CreateBucketConfiguration={{"LocationConstraint": "{REGION}"}})
owner = s3.get_bucket_acl(Bucket="shared-logs")["Owner"]
group = lambda uri: {{"Type": "Group", "URI": "http://acs.amazonaws.com/groups/" + uri}}
s3.put_bucket_acl(Bucket="shared-logs", AccessControlPolicy={{"Owner": owner, "Grants": [
    {{"Grantee": {{"Type": "CanonicalUser", "ID": owner["ID"]}}, "Permission": "FULL_CONTROL"}},
    {{"Grantee": group("s3/LogDelivery"), "Permission": "WRITE"}},
    {{"Grantee": {{"Type": "CanonicalUser", "ID": "a" * 64}}, "Permission": "READ"}},
    {{"Grantee": group("global/AllUsers"), "Permission": "READ"}}]}})
print(json.dumps(sorted(g["Permission"] + " " + g["Grantee"].get("URI", g["Grantee"].get("ID", "")) for g in s3.get_bucket_acl(Bucket="shared-logs")["Grants"])))
"#
        ),
    );
    let before: Vec<String> = serde_json::from_str(&grants).unwrap_or_else(|e| panic!("{e}: {grants}"));
    assert_eq!(before.len(), 4, "{before:?}");
    let proxy = moto.proxy_with(&ProxyOptions::default());
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().join("apply").to_str().expect("utf-8").to_string();
    let args = live(&["--apply", "--allow-action", "s3.block-public-access", "--report-dir", &dir]);
    let (exit, report, err) = remediate(&moto, &proxy, &strings(&args));
    let bucket = report["actions"].as_array().and_then(|a| a.iter().find(|a| a["arn"] == "arn:aws:s3:::shared-logs"));
    let bucket = bucket.unwrap_or_else(|| panic!("the bucket's action: {err}\n{report:#}"));
    assert_eq!(bucket["status"], "applied", "{bucket:#}");
    assert_eq!(bucket["sent"], json!(["s3:PutPublicAccessBlock"]), "the ACL is not reset: {bucket:#}");
    assert_eq!(bucket["verification"]["result"], "fixed", "IgnorePublicAcls makes the public grant ineffective");
    assert_eq!(proxy.action_count("PutBucketAcl"), 0);
    let after = moto.run_boto3(
        &moto.endpoint(),
        r#"
import boto3, json
s3 = boto3.client("s3", region_name="eu-west-1")
print(json.dumps(sorted(g["Permission"] + " " + g["Grantee"].get("URI", g["Grantee"].get("ID", "")) for g in s3.get_bucket_acl(Bucket="shared-logs")["Grants"])))
"#,
    );
    let after: Vec<String> = serde_json::from_str(&after).unwrap_or_else(|e| panic!("{e}: {after}"));
    assert_eq!(after, before, "no grant deleted");
    assert_eq!(exit, 0, "fixed and verified: {err}");
}
