//! Format detection from a decoded document (rules in [`detect_format`]).

use serde_json::{Map, Value};

use crate::InputFormat;
use crate::error::{InputError, InputErrorKind};
use crate::json::syntax_kind;

/// Top-level keys of a Pulumi engine event (`apitype.EngineEvent`).
pub(crate) const EVENT_KEYS: &[&str] = &[
    "cancelEvent",
    "stdoutEvent",
    "diagnosticEvent",
    "preludeEvent",
    "summaryEvent",
    "resourcePreEvent",
    "resOutputsEvent",
    "resOpFailedEvent",
    "policyEvent",
    "policyRemediationEvent",
    "policyLoadEvent",
    "policyAnalyzeSummaryEvent",
    "policyRemediateSummaryEvent",
    "policyAnalyzeStackSummaryEvent",
    "startDebuggingEvent",
    "progressEvent",
    "errorEvent",
];

/// Guesses the format of a decoded document. `source` names the file in errors.
///
/// Rules, first match wins:
/// 0. An object with `"format": "palisade-inventory"`: [`InputFormat::Inventory`].
/// 1. A JSON object with `sequence` or `timestamp` and an event key
///    (`resourcePreEvent`, ...), a JSON array whose first element is one, or a
///    text that is not one JSON value but whose first non-empty line is one
///    (JSON Lines): [`InputFormat::PulumiEvents`].
/// 2. An object with `resource_changes` or `planned_values`, or with
///    `format_version` but no `values`: [`InputFormat::TfPlan`] (an errored
///    plan is detected here and refused by the parser).
/// 3. An object with `version`, `resources` or `modules`, and one of `lineage`,
///    `serial`, `terraform_version`: [`InputFormat::TfState`]. Also
///    `terraform show -json` of a state (`format_version` and `values`),
///    which the state parser reads from `values.root_module`.
/// 4. An object with `deployment` or `checkpoint`: [`InputFormat::PulumiExport`].
/// 5. An object with `steps`: [`InputFormat::PulumiPreview`].
/// 6. CloudFormation (`AWSTemplateFormatVersion` or `Resources`) and
///    Kubernetes (`apiVersion` and `kind`), as JSON or YAML:
///    [`InputErrorKind::Unsupported`].
/// 7. Terraform configuration in JSON syntax (`.tf.json`: `resource`,
///    `terraform`, `provider`, `module`, ...):
///    [`InputErrorKind::TerraformConfiguration`].
///
/// Errors: [`InputErrorKind::Empty`], [`InputErrorKind::Json`] (not JSON and
/// not recognised), [`InputErrorKind::UnknownFormat`] (naming the top-level keys).
pub fn detect_format(source: &str, text: &str) -> Result<InputFormat, InputError> {
    sniff(source, text).map(|(format, _)| format)
}

/// Detects the format and returns the parsed document when the text is one
/// JSON value (event logs in JSON Lines give `None`).
pub(crate) fn sniff(source: &str, text: &str) -> Result<(InputFormat, Option<Value>), InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(InputError::new(source, None, InputErrorKind::Empty));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value) => classify(source, &value).map(|f| (f, Some(value))),
        Err(err) => {
            if first_line_is_json(text) {
                return Ok((InputFormat::PulumiEvents, None));
            }
            if let Some(what) = yaml_kind(text) {
                return Err(unsupported(source, what));
            }
            if !text.trim_start().starts_with(['{', '[']) {
                let seen = "the text does not start with a JSON object or array; YAML and HCL are not read";
                return Err(InputError::new(source, None, InputErrorKind::UnknownFormat { seen: seen.into() }));
            }
            Err(InputError::new(source, None, syntax_kind(&err, err.line())))
        }
    }
}

fn first_line_is_json(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    match lines.next() {
        Some(line) => serde_json::from_str::<Value>(line).is_ok_and(|v| v.is_object()),
        None => false,
    }
}

fn unsupported(source: &str, what: &str) -> InputError {
    InputError::new(source, None, InputErrorKind::Unsupported { what: what.to_string() })
}

fn is_event(obj: &Map<String, Value>) -> bool {
    (obj.contains_key("sequence") || obj.contains_key("timestamp")) && EVENT_KEYS.iter().any(|k| obj.contains_key(*k))
}

fn classify(source: &str, value: &Value) -> Result<InputFormat, InputError> {
    let obj = match value {
        Value::Object(obj) => obj,
        Value::Array(items) => {
            return match items.first().and_then(Value::as_object) {
                Some(first) if is_event(first) => Ok(InputFormat::PulumiEvents),
                _ => Err(unknown(source, describe_array(items))),
            };
        }
        other => {
            return Err(unknown(source, format!("a single JSON {}", type_name(other))));
        }
    };
    let has = |k: &str| obj.contains_key(k);
    let plan = has("resource_changes") || has("planned_values") || (has("format_version") && !has("values"));
    let shown_state = has("format_version") && has("values");
    let state = has("version")
        && (has("resources") || has("modules"))
        && (has("lineage") || has("serial") || has("terraform_version"));
    if obj.get("format").and_then(Value::as_str) == Some(palisade_model::inventory::INVENTORY_FORMAT) {
        Ok(InputFormat::Inventory)
    } else if is_event(obj) {
        Ok(InputFormat::PulumiEvents)
    } else if plan {
        Ok(InputFormat::TfPlan)
    } else if shown_state || state {
        Ok(InputFormat::TfState)
    } else if has("deployment") || has("checkpoint") {
        Ok(InputFormat::PulumiExport)
    } else if has("steps") {
        Ok(InputFormat::PulumiPreview)
    } else if has("AWSTemplateFormatVersion") || has("Resources") {
        Err(unsupported(source, "CloudFormation templates"))
    } else if has("apiVersion") && has("kind") {
        Err(unsupported(source, "Kubernetes manifests"))
    } else if TF_JSON_KEYS.iter().any(|k| has(k)) {
        Err(InputError::new(source, None, InputErrorKind::TerraformConfiguration))
    } else {
        Err(unknown(source, describe_keys(obj)))
    }
}

fn unknown(source: &str, seen: String) -> InputError {
    InputError::new(source, None, InputErrorKind::UnknownFormat { seen })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn describe_array(items: &[Value]) -> String {
    match items.first() {
        None => "an empty JSON array".into(),
        Some(Value::Object(obj)) => format!("a JSON array of objects; {}", describe_keys(obj)),
        Some(other) => format!("a JSON array of {}s", type_name(other)),
    }
}

fn describe_keys(obj: &Map<String, Value>) -> String {
    if obj.is_empty() {
        return "an empty JSON object".into();
    }
    let mut keys: Vec<String> = obj.keys().take(12).map(|k| format!("`{}`", k.escape_debug())).collect();
    if obj.len() > keys.len() {
        keys.push(format!("and {} more", obj.len() - keys.len()));
    }
    format!("top-level keys seen: {}", keys.join(", "))
}

/// Top-level block types of Terraform configuration, as lines of HCL start.
const HCL_BLOCKS: &[&str] =
    &["resource \"", "terraform {", "provider \"", "module \"", "variable \"", "data \"", "locals {", "output \""];

/// Top-level keys of Terraform configuration in JSON syntax (`.tf.json`).
const TF_JSON_KEYS: &[&str] = &["resource", "terraform", "provider", "module", "variable", "data", "locals", "output"];

/// Refuses, whatever format was asked for, bytes that are no input of any
/// format but a common mistake, with what to run instead: a zip archive
/// (`terraform plan -out`'s binary plan, magic `PK\x03\x04`, or an empty
/// archive's `PK\x05\x06`): [`InputErrorKind::BinaryPlan`].
pub(crate) fn refuse_binary(source: &str, bytes: &[u8]) -> Result<(), InputError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Err(InputError::new(source, None, InputErrorKind::BinaryPlan));
    }
    Ok(())
}

/// Refuses decoded text that is no input of any format but a common
/// mistake: the setup-terraform wrapper's output (first line `[command]`):
/// [`InputErrorKind::TerraformWrapper`]; Terraform configuration (a
/// top-level `resource "`, `terraform {`, `provider "`, `module "`,
/// `variable "`, `data "`, `locals {` or `output "` line, in text that does
/// not start with `{` or `[`): [`InputErrorKind::TerraformConfiguration`].
pub(crate) fn refuse_text(source: &str, text: &str) -> Result<(), InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    if text.starts_with("[command]") {
        return Err(InputError::new(source, None, InputErrorKind::TerraformWrapper));
    }
    if text.starts_with(['{', '[']) {
        return Ok(());
    }
    if text.lines().any(|line| HCL_BLOCKS.iter().any(|b| line.starts_with(b))) {
        return Err(InputError::new(source, None, InputErrorKind::TerraformConfiguration));
    }
    Ok(())
}

/// CloudFormation or Kubernetes YAML, from the top-level (unindented) keys.
fn yaml_kind(text: &str) -> Option<&'static str> {
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with([' ', '\t', '#', '-']))
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim()))
        .collect();
    let has = |k: &str| keys.contains(&k);
    if has("AWSTemplateFormatVersion") || has("Resources") {
        Some("CloudFormation templates")
    } else if has("apiVersion") && has("kind") {
        Some("Kubernetes manifests")
    } else {
        None
    }
}
