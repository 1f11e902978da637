//! A real local AWS endpoint for the tests: moto server
//! (`tests/support/aws/moto_server.py`), installed by
//! `scripts/install-toolchains.sh moto` into `target/toolchains/moto-venv`.
//!
//! One server per test process, started on first use and stopped when the
//! process exits (it exits when its standard input, a pipe we hold in a
//! static, reaches EOF). Tests take a [`MotoSession`]: it serializes them and
//! resets moto, so each one starts from an empty account.
//!
//! ```ignore
//! let moto = crate::moto::session();
//! let seeded = moto.seed(&json!({"resources": [{"kind": "sqs_queue", "region": "eu-west-1", "name": "q"}]}));
//! let mut cmd = Command::new(env!("CARGO_BIN_EXE_palisade"));
//! moto.command_env(&mut cmd); // credentials, endpoint, no ~/.aws
//! ```
//!
//! Without the venv the tests fail (never skip), naming the install command.
//!
//! The `case_files` target (`tests/case_files/`) includes this module and
//! `support.rs` by path: one harness for both test binaries.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{repo, root};

/// The moto venv's python: `$PALISADE_MOTO_PYTHON`, else
/// `$PALISADE_TOOLCHAINS/moto-venv/bin/python`, else
/// `target/toolchains/moto-venv/bin/python` under the repository root.
pub fn python() -> PathBuf {
    let path = match (std::env::var_os("PALISADE_MOTO_PYTHON"), std::env::var_os("PALISADE_TOOLCHAINS")) {
        (Some(p), _) if !p.is_empty() => PathBuf::from(p),
        (_, Some(dir)) if !dir.is_empty() => PathBuf::from(dir).join("moto-venv/bin/python"),
        _ => repo("target/toolchains/moto-venv/bin/python"),
    };
    assert!(
        path.is_file(),
        "moto is not installed ({} not found); run: scripts/install-toolchains.sh moto",
        path.display()
    );
    path
}

/// A script of `tests/support/aws/`.
fn script(name: &str) -> PathBuf {
    repo(&format!("tests/support/aws/{name}"))
}

/// A log file for a helper's stderr, under Cargo's temporary directory for
/// integration tests (its content is in every failure message about it).
fn log_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn read_log(path: &PathBuf) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(40).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// Spawn `python SCRIPT ARGS` with stdin and stdout piped and stderr to
/// `log`, and read its `PORT <n>` line. The returned stdin keeps it alive.
fn spawn_helper(name: &str, args: &[String], log: &PathBuf) -> (Child, ChildStdin, u16) {
    let stderr = std::fs::File::create(log).unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
    let mut child = Command::new(python())
        .arg(script(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let stdin = child.stdin.take().expect("stdin is piped");
    let mut line = String::new();
    // The helper redirects its stdout to stderr after this line: dropping the reader is safe.
    let read = BufReader::new(child.stdout.take().expect("stdout is piped")).read_line(&mut line);
    let port = line.strip_prefix("PORT ").and_then(|p| p.trim().parse::<u16>().ok());
    match (read, port) {
        (Ok(_), Some(port)) => (child, stdin, port),
        (read, _) => {
            let _ = child.kill();
            let status = child.wait();
            panic!(
                "{name} did not start (read {read:?}, line {line:?}, {status:?}); is moto installed? \
                 run: scripts/install-toolchains.sh moto\n{}:\n{}",
                log.display(),
                read_log(log)
            )
        }
    }
}

/// A minimal HTTP/1.1 request without a body to `127.0.0.1:port`: the status
/// and the body.
fn http(port: u16, method: &str, path: &str) -> (u16, String) {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("cannot connect to 127.0.0.1:{port}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(60))).expect("set a read timeout");
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
    let status = status.unwrap_or_else(|| panic!("{method} {path}: not an HTTP response: {text:?}"));
    (status, body.to_string())
}

/// The moto server of this test process.
pub struct Moto {
    port: u16,
    // Never dropped (a static): the pipe closes when the process exits, and
    // the server exits at that EOF.
    _child: Child,
    _stdin: ChildStdin,
}

static MOTO: OnceLock<Moto> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());

impl Moto {
    fn start() -> Moto {
        let started = Instant::now();
        let (child, stdin, port) = spawn_helper("moto_server.py", &[], &log_file("moto-server.log"));
        eprintln!("moto server on 127.0.0.1:{port}, started in {} ms", started.elapsed().as_millis());
        Moto { port, _child: child, _stdin: stdin }
    }

    fn get() -> &'static Moto {
        MOTO.get_or_init(Moto::start)
    }
}

/// Exclusive use of the moto server by one test, which starts with an empty
/// account. Moto tests run one at a time (a poisoned lock, left by a failed
/// test, is taken over).
pub struct MotoSession {
    moto: &'static Moto,
    _serial: MutexGuard<'static, ()>,
}

/// Take the moto server (starting it on first use) and reset it.
pub fn session() -> MotoSession {
    let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let moto = Moto::get();
    let (status, body) = http(moto.port, "POST", "/moto-api/reset");
    assert_eq!(status, 200, "POST /moto-api/reset: {body}");
    MotoSession { moto, _serial: serial }
}

impl MotoSession {
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.moto.port)
    }

    /// The environment a `palisade` child process needs to talk to this moto:
    /// test credentials, `AWS_ENDPOINT_URL` (set it again to go through a
    /// [`ThrottleProxy`]), no instance metadata, and empty config and
    /// credentials files so `~/.aws` is never read. No region: tests choose.
    /// Use [`MotoSession::command_env`] to also drop the caller's `AWS_*`
    /// variables (`AWS_PROFILE` and the like).
    pub fn aws_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
            ("AWS_CONFIG_FILE", "/dev/null".to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_string()),
            ("AWS_ENDPOINT_URL", self.endpoint()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Remove every `AWS_*` variable of the test process from `cmd`'s
    /// environment (the developer's profile, region, tokens and endpoints
    /// never leak in), then set [`MotoSession::aws_env`].
    pub fn command_env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(name);
            }
        }
        cmd.envs(self.aws_env())
    }

    /// Run `seed.py` on `spec` (see its docstring: `resources`, `tag`,
    /// `untag`) against this moto; its JSON output, `{"resources": [...]}`.
    pub fn seed(&self, spec: &Value) -> Value {
        let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
        file.write_all(spec.to_string().as_bytes()).expect("write the seed spec");
        let mut cmd = Command::new(python());
        cmd.arg(script("seed.py")).arg(file.path());
        let out = self.command_env(&mut cmd).env("AWS_DEFAULT_REGION", "us-east-1").output().expect("seed.py runs");
        assert!(out.status.success(), "seed.py failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("seed.py printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }

    /// Run `from_state.py` on `input` (a path from the repository root: a
    /// Terraform state or plan, or a Pulumi export): the same resources
    /// created in this moto, in `region`, only `types` when not empty. The
    /// rewritten document and the map of what was made (see its docstring).
    pub fn create_from_state(&self, input: &str, region: &str, types: &[&str]) -> (Value, Value) {
        let map = tempfile::NamedTempFile::new().expect("a temporary file");
        let mut cmd = Command::new(python());
        cmd.arg(script("from_state.py")).arg(root().join(input)).args(["--region", region]);
        cmd.arg("--map").arg(map.path());
        if !types.is_empty() {
            cmd.args(["--types", &types.join(",")]);
        }
        let out = self.command_env(&mut cmd).output().expect("from_state.py runs");
        assert!(out.status.success(), "from_state.py {input} failed: {}", String::from_utf8_lossy(&out.stderr));
        let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("from_state.py {input}: {e}"));
        let map = std::fs::read(map.path()).expect("the map");
        (doc, serde_json::from_slice(&map).unwrap_or_else(|e| panic!("from_state.py {input} map: {e}")))
    }

    /// Run a Python snippet with boto3 against `endpoint` (this moto or a
    /// proxy in front of it), test credentials and region `us-east-1`; its
    /// standard output. Fails the test when the snippet fails.
    pub fn run_boto3(&self, endpoint: &str, code: &str) -> String {
        let mut cmd = Command::new(python());
        cmd.arg("-c").arg(code);
        self.command_env(&mut cmd).env("AWS_ENDPOINT_URL", endpoint).env("AWS_DEFAULT_REGION", "us-east-1");
        let out = cmd.output().expect("python runs");
        assert!(
            out.status.success(),
            "python snippet failed ({}):\n{code}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A proxy in front of this moto that answers every `every`th request
    /// (0: none) and every request signed for one of `fail_regions` with a
    /// throttling error (`tests/support/aws/throttle_proxy.py`).
    pub fn throttle_proxy(&self, every: u32, fail_regions: &[&str]) -> ThrottleProxy {
        self.proxy(every, fail_regions, &[])
    }

    /// A proxy as [`MotoSession::throttle_proxy`] that also answers the
    /// operations `blank_targets` (e.g. `GetResources`) with `200 {}`.
    pub fn proxy(&self, every: u32, fail_regions: &[&str], blank_targets: &[&str]) -> ThrottleProxy {
        self.proxy_with(&ProxyOptions {
            every,
            fail_regions: fail_regions.to_vec(),
            blank_targets: blank_targets.to_vec(),
            ..ProxyOptions::default()
        })
    }

    /// A proxy in front of this moto that does what `options` say
    /// (`tests/support/aws/throttle_proxy.py`: errors in each protocol's own
    /// format, calls counted by action).
    pub fn proxy_with(&self, options: &ProxyOptions<'_>) -> ThrottleProxy {
        let args = options.args(&self.endpoint());
        let log = log_file("throttle-proxy.log");
        let (child, stdin, port) = spawn_helper("throttle_proxy.py", &args, &log);
        ThrottleProxy { child, stdin: Some(stdin), port, log }
    }
}

/// What a [`ThrottleProxy`] does besides forwarding to moto; the default
/// forwards everything.
///
/// ```ignore
/// let proxy = moto.proxy_with(&ProxyOptions {
///     deny: vec!["GetBucketAcl"],
///     throttle: vec![("ListBuckets", 2)],
///     ..ProxyOptions::default()
/// });
/// ```
#[derive(Debug, Clone, Default)]
pub struct ProxyOptions<'a> {
    /// Throttle every `every`th request (0: none), counting all requests.
    pub every: u32,
    /// Throttle every request signed (SigV4) for one of these regions.
    pub fail_regions: Vec<&'a str>,
    /// Answer these JSON operations (`X-Amz-Target`'s last part, e.g.
    /// `GetResources`) with `200 {}`: a broken endpoint.
    pub blank_targets: Vec<&'a str>,
    /// Answer every call of these actions (e.g. `GetBucketAcl`,
    /// `DescribeSecurityGroups`) with access denied, in the protocol's own
    /// format (`AccessDenied`, `UnauthorizedOperation`, `AccessDeniedException`).
    pub deny: Vec<&'a str>,
    /// `(action, n)`: throttle the first `n` calls of the action, then forward.
    pub throttle: Vec<(&'a str, u32)>,
    /// `(action, method, path)`: once the first call of the action has been
    /// forwarded and answered, and before the client gets the answer, send
    /// `method path` to moto, e.g. `("ListBuckets", "DELETE", "/my-bucket")`:
    /// a resource deleted between a list call and the calls that follow it.
    pub delete_after: Vec<(&'a str, &'a str, &'a str)>,
}

impl ProxyOptions<'_> {
    /// The command-line arguments of `throttle_proxy.py` in front of `upstream`.
    fn args(&self, upstream: &str) -> Vec<String> {
        let mut args =
            vec!["--upstream".to_string(), upstream.to_string(), "--every".to_string(), self.every.to_string()];
        for region in &self.fail_regions {
            args.extend(["--fail-region".to_string(), region.to_string()]);
        }
        for target in &self.blank_targets {
            args.extend(["--blank-target".to_string(), target.to_string()]);
        }
        for action in &self.deny {
            args.extend(["--deny".to_string(), action.to_string()]);
        }
        for (action, n) in &self.throttle {
            args.extend(["--throttle".to_string(), format!("{action}:{n}")]);
        }
        for (action, method, path) in &self.delete_after {
            args.extend(["--delete-after".to_string(), format!("{action}={method}:{path}")]);
        }
        args
    }
}

/// Runs `palisade ARGS` with the session's AWS environment (moto's
/// credentials, no shared config files).
pub fn palisade_aws(session: &MotoSession, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_palisade"));
    cmd.args(args).current_dir(root()).env("PALISADE_CACHE_DIR", root().join("target/test-cache"));
    session.command_env(&mut cmd);
    cmd.stdin(Stdio::null());
    cmd.output().expect("palisade runs")
}

/// A running `throttle_proxy.py`; killed when dropped.
pub struct ThrottleProxy {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    log: PathBuf,
}

impl ThrottleProxy {
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `{"requests": n, "throttled": m, "forwarded": k, "denied": d,
    /// "actions": {"ACTION": calls, ...}, "delete_after": {"ACTION": status, ...}}`
    /// so far (unrecognised calls count under `"?"`).
    pub fn stats(&self) -> Value {
        let (status, body) = http(self.port, "GET", "/__proxy/stats");
        assert_eq!(status, 200, "GET /__proxy/stats: {body}\n{}:\n{}", self.log.display(), read_log(&self.log));
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("proxy stats are not JSON ({e}): {body}"))
    }

    /// How many calls of `action` (e.g. `GetBucketAcl`) the proxy has seen so
    /// far, whatever it answered (forwarded, throttled or denied).
    pub fn action_count(&self, action: &str) -> u64 {
        self.stats()["actions"][action].as_u64().unwrap_or(0)
    }
}

impl Drop for ThrottleProxy {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Prints the number of distinct ARNs that the tagging API lists in
/// eu-west-1 and us-east-1 (S3 buckets are listed in every region), then the
/// number of buckets.
const COUNT: &str = r#"
import boto3
arns = set()
for region in ["eu-west-1", "us-east-1"]:
    api = boto3.client("resourcegroupstaggingapi", region_name=region)
    for page in api.get_paginator("get_resources").paginate(ResourcesPerPage=100, TagsPerPage=500):
        arns.update(r["ResourceARN"] for r in page["ResourceTagMappingList"])
print(len(arns))
print(len(boto3.client("s3").list_buckets()["Buckets"]))
"#;

/// `(distinct tagged ARNs in eu-west-1 and us-east-1, buckets)` of this moto.
fn count(moto: &MotoSession) -> (usize, usize) {
    let out = moto.run_boto3(&moto.endpoint(), COUNT);
    let n: Vec<usize> = out.lines().map(|l| l.trim().parse().expect("a count")).collect();
    (n[0], n[1])
}

#[test]
fn moto_harness_seeds_and_resets() {
    {
        let moto = session();
        let spec = json!({"resources": [
            {"kind": "s3_bucket", "region": "eu-west-1", "name": "palisade-logs", "tags": {"env": "prod"}},
            {"kind": "s3_bucket", "region": "us-east-1", "name": "palisade-assets", "tags": {"env": "dev"}},
            {"kind": "sqs_queue", "region": "eu-west-1", "name": "orders", "tags": {"team": "shop"}},
        ]});
        let seeded = moto.seed(&spec);
        let got = seeded["resources"].as_array().expect("a resource list");
        assert_eq!(got.len(), 3, "{seeded}");
        assert_eq!(got[0]["arn"], "arn:aws:s3:::palisade-logs");
        assert_eq!(got[0]["id"], "palisade-logs");
        assert_eq!(got[0]["tags"], json!({"env": "prod"}));
        assert_eq!(got[1]["arn"], "arn:aws:s3:::palisade-assets");
        assert_eq!(got[1]["region"], "us-east-1");
        assert_eq!(got[2]["kind"], "sqs_queue");
        assert_eq!(got[2]["arn"], "arn:aws:sqs:eu-west-1:123456789012:orders");
        // Terraform records a queue by its URL, which moto builds from the host it was called on.
        assert_eq!(got[2]["id"], format!("{}/123456789012/orders", moto.endpoint()));
        assert_eq!(count(&moto), (3, 2));

        // Tags change after seeding: the queue goes through SQS's own API (moto's tagging API refuses sqs).
        let change = json!({
            "tag": [{"arn": "arn:aws:s3:::palisade-logs", "region": "eu-west-1", "tags": {"owner": "ops"}}],
            "untag": [{"arn": "arn:aws:sqs:eu-west-1:123456789012:orders", "region": "eu-west-1", "keys": ["team"]}],
        });
        assert_eq!(moto.seed(&change), json!({"resources": []}));
        // The queue has no tag left, so the tagging API no longer lists it.
        assert_eq!(count(&moto), (2, 2));
    }
    // A new session starts from an empty account.
    let moto = session();
    assert_eq!(count(&moto), (0, 0));
    assert_eq!(moto.seed(&json!({"resources": []})), json!({"resources": []}));
}

/// boto3 without retries: `n` tagging API calls in `region` through
/// `endpoint`; how many were throttled.
fn throttled_calls(moto: &MotoSession, endpoint: &str, region: &str, n: u32) -> u32 {
    let code = format!(
        r#"
import boto3, botocore.config, botocore.exceptions
api = boto3.client("resourcegroupstaggingapi", region_name="{region}",
                   config=botocore.config.Config(retries={{"total_max_attempts": 1}}))
throttled = 0
for _ in range({n}):
    try:
        api.get_resources()
    except botocore.exceptions.ClientError as err:
        assert err.response["Error"]["Code"] == "ThrottlingException", err.response
        throttled += 1
print(throttled)
"#
    );
    moto.run_boto3(endpoint, &code).trim().parse().expect("a count")
}

#[test]
fn moto_throttle_proxy_throttles_every_nth_call() {
    let moto = session();
    let proxy = moto.throttle_proxy(2, &[]);
    assert_eq!(throttled_calls(&moto, &proxy.endpoint(), "eu-west-1", 10), 5);
    let stats = proxy.stats();
    assert_eq!(stats["requests"], 10, "{stats}");
    assert_eq!(stats["throttled"], 5, "{stats}");
    assert_eq!(stats["forwarded"], 5, "{stats}");
    assert_eq!(stats["denied"], 0, "{stats}");
    assert_eq!(stats["actions"], json!({"GetResources": 10}), "{stats}");
    assert_eq!(proxy.action_count("GetResources"), 10);
    assert_eq!(proxy.action_count("ListBuckets"), 0);
    // Straight to moto: nothing throttled.
    assert_eq!(throttled_calls(&moto, &moto.endpoint(), "eu-west-1", 2), 0);
}

#[test]
fn moto_throttle_proxy_fails_a_region() {
    let moto = session();
    let proxy = moto.throttle_proxy(0, &["eu-west-1"]);
    assert_eq!(throttled_calls(&moto, &proxy.endpoint(), "eu-west-1", 3), 3);
    assert_eq!(throttled_calls(&moto, &proxy.endpoint(), "us-east-1", 3), 0);
    let stats = proxy.stats();
    assert_eq!(stats["requests"], 6, "{stats}");
    assert_eq!(stats["throttled"], 3, "{stats}");
    assert_eq!(stats["forwarded"], 3, "{stats}");
}

/// Through `endpoint`, boto3 (standard retries, 3 attempts) asks for bucket
/// `kept`'s ACL and location, then lists the buckets; prints the ACL call's
/// error code and HTTP status, the location call's retries, and the names.
const DENY_THROTTLE_DELETE: &str = r#"
import boto3, botocore.config, botocore.exceptions
s3 = boto3.client("s3", config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 3}))
try:
    s3.get_bucket_acl(Bucket="kept")
    print("no-error 200")
except botocore.exceptions.ClientError as err:
    print(err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"])
print(s3.get_bucket_location(Bucket="kept")["ResponseMetadata"]["RetryAttempts"])
print(" ".join(sorted(b["Name"] for b in s3.list_buckets()["Buckets"])))
"#;

#[test]
fn moto_proxy_denies_throttles_and_deletes_by_action() {
    let moto = session();
    moto.seed(&json!({"resources": [
        {"kind": "s3_bucket", "region": "us-east-1", "name": "kept"},
        {"kind": "s3_bucket", "region": "us-east-1", "name": "gone"},
    ]}));
    let proxy = moto.proxy_with(&ProxyOptions {
        deny: vec!["GetBucketAcl"],
        throttle: vec![("GetBucketLocation", 2)],
        delete_after: vec![("ListBuckets", "DELETE", "/gone")],
        ..ProxyOptions::default()
    });
    let out = moto.run_boto3(&proxy.endpoint(), DENY_THROTTLE_DELETE);
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    // S3's own access-denied error; two throttled attempts, then the answer;
    // the list was answered before the bucket was deleted.
    assert_eq!(lines, ["AccessDenied 403", "2", "gone kept"], "{out}");
    assert_eq!(count(&moto).1, 1, "the bucket was deleted after the list call");
    assert_eq!(proxy.action_count("GetBucketAcl"), 1);
    assert_eq!(proxy.action_count("GetBucketLocation"), 3);
    assert_eq!(proxy.action_count("ListBuckets"), 1);
    let stats = proxy.stats();
    assert_eq!(stats["denied"], 1, "{stats}");
    assert_eq!(stats["throttled"], 2, "{stats}");
    assert_eq!(stats["delete_after"], json!({"ListBuckets": 204}), "{stats}");
}
