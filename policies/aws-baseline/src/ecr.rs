//! ECR repositories.

use palisade_sdk::prelude::*;

pub fn policies() -> [ResourcePolicy; 1] {
    [ResourcePolicy::new("aws-ecr-repository-disallow-mutable-image", Severity::High, immutable_tags)
        .description("Checks that ECR repositories have immutable image tags; at level remediate, proposes making them immutable (ecr.immutable-tags).")
        .types(["aws_ecr_repository", "aws:ecr/repository:Repository"])
        .help("Set image_tag_mutability to \"IMMUTABLE\" so that a pushed tag cannot be overwritten. At enforcement level remediate, `palisade remediate --allow-action ecr.immutable-tags` sets it on a live repository.")]
}

fn immutable_tags(r: &Resource, _: &Config) -> Outcome {
    let mutability = r.get("image_tag_mutability");
    // Absent, or not set in the configuration, means MUTABLE, the AWS default.
    let value = mutability.as_configured().str_or("MUTABLE")?;
    if value.eq_ignore_ascii_case("IMMUTABLE") {
        return Ok(());
    }
    let message = format!(
        "ECR repository image tags are mutable ({} is {}{}).",
        mutability.path_string(),
        mutability.display(),
        if mutability.is_known() { "" } else { ", which means MUTABLE" }
    );
    // A value the provider fills in cannot be patched: no fix then.
    if mutability.is_unknown() {
        return violation(message);
    }
    violation_with_fix(message, Remediation::action("ecr.immutable-tags"))
}
