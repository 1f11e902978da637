//! `palisade remediate`: the fixes that policies at level `remediate` ask
//! for on live resources (tag changes, and actions of the host's closed set:
//! `palisade_engine::remediation::action`), as a plan (dry run, the
//! default) or applied (`--apply`), verified after, with a report of every
//! run.
//!
//! The plan comes from packs run on an inventory (a live scan or
//! `--inventory`), as `scan --pack` runs them (config, enforcement
//! overrides, exemptions), or from a reviewed plan file (`--plan-in`). The
//! AWS side (re-read, reconcile, batched tagging calls, action calls) is
//! `palisade_scanner::remediate`; the plan and report models and renderers
//! are `palisade_engine::remediation`; `verify` re-reads and re-judges.
//!
//! Decisions:
//! - A dry run makes no AWS call of its own beyond the scan: with
//!   `--inventory` or `--plan-in` it works offline (the report's caller is
//!   then unknown). The check of a plan against the live resources happens
//!   at `--apply`.
//! - Actions run only when their kind is allowed (`--allow-action`), at
//!   most `--max-changes` resources a run; the others are reported, never
//!   sent. Resources a `--state` manages are set aside as "fix it in code"
//!   (`--include-managed` overrides), tag changes included.
//! - An incomplete scan is never applied and never written as a plan: the
//!   run is a dry run, writes its report and exits 2.
//! - A plan made from an older inventory than `--inventory` (started
//!   earlier, different content) is refused before anything; a plan whose
//!   resources changed since (tags other than before or after, a
//!   configuration other than an action's before or after) is refused at
//!   `--apply`, whole, naming the resources: exit 2, with a report.
//! - After an apply (not stopped by a signal), every resource a change or
//!   action reached is scanned again and judged by the same policies (for a
//!   plan file: the plan's packs with the settings it records): fixed,
//!   still violating, pending or unverified, in the report.
//! - The report directory is checked before anything else (no AWS call is
//!   made for a run whose report cannot be written): it must be new or
//!   empty, and a directory must be creatable in its nearest existing
//!   folder. A `--plan-out` at or inside it is refused.
//! - SIGTERM or SIGINT during `--apply` (see `signals`): the call in
//!   flight completes, the changes and actions not sent are marked failed
//!   ("interrupted before this change was sent (SIGTERM); a re-run
//!   completes it"), the report is written and the command exits 1; a
//!   second signal ends it at once. A dry run changes nothing and is
//!   ended by a signal as any command is.

mod signals;
mod text;
mod verify;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use palisade_engine::Violation;
use palisade_engine::pipeline::input_digest;
use palisade_engine::remediation::action::ActionKind;
use palisade_engine::remediation::plan::{InventoryRef, PackRef, PlanSettings, RemediationPlan};
use palisade_engine::remediation::render;
use palisade_engine::remediation::report::{ActionStatus, Mode, Outcomes, RemediationReport, RunInfo};
use palisade_scanner::remediate::{ApplyOptions, Interruption, Remediator};

use crate::live::InventoryArgs;
use crate::packs::PackArgs;
use crate::{Format, check, output};

#[derive(clap::Args)]
pub(crate) struct RemediateArgs {
    #[command(flatten)]
    inventory: InventoryArgs,
    #[command(flatten)]
    packs: PackArgs,
    /// Execute the plan: TagResources/UntagResources for exactly the tag
    /// changes a dry run lists, and the calls of the actions whose kind
    /// --allow-action allows (less what is already in place), then read
    /// every changed resource again and judge it with the same policies.
    /// Without it, nothing is changed. SIGTERM or SIGINT stops it after the
    /// call in flight: what was not sent is marked failed, the report is
    /// written, exit 1 (a second signal exits at once).
    #[arg(long)]
    apply: bool,
    /// Write the plan (JSON, format palisade-remediation-plan v2: tag
    /// changes, actions with their AWS calls, before and after) to FILE,
    /// atomically, for review and a later --plan-in.
    #[arg(long, value_name = "FILE", conflicts_with = "plan_in")]
    plan_out: Option<PathBuf>,
    /// Use this reviewed plan (from --plan-out) instead of running packs.
    /// With --inventory, a plan made from an older inventory is refused.
    #[arg(long, value_name = "FILE")]
    plan_in: Option<PathBuf>,
    /// Write remediation.json, remediation.html and remediation.md into DIR
    /// (new or empty), atomically. Default: ./palisade-reports/<UTC time>/.
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
    /// What standard output gets: the plan and outcomes for people, or the
    /// report's JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// At most N AWS write calls per second, tagging and actions (e.g. 0.5:
    /// one every two seconds). Default: no limit beyond AWS's throttling.
    #[arg(long, value_name = "N", value_parser = calls_per_second)]
    calls_per_second: Option<f64>,
    /// Let --apply run actions of this kind: s3.block-public-access,
    /// ec2.revoke-ingress, kms.enable-rotation, rds.disable-public-access,
    /// ecr.immutable-tags, or `all`; repeatable. Default: none (tag changes
    /// only); actions not allowed are left to a person.
    #[arg(long = "allow-action", value_name = "KIND", value_parser = allowed_kinds)]
    allow_actions: Vec<Vec<ActionKind>>,
    /// The most resources actions may change in one run (tag changes do not
    /// count); past it, the rest are reported "not applied: max-changes".
    #[arg(long, value_name = "N", default_value_t = 50)]
    max_changes: usize,
    /// A Terraform state or Pulumi stack export whose resources are fixed in
    /// code, not in place: their fixes are listed as "managed by FILE
    /// (ADDRESS): fix it in code", with a patch of the declared attributes.
    /// Repeatable.
    #[arg(long = "state", value_name = "FILE", conflicts_with = "plan_in")]
    states: Vec<String>,
    /// Fix resources that a --state manages in place all the same (the plan
    /// and report still name the state, and give the patch for the code).
    #[arg(long)]
    include_managed: bool,
}

/// `--allow-action`: a kind, or `all`.
fn allowed_kinds(text: &str) -> Result<Vec<ActionKind>, String> {
    if text == "all" {
        return Ok(ActionKind::ALL.to_vec());
    }
    ActionKind::parse(text).map(|k| vec![k]).ok_or_else(|| {
        let known: Vec<&str> = ActionKind::ALL.iter().map(|k| k.name()).collect();
        format!("{text:?} is not an action kind ({}, or all)", known.join(", "))
    })
}

/// `--calls-per-second`: a positive number, at least one call a day.
fn calls_per_second(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 && 1.0 / n < 86_400.0 => Ok(n),
        _ => Err(format!("{text:?} is not a positive number of calls per second")),
    }
}

/// What a run judges: the plan, and where it came from.
struct Planned {
    plan: RemediationPlan,
    violations: Vec<Violation>,
    /// Live resources judged (for `--plan-in`: the resources the plan names).
    resources: usize,
    /// The plan file, with `--plan-in`.
    plan_in: Option<String>,
    /// Why the run may not apply: the scan's incomplete scopes.
    incomplete: Vec<String>,
    /// Policy errors of mandatory or remediate policies, one line each.
    blocking_errors: Vec<String>,
    /// The policies that judge the resources again after an apply (for a
    /// plan file: its packs with the settings it records), or why they
    /// cannot.
    judge: Result<verify::Judge>,
}

/// Run `palisade remediate`; the exit code.
pub(crate) fn run(args: &RemediateArgs) -> Result<u8> {
    if args.include_managed && args.states.is_empty() {
        bail!(
            "--include-managed goes with --state FILE (with --plan-in, the plan already set aside what a state manages)"
        );
    }
    let now = chrono::Utc::now();
    let started_at = rfc3339(now);
    let run_id = now.format("%Y%m%dT%H%M%SZ").to_string();
    let report_dir = check_destinations(args, &run_id)?;
    let signals = if args.apply { Some(signals::StopSignals::register()?) } else { None };
    // Credentials first: an --apply that cannot reach AWS fails before the scan.
    let remediator = if args.apply {
        Some(Remediator::connect(&args.inventory.remediate_options(args.calls_per_second))?)
    } else {
        None
    };

    let planned = match &args.plan_in {
        Some(path) => from_plan_file(args, path)?,
        None => from_packs(args, &started_at)?,
    };
    let Planned { plan, violations, resources, plan_in, incomplete, blocking_errors, judge } = planned;
    publish_plan(args, &plan, &incomplete, &blocking_errors)?;

    let applying = args.apply && incomplete.is_empty();
    let stop = || signals.as_ref().and_then(signals::StopSignals::received);
    let Executed { mut outcomes, caller, stale, interrupted } = execute(args, &plan, remediator, applying, &stop)?;
    // After a signal the run ends at once: what was sent is not re-read.
    if let Some(stopped) = &interrupted {
        verify::not_verified(&mut outcomes, &format!("not verified: the run was stopped by {}", stopped.reason));
    } else if applying && stale.is_empty() {
        let judge = judge.as_ref().map_err(|e| format!("{e:#}"));
        verify::verify(&args.inventory, &args.packs, judge, &mut outcomes);
    }

    let run = RunInfo {
        id: run_id,
        started_at,
        finished_at: rfc3339(chrono::Utc::now()),
        mode: if applying { Mode::Apply } else { Mode::DryRun },
        caller,
        inventory: plan.inventory.clone(),
        plan: plan_in,
        packs: plan.packs.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let mut report = RemediationReport::new(run, &plan, outcomes, violations, resources);
    if !stale.is_empty() {
        report.mark_stale(stale.clone());
    }
    write_report(args, &report, &report_dir, interrupted.as_ref())?;

    if !stale.is_empty() {
        crate::say!(
            "palisade: error: the plan is stale: {} resource(s) changed since it was made; nothing was changed:",
            stale.len()
        );
        for line in &stale {
            crate::say!("  {}", text::shown(line));
        }
        return Ok(2);
    }
    if !incomplete.is_empty() {
        return Ok(2);
    }
    let mut code = report.exit_code();
    let planned_any = !plan.changes.is_empty() || !plan.actions.is_empty();
    if !blocking_errors.is_empty() || (!applying && planned_any) || interrupted.is_some() {
        code = code.max(1);
    }
    Ok(code)
}

/// The report directory of this run (`--report-dir`, else a new one named
/// after `run_id`), after checking that it and the `--plan-out` file can be
/// written, before any AWS call.
fn check_destinations(args: &RemediateArgs, run_id: &str) -> Result<PathBuf> {
    let (report_dir, dir_flag) = match &args.report_dir {
        Some(dir) => (dir.clone(), format!("--report-dir {}", dir.display())),
        None => {
            let dir = default_report_dir(run_id)?;
            let flag = format!("the report directory {}", dir.display());
            (dir, flag)
        }
    };
    if let Some(out) = &args.plan_out {
        refuse_plan_in_report_dir(out, &report_dir, &dir_flag)?;
    }
    check_report_dir(&report_dir, &dir_flag)?;
    if let Some(out) = &args.plan_out {
        output::check_destination("--plan-out", out)?;
        let read: Vec<PathBuf> = args.inventory.inventory.iter().cloned().chain(args.packs.files_read()).collect();
        check::refuse_overwrite("--plan-out", out, &read)?;
    }
    Ok(report_dir)
}

/// Say the blocking policy errors; then either why nothing is applied (an
/// incomplete scan, with its scopes) or write the plan to `--plan-out`.
fn publish_plan(
    args: &RemediateArgs,
    plan: &RemediationPlan,
    incomplete: &[String],
    blocking_errors: &[String],
) -> Result<()> {
    for line in blocking_errors {
        crate::say!("palisade: policy error: {line}");
    }
    if !incomplete.is_empty() {
        crate::say!("palisade: error: the scan is incomplete, so nothing is applied and no plan is written:");
        for line in incomplete {
            crate::say!("  {line}");
        }
    } else if let Some(out) = &args.plan_out {
        let bytes = serde_json::to_vec_pretty(plan).context("serializing the plan")?;
        output::write_output(out, "the plan", |w| w.write_all(&bytes).and_then(|()| w.write_all(b"\n")))?;
        crate::say!("palisade: plan written to {}", out.display());
    }
    Ok(())
}

/// Write the report directory and show the report on standard output (the
/// outcomes for people, or the JSON), then say where it went and, after a
/// signal, what was not sent.
fn write_report(
    args: &RemediateArgs,
    report: &RemediationReport,
    report_dir: &Path,
    interrupted: Option<&Interruption>,
) -> Result<()> {
    // The outcomes are shown even when the report cannot be written: after
    // an --apply they are the only record left.
    let written = render::write_dir(report, report_dir);
    let shown = match args.format {
        Format::Json => render::to_json(report)
            .map_err(anyhow::Error::from)
            .and_then(|json| output::emit(None, "the report", |w| w.write_all(json.as_bytes()))),
        Format::Text => output::emit(None, "the remediation", |w| text::render(report, written.as_ref().ok(), w)),
    };
    // The render error's message carries its cause already: not the chain.
    let written = written.map_err(|e| anyhow!("{e}"))?;
    shown?;
    if args.format == Format::Json {
        crate::say!("palisade: report written to {}", written.dir.display());
    }
    if let Some(Interruption { reason, unsent }) = interrupted {
        crate::say!(
            "palisade: interrupted by {reason}: {unsent} change(s) not sent, marked failed in the report {}; a re-run completes them",
            written.dir.display()
        );
    }
    Ok(())
}

/// What became of the plan's changes and actions.
struct Executed {
    outcomes: Outcomes,
    /// The caller's ARN, where known.
    caller: Option<String>,
    /// Resources changed since the plan, one line each (then nothing was sent).
    stale: Vec<String>,
    /// A signal stopped the apply before its last call.
    interrupted: Option<Interruption>,
}

impl RemediateArgs {
    /// The action kinds `--allow-action` allows.
    fn allowed(&self) -> BTreeSet<ActionKind> {
        self.allow_actions.iter().flatten().copied().collect()
    }
}

/// Apply the plan (`applying`), or list it as planned (actions of kinds
/// not allowed marked so). A live dry run learns the caller too (it talks
/// to AWS anyway); an offline one does not.
fn execute(
    args: &RemediateArgs,
    plan: &RemediationPlan,
    remediator: Option<Remediator>,
    applying: bool,
    stop: &dyn Fn() -> Option<String>,
) -> Result<Executed> {
    if applying {
        let Some(remediator) = remediator else { bail!("internal error: --apply without a connection") };
        let total = plan.changes.len() + plan.actions.len();
        if total > 0 {
            crate::say!("palisade: applying {total} change(s) and action(s) as {}", remediator.caller().arn);
        }
        let options = ApplyOptions { allowed: args.allowed(), max_changes: args.max_changes };
        let applied = remediator.apply(plan, &options, &mut text::show_progress, stop)?;
        let caller = Some(remediator.caller().arn.clone());
        let stale = applied
            .conflicts
            .iter()
            .map(ToString::to_string)
            .chain(applied.stale.iter().map(ToString::to_string))
            .collect();
        let outcomes = Outcomes { changes: applied.outcomes, actions: applied.actions };
        return Ok(Executed { outcomes, caller, stale, interrupted: applied.interrupted });
    }
    let mut outcomes = Outcomes::planned(plan);
    let allowed = args.allowed();
    // A dry run judges the kinds only when told which are allowed: the
    // apply of a reviewed plan gives its own --allow-action.
    let mut changed: BTreeSet<String> = BTreeSet::new();
    for o in outcomes.actions.iter_mut().filter(|_| !args.allow_actions.is_empty()) {
        let kind = o.action.action.kind();
        if !allowed.contains(&kind) {
            o.status = ActionStatus::NotAllowed;
            o.error = Some(format!("action {kind} is not allowed: pass --allow-action {kind} with --apply"));
        } else if !changed.contains(&o.action.arn) && changed.len() >= args.max_changes {
            o.status = ActionStatus::NotAppliedMaxChanges;
            o.error = Some(format!("not applied: max-changes ({})", args.max_changes));
        } else {
            changed.insert(o.action.arn.clone());
        }
    }
    let mut caller = remediator.map(|r| r.caller().arn.clone());
    if caller.is_none() && args.inventory.inventory.is_none() && args.plan_in.is_none() {
        match Remediator::connect(&args.inventory.remediate_options(None)) {
            Ok(r) => caller = Some(r.caller().arn.clone()),
            Err(e) => crate::say!("palisade: warning: the caller is unknown: {e}"),
        }
    }
    Ok(Executed { outcomes, caller, stale: Vec::new(), interrupted: None })
}

/// The plan of packs run on the inventory, as `scan --pack` runs them.
fn from_packs(args: &RemediateArgs, created_at: &str) -> Result<Planned> {
    // States first: a bad state file fails before the scan.
    let states = crate::drift::read_states(&args.states, "remediate --state")?;
    let judge = verify::Judge::of_args(&args.packs)?;
    let loaded = args.inventory.load_with_access()?;
    let (inventory, source) = (&loaded.inventory, &loaded.source);
    let input = loaded.check_input()?;
    let sha256 = input.provenance.sha256.clone();
    let checked = judge.check(&args.packs, input)?;
    crate::packs::warn(&checked);
    let report = checked.report;
    let blocking_errors = report
        .policy_errors
        .iter()
        .filter(|e| e.blocks())
        .map(|e| format!("{}/{} ({}): {}", e.pack, e.policy, e.resources.join(", "), e.message))
        .collect();
    let inventory_ref = InventoryRef {
        source: source.clone(),
        started_at: inventory.started_at.clone(),
        finished_at: inventory.finished_at.clone(),
        sha256,
    };
    let pack_refs = judge
        .packs()
        .iter()
        .map(|p| PackRef { name: p.metadata.name.clone(), version: p.metadata.version.clone(), source: p.path.clone() })
        .collect();
    let mut plan =
        RemediationPlan::new(inventory, inventory_ref, pack_refs, &report.violations, created_at.to_string());
    plan.explain_invalid_fixes(&report.policy_errors);
    if !states.is_empty() {
        let managed = palisade_scanner::drift::managed_by(&states, inventory);
        let declared: Vec<palisade_engine::model::Resource> =
            states.iter().flat_map(|s| s.resources.iter().cloned()).collect();
        let secrets = palisade_engine::SecretSet::of(&declared);
        let scope = secrets.scope(0..declared.len());
        let redact = |text: &str| secrets.redact_scope(text, &scope);
        if args.include_managed {
            plan.note_managed(&managed, &redact);
        } else {
            plan.set_aside_managed(&managed, &redact);
        }
    }
    plan.settings = plan_settings(&args.packs)?;
    Ok(Planned {
        plan,
        violations: report.violations,
        resources: inventory.resources.len(),
        plan_in: None,
        incomplete: loaded.incomplete_lines(),
        blocking_errors,
        judge: Ok(judge),
    })
}

/// The `--config` text and `--enforcement` overrides of this run, for the
/// plan (`None` when neither was given), so that the apply of a reviewed
/// plan judges the resources again with them.
fn plan_settings(packs: &PackArgs) -> Result<Option<PlanSettings>> {
    let config = match &packs.config {
        Some(path) => {
            let bytes = palisade_engine::read_capped(path, palisade_engine::MAX_SETTINGS_BYTES)
                .with_context(|| format!("cannot read --config {}", path.display()))?;
            Some(String::from_utf8(bytes).with_context(|| format!("--config {} is not UTF-8", path.display()))?)
        }
        None => None,
    };
    let enforcement: Vec<String> = packs.enforcement.iter().map(|o| format!("{}={}", o.policy, o.level)).collect();
    Ok((config.is_some() || !enforcement.is_empty()).then_some(PlanSettings { config, enforcement }))
}

/// A reviewed plan, refused when `--inventory` is newer than its inventory.
fn from_plan_file(args: &RemediateArgs, path: &Path) -> Result<Planned> {
    let p = &args.packs;
    if !p.packs.is_empty() || p.config.is_some() || !p.enforcement.is_empty() || p.exemptions.is_some() {
        bail!(
            "--plan-in applies a reviewed plan as it is; --pack, --config, --enforcement and --exemptions cannot go with it"
        );
    }
    let shown = path.display().to_string();
    let bytes = palisade_engine::read_capped(path, 1 << 30).with_context(|| format!("cannot read plan {shown}"))?;
    let plan = RemediationPlan::from_json(&shown, &bytes)?;
    if args.inventory.inventory.is_some() {
        let loaded = args.inventory.load_with_access()?;
        let (inventory, source) = (&loaded.inventory, &loaded.source);
        let sha256 = input_digest(loaded.digest_bytes()?);
        let theirs = timestamp(&plan.inventory.started_at).with_context(|| format!("{shown}: inventory.started_at"))?;
        let ours = timestamp(&inventory.started_at).with_context(|| format!("{source}: started_at"))?;
        if ours > theirs && sha256 != plan.inventory.sha256 {
            bail!(
                "the plan {shown} is older than the inventory {source}: it was made from the scan of {} ({}), and {source} is a scan of {}; make a new plan from {source}",
                plan.inventory.started_at,
                plan.inventory.source,
                inventory.started_at
            );
        }
    } else if args.inventory.any_scope_option() {
        bail!(
            "--plan-in applies a reviewed plan without scanning: the scan options (--region, --tag, ...) cannot go with it"
        );
    }
    let arns: BTreeSet<&str> = plan
        .changes
        .iter()
        .map(|c| c.arn.as_str())
        .chain(plan.actions.iter().map(|a| a.arn.as_str()))
        .chain(plan.managed.iter().map(|m| m.resource.as_str()))
        .chain(plan.needs_human.iter().map(|n| n.resource.as_str()))
        .collect();
    // A plan whose packs or settings cannot be loaded again is refused before
    // any call: its changes could not be verified.
    let judge = verify::Judge::of_plan(&args.packs, &plan, &shown)
        .with_context(|| format!("{shown}: the plan's packs and settings cannot be loaded; nothing was sent"))?;
    Ok(Planned {
        resources: arns.len(),
        plan,
        violations: Vec::new(),
        plan_in: Some(shown),
        incomplete: Vec::new(),
        blocking_errors: Vec::new(),
        judge: Ok(judge),
    })
}

/// RFC 3339 in UTC, to the second: `2026-11-30T10:15:00Z`.
fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn timestamp(text: &str) -> Result<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(text).with_context(|| format!("{text:?} is not an RFC 3339 time"))
}

/// Refuse a report directory that exists and is not an empty directory,
/// before anything is changed (the report is written last).
fn refuse_used_dir(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir).map(|mut entries| entries.next().is_none()) {
        Ok(true) => Ok(()),
        Ok(false) => bail!("--report-dir {}: the directory is not empty; choose a new one", dir.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("--report-dir {}: not a usable directory", dir.display())),
    }
}

/// Make sure the report can be written to `dir` (named `flag` in errors)
/// before any AWS call: not a used directory, and a directory creatable in
/// its nearest existing ancestor (made and removed at once), as
/// [`render::write_dir`] will need. No folder is left behind: a run refused
/// later for another reason creates nothing.
fn check_report_dir(dir: &Path, flag: &str) -> Result<()> {
    refuse_used_dir(dir)?;
    let full = std::path::absolute(dir).with_context(|| format!("{flag}: not a usable path"))?;
    let Some(base) = full.ancestors().skip(1).find(|p| p.symlink_metadata().is_ok()) else {
        bail!("{flag}: no folder of this path exists");
    };
    if !base.is_dir() {
        bail!("{flag}: {} is not a directory; choose another", base.display());
    }
    let name = dir.file_name().map_or_else(|| "report".into(), |n| n.to_string_lossy());
    let probe = base.join(format!(".{name}.probe-{}", std::process::id()));
    std::fs::create_dir(&probe)
        .map_err(|e| anyhow!("{flag}: cannot create a directory in {}: {e}; choose another", base.display()))?;
    std::fs::remove_dir(&probe).with_context(|| format!("{flag}: cannot remove {}", probe.display()))
}

/// Refuse a `--plan-out` at or inside the report directory: the report
/// directory must be new or empty when the report is written, after the
/// plan.
fn refuse_plan_in_report_dir(plan_out: &Path, dir: &Path, flag: &str) -> Result<()> {
    let absolute = |p: &Path| std::path::absolute(p).with_context(|| format!("{}: not a usable path", p.display()));
    let (plan, report) = (absolute(plan_out)?, absolute(dir)?);
    if plan == report {
        bail!(
            "--plan-out {} and {flag} are the same path: the plan is a file and the report a directory; give them different paths",
            plan_out.display()
        );
    }
    if plan.starts_with(&report) {
        bail!(
            "--plan-out {} is inside {flag}, which must be new or empty when the report is written; write the plan elsewhere",
            plan_out.display()
        );
    }
    Ok(())
}

/// `palisade-reports/<run id>`, or with `-2`, `-3`, ... when two runs share
/// a second.
fn default_report_dir(run_id: &str) -> Result<PathBuf> {
    let base = Path::new("palisade-reports");
    for n in 1..100 {
        let dir = if n == 1 { base.join(run_id) } else { base.join(format!("{run_id}-{n}")) };
        if refuse_used_dir(&dir).is_ok() {
            return Ok(dir);
        }
    }
    bail!("palisade-reports/{run_id}*: every candidate report directory is taken; give --report-dir")
}
