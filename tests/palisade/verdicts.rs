//! Trustworthy verdicts (issue 16) through the CLI: the one note about a
//! plan without a configuration section, `--fail-on-undecided` and the
//! config's `failOnUndecided`, and the one warning about values encrypted
//! in a Pulumi export. The verdicts themselves are case files
//! (`tests/cases/plans/unset-vs-unknown.yaml`, `encrypted-export.yaml`,
//! `mixed-providers.yaml`, `modules-count-for-each.yaml`).

use crate::support::{code, edge_probe, json, palisade, stderr, write};

/// A real plan with a configuration section, and the same plan without it.
const PLAN: &str = "tests/data/terraform/unset-vs-unknown/plan.json";
const PLAN_WITHOUT_CONFIGURATION: &str = "tests/data/terraform/unset-vs-unknown/plan-without-configuration.json";
/// A real Pulumi checkpoint whose role holds two encrypted values.
const ENCRYPTED_EXPORT: &str = "tests/data/corpus/pulumi_stack_export/pulumi__pulumi__checkpoint-v3-secrets.json";

#[test]
fn a_plan_without_configuration_is_said_once_and_one_with_it_not_at_all() {
    let out = palisade(&["check", "--format", "json", PLAN_WITHOUT_CONFIGURATION, PLAN], None);
    let err = stderr(&out);
    let note = "has no `configuration` section";
    assert_eq!(err.matches(note).count(), 1, "one note, for the one plan without it: {err}");
    assert!(err.contains(&format!("{PLAN_WITHOUT_CONFIGURATION}: the plan has no")), "names the input: {err}");
    let out = palisade(&["check", "--format", "json", PLAN], None);
    assert!(!stderr(&out).contains(note), "{}", stderr(&out));
}

#[test]
fn every_report_format_says_once_that_a_plan_has_no_configuration() {
    let note = "has no `configuration` section";
    let report = json(&palisade(&["check", "--format", "json", PLAN_WITHOUT_CONFIGURATION, PLAN], None));
    let notes = report["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].as_str().unwrap_or_default().starts_with(&format!("{PLAN_WITHOUT_CONFIGURATION}: ")));
    for (format, shown) in [
        ("text", "note: "),
        ("markdown", "> **Note:** "),
        ("github", "::notice title=Palisade%3A note::"),
        ("sarif", "\"level\": \"note\""),
        ("junit", "<property name=\"note\""),
    ] {
        let out = palisade(&["check", "--format", format, PLAN_WITHOUT_CONFIGURATION, PLAN], None);
        let text = String::from_utf8_lossy(&out.stdout);
        let said = if format == "markdown" { note.replace('`', "\\`") } else { note.to_string() };
        assert_eq!(text.matches(&said).count(), 1, "{format}: once\n{text}");
        assert!(text.contains(shown), "{format}: {shown}\n{text}");
    }
}

#[test]
fn fail_on_undecided_makes_undecided_results_block_from_the_flag_or_the_config() {
    // Every policy advisory: the plan's violations never block...
    let out = palisade(&["check", "--format", "json", "--enforcement", "all=advisory", PLAN], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert!(report["summary"]["undecided"].as_u64().unwrap_or(0) > 0, "the plan has undecided results");
    assert!(report["summary"].get("undecided_blocks").is_none());
    // ...unless undecided results block.
    let out =
        palisade(&["check", "--format", "json", "--enforcement", "all=advisory", "--fail-on-undecided", PLAN], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["summary"]["undecided_blocks"], true);
    assert_eq!(report["summary"]["failed"], true);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write(dir.path(), "strict.json", r#"{"all": "advisory", "failOnUndecided": true}"#);
    let out = palisade(&["check", "--format", "json", "--config", &config, PLAN], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    // The Markdown comment lists them as blocking, and the text says why the run fails.
    let out = palisade(&["check", "--format", "markdown", "--config", &config, PLAN], None);
    let markdown = String::from_utf8_lossy(&out.stdout);
    assert!(markdown.contains("<details open><summary>Blocking (") && !markdown.contains("Blocking (0)"), "{markdown}");
    assert!(!markdown.contains("<summary>Undecided ("), "{markdown}");
    let out = palisade(&["check", "--config", &config, PLAN], None);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("Undecided results block (--fail-on-undecided, or failOnUndecided in the config).")
    );
    // Every machine format shows them as blocking: SARIF errors, JUnit failures, GitHub errors.
    let sarif = json(&palisade(&["check", "--format", "sarif", "--config", &config, PLAN], None));
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let undecided: Vec<&serde_json::Value> = results.iter().filter(|r| r["properties"]["undecided"] == true).collect();
    assert!(!undecided.is_empty() && undecided.iter().all(|r| r["level"] == "error"), "{undecided:?}");
    let out = palisade(&["check", "--format", "junit", "--config", &config, PLAN], None);
    let junit = String::from_utf8_lossy(&out.stdout);
    assert!(!junit.contains(r#"failures="0""#), "{junit}");
    let out = palisade(&["check", "--format", "github", "--config", &config, PLAN], None);
    let github = String::from_utf8_lossy(&out.stdout);
    assert!(github.lines().any(|l| l.starts_with("::error file=") && l.contains("undecided")), "{github}");
    let nested = write(dir.path(), "nested.json", r#"{"required-tags": {"failOnUndecided": true}}"#);
    let out = palisade(&["check", "--config", &nested, PLAN], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("is a top-level key"), "{}", stderr(&out));
    let misspelled = write(dir.path(), "misspelled.json", r#"{"fail_on_undecided": true}"#);
    let out = palisade(&["check", "--config", &misspelled, PLAN], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("spelled `failOnUndecided`"), "{}", stderr(&out));
    // A plan whose only results are decided passes as before.
    let out = palisade(
        &[
            "check",
            "--fail-on-undecided",
            "--enforcement",
            "all=advisory",
            "tests/data/terraform/default-tags/plan.json",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let bad = write(dir.path(), "bad.json", r#"{"failOnUndecided": "yes"}"#);
    let out = palisade(&["check", "--config", &bad, PLAN], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("failOnUndecided") && stderr(&out).contains("bad.json"), "{}", stderr(&out));
}

#[test]
fn values_encrypted_in_an_export_get_one_warning_with_their_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write(
        dir.path(),
        "probe.json",
        r#"{"probe-require": {"enforcementLevel": "mandatory", "path": "assumeRolePolicy", "types": ["aws:iam/role:Role"]}}"#,
    );
    let probe = edge_probe().to_str().expect("UTF-8 path");
    let out = palisade(&["check", "--format", "json", "--pack", probe, "--config", &config, ENCRYPTED_EXPORT], None);
    // Undecided, so a mandatory policy does not block: never a pass
    // reported as decided, never a mandatory failure.
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    let undecided: Vec<&serde_json::Value> =
        report["violations"].as_array().expect("violations").iter().filter(|v| v["undecided"] == true).collect();
    assert_eq!(undecided.len(), 1, "{report}");
    assert!(undecided[0]["message"].as_str().unwrap_or_default().contains("encrypted in this export"));
    let err = stderr(&out);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("encrypted in their input")).collect();
    assert_eq!(warnings.len(), 1, "one warning: {err}");
    assert!(
        warnings[0].contains("1 undecided result(s) on 1 resource(s) holding 2 value(s)")
            && warnings[0].contains("pulumi stack export --show-secrets")
            && warnings[0].contains("pulumi policy analyze"),
        "{err}"
    );
    // The built-in pack reads none of this export's encrypted values: no warning.
    let out = palisade(&["check", ENCRYPTED_EXPORT], None);
    assert!(!stderr(&out).contains("encrypted in their input"), "{}", stderr(&out));
}

/// A baseline that knew a finding as undecided does not hide the violation
/// the value turns out to make: the same plan path, first without its
/// configuration section (the volume's encryption unknown), then with it
/// (not set: unencrypted).
#[test]
fn a_baselined_undecided_result_does_not_hide_a_decided_violation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = dir.path().join("plan.json");
    let plan_arg = plan.to_str().expect("UTF-8 path");
    let baseline = dir.path().join("baseline.json");
    let baseline_arg = baseline.to_str().expect("UTF-8 path");
    std::fs::copy(crate::support::repo(PLAN_WITHOUT_CONFIGURATION), &plan).expect("copy the plan");
    let out = palisade(&["check", "--write-baseline", baseline_arg, plan_arg], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    std::fs::copy(crate::support::repo(PLAN), &plan).expect("copy the plan");
    let out = palisade(&["check", "--format", "json", "--baseline", baseline_arg, plan_arg], None);
    let report = json(&out);
    let left_out = |list: &serde_json::Value| {
        list.as_array().into_iter().flatten().any(|v| {
            v["resource"] == "aws_ebs_volume.left_out" && v["policy"] == "aws-ebs-volume-disallow-unencrypted-volume"
        })
    };
    assert!(left_out(&report["violations"]), "the now decided violation is new: {report}");
    assert!(!left_out(&report["baselined"]), "{report}");
    assert_eq!(code(&out), 1);
}

/// `--only-changed` leaves unchanged resources unjudged: a baseline's
/// findings on them are not "no longer found".
#[test]
fn only_changed_does_not_count_unjudged_baseline_findings_as_resolved() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = "tests/data/terraform/public-ip-from-subnet/plan.json";
    let config = write(dir.path(), "tags.json", r#"{"required-tags": {"tags": ["owner"]}}"#);
    let baseline = dir.path().join("baseline.json");
    let baseline_arg = baseline.to_str().expect("UTF-8 path");
    let out = palisade(&["check", "--config", &config, "--write-baseline", baseline_arg, plan], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let recorded: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&baseline).expect("baseline")).expect("JSON");
    let on_subnets =
        recorded["violations"].as_array().expect("violations").iter().filter(|v| v["action"] == "no-op").count();
    assert_eq!(on_subnets, 2, "the two existing subnets miss the tag: {recorded}");
    let out = palisade(
        &["check", "--format", "json", "--config", &config, "--baseline", baseline_arg, "--only-changed", plan],
        None,
    );
    let report = json(&out);
    assert_eq!(report["baseline"]["resolved"], 0, "{}", report["baseline"]);
}
