//! The report formats: golden files of every format on one corpus plan
//! (through the CLI, `--format`, `-o` and `--report`), SARIF against the
//! SARIF 2.1.0 schema and GitHub's requirements, JUnit parsed as XML with
//! its counts, the Markdown cap and escaping, and GitHub annotations'
//! escaping. Synthetic reports (built through the library, no pack run)
//! cover what the corpus plan does not: source locations, standard input,
//! policy errors, baselines, shared policy names, hostile text.
//!
//! `PALISADE_UPDATE_GOLDEN=1 cargo test --test palisade formats` rewrites
//! `tests/data/golden/`.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use palisade_engine::baseline::Baseline;
use palisade_engine::exemption::{Exemptions, today_utc};
use palisade_engine::model::Operation;
use palisade_engine::report::{
    Format, InputProvenance, MarkdownOptions, PolicyDoc, RenderOptions, Report, render, render_markdown_capped,
    render_markdown_with,
};
use palisade_engine::source_map::SourceLocation;
use palisade_engine::{
    EnforcementLevel, Evaluation, FaultKind, Findings, PolicyError, PolicyKind, PolicySettings, Severity, Violation,
};
use serde_json::Value;

use crate::support::{code, palisade, repo, root};

/// The plan of the golden files: one mandatory and four undecided
/// violations on nested modules, and a stack policy. It is the corpus plan
/// `bridgecrewio__checkov__nested-child-modules-connections.json` without
/// its `configuration` section, as older tools print plans: with it, the
/// four buckets' `acl` is not set (private) rather than unknown, and they
/// pass (`tests/cases/plans/`).
const PLAN: &str = "tests/data/golden/nested-child-modules.no-configuration.json";
/// Its exemptions: one in force, one expired, one unused.
const EXEMPTIONS: &str = "tests/data/golden/nested-child-modules.exemptions.yaml";
/// The golden files' stem.
const GOLDEN: &str = "tests/data/golden/nested-child-modules";

// ---------------------------------------------------------------- golden

/// The golden file's extension of each format.
fn extension(format: Format) -> &'static str {
    match format {
        Format::Text => "txt",
        Format::Json => "json",
        Format::Sarif => "sarif",
        Format::Junit => "xml",
        Format::Markdown => "md",
        Format::Github => "github.txt",
    }
}

/// `text` with what depends on the machine or the build replaced:
/// the repository root (`$ROOT`), `tmp` (`$TMP`), Palisade's version
/// (`$VERSION`) and the built-in pack's digest (`$PACK_SHA256`, since it
/// depends on the guest toolchain).
fn normalize(format: Format, text: &str, tmp: &Path) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let text = text.replace(&root().display().to_string(), "$ROOT").replace(&tmp.display().to_string(), "$TMP");
    match format {
        Format::Json | Format::Sarif => {
            let mut v: Value = serde_json::from_str(&text).expect("the report is JSON");
            let (provenance, driver) = if format == Format::Json {
                (&mut v["provenance"], None)
            } else {
                let run = &mut v["runs"][0];
                let driver = run["tool"]["driver"].clone();
                (&mut run["properties"]["provenance"], Some(driver))
            };
            provenance["palisade_version"] = Value::from("$VERSION");
            for pack in provenance["packs"].as_array_mut().into_iter().flatten() {
                pack["sha256"] = Value::from("$PACK_SHA256");
            }
            if let Some(mut d) = driver {
                assert_eq!(d["version"], version);
                d["version"] = Value::from("$VERSION");
                d["semanticVersion"] = Value::from("$VERSION");
                v["runs"][0]["tool"]["driver"] = d;
            }
            serde_json::to_string_pretty(&v).expect("serializes") + "\n"
        }
        Format::Markdown => text.replace(&format!("palisade {version} ·"), "palisade $VERSION ·"),
        _ => text,
    }
}

/// Compare `actual` with the golden file `path` (rewrite it when
/// `PALISADE_UPDATE_GOLDEN` is set); a mismatch shows the differing lines.
fn assert_golden(path: &str, actual: &str) {
    let file = repo(path);
    if std::env::var_os("PALISADE_UPDATE_GOLDEN").is_some() {
        std::fs::write(&file, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{path}: {e}; create it with PALISADE_UPDATE_GOLDEN=1"));
    if expected != actual {
        panic!("{path} differs (PALISADE_UPDATE_GOLDEN=1 rewrites it):\n{}", diff(&expected, actual));
    }
}

/// The lines between the common head and tail: `-` expected, `+` actual.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let head = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let tail = e[head..].iter().rev().zip(a[head..].iter().rev()).take_while(|(x, y)| x == y).count();
    let mut out = format!("@@ line {} @@\n", head + 1);
    for l in e[head..e.len() - tail].iter().take(40) {
        out.push_str(&format!("-{l}\n"));
    }
    for l in a[head..a.len() - tail].iter().take(40) {
        out.push_str(&format!("+{l}\n"));
    }
    out
}

/// Every format of one run: the main `--format json -o`, the others by
/// `--report`; each equals its golden file, and `--format X` on standard
/// output gives the same bytes as `--report X=FILE`.
#[test]
fn golden_reports_of_a_corpus_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |f: Format| dir.path().join(format!("report.{}", extension(f)));
    let main = path(Format::Json).display().to_string();
    let mut args =
        vec!["check".to_string(), "--exemptions".into(), EXEMPTIONS.into(), "--format".into(), "json".into()];
    args.extend(["-o".to_string(), main]);
    for f in Format::ALL.into_iter().filter(|f| *f != Format::Json) {
        args.extend(["--report".to_string(), format!("{f}={}", path(f).display())]);
    }
    args.push(PLAN.to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = palisade(&args, None);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "the report goes to -o");
    for f in Format::ALL {
        let text = std::fs::read_to_string(path(f)).unwrap_or_else(|e| panic!("{f} report: {e}"));
        assert_golden(&format!("{GOLDEN}.{}", extension(f)), &normalize(f, &text, dir.path()));
        if f != Format::Json {
            let stdout = palisade(&["check", "--exemptions", EXEMPTIONS, "--format", f.as_str(), PLAN], None);
            assert_eq!(String::from_utf8_lossy(&stdout.stdout), text, "--format {f} on stdout = --report {f}");
        }
    }
}

// ---------------------------------------------------------------- synthetic reports

fn violation(policy: &str, level: EnforcementLevel, severity: Severity, resource: &str, file: &str) -> Violation {
    Violation {
        policy: policy.to_string(),
        pack: "pack-a".to_string(),
        enforcement_level: level,
        severity,
        resource: resource.to_string(),
        resource_type: resource.split('.').next().unwrap_or("?").to_string(),
        action: if resource.ends_with("web") { Operation::Update } else { Operation::Create },
        message: format!("{policy} dislikes {resource}"),
        file: file.to_string(),
        undecided: false,
        location: None,
        remediation: None,
    }
}

fn doc(pack: &str, name: &str, severity: Severity, level: EnforcementLevel, help: Option<&str>) -> PolicyDoc {
    PolicyDoc {
        pack: pack.to_string(),
        name: name.to_string(),
        description: format!("Checks {name}."),
        severity,
        enforcement_level: level,
        kind: if name == "stack-policy" { PolicyKind::Stack } else { PolicyKind::Resource },
        help: help.map(str::to_string),
        note: None,
    }
}

/// A report on `file` without running a pack: a mandatory, an advisory, an
/// undecided and a stack violation, a mandatory policy error, and two packs
/// sharing the policy name `shared`.
fn synthetic(file: &str) -> Report {
    use EnforcementLevel::{Advisory, Mandatory};
    let mut undecided = violation("bucket-private", Advisory, Severity::Critical, "aws_s3_bucket.later", file);
    undecided.undecided = true;
    let mut other_pack = violation("shared", Mandatory, Severity::Medium, "aws_s3_bucket.public", file);
    other_pack.pack = "pack-b".to_string();
    let mut violations = vec![
        violation("bucket-private", Mandatory, Severity::Critical, "aws_s3_bucket.public", file),
        violation("instance-tags", Advisory, Severity::Low, "aws_instance.web", file),
        undecided,
        violation("shared", Advisory, Severity::High, "aws_instance.web", file),
        other_pack,
        violation("stack-policy", Mandatory, Severity::High, "aws_s3_bucket.public", file),
    ];
    violations.sort_by(|a, b| (&a.resource, &a.pack, &a.policy).cmp(&(&b.resource, &b.pack, &b.policy)));
    let resources = ["aws_s3_bucket.public", "aws_s3_bucket.later", "aws_instance.web", "aws_instance.db"];
    let eval = |pack: &str, policy: &str, kind, rs: &[&str]| Evaluation {
        pack: pack.to_string(),
        policy: policy.to_string(),
        kind,
        file: file.to_string(),
        resources: rs.iter().map(|r| r.to_string()).collect(),
    };
    let evaluations = vec![
        eval("pack-a", "bucket-private", PolicyKind::Resource, &resources[..2]),
        eval("pack-a", "instance-tags", PolicyKind::Resource, &resources[2..]),
        eval("pack-a", "shared", PolicyKind::Resource, &resources),
        eval("pack-a", "stack-policy", PolicyKind::Stack, &[]),
        eval("pack-b", "shared", PolicyKind::Resource, &resources),
    ];
    let policy_errors = vec![PolicyError {
        pack: "pack-a".to_string(),
        policy: "instance-tags".to_string(),
        enforcement_level: Mandatory,
        kind: FaultKind::Timeout,
        resources: vec!["aws_instance.db".to_string()],
        message: "the policy ran past its deadline of 2000 ms".to_string(),
        file: file.to_string(),
    }];
    let findings = Findings {
        violations,
        policy_errors,
        resources_evaluated: 4,
        resources_loaded: 5,
        resources_judged: 4,
        evaluations,
    };
    let inputs = vec![InputProvenance {
        path: file.to_string(),
        format: "tfplan".to_string(),
        sha256: "0".repeat(64),
        repo_path: file.to_string(),
    }];
    let mut report =
        Report::new(findings, &[] as &[palisade_engine::Pack], &PolicySettings::default(), inputs, "9.9.9");
    report.policies = vec![
        doc(
            "pack-a",
            "bucket-private",
            Severity::Critical,
            Mandatory,
            Some("https://example.com/policies/bucket-private"),
        ),
        doc("pack-a", "instance-tags", Severity::Low, Mandatory, Some("Tag the instance with an owner.")),
        doc("pack-a", "shared", Severity::High, Advisory, None),
        doc("pack-a", "stack-policy", Severity::High, Mandatory, None),
        doc("pack-b", "shared", Severity::Medium, Mandatory, None),
    ];
    report
}

fn rendered(report: &Report, format: Format) -> String {
    let mut out = Vec::new();
    render(report, format, &RenderOptions::default(), &mut out).expect("renders");
    String::from_utf8(out).expect("UTF-8")
}

fn exemptions(text: &str) -> Exemptions {
    Exemptions::parse("exemptions.yaml", text).expect("valid exemptions")
}

// ---------------------------------------------------------------- SARIF

/// The schema's `language` pattern, whose stray `]` the `regex` format
/// check of `jsonschema` rejects (ECMA-262 reads it as a literal), and the
/// same pattern with the bracket escaped.
const LANGUAGE_PATTERN: (&str, &str) =
    ("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$", "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$");

/// Schema errors and broken GitHub requirements of a SARIF log.
fn sarif_problems(sarif: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(repo("tests/data/sarif/sarif-schema-2.1.0.json")).expect("schema file");
    let (stray, escaped) = LANGUAGE_PATTERN;
    let text = text
        .replace(&serde_json::to_string(stray).expect("a string"), &serde_json::to_string(escaped).expect("a string"));
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let mut problems: Vec<String> =
        validator.iter_errors(sarif).map(|e| format!("schema: {e} at {}", e.instance_path())).collect();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().cloned().unwrap_or_default();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap_or("")).collect();
    if ids.iter().collect::<HashSet<_>>().len() != ids.len() {
        problems.push(format!("rule ids are not unique: {ids:?}"));
    }
    for (i, result) in run["results"].as_array().into_iter().flatten().enumerate() {
        let id = result["ruleId"].as_str().unwrap_or("");
        let index = result["ruleIndex"].as_u64().and_then(|i| usize::try_from(i).ok());
        if index.and_then(|n| ids.get(n)) != Some(&id) {
            problems.push(format!("result {i}: ruleIndex {index:?} is not rule {id:?}"));
        }
        let physical = &result["locations"][0]["physicalLocation"];
        if physical["artifactLocation"]["uri"].as_str().is_none_or(str::is_empty) {
            problems.push(format!("result {i}: no artifactLocation.uri"));
        }
        if physical["region"]["startLine"].as_u64().is_none_or(|l| l < 1) {
            problems.push(format!("result {i}: no region.startLine"));
        }
        if result["partialFingerprints"]["palisade/v1"].as_str().is_none_or(|f| f.len() != 64) {
            problems.push(format!("result {i}: no partialFingerprints"));
        }
        if result["locations"][0]["logicalLocations"][0]["kind"] != "resource" {
            problems.push(format!("result {i}: the resource is not a logical location"));
        }
    }
    problems
}

fn sarif_of(report: &Report) -> Value {
    let v: Value = serde_json::from_str(&rendered(report, Format::Sarif)).expect("SARIF is JSON");
    let problems = sarif_problems(&v);
    assert!(problems.is_empty(), "{problems:#?}");
    v
}

/// The golden run's SARIF (with exemptions) and the same plan from
/// standard input validate; standard input has the documented placeholder.
#[test]
fn sarif_of_the_cli_validates_with_exemptions_and_stdin() {
    let out = palisade(&["check", "--exemptions", EXEMPTIONS, "--format", "sarif", PLAN], None);
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_eq!(sarif_problems(&sarif), Vec::<String>::new());
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let suppressed: Vec<&Value> = results.iter().filter(|r| r["suppressions"].is_array()).collect();
    assert_eq!(suppressed.len(), 2, "the module's two buckets are exempted");
    for r in suppressed {
        assert_eq!(r["suppressions"][0]["kind"], "external");
        assert_eq!(
            r["suppressions"][0]["justification"],
            "The module's buckets are private behind CloudFront (SEC-42)."
        );
    }
    let notes = &sarif["runs"][0]["invocations"][0]["toolConfigurationNotifications"];
    assert_eq!(notes.as_array().map(Vec::len), Some(2), "expired and unused exemptions: {notes}");

    let bytes = std::fs::read(repo(PLAN)).expect("plan");
    let out = palisade(&["check", "--format", "sarif", "-"], Some(&bytes));
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_eq!(sarif_problems(&sarif), Vec::<String>::new());
    for r in sarif["runs"][0]["results"].as_array().expect("results") {
        assert_eq!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "stdin");
    }
}

/// Levels, rules, help, locations, policy errors and baselines.
#[test]
fn sarif_maps_levels_rules_locations_errors_and_baselines() {
    let mut report = synthetic("plans/my plan.json");
    report.locate(|resource, _| {
        (resource == "aws_s3_bucket.public").then(|| SourceLocation {
            file: "infra/s3.tf".to_string(),
            line: 12,
            column: 3,
        })
    });
    let sarif = sarif_of(&report);
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["bucket-private", "instance-tags", "pack-a/shared", "stack-policy", "pack-b/shared"]);
    assert_eq!(rules[0]["helpUri"], "https://example.com/policies/bucket-private");
    assert_eq!(rules[1]["help"]["text"], "Tag the instance with an owner.");
    // The default level follows the effective enforcement level, not the
    // severity: low but mandatory is `error`, high but advisory `warning`.
    assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
    assert_eq!(rules[1]["defaultConfiguration"]["level"], "error", "low, mandatory");
    assert_eq!(rules[2]["defaultConfiguration"]["level"], "warning", "high, advisory");
    assert_eq!(rules[4]["defaultConfiguration"]["level"], "error", "medium, mandatory");
    assert!(rules.iter().all(|r| r["helpUri"].is_null() || r["id"] == "bucket-private"), "no built-in pack");
    assert_eq!(rules[0]["properties"]["pack"], "pack-a");
    assert_eq!(rules[0]["properties"]["enforcementLevel"], "mandatory");
    assert_eq!(rules[0]["shortDescription"]["text"], "Checks bucket-private.");
    let level = |rule: &str, resource: &str| {
        let r = run["results"].as_array().into_iter().flatten().find(|r| {
            r["ruleId"] == rule && r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == resource
        });
        r.unwrap_or_else(|| panic!("no result {rule} {resource}")).clone()
    };
    let mandatory = level("bucket-private", "aws_s3_bucket.public");
    assert_eq!(mandatory["level"], "error");
    let physical = &mandatory["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "infra/s3.tf");
    assert_eq!(
        (physical["region"]["startLine"].as_u64(), physical["region"]["startColumn"].as_u64()),
        (Some(12), Some(3))
    );
    assert_eq!(mandatory["properties"]["action"], "create");
    assert_eq!(level("bucket-private", "aws_s3_bucket.later")["level"], "note", "undecided critical: a note");
    let advisory = level("instance-tags", "aws_instance.web");
    assert_eq!(advisory["level"], "warning", "decided advisory, low");
    assert_eq!(advisory["properties"]["action"], "update");
    let unlocated = level("pack-a/shared", "aws_instance.web");
    assert_eq!(unlocated["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "plans/my%20plan.json");
    assert_eq!(level("pack-b/shared", "aws_s3_bucket.public")["level"], "error");
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false, "a mandatory policy failed");
    let note = &invocation["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "error");
    assert_eq!(note["associatedRule"]["id"], "instance-tags");
    assert!(note["message"]["text"].as_str().is_some_and(|t| t.contains("deadline")), "{note}");
    assert!(run["results"].as_array().into_iter().flatten().all(|r| r.get("baselineState").is_none()));

    let known = [("bucket-private".to_string(), "aws_s3_bucket.public".to_string())];
    let baseline = Baseline {
        path: "baseline.json".to_string(),
        known: known.clone().into_iter().collect(),
        decided: known.into_iter().collect(),
        ..Baseline::default()
    };
    report.apply_baseline(&baseline);
    let sarif = sarif_of(&report);
    let states: BTreeMap<String, usize> =
        sarif["runs"][0]["results"].as_array().into_iter().flatten().fold(BTreeMap::new(), |mut m, r| {
            *m.entry(r["baselineState"].as_str().unwrap_or("none").to_string()).or_default() += 1;
            m
        });
    assert_eq!(states, BTreeMap::from([("new".to_string(), 5), ("unchanged".to_string(), 1)]));
}

/// Standard input and exemptions on a synthetic report; the same report
/// always gives the same bytes.
#[test]
fn sarif_of_stdin_and_exemptions_validates_and_is_deterministic() {
    let mut report = synthetic("-");
    report.apply_exemptions(
        &exemptions("exemptions:\n  - {policy: instance-tags, resource: 'aws_*', reason: Tags come from the ASG.}\n"),
        today_utc(),
    );
    let sarif = sarif_of(&report);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(results.iter().all(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stdin"));
    assert!(results.iter().any(|r| r["suppressions"][0]["justification"] == "Tags come from the ASG."));
    assert_eq!(rendered(&report, Format::Sarif), rendered(&report, Format::Sarif));
}

// ---------------------------------------------------------------- JUnit

/// The JUnit document parsed by quick-junit's deserializer (quick-xml
/// underneath: malformed XML, a root other than `<testsuites>` or missing
/// required attributes are errors).
fn parse_junit(xml: &str) -> quick_junit::Report {
    quick_junit::Report::deserialize_from_str(xml).unwrap_or_else(|e| panic!("not JUnit XML: {e}\n{xml}"))
}

/// `[tests, failures, errors, skipped]` of one case.
fn case_counts(case: &quick_junit::TestCase) -> [usize; 4] {
    use quick_junit::{NonSuccessKind, TestCaseStatus};
    match &case.status {
        TestCaseStatus::Success { .. } => [1, 0, 0, 0],
        TestCaseStatus::NonSuccess { kind: NonSuccessKind::Failure, .. } => [1, 1, 0, 0],
        TestCaseStatus::NonSuccess { kind: NonSuccessKind::Error, .. } => [1, 0, 1, 0],
        TestCaseStatus::Skipped { .. } => [1, 0, 0, 1],
    }
}

/// The declared counts of the report and of each suite equal their cases.
fn junit_counts(report: &quick_junit::Report) -> [usize; 4] {
    let mut total = [0; 4];
    for suite in &report.test_suites {
        let mut counts = [0; 4];
        for case in &suite.test_cases {
            for (c, n) in counts.iter_mut().zip(case_counts(case)) {
                *c += n;
            }
        }
        assert_eq!([suite.tests, suite.failures, suite.errors, suite.skipped], counts, "suite {}", suite.name.as_str());
        for (t, n) in total.iter_mut().zip(counts) {
            *t += n;
        }
    }
    assert_eq!([report.tests, report.failures, report.errors, report.skipped], total);
    total
}

fn status_type(case: &quick_junit::TestCase) -> Option<&str> {
    match &case.status {
        quick_junit::TestCaseStatus::NonSuccess { ty, .. } | quick_junit::TestCaseStatus::Skipped { ty, .. } => {
            ty.as_ref().map(|t| t.as_str())
        }
        quick_junit::TestCaseStatus::Success { .. } => None,
    }
}

/// The golden run's JUnit: one suite, a case per resource judged and the
/// stack case; the mandatory violation fails, the exempted are skipped,
/// the undecided pass with their message in `system-out`.
#[test]
fn junit_of_the_cli_parses_with_the_reports_counts() {
    let out = palisade(&["check", "--exemptions", EXEMPTIONS, "--format", "junit", PLAN], None);
    let xml = String::from_utf8(out.stdout).expect("UTF-8");
    let root = parse_junit(&xml);
    let [tests, failures, errors, skipped] = junit_counts(&root);
    // 5 resources judged by the S3 policy, 9 taggable ones by required-tags (unconfigured: all pass), and a
    // stack case per stack policy (the stack-aware public IP check and the deletion check).
    assert_eq!((tests, failures, errors, skipped), (16, 1, 0, 2));
    let suite = root.test_suites.first().expect("a suite");
    assert_eq!(suite.name.as_str(), format!("aws-baseline: {PLAN}"));
    let names: Vec<&str> = suite.test_cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "aws_s3_bucket.root_bucket",
            "module.s3_bucket.aws_s3_bucket.this[0]",
            "module.s3_bucket.aws_s3_bucket_acl.this[0]",
            "module.s3_module.aws_s3_bucket.module_bucket",
            "module.s3_module.module.s3_submodule.aws_s3_bucket.submodule_bucket",
            "aws_s3_bucket.root_bucket",
            "aws_s3_bucket_public_access_block.root",
            "module.s3_bucket.aws_s3_bucket.this[0]",
            "module.s3_bucket.aws_s3_bucket_acl.this[0]",
            "module.s3_bucket.aws_s3_bucket_public_access_block.this[0]",
            "module.s3_module.aws_s3_bucket.module_bucket",
            "module.s3_module.aws_s3_bucket_public_access_block.module_bucket",
            "module.s3_module.module.s3_submodule.aws_s3_bucket.submodule_bucket",
            "module.s3_module.module.s3_submodule.aws_s3_bucket_public_access_block.submodule_bucket",
            &format!("stack: {PLAN}"),
            &format!("stack: {PLAN}"),
        ]
    );
    let failed = suite.test_cases.iter().find(|c| case_counts(c)[1] == 1).expect("a failure");
    assert_eq!(failed.name.as_str(), "module.s3_bucket.aws_s3_bucket_acl.this[0]");
    assert_eq!(status_type(failed), Some("mandatory"));
    let undecided = suite.test_cases.first().expect("first case");
    assert!(undecided.system_out.as_ref().is_some_and(|o| o.as_str().contains("acl is known only after apply")));
}

/// Failures, errors and skips of a synthetic report equal its findings;
/// hostile text stays inside its element.
#[test]
fn junit_counts_failures_errors_and_skips() {
    let mut report = synthetic("plan.json");
    report.violations[0].message = "</failure></testcase><testcase name=\"x\"> & \u{1b}[31m".to_string();
    report.apply_exemptions(
        &exemptions("exemptions:\n  - {policy: shared, resource: aws_instance.web, reason: ok}\n"),
        today_utc(),
    );
    let xml = rendered(&report, Format::Junit);
    let root = parse_junit(&xml);
    let [tests, failures, errors, skipped] = junit_counts(&root);
    // bucket-private: 2 resources; instance-tags: 2; shared: 4 per pack (2
    // packs); the stack case.
    assert_eq!(tests, 2 + 2 + 4 + 4 + 1);
    let blocking: HashSet<(&str, &str, &str)> = report
        .violations
        .iter()
        .filter(|v| v.blocks())
        .map(|v| (v.pack.as_str(), v.policy.as_str(), v.resource.as_str()))
        .collect();
    assert_eq!(failures, blocking.len(), "pack-a bucket-private, pack-b shared, the stack policy");
    assert_eq!(errors, 1, "the timeout on aws_instance.db");
    assert_eq!(skipped, report.exempted.len());
    let cases: Vec<&quick_junit::TestCase> = root.test_suites.iter().flat_map(|s| &s.test_cases).collect();
    let errored = cases.iter().find(|c| case_counts(c)[2] == 1).expect("errored case");
    let classname = errored.classname.as_ref().map(|c| c.as_str());
    assert_eq!((classname, errored.name.as_str()), (Some("instance-tags"), "aws_instance.db"));
    assert_eq!(status_type(errored), Some("timeout"));
    assert_eq!(cases.iter().filter(|c| c.name.as_str() == "x").count(), 0, "no injected case");
}

// ---------------------------------------------------------------- Markdown

/// Many violations with a small cap: the output stays under it and the
/// last line counts what was cut.
#[test]
fn markdown_is_capped_with_a_note() {
    let mut report = synthetic("plan.json");
    let many: Vec<Violation> = (0..300)
        .map(|i| {
            violation(
                "instance-tags",
                EnforcementLevel::Advisory,
                Severity::Low,
                &format!("aws_instance.n{i:03}"),
                "plan.json",
            )
        })
        .collect();
    report.violations.extend(many);
    let total_rows = report.violations.len() + report.policy_errors.len();
    for cap in [3_000, 10_000] {
        let mut out = Vec::new();
        render_markdown_capped(&report, cap, &mut out).expect("renders");
        let md = String::from_utf8(out).expect("UTF-8");
        assert!(md.chars().count() <= cap, "{} > {cap}", md.chars().count());
        let rows = md
            .lines()
            .filter(|l| {
                l.starts_with("| ")
                    && !l.starts_with("| Level")
                    && !l.starts_with("| Resource |")
                    && !l.starts_with("| Result")
                    && !l.starts_with("| ---")
            })
            .count()
            - 10;
        let note = md.lines().last().expect("a last line");
        let cut: usize = note.trim_start_matches("**").split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        assert!(note.contains("cut"), "{note}");
        assert_eq!(rows + cut, total_rows, "shown + cut = all rows ({note})");
        assert_eq!(md.matches("<details").count(), md.matches("</details>").count());
    }
    let full = rendered(&report, Format::Markdown);
    assert!(!full.contains(" cut**"), "the default cap holds 300 short rows");
}

/// A hostile message and address cannot close `<details>`, inject HTML,
/// break a table row or mention anyone.
#[test]
fn markdown_escapes_hostile_text() {
    let mut report = synthetic("plan.json");
    let hostile = "</details><script>alert(1)</script> | `code` **bold** [x](https://evil) @org/team\nnext line";
    let target = report.violations.iter_mut().find(|v| v.blocks()).expect("a mandatory violation");
    target.message = hostile.to_string();
    target.resource = "aws_s3_bucket.x[\"a|b`</details>$x$\"]".to_string();
    report.policy_errors[0].message = hostile.to_string();
    let md = rendered(&report, Format::Markdown);
    assert_eq!(md.matches("<details").count(), md.matches("</details>").count(), "{md}");
    assert_eq!(md.matches("<details").count(), 4, "blocking, advisory, undecided, policy errors: {md}");
    let tags: HashSet<&str> = md.split('<').skip(1).map(|t| t.split(['>', ' ']).next().unwrap_or("")).collect();
    let ours = HashSet::from(["details", "/details", "summary", "/summary", "code", "/code", "sub", "/sub"]);
    assert!(tags.is_subset(&ours), "HTML from the report's text: {tags:?}");
    assert!(!md.contains("@org"), "a mention: {md}");
    let mut header = "";
    for line in md.lines().filter(|l| l.starts_with("| ")) {
        if line.starts_with("| Level") || line.starts_with("| Resource |") || line.starts_with("| Result") {
            header = line;
        }
        assert_eq!(line.replace("\\|", "").matches('|').count(), header.matches('|').count(), "{line}");
    }
    let row = md.lines().find(|l| l.contains("alert(1)") && l.contains("bucket-private")).expect("the hostile row");
    assert!(row.contains("&lt;/details&gt;&lt;script&gt;"), "{row}");
    assert!(row.contains("\\`code\\`") && row.contains("\\*\\*bold\\*\\*") && row.contains("\\[x\\]"), "{row}");
    assert!(row.contains("\\\\nnext line"), "the newline is shown, not kept: {row}");
    assert!(
        row.contains("<code>aws\\_s3\\_bucket.x\\[&quot;") || row.contains("<code>aws\\_s3\\_bucket.x\\[\""),
        "{row}"
    );
    assert!(row.contains("\\$x\\$"), "`$` is escaped, not inline math: {row}");
    assert!(!row.replace("\\$", "").contains('$'), "an unescaped `$`: {row}");
    let urn = "urn:pulumi:dev::app::my:comp$aws:s3/bucket:Bucket::b";
    report.violations.iter_mut().find(|v| v.blocks()).expect("a mandatory violation").resource = urn.to_string();
    let md = rendered(&report, Format::Markdown);
    assert!(md.contains("my:comp\\$aws:s3/bucket:Bucket::b"), "{md}");
}

/// A located finding links to its declaration under `link_base`, its path
/// percent-encoded; without a base it is `FILE:LINE`.
#[test]
fn markdown_links_locations() {
    let mut report = synthetic("plan.json");
    report.locate(|resource, _| {
        (resource == "aws_s3_bucket.public").then(|| SourceLocation {
            file: "infra/my (s3).tf".to_string(),
            line: 12,
            column: 3,
        })
    });
    let md = rendered(&report, Format::Markdown);
    assert!(md.contains("| <code>infra/my (s3).tf:12</code> |"), "{md}");
    let options =
        MarkdownOptions { link_base: Some("https://github.com/o/r/blob/abc/".to_string()), ..Default::default() };
    let mut out = Vec::new();
    render_markdown_with(&report, &options, &mut out).expect("renders");
    let md = String::from_utf8(out).expect("UTF-8");
    assert!(
        md.contains(
            "| [<code>infra/my (s3).tf:12</code>](https://github.com/o/r/blob/abc/infra/my%20%28s3%29.tf#L12) |"
        ),
        "{md}"
    );
}

/// An incomplete report says so first, in every format.
#[test]
fn incomplete_reports_say_so() {
    let report =
        synthetic("inventory.json").with_incomplete(vec!["inventory.json: 123 eu-west-1: <throttled>".to_string()]);
    let md = rendered(&report, Format::Markdown);
    assert!(md.starts_with("## Palisade: INCOMPLETE\n\n> [!WARNING]\n> **INCOMPLETE**"), "{md}");
    assert!(md.contains("eu-west-1: &lt;throttled&gt;"), "{md}");
    let github = rendered(&report, Format::Github);
    assert!(github.starts_with("::error title=Palisade%3A INCOMPLETE::INCOMPLETE: "), "{github}");
    assert!(github.contains("\n::error title=Palisade%3A incomplete input::"), "{github}");
    let sarif = sarif_of(&report);
    assert_eq!(sarif["runs"][0]["invocations"][0]["executionSuccessful"], false);
}

// ---------------------------------------------------------------- GitHub

/// Properties and messages are escaped as the Actions toolkit does; each
/// finding is one line; the first line is the verdict.
#[test]
fn github_annotations_escape_properties_and_messages() {
    let mut report = synthetic("plans/a,b:c.json");
    report.violations.retain(|v| v.policy == "bucket-private");
    for v in &mut report.violations {
        if v.resource == "aws_s3_bucket.public" {
            v.resource = "aws_s3_bucket.x[\"50%,a:b\0\u{1b}[2J\u{202e}\"]".to_string();
            v.message = "100% public,\r\nreally: yes\0\u{1b}]8;;x\u{7}\u{202e}gnp.exe".to_string();
            v.policy = "bucket,private:v2".to_string();
        } else {
            v.location = Some(SourceLocation { file: "infra/s3.tf".to_string(), line: 7, column: 1 });
        }
    }
    let text = rendered(&report, Format::Github);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.iter().all(|l| l.starts_with("::error ") || l.starts_with("::warning ") || l.starts_with("::notice ")),
        "{text}"
    );
    let escaped = lines.iter().find(|l| l.contains("100%25")).expect("the hostile violation");
    assert_eq!(
        *escaped,
        "::error file=plans/a%2Cb%3Ac.json,title=bucket%2Cprivate%3Av2::\
         aws_s3_bucket.x[\"50%25,a:b\\u{0}\\u{1b}[2J\\u{202e}\"] (create): \
         100%25 public,%0D%0Areally: yes\\u{0}\\u{1b}]8;;x\\u{7}\\u{202e}gnp.exe [mandatory, critical]"
    );
    // No NUL, ESC, BEL or bidi override reaches the log raw.
    assert!(!text.contains(['\0', '\u{1b}', '\u{7}', '\u{202e}']), "{text:?}");
    assert!(lines.contains(&"::warning file=infra/s3.tf,line=7,col=1,title=bucket-private::aws_s3_bucket.later (create): bucket-private dislikes aws_s3_bucket.later [advisory, critical, undecided: a value it needs is not known here]"), "{text}");
    assert!(
        lines.iter().any(|l| l.starts_with("::error file=plans/a%2Cb%3Ac.json,title=instance-tags (policy error)::")),
        "{text}"
    );
    assert!(lines[0].starts_with("::error title=Palisade%3A FAILED::FAILED: "), "{text}");
    assert!(!text.contains("not annotated"), "every finding fits: {text}");

    let stdin = synthetic("-");
    let text = rendered(&stdin, Format::Github);
    assert!(!text.contains("file="), "no file for standard input: {text}");
}

/// GitHub shows 10 annotations of each kind per step: with more blocking
/// violations than that, the verdict comes first, then 9 blocking
/// violations (in the report's order, before the policy error), 10
/// warnings and 9 notices, then one notice counting what was left out and
/// naming the full reports.
#[test]
fn github_annotations_stay_within_the_per_step_limits() {
    use EnforcementLevel::{Advisory, Mandatory};
    let mut violations: Vec<Violation> = (0..25)
        .map(|i| {
            violation("bucket-private", Mandatory, Severity::Critical, &format!("aws_s3_bucket.b{i:02}"), "p.json")
        })
        .collect();
    violations.extend(
        (0..15)
            .map(|i| violation("instance-tags", Advisory, Severity::Low, &format!("aws_instance.i{i:02}"), "p.json")),
    );
    let policy_errors = vec![PolicyError {
        pack: "pack-a".to_string(),
        policy: "stack-policy".to_string(),
        enforcement_level: Mandatory,
        kind: FaultKind::Trap,
        resources: Vec::new(),
        message: "unreachable".to_string(),
        file: "p.json".to_string(),
    }];
    let findings = Findings {
        violations,
        policy_errors,
        resources_evaluated: 40,
        resources_loaded: 41,
        resources_judged: 40,
        evaluations: Vec::new(),
    };
    let inputs = vec![InputProvenance {
        path: "p.json".to_string(),
        format: "tfplan".to_string(),
        sha256: "0".repeat(64),
        repo_path: "p.json".to_string(),
    }];
    let mut report =
        Report::new(findings, &[] as &[palisade_engine::Pack], &PolicySettings::default(), inputs, "9.9.9");
    report.baselined =
        (0..12).map(|i| violation("old", Mandatory, Severity::Low, &format!("aws_vpc.v{i:02}"), "p.json")).collect();
    let text = rendered(&report, Format::Github);
    let lines: Vec<&str> = text.lines().collect();
    let of = |kind: &str| lines.iter().filter(|l| l.starts_with(&format!("::{kind} "))).count();
    assert_eq!((of("error"), of("warning"), of("notice")), (10, 10, 10), "{text}");
    assert!(
        lines[0].starts_with("::error title=Palisade%3A FAILED::FAILED: 41 resources loaded, 40 judged; 25 mandatory"),
        "{text}"
    );
    for (i, line) in lines[1..10].iter().enumerate() {
        assert!(
            line.starts_with("::error ") && line.contains(&format!("::aws_s3_bucket.b{i:02} (create): ")),
            "{line}"
        );
    }
    assert!(!text.contains("(policy error)"), "blocking violations come first: {text}");
    assert!(lines[10..20].iter().all(|l| l.starts_with("::warning ")), "{text}");
    assert!(lines[10].contains("::aws_instance.i00 (create): "), "{text}");
    assert!(lines[20..29].iter().all(|l| l.starts_with("::notice ") && l.contains("known to the baseline")), "{text}");
    assert_eq!(lines.len(), 30, "{text}");
    assert_eq!(
        lines[29],
        "::notice title=Palisade%3A more findings than annotations::17 errors, 5 warnings and 3 notices were not \
         annotated (GitHub shows 10 annotations of each kind per step); see the full report: --report sarif=FILE \
         (code scanning), --report markdown=FILE or --format text."
    );
}

// ---------------------------------------------------------------- actions, sections, rule levels

/// The real plan with a created bucket, an updated and an unchanged
/// instance (both with a public IP and an unencrypted root device).
const NOOP_PLAN: &str = "tests/data/corpus/tfplan/terraform-compliance__cli__create-noop-update.json";

/// Every format of one run shows each violation's resource action: the
/// updated instance's findings as `update`, the unchanged one's as `no-op`.
#[test]
fn every_format_shows_each_resources_action() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |f: Format| dir.path().join(format!("report.{}", extension(f)));
    let mut args = vec!["check".to_string(), "--format".into(), "json".into(), "-o".into()];
    args.push(path(Format::Json).display().to_string());
    for f in Format::ALL.into_iter().filter(|f| *f != Format::Json) {
        args.extend(["--report".to_string(), format!("{f}={}", path(f).display())]);
    }
    args.push(NOOP_PLAN.to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(code(&palisade(&args, None)), 1);
    let read = |f: Format| std::fs::read_to_string(path(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    let report: Value = serde_json::from_str(&read(Format::Json)).expect("JSON");
    let actions: BTreeMap<&str, &str> = report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| (v["resource"].as_str().unwrap_or(""), v["action"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(actions, BTreeMap::from([("aws_instance.changed", "update"), ("aws_instance.unchanged", "no-op")]));
    let sarif: Value = serde_json::from_str(&read(Format::Sarif)).expect("SARIF");
    for r in sarif["runs"][0]["results"].as_array().expect("results") {
        let resource = r["locations"][0]["logicalLocations"][0]["name"].as_str().unwrap_or("");
        assert_eq!(r["properties"]["action"].as_str(), actions.get(resource).copied(), "{r}");
    }
    let text = read(Format::Text);
    assert!(text.contains("\naws_instance.unchanged (aws_instance, no-op)\n"), "{text}");
    assert!(text.contains("\naws_instance.changed (aws_instance, update)\n"), "{text}");
    let md = read(Format::Markdown);
    assert!(md.contains("| mandatory | <code>aws\\_instance.unchanged</code> | no-op |"), "{md}");
    assert!(md.contains("| mandatory | <code>aws\\_instance.changed</code> | update |"), "{md}");
    let github = read(Format::Github);
    assert!(github.contains("::aws_instance.unchanged (no-op): "), "{github}");
    let junit = read(Format::Junit);
    assert!(junit.contains("[mandatory, high, no-op] EC2 instance"), "{junit}");
    assert!(junit.contains("[mandatory, high, update] EC2 instance"), "{junit}");
}

/// The Markdown comment opens on the blocking violations, expanded; the
/// advisory and undecided ones follow, each collapsed; every row shows the
/// resource's action.
#[test]
fn markdown_puts_blocking_first_and_open_then_advisory_and_undecided_collapsed() {
    let report = synthetic("plan.json");
    let md = rendered(&report, Format::Markdown);
    let at = |needle: &str| md.find(needle).unwrap_or_else(|| panic!("no {needle:?} in {md}"));
    let blocking = at("<details open><summary>Blocking (3)</summary>");
    let advisory = at("<details><summary>Advisory (2)</summary>");
    let undecided = at("<details><summary>Undecided (1): the message says which value is not known, and why</summary>");
    let errors = at("<details><summary>Policy errors (1)</summary>");
    assert!(blocking < advisory && advisory < undecided && undecided < errors, "{md}");
    assert_eq!(md.matches("<details open>").count(), 1, "only the blocking section is open: {md}");
    let section = |from: usize| &md[from..from + md[from..].find("</details>").expect("closed")];
    let rows = |from: usize| -> Vec<&str> {
        let header = |l: &str| ["| Level |", "| Resource |", "| --- |"].iter().any(|h| l.starts_with(h));
        section(from).lines().filter(|l| l.starts_with("| ") && !header(l)).collect()
    };
    let blocking_rows = rows(blocking);
    assert_eq!(blocking_rows.len(), 3, "{md}");
    assert!(blocking_rows.iter().all(|r| r.starts_with("| mandatory | ")), "{blocking_rows:?}");
    assert!(section(blocking).contains("| Level | Resource | Action | Policy | Severity | Location | Message |"));
    assert!(section(advisory).contains("\n| Resource | Action | Policy | Severity | Location | Message |\n"));
    assert_eq!(
        rows(advisory),
        [
            "| <code>aws\\_instance.web</code> | update | <code>instance-tags</code> | low | <code>plan.json</code> | instance-tags dislikes aws\\_instance.web |",
            "| <code>aws\\_instance.web</code> | update | <code>shared</code> | high | <code>plan.json</code> | shared dislikes aws\\_instance.web |",
        ]
    );
    assert_eq!(
        rows(undecided),
        [
            "| <code>aws\\_s3\\_bucket.later</code> | create | <code>bucket-private</code> | critical | <code>plan.json</code> | bucket-private dislikes aws\\_s3\\_bucket.later |"
        ]
    );
    assert!(md.contains("| Resources loaded | 5 |\n| Resources judged by a resource policy | 4 |\n"), "{md}");
}

/// Every rule of the built-in pack links to its own anchor in
/// `policies/aws-baseline/README.md`, and the anchor is there.
#[test]
fn sarif_rules_of_the_builtin_pack_link_to_their_readme_anchors() {
    let out = palisade(&["check", "--format", "sarif", NOOP_PLAN], None);
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_eq!(sarif_problems(&sarif), Vec::<String>::new());
    let readme = std::fs::read_to_string(repo("policies/aws-baseline/README.md")).expect("the pack's README");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 14, "every policy of the pack is a rule");
    let base = "https://github.com/palisade-dev/palisade/blob/main/policies/aws-baseline/README.md#";
    for rule in rules {
        let id = rule["id"].as_str().expect("an id");
        let uri = rule["helpUri"].as_str().unwrap_or_else(|| panic!("rule {id} has no helpUri"));
        let anchor = uri.strip_prefix(base).unwrap_or_else(|| panic!("{uri} is not in the pack's README"));
        assert_eq!(anchor, id);
        assert_eq!(readme.matches(&format!("<a id=\"{anchor}\"></a>")).count(), 1, "anchor {anchor} in the README");
        assert!(rule["help"]["text"].is_string(), "the policy's own help is kept: {rule}");
    }
}

/// A rule's default level follows the effective enforcement level after
/// `--config` and `--enforcement`, not the severity; an undecided result is
/// a note.
#[test]
fn sarif_rule_levels_follow_the_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.json");
    let levels = r#"{"aws-ec2-instance-disallow-public-ip": "advisory",
        "aws-ec2-instance-disallow-unencrypted-root-block-device": "disabled",
        "aws-kms-key-enable-key-rotation": {"enforcementLevel": "mandatory"}}"#;
    std::fs::write(&config, levels).expect("config");
    let config = config.to_str().expect("UTF-8");
    let args = ["check", "--format", "sarif", "--config", config, "--enforcement", "required-tags=remediate"];
    let out = palisade(&[&args[..], &[NOOP_PLAN]].concat(), None);
    assert_eq!(code(&out), 0, "the public IP is advisory now: {}", String::from_utf8_lossy(&out.stderr));
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_eq!(sarif_problems(&sarif), Vec::<String>::new());
    let run = &sarif["runs"][0];
    let rule = |id: &str| {
        run["tool"]["driver"]["rules"].as_array().into_iter().flatten().find(|r| r["id"] == id).expect("rule").clone()
    };
    let level = |id: &str| rule(id)["defaultConfiguration"]["level"].clone();
    assert_eq!(level("aws-ec2-instance-disallow-public-ip"), "warning", "high, set to advisory");
    assert_eq!(level("aws-ec2-instance-disallow-unencrypted-root-block-device"), "none", "disabled");
    assert_eq!(
        rule("aws-ec2-instance-disallow-unencrypted-root-block-device")["defaultConfiguration"]["enabled"],
        false
    );
    assert_eq!(level("aws-kms-key-enable-key-rotation"), "error", "medium, set to mandatory");
    assert_eq!(level("required-tags"), "error", "medium, set to remediate");
    assert_eq!(level("aws-s3-bucket-disallow-public-read"), "error", "critical, mandatory by default");
    assert_eq!(level("aws-stateful-resource-disallow-deletion"), "warning", "medium, advisory by default");
    let results = run["results"].as_array().expect("results");
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| r["ruleId"] == "aws-ec2-instance-disallow-public-ip" && r["level"] == "warning"));
}
