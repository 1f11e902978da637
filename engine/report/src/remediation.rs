//! Rendering and writing a [`RemediationReport`]: JSON (the format
//! `palisade-remediation-report`, schema
//! `engine/schema/remediation-report.schema.json`), one self-contained HTML
//! page, and Markdown for pull-request comments and tickets.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, ErrorKind, Output, State, UndefinedBehavior, Value, escape_formatter};
use serde::Serialize;

use crate::{MARKDOWN_MAX_CHARS, clean, markdown_text};
use palisade_model::finding::Violation;
use palisade_model::policy::{EnforcementLevel, Severity};
use palisade_model::remediation::action::{Action, IngressRule};
use palisade_model::remediation::plan::Managed;
use palisade_model::remediation::report::{
    ActionOutcome, ActionStatus, ChangeOutcome, ChangeStatus, Mode, RemediationReport, RunInfo, Summary, Verification,
    Verified,
};

/// The JSON report's file name in a report directory.
pub const JSON_FILE: &str = "remediation.json";
/// The HTML report's file name in a report directory.
pub const HTML_FILE: &str = "remediation.html";
/// The Markdown report's file name in a report directory.
pub const MARKDOWN_FILE: &str = "remediation.md";

/// Where [`write_dir`] wrote a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenReport {
    /// The report directory.
    pub dir: PathBuf,
    /// `DIR/remediation.json`.
    pub json: PathBuf,
    /// `DIR/remediation.html`.
    pub html: PathBuf,
    /// `DIR/remediation.md`.
    pub markdown: PathBuf,
}

/// A report that could not be rendered or written. Every variant names the
/// file concerned.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The report could not be serialized to JSON.
    #[error("cannot render {file}: {source}")]
    Json {
        /// The output file name ([`JSON_FILE`]).
        file: &'static str,
        /// Why.
        source: serde_json::Error,
    },
    /// A template failed to render.
    #[error("cannot render {file}: {message}")]
    Template {
        /// The output file name ([`HTML_FILE`] or [`MARKDOWN_FILE`]).
        file: &'static str,
        /// The template engine's error, with the template and line.
        message: String,
    },
    /// The report directory exists and is not empty (or is not a directory).
    #[error("{}: the report directory already exists and is not empty; refusing to write into it", dir.display())]
    Exists {
        /// The directory.
        dir: PathBuf,
    },
    /// A file or directory could not be created, written or renamed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`create directory`, `write`, `rename into place`).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// The report as pretty-printed JSON with a final newline.
///
/// # Errors
/// [`RenderError::Json`] if serialization fails (it does not for reports
/// built by [`RemediationReport::new`]).
pub fn to_json(report: &RemediationReport) -> Result<String, RenderError> {
    let mut s = serde_json::to_string_pretty(report).map_err(|source| RenderError::Json { file: JSON_FILE, source })?;
    s.push('\n');
    Ok(s)
}

/// The report as one self-contained HTML page that works offline: inline
/// CSS and SVG, no script, no font, image or link to fetch (a
/// `Content-Security-Policy` of `default-src 'none'` says so to the
/// browser).
///
/// It shows, in order: the status badge (`Dry run`; `Stale plan` when the
/// plan was stale and nothing was sent; on an apply `Applied` only when
/// every change and action was applied and each verified resource is fixed
/// or pending, else `Partially applied` (an action with a call sent counts
/// as something applied), `Failed`, `Not applied` or `Nothing to apply`)
/// and the outcome; for a stale plan, the resources "Changed since the
/// plan", each change and action saying "not sent: the plan is stale"; the
/// summary counts
/// (violations of a run from a plan file are "not evaluated (from a
/// plan)", never 0; undecided findings are counted apart); the run's
/// metadata (when, who, packs and versions, inventory, plan, Palisade's
/// version); violations by policy and severity as an SVG bar chart, decided
/// and undecided apart, with the same numbers in a table; what failed or
/// was not applied, and why; what needs a human (actions not allowed
/// included); the tag changes made (or, on a dry run, that would be) with
/// their verification; the actions, each with its calls and parameters,
/// its configuration before, expected after and found on the re-read, its
/// status, error, verification, timings and the operations sent; the fixes
/// left to code ("managed by FILE (ADDRESS): fix it in code", with the
/// patch's lines and the note on where the fix goes); a change or action
/// on a resource a state manages says "managed by FILE (ADDRESS); changed
/// in place (--include-managed)"; an action partly applied says "partly
/// applied: SENT; the rest was not sent" and shows its after as unknown; a
/// dry run shows before and the planned after; the tags before and after per resource, added, removed
/// and changed keys marked in words and colour (a change not applied shows
/// the tags as they still are, marked "not applied"); every violation.
///
/// Built with the template `templates/remediation.html` (minijinja, HTML
/// auto-escaping): every name, value and message is escaped (`<`, `>`,
/// `&`, quotes), after control and invisible formatting characters are
/// shown as escapes (`\n`, `\u{202e}`), as in the text report. Values are
/// shown as the report holds them: secret values were redacted when the
/// plan was made (tags of conventionally secret keys, the managed fixes'
/// diff lines).
///
/// # Errors
/// [`RenderError::Template`] naming [`HTML_FILE`] if the template fails.
pub fn to_html(report: &RemediationReport) -> Result<String, RenderError> {
    let view = View::new(report, usize::MAX);
    render(HTML_FILE, TEMPLATE_HTML, &view)
}

/// The report as GitHub Flavored Markdown for a pull-request comment or a
/// ticket, of at most [`MARKDOWN_MAX_CHARS`] characters.
///
/// The same content as [`to_html`], as tables: a title with the mode, the
/// outcome, the summary counts and the run's metadata, then one collapsible
/// `<details>` section per kind of entry (failed or not applied, needs a
/// human, actions, managed by code, changes, violations by policy, tags
/// before and after, configuration before and after, violations).
/// Names and messages are escaped as in the `check` report's Markdown
/// (`engine/report/src/markdown.rs`: HTML entities for `<`, `>`, `&`, a
/// backslash before Markdown punctuation, no `@` mentions, control
/// characters shown as escapes). Detail rows that do not fit the cap are
/// left out, last sections first, and a last line says how many.
///
/// # Errors
/// [`RenderError::Template`] naming [`MARKDOWN_FILE`] if the template fails.
pub fn to_markdown(report: &RemediationReport) -> Result<String, RenderError> {
    to_markdown_capped(report, MARKDOWN_MAX_CHARS)
}

/// [`to_markdown`] with a cap of `max_chars` characters (Unicode scalar
/// values) instead of [`MARKDOWN_MAX_CHARS`]. The title, summary and
/// metadata are always written, even past the cap; detail rows are cut
/// first.
///
/// # Errors
/// [`RenderError::Template`] naming [`MARKDOWN_FILE`] if the template fails.
pub fn to_markdown_capped(report: &RemediationReport, max_chars: usize) -> Result<String, RenderError> {
    let full = render(MARKDOWN_FILE, TEMPLATE_MARKDOWN, &View::new(report, usize::MAX))?;
    if full.chars().count() <= max_chars {
        return Ok(full);
    }
    // The largest number of detail rows that fits: rendering is monotone
    // in the rows kept, so a binary search finds it.
    let total = View::new(report, usize::MAX).rows();
    let (mut lo, mut hi) = (0usize, total);
    let mut best = render(MARKDOWN_FILE, TEMPLATE_MARKDOWN, &View::new(report, 0))?;
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        let text = render(MARKDOWN_FILE, TEMPLATE_MARKDOWN, &View::new(report, mid))?;
        if text.chars().count() <= max_chars {
            lo = mid;
            best = text;
        } else {
            hi = mid - 1;
        }
    }
    Ok(best)
}

/// The HTML template.
const TEMPLATE_HTML: &str = include_str!("templates/remediation.html");
/// The Markdown template.
const TEMPLATE_MARKDOWN: &str = include_str!("templates/remediation.md");
/// The custom auto-escape mode of the Markdown template.
const MARKDOWN_ESCAPE: &str = "markdown";

/// Render template `source` (named after the output `file`) with `view`.
fn render(file: &'static str, source: &'static str, view: &View<'_>) -> Result<String, RenderError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let template_error = |e: minijinja::Error| RenderError::Template { file, message: format!("{e:#}") };
    let syntax = SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(template_error)?;
    env.set_syntax(syntax);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::Custom(MARKDOWN_ESCAPE.into()) }
    });
    env.set_formatter(format_value);
    env.add_filter("code", |s: String| Value::from_safe_string(format!("<code>{}</code>", markdown_text(&s))));
    env.add_template(file, source).map_err(template_error)?;
    let template = env.get_template(file).map_err(template_error)?;
    template.render(Value::from(Serde(view))).map_err(template_error)
}

/// How a value is written into a template's output: HTML-escaped (after
/// [`clean`]) in the HTML page, Markdown-escaped ([`markdown_text`]) in
/// the Markdown one; values marked safe (by the `code` filter) as they are;
/// `none` as nothing. (Undefined values are errors: the environment is strict.)
fn format_value(out: &mut Output, state: &mut State, value: &Value) -> Result<(), minijinja::Error> {
    if value.is_none() {
        // An absent optional value (the templates test for them) shows as nothing.
        return Ok(());
    }
    if value.is_safe() {
        return escape_formatter(out, state, value);
    }
    let text = value.to_string();
    match state.auto_escape() {
        AutoEscape::Custom(name) if name == MARKDOWN_ESCAPE => out
            .write_str(&markdown_text(&text))
            .map_err(|e| minijinja::Error::new(ErrorKind::WriteFailure, e.to_string())),
        _ => escape_formatter(out, state, &Value::from(clean(&text).into_owned())),
    }
}

/// Everything the templates show, computed: labels, counts, chart
/// geometry, tag and configuration differences. `keep` caps the number of
/// detail rows (for the Markdown cap), in section order.
#[derive(Serialize)]
struct View<'a> {
    /// The report's format and version.
    format: &'a str,
    version: u32,
    run: &'a RunInfo,
    summary: &'a Summary,
    /// `dry-run` or `apply`, for the templates' wording.
    mode: &'static str,
    /// `Dry run` or `Apply (--apply)`, for the run's metadata.
    mode_name: &'static str,
    /// The badge's CSS class: `dry-run`, `stale`, `apply`, `partial`,
    /// `failed`, `not-applied` or `nothing`.
    badge: &'static str,
    /// The badge's text: `Dry run`, `Stale plan`, `Applied`, `Partially
    /// applied`, `Failed`, `Not applied` or `Nothing to apply`.
    mode_label: &'static str,
    /// What the badge means, one sentence.
    mode_note: &'static str,
    /// The outcome in one sentence.
    outcome: String,
    /// Whether the run left nothing to do (exit code 0).
    ok: bool,
    exit_code: u8,
    /// What the exit code means for this run, one sentence.
    exit_note: &'static str,
    /// The resources that changed since the plan (a stale plan: nothing was sent).
    stale: &'a [String],
    caller: &'a str,
    duration: Option<String>,
    /// Whether this run evaluated policies (`false` for `--plan-in`).
    evaluated: bool,
    counts: Vec<Count>,
    severities: Vec<SeverityCount>,
    /// Undecided findings, counted apart from violations.
    undecided: usize,
    chart: Chart,
    by_policy: Vec<PolicyRow<'a>>,
    failed: Vec<FailedRow<'a>>,
    changed: Vec<ChangeView<'a>>,
    actions: Vec<ActionView<'a>>,
    managed: Vec<ManagedView<'a>>,
    needs_human: Vec<HumanRow<'a>>,
    tags: Vec<ChangeView<'a>>,
    tag_rows: Vec<TagRowView<'a>>,
    config_rows: Vec<ConfigRowView<'a>>,
    violations: Vec<&'a Violation>,
    /// Detail rows left out (Markdown cap).
    cut: usize,
    /// Entries per section before the cap.
    totals: Totals,
}

/// The number of entries of each section, before the Markdown cap.
#[derive(Serialize)]
struct Totals {
    failed: usize,
    changed: usize,
    actions: usize,
    managed: usize,
    needs_human: usize,
    violations: usize,
}

/// One summary number (or, for violations not evaluated, the words that
/// say so).
#[derive(Serialize)]
struct Count {
    label: &'static str,
    value: String,
    /// A CSS class: `bad` (failures, remaining), `good`, `muted` or empty.
    class: &'static str,
}

/// Decided violations of one severity.
#[derive(Serialize)]
struct SeverityCount {
    severity: Severity,
    violations: usize,
}

/// The violations of one policy, decided and undecided apart.
#[derive(Serialize)]
struct PolicyRow<'a> {
    pack: &'a str,
    policy: &'a str,
    severity: Severity,
    enforcement_level: EnforcementLevel,
    /// Decided violations.
    violations: usize,
    /// Undecided findings.
    undecided: usize,
}

/// The bar chart of violations by policy, in SVG user units (pixels).
#[derive(Serialize)]
struct Chart {
    width: usize,
    height: usize,
    label_width: usize,
    bars: Vec<Bar>,
    /// The chart's numbers in words, for screen readers.
    description: String,
}

/// One bar: one policy, its decided violations in the severity's colour,
/// then its undecided findings in grey.
#[derive(Serialize)]
struct Bar {
    /// `pack/policy`.
    label: String,
    /// The label cut to fit, with an ellipsis.
    short: String,
    severity: Severity,
    level: EnforcementLevel,
    /// Decided violations.
    count: usize,
    /// Undecided findings.
    undecided: usize,
    /// `3`, or `3 + 2 undecided`.
    count_text: String,
    y: usize,
    /// The decided part's width (0 when there is none).
    width: usize,
    /// Where the undecided part starts, and its width (0 when none).
    undecided_x: usize,
    undecided_width: usize,
    /// The baseline of the bar's texts.
    text_y: usize,
    /// Where the count is written.
    count_x: usize,
}

/// A verification result for people.
#[derive(Clone, Serialize)]
struct VerifiedView<'a> {
    /// The wire name (`still-violating`), for CSS classes.
    result: Verification,
    /// `Fixed`, `Still violating`, `Pending`, `Could not be verified`.
    label: &'static str,
    detail: &'a str,
}

/// A planned tag change with its outcome and tag differences.
#[derive(Clone, Serialize)]
struct ChangeView<'a> {
    arn: &'a str,
    region: &'a str,
    account: &'a str,
    resource_type: &'a str,
    /// The status's wire name (`applied`), for CSS classes.
    status: ChangeStatus,
    /// The status in words (`Already applied`).
    status_label: &'static str,
    error: Option<&'a str>,
    policies: &'a [String],
    set: Vec<(&'a str, &'a str)>,
    remove: Vec<&'a str>,
    tags: Vec<TagRow<'a>>,
    /// Whether the change was not applied on an apply (failed or not sent):
    /// its tags are shown as they still are.
    not_applied: bool,
    /// Why a change was not sent (`not sent: the plan is stale`).
    note: Option<&'static str>,
    /// `managed by FILE (ADDRESS); changed in place (--include-managed)`.
    managed_by: Option<String>,
    verification: Option<VerifiedView<'a>>,
}

/// One tag key of a resource, before and after.
#[derive(Clone, Serialize)]
struct TagRow<'a> {
    key: &'a str,
    before: Option<&'a str>,
    /// The value after the run: the planned one, or, for a change not
    /// applied, the one it still has.
    after: Option<&'a str>,
    /// `added`, `removed`, `changed`, `unchanged` or `not-applied`.
    state: &'static str,
    /// The state in words (`not applied`).
    mark: &'static str,
    /// For a change not applied: `(planned: VALUE)` or `(planned: absent)`.
    planned_note: Option<String>,
}

/// A tag row with its resource, for the Markdown table.
#[derive(Serialize)]
struct TagRowView<'a> {
    arn: &'a str,
    #[serde(flatten)]
    row: TagRow<'a>,
}

/// A change or action that failed or was not applied, with why.
#[derive(Clone, Serialize)]
struct FailedRow<'a> {
    arn: &'a str,
    /// `tags`, or the action's kind.
    fix: &'static str,
    resource_type: &'a str,
    region: &'a str,
    status_label: &'static str,
    error: String,
}

/// A violation, or an action not allowed, left to a person.
#[derive(Serialize)]
struct HumanRow<'a> {
    resource: &'a str,
    /// `pack/policy` (several, for an action, joined by `, `).
    policy: String,
    severity: Option<Severity>,
    message: String,
    reason: String,
}

/// One AWS call of an action, its parameters as compact JSON.
#[derive(Clone, Serialize)]
struct CallView<'a> {
    operation: &'a str,
    parameters: String,
}

/// One setting of an action's configuration: before, expected after and
/// found on the re-read, each as lines of compact JSON (one per element of
/// a list).
#[derive(Clone, Serialize)]
struct ConfigRow {
    /// The setting's path in the slice (`public_access_block.block_public_acls`).
    path: String,
    before: Vec<String>,
    /// The expected value, or, for an action not applied, the value the
    /// resource still has.
    after: Vec<String>,
    /// As re-read before the calls, when it was.
    found: Option<Vec<String>>,
    /// `changed`, `unchanged`, `done`, `partly-applied` or `not-applied`.
    state: &'static str,
    /// The state in words.
    mark: &'static str,
    /// For an action not applied: the expected value it did not get.
    planned: Option<Vec<String>>,
}

/// A configuration row with its resource and action, for the Markdown table.
#[derive(Serialize)]
struct ConfigRowView<'a> {
    arn: &'a str,
    kind: &'static str,
    #[serde(flatten)]
    row: ConfigRow,
}

/// A planned action with its outcome.
#[derive(Clone, Serialize)]
struct ActionView<'a> {
    arn: &'a str,
    region: &'a str,
    account: &'a str,
    resource_type: &'a str,
    id: &'a str,
    kind: &'static str,
    /// The parameters in words (`ec2.revoke-ingress`: one rule per line).
    params: Vec<String>,
    status: ActionStatus,
    status_label: &'static str,
    error: Option<&'a str>,
    policies: &'a [String],
    calls: Vec<CallView<'a>>,
    config: Vec<ConfigRow>,
    /// Whether the resource was re-read before the calls (`found`).
    has_found: bool,
    sent: &'a [String],
    started_at: Option<&'a str>,
    /// `120 ms`, or `1.2 s`.
    duration: Option<String>,
    not_applied: bool,
    /// What became of it beyond its status: `partly applied: SENT; the
    /// rest was not sent`, or `not sent: the plan is stale`.
    note: Option<String>,
    /// `managed by FILE (ADDRESS); changed in place (--include-managed)`.
    managed_by: Option<String>,
    verification: Option<VerifiedView<'a>>,
}

/// A fix left to code: the state that manages the resource and the patch.
#[derive(Clone, Serialize)]
struct ManagedView<'a> {
    resource: &'a str,
    state: &'a str,
    address: &'a str,
    fix: &'a str,
    diff: &'a [String],
    policies: &'a [String],
    /// Where the fix goes in Terraform when it is a resource of its own.
    note: Option<&'a str>,
}

/// The chart's sizes, in pixels.
const CHART_LABEL_WIDTH: usize = 320;
const CHART_BAR_AREA: usize = 360;
const CHART_ROW: usize = 26;
const CHART_BAR: usize = 18;
const CHART_LABEL_CHARS: usize = 44;

impl<'a> View<'a> {
    fn new(report: &'a RemediationReport, keep: usize) -> View<'a> {
        let s = &report.summary;
        let run = &report.run;
        let (badge, mode_label, mode_note) = badge(report);
        let stale = !report.stale.is_empty();
        let views: Vec<ChangeView<'a>> = report.changes.iter().map(|o| ChangeView::new(o, run.mode, stale)).collect();
        let actions: Vec<ActionView<'a>> = report.actions.iter().map(|o| ActionView::new(o, run.mode, stale)).collect();
        let by_policy = policy_rows(report);
        let chart = Chart::new(&by_policy);
        let details = Details::new(report, &views, &actions, by_policy, keep);
        View {
            format: &report.format,
            version: report.version,
            run,
            summary: s,
            mode: match run.mode {
                Mode::DryRun => "dry-run",
                Mode::Apply => "apply",
            },
            mode_name: match run.mode {
                Mode::DryRun => "Dry run",
                Mode::Apply => "Apply (--apply)",
            },
            badge,
            mode_label,
            mode_note,
            outcome: outcome(report),
            ok: report.exit_code() == 0,
            exit_code: report.exit_code(),
            exit_note: exit_note(report),
            stale: &report.stale,
            caller: run.caller.as_deref().filter(|c| !c.is_empty()).unwrap_or("unknown"),
            duration: duration(&run.started_at, &run.finished_at),
            evaluated: s.evaluated,
            counts: counts(s, run.mode),
            severities: severities(&report.violations),
            undecided: s.undecided,
            chart,
            by_policy: details.by_policy,
            failed: details.failed,
            changed: details.changed,
            actions: details.actions,
            managed: details.managed,
            needs_human: details.needs_human,
            tags: views,
            tag_rows: details.tag_rows,
            config_rows: details.config_rows,
            violations: details.violations,
            cut: details.cut,
            totals: details.totals,
        }
    }

    /// The number of detail rows (what `keep` counts).
    fn rows(&self) -> usize {
        self.failed.len()
            + self.needs_human.len()
            + self.actions.len()
            + self.managed.len()
            + self.changed.len()
            + self.by_policy.len()
            + self.tag_rows.len()
            + self.config_rows.len()
            + self.violations.len()
    }
}

/// Whether an outcome counts as applied and verified: `applied` (applied,
/// already applied or done) and, when it was verified, fixed or pending.
/// (An outcome without a verification was not re-read; that is the
/// command's choice, and the report does not call it unverified.)
fn settled(applied: bool, verification: Option<&Verified>) -> bool {
    applied && verification.is_none_or(|v| matches!(v.result, Verification::Fixed | Verification::Pending))
}

/// Why a change or action of a stale plan was not sent.
const NOT_SENT_STALE: &str = "not sent: the plan is stale";

/// `managed by FILE (ADDRESS); changed in place (--include-managed)` for a
/// resource a state manages that was changed in place all the same.
fn managed_note(managed_by: Option<&String>) -> Option<String> {
    managed_by.map(|by| format!("managed by {by}; changed in place (--include-managed)"))
}

/// `partly applied: s3:PutPublicAccessBlock; the rest was not sent` for an
/// action that did not end applied although some of its calls were sent.
fn partly_applied(o: &ActionOutcome) -> Option<String> {
    let applied = matches!(o.status, ActionStatus::Applied | ActionStatus::Done);
    (!applied && !o.sent.is_empty()).then(|| format!("partly applied: {}; the rest was not sent", o.sent.join(", ")))
}

/// The number of fixes (tag changes and actions) that did not settle: not
/// applied (failed, not sent, not allowed, left by `--max-changes`; on a dry
/// run, every one), or applied but verified still violating or not
/// verified. A run from a plan file (`--plan-in`) evaluates no policy, so
/// this is what it counts instead of blocking violations.
pub fn unsettled(report: &RemediationReport) -> usize {
    let changes = report.changes.iter().filter(|o| {
        let applied = matches!(o.status, ChangeStatus::Applied | ChangeStatus::AlreadyApplied);
        !settled(applied, o.verification.as_ref())
    });
    let actions = report.actions.iter().filter(|o| {
        let applied = matches!(o.status, ActionStatus::Applied | ActionStatus::Done);
        !settled(applied, o.verification.as_ref())
    });
    changes.count() + actions.count()
}

/// The status badge of a run: its CSS class, its text and what it means.
///
/// A dry run is `Dry run` (its note says to run again with `--apply` only
/// when something would be applied). An apply of a stale plan is `Stale
/// plan`: nothing was sent. An apply is `Applied` only when every change
/// and action was applied (or found in place) and each verified resource is
/// fixed or pending; `Partially applied` when some of them were applied, or
/// had a call sent, but not all, or one is still violating or could not be
/// verified; `Failed` when nothing was sent and one failed; `Not applied`
/// when nothing was sent and none failed (not allowed, left by
/// `--max-changes`, not sent); `Nothing to apply` for a plan without
/// changes or actions.
fn badge(report: &RemediationReport) -> (&'static str, &'static str, &'static str) {
    if report.run.mode == Mode::DryRun {
        return dry_run_badge(report);
    }
    if !report.stale.is_empty() {
        return (
            "stale",
            "Stale plan",
            "Nothing was sent: resources changed since the plan was made (see \"Changed since the plan\"). Make a new plan, review it and apply it.",
        );
    }
    let changes = report.changes.iter().map(|o| {
        let applied = matches!(o.status, ChangeStatus::Applied | ChangeStatus::AlreadyApplied);
        (applied, o.status == ChangeStatus::Failed, settled(applied, o.verification.as_ref()))
    });
    // An action with a call sent changed something, whatever its status.
    let actions = report.actions.iter().map(|o| {
        let applied = matches!(o.status, ActionStatus::Applied | ActionStatus::Done);
        (applied || !o.sent.is_empty(), o.status == ActionStatus::Failed, settled(applied, o.verification.as_ref()))
    });
    let (mut total, mut applied, mut failed, mut settled_count) = (0, 0, 0, 0);
    for (a, f, s) in changes.chain(actions) {
        total += 1;
        applied += usize::from(a);
        failed += usize::from(f);
        settled_count += usize::from(s);
    }
    if total == 0 {
        ("nothing", "Nothing to apply", "The plan had no change or action to apply (--apply).")
    } else if settled_count == total {
        (
            "apply",
            "Applied",
            "Every change and action of the plan was applied, and each resource verified is fixed or pending (--apply).",
        )
    } else if applied > 0 {
        (
            "partial",
            "Partially applied",
            "Part of the plan was applied (--apply); the rest failed, was not applied, or is not verified fixed: see below.",
        )
    } else if failed > 0 {
        ("failed", "Failed", "Nothing was applied (--apply): see what failed, and why, below.")
    } else {
        (
            "not-applied",
            "Not applied",
            "Nothing was applied (--apply): the changes were not allowed, left by --max-changes, or not sent.",
        )
    }
}

/// The badge of a dry run: `Run again with --apply` only when some change
/// or action is planned (not when every one is not allowed or left by
/// `--max-changes`, nor when there is none).
fn dry_run_badge(report: &RemediationReport) -> (&'static str, &'static str, &'static str) {
    let planned = report.changes.iter().filter(|o| o.status == ChangeStatus::Planned).count()
        + report.actions.iter().filter(|o| o.status == ActionStatus::Planned).count();
    let note = if planned > 0 {
        "Nothing was changed: this is the plan. Run again with --apply to apply it (actions only of the kinds --allow-action names)."
    } else if report.changes.is_empty() && report.actions.is_empty() {
        "Nothing was changed, and there is nothing to apply."
    } else {
        "Nothing was changed, and --apply would change nothing: no change or action of the plan may be applied (see their status)."
    };
    ("dry-run", "Dry run", note)
}

/// What the exit code means for `report`, one sentence.
fn exit_note(report: &RemediationReport) -> &'static str {
    match report.exit_code() {
        0 => "nothing is left to do.",
        2 if !report.stale.is_empty() => {
            "the plan is stale: resources changed since it was made, and nothing was sent."
        }
        _ => {
            "violations remain, a change or action failed or was not applied, a resource is not verified fixed, or something needs a human or a change in code."
        }
    }
}

/// The outcome of the run in one sentence: changes and actions planned or
/// applied (each status counted as it is), verification, violations left
/// to people, blocking violations that remain (for a run from a plan file,
/// the fixes not settled); for a stale plan, that nothing was sent.
fn outcome(report: &RemediationReport) -> String {
    let s = &report.summary;
    if !report.stale.is_empty() {
        return format!(
            "The plan is stale: {} resource{} changed since it was made; nothing was sent ({} tag change{} and {} action{} not sent).",
            s.stale,
            plural(s.stale),
            s.planned,
            plural(s.planned),
            s.actions,
            plural(s.actions)
        );
    }
    let humans = format!(
        "{} violation{} need{} a human",
        s.needs_human,
        plural(s.needs_human),
        if s.needs_human == 1 { "s" } else { "" }
    );
    let managed =
        if s.managed > 0 { format!("; {} fix{} left to code", s.managed, plural_es(s.managed)) } else { String::new() };
    let rest = if !s.evaluated {
        // A reviewed plan (--plan-in) re-evaluates no policy.
        let open = unsettled(report);
        format!(
            "{humans}{managed}; violations not evaluated (from a plan): {open} fix{} not settled (failed, not sent, still violating or not verified).",
            plural_es(open)
        )
    } else {
        format!(
            "{humans}{managed}; {} blocking violation{} remain{}.",
            s.remaining,
            plural(s.remaining),
            if s.remaining == 1 { "s" } else { "" },
        )
    };
    let actions = match (report.run.mode, s.actions) {
        (_, 0) => String::new(),
        (Mode::DryRun, _) => dry_run_actions(report),
        (Mode::Apply, _) => format!(
            "; actions: {} applied, {} done, {} failed, {} not allowed, {} not applied (max-changes)",
            s.actions_applied, s.actions_done, s.actions_failed, s.not_allowed, s.not_applied_max_changes
        ),
    };
    let verified = s.fixed + s.pending + s.still_violating + s.unverified;
    let verification = if verified > 0 {
        format!(
            "; verified: {} fixed, {} pending, {} still violating, {} could not be verified",
            s.fixed, s.pending, s.still_violating, s.unverified
        )
    } else {
        String::new()
    };
    match report.run.mode {
        Mode::DryRun => format!("{} tag change{} planned{actions}; {rest}", s.planned, plural(s.planned)),
        Mode::Apply => format!(
            "tag changes: {} applied, {} already applied, {} failed{actions}{verification}; {rest}",
            s.applied, s.already_applied, s.failed
        ),
    }
}

/// The actions of a dry run by status: `, 2 actions planned, 4 not allowed
/// (--allow-action)`; only the statuses there are (planned always).
fn dry_run_actions(report: &RemediationReport) -> String {
    let s = &report.summary;
    let planned = report.actions.iter().filter(|o| o.status == ActionStatus::Planned).count();
    let mut text = format!(", {planned} action{} planned", plural(planned));
    if s.not_allowed > 0 {
        text.push_str(&format!(", {} not allowed (--allow-action)", s.not_allowed));
    }
    if s.not_applied_max_changes > 0 {
        text.push_str(&format!(", {} left by --max-changes", s.not_applied_max_changes));
    }
    text
}

/// The summary numbers, in the order the page shows them. Violations not
/// evaluated (a run from a plan file) say so instead of a number; the
/// action cards show when the plan has actions, the verification cards on
/// an apply, the managed card when a fix was left to code.
fn counts(s: &Summary, mode: Mode) -> Vec<Count> {
    let bad = |n: usize| if n > 0 { "bad" } else { "" };
    let good = |n: usize| if n > 0 { "good" } else { "" };
    let n = |label: &'static str, value: usize, class: &'static str| Count { label, value: value.to_string(), class };
    let violations = if s.evaluated {
        n("Violations", s.violations, "")
    } else {
        Count { label: "Violations", value: NOT_EVALUATED.to_string(), class: "muted" }
    };
    let mut counts = Vec::new();
    if s.stale > 0 {
        counts.push(n("Changed since the plan", s.stale, "bad"));
    }
    counts.extend([
        n("Resources", s.resources, ""),
        violations,
        n("Undecided", s.undecided, ""),
        n("Planned", s.planned, ""),
        n("Applied", s.applied, good(s.applied)),
        n("Already applied", s.already_applied, ""),
        n("Failed", s.failed, bad(s.failed)),
    ]);
    if s.actions > 0 {
        counts.extend([
            n("Actions", s.actions, ""),
            n("Actions applied", s.actions_applied, good(s.actions_applied)),
            n("Actions done", s.actions_done, ""),
            n("Actions failed", s.actions_failed, bad(s.actions_failed)),
            n("Not allowed", s.not_allowed, bad(s.not_allowed)),
            n("Not applied: max-changes", s.not_applied_max_changes, bad(s.not_applied_max_changes)),
        ]);
    }
    if mode == Mode::Apply && s.fixed + s.pending + s.still_violating + s.unverified > 0 {
        counts.extend([
            n("Fixed", s.fixed, good(s.fixed)),
            n("Pending", s.pending, ""),
            n("Still violating", s.still_violating, bad(s.still_violating)),
            n("Could not be verified", s.unverified, bad(s.unverified)),
        ]);
    }
    if s.managed > 0 {
        counts.push(n("Managed by code", s.managed, bad(s.managed)));
    }
    counts
        .extend([n("Needs a human", s.needs_human, bad(s.needs_human)), n("Remaining", s.remaining, bad(s.remaining))]);
    counts
}

/// What the report shows for the violations of a run from a plan file.
const NOT_EVALUATED: &str = "not evaluated (from a plan)";

/// The decided violations of each severity, most severe first.
fn severities(violations: &[Violation]) -> Vec<SeverityCount> {
    [Severity::Critical, Severity::High, Severity::Medium, Severity::Low]
        .into_iter()
        .map(|severity| SeverityCount {
            severity,
            violations: violations.iter().filter(|v| v.severity == severity && !v.undecided).count(),
        })
        .collect()
}

/// The report's policies (in `by_policy` order) with their decided and
/// undecided findings apart.
fn policy_rows(report: &RemediationReport) -> Vec<PolicyRow<'_>> {
    report
        .by_policy
        .iter()
        .map(|p| {
            let undecided =
                report.violations.iter().filter(|v| v.undecided && v.pack == p.pack && v.policy == p.policy).count();
            PolicyRow {
                pack: &p.pack,
                policy: &p.policy,
                severity: p.severity,
                enforcement_level: p.enforcement_level,
                violations: p.violations.saturating_sub(undecided),
                undecided,
            }
        })
        .collect()
}

/// The detail sections of a [`View`], cut to `keep` rows in section order,
/// and their sizes before the cut.
struct Details<'a> {
    failed: Vec<FailedRow<'a>>,
    needs_human: Vec<HumanRow<'a>>,
    actions: Vec<ActionView<'a>>,
    managed: Vec<ManagedView<'a>>,
    changed: Vec<ChangeView<'a>>,
    by_policy: Vec<PolicyRow<'a>>,
    tag_rows: Vec<TagRowView<'a>>,
    config_rows: Vec<ConfigRowView<'a>>,
    violations: Vec<&'a Violation>,
    /// Detail rows left out.
    cut: usize,
    /// Entries per section before the cut.
    totals: Totals,
}

impl<'a> Details<'a> {
    /// The sections of `report`, whose changes are `views` and actions
    /// `actions`: what failed or was not applied, what needs a human, the
    /// actions, the fixes left to code, the other changes, counts by
    /// policy, tag rows, configuration rows, violations.
    fn new(
        report: &'a RemediationReport,
        views: &[ChangeView<'a>],
        actions: &[ActionView<'a>],
        by_policy: Vec<PolicyRow<'a>>,
        keep: usize,
    ) -> Details<'a> {
        let failed_all = failed_rows(views, actions);
        let humans = human_rows(report, actions);
        let changed_all: Vec<ChangeView<'a>> =
            views.iter().filter(|c| c.status != ChangeStatus::Failed).cloned().collect();
        let managed_all: Vec<ManagedView<'a>> = report.managed.iter().map(ManagedView::new).collect();
        let totals = Totals {
            failed: failed_all.len(),
            changed: changed_all.len(),
            actions: actions.len(),
            managed: managed_all.len(),
            needs_human: humans.len(),
            violations: report.violations.len(),
        };
        let mut rows = Rows { keep, cut: 0 };
        let failed = rows.limit(failed_all);
        let needs_human = rows.limit(humans);
        let actions_kept = rows.limit(actions.to_vec());
        let managed = rows.limit(managed_all);
        let changed = rows.limit(changed_all);
        let by_policy = rows.limit(by_policy);
        let tag_rows = rows.limit(
            views
                .iter()
                .flat_map(|c| c.tags.iter().map(move |row| TagRowView { arn: c.arn, row: row.clone() }))
                .collect(),
        );
        let config_rows = rows.limit(
            actions
                .iter()
                .flat_map(|a| {
                    a.config.iter().map(move |row| ConfigRowView { arn: a.arn, kind: a.kind, row: row.clone() })
                })
                .collect(),
        );
        let violations = rows.limit(report.violations.iter().collect());
        Details {
            failed,
            needs_human,
            actions: actions_kept,
            managed,
            changed,
            by_policy,
            tag_rows,
            config_rows,
            violations,
            cut: rows.cut,
            totals,
        }
    }
}

/// The changes that failed or were not sent because the plan is stale, and
/// the actions that failed, were left by `--max-changes` or were not sent
/// because the plan is stale, with why.
fn failed_rows<'a>(views: &[ChangeView<'a>], actions: &[ActionView<'a>]) -> Vec<FailedRow<'a>> {
    let stale = |note: Option<&str>| note == Some(NOT_SENT_STALE);
    let changes = views.iter().filter(|c| c.status == ChangeStatus::Failed || stale(c.note)).map(|c| FailedRow {
        arn: c.arn,
        fix: "tags",
        resource_type: c.resource_type,
        region: c.region,
        status_label: c.status_label,
        error: c.error.or(c.note).unwrap_or("no error given").to_string(),
    });
    let actions = actions
        .iter()
        .filter(|a| {
            matches!(a.status, ActionStatus::Failed | ActionStatus::NotAppliedMaxChanges) || stale(a.note.as_deref())
        })
        .map(|a| FailedRow {
            arn: a.arn,
            fix: a.kind,
            resource_type: a.resource_type,
            region: a.region,
            status_label: a.status_label,
            error: match (a.error, a.status, a.note.as_deref()) {
                (Some(e), _, Some(note)) => format!("{e} ({note})"),
                (Some(e), _, None) => e.to_string(),
                (None, _, Some(note)) => note.to_string(),
                (None, ActionStatus::NotAppliedMaxChanges, None) => {
                    "not applied: --max-changes resources had been changed already".to_string()
                }
                (None, _, None) => "no error given".to_string(),
            },
        });
    changes.chain(actions).collect()
}

/// The plan's violations left to people, then the actions whose kind is
/// not allowed.
fn human_rows<'a>(report: &'a RemediationReport, actions: &[ActionView<'a>]) -> Vec<HumanRow<'a>> {
    let plan = report.needs_human.iter().map(|h| HumanRow {
        resource: &h.resource,
        policy: format!("{}/{}", h.pack, h.policy),
        severity: Some(h.severity),
        message: h.message.clone(),
        reason: h.reason.clone(),
    });
    let not_allowed = actions.iter().filter(|a| a.status == ActionStatus::NotAllowed).map(|a| HumanRow {
        resource: a.arn,
        policy: a.policies.join(", "),
        severity: None,
        message: format!(
            "the fix is the action {} ({})",
            a.kind,
            a.calls.iter().map(|c| c.operation).collect::<Vec<_>>().join(", ")
        ),
        reason: a
            .error
            .map_or_else(|| format!("action {} is not allowed (--allow-action {})", a.kind, a.kind), str::to_string),
    });
    plan.chain(not_allowed).collect()
}

/// The detail rows still to keep, and those left out so far.
struct Rows {
    keep: usize,
    cut: usize,
}

impl Rows {
    /// The first of `items` that are still to keep; the rest are counted as cut.
    fn limit<T>(&mut self, mut items: Vec<T>) -> Vec<T> {
        let kept = items.len().min(self.keep);
        self.keep -= kept;
        self.cut += items.len() - kept;
        items.truncate(kept);
        items
    }
}

impl Chart {
    fn new(by_policy: &[PolicyRow<'_>]) -> Chart {
        let max = by_policy.iter().map(|p| p.violations + p.undecided).max().unwrap_or(0).max(1);
        let bars: Vec<Bar> = by_policy.iter().enumerate().map(|(i, p)| Bar::new(i, p, max)).collect();
        let description = bars
            .iter()
            .map(|b| {
                format!("{}: {} violation{} ({}, {})", b.label, b.count_text, plural(b.count), b.severity, b.level)
            })
            .collect::<Vec<_>>()
            .join("; ");
        Chart {
            width: CHART_LABEL_WIDTH + CHART_BAR_AREA + 140,
            height: 16 + bars.len() * CHART_ROW,
            label_width: CHART_LABEL_WIDTH,
            bars,
            description,
        }
    }
}

impl Bar {
    /// The bar of row `i`, policy `p`, scaled so that `max` findings fill
    /// the bar area.
    fn new(i: usize, p: &PolicyRow<'_>, max: usize) -> Bar {
        let label = format!("{}/{}", p.pack, p.policy);
        let short = if label.chars().count() > CHART_LABEL_CHARS {
            let mut s: String = label.chars().take(CHART_LABEL_CHARS - 1).collect();
            s.push('\u{2026}');
            s
        } else {
            label.clone()
        };
        // At least 2 px for a part that has findings, so that it is seen.
        let scaled = |n: usize| if n == 0 { 0 } else { (n * CHART_BAR_AREA).div_ceil(max).max(2) };
        let (width, undecided_width) = (scaled(p.violations), scaled(p.undecided));
        let y = 8 + i * CHART_ROW;
        let count_text = if p.undecided > 0 {
            format!("{} + {} undecided", p.violations, p.undecided)
        } else {
            p.violations.to_string()
        };
        Bar {
            label,
            short,
            severity: p.severity,
            level: p.enforcement_level,
            count: p.violations,
            undecided: p.undecided,
            count_text,
            y,
            width,
            undecided_x: CHART_LABEL_WIDTH + width,
            undecided_width,
            text_y: y + CHART_BAR - 4,
            count_x: CHART_LABEL_WIDTH + width + undecided_width + 6,
        }
    }
}

impl<'a> VerifiedView<'a> {
    fn new(v: &'a Verified) -> VerifiedView<'a> {
        VerifiedView {
            result: v.result,
            label: match v.result {
                Verification::Fixed => "Fixed",
                Verification::StillViolating => "Still violating",
                Verification::Pending => "Pending",
                Verification::Unverified => "Could not be verified",
            },
            detail: &v.detail,
        }
    }
}

impl<'a> ChangeView<'a> {
    /// The change of `o` in a run of `mode` (`stale`: the plan was stale
    /// and nothing was sent): on an apply, a change that failed or was not
    /// sent shows its tags as they still are, marked `not applied` (`not
    /// sent` for a stale plan), with the planned value beside.
    fn new(o: &'a ChangeOutcome, mode: Mode, stale: bool) -> ChangeView<'a> {
        let c = &o.change;
        let not_applied = mode == Mode::Apply && matches!(o.status, ChangeStatus::Failed | ChangeStatus::Planned);
        let unsent = mode == Mode::Apply && stale && o.status == ChangeStatus::Planned;
        let mark = if unsent { "not sent" } else { "not applied" };
        let keys: BTreeSet<&str> = c.before.keys().chain(c.after.keys()).map(String::as_str).collect();
        let tags = keys
            .into_iter()
            .map(|key| {
                let (before, after) = (c.before.get(key).map(String::as_str), c.after.get(key).map(String::as_str));
                tag_row(key, before, after, not_applied.then_some(mark))
            })
            .collect();
        ChangeView {
            arn: &c.arn,
            region: &c.region,
            account: &c.account,
            resource_type: &c.resource_type,
            status: o.status,
            status_label: match o.status {
                ChangeStatus::Planned if unsent => "Not sent",
                ChangeStatus::Planned if mode == Mode::Apply => "Not applied",
                ChangeStatus::Planned => "Planned",
                ChangeStatus::Applied => "Applied",
                ChangeStatus::AlreadyApplied => "Already applied",
                ChangeStatus::Failed => "Failed",
            },
            error: o.error.as_deref(),
            policies: &c.policies,
            set: c.change.set.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
            remove: c.change.remove.iter().map(String::as_str).collect(),
            tags,
            not_applied,
            note: unsent.then_some(NOT_SENT_STALE),
            managed_by: managed_note(c.managed_by.as_ref()),
            verification: o.verification.as_ref().map(VerifiedView::new),
        }
    }
}

/// The row of tag `key`, `before` and planned `after`; for a change not
/// applied (`not_applied`: its mark, `not applied` or `not sent`), the tag
/// as it still is.
fn tag_row<'a>(
    key: &'a str,
    before: Option<&'a str>,
    after: Option<&'a str>,
    not_applied: Option<&'static str>,
) -> TagRow<'a> {
    if let Some(mark) = not_applied.filter(|_| before != after) {
        let planned = after.map_or_else(|| "(planned: absent)".to_string(), |a| format!("(planned: {a})"));
        return TagRow { key, before, after: before, state: "not-applied", mark, planned_note: Some(planned) };
    }
    let state = match (before, after) {
        (None, Some(_)) => "added",
        (Some(_), None) => "removed",
        (Some(b), Some(a)) if a != b => "changed",
        _ => "unchanged",
    };
    TagRow { key, before, after, state, mark: state, planned_note: None }
}

/// How an action's configuration rows show what became of it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Applied {
    /// A dry run: the planned after, marked `planned`.
    Planned,
    /// Applied: the expected after, marked `changed`.
    Changed,
    /// Found done: the expected after, marked `already done`.
    Done,
    /// Some calls sent, not all: the after is not known.
    Partly,
    /// Nothing sent (failed, not allowed, left by `--max-changes`, or not
    /// sent): the configuration as it still is, with this mark.
    Not(&'static str),
}

impl<'a> ActionView<'a> {
    /// The action of `o` in a run of `mode` (`stale`: the plan was stale
    /// and nothing was sent). A dry run shows the planned after, never
    /// "not applied": it read nothing from the cloud.
    fn new(o: &'a ActionOutcome, mode: Mode, stale: bool) -> ActionView<'a> {
        let a = &o.action;
        let partly = partly_applied(o);
        let unsent = mode == Mode::Apply && stale && o.sent.is_empty() && o.status == ActionStatus::Planned;
        let applied = match o.status {
            _ if mode == Mode::DryRun => Applied::Planned,
            ActionStatus::Applied => Applied::Changed,
            ActionStatus::Done => Applied::Done,
            _ if partly.is_some() => Applied::Partly,
            _ if unsent => Applied::Not("not sent"),
            _ => Applied::Not("not applied"),
        };
        let params = match &a.action {
            Action::Ec2RevokeIngress { rules } => rules.iter().map(IngressRule::label).collect(),
            _ => Vec::new(),
        };
        ActionView {
            arn: &a.arn,
            region: &a.region,
            account: &a.account,
            resource_type: &a.resource_type,
            id: &a.id,
            kind: a.action.kind().name(),
            params,
            status: o.status,
            status_label: action_status_label(o.status, mode, applied),
            error: o.error.as_deref(),
            policies: &a.policies,
            calls: a
                .calls
                .iter()
                .map(|c| CallView { operation: &c.operation, parameters: c.parameters.to_string() })
                .collect(),
            config: config_rows(&a.before, &a.after, o.found.as_ref(), applied),
            has_found: o.found.is_some(),
            sent: &o.sent,
            started_at: o.started_at.as_deref(),
            duration: o.duration_ms.map(milliseconds),
            not_applied: matches!(applied, Applied::Not(_)),
            note: partly.or_else(|| unsent.then(|| NOT_SENT_STALE.to_string())),
            managed_by: managed_note(a.managed_by.as_ref()),
            verification: o.verification.as_ref().map(VerifiedView::new),
        }
    }
}

/// An action's status in words (`applied`: how its configuration rows show).
fn action_status_label(status: ActionStatus, mode: Mode, applied: Applied) -> &'static str {
    match status {
        ActionStatus::Planned if applied == Applied::Not("not sent") => "Not sent",
        ActionStatus::Planned if mode == Mode::Apply => "Not applied",
        ActionStatus::Planned => "Planned",
        ActionStatus::Applied => "Applied",
        ActionStatus::Done => "Done",
        ActionStatus::Failed if applied == Applied::Partly => "Failed: partly applied",
        ActionStatus::Failed => "Failed",
        ActionStatus::NotAllowed => "Not allowed",
        ActionStatus::NotAppliedMaxChanges => "Not applied: max-changes",
    }
}

/// `120 ms`, or `1.2 s` from one second on.
fn milliseconds(ms: u64) -> String {
    if ms < 1000 { format!("{ms} ms") } else { format!("{:.1} s", ms as f64 / 1000.0) }
}

/// The rows of an action's configuration: one per setting of `before`,
/// `after` and `found` (objects are walked, other values are leaves).
/// `applied` says what the after column holds: the planned value (a dry
/// run), the expected one (applied or done), `unknown` with the planned
/// value beside (partly applied: a call was sent, so it is never shown as
/// unchanged), or the configuration as it still is (as found, else as
/// before) with the planned value beside (nothing sent).
fn config_rows(
    before: &serde_json::Value,
    after: &serde_json::Value,
    found: Option<&serde_json::Value>,
    applied: Applied,
) -> Vec<ConfigRow> {
    let (mut b, mut a, mut f) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    leaves("", before, &mut b);
    leaves("", after, &mut a);
    if let Some(found) = found {
        leaves("", found, &mut f);
    }
    let paths: BTreeSet<String> = b.keys().chain(a.keys()).chain(f.keys()).cloned().collect();
    let absent = || vec!["absent".to_string()];
    paths
        .into_iter()
        .map(|path| {
            let before = b.get(&path).cloned().unwrap_or_else(absent);
            let expected = a.get(&path).cloned().unwrap_or_else(absent);
            let found = found.map(|_| f.get(&path).cloned().unwrap_or_else(absent));
            let (state, mark, after, planned) = match applied {
                _ if before == expected => ("unchanged", "unchanged", expected, None),
                Applied::Planned => ("changed", "planned", expected, None),
                Applied::Changed => ("changed", "changed", expected, None),
                Applied::Done => ("done", "already done", expected, None),
                Applied::Partly => ("partly-applied", "partly applied", vec!["unknown".to_string()], Some(expected)),
                Applied::Not(mark) => {
                    let now = found.clone().unwrap_or_else(|| before.clone());
                    ("not-applied", mark, now, Some(expected))
                }
            };
            ConfigRow { path, before, after, found, state, mark, planned }
        })
        .collect()
}

/// The leaves of `value` by dotted path (`public_access_block.block_public_acls`),
/// each as lines of compact JSON: a list one element per line (`[]` when
/// empty), anything else one line. The root itself, when not an object, is
/// the path `value`.
fn leaves(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, Vec<String>>) {
    match value {
        serde_json::Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                leaves(&path, v, out);
            }
        }
        serde_json::Value::Array(items) if !items.is_empty() => {
            let line = |item: &serde_json::Value| {
                if prefix == "ingress" { ingress_line(item) } else { item.to_string() }
            };
            out.insert(path_or_value(prefix), items.iter().map(line).collect());
        }
        other => {
            out.insert(path_or_value(prefix), vec![other.to_string()]);
        }
    }
}

/// A security group's ingress block in words, its CIDR rules as
/// [`IngressRule::label`] gives them (`all traffic from 0.0.0.0/0`), joined
/// by `, `; a block without CIDR rules (or with unknown values) as compact
/// JSON.
fn ingress_line(block: &serde_json::Value) -> String {
    match IngressRule::of_block(block) {
        Some(rules) if !rules.is_empty() => rules.iter().map(IngressRule::label).collect::<Vec<_>>().join(", "),
        _ => block.to_string(),
    }
}

/// `prefix`, or `value` for the root.
fn path_or_value(prefix: &str) -> String {
    if prefix.is_empty() { "value".to_string() } else { prefix.to_string() }
}

impl<'a> ManagedView<'a> {
    fn new(m: &'a Managed) -> ManagedView<'a> {
        ManagedView {
            resource: &m.resource,
            state: &m.state,
            address: &m.address,
            fix: &m.fix,
            diff: &m.diff,
            policies: &m.policies,
            note: m.note.as_deref(),
        }
    }
}

/// `s` for a count other than one.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `es` for a count other than one.
fn plural_es(n: usize) -> &'static str {
    if n == 1 { "" } else { "es" }
}

/// How long the run took, as `12.3 s`, if both times are RFC 3339.
fn duration(started: &str, finished: &str) -> Option<String> {
    let started: jiff::Timestamp = started.parse().ok()?;
    let finished: jiff::Timestamp = finished.parse().ok()?;
    let seconds = finished.duration_since(started).as_secs_f64();
    (seconds >= 0.0).then(|| format!("{seconds:.1} s"))
}

/// Write the report's three files ([`JSON_FILE`], [`HTML_FILE`],
/// [`MARKDOWN_FILE`]) into a new directory `dir`, atomically: all three are
/// rendered, written and synced into a temporary sibling directory of `dir`
/// (its parents are created as needed), which is then renamed to `dir`.
/// On any error nothing is left at `dir` and the temporary directory is
/// removed.
///
/// # Errors
/// [`RenderError::Exists`] if `dir` exists and is not an empty directory;
/// [`RenderError::Io`] naming the path that could not be created, written
/// or renamed; rendering errors of [`to_json`], [`to_html`], [`to_markdown`].
pub fn write_dir(report: &RemediationReport, dir: &Path) -> Result<WrittenReport, RenderError> {
    let files = [(JSON_FILE, to_json(report)?), (HTML_FILE, to_html(report)?), (MARKDOWN_FILE, to_markdown(report)?)];
    refuse_existing(dir)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| RenderError::Io { action, path, source }
    };
    fs::create_dir_all(&parent).map_err(io("create directory", &parent))?;
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".to_string());
    let prefix = format!(".{name}.tmp");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // As `mkdir` would: 0755 less the umask (the default is 0700).
        builder.permissions(fs::Permissions::from_mode(0o755));
    }
    let tmp = builder.tempdir_in(&parent).map_err(io("create a temporary directory in", &parent))?;
    for (file, text) in &files {
        let path = tmp.path().join(file);
        let mut f = fs::File::create(&path).map_err(io("create", &path))?;
        f.write_all(text.as_bytes()).map_err(io("write", &path))?;
        f.sync_all().map_err(io("sync", &path))?;
    }
    refuse_existing(dir)?;
    match fs::rename(tmp.path(), dir) {
        Ok(()) => {
            // The directory now lives at `dir`; nothing is left to clean up.
            let _ = tmp.keep();
        }
        Err(e) if matches!(e.kind(), io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::NotADirectory) => {
            return Err(RenderError::Exists { dir: dir.to_path_buf() });
        }
        Err(source) => return Err(RenderError::Io { action: "rename into place", path: dir.to_path_buf(), source }),
    }
    if let Ok(d) = fs::File::open(&parent) {
        // Make the rename durable; not every platform can sync a directory.
        let _ = d.sync_all();
    }
    Ok(WrittenReport {
        dir: dir.to_path_buf(),
        json: dir.join(JSON_FILE),
        html: dir.join(HTML_FILE),
        markdown: dir.join(MARKDOWN_FILE),
    })
}

/// Refuse `dir` if it exists and is not an empty directory.
fn refuse_existing(dir: &Path) -> Result<(), RenderError> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(RenderError::Io { action: "inspect", path: dir.to_path_buf(), source }),
        Ok(m) if !m.is_dir() => Err(RenderError::Exists { dir: dir.to_path_buf() }),
        Ok(_) => {
            let mut entries = fs::read_dir(dir).map_err(|source| RenderError::Io {
                action: "read",
                path: dir.to_path_buf(),
                source,
            })?;
            if entries.next().is_some() { Err(RenderError::Exists { dir: dir.to_path_buf() }) } else { Ok(()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use palisade_model::remediation::TagChange;
    use palisade_model::remediation::plan::{InventoryRef, PackRef, PlannedChange, RemediationPlan};
    use palisade_model::remediation::plan::{ManagedBy, NeedsHuman, PlannedAction};
    use palisade_model::remediation::report::Outcomes;
    use serde_json::json;

    const HOSTILE: &str = "<script>alert(\"x\")</script> & 'q' | *b* @team \u{202e}";

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    fn violation(resource: &str, policy: &str, message: &str) -> Violation {
        Violation {
            policy: policy.to_string(),
            pack: "aws-baseline".to_string(),
            enforcement_level: EnforcementLevel::Remediate,
            severity: Severity::Medium,
            resource: resource.to_string(),
            resource_type: "aws_s3_bucket".to_string(),
            action: palisade_model::model::Operation::NoOp,
            message: message.to_string(),
            file: "inventory.json".to_string(),
            undecided: false,
            location: None,
            remediation: None,
        }
    }

    fn change(arn: &str, before: &[(&str, &str)], set: &[(&str, &str)]) -> PlannedChange {
        let before = tags(before);
        let change = TagChange { set: tags(set), remove: Default::default() };
        PlannedChange {
            arn: arn.to_string(),
            region: "us-east-1".to_string(),
            account: "123456789012".to_string(),
            resource_type: "aws_s3_bucket".to_string(),
            after: change.apply_to(&before),
            before,
            change,
            policies: vec!["aws-baseline/required-tags".to_string()],
            managed_by: None,
        }
    }

    /// A report with hostile tag keys, values, messages and errors.
    fn hostile_report() -> RemediationReport {
        hostile_report_in(Mode::Apply)
    }

    /// [`hostile_report`] in `mode`.
    fn hostile_report_in(mode: Mode) -> RemediationReport {
        let inventory = InventoryRef {
            source: "inv<1>.json".to_string(),
            started_at: "2026-11-30T10:00:00Z".to_string(),
            finished_at: "2026-11-30T10:00:05Z".to_string(),
            sha256: "ab".repeat(32),
        };
        let packs = vec![PackRef {
            name: "aws-baseline".to_string(),
            version: "1.2.0".to_string(),
            source: "builtin:aws-baseline".to_string(),
        }];
        let a = change("arn:aws:s3:::a", &[("env", "prod")], &[("owner", HOSTILE)]);
        let b = change("arn:aws:s3:::b", &[(HOSTILE, "v")], &[("owner", "platform")]);
        let plan = RemediationPlan {
            format: "palisade-remediation-plan".to_string(),
            version: 1,
            created_at: "2026-11-30T10:00:06Z".to_string(),
            inventory: inventory.clone(),
            packs: packs.clone(),
            changes: vec![a.clone(), b.clone()],
            actions: Vec::new(),
            managed: Vec::new(),
            settings: None,
            needs_human: vec![NeedsHuman {
                resource: "arn:aws:s3:::c".to_string(),
                pack: "aws-baseline".to_string(),
                policy: "required-tags".to_string(),
                severity: Severity::Medium,
                message: HOSTILE.to_string(),
                reason: "the policy proposed no fix".to_string(),
            }],
        };
        let run = RunInfo {
            id: "20261130T100000Z".to_string(),
            started_at: "2026-11-30T10:00:00Z".to_string(),
            finished_at: "2026-11-30T10:00:09Z".to_string(),
            mode,
            caller: None,
            inventory,
            plan: None,
            packs,
            tool_version: "0.1.0".to_string(),
        };
        let outcomes = match mode {
            Mode::Apply => vec![
                ChangeOutcome { change: a, status: ChangeStatus::Applied, error: None, verification: None },
                ChangeOutcome {
                    change: b,
                    status: ChangeStatus::Failed,
                    error: Some(format!("AccessDenied: {HOSTILE}")),
                    verification: None,
                },
            ],
            Mode::DryRun => vec![
                ChangeOutcome { change: a, status: ChangeStatus::Planned, error: None, verification: None },
                ChangeOutcome { change: b, status: ChangeStatus::Planned, error: None, verification: None },
            ],
        };
        let violations = vec![
            violation("arn:aws:s3:::a", "required-tags", "missing owner"),
            violation("arn:aws:s3:::b", "required-tags", HOSTILE),
            violation("arn:aws:s3:::c", "required-tags", HOSTILE),
        ];
        RemediationReport::new(run, &plan, Outcomes { changes: outcomes, actions: Vec::new() }, violations, 3)
    }

    /// A bucket's S3 properties, public through an `AllUsers` READ grant.
    fn public_bucket() -> serde_json::Value {
        json!({"bucket": "media", "grant": [
            {"id": "0wner", "uri": "", "permissions": ["FULL_CONTROL"], "type": "CanonicalUser"},
            {"uri": "http://acs.amazonaws.com/groups/global/AllUsers", "permissions": ["READ"], "type": "Group"}]})
    }

    /// The planned `s3.block-public-access` of bucket `name`, made by the
    /// model from the bucket's properties.
    fn bucket_action(name: &str) -> PlannedAction {
        let action = Action::S3BlockPublicAccess;
        let before = action.slice(&public_bucket());
        PlannedAction {
            arn: format!("arn:aws:s3:::{name}"),
            region: "us-east-1".to_string(),
            account: "123456789012".to_string(),
            resource_type: "aws_s3_bucket".to_string(),
            id: name.to_string(),
            calls: action.calls(name, &before),
            after: action.expected(&before),
            before,
            action,
            policies: vec!["aws-baseline/aws-s3-bucket-disallow-public-read".to_string()],
            managed_by: None,
        }
    }

    fn verified(result: Verification, detail: &str) -> Option<Verified> {
        Some(Verified { result, detail: detail.to_string() })
    }

    /// An applied run of one tag change and two actions with the given
    /// outcomes.
    fn action_report(change: ChangeStatus, actions: [(ActionStatus, Option<Verified>); 2]) -> RemediationReport {
        let mut report = hostile_report();
        let mut plan = RemediationPlan {
            format: "palisade-remediation-plan".to_string(),
            version: 2,
            created_at: "2026-11-30T10:00:06Z".to_string(),
            inventory: report.run.inventory.clone(),
            packs: Vec::new(),
            changes: vec![change_of("arn:aws:s3:::a")],
            actions: vec![bucket_action("media"), bucket_action("site")],
            managed: Vec::new(),
            settings: None,
            needs_human: Vec::new(),
        };
        plan.changes[0].policies = vec!["aws-baseline/required-tags".to_string()];
        let changes = vec![ChangeOutcome {
            change: plan.changes[0].clone(),
            status: change,
            error: (change == ChangeStatus::Failed).then(|| "AccessDenied: no".to_string()),
            verification: None,
        }];
        let actions = plan
            .actions
            .iter()
            .zip(actions)
            .map(|(a, (status, verification))| {
                let sent: Vec<String> = match status {
                    ActionStatus::Applied => a.calls.iter().map(|c| c.operation.clone()).collect(),
                    _ => Vec::new(),
                };
                ActionOutcome {
                    status,
                    error: match status {
                        ActionStatus::Failed => Some("AccessDenied: s3:PutPublicAccessBlock denied".to_string()),
                        ActionStatus::NotAllowed => Some("action s3.block-public-access is not allowed".to_string()),
                        _ => None,
                    },
                    found: Some(a.before.clone()),
                    sent,
                    started_at: Some("2026-11-30T10:00:07Z".to_string()),
                    duration_ms: Some(1250),
                    verification,
                    ..ActionOutcome::planned(a.clone())
                }
            })
            .collect();
        report.violations.truncate(1);
        plan.needs_human.clear();
        RemediationReport::new(report.run.clone(), &plan, Outcomes { changes, actions }, report.violations, 3)
    }

    fn change_of(arn: &str) -> PlannedChange {
        change(arn, &[("env", "prod")], &[("owner", "platform")])
    }

    fn badge_of(report: &RemediationReport) -> &'static str {
        badge(report).1
    }

    /// The plan of `report`: its changes, actions, managed fixes and what
    /// needs a human.
    fn plan_of(report: &RemediationReport) -> RemediationPlan {
        RemediationPlan {
            format: "palisade-remediation-plan".to_string(),
            version: 2,
            created_at: "2026-11-30T10:00:06Z".to_string(),
            inventory: report.run.inventory.clone(),
            packs: Vec::new(),
            changes: report.changes.iter().map(|o| o.change.clone()).collect(),
            actions: report.actions.iter().map(|o| o.action.clone()).collect(),
            managed: report.managed.clone(),
            settings: None,
            needs_human: report.needs_human.clone(),
        }
    }

    /// `report` built again from its outcomes, in `mode` (the counts follow).
    fn rebuilt(report: &RemediationReport, mode: Mode) -> RemediationReport {
        let plan = plan_of(report);
        let mut run = report.run.clone();
        run.mode = mode;
        let outcomes = Outcomes { changes: report.changes.clone(), actions: report.actions.clone() };
        RemediationReport::new(run, &plan, outcomes, report.violations.clone(), 3)
    }

    #[test]
    fn a_stale_plan_says_nothing_was_sent_and_why() {
        let mut report =
            action_report(ChangeStatus::Planned, [(ActionStatus::Planned, None), (ActionStatus::Planned, None)]);
        report.run.plan = Some("plan.json".to_string());
        for a in &mut report.actions {
            (a.found, a.started_at, a.duration_ms) = (None, None, None);
        }
        let mut report = rebuilt(&report, Mode::Apply);
        report.mark_stale(vec!["arn:aws:s3:::media: grants: found [] but the plan expected 2 grants".to_string()]);
        assert_eq!(report.exit_code(), 2);
        assert_eq!(badge_of(&report), "Stale plan");
        let html = to_html(&report).expect("renders");
        assert!(html.contains("<span class=\"mode mode-stale\">Stale plan</span>"), "{html}");
        assert!(html.contains("<h2 id=\"stale\">Changed since the plan (1)</h2>"), "{html}");
        assert!(
            html.contains("<li><code>arn:aws:s3:::media: grants: found [] but the plan expected 2 grants</code></li>")
        );
        assert!(html.contains("Exit code 2: the plan is stale"), "{html}");
        assert!(!html.contains("Exit code 1") && !html.contains("Nothing was applied"), "{html}");
        assert!(html.contains("The plan is stale: 1 resource changed since it was made; nothing was sent"), "{html}");
        // Every change and action says why it was not sent.
        assert_eq!(
            html.matches("not sent: the plan is stale").count(),
            2 + 2 + 3,
            "the change (twice), the actions, and in what was not applied: {html}"
        );
        assert!(html.contains("<p class=\"note\">not sent: the plan is stale</p>"), "{html}");
        assert!(
            html.contains("<td class=\"mark\">not sent <span class=\"none\">(planned: true)</span></td>"),
            "{html}"
        );
        let md = to_markdown(&report).expect("renders");
        assert!(md.starts_with("## Palisade remediation: Stale plan\n"), "{md}");
        assert!(md.contains("<details open><summary>Changed since the plan (1)</summary>"), "{md}");
        assert!(md.contains("| Exit code | 2: the plan is stale"), "{md}");
        assert!(md.contains("| Not sent: not sent: the plan is stale |") || md.contains("Not sent: not sent"), "{md}");
        assert_eq!(md.matches("not sent: the plan is stale").count(), 6, "{md}");
        let json: serde_json::Value = serde_json::from_str(&to_json(&report).expect("renders")).expect("JSON");
        assert_eq!((json["summary"]["stale"].clone(), json["stale"][0].is_string()), (json!(1), true));
    }

    #[test]
    fn a_partly_applied_action_never_says_nothing_changed() {
        let mut report =
            action_report(ChangeStatus::Failed, [(ActionStatus::Failed, None), (ActionStatus::NotAllowed, None)]);
        report.actions[0].sent = vec!["s3:PutPublicAccessBlock".to_string()];
        report.actions[0].error =
            Some("interrupted (SIGTERM) after part of this action was sent (s3:PutPublicAccessBlock)".to_string());
        let report = rebuilt(&report, Mode::Apply);
        assert_eq!(badge_of(&report), "Partially applied");
        let html = to_html(&report).expect("renders");
        assert!(!html.contains("Nothing was applied"), "{html}");
        assert!(
            html.contains("<p class=\"note\">partly applied: s3:PutPublicAccessBlock; the rest was not sent</p>"),
            "{html}"
        );
        assert!(html.contains("<span class=\"status status-failed\">Failed: partly applied</span>"), "{html}");
        // The bucket's settings: not known, never "as they still are".
        assert!(
            html.contains("<tr class=\"tag-partly-applied\"><td><code>public_access_block.block_public_acls</code></td><td><code>false</code></td><td><code>unknown</code></td><td><code>false</code></td><td class=\"mark\">partly applied <span class=\"none\">(planned: true)</span></td></tr>"),
            "{html}"
        );
        let media = html.split("Action s3.block-public-access on arn:aws:s3:::media").nth(1).expect("the action");
        let media = media.split("</article>").next().expect("its article");
        assert!(!media.contains("not applied"), "{media}");
        let md = to_markdown(&report).expect("renders");
        assert!(md.starts_with("## Palisade remediation: Partially applied\n"), "{md}");
        assert!(
            md.contains("| Failed: partly applied: partly applied: s3:PutPublicAccessBlock; the rest was not sent |"),
            "{md}"
        );
        assert!(md.contains("| <code>unknown</code> | **partly applied** (planned: <code>true</code>) |"), "{md}");
        assert!(!md.contains("<code>arn:aws:s3:::media</code> | <code>s3.block-public-access</code> | <code>public\\_access\\_block.block\\_public\\_acls</code> | <code>false</code> | <code>false</code>"), "{md}");
    }

    #[test]
    fn a_dry_run_shows_the_plan_and_counts_as_the_statuses_say() {
        let mut report =
            action_report(ChangeStatus::Planned, [(ActionStatus::NotAllowed, None), (ActionStatus::NotAllowed, None)]);
        for a in &mut report.actions {
            (a.found, a.started_at, a.duration_ms) = (None, None, None);
        }
        report.changes.clear();
        let report = rebuilt(&report, Mode::DryRun);
        assert_eq!(report.summary.not_allowed, 2);
        let (_, label, note) = badge(&report);
        assert_eq!(label, "Dry run");
        assert!(!note.contains("Run again with --apply"), "{note}");
        let html = to_html(&report).expect("renders");
        assert!(!html.contains("class=\"tag-not-applied\"") && !html.contains(">Not applied<"), "{html}");
        assert!(!html.contains("\">not applied"), "{html}");
        assert!(html.contains("0 tag changes planned, 0 actions planned, 2 not allowed (--allow-action);"), "{html}");
        assert!(!html.contains("2 actions planned"), "{html}");
        // Before and the planned after.
        assert!(
            html.contains("<tr class=\"tag-changed\"><td><code>public_access_block.block_public_acls</code></td><td><code>false</code></td><td><code>true</code></td><td class=\"mark\">planned</td></tr>"),
            "{html}"
        );
        let md = to_markdown(&report).expect("renders");
        assert!(!md.contains("**not applied**") && !md.contains("Run again with --apply"), "{md}");
        assert!(md.contains("| <code>false</code> | <code>true</code> | **planned** |"), "{md}");

        // Nothing at all to do.
        let mut empty = report.clone();
        empty.actions.clear();
        let empty = rebuilt(&empty, Mode::DryRun);
        let md = to_markdown(&empty).expect("renders");
        assert!(!md.contains("Run again with --apply"), "{md}");
        assert!(md.contains("Nothing was changed, and there is nothing to apply."), "{md}");
        // With something planned, it says how to apply it.
        let planned = rebuilt(&hostile_report_in(Mode::DryRun), Mode::DryRun);
        assert!(badge(&planned).2.contains("Run again with --apply"));
    }

    #[test]
    fn resources_changed_in_place_say_which_state_manages_them() {
        let mut report =
            action_report(ChangeStatus::Applied, [(ActionStatus::Applied, None), (ActionStatus::Done, None)]);
        let by = "prod.tfstate (aws_s3_bucket.media)".to_string();
        report.changes[0].change.managed_by = Some("prod.tfstate (aws_s3_bucket.a)".to_string());
        report.actions[0].action.managed_by = Some(by);
        let mut managed = bucket_action("site");
        managed.arn = "arn:aws:s3:::site".to_string();
        report.managed = vec![Managed {
            resource: "arn:aws:s3:::site".to_string(),
            state: "prod.tfstate".to_string(),
            address: "aws_s3_bucket.site".to_string(),
            fix: "s3.block-public-access".to_string(),
            patch: Vec::new(),
            diff: vec!["+ /public_access_block: {}".to_string()],
            policies: managed.policies.clone(),
            note: managed.action.kind().code_note().map(str::to_string),
            changed_in_place: false,
        }];
        let report = rebuilt(&report, Mode::Apply);
        let wanted = "managed by prod.tfstate (aws_s3_bucket.media); changed in place (--include-managed)";
        let html = to_html(&report).expect("renders");
        assert!(html.contains(&format!("<p class=\"none\">{wanted}</p>")), "{html}");
        assert!(
            html.contains("managed by prod.tfstate (aws_s3_bucket.a); changed in place (--include-managed)"),
            "{html}"
        );
        assert!(html.contains("<p class=\"none\">Note: in Terraform&#x27;s AWS provider 4+, `public_access_block` is an `aws_s3_bucket_public_access_block` resource"), "{html}");
        let md = to_markdown(&report).expect("renders");
        assert!(md.contains("| <code>arn:aws:s3:::media</code><br>managed by prod.tfstate (aws\\_s3\\_bucket.media); changed in place (--include-managed) |"), "{md}");
        assert!(
            md.contains(
                "<code>arn:aws:s3:::a</code><br>managed by prod.tfstate (aws\\_s3\\_bucket.a); changed in place"
            ),
            "{md}"
        );
        assert!(md.contains("<br>Note: in Terraform's AWS provider 4+, \\`public\\_access\\_block\\` is an"), "{md}");
    }

    #[test]
    fn an_all_traffic_rule_is_shown_in_words() {
        let action: Action = serde_json::from_value(json!({"kind": "ec2.revoke-ingress", "params": {"rules": [
            {"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_ipv4": "0.0.0.0/0"}]}}))
        .expect("an action");
        let props =
            json!({"ingress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}]});
        let before = action.slice(&props);
        let planned = PlannedAction {
            arn: "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1".to_string(),
            region: "us-east-1".to_string(),
            account: "123456789012".to_string(),
            resource_type: "aws_security_group".to_string(),
            id: "sg-1".to_string(),
            calls: action.calls("sg-1", &before),
            after: action.expected(&before),
            before,
            action,
            policies: vec!["aws-baseline/aws-ec2-securitygroup-disallow-inbound-all".to_string()],
            managed_by: None,
        };
        let mut report = hostile_report_in(Mode::DryRun);
        report.changes.clear();
        report.actions = vec![ActionOutcome::planned(planned)];
        let report = rebuilt(&report, Mode::DryRun);
        let html = to_html(&report).expect("renders");
        assert!(html.contains("<dt>Rules</dt><dd><code>all traffic from 0.0.0.0&#x2f;0</code></dd>"), "{html}");
        assert!(html.contains("<td><code>all traffic from 0.0.0.0&#x2f;0</code></td>"), "the configuration: {html}");
        let md = to_markdown(&report).expect("renders");
        assert!(md.contains("<br><code>all traffic from 0.0.0.0/0</code>"), "{md}");
    }

    #[test]
    fn the_badge_says_applied_only_when_everything_was_applied_and_verified() {
        let fixed = || verified(Verification::Fixed, "");
        let all = action_report(
            ChangeStatus::Applied,
            [(ActionStatus::Applied, fixed()), (ActionStatus::Done, verified(Verification::Pending, "later"))],
        );
        assert_eq!(badge_of(&all), "Applied");
        let html = to_html(&all).expect("renders");
        assert!(html.contains("<span class=\"mode mode-apply\">Applied</span>"), "{html}");

        for (label, report) in [
            (
                "still violating",
                action_report(
                    ChangeStatus::Applied,
                    [
                        (ActionStatus::Applied, fixed()),
                        (ActionStatus::Applied, verified(Verification::StillViolating, "x")),
                    ],
                ),
            ),
            (
                "unverified",
                action_report(
                    ChangeStatus::AlreadyApplied,
                    [
                        (ActionStatus::Applied, fixed()),
                        (ActionStatus::Applied, verified(Verification::Unverified, "x")),
                    ],
                ),
            ),
            (
                "a failed action",
                action_report(ChangeStatus::Applied, [(ActionStatus::Applied, fixed()), (ActionStatus::Failed, None)]),
            ),
            (
                "not allowed",
                action_report(ChangeStatus::Applied, [(ActionStatus::NotAllowed, None), (ActionStatus::Done, None)]),
            ),
            (
                "max-changes",
                action_report(
                    ChangeStatus::Failed,
                    [(ActionStatus::Applied, fixed()), (ActionStatus::NotAppliedMaxChanges, None)],
                ),
            ),
        ] {
            assert_eq!(badge_of(&report), "Partially applied", "{label}");
            let md = to_markdown(&report).expect("renders");
            assert!(md.starts_with("## Palisade remediation: Partially applied\n"), "{label}: {md}");
        }
        let failed =
            action_report(ChangeStatus::Failed, [(ActionStatus::Failed, None), (ActionStatus::NotAllowed, None)]);
        assert_eq!(badge_of(&failed), "Failed");
        assert!(to_html(&failed).expect("renders").contains("<span class=\"mode mode-failed\">Failed</span>"));
        let none = action_report(
            ChangeStatus::Planned,
            [(ActionStatus::NotAllowed, None), (ActionStatus::NotAppliedMaxChanges, None)],
        );
        assert_eq!(badge_of(&none), "Not applied");
        // The hostile report applied one change of two.
        assert_eq!(badge_of(&hostile_report()), "Partially applied");
        assert_eq!(badge_of(&hostile_report_in(Mode::DryRun)), "Dry run");
    }

    #[test]
    fn an_action_shows_its_calls_configuration_verification_and_timings() {
        let report = action_report(
            ChangeStatus::Applied,
            [(ActionStatus::Applied, verified(Verification::Fixed, "")), (ActionStatus::Failed, None)],
        );
        let html = to_html(&report).expect("renders");
        assert!(html.contains("<h2 id=\"actions\">Actions (2)</h2>"), "{html}");
        assert!(html.contains("<code>s3:PutPublicAccessBlock</code>"));
        assert!(html.contains("<code>s3:PutBucketAcl</code> <code>{&quot;ACL&quot;:&quot;private&quot;,&quot;Bucket&quot;:&quot;media&quot;}</code>"), "{html}");
        // Before, expected after and found, per setting.
        assert!(
            html.contains("<tr class=\"tag-changed\"><td><code>public_access_block.block_public_acls</code></td><td><code>false</code></td><td><code>true</code></td><td><code>false</code></td><td class=\"mark\">changed</td></tr>"),
            "{html}"
        );
        assert!(
            html.contains("grants</code>")
                && html.contains("groups&#x2f;global&#x2f;AllUsers&quot;,&quot;permission&quot;:&quot;READ"),
            "the grants before: {html}"
        );
        assert!(html.contains("<span class=\"verified verified-fixed\">Fixed</span>"));
        assert!(html.contains("<dt>Started</dt><dd>2026-11-30T10:00:07Z (1.2 s)</dd>"), "{html}");
        assert!(
            html.contains("<dt>Sent</dt><dd><code>s3:PutPublicAccessBlock</code>, <code>s3:PutBucketAcl</code></dd>")
        );
        // The failed one: as it still is, marked not applied, never as changed.
        assert!(
            html.contains("<tr class=\"tag-not-applied\"><td><code>public_access_block.block_public_acls</code></td><td><code>false</code></td><td><code>false</code></td><td><code>false</code></td><td class=\"mark\">not applied <span class=\"none\">(planned: true)</span></td></tr>"),
            "{html}"
        );
        assert!(html.contains("<dt>Error</dt><dd class=\"error\">AccessDenied: s3:PutPublicAccessBlock denied</dd>"));
        assert!(
            html.contains("<code>s3.block-public-access</code><br><span class=\"status status-failed\">Failed</span>"),
            "in what failed"
        );
        assert!(html.contains("Fixed</dt><dd>1</dd>"), "the verification counts: {html}");

        let md = to_markdown(&report).expect("renders");
        assert!(md.contains("<summary>Actions (2)</summary>"), "{md}");
        assert!(md.contains("| <code>arn:aws:s3:::media</code> | <code>s3.block-public-access</code> | Applied | <code>s3:PutPublicAccessBlock</code>"), "{md}");
        assert!(md.contains("| Fixed | 2026-11-30T10:00:07Z | 1.2 s | - |"), "{md}");
        assert!(md.contains("| <code>arn:aws:s3:::site</code> | <code>s3.block-public-access</code> | <code>public\\_access\\_block.block\\_public\\_acls</code> | <code>false</code> | <code>false</code> | **not applied** (planned: <code>true</code>) |"), "{md}");
        assert!(md.contains("<summary>Failed or not applied (1)</summary>"), "{md}");
    }

    #[test]
    fn an_action_not_allowed_needs_a_human() {
        let report =
            action_report(ChangeStatus::Applied, [(ActionStatus::NotAllowed, None), (ActionStatus::Done, None)]);
        assert_eq!(report.summary.needs_human, 1);
        let html = to_html(&report).expect("renders");
        assert!(html.contains("What needs a human (1)"), "{html}");
        assert!(
            html.contains("the fix is the action s3.block-public-access (s3:PutPublicAccessBlock, s3:PutBucketAcl)")
        );
        assert!(html.contains("action s3.block-public-access is not allowed"));
        assert!(html.contains("<td class=\"mark\">already done</td>"), "a done action: {html}");
    }

    #[test]
    fn a_failed_tag_change_shows_the_tags_as_they_still_are() {
        let html = to_html(&hostile_report()).expect("renders");
        // Bucket b's owner was to be added; the change failed.
        assert!(
            html.contains("<tr class=\"tag-not-applied\"><td><code>owner</code></td><td><span class=\"none\">absent</span></td><td><span class=\"none\">absent</span></td><td class=\"mark\">not applied <span class=\"none\">(planned: platform)</span></td></tr>"),
            "{html}"
        );
        assert!(html.contains("not applied: the tags as they still are"));
        let md = to_markdown(&hostile_report()).expect("renders");
        assert!(md.contains("| <code>arn:aws:s3:::b</code> | <code>owner</code> | absent | absent | **not applied** (planned: platform) |"), "{md}");
        assert!(
            !md.contains(
                "| <code>arn:aws:s3:::b</code> | <code>owner</code> | absent | <code>platform</code> | **added** |"
            ),
            "{md}"
        );
    }

    #[test]
    fn violations_from_a_plan_are_not_evaluated_never_zero() {
        let mut report = hostile_report();
        report.run.plan = Some("plan.json".to_string());
        let plan =
            RemediationPlan { actions: Vec::new(), managed: Vec::new(), needs_human: Vec::new(), ..plan_of(&report) };
        let outcomes = Outcomes { changes: report.changes.clone(), actions: Vec::new() };
        let report = RemediationReport::new(report.run.clone(), &plan, outcomes, Vec::new(), 2);
        assert!(!report.summary.evaluated);
        let html = to_html(&report).expect("renders");
        assert!(
            html.contains("<div class=\"card muted\"><dt>Violations</dt><dd>not evaluated (from a plan)</dd></div>"),
            "{html}"
        );
        assert!(html.contains("All violations (not evaluated (from a plan))"));
        assert!(!html.contains("<dt>Violations</dt><dd>0</dd>") && !html.contains("No violations."), "{html}");
        let md = to_markdown(&report).expect("renders");
        assert!(md.contains("| Violations | not evaluated (from a plan) |"), "{md}");
        assert!(md.contains("violations not evaluated (from a plan)"), "{md}");
    }

    #[test]
    fn undecided_findings_are_counted_apart() {
        let mut report = hostile_report();
        let mut undecided = violation("arn:aws:s3:::c", "required-tags", "tags unknown");
        undecided.undecided = true;
        undecided.enforcement_level = EnforcementLevel::Advisory;
        let mut violations = report.violations.clone();
        violations.push(undecided);
        let plan = RemediationPlan {
            format: "palisade-remediation-plan".to_string(),
            version: 2,
            created_at: "2026-11-30T10:00:06Z".to_string(),
            inventory: report.run.inventory.clone(),
            packs: Vec::new(),
            changes: report.changes.iter().map(|o| o.change.clone()).collect(),
            actions: Vec::new(),
            managed: Vec::new(),
            settings: None,
            needs_human: report.needs_human.clone(),
        };
        let outcomes = Outcomes { changes: std::mem::take(&mut report.changes), actions: Vec::new() };
        let report = RemediationReport::new(report.run.clone(), &plan, outcomes, violations, 3);
        assert_eq!((report.summary.violations, report.summary.undecided), (3, 1));
        let html = to_html(&report).expect("renders");
        assert!(
            html.contains("<dt>Violations</dt><dd>3</dd>") && html.contains("<dt>Undecided</dt><dd>1</dd>"),
            "{html}"
        );
        assert!(html.contains(">3 + 1 undecided</text>"), "the chart: {html}");
        assert!(html.contains("<rect class=\"undecided\""), "{html}");
        assert!(html.contains("<td class=\"num\">3</td><td class=\"num\">1</td>"), "{html}");
        assert!(html.contains("medium: 3</li>") && html.contains("undecided (apart): 1</li>"), "{html}");
        let md = to_markdown(&report).expect("renders");
        assert!(md.contains("| Undecided | 1 |") && md.contains("| 3 | 1 |"), "{md}");
    }

    #[test]
    fn managed_resources_are_fixed_in_code_and_their_secrets_are_not_shown() {
        const SECRET: &str = "Sup3r-Secret-Db-Pa55word";
        let declared = json!({"bucket": "a", "tags": {"env": "prod", "db-password": SECRET}});
        let state: palisade_model::model::Resource = serde_json::from_value(json!({
            "address": "aws_s3_bucket.a", "type": "aws_s3_bucket", "name": "a", "kind": "managed", "op": "no-op",
            "props": declared, "secret": [["tags", "db-password"]], "source": "prod.tfstate"}))
        .expect("a resource");
        let secrets = palisade_model::secrets::SecretSet::of(std::slice::from_ref(&state));
        let scope = secrets.scope(0..1);
        let mut report = hostile_report();
        let mut c = change_of("arn:aws:s3:::a");
        c.change.remove.insert("db-password".to_string());
        let mut plan = RemediationPlan {
            format: "palisade-remediation-plan".to_string(),
            version: 2,
            created_at: "2026-11-30T10:00:06Z".to_string(),
            inventory: report.run.inventory.clone(),
            packs: Vec::new(),
            changes: vec![c],
            actions: vec![bucket_action("a")],
            managed: Vec::new(),
            settings: None,
            needs_human: Vec::new(),
        };
        let by = ManagedBy {
            state: "prod.tfstate".into(),
            address: "aws_s3_bucket.a".into(),
            declared: state.props.clone(),
        };
        plan.set_aside_managed(&BTreeMap::from([("arn:aws:s3:::a".to_string(), by)]), &|t: &str| {
            secrets.redact_scope(t, &scope)
        });
        assert_eq!((plan.changes.len(), plan.actions.len(), plan.managed.len()), (0, 0, 2));
        report.changes.clear();
        let report = RemediationReport::new(report.run.clone(), &plan, Outcomes::default(), report.violations, 3);
        assert_eq!(report.summary.managed, 2);
        let html = to_html(&report).expect("renders");
        assert!(html.contains("<h2 id=\"managed\">Managed by code (2)</h2>"), "{html}");
        assert!(html.contains("Managed by <code>prod.tfstate</code> (<code>aws_s3_bucket.a</code>): fix it in code."));
        assert!(html.contains("<code>+ &#x2f;tags&#x2f;owner: &quot;platform&quot;</code>"), "{html}");
        assert!(html.contains("<code>- &#x2f;tags&#x2f;db-password: &quot;[secret]&quot;</code>"), "{html}");
        assert!(html.contains("<code>+ &#x2f;public_access_block:"), "the action's patch: {html}");
        let md = to_markdown(&report).expect("renders");
        assert!(md.contains("<summary>Managed by code (2)</summary>"), "{md}");
        assert!(md.contains("| <code>prod.tfstate</code> (<code>aws\\_s3\\_bucket.a</code>) |"), "{md}");
        let json = to_json(&report).expect("renders");
        for (name, text) in [("html", &html), ("md", &md), ("json", &json)] {
            assert!(!text.contains(SECRET), "{name} shows the secret");
        }
        assert!(json.contains("[secret]"));
    }

    #[test]
    fn html_escapes_hostile_values_and_fetches_nothing() {
        let html = to_html(&hostile_report()).expect("renders");
        assert!(!html.contains("<script>"), "a raw <script> reached the page");
        assert!(!html.contains("alert(\"x\")"), "a raw quote reached the page");
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2f;script&gt;"), "{html}");
        assert!(html.contains("\\u{202e}"), "the bidi override is shown as an escape");
        assert!(!html.contains('\u{202e}'));
        assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"));
        assert!(!html.contains(" src=") && !html.contains(" href="));
        assert!(html.contains("default-src 'none'"));
        assert!(html.contains("<dt>Applied</dt><dd>1</dd>"));
        assert!(html.contains("<dt>Failed</dt><dd>1</dd>"));
        assert!(html.contains("<code>unknown</code>"), "an unknown caller says so");
        assert!(html.contains("(9.0 s)"));
        assert!(html.contains("class=\"tag-added\""));
        assert!(html.contains("<rect class=\"sev-medium\""));
    }

    #[test]
    fn markdown_escapes_hostile_values() {
        let md = to_markdown(&hostile_report()).expect("renders");
        assert!(!md.contains("<script>"), "{md}");
        assert!(
            md.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; 'q' \\| \\*b\\* @\u{2060}team \\\\u{202e}"),
            "{md}"
        );
        assert!(md.starts_with("## Palisade remediation: Partially applied\n"), "{md}");
        assert!(md.contains("| Applied | 1 |\n"));
        assert!(md.contains("| Caller | <code>unknown</code> |\n"));
        // Every table row of a section has as many cells as its header.
        for line in md.lines().filter(|l| l.starts_with("| Resource |")) {
            assert!(line.matches(" | ").count() >= 3, "{line}");
        }
        for line in md.lines().filter(|l| l.starts_with("| <code>arn:aws:s3:::b")) {
            // Escaped pipes do not split cells: 4 to 6 columns, as the headers.
            let cells = line.replace("\\|", "").matches('|').count() - 1;
            assert!((4..=6).contains(&cells), "{line}");
        }
    }

    #[test]
    fn markdown_is_capped_and_says_what_was_cut() {
        let mut report = hostile_report();
        let many: Vec<Violation> = (0..2000)
            .map(|i| violation(&format!("arn:aws:s3:::bucket-{i}"), "required-tags", "missing owner"))
            .collect();
        report.violations.extend(many);
        let md = to_markdown_capped(&report, 20_000).expect("renders");
        assert!(md.chars().count() <= 20_000, "{}", md.chars().count());
        assert!(md.contains("rows were left out"), "{md}");
        assert!(md.contains("| Failed | 1 |"), "the summary is kept");
        assert!(md.contains("<summary>Failed or not applied (1)</summary>"), "failures are kept before violations");
        let full = to_markdown_capped(&report, usize::MAX).expect("renders");
        assert!(!full.contains("rows were left out"));
        assert!(full.chars().count() > 20_000);
    }

    #[test]
    fn a_dry_run_says_so() {
        let mut report = hostile_report_in(Mode::DryRun);
        report.run.caller = Some("arn:aws:iam::123456789012:user/ops".to_string());
        report.run.plan = Some("plan.json".to_string());
        let html = to_html(&report).expect("renders");
        assert!(html.contains("<span class=\"mode mode-dry-run\">Dry run</span>"), "{html}");
        assert!(html.contains("Tags: what would change (2)"));
        assert!(html.contains("No change failed."));
        assert!(html.contains("<code>arn:aws:iam::123456789012:user"), "the caller is shown");
        assert!(html.contains("<code>plan.json</code>"));
        let md = to_markdown(&report).expect("renders");
        assert!(md.starts_with("## Palisade remediation: Dry run\n"), "{md}");
        assert!(md.contains("<summary>Planned tag changes (2)</summary>"), "{md}");
        assert!(!md.contains("<summary>Failed"), "{md}");
    }

    #[test]
    fn a_run_with_nothing_to_do_renders() {
        let inventory = InventoryRef {
            source: "live:aws".to_string(),
            started_at: "2026-11-30T10:00:00Z".to_string(),
            finished_at: "2026-11-30T10:00:01Z".to_string(),
            sha256: "0".repeat(64),
        };
        let plan = RemediationPlan {
            format: "palisade-remediation-plan".to_string(),
            version: 1,
            created_at: "2026-11-30T10:00:02Z".to_string(),
            inventory: inventory.clone(),
            packs: Vec::new(),
            changes: Vec::new(),
            actions: Vec::new(),
            managed: Vec::new(),
            settings: None,
            needs_human: Vec::new(),
        };
        let run = RunInfo {
            id: "r".to_string(),
            started_at: "not a time".to_string(),
            finished_at: "2026-11-30T10:00:02Z".to_string(),
            mode: Mode::Apply,
            caller: Some(String::new()),
            inventory,
            plan: None,
            packs: Vec::new(),
            tool_version: "0.1.0".to_string(),
        };
        let report = RemediationReport::new(run, &plan, Outcomes::default(), Vec::new(), 0);
        let html = to_html(&report).expect("renders");
        assert!(!html.contains("<svg"), "no chart without violations");
        for empty in ["No violations.", "No change failed.", "No tag was changed.", "Nothing needs a human."] {
            assert!(html.contains(empty), "{empty}");
        }
        assert!(html.contains("Exit code 0: nothing is left to do."));
        assert!(html.contains("<span class=\"mode mode-nothing\">Nothing to apply</span>"), "{html}");
        for empty in ["No action is planned.", "No fix is left to code."] {
            assert!(html.contains(empty), "{empty}");
        }
        assert!(html.contains("<code>unknown</code>"), "an empty caller is unknown");
        let md = to_markdown(&report).expect("renders");
        assert!(!md.contains("<details"), "{md}");
        assert!(md.contains("| Packs | none |"), "{md}");
        assert!(md.contains("| Finished | 2026-11-30T10:00:02Z |"), "no duration from a bad time: {md}");
    }

    #[test]
    fn json_is_the_report() {
        let report = hostile_report();
        let json = to_json(&report).expect("renders");
        let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(value["format"], "palisade-remediation-report");
        assert_eq!(value["summary"]["failed"], 1);
        assert_eq!(value["changes"][1]["error"], format!("AccessDenied: {HOSTILE}"));
    }

    #[test]
    fn write_dir_is_atomic_and_refuses_a_non_empty_dir() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let report = hostile_report();
        let dir = tmp.path().join("reports/job/20261130T100000Z");
        let written = write_dir(&report, &dir).expect("writes");
        assert_eq!(written.html, dir.join("remediation.html"));
        for path in [&written.json, &written.html, &written.markdown] {
            assert!(fs::metadata(path).expect("written").len() > 0, "{}", path.display());
        }
        assert_eq!(fs::read_to_string(&written.json).expect("read"), to_json(&report).expect("json"));
        let names: Vec<String> = fs::read_dir(dir.parent().expect("parent"))
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["20261130T100000Z".to_string()], "no temporary directory is left");

        let err = write_dir(&report, &dir).expect_err("refused");
        assert!(matches!(err, RenderError::Exists { .. }), "{err}");
        assert!(err.to_string().contains("20261130T100000Z") && err.to_string().contains("not empty"), "{err}");
        assert_eq!(fs::read_to_string(&written.json).expect("read"), to_json(&report).expect("json"));

        // An empty directory is taken; a file is refused.
        let empty = tmp.path().join("empty");
        fs::create_dir(&empty).expect("mkdir");
        write_dir(&report, &empty).expect("an empty directory is replaced");
        assert!(empty.join("remediation.md").is_file());
        let file = tmp.path().join("file");
        fs::write(&file, "x").expect("write");
        assert!(matches!(write_dir(&report, &file), Err(RenderError::Exists { .. })));
        assert_eq!(fs::read_to_string(&file).expect("read"), "x");
    }

    #[cfg(unix)]
    #[test]
    fn write_dir_leaves_nothing_when_it_cannot_write() {
        use std::os::unix::fs::PermissionsExt as _;
        if rustix::process::geteuid().is_root() {
            // Root ignores directory permissions: the failure cannot be provoked this way.
            let tmp = tempfile::tempdir().expect("tempdir");
            let parent = tmp.path().join("parent");
            fs::write(&parent, "not a directory").expect("write");
            let err = write_dir(&hostile_report(), &parent.join("run")).expect_err("fails");
            assert!(err.to_string().contains("parent"), "{err}");
            assert_eq!(fs::read_to_string(&parent).expect("read"), "not a directory");
            return;
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let parent = tmp.path().join("ro");
        fs::create_dir(&parent).expect("mkdir");
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).expect("chmod");
        let err = write_dir(&hostile_report(), &parent.join("run")).expect_err("fails");
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o755)).expect("chmod");
        assert!(matches!(err, RenderError::Io { .. }), "{err}");
        assert!(err.to_string().contains("ro"), "{err}");
        assert_eq!(fs::read_dir(&parent).expect("list").count(), 0);
    }
}
