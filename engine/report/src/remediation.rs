//! Rendering and writing a [`RemediationReport`]: JSON (the format
//! `palisade-remediation-report`, schema
//! `engine/schema/remediation-report.schema.json`), one self-contained HTML
//! page, and Markdown for pull-request comments and tickets.

use std::collections::BTreeSet;
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
use palisade_model::remediation::plan::NeedsHuman;
use palisade_model::remediation::report::{
    ChangeOutcome, ChangeStatus, Mode, PolicyCount, RemediationReport, RunInfo, Summary,
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
/// It shows, in order: the mode (dry run or applied) and the outcome; the
/// summary counts; the run's metadata (when, who, packs and versions,
/// inventory, plan, Palisade's version); violations by policy and severity
/// as an SVG bar chart with the same numbers in a table; what failed and
/// why; what was changed (or, on a dry run, would be); what needs a human;
/// the tags before and after per resource, with added, removed and changed
/// keys marked in words and colour; every violation.
///
/// Built with the template `templates/remediation.html` (minijinja, HTML
/// auto-escaping): every name, value and message is escaped (`<`, `>`,
/// `&`, quotes), after control and invisible formatting characters are
/// shown as escapes (`\n`, `\u{202e}`), as in the text report.
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
/// `<details>` section per kind of entry (failed changes, needs a human,
/// changes, violations by policy, tags before and after, violations).
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
/// geometry, tag differences. `keep` caps the number of detail rows (for
/// the Markdown cap), in section order.
#[derive(Serialize)]
struct View<'a> {
    /// The report's format and version.
    format: &'a str,
    version: u32,
    run: &'a RunInfo,
    summary: &'a Summary,
    /// `dry-run` or `apply`, for CSS classes.
    mode: &'static str,
    /// `Dry run` or `Applied`.
    mode_label: &'static str,
    /// What the mode means, one sentence.
    mode_note: &'static str,
    /// The outcome in one sentence.
    outcome: String,
    /// Whether the run left nothing to do (exit code 0).
    ok: bool,
    exit_code: u8,
    caller: &'a str,
    duration: Option<String>,
    counts: Vec<Count>,
    severities: Vec<SeverityCount>,
    chart: Chart,
    by_policy: Vec<&'a PolicyCount>,
    failed: Vec<ChangeView<'a>>,
    changed: Vec<ChangeView<'a>>,
    needs_human: Vec<&'a NeedsHuman>,
    tags: Vec<ChangeView<'a>>,
    tag_rows: Vec<TagRowView<'a>>,
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
    needs_human: usize,
    violations: usize,
}

/// One summary number.
#[derive(Serialize)]
struct Count {
    label: &'static str,
    value: usize,
    /// A CSS class: `bad` (failures, remaining), `good`, or empty.
    class: &'static str,
}

/// Violations of one severity.
#[derive(Serialize)]
struct SeverityCount {
    severity: Severity,
    violations: usize,
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

/// One bar: one policy.
#[derive(Serialize)]
struct Bar {
    /// `pack/policy`.
    label: String,
    /// The label cut to fit, with an ellipsis.
    short: String,
    severity: Severity,
    level: EnforcementLevel,
    count: usize,
    y: usize,
    width: usize,
    /// The baseline of the bar's texts.
    text_y: usize,
    /// Where the count is written.
    count_x: usize,
}

/// A planned change with its outcome and tag differences.
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
}

/// One tag key of a resource, before and after.
#[derive(Clone, Serialize)]
struct TagRow<'a> {
    key: &'a str,
    before: Option<&'a str>,
    after: Option<&'a str>,
    /// `added`, `removed`, `changed` or `unchanged`.
    state: &'static str,
}

/// A tag row with its resource, for the Markdown table.
#[derive(Serialize)]
struct TagRowView<'a> {
    arn: &'a str,
    #[serde(flatten)]
    row: TagRow<'a>,
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
        let (mode, mode_label, mode_note) = mode_texts(run.mode);
        let views: Vec<ChangeView<'a>> = report.changes.iter().map(ChangeView::new).collect();
        let Details { failed, changed, needs_human, by_policy, tag_rows, violations, cut, totals } =
            Details::new(report, &views, keep);
        View {
            format: &report.format,
            version: report.version,
            run,
            summary: s,
            mode,
            mode_label,
            mode_note,
            outcome: outcome(report),
            ok: report.exit_code() == 0,
            exit_code: report.exit_code(),
            caller: run.caller.as_deref().filter(|c| !c.is_empty()).unwrap_or("unknown"),
            duration: duration(&run.started_at, &run.finished_at),
            counts: counts(s),
            severities: severities(&report.violations),
            chart: Chart::new(&report.by_policy),
            by_policy,
            failed,
            changed,
            needs_human,
            tags: views,
            tag_rows,
            violations,
            cut,
            totals,
        }
    }

    /// The number of detail rows (what `keep` counts).
    fn rows(&self) -> usize {
        self.failed.len()
            + self.needs_human.len()
            + self.changed.len()
            + self.by_policy.len()
            + self.tag_rows.len()
            + self.violations.len()
    }
}

/// A run mode as the templates show it: its CSS class, its label and what
/// it means.
fn mode_texts(mode: Mode) -> (&'static str, &'static str, &'static str) {
    match mode {
        Mode::DryRun => {
            ("dry-run", "Dry run", "Nothing was changed: this is the plan. Run again with --apply to apply it.")
        }
        Mode::Apply => ("apply", "Applied", "The plan was applied to live resources (--apply)."),
    }
}

/// The outcome of the run in one sentence: changes planned or applied,
/// violations left to people, blocking violations that remain.
fn outcome(report: &RemediationReport) -> String {
    let s = &report.summary;
    let run = &report.run;
    let humans = format!(
        "{} violation{} need{} a human",
        s.needs_human,
        plural(s.needs_human),
        if s.needs_human == 1 { "s" } else { "" }
    );
    let rest = if run.plan.is_some() && report.violations.is_empty() {
        // A reviewed plan (--plan-in) re-evaluates no policy.
        format!("{humans}; violations not re-evaluated with --plan-in: {} change(s) not applied.", s.remaining)
    } else {
        format!(
            "{humans}; {} blocking violation{} remain{}.",
            s.remaining,
            plural(s.remaining),
            if s.remaining == 1 { "s" } else { "" },
        )
    };
    match run.mode {
        Mode::DryRun => format!("{} change{} planned; {rest}", s.planned, plural(s.planned)),
        Mode::Apply => {
            format!("{} applied, {} already applied, {} failed; {rest}", s.applied, s.already_applied, s.failed)
        }
    }
}

/// The summary numbers, in the order the page shows them.
fn counts(s: &Summary) -> Vec<Count> {
    let bad = |n: usize| if n > 0 { "bad" } else { "" };
    vec![
        Count { label: "Resources", value: s.resources, class: "" },
        Count { label: "Violations", value: s.violations, class: "" },
        Count { label: "Planned", value: s.planned, class: "" },
        Count { label: "Applied", value: s.applied, class: if s.applied > 0 { "good" } else { "" } },
        Count { label: "Already applied", value: s.already_applied, class: "" },
        Count { label: "Failed", value: s.failed, class: bad(s.failed) },
        Count { label: "Needs a human", value: s.needs_human, class: bad(s.needs_human) },
        Count { label: "Remaining", value: s.remaining, class: bad(s.remaining) },
    ]
}

/// The violations of each severity, most severe first.
fn severities(violations: &[Violation]) -> Vec<SeverityCount> {
    [Severity::Critical, Severity::High, Severity::Medium, Severity::Low]
        .into_iter()
        .map(|severity| SeverityCount {
            severity,
            violations: violations.iter().filter(|v| v.severity == severity).count(),
        })
        .collect()
}

/// The detail sections of a [`View`], cut to `keep` rows in section order,
/// and their sizes before the cut.
struct Details<'a> {
    failed: Vec<ChangeView<'a>>,
    changed: Vec<ChangeView<'a>>,
    needs_human: Vec<&'a NeedsHuman>,
    by_policy: Vec<&'a PolicyCount>,
    tag_rows: Vec<TagRowView<'a>>,
    violations: Vec<&'a Violation>,
    /// Detail rows left out.
    cut: usize,
    /// Entries per section before the cut.
    totals: Totals,
}

impl<'a> Details<'a> {
    /// The sections of `report`, whose changes are `views`: failed changes,
    /// violations left to people, the other changes, counts by policy, tag
    /// rows, violations.
    fn new(report: &'a RemediationReport, views: &[ChangeView<'a>], keep: usize) -> Details<'a> {
        let failed_total = views.iter().filter(|c| c.status == ChangeStatus::Failed).count();
        let totals = Totals {
            failed: failed_total,
            changed: views.len() - failed_total,
            needs_human: report.needs_human.len(),
            violations: report.violations.len(),
        };
        let mut rows = Rows { keep, cut: 0 };
        let failed = rows.limit(views.iter().filter(|c| c.status == ChangeStatus::Failed).cloned().collect());
        let needs_human = rows.limit(report.needs_human.iter().collect());
        let changed = rows.limit(views.iter().filter(|c| c.status != ChangeStatus::Failed).cloned().collect());
        let by_policy = rows.limit(report.by_policy.iter().collect());
        let tag_rows = rows.limit(
            views
                .iter()
                .flat_map(|c| c.tags.iter().map(move |row| TagRowView { arn: c.arn, row: row.clone() }))
                .collect(),
        );
        let violations = rows.limit(report.violations.iter().collect());
        Details { failed, changed, needs_human, by_policy, tag_rows, violations, cut: rows.cut, totals }
    }
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
    fn new(by_policy: &[PolicyCount]) -> Chart {
        let max = by_policy.iter().map(|p| p.violations).max().unwrap_or(0).max(1);
        let bars: Vec<Bar> = by_policy
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let label = format!("{}/{}", p.pack, p.policy);
                let short = if label.chars().count() > CHART_LABEL_CHARS {
                    let mut s: String = label.chars().take(CHART_LABEL_CHARS - 1).collect();
                    s.push('\u{2026}');
                    s
                } else {
                    label.clone()
                };
                // At least 2 px, so that every bar is seen.
                let width = (p.violations * CHART_BAR_AREA).div_ceil(max).max(2);
                let y = 8 + i * CHART_ROW;
                Bar {
                    label,
                    short,
                    severity: p.severity,
                    level: p.enforcement_level,
                    count: p.violations,
                    y,
                    width,
                    text_y: y + CHART_BAR - 4,
                    count_x: CHART_LABEL_WIDTH + width + 6,
                }
            })
            .collect();
        let description = bars
            .iter()
            .map(|b| format!("{}: {} violation{} ({}, {})", b.label, b.count, plural(b.count), b.severity, b.level))
            .collect::<Vec<_>>()
            .join("; ");
        Chart {
            width: CHART_LABEL_WIDTH + CHART_BAR_AREA + 60,
            height: 16 + bars.len() * CHART_ROW,
            label_width: CHART_LABEL_WIDTH,
            bars,
            description,
        }
    }
}

impl<'a> ChangeView<'a> {
    fn new(o: &'a ChangeOutcome) -> ChangeView<'a> {
        let c = &o.change;
        let keys: BTreeSet<&str> = c.before.keys().chain(c.after.keys()).map(String::as_str).collect();
        let tags = keys
            .into_iter()
            .map(|key| {
                let before = c.before.get(key).map(String::as_str);
                let after = c.after.get(key).map(String::as_str);
                let state = match (before, after) {
                    (None, Some(_)) => "added",
                    (Some(_), None) => "removed",
                    (Some(b), Some(a)) if a != b => "changed",
                    _ => "unchanged",
                };
                TagRow { key, before, after, state }
            })
            .collect();
        ChangeView {
            arn: &c.arn,
            region: &c.region,
            account: &c.account,
            resource_type: &c.resource_type,
            status: o.status,
            status_label: match o.status {
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
        }
    }
}

/// `s` for a count other than one.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
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
                ChangeOutcome { change: a, status: ChangeStatus::Applied, error: None },
                ChangeOutcome {
                    change: b,
                    status: ChangeStatus::Failed,
                    error: Some(format!("AccessDenied: {HOSTILE}")),
                },
            ],
            Mode::DryRun => vec![
                ChangeOutcome { change: a, status: ChangeStatus::Planned, error: None },
                ChangeOutcome { change: b, status: ChangeStatus::Planned, error: None },
            ],
        };
        let violations = vec![
            violation("arn:aws:s3:::a", "required-tags", "missing owner"),
            violation("arn:aws:s3:::b", "required-tags", HOSTILE),
            violation("arn:aws:s3:::c", "required-tags", HOSTILE),
        ];
        RemediationReport::new(run, &plan, outcomes, violations, 3)
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
        assert!(md.starts_with("## Palisade remediation: Applied\n"), "{md}");
        assert!(md.contains("| Applied | 1 |\n"));
        assert!(md.contains("| Caller | <code>unknown</code> |\n"));
        // Every table row of a section has as many cells as its header.
        for line in md.lines().filter(|l| l.starts_with("| Resource |")) {
            assert!(line.matches(" | ").count() >= 3, "{line}");
        }
        for line in md.lines().filter(|l| l.starts_with("| <code>arn:aws:s3:::b")) {
            // Escaped pipes do not split cells: 4 or 5 columns, as the headers.
            let cells = line.replace("\\|", "").matches('|').count() - 1;
            assert!((4..=5).contains(&cells), "{line}");
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
        assert!(md.contains("<summary>Failed (1)</summary>"), "failures are kept before violations");
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
        assert!(html.contains("What would change (2)"));
        assert!(html.contains("No change failed."));
        assert!(html.contains("<code>arn:aws:iam::123456789012:user"), "the caller is shown");
        assert!(html.contains("<code>plan.json</code>"));
        let md = to_markdown(&report).expect("renders");
        assert!(md.starts_with("## Palisade remediation: Dry run\n"), "{md}");
        assert!(md.contains("<summary>Planned changes (2)</summary>"), "{md}");
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
        let report = RemediationReport::new(run, &plan, Vec::new(), Vec::new(), 0);
        let html = to_html(&report).expect("renders");
        assert!(!html.contains("<svg"), "no chart without violations");
        for empty in ["No violations.", "No change failed.", "Nothing was changed.", "Nothing needs a human."] {
            assert!(html.contains(empty), "{empty}");
        }
        assert!(html.contains("Exit code 0: nothing is left to do."));
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
