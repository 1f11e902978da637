//! The text drift report, for people: a warning when the scan is
//! incomplete, a headline, then one section per kind of finding.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use palisade_model::text::clean;

use super::attributes::AttributeChangeKind;
use super::report::{
    AttributeChange, CloudRef, Coverage, DriftReport, NotChecked, NotCheckedReason, StateRef, TagChangeKind,
};

/// Write `report` as text:
///
/// 1. when the scan is incomplete, an `INCOMPLETE SCAN` warning naming the
///    scopes, saying the result cannot be trusted as "no drift";
/// 2. the headline, e.g. `drift: 2 missing, 1 unmanaged, 1 changed;
///    coverage 75.0% (3 of 4)`, and a line of what was compared; when
///    nothing was compared ([`Summary::nothing_checked`](super::Summary)),
///    the headline says `no drift found, but nothing was checked` and a
///    line says why; coverage without cloud resources to count is `n/a`,
///    with how many were ignored;
/// 3. sections `Missing`, `Unmanaged`, `Changed` (each tag change on its
///    own line), the warning `Claimed by several states`, `Not checked`
///    (grouped by reason, with counts), coverage by service, `Ignored`, and
///    the ignore rules with their counts; empty sections are left out.
///
/// Control characters in names, tags and messages are escaped (`\n`,
/// `\u{1b}`), so cloud tags cannot forge lines or terminal escapes.
pub fn render_text(report: &DriftReport, out: &mut dyn Write) -> io::Result<()> {
    incomplete_warning(report, out)?;
    headline(report, out)?;
    if !report.missing.is_empty() {
        writeln!(out, "\nMissing (in a state, not in the cloud): {}", report.missing.len())?;
        for m in &report.missing {
            writeln!(out, "  {}", state(m))?;
        }
    }
    if !report.unmanaged.is_empty() {
        writeln!(out, "\nUnmanaged (in the cloud, in no state): {}", report.unmanaged.len())?;
        for u in &report.unmanaged {
            writeln!(out, "  {}", cloud(u))?;
        }
    }
    changed(report, out)?;
    duplicate_claims(report, out)?;
    not_checked(&report.not_checked, out)?;
    if !report.summary.coverage_by_service.is_empty() {
        writeln!(out, "\nCoverage by service:")?;
        for (service, c) in &report.summary.coverage_by_service {
            writeln!(out, "  {}: {}", clean(service), coverage(c))?;
        }
    }
    ignored(report, out)?;
    if !report.ignore_rules.is_empty() {
        writeln!(out, "\nIgnore rules:")?;
        for r in &report.ignore_rules {
            let n = r.matched;
            writeln!(out, "  {}:{}: {} ({n} match{})", clean(&r.file), r.line, clean(&r.text), plural_es(n))?;
        }
    }
    Ok(())
}

/// When the scan is incomplete: the warning, the scopes, and what it means.
fn incomplete_warning(report: &DriftReport, out: &mut dyn Write) -> io::Result<()> {
    if report.complete {
        return Ok(());
    }
    let n = report.incomplete_scopes.len();
    writeln!(
        out,
        "INCOMPLETE SCAN: {n} scope{} did not finish; this result cannot be trusted as \"no drift\".",
        plural(n)
    )?;
    for scope in &report.incomplete_scopes {
        let account = if scope.account.is_empty() { "unknown account" } else { &scope.account };
        let error = scope.error.as_deref().map(|e| format!(": {}", clean(e))).unwrap_or_default();
        writeln!(out, "  {} {}{error}", clean(account), clean(&scope.region))?;
    }
    writeln!(out, "  Resources there are not checked; some missing or unmanaged resources may not be listed.")?;
    writeln!(out)
}

/// The verdict with the counts and coverage, why nothing was checked (when
/// nothing was), and a line of what was compared.
fn headline(report: &DriftReport, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let unreadable = s.not_checked_by_reason.get(&NotCheckedReason::Unreadable).copied().unwrap_or(0) > 0;
    let verdict = match (s.drifted, s.nothing_checked, report.complete) {
        (true, _, _) => "drift",
        (false, true, _) => "no drift found, but nothing was checked",
        (false, false, true) if unreadable => "no drift found in what could be read",
        (false, false, true) => "no drift",
        (false, false, false) => "no drift found in what was scanned",
    };
    writeln!(
        out,
        "{verdict}: {} missing, {} unmanaged, {} changed; coverage {}",
        s.missing,
        s.unmanaged,
        s.changed,
        overall_coverage(report)
    )?;
    if s.nothing_checked {
        // With no state resource, nothing is checked only when no scope was scanned.
        let why = if s.state_resources == 0 {
            "the inventory scanned no account or region".to_string()
        } else if s.state_resources == 1 {
            "the state resource was not compared with the cloud (see Not checked and Ignored)".to_string()
        } else {
            let n = s.state_resources;
            format!("none of the {n} state resources was compared with the cloud (see Not checked and Ignored)")
        };
        writeln!(out, "NOTHING CHECKED: {why}.")?;
    }
    writeln!(
        out,
        "{} state resource{} from {} file{}, {} cloud resource{}; {} in sync, {} not checked, {} ignored",
        s.state_resources,
        plural(s.state_resources),
        report.sources.len(),
        plural(report.sources.len()),
        s.cloud_resources,
        plural(s.cloud_resources),
        s.in_sync,
        s.not_checked,
        s.ignored
    )
}

/// The changed section: each state resource, its cloud resource when the
/// ARNs differ, each tag change and each attribute change on its own line
/// (`attribute versioning.enabled: true -> false`; for a set, the elements
/// missing from the cloud and those added there), and the attributes not
/// compared.
fn changed(report: &DriftReport, out: &mut dyn Write) -> io::Result<()> {
    if report.changed.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nChanged (tags or attributes differ; state -> cloud): {}", report.changed.len())?;
    for c in &report.changed {
        writeln!(out, "  {}", state(&c.state))?;
        if c.state.arn.as_deref() != Some(c.cloud.arn.as_str()) {
            writeln!(out, "    cloud: {} (matched by {})", clean(&c.cloud.arn), c.matched_by.as_str())?;
        }
        for t in &c.tags {
            let (key, want, got) = (clean(&t.key), quoted(t.desired.as_deref()), quoted(t.actual.as_deref()));
            match t.kind {
                TagChangeKind::Added => writeln!(out, "    tag added   {key}: {got} (not in the state)")?,
                TagChangeKind::Removed => writeln!(out, "    tag removed {key}: {want} (not in the cloud)")?,
                TagChangeKind::Changed => writeln!(out, "    tag changed {key}: {want} -> {got}")?,
            }
        }
        for a in &c.attributes {
            attribute_change(a, out)?;
        }
        for n in &c.not_compared {
            writeln!(out, "    not compared: {}", clean(n))?;
        }
    }
    Ok(())
}

/// One attribute change: a set's elements missing and added, one per
/// line; anything else as `declared -> live`.
fn attribute_change(a: &AttributeChange, out: &mut dyn Write) -> io::Result<()> {
    let name = clean(&a.attribute);
    match (&a.declared, &a.live) {
        (serde_json::Value::Array(missing), serde_json::Value::Array(added)) if a.kind == AttributeChangeKind::Set => {
            for m in missing {
                writeln!(out, "    attribute {name}: missing in the cloud {}", clean(&m.to_string()))?;
            }
            for m in added {
                writeln!(out, "    attribute {name}: added in the cloud {}", clean(&m.to_string()))?;
            }
            Ok(())
        }
        (declared, live) => {
            writeln!(out, "    attribute {name}: {} -> {}", clean(&declared.to_string()), clean(&live.to_string()))
        }
    }
}

/// The warning of cloud resources claimed by several states, each with its
/// claimants.
fn duplicate_claims(report: &DriftReport, out: &mut dyn Write) -> io::Result<()> {
    if report.duplicate_claims.is_empty() {
        return Ok(());
    }
    let n = report.duplicate_claims.len();
    writeln!(out, "\nClaimed by several states (each claim counted on its own; managed twice?): {n}")?;
    for d in &report.duplicate_claims {
        writeln!(out, "  {}", clean(&d.arn))?;
        for st in &d.states {
            writeln!(out, "    {}", state(st))?;
        }
    }
    Ok(())
}

/// The ignored section: each entry (state side, cloud side or both) and the
/// rule that matched it.
fn ignored(report: &DriftReport, out: &mut dyn Write) -> io::Result<()> {
    if report.ignored.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nIgnored: {}", report.ignored.len())?;
    for i in &report.ignored {
        let what = match (&i.state, &i.cloud) {
            (Some(st), Some(c)) if st.arn.as_deref() == Some(c.arn.as_str()) => state(st),
            (Some(st), Some(c)) => format!("{} = {}", state(st), clean(&c.arn)),
            (Some(st), None) => state(st),
            (None, Some(c)) => cloud(c),
            (None, None) => String::new(),
        };
        let rule = &i.rule;
        writeln!(out, "  {what}\n    by {}:{}: {}", clean(&rule.file), rule.line, clean(&rule.text))?;
    }
    Ok(())
}

/// The not-checked section: one group per reason, with its count.
fn not_checked(entries: &[NotChecked], out: &mut dyn Write) -> io::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut groups: BTreeMap<NotCheckedReason, Vec<&NotChecked>> = BTreeMap::new();
    for n in entries {
        groups.entry(n.reason).or_default().push(n);
    }
    writeln!(out, "\nNot checked (never reported missing): {}", entries.len())?;
    for (reason, list) in groups {
        writeln!(out, "  {} ({}): {}", reason.code(), list.len(), reason.description())?;
        // The detail adds to the header only where it names a scope, a
        // filter or candidates.
        let specific = matches!(
            reason,
            NotCheckedReason::OutsideScan
                | NotCheckedReason::OutsideFilters
                | NotCheckedReason::ScanIncomplete
                | NotCheckedReason::Ambiguous
                | NotCheckedReason::Unreadable
        );
        for n in list {
            writeln!(out, "    {}", state(&n.state))?;
            if specific {
                writeln!(out, "      {}", clean(&n.detail))?;
            }
        }
    }
    Ok(())
}

fn state(s: &StateRef) -> String {
    let id = match (&s.arn, &s.id) {
        (Some(arn), _) => format!(" {}", clean(arn)),
        (None, Some(id)) => format!(" id {}", clean(id)),
        (None, None) => String::new(),
    };
    format!("{} ({}) in {}{id}", clean(&s.address), clean(&s.resource_type), clean(&s.source))
}

fn cloud(c: &CloudRef) -> String {
    let tf = c.terraform_type.as_deref().map(|t| format!(", {}", clean(t))).unwrap_or_default();
    let tags: Vec<String> = c.tags.iter().map(|(k, v)| format!("{}={}", clean(k), clean(v))).collect();
    let tags = if tags.is_empty() { String::new() } else { format!(" tags: {}", tags.join(", ")) };
    let account = if c.account.is_empty() { "" } else { &c.account };
    format!("{} ({}{tf}) {} {}{tags}", clean(&c.arn), clean(&c.resource_type), clean(account), clean(&c.region))
}

/// The overall coverage; when no cloud resource is counted, why.
fn overall_coverage(report: &DriftReport) -> String {
    let s = &report.summary;
    if s.coverage.percent.is_some() || s.cloud_resources == 0 {
        return coverage(&s.coverage);
    }
    // Every cloud resource was ignored, or held by an ambiguous match.
    let ignored: BTreeSet<&str> =
        report.ignored.iter().filter_map(|i| i.cloud.as_ref()).map(|c| c.arn.as_str()).collect();
    let ambiguous = s.cloud_resources.saturating_sub(ignored.len());
    let mut why = Vec::new();
    if !ignored.is_empty() {
        why.push(format!("{} ignored", ignored.len()));
    }
    if ambiguous > 0 {
        why.push(format!("{ambiguous} candidate{} of ambiguous matches", plural(ambiguous)));
    }
    if why.is_empty() {
        return coverage(&s.coverage);
    }
    format!("n/a (no cloud resources counted: {})", why.join(", "))
}

fn coverage(c: &Coverage) -> String {
    match c.percent {
        Some(p) => format!("{p:.1}% ({} of {})", c.managed, c.managed + c.unmanaged),
        None => "n/a (no cloud resources)".to_string(),
    }
}

fn quoted(v: Option<&str>) -> String {
    v.map(|v| clean(&format!("{v:?}")).into_owned()).unwrap_or_default()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn plural_es(n: usize) -> &'static str {
    if n == 1 { "" } else { "es" }
}
