//! S3 buckets (`aws_s3_bucket`), read once per account in its global scope:
//! `ListBuckets` finds them; `GetBucketLocation` gives each one's region, and
//! only the buckets of the regions scanned are kept; `GetBucketAcl`,
//! `GetPublicAccessBlock`, `GetBucketPolicy`, `GetBucketPolicyStatus`,
//! `GetBucketEncryption`, `GetBucketVersioning` and `GetBucketLogging` read
//! each kept bucket,
//! through a client in its region.
//!
//! API: <https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html>.
//! The ARN is `arn:PARTITION:s3:::NAME` and the Terraform id the name; tags
//! come from the Tagging API sweep of the bucket's region.
//!
//! - **Region.** An empty `LocationConstraint` is `us-east-1`, the legacy
//!   `EU` is `eu-west-1`. `GetBucketLocation` is asked in the home region
//!   (the scope's configuration) and is always made, as discovery: without
//!   it a bucket's region (and so whether it is scanned) is unknown. When
//!   it fails, the bucket is kept, with `region` unread: its inventory
//!   region is left to the scope's (`global`), not guessed, so its tags are
//!   those any region's sweep found for its ARN, else unread (never "none"
//!   from the sweep of a region it may not be in); its other detail calls
//!   go to the home region.
//! - **Not in Terraform's `aws_s3_bucket`.** The public access block and the
//!   policy status are separate resources in Terraform (or none): the
//!   block is mapped as `public_access_block` (`[]` when not configured),
//!   under the attribute names of `aws_s3_bucket_public_access_block`, and
//!   the status as `policy_is_public` (absent without a bucket policy).
//!   `acl` is not returned by AWS: the grants are (`grant`, one block per
//!   grant, where Terraform groups the permissions of one grantee).
//! - **Derived members.** The table language has no rule to compute a
//!   value, so `ListBuckets.Derived.BucketDomainName`
//!   (`NAME.s3.amazonaws.com`, Terraform's `bucket_domain_name`) and
//!   `GetBucketLocation.Derived.Region` (the region named by the location
//!   constraint) are added to the raw output. Everything else is the API's.
//! - **Endpoints.** With `--endpoint-url`, requests are path-style
//!   (`ENDPOINT/BUCKET`): compatible endpoints (moto, LocalStack, MinIO)
//!   serve buckets there, while virtual-hosted names (`BUCKET.localhost`)
//!   often do not resolve. (The SDK already uses path-style for IP address
//!   endpoints.) Against AWS nothing changes.
//!
//! moto 5.2.5: `GetBucketVersioning` answers with the XML root
//! `GetBucketVersioningResponse` where AWS sends `VersioningConfiguration`,
//! which the SDK refuses (the call fails: `versioning` unread) unless moto
//! is patched. The other calls answer with these members and AWS's error codes
//! (`NoSuchPublicAccessBlockConfiguration`, `NoSuchBucketPolicy`,
//! `ServerSideEncryptionConfigurationNotFoundError`, `NoSuchBucket`). moto
//! does not apply AWS's default encryption (SSE-S3 since January 2023) to
//! new buckets: `GetBucketEncryption` says not configured. `ListBuckets`
//! does not page (and `MaxBuckets` cuts the list without a continuation
//! token, so no page size is set).

use std::collections::HashMap;

use aws_sdk_s3 as s3;
use serde_json::Value;

use super::raw::{Raw, object};
use super::table::{Lit, Rule};
use super::{Call, Ctx, Found, Outcome, Service, TypeReader};
use crate::aws::regions::partition_of;

const LIST_BUCKETS: Call = Call::list("s3", "ListBuckets");
const GET_BUCKET_LOCATION: Call = Call::detail("s3", "GetBucketLocation", &[], &["NoSuchBucket"]);
const GET_BUCKET_ACL: Call = Call::detail("s3", "GetBucketAcl", &[], &["NoSuchBucket"]);
const GET_PUBLIC_ACCESS_BLOCK: Call =
    Call::detail("s3", "GetPublicAccessBlock", &["NoSuchPublicAccessBlockConfiguration"], &["NoSuchBucket"]);
const GET_BUCKET_POLICY: Call = Call::detail("s3", "GetBucketPolicy", &["NoSuchBucketPolicy"], &["NoSuchBucket"]);
const GET_BUCKET_POLICY_STATUS: Call =
    Call::detail("s3", "GetBucketPolicyStatus", &["NoSuchBucketPolicy"], &["NoSuchBucket"]);
const GET_BUCKET_ENCRYPTION: Call =
    Call::detail("s3", "GetBucketEncryption", &["ServerSideEncryptionConfigurationNotFoundError"], &["NoSuchBucket"]);
const GET_BUCKET_VERSIONING: Call = Call::detail("s3", "GetBucketVersioning", &[], &["NoSuchBucket"]);
const GET_BUCKET_LOGGING: Call = Call::detail("s3", "GetBucketLogging", &[], &["NoSuchBucket"]);

/// The detail calls after `GetBucketLocation` (skipped together when no
/// loaded policy judges buckets).
const DETAILS: &[&Call] = &[
    &GET_BUCKET_ACL,
    &GET_PUBLIC_ACCESS_BLOCK,
    &GET_BUCKET_POLICY,
    &GET_BUCKET_POLICY_STATUS,
    &GET_BUCKET_ENCRYPTION,
    &GET_BUCKET_VERSIONING,
    &GET_BUCKET_LOGGING,
];

/// `aws_s3_bucket`.
pub static BUCKET: TypeReader = TypeReader {
    terraform_type: "aws_s3_bucket",
    tagging_type: "s3",
    calls: &[
        &LIST_BUCKETS,
        &GET_BUCKET_LOCATION,
        &GET_BUCKET_ACL,
        &GET_PUBLIC_ACCESS_BLOCK,
        &GET_BUCKET_POLICY,
        &GET_BUCKET_POLICY_STATUS,
        &GET_BUCKET_ENCRYPTION,
        &GET_BUCKET_VERSIONING,
        &GET_BUCKET_LOGGING,
    ],
    rules: &[
        Rule::Copy("ListBuckets.Name", "bucket"),
        Rule::Copy("ListBuckets.Derived.BucketDomainName", "bucket_domain_name"),
        Rule::Copy("GetBucketLocation.Derived.Region", "region"),
        Rule::Each {
            from: "GetBucketAcl.Grants",
            to: "grant",
            rules: &[
                Rule::Or("Grantee.ID", "id", Lit::Str("")),
                Rule::Copy("Grantee.Type", "type"),
                Rule::Or("Grantee.URI", "uri", Lit::Str("")),
                Rule::Wrap("Permission", "permissions"),
            ],
        },
        Rule::Nest {
            from: "GetBucketEncryption.ServerSideEncryptionConfiguration",
            to: "server_side_encryption_configuration",
            rules: &[Rule::Each {
                from: "Rules",
                to: "rule",
                rules: &[
                    Rule::Nest {
                        from: "ApplyServerSideEncryptionByDefault",
                        to: "apply_server_side_encryption_by_default",
                        rules: &[
                            Rule::Copy("SSEAlgorithm", "sse_algorithm"),
                            Rule::Or("KMSMasterKeyID", "kms_master_key_id", Lit::Str("")),
                        ],
                    },
                    Rule::Or("BucketKeyEnabled", "bucket_key_enabled", Lit::Bool(false)),
                ],
            }],
        },
        Rule::Nest {
            from: "GetBucketVersioning",
            to: "versioning",
            rules: &[Rule::Equals("Status", "enabled", "Enabled"), Rule::Equals("MFADelete", "mfa_delete", "Enabled")],
        },
        Rule::Nest {
            from: "GetBucketLogging.LoggingEnabled",
            to: "logging",
            rules: &[Rule::Copy("TargetBucket", "target_bucket"), Rule::Copy("TargetPrefix", "target_prefix")],
        },
        Rule::Nest {
            from: "GetPublicAccessBlock.PublicAccessBlockConfiguration",
            to: "public_access_block",
            rules: &[
                Rule::Or("BlockPublicAcls", "block_public_acls", Lit::Bool(false)),
                Rule::Or("BlockPublicPolicy", "block_public_policy", Lit::Bool(false)),
                Rule::Or("IgnorePublicAcls", "ignore_public_acls", Lit::Bool(false)),
                Rule::Or("RestrictPublicBuckets", "restrict_public_buckets", Lit::Bool(false)),
            ],
        },
        Rule::Json("GetBucketPolicy.Policy", "policy"),
        Rule::Copy("GetBucketPolicyStatus.PolicyStatus.IsPublic", "policy_is_public"),
    ],
    own_tags: false,
};

/// The S3 reader.
pub static SERVICE: Service = Service { name: "s3", global: true, types: &[&BUCKET], read: |ctx| Box::pin(read(ctx)) };

crate::raw_struct! {
    s3::types::Bucket { "Name" => name, "CreationDate" => creation_date }
    s3::operation::get_bucket_acl::GetBucketAclOutput { "Grants" => grants }
    s3::types::Grant { "Grantee" => grantee, "Permission" => permission }
    s3::types::Grantee { "ID" => id, "Type" => r#type, "URI" => uri }
    s3::operation::get_public_access_block::GetPublicAccessBlockOutput {
        "PublicAccessBlockConfiguration" => public_access_block_configuration,
    }
    s3::types::PublicAccessBlockConfiguration {
        "BlockPublicAcls" => block_public_acls, "IgnorePublicAcls" => ignore_public_acls,
        "BlockPublicPolicy" => block_public_policy, "RestrictPublicBuckets" => restrict_public_buckets,
    }
    s3::operation::get_bucket_policy::GetBucketPolicyOutput { "Policy" => policy }
    s3::operation::get_bucket_policy_status::GetBucketPolicyStatusOutput { "PolicyStatus" => policy_status }
    s3::types::PolicyStatus { "IsPublic" => is_public }
    s3::operation::get_bucket_encryption::GetBucketEncryptionOutput {
        "ServerSideEncryptionConfiguration" => server_side_encryption_configuration,
    }
    s3::types::ServerSideEncryptionConfiguration { "Rules" => rules }
    s3::types::ServerSideEncryptionRule {
        "ApplyServerSideEncryptionByDefault" => apply_server_side_encryption_by_default,
        "BucketKeyEnabled" => bucket_key_enabled,
    }
    s3::types::ServerSideEncryptionByDefault { "SSEAlgorithm" => sse_algorithm, "KMSMasterKeyID" => kms_master_key_id }
    s3::operation::get_bucket_versioning::GetBucketVersioningOutput { "Status" => status, "MFADelete" => mfa_delete }
    s3::operation::get_bucket_logging::GetBucketLoggingOutput { "LoggingEnabled" => logging_enabled }
    s3::types::LoggingEnabled { "TargetBucket" => target_bucket, "TargetPrefix" => target_prefix }
}
crate::raw_enum!(
    s3::types::Permission,
    s3::types::Type,
    s3::types::ServerSideEncryption,
    s3::types::BucketVersioningStatus,
    s3::types::MfaDeleteStatus,
);

/// One S3 client per region, all from the scope's configuration.
struct Clients<'a> {
    ctx: &'a Ctx,
    by_region: std::sync::Mutex<HashMap<String, s3::Client>>,
}

impl Clients<'_> {
    /// The client of `region`, made on first use: path-style addressing
    /// when an endpoint URL is configured (see the module docs).
    fn of(&self, region: &str) -> s3::Client {
        let ctx = self.ctx;
        self.by_region
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(region.to_string())
            .or_insert_with(|| {
                let mut config =
                    s3::config::Builder::from(&ctx.config).region(s3::config::Region::new(region.to_string()));
                if ctx.config.endpoint_url().is_some() {
                    config = config.force_path_style(true);
                }
                s3::Client::from_conf(config.build())
            })
            .clone()
    }
}

async fn read(ctx: &Ctx) {
    if !ctx.wants(&BUCKET) || !ctx.is_global() {
        return;
    }
    let home = ctx.config.region().map_or_else(|| "us-east-1".to_string(), |r| r.as_ref().to_string());
    let clients = Clients { ctx, by_region: std::sync::Mutex::new(HashMap::new()) };
    let mut pages = clients.of(&home).list_buckets().into_paginator().send();
    while let Some(page) = ctx.page(&BUCKET, &LIST_BUCKETS, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => return ctx.list_failed(f),
            Outcome::Absent | Outcome::Gone => return,
        };
        let buckets: Vec<s3::types::Bucket> = page.buckets().iter().filter(|b| b.name().is_some()).cloned().collect();
        let (clients, home) = (&clients, home.as_str());
        ctx.each(buckets, |bucket| async move {
            read_bucket(ctx, clients, home, &bucket, bucket.name().unwrap_or_default()).await
        })
        .await;
    }
}

/// One bucket: its location, then (in a region scanned) its details.
/// `None` when it is in a region not scanned, or gone.
async fn read_bucket(
    ctx: &Ctx,
    clients: &Clients<'_>,
    home: &str,
    bucket: &s3::types::Bucket,
    name: &str,
) -> Option<Found> {
    let partition = partition_of(home);
    let mut item = bucket.raw();
    if let Value::Object(members) = &mut item {
        members.insert("Derived".into(), object([("BucketDomainName", bucket_domain_name(name, partition).into())]));
    }
    let mut found = Found::new(&BUCKET, format!("arn:{partition}:s3:::{name}"), &LIST_BUCKETS, item);
    found.id = Some(name.to_string());
    let request = clients.of(home).get_bucket_location().bucket(name).send();
    let constraint = ctx
        .call(&BUCKET, &GET_BUCKET_LOCATION, request)
        .await
        .map(|out| out.location_constraint().map(|c| c.as_str().to_string()).filter(|c| !c.is_empty()));
    found.region = match &constraint {
        Outcome::Ok(c) => Some(region_of(c.as_deref())),
        _ => None,
    };
    if found.region.as_ref().is_some_and(|r| !ctx.regions.contains(r)) {
        return None;
    }
    let region = found.region.clone();
    let location =
        constraint.map(|c| object([("LocationConstraint", c.raw()), ("Derived", object([("Region", region.raw())]))]));
    if !found.record(&GET_BUCKET_LOCATION, location) {
        return None;
    }
    if !ctx.details(&BUCKET) {
        found.skip(DETAILS);
        return Some(found);
    }
    let client = clients.of(region.as_deref().unwrap_or(home));
    read_details(ctx, &client, &mut found, name).await.then_some(found)
}

/// The detail calls of one bucket, at once (within the scope's bounds);
/// `false` when it is gone.
async fn read_details(ctx: &Ctx, client: &s3::Client, found: &mut Found, name: &str) -> bool {
    let (acl, block, policy, status, encryption, versioning, logging) = tokio::join!(
        ctx.call(&BUCKET, &GET_BUCKET_ACL, client.get_bucket_acl().bucket(name).send()),
        ctx.call(&BUCKET, &GET_PUBLIC_ACCESS_BLOCK, client.get_public_access_block().bucket(name).send()),
        ctx.call(&BUCKET, &GET_BUCKET_POLICY, client.get_bucket_policy().bucket(name).send()),
        ctx.call(&BUCKET, &GET_BUCKET_POLICY_STATUS, client.get_bucket_policy_status().bucket(name).send()),
        ctx.call(&BUCKET, &GET_BUCKET_ENCRYPTION, client.get_bucket_encryption().bucket(name).send()),
        ctx.call(&BUCKET, &GET_BUCKET_VERSIONING, client.get_bucket_versioning().bucket(name).send()),
        ctx.call(&BUCKET, &GET_BUCKET_LOGGING, client.get_bucket_logging().bucket(name).send()),
    );
    found.record(&GET_BUCKET_ACL, acl.map(|o| o.raw()))
        && found.record(&GET_PUBLIC_ACCESS_BLOCK, block.map(|o| o.raw()))
        && found.record(&GET_BUCKET_POLICY, policy.map(|o| o.raw()))
        && found.record(&GET_BUCKET_POLICY_STATUS, status.map(|o| o.raw()))
        && found.record(&GET_BUCKET_ENCRYPTION, encryption.map(|o| o.raw()))
        && found.record(&GET_BUCKET_VERSIONING, versioning.map(|o| o.raw()))
        && found.record(&GET_BUCKET_LOGGING, logging.map(|o| o.raw()))
}

/// The region a `LocationConstraint` names: none (or empty) is
/// `us-east-1`, the legacy `EU` is `eu-west-1`.
fn region_of(constraint: Option<&str>) -> String {
    match constraint {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(region) => region.to_string(),
    }
}

/// Terraform's `bucket_domain_name`: `NAME.s3.amazonaws.com` (`.com.cn` in
/// the China partition).
fn bucket_domain_name(name: &str, partition: &str) -> String {
    let suffix = if partition == "aws-cn" { "amazonaws.com.cn" } else { "amazonaws.com" };
    format!("{name}.s3.{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `pub-read` (created with ACL `public-read`) as moto 5.2.5 answered.
    fn public_read() -> Value {
        json!({
            "ListBuckets": {"CreationDate": "2026-12-07T16:53:07Z", "Name": "pub-read",
                            "Derived": {"BucketDomainName": "pub-read.s3.amazonaws.com"}},
            "GetBucketLocation": {"Derived": {"Region": "us-east-1"}},
            "GetBucketAcl": {"Grants": [
                {"Grantee": {"ID": "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "Type": "CanonicalUser"},
                 "Permission": "FULL_CONTROL"},
                {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}
            ]},
            "GetBucketEncryption": null, "GetBucketLogging": {}, "GetBucketPolicyStatus": null,
            "GetBucketVersioning": {}, "GetPublicAccessBlock": null
        })
    }

    /// `eu-bucket` (eu-west-1: logging on, versioning suspended, a public
    /// bucket policy) and `enc-ver-pab` (SSE-KMS with a bucket key,
    /// versioning on, the whole public access block), as moto answered.
    fn configured() -> (Value, Value) {
        let eu = json!({
            "ListBuckets": {"CreationDate": "2026-12-07T16:53:07Z", "Name": "eu-bucket",
                            "Derived": {"BucketDomainName": "eu-bucket.s3.amazonaws.com"}},
            "GetBucketLocation": {"LocationConstraint": "eu-west-1", "Derived": {"Region": "eu-west-1"}},
            "GetBucketAcl": {"Grants": [{"Grantee": {"ID": "75aa", "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}]},
            "GetBucketEncryption": null,
            "GetBucketLogging": {"LoggingEnabled": {"TargetBucket": "eu-logs", "TargetPrefix": "eu-bucket/"}},
            "GetBucketPolicyStatus": {"PolicyStatus": {"IsPublic": true}},
            "GetBucketVersioning": {"Status": "Suspended"}, "GetPublicAccessBlock": null
        });
        let encrypted = json!({
            "ListBuckets": {"CreationDate": "2026-12-07T16:53:07Z", "Name": "enc-ver-pab",
                            "Derived": {"BucketDomainName": "enc-ver-pab.s3.amazonaws.com"}},
            "GetBucketLocation": {"Derived": {"Region": "us-east-1"}},
            "GetBucketAcl": {"Grants": []},
            "GetBucketEncryption": {"ServerSideEncryptionConfiguration": {"Rules": [{
                "ApplyServerSideEncryptionByDefault": {"KMSMasterKeyID": "arn:aws:kms:us-east-1:123456789012:key/abc",
                                                       "SSEAlgorithm": "aws:kms"},
                "BucketKeyEnabled": true}]}},
            "GetBucketLogging": {}, "GetBucketPolicyStatus": null, "GetBucketVersioning": {"Status": "Enabled"},
            "GetPublicAccessBlock": {"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true,
                                                                        "IgnorePublicAcls": true, "RestrictPublicBuckets": true}}
        });
        (eu, encrypted)
    }

    #[test]
    fn a_public_read_bucket_has_an_all_users_read_grant() {
        let out = super::super::table::apply(BUCKET.rules, &public_read());
        assert_eq!(
            Value::Object(out),
            json!({
                "bucket": "pub-read",
                "bucket_domain_name": "pub-read.s3.amazonaws.com",
                "region": "us-east-1",
                "grant": [
                    {"id": "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "type": "CanonicalUser",
                     "uri": "", "permissions": ["FULL_CONTROL"]},
                    {"id": "", "type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                     "permissions": ["READ"]}
                ],
                "server_side_encryption_configuration": [],
                "versioning": [{"enabled": false, "mfa_delete": false}],
                "logging": [],
                "public_access_block": []
            })
        );
    }

    #[test]
    fn encryption_versioning_logging_and_the_public_access_block_are_blocks() {
        let (eu, encrypted) = configured();
        let eu = super::super::table::apply(BUCKET.rules, &eu);
        assert_eq!(eu["region"], json!("eu-west-1"));
        assert_eq!(eu["logging"], json!([{"target_bucket": "eu-logs", "target_prefix": "eu-bucket/"}]));
        assert_eq!(eu["versioning"], json!([{"enabled": false, "mfa_delete": false}]));
        assert_eq!(eu["policy_is_public"], json!(true));
        assert_eq!(eu["server_side_encryption_configuration"], json!([]));
        assert_eq!(eu["public_access_block"], json!([]));
        let encrypted = super::super::table::apply(BUCKET.rules, &encrypted);
        assert_eq!(
            encrypted["server_side_encryption_configuration"],
            json!([{"rule": [{
                "apply_server_side_encryption_by_default": [
                    {"sse_algorithm": "aws:kms", "kms_master_key_id": "arn:aws:kms:us-east-1:123456789012:key/abc"}
                ],
                "bucket_key_enabled": true
            }]}])
        );
        assert_eq!(encrypted["versioning"], json!([{"enabled": true, "mfa_delete": false}]));
        assert_eq!(
            encrypted["public_access_block"],
            json!([{"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true,
                    "restrict_public_buckets": true}])
        );
        assert_eq!(encrypted["grant"], json!([]));
        assert!(encrypted.get("policy_is_public").is_none(), "no bucket policy: {encrypted:?}");
    }

    #[test]
    fn each_call_names_the_attributes_it_reads() {
        let of = |call| super::super::table::attributes_of_call(BUCKET.rules, call);
        assert_eq!(of("GetBucketLocation"), ["region"]);
        assert_eq!(of("GetBucketAcl"), ["grant"]);
        assert_eq!(of("GetPublicAccessBlock"), ["public_access_block"]);
        assert_eq!(of("GetBucketPolicyStatus"), ["policy_is_public"]);
        assert_eq!(of("GetBucketEncryption"), ["server_side_encryption_configuration"]);
        assert_eq!(of("GetBucketVersioning"), ["versioning"]);
        assert_eq!(of("GetBucketLogging"), ["logging"]);
        assert_eq!(BUCKET.calls.len(), DETAILS.len() + 2);
    }

    #[test]
    fn location_constraints_name_regions() {
        assert_eq!(region_of(None), "us-east-1");
        assert_eq!(region_of(Some("")), "us-east-1");
        assert_eq!(region_of(Some("EU")), "eu-west-1");
        assert_eq!(region_of(Some("ap-south-2")), "ap-south-2");
        assert_eq!(bucket_domain_name("b", "aws"), "b.s3.amazonaws.com");
        assert_eq!(bucket_domain_name("b", "aws-cn"), "b.s3.amazonaws.com.cn");
    }
}
