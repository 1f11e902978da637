//! The example pack (`examples/policies/`) in each of its seven languages:
//! cold load (compile from the bytes, no cache), warm load (a cache hit) and
//! evaluation of a generated 1k-resource Terraform plan.
//!
//! Run: `cargo bench --bench languages` (builds every example first with its
//! `build.sh`; needs `scripts/install-toolchains.sh`). Results:
//! `benches/README.md`.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use palisade_engine::input::read_input;
use palisade_engine::{CacheOutcome, EngineBuilder, PolicySettings};
use serde_json::{Value, json};

const LANGUAGES: &[&str] = &["rust", "c", "zig", "assemblyscript", "go", "python", "javascript"];

/// A plan of `n` resources: buckets (a third public-read, a third with an
/// unknown ACL) and instances (half without the `owner` tag).
fn plan(n: usize) -> Vec<u8> {
    let changes: Vec<Value> = (0..n)
        .map(|i| {
            let (ty, after, unknown) = if i % 2 == 0 {
                let acl = if i % 3 == 0 { json!("public-read") } else { json!("private") };
                let unknown = if i % 3 == 1 { json!({"acl": true}) } else { json!({}) };
                ("aws_s3_bucket", json!({"bucket": format!("b{i}"), "acl": acl, "tags": {"owner": "a"}}), unknown)
            } else {
                let tags = if i % 4 == 1 { json!({"team": "a"}) } else { json!({"owner": "a", "team": "a"}) };
                ("aws_instance", json!({"ami": "ami-1", "instance_type": "t3.micro", "tags": tags}), json!({}))
            };
            json!({"address": format!("{ty}.r{i}"), "mode": "managed", "type": ty, "name": format!("r{i}"),
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["create"], "before": null, "after": after, "after_unknown": unknown}})
        })
        .collect();
    serde_json::to_vec(&json!({"format_version": "1.2", "terraform_version": "1.9.5", "resource_changes": changes}))
        .expect("plan serializes")
}

/// Build `examples/policies/<lang>` into `target/examples/out/`.
fn build(lang: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = root.join(format!("target/examples/out/{lang}.wasm"));
    std::fs::create_dir_all(out.parent().expect("has a parent")).expect("create target/examples/out");
    let status = Command::new("bash")
        .arg(root.join(format!("examples/policies/{lang}/build.sh")))
        .arg(&out)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .status()
        .expect("build.sh runs");
    assert!(status.success(), "building the {lang} example failed; run scripts/install-toolchains.sh {lang}");
    out
}

fn bench(c: &mut Criterion) {
    let bytes = plan(1_000);
    let cache = tempfile::tempdir().expect("tempdir");
    let cold = EngineBuilder::new().build().expect("engine");
    let warm = EngineBuilder::new().cache_dir(Some(cache.path().join("cache"))).build().expect("engine");
    for lang in LANGUAGES {
        let wasm = build(lang);
        let mut group = c.benchmark_group(format!("lang_{lang}"));
        group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
        group.bench_function("load_cold", |b| b.iter(|| black_box(cold.load_pack_file(&wasm).expect("loads"))));
        // Fill the cache once, then every load is a hit.
        warm.load_pack_file(&wasm).expect("loads");
        group.bench_function("load_warm", |b| {
            b.iter(|| {
                let pack = warm.load_pack_file(&wasm).expect("loads");
                assert_eq!(pack.cache, CacheOutcome::Hit);
                black_box(pack)
            })
        });
        let packs = [warm.load_pack_file(&wasm).expect("loads")];
        let stack = read_input("bench.json", &bytes, None).expect("valid plan");
        let stacks = [stack];
        group.throughput(Throughput::Elements(1_000));
        group.bench_function("evaluate_1k", |b| {
            b.iter(|| {
                let findings = warm.check(&packs, &stacks, &PolicySettings::default());
                assert!(findings.policy_errors.is_empty(), "{lang}: {:?}", findings.policy_errors.first());
                black_box(findings)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
