//! ARNs and the resource types Palisade can match: which Terraform and
//! Pulumi type an ARN is, and which id Terraform state records for it.
//!
//! ARN syntax: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, where
//! `RESOURCE` is `TYPE/ID`, `TYPE:ID` or a bare `ID`
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>).
//! The table [`RULES`] covers the types the Resource Groups Tagging API
//! returns on AWS and on moto (`../shared/notes/moto.md`); ids follow the
//! Terraform AWS provider (v5) `id` attribute of each type.

/// A parsed ARN. Borrowed from the text it was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub partition: &'a str,
    /// The service namespace, e.g. `ec2`.
    pub service: &'a str,
    /// The region; empty for global resources (S3 buckets, IAM).
    pub region: &'a str,
    /// The account id; empty for S3 buckets.
    pub account: &'a str,
    /// Everything after the fifth `:`, e.g. `instance/i-0abc`.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Parses `text`; `None` unless it has the six `:`-separated parts with
    /// `arn` first and a non-empty partition, service and resource.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let arn = Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        };
        (!arn.partition.is_empty() && !arn.service.is_empty() && !arn.resource.is_empty()).then_some(arn)
    }

    /// The resource type and the rest: `instance/i-1` gives
    /// `(Some("instance"), "i-1")`; a bare `my-queue` gives `(None, "my-queue")`.
    pub fn type_and_rest(&self) -> (Option<&'a str>, &'a str) {
        match self.resource.find(['/', ':']) {
            Some(i) => (Some(&self.resource[..i]), &self.resource[i + 1..]),
            None => (None, self.resource),
        }
    }
}

/// How the Terraform `id` of a type follows from its ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRule {
    /// The part after the ARN's resource type (`i-0abc`, a table name).
    Rest,
    /// The whole resource part (S3 bucket names).
    Resource,
    /// The ARN itself (SNS topics, secrets, load balancers).
    Arn,
    /// An SQS queue URL: `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`.
    SqsUrl,
    /// An SSM parameter name: `/a/b` for hierarchical names, else `name`.
    SsmName,
    /// A log group name, without a trailing `:*`.
    LogGroup,
    /// The resource's last `/`-separated segment: an IAM name without its
    /// path (`user/ops/team/alice` -> `alice`; IAM names contain no `/`).
    Name,
}

/// One resource type Palisade can match between state and cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeRule {
    /// The ARN's service.
    pub service: &'static str,
    /// The ARN's resource type (`instance`), or `None` for ARNs without one.
    pub arn_type: Option<&'static str>,
    /// The Terraform AWS provider type.
    pub terraform: &'static str,
    /// The Pulumi AWS types of the same resource.
    pub pulumi: &'static [&'static str],
    /// How the Terraform id follows from the ARN.
    pub id: IdRule,
    /// Whether the Resource Groups Tagging API lists this type (its tagged
    /// resources); IAM's types it does not: only a live reader sees them.
    pub tagging: bool,
}

impl TypeRule {
    /// The Tagging API resource type of this rule's resources: `service:arn_type`
    /// (`ec2:instance`), or the service alone when its ARNs have no type
    /// (`s3` for buckets, `sns`, `sqs`).
    pub fn tagging_type(&self) -> String {
        match self.arn_type {
            Some(t) => format!("{}:{t}", self.service),
            None => self.service.to_string(),
        }
    }
}

const fn rule(
    service: &'static str,
    arn_type: Option<&'static str>,
    terraform: &'static str,
    pulumi: &'static [&'static str],
    id: IdRule,
) -> TypeRule {
    TypeRule { service, arn_type, terraform, pulumi, id, tagging: true }
}

/// A [`rule`] of a type the Tagging API does not list.
const fn reader_only(rule: TypeRule) -> TypeRule {
    TypeRule { tagging: false, ..rule }
}

/// The types Palisade matches. Others are reported as "not checked".
pub const RULES: &[TypeRule] = &[
    rule("s3", None, "aws_s3_bucket", &["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"], IdRule::Resource),
    rule("ec2", Some("instance"), "aws_instance", &["aws:ec2/instance:Instance"], IdRule::Rest),
    rule("ec2", Some("volume"), "aws_ebs_volume", &["aws:ebs/volume:Volume"], IdRule::Rest),
    rule("ec2", Some("snapshot"), "aws_ebs_snapshot", &["aws:ebs/snapshot:Snapshot"], IdRule::Rest),
    rule("ec2", Some("vpc"), "aws_vpc", &["aws:ec2/vpc:Vpc"], IdRule::Rest),
    rule("ec2", Some("subnet"), "aws_subnet", &["aws:ec2/subnet:Subnet"], IdRule::Rest),
    rule("ec2", Some("security-group"), "aws_security_group", &["aws:ec2/securityGroup:SecurityGroup"], IdRule::Rest),
    rule(
        "ec2",
        Some("internet-gateway"),
        "aws_internet_gateway",
        &["aws:ec2/internetGateway:InternetGateway"],
        IdRule::Rest,
    ),
    rule("ec2", Some("natgateway"), "aws_nat_gateway", &["aws:ec2/natGateway:NatGateway"], IdRule::Rest),
    rule("ec2", Some("route-table"), "aws_route_table", &["aws:ec2/routeTable:RouteTable"], IdRule::Rest),
    rule("ec2", Some("network-acl"), "aws_network_acl", &["aws:ec2/networkAcl:NetworkAcl"], IdRule::Rest),
    rule("ec2", Some("elastic-ip"), "aws_eip", &["aws:ec2/eip:Eip"], IdRule::Rest),
    rule(
        "ec2",
        Some("launch-template"),
        "aws_launch_template",
        &["aws:ec2/launchTemplate:LaunchTemplate"],
        IdRule::Rest,
    ),
    rule("ec2", Some("image"), "aws_ami", &["aws:ec2/ami:Ami"], IdRule::Rest),
    rule("lambda", Some("function"), "aws_lambda_function", &["aws:lambda/function:Function"], IdRule::Rest),
    rule("rds", Some("db"), "aws_db_instance", &["aws:rds/instance:Instance"], IdRule::Rest),
    rule("rds", Some("cluster"), "aws_rds_cluster", &["aws:rds/cluster:Cluster"], IdRule::Rest),
    rule("dynamodb", Some("table"), "aws_dynamodb_table", &["aws:dynamodb/table:Table"], IdRule::Rest),
    rule("sns", None, "aws_sns_topic", &["aws:sns/topic:Topic"], IdRule::Arn),
    rule("sqs", None, "aws_sqs_queue", &["aws:sqs/queue:Queue"], IdRule::SqsUrl),
    rule("kms", Some("key"), "aws_kms_key", &["aws:kms/key:Key"], IdRule::Rest),
    rule(
        "secretsmanager",
        Some("secret"),
        "aws_secretsmanager_secret",
        &["aws:secretsmanager/secret:Secret"],
        IdRule::Arn,
    ),
    rule(
        "logs",
        Some("log-group"),
        "aws_cloudwatch_log_group",
        &["aws:cloudwatch/logGroup:LogGroup"],
        IdRule::LogGroup,
    ),
    rule("ecs", Some("cluster"), "aws_ecs_cluster", &["aws:ecs/cluster:Cluster"], IdRule::Arn),
    rule("ecs", Some("service"), "aws_ecs_service", &["aws:ecs/service:Service"], IdRule::Arn),
    rule(
        "cloudwatch",
        Some("alarm"),
        "aws_cloudwatch_metric_alarm",
        &["aws:cloudwatch/metricAlarm:MetricAlarm"],
        IdRule::Rest,
    ),
    rule("ssm", Some("parameter"), "aws_ssm_parameter", &["aws:ssm/parameter:Parameter"], IdRule::SsmName),
    rule(
        "elasticloadbalancing",
        Some("loadbalancer"),
        "aws_lb",
        &["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"],
        IdRule::Arn,
    ),
    rule(
        "elasticloadbalancing",
        Some("targetgroup"),
        "aws_lb_target_group",
        &["aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"],
        IdRule::Arn,
    ),
    rule(
        "elasticloadbalancing",
        Some("listener"),
        "aws_lb_listener",
        &["aws:lb/listener:Listener", "aws:alb/listener:Listener"],
        IdRule::Arn,
    ),
    rule("ecr", Some("repository"), "aws_ecr_repository", &["aws:ecr/repository:Repository"], IdRule::Rest),
    rule("eks", Some("cluster"), "aws_eks_cluster", &["aws:eks/cluster:Cluster"], IdRule::Rest),
    rule(
        "elasticfilesystem",
        Some("file-system"),
        "aws_efs_file_system",
        &["aws:efs/fileSystem:FileSystem"],
        IdRule::Rest,
    ),
    rule("kinesis", Some("stream"), "aws_kinesis_stream", &["aws:kinesis/stream:Stream"], IdRule::Arn),
    reader_only(rule("iam", Some("user"), "aws_iam_user", &["aws:iam/user:User"], IdRule::Name)),
    reader_only(rule("iam", Some("role"), "aws_iam_role", &["aws:iam/role:Role"], IdRule::Name)),
    // Palisade's address for an account-level setting without an ARN of
    // its own, `arn:PARTITION:iam::ACCOUNT:account-password-policy` (its
    // reader records the id `iam-account-password-policy` and the type):
    // that ARN has no `TYPE/`, so `classify` does not match this row; it
    // serves `rule_for_type` (`--resource-type`, drift).
    reader_only(rule(
        "iam",
        Some("account-password-policy"),
        "aws_iam_account_password_policy",
        &["aws:iam/accountPasswordPolicy:AccountPasswordPolicy"],
        IdRule::Rest,
    )),
];

/// What Palisade knows of an ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// The ARN's service.
    pub service: String,
    /// The Tagging API resource type: `service:type`, or `service` alone.
    pub resource_type: String,
    /// The matching rule, when the type is one of [`RULES`].
    pub rule: Option<&'static TypeRule>,
    /// The Terraform id, when the rule gives one.
    pub id: Option<String>,
}

/// Classifies an ARN; `None` when it is not an ARN.
///
/// `region` and `account` fill in what the ARN leaves empty (S3), for ids
/// that contain them (SQS queue URLs).
pub fn classify(arn_text: &str, region: &str, account: &str) -> Option<Classified> {
    let arn = Arn::parse(arn_text)?;
    let (arn_type, rest) = arn.type_and_rest();
    let resource_type = match arn_type {
        Some(t) if arn.service != "s3" => format!("{}:{t}", arn.service),
        _ => arn.service.to_string(),
    };
    let found = RULES.iter().find(|r| {
        r.service == arn.service
            && match (r.arn_type, arn_type) {
                (None, None) => true,
                // S3 bucket names contain no `/` or `:`; other ARN-typed S3
                // resources (access points, jobs) are not buckets.
                (None, Some(_)) => false,
                (Some(want), Some(got)) => want == got,
                (Some(_), None) => false,
            }
    });
    let region = if arn.region.is_empty() { region } else { arn.region };
    let account = if arn.account.is_empty() { account } else { arn.account };
    let id = found.map(|r| match r.id {
        IdRule::Rest => rest.to_string(),
        IdRule::Resource => arn.resource.to_string(),
        IdRule::Arn => arn_text.to_string(),
        IdRule::SqsUrl => format!("https://sqs.{region}.amazonaws.com/{account}/{}", arn.resource),
        IdRule::SsmName if rest.contains('/') => format!("/{rest}"),
        IdRule::SsmName => rest.to_string(),
        IdRule::LogGroup => rest.strip_suffix(":*").unwrap_or(rest).to_string(),
        IdRule::Name => rest.rsplit('/').next().unwrap_or(rest).to_string(),
    });
    Some(Classified { service: arn.service.to_string(), resource_type, rule: found, id })
}

/// The rule of a Terraform (`aws_instance`) or Pulumi
/// (`aws:ec2/instance:Instance`) type.
pub fn rule_for_type(resource_type: &str) -> Option<&'static TypeRule> {
    RULES.iter().find(|r| r.terraform == resource_type || r.pulumi.contains(&resource_type))
}

/// The key an id is compared by for a rule: ids are compared as Terraform
/// records them, except SQS queue URLs, whose host differs between
/// endpoints (`sqs.REGION.amazonaws.com`, `queue.amazonaws.com`, moto's),
/// compared by `ACCOUNT/NAME`.
pub fn id_key(rule: &TypeRule, id: &str) -> String {
    match rule.id {
        IdRule::SqsUrl => {
            let mut parts = id.trim_end_matches('/').rsplit('/');
            let name = parts.next().unwrap_or(id);
            let account = parts.next().unwrap_or("");
            format!("{account}/{name}")
        }
        _ => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_types_moto_serves() {
        let cases = [
            ("arn:aws:s3:::my-bucket", "s3", Some("aws_s3_bucket"), Some("my-bucket")),
            (
                "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc",
                "ec2:instance",
                Some("aws_instance"),
                Some("i-0abc"),
            ),
            (
                "arn:aws:sqs:eu-west-1:123456789012:jobs",
                "sqs",
                Some("aws_sqs_queue"),
                Some("https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"),
            ),
            (
                "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db",
                "ssm:parameter",
                Some("aws_ssm_parameter"),
                Some("/app/db"),
            ),
            (
                "arn:aws:ssm:eu-west-1:123456789012:parameter/plain",
                "ssm:parameter",
                Some("aws_ssm_parameter"),
                Some("plain"),
            ),
            (
                "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/x:*",
                "logs:log-group",
                Some("aws_cloudwatch_log_group"),
                Some("/aws/x"),
            ),
            (
                "arn:aws:sns:eu-west-1:123456789012:alerts",
                "sns",
                Some("aws_sns_topic"),
                Some("arn:aws:sns:eu-west-1:123456789012:alerts"),
            ),
            ("arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1", "cloudformation:stack", None, None),
            ("arn:aws:s3:eu-west-1:123456789012:accesspoint/ap", "s3", None, None),
        ];
        for (arn, rtype, tf, id) in cases {
            let c = classify(arn, "eu-west-1", "123456789012").expect(arn);
            assert_eq!(c.resource_type, rtype, "{arn}");
            assert_eq!(c.rule.map(|r| r.terraform), tf, "{arn}");
            assert_eq!(c.id.as_deref(), id, "{arn}");
        }
        assert!(classify("not-an-arn", "", "").is_none());
        assert!(classify("arn:aws:s3:::", "", "").is_none());
    }

    #[test]
    fn iam_ids_are_names_without_their_path() {
        let cases = [
            ("arn:aws:iam::123456789012:user/alice", "iam:user", "aws_iam_user", "alice"),
            ("arn:aws:iam::123456789012:user/ops/team/alice", "iam:user", "aws_iam_user", "alice"),
            ("arn:aws:iam::123456789012:role/svc/deploy", "iam:role", "aws_iam_role", "deploy"),
            ("arn:aws-cn:iam::123456789012:role/deploy", "iam:role", "aws_iam_role", "deploy"),
        ];
        for (arn, rtype, tf, id) in cases {
            let c = classify(arn, "", "").expect(arn);
            assert_eq!(c.resource_type, rtype, "{arn}");
            assert_eq!(c.rule.map(|r| r.terraform), Some(tf), "{arn}");
            assert_eq!(c.id.as_deref(), Some(id), "{arn}");
        }
        let policy = rule_for_type("aws_iam_account_password_policy").expect("password policy rule");
        assert_eq!(policy.tagging_type(), "iam:account-password-policy");
        assert_eq!(rule_for_type("aws:iam/user:User").map(TypeRule::tagging_type).as_deref(), Some("iam:user"));
    }

    #[test]
    fn sqs_ids_compare_by_account_and_name() {
        let rule = rule_for_type("aws:sqs/queue:Queue").expect("sqs rule");
        assert_eq!(
            id_key(rule, "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"),
            id_key(rule, "https://eu-west-1.queue.amazonaws.com/123456789012/jobs")
        );
    }
}
