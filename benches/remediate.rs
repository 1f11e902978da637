//! Remediation on a 10k-resource live inventory, half of it missing the
//! required `owner` tag: `check` with the built-in `required-tags` at level
//! advisory (baseline: no fixes) and at level remediate (each fix resolved
//! against its resource), then the remediation plan, then the remediation
//! report in JSON (baseline), HTML and Markdown.
//!
//! Run: `cargo bench --bench remediate`. Results: `benches/README.md`.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use palisade_engine::input::InputFormat;
use palisade_engine::inventory::{Inventory, InventoryResource, ScanFilters, ScanScope, ScopeStatus};
use palisade_engine::model::Stack;
use palisade_engine::remediation::plan::{InventoryRef, RemediationPlan};
use palisade_engine::remediation::render;
use palisade_engine::remediation::report::{ChangeOutcome, ChangeStatus, Mode, RemediationReport, RunInfo};
use palisade_engine::{EnforcementLevel, EngineBuilder, PolicySettings};
use serde_json::json;

const N: usize = 10_000;

/// `n` S3 buckets and SNS topics in eu-west-1; even ones lack `owner`.
fn inventory(n: usize) -> Inventory {
    let resources = (0..n)
        .map(|i| {
            let mut tags = BTreeMap::from([("env".to_string(), "prod".to_string())]);
            if i % 2 == 1 {
                tags.insert("owner".into(), "team".into());
            }
            let (arn, service, ty, tf) = if i % 3 == 0 {
                (format!("arn:aws:sns:eu-west-1:123456789012:topic-{i:05}"), "sns", "sns", "aws_sns_topic")
            } else {
                (format!("arn:aws:s3:::bucket-{i:05}"), "s3", "s3", "aws_s3_bucket")
            };
            InventoryResource {
                arn,
                service: service.into(),
                resource_type: ty.into(),
                terraform_type: Some(tf.into()),
                id: Some(format!("r{i}")),
                region: "eu-west-1".into(),
                account: "123456789012".into(),
                tags,
                seen_at: "2026-11-30T10:00:00Z".into(),
                found_by: palisade_engine::inventory::FOUND_BY_TAGGING.into(),
                raw: None,
                properties: None,
                unread: Vec::new(),
                part_of: None,
            }
        })
        .collect::<Vec<_>>();
    let mut resources = resources;
    resources.sort_by(|a, b| a.arn.cmp(&b.arn));
    Inventory {
        format: "palisade-inventory".into(),
        version: 1,
        provider: "aws".into(),
        started_at: "2026-11-30T10:00:00Z".into(),
        finished_at: "2026-11-30T10:00:05Z".into(),
        filters: ScanFilters::default(),
        scopes: vec![ScanScope {
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            role_arn: None,
            status: ScopeStatus::Complete,
            error: None,
            pages: (n as u64).div_ceil(100),
            resources: n as u64,
            calls: Default::default(),
            types: Default::default(),
        }],
        resources,
    }
}

fn settings(level: EnforcementLevel) -> PolicySettings {
    let mut s = PolicySettings::default();
    s.levels.insert("required-tags".into(), level);
    s.configs.insert("required-tags".into(), json!({"tags": ["owner"], "defaults": {"owner": "platform"}}));
    s
}

fn bench(c: &mut Criterion) {
    let engine = EngineBuilder::new().build().expect("engine");
    let pack = engine.load_pack(palisade::AWS_BASELINE.path, palisade::AWS_BASELINE.wasm).expect("aws-baseline loads");
    let packs = [pack];
    let inv = inventory(N);
    let stack = Stack {
        source: "inventory.json".into(),
        format: InputFormat::Inventory,
        notes: Vec::new(),
        resources: inv.to_resources("inventory.json"),
    };
    let stacks = [stack];
    let advisory = settings(EnforcementLevel::Advisory);
    let remediate = settings(EnforcementLevel::Remediate);

    let mut group = c.benchmark_group("remediate_10k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("check_advisory", |b| b.iter(|| black_box(engine.check(&packs, &stacks, &advisory))));
    group.bench_function("check_remediate", |b| b.iter(|| black_box(engine.check(&packs, &stacks, &remediate))));
    let findings = engine.check(&packs, &stacks, &remediate);
    let fixes = findings.violations.iter().filter(|v| v.remediation.is_some()).count();
    assert_eq!(fixes, N / 2, "every resource without owner gets a fix");
    let inventory_ref = InventoryRef {
        source: "inventory.json".into(),
        started_at: inv.started_at.clone(),
        finished_at: inv.finished_at.clone(),
        sha256: "0".repeat(64),
    };
    let make_plan = || {
        RemediationPlan::new(
            &inv,
            inventory_ref.clone(),
            Vec::new(),
            &findings.violations,
            "2026-11-30T10:01:00Z".into(),
        )
    };
    group.bench_function("plan", |b| b.iter(|| black_box(make_plan())));
    let plan = make_plan();
    assert_eq!(plan.changes.len(), N / 2);
    let outcomes: Vec<ChangeOutcome> = plan
        .changes
        .iter()
        .map(|c| ChangeOutcome { change: c.clone(), status: ChangeStatus::Applied, error: None })
        .collect();
    let run = RunInfo {
        id: "20261130T100100Z".into(),
        started_at: "2026-11-30T10:01:00Z".into(),
        finished_at: "2026-11-30T10:01:30Z".into(),
        mode: Mode::Apply,
        caller: Some("arn:aws:iam::123456789012:user/bench".into()),
        inventory: inventory_ref.clone(),
        plan: None,
        packs: Vec::new(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
    };
    let report = RemediationReport::new(run, &plan, outcomes, findings.violations.clone(), N);
    group.bench_function("report_json", |b| b.iter(|| black_box(render::to_json(&report).expect("json"))));
    group.bench_function("report_html", |b| b.iter(|| black_box(render::to_html(&report).expect("html"))));
    group.bench_function("report_markdown", |b| b.iter(|| black_box(render::to_markdown(&report).expect("markdown"))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
