//! `ecr.immutable-tags`: the re-read (`DescribeRepositories` with
//! `repositoryNames=[NAME]`) and the call (`PutImageTagMutability`).

use aws_config::SdkConfig;
use aws_sdk_ecr as ecr;
use palisade_model::remediation::action::AwsCall;
use serde_json::{Map, Value};

use super::{CallResult, ReadError, Reread, sort_error, str_param, to_props};
use crate::aws::describe_sdk_error;
use crate::aws::live::raw::Raw;

fn client(config: &SdkConfig, region: &str) -> ecr::Client {
    ecr::Client::from_conf(
        ecr::config::Builder::from(config).region(ecr::config::Region::new(region.to_string())).build(),
    )
}

/// Re-read repository `name`; `RepositoryNotFoundException` is
/// [`ReadError::Gone`].
pub(super) async fn reread(
    config: &SdkConfig,
    region: &str,
    name: &str,
    reads: &mut usize,
) -> Result<Reread, ReadError> {
    *reads += 1;
    let out = client(config, region)
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
        .map_err(|e| sort_error("ecr:DescribeRepositories", &e, &["RepositoryNotFoundException"]))?;
    let Some(repository) = out.repositories().iter().find(|r| r.repository_name() == Some(name)) else {
        return Err(ReadError::Gone(format!("ecr:DescribeRepositories did not return repository {name}")));
    };
    Ok(Reread { props: to_props("aws_ecr_repository", &raw_of(repository.raw()))?, at_aws: None })
}

/// The raw output of the re-read, as the reader records it.
fn raw_of(repository: Value) -> Value {
    Value::Object(Map::from_iter([("DescribeRepositories".to_string(), repository)]))
}

/// Send `ecr:PutImageTagMutability`.
pub(super) async fn send(config: &SdkConfig, region: &str, call: &AwsCall) -> Result<CallResult, String> {
    if call.operation != "ecr:PutImageTagMutability" {
        return Err(format!("{} is not an ECR call Palisade makes", call.operation));
    }
    let name = str_param(&call.parameters, "repositoryName")?;
    let mutability = ecr::types::ImageTagMutability::from(str_param(&call.parameters, "imageTagMutability")?);
    client(config, region)
        .put_image_tag_mutability()
        .repository_name(name)
        .image_tag_mutability(mutability)
        .send()
        .await
        .map_err(|e| describe_sdk_error(&e))?;
    Ok(CallResult::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::remediation::action::Action;
    use serde_json::json;

    /// `repo-mutable` as moto 5 answered `DescribeRepositories`.
    #[test]
    fn recorded_answers_give_the_scans_slice() {
        let repository = |mutability: &str| {
            json!({"encryptionConfiguration": {"encryptionType": "AES256"},
                   "imageScanningConfiguration": {"scanOnPush": false}, "imageTagMutability": mutability,
                   "registryId": "123456789012",
                   "repositoryArn": "arn:aws:ecr:us-east-1:123456789012:repository/repo-mutable",
                   "repositoryName": "repo-mutable",
                   "repositoryUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo-mutable"})
        };
        let action = Action::EcrImmutableTags;
        let before = to_props("aws_ecr_repository", &raw_of(repository("MUTABLE"))).expect("props");
        assert_eq!(before["name"], json!("repo-mutable"));
        let before = action.slice(&before);
        assert_eq!(before, json!({"image_tag_mutability": "MUTABLE"}));
        let after = to_props("aws_ecr_repository", &raw_of(repository("IMMUTABLE"))).expect("props");
        assert_eq!(action.slice(&after), action.expected(&before));
    }
}
