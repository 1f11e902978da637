//! `palisade check`: inputs against policy packs, into a report.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use palisade_engine::baseline::Baseline;
use palisade_engine::input::InputFormat;
use palisade_engine::pipeline::CheckInput;
use palisade_engine::report::{self, Format, InputErrorEntry, Report};
use palisade_engine::source_map::SourceMap;

use crate::output;
use crate::packs::PackArgs;

#[derive(clap::Args)]
pub(crate) struct CheckArgs {
    /// Inputs: Terraform plan JSON or state, Pulumi stack export, preview or
    /// event log, or a Palisade inventory snapshot. `-` reads standard
    /// input. Each input is its own stack.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    #[command(flatten)]
    packs: PackArgs,
    /// Output format: text, json (engine/schema/report.schema.json), sarif
    /// (SARIF 2.1.0), junit (JUnit XML), markdown (a pull-request comment)
    /// or github (GitHub Actions annotations).
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = parse_report_format)]
    format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write the report in FORMAT to FILE (atomically), from the same
    /// run; repeatable (`--report sarif=palisade.sarif --report junit=junit.xml`).
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_extra_report)]
    reports: Vec<(Format, PathBuf)>,
    /// Report only violations that are not in this baseline (an earlier
    /// JSON report, as --write-baseline writes), matched by policy and
    /// resource; known ones are listed as baselined and do not fail the run.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Markdown: link each located finding to BASE + its `.tf` path + `#LLINE`;
    /// in GitHub Actions:
    /// "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/SHA/" with the pull
    /// request head's SHA.
    #[arg(long, value_name = "URL")]
    link_base: Option<String>,
    /// Point each finding at the `.tf` file and line that declares its
    /// Terraform address, parsing the HCL under DIR and the modules it calls
    /// (local paths, and installed ones through .terraform/modules). Used by
    /// the text, sarif, github and markdown formats.
    #[arg(long, value_name = "DIR")]
    source_dir: Option<PathBuf>,
    /// Record this run's violations (after exemptions, before --baseline)
    /// as a baseline: the JSON report, written atomically. Not written when
    /// an input could not be read (the reports still are; exit 2).
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Judge only what the inputs change: resource policies judge only the
    /// resources a plan or preview creates, updates, replaces or imports
    /// (not no-op, read or deleted ones); stack policies still see the whole
    /// stack, and only their violations on changed resources (deleted ones
    /// included) are reported. Every report shows each resource's action. State files, stack
    /// exports and inventories change nothing: nothing in them is judged
    /// (a warning says so).
    #[arg(long)]
    only_changed: bool,
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

fn parse_report_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_extra_report(s: &str) -> Result<(Format, PathBuf), String> {
    let (format, file) =
        s.split_once('=').ok_or_else(|| format!("{s:?}: expected FORMAT=FILE, e.g. sarif=palisade.sarif"))?;
    if file.is_empty() {
        return Err(format!("{s:?}: the file name is empty"));
    }
    Ok((format.parse()?, PathBuf::from(file)))
}

/// One report to write: its format and file (`None`: standard output).
pub(crate) struct Output<'a> {
    /// Option that asked for it, for errors.
    pub flag: &'static str,
    /// Format.
    pub format: Format,
    /// File, or standard output.
    pub path: Option<&'a std::path::Path>,
}

impl CheckArgs {
    /// The main report and every --report, each refused if it names a file
    /// this run reads or another output.
    fn outputs(&self) -> Result<Vec<Output<'_>>> {
        let main = if self.output.is_some() { "--output" } else { "the main report (standard output)" };
        let mut outputs = vec![Output { flag: main, format: self.format, path: self.output.as_deref() }];
        outputs.extend(self.reports.iter().map(|(format, path)| Output {
            flag: "--report",
            format: *format,
            path: Some(path),
        }));
        let mut read: Vec<PathBuf> = self.inputs.iter().map(PathBuf::from).chain(self.packs.files_read()).collect();
        read.extend(self.baseline.iter().cloned());
        let mut written: Vec<(&str, &std::path::Path)> = Vec::new();
        let stdout = std::path::Path::new("-");
        for (flag, path) in outputs
            .iter()
            .map(|o| (o.flag, o.path.unwrap_or(stdout)))
            .chain(self.write_baseline.as_deref().map(|p| ("--write-baseline", p)))
        {
            if path != stdout {
                // Refreshing a baseline in place is allowed: it is read first.
                let reads: Vec<PathBuf> = if flag == "--write-baseline" {
                    read.iter().filter(|r| Some(r.as_path()) != self.baseline.as_deref()).cloned().collect()
                } else {
                    read.clone()
                };
                refuse_overwrite(flag, path, &reads)?;
                output::check_destination(flag, path)?;
            }
            for earlier in &written {
                refuse_same_output(*earlier, (flag, path))?;
            }
            written.push((flag, path));
        }
        Ok(outputs)
    }
}

pub(crate) fn run(args: &CheckArgs) -> Result<u8> {
    reject_duplicate_inputs(&args.inputs)?;
    let outputs = args.outputs()?;
    let files = args.packs.policy_files()?;
    let baseline = args.baseline.as_deref().map(Baseline::read).transpose()?;
    let source_map = args.source_dir.as_deref().map(SourceMap::from_dir).transpose()?;
    for warning in source_map.iter().flat_map(SourceMap::warnings) {
        crate::say!("palisade: warning: --source-dir: {warning}");
    }
    let (inputs, unread) = read_inputs(args);
    let engine = args.packs.engine()?;
    let packs = args.packs.load(&engine)?;
    let pipeline = files
        .pipeline(&args.packs, &engine, &packs)
        .source_map(source_map.as_ref())
        .baseline(baseline.as_ref())
        .keep_unbaselined(args.write_baseline.is_some())
        .only_changed(args.only_changed)
        .build()?;
    let checked = pipeline.check_partial(inputs, unread);
    crate::packs::warn(&checked);
    let unread = &checked.report.input_errors;
    if let Some(path) = args.write_baseline.as_deref().filter(|_| unread.is_empty()) {
        output::write_output(path, "the baseline", |out| report::render_json(checked.unbaselined(), out))?;
    }
    let code = emit_report(&checked.report, &outputs, &report::RenderOptions { link_base: args.link_base.clone() })?;
    if let (Some(path), [first, ..]) = (&args.write_baseline, unread.as_slice()) {
        bail!(
            "--write-baseline {}: not written, since {} input(s) could not be read (first: {}); a baseline \
             without their findings would let them through as new later. Fix the input(s) and run again.",
            path.display(),
            unread.len(),
            first.input
        );
    }
    Ok(code)
}

/// Every input read and parsed, in order, and the inputs that could not
/// be (a file that cannot be read, an input that does not parse), each
/// also told on standard error: the others are still checked, and the
/// report lists these (exit 2).
fn read_inputs(args: &CheckArgs) -> (Vec<CheckInput>, Vec<InputErrorEntry>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for source in &args.inputs {
        let parsed = refuse_directory(source)
            .and_then(|()| read_source(source, args.max_input_mib.saturating_mul(1 << 20)))
            .and_then(|bytes| Ok(CheckInput::parse(source, &bytes, args.input_format)?));
        match parsed {
            Ok(input) => inputs.push(input),
            Err(e) => {
                let message = format!("{e:#}");
                crate::say!("palisade: error: {message}");
                errors.push(InputErrorEntry { input: source.clone(), message });
            }
        }
    }
    (inputs, errors)
}

/// Refuses an input that is a directory, with how to make a plan of the
/// configuration it may hold.
fn refuse_directory(source: &str) -> Result<()> {
    if source != "-" && std::path::Path::new(source).is_dir() {
        bail!(
            "{source}: a directory; Palisade reads plans, not folders of Terraform configuration: in it run \
             `terraform plan -out=tfplan`, then `terraform show -json tfplan > plan.json`, and check plan.json."
        );
    }
    Ok(())
}

/// Writes a check report to each output (files atomically, in order; the
/// first failure stops) and gives the exit code: 2 for an incomplete input,
/// else 1 when the report fails, else 0.
pub(crate) fn emit_report(report: &Report, outputs: &[Output<'_>], options: &report::RenderOptions) -> Result<u8> {
    let code = if !report.summary.complete {
        2
    } else if report.summary.failed {
        1
    } else {
        0
    };
    for o in outputs {
        output::emit(o.path, "the report", |out: &mut dyn Write| report::render(report, o.format, options, out))?;
    }
    if !report.incomplete.is_empty() {
        crate::say!("palisade: error: the inventory scan is incomplete; this report cannot be taken as clean");
    }
    if !report.input_errors.is_empty() {
        crate::say!(
            "palisade: error: {} input(s) could not be read; the report covers the others and cannot be taken as clean",
            report.input_errors.len()
        );
    }
    Ok(code)
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
    let stdout = |p: &std::path::Path| p.as_os_str() == "-" || output::names_stdout(p);
    if stdout(a.1) && stdout(b.1) {
        bail!("{} and {} {} both write to standard output; give one of them a file", a.0, b.0, b.1.display());
    }
    if !stdout(a.1) && same_file(a.1, b.1) {
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
