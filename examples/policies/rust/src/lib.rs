//! `example-rust`: the Palisade example pack, in Rust.
//!
//! Two resource policies, exactly as `examples/policies/README.md` specifies
//! them; the other six languages implement the same pack. The SDK
//! (`palisade-sdk`) is the helper layer: it parses the batch and the request,
//! tells absent, null, unset, encrypted, unknown and known values apart
//! ([`PropValue`]), writes
//! the replies and generates the ABI exports ([`palisade_sdk::export_pack!`]).

use palisade_sdk::PropValue;
use palisade_sdk::prelude::*;
use palisade_sdk::serde_json::Value;

/// The pack: both policies.
fn pack() -> Pack {
    Pack::new("example-rust", "1.0.0")
        .description("The Palisade example pack, in Rust.")
        .policy(
            ResourcePolicy::new("aws-s3-bucket-disallow-public-read", Severity::High, no_public_read)
                .description("S3 buckets and bucket ACLs must not grant public read access.")
                .enforcement(EnforcementLevel::Mandatory)
                .types([
                    "aws_s3_bucket",
                    "aws_s3_bucket_acl",
                    "aws:s3/bucket:Bucket",
                    "aws:s3/bucketV2:BucketV2",
                    "aws:s3/bucketAclV2:BucketAclV2",
                ])
                .config_schema(json!({"type": "object"}))
                .help("https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl"),
        )
        .policy(
            ResourcePolicy::new("required-tags", Severity::Medium, required_tags)
                .description("Resources must carry the tags named in the config.")
                .enforcement(EnforcementLevel::Advisory)
                .types([
                    "aws_s3_bucket",
                    "aws_instance",
                    "aws:s3/bucket:Bucket",
                    "aws:s3/bucketV2:BucketV2",
                    "aws:ec2/instance:Instance",
                ])
                .config_schema(json!({"type": "object", "properties": {
                    "tags": {"type": "array", "items": {"type": "string"}, "default": ["owner"]}}}))
                .help("Add the missing keys to the resource's tags."),
        )
}

palisade_sdk::export_pack!(pack);

/// The undecided message for an encrypted `acl` (ABI section 4).
const ENCRYPTED_ACL: &str =
    "The bucket ACL is encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze.";

/// The undecided message for encrypted `tags`.
const ENCRYPTED_TAGS: &str =
    "The tags are encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze.";

fn no_public_read(r: &Resource, _: &Config) -> Outcome {
    match prop(r, "acl") {
        PropValue::Unknown => undecided("The bucket ACL is unknown until apply."),
        PropValue::Encrypted => undecided(ENCRYPTED_ACL),
        // Not set in the configuration: the AWS provider 4+ computes `acl`,
        // and a new bucket is private.
        PropValue::Unset => Ok(()),
        PropValue::Known(Value::String(acl)) if acl == "public-read" => {
            violation("S3 bucket ACL \"public-read\" grants public read access.")
        }
        PropValue::Known(Value::String(acl)) if acl == "public-read-write" => {
            violation("S3 bucket ACL \"public-read-write\" grants public read and write access.")
        }
        _ => Ok(()),
    }
}

fn required_tags(r: &Resource, config: &Config) -> Outcome {
    let required = required_keys(config);
    if required.is_empty() {
        return Ok(());
    }
    let missing: Vec<&str> = match prop(r, "tags") {
        PropValue::Unknown => return undecided("The tags are unknown until apply."),
        PropValue::Encrypted => return undecided(ENCRYPTED_TAGS),
        // Not set in the configuration: no tags (`PropValue::Unset` falls
        // through to the last arm, as absent does).
        // Present whatever the value, an unknown one included.
        PropValue::Known(Value::Object(tags)) => required.into_iter().filter(|key| !tags.contains_key(*key)).collect(),
        _ => required,
    };
    require(missing.is_empty(), format!("Missing required tags: {}.", missing.join(", ")))
}

/// The config's `tags`: its strings in order, each once; nothing when it is
/// not a list.
fn required_keys(config: &Config) -> Vec<&str> {
    let mut keys = Vec::new();
    if let Some(Value::Array(items)) = config.json().get("tags") {
        for key in items.iter().filter_map(Value::as_str) {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

/// `props.<key>` exactly as the spec reads it: absent unless `props` is an
/// object. (`Resource::get` is more lenient: it also finds `key` in the other
/// naming style, inside a list of one object, and passes an unknown `props`
/// on. Neither `acl` nor `tags` has another naming style.)
fn prop<'a>(r: &Resource<'a>, key: &str) -> PropValue<'a> {
    let props = r.props();
    match props.json() {
        Some(Value::Object(_)) => props.get(key).value(),
        _ => PropValue::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_sdk::UNKNOWN;

    /// Runs `policy` on one resource of `props`, as the host would.
    fn run(policy: &str, resource_type: &str, props: Value, config: Option<Value>) -> Vec<(String, bool)> {
        let batch = json!({"resources": [{"address": "a.b", "type": resource_type, "props": props}]});
        let batch = Batch::from_json(&batch.to_string()).expect("valid batch");
        let found = pack().run(&batch, policy, config).expect("runs");
        found.into_iter().map(|v| (v.message, v.undecided)).collect()
    }

    fn public_read(props: Value) -> Vec<(String, bool)> {
        run("aws-s3-bucket-disallow-public-read", "aws_s3_bucket_acl", props, None)
    }

    fn tags(props: Value, config: Option<Value>) -> Vec<(String, bool)> {
        run("required-tags", "aws:ec2/instance:Instance", props, config)
    }

    fn found(message: &str, undecided: bool) -> Vec<(String, bool)> {
        vec![(message.to_owned(), undecided)]
    }

    #[test]
    fn pack_is_valid() {
        let pack = pack();
        assert_eq!(pack.validate(), Ok(()));
        let doc: Value = palisade_sdk::serde_json::from_str(&pack.describe_json()).expect("describe is JSON");
        assert_eq!(doc["policies"][0]["enforcement_level"], "mandatory");
        assert_eq!(doc["policies"][1]["enforcement_level"], "advisory");
        assert_eq!(doc["policies"][1]["config_schema"]["properties"]["tags"]["default"], json!(["owner"]));
    }

    #[test]
    fn public_read_acls() {
        assert_eq!(
            public_read(json!({"acl": "public-read"})),
            found("S3 bucket ACL \"public-read\" grants public read access.", false)
        );
        assert_eq!(
            public_read(json!({"acl": "public-read-write"})),
            found("S3 bucket ACL \"public-read-write\" grants public read and write access.", false)
        );
        assert_eq!(public_read(json!({"acl": UNKNOWN})), found("The bucket ACL is unknown until apply.", true));
        for props in [
            json!({"acl": "private"}),
            json!({"acl": "PUBLIC-READ"}),
            json!({"acl": 1}),
            json!({"acl": ["public-read"]}),
            json!({"acl": null}),
            json!({}),
            json!(null),
            json!([{"acl": "public-read"}]),
            json!(UNKNOWN),
        ] {
            assert_eq!(public_read(props.clone()), [], "{props}");
        }
    }

    #[test]
    fn required_tags_default_config() {
        assert_eq!(tags(json!({"tags": {"owner": "x"}}), None), []);
        assert_eq!(tags(json!({"tags": {"owner": UNKNOWN}}), None), [], "an unknown value counts as present");
        assert_eq!(tags(json!({"tags": {"owner": null}}), None), []);
        assert_eq!(tags(json!({"tags": UNKNOWN}), None), found("The tags are unknown until apply.", true));
        for props in [
            json!({"tags": {"Owner": "x"}}),
            json!({"tags": [{"owner": "x"}]}),
            json!({"tags": "owner"}),
            json!({"tags": null}),
            json!({}),
            json!(null),
            json!(UNKNOWN),
        ] {
            assert_eq!(tags(props.clone(), None), found("Missing required tags: owner.", false), "{props}");
        }
    }

    #[test]
    fn required_tags_config() {
        let config = json!({"tags": ["team", 7, "owner", "team", null, "cost_center", "ключ \"q\""]});
        assert_eq!(
            tags(json!({"tags": {"costCenter": 1}}), Some(config.clone())),
            found("Missing required tags: team, owner, cost_center, ключ \"q\".", false)
        );
        assert_eq!(
            tags(json!({"tags": {"owner": 1, "ключ \"q\"": 2}}), Some(config)),
            found("Missing required tags: team, cost_center.", false)
        );
        for config in [json!({"tags": []}), json!({"tags": [1, null]}), json!({"tags": "owner"}), json!({"tags": null})]
        {
            assert_eq!(tags(json!({}), Some(config.clone())), [], "{config}");
            assert_eq!(tags(json!({"tags": UNKNOWN}), Some(config.clone())), [], "{config}");
        }
    }

    #[test]
    fn replies_escape_keys() {
        let batch = Batch::from_json(r#"{"resources": [{"address": "x\"y", "type": "aws_instance", "props": {}}]}"#)
            .expect("valid batch");
        let request = json!({"policy": "required-tags", "config": {"tags": ["a\"b\\c\n\u{1}é"]}, "targets": [0]});
        let reply: Value =
            palisade_sdk::serde_json::from_str(&pack().evaluate_json(Some(&batch), request.to_string().as_bytes()))
                .expect("reply is JSON");
        assert_eq!(
            reply,
            json!({"violations": [{"policy": "required-tags", "resource": "x\"y",
                "message": "Missing required tags: a\"b\\c\n\u{1}é.", "undecided": false}]})
        );
    }
}
