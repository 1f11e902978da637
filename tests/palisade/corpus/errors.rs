//! Error messages on small inline inputs (file, line, JSON path, what was
//! expected), and damaged corpus files that must give errors, never panics.

use palisade_engine::input::{FORMAT_NAMES, InputErrorKind, InputFormat, read_input};

use super::{corpus_files, err};

/// Truncated and corrupted corpus files give errors, never panics.
#[test]
fn damaged_corpus_files_never_panic() {
    for file in corpus_files() {
        let (name, bytes) = (file.name.as_str(), file.bytes());
        for cut in (0..bytes.len()).step_by((bytes.len() / 16).max(1)) {
            let _ = read_input(name, &bytes[..cut], None);
            let mut flipped = bytes.clone();
            flipped[cut] ^= 0x5A;
            let _ = read_input(name, &flipped, None);
            for format in FORMAT_NAMES {
                let format: Option<InputFormat> = format.parse().ok();
                let _ = read_input(name, &bytes[..cut], format);
            }
        }
    }
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let e = err("plans/bad.json", "{\n  \"resource_changes\": [\n    {\"address\": }\n  ]\n}");
    assert!(matches!(e.kind, InputErrorKind::Json { line: 3, .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.starts_with("plans/bad.json: "), "{msg}");
    assert!(msg.contains("line 3, column"), "{msg}");
    assert!(!msg.contains('\n'), "one paragraph: {msg}");
}

#[test]
fn wrong_shape_names_the_json_path() {
    let e = err("plan.json", r#"{"format_version":"1.2","resource_changes":[{"address":5}]}"#);
    match &e.kind {
        InputErrorKind::Shape { json_path, .. } => {
            assert_eq!(json_path, "$.resource_changes[0].address")
        }
        other => panic!("expected Shape, got {other:?}"),
    }
    let msg = e.to_string();
    assert!(msg.starts_with("plan.json: ") && msg.contains("$.resource_changes[0].address"), "{msg}");
    assert!(msg.contains("expected a string, found the number 5"), "{msg}");
    let actions = r#"{"resource_changes":[{"address":"a.b","mode":"managed","type":"a","name":"b",
        "change":{"actions":["explode"]}}]}"#;
    let e = err("plan.json", actions);
    assert!(e.to_string().contains("$.resource_changes[0].change.actions"), "{e}");
}

#[test]
fn unknown_format_lists_keys_and_suggests_input_format() {
    let e = err("thing.json", r#"{"foo": 1, "bar": [2]}"#);
    assert!(matches!(e.kind, InputErrorKind::UnknownFormat { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.starts_with("thing.json: ") && msg.contains("`foo`") && msg.contains("`bar`"), "{msg}");
    assert!(msg.contains("--input-format") && msg.contains("pulumi-preview"), "{msg}");
}

#[test]
fn empty_files_are_refused() {
    for text in ["", "  \n\t\n"] {
        let e = err("empty.json", text);
        assert_eq!(e.kind, InputErrorKind::Empty);
        assert!(e.to_string().starts_with("empty.json: the file is empty"), "{e}");
    }
    let e = read_input("-", b"", Some(InputFormat::TfState)).err();
    assert_eq!(e.map(|e| e.kind), Some(InputErrorKind::Empty));
}

#[test]
fn kubernetes_and_cloudformation_are_unsupported() {
    let yaml = "# a pod\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n";
    let e = err("pod.yaml", yaml);
    assert!(matches!(e.kind, InputErrorKind::Unsupported { .. }), "{e:?}");
    assert!(e.to_string().contains("Kubernetes manifests are not supported yet"), "{e}");
    let cfn = r#"{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}"#;
    assert!(err("t.json", cfn).to_string().contains("CloudFormation templates are not supported yet"));
    let cfn_yaml = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n";
    assert!(err("t.yaml", cfn_yaml).to_string().starts_with("t.yaml: CloudFormation templates"));
}

#[test]
fn errored_plan_is_an_incomplete_plan() {
    let e = err("p.json", r#"{"format_version":"1.2","planned_values":{},"errored":true}"#);
    assert!(e.is_incomplete_plan());
    assert_eq!(e.format, Some(InputFormat::TfPlan));
    assert!(e.to_string().starts_with("p.json: the plan is incomplete (errored: true); Terraform could not finish"));
}

#[test]
fn unsupported_versions_name_seen_and_accepted() {
    let state3 = r#"{"version":3,"serial":1,"lineage":"x","terraform_version":"0.11.14","modules":[]}"#;
    let cases = [
        ("s.tfstate", state3, "state version 3"),
        ("p.json", r#"{"format_version":"2.0","resource_changes":[]}"#, "format_version \"2.0\""),
        ("e.json", r#"{"version":2,"deployment":{"resources":[]}}"#, "deployment version 2"),
    ];
    for (file, text, seen) in cases {
        let e = err(file, text);
        assert!(matches!(e.kind, InputErrorKind::UnsupportedVersion { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.starts_with(file) && msg.contains(seen) && msg.contains("expected"), "{msg}");
    }
}

#[test]
fn invalid_utf8_names_the_byte_offset() {
    let e = read_input("x.json", b"{\"a\": \"\xff\"}", None).err();
    let e = e.unwrap_or_else(|| panic!("expected an encoding error"));
    assert_eq!(e.kind, InputErrorKind::Encoding { offset: 7, detail: "UTF-8".into() });
    assert!(e.to_string().starts_with("x.json: invalid UTF-8 at byte offset 7"), "{e}");
}

#[test]
fn event_log_bad_line_gives_the_file_line_number() {
    let good = r#"{"sequence":1,"timestamp":1,"preludeEvent":{"config":{}}}"#;
    let text = format!("{good}\n\n{good}\nnot json at all\n");
    let e = err("events.jsonl", &text);
    assert!(matches!(e.kind, InputErrorKind::Json { line: 4, .. }), "{e:?}");
    assert!(e.to_string().starts_with("events.jsonl: invalid JSON at line 4"), "{e}");
}

/// Common mistakes are refused with what to run instead, whatever format
/// was asked for: a binary plan (a zip), Terraform configuration (HCL or
/// `.tf.json`), the setup-terraform wrapper's output.
#[test]
fn common_mistakes_say_what_to_run_instead() {
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00rest of a binary plan";
    for format in [None, Some(InputFormat::TfPlan)] {
        let e = read_input("tfplan", zip, format).err().unwrap_or_else(|| panic!("a zip is refused"));
        assert_eq!(e.kind, InputErrorKind::BinaryPlan);
        assert!(e.to_string().contains("run `terraform show -json tfplan > plan.json`"), "{e}");
    }
    let hcl = "variable \"region\" {\n  default = \"eu-west-1\"\n}\n\nresource \"aws_s3_bucket\" \"b\" {}\n";
    for (file, text) in [("main.tf", hcl), ("main.tf.json", r#"{"terraform": {"required_version": ">= 1.5"}}"#)] {
        let e = err(file, text);
        assert_eq!(e.kind, InputErrorKind::TerraformConfiguration, "{file}");
        let msg = e.to_string();
        assert!(msg.starts_with(file) && msg.contains("not a plan") && msg.contains("terraform plan -out"), "{msg}");
    }
    let wrapped =
        "[command]/home/runner/work/_temp/xyz/terraform-bin show -json plan.tfplan\n{\"format_version\": \"1.2\"}\n";
    for format in [None, Some(InputFormat::TfPlan)] {
        let e = read_input("plan.json", wrapped.as_bytes(), format).err().unwrap_or_else(|| panic!("refused"));
        assert_eq!(e.kind, InputErrorKind::TerraformWrapper);
        assert!(e.to_string().contains("terraform_wrapper: false"), "{e}");
    }
}

/// A value of the wrong shape that holds a conventionally secret name is
/// named, not shown: the input did not parse, so names are all there is.
#[test]
fn shape_errors_do_not_show_secret_named_values() {
    let text = r#"{"format_version":"1.2","resource_changes":[{"address":{"db_password":"hunter2-hunter2"}}]}"#;
    let msg = err("plan.json", text).to_string();
    assert!(msg.contains("$.resource_changes[0].address") && msg.contains("found an object"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
    // Other values are still shown.
    let text = r#"{"format_version":"1.2","resource_changes":[{"address":{"name":"web"}}]}"#;
    assert!(err("plan.json", text).to_string().contains(r#"{"name":"web"}"#));
}
