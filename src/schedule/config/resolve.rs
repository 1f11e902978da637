//! A job's merged keys into a [`Job`]: every value checked, every path made
//! absolute. Errors name the job and the key ([`JobError`]); the checks run
//! in the order of the keys in `examples/schedule/README.md`, so the first
//! wrong key is the one reported.

use std::path::{Path, PathBuf};
use std::time::Duration;

use palisade_engine::remediation::action::ActionKind;
use palisade_scanner::aws;

use super::{
    AllowedActions, Cadence, DEFAULT_HISTORY, DEFAULT_MAX_CHANGES, DEFAULT_REPORTS, DEFAULT_RUN_TIMEOUT_SECS, Job,
    JobError, JobRef, JobToml, Target, WebhookConfig, WebhookToml,
};

/// The largest `max_changes`.
const MAX_MAX_CHANGES: u64 = 1_000_000;

/// The job at `index` of the file, its keys merged over the defaults, with
/// relative paths read from `workdir`.
pub(super) fn job(t: JobToml, index: usize, workdir: &Path) -> Result<Job, JobError> {
    let name = name(t.name.clone(), index)?;
    let at = JobRef { name: Some(name.clone()), index };
    let schedule = t.schedule.clone().ok_or_else(|| at.whole("missing key `schedule` (a cron expression)"))?;
    let timezone = t.timezone.clone().unwrap_or_else(|| "UTC".to_string());
    let cadence = Cadence::parse(&schedule, &timezone).map_err(|e| at.key(e.key(), e.detail()))?;
    let files = Files { at: &at, workdir };
    let target = target(&t, &at)?;
    let policy = policy(&t, &files)?;
    let (allow_actions, max_changes) = fixes(&t, &at, policy.auto_remediate)?;
    let history = match t.history {
        None => DEFAULT_HISTORY,
        Some(0) => return Err(at.key("history", "at least 1 run must be kept")),
        Some(n) => usize::try_from(n).map_err(|_| at.key("history", format!("{n} is too large")))?,
    };
    let run_timeout_secs = in_range(&at, "run_timeout_secs", t.run_timeout_secs, 1, 7 * 24 * 3600)?;
    let webhook = t.webhook.map(|w| webhook(w, &at)).transpose()?;
    let dir = files.absolute(t.reports.unwrap_or_else(|| PathBuf::from(DEFAULT_REPORTS))).join(&name);
    // The folder is made at start; what is already there must be folders.
    if let Some(blocking) = dir.ancestors().find(|p| p.symlink_metadata().is_ok()).filter(|p| !p.is_dir()) {
        let reason =
            format!("{} is not a folder, so the job's runs cannot go under {}", blocking.display(), dir.display());
        return Err(at.key("reports", reason));
    }
    Ok(Job {
        dir,
        name,
        cadence,
        target,
        state: policy.state,
        ignore_file: policy.ignore_file,
        packs: policy.packs,
        pack_config: policy.pack_config,
        enforcement: policy.enforcement,
        exemptions: policy.exemptions,
        auto_remediate: policy.auto_remediate,
        allow_actions,
        max_changes,
        history,
        run_timeout: Duration::from_secs(run_timeout_secs.unwrap_or(DEFAULT_RUN_TIMEOUT_SECS)),
        webhook,
    })
}

/// The job's name: present, and fit to name its reports folder.
fn name(name: Option<String>, index: usize) -> Result<String, JobError> {
    let unnamed = JobRef { name: None, index };
    let name = name.ok_or_else(|| unnamed.whole("missing key `name`"))?;
    if name.is_empty()
        || name.starts_with('.')
        || name == "latest"
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        let at = JobRef { name: Some(name.clone()), index };
        return Err(at.key(
            "name",
            format!(
                "{name:?} is not a valid job name (letters, digits, `.`, `_`, `-`; not starting with `.`; not `latest`): it names the job's reports folder"
            ),
        ));
    }
    Ok(name)
}

/// The scan target: regions, resource types, tags, AWS access and retries.
fn target(t: &JobToml, at: &JobRef) -> Result<Target, JobError> {
    let regions = t.regions.clone().unwrap_or_default();
    let all_regions = t.all_regions.unwrap_or(false);
    if all_regions && !regions.is_empty() {
        return Err(at.whole("`all_regions = true` and `regions` cannot go together"));
    }
    if let Some(region) = regions.iter().find(|r| !aws::regions::is_region_name(r)) {
        return Err(at.key("regions", format!("{region:?} is not an AWS region name (such as eu-west-1)")));
    }
    let resource_types = t.resource_types.clone().unwrap_or_default();
    // The scan's own check, so that a type it would refuse fails here, not
    // at every run.
    crate::resource_types::tagging_types(&resource_types).map_err(|e| at.key("resource_types", e.to_string()))?;
    let target = Target {
        regions,
        all_regions,
        resource_types,
        tags: t.tags.clone().unwrap_or_default(),
        profile: t.profile.clone(),
        endpoint_url: t.endpoint_url.clone(),
        assume_roles: t.assume_roles.clone().unwrap_or_default(),
        attempt_timeout_secs: in_range(at, "attempt_timeout_secs", t.attempt_timeout_secs, 1, 600)?,
        max_attempts: in_range(at, "max_attempts", t.max_attempts.map(u64::from), 1, 20)?
            .and_then(|n| u32::try_from(n).ok()),
        retry_backoff_ms: in_range(at, "retry_backoff_ms", t.retry_backoff_ms, 1, 60_000)?,
        max_in_flight: in_range(at, "max_in_flight", t.max_in_flight, 1, 64)?,
    };
    if let Some(tag) = target.tags.iter().find(|t| t.is_empty() || t.starts_with('=')) {
        return Err(at.key("tags", format!("{tag:?}: the key is empty (expected \"KEY=VALUE\" or \"KEY\")")));
    }
    Ok(target)
}

/// What drift and the policy phases read, checked.
struct Policy {
    state: Vec<PathBuf>,
    ignore_file: Option<PathBuf>,
    packs: Vec<String>,
    pack_config: Option<PathBuf>,
    enforcement: Vec<(String, String)>,
    exemptions: Option<PathBuf>,
    auto_remediate: bool,
}

/// The state files, the ignore file, the packs and their options.
fn policy(t: &JobToml, files: &Files<'_>) -> Result<Policy, JobError> {
    let at = files.at;
    let state = t.state.clone().unwrap_or_default().into_iter().map(|p| files.existing("state", p));
    let state = state.collect::<Result<Vec<_>, _>>()?;
    let ignore_file = t.ignore_file.clone().map(|p| files.existing("ignore_file", p)).transpose()?;
    if ignore_file.is_some() && state.is_empty() {
        return Err(at.key("ignore_file", "drift ignore rules need state files (`state`) to compare"));
    }
    let packs = t.packs.clone().unwrap_or_default().into_iter().map(|p| {
        if p.starts_with("builtin:") {
            Ok(p)
        } else {
            files.existing("packs", PathBuf::from(&p)).map(|p| p.display().to_string())
        }
    });
    let packs = packs.collect::<Result<Vec<_>, _>>()?;
    let pack_config = t.pack_config.clone().map(|p| files.existing("pack_config", p)).transpose()?;
    let exemptions = t.exemptions.clone().map(|p| files.existing("exemptions", p)).transpose()?;
    let enforcement: Vec<(String, String)> = t.enforcement.clone().unwrap_or_default().into_iter().collect();
    for (policy, level) in &enforcement {
        if !matches!(level.as_str(), "advisory" | "mandatory" | "remediate" | "disabled") {
            let reason = format!("{level:?} is not a level (advisory, mandatory, remediate, disabled)");
            return Err(at.key(format!("enforcement.{policy}"), reason));
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
                return Err(at.key(key, "applies to policy packs, and the job has none: add `packs`"));
            }
        }
    }
    Ok(Policy { state, ignore_file, packs, pack_config, enforcement, exemptions, auto_remediate })
}

/// `allow_actions` and `max_changes`, which bound what an applying run
/// changes: refused without `auto_remediate = true` (a dry run applies
/// nothing), as keys of packs are refused without `packs`. `allow_actions`
/// holds kind names (`s3.block-public-access`), each kept once, or `"all"`
/// alone; `max_changes` is 1 to 1,000,000, [`DEFAULT_MAX_CHANGES`] unless
/// set.
fn fixes(t: &JobToml, at: &JobRef, auto_remediate: bool) -> Result<(AllowedActions, u64), JobError> {
    if !auto_remediate {
        for (key, set) in [("allow_actions", t.allow_actions.is_some()), ("max_changes", t.max_changes.is_some())] {
            if set {
                let reason = "bounds the fixes a run applies, and the job only plans them: set `auto_remediate = true`";
                return Err(at.key(key, reason));
            }
        }
    }
    let names = t.allow_actions.clone().unwrap_or_default();
    let allowed = if names.iter().any(|n| n == "all") {
        if names.len() > 1 {
            return Err(at.key("allow_actions", "\"all\" allows every kind: give it alone (allow_actions = [\"all\"])"));
        }
        AllowedActions::All
    } else {
        let mut kinds: Vec<ActionKind> = Vec::new();
        for name in &names {
            let kind = ActionKind::parse(name).ok_or_else(|| {
                let known: Vec<&str> = ActionKind::ALL.iter().map(|k| k.name()).collect();
                let reason = format!("{name:?} is not an action kind (known: {}; or \"all\" alone)", known.join(", "));
                at.key("allow_actions", reason)
            })?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        AllowedActions::Kinds(kinds)
    };
    let max_changes = in_range(at, "max_changes", t.max_changes, 1, MAX_MAX_CHANGES)?.unwrap_or(DEFAULT_MAX_CHANGES);
    Ok((allowed, max_changes))
}

/// Paths of a job's keys, relative to the configuration file's folder.
struct Files<'a> {
    at: &'a JobRef,
    workdir: &'a Path,
}

impl Files<'_> {
    /// `p`, absolute.
    fn absolute(&self, p: PathBuf) -> PathBuf {
        if p.is_absolute() { p } else { self.workdir.join(p) }
    }

    /// `p` (the value of `key`), absolute; it must be a file.
    fn existing(&self, key: &str, p: PathBuf) -> Result<PathBuf, JobError> {
        let p = self.absolute(p);
        if !p.is_file() {
            return Err(self.at.key(key, format!("{} is not a file", p.display())));
        }
        Ok(p)
    }
}

/// `value` (of `key`), when set, within `low..=high`.
fn in_range(at: &JobRef, key: &str, value: Option<u64>, low: u64, high: u64) -> Result<Option<u64>, JobError> {
    match value {
        Some(n) if !(low..=high).contains(&n) => Err(at.key(key, format!("{n} is out of range ({low} to {high})"))),
        other => Ok(other),
    }
}

/// The webhook table, validated.
fn webhook(w: WebhookToml, at: &JobRef) -> Result<WebhookConfig, JobError> {
    let uri: ureq::http::Uri = w.url.parse().map_err(|e| at.key("webhook.url", format!("{:?}: {e}", w.url)))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(at.key("webhook.url", format!("{:?}: expected an http:// or https:// URL with a host", w.url)));
    }
    let timeout = w.timeout_secs.unwrap_or(10);
    if !(1..=300).contains(&timeout) {
        return Err(at.key("webhook.timeout_secs", format!("{timeout} is out of range (1 to 300)")));
    }
    let retries = w.retries.unwrap_or(5);
    if retries > 20 {
        return Err(at.key("webhook.retries", format!("{retries} is out of range (0 to 20)")));
    }
    let backoff = w.retry_backoff_ms.unwrap_or(1000);
    if !(1..=60_000).contains(&backoff) {
        return Err(at.key("webhook.retry_backoff_ms", format!("{backoff} is out of range (1 to 60000)")));
    }
    Ok(WebhookConfig {
        url: w.url,
        timeout: Duration::from_secs(timeout),
        retries,
        retry_backoff: Duration::from_millis(backoff),
    })
}
