//! KMS keys (`aws_kms_key`): `ListKeys` finds them; `DescribeKey` and
//! `GetKeyRotationStatus` read each customer managed key. AWS managed keys
//! (`KeyManager: AWS`) are left out: no configuration manages them.
//!
//! API: <https://docs.aws.amazon.com/kms/latest/APIReference/>. Tags come
//! from the scope's Tagging API sweep.

use aws_sdk_kms as kms;
use serde_json::Value;

use super::raw::Raw;
use super::table::{Lit, Rule};
use super::{Call, Ctx, Found, Outcome, Service, TypeReader};

const LIST_KEYS: Call = Call::list("kms", "ListKeys");
const DESCRIBE_KEY: Call = Call::detail("kms", "DescribeKey", &[], &["NotFoundException"]);
const GET_KEY_ROTATION_STATUS: Call =
    Call::detail("kms", "GetKeyRotationStatus", &["UnsupportedOperationException"], &["NotFoundException"]);

/// `aws_kms_key`.
pub static KEY: TypeReader = TypeReader {
    terraform_type: "aws_kms_key",
    tagging_type: "kms:key",
    calls: &[&LIST_KEYS, &DESCRIBE_KEY, &GET_KEY_ROTATION_STATUS],
    rules: &[
        Rule::Copy("ListKeys.KeyId", "key_id"),
        Rule::Copy("DescribeKey.Description", "description"),
        Rule::Copy("DescribeKey.KeyUsage", "key_usage"),
        Rule::Copy("DescribeKey.KeySpec", "customer_master_key_spec"),
        Rule::Copy("DescribeKey.KeyState", "key_state"),
        Rule::Copy("DescribeKey.Enabled", "is_enabled"),
        Rule::Or("DescribeKey.MultiRegion", "multi_region", Lit::Bool(false)),
        Rule::Or("GetKeyRotationStatus.KeyRotationEnabled", "enable_key_rotation", Lit::Bool(false)),
        Rule::Copy("GetKeyRotationStatus.RotationPeriodInDays", "rotation_period_in_days"),
    ],
    own_tags: false,
};

/// The KMS reader.
pub static SERVICE: Service = Service { name: "kms", global: false, types: &[&KEY], read: |ctx| Box::pin(read(ctx)) };

crate::raw_struct! {
    kms::types::KeyListEntry { "KeyId" => key_id, "KeyArn" => key_arn }
    kms::types::KeyMetadata {
        "KeyId" => key_id, "Arn" => arn, "Description" => description, "Enabled" => enabled,
        "KeyUsage" => key_usage, "KeySpec" => key_spec, "KeyState" => key_state, "KeyManager" => key_manager,
        "Origin" => origin, "MultiRegion" => multi_region, "DeletionDate" => deletion_date,
    }
}
crate::raw_enum!(
    kms::types::KeyUsageType,
    kms::types::KeySpec,
    kms::types::KeyState,
    kms::types::KeyManagerType,
    kms::types::OriginType
);

async fn read(ctx: &Ctx) {
    if !ctx.wants(&KEY) {
        return;
    }
    let client = kms::Client::new(&ctx.config);
    let mut pages = client.list_keys().into_paginator().send();
    while let Some(page) = ctx.page(&KEY, &LIST_KEYS, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => return ctx.list_failed(f),
            Outcome::Absent | Outcome::Gone => return,
        };
        let keys: Vec<(String, Found)> = page
            .keys()
            .iter()
            .filter_map(|entry| {
                let (id, arn) = (entry.key_id()?, entry.key_arn()?);
                let mut found = Found::new(&KEY, arn.to_string(), &LIST_KEYS, entry.raw());
                found.id = Some(id.to_string());
                Some((id.to_string(), found))
            })
            .collect();
        let client = &client;
        ctx.each(keys, |(id, mut found)| async move {
            if !ctx.details(&KEY) {
                found.skip(KEY.calls);
                return Some(found);
            }
            describe(ctx, client, &mut found, &id).await.then_some(found)
        })
        .await;
    }
}

/// The detail calls of one key; `false` when it is gone or AWS managed.
async fn describe(ctx: &Ctx, client: &kms::Client, found: &mut Found, id: &str) -> bool {
    let described = ctx.call(&KEY, &DESCRIBE_KEY, client.describe_key().key_id(id).send()).await;
    if let Outcome::Ok(out) = &described
        && out.key_metadata().and_then(|m| m.key_manager()) == Some(&kms::types::KeyManagerType::Aws)
    {
        return false;
    }
    let described = described.map(|out| out.key_metadata().map_or(Value::Null, Raw::raw));
    if !found.record(&DESCRIBE_KEY, described) {
        return false;
    }
    let rotation = ctx.call(&KEY, &GET_KEY_ROTATION_STATUS, client.get_key_rotation_status().key_id(id).send()).await;
    let rotation = rotation.map(|out| {
        super::raw::object([
            ("KeyRotationEnabled", out.key_rotation_enabled().raw()),
            ("RotationPeriodInDays", out.rotation_period_in_days().raw()),
        ])
    });
    found.record(&GET_KEY_ROTATION_STATUS, rotation)
}
