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
//!
//! Full attributes (`analyze_full_attributes`): the same, with security
//! groups in place of queues, every resource carrying the attributes a
//! Terraform state records for it (about 30 per instance, the compared
//! ones among them) and every cloud resource the properties a live reader
//! maps; one in 20 has an attribute changed as well as a tag.

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

fn arn_of(i: usize, full: bool) -> String {
    if full && i % 4 == 3 {
        return format!("arn:aws:ec2:{}:{ACCOUNT}:security-group/sg-{i:017x}", REGIONS[i % 2]);
    }
    arn(i)
}

/// The declared configuration of resource `i` (full attributes), as a
/// Terraform state records it.
fn declared_config(i: usize) -> Map<String, Value> {
    let v = match i % 4 {
        0 => json!({"ami": "ami-12c6146b", "instance_type": "t3.micro", "availability_zone": "eu-west-1a",
            "associate_public_ip_address": false, "ebs_optimized": false, "monitoring": false, "key_name": "",
            "private_ip": "10.0.1.12", "public_ip": "", "subnet_id": "subnet-0a1b2c3d", "tenancy": "default",
            "vpc_security_group_ids": ["sg-0aaa", "sg-0bbb"], "security_groups": [], "source_dest_check": true,
            "metadata_options": [{"http_endpoint": "enabled", "http_protocol_ipv6": "disabled",
                "http_put_response_hop_limit": 1, "http_tokens": "required", "instance_metadata_tags": "disabled"}],
            "root_block_device": [{"delete_on_termination": true, "device_name": "/dev/xvda", "encrypted": true,
                "iops": 3000, "kms_key_id": "", "throughput": 125, "volume_size": 8, "volume_type": "gp3"}],
            "credit_specification": [{"cpu_credits": "unlimited"}], "user_data": null, "hibernation": false}),
        1 => json!({"bucket": format!("bucket-{i:06}"), "acl": null, "force_destroy": false,
            "grant": [{"id": "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "type": "CanonicalUser",
                "uri": "", "permissions": ["FULL_CONTROL"]}],
            "versioning": [{"enabled": true, "mfa_delete": false}],
            "server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default":
                [{"kms_master_key_id": "", "sse_algorithm": "AES256"}], "bucket_key_enabled": false}]}],
            "logging": [], "object_lock_enabled": false, "request_payer": "BucketOwner",
            "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"}),
        2 => json!({"availability_zone": "eu-west-1a", "encrypted": true, "final_snapshot": false, "iops": 3000,
            "kms_key_id": "", "multi_attach_enabled": false, "size": 20, "snapshot_id": "", "throughput": 125,
            "type": "gp3", "outpost_arn": ""}),
        _ => json!({"name": format!("sg-{i}"), "description": "Managed by Terraform", "vpc_id": "vpc-0abc",
            "revoke_rules_on_delete": false, "name_prefix": "",
            "ingress": [
                {"cidr_blocks": ["10.0.0.0/8", "172.16.0.0/12"], "description": "ssh", "from_port": 22, "to_port": 22,
                 "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false},
                {"cidr_blocks": [], "description": "", "from_port": 443, "to_port": 443, "ipv6_cidr_blocks": [],
                 "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": true}],
            "egress": [{"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 0, "to_port": 0,
                "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "-1", "security_groups": [], "self": false}]}),
    };
    v.as_object().cloned().unwrap_or_default()
}

/// The properties a live reader maps for resource `i`; one in 20 with an
/// attribute changed by hand.
fn live_config(i: usize) -> Map<String, Value> {
    let mut v = declared_config(i);
    let changed = i.is_multiple_of(20);
    match i % 4 {
        0 if changed => _ = v.insert("instance_type".into(), json!("t3.large")),
        1 => {
            let policy: Value =
                v.get("policy").and_then(Value::as_str).and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
            v.insert("policy".into(), policy);
            if changed {
                v.insert("versioning".into(), json!([{"enabled": false, "mfa_delete": false}]));
            }
        }
        2 if changed => _ = v.insert("size".into(), json!(40)),
        3 => {
            // As AWS lists them: one rule per source.
            v.insert("ingress".into(), json!([
                {"cidr_blocks": ["10.0.0.0/8"], "description": "ssh", "from_port": 22, "to_port": 22, "protocol": "tcp"},
                {"cidr_blocks": ["172.16.0.0/12"], "description": "ssh", "from_port": 22, "to_port": 22, "protocol": "tcp"},
                {"security_groups": [format!("sg-{i:017x}")], "description": "", "from_port": 443, "to_port": 443, "protocol": "tcp"}]));
            if changed && let Some(Value::Array(rules)) = v.get_mut("ingress") {
                rules.push(json!({"cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": 22, "protocol": "tcp"}));
            }
        }
        _ => {}
    }
    v
}

fn desired(full: bool) -> Stack {
    let resources = (0..N)
        .map(|i| {
            let types = [
                "aws_instance",
                "aws_s3_bucket",
                "aws_ebs_volume",
                if full { "aws_security_group" } else { "aws_sqs_queue" },
            ];
            let ty = types[i % 4];
            let arn = arn_of(i, full);
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
                props: {
                    let mut props = if full { declared_config(i) } else { Map::new() };
                    let base =
                        json!({"id": c.id, "arn": arn, "region": REGIONS[i % 2], "tags": tags, "tags_all": tags_all});
                    props.extend(base.as_object().cloned().unwrap_or_default());
                    Value::Object(props)
                },
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

fn cloud(i: usize, full: bool) -> InventoryResource {
    let arn = arn_of(i, full);
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
        properties: full.then(|| live_config(i)),
        unread: Vec::new(),
        part_of: None,
    }
}

fn inventory(full: bool) -> Inventory {
    let mut resources: Vec<InventoryResource> = (0..MATCHED).chain(N..N + N / 10).map(|i| cloud(i, full)).collect();
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
        version: if full { 2 } else { 1 },
        provider: "aws".into(),
        started_at: "2026-11-30T10:00:00Z".into(),
        finished_at: "2026-11-30T10:05:00Z".into(),
        filters: ScanFilters::default(),
        scopes: REGIONS.iter().map(|r| scope(r)).collect(),
        resources,
    }
}

fn bench(c: &mut Criterion) {
    let stacks = [desired(false)];
    let inv = inventory(false);
    let full_stacks = [desired(true)];
    let full_inv = inventory(true);
    let full = analyze(&full_stacks, &full_inv, &IgnoreRules::empty());
    let s = &full.summary;
    assert_eq!((s.missing, s.unmanaged, s.changed, s.not_checked), (N - MATCHED, N / 10, MATCHED / 20, 0));
    assert!(full.changed.iter().all(|c| c.attributes.len() == 1), "one attribute changed each");
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
    group.bench_function("analyze_full_attributes", |b| {
        b.iter(|| black_box(analyze(black_box(&full_stacks), black_box(&full_inv), &none)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
