//! Attribute drift against moto, on real state records: each record is
//! created in moto from its own attributes (`tests/support/aws/from_state.py`,
//! which rewrites only the identities to moto's), then `palisade drift`
//! compares the state with a live scan. Created as declared: no `changed`
//! at all. Changed in the cloud afterwards: each change found, against the
//! right resource and attribute; split resources both with their parent in
//! the state and alone.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::moto::{self, MotoSession, palisade_aws};
use crate::support::code;

const REGION: &str = "eu-west-1";

/// The states the tests create, with the types taken from each: real
/// records (copies of the shared corpus, `tests/data/corpus/SOURCES.tsv`),
/// and the provider-shaped records of the types the corpus has none of
/// (`tests/data/drift/README.md`).
const INPUTS: &[(&str, &[&str])] = &[
    ("tests/data/corpus/tfstate/snyk__driftctl__aws_vpc_security_group_rule.json", &[]),
    ("tests/data/corpus/tfstate/snyk__driftctl__aws_lb_listener.json", &["aws_security_group"]),
    ("tests/data/corpus/tfplan/terraform-compliance__cli__create-noop-update.json", &["aws_instance"]),
    (
        "tests/data/corpus/tfplan/terraform-compliance__cli__issue522-drift-delete-update.json",
        &["aws_iam_role", "aws_iam_role_policy_attachment"],
    ),
    ("tests/data/corpus/tfplan/bridgecrewio__checkov__nested-child-modules-connections.json", &[]),
    ("tests/data/corpus/pulumi_stack_export/pulumi__pulumi-awsx__stack-export-ts-lb-simple.json", &[]),
    ("tests/data/drift/provider-shaped.tfstate.json", &[]),
];

/// A state created in moto: the file written, and what was made.
struct Created {
    _dir: tempfile::TempDir,
    path: String,
    map: Value,
}

impl Created {
    /// The id of the created resource at `address`.
    fn id(&self, address: &str) -> String {
        self.resources()
            .find(|r| r["address"] == address)
            .and_then(|r| r["id"].as_str())
            .unwrap_or_else(|| panic!("{address} created: {}", self.map))
            .to_string()
    }

    /// Attribute `key` of the record at `address` (`TYPE.NAME`) in the
    /// state written.
    fn attribute(&self, address: &str, key: &str) -> String {
        let state: Value =
            serde_json::from_str(&std::fs::read_to_string(&self.path).expect("the state")).expect("json");
        let (ty, name) = address.split_once('.').expect("TYPE.NAME");
        state["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["type"] == ty && r["name"] == name)
            .and_then(|r| r["instances"][0]["attributes"][key].as_str())
            .unwrap_or_else(|| panic!("{address}.{key} in {}", self.path))
            .to_string()
    }

    fn resources(&self) -> impl Iterator<Item = &Value> {
        self.map["resources"].as_array().into_iter().flatten()
    }

    /// (address, attribute) pairs moto could not set as declared.
    fn differs(&self) -> BTreeSet<(String, String)> {
        let s = |v: &Value| v.as_str().unwrap_or("").to_string();
        self.map["differs"].as_array().into_iter().flatten().map(|d| (s(&d["address"]), s(&d["attribute"]))).collect()
    }
}

fn create(session: &MotoSession, input: &str, types: &[&str]) -> Created {
    let (doc, map) = session.create_from_state(input, REGION, types);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let name = input.rsplit('/').next().unwrap_or("state.json");
    let path = dir.path().join(name);
    std::fs::write(&path, doc.to_string()).expect("write the state");
    Created { path: path.to_string_lossy().into_owned(), _dir: dir, map }
}

/// `palisade drift --state ... --format json` against a live scan of moto.
fn drift(session: &MotoSession, states: &[&Created]) -> (i32, Value) {
    let endpoint = session.endpoint();
    let mut args = vec!["drift", "--endpoint-url", &endpoint, "--region", REGION, "--format", "json"];
    for s in states {
        args.extend(["--state", s.path.as_str()]);
    }
    let out = palisade_aws(session, &args);
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (code(&out), report)
}

/// Every (address, attribute) of the report's `changed` entries (`tag:KEY`
/// for tags).
fn changes(report: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for c in report["changed"].as_array().into_iter().flatten() {
        let address = c["state"]["address"].as_str().unwrap_or("").to_string();
        for a in c["attributes"].as_array().into_iter().flatten() {
            out.insert((address.clone(), a["attribute"].as_str().unwrap_or("").to_string()));
        }
        for t in c["tags"].as_array().into_iter().flatten() {
            out.insert((address.clone(), format!("tag:{}", t["key"].as_str().unwrap_or(""))));
        }
    }
    out
}

/// Whether a change's attribute is one moto could not set as declared.
fn moto_limit(differs: &BTreeSet<(String, String)>, (address, attribute): &(String, String)) -> bool {
    let top = attribute.split('.').next().unwrap_or(attribute);
    differs.iter().any(|(a, attr)| a == address && (attr == attribute || attr == top))
}

/// What moto stores differently from AWS, so that a record created as
/// declared reads back changed: (input, address, attribute, why). Nothing
/// else may differ.
const MOTO_LIMITS: &[(&str, &str, &str, &str)] = &[(
    "snyk__driftctl__aws_vpc_security_group_rule.json",
    "aws_security_group_rule.baz-ingress",
    "ingress",
    "moto 5.2.5 drops the description of a prefix-list source (\"Baz 2\") from DescribeSecurityGroups",
)];

#[test]
fn real_state_records_created_as_declared_have_no_drift() {
    let mut problems = Vec::new();
    for &(input, types) in INPUTS {
        let session = moto::session();
        let created = create(&session, input, types);
        let (status, report) = drift(&session, &[&created]);
        let differs = created.differs();
        let excused = |(address, attribute): &(String, String)| {
            MOTO_LIMITS.iter().any(|(file, a, attr, _)| input.ends_with(file) && a == address && attr == attribute)
        };
        let false_drift: Vec<_> =
            changes(&report).into_iter().filter(|c| !moto_limit(&differs, c) && !excused(c)).collect();
        if !false_drift.is_empty() {
            problems.push(format!("{input}: false drift {false_drift:?}\n{:#}", report["changed"]));
        }
        if report["summary"]["missing"] != 0 {
            problems.push(format!("{input}: missing {:#}", report["missing"]));
        }
        if report["summary"]["not_checked_by_reason"]["unreadable"] != 0 {
            problems.push(format!("{input}: unreadable {:#}", report["not_checked"]));
        }
        let count = |k: &str| report["summary"][k].as_u64().unwrap_or(0);
        if count("in_sync") + count("changed") == 0 {
            problems.push(format!("{input}: nothing compared: {:#}", report["summary"]));
        }
        // Unmanaged resources (stand-ins, moto's defaults) make exit 1;
        // never an error.
        if status != 0 && status != 1 {
            problems.push(format!("{input}: exit {status}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Python (boto3) that changes each compared attribute it can in the
/// cloud: an ingress rule opened; a volume resized, retyped and its iops
/// raised; rotation disabled and the key disabled; an RDS instance made
/// public, resized, with a shorter backup retention; a bucket's versioning
/// suspended, policy deleted, encryption changed and logging stopped; an
/// instance resized, its IMDSv2 required and its security groups replaced;
/// a trust policy replaced; a managed policy detached.
fn mutations(shaped: &Created, listener: &Created, role: &Created, instance: &Created) -> String {
    let sg = listener.id("aws_security_group.lb_sg");
    let volume = shaped.id("aws_ebs_volume.scratch");
    let key = shaped.id("aws_kms_key.orders");
    let db = shaped.attribute("aws_db_instance.orders", "identifier");
    let bucket = shaped.id("aws_s3_bucket.data");
    let role_name =
        role.resources().find(|r| r["type"] == "aws_iam_role").and_then(|r| r["id"].as_str()).unwrap_or("").to_string();
    let instance_id = instance.id("aws_instance.unchanged");
    format!(
        r#"
import boto3
ec2 = boto3.client("ec2", region_name="{REGION}")
ec2.authorize_security_group_ingress(GroupId="{sg}", IpPermissions=[{{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{{"CidrIp": "0.0.0.0/0"}}]}}])
ec2.modify_volume(VolumeId="{volume}", Size=200, VolumeType="io1", Iops=4000)
ec2.stop_instances(InstanceIds=["{instance_id}"])
ec2.modify_instance_attribute(InstanceId="{instance_id}", InstanceType={{"Value": "m5.4xlarge"}})
ec2.modify_instance_metadata_options(InstanceId="{instance_id}", HttpTokens="required")
ec2.modify_instance_attribute(InstanceId="{instance_id}", Groups=["{sg}"])
kms = boto3.client("kms", region_name="{REGION}")
kms.disable_key_rotation(KeyId="{key}")
kms.disable_key(KeyId="{key}")
boto3.client("rds", region_name="{REGION}").modify_db_instance(DBInstanceIdentifier="{db}", PubliclyAccessible=True, BackupRetentionPeriod=1, DBInstanceClass="db.m5.large", ApplyImmediately=True)
s3 = boto3.client("s3", region_name="{REGION}")
s3.put_bucket_versioning(Bucket="{bucket}", VersioningConfiguration={{"Status": "Suspended"}})
s3.delete_bucket_policy(Bucket="{bucket}")
s3.put_bucket_encryption(Bucket="{bucket}", ServerSideEncryptionConfiguration={{"Rules": [{{"ApplyServerSideEncryptionByDefault": {{"SSEAlgorithm": "AES256"}}}}]}})
s3.put_bucket_logging(Bucket="{bucket}", BucketLoggingStatus={{}})
iam = boto3.client("iam")
iam.update_assume_role_policy(RoleName="{role_name}", PolicyDocument='{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"sts:AssumeRole"}}]}}')
for p in iam.list_attached_role_policies(RoleName="{role_name}")["AttachedPolicies"][:1]:
    iam.detach_role_policy(RoleName="{role_name}", PolicyArn=p["PolicyArn"])
"#
    )
}

#[test]
fn each_compared_attribute_changed_in_the_cloud_is_found() {
    let session = moto::session();
    let shaped = create(&session, "tests/data/drift/provider-shaped.tfstate.json", &[]);
    let listener =
        create(&session, "tests/data/corpus/tfstate/snyk__driftctl__aws_lb_listener.json", &["aws_security_group"]);
    let role = create(
        &session,
        "tests/data/corpus/tfplan/terraform-compliance__cli__issue522-drift-delete-update.json",
        &["aws_iam_role", "aws_iam_role_policy_attachment"],
    );
    let instance = create(
        &session,
        "tests/data/corpus/tfplan/terraform-compliance__cli__create-noop-update.json",
        &["aws_instance"],
    );
    let states = [&shaped, &listener, &role, &instance];
    let (_, before) = drift(&session, &states);
    let baseline = changes(&before);

    session.run_boto3(&session.endpoint(), &mutations(&shaped, &listener, &role, &instance));
    let (status, after) = drift(&session, &states);
    assert_eq!(status, 1, "drift found");
    let found: BTreeSet<(String, String)> = changes(&after).difference(&baseline).cloned().collect();
    let expected = [
        ("aws_security_group.lb_sg", "ingress"),
        ("aws_ebs_volume.scratch", "size"),
        ("aws_kms_key.orders", "enable_key_rotation"),
        ("aws_db_instance.orders", "publicly_accessible"),
        ("aws_db_instance.orders", "backup_retention_period"),
        ("aws_s3_bucket_versioning.data", "versioning.enabled"),
        ("aws_s3_bucket_policy.data", "policy"),
        (
            "aws_s3_bucket_server_side_encryption_configuration.data",
            "server_side_encryption_configuration.rule.apply_server_side_encryption_by_default.sse_algorithm",
        ),
        ("aws_s3_bucket_logging.data", "logging.target_bucket"),
        ("aws_ebs_volume.scratch", "type"),
        ("aws_kms_key.orders", "is_enabled"),
        ("aws_db_instance.orders", "instance_class"),
        ("aws_instance.unchanged", "vpc_security_group_ids"),
        ("aws_instance.unchanged", "instance_type"),
        ("aws_instance.unchanged", "metadata_options.http_tokens"),
    ];
    for (address, attribute) in expected {
        assert!(
            found.iter().any(|(a, attr)| a.ends_with(address) && attr == attribute),
            "{address} {attribute} not found; found {found:?}\n{:#}",
            after["changed"]
        );
    }
    let role_changes: Vec<_> = found.iter().filter(|(a, _)| a.contains("aws_iam_role")).collect();
    assert!(role_changes.iter().any(|(_, attr)| attr == "assume_role_policy"), "{found:?}");
    assert!(
        role_changes
            .iter()
            .any(|(a, attr)| attr == "managed_policy_arns" && a.contains("aws_iam_role_policy_attachment")),
        "a detached policy is reported against its attachment: {found:?}"
    );
    // The bucket itself is not blamed for its versioning resource's change.
    assert!(
        !found.iter().any(|(a, attr)| a.ends_with("aws_s3_bucket.data") && attr.starts_with("versioning")),
        "{found:?}"
    );
    // The ingress change shows the rule added, in the text report too.
    let text = drift_text(&session, &states);
    assert!(text.contains("attribute ingress: added in the cloud") && text.contains("0.0.0.0/0"), "{text}");
}

/// `palisade drift` in text.
fn drift_text(session: &MotoSession, states: &[&Created]) -> String {
    let endpoint = session.endpoint();
    let mut args = vec!["drift", "--endpoint-url", &endpoint, "--region", REGION];
    for s in states {
        args.extend(["--state", s.path.as_str()]);
    }
    String::from_utf8_lossy(&palisade_aws(session, &args).stdout).into_owned()
}

#[test]
fn split_rules_alone_report_a_revoked_rule_against_the_rule() {
    let session = moto::session();
    let rules = create(&session, "tests/data/corpus/tfstate/snyk__driftctl__aws_vpc_security_group_rule.json", &[]);
    let (_, before) = drift(&session, &[&rules]);
    let baseline = changes(&before);
    // Revoke the first ingress rule that has a CIDR source.
    let state: Value = serde_json::from_str(&std::fs::read_to_string(&rules.path).expect("state")).expect("json");
    let record = state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| {
            let a = &r["instances"][0]["attributes"];
            r["type"] == "aws_security_group_rule"
                && a["type"] == "ingress"
                && a["cidr_blocks"].as_array().is_some_and(|c| !c.is_empty())
        })
        .expect("an ingress rule with CIDRs");
    let a = &record["instances"][0]["attributes"];
    let address = format!("aws_security_group_rule.{}", record["name"].as_str().unwrap_or(""));
    let code = format!(
        r#"
import boto3
ec2 = boto3.client("ec2", region_name="{REGION}")
ec2.revoke_security_group_ingress(GroupId="{g}", IpPermissions=[{{"IpProtocol": "{p}", "FromPort": {f}, "ToPort": {t}, "IpRanges": [{{"CidrIp": c}} for c in {cidrs}]}}])
"#,
        g = a["security_group_id"].as_str().unwrap_or(""),
        p = a["protocol"].as_str().unwrap_or(""),
        f = a["from_port"],
        t = a["to_port"],
        cidrs = a["cidr_blocks"],
    );
    session.run_boto3(&session.endpoint(), &code);
    let (_, after) = drift(&session, &[&rules]);
    let found: BTreeSet<(String, String)> = changes(&after).difference(&baseline).cloned().collect();
    assert_eq!(found, BTreeSet::from([(address, "ingress".to_string())]), "{:#}", after["changed"]);
}

#[test]
fn pulumi_exports_compare_through_terraform_names() {
    let session = moto::session();
    let export = create(
        &session,
        "tests/data/corpus/pulumi_stack_export/pulumi__pulumi-awsx__stack-export-ts-lb-simple.json",
        &[],
    );
    let group =
        export.resources().find(|r| r["type"] == "aws_security_group").expect("a security group created").clone();
    let (id, urn) = (group["id"].as_str().unwrap_or(""), group["address"].as_str().unwrap_or(""));
    let role = export.resources().find(|r| r["type"] == "aws_iam_role").expect("a role").clone();
    let code = format!(
        r#"
import boto3
boto3.client("ec2", region_name="{REGION}").authorize_security_group_ingress(GroupId="{id}", IpPermissions=[{{"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{{"CidrIp": "0.0.0.0/0"}}]}}])
boto3.client("iam").update_assume_role_policy(RoleName="{role}", PolicyDocument='{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"sts:AssumeRole"}}]}}')
"#,
        role = role["id"].as_str().unwrap_or("")
    );
    let (_, before) = drift(&session, &[&export]);
    session.run_boto3(&session.endpoint(), &code);
    let (_, after) = drift(&session, &[&export]);
    let found: BTreeSet<(String, String)> = changes(&after).difference(&changes(&before)).cloned().collect();
    let role_urn = role["address"].as_str().unwrap_or("").to_string();
    let expected =
        BTreeSet::from([(urn.to_string(), "ingress".to_string()), (role_urn, "assume_role_policy".to_string())]);
    assert_eq!(found, expected, "{:#}", after["changed"]);
}

#[test]
fn bucket_split_resources_with_their_bucket_report_their_own_changes() {
    let session = moto::session();
    let plan =
        create(&session, "tests/data/corpus/tfplan/bridgecrewio__checkov__nested-child-modules-connections.json", &[]);
    let (_, before) = drift(&session, &[&plan]);
    let acl_bucket = plan.id("module.s3_bucket.aws_s3_bucket.this[0]");
    let root_bucket = plan.id("aws_s3_bucket.root_bucket");
    let code = format!(
        r#"
import boto3
s3 = boto3.client("s3", region_name="{REGION}")
s3.put_bucket_acl(Bucket="{acl_bucket}", ACL="private")
s3.delete_public_access_block(Bucket="{root_bucket}")
"#
    );
    session.run_boto3(&session.endpoint(), &code);
    let (_, after) = drift(&session, &[&plan]);
    let found: BTreeSet<(String, String)> = changes(&after).difference(&changes(&before)).cloned().collect();
    let blocked = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
    let mut expected = BTreeSet::from([("module.s3_bucket.aws_s3_bucket_acl.this[0]".to_string(), "acl".to_string())]);
    expected.extend(
        blocked.map(|f| ("aws_s3_bucket_public_access_block.root".to_string(), format!("public_access_block.{f}"))),
    );
    assert_eq!(found, expected, "{:#}", after["changed"]);
}
