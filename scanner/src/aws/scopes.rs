//! The scan's tasks and how their results join: per account, one scope per
//! region (the Tagging API sweep and each regional service's reader, in
//! parallel) and one [`GLOBAL_SCOPE`] (IAM, the S3 bucket list); then the
//! tags joined by ARN, the resources merged one per ARN.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use aws_config::Region;
use aws_sdk_resourcegroupstagging as tagging;
use palisade_model::inventory::{GLOBAL_SCOPE, InventoryResource, ScanScope, ScopeStatus};
use tokio::sync::Semaphore;

use super::live::{self, Collected, Ctx, ScopeSpec, Service};
use super::{Account, AwsScanOptions, ScopeOutcome, ScopeScan};
use crate::progress::Progress;

/// What one task gave.
pub(super) enum TaskResult {
    /// The Tagging API sweep of a region.
    Sweep(ScopeOutcome),
    /// A service's reader.
    Reader(Collected),
}

/// The tasks of a scan, each giving its scope's index and result.
pub(super) type Tasks = tokio::task::JoinSet<(usize, TaskResult)>;

/// The reader types wanted (`--resource-type`) and those whose detail
/// calls are made (the loaded policies' types; all without `policy_types`).
pub(super) struct Wanted {
    wanted: BTreeSet<&'static str>,
    details: BTreeSet<&'static str>,
}

impl Wanted {
    pub(super) fn new(options: &AwsScanOptions) -> Wanted {
        let mut wanted = BTreeSet::new();
        let mut details = BTreeSet::new();
        for t in live::services().iter().flat_map(|s| s.types.iter()) {
            if !options.filters.admits_type(t.tagging_type) {
                continue;
            }
            wanted.insert(t.terraform_type);
            let judged = match &options.policy_types {
                None => true,
                Some(patterns) => names_of(t.terraform_type)
                    .iter()
                    .any(|name| palisade_abi::is_targeted("managed", true, name, patterns)),
            };
            if judged {
                details.insert(t.terraform_type);
            }
        }
        Wanted { wanted, details }
    }

    fn of(&self, service: &Service) -> (BTreeSet<&'static str>, BTreeSet<&'static str>) {
        let mine = |set: &BTreeSet<&'static str>| {
            service.types.iter().map(|t| t.terraform_type).filter(|t| set.contains(t)).collect::<BTreeSet<_>>()
        };
        (mine(&self.wanted), mine(&self.details))
    }
}

/// A Terraform type and its Pulumi names (policies name either).
fn names_of(terraform_type: &'static str) -> Vec<&'static str> {
    let mut names = vec![terraform_type];
    if let Some(rule) = crate::arn::RULES.iter().find(|r| r.terraform == terraform_type) {
        names.extend(rule.pulumi.iter().copied());
    }
    names
}

/// Everything the spawning needs.
pub(super) struct Spawn<'a> {
    pub options: &'a AwsScanOptions,
    pub accounts: &'a [Account],
    pub regions: &'a [String],
    pub home_region: &'a str,
    pub progress: &'a Progress,
}

impl Spawn<'_> {
    /// Every task of every scope, and the scopes (incomplete until their
    /// tasks end). An account that could not be identified gets no task.
    pub(super) fn spawn(&self) -> (Tasks, Vec<ScanScope>) {
        let options = self.options;
        let permits = |n| Arc::new(Semaphore::new(n));
        let region_permits: HashMap<&str, Arc<Semaphore>> = self
            .regions
            .iter()
            .map(String::as_str)
            .chain([GLOBAL_SCOPE])
            .map(|r| (r, permits(options.in_flight_per_region)))
            .collect();
        let wanted = Wanted::new(options);
        let services = live::services();
        let any_global = services.iter().any(|s| s.global && !wanted.of(s).0.is_empty());
        let all_regions = Arc::new(self.regions.to_vec());
        let mut tasks = Tasks::new();
        let mut scopes = Vec::new();
        for account in self.accounts {
            let mut regions: Vec<&str> = self.regions.iter().map(String::as_str).collect();
            if any_global {
                regions.push(GLOBAL_SCOPE);
            }
            for region in regions {
                let index = scopes.len();
                scopes.push(new_scope(account, region));
                let bar = self.progress.scope(&scopes[index].account, region);
                let Ok(account_id) = &account.id else {
                    let why = account.id.as_ref().err().cloned().unwrap_or_default();
                    scopes[index].error = Some(format!("cannot identify the account: {why}"));
                    bar.finish(false, 0, 0);
                    continue;
                };
                let global = region == GLOBAL_SCOPE;
                let config_region = if global { self.home_region } else { region };
                let config =
                    account.config.clone().into_builder().region(Region::new(config_region.to_string())).build();
                let region_permit = region_permits.get(region).cloned().unwrap_or_else(|| permits(1));
                if !global {
                    let client = tagging::Client::from_conf(tagging::config::Builder::from(&config).build());
                    let sweep = ScopeScan {
                        client,
                        filters: options.filters.clone(),
                        semaphore: region_permit.clone(),
                        region: region.to_string(),
                        account: account_id.clone(),
                        bar,
                    };
                    tasks.spawn(async move {
                        let outcome = sweep.run().await;
                        sweep.bar.finish(outcome.error.is_none(), outcome.pages, outcome.resources.len() as u64);
                        (index, TaskResult::Sweep(outcome))
                    });
                } else {
                    bar.finish(true, 0, 0);
                }
                for service in services.iter().filter(|s| s.global == global) {
                    let (wanted_types, detail_types) = wanted.of(service);
                    if wanted_types.is_empty() {
                        continue;
                    }
                    let spec = ScopeSpec {
                        region: region.to_string(),
                        regions: all_regions.clone(),
                        account: account_id.clone(),
                        region_permits: region_permit.clone(),
                        service_permits: permits(options.in_flight_per_service),
                        concurrency: options.in_flight_per_service,
                    };
                    let ctx = Ctx::new(config.clone(), spec, wanted_types, detail_types);
                    let read = service.read;
                    tasks.spawn(async move {
                        read(&ctx).await;
                        (index, TaskResult::Reader(ctx.into_collected()))
                    });
                }
            }
        }
        (tasks, scopes)
    }
}

fn new_scope(account: &Account, region: &str) -> ScanScope {
    ScanScope {
        account: account.id.clone().unwrap_or_default(),
        region: region.to_string(),
        role_arn: account.role_arn.clone(),
        status: ScopeStatus::Incomplete,
        error: None,
        pages: 0,
        resources: 0,
        calls: BTreeMap::new(),
        types: BTreeMap::new(),
    }
}

/// What the tasks of each scope gave, by scope index.
#[derive(Default)]
pub(super) struct ScopeResults {
    sweep: Option<ScopeOutcome>,
    readers: Vec<Collected>,
    /// A task of this scope panicked.
    lost: Option<String>,
}

/// Waits for every task and gathers their results by scope.
pub(super) async fn join(mut tasks: Tasks, scope_count: usize) -> Vec<ScopeResults> {
    let mut results: Vec<ScopeResults> = (0..scope_count).map(|_| ScopeResults::default()).collect();
    let mut lost = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, TaskResult::Sweep(outcome))) => results[index].sweep = Some(outcome),
            Ok((index, TaskResult::Reader(collected))) => results[index].readers.push(collected),
            Err(e) => lost = Some(format!("a scan task failed: {e}")),
        }
    }
    if let Some(why) = lost {
        // Which scope's task it was is unknown: no scope can be trusted complete.
        results.iter_mut().for_each(|r| r.lost = Some(why.clone()));
    }
    results
}

/// The scopes' statuses and statistics, and the resources: reader-found
/// ones with tags joined by ARN, the sweep's of types no reader covered,
/// one per ARN, sorted by ARN, within the tag filters.
pub(super) fn merge(
    options: &AwsScanOptions,
    scopes: &mut [ScanScope],
    results: Vec<ScopeResults>,
    seen_at: &str,
) -> Vec<InventoryResource> {
    let sweeps = SweepIndex::new(scopes, &results);
    let mut by_arn: BTreeMap<String, InventoryResource> = BTreeMap::new();
    for (index, result) in results.into_iter().enumerate() {
        let scope = &mut scopes[index];
        let mut errors: Vec<String> = Vec::new();
        let mut kept = 0u64;
        for collected in result.readers {
            for (permission, n) in collected.calls {
                *scope.calls.entry(permission).or_default() += n;
            }
            for (t, stats) in collected.types {
                let entry = scope.types.entry(t).or_default();
                entry.resources += stats.resources;
                entry.calls += stats.calls;
            }
            errors.extend(collected.errors);
            for found in collected.found {
                let region = found.region.clone().unwrap_or_else(|| scope.region.clone());
                let tags = sweeps.tags(&scope.account, &region, &found.arn);
                let r = live::finish(found, &scope.region, &scope.account, tags, seen_at);
                if options.filters.tags.iter().all(|f| f.matches(&r.tags))
                    || r.unread.iter().any(|u| u.attributes.iter().any(|a| a == "tags"))
                {
                    kept += 1;
                    by_arn.entry(r.arn.clone()).or_insert(r);
                }
            }
        }
        if let Some(sweep) = result.sweep {
            scope.pages = sweep.pages;
            *scope.calls.entry("tag:GetResources".into()).or_default() += sweep.pages;
            if let Some(e) = sweep.error {
                errors.push(e);
            }
            for r in sweep.resources {
                let by_reader = r.terraform_type.as_deref().is_some_and(|t| sweeps.reader_covers(&scope.account, t));
                if !by_reader {
                    kept += 1;
                    by_arn.entry(r.arn.clone()).or_insert(r);
                }
            }
        }
        errors.extend(result.lost);
        scope.resources = kept;
        scope.status = if errors.is_empty() { ScopeStatus::Complete } else { ScopeStatus::Incomplete };
        if scope.error.is_none() && !errors.is_empty() {
            scope.error = Some(errors.join("; "));
        }
    }
    by_arn.into_values().collect()
}

/// The sweeps' tags by account and ARN, which regions' sweeps completed,
/// and which types a reader listed completely, per account.
struct SweepIndex {
    tags: HashMap<(String, String), BTreeMap<String, String>>,
    /// (account, region) -> the sweep's error, `None` when complete.
    swept: HashMap<(String, String), Option<String>>,
    /// (account, type): every scope's reader of this type listed completely.
    covered: HashSet<(String, &'static str)>,
}

impl SweepIndex {
    fn new(scopes: &[ScanScope], results: &[ScopeResults]) -> SweepIndex {
        let mut tags = HashMap::new();
        let mut swept = HashMap::new();
        let mut listed: HashMap<(String, &'static str), bool> = HashMap::new();
        for (scope, result) in scopes.iter().zip(results) {
            if let Some(sweep) = &result.sweep {
                swept.insert((scope.account.clone(), scope.region.clone()), sweep.error.clone());
                for r in &sweep.resources {
                    tags.insert((scope.account.clone(), r.arn.clone()), r.tags.clone());
                }
            }
            for collected in &result.readers {
                let complete = collected.errors.is_empty() && result.lost.is_none();
                for t in collected.types.keys() {
                    let t = live::type_reader(t).map_or("", |r| r.terraform_type);
                    let e = listed.entry((scope.account.clone(), t)).or_insert(true);
                    *e = *e && complete;
                }
            }
        }
        let covered = listed.into_iter().filter(|(_, complete)| *complete).map(|(k, _)| k).collect();
        SweepIndex { tags, swept, covered }
    }

    /// The tags of `arn`: the sweep's; none when the sweep of its region
    /// completed without it; `Err` when that sweep did not complete.
    fn tags(&self, account: &str, region: &str, arn: &str) -> Result<BTreeMap<String, String>, String> {
        if let Some(t) = self.tags.get(&(account.to_string(), arn.to_string())) {
            return Ok(t.clone());
        }
        match self.swept.get(&(account.to_string(), region.to_string())) {
            Some(None) => Ok(BTreeMap::new()),
            Some(Some(e)) => Err(format!("the Tagging API sweep of {region} did not complete: {e}")),
            None => Err(format!("region {region} was not swept by the Tagging API")),
        }
    }

    fn reader_covers(&self, account: &str, terraform_type: &str) -> bool {
        self.covered.iter().any(|(a, t)| a == account && *t == terraform_type)
    }
}
