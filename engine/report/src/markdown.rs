//! The Markdown report: a pull-request comment in GitHub Flavored Markdown
//! (<https://github.github.com/gfm/>).

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::{Report, clean};
use palisade_model::finding::SourceLocation;
use palisade_model::finding::Violation;

/// The default cap on the comment's length, in characters (GitHub refuses
/// comments over 65,536).
pub const MARKDOWN_MAX_CHARS: usize = 60_000;

/// Room kept for the note on what was cut, in characters.
const NOTE_ROOM: usize = 200;

/// How [`render_markdown_with`] writes a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkdownOptions {
    /// The cap on the comment's length, in characters (Unicode scalar
    /// values); default [`MARKDOWN_MAX_CHARS`].
    pub max_chars: usize,
    /// A URL that a `.tf` path relative to the repository root is appended
    /// to, percent-encoded, with `#LLINE`, to link a located finding to its
    /// declaration: for GitHub,
    /// `https://github.com/OWNER/REPO/blob/COMMIT/` (from `GITHUB_SERVER_URL`,
    /// `GITHUB_REPOSITORY`, `GITHUB_SHA`). `None` (the default): locations
    /// are shown as `FILE:LINE` without a link, since a relative link in a
    /// comment does not resolve against the repository.
    pub link_base: Option<String>,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        MarkdownOptions { max_chars: MARKDOWN_MAX_CHARS, link_base: None }
    }
}

/// Write `report` as a Markdown pull-request comment of at most
/// [`MARKDOWN_MAX_CHARS`] characters, without links.
///
/// A title with the verdict (`PASSED`, `FAILED` or `INCOMPLETE`, words, no
/// emoji), an `INCOMPLETE` banner listing the scopes that did not complete,
/// a summary table (violations per level, undecided, exempted, baselined,
/// policy errors, resources loaded and judged), then one `<details>`
/// section per kind of entry, each a table: the blocking violations
/// (`Blocking (N)`, open), then the advisory and the undecided ones (each
/// collapsed; in the report's order: by resource, then pack and policy;
/// each row with the resource's action, and the `.tf` file and line when
/// `--source-dir` located it; the message last, so that it keeps the
/// width), proposed fixes, policy errors, exempted violations, expired and
/// unused exemptions, baselined violations (all collapsed). A footer names
/// Palisade's version and the packs.
///
/// Names and paths are shown as `<code>`. Every name, path and message is
/// escaped: control and invisible
/// characters as in the text report (`\n`), `<`, `>`, `&` as HTML
/// entities (so nothing can open or close an HTML element such as
/// `</details>`), Markdown punctuation (`` ` ``, `*`, `_`, `[`, `]`, `~`,
/// `|`, `\`, `!`, `#`, and `$`, which GitHub may take for inline math, as
/// in a Pulumi URN's component chain) with a backslash, and `@` followed by a word joiner
/// (U+2060) so that a message cannot mention a user or team.
///
/// The comment is capped at [`MARKDOWN_MAX_CHARS`] characters (GitHub's
/// limit is 65,536): rows that do not fit are left out, and a last line
/// says how many entries were cut.
pub fn render_markdown(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    render_markdown_with(report, &MarkdownOptions::default(), out)
}

/// [`render_markdown`] with a cap of `max_chars` characters (Unicode scalar
/// values).
pub fn render_markdown_capped(report: &Report, max_chars: usize, out: &mut dyn Write) -> io::Result<()> {
    render_markdown_with(report, &MarkdownOptions { max_chars, link_base: None }, out)
}

/// [`render_markdown`] with `options`. The title, banner and summary are
/// always written, even past the cap; detail rows are cut first.
pub fn render_markdown_with(report: &Report, options: &MarkdownOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut doc = Doc { text: String::new(), chars: 0, max: options.max_chars, cut: 0 };
    head(report, &mut doc);
    unread_inputs(report, &mut doc);
    notes(report, &mut doc);
    let link = options.link_base.as_deref();
    violations(report, link, &mut doc);
    fixes(report, &mut doc);
    policy_errors(report, &mut doc);
    exempted(report, link, &mut doc);
    exemptions_to_review(report, &mut doc);
    baselined(report, link, &mut doc);
    foot(report, &mut doc);
    out.write_all(doc.text.as_bytes())
}

/// What the readers said once about an input ([`Report::notes`]), as
/// quoted notes after the summary; nothing when there are none.
fn notes(report: &Report, doc: &mut Doc) {
    if report.notes.is_empty() {
        return;
    }
    let mut t = String::new();
    for note in &report.notes {
        let _ = writeln!(t, "> **Note:** {}\n", text(note));
    }
    doc.push(&t);
}

/// The inputs that could not be read, open (not collapsed), right after
/// the summary: "Could not read (N)"; nothing when every input was read.
/// Always written, like the summary.
fn unread_inputs(report: &Report, doc: &mut Doc) {
    if report.input_errors.is_empty() {
        return;
    }
    let mut t = format!(
        "### Could not read ({})

These inputs were not checked; the findings below are the other inputs'.

",
        report.input_errors.len()
    );
    for e in &report.input_errors {
        // The message starts with the file's name.
        let _ = writeln!(t, "- {}", text(&e.message));
    }
    t.push('\n');
    doc.push(&t);
}

/// The violations: blocking (open), advisory, undecided (collapsed); no
/// section for a kind without violations.
fn violations(report: &Report, link: Option<&str>, doc: &mut Doc) {
    let of = |keep: fn(&Violation) -> bool, level: bool| -> Vec<String> {
        report.violations.iter().filter(|v| keep(v)).map(|v| violation_row(v, None, link, level)).collect()
    };
    // With --fail-on-undecided, undecided results block and are listed first.
    let strict = report.summary.undecided_blocks;
    let blocking: Vec<String> =
        report.violations.iter().filter(|v| report.blocks(v)).map(|v| violation_row(v, None, link, true)).collect();
    let title = format!("Blocking ({})", blocking.len());
    doc.section_with(&title, &LEVEL_COLUMNS, blocking, true);
    let advisory = of(|v| !v.blocks() && !v.undecided, false);
    doc.section(&format!("Advisory ({})", advisory.len()), &COLUMNS, advisory);
    let undecided = if strict { Vec::new() } else { of(|v| v.undecided, false) };
    let title = format!("Undecided ({}): the message says which value is not known, and why", undecided.len());
    doc.section(&title, &COLUMNS, undecided);
}

/// The columns of a violation table.
const COLUMNS: [&str; 6] = ["Resource", "Action", "Policy", "Severity", "Location", "Message"];
/// [`COLUMNS`] with the enforcement level first.
const LEVEL_COLUMNS: [&str; 7] = ["Level", "Resource", "Action", "Policy", "Severity", "Location", "Message"];

/// The proposed fixes, as diffs; no section when there are none.
fn fixes(report: &Report, doc: &mut Doc) {
    let fixes: Vec<String> = report
        .violations
        .iter()
        .filter_map(|v| v.remediation.as_ref().map(|fix| (v, fix)))
        .map(|(v, fix)| {
            let lines: Vec<String> = fix.diff.iter().map(|d| code(d)).collect();
            row(&[code(&v.resource), code(&v.policy), lines.join("<br>")])
        })
        .collect();
    if !fixes.is_empty() {
        doc.section(
            &format!("Proposed fixes ({}; JSON Patch in the JSON report)", fixes.len()),
            &["Resource", "Policy", "Fix"],
            fixes,
        );
    }
}

/// The policy errors, with the resources each concerns.
fn policy_errors(report: &Report, doc: &mut Doc) {
    let errors = report
        .policy_errors
        .iter()
        .map(|e| {
            let resources: Vec<String> = e.resources.iter().map(|r| code(r)).collect();
            row(&[
                e.enforcement_level.to_string(),
                code(&e.policy),
                e.kind.to_string(),
                code(&e.file),
                resources.join(", "),
                text(&e.message),
            ])
        })
        .collect();
    doc.section(
        &format!("Policy errors ({})", report.policy_errors.len()),
        &["Level", "Policy", "Kind", "Input", "Resources", "Message"],
        errors,
    );
}

/// The exempted violations, with the reason and the exemption entry.
fn exempted(report: &Report, link: Option<&str>, doc: &mut Doc) {
    let exempted = report
        .exempted
        .iter()
        .map(|x| {
            let e = &x.exemption;
            let expires = e.expires.as_deref().map(|d| format!(", until {d}")).unwrap_or_default();
            let by = format!("{} \\#{}{}", code(&e.file), e.number, text(&expires));
            violation_row(&x.violation, Some((text(&e.reason), by)), link, true)
        })
        .collect();
    let mut header = LEVEL_COLUMNS.to_vec();
    header.extend(["Reason", "Exemption"]);
    doc.section(&format!("Exempted ({})", report.exempted.len()), &header, exempted);
}

/// The expired, then the unused exemptions, when an exemptions file was read.
fn exemptions_to_review(report: &Report, doc: &mut Doc) {
    let Some(x) = &report.exemptions else { return };
    let mut rows = Vec::new();
    for e in &x.expired {
        let r = &e.exemption;
        let gone: Vec<String> = e.no_longer_exempts.iter().map(|r| code(r)).collect();
        let detail = format!(
            "expired on {}; no longer exempts {}",
            text(r.expires.as_deref().unwrap_or("?")),
            if gone.is_empty() { "anything".to_string() } else { gone.join(", ") }
        );
        rows.push(row(&["expired".into(), format!("\\#{}", r.number), code(&r.policy), code(&r.resource), detail]));
    }
    for r in &x.unused {
        let detail = "matched no violation".to_string();
        rows.push(row(&["unused".into(), format!("\\#{}", r.number), code(&r.policy), code(&r.resource), detail]));
    }
    doc.section(
        &format!("Exemptions to review ({}) in {}", rows.len(), html(&x.file)),
        &["State", "Entry", "Policy", "Resource", "Detail"],
        rows,
    );
}

/// The violations the baseline knows, when a baseline was read.
fn baselined(report: &Report, link: Option<&str>, doc: &mut Doc) {
    let Some(b) = &report.baseline else { return };
    let rows = report.baselined.iter().map(|v| violation_row(v, None, link, true)).collect();
    doc.section(
        &format!(
            "Baselined ({}): baseline {} knows {}, {} resolved",
            report.baselined.len(),
            html(&b.file),
            b.known,
            b.resolved
        ),
        &LEVEL_COLUMNS,
        rows,
    );
}

/// The footer (Palisade's version and the packs) if it fits, then the note
/// on the rows cut, if any.
fn foot(report: &Report, doc: &mut Doc) {
    let packs: Vec<String> =
        report.provenance.packs.iter().map(|p| format!("{} {}", text(&p.name), text(&p.version))).collect();
    let footer = format!(
        "<sub>palisade {} · packs: {}</sub>\n",
        text(&report.provenance.palisade_version),
        if packs.is_empty() { "none".to_string() } else { packs.join(", ") }
    );
    doc.push_if_fits(&footer);
    if doc.cut > 0 {
        let note = format!(
            "\n**{} {} cut** to keep this comment under {} characters; the JSON or SARIF report has them all.\n",
            doc.cut,
            if doc.cut == 1 { "entry was" } else { "entries were" },
            doc.max
        );
        doc.push(&note);
    }
}

/// The comment being written, and how many rows were cut.
struct Doc {
    text: String,
    chars: usize,
    max: usize,
    cut: usize,
}

impl Doc {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.chars += s.chars().count();
    }

    /// Whether `n` more characters fit, keeping room for the cut note.
    fn fits(&self, n: usize) -> bool {
        self.chars + n + NOTE_ROOM <= self.max
    }

    /// Push `s` if it fits; the footer is dropped rather than counted.
    fn push_if_fits(&mut self, s: &str) {
        if self.fits(s.chars().count()) {
            self.push(s);
        }
    }

    /// A collapsed section with a table of `rows`; nothing when there are
    /// no rows. Rows that do not fit are counted in `cut`.
    fn section(&mut self, title: &str, header: &[&str], rows: Vec<String>) {
        self.section_with(title, header, rows, false);
    }

    /// [`Doc::section`], open (`<details open>`) when `expanded`.
    fn section_with(&mut self, title: &str, header: &[&str], rows: Vec<String>, expanded: bool) {
        if rows.is_empty() {
            return;
        }
        let attribute = if expanded { " open" } else { "" };
        let mut open = format!("<details{attribute}><summary>{title}</summary>\n\n");
        open.push_str(&format!("| {} |\n", header.join(" | ")));
        open.push_str(&format!("|{}\n", " --- |".repeat(header.len())));
        let close = "\n</details>\n\n";
        let fixed = open.chars().count() + close.chars().count();
        let first = rows.first().map_or(0, |r| r.chars().count());
        if !self.fits(fixed + first) {
            self.cut += rows.len();
            return;
        }
        self.push(&open);
        let total = rows.len();
        for (i, r) in rows.into_iter().enumerate() {
            if !self.fits(r.chars().count() + close.chars().count()) {
                self.cut += total - i;
                break;
            }
            self.push(&r);
        }
        self.push(close);
    }
}

/// Title, banner and summary table.
fn head(report: &Report, doc: &mut Doc) {
    let s = &report.summary;
    let verdict = if !s.complete {
        "INCOMPLETE"
    } else if s.failed {
        "FAILED"
    } else {
        "PASSED"
    };
    let mut t = format!("## Palisade: {verdict}\n\n");
    if !report.incomplete.is_empty() {
        t.push_str("> [!WARNING]\n> **INCOMPLETE**: the inventory scan did not complete; resources may be missing from this report:\n");
        for line in &report.incomplete {
            let _ = writeln!(t, "> - {}", text(line));
        }
        t.push('\n');
    }
    t.push_str("| Result | Count |\n| --- | ---: |\n");
    let rows: [(&str, String); 10] = [
        ("Verdict", format!("**{verdict}**")),
        ("Mandatory violations", s.violations.mandatory.to_string()),
        ("Remediate violations", s.violations.remediate.to_string()),
        ("Advisory violations", s.violations.advisory.to_string()),
        (
            if s.undecided_blocks {
                "of which undecided (blocking: --fail-on-undecided)"
            } else {
                "of which undecided"
            },
            s.undecided.to_string(),
        ),
        ("Exempted", s.exempted.to_string()),
        ("Baselined", s.baselined.to_string()),
        ("Policy errors (blocking)", format!("{} ({})", s.policy_errors, s.blocking_policy_errors)),
        ("Resources loaded", s.resources_loaded.to_string()),
        ("Resources judged by a resource policy", s.resources_judged.to_string()),
    ];
    for (name, value) in rows {
        let _ = writeln!(t, "| {name} | {value} |");
    }
    t.push('\n');
    doc.push(&t);
}

/// A violation's row ([`COLUMNS`], or [`LEVEL_COLUMNS`] with `level`);
/// `extra` adds the reason and exemption columns.
fn violation_row(v: &Violation, extra: Option<(String, String)>, link: Option<&str>, level: bool) -> String {
    let mut cells = Vec::with_capacity(9);
    if level {
        let undecided = if v.undecided { " (undecided)" } else { "" };
        cells.push(format!("{}{undecided}", v.enforcement_level));
    }
    cells.extend([
        code(&v.resource),
        v.action.to_string(),
        code(&v.policy),
        v.severity.to_string(),
        location(v.location.as_ref(), &v.file, link),
        text(&v.message),
    ]);
    if let Some((reason, by)) = extra {
        cells.push(reason);
        cells.push(by);
    }
    row(&cells)
}

/// `FILE:LINE` of the declaration (a link under `link`), else the input
/// file (`-` is standard input).
fn location(l: Option<&SourceLocation>, file: &str, link: Option<&str>) -> String {
    match l {
        Some(l) => {
            let shown = code(&format!("{}:{}", l.file, l.line));
            match link {
                Some(base) => format!("[{shown}]({base}{}#L{})", url_path(&l.file), l.line),
                None => shown,
            }
        }
        None if file == "-" => "standard input".to_string(),
        None => code(file),
    }
}

/// A relative path for a URL: `\\` as `/`, a leading `./` dropped, every
/// byte but RFC 3986 unreserved characters and `/` percent-encoded (so no
/// `)`, space or `|` can end the link or the cell).
fn url_path(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.trim_start_matches("./");
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A table row of already escaped cells.
fn row(cells: &[String]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

/// `s` as text inside an HTML element (a `<summary>`, where Markdown is not
/// parsed): control characters as in the text report, `<`, `>`, `&` as
/// entities, `@` followed by a word joiner.
fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(s).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("@\u{2060}"),
            c => out.push(c),
        }
    }
    out
}

/// `s` as table-cell text: [`html`]'s escaping, then a backslash before
/// Markdown punctuation.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in html(s).chars() {
        if matches!(c, '`' | '*' | '_' | '[' | ']' | '~' | '|' | '\\' | '!' | '#' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` as code in a table cell: `<code>` around [`text`]'s escaping, so
/// that names keep Markdown's escapes and no character of `s` reaches the
/// page as HTML (a Markdown code span would pass `<` through verbatim).
fn code(s: &str) -> String {
    format!("<code>{}</code>", text(s))
}
