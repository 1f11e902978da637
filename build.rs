//! Builds the built-in policy packs (guest crates under `policies/`) to
//! WebAssembly from source and hands their paths to `src/lib.rs`.
//!
//! Each guest builds with the host's cargo for `wasm32-unknown-unknown`, in its
//! own target directory (`<target>/guests`), so it never waits on the host
//! build's lock and never builds for the host. Install the target with
//! `scripts/install-toolchains.sh`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Guest crates embedded in the binary: (folder under policies/, wasm file stem).
const GUESTS: &[(&str, &str)] = &[("aws-baseline", "aws_baseline")];
const TARGET: &str = "wasm32-unknown-unknown";

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
    for (dir, stem) in GUESTS {
        let krate = root.join("policies").join(dir);
        println!("cargo:rerun-if-changed={}", krate.join("src").display());
        println!("cargo:rerun-if-changed={}", krate.join("Cargo.toml").display());
        build_guest(&krate, &target_dir);
        let built = target_dir.join(TARGET).join("release").join(format!("{stem}.wasm"));
        let dest = out.join(format!("{stem}.wasm"));
        if let Err(e) = std::fs::copy(&built, &dest) {
            fail(&format!("the guest build of {} produced no {}: {e}", krate.display(), built.display()));
        }
    }
}

fn build_guest(krate: &Path, target_dir: &Path) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
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
