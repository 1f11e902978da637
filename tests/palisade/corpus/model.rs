//! Specific normalizations of chosen corpus files: unknown and sensitive
//! values, `for_each` keys in addresses, deletes, data sources, replaces,
//! Pulumi secrets, kinds and event sequences.

use palisade_engine::model::{Operation, Path, ResourceKind, UNKNOWN};
use serde_json::Value;

use super::{at, find, idx, key, read};

// ------------------------------------------------------------ Terraform

#[test]
fn plan_after_unknown_leaves_are_unknown_even_when_absent_from_after() {
    let stack = read("tfplan", "bridgecrewio__checkov__booleans-sensitive.json");
    let vm = find(&stack, "google_compute_instance.default");
    assert_eq!(vm.op, Operation::Create);
    let disk = &vm.props["boot_disk"][0];
    assert_eq!(disk["device_name"], UNKNOWN, "absent from after, true in after_unknown");
    assert_eq!(disk["initialize_params"][0]["size"], UNKNOWN);
    assert_eq!(disk["initialize_params"][0]["image"], "debian-cloud/debian-9", "known values kept");
    assert_eq!(disk["auto_delete"], true);
    let tags = read("tfplan", "bridgecrewio__checkov__tags-variety.json");
    let asg = find(&tags, "aws_autoscaling_group.example");
    assert_eq!(asg.props["arn"], UNKNOWN);
    let table = find(&tags, "aws_dynamodb_table.basic-dynamodb-table");
    assert_ne!(table.props["tags_all"], UNKNOWN, "after_unknown {{}} marks nothing");
}

#[test]
fn plan_sensitive_paths_are_secret() {
    let stack = read("tfplan", "bridgecrewio__checkov__booleans-sensitive.json");
    let vm = find(&stack, "google_compute_instance.default");
    let raw_key: Path = vec![key("boot_disk"), idx(0), key("disk_encryption_key_raw")];
    assert!(vm.secret.contains(&raw_key), "{:?}", vm.secret);
    assert!(!vm.secret.contains(&vec![key("service_account"), idx(0), key("scopes"), idx(0)]), "false marks nothing");
    assert!(!vm.secret.contains(&vec![key("tags"), idx(0)]));
    let plan = read("tfplan", "terraform-compliance__cli__issue522-drift-delete-update.json");
    let param = find(&plan, "aws_ssm_parameter.lambda_sg_id");
    assert!(param.secret.contains(&vec![key("value")]));
    let lambda = find(&plan, "aws_lambda_function.lambda");
    assert!(lambda.secret.contains(&vec![key("environment"), idx(0), key("variables"), key("EVENT_BUS_ARN")]));
    // A UTF-16 plan: decoded, and its sensitive value found.
    let utf16 = read("tfplan", "bridgecrewio__checkov__lifecycle-sensitive-utf16.json");
    assert!(find(&utf16, "aws_acm_certificate.acme").secret.contains(&vec![key("private_key")]));
}

#[test]
fn for_each_keys_with_quotes_and_dots_survive_in_addresses() {
    let plan = read("tfplan", "bridgecrewio__checkov__for-each-modules-tf1.9.json");
    let zone = find(&plan, r#"aws_route53_zone.example["example.com"]"#);
    assert_eq!((zone.resource_type.as_str(), zone.name.as_str()), ("aws_route53_zone", "example"));
    find(&plan, r#"module.sg["awful_example"].aws_security_group.bad"#);
    let nested = read("tfplan", "terraform-compliance__cli__modules-intstr-index-sensitive.json");
    find(
        &nested,
        r#"module.apigw_test_1.module.acm_cert_regional[0].aws_route53_record.cert_validation["testapi.cc.aws.cmclabs.io"]"#,
    );
    let state = read("tfstate", "opentofu__opentofu__v4-modules-roundtrip.json");
    find(&state, r#"module.modB.null_resource.bar["a"]"#);
    find(&state, r#"module.modB.null_resource.bar["b"]"#);
    let route53 = read("tfstate", "snyk__driftctl__aws_route53_record_multiples.json");
    find(&route53, "aws_route53_record.test[3]");
}

#[test]
fn deleted_resources_have_op_delete_and_are_not_policy_targets() {
    let plan = read("tfplan", "opentofu__opentofu__show-json-basic-delete.json");
    let gone = find(&plan, "test_instance.test-delete");
    assert_eq!(gone.op, Operation::Delete);
    assert!(gone.props.is_null());
    assert_eq!(gone.before.as_ref().map(|b| b["ami"].clone()), Some(Value::from("foo")));
    assert!(!gone.is_policy_target());
    assert_eq!(find(&plan, "test_instance.test").op, Operation::Update);
    let events = read("pulumi_events", "pulumi__pulumi__events-destroy-with-deep-hierarchy.jsonl");
    let child = find(&events, "urn:pulumi:dev::myproject::my:component:Child::mychild");
    assert_eq!((child.op, child.kind), (Operation::Delete, ResourceKind::Component));
    assert!(!child.is_policy_target());
}

#[test]
fn data_sources_are_kind_data() {
    let plan = read("tfplan", "bridgecrewio__checkov__data-sources-deferred-read.json");
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
    let cbd = read("tfplan", "bridgecrewio__checkov__create-before-destroy-replace.json");
    assert_eq!(find(&cbd, "aws_secretsmanager_secret.default").op, Operation::Replace);
    let dbc = read("tfplan", "opentofu__opentofu__show-json-requires-replace.json");
    assert_eq!(find(&dbc, "test_instance.test").op, Operation::Replace);
}

// --------------------------------------------------------------- Pulumi

#[test]
fn pulumi_ciphertext_secret_becomes_unknown_and_secret() {
    let stack = read("pulumi_stack_export", "pulumi__pulumi__checkpoint-v3-secrets.json");
    let role =
        stack.resources.iter().find(|r| r.name == "countDown_watcher-iamrole").unwrap_or_else(|| panic!("no role"));
    assert_eq!(role.props["assumeRolePolicy"], UNKNOWN);
    assert!(role.secret.contains(&vec![key("assumeRolePolicy")]));
    assert_eq!(role.kind, ResourceKind::Managed);
    let func = stack
        .resources
        .iter()
        .find(|r| r.name == "countDown_watcher" && r.resource_type == "aws:lambda/function:Function")
        .unwrap_or_else(|| panic!("no function"));
    let target: Path = vec![key("deadLetterConfig"), idx(0), key("targetArn")];
    assert_eq!(at(&func.props, &target), UNKNOWN);
    assert!(func.secret.contains(&target));
}

#[test]
fn pulumi_kinds_and_resource_references() {
    let stack = read("pulumi_stack_export", "pulumi__pulumi-awsx__stack-export-ts-ecr-repo.json");
    let root = find(&stack, "urn:pulumi:test::ecr::pulumi:pulumi:Stack::ecr-test");
    assert_eq!((root.kind, root.name.as_str()), (ResourceKind::Component, "ecr-test"));
    let aws = find(&stack, "urn:pulumi:test::ecr::pulumi:providers:aws::default_5_35_0");
    assert_eq!(aws.kind, ResourceKind::Provider);
    let repo = find(&stack, "urn:pulumi:test::ecr::awsx:ecr:Repository::repository");
    assert_eq!(repo.kind, ResourceKind::Component);
    assert!(repo.props["repository"].is_string(), "a resource reference becomes its id: {}", repo.props);
    let ecr = find(&stack, "urn:pulumi:test::ecr::awsx:ecr:Repository$aws:ecr/repository:Repository::repository");
    assert_eq!((ecr.kind, ecr.resource_type.as_str()), (ResourceKind::Managed, "aws:ecr/repository:Repository"));
    assert!(ecr.provider.starts_with("urn:pulumi:test::ecr::pulumi:providers:aws::"));
}

#[test]
fn pulumi_event_replace_sequence_is_one_replace_with_new_props() {
    let stack = read("pulumi_events", "pulumi__pulumi__events-webserver-userdata.jsonl");
    let urns: Vec<&str> = stack.resources.iter().map(|r| r.address.as_str()).collect();
    let www: Vec<&&str> = urns.iter().filter(|u| u.ends_with("::web-server-www")).collect();
    assert_eq!(www.len(), 1, "{urns:?}");
    let server = find(&stack, www[0]);
    assert_eq!((server.op, server.kind), (Operation::Replace, ResourceKind::Managed));
    assert!(server.props.is_object() && server.before.is_some());
    assert!(server.is_policy_target());
    assert_eq!(stack.resources[0].resource_type, "pulumi:pulumi:Stack", "first-seen order");
}

#[test]
fn pulumi_event_blinded_secrets_are_unknown_and_secret() {
    let stack = read("pulumi_events", "pulumi__pulumi__events-failed-stacks-dont-rewrite-operations.jsonl");
    let x = find(&stack, "urn:pulumi:dev::test::pulumi-python:dynamic:Resource::test-x");
    assert_eq!(x.op, Operation::Update);
    assert_eq!(x.props["__provider"], UNKNOWN);
    assert!(x.secret.contains(&vec![key("__provider")]));
    let r = find(&stack, "urn:pulumi:dev::test::pulumi-python:dynamic:Resource::test-r");
    assert_eq!(r.op, Operation::Replace, "a lone delete-replaced stays a replace");
    let interrupted = read("pulumi_events", "pulumi__pulumi__events-up-interrupted.jsonl");
    let db = find(&interrupted, "urn:pulumi:dev::myproject::aws:rds/instance:Instance::interrupted-db");
    assert_eq!(db.op, Operation::Update);
}
