//! The authoring tools: `palisade new` in each of the seven languages, built
//! outside the repository by the scaffold's own `build.sh` and tested by
//! `palisade test` on its own cases; `palisade test` on passing, failing and
//! broken cases; `palisade inspect` on the built-in pack.
//!
//! A missing toolchain fails with the install command; nothing is skipped.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{code, json, palisade, repo};

/// The cases every scaffold starts with (`src/new.rs`: five per policy).
const SCAFFOLD_CASES: usize = 10;

/// Standard output and error of a run, for assertion messages.
fn shown(out: &std::process::Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// `palisade new --lang LANG` in a temporary folder, its `build.sh` with the
/// repository's toolchains, then `palisade test` and `palisade inspect` on
/// the built pack.
fn scaffold_builds_and_passes(lang: &str) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let name = format!("my-{lang}-pack");
    let out = palisade(&["new", "--lang", lang, "--dir", path_str(tmp.path()), &name], None);
    assert_eq!(code(&out), 0, "{lang}: palisade new\n{}", shown(&out));
    let dir = tmp.path().join(&name);
    assert_self_contained(&dir);

    let wasm = tmp.path().join(format!("{name}.wasm"));
    let build = Command::new("bash")
        .arg(dir.join("build.sh"))
        .arg(&wasm)
        .current_dir(tmp.path())
        .env("PALISADE_TOOLCHAINS", repo("target/toolchains"))
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap_or_else(|e| panic!("{lang}: cannot run build.sh: {e}"));
    assert!(
        build.status.success(),
        "{lang}: the scaffold's build.sh failed ({}):\n{}\nInstall its toolchain with: scripts/install-toolchains.sh {lang}",
        build.status,
        shown(&build)
    );
    assert!(wasm.is_file(), "{lang}: build.sh wrote no {}", wasm.display());

    let tests = dir.join("tests");
    let out = palisade(&["test", path_str(&wasm), path_str(&tests)], None);
    assert_eq!(code(&out), 0, "{lang}: palisade test\n{}", shown(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().filter(|l| l.starts_with("PASS ")).count(), SCAFFOLD_CASES, "{lang}: {stdout}");
    assert!(stdout.contains(&format!("PASSED: {SCAFFOLD_CASES} cases")), "{lang}: {stdout}");

    let out = palisade(&["inspect", path_str(&wasm)], None);
    assert_eq!(code(&out), 0, "{lang}: palisade inspect\n{}", shown(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&name), "{lang}: {}", shown(&out));
    let out = palisade(&["inspect", "--format", "json", path_str(&wasm)], None);
    let doc = json(&out);
    assert_eq!(doc["name"], name.as_str());
    if matches!(lang, "python" | "javascript") {
        assert_eq!(
            (&doc["kind"], &doc["wit_package"], &doc["wit_version"]),
            (&"component".into(), &"palisade:policy".into(), &"1.0.0".into())
        );
    } else {
        assert_eq!((&doc["kind"], &doc["abi_version"]), (&"module".into(), &1.into()));
    }
    assert_eq!(doc["policies"].as_array().map(Vec::len), Some(2), "{lang}: {doc}");
}

/// Nothing in a scaffold points back into the repository.
fn assert_self_contained(dir: &Path) {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("read scaffold") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for needle in ["../../../", "scripts/toolchains/env.sh", "PALISADE_ROOT", "example-"] {
                assert!(!text.contains(needle), "{} mentions {needle:?}", path.display());
            }
        }
    }
    for file in ["build.sh", "toolchain.sh", "README.md", "tests/required-tags.yaml"] {
        assert!(dir.join(file).is_file(), "the scaffold has no {file}");
    }
}

#[test]
fn new_rust() {
    scaffold_builds_and_passes("rust");
}

#[test]
fn new_c() {
    scaffold_builds_and_passes("c");
}

#[test]
fn new_zig() {
    scaffold_builds_and_passes("zig");
}

#[test]
fn new_assemblyscript() {
    scaffold_builds_and_passes("assemblyscript");
}

#[test]
fn new_go() {
    scaffold_builds_and_passes("go");
}

#[test]
fn new_python() {
    scaffold_builds_and_passes("python");
}

#[test]
fn new_javascript() {
    scaffold_builds_and_passes("javascript");
}

#[test]
fn new_refuses_bad_names_and_non_empty_folders() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = path_str(tmp.path());
    for bad in ["My-Pack", "1pack", "pack-", "my_pack", "a/b", ""] {
        let out = palisade(&["new", "--lang", "c", "--dir", dir, bad], None);
        assert_eq!(code(&out), 2, "{bad:?}: {}", shown(&out));
    }
    std::fs::create_dir(tmp.path().join("taken")).expect("mkdir");
    std::fs::write(tmp.path().join("taken/file"), "x").expect("write");
    let out = palisade(&["new", "--lang", "c", "--dir", dir, "taken"], None);
    assert_eq!(code(&out), 2, "{}", shown(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"), "{}", shown(&out));
    // An empty folder is fine.
    std::fs::create_dir(tmp.path().join("empty")).expect("mkdir");
    let out = palisade(&["new", "--lang", "c", "--dir", dir, "empty"], None);
    assert_eq!(code(&out), 0, "{}", shown(&out));
    assert!(tmp.path().join("empty/policy.c").is_file());
}

#[test]
fn new_refuses_a_missing_or_non_folder_parent() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let missing = tmp.path().join("nonexistent/p");
    let out = palisade(&["new", "--lang", "c", "--dir", path_str(&missing), "my-pack"], None);
    assert_eq!(code(&out), 2, "{}", shown(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(path_str(&missing)) && stderr.contains("no such folder"), "{}", shown(&out));
    assert!(!tmp.path().join("nonexistent").exists(), "no parent folder is created");
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").expect("write");
    let out = palisade(&["new", "--lang", "c", "--dir", path_str(&file), "my-pack"], None);
    assert_eq!(code(&out), 2, "{}", shown(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(path_str(&file)) && stderr.contains("not a folder"), "{}", shown(&out));
}

#[test]
fn test_runs_the_builtin_packs_cases() {
    let out = palisade(&["test", "builtin:aws-baseline", "policies/aws-baseline/tests/cases"], None);
    assert_eq!(code(&out), 0, "{}", shown(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("FAIL"), "{stdout}");
    assert!(stdout.contains("PASSED: ") && stdout.contains(" 0 failed"), "{stdout}");
}

#[test]
fn test_shows_the_diff_of_a_failing_case() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let original =
        std::fs::read_to_string(repo("policies/aws-baseline/tests/cases/aws-s3-bucket-disallow-public-read.yaml"))
            .expect("case file");
    let broken = original.replacen("resource: aws_s3_bucket.site,", "resource: aws_s3_bucket.elsewhere,", 1);
    assert_ne!(broken, original, "the case file changed; update this test");
    std::fs::write(tmp.path().join("broken.yaml"), broken).expect("write");
    let out = palisade(&["test", "builtin:aws-baseline", path_str(tmp.path())], None);
    assert_eq!(code(&out), 1, "{}", shown(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FAIL  ") && stdout.contains("terraform bucket with the public-read ACL is a violation"),
        "{stdout}"
    );
    assert!(stdout.contains("  - violation aws-s3-bucket-disallow-public-read on aws_s3_bucket.elsewhere"), "{stdout}");
    assert!(stdout.contains("  + violation aws-s3-bucket-disallow-public-read on aws_s3_bucket.site: "), "{stdout}");
    assert!(stdout.contains("FAILED: ") && stdout.contains(" 1 failed"), "{stdout}");
}

#[test]
fn test_fails_a_case_naming_an_unknown_policy() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let case = "cases:\n  - name: typo\n    policies: [aws-s3-bucket-disallow-publc-read]\n    \
                input: {format_version: \"1.2\", resource_changes: []}\n    expect: {violations: []}\n";
    std::fs::write(tmp.path().join("typo.yaml"), case).expect("write");
    let out = palisade(&["test", "builtin:aws-baseline", path_str(tmp.path())], None);
    assert_eq!(code(&out), 1, "{}", shown(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("`aws-s3-bucket-disallow-publc-read`, which the pack does not have"), "{stdout}");
}

#[test]
fn test_reads_input_files_beside_the_cases() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let plan = r#"{"format_version": "1.2", "resource_changes": [{"address": "aws_s3_bucket.site", "mode": "managed",
        "type": "aws_s3_bucket", "name": "site", "change": {"actions": ["create"], "before": null,
        "after": {"bucket": "site", "acl": "public-read"}, "after_unknown": {}}}]}"#;
    std::fs::write(tmp.path().join("plan.json"), plan).expect("write");
    let case = "cases:\n  - name: from a file\n    policies: [aws-s3-bucket-disallow-public-read]\n    \
                input_file: plan.json\n    expect:\n      violations:\n        \
                - {policy: aws-s3-bucket-disallow-public-read, resource: aws_s3_bucket.site}\n";
    std::fs::write(tmp.path().join("file.yaml"), case).expect("write");
    let out = palisade(&["test", "builtin:aws-baseline", path_str(tmp.path())], None);
    assert_eq!(code(&out), 0, "{}", shown(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PASSED: 1 cases in 1 files"), "{}", shown(&out));
}

#[test]
fn test_errors_exit_2() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // No case folder: the path looked for is named.
    let missing = tmp.path().join("nowhere");
    let out = palisade(&["test", "builtin:aws-baseline", path_str(&missing)], None);
    assert_eq!(code(&out), 2, "{}", shown(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains(path_str(&missing)), "{}", shown(&out));
    // The default, tests/ beside the pack.
    let pack = tmp.path().join("pack.wasm");
    let out = palisade(&["test", path_str(&pack)], None);
    assert_eq!(code(&out), 2, "{}", shown(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains(path_str(&tmp.path().join("tests"))), "{}", shown(&out));
    // An empty folder: no case found.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let out = palisade(&["test", "builtin:aws-baseline", path_str(&empty)], None);
    assert_eq!(code(&out), 2, "{}", shown(&out));
    // An unreadable case file.
    std::fs::write(empty.join("bad.yaml"), "cases: [{name: x, expect: {violations: 5}}]\n").expect("write");
    let out = palisade(&["test", "builtin:aws-baseline", path_str(&empty)], None);
    assert_eq!(code(&out), 2, "{}", shown(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ERROR test case file"), "{}", shown(&out));
    // A pack that is not WebAssembly.
    std::fs::write(&pack, "not wasm").expect("write");
    let out = palisade(&["test", path_str(&pack), path_str(&empty)], None);
    assert_eq!(code(&out), 2, "{}", shown(&out));
}

#[test]
fn inspect_the_builtin_pack() {
    let bytes = palisade::AWS_BASELINE.wasm;
    let digest = hex::encode(Sha256::digest(bytes));
    let out = palisade(&["inspect", "builtin:aws-baseline", "--format", "json"], None);
    assert_eq!(code(&out), 0, "{}", shown(&out));
    let doc = json(&out);
    assert_eq!(doc["name"], "aws-baseline");
    assert_eq!(doc["kind"], "module");
    assert_eq!(doc["abi_version"], 1);
    assert_eq!(doc["wit_package"], Value::Null);
    assert!(doc["imports"].is_array(), "{doc}");
    assert_eq!(doc["size"].as_u64(), u64::try_from(bytes.len()).ok());
    assert_eq!(doc["sha256"], digest.as_str());
    let policies = doc["policies"].as_array().expect("policies");
    assert_eq!(policies.len(), 14, "{doc}");
    for p in policies {
        for field in ["name", "enforcement_level", "severity", "kind", "resource_types", "config_schema"] {
            assert!(!p[field].is_null(), "{field} of {p}");
        }
    }

    let out = palisade(&["inspect", "builtin:aws-baseline"], None);
    assert_eq!(code(&out), 0, "{}", shown(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("pack         aws-baseline "), "{text}");
    assert!(text.contains("core module, guest ABI v1"), "{text}");
    assert!(text.contains(&digest), "{text}");
    assert!(text.contains(&format!("{} bytes", bytes.len())), "{text}");
    assert!(text.contains("policies (14):"), "{text}");
    for p in policies {
        let (name, level, severity) = (p["name"].as_str().unwrap_or_default(), &p["enforcement_level"], &p["severity"]);
        let line = format!(
            "  {name}  ({}, {}, {})",
            p["kind"].as_str().unwrap_or_default(),
            level.as_str().unwrap_or_default(),
            severity.as_str().unwrap_or_default()
        );
        assert!(text.contains(&line), "no line {line:?} in:\n{text}");
    }
}

/// A core-module pack (guest ABI v1) whose `palisade_describe` returns
/// `describe`, built from WAT into `dir/NAME.wasm`; its policies find
/// nothing.
fn describe_pack(dir: &Path, name: &str, describe: &Value) -> std::path::PathBuf {
    let json = describe.to_string();
    let data: String = json.bytes().map(|b| format!("\\{b:02x}")).collect();
    let wat = format!(
        r#"(module
  (memory (export "memory") 2)
  (data (i32.const 1024) "{data}")
  (func (export "palisade_abi_version") (result i32) (i32.const 1))
  (func (export "palisade_alloc") (param i32) (result i32) (i32.const 65536))
  (func (export "palisade_describe") (result i64)
    (i64.or (i64.shl (i64.const {len}) (i64.const 32)) (i64.const 1024)))
  (func (export "palisade_load") (param i32 i32) (result i64) (i64.const 0))
  (func (export "palisade_evaluate") (param i32 i32) (result i64) (i64.const 0))
)"#,
        len = json.len()
    );
    let bytes = wat::parse_str(&wat).unwrap_or_else(|e| panic!("{name}: {e}"));
    let path = dir.join(format!("{name}.wasm"));
    std::fs::write(&path, bytes).expect("write wasm");
    path
}

/// One policy of a describe document, with `extra` fields merged in.
fn policy_doc(name: &str, extra: Value) -> Value {
    let mut p = serde_json::json!({
        "name": name, "severity": "high", "enforcement_level": "mandatory", "kind": "resource",
        "resource_types": ["aws_s3_bucket"],
    });
    for (k, v) in extra.as_object().expect("an object") {
        p[k] = v.clone();
    }
    p
}

/// A pack's own text (description, help, policy description, resource
/// types, schema) is shown escaped: no ESC, BEL or bidi override reaches
/// the terminal, and no raw newline forges a line such as `sha256 ...`.
#[test]
fn inspect_escapes_a_packs_own_text() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let forged = "\nsha256       0000000000000000000000000000000000000000000000000000000000000000";
    let describe = serde_json::json!({
        "name": "evil", "version": "1.0.0",
        "description": format!("\u{1b}[2J\u{1b}]8;;https://x\u{7}cleared{forged}\u{202e}gnp.exe"),
        "policies": [policy_doc("p", serde_json::json!({
            "description": format!("checks{forged}"),
            "resource_types": ["aws_s3_bucket\u{1b}[31m"],
            "config_schema": {"type": "object", "description": "\u{202e}evil\u{200b}"},
            "help": "\u{1b}]0;title\u{7}read me\r\nsha256       forged",
        }))],
    });
    let pack = describe_pack(tmp.path(), "evil", &describe);
    let out = palisade(&["inspect", path_str(&pack)], None);
    assert_eq!(code(&out), 0, "{}", shown(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(['\u{1b}', '\u{7}', '\u{202e}', '\u{200b}', '\r']), "{text:?}");
    assert_eq!(text.lines().filter(|l| l.trim_start().starts_with("sha256")).count(), 1, "a forged line: {text}");
    assert!(text.contains("description  \\u{1b}[2J\\u{1b}]8;;https://x\\u{7}cleared\\nsha256"), "{text}");
    assert!(text.contains("\\u{202e}gnp.exe"), "{text}");
    assert!(text.contains("      checks\\nsha256"), "{text}");
    assert!(text.contains("resource types: aws_s3_bucket\\u{1b}[31m"), "{text}");
    assert!(text.contains("\\u{202e}evil\\u{200b}"), "{text}");
    assert!(text.contains("help:           \\u{1b}]0;title\\u{7}read me\\r\\nsha256"), "{text}");
    assert!(!text.contains("problems"), "{text}");
    // JSON keeps the text exact (serde escapes it) and lists no problem.
    let out = palisade(&["inspect", path_str(&pack), "--format", "json"], None);
    assert_eq!(code(&out), 0, "{}", shown(&out));
    let doc = json(&out);
    assert_eq!(doc["description"], describe["description"]);
    assert_eq!(doc["problems"], serde_json::json!([]));
}

/// A schema that is not JSON Schema, or defaults that break their schema,
/// would fail every `check`: `inspect` lists them under `problems` and
/// exits 1.
#[test]
fn inspect_reports_invalid_config_schemas() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let describe = serde_json::json!({
        "name": "broken", "version": "1.0.0",
        "policies": [
            policy_doc("fine", serde_json::json!({})),
            policy_doc("nonsense", serde_json::json!({"config_schema": {"type": "nonsense"}})),
        ],
    });
    let pack = describe_pack(tmp.path(), "broken", &describe);
    let out = palisade(&["inspect", path_str(&pack)], None);
    assert_eq!(code(&out), 1, "{}", shown(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("policies (2):"), "the pack is still shown: {text}");
    let problems = text.split("\nproblems (1):\n").nth(1).unwrap_or_else(|| panic!("no problems section: {text}"));
    assert!(problems.contains("`nonsense`") && problems.contains("not a valid JSON Schema"), "{text}");
    let out = palisade(&["inspect", path_str(&pack), "--format", "json"], None);
    assert_eq!(code(&out), 1, "{}", shown(&out));
    let doc = json(&out);
    let problems = doc["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{doc}");
    assert!(problems[0].as_str().is_some_and(|p| p.contains("`nonsense`")), "{doc}");
    // `check` refuses the same pack: what inspect warns about.
    let plan = tmp.path().join("plan.json");
    std::fs::write(&plan, r#"{"format_version": "1.2", "resource_changes": []}"#).expect("write");
    let out = palisade(&["check", "--pack", path_str(&pack), path_str(&plan)], None);
    assert_eq!(code(&out), 2, "{}", shown(&out));

    let describe = serde_json::json!({
        "name": "bad-defaults", "version": "1.0.0",
        "policies": [policy_doc("limits", serde_json::json!({"config_schema": {
            "type": "object", "properties": {"max": {"type": "integer", "default": "ten"}}
        }}))],
    });
    let pack = describe_pack(tmp.path(), "bad-defaults", &describe);
    let out = palisade(&["inspect", path_str(&pack)], None);
    assert_eq!(code(&out), 1, "{}", shown(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("problems (1):") && text.contains("`limits`") && text.contains("`/max`"), "{text}");
}

/// A public-read bucket, as an inline case input.
const PUBLIC_BUCKET: &str = "{format_version: \"1.2\", resource_changes: [{address: aws_s3_bucket.site, mode: managed, \
    type: aws_s3_bucket, name: site, change: {actions: [create], before: null, \
    after: {bucket: site, acl: public-read}, after_unknown: {}}}]}";

/// A case file of `cases`, each `(name, extra YAML fields)`, comparing only
/// the public-read policy on [`PUBLIC_BUCKET`].
fn case_file(cases: &[(&str, &str)]) -> String {
    let mut text = "cases:\n".to_string();
    for (name, extra) in cases {
        text.push_str(&format!(
            "  - name: {name}\n    policies: [aws-s3-bucket-disallow-public-read]\n    input: {PUBLIC_BUCKET}\n{extra}"
        ));
    }
    text
}

#[test]
fn test_applies_and_checks_enforcement_levels_in_case_configs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let good = tmp.path().join("good");
    std::fs::create_dir(&good).expect("mkdir");
    let text = case_file(&[
        (
            "disabled by its config",
            "    config: {aws-s3-bucket-disallow-public-read: {enforcementLevel: disabled}}\n    \
             expect: {violations: [], failed: false}\n",
        ),
        (
            "advisory by its config",
            "    config: {aws-s3-bucket-disallow-public-read: {enforcementLevel: advisory}}\n    \
             expect:\n      violations: [{policy: aws-s3-bucket-disallow-public-read, resource: aws_s3_bucket.site}]\n      \
             failed: false\n",
        ),
    ]);
    std::fs::write(good.join("levels.yaml"), text).expect("write");
    let out = palisade(&["test", "builtin:aws-baseline", path_str(&good)], None);
    assert_eq!(code(&out), 0, "{}", shown(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PASSED: 2 cases in 1 files"), "{}", shown(&out));

    let bad = tmp.path().join("bad");
    std::fs::create_dir(&bad).expect("mkdir");
    let text = case_file(&[
        (
            "bogus level",
            "    config: {aws-s3-bucket-disallow-public-read: {enforcementLevel: bogus}}\n    \
             expect: {violations: []}\n",
        ),
        (
            "level set twice",
            "    config: {aws-s3-bucket-disallow-public-read: {enforcementLevel: disabled}}\n    \
             levels: {aws-s3-bucket-disallow-public-read: disabled}\n    expect: {violations: []}\n",
        ),
    ]);
    std::fs::write(bad.join("levels.yaml"), text).expect("write");
    let out = palisade(&["test", "builtin:aws-baseline", path_str(&bad)], None);
    assert_eq!(code(&out), 1, "{}", shown(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL  ") && stdout.contains(":: bogus level"), "{stdout}");
    assert!(stdout.contains("unknown enforcement level `bogus`"), "{stdout}");
    assert!(stdout.contains("advisory, mandatory, remediate or disabled"), "{stdout}");
    assert!(stdout.contains(":: level set twice") && stdout.contains("is set twice"), "{stdout}");
    assert!(stdout.contains("FAILED: 2 cases in 1 files: 0 passed, 2 failed"), "{stdout}");
}

#[test]
fn test_errors_on_duplicate_names_and_malformed_inputs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dup = tmp.path().join("dup");
    std::fs::create_dir(&dup).expect("mkdir");
    let expect =
        "    expect:\n      violations: [{policy: aws-s3-bucket-disallow-public-read, resource: aws_s3_bucket.site}]\n";
    let text = case_file(&[("same", expect), ("other", expect), ("same", expect)]);
    std::fs::write(dup.join("dup.yaml"), text).expect("write");
    let out = palisade(&["test", "builtin:aws-baseline", path_str(&dup)], None);
    assert_eq!(code(&out), 2, "{}", shown(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ERROR test case file") && stdout.contains("dup.yaml"), "{stdout}");
    assert!(stdout.contains("given more than once: \"same\""), "{stdout}");

    let bad = tmp.path().join("bad");
    std::fs::create_dir(&bad).expect("mkdir");
    let text = format!(
        "{}  - name: malformed input\n    input: {{not: a plan}}\n    expect: {{violations: []}}\n  \
         - name: missing file\n    input_file: nowhere.json\n    expect: {{violations: []}}\n",
        case_file(&[("fine", expect)])
    );
    std::fs::write(bad.join("bad.yaml"), text).expect("write");
    let out = palisade(&["test", "builtin:aws-baseline", path_str(&bad)], None);
    assert_eq!(code(&out), 2, "{}", shown(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("FAIL  "), "an input error is not a failure: {stdout}");
    assert!(!stdout.contains("expected vs actual"), "{stdout}");
    let line = stdout.lines().find(|l| l.contains(":: malformed input")).expect("the malformed case");
    assert!(line.starts_with("ERROR ") && line.contains("the input cannot be read: "), "{stdout}");
    let line = stdout.lines().find(|l| l.contains(":: missing file")).expect("the missing file case");
    assert!(line.starts_with("ERROR ") && line.contains("cannot read") && line.contains("nowhere.json"), "{stdout}");
    assert!(stdout.contains("PASS  ") && stdout.contains(":: fine"), "{stdout}");
    assert!(stdout.contains("ERROR: 3 cases in 1 files: 1 passed, 0 failed, 2 in error"), "{stdout}");
}

/// A symbolic link back up the tree (`ln -s .. cases/up`) neither loops nor
/// reads the folders above; a link to a folder beside it is followed.
#[cfg(unix)]
#[test]
fn test_survives_a_symlink_cycle_in_the_cases_folder() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let cases = tmp.path().join("cases");
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&cases).expect("mkdir");
    std::fs::create_dir(&shared).expect("mkdir");
    let expect =
        "    expect:\n      violations: [{policy: aws-s3-bucket-disallow-public-read, resource: aws_s3_bucket.site}]\n";
    std::fs::write(cases.join("a.yaml"), case_file(&[("own", expect)])).expect("write");
    std::fs::write(shared.join("b.yaml"), case_file(&[("shared", expect)])).expect("write");
    std::fs::write(tmp.path().join("not-a-case.yaml"), "hello: world\n").expect("write");
    std::os::unix::fs::symlink("..", cases.join("up")).expect("symlink");
    std::os::unix::fs::symlink(".", cases.join("self")).expect("symlink");
    std::os::unix::fs::symlink("../shared", cases.join("shared")).expect("symlink");
    std::os::unix::fs::symlink("../cases", shared.join("back")).expect("symlink");
    let files = palisade_engine::testcase::discover(&cases).expect("discover");
    assert_eq!(files.len(), 2, "{files:?}");
    let out = palisade(&["test", "builtin:aws-baseline", path_str(&cases)], None);
    assert_eq!(code(&out), 0, "{}", shown(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PASSED: 2 cases in 2 files"), "{}", shown(&out));
}
