//! Stack policies: checks that need every resource of the plan at once,
//! including the ones being deleted (resource policies never see those).

use palisade_sdk::prelude::*;

/// Types whose deletion loses data: Terraform and Pulumi forms.
const STATEFUL: &[&str] = &[
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_s3_bucket",
    "aws_dynamodb_table",
    "aws_ebs_volume",
    "aws_efs_file_system",
    "aws_kms_key",
    "aws:rds/instance:Instance",
    "aws:rds/cluster:Cluster",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:dynamodb/table:Table",
    "aws:ebs/volume:Volume",
    "aws:efs/fileSystem:FileSystem",
    "aws:kms/key:Key",
];

pub fn policies() -> [StackPolicy; 1] {
    [StackPolicy::new("aws-stateful-resource-disallow-deletion", Severity::Medium, deletions)
        .description(
            "Reports plans that delete or replace resources holding data (databases, buckets, volumes, tables, keys).",
        )
        .help("Check that the deletion is intended; move the resource (moved block, alias) instead of recreating it.")]
}

fn deletions(stack: &Stack, _: &Config) -> Vec<(String, Finding)> {
    stack
        .resources()
        .filter(|r| r.kind() == Kind::Managed && r.is_type(STATEFUL))
        .filter_map(|r| {
            let verb = match r.op() {
                Op::Delete => "deletes",
                Op::Replace => "replaces (deletes, then recreates)",
                _ => return None,
            };
            let message = format!("The plan {verb} {} (type {}), which holds data.", r.address(), r.resource_type());
            Some((r.address().to_string(), Finding::Violation(message)))
        })
        .collect()
}
