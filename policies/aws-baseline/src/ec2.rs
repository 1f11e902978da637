//! EC2 instances and EBS volumes.

use palisade_sdk::prelude::*;

pub fn policies() -> [ResourcePolicy; 3] {
    [
        ResourcePolicy::new("aws-ebs-volume-disallow-unencrypted-volume", Severity::High, ebs_encrypted)
            .description("Checks that EBS volumes are encrypted.")
            .types(["aws_ebs_volume", "aws:ebs/volume:Volume"])
            .help("Set encrypted to true on the volume (optionally with a customer managed kms_key_id)."),
        ResourcePolicy::new("aws-ec2-instance-disallow-public-ip", Severity::High, no_public_ip)
            .description("Checks that EC2 instances are not given a public IP address.")
            .types(["aws_instance", "aws:ec2/instance:Instance"])
            .help("Set associate_public_ip_address to false and reach the instance through a load balancer, a bastion or SSM."),
        ResourcePolicy::new(
            "aws-ec2-instance-disallow-unencrypted-root-block-device",
            Severity::High,
            root_device_encrypted,
        )
        .description("Checks that EC2 instances declare an encrypted root block device.")
        .types(["aws_instance", "aws:ec2/instance:Instance"])
        .help("Add a root_block_device block with encrypted set to true."),
    ]
}

/// `encrypted` not set in the configuration is unencrypted: the provider
/// leaves it to the account's EBS encryption by default, which is off
/// unless turned on (checkov fails it too).
fn ebs_encrypted(r: &Resource, _: &Config) -> Outcome {
    let encrypted = r.get("encrypted");
    require(
        encrypted.as_configured().bool()? == Some(true),
        format!("EBS volume is not encrypted (encrypted is {}).", encrypted.display()),
    )
}

/// `associate_public_ip_address` not set in the configuration is decided
/// by the subnet (`map_public_ip_on_launch`), which this resource does not
/// carry: undecided, with that reason.
fn no_public_ip(r: &Resource, _: &Config) -> Outcome {
    let public = r.get("associate_public_ip_address");
    if public.is_unset() {
        return undecided(format!(
            "{} is not set in the configuration, so the instance gets a public IP address when its subnet \
             maps one on launch (map_public_ip_on_launch); set it to false to decide.",
            public.path_string()
        ));
    }
    require(
        public.bool()? != Some(true),
        format!("EC2 instance is given a public IP address ({} is true).", public.path_string()),
    )
}

/// A root block device left out of the configuration, or one whose
/// `encrypted` the configuration leaves out, is not declared encrypted.
fn root_device_encrypted(r: &Resource, _: &Config) -> Outcome {
    let block = r.get("root_block_device");
    let device = block.as_configured().first();
    if device.is_unknown() {
        return Err(device.unknown().into());
    }
    if !device.is_known() {
        let where_ = if block.is_unset() { " in the configuration" } else { "" };
        return violation(format!(
            "EC2 instance has no {}{where_}, so its root volume is not declared encrypted.",
            block.path_string()
        ));
    }
    let encrypted = device.get("encrypted");
    require(
        encrypted.bool()? == Some(true),
        format!(
            "EC2 instance root block device is not encrypted (encrypted is {}).",
            block.first().get("encrypted").display()
        ),
    )
}
