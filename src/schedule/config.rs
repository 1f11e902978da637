//! The configuration file of `palisade schedule` (TOML): `[defaults]` and
//! one or more `[[job]]` tables, each job's keys overriding the defaults.
//! Documented, with an example, in `examples/schedule/README.md`.
//!
//! Unknown keys are refused with their path (`job[1].region`) and the job's
//! name; relative paths are resolved against the file's folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use palisade_scanner::aws;
use serde::Deserialize;

use super::cadence::Cadence;

/// Runs kept per job when `history` is not set.
pub(crate) const DEFAULT_HISTORY: usize = 30;
/// The longest a run may take when `run_timeout_secs` is not set: one hour.
pub(crate) const DEFAULT_RUN_TIMEOUT_SECS: u64 = 3600;
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
            reports,
            history,
            run_timeout_secs,
            webhook,
        )
    }
}

/// A validated configuration: the jobs, in file order.
#[derive(Debug)]
pub(crate) struct Config {
    /// The configuration file, as given.
    pub path: PathBuf,
    /// The jobs, with every path absolute.
    pub jobs: Vec<Job>,
    /// What is odd but not wrong (a region Palisade does not know), one
    /// line each, naming the file, the job and the key.
    pub warnings: Vec<String>,
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
pub(crate) fn load(path: &Path) -> Result<Config> {
    let shown = path.display().to_string();
    let bytes = palisade_engine::read_capped(path, MAX_CONFIG_BYTES)
        .with_context(|| format!("cannot read the schedule configuration {shown}"))?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow!("{shown}: the file is not UTF-8"))?;
    let file: FileToml = match toml::Deserializer::parse(&text) {
        Ok(de) => serde_path_to_error::deserialize(de).map_err(|e| {
            let at = describe_path(&text, &e.path().to_string());
            anyhow!("{shown}: {at}: {}", e.inner().to_string().trim_end())
        })?,
        Err(e) => bail!("{shown}: {}", e.to_string().trim_end()),
    };
    let workdir = std::fs::canonicalize(path)
        .with_context(|| format!("cannot resolve {shown}"))?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    if file.defaults.name.is_some() {
        bail!("{shown}: defaults.name: a name belongs to one job; set it in its [[job]] table");
    }
    if file.job.is_empty() {
        bail!("{shown}: no job: add at least one [[job]] table with a name and a schedule");
    }
    let mut names = BTreeSet::new();
    let mut jobs = Vec::new();
    let mut warnings = Vec::new();
    for (index, raw) in file.job.into_iter().enumerate() {
        let merged = raw.over(&file.defaults);
        let job = resolve(merged, index, &workdir).map_err(|e| anyhow!("{shown}: {e:#}"))?;
        warnings.extend(region_warnings(&job, index).into_iter().map(|w| format!("{shown}: {w}")));
        if !names.insert(job.name.clone()) {
            bail!("{shown}: job[{index}]: the name {:?} is used by an earlier job; names must be unique", job.name);
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
            format!(
                "job {:?} (job[{index}]).regions: {region} is not a region Palisade knows in partition {}; scanning it anyway",
                job.name,
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

/// A job's merged keys into a [`Job`]; errors start with the job's name.
fn resolve(t: JobToml, index: usize, workdir: &Path) -> Result<Job> {
    let name = t.name.ok_or_else(|| anyhow!("job[{index}]: missing key `name`"))?;
    let at = format!("job {name:?} (job[{index}])");
    if name.is_empty()
        || name.starts_with('.')
        || name == "latest"
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        bail!(
            "{at}.name: {name:?} is not a valid job name (letters, digits, `.`, `_`, `-`; not starting with `.`; not `latest`): it names the job's reports folder"
        );
    }
    let schedule = t.schedule.ok_or_else(|| anyhow!("{at}: missing key `schedule` (a cron expression)"))?;
    let timezone = t.timezone.unwrap_or_else(|| "UTC".to_string());
    let cadence = Cadence::parse(&schedule, &timezone).map_err(|e| anyhow!("{at}.{e}"))?;
    let abs = |p: PathBuf| if p.is_absolute() { p } else { workdir.join(p) };
    let existing = |key: &str, p: PathBuf| -> Result<PathBuf> {
        let p = abs(p);
        if !p.is_file() {
            bail!("{at}.{key}: {} is not a file", p.display());
        }
        Ok(p)
    };
    let range = |key: &str, v: Option<u64>, lo: u64, hi: u64| -> Result<Option<u64>> {
        match v {
            Some(n) if !(lo..=hi).contains(&n) => bail!("{at}.{key}: {n} is out of range ({lo} to {hi})"),
            other => Ok(other),
        }
    };
    let regions = t.regions.unwrap_or_default();
    let all_regions = t.all_regions.unwrap_or(false);
    if all_regions && !regions.is_empty() {
        bail!("{at}: `all_regions = true` and `regions` cannot go together");
    }
    if let Some(region) = regions.iter().find(|r| !aws::regions::is_region_name(r)) {
        bail!("{at}.regions: {region:?} is not an AWS region name (such as eu-west-1)");
    }
    let resource_types = t.resource_types.unwrap_or_default();
    // The scan's own check, so that a type it would refuse fails here, not
    // at every run.
    crate::live::resource_types(&resource_types).map_err(|e| anyhow!("{at}.resource_types: {e:#}"))?;
    let target = Target {
        regions,
        all_regions,
        resource_types,
        tags: t.tags.unwrap_or_default(),
        profile: t.profile,
        endpoint_url: t.endpoint_url,
        assume_roles: t.assume_roles.unwrap_or_default(),
        attempt_timeout_secs: range("attempt_timeout_secs", t.attempt_timeout_secs, 1, 600)?,
        max_attempts: range("max_attempts", t.max_attempts.map(u64::from), 1, 20)?.and_then(|n| u32::try_from(n).ok()),
        retry_backoff_ms: range("retry_backoff_ms", t.retry_backoff_ms, 1, 60_000)?,
        max_in_flight: range("max_in_flight", t.max_in_flight, 1, 64)?,
    };
    if let Some(tag) = target.tags.iter().find(|t| t.is_empty() || t.starts_with('=')) {
        bail!("{at}.tags: {tag:?}: the key is empty (expected \"KEY=VALUE\" or \"KEY\")");
    }
    let state = t.state.unwrap_or_default().into_iter().map(|p| existing("state", p)).collect::<Result<Vec<_>>>()?;
    let ignore_file = t.ignore_file.map(|p| existing("ignore_file", p)).transpose()?;
    if ignore_file.is_some() && state.is_empty() {
        bail!("{at}.ignore_file: drift ignore rules need state files (`state`) to compare");
    }
    let packs = t
        .packs
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            if p.starts_with("builtin:") {
                Ok(p)
            } else {
                existing("packs", PathBuf::from(&p)).map(|p| p.display().to_string())
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let pack_config = t.pack_config.map(|p| existing("pack_config", p)).transpose()?;
    let exemptions = t.exemptions.map(|p| existing("exemptions", p)).transpose()?;
    let enforcement: Vec<(String, String)> = t.enforcement.unwrap_or_default().into_iter().collect();
    for (policy, level) in &enforcement {
        if !matches!(level.as_str(), "advisory" | "mandatory" | "remediate" | "disabled") {
            bail!("{at}.enforcement.{policy}: {level:?} is not a level (advisory, mandatory, remediate, disabled)");
        }
    }
    let auto_remediate = t.auto_remediate.unwrap_or(false);
    if packs.is_empty() {
        for (key, set) in [
            ("pack_config", pack_config.is_some()),
            ("enforcement", !enforcement.is_empty()),
            ("exemptions", exemptions.is_some()),
            ("auto_remediate", auto_remediate),
        ] {
            if set {
                bail!("{at}.{key}: applies to policy packs, and the job has none: add `packs`");
            }
        }
    }
    let history = match t.history {
        None => DEFAULT_HISTORY,
        Some(0) => bail!("{at}.history: at least 1 run must be kept"),
        Some(n) => usize::try_from(n).map_err(|_| anyhow!("{at}.history: {n} is too large"))?,
    };
    let run_timeout_secs = range("run_timeout_secs", t.run_timeout_secs, 1, 7 * 24 * 3600)?;
    let webhook = t.webhook.map(|w| webhook(w, &at)).transpose()?;
    let reports = abs(t.reports.unwrap_or_else(|| PathBuf::from(DEFAULT_REPORTS)));
    let dir = reports.join(&name);
    // The folder is made at start; what is already there must be folders.
    if let Some(blocking) = dir.ancestors().find(|p| p.symlink_metadata().is_ok()).filter(|p| !p.is_dir()) {
        bail!(
            "{at}.reports: {} is not a folder, so the job's runs cannot go under {}",
            blocking.display(),
            dir.display()
        );
    }
    Ok(Job {
        dir,
        name,
        cadence,
        target,
        state,
        ignore_file,
        packs,
        pack_config,
        enforcement,
        exemptions,
        auto_remediate,
        history,
        run_timeout: Duration::from_secs(run_timeout_secs.unwrap_or(DEFAULT_RUN_TIMEOUT_SECS)),
        webhook,
    })
}

/// The webhook table, validated.
fn webhook(w: WebhookToml, at: &str) -> Result<WebhookConfig> {
    let uri: ureq::http::Uri = w.url.parse().map_err(|e| anyhow!("{at}.webhook.url: {:?}: {e}", w.url))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        bail!("{at}.webhook.url: {:?}: expected an http:// or https:// URL with a host", w.url);
    }
    let timeout = w.timeout_secs.unwrap_or(10);
    if !(1..=300).contains(&timeout) {
        bail!("{at}.webhook.timeout_secs: {timeout} is out of range (1 to 300)");
    }
    let retries = w.retries.unwrap_or(5);
    if retries > 20 {
        bail!("{at}.webhook.retries: {retries} is out of range (0 to 20)");
    }
    let backoff = w.retry_backoff_ms.unwrap_or(1000);
    if !(1..=60_000).contains(&backoff) {
        bail!("{at}.webhook.retry_backoff_ms: {backoff} is out of range (1 to 60000)");
    }
    Ok(WebhookConfig {
        url: w.url,
        timeout: Duration::from_secs(timeout),
        retries,
        retry_backoff: Duration::from_millis(backoff),
    })
}
