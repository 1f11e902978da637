//! The arguments of the remediation phase's child, from a job as the
//! configuration file gives it.

use std::ffi::OsString;
use std::fs;
use std::path::Path;

use crate::schedule::load;
use crate::schedule::runner::remediate_args;

/// The remediation arguments of the only job of `text` (written as
/// `palisade.toml` in `dir`), as strings.
fn args_of(dir: &Path, text: &str) -> Vec<String> {
    let path = dir.join("palisade.toml");
    fs::write(&path, text).expect("the config is written");
    let config = load(&path).expect("a valid config");
    let args: Vec<OsString> = remediate_args(&config.jobs[0], Path::new("inventory.json"));
    args.into_iter().map(|a| a.into_string().expect("UTF-8")).collect()
}

const JOB: &str = "[[job]]\nname = \"fix\"\nschedule = \"@daily\"\npacks = [\"builtin:aws-baseline\"]\n";

#[test]
fn a_dry_run_gets_no_apply_and_no_bounds() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let args = args_of(dir.path(), JOB);
    assert_eq!(
        args,
        ["remediate", "--inventory", "inventory.json", "--pack", "builtin:aws-baseline", "--report-dir", "remediation"]
    );
}

#[test]
fn an_applying_run_gets_its_allowed_kinds_its_bound_and_the_states() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    fs::write(dir.path().join("a.tfstate"), "{}").expect("a state file");
    fs::write(dir.path().join("b.json"), "{}").expect("a state file");
    let text = format!(
        "{JOB}auto_remediate = true\nallow_actions = [\"s3.block-public-access\", \"ec2.revoke-ingress\"]\n\
         max_changes = 10\nstate = [\"a.tfstate\", \"b.json\"]\nendpoint_url = \"http://127.0.0.1:5000\"\n"
    );
    let args = args_of(dir.path(), &text);
    let folder = fs::canonicalize(dir.path()).expect("the folder");
    let state = |name: &str| folder.join(name).display().to_string();
    let expected = [
        "remediate",
        "--inventory",
        "inventory.json",
        "--pack",
        "builtin:aws-baseline",
        "--apply",
        "--allow-action",
        "s3.block-public-access",
        "--allow-action",
        "ec2.revoke-ingress",
        "--max-changes",
        "10",
        "--state",
        &state("a.tfstate"),
        "--state",
        &state("b.json"),
        "--endpoint-url",
        "http://127.0.0.1:5000",
        "--report-dir",
        "remediation",
    ];
    assert_eq!(args, expected);
}

#[test]
fn every_kind_is_allow_action_all_and_the_bound_defaults_to_50() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let args = args_of(dir.path(), &format!("{JOB}auto_remediate = true\nallow_actions = [\"all\"]\n"));
    let at = args.iter().position(|a| a == "--apply").expect("--apply");
    assert_eq!(args[at..at + 5], ["--apply", "--allow-action", "all", "--max-changes", "50"]);
    // No allow_actions: no action is allowed (the child's default), the bound still given.
    let args = args_of(dir.path(), &format!("{JOB}auto_remediate = true\n"));
    assert!(!args.iter().any(|a| a == "--allow-action"), "{args:?}");
    let at = args.iter().position(|a| a == "--apply").expect("--apply");
    assert_eq!(args[at..at + 3], ["--apply", "--max-changes", "50"]);
}
