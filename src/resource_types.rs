//! The resource types a live scan filters on (`--resource-type`, a
//! scheduled job's `resource_types`), as the Tagging API names them.

use thiserror::Error;

/// A Terraform or AWS-looking type Palisade cannot translate to the
/// Tagging API's name.
#[derive(Debug, Error)]
#[error(
    "--resource-type {given:?}: Palisade does not know this type's Tagging API name; give it as service:type (e.g. ec2:instance)"
)]
pub struct UnknownResourceType {
    /// The type as given.
    pub given: String,
}

/// `given` as Tagging API types, without repeats: those types as given
/// (`ec2:instance`, `s3`, or a service such as `ec2`), Terraform types
/// Palisade knows (`aws_instance`) translated to theirs (`ec2:instance`).
/// A type that starts with `aws_` or `aws:` and is not known is refused.
pub fn tagging_types(given: &[String]) -> Result<Vec<String>, UnknownResourceType> {
    let mut out = Vec::new();
    for t in given {
        let t = match palisade_scanner::arn::rule_for_type(t) {
            Some(rule) => rule.tagging_type(),
            None if t.starts_with("aws_") || t.starts_with("aws:") => {
                return Err(UnknownResourceType { given: t.clone() });
            }
            None => t.clone(),
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}
