//! `edge-probe`: a test pack for the edge-case suite (`tests/cases/`).
//!
//! Its policies show what the engine hands a guest and what the engine does
//! with what a guest answers, where the built-in pack cannot:
//!
//! - `probe-echo` prints raw values into its messages, as a careless policy
//!   would, so a case can pin that the engine redacts secrets in output;
//! - `probe-require` is a generic "must be set" rule on one property;
//! - `probe-fix` proposes the JSON Patch of its config as a fix;
//! - `probe-providers` lists the provider configurations a stack policy sees;
//! - `probe-crash` and `probe-crash-stack` panic (a trap) on every input.
//!
//! Built from source by the test support (`edge_probe()` of
//! `tests/palisade/support.rs`, `./build.sh OUT`).

use palisade_sdk::prelude::*;
use palisade_sdk::serde_json::Value;

/// The pack: every probe policy.
fn pack() -> Pack {
    let paths = json!({"type": "object", "properties": {
        "paths": {"type": "array", "items": {"type": "string"}, "default": []}}});
    Pack::new("edge-probe", "1.0.0")
        .description("Probes for the edge-case suite: echo values, require a property, list providers, crash.")
        .policy(
            ResourcePolicy::new("probe-echo", Severity::Low, echo)
                .description("Reports the raw value at each of `paths` (dotted) on every resource that has it.")
                .enforcement(EnforcementLevel::Advisory)
                .config_schema(paths),
        )
        .policy(
            ResourcePolicy::new("probe-require", Severity::High, require_set)
                .description("Requires `path` (dotted) to be set (not absent, not null) on resources of `types`.")
                .enforcement(EnforcementLevel::Mandatory)
                .config_schema(json!({"type": "object", "properties": {
                    "path": {"type": "string", "default": "kms_key_id"},
                    "types": {"type": "array", "items": {"type": "string"}, "default": []}}})),
        )
        .policy(
            ResourcePolicy::new("probe-fix", Severity::Medium, fix)
                .description("Proposes `patch` (a JSON Patch) as the fix of every resource, when not empty.")
                .enforcement(EnforcementLevel::Advisory)
                .config_schema(json!({"type": "object", "properties": {
                    "patch": {"type": "array", "items": {"type": "object"}, "default": []}}})),
        )
        .policy(
            StackPolicy::new("probe-providers", Severity::Low, providers)
                .description("Reports every provider configuration with its alias and region.")
                .enforcement(EnforcementLevel::Advisory),
        )
        .policy(
            ResourcePolicy::new("probe-crash", Severity::Low, crash)
                .description("Panics on every resource.")
                .enforcement(EnforcementLevel::Advisory),
        )
        .policy(
            StackPolicy::new("probe-crash-stack", Severity::Low, crash_stack)
                .description("Panics on every stack.")
                .enforcement(EnforcementLevel::Advisory),
        )
}

palisade_sdk::export_pack!(pack);

/// The property at a dotted path (`a.b.0.c`: keys, or indexes into lists).
fn at<'a>(r: &Resource<'a>, dotted: &str) -> Prop<'a> {
    let mut parts = dotted.split('.');
    let mut prop = r.get(parts.next().unwrap_or_default());
    for part in parts {
        prop = match part.parse::<usize>() {
            Ok(i) => prop.at(i),
            Err(_) => prop.get(part),
        };
    }
    prop
}

fn echo(r: &Resource, config: &Config) -> Outcome {
    let shown: Vec<String> = config
        .strings("paths")
        .into_iter()
        .filter_map(|p| at(r, p).json().map(|v| format!("{p} = {}", raw(v))))
        .collect();
    if shown.is_empty() { Ok(()) } else { violation(shown.join("; ")) }
}

/// A value as a careless policy prints it: strings bare, the rest as JSON.
fn raw(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

fn require_set(r: &Resource, config: &Config) -> Outcome {
    let types = config.strings("types");
    if !types.is_empty() && !r.is_type(&types) {
        return Ok(());
    }
    let path = config.str_or("path", "kms_key_id");
    let prop = at(r, path);
    if prop.is_unknown() {
        return Err(prop.unknown().into());
    }
    require(prop.is_known() && !prop.is_null(), format!("{path} is {}.", prop.display()))
}

fn fix(_: &Resource, config: &Config) -> Outcome {
    match config.json().get("patch") {
        Some(Value::Array(ops)) if !ops.is_empty() => {
            violation_with_fix("a fix is proposed", Remediation::patch(Value::Array(ops.clone())))
        }
        _ => Ok(()),
    }
}

fn providers(stack: &Stack, _: &Config) -> Vec<(String, Finding)> {
    stack
        .resources()
        .filter(|r| r.kind() == Kind::Provider)
        .map(|r| {
            let message = format!(
                "provider {} (type {}) alias={} region={}",
                r.name(),
                r.resource_type(),
                r.get("alias").display(),
                r.get("region").display()
            );
            (r.address().to_owned(), Finding::Violation(message))
        })
        .collect()
}

fn crash(r: &Resource, _: &Config) -> Outcome {
    panic!("probe-crash fails on {}", r.address())
}

fn crash_stack(stack: &Stack, _: &Config) -> Vec<(String, Finding)> {
    panic!("probe-crash-stack fails on a stack of {} resources", stack.len())
}
