//! Palisade inventory snapshots (`format: palisade-inventory`, version 1;
//! [`crate::inventory`], schema `engine/schema/inventory.schema.json`).

use serde_json::Value;

use super::error::{InputError, InputErrorKind};
use super::json::{Ctx, describe};
use crate::inventory::{INVENTORY_FORMAT, INVENTORY_VERSION, Inventory};

/// Reads a snapshot. Errors: `UnknownFormat` when `format` is not
/// `palisade-inventory`, `UnsupportedVersion` for another version, `Shape`
/// with the JSON path of the first value of the wrong structure.
pub(crate) fn parse(ctx: Ctx<'_>, doc: &Value) -> Result<Inventory, InputError> {
    if doc.get("format").and_then(Value::as_str) != Some(INVENTORY_FORMAT) {
        let seen =
            format!("not an inventory snapshot: `$.format` is {}", doc.get("format").map_or("absent".into(), describe));
        return Err(ctx.error(InputErrorKind::UnknownFormat { seen }));
    }
    let version = doc.get("version");
    if version.and_then(Value::as_u64) != Some(u64::from(INVENTORY_VERSION)) {
        return Err(ctx.error(InputErrorKind::UnsupportedVersion {
            field: "$.version".into(),
            seen: format!("inventory version {}", version.map_or("absent".into(), |v| v.to_string())),
            accepted: format!("inventory version {INVENTORY_VERSION}"),
        }));
    }
    let inventory: Inventory = serde_path_to_error::deserialize(doc).map_err(|e| {
        let json_path = format!("$.{}", e.path()).replace(".[", "[");
        ctx.error(InputErrorKind::Shape {
            line: None,
            json_path,
            expected: "a value of the inventory snapshot schema (engine/schema/inventory.schema.json)".into(),
            found: e.inner().to_string(),
        })
    })?;
    let mut seen = std::collections::HashSet::new();
    if let Some((i, dup)) = inventory.resources.iter().enumerate().find(|(_, r)| !seen.insert(r.arn.as_str())) {
        return Err(ctx.error(InputErrorKind::DuplicateAddress { address: format!("{} ($.resources[{i}])", dup.arn) }));
    }
    Ok(inventory)
}
