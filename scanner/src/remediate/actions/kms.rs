//! `kms.enable-rotation`: the re-read (`GetKeyRotationStatus`) and the call
//! (`EnableKeyRotation`).

use aws_config::SdkConfig;
use aws_sdk_kms as kms;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use palisade_model::remediation::action::AwsCall;
use serde_json::{Map, Value};

use super::{CallResult, ReadError, Reread, sort_error, str_param, to_props};
use crate::aws::describe_sdk_error;
use crate::aws::live::raw::{Raw, object};

fn client(config: &SdkConfig, region: &str) -> kms::Client {
    kms::Client::from_conf(
        kms::config::Builder::from(config).region(kms::config::Region::new(region.to_string())).build(),
    )
}

/// Re-read key `id`'s rotation status (`UnsupportedOperationException`:
/// a key that cannot rotate, as the reader: rotation off);
/// `NotFoundException` is [`ReadError::Gone`].
pub(super) async fn reread(config: &SdkConfig, region: &str, id: &str, reads: &mut usize) -> Result<Reread, ReadError> {
    *reads += 1;
    let status = match client(config, region).get_key_rotation_status().key_id(id).send().await {
        Ok(out) => object([
            ("KeyRotationEnabled", out.key_rotation_enabled().raw()),
            ("RotationPeriodInDays", out.rotation_period_in_days().raw()),
        ]),
        Err(e) if e.code() == Some("UnsupportedOperationException") => Value::Null,
        Err(e) => return Err(sort_error("kms:GetKeyRotationStatus", &e, &["NotFoundException"])),
    };
    Ok(Reread { props: to_props("aws_kms_key", &raw_of(status))?, at_aws: None })
}

/// The raw output of the re-read, as the reader records it.
fn raw_of(status: Value) -> Value {
    Value::Object(Map::from_iter([("GetKeyRotationStatus".to_string(), status)]))
}

/// Send `kms:EnableKeyRotation`.
pub(super) async fn send(config: &SdkConfig, region: &str, call: &AwsCall) -> Result<CallResult, String> {
    if call.operation != "kms:EnableKeyRotation" {
        return Err(format!("{} is not a KMS call Palisade makes", call.operation));
    }
    let id = str_param(&call.parameters, "KeyId")?;
    client(config, region).enable_key_rotation().key_id(id).send().await.map_err(|e| describe_sdk_error(&e))?;
    Ok(CallResult::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::remediation::action::Action;
    use serde_json::json;

    #[test]
    fn recorded_answers_give_the_scans_slice() {
        let action = Action::KmsEnableRotation;
        let off = to_props("aws_kms_key", &raw_of(json!({"KeyRotationEnabled": false}))).expect("props");
        assert_eq!(action.slice(&off), json!({"enable_key_rotation": false}));
        let unsupported = to_props("aws_kms_key", &raw_of(Value::Null)).expect("props");
        assert_eq!(action.slice(&unsupported), json!({"enable_key_rotation": false}));
        let on = json!({"KeyRotationEnabled": true, "RotationPeriodInDays": 365});
        let on = to_props("aws_kms_key", &raw_of(on)).expect("props");
        assert_eq!(on["rotation_period_in_days"], json!(365));
        assert_eq!(action.slice(&on), action.expected(&action.slice(&off)));
    }
}
