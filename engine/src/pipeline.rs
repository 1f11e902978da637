//! The one check pipeline: inputs, packs, settings, exemptions and a
//! baseline in, a [`Report`] out.
//!
//! Every command that evaluates packs goes through it (`check`, `scan
//! --pack`, `remediate`, and so the scheduler's phases, which run those
//! commands), so what must be the same everywhere is done here, once:
//!
//! 1. [`CheckInput`]: an input becomes a [`Stack`] with every value under a
//!    conventionally secret name marked secret (whatever the input's own
//!    markers say), and its provenance digest is the SHA-256 of the bytes
//!    the input was read from (for a live scan, the snapshot as `--output`
//!    writes it: [`Inventory::to_snapshot_bytes`]);
//! 2. [`PipelineBuilder::build`]: the config and `--enforcement` overrides
//!    are resolved into [`PolicySettings`], every enabled policy's config
//!    checked against its schema, before any pack runs;
//! 3. [`Pipeline::check`]: the engine evaluates the packs (the runtime
//!    scrubs every message of the stacks' secrets), judging every resource
//!    or, with [`PipelineBuilder::only_changed`], only the changed ones;
//!    then the report is built, exemptions applied (as of today, UTC),
//!    findings located in `.tf` files, and the baseline applied. Packs whose
//!    resource types match nothing in the inputs are warned about.

use sha2::{Digest, Sha256};

use crate::baseline::Baseline;
use crate::config::{self, ConfigError, LevelOverride, PackConfig};
use crate::exemption::{Exemptions, input_key, today_utc};
use crate::input::{self, InputError, InputFormat};
use crate::inventory::Inventory;
use crate::model::{ChangeScope, Stack};
use crate::report::{InputErrorEntry, InputProvenance, Report};
use crate::source_map::SourceMap;
use crate::{EnforcementLevel, Engine, Pack, PolicyKind, PolicySettings, mark_conventional_secrets};

/// One input, ready to check: its stack, its provenance, and the lines of
/// an inventory snapshot's incomplete scopes (empty for other inputs).
#[derive(Debug, Clone)]
pub struct CheckInput {
    /// The resources, secrets marked.
    pub stack: Stack,
    /// Path, format and digest, for the report.
    pub provenance: InputProvenance,
    /// `SOURCE: ACCOUNT REGION: error` per incomplete scope
    /// ([`Inventory::incomplete_lines`]); a report with any is incomplete.
    pub incomplete: Vec<String>,
}

impl CheckInput {
    /// Parses the bytes of a plan, state, export, preview, event log or
    /// inventory snapshot read from `source` (`-` for standard input), as
    /// `format` or the detected format ([`input::read_input_with_inventory`]).
    ///
    /// # Errors
    /// The parser's [`InputError`], naming `source` and the line or JSON path.
    pub fn parse(source: &str, bytes: &[u8], format: Option<InputFormat>) -> Result<CheckInput, InputError> {
        let (stack, inventory) = input::read_input_with_inventory(source, bytes, format)?;
        let incomplete = inventory.map(|i| i.incomplete_lines(source)).unwrap_or_default();
        Ok(CheckInput { provenance: provenance(source, stack.format, bytes), stack, incomplete })
    }

    /// An inventory snapshot already in memory: read from a file (`bytes`
    /// are the file's) or scanned live (`bytes` are
    /// [`Inventory::to_snapshot_bytes`]). The same stack, secrets and digest
    /// as [`CheckInput::parse`] gives for the same bytes.
    pub fn inventory(source: &str, inventory: &Inventory, bytes: &[u8]) -> CheckInput {
        let mut resources = inventory.to_resources(source);
        resources.iter_mut().for_each(mark_conventional_secrets);
        CheckInput {
            stack: Stack {
                source: source.to_string(),
                format: InputFormat::Inventory,
                resources,
                notes: inventory.unread_lines(),
            },
            provenance: provenance(source, InputFormat::Inventory, bytes),
            incomplete: inventory.incomplete_lines(source),
        }
    }
}

/// The provenance of an input: its path, format and [`input_digest`].
fn provenance(source: &str, format: InputFormat, bytes: &[u8]) -> InputProvenance {
    InputProvenance {
        path: source.to_string(),
        format: format.to_string(),
        sha256: input_digest(bytes),
        repo_path: input_key(source),
    }
}

/// An input's digest, as every report and remediation plan records it:
/// the hex SHA-256 of the bytes it was read from (for a live scan, of
/// [`Inventory::to_snapshot_bytes`]).
pub fn input_digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Builds a [`Pipeline`]: the engine and loaded packs, then the optional
/// config, overrides, exemptions, baseline and source map.
pub struct PipelineBuilder<'a> {
    engine: &'a Engine,
    packs: &'a [Pack],
    config: Option<&'a PackConfig>,
    overrides: &'a [LevelOverride],
    exemptions: Option<&'a Exemptions>,
    baseline: Option<&'a Baseline>,
    source_map: Option<&'a SourceMap>,
    keep_unbaselined: bool,
    fail_on_undecided: bool,
    scope: ChangeScope,
    version: String,
}

impl<'a> PipelineBuilder<'a> {
    /// A pipeline running `packs` (loaded by `engine`) at their default
    /// levels, with no exemptions, baseline or source map.
    pub fn new(engine: &'a Engine, packs: &'a [Pack]) -> Self {
        PipelineBuilder {
            engine,
            packs,
            config: None,
            overrides: &[],
            exemptions: None,
            baseline: None,
            source_map: None,
            keep_unbaselined: false,
            fail_on_undecided: false,
            scope: ChangeScope::All,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// The pack config (`--config`): levels and per-policy configs.
    pub fn config(mut self, config: Option<&'a PackConfig>) -> Self {
        self.config = config;
        self
    }

    /// `--enforcement POLICY=LEVEL` overrides, above the config.
    pub fn overrides(mut self, overrides: &'a [LevelOverride]) -> Self {
        self.overrides = overrides;
        self
    }

    /// Exemptions applied to every report, as of today (UTC).
    pub fn exemptions(mut self, exemptions: Option<&'a Exemptions>) -> Self {
        self.exemptions = exemptions;
        self
    }

    /// A baseline: the violations it knows are listed as baselined.
    pub fn baseline(mut self, baseline: Option<&'a Baseline>) -> Self {
        self.baseline = baseline;
        self
    }

    /// Locates each finding in the `.tf` files of this map.
    pub fn source_map(mut self, map: Option<&'a SourceMap>) -> Self {
        self.source_map = map;
        self
    }

    /// Keeps the report as it was before the baseline was applied
    /// ([`Checked::unbaselined`]), for `--write-baseline`.
    pub fn keep_unbaselined(mut self, keep: bool) -> Self {
        self.keep_unbaselined = keep;
        self
    }

    /// Makes every undecided result block the run (`--fail-on-undecided`);
    /// the config's `failOnUndecided: true` does too.
    pub fn fail_on_undecided(mut self, on: bool) -> Self {
        self.fail_on_undecided = on;
        self
    }

    /// `--only-changed`: resource policies judge only the resources the
    /// inputs create, update, replace or import ([`ChangeScope::Changed`]);
    /// stack policies still see whole stacks, and only their violations on
    /// changed resources (deleted ones included; not `no-op` or `read`) are
    /// reported. State files, stack exports and
    /// inventories change nothing: a warning says nothing in them is judged.
    pub fn only_changed(mut self, only_changed: bool) -> Self {
        self.scope = if only_changed { ChangeScope::Changed } else { ChangeScope::All };
        self
    }

    /// The Palisade version reports name (default: this crate's).
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.to_string();
        self
    }

    /// Resolves the settings: each policy's effective level
    /// (`--enforcement` > config entry > `all` > default) and its config,
    /// schema defaults filled in.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the config file, policy and key, before
    /// any pack runs.
    pub fn build(self) -> Result<Pipeline<'a>, ConfigError> {
        let settings = config::resolve(self.config, self.overrides, self.packs)?;
        Ok(Pipeline { settings, builder: self })
    }
}

/// The check pipeline, settings resolved. Cheap to run many times.
pub struct Pipeline<'a> {
    builder: PipelineBuilder<'a>,
    settings: PolicySettings,
}

/// What [`Pipeline::check`] gives.
#[derive(Debug)]
pub struct Checked {
    /// The report: exemptions, locations and baseline applied.
    pub report: Report,
    /// The report before the baseline, when [`PipelineBuilder::keep_unbaselined`]
    /// was asked and a baseline was applied.
    unbaselined: Option<Report>,
    /// Warnings for the user, without the `palisade: warning: ` prefix:
    /// inputs `--only-changed` judges nothing in, packs whose resource types
    /// match no resource of the inputs, exemptions naming policies no loaded
    /// pack has, expired exemptions.
    pub warnings: Vec<String>,
}

impl Checked {
    /// The report before the baseline was applied (what `--write-baseline`
    /// records).
    pub fn unbaselined(&self) -> &Report {
        self.unbaselined.as_ref().unwrap_or(&self.report)
    }
}

impl Pipeline<'_> {
    /// Checks `inputs`, each its own stack, into a report.
    pub fn check(&self, inputs: Vec<CheckInput>) -> Checked {
        self.check_partial(inputs, Vec::new())
    }

    /// [`Pipeline::check`] when some inputs could not be read: `unread`
    /// are listed in the report ([`Report::input_errors`]), which is then
    /// incomplete, and the baseline does not count their findings as no
    /// longer found.
    pub fn check_partial(&self, inputs: Vec<CheckInput>, unread: Vec<InputErrorEntry>) -> Checked {
        let b = &self.builder;
        let mut stacks = Vec::with_capacity(inputs.len());
        let mut provenance = Vec::with_capacity(inputs.len());
        let mut incomplete = Vec::new();
        for input in inputs {
            stacks.push(input.stack);
            provenance.push(input.provenance);
            incomplete.extend(input.incomplete);
        }
        let mut warnings = unchanged_inputs(&stacks, b.scope);
        warnings.extend(unmatched_packs(b.packs, &stacks, &self.settings));
        let findings = b.engine.check_scoped(b.packs, &stacks, &self.settings, b.scope);
        let mut report = Report::new(findings, b.packs, &self.settings, provenance, &b.version)
            .with_incomplete(incomplete)
            .with_input_errors(unread);
        warnings.extend(b.exemptions.map(|e| exempt(&mut report, e)).unwrap_or_default());
        if let Some(map) = b.source_map {
            report.locate(|resource, _| map.locate(resource).cloned());
        }
        if b.fail_on_undecided || b.config.and_then(|c| c.fail_on_undecided).unwrap_or(false) {
            report.fail_on_undecided();
        }
        let mut unbaselined = None;
        if let Some(baseline) = b.baseline {
            unbaselined = b.keep_unbaselined.then(|| report.clone());
            report.apply_baseline(baseline);
        }
        report.notes = input_notes(&stacks);
        report.notes.extend(encrypted_warning(&stacks, &report));
        warnings.extend(report.notes.iter().cloned());
        Checked { report, unbaselined, warnings }
    }
}

/// What the readers said once about each input (`Stack::notes`), as
/// warnings naming the input.
fn input_notes(stacks: &[Stack]) -> Vec<String> {
    stacks.iter().flat_map(|s| s.notes.iter().map(move |note| format!("{}: {note}", s.source))).collect()
}

/// One warning when undecided results fall on resources holding values
/// encrypted in their input (a Pulumi export without `--show-secrets`):
/// how many results, and how many encrypted values those resources hold.
fn encrypted_warning(stacks: &[Stack], report: &Report) -> Option<String> {
    let encrypted: std::collections::HashMap<(&str, &str), usize> = stacks
        .iter()
        .flat_map(|s| s.resources.iter())
        .filter(|r| !r.encrypted.is_empty())
        .map(|r| ((r.source.as_str(), r.address.as_str()), r.encrypted.len()))
        .collect();
    if encrypted.is_empty() {
        return None;
    }
    let mut resources = std::collections::HashSet::new();
    let mut results = 0;
    for v in report.violations.iter().chain(&report.baselined).filter(|v| v.undecided) {
        if encrypted.contains_key(&(v.file.as_str(), v.resource.as_str())) {
            results += 1;
            resources.insert((v.file.as_str(), v.resource.as_str()));
        }
    }
    if results == 0 {
        return None;
    }
    let values: usize = resources.iter().filter_map(|k| encrypted.get(k)).sum();
    Some(format!(
        "{results} undecided result(s) on {} resource(s) holding {values} value(s) encrypted in their input \
         (Pulumi ciphertext, or `[secret]` in a preview or event log): policies cannot read them. Export with \
         `pulumi stack export --show-secrets` (or preview with `pulumi preview --show-secrets`), or run the packs \
         through `pulumi policy analyze`",
        resources.len()
    ))
}

/// With [`ChangeScope::Changed`], a warning per input of a format that
/// records no changes (state, stack export, inventory: every resource is
/// `no-op`), in which nothing is judged.
fn unchanged_inputs(stacks: &[Stack], scope: ChangeScope) -> Vec<String> {
    if scope == ChangeScope::All {
        return Vec::new();
    }
    stacks
        .iter()
        .filter(|s| matches!(s.format, InputFormat::TfState | InputFormat::PulumiExport | InputFormat::Inventory))
        .map(|s| {
            format!(
                "{}: --only-changed judges nothing in a {} input: it records no changes (every resource is no-op)",
                s.source, s.format
            )
        })
        .collect()
}

/// A warning per pack none of whose enabled resource policies' types
/// matches a resource of any input ([`crate::model::Resource::has_type_in`]):
/// likely the wrong pack for these inputs (say, Terraform types on a Pulumi
/// preview). Packs with a resource policy of every type (no types, or `*`)
/// and packs without enabled resource policies are never warned about.
fn unmatched_packs(packs: &[Pack], stacks: &[Stack], settings: &PolicySettings) -> Vec<String> {
    let mut warnings = Vec::new();
    if stacks.is_empty() {
        // Nothing was read: that says nothing of the packs.
        return warnings;
    }
    for pack in packs {
        let policies: Vec<_> = pack
            .metadata
            .policies
            .iter()
            .filter(|p| p.kind == PolicyKind::Resource && settings.level(p) != EnforcementLevel::Disabled)
            .collect();
        let every_type = |types: &[String]| types.is_empty() || types.iter().any(|t| t == "*");
        if policies.is_empty() || policies.iter().any(|p| every_type(&p.resource_types)) {
            continue;
        }
        let matched =
            stacks.iter().flat_map(|s| &s.resources).any(|r| policies.iter().any(|p| r.has_type_in(&p.resource_types)));
        if !matched {
            let mut types: Vec<&str> =
                policies.iter().flat_map(|p| p.resource_types.iter().map(String::as_str)).collect();
            types.sort_unstable();
            types.dedup();
            let shown: Vec<String> = types.iter().take(3).map(|t| format!("`{t}`")).collect();
            let more = if types.len() > 3 { ", ..." } else { "" };
            warnings.push(format!(
                "pack {} ({}): no resource of the inputs has any of the {} types its resource policies judge \
                 ({}{more}); they judged nothing",
                pack.metadata.name,
                pack.path,
                types.len(),
                shown.join(", ")
            ));
        }
    }
    warnings
}

/// Applies `exemptions` to `report` as of today (UTC); the warnings about
/// exemptions that name unknown policies, then about expired ones.
fn exempt(report: &mut Report, exemptions: &Exemptions) -> Vec<String> {
    let known: Vec<&str> = report.policies.iter().map(|p| p.name.as_str()).collect();
    let mut warnings: Vec<String> = exemptions
        .entries
        .iter()
        .filter(|e| e.policy != "*" && !known.contains(&e.policy.as_str()))
        .map(|e| {
            format!(
                "{} exemption {} names policy `{}`, which no loaded pack has ({})",
                exemptions.path,
                e.number,
                e.policy,
                config::suggest(&e.policy, &known)
            )
        })
        .collect();
    report.apply_exemptions(exemptions, today_utc());
    for e in report.exemptions.iter().flat_map(|o| &o.expired) {
        warnings.push(format!(
            "{} exemption {} ({} on {}) expired on {}; it no longer exempts anything",
            e.exemption.file,
            e.exemption.number,
            e.exemption.policy,
            e.exemption.resource,
            e.exemption.expires.as_deref().unwrap_or("?")
        ));
    }
    warnings
}
