//! Elastic Load Balancing v2 load balancers (`aws_lb`: application, network
//! and gateway) and their listeners (`aws_lb_listener`):
//! `DescribeLoadBalancers` lists the load balancers with their
//! configuration; `DescribeListeners`, once per load balancer, lists its
//! listeners with theirs. Both are list calls (the second is how listeners
//! are found); neither type has detail calls.
//!
//! API: <https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/>.
//! Terraform ids are the ARNs (`crate::arn`). Tags come from
//! `DescribeTags`, 20 resources a call (a detail call: without it, from the
//! scope's Tagging API sweep, which on moto does not list listeners). Actions keep their type, target group, order and
//! their redirect, fixed-response and forward configurations; the
//! authentication configurations (an OIDC client secret among them) are not
//! kept.
//!
//! Derived members: the table language has no rule to pluck one member of
//! each object of a list, nor to read a list's first item, so the raw
//! output gets `Derived.Subnets` (the `SubnetId`s of `AvailabilityZones`)
//! per load balancer and `Derived.CertificateArn` (the first, default,
//! certificate's ARN: `DescribeListeners` returns only that one) per
//! listener.
//!
//! A load balancer deleted between the two calls (`LoadBalancerNotFound`)
//! is skipped.
//!
//! moto: `DescribeLoadBalancers` pages (`PageSize`, 50 by default; we ask
//! for 400, the largest); `DescribeListeners` does not. moto gives HTTP and
//! TCP listeners an `SslPolicy`, network load balancers (and their
//! listeners) ARNs with `app/` (AWS: `net/`), and its Tagging API does not return listeners (their tags,
//! set, show only in `DescribeTags`).

use aws_sdk_elasticloadbalancingv2 as elbv2;
use serde_json::{Value, json};

use super::raw::Raw;
use super::table::Rule;
use super::{Call, CallKind, Ctx, Found, Outcome, Service, TypeReader};

const DESCRIBE_LOAD_BALANCERS: Call = Call::list("elasticloadbalancing", "DescribeLoadBalancers");
/// A list call whose load balancer may be gone since `DescribeLoadBalancers`.
const DESCRIBE_LISTENERS: Call = Call {
    service: "elasticloadbalancing",
    action: "DescribeListeners",
    kind: CallKind::List,
    absent: &[],
    gone: &["LoadBalancerNotFound"],
};

const DESCRIBE_TAGS: Call =
    Call::detail("elasticloadbalancing", "DescribeTags", &[], &["LoadBalancerNotFound", "ListenerNotFound"]);

/// The most ARNs one `DescribeTags` call takes.
const TAGS_BATCH: usize = 20;

/// The largest page `DescribeLoadBalancers` gives.
const PAGE_SIZE: i32 = 400;

/// `aws_lb`.
pub static LOAD_BALANCER: TypeReader = TypeReader {
    terraform_type: "aws_lb",
    tagging_type: "elasticloadbalancing:loadbalancer",
    calls: &[&DESCRIBE_LOAD_BALANCERS, &DESCRIBE_TAGS],
    rules: &[
        Rule::Copy("DescribeLoadBalancers.LoadBalancerName", "name"),
        Rule::Copy("DescribeLoadBalancers.LoadBalancerArn", "arn"),
        Rule::Copy("DescribeLoadBalancers.Type", "load_balancer_type"),
        Rule::Equals("DescribeLoadBalancers.Scheme", "internal", "internal"),
        Rule::Copy("DescribeLoadBalancers.DNSName", "dns_name"),
        Rule::Copy("DescribeLoadBalancers.VpcId", "vpc_id"),
        Rule::Copy("DescribeLoadBalancers.SecurityGroups", "security_groups"),
        Rule::Copy("DescribeLoadBalancers.Derived.Subnets", "subnets"),
        Rule::Copy("DescribeLoadBalancers.IpAddressType", "ip_address_type"),
    ],
    own_tags: false,
};

/// `aws_lb_listener`.
pub static LISTENER: TypeReader = TypeReader {
    terraform_type: "aws_lb_listener",
    tagging_type: "elasticloadbalancing:listener",
    calls: &[&DESCRIBE_LOAD_BALANCERS, &DESCRIBE_LISTENERS, &DESCRIBE_TAGS],
    rules: &[
        Rule::Copy("DescribeListeners.ListenerArn", "arn"),
        Rule::Copy("DescribeListeners.LoadBalancerArn", "load_balancer_arn"),
        Rule::Copy("DescribeListeners.Port", "port"),
        Rule::Copy("DescribeListeners.Protocol", "protocol"),
        Rule::Copy("DescribeListeners.SslPolicy", "ssl_policy"),
        Rule::Copy("DescribeListeners.Derived.CertificateArn", "certificate_arn"),
        Rule::Each { from: "DescribeListeners.DefaultActions", to: "default_action", rules: ACTION },
    ],
    own_tags: true,
};

/// One `default_action` block.
const ACTION: &[Rule] = &[
    Rule::Copy("Type", "type"),
    Rule::Copy("TargetGroupArn", "target_group_arn"),
    Rule::Copy("Order", "order"),
    Rule::Nest {
        from: "RedirectConfig",
        to: "redirect",
        rules: &[
            Rule::Copy("Protocol", "protocol"),
            Rule::Copy("Port", "port"),
            Rule::Copy("Host", "host"),
            Rule::Copy("Path", "path"),
            Rule::Copy("Query", "query"),
            Rule::Copy("StatusCode", "status_code"),
        ],
    },
    Rule::Nest {
        from: "ForwardConfig",
        to: "forward",
        rules: &[
            Rule::Each {
                from: "TargetGroups",
                to: "target_group",
                rules: &[Rule::Copy("TargetGroupArn", "arn"), Rule::Copy("Weight", "weight")],
            },
            Rule::Nest {
                from: "TargetGroupStickinessConfig",
                to: "stickiness",
                rules: &[Rule::Copy("Enabled", "enabled"), Rule::Copy("DurationSeconds", "duration")],
            },
        ],
    },
    Rule::Nest {
        from: "FixedResponseConfig",
        to: "fixed_response",
        rules: &[
            Rule::Copy("ContentType", "content_type"),
            Rule::Copy("MessageBody", "message_body"),
            Rule::Copy("StatusCode", "status_code"),
        ],
    },
];

/// The ELBv2 reader.
pub static SERVICE: Service =
    Service { name: "elbv2", global: false, types: &[&LOAD_BALANCER, &LISTENER], read: |ctx| Box::pin(read(ctx)) };

crate::raw_struct! {
    elbv2::types::LoadBalancer {
        "LoadBalancerArn" => load_balancer_arn, "LoadBalancerName" => load_balancer_name, "Type" => r#type,
        "Scheme" => scheme, "DNSName" => dns_name, "VpcId" => vpc_id, "State" => state,
        "AvailabilityZones" => availability_zones, "SecurityGroups" => security_groups,
        "IpAddressType" => ip_address_type,
    }
    elbv2::types::LoadBalancerState { "Code" => code }
    elbv2::types::AvailabilityZone { "ZoneName" => zone_name, "SubnetId" => subnet_id }
    elbv2::types::Listener {
        "ListenerArn" => listener_arn, "LoadBalancerArn" => load_balancer_arn, "Port" => port,
        "Protocol" => protocol, "SslPolicy" => ssl_policy, "Certificates" => certificates,
        "DefaultActions" => default_actions, "AlpnPolicy" => alpn_policy,
    }
    elbv2::types::Certificate { "CertificateArn" => certificate_arn, "IsDefault" => is_default }
    elbv2::types::Action {
        "Type" => r#type, "TargetGroupArn" => target_group_arn, "Order" => order,
        "RedirectConfig" => redirect_config, "ForwardConfig" => forward_config,
        "FixedResponseConfig" => fixed_response_config,
    }
    elbv2::types::RedirectActionConfig {
        "Protocol" => protocol, "Port" => port, "Host" => host, "Path" => path, "Query" => query,
        "StatusCode" => status_code,
    }
    elbv2::types::ForwardActionConfig {
        "TargetGroups" => target_groups, "TargetGroupStickinessConfig" => target_group_stickiness_config,
    }
    elbv2::types::TargetGroupTuple { "TargetGroupArn" => target_group_arn, "Weight" => weight }
    elbv2::types::TargetGroupStickinessConfig { "Enabled" => enabled, "DurationSeconds" => duration_seconds }
    elbv2::types::FixedResponseActionConfig {
        "ContentType" => content_type, "MessageBody" => message_body, "StatusCode" => status_code,
    }
}
crate::raw_enum!(
    elbv2::types::LoadBalancerTypeEnum,
    elbv2::types::LoadBalancerSchemeEnum,
    elbv2::types::LoadBalancerStateEnum,
    elbv2::types::IpAddressType,
    elbv2::types::ProtocolEnum,
    elbv2::types::ActionTypeEnum,
    elbv2::types::RedirectActionStatusCodeEnum,
);

async fn read(ctx: &Ctx) {
    let (balancers, listeners) = (ctx.wants(&LOAD_BALANCER), ctx.wants(&LISTENER));
    if !balancers && !listeners {
        return;
    }
    let client = elbv2::Client::new(&ctx.config);
    // The list is the listeners' too: counted for them when it is only theirs.
    let counted = if balancers { &LOAD_BALANCER } else { &LISTENER };
    let mut arns: Vec<String> = Vec::new();
    let mut found: Vec<Found> = Vec::new();
    let mut pages = client.describe_load_balancers().page_size(PAGE_SIZE).into_paginator().send();
    while let Some(page) = ctx.page(counted, &DESCRIBE_LOAD_BALANCERS, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => return ctx.list_failed(f),
            Outcome::Absent | Outcome::Gone => return,
        };
        for lb in page.load_balancers() {
            let Some(arn) = lb.load_balancer_arn() else { continue };
            if listeners {
                arns.push(arn.to_string());
            }
            if balancers {
                found.push(Found::new(&LOAD_BALANCER, arn.to_string(), &DESCRIBE_LOAD_BALANCERS, balancer_raw(lb)));
            }
        }
    }
    for arn in &arns {
        if !read_listeners(ctx, &client, arn, &mut found).await {
            break;
        }
    }
    for ty in [&LOAD_BALANCER, &LISTENER] {
        let mine: Vec<&mut Found> = found.iter_mut().filter(|f| std::ptr::eq(f.reader, ty)).collect();
        if ctx.details(ty) {
            read_tags(ctx, &client, ty, mine).await;
        } else {
            mine.into_iter().for_each(|f| f.skip(&[&DESCRIBE_TAGS]));
        }
    }
    found.into_iter().for_each(|f| ctx.found(f));
}

/// The tags of `found` (of type `ty`), 20 a call; a failed call leaves
/// its resources' tags to the scope's Tagging API sweep.
async fn read_tags(ctx: &Ctx, client: &elbv2::Client, ty: &TypeReader, mut found: Vec<&mut Found>) {
    for batch in found.chunks_mut(TAGS_BATCH) {
        let arns: Vec<String> = batch.iter().map(|f| f.arn.clone()).collect();
        let answer = ctx.call(ty, &DESCRIBE_TAGS, client.describe_tags().set_resource_arns(Some(arns)).send()).await;
        let Outcome::Ok(answer) = answer else { continue };
        for description in answer.tag_descriptions() {
            let Some(f) = batch.iter_mut().find(|f| Some(f.arn.as_str()) == description.resource_arn()) else {
                continue;
            };
            let tags = description
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())));
            f.tags = Some(tags.collect());
        }
    }
}

/// The listeners of load balancer `lb`; `false` when the call failed (the
/// listing stops).
async fn read_listeners(ctx: &Ctx, client: &elbv2::Client, lb: &str, found: &mut Vec<Found>) -> bool {
    let mut pages = client.describe_listeners().load_balancer_arn(lb).into_paginator().send();
    while let Some(page) = ctx.page(&LISTENER, &DESCRIBE_LISTENERS, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => {
                ctx.list_failed(f);
                return false;
            }
            Outcome::Absent | Outcome::Gone => return true,
        };
        for listener in page.listeners() {
            let Some(arn) = listener.listener_arn() else { continue };
            found.push(Found::new(&LISTENER, arn.to_string(), &DESCRIBE_LISTENERS, listener_raw(listener)));
        }
    }
    true
}

/// A load balancer's raw output, with its subnets.
fn balancer_raw(lb: &elbv2::types::LoadBalancer) -> Value {
    let mut raw = lb.raw();
    let subnets: Vec<&str> = lb.availability_zones().iter().filter_map(|az| az.subnet_id()).collect();
    if let Value::Object(members) = &mut raw {
        members.insert("Derived".into(), json!({ "Subnets": subnets }));
    }
    raw
}

/// A listener's raw output, with its default certificate's ARN.
fn listener_raw(listener: &elbv2::types::Listener) -> Value {
    let mut raw = listener.raw();
    let certificate = listener.certificates().first().and_then(|c| c.certificate_arn());
    if let Value::Object(members) = &mut raw {
        members.insert("Derived".into(), super::raw::object([("CertificateArn", certificate.raw())]));
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::live::table::apply;

    const ALB: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alb-1/f87a42f3d814e53a";
    const LISTENER_ARN: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb-1/f87a42f3d814e53a/a2c0123bbe7e59b2";
    const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg-1/747977cab15213c3";
    const CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/7b38d9f3-bf7e-4333-9060-830472430e90";

    /// A listener as moto 5 answered `DescribeListeners` (through the
    /// `live` example; moto gives HTTP listeners an `SslPolicy` too).
    fn listener(port: i32, protocol: &str, actions: Value, certificates: Value, derived: Value) -> Value {
        json!({"DescribeListeners": {
            "AlpnPolicy": [], "Certificates": certificates, "DefaultActions": actions, "Derived": derived,
            "ListenerArn": LISTENER_ARN, "LoadBalancerArn": ALB, "Port": port, "Protocol": protocol,
            "SslPolicy": "ELBSecurityPolicy-2016-08"
        }})
    }

    #[test]
    fn internet_facing_application_load_balancer() {
        let raw = json!({"DescribeLoadBalancers": {
            "AvailabilityZones": [{"SubnetId": "subnet-dfdac49e4f44a62d2", "ZoneName": "us-east-1a"},
                                  {"SubnetId": "subnet-f2281f154b3ce20f1", "ZoneName": "us-east-1b"}],
            "DNSName": "alb-1-1.us-east-1.elb.amazonaws.com",
            "Derived": {"Subnets": ["subnet-dfdac49e4f44a62d2", "subnet-f2281f154b3ce20f1"]},
            "IpAddressType": "ipv4", "LoadBalancerArn": ALB, "LoadBalancerName": "alb-1", "Scheme": "internet-facing",
            "SecurityGroups": ["sg-0102a9faac67e2a19"], "State": {"Code": "active"}, "Type": "application",
            "VpcId": "vpc-8b0f46782bc2a6479"
        }});
        assert_eq!(
            Value::Object(apply(LOAD_BALANCER.rules, &raw)),
            json!({
                "name": "alb-1", "arn": ALB, "load_balancer_type": "application", "internal": false,
                "dns_name": "alb-1-1.us-east-1.elb.amazonaws.com", "vpc_id": "vpc-8b0f46782bc2a6479",
                "security_groups": ["sg-0102a9faac67e2a19"],
                "subnets": ["subnet-dfdac49e4f44a62d2", "subnet-f2281f154b3ce20f1"], "ip_address_type": "ipv4"
            })
        );
        let mut internal = raw.clone();
        internal["DescribeLoadBalancers"]["Scheme"] = json!("internal");
        assert_eq!(apply(LOAD_BALANCER.rules, &internal)["internal"], json!(true));
    }

    #[test]
    fn http_listener_forwarding() {
        let actions = json!([{"TargetGroupArn": TG, "Type": "forward"}]);
        let raw = listener(80, "HTTP", actions, json!([]), json!({}));
        assert_eq!(
            Value::Object(apply(LISTENER.rules, &raw)),
            json!({
                "arn": LISTENER_ARN, "load_balancer_arn": ALB, "port": 80, "protocol": "HTTP",
                "ssl_policy": "ELBSecurityPolicy-2016-08",
                "default_action": [{"type": "forward", "target_group_arn": TG, "redirect": [], "forward": [],
                                    "fixed_response": []}]
            })
        );
    }

    #[test]
    fn http_listener_redirecting_to_https() {
        let actions = json!([{"RedirectConfig": {"Port": "443", "Protocol": "HTTPS", "StatusCode": "HTTP_301"},
                              "Type": "redirect"}]);
        let raw = listener(8080, "HTTP", actions, json!([]), json!({}));
        assert_eq!(
            apply(LISTENER.rules, &raw)["default_action"],
            json!([{"type": "redirect", "redirect": [{"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}],
                    "forward": [], "fixed_response": []}])
        );
    }

    #[test]
    fn https_listener_with_certificate() {
        let actions = json!([{"FixedResponseConfig": {"ContentType": "text/plain", "MessageBody": "nope",
                              "StatusCode": "404"}, "Type": "fixed-response"}]);
        let raw = listener(443, "HTTPS", actions, json!([{"CertificateArn": CERT}]), json!({"CertificateArn": CERT}));
        let out = apply(LISTENER.rules, &raw);
        assert_eq!(out["protocol"], json!("HTTPS"));
        assert_eq!(out["certificate_arn"], json!(CERT));
        assert_eq!(
            out["default_action"],
            json!([{"type": "fixed-response", "redirect": [], "forward": [],
                    "fixed_response": [{"content_type": "text/plain", "message_body": "nope", "status_code": "404"}]}])
        );
    }

    #[test]
    fn forward_config_with_weights_and_stickiness() {
        let actions = json!([{"ForwardConfig": {"TargetGroupStickinessConfig": {"Enabled": false},
                              "TargetGroups": [{"TargetGroupArn": TG, "Weight": 1}]}, "Type": "forward"}]);
        let raw = listener(5432, "TCP", actions, json!([]), json!({}));
        assert_eq!(
            apply(LISTENER.rules, &raw)["default_action"][0]["forward"],
            json!([{"target_group": [{"arn": TG, "weight": 1}], "stickiness": [{"enabled": false}]}])
        );
    }

    #[test]
    fn derives_subnets_and_certificate_and_drops_authentication() {
        use elbv2::types::{Action, ActionTypeEnum, AuthenticateOidcActionConfig, Certificate, Listener};
        let oidc = AuthenticateOidcActionConfig::builder().client_id("id").client_secret("s3cr3t").build();
        let l = Listener::builder()
            .certificates(Certificate::builder().certificate_arn(CERT).is_default(true).build())
            .default_actions(
                Action::builder().r#type(ActionTypeEnum::AuthenticateOidc).authenticate_oidc_config(oidc).build(),
            )
            .build();
        let raw = listener_raw(&l);
        assert_eq!(raw["Derived"], json!({"CertificateArn": CERT}));
        assert_eq!(raw["DefaultActions"], json!([{"Type": "authenticate-oidc"}]));
        assert!(!raw.to_string().contains("s3cr3t"));
        let az = |s: &str| elbv2::types::AvailabilityZone::builder().zone_name("z").subnet_id(s).build();
        let lb = elbv2::types::LoadBalancer::builder()
            .availability_zones(az("subnet-1"))
            .availability_zones(az("subnet-2"))
            .build();
        assert_eq!(balancer_raw(&lb)["Derived"], json!({"Subnets": ["subnet-1", "subnet-2"]}));
    }
}
