//! EKS clusters.

use palisade_sdk::prelude::*;

pub fn policies() -> [ResourcePolicy; 1] {
    [ResourcePolicy::new("aws-eks-cluster-disallow-api-endpoint-public-access", Severity::Critical, private_endpoint)
        .description("Checks that the Kubernetes API endpoint of EKS clusters is not publicly accessible.")
        .types(["aws_eks_cluster", "aws:eks/cluster:Cluster"])
        .help("Set vpc_config.endpoint_public_access to false (and endpoint_private_access to true).")]
}

fn private_endpoint(r: &Resource, _: &Config) -> Outcome {
    // Terraform: vpc_config = [{...}]; Pulumi: vpcConfig = {...}.
    // Not set in the configuration is true, AWS's default.
    let public = r.configured().get("vpc_config").first().get("endpoint_public_access");
    match public.bool()? {
        Some(false) => Ok(()),
        Some(true) => {
            violation(format!("EKS cluster API endpoint is publicly accessible ({} is true).", public.path_string()))
        }
        None => violation(format!(
            "EKS cluster API endpoint is publicly accessible ({} is not set, and AWS defaults it to true).",
            public.path_string()
        )),
    }
}
