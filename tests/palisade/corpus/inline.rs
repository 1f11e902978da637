//! Normalizations of small inline inputs: Pulumi previews and event arrays,
//! UTF-16 and BOM decoding, format names, deposed/importing/forgotten plan
//! entries, state index keys and `terraform show -json` of a state.

use palisade_engine::input::{FORMAT_NAMES, InputFormat, read_input};
use palisade_engine::model::{Operation, ResourceKind, UNKNOWN};
use serde_json::Value;

use super::{find, idx, key};

const SECRET: &str = r#"{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"v1:abc"}"#;

fn preview_text() -> String {
    let urn = "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b";
    let old = format!(r#"{{"urn":"{urn}","custom":true,"type":"aws:s3/bucket:Bucket","outputs":{{"acl":"private"}}}}"#);
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
    let stack = read_input("preview.json", preview_text().as_bytes(), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.format, InputFormat::PulumiPreview);
    assert_eq!(stack.resources.len(), 3);
    let b = find(&stack, "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b");
    assert_eq!((b.op, b.kind, b.name.as_str()), (Operation::Replace, ResourceKind::Managed, "b"));
    assert_eq!(b.props["acl"], "public-read", "inputs when outputs are empty");
    assert_eq!(b.props["arn"], UNKNOWN);
    assert_eq!(b.props["key"], UNKNOWN);
    assert!(b.secret.contains(&vec![key("key")]));
    assert_eq!(b.before.as_ref().map(|v| v["acl"].clone()), Some(Value::from("private")));
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
        assert_eq!((stack.format, stack.resources.len()), (InputFormat::TfPlan, 0));
    }
}

#[test]
fn input_format_names_round_trip() {
    for name in FORMAT_NAMES {
        let format: InputFormat = name.parse().unwrap_or_else(|e: String| panic!("{e}"));
        assert_eq!(format.to_string(), *name);
    }
    let e = "cloudformation".parse::<InputFormat>().err().unwrap_or_default();
    assert!(e.contains("tfplan") && e.contains("pulumi-events"), "{e}");
}

#[test]
fn plan_deposed_importing_and_forget_entries() {
    let rc = |address: &str, actions: &str, extra: &str| {
        format!(
            r#"{{"address":"{address}","mode":"managed","type":"t","name":"n","provider_name":"p",{extra}
            "change":{{"actions":{actions},"before":{{"a":1}},"after":null,"after_unknown":{{}}}}}}"#
        )
    };
    let text = format!(
        r#"{{"format_version":"1.2","resource_changes":[{},{},{}]}}"#,
        rc("t.n", r#"["delete"]"#, r#""deposed":"00abc","#),
        rc("t.m", r#"["no-op"]"#, "").replace(r#""after_unknown""#, r#""importing":{"id":"i-1"},"after_unknown""#),
        rc("t.f", r#"["forget"]"#, ""),
    );
    let stack = read_input("p.json", text.as_bytes(), None).unwrap_or_else(|e| panic!("{e}"));
    let deposed = find(&stack, "t.n (deposed 00abc)");
    assert_eq!(deposed.op, Operation::Delete);
    assert_eq!(find(&stack, "t.m").op, Operation::Import);
    let forgotten = find(&stack, "t.f");
    assert_eq!((forgotten.op, forgotten.props.is_null()), (Operation::Forget, true));
    assert_eq!(stack.policy_target_count(), 1);
}

#[test]
fn state_deposed_index_keys_and_sensitive_attributes() {
    let text = r#"{"version":4,"terraform_version":"1.5.0","serial":3,"lineage":"l","resources":[
      {"module":"module.a[\"x.y\"]","mode":"managed","type":"aws_db_instance","name":"db",
       "provider":"provider[\"registry.terraform.io/hashicorp/aws\"]","instances":[
        {"index_key":"k\"${q}","attributes":{"password":"hunter2","list":[{"v":1}]},
         "sensitive_attributes":[[{"type":"get_attr","value":"password"}],
           [{"type":"get_attr","value":"list"},{"type":"index","value":{"value":0,"type":"number"}},{"type":"get_attr","value":"v"}],
           [{"type":"mystery"}]]},
        {"index_key":"k","deposed":"d1","attributes":{}}]}]}"#;
    let stack = read_input("s.tfstate", text.as_bytes(), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.format, InputFormat::TfState);
    let db = find(&stack, r#"module.a["x.y"].aws_db_instance.db["k\"$${q}"]"#);
    assert_eq!(db.secret, vec![vec![key("password")], vec![key("list"), idx(0), key("v")]]);
    assert_eq!(db.provider, r#"provider["registry.terraform.io/hashicorp/aws"]"#);
    let old = find(&stack, r#"module.a["x.y"].aws_db_instance.db["k"] (deposed d1)"#);
    assert_eq!(old.op, Operation::NoOp);
}

#[test]
fn terraform_show_json_of_a_state_reads_as_tfstate() {
    let text = r#"{"format_version":"1.0","terraform_version":"1.5.0","values":{"root_module":{
      "resources":[{"address":"aws_s3_bucket.b","mode":"managed","type":"aws_s3_bucket","name":"b",
        "provider_name":"registry.terraform.io/hashicorp/aws","values":{"bucket":"x","secret":"s"},
        "sensitive_values":{"secret":true}}],
      "child_modules":[{"address":"module.m","resources":[{"address":"module.m.data.aws_region.r",
        "mode":"data","type":"aws_region","name":"r","values":{}}]}]}}}"#;
    let stack = read_input("show.json", text.as_bytes(), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((stack.format, stack.resources.len(), stack.policy_target_count()), (InputFormat::TfState, 2, 1));
    assert_eq!(find(&stack, "aws_s3_bucket.b").secret, vec![vec![key("secret")]]);
    assert_eq!(find(&stack, "module.m.data.aws_region.r").kind, ResourceKind::Data);
}
