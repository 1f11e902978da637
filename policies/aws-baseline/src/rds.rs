//! RDS database instances.

use palisade_sdk::prelude::*;

const TYPES: [&str; 2] = ["aws_db_instance", "aws:rds/instance:Instance"];

pub fn policies() -> [ResourcePolicy; 2] {
    [
        ResourcePolicy::new("aws-rds-instance-disallow-public-access", Severity::Critical, no_public_access)
            .description("Checks that RDS DB instances are not publicly accessible.")
            .types(TYPES)
            .help("Set publicly_accessible to false and reach the database from inside its VPC."),
        ResourcePolicy::new("aws-rds-instance-disallow-unencrypted-storage", Severity::High, storage_encrypted)
            .description("Checks that RDS DB instances encrypt their storage.")
            .types(TYPES)
            .help(
                "Set storage_encrypted to true (an existing instance is re-created from an encrypted snapshot copy).",
            ),
    ]
}

fn no_public_access(r: &Resource, _: &Config) -> Outcome {
    let public = r.get("publicly_accessible");
    require(
        public.bool()? != Some(true),
        format!("RDS DB instance is publicly accessible ({} is true).", public.path_string()),
    )
}

fn storage_encrypted(r: &Resource, _: &Config) -> Outcome {
    let encrypted = r.get("storage_encrypted");
    require(
        encrypted.bool()? == Some(true),
        format!("RDS DB instance storage is not encrypted ({} is {}).", encrypted.path_string(), encrypted.display()),
    )
}
