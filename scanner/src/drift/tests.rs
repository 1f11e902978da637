//! Scenarios: corpus states (`scanner/tests/data/`) against inventories
//! that mirror them, then altered one way at a time.

use palisade_model::inventory::{GLOBAL_SCOPE, Inventory, InventoryResource, ScanScope, ScopeStatus, TagFilter};

use super::testdata::{cloud, inventory, mirror, scope, stack};
use super::*;

const SUBNETS: &str = "tfstate/snyk__driftctl__aws_subnet.json";
const TOPIC_POLICY: &str = "tfstate/snyk__driftctl__aws_sns_topic_policy.json";
const LISTENER: &str = "tfstate/snyk__driftctl__aws_lb_listener.json";
const FOREACH: &str = "tfstate/opentofu__opentofu__v4-foreach.json";
const VPC: &str = "pulumi_stack_export/pulumi__pulumi-awsx__stack-export-vpc-subnets-with-tags.json";
const LB: &str = "pulumi_stack_export/pulumi__pulumi-awsx__stack-export-ts-lb-simple.json";
const CHECKPOINT: &str = "pulumi_stack_export/pulumi__pulumi__checkpoint-v3.json";
const HANDMADE: &str = "handmade/default-tags.tfstate.json";

/// The Pulumi test account and region of the pulumi-awsx exports.
const ACCOUNT: &str = "616138583583";
const REGION: &str = "us-west-2";

/// A state resource as tests name it: the Terraform address, or the Pulumi
/// type and name (URN names repeat across types).
fn label(s: &StateRef) -> String {
    match s.address.rsplit_once("::") {
        Some((_, name)) if s.address.starts_with("urn:") => format!("{} {name}", s.resource_type),
        _ => s.address.clone(),
    }
}

/// What a report found, in short.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    missing: Vec<String>,
    unmanaged: Vec<String>,
    changed: Vec<(String, Vec<(String, TagChangeKind)>)>,
    not_checked: Vec<(String, NotCheckedReason)>,
}

fn outcome(r: &DriftReport) -> Outcome {
    Outcome {
        missing: r.missing.iter().map(label).collect(),
        unmanaged: r.unmanaged.iter().map(|c| c.arn.clone()).collect(),
        changed: r
            .changed
            .iter()
            .map(|c| (label(&c.state), c.tags.iter().map(|t| (t.key.clone(), t.kind)).collect()))
            .collect(),
        not_checked: r.not_checked.iter().map(|n| (label(&n.state), n.reason)).collect(),
    }
}

fn nonzero(r: &DriftReport) -> Vec<(NotCheckedReason, usize)> {
    r.summary.not_checked_by_reason.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (*k, *n)).collect()
}

fn text(r: &DriftReport) -> String {
    let mut out = Vec::new();
    render_text(r, &mut out).expect("writes to a Vec");
    String::from_utf8(out).expect("UTF-8")
}

fn vpc_inventory() -> (Vec<Stack>, Inventory) {
    let stacks = vec![stack(VPC)];
    let inv = inventory(vec![scope(ACCOUNT, REGION)], mirror(&stacks, REGION, ACCOUNT, false));
    (stacks, inv)
}

fn arn_containing<'i>(inv: &'i mut Inventory, part: &str) -> &'i mut InventoryResource {
    inv.resources.iter_mut().find(|r| r.arn.contains(part)).unwrap_or_else(|| panic!("no ARN with {part}"))
}

const UNSUPPORTED: NotCheckedReason = NotCheckedReason::UnsupportedType;
const UNTAGGED: NotCheckedReason = NotCheckedReason::Untagged;

#[test]
fn mirrored_corpus_states_have_no_drift() {
    use NotCheckedReason::*;
    // (file, region, account, whether the cloud lists untagged resources,
    //  (state resources, cloud resources, matched pairs), not checked, left out)
    type Case<'c> =
        (&'c str, &'c str, &'c str, bool, (usize, usize, usize), &'c [(NotCheckedReason, usize)], (usize, usize));
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        (SUBNETS, "us-east-1", "526954929923", true, (6, 6, 6), &[], (0, 0)),
        (SUBNETS, "us-east-1", "526954929923", false, (6, 0, 0), &[(UnsupportedType, 3), (Untagged, 3)], (0, 0)),
        // aws_sns_topic_policy has no rule; its `arn` is the topic's, matched by ARN.
        (TOPIC_POLICY, "us-east-1", "526954929923", true, (2, 2, 2), &[], (1, 0)),
        (TOPIC_POLICY, "us-east-1", "526954929923", false, (2, 0, 0), &[(UnsupportedType, 2)], (1, 0)),
        (LISTENER, "us-east-1", "533948124879", true, (6, 6, 6), &[], (1, 0)),
        (LISTENER, "us-east-1", "533948124879", false, (6, 0, 0), &[(Untagged, 6)], (1, 0)),
        (FOREACH, "us-east-1", "533948124879", true, (0, 0, 0), &[], (0, 1)),
        // NAT gateways and EIPs have no `arn` output: matched by id.
        (VPC, REGION, ACCOUNT, true, (32, 20, 20), &[(UnsupportedType, 12)], (5, 0)),
        (VPC, REGION, ACCOUNT, false, (32, 17, 17), &[(UnsupportedType, 12), (Untagged, 3)], (5, 0)),
        // A task definition and a policy attachment: not checked; IAM roles
        // are matched when listed (by the iam reader), else not checked.
        // Its role policy attachment is folded into its role.
        (LB, REGION, ACCOUNT, true, (25, 18, 18), &[(UnsupportedType, 7)], (8, 0)),
        (LB, REGION, ACCOUNT, false, (25, 8, 8), &[(UnsupportedType, 9), (Untagged, 8)], (8, 0)),
        // Log group ARNs with `:*`; an event target whose `arn` is its function's.
        // Its five role policy attachments are folded into their roles.
        (CHECKPOINT, "us-east-2", "153052954103", true, (18, 10, 11), &[(UnsupportedType, 7)], (7, 0)),
        (CHECKPOINT, "us-east-2", "153052954103", false, (18, 0, 0), &[(UnsupportedType, 11), (Untagged, 7)], (7, 0)),
        // tags_all carries a provider default tag; the SQS queue has no ARN.
        (HANDMADE, "eu-west-1", "123456789012", true, (5, 5, 5), &[], (0, 0)),
    ];
    for &(file, region, account, untagged, (states, clouds, pairs), not_checked, (not_managed, not_aws)) in cases {
        let stacks = [stack(file)];
        let inv = inventory(vec![scope(account, region)], mirror(&stacks, region, account, untagged));
        let report = analyze(&stacks, &inv, &IgnoreRules::empty());
        let s = &report.summary;
        let case = format!("{file} (untagged listed: {untagged})");
        assert_eq!(outcome(&report).missing, Vec::<String>::new(), "{case}");
        assert!(report.unmanaged.is_empty() && report.changed.is_empty() && !s.drifted, "{case}");
        assert!(report.complete && report.incomplete_scopes.is_empty(), "{case}");
        assert_eq!((s.state_resources, s.cloud_resources, s.in_sync), (states, clouds, pairs), "{case}");
        assert_eq!(nonzero(&report), not_checked, "{case}");
        let folded = match file {
            LB => 1,
            CHECKPOINT => 5,
            _ => 0,
        };
        assert_eq!(s.left_out, LeftOut { not_managed, not_aws, folded }, "{case}");
        assert_eq!(s.managed, clouds, "{case}");
        // An event target whose `arn` is its function's refers to it, not claims it.
        assert!(report.duplicate_claims.is_empty(), "{case}: {:#?}", report.duplicate_claims);
        let percent = (clouds > 0).then_some(100.0);
        assert_eq!(s.coverage, Coverage { managed: clouds, unmanaged: 0, percent }, "{case}");
        assert!(s.coverage_by_service.values().all(|c| c.percent == Some(100.0)), "{case}");
    }
}

/// `mutate` applied to the mirror of the Pulumi VPC export: the report
/// finds `expected` (the untagged EIPs added to its not checked; routes
/// and associations, with neither rule nor ARN, left out of the outcome),
/// says drift exactly when `expected` has some, and its headline ends with
/// `coverage`.
fn assert_vpc_drift(name: &str, mutate: impl FnOnce(&mut Inventory), mut expected: Outcome, coverage: &str) {
    let eips =
        ["awsx-nodejs-subnets-with-tags-1", "awsx-nodejs-subnets-with-tags-2", "awsx-nodejs-subnets-with-tags-3"]
            .map(|n| (format!("aws:ec2/eip:Eip {n}"), UNTAGGED));
    let (stacks, mut inv) = vpc_inventory();
    mutate(&mut inv);
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    let mut got = outcome(&report);
    // Routes and route table associations have neither rule nor ARN.
    got.not_checked.retain(|(_, reason)| *reason != UNSUPPORTED);
    expected.not_checked.extend(eips);
    assert_eq!(got, expected, "{name}");
    let drifted = !(expected.missing.is_empty() && expected.unmanaged.is_empty() && expected.changed.is_empty());
    assert_eq!(report.summary.drifted, drifted, "{name}");
    let headline = text(&report).lines().next().unwrap_or_default().to_string();
    assert!(headline.ends_with(&format!("; coverage {coverage}")), "{name}: {headline}");
}

#[test]
fn a_pulumi_vpc_in_sync_has_no_drift() {
    assert_vpc_drift("in sync", |_| {}, Outcome::default(), "100.0% (17 of 17)");
    assert_vpc_drift(
        "CloudFormation's aws: tags everywhere",
        |inv| {
            for r in &mut inv.resources {
                r.tags.insert("aws:cloudformation:stack-name".into(), "imported".into());
                r.tags.insert("AWS:CloudFormation:logical-id".into(), "Res".into());
            }
        },
        Outcome::default(),
        "100.0% (17 of 17)",
    );
}

#[test]
fn deleted_resources_of_a_pulumi_vpc_are_missing() {
    let subnet = "aws:ec2/subnet:Subnet awsx-nodejs-subnets-with-tags-public-1";
    let nat = "aws:ec2/natGateway:NatGateway awsx-nodejs-subnets-with-tags-1";
    assert_vpc_drift(
        "a subnet deleted",
        |inv| inv.resources.retain(|r| !r.arn.ends_with("subnet-0b8ee6b33b730a471")),
        Outcome { missing: vec![subnet.into()], ..Outcome::default() },
        "100.0% (16 of 16)",
    );
    assert_vpc_drift(
        "a NAT gateway (matched by id) deleted",
        |inv| inv.resources.retain(|r| !r.arn.ends_with("nat-02996c4673053c0f9")),
        Outcome { missing: vec![nat.into()], ..Outcome::default() },
        "100.0% (16 of 16)",
    );
}

#[test]
fn resources_created_beside_a_pulumi_vpc_are_unmanaged() {
    let hand_made = "arn:aws:ec2:us-west-2:616138583583:instance/i-0123456789abcdef0";
    assert_vpc_drift(
        "an instance created by hand",
        |inv| inv.resources.push(cloud(hand_made, "", "", &[("Name", "debug")])),
        Outcome { unmanaged: vec![hand_made.into()], ..Outcome::default() },
        "94.4% (17 of 18)",
    );
    assert_vpc_drift(
        "the same NAT gateway id in another region",
        |inv| {
            let mut twin = arn_containing(inv, "nat-02996c4673053c0f9").clone();
            twin.arn = twin.arn.replace("us-west-2", "eu-west-1");
            twin.region = "eu-west-1".into();
            inv.resources.push(twin);
            inv.scopes.push(scope(ACCOUNT, "eu-west-1"));
        },
        // The state file's other resources are in us-west-2: that picks
        // one; the other is another resource.
        Outcome {
            unmanaged: vec!["arn:aws:ec2:eu-west-1:616138583583:natgateway/nat-02996c4673053c0f9".into()],
            ..Outcome::default()
        },
        "94.4% (17 of 18)",
    );
}

#[test]
fn tags_edited_on_a_pulumi_vpc_are_changed() {
    let vpc = "aws:ec2/vpc:Vpc awsx-nodejs-subnets-with-tags";
    assert_vpc_drift(
        "tags edited on the VPC",
        |inv| {
            let tags = &mut arn_containing(inv, ":vpc/").tags;
            tags.insert("Name".into(), "renamed".into());
            tags.remove("isoverridden");
            tags.insert("Owner".into(), "ops".into());
        },
        Outcome {
            changed: vec![(
                vpc.into(),
                vec![
                    ("Name".into(), TagChangeKind::Changed),
                    ("Owner".into(), TagChangeKind::Added),
                    ("isoverridden".into(), TagChangeKind::Removed),
                ],
            )],
            ..Outcome::default()
        },
        "100.0% (17 of 17)",
    );
}

#[test]
fn several_candidates_for_an_id_are_ambiguous() {
    // A NAT gateway has no ARN output; without a state file region to go
    // by, two cloud resources with its id cannot be told apart.
    let mut vpc = stack(VPC);
    vpc.resources.retain(|r| r.resource_type == "aws:ec2/natGateway:NatGateway");
    let stacks = [vpc];
    let mut inv =
        inventory(vec![scope(ACCOUNT, REGION), scope(ACCOUNT, "eu-west-1")], mirror(&stacks, REGION, ACCOUNT, false));
    let mut twin = arn_containing(&mut inv, "nat-02996c4673053c0f9").clone();
    twin.arn = twin.arn.replace("us-west-2", "eu-west-1");
    twin.region = "eu-west-1".into();
    inv.resources.push(twin);
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    let ambiguous: Vec<&NotChecked> = report.not_checked.iter().collect();
    assert_eq!(ambiguous.len(), 1, "{:#?}", report.not_checked);
    assert_eq!(ambiguous[0].reason, NotCheckedReason::Ambiguous);
    assert_eq!(ambiguous[0].detail, "ambiguous: 2 cloud resources have id nat-02996c4673053c0f9");
    assert_eq!(
        ambiguous[0].candidates,
        [
            "arn:aws:ec2:eu-west-1:616138583583:natgateway/nat-02996c4673053c0f9",
            "arn:aws:ec2:us-west-2:616138583583:natgateway/nat-02996c4673053c0f9"
        ]
    );
    // The candidates are neither unmanaged nor counted in coverage.
    assert!(report.unmanaged.is_empty());
    assert_eq!((report.summary.managed, report.summary.in_sync), (2, 2));
    assert!(!report.summary.drifted);
}

#[test]
fn resources_outside_the_scan_are_not_checked() {
    let stacks = [stack(VPC)];
    // Only us-east-1 was scanned; the VPC lives in us-west-2.
    let inv = inventory(vec![scope(ACCOUNT, "us-east-1")], Vec::new());
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(nonzero(&report), [(NotCheckedReason::OutsideScan, 20), (UNSUPPORTED, 12)]);
    assert!(report.missing.is_empty() && !report.summary.drifted);
    assert_eq!(report.summary.coverage.percent, None);
    let nat = report.not_checked.iter().find(|n| n.state.resource_type.contains("natGateway")).expect("a NAT gateway");
    assert_eq!(nat.detail, "outside the scan: no scanned scope covers account 616138583583, region us-west-2");
    // Another account, same region: outside too.
    let inv = inventory(vec![scope("111122223333", REGION)], Vec::new());
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(report.summary.not_checked_by_reason[&NotCheckedReason::OutsideScan], 20);
    // Nothing scanned at all.
    let report = analyze(&stacks, &inventory(Vec::new(), Vec::new()), &IgnoreRules::empty());
    assert_eq!(report.summary.not_checked_by_reason[&NotCheckedReason::OutsideScan], 20);
}

#[test]
fn resources_outside_the_filters_are_not_checked() {
    let (stacks, mut inv) = vpc_inventory();
    inv.filters.resource_types = vec!["ec2:subnet".into()];
    inv.resources.retain(|r| r.resource_type == "ec2:subnet");
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    // VPC, internet gateway, 6 route tables, 3 NAT gateways, 3 EIPs.
    assert_eq!(nonzero(&report), [(NotCheckedReason::OutsideFilters, 14), (UNSUPPORTED, 12)]);
    assert!(!report.summary.drifted);
    // A tag filter the state's tags do not pass: only public subnets were looked for.
    let (stacks, mut inv) = vpc_inventory();
    inv.filters.tags = vec![TagFilter { key: "SubnetType".into(), values: vec!["Public".into()] }];
    inv.resources.retain(|r| r.tags.get("SubnetType").is_some_and(|v| v == "Public"));
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(report.summary.not_checked_by_reason[&NotCheckedReason::OutsideFilters], 14);
    assert!(report.missing.is_empty());
}

#[test]
fn an_incomplete_scan_is_never_clean() {
    let (stacks, mut inv) = vpc_inventory();
    inv.scopes[0].status = ScopeStatus::Incomplete;
    inv.scopes[0].error = Some("ThrottlingException: Rate exceeded".into());
    inv.resources.retain(|r| !r.arn.ends_with("subnet-0b8ee6b33b730a471") && !r.arn.contains("nat-02996c4673053c0f9"));
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert!(!report.complete);
    assert_eq!(
        report.incomplete_scopes,
        [IncompleteScope {
            account: ACCOUNT.into(),
            region: REGION.into(),
            error: Some("ThrottlingException: Rate exceeded".into())
        }]
    );
    assert!(report.missing.is_empty(), "{:?}", report.missing);
    // The two absent resources and the untagged EIPs: their scope did not complete.
    assert_eq!(nonzero(&report), [(NotCheckedReason::ScanIncomplete, 5), (UNSUPPORTED, 12)]);
    let subnet = report.not_checked.iter().find(|n| n.state.arn.as_deref().is_some_and(|a| a.ends_with("a471")));
    assert_eq!(
        subnet.map(|n| n.detail.as_str()),
        Some("the scan of 616138583583/us-west-2 did not complete: ThrottlingException: Rate exceeded")
    );
    let text = text(&report);
    assert!(text.starts_with("INCOMPLETE SCAN: 1 scope did not finish; this result cannot be trusted as \"no drift\".\n  616138583583 us-west-2: ThrottlingException: Rate exceeded\n"), "{text}");
    assert!(
        text.contains(
            "\nno drift found in what was scanned: 0 missing, 0 unmanaged, 0 changed; coverage 100.0% (15 of 15)\n"
        ),
        "{text}"
    );
}

#[test]
fn global_resources_need_every_scope_of_their_account() {
    // The IAM role has no region: any incomplete scope of its account may
    // have been the one to list it. The S3 bucket lives in eu-west-1, whose
    // scan completed: only its region's scope counts.
    let stacks = [stack(HANDMADE)];
    let mut scopes = vec![scope("123456789012", "eu-west-1"), scope("123456789012", "us-east-1")];
    scopes[1].status = ScopeStatus::Incomplete;
    let mut cloud = mirror(&stacks, "eu-west-1", "123456789012", false);
    cloud.retain(|r| r.service != "iam");
    let mut inv = inventory(scopes.clone(), cloud);
    // The IAM reader ran (in the account's global scope, which completed).
    let mut global = scope("123456789012", "global");
    global.types.insert("aws_iam_role".into(), Default::default());
    inv.scopes.push(global);
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    let got: Vec<(String, NotCheckedReason)> = outcome(&report).not_checked;
    assert_eq!(
        got,
        [
            ("aws_iam_role.app".to_string(), NotCheckedReason::ScanIncomplete),
            ("aws_s3_bucket.logs".to_string(), UNTAGGED)
        ]
    );
    assert_eq!(report.summary.in_sync, 3);
    // The bucket's own region did not complete.
    scopes[0].status = ScopeStatus::Incomplete;
    scopes[1].status = ScopeStatus::Complete;
    let inv = inventory(scopes, mirror(&stacks, "eu-west-1", "123456789012", false));
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    let bucket = report.not_checked.iter().find(|n| n.state.address == "aws_s3_bucket.logs").expect("not checked");
    assert_eq!(bucket.reason, NotCheckedReason::ScanIncomplete);
}

/// A Terraform state named `source` of `resources`: (type, name, attributes).
fn tf_stack(source: &str, resources: &[(&str, &str, serde_json::Value)]) -> Stack {
    let resources: Vec<serde_json::Value> = resources
        .iter()
        .map(|(ty, name, attributes)| {
            serde_json::json!({
                "mode": "managed", "type": ty, "name": name,
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{"schema_version": 0, "attributes": attributes, "sensitive_attributes": []}]
            })
        })
        .collect();
    let state = serde_json::json!({
        "version": 4, "terraform_version": "1.9.5", "serial": 1, "lineage": "l", "outputs": {}, "resources": resources
    });
    let bytes = serde_json::to_vec(&state).expect("JSON");
    palisade_input::read_input(source, &bytes, None).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn buckets_outside_the_scanned_regions_are_not_checked() {
    let bucket = |name: &str, extra: serde_json::Value| {
        let mut attributes = serde_json::json!({
            "id": name, "arn": format!("arn:aws:s3:::{name}"), "bucket": name,
            "tags": {"env": "prod"}, "tags_all": {"env": "prod"}
        });
        if let (Some(a), Some(e)) = (attributes.as_object_mut(), extra.as_object()) {
            a.extend(e.clone());
        }
        ("aws_s3_bucket", name.to_string(), attributes)
    };
    let buckets = [
        bucket("in-eu", serde_json::json!({"region": "eu-west-1"})),
        bucket(
            "in-eu-by-domain",
            serde_json::json!({"bucket_regional_domain_name": "in-eu-by-domain.s3.eu-west-1.amazonaws.com"}),
        ),
        bucket("somewhere", serde_json::json!({})),
        bucket("in-us", serde_json::json!({"region": "us-east-1"})),
        bucket("in-eu-but-listed", serde_json::json!({"region": "eu-west-1"})),
    ];
    let resources: Vec<(&str, &str, serde_json::Value)> =
        buckets.iter().map(|(ty, name, a)| (*ty, name.as_str(), a.clone())).collect();
    let stacks = [tf_stack("buckets.tfstate", &resources)];
    // Only us-east-1 was scanned; it listed one eu-west-1 bucket (as some endpoints do).
    let listed = cloud("arn:aws:s3:::in-eu-but-listed", "us-east-1", ACCOUNT, &[("env", "prod")]);
    let inv = inventory(vec![scope(ACCOUNT, "us-east-1")], vec![listed]);
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(
        outcome(&report),
        Outcome {
            missing: vec!["aws_s3_bucket.in-us".into()],
            not_checked: vec![
                ("aws_s3_bucket.in-eu".into(), NotCheckedReason::OutsideScan),
                ("aws_s3_bucket.in-eu-by-domain".into(), NotCheckedReason::OutsideScan),
                ("aws_s3_bucket.somewhere".into(), NotCheckedReason::OutsideScan),
            ],
            ..Outcome::default()
        }
    );
    let details: Vec<&str> = report.not_checked.iter().map(|n| n.detail.as_str()).collect();
    assert_eq!(
        details,
        [
            "outside the scan: no scanned scope covers region eu-west-1",
            "outside the scan: no scanned scope covers region eu-west-1",
            "outside the scan: its region is unknown (the state has no region or bucket_regional_domain_name) and \
             the scan is not known to cover every region",
        ]
    );
    assert_eq!(report.summary.in_sync, 1);
    // Scanning eu-west-1 too, in two accounts: a bucket's account is
    // unknown, and any scanned account covers it.
    let scopes = vec![scope(ACCOUNT, "us-east-1"), scope("111122223333", "eu-west-1")];
    let report = analyze(&stacks, &inventory(scopes, Vec::new()), &IgnoreRules::empty());
    assert_eq!(
        outcome(&report).missing,
        [
            "aws_s3_bucket.in-eu",
            "aws_s3_bucket.in-eu-but-listed",
            "aws_s3_bucket.in-eu-by-domain",
            "aws_s3_bucket.in-us"
        ]
    );
    assert_eq!(outcome(&report).not_checked, [("aws_s3_bucket.somewhere".to_string(), NotCheckedReason::OutsideScan)]);
}

#[test]
fn a_tag_filtered_scan_never_reports_missing() {
    // The state says env=prod; the cloud now says env=staging, so a scan
    // filtered on env=prod did not list it, though it exists.
    let instance = serde_json::json!({
        "id": "i-1", "arn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-1"),
        "tags": {"env": "prod"}, "tags_all": {"env": "prod"}
    });
    let queue = serde_json::json!({
        "id": format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/jobs"), "tags": {"env": "dev"}, "tags_all": {"env": "dev"}
    });
    let stacks = [tf_stack("app.tfstate", &[("aws_instance", "web", instance), ("aws_sqs_queue", "jobs", queue)])];
    let mut inv = inventory(vec![scope(ACCOUNT, REGION)], Vec::new());
    inv.filters.tags = vec![
        TagFilter { key: "env".into(), values: vec!["prod".into()] },
        TagFilter { key: "team".into(), values: vec![] },
    ];
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert!(report.missing.is_empty() && !report.summary.drifted, "{:?}", report.missing);
    assert_eq!(nonzero(&report), [(NotCheckedReason::OutsideFilters, 2)]);
    let detail = "outside the scan's filters: the scan looked only for tags env=prod, team, and a tag-filtered scan \
                  cannot prove a resource absent (its tags may have changed)";
    assert!(report.not_checked.iter().all(|n| n.detail == detail), "{:#?}", report.not_checked);
    // A resource type filter: types do not change, so absent is missing.
    let mut inv = inventory(vec![scope(ACCOUNT, REGION)], Vec::new());
    inv.filters.resource_types = vec!["ec2".into()];
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(outcome(&report).missing, ["aws_instance.web"]);
    assert_eq!(
        report.not_checked.iter().map(|n| (n.reason, n.detail.as_str())).collect::<Vec<_>>(),
        [(NotCheckedReason::OutsideFilters, "outside the scan's filters: type sqs was not looked for")]
    );
}

#[test]
fn resources_claimed_by_several_states_are_listed() {
    // The same state file given twice under two names.
    let mut copy = stack(HANDMADE);
    copy.source = "copy.tfstate".into();
    copy.resources.iter_mut().for_each(|r| r.source = "copy.tfstate".into());
    let twice = [stack(HANDMADE), copy];
    let inv =
        inventory(vec![scope("123456789012", "eu-west-1")], mirror(&twice[..1], "eu-west-1", "123456789012", true));
    let report = analyze(&twice, &inv, &IgnoreRules::empty());
    let claims: Vec<(&str, Vec<(&str, &str)>)> = report
        .duplicate_claims
        .iter()
        .map(|d| (d.arn.as_str(), d.states.iter().map(|s| (s.address.as_str(), s.source.as_str())).collect()))
        .collect();
    assert_eq!(
        claims,
        [
            (
                "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc",
                vec![("aws_instance.web", "copy.tfstate"), ("aws_instance.web", HANDMADE)]
            ),
            (
                "arn:aws:iam::123456789012:role/app",
                vec![("aws_iam_role.app", "copy.tfstate"), ("aws_iam_role.app", HANDMADE)]
            ),
            ("arn:aws:s3:::acme-logs", vec![("aws_s3_bucket.logs", "copy.tfstate"), ("aws_s3_bucket.logs", HANDMADE)]),
            (
                "arn:aws:sqs:eu-west-1:123456789012:jobs",
                vec![("aws_sqs_queue.jobs", "copy.tfstate"), ("aws_sqs_queue.jobs", HANDMADE)]
            ),
            (
                "arn:aws:ssm:eu-west-1:123456789012:parameter/app/token",
                vec![("aws_ssm_parameter.token", "copy.tfstate"), ("aws_ssm_parameter.token", HANDMADE)]
            ),
        ]
    );
    assert_eq!(report.summary.duplicate_claims, 5);
    assert_eq!((report.summary.in_sync, report.summary.managed), (10, 5), "matching stays as is");
    let shown = text(&report);
    assert!(
        shown.contains(
            "\nClaimed by several states (each claim counted on its own; managed twice?): 5\n  \
             arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc\n    aws_instance.web (aws_instance) in copy.tfstate \
             arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc\n    aws_instance.web (aws_instance) in \
             handmade/default-tags.tfstate.json arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc\n"
        ),
        "{shown}"
    );
    assert_valid(&report, "duplicate claims");
    // One queue, by ARN from one state and by id from another; an ignored
    // claim does not count.
    let by_arn = serde_json::json!({"arn": "arn:aws:sqs:eu-west-1:123456789012:jobs", "id": "x", "tags": {}});
    let other = [tf_stack("arn.tfstate", &[("aws_sqs_queue", "by_arn", by_arn.clone())]), stack(HANDMADE)];
    let report = analyze(&other, &inv, &IgnoreRules::empty());
    let claims: Vec<(&str, Vec<String>)> = report
        .duplicate_claims
        .iter()
        .map(|d| (d.arn.as_str(), d.states.iter().map(|s| s.address.clone()).collect()))
        .collect();
    assert_eq!(
        claims,
        [(
            "arn:aws:sqs:eu-west-1:123456789012:jobs",
            vec!["aws_sqs_queue.by_arn".to_string(), "aws_sqs_queue.jobs".to_string()]
        )]
    );
    let other = [tf_stack("arn.tfstate", &[("aws_sqs_queue", "by_arn", by_arn)]), stack(HANDMADE)];
    let ignore = IgnoreRules::parse(IGNORE_FILE_NAME, "tag:team=payments").expect("valid");
    assert!(analyze(&other, &inv, &ignore).duplicate_claims.is_empty());
    // A resource of another type whose `arn` is the queue's refers to it.
    let policy = serde_json::json!({"arn": "arn:aws:sqs:eu-west-1:123456789012:jobs", "id": "p"});
    let other = [tf_stack("policy.tfstate", &[("aws_sqs_queue_policy", "p", policy)]), stack(HANDMADE)];
    let report = analyze(&other, &inv, &IgnoreRules::empty());
    assert!(report.duplicate_claims.is_empty(), "{:#?}", report.duplicate_claims);
    assert!(!text(&report).contains("Claimed by several states"));
}

#[test]
fn coverage_says_when_every_cloud_resource_was_ignored() {
    let resources = vec![
        cloud("arn:aws:s3:::logs-1", REGION, ACCOUNT, &[("k", "v")]),
        cloud("arn:aws:s3:::logs-2", REGION, ACCOUNT, &[("k", "v")]),
    ];
    let inv = inventory(vec![scope(ACCOUNT, REGION)], resources);
    let ignore = IgnoreRules::parse(IGNORE_FILE_NAME, "arn:aws:s3:::logs-*").expect("valid");
    let report = analyze(&[], &inv, &ignore);
    assert_eq!(report.summary.coverage.percent, None);
    let shown = text(&report);
    assert!(
        shown.starts_with(
            "no drift: 0 missing, 0 unmanaged, 0 changed; coverage n/a (no cloud resources counted: 2 ignored)\n"
        ),
        "{shown}"
    );
    // One ignored, two held by an ambiguous match (a NAT gateway's id in two regions).
    let mut vpc = stack(VPC);
    vpc.resources.retain(|r| r.resource_type == "aws:ec2/natGateway:NatGateway");
    let stacks = [vpc];
    let mut resources = mirror(&stacks, REGION, ACCOUNT, false);
    resources.retain(|r| r.arn.contains("nat-02996c4673053c0f9"));
    let mut twin = resources[0].clone();
    twin.arn = twin.arn.replace(REGION, "eu-west-1");
    twin.region = "eu-west-1".into();
    resources.extend([twin, cloud("arn:aws:s3:::logs-1", REGION, ACCOUNT, &[("k", "v")])]);
    let inv = inventory(vec![scope(ACCOUNT, REGION), scope(ACCOUNT, "eu-west-1")], resources);
    let report = analyze(&stacks, &inv, &ignore);
    let headline = text(&report).lines().next().unwrap_or_default().to_string();
    assert!(
        headline.ends_with("coverage n/a (no cloud resources counted: 1 ignored, 2 candidates of ambiguous matches)"),
        "{headline}"
    );
}

#[test]
fn a_run_that_checked_nothing_says_so() {
    // Every state resource outside the scan.
    let stacks = [stack(VPC)];
    let report = analyze(&stacks, &inventory(vec![scope(ACCOUNT, "us-east-1")], Vec::new()), &IgnoreRules::empty());
    assert!(report.summary.nothing_checked && !report.summary.drifted);
    let text_of = text(&report);
    assert!(
        text_of.starts_with(
            "no drift found, but nothing was checked: 0 missing, 0 unmanaged, 0 changed; coverage n/a (no cloud \
             resources)\nNOTHING CHECKED: none of the 32 state resources was compared with the cloud (see Not checked \
             and Ignored).\n"
        ),
        "{text_of}"
    );
    assert_valid(&report, "nothing checked");
    // No scope at all, and no state.
    let report = analyze(&[], &inventory(Vec::new(), Vec::new()), &IgnoreRules::empty());
    assert!(report.summary.nothing_checked);
    assert!(text(&report).contains("\nNOTHING CHECKED: the inventory scanned no account or region.\n"));
    let mut json = Vec::new();
    render_json(&report, &mut json).expect("writes");
    let value: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
    assert_eq!(value["summary"]["nothing_checked"], serde_json::json!(true));
    // Something compared: a missing subnet is a check.
    let (stacks, mut inv) = vpc_inventory();
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert!(!report.summary.nothing_checked);
    assert!(!text(&report).contains("nothing was checked"));
    inv.resources.clear();
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert!(!report.summary.nothing_checked && report.summary.drifted);
    // No state, a scanned scope: the cloud side was checked.
    let report = analyze(&[], &inventory(vec![scope(ACCOUNT, REGION)], Vec::new()), &IgnoreRules::empty());
    assert!(!report.summary.nothing_checked);
}

#[test]
fn default_tags_secrets_and_ids_in_a_handmade_snapshot() {
    let bytes =
        std::fs::read(format!("{}/tests/data/inventory/default-tags.inventory.json", env!("CARGO_MANIFEST_DIR")))
            .expect("snapshot");
    let inv = palisade_input::read_inventory("default-tags.inventory.json", &bytes).expect("valid snapshot");
    let stacks = [stack(HANDMADE)];
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(
        outcome(&report),
        Outcome {
            unmanaged: vec!["arn:aws:ec2:eu-west-1:123456789012:instance/i-0def".into()],
            changed: vec![("aws_ssm_parameter.token".into(), vec![("rotation-ref".into(), TagChangeKind::Changed)])],
            // A version 1 snapshot holds no configuration: the instance's
            // `instance_type` cannot be compared, so it is not in sync.
            not_checked: vec![
                ("aws_iam_role.app".into(), UNSUPPORTED),
                ("aws_instance.web".into(), NotCheckedReason::Unreadable),
                ("aws_s3_bucket.logs".into(), UNTAGGED),
            ],
            ..Outcome::default()
        }
    );
    // The queue matched by its URL id; the instance's tags agree (its
    // ManagedBy tag is a provider default, its aws:cloudformation tag
    // reserved), but its attributes were not read.
    assert_eq!(report.summary.in_sync, 1);
    let change = &report.changed[0];
    assert_eq!((change.tags[0].desired.as_deref(), change.tags[0].actual.as_deref()), (Some(REDACTED), Some(REDACTED)));
    assert_eq!(change.cloud.tags.get("rotation-ref").map(String::as_str), Some(REDACTED));
    assert_eq!(change.matched_by, MatchedBy::Arn);
    let text = text(&report);
    assert!(text.starts_with("drift: 0 missing, 1 unmanaged, 1 changed; coverage 75.0% (3 of 4)\n"), "{text}");
    assert!(text.contains("    tag changed rotation-ref: \"[secret]\" -> \"[secret]\"\n"), "{text}");
    assert!(!text.contains("9f8e7d6c5b4a") && !text.contains("1a2b3c4d5e6f"), "{text}");
    assert!(text.contains("Name=hand-made\\u{1b}[2J"), "control characters are escaped: {text}");
    let mut json = Vec::new();
    render_json(&report, &mut json).expect("writes");
    let json = String::from_utf8(json).expect("UTF-8");
    assert!(!json.contains("9f8e7d6c5b4a") && !json.contains("1a2b3c4d5e6f"));
}

#[test]
fn the_queue_without_arn_matches_by_id() {
    let stacks = [stack(HANDMADE)];
    let mut inv =
        inventory(vec![scope("123456789012", "eu-west-1")], mirror(&stacks, "eu-west-1", "123456789012", false));
    // The Tagging API's id of a queue may use another endpoint host.
    let queue = arn_containing(&mut inv, ":sqs:");
    queue.id = Some("https://eu-west-1.queue.amazonaws.com/123456789012/jobs".into());
    queue.tags.insert("team".into(), "billing".into());
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(report.changed.len(), 1);
    assert_eq!(report.changed[0].matched_by, MatchedBy::Id);
    assert_eq!(report.changed[0].state.id.as_deref(), Some("https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"));
    assert_eq!(report.changed[0].tags[0].desired.as_deref(), Some("payments"));
    assert_eq!(report.changed[0].tags[0].actual.as_deref(), Some("billing"));
    let text = text(&report);
    assert!(text.contains("\n    cloud: arn:aws:sqs:eu-west-1:123456789012:jobs (matched by id)\n"), "{text}");
    assert!(text.contains("\n    tag changed team: \"payments\" -> \"billing\"\n"), "{text}");
}

#[test]
fn resources_not_created_yet_have_no_identity() {
    use palisade_model::model::{Operation, ResourceKind, UNKNOWN};
    // A plan's new resources: ARN and id known only after apply.
    let planned = |ty: &str, name: &str| palisade_model::model::Resource {
        address: format!("{ty}.{name}"),
        resource_type: ty.into(),
        name: name.into(),
        provider: String::new(),
        kind: ResourceKind::Managed,
        op: Operation::Create,
        props: serde_json::json!({"arn": UNKNOWN, "id": UNKNOWN, "tags": {"Name": name}, "tags_all": UNKNOWN}),
        before: None,
        secret: Vec::new(),
        unset: Vec::new(),
        encrypted: Vec::new(),
        source: "plan.json".into(),
        partial: false,
    };
    let stacks = [Stack {
        source: "plan.json".into(),
        format: palisade_input::InputFormat::TfPlan,
        notes: Vec::new(),
        resources: vec![planned("aws_instance", "new"), planned("aws_iam_role", "new")],
    }];
    let report = analyze(&stacks, &inventory(vec![scope(ACCOUNT, REGION)], Vec::new()), &IgnoreRules::empty());
    assert_eq!(
        outcome(&report).not_checked,
        [
            ("aws_iam_role.new".to_string(), NotCheckedReason::NoIdentity),
            ("aws_instance.new".to_string(), NotCheckedReason::NoIdentity)
        ]
    );
}

#[test]
fn several_state_files_merge() {
    let stacks = [stack(VPC), stack(LISTENER), stack(FOREACH)];
    let mut resources = mirror(&stacks[..1], REGION, ACCOUNT, false);
    resources.extend(mirror(&stacks[1..], "us-east-1", "533948124879", true));
    let inv = inventory(vec![scope("533948124879", "us-east-1"), scope(ACCOUNT, REGION)], resources);
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(report.sources, [VPC, LISTENER, FOREACH]);
    assert_eq!((report.summary.state_resources, report.summary.managed), (38, 23));
    assert_eq!(report.summary.left_out, LeftOut { not_managed: 6, not_aws: 1, folded: 0 });
    assert!(!report.summary.drifted);
    assert_eq!(
        report.summary.coverage_by_service.keys().map(String::as_str).collect::<Vec<_>>(),
        ["ec2", "elasticloadbalancing"]
    );
    // Sorted by address across files.
    let addresses: Vec<&str> = report.not_checked.iter().map(|n| n.state.address.as_str()).collect();
    let mut sorted = addresses.clone();
    sorted.sort();
    assert_eq!(addresses, sorted);
}

#[test]
fn ignore_rules_of_each_kind_are_counted() {
    let (stacks, mut inv) = vpc_inventory();
    inv.resources.push(cloud("arn:aws:s3:::logs-2026", REGION, ACCOUNT, &[("Name", "logs")]));
    inv.resources.push(cloud("arn:aws:s3:::scratch", REGION, ACCOUNT, &[("temporary", "yes")]));
    inv.resources.push(cloud("arn:aws:s3:::data", REGION, ACCOUNT, &[("Name", "data")]));
    inv.resources.retain(|r| !r.arn.ends_with("subnet-0a082c4466677de7c")); // private-2: missing, but ignored
    arn_containing(&mut inv, ":vpc/").tags.insert("Name".into(), "renamed".into());
    let rules = "# buckets of logs are made by the platform team\n\
                 arn:aws:s3:::logs-*\n\
                 type:aws_route_table\n\
                 tag:SubnetType=Priv*\n\
                 tag:temporary\n\
                 type:aws_kms_key\n\
                 type:ec2:vpc\n";
    let ignore = IgnoreRules::parse(IGNORE_FILE_NAME, rules).expect("valid rules");
    let report = analyze(&stacks, &inv, &ignore);
    let counts: Vec<(usize, &str, &str, usize)> =
        report.ignore_rules.iter().map(|r| (r.line, r.kind, r.text.as_str(), r.matched)).collect();
    assert_eq!(
        counts,
        [
            (2, "arn", "arn:aws:s3:::logs-*", 1),
            (3, "type", "type:aws_route_table", 6),
            (4, "tag", "tag:SubnetType=Priv*", 6),
            (5, "tag", "tag:temporary", 1),
            (6, "type", "type:aws_kms_key", 0),
            (7, "type", "type:ec2:vpc", 1),
        ]
    );
    // Private route tables match lines 3 and 4: counted by both, explained by the first.
    assert_eq!(report.summary.ignored, 1 + 6 + 3 + 1 + 1);
    assert_eq!(outcome(&report).unmanaged, ["arn:aws:s3:::data"]);
    assert!(report.missing.is_empty() && report.changed.is_empty());
    let first = |part: &str| {
        report
            .ignored
            .iter()
            .find(|i| {
                i.state
                    .as_ref()
                    .map(|s| s.address.as_str())
                    .or(i.cloud.as_ref().map(|c| c.arn.as_str()))
                    .is_some_and(|a| a.contains(part))
            })
            .unwrap_or_else(|| panic!("{part} not ignored"))
    };
    let missing_subnet = first("Subnet::awsx-nodejs-subnets-with-tags-private-2");
    assert_eq!(
        (missing_subnet.rule.line, missing_subnet.matched_on, missing_subnet.cloud.is_none()),
        (4, Side::State, true)
    );
    let logs = first("arn:aws:s3:::logs-2026");
    assert_eq!(
        (logs.rule.file.as_str(), logs.rule.line, logs.matched_on, logs.state.is_none()),
        (IGNORE_FILE_NAME, 2, Side::Cloud, true)
    );
    let route_table = first("RouteTable::awsx-nodejs-subnets-with-tags-private-1");
    assert_eq!((route_table.rule.line, route_table.cloud.is_some()), (3, true));
    // Ignored pairs are out of coverage: 16 left of the 17 mirrored, less 6
    // route tables, 2 private subnets and the VPC; plus 1 unmanaged bucket.
    assert_eq!(report.summary.coverage, Coverage::new(7, 1));
    let text = text(&report);
    assert!(text.contains("\nIgnore rules:\n  .palisadeignore:2: arn:aws:s3:::logs-* (1 match)\n"), "{text}");
    assert!(text.contains("  .palisadeignore:6: type:aws_kms_key (0 matches)\n"), "{text}");
}

#[test]
fn cloud_side_ignore_covers_a_matched_pair() {
    let (stacks, mut inv) = vpc_inventory();
    let vpc = arn_containing(&mut inv, ":vpc/");
    vpc.tags.insert("Name".into(), "renamed".into());
    vpc.tags.insert("drift-ok".into(), "true".into());
    let ignore = IgnoreRules::parse("ops.ignore", "tag:drift-ok=true").expect("valid");
    let report = analyze(&stacks, &inv, &ignore);
    assert!(report.changed.is_empty());
    assert_eq!(report.ignored.len(), 1);
    assert_eq!(report.ignored[0].matched_on, Side::Cloud);
    assert!(report.ignored[0].state.is_some() && report.ignored[0].cloud.is_some());
    assert_eq!(report.ignore_rules[0].matched, 1);
}

#[test]
fn no_cloud_resources_means_no_coverage() {
    let report = analyze(&[], &inventory(vec![scope(ACCOUNT, REGION)], Vec::new()), &IgnoreRules::empty());
    assert_eq!(report.summary.coverage, Coverage { managed: 0, unmanaged: 0, percent: None });
    assert!(
        text(&report).starts_with("no drift: 0 missing, 0 unmanaged, 0 changed; coverage n/a (no cloud resources)\n")
    );
    let mut json = Vec::new();
    render_json(&report, &mut json).expect("writes");
    let value: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
    assert!(value["summary"]["coverage"]["percent"].is_null());
    assert_eq!(Coverage::new(2, 1).percent, Some(66.67));
}

#[test]
fn output_does_not_depend_on_input_order() {
    let (stacks, mut inv) = vpc_inventory();
    inv.resources
        .retain(|r| !r.arn.contains("subnet-0b8ee6b33b730a471") && !r.arn.contains("subnet-0d616e5b89799f189"));
    inv.resources.push(cloud("arn:aws:s3:::b", REGION, ACCOUNT, &[("k", "v")]));
    inv.resources.push(cloud("arn:aws:s3:::a", REGION, ACCOUNT, &[("k", "v")]));
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    let mut reversed_stacks = stacks.clone();
    reversed_stacks[0].resources.reverse();
    inv.resources.reverse();
    let again = analyze(&reversed_stacks, &inv, &IgnoreRules::empty());
    assert_eq!(report, again);
    assert_eq!(outcome(&report).unmanaged, ["arn:aws:s3:::a", "arn:aws:s3:::b"]);
}

/// Validates `report`'s JSON against `scanner/schema/drift-report.schema.json`.
fn assert_valid(report: &DriftReport, case: &str) {
    let path = format!("{}/schema/drift-report.schema.json", env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("schema file")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let mut out = Vec::new();
    render_json(report, &mut out).expect("writes");
    assert!(out.ends_with(b"}\n"), "{case}: pretty JSON and a newline");
    let value: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    let errors: Vec<String> = validator.iter_errors(&value).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{case}: {errors:#?}");
    // The schema is strict enough to notice a wrong shape.
    let mut wrong = value.clone();
    wrong["summary"]["coverage"]["percent"] = serde_json::json!("75%");
    wrong["summary"]["extra"] = serde_json::json!(1);
    assert_eq!(validator.iter_errors(&wrong).count(), 2, "{case}");
}

#[test]
fn json_reports_validate_against_the_schema() {
    let (stacks, mut inv) = vpc_inventory();
    inv.scopes.push(ScanScope { status: ScopeStatus::Incomplete, error: None, ..scope("", "eu-west-1") });
    inv.resources.retain(|r| !r.arn.contains("subnet-0b8ee6b33b730a471"));
    inv.resources.push(cloud("arn:aws:s3:::logs-1", REGION, ACCOUNT, &[("k", "v")]));
    inv.resources.push(cloud("arn:aws:s3:::data", REGION, ACCOUNT, &[]));
    arn_containing(&mut inv, ":vpc/").tags.insert("Name".into(), "renamed".into());
    let ignore = IgnoreRules::parse(IGNORE_FILE_NAME, "arn:aws:s3:::logs-*\ntag:Name=*private-3").expect("valid");
    assert_valid(&analyze(&stacks, &inv, &ignore), "vpc with every kind");
    let stacks = [stack(HANDMADE)];
    let inv = inventory(vec![scope("123456789012", "eu-west-1")], mirror(&stacks, "eu-west-1", "123456789012", true));
    assert_valid(&analyze(&stacks, &inv, &IgnoreRules::empty()), "handmade");
    assert_valid(&analyze(&[], &inventory(Vec::new(), Vec::new()), &IgnoreRules::empty()), "empty");
}

#[test]
fn a_resource_without_arn_or_region_is_not_missing() {
    // Its state names no ARN, so no region to guess from: the two scanned
    // regions cannot prove it absent.
    let stacks = [tf_stack(
        "west.tfstate",
        &[(
            "aws_instance",
            "m_west",
            serde_json::json!({"id": "i-0abc", "tags": {"Name": "m"}, "tags_all": {"Name": "m"}}),
        )],
    )];
    let inv = inventory(vec![scope(ACCOUNT, "eu-west-1"), scope(ACCOUNT, "us-east-1")], vec![]);
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert!(report.missing.is_empty(), "{}", text(&report));
    assert_eq!(nonzero(&report), [(NotCheckedReason::OutsideScan, 1)]);
    assert!(report.not_checked[0].detail.contains("its region is unknown"), "{}", text(&report));
}

#[test]
fn buckets_and_iam_need_their_accounts_global_scope() {
    // eu-west-1 completed, but the global scope (the bucket list, IAM) did
    // not: the bucket and the role are not checked, never missing.
    let stacks = [stack(HANDMADE)];
    let mut cloud = mirror(&stacks, "eu-west-1", "123456789012", true);
    cloud.retain(|r| r.service != "s3" && r.service != "iam");
    let mut global = scope("123456789012", GLOBAL_SCOPE);
    global.status = ScopeStatus::Incomplete;
    global.error = Some("s3:ListBuckets was denied".into());
    let inv = inventory(vec![scope("123456789012", "eu-west-1"), global], cloud);
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    let got = outcome(&report);
    assert_eq!(got.missing, Vec::<String>::new());
    assert_eq!(
        got.not_checked,
        [
            ("aws_iam_role.app".to_string(), NotCheckedReason::ScanIncomplete),
            ("aws_s3_bucket.logs".to_string(), NotCheckedReason::ScanIncomplete)
        ]
    );
}

#[test]
fn tags_that_could_not_be_read_are_not_checked_never_changed() {
    let stacks = [stack(HANDMADE)];
    let mut inv =
        inventory(vec![scope("123456789012", "eu-west-1")], mirror(&stacks, "eu-west-1", "123456789012", true));
    let bucket = arn_containing(&mut inv, "acme-logs");
    bucket.tags.clear();
    bucket.unread.push(palisade_model::inventory::Unread {
        call: "tag:GetResources".into(),
        reason: palisade_model::inventory::UnreadReason::Denied,
        attributes: vec!["tags".into(), "tags_all".into()],
        error: "AccessDeniedException".into(),
    });
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert!(report.changed.is_empty(), "{:?}", report.changed);
    assert!(report.unmanaged.is_empty());
    let got = outcome(&report);
    assert!(got.not_checked.contains(&("aws_s3_bucket.logs".to_string(), NotCheckedReason::ScanIncomplete)), "{got:?}");
}

#[test]
fn the_readme_lists_the_compared_attributes() {
    let readme = std::fs::read_to_string(format!("{}/../README.md", env!("CARGO_MANIFEST_DIR"))).expect("README");
    for t in super::compared_attributes {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", t.terraform_type)))
            .unwrap_or_else(|| panic!("README: no row for {}", t.terraform_type));
        for name in t.names() {
            assert!(row.contains(&format!("`{name}`")), "README row of {}: no `{name}`", t.terraform_type);
        }
    }
}

/// A Terraform state v4 of `resources`: (type, name, attributes).
fn state_of(resources: &[(&str, &str, serde_json::Value)]) -> Stack {
    let resources: Vec<serde_json::Value> = resources
        .iter()
        .map(|(ty, name, attributes)| {
            serde_json::json!({"mode": "managed", "type": ty, "name": name,
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{"schema_version": 0, "attributes": attributes,
                    "sensitive_attributes": [[{"type": "get_attr", "value": "user_data"}]]}]})
        })
        .collect();
    let doc = serde_json::json!({"version": 4, "terraform_version": "1.9.5", "serial": 1, "lineage": "l",
        "outputs": {}, "resources": resources});
    palisade_input::read_input("attrs.tfstate", doc.to_string().as_bytes(), None).expect("a state")
}

/// A cloud resource read by a live reader, with `properties`.
fn read(arn: &str, terraform_type: &str, id: &str, properties: serde_json::Value) -> InventoryResource {
    let mut r = cloud(arn, REGION, ACCOUNT, &[]);
    r.terraform_type = Some(terraform_type.into());
    r.id = Some(id.into());
    r.found_by = "ec2:DescribeSecurityGroups".into();
    r.properties = properties.as_object().cloned();
    r
}

fn with_reader_types(mut inv: Inventory, types: &[&str]) -> Inventory {
    for s in &mut inv.scopes {
        for t in types {
            s.types.insert((*t).to_string(), Default::default());
        }
    }
    inv
}

#[test]
fn split_resources_fold_and_their_changes_are_their_own() {
    use serde_json::json;
    let stacks = [state_of(&[
        (
            "aws_s3_bucket",
            "b",
            json!({"id": "acme-b", "arn": "arn:aws:s3:::acme-b", "bucket": "acme-b",
            "region": REGION, "versioning": [{"enabled": true, "mfa_delete": false}], "tags": {}, "tags_all": {}}),
        ),
        (
            "aws_s3_bucket_versioning",
            "b",
            json!({"id": "acme-b", "bucket": "acme-b",
            "versioning_configuration": [{"status": "Enabled", "mfa_delete": ""}]}),
        ),
        (
            "aws_s3_bucket_public_access_block",
            "b",
            json!({"id": "acme-b", "bucket": "acme-b",
            "block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}),
        ),
        // A rule whose group is in no state given: matched as the group.
        (
            "aws_security_group_rule",
            "ssh",
            json!({"id": "sgrule-1", "type": "ingress", "security_group_id": "sg-0aa",
            "from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"], "self": false,
            "ipv6_cidr_blocks": [], "prefix_list_ids": [], "source_security_group_id": null, "description": ""}),
        ),
    ])];
    let bucket = read(
        "arn:aws:s3:::acme-b",
        "aws_s3_bucket",
        "acme-b",
        json!({
        "versioning": [{"enabled": false, "mfa_delete": false}],
        "public_access_block": [{"block_public_acls": true, "block_public_policy": true,
            "ignore_public_acls": true, "restrict_public_buckets": true}]}),
    );
    let sg_arn = format!("arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-0aa");
    let rules = json!([{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8"], "description": ""},
        {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"], "description": ""}]);
    let group = read(&sg_arn, "aws_security_group", "sg-0aa", json!({"ingress": rules, "egress": []}));
    let mut scopes = vec![scope(ACCOUNT, REGION), scope(ACCOUNT, GLOBAL_SCOPE)];
    scopes.truncate(2);
    let inv =
        with_reader_types(inventory(scopes, vec![bucket, group.clone()]), &["aws_s3_bucket", "aws_security_group"]);
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(report.summary.left_out.folded, 2);
    let changed: Vec<(&str, Vec<&str>)> = report
        .changed
        .iter()
        .map(|c| (c.state.address.as_str(), c.attributes.iter().map(|a| a.attribute.as_str()).collect()))
        .collect();
    // Versioning was suspended: reported against the versioning resource,
    // not the bucket; the extra 443 rule is not the rule resource's business.
    assert_eq!(changed, [("aws_s3_bucket_versioning.b", vec!["versioning.enabled"])]);
    assert_eq!(report.changed[0].cloud.arn, "arn:aws:s3:::acme-b");
    assert_eq!(report.summary.in_sync, 2, "the bucket and the rule");
    let text = text(&report);
    assert!(
        text.contains("aws_s3_bucket_versioning.b") && text.contains("attribute versioning.enabled: true -> false"),
        "{text}"
    );

    // The rule removed in the cloud: missing, against the rule.
    let mut without = group;
    without.properties = json!({"ingress": [rules[1].clone()]}).as_object().cloned();
    let inv = with_reader_types(inventory(vec![scope(ACCOUNT, REGION)], vec![without]), &["aws_security_group"]);
    let report = analyze(&stacks[..], &inv, &IgnoreRules::empty());
    let rule =
        report.changed.iter().find(|c| c.state.address == "aws_security_group_rule.ssh").expect("the rule changed");
    assert_eq!(rule.attributes[0].attribute, "ingress");
    assert_eq!(rule.attributes[0].kind, AttributeChangeKind::Set);
    assert_eq!(rule.attributes[0].declared[0]["cidr"], "10.0.0.0/8");
    assert_eq!(rule.attributes[0].live, json!([]));
    assert_eq!(rule.state.id.as_deref(), Some("sgrule-1"));
}

#[test]
fn unreadable_attributes_are_not_checked_and_secrets_are_redacted() {
    use palisade_model::inventory::{Unread, UnreadReason};
    use serde_json::json;
    let stacks = [state_of(&[(
        "aws_iam_role",
        "app",
        json!({"id": "app", "name": "app", "arn": format!("arn:aws:iam::{ACCOUNT}:role/app"),
            "assume_role_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}",
            "managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"], "tags": {}, "tags_all": {}}),
    )])];
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/app");
    let live_policy = json!({"Version": "2012-10-17", "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow",
        "Principal": {"Service": ["ec2.amazonaws.com"]}}]});
    let mut role = read(&arn, "aws_iam_role", "app", json!({"assume_role_policy": live_policy}));
    role.unread.push(Unread {
        call: "iam:ListAttachedRolePolicies".into(),
        reason: UnreadReason::Denied,
        attributes: vec!["managed_policy_arns".into()],
        error: "AccessDenied (HTTP 403)".into(),
    });
    let scopes = vec![scope(ACCOUNT, REGION), scope(ACCOUNT, GLOBAL_SCOPE)];
    let inv = with_reader_types(inventory(scopes, vec![role.clone()]), &["aws_iam_role"]);
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(report.summary.in_sync, 0);
    let n = report.not_checked.first().expect("not checked");
    assert_eq!(n.reason, NotCheckedReason::Unreadable);
    assert!(
        n.detail.contains("managed_policy_arns") && n.detail.contains("iam:ListAttachedRolePolicies"),
        "{}",
        n.detail
    );

    // Read, and equal once normalised: in sync. A changed trust policy: changed.
    role.unread.clear();
    role.properties
        .as_mut()
        .expect("props")
        .insert("managed_policy_arns".into(), json!(["arn:aws:iam::aws:policy/ReadOnlyAccess"]));
    let inv = with_reader_types(
        inventory(vec![scope(ACCOUNT, REGION), scope(ACCOUNT, GLOBAL_SCOPE)], vec![role.clone()]),
        &["aws_iam_role"],
    );
    assert_eq!(analyze(&stacks, &inv, &IgnoreRules::empty()).summary.in_sync, 1);
    role.properties.as_mut().expect("props").insert(
        "assume_role_policy".into(),
        json!({"Version": "2012-10-17",
        "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": "*"}}]}),
    );
    let inv = with_reader_types(
        inventory(vec![scope(ACCOUNT, REGION), scope(ACCOUNT, GLOBAL_SCOPE)], vec![role]),
        &["aws_iam_role"],
    );
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(report.changed[0].attributes[0].attribute, "assume_role_policy");

    // A secret attribute's values never show.
    let mut changes = vec![AttributeChange {
        attribute: "password".into(),
        declared: json!("hunter22"),
        live: json!("hunter23"),
        kind: AttributeChangeKind::Value,
    }];
    attributes::redact(&mut changes, &[]);
    assert_eq!((changes[0].declared.clone(), changes[0].live.clone()), (json!(REDACTED), json!(REDACTED)));
}

#[test]
fn a_canned_acl_not_grants_and_unknown_declared_values_are_not_drift() {
    use serde_json::json;
    // Provider v3: `acl` set, `grant` recorded empty; the cloud has the
    // owner's grant and nothing else: private, as declared.
    let stacks = [state_of(&[(
        "aws_s3_bucket",
        "b",
        json!({"id": "acme-c", "arn": "arn:aws:s3:::acme-c", "bucket": "acme-c", "region": REGION,
            "acl": "private", "grant": [], "policy": "", "tags": {}, "tags_all": {}}),
    )])];
    let owner = json!([{"id": "75aa57f0", "type": "CanonicalUser", "uri": "", "permissions": ["FULL_CONTROL"]}]);
    let bucket = read("arn:aws:s3:::acme-c", "aws_s3_bucket", "acme-c", json!({"grant": owner}));
    let scopes = || vec![scope(ACCOUNT, REGION), scope(ACCOUNT, GLOBAL_SCOPE)];
    let inv = with_reader_types(inventory(scopes(), vec![bucket.clone()]), &["aws_s3_bucket"]);
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(
        (report.summary.in_sync, report.summary.changed),
        (1, 0),
        "{:#?} {:#?}",
        report.changed,
        report.not_checked
    );
    // Made public-read in the cloud: the canned ACL differs.
    let mut public = bucket;
    let all_users = "http://acs.amazonaws.com/groups/global/AllUsers";
    let grants = json!([owner[0], {"id": "", "type": "Group", "uri": all_users, "permissions": ["READ"]}]);
    public.properties.as_mut().expect("props").insert("grant".into(), grants);
    let inv = with_reader_types(inventory(scopes(), vec![public]), &["aws_s3_bucket"]);
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    let acl = &report.changed[0].attributes[0];
    assert_eq!((acl.attribute.as_str(), acl.declared.clone()), ("acl", json!([])));
    assert_eq!(acl.live, json!([format!("group {all_users} READ")]));

    // A value the state does not know (a Pulumi secret, encrypted): not
    // compared, and the resource is not in sync either.
    let stacks = [state_of(&[(
        "aws_ebs_volume",
        "v",
        json!({"id": "vol-1", "arn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-1"), "size": 8,
            "type": palisade_model::model::UNKNOWN, "tags": {}, "tags_all": {}}),
    )])];
    let volume = read(
        &format!("arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-1"),
        "aws_ebs_volume",
        "vol-1",
        json!({"size": 8, "type": "gp3"}),
    );
    let inv = with_reader_types(inventory(vec![scope(ACCOUNT, REGION)], vec![volume]), &["aws_ebs_volume"]);
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    assert_eq!(report.summary.not_checked_by_reason[&NotCheckedReason::Unreadable], 1, "{:#?}", report.not_checked);
    assert!(
        report.not_checked[0].detail.contains("type: its declared value is not known"),
        "{}",
        report.not_checked[0].detail
    );
}

/// Found in a new user's trial: `http_tokens` is not a secret; a bucket
/// whose policy is unreadable stays not checked though its versioning
/// resource changed; a VPC rule alone, with an ARN of its own, is matched
/// as its group; a canned ACL change is reported once, against the ACL.
/// The trial's state and the cloud it is compared with.
fn trial_fixture() -> ([Stack; 1], Inventory) {
    use palisade_model::inventory::{Unread, UnreadReason};
    use serde_json::json;
    let sg_arn = format!("arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-0bb");
    let stacks = [state_of(&[
        (
            "aws_instance",
            "web",
            json!({"id": "i-1", "arn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-1"),
            "metadata_options": [{"http_tokens": "required", "http_endpoint": "enabled"}], "tags": {}, "tags_all": {}}),
        ),
        (
            "aws_s3_bucket",
            "b",
            json!({"id": "acme-d", "arn": "arn:aws:s3:::acme-d", "bucket": "acme-d", "region": REGION,
            "policy": "{\"Statement\":[]}", "grant": [{"id": "o", "type": "CanonicalUser", "uri": "", "permissions": ["FULL_CONTROL"]}],
            "tags": {}, "tags_all": {}}),
        ),
        (
            "aws_s3_bucket_versioning",
            "b",
            json!({"id": "acme-d", "bucket": "acme-d",
            "versioning_configuration": [{"status": "Enabled"}]}),
        ),
        ("aws_s3_bucket_acl", "b", json!({"id": "acme-d,private", "bucket": "acme-d", "acl": "private"})),
        (
            "aws_vpc_security_group_ingress_rule",
            "pg",
            json!({"id": "sgr-1",
            "arn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:security-group-rule/sgr-1"), "security_group_id": "sg-0bb",
            "ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_ipv4": "10.0.0.0/16", "tags": null}),
        ),
    ])];
    let instance = read(
        &format!("arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-1"),
        "aws_instance",
        "i-1",
        json!({"metadata_options": [{"http_tokens": "optional", "http_endpoint": "enabled"}]}),
    );
    let all_users = "http://acs.amazonaws.com/groups/global/AllUsers";
    let mut bucket = read(
        "arn:aws:s3:::acme-d",
        "aws_s3_bucket",
        "acme-d",
        json!({
        "versioning": [{"enabled": false, "mfa_delete": false}],
        "grant": [{"id": "o", "type": "CanonicalUser", "uri": "", "permissions": ["FULL_CONTROL"]},
                  {"id": "", "type": "Group", "uri": all_users, "permissions": ["READ"]}]}),
    );
    bucket.unread.push(Unread {
        call: "s3:GetBucketPolicy".into(),
        reason: UnreadReason::Denied,
        attributes: vec!["policy".into()],
        error: "AccessDenied (HTTP 403)".into(),
    });
    let group = read(
        &sg_arn,
        "aws_security_group",
        "sg-0bb",
        json!({"ingress": [
        {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_blocks": ["10.0.0.0/16"], "description": ""}]}),
    );
    let scopes = vec![scope(ACCOUNT, REGION), scope(ACCOUNT, GLOBAL_SCOPE)];
    let inv = with_reader_types(
        inventory(scopes, vec![instance, bucket, group]),
        &["aws_instance", "aws_s3_bucket", "aws_security_group"],
    );
    (stacks, inv)
}

#[test]
fn trial_findings_stay_fixed() {
    let (stacks, inv) = trial_fixture();
    let all_users = "http://acs.amazonaws.com/groups/global/AllUsers";
    use serde_json::json;
    let report = analyze(&stacks, &inv, &IgnoreRules::empty());
    let changed: Vec<(&str, Vec<(&str, &serde_json::Value)>)> = report
        .changed
        .iter()
        .map(|c| (c.state.address.as_str(), c.attributes.iter().map(|a| (a.attribute.as_str(), &a.live)).collect()))
        .collect();
    assert_eq!(
        changed,
        [
            ("aws_instance.web", vec![("metadata_options.http_tokens", &json!("optional"))]),
            ("aws_s3_bucket_acl.b", vec![("acl", &json!([format!("group {all_users} READ")]))]),
            ("aws_s3_bucket_versioning.b", vec![("versioning.enabled", &json!(false))]),
        ]
    );
    let not_checked: Vec<(&str, NotCheckedReason)> =
        report.not_checked.iter().map(|n| (n.state.address.as_str(), n.reason)).collect();
    assert_eq!(not_checked, [("aws_s3_bucket.b", NotCheckedReason::Unreadable)]);
    assert!(report.not_checked[0].detail.contains("s3:GetBucketPolicy"), "{}", report.not_checked[0].detail);
    assert_eq!((report.summary.missing, report.summary.in_sync), (0, 1), "the VPC rule, matched as its group");
    let text = text(&report);
    assert!(text.contains("policy unreadable (s3:GetBucketPolicy denied: AccessDenied"), "{text}");
}
