//! EC2 instances and EBS volumes.

use std::collections::HashMap;

use palisade_sdk::prelude::*;

/// Instance and subnet types: Terraform and Pulumi forms.
const INSTANCE_TYPES: [&str; 2] = ["aws_instance", "aws:ec2/instance:Instance"];
const SUBNET_TYPES: [&str; 2] = ["aws_subnet", "aws:ec2/subnet:Subnet"];

/// The stack-aware public IP policy: whether an instance gets a public IP
/// address can depend on its subnet, elsewhere in the plan.
pub fn stack_policies() -> [StackPolicy; 1] {
    [StackPolicy::new("aws-ec2-instance-disallow-public-ip", Severity::High, no_public_ips)
        .description("Checks that EC2 instances are not given a public IP address (by their own setting, or by their subnet's map_public_ip_on_launch when they leave it out).")
        .help("Set associate_public_ip_address to false and reach the instance through a load balancer, a bastion or SSM.")]
}

pub fn policies() -> [ResourcePolicy; 2] {
    [
        ResourcePolicy::new("aws-ebs-volume-disallow-unencrypted-volume", Severity::High, ebs_encrypted)
            .description("Checks that EBS volumes are encrypted.")
            .types(["aws_ebs_volume", "aws:ebs/volume:Volume"])
            .help("Set encrypted to true on the volume (optionally with a customer managed kms_key_id)."),
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

/// Whether `r` is a managed resource of one of `types` that will exist.
fn exists_as(r: &Resource, types: &[&str]) -> bool {
    r.kind() == Kind::Managed && r.op().will_exist() && r.is_type(types)
}

/// Every instance that will exist, judged with the stack's subnets (by id,
/// indexed once).
fn no_public_ips(stack: &Stack, _: &Config) -> Vec<(String, Finding)> {
    let mut subnets = HashMap::new();
    for subnet in stack.resources().filter(|s| exists_as(s, &SUBNET_TYPES)) {
        if let Ok(Some(id)) = subnet.get("id").str() {
            subnets.entry(id).or_insert(subnet);
        }
    }
    stack
        .resources()
        .filter(|r| exists_as(r, &INSTANCE_TYPES))
        .filter_map(|r| no_public_ip(&subnets, &r).err().map(|finding| (r.address().to_string(), finding)))
        .collect()
}

/// `associate_public_ip_address` true fails. Not set in the configuration,
/// the subnet decides: its `map_public_ip_on_launch` (not set: false), when
/// the plan has the subnet with the instance's known `subnet_id`;
/// otherwise undecided, with the reason.
fn no_public_ip(subnets: &HashMap<&str, Resource>, r: &Resource) -> Outcome {
    let public = r.get("associate_public_ip_address");
    // A Pulumi program that leaves it out has no value there (a preview
    // carries the program's inputs): the subnet decides too.
    let left_out = public.is_unset() || (public.is_absent() && r.is_pulumi());
    if !left_out {
        return require(
            public.bool()? != Some(true),
            format!("EC2 instance is given a public IP address ({} is true).", public.path_string()),
        );
    }
    let left_out = format!("{} is not set in the configuration, so the subnet decides", public.path_string());
    let subnet_id = r.get("subnet_id");
    if subnet_id.as_configured().is_unknown() {
        return undecided(format!("{left_out}, and {}.", subnet_id.unknown()));
    }
    let Some(id) = subnet_id.as_configured().str()? else {
        return undecided(format!(
            "{left_out}: with no {} the instance launches into the default VPC's default subnet, which maps a \
             public IP address on launch unless changed; set {} to false to decide.",
            subnet_id.path_string(),
            public.path_string()
        ));
    };
    let Some(subnet) = subnets.get(id) else {
        return undecided(format!(
            "{left_out}, and subnet {id} is not in this plan (its map_public_ip_on_launch decides); set {} to false \
             to decide.",
            public.path_string()
        ));
    };
    let maps = subnet.get("map_public_ip_on_launch");
    require(
        maps.as_configured().bool()? != Some(true),
        format!(
            "EC2 instance is given a public IP address: {left_out}, and its subnet {} maps one on launch ({} is true).",
            subnet.address(),
            maps.path_string()
        ),
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
