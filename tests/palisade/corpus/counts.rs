//! Resource and policy-target counts computed here from the raw JSON with
//! `serde_json::Value`, independently of the parsers, and checked against
//! the parsers for every corpus file.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

use palisade_engine::input::{detect_format, read_input};
use serde_json::Value;

use super::{CORPUS, ERRORED_PLAN, corpus_files, decode_independently, expected_format};

// ------------------------------------------------ independent expectations

/// (resources, policy targets) of a decoded corpus file of `folder`,
/// computed from the raw document.
pub(super) fn expected(folder: &str, text: &str) -> (usize, usize) {
    match folder {
        "tfplan" => expect_plan(&parse(text)),
        "tfstate" => expect_state(&parse(text)),
        "pulumi_stack_export" => expect_export(&parse(text)),
        _ => expect_events(text),
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("test could not parse: {e}"))
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn expect_plan(doc: &Value) -> (usize, usize) {
    let changes = list(&doc["resource_changes"]);
    let targets = changes
        .iter()
        .filter(|rc| rc["mode"] == "managed" && rc.get("deposed").is_none())
        .filter(|rc| {
            let actions: Vec<&str> = list(&rc["change"]["actions"]).iter().filter_map(Value::as_str).collect();
            actions != ["delete"] && actions != ["forget"]
        })
        .count();
    // One provider resource per provider configuration, aliased ones too.
    let providers = doc["configuration"]["provider_config"].as_object().map_or(0, |m| m.len());
    (changes.len() + providers, targets)
}

fn expect_state(doc: &Value) -> (usize, usize) {
    let resources = list(&doc["resources"]);
    let count = |managed_only: bool| {
        resources
            .iter()
            .filter(|r| !managed_only || r["mode"] == "managed")
            .map(|r| list(&r["instances"]).iter().filter(|i| !managed_only || i.get("deposed").is_none()).count())
            .sum()
    };
    (count(false), count(true))
}

fn is_managed_state(state: &Value) -> bool {
    let provider = state["type"].as_str().is_some_and(|t| t.starts_with("pulumi:providers:"));
    state["custom"] == true && state["external"] != true && !provider
}

fn expect_export(doc: &Value) -> (usize, usize) {
    let deployment = if doc.get("deployment").is_some() { &doc["deployment"] } else { &doc["checkpoint"]["latest"] };
    let resources = list(&deployment["resources"]);
    let targets = resources.iter().filter(|r| is_managed_state(r) && r["delete"] != true).count();
    (resources.len(), targets)
}

fn expect_events(text: &str) -> (usize, usize) {
    let mut order: Vec<String> = Vec::new();
    let mut seen: HashMap<String, (Vec<String>, Value)> = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let event = parse(line);
        for kind in ["resourcePreEvent", "resOutputsEvent", "resOpFailedEvent"] {
            let md = &event[kind]["metadata"];
            let Some(urn) = md["urn"].as_str() else {
                continue;
            };
            if !seen.contains_key(urn) {
                order.push(urn.to_string());
            }
            let entry = seen.entry(urn.to_string()).or_insert((Vec::new(), Value::Null));
            entry.0.push(md["op"].as_str().unwrap_or_default().to_string());
            for side in ["old", "new"] {
                if !md[side].is_null() && (side == "new" || entry.1.is_null()) {
                    entry.1 = md[side].clone();
                }
            }
        }
    }
    let targets = seen
        .values()
        .filter(|(ops, state)| {
            let replace =
                ops.iter().any(|o| ["replace", "create-replacement", "delete-replaced"].contains(&o.as_str()));
            let last = ops.last().map(String::as_str).unwrap_or_default();
            let gone = ["delete", "discard", "discard-replaced", "remove-pending-replace"].contains(&last);
            let read = last.starts_with("read");
            is_managed_state(state) && (replace || (!gone && !read))
        })
        .count();
    (order.len(), targets)
}

// ------------------------------------------------------------ corpus tests

/// One check per corpus file; every failing file is reported by name.
#[test]
fn every_corpus_file_parses_with_independently_counted_resources() {
    let mut failures = Vec::new();
    let files = corpus_files();
    for file in &files {
        let (folder, label) = (file.folder, file.label());
        let bytes = file.bytes();
        let text = decode_independently(&bytes);
        match (read_input(&label, &bytes, None), file.name.as_str()) {
            (Err(e), ERRORED_PLAN) if e.is_incomplete_plan() && e.to_string().starts_with(&label) => {}
            (other, ERRORED_PLAN) => failures.push(format!("{label}: expected IncompletePlan, got {other:?}")),
            (Err(e), _) => failures.push(format!("{label}: {e}")),
            (Ok(stack), _) => {
                if stack.format != expected_format(folder) {
                    failures.push(format!("{label}: detected as {}", stack.format));
                }
                if detect_format(&label, &text).ok() != Some(expected_format(folder)) {
                    failures.push(format!("{label}: detect_format disagrees"));
                }
                let (count, targets) = expected(folder, &text);
                let got = (stack.resources.len(), stack.policy_target_count());
                eprintln!("{label}: {} resources, {} policy targets", got.0, got.1);
                if got != (count, targets) {
                    failures.push(format!("{label}: (resources, targets) = {got:?}, expected {:?}", (count, targets)));
                }
                if stack.resources.iter().any(|r| r.source != label) {
                    failures.push(format!("{label}: a resource has the wrong source"));
                }
                let mut addresses: Vec<&str> = stack.resources.iter().map(|r| r.address.as_str()).collect();
                addresses.sort_unstable();
                addresses.dedup();
                if addresses.len() != stack.resources.len() {
                    failures.push(format!("{label}: duplicate addresses"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} files failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}

#[test]
fn sources_tsv_lists_exactly_the_corpus_files() {
    let tsv = fs::read_to_string(PathBuf::from(CORPUS).join("SOURCES.tsv")).unwrap_or_default();
    let mut listed: Vec<&str> = tsv.lines().skip(1).filter_map(|l| l.split('\t').next()).collect();
    listed.sort_unstable();
    let mut files: Vec<String> = corpus_files().iter().map(|f| f.label()).collect();
    files.sort();
    assert_eq!(listed, files);
}
