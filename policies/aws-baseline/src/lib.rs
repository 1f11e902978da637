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
    use palisade_sdk::serde_json::{Value, json};
    use palisade_sdk::{Batch, Violation};

    #[test]
    fn pack_is_valid() {
        let pack = super::pack();
        assert_eq!(pack.validate(), Ok(()));
        assert_eq!(pack.all_policies().len(), 14);
    }

    /// `policy`'s violations on one resource of `resource_type` with `props`
    /// (and the other resource `fields`, such as `unset`), as the host gets them.
    fn run(policy: &str, resource_type: &str, props: Value, fields: Value) -> Vec<Violation> {
        let mut resource = json!({"address": "r", "type": resource_type, "props": props});
        if let (Some(r), Value::Object(fields)) = (resource.as_object_mut(), fields) {
            r.extend(fields);
        }
        let batch = Batch::from_json(&json!({"resources": [resource]}).to_string()).expect("a batch");
        super::pack().evaluate(&batch, policy, json!({}), &[0]).expect("the policy runs")
    }

    /// The one violation's message and remediation document.
    fn one(found: Vec<Violation>) -> (String, Option<Value>) {
        assert_eq!(found.len(), 1, "{found:?}");
        let v = &found[0];
        assert!(!v.undecided, "{found:?}");
        (v.message.clone(), v.remediation.clone())
    }

    /// A group with two blocks open to the internet (one with an IPv4 and
    /// an IPv6 CIDR, one for HTTP with all protocols) and one fine block.
    fn open_group() -> Value {
        json!({"ingress": [
            {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"],
             "ipv6_cidr_blocks": ["::/0"], "security_groups": [], "prefix_list_ids": [], "self": false},
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"]},
            {"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0", "192.168.0.0/16"]}
        ]})
    }

    #[test]
    fn open_ingress_revokes_exactly_every_open_rule() {
        let (message, fix) = one(run(
            "aws-ec2-securitygroup-disallow-public-internet-ingress",
            "aws_security_group",
            open_group(),
            json!({}),
        ));
        assert_eq!(
            message,
            "Ingress rule ingress[0] allows ingress from 0.0.0.0/0, the whole internet (ingress[0].cidr_blocks[0]). \
             2 more ingress rules do too."
        );
        assert_eq!(
            fix,
            Some(json!({"action": {"kind": "ec2.revoke-ingress", "params": {"rules": [
                {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0"},
                {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv6": "::/0"},
                {"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_ipv4": "0.0.0.0/0"}
            ]}}}))
        );
        // The same group in Pulumi's form.
        let pulumi = json!({"ingress": [
            {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]},
            {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/8"]}
        ]});
        let (_, fix) = one(run(
            "aws-ec2-securitygroup-disallow-public-internet-ingress",
            "aws:ec2/securityGroup:SecurityGroup",
            pulumi,
            json!({}),
        ));
        assert_eq!(fix.expect("a fix")["action"]["params"]["rules"][0]["cidr_ipv4"], "0.0.0.0/0");
    }

    #[test]
    fn http_revokes_every_source_of_the_offending_blocks() {
        let (message, fix) = one(run(
            "aws-ec2-securitygroup-disallow-inbound-http-traffic",
            "aws_security_group",
            open_group(),
            json!({}),
        ));
        assert!(message.starts_with("Ingress rule ingress[2] allows all protocols and ports"), "{message}");
        assert!(!message.contains("more"), "{message}");
        assert_eq!(
            fix,
            Some(json!({"action": {"kind": "ec2.revoke-ingress", "params": {"rules": [
                {"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_ipv4": "0.0.0.0/0"},
                {"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_ipv4": "192.168.0.0/16"}
            ]}}}))
        );
    }

    #[test]
    fn rules_that_are_not_cidrs_or_not_groups_get_no_action() {
        let http = "aws-ec2-securitygroup-disallow-inbound-http-traffic";
        // HTTP from a CIDR and from another group: the group source cannot be revoked.
        let mixed = json!({"ingress": [
            {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": ["0.0.0.0/0"]},
            {"protocol": "tcp", "from_port": 80, "to_port": 80, "security_groups": ["sg-0123456789abcdef0"]}
        ]});
        let (message, fix) = one(run(http, "aws_security_group", mixed, json!({})));
        assert!(message.ends_with("1 more ingress rule does too."), "{message}");
        assert_eq!(fix, None);
        // A rule resource: the action applies to groups only.
        let rule =
            json!({"type": "ingress", "protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": ["0.0.0.0/0"]});
        assert_eq!(one(run(http, "aws_security_group_rule", rule, json!({}))).1, None);
        // A block whose ports are unknown: the host could not check the rules.
        let unknown = json!({"ingress": [
            {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]},
            {"protocol": "tcp", "from_port": palisade_sdk::UNKNOWN, "to_port": 23, "cidr_blocks": ["10.0.0.0/8"]}
        ]});
        let open = "aws-ec2-securitygroup-disallow-public-internet-ingress";
        assert_eq!(one(run(open, "aws_security_group", unknown, json!({}))).1, None);
    }

    #[test]
    fn the_other_policies_propose_their_action() {
        let cases = [
            (
                "aws-s3-bucket-disallow-public-read",
                "aws_s3_bucket",
                json!({"acl": "public-read"}),
                "s3.block-public-access",
            ),
            (
                "aws-kms-key-enable-key-rotation",
                "aws_kms_key",
                json!({"enable_key_rotation": false}),
                "kms.enable-rotation",
            ),
            (
                "aws-rds-instance-disallow-public-access",
                "aws_db_instance",
                json!({"publicly_accessible": true}),
                "rds.disable-public-access",
            ),
            (
                "aws-ecr-repository-disallow-mutable-image",
                "aws_ecr_repository",
                json!({"image_tag_mutability": "MUTABLE"}),
                "ecr.immutable-tags",
            ),
        ];
        for (policy, resource_type, props, kind) in cases {
            let (_, fix) = one(run(policy, resource_type, props, json!({})));
            assert_eq!(fix, Some(json!({"action": {"kind": kind}})), "{policy}");
        }
        let grant =
            json!({"grant": [{"uri": "http://acs.amazonaws.com/groups/global/AllUsers", "permissions": ["READ"]}]});
        let (_, fix) = one(run("aws-s3-bucket-disallow-public-read", "aws:s3/bucketV2:BucketV2", grant, json!({})));
        assert_eq!(fix, Some(json!({"action": {"kind": "s3.block-public-access"}})));
    }

    #[test]
    fn no_action_where_the_host_could_not_take_it() {
        // The bucket's ACL resource is not a bucket.
        let acl = one(run(
            "aws-s3-bucket-disallow-public-read",
            "aws_s3_bucket_acl",
            json!({"acl": "public-read"}),
            json!({}),
        ));
        assert_eq!(acl.1, None);
        // A live bucket whose public access block could not be read.
        let unread = json!({"acl": "public-read", "public_access_block": palisade_sdk::UNKNOWN});
        assert_eq!(one(run("aws-s3-bucket-disallow-public-read", "aws_s3_bucket", unread, json!({}))).1, None);
        // A value the provider fills in: the violation stands, with no fix to patch it.
        let unset = json!({"unset": [["image_tag_mutability"]]});
        let props = json!({"image_tag_mutability": palisade_sdk::UNKNOWN});
        let (message, fix) = one(run("aws-ecr-repository-disallow-mutable-image", "aws_ecr_repository", props, unset));
        assert!(message.contains("which means MUTABLE"), "{message}");
        assert_eq!(fix, None);
    }
}
