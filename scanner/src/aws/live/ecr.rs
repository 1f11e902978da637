//! ECR repositories (`aws_ecr_repository`): `DescribeRepositories` lists them
//! with their configuration (tag mutability, scan on push, encryption);
//! `ListTagsForResource` reads each one's tags.
//!
//! API: <https://docs.aws.amazon.com/AmazonECR/latest/APIReference/>; its
//! members are camelCase (`imageTagMutability`), and so is the raw output.
//! The Terraform id is the repository name (`crate::arn`: `repository/NAME`).
//! When the tags are not read (details skipped, or the call failed), they
//! are joined from the scope's Tagging API sweep.
//!
//! moto: `DescribeRepositories` does not page (`maxResults`, which we set to
//! 1000, the largest, and `nextToken` are ignored); `ListTagsForResource` answers. moto's Tagging API does not
//! cover ECR, so on moto the tags come only from `ListTagsForResource`.

use std::collections::BTreeMap;

use aws_sdk_ecr as ecr;

use super::raw::Raw;
use super::table::Rule;
use super::{Call, Ctx, Found, Outcome, Service, TypeReader};

const DESCRIBE_REPOSITORIES: Call = Call::list("ecr", "DescribeRepositories");
const LIST_TAGS_FOR_RESOURCE: Call = Call::detail("ecr", "ListTagsForResource", &[], &["RepositoryNotFoundException"]);

/// The largest page `DescribeRepositories` gives (its default is 100).
const PAGE_SIZE: i32 = 1000;

/// `aws_ecr_repository`.
pub static REPOSITORY: TypeReader = TypeReader {
    terraform_type: "aws_ecr_repository",
    tagging_type: "ecr:repository",
    calls: &[&DESCRIBE_REPOSITORIES, &LIST_TAGS_FOR_RESOURCE],
    rules: &[
        Rule::Copy("DescribeRepositories.repositoryName", "name"),
        Rule::Copy("DescribeRepositories.repositoryArn", "arn"),
        Rule::Copy("DescribeRepositories.registryId", "registry_id"),
        Rule::Copy("DescribeRepositories.repositoryUri", "repository_url"),
        Rule::Copy("DescribeRepositories.imageTagMutability", "image_tag_mutability"),
        Rule::Nest {
            from: "DescribeRepositories.imageScanningConfiguration",
            to: "image_scanning_configuration",
            rules: &[Rule::Copy("scanOnPush", "scan_on_push")],
        },
        Rule::Nest {
            from: "DescribeRepositories.encryptionConfiguration",
            to: "encryption_configuration",
            rules: &[Rule::Copy("encryptionType", "encryption_type"), Rule::Copy("kmsKey", "kms_key")],
        },
    ],
    own_tags: true,
};

/// The ECR reader.
pub static SERVICE: Service =
    Service { name: "ecr", global: false, types: &[&REPOSITORY], read: |ctx| Box::pin(read(ctx)) };

crate::raw_struct! {
    ecr::types::Repository {
        "repositoryArn" => repository_arn, "registryId" => registry_id, "repositoryName" => repository_name,
        "repositoryUri" => repository_uri, "imageTagMutability" => image_tag_mutability,
        "imageScanningConfiguration" => image_scanning_configuration,
        "encryptionConfiguration" => encryption_configuration,
    }
    ecr::types::ImageScanningConfiguration { "scanOnPush" => scan_on_push }
    ecr::types::EncryptionConfiguration { "encryptionType" => encryption_type, "kmsKey" => kms_key }
    ecr::types::Tag { "Key" => key, "Value" => value }
}
crate::raw_enum!(ecr::types::ImageTagMutability, ecr::types::EncryptionType);

async fn read(ctx: &Ctx) {
    if !ctx.wants(&REPOSITORY) {
        return;
    }
    let client = ecr::Client::new(&ctx.config);
    let mut pages = client.describe_repositories().into_paginator().page_size(PAGE_SIZE).send();
    while let Some(page) = ctx.page(&REPOSITORY, &DESCRIBE_REPOSITORIES, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => return ctx.list_failed(f),
            Outcome::Absent | Outcome::Gone => return,
        };
        let repositories: Vec<Found> = page
            .repositories()
            .iter()
            .filter_map(|r| {
                let arn = r.repository_arn()?;
                Some(Found::new(&REPOSITORY, arn.to_string(), &DESCRIBE_REPOSITORIES, r.raw()))
            })
            .collect();
        let client = &client;
        ctx.each(repositories, |mut found| async move {
            if !ctx.details(&REPOSITORY) {
                found.skip(REPOSITORY.calls);
                return Some(found);
            }
            let arn = found.arn.clone();
            read_tags(ctx, client, &mut found, &arn).await.then_some(found)
        })
        .await;
    }
}

/// `ListTagsForResource`: the repository's tags; `false` when it is gone.
async fn read_tags(ctx: &Ctx, client: &ecr::Client, found: &mut Found, arn: &str) -> bool {
    let listed =
        ctx.call(&REPOSITORY, &LIST_TAGS_FOR_RESOURCE, client.list_tags_for_resource().resource_arn(arn).send()).await;
    if let Outcome::Ok(out) = &listed {
        let tags: BTreeMap<String, String> =
            out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
        found.tags = Some(tags);
    }
    found.record(&LIST_TAGS_FOR_RESOURCE, listed.map(|out| super::raw::object([("tags", out.tags().raw())])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::live::table::apply;
    use serde_json::{Value, json};

    /// A repository as moto 5 answered `DescribeRepositories` and
    /// `ListTagsForResource` (through the `live` example).
    fn recorded(name: &str, mutability: &str, scan: bool, encryption: Value, tags: Value) -> Value {
        json!({
            "DescribeRepositories": {
                "encryptionConfiguration": encryption, "imageScanningConfiguration": {"scanOnPush": scan},
                "imageTagMutability": mutability, "registryId": "123456789012",
                "repositoryArn": format!("arn:aws:ecr:us-east-1:123456789012:repository/{name}"),
                "repositoryName": name, "repositoryUri": format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}")
            },
            "ListTagsForResource": {"tags": tags}
        })
    }

    #[test]
    fn mutable_repository_without_scanning() {
        let raw = recorded(
            "repo-mutable",
            "MUTABLE",
            false,
            json!({"encryptionType": "AES256"}),
            json!([{"Key": "env", "Value": "dev"}]),
        );
        assert_eq!(
            Value::Object(apply(REPOSITORY.rules, &raw)),
            json!({
                "name": "repo-mutable", "arn": "arn:aws:ecr:us-east-1:123456789012:repository/repo-mutable",
                "registry_id": "123456789012",
                "repository_url": "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo-mutable",
                "image_tag_mutability": "MUTABLE", "image_scanning_configuration": [{"scan_on_push": false}],
                "encryption_configuration": [{"encryption_type": "AES256"}]
            })
        );
    }

    #[test]
    fn immutable_repository_scanned_on_push_with_kms() {
        let key = "arn:aws:kms:us-east-1:123456789012:key/93fdf015-130c-474e-b7a7-f87ec06149d8";
        let raw =
            recorded("repo-immutable", "IMMUTABLE", true, json!({"encryptionType": "KMS", "kmsKey": key}), json!([]));
        let out = apply(REPOSITORY.rules, &raw);
        assert_eq!(out["image_tag_mutability"], json!("IMMUTABLE"));
        assert_eq!(out["image_scanning_configuration"], json!([{"scan_on_push": true}]));
        assert_eq!(out["encryption_configuration"], json!([{"encryption_type": "KMS", "kms_key": key}]));
        // Tags are not mapped by the table (found.tags / the sweep).
        assert!(!out.contains_key("tags"));
        assert!(crate::aws::live::table::attributes_of_call(REPOSITORY.rules, "ListTagsForResource").is_empty());
    }
}
