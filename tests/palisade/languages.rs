//! The example pack in seven languages (`examples/policies/`): each is built
//! from source by its own `build.sh`, loaded by the engine (core modules and
//! components alike), and run on the same Terraform and Pulumi inputs with
//! three configs. Every language must report exactly the findings recorded
//! in `examples/policies/testdata/expected/`, so all seven agree.
//!
//! A language whose toolchain is missing fails, naming the install command;
//! nothing is skipped. `PALISADE_BLESS=1` rewrites the expected files from
//! the Rust pack (review the diff).
//!
//! One input is a batch written by hand (`*.batch.json`), handed to the packs
//! as it is, without a parser: its resources carry `unset` and `encrypted`
//! (ABI section 4), so every helper layer's value states are tested whatever
//! the parsers write.
//!
//! [`verify`] also checks the frozen copies of the example (`contract.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use palisade_engine::model::{InputFormat, Resource, Stack};
use palisade_engine::{Engine, EngineBuilder, PolicySettings, input};
use serde_json::{Value, json};

use crate::support::{repo, run_build_script};

/// The inputs every language is run on: Terraform plans (one with a
/// `configuration` section: values it leaves out are unset), a Pulumi
/// preview, a Pulumi event log, stack exports (one with an encrypted secret)
/// and a batch written by hand ([`read`]).
const INPUTS: &[&str] = &[
    "examples/policies/testdata/buckets.tfplan.json",
    "examples/policies/testdata/buckets.preview.json",
    "examples/policies/testdata/states.tfplan.json",
    "examples/policies/testdata/states.stack-export.json",
    "examples/policies/testdata/states.batch.json",
    "examples/plans/web-stack.tfplan.json",
    "tests/data/corpus/tfplan/bridgecrewio__checkov__nested-child-modules-connections.json",
    "tests/data/corpus/tfplan/terraform-compliance__cli__module-depth3.json",
    "tests/data/corpus/pulumi_events/pulumi__pulumi__events-webserver-userdata.jsonl",
    "tests/data/corpus/pulumi_stack_export/pulumi__pulumi-awsx__stack-export-ts-lb-attach-ec2.json",
];

/// The inputs of contract 1.0.0, on which the frozen guests' expected files
/// (`contract.rs`) were recorded: [`INPUTS`] before the `states.*` inputs
/// were added.
pub(crate) const INPUTS_1_0: &[&str] = &[
    "examples/policies/testdata/buckets.tfplan.json",
    "examples/policies/testdata/buckets.preview.json",
    "examples/plans/web-stack.tfplan.json",
    "tests/data/corpus/tfplan/bridgecrewio__checkov__nested-child-modules-connections.json",
    "tests/data/corpus/tfplan/terraform-compliance__cli__module-depth3.json",
    "tests/data/corpus/pulumi_events/pulumi__pulumi__events-webserver-userdata.jsonl",
    "tests/data/corpus/pulumi_stack_export/pulumi__pulumi-awsx__stack-export-ts-lb-attach-ec2.json",
];

/// The configs of `required-tags`, by name: the schema default, two keys
/// (with a duplicate and a non-string to ignore), no keys, and a string
/// where an array belongs (no keys).
fn configs() -> Vec<(&'static str, Option<Value>)> {
    vec![
        ("default", None),
        ("owner-team", Some(json!({"tags": ["owner", "team", "owner", 5]}))),
        ("none", Some(json!({"tags": []}))),
        ("not-an-array", Some(json!({"tags": "owner"}))),
    ]
}

/// One engine for all languages, with the module cache under `target/`.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        EngineBuilder::new().cache_dir(Some(repo("target/test-cache"))).build().expect("the engine starts")
    })
}

/// Build `examples/policies/<lang>` with its `build.sh`; the `.wasm` path.
fn build(lang: &str) -> PathBuf {
    let out = repo(&format!("target/examples/out/{lang}.wasm"));
    std::fs::create_dir_all(out.parent().expect("has a parent")).expect("create target/examples/out");
    run_build_script(&format!("examples/policies/{lang}/build.sh"), &out, lang);
    out
}

/// A build of the example pack: its language (the pack is `example-<lang>`,
/// a component for Python and JavaScript), how failures name it, its file,
/// and the inputs to run it on (the first is also run through the CLI).
pub(crate) struct Built<'a> {
    pub lang: &'a str,
    pub label: &'a str,
    pub wasm: &'a Path,
    pub inputs: &'a [&'a str],
}

/// Check a build of the example pack: its findings on every input with
/// every config (and its policies' metadata) equal the files of
/// `expected_dir` (under the repository root), which `bless` rewrites
/// instead; and the CLI reports the same. A mismatch names the build, the
/// config, the input and the first differing finding.
pub(crate) fn verify(built: &Built<'_>, expected_dir: &str, bless: bool) {
    let got = findings(built);
    cli_report(built, &got);
    for (name, value) in &got {
        let path = repo(&format!("{expected_dir}/{name}.json"));
        if bless {
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create the expected folder");
            let text = serde_json::to_string_pretty(value).expect("serializes") + "\n";
            std::fs::write(&path, text).expect("write the expected file");
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (a bless writes it: see the test module's docs)", path.display()));
        let want: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if &want != value {
            panic!("{} disagrees with {}:\n{}", built.label, path.display(), first_difference(&want, value));
        }
    }
}

/// The findings of `built` per config, per input: the fields that must
/// agree across languages.
fn findings(built: &Built<'_>) -> BTreeMap<String, Value> {
    let label = built.label;
    let pack = engine().load_pack_file(built.wasm).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(pack.metadata.name, format!("example-{}", built.lang), "{label}: the pack's name");
    let mut by_config = BTreeMap::new();
    for (config_name, config) in configs() {
        let mut settings = PolicySettings::default();
        if let Some(config) = config {
            settings.configs.insert("required-tags".into(), config);
        }
        let mut per_input = BTreeMap::new();
        for rel in built.inputs {
            let stack = read(rel);
            let found = engine().check(std::slice::from_ref(&pack), &[stack], &settings);
            assert!(found.policy_errors.is_empty(), "{label} on {rel} ({config_name}): {:#?}", found.policy_errors);
            let rows: Vec<Value> = found
                .violations
                .iter()
                .map(|v| json!([v.resource, v.policy, v.enforcement_level, v.severity, v.undecided, v.message]))
                .collect();
            per_input.insert(rel.to_string(), Value::Array(rows));
        }
        by_config.insert(config_name.to_string(), json!(per_input));
    }
    // The policies' metadata must agree too.
    let meta: Vec<Value> = pack
        .metadata
        .policies
        .iter()
        .map(|p| {
            json!([
                p.name,
                p.description,
                p.severity,
                p.enforcement_level,
                p.kind,
                p.resource_types,
                p.config_schema,
                p.help
            ])
        })
        .collect();
    by_config.insert("describe".to_string(), Value::Array(meta));
    by_config
}

/// The stack of the input `rel`: read by its parser, or, for a batch written
/// by hand (`*.batch.json`: the batch document of ABI section 4), its
/// resources as they are.
fn read(rel: &str) -> Stack {
    let bytes = std::fs::read(repo(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    if !rel.ends_with(".batch.json") {
        return input::read_input(rel, &bytes, None).unwrap_or_else(|e| panic!("{e}"));
    }
    #[derive(serde::Deserialize)]
    struct Batch {
        resources: Vec<Resource>,
    }
    let batch: Batch = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
    Stack { source: rel.to_string(), format: InputFormat::TfPlan, resources: batch.resources, notes: Vec::new() }
}

/// Build `lang`'s example and check it against
/// `examples/policies/testdata/expected/` (`PALISADE_BLESS=1` rewrites the
/// files from the Rust pack).
fn check(lang: &str) {
    let wasm = build(lang);
    let bless = lang == "rust" && std::env::var_os("PALISADE_BLESS").is_some();
    verify(&Built { lang, label: lang, wasm: &wasm, inputs: INPUTS }, "examples/policies/testdata/expected", bless);
}

/// `palisade check --pack` with the built pack on the first input: exit 1
/// (mandatory violations), the pack's kind in the provenance, and the same
/// violations as through the engine with the default config.
fn cli_report(built: &Built<'_>, got: &BTreeMap<String, Value>) {
    let label = built.label;
    let wasm = built.wasm.to_str().expect("utf-8 path");
    let first = built.inputs[0];
    let out = crate::support::palisade(&["check", "--pack", wasm, "--format", "json", first], None);
    assert_eq!(crate::support::code(&out), 1, "{label}: {}", String::from_utf8_lossy(&out.stderr));
    let report = crate::support::json(&out);
    let kind = if matches!(built.lang, "python" | "javascript") { "component" } else { "module" };
    assert_eq!(report["provenance"]["packs"][0]["kind"], kind, "{label}: the pack's kind");
    let rows: Vec<Value> = report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| {
            json!([v["resource"], v["policy"], v["enforcement_level"], v["severity"], v["undecided"], v["message"]])
        })
        .collect();
    assert_eq!(Some(&Value::Array(rows)), got["default"].get(first), "{label}: the CLI's report");
}

/// A short description of where two JSON values first differ.
fn first_difference(want: &Value, got: &Value) -> String {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                match b.get(k) {
                    Some(vb) if vb == va => {}
                    Some(vb) => return format!("at {k}: {}", first_difference(va, vb)),
                    None => return format!("missing {k}"),
                }
            }
            b.keys().find(|k| !a.contains_key(*k)).map_or("equal".into(), |k| format!("unexpected {k}"))
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                if va != vb {
                    return format!("item {i}: expected {va}, got {vb}");
                }
            }
            format!(
                "expected {} items, got {}: {}",
                a.len(),
                b.len(),
                if a.len() > b.len() { &a[b.len()] } else { &b[a.len()] }
            )
        }
        _ => format!("expected {want}, got {got}"),
    }
}

#[test]
fn rust() {
    check("rust");
}

#[test]
fn c() {
    check("c");
}

#[test]
fn zig() {
    check("zig");
}

#[test]
fn assemblyscript() {
    check("assemblyscript");
}

#[test]
fn go() {
    check("go");
}

#[test]
fn python() {
    check("python");
}

#[test]
fn javascript() {
    check("javascript");
}
