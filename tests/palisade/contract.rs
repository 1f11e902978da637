//! The rule for growing the guest contract (`sdk/ABI.md` section 8): a
//! guest built against an older contract keeps loading and giving the same
//! findings, and a host ignores what a newer guest adds.
//!
//! `tests/guests/frozen/` holds the example pack as it was at contract 1.0.0
//! (commit 10eb4c7), as source: the Rust one (a core module, guest ABI 1)
//! with the SDK and ABI crates it was built with vendored, and the Python one
//! (a component of `palisade:policy@1.0.0`) with its helper layer and WIT
//! world. Each is built from that source by the example's current `build.sh`
//! (linked in its folder), checked by `palisade inspect` for the contract it
//! was built for, and run as `languages.rs` runs the live examples: the
//! inputs of contract 1.0.0 (`INPUTS_1_0`) and the same configs, its
//! findings equal to `tests/guests/frozen/expected/`.
//! A mismatch names the guest, the config, the input and the finding.
//! The sources must match `tests/guests/frozen/SHA256SUMS`: they are never
//! edited. Only a change in how the host reads the inputs may change the
//! expected files: `PALISADE_BLESS_FROZEN=1` rewrites them from the frozen
//! Rust guest (review the diff; `PALISADE_BLESS` does not touch them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use palisade_engine::{PackErrorKind, PolicySettings, input};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::languages::{Built, INPUTS_1_0, verify};
use crate::support::{build_once, build_wat, code, engine, json, palisade, repo};

/// The frozen guests' folder, under the repository root.
const FROZEN: &str = "tests/guests/frozen";

/// Build the frozen guest `name` (`rust-1.0`, `python-1.0`: the example in
/// `lang`) once with its `build.sh`, to `target/tmp/frozen/<name>.wasm`;
/// check that `palisade inspect --format json` sees `contract` (its `name`,
/// `kind`, `abi_version`, `wit_package` and `wit_version`) and no problems;
/// then its findings against `expected/` (which `bless` rewrites instead).
fn check(cell: &'static OnceLock<PathBuf>, name: &str, lang: &str, contract: Value, bless: bool) {
    let label = format!("frozen {name}");
    let wasm = build_once(cell, &format!("{FROZEN}/{name}/build.sh"), "frozen", &format!("{name}.wasm"), lang);
    let out = palisade(&["inspect", "--format", "json", wasm.to_str().expect("UTF-8 path")], None);
    assert_eq!(code(&out), 0, "{label}: palisade inspect: {}", String::from_utf8_lossy(&out.stderr));
    let doc = json(&out);
    assert_eq!(doc["problems"], json!([]), "{label}: {doc}");
    let seen = json!(["name", "kind", "abi_version", "wit_package", "wit_version"].map(|k| doc[k].clone()));
    assert_eq!(seen, contract, "{label}: what palisade inspect sees");
    verify(&Built { lang, label: &label, wasm, inputs: INPUTS_1_0 }, &format!("{FROZEN}/expected"), bless);
}

#[test]
fn frozen_rust_1_0_core_module_loads_and_gives_the_same_findings() {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    let contract = json!(["example-rust", "module", 1, null, null]);
    check(&WASM, "rust-1.0", "rust", contract, std::env::var_os("PALISADE_BLESS_FROZEN").is_some());
}

#[test]
fn frozen_python_1_0_component_loads_and_gives_the_same_findings() {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    let contract = json!(["example-python", "component", null, "palisade:policy", "1.0.0"]);
    check(&WASM, "python-1.0", "python", contract, false);
}

/// Every regular file of the frozen guests' sources (not their `target/`
/// build outputs, not the links to the live build scripts), by path
/// relative to [`FROZEN`].
fn frozen_sources(dir: &Path, base: &Path, found: &mut BTreeMap<String, PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.expect("a folder entry");
        let (path, kind) = (entry.path(), entry.file_type().expect("a file type"));
        if kind.is_dir() && entry.file_name() != "target" {
            frozen_sources(&path, base, found);
        } else if kind.is_file() {
            let rel = path.strip_prefix(base).expect("under the base").to_string_lossy().replace('\\', "/");
            found.insert(rel, path);
        }
    }
}

#[test]
fn frozen_sources_are_never_edited() {
    let base = repo(FROZEN);
    let sums = std::fs::read_to_string(base.join("SHA256SUMS")).expect("tests/guests/frozen/SHA256SUMS");
    let want: BTreeMap<String, String> = sums
        .lines()
        .map(|line| {
            let (sum, name) = line.split_once("  ").unwrap_or_else(|| panic!("SHA256SUMS: not `SUM  PATH`: {line}"));
            (name.to_string(), sum.to_string())
        })
        .collect();
    let mut found = BTreeMap::new();
    for guest in ["rust-1.0", "python-1.0"] {
        frozen_sources(&base.join(guest), &base, &mut found);
        for link in ["build.sh", "toolchain.sh"] {
            let path = base.join(guest).join(link);
            let meta = std::fs::symlink_metadata(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(meta.file_type().is_symlink(), "{}: a link to the live script, never a copy", path.display());
        }
    }
    let got: BTreeMap<String, String> = found
        .iter()
        .map(|(rel, path)| {
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (rel.clone(), hex::encode(Sha256::digest(&bytes)))
        })
        .collect();
    for (name, sum) in &want {
        match got.get(name) {
            None => panic!("{FROZEN}/{name} is gone; the frozen guests are never edited (see {FROZEN}/README.md)"),
            Some(s) if s != sum => {
                panic!("{FROZEN}/{name} was edited; the frozen guests are never edited (see {FROZEN}/README.md)")
            }
            Some(_) => {}
        }
    }
    let added: Vec<&String> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(added.is_empty(), "files added to the frozen guests, not in {FROZEN}/SHA256SUMS: {added:?}");
}

/// A core module of a later revision of ABI 1: fields this host does not
/// know in its describe document and its reply, and an export it does not
/// know; the host ignores them all and never calls the export.
#[test]
fn a_newer_core_module_loads_with_its_unknown_fields_and_exports_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = build_wat("newer_guest", dir.path());
    let engine = engine(2000);
    let pack = engine.load_pack_file(&wasm).unwrap_or_else(|e| panic!("the newer guest loads: {e}"));
    assert_eq!(pack.metadata.policies.len(), 1, "{:?}", pack.metadata);
    let rel = "examples/policies/testdata/buckets.tfplan.json";
    let bytes = std::fs::read(repo(rel)).expect("read the plan");
    let stack = input::read_input(rel, &bytes, None).unwrap_or_else(|e| panic!("{e}"));
    let found = engine.check(std::slice::from_ref(&pack), &[stack], &PolicySettings::default());
    assert!(found.policy_errors.is_empty(), "{:#?}", found.policy_errors);
    let rows: Vec<Value> = found.violations.iter().map(|v| json!([v.resource, v.policy, v.message])).collect();
    assert_eq!(rows, [json!(["aws_s3_bucket.public_site", "public-bucket", "The bucket is public."])]);
}

/// A component of a WIT package version the host does not bind is refused
/// at load time, naming its version and the supported one.
#[test]
fn a_component_of_an_unsupported_wit_version_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = build_wat("wit_1_1_import", dir.path());
    let err = engine(1000).load_pack_file(&wasm).expect_err("palisade:policy@1.1.0 is not bound");
    assert!(matches!(&err.kind, PackErrorKind::WitVersion { found } if found == "1.1.0"), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("policy pack "), "{text}");
    assert!(text.contains("palisade:policy@1.1.0") && text.contains("it supports 1.0.0"), "{text}");
    assert!(text.contains("use a newer Palisade"), "{text}");
}

/// The closed set of remediation actions is declared by the host
/// (`ActionKind`) and repeated for policy authors by the Rust SDK and the
/// Python helper layer: the three agree on the kinds and their types.
#[test]
fn the_action_kinds_of_the_sdk_and_the_python_helpers_are_the_hosts() {
    use palisade_engine::remediation::action::ActionKind;
    let host: Vec<(&str, Vec<&str>)> =
        ActionKind::ALL.iter().map(|k| (k.name(), k.resource_types().to_vec())).collect();
    let sdk: Vec<(&str, Vec<&str>)> = palisade_sdk::ACTION_KINDS.iter().map(|(k, t)| (*k, t.to_vec())).collect();
    assert_eq!(sdk, host, "sdk/src/policy.rs ACTION_KINDS");
    let python =
        std::fs::read_to_string(crate::support::repo("examples/policies/python/palisade.py")).expect("palisade.py");
    let block = python.split("ACTION_KINDS = {").nth(1).and_then(|rest| rest.split("\n}").next()).expect("the dict");
    let entries: Vec<&str> = block.split("),").filter(|e| e.contains('"')).collect();
    assert_eq!(entries.len(), host.len(), "one entry per kind: {block}");
    for ((kind, types), entry) in host.iter().zip(&entries) {
        let quoted: Vec<String> = entry.split('"').skip(1).step_by(2).map(str::to_string).collect();
        let mut want = vec![kind.to_string()];
        want.extend(types.iter().map(|t| t.to_string()));
        assert_eq!(quoted, want, "palisade.py ACTION_KINDS entry for {kind}");
    }
}
