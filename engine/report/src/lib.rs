//! Palisade's reports: the [`Report`] model shared by every output format,
//! one file per format (text, JSON, SARIF, JUnit, Markdown, GitHub
//! annotations), and what adjusts a report after evaluation:
//! [`exemption`]s, a [`baseline`], and [`source_map`] locations in `.tf`
//! files. [`remediation`] renders the remediation report (JSON, HTML,
//! Markdown). No WebAssembly runtime: a report is built from findings and
//! [`DescribedPack`]s.
//!
//! JSON report: schema version 1, described by `engine/schema/report.schema.json`.
#![deny(missing_docs)]

use serde::Serialize;

use palisade_model::finding::{Evaluation, Findings, PolicyError, SourceLocation, Violation};
use palisade_model::policy::{DescribedPack, EnforcementLevel, PolicyKind, PolicySettings, Severity};

use crate::baseline::Baseline;
use crate::exemption::{ExemptionRef, Exemptions};
use crate::input_path::InputPaths;

pub mod baseline;
pub mod exemption;
pub mod input_path;
pub mod remediation;
pub mod source_map;

mod github;
mod json;
mod junit;
mod markdown;
mod sarif;
mod text;

pub use github::render_github;
pub use json::render_json;
pub use junit::render_junit;
pub(crate) use markdown::text as markdown_text;
pub use markdown::{
    MARKDOWN_MAX_CHARS, MarkdownOptions, render_markdown, render_markdown_capped, render_markdown_with,
};
pub use palisade_model::policy::PackProvenance;
pub use palisade_model::text::clean;
pub use sarif::render_sarif;
pub use text::render_text;

/// An output format of the `check` report; each is one file of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// For people: findings by input file, then by resource, then a summary line.
    Text,
    /// The JSON report, schema version 1 (`engine/schema/report.schema.json`).
    Json,
    /// SARIF 2.1.0, for code scanning (GitHub, GitLab, Azure DevOps).
    Sarif,
    /// JUnit XML: one test case per policy and resource judged.
    Junit,
    /// GitHub-flavoured Markdown, for a pull-request comment.
    Markdown,
    /// GitHub Actions workflow commands (`::error file=...::`), as annotations.
    Github,
}

impl Format {
    /// Every format, in the order `--format` lists them.
    pub const ALL: [Format; 6] =
        [Format::Text, Format::Json, Format::Sarif, Format::Junit, Format::Markdown, Format::Github];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Github => "github",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    /// Parses a format name; the error lists the formats.
    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
            format!("unknown report format {s:?}; formats: {}", names.join(", "))
        })
    }
}

/// Settings of [`render`] that are not in the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Markdown only: the URL that a located finding's `.tf` path is
    /// appended to, to link it (see [`MarkdownOptions::link_base`]).
    pub link_base: Option<String>,
}

/// Write `report` in `format` to `out`.
pub fn render(
    report: &Report,
    format: Format,
    options: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Text => render_text(report, out),
        Format::Json => render_json(report, out),
        Format::Sarif => render_sarif(report, out),
        Format::Junit => render_junit(report, out),
        Format::Markdown => {
            let markdown = MarkdownOptions { link_base: options.link_base.clone(), ..MarkdownOptions::default() };
            render_markdown_with(report, &markdown, out)
        }
        Format::Github => render_github(report, out),
    }
}

/// The version of the JSON report's shape (`schema_version`).
pub const SCHEMA_VERSION: u32 = 1;

/// A complete `check` report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Violations, sorted by resource, pack, policy.
    pub violations: Vec<Violation>,
    /// Policy errors, sorted by first resource, pack, policy.
    pub policy_errors: Vec<PolicyError>,
    /// Inputs that are incomplete inventory scans, one line per scope that
    /// did not complete (`FILE: ACCOUNT REGION: error`). A report with any
    /// is never clean: `summary.complete` is false.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
    /// Inputs that could not be read or parsed, in the order given; the
    /// other inputs were checked. A report with any is never clean:
    /// `summary.complete` is false (exit 2).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub input_errors: Vec<InputErrorEntry>,
    /// What the readers said once about an input, `FILE: note` (a plan
    /// without a `configuration` section reads every value the
    /// configuration leaves out as unknown), then the run's note on
    /// undecided results over encrypted values. Every format shows them
    /// once (JUnit: an input's notes as properties of its suites).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Violations an exemption covers (see [`Report::apply_exemptions`]);
    /// they do not fail the run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exempted: Vec<ExemptedViolation>,
    /// What the exemptions file did, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemptions: Option<ExemptionsOutcome>,
    /// Violations the baseline already knew (see [`Report::apply_baseline`]);
    /// they do not fail the run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub baselined: Vec<Violation>,
    /// What the baseline did, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineOutcome>,
    /// Every policy of the packs, in pack order, with its effective level.
    pub policies: Vec<PolicyDoc>,
    /// What each policy judged (JUnit's test cases); not in the JSON report.
    #[serde(skip)]
    pub evaluations: Vec<Evaluation>,
    /// Counts.
    pub summary: Summary,
    /// What produced the report.
    pub provenance: Provenance,
}

/// An input that could not be read or parsed ([`Report::input_errors`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputErrorEntry {
    /// The input as given (`-` for standard input).
    pub input: String,
    /// Why, naming the file (and the line or JSON path); secret-named
    /// values are not shown (see `palisade_input::InputError`).
    pub message: String,
}

/// Counts of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Resources given to resource policies (policy targets of all inputs:
    /// managed resources that exist after the change; with `--only-changed`,
    /// the changed ones).
    pub resources_evaluated: usize,
    /// Resources read from all inputs, of every kind and action.
    pub resources_loaded: usize,
    /// Resources judged by at least one resource policy (a stack policy
    /// judges an input as a whole and is not counted).
    pub resources_judged: usize,
    /// Violations per effective enforcement level.
    pub violations: LevelCounts,
    /// Violations that could not be decided (unknown values); they are
    /// counted as advisory above.
    pub undecided: usize,
    /// Whether undecided results fail the run (`--fail-on-undecided`, or
    /// the config's `failOnUndecided`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub undecided_blocks: bool,
    /// Policy errors, all levels.
    pub policy_errors: usize,
    /// Policy errors of mandatory or remediate policies.
    pub blocking_policy_errors: usize,
    /// Violations covered by an exemption (not counted above).
    pub exempted: usize,
    /// Violations known to the baseline (not counted above).
    pub baselined: usize,
    /// Whether the run fails `check` (exit code 1).
    pub failed: bool,
    /// Whether every input is complete: false when an inventory input is an
    /// incomplete scan or an input could not be read (the command then
    /// exits 2, whatever else it found).
    pub complete: bool,
}

/// A count per enforcement level.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LevelCounts {
    /// `advisory`.
    pub advisory: usize,
    /// `mandatory`.
    pub mandatory: usize,
    /// `remediate`.
    pub remediate: usize,
}

/// A violation an exemption covers.
#[derive(Debug, Clone, Serialize)]
pub struct ExemptedViolation {
    /// The violation.
    #[serde(flatten)]
    pub violation: Violation,
    /// The exemption that covers it.
    pub exemption: ExemptionRef,
}

/// What an exemptions file did in a run.
#[derive(Debug, Clone, Serialize)]
pub struct ExemptionsOutcome {
    /// The file.
    pub file: String,
    /// Its number of entries.
    pub entries: usize,
    /// Exemptions past their `expires` day: they exempted nothing; each
    /// lists the resources it would have exempted.
    pub expired: Vec<ExpiredExemption>,
    /// Exemptions in force that matched no violation (stale, or the
    /// problem is fixed): candidates for removal.
    pub unused: Vec<ExemptionRef>,
}

/// An exemption past its `expires` day.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiredExemption {
    /// The exemption.
    #[serde(flatten)]
    pub exemption: ExemptionRef,
    /// The resources whose violations it would have exempted and that no
    /// exemption in force covers, sorted.
    pub no_longer_exempts: Vec<String>,
}

/// What a baseline did in a run.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineOutcome {
    /// The baseline file.
    pub file: String,
    /// Findings it holds.
    pub known: usize,
    /// Violations of this run it knew (moved to `baselined`).
    pub suppressed: usize,
    /// Findings it holds that this run did not find (fixed, or gone).
    pub resolved: usize,
    /// Whether findings were matched within their input file (the baseline
    /// or the run has several inputs).
    pub by_input: bool,
}

/// A policy as reports describe it (SARIF rules, JUnit suites).
#[derive(Debug, Clone, Serialize)]
pub struct PolicyDoc {
    /// The pack (describe name).
    pub pack: String,
    /// The policy name.
    pub name: String,
    /// What it checks.
    pub description: String,
    /// Its severity.
    pub severity: Severity,
    /// Its effective level in this run (config and overrides applied).
    pub enforcement_level: EnforcementLevel,
    /// Resource or stack policy.
    pub kind: PolicyKind,
    /// A help URL or text, if the pack gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Why the effective level differs from the one asked for (a stack
    /// policy set to `remediate` runs as `mandatory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Versions and digests of everything that went into a report.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// Palisade's version.
    pub palisade_version: String,
    /// The packs, in the order given.
    pub packs: Vec<PackProvenance>,
    /// The inputs, in the order given.
    pub inputs: Vec<InputProvenance>,
}

/// One input of [`Provenance`].
#[derive(Debug, Clone, Serialize)]
pub struct InputProvenance {
    /// Path as given (`-` for standard input).
    pub path: String,
    /// The format it was read as.
    pub format: String,
    /// Hex SHA-256 of the bytes read.
    pub sha256: String,
    /// The path relative to the repository root
    /// ([`input_path::InputPaths::key`]), `/`-separated (absolute outside
    /// it, `-` for standard input): how baselines and exemption `input:`
    /// globs name this input, whatever its spelling on the command line.
    pub repo_path: String,
}

impl Report {
    /// Marks the report incomplete with one line per scope that did not
    /// complete (see [`Report::incomplete`]); no-op for an empty list.
    pub fn with_incomplete(mut self, lines: Vec<String>) -> Report {
        if !lines.is_empty() {
            self.summary.complete = false;
            self.incomplete = lines;
        }
        self
    }

    /// Adds the inputs that could not be read (see [`Report::input_errors`])
    /// and marks the report incomplete; no-op for an empty list.
    pub fn with_input_errors(mut self, errors: Vec<InputErrorEntry>) -> Report {
        if !errors.is_empty() {
            self.summary.complete = false;
            self.input_errors.extend(errors);
        }
        self
    }

    /// Build a report from findings, the packs and settings that produced
    /// them, and the inputs.
    pub fn new<P: DescribedPack>(
        findings: Findings,
        packs: &[P],
        settings: &PolicySettings,
        inputs: Vec<InputProvenance>,
        palisade_version: &str,
    ) -> Report {
        let policies = packs
            .iter()
            .flat_map(|pack| {
                pack.metadata().policies.iter().map(|p| PolicyDoc {
                    pack: pack.metadata().name.clone(),
                    name: p.name.clone(),
                    description: p.description.clone(),
                    severity: p.severity,
                    enforcement_level: settings.level(p),
                    kind: p.kind,
                    help: p.help.clone(),
                    note: settings.note(p),
                })
            })
            .collect();
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            violations: findings.violations,
            policy_errors: findings.policy_errors,
            incomplete: Vec::new(),
            input_errors: Vec::new(),
            notes: Vec::new(),
            exempted: Vec::new(),
            exemptions: None,
            baselined: Vec::new(),
            baseline: None,
            policies,
            evaluations: findings.evaluations,
            summary: Summary {
                resources_evaluated: findings.resources_evaluated,
                resources_loaded: findings.resources_loaded,
                resources_judged: findings.resources_judged,
                complete: true,
                ..Summary::default()
            },
            provenance: Provenance {
                palisade_version: palisade_version.to_string(),
                packs: packs.iter().map(DescribedPack::provenance).collect(),
                inputs,
            },
        };
        report.recount();
        report
    }

    /// Recompute the summary's counts and verdict from the lists.
    fn recount(&mut self) {
        let s = &mut self.summary;
        s.violations = LevelCounts::default();
        s.undecided = 0;
        for v in &self.violations {
            s.undecided += usize::from(v.undecided);
            match v.enforcement_level {
                EnforcementLevel::Advisory => s.violations.advisory += 1,
                EnforcementLevel::Mandatory => s.violations.mandatory += 1,
                EnforcementLevel::Remediate => s.violations.remediate += 1,
                EnforcementLevel::Disabled => {}
            }
        }
        s.policy_errors = self.policy_errors.len();
        s.blocking_policy_errors = self.policy_errors.iter().filter(|e| e.blocks()).count();
        s.exempted = self.exempted.len();
        s.baselined = self.baselined.len();
        let failed =
            self.violations.iter().any(|v| self.blocks(v)) || self.policy_errors.iter().any(PolicyError::blocks);
        self.summary.failed = failed;
    }

    /// The (policy, resource) pairs this run judged, from
    /// [`Report::evaluations`]; a stack policy's as (policy, ""): it judged
    /// its whole input.
    fn judged(&self) -> std::collections::HashSet<(&str, &str)> {
        let mut judged = std::collections::HashSet::new();
        for e in &self.evaluations {
            match e.kind {
                PolicyKind::Stack => {
                    judged.insert((e.policy.as_str(), ""));
                }
                PolicyKind::Resource => judged.extend(e.resources.iter().map(|r| (e.policy.as_str(), r.as_str()))),
            }
        }
        judged
    }

    /// Whether `v`, one of [`Report::violations`], blocks the run: decided
    /// at a blocking level, or undecided when undecided results block
    /// ([`Summary::undecided_blocks`]).
    pub fn blocks(&self, v: &Violation) -> bool {
        v.blocks() || (self.summary.undecided_blocks && v.undecided)
    }

    /// Makes every undecided result fail the run from now on
    /// (`--fail-on-undecided`): [`Summary::undecided_blocks`].
    pub fn fail_on_undecided(&mut self) {
        self.summary.undecided_blocks = true;
        self.recount();
    }

    /// Moves every violation an exemption in force covers to
    /// [`Report::exempted`] (the first covering entry, in file order, is
    /// named), and records in [`Report::exemptions`] the exemptions expired
    /// on `today` (UTC) with what they no longer exempt, and the ones in
    /// force that matched nothing (not counting those that may apply to an
    /// input that could not be read: nothing is known of its violations).
    /// Policy errors are never exempted.
    pub fn apply_exemptions(&mut self, exemptions: &Exemptions, today: jiff::civil::Date) {
        let mut used = vec![false; exemptions.entries.len()];
        let mut lapsed: Vec<Vec<String>> = vec![Vec::new(); exemptions.entries.len()];
        let mut kept = Vec::with_capacity(self.violations.len());
        let paths = InputPaths::current();
        let mut names = std::collections::HashMap::new();
        let unread: Vec<_> = self.input_errors.iter().map(|e| paths.name(&e.input)).collect();
        for v in std::mem::take(&mut self.violations) {
            let mut covering = None;
            let mut lapsing = Vec::new();
            let name = names.entry(v.file.clone()).or_insert_with(|| paths.name(&v.file));
            for (i, e) in exemptions.entries.iter().enumerate() {
                if !e.covers_named(&v.policy, &v.resource, name) {
                    continue;
                }
                if e.expired(today) {
                    lapsing.push(i);
                } else if covering.is_none() {
                    covering = Some(i);
                }
            }
            // Still exempted by an exemption in force: nothing lapsed for it.
            if covering.is_none() {
                for i in lapsing {
                    lapsed[i].push(v.resource.clone());
                }
            }
            match covering {
                Some(i) => {
                    used[i] = true;
                    let exemption = exemptions.entries[i].reference(&exemptions.path);
                    self.exempted.push(ExemptedViolation { violation: v, exemption });
                }
                None => kept.push(v),
            }
        }
        self.violations = kept;
        let mut outcome = ExemptionsOutcome {
            file: exemptions.path.clone(),
            entries: exemptions.entries.len(),
            expired: Vec::new(),
            unused: Vec::new(),
        };
        for (i, e) in exemptions.entries.iter().enumerate() {
            if e.expired(today) {
                let mut resources = std::mem::take(&mut lapsed[i]);
                resources.sort();
                resources.dedup();
                outcome
                    .expired
                    .push(ExpiredExemption { exemption: e.reference(&exemptions.path), no_longer_exempts: resources });
            } else if !used[i] && !unread.iter().any(|input| e.applies_to_input(input)) {
                outcome.unused.push(e.reference(&exemptions.path));
            }
        }
        self.exemptions = Some(outcome);
        self.recount();
    }

    /// Moves every violation the baseline knows (same policy and resource;
    /// and same input when the baseline or this run has several inputs,
    /// compared by path relative to the repository root, see
    /// [`crate::baseline`]) to [`Report::baselined`], and records in
    /// [`Report::baseline`] how many it knew and how many of its findings
    /// this run no longer has. Findings of an input that could not be read
    /// ([`Report::input_errors`]) are not counted as no longer found.
    pub fn apply_baseline(&mut self, baseline: &Baseline) {
        let checked = self.provenance.inputs.len() + self.input_errors.len();
        let by_input = baseline.inputs.len() > 1 || checked > 1;
        let keys = self.input_keys();
        let key = |file: &str| keys.get(file).cloned().unwrap_or_default();
        // A baseline of several inputs checked against one: match within the input.
        let (known, new): (Vec<Violation>, Vec<Violation>) =
            std::mem::take(&mut self.violations).into_iter().partition(|v| baseline.covers(&key(&v.file), v, by_input));
        self.violations = new;
        self.baselined.extend(known);
        let found: Vec<&Violation> =
            self.violations.iter().chain(&self.baselined).chain(self.exempted.iter().map(|e| &e.violation)).collect();
        // A finding is no longer found only where its policy judged its
        // resource this run (not when --only-changed left it unjudged).
        let judged = self.judged();
        let was_judged = |p: &str, r: &str| judged.contains(&(p, "")) || judged.contains(&(p, r));
        let resolved = if by_input {
            let unread: std::collections::BTreeSet<&str> =
                self.input_errors.iter().filter_map(|e| keys.get(&e.input).map(String::as_str)).collect();
            let found: std::collections::BTreeSet<(String, &str, &str)> =
                found.iter().map(|v| (key(&v.file), v.policy.as_str(), v.resource.as_str())).collect();
            baseline
                .known_in
                .iter()
                .filter(|(f, p, r)| {
                    // An entry without a file is found in any input.
                    let anywhere = f.is_empty() && found.iter().any(|(_, fp, fr)| fp == p && fr == r);
                    !anywhere
                        && !unread.contains(f.as_str())
                        && was_judged(p, r)
                        && !found.contains(&(f.clone(), p.as_str(), r.as_str()))
                })
                .count()
        } else if !self.input_errors.is_empty() {
            // The one input could not be read: nothing is known to be fixed.
            0
        } else {
            let found: std::collections::BTreeSet<(&str, &str)> =
                found.iter().map(|v| (v.policy.as_str(), v.resource.as_str())).collect();
            baseline
                .known
                .iter()
                .filter(|(p, r)| was_judged(p, r) && !found.contains(&(p.as_str(), r.as_str())))
                .count()
        };
        self.baseline = Some(BaselineOutcome {
            file: baseline.path.clone(),
            known: if by_input { baseline.known_in.len() } else { baseline.known.len() },
            suppressed: self.baselined.len(),
            resolved,
            by_input,
        });
        self.recount();
    }

    /// Each input path of this report (checked or unread, and every file a
    /// finding names) and its key: `provenance.inputs[].repo_path`, else
    /// keyed against the current directory.
    fn input_keys(&self) -> std::collections::HashMap<String, String> {
        let mut keys: std::collections::HashMap<String, String> =
            self.provenance.inputs.iter().map(|i| (i.path.clone(), i.repo_path.clone())).collect();
        let paths = InputPaths::current();
        let files = self.input_errors.iter().map(|e| &e.input).chain(
            self.violations
                .iter()
                .chain(&self.baselined)
                .chain(self.exempted.iter().map(|e| &e.violation))
                .map(|v| &v.file),
        );
        for file in files {
            if !keys.contains_key(file) {
                keys.insert(file.clone(), paths.key(file));
            }
        }
        keys
    }

    /// Sets each violation's source location (in every list) to what
    /// `locate(resource, file)` answers.
    pub fn locate(&mut self, locate: impl Fn(&str, &str) -> Option<SourceLocation>) {
        let all = self
            .violations
            .iter_mut()
            .chain(self.baselined.iter_mut())
            .chain(self.exempted.iter_mut().map(|e| &mut e.violation));
        for v in all {
            v.location = locate(&v.resource, &v.file);
        }
    }

    /// The policy `name` of pack `pack`, if the report describes it.
    pub fn policy(&self, pack: &str, name: &str) -> Option<&PolicyDoc> {
        self.policies.iter().find(|p| p.pack == pack && p.name == name)
    }
}
