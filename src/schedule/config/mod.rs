//! The configuration file of `palisade schedule` (TOML): `[defaults]` and
//! one or more `[[job]]` tables, each job's keys overriding the defaults.
//! Documented, with an example, in `examples/schedule/README.md`.
//!
//! Unknown keys are refused with their path (`job[1].region`) and the job's
//! name; relative paths are resolved against the file's folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use palisade_engine::remediation::action::ActionKind;
use palisade_scanner::aws;
use serde::Deserialize;

use super::cadence::Cadence;

mod error;
mod resolve;

pub use error::{ConfigError, JobError, JobRef};

/// Runs kept per job when `history` is not set.
pub(crate) const DEFAULT_HISTORY: usize = 30;
/// The longest a run may take when `run_timeout_secs` is not set: one hour.
pub(crate) const DEFAULT_RUN_TIMEOUT_SECS: u64 = 3600;
/// Resources an applying run's actions may change when `max_changes` is
/// not set (`remediate --max-changes`, whose default it is too).
pub(crate) const DEFAULT_MAX_CHANGES: u64 = 50;
/// The reports folder when `reports` is not set (under the file's folder).
pub(crate) const DEFAULT_REPORTS: &str = "palisade-reports";
/// The largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The keys of `[defaults]` and of a `[[job]]` table, all optional here:
/// a job's value replaces the default's (lists and tables whole).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobToml {
    name: Option<String>,
    schedule: Option<String>,
    timezone: Option<String>,
    regions: Option<Vec<String>>,
    all_regions: Option<bool>,
    resource_types: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    assume_roles: Option<Vec<String>>,
    attempt_timeout_secs: Option<u64>,
    max_attempts: Option<u32>,
    retry_backoff_ms: Option<u64>,
    max_in_flight: Option<u64>,
    state: Option<Vec<PathBuf>>,
    ignore_file: Option<PathBuf>,
    packs: Option<Vec<String>>,
    pack_config: Option<PathBuf>,
    enforcement: Option<BTreeMap<String, String>>,
    exemptions: Option<PathBuf>,
    auto_remediate: Option<bool>,
    allow_actions: Option<Vec<String>>,
    max_changes: Option<u64>,
    reports: Option<PathBuf>,
    history: Option<u64>,
    run_timeout_secs: Option<u64>,
    webhook: Option<WebhookToml>,
}

/// `webhook = { url = "...", timeout_secs = 10, retries = 5, retry_backoff_ms = 1000 }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookToml {
    url: String,
    timeout_secs: Option<u64>,
    retries: Option<u32>,
    retry_backoff_ms: Option<u64>,
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    defaults: JobToml,
    #[serde(default)]
    job: Vec<JobToml>,
}

macro_rules! merge {
    ($job:expr, $defaults:expr, $($field:ident),+ $(,)?) => {
        JobToml { $($field: $job.$field.or_else(|| $defaults.$field.clone()),)+ }
    };
}

impl JobToml {
    /// This job's keys over the defaults'.
    fn over(self, defaults: &JobToml) -> JobToml {
        merge!(
            self,
            defaults,
            name,
            schedule,
            timezone,
            regions,
            all_regions,
            resource_types,
            tags,
            profile,
            endpoint_url,
            assume_roles,
            attempt_timeout_secs,
            max_attempts,
            retry_backoff_ms,
            max_in_flight,
            state,
            ignore_file,
            packs,
            pack_config,
            enforcement,
            exemptions,
            auto_remediate,
            allow_actions,
            max_changes,
            reports,
            history,
            run_timeout_secs,
            webhook,
        )
    }
}

/// A validated configuration: the jobs, in file order.
#[derive(Debug)]
pub struct Config {
    /// The configuration file, as given.
    pub path: PathBuf,
    /// The jobs, with every path absolute.
    pub(crate) jobs: Vec<Job>,
    /// What is odd but not wrong (a schedule whose day fields are both
    /// restricted, or whose 6-field day of week has numbers; a region
    /// Palisade does not know), one line each, naming the file, the job and
    /// the key.
    pub warnings: Vec<String>,
}

impl Config {
    /// The jobs' names, in file order.
    pub fn job_names(&self) -> Vec<&str> {
        self.jobs.iter().map(|j| j.name.as_str()).collect()
    }

    /// Keep only the jobs named in `names` (names of no job are ignored).
    pub fn keep_jobs(&mut self, names: &[String]) {
        self.jobs.retain(|j| names.contains(&j.name));
    }
}

/// The scan target of a job: the options of `palisade scan` (`None` or
/// empty: that option's default).
#[derive(Debug, Clone, Default)]
pub(crate) struct Target {
    /// `--region`, repeated.
    pub regions: Vec<String>,
    /// `--all-regions`.
    pub all_regions: bool,
    /// `--resource-type`, repeated.
    pub resource_types: Vec<String>,
    /// `--tag KEY[=VALUE]`, repeated.
    pub tags: Vec<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
    /// `--assume-role`, repeated.
    pub assume_roles: Vec<String>,
    /// `--attempt-timeout-secs` (1 to 600).
    pub attempt_timeout_secs: Option<u64>,
    /// `--max-attempts` (1 to 20).
    pub max_attempts: Option<u32>,
    /// `--retry-backoff-ms` (1 to 60000).
    pub retry_backoff_ms: Option<u64>,
    /// `--max-in-flight` (1 to 64).
    pub max_in_flight: Option<u64>,
}

/// Where and how a job's events are POSTed.
#[derive(Debug, Clone)]
pub(crate) struct WebhookConfig {
    /// An `http://` or `https://` URL.
    pub url: String,
    /// The longest one attempt may take (connect, send, read the answer).
    pub timeout: Duration,
    /// Retries after the first attempt (0 to 20).
    pub retries: u32,
    /// The first retry's delay; it doubles per retry (with jitter), up to
    /// one minute.
    pub retry_backoff: Duration,
}

/// The action kinds a job's remediation may apply (`allow_actions`),
/// passed to `remediate --apply` as `--allow-action`. Tag changes need no
/// allowance; an action whose kind is not allowed is reported
/// `not-allowed` and left to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AllowedActions {
    /// These kinds, in the file's order, each once; none when the key is
    /// not set (or empty).
    Kinds(Vec<ActionKind>),
    /// Every kind (`allow_actions = ["all"]`), as `--allow-action all`.
    All,
}

impl AllowedActions {
    /// The values of `--allow-action`, one per kind (`all` alone).
    pub(crate) fn names(&self) -> Vec<&'static str> {
        match self {
            AllowedActions::Kinds(kinds) => kinds.iter().map(|k| k.name()).collect(),
            AllowedActions::All => vec!["all"],
        }
    }
}

/// One job, validated, its paths absolute.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// Its name: letters, digits, `.`, `_` and `-`; the folder under `reports`.
    pub name: String,
    /// When it runs.
    pub cadence: Cadence,
    /// What it scans.
    pub target: Target,
    /// Declared state files for `palisade drift` (none: no drift phase).
    pub state: Vec<PathBuf>,
    /// `palisade drift --ignore-file`.
    pub ignore_file: Option<PathBuf>,
    /// Policy packs (paths, or `builtin:NAME`); none: no check and no
    /// remediation phase.
    pub packs: Vec<String>,
    /// `--config` of check and remediate.
    pub pack_config: Option<PathBuf>,
    /// `--enforcement POLICY=LEVEL`, in key order.
    pub enforcement: Vec<(String, String)>,
    /// `--exemptions`.
    pub exemptions: Option<PathBuf>,
    /// Whether remediation runs with `--apply`.
    pub auto_remediate: bool,
    /// The action kinds an applying run may apply (`--allow-action`);
    /// the default, none. Only with `auto_remediate`.
    pub allow_actions: AllowedActions,
    /// The most resources an applying run's actions may change
    /// (`--max-changes`, at least 1; tag changes do not count);
    /// [`DEFAULT_MAX_CHANGES`] unless set.
    pub max_changes: u64,
    /// This job's folder of runs: `<reports>/<name>`.
    pub dir: PathBuf,
    /// Runs kept (at least 1).
    pub history: usize,
    /// The longest a run may take; past it the phase running is stopped and
    /// the run ends in error.
    pub run_timeout: Duration,
    /// Where events go, if anywhere.
    pub webhook: Option<WebhookConfig>,
}

/// Read and validate the configuration file at `path`.
///
/// Errors name the file, and the job (by name and index) and key at fault:
/// TOML syntax (with line and column), unknown keys, a bad cron expression
/// or timezone, values out of range, missing files, duplicate job names.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let file = || path.to_path_buf();
    let bytes = palisade_engine::read_capped(path, MAX_CONFIG_BYTES)
        .map_err(|source| ConfigError::Read { file: file(), source })?;
    let text = String::from_utf8(bytes).map_err(|_| ConfigError::NotUtf8 { file: file() })?;
    let parsed: FileToml = match toml::Deserializer::parse(&text) {
        Ok(de) => serde_path_to_error::deserialize(de).map_err(|e| ConfigError::Key {
            file: file(),
            at: describe_path(&text, &e.path().to_string()),
            message: e.inner().to_string().trim_end().to_string(),
        })?,
        Err(e) => return Err(ConfigError::Syntax { file: file(), message: e.to_string().trim_end().to_string() }),
    };
    let workdir = std::fs::canonicalize(path)
        .map_err(|source| ConfigError::Resolve { file: file(), source })?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    if parsed.defaults.name.is_some() {
        return Err(ConfigError::DefaultName { file: file() });
    }
    if parsed.job.is_empty() {
        return Err(ConfigError::NoJob { file: file() });
    }
    let shown = path.display();
    let mut names = BTreeSet::new();
    let mut jobs = Vec::new();
    let mut warnings = Vec::new();
    for (index, raw) in parsed.job.into_iter().enumerate() {
        let merged = raw.over(&parsed.defaults);
        let job = resolve::job(merged, index, &workdir).map_err(|error| ConfigError::Job { file: file(), error })?;
        let at = JobRef { name: Some(job.name.clone()), index };
        warnings.extend(job.cadence.warnings().into_iter().map(|w| format!("{shown}: {at}.schedule: {w}")));
        warnings.extend(region_warnings(&job, index).into_iter().map(|w| format!("{shown}: {w}")));
        if !names.insert(job.name.clone()) {
            return Err(ConfigError::DuplicateName { file: file(), index, name: job.name });
        }
        jobs.push(job);
    }
    Ok(Config { path: path.to_path_buf(), jobs, warnings })
}

/// A warning for each region of `job` that has a region's form but is not
/// one Palisade knows (a new region, or a typo): as `palisade scan` warns,
/// the scan still tries it.
fn region_warnings(job: &Job, index: usize) -> Vec<String> {
    job.target
        .regions
        .iter()
        .filter(|region| !aws::regions::partition_regions(region, true).contains(region))
        .map(|region| {
            let at = JobRef { name: Some(job.name.clone()), index };
            format!(
                "{at}.regions: {region} is not a region Palisade knows in partition {}; scanning it anyway",
                aws::regions::partition_of(region)
            )
        })
        .collect()
}

/// `job[1].foo` → `job "nightly" (job[1]).foo`, naming the job when the
/// file gives it a name.
fn describe_path(text: &str, path: &str) -> String {
    let Some(rest) = path.strip_prefix("job[") else { return path.to_string() };
    let Some((index, tail)) = rest.split_once(']') else { return path.to_string() };
    let name = index.parse::<usize>().ok().and_then(|i| {
        let table: toml::Table = toml::from_str(text).ok()?;
        let job = table.get("job")?.as_array()?.get(i)?;
        Some(job.get("name")?.as_str()?.to_string())
    });
    match name {
        Some(name) => format!("job {name:?} (job[{index}]){tail}"),
        None => path.to_string(),
    }
}
