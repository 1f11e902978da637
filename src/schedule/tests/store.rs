//! The folder of runs: hidden until complete, `latest`, bounded history,
//! crash leftovers, the lock.

use std::fs;
use std::path::Path;

use super::utc;
use crate::schedule::StoreError;
use crate::schedule::store::{JobStore, LATEST, LatestMoved};

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("a folder")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn latest(dir: &Path) -> String {
    fs::read_link(dir.join(LATEST)).expect("latest is a link").to_string_lossy().into_owned()
}

/// A `run.json` as far as the store reads it: complete unless `interrupted`.
fn record(interrupted: bool) -> String {
    format!(r#"{{"format": "palisade-schedule-run", "version": 1, "interrupted": {interrupted}}}"#)
}

/// `latest` moved from `before` to `now`.
fn moved(before: Option<&str>, now: Option<&str>) -> Option<LatestMoved> {
    Some(LatestMoved { before: before.map(str::to_string), now: now.map(str::to_string) })
}

/// A run folder `id` in `dir`, published by an earlier process.
fn old_run(dir: &Path, id: &str, interrupted: bool) {
    fs::create_dir(dir.join(id)).expect("a run folder");
    fs::write(dir.join(id).join("run.json"), record(interrupted)).expect("its run.json");
}

/// Begin and commit a run at `time`; `make_latest` as for a complete run
/// (its `run.json` says so).
fn publish(store: &JobStore, time: &str, make_latest: bool) -> String {
    let run = store.begin(utc(time)).expect("a run begins");
    fs::write(run.tmp.join("run.json"), record(!make_latest)).expect("a file in the run");
    let id = run.id.clone();
    store.commit(run, make_latest).expect("the run is published");
    id
}

#[test]
fn a_run_is_built_hidden_and_published_whole() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (store, recovered) = JobStore::open(&dir.path().join("reports/job"), 30).expect("the folder opens");
    assert!(recovered.removed.is_empty());
    assert_eq!(recovered.latest, None);
    let job = store.dir().to_path_buf();
    let run = store.begin(utc("2026-11-30T10:15:00Z")).expect("a run begins");
    assert_eq!(run.id, "20261130T101500Z");
    assert_eq!(run.tmp, job.join(".tmp-20261130T101500Z"));
    assert_eq!(names(&job), [".lock", ".tmp-20261130T101500Z"]);
    fs::write(run.tmp.join("run.json"), record(false)).expect("a file in the run");
    let (done, pruned) = store.commit(run, true).expect("the run is published");
    assert_eq!(done, job.join("20261130T101500Z"));
    assert!(pruned.is_empty());
    assert_eq!(names(&job), [".lock", "20261130T101500Z", "latest"]);
    assert_eq!(latest(&job), "20261130T101500Z");
    assert!(job.join("latest/run.json").is_file());
}

#[test]
fn runs_of_the_same_second_are_numbered() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (store, _) = JobStore::open(dir.path(), 30).expect("the folder opens");
    assert_eq!(publish(&store, "2026-11-30T10:15:00Z", true), "20261130T101500Z");
    // One published, one being built: each name is taken.
    let building = store.begin(utc("2026-11-30T10:15:00Z")).expect("a run begins");
    assert_eq!(building.id, "20261130T101500Z-2");
    assert_eq!(publish(&store, "2026-11-30T10:15:00Z", true), "20261130T101500Z-3");
    store.discard(&building).expect("the run is discarded");
    assert!(!building.tmp.exists());
    assert_eq!(latest(store.dir()), "20261130T101500Z-3");
}

#[test]
fn an_interrupted_run_is_published_but_latest_stays() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (store, _) = JobStore::open(dir.path(), 30).expect("the folder opens");
    publish(&store, "2026-11-30T10:00:00Z", true);
    publish(&store, "2026-11-30T11:00:00Z", false);
    assert_eq!(names(store.dir()), [".lock", "20261130T100000Z", "20261130T110000Z", "latest"]);
    assert_eq!(latest(store.dir()), "20261130T100000Z");
}

#[test]
fn history_keeps_the_newest_runs_and_the_one_latest_names() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (store, _) = JobStore::open(dir.path(), 2).expect("the folder opens");
    for time in ["2026-11-30T10:00:00Z", "2026-11-30T10:00:01Z", "2026-11-30T10:00:02Z"] {
        publish(&store, time, true);
    }
    assert_eq!(names(store.dir()), [".lock", "20261130T100001Z", "20261130T100002Z", "latest"]);
    // Interrupted runs do not move latest. The oldest run goes...
    publish(&store, "2026-11-30T11:00:00Z", false);
    assert_eq!(names(store.dir()), [".lock", "20261130T100002Z", "20261130T110000Z", "latest"]);
    // ...unless latest names it: then none goes, one run past the history.
    publish(&store, "2026-11-30T12:00:00Z", false);
    let kept = ["20261130T100002Z", "20261130T110000Z", "20261130T120000Z"];
    assert_eq!(names(store.dir()), [".lock", kept[0], kept[1], kept[2], "latest"]);
    assert_eq!(latest(store.dir()), "20261130T100002Z");
    // Folders that are not runs are never removed.
    fs::create_dir(store.dir().join("notes")).expect("a folder");
    publish(&store, "2026-11-30T13:00:00Z", true);
    assert_eq!(names(store.dir()), [".lock", "20261130T120000Z", "20261130T130000Z", "latest", "notes"]);
}

#[test]
fn numbered_runs_of_one_second_are_pruned_in_number_order() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    fs::create_dir(dir.path().join("20261130T100000Z")).expect("a run");
    for n in 2..=10 {
        fs::create_dir(dir.path().join(format!("20261130T100000Z-{n}"))).expect("a run");
    }
    let (store, _) = JobStore::open(dir.path(), 3).expect("the folder opens");
    publish(&store, "2026-11-30T10:00:01Z", true);
    // -10 is newer than -9, though it sorts before it as text.
    assert_eq!(
        names(store.dir()),
        [".lock", "20261130T100000Z-10", "20261130T100000Z-9", "20261130T100001Z", "latest"]
    );
}

#[test]
fn opening_removes_a_crashed_process_leftovers() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let job = dir.path();
    fs::create_dir_all(job.join(".tmp-20261130T100000Z/logs")).expect("a leftover run");
    std::os::unix::fs::symlink("20261130T090000Z", job.join(".latest-20261130T100000Z")).expect("a leftover link");
    fs::create_dir(job.join("20261130T090000Z")).expect("a run");
    fs::write(job.join(".tmp-note"), "a file, not a run folder").expect("a file");
    let (_store, recovered) = JobStore::open(job, 30).expect("the folder opens");
    let mut removed = recovered.removed;
    removed.sort();
    assert_eq!(removed, [job.join(".latest-20261130T100000Z"), job.join(".tmp-20261130T100000Z")]);
    assert_eq!(names(job), [".lock", ".tmp-note", "20261130T090000Z"]);
}

#[test]
fn a_folder_another_store_holds_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (held, _) = JobStore::open(dir.path(), 30).expect("the folder opens");
    let err = JobStore::open(dir.path(), 30).expect_err("the folder is locked");
    assert!(matches!(&err, StoreError::InUse { dir: d, .. } if d == dir.path()), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{} is in use by another `palisade schedule` process (it holds {})",
            dir.path().display(),
            dir.path().join(".lock").display()
        )
    );
    drop(held);
    JobStore::open(dir.path(), 30).expect("the lock is released with its store");
}

#[test]
fn pruning_never_removes_the_newest_complete_run_when_latest_is_gone() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (store, _) = JobStore::open(dir.path(), 1).expect("the folder opens");
    let complete = publish(&store, "2026-11-30T10:00:00Z", true);
    // Someone removes the link while the scheduler runs.
    fs::remove_file(store.dir().join(LATEST)).expect("latest removed");
    let interrupted = publish(&store, "2026-11-30T11:00:00Z", false);
    assert_eq!(names(store.dir()), [".lock", complete.as_str(), interrupted.as_str(), "latest"]);
    assert_eq!(latest(store.dir()), complete, "latest names the newest complete run again");
}

#[test]
fn opening_points_latest_at_the_newest_complete_run() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let job = dir.path();
    // A crash between a complete run's rename and the link's: latest
    // still names the run before it. A newer interrupted run is no
    // candidate.
    old_run(job, "20261130T100000Z", false);
    old_run(job, "20261130T110000Z", false);
    old_run(job, "20261130T120000Z", true);
    std::os::unix::fs::symlink("20261130T100000Z", job.join(LATEST)).expect("latest");
    let (store, recovered) = JobStore::open(job, 1).expect("the folder opens");
    assert_eq!(latest(job), "20261130T110000Z");
    assert_eq!(recovered.latest, moved(Some("20261130T100000Z"), Some("20261130T110000Z")));
    // After the restart, pruning keeps it, though it is past the history.
    publish(&store, "2026-11-30T13:00:00Z", false);
    assert_eq!(names(job), [".lock", "20261130T110000Z", "20261130T130000Z", "latest"]);
    assert_eq!(latest(job), "20261130T110000Z");
}

#[test]
fn opening_makes_a_missing_latest_and_drops_one_naming_no_complete_run() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let job = dir.path();
    old_run(job, "20261130T100000Z", false);
    old_run(job, "20261130T110000Z", true);
    // A folder without a readable run.json is not known to be complete.
    fs::create_dir(job.join("20261130T120000Z")).expect("a run folder without run.json");
    let (store, recovered) = JobStore::open(job, 30).expect("the folder opens");
    assert_eq!(recovered.latest, moved(None, Some("20261130T100000Z")));
    assert_eq!(latest(job), "20261130T100000Z");
    drop(store);
    // latest naming an interrupted run (set by hand), with no complete
    // run left: it is removed, not left on a run that is not complete.
    fs::remove_dir_all(job.join("20261130T100000Z")).expect("the complete run removed");
    fs::remove_file(job.join(LATEST)).expect("latest removed");
    std::os::unix::fs::symlink("20261130T110000Z", job.join(LATEST)).expect("latest");
    let (_store, recovered) = JobStore::open(job, 30).expect("the folder opens");
    assert_eq!(recovered.latest, moved(Some("20261130T110000Z"), None));
    assert_eq!(names(job), [".lock", "20261130T110000Z", "20261130T120000Z"]);
}

#[test]
fn opening_a_folder_whose_latest_is_right_changes_nothing() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let job = dir.path();
    old_run(job, "20261130T100000Z", false);
    old_run(job, "20261130T110000Z", true);
    std::os::unix::fs::symlink("20261130T100000Z", job.join(LATEST)).expect("latest");
    let (_store, recovered) = JobStore::open(job, 30).expect("the folder opens");
    assert_eq!(recovered.latest, None);
    assert_eq!(latest(job), "20261130T100000Z");
}
