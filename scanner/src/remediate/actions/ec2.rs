//! `ec2.revoke-ingress`: the re-read (`DescribeSecurityGroups` with
//! `GroupIds=[ID]`) and the call (`RevokeSecurityGroupIngress` with exactly
//! the listed rules still in the group).

use aws_config::SdkConfig;
use aws_sdk_ec2 as ec2;
use palisade_model::remediation::action::AwsCall;
use serde_json::{Map, Value};

use super::{CallResult, ReadError, Reread, sort_error, str_param, to_props};
use crate::aws::describe_sdk_error;
use crate::aws::live::raw::Raw;

fn client(config: &SdkConfig, region: &str) -> ec2::Client {
    ec2::Client::from_conf(
        ec2::config::Builder::from(config).region(ec2::config::Region::new(region.to_string())).build(),
    )
}

/// Re-read security group `id`; `InvalidGroup.NotFound` is
/// [`ReadError::Gone`].
pub(super) async fn reread(config: &SdkConfig, region: &str, id: &str, reads: &mut usize) -> Result<Reread, ReadError> {
    *reads += 1;
    let out = client(config, region)
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .map_err(|e| sort_error("ec2:DescribeSecurityGroups", &e, &["InvalidGroup.NotFound"]))?;
    let Some(group) = out.security_groups().iter().find(|g| g.group_id() == Some(id)) else {
        return Err(ReadError::Gone(format!("ec2:DescribeSecurityGroups did not return group {id}")));
    };
    Ok(Reread { props: to_props("aws_security_group", &raw_of(group.raw()))?, at_aws: None })
}

/// The raw output of the re-read, as the reader records it.
fn raw_of(group: Value) -> Value {
    Value::Object(Map::from_iter([("DescribeSecurityGroups".to_string(), group)]))
}

/// Send `ec2:RevokeSecurityGroupIngress`. Rules AWS reports it did not find
/// (`UnknownIpPermissions`), or an answer of `Return: false`, fail the call.
pub(super) async fn send(config: &SdkConfig, region: &str, call: &AwsCall) -> Result<CallResult, String> {
    if call.operation != "ec2:RevokeSecurityGroupIngress" {
        return Err(format!("{} is not an EC2 call Palisade makes", call.operation));
    }
    let group = str_param(&call.parameters, "GroupId")?;
    let permissions = ip_permissions(&call.parameters["IpPermissions"])?;
    let out = client(config, region)
        .revoke_security_group_ingress()
        .group_id(group)
        .set_ip_permissions(Some(permissions))
        .send()
        .await
        .map_err(|e| describe_sdk_error(&e))?;
    let unknown = out.unknown_ip_permissions();
    if !unknown.is_empty() {
        return Err(format!(
            "AWS did not find {} of the rules to revoke (UnknownIpPermissions: {})",
            unknown.len(),
            unknown.raw()
        ));
    }
    if out.r#return() == Some(false) {
        return Err("RevokeSecurityGroupIngress answered Return: false".into());
    }
    Ok(CallResult::default())
}

/// `IpPermissions` as `IngressRule::ip_permission` writes them
/// (`IpProtocol`, `FromPort`, `ToPort`, `IpRanges[].CidrIp`,
/// `Ipv6Ranges[].CidrIpv6`), as SDK values.
fn ip_permissions(value: &Value) -> Result<Vec<ec2::types::IpPermission>, String> {
    let Some(items) = value.as_array().filter(|a| !a.is_empty()) else {
        return Err("parameter IpPermissions is not a non-empty list".into());
    };
    let port = |p: &Value, key: &str| p.get(key).and_then(Value::as_i64).map(i32::try_from).transpose();
    let mut out = Vec::new();
    for p in items {
        let mut b = ec2::types::IpPermission::builder().ip_protocol(str_param(p, "IpProtocol")?);
        let from = port(p, "FromPort").map_err(|e| format!("FromPort: {e}"))?;
        let to = port(p, "ToPort").map_err(|e| format!("ToPort: {e}"))?;
        b = b.set_from_port(from).set_to_port(to);
        for r in p.get("IpRanges").and_then(Value::as_array).into_iter().flatten() {
            b = b.ip_ranges(ec2::types::IpRange::builder().cidr_ip(str_param(r, "CidrIp")?).build());
        }
        for r in p.get("Ipv6Ranges").and_then(Value::as_array).into_iter().flatten() {
            b = b.ipv6_ranges(ec2::types::Ipv6Range::builder().cidr_ipv6(str_param(r, "CidrIpv6")?).build());
        }
        out.push(b.build());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::remediation::action::Action;
    use serde_json::json;

    /// `web-open` as moto 5.2 answered `DescribeSecurityGroups`: HTTP open
    /// to the world, SSH from 10/8, an IPv6 HTTPS rule.
    fn recorded() -> Value {
        json!({"Description": "web", "GroupId": "sg-0123", "GroupName": "web-open", "OwnerId": "123456789012",
               "VpcId": "vpc-1", "Tags": [],
               "IpPermissions": [
                 {"FromPort": 80, "IpProtocol": "tcp", "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "http"}],
                  "Ipv6Ranges": [], "PrefixListIds": [], "ToPort": 80, "UserIdGroupPairs": []},
                 {"FromPort": 22, "IpProtocol": "tcp", "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
                  "Ipv6Ranges": [], "PrefixListIds": [], "ToPort": 22, "UserIdGroupPairs": []},
                 {"FromPort": 443, "IpProtocol": "tcp", "IpRanges": [], "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                  "PrefixListIds": [], "ToPort": 443, "UserIdGroupPairs": []}],
               "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
                                        "PrefixListIds": [], "UserIdGroupPairs": []}]})
    }

    #[test]
    fn recorded_answers_give_the_scans_slice_and_the_calls_parse() {
        let props = to_props("aws_security_group", &raw_of(recorded())).expect("props");
        assert_eq!(props["ingress"].as_array().map(Vec::len), Some(3));
        let action: Action = serde_json::from_value(json!({"kind": "ec2.revoke-ingress", "params": {"rules": [
            {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_ipv4": "0.0.0.0/0"},
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv6": "::/0"}]}}))
        .expect("action");
        action.check("aws_security_group", &props).expect("both rules are in the group");
        let before = action.slice(&props);
        let calls = action.calls("sg-0123", &before);
        assert_eq!(calls.len(), 1);
        let permissions = ip_permissions(&calls[0].parameters["IpPermissions"]).expect("parses");
        assert_eq!(permissions.len(), 2);
        let http = permissions.iter().find(|p| p.from_port() == Some(80)).expect("port 80");
        assert_eq!((http.ip_protocol(), http.to_port()), (Some("tcp"), Some(80)));
        assert_eq!(http.ip_ranges()[0].cidr_ip(), Some("0.0.0.0/0"));
        let https = permissions.iter().find(|p| p.from_port() == Some(443)).expect("port 443");
        assert_eq!(https.ipv6_ranges()[0].cidr_ipv6(), Some("::/0"));
        assert!(https.ip_ranges().is_empty());
        // Only SSH from 10/8 is left once revoked.
        let mut after = recorded();
        after["IpPermissions"] = json!([after["IpPermissions"][1].clone()]);
        let after = to_props("aws_security_group", &raw_of(after)).expect("props");
        assert_eq!(action.slice(&after), action.expected(&before));
        assert!(ip_permissions(&json!([])).is_err());
    }
}
