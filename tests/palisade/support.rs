//! Small helpers: run the CLI, locate test data, build `.wat` guests.
//! Shared with the `case_files` target (`tests/case_files/`), which
//! includes this module by path.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use palisade_engine::{Engine, EngineBuilder, Limits, Pack};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under the repository root.
pub fn repo(rel: &str) -> PathBuf {
    root().join(rel)
}

/// Run `palisade ARGS` with optional standard input.
pub fn palisade(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_palisade"));
    cmd.args(args)
        .current_dir(root())
        .env("PALISADE_CACHE_DIR", root().join("target/test-cache"))
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the palisade binary starts");
    if let Some(bytes) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // palisade may stop reading early (a size limit): a broken pipe here is its answer.
        let _ = pipe.write_all(bytes);
    }
    child.wait_with_output().expect("palisade runs to the end")
}

/// The exit code, asserting the process was not killed by a signal.
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or_else(|| panic!("palisade died by a signal: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Write `text` to `dir/name`; the path, as a string for arguments.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path.to_str().expect("UTF-8 path").to_string()
}

/// Standard output as JSON.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Compile a `.wat` guest of `tests/guests/` to a `.wasm` file in `dir`.
pub fn build_wat(name: &str, dir: &Path) -> PathBuf {
    let src = repo(&format!("tests/guests/{name}.wat"));
    let bytes = wat::parse_file(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    let out = dir.join(format!("{name}.wasm"));
    std::fs::write(&out, bytes).expect("write wasm");
    out
}

/// An engine with a short call deadline, for tests of looping guests.
pub fn engine(deadline_ms: u64) -> Engine {
    let limits = Limits { call_deadline: std::time::Duration::from_millis(deadline_ms), ..Limits::default() };
    EngineBuilder::new().limits(limits).build().expect("engine starts")
}

/// The built-in aws-baseline pack, built from `policies/aws-baseline`.
pub fn baseline(engine: &Engine) -> Pack {
    engine.load_pack(palisade::AWS_BASELINE.path, palisade::AWS_BASELINE.wasm).expect("aws-baseline loads")
}

/// Run a guest's `build.sh OUT` (under the repository root), failing the test
/// with the script's output and `scripts/install-toolchains.sh LANGUAGE`
/// when it fails (a missing toolchain is a failure, never a skip).
/// `PALISADE_TOOLCHAINS` defaults to the clone's `target/toolchains`, also
/// for guests that `toolchain.sh` does not take for the clone's own
/// (`tests/guests/frozen/*`, one folder deeper than `tests/guests/NAME`).
pub fn run_build_script(script: &str, out: &Path, language: &str) {
    let script = repo(script);
    let toolchains = std::env::var_os("PALISADE_TOOLCHAINS").unwrap_or_else(|| repo("target/toolchains").into());
    let result = Command::new("bash")
        .arg(&script)
        .arg(out)
        .env("PALISADE_TOOLCHAINS", toolchains)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        result.status.success(),
        "{} failed ({}): {}\n{}\nInstall its toolchain with: scripts/install-toolchains.sh {language}",
        script.display(),
        result.status,
        String::from_utf8_lossy(&result.stderr).trim(),
        String::from_utf8_lossy(&result.stdout).trim(),
    );
}

/// Build a guest once per test run with its `build.sh` (`script`, under the
/// repository root) to `target/tmp/<dir>/<file>`; `cell` keeps the path.
pub fn build_once(
    cell: &'static OnceLock<PathBuf>,
    script: &str,
    dir: &str,
    file: &str,
    language: &str,
) -> &'static Path {
    cell.get_or_init(|| {
        let dir = repo(&format!("target/tmp/{dir}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let out = dir.join(file);
        run_build_script(script, &out, language);
        out
    })
}

/// The `edge-probe` test pack (`tests/guests/edge-probe`), built once from
/// source: probes for the edge-case suite and the fix tests.
pub fn edge_probe() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    build_once(&WASM, "tests/guests/edge-probe/build.sh", "edge-cases", "edge-probe.wasm", "rust")
}
