//! The compiled-pack cache (`engine/runtime/src/cache.rs`): a hit skips
//! compilation, and only entries the cache wrote itself are trusted; corrupt,
//! truncated or foreign entries are rebuilt, never deserialized.

use std::path::{Path, PathBuf};

use palisade_engine::{CacheOutcome, Engine, EngineBuilder, Pack, PolicySettings, input};

use crate::support::{code, palisade, repo};

fn engine(dir: &Path) -> Engine {
    EngineBuilder::new().cache_dir(Some(dir.to_path_buf())).build().expect("the engine starts")
}

fn load(engine: &Engine) -> Pack {
    engine.load_pack(palisade::AWS_BASELINE.path, palisade::AWS_BASELINE.wasm).expect("aws-baseline loads")
}

/// The one entry of a cache directory.
fn entry(dir: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the cache directory exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    assert_eq!(entries.len(), 1, "one entry in {}: {entries:?}", dir.display());
    entries.into_iter().next().expect("one entry")
}

/// The findings of `pack` on the example plan, as JSON.
fn findings(engine: &Engine, pack: Pack) -> serde_json::Value {
    let rel = "examples/plans/web-stack.tfplan.json";
    let stack = input::read_input(rel, &std::fs::read(repo(rel)).expect("read"), None).expect("parses");
    let found = engine.check(&[pack], &[stack], &PolicySettings::default());
    serde_json::to_value(&found.violations).expect("serializes")
}

#[test]
fn a_second_load_is_a_hit_with_the_same_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let first = engine(&cache);
    let pack = load(&first);
    assert_eq!(pack.cache, CacheOutcome::Miss { stored: true });
    let cold = findings(&first, pack);
    let second = engine(&cache);
    let pack = load(&second);
    assert_eq!(pack.cache, CacheOutcome::Hit);
    assert_eq!(findings(&second, pack), cold);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&cache), 0o700, "the cache directory is private");
        assert_eq!(mode(&cache.join("secret")), 0o600, "the secret is private");
    }
}

#[test]
fn corrupt_truncated_and_foreign_entries_are_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let engine = engine(&cache);
    assert_eq!(load(&engine).cache, CacheOutcome::Miss { stored: true });
    let path = entry(&cache);
    let good = std::fs::read(&path).expect("read the entry");

    // One flipped byte in the compiled code.
    let mut corrupt = good.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0x55;
    std::fs::write(&path, &corrupt).expect("write");
    match load(&engine).cache {
        CacheOutcome::Rebuilt { reason } => assert!(reason.contains("MAC"), "{reason}"),
        other => panic!("a corrupt entry must be rebuilt, got {other:?}"),
    }
    assert_eq!(std::fs::read(&path).expect("read"), good, "the rebuilt entry replaces the corrupt one");
    assert_eq!(load(&engine).cache, CacheOutcome::Hit);

    // Cut short.
    std::fs::write(&path, &good[..10]).expect("write");
    assert!(matches!(load(&engine).cache, CacheOutcome::Rebuilt { .. }));

    // Written by another cache (another secret): a valid entry, but not ours.
    let other_dir = dir.path().join("other");
    let other = self::engine(&other_dir);
    assert_eq!(load(&other).cache, CacheOutcome::Miss { stored: true });
    std::fs::copy(entry(&other_dir), &path).expect("copy the foreign entry");
    match load(&engine).cache {
        CacheOutcome::Rebuilt { reason } => assert!(reason.contains("not written by this cache"), "{reason}"),
        other => panic!("a foreign entry must be rebuilt, got {other:?}"),
    }
    assert_eq!(load(&engine).cache, CacheOutcome::Hit);
}

#[test]
fn a_malformed_secret_is_replaced_and_old_entries_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    assert_eq!(load(&engine(&cache)).cache, CacheOutcome::Miss { stored: true });
    std::fs::write(cache.join("secret"), b"short").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(cache.join("secret"), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    assert!(matches!(load(&engine(&cache)).cache, CacheOutcome::Rebuilt { .. }));
    assert_eq!(std::fs::read(cache.join("secret")).expect("read").len(), 32);
}

/// The error of building an engine on `dir`, which must fail.
fn refused(dir: &Path) -> String {
    match EngineBuilder::new().cache_dir(Some(dir.to_path_buf())).build() {
        Ok(_) => panic!("{} must be refused as a cache", dir.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_directory_that_is_not_palisades_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).expect("mkdir");
    std::fs::write(docs.join("secret"), b"my api token").expect("write");
    std::fs::write(docs.join("notes.bin"), b"x").expect("write");
    let e = refused(&docs);
    assert!(e.contains("not a Palisade cache") && e.contains("CACHEDIR.TAG"), "{e}");
    assert_eq!(std::fs::read(docs.join("secret")).expect("read"), b"my api token");
    assert_eq!(std::fs::read_dir(&docs).expect("list").count(), 2, "nothing written or deleted");

    // A tag written by someone else is not ours either.
    let tagged = dir.path().join("tagged");
    std::fs::create_dir(&tagged).expect("mkdir");
    std::fs::write(tagged.join("CACHEDIR.TAG"), b"Signature: 8a477f597d28d172789f06886806bc55\n").expect("write");
    assert!(refused(&tagged).contains("not written by Palisade"));
}

#[cfg(unix)]
#[test]
fn a_cache_open_to_others_or_with_a_special_secret_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    assert_eq!(load(&engine(&cache)).cache, CacheOutcome::Miss { stored: true });
    // Others could write or sign entries: never trusted.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert!(refused(&cache).contains("open to other users"), "{}", refused(&cache));
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    std::fs::set_permissions(cache.join("secret"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    assert!(refused(&cache).contains("open to other users"));
    // A secret that is a link (to an endless device) is refused without reading it.
    std::fs::remove_file(cache.join("secret")).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", cache.join("secret")).expect("symlink");
    assert!(refused(&cache).contains("not a regular file"), "{}", refused(&cache));
    // An entry that is not a regular file is rebuilt, not read.
    std::fs::remove_file(cache.join("secret")).expect("rm");
    assert!(matches!(load(&engine(&cache)).cache, CacheOutcome::Rebuilt { .. }), "a new secret orphans old entries");
    let path = entry(&cache);
    std::fs::remove_file(&path).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", &path).expect("symlink");
    match load(&engine(&cache)).cache {
        CacheOutcome::Rebuilt { reason } => assert!(reason.contains("not a regular file"), "{reason}"),
        other => panic!("expected a rebuild, got {other:?}"),
    }
}

#[test]
fn least_recently_used_entries_are_evicted_over_the_size_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let small = crate::support::build_wat("hostile", dir.path());
    let small = std::fs::read(small).expect("read");
    // A limit below one entry: only the newest entry stays.
    let engine = EngineBuilder::new().cache_dir(Some(cache.clone())).cache_max_bytes(1).build().expect("engine");
    assert_eq!(load(&engine).cache, CacheOutcome::Miss { stored: true });
    let baseline = entry(&cache);
    let pack = engine.load_pack("hostile.wasm", &small).expect("loads");
    assert_eq!(pack.cache, CacheOutcome::Miss { stored: true });
    let newest = entry(&cache);
    assert_ne!(newest, baseline, "the older entry was evicted");
    // The default limit keeps both.
    let roomy = self::engine(&cache);
    assert_eq!(load(&roomy).cache, CacheOutcome::Miss { stored: true });
    assert_eq!(roomy.load_pack("hostile.wasm", &small).expect("loads").cache, CacheOutcome::Hit);
}

#[test]
fn cli_uses_the_cache_dir_and_reports_the_same_with_or_without_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("c");
    let cache_arg = cache.to_str().expect("utf-8 path");
    let plan = "examples/plans/web-stack.tfplan.json";
    let out = palisade(&["check", "--cache-dir", cache_arg, "--format", "json", plan], None);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    entry(&cache);
    let cold = out.stdout;
    let out = palisade(&["check", "--cache-dir", cache_arg, "--format", "json", plan], None);
    assert_eq!(code(&out), 1);
    let strip = |b: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(b).expect("json");
        v.as_object_mut().map(|o| o.remove("provenance"));
        v
    };
    assert_eq!(strip(&out.stdout), strip(&cold), "a cache hit reports the same");

    let out = palisade(&["check", "--no-cache", "--cache-dir", cache_arg, plan], None);
    assert_eq!(code(&out), 2, "--no-cache and --cache-dir contradict each other");
    let out = palisade(&["check", "--no-cache", "--format", "json", plan], None);
    assert_eq!(strip(&out.stdout), strip(&cold), "compiling without a cache reports the same");

    // A cache that cannot be created is a warning; the check still runs.
    let blocked = dir.path().join("file");
    std::fs::write(&blocked, b"not a directory").expect("write");
    let under = blocked.join("cache");
    let out = palisade(&["check", "--cache-dir", under.to_str().expect("utf-8"), plan], None);
    assert_eq!(code(&out), 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning") && stderr.contains("without a cache"), "{stderr}");
}
