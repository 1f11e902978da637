//! The `palisade check` command: the README example, report formats, exit
//! codes, standard input, atomic output, determinism and bad input.

use crate::support::{code, json, palisade, repo};

const EXAMPLE: &str = "examples/plans/web-stack.tfplan.json";

/// The README's first command: the findings and exit code it promises.
#[test]
fn readme_example_reports_the_promised_findings() {
    let out = palisade(&["check", "--format", "json", EXAMPLE], None);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    let mut found: Vec<(String, String)> = report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| (v["resource"].as_str().unwrap_or_default().into(), v["policy"].as_str().unwrap_or_default().into()))
        .collect();
    found.sort();
    let expected = [
        ("aws_eks_cluster.main", "aws-eks-cluster-disallow-api-endpoint-public-access"),
        ("aws_instance.bastion", "aws-ec2-instance-disallow-public-ip"),
        ("aws_s3_bucket.assets", "aws-s3-bucket-disallow-public-read"),
        ("aws_s3_bucket.old_logs", "aws-stateful-resource-disallow-deletion"),
        ("aws_security_group.web", "aws-ec2-securitygroup-disallow-inbound-http-traffic"),
        ("aws_security_group.web", "aws-ec2-securitygroup-disallow-public-internet-ingress"),
        ("module.data.aws_ebs_volume.scratch[\"eu-west-1a\"]", "aws-ebs-volume-disallow-unencrypted-volume"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(found, expected);
    // 10 resource changes, one of them a delete: 9 evaluated.
    assert_eq!(report["summary"]["resources_evaluated"], 9);
    assert_eq!(report["summary"]["violations"]["mandatory"], 6);
    // The deleted bucket is judged only by the stack policy, which is advisory.
    assert_eq!(report["summary"]["violations"]["advisory"], 1);
    // The database password is secret and never printed.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("correct-horse-battery-staple"));
}

#[test]
fn text_report_groups_by_resource_and_ends_with_a_summary() {
    let out = palisade(&["check", EXAMPLE], None);
    assert_eq!(code(&out), 1);
    let text = String::from_utf8_lossy(&out.stdout);
    // The hand-written example has no configuration section: one note, then the findings.
    let (note, text) = text.split_once('\n').unwrap_or_default();
    assert!(note.starts_with("note: examples/plans/web-stack.tfplan.json: the plan has no `configuration`"), "{note}");
    assert!(text.starts_with("Input examples/plans/web-stack.tfplan.json:\n\n"), "{text}");
    assert!(text.contains("\naws_security_group.web (aws_security_group, create)\n  [mandatory]"), "{text}");
    assert!(text.contains("\naws_s3_bucket.old_logs (aws_s3_bucket, delete)\n  [advisory]"), "{text}");
    let last = text.lines().last().unwrap_or_default();
    assert!(last.starts_with("FAILED: 10 resources loaded, 9 judged; 6 mandatory"), "{last}");
}

/// With several inputs, the text report groups findings by input file
/// (in name order), then by resource, each resource with its action.
#[test]
fn text_report_groups_by_input_then_resource() {
    let noop = "tests/data/corpus/tfplan/terraform-compliance__cli__create-noop-update.json";
    let out = palisade(&["check", noop, EXAMPLE], None);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("no {needle:?} in {text}"));
    let (example, corpus) = (at(&format!("Input {EXAMPLE}:\n")), at(&format!("Input {noop}:\n")));
    assert!(example < corpus, "inputs in name order: {text}");
    // Each resource's block sits under its own input's header.
    for (resource, input) in [
        ("aws_eks_cluster.main (aws_eks_cluster, create)", example),
        ("aws_security_group.web (aws_security_group, create)", example),
        ("aws_instance.changed (aws_instance, update)", corpus),
        ("aws_instance.unchanged (aws_instance, no-op)", corpus),
    ] {
        let found = at(&format!("\n{resource}\n"));
        let next_input = text[input + 1..].find("\nInput ").map_or(text.len(), |i| i + input + 1);
        assert!(input < found && found < next_input, "{resource} under its input: {text}");
    }
    assert_eq!(text.matches("\nInput ").count() + usize::from(text.starts_with("Input ")), 2, "{text}");
    assert!(!text.contains(") in "), "the input is the group's, not repeated per resource: {text}");
}

/// The summary counts the resources loaded (every resource of every input)
/// apart from those a resource policy judged; a pack whose resource types
/// match nothing in the input is warned about.
#[test]
fn summary_counts_loaded_and_judged_and_warns_about_a_pack_matching_nothing() {
    let out = palisade(&["check", "--format", "json", EXAMPLE], None);
    let summary = &json(&out)["summary"];
    // Ten resource changes; the bucket being deleted is not judged.
    assert_eq!((&summary["resources_loaded"], &summary["resources_judged"]), (&10.into(), &9.into()), "{summary}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("judged nothing"), "the pack fits the plan");

    // A Google plan: the AWS pack (required-tags too: `aws_*`, `aws:*`) judges nothing of it.
    let gke = "tests/data/corpus/tfplan/open-policy-agent__conftest__gke-show-0.12beta.json";
    let out = palisade(&["check", "--format", "json", gke], None);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("judged nothing"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = palisade(&["check", "--format", "json", "--enforcement", "required-tags=disabled", gke], None);
    assert_eq!(code(&out), 0);
    let summary = &json(&out)["summary"];
    assert_eq!((&summary["resources_loaded"], &summary["resources_judged"]), (&3.into(), &0.into()), "{summary}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "palisade: warning: pack aws-baseline (builtin:aws-baseline): no resource of the inputs has any of the 28 \
             types its resource policies judge ("
        ) && stderr.trim_end().ends_with("); they judged nothing"),
        "{stderr}"
    );
}

#[test]
fn json_report_validates_against_the_committed_schema() {
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo("engine/schema/report.schema.json")).expect("schema file"))
            .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for input in [
        EXAMPLE,
        "tests/data/corpus/pulumi_stack_export/pulumi__pulumi-awsx__stack-export-ts-lb-simple.json",
        "examples/drift/inventory.json",
    ] {
        let out = palisade(&["check", "--format", "json", input], None);
        let report = json(&out);
        let errors: Vec<String> =
            validator.iter_errors(&report).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{input}: {errors:#?}");
        assert_eq!(report["provenance"]["packs"][0]["name"], "aws-baseline");
        assert_eq!(report["provenance"]["inputs"][0]["path"], input);
    }
}

#[test]
fn standard_input_and_output_file() {
    let bytes = std::fs::read(repo(EXAMPLE)).expect("example");
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let out =
        palisade(&["check", "--format", "json", "--output", report.to_str().unwrap_or_default(), "-"], Some(&bytes));
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report written")).expect("JSON");
    assert_eq!(written["provenance"]["inputs"][0]["path"], "-");
    assert_eq!(written["summary"]["violations"]["mandatory"], 6);
    // Only the report is left in the folder: no temporary files.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
}

/// A broken input beside a good one: exit 2, and the report (written
/// whole) lists the broken one and the good one's findings.
#[test]
fn bad_input_exits_2_with_the_report_saying_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, "{\"format_version\": \"1.2\", \"resource_changes\": [\n  {\"address\": 5}\n]}")
        .expect("write");
    let out = palisade(
        &["check", "-o", report.to_str().unwrap_or_default(), EXAMPLE, bad.to_str().unwrap_or_default()],
        None,
    );
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.json") && err.contains("resource_changes"), "{err}");
    let text = std::fs::read_to_string(&report).expect("the report is written");
    assert!(text.contains("COULD NOT READ 1 input") && text.contains("$.resource_changes[0].address"), "{text}");
    assert!(text.contains("INCOMPLETE") && text.contains("[mandatory]"), "{text}");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        2,
        "the report beside the input; no temporary files"
    );

    std::fs::write(&bad, "{\"format_version\": \"1.2\",\n \"resource_changes\": [}").expect("write");
    let out = palisade(&["check", bad.to_str().unwrap_or_default()], None);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.json") && err.contains("line 2"), "{err}");

    let out = palisade(&["check", "--input-format", "yaml", EXAMPLE], None);
    assert_eq!(code(&out), 2, "an unknown --input-format is a usage error");
    let out = palisade(&["check", "does/not/exist.json"], None);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("does/not/exist.json"));
    let out = palisade(&["check"], None);
    assert_eq!(code(&out), 2, "no input is a usage error");
}

#[test]
fn errored_plan_is_incomplete_never_a_clean_report() {
    let out = palisade(
        &["check", "--format", "json", "tests/data/corpus/tfplan/opentofu__opentofu__show-json-plan-error.json"],
        None,
    );
    assert_eq!(code(&out), 2);
    let report = json(&out);
    assert_eq!(report["summary"]["complete"], false);
    assert_eq!(report["violations"], serde_json::json!([]));
    assert!(report["input_errors"][0]["message"].as_str().is_some_and(|m| m.contains("incomplete")), "{report}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("incomplete"));
}

#[test]
fn input_format_override_is_applied() {
    let out = palisade(&["check", "--input-format", "tfstate", EXAMPLE], None);
    assert_eq!(code(&out), 2, "a plan read as state is refused: {}", String::from_utf8_lossy(&out.stderr));
    let out = palisade(&["check", "--input-format", "tfplan", "--format", "json", EXAMPLE], None);
    assert_eq!(code(&out), 1);
}

/// The report never depends on thread count or batch size.
#[test]
fn report_is_the_same_for_any_thread_count_and_batch_size() {
    let run = |threads: &str, batch: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_palisade"));
        cmd.current_dir(crate::support::root()).env("RAYON_NUM_THREADS", threads);
        cmd.args([
            "check",
            "--format",
            "json",
            "--batch-size",
            batch,
            EXAMPLE,
            "tests/data/corpus/tfplan/terraform-compliance__cli__modules-intstr-index-sensitive.json",
        ]);
        let out = cmd.output().expect("runs");
        assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let one = run("1", "1000");
    assert_eq!(one, run("2", "1"));
    assert_eq!(one, run("4", "3"));
}

/// `--output` replaces a regular file atomically (keeping its mode and any
/// link pointing at it) and writes through devices such as /dev/null.
#[test]
fn output_keeps_mode_and_links_and_writes_through_devices() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let real = dir.path().join("real.json");
    std::fs::write(&real, "old").expect("write");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let out = palisade(&["check", "--format", "json", "-o", link.to_str().unwrap_or_default(), EXAMPLE], None);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::symlink_metadata(&link).expect("link").file_type().is_symlink(), "the link survives");
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&real).expect("read")).expect("JSON");
    assert_eq!(written["schema_version"], 1);
    assert_eq!(std::fs::metadata(&real).expect("meta").permissions().mode() & 0o777, 0o640);

    let out = palisade(&["check", "-o", "/dev/null", EXAMPLE], None);
    assert_eq!(code(&out), 1);
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(&std::fs::metadata("/dev/null").expect("meta").file_type()));

    let out = palisade(&["check", "-o", dir.path().to_str().unwrap_or_default(), EXAMPLE], None);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a directory"));

    // A new file gets 0666 less the umask (a file created by this process
    // beside it shows what the umask gives), never more.
    let fresh = dir.path().join("fresh.json");
    let out = palisade(&["check", "-o", fresh.to_str().unwrap_or_default(), EXAMPLE], None);
    assert_eq!(code(&out), 1);
    let probe = dir.path().join("probe");
    std::fs::write(&probe, "").expect("write");
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&fresh), mode(&probe), "a new report has the umask's mode");
}

/// A reader that stops early (`| head -1`) does not turn a failed check into a pass.
#[test]
fn a_closed_pipe_keeps_the_exit_code() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_palisade"))
        .current_dir(crate::support::root())
        .args(["check", EXAMPLE])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    drop(child.stdout.take());
    let status = child.wait().expect("ends");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn usage_errors_are_caught_up_front() {
    for args in [
        vec!["check", EXAMPLE, EXAMPLE],
        vec!["check", "-", "-"],
        vec!["check", "--policy-timeout-ms", "0", EXAMPLE],
        vec!["check", "--policy-memory-mib", "0", EXAMPLE],
        vec!["check", "--policy-memory-mib", "18446744073709551615", EXAMPLE],
    ] {
        let out = palisade(&args, Some(b""));
        assert_eq!(code(&out), 2, "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // Every bad input is reported, not only the first.
    let out = palisade(&["check", "nope-1.json", "nope-2.json"], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope-1.json") && err.contains("nope-2.json"), "{err}");
    // A state forced to be read as a plan is refused, not passed with 0 resources.
    let state = "tests/data/corpus/tfstate/snyk__driftctl__aws_subnet.json";
    let out = palisade(&["check", "--input-format", "tfplan", state], None);
    assert_eq!(code(&out), 2);
    // A non-wasm pack gets a one-line reason.
    let out = palisade(&["check", "--pack", EXAMPLE, EXAMPLE], None);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not start with the bytes 00 61 73 6d") && err.lines().count() == 1, "{err}");
}

/// Addresses and messages cannot forge report lines or terminal escapes.
#[test]
fn text_report_escapes_control_characters() {
    let plan = r#"{"format_version":"1.2","resource_changes":[{"address":"aws_s3_bucket.b[\"x\nPASSED: all good\u001b[0m\u202e\"]",
      "mode":"managed","type":"aws_s3_bucket","name":"b","index":"x","provider_name":"aws",
      "change":{"actions":["create"],"before":null,"after":{"acl":"public-read"},"after_unknown":{}}}]}"#;
    let out = palisade(&["check", "-"], Some(plan.as_bytes()));
    assert_eq!(code(&out), 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("PASSED")), "{text}");
    assert!(text.contains("x\\nPASSED: all good\\u{1b}[0m"), "{text}");
}

#[test]
fn duplicate_addresses_in_one_input_are_refused() {
    let change = r#"{"address":"aws_s3_bucket.b","mode":"managed","type":"aws_s3_bucket","name":"b","provider_name":"aws",
      "change":{"actions":["create"],"before":null,"after":{},"after_unknown":{}}}"#;
    let plan = format!(r#"{{"format_version":"1.2","resource_changes":[{change},{change}]}}"#);
    let out = palisade(&["check", "-"], Some(plan.as_bytes()));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("aws_s3_bucket.b"));
}

/// Inputs that are recognised but incomplete or ill-formed are refused, and a
/// Pulumi object pending deletion under the URN of its replacement is not.
#[test]
fn incomplete_and_ill_formed_inputs_are_refused() {
    let preview = r#"{"steps": [], "diagnostics": [{"severity": "error", "message": "resource failed: boom"}]}"#;
    let out = palisade(&["check", "-"], Some(preview.as_bytes()));
    assert_eq!(code(&out), 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the preview failed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let plan = r#"{"format_version":"1.2","resource_changes":[{"address":"aws_s3_bucket.b","mode":"managed","type":"aws_s3_bucket",
      "name":"b","provider_name":"aws","change":{"actions":["create"],"before":null,"after":"x","after_unknown":{}}}]}"#;
    let out = palisade(&["check", "-"], Some(plan.as_bytes()));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("$.resource_changes[0].change.after"));

    let urn = "urn:pulumi:dev::p::aws:ecr/repository:Repository::repo";
    let res = |delete: bool| {
        serde_json::json!({"urn": urn, "custom": true, "type": "aws:ecr/repository:Repository", "delete": delete,
            "outputs": {"imageTagMutability": "IMMUTABLE"}})
    };
    let export =
        serde_json::json!({"version": 3, "deployment": {"manifest": {}, "resources": [res(false), res(true)]}});
    let out = palisade(&["check", "--format", "json", "-"], Some(export.to_string().as_bytes()));
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["summary"]["resources_evaluated"], 1, "the pending delete is not judged");
}

#[test]
fn output_may_not_overwrite_what_the_run_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.json");
    std::fs::copy(repo(EXAMPLE), &input).expect("copy");
    let path = input.to_str().unwrap_or_default();
    let out = palisade(&["check", "-o", path, path], None);
    assert_eq!(code(&out), 2);
    assert_eq!(std::fs::read(&input).expect("read"), std::fs::read(repo(EXAMPLE)).expect("read"), "input untouched");
    // The same file by two spellings is one input given twice.
    let out = palisade(&["check", EXAMPLE, &format!("./{EXAMPLE}")], None);
    assert_eq!(code(&out), 2);
}

#[test]
fn two_packs_with_one_name_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = crate::support::build_wat("hostile", dir.path());
    let b = dir.path().join("copy.wasm");
    std::fs::copy(&a, &b).expect("copy");
    let out = palisade(
        &["check", "--pack", a.to_str().unwrap_or_default(), "--pack", b.to_str().unwrap_or_default(), EXAMPLE],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("both named \"hostile\""));
}

#[test]
fn oversized_yaml_and_deeply_nested_inputs_get_clear_errors() {
    let big = vec![b' '; 2 << 20];
    let out = palisade(&["check", "--max-input-mib", "1", "-"], Some(&big));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than 1 MiB"));

    let out = palisade(&["check", "-"], Some(b"resource_changes:\n  - address: a\n"));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("YAML and HCL are not read"));

    let deep = format!("{{\"resource_changes\": {}{}}}", "[".repeat(1000), "]".repeat(1000));
    let out = palisade(&["check", "-"], Some(deep.as_bytes()));
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nested deeper than 128 levels"));
}

/// A closed standard error (`2>&1 | head` after the reader left) changes
/// no exit code: errors are still exit 2, never a panic's 101.
#[test]
fn a_closed_standard_error_keeps_the_exit_code() {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["check", "no-such-input.json"])
        .current_dir(repo("."))
        .stdout(std::process::Stdio::null())
        .stderr(writer)
        .status()
        .expect("palisade runs");
    assert_eq!(status.code(), Some(2));
}
