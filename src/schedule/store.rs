//! A job's folder of runs: `<reports>/<job>/<run id>/`, the `latest`
//! symlink, bounded history.
//!
//! A run is built in `.tmp-<run id>/` and renamed to `<run id>/` when
//! complete; `latest` is replaced by renaming a new symlink over it. So a
//! reader sees whole runs or none, and `latest` always names a whole run.
//! A run interrupted during remediation is published too (renamed the same
//! way), but `latest` stays on the last complete run.
//! The folder holds an exclusive lock (`.lock`) while a `palisade
//! schedule` process uses it; at start, leftovers of a crashed process
//! (`.tmp-*` folders, `.latest-*` links) are removed.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};

/// The name of the link to the newest complete run.
pub(crate) const LATEST: &str = "latest";
/// The prefix of runs being built.
const TMP_PREFIX: &str = ".tmp-";
/// The prefix of links being made.
const LINK_PREFIX: &str = ".latest-";

/// The folder of one job's runs, locked for this process.
#[derive(Debug)]
pub(crate) struct JobStore {
    dir: PathBuf,
    history: usize,
    // Holds the lock until dropped.
    _lock: File,
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
    /// take its lock, refusing a folder another process uses, and remove
    /// leftovers of a crash (returned, for the log).
    pub(crate) fn open(dir: &Path, history: usize) -> Result<(JobStore, Vec<PathBuf>)> {
        let shown = dir.display();
        fs::create_dir_all(dir).with_context(|| format!("cannot create the reports folder {shown}"))?;
        let lock_path = dir.join(".lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                bail!("{shown} is in use by another `palisade schedule` process (it holds {})", lock_path.display())
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", lock_path.display()));
            }
        }
        let mut removed = Vec::new();
        for entry in fs::read_dir(dir).with_context(|| format!("cannot list {shown}"))? {
            let entry = entry.with_context(|| format!("cannot list {shown}"))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let path = entry.path();
            if name.starts_with(TMP_PREFIX) && entry.file_type().is_ok_and(|t| t.is_dir()) {
                fs::remove_dir_all(&path).with_context(|| format!("cannot remove the leftover {}", path.display()))?;
                removed.push(path);
            } else if name.starts_with(LINK_PREFIX) && entry.file_type().is_ok_and(|t| t.is_symlink()) {
                fs::remove_file(&path).with_context(|| format!("cannot remove the leftover {}", path.display()))?;
                removed.push(path);
            }
        }
        Ok((JobStore { dir: dir.to_path_buf(), history, _lock: lock }, removed))
    }

    /// The job's folder.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Start a run at `now`: pick a free run id and create its temporary
    /// folder.
    pub(crate) fn begin(&self, now: DateTime<Utc>) -> Result<PendingRun> {
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
                Err(e) => return Err(e).with_context(|| format!("cannot create {}", tmp.display())),
            }
        }
        bail!("no free run id under {}", self.dir.display())
    }

    /// Publish a run: rename its folder to `<id>`, point `latest` at it
    /// when `make_latest` (a complete run), then remove the oldest runs
    /// beyond the history (never this run, nor the one `latest` names).
    /// Returns the run's folder and the runs removed.
    pub(crate) fn commit(&self, run: PendingRun, make_latest: bool) -> Result<(PathBuf, Vec<PathBuf>)> {
        let done = self.dir.join(&run.id);
        fs::rename(&run.tmp, &done)
            .with_context(|| format!("cannot rename {} to {}", run.tmp.display(), done.display()))?;
        if make_latest {
            let link = self.dir.join(format!("{LINK_PREFIX}{}", run.id));
            std::os::unix::fs::symlink(&run.id, &link).with_context(|| format!("cannot create {}", link.display()))?;
            let latest = self.dir.join(LATEST);
            if let Err(e) = fs::rename(&link, &latest) {
                let _ = fs::remove_file(&link);
                return Err(e).with_context(|| format!("cannot replace {}", latest.display()));
            }
        }
        // The renames reach the disk before anyone is told about the run.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("cannot sync {}", self.dir.display()))?;
        let pruned = self.prune(&run.id)?;
        Ok((done, pruned))
    }

    /// Remove a run that will not complete, and its temporary folder.
    pub(crate) fn discard(&self, run: &PendingRun) -> io::Result<()> {
        match fs::remove_dir_all(&run.tmp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Remove the oldest runs beyond the history, never `keep` (the run
    /// just published) nor the run `latest` names.
    fn prune(&self, keep: &str) -> Result<Vec<PathBuf>> {
        let latest = fs::read_link(self.dir.join(LATEST)).ok();
        let kept = |name: &str| name == keep || latest.as_deref().is_some_and(|l| l == Path::new(name));
        let mut runs = Vec::new();
        for entry in fs::read_dir(&self.dir).with_context(|| format!("cannot list {}", self.dir.display()))? {
            let entry = entry.with_context(|| format!("cannot list {}", self.dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().is_ok_and(|t| t.is_dir())
                && let Some(key) = run_key(&name)
            {
                runs.push((key, name));
            }
        }
        runs.sort();
        let excess = runs.len().saturating_sub(self.history);
        let mut removed = Vec::new();
        for (_, name) in runs.into_iter().take(excess).filter(|(_, name)| !kept(name)) {
            let path = self.dir.join(&name);
            fs::remove_dir_all(&path).with_context(|| format!("cannot remove the old run {}", path.display()))?;
            removed.push(path);
        }
        Ok(removed)
    }
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
