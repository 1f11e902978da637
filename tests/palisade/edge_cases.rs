//! The data-driven suite of real-world edge cases (issue 7), every file
//! under `tests/cases/` (one file per kind, each with at least two cases of
//! different values). Adding a case needs no Rust.
//!
//! - `plans/` and `live/`: policy cases (the format of
//!   `engine/src/testcase.rs`), run through the engine with the built-in
//!   pack and the `edge-probe` test pack (`tests/guests/edge-probe`), both
//!   built to wasm from source;
//! - `drift/`: drift cases, run through `palisade drift --format json`: a
//!   state and either an inventory snapshot or a live scan of moto, seeded
//!   by the case and optionally behind the throttling proxy (format below).

use std::collections::BTreeMap;
use std::path::Path;

use palisade_engine::testcase::{discover, load_case_file, run_case};
use serde::Deserialize;
use serde_json::Value;

use crate::moto;
use crate::scan::palisade_aws;
use crate::support::{baseline, code, edge_probe, engine, palisade, repo};

#[test]
fn every_policy_edge_case_gives_its_expected_findings() {
    let engine = engine(2000);
    let probe = engine.load_pack_file(edge_probe());
    let packs = [baseline(&engine), probe.expect("edge-probe loads")];
    let mut files = Vec::new();
    for kind in ["plans", "live"] {
        files.extend(discover(&repo(&format!("tests/cases/{kind}"))).expect("tests/cases exists"));
    }
    assert!(files.len() >= 15, "case files are missing under tests/cases: {files:?}");
    let mut failures = Vec::new();
    for path in &files {
        let file = load_case_file(path).unwrap_or_else(|e| panic!("{e}"));
        // A kind is pinned by more than one input.
        assert!(file.cases.len() >= 2, "{}: a kind needs a second case with other values", path.display());
        for case in &file.cases {
            if let Some(why) = run_case(&engine, &packs, &file, case).failure {
                failures.push(format!("{} :: {}\n{why}", path.display(), case.name));
            }
        }
    }
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn palisade_test_runs_the_plan_cases_with_the_probe_beside_the_builtin_pack() {
    let probe = edge_probe().to_str().expect("UTF-8 path");
    let out = palisade(&["test", "builtin:aws-baseline", "tests/cases/plans", "--with-pack", probe], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 0, "{text}");
    assert!(text.contains("PASSED: ") && text.contains(&format!("(builtin:aws-baseline, {probe})")), "{text}");
    // One case file.
    let one = "tests/cases/plans/empty-sensitivity-markers.yaml";
    let out = palisade(&["test", "builtin:aws-baseline", one, "--with-pack", probe], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 0, "{text}");
    assert!(text.contains("PASSED: 3 cases in 1 files"), "{text}");
    // Without the probe, its cases fail naming the policies the pack lacks.
    let out = palisade(&["test", "builtin:aws-baseline", "tests/cases/plans"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 1, "{text}");
    assert!(text.contains("the case names policy `probe-echo`, which the pack does not have"), "{text}");
}

/// A drift case file: `cases:`, each one state against one cloud.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DriftFile {
    cases: Vec<DriftCase>,
}

/// One drift case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DriftCase {
    name: String,
    /// A Terraform state (v4) or Pulumi stack export, inline.
    state: Value,
    /// A `palisade-inventory` snapshot, inline; or `cloud`.
    #[serde(default)]
    inventory: Option<Value>,
    /// A live scan of moto; or `inventory`.
    #[serde(default)]
    cloud: Option<Cloud>,
    expect: DriftExpect,
}

/// A live scan: moto seeded with `seed` (the spec of
/// `tests/support/aws/seed.py`), scanned in `regions`, through the
/// throttling proxy when `throttle` is given.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cloud {
    seed: Value,
    regions: Vec<String>,
    #[serde(default)]
    throttle: Option<Throttle>,
}

/// The proxy answers every `every`th call (0: none) and every call for one
/// of `fail_regions` with `ThrottlingException`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Throttle {
    #[serde(default)]
    every: u32,
    #[serde(default)]
    fail_regions: Vec<String>,
}

/// What the drift report holds. Lists are compared as sets, exactly, when
/// given; `summary` keys are compared one by one with the report's summary
/// (an object value: only the keys it names).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DriftExpect {
    /// State addresses reported missing.
    #[serde(default)]
    missing: Option<Vec<String>>,
    /// Cloud ARNs reported unmanaged.
    #[serde(default)]
    unmanaged: Option<Vec<String>>,
    /// State addresses reported changed.
    #[serde(default)]
    changed: Option<Vec<String>>,
    /// State address to reason, for resources not checked.
    #[serde(default)]
    not_checked: Option<BTreeMap<String, String>>,
    /// Some summary fields (`cloud_resources`, `in_sync`, `unmanaged`...).
    #[serde(default)]
    summary: BTreeMap<String, Value>,
    /// `complete` of the report.
    #[serde(default)]
    complete: Option<bool>,
    /// The exit code of `palisade drift`.
    exit: i32,
}

fn sorted(list: &Value, pointer: &str) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .map(|items| items.iter().filter_map(|i| i.pointer(pointer)?.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// Whether `got` holds `want`: objects key by key (other keys of `got`
/// ignored), anything else equal.
fn holds(got: &Value, want: &Value) -> bool {
    match want {
        Value::Object(w) => w.iter().all(|(k, v)| got.get(k).is_some_and(|g| holds(g, v))),
        _ => got == want,
    }
}

/// Runs one drift case; what differs from its expectations, if anything.
fn run_drift_case(case: &DriftCase, dir: &Path) -> Option<String> {
    let state = dir.join("state.json");
    std::fs::write(&state, case.state.to_string()).expect("write the state");
    let state = state.to_str().expect("UTF-8 path").to_owned();
    let mut args: Vec<String> = ["drift", "--state", &state, "--format", "json"].map(String::from).to_vec();
    let out = match (&case.inventory, &case.cloud) {
        (Some(inventory), None) => {
            let path = dir.join("inventory.json");
            std::fs::write(&path, inventory.to_string()).expect("write the inventory");
            args.extend(["--inventory".into(), path.to_str().expect("UTF-8 path").into()]);
            palisade(&args.iter().map(String::as_str).collect::<Vec<_>>(), None)
        }
        (None, Some(cloud)) => {
            let session = moto::session();
            session.seed(&cloud.seed);
            let proxy = cloud.throttle.as_ref().map(|t| {
                let fail: Vec<&str> = t.fail_regions.iter().map(String::as_str).collect();
                session.throttle_proxy(t.every, &fail)
            });
            match &proxy {
                Some(p) => {
                    args.extend(["--endpoint-url".into(), p.endpoint()]);
                    args.extend(["--retry-backoff-ms", "5", "--max-attempts", "4"].map(String::from));
                }
                None => args.extend(["--endpoint-url".into(), session.endpoint()]),
            }
            for region in &cloud.regions {
                args.extend(["--region".into(), region.clone()]);
            }
            palisade_aws(&session, &args.iter().map(String::as_str).collect::<Vec<_>>())
        }
        _ => return Some("  a case has exactly one of `inventory` and `cloud`".into()),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let Ok(report) = serde_json::from_slice::<Value>(&out.stdout) else {
        return Some(format!("  no JSON report (exit {}): {stderr}", code(&out)));
    };
    let mut problems = Vec::new();
    let mut compare = |what: &str, want: &Option<Vec<String>>, got: Vec<String>| {
        if let Some(want) = want {
            let mut want = want.clone();
            want.sort();
            if want != got {
                problems.push(format!("  - {what}: {want:?}\n  + {what}: {got:?}"));
            }
        }
    };
    compare("missing", &case.expect.missing, sorted(&report["missing"], "/address"));
    compare("unmanaged", &case.expect.unmanaged, sorted(&report["unmanaged"], "/arn"));
    compare("changed", &case.expect.changed, sorted(&report["changed"], "/state/address"));
    if let Some(want) = &case.expect.not_checked {
        let got: BTreeMap<String, String> = report["not_checked"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|n| (n["state"]["address"].as_str().unwrap_or("").into(), n["reason"].as_str().unwrap_or("").into()))
            .collect();
        if *want != got {
            problems.push(format!("  - not_checked: {want:?}\n  + not_checked: {got:?}"));
        }
    }
    for (key, want) in &case.expect.summary {
        let got = &report["summary"][key];
        if !holds(got, want) {
            problems.push(format!("  - summary.{key}: {want}\n  + summary.{key}: {got}"));
        }
    }
    if let Some(want) = case.expect.complete
        && report["complete"] != want
    {
        problems.push(format!("  - complete: {want}\n  + complete: {}", report["complete"]));
    }
    if code(&out) != case.expect.exit {
        problems.push(format!("  - exit: {}\n  + exit: {} ({stderr})", case.expect.exit, code(&out)));
    }
    (!problems.is_empty()).then(|| problems.join("\n"))
}

#[test]
fn every_drift_edge_case_gives_its_expected_report() {
    let files = discover(&repo("tests/cases/drift")).expect("tests/cases/drift exists");
    assert!(files.len() >= 5, "drift case files are missing under tests/cases/drift: {files:?}");
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let file: DriftFile = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(file.cases.len() >= 2, "{}: a kind needs a second case with other values", path.display());
        for case in &file.cases {
            let dir = tempfile::tempdir().expect("tempdir");
            if let Some(why) = run_drift_case(case, dir.path()) {
                failures.push(format!("{} :: {}\n{why}", path.display(), case.name));
            }
        }
    }
    assert!(failures.is_empty(), "{} drift cases failed:\n{}", failures.len(), failures.join("\n\n"));
}
