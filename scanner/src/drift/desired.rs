//! The desired state: what drift analysis takes from each state resource.
//!
//! Desired resources are the managed resources that will exist
//! ([`Resource::will_exist`]) of AWS types (Terraform `aws_*`, Pulumi
//! `aws:*`), from every stack. Each keeps what matching needs: its ARN
//! (the `arn` prop, when it is a known, valid ARN), its id (the `id` prop),
//! the [`TypeRule`] of its type, where it lives and its declared tags.
//!
//! Where a resource lives comes from its ARN (an ARN without region, like
//! an IAM role's, is global: any region), else from its `region` prop (AWS
//! provider v6) or its Pulumi provider's `region`. An S3 bucket's ARN
//! (`arn:aws:s3:::NAME`) names no region, yet a bucket lives in one: its
//! `region` prop, else its `bucket_regional_domain_name`
//! (`NAME.s3.REGION.amazonaws.com`; Pulumi `bucketRegionalDomainName`),
//! else its Pulumi provider's `region`; when none tells, its region is
//! unknown (not global). A resource with none of these is guessed to live
//! where the other resources of its state file live, when their ARNs all
//! name one region (and one account): a guess that decides only whether
//! the scan covered it, and which of several same-id candidates it is.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use palisade_model::model::{Resource, ResourceKind, Stack, is_unknown};
use palisade_model::split::{Fragment, Origin};
use serde_json::Value;

use super::report::{LeftOut, StateRef};
use super::tags::{DeclaredTags, SecretTags};
use crate::arn::{Arn, TypeRule, classify, rule_for_type};

/// One state resource, ready to be matched.
#[derive(Debug, Clone)]
pub(crate) struct Desired<'a> {
    /// The resource.
    pub res: &'a Resource,
    /// The rule of its type, when Palisade can match the type.
    pub rule: Option<&'static TypeRule>,
    /// Its ARN, when known and valid.
    pub arn: Option<&'a str>,
    /// Its id, when known and not empty.
    pub id: Option<&'a str>,
    /// Its region; `None` when unknown or global (an ARN without region).
    /// An S3 bucket's comes from its props, not its ARN.
    pub region: Option<&'a str>,
    /// Its account; `None` when unknown (no ARN, or an S3 bucket's).
    pub account: Option<&'a str>,
    /// Whether it is an S3 bucket (an `s3` ARN without region, account or
    /// `/`): regional, though its ARN names no region; with `region` `None`,
    /// its region is unknown.
    pub bucket: bool,
    /// Without an ARN: the one region of its state file's ARNs, if one.
    pub guess_region: Option<&'a str>,
    /// Without an ARN: the one account of its state file's ARNs, if one.
    pub guess_account: Option<&'a str>,
    /// Its declared tags.
    pub tags: DeclaredTags<'a>,
    /// Which tag values are secret.
    pub secret: SecretTags<'a>,
    /// The props compared attribute by attribute: Terraform-shaped, with
    /// the split resources of its stack folded in.
    pub props: &'a Value,
    /// The split resources folded into it (their changes are theirs).
    pub origins: &'a [Origin],
    /// For a split resource whose parent is not in its stack: what it sets
    /// on that parent (it is matched as the parent, and only this is
    /// compared).
    pub orphan: Option<&'a [Fragment]>,
    /// Its stack's resources (for the split resources' state entries).
    pub stack: &'a [Resource],
}

/// A stack made ready for comparison: split resources folded, Pulumi
/// props of compared types Terraform-shaped. Owned here, borrowed by
/// [`Desired`].
#[derive(Debug, Default)]
pub(crate) struct Prepared {
    folding: palisade_model::split::Folding,
    /// Terraform-shaped props of Pulumi resources of compared types.
    shaped: std::collections::HashMap<usize, Value>,
    /// Per orphan split resource: `{attribute: value}` of its fragments.
    orphan_props: std::collections::HashMap<usize, Value>,
}

impl Prepared {
    /// Whether resource `i` is a split resource folded into a parent.
    fn is_folded(&self, i: usize) -> bool {
        !self.folding.folded_into.is_empty() && self.folding.folded_into.contains_key(&i)
    }

    /// The props resource `i` is compared by, when not its own.
    fn props(&self, i: usize) -> Option<&Value> {
        let folded = (!self.folding.props.is_empty()).then(|| self.folding.props.get(&i)).flatten();
        folded.or_else(|| (!self.shaped.is_empty()).then(|| self.shaped.get(&i)).flatten())
    }

    /// The fragments folded into resource `i`.
    fn origins(&self, i: usize) -> &[Origin] {
        if self.folding.origins.is_empty() { &[] } else { self.folding.origins.get(&i).map_or(&[], Vec::as_slice) }
    }

    /// Resource `i`'s fragments, when it is a split resource without its parent.
    fn orphan(&self, i: usize) -> Option<&Vec<Fragment>> {
        if self.folding.orphans.is_empty() { None } else { self.folding.orphans.get(&i) }
    }
}

/// Folds and shapes each stack ([`Prepared`]).
pub(crate) fn prepare(stacks: &[Stack]) -> Vec<Prepared> {
    stacks
        .iter()
        .map(|stack| {
            let folding = palisade_model::split::fold(stack);
            let shaped = stack
                .resources
                .iter()
                .enumerate()
                .filter(|(i, r)| {
                    r.resource_type.starts_with("aws:")
                        && !folding.props.contains_key(i)
                        && rule_for_type(&r.resource_type)
                            .is_some_and(|rule| super::attributes::compared(rule.terraform).is_some())
                })
                .map(|(i, r)| (i, palisade_model::split::terraform_shaped(r).into_owned()))
                .collect();
            let orphan_props = folding
                .orphans
                .iter()
                .map(|(i, frags)| {
                    let map = frags.iter().map(|f| (f.attribute.to_string(), f.value.clone())).collect();
                    (*i, Value::Object(map))
                })
                .collect();
            Prepared { folding, shaped, orphan_props }
        })
        .collect()
}

/// The desired resources of `stacks`, and how many were left out.
/// `prepared` is [`prepare`] of `stacks` (one per stack).
pub(crate) fn collect<'a>(stacks: &'a [Stack], prepared: &'a [Prepared]) -> (Vec<Desired<'a>>, LeftOut) {
    let mut left_out = LeftOut::default();
    let mut desired = Vec::with_capacity(stacks.iter().map(|s| s.resources.len()).sum());
    for (stack, prep) in stacks.iter().zip(prepared) {
        let start = desired.len();
        // Pulumi provider resources that name their region, by URN.
        let regions: HashMap<&str, &str> = stack
            .resources
            .iter()
            .filter(|p| p.kind == ResourceKind::Provider)
            .filter_map(|p| Some((p.address.as_str(), known_str(&p.props, "region")?)))
            .collect();
        // Types repeat: look each one's rule up once.
        let mut rules: HashMap<&str, Option<&'static TypeRule>> = HashMap::new();
        for (i, res) in stack.resources.iter().enumerate() {
            if res.kind != ResourceKind::Managed || !res.will_exist() {
                left_out.not_managed += 1;
            } else if !is_aws_type(&res.resource_type) {
                left_out.not_aws += 1;
            } else if prep.is_folded(i) {
                left_out.folded += 1;
            } else {
                let rule = *rules.entry(&res.resource_type).or_insert_with(|| rule_for_type(&res.resource_type));
                let mut d = Desired::with_rule(res, rule);
                d.stack = &stack.resources;
                if let Some(props) = prep.props(i) {
                    d.props = props;
                }
                d.origins = prep.origins(i);
                if let Some(frags) = prep.orphan(i)
                    && let (Some(first), Some(props)) = (frags.first(), prep.orphan_props.get(&i))
                {
                    // Matched as its parent, by the parent's id: its own ARN
                    // (a VPC rule's `security-group-rule/sgr-...`) is not the
                    // parent's. Its region and account are the parent's.
                    d.rule = rule_for_type(first.parent_type);
                    d.id = Some(first.parent_id.as_str());
                    d.arn = None;
                    d.bucket = false;
                    d.orphan = Some(frags);
                    d.props = props;
                }
                if (d.arn.is_none() || d.bucket) && d.region.is_none() {
                    // A Pulumi provider reference is `URN::ID`.
                    let urn = res.provider.rsplit_once("::").map_or(res.provider.as_str(), |(urn, _)| urn);
                    d.region = regions.get(urn).copied();
                }
                desired.push(d);
            }
        }
        let stack_desired = &mut desired[start..];
        let (region, account) = home(stack_desired);
        for d in stack_desired.iter_mut().filter(|d| d.arn.is_none()) {
            (d.guess_region, d.guess_account) = (region, account);
        }
    }
    (desired, left_out)
}

/// The one region and the one account the ARNs of a state file name, if one.
fn home<'a>(desired: &[Desired<'a>]) -> (Option<&'a str>, Option<&'a str>) {
    let (mut regions, mut accounts) = (BTreeSet::new(), BTreeSet::new());
    // A bucket's region is its props', not its ARN's.
    for d in desired.iter().filter(|d| d.arn.is_some() && !d.bucket) {
        regions.extend(d.region);
        accounts.extend(d.account);
    }
    let one = |set: BTreeSet<&'a str>| if set.len() == 1 { set.into_iter().next() } else { None };
    (one(regions), one(accounts))
}

/// Whether a Terraform or Pulumi type is an AWS provider type.
pub(crate) fn is_aws_type(resource_type: &str) -> bool {
    resource_type.starts_with("aws_") || resource_type.starts_with("aws:")
}

/// A known, non-empty string prop.
fn known_str<'a>(props: &'a Value, key: &str) -> Option<&'a str> {
    props.get(key).filter(|v| !is_unknown(v)).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Whether `arn` is an S3 bucket's: `arn:PARTITION:s3:::NAME`, `NAME`
/// without `/` (an object) or `:`.
fn is_bucket(arn: &Arn<'_>) -> bool {
    arn.service == "s3" && arn.region.is_empty() && arn.account.is_empty() && !arn.resource.contains(['/', ':'])
}

/// The region of bucket `name`: its `region` prop, else the region of its
/// `bucket_regional_domain_name` (`bucketRegionalDomainName`).
fn bucket_region<'a>(props: &'a Value, name: &str) -> Option<&'a str> {
    known_str(props, "region").or_else(|| {
        ["bucket_regional_domain_name", "bucketRegionalDomainName"]
            .into_iter()
            .find_map(|key| region_of_domain(known_str(props, key)?, name))
    })
}

/// The region of a bucket's regional domain name: `NAME.s3.REGION.amazonaws.com`
/// (`.com.cn` in China), or the older `NAME.s3-REGION.amazonaws.com`. `None`
/// for anything else, like the region-less `NAME.s3.amazonaws.com`.
fn region_of_domain<'a>(domain: &'a str, name: &str) -> Option<&'a str> {
    let rest = domain.strip_prefix(name)?.strip_prefix('.')?;
    let rest = rest.strip_prefix("s3.").or_else(|| rest.strip_prefix("s3-"))?;
    let (region, host) = rest.split_once('.')?;
    let looks_like_region = region.contains('-')
        && region.ends_with(|c: char| c.is_ascii_digit())
        && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (looks_like_region && host.starts_with("amazonaws.com")).then_some(region)
}

impl<'a> Desired<'a> {
    /// What matching needs of `res`.
    #[cfg(test)]
    pub(crate) fn new(res: &'a Resource) -> Desired<'a> {
        Desired::with_rule(res, rule_for_type(&res.resource_type))
    }

    /// [`Desired::new`] with the rule of its type already looked up.
    fn with_rule(res: &'a Resource, rule: Option<&'static TypeRule>) -> Desired<'a> {
        let props = &res.props;
        let arn_parts = known_str(props, "arn").and_then(|a| Arn::parse(a).map(|p| (a, p)));
        let (arn, region, account, bucket) = match arn_parts {
            Some((text, parsed)) if is_bucket(&parsed) => {
                (Some(text), bucket_region(props, parsed.resource), None, true)
            }
            Some((text, parsed)) => {
                let nonempty = |s: &'a str| (!s.is_empty()).then_some(s);
                (Some(text), nonempty(parsed.region), nonempty(parsed.account), false)
            }
            None => (None, known_str(props, "region"), None, false),
        };
        Desired {
            res,
            rule,
            arn,
            id: known_str(props, "id"),
            region,
            account,
            bucket,
            guess_region: None,
            guess_account: None,
            tags: DeclaredTags::of(props),
            secret: SecretTags::of(res),
            props,
            origins: &[],
            orphan: None,
            stack: &[],
        }
    }

    /// The Tagging API type (`ec2:instance`, `s3`): the rule's, else the ARN's.
    pub(crate) fn tagging_type(&self) -> Option<String> {
        match (self.rule, self.arn) {
            (Some(rule), _) => Some(rule.tagging_type()),
            (None, Some(arn)) => classify(arn, "", "").map(|c| c.resource_type),
            (None, None) => None,
        }
    }

    /// Every type the resource goes by, for `type:` ignore rules: its own,
    /// the rule's Terraform and Pulumi types, and the Tagging API type.
    pub(crate) fn all_types(&self) -> Vec<Cow<'a, str>> {
        let mut types = vec![Cow::Borrowed(self.res.resource_type.as_str())];
        if let Some(rule) = self.rule {
            types.push(Cow::Borrowed(rule.terraform));
            types.extend(rule.pulumi.iter().map(|t| Cow::Borrowed(*t)));
        }
        types.extend(self.tagging_type().map(Cow::Owned));
        types.sort();
        types.dedup();
        types
    }

    /// The Terraform type compared as: the rule's (a split resource alone:
    /// its parent's), else its own.
    pub(crate) fn compared_type(&self) -> &str {
        self.rule.map_or(self.res.resource_type.as_str(), |r| r.terraform)
    }

    /// The report's view of this resource.
    pub(crate) fn state_ref(&self) -> StateRef {
        StateRef {
            address: self.res.address.clone(),
            resource_type: self.res.resource_type.clone(),
            source: self.res.source.clone(),
            arn: self.arn.map(str::to_string),
            id: if self.orphan.is_some() { known_str(&self.res.props, "id") } else { self.id }.map(str::to_string),
        }
    }

    /// Where the scan must have looked for it: its region and account,
    /// or, without an ARN, the guess from its state file where unknown.
    pub(crate) fn place(&self) -> (Option<&'a str>, Option<&'a str>) {
        match self.arn {
            Some(_) => (self.region, self.account),
            None => (self.region.or(self.guess_region), self.account.or(self.guess_account)),
        }
    }

    /// Where it lives ([`Desired::place`]), in words: `account A, region R`, `region R`, ...
    pub(crate) fn location(&self) -> String {
        let (region, account) = self.place();
        match (account, region) {
            (Some(a), Some(r)) => format!("account {a}, region {r}"),
            (Some(a), None) => format!("account {a}"),
            (None, Some(r)) => format!("region {r}"),
            (None, None) => "an unknown account and region".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use palisade_model::model::{Operation, UNKNOWN};
    use serde_json::json;

    use super::*;

    fn res(ty: &str, kind: ResourceKind, op: Operation, props: Value) -> Resource {
        Resource {
            address: format!("{ty}.x"),
            resource_type: ty.into(),
            name: "x".into(),
            provider: String::new(),
            kind,
            op,
            props,
            before: None,
            secret: Vec::new(),
            unset: Vec::new(),
            encrypted: Vec::new(),
            source: "s.tfstate".into(),
            partial: false,
        }
    }

    #[test]
    fn keeps_managed_aws_resources_that_will_exist() {
        let stack = Stack {
            source: "s.tfstate".into(),
            format: palisade_input::InputFormat::TfState,
            notes: Vec::new(),
            resources: vec![
                res("aws_instance", ResourceKind::Managed, Operation::NoOp, json!({})),
                res("aws:s3/bucket:Bucket", ResourceKind::Managed, Operation::NoOp, json!({})),
                res("aws_instance", ResourceKind::Managed, Operation::Delete, json!({})),
                res("aws_iam_policy_document", ResourceKind::Data, Operation::Read, json!({})),
                res("pulumi:providers:aws", ResourceKind::Provider, Operation::NoOp, json!({})),
                res("null_resource", ResourceKind::Managed, Operation::NoOp, json!({})),
                res("awsx:ec2:Vpc", ResourceKind::Component, Operation::NoOp, json!({})),
            ],
        };
        let prepared = prepare(std::slice::from_ref(&stack));
        let (desired, left_out) = collect(std::slice::from_ref(&stack), &prepared);
        assert_eq!(
            desired.iter().map(|d| d.res.resource_type.as_str()).collect::<Vec<_>>(),
            ["aws_instance", "aws:s3/bucket:Bucket"]
        );
        assert_eq!(left_out, LeftOut { not_managed: 4, not_aws: 1, folded: 0 });
    }

    #[test]
    fn place_from_the_pulumi_provider_or_the_state_file() {
        let m = |ty: &str, name: &str, kind, provider: &str, props| Resource {
            address: format!("urn:pulumi:dev::p::{ty}::{name}"),
            provider: provider.into(),
            ..res(ty, kind, Operation::NoOp, props)
        };
        let provider = "urn:pulumi:dev::p::pulumi:providers:aws::east::0b5e";
        let stack = Stack {
            source: "s.json".into(),
            format: palisade_input::InputFormat::PulumiExport,
            notes: Vec::new(),
            resources: vec![
                m("pulumi:providers:aws", "east", ResourceKind::Provider, "", json!({"region": "us-east-1"})),
                m(
                    "aws:ec2/vpc:Vpc",
                    "v",
                    ResourceKind::Managed,
                    "",
                    json!({"arn": "arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-1"}),
                ),
                m(
                    "aws:iam/role:Role",
                    "r",
                    ResourceKind::Managed,
                    "",
                    json!({"arn": "arn:aws:iam::123456789012:role/r"}),
                ),
                m("aws:ec2/eip:Eip", "a", ResourceKind::Managed, "", json!({"id": "eipalloc-1"})),
                m("aws:ec2/eip:Eip", "b", ResourceKind::Managed, provider, json!({"id": "eipalloc-2"})),
            ],
        };
        let prepared = prepare(std::slice::from_ref(&stack));
        let (desired, _) = collect(std::slice::from_ref(&stack), &prepared);
        let places: Vec<_> = desired.iter().map(|d| d.place()).collect();
        assert_eq!(
            places,
            [
                (Some("eu-west-1"), Some("123456789012")),
                (None, Some("123456789012")),
                (Some("eu-west-1"), Some("123456789012")),
                (Some("us-east-1"), Some("123456789012")),
            ]
        );
        assert_eq!((desired[2].region, desired[3].region), (None, Some("us-east-1")), "only the provider's is sure");
    }

    #[test]
    fn identity_from_arn_id_and_region() {
        let m = |ty, props| res(ty, ResourceKind::Managed, Operation::NoOp, props);
        let r = m(
            "aws_instance",
            json!({"arn": "arn:aws:ec2:eu-west-1:123456789012:instance/i-1", "id": "i-1", "region": "us-east-1"}),
        );
        let d = Desired::new(&r);
        assert_eq!(
            (d.arn.is_some(), d.id, d.region, d.account),
            (true, Some("i-1"), Some("eu-west-1"), Some("123456789012"))
        );
        assert_eq!(d.tagging_type().as_deref(), Some("ec2:instance"));
        let r = m("aws_s3_bucket", json!({"arn": "arn:aws:s3:::b", "id": "b", "region": "eu-west-1"}));
        let d = Desired::new(&r);
        assert_eq!((d.region, d.account, d.bucket), (Some("eu-west-1"), None, true), "a bucket has a region");
        let r = m("aws:ec2/natGateway:NatGateway", json!({"arn": UNKNOWN, "id": "nat-1", "region": "us-west-2"}));
        let d = Desired::new(&r);
        assert_eq!((d.arn, d.id, d.region), (None, Some("nat-1"), Some("us-west-2")));
        let r = m("aws_iam_role", json!({"arn": "arn:aws:iam::123456789012:role/r", "id": UNKNOWN}));
        let d = Desired::new(&r);
        // IAM roles are matched (the iam reader lists them), by ARN.
        assert_eq!(
            (d.rule.map(|r| r.terraform), d.id, d.tagging_type().as_deref()),
            (Some("aws_iam_role"), None, Some("iam:role"))
        );
        let r = m("aws_sqs_queue", json!({"arn": "not an arn"}));
        assert_eq!(Desired::new(&r).arn, None);
        let r = m("aws:ec2/instance:Instance", json!({}));
        let types = Desired::new(&r).all_types();
        assert_eq!(types, ["aws:ec2/instance:Instance", "aws_instance", "ec2:instance"]);
    }

    #[test]
    fn a_bucket_region_from_its_props_or_domain_name() {
        let bucket = |props| res("aws_s3_bucket", ResourceKind::Managed, Operation::NoOp, props);
        let cases = [
            (json!({"arn": "arn:aws:s3:::b", "region": "eu-west-1"}), Some("eu-west-1")),
            (
                json!({"arn": "arn:aws:s3:::my.logs", "bucket_regional_domain_name": "my.logs.s3.ap-south-1.amazonaws.com"}),
                Some("ap-south-1"),
            ),
            (
                json!({"arn": "arn:aws:s3:::b", "bucketRegionalDomainName": "b.s3.us-west-2.amazonaws.com"}),
                Some("us-west-2"),
            ),
            (
                json!({"arn": "arn:aws-cn:s3:::b", "bucket_regional_domain_name": "b.s3.cn-north-1.amazonaws.com.cn"}),
                Some("cn-north-1"),
            ),
            (
                json!({"arn": "arn:aws:s3:::b", "bucket_regional_domain_name": "b.s3-eu-west-3.amazonaws.com"}),
                Some("eu-west-3"),
            ),
            (
                json!({"arn": "arn:aws:s3:::b", "region": UNKNOWN, "bucket_regional_domain_name": "b.s3.eu-north-1.amazonaws.com"}),
                Some("eu-north-1"),
            ),
            // The global endpoint, another bucket's name, nothing at all: unknown.
            (json!({"arn": "arn:aws:s3:::b", "bucket_regional_domain_name": "b.s3.amazonaws.com"}), None),
            (json!({"arn": "arn:aws:s3:::b", "bucket_regional_domain_name": "c.s3.eu-west-1.amazonaws.com"}), None),
            (json!({"arn": "arn:aws:s3:::b", "bucket_domain_name": "b.s3.amazonaws.com"}), None),
        ];
        for (props, region) in cases {
            let r = bucket(props.clone());
            let d = Desired::new(&r);
            assert_eq!((d.bucket, d.region, d.account, d.place()), (true, region, None, (region, None)), "{props}");
        }
        // Objects and access points are not buckets.
        let r = bucket(json!({"arn": "arn:aws:s3:::b/key", "region": "eu-west-1"}));
        assert_eq!((Desired::new(&r).bucket, Desired::new(&r).region), (false, None));
        let r = bucket(json!({"arn": "arn:aws:s3:eu-west-1:123456789012:accesspoint/ap"}));
        assert_eq!((Desired::new(&r).bucket, Desired::new(&r).region), (false, Some("eu-west-1")));
    }

    #[test]
    fn a_pulumi_bucket_without_region_takes_its_providers() {
        let provider = "urn:pulumi:dev::p::pulumi:providers:aws::east";
        let m = |ty: &str, name: &str, kind, provider: &str, props| Resource {
            address: format!("urn:pulumi:dev::p::{ty}::{name}"),
            provider: provider.into(),
            ..res(ty, kind, Operation::NoOp, props)
        };
        let stack = Stack {
            source: "s.json".into(),
            format: palisade_input::InputFormat::PulumiExport,
            notes: Vec::new(),
            resources: vec![
                m("pulumi:providers:aws", "east", ResourceKind::Provider, "", json!({"region": "us-east-1"})),
                m(
                    "aws:s3/bucketV2:BucketV2",
                    "b",
                    ResourceKind::Managed,
                    &format!("{provider}::0b5e"),
                    json!({"arn": "arn:aws:s3:::b"}),
                ),
                m("aws:s3/bucketV2:BucketV2", "c", ResourceKind::Managed, "", json!({"arn": "arn:aws:s3:::c"})),
                m(
                    "aws:ec2/vpc:Vpc",
                    "v",
                    ResourceKind::Managed,
                    "",
                    json!({"arn": "arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-1"}),
                ),
                m("aws:ec2/eip:Eip", "a", ResourceKind::Managed, "", json!({"id": "eipalloc-1"})),
            ],
        };
        let prepared = prepare(std::slice::from_ref(&stack));
        let (desired, _) = collect(std::slice::from_ref(&stack), &prepared);
        let places: Vec<_> = desired.iter().map(|d| d.place()).collect();
        // The buckets' regions do not count as the state file's home.
        assert_eq!(
            places,
            [
                (Some("us-east-1"), None),
                (None, None),
                (Some("eu-west-1"), Some("123456789012")),
                (Some("eu-west-1"), Some("123456789012")),
            ]
        );
    }
}
