//! S3 buckets and bucket ACLs.

use palisade_sdk::prelude::*;

const PUBLIC_ACLS: [&str; 3] = ["public-read", "public-read-write", "authenticated-read"];
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
/// Any AWS account: as public as AllUsers for a bucket's contents.
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const READ_PERMISSIONS: [&str; 2] = ["READ", "FULL_CONTROL"];

pub fn policies() -> [ResourcePolicy; 1] {
    [ResourcePolicy::new("aws-s3-bucket-disallow-public-read", Severity::Critical, no_public_read)
        .description("Checks that S3 buckets are not readable by everyone through a canned ACL (public-read, public-read-write, authenticated-read) or a grant to AllUsers or AuthenticatedUsers (any AWS account), unless its public access block ignores public ACLs; at level remediate, proposes blocking public access on the bucket (s3.block-public-access).")
        .types([
            "aws_s3_bucket",
            "aws_s3_bucket_acl",
            "aws:s3/bucket:Bucket",
            "aws:s3/bucketV2:BucketV2",
            "aws:s3/bucketAclV2:BucketAclV2",
            "aws:s3/bucketAcl:BucketAcl",
        ])
        .help("Use the private ACL (or none, with S3 Object Ownership set to BucketOwnerEnforced) and keep S3 Block Public Access on; share objects with presigned URLs or CloudFront. At enforcement level remediate, `palisade remediate --allow-action s3.block-public-access` turns on all four Block Public Access settings of a bucket and resets a public ACL to private.")]
}

fn no_public_read(r: &Resource, _: &Config) -> Outcome {
    // aws_s3_bucket(_acl) `grant`/Pulumi `grants`; aws_s3_bucket_acl
    // `access_control_policy[0].grant[].grantee[0]`/Pulumi `accessControlPolicy.grants[].grantee`.
    // Not set in the configuration, `acl`, `grant` and
    // `access_control_policy` are private: the AWS provider 4+ computes
    // them, and a new bucket is private.
    let props = r.configured();
    // S3 ignores every public ACL and grant of a bucket whose public access
    // block sets IgnorePublicAcls (a live bucket's `public_access_block`).
    let ignored = props.get("public_access_block").first().get("ignore_public_acls").bool();
    if matches!(ignored, Ok(Some(true))) {
        return Ok(());
    }
    let policy = props.get("access_control_policy").first();
    let outcome = all([
        canned_acl(&props),
        grants(props, |g| (g.get("uri"), g.get("permissions"))),
        grants(policy, |g| (g.get("grantee").first().get("uri"), g.get("permission"))),
    ]);
    match outcome {
        Err(Finding::Violation(message)) if can_block(r) => {
            violation_with_fix(message, Remediation::action(BLOCK_PUBLIC_ACCESS))
        }
        other => other,
    }
}

/// The action that turns on a bucket's public access block and resets a
/// public ACL (`PutPublicAccessBlock`, `PutBucketAcl private`).
const BLOCK_PUBLIC_ACCESS: &str = "s3.block-public-access";

/// Whether `s3.block-public-access` can fix `r`: a bucket (not an ACL
/// resource) whose public access block, which the action sets, is known
/// or absent (a live bucket whose block could not be read is not).
fn can_block(r: &Resource) -> bool {
    let block = r.get("public_access_block");
    Remediation::action_applies_to(BLOCK_PUBLIC_ACCESS, r.resource_type())
        && !block.is_unknown()
        && !block.contains_unknown()
}

fn canned_acl(props: &Prop) -> Outcome {
    let acl = props.get("acl");
    match acl.str()? {
        Some(a) if PUBLIC_ACLS.contains(&a) => {
            let access = match a {
                "public-read-write" => "public read and write",
                "authenticated-read" => "read to any AWS account",
                _ => "public read",
            };
            violation(format!("S3 bucket ACL {} grants {access} access.", acl.display()))
        }
        _ => Ok(()),
    }
}

/// The grants under `parent` (`grant` or `grants`), each split by `parts`
/// into its grantee URI and its permission(s).
fn grants<'a>(parent: Prop<'a>, parts: impl Fn(&Prop<'a>) -> (Prop<'a>, Prop<'a>)) -> Outcome {
    all(parent.get_any(&["grant", "grants"]).items()?.map(|grant| {
        let (uri, permissions) = parts(&grant);
        let who = match uri.str()? {
            Some(ALL_USERS) => "everyone (AllUsers)",
            Some(AUTHENTICATED_USERS) => "any AWS account (AuthenticatedUsers)",
            _ => return Ok(()),
        };
        for permission in permissions.strings()? {
            if READ_PERMISSIONS.contains(&permission) {
                return violation(format!(
                    "S3 bucket {} grants {permission} to {who}.",
                    grant.path_string()
                ));
            }
        }
        Ok(())
    }))
}
