//! KMS keys.

use palisade_sdk::prelude::*;

pub fn policies() -> [ResourcePolicy; 1] {
    [ResourcePolicy::new("aws-kms-key-enable-key-rotation", Severity::Medium, key_rotation)
        .description("Checks that symmetric KMS keys have automatic key rotation enabled; at level remediate, proposes enabling it (kms.enable-rotation).")
        .types(["aws_kms_key", "aws:kms/key:Key"])
        .help("Set enable_key_rotation to true. Asymmetric and HMAC keys cannot rotate and are not checked. At enforcement level remediate, `palisade remediate --allow-action kms.enable-rotation` enables rotation of a live key.")]
}

fn key_rotation(r: &Resource, _: &Config) -> Outcome {
    // Only symmetric encryption keys can rotate; absent (or not set in the
    // configuration) means SYMMETRIC_DEFAULT, and rotation off.
    let props = r.configured();
    let mut spec_unknown = None;
    for key in ["customer_master_key_spec", "key_spec"] {
        match props.get(key).str() {
            Ok(Some(spec)) if !spec.eq_ignore_ascii_case("SYMMETRIC_DEFAULT") => return Ok(()),
            Ok(_) => {}
            Err(unknown) => spec_unknown = Some(unknown),
        }
    }
    let rotation = r.get("enable_key_rotation");
    if rotation.as_configured().bool()? == Some(true) {
        return Ok(());
    }
    if let Some(unknown) = spec_unknown {
        return Err(unknown.into());
    }
    let message = format!("KMS key does not rotate automatically (enable_key_rotation is {}).", rotation.display());
    // A value the provider fills in cannot be patched: no fix then.
    if rotation.is_unknown() {
        return violation(message);
    }
    violation_with_fix(message, Remediation::action("kms.enable-rotation"))
}
