//! Input parsers: bytes of a plan, state, export, preview or event log to a
//! [`Stack`](palisade_model::model::Stack). Pure functions; they know nothing of policies.
//!
//! [`read_input`] decodes the bytes ([`encoding`]: UTF-8, UTF-8 with a BOM,
//! UTF-16 with a BOM), detects the format when none is given
//! ([`detect_format`]) and normalizes every resource to the model of
//! [`palisade_model::model`]. Values under conventionally secret names (`password`,
//! `client_secret`, `auth_token`, `private_key`, ...) are marked secret
//! whatever the input's own markers say
//! ([`palisade_model::secrets::mark_conventional_secrets`]). Every failure is an
//! [`InputError`]; no input panics.
#![deny(missing_docs)]

use palisade_model::model::Stack;

mod detect;
mod encoding;
mod error;
mod inventory;
mod json;
mod masks;
mod pulumi;
mod pulumi_events;
mod pulumi_export;
mod pulumi_preview;
mod pulumi_steps;
mod tfconfig;
mod tfplan;
mod tfproviders;
mod tfstate;
mod tfstate_show;

pub use detect::detect_format;
pub use error::{InputError, InputErrorKind};

/// Read an inventory snapshot ([`palisade_model::inventory`]): decode, parse, check
/// the format and version. `source` names the file in errors.
///
/// Errors: as [`read_input`]; `UnsupportedVersion` for a version other than
/// [`palisade_model::inventory::INVENTORY_VERSION`], `Shape` (with the JSON path)
/// for a document of the wrong structure, `UnknownFormat` for a document
/// that is not a snapshot.
pub fn read_inventory(source: &str, bytes: &[u8]) -> Result<palisade_model::inventory::Inventory, InputError> {
    detect::refuse_binary(source, bytes)?;
    let text = encoding::decode(source, bytes)?;
    detect::refuse_text(source, &text)?;
    let ctx = json::Ctx { source, format: InputFormat::Inventory };
    let doc = json::parse_text(ctx, &text)?;
    inventory::parse(ctx, &doc)
}

pub use palisade_model::model::{FORMAT_NAMES, InputFormat};

/// Parse one input. `source` is the path as given by the user ("-" for stdin);
/// used in errors and `Resource.source`.
///
/// With `format` `None` the format is detected ([`detect_format`]). The bytes
/// may be UTF-8 (with or without a byte-order mark) or UTF-16 with a
/// byte-order mark. Errors: see [`InputErrorKind`]; whatever `format` says,
/// a zip archive (a binary plan), Terraform configuration (HCL) and the
/// setup-terraform wrapper's output are refused with what to run instead.
pub fn read_input(source: &str, bytes: &[u8], format: Option<InputFormat>) -> Result<Stack, InputError> {
    read_input_with_inventory(source, bytes, format).map(|(stack, _)| stack)
}

/// [`read_input`], also giving the snapshot itself when the input is an
/// inventory snapshot (for its scopes' completeness), parsed once.
pub fn read_input_with_inventory(
    source: &str,
    bytes: &[u8],
    format: Option<InputFormat>,
) -> Result<(Stack, Option<palisade_model::inventory::Inventory>), InputError> {
    detect::refuse_binary(source, bytes)?;
    let text = encoding::decode(source, bytes)?;
    detect::refuse_text(source, &text)?;
    let (format, parsed) = match format {
        Some(f) => (f, None),
        None => detect::sniff(source, &text)?,
    };
    let ctx = json::Ctx { source, format };
    let mut snapshot = None;
    let mut notes = Vec::new();
    let mut resources = match (format, parsed) {
        (InputFormat::PulumiEvents, parsed) => pulumi_events::parse(ctx, &text, parsed)?,
        (InputFormat::Inventory, parsed) => {
            let doc = match parsed {
                Some(doc) => doc,
                None => json::parse_text(ctx, &text)?,
            };
            let inventory = inventory::parse(ctx, &doc)?;
            let resources = inventory.to_resources(source);
            notes = inventory.unread_lines();
            snapshot = Some(inventory);
            resources
        }
        (_, parsed) => {
            let doc = match parsed {
                Some(doc) => doc,
                None => json::parse_text(ctx, &text)?,
            };
            let (resources, document_notes) = parse_document(ctx, &doc)?;
            notes = document_notes;
            resources
        }
    };
    // Markers can be missing or empty: conventionally secret names are
    // secret anyway (issue 7).
    resources.iter_mut().for_each(palisade_model::secrets::mark_conventional_secrets);
    let mut seen = std::collections::HashSet::with_capacity(resources.len());
    if let Some(dup) = resources.iter().find(|r| !seen.insert(r.address.as_str())) {
        let kind = InputErrorKind::DuplicateAddress { address: dup.address.clone() };
        return Err(InputError::new(source, Some(format), kind));
    }
    Ok((Stack { source: source.to_string(), format, resources, notes }, snapshot))
}

/// Normalizes a document of a one-value format (all but event logs): its
/// resources, and what the reader says once about it (`Stack::notes`).
fn parse_document(
    ctx: json::Ctx<'_>,
    doc: &serde_json::Value,
) -> Result<(Vec<palisade_model::model::Resource>, Vec<String>), InputError> {
    let resources = match ctx.format {
        InputFormat::TfPlan => return tfplan::parse(ctx, doc),
        InputFormat::TfState => tfstate::parse(ctx, doc),
        InputFormat::PulumiExport => pulumi_export::parse(ctx, doc),
        InputFormat::PulumiPreview => pulumi_preview::parse(ctx, doc),
        InputFormat::PulumiEvents => pulumi_events::parse(ctx, "", Some(doc.clone())),
        InputFormat::Inventory => Ok(inventory::parse(ctx, doc)?.to_resources(ctx.source)),
    };
    Ok((resources?, Vec::new()))
}
