//! The remediation report as people see it: a report built through the
//! engine's public API (an inventory, violations with tag fixes and
//! actions, a plan, outcomes with verification) is written with
//! `write_dir`, then `remediation.html` is opened
//! in Debian's headless Chromium with the network blocked, printed to PDF
//! and read back with `pdftotext`; its DOM is dumped to check that nothing
//! refers to the outside. `remediation.json` is checked against
//! `engine/schema/remediation-report.schema.json`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use palisade_engine::inventory::Inventory;
use palisade_engine::remediation::plan::{InventoryRef, PackRef, RemediationPlan};
use palisade_engine::remediation::render::{self, WrittenReport};
use palisade_engine::remediation::report::{
    ActionOutcome, ActionStatus, ChangeOutcome, ChangeStatus, Mode, Outcomes, RemediationReport, RunInfo, Verification,
    Verified,
};
use palisade_engine::remediation::resolve;
use palisade_engine::{EnforcementLevel, Severity, Violation};
use serde_json::{Value, json};

use crate::support::repo;

const ACCOUNT: &str = "123456789012";
const SCRIPT_TAG: &str = "<script>document.title='pwned'</script>";
const IMG_ERROR: &str = "AccessDeniedException: denied for <img src=\"https://evil.example/x.png\"> & \"quotes\"";
const SG_ERROR: &str = "UnauthorizedOperation: You are not authorized to perform: ec2:RevokeSecurityGroupIngress";
/// A secret-named tag's value: plans and reports show it as `[secret]`.
const TAG_SECRET: &str = "RogueTagSecret-4242";
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";

fn arn(service: &str, rest: &str) -> String {
    format!("arn:aws:{service}:us-east-1:{ACCOUNT}:{rest}")
}

/// Six live resources, every one lacking `owner` or `cost-center`, and
/// three read whole by the live readers: a public bucket, a security group
/// open to the world on port 80, a KMS key without rotation.
fn inventory() -> Inventory {
    let resource = |arn: String, service: &str, ty: &str, tf: &str, tags: Value| {
        json!({"arn": arn, "service": service, "resource_type": ty, "terraform_type": tf, "region": "us-east-1",
               "account": ACCOUNT, "tags": tags, "seen_at": "2026-11-30T10:00:03Z"})
    };
    let whole = |arn: String, service: &str, ty: &str, tf: &str, id: &str, properties: Value| {
        let mut r = resource(arn, service, ty, tf, json!({"owner": "platform", "cost-center": "0000"}));
        r["id"] = json!(id);
        r["properties"] = properties;
        r
    };
    let inventory = json!({
        "format": "palisade-inventory", "version": 1, "provider": "aws",
        "started_at": "2026-11-30T10:00:00Z", "finished_at": "2026-11-30T10:00:04Z",
        "filters": {"resource_types": [], "tags": []},
        "scopes": [{"account": ACCOUNT, "region": "us-east-1", "status": "complete", "pages": 1, "resources": 9}],
        "resources": [
            resource(arn("dynamodb", "table/orders"), "dynamodb", "dynamodb:table", "aws_dynamodb_table", json!({"env": "prod"})),
            resource(arn("ec2", "instance/i-0abc"), "ec2", "ec2:instance", "aws_instance",
                     json!({"Name": "web", "owner": "nobody", "tmp": "1"})),
            resource("arn:aws:s3:::archive".into(), "s3", "s3", "aws_s3_bucket", json!({"env": "prod", "owner": "platform", "cost-center": "0000"})),
            resource("arn:aws:s3:::logs".into(), "s3", "s3", "aws_s3_bucket",
                     json!({"env": "prod", "note": SCRIPT_TAG, "db-password": TAG_SECRET})),
            resource("arn:aws:s3:::media".into(), "s3", "s3", "aws_s3_bucket", json!({"env": "dev"})),
            resource(arn("sqs", "jobs"), "sqs", "sqs", "aws_sqs_queue", json!({"env": "dev"})),
            whole("arn:aws:s3:::site".into(), "s3", "s3", "aws_s3_bucket", "site",
                  json!({"bucket": "site", "grant": [
                      {"id": "0wner", "uri": "", "permissions": ["FULL_CONTROL"], "type": "CanonicalUser"},
                      {"uri": ALL_USERS, "permissions": ["READ"], "type": "Group"}]})),
            whole(arn("ec2", "security-group/sg-0web"), "ec2", "ec2:security-group", "aws_security_group", "sg-0web",
                  json!({"name": "web", "ingress": [
                      {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": ["0.0.0.0/0"]},
                      {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8"]}]})),
            whole(arn("kms", "key/k-1"), "kms", "kms:key", "aws_kms_key", "k-1", json!({"enable_key_rotation": false})),
        ]
    });
    serde_json::from_value(inventory).expect("an inventory")
}

/// A violation of `policy` on `arn`, with the fix `fix` resolved against the
/// resource as the engine does for a policy's remediation document;
/// `s3-no-public-read` is mandatory and high, the others at `remediate`.
fn violation(inv: &Inventory, arn: &str, policy: &str, message: &str, fix: Option<Value>) -> Violation {
    let resource = inv.resources.iter().find(|r| r.arn == arn).expect("in the inventory").to_resource("inventory.json");
    let public_read = policy == "s3-no-public-read";
    Violation {
        policy: policy.to_string(),
        pack: "aws-baseline".to_string(),
        enforcement_level: if public_read { EnforcementLevel::Mandatory } else { EnforcementLevel::Remediate },
        severity: if public_read { Severity::High } else { Severity::Medium },
        resource: arn.to_string(),
        resource_type: resource.resource_type.clone(),
        action: resource.op,
        message: message.to_string(),
        file: "inventory.json".to_string(),
        undecided: false,
        location: None,
        remediation: fix.and_then(|doc| resolve(&doc, &resource, &str::to_string).expect("a valid fix")),
    }
}

/// The run's violations, and the inventory its plan was made from: the
/// archive bucket was fixed by an interrupted earlier run, so the plan made
/// from an older inventory still lists it.
fn violations(inv: &Inventory) -> (Vec<Violation>, Inventory) {
    let tags = |set: Value| Some(json!({"tags": {"set": set}}));
    let defaults = json!({"owner": "platform", "cost-center": "0000"});
    let missing = "missing tags: owner, cost-center";
    let mut violations = vec![
        violation(inv, "arn:aws:s3:::logs", "required-tags", missing, tags(defaults.clone())),
        violation(inv, "arn:aws:s3:::media", "required-tags", missing, tags(defaults.clone())),
        violation(inv, &arn("sqs", "jobs"), "required-tags", missing, tags(defaults.clone())),
        violation(
            inv,
            &arn("ec2", "instance/i-0abc"),
            "required-tags",
            "tag owner=nobody is not allowed; missing cost-center",
            Some(json!({"tags": {"set": {"owner": "team-web", "cost-center": "4242"}, "remove": ["tmp"]}})),
        ),
        violation(
            inv,
            &arn("dynamodb", "table/orders"),
            "required-tags",
            "missing owner: \"quotes\" & <b>bold</b> and <script>alert(1)</script>",
            None,
        ),
        violation(inv, "arn:aws:s3:::logs", "s3-no-public-read", "the bucket is public", None),
        violation(
            inv,
            "arn:aws:s3:::site",
            "aws-s3-bucket-disallow-public-read",
            "AllUsers can READ",
            Some(json!({"action": {"kind": "s3.block-public-access"}})),
        ),
        violation(
            inv,
            &arn("ec2", "security-group/sg-0web"),
            "aws-ec2-securitygroup-disallow-inbound-http-traffic",
            "port 80 is open to 0.0.0.0/0",
            Some(json!({"action": {"kind": "ec2.revoke-ingress", "params": {"rules": [
                {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_ipv4": "0.0.0.0/0"}]}}})),
        ),
        violation(
            inv,
            &arn("kms", "key/k-1"),
            "aws-kms-key-enable-key-rotation",
            "key rotation is off",
            Some(json!({"action": {"kind": "kms.enable-rotation"}})),
        ),
    ];
    // An undecided finding: counted apart from the violations.
    let mut undecided =
        violation(inv, &arn("dynamodb", "table/orders"), "encryption-at-rest", "encryption unknown", None);
    undecided.undecided = true;
    undecided.enforcement_level = EnforcementLevel::Advisory;
    violations.push(undecided);
    let mut older = inv.clone();
    if let Some(r) = older.resources.iter_mut().find(|r| r.arn == "arn:aws:s3:::archive") {
        r.tags.remove("owner");
        r.tags.remove("cost-center");
    }
    violations.push(violation(&older, "arn:aws:s3:::archive", "required-tags", missing, tags(defaults)));
    (violations, older)
}

/// A realistic applied run: tag changes 3 applied and verified fixed, 1
/// already applied (the archive bucket got its tags from an interrupted
/// run after the inventory was taken), 1 failed (SQS); actions: the public
/// bucket blocked and verified fixed, the security group's revoke failed,
/// the KMS key's rotation not allowed; 1 violation needing a human; an
/// undecided finding; hostile strings throughout.
fn report(mode: Mode) -> RemediationReport {
    let inv = inventory();
    let (violations, older) = violations(&inv);
    let inventory_ref = InventoryRef {
        source: "snapshots/inventory.json".to_string(),
        started_at: inv.started_at.clone(),
        finished_at: inv.finished_at.clone(),
        sha256: "5f".repeat(32),
    };
    let packs =
        vec![PackRef { name: "aws-baseline".into(), version: "0.3.1".into(), source: "builtin:aws-baseline".into() }];
    let plan =
        RemediationPlan::new(&older, inventory_ref.clone(), packs.clone(), &violations, "2026-11-30T10:00:05Z".into());
    assert_eq!(plan.changes.len(), 5, "{plan:#?}");
    assert_eq!(plan.needs_human.len(), 1, "{plan:#?}");
    assert_eq!(plan.actions.len(), 3, "{plan:#?}");
    let fixed = || Some(Verified { result: Verification::Fixed, detail: String::new() });
    let changes = plan
        .changes
        .iter()
        .map(|c| {
            let (status, error) = match (mode, c.arn.as_str()) {
                (Mode::DryRun, _) => (ChangeStatus::Planned, None),
                (Mode::Apply, "arn:aws:s3:::archive") => (ChangeStatus::AlreadyApplied, None),
                (Mode::Apply, a) if a.contains(":sqs:") => (ChangeStatus::Failed, Some(IMG_ERROR.to_string())),
                (Mode::Apply, _) => (ChangeStatus::Applied, None),
            };
            let verification = (status == ChangeStatus::Applied).then(fixed).flatten();
            ChangeOutcome { change: c.clone(), status, error, verification }
        })
        .collect();
    let actions = plan.actions.iter().cloned().map(|a| action_outcome(mode, a)).collect();
    let run = RunInfo {
        id: "20261130T100005Z".into(),
        started_at: "2026-11-30T10:00:05Z".into(),
        finished_at: "2026-11-30T10:00:17Z".into(),
        mode,
        caller: Some(format!("arn:aws:iam::{ACCOUNT}:user/ops-bot")),
        inventory: inventory_ref,
        plan: None,
        packs,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    RemediationReport::new(run, &plan, Outcomes { changes, actions }, violations, inv.resources.len())
}

/// The outcome of planned action `a` in a run of `mode` (see [`report`]).
fn action_outcome(mode: Mode, a: palisade_engine::remediation::plan::PlannedAction) -> ActionOutcome {
    let planned = ActionOutcome::planned(a);
    if mode == Mode::DryRun {
        return planned;
    }
    let found = Some(planned.action.before.clone());
    let started_at = Some("2026-11-30T10:00:08Z".to_string());
    match planned.action.action.kind().name() {
        "s3.block-public-access" => ActionOutcome {
            status: ActionStatus::Applied,
            sent: planned.action.calls.iter().map(|c| c.operation.clone()).collect(),
            found,
            started_at,
            duration_ms: Some(340),
            verification: Some(Verified { result: Verification::Fixed, detail: String::new() }),
            ..planned
        },
        "ec2.revoke-ingress" => ActionOutcome {
            status: ActionStatus::Failed,
            error: Some(SG_ERROR.to_string()),
            found,
            started_at,
            duration_ms: Some(95),
            ..planned
        },
        _ => ActionOutcome {
            status: ActionStatus::NotAllowed,
            error: Some("action kms.enable-rotation is not allowed (--allow-action kms.enable-rotation)".to_string()),
            ..planned
        },
    }
}

/// [`report`] applied again from its plan file (`--plan-in`): no policy is
/// evaluated, so there are no violations.
fn report_from_plan() -> RemediationReport {
    let applied = report(Mode::Apply);
    let mut run = applied.run.clone();
    run.plan = Some("plans/reviewed.json".to_string());
    let inv = inventory();
    let (violations, older) = violations(&inv);
    let plan =
        RemediationPlan::new(&older, run.inventory.clone(), run.packs.clone(), &violations, run.started_at.clone());
    let outcomes = Outcomes { changes: applied.changes.clone(), actions: applied.actions.clone() };
    RemediationReport::new(run, &plan, outcomes, Vec::new(), inv.resources.len())
}

/// [`report_from_plan`] applied when the plan was stale: nothing was sent,
/// every change and action is still planned.
fn report_stale() -> RemediationReport {
    let mut from_plan = report_from_plan();
    let inv = inventory();
    let (violations, older) = violations(&inv);
    let run = from_plan.run.clone();
    let plan =
        RemediationPlan::new(&older, run.inventory.clone(), run.packs.clone(), &violations, run.started_at.clone());
    from_plan = RemediationReport::new(run, &plan, Outcomes::planned(&plan), Vec::new(), inv.resources.len());
    from_plan.mark_stale(vec![
        "arn:aws:s3:::site: public_access_block.block_public_acls is true, the plan expected false".to_string(),
    ]);
    from_plan
}

/// [`report`] applied where the bucket's action was interrupted after its
/// first call, the security group is changed in place although a state
/// manages it (`--include-managed`), and the KMS key's fix is left to code
/// with a note.
fn report_partly_managed() -> RemediationReport {
    let mut applied = report(Mode::Apply);
    let inv = inventory();
    let (violations, older) = violations(&inv);
    let mut plan = RemediationPlan::new(
        &older,
        applied.run.inventory.clone(),
        applied.run.packs.clone(),
        &violations,
        applied.run.started_at.clone(),
    );
    for o in &mut applied.actions {
        match o.action.action.kind().name() {
            "s3.block-public-access" => {
                o.status = ActionStatus::Failed;
                o.sent.truncate(1);
                o.error =
                    Some(format!("interrupted (SIGTERM) after part of this action was sent ({})", o.sent.join(", ")));
                o.verification = None;
            }
            "ec2.revoke-ingress" => o.action.managed_by = Some("prod.tfstate (aws_security_group.web)".to_string()),
            _ => {}
        }
    }
    for a in &mut plan.actions {
        if a.action.kind().name() == "ec2.revoke-ingress" {
            a.managed_by = Some("prod.tfstate (aws_security_group.web)".to_string());
        }
    }
    plan.managed.push(palisade_engine::remediation::plan::Managed {
        resource: "arn:aws:s3:::media".to_string(),
        state: "prod.tfstate".to_string(),
        address: "aws_s3_bucket.media".to_string(),
        fix: "s3.block-public-access".to_string(),
        patch: vec![json!({"op": "add", "path": "/acl", "value": "private"})],
        diff: vec!["+ /acl: \"private\"".to_string()],
        policies: vec!["aws-baseline/aws-s3-bucket-disallow-public-read".to_string()],
        note: Some("a separate `aws_s3_bucket_public_access_block` resource".to_string()),
        changed_in_place: false,
    });
    let outcomes = Outcomes { changes: applied.changes.clone(), actions: applied.actions.clone() };
    RemediationReport::new(applied.run.clone(), &plan, outcomes, violations, inv.resources.len())
}

#[test]
fn stale_partly_applied_and_managed_reports_validate_and_say_so() {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(repo("engine/schema/remediation-report.schema.json")).expect("schema file"),
    )
    .expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let stale = report_stale();
    assert_eq!(stale.exit_code(), 2);
    let partly = report_partly_managed();
    for (name, report) in [("stale", &stale), ("partly", &partly)] {
        let value: Value = serde_json::from_str(&render::to_json(report).expect("renders")).expect("JSON");
        let errors: Vec<String> =
            validator.iter_errors(&value).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    let value: Value = serde_json::from_str(&render::to_json(&stale).expect("renders")).expect("JSON");
    assert_eq!((value["summary"]["stale"].clone(), value["stale"].as_array().map(Vec::len)), (json!(1), Some(1)));
    let md = render::to_markdown(&stale).expect("renders");
    assert!(md.starts_with("## Palisade remediation: Stale plan\n"), "{md}");
    assert!(md.contains("| Exit code | 2: the plan is stale"), "{md}");
    assert_eq!(md.matches("not sent: the plan is stale").count(), 2 * (5 + 3), "each change and action, twice: {md}");

    let value: Value = serde_json::from_str(&render::to_json(&partly).expect("renders")).expect("JSON");
    let sg = value["actions"].as_array().expect("actions").iter().find(|a| a["action"]["kind"] == "ec2.revoke-ingress");
    assert_eq!(sg.expect("the group")["managed_by"], "prod.tfstate (aws_security_group.web)");
    assert!(value["managed"][0]["note"].is_string(), "{value:#}");
    let html = render::to_html(&partly).expect("renders");
    assert!(html.contains("partly applied: s3:PutPublicAccessBlock; the rest was not sent"), "{html}");
    assert!(html.contains("managed by prod.tfstate (aws_security_group.web); changed in place (--include-managed)"));
    assert!(html.contains("Note: a separate `aws_s3_bucket_public_access_block` resource"), "{html}");
    let md = render::to_markdown(&partly).expect("renders");
    assert!(md.starts_with("## Palisade remediation: Partially applied\n"), "{md}");
    // Invalid: a stale count that is not a number, a managed_by that is not a string.
    for (pointer, bad) in [("/summary/stale", json!("one")), ("/managed/0/note", json!(1))] {
        let mut doc = value.clone();
        *doc.pointer_mut(pointer).expect("present") = bad;
        assert!(!validator.is_valid(&doc), "{pointer}");
    }
}

#[test]
fn remediation_json_validates_against_the_schema() {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(repo("engine/schema/remediation-report.schema.json")).expect("schema file"),
    )
    .expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for (mode, report) in
        [(Mode::DryRun, report(Mode::DryRun)), (Mode::Apply, report(Mode::Apply)), (Mode::Apply, report_from_plan())]
    {
        let text = render::to_json(&report).expect("renders");
        let value: Value = serde_json::from_str(&text).expect("JSON");
        let errors: Vec<String> =
            validator.iter_errors(&value).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{mode:?}: {errors:#?}");
        assert_eq!(value["version"], 2);
        assert_eq!(value["actions"].as_array().map(Vec::len), Some(3), "{value:#}");
        if report.summary.evaluated {
            assert!(value["violations"][0]["remediation"]["tags"]["set"].is_object(), "violations keep their fixes");
            assert!(
                value["violations"]
                    .as_array()
                    .expect("violations")
                    .iter()
                    .any(|v| v["remediation"]["action"].is_object()),
                "and their actions"
            );
        } else {
            assert_eq!(value["summary"]["evaluated"], false);
        }
    }
    let applied: Value = serde_json::from_str(&render::to_json(&report(Mode::Apply)).expect("renders")).expect("JSON");
    let bucket = applied["actions"].as_array().expect("actions").iter().find(|a| a["arn"] == "arn:aws:s3:::site");
    assert_eq!(bucket.expect("the bucket's action")["verification"]["result"], "fixed", "{applied:#}");
    assert_eq!(applied["summary"]["undecided"], 1);
    // A failed action without its error is refused, as a wrong status is.
    for (key, value) in [("error", None), ("status", Some(json!("half-done")))] {
        let mut doc = applied.clone();
        let action = doc["actions"].as_array_mut().expect("actions").iter_mut().find(|a| a["status"] == "failed");
        let action = action.expect("a failed action").as_object_mut().expect("object");
        match value {
            None => action.remove(key),
            Some(v) => action.insert(key.to_string(), v),
        };
        assert!(!validator.is_valid(&doc), "{key}");
    }
    // The schema is not a formality: a failed change without its error is refused.
    let mut value: Value =
        serde_json::from_str(&render::to_json(&report(Mode::Apply)).expect("renders")).expect("JSON");
    let failed = value["changes"].as_array_mut().expect("changes").iter_mut().find(|c| c["status"] == "failed");
    failed.expect("a failed change").as_object_mut().expect("object").remove("error");
    assert!(!validator.is_valid(&value));
}

/// Chromium, or a failure that says how to install it.
fn chromium() -> PathBuf {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().map(PathBuf::from).find(|p| p.is_file());
    let hint = "run `scripts/install-toolchains.sh chromium` (Debian packages chromium and poppler-utils)";
    let chromium = found.unwrap_or_else(|| panic!("headless Chromium is needed to test the HTML report: {hint}"));
    let pdftotext = Command::new("pdftotext").arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status();
    assert!(pdftotext.is_ok(), "pdftotext is needed to read the printed report: {hint}");
    chromium
}

/// Run `cmd`, killing it after `limit`.
fn run_with_deadline(mut cmd: Command, limit: Duration) -> Output {
    let what = format!("{cmd:?}");
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("chromium starts");
    let start = Instant::now();
    loop {
        match child.try_wait().expect("wait") {
            Some(_) => return child.wait_with_output().expect("output"),
            None if start.elapsed() > limit => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("output");
                panic!("{what} did not finish in {limit:?}: {}", String::from_utf8_lossy(&out.stderr));
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Chromium, headless, offline (every host resolves to nothing and every
/// request goes to a closed proxy port), with its own profile in `profile`.
fn headless(chromium: &Path, profile: &Path, action: &str, page: &Path) -> Output {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
        "--no-pdf-header-footer",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(action)
    .arg(format!("file://{}", page.display()))
    .env("HOME", profile);
    let out = run_with_deadline(cmd, Duration::from_secs(90));
    assert!(out.status.success(), "chromium {action} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The start tags of serialized HTML (`<` in text and attribute values is
/// escaped by the serializer), each up to its closing `>` outside quotes.
fn start_tags(dom: &str) -> Vec<&str> {
    let mut tags = Vec::new();
    let mut rest = dom;
    while let Some(open) = rest.find('<') {
        let tag = &rest[open..];
        let mut quote = None;
        let mut end = tag.len();
        for (i, c) in tag.char_indices().skip(1) {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '>') => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        if !tag.starts_with("</") {
            tags.push(&tag[..end]);
        }
        rest = &tag[end..];
    }
    tags
}

/// The text of a PDF, whitespace collapsed to single spaces: in reading
/// order (a wrapped table cell is read whole), or with `layout` line by
/// line as printed (the summary's cards side by side).
fn pdf_text(pdf: &Path, layout: bool) -> String {
    let mut cmd = Command::new("pdftotext");
    if layout {
        cmd.arg("-layout");
    }
    let out = cmd.arg(pdf).arg("-").output().expect("pdftotext runs");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The printed page of [`report`] (`text` in reading order, `lines` as
/// laid out) shows the badge, the outcome, what failed, tags and actions
/// before and after with their verification, what needs a human, the chart
/// with undecided findings apart, and no secret-named tag's value.
fn check_printed(text: &str, lines: &str) {
    let sg = arn("ec2", "security-group/sg-0web");
    for wanted in [
        // Something failed: the badge says so, never "Applied".
        "Palisade remediation report Partially applied Part of the plan was applied (--apply);",
        // (A line may break inside "max-changes", where the printed text drops the hyphen.)
        "tag changes: 3 applied, 1 already applied, 1 failed; actions: 1 applied, 0 done, 1 failed, 1 not allowed, 0 not applied",
        "verified: 4 fixed, 0 pending, 0 still violating, 0 could not be verified; 2 violations need a human; 5 blocking \
         violations remain.",
        // The failed ARNs and why, with the hostile error shown as text.
        &format!("What failed or was not applied, and why (2) Resource Fix Type Region Error {}", arn("sqs", "jobs")),
        &format!("{} tags aws_sqs_queue us-east-1 {IMG_ERROR}", arn("sqs", "jobs")),
        "Tags: what was changed (4)",
        // Before and after tags: the instance's owner changed, tmp removed,
        // cost-center added; the hostile tag value shows as text.
        "owner nobody team-web changed",
        "tmp 1 absent removed",
        "cost-center absent 4242 added",
        &format!("note {SCRIPT_TAG} {SCRIPT_TAG} unchanged"),
        // A secret-named tag is shown redacted.
        "db-password [secret] [secret] unchanged",
        // The failed SQS change: its tags as they still are, not applied.
        "cost-center absent absent not applied (planned: 0000)",
        "owner absent absent not applied (planned: platform)",
        "not applied: the tags as they still are",
        // The bucket's action: calls, before, after and found, verified, timed.
        "arn:aws:s3:::site s3.block-public-access Applied Fixed",
        "Calls s3:PutPublicAccessBlock",
        "s3:PutBucketAcl {\"ACL\":\"private\",\"Bucket\":\"site\"}",
        "Verification Fixed",
        "Sent s3:PutPublicAccessBlock, s3:PutBucketAcl",
        "Started 2026-11-30T10:00:08Z (340 ms)",
        "Setting Before After Found on re-read Change",
        // The group's revoke failed: the configuration as it still is.
        &format!("{sg} ec2.revoke-ingress Failed"),
        "Rules tcp 80-80 from 0.0.0.0/0",
        &format!("Error {SG_ERROR}"),
        "not applied (planned:",
        // The key's action is not allowed: a human decides.
        "the fix is the action kms.enable-rotation (kms:EnableKeyRotation)",
        "action kms.enable-rotation is not allowed (--allow-action kms.enable-rotation)",
        // Needs a human, with its hostile message as text.
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
        "missing owner: \"quotes\" & <b>bold</b> and <script>alert(1)</script>",
        "the policy proposed no fix",
        // The chart's numbers, undecided apart, and the metadata.
        "Violations by policy and severity",
        "undecided (apart): 1",
        "high mandatory aws-baseline s3-no-public-read 1 0",
        "aws-baseline/required-tags 6",
        "medium advisory aws-baseline encryption-at-rest 0 1",
        "aws-baseline/encryption-at-rest 0 + 1 undecided",
        "Undecided findings (a value could not be read or is unknown) are counted apart from violations: 1.",
        "arn:aws:iam::123456789012:user/ops-bot",
        "aws-baseline 0.3.1 from builtin:aws-baseline",
        "snapshots/inventory.json",
        "2026-11-30T10:00:05Z",
        "(12.0 s)",
    ] {
        assert!(text.contains(wanted), "the printed page lacks {wanted:?}:\n{text}");
    }
    assert!(!text.contains(TAG_SECRET) && !lines.contains(TAG_SECRET), "a secret-named tag's value is shown");
    // The failed change's tags (its article ends where the violations start): nothing shown as added.
    let sqs = text.find(&format!("{} Failed aws_sqs_queue in us-east-1", arn("sqs", "jobs"))).expect("the SQS tags");
    let end = text[sqs..].find("All violations").map_or(text.len(), |i| sqs + i);
    assert!(!text[sqs..end].contains("added"), "a failed change shown as added: {}", &text[sqs..end]);
}

/// The DOM of [`report`]'s page holds the summary's cards, an action's
/// configuration row and the chart's undecided bar.
fn check_dom_content(dom: &str) {
    // The summary's cards, undecided apart from violations.
    for (label, value) in [
        ("Resources", "9"),
        ("Violations", "10"),
        ("Undecided", "1"),
        ("Planned", "5"),
        ("Applied", "3"),
        ("Already applied", "1"),
        ("Failed", "1"),
        ("Actions", "3"),
        ("Actions applied", "1"),
        ("Actions failed", "1"),
        ("Not allowed", "1"),
        ("Fixed", "4"),
        ("Still violating", "0"),
        ("Could not be verified", "0"),
        ("Needs a human", "2"),
        ("Remaining", "5"),
    ] {
        let card = format!("<dt>{label}</dt><dd>{value}</dd>");
        assert!(dom.contains(&card), "the summary lacks {card:?}");
    }
    // The bucket's action row: before, expected after, found on re-read.
    let row = "<tr class=\"tag-changed\"><td><code>public_access_block.block_public_acls</code></td><td><code>false</code>\
               </td><td><code>true</code></td><td><code>false</code></td><td class=\"mark\">changed</td></tr>";
    assert!(dom.contains(row), "the action's configuration lacks {row:?}");
    assert!(dom.contains("<td class=\"num\">6</td><td class=\"num\">0</td>"), "required-tags: 6 decided, 0 undecided");
    assert!(dom.contains("<rect class=\"undecided\""), "undecided findings have their own bar");
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "hostile text stays text");
}

#[test]
fn html_report_renders_offline_in_headless_chromium() {
    let chromium = chromium();
    let tmp = tempfile::tempdir().expect("tempdir");
    let report = report(Mode::Apply);
    let s = &report.summary;
    assert_eq!((s.applied, s.already_applied, s.failed, s.needs_human), (3, 1, 1, 2));
    assert_eq!((s.actions_applied, s.actions_failed, s.not_allowed, s.fixed, s.undecided), (1, 1, 1, 4, 1));
    let WrittenReport { html, markdown, json, .. } =
        render::write_dir(&report, &tmp.path().join("reports/20261130T100005Z")).expect("written");
    assert!(json.is_file() && markdown.is_file());

    let pdf = tmp.path().join("report.pdf");
    headless(&chromium, &tmp.path().join("profile"), &format!("--print-to-pdf={}", pdf.display()), &html);
    let lines = pdf_text(&pdf, true);
    check_printed(&pdf_text(&pdf, false), &lines);

    let out = headless(&chromium, &tmp.path().join("profile-dom"), "--dump-dom", &html);
    let dom = String::from_utf8(out.stdout).expect("UTF-8 DOM");
    assert!(dom.contains("<svg") && dom.contains("<rect"), "the chart is inline SVG");
    check_dom_content(&dom);
    let tags = start_tags(&dom);
    assert!(tags.len() > 100, "{} tags", tags.len());
    for tag in &tags {
        let lower = tag.to_ascii_lowercase();
        for forbidden in ["<script", "<img", "<link", "<iframe", "<object", "<embed", "<image", "<use"] {
            assert!(!lower.starts_with(forbidden), "the page has {tag}");
        }
        for attr in [" src=", " href=", " srcset=", " action=", " formaction=", " poster=", " xlink:href=", " data="] {
            assert!(!lower.contains(attr), "an element refers to a resource: {tag}");
        }
        assert!(!lower.contains("http:") && !lower.contains("https:") && !lower.contains("url("), "{tag}");
    }
    assert!(!dom.contains("url(") && !dom.contains("@import"), "the CSS fetches nothing");
    assert!(dom.contains("<title>Palisade remediation report: Partially applied"), "no script changed the title");
}

#[test]
fn html_report_from_a_plan_says_violations_were_not_evaluated() {
    let chromium = chromium();
    let tmp = tempfile::tempdir().expect("tempdir");
    let report = report_from_plan();
    assert!(!report.summary.evaluated);
    let WrittenReport { html, .. } = render::write_dir(&report, &tmp.path().join("from-plan")).expect("written");
    let pdf = tmp.path().join("report.pdf");
    headless(&chromium, &tmp.path().join("profile"), &format!("--print-to-pdf={}", pdf.display()), &html);
    let lines = pdf_text(&pdf, true);
    assert!(lines.contains("Violations not evaluated (from a plan)"), "the card:\n{lines}");
    // The page's lines as one (the outcome sentence wraps where the page ends).
    let text = pdf_text(&pdf, false).split_whitespace().collect::<Vec<_>>().join(" ");
    for wanted in [
        "Palisade remediation report Partially applied",
        "violations not evaluated (from a plan): 3 fixes not settled (failed, not sent, still violating or not verified).",
        "Violations not evaluated (from a plan): this run applied a reviewed plan file and judged no policy.",
        "All violations (not evaluated (from a plan))",
        "plans/reviewed.json",
    ] {
        assert!(text.contains(wanted), "the printed page lacks {wanted:?}:\n{text}");
    }
    for unwanted in ["No violations.", "Violations 0"] {
        assert!(!text.contains(unwanted) && !lines.contains(unwanted), "{unwanted:?}:\n{text}");
    }
}
