//! EC2 security groups (`aws_security_group`), EBS volumes
//! (`aws_ebs_volume`) and instances (`aws_instance`), each found and read by
//! its own list call, which returns the whole configuration: no detail calls.
//!
//! - `DescribeSecurityGroups` lists the groups with their rules; each
//!   permission is split into one Terraform `ingress` / `egress` block per
//!   CIDR, IPv6 range, referenced group and prefix list.
//! - `DescribeVolumes` lists the volumes.
//! - `DescribeInstances` lists the instances (terminated ones left out).
//!   It does not say whether the root volume is encrypted: that comes from
//!   the volumes `DescribeVolumes` listed in the same scope, joined by the
//!   root device's volume id and kept under the instance's raw
//!   `DescribeVolumes` member (declared as the instance's detail call, so
//!   that a root volume not read leaves `root_block_device` unknown). When
//!   `aws_ebs_volume` is not wanted, the volumes are listed for this join
//!   alone (only when the instances' details are read) and the calls count
//!   under `aws_instance`.
//!
//! The table language has no rule that takes a list of scalars from a list
//! of objects, so the instance's `vpc_security_group_ids` are collected
//! (from `SecurityGroups[].GroupId`) into the raw member [`DERIVED`].
//!
//! API: <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/>. Tags come
//! from each call's own `Tags` member.
//!
//! moto (5.2): `DescribeInstances` pages by reservation (100 by default,
//! `MaxResults` honoured); `DescribeSecurityGroups` and `DescribeVolumes`
//! never page. It omits `Iops` on gp2 volumes, `MultiAttachEnabled` and an
//! empty `SnapshotId` (AWS returns them), and an instance launched with a
//! network interface's `Groups` shows no `SecurityGroups`.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_ec2 as ec2;
use serde_json::Value;

use super::raw::Raw;
use super::table::{Lit, Rule};
use super::{Call, Ctx, Failure, Found, Outcome, Service, TypeReader};

const DESCRIBE_SECURITY_GROUPS: Call = Call::list("ec2", "DescribeSecurityGroups");
const DESCRIBE_VOLUMES: Call = Call::list("ec2", "DescribeVolumes");
const DESCRIBE_INSTANCES: Call = Call::list("ec2", "DescribeInstances");
/// `DescribeVolumes` as the instances' source of their root volume: its
/// failure leaves `root_block_device` unknown.
const DESCRIBE_ROOT_VOLUMES: Call = Call::detail("ec2", "DescribeVolumes", &[], &[]);

/// The raw member holding values derived from the list output that the
/// table language cannot take itself (`VpcSecurityGroupIds`).
pub const DERIVED: &str = "Derived";

/// Page sizes: the largest each call accepts.
const GROUPS_PAGE: i32 = 1000;
const VOLUMES_PAGE: i32 = 500;
const INSTANCES_PAGE: i32 = 1000;

/// The rules every block of a permission takes: Terraform writes every key,
/// empty lists and `false` included, and 0 for the ports AWS omits (all
/// protocols).
const PERMISSION: &[Rule] = &[
    Rule::Copy("IpProtocol", "protocol"),
    Rule::Or("FromPort", "from_port", Lit::Int(0)),
    Rule::Or("ToPort", "to_port", Lit::Int(0)),
    Rule::Const("cidr_blocks", Lit::EmptyList),
    Rule::Const("ipv6_cidr_blocks", Lit::EmptyList),
    Rule::Const("prefix_list_ids", Lit::EmptyList),
    Rule::Const("security_groups", Lit::EmptyList),
    Rule::Const("self", Lit::Bool(false)),
    Rule::Const("description", Lit::Str("")),
];

/// One block per source of a permission.
const SOURCES: &[(&str, &[Rule])] = &[
    ("IpRanges", &[Rule::Wrap("CidrIp", "cidr_blocks"), Rule::Or("Description", "description", Lit::Str(""))]),
    ("Ipv6Ranges", &[Rule::Wrap("CidrIpv6", "ipv6_cidr_blocks"), Rule::Or("Description", "description", Lit::Str(""))]),
    (
        "PrefixListIds",
        &[Rule::Wrap("PrefixListId", "prefix_list_ids"), Rule::Or("Description", "description", Lit::Str(""))],
    ),
    (
        "UserIdGroupPairs",
        &[
            Rule::IfSame {
                a: "GroupId",
                b: "^DescribeSecurityGroups.GroupId",
                then: &[Rule::Const("self", Lit::Bool(true))],
                otherwise: &[Rule::Wrap("GroupId", "security_groups")],
            },
            Rule::Or("Description", "description", Lit::Str("")),
        ],
    ),
];

/// `aws_security_group`.
pub static SECURITY_GROUP: TypeReader = TypeReader {
    terraform_type: "aws_security_group",
    tagging_type: "ec2:security-group",
    calls: &[&DESCRIBE_SECURITY_GROUPS],
    rules: &[
        Rule::Copy("DescribeSecurityGroups.GroupId", "id"),
        Rule::Copy("DescribeSecurityGroups.GroupName", "name"),
        Rule::Copy("DescribeSecurityGroups.Description", "description"),
        Rule::Copy("DescribeSecurityGroups.VpcId", "vpc_id"),
        Rule::Copy("DescribeSecurityGroups.OwnerId", "owner_id"),
        Rule::Split { from: "DescribeSecurityGroups.IpPermissions", to: "ingress", rules: PERMISSION, splits: SOURCES },
        Rule::Split {
            from: "DescribeSecurityGroups.IpPermissionsEgress",
            to: "egress",
            rules: PERMISSION,
            splits: SOURCES,
        },
    ],
    own_tags: true,
};

/// `aws_ebs_volume`.
pub static VOLUME: TypeReader = TypeReader {
    terraform_type: "aws_ebs_volume",
    tagging_type: "ec2:volume",
    calls: &[&DESCRIBE_VOLUMES],
    rules: &[
        Rule::Copy("DescribeVolumes.VolumeId", "id"),
        Rule::Copy("DescribeVolumes.AvailabilityZone", "availability_zone"),
        Rule::Or("DescribeVolumes.Encrypted", "encrypted", Lit::Bool(false)),
        Rule::Or("DescribeVolumes.KmsKeyId", "kms_key_id", Lit::Str("")),
        Rule::Copy("DescribeVolumes.Size", "size"),
        Rule::Copy("DescribeVolumes.VolumeType", "type"),
        Rule::Or("DescribeVolumes.Iops", "iops", Lit::Int(0)),
        Rule::Or("DescribeVolumes.Throughput", "throughput", Lit::Int(0)),
        Rule::Or("DescribeVolumes.SnapshotId", "snapshot_id", Lit::Str("")),
        Rule::Or("DescribeVolumes.MultiAttachEnabled", "multi_attach_enabled", Lit::Bool(false)),
    ],
    own_tags: true,
};

/// `aws_instance`.
pub static INSTANCE: TypeReader = TypeReader {
    terraform_type: "aws_instance",
    tagging_type: "ec2:instance",
    calls: &[&DESCRIBE_INSTANCES, &DESCRIBE_ROOT_VOLUMES],
    rules: &[
        Rule::Copy("DescribeInstances.InstanceId", "id"),
        Rule::Copy("DescribeInstances.ImageId", "ami"),
        Rule::Copy("DescribeInstances.InstanceType", "instance_type"),
        Rule::Copy("DescribeInstances.SubnetId", "subnet_id"),
        Rule::Copy("DescribeInstances.VpcId", "vpc_id"),
        Rule::Or("DescribeInstances.KeyName", "key_name", Lit::Str("")),
        Rule::Copy("DescribeInstances.Placement.AvailabilityZone", "availability_zone"),
        Rule::Copy("DescribeInstances.PrivateIpAddress", "private_ip"),
        Rule::Or("DescribeInstances.PublicIpAddress", "public_ip", Lit::Str("")),
        Rule::Present("DescribeInstances.PublicIpAddress", "associate_public_ip_address"),
        Rule::Or("Derived.VpcSecurityGroupIds", "vpc_security_group_ids", Lit::EmptyList),
        Rule::Nest {
            from: "DescribeInstances.MetadataOptions",
            to: "metadata_options",
            rules: &[
                Rule::Copy("HttpTokens", "http_tokens"),
                Rule::Copy("HttpEndpoint", "http_endpoint"),
                Rule::Copy("HttpPutResponseHopLimit", "http_put_response_hop_limit"),
                Rule::Copy("InstanceMetadataTags", "instance_metadata_tags"),
            ],
        },
        Rule::Nest {
            from: "DescribeVolumes",
            to: "root_block_device",
            rules: &[
                Rule::Copy("^DescribeInstances.RootDeviceName", "device_name"),
                Rule::Copy("VolumeId", "volume_id"),
                Rule::Or("Encrypted", "encrypted", Lit::Bool(false)),
                Rule::Or("KmsKeyId", "kms_key_id", Lit::Str("")),
                Rule::Copy("Size", "volume_size"),
                Rule::Copy("VolumeType", "volume_type"),
                Rule::Or("Iops", "iops", Lit::Int(0)),
                Rule::Or("Throughput", "throughput", Lit::Int(0)),
            ],
        },
    ],
    own_tags: true,
};

/// The EC2 reader.
pub static SERVICE: Service = Service {
    name: "ec2",
    global: false,
    types: &[&SECURITY_GROUP, &VOLUME, &INSTANCE],
    read: |ctx| Box::pin(read(ctx)),
};

crate::raw_struct! {
    ec2::types::Tag { "Key" => key, "Value" => value }
    ec2::types::SecurityGroup {
        "GroupId" => group_id, "GroupName" => group_name, "Description" => description, "VpcId" => vpc_id,
        "OwnerId" => owner_id, "SecurityGroupArn" => security_group_arn, "IpPermissions" => ip_permissions,
        "IpPermissionsEgress" => ip_permissions_egress, "Tags" => tags,
    }
    ec2::types::IpPermission {
        "IpProtocol" => ip_protocol, "FromPort" => from_port, "ToPort" => to_port, "IpRanges" => ip_ranges,
        "Ipv6Ranges" => ipv6_ranges, "PrefixListIds" => prefix_list_ids, "UserIdGroupPairs" => user_id_group_pairs,
    }
    ec2::types::IpRange { "CidrIp" => cidr_ip, "Description" => description }
    ec2::types::Ipv6Range { "CidrIpv6" => cidr_ipv6, "Description" => description }
    ec2::types::PrefixListId { "PrefixListId" => prefix_list_id, "Description" => description }
    ec2::types::UserIdGroupPair {
        "GroupId" => group_id, "GroupName" => group_name, "UserId" => user_id, "VpcId" => vpc_id,
        "VpcPeeringConnectionId" => vpc_peering_connection_id, "PeeringStatus" => peering_status,
        "Description" => description,
    }
    ec2::types::Volume {
        "VolumeId" => volume_id, "VolumeArn" => volume_arn, "AvailabilityZone" => availability_zone,
        "Encrypted" => encrypted, "KmsKeyId" => kms_key_id, "Size" => size, "VolumeType" => volume_type,
        "Iops" => iops, "Throughput" => throughput, "SnapshotId" => snapshot_id,
        "MultiAttachEnabled" => multi_attach_enabled, "OutpostArn" => outpost_arn, "State" => state,
        "Attachments" => attachments, "Tags" => tags,
    }
    ec2::types::VolumeAttachment {
        "InstanceId" => instance_id, "Device" => device, "State" => state,
        "DeleteOnTermination" => delete_on_termination,
    }
    ec2::types::Instance {
        "InstanceId" => instance_id, "ImageId" => image_id, "InstanceType" => instance_type, "State" => state,
        "SubnetId" => subnet_id, "VpcId" => vpc_id, "KeyName" => key_name, "Placement" => placement,
        "PrivateIpAddress" => private_ip_address, "PublicIpAddress" => public_ip_address,
        "SecurityGroups" => security_groups, "MetadataOptions" => metadata_options,
        "RootDeviceName" => root_device_name, "RootDeviceType" => root_device_type,
        "BlockDeviceMappings" => block_device_mappings, "Tags" => tags,
    }
    ec2::types::InstanceState { "Name" => name }
    ec2::types::Placement { "AvailabilityZone" => availability_zone }
    ec2::types::GroupIdentifier { "GroupId" => group_id, "GroupName" => group_name }
    ec2::types::InstanceMetadataOptionsResponse {
        "HttpTokens" => http_tokens, "HttpEndpoint" => http_endpoint,
        "HttpPutResponseHopLimit" => http_put_response_hop_limit, "InstanceMetadataTags" => instance_metadata_tags,
    }
    ec2::types::InstanceBlockDeviceMapping { "DeviceName" => device_name, "Ebs" => ebs }
    ec2::types::EbsInstanceBlockDevice {
        "VolumeId" => volume_id, "Status" => status, "DeleteOnTermination" => delete_on_termination,
    }
}
crate::raw_enum!(
    ec2::types::VolumeType,
    ec2::types::VolumeState,
    ec2::types::VolumeAttachmentState,
    ec2::types::InstanceType,
    ec2::types::InstanceStateName,
    ec2::types::DeviceType,
    ec2::types::HttpTokensState,
    ec2::types::InstanceMetadataEndpointState,
    ec2::types::InstanceMetadataTagsState,
    ec2::types::AttachmentStatus,
);

async fn read(ctx: &Ctx) {
    let client = ec2::Client::new(&ctx.config);
    let groups = read_groups(ctx, &client);
    let volumes_and_instances = async {
        let mut volumes = read_volumes(ctx, &client).await;
        let roots = read_instances(ctx, &client, &volumes).await;
        // A root volume is part of its instance (Terraform's
        // `aws_instance.root_block_device`), not a resource of its own.
        for mut found in volumes.kept.drain(..) {
            found.part_of = root_of(&found, &roots);
            ctx.found(found);
        }
    };
    tokio::join!(groups, volumes_and_instances);
}

/// The ARN EC2 does not give: `arn:PARTITION:ec2:REGION:ACCOUNT:KIND/ID`.
fn arn(ctx: &Ctx, kind: &str, id: &str) -> String {
    let partition = crate::aws::regions::partition_of(&ctx.region);
    format!("arn:{partition}:ec2:{}:{}:{kind}/{id}", ctx.region, ctx.account)
}

/// `[{Key, Value}]` as a map.
fn tag_map(tags: &[ec2::types::Tag]) -> BTreeMap<String, String> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

async fn read_groups(ctx: &Ctx, client: &ec2::Client) {
    if !ctx.wants(&SECURITY_GROUP) {
        return;
    }
    let mut pages = client.describe_security_groups().into_paginator().page_size(GROUPS_PAGE).send();
    while let Some(page) = ctx.page(&SECURITY_GROUP, &DESCRIBE_SECURITY_GROUPS, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => return ctx.list_failed(f),
            Outcome::Absent | Outcome::Gone => return,
        };
        for group in page.security_groups() {
            let Some(id) = group.group_id() else { continue };
            let arn = group.security_group_arn().map_or_else(|| arn(ctx, "security-group", id), str::to_string);
            let mut found = Found::new(&SECURITY_GROUP, arn, &DESCRIBE_SECURITY_GROUPS, group.raw());
            found.id = Some(id.to_string());
            found.tags = Some(tag_map(group.tags()));
            // Every VPC's `default` group is made by AWS with the VPC.
            if group.group_name() == Some("default") {
                found.part_of = Some("aws".into());
            }
            ctx.found(found);
        }
    }
}

/// The volumes listed for the instances' root volumes: raw, by id, and the
/// listing's failure (the volumes after it are missing).
#[derive(Default)]
struct Volumes {
    /// Whether they were listed (else the join was not wanted).
    listed: bool,
    by_id: HashMap<String, Value>,
    failure: Option<Failure>,
    /// The `aws_ebs_volume` resources, kept until the instances say which
    /// are root volumes.
    kept: Vec<Found>,
}

/// Lists the volumes: as `aws_ebs_volume` resources when that type is
/// wanted, and for the instances' root volumes when their details are (or
/// when the volumes are listed anyway: the join then costs no call).
async fn read_volumes(ctx: &Ctx, client: &ec2::Client) -> Volumes {
    let keep = ctx.wants(&VOLUME);
    let join = ctx.wants(&INSTANCE) && (ctx.details(&INSTANCE) || keep);
    let mut volumes = Volumes { listed: join, ..Volumes::default() };
    if !keep && !join {
        return volumes;
    }
    // Counted under the volumes when they are read for themselves.
    let (counted, call) = if keep { (&VOLUME, &DESCRIBE_VOLUMES) } else { (&INSTANCE, &DESCRIBE_ROOT_VOLUMES) };
    let mut pages = client.describe_volumes().into_paginator().page_size(VOLUMES_PAGE).send();
    while let Some(page) = ctx.page(counted, call, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => {
                volumes.failure = Some(Failure { call: &DESCRIBE_ROOT_VOLUMES, ..f.clone() });
                if keep {
                    ctx.list_failed(f);
                }
                break;
            }
            Outcome::Absent | Outcome::Gone => break,
        };
        for volume in page.volumes() {
            let Some(id) = volume.volume_id() else { continue };
            if volume.state() == Some(&ec2::types::VolumeState::Deleted) {
                continue;
            }
            let raw = volume.raw();
            if join {
                volumes.by_id.insert(id.to_string(), raw.clone());
            }
            if keep {
                let arn = volume.volume_arn().map_or_else(|| arn(ctx, "volume", id), str::to_string);
                let mut found = Found::new(&VOLUME, arn, &DESCRIBE_VOLUMES, raw);
                found.id = Some(id.to_string());
                found.tags = Some(tag_map(volume.tags()));
                volumes.kept.push(found);
            }
        }
    }
    volumes
}

/// Reads the instances; their (instance id, root device name) pairs.
async fn read_instances(ctx: &Ctx, client: &ec2::Client, volumes: &Volumes) -> HashSet<(String, String)> {
    let mut roots = HashSet::new();
    if !ctx.wants(&INSTANCE) {
        return roots;
    }
    let mut pages = client.describe_instances().into_paginator().page_size(INSTANCES_PAGE).send();
    while let Some(page) = ctx.page(&INSTANCE, &DESCRIBE_INSTANCES, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => {
                ctx.list_failed(f);
                return roots;
            }
            Outcome::Absent | Outcome::Gone => return roots,
        };
        for instance in page.reservations().iter().flat_map(|r| r.instances()) {
            let Some(id) = instance.instance_id() else { continue };
            if instance.state().and_then(|s| s.name()) == Some(&ec2::types::InstanceStateName::Terminated) {
                continue;
            }
            let mut found = Found::new(&INSTANCE, arn(ctx, "instance", id), &DESCRIBE_INSTANCES, instance.raw());
            found.id = Some(id.to_string());
            found.tags = Some(tag_map(instance.tags()));
            let groups: Vec<&str> = instance.security_groups().iter().filter_map(|g| g.group_id()).collect();
            found.raw.insert(DERIVED.into(), super::raw::object([("VpcSecurityGroupIds", groups.raw())]));
            if volumes.listed {
                found.record(&DESCRIBE_ROOT_VOLUMES, root_volume(&ctx.region, instance, volumes));
            } else {
                found.skip(INSTANCE.calls);
            }
            if let Some(device) = instance.root_device_name() {
                roots.insert((id.to_string(), device.to_string()));
            }
            ctx.found(found);
        }
    }
    roots
}

/// The instance a volume is the root volume of: one of its attachments
/// names an instance and that instance's root device.
fn root_of(volume: &Found, roots: &HashSet<(String, String)>) -> Option<String> {
    let attachments = volume.raw.get(DESCRIBE_VOLUMES.action)?.get("Attachments")?.as_array()?;
    attachments.iter().find_map(|a| {
        let instance = a.get("InstanceId")?.as_str()?;
        let device = a.get("Device")?.as_str()?;
        roots.contains(&(instance.to_string(), device.to_string())).then(|| instance.to_string())
    })
}

/// The instance's root volume among those listed. `Absent` for an
/// instance-store root (Terraform's `root_block_device` is then empty); a
/// failure, which leaves `root_block_device` unknown (not unencrypted),
/// when the root device has no EBS volume in `BlockDeviceMappings` (a
/// pending instance, a detached root) or its volume is not among those
/// listed (the listing failed, or the volume is newer than it).
fn root_volume(region: &str, instance: &ec2::types::Instance, volumes: &Volumes) -> Outcome<Value> {
    if instance.root_device_type() == Some(&ec2::types::DeviceType::InstanceStore) {
        return Outcome::Absent;
    }
    let root = instance.root_device_name();
    let mapping =
        instance.block_device_mappings().iter().find(|m| m.device_name().is_some() && m.device_name() == root);
    let failed = |error: String| Outcome::Failed(Failure { call: &DESCRIBE_ROOT_VOLUMES, denied: false, error });
    let Some(volume_id) = mapping.and_then(|m| m.ebs()).and_then(|e| e.volume_id()) else {
        return failed(format!("root device {} has no EBS volume attached", root.unwrap_or("(none)")));
    };
    if let Some(raw) = volumes.by_id.get(volume_id) {
        return Outcome::Ok(raw.clone());
    }
    match &volumes.failure {
        Some(failure) => Outcome::Failed(failure.clone()),
        None => failed(format!("root volume {volume_id} was not among the volumes listed in {region}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A block with every key, as Terraform state writes it.
    fn block(protocol: &str, ports: (i64, i64), key: &str, value: Value, description: &str) -> Value {
        let mut b = json!({"protocol": protocol, "from_port": ports.0, "to_port": ports.1, "cidr_blocks": [],
            "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": false,
            "description": description});
        b[key] = value;
        b
    }

    /// moto's `DescribeSecurityGroups` item of a group open on SSH to the
    /// internet (its default egress rule too).
    fn ssh_open() -> Value {
        json!({"DescribeSecurityGroups": {"Description": "ssh-open group", "GroupId": "sg-111b01b91655eb2b4",
            "GroupName": "ssh-open", "IpPermissions": [{"FromPort": 22, "IpProtocol": "tcp",
            "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "ssh from anywhere"}], "Ipv6Ranges": [],
            "PrefixListIds": [], "ToPort": 22, "UserIdGroupPairs": []}], "IpPermissionsEgress": [{"IpProtocol": "-1",
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}],
            "OwnerId": "123456789012",
            "SecurityGroupArn": "arn:aws:ec2:us-east-1:123456789012:security-group/sg-111b01b91655eb2b4",
            "Tags": [{"Key": "Name", "Value": "ssh-open"}], "VpcId": "vpc-d7fefc36e701af72a"}})
    }

    #[test]
    fn security_group_open_to_the_internet() {
        let out = super::super::table::apply(SECURITY_GROUP.rules, &ssh_open());
        let open = block("tcp", (22, 22), "cidr_blocks", json!(["0.0.0.0/0"]), "ssh from anywhere");
        let all = block("-1", (0, 0), "cidr_blocks", json!(["0.0.0.0/0"]), "");
        assert_eq!(
            Value::Object(out),
            json!({"id": "sg-111b01b91655eb2b4", "name": "ssh-open", "description": "ssh-open group",
                "vpc_id": "vpc-d7fefc36e701af72a", "owner_id": "123456789012", "ingress": [open], "egress": [all]})
        );
    }

    #[test]
    fn security_group_splits_ipv6_groups_self_and_prefix_lists() {
        let raw = json!({"DescribeSecurityGroups": {"GroupId": "sg-0585b4fb4b045710d", "IpPermissions": [
            {"IpProtocol": "-1", "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": [
                {"Description": "self", "GroupId": "sg-0585b4fb4b045710d", "UserId": "123456789012"},
                {"GroupId": "sg-d71b0b7ca132b270a", "UserId": "123456789012"}]},
            {"FromPort": 8080, "IpProtocol": "tcp", "IpRanges": [], "Ipv6Ranges": [],
                "PrefixListIds": [{"PrefixListId": "pl-3e64856c65955ce57"}], "ToPort": 8081, "UserIdGroupPairs": []},
            {"FromPort": 443, "IpProtocol": "tcp", "IpRanges": [], "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                "PrefixListIds": [], "ToPort": 443, "UserIdGroupPairs": []}]}});
        let out = super::super::table::apply(SECURITY_GROUP.rules, &raw);
        let itself = block("-1", (0, 0), "self", json!(true), "self");
        let other = block("-1", (0, 0), "security_groups", json!(["sg-d71b0b7ca132b270a"]), "");
        let listed = block("tcp", (8080, 8081), "prefix_list_ids", json!(["pl-3e64856c65955ce57"]), "");
        let v6 = block("tcp", (443, 443), "ipv6_cidr_blocks", json!(["::/0"]), "");
        assert_eq!(out["ingress"], json!([itself, other, listed, v6]));
        assert_eq!(out["egress"], json!([]));
    }

    #[test]
    fn volumes_map_encryption_and_terraform_defaults() {
        let encrypted = json!({"DescribeVolumes": {"Attachments": [], "AvailabilityZone": "us-east-1a",
            "Encrypted": true, "Iops": 3000, "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k", "Size": 20,
            "State": "available", "Tags": [], "Throughput": 125, "VolumeId": "vol-5d458e93557ef6f4e",
            "VolumeType": "gp3"}});
        assert_eq!(
            Value::Object(super::super::table::apply(VOLUME.rules, &encrypted)),
            json!({"id": "vol-5d458e93557ef6f4e", "availability_zone": "us-east-1a", "encrypted": true,
                "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/k", "size": 20, "type": "gp3", "iops": 3000,
                "throughput": 125, "snapshot_id": "", "multi_attach_enabled": false})
        );
        let plain = json!({"DescribeVolumes": {"Attachments": [], "AvailabilityZone": "us-east-1a",
            "Encrypted": false, "Size": 8, "State": "available", "Tags": [{"Key": "Name", "Value": "plain"}],
            "VolumeId": "vol-9d8f8bf383419dd58", "VolumeType": "gp2"}});
        let out = super::super::table::apply(VOLUME.rules, &plain);
        assert_eq!((&out["encrypted"], &out["kms_key_id"], &out["iops"]), (&json!(false), &json!(""), &json!(0)));
    }

    /// moto's `DescribeInstances` item of an instance with a public IP, its
    /// root volume joined from `DescribeVolumes`.
    fn public_instance() -> Value {
        json!({"Derived": {"VpcSecurityGroupIds": ["sg-111b01b91655eb2b4", "sg-d71b0b7ca132b270a"]},
            "DescribeInstances": {"BlockDeviceMappings": [{"DeviceName": "/dev/sda1", "Ebs": {
                "DeleteOnTermination": true, "Status": "attached", "VolumeId": "vol-0e4273e677369198d"}}],
            "ImageId": "ami-03cf127a", "InstanceId": "i-7955100e458cd0b2b", "InstanceType": "t3.micro",
            "KeyName": "ops", "MetadataOptions": {"HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 2,
                "HttpTokens": "required", "InstanceMetadataTags": "disabled"},
            "Placement": {"AvailabilityZone": "us-east-1a"}, "PrivateIpAddress": "10.1.1.4",
            "PublicIpAddress": "54.214.96.239", "RootDeviceName": "/dev/sda1", "RootDeviceType": "ebs",
            "SecurityGroups": [{"GroupId": "sg-111b01b91655eb2b4", "GroupName": "ssh-open"},
                {"GroupId": "sg-d71b0b7ca132b270a", "GroupName": "closed"}], "State": {"Name": "running"},
            "SubnetId": "subnet-b3b9f7400cd8a8e8f", "Tags": [{"Key": "Name", "Value": "public"}],
            "VpcId": "vpc-d7fefc36e701af72a"},
            "DescribeVolumes": {"Attachments": [{"Device": "/dev/sda1", "InstanceId": "i-7955100e458cd0b2b",
                "State": "attached"}], "AvailabilityZone": "us-east-1a", "Encrypted": false, "Size": 8,
                "State": "in-use", "Tags": [], "VolumeId": "vol-0e4273e677369198d", "VolumeType": "gp2"}})
    }

    #[test]
    fn instance_maps_public_ip_and_joined_root_volume() {
        let out = super::super::table::apply(INSTANCE.rules, &public_instance());
        assert_eq!(
            Value::Object(out),
            json!({"id": "i-7955100e458cd0b2b", "ami": "ami-03cf127a", "instance_type": "t3.micro",
                "subnet_id": "subnet-b3b9f7400cd8a8e8f", "vpc_id": "vpc-d7fefc36e701af72a", "key_name": "ops",
                "availability_zone": "us-east-1a", "private_ip": "10.1.1.4", "public_ip": "54.214.96.239",
                "associate_public_ip_address": true,
                "vpc_security_group_ids": ["sg-111b01b91655eb2b4", "sg-d71b0b7ca132b270a"],
                "metadata_options": [{"http_tokens": "required", "http_endpoint": "enabled",
                    "http_put_response_hop_limit": 2, "instance_metadata_tags": "disabled"}],
                "root_block_device": [{"device_name": "/dev/sda1", "volume_id": "vol-0e4273e677369198d",
                    "encrypted": false, "kms_key_id": "", "volume_size": 8, "volume_type": "gp2", "iops": 0,
                    "throughput": 0}]})
        );
        let mut private = public_instance();
        private["DescribeInstances"].as_object_mut().map(|i| i.remove("PublicIpAddress"));
        let out = super::super::table::apply(INSTANCE.rules, &private);
        assert_eq!((&out["associate_public_ip_address"], &out["public_ip"]), (&json!(false), &json!("")));
    }

    fn instance(root_type: ec2::types::DeviceType, volume: Option<&str>) -> ec2::types::Instance {
        let ebs = volume.map(|v| ec2::types::EbsInstanceBlockDevice::builder().volume_id(v).build());
        let mapping = ec2::types::InstanceBlockDeviceMapping::builder().device_name("/dev/xvda").set_ebs(ebs).build();
        ec2::types::Instance::builder()
            .instance_id("i-1")
            .root_device_name("/dev/xvda")
            .root_device_type(root_type)
            .block_device_mappings(mapping)
            .build()
    }

    #[test]
    fn root_volume_is_joined_absent_or_unknown() {
        let ebs = ec2::types::DeviceType::Ebs;
        let mut volumes = Volumes { listed: true, ..Volumes::default() };
        volumes.by_id.insert("vol-1".into(), json!({"VolumeId": "vol-1", "Encrypted": true}));
        let joined = root_volume("us-east-1", &instance(ebs.clone(), Some("vol-1")), &volumes);
        assert!(matches!(joined, Outcome::Ok(v) if v["Encrypted"] == json!(true)));
        let store = root_volume("us-east-1", &instance(ec2::types::DeviceType::InstanceStore, None), &volumes);
        assert!(matches!(store, Outcome::Absent));
        let detached = root_volume("us-east-1", &instance(ebs.clone(), None), &volumes);
        assert!(matches!(detached, Outcome::Failed(f) if f.error.contains("no EBS volume")));
        let newer = root_volume("us-east-1", &instance(ebs.clone(), Some("vol-2")), &volumes);
        assert!(matches!(newer, Outcome::Failed(f) if !f.denied && f.error.contains("vol-2")));
        volumes.failure =
            Some(Failure { call: &DESCRIBE_ROOT_VOLUMES, denied: true, error: "UnauthorizedOperation".into() });
        let denied = root_volume("us-east-1", &instance(ebs, Some("vol-2")), &volumes);
        assert!(matches!(denied, Outcome::Failed(f) if f.denied));
    }

    /// A root volume not read leaves `root_block_device` unknown: not `[]`
    /// (no root device, a violation) nor `encrypted: false`.
    #[test]
    fn unread_root_volume_is_unknown() {
        let mut raw = public_instance();
        let item = raw.as_object_mut().and_then(|r| r.remove("DescribeInstances")).unwrap_or_default();
        let mut found =
            Found::new(&INSTANCE, "arn:aws:ec2:us-east-1:123456789012:instance/i-1".into(), &DESCRIBE_INSTANCES, item);
        let failure = Failure { call: &DESCRIBE_ROOT_VOLUMES, denied: true, error: "UnauthorizedOperation".into() };
        assert!(found.record(&DESCRIBE_ROOT_VOLUMES, Outcome::Failed(failure)));
        let r = super::super::finish(found, "us-east-1", "123456789012", Ok(BTreeMap::new()), "2026-12-07T00:00:00Z");
        let properties = r.properties.clone().unwrap_or_default();
        assert!(!properties.contains_key("root_block_device"));
        assert_eq!(properties["associate_public_ip_address"], json!(true));
        assert_eq!(r.unread.len(), 1);
        assert_eq!(
            (r.unread[0].call.as_str(), r.unread[0].attributes.clone()),
            ("ec2:DescribeVolumes", vec!["root_block_device".to_string()])
        );
        let resource = r.to_resource("test");
        assert_eq!(resource.props["root_block_device"], json!(palisade_model::model::UNKNOWN));
    }
}
