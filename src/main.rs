//! `palisade`: check infrastructure-as-code against WebAssembly policy
//! packs, scan live AWS inventory, and report drift.
//!
//! Thin by design: parse arguments, call `palisade_engine` and
//! `palisade_scanner`, map the outcome to an exit code. One file per
//! subcommand (`check.rs`, `scan.rs`, `drift.rs`, `remediate.rs`,
//! `schedule_cmd.rs`, and the authoring tools `new.rs`, `test_pack.rs`,
//! `inspect.rs`); options shared between them live in `packs.rs` (policy
//! packs, limits, config, enforcement overrides and exemptions) and
//! `live.rs` (live scan or snapshot). The scheduler itself is the library's
//! `palisade::schedule`.
//!
//! Exit codes: 0 clean; 1 mandatory violations or drift; 2 usage, input,
//! pack and scan errors, and incomplete scans.

use std::io;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// `eprintln!` that ignores a closed standard error (`2>&1 | head`): a
/// message that cannot be shown must not turn the exit code into a panic's.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use say;

mod check;
mod drift;
mod inspect;
mod live;
mod new;
mod output;
mod packs;
mod remediate;
mod scan;
mod schedule_cmd;
mod test_pack;

#[derive(Parser)]
#[command(
    name = "palisade",
    version,
    about = "Policy-as-code for Terraform and Pulumi with WebAssembly policy packs; AWS inventory and drift."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check plans, previews, state files, stack exports or inventory
    /// snapshots against policy packs.
    ///
    /// Exit codes: 0 no mandatory violation; 1 a mandatory (or remediate)
    /// violation or a mandatory policy's error; 2 usage, input or pack
    /// errors, or an incomplete inventory snapshot.
    Check(check::CheckArgs),
    /// Scan live AWS inventory in every region and account asked for: each
    /// service's own list calls find every resource, tagged or not, and its
    /// configuration is read; write a snapshot; run policy packs on it.
    ///
    /// Exit codes: 0 complete scan (and no mandatory violation with
    /// --pack); 1 mandatory violations; 2 errors or an incomplete scan.
    Scan(scan::ScanArgs),
    /// Report drift between declared state (Terraform state, Pulumi stack
    /// exports) and the cloud (a live scan or a snapshot): missing,
    /// unmanaged and changed resources, and coverage.
    ///
    /// Exit codes: 0 no drift; 1 drift; 2 errors or an incomplete scan or
    /// snapshot, even when drift was found too.
    Drift(drift::DriftArgs),
    /// Fix violations on live resources: the tag changes that policies at
    /// level `remediate` ask for, planned per ARN (dry run, the default) or
    /// applied with --apply (TagResources/UntagResources, batched,
    /// idempotent); a report (JSON, HTML, Markdown) in --report-dir.
    ///
    /// Exit codes: 0 nothing needed doing, or everything was applied; 1
    /// violations remain (a dry run with changes planned included) or a
    /// change failed (an --apply stopped by SIGTERM or SIGINT included); 2
    /// errors, an incomplete scan, or a stale plan.
    Remediate(remediate::RemediateArgs),
    /// Scaffold a policy pack in one of seven languages, from the example
    /// pack: sources, helper layer, build.sh, test cases and a README.
    ///
    /// Exit codes: 0 created; 2 errors (invalid name, existing folder).
    New(new::NewArgs),
    /// Run a pack's test cases (data files: an input and the expected
    /// findings) and show each case's diff of expected vs actual.
    ///
    /// Exit codes: 0 every case passed; 1 a case failed; 2 errors (the pack
    /// does not load, a case file is unreadable or names a case twice, a
    /// case's input is missing or malformed, no case found).
    Test(test_pack::TestArgs),
    /// Show a pack's metadata, policies (kind, level, severity, resource
    /// types, config schema), ABI or WIT version, imports, size and SHA-256.
    ///
    /// Exit codes: 0 shown; 1 shown, with problems (a config schema that is
    /// not valid JSON Schema, or defaults that break it: `check` would refuse
    /// the pack); 2 the pack does not load.
    Inspect(inspect::InspectArgs),
    /// Run scans, drift reports, policy checks and remediation on cron
    /// schedules (a TOML file of jobs), keeping each job's reports with a
    /// bounded history and POSTing events to webhooks.
    ///
    /// Exit codes: 0 stopped cleanly by SIGTERM or SIGINT (or --check
    /// passed); 2 configuration or start-up errors. With --once, the worst
    /// job's: 0 clean; 1 drift, violations, or remediation left violations;
    /// 2 errors or an incomplete scan.
    Schedule(schedule_cmd::ScheduleArgs),
}

/// Output format of reports.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people.
    Text,
    /// Stable JSON (schemas under engine/schema and scanner/schema).
    Json,
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
        Command::Check(args) => check::run(&args),
        Command::Scan(args) => scan::run(&args),
        Command::Drift(args) => drift::run(&args),
        Command::Remediate(args) => remediate::run(&args),
        Command::New(args) => new::run(&args),
        Command::Test(args) => test_pack::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Schedule(args) => schedule_cmd::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            say!("palisade: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether an error is a closed standard output (`| head`).
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}
