//! The data-driven suite of real-world edge cases (issue 7), every file
//! under `tests/cases/` (one file per kind, each with at least two cases of
//! different values), one trial per file. Adding a case needs no Rust.
//!
//! - `plans/` and `live/` (`edge_cases::plans::STEM`,
//!   `edge_cases::live::STEM`): policy cases (the format of
//!   `engine/src/testcase.rs`), run through the engine with the built-in
//!   pack and the `edge-probe` test pack (`tests/guests/edge-probe`), both
//!   built to wasm from source; and all of `plans/` through `palisade test
//!   --with-pack` (`edge_cases::palisade-test-with-pack`);
//! - `drift/` (`edge_cases::drift::STEM`): drift cases, run through
//!   `palisade drift --format json`: a state and either an inventory
//!   snapshot or a live scan of moto, seeded by the case and optionally
//!   behind the throttling proxy (format below). The moto cases take the
//!   process's moto server one case at a time ([`moto::session`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use libtest_mimic::{Failed, Trial};
use palisade_engine::Pack;
use serde::Deserialize;
use serde_json::Value;

use crate::moto::{self, palisade_aws};
use crate::support::{baseline, code, edge_probe, palisade};
use crate::{case_files, enough_cases, policy_file_trial, shared_engine, verdict};

/// The built-in pack and the `edge-probe` test pack, built and loaded once.
fn packs() -> &'static [Pack] {
    static PACKS: OnceLock<[Pack; 2]> = OnceLock::new();
    PACKS.get_or_init(|| {
        let engine = shared_engine();
        [baseline(engine), engine.load_pack_file(edge_probe()).expect("edge-probe loads")]
    })
}

/// One trial per case file of `tests/cases/{plans,live,drift}`, then the
/// count of files and `palisade test --with-pack` on `plans/`.
pub fn trials() -> Vec<Trial> {
    let mut trials = Vec::new();
    let mut policy_files = 0;
    for kind in ["plans", "live"] {
        for (name, path) in case_files(&format!("edge_cases::{kind}"), &format!("tests/cases/{kind}")) {
            policy_files += 1;
            trials.push(policy_file_trial(name, path, packs, 2));
        }
    }
    let drift = case_files("edge_cases::drift", "tests/cases/drift");
    let drift_files = drift.len();
    trials.extend(drift.into_iter().map(|(name, path)| Trial::test(name, move || run_drift_file(&path))));
    trials.push(Trial::test("edge_cases::enough-case-files", move || {
        if policy_files < 15 || drift_files < 5 {
            return Err(format!(
                "case files are missing under tests/cases: {policy_files} in plans/ and live/ (at least 15), \
                 {drift_files} in drift/ (at least 5)"
            )
            .into());
        }
        Ok(())
    }));
    trials.push(Trial::test("edge_cases::palisade-test-with-pack", || {
        palisade_test_runs_the_plan_cases_with_the_probe_beside_the_builtin_pack();
        Ok(())
    }));
    trials
}

/// `palisade test` runs the plan cases with `--with-pack` (all, then one
/// file), and without the probe its cases fail naming the missing policies.
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
                    // Ten attempts: the readers of every service call at
                    // once, so one call's attempts may all fall on
                    // throttled turns of `every` more often than alone.
                    args.extend(["--retry-backoff-ms", "5", "--max-attempts", "10"].map(String::from));
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

/// Runs every case of the drift case file `path`.
fn run_drift_file(path: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: DriftFile = serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    enough_cases(path, file.cases.len(), 2)?;
    let mut failures = Vec::new();
    for case in &file.cases {
        let dir = tempfile::tempdir().expect("tempdir");
        if let Some(why) = run_drift_case(case, dir.path()) {
            failures.push((case.name.clone(), why));
        }
    }
    verdict(path, file.cases.len(), failures)
}
