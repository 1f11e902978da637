//! GitHub Actions annotations: workflow commands
//! (<https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands>),
//! one line each, which the runner turns into annotations on the pull
//! request's files.

use std::io::{self, Write};

use crate::{ExemptionsOutcome, Report, clean};
use palisade_model::finding::{PolicyError, Violation};

/// Annotations of one kind (`error`, `warning`, `notice`) GitHub shows per
/// step; [`render_github`] writes no more than this of each kind.
const ANNOTATIONS_PER_KIND: usize = 10;

/// The kinds of annotation, most important first.
const KINDS: [&str; 3] = ["error", "warning", "notice"];

/// One workflow command: kind, properties, message.
struct Command {
    kind: &'static str,
    properties: Vec<(&'static str, String)>,
    message: String,
}

impl Command {
    /// The command line, escaped, without its newline.
    fn line(&self) -> String {
        let props: Vec<String> = self.properties.iter().map(|(k, v)| format!("{k}={}", escape_property(v))).collect();
        let sep = if props.is_empty() { "" } else { " " };
        format!("::{}{sep}{}::{}", self.kind, props.join(","), escape_data(&self.message))
    }
}

/// Write `report` as GitHub Actions workflow commands, one per line: the
/// verdict first, then the findings GitHub will show, most important first,
/// then a note when some were left out.
///
/// | report | command |
/// | --- | --- |
/// | summary | first line: `::error` when the run fails or is incomplete, else `::notice` |
/// | input that could not be read | `::error` at the input file, first |
/// | blocking violation (decided, mandatory or remediate) | `::error` |
/// | policy error of a mandatory or remediate policy | `::error` |
/// | incomplete input (a scope the inventory scan missed) | `::error` |
/// | advisory or undecided violation | `::warning` |
/// | policy error of an advisory policy | `::warning` |
/// | expired exemption | `::warning` |
/// | exempted violation | `::notice` (with the reason) |
/// | baselined violation | `::notice` (known to the baseline) |
/// | unused exemption | `::notice` |
/// | annotations left out | last line: `::notice` with the count of each kind |
///
/// GitHub turns at most 10 `::error`, 10 `::warning` and 10 `::notice`
/// commands of a step into annotations, and at most 50 of a job
/// (<https://github.com/actions/toolkit/blob/main/docs/problem-matchers.md#limitations>,
/// <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands>);
/// the rest are silently dropped. So at most 10
/// commands of each kind are written, the summary and the note included, in
/// the table's order (inputs that could not be read, blocking violations, then blocking policy errors,
/// then incomplete input; advisory and undecided violations, then advisory
/// policy errors, then expired exemptions; exempted, then baselined
/// violations, then unused exemptions; violations in the report's order).
/// When any finding is left out, a last `::notice` says how many errors,
/// warnings and notices were not annotated and that the full report is
/// written by `--report sarif=FILE` (code scanning), `--report
/// markdown=FILE` or `--format text`. A run writes at most 30 annotations,
/// within the job's 50 when Palisade is its only annotating step.
///
/// A violation's `file`, `line` and `col` come from its `--source-dir`
/// location; without one, `file` is the input file as given (no `file` for
/// standard input) and there is no line. `title` is the policy; the message
/// starts with the resource and its action (`aws_s3_bucket.b (create): `).
///
/// Control and invisible characters other than `\r` and `\n` (NUL, ESC,
/// zero-width and bidirectional formatting characters) are first escaped as
/// in the text report ([`clean`]: `\u{0}`, `\u{1b}`, `\u{202e}`), so none
/// reaches the log raw. Then escaping is the Actions toolkit's
/// (`@actions/core` `command.ts`): in the message `%` → `%25`, `\r` → `%0D`,
/// `\n` → `%0A`; in property values also `:` → `%3A` and `,` → `%2C`. A
/// name or message therefore cannot end its command or start another.
pub fn render_github(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut commands = findings(report);
    // Stable: within a kind, the order the findings were pushed in.
    commands.sort_by_key(|c| KINDS.iter().position(|k| *k == c.kind).unwrap_or(KINDS.len()));
    write_capped(&summary(report), &commands, out)
}

/// Every finding of `report` as a command, in the table's order: violations,
/// policy errors, incomplete input, exempted and baselined violations,
/// expired and unused exemptions.
fn findings(report: &Report) -> Vec<Command> {
    let mut commands = input_errors(report);
    commands.extend(report.notes.iter().map(|note| Command {
        kind: "notice",
        properties: vec![("title", "Palisade: note".to_string())],
        message: note.clone(),
    }));
    for v in &report.violations {
        let kind = if report.blocks(v) { "error" } else { "warning" };
        let undecided = if v.undecided { ", undecided: a value it needs is not known here" } else { "" };
        let message = format!(
            "{} ({}): {} [{}, {}{undecided}]",
            v.resource, v.action, v.message, v.enforcement_level, v.severity
        );
        commands.push(annotation(kind, v, message));
    }
    commands.extend(report.policy_errors.iter().map(policy_error));
    for line in &report.incomplete {
        commands.push(Command {
            kind: "error",
            properties: vec![("title", "Palisade: incomplete input".to_string())],
            message: format!("The inventory scan did not complete; resources may be missing: {line}"),
        });
    }
    for x in &report.exempted {
        let v = &x.violation;
        let e = &x.exemption;
        let message = format!(
            "{} ({}): {} [exempted by {} #{}: {}]",
            v.resource, v.action, v.message, e.file, e.number, e.reason
        );
        commands.push(annotation("notice", v, message));
    }
    for v in &report.baselined {
        let message =
            format!("{} ({}): {} [{}, known to the baseline]", v.resource, v.action, v.message, v.enforcement_level);
        commands.push(annotation("notice", v, message));
    }
    if let Some(x) = &report.exemptions {
        exemptions_to_review(x, &mut commands);
    }
    commands
}

/// The inputs that could not be read, each an `::error` at its file (no
/// `file` for standard input).
fn input_errors(report: &Report) -> Vec<Command> {
    report
        .input_errors
        .iter()
        .map(|e| {
            let mut properties = Vec::new();
            if e.input != "-" {
                properties.push(("file", e.input.clone()));
            }
            properties.push(("title", "Palisade: could not read input".to_string()));
            Command { kind: "error", properties, message: e.message.clone() }
        })
        .collect()
}

/// A policy error: at its input file, naming the first resource it concerns.
fn policy_error(e: &PolicyError) -> Command {
    let mut properties = Vec::new();
    if e.file != "-" {
        properties.push(("file", e.file.clone()));
    }
    properties.push(("title", format!("{} (policy error)", e.policy)));
    let resources = match e.resources.as_slice() {
        [] => String::new(),
        [one] => format!(" on {one}"),
        [first, rest @ ..] => format!(" on {first} and {} more", rest.len()),
    };
    Command {
        kind: if e.blocks() { "error" } else { "warning" },
        properties,
        message: format!(
            "policy {} of pack {} ({}) failed ({}){resources}: {}",
            e.policy, e.pack, e.enforcement_level, e.kind, e.message
        ),
    }
}

/// The expired exemptions (warnings), then the unused ones (notices), at
/// the exemptions file.
fn exemptions_to_review(x: &ExemptionsOutcome, commands: &mut Vec<Command>) {
    for e in &x.expired {
        commands.push(Command {
            kind: "warning",
            properties: vec![("file", x.file.clone()), ("title", "Palisade: expired exemption".to_string())],
            message: format!(
                "exemption #{} (policy {}, resource {}) expired on {}; it no longer exempts: {}",
                e.exemption.number,
                e.exemption.policy,
                e.exemption.resource,
                e.exemption.expires.as_deref().unwrap_or("?"),
                e.no_longer_exempts.join(", ")
            ),
        });
    }
    for e in &x.unused {
        commands.push(Command {
            kind: "notice",
            properties: vec![("file", x.file.clone()), ("title", "Palisade: unused exemption".to_string())],
            message: format!(
                "exemption #{} (policy {}, resource {}) matched no violation",
                e.number, e.policy, e.resource
            ),
        });
    }
}

/// Write `summary`, then at most [`ANNOTATIONS_PER_KIND`] commands of each
/// kind, the summary and the note counted, from `commands` (sorted by kind),
/// then the note on those left out, if any.
fn write_capped(summary: &Command, commands: &[Command], out: &mut dyn Write) -> io::Result<()> {
    let count = |kind: &str| commands.iter().filter(|c| c.kind == kind).count();
    let taken_by_summary = |kind: &str| usize::from(summary.kind == kind);
    let fits = |kind: &str| count(kind) + taken_by_summary(kind) <= ANNOTATIONS_PER_KIND;
    let cut_any = !KINDS.iter().all(|k| fits(k));
    // Room for findings of each kind: the summary and the note take theirs.
    let room =
        |kind: &str| ANNOTATIONS_PER_KIND - taken_by_summary(kind) - usize::from(cut_any && kind == OMITTED_KIND);
    let mut left_out = [0usize; 3];
    writeln!(out, "{}", summary.line())?;
    for (i, kind) in KINDS.iter().enumerate() {
        let of_kind: Vec<&Command> = commands.iter().filter(|c| c.kind == *kind).collect();
        let shown = of_kind.len().min(room(kind));
        for c in &of_kind[..shown] {
            writeln!(out, "{}", c.line())?;
        }
        left_out[i] = of_kind.len() - shown;
    }
    if cut_any {
        writeln!(out, "{}", omitted(left_out).line())?;
    }
    Ok(())
}

/// The kind of the note on the annotations left out.
const OMITTED_KIND: &str = "notice";

/// The note on the annotations left out: how many of each kind, and where
/// the full report is.
fn omitted([errors, warnings, notices]: [usize; 3]) -> Command {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    Command {
        kind: OMITTED_KIND,
        properties: vec![("title", "Palisade: more findings than annotations".to_string())],
        message: format!(
            "{}, {} and {} were not annotated (GitHub shows {ANNOTATIONS_PER_KIND} annotations of each kind per \
             step); see the full report: --report sarif=FILE (code scanning), --report markdown=FILE or \
             --format text.",
            plural(errors, "error"),
            plural(warnings, "warning"),
            plural(notices, "notice"),
        ),
    }
}

/// An annotation at a violation's place.
fn annotation(kind: &'static str, v: &Violation, message: String) -> Command {
    let mut properties = Vec::new();
    match &v.location {
        Some(l) => {
            properties.push(("file", l.file.clone()));
            properties.push(("line", l.line.to_string()));
            properties.push(("col", l.column.to_string()));
        }
        None if v.file != "-" => properties.push(("file", v.file.clone())),
        None => {}
    }
    properties.push(("title", v.policy.clone()));
    Command { kind, properties, message }
}

/// The first line: the verdict and the counts.
fn summary(report: &Report) -> Command {
    let s = &report.summary;
    let (kind, verdict) = if !s.complete {
        ("error", "INCOMPLETE")
    } else if s.failed {
        ("error", "FAILED")
    } else {
        ("notice", "PASSED")
    };
    let message = format!(
        "{verdict}: {} resources loaded, {} judged; {} mandatory, {} remediate, {} advisory violations \
         ({} undecided); {} exempted, {} baselined; {} policy errors ({} blocking).",
        s.resources_loaded,
        s.resources_judged,
        s.violations.mandatory,
        s.violations.remediate,
        s.violations.advisory,
        s.undecided,
        s.exempted,
        s.baselined,
        s.policy_errors,
        s.blocking_policy_errors
    );
    Command { kind, properties: vec![("title", format!("Palisade: {verdict}"))], message }
}

/// A message escaped as the Actions toolkit's `escapeData` (`%`, `\r`,
/// `\n`), after [`clean_keeping_line_breaks`].
fn escape_data(s: &str) -> String {
    clean_keeping_line_breaks(s).replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// `s` with the characters the text report escapes ([`clean`]: control
/// characters, zero-width, bidirectional and byte-order-mark formatting
/// characters) written as `\u{0}`, `\u{1b}`, `\u{202e}`, except `\r` and
/// `\n`, which the toolkit escaping then turns into `%0D` and `%0A` (a line
/// break the annotation shows).
fn clean_keeping_line_breaks(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for piece in s.split_inclusive(['\r', '\n']) {
        let text = piece.strip_suffix(['\r', '\n']).unwrap_or(piece);
        out.push_str(&clean(text));
        out.push_str(&piece[text.len()..]);
    }
    out
}

/// A property value escaped as the Actions toolkit's `escapeProperty`:
/// `%`, `\r`, `\n`, `:`, `,`.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
