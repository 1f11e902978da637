//! `palisade drift`: declared state against inventory, into a drift report.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use palisade_engine::input::{self, InputFormat};
use palisade_engine::model::Stack;
use palisade_scanner::drift::{self, IgnoreRules};

use crate::check::{read_source, refuse_overwrite, refuse_same_output, reject_duplicate_inputs};
use crate::live::InventoryArgs;
use crate::{Format, output};

/// The ignore file read when `--ignore-file` is not given, if it exists.
const DEFAULT_IGNORE_FILE: &str = ".palisadeignore";

#[derive(clap::Args)]
pub(crate) struct DriftArgs {
    /// Declared state: Terraform state v4, Pulumi stack exports or
    /// checkpoints; repeatable, merged.
    #[arg(long = "state", value_name = "FILE", required = true)]
    states: Vec<String>,
    #[command(flatten)]
    inventory: InventoryArgs,
    /// Ignore rules (ARN globs, types, tags; like .driftignore). Default:
    /// ./.palisadeignore when it exists.
    #[arg(long, value_name = "FILE")]
    ignore_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the drift report to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write the live scan's inventory snapshot to FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "inventory")]
    save_inventory: Option<PathBuf>,
}

/// The declared state of `states` (Terraform state v4, Pulumi stack exports
/// or checkpoints), for `command` (named in errors); every file's error at
/// once.
pub(crate) fn read_states(states: &[String], command: &str) -> Result<Vec<Stack>> {
    let mut stacks = Vec::new();
    let mut errors = Vec::new();
    for source in states {
        let stack = read_source(source, 1 << 30).and_then(|bytes| Ok(input::read_input(source, &bytes, None)?));
        match stack {
            Ok(stack) if matches!(stack.format, InputFormat::TfState | InputFormat::PulumiExport) => stacks.push(stack),
            Ok(stack) => errors.push(format!(
                "{source}: reads as format `{}`; {command} needs declared state (Terraform state v4, Pulumi stack export or checkpoint)",
                stack.format
            )),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok(stacks)
}

pub(crate) fn run(args: &DriftArgs) -> Result<u8> {
    reject_duplicate_inputs(&args.states)?;
    let mut read: Vec<PathBuf> = args.states.iter().map(PathBuf::from).collect();
    read.extend(args.inventory.inventory.iter().cloned());
    read.extend(args.ignore_file.iter().cloned());
    if let Some(out) = &args.output {
        refuse_overwrite("--output", out, &read)?;
    }
    if let Some(save) = &args.save_inventory {
        refuse_overwrite("--save-inventory", save, &read)?;
        let report = args.output.as_deref().unwrap_or(std::path::Path::new("-"));
        refuse_same_output(("--save-inventory", save), ("the report (--output)", report))?;
    }
    let ignore = load_ignore(args.ignore_file.as_deref())?;
    let stacks = read_states(&args.states, "drift")?;
    let loaded = args.inventory.load()?;
    let inventory = &loaded.inventory;
    if let Some(path) = &args.save_inventory {
        output::write_snapshot(path, loaded.snapshot()?)?;
    }
    let report = drift::analyze(&stacks, inventory, &ignore);
    let render = |out: &mut dyn Write| match args.format {
        Format::Text => drift::render_text(&report, out),
        Format::Json => drift::render_json(&report, out),
    };
    output::emit(args.output.as_deref(), "the drift report", render)?;
    if report.summary.nothing_checked && (args.format == Format::Json || args.output.is_some()) {
        crate::say!("palisade: warning: nothing was checked: no state resource could be compared with the cloud");
    }
    let incomplete = loaded.incomplete_lines();
    if !incomplete.is_empty() {
        crate::say!("palisade: error: the inventory scan is incomplete; drift cannot be ruled out:");
        for line in &incomplete {
            crate::say!("  {line}");
        }
        return Ok(2);
    }
    // Attributes that could not be read are not "in sync": without drift
    // found elsewhere, the run cannot say "clean".
    let unreadable =
        report.summary.not_checked_by_reason.get(&drift::NotCheckedReason::Unreadable).copied().unwrap_or(0);
    if unreadable > 0 {
        let level = if report.summary.drifted { "warning" } else { "error" };
        crate::say!(
            "palisade: {level}: {unreadable} state resource{} not checked: attributes it sets could not be read (see \
             Not checked: unreadable); drift cannot be ruled out there",
            if unreadable == 1 { "" } else { "s" }
        );
        if !report.summary.drifted {
            return Ok(2);
        }
    }
    Ok(if report.summary.drifted { 1 } else { 0 })
}

/// The ignore rules of `path`, or of `./.palisadeignore` when it exists.
fn load_ignore(path: Option<&std::path::Path>) -> Result<IgnoreRules> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None if std::path::Path::new(DEFAULT_IGNORE_FILE).is_file() => PathBuf::from(DEFAULT_IGNORE_FILE),
        None => return Ok(IgnoreRules::empty()),
    };
    let shown = path.display().to_string();
    let bytes = palisade_engine::read_capped(&path, palisade_engine::MAX_SETTINGS_BYTES)
        .with_context(|| format!("cannot read ignore file {shown}"))?;
    let text = String::from_utf8(bytes).with_context(|| format!("cannot read ignore file {shown}: it is not UTF-8"))?;
    Ok(IgnoreRules::parse(&shown, &text)?)
}
