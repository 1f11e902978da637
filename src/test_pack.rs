//! `palisade test`: run a pack's data-driven test cases
//! (`palisade_engine::testcase`) and report each case with a diff of
//! expected vs actual findings.
//!
//! Exit codes: 0 every case passed; 1 a case failed; 2 errors (the pack
//! does not load, a case file cannot be read or names two cases alike, a
//! case's input cannot be read or parsed, no case was found). An error is
//! an `ERROR` line naming the file (and the case) and what is wrong.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Parser as _;
use palisade_engine::testcase::{discover, load_case_file, run_case};
use palisade_engine::{Engine, Pack};

use crate::packs::PackArgs;

/// Run test cases written as data files against one pack.
#[derive(clap::Args)]
pub(crate) struct TestArgs {
    /// The pack: a .wasm file, or `builtin:aws-baseline`.
    #[arg(value_name = "PACK")]
    pack: PathBuf,
    /// The folder of case files (`*.yaml`, `*.yml`, `*.json`, searched
    /// recursively; JSON files without `cases` are inputs, not case files),
    /// or one case file. Default: `tests/` beside PACK.
    #[arg(value_name = "CASES_DIR")]
    cases: Option<PathBuf>,
    /// Another pack loaded beside PACK (repeatable): a .wasm file or
    /// `builtin:NAME`. Cases may name its policies too.
    #[arg(long = "with-pack", value_name = "PACK")]
    with_pack: Vec<PathBuf>,
    /// Limits and cache.
    #[command(flatten)]
    load: LoadArgs,
}

/// How `test` and `inspect` load their one pack: limits and cache.
#[derive(clap::Args)]
pub(crate) struct LoadArgs {
    /// Deadline of one policy call, in milliseconds (10 to 600000).
    #[arg(long, value_name = "MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    policy_timeout_ms: u64,
    /// Memory cap of one policy instance, in MiB (1 to 4096).
    #[arg(long, value_name = "MIB", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=4096))]
    policy_memory_mib: u64,
    /// Cache compiled packs in DIR (default as for `check`).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Compile the pack from its bytes; read and write no cache.
    #[arg(long)]
    no_cache: bool,
}

/// [`PackArgs`] parsed from flags, so that every option `test` and
/// `inspect` do not take keeps its default.
#[derive(clap::Parser)]
#[command(no_binary_name = true)]
struct PackOptions {
    #[command(flatten)]
    args: PackArgs,
}

impl LoadArgs {
    /// The engine and the one pack `pack` (a file or `builtin:NAME`), loaded
    /// as `check --pack` loads it.
    pub(crate) fn load(&self, pack: &Path) -> Result<(Engine, Pack)> {
        let (engine, packs) = self.load_all(&[pack])?;
        let pack = packs.into_iter().next().context("no pack was loaded")?;
        Ok((engine, pack))
    }

    /// The engine and every pack of `packs`, loaded as `check --pack P
    /// --pack Q` loads them (two packs with one name are refused).
    pub(crate) fn load_all(&self, packs: &[&Path]) -> Result<(Engine, Vec<Pack>)> {
        let mut argv: Vec<OsString> = Vec::new();
        for pack in packs {
            argv.extend(["--pack".into(), pack.as_os_str().to_owned()]);
        }
        argv.extend(["--policy-timeout-ms".into(), self.policy_timeout_ms.to_string().into()]);
        argv.extend(["--policy-memory-mib".into(), self.policy_memory_mib.to_string().into()]);
        if let Some(dir) = &self.cache_dir {
            argv.extend(["--cache-dir".into(), dir.as_os_str().to_owned()]);
        }
        if self.no_cache {
            argv.push("--no-cache".into());
        }
        let args = PackOptions::try_parse_from(argv).context("the pack options")?.args;
        let engine = args.engine()?;
        let packs = args.load(&engine)?;
        Ok((engine, packs))
    }
}

/// Run every case; the exit code.
pub(crate) fn run(args: &TestArgs) -> Result<u8> {
    let dir = cases_dir(args)?;
    let files = case_files(&dir)?;
    let wanted: Vec<&Path> =
        std::iter::once(args.pack.as_path()).chain(args.with_pack.iter().map(PathBuf::as_path)).collect();
    let (engine, packs) = args.load.load_all(&wanted)?;
    let shown_pack = packs.iter().map(|p| p.path.as_str()).collect::<Vec<_>>().join(", ");
    let mut out = io::stdout().lock();
    let mut tally = Tally::default();
    for path in &files {
        if is_input_document(path) {
            continue;
        }
        tally.run_file(&engine, &packs, path, &mut out)?;
    }
    tally.write_verdict(&shown_pack, &mut out)?;
    out.flush()?;
    if tally.total() == 0 && tally.errors == 0 {
        crate::say!("palisade: error: the case files of {} hold no case", dir.display());
    }
    Ok(tally.exit_code())
}

/// The files under `dir` (or `dir` itself, a file) that may hold cases; an
/// error when there are none.
fn case_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let files = if dir.is_file() {
        vec![dir.to_path_buf()]
    } else {
        discover(dir).map_err(|e| anyhow::anyhow!("cannot list the case folder {}: {e}", dir.display()))?
    };
    if files.is_empty() {
        bail!("no case files (*.yaml, *.yml, *.json) in {}", dir.display());
    }
    Ok(files)
}

/// What the cases run so far gave.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    /// Case files that could not be read.
    errors: usize,
    /// Cases that could not be run.
    case_errors: usize,
    case_files: usize,
}

impl Tally {
    /// Run the cases of the case file `path`: a `PASS`, `FAIL` (with the
    /// diff) or `ERROR` line each, or one `ERROR` line for the file.
    fn run_file(&mut self, engine: &Engine, packs: &[Pack], path: &Path, out: &mut dyn Write) -> Result<()> {
        self.case_files += 1;
        let file = match load_case_file(path) {
            Ok(file) => file,
            Err(e) => {
                self.errors += 1;
                writeln!(out, "ERROR {e}")?;
                return Ok(());
            }
        };
        for case in &file.cases {
            let result = run_case(engine, packs, &file, case);
            match &result.failure {
                None => {
                    self.passed += 1;
                    writeln!(out, "PASS  {} :: {}", path.display(), result.name)?;
                }
                Some(message) if result.error => {
                    self.case_errors += 1;
                    writeln!(out, "ERROR {} :: {}: {}", path.display(), result.name, message.trim_start())?;
                }
                Some(diff) => {
                    self.failed += 1;
                    writeln!(out, "FAIL  {} :: {}", path.display(), result.name)?;
                    writeln!(out, "  expected vs actual (- expected, not found; + found, not expected):")?;
                    writeln!(out, "{diff}")?;
                }
            }
        }
        Ok(())
    }

    /// The cases run.
    fn total(&self) -> usize {
        self.passed + self.failed + self.case_errors
    }

    /// Whether anything could not be read or run, or no case was found.
    fn erred(&self) -> bool {
        self.errors > 0 || self.case_errors > 0 || self.total() == 0
    }

    /// The last line: the verdict and the counts, for the packs `shown_pack`.
    fn write_verdict(&self, shown_pack: &str, out: &mut dyn Write) -> io::Result<()> {
        let Tally { passed, failed, errors, case_errors, case_files } = *self;
        let total = self.total();
        let mut trouble = String::new();
        if case_errors > 0 {
            trouble.push_str(&format!(", {case_errors} in error"));
        }
        if errors > 0 {
            trouble.push_str(&format!("; {errors} case files in error"));
        }
        let verdict = if self.erred() {
            "ERROR"
        } else if failed > 0 {
            "FAILED"
        } else {
            "PASSED"
        };
        writeln!(
            out,
            "\n{verdict}: {total} cases in {} files: {passed} passed, {failed} failed{trouble} ({})",
            case_files, shown_pack,
        )
    }

    /// 2 when something erred, else 1 when a case failed, else 0.
    fn exit_code(&self) -> u8 {
        if self.erred() {
            2
        } else if self.failed > 0 {
            1
        } else {
            0
        }
    }
}

/// CASES_DIR, or `tests/` beside the pack file; an error saying what was
/// looked for when it is not a folder.
fn cases_dir(args: &TestArgs) -> Result<PathBuf> {
    if let Some(dir) = &args.cases {
        if !dir.is_dir() && !dir.is_file() {
            bail!("the case folder or file {} does not exist", dir.display());
        }
        return Ok(dir.clone());
    }
    if args.pack.to_string_lossy().starts_with("builtin:") {
        bail!("a built-in pack has no tests/ beside it: give CASES_DIR (e.g. policies/aws-baseline/tests/cases)");
    }
    let parent = args.pack.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = parent.join("tests");
    if !dir.is_dir() {
        bail!(
            "no case folder: looked for {} (tests/ beside the pack {}); give CASES_DIR",
            dir.display(),
            args.pack.display()
        );
    }
    Ok(dir)
}

/// Whether `path` is a JSON input a case reads (`input_file:`), not a case
/// file: JSON whose top level has no `cases`.
fn is_input_document(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
        && std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .is_some_and(|doc| doc.get("cases").is_none())
}
