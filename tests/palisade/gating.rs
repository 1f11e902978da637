//! Gating pull requests with `palisade check`: the pack config file
//! (CrossGuard's format) and `--enforcement`, exemptions, baselines, source
//! locations (`--source-dir`) and several reports from one run.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::{build_once, code, json, palisade, repo, stderr, write};

/// The example plan of the language examples: 3 decided public-read
/// violations (mandatory) and 5 required-tags ones (advisory), 2 undecided.
const PLAN: &str = "examples/policies/testdata/buckets.tfplan.json";

/// The C example pack (policies `aws-s3-bucket-disallow-public-read`,
/// mandatory, and `required-tags`, advisory, config `{tags: [string]}`
/// defaulting to `["owner"]`), built once from source.
fn pack() -> &'static str {
    static PACK: OnceLock<PathBuf> = OnceLock::new();
    build_once(&PACK, "examples/policies/c/build.sh", "gating", "example-c.wasm", "c").to_str().expect("UTF-8 path")
}

fn check(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["check", "--pack", pack(), "--format", "json", PLAN];
    args.extend_from_slice(extra);
    palisade(&args, None)
}

/// Violations of one policy: (resource, level).
fn of(report: &Value, policy: &str) -> Vec<(String, String)> {
    report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter(|v| v["policy"] == policy)
        .map(|v| {
            (
                v["resource"].as_str().unwrap_or_default().into(),
                v["enforcement_level"].as_str().unwrap_or_default().into(),
            )
        })
        .collect()
}

fn level_of(report: &Value, policy: &str) -> String {
    report["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .find(|p| p["name"] == policy)
        .and_then(|p| p["enforcement_level"].as_str())
        .unwrap_or("absent")
        .to_string()
}

fn decided_levels(report: &Value, policy: &str) -> Vec<String> {
    let mut levels: Vec<String> = report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter(|v| v["policy"] == policy && v["undecided"] == false)
        .map(|v| v["enforcement_level"].as_str().unwrap_or_default().to_string())
        .collect();
    levels.dedup();
    levels
}

#[test]
fn enforcement_level_precedence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // The policies' own defaults.
    let r = json(&check(&[]));
    assert_eq!(
        (level_of(&r, "required-tags"), level_of(&r, "aws-s3-bucket-disallow-public-read")),
        ("advisory".into(), "mandatory".into())
    );
    // `all` beats the default.
    let all = write(d, "all.json", r#"{"all": "mandatory"}"#);
    let r = json(&check(&["--config", &all]));
    assert_eq!(decided_levels(&r, "required-tags"), ["mandatory"]);
    // The policy's entry beats `all` (string and object forms; YAML too).
    for (name, text) in [
        ("entry.json", r#"{"all": "mandatory", "required-tags": "advisory"}"#),
        ("entry.yaml", "all: mandatory\nrequired-tags:\n  enforcementLevel: advisory\n"),
    ] {
        let file = write(d, name, text);
        let r = json(&check(&["--config", &file]));
        assert_eq!(decided_levels(&r, "required-tags"), ["advisory"], "{name}");
        assert_eq!(decided_levels(&r, "aws-s3-bucket-disallow-public-read"), ["mandatory"], "{name}");
    }
    // --enforcement all=... beats the file's entry; POLICY=... beats all=...
    let entry =
        write(d, "m.json", r#"{"required-tags": "mandatory", "aws-s3-bucket-disallow-public-read": "mandatory"}"#);
    let r = json(&check(&["--config", &entry, "--enforcement", "all=advisory"]));
    assert_eq!(decided_levels(&r, "required-tags"), ["advisory"]);
    assert_eq!(decided_levels(&r, "aws-s3-bucket-disallow-public-read"), ["advisory"]);
    let out = check(&["--config", &entry, "--enforcement", "all=advisory", "--enforcement", "required-tags=disabled"]);
    assert_eq!(code(&out), 0, "all advisory: the run passes; {}", stderr(&out));
    let r = json(&out);
    assert!(of(&r, "required-tags").is_empty(), "a disabled policy does not run");
    assert_eq!(level_of(&r, "required-tags"), "disabled");
    // Disabling the mandatory policy by config turns the verdict.
    let off = write(d, "off.json", r#"{"aws-s3-bucket-disallow-public-read": {"enforcementLevel": "disabled"}}"#);
    assert_eq!(code(&check(&["--config", &off])), 0);
    assert_eq!(code(&check(&[])), 1);
}

#[test]
fn config_reaches_the_policy_with_schema_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let messages = |r: &Value| -> Vec<String> {
        r["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .filter(|v| v["policy"] == "required-tags" && v["undecided"] == false)
            .map(|v| v["message"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    // No config: the schema's default ["owner"].
    let r = json(&check(&[]));
    assert!(messages(&r).iter().all(|m| m == "Missing required tags: owner."), "{:?}", messages(&r));
    let team = write(dir.path(), "team.yaml", "required-tags:\n  tags: [owner, team]\n");
    let r = json(&check(&["--config", &team]));
    assert!(messages(&r).iter().any(|m| m.contains("team")), "{:?}", messages(&r));
}

#[test]
fn invalid_configs_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out_file = d.join("report.json");
    let cases = [
        (
            r#"{"required-tags": {"tags": "owner"}}"#,
            vec!["policy `required-tags`", "key `/tags`", "schema rule `type`", "not of type \"array\""],
        ),
        (r#"{"required-tags": {"tags": ["owner", 7]}}"#, vec!["key `/tags/1`", "schema rule `type`"]),
        (
            r#"{"requierd-tags": "mandatory"}"#,
            vec!["policy `requierd-tags` is not in any loaded pack", "did you mean `required-tags`?"],
        ),
        (r#"{"required-tags": "strict"}"#, vec!["key `required-tags`", "advisory, mandatory, remediate or disabled"]),
        (r#"{"required-tags": {"enforcementLevel": true}}"#, vec!["key `required-tags.enforcementLevel`", "a boolean"]),
        (r#"{"all": {"tags": []}}"#, vec!["`all` takes only `enforcementLevel`"]),
        ("{\"all\": \"mandatory\",\n  \"x\": }", vec!["not valid JSON", "line 2"]),
    ];
    for (i, (text, wanted)) in cases.iter().enumerate() {
        let file = write(d, &format!("c{i}.json"), text);
        let out = check(&["--config", &file, "-o", out_file.to_str().expect("UTF-8")]);
        assert_eq!(code(&out), 2, "{text}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&format!("pack config {file}")) || err.contains(&file), "{text}: names the file: {err}");
        for w in wanted {
            assert!(err.contains(w), "{text}: wanted {w:?} in: {err}");
        }
        assert!(!out_file.exists(), "{text}: nothing is written");
    }
    let out = check(&["--enforcement", "required-tag=mandatory"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--enforcement: policy `required-tag`"), "{}", stderr(&out));
    let out = check(&["--enforcement", "required-tags"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("POLICY=LEVEL"), "{}", stderr(&out));
}

/// The two violations exempted, each by its entry of the exemptions file
/// (number and reason), in the JSON report `r`.
fn assert_exempted_by_the_first_two_entries(r: &Value) {
    let exempted: Vec<(String, u64, String)> = r["exempted"]
        .as_array()
        .expect("exempted")
        .iter()
        .map(|e| {
            (
                e["resource"].as_str().unwrap_or_default().into(),
                e["exemption"]["number"].as_u64().unwrap_or_default(),
                e["exemption"]["reason"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    assert_eq!(
        exempted,
        [
            ("aws_s3_bucket.public_site".into(), 1, "The public website (SEC-1).".into()),
            ("aws_s3_bucket_acl.site".into(), 2, "ACL resources are reviewed by hand (SEC-2).".into())
        ]
    );
}

#[test]
fn exemptions_exempt_expire_and_report_unused_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "exemptions.yaml",
        r#"exemptions:
  - policy: aws-s3-bucket-disallow-public-read
    resource: aws_s3_bucket.public_site
    reason: The public website (SEC-1).
    expires: 2099-12-31
  - policy: aws-s3-bucket-disallow-public-read
    resource: aws_s3_bucket_acl.*
    reason: ACL resources are reviewed by hand (SEC-2).
  - policy: aws-s3-bucket-disallow-public-read
    resource: aws_s3_bucket.upload_drop
    reason: Temporary, until the uploader moves (SEC-3).
    expires: 2020-01-31
  - policy: required-tags
    resource: aws_s3_bucket.gone
    reason: A bucket deleted long ago.
  - policy: requird-tags
    resource: aws_instance.batch
    reason: A typo in the policy name.
"#,
    );
    let out = check(&["--exemptions", &file]);
    // The expired exemption no longer covers upload_drop: still mandatory, still failing.
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "exemption 3 (aws-s3-bucket-disallow-public-read on aws_s3_bucket.upload_drop) expired on 2020-01-31"
        ),
        "{}",
        stderr(&out)
    );
    let r = json(&out);
    assert_eq!(of(&r, "aws-s3-bucket-disallow-public-read").iter().filter(|(_, l)| l == "mandatory").count(), 1);
    assert_exempted_by_the_first_two_entries(&r);
    assert_eq!(r["summary"]["exempted"], 2);
    assert_eq!(r["summary"]["violations"]["mandatory"], 1);
    let expired = &r["exemptions"]["expired"];
    assert_eq!(expired.as_array().map(Vec::len), Some(1));
    assert_eq!(expired[0]["number"], 3);
    assert_eq!(expired[0]["no_longer_exempts"], serde_json::json!(["aws_s3_bucket.upload_drop"]));
    let unused = &r["exemptions"]["unused"];
    assert_eq!(unused.as_array().map(Vec::len), Some(2));
    assert_eq!(unused[0]["resource"], "aws_s3_bucket.gone");
    assert!(
        stderr(&out).contains(
            "exemption 5 names policy `requird-tags`, which no loaded pack has (did you mean `required-tags`?)"
        ),
        "{}",
        stderr(&out)
    );
    // Exempting the last mandatory violation passes the run.
    let all = write(
        dir.path(),
        "all.yaml",
        "exemptions:\n  - {policy: aws-s3-bucket-disallow-public-read, resource: '*', reason: accepted}\n",
    );
    assert_eq!(code(&check(&["--exemptions", &all])), 0);
    // The text report shows each section.
    let text = palisade(&["check", "--pack", pack(), PLAN, "--exemptions", &file], None);
    let text = String::from_utf8_lossy(&text.stdout);
    for wanted in [
        "Exempted (2), by",
        "Expired exemptions (1)",
        "no longer exempts aws_s3_bucket.upload_drop",
        "Unused exemptions (2)",
        " 2 exempted.",
    ] {
        assert!(text.contains(wanted), "{wanted:?} in:\n{text}");
    }
}

#[test]
fn bad_exemption_files_name_the_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (text, wanted) in [
        (
            "exemptions:\n  - {policy: p, resource: r, reason: x, expires: 31/12/2026}\n",
            "exemption 1 (policy \"p\"): `expires` \"31/12/2026\" is not a date (YYYY-MM-DD)",
        ),
        (
            "exemptions:\n  - {policy: p, resource: r, reason: x}\n  - {policy: q, resource: r}\n",
            "missing field `reason`",
        ),
        ("exemptions:\n  - {policy: p, resource: ' ', reason: x}\n", "exemption 1 (policy \"p\"): `resource` is empty"),
        ("[]\n", "invalid type"),
    ] {
        let file = write(dir.path(), "e.yaml", text);
        let out = check(&["--exemptions", &file]);
        assert_eq!(code(&out), 2, "{text}");
        let err = stderr(&out);
        assert!(err.contains(&format!("exemptions {file}")) && err.contains(wanted), "{wanted:?} in {err}");
    }
}

#[test]
fn a_baseline_blocks_only_new_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let baseline = d.join("baseline.json");
    let b = baseline.to_str().expect("UTF-8");
    // Record the estate as it is.
    let out = check(&["--write-baseline", b]);
    assert_eq!(code(&out), 1, "the run itself still fails: {}", stderr(&out));
    let recorded = json(&out);
    let written: Value = serde_json::from_slice(&std::fs::read(&baseline).expect("baseline written")).expect("JSON");
    assert_eq!(written["violations"], recorded["violations"]);
    // The same plan against it: nothing new, the run passes.
    let out = check(&["--baseline", b]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    let total = recorded["violations"].as_array().map_or(0, Vec::len);
    assert_eq!(r["violations"], serde_json::json!([]));
    assert_eq!(r["summary"]["baselined"], total);
    assert_eq!(r["baseline"]["suppressed"], total);
    assert_eq!(r["baseline"]["resolved"], 0);
    // A plan with one new public bucket and one public bucket fixed.
    let mut plan: Value = serde_json::from_slice(&std::fs::read(repo(PLAN)).expect("plan")).expect("JSON");
    let changes = plan["resource_changes"].as_array_mut().expect("resource_changes");
    let mut added = None;
    for c in changes.iter_mut() {
        if c["address"] == "aws_s3_bucket.upload_drop" {
            let mut copy = c.clone();
            copy["address"] = "aws_s3_bucket.new_public".into();
            copy["name"] = "new_public".into();
            added = Some(copy);
            c["change"]["after"]["acl"] = "private".into();
        }
    }
    changes.push(added.expect("upload_drop is in the plan"));
    let next = write(d, "next.tfplan.json", &plan.to_string());
    let out = palisade(&["check", "--pack", pack(), "--format", "json", &next, "--baseline", b], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(
        of(&r, "aws-s3-bucket-disallow-public-read"),
        [("aws_s3_bucket.new_public".to_string(), "mandatory".to_string())]
    );
    assert_eq!(r["baseline"]["resolved"], 1, "upload_drop was fixed");
    let text = palisade(&["check", "--pack", pack(), &next, "--baseline", b], None);
    assert!(String::from_utf8_lossy(&text.stdout).contains("1 of its findings are no longer found"));
    // Refreshing a baseline in place is allowed.
    assert_eq!(code(&check(&["--baseline", b, "--write-baseline", b])), 0);
    // A file that is not a report.
    let bad = write(d, "bad.json", r#"{"schema_version": 1, "violations": [{"policy": "p"}]}"#);
    let out = check(&["--baseline", &bad]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(&format!("baseline {bad}")) && stderr(&out).contains("$.violations[0]"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn source_dir_points_findings_at_their_declarations() {
    let plan = "tests/data/source-map/plan.json";
    let out = palisade(&["check", "--format", "json", plan, "--source-dir", "tests/data/source-map"], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("module \"vpc\" not followed"), "the uninstalled module is named: {}", stderr(&out));
    let r = json(&out);
    let at = |resource: &str| -> (String, u64) {
        let v = r["violations"].as_array().expect("violations").iter().find(|v| v["resource"] == resource);
        let loc = &v.unwrap_or_else(|| panic!("no violation on {resource}"))["location"];
        (loc["file"].as_str().unwrap_or_default().to_string(), loc["line"].as_u64().unwrap_or_default())
    };
    let main = "tests/data/source-map/main.tf";
    assert_eq!(at("aws_ebs_volume.data[0]").0, main);
    assert_eq!(at("aws_ebs_volume.data[0]"), at("aws_ebs_volume.data[1]"));
    assert_eq!(at("module.network.aws_security_group.ssh").0, "tests/data/source-map/modules/network/security.tf");
    assert_eq!(at("module.apps[\"web\"].aws_db_instance.main").0, "tests/data/source-map/modules/app/main.tf");
    assert_eq!(at("module.apps[\"web\"].aws_db_instance.main"), at("module.apps[\"api\"].aws_db_instance.main"));
    // Each location is the line of the block's `resource` keyword.
    for v in r["violations"].as_array().expect("violations") {
        let loc = &v["location"];
        let file =
            std::fs::read_to_string(repo(loc["file"].as_str().expect("every finding is located"))).expect("tf file");
        let line = file.lines().nth(loc["line"].as_u64().expect("line") as usize - 1).unwrap_or_default();
        let ty = v["resource_type"].as_str().unwrap_or_default();
        assert!(line.starts_with(&format!("resource \"{ty}\"")), "{}: {line}", v["resource"]);
    }
    let text = palisade(&["check", plan, "--source-dir", "tests/data/source-map"], None);
    assert!(String::from_utf8_lossy(&text.stdout).contains(", declared at tests/data/source-map/main.tf:"));
    // A folder that is not there, and HCL that does not parse.
    let out = palisade(&["check", plan, "--source-dir", "tests/data/no-such-dir"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("tests/data/no-such-dir"), "{}", stderr(&out));
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "main.tf", "resource \"aws_s3_bucket\" \"a\" {\n  bucket = \n}\n");
    let out = palisade(&["check", plan, "--source-dir", dir.path().to_str().expect("UTF-8")], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("main.tf:2:12"), "file, line and column: {}", stderr(&out));
}

#[test]
fn several_reports_come_from_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_str().expect("UTF-8").to_string();
    let (main, extra_json, extra_text) = (path("main.json"), path("extra.json"), path("extra.txt"));
    let out =
        check(&["-o", &main, "--report", &format!("json={extra_json}"), "--report", &format!("text={extra_text}")]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let a = std::fs::read(&main).expect("main report");
    assert_eq!(a, std::fs::read(&extra_json).expect("extra json"));
    let text = std::fs::read_to_string(&extra_text).expect("extra text");
    assert!(text.lines().last().unwrap_or_default().starts_with("FAILED: 12 resources loaded, 10 judged;"), "{text}");
    // Clashing outputs and overwriting an input are refused, before any work.
    for (args, wanted) in [
        (vec!["-o", main.as_str(), "--report", &format!("text={main}")], "both name"),
        (vec!["--report", "json=-"], "the main report (standard output) and --report - both write to standard output"),
        (vec!["--report", "sarif=/dev/stdout"], "both write to standard output"),
        (vec!["--report", "sarif=/nonexistent-folder/x.sarif"], "the folder /nonexistent-folder does not exist"),
        (vec!["--report", "junit=/tmp"], "--report /tmp: it is a directory"),
        (vec!["--report", &format!("sarif={PLAN}")], "which this run reads"),
        (vec!["--write-baseline", PLAN], "which this run reads"),
        (vec!["--report", "pdf=x.pdf"], "unknown report format \"pdf\""),
        (vec!["--report", "json"], "expected FORMAT=FILE"),
    ] {
        let out = check(&args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(stderr(&out).contains(wanted), "{args:?}: {}", stderr(&out));
    }
    // A bad destination is found before anything is written.
    let ok = path("ok.sarif");
    let out = check(&["--report", &format!("sarif={ok}"), "--report", "junit=/tmp"]);
    assert_eq!(code(&out), 2);
    assert!(out.stdout.is_empty() && !Path::new(&ok).exists(), "no report is written");
}

#[test]
fn reports_with_every_section_validate_against_the_schema() {
    let schema: Value =
        serde_json::from_slice(&std::fs::read(repo("engine/schema/report.schema.json")).expect("schema file"))
            .expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let dir = tempfile::tempdir().expect("tempdir");
    let exemptions = write(
        dir.path(),
        "e.yaml",
        "exemptions:\n  - {policy: '*', resource: aws_s3_bucket.public_site, reason: r, expires: 2099-01-01}\n  - {policy: p, resource: x, reason: r, expires: 2000-01-01}\n  - {policy: q, resource: y, reason: r}\n",
    );
    let baseline = dir.path().join("b.json");
    let b = baseline.to_str().expect("UTF-8");
    std::fs::write(
        &baseline,
        r#"{"schema_version": 1, "violations": [{"policy": "required-tags", "resource": "aws_instance.batch"}]}"#,
    )
    .expect("write baseline");
    let out = check(&["--exemptions", &exemptions, "--baseline", b]);
    let r = json(&out);
    assert!(r["exempted"].is_array() && r["baselined"].is_array() && r["exemptions"]["expired"].is_array());
    let located = json(&palisade(
        &["check", "--format", "json", "tests/data/source-map/plan.json", "--source-dir", "tests/data/source-map"],
        None,
    ));
    for report in [r, located] {
        let errors: Vec<String> =
            validator.iter_errors(&report).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

/// Copies `from` into `to`, recursively.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// The `palisade check` step of each workflow in `examples/ci/`, run as
/// written in a checkout laid out as the workflows expect: the Terraform
/// tree of `tests/data/source-map/` in `infra/`, its plan as `plan.json`
/// (what `terraform show -json` writes), `examples/ci/policy/` as `policy/`.
#[test]
fn ci_examples_run() {
    let workflow = |path: &str| -> serde_yaml_ng::Value {
        serde_yaml_ng::from_str(&std::fs::read_to_string(repo(path)).expect("workflow")).expect("workflow is YAML")
    };
    let github = workflow("examples/ci/github/palisade.yml");
    let steps = github["jobs"]["policy"]["steps"].as_sequence().expect("steps");
    let step = steps.iter().find(|s| s["id"].as_str() == Some("palisade")).expect("the palisade step");
    let github_script = step["run"].as_str().expect("run").to_string();
    let uploads: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(uploads.iter().any(|u| u.starts_with("github/codeql-action/upload-sarif")), "{uploads:?}");
    // Installing Palisade builds its built-in pack for wasm32: the target must be there first.
    let position = |pred: &dyn Fn(&serde_yaml_ng::Value) -> bool| steps.iter().position(pred);
    let toolchain = position(&|s| {
        s["uses"].as_str().is_some_and(|u| u.starts_with("dtolnay/rust-toolchain"))
            && s["with"]["targets"].as_str() == Some("wasm32-unknown-unknown")
    });
    let install = position(&|s| s["run"].as_str().is_some_and(|r| r.contains("cargo install")));
    assert!(matches!((toolchain, install), (Some(t), Some(i)) if t < i), "{toolchain:?} {install:?}");
    let gitlab = workflow("examples/ci/gitlab/palisade.gitlab-ci.yml");
    let gitlab_script = gitlab["palisade"]["script"][0].as_str().expect("script").to_string();
    assert_eq!(gitlab["palisade"]["artifacts"]["reports"]["junit"].as_str(), Some("palisade-junit.xml"));
    let before: Vec<&str> = gitlab["palisade"]["before_script"]
        .as_sequence()
        .expect("before_script")
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    let target = before.iter().position(|l| *l == "rustup target add wasm32-unknown-unknown");
    let install = before.iter().position(|l| l.starts_with("cargo install"));
    assert!(matches!((target, install), (Some(t), Some(i)) if t < i), "{before:?}");
    let bin = Path::new(env!("CARGO_BIN_EXE_palisade")).parent().expect("bin dir").to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    for (name, script) in [("github", github_script), ("gitlab", gitlab_script)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let ws = dir.path();
        copy_tree(&repo("tests/data/source-map"), &ws.join("infra"));
        std::fs::rename(ws.join("infra/plan.json"), ws.join("plan.json")).expect("plan");
        copy_tree(&repo("examples/ci/policy"), &ws.join("policy"));
        let out = std::process::Command::new("bash")
            .args(["-e", "-c", &script])
            .current_dir(ws)
            .env("PATH", &path)
            .env("PALISADE_CACHE_DIR", repo("target/test-cache"))
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_REPOSITORY", "acme/infra")
            .env("HEAD_SHA", "0123abc")
            .output()
            .expect("bash runs");
        let (stdout, err) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        // Mandatory violations remain (the S3 ACL, the EBS volumes): the job fails.
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        if name == "github" {
            assert!(
                stdout.contains("::error file=infra/main.tf,line="),
                "{name}: annotations point at the code:\n{stdout}"
            );
        } else {
            assert!(stdout.lines().last().unwrap_or_default().starts_with("FAILED:"), "{name}:\n{stdout}");
        }
        let sarif: Value =
            serde_json::from_slice(&std::fs::read(ws.join("palisade.sarif")).expect("SARIF written")).expect("JSON");
        let uris: Vec<&str> = sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
            .collect();
        assert!(!uris.is_empty() && uris.iter().all(|u| u.starts_with("infra/")), "{name}: {uris:?}");
        let md = std::fs::read_to_string(ws.join("palisade.md")).expect("Markdown written");
        assert!(md.contains("infra/main.tf"), "{name}: the comment names the code");
        if name == "github" {
            assert!(md.contains("](https://github.com/acme/infra/blob/0123abc/infra/main.tf#L"), "links:\n{md}");
        }
        let junit = std::fs::read_to_string(ws.join("palisade-junit.xml")).expect("JUnit written");
        assert!(junit.contains("<testsuites"), "{name}");
        // The exemptions of policy/exemptions.yaml applied: the SSH group and both databases' public access.
        let exempted = sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["suppressions"].as_array().is_some_and(|s| !s.is_empty()))
            .count();
        assert_eq!(exempted, 3, "{name}");
    }
}

/// `palisade test` validates a case's `config` against the policy's schema,
/// as `check --config` does: a config `check` refuses fails its case.
#[test]
fn test_cases_configs_are_validated_as_check_validates_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "cases.yaml",
        r#"cases:
  - name: a config of the wrong type
    config: {required-tags: {tags: owner}}
    input: {format_version: "1.2", resource_changes: []}
    expect: {violations: []}
  - name: a valid config
    config: {required-tags: {tags: [owner, team]}}
    levels: {required-tags: mandatory}
    input: {format_version: "1.2", resource_changes: []}
    expect: {violations: []}
"#,
    );
    let out = palisade(&["test", pack(), dir.path().to_str().expect("UTF-8")], None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 1, "{stdout}{}", stderr(&out));
    assert!(stdout.contains("FAIL") && stdout.contains("a config of the wrong type"), "{stdout}");
    assert!(stdout.contains("key `/tags`: schema rule `type`"), "{stdout}");
    assert!(stdout.contains("PASS") && stdout.contains("a valid config"), "{stdout}");
}

/// With several inputs, a baseline's findings and an exemption with
/// `input` hold only for their own input: a staging plan's baseline does
/// not hide the same findings in the production plan checked beside it.
#[test]
fn baselines_and_exemptions_keep_to_their_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let plan = std::fs::read_to_string(repo(PLAN)).expect("plan");
    let staging = write(d, "staging.tfplan.json", &plan);
    let prod = write(d, "prod.tfplan.json", &format!("{plan} "));
    let baseline = d.join("baseline.json");
    let b = baseline.to_str().expect("UTF-8");
    let run = |inputs: &[&str], extra: &[&str]| {
        let mut args = vec!["check", "--pack", pack(), "--format", "json"];
        args.extend_from_slice(inputs);
        args.extend_from_slice(extra);
        palisade(&args, None)
    };
    assert_eq!(code(&run(&[&staging], &["--write-baseline", b])), 1);
    let total = json(&run(&[&staging], &[]))["violations"].as_array().map_or(0, Vec::len);
    // Both plans: only staging's findings are known; prod's all remain.
    let out = run(&[&staging, &prod], &["--baseline", b]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["baseline"]["by_input"], true);
    assert_eq!(r["summary"]["baselined"], total);
    let files: std::collections::BTreeSet<&str> =
        r["violations"].as_array().expect("violations").iter().filter_map(|v| v["file"].as_str()).collect();
    assert_eq!(files, [prod.as_str()].into_iter().collect());
    // One input on each side: the same estate under another path is known.
    let r = json(&run(&[&prod], &["--baseline", b]));
    assert_eq!(
        (r["baseline"]["by_input"].clone(), r["summary"]["baselined"].clone()),
        (Value::Bool(false), total.into())
    );
    // A baseline of two inputs (one of them clean) checked against one:
    // staging's findings do not hide the same findings in prod.
    let clean = write(d, "prod-clean.tfplan.json", r#"{"format_version": "1.2", "resource_changes": []}"#);
    assert_eq!(code(&run(&[&staging, &clean], &["--write-baseline", b])), 1);
    std::fs::write(&clean, &plan).expect("prod gets staging's problems");
    let out = run(&[&clean], &["--baseline", b]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!((r["baseline"]["by_input"].clone(), r["summary"]["baselined"].clone()), (Value::Bool(true), 0.into()));
    // An exemption limited to the staging input.
    let exemptions = write(
        d,
        "e.yaml",
        "exemptions:\n  - {policy: '*', resource: '*', reason: staging is a sandbox, input: '*staging.tfplan.json'}\n",
    );
    let r = json(&run(&[&staging, &prod], &["--exemptions", &exemptions]));
    assert_eq!(r["summary"]["exempted"], total);
    assert!(r["exempted"].as_array().expect("exempted").iter().all(|e| e["file"] == staging.as_str()));
    assert_eq!(r["exempted"][0]["exemption"]["input"], "*staging.tfplan.json");
    assert_eq!(r["violations"].as_array().map_or(0, Vec::len), total);
}

/// `scan` takes the pack options of `check`; without `--pack` they are
/// refused, not ignored.
#[test]
fn scan_refuses_pack_options_without_a_pack() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(dir.path(), "c.yaml", "all: advisory\n");
    let snapshot = "examples/drift/inventory.json";
    let out = palisade(&["scan", "--inventory", snapshot, "--config", &config], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("add --pack"), "{}", stderr(&out));
    let out = palisade(&["scan", "--inventory", snapshot, "--config", &config, "--pack", "builtin:aws-baseline"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// Files that never end (or are too large) are refused with the limit, not
/// read into memory: packs, configs, exemptions, baselines.
#[test]
fn endless_files_are_refused() {
    for args in [
        vec!["check", PLAN, "--pack", "/dev/zero"],
        vec!["check", PLAN, "--config", "/dev/zero"],
        vec!["check", PLAN, "--exemptions", "/dev/zero"],
    ] {
        let out = palisade(&args, None);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(stderr(&out).contains("the most Palisade reads here"), "{args:?}: {}", stderr(&out));
    }
}

// ---------------------------------------------------------------- --only-changed

/// A real plan: `aws_s3_bucket.newly_created` (create),
/// `aws_instance.changed` (update) and `aws_instance.unchanged` (no-op),
/// both instances with a public IP and an unencrypted root device; and the
/// AWS provider configuration.
const CHANGES: &str = "tests/data/corpus/tfplan/terraform-compliance__cli__create-noop-update.json";

/// `(resource, policy, action)` of each violation of a JSON report.
fn actions(report: &Value) -> Vec<(String, String, String)> {
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    report["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| (s(v, "resource"), s(v, "policy"), s(v, "action")))
        .collect()
}

/// `--only-changed` judges only what the plan creates, updates or
/// replaces: the unchanged instance's violations go, and its JUnit cases;
/// the counts say how many resources were loaded and judged.
#[test]
fn only_changed_judges_only_what_the_plan_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junit = dir.path().join("junit.xml");
    let junit_arg = format!("junit={}", junit.display());
    let all = palisade(&["check", "--format", "json", "--report", &junit_arg, CHANGES], None);
    assert_eq!(code(&all), 1);
    let all_junit = std::fs::read_to_string(&junit).expect("JUnit");
    let only = palisade(&["check", "--only-changed", "--format", "json", "--report", &junit_arg, CHANGES], None);
    assert_eq!(code(&only), 1, "the updated instance still fails: {}", stderr(&only));
    assert_eq!(stderr(&only), "", "a plan records changes: no warning");
    let only_junit = std::fs::read_to_string(&junit).expect("JUnit");
    let (all, only) = (json(&all), json(&only));
    let public_ip = "aws-ec2-instance-disallow-public-ip";
    let root = "aws-ec2-instance-disallow-unencrypted-root-block-device";
    let v = |r: &str, p: &str, a: &str| (r.to_string(), p.to_string(), a.to_string());
    assert_eq!(
        actions(&all),
        [
            v("aws_instance.changed", public_ip, "update"),
            v("aws_instance.changed", root, "update"),
            v("aws_instance.unchanged", public_ip, "no-op"),
            v("aws_instance.unchanged", root, "no-op"),
        ]
    );
    assert_eq!(actions(&only), actions(&all)[..2]);
    let counts = |r: &Value| {
        let s = &r["summary"];
        [&s["resources_loaded"], &s["resources_judged"], &s["resources_evaluated"]].map(|n| n.as_u64().unwrap_or(99))
    };
    // Three resources and the provider; required-tags judges every managed one.
    assert_eq!(counts(&all), [4, 3, 3]);
    assert_eq!(counts(&only), [4, 2, 2], "the bucket and the updated instance");
    assert!(all_junit.contains("name=\"aws_instance.unchanged\""), "{all_junit}");
    assert!(!only_junit.contains("aws_instance.unchanged"), "not judged, so no case: {only_junit}");
    assert!(only_junit.contains("name=\"aws_s3_bucket.newly_created\""), "{only_junit}");
}

/// Stack policies still see the whole plan under `--only-changed`; only
/// their violations on changed resources are reported: the built-in
/// deletion policy still reports the bucket the example plan deletes, and
/// `edge-probe`'s provider listing (providers are no-op) is left out.
#[test]
fn only_changed_keeps_stack_findings_on_changed_resources_only() {
    let example = "examples/plans/web-stack.tfplan.json";
    let out = palisade(&["check", "--only-changed", "--format", "json", example], None);
    let deletion = actions(&json(&out)).into_iter().find(|(_, p, _)| p == "aws-stateful-resource-disallow-deletion");
    assert_eq!(
        deletion,
        Some((
            "aws_s3_bucket.old_logs".to_string(),
            "aws-stateful-resource-disallow-deletion".to_string(),
            "delete".to_string()
        ))
    );
    let probe = crate::support::edge_probe().to_str().expect("UTF-8 path");
    let args = ["check", "--pack", probe, "--format", "json", "--enforcement", "probe-crash=disabled"];
    let args = [&args[..], &["--enforcement", "probe-crash-stack=disabled"]].concat();
    let of = |only: bool| {
        let mut a = args.clone();
        if only {
            a.push("--only-changed");
        }
        a.push(CHANGES);
        let found = actions(&json(&palisade(&a, None)));
        found.into_iter().map(|(r, p, a)| format!("{p} {r} {a}")).collect::<Vec<_>>()
    };
    assert_eq!(
        of(false),
        [
            "probe-require aws_instance.changed update",
            "probe-require aws_instance.unchanged no-op",
            "probe-require aws_s3_bucket.newly_created create",
            "probe-providers provider.aws no-op",
        ]
    );
    assert_eq!(
        of(true),
        ["probe-require aws_instance.changed update", "probe-require aws_s3_bucket.newly_created create"]
    );
}

/// A state file records no changes: `--only-changed` judges nothing in it
/// and says so.
#[test]
fn only_changed_on_a_state_file_warns_that_nothing_is_judged() {
    let state = "tests/data/corpus/tfstate/snyk__driftctl__aws_subnet.json";
    let all = palisade(&["check", "--format", "json", state], None);
    assert!(json(&all)["summary"]["resources_judged"].as_u64().is_some_and(|n| n > 0));
    let out = palisade(&["check", "--only-changed", "--format", "json", state], None);
    assert_eq!(code(&out), 0);
    let report = json(&out);
    assert_eq!(report["summary"]["resources_judged"], 0);
    assert_eq!(report["violations"], Value::Array(Vec::new()));
    assert_eq!(
        stderr(&out),
        format!(
            "palisade: warning: {state}: --only-changed judges nothing in a tfstate input: it records no changes \
             (every resource is no-op)\n"
        )
    );
}

/// Baselined and exempted violations keep their action; a baseline written
/// before reports had actions still reads, and knows the same findings.
#[test]
fn baselines_without_actions_still_read_and_baselined_findings_keep_theirs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut old = json(&palisade(&["check", "--format", "json", CHANGES], None));
    for v in old["violations"].as_array_mut().expect("violations") {
        v.as_object_mut().expect("an object").remove("action");
    }
    let baseline = write(dir.path(), "old-baseline.json", &old.to_string());
    let exemptions = write(
        dir.path(),
        "exemptions.yaml",
        "exemptions:\n  - {policy: aws-ec2-instance-disallow-public-ip, resource: aws_instance.unchanged, reason: legacy}\n",
    );
    let out =
        palisade(&["check", "--format", "json", "--baseline", &baseline, "--exemptions", &exemptions, CHANGES], None);
    assert_eq!(code(&out), 0, "every finding is known or exempted: {}", stderr(&out));
    let report = json(&out);
    let baselined: Vec<(&str, &str)> = report["baselined"]
        .as_array()
        .expect("baselined")
        .iter()
        .map(|v| (v["resource"].as_str().unwrap_or(""), v["action"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        baselined,
        [("aws_instance.changed", "update"), ("aws_instance.changed", "update"), ("aws_instance.unchanged", "no-op")]
    );
    assert_eq!(report["exempted"][0]["action"], "no-op");
    assert_eq!(report["baseline"]["resolved"], 0);
}
