//! Live readers against moto server: every resource found by its service's
//! own list calls (tagged or not), its configuration read and mapped, the
//! built-in pack deciding on it; access denied, throttling, a resource
//! deleted mid-scan, pagination, and the IAM policy to grant.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::moto::{self, MotoSession, ProxyOptions, palisade_aws};
use crate::support::{code, stderr};

const REGION: &str = "eu-west-1";

/// Each resource type in a non-compliant (`bad-`) and a compliant
/// (`good-`) form, the bad ones untagged, the good ones tagged.
fn seed_pairs(session: &MotoSession) -> Value {
    let tags = json!({"owner": "platform"});
    let r = |kind: &str, name: &str, config: Value| {
        let mut entry = json!({"kind": kind, "region": REGION, "name": name, "config": config});
        if name.starts_with("good") {
            entry["tags"] = tags.clone();
        }
        entry
    };
    session.seed(&json!({"resources": [
        r("s3_bucket", "bad-public-bucket", json!({"acl": "public-read"})),
        r("s3_bucket", "good-private-bucket", json!({"acl": "private", "public_access_block": true, "encryption": "AES256"})),
        r("ec2_security_group", "bad-ssh-world", json!({"ingress": [{"protocol": "tcp", "from": 22, "to": 22, "cidr": "0.0.0.0/0"}]})),
        r("ec2_security_group", "good-https-internal", json!({"ingress": [{"protocol": "tcp", "from": 443, "to": 443, "cidr": "10.0.0.0/8"}]})),
        r("ec2_volume", "bad-plain-volume", json!({"encrypted": false})),
        r("ec2_volume", "good-encrypted-volume", json!({"encrypted": true})),
        r("rds_instance", "bad-public-db", json!({"public": true, "encrypted": false})),
        r("rds_instance", "good-private-db", json!({"public": false, "encrypted": true})),
        r("kms_key", "bad-unrotated-key", json!({"rotation": false})),
        r("kms_key", "good-rotated-key", json!({"rotation": true})),
        r("ecr_repository", "bad-mutable-repo", json!({"immutable": false})),
        r("ecr_repository", "good-immutable-repo", json!({"immutable": true, "scan_on_push": true})),
        r("eks_cluster", "bad-public-cluster", json!({"public_endpoint": true})),
        r("eks_cluster", "good-private-cluster", json!({"public_endpoint": false, "private_endpoint": true})),
        r("lb", "good-lb", json!({})),
        r("lb_listener", "bad-http-listener", json!({"load_balancer": "good-lb", "protocol": "HTTP", "port": 80})),
        r("lb_listener", "good-redirect-listener", json!({"load_balancer": "good-lb", "protocol": "HTTP", "port": 8080, "redirect_to_https": true})),
        r("ec2_instance", "bad-public-instance", json!({"public_ip": true, "root_encrypted": false})),
        r("ec2_instance", "good-private-instance", json!({"public_ip": false, "root_encrypted": true})),
        r("iam_role", "good-role", json!({"attached_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]})),
        r("iam_user", "bad-user", json!({"inline_policy": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}})),
    ]}))
}

/// The seeded resources' ARNs by name.
fn arn_of(seeded: &Value, name: &str) -> String {
    seeded["resources"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["name"] == name))
        .and_then(|r| r["arn"].as_str())
        .unwrap_or_else(|| panic!("{name} was not seeded: {seeded}"))
        .to_string()
}

/// `palisade scan --endpoint-url URL --region eu-west-1 ARGS`.
fn scan(session: &MotoSession, endpoint: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["scan", "--endpoint-url", endpoint, "--region", REGION, "--retry-backoff-ms", "20"];
    all.extend_from_slice(args);
    palisade_aws(session, &all)
}

/// The snapshot a scan prints with `--format json`.
fn snapshot_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(out)))
}

fn resource<'a>(snapshot: &'a Value, arn: &str) -> &'a Value {
    snapshot["resources"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["arn"] == arn))
        .unwrap_or_else(|| panic!("{arn} not in the snapshot"))
}

/// The report's violations as `(resource, policy, undecided)`.
fn findings(report: &Value) -> BTreeSet<(String, String, bool)> {
    report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| {
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (text("resource"), text("policy"), v["undecided"] == true)
        })
        .collect()
}

#[test]
fn live_readers_find_every_resource_and_the_baseline_decides_on_it() {
    let session = moto::session();
    let seeded = seed_pairs(&session);
    let endpoint = session.endpoint();

    // The snapshot: every seeded resource, tagged or not, with its
    // configuration mapped and nothing unread.
    let out = scan(&session, &endpoint, &["--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let snap = snapshot_of(&out);
    crate::scan::assert_valid_snapshot(&snap);
    assert_eq!(snap["version"], 2);
    let regions: Vec<&str> =
        snap["scopes"].as_array().expect("scopes").iter().filter_map(|s| s["region"].as_str()).collect();
    assert_eq!(regions, vec![REGION, "global"]);
    for entry in seeded["resources"].as_array().expect("seeded") {
        let Some(arn) = entry["arn"].as_str() else { continue };
        let r = resource(&snap, arn);
        assert_ne!(r["found_by"], "tag:GetResources", "found by its reader: {r:#}");
        assert!(r["properties"].is_object(), "{r:#}");
        assert!(r.get("unread").is_none(), "{r:#}");
        let expect_tags = if entry["name"].as_str().unwrap_or_default().starts_with("good") {
            json!({"owner": "platform"})
        } else {
            json!({})
        };
        if entry["kind"] != "ec2_instance" && !entry["kind"].as_str().unwrap_or_default().starts_with("ec2_") {
            assert_eq!(r["tags"], expect_tags, "{r:#}");
        }
    }
    let sg = resource(&snap, &arn_of(&seeded, "bad-ssh-world"));
    assert_eq!(sg["properties"]["ingress"][0]["cidr_blocks"], json!(["0.0.0.0/0"]), "{sg:#}");
    assert_eq!(sg["properties"]["ingress"][0]["from_port"], 22);
    let bucket = resource(&snap, "arn:aws:s3:::bad-public-bucket");
    assert_eq!(bucket["region"], REGION);
    assert!(bucket["raw"]["GetBucketAcl"].is_object(), "{bucket:#}");

    // The built-in pack on the same account: exactly the bad resources'
    // violations, nothing undecided.
    let out = scan(&session, &endpoint, &["--pack", "builtin:aws-baseline", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert_eq!(code(&out), 1, "mandatory violations: {report:#}");
    let found = findings(&report);
    let undecided: Vec<_> = found.iter().filter(|f| f.2).collect();
    assert!(undecided.is_empty(), "nothing is undecided on live resources read in full: {undecided:#?}");
    let on = |name: &str| -> BTreeSet<String> {
        let arn = arn_of(&seeded, name);
        found.iter().filter(|f| f.0 == arn).map(|f| f.1.clone()).collect()
    };
    let set = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<BTreeSet<String>>();
    assert_eq!(on("bad-public-bucket"), set(&["aws-s3-bucket-disallow-public-read"]));
    assert_eq!(on("bad-ssh-world"), set(&["aws-ec2-securitygroup-disallow-public-internet-ingress"]));
    assert_eq!(on("bad-plain-volume"), set(&["aws-ebs-volume-disallow-unencrypted-volume"]));
    assert_eq!(
        on("bad-public-db"),
        set(&["aws-rds-instance-disallow-public-access", "aws-rds-instance-disallow-unencrypted-storage"])
    );
    assert_eq!(on("bad-unrotated-key"), set(&["aws-kms-key-enable-key-rotation"]));
    assert_eq!(on("bad-mutable-repo"), set(&["aws-ecr-repository-disallow-mutable-image"]));
    assert_eq!(on("bad-public-cluster"), set(&["aws-eks-cluster-disallow-api-endpoint-public-access"]));
    assert_eq!(on("bad-http-listener"), set(&["aws-lb-listener-disallow-unencrypted-traffic"]));
    assert_eq!(
        on("bad-public-instance"),
        set(&["aws-ec2-instance-disallow-public-ip", "aws-ec2-instance-disallow-unencrypted-root-block-device"])
    );
    for good in seeded["resources"].as_array().expect("seeded").iter().filter_map(|r| r["name"].as_str()) {
        if good.starts_with("good") {
            assert!(on(good).is_empty(), "{good} is compliant: {:?}", on(good));
        }
    }
}

#[test]
fn a_denied_detail_call_leaves_its_attributes_unknown_and_names_the_permission() {
    let session = moto::session();
    seed_pairs(&session);
    let proxy = session.proxy_with(&ProxyOptions { deny: vec!["GetBucketAcl"], ..ProxyOptions::default() });
    let endpoint = proxy.endpoint();
    let out = scan(&session, &endpoint, &["--format", "json", "--resource-type", "s3"]);
    assert_eq!(code(&out), 0, "the list was complete: {}", stderr(&out));
    let snap = snapshot_of(&out);
    let bucket = resource(&snap, "arn:aws:s3:::bad-public-bucket");
    assert_eq!(bucket["unread"][0]["call"], "s3:GetBucketAcl", "{bucket:#}");
    assert_eq!(bucket["unread"][0]["reason"], "denied", "{bucket:#}");
    assert_eq!(bucket["unread"][0]["attributes"], json!(["grant"]), "{bucket:#}");
    assert!(bucket["properties"].get("grant").is_none(), "{bucket:#}");
    assert!(bucket["properties"]["server_side_encryption_configuration"].is_array(), "the rest is read: {bucket:#}");

    let out =
        scan(&session, &endpoint, &["--resource-type", "s3", "--pack", "builtin:aws-baseline", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert_eq!(code(&out), 0, "undecided is never a mandatory failure: {report:#}");
    let found = findings(&report);
    assert!(
        found.contains(&(
            "arn:aws:s3:::bad-public-bucket".to_string(),
            "aws-s3-bucket-disallow-public-read".to_string(),
            true
        )),
        "undecided, never a pass: {found:#?}"
    );
    let notes = report["notes"].to_string();
    assert!(notes.contains("s3:GetBucketAcl was denied (AccessDenied"), "{notes}");
    assert!(notes.contains("grant it to read grant of 2 resources"), "{notes}");
    assert!(
        notes.contains("arn:aws:s3:::bad-public-bucket") && notes.contains("arn:aws:s3:::good-private-bucket"),
        "{notes}"
    );
    assert!(proxy.action_count("GetBucketAcl") >= 2, "{}", proxy.stats());
}

#[test]
fn throttled_calls_are_retried_in_every_protocol() {
    let session = moto::session();
    let seeded = seed_pairs(&session);
    let proxy = session.proxy_with(&ProxyOptions {
        throttle: vec![
            ("GetBucketAcl", 2),
            ("DescribeSecurityGroups", 2),
            ("DescribeDBInstances", 2),
            ("DescribeKey", 2),
            ("GetAccountAuthorizationDetails", 2),
            ("DescribeListeners", 2),
            ("DescribeCluster", 2),
        ],
        ..ProxyOptions::default()
    });
    let out = scan(&session, &proxy.endpoint(), &["--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let snap = snapshot_of(&out);
    for name in [
        "bad-public-bucket",
        "bad-ssh-world",
        "bad-public-db",
        "bad-unrotated-key",
        "bad-user",
        "bad-http-listener",
        "bad-public-cluster",
    ] {
        let r = resource(&snap, &arn_of(&seeded, name));
        assert!(r.get("unread").is_none(), "{name} read in full after retries: {r:#}");
    }
    let stats = proxy.stats();
    assert!(stats["throttled"].as_u64().unwrap_or(0) >= 14, "{stats}");
}

#[test]
fn a_bucket_deleted_between_list_and_read_drops_out() {
    let session = moto::session();
    session.seed(&json!({"resources": [
        {"kind": "s3_bucket", "region": REGION, "name": "stays"},
        {"kind": "s3_bucket", "region": REGION, "name": "goes"},
    ]}));
    let proxy = session.proxy_with(&ProxyOptions {
        delete_after: vec![("ListBuckets", "DELETE", "/goes")],
        ..ProxyOptions::default()
    });
    let out = scan(&session, &proxy.endpoint(), &["--format", "json", "--resource-type", "s3"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let snap = snapshot_of(&out);
    let arns: Vec<&str> =
        snap["resources"].as_array().expect("resources").iter().filter_map(|r| r["arn"].as_str()).collect();
    assert_eq!(arns, vec!["arn:aws:s3:::stays"], "{snap:#}");
    assert!(snap["scopes"].as_array().expect("scopes").iter().all(|s| s["status"] == "complete"), "{snap:#}");
}

#[test]
fn readers_follow_every_page() {
    let session = moto::session();
    let many =
        |kind: &str, name: &str, count: usize| json!({"kind": kind, "region": REGION, "name": name, "count": count});
    let mut resources = vec![
        many("iam_role", "role", 105),
        many("rds_instance", "db", 105),
        many("lb", "lb", 401),
        many("eks_cluster", "cluster", 105),
    ];
    // moto pages DescribeInstances by reservation (1,000 per page at most):
    // one reservation per instance.
    resources.extend((0..1005).map(|i| many("ec2_instance", &format!("vm-{i}"), 1)));
    session.seed(&json!({ "resources": resources }));
    let out = scan(&session, &session.endpoint(), &["--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let snap = snapshot_of(&out);
    let count =
        |t: &str| snap["resources"].as_array().expect("resources").iter().filter(|r| r["terraform_type"] == t).count();
    assert_eq!(count("aws_iam_role"), 105 + 1, "and the seed's EKS role");
    assert_eq!(count("aws_db_instance"), 105);
    assert_eq!(count("aws_lb"), 401);
    assert_eq!(count("aws_eks_cluster"), 105);
    assert_eq!(count("aws_instance"), 1005);
    let calls = |region: &str, call: &str| {
        snap["scopes"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["region"] == region))
            .and_then(|s| s["calls"][call].as_u64())
            .unwrap_or(0)
    };
    // moto pages ListRoles (100 a page), not GetAccountAuthorizationDetails.
    assert!(calls("global", "iam:ListRoles") >= 2, "{snap:#}");
    assert!(calls(REGION, "elasticloadbalancing:DescribeLoadBalancers") >= 2, "400 a page");
    assert!(calls(REGION, "rds:DescribeDBInstances") >= 2);
    assert!(calls(REGION, "eks:ListClusters") >= 2);
    assert!(calls(REGION, "ec2:DescribeInstances") >= 2);
}

#[test]
fn print_iam_policy_grants_every_call_a_scan_makes() {
    let session = moto::session();
    seed_pairs(&session);
    let out = palisade_aws(&session, &["scan", "--print-iam-policy"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let policy: Value = serde_json::from_slice(&out.stdout).expect("a JSON policy");
    let granted: BTreeSet<String> = policy["Statement"][0]["Action"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    let out = scan(&session, &session.endpoint(), &["--format", "json"]);
    let snap = snapshot_of(&out);
    for scope in snap["scopes"].as_array().expect("scopes") {
        for call in scope["calls"].as_object().expect("calls").keys() {
            assert!(granted.contains(call), "{call} is made but not granted: {granted:?}");
        }
    }
    assert!(
        granted.iter().all(|a| !a.contains(":Put") && !a.contains(":Create") && !a.contains(":Delete")),
        "{granted:?}"
    );
    // Narrowed to one service.
    let out = palisade_aws(&session, &["scan", "--print-iam-policy", "--resource-type", "kms"]);
    let policy: Value = serde_json::from_slice(&out.stdout).expect("a JSON policy");
    assert_eq!(
        policy["Statement"][0]["Action"],
        json!([
            "kms:DescribeKey",
            "kms:GetKeyRotationStatus",
            "kms:ListKeys",
            "sts:GetCallerIdentity",
            "tag:GetResources"
        ])
    );
}

#[test]
fn detail_calls_are_made_only_for_the_types_asked_for() {
    let session = moto::session();
    seed_pairs(&session);
    let out = scan(&session, &session.endpoint(), &["--format", "json", "--resource-type", "kms"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let snap = snapshot_of(&out);
    let made: BTreeSet<String> = snap["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .flat_map(|s| s["calls"].as_object().map(|c| c.keys().cloned().collect::<Vec<_>>()).unwrap_or_default())
        .collect();
    let expected: BTreeSet<String> =
        ["kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:ListKeys", "tag:GetResources"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    assert_eq!(made, expected, "{snap:#}");
}

#[test]
fn secret_looking_values_read_live_are_redacted_in_reports() {
    let session = moto::session();
    session.seed(&json!({"resources": [
        {"kind": "s3_bucket", "region": REGION, "name": "with-a-secret-tag", "tags": {"db_password": "hunter2-very-secret"}},
        {"kind": "ec2_security_group", "region": REGION, "name": "with-a-secret-tag",
         "tags": {"api_token": "tok-0123456789abcdef"}},
    ]}));
    let dir = tempfile::tempdir().expect("tempdir");
    // A value no secret-named tag may have: the violation would quote it.
    let config = crate::support::write(
        dir.path(),
        "config.yaml",
        "required-tags:\n  tags: [owner]\n  allowed:\n    db_password: [x]\n    api_token: [x]\n",
    );
    for format in ["json", "text"] {
        let out = scan(
            &session,
            &session.endpoint(),
            &["--pack", "builtin:aws-baseline", "--config", &config, "--format", format],
        );
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(all.contains("required-tags"), "{all}");
        assert!(!all.contains("hunter2-very-secret") && !all.contains("tok-0123456789abcdef"), "{format}: {all}");
    }
}
