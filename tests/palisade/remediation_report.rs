//! The remediation report as people see it: a report built through the
//! engine's public API (an inventory, violations with tag fixes, a plan,
//! outcomes) is written with `write_dir`, then `remediation.html` is opened
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
use palisade_engine::remediation::report::{ChangeOutcome, ChangeStatus, Mode, RemediationReport, RunInfo};
use palisade_engine::remediation::resolve;
use palisade_engine::{EnforcementLevel, Severity, Violation};
use serde_json::{Value, json};

use crate::support::repo;

const ACCOUNT: &str = "123456789012";
const SCRIPT_TAG: &str = "<script>document.title='pwned'</script>";
const IMG_ERROR: &str = "AccessDeniedException: denied for <img src=\"https://evil.example/x.png\"> & \"quotes\"";

fn arn(service: &str, rest: &str) -> String {
    format!("arn:aws:{service}:us-east-1:{ACCOUNT}:{rest}")
}

/// Six live resources; every one lacks `owner` or `cost-center`.
fn inventory() -> Inventory {
    let resource = |arn: String, service: &str, ty: &str, tf: &str, tags: Value| {
        json!({"arn": arn, "service": service, "resource_type": ty, "terraform_type": tf, "region": "us-east-1",
               "account": ACCOUNT, "tags": tags, "seen_at": "2026-11-30T10:00:03Z"})
    };
    let inventory = json!({
        "format": "palisade-inventory", "version": 1, "provider": "aws",
        "started_at": "2026-11-30T10:00:00Z", "finished_at": "2026-11-30T10:00:04Z",
        "filters": {"resource_types": [], "tags": []},
        "scopes": [{"account": ACCOUNT, "region": "us-east-1", "status": "complete", "pages": 1, "resources": 6}],
        "resources": [
            resource(arn("dynamodb", "table/orders"), "dynamodb", "dynamodb:table", "aws_dynamodb_table", json!({"env": "prod"})),
            resource(arn("ec2", "instance/i-0abc"), "ec2", "ec2:instance", "aws_instance",
                     json!({"Name": "web", "owner": "nobody", "tmp": "1"})),
            resource("arn:aws:s3:::archive".into(), "s3", "s3", "aws_s3_bucket", json!({"env": "prod", "owner": "platform", "cost-center": "0000"})),
            resource("arn:aws:s3:::logs".into(), "s3", "s3", "aws_s3_bucket", json!({"env": "prod", "note": SCRIPT_TAG})),
            resource("arn:aws:s3:::media".into(), "s3", "s3", "aws_s3_bucket", json!({"env": "dev"})),
            resource(arn("sqs", "jobs"), "sqs", "sqs", "aws_sqs_queue", json!({"env": "dev"})),
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
    ];
    let mut older = inv.clone();
    if let Some(r) = older.resources.iter_mut().find(|r| r.arn == "arn:aws:s3:::archive") {
        r.tags.remove("owner");
        r.tags.remove("cost-center");
    }
    violations.push(violation(&older, "arn:aws:s3:::archive", "required-tags", missing, tags(defaults)));
    (violations, older)
}

/// A realistic applied run: 3 applied, 1 already applied (the archive
/// bucket got its tags from an interrupted run after the inventory was
/// taken), 1 failed (SQS), 1 needing a human, hostile strings throughout.
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
    let outcomes = plan
        .changes
        .iter()
        .map(|c| {
            let (status, error) = match (mode, c.arn.as_str()) {
                (Mode::DryRun, _) => (ChangeStatus::Planned, None),
                (Mode::Apply, "arn:aws:s3:::archive") => (ChangeStatus::AlreadyApplied, None),
                (Mode::Apply, a) if a.contains(":sqs:") => (ChangeStatus::Failed, Some(IMG_ERROR.to_string())),
                (Mode::Apply, _) => (ChangeStatus::Applied, None),
            };
            ChangeOutcome { change: c.clone(), status, error }
        })
        .collect();
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
    RemediationReport::new(run, &plan, outcomes, violations, inv.resources.len())
}

#[test]
fn remediation_json_validates_against_the_schema() {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(repo("engine/schema/remediation-report.schema.json")).expect("schema file"),
    )
    .expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for mode in [Mode::DryRun, Mode::Apply] {
        let report = report(mode);
        let text = render::to_json(&report).expect("renders");
        let value: Value = serde_json::from_str(&text).expect("JSON");
        let errors: Vec<String> =
            validator.iter_errors(&value).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{mode:?}: {errors:#?}");
        assert!(value["violations"][0]["remediation"]["tags"]["set"].is_object(), "violations keep their fixes");
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

#[test]
fn html_report_renders_offline_in_headless_chromium() {
    let chromium = chromium();
    let tmp = tempfile::tempdir().expect("tempdir");
    let report = report(Mode::Apply);
    assert_eq!(
        (report.summary.applied, report.summary.already_applied, report.summary.failed, report.summary.needs_human),
        (3, 1, 1, 1)
    );
    let WrittenReport { html, markdown, json, .. } =
        render::write_dir(&report, &tmp.path().join("reports/20261130T100005Z")).expect("written");
    assert!(json.is_file() && markdown.is_file());

    let pdf = tmp.path().join("report.pdf");
    headless(&chromium, &tmp.path().join("profile"), &format!("--print-to-pdf={}", pdf.display()), &html);
    let lines = pdf_text(&pdf, true);
    let cards = "Resources 6 Violations 7 Planned 5 Applied 3 Already applied 1 Failed 1 Needs a human 1 Remaining 3";
    assert!(lines.contains(cards), "the printed summary lacks {cards:?}:\n{lines}");
    let text = pdf_text(&pdf, false);
    for wanted in [
        "Palisade remediation report Applied The plan was applied to live resources (--apply).",
        "3 applied, 1 already applied, 1 failed; 1 violation needs a human; 3 blocking violations remain.",
        // The failed ARN and why, with the hostile error shown as text.
        &format!(
            "What failed, and why (1) Resource Type Region Error {} aws_sqs_queue us-east-1 {IMG_ERROR}",
            arn("sqs", "jobs")
        ),
        // Before and after tags: the instance's owner changed, tmp removed,
        // cost-center added; the hostile tag value shows as text.
        "owner nobody team-web changed",
        "tmp 1 absent removed",
        "cost-center absent 4242 added",
        &format!("note {SCRIPT_TAG} {SCRIPT_TAG} unchanged"),
        // Needs a human, with its hostile message as text.
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
        "missing owner: \"quotes\" & <b>bold</b> and <script>alert(1)</script>",
        "the policy proposed no fix",
        // The chart's numbers and the metadata.
        "Violations by policy and severity",
        "high mandatory aws-baseline s3-no-public-read 1",
        "medium remediate aws-baseline required-tags 6",
        "arn:aws:iam::123456789012:user/ops-bot",
        "aws-baseline 0.3.1 from builtin:aws-baseline",
        "snapshots/inventory.json",
        "2026-11-30T10:00:05Z",
        "(12.0 s)",
    ] {
        assert!(text.contains(wanted), "the printed page lacks {wanted:?}:\n{text}");
    }

    let out = headless(&chromium, &tmp.path().join("profile-dom"), "--dump-dom", &html);
    let dom = String::from_utf8(out.stdout).expect("UTF-8 DOM");
    assert!(dom.contains("<svg") && dom.contains("<rect"), "the chart is inline SVG");
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "hostile text stays text");
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
    assert!(dom.contains("<title>Palisade remediation report: Applied"), "no script changed the title");
}
