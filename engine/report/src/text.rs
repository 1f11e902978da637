//! The text report, for people: findings grouped by input file, then by
//! resource, then a summary.

use palisade_model::text::clean;
use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::Report;
use palisade_model::finding::{PolicyError, Violation};

/// A policy error concerning more resources than this is printed once.
const WIDE_ERROR: usize = 3;

/// Write `report` as text: per input file (in order of name), a header line
/// `Input FILE:`, then one block per resource (address, type, action,
/// declaration) with its violations and policy errors, then the policy
/// errors of that input that concern many resources; then exemptions, the
/// baseline, and one summary line (resources loaded and judged, violations
/// per level, policy errors). Control
/// characters in names and messages are escaped (`\n`, `\u{1b}`), so that
/// an address or a message cannot forge lines or terminal escapes.
pub fn render_text(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    render_preamble(report, out)?;
    render_input_errors(report, out)?;
    let mut blocks = Blocks::default();
    for v in &report.violations {
        blocks.add_violation(v, report.summary.undecided_blocks);
    }
    // An error that concerns many resources (a stack policy's) is printed
    // once, after the resources, not under each of them.
    for e in &report.policy_errors {
        if e.resources.len() > WIDE_ERROR {
            blocks.wide.entry(e.file.as_str()).or_default().push(e);
        } else {
            blocks.add_error(e);
        }
    }
    blocks.render(out)?;
    render_exemptions(report, out)?;
    if let Some(b) = &report.baseline {
        writeln!(
            out,
            "Baseline {}: {} known violations not shown ({} in the baseline); {} of its findings are no longer found.\n",
            clean(&b.file),
            b.suppressed,
            b.known,
            b.resolved
        )?;
    }
    render_summary(report, out)
}

/// What comes before the findings: the warning of an incomplete scan with
/// its scopes, then the policies' notes.
fn render_preamble(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if !report.incomplete.is_empty() {
        writeln!(out, "INCOMPLETE: the inventory scan did not complete; resources may be missing from this report:")?;
        for line in &report.incomplete {
            writeln!(out, "  {}", clean(line))?;
        }
        writeln!(out)?;
    }
    for note in report.policies.iter().filter_map(|p| p.note.as_ref()).chain(&report.notes) {
        writeln!(out, "note: {}", clean(note))?;
    }
    Ok(())
}

/// The findings of each (input file, resource), in that order: their lines,
/// and the resource's type, action and declaration when a violation gave
/// them; and each input's policy errors that concern many resources.
#[derive(Default)]
struct Blocks<'r> {
    lines: BTreeMap<(&'r str, &'r str), Vec<String>>,
    /// `TYPE, ACTION`.
    types: BTreeMap<(&'r str, &'r str), String>,
    /// `, declared at FILE:LINE`.
    declared: BTreeMap<(&'r str, &'r str), String>,
    /// Policy errors concerning more than [`WIDE_ERROR`] resources, by input.
    wide: BTreeMap<&'r str, Vec<&'r PolicyError>>,
}

impl<'r> Blocks<'r> {
    /// A violation: its level, policy, severity, pack and message, and its
    /// proposed fix; `strict`: undecided results block (`--fail-on-undecided`).
    fn add_violation(&mut self, v: &'r Violation, strict: bool) {
        let key = (v.file.as_str(), v.resource.as_str());
        self.types.insert(key, format!("{}, {}", clean(&v.resource_type), v.action));
        if let Some(at) = &v.location {
            self.declared.insert(key, format!(", declared at {}:{}", clean(&at.file), at.line));
        }
        let undecided = match (v.undecided, strict) {
            (false, _) => "",
            (true, false) => " (undecided: a value it needs is not known here)",
            (true, true) => " (undecided: a value it needs is not known here; it blocks: --fail-on-undecided)",
        };
        let mut line = format!(
            "  [{}] {} ({}, pack {}){}\n      {}",
            v.enforcement_level,
            clean(&v.policy),
            v.severity,
            clean(&v.pack),
            undecided,
            clean(&v.message)
        );
        if let Some(fix) = &v.remediation {
            line.push_str("\n      proposed fix (JSON Patch in the JSON report):");
            for d in &fix.diff {
                line.push_str(&format!("\n        {}", clean(d)));
            }
        }
        self.lines.entry(key).or_default().push(line);
    }

    /// A policy error, under each resource it concerns.
    fn add_error(&mut self, e: &'r PolicyError) {
        for r in &e.resources {
            self.lines.entry((e.file.as_str(), r.as_str())).or_default().push(format!(
                "  [{} policy error: {}] {} (pack {})\n      {}",
                e.enforcement_level,
                e.kind,
                clean(&e.policy),
                clean(&e.pack),
                clean(&e.message)
            ));
        }
    }

    /// Per input: a header line, then one block per resource (a header
    /// line, the findings, a blank line), then the wide policy errors.
    fn render(&self, out: &mut dyn Write) -> io::Result<()> {
        let files: std::collections::BTreeSet<&str> =
            self.lines.keys().map(|(file, _)| *file).chain(self.wide.keys().copied()).collect();
        for file in files {
            writeln!(out, "Input {}:\n", clean(file))?;
            for ((_, resource), lines) in self.lines.range((file, "")..).take_while(|((f, _), _)| *f == file) {
                let key = (file, *resource);
                let at = self.declared.get(&key).map_or("", String::as_str);
                match self.types.get(&key) {
                    Some(t) => writeln!(out, "{} ({t}){at}", clean(resource))?,
                    None => writeln!(out, "{}{at}", clean(resource))?,
                }
                for line in lines {
                    writeln!(out, "{line}")?;
                }
                writeln!(out)?;
            }
            for e in self.wide.get(file).into_iter().flatten() {
                render_wide_error(e, out)?;
            }
        }
        Ok(())
    }
}

/// A policy error concerning more than [`WIDE_ERROR`] resources: once, with
/// their count and the first few.
fn render_wide_error(e: &PolicyError, out: &mut dyn Write) -> io::Result<()> {
    let first: Vec<String> = e.resources.iter().take(WIDE_ERROR).map(|r| clean(r).into_owned()).collect();
    writeln!(
        out,
        "{} resources in {} (first: {}, ...)\n  [{} policy error: {}] {} (pack {})\n      {}\n",
        e.resources.len(),
        clean(&e.file),
        first.join(", "),
        e.enforcement_level,
        e.kind,
        clean(&e.policy),
        clean(&e.pack),
        clean(&e.message)
    )
}

/// The inputs that could not be read, before the findings of the others.
fn render_input_errors(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.input_errors.is_empty() {
        return Ok(());
    }
    let n = report.input_errors.len();
    writeln!(
        out,
        "COULD NOT READ {n} input{}; not checked, so this report is incomplete:",
        if n == 1 { "" } else { "s" }
    )?;
    for e in &report.input_errors {
        writeln!(out, "  {}", clean(&e.message))?;
    }
    writeln!(out)
}

/// The last line: the verdict and the counts.
fn render_summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let mut extra = String::new();
    if report.exemptions.is_some() {
        extra.push_str(&format!(" {} exempted.", s.exempted));
    }
    if report.baseline.is_some() {
        extra.push_str(&format!(" {} baselined.", s.baselined));
    }
    if s.undecided_blocks && s.undecided > 0 {
        extra.push_str(" Undecided results block (--fail-on-undecided, or failOnUndecided in the config).");
    }
    writeln!(
        out,
        "{}: {} loaded, {} judged; {} mandatory, {} remediate, {} advisory violations ({} undecided); {} policy errors ({} blocking).{extra}",
        if !s.complete {
            "INCOMPLETE"
        } else if s.failed {
            "FAILED"
        } else {
            "PASSED"
        },
        if s.resources_loaded == 1 { "1 resource".to_string() } else { format!("{} resources", s.resources_loaded) },
        s.resources_judged,
        s.violations.mandatory,
        s.violations.remediate,
        s.violations.advisory,
        s.undecided,
        s.policy_errors,
        s.blocking_policy_errors
    )
}

/// The exempted violations, then the expired and unused exemptions.
fn render_exemptions(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let Some(outcome) = &report.exemptions else { return Ok(()) };
    if !report.exempted.is_empty() {
        writeln!(out, "Exempted ({}), by {}:", report.exempted.len(), clean(&outcome.file))?;
        for e in &report.exempted {
            let v = &e.violation;
            let expires = e.exemption.expires.as_ref().map(|d| format!(", until {d}")).unwrap_or_default();
            writeln!(
                out,
                "  {} ({}) [{}] {} (exemption {}{expires}: {})",
                clean(&v.resource),
                v.action,
                v.enforcement_level,
                clean(&v.policy),
                e.exemption.number,
                clean(&e.exemption.reason)
            )?;
        }
        writeln!(out)?;
    }
    if !outcome.expired.is_empty() {
        writeln!(out, "Expired exemptions ({}): they no longer exempt anything:", outcome.expired.len())?;
        for e in &outcome.expired {
            let x = &e.exemption;
            let now = if e.no_longer_exempts.is_empty() {
                "it would exempt nothing now".to_string()
            } else {
                let list: Vec<String> = e.no_longer_exempts.iter().map(|r| clean(r).into_owned()).collect();
                format!("no longer exempts {}", list.join(", "))
            };
            writeln!(
                out,
                "  {} exemption {}: {} on {}, expired on {}; {now}",
                clean(&x.file),
                x.number,
                clean(&x.policy),
                clean(&x.resource),
                x.expires.as_deref().unwrap_or("?")
            )?;
        }
        writeln!(out)?;
    }
    if !outcome.unused.is_empty() {
        writeln!(
            out,
            "Unused exemptions ({}): they matched no violation; remove them if stale:",
            outcome.unused.len()
        )?;
        for x in &outcome.unused {
            writeln!(
                out,
                "  {} exemption {}: {} on {}",
                clean(&x.file),
                x.number,
                clean(&x.policy),
                clean(&x.resource)
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
