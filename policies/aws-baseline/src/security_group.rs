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
        .description("Checks that security group ingress rules do not allow traffic from the whole internet (0.0.0.0/0 or ::/0); at level remediate, proposes revoking exactly those rules of a security group (ec2.revoke-ingress).")
        .types(TYPES)
        .help("Restrict the rule's cidr_blocks / ipv6_cidr_blocks (cidr_ipv4 / cidr_ipv6) to known networks, or put the service behind a load balancer. At enforcement level remediate, `palisade remediate --allow-action ec2.revoke-ingress` revokes exactly the open CIDR rules of a security group, never the group."),
        ResourcePolicy::new(
            "aws-ec2-securitygroup-disallow-inbound-http-traffic",
            Severity::Critical,
            inbound_http,
        )
        .description("Checks that security group ingress rules do not allow inbound HTTP (TCP port 80); at level remediate, proposes revoking exactly those rules of a security group (ec2.revoke-ingress).")
        .types(TYPES)
        .help("Serve HTTPS (port 443) instead, and remove ingress rules whose port range covers 80 for tcp or all protocols. At enforcement level remediate, `palisade remediate --allow-action ec2.revoke-ingress` revokes exactly those rules of a security group when every source is a CIDR; rules from another security group, a prefix list or the group itself are left to a person."),
    ]
}

/// The ingress rules of a security group (its `ingress` blocks) or of a rule
/// resource (the resource itself, when it is an ingress rule).
fn ingress_rules<'a>(r: &Resource<'a>) -> Result<Vec<Prop<'a>>, Unknown> {
    Ok(match r.resource_type() {
        // `ingress` not set in the configuration: no inline rules (they
        // live in separate rule resources, judged on their own).
        "aws_security_group" | "aws:ec2/securityGroup:SecurityGroup" => {
            r.configured().get("ingress").items()?.collect()
        }
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

/// One offending ingress rule (a block, or one CIDR of it): the message for
/// people, and the CIDR rules `ec2.revoke-ingress` would revoke for it
/// (`None` when it cannot: a source that is not a CIDR, a value not known).
struct Offender {
    message: String,
    rules: Option<Vec<IngressRule>>,
}

/// The verdict on a resource from its offending rules and the first
/// undecided outcome of the others: the first offender's message (and how
/// many more there are) with, on a security group whose every offending
/// rule is revocable and whose ingress is wholly known, the action that
/// revokes exactly those rules; with no offender, the undecided outcome or
/// a pass.
fn verdict(r: &Resource, offenders: Vec<Offender>, pending: Option<Finding>) -> Outcome {
    let Some(first) = offenders.first() else { return pending.map_or(Ok(()), Err) };
    let message = match offenders.len() - 1 {
        0 => first.message.clone(),
        1 => format!("{} 1 more ingress rule does too.", first.message),
        n => format!("{} {n} more ingress rules do too.", first.message),
    };
    let revocable = Remediation::action_applies_to(palisade_sdk::EC2_REVOKE_INGRESS, r.resource_type())
        && pending.is_none()
        && !r.get("ingress").contains_unknown();
    if !revocable {
        return violation(message);
    }
    let mut rules: Vec<IngressRule> = Vec::new();
    for offender in offenders {
        let Some(found) = offender.rules else { return violation(message) };
        for rule in found {
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
    }
    if rules.is_empty() {
        return violation(message);
    }
    violation_with_fix(message, Remediation::revoke_ingress(rules))
}

/// The protocol and ports of an ingress block as `ec2.revoke-ingress`
/// lists them: the protocol as given (absent: `-1`, all), ports 0 when
/// absent. `None` when one is not known, or secret (an action's rules are
/// shown in plans and reports as they are).
fn protocol_and_ports(block: &Prop) -> Option<(String, i64, i64)> {
    let protocol = block.get_any(&["protocol", "ip_protocol"]);
    let (from_port, to_port) = (block.get("from_port"), block.get("to_port"));
    if [&protocol, &from_port, &to_port].iter().any(|p| p.contains_secret()) {
        return None;
    }
    let name = match (protocol.str().ok()?, protocol.i64().ok()?) {
        (Some(s), _) => s.trim().to_string(),
        (None, Some(n)) => n.to_string(),
        (None, None) if protocol.is_absent() || protocol.is_null() => "-1".to_string(),
        (None, None) => return None,
    };
    let port = |p: &Prop| p.i64().ok().map(|n| n.unwrap_or(0));
    Some((name, port(&from_port)?, port(&to_port)?))
}

/// The rule of `block` from its CIDR `cidr`, found under `key`
/// (`cidr_blocks`: IPv4, `ipv6_cidr_blocks`: IPv6; others are not blocks of
/// a security group). `None` when the CIDR is secret or the protocol or
/// ports cannot be listed.
fn cidr_rule(block: &Prop, key: &str, cidr: &Prop) -> Option<Vec<IngressRule>> {
    let (protocol, from, to) = protocol_and_ports(block)?;
    let text = cidr.str().ok()??.trim();
    if cidr.contains_secret() {
        return None;
    }
    match key {
        "cidr_blocks" => Some(vec![IngressRule::ipv4(protocol, from, to, text)]),
        "ipv6_cidr_blocks" => Some(vec![IngressRule::ipv6(protocol, from, to, text)]),
        _ => None,
    }
}

/// Every rule of `block`, one per CIDR; `None` when the block has another
/// kind of source (security groups, prefix lists, `self`), which this
/// action cannot revoke, or a value is not known.
fn block_rules(block: &Prop) -> Option<Vec<IngressRule>> {
    for key in ["security_groups", "prefix_list_ids"] {
        if !block.get(key).strings().ok()?.is_empty() {
            return None;
        }
    }
    if block.get("self").bool().ok()? == Some(true) {
        return None;
    }
    let mut rules = Vec::new();
    for key in ["cidr_blocks", "ipv6_cidr_blocks"] {
        for cidr in block.get(key).items().ok()? {
            rules.extend(cidr_rule(block, key, &cidr)?);
        }
    }
    Some(rules)
}

fn public_internet_ingress(r: &Resource, _: &Config) -> Outcome {
    let sources = ["cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"];
    let mut offenders = Vec::new();
    let mut pending = None;
    for rule in ingress_rules(r)? {
        for key in sources {
            let cidrs = match rule.get(key).items() {
                Ok(cidrs) => cidrs,
                Err(unknown) => {
                    pending.get_or_insert(Finding::from(unknown));
                    continue;
                }
            };
            for cidr in cidrs {
                match cidr.str() {
                    // Any prefix of length 0 is the whole address space.
                    Ok(Some(c)) if c.trim().ends_with("/0") => offenders.push(Offender {
                        message: format!(
                            "{} allows ingress from {c}, the whole internet ({}).",
                            label(&rule),
                            cidr.path_string()
                        ),
                        rules: cidr_rule(&rule, key, &cidr),
                    }),
                    Ok(_) => {}
                    Err(unknown) => {
                        pending.get_or_insert(Finding::from(unknown));
                    }
                }
            }
        }
    }
    verdict(r, offenders, pending)
}

fn inbound_http(r: &Resource, _: &Config) -> Outcome {
    let mut offenders = Vec::new();
    let mut pending = None;
    for rule in ingress_rules(r)? {
        match http_message(&rule) {
            Ok(Some(message)) => offenders.push(Offender { message, rules: block_rules(&rule) }),
            Ok(None) => {}
            Err(unknown) => {
                pending.get_or_insert(Finding::from(unknown));
            }
        }
    }
    verdict(r, offenders, pending)
}

/// Why `rule` allows inbound HTTP, if it does.
fn http_message(rule: &Prop) -> Result<Option<String>, Unknown> {
    let protocol = rule.get_any(&["protocol", "ip_protocol"]);
    let name = match (protocol.str()?, protocol.i64()?) {
        (Some(s), _) => s.trim().to_ascii_lowercase(),
        (None, Some(n)) => n.to_string(),
        (None, None) => return Ok(None),
    };
    if name == "-1" || name == "all" {
        return Ok(Some(format!(
            "{} allows all protocols and ports (protocol {name}), including inbound HTTP on port 80.",
            label(rule)
        )));
    }
    if name != "tcp" && name != "6" {
        return Ok(None);
    }
    let (from_port, to_port) = (rule.get("from_port"), rule.get("to_port"));
    let from = from_port.i64()?.unwrap_or(0);
    let to = to_port.i64()?.unwrap_or(65535);
    if !(from <= 80 && 80 <= to) {
        return Ok(None);
    }
    // Secret ports are never shown (short numbers escape the host's scrubbing).
    let shown = |p: &Prop, n: i64| if p.contains_secret() { "[secret]".to_string() } else { n.to_string() };
    let ports = if from == to {
        format!("tcp port {}", shown(&from_port, from))
    } else {
        format!("tcp ports {}-{}, which include port 80", shown(&from_port, from), shown(&to_port, to))
    };
    Ok(Some(format!("{} allows inbound HTTP ({ports}).", label(rule))))
}
