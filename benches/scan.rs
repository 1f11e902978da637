//! `palisade scan` with the live readers of 2,520 resources of eleven reader
//! types in one region of moto server (and the account's global scope),
//! beside a bare SDK pagination of the Tagging API over the same region
//! (baseline: the least any scan must do); then Palisade's own CPU time
//! against the scan's wall time, and the calls per resource per type.
//!
//! Run: `scripts/install-toolchains.sh moto && cargo bench --bench scan`.
//! Results: `benches/README.md`. moto serves a few thousand resources per
//! second, so the wall time is moto's; the question is how much of it is
//! Palisade's CPU.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_sdk_resourcegroupstagging as tagging;
use criterion::Criterion;
use palisade_scanner::aws::{AwsScanOptions, scan_blocking};
use serde_json::json;

#[path = "../tests/palisade/moto.rs"]
#[allow(dead_code, unused_imports)]
mod moto;

/// What `moto.rs` needs of the test support module.
#[path = "common/support.rs"]
mod support;

const REGIONS: [&str; 1] = ["eu-west-1"];

/// What is seeded: (kind, count, config), half of each kind tagged.
const KINDS: [(&str, usize); 11] = [
    ("s3_bucket", 300),
    ("ec2_security_group", 300),
    ("ec2_volume", 300),
    ("ec2_instance", 300),
    ("rds_instance", 150),
    ("kms_key", 300),
    ("ecr_repository", 250),
    ("eks_cluster", 60),
    ("lb", 60),
    ("iam_role", 300),
    ("iam_user", 200),
];

/// The resources of [`KINDS`] in eu-west-1, half tagged; and one HTTP
/// listener per load balancer.
fn seed(session: &moto::MotoSession) -> usize {
    let mut resources = Vec::new();
    let mut total = 0;
    for (kind, count) in KINDS {
        for (half, tags) in [("a", json!({"team": "bench"})), ("b", json!({}))] {
            resources.push(
                json!({"kind": kind, "region": REGIONS[0], "name": format!("bench-{half}-{}", kind.replace('_', "-")),
                "count": count / 2, "tags": tags}),
            );
        }
        total += count;
    }
    resources.push(json!({"kind": "lb_listener", "region": REGIONS[0], "name": "bench-listener", "count": 60,
        "config": {"load_balancer": "bench-a-lb", "protocol": "HTTP", "port": 80}}));
    session.seed(&json!({ "resources": resources }));
    total + 60
}

/// Baseline: the SDK's own paginator over both regions concurrently,
/// counting resources; no classification, no snapshot.
async fn sdk_pages(endpoint: &str) -> (usize, usize) {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest()).endpoint_url(endpoint).load().await;
    let mut tasks = tokio::task::JoinSet::new();
    for region in REGIONS {
        let conf = tagging::config::Builder::from(&config).region(aws_config::Region::new(region)).build();
        let client = tagging::Client::from_conf(conf);
        tasks.spawn(async move {
            let mut pages = client.get_resources().resources_per_page(100).into_paginator().send();
            let (mut n, mut count) = (0, 0);
            while let Some(page) = pages.next().await {
                n += 1;
                count += page.expect("a page").resource_tag_mapping_list().len();
            }
            (n, count)
        });
    }
    let mut total = (0, 0);
    while let Some(done) = tasks.join_next().await {
        let (n, count) = done.expect("task");
        total = (total.0 + n, total.1 + count);
    }
    total
}

/// This process's CPU time (user + system, all threads), from `/proc/self/stat`.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).expect("stat fields");
    let fields: Vec<u64> = after.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect();
    // Fields 14 and 15 of stat(5): utime, stime, in clock ticks (100 per second on Linux).
    let ticks = fields[11] + fields[12];
    Duration::from_millis(ticks * 10)
}

fn main() {
    let session = moto::session();
    let endpoint = session.endpoint();
    for (name, value) in session.aws_env() {
        // SAFETY: no other thread runs yet (the runtime and criterion start below).
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var(name, value);
        }
    }
    let started = Instant::now();
    let seeded = seed(&session);
    eprintln!("seeded {seeded} resources in {:.1?}", started.elapsed());

    let options = AwsScanOptions {
        regions: REGIONS.iter().map(|r| r.to_string()).collect(),
        endpoint_url: Some(endpoint.clone()),
        ..AwsScanOptions::default()
    };
    let inventory = scan_blocking(&options).expect("scan");
    assert!(inventory.is_complete(), "{:#?}", inventory.scopes);
    assert!(inventory.resources.len() >= seeded, "every seeded resource is found: {}", inventory.resources.len());
    let calls: u64 = inventory.scopes.iter().flat_map(|s| s.calls.values()).sum();
    let found = inventory.resources.len();
    println!("one scan: {found} resources (the seeded ones, their root volumes, default VPC resources), {calls} calls");
    println!("| type | resources | calls | calls per resource |");
    println!("| --- | --- | --- | --- |");
    let mut per_type: std::collections::BTreeMap<&str, (u64, u64)> = std::collections::BTreeMap::new();
    for scope in &inventory.scopes {
        for (t, stats) in &scope.types {
            let e = per_type.entry(t.as_str()).or_default();
            e.0 += stats.resources;
            e.1 += stats.calls;
        }
    }
    for (t, (n, c)) in per_type {
        println!("| `{t}` | {n} | {c} | {:.2} |", c as f64 / (n.max(1)) as f64);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut c = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).configure_from_args();
    let mut group = c.benchmark_group("scan_readers_2580");
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("sdk_paginator_baseline", |b| b.iter(|| black_box(runtime.block_on(sdk_pages(&endpoint)))));
    group.bench_function("palisade_scan", |b| b.iter(|| black_box(scan_blocking(&options).expect("scan"))));
    group.finish();

    // Palisade's CPU against the wall time, over ten scans.
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let (t0, c0) = (Instant::now(), cpu_time());
        black_box(scan_blocking(&options).expect("scan"));
        wall.push(t0.elapsed());
        cpu.push(cpu_time().saturating_sub(c0));
    }
    wall.sort();
    cpu.sort();
    let (w, p) = (wall[wall.len() / 2], cpu[cpu.len() / 2]);
    println!(
        "scan of {found} resources, {calls} calls: wall median {w:.1?}, Palisade CPU median {p:.1?} ({:.1}% of wall)",
        100.0 * p.as_secs_f64() / w.as_secs_f64()
    );
    c.final_summary();
}
