//! `palisade schedule`: a real long-lived process with a per-second cron
//! against moto, stopped by SIGTERM; `--once` exit codes; webhooks against
//! a local HTTP server, delivered beside the runs; skipped ticks while a run
//! is going; SIGTERM forwarded to phases, runs abandoned or (during
//! remediation) published as interrupted; remediation events, with the
//! actions a job allows and their counts; configuration errors.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::moto::{self, MotoSession};
use crate::support::{code, root, stderr};

/// `palisade schedule ARGS` in `dir`, with moto's environment when given,
/// else test credentials (never `~/.aws`, never instance metadata); its
/// standard error goes to `dir/schedule.log`.
fn command(dir: &Path, session: Option<&MotoSession>, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_palisade"));
    cmd.arg("schedule").args(args).current_dir(dir).env("PALISADE_CACHE_DIR", root().join("target/test-cache"));
    match session {
        Some(session) => {
            session.command_env(&mut cmd);
        }
        None => {
            for (name, _) in std::env::vars_os() {
                if name.to_string_lossy().starts_with("AWS_") {
                    cmd.env_remove(name);
                }
            }
            cmd.envs([
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("AWS_CONFIG_FILE", "/dev/null"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
            ]);
        }
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// Run `palisade schedule ARGS` to the end.
fn run(dir: &Path, session: Option<&MotoSession>, args: &[&str]) -> Output {
    command(dir, session, args).output().expect("palisade schedule runs")
}

/// Start `palisade schedule ARGS` in the background, its stderr to `dir/schedule.log`.
fn start(dir: &Path, session: Option<&MotoSession>, args: &[&str]) -> Child {
    let log = std::fs::File::create(dir.join("schedule.log")).expect("create the log");
    command(dir, session, args).stdout(Stdio::null()).stderr(log).spawn().expect("palisade schedule starts")
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("schedule.log")).unwrap_or_default()
}

/// Send SIGTERM to `child`.
fn sigterm(child: &Child) {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success(), "kill -TERM {}", child.id());
}

/// Wait for `child` to exit, at most `limit`; its exit code.
fn wait(child: &mut Child, limit: Duration, dir: &Path) -> i32 {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code().unwrap_or_else(|| panic!("killed by a signal: {status}\n{}", log(dir)));
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("palisade schedule did not exit within {limit:?}:\n{}", log(dir));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Wait until `cond` holds, at most `limit`.
fn wait_until(limit: Duration, what: &str, dir: &Path, mut cond: impl FnMut() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}:\n{}", log(dir));
        thread::sleep(Duration::from_millis(50));
    }
}

/// The names of the entries of `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(list) => list.map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// Run folders (`2026…Z`, `2026…Z-2`) of a job folder.
fn runs(job_dir: &Path) -> Vec<String> {
    entries(job_dir).into_iter().filter(|n| n.len() >= 16 && n.as_bytes()[8] == b'T' && !n.starts_with('.')).collect()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A Terraform state v4 resource.
fn tf(ty: &str, name: &str, attributes: Value) -> Value {
    json!({"mode": "managed", "type": ty, "name": name,
        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
        "instances": [{"schema_version": 0, "attributes": attributes, "sensitive_attributes": []}]})
}

/// Seeds one bucket in eu-west-1 and writes two states into `dir`:
/// `clean.tfstate` declares exactly it, `drifted.tfstate` also declares a
/// queue that does not exist (missing).
fn seed_bucket_and_states(session: &MotoSession, dir: &Path) {
    session.seed(&json!({"resources": [
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "palisade-data", "tags": {"owner": "data"}},
    ]}));
    let data = tf(
        "aws_s3_bucket",
        "data",
        json!({"id": "palisade-data", "arn": "arn:aws:s3:::palisade-data", "bucket": "palisade-data",
               "tags": {"owner": "data"}, "tags_all": {"owner": "data"}}),
    );
    let gone = tf(
        "aws_sqs_queue",
        "gone",
        json!({"id": "https://sqs.eu-west-1.amazonaws.com/123456789012/gone", "name": "gone",
               "arn": "arn:aws:sqs:eu-west-1:123456789012:gone", "tags": {"team": "shop"}, "tags_all": {"team": "shop"}}),
    );
    let state = |resources: Vec<Value>| {
        json!({"version": 4, "terraform_version": "1.9.5", "serial": 1, "lineage": "schedule-test", "outputs": {},
               "resources": resources})
    };
    std::fs::write(dir.join("clean.tfstate"), state(vec![data.clone()]).to_string()).expect("write a state");
    std::fs::write(dir.join("drifted.tfstate"), state(vec![data, gone]).to_string()).expect("write a state");
}

/// A local HTTP server that answers each request with the next status of
/// `statuses` (the last one repeated) and records the bodies.
struct Hook {
    url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
}

fn hook(statuses: &[u16]) -> Hook {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hooks/palisade", listener.local_addr().expect("addr"));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&bodies);
    let statuses = statuses.to_vec();
    thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { continue };
            let status = statuses.get(n).or(statuses.last()).copied().unwrap_or(200);
            if let Some(body) = answer(stream, status) {
                recorded.lock().unwrap_or_else(|e| e.into_inner()).push(body);
            }
        }
    });
    Hook { url, bodies }
}

/// Read one request (headers, then Content-Length bytes), answer `status`;
/// the body as JSON.
fn answer(mut stream: TcpStream, status: u16) -> Option<Value> {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut length = 0usize;
    let mut first = String::new();
    reader.read_line(&mut first).ok()?;
    assert!(first.starts_with("POST /hooks/palisade "), "{first}");
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let reason = if status == 200 { "OK" } else { "Internal Server Error" };
    let response = format!("HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(response.as_bytes()).ok()?;
    serde_json::from_slice(&body).ok()
}

/// A local TCP server that accepts connections and never answers: an AWS
/// endpoint that stalls every call. It counts connections accepted and
/// closed by the client (a killed process closes its own).
struct Stall {
    url: String,
    accepted: Arc<Mutex<usize>>,
    closed: Arc<Mutex<usize>>,
}

fn stalling_endpoint() -> Stall {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(Mutex::new(0));
    let closed = Arc::new(Mutex::new(0));
    let (a, c) = (Arc::clone(&accepted), Arc::clone(&closed));
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            *a.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            let c = Arc::clone(&c);
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
                *c.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            });
        }
    });
    Stall { url, accepted, closed }
}

#[test]
fn schedule_runs_every_second_keeps_history_and_stops_on_sigterm() {
    let session = moto::session();
    let dir = tempfile::tempdir().expect("tempdir");
    seed_bucket_and_states(&session, dir.path());
    let config = format!(
        r#"
[defaults]
regions = ["eu-west-1"]
endpoint_url = "{endpoint}"
reports = "out"

[[job]]
name = "every-second"
schedule = "* * * * * *"
state = ["drifted.tfstate"]
history = 2
"#,
        endpoint = session.endpoint()
    );
    std::fs::write(dir.path().join("palisade.toml"), config).expect("write the config");
    let job_dir = dir.path().join("out/every-second");
    // A crashed process's leftover is removed at start.
    std::fs::create_dir_all(job_dir.join(".tmp-20200101T000000Z/logs")).expect("a leftover");
    let mut child = start(dir.path(), Some(&session), &["--config", "palisade.toml"]);
    wait_until(Duration::from_secs(20), "three runs finished", dir.path(), || {
        log(dir.path()).matches("run finished").count() >= 3
    });
    sigterm(&child);
    assert_eq!(wait(&mut child, Duration::from_secs(30), dir.path()), 0, "{}", log(dir.path()));
    let text = log(dir.path());
    assert!(text.contains("removed the leftover of an interrupted run"), "{text}");
    assert!(text.contains("job scheduled") && text.contains("next_run="), "{text}");
    assert!(text.contains("signal=\"SIGTERM\""), "{text}");
    assert!(text.contains("old run removed (history)"), "{text}");
    // History bounded, nothing half-written, `latest` on the newest run.
    let kept = runs(&job_dir);
    assert_eq!(kept.len(), 2, "history = 2: {:?}", entries(&job_dir));
    let names = entries(&job_dir);
    assert!(!names.iter().any(|n| n.starts_with(".tmp-") || n.starts_with(".latest-")), "{names:?}");
    let latest = std::fs::read_link(job_dir.join("latest")).expect("latest is a symlink");
    assert_eq!(latest, PathBuf::from(kept.last().expect("a run")), "{names:?}");
    let record = read_json(&job_dir.join("latest/run.json"));
    assert_eq!(record["format"], "palisade-schedule-run");
    assert_eq!(record["job"], "every-second");
    assert_eq!(record["run_id"], kept.last().expect("a run").as_str());
    assert_eq!(record["exit_code"], 1, "drift: {record:#}");
    assert_eq!(record["scan_complete"], true);
    assert_eq!(record["events"], json!(["drift_detected"]));
    // The bucket, and the default VPC's default security group (the EC2
    // reader lists untagged groups too; AWS made it: never unmanaged).
    assert_eq!(record["counts"]["resources"], 2, "{record:#}");
    assert_eq!(record["counts"]["drift"], json!({"missing": 1, "unmanaged": 0, "changed": 0}));
    let phases: Vec<(&str, i64)> = record["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .map(|p| (p["phase"].as_str().unwrap_or(""), p["exit_code"].as_i64().unwrap_or(-1)))
        .collect();
    assert_eq!(phases, vec![("scan", 0), ("drift", 1)]);
    assert!(record["scheduled_for"].as_str().is_some_and(|t| t.ends_with('Z')), "{record:#}");
    let drift = read_json(&job_dir.join("latest/drift.json"));
    assert_eq!(drift["summary"]["missing"], 1);
    assert!(job_dir.join("latest/inventory.json").is_file());
    assert!(job_dir.join("latest/logs/scan.log").is_file());
}

#[test]
fn schedule_once_exits_with_the_worst_jobs_code() {
    let session = moto::session();
    let dir = tempfile::tempdir().expect("tempdir");
    seed_bucket_and_states(&session, dir.path());
    // The standard 5-field form; `--once` runs now whatever the schedule.
    let config = format!(
        r#"
[defaults]
schedule = "0 3 * * 1-5"
regions = ["eu-west-1"]
endpoint_url = "{endpoint}"

[[job]]
name = "clean"
state = ["clean.tfstate"]

[[job]]
name = "drifted"
state = ["drifted.tfstate"]

[[job]]
name = "unreachable"
state = ["clean.tfstate"]
endpoint_url = "http://127.0.0.1:1"
max_attempts = 1
attempt_timeout_secs = 2
"#,
        endpoint = session.endpoint()
    );
    std::fs::write(dir.path().join("palisade.toml"), config).expect("write the config");
    let once = |jobs: &[&str]| {
        let mut args = vec!["--config", "palisade.toml", "--once"];
        for job in jobs {
            args.extend(["--job", job]);
        }
        run(dir.path(), Some(&session), &args)
    };
    let out = once(&["clean"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let clean = read_json(&dir.path().join("palisade-reports/clean/latest/run.json"));
    assert_eq!(clean["events"], json!(["drift_clean"]), "{clean:#}");
    assert_eq!(clean["scheduled_for"], Value::Null);
    let out = once(&["drifted", "clean"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let out = once(&[]);
    assert_eq!(code(&out), 2, "the unreachable endpoint wins: {}", stderr(&out));
    let failed = read_json(&dir.path().join("palisade-reports/unreachable/latest/run.json"));
    assert_eq!(failed["exit_code"], 2);
    assert_eq!(failed["scan_complete"], false);
    assert_eq!(failed["events"], json!(["scan_incomplete"]), "no drift event from an incomplete scan: {failed:#}");
    // Each of the three --once runs of `clean` left a run folder.
    assert_eq!(runs(&dir.path().join("palisade-reports/clean")).len(), 3);

    // --check: the 5-field form runs on weekdays (1-5 is Monday to Friday) at 03:00:00 UTC.
    let out = run(dir.path(), None, &["--config", "palisade.toml", "--check", "--job", "clean"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(cron: 0 0 3 * * 2,3,4,5,6)"), "{text}");
    let next: Vec<jiff::civil::DateTime> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("next: "))
        .map(|l| {
            let stamp = l.split(' ').next().unwrap_or("");
            jiff::tz::Offset::UTC.to_datetime(stamp.parse::<jiff::Timestamp>().expect("an RFC 3339 time"))
        })
        .collect();
    assert_eq!(next.len(), 3, "{text}");
    for t in &next {
        assert!(!matches!(t.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday), "{t} in {text}");
        assert_eq!((t.hour(), t.minute(), t.second()), (3, 0, 0), "{text}");
    }
}

#[test]
fn schedule_webhook_is_retried_and_carries_the_run() {
    let session = moto::session();
    let dir = tempfile::tempdir().expect("tempdir");
    seed_bucket_and_states(&session, dir.path());
    let hook = hook(&[500, 200]);
    let config = format!(
        r#"
[[job]]
name = "hooked"
schedule = "0 */6 * * *"
timezone = "Europe/Paris"
regions = ["eu-west-1"]
endpoint_url = "{endpoint}"
state = ["drifted.tfstate"]
webhook = {{ url = "{url}", retries = 3, retry_backoff_ms = 50, timeout_secs = 5 }}
"#,
        endpoint = session.endpoint(),
        url = hook.url
    );
    std::fs::write(dir.path().join("palisade.toml"), config).expect("write the config");
    let out = run(dir.path(), Some(&session), &["--config", "palisade.toml", "--once", "--log-format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let bodies = hook.bodies.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(bodies.len(), 2, "the first attempt got 500, the retry 200: {bodies:#?}\n{}", stderr(&out));
    assert_eq!(bodies[0], bodies[1], "a retry sends the same event");
    let event = &bodies[1];
    let run_dir = std::fs::canonicalize(dir.path().join("palisade-reports/hooked/latest")).expect("latest");
    let run_id = run_dir.file_name().expect("a name").to_string_lossy().into_owned();
    assert_eq!(event["format"], "palisade-schedule-event");
    assert_eq!(event["version"], 1);
    assert_eq!(event["event"], "drift_detected");
    assert_eq!(event["job"], "hooked");
    assert_eq!(event["run_id"], run_id.as_str());
    assert_eq!(event["exit_code"], 1);
    let time = event["time"].as_str().expect("time");
    assert!(time.parse::<jiff::Timestamp>().is_ok(), "RFC 3339: {time}");
    assert_eq!(event["counts"]["resources"], 2, "the bucket and the default security group");
    assert_eq!(event["counts"]["drift"], json!({"missing": 1, "unmanaged": 0, "changed": 0}));
    assert_eq!(event["counts"]["violations"], Value::Null);
    assert_eq!(event["counts"]["remediation"], Value::Null);
    let path = |key: &str| PathBuf::from(event["reports"][key].as_str().unwrap_or_else(|| panic!("{key}: {event:#}")));
    assert_eq!(std::fs::canonicalize(path("dir")).expect("the run folder"), run_dir);
    assert!(path("drift").is_file() && path("inventory").is_file() && path("run").is_file(), "{event:#}");
    assert_eq!(event["reports"]["violations"], Value::Null);
    // JSON logs, one object a line: the failed attempt, then the delivery.
    let logs: Vec<Value> = stderr(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}")))
        .collect();
    let find = |message: &str| logs.iter().find(|l| l["message"] == message);
    let retry = find("webhook attempt failed; retrying").expect("the retry is logged");
    assert_eq!(retry["error"], "HTTP 500");
    let delivered = find("webhook delivered").expect("the delivery is logged");
    assert_eq!(delivered["attempts"], 2);
    assert_eq!(delivered["event"], "drift_detected");
    assert_eq!(find("run finished").expect("the run is logged")["run_id"], run_id.as_str());
}

/// `DIR/policy-config.json`: only `required-tags`, at level remediate, with
/// defaults for `owner` and `cost-center`.
fn write_tag_policy_config(dir: &Path) {
    std::fs::write(
        dir.join("policy-config.json"),
        json!({"all": "disabled", "required-tags": {"enforcementLevel": "remediate", "tags": ["owner", "cost-center"],
               "defaults": {"owner": "platform", "cost-center": "0000"}}})
        .to_string(),
    )
    .expect("write the pack config");
}

#[test]
fn schedule_auto_remediation_sends_applied_and_failed_events() {
    let session = moto::session();
    let dir = tempfile::tempdir().expect("tempdir");
    // Tagged, without the required keys. Moto's tagging API tags buckets,
    // and refuses queues (FailedResourcesMap).
    session.seed(&json!({"resources": [
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "palisade-web", "tags": {"team": "web"}},
        {"kind": "sqs_queue", "region": "eu-west-1", "name": "orders", "tags": {"team": "shop"}},
    ]}));
    write_tag_policy_config(dir.path());
    let hook = hook(&[200]);
    let config = format!(
        r#"
[defaults]
schedule = "@daily"
regions = ["eu-west-1"]
endpoint_url = "{endpoint}"
packs = ["builtin:aws-baseline"]
pack_config = "policy-config.json"
auto_remediate = true
webhook = {{ url = "{url}", retry_backoff_ms = 50 }}

[[job]]
name = "buckets"
resource_types = ["s3"]

[[job]]
name = "queues"
resource_types = ["sqs"]
"#,
        endpoint = session.endpoint(),
        url = hook.url
    );
    std::fs::write(dir.path().join("palisade.toml"), config).expect("write the config");
    let out = run(dir.path(), Some(&session), &["--config", "palisade.toml", "--once"]);
    assert_eq!(code(&out), 1, "the queue's change failed: {}", stderr(&out));
    let buckets = read_json(&dir.path().join("palisade-reports/buckets/latest/run.json"));
    assert_eq!(buckets["exit_code"], 0, "everything applied: {buckets:#}");
    assert_eq!(buckets["events"], json!(["remediation_applied"]), "{buckets:#}");
    assert_eq!(buckets["counts"]["violations"], 1, "{buckets:#}");
    assert_eq!(buckets["counts"]["remediation"]["applied"], 1, "{buckets:#}");
    assert!(dir.path().join("palisade-reports/buckets/latest/remediation/remediation.html").is_file());
    assert!(dir.path().join("palisade-reports/buckets/latest/violations.json").is_file());
    let queues = read_json(&dir.path().join("palisade-reports/queues/latest/run.json"));
    assert_eq!(queues["exit_code"], 1, "{queues:#}");
    assert_eq!(queues["events"], json!(["remediation_failed"]), "{queues:#}");
    assert_eq!(queues["counts"]["remediation"]["failed"], 1, "{queues:#}");
    let mut sent: Vec<(String, String)> = hook
        .bodies
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|b| (b["job"].as_str().unwrap_or("").to_string(), b["event"].as_str().unwrap_or("").to_string()))
        .collect();
    sent.sort();
    assert_eq!(
        sent,
        vec![
            ("buckets".to_string(), "remediation_applied".to_string()),
            ("queues".to_string(), "remediation_failed".to_string())
        ]
    );
    // The bucket now has the tags: a second run finds nothing to do and sends nothing.
    let out = run(dir.path(), Some(&session), &["--config", "palisade.toml", "--once", "--job", "buckets"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let again = read_json(&dir.path().join("palisade-reports/buckets/latest/run.json"));
    assert_eq!(again["counts"]["violations"], 0, "{again:#}");
    assert_eq!(again["counts"]["remediation"]["applied"], 0, "{again:#}");
    assert_eq!(again["events"], json!([]), "{again:#}");
    assert_eq!(hook.bodies.lock().unwrap_or_else(|e| e.into_inner()).len(), 2);
}

#[test]
fn schedule_applies_allowed_actions_and_sends_their_counts() {
    let session = moto::session();
    let dir = tempfile::tempdir().expect("tempdir");
    // A public bucket (its action allowed) and a key without rotation (its
    // action not allowed: left to a person).
    session.seed(&json!({"resources": [
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "public-assets", "config": {"acl": "public-read"}},
        {"kind": "kms_key", "region": "eu-west-1", "name": "data-key", "config": {"rotation": false}},
    ]}));
    let hook = hook(&[200]);
    let config = format!(
        r#"
[[job]]
name = "actions"
schedule = "@daily"
regions = ["eu-west-1"]
resource_types = ["s3", "kms"]
endpoint_url = "{endpoint}"
packs = ["builtin:aws-baseline"]
enforcement = {{ all = "disabled", "aws-s3-bucket-disallow-public-read" = "remediate", "aws-kms-key-enable-key-rotation" = "remediate" }}
auto_remediate = true
allow_actions = ["s3.block-public-access"]
max_changes = 5
webhook = {{ url = "{url}", retry_backoff_ms = 50 }}
"#,
        endpoint = session.endpoint(),
        url = hook.url
    );
    std::fs::write(dir.path().join("palisade.toml"), config).expect("write the config");
    let out = run(dir.path(), Some(&session), &["--config", "palisade.toml", "--check"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("remediate --apply (actions allowed: s3.block-public-access; max changes 5)"), "{text}");
    let out = run(dir.path(), Some(&session), &["--config", "palisade.toml", "--once"]);
    let record = read_json(&dir.path().join("palisade-reports/actions/latest/run.json"));
    assert_eq!(code(&out), 1, "the key's fix is left to a person: {}\n{record:#}", stderr(&out));
    let remediate = record["phases"].as_array().and_then(|p| p.last()).expect("phases");
    assert_eq!(remediate["phase"], "remediate", "{record:#}");
    let args: Vec<&str> = remediate["args"].as_array().expect("args").iter().filter_map(Value::as_str).collect();
    let at = args.iter().position(|a| *a == "--apply").expect("--apply");
    assert_eq!(args[at..at + 5], ["--apply", "--allow-action", "s3.block-public-access", "--max-changes", "5"]);
    assert_eq!(record["events"], json!(["remediation_applied"]), "{record:#}");
    let counts = &record["counts"]["remediation"];
    assert_eq!(
        *counts,
        json!({"planned": 2, "applied": 1, "failed": 0, "needs_human": 1, "fixed": 1, "pending": 0,
               "still_violating": 0, "unverified": 0, "not_applied_max_changes": 0}),
        "{record:#}"
    );
    let bodies = hook.bodies.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    assert_eq!(bodies[0]["event"], "remediation_applied");
    assert_eq!(bodies[0]["counts"]["remediation"], *counts);
}

#[test]
fn schedule_refuses_unknown_action_kinds_and_bounds_without_auto_remediate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let job = |extra: &str| {
        format!("[[job]]\nname = \"fix\"\nschedule = \"@daily\"\npacks = [\"builtin:aws-baseline\"]\n{extra}\n")
    };
    let refused = |extra: &str| {
        std::fs::write(dir.path().join("bad.toml"), job(extra)).expect("write the config");
        let out = run(dir.path(), None, &["--config", "bad.toml", "--check"]);
        assert_eq!(code(&out), 2, "{extra}: {}", stderr(&out));
        stderr(&out)
    };
    let e = refused("auto_remediate = true\nallow_actions = [\"s3.make-private\"]");
    assert!(
        e.contains("job \"fix\" (job[0]).allow_actions: \"s3.make-private\" is not an action kind")
            && e.contains("s3.block-public-access, ec2.revoke-ingress"),
        "{e}"
    );
    let e = refused("auto_remediate = true\nmax_changes = 0");
    assert!(e.contains("job \"fix\" (job[0]).max_changes: 0 is out of range"), "{e}");
    let e = refused("allow_actions = [\"all\"]");
    assert!(e.contains("job \"fix\" (job[0]).allow_actions") && e.contains("auto_remediate = true"), "{e}");
}

#[test]
fn schedule_skips_ticks_while_a_run_is_going() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        r#"
[[job]]
name = "slow"
schedule = "* * * * * *"
regions = ["eu-west-1"]
endpoint_url = "{endpoint}"
max_attempts = 1
attempt_timeout_secs = 3
"#,
        endpoint = stalling_endpoint().url
    );
    std::fs::write(dir.path().join("palisade.toml"), config).expect("write the config");
    let job_dir = dir.path().join("palisade-reports/slow");
    let mut child = start(dir.path(), None, &["--config", "palisade.toml", "--grace-secs", "20"]);
    wait_until(Duration::from_secs(15), "a tick skipped", dir.path(), || log(dir.path()).contains("tick skipped"));
    assert!(entries(&job_dir).iter().any(|n| n.starts_with(".tmp-")), "a run is going: {:?}", entries(&job_dir));
    // The scan times out after 3 s; the run is published with the ticks it skipped.
    wait_until(Duration::from_secs(15), "the first run finished", dir.path(), || {
        log(dir.path()).contains("run finished")
    });
    // SIGTERM stops the next run's scan (if one started): that run is removed.
    sigterm(&child);
    assert_eq!(wait(&mut child, Duration::from_secs(10), dir.path()), 0, "{}", log(dir.path()));
    let text = log(dir.path());
    assert!(text.contains("tick skipped: the previous run is still going"), "{text}");
    let first_run = text.find("run started").expect("a run started");
    let first_end = text.find("run finished").expect("a run finished");
    assert!(!text[first_run + 1..first_end].contains("run started"), "no run overlaps another: {text}");
    let names = entries(&job_dir);
    assert!(!names.iter().any(|n| n.starts_with(".tmp-")), "{names:?}");
    assert_eq!(runs(&job_dir).len(), 1, "{names:?}");
    let record = read_json(&job_dir.join("latest/run.json"));
    assert!(record["skipped_ticks"].as_u64().unwrap_or(0) >= 1, "{record:#}");
    assert_eq!(record["events"], json!(["scan_incomplete"]), "{record:#}");
    assert_eq!(record["exit_code"], 2);
}

#[test]
fn schedule_sigterm_stops_a_scan_at_once_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stall = stalling_endpoint();
    let config = format!(
        r#"
[[job]]
name = "stuck"
schedule = "* * * * * *"
regions = ["eu-west-1"]
endpoint_url = "{endpoint}"
max_attempts = 1
attempt_timeout_secs = 60
"#,
        endpoint = stall.url
    );
    std::fs::write(dir.path().join("palisade.toml"), config).expect("write the config");
    let job_dir = dir.path().join("palisade-reports/stuck");
    let mut child = start(dir.path(), None, &["--config", "palisade.toml", "--grace-secs", "30"]);
    wait_until(Duration::from_secs(10), "a run started", dir.path(), || {
        log(dir.path()).contains("run started") && *stall.accepted.lock().unwrap_or_else(|e| e.into_inner()) > 0
    });
    assert!(entries(&job_dir).iter().any(|n| n.starts_with(".tmp-")), "{:?}", entries(&job_dir));
    let signalled = Instant::now();
    sigterm(&child);
    assert_eq!(wait(&mut child, Duration::from_secs(10), dir.path()), 0, "{}", log(dir.path()));
    assert!(
        signalled.elapsed() < Duration::from_secs(8),
        "the scan got SIGTERM and ended: no wait for the 30 s grace, nor the scan's 60 s"
    );
    let text = log(dir.path());
    assert!(text.contains("SIGTERM sent to the phase"), "{text}");
    assert!(!text.contains("grace period over"), "{text}");
    assert!(text.contains("run abandoned at shutdown before remediation"), "{text}");
    assert_eq!(entries(&job_dir), vec![".lock".to_string()], "no run, no temporary folder, no latest");
    // The scan's process ended: its connection closed (it would have waited 60 s).
    wait_until(Duration::from_secs(3), "the scan's connection closed", dir.path(), || {
        let accepted = *stall.accepted.lock().unwrap_or_else(|e| e.into_inner());
        *stall.closed.lock().unwrap_or_else(|e| e.into_inner()) == accepted
    });
}

#[test]
fn schedule_config_errors_name_the_job_and_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let check = |config: &str| {
        std::fs::write(dir.path().join("bad.toml"), config).expect("write the config");
        let out = run(dir.path(), None, &["--config", "bad.toml", "--check"]);
        assert_eq!(code(&out), 2, "{config}: {}", stderr(&out));
        stderr(&out)
    };
    let e = check("[[job]]\nname = \"nightly\"\nschedule = \"61 * * * *\"\n");
    assert!(
        e.contains("bad.toml") && e.contains("job \"nightly\"") && e.contains("schedule") && e.contains("61 * * * *"),
        "{e}"
    );
    let e = check("[[job]]\nname = \"nightly\"\nschedule = \"* * *\"\n");
    assert!(e.contains("job \"nightly\"") && e.contains("3 fields"), "{e}");
    let e = check("[[job]]\nname = \"paris\"\nschedule = \"0 9 * * *\"\ntimezone = \"Europe/Pariss\"\n");
    assert!(e.contains("job \"paris\"") && e.contains("timezone") && e.contains("Europe/Pariss"), "{e}");
    let e = check(
        "[[job]]\nname = \"a\"\nschedule = \"@daily\"\n\n[[job]]\nname = \"b\"\nschedule = \"@daily\"\nregion = [\"eu-west-1\"]\n",
    );
    assert!(
        e.contains("job \"b\" (job[1]).region") && e.contains("unknown field `region`") && e.contains("line 8"),
        "{e}"
    );
    let e = check(
        "[defaults]\nwebhok = { url = \"http://127.0.0.1:9\" }\n\n[[job]]\nname = \"a\"\nschedule = \"@daily\"\n",
    );
    assert!(e.contains("defaults.webhok") && e.contains("unknown field"), "{e}");
    let e = check("[[job]]\nname = \"a\"\nschedule = \"@daily\"\nwebhook = { url = \"ftp://example.com\" }\n");
    assert!(e.contains("job \"a\" (job[0]).webhook.url"), "{e}");
    let e = check("[[job]]\nname = \"a\"\nschedule = \"@daily\"\nhistory = 0\n");
    assert!(e.contains("job \"a\" (job[0]).history"), "{e}");
    let e = check("[[job]]\nname = \"a\"\nschedule = \"@daily\"\nstate = [\"missing.tfstate\"]\n");
    assert!(e.contains("job \"a\" (job[0]).state") && e.contains("missing.tfstate"), "{e}");
    let e = check("[[job]]\nname = \"a\"\nschedule = \"@daily\"\n\n[[job]]\nname = \"a\"\nschedule = \"@daily\"\n");
    assert!(e.contains("job[1]") && e.contains("\"a\" is used by an earlier job"), "{e}");

    // A valid file: 6-field cron with seconds, and a timezone with DST.
    std::fs::write(
        dir.path().join("good.toml"),
        "[[job]]\nname = \"ny\"\nschedule = \"30 0 9 * * *\"\ntimezone = \"America/New_York\"\n",
    )
    .expect("write the config");
    let out = run(dir.path(), None, &["--config", "good.toml", "--check"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    // 09:00:30 in New York is 13:00:30 or 14:00:30 UTC.
    let nexts: Vec<&str> = text.lines().filter_map(|l| l.trim().strip_prefix("next: ")).collect();
    assert_eq!(nexts.len(), 3, "{text}");
    for next in nexts {
        assert!(next.contains("T13:00:30Z") || next.contains("T14:00:30Z"), "{next}");
        assert!(next.contains("T09:00:30-0"), "{next}");
    }
}

#[test]
fn schedule_example_runs_once_on_moto() {
    let session = moto::session();
    let dir = tempfile::tempdir().expect("tempdir");
    for file in ["palisade.toml", "tag-policy.yaml", "terraform.tfstate"] {
        std::fs::copy(crate::support::repo(&format!("examples/schedule/{file}")), dir.path().join(file))
            .unwrap_or_else(|e| panic!("copy {file}: {e}"));
    }
    session.seed(&json!({"resources": [
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "schedule-example-logs",
         "tags": {"owner": "data-team", "cost-center": "4242"}},
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "schedule-example-assets", "tags": {"env": "prod"}},
    ]}));
    let out = run(dir.path(), Some(&session), &["--config", "palisade.toml", "--check"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(dir.path(), Some(&session), &["--config", "palisade.toml", "--once"]);
    let drift = read_json(&dir.path().join("palisade-reports/drift/latest/run.json"));
    let tags = read_json(&dir.path().join("palisade-reports/tags/latest/run.json"));
    assert_eq!(code(&out), 1, "{}\n{drift:#}\n{tags:#}", stderr(&out));
    assert_eq!(drift["events"], json!(["drift_detected"]), "the assets bucket is unmanaged: {drift:#}");
    assert_eq!(drift["counts"]["drift"], json!({"missing": 0, "unmanaged": 1, "changed": 0}));
    assert_eq!(tags["events"], json!(["remediation_applied"]), "{tags:#}");
    assert_eq!(tags["counts"]["remediation"]["applied"], 1, "the assets bucket got its tags: {tags:#}");
}

#[test]
fn schedule_refuses_a_job_folder_another_process_uses() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("palisade.toml"),
        "[[job]]\nname = \"yearly\"\nschedule = \"@yearly\"\nregions = [\"eu-west-1\"]\n",
    )
    .expect("write the config");
    let mut daemon = start(dir.path(), None, &["--config", "palisade.toml", "--log-format", "json"]);
    wait_until(Duration::from_secs(10), "the job scheduled", dir.path(), || log(dir.path()).contains("job scheduled"));
    let out = run(dir.path(), None, &["--config", "palisade.toml", "--once"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("is in use by another `palisade schedule` process"), "{}", stderr(&out));
    // With no run in progress, SIGTERM stops it at once.
    sigterm(&daemon);
    assert_eq!(wait(&mut daemon, Duration::from_secs(5), dir.path()), 0, "{}", log(dir.path()));
    let scheduled: Value = log(dir.path())
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .find(|l| l["message"] == "job scheduled")
        .expect("a `job scheduled` line");
    assert_eq!(scheduled["job"], "yearly");
    let next = scheduled["next_run"].as_str().expect("next_run");
    assert!(next.ends_with("-01-01T00:00:00Z"), "@yearly: {next}");
    assert_eq!(runs(&dir.path().join("palisade-reports/yearly")), Vec::<String>::new());
}

#[test]
fn schedule_run_timeout_stops_the_phase_and_publishes_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stall = stalling_endpoint();
    let config = format!(
        "[[job]]\nname = \"bounded\"\nschedule = \"@hourly\"\nregions = [\"eu-west-1\"]\nendpoint_url = \"{}\"\nmax_attempts = 1\nattempt_timeout_secs = 60\nrun_timeout_secs = 1\n",
        stall.url
    );
    std::fs::write(dir.path().join("palisade.toml"), config).expect("write the config");
    let started = Instant::now();
    let out = run(dir.path(), None, &["--config", "palisade.toml", "--once"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(10), "stopped at the 1 s limit, not the scan's 60 s");
    let record = read_json(&dir.path().join("palisade-reports/bounded/latest/run.json"));
    let scan = &record["phases"][0];
    assert_eq!(scan["phase"], "scan");
    assert_eq!(scan["timed_out"], true, "{record:#}");
    assert_eq!(scan["exit_code"], Value::Null);
    assert!(scan["error"].as_str().is_some_and(|e| e.contains("run_timeout_secs")), "{record:#}");
    assert_eq!(record["events"], json!(["scan_incomplete"]));
}

/// A TCP proxy in front of `upstream` (`http://HOST:PORT`) that holds each
/// request naming `TagResources` for `delay` before forwarding it, and
/// says when one arrived: a slow tagging call to be interrupted.
struct SlowTagging {
    url: String,
    seen: Arc<AtomicBool>,
}

fn slow_tagging_proxy(upstream: &str, delay: Duration) -> SlowTagging {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let upstream = upstream.trim_start_matches("http://").to_string();
    let seen = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&seen);
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else { continue };
            let (Ok(mut from_client), Ok(mut to_server)) = (client.try_clone(), server.try_clone()) else { continue };
            let (mut from_server, mut to_client) = (server, client);
            thread::spawn(move || {
                let _ = std::io::copy(&mut from_server, &mut to_client);
                let _ = to_client.shutdown(std::net::Shutdown::Write);
            });
            let flag = Arc::clone(&flag);
            thread::spawn(move || {
                let mut buf = vec![0u8; 1 << 16];
                loop {
                    let n = match from_client.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if buf[..n].windows(12).any(|w| w == b"TagResources") {
                        flag.store(true, Ordering::SeqCst);
                        thread::sleep(delay);
                    }
                    if to_server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to_server.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    SlowTagging { url, seen }
}

#[test]
fn schedule_webhook_delivery_does_not_hold_the_next_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Each run fails fast (nothing listens on port 1): one scan_incomplete
    // event a second, to a webhook that always answers 500 and whose
    // retries take 2 + 4 + 8 s.
    let hook = hook(&[500]);
    let config = format!(
        r#"
[[job]]
name = "hooked"
schedule = "* * * * * *"
regions = ["eu-west-1"]
endpoint_url = "http://127.0.0.1:1"
max_attempts = 1
attempt_timeout_secs = 2
webhook = {{ url = "{url}", retries = 3, retry_backoff_ms = 2000, timeout_secs = 5 }}
"#,
        url = hook.url
    );
    std::fs::write(dir.path().join("palisade.toml"), config).expect("write the config");
    let mut child = start(dir.path(), None, &["--config", "palisade.toml", "--grace-secs", "1"]);
    wait_until(Duration::from_secs(10), "three runs finished", dir.path(), || {
        log(dir.path()).matches("run finished").count() >= 3
    });
    let signalled = Instant::now();
    sigterm(&child);
    assert_eq!(wait(&mut child, Duration::from_secs(10), dir.path()), 0, "{}", log(dir.path()));
    assert!(signalled.elapsed() < Duration::from_secs(5), "deliveries get the 1 s grace, not their 14 s of retries");
    let text = log(dir.path());
    assert!(!text.contains("tick skipped"), "the webhook's retries do not hold the run: {text}");
    assert!(text.contains("webhook attempt failed; retrying"), "{text}");
    assert!(text.contains("webhook delivery abandoned at shutdown"), "{text}");
    let job_dir = dir.path().join("palisade-reports/hooked");
    for run in runs(&job_dir) {
        let record = read_json(&job_dir.join(&run).join("run.json"));
        assert_eq!(record["skipped_ticks"], 0, "{record:#}");
        assert_eq!(record["events"], json!(["scan_incomplete"]), "{record:#}");
    }
    // One job's events go out in order: every attempt so far was for the first run.
    let bodies = hook.bodies.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(!bodies.is_empty(), "{text}");
    let first = runs(&job_dir).into_iter().next().expect("a run");
    assert!(bodies.iter().all(|b| b["run_id"] == first.as_str()), "{bodies:#?}");
}

#[test]
fn schedule_sigterm_during_remediation_publishes_the_run_as_interrupted() {
    let session = moto::session();
    let dir = tempfile::tempdir().expect("tempdir");
    // Two buckets missing different tags: two TagResources calls.
    session.seed(&json!({"resources": [
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "palisade-web", "tags": {"owner": "web"}},
        {"kind": "s3_bucket", "region": "eu-west-1", "name": "palisade-logs", "tags": {"team": "ops"}},
    ]}));
    write_tag_policy_config(dir.path());
    let proxy = slow_tagging_proxy(&session.endpoint(), Duration::from_secs(1));
    let config = format!(
        r#"
[[job]]
name = "tags"
schedule = "@daily"
regions = ["eu-west-1"]
resource_types = ["s3"]
endpoint_url = "{endpoint}"
packs = ["builtin:aws-baseline"]
pack_config = "policy-config.json"
auto_remediate = true
"#,
        endpoint = proxy.url
    );
    std::fs::write(dir.path().join("palisade.toml"), config).expect("write the config");
    let mut child = start(dir.path(), Some(&session), &["--config", "palisade.toml", "--once", "--grace-secs", "2"]);
    wait_until(Duration::from_secs(30), "a TagResources call in flight", dir.path(), || {
        proxy.seen.load(Ordering::SeqCst)
    });
    sigterm(&child);
    assert_eq!(wait(&mut child, Duration::from_secs(15), dir.path()), 2, "an interrupted run counts 2");
    let text = log(dir.path());
    assert!(text.contains("SIGTERM sent to the phase"), "{text}");
    assert!(text.contains("run interrupted at shutdown during remediation"), "{text}");
    // The run is kept, whole, but `latest` names complete runs only.
    let job_dir = dir.path().join("palisade-reports/tags");
    let kept = runs(&job_dir);
    assert_eq!(kept.len(), 1, "{:?}", entries(&job_dir));
    assert!(!entries(&job_dir).iter().any(|n| n.starts_with(".tmp-") || n == "latest"), "{:?}", entries(&job_dir));
    let run_dir = job_dir.join(&kept[0]);
    let record = read_json(&run_dir.join("run.json"));
    assert_eq!(record["interrupted"], true, "{record:#}");
    assert_eq!(record["exit_code"], 2, "{record:#}");
    assert_eq!(record["events"], json!(["remediation_failed"]), "{record:#}");
    let remediate = record["phases"].as_array().and_then(|p| p.last()).expect("phases");
    assert_eq!(remediate["phase"], "remediate", "{record:#}");
    assert!(remediate["error"].as_str().is_some_and(|e| e.contains("interrupted at shutdown")), "{record:#}");
    for file in ["inventory.json", "violations.json", "logs/scan.log", "logs/check.log", "logs/remediate.log"] {
        assert!(run_dir.join(file).is_file(), "{file} kept: {:?}", entries(&run_dir));
    }
    // A `remediate` that stops after its call in flight writes its report:
    // the call sent is applied, the other marked failed "interrupted".
    let report = run_dir.join("remediation/remediation.json");
    if report.is_file() {
        let report = read_json(&report);
        assert_eq!(report["summary"]["applied"], 1, "{report:#}");
        assert_eq!(report["summary"]["failed"], 1, "{report:#}");
        let failed = report["changes"].as_array().expect("changes").iter().find(|c| c["status"] == "failed");
        assert!(failed.is_some_and(|c| c["error"].as_str().is_some_and(|e| e.contains("interrupted"))), "{report:#}");
        assert_eq!(record["counts"]["remediation"]["applied"], 1, "{record:#}");
    }
}

#[test]
fn schedule_check_refuses_what_would_fail_every_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a-file"), "").expect("write a file");
    let job = |extra: &str| format!("[[job]]\nname = \"nightly\"\nschedule = \"@daily\"\n{extra}\n");
    for args in [&["--config", "bad.toml", "--check"][..], &["--config", "bad.toml"][..]] {
        let refused = |extra: &str| {
            std::fs::write(dir.path().join("bad.toml"), job(extra)).expect("write the config");
            let out = run(dir.path(), None, args);
            assert_eq!(code(&out), 2, "{extra} ({args:?}): {}", stderr(&out));
            stderr(&out)
        };
        let e = refused("regions = [\"eu-west-1\", \"mars-1\"]");
        assert!(e.contains("job \"nightly\" (job[0]).regions") && e.contains("\"mars-1\" is not an AWS region"), "{e}");
        let e = refused("resource_types = [\"s3\", \"aws_s3_buckets\"]");
        assert!(e.contains("job \"nightly\" (job[0]).resource_types") && e.contains("aws_s3_buckets"), "{e}");
        let e = refused("reports = \"a-file\"");
        assert!(e.contains("job \"nightly\" (job[0]).reports") && e.contains("a-file is not a folder"), "{e}");
    }
    // A region of the right form that Palisade does not know: a warning, as `scan` gives.
    std::fs::write(dir.path().join("odd.toml"), job("regions = [\"eu-mars-1\"]")).expect("write the config");
    let out = run(dir.path(), None, &["--config", "odd.toml", "--check"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("warning: odd.toml: job \"nightly\" (job[0]).regions: eu-mars-1 is not a region Palisade knows"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn schedule_cron_errors_name_the_field_and_its_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = |schedule: &str| {
        std::fs::write(dir.path().join("bad.toml"), format!("[[job]]\nname = \"n\"\nschedule = \"{schedule}\"\n"))
            .expect("write the config");
        let out = run(dir.path(), None, &["--config", "bad.toml", "--check"]);
        assert_eq!(code(&out), 2, "{schedule}: {}", stderr(&out));
        stderr(&out)
    };
    let e = refused("61 * * * *");
    assert!(e.contains("schedule: \"61 * * * *\": minute 61 is out of range 0-59"), "{e}");
    assert!(!e.contains("0 61") && !e.contains("less than 59"), "the user's expression only, a right range: {e}");
    let e = refused("0 9 * 13 1-5");
    assert!(e.contains("month 13 is out of range 1-12"), "{e}");
    let e = refused("0 0 25 * * *");
    assert!(e.contains("hour 25 is out of range 0-23"), "{e}");
    let e = refused("*/90 * * * * *");
    assert!(e.contains("second step 90 is out of range 1-59"), "{e}");
    let e = refused("@reboot");
    assert!(e.contains("schedule: \"@reboot\": @reboot is not supported"), "{e}");
}

#[test]
fn schedule_warns_of_cron_lines_that_differ_from_crontab_in_check_and_in_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 1 January that is a Monday: 2029; both day fields restricted.
    let config = "[[job]]\nname = \"new-year-monday\"\nschedule = \"0 0 1 1 MON\"\nregions = [\"eu-west-1\"]\n\
                  [[job]]\nname = \"weekdays\"\nschedule = \"0 0 9 * * 2-6\"\nregions = [\"eu-west-1\"]\n\
                  [[job]]\nname = \"plain\"\nschedule = \"0 9 * * MON-FRI\"\nregions = [\"eu-west-1\"]\n";
    std::fs::write(dir.path().join("palisade.toml"), config).expect("write the config");
    let out = run(dir.path(), None, &["--config", "palisade.toml", "--check"]);
    assert_eq!(code(&out), 0, "warnings do not fail --check: {}", stderr(&out));
    let e = stderr(&out);
    let warnings: Vec<&str> = e.lines().filter(|l| l.starts_with("palisade: warning: ")).collect();
    assert_eq!(warnings.len(), 2, "{e}");
    assert!(
        warnings[0].contains("job \"new-year-monday\" (job[0]).schedule: \"0 0 1 1 MON\": day of month \"1\" and day of week \"MON\" are both restricted"),
        "{e}"
    );
    assert!(warnings[1].contains("job \"weekdays\" (job[1]).schedule") && warnings[1].contains("means MON-FRI"), "{e}");
    // --check shows when it really runs: a 1 January that is a Monday.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("next: 2029-01-01T00:00:00Z"), "{text}");

    // Running, the same warnings are log events.
    let mut daemon = start(dir.path(), None, &["--config", "palisade.toml", "--log-format", "json"]);
    wait_until(Duration::from_secs(10), "the jobs scheduled", dir.path(), || {
        log(dir.path()).matches("job scheduled").count() >= 3
    });
    sigterm(&daemon);
    assert_eq!(wait(&mut daemon, Duration::from_secs(5), dir.path()), 0, "{}", log(dir.path()));
    let logged: Vec<String> = log(dir.path())
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .filter(|l| l["message"] == "configuration warning" && l["level"] == "WARN")
        .map(|l| l["warning"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(logged.len(), 2, "{}", log(dir.path()));
    assert!(logged[0].contains("are both restricted") && logged[1].contains("means MON-FRI"), "{logged:?}");
}

#[test]
fn schedule_points_latest_at_the_newest_complete_run_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("palisade.toml"),
        "[[job]]\nname = \"yearly\"\nschedule = \"@yearly\"\nregions = [\"eu-west-1\"]\n",
    )
    .expect("write the config");
    // Runs of an earlier process that stopped between a complete run's
    // rename and its link: `latest` names the run before; the newest run
    // was interrupted.
    let job_dir = dir.path().join("palisade-reports/yearly");
    for (id, interrupted) in [("20261130T100000Z", false), ("20261130T110000Z", false), ("20261130T120000Z", true)] {
        std::fs::create_dir_all(job_dir.join(id)).expect("a run folder");
        let record = json!({"format": "palisade-schedule-run", "version": 1, "run_id": id, "interrupted": interrupted});
        std::fs::write(job_dir.join(id).join("run.json"), record.to_string()).expect("its run.json");
    }
    std::os::unix::fs::symlink("20261130T100000Z", job_dir.join("latest")).expect("latest");
    let mut daemon = start(dir.path(), None, &["--config", "palisade.toml"]);
    wait_until(Duration::from_secs(10), "the job scheduled", dir.path(), || log(dir.path()).contains("job scheduled"));
    sigterm(&daemon);
    assert_eq!(wait(&mut daemon, Duration::from_secs(5), dir.path()), 0, "{}", log(dir.path()));
    let text = log(dir.path());
    assert!(text.contains("latest did not name the newest complete run: repaired"), "{text}");
    assert!(text.contains("before=\"20261130T100000Z\"") && text.contains("now=\"20261130T110000Z\""), "{text}");
    assert_eq!(std::fs::read_link(job_dir.join("latest")).expect("latest"), PathBuf::from("20261130T110000Z"));
}
