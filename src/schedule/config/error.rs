//! The errors of the configuration file: each names the file, and the job
//! (by name and index) and the key at fault.

use std::fmt;
use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// Why a schedule configuration file was refused.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file cannot be read (or is larger than 1 MiB).
    #[error("cannot read the schedule configuration {}", file.display())]
    Read {
        /// The file, as given.
        file: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The file is not UTF-8.
    #[error("{}: the file is not UTF-8", file.display())]
    NotUtf8 {
        /// The file, as given.
        file: PathBuf,
    },
    /// The file is not TOML.
    #[error("{}: {message}", file.display())]
    Syntax {
        /// The file, as given.
        file: PathBuf,
        /// The TOML parser's message, with the line and column.
        message: String,
    },
    /// A key the file cannot have, or a value of the wrong type.
    #[error("{}: {at}: {message}", file.display())]
    Key {
        /// The file, as given.
        file: PathBuf,
        /// The key's path, naming the job when it has a name:
        /// `job "nightly" (job[1]).region`, `defaults.webhok`.
        at: String,
        /// What is wrong, with the line and column.
        message: String,
    },
    /// The file's folder cannot be found (relative paths are read from it).
    #[error("cannot resolve {}", file.display())]
    Resolve {
        /// The file, as given.
        file: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// `[defaults]` has a `name`.
    #[error("{}: defaults.name: a name belongs to one job; set it in its [[job]] table", file.display())]
    DefaultName {
        /// The file, as given.
        file: PathBuf,
    },
    /// The file has no `[[job]]`.
    #[error("{}: no job: add at least one [[job]] table with a name and a schedule", file.display())]
    NoJob {
        /// The file, as given.
        file: PathBuf,
    },
    /// Two jobs have the same name.
    #[error("{}: job[{index}]: the name {name:?} is used by an earlier job; names must be unique", file.display())]
    DuplicateName {
        /// The file, as given.
        file: PathBuf,
        /// The index of the second job of that name.
        index: usize,
        /// The name.
        name: String,
    },
    /// A job's keys (over the defaults) are wrong.
    #[error("{}: {error}", file.display())]
    Job {
        /// The file, as given.
        file: PathBuf,
        /// The job, the key and what is wrong.
        error: JobError,
    },
}

/// A job, as errors and warnings name it: `job "nightly" (job[1])`, or
/// `job[1]` while its name is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRef {
    /// Its name, when it has a valid one.
    pub name: Option<String>,
    /// Its index among the `[[job]]` tables, from 0.
    pub index: usize,
}

impl fmt::Display for JobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "job {name:?} (job[{}])", self.index),
            None => write!(f, "job[{}]", self.index),
        }
    }
}

impl JobRef {
    /// An error about `key` (a path such as `webhook.url`) of this job.
    pub(crate) fn key(&self, key: impl Into<String>, reason: impl Into<String>) -> JobError {
        JobError { job: self.clone(), key: Some(key.into()), reason: reason.into() }
    }

    /// An error about this job as a whole (a missing key, keys that
    /// cannot go together).
    pub(crate) fn whole(&self, reason: impl Into<String>) -> JobError {
        JobError { job: self.clone(), key: None, reason: reason.into() }
    }
}

/// What is wrong with one job: `job "nightly" (job[1]).history: at least 1
/// run must be kept`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{job}{}: {reason}", key.as_ref().map(|k| format!(".{k}")).unwrap_or_default())]
pub struct JobError {
    /// The job.
    pub job: JobRef,
    /// The key at fault (`webhook.url`, `enforcement.POLICY`); `None` for
    /// the job as a whole.
    pub key: Option<String>,
    /// What is wrong.
    pub reason: String,
}
