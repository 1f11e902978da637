//! The text report, for people: findings grouped by resource, then a summary.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::Report;

/// Write `report` as text: one block per resource (address, type, file) with
/// its violations and policy errors, then one summary line.
pub fn render_text(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut by_resource: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    let mut types: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for v in &report.violations {
        let key = (v.resource.as_str(), v.file.as_str());
        types.insert(key, &v.resource_type);
        let undecided = if v.undecided { " (undecided: needs values known only after apply)" } else { "" };
        by_resource.entry(key).or_default().push(format!(
            "  [{}] {} ({}, pack {}){}\n      {}",
            v.enforcement_level, v.policy, v.severity, v.pack, undecided, v.message
        ));
    }
    for e in &report.policy_errors {
        for r in &e.resources {
            by_resource.entry((r.as_str(), e.file.as_str())).or_default().push(format!(
                "  [{} policy error: {}] {} (pack {})\n      {}",
                e.enforcement_level, e.kind, e.policy, e.pack, e.message
            ));
        }
    }
    for ((resource, file), lines) in &by_resource {
        match types.get(&(*resource, *file)) {
            Some(t) => writeln!(out, "{resource} ({t}) in {file}")?,
            None => writeln!(out, "{resource} in {file}")?,
        }
        for line in lines {
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
    }
    let s = &report.summary;
    writeln!(
        out,
        "{}: {} resources evaluated; {} mandatory, {} remediate, {} advisory violations ({} undecided); {} policy errors ({} blocking).",
        if s.failed { "FAILED" } else { "PASSED" },
        s.resources_evaluated,
        s.violations.mandatory,
        s.violations.remediate,
        s.violations.advisory,
        s.undecided,
        s.policy_errors,
        s.blocking_policy_errors
    )
}
