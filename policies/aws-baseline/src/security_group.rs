//! EC2 security groups: ingress from the internet, inbound HTTP.

use palisade_sdk::prelude::*;

const TYPES: [&str; 6] = [
    "aws_security_group",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
];

pub fn policies() -> [ResourcePolicy; 2] {
    [
        ResourcePolicy::new(
            "aws-ec2-securitygroup-disallow-public-internet-ingress",
            Severity::Critical,
            public_internet_ingress,
        )
        .description("Checks that security group ingress rules do not allow traffic from the whole internet (0.0.0.0/0 or ::/0).")
        .types(TYPES)
        .help("Restrict the rule's cidr_blocks / ipv6_cidr_blocks (cidr_ipv4 / cidr_ipv6) to known networks, or put the service behind a load balancer."),
        ResourcePolicy::new(
            "aws-ec2-securitygroup-disallow-inbound-http-traffic",
            Severity::Critical,
            inbound_http,
        )
        .description("Checks that security group ingress rules do not allow inbound HTTP (TCP port 80).")
        .types(TYPES)
        .help("Serve HTTPS (port 443) instead, and remove ingress rules whose port range covers 80 for tcp or all protocols."),
    ]
}

/// The ingress rules of a security group (its `ingress` blocks) or of a rule
/// resource (the resource itself, when it is an ingress rule).
fn ingress_rules<'a>(r: &Resource<'a>) -> Result<Vec<Prop<'a>>, Unknown> {
    Ok(match r.resource_type() {
        // `ingress` not set in the configuration: no inline rules (they
        // live in separate rule resources, judged on their own).
        "aws_security_group" | "aws:ec2/securityGroup:SecurityGroup" => r.configured().get("ingress").items()?.collect(),
        "aws_security_group_rule" | "aws:ec2/securityGroupRule:SecurityGroupRule" => match r.get("type").str()? {
            Some("ingress") => vec![r.props()],
            _ => Vec::new(),
        },
        _ => vec![r.props()],
    })
}

/// "Ingress rule ingress[0]" for a block, "The ingress rule" for a rule resource.
fn label(rule: &Prop) -> String {
    if rule.path().is_empty() { "The ingress rule".to_owned() } else { format!("Ingress rule {}", rule.path_string()) }
}

fn public_internet_ingress(r: &Resource, _: &Config) -> Outcome {
    let sources = ["cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"];
    all(ingress_rules(r)?.iter().flat_map(|rule| {
        sources.iter().map(move |key| {
            all(rule.get(key).items()?.map(|cidr| match cidr.str()? {
                // Any prefix of length 0 is the whole address space.
                Some(c) if c.trim().ends_with("/0") => violation(format!(
                    "{} allows ingress from {c}, the whole internet ({}).",
                    label(rule),
                    cidr.path_string()
                )),
                _ => Ok(()),
            }))
        })
    }))
}

fn inbound_http(r: &Resource, _: &Config) -> Outcome {
    all(ingress_rules(r)?.iter().map(|rule| {
        let protocol = rule.get_any(&["protocol", "ip_protocol"]);
        let name = match (protocol.str()?, protocol.i64()?) {
            (Some(s), _) => s.trim().to_ascii_lowercase(),
            (None, Some(n)) => n.to_string(),
            (None, None) => return Ok(()),
        };
        if name == "-1" || name == "all" {
            return violation(format!(
                "{} allows all protocols and ports (protocol {name}), including inbound HTTP on port 80.",
                label(rule)
            ));
        }
        if name != "tcp" && name != "6" {
            return Ok(());
        }
        let (from_port, to_port) = (rule.get("from_port"), rule.get("to_port"));
        let from = from_port.i64()?.unwrap_or(0);
        let to = to_port.i64()?.unwrap_or(65535);
        if !(from <= 80 && 80 <= to) {
            return Ok(());
        }
        // Secret ports are never shown (short numbers escape the host's scrubbing).
        let shown = |p: &Prop, n: i64| if p.contains_secret() { "[secret]".to_string() } else { n.to_string() };
        let ports = if from == to {
            format!("tcp port {}", shown(&from_port, from))
        } else {
            format!("tcp ports {}-{}, which include port 80", shown(&from_port, from), shown(&to_port, to))
        };
        violation(format!("{} allows inbound HTTP ({ports}).", label(rule)))
    }))
}
