//! Remediation, two parts.
//!
//! Tags (`remediate_10k`): a 10k-resource live inventory, half of it missing
//! the required `owner` tag: `check` with the built-in `required-tags` at
//! level advisory (baseline: no fixes) and at level remediate (each fix
//! resolved against its resource), then the remediation plan, then the
//! remediation report in JSON (baseline), HTML and Markdown.
//!
//! Actions (`remediate_actions_1k`, issue 19): moto server seeded with 200
//! violating resources of each of the five action kinds (public-read
//! buckets, security groups open on tcp 80, KMS keys without rotation,
//! public RDS instances, mutable ECR repositories), twice over (two tagged
//! sets). Both sets are scanned, judged by the six action policies at level
//! `remediate` and planned (1,000 actions each). The first set's plan is
//! applied once with every kind allowed (wall time, this process's CPU time,
//! calls per action); the second set is fixed by a bare loop of the same
//! write calls through the same SDK crates, from its plan's `calls`
//! (baseline: no re-read, no reconciling). Three such rounds on a reset
//! moto (`REMEDIATE_BENCH_ROUNDS`), Palisade first in the odd ones; their
//! medians. Then criterion measures `check`, the plan and the report (JSON,
//! HTML, Markdown) of the 1,000 actions.
//!
//! Run: `PALISADE_TOOLCHAINS=$PWD/target/toolchains cargo bench --bench
//! remediate` (the actions part needs moto: `scripts/install-toolchains.sh
//! moto`; `cargo bench --bench remediate -- remediate_10k` runs the tags part
//! alone, `-- actions` the actions part). `REMEDIATE_BENCH_PER_KIND=N` seeds
//! N resources per kind instead of 200. Results: `benches/README.md`.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput};
use palisade_engine::input::InputFormat;
use palisade_engine::inventory::{Inventory, InventoryResource, ScanFilters, ScanScope, ScopeStatus};
use palisade_engine::model::Stack;
use palisade_engine::remediation::plan::{InventoryRef, RemediationPlan};
use palisade_engine::remediation::render;
use palisade_engine::remediation::report::{ChangeOutcome, ChangeStatus, Mode, Outcomes, RemediationReport, RunInfo};
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

fn bench_tags(c: &mut Criterion) {
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
        .map(|c| ChangeOutcome { change: c.clone(), status: ChangeStatus::Applied, error: None, verification: None })
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
    let report = RemediationReport::new(
        run,
        &plan,
        Outcomes { changes: outcomes, actions: Vec::new() },
        findings.violations.clone(),
        N,
    );
    group.bench_function("report_json", |b| b.iter(|| black_box(render::to_json(&report).expect("json"))));
    group.bench_function("report_html", |b| b.iter(|| black_box(render::to_html(&report).expect("html"))));
    group.bench_function("report_markdown", |b| b.iter(|| black_box(render::to_markdown(&report).expect("markdown"))));
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_tags(&mut c);
    if actions_selected() {
        actions::bench(&mut c);
    }
    c.final_summary();
}

/// Whether to run the actions part (it needs moto and takes minutes): with
/// no filter on the command line (the first argument not starting with `-`,
/// as criterion reads it), or a filter naming `actions`.
fn actions_selected() -> bool {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if !arg.starts_with('-') {
            return arg.contains("actions");
        }
        // Criterion's options with a value: the value is no filter.
        if matches!(
            arg.as_str(),
            "--save-baseline"
                | "--baseline"
                | "--load-baseline"
                | "--sample-size"
                | "--warm-up-time"
                | "--measurement-time"
                | "--profile-time"
                | "--output-format"
                | "--color"
                | "--plotting-backend"
                | "--noise-threshold"
                | "--confidence-level"
                | "--significance-level"
                | "--nresamples"
                | "--format"
        ) {
            args.next();
        }
    }
    true
}

#[path = "../tests/palisade/moto.rs"]
#[allow(dead_code, unused_imports)]
mod moto;

/// What `moto.rs` needs of the test support module.
#[path = "common/support.rs"]
mod support;

/// The actions part (issue 19): moto, the scanner, the plan, one apply and
/// its baseline, then criterion on the plan and the report.
mod actions {
    use std::collections::{BTreeMap, BTreeSet};
    use std::hint::black_box;
    use std::time::{Duration, Instant};

    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_ec2 as ec2;
    use aws_sdk_ecr as ecr;
    use aws_sdk_kms as kms;
    use aws_sdk_rds as rds;
    use aws_sdk_s3 as s3;
    use criterion::{Criterion, Throughput};
    use palisade_engine::input::InputFormat;
    use palisade_engine::inventory::{Inventory, ScanFilters};
    use palisade_engine::model::Stack;
    use palisade_engine::remediation::action::{ActionKind, AwsCall};
    use palisade_engine::remediation::plan::{InventoryRef, RemediationPlan};
    use palisade_engine::remediation::render;
    use palisade_engine::remediation::report::{ActionStatus, Mode, Outcomes, RemediationReport, RunInfo};
    use palisade_engine::{EnforcementLevel, Engine, EngineBuilder, Pack, PolicySettings, Violation};
    use palisade_scanner::aws::{AwsScanOptions, scan_blocking};
    use palisade_scanner::remediate::{ApplyOptions, ApplyOutcome, RemediateOptions, Remediator};
    use serde_json::{Value, json};

    use crate::moto;

    /// The criterion group's name.
    const GROUP: &str = "remediate_actions_1k";
    const REGION: &str = "eu-west-1";
    /// The tag that tells the two seeded sets apart.
    const SET_TAG: &str = "bench-set";
    /// The set Palisade applies, and the set the bare loop fixes.
    const PALISADE: &str = "pal";
    const BASELINE: &str = "base";
    /// The six built-in policies with actions, at level `remediate`; every
    /// other policy of the pack is disabled.
    const POLICIES: [&str; 6] = [
        "aws-s3-bucket-disallow-public-read",
        "aws-ec2-securitygroup-disallow-public-internet-ingress",
        "aws-ec2-securitygroup-disallow-inbound-http-traffic",
        "aws-kms-key-enable-key-rotation",
        "aws-rds-instance-disallow-public-access",
        "aws-ecr-repository-disallow-mutable-image",
    ];
    /// The scan's types (`--resource-type`).
    const TYPES: [&str; 5] = ["s3", "ec2:security-group", "kms", "rds", "ecr"];

    /// Resources per kind and set: `REMEDIATE_BENCH_PER_KIND`, default 200.
    fn per_kind() -> usize {
        std::env::var("REMEDIATE_BENCH_PER_KIND").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
    }

    /// One set's seed entries: `n` violating resources of each kind, tagged
    /// `bench-set: SET` (see `tests/support/aws/seed.py`).
    fn seed_entries(set: &str, n: usize) -> Vec<Value> {
        let ingress = json!({"ingress": [
            {"protocol": "tcp", "from": 80, "to": 80, "cidr": "0.0.0.0/0", "description": "http"},
            {"protocol": "tcp", "from": 443, "to": 443, "cidr": "10.0.0.0/8", "description": "internal tls"}]});
        let kinds = [
            ("s3_bucket", "bucket", json!({"acl": "public-read"})),
            ("ec2_security_group", "web", ingress),
            ("kms_key", "key", json!({"rotation": false})),
            ("rds_instance", "db", json!({"public": true})),
            ("ecr_repository", "repo", json!({"immutable": false})),
        ];
        kinds
            .into_iter()
            .map(|(kind, name, config)| {
                json!({"kind": kind, "region": REGION, "name": format!("{set}-{name}"), "count": n,
                       "tags": {SET_TAG: set}, "config": config})
            })
            .collect()
    }

    /// A scan of the five types in the region, through moto.
    fn scan(endpoint: &str) -> Inventory {
        let types: Vec<String> = TYPES.iter().map(|t| t.to_string()).collect();
        let options = AwsScanOptions {
            regions: vec![REGION.to_string()],
            endpoint_url: Some(endpoint.to_string()),
            filters: ScanFilters {
                resource_types: palisade::resource_types::tagging_types(&types).expect("known types"),
                tags: Vec::new(),
            },
            ..AwsScanOptions::default()
        };
        let inventory = scan_blocking(&options).expect("scan");
        assert!(inventory.is_complete(), "{:#?}", inventory.scopes);
        inventory
    }

    /// The engine, the built-in pack and the settings of the six action
    /// policies.
    struct Judge {
        engine: Engine,
        packs: [Pack; 1],
        settings: PolicySettings,
    }

    impl Judge {
        fn new() -> Judge {
            let engine = EngineBuilder::new().build().expect("engine");
            let pack =
                engine.load_pack(palisade::AWS_BASELINE.path, palisade::AWS_BASELINE.wasm).expect("aws-baseline loads");
            let settings = settings(&pack);
            Judge { engine, packs: [pack], settings }
        }

        fn check(&self, stacks: &[Stack]) -> Vec<Violation> {
            self.engine.check(&self.packs, stacks, &self.settings).violations
        }
    }

    /// The six action policies at `remediate`, the pack's others disabled.
    fn settings(pack: &Pack) -> PolicySettings {
        let mut s = PolicySettings::default();
        for p in &pack.metadata.policies {
            s.levels.insert(p.name.clone(), EnforcementLevel::Disabled);
        }
        for p in POLICIES {
            assert!(s.levels.contains_key(p), "the built-in pack has {p}");
            s.levels.insert(p.to_string(), EnforcementLevel::Remediate);
        }
        s
    }

    /// One set of the scan, judged and planned.
    struct Judged {
        inventory: Inventory,
        inventory_ref: InventoryRef,
        stacks: [Stack; 1],
        violations: Vec<Violation>,
        plan: RemediationPlan,
    }

    impl Judged {
        /// The resources of `scan` tagged `bench-set: SET`, judged with
        /// `settings`, and their plan.
        fn new(judge: &Judge, scan: &Inventory, set: &str) -> Judged {
            let mut inventory = scan.clone();
            inventory.resources.retain(|r| r.tags.get(SET_TAG).is_some_and(|v| v == set));
            let stacks = [Stack {
                source: "live:aws".into(),
                format: InputFormat::Inventory,
                notes: Vec::new(),
                resources: inventory.to_resources("live:aws"),
            }];
            let violations = judge.check(&stacks);
            let inventory_ref = InventoryRef {
                source: "live:aws".into(),
                started_at: inventory.started_at.clone(),
                finished_at: inventory.finished_at.clone(),
                sha256: "0".repeat(64),
            };
            let plan = plan_of(&inventory, &inventory_ref, &violations);
            Judged { inventory, inventory_ref, stacks, violations, plan }
        }

        fn make_plan(&self) -> RemediationPlan {
            plan_of(&self.inventory, &self.inventory_ref, &self.violations)
        }

        /// Planned actions per kind.
        fn kinds(&self) -> BTreeMap<ActionKind, usize> {
            let mut n = BTreeMap::new();
            for a in &self.plan.actions {
                *n.entry(a.action.kind()).or_default() += 1;
            }
            n
        }
    }

    /// The remediation plan of `violations` on `inventory`.
    fn plan_of(inventory: &Inventory, inventory_ref: &InventoryRef, violations: &[Violation]) -> RemediationPlan {
        RemediationPlan::new(inventory, inventory_ref.clone(), Vec::new(), violations, "2026-12-07T10:01:00Z".into())
    }

    /// Wall and CPU time of one run.
    #[derive(Clone, Copy)]
    struct Timed {
        wall: Duration,
        cpu: Duration,
    }

    impl Timed {
        fn share(self) -> f64 {
            100.0 * self.cpu.as_secs_f64() / self.wall.as_secs_f64()
        }
    }

    fn timed<T>(f: impl FnOnce() -> T) -> (T, Timed) {
        let (t0, c0) = (Instant::now(), cpu_time());
        let out = f();
        (out, Timed { wall: t0.elapsed(), cpu: cpu_time().saturating_sub(c0) })
    }

    /// This process's CPU time (user + system, all threads), from
    /// `/proc/self/stat` (what `getrusage(RUSAGE_SELF)` gives, in 10 ms ticks).
    fn cpu_time() -> Duration {
        let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).expect("stat fields");
        let fields: Vec<u64> = after.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect();
        // Fields 14 and 15 of stat(5): utime, stime, in clock ticks (100 per second on Linux).
        Duration::from_millis((fields[11] + fields[12]) * 10)
    }

    /// `remediator.apply` of `plan` with `allowed` kinds and no limit that
    /// bites, timed.
    fn apply(remediator: &Remediator, plan: &RemediationPlan, allowed: &[ActionKind]) -> (ApplyOutcome, Timed) {
        let options =
            ApplyOptions { allowed: allowed.iter().copied().collect::<BTreeSet<_>>(), max_changes: plan.actions.len() };
        timed(|| remediator.apply(plan, &options, &mut |_| {}, &|| None).expect("apply"))
    }

    /// Outcomes per status (their wire names).
    fn statuses(outcome: &ApplyOutcome) -> BTreeMap<String, usize> {
        let mut n = BTreeMap::new();
        for o in &outcome.actions {
            let name = serde_json::to_value(o.status).ok().and_then(|v| v.as_str().map(str::to_string));
            *n.entry(name.unwrap_or_default()).or_default() += 1;
        }
        n
    }

    /// The baseline's SDK clients, one per service, built once.
    struct Clients {
        s3: s3::Client,
        ec2: ec2::Client,
        kms: kms::Client,
        rds: rds::Client,
        ecr: ecr::Client,
    }

    fn str_of<'a>(p: &'a Value, key: &str) -> &'a str {
        p.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("parameter {key} in {p}"))
    }

    fn bool_of(p: &Value, key: &str) -> bool {
        p.get(key).and_then(Value::as_bool).unwrap_or_else(|| panic!("parameter {key} in {p}"))
    }

    fn port_of(p: &Value, key: &str) -> Option<i32> {
        p.get(key).and_then(Value::as_i64).map(|n| i32::try_from(n).expect("a port"))
    }

    /// `IpPermissions` as the plan writes them, as SDK values.
    fn ip_permissions(value: &Value) -> Vec<ec2::types::IpPermission> {
        let items = value.as_array().expect("IpPermissions is a list");
        let ranges = |p: &Value, key: &str| p.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
        items
            .iter()
            .map(|p| {
                let mut b = ec2::types::IpPermission::builder()
                    .ip_protocol(str_of(p, "IpProtocol"))
                    .set_from_port(port_of(p, "FromPort"))
                    .set_to_port(port_of(p, "ToPort"));
                for r in ranges(p, "IpRanges") {
                    b = b.ip_ranges(ec2::types::IpRange::builder().cidr_ip(str_of(&r, "CidrIp")).build());
                }
                for r in ranges(p, "Ipv6Ranges") {
                    b = b.ipv6_ranges(ec2::types::Ipv6Range::builder().cidr_ipv6(str_of(&r, "CidrIpv6")).build());
                }
                b.build()
            })
            .collect()
    }

    impl Clients {
        async fn new(endpoint: &str) -> Clients {
            let config = aws_config::defaults(BehaviorVersion::latest())
                .endpoint_url(endpoint)
                .region(Region::new(REGION))
                .load()
                .await;
            Clients {
                s3: s3::Client::from_conf(s3::config::Builder::from(&config).force_path_style(true).build()),
                ec2: ec2::Client::new(&config),
                kms: kms::Client::new(&config),
                rds: rds::Client::new(&config),
                ecr: ecr::Client::new(&config),
            }
        }

        /// Send `call` with its parameters as the plan gives them; AWS's
        /// error, if any.
        async fn send(&self, call: &AwsCall) -> Result<(), String> {
            let p = &call.parameters;
            let error = |e: &dyn std::fmt::Debug| format!("{}: {e:?}", call.operation);
            match call.operation.as_str() {
                "s3:PutPublicAccessBlock" => {
                    let c = &p["PublicAccessBlockConfiguration"];
                    let block = s3::types::PublicAccessBlockConfiguration::builder()
                        .block_public_acls(bool_of(c, "BlockPublicAcls"))
                        .ignore_public_acls(bool_of(c, "IgnorePublicAcls"))
                        .block_public_policy(bool_of(c, "BlockPublicPolicy"))
                        .restrict_public_buckets(bool_of(c, "RestrictPublicBuckets"))
                        .build();
                    let put = self.s3.put_public_access_block().bucket(str_of(p, "Bucket"));
                    put.public_access_block_configuration(block).send().await.map(drop).map_err(|e| error(&e))
                }
                "s3:PutBucketAcl" => {
                    let acl = s3::types::BucketCannedAcl::from(str_of(p, "ACL"));
                    let put = self.s3.put_bucket_acl().bucket(str_of(p, "Bucket")).acl(acl);
                    put.send().await.map(drop).map_err(|e| error(&e))
                }
                "ec2:RevokeSecurityGroupIngress" => {
                    let revoke = self.ec2.revoke_security_group_ingress().group_id(str_of(p, "GroupId"));
                    let revoke = revoke.set_ip_permissions(Some(ip_permissions(&p["IpPermissions"])));
                    revoke.send().await.map(drop).map_err(|e| error(&e))
                }
                "kms:EnableKeyRotation" => {
                    let enable = self.kms.enable_key_rotation().key_id(str_of(p, "KeyId"));
                    enable.send().await.map(drop).map_err(|e| error(&e))
                }
                "rds:ModifyDBInstance" => {
                    let modify =
                        self.rds.modify_db_instance().db_instance_identifier(str_of(p, "DBInstanceIdentifier"));
                    let modify = modify
                        .publicly_accessible(bool_of(p, "PubliclyAccessible"))
                        .apply_immediately(bool_of(p, "ApplyImmediately"));
                    modify.send().await.map(drop).map_err(|e| error(&e))
                }
                "ecr:PutImageTagMutability" => {
                    let mutability = ecr::types::ImageTagMutability::from(str_of(p, "imageTagMutability"));
                    let put = self.ecr.put_image_tag_mutability().repository_name(str_of(p, "repositoryName"));
                    put.image_tag_mutability(mutability).send().await.map(drop).map_err(|e| error(&e))
                }
                other => Err(format!("{other} is not a call of the five kinds")),
            }
        }
    }

    /// The baseline: every call of `plan`, in plan order, one at a time
    /// (as Palisade sends them), with clients built once; nothing read.
    /// Calls sent and wall time per kind.
    fn bare_loop(endpoint: &str, plan: &RemediationPlan) -> (usize, BTreeMap<ActionKind, Duration>) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let clients = Clients::new(endpoint).await;
            let (mut calls, mut by_kind) = (0, BTreeMap::<ActionKind, Duration>::new());
            for a in &plan.actions {
                let started = Instant::now();
                for call in &a.calls {
                    clients.send(call).await.unwrap_or_else(|e| panic!("baseline call failed: {e}"));
                    calls += 1;
                }
                *by_kind.entry(a.action.kind()).or_default() += started.elapsed();
            }
            (calls, by_kind)
        })
    }

    /// Moto started and seeded with both sets; its endpoint and the scan.
    fn seeded(session: &moto::MotoSession, n: usize) -> Inventory {
        for (name, value) in session.aws_env() {
            // SAFETY: no other thread of this process uses the environment
            // now (criterion runs on this thread; the runtimes are made later).
            #[allow(unsafe_code)]
            unsafe {
                std::env::set_var(name, value);
            }
        }
        let resources: Vec<Value> = [PALISADE, BASELINE].iter().flat_map(|set| seed_entries(set, n)).collect();
        let ((), took) = timed(|| drop(session.seed(&json!({ "resources": resources }))));
        println!("seeded 2 x {} resources ({n} of each of the five kinds per set) in {:.1?}", 5 * n, took.wall);
        let (inventory, took) = timed(|| scan(&session.endpoint()));
        let calls: u64 = inventory.scopes.iter().flat_map(|s| s.calls.values()).sum();
        println!(
            "scan: {} resources, {calls} calls, wall {:.1?}, Palisade CPU {:.1?} ({:.1}% of wall)",
            inventory.resources.len(),
            took.wall,
            took.cpu,
            took.share()
        );
        inventory
    }

    /// The apply of the first set with every kind allowed, then re-runs
    /// (reads only: everything is done) with all kinds and with each kind
    /// alone, for the reads per kind.
    fn apply_phase(remediator: &Remediator, judged: &Judged) -> (ApplyOutcome, Timed, Timed) {
        let plan = &judged.plan;
        let (outcome, took) = apply(remediator, plan, &ActionKind::ALL);
        let n = plan.actions.len() as f64;
        println!(
            "palisade apply: {} actions, statuses {:?}, {} write calls ({:.2} per action), {} reads ({:.2} per action), \
             wall {:.2?}, Palisade CPU {:.2?} ({:.1}% of wall)",
            plan.actions.len(),
            statuses(&outcome),
            outcome.action_calls,
            outcome.action_calls as f64 / n,
            outcome.reads,
            outcome.reads as f64 / n,
            took.wall,
            took.cpu,
            took.share()
        );
        assert!(outcome.actions.iter().all(|o| o.status == ActionStatus::Applied), "every action applied");
        let (rerun, again) = apply(remediator, plan, &ActionKind::ALL);
        assert_eq!(rerun.action_calls, 0, "a re-run sends nothing");
        println!(
            "palisade re-run (all done): statuses {:?}, {} reads, wall {:.2?}, Palisade CPU {:.2?} ({:.1}% of wall)",
            statuses(&rerun),
            rerun.reads,
            again.wall,
            again.cpu,
            again.share()
        );
        (outcome, took, again)
    }

    /// Per kind: the apply's write calls, the reads and wall time of a
    /// re-run of that kind alone (all done: reads only), and the baseline's
    /// time per action.
    fn per_kind_table(
        remediator: &Remediator,
        judged: &Judged,
        outcome: &ApplyOutcome,
        baseline: &BTreeMap<ActionKind, Duration>,
    ) {
        println!(
            "| kind | actions | writes per action | reads per action | re-run of the kind alone (reads only), wall per action | baseline wall per action |"
        );
        println!("| --- | --- | --- | --- | --- | --- |");
        for (kind, n) in judged.kinds() {
            let mine: Vec<_> = outcome.actions.iter().filter(|o| o.action.action.kind() == kind).collect();
            let writes: usize = mine.iter().map(|o| o.sent.len()).sum();
            let (rerun, took) = apply(remediator, &judged.plan, &[kind]);
            let bare = baseline.get(&kind).copied().unwrap_or_default();
            println!(
                "| `{}` | {n} | {:.2} | {:.2} | {:.1} ms | {:.1} ms |",
                kind.name(),
                writes as f64 / n as f64,
                rerun.reads as f64 / n as f64,
                took.wall.as_secs_f64() * 1000.0 / n as f64,
                bare.as_secs_f64() * 1000.0 / n as f64
            );
        }
    }

    /// The baseline on the second set, then Palisade on it (reads only:
    /// every action must be found done, so the bare loop fixed them all).
    fn baseline_phase(
        endpoint: &str,
        remediator: &Remediator,
        judged: &Judged,
    ) -> (BTreeMap<ActionKind, Duration>, Timed) {
        let ((calls, by_kind), took) = timed(|| bare_loop(endpoint, &judged.plan));
        println!(
            "baseline (bare loop of the plan's calls): {} actions, {calls} calls, wall {:.2?}, CPU {:.2?} ({:.1}% of wall)",
            judged.plan.actions.len(),
            took.wall,
            took.cpu,
            took.share()
        );
        let (check, _) = apply(remediator, &judged.plan, &ActionKind::ALL);
        assert!(
            check.actions.iter().all(|o| o.status == ActionStatus::Done),
            "the baseline fixed every resource: {:?}",
            statuses(&check)
        );
        (by_kind, took)
    }

    /// Criterion: `check` of the first set, its plan, its report in three formats.
    fn measure(c: &mut Criterion, judge: &Judge, judged: &Judged, outcome: &ApplyOutcome) {
        let run = RunInfo {
            id: "20261207T100100Z".into(),
            started_at: "2026-12-07T10:01:00Z".into(),
            finished_at: "2026-12-07T10:01:30Z".into(),
            mode: Mode::Apply,
            caller: Some("arn:aws:iam::123456789012:user/bench".into()),
            inventory: judged.inventory_ref.clone(),
            plan: None,
            packs: Vec::new(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
        };
        let outcomes = Outcomes { changes: Vec::new(), actions: outcome.actions.clone() };
        let report = RemediationReport::new(
            run,
            &judged.plan,
            outcomes,
            judged.violations.clone(),
            judged.inventory.resources.len(),
        );
        let mut group = c.benchmark_group(GROUP);
        group.sample_size(10);
        group.throughput(Throughput::Elements(judged.plan.actions.len() as u64));
        group.bench_function("check_remediate", |b| b.iter(|| black_box(judge.check(&judged.stacks))));
        group.bench_function("plan", |b| b.iter(|| black_box(judged.make_plan())));
        group.bench_function("report_json", |b| b.iter(|| black_box(render::to_json(&report).expect("json"))));
        group.bench_function("report_html", |b| b.iter(|| black_box(render::to_html(&report).expect("html"))));
        group.bench_function("report_markdown", |b| {
            b.iter(|| black_box(render::to_markdown(&report).expect("markdown")))
        });
        group.finish();
    }

    /// Wall and CPU times of one round: Palisade's apply, its re-run
    /// (reads only) and the baseline.
    struct Round {
        apply: Timed,
        rerun: Timed,
        baseline: Timed,
    }

    /// One round on a reset moto: seed both sets, scan, judge, plan, then
    /// Palisade's apply and the baseline, in the order `palisade_first`
    /// says; the per-kind table when `table`. The first set and its outcome.
    fn round(judge: &Judge, palisade_first: bool, table: bool) -> (Judged, ApplyOutcome, Round) {
        let session = moto::session();
        let n = per_kind();
        let scanned = seeded(&session, n);
        let mine = Judged::new(judge, &scanned, PALISADE);
        let bare = Judged::new(judge, &scanned, BASELINE);
        for judged in [&mine, &bare] {
            let kinds = judged.kinds();
            assert!(kinds.len() == 5 && kinds.values().all(|k| *k == n), "{n} actions of each kind: {kinds:?}");
        }
        let options = RemediateOptions {
            endpoint_url: Some(session.endpoint()),
            region: Some(REGION.into()),
            ..RemediateOptions::default()
        };
        let remediator = Remediator::connect(&options).expect("connect");
        let (outcome, apply, rerun, (by_kind, baseline)) = if palisade_first {
            let (outcome, apply, rerun) = apply_phase(&remediator, &mine);
            (outcome, apply, rerun, baseline_phase(&session.endpoint(), &remediator, &bare))
        } else {
            let base = baseline_phase(&session.endpoint(), &remediator, &bare);
            let (outcome, apply, rerun) = apply_phase(&remediator, &mine);
            (outcome, apply, rerun, base)
        };
        println!(
            "palisade / baseline: wall {:.2}x ({:.2?} / {:.2?}), CPU {:.2?} / {:.2?}",
            apply.wall.as_secs_f64() / baseline.wall.as_secs_f64(),
            apply.wall,
            baseline.wall,
            apply.cpu,
            baseline.cpu
        );
        if table {
            per_kind_table(&remediator, &mine, &outcome, &by_kind);
        }
        (mine, outcome, Round { apply, rerun, baseline })
    }

    /// The median of `rounds` by `key`.
    fn median(rounds: &[Round], key: impl Fn(&Round) -> Timed) -> Timed {
        let mut wall: Vec<Duration> = rounds.iter().map(|r| key(r).wall).collect();
        let mut cpu: Vec<Duration> = rounds.iter().map(|r| key(r).cpu).collect();
        wall.sort();
        cpu.sort();
        Timed { wall: wall[wall.len() / 2], cpu: cpu[cpu.len() / 2] }
    }

    /// The whole actions part: `REMEDIATE_BENCH_ROUNDS` rounds (default 3;
    /// Palisade first in the odd ones, the baseline first in the even
    /// ones), their medians, then criterion on the last round's plan.
    pub fn bench(c: &mut Criterion) {
        let rounds = std::env::var("REMEDIATE_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
        let judge = Judge::new();
        let mut times = Vec::new();
        let mut last = None;
        for i in 0..rounds {
            println!("round {} of {rounds} ({} first)", i + 1, if i % 2 == 0 { "Palisade" } else { "baseline" });
            let (judged, outcome, times_of) = round(&judge, i % 2 == 0, i + 1 == rounds);
            times.push(times_of);
            last = Some((judged, outcome));
        }
        let (apply, rerun, base) =
            (median(&times, |r| r.apply), median(&times, |r| r.rerun), median(&times, |r| r.baseline));
        let show = |name: &str, t: Timed| {
            println!("{name}: wall median {:.2?}, CPU median {:.2?} ({:.1}% of wall)", t.wall, t.cpu, t.share());
        };
        println!("medians of {rounds} round(s):");
        show("  palisade apply", apply);
        show("  palisade re-run (reads only)", rerun);
        show("  baseline", base);
        let mut ratios: Vec<f64> =
            times.iter().map(|r| r.apply.wall.as_secs_f64() / r.baseline.wall.as_secs_f64()).collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "  palisade / baseline wall: {:.2}x (ratio of the medians), {:.2}x (median of the rounds' ratios)",
            apply.wall.as_secs_f64() / base.wall.as_secs_f64(),
            ratios[ratios.len() / 2]
        );
        let (judged, outcome) = last.expect("one round at least");
        measure(c, &judge, &judged, &outcome);
    }
}
