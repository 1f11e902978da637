//! [`Remediator::apply`] with actions against a moto server: the real SDK
//! calls, re-reads and reconciliation, one resource of each kind.
//!
//! The tests start their own server (`tests/support/aws/moto_server.py`, on
//! 127.0.0.1 at a port the OS picks) with the moto venv's python:
//! `$PALISADE_MOTO_PYTHON`, else `$PALISADE_TOOLCHAINS/moto-venv/bin/python`,
//! else `target/toolchains/moto-venv/bin/python` under the repository root,
//! as the integration tests' harness (`tests/palisade/moto.rs`) does. One
//! server per test process, started by the first test that needs it and
//! stopped when the process exits (it exits when its standard input, a pipe
//! held in a static, reaches EOF). Its log,
//! `$TMPDIR/palisade-scanner-moto-PID.log`, is in the failure message when
//! it does not start, and removed once it has. Without the venv the tests
//! fail (never skip), naming the install command,
//! `scripts/install-toolchains.sh moto`.
//!
//! Before starting the server the tests set the AWS environment of the
//! process (and so of the server), once: test credentials, no instance
//! metadata, `/dev/null` as the shared config and credentials files
//! (`~/.aws` is never read), and no other `AWS_*` variable of the caller
//! (profile, session token, endpoints).
//!
//! The server is not reset between tests, and they may run at once: each one
//! makes its own resources (names carry a letter of its own and the process
//! id).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;

use palisade_model::remediation::action::{Action, ActionKind};
use palisade_model::remediation::plan::{PlannedAction, RemediationPlan};
use palisade_model::remediation::report::ActionStatus;
use serde_json::{Value, json};

use super::reread;
use crate::remediate::{ApplyOptions, Progress, RemediateOptions, Remediator};

const REGION: &str = "us-east-1";

/// The moto server of this test process. Never dropped (a static): the pipe
/// closes when the process exits, and the server exits at that EOF.
struct Moto {
    endpoint: String,
    _child: Child,
    _stdin: ChildStdin,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The moto venv's python (see the module docs); a failure naming the
/// install command when it is missing.
fn python(root: &Path) -> PathBuf {
    let path = match (std::env::var_os("PALISADE_MOTO_PYTHON"), std::env::var_os("PALISADE_TOOLCHAINS")) {
        (Some(p), _) if !p.is_empty() => PathBuf::from(p),
        (_, Some(dir)) if !dir.is_empty() => PathBuf::from(dir).join("moto-venv/bin/python"),
        _ => root.join("target/toolchains/moto-venv/bin/python"),
    };
    assert!(
        path.is_file(),
        "moto is not installed ({} not found); run: scripts/install-toolchains.sh moto",
        path.display()
    );
    path
}

impl Moto {
    /// Set the AWS environment of this process (see the module docs), spawn
    /// `moto_server.py` and read its `PORT <n>` line.
    fn start() -> Moto {
        let vars: Vec<_> = std::env::vars_os().map(|(name, _)| name).collect();
        // The server inherits it too (boto3 in it fails on an unknown AWS_PROFILE).
        // SAFETY: the other tests of this crate do not touch the environment
        // (no C code reading it, no Rust code but through std's lock), and
        // the moto tests wait for this initialisation before their first
        // AWS call; it runs once per process.
        #[allow(unsafe_code)]
        unsafe {
            for name in vars.iter().filter(|n| n.to_string_lossy().starts_with("AWS_")) {
                std::env::remove_var(name);
            }
            for (name, value) in [
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
                ("AWS_REGION", REGION),
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("AWS_CONFIG_FILE", "/dev/null"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
            ] {
                std::env::set_var(name, value);
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the repository root");
        let python = python(root);
        let log = std::env::temp_dir().join(format!("palisade-scanner-moto-{}.log", std::process::id()));
        let stderr = std::fs::File::create(&log).unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let mut child = Command::new(python)
            .arg(root.join("tests/support/aws/moto_server.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto_server.py: {e}; run: scripts/install-toolchains.sh moto"));
        let stdin = child.stdin.take().expect("stdin is piped");
        let mut line = String::new();
        // The server sends nothing more to stdout: dropping the reader is safe.
        let read = BufReader::new(child.stdout.take().expect("stdout is piped")).read_line(&mut line);
        let Some(port) = line.strip_prefix("PORT ").and_then(|p| p.trim().parse::<u16>().ok()) else {
            let _ = child.kill();
            let status = child.wait();
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            panic!(
                "moto_server.py did not start (read {read:?}, line {line:?}, {status:?}); is moto installed? \
                 run: scripts/install-toolchains.sh moto\n{}:\n{text}",
                log.display()
            );
        };
        // Only a failed start reads the log; the server keeps writing to the unlinked file.
        let _ = std::fs::remove_file(&log);
        Moto { endpoint: format!("http://127.0.0.1:{port}"), _child: child, _stdin: stdin }
    }
}

/// A remediator of this process's moto server (started on first use).
fn connect() -> Remediator {
    let moto = MOTO.get_or_init(Moto::start);
    let options = RemediateOptions {
        endpoint_url: Some(moto.endpoint.clone()),
        region: Some(REGION.into()),
        max_attempts: 2,
        ..RemediateOptions::default()
    };
    Remediator::connect(&options).expect("moto answers STS")
}

/// One resource of each kind, in its violating state: (ARN, id, action).
fn seed(r: &Remediator, tag: &str) -> Vec<(String, String, Action, &'static str)> {
    let c = &r.config;
    r.runtime.block_on(async {
        let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(c).force_path_style(true).build());
        let bucket = format!("pub-{tag}");
        s3.create_bucket().bucket(&bucket).send().await.expect("bucket");
        s3.put_bucket_acl()
            .bucket(&bucket)
            .acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead)
            .send()
            .await
            .expect("acl");
        let ec2 = aws_sdk_ec2::Client::new(c);
        let group = ec2
            .create_security_group()
            .group_name(format!("web-{tag}"))
            .description("web")
            .send()
            .await
            .expect("group");
        let group = group.group_id().expect("an id").to_string();
        for (port, cidr) in [(80, "0.0.0.0/0"), (22, "10.0.0.0/8")] {
            ec2.authorize_security_group_ingress()
                .group_id(&group)
                .ip_protocol("tcp")
                .from_port(port)
                .to_port(port)
                .cidr_ip(cidr)
                .send()
                .await
                .expect("rule");
        }
        let kms = aws_sdk_kms::Client::new(c);
        let key = kms.create_key().send().await.expect("key");
        let key = key.key_metadata().expect("metadata");
        let rds = aws_sdk_rds::Client::new(c);
        let db = rds
            .create_db_instance()
            .db_instance_identifier(format!("db-{tag}"))
            .db_instance_class("db.t3.micro")
            .engine("postgres")
            .allocated_storage(20)
            .master_username("admin")
            .master_user_password("not-a-secret-1")
            .publicly_accessible(true)
            .send()
            .await
            .expect("db");
        let db = db.db_instance().expect("an instance");
        let ecr = aws_sdk_ecr::Client::new(c);
        let repo = ecr.create_repository().repository_name(format!("repo-{tag}")).send().await.expect("repo");
        let repo = repo.repository().expect("a repository");
        let account = &r.caller.account;
        let revoke: Action = serde_json::from_value(json!({"kind": "ec2.revoke-ingress", "params": {"rules": [
            {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_ipv4": "0.0.0.0/0"}]}}))
        .expect("action");
        vec![
            (format!("arn:aws:s3:::{bucket}"), bucket, Action::S3BlockPublicAccess, "aws_s3_bucket"),
            (format!("arn:aws:ec2:{REGION}:{account}:security-group/{group}"), group, revoke, "aws_security_group"),
            (key.arn().unwrap_or_default().into(), key.key_id().into(), Action::KmsEnableRotation, "aws_kms_key"),
            (
                db.db_instance_arn().unwrap_or_default().into(),
                db.db_instance_identifier().unwrap_or_default().into(),
                Action::RdsDisablePublicAccess,
                "aws_db_instance",
            ),
            (
                repo.repository_arn().unwrap_or_default().into(),
                repo.repository_name().unwrap_or_default().into(),
                Action::EcrImmutableTags,
                "aws_ecr_repository",
            ),
        ]
    })
}

/// The plan a scan would make now: each resource re-read, its slice the
/// `before`.
fn plan_of(r: &Remediator, resources: &[(String, String, Action, &'static str)]) -> RemediationPlan {
    let mut actions = Vec::new();
    for (arn, id, action, ty) in resources {
        let mut planned = PlannedAction {
            arn: arn.clone(),
            region: REGION.into(),
            account: r.caller.account.clone(),
            resource_type: (*ty).into(),
            id: id.clone(),
            action: action.clone(),
            calls: Vec::new(),
            before: Value::Null,
            after: Value::Null,
            policies: vec!["test/x".into()],
            managed_by: None,
        };
        let mut reads = 0;
        let reread = r.runtime.block_on(reread(&r.config, &planned, &mut reads));
        let props = reread.map_err(|e| e.message()).expect("re-read").props;
        action.check(ty, &props).expect("the action fits");
        planned.before = action.slice(&props);
        planned.after = action.expected(&planned.before);
        planned.calls = action.calls(id, &planned.before);
        assert!(!planned.calls.is_empty(), "{arn} violates: {}", planned.before);
        actions.push(planned);
    }
    let mut plan: RemediationPlan = serde_json::from_value(json!({
        "format": "palisade-remediation-plan", "version": 2, "created_at": "2026-12-07T00:00:00Z",
        "inventory": {"source": "live:aws", "started_at": "", "finished_at": "", "sha256": ""},
        "packs": [], "changes": [], "needs_human": []}))
    .expect("a plan");
    plan.actions = actions;
    plan
}

fn all() -> ApplyOptions {
    ApplyOptions { allowed: ActionKind::ALL.into_iter().collect(), max_changes: 50 }
}

fn statuses(outcome: &crate::remediate::ApplyOutcome) -> Vec<ActionStatus> {
    outcome.actions.iter().map(|a| a.status).collect()
}

#[test]
fn moto_apply_then_rerun_sends_nothing() {
    let r = connect();
    let resources = seed(&r, &format!("a{}", std::process::id()));
    let plan = plan_of(&r, &resources);
    let mut events = Vec::new();
    let outcome = r
        .apply(
            &plan,
            &all(),
            &mut |p| {
                if let Progress::Action(a) = p {
                    events.push((a.operation.to_string(), a.error.map(str::to_string)));
                }
            },
            &|| None,
        )
        .expect("applies");
    for a in &outcome.actions {
        assert_eq!(a.status, ActionStatus::Applied, "{}: {:?}", a.action.arn, a.error);
        assert!(a.started_at.is_some() && a.duration_ms.is_some());
    }
    let operations: Vec<&str> = events.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(
        operations,
        [
            "s3:PutPublicAccessBlock",
            "s3:PutBucketAcl",
            "ec2:RevokeSecurityGroupIngress",
            "kms:EnableKeyRotation",
            "rds:ModifyDBInstance",
            "ecr:PutImageTagMutability"
        ]
    );
    assert_eq!((outcome.action_calls, outcome.reads), (6, 6));

    // The same plan again: every resource re-read and found done.
    let again = r.apply(&plan, &all(), &mut |_| {}, &|| None).expect("applies");
    assert_eq!(statuses(&again), [ActionStatus::Done; 5], "{:?}", again.actions);
    assert_eq!(again.action_calls, 0);
    for (a, planned) in again.actions.iter().zip(&plan.actions) {
        assert_eq!(a.found.as_ref(), Some(&planned.after), "{}", planned.arn);
    }
    // The SSH rule from 10/8 is still there.
    let group = &plan.actions[1];
    let mut reads = 0;
    let reread = r.runtime.block_on(reread(&r.config, group, &mut reads));
    let props = reread.map_err(|e| e.message()).expect("read").props;
    assert_eq!(props["ingress"].as_array().map(Vec::len), Some(1), "{props}");
    assert_eq!(props["ingress"][0]["from_port"], json!(22));
}

#[test]
fn moto_half_applied_stale_gone_and_limits() {
    let r = connect();
    let resources = seed(&r, &format!("b{}", std::process::id()));
    let plan = plan_of(&r, &resources);
    // A run killed after PutPublicAccessBlock: the re-run sends PutBucketAcl only.
    let block = &plan.actions[0].calls[0];
    r.runtime.block_on(super::send_call(&r.config, ActionKind::S3BlockPublicAccess, REGION, block)).expect("sent");
    let only_s3 = ApplyOptions { allowed: BTreeSet::from([ActionKind::S3BlockPublicAccess]), max_changes: 50 };
    let outcome = r.apply(&plan, &only_s3, &mut |_| {}, &|| None).expect("applies");
    assert_eq!(outcome.actions[0].status, ActionStatus::Applied, "{:?}", outcome.actions[0].error);
    assert_eq!(outcome.actions[0].sent, ["s3:PutBucketAcl"]);
    assert_eq!(outcome.actions[1].status, ActionStatus::NotAllowed);
    assert_eq!(outcome.reads, 2, "not-allowed actions are not read");

    // Someone opens port 25 on the group: stale, nothing sent at all.
    let group = &plan.actions[1].id;
    r.runtime.block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&r.config);
        ec2.authorize_security_group_ingress()
            .group_id(group)
            .ip_protocol("tcp")
            .from_port(25)
            .to_port(25)
            .cidr_ip("0.0.0.0/0")
            .send()
            .await
            .expect("rule");
    });
    let stale = r.apply(&plan, &all(), &mut |_| {}, &|| None).expect("applies");
    assert_eq!(stale.stale.len(), 1, "{:?}", stale.actions);
    assert_eq!(stale.action_calls, 0);
    assert!(stale.stale[0].to_string().contains("`ingress` is"), "{}", stale.stale[0]);
    assert_eq!(
        statuses(&stale),
        [
            ActionStatus::Planned,
            ActionStatus::Failed,
            ActionStatus::Planned,
            ActionStatus::Planned,
            ActionStatus::Planned
        ]
    );

    // Without the group: the repository deleted is its own failure;
    // --max-changes 1 leaves the second resource not applied; SIGTERM
    // before the first call leaves the rest interrupted.
    let mut rest = plan.clone();
    rest.actions.remove(1);
    r.runtime.block_on(async {
        let ecr = aws_sdk_ecr::Client::new(&r.config);
        ecr.delete_repository().repository_name(&rest.actions[3].id).send().await.expect("deleted");
    });
    let limited = ApplyOptions { max_changes: 1, ..all() };
    let outcome = r.apply(&rest, &limited, &mut |_| {}, &|| None).expect("applies");
    assert_eq!(
        statuses(&outcome),
        [ActionStatus::Done, ActionStatus::Applied, ActionStatus::NotAppliedMaxChanges, ActionStatus::Failed]
    );
    let gone = outcome.actions[3].error.as_deref().unwrap_or_default();
    assert!(gone.starts_with("the resource is gone: ecr:DescribeRepositories: RepositoryNotFoundException"), "{gone}");
    let stopped = r.apply(&rest, &all(), &mut |_| {}, &|| Some("SIGTERM".into())).expect("applies");
    assert_eq!(stopped.action_calls, 0);
    assert_eq!(stopped.interrupted.as_ref().map(|i| i.unsent), Some(1));
    assert_eq!(
        stopped.actions[2].error.as_deref(),
        Some("interrupted before this action was sent (SIGTERM); a re-run completes it")
    );
}
