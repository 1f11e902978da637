//! `palisade scan` of 5,000 resources in two regions of moto server, beside
//! a bare SDK pagination of the same pages (baseline); then Palisade's own
//! CPU time against the scan's wall time, and the page count.
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
mod support {
    /// The repository root.
    pub fn root() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// A path under the repository root.
    pub fn repo(rel: &str) -> std::path::PathBuf {
        root().join(rel)
    }
}

const REGIONS: [&str; 2] = ["eu-west-1", "us-east-1"];
const PER_KIND: usize = 625;

/// 2 regions x 4 kinds x 625 = 5,000 tagged resources.
fn seed(session: &moto::MotoSession) {
    let mut resources = Vec::new();
    for region in REGIONS {
        for kind in ["sqs_queue", "sns_topic", "ssm_parameter", "logs_log_group"] {
            resources.push(json!({"kind": kind, "region": region, "name": format!("bench-{kind}"),
                "count": PER_KIND, "tags": {"team": "bench", "env": "prod"}}));
        }
    }
    session.seed(&json!({ "resources": resources }));
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
    seed(&session);
    eprintln!("seeded 5000 resources in {:.1?}", started.elapsed());

    let options = AwsScanOptions {
        regions: REGIONS.iter().map(|r| r.to_string()).collect(),
        endpoint_url: Some(endpoint.clone()),
        ..AwsScanOptions::default()
    };
    let inventory = scan_blocking(&options).expect("scan");
    let pages: u64 = inventory.scopes.iter().map(|s| s.pages).sum();
    assert_eq!(inventory.resources.len(), 5000, "every seeded resource is found once");
    assert!(inventory.is_complete());

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut c = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).configure_from_args();
    let mut group = c.benchmark_group("scan_5k_two_regions");
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
        "scan of 5000 resources, {pages} pages: wall median {w:.1?}, Palisade CPU median {p:.1?} ({:.1}% of wall)",
        100.0 * p.as_secs_f64() / w.as_secs_f64()
    );
    c.final_summary();
}
