//! ECR repositories.

use palisade_sdk::prelude::*;

pub fn policies() -> [ResourcePolicy; 1] {
    [ResourcePolicy::new("aws-ecr-repository-disallow-mutable-image", Severity::High, immutable_tags)
        .description("Checks that ECR repositories have immutable image tags.")
        .types(["aws_ecr_repository", "aws:ecr/repository:Repository"])
        .help("Set image_tag_mutability to \"IMMUTABLE\" so that a pushed tag cannot be overwritten.")]
}

fn immutable_tags(r: &Resource, _: &Config) -> Outcome {
    let mutability = r.get("image_tag_mutability");
    // Absent, or not set in the configuration, means MUTABLE, the AWS default.
    let value = mutability.as_configured().str_or("MUTABLE")?;
    require(
        value.eq_ignore_ascii_case("IMMUTABLE"),
        format!(
            "ECR repository image tags are mutable ({} is {}{}).",
            mutability.path_string(),
            mutability.display(),
            if mutability.is_known() { "" } else { ", which means MUTABLE" }
        ),
    )
}
