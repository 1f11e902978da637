//! Builds the built-in policy packs (guest crates under `policies/`) to
//! WebAssembly from source and hands their paths to `src/lib.rs`.
//!
//! Each guest builds for `wasm32-unknown-unknown` in its own target directory
//! (`<target>/guests`), so it never waits on the host build's lock and never
//! builds for the host. Two toolchains work (`scripts/install-toolchains.sh`
//! installs one of them):
//!
//! - **rustup**: the host's own cargo and rustc, with the target installed by
//!   `rustup target add wasm32-unknown-unknown`; used when that target's
//!   standard library is there;
//! - **debian**: Debian's `rustc-web`, `cargo-web`, `rust-web-src` and
//!   `lld-22` (`/usr/bin/cargo`, `/usr/bin/rustc`), building the standard
//!   library from source (`-Zbuild-std`) and linking with `wasm-ld-22`.
//!
//! `PALISADE_GUEST_TOOLCHAIN=rustup|debian` forces one.
//!
//! It also lists the files `palisade new` scaffolds from (`src/new.rs`):
//! the example pack of `examples/policies/<language>/` without build
//! outputs, with its `build.sh` and, through their symbolic links, its
//! `toolchain.sh` (`scripts/toolchains/pack-toolchain.sh`) and the WIT world
//! of components (`wit/`, `sdk/wit`), plus the Rust SDK and ABI crates with
//! standalone manifests, in `<OUT_DIR>/templates.rs`, each file embedded
//! with `include_bytes!`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Guest crates embedded in the binary: (folder under policies/, wasm file stem).
const GUESTS: &[(&str, &str)] = &[("aws-baseline", "aws_baseline")];
const TARGET: &str = "wasm32-unknown-unknown";
/// Debian's toolchain (packages rustc-web, cargo-web, rust-web-src, lld-22).
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_STD_SRC: &str = "/usr/lib/rustlib/src/rust/library";
const DEBIAN_LINKER: &str = "wasm-ld-22";

/// Which toolchain builds the guests.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Toolchain {
    Rustup,
    Debian,
}

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|d| if d.is_absolute() { d } else { root.join(d) })
        .unwrap_or_else(|| root.join("target"))
        .join("guests");
    for shared in ["sdk/src", "sdk/Cargo.toml", "sdk/abi/src", "sdk/abi/Cargo.toml"] {
        println!("cargo:rerun-if-changed={shared}");
    }
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
    println!("cargo:rerun-if-env-changed=PALISADE_GUEST_TOOLCHAIN");
    embed_templates(&root, &out);
    let toolchain = choose_toolchain();
    for (dir, stem) in GUESTS {
        let krate = root.join("policies").join(dir);
        println!("cargo:rerun-if-changed={}", krate.join("src").display());
        println!("cargo:rerun-if-changed={}", krate.join("Cargo.toml").display());
        build_guest(&krate, &target_dir, toolchain);
        let built = target_dir.join(TARGET).join("release").join(format!("{stem}.wasm"));
        let dest = out.join(format!("{stem}.wasm"));
        if let Err(e) = std::fs::copy(&built, &dest) {
            fail(&format!("the guest build of {} produced no {}: {e}", krate.display(), built.display()));
        }
    }
}

/// The rustup toolchain when its wasm32 standard library is installed, else
/// Debian's when its packages are, else a clear failure.
fn choose_toolchain() -> Toolchain {
    match env::var("PALISADE_GUEST_TOOLCHAIN").as_deref() {
        Ok("rustup") => return Toolchain::Rustup,
        Ok("debian") => return Toolchain::Debian,
        Ok(other) => fail(&format!("PALISADE_GUEST_TOOLCHAIN={other}: expected rustup or debian")),
        Err(_) => {}
    }
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let libdir = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let has_std = |dir: &Path| {
        std::fs::read_dir(dir)
            .is_ok_and(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libstd-")))
    };
    if libdir.as_deref().is_some_and(has_std) {
        return Toolchain::Rustup;
    }
    if [DEBIAN_CARGO, DEBIAN_RUSTC, DEBIAN_STD_SRC].iter().all(|p| Path::new(p).exists()) {
        return Toolchain::Debian;
    }
    fail(&format!(
        "no toolchain can build the policy packs for {TARGET}: the target's standard library is not installed \
         and Debian's rustc-web is not there either. Run scripts/install-toolchains.sh"
    ))
}

fn build_guest(krate: &Path, target_dir: &Path, toolchain: Toolchain) {
    let mut cmd = match toolchain {
        Toolchain::Rustup => Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into())),
        Toolchain::Debian => Command::new(DEBIAN_CARGO),
    };
    cmd.args(["build", "--release", "--locked", "--target", TARGET, "--manifest-path"])
        .arg(krate.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    // The outer build's settings must not leak into the guest build.
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let leaks = key.starts_with("CARGO_FEATURE_")
            || key.starts_with("CARGO_CFG_")
            || key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || key.starts_with("CARGO_PROFILE_")
            || matches!(
                key,
                "CARGO_ENCODED_RUSTFLAGS"
                    | "RUSTC"
                    | "RUSTFLAGS"
                    | "CARGO_BUILD_TARGET"
                    | "CARGO_TARGET_DIR"
                    | "CARGO_BUILD_RUSTFLAGS"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_CRATE_NAME"
                    | "OUT_DIR"
                    | "TARGET"
                    | "HOST"
                    | "PROFILE"
                    | "OPT_LEVEL"
                    | "DEBUG"
            );
        if leaks {
            cmd.env_remove(key);
        }
    }
    if toolchain == Toolchain::Debian {
        cmd.arg("-Zbuild-std=std,panic_abort")
            .env("RUSTC", DEBIAN_RUSTC)
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", DEBIAN_LINKER)
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("RUSTC_WRAPPER");
    }
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => fail(&format!(
            "building the guest {} for {TARGET} failed ({s}). Is the target installed? Run scripts/install-toolchains.sh",
            krate.display()
        )),
        Err(e) => fail(&format!("cannot run cargo to build the guest {}: {e}", krate.display())),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}

/// The languages `palisade new` scaffolds, each a folder of `examples/policies/`.
const TEMPLATE_LANGUAGES: &[&str] = &["rust", "c", "zig", "assemblyscript", "go", "python", "javascript"];
/// Folders and files of an example never copied into a scaffold: build
/// outputs and caches, the example's README (the scaffold gets its own) and
/// `javascript/test.js` (it reads the repository's `../testdata`).
const TEMPLATE_SKIPPED: &[&str] =
    &["node_modules", "target", "__pycache__", ".zig-cache", "zig-cache", "zig-out", "README.md", "test.js"];
/// Lock files of other tools: wrong for a renamed pack, never copied.
/// (The Rust example's `Cargo.lock` is kept: `src/new.rs` renames and
/// re-sorts it.)
const TEMPLATE_LOCKFILES: &[&str] = &["package-lock.json", "yarn.lock", "pnpm-lock.yaml", "go.sum", "uv.lock"];

/// Write `<out>/templates.rs`: a slice expression of `Template`s (the
/// struct is `src/new.rs`'s), one per file a scaffold starts from.
fn embed_templates(root: &Path, out: &Path) {
    let mut entries: Vec<(String, String, PathBuf)> = Vec::new();
    for lang in TEMPLATE_LANGUAGES {
        let dir = root.join("examples/policies").join(lang);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        collect_template_files(&dir, &dir, &mut files);
        files.sort();
        for (rel, path) in files {
            entries.push((lang.to_string(), rel, path));
        }
    }
    // What a Rust pack needs outside the repository: the SDK and the ABI
    // crates, vendored with manifests that stand alone.
    let vendor = out.join("templates/vendor");
    for (krate, dir, dest) in
        [("palisade-sdk", "sdk", "vendor/palisade-sdk"), ("palisade-abi", "sdk/abi", "vendor/palisade-abi")]
    {
        let src = root.join(dir).join("src");
        let mut files = Vec::new();
        collect_template_files(&src, &src, &mut files);
        files.sort();
        for (rel, path) in files {
            entries.push(("rust".into(), format!("{dest}/src/{rel}"), path));
        }
        let manifest = standalone_manifest(root, &root.join(dir).join("Cargo.toml"));
        let written = vendor.join(krate).join("Cargo.toml");
        write_file(&written, manifest.as_bytes());
        entries.push(("rust".into(), format!("{dest}/Cargo.toml"), written));
    }
    // Behind the examples' links: not seen by the folders' change checks.
    println!("cargo:rerun-if-changed=sdk/wit");
    println!("cargo:rerun-if-changed=scripts/toolchains/pack-toolchain.sh");
    let mut code = String::from("&[\n");
    for (lang, rel, path) in &entries {
        let executable = rel.ends_with(".sh");
        code.push_str(&format!(
            "    Template {{ lang: {lang:?}, path: {rel:?}, bytes: include_bytes!({:?}), executable: {executable} }},\n",
            path.display().to_string()
        ));
    }
    code.push_str("]\n");
    write_file(&out.join("templates.rs"), code.as_bytes());
}

/// Every file under `dir` not skipped, as (path relative to `base` with `/`, path).
fn collect_template_files(base: &Path, dir: &Path, found: &mut Vec<(String, PathBuf)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => fail(&format!("cannot read the pack template folder {}: {e}", dir.display())),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if TEMPLATE_SKIPPED.contains(&name.as_str()) || TEMPLATE_LOCKFILES.contains(&name.as_str()) {
            continue;
        }
        if path.is_dir() {
            collect_template_files(base, &path, found);
        } else if !name.ends_with(".wasm") && !name.ends_with(".pyc") {
            let rel = path.strip_prefix(base).unwrap_or(&path);
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            found.push((rel, path));
        }
    }
}

/// A workspace member's manifest made standalone: `KEY.workspace = true`
/// and `NAME = { workspace = true }` replaced by the root manifest's
/// `[workspace.package]` and `[workspace.dependencies]` values, path
/// dependencies on `palisade-*` pointed at their vendored sibling, and the
/// workspace's `[lints]` dropped.
fn standalone_manifest(root: &Path, manifest: &Path) -> String {
    println!("cargo:rerun-if-changed={}", root.join("Cargo.toml").display());
    let read =
        |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", p.display())));
    let workspace = read(&root.join("Cargo.toml"));
    let member = read(manifest);
    let section_of = |text: &str, section: &str| -> Vec<(String, String)> {
        let mut current = String::new();
        let mut lines = Vec::new();
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                current = trimmed.to_string();
            } else if current == section
                && let Some((key, _)) = trimmed.split_once('=')
            {
                lines.push((key.trim().to_string(), trimmed.to_string()));
            }
        }
        lines
    };
    let package = section_of(&workspace, "[workspace.package]");
    let deps = section_of(&workspace, "[workspace.dependencies]");
    let lookup = |table: &[(String, String)], key: &str| {
        table.iter().find(|(k, _)| k == key).map(|(_, line)| line.clone()).unwrap_or_else(|| {
            fail(&format!(
                "{}: `{key}` comes from the workspace, whose Cargo.toml does not define it",
                manifest.display()
            ))
        })
    };
    let mut result = String::new();
    let mut section = String::new();
    for line in member.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_string();
            if section == "[lints]" {
                continue;
            }
        }
        if section == "[lints]" {
            continue;
        }
        let key = trimmed.split_once('=').map(|(k, _)| k.trim());
        let converted = match key {
            Some(k) if k.ends_with(".workspace") && section == "[package]" => {
                lookup(&package, k.trim_end_matches(".workspace"))
            }
            Some(k) if section == "[dependencies]" && trimmed.contains("workspace = true") => {
                let name = k.trim_end_matches(".workspace");
                let line = lookup(&deps, name);
                line.split_once('=').map(|(_, v)| format!("{name} = {}", v.trim())).unwrap_or(line)
            }
            Some(k) if section == "[dependencies]" && k.starts_with("palisade-") && trimmed.contains("path = ") => {
                format!("{k} = {{ path = \"../{k}\" }}")
            }
            _ => line.to_string(),
        };
        result.push_str(&converted);
        result.push('\n');
    }
    result
}

fn write_file(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent()
        && let Err(e) = std::fs::create_dir_all(parent)
    {
        fail(&format!("cannot create {}: {e}", parent.display()));
    }
    if let Err(e) = std::fs::write(path, bytes) {
        fail(&format!("cannot write {}: {e}", path.display()));
    }
}
