//! RDS database instances.

use palisade_sdk::prelude::*;

const TYPES: [&str; 2] = ["aws_db_instance", "aws:rds/instance:Instance"];

pub fn policies() -> [ResourcePolicy; 2] {
    [
        ResourcePolicy::new("aws-rds-instance-disallow-public-access", Severity::Critical, no_public_access)
            .description("Checks that RDS DB instances are not publicly accessible; at level remediate, proposes turning public access off (rds.disable-public-access).")
            .types(TYPES)
            .help("Set publicly_accessible to false and reach the database from inside its VPC. At enforcement level remediate, `palisade remediate --allow-action rds.disable-public-access` modifies a live instance (PubliclyAccessible=false, applied immediately)."),
        ResourcePolicy::new("aws-rds-instance-disallow-unencrypted-storage", Severity::High, storage_encrypted)
            .description("Checks that RDS DB instances encrypt their storage.")
            .types(TYPES)
            .help(
                "Set storage_encrypted to true (an existing instance is re-created from an encrypted snapshot copy).",
            ),
    ]
}

/// `publicly_accessible` not set in the configuration is false (the
/// provider's default).
fn no_public_access(r: &Resource, _: &Config) -> Outcome {
    let public = r.get("publicly_accessible");
    if public.as_configured().bool()? != Some(true) {
        return Ok(());
    }
    violation_with_fix(
        format!("RDS DB instance is publicly accessible ({} is true).", public.path_string()),
        Remediation::action("rds.disable-public-access"),
    )
}

/// `storage_encrypted` not set in the configuration is false, except for
/// an Aurora instance, whose cluster decides (undecided).
fn storage_encrypted(r: &Resource, _: &Config) -> Outcome {
    let encrypted = r.get("storage_encrypted");
    let aurora = r.configured().get("engine").str()?.is_some_and(|e| e.starts_with("aurora"));
    let left_out = encrypted.is_unset() || encrypted.is_null() || encrypted.is_absent();
    if left_out && aurora {
        return undecided(format!(
            "{} is not set in the configuration: an Aurora instance's storage is encrypted as its cluster is.",
            encrypted.path_string()
        ));
    }
    require(
        encrypted.as_configured().bool()? == Some(true),
        format!(
            "RDS DB instance storage is not encrypted ({} is {}).",
            encrypted.path_string(),
            if encrypted.is_null() { "not set".to_string() } else { encrypted.display().to_string() }
        ),
    )
}
