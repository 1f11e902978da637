//! `drift::analyze` of 100,000 desired resources against 100,000 inventory
//! resources, all in memory, beside a baseline: building a
//! `HashMap<&str, usize>` of the inventory's ARNs, the least any matcher by
//! ARN must do.
//!
//! Run: `cargo bench --bench drift`. Results: `benches/README.md`.
//!
//! Desired: Terraform-state-like resources (instances, buckets, volumes,
//! queues over two regions) with `arn`, `tags` and `tags_all` (a provider
//! default tag). Inventory: 90% of them (one in 20 with a changed tag, one in
//! 7 with an `aws:cloudformation:` tag), plus 10,000 unmanaged.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use palisade_engine::input::InputFormat;
use palisade_engine::inventory::{Inventory, InventoryResource, ScanFilters, ScanScope, ScopeStatus};
use palisade_engine::model::{Operation, Resource, ResourceKind, Stack};
use palisade_scanner::arn::classify;
use palisade_scanner::drift::{IgnoreRules, analyze};
use serde_json::{Map, Value, json};

const N: usize = 100_000;
const MATCHED: usize = N * 9 / 10;
const ACCOUNT: &str = "123456789012";
const REGIONS: [&str; 2] = ["eu-west-1", "us-east-1"];

fn arn(i: usize) -> String {
    let region = REGIONS[i % 2];
    match i % 4 {
        0 => format!("arn:aws:ec2:{region}:{ACCOUNT}:instance/i-{i:017x}"),
        1 => format!("arn:aws:s3:::bucket-{i:06}"),
        2 => format!("arn:aws:ec2:{region}:{ACCOUNT}:volume/vol-{i:017x}"),
        _ => format!("arn:aws:sqs:{region}:{ACCOUNT}:queue-{i:06}"),
    }
}

fn own_tags(i: usize) -> Vec<(String, String)> {
    let env = if i.is_multiple_of(3) { "dev" } else { "prod" };
    vec![("Name".into(), format!("res-{i}")), ("team".into(), format!("team-{}", i % 50)), ("env".into(), env.into())]
}

fn desired() -> Stack {
    let resources = (0..N)
        .map(|i| {
            let ty = ["aws_instance", "aws_s3_bucket", "aws_ebs_volume", "aws_sqs_queue"][i % 4];
            let arn = arn(i);
            let c = classify(&arn, REGIONS[i % 2], ACCOUNT).expect("an ARN");
            let tags: Map<String, Value> = own_tags(i).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            let mut tags_all = tags.clone();
            tags_all.insert("ManagedBy".into(), "terraform".into());
            let module = format!("module.svc[\"svc-{}\"]", i % 50);
            Resource {
                address: format!("{module}.{ty}.r{i}"),
                resource_type: ty.into(),
                name: format!("r{i}"),
                provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
                kind: ResourceKind::Managed,
                op: Operation::NoOp,
                props: json!({"id": c.id, "arn": arn, "region": REGIONS[i % 2], "tags": tags, "tags_all": tags_all}),
                before: None,
                secret: Vec::new(),
                unset: Vec::new(),
                encrypted: Vec::new(),
                source: "bench.tfstate".into(),
                partial: false,
            }
        })
        .collect();
    Stack { source: "bench.tfstate".into(), format: InputFormat::TfState, resources, notes: Vec::new() }
}

fn cloud(i: usize) -> InventoryResource {
    let arn = arn(i);
    let region = REGIONS[i % 2];
    let c = classify(&arn, region, ACCOUNT).expect("an ARN");
    let mut tags: std::collections::BTreeMap<String, String> = own_tags(i).into_iter().collect();
    tags.insert("ManagedBy".into(), "terraform".into());
    if i.is_multiple_of(20) {
        tags.insert("team".into(), "changed-by-hand".into());
    }
    if i.is_multiple_of(7) {
        tags.insert("aws:cloudformation:stack-name".into(), "legacy".into());
    }
    InventoryResource {
        arn,
        service: c.service,
        resource_type: c.resource_type,
        terraform_type: c.rule.map(|r| r.terraform.to_string()),
        id: c.id,
        region: region.into(),
        account: ACCOUNT.into(),
        tags,
        seen_at: "2026-11-30T10:00:00Z".into(),
        found_by: palisade_engine::inventory::FOUND_BY_TAGGING.into(),
        raw: None,
        properties: None,
        unread: Vec::new(),
        part_of: None,
    }
}

fn inventory() -> Inventory {
    let mut resources: Vec<InventoryResource> = (0..MATCHED).chain(N..N + N / 10).map(cloud).collect();
    resources.sort_by(|a, b| a.arn.cmp(&b.arn));
    let scope = |region: &str| ScanScope {
        account: ACCOUNT.into(),
        region: region.into(),
        role_arn: None,
        status: ScopeStatus::Complete,
        error: None,
        pages: 1000,
        resources: 50_000,
        calls: Default::default(),
        types: Default::default(),
    };
    Inventory {
        format: "palisade-inventory".into(),
        version: 1,
        provider: "aws".into(),
        started_at: "2026-11-30T10:00:00Z".into(),
        finished_at: "2026-11-30T10:05:00Z".into(),
        filters: ScanFilters::default(),
        scopes: REGIONS.iter().map(|r| scope(r)).collect(),
        resources,
    }
}

fn bench(c: &mut Criterion) {
    let stacks = [desired()];
    let inv = inventory();
    let none = IgnoreRules::empty();
    let rules = IgnoreRules::parse(".palisadeignore", "arn:aws:s3:::bucket-00000*\ntype:aws_kms_key\ntag:temporary\n")
        .expect("valid rules");
    let report = analyze(&stacks, &inv, &none);
    let s = &report.summary;
    assert_eq!((s.missing, s.unmanaged, s.changed), (N - MATCHED, N / 10, MATCHED / 20));
    assert_eq!(s.in_sync, MATCHED - MATCHED / 20);

    let mut group = c.benchmark_group("drift_100k");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("arn_index_baseline", |b| {
        b.iter(|| {
            let index: HashMap<&str, usize> =
                black_box(&inv).resources.iter().enumerate().map(|(i, r)| (r.arn.as_str(), i)).collect();
            black_box(index)
        })
    });
    group.bench_function("analyze", |b| b.iter(|| black_box(analyze(black_box(&stacks), black_box(&inv), &none))));
    group.bench_function("analyze_3_ignore_rules", |b| {
        b.iter(|| black_box(analyze(black_box(&stacks), black_box(&inv), &rules)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
