//! The AWS inventory provider: live readers ([`live`]) that list each
//! service's resources and read their full configuration, and the Resource
//! Groups Tagging API's `GetResources` sweep, which joins tags by ARN and
//! finds the resources of types without a reader, in every region and
//! account asked for, concurrently.
//!
//! API reference:
//! <https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html>
//! and each service's (see [`live`]).
//!
//! - **Scopes.** One scope per account (the default credentials', or each
//!   `--assume-role` role's) and region (those named, else every region of
//!   the partition, [`regions`]), plus one `global` scope per account for
//!   IAM and the S3 bucket list. All scopes and services run at once; a
//!   semaphore per region bounds the requests in flight there
//!   ([`AwsScanOptions::in_flight_per_region`]) and one per service and
//!   region ([`AwsScanOptions::in_flight_per_service`]).
//! - **Pages.** Pagination tokens are followed to the end, 100 resources
//!   per page (`ResourcesPerPage`), with `TagsPerPage` left to the API.
//! - **Retries.** Throttling and transient errors are retried by the SDK's
//!   standard strategy (exponential backoff with jitter) up to
//!   [`AwsScanOptions::max_attempts`] attempts per call.
//! - **Incomplete scopes.** A list call that still fails ends that part of
//!   its scope's scan: the scope is recorded [`ScopeStatus::Incomplete`]
//!   with the error, and what it returned so far is kept. Nothing turns a
//!   failure into "no resources". A detail call that fails leaves the
//!   resource's attributes it reads unknown (see [`live`]).
//! - **De-duplication.** Resources are keyed by ARN; a resource returned by
//!   several regions' scans (S3 buckets, on some endpoints) is kept once,
//!   with the first region (in scope order) that saw it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_resourcegroupstagging as tagging;
use aws_smithy_types::date_time::Format;
use palisade_model::inventory::{
    INVENTORY_FORMAT, INVENTORY_VERSION, Inventory, InventoryResource, ScanFilters, ScopeStatus,
};
use tokio::sync::Semaphore;

use crate::arn;
use crate::progress::Progress;

pub mod live;
pub mod regions;
mod scopes;

/// What to scan and how. Build with [`AwsScanOptions::default`] and set fields.
#[derive(Debug, Clone)]
pub struct AwsScanOptions {
    /// Regions to scan; empty: every region of the partition of the
    /// configured region (`us-east-1` when none is configured).
    pub regions: Vec<String>,
    /// With `regions` empty, also scan the partition's opt-in regions.
    pub all_regions: bool,
    /// Roles to assume, one account each; empty: the default credentials'
    /// account only.
    pub assume_roles: Vec<String>,
    /// A named profile of the shared config files (`--profile`).
    pub profile: Option<String>,
    /// A compatible endpoint to send every call to (`--endpoint-url`).
    pub endpoint_url: Option<String>,
    /// The Tagging API filters (`--resource-type`, `--tag`).
    pub filters: ScanFilters,
    /// Attempts per call, the first included (1 to 20).
    pub max_attempts: u32,
    /// The first retry's backoff; it doubles per attempt, with jitter.
    pub initial_backoff: Duration,
    /// The longest backoff between two attempts.
    pub max_backoff: Duration,
    /// The longest one attempt may take.
    pub attempt_timeout: Duration,
    /// Requests in flight per region, across accounts (at least 1).
    pub in_flight_per_region: usize,
    /// Requests in flight per service in one scope (at least 1), within
    /// the region's bound.
    pub in_flight_per_service: usize,
    /// The resource types the loaded policies judge (their `resource_types`
    /// patterns: `aws_s3_bucket`, `aws_*`, Pulumi types): detail calls are
    /// made only for reader types one of them targets. `None`: every
    /// type's (snapshots, drift).
    pub policy_types: Option<Vec<String>>,
    /// Show progress bars (per scope: pages, resources) on standard error.
    pub progress: bool,
}

impl Default for AwsScanOptions {
    fn default() -> Self {
        AwsScanOptions {
            regions: Vec::new(),
            all_regions: false,
            assume_roles: Vec::new(),
            profile: None,
            endpoint_url: None,
            filters: ScanFilters::default(),
            max_attempts: 8,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            attempt_timeout: Duration::from_secs(20),
            in_flight_per_region: 4,
            in_flight_per_service: 2,
            policy_types: None,
            progress: false,
        }
    }
}

/// A scan that could not start. Failures of calls during the scan are not
/// errors: they make their scope incomplete (see the module docs).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A region name of the wrong shape.
    #[error("{0:?} is not a region name (expected e.g. eu-west-1)")]
    BadRegion(String),
    /// A role ARN that is not an IAM role ARN.
    #[error("{0:?} is not an IAM role ARN (expected arn:aws:iam::123456789012:role/NAME)")]
    BadRole(String),
    /// An option out of its range.
    #[error("{0}")]
    BadOption(String),
    /// The only account to scan could not be identified (STS
    /// `GetCallerIdentity` failed): no credentials, or an endpoint that
    /// does not answer.
    #[error("cannot identify the AWS account to scan: {0}")]
    Credentials(String),
    /// The async runtime could not be started.
    #[error("cannot start the scan's runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Scans with `options` on a runtime of its own; see [`scan`].
pub fn scan_blocking(options: &AwsScanOptions) -> Result<Inventory, ScanError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(ScanError::Runtime)?;
    runtime.block_on(scan(options))
}

/// One account to scan: its SDK configuration and, once known, its id.
pub(crate) struct Account {
    pub(crate) config: SdkConfig,
    pub(crate) role_arn: Option<String>,
    /// The account id, or why it could not be learned.
    pub(crate) id: Result<String, String>,
}

/// Scans every scope of `options` into an inventory snapshot.
///
/// Errors: only [`ScanError`]s about the options; every failure of a call
/// to AWS is recorded in the snapshot's scopes.
pub async fn scan(options: &AwsScanOptions) -> Result<Inventory, ScanError> {
    validate(options)?;
    let started_at = now();
    let (base, regions) = home_config(options).await;
    let accounts = accounts(options, &base).await;
    // With no account identified there is nothing to scan: a setup error
    // (no credentials, a wrong endpoint), not a scan of empty regions.
    if let [Account { id: Err(why), .. }] = accounts.as_slice() {
        return Err(ScanError::Credentials(why.clone()));
    }
    let progress = Progress::new(options.progress);
    let home_region = base.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".into());
    let spawn = scopes::Spawn {
        options,
        accounts: &accounts,
        regions: &regions,
        home_region: &home_region,
        progress: &progress,
    };
    let (tasks, mut scopes) = spawn.spawn();
    let results = scopes::join(tasks, scopes.len()).await;
    progress.clear();
    let resources = scopes::merge(options, &mut scopes, results, &started_at);
    for scope in scopes.iter_mut().filter(|s| s.status == ScopeStatus::Incomplete && s.error.is_none()) {
        scope.error = Some("the scan of this scope did not finish".into());
    }
    let mut order: Vec<usize> = (0..scopes.len()).collect();
    order.sort_by(|&a, &b| (&scopes[a].account, &scopes[a].region).cmp(&(&scopes[b].account, &scopes[b].region)));
    let scopes = order.into_iter().map(|i| scopes[i].clone()).collect();
    Ok(Inventory {
        format: INVENTORY_FORMAT.to_string(),
        version: INVENTORY_VERSION,
        provider: "aws".into(),
        started_at,
        finished_at: now(),
        filters: options.filters.clone(),
        scopes,
        resources,
    })
}

/// The shared configuration in the home region (the first region asked
/// for, else the profile's, else `us-east-1`), and the regions to scan:
/// those asked for, sorted, else the home region's partition's.
async fn home_config(options: &AwsScanOptions) -> (SdkConfig, Vec<String>) {
    let base = load_base_config(options).await;
    let home_region = options
        .regions
        .first()
        .cloned()
        .or_else(|| base.region().map(|r| r.to_string()))
        .unwrap_or_else(|| "us-east-1".to_string());
    let base = base.into_builder().region(Region::new(home_region.clone())).build();
    let regions = if options.regions.is_empty() {
        regions::partition_regions(&home_region, options.all_regions)
    } else {
        let mut r = options.regions.clone();
        r.sort();
        r.dedup();
        r
    };
    (base, regions)
}

/// The accounts: the default credentials', or one per role assumed, each
/// identified (STS `GetCallerIdentity`) or with why it could not be.
async fn accounts(options: &AwsScanOptions, base: &SdkConfig) -> Vec<Account> {
    let mut configs: Vec<(SdkConfig, Option<String>)> = Vec::new();
    if options.assume_roles.is_empty() {
        configs.push((base.clone(), None));
    }
    for role in &options.assume_roles {
        let provider = aws_config::sts::AssumeRoleProvider::builder(role.clone())
            .session_name("palisade-scan")
            .configure(base)
            .build()
            .await;
        let config = base.clone().into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build();
        configs.push((config, Some(role.clone())));
    }
    let mut accounts = Vec::new();
    for (config, role_arn) in configs {
        let who = match (&role_arn, &options.profile) {
            (Some(role), _) => format!("role {role}"),
            (None, Some(profile)) => format!("profile {profile}"),
            (None, None) => "the default credentials".to_string(),
        };
        let id = caller_account(&config, &who).await;
        accounts.push(Account { config, role_arn, id });
    }
    accounts
}

fn validate(options: &AwsScanOptions) -> Result<(), ScanError> {
    if let Some(bad) = options.regions.iter().find(|r| !regions::is_region_name(r)) {
        return Err(ScanError::BadRegion(bad.clone()));
    }
    for role in &options.assume_roles {
        let ok = arn::Arn::parse(role).is_some_and(|a| a.service == "iam" && a.resource.starts_with("role/"));
        if !ok {
            return Err(ScanError::BadRole(role.clone()));
        }
    }
    if let Some(first) = options.regions.first() {
        let partition = regions::partition_of(first);
        if let Some(other) = options.regions.iter().find(|r| regions::partition_of(r) != partition) {
            return Err(ScanError::BadOption(format!(
                "regions {first} and {other} are in different partitions ({partition}, {}); scan each partition separately",
                regions::partition_of(other)
            )));
        }
    }
    if options.filters.tags.len() > 50 {
        return Err(ScanError::BadOption(format!(
            "{} tag keys given; the Tagging API takes at most 50",
            options.filters.tags.len()
        )));
    }
    if let Some(f) = options.filters.tags.iter().find(|f| f.values.len() > 20) {
        return Err(ScanError::BadOption(format!(
            "tag {:?} has {} values; the Tagging API takes at most 20 per key",
            f.key,
            f.values.len()
        )));
    }
    if let Some(bad) = options.filters.resource_types.iter().find(|t| !is_tagging_type(t)) {
        return Err(ScanError::BadOption(format!(
            "{bad:?} is not a Tagging API resource type (expected a service such as `ec2` or `service:type` such as `ec2:instance`)"
        )));
    }
    if let Some(url) = &options.endpoint_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(ScanError::BadOption(format!("--endpoint-url {url:?} is not an http:// or https:// URL")));
    }
    if !(1..=20).contains(&options.max_attempts) {
        return Err(ScanError::BadOption(format!("max attempts must be 1 to 20, not {}", options.max_attempts)));
    }
    if options.in_flight_per_region == 0 {
        return Err(ScanError::BadOption("requests in flight per region must be at least 1".into()));
    }
    if options.in_flight_per_service == 0 {
        return Err(ScanError::BadOption("requests in flight per service must be at least 1".into()));
    }
    Ok(())
}

/// Whether `t` has the shape of a Tagging API type filter: a lowercase
/// service (`ec2`, `elasticloadbalancing`), optionally `:type` (`ec2:instance`).
fn is_tagging_type(t: &str) -> bool {
    let (service, ty) = t.split_once(':').unwrap_or((t, "x"));
    let word = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    word(service) && word(ty)
}

/// The shared configuration: the standard credential chain (environment,
/// profile, SSO, container and instance metadata), the profile and
/// endpoint asked for, and the retry and timeout settings.
pub(crate) async fn load_base_config(options: &AwsScanOptions) -> SdkConfig {
    let retry = RetryConfig::standard()
        .with_max_attempts(options.max_attempts)
        .with_initial_backoff(options.initial_backoff)
        .with_max_backoff(options.max_backoff);
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(10))
        .operation_attempt_timeout(options.attempt_timeout)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry).timeout_config(timeouts);
    if let Some(profile) = &options.profile {
        // A named profile's credentials win over the environment's, as with
        // the AWS CLI's `--profile` (the default chain would try the
        // environment first and never read the profile).
        let credentials = aws_config::profile::ProfileFileCredentialsProvider::builder().profile_name(profile).build();
        loader = loader.profile_name(profile).credentials_provider(credentials);
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = options.regions.first() {
        loader = loader.region(Region::new(region.clone()));
    }
    loader.load().await
}

/// The account id of `config`'s credentials (STS `GetCallerIdentity`).
/// `who` names the credentials in errors (`role ARN`, `profile NAME`).
async fn caller_account(config: &SdkConfig, who: &str) -> Result<String, String> {
    caller_identity(config, who).await.map(|(account, _)| account)
}

/// The account id and ARN of `config`'s credentials (STS
/// `GetCallerIdentity`); also used by [`crate::remediate`]. `who` names the
/// credentials in errors.
pub(crate) async fn caller_identity(config: &SdkConfig, who: &str) -> Result<(String, String), String> {
    let sts = aws_sdk_sts::Client::new(config);
    match sts.get_caller_identity().send().await {
        Ok(out) => {
            let account = out.account().map(str::to_string).ok_or("GetCallerIdentity named no account")?;
            Ok((account, out.arn().unwrap_or_default().to_string()))
        }
        Err(e) => Err(format!("{who}: {}", describe_sdk_error(&e))),
    }
}

/// The most pages read from one scope (10 million resources): an endpoint
/// that hands out new pagination tokens forever ends incomplete.
pub const MAX_PAGES: u64 = 100_000;

/// What the Tagging API sweep of one scope gave.
pub(crate) struct ScopeOutcome {
    pub(crate) pages: u64,
    pub(crate) resources: Vec<InventoryResource>,
    /// The error that ended the scan early, after retries.
    pub(crate) error: Option<String>,
}

/// The Tagging API sweep of one scope (account x region), run in a task of its own.
pub(crate) struct ScopeScan {
    /// A Tagging API client of the account's credentials, in the region.
    pub(crate) client: tagging::Client,
    pub(crate) filters: ScanFilters,
    /// The region's bound on calls in flight.
    pub(crate) semaphore: Arc<Semaphore>,
    pub(crate) region: String,
    pub(crate) account: String,
    pub(crate) bar: crate::progress::ScopeBar,
}

impl ScopeScan {
    /// Read every page of `GetResources` (with the filters) until the last,
    /// an error after retries, a repeated pagination token or
    /// [`MAX_PAGES`].
    pub(crate) async fn run(&self) -> ScopeOutcome {
        let ScopeScan { client, filters, semaphore, region, account, bar } = self;
        let mut outcome = ScopeOutcome { pages: 0, resources: Vec::new(), error: None };
        let mut token: Option<String> = None;
        let mut seen_tokens = std::collections::HashSet::new();
        let tag_filters: Vec<tagging::types::TagFilter> = filters
            .tags
            .iter()
            .map(|f| tagging::types::TagFilter::builder().key(&f.key).set_values(Some(f.values.clone())).build())
            .collect();
        loop {
            let request = client
                .get_resources()
                .resources_per_page(100)
                .set_pagination_token(token.clone())
                .set_resource_type_filters((!filters.resource_types.is_empty()).then(|| filters.resource_types.clone()))
                .set_tag_filters((!tag_filters.is_empty()).then(|| tag_filters.clone()));
            let response = {
                let _permit = semaphore.acquire().await;
                request.send().await
            };
            let page = match response {
                Ok(page) => page,
                Err(e) => {
                    outcome.error =
                        Some(format!("GetResources page {} failed: {}", outcome.pages + 1, describe_sdk_error(&e)));
                    return outcome;
                }
            };
            // An answer without the list (`{}`, an empty body) is not a page of
            // an empty region: AWS always sends `ResourceTagMappingList`.
            if page.resource_tag_mapping_list.is_none() {
                outcome.error = Some(format!(
                    "GetResources page {} has no ResourceTagMappingList: not a Tagging API answer",
                    outcome.pages + 1
                ));
                return outcome;
            }
            outcome.pages += 1;
            if outcome.pages > MAX_PAGES {
                outcome.error = Some(format!("GetResources gave more than {MAX_PAGES} pages; stopped"));
                return outcome;
            }
            let seen_at = now();
            for mapping in page.resource_tag_mapping_list() {
                let Some(arn_text) = mapping.resource_arn() else { continue };
                let tags = mapping.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
                outcome.resources.push(inventory_resource(arn_text, region, account, tags, &seen_at));
            }
            bar.update(outcome.pages, outcome.resources.len() as u64);
            match page.pagination_token().filter(|t| !t.is_empty()) {
                Some(next) => {
                    if !seen_tokens.insert(next.to_string()) {
                        outcome.error = Some(format!("GetResources returned pagination token {next:?} twice"));
                        return outcome;
                    }
                    token = Some(next.to_string());
                }
                None => return outcome,
            }
        }
    }
}

/// An inventory resource from a `GetResources` mapping.
pub fn inventory_resource(
    arn_text: &str,
    scope_region: &str,
    scope_account: &str,
    tags: BTreeMap<String, String>,
    seen_at: &str,
) -> InventoryResource {
    let parsed = arn::Arn::parse(arn_text);
    let region = parsed.map(|a| a.region).filter(|r| !r.is_empty()).unwrap_or(scope_region).to_string();
    let account = parsed.map(|a| a.account).filter(|a| !a.is_empty()).unwrap_or(scope_account).to_string();
    let classified = arn::classify(arn_text, &region, &account);
    let (service, resource_type, terraform_type, id) = match classified {
        Some(c) => (c.service, c.resource_type, c.rule.map(|r| r.terraform.to_string()), c.id),
        None => (String::new(), String::new(), None, None),
    };
    InventoryResource {
        arn: arn_text.to_string(),
        service,
        resource_type,
        terraform_type,
        id,
        region,
        account,
        tags,
        seen_at: seen_at.to_string(),
        found_by: palisade_model::inventory::FOUND_BY_TAGGING.to_string(),
        raw: None,
        properties: None,
        unread: Vec::new(),
        part_of: None,
    }
}

/// An SDK error: the service's code and message when it answered (e.g.
/// `ThrottlingException: Rate exceeded`), else the error's chain.
pub(crate) fn describe_sdk_error<E, R>(error: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: std::error::Error + aws_smithy_types::error::metadata::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug + HttpStatus,
{
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    let status = error.raw_response().map(|r| format!(" (HTTP {})", r.status().as_u16())).unwrap_or_default();
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}{status}"),
        (Some(code), None) => format!("{code}{status}"),
        _ => format!("{}{status}", error_chain(error)),
    }
}

/// The HTTP status of a raw response (the SDK's response type).
pub trait HttpStatus {
    /// The status.
    fn status(&self) -> aws_smithy_runtime_api::http::StatusCode;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> aws_smithy_runtime_api::http::StatusCode {
        aws_smithy_runtime_api::http::Response::status(self)
    }
}

/// An error and its sources, each once, joined by `: ` (the SDK's errors
/// say little at the top: "service error", "dispatch failure").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// The time now, RFC 3339 in UTC.
pub(crate) fn now() -> String {
    aws_smithy_types::DateTime::from(SystemTime::now())
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}
