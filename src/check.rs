//! `palisade check`: inputs against policy packs, into a report.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use palisade_engine::PolicySettings;
use palisade_engine::input::{self, InputFormat};
use palisade_engine::model::Stack;
use palisade_engine::report::{self, InputProvenance, Report};
use sha2::{Digest, Sha256};

use crate::packs::PackArgs;
use crate::{Format, output};

#[derive(clap::Args)]
pub(crate) struct CheckArgs {
    /// Inputs: Terraform plan JSON or state, Pulumi stack export, preview or
    /// event log, or a Palisade inventory snapshot. `-` reads standard
    /// input. Each input is its own stack.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    #[command(flatten)]
    packs: PackArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Read every input as this format instead of detecting it.
    #[arg(long, value_name = "F", value_parser = parse_format)]
    input_format: Option<InputFormat>,
    /// Largest input read, in MiB; a larger input is refused.
    #[arg(long, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    max_input_mib: u64,
}

fn parse_format(s: &str) -> Result<InputFormat, String> {
    s.parse()
}

pub(crate) fn run(args: &CheckArgs) -> Result<u8> {
    reject_duplicate_inputs(&args.inputs)?;
    if let Some(out) = &args.output {
        let read: Vec<PathBuf> =
            args.inputs.iter().map(PathBuf::from).chain(args.packs.packs.iter().cloned()).collect();
        refuse_overwrite("--output", out, &read)?;
    }
    let mut stacks = Vec::new();
    let mut provenance = Vec::new();
    let mut incomplete = Vec::new();
    let mut errors = Vec::new();
    for source in &args.inputs {
        let bytes = match read_source(source, args.max_input_mib.saturating_mul(1 << 20)) {
            Ok(bytes) => bytes,
            Err(e) => {
                errors.push(format!("{e:#}"));
                continue;
            }
        };
        match read_stack(source, &bytes, args.input_format, &mut incomplete) {
            Ok(stack) => {
                provenance.push(InputProvenance {
                    path: source.clone(),
                    format: stack.format.to_string(),
                    sha256: hex::encode(Sha256::digest(&bytes)),
                });
                stacks.push(stack);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    let engine = args.packs.engine()?;
    let packs = args.packs.load(&engine)?;
    let findings = engine.check(&packs, &stacks, &PolicySettings::default());
    let report = Report::new(findings, &packs, provenance, env!("CARGO_PKG_VERSION")).with_incomplete(incomplete);
    emit_report(&report, args.format, args.output.as_deref())
}

/// One input as a stack. An inventory snapshot's incomplete scopes are
/// added to `incomplete` (`FILE: ACCOUNT REGION: error`).
fn read_stack(
    source: &str,
    bytes: &[u8],
    format: Option<InputFormat>,
    incomplete: &mut Vec<String>,
) -> Result<Stack, input::InputError> {
    let (stack, inventory) = input::read_input_with_inventory(source, bytes, format)?;
    if let Some(inventory) = inventory {
        incomplete.extend(crate::live::incomplete_lines(source, &inventory));
    }
    Ok(stack)
}

/// Writes a check report to `output` (atomically) or standard output and
/// gives the exit code: 2 for an incomplete input, else 1 when the report
/// fails, else 0.
pub(crate) fn emit_report(report: &Report, format: Format, output: Option<&std::path::Path>) -> Result<u8> {
    let code = if !report.summary.complete {
        2
    } else if report.summary.failed {
        1
    } else {
        0
    };
    let render = |out: &mut dyn Write| match format {
        Format::Text => report::render_text(report, out),
        Format::Json => report::render_json(report, out),
    };
    let written = match output {
        Some(path) => output::write_report(path, render),
        None => {
            let mut lock = io::stdout().lock();
            render(&mut lock).and_then(|()| lock.flush()).context("writing the report to standard output")
        }
    };
    if !report.incomplete.is_empty() {
        crate::say!("palisade: error: the inventory scan is incomplete; this report cannot be taken as clean");
    }
    match written {
        Ok(()) => Ok(code),
        // A reader that stopped early (`| head`) does not change the verdict.
        Err(e) if crate::is_broken_pipe(&e) => Ok(code),
        Err(e) => Err(e),
    }
}

/// Refuses an output path (given by option `flag`) that names a file this
/// run reads.
pub(crate) fn refuse_overwrite(flag: &str, out: &std::path::Path, read: &[PathBuf]) -> Result<()> {
    if let Some(clash) = read.iter().find(|p| same_file(p, out)) {
        bail!("{flag} {} would overwrite {}, which this run reads", out.display(), clash.display());
    }
    Ok(())
}

/// Refuses two outputs that name one file (existing or not), or both
/// standard output.
pub(crate) fn refuse_same_output(a: (&str, &std::path::Path), b: (&str, &std::path::Path)) -> Result<()> {
    let stdout = |p: &std::path::Path| p.as_os_str() == "-";
    if (stdout(a.1) && stdout(b.1)) || (!stdout(a.1) && same_file(a.1, b.1)) {
        bail!("{} and {} both name {}; give each output its own file", a.0, b.0, a.1.display());
    }
    Ok(())
}

/// An input named twice (by any path) would be counted twice; `-` can be
/// read only once.
pub(crate) fn reject_duplicate_inputs(inputs: &[String]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for source in inputs {
        let key =
            if source == "-" { PathBuf::from("-") } else { std::fs::canonicalize(source).unwrap_or(source.into()) };
        if !seen.insert(key) {
            bail!("input {source} is given twice; name each input once");
        }
    }
    Ok(())
}

/// Whether two paths name the same file: the same existing file, or, for
/// a file not there yet, the same name in the same (resolved) folder.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    fn resolved(p: &std::path::Path) -> Option<PathBuf> {
        if let Ok(full) = std::fs::canonicalize(p) {
            return Some(full);
        }
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
    }
    matches!((resolved(a), resolved(b)), (Some(x), Some(y)) if x == y)
}

/// Read a file or standard input, refusing more than `limit` bytes.
pub(crate) fn read_source(source: &str, limit: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let shown = if source == "-" { "standard input" } else { source };
    let reader: Box<dyn Read> = if source == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(std::fs::File::open(source).with_context(|| format!("cannot read input {source}"))?)
    };
    reader.take(limit.saturating_add(1)).read_to_end(&mut bytes).with_context(|| format!("cannot read {shown}"))?;
    if bytes.len() as u64 > limit {
        bail!("{shown}: the input is larger than {} MiB (--max-input-mib)", limit >> 20);
    }
    Ok(bytes)
}
