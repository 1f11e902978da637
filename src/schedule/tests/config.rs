//! The configuration's typed errors: each names the file, the job and the
//! key, with the message the binary prints.

use std::fs;
use std::path::{Path, PathBuf};

use crate::schedule::{ConfigError, JobError, JobRef, load};

/// Write `text` as `palisade.toml` in `dir` and load it.
fn load_text(dir: &Path, text: &str) -> (PathBuf, Result<crate::schedule::Config, ConfigError>) {
    let path = dir.join("palisade.toml");
    fs::write(&path, text).expect("the config is written");
    let loaded = load(&path);
    (path, loaded)
}

/// The job error of a configuration that must be refused for one job.
fn job_error(text: &str) -> (String, JobError) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (path, loaded) = load_text(dir.path(), text);
    match loaded.expect_err("the config is refused") {
        ConfigError::Job { file, error } => {
            assert_eq!(file, path);
            let message = ConfigError::Job { file, error: error.clone() }.to_string();
            let shown = format!("{}: ", path.display());
            (message.strip_prefix(&shown).expect("the file first").to_string(), error)
        }
        other => panic!("not a job's error: {other:?}"),
    }
}

#[test]
fn a_value_out_of_range_names_the_job_and_the_key() {
    let (message, error) = job_error("[[job]]\nname = \"a\"\nschedule = \"@daily\"\nhistory = 0\n");
    assert_eq!(error.job, JobRef { name: Some("a".to_string()), index: 0 });
    assert_eq!(error.key.as_deref(), Some("history"));
    assert_eq!(message, "job \"a\" (job[0]).history: at least 1 run must be kept");
}

#[test]
fn a_bad_schedule_or_timezone_is_the_key_at_fault() {
    let (message, error) = job_error("[[job]]\nname = \"n\"\nschedule = \"61 * * * *\"\n");
    assert_eq!(error.key.as_deref(), Some("schedule"));
    assert_eq!(message, "job \"n\" (job[0]).schedule: \"61 * * * *\": minute 61 is out of range 0-59");
    let (message, error) = job_error("[[job]]\nname = \"n\"\nschedule = \"@daily\"\ntimezone = \"Mars/Olympus\"\n");
    assert_eq!(error.key.as_deref(), Some("timezone"));
    assert_eq!(
        message,
        "job \"n\" (job[0]).timezone: \"Mars/Olympus\" is not an IANA timezone name (such as UTC or Europe/Paris)"
    );
}

#[test]
fn a_job_without_a_name_is_named_by_its_index() {
    let text = "[[job]]\nname = \"a\"\nschedule = \"@daily\"\n[[job]]\nschedule = \"@daily\"\n";
    let (message, error) = job_error(text);
    assert_eq!(error.job, JobRef { name: None, index: 1 });
    assert_eq!(error.key, None);
    assert_eq!(message, "job[1]: missing key `name`");
}

#[test]
fn keys_of_the_whole_job_and_nested_keys() {
    let (message, error) =
        job_error("[[job]]\nname = \"w\"\nschedule = \"@daily\"\nwebhook = { url = \"ftp://example.com/\" }\n");
    assert_eq!(error.key.as_deref(), Some("webhook.url"));
    assert_eq!(
        message,
        "job \"w\" (job[0]).webhook.url: \"ftp://example.com/\": expected an http:// or https:// URL with a host"
    );
    let (message, _) =
        job_error("[[job]]\nname = \"r\"\nschedule = \"@daily\"\nall_regions = true\nregions = [\"eu-west-1\"]\n");
    assert_eq!(message, "job \"r\" (job[0]): `all_regions = true` and `regions` cannot go together");
    let (message, _) = job_error("[[job]]\nname = \"t\"\nschedule = \"@daily\"\nresource_types = [\"aws_nope\"]\n");
    assert_eq!(
        message,
        "job \"t\" (job[0]).resource_types: --resource-type \"aws_nope\": Palisade does not know this type's Tagging API name; give it as service:type (e.g. ec2:instance)"
    );
}

#[test]
fn file_level_errors_name_the_file() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (path, loaded) = load_text(dir.path(), "[defaults]\nschedule = \"@daily\"\n");
    let err = loaded.expect_err("no job");
    assert!(matches!(&err, ConfigError::NoJob { file } if *file == path), "{err:?}");
    let text =
        "[[job]]\nname = \"a\"\nschedule = \"@daily\"\n[[job]]\nname = \"b\"\nschedule = \"@daily\"\nregion = \"x\"\n";
    let (path, loaded) = load_text(dir.path(), text);
    let err = loaded.expect_err("an unknown key");
    let ConfigError::Key { at, .. } = &err else { panic!("not a key's error: {err:?}") };
    assert_eq!(at, "job \"b\" (job[1]).region");
    let message = err.to_string();
    let at = format!("{}: job \"b\" (job[1]).region: TOML parse error at line 7, column 1", path.display());
    assert!(message.starts_with(&at) && message.contains("unknown field `region`"), "{message}");
    let text = "[[job]]\nname = \"a\"\nschedule = \"@daily\"\n[[job]]\nname = \"a\"\nschedule = \"@hourly\"\n";
    let (_, loaded) = load_text(dir.path(), text);
    let err = loaded.expect_err("a name used twice");
    assert!(matches!(&err, ConfigError::DuplicateName { index: 1, name, .. } if name == "a"), "{err:?}");
}

#[test]
fn a_valid_file_keeps_the_jobs_asked_for() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let text =
        "[defaults]\nschedule = \"@daily\"\n[[job]]\nname = \"a\"\n[[job]]\nname = \"b\"\nregions = [\"eu-mars-1\"]\n";
    let (path, loaded) = load_text(dir.path(), text);
    let mut config = loaded.expect("a valid config");
    assert_eq!(config.job_names(), ["a", "b"]);
    assert_eq!(
        config.warnings,
        [format!(
            "{}: job \"b\" (job[1]).regions: eu-mars-1 is not a region Palisade knows in partition aws; scanning it anyway",
            path.display()
        )]
    );
    config.keep_jobs(&["b".to_string()]);
    assert_eq!(config.job_names(), ["b"]);
    let dir_of = |name: &str| fs::canonicalize(dir.path()).expect("a folder").join("palisade-reports").join(name);
    assert_eq!(config.jobs[0].dir, dir_of("b"));
}

#[test]
fn cron_lines_that_differ_from_crontab_are_warnings_naming_the_job() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let text = "[[job]]\nname = \"first-monday\"\nschedule = \"0 9 1-7 * MON\"\n\
                [[job]]\nname = \"weekdays\"\nschedule = \"0 0 9 * * 1-5\"\n\
                [[job]]\nname = \"plain\"\nschedule = \"0 9 * * MON-FRI\"\n";
    let (path, loaded) = load_text(dir.path(), text);
    let config = loaded.expect("warnings do not refuse the file");
    assert_eq!(config.job_names(), ["first-monday", "weekdays", "plain"]);
    let shown = path.display();
    assert_eq!(config.warnings.len(), 2, "{:?}", config.warnings);
    assert!(
        config.warnings[0].starts_with(&format!(
            "{shown}: job \"first-monday\" (job[0]).schedule: \"0 9 1-7 * MON\": day of month \"1-7\" and day of week \"MON\" are both restricted"
        )),
        "{:?}",
        config.warnings
    );
    assert!(
        config.warnings[1].starts_with(&format!(
            "{shown}: job \"weekdays\" (job[1]).schedule: \"0 0 9 * * 1-5\": in the 6- and 7-field forms"
        )),
        "{:?}",
        config.warnings
    );
    assert!(config.warnings[1].contains("means SUN-THU"), "{:?}", config.warnings);
}

/// A job that applies fixes with builtin packs, and `extra` keys.
fn applying_job(extra: &str) -> String {
    format!("[[job]]\nname = \"fix\"\nschedule = \"@daily\"\npacks = [\"builtin:aws-baseline\"]\n{extra}\n")
}

#[test]
fn allow_actions_and_max_changes_are_read_with_their_defaults() {
    use crate::schedule::config::{AllowedActions, DEFAULT_MAX_CHANGES};
    use palisade_engine::remediation::action::ActionKind;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (_, loaded) = load_text(dir.path(), &applying_job("auto_remediate = true"));
    let config = loaded.expect("a valid config");
    assert_eq!(config.jobs[0].allow_actions, AllowedActions::Kinds(Vec::new()), "no action unless allowed");
    assert_eq!(config.jobs[0].max_changes, DEFAULT_MAX_CHANGES);
    assert_eq!(DEFAULT_MAX_CHANGES, 50);
    let extra = "auto_remediate = true\nallow_actions = [\"kms.enable-rotation\", \"s3.block-public-access\", \
                 \"kms.enable-rotation\"]\nmax_changes = 7";
    let (_, loaded) = load_text(dir.path(), &applying_job(extra));
    let config = loaded.expect("a valid config");
    let kinds = vec![ActionKind::KmsEnableRotation, ActionKind::S3BlockPublicAccess];
    assert_eq!(config.jobs[0].allow_actions, AllowedActions::Kinds(kinds), "each kind once, in the file's order");
    assert_eq!(config.jobs[0].max_changes, 7);
    // `all`, and the keys given in [defaults].
    let text = "[defaults]\nauto_remediate = true\nallow_actions = [\"all\"]\nmax_changes = 1\n".to_string()
        + &applying_job("");
    let (_, loaded) = load_text(dir.path(), &text);
    let config = loaded.expect("a valid config");
    assert_eq!(config.jobs[0].allow_actions, AllowedActions::All);
    assert_eq!(config.jobs[0].allow_actions.names(), ["all"]);
    assert_eq!(config.jobs[0].max_changes, 1);
}

#[test]
fn an_unknown_action_kind_is_refused_listing_the_known_ones() {
    let (message, error) =
        job_error(&applying_job("auto_remediate = true\nallow_actions = [\"s3.block-public-access\", \"s3.delete\"]"));
    assert_eq!(error.key.as_deref(), Some("allow_actions"));
    assert_eq!(
        message,
        "job \"fix\" (job[0]).allow_actions: \"s3.delete\" is not an action kind (known: s3.block-public-access, \
         ec2.revoke-ingress, kms.enable-rotation, rds.disable-public-access, ecr.immutable-tags; or \"all\" alone)"
    );
    let (message, _) =
        job_error(&applying_job("auto_remediate = true\nallow_actions = [\"all\", \"kms.enable-rotation\"]"));
    assert_eq!(
        message,
        "job \"fix\" (job[0]).allow_actions: \"all\" allows every kind: give it alone (allow_actions = [\"all\"])"
    );
}

#[test]
fn max_changes_is_a_positive_integer() {
    let (message, error) = job_error(&applying_job("auto_remediate = true\nmax_changes = 0"));
    assert_eq!(error.key.as_deref(), Some("max_changes"));
    assert_eq!(message, "job \"fix\" (job[0]).max_changes: 0 is out of range (1 to 1000000)");
    let (message, _) = job_error(&applying_job("auto_remediate = true\nmax_changes = 1000001"));
    assert_eq!(message, "job \"fix\" (job[0]).max_changes: 1000001 is out of range (1 to 1000000)");
    // Not an unsigned integer: the TOML key's error, with its place.
    let dir = tempfile::tempdir().expect("a temporary folder");
    for value in ["-1", "\"ten\"", "2.5"] {
        let (_, loaded) =
            load_text(dir.path(), &applying_job(&format!("auto_remediate = true\nmax_changes = {value}")));
        let err = loaded.expect_err("a bad max_changes");
        let ConfigError::Key { at, .. } = &err else { panic!("not a key's error: {err:?}") };
        assert_eq!(at, "job \"fix\" (job[0]).max_changes", "{value}");
    }
}

#[test]
fn fix_bounds_without_auto_remediate_are_refused() {
    for extra in ["allow_actions = [\"all\"]", "auto_remediate = false\nmax_changes = 5"] {
        let (message, error) = job_error(&applying_job(extra));
        let key = if extra.contains("max_changes") { "max_changes" } else { "allow_actions" };
        assert_eq!(error.key.as_deref(), Some(key));
        assert_eq!(
            message,
            format!(
                "job \"fix\" (job[0]).{key}: bounds the fixes a run applies, and the job only plans them: set `auto_remediate = true`"
            )
        );
    }
}
