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
