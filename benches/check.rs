//! `check` of the built-in pack over generated Terraform plans of 1k and 10k
//! resources, beside a bare `serde_json` parse of the same bytes (baseline)
//! and the conventional-secret marking of `read_input` alone;
//! then, on the 10k plan's report (2,500 violations), each report format
//! beside the JSON one (baseline), 100 exemptions and a baseline applied.
//!
//! Run: `cargo bench --bench check`. Results: `benches/README.md`.
//!
//! The plans follow `../shared/notes/peers.md`: half security groups, half
//! EBS volumes, about a quarter violating, spread over 50 `for_each` module
//! instances.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use palisade_engine::baseline::Baseline;
use palisade_engine::exemption::Exemptions;
use palisade_engine::input::read_input;
use palisade_engine::report::{Format, RenderOptions, Report};
use palisade_engine::{EngineBuilder, PolicySettings, mark_conventional_secrets};
use serde_json::{Value, json};

/// A plan of `n` resources; a quarter violate one policy each
/// (i % 8 == 0: a security group open to 0.0.0.0/0; i % 8 == 1: an unencrypted volume).
/// Its `configuration` section (as `terraform show -json` writes it) has
/// each resource in the `svc` module, its arguments as constants.
fn plan(n: usize) -> Vec<u8> {
    let changes = changes(n);
    let resources: Vec<Value> = changes
        .iter()
        .map(|c| {
            let expressions: serde_json::Map<String, Value> = c["change"]["after"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), json!({"constant_value": v})))
                .collect();
            json!({"address": format!("{}.{}", c["type"].as_str().unwrap_or_default(), c["name"].as_str().unwrap_or_default()),
                "mode": "managed", "type": c["type"], "name": c["name"], "provider_config_key": "aws",
                "expressions": expressions, "schema_version": 0})
        })
        .collect();
    let configuration = json!({
        "provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}},
        "root_module": {"module_calls": {"svc": {"source": "./svc", "for_each_expression": {"references": ["local.services"]},
            "module": {"resources": resources}}}}
    });
    serde_json::to_vec(&json!({"format_version": "1.2", "terraform_version": "1.9.5", "resource_changes": changes,
        "configuration": configuration}))
    .expect("plan serializes")
}

/// `plan` without its `configuration` section.
fn without_configuration(plan: &[u8]) -> Vec<u8> {
    let mut doc: Value = serde_json::from_slice(plan).expect("plan is JSON");
    if let Some(map) = doc.as_object_mut() {
        map.remove("configuration");
    }
    serde_json::to_vec(&doc).expect("plan serializes")
}

/// The `resource_changes` of [`plan`].
fn changes(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let module = format!("module.svc[\"svc-{}\"]", i % 50);
            let bad = i % 8 < 2;
            let (ty, name, after) = if i % 2 == 0 {
                let cidr = if bad { "0.0.0.0/0" } else { "10.0.0.0/8" };
                let ingress = json!([{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": [cidr],
                    "ipv6_cidr_blocks": [], "description": "ssh", "prefix_list_ids": [], "security_groups": [], "self": false}]);
                ("aws_security_group", format!("sg{i}"), json!({"name": format!("sg{i}"), "ingress": ingress, "egress": [], "tags": {"team": "a"}}))
            } else {
                ("aws_ebs_volume", format!("vol{i}"), json!({"availability_zone": "eu-west-1a", "size": 10, "encrypted": !bad, "tags": {"team": "a"}}))
            };
            json!({"address": format!("{module}.{ty}.{name}"), "module_address": module, "mode": "managed", "type": ty, "name": name,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["create"], "before": null, "after": after, "after_unknown": {"id": true, "arn": true}}})
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let engine = EngineBuilder::new().build().expect("engine");
    let pack = engine.load_pack(palisade::AWS_BASELINE.path, palisade::AWS_BASELINE.wasm).expect("aws-baseline loads");
    let packs = [pack];
    for n in [1_000usize, 10_000] {
        let bytes = plan(n);
        let mut group = c.benchmark_group(format!("plan_{}k", n / 1000));
        group.sample_size(if n > 1000 { 10 } else { 30 });
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function("serde_json_parse", |b| {
            b.iter(|| black_box(serde_json::from_slice::<Value>(black_box(&bytes)).expect("valid JSON")))
        });
        group.bench_function("read_input", |b| {
            b.iter(|| black_box(read_input("bench.json", black_box(&bytes), None).expect("valid plan")))
        });
        // Issue 16: the same plan without its configuration section (as
        // older tools print it), so the configuration's cost is read_input
        // minus this, in the same run.
        let bare = without_configuration(&bytes);
        group.bench_function("serde_json_parse_without_configuration", |b| {
            b.iter(|| black_box(serde_json::from_slice::<Value>(black_box(&bare)).expect("valid JSON")))
        });
        group.bench_function("read_input_without_configuration", |b| {
            b.iter(|| black_box(read_input("bench.json", black_box(&bare), None).expect("valid plan")))
        });
        // Issue 7: marking values under conventionally secret names, part
        // of read_input, alone (on clones of the parsed resources).
        let parsed = read_input("bench.json", &bytes, None).expect("valid plan");
        group.bench_function("mark_conventional_secrets", |b| {
            b.iter_batched(
                || parsed.resources.clone(),
                |mut resources| {
                    resources.iter_mut().for_each(mark_conventional_secrets);
                    resources
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function("check_aws_baseline", |b| {
            b.iter(|| {
                let stack = read_input("bench.json", black_box(&bytes), None).expect("valid plan");
                let findings = engine.check(&packs, &[stack], &PolicySettings::default());
                assert_eq!(findings.violations.len(), n / 4);
                black_box(findings)
            })
        });
        group.finish();
    }
    reports(c, &engine, &packs);
}

/// Rendering each format, and exemptions and a baseline, on the report of
/// the 10k plan (2,500 violations; 12,500 policy x resource evaluations).
fn reports(c: &mut Criterion, engine: &palisade_engine::Engine, packs: &[palisade_engine::Pack]) {
    let stack = read_input("bench.json", &plan(10_000), None).expect("valid plan");
    let settings = PolicySettings::default();
    let report = Report::new(engine.check(packs, &[stack], &settings), packs, &settings, Vec::new(), "bench");
    let mut group = c.benchmark_group("report_10k");
    group.sample_size(20);
    for format in Format::ALL {
        group.bench_function(format!("render_{format}"), |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(1 << 22);
                palisade_engine::report::render(black_box(&report), format, &RenderOptions::default(), &mut out)
                    .expect("renders");
                black_box(out)
            })
        });
    }
    // 100 exemptions, each a glob over one module's volumes: 50 match, 50 do not.
    let mut text = String::from("exemptions:\n");
    for i in 0..100 {
        text.push_str(&format!(
            "  - {{policy: aws-ebs-volume-disallow-unencrypted-volume, resource: 'module.svc[\"svc-{i}\"].aws_ebs_volume.*', reason: r}}\n"
        ));
    }
    let exemptions = Exemptions::parse("bench.yaml", &text).expect("valid exemptions");
    let today = jiff::civil::date(2026, 1, 1);
    group.bench_function("apply_100_exemptions", |b| {
        b.iter(|| {
            let mut r = report.clone();
            r.apply_exemptions(black_box(&exemptions), today);
            assert_eq!(r.exempted.len(), 1250);
            black_box(r)
        })
    });
    let mut json = Vec::new();
    palisade_engine::report::render_json(&report, &mut json).expect("renders");
    let baseline = Baseline::parse("bench.json", &json).expect("valid baseline");
    group.bench_function("apply_baseline", |b| {
        b.iter(|| {
            let mut r = report.clone();
            r.apply_baseline(black_box(&baseline));
            assert_eq!(r.baselined.len(), 2500);
            black_box(r)
        })
    });
    group.bench_function("clone_report_baseline", |b| b.iter(|| black_box(report.clone())));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
