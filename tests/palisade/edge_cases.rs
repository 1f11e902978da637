//! The data-driven suite of real-world edge cases (issue 7): every case file
//! under `tests/cases/` (one file per kind, each with at least two cases of
//! different values) runs through the engine with the built-in pack built to
//! wasm. Adding a case needs no Rust.

use palisade_engine::testcase::{discover, load_case_file, run_case};

use crate::support::{baseline, engine, repo};

#[test]
fn every_edge_case_gives_its_expected_findings() {
    let engine = engine(2000);
    let packs = [baseline(&engine)];
    let files = discover(&repo("tests/cases")).expect("tests/cases exists");
    assert!(!files.is_empty(), "no case files under tests/cases");
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
