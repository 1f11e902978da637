//! `palisade scan`: live inventory (or a snapshot) into a snapshot file,
//! a summary, and with `--pack` a policy report on the live resources.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use palisade_engine::inventory::{Inventory, ScopeStatus};
use palisade_engine::report;

use crate::live::InventoryArgs;
use crate::packs::PackArgs;
use crate::{Format, check, output};

#[derive(clap::Args)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    inventory: InventoryArgs,
    /// Write the inventory snapshot (JSON, format palisade-inventory v2) to
    /// FILE, atomically. Written even when the scan is incomplete: the
    /// snapshot records which scopes failed.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    packs: PackArgs,
    /// What standard output gets: with --pack the policy report, in this
    /// format; without, a summary (text) or the snapshot itself (json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Print the least-privilege read-only IAM policy a scan of the types
    /// asked for (`--resource-type`; default: all) needs, as a JSON policy
    /// document, and exit without scanning.
    #[arg(long)]
    print_iam_policy: bool,
}

pub(crate) fn run(args: &ScanArgs) -> Result<u8> {
    if args.print_iam_policy {
        return print_iam_policy(args);
    }
    if let (Some(out), Some(read)) = (&args.output, &args.inventory.inventory) {
        check::refuse_overwrite("--output", out, std::slice::from_ref(read))?;
    }
    let snapshot_to_stdout = args.output.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if snapshot_to_stdout && !args.packs.packs.is_empty() {
        bail!("-o - and --pack both write to standard output; write the snapshot to a file");
    }
    if args.packs.packs.is_empty()
        && (args.packs.config.is_some() || !args.packs.enforcement.is_empty() || args.packs.exemptions.is_some())
    {
        bail!(
            "--config, --enforcement and --exemptions apply to policy packs, and scan runs packs only when given: add --pack (e.g. --pack builtin:aws-baseline)"
        );
    }
    let files = args.packs.policy_files()?;
    // With packs, the packs load first: a live scan reads the details of
    // only the types their policies judge.
    let with_packs = if args.packs.packs.is_empty() {
        None
    } else {
        let engine = args.packs.engine()?;
        let packs = args.packs.load(&engine)?;
        Some((engine, packs))
    };
    let policy_types = with_packs.as_ref().map(|(_, packs)| policy_types(packs)).unwrap_or(None);
    let loaded = args.inventory.load_for(policy_types)?;
    let (inventory, source) = (&loaded.inventory, &loaded.source);
    let snapshot = loaded.snapshot()?;
    if let Some(path) = &args.output {
        match output::write_snapshot(path, snapshot) {
            // A reader of `-o -` that stopped early does not change the verdict.
            Err(e) if !crate::is_broken_pipe(&e) => return Err(e),
            _ => {}
        }
    }
    let incomplete = loaded.incomplete_lines();
    if let Some((engine, packs)) = &with_packs {
        let checked = files.pipeline(&args.packs, engine, packs).build()?.check(vec![loaded.check_input()?]);
        crate::packs::warn(&checked);
        let format = match args.format {
            Format::Text => report::Format::Text,
            Format::Json => report::Format::Json,
        };
        let output = check::Output { flag: "--format", format, path: None };
        return check::emit_report(&checked.report, &[output], &report::RenderOptions::default());
    }
    let written = if snapshot_to_stdout {
        // Standard output has the snapshot; the summary goes to standard error.
        if args.format == Format::Text {
            let _ = render_summary(inventory, source, None, &mut io::stderr().lock());
        }
        Ok(())
    } else {
        let mut lock = io::stdout().lock();
        match args.format {
            Format::Json => lock.write_all(snapshot),
            Format::Text => render_summary(inventory, source, args.output.as_deref(), &mut lock),
        }
        .and_then(|()| lock.flush())
        .context("writing to standard output")
    };
    match written {
        Ok(()) => {}
        Err(e) if crate::is_broken_pipe(&e) => {}
        Err(e) => return Err(e),
    }
    if incomplete.is_empty() {
        Ok(0)
    } else {
        crate::say!("palisade: error: the scan is incomplete:");
        for line in &incomplete {
            crate::say!("  {line}");
        }
        Ok(2)
    }
}

/// `--print-iam-policy`: the read-only policy a scan of the types asked for
/// needs, on standard output.
fn print_iam_policy(args: &ScanArgs) -> Result<u8> {
    let policy = palisade_scanner::aws::live::iam_policy(&args.inventory.type_filters()?);
    let mut text = serde_json::to_string_pretty(&policy).context("rendering the IAM policy")?;
    text.push('\n');
    let mut lock = io::stdout().lock();
    match lock.write_all(text.as_bytes()).and_then(|()| lock.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e).context("writing to standard output"),
        _ => Ok(0),
    }
}

/// The resource types the packs' policies judge (their `resource_types`
/// patterns), or `None` when a policy judges every type (no types given).
fn policy_types(packs: &[palisade_engine::Pack]) -> Option<Vec<String>> {
    use palisade_engine::DescribedPack;
    let mut types = Vec::new();
    for pack in packs {
        for policy in &pack.metadata().policies {
            if policy.resource_types.is_empty() {
                return None;
            }
            types.extend(policy.resource_types.iter().cloned());
        }
    }
    Some(types)
}

/// The text summary: one line per scope, then the totals.
fn render_summary(
    inventory: &Inventory,
    source: &str,
    written: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "{:<14} {:<16} {:<11} {:>6} {:>10}", "ACCOUNT", "REGION", "STATUS", "CALLS", "RESOURCES")?;
    for s in &inventory.scopes {
        let status = match s.status {
            ScopeStatus::Complete => "complete",
            ScopeStatus::Incomplete => "INCOMPLETE",
        };
        let account = if s.account.is_empty() { "?" } else { s.account.as_str() };
        // Version 1 snapshots count Tagging API pages only.
        let calls = if s.calls.is_empty() { s.pages } else { s.calls.values().sum() };
        writeln!(out, "{account:<14} {:<16} {status:<11} {:>6} {:>10}", s.region, calls, s.resources)?;
        if let Some(role) = &s.role_arn {
            writeln!(out, "    role: {role}")?;
        }
        if let Some(error) = &s.error {
            writeln!(out, "    {}", error.replace(['\n', '\r'], " "))?;
        }
    }
    for line in inventory.unread_lines() {
        writeln!(out, "unread: {}", line.replace(['\n', '\r'], " "))?;
    }
    let incomplete = inventory.incomplete_scopes().count();
    let plural = |n: usize, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
    let mut per_service: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for r in &inventory.resources {
        *per_service.entry(if r.service.is_empty() { "?" } else { r.service.as_str() }).or_default() += 1;
    }
    let services: Vec<String> = per_service.iter().map(|(s, n)| format!("{s} {n}")).collect();
    writeln!(out)?;
    writeln!(
        out,
        "{}: {} in {} ({} incomplete){}{}",
        if incomplete == 0 { "COMPLETE" } else { "INCOMPLETE" },
        plural(inventory.resources.len(), "resource"),
        plural(inventory.scopes.len(), "scope"),
        incomplete,
        if services.is_empty() { String::new() } else { format!("; {}", services.join(", ")) },
        match written {
            Some(path) => format!("; snapshot written to {}", path.display()),
            None if source != "live:aws" => format!("; read from {source}"),
            None => String::new(),
        }
    )
}
