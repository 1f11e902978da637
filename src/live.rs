//! Where inventory comes from, for `scan`, `drift` and `remediate`: a live AWS scan
//! (the options below) or a snapshot file (`--inventory`).

use std::cell::OnceCell;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use palisade_engine::input;
use palisade_engine::inventory::{Inventory, ScanFilters, TagFilter};
use palisade_engine::pipeline::CheckInput;
use palisade_scanner::aws::{self, AwsScanOptions};
use palisade_scanner::remediate::RemediateOptions;

/// A live scan's options, or a snapshot to read instead.
#[derive(clap::Args)]
pub(crate) struct InventoryArgs {
    /// Read this inventory snapshot (from `palisade scan --output`) instead
    /// of scanning; no other scan option may be given with it.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// A region to scan; repeatable. Default: every region of the
    /// partition that is enabled by default (the partition of the
    /// configured region, else aws).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Without --region, scan the partition's opt-in regions too.
    #[arg(long, conflicts_with = "regions")]
    pub all_regions: bool,
    /// Assume this IAM role and scan its account; repeatable (one account
    /// each). Default: the default credentials' account.
    #[arg(long = "assume-role", value_name = "ARN")]
    pub assume_roles: Vec<String>,
    /// Use this profile of the shared AWS config files.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (a compatible service).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Only resources of this Tagging API type (`ec2:instance`, `s3`, or a
    /// service such as `ec2`), or a Terraform type Palisade knows
    /// (`aws_instance`); repeatable.
    #[arg(long = "resource-type", value_name = "TYPE")]
    pub resource_types: Vec<String>,
    /// Only resources with this tag (`KEY=VALUE`, or `KEY` for any value);
    /// repeatable: every key must match; values of one key are alternatives.
    #[arg(long = "tag", value_name = "KEY[=VALUE]")]
    pub tags: Vec<String>,
    /// The longest one attempt of an AWS call may take, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub attempt_timeout_secs: u64,
    /// Attempts per AWS call, the first included (1 to 20); throttling and
    /// transient errors are retried with exponential backoff and jitter.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,
    /// The first retry's backoff in milliseconds; it doubles per attempt.
    #[arg(long, value_name = "MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub retry_backoff_ms: u64,
    /// Requests in flight per region (across accounts), 1 to 64.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub max_in_flight: u64,
    /// Requests in flight per service in one region, 1 to 64 (within
    /// --max-in-flight).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub max_in_flight_per_service: u64,
    /// Never show progress (it shows only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

impl InventoryArgs {
    /// Whether any live-scan option was given.
    fn any_live_option(&self) -> bool {
        !self.regions.is_empty()
            || self.all_regions
            || !self.assume_roles.is_empty()
            || self.profile.is_some()
            || self.endpoint_url.is_some()
            || !self.resource_types.is_empty()
            || !self.tags.is_empty()
    }

    /// Whether a live-scan option that chooses what to scan was given
    /// (regions, roles, filters; not the AWS access options).
    pub(crate) fn any_scope_option(&self) -> bool {
        !self.regions.is_empty()
            || self.all_regions
            || !self.assume_roles.is_empty()
            || !self.resource_types.is_empty()
            || !self.tags.is_empty()
    }

    /// The inventory: read from `--inventory`, or scanned live (every
    /// reader type's detail calls).
    pub(crate) fn load(&self) -> Result<Loaded> {
        self.load_for(None)
    }

    /// As [`InventoryArgs::load`], with the detail calls of a live scan
    /// limited to the types `policy_types` (the loaded policies'
    /// `resource_types` patterns) target; `None`: every type's.
    pub(crate) fn load_for(&self, policy_types: Option<Vec<String>>) -> Result<Loaded> {
        if self.inventory.is_some() && self.any_live_option() {
            bail!("--inventory reads a snapshot; the live scan options (--region, --tag, ...) cannot go with it");
        }
        self.load_inner(policy_types)
    }

    /// As [`InventoryArgs::load`], for commands that also call AWS
    /// themselves (`remediate --apply`): the AWS access options
    /// (`--profile`, `--endpoint-url`, retries, timeouts) may go with
    /// `--inventory`; the options choosing what to scan may not.
    pub(crate) fn load_with_access(&self) -> Result<Loaded> {
        self.load_inner(None)
    }

    fn load_inner(&self, policy_types: Option<Vec<String>>) -> Result<Loaded> {
        if let Some(path) = &self.inventory {
            if self.any_scope_option() {
                bail!(
                    "--inventory reads a snapshot; the options choosing what to scan (--region, --all-regions, --assume-role, --resource-type, --tag) cannot go with it"
                );
            }
            let shown = path.display().to_string();
            // The same cap as `check --max-input-mib`'s default (1 GiB).
            let bytes = palisade_engine::read_capped(path, 1 << 30)
                .with_context(|| format!("cannot read inventory {shown}"))?;
            let inventory = input::read_inventory(&shown, &bytes)?;
            return Ok(Loaded { inventory, source: shown, read: Some(bytes), snapshot: OnceCell::new() });
        }
        let options = AwsScanOptions { policy_types, ..self.scan_options()? };
        let inventory = aws::scan_blocking(&options)?;
        Ok(Loaded { inventory, source: "live:aws".to_string(), read: None, snapshot: OnceCell::new() })
    }

    /// The AWS access options for calls other than the scan (`remediate
    /// --apply`): profile, endpoint, the first `--region` (for STS),
    /// attempts, backoff and attempt timeout, as the scan uses them.
    pub(crate) fn remediate_options(&self, calls_per_second: Option<f64>) -> RemediateOptions {
        RemediateOptions {
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            region: self.regions.first().cloned(),
            max_attempts: self.max_attempts,
            initial_backoff: Duration::from_millis(self.retry_backoff_ms),
            attempt_timeout: Duration::from_secs(self.attempt_timeout_secs),
            calls_per_second,
            ..RemediateOptions::default()
        }
    }

    /// A live scan of `types` (Terraform or Tagging API types) in `regions`,
    /// in the credentials' own account, without tag filters or progress:
    /// the re-read of `remediate --apply`'s verification.
    pub(crate) fn verify_scan(&self, regions: Vec<String>, types: Vec<String>) -> Result<Inventory> {
        let base = self.scan_options()?;
        let options = AwsScanOptions {
            regions,
            all_regions: false,
            assume_roles: Vec::new(),
            filters: ScanFilters { resource_types: palisade::resource_types::tagging_types(&types)?, tags: Vec::new() },
            progress: false,
            ..base
        };
        Ok(aws::scan_blocking(&options)?)
    }

    /// The Tagging API type filters of `--resource-type`.
    pub(crate) fn type_filters(&self) -> Result<ScanFilters> {
        Ok(ScanFilters {
            resource_types: palisade::resource_types::tagging_types(&self.resource_types)?,
            tags: Vec::new(),
        })
    }

    fn scan_options(&self) -> Result<AwsScanOptions> {
        for region in &self.regions {
            let known = aws::regions::partition_regions(region, true);
            if aws::regions::is_region_name(region) && !known.contains(region) {
                crate::say!(
                    "palisade: warning: {region} is not a region Palisade knows in partition {}; scanning it anyway",
                    aws::regions::partition_of(region)
                );
            }
        }
        Ok(AwsScanOptions {
            regions: self.regions.clone(),
            all_regions: self.all_regions,
            assume_roles: self.assume_roles.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            filters: ScanFilters {
                resource_types: palisade::resource_types::tagging_types(&self.resource_types)?,
                tags: tag_filters(&self.tags)?,
            },
            attempt_timeout: Duration::from_secs(self.attempt_timeout_secs),
            max_attempts: self.max_attempts,
            initial_backoff: Duration::from_millis(self.retry_backoff_ms),
            in_flight_per_region: usize::try_from(self.max_in_flight).unwrap_or(4),
            in_flight_per_service: usize::try_from(self.max_in_flight_per_service).unwrap_or(2),
            progress: !self.no_progress,
            ..AwsScanOptions::default()
        })
    }
}

/// `--tag` values to the API's tag filters: `KEY=VALUE` or `KEY`; values
/// of a repeated key are merged (any of them matches).
fn tag_filters(tags: &[String]) -> Result<Vec<TagFilter>> {
    let mut out: Vec<TagFilter> = Vec::new();
    for tag in tags {
        let (key, value) = match tag.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (tag.as_str(), None),
        };
        if key.is_empty() {
            bail!("--tag {tag:?}: the key is empty (expected KEY=VALUE or KEY)");
        }
        let filter = match out.iter_mut().position(|f| f.key == key) {
            Some(i) => &mut out[i],
            None => {
                out.push(TagFilter { key: key.to_string(), values: Vec::new() });
                let last = out.len() - 1;
                &mut out[last]
            }
        };
        match value {
            Some(v) if !filter.values.iter().any(|w| w == v) => filter.values.push(v.to_string()),
            _ => {}
        }
    }
    // A bare `KEY` accepts any value, whatever values `KEY=VALUE` named.
    for filter in &mut out {
        if tags.iter().any(|t| t == &filter.key) {
            filter.values.clear();
        }
    }
    Ok(out)
}

/// An inventory as `--inventory` or a live scan gives it.
pub(crate) struct Loaded {
    /// The snapshot.
    pub inventory: Inventory,
    /// The name it goes by in reports: the file as given, or `live:aws`.
    pub source: String,
    /// The bytes of the `--inventory` file; `None` for a live scan.
    read: Option<Vec<u8>>,
    /// The snapshot as `--output` writes it, serialized once when first asked.
    snapshot: OnceCell<Vec<u8>>,
}

impl Loaded {
    /// The snapshot file's bytes as `scan --output` writes them
    /// ([`Inventory::to_snapshot_bytes`]), serialized once.
    pub(crate) fn snapshot(&self) -> Result<&[u8]> {
        if self.snapshot.get().is_none() {
            let bytes = self.inventory.to_snapshot_bytes().context("serializing the snapshot")?;
            let _ = self.snapshot.set(bytes);
        }
        Ok(self.snapshot.get().map_or(&[][..], Vec::as_slice))
    }

    /// What its digest is computed over: the bytes of the `--inventory`
    /// file, or for a live scan [`Loaded::snapshot`].
    pub(crate) fn digest_bytes(&self) -> Result<&[u8]> {
        match &self.read {
            Some(bytes) => Ok(bytes),
            None => self.snapshot(),
        }
    }

    /// The snapshot as an input of the check pipeline.
    pub(crate) fn check_input(&self) -> Result<CheckInput> {
        Ok(CheckInput::inventory(&self.source, &self.inventory, self.digest_bytes()?))
    }

    /// One line per incomplete scope: `SOURCE: ACCOUNT REGION: error`.
    pub(crate) fn incomplete_lines(&self) -> Vec<String> {
        self.inventory.incomplete_lines(&self.source)
    }
}
