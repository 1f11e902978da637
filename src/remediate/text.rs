//! `palisade remediate` for people: the plan and its outcomes on standard
//! output, one line per tagging call on standard error.
//!
//! Tag values are shown quoted and escaped once (`"a \"b\""`); keys and
//! messages as they are, with control characters escaped (`\n`, `\u{1b}`)
//! so that nothing read from AWS or a plan file can drive the terminal.

use std::collections::BTreeMap;
use std::io::{self, Write};

use palisade_engine::remediation::render::WrittenReport;
use palisade_engine::remediation::report::{ChangeStatus, Mode, RemediationReport};
use palisade_scanner::remediate::{CallDone, TagAction};

/// Progress of `--apply` on standard error, one line per call.
pub(super) fn show_call(call: CallDone<'_>) {
    let (name, what) = match &call.batch.action {
        TagAction::Tag(tags) => ("TagResources", tags.keys().map(|k| shown(k)).collect::<Vec<_>>()),
        TagAction::Untag(keys) => ("UntagResources", keys.iter().map(|k| shown(k)).collect()),
    };
    crate::say!(
        "palisade: [{}/{}] {name} {} ({}): {} ARN(s), {} failed",
        call.done,
        call.total,
        call.batch.region,
        what.join(", "),
        call.batch.arns.len(),
        call.failed
    );
}

/// The plan and its outcomes; `written`: where the report went (`None`:
/// it could not be written, the error follows on standard error).
pub(super) fn render(
    report: &RemediationReport,
    written: Option<&WrittenReport>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let run = &report.run;
    match run.mode {
        Mode::DryRun => writeln!(out, "DRY RUN: nothing was changed; --apply applies the changes marked planned.")?,
        Mode::Apply => writeln!(
            out,
            "APPLY as {}: each change's outcome below.",
            run.caller.as_deref().unwrap_or("(unknown caller)")
        )?,
    }
    let source = run.plan.as_deref().map_or_else(|| run.inventory.source.clone(), |p| format!("plan {p}"));
    writeln!(out, "From {} (inventory of {}).", shown(&source), run.inventory.started_at)?;
    for outcome in &report.changes {
        let c = &outcome.change;
        let status = match outcome.status {
            ChangeStatus::Planned => "planned",
            ChangeStatus::Applied => "applied",
            ChangeStatus::AlreadyApplied => "already-applied",
            ChangeStatus::Failed => "FAILED",
        };
        writeln!(out)?;
        writeln!(out, "{}  [{}, {}, {}]  {status}", shown(&c.arn), c.resource_type, c.region, c.account)?;
        writeln!(out, "  asked by: {}", shown(&c.policies.join(", ")))?;
        for (key, value) in &c.change.set {
            match c.before.get(key) {
                Some(old) => writeln!(out, "  ~ {}: {old:?} -> {value:?}", shown(key))?,
                None => writeln!(out, "  + {} = {value:?}", shown(key))?,
            }
        }
        for key in &c.change.remove {
            let old = c.before.get(key).map(|v| format!(" (was {v:?})")).unwrap_or_default();
            writeln!(out, "  - {}{old}", shown(key))?;
        }
        writeln!(out, "  before: {}", tag_list(&c.before))?;
        writeln!(out, "  after:  {}", tag_list(&c.after))?;
        if let Some(error) = &outcome.error {
            writeln!(out, "  error: {}", shown(error))?;
        }
    }
    if !report.needs_human.is_empty() {
        writeln!(out)?;
        writeln!(out, "Needs a human ({}):", report.needs_human.len())?;
        for n in &report.needs_human {
            writeln!(out, "  {}  {}/{}: {}", shown(&n.resource), n.pack, n.policy, shown(&n.reason))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", summary_line(report))?;
    match written {
        Some(w) => writeln!(out, "Report: {} (and {}, {})", w.html.display(), w.json.display(), w.markdown.display()),
        None => writeln!(out, "Report: NOT WRITTEN (the error follows on standard error)"),
    }
}

/// The counts of the summary. With `--plan-in` no violation is evaluated,
/// so the line says so, and `remaining` counts the changes not applied.
fn summary_line(report: &RemediationReport) -> String {
    let s = &report.summary;
    let planned = report.changes.iter().filter(|o| o.status == ChangeStatus::Planned).count();
    let changes = format!(
        "{} changes: {planned} planned, {} applied, {} already applied, {} failed; {} need a human",
        s.planned, s.applied, s.already_applied, s.failed, s.needs_human
    );
    if report.run.plan.is_some() {
        format!(
            "{} resources in the plan; {changes}; violations not re-evaluated with --plan-in: {} change(s) not applied.",
            s.resources, s.remaining
        )
    } else {
        format!(
            "{} resources, {} violations ({} to remediate); {changes}; {} blocking violations remain.",
            s.resources, s.violations, s.remediate_violations, s.remaining
        )
    }
}

/// `key="value", ...`, or `(none)`.
fn tag_list(tags: &BTreeMap<String, String>) -> String {
    if tags.is_empty() {
        return "(none)".to_string();
    }
    tags.iter().map(|(k, v)| format!("{}={v:?}", shown(k))).collect::<Vec<_>>().join(", ")
}

/// `text` with its control characters escaped (`\n`, `\u{1b}`) and
/// nothing else: quotes and backslashes stay as they are, so a message
/// that quotes values already is not escaped twice.
pub(super) fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}
