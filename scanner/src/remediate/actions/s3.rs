//! `s3.block-public-access`: the re-read (`GetPublicAccessBlock`,
//! `GetBucketAcl`) and the calls (`PutPublicAccessBlock`, `PutBucketAcl`).
//!
//! Requests are path-style when an endpoint URL is configured, as the S3
//! reader's (`crate::aws::live` `s3` module).

use aws_config::SdkConfig;
use aws_sdk_s3 as s3;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use palisade_model::remediation::action::AwsCall;
use serde_json::{Map, Value};

use super::{CallResult, ReadError, Reread, bool_param, sort_error, str_param, to_props};
use crate::aws::describe_sdk_error;
use crate::aws::live::raw::Raw;

/// A client of `region`: path-style with an endpoint URL.
fn client(config: &SdkConfig, region: &str) -> s3::Client {
    let mut builder = s3::config::Builder::from(config).region(s3::config::Region::new(region.to_string()));
    if config.endpoint_url().is_some() {
        builder = builder.force_path_style(true);
    }
    s3::Client::from_conf(builder.build())
}

/// Re-read bucket `name`: its public access block
/// (`NoSuchPublicAccessBlockConfiguration`: not configured) and its ACL;
/// `NoSuchBucket` is [`ReadError::Gone`]. `reads` counts the calls made.
pub(super) async fn reread(
    config: &SdkConfig,
    region: &str,
    name: &str,
    reads: &mut usize,
) -> Result<Reread, ReadError> {
    let client = client(config, region);
    let gone = ["NoSuchBucket"];
    *reads += 1;
    let block = match client.get_public_access_block().bucket(name).send().await {
        Ok(out) => out.raw(),
        Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => Value::Null,
        Err(e) => return Err(sort_error("s3:GetPublicAccessBlock", &e, &gone)),
    };
    *reads += 1;
    let acl = match client.get_bucket_acl().bucket(name).send().await {
        Ok(out) => out.raw(),
        Err(e) => return Err(sort_error("s3:GetBucketAcl", &e, &gone)),
    };
    let raw = raw_of(block, acl);
    Ok(Reread { props: to_props("aws_s3_bucket", &raw)?, at_aws: None })
}

/// The raw output of the two re-read calls, as the reader records them.
fn raw_of(block: Value, acl: Value) -> Value {
    let mut raw = Map::new();
    raw.insert("GetPublicAccessBlock".into(), block);
    raw.insert("GetBucketAcl".into(), acl);
    Value::Object(raw)
}

/// Send `call` (`s3:PutPublicAccessBlock` or `s3:PutBucketAcl`, with the
/// parameters [`palisade_model::remediation::action::Action::calls`] gave).
pub(super) async fn send(config: &SdkConfig, region: &str, call: &AwsCall) -> Result<CallResult, String> {
    let client = client(config, region);
    let bucket = str_param(&call.parameters, "Bucket")?;
    match call.operation.as_str() {
        "s3:PutPublicAccessBlock" => {
            let settings = &call.parameters["PublicAccessBlockConfiguration"];
            let setting = |key: &str| bool_param(settings, key);
            let block = s3::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(setting("BlockPublicAcls")?)
                .ignore_public_acls(setting("IgnorePublicAcls")?)
                .block_public_policy(setting("BlockPublicPolicy")?)
                .restrict_public_buckets(setting("RestrictPublicBuckets")?)
                .build();
            client
                .put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(block)
                .send()
                .await
                .map_err(|e| describe_sdk_error(&e))?;
        }
        "s3:PutBucketAcl" => {
            let acl = s3::types::BucketCannedAcl::from(str_param(&call.parameters, "ACL")?);
            client.put_bucket_acl().bucket(bucket).acl(acl).send().await.map_err(|e| describe_sdk_error(&e))?;
        }
        other => return Err(format!("{other} is not an S3 call Palisade makes")),
    }
    Ok(CallResult::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::remediation::action::{Action, PUBLIC_GRANTEES};
    use serde_json::json;

    /// `pub-read` as moto 5.2.5 answered: no public access block, an
    /// AllUsers READ grant; then after `PutPublicAccessBlock` and
    /// `PutBucketAcl private`.
    #[test]
    fn recorded_answers_give_the_scans_slice() {
        let acl = json!({"Grants": [
            {"Grantee": {"ID": "75aa57f0", "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "Group", "URI": PUBLIC_GRANTEES[0]}, "Permission": "READ"}]});
        let props = to_props("aws_s3_bucket", &raw_of(Value::Null, acl)).expect("props");
        assert_eq!(props["public_access_block"], json!([]));
        let action = Action::S3BlockPublicAccess;
        let slice = action.slice(&props);
        assert_eq!(
            slice["grants"],
            json!([{"grantee": "75aa57f0", "permission": "FULL_CONTROL"}, {"grantee": PUBLIC_GRANTEES[0], "permission": "READ"}])
        );
        assert_eq!(action.calls("pub-read", &slice).len(), 2);

        let block = json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true,
                                                              "IgnorePublicAcls": true, "RestrictPublicBuckets": true}});
        let acl =
            json!({"Grants": [{"Grantee": {"ID": "75aa57f0", "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}]});
        let props = to_props("aws_s3_bucket", &raw_of(block, acl)).expect("props");
        assert_eq!(action.slice(&props), action.expected(&slice));
    }
}
