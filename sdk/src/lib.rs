//! # palisade-sdk: write Palisade policy packs in Rust
//!
//! A Palisade policy pack is a WebAssembly module that judges the resources
//! of a Terraform plan or state or a Pulumi preview or export, normalized by
//! the host into one model (see `sdk/ABI.md`). This crate implements the
//! guest side of ABI v1: build a [`Pack`] of [`ResourcePolicy`]s and
//! [`StackPolicy`]s, then [`export_pack!`] generates the exports. Build the
//! pack as a `cdylib` for `wasm32-unknown-unknown`.
//!
//! ```
//! use palisade_sdk::prelude::*;
//!
//! fn ebs_encrypted(r: &Resource, _: &Config) -> Outcome {
//!     let encrypted = r.get("encrypted").bool()?; // unknown -> undecided
//!     require(encrypted == Some(true), "EBS volume is not encrypted.")
//! }
//!
//! fn pack() -> Pack {
//!     Pack::new("my-pack", "0.1.0").policy(
//!         ResourcePolicy::new("my-ebs-encrypted", Severity::High, ebs_encrypted)
//!             .types(["aws_ebs_volume", "aws:ebs/volume:Volume"]),
//!     )
//! }
//! palisade_sdk::export_pack!(pack);
//! # let batch = Batch::from_json(r#"{"resources": [{"address": "aws_ebs_volume.a",
//! #   "type": "aws_ebs_volume", "props": {"encrypted": false}}]}"#).unwrap();
//! # let found = pack().run(&batch, "my-ebs-encrypted", None).unwrap();
//! # assert_eq!(found[0].resource, "aws_ebs_volume.a");
//! ```
//!
//! ## The model
//!
//! - [`Resource`]: one resource of the batch: [`address`](Resource::address),
//!   [`resource_type`](Resource::resource_type), [`op`](Resource::op),
//!   [`kind`](Resource::kind), [`is_secret`](Resource::is_secret) and its
//!   properties by [`get`](Resource::get).
//! - [`Prop`]: a property that is absent, null, **unknown** (known only after
//!   apply, the [`UNKNOWN`] sentinel) or a JSON value. `get` accepts either
//!   naming style (`cidr_blocks` finds `cidrBlocks` and the reverse), and
//!   [`items`](Prop::items)/[`first`](Prop::first) read a nested block alike
//!   as a Terraform list of one object or a Pulumi object. The typed readers
//!   return `Result<Option<T>, Unknown>`; `?` turns [`Unknown`] into
//!   [`Finding::Undecided`], so an unknown value never becomes a violation.
//! - [`Outcome`] = `Result<(), Finding>`: [`violation`], [`undecided`],
//!   [`require`], and [`all`] to combine the parts of one resource (a
//!   violation wins over an unknown elsewhere).
//! - [`Severity::default_enforcement`]: critical and high are mandatory by
//!   default, medium and low advisory; [`ResourcePolicy::enforcement`]
//!   overrides it.
//!
//! Natively, [`Pack::run`] and [`Pack::evaluate`] run policies on a
//! [`Batch`] for tests, exactly as the exports do.
//!
//! A panic in a policy aborts the wasm instance (a trap); the host replaces
//! the instance, so no later call sees a broken state. Natively, a panic is
//! caught and reported as an error of the policy.

#![deny(missing_docs)]

mod pack;
mod policy;
mod prop;
mod resource;

/// Used by [`export_pack!`]; not public API.
#[doc(hidden)]
#[path = "abi.rs"]
pub mod __abi;

pub use pack::{Pack, Violation};
pub use policy::{
    ACTION_KINDS, Cidr, Config, EC2_REVOKE_INGRESS, EnforcementLevel, Finding, IngressRule, Outcome, Policy,
    Remediation, ResourceCheck, ResourcePolicy, Severity, StackCheck, StackPolicy, all, require, undecided, violation,
    violation_with_fix,
};
pub use prop::{Cause, Items, PathSegment, Prop, PropValue, Shown, UNKNOWN, Unknown};
pub use resource::{Batch, Kind, Op, Resource, Stack};
pub use serde_json;
pub use serde_json::json;

/// Everything a policy module needs: `use palisade_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Batch, Config, EnforcementLevel, Finding, IngressRule, Kind, Op, Outcome, Pack, Prop, Remediation, Resource,
        ResourcePolicy, Severity, Stack, StackPolicy, Unknown, all, json, require, undecided, violation,
        violation_with_fix,
    };
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;
    use serde_json::{Value, json};

    /// A batch in both forms: Terraform names and Pulumi names, an unknown,
    /// a deleted resource and a data source.
    pub(crate) const DEMO_BATCH: &str = r#"{
      "stack": {"source": "plan.json", "format": "tfplan"},
      "resources": [
        {"address": "aws_ebs_volume.a", "type": "aws_ebs_volume", "name": "a", "kind": "managed",
         "op": "create", "props": {"encrypted": false, "size": 10}, "source": "plan.json"},
        {"address": "urn:pulumi:dev::p::aws:ebs/volume:Volume::b", "type": "aws:ebs/volume:Volume",
         "name": "b", "kind": "managed", "op": "create",
         "props": {"encrypted": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}, "source": "plan.json"},
        {"address": "aws_ebs_volume.c", "type": "aws_ebs_volume", "name": "c", "kind": "managed",
         "op": "update", "props": {"encrypted": true}, "source": "plan.json"},
        {"address": "aws_ebs_volume.gone", "type": "aws_ebs_volume", "name": "gone", "kind": "managed",
         "op": "delete", "props": null, "before": {"encrypted": false}, "source": "plan.json"},
        {"address": "data.aws_ebs_volume.d", "type": "aws_ebs_volume", "name": "d", "kind": "data",
         "op": "read", "props": {"encrypted": false}, "source": "plan.json"},
        {"address": "urn:pulumi:dev::p::aws:ec2/securityGroup:SecurityGroup::sg",
         "type": "aws:ec2/securityGroup:SecurityGroup", "name": "sg", "kind": "managed", "op": "create",
         "props": {"ingress": [
            {"fromPort": 22, "toPort": 22, "cidrBlocks": ["04da6b54-80e4-46f7-96ec-b56ff0331ba9"]},
            {"fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]}, "source": "plan.json"}
      ]
    }"#;

    fn ebs_encrypted(r: &Resource, _: &Config) -> Outcome {
        let encrypted = r.get("encrypted").bool()?;
        require(encrypted == Some(true), "EBS volume is not encrypted.")
    }

    fn open_ingress(r: &Resource, config: &Config) -> Outcome {
        let allowed = config.strings("allowed_cidrs");
        all(r.get("ingress").items()?.map(|rule| {
            for cidr in rule.get("cidr_blocks").strings()? {
                if cidr.ends_with("/0") && !allowed.contains(&cidr) {
                    return violation(format!("{} allows {cidr}", rule.path_string()));
                }
            }
            Ok(())
        }))
    }

    fn no_deletes(stack: &Stack, _: &Config) -> Vec<(String, Finding)> {
        stack
            .resources()
            .filter(|r| r.op() == Op::Delete)
            .map(|r| (r.address().to_owned(), Finding::Violation("deleted".to_owned())))
            .collect()
    }

    fn panics(_: &Resource, _: &Config) -> Outcome {
        panic!("boom")
    }

    pub(crate) fn demo_pack() -> Pack {
        Pack::new("demo", "1.2.3")
            .description("a demo pack")
            .policy(
                ResourcePolicy::new("demo-ebs-encrypted", Severity::High, ebs_encrypted)
                    .description("EBS volumes are encrypted.")
                    .types(["aws_ebs_volume", "aws:ebs/volume:Volume"])
                    .help("https://example.com/ebs"),
            )
            .policy(
                ResourcePolicy::new("demo-open-ingress", Severity::Medium, open_ingress)
                    .types(["aws:ec2/securityGroup:SecurityGroup"])
                    .enforcement(EnforcementLevel::Mandatory)
                    .config_schema(json!({"type": "object", "properties": {
                        "allowed_cidrs": {"type": "array", "default": []}}})),
            )
            .policy(StackPolicy::new("demo-no-deletes", Severity::Low, no_deletes))
            .policy(ResourcePolicy::new("demo-panics", Severity::Low, panics))
    }

    fn batch() -> Batch {
        Batch::from_json(DEMO_BATCH).expect("valid demo batch")
    }

    fn evaluate(request: Value) -> Value {
        let reply = demo_pack().evaluate_json(Some(&batch()), request.to_string().as_bytes());
        serde_json::from_str(&reply).expect("reply is JSON")
    }

    #[test]
    fn describe_document() {
        let pack = demo_pack();
        assert_eq!(pack.validate(), Ok(()));
        let doc: serde_json::Value = serde_json::from_str(&pack.describe_json()).expect("describe is JSON");
        assert_eq!(doc["name"], "demo");
        assert_eq!(doc["version"], "1.2.3");
        assert_eq!(doc["description"], "a demo pack");
        let p = &doc["policies"];
        assert_eq!(p[0]["name"], "demo-ebs-encrypted");
        assert_eq!(p[0]["severity"], "high");
        assert_eq!(p[0]["enforcement_level"], "mandatory");
        assert_eq!(p[0]["kind"], "resource");
        assert_eq!(p[0]["resource_types"], json!(["aws_ebs_volume", "aws:ebs/volume:Volume"]));
        assert_eq!(p[0]["help"], "https://example.com/ebs");
        assert_eq!(p[0]["config_schema"], json!({"type": "object"}));
        assert_eq!(p[1]["severity"], "medium");
        assert_eq!(p[1]["enforcement_level"], "mandatory", "set by the author");
        assert_eq!(p[2]["kind"], "stack");
        assert_eq!(p[2]["enforcement_level"], "advisory", "low defaults to advisory");
        assert!(p[2]["help"].is_null(), "no help: absent or null, as the host reads it");
    }

    #[test]
    fn severity_defaults() {
        assert_eq!(Severity::Critical.default_enforcement(), EnforcementLevel::Mandatory);
        assert_eq!(Severity::High.default_enforcement(), EnforcementLevel::Mandatory);
        assert_eq!(Severity::Medium.default_enforcement(), EnforcementLevel::Advisory);
        assert_eq!(Severity::Low.default_enforcement(), EnforcementLevel::Advisory);
    }

    #[test]
    fn a_partial_resource_reads_absent_keys_as_unknown() {
        let text = r#"{"stack": {"source": "inventory.json", "format": "inventory"}, "resources": [
          {"address": "arn:aws:ec2:eu-west-1:123456789012:volume/vol-1", "type": "aws_ebs_volume",
           "name": "vol-1", "kind": "managed", "op": "no-op", "partial": true,
           "props": {"arn": "arn:aws:ec2:eu-west-1:123456789012:volume/vol-1", "tags": {"Owner": "ops"}},
           "source": "inventory.json"}]}"#;
        let batch: Batch = serde_json::from_str(text).expect("batch");
        let r = batch.resource(0).expect("resource 0");
        assert!(r.is_partial());
        assert_eq!(
            ebs_encrypted(&r, &Config::default()),
            Err(Finding::Undecided(
                "encrypted is not known for a live resource (the inventory has its ARN and tags only)".to_owned()
            ))
        );
        assert_eq!(r.get("tags").get("Owner").str(), Ok(Some("ops")));
        assert!(r.get("tags").get("Team").is_absent(), "inside a known value, absent stays absent");
        assert_eq!(r.get_any(&["tags_all", "tags"]).get("Owner").str(), Ok(Some("ops")));
        assert!(r.get_any(&["acl", "grant"]).is_unknown());
    }

    #[test]
    fn question_mark_on_unknown_is_undecided() {
        let batch = batch();
        let b = batch.resource(1).expect("resource 1");
        assert_eq!(
            ebs_encrypted(&b, &Config::default()),
            Err(Finding::Undecided("encrypted is known only after apply".to_owned()))
        );
        let a = batch.resource(0).expect("resource 0");
        assert_eq!(
            ebs_encrypted(&a, &Config::default()),
            Err(Finding::Violation("EBS volume is not encrypted.".to_owned()))
        );
    }

    #[test]
    fn evaluate_resource_policy_on_targets() {
        let reply = evaluate(json!({"policy": "demo-ebs-encrypted", "config": {}, "targets": [0, 1, 2]}));
        assert_eq!(
            reply,
            json!({"violations": [
                {"policy": "demo-ebs-encrypted", "resource": "aws_ebs_volume.a",
                 "message": "EBS volume is not encrypted.", "undecided": false},
                {"policy": "demo-ebs-encrypted", "resource": "urn:pulumi:dev::p::aws:ebs/volume:Volume::b",
                 "message": "encrypted is known only after apply", "undecided": true}
            ]})
        );
    }

    #[test]
    fn a_violation_wins_over_an_unknown_elsewhere() {
        let reply = evaluate(json!({"policy": "demo-open-ingress", "targets": [5]}));
        assert_eq!(reply["violations"][0]["undecided"], false, "{reply}");
        assert_eq!(reply["violations"][0]["message"], "ingress[1] allows 0.0.0.0/0");
        // Allowed by config: the unknown rule remains, so undecided.
        let reply = evaluate(json!({"policy": "demo-open-ingress", "targets": [5],
            "config": {"allowedCidrs": ["0.0.0.0/0"]}}));
        assert_eq!(reply["violations"][0]["undecided"], true, "{reply}");
        assert_eq!(reply["violations"][0]["message"], "ingress[0].cidrBlocks[0] is known only after apply");
    }

    #[test]
    fn evaluate_stack_policy_sees_deleted_resources() {
        let reply = evaluate(json!({"policy": "demo-no-deletes", "targets": [0, 1, 2, 3, 4, 5]}));
        assert_eq!(reply["violations"].as_array().map(Vec::len), Some(1), "{reply}");
        assert_eq!(reply["violations"][0]["resource"], "aws_ebs_volume.gone");
    }

    #[test]
    fn evaluate_errors() {
        let unknown = evaluate(json!({"policy": "nope", "targets": []}));
        assert!(unknown["error"].as_str().is_some_and(|e| e.contains("no policy")), "{unknown}");
        let range = evaluate(json!({"policy": "demo-ebs-encrypted", "targets": [99]}));
        assert!(range["error"].as_str().is_some_and(|e| e.contains("out of range")), "{range}");
        let bad: Value = serde_json::from_str(&demo_pack().evaluate_json(Some(&batch()), b"{not json")).expect("json");
        assert!(bad["error"].as_str().is_some_and(|e| e.contains("invalid evaluate request")));
        let none: Value = serde_json::from_str(
            &demo_pack().evaluate_json(None, br#"{"policy": "demo-ebs-encrypted", "targets": []}"#),
        )
        .expect("json");
        assert!(none["error"].is_string());
        let panicked = evaluate(json!({"policy": "demo-panics", "targets": [0]}));
        assert!(panicked["error"].as_str().is_some_and(|e| e.contains("boom")), "{panicked}");
        // The pack still works after a panic.
        let again = evaluate(json!({"policy": "demo-ebs-encrypted", "targets": [2]}));
        assert_eq!(again, json!({"violations": []}));
    }

    #[test]
    fn run_targets_like_the_host() {
        let pack = demo_pack();
        let batch = batch();
        // Deleted resources are not targets; the data source of the same type
        // is, but the policy judges managed resources only.
        let found = pack.run(&batch, "demo-ebs-encrypted", None).expect("runs");
        let addresses: Vec<_> = found.iter().map(|v| v.resource.as_str()).collect();
        assert_eq!(addresses, ["aws_ebs_volume.a", "urn:pulumi:dev::p::aws:ebs/volume:Volume::b"]);
        // Schema defaults are filled in.
        let found = pack.run(&batch, "demo-open-ingress", None).expect("runs");
        assert!(!found[0].undecided);
    }

    #[test]
    fn all_combines_outcomes() {
        let v = || violation("v");
        let u = || undecided("u");
        assert_eq!(all([Ok(()), Ok(())]), Ok(()));
        assert_eq!(all([u(), v()]), v());
        assert_eq!(all([Ok(()), u(), u()]), u());
        assert_eq!(all(Vec::<Outcome>::new()), Ok(()));
    }

    #[test]
    fn config_getters() {
        let config = Config::new(json!({"max_port": "1024", "strict": true, "names": "one"}));
        assert_eq!(config.i64_or("maxPort", 0), 1024);
        assert!(config.bool_or("strict", false));
        assert_eq!(config.str_or("missing", "dflt"), "dflt");
        assert_eq!(config.strings("names"), ["one"]);
        assert_eq!(Config::new(Value::Null).json(), &json!({}));
    }
}
