//! Palisade inventory snapshots (`format: palisade-inventory`, versions 1 and 2;
//! [`palisade_model::inventory`], schema `engine/schema/inventory.schema.json`).

use serde_json::Value;

use crate::error::{InputError, InputErrorKind};
use crate::json::{Ctx, describe};
use palisade_model::inventory::{INVENTORY_FORMAT, INVENTORY_VERSIONS_READ, Inventory};

/// Reads a snapshot. Errors: `Shape` at `$.format` when it is not
/// `palisade-inventory`, `UnsupportedVersion` for a version other than 1
/// and 2 (a version 1 snapshot reads with the version 2 fields empty), `Shape`
/// with the JSON path of the first value of the wrong structure.
pub(crate) fn parse(ctx: Ctx<'_>, doc: &Value) -> Result<Inventory, InputError> {
    if doc.get("format").and_then(Value::as_str) != Some(INVENTORY_FORMAT) {
        return Err(ctx.error(InputErrorKind::Shape {
            line: None,
            json_path: "$.format".into(),
            expected: "\"palisade-inventory\" (a snapshot written by `palisade scan --output`)".into(),
            found: doc.get("format").map_or("no such key".into(), describe),
        }));
    }
    let version = doc.get("version");
    if !version.and_then(Value::as_u64).is_some_and(|v| INVENTORY_VERSIONS_READ.iter().any(|&w| u64::from(w) == v)) {
        return Err(ctx.error(InputErrorKind::UnsupportedVersion {
            field: "$.version".into(),
            seen: format!("inventory version {}", version.map_or("absent".into(), |v| v.to_string())),
            accepted: "inventory version 1 or 2".into(),
        }));
    }
    let inventory: Inventory = serde_path_to_error::deserialize(doc).map_err(|e| {
        let json_path = match e.path().to_string().as_str() {
            "." | "" => "$".to_string(),
            path => format!("$.{path}").replace(".[", "["),
        };
        ctx.error(InputErrorKind::Shape {
            line: None,
            json_path,
            expected: "a value of the inventory snapshot schema (engine/schema/inventory.schema.json)".into(),
            found: e.inner().to_string(),
        })
    })?;
    let shape = |json_path: String, expected: &str, found: String| {
        ctx.error(InputErrorKind::Shape { line: None, json_path, expected: expected.into(), found })
    };
    if inventory.provider != "aws" {
        return Err(shape("$.provider".into(), "\"aws\"", format!("{:?}", inventory.provider)));
    }
    if inventory.scopes.is_empty() {
        return Err(shape(
            "$.scopes".into(),
            "at least one scanned account and region",
            "none: a snapshot that scanned nothing cannot stand for the cloud".into(),
        ));
    }
    if let Some((i, r)) = inventory.resources.iter().enumerate().find(|(_, r)| !is_arn(&r.arn)) {
        return Err(shape(
            format!("$.resources[{i}].arn"),
            "an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)",
            format!("{:?}", r.arn),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some((i, dup)) = inventory.resources.iter().enumerate().find(|(_, r)| !seen.insert(r.arn.as_str())) {
        return Err(shape(format!("$.resources[{i}].arn"), "each ARN once", format!("{:?} a second time", dup.arn)));
    }
    Ok(inventory)
}

/// Whether `text` has the six parts of an ARN, with a partition, a service
/// and a resource.
fn is_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    parts.len() == 6 && parts[0] == "arn" && !parts[1].is_empty() && !parts[2].is_empty() && !parts[5].is_empty()
}
