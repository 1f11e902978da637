//! `palisade`: check infrastructure-as-code plans against WebAssembly policy packs.
//!
//! Thin by design: parse arguments, call `palisade_engine`, map the outcome to
//! an exit code (0 clean, 1 mandatory violations or mandatory policy errors,
//! 2 usage, input and pack errors).

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use palisade_engine::input::{self, InputFormat};
use palisade_engine::report::{self, InputProvenance, Report};
use palisade_engine::{EngineBuilder, Limits, Pack, PolicySettings};
use sha2::{Digest, Sha256};

mod output;

#[derive(Parser)]
#[command(
    name = "palisade",
    version,
    about = "Policy-as-code for Terraform and Pulumi, with WebAssembly policy packs."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check plans, previews, state files or stack exports against policy packs.
    ///
    /// Exit codes: 0 no mandatory violation; 1 a mandatory (or remediate)
    /// violation or a mandatory policy's error; 2 usage, input or pack errors.
    Check(CheckArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Inputs: Terraform plan JSON or state, Pulumi stack export, preview or
    /// event log. `-` reads standard input. Each input is its own stack.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    /// A policy pack (.wasm); repeatable. Default: the built-in aws-baseline pack.
    #[arg(long = "pack", value_name = "FILE")]
    packs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Read every input as this format instead of detecting it.
    #[arg(long, value_name = "F", value_parser = parse_format)]
    input_format: Option<InputFormat>,
    /// Deadline of one policy call, in milliseconds (10 to 600000).
    #[arg(long, value_name = "MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    policy_timeout_ms: u64,
    /// Memory cap of one policy instance, in MiB (1 to 4096).
    #[arg(long, value_name = "MIB", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=4096))]
    policy_memory_mib: u64,
    /// Largest input read, in MiB; a larger input is refused.
    #[arg(long, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    max_input_mib: u64,
    /// Cache compiled packs in DIR. Default: $PALISADE_CACHE_DIR, else
    /// $XDG_CACHE_HOME/palisade, else ~/.cache/palisade.
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Compile every pack from its bytes; read and write no cache.
    #[arg(long)]
    no_cache: bool,
    /// Resources judged per guest instance (tuning; results never depend on it).
    #[arg(long, value_name = "N", default_value_t = 256, hide = true)]
    batch_size: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Grouped by resource, for people.
    Text,
    /// Stable JSON (schema: engine/schema/report.schema.json).
    Json,
}

fn parse_format(s: &str) -> Result<InputFormat, String> {
    s.parse()
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Check(args) => check(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("palisade: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn check(args: &CheckArgs) -> Result<u8> {
    reject_duplicate_inputs(&args.inputs)?;
    if let Some(out) = &args.output {
        let read: Vec<PathBuf> = args.inputs.iter().map(PathBuf::from).chain(args.packs.iter().cloned()).collect();
        if let Some(clash) = read.iter().find(|p| same_file(p, out)) {
            bail!("--output {} would overwrite {}, which this run reads", out.display(), clash.display());
        }
    }
    let mut stacks = Vec::new();
    let mut provenance = Vec::new();
    let mut errors = Vec::new();
    for source in &args.inputs {
        let bytes = match read_source(source, args.max_input_mib.saturating_mul(1 << 20)) {
            Ok(bytes) => bytes,
            Err(e) => {
                errors.push(format!("{e:#}"));
                continue;
            }
        };
        match input::read_input(source, &bytes, args.input_format) {
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
    let limits = Limits {
        call_deadline: Duration::from_millis(args.policy_timeout_ms),
        memory_bytes: usize::try_from(args.policy_memory_mib << 20).context("--policy-memory-mib is too large")?,
        ..Limits::default()
    };
    let engine = build_engine(args, limits)?;
    let packs = load_packs(&engine, &args.packs)?;
    for pack in &packs {
        if pack.cache == (palisade_engine::CacheOutcome::Miss { stored: false }) {
            eprintln!("palisade: warning: {}: the compiled pack could not be written to the cache", pack.path);
        }
    }
    let findings = engine.check(&packs, &stacks, &PolicySettings::default());
    let report = Report::new(findings, &packs, provenance, env!("CARGO_PKG_VERSION"));
    let code = if report.summary.failed { 1 } else { 0 };
    let render = |out: &mut dyn Write| match args.format {
        Format::Text => report::render_text(&report, out),
        Format::Json => report::render_json(&report, out),
    };
    let written = match &args.output {
        Some(path) => output::write_report(path, render),
        None => {
            let mut lock = io::stdout().lock();
            render(&mut lock).and_then(|()| lock.flush()).context("writing the report to standard output")
        }
    };
    match written {
        Ok(()) => Ok(code),
        // A reader that stopped early (`| head`) does not change the verdict.
        Err(e) if is_broken_pipe(&e) => Ok(code),
        Err(e) => Err(e),
    }
}

/// An input named twice (by any path) would be counted twice; `-` can be
/// read only once.
fn reject_duplicate_inputs(inputs: &[String]) -> Result<()> {
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

/// Whether two paths name the same existing file.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

/// Read a file or standard input, refusing more than `limit` bytes.
fn read_source(source: &str, limit: u64) -> Result<Vec<u8>> {
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

/// The packs given, or the built-in ones; two packs may not share a name
/// (findings name their pack).
/// The engine, with the module cache unless `--no-cache`. A cache directory
/// that cannot be set up is a warning, not an error: packs are compiled.
fn build_engine(args: &CheckArgs, limits: Limits) -> Result<palisade_engine::Engine> {
    let builder = EngineBuilder::new().limits(limits).batch_size(args.batch_size);
    let dir = if args.no_cache { None } else { args.cache_dir.clone().or_else(palisade::default_cache_dir) };
    match builder.clone().cache_dir(dir).build() {
        Ok(engine) => Ok(engine),
        Err(e) if !args.no_cache => {
            eprintln!("palisade: warning: {e}; compiling packs without a cache");
            Ok(builder.build()?)
        }
        Err(e) => Err(e.into()),
    }
}

fn load_packs(engine: &palisade_engine::Engine, paths: &[PathBuf]) -> Result<Vec<Pack>> {
    let packs: Vec<Pack> = if paths.is_empty() {
        palisade::DEFAULT_PACKS.iter().map(|b| engine.load_pack(b.path, b.wasm)).collect::<Result<_, _>>()?
    } else {
        paths.iter().map(|p| engine.load_pack_file(p)).collect::<Result<_, _>>()?
    };
    for (i, pack) in packs.iter().enumerate() {
        if let Some(other) = packs[..i].iter().find(|o| o.metadata.name == pack.metadata.name) {
            bail!(
                "policy packs {} and {} are both named {:?}; load each pack once",
                other.path,
                pack.path,
                pack.metadata.name
            );
        }
    }
    Ok(packs)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}
