//! The data-driven suites, one trial per case file (`harness = false`, run by
//! libtest-mimic): `cargo test --test case_files STEM` runs the files whose
//! trial name contains `STEM`, and a failing trial names its file and each
//! failing case.
//!
//! Trials, named after the folder and the file stem:
//!
//! - `policy_cases::STEM`: `policies/aws-baseline/tests/cases/STEM.yaml`,
//!   the built-in pack's cases, and `policy_cases::every-policy-has-its-four-cases`
//!   (`policy_cases.rs`);
//! - `edge_cases::plans::STEM`, `edge_cases::live::STEM`,
//!   `edge_cases::drift::STEM`: `tests/cases/{plans,live,drift}/STEM.yaml`,
//!   the real-world edge cases, and `edge_cases::enough-case-files` and
//!   `edge_cases::palisade-test-with-pack` (`edge_cases.rs`).
//!
//! A file in a subfolder is named with that folder too
//! (`policy_cases::FOLDER::STEM`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libtest_mimic::{Arguments, Failed, Trial};
use palisade_engine::testcase::{discover, load_case_file, run_case};
use palisade_engine::{Engine, Pack};

mod edge_cases;
// The harness of tests/palisade, shared by path: this target uses a part of
// it, and its own #[test]s (and their imports) are not compiled here.
#[allow(dead_code, unused_imports)]
#[path = "../palisade/moto.rs"]
mod moto;
mod policy_cases;
#[allow(dead_code, reason = "the helpers of tests/palisade, shared by path; this target uses a part of them")]
#[path = "../palisade/support.rs"]
mod support;

fn main() {
    let mut trials = policy_cases::trials();
    trials.extend(edge_cases::trials());
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}

/// The case files under `dir` (relative to the repository root), sorted,
/// each with its trial name: `prefix`, then its path under `dir` without
/// the extension, `::` between folders.
fn case_files(prefix: &str, dir: &str) -> Vec<(String, PathBuf)> {
    let dir = support::repo(dir);
    let files = discover(&dir).unwrap_or_else(|e| panic!("cannot list the case files of {}: {e}", dir.display()));
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&dir).unwrap_or(&path).with_extension("");
            let parts: Vec<_> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            (format!("{prefix}::{}", parts.join("::")), path)
        })
        .collect()
}

/// The engine every trial of this process shares (a 2 s call deadline).
fn shared_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| support::engine(2000))
}

/// Fails unless `path` holds at least `min` cases.
fn enough_cases(path: &Path, cases: usize, min: usize) -> Result<(), Failed> {
    if cases < min {
        return Err(format!("{}: {cases} cases; a file of this suite needs at least {min}", path.display()).into());
    }
    Ok(())
}

/// The verdict on a case file of `cases` cases: each failing case, as
/// `(name, why)`, under `FILE :: CASE`.
fn verdict(path: &Path, cases: usize, failures: Vec<(String, String)>) -> Result<(), Failed> {
    if failures.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> =
        failures.iter().map(|(name, why)| format!("{} :: {name}\n{why}", path.display())).collect();
    Err(format!("{} of {cases} cases of {} failed:\n{}", failures.len(), path.display(), lines.join("\n\n")).into())
}

/// Runs every case of the policy case file `path` (the format of
/// `palisade_engine::testcase`) through the engine with `packs`; the file
/// needs at least `min_cases` cases.
fn run_policy_file(packs: &[Pack], path: &Path, min_cases: usize) -> Result<(), Failed> {
    let file = load_case_file(path)?;
    enough_cases(path, file.cases.len(), min_cases)?;
    let engine = shared_engine();
    let failures = file
        .cases
        .iter()
        .filter_map(|case| run_case(engine, packs, &file, case).failure.map(|why| (case.name.clone(), why)))
        .collect();
    verdict(path, file.cases.len(), failures)
}

/// A trial that runs the policy case file `path` with the packs `packs`
/// gives (loaded on first use, then shared).
fn policy_file_trial(name: String, path: PathBuf, packs: fn() -> &'static [Pack], min_cases: usize) -> Trial {
    Trial::test(name, move || run_policy_file(packs(), &path, min_cases))
}
