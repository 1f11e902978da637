//! EKS clusters (`aws_eks_cluster`): `ListClusters` finds them (their names
//! only); `DescribeCluster` reads each one's configuration and its tags.
//! Connected (non-EKS) clusters are not listed (`include` left out).
//!
//! API: <https://docs.aws.amazon.com/eks/latest/APIReference/>; its members
//! are camelCase (`resourcesVpcConfig`), and so is the raw output. When the
//! details are not read, the ARN is built
//! (`arn:PARTITION:eks:REGION:ACCOUNT:cluster/NAME`) and the tags are joined
//! from the scope's Tagging API sweep.
//!
//! Derived member: the table language cannot filter a list, so the raw
//! output of `DescribeCluster` gets `Derived.enabledClusterLogTypes` (the
//! log types of the `logging.clusterLogging` entries whose `enabled` is
//! true, sorted: Terraform's `enabled_cluster_log_types`).
//!
//! moto: `ListClusters` pages (`maxResults`, 100 by default, as on AWS, where
//! it is also the largest page); `DescribeCluster` answers with these
//! members and the tags, but without `clusterSecurityGroupId` and `vpcId`.
//! moto's Tagging API does not return EKS clusters, so on moto a cluster
//! whose details are skipped has no tags.

use std::collections::BTreeMap;

use aws_sdk_eks as eks;
use serde_json::{Value, json};

use super::raw::Raw;
use super::table::Rule;
use super::{Call, Ctx, Found, Outcome, Service, TypeReader};

const LIST_CLUSTERS: Call = Call::list("eks", "ListClusters");
const DESCRIBE_CLUSTER: Call = Call::detail("eks", "DescribeCluster", &[], &["ResourceNotFoundException"]);

/// `aws_eks_cluster`.
pub static CLUSTER: TypeReader = TypeReader {
    terraform_type: "aws_eks_cluster",
    tagging_type: "eks:cluster",
    calls: &[&LIST_CLUSTERS, &DESCRIBE_CLUSTER],
    rules: &[
        Rule::Copy("ListClusters", "name"),
        Rule::Copy("DescribeCluster.arn", "arn"),
        Rule::Copy("DescribeCluster.version", "version"),
        Rule::Copy("DescribeCluster.roleArn", "role_arn"),
        Rule::Nest {
            from: "DescribeCluster.resourcesVpcConfig",
            to: "vpc_config",
            rules: &[
                Rule::Copy("endpointPublicAccess", "endpoint_public_access"),
                Rule::Copy("endpointPrivateAccess", "endpoint_private_access"),
                Rule::Copy("publicAccessCidrs", "public_access_cidrs"),
                Rule::Copy("subnetIds", "subnet_ids"),
                Rule::Copy("securityGroupIds", "security_group_ids"),
                Rule::Copy("clusterSecurityGroupId", "cluster_security_group_id"),
                Rule::Copy("vpcId", "vpc_id"),
            ],
        },
        Rule::Copy("DescribeCluster.Derived.enabledClusterLogTypes", "enabled_cluster_log_types"),
        Rule::Copy("DescribeCluster.status", "status"),
    ],
    own_tags: true,
};

/// The EKS reader.
pub static SERVICE: Service =
    Service { name: "eks", global: false, types: &[&CLUSTER], read: |ctx| Box::pin(read(ctx)) };

crate::raw_struct! {
    eks::types::Cluster {
        "name" => name, "arn" => arn, "version" => version, "platformVersion" => platform_version,
        "roleArn" => role_arn, "endpoint" => endpoint, "resourcesVpcConfig" => resources_vpc_config,
        "logging" => logging, "status" => status,
    }
    eks::types::VpcConfigResponse {
        "subnetIds" => subnet_ids, "securityGroupIds" => security_group_ids,
        "clusterSecurityGroupId" => cluster_security_group_id, "vpcId" => vpc_id,
        "endpointPublicAccess" => endpoint_public_access, "endpointPrivateAccess" => endpoint_private_access,
        "publicAccessCidrs" => public_access_cidrs,
    }
    eks::types::Logging { "clusterLogging" => cluster_logging }
    eks::types::LogSetup { "types" => types, "enabled" => enabled }
}
crate::raw_enum!(eks::types::ClusterStatus, eks::types::LogType);

async fn read(ctx: &Ctx) {
    if !ctx.wants(&CLUSTER) {
        return;
    }
    let client = eks::Client::new(&ctx.config);
    let mut pages = client.list_clusters().into_paginator().send();
    while let Some(page) = ctx.page(&CLUSTER, &LIST_CLUSTERS, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => return ctx.list_failed(f),
            Outcome::Absent | Outcome::Gone => return,
        };
        let partition = crate::aws::regions::partition_of(&ctx.region);
        let clusters: Vec<(String, Found)> = page
            .clusters()
            .iter()
            .map(|name| {
                let arn = format!("arn:{partition}:eks:{}:{}:cluster/{name}", ctx.region, ctx.account);
                (name.clone(), Found::new(&CLUSTER, arn, &LIST_CLUSTERS, name.raw()))
            })
            .collect();
        let client = &client;
        ctx.each(clusters, |(name, mut found)| async move {
            if !ctx.details(&CLUSTER) {
                found.skip(CLUSTER.calls);
                return Some(found);
            }
            describe(ctx, client, &mut found, &name).await.then_some(found)
        })
        .await;
    }
}

/// `DescribeCluster`: the cluster's configuration, its ARN and its tags;
/// `false` when it is gone.
async fn describe(ctx: &Ctx, client: &eks::Client, found: &mut Found, name: &str) -> bool {
    let described = ctx.call(&CLUSTER, &DESCRIBE_CLUSTER, client.describe_cluster().name(name).send()).await;
    if let Outcome::Ok(out) = &described
        && let Some(cluster) = out.cluster()
    {
        if let Some(arn) = cluster.arn() {
            found.arn = arn.to_string();
        }
        found.tags = Some(cluster.tags().map(|t| t.clone().into_iter().collect()).unwrap_or_else(BTreeMap::new));
    }
    found.record(&DESCRIBE_CLUSTER, described.map(|out| out.cluster().map_or(Value::Null, cluster_raw)))
}

/// A cluster's raw output, with the log types enabled.
fn cluster_raw(cluster: &eks::types::Cluster) -> Value {
    let mut raw = cluster.raw();
    let mut enabled: Vec<&str> = cluster
        .logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|setup| setup.enabled() == Some(true))
        .flat_map(|setup| setup.types().iter().map(eks::types::LogType::as_str))
        .collect();
    enabled.sort_unstable();
    enabled.dedup();
    if let Value::Object(members) = &mut raw {
        members.insert("Derived".into(), json!({ "enabledClusterLogTypes": enabled }));
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::live::table::apply;

    /// A cluster as moto 5 answered `ListClusters` and `DescribeCluster`
    /// (through the `live` example), derived member included.
    fn recorded(name: &str, public: bool, logs: Value, vpc: Value) -> Value {
        json!({
            "ListClusters": name,
            "DescribeCluster": {
                "Derived": {"enabledClusterLogTypes": logs},
                "arn": format!("arn:aws:eks:us-east-1:123456789012:cluster/{name}"),
                "endpoint": "https://5reVGNwNkEttoghEZIS2.7Mp.us-east-1.eks.amazonaws.com/",
                "name": name, "platformVersion": "eks.4", "resourcesVpcConfig": vpc,
                "roleArn": "arn:aws:iam::123456789012:role/eks", "status": "ACTIVE",
                "version": if public { "1.29" } else { "1.19" }
            }
        })
    }

    #[test]
    fn public_endpoint_cluster() {
        let vpc = json!({
            "endpointPrivateAccess": false, "endpointPublicAccess": true, "publicAccessCidrs": ["0.0.0.0/0"],
            "securityGroupIds": ["sg-0102a9faac67e2a19"],
            "subnetIds": ["subnet-dfdac49e4f44a62d2", "subnet-f2281f154b3ce20f1"]
        });
        let raw = recorded("eks-public", true, json!(["api", "audit"]), vpc);
        assert_eq!(
            Value::Object(apply(CLUSTER.rules, &raw)),
            json!({
                "name": "eks-public", "arn": "arn:aws:eks:us-east-1:123456789012:cluster/eks-public",
                "version": "1.29", "role_arn": "arn:aws:iam::123456789012:role/eks",
                "vpc_config": [{
                    "endpoint_public_access": true, "endpoint_private_access": false,
                    "public_access_cidrs": ["0.0.0.0/0"], "security_group_ids": ["sg-0102a9faac67e2a19"],
                    "subnet_ids": ["subnet-dfdac49e4f44a62d2", "subnet-f2281f154b3ce20f1"]
                }],
                "enabled_cluster_log_types": ["api", "audit"], "status": "ACTIVE"
            })
        );
    }

    #[test]
    fn private_endpoint_cluster() {
        // moto leaves out `clusterSecurityGroupId` and `vpcId`; AWS gives them.
        let vpc = json!({
            "endpointPrivateAccess": true, "endpointPublicAccess": false, "publicAccessCidrs": [],
            "securityGroupIds": [], "subnetIds": ["subnet-dfdac49e4f44a62d2"],
            "clusterSecurityGroupId": "sg-0c1", "vpcId": "vpc-1"
        });
        let raw = recorded("eks-private", false, json!([]), vpc);
        let out = apply(CLUSTER.rules, &raw);
        assert_eq!(
            out["vpc_config"],
            json!([{
                "endpoint_public_access": false, "endpoint_private_access": true, "public_access_cidrs": [],
                "security_group_ids": [], "subnet_ids": ["subnet-dfdac49e4f44a62d2"],
                "cluster_security_group_id": "sg-0c1", "vpc_id": "vpc-1"
            }])
        );
        assert_eq!(out["enabled_cluster_log_types"], json!([]));
    }

    #[test]
    fn details_skipped_keep_the_name_only() {
        let out = apply(CLUSTER.rules, &json!({"ListClusters": "eks-public"}));
        assert_eq!(Value::Object(out), json!({"name": "eks-public", "vpc_config": []}));
        let unknown = crate::aws::live::table::attributes_of_call(CLUSTER.rules, "DescribeCluster");
        assert_eq!(unknown, ["arn", "enabled_cluster_log_types", "role_arn", "status", "version", "vpc_config"]);
    }

    #[test]
    fn derives_the_enabled_log_types() {
        use eks::types::{LogSetup, LogType, Logging};
        let setup = |types: &[LogType], enabled: bool| {
            LogSetup::builder().set_types(Some(types.to_vec())).enabled(enabled).build()
        };
        let logging = Logging::builder()
            .cluster_logging(setup(&[LogType::Audit, LogType::Api], true))
            .cluster_logging(setup(&[LogType::Scheduler], false))
            .cluster_logging(setup(&[LogType::Authenticator], true))
            .build();
        let cluster = eks::types::Cluster::builder().name("c").logging(logging).build();
        let raw = cluster_raw(&cluster);
        assert_eq!(raw["Derived"], json!({"enabledClusterLogTypes": ["api", "audit", "authenticator"]}));
        assert_eq!(raw["logging"]["clusterLogging"][1], json!({"types": ["scheduler"], "enabled": false}));
        let bare = cluster_raw(&eks::types::Cluster::builder().name("d").build());
        assert_eq!(bare["Derived"], json!({"enabledClusterLogTypes": []}));
    }
}
