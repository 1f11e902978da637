//! `aws-baseline`: Palisade's built-in AWS policy pack.
//!
//! Each policy judges both the Terraform form (`aws_ebs_volume`, snake_case
//! properties, nested blocks as lists) and the Pulumi form
//! (`aws:ebs/volume:Volume`, camelCase properties, nested blocks as objects)
//! of the resources it checks. A value known only after apply makes the
//! policy undecided, never a violation; a value the configuration leaves
//! out takes the provider's default, or is undecided with the reason where
//! something else decides (ABI section 4, "Not set and encrypted values"). Built for `wasm32-unknown-unknown`;
//! see README.md.

use palisade_sdk::Pack;

mod ec2;
mod ecr;
mod eks;
mod kms;
mod lb;
mod rds;
mod s3;
mod security_group;
mod stack;
mod tags;

/// The pack: every policy of every service module.
fn pack() -> Pack {
    let policies = std::iter::empty()
        .chain(security_group::policies())
        .chain(ec2::policies())
        .chain(rds::policies())
        .chain(s3::policies())
        .chain(kms::policies())
        .chain(ecr::policies())
        .chain(eks::policies())
        .chain(lb::policies())
        .chain(tags::policies());
    Pack::new("aws-baseline", env!("CARGO_PKG_VERSION"))
        .description(
            "Baseline security policies for AWS resources in Terraform plans and states and Pulumi previews and exports.",
        )
        .policies(policies)
        .policies(ec2::stack_policies())
        .policies(stack::policies())
}

palisade_sdk::export_pack!(pack);

#[cfg(test)]
mod tests {
    #[test]
    fn pack_is_valid() {
        let pack = super::pack();
        assert_eq!(pack.validate(), Ok(()));
        assert_eq!(pack.all_policies().len(), 14);
    }
}
