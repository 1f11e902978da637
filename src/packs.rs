//! Options shared by the commands that run policy packs (`check`, `scan`):
//! the packs, their limits, the compiled-pack cache, the pack config,
//! enforcement overrides and exemptions.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use palisade_engine::config::{LevelOverride, PackConfig};
use palisade_engine::exemption::Exemptions;
use palisade_engine::pipeline::{Checked, PipelineBuilder};
use palisade_engine::{Engine, EngineBuilder, Limits, Pack};

/// Policy packs and their limits.
#[derive(clap::Args)]
pub(crate) struct PackArgs {
    /// A policy pack (.wasm), or `builtin:aws-baseline`; repeatable.
    /// `check` uses the built-in aws-baseline pack when none is given;
    /// `scan` runs packs only when given.
    #[arg(long = "pack", value_name = "FILE")]
    pub packs: Vec<PathBuf>,
    /// Deadline of one policy call, in milliseconds (10 to 600000).
    #[arg(long, value_name = "MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub policy_timeout_ms: u64,
    /// Memory cap of one policy instance, in MiB (1 to 4096).
    #[arg(long, value_name = "MIB", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub policy_memory_mib: u64,
    /// Cache compiled packs in DIR. Default: $PALISADE_CACHE_DIR, else
    /// $XDG_CACHE_HOME/palisade, else ~/.cache/palisade.
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
    /// Compile every pack from its bytes; read and write no cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Resources judged per guest instance (tuning; results never depend on it).
    #[arg(long, value_name = "N", default_value_t = 256, hide = true)]
    pub batch_size: usize,
    /// Pack configuration, in the format of CrossGuard's
    /// --policy-pack-config (JSON or YAML): policy name (or `all`) to an
    /// enforcement level, or to {enforcementLevel, ...config}. Validated
    /// against each policy's config schema before anything runs.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Set a policy's enforcement level (advisory, mandatory, remediate,
    /// disabled); `all=LEVEL` sets every policy's. Overrides --config.
    /// Repeatable.
    #[arg(long = "enforcement", value_name = "POLICY=LEVEL")]
    pub enforcement: Vec<LevelOverride>,
    /// Make every undecided result (a value known only after apply, not
    /// set, or encrypted) block the run like a mandatory violation, for a
    /// strict gate; the config's `failOnUndecided: true` does the same.
    #[arg(long)]
    pub fail_on_undecided: bool,
    /// Exemptions file (YAML or JSON): entries of policy, resource glob
    /// (address, URN or ARN), reason and optional expires date. Exempted
    /// violations are reported and do not fail the run.
    #[arg(long, value_name = "FILE")]
    pub exemptions: Option<PathBuf>,
}

/// What `--config`, `--enforcement` and `--exemptions` give, read before
/// any pack runs.
pub(crate) struct PolicyFiles {
    config: Option<PackConfig>,
    exemptions: Option<Exemptions>,
}

impl PolicyFiles {
    /// The check pipeline for `packs`: `--config`, `--enforcement` and
    /// `--exemptions` (settings resolved and validated when built).
    pub(crate) fn pipeline<'a>(
        &'a self,
        args: &'a PackArgs,
        engine: &'a Engine,
        packs: &'a [Pack],
    ) -> PipelineBuilder<'a> {
        PipelineBuilder::new(engine, packs)
            .config(self.config.as_ref())
            .overrides(&args.enforcement)
            .fail_on_undecided(args.fail_on_undecided)
            .exemptions(self.exemptions.as_ref())
            .version(env!("CARGO_PKG_VERSION"))
    }
}

impl PolicyFiles {
    /// Only a pack config (a remediation plan's), no exemptions.
    pub(crate) fn with_config(config: Option<PackConfig>) -> PolicyFiles {
        PolicyFiles { config, exemptions: None }
    }

    /// The check pipeline for `packs` with this config and `overrides`
    /// (a remediation plan's settings), no exemptions.
    pub(crate) fn pipeline_with<'a>(
        &'a self,
        engine: &'a Engine,
        packs: &'a [Pack],
        overrides: &'a [LevelOverride],
    ) -> PipelineBuilder<'a> {
        PipelineBuilder::new(engine, packs)
            .config(self.config.as_ref())
            .overrides(overrides)
            .version(env!("CARGO_PKG_VERSION"))
    }
}

/// Prints the pipeline's warnings (exemptions naming unknown policies,
/// expired exemptions) on standard error.
pub(crate) fn warn(checked: &Checked) {
    for warning in &checked.warnings {
        crate::say!("palisade: warning: {warning}");
    }
}

impl PackArgs {
    /// Reads `--config` and `--exemptions` (errors name the file).
    pub(crate) fn policy_files(&self) -> Result<PolicyFiles> {
        Ok(PolicyFiles {
            config: self.config.as_deref().map(PackConfig::read).transpose()?,
            exemptions: self.exemptions.as_deref().map(Exemptions::read).transpose()?,
        })
    }

    /// The files this run reads besides its inputs: packs, config, exemptions.
    pub(crate) fn files_read(&self) -> Vec<PathBuf> {
        self.packs.iter().chain(&self.config).chain(&self.exemptions).cloned().collect()
    }

    /// The engine, with the module cache unless `--no-cache`. A cache
    /// directory that cannot be set up is a warning, not an error: packs
    /// are compiled.
    pub(crate) fn engine(&self) -> Result<Engine> {
        let limits = Limits {
            call_deadline: Duration::from_millis(self.policy_timeout_ms),
            memory_bytes: usize::try_from(self.policy_memory_mib << 20).context("--policy-memory-mib is too large")?,
            ..Limits::default()
        };
        let builder = EngineBuilder::new().limits(limits).batch_size(self.batch_size);
        let dir = if self.no_cache { None } else { self.cache_dir.clone().or_else(palisade::default_cache_dir) };
        match builder.clone().cache_dir(dir).build() {
            Ok(engine) => Ok(engine),
            Err(e) if !self.no_cache => {
                crate::say!("palisade: warning: {e}; compiling packs without a cache");
                Ok(builder.build()?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The packs given, or the built-in ones; two packs may not share a
    /// name (findings name their pack).
    pub(crate) fn load(&self, engine: &Engine) -> Result<Vec<Pack>> {
        self.load_paths(engine, &self.packs)
    }

    /// The packs at `paths` (files or `builtin:NAME`), or the built-in ones
    /// when there are none; two packs may not share a name.
    pub(crate) fn load_paths(&self, engine: &Engine, paths: &[PathBuf]) -> Result<Vec<Pack>> {
        let packs: Vec<Pack> = if paths.is_empty() {
            palisade::DEFAULT_PACKS.iter().map(|b| engine.load_pack(b.path, b.wasm)).collect::<Result<_, _>>()?
        } else {
            let mut packs = Vec::new();
            for path in paths {
                let shown = path.to_string_lossy();
                packs.push(match shown.strip_prefix("builtin:") {
                    Some(name) => {
                        let Some(builtin) = palisade::DEFAULT_PACKS.iter().find(|b| b.path == shown) else {
                            let known: Vec<&str> = palisade::DEFAULT_PACKS.iter().map(|b| b.path).collect();
                            bail!("there is no built-in pack {name:?}; built-in packs: {}", known.join(", "));
                        };
                        engine.load_pack(builtin.path, builtin.wasm)?
                    }
                    None => engine.load_pack_file(path)?,
                });
            }
            packs
        };
        for (i, pack) in packs.iter().enumerate() {
            if let Some(other) = packs[..i].iter().find(|o| o.metadata.name == pack.metadata.name) {
                bail!(
                    "policy packs {} and {} are both named {:?}; load each pack once",
                    other.path,
                    pack.path,
                    pack.metadata.name
                );
            }
        }
        for pack in &packs {
            if pack.cache == (palisade_engine::CacheOutcome::Miss { stored: false }) {
                crate::say!("palisade: warning: {}: the compiled pack could not be written to the cache", pack.path);
            }
        }
        Ok(packs)
    }
}
