//! `rds.disable-public-access`: the re-read (`DescribeDBInstances` with the
//! identifier) and the call (`ModifyDBInstance PubliclyAccessible=false
//! ApplyImmediately=true`).
//!
//! AWS applies the change asynchronously: the instance turns `modifying`
//! and keeps `PubliclyAccessible: true` until its DNS changes. The API's
//! `PendingModifiedValues` has no `PubliclyAccessible` member (aws-sdk-rds
//! 1.159 follows the API model), so "pending at AWS" is read from
//! `DBInstanceStatus`: `modifying` while still publicly accessible.

use aws_config::SdkConfig;
use aws_sdk_rds as rds;
use palisade_model::remediation::action::AwsCall;
use palisade_model::remediation::report::{Verification, Verified};
use serde_json::{Map, Value, json};

use super::{CallResult, ReadError, Reread, bool_param, sort_error, str_param, to_props};
use crate::aws::describe_sdk_error;
use crate::aws::live::raw::{Raw, object};

fn client(config: &SdkConfig, region: &str) -> rds::Client {
    rds::Client::from_conf(
        rds::config::Builder::from(config).region(rds::config::Region::new(region.to_string())).build(),
    )
}

/// Re-read DB instance `id`; `DBInstanceNotFound` is [`ReadError::Gone`].
/// [`Reread::at_aws`] is set when it is `modifying` and still publicly
/// accessible.
pub(super) async fn reread(config: &SdkConfig, region: &str, id: &str, reads: &mut usize) -> Result<Reread, ReadError> {
    *reads += 1;
    let out = client(config, region)
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .map_err(|e| sort_error("rds:DescribeDBInstances", &e, &["DBInstanceNotFound"]))?;
    let Some(db) = out.db_instances().iter().find(|d| d.db_instance_identifier() == Some(id)) else {
        return Err(ReadError::Gone(format!("rds:DescribeDBInstances did not return instance {id}")));
    };
    let props = to_props("aws_db_instance", &raw_of(instance_raw(db)))?;
    Ok(Reread { props, at_aws: in_progress(db) })
}

/// Why the instance's `PubliclyAccessible: false` counts as accepted and
/// pending: it is `modifying` and still publicly accessible.
fn in_progress(db: &rds::types::DbInstance) -> Option<String> {
    (db.db_instance_status() == Some("modifying") && db.publicly_accessible() == Some(true)).then(|| {
        "AWS reports the instance `modifying` and still publicly accessible: the change is being applied \
         (the API shows no pending PubliclyAccessible value); verify again once it is available"
            .to_string()
    })
}

/// The raw output of the re-read, as the reader records it.
fn raw_of(instance: Value) -> Value {
    Value::Object(Map::from_iter([("DescribeDBInstances".to_string(), instance)]))
}

/// An instance's raw output with the members the reader derives
/// (`Derived.VpcSecurityGroupIds`, `Derived.Endpoint`): the same as the
/// RDS reader's private `instance_raw`, which this module cannot reach.
fn instance_raw(db: &rds::types::DbInstance) -> Value {
    let mut raw = db.raw();
    let ids: Vec<&str> = db.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).collect();
    let endpoint = db.endpoint().and_then(|e| Some(format!("{}:{}", e.address()?, e.port()?)));
    if let Value::Object(members) = &mut raw {
        members.insert("Derived".into(), object([("VpcSecurityGroupIds", json!(ids)), ("Endpoint", endpoint.raw())]));
    }
    raw
}

/// Send `rds:ModifyDBInstance`. When the answer's instance is still
/// publicly accessible, the result carries [`Verification::Pending`].
pub(super) async fn send(config: &SdkConfig, region: &str, call: &AwsCall) -> Result<CallResult, String> {
    if call.operation != "rds:ModifyDBInstance" {
        return Err(format!("{} is not an RDS call Palisade makes", call.operation));
    }
    let p = &call.parameters;
    let out = client(config, region)
        .modify_db_instance()
        .db_instance_identifier(str_param(p, "DBInstanceIdentifier")?)
        .publicly_accessible(bool_param(p, "PubliclyAccessible")?)
        .apply_immediately(bool_param(p, "ApplyImmediately")?)
        .send()
        .await
        .map_err(|e| describe_sdk_error(&e))?;
    let verification = out.db_instance().filter(|db| db.publicly_accessible() == Some(true)).map(|db| Verified {
        result: Verification::Pending,
        detail: format!(
            "AWS accepted ModifyDBInstance; the instance is `{}` and publicly accessible until the change is applied",
            db.db_instance_status().unwrap_or("?")
        ),
    });
    Ok(CallResult { verification })
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::remediation::action::Action;

    #[test]
    fn recorded_answers_give_the_scans_slice_and_pending_changes() {
        let db = |public: bool, status: &str| {
            rds::types::DbInstance::builder()
                .db_instance_identifier("db-public")
                .db_instance_arn("arn:aws:rds:us-east-1:123456789012:db:db-public")
                .engine("postgres")
                .db_instance_status(status)
                .publicly_accessible(public)
                .vpc_security_groups(
                    rds::types::VpcSecurityGroupMembership::builder().vpc_security_group_id("sg-1").build(),
                )
                .endpoint(rds::types::Endpoint::builder().address("db-public.x.rds.amazonaws.com").port(5432).build())
                .build()
        };
        let action = Action::RdsDisablePublicAccess;
        let public = to_props("aws_db_instance", &raw_of(instance_raw(&db(true, "available")))).expect("props");
        assert_eq!(public["vpc_security_group_ids"], json!(["sg-1"]));
        assert_eq!(public["endpoint"], json!("db-public.x.rds.amazonaws.com:5432"));
        let before = action.slice(&public);
        assert_eq!(before, json!({"publicly_accessible": true}));
        let private = to_props("aws_db_instance", &raw_of(instance_raw(&db(false, "available")))).expect("props");
        assert_eq!(action.slice(&private), action.expected(&before));
        assert!(in_progress(&db(true, "available")).is_none());
        assert!(in_progress(&db(false, "modifying")).is_none());
        assert!(in_progress(&db(true, "modifying")).is_some_and(|d| d.contains("modifying")));
    }
}
