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
