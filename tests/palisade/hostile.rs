//! Hostile guests (`tests/guests/*.wat`): every fault is contained. A
//! load-time fault is attributed to its pack, a run-time fault to its policy,
//! and the other policies' results are unchanged.

use palisade_engine::input::read_input;
use palisade_engine::{FaultKind, PackErrorKind, PolicySettings};

use crate::support::{baseline, build_wat, code, engine, palisade, repo};

const PLAN: &str = r#"{"format_version":"1.2","resource_changes":[
 {"address":"aws_s3_bucket.logs","mode":"managed","type":"aws_s3_bucket","name":"logs","provider_name":"registry.terraform.io/hashicorp/aws",
  "change":{"actions":["create"],"before":null,"after":{"bucket":"logs","acl":"public-read"},"after_unknown":{"id":true}}},
 {"address":"aws_ebs_volume.data","mode":"managed","type":"aws_ebs_volume","name":"data","provider_name":"registry.terraform.io/hashicorp/aws",
  "change":{"actions":["create"],"before":null,"after":{"encrypted":false,"size":10},"after_unknown":{"id":true}}}]}"#;

#[test]
fn runtime_faults_are_errors_of_their_policy_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(300);
    let hostile = engine.load_pack_file(&build_wat("hostile", dir.path())).expect("hostile pack loads");
    let stack = read_input("plan.json", PLAN.as_bytes(), None).expect("plan parses");

    let alone = engine.check(&[baseline(&engine)], std::slice::from_ref(&stack), &PolicySettings::default());
    let both = engine.check(&[baseline(&engine), hostile], &[stack], &PolicySettings::default());

    let kinds: Vec<(&str, FaultKind)> = both.policy_errors.iter().map(|e| (e.policy.as_str(), e.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            ("abi-liar-policy", FaultKind::Abi),
            ("bomb-policy", FaultKind::Memory),
            ("exit-policy", FaultKind::Trap),
            ("loop-policy", FaultKind::Timeout),
            ("trap-policy", FaultKind::Trap),
        ]
    );
    for e in &both.policy_errors {
        assert_eq!(e.pack, "hostile");
        assert_eq!(e.resources, vec!["aws_s3_bucket.logs".to_string()], "{e:?}");
    }
    // The good policy of the hostile pack still reports, after every fault.
    assert!(both.violations.iter().any(|v| v.policy == "good-policy" && v.resource == "aws_s3_bucket.logs"));
    // The baseline pack's results are exactly what they are without the hostile pack.
    let baseline_only: Vec<_> = both.violations.iter().filter(|v| v.pack == "aws-baseline").cloned().collect();
    assert_eq!(baseline_only, alone.violations);
    assert!(!alone.violations.is_empty());
    assert!(both.blocks());
}

/// A policy that times out on one batch of an input is not run again on the
/// input's other batches: they get the same error, so every resource is
/// still reported and the report does not depend on the batching.
#[test]
fn a_policy_that_times_out_is_not_retried_on_every_batch() {
    use palisade_engine::{EngineBuilder, Limits};
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = build_wat("hostile", dir.path());
    let changes: Vec<String> = (0..40)
        .map(|i| {
            format!(
                r#"{{"address":"aws_s3_bucket.b{i}","mode":"managed","type":"aws_s3_bucket","name":"b{i}","provider_name":"aws",
                 "change":{{"actions":["create"],"before":null,"after":{{"bucket":"b{i}"}},"after_unknown":{{}}}}}}"#
            )
        })
        .collect();
    let plan = format!(r#"{{"format_version":"1.2","resource_changes":[{}]}}"#, changes.join(","));
    let stack = read_input("plan.json", plan.as_bytes(), None).expect("plan parses");
    let limits = Limits { call_deadline: std::time::Duration::from_millis(200), ..Limits::default() };
    let mut reports = Vec::new();
    for batch in [4, 256] {
        let engine = EngineBuilder::new().limits(limits).batch_size(batch).build().expect("engine");
        let pack = engine.load_pack_file(&wasm).expect("hostile pack loads");
        let found = engine.check(&[pack], std::slice::from_ref(&stack), &PolicySettings::default());
        let looped: Vec<_> = found.policy_errors.iter().filter(|e| e.policy == "loop-policy").collect();
        let mut covered: Vec<&str> = looped.iter().flat_map(|e| e.resources.iter().map(String::as_str)).collect();
        covered.sort_unstable();
        covered.dedup();
        assert_eq!(covered.len(), 40, "every bucket gets the loop policy's error (batch {batch})");
        assert!(looped.iter().all(|e| e.kind == FaultKind::Timeout && e.message == looped[0].message), "{looped:#?}");
        reports.push(looped.iter().map(|e| (e.kind, e.message.clone())).collect::<std::collections::BTreeSet<_>>());
    }
    assert_eq!(reports[0], reports[1], "the same error whatever the batching");
}

#[test]
fn runtime_faults_through_the_cli_exit_1_with_a_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = build_wat("hostile", dir.path());
    let plan = dir.path().join("plan.json");
    std::fs::write(&plan, PLAN).expect("write plan");
    let out = palisade(
        &[
            "check",
            "--format",
            "json",
            "--policy-timeout-ms",
            "300",
            "--pack",
            wasm.to_str().unwrap_or_default(),
            plan.to_str().unwrap_or_default(),
        ],
        None,
    );
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let report = crate::support::json(&out);
    assert_eq!(report["summary"]["policy_errors"], 5);
    assert_eq!(report["violations"][0]["policy"], "good-policy");
}

#[test]
fn load_faults_are_errors_of_their_pack() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(300);
    let wrong = engine.load_pack_file(&build_wat("wrong_abi", dir.path())).expect_err("ABI 2 is refused");
    assert!(wrong.path.ends_with("wrong_abi.wasm"));
    let text = wrong.to_string();
    assert!(text.contains("version 2") && text.contains("version 1"), "{text}");

    let import = engine.load_pack_file(&build_wat("bad_import", dir.path())).expect_err("env import is refused");
    assert!(
        matches!(&import.kind, PackErrorKind::Import { module, name } if module == "env" && name == "http_get"),
        "{import}"
    );

    // WASI preview 1 is its functions, with their signatures: no made-up
    // names, no other shapes.
    for (import, name) in [
        (r#"(import "wasi_snapshot_preview1" "totally_made_up" (func (result i32)))"#, "totally_made_up"),
        (r#"(import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result f32)))"#, "fd_write"),
    ] {
        let bytes = wat::parse_str(format!("(module {import} (memory (export \"memory\") 1))")).expect("valid wat");
        let err = engine.load_pack("wasi.wasm", &bytes).expect_err("refused");
        assert!(matches!(&err.kind, PackErrorKind::Import { name: n, .. } if n == name), "{err}");
    }
    let empty = engine.load_pack("empty.wasm", b"").expect_err("an empty file is refused");
    assert!(empty.to_string().contains("the file is empty"), "{empty}");

    let looping =
        engine.load_pack_file(&build_wat("describe_loop", dir.path())).expect_err("looping describe is stopped");
    assert!(matches!(&looping.kind, PackErrorKind::Guest(f) if f.kind == FaultKind::Timeout), "{looping}");

    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"\0asm\x01\0\0\0garbage").expect("write");
    let err = engine.load_pack_file(&garbage).expect_err("garbage is refused");
    assert!(matches!(err.kind, PackErrorKind::Compile(_)), "{err}");
}

#[test]
fn a_pack_that_fails_to_load_exits_2_naming_the_pack() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = build_wat("wrong_abi", dir.path());
    let plan = repo("examples/plans/web-stack.tfplan.json");
    let out =
        palisade(&["check", "--pack", wasm.to_str().unwrap_or_default(), plan.to_str().unwrap_or_default()], None);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong_abi.wasm") && err.contains("ABI version 2"), "{err}");
    assert!(out.stdout.is_empty(), "no partial report");
}
