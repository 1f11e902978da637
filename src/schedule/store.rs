//! A job's folder of runs: `<reports>/<job>/<run id>/`, the `latest`
//! symlink, bounded history.
//!
//! A run is built in `.tmp-<run id>/` and renamed to `<run id>/` when
//! complete; `latest` is replaced by renaming a new symlink over it. So a
//! reader sees whole runs or none, and `latest` always names a whole run.
//! A run interrupted during remediation is published too (renamed the same
//! way), but `latest` stays on the last complete run.
//! A run is complete when its `run.json` says `"interrupted": false`; the
//! newest complete run is the one with the greatest id. `latest` names it
//! (or is absent when there is none): at start, `latest` is repaired when it
//! is missing or names another run (a crash between a run's rename and the
//! link's, a link removed by hand), and after each interrupted run. History
//! pruning never removes the newest complete run, nor the one `latest`
//! names, whatever `latest` says.
//! The folder holds an exclusive lock (`.lock`) while a `palisade
//! schedule` process uses it; at start, leftovers of a crashed process
//! (`.tmp-*` folders, `.latest-*` links) are removed.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use thiserror::Error;

use super::record::RUN_FILE;

/// The name of the link to the newest complete run.
pub(crate) const LATEST: &str = "latest";
/// The prefix of runs being built.
const TMP_PREFIX: &str = ".tmp-";
/// The prefix of links being made.
const LINK_PREFIX: &str = ".latest-";

/// Why a job's folder of runs cannot be opened, or a run not begun or
/// published; each names the path at fault.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The job's folder cannot be created.
    #[error("cannot create the reports folder {}", dir.display())]
    CreateDir {
        /// The folder.
        dir: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The lock file cannot be opened.
    #[error("cannot open {}", path.display())]
    OpenLock {
        /// `<job dir>/.lock`.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Another process holds the folder's lock.
    #[error("{} is in use by another `palisade schedule` process (it holds {})", dir.display(), lock.display())]
    InUse {
        /// The job's folder.
        dir: PathBuf,
        /// Its lock file.
        lock: PathBuf,
    },
    /// The lock cannot be taken for another reason.
    #[error("cannot lock {}", path.display())]
    Lock {
        /// `<job dir>/.lock`.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The job's folder cannot be listed.
    #[error("cannot list {}", dir.display())]
    List {
        /// The folder.
        dir: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A crashed process's leftover (`.tmp-*`, `.latest-*`) cannot be
    /// removed.
    #[error("cannot remove the leftover {}", path.display())]
    RemoveLeftover {
        /// The leftover.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A run's temporary folder or the new `latest` link cannot be created.
    #[error("cannot create {}", path.display())]
    Create {
        /// The folder or link.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Every run id of that second is taken.
    #[error("no free run id under {}", dir.display())]
    NoFreeId {
        /// The job's folder.
        dir: PathBuf,
    },
    /// A run's temporary folder cannot be renamed to its id.
    #[error("cannot rename {} to {}", from.display(), to.display())]
    Rename {
        /// `<job dir>/.tmp-<id>`.
        from: PathBuf,
        /// `<job dir>/<id>`.
        to: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// `latest` cannot be replaced.
    #[error("cannot replace {}", path.display())]
    ReplaceLatest {
        /// `<job dir>/latest`.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The job's folder cannot be synced to disk.
    #[error("cannot sync {}", dir.display())]
    Sync {
        /// The folder.
        dir: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A run beyond the history cannot be removed.
    #[error("cannot remove the old run {}", path.display())]
    RemoveOld {
        /// The run's folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// The folder of one job's runs, locked for this process.
#[derive(Debug)]
pub(crate) struct JobStore {
    dir: PathBuf,
    history: usize,
    // Holds the lock until dropped.
    _lock: File,
}

/// What opening a job's folder found and repaired, for the log.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    /// Leftovers of a crashed process, removed.
    pub removed: Vec<PathBuf>,
    /// `latest` re-pointed, if it was.
    pub latest: Option<LatestMoved>,
}

/// `latest` re-pointed to the newest complete run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LatestMoved {
    /// The run it named before (`None`: it was absent).
    pub before: Option<String>,
    /// The run it names now (`None`: removed, no run is complete).
    pub now: Option<String>,
}

/// A run being built: its id and temporary folder.
#[derive(Debug)]
pub(crate) struct PendingRun {
    /// `20261130T101500Z`, with `-2`, `-3`… when that name is taken.
    pub id: String,
    /// `<job dir>/.tmp-<id>`, created empty.
    pub tmp: PathBuf,
}

impl JobStore {
    /// Open (creating it) `dir`, the folder of a job keeping `history` runs:
    /// take its lock, refusing a folder another process uses, remove
    /// leftovers of a crash, and point `latest` at the newest complete run
    /// (what was done is returned, for the log).
    pub(crate) fn open(dir: &Path, history: usize) -> Result<(JobStore, Recovered), StoreError> {
        fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir { dir: dir.to_path_buf(), source })?;
        let lock_path = dir.join(".lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| StoreError::OpenLock { path: lock_path.clone(), source })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(StoreError::InUse { dir: dir.to_path_buf(), lock: lock_path });
            }
            Err(fs::TryLockError::Error(source)) => return Err(StoreError::Lock { path: lock_path, source }),
        }
        let removed = remove_leftovers(dir)?;
        let store = JobStore { dir: dir.to_path_buf(), history, _lock: lock };
        let latest = store.repair_latest()?;
        if latest.is_some() {
            store.sync()?;
        }
        Ok((store, Recovered { removed, latest }))
    }

    /// The job's folder.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Start a run at `now`: pick a free run id and create its temporary
    /// folder.
    pub(crate) fn begin(&self, now: DateTime<Utc>) -> Result<PendingRun, StoreError> {
        let base = now.format("%Y%m%dT%H%M%SZ").to_string();
        for n in 1u32.. {
            let id = if n == 1 { base.clone() } else { format!("{base}-{n}") };
            let tmp = self.dir.join(format!("{TMP_PREFIX}{id}"));
            if self.dir.join(&id).symlink_metadata().is_ok() {
                continue;
            }
            match fs::create_dir(&tmp) {
                Ok(()) => return Ok(PendingRun { id, tmp }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(StoreError::Create { path: tmp, source }),
            }
        }
        Err(StoreError::NoFreeId { dir: self.dir.clone() })
    }

    /// Publish a run: rename its folder to `<id>`, point `latest` at it
    /// when `make_latest` (a complete run; otherwise `latest` is left on,
    /// or repaired to, the newest complete run), then remove the oldest
    /// runs beyond the history (never this run, the one `latest` names, nor
    /// the newest complete run). Returns the run's folder and the runs
    /// removed.
    pub(crate) fn commit(&self, run: PendingRun, make_latest: bool) -> Result<(PathBuf, Vec<PathBuf>), StoreError> {
        let done = self.dir.join(&run.id);
        fs::rename(&run.tmp, &done).map_err(|source| StoreError::Rename {
            from: run.tmp.clone(),
            to: done.clone(),
            source,
        })?;
        if make_latest {
            self.point_latest(&run.id)?;
        } else {
            self.repair_latest()?;
        }
        // The renames reach the disk before anyone is told about the run.
        self.sync()?;
        let pruned = self.prune(&run.id)?;
        Ok((done, pruned))
    }

    /// Sync the job's folder (its renames) to disk.
    fn sync(&self) -> Result<(), StoreError> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| StoreError::Sync { dir: self.dir.clone(), source })
    }

    /// Replace `latest` with a link to `id`, atomically.
    fn point_latest(&self, id: &str) -> Result<(), StoreError> {
        let link = self.dir.join(format!("{LINK_PREFIX}{id}"));
        std::os::unix::fs::symlink(id, &link).map_err(|source| StoreError::Create { path: link.clone(), source })?;
        let latest = self.dir.join(LATEST);
        if let Err(source) = fs::rename(&link, &latest) {
            let _ = fs::remove_file(&link);
            return Err(StoreError::ReplaceLatest { path: latest, source });
        }
        Ok(())
    }

    /// Make `latest` name the newest complete run, or remove it when no run
    /// is complete; returns what it named before and names now, when that
    /// changed.
    fn repair_latest(&self) -> Result<Option<LatestMoved>, StoreError> {
        let path = self.dir.join(LATEST);
        let before = fs::read_link(&path).ok().map(|l| l.to_string_lossy().into_owned());
        // A `latest` that is not a link is not the store's: left alone.
        let not_a_link = path.symlink_metadata().is_ok_and(|m| !m.file_type().is_symlink());
        let newest = self.newest_complete()?;
        if not_a_link || before == newest {
            return Ok(None);
        }
        match &newest {
            Some(id) => self.point_latest(id)?,
            None => match fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(StoreError::ReplaceLatest { path, source: e });
                }
                _ => {}
            },
        }
        Ok(Some(LatestMoved { before, now: newest }))
    }

    /// The run folders' names, oldest first.
    fn runs(&self) -> Result<Vec<String>, StoreError> {
        let mut runs = Vec::new();
        for entry in list(&self.dir)? {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().is_ok_and(|t| t.is_dir())
                && let Some(key) = run_key(&name)
            {
                runs.push((key, name));
            }
        }
        runs.sort();
        Ok(runs.into_iter().map(|(_, name)| name).collect())
    }

    /// The newest run whose `run.json` says it is complete.
    fn newest_complete(&self) -> Result<Option<String>, StoreError> {
        Ok(self.runs()?.into_iter().rev().find(|name| is_complete(&self.dir.join(name))))
    }

    /// Remove a run that will not complete, and its temporary folder.
    pub(crate) fn discard(&self, run: &PendingRun) -> io::Result<()> {
        match fs::remove_dir_all(&run.tmp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Remove the oldest runs beyond the history, never `keep` (the run
    /// just published), the run `latest` names, nor the newest complete
    /// run.
    fn prune(&self, keep: &str) -> Result<Vec<PathBuf>, StoreError> {
        let latest = fs::read_link(self.dir.join(LATEST)).ok();
        let newest = self.newest_complete()?;
        let kept = |name: &str| {
            name == keep || latest.as_deref().is_some_and(|l| l == Path::new(name)) || newest.as_deref() == Some(name)
        };
        let runs = self.runs()?;
        let excess = runs.len().saturating_sub(self.history);
        let mut removed = Vec::new();
        for name in runs.into_iter().take(excess).filter(|name| !kept(name)) {
            let path = self.dir.join(&name);
            fs::remove_dir_all(&path).map_err(|source| StoreError::RemoveOld { path: path.clone(), source })?;
            removed.push(path);
        }
        Ok(removed)
    }
}

/// What the store reads of a run's `run.json`.
#[derive(Deserialize)]
struct RunState {
    /// Whether a shutdown stopped the run during remediation.
    interrupted: bool,
}

/// Whether the run in folder `run` is complete: its `run.json` reads and
/// says `"interrupted": false`. A folder without one is not known to be.
fn is_complete(run: &Path) -> bool {
    fs::read(run.join(RUN_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<RunState>(&bytes).ok())
        .is_some_and(|state| !state.interrupted)
}

/// Remove what a crashed process left in `dir` (`.tmp-*` folders,
/// `.latest-*` links); returns what was removed.
fn remove_leftovers(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let mut removed = Vec::new();
    for entry in list(dir)? {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        let result = if name.starts_with(TMP_PREFIX) && entry.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&path)
        } else if name.starts_with(LINK_PREFIX) && entry.file_type().is_ok_and(|t| t.is_symlink()) {
            fs::remove_file(&path)
        } else {
            continue;
        };
        result.map_err(|source| StoreError::RemoveLeftover { path: path.clone(), source })?;
        removed.push(path);
    }
    Ok(removed)
}

/// The entries of `dir`.
fn list(dir: &Path) -> Result<Vec<fs::DirEntry>, StoreError> {
    let wrap = |source| StoreError::List { dir: dir.to_path_buf(), source };
    fs::read_dir(dir).map_err(wrap)?.map(|entry| entry.map_err(wrap)).collect()
}

/// The sort key of a run folder's name (`20261130T101500Z` or
/// `20261130T101500Z-2`): its time and number; `None` for other names.
fn run_key(name: &str) -> Option<(String, u32)> {
    let (stamp, n) = match name.split_once('-') {
        Some((stamp, n)) => (stamp, n.parse::<u32>().ok().filter(|n| *n >= 2)?),
        None => (name, 1),
    };
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").ok()?;
    Some((stamp.to_string(), n))
}
