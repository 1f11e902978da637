//! The input parsers against the real-world corpus in `tests/data/corpus`
//! (copies of public files, see its README.md and SOURCES.tsv), plus error
//! cases on small inline inputs.
//!
//! Expected resource and policy-target counts are computed here from the raw
//! JSON with `serde_json::Value`, independently of the parsers.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

use palisade_engine::input::{
    FORMAT_NAMES, InputError, InputErrorKind, InputFormat, detect_format, read_input,
};
use palisade_engine::model::{
    Operation, Path, PathSegment, Resource, ResourceKind, Stack, UNKNOWN,
};
use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/corpus");
const FOLDERS: &[&str] = &["tfplan", "tfstate", "pulumi_stack_export", "pulumi_events"];
const ERRORED_PLAN: &str = "opentofu__opentofu__show-json-plan-error.json";

// ---------------------------------------------------------------- helpers

/// Decodes a corpus file without the crate's decoder: UTF-16 by hand.
fn decode_independently(bytes: &[u8]) -> String {
    let utf16 = |body: &[u8], le: bool| {
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|p| {
                if le {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            })
            .collect();
        String::from_utf16(&units).unwrap_or_else(|e| panic!("bad UTF-16: {e}"))
    };
    match bytes {
        [0xFF, 0xFE, body @ ..] => utf16(body, true),
        [0xFE, 0xFF, body @ ..] => utf16(body, false),
        [0xEF, 0xBB, 0xBF, body @ ..] => String::from_utf8(body.to_vec()).unwrap_or_default(),
        _ => String::from_utf8(bytes.to_vec()).unwrap_or_else(|e| panic!("bad UTF-8: {e}")),
    }
}

fn corpus_files() -> Vec<(&'static str, String, PathBuf)> {
    let mut out = Vec::new();
    for folder in FOLDERS {
        let dir = PathBuf::from(CORPUS).join(folder);
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert!(!names.is_empty(), "no files in {}", dir.display());
        out.extend(
            names
                .into_iter()
                .map(|n| (*folder, n.clone(), dir.join(&n))),
        );
    }
    out
}

fn read(folder: &str, name: &str) -> Stack {
    let path = PathBuf::from(CORPUS).join(folder).join(name);
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    read_input(name, &bytes, None).unwrap_or_else(|e| panic!("{e}"))
}

fn find<'a>(stack: &'a Stack, address: &str) -> &'a Resource {
    stack
        .resources
        .iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| panic!("{}: no resource {address}", stack.source))
}

fn at<'a>(value: &'a Value, path: &[PathSegment]) -> &'a Value {
    path.iter().fold(value, |v, seg| match seg {
        PathSegment::Key(k) => &v[k.as_str()],
        PathSegment::Index(i) => &v[*i],
    })
}

fn key(k: &str) -> PathSegment {
    PathSegment::Key(k.to_string())
}

fn idx(i: usize) -> PathSegment {
    PathSegment::Index(i)
}

fn err(source: &str, text: &str) -> InputError {
    match read_input(source, text.as_bytes(), None) {
        Ok(stack) => panic!(
            "{source}: expected an error, got {} resources",
            stack.resources.len()
        ),
        Err(e) => e,
    }
}

// ------------------------------------------------ independent expectations

/// (resources, policy targets) computed from the raw document.
fn expected(folder: &str, text: &str) -> (usize, usize) {
    match folder {
        "tfplan" => expect_plan(&parse(text)),
        "tfstate" => expect_state(&parse(text)),
        "pulumi_stack_export" => expect_export(&parse(text)),
        _ => expect_events(text),
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("test could not parse: {e}"))
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn expect_plan(doc: &Value) -> (usize, usize) {
    let changes = list(&doc["resource_changes"]);
    let targets = changes
        .iter()
        .filter(|rc| rc["mode"] == "managed" && rc.get("deposed").is_none())
        .filter(|rc| {
            let actions: Vec<&str> = list(&rc["change"]["actions"])
                .iter()
                .filter_map(Value::as_str)
                .collect();
            actions != ["delete"] && actions != ["forget"]
        })
        .count();
    (changes.len(), targets)
}

fn expect_state(doc: &Value) -> (usize, usize) {
    let resources = list(&doc["resources"]);
    let count = |managed_only: bool| {
        resources
            .iter()
            .filter(|r| !managed_only || r["mode"] == "managed")
            .map(|r| {
                list(&r["instances"])
                    .iter()
                    .filter(|i| !managed_only || i.get("deposed").is_none())
                    .count()
            })
            .sum()
    };
    (count(false), count(true))
}

fn is_managed_state(state: &Value) -> bool {
    let provider = state["type"]
        .as_str()
        .is_some_and(|t| t.starts_with("pulumi:providers:"));
    state["custom"] == true && state["external"] != true && !provider
}

fn expect_export(doc: &Value) -> (usize, usize) {
    let deployment = if doc.get("deployment").is_some() {
        &doc["deployment"]
    } else {
        &doc["checkpoint"]["latest"]
    };
    let resources = list(&deployment["resources"]);
    let targets = resources
        .iter()
        .filter(|r| is_managed_state(r) && r["delete"] != true)
        .count();
    (resources.len(), targets)
}

fn expect_events(text: &str) -> (usize, usize) {
    let mut order: Vec<String> = Vec::new();
    let mut seen: HashMap<String, (Vec<String>, Value)> = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let event = parse(line);
        for kind in ["resourcePreEvent", "resOutputsEvent", "resOpFailedEvent"] {
            let md = &event[kind]["metadata"];
            let Some(urn) = md["urn"].as_str() else {
                continue;
            };
            if !seen.contains_key(urn) {
                order.push(urn.to_string());
            }
            let entry = seen
                .entry(urn.to_string())
                .or_insert((Vec::new(), Value::Null));
            entry
                .0
                .push(md["op"].as_str().unwrap_or_default().to_string());
            for side in ["old", "new"] {
                if !md[side].is_null() && (side == "new" || entry.1.is_null()) {
                    entry.1 = md[side].clone();
                }
            }
        }
    }
    let targets = seen
        .values()
        .filter(|(ops, state)| {
            let replace = ops.iter().any(|o| {
                ["replace", "create-replacement", "delete-replaced"].contains(&o.as_str())
            });
            let last = ops.last().map(String::as_str).unwrap_or_default();
            let gone = [
                "delete",
                "discard",
                "discard-replaced",
                "remove-pending-replace",
            ]
            .contains(&last);
            let read = last.starts_with("read");
            is_managed_state(state) && (replace || (!gone && !read))
        })
        .count();
    (order.len(), targets)
}

fn expected_format(folder: &str) -> InputFormat {
    match folder {
        "tfplan" => InputFormat::TfPlan,
        "tfstate" => InputFormat::TfState,
        "pulumi_stack_export" => InputFormat::PulumiExport,
        _ => InputFormat::PulumiEvents,
    }
}

// ------------------------------------------------------------ corpus tests

/// One check per corpus file; every failing file is reported by name.
#[test]
fn every_corpus_file_parses_with_independently_counted_resources() {
    let mut failures = Vec::new();
    let files = corpus_files();
    for (folder, name, path) in &files {
        let label = format!("{folder}/{name}");
        let bytes = fs::read(path).unwrap_or_else(|e| panic!("{label}: {e}"));
        let text = decode_independently(&bytes);
        match (read_input(&label, &bytes, None), name.as_str()) {
            (Err(e), ERRORED_PLAN)
                if e.is_incomplete_plan() && e.to_string().starts_with(&label) => {}
            (other, ERRORED_PLAN) => {
                failures.push(format!("{label}: expected IncompletePlan, got {other:?}"))
            }
            (Err(e), _) => failures.push(format!("{label}: {e}")),
            (Ok(stack), _) => {
                if stack.format != expected_format(folder) {
                    failures.push(format!("{label}: detected as {}", stack.format));
                }
                if detect_format(&label, &text).ok() != Some(expected_format(folder)) {
                    failures.push(format!("{label}: detect_format disagrees"));
                }
                let (count, targets) = expected(folder, &text);
                let got = (stack.resources.len(), stack.policy_target_count());
                eprintln!("{label}: {} resources, {} policy targets", got.0, got.1);
                if got != (count, targets) {
                    failures.push(format!(
                        "{label}: (resources, targets) = {got:?}, expected {:?}",
                        (count, targets)
                    ));
                }
                if stack.resources.iter().any(|r| r.source != label) {
                    failures.push(format!("{label}: a resource has the wrong source"));
                }
                let mut addresses: Vec<&str> =
                    stack.resources.iter().map(|r| r.address.as_str()).collect();
                addresses.sort_unstable();
                addresses.dedup();
                if addresses.len() != stack.resources.len() {
                    failures.push(format!("{label}: duplicate addresses"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn sources_tsv_lists_exactly_the_corpus_files() {
    let tsv = fs::read_to_string(PathBuf::from(CORPUS).join("SOURCES.tsv")).unwrap_or_default();
    let mut listed: Vec<&str> = tsv
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .collect();
    listed.sort_unstable();
    let mut files: Vec<String> = corpus_files()
        .into_iter()
        .map(|(f, n, _)| format!("{f}/{n}"))
        .collect();
    files.sort();
    assert_eq!(listed, files);
}

/// Truncated and corrupted corpus files give errors, never panics.
#[test]
fn damaged_corpus_files_never_panic() {
    for (folder, name, path) in corpus_files() {
        let bytes = fs::read(&path).unwrap_or_default();
        for cut in (0..bytes.len()).step_by((bytes.len() / 16).max(1)) {
            let _ = read_input(&name, &bytes[..cut], None);
            let mut flipped = bytes.clone();
            flipped[cut] ^= 0x5A;
            let _ = read_input(&name, &flipped, None);
            for format in FORMAT_NAMES {
                let format: Option<InputFormat> = format.parse().ok();
                let _ = read_input(&name, &bytes[..cut], format);
            }
        }
        let _ = folder;
    }
}

// ------------------------------------------------- specific normalizations

#[test]
fn plan_after_unknown_leaves_are_unknown_even_when_absent_from_after() {
    let stack = read("tfplan", "bridgecrewio__checkov__booleans-sensitive.json");
    let vm = find(&stack, "google_compute_instance.default");
    assert_eq!(vm.op, Operation::Create);
    let disk = &vm.props["boot_disk"][0];
    assert_eq!(
        disk["device_name"], UNKNOWN,
        "absent from after, true in after_unknown"
    );
    assert_eq!(disk["initialize_params"][0]["size"], UNKNOWN);
    assert_eq!(
        disk["initialize_params"][0]["image"], "debian-cloud/debian-9",
        "known values kept"
    );
    assert_eq!(disk["auto_delete"], true);
    let tags = read("tfplan", "bridgecrewio__checkov__tags-variety.json");
    let asg = find(&tags, "aws_autoscaling_group.example");
    assert_eq!(asg.props["arn"], UNKNOWN);
    let table = find(&tags, "aws_dynamodb_table.basic-dynamodb-table");
    assert_ne!(
        table.props["tags_all"], UNKNOWN,
        "after_unknown {{}} marks nothing"
    );
}

#[test]
fn plan_sensitive_paths_are_secret() {
    let stack = read("tfplan", "bridgecrewio__checkov__booleans-sensitive.json");
    let vm = find(&stack, "google_compute_instance.default");
    let raw_key: Path = vec![key("boot_disk"), idx(0), key("disk_encryption_key_raw")];
    assert!(vm.secret.contains(&raw_key), "{:?}", vm.secret);
    assert!(
        !vm.secret
            .contains(&vec![key("service_account"), idx(0), key("scopes"), idx(0)]),
        "false marks nothing"
    );
    assert!(!vm.secret.contains(&vec![key("tags"), idx(0)]));
    let plan = read(
        "tfplan",
        "terraform-compliance__cli__issue522-drift-delete-update.json",
    );
    let param = find(&plan, "aws_ssm_parameter.lambda_sg_id");
    assert!(param.secret.contains(&vec![key("value")]));
    let lambda = find(&plan, "aws_lambda_function.lambda");
    assert!(lambda.secret.contains(&vec![
        key("environment"),
        idx(0),
        key("variables"),
        key("EVENT_BUS_ARN")
    ]));
    // A UTF-16 plan: decoded, and its sensitive value found.
    let utf16 = read(
        "tfplan",
        "bridgecrewio__checkov__lifecycle-sensitive-utf16.json",
    );
    assert!(
        find(&utf16, "aws_acm_certificate.acme")
            .secret
            .contains(&vec![key("private_key")])
    );
}

#[test]
fn for_each_keys_with_quotes_and_dots_survive_in_addresses() {
    let plan = read(
        "tfplan",
        "bridgecrewio__checkov__for-each-modules-tf1.9.json",
    );
    let zone = find(&plan, r#"aws_route53_zone.example["example.com"]"#);
    assert_eq!(
        (zone.resource_type.as_str(), zone.name.as_str()),
        ("aws_route53_zone", "example")
    );
    find(
        &plan,
        r#"module.sg["awful_example"].aws_security_group.bad"#,
    );
    let nested = read(
        "tfplan",
        "terraform-compliance__cli__modules-intstr-index-sensitive.json",
    );
    find(
        &nested,
        r#"module.apigw_test_1.module.acm_cert_regional[0].aws_route53_record.cert_validation["testapi.cc.aws.cmclabs.io"]"#,
    );
    let state = read("tfstate", "opentofu__opentofu__v4-modules-roundtrip.json");
    find(&state, r#"module.modB.null_resource.bar["a"]"#);
    find(&state, r#"module.modB.null_resource.bar["b"]"#);
    let route53 = read(
        "tfstate",
        "snyk__driftctl__aws_route53_record_multiples.json",
    );
    find(&route53, "aws_route53_record.test[3]");
}

#[test]
fn deleted_resources_have_op_delete_and_are_not_policy_targets() {
    let plan = read("tfplan", "opentofu__opentofu__show-json-basic-delete.json");
    let gone = find(&plan, "test_instance.test-delete");
    assert_eq!(gone.op, Operation::Delete);
    assert!(gone.props.is_null());
    assert_eq!(
        gone.before.as_ref().map(|b| b["ami"].clone()),
        Some(Value::from("foo"))
    );
    assert!(!gone.is_policy_target());
    assert_eq!(find(&plan, "test_instance.test").op, Operation::Update);
    let events = read(
        "pulumi_events",
        "pulumi__pulumi__events-destroy-with-deep-hierarchy.jsonl",
    );
    let child = find(
        &events,
        "urn:pulumi:dev::myproject::my:component:Child::mychild",
    );
    assert_eq!(
        (child.op, child.kind),
        (Operation::Delete, ResourceKind::Component)
    );
    assert!(!child.is_policy_target());
}

#[test]
fn data_sources_are_kind_data() {
    let plan = read(
        "tfplan",
        "bridgecrewio__checkov__data-sources-deferred-read.json",
    );
    let doc = find(&plan, r#"module.poc.data.aws_iam_policy_document.r4["p1"]"#);
    assert_eq!((doc.kind, doc.op), (ResourceKind::Data, Operation::Read));
    assert!(!doc.is_policy_target());
    let state = read("tfstate", "snyk__driftctl__aws_lb_listener.json");
    let rg = find(&state, "data.azurerm_resource_group.raphael-dev");
    assert_eq!((rg.kind, rg.op), (ResourceKind::Data, Operation::NoOp));
    assert_eq!(find(&state, "aws_lb.test").kind, ResourceKind::Managed);
}

#[test]
fn replace_actions_in_both_orders_are_replace() {
    let cbd = read(
        "tfplan",
        "bridgecrewio__checkov__create-before-destroy-replace.json",
    );
    assert_eq!(
        find(&cbd, "aws_secretsmanager_secret.default").op,
        Operation::Replace
    );
    let dbc = read(
        "tfplan",
        "opentofu__opentofu__show-json-requires-replace.json",
    );
    assert_eq!(find(&dbc, "test_instance.test").op, Operation::Replace);
}

#[test]
fn pulumi_ciphertext_secret_becomes_unknown_and_secret() {
    let stack = read(
        "pulumi_stack_export",
        "pulumi__pulumi__checkpoint-v3-secrets.json",
    );
    let role = stack
        .resources
        .iter()
        .find(|r| r.name == "countDown_watcher-iamrole")
        .unwrap_or_else(|| panic!("no role"));
    assert_eq!(role.props["assumeRolePolicy"], UNKNOWN);
    assert!(role.secret.contains(&vec![key("assumeRolePolicy")]));
    assert_eq!(role.kind, ResourceKind::Managed);
    let func = stack
        .resources
        .iter()
        .find(|r| {
            r.name == "countDown_watcher" && r.resource_type == "aws:lambda/function:Function"
        })
        .unwrap_or_else(|| panic!("no function"));
    let target: Path = vec![key("deadLetterConfig"), idx(0), key("targetArn")];
    assert_eq!(at(&func.props, &target), UNKNOWN);
    assert!(func.secret.contains(&target));
}

#[test]
fn pulumi_kinds_and_resource_references() {
    let stack = read(
        "pulumi_stack_export",
        "pulumi__pulumi-awsx__stack-export-ts-ecr-repo.json",
    );
    let root = find(
        &stack,
        "urn:pulumi:test::ecr::pulumi:pulumi:Stack::ecr-test",
    );
    assert_eq!(
        (root.kind, root.name.as_str()),
        (ResourceKind::Component, "ecr-test")
    );
    let aws = find(
        &stack,
        "urn:pulumi:test::ecr::pulumi:providers:aws::default_5_35_0",
    );
    assert_eq!(aws.kind, ResourceKind::Provider);
    let repo = find(
        &stack,
        "urn:pulumi:test::ecr::awsx:ecr:Repository::repository",
    );
    assert_eq!(repo.kind, ResourceKind::Component);
    assert!(
        repo.props["repository"].is_string(),
        "a resource reference becomes its id: {}",
        repo.props
    );
    let ecr = find(
        &stack,
        "urn:pulumi:test::ecr::awsx:ecr:Repository$aws:ecr/repository:Repository::repository",
    );
    assert_eq!(
        (ecr.kind, ecr.resource_type.as_str()),
        (ResourceKind::Managed, "aws:ecr/repository:Repository")
    );
    assert!(
        ecr.provider
            .starts_with("urn:pulumi:test::ecr::pulumi:providers:aws::")
    );
}

#[test]
fn pulumi_event_replace_sequence_is_one_replace_with_new_props() {
    let stack = read(
        "pulumi_events",
        "pulumi__pulumi__events-webserver-userdata.jsonl",
    );
    let urns: Vec<&str> = stack.resources.iter().map(|r| r.address.as_str()).collect();
    let www: Vec<&&str> = urns
        .iter()
        .filter(|u| u.ends_with("::web-server-www"))
        .collect();
    assert_eq!(www.len(), 1, "{urns:?}");
    let server = find(&stack, www[0]);
    assert_eq!(
        (server.op, server.kind),
        (Operation::Replace, ResourceKind::Managed)
    );
    assert!(server.props.is_object() && server.before.is_some());
    assert!(server.is_policy_target());
    assert_eq!(
        stack.resources[0].resource_type, "pulumi:pulumi:Stack",
        "first-seen order"
    );
}

#[test]
fn pulumi_event_blinded_secrets_are_unknown_and_secret() {
    let stack = read(
        "pulumi_events",
        "pulumi__pulumi__events-failed-stacks-dont-rewrite-operations.jsonl",
    );
    let x = find(
        &stack,
        "urn:pulumi:dev::test::pulumi-python:dynamic:Resource::test-x",
    );
    assert_eq!(x.op, Operation::Update);
    assert_eq!(x.props["__provider"], UNKNOWN);
    assert!(x.secret.contains(&vec![key("__provider")]));
    let r = find(
        &stack,
        "urn:pulumi:dev::test::pulumi-python:dynamic:Resource::test-r",
    );
    assert_eq!(
        r.op,
        Operation::Replace,
        "a lone delete-replaced stays a replace"
    );
    let interrupted = read(
        "pulumi_events",
        "pulumi__pulumi__events-up-interrupted.jsonl",
    );
    let db = find(
        &interrupted,
        "urn:pulumi:dev::myproject::aws:rds/instance:Instance::interrupted-db",
    );
    assert_eq!(db.op, Operation::Update);
}

// ------------------------------------------------------------ error cases

#[test]
fn malformed_json_names_file_line_and_column() {
    let e = err(
        "plans/bad.json",
        "{\n  \"resource_changes\": [\n    {\"address\": }\n  ]\n}",
    );
    assert!(
        matches!(e.kind, InputErrorKind::Json { line: 3, .. }),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.starts_with("plans/bad.json: "), "{msg}");
    assert!(msg.contains("line 3, column"), "{msg}");
    assert!(!msg.contains('\n'), "one paragraph: {msg}");
}

#[test]
fn wrong_shape_names_the_json_path() {
    let e = err(
        "plan.json",
        r#"{"format_version":"1.2","resource_changes":[{"address":5}]}"#,
    );
    match &e.kind {
        InputErrorKind::Shape { json_path, .. } => {
            assert_eq!(json_path, "$.resource_changes[0].address")
        }
        other => panic!("expected Shape, got {other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.starts_with("plan.json: ") && msg.contains("$.resource_changes[0].address"),
        "{msg}"
    );
    assert!(
        msg.contains("expected a string, found the number 5"),
        "{msg}"
    );
    let actions = r#"{"resource_changes":[{"address":"a.b","mode":"managed","type":"a","name":"b",
        "change":{"actions":["explode"]}}]}"#;
    let e = err("plan.json", actions);
    assert!(
        e.to_string()
            .contains("$.resource_changes[0].change.actions"),
        "{e}"
    );
}

#[test]
fn unknown_format_lists_keys_and_suggests_input_format() {
    let e = err("thing.json", r#"{"foo": 1, "bar": [2]}"#);
    assert!(
        matches!(e.kind, InputErrorKind::UnknownFormat { .. }),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with("thing.json: ") && msg.contains("`foo`") && msg.contains("`bar`"),
        "{msg}"
    );
    assert!(
        msg.contains("--input-format") && msg.contains("pulumi-preview"),
        "{msg}"
    );
}

#[test]
fn empty_files_are_refused() {
    for text in ["", "  \n\t\n"] {
        let e = err("empty.json", text);
        assert_eq!(e.kind, InputErrorKind::Empty);
        assert!(
            e.to_string().starts_with("empty.json: the file is empty"),
            "{e}"
        );
    }
    let e = read_input("-", b"", Some(InputFormat::TfState)).err();
    assert_eq!(e.map(|e| e.kind), Some(InputErrorKind::Empty));
}

#[test]
fn kubernetes_and_cloudformation_are_unsupported() {
    let yaml = "# a pod\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n";
    let e = err("pod.yaml", yaml);
    assert!(
        matches!(e.kind, InputErrorKind::Unsupported { .. }),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("Kubernetes manifests are not supported yet"),
        "{e}"
    );
    let cfn = r#"{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}"#;
    assert!(
        err("t.json", cfn)
            .to_string()
            .contains("CloudFormation templates are not supported yet")
    );
    let cfn_yaml = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n";
    assert!(
        err("t.yaml", cfn_yaml)
            .to_string()
            .starts_with("t.yaml: CloudFormation templates")
    );
}

#[test]
fn errored_plan_is_an_incomplete_plan() {
    let e = err(
        "p.json",
        r#"{"format_version":"1.2","planned_values":{},"errored":true}"#,
    );
    assert!(e.is_incomplete_plan());
    assert_eq!(e.format, Some(InputFormat::TfPlan));
    assert!(
        e.to_string().starts_with(
            "p.json: the plan is incomplete (errored: true); Terraform could not finish"
        )
    );
}

#[test]
fn unsupported_versions_name_seen_and_accepted() {
    let state3 =
        r#"{"version":3,"serial":1,"lineage":"x","terraform_version":"0.11.14","modules":[]}"#;
    let cases = [
        ("s.tfstate", state3, "state version 3"),
        (
            "p.json",
            r#"{"format_version":"2.0","resource_changes":[]}"#,
            "format_version \"2.0\"",
        ),
        (
            "e.json",
            r#"{"version":2,"deployment":{"resources":[]}}"#,
            "deployment version 2",
        ),
    ];
    for (file, text, seen) in cases {
        let e = err(file, text);
        assert!(
            matches!(e.kind, InputErrorKind::UnsupportedVersion { .. }),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.starts_with(file) && msg.contains(seen) && msg.contains("expected"),
            "{msg}"
        );
    }
}

#[test]
fn invalid_utf8_names_the_byte_offset() {
    let e = read_input("x.json", b"{\"a\": \"\xff\"}", None).err();
    let e = e.unwrap_or_else(|| panic!("expected an encoding error"));
    assert_eq!(
        e.kind,
        InputErrorKind::Encoding {
            offset: 7,
            detail: "UTF-8".into()
        }
    );
    assert!(
        e.to_string()
            .starts_with("x.json: invalid UTF-8 at byte offset 7"),
        "{e}"
    );
}

#[test]
fn event_log_bad_line_gives_the_file_line_number() {
    let good = r#"{"sequence":1,"timestamp":1,"preludeEvent":{"config":{}}}"#;
    let text = format!("{good}\n\n{good}\nnot json at all\n");
    let e = err("events.jsonl", &text);
    assert!(
        matches!(e.kind, InputErrorKind::Json { line: 4, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("events.jsonl: invalid JSON at line 4"),
        "{e}"
    );
}

// ---------------------------------------------------- inline format checks

const SECRET: &str = r#"{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"v1:abc"}"#;

fn preview_text() -> String {
    let urn = "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b";
    let old = format!(
        r#"{{"urn":"{urn}","custom":true,"type":"aws:s3/bucket:Bucket","outputs":{{"acl":"private"}}}}"#
    );
    let new = format!(
        r#"{{"urn":"{urn}","custom":true,"type":"aws:s3/bucket:Bucket","inputs":{{"acl":"public-read","key":{SECRET},"arn":"{UNKNOWN}"}},"outputs":{{}}}}"#
    );
    format!(
        r#"{{"steps":[
          {{"op":"same","urn":"urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev","newState":{{"type":"pulumi:pulumi:Stack","urn":"urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"}}}},
          {{"op":"create-replacement","urn":"{urn}","oldState":{old},"newState":{new}}},
          {{"op":"replace","urn":"{urn}","oldState":{old},"newState":{new}}},
          {{"op":"delete-replaced","urn":"{urn}","oldState":{old}}},
          {{"op":"read","urn":"urn:pulumi:dev::p::aws:ec2/vpc:Vpc::default","newState":{{"custom":true,"external":true,"type":"aws:ec2/vpc:Vpc","outputs":{{"id":"vpc-1"}}}}}}
        ],"changeSummary":{{"replace":1}}}}"#
    )
}

#[test]
fn pulumi_preview_steps_fold_into_resources() {
    let stack = read_input("preview.json", preview_text().as_bytes(), None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.format, InputFormat::PulumiPreview);
    assert_eq!(stack.resources.len(), 3);
    let b = find(&stack, "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b");
    assert_eq!(
        (b.op, b.kind, b.name.as_str()),
        (Operation::Replace, ResourceKind::Managed, "b")
    );
    assert_eq!(
        b.props["acl"], "public-read",
        "inputs when outputs are empty"
    );
    assert_eq!(b.props["arn"], UNKNOWN);
    assert_eq!(b.props["key"], UNKNOWN);
    assert!(b.secret.contains(&vec![key("key")]));
    assert_eq!(
        b.before.as_ref().map(|v| v["acl"].clone()),
        Some(Value::from("private"))
    );
    let vpc = find(&stack, "urn:pulumi:dev::p::aws:ec2/vpc:Vpc::default");
    assert_eq!((vpc.op, vpc.kind), (Operation::Read, ResourceKind::Data));
    assert_eq!(stack.policy_target_count(), 1);
}

#[test]
fn pulumi_events_as_a_json_array_and_plaintext_secrets() {
    let urn = "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b";
    let plain = r#"{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","plaintext":"{\"x\":1}"}"#;
    let text = format!(
        r#"[{{"sequence":1,"timestamp":1,"resourcePreEvent":{{"metadata":{{"op":"create","urn":"{urn}","type":"aws:s3/bucket:Bucket","new":{{"custom":true,"inputs":{{"cfg":{plain},"pw":"[secret]"}}}}}}}}}}]"#
    );
    let stack = read_input("ev.json", text.as_bytes(), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.format, InputFormat::PulumiEvents);
    let b = find(&stack, urn);
    assert_eq!(b.props["cfg"]["x"], 1);
    assert_eq!(b.props["pw"], UNKNOWN);
    assert!(b.secret.contains(&vec![key("cfg")]) && b.secret.contains(&vec![key("pw")]));
}

#[test]
fn utf16_and_bom_inputs_decode() {
    let plan = r#"{"format_version":"1.0","resource_changes":[]}"#;
    let mut le = vec![0xFF, 0xFE];
    le.extend(plan.encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xFE, 0xFF];
    be.extend(plan.encode_utf16().flat_map(u16::to_be_bytes));
    let mut utf8 = vec![0xEF, 0xBB, 0xBF];
    utf8.extend(plan.bytes());
    for bytes in [le, be, utf8] {
        let stack = read_input("p.json", &bytes, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (stack.format, stack.resources.len()),
            (InputFormat::TfPlan, 0)
        );
    }
}

#[test]
fn input_format_names_round_trip() {
    for name in FORMAT_NAMES {
        let format: InputFormat = name.parse().unwrap_or_else(|e: String| panic!("{e}"));
        assert_eq!(format.to_string(), *name);
    }
    let e = "cloudformation"
        .parse::<InputFormat>()
        .err()
        .unwrap_or_default();
    assert!(e.contains("tfplan") && e.contains("pulumi-events"), "{e}");
}

#[test]
fn zz_print_messages() {
    let cases: &[(&str, &[u8])] = &[
        ("bad.json", b"{\n  \"resource_changes\": [\n    {\"address\": }\n  ]\n}"),
        ("plan.json", br#"{"format_version":"1.2","resource_changes":[{"address":5}]}"#),
        ("plan.json", br#"{"resource_changes":[{"address":"a.b","mode":"managed","type":"a","name":"b","change":{"actions":["explode"]}}]}"#),
        ("plan.json", br#"{"resource_changes":[{"address":"a.b","mode":"managed","type":"a","name":"b"}]}"#),
        ("thing.json", br#"{"foo": 1, "bar": [2]}"#),
        ("thing.json", br#"[1,2]"#),
        ("thing.json", br#""hello""#),
        ("empty.json", b""),
        ("pod.yaml", b"apiVersion: v1\nkind: Pod\n"),
        ("p.json", br#"{"format_version":"1.2","errored":true}"#),
        ("s.tfstate", br#"{"version":3,"serial":1,"lineage":"x","modules":[]}"#),
        ("p.json", br#"{"format_version":"2.0"}"#),
        ("e.json", br#"{"version":2,"deployment":{}}"#),
        ("x.json", b"{\"a\": \"\xff\"}"),
        ("x.json", b"\xff\xfe{\x00\x00\xd8"),
        ("ev.jsonl", b"{\"sequence\":1,\"timestamp\":2,\"cancelEvent\":{}}\n{\"foo\":1}\n"),
        ("ev.jsonl", b"{\"sequence\":1,\"timestamp\":2,\"resourcePreEvent\":{\"metadata\":{\"op\":\"zap\",\"urn\":\"u\"}}}\n"),
        ("random.txt", b"hello world\nthis is not json\n"),
    ];
    for (name, bytes) in cases {
        match read_input(name, bytes, None) {
            Ok(s) => eprintln!("OK {} {}", s.format, s.resources.len()),
            Err(e) => eprintln!("{e}\n"),
        }
    }
}
