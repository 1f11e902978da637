//! Components in the sandbox (`engine/runtime/src/runtime/component.rs`): a Python
//! pack built with real WASI 0.2 (`tests/guests/component-probe`, no
//! `--stub-wasi`) reports what it can see and do, and each of its faults is
//! contained to its policy. A component importing an interface Palisade does
//! not provide, and damaged component bytes, are refused at load time.
//!
//! The probe is built by its `build.sh` (componentize-py) into
//! `target/components/` when missing or older than its sources, and loaded
//! through the module cache in `target/test-cache`: the build is not
//! reproducible, so rebuilding every run would mean compiling 18 MB anew.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use palisade_engine::input::read_input;
use palisade_engine::model::Stack;
use palisade_engine::{
    EnforcementLevel, Engine, EngineBuilder, FaultKind, Findings, Limits, Pack, PackErrorKind, PolicySettings,
};
use serde_json::json;

use crate::support::{build_wat, repo, run_build_script};

/// One resource of type `probe`, the type every probe policy judges.
const PLAN: &str = r#"{"format_version":"1.2","resource_changes":[
 {"address":"probe.sandbox","mode":"managed","type":"probe","name":"sandbox","provider_name":"registry.terraform.io/palisade/probe",
  "change":{"actions":["create"],"before":null,"after":{},"after_unknown":{}}}]}"#;

/// The probe's sources: a change to any of them rebuilds it.
const SOURCES: &[&str] = &[
    "tests/guests/component-probe/build.sh",
    "tests/guests/component-probe/policy.py",
    "tests/guests/component-probe/wit/probe.wit",
    "tests/guests/component-probe/wit/sockets.wit",
    "examples/policies/python/app.py",
    "examples/policies/python/palisade.py",
    "sdk/wit/palisade.wit",
];

/// The built probe component (built at most once per test run).
fn probe_wasm() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(build_probe)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Build `tests/guests/component-probe` unless its output is newer than its
/// sources; built to a temporary file and renamed, so concurrent test runs
/// never load half a file.
fn build_probe() -> PathBuf {
    let out = repo("target/components/component-probe.wasm");
    let newest = SOURCES.iter().filter_map(|s| modified(&repo(s))).max();
    if modified(&out).zip(newest).is_some_and(|(built, source)| built > source) {
        return out;
    }
    let dir = out.parent().expect("has a parent");
    std::fs::create_dir_all(dir).expect("create target/components");
    let tmp = tempfile::Builder::new()
        .prefix(".component-probe")
        .suffix(".wasm")
        .tempfile_in(dir)
        .expect("temporary file in target/components")
        .into_temp_path();
    run_build_script("tests/guests/component-probe/build.sh", &tmp, "python");
    tmp.persist(&out).expect("rename the probe into place");
    out
}

fn probe_bytes() -> Vec<u8> {
    std::fs::read(probe_wasm()).expect("read the probe")
}

/// The engine with default limits, through the module cache.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        EngineBuilder::new().cache_dir(Some(repo("target/test-cache"))).build().expect("the engine starts")
    })
}

/// The memory limit of [`strict_engine`]: room for CPython, not for a bomb.
const STRICT_MEMORY: usize = 64 << 20;

/// An engine with a 1 s deadline and a 64 MiB memory limit, through the same
/// cache (the limits are not part of the cache key: no second compilation).
fn strict_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let limits = Limits { call_deadline: Duration::from_secs(1), memory_bytes: STRICT_MEMORY, ..Limits::default() };
        EngineBuilder::new()
            .limits(limits)
            .cache_dir(Some(repo("target/test-cache")))
            .build()
            .expect("the strict engine starts")
    })
}

fn stack() -> Stack {
    read_input("probe.tfplan.json", PLAN.as_bytes(), None).expect("the probe plan parses")
}

/// Settings that run only the policies `names` (the others are disabled).
fn only(pack: &Pack, names: &[&str]) -> PolicySettings {
    let mut settings = PolicySettings::default();
    for p in &pack.metadata.policies {
        if !names.contains(&p.name.as_str()) {
            settings.levels.insert(p.name.clone(), EnforcementLevel::Disabled);
        }
    }
    settings
}

/// Run the policies `names` of `pack` on the probe plan; no policy may fail.
fn probe(engine: &Engine, pack: &Pack, names: &[&str], settings: PolicySettings) -> Findings {
    let mut run = only(pack, names);
    run.configs = settings.configs;
    let found = engine.check(std::slice::from_ref(pack), &[stack()], &run);
    assert!(found.policy_errors.is_empty(), "{:#?}", found.policy_errors);
    found
}

/// The reports of one probe policy, `LABEL: RESULT` messages, by label.
fn reports(found: &Findings, policy: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for v in found.violations.iter().filter(|v| v.policy == policy) {
        assert_eq!(v.resource, "probe.sandbox");
        let (label, result) = v.message.split_once(": ").unwrap_or_else(|| panic!("not LABEL: RESULT: {v:?}"));
        out.insert(label.to_string(), result.to_string());
    }
    eprintln!("{policy}: {out:#?}");
    out
}

/// The result of `label`, which must exist.
fn result<'r>(reports: &'r BTreeMap<String, String>, label: &str) -> &'r str {
    reports.get(label).unwrap_or_else(|| panic!("no report `{label}` in {reports:#?}"))
}

/// Assert that every attempt of `labels` failed.
fn assert_denied(reports: &BTreeMap<String, String>, labels: &[&str]) {
    for label in labels {
        let got = result(reports, label);
        assert!(got.starts_with("error "), "`{label}` should fail in the sandbox, got: {got}");
    }
}

#[test]
fn a_component_sees_no_environment_arguments_or_host_files() {
    let pack = engine().load_pack("component-probe.wasm", &probe_bytes()).expect("the probe loads");
    let found = probe(engine(), &pack, &["env-probe", "fs-probe"], PolicySettings::default());

    let env = reports(&found, "env-probe");
    assert_eq!(result(&env, "environ"), "ok {}", "no environment variables");
    let argv = result(&env, "argv").strip_prefix("ok ").expect("argv is reported");
    let argv: Vec<String> = serde_json::from_str(argv).expect("argv is a JSON list");
    assert!(argv.len() <= 1, "no arguments beyond the program name: {argv:?}");

    let fs = reports(&found, "fs-probe");
    assert_denied(
        &fs,
        &[
            "read /etc/passwd",
            "list /",
            "list .",
            "read ../etc/passwd",
            "write /tmp/probe",
            "list /data",
            "read /data/allowed.txt",
            "write /data/x",
        ],
    );
    assert_eq!(result(&fs, "exists /data"), "ok False", "no data folder was granted");
}

#[test]
fn a_component_reads_its_data_folder_and_cannot_change_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = dir.path().join("component-probe.wasm");
    std::fs::copy(probe_wasm(), &wasm).expect("copy the probe");
    let data = dir.path().join("component-probe.data");
    std::fs::create_dir(&data).expect("create the data folder");
    std::fs::write(data.join("allowed.txt"), "granted to the probe\n").expect("write allowed.txt");
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, "outside the data folder\n").expect("write outside.txt");
    std::os::unix::fs::symlink(&outside, data.join("escape")).expect("symlink out of the data folder");
    std::os::unix::fs::symlink("../outside.txt", data.join("escape-up")).expect("relative symlink out of it");

    // `NAME.data` beside `NAME.wasm` is granted at /data.
    let pack = engine().load_pack_file(&wasm).expect("the probe loads");
    let found = probe(engine(), &pack, &["fs-probe"], PolicySettings::default());
    let fs = reports(&found, "fs-probe");
    assert_eq!(result(&fs, "exists /data"), "ok True");
    assert_eq!(result(&fs, "read /data/allowed.txt"), "ok b'granted to the probe\\n'");
    assert_eq!(result(&fs, "list /data"), r#"ok ["allowed.txt", "escape", "escape-up"]"#);
    assert_denied(
        &fs,
        &[
            "write /data/x",
            "truncate /data/allowed.txt",
            "append /data/allowed.txt",
            "mkdir /data/sub",
            "remove /data/allowed.txt",
            "read /data/../etc/passwd",
            "read /data/escape",
            "read /data/escape-up",
            "read /etc/passwd",
            "list /",
            "read ../etc/passwd",
            "write /tmp/probe",
        ],
    );
    // Nothing changed on the host side.
    let mut names: Vec<String> = std::fs::read_dir(&data)
        .expect("list the data folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["allowed.txt", "escape", "escape-up"]);
    assert_eq!(std::fs::read_to_string(data.join("allowed.txt")).expect("read"), "granted to the probe\n");

    // The same grant through `load_pack_with_data`.
    let pack = engine().load_pack_with_data("component-probe.wasm", &probe_bytes(), &data).expect("the probe loads");
    let found = probe(engine(), &pack, &["fs-probe"], PolicySettings::default());
    let fs = reports(&found, "fs-probe");
    assert_eq!(result(&fs, "read /data/allowed.txt"), "ok b'granted to the probe\\n'");
    assert_denied(&fs, &["write /data/x", "read /data/escape", "read /data/escape-up"]);

    // A data folder that is a link (to anywhere) is refused, not followed.
    let linked = dir.path().join("linked");
    std::fs::create_dir(&linked).expect("mkdir");
    let linked_wasm = linked.join("component-probe.wasm");
    std::fs::copy(probe_wasm(), &linked_wasm).expect("copy the probe");
    std::os::unix::fs::symlink("/etc", linked.join("component-probe.data")).expect("symlink");
    let err = engine().load_pack_file(&linked_wasm).expect_err("a linked data folder is refused");
    assert!(matches!(err.kind, PackErrorKind::Data(_)) && err.to_string().contains("symbolic link"), "{err}");
}

#[test]
fn a_component_cannot_reach_the_network() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen on TCP");
    listener.set_nonblocking(true).expect("non-blocking");
    let port = listener.local_addr().expect("the listener's address").port();
    let mut settings = PolicySettings::default();
    settings.configs.insert("net-probe".into(), json!({ "port": port }));

    let pack = engine().load_pack("component-probe.wasm", &probe_bytes()).expect("the probe loads");
    let found = probe(engine(), &pack, &["net-probe"], settings);
    let net = reports(&found, "net-probe");
    // CPython for WASI has no socket module; the probe calls wasi:sockets itself.
    assert_eq!(result(&net, "import socket"), "error ModuleNotFoundError: No module named 'socket'");
    assert_eq!(result(&net, "tcp connect"), "error RuntimeError: create-tcp-socket: ACCESS_DENIED");
    assert_eq!(result(&net, "udp bind"), "error RuntimeError: create-udp-socket: ACCESS_DENIED");
    // wasmtime-wasi answers a denied lookup with permanent-resolver-failure, before any DNS query.
    assert_eq!(result(&net, "lookup localhost"), "error RuntimeError: resolve-addresses: PERMANENT_RESOLVER_FAILURE");
    let accepted = listener.accept().map(|(_, peer)| peer).map_err(|e| e.kind());
    assert_eq!(accepted, Err(std::io::ErrorKind::WouldBlock), "no connection arrived");
}

#[test]
fn a_component_has_real_clocks_and_randomness() {
    let pack = engine().load_pack("component-probe.wasm", &probe_bytes()).expect("the probe loads");
    let found = probe(engine(), &pack, &["clock-probe"], PolicySettings::default());
    let clock = reports(&found, "clock-probe");
    assert_eq!(result(&clock, "time"), "ok after-2023=True");
    assert_eq!(result(&clock, "monotonic"), "ok True");
    assert_eq!(result(&clock, "urandom"), "ok 16 bytes, differ=True");
}

#[test]
fn runtime_faults_of_a_component_are_errors_of_their_policy_and_nothing_else() {
    let pack = strict_engine().load_pack("component-probe.wasm", &probe_bytes()).expect("the probe loads");
    let all = strict_engine().check(std::slice::from_ref(&pack), &[stack()], &PolicySettings::default());
    for e in &all.policy_errors {
        eprintln!("{} {:?}: {}", e.policy, e.kind, e.message);
    }

    let kinds: Vec<(&str, FaultKind)> = all.policy_errors.iter().map(|e| (e.policy.as_str(), e.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            ("abort-bomb", FaultKind::Trap),
            ("exit-bomb", FaultKind::Trap),
            ("loop-bomb", FaultKind::Timeout),
            ("memory-bomb", FaultKind::Memory),
            ("raise-bomb", FaultKind::Policy),
            ("unhandled-bomb", FaultKind::Trap),
        ]
    );
    for e in &all.policy_errors {
        assert_eq!(e.pack, "component-probe");
        assert_eq!(e.resources, ["probe.sandbox"], "{e:?}");
    }
    let message_has = |policy: &str, parts: &[&str]| {
        let found = all.policy_errors.iter().find(|e| e.policy == policy).expect("the policy failed");
        for part in parts {
            assert!(found.message.contains(part), "{policy}: expected `{part}` in: {}", found.message);
        }
    };
    message_has("loop-bomb", &["evaluate: deadline exceeded"]);
    message_has("memory-bomb", &[&format!("memory limit of {STRICT_MEMORY} bytes exceeded")]);
    message_has("raise-bomb", &["policy raise-bomb failed on probe.sandbox: ValueError: the probe raised on purpose"]);
    // The last lines of a component's stderr are appended to its trap messages.
    message_has("abort-bomb", &["wasm `unreachable` instruction executed", "; stderr: probe-stderr: about to abort"]);
    message_has("exit-bomb", &["the guest exited with status 1", "; stderr: probe-stderr: about to exit"]);
    // Standard output is discarded.
    assert!(all.policy_errors.iter().all(|e| !e.message.contains("probe-stdout")), "{:#?}", all.policy_errors);
    // app.py discards Python's own stderr (the traceback); the panic message
    // of componentize-py's runtime is what is left.
    message_has("unhandled-bomb", &["; stderr: ", "Python function threw an unexpected exception"]);

    // Every probe declared after a fault still reports, exactly as when run alone.
    let probes = ["env-probe", "fs-probe", "net-probe", "clock-probe", "alive-probe"];
    let alone = engine().load_pack("component-probe.wasm", &probe_bytes()).expect("the probe loads");
    let alone = probe(engine(), &alone, &probes, PolicySettings::default());
    assert_eq!(all.violations, alone.violations);
    assert!(all.violations.iter().any(|v| v.policy == "alive-probe" && v.message == "alive: ok"));
}

#[test]
fn a_component_importing_wasi_http_is_refused_naming_the_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wasm = build_wat("http_import", dir.path());
    let err = crate::support::engine(1000).load_pack_file(&wasm).expect_err("a wasi:http import is refused");
    assert!(matches!(&err.kind, PackErrorKind::ComponentImport(name) if name == "wasi:http/types@0.2.0"), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("http_import.wasm") && text.contains("`wasi:http/types@0.2.0`"), "{text}");
}

/// Bytes that are not a pack component: each a compile error naming what is
/// wrong, never a panic.
#[test]
fn damaged_components_are_compile_or_link_errors() {
    const PREAMBLE: &[u8] = b"\0asm\x0d\0\x01\0";
    let probe = probe_bytes();
    let mut cases: Vec<(String, Vec<u8>, &str)> = vec![
        ("junk after the preamble".into(), [PREAMBLE, b"\x07junk\xff\xff\xff\xff\x0f"].concat(), "failed to parse"),
        ("an unknown layer".into(), b"\0asm\x0d\0\x02\0".to_vec(), "unknown WebAssembly binary version"),
        ("the preamble alone".into(), PREAMBLE.to_vec(), "no export `describe` found"),
        ("the probe cut in half".into(), probe[..probe.len() / 2].to_vec(), "failed to parse"),
    ];
    // Pseudo-random bodies (xorshift, fixed seeds) after the preamble.
    for seed in 1..=16u64 {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let body = (0..seed * 37).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        });
        cases.push((format!("random bytes (seed {seed})"), PREAMBLE.iter().copied().chain(body).collect(), ""));
    }
    let engine = crate::support::engine(1000);
    for (what, bytes, expected) in &cases {
        let err = engine.load_pack("damaged.wasm", bytes).expect_err(what);
        let text = err.to_string();
        // A valid component that is not a pack (no exports) cannot be linked;
        // anything else does not parse.
        let (kind_ok, prefix) = match &err.kind {
            PackErrorKind::Link(_) => (what == "the preamble alone", "cannot be linked as a policy pack: "),
            PackErrorKind::Compile(_) => {
                (what != "the preamble alone", "not a valid WebAssembly module or component: ")
            }
            _ => (false, ""),
        };
        assert!(kind_ok, "{what}: {err:?}");
        assert!(text.starts_with(&format!("policy pack damaged.wasm: {prefix}")), "{what}: {text}");
        assert!(text.contains(expected), "{what}: expected `{expected}` in: {text}");
    }
}
