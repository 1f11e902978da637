//! Inputs that go wrong: errors that say what to run instead (a binary
//! plan, Terraform configuration, a directory, the setup-terraform
//! wrapper's output); a broken input beside good ones, listed in every
//! report format while the others are checked (exit 2, reports written,
//! no baseline); baselines and exemption `input:` globs that match
//! whatever the spelling of the input paths.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::{code, json, palisade, repo, root, stderr};

/// The README example: 7 violations with the built-in pack, 6 mandatory.
const EXAMPLE: &str = "examples/plans/web-stack.tfplan.json";

/// The bytes of a minimal zip archive (one empty stored file, `tfplan`),
/// as `terraform plan -out` writes a plan: local header, central
/// directory, end record.
fn zip_bytes() -> Vec<u8> {
    let mut z = Vec::new();
    z.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    z.extend_from_slice(&[0; 8]);
    z.extend_from_slice(b"\x06\x00\x00\x00tfplan");
    z.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    z.extend_from_slice(&[0; 8]);
    z.extend_from_slice(b"\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00tfplan");
    z.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00\x34\x00\x00\x00\x24\x00\x00\x00\x00\x00");
    z
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// The one message `check` gives for a single broken `input` (exit 2, on
/// standard error and in the JSON report's `input_errors`).
fn input_error(input: &str) -> String {
    let out = palisade(&["check", "--format", "json", input], None);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["summary"]["complete"], false);
    assert_eq!(report["input_errors"][0]["input"], input);
    let message = report["input_errors"][0]["message"].as_str().expect("a message").to_string();
    assert!(message.starts_with(input), "names the file first: {message}");
    assert!(stderr(&out).contains(&message), "also on standard error: {}", stderr(&out));
    message
}

#[test]
fn a_binary_plan_says_to_run_terraform_show_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = dir.path().join("tfplan");
    std::fs::write(&plan, zip_bytes()).expect("write");
    let message = input_error(path_str(&plan));
    assert!(message.contains("zip archive") && message.contains("terraform plan -out"), "{message}");
    assert!(message.contains(&format!("terraform show -json {}", path_str(&plan))), "{message}");
    // Whatever format was asked for.
    let out = palisade(&["check", "--input-format", "tfplan", path_str(&plan)], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("terraform show -json"), "{}", stderr(&out));
}

#[test]
fn terraform_configuration_and_directories_say_palisade_reads_plans() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("main.tf");
    std::fs::write(&tf, "# storage\nresource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs\"\n}\n").expect("write");
    let tf_json = dir.path().join("main.tf.json");
    std::fs::write(&tf_json, r#"{"resource": {"aws_s3_bucket": {"logs": {"bucket": "logs"}}}}"#).expect("write");
    for file in [&tf, &tf_json] {
        let message = input_error(path_str(file));
        assert!(message.contains("Terraform configuration") && message.contains("not a plan"), "{message}");
        assert!(
            message.contains("terraform plan -out=tfplan") && message.contains("terraform show -json"),
            "{message}"
        );
    }
    let message = input_error(path_str(dir.path()));
    assert!(message.contains("a directory") && message.contains("Palisade reads plans"), "{message}");
    assert!(message.contains("terraform show -json tfplan > plan.json"), "{message}");
}

#[test]
fn setup_terraform_wrapper_output_names_terraform_wrapper_false() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = std::fs::read_to_string(repo(EXAMPLE)).expect("plan");
    let wrapped = dir.path().join("plan.json");
    let text = format!(
        "[command]/home/runner/work/_temp/xyz/terraform-bin show -json plan.tfplan\n{plan}\n\
         ::debug::Terraform exited with code 0.\n::set-output name=exitcode::0\n"
    );
    std::fs::write(&wrapped, &text).expect("write");
    let message = input_error(path_str(&wrapped));
    assert!(message.contains("terraform_wrapper: false") && message.contains("setup-terraform"), "{message}");
    // Nothing of the plan is shown: its secrets stay out.
    assert!(!message.contains("correct-horse-battery-staple"), "{message}");
    // Standard input too.
    let out = palisade(&["check", "-"], Some(text.as_bytes()));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("terraform_wrapper: false"), "{}", stderr(&out));
}

/// One of two inputs broken: exit 2, and every report (main and
/// `--report`) is written, listing the broken input and the good one's
/// findings.
#[test]
fn one_broken_input_is_listed_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken.tfplan");
    std::fs::write(&broken, zip_bytes()).expect("write");
    let broken = path_str(&broken);
    let file = |f: &str| dir.path().join(format!("report.{f}"));
    let mut args = vec!["check", EXAMPLE, broken, "--format", "text"];
    let main = file("text");
    args.extend(["--output", path_str(&main)]);
    let extra: Vec<String> = ["json", "sarif", "junit", "markdown", "github"]
        .iter()
        .map(|f| format!("{f}={}", path_str(&file(f))))
        .collect();
    for r in &extra {
        args.extend(["--report", r.as_str()]);
    }
    let out = palisade(&args, None);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let read = |f: &str| std::fs::read_to_string(file(f)).unwrap_or_else(|e| panic!("report.{f} written: {e}"));
    let good = "aws-eks-cluster-disallow-api-endpoint-public-access";
    let checks: [(&str, &[&str]); 6] = [
        ("text", &["COULD NOT READ 1 input", "terraform show -json", good, "INCOMPLETE"]),
        ("markdown", &["## Palisade: INCOMPLETE", "### Could not read (1)", "zip archive", good]),
        ("github", &["::error file=", "title=Palisade%3A could not read input::", "zip archive", good]),
        ("junit", &["<testsuite name=\"palisade: ", "type=\"input-error\"", "zip archive", good]),
        ("sarif", &["could not read input: ", "\"inputError\": true", "\"executionSuccessful\": false", good]),
        ("json", &["\"input_errors\"", "zip archive", good]),
    ];
    for (format, needles) in checks {
        let text = read(format);
        for needle in needles.iter().chain([&broken]) {
            assert!(text.contains(needle), "{format} lacks {needle:?}:\n{text}");
        }
    }
    let r: Value = serde_json::from_str(&read("json")).expect("JSON");
    assert_eq!(r["input_errors"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["violations"].as_array().map(Vec::len), Some(7), "the good input is checked");
    assert_eq!(r["provenance"]["inputs"][0]["path"], EXAMPLE);
    assert_eq!(r["summary"]["complete"], false);
    let schema: Value =
        serde_json::from_slice(&std::fs::read(repo("engine/schema/report.schema.json")).expect("schema"))
            .expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&r).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let sarif: Value = serde_json::from_str(&read("sarif")).expect("JSON");
    let note = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "error");
    assert!(
        note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|u| u.ends_with("broken.tfplan")),
        "{note}"
    );
    // The GitHub annotations: the input error is the first error after the verdict.
    let github = read("github");
    assert!(github.lines().nth(1).is_some_and(|l| l.contains("could not read input")), "{github}");
}

/// Every input broken: the reports still say so (no results, the input
/// errors), exit 2, and `--write-baseline` is refused, writing nothing.
#[test]
fn every_input_broken_writes_the_reports_but_no_baseline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.json");
    let tf = dir.path().join("main.tf");
    std::fs::write(&tf, "terraform {\n  required_version = \">= 1.5\"\n}\n").expect("write");
    let report = dir.path().join("r.json");
    let markdown = dir.path().join("r.md");
    let baseline = dir.path().join("baseline.json");
    let md = format!("markdown={}", path_str(&markdown));
    let out = palisade(
        &[
            "check",
            path_str(&missing),
            path_str(&tf),
            "--format",
            "json",
            "-o",
            path_str(&report),
            "--report",
            &md,
            "--write-baseline",
            path_str(&baseline),
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("--write-baseline") && err.contains("not written"), "{err}");
    assert!(!baseline.exists(), "no baseline from an incomplete run");
    let r: Value = serde_json::from_slice(&std::fs::read(&report).expect("report written")).expect("JSON");
    assert_eq!(r["violations"], serde_json::json!([]));
    assert_eq!(r["provenance"]["inputs"], serde_json::json!([]));
    let inputs: Vec<&str> =
        r["input_errors"].as_array().expect("errors").iter().filter_map(|e| e["input"].as_str()).collect();
    assert_eq!(inputs, [path_str(&missing), path_str(&tf)]);
    let md = std::fs::read_to_string(&markdown).expect("markdown written");
    assert!(md.contains("### Could not read (2)") && md.contains("missing.json"), "{md}");
    // Only the two reports and the one input: nothing half-written.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 3);
}

/// Runs `palisade ARGS` in `cwd`.
fn palisade_in(cwd: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(cwd)
        .env("PALISADE_CACHE_DIR", root().join("target/test-cache"))
        .output()
        .expect("palisade runs")
}

/// A repository in a temporary folder: `.git`, `infra/`, and two plans
/// under `plans/` (staging and prod, the README example's findings each).
fn repository(parent: &Path, name: &str) -> PathBuf {
    let repo_dir = parent.join(name);
    std::fs::create_dir_all(repo_dir.join(".git")).expect("git");
    std::fs::create_dir_all(repo_dir.join("infra")).expect("infra");
    std::fs::create_dir_all(repo_dir.join("plans")).expect("plans");
    let plan = std::fs::read_to_string(repo(EXAMPLE)).expect("plan");
    std::fs::write(repo_dir.join("plans/staging.json"), &plan).expect("write");
    std::fs::write(repo_dir.join("plans/prod.json"), &plan).expect("write");
    repo_dir
}

/// A baseline written with absolute input paths in one checkout matches in
/// another checkout (elsewhere on disk), read with `./` and `..` spellings
/// from another folder; one written by an older version (no `repo_path`)
/// matches under another spelling from the same folder.
#[test]
fn baselines_match_whatever_the_spelling_of_the_inputs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let laptop = std::fs::canonicalize(repository(tmp.path(), "laptop")).expect("canonical");
    let ci = repository(tmp.path(), "ci");
    let baseline = tmp.path().join("baseline.json");
    let abs = |r: &Path, f: &str| path_str(&r.join(f)).to_string();
    let (staging, prod) = (abs(&laptop, "plans/staging.json"), abs(&laptop, "plans/prod.json"));
    let out = palisade_in(&laptop, &["check", &staging, &prod, "--write-baseline", path_str(&baseline)]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let written: Value = serde_json::from_slice(&std::fs::read(&baseline).expect("baseline")).expect("JSON");
    assert_eq!(written["provenance"]["inputs"][1]["repo_path"], "plans/prod.json");
    assert_eq!(written["violations"].as_array().map(Vec::len), Some(14));
    // In the other checkout, from infra/, with other spellings.
    let b = path_str(&baseline);
    let args = ["check", "--format", "json", "../plans/staging.json", "./../plans/prod.json", "--baseline", b];
    let out = palisade_in(&ci.join("infra"), &args);
    assert_eq!(code(&out), 0, "every finding is known: {}", stderr(&out));
    let r = json(&out);
    assert_eq!((r["summary"]["baselined"].clone(), r["baseline"]["resolved"].clone()), (14.into(), 0.into()));
    assert_eq!(r["baseline"]["by_input"], true);
    // An older baseline (no repo_path, relative paths as given) read with
    // `./` and absolute spellings from the folder it was written in.
    let out = palisade_in(&ci, &["check", "plans/staging.json", "plans/prod.json", "--write-baseline", b]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let mut old: Value = serde_json::from_slice(&std::fs::read(&baseline).expect("baseline")).expect("JSON");
    for input in old["provenance"]["inputs"].as_array_mut().expect("inputs") {
        input.as_object_mut().map(|o| o.remove("repo_path"));
    }
    std::fs::write(&baseline, serde_json::to_vec(&old).expect("JSON")).expect("write");
    let ci_prod = abs(&ci, "plans/prod.json");
    let out = palisade_in(&ci, &["check", "--format", "json", "./plans/staging.json", &ci_prod, "--baseline", b]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["baselined"], 14);
    // A finding of another input is still new: staging's baseline alone
    // does not hide prod's.
    let out = palisade_in(&ci, &["check", "plans/staging.json", "--write-baseline", b]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let out = palisade_in(&ci, &["check", "--format", "json", "./plans/staging.json", &ci_prod, "--baseline", b]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["summary"]["baselined"], 7);
    assert!(r["violations"].as_array().expect("violations").iter().all(|v| v["file"] == ci_prod.as_str()));
}

/// An exemption's `input:` glob, written relative to the repository root,
/// holds for its input whatever the spelling and the folder `check` runs
/// in; a broken input beside it does not make the baseline count its
/// findings as no longer found.
#[test]
fn exemption_input_globs_are_relative_to_the_repository() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let checkout = repository(tmp.path(), "repo");
    let exemptions = checkout.join("exemptions.yaml");
    std::fs::write(
        &exemptions,
        "exemptions:\n  - {policy: '*', resource: '*', reason: staging is a sandbox, input: 'plans/staging*'}\n",
    )
    .expect("write");
    let staging = path_str(&checkout.join("plans/staging.json")).to_string();
    for (cwd, prod) in [(checkout.clone(), "./plans/prod.json"), (checkout.join("infra"), "../plans/prod.json")] {
        let args = ["check", "--format", "json", &staging, prod, "--exemptions", path_str(&exemptions)];
        let out = palisade_in(&cwd, &args);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let r = json(&out);
        assert_eq!(r["summary"]["exempted"], 7, "{cwd:?}");
        assert!(r["exempted"].as_array().expect("exempted").iter().all(|e| e["file"] == staging.as_str()));
        assert!(r["violations"].as_array().expect("violations").iter().all(|v| v["file"] == prod));
    }
    // Two inputs baselined; then prod cannot be read: its findings are not
    // "no longer found", and the run is incomplete.
    let baseline = tmp.path().join("b.json");
    let b = path_str(&baseline);
    let out = palisade_in(&checkout, &["check", "plans/staging.json", "plans/prod.json", "--write-baseline", b]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    std::fs::write(checkout.join("plans/prod.json"), "{\"format_version\": \"1.2\",").expect("break prod");
    // An exemption for prod alone is not "unused": prod was not read.
    // One for staging that matches nothing is.
    std::fs::write(
        &exemptions,
        "exemptions:\n  - {policy: '*', resource: 'aws_x.*', reason: r, input: 'plans/prod*'}\n  \
         - {policy: '*', resource: 'aws_x.*', reason: r, input: 'plans/staging*'}\n",
    )
    .expect("write");
    let e = path_str(&exemptions);
    let args =
        ["check", "--format", "json", "plans/staging.json", "plans/prod.json", "--baseline", b, "--exemptions", e];
    let out = palisade_in(&checkout, &args);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!((r["summary"]["baselined"].clone(), r["baseline"]["resolved"].clone()), (7.into(), 0.into()));
    let unused: Vec<&Value> =
        r["exemptions"]["unused"].as_array().expect("unused").iter().map(|u| &u["number"]).collect();
    assert_eq!(unused, [&Value::from(2)]);
    assert_eq!(r["input_errors"][0]["input"], "plans/prod.json");
}
