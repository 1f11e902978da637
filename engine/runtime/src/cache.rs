//! The on-disk cache of compiled packs: large guests (an 18 MB Python
//! component takes seconds to compile) are compiled once per machine.
//!
//! An entry is the output of [`wasmtime::Module::serialize`] (or
//! [`wasmtime::component::Component::serialize`]), stored under
//! `<dir>/<key>.bin`, where `key` is the SHA-256 of: this cache's format
//! version, this engine crate's version, the kind (module or component),
//! wasmtime's [`Engine::precompile_compatibility_hash`] (target, compiler
//! flags, tunables, wasm features and wasmtime's version) and the SHA-256
//! of the pack's bytes.
//!
//! Deserializing compiled code runs it as trusted machine code, so only
//! files this cache wrote are ever deserialized: each entry starts with an
//! HMAC-SHA-256 of its key and payload under a secret made when the cache
//! directory is created (`<dir>/secret`, mode 0600). An entry that is
//! corrupt, truncated, foreign (written by anyone else) or refused by
//! wasmtime is rebuilt from the pack's bytes and replaced. Entries are
//! written to a temporary file and renamed into place, so concurrent
//! processes never see half an entry.
//!
//! Size: after each new entry, the least recently used entries (by
//! modification time, which a hit refreshes) are removed until the entries
//! total at most [`DEFAULT_MAX_BYTES`] (or the limit given to
//! [`ModuleCache::with_limit`]). The newest entry is always kept.

use std::fs;
use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use wasmtime::Engine;

/// Version of the entry format and key derivation; bump to orphan old entries.
const FORMAT: &[u8] = b"palisade-compiled-cache/1";
/// Magic bytes at the start of every entry.
const MAGIC: &[u8; 8] = b"PLSDC001";
/// Length of the secret and of a MAC, in bytes.
const SECRET_BYTES: usize = 32;
/// The default cap on the entries' total size: 2 GiB (a compiled 18 MB
/// Python component takes about 35 MB).
pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;

/// What the cache did for one pack, reported on [`crate::Pack::cache`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheOutcome {
    /// No cache is configured: compiled from the bytes.
    Disabled,
    /// A valid entry was found and deserialized: no compilation.
    Hit,
    /// No entry: compiled, and the entry written (`stored` false when
    /// writing failed, e.g. a read-only directory).
    Miss {
        /// Whether the new entry was written.
        stored: bool,
    },
    /// An entry existed but was not trusted or not usable: compiled again
    /// and replaced.
    Rebuilt {
        /// Why the entry was discarded.
        reason: String,
    },
}

/// The cache directory could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("module cache {dir}: {message}")]
pub struct CacheError {
    /// The cache directory.
    pub dir: PathBuf,
    /// What failed.
    pub message: String,
}

/// A cache directory with its secret; shared by all packs of an engine.
#[derive(Debug)]
pub struct ModuleCache {
    dir: PathBuf,
    secret: [u8; SECRET_BYTES],
    engine_hash: [u8; 32],
    max_bytes: u64,
}

/// Feeds a [`std::hash::Hash`] into SHA-256.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Which kind of compiled code an entry holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Module,
    Component,
}

/// How one kind of code is compiled from a pack's bytes, serialized into a
/// cache entry, and deserialized from one.
pub(crate) struct Compiler<B, S, D> {
    /// The kind, part of the entry's key.
    pub(crate) kind: Kind,
    /// Compile the bytes (on a miss).
    pub(crate) build: B,
    /// The compiled code as an entry's payload.
    pub(crate) serialize: S,
    /// The compiled code from a trusted entry's payload.
    pub(crate) deserialize: D,
}

impl ModuleCache {
    /// Open (creating if needed, mode 0700) the cache directory `dir` for
    /// code compiled by `engine`, and read or create its secret.
    ///
    /// The directory must be Palisade's: new or empty (it is then marked
    /// with a `CACHEDIR.TAG`, <https://bford.info/cachedir/>), or already
    /// marked by Palisade. On Unix it, and its secret, must belong to the
    /// current user and be closed to others: code deserialized from the
    /// cache runs as this user, so nobody else may be able to write or sign
    /// an entry.
    ///
    /// Errors: the directory cannot be created or read, is someone else's
    /// or open to others, holds other files, or its secret is not a regular
    /// private file.
    pub fn open(dir: &Path, engine: &Engine) -> Result<ModuleCache, CacheError> {
        let fail = |message: String| CacheError { dir: dir.to_path_buf(), message };
        create_private_dir(dir).map_err(|e| fail(format!("cannot create the directory: {e}")))?;
        claim(dir).map_err(fail)?;
        check_private(dir, true).map_err(fail)?;
        let secret = read_or_create_secret(&dir.join("secret")).map_err(fail)?;
        let mut hasher = ShaHasher(Sha256::new());
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
        Ok(ModuleCache {
            dir: dir.to_path_buf(),
            secret,
            engine_hash: hasher.0.finalize().into(),
            max_bytes: DEFAULT_MAX_BYTES,
        })
    }

    /// The same cache, keeping its entries under `max_bytes` in total.
    pub fn with_limit(mut self, max_bytes: u64) -> ModuleCache {
        self.max_bytes = max_bytes;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The compiled code for `bytes`: deserialized from a trusted entry, or
    /// built with `compiler.build` and stored.
    pub(crate) fn get_or_build<T, B, S, D>(
        &self,
        bytes: &[u8],
        compiler: Compiler<B, S, D>,
    ) -> wasmtime::Result<(T, CacheOutcome)>
    where
        B: FnOnce() -> wasmtime::Result<T>,
        S: FnOnce(&T) -> wasmtime::Result<Vec<u8>>,
        D: FnOnce(&[u8]) -> wasmtime::Result<T>,
    {
        let Compiler { kind, build, serialize, deserialize } = compiler;
        let key = self.key(kind, bytes);
        let path = self.dir.join(format!("{}.bin", hex::encode(key)));
        let mut discarded = None;
        match read_regular(&path, MAX_ENTRY_BYTES) {
            Ok(entry) => match self.open_entry(&key, &entry) {
                Ok(payload) => match deserialize(payload) {
                    Ok(code) => {
                        // Mark it recently used, for eviction; a failure only ages it.
                        let _ = fs::File::options()
                            .append(true)
                            .open(&path)
                            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
                        return Ok((code, CacheOutcome::Hit));
                    }
                    Err(e) => discarded = Some(format!("wasmtime refused the entry: {e}")),
                },
                Err(reason) => discarded = Some(reason),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => discarded = Some(format!("cannot read the entry: {e}")),
        }
        let code = build()?;
        let stored = serialize(&code).ok().is_some_and(|payload| self.store(&key, &path, &payload).is_ok());
        let outcome = match discarded {
            Some(reason) => CacheOutcome::Rebuilt { reason },
            None => CacheOutcome::Miss { stored },
        };
        Ok((code, outcome))
    }

    fn key(&self, kind: Kind, bytes: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(FORMAT);
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(b"\0");
        h.update(match kind {
            Kind::Module => b"module\0".as_slice(),
            Kind::Component => b"component\0".as_slice(),
        });
        h.update(self.engine_hash);
        h.update(Sha256::digest(bytes));
        h.finalize().into()
    }

    fn mac(&self, key: &[u8; 32], payload: &[u8]) -> Result<[u8; SECRET_BYTES], String> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).map_err(|e| e.to_string())?;
        mac.update(key);
        mac.update(payload);
        Ok(mac.finalize().into_bytes().into())
    }

    /// The payload of `entry` if this cache wrote it for `key`.
    fn open_entry<'e>(&self, key: &[u8; 32], entry: &'e [u8]) -> Result<&'e [u8], String> {
        let header = MAGIC.len() + SECRET_BYTES;
        if entry.len() < header || &entry[..MAGIC.len()] != MAGIC {
            return Err("not an entry of this cache (bad magic or truncated)".into());
        }
        let (tag, payload) = entry[MAGIC.len()..].split_at(SECRET_BYTES);
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).map_err(|e| e.to_string())?;
        mac.update(key);
        mac.update(payload);
        mac.verify_slice(tag).map_err(|_| "the entry's MAC does not match: corrupt, or not written by this cache")?;
        Ok(payload)
    }

    fn store(&self, key: &[u8; 32], path: &Path, payload: &[u8]) -> Result<(), String> {
        let tag = self.mac(key, payload)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| e.to_string())?;
        tmp.write_all(MAGIC).map_err(|e| e.to_string())?;
        tmp.write_all(&tag).map_err(|e| e.to_string())?;
        tmp.write_all(payload).map_err(|e| e.to_string())?;
        tmp.persist(path).map_err(|e| e.to_string())?;
        self.prune(path);
        Ok(())
    }

    /// Remove the least recently used entries (never `keep`) until the
    /// entries total at most `max_bytes`. Best effort: errors are ignored.
    fn prune(&self, keep: &Path) {
        let Ok(dir) = fs::read_dir(&self.dir) else { return };
        let mut entries: Vec<(std::time::SystemTime, u64, PathBuf)> = dir
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| is_entry_name(p))
            .filter_map(|p| {
                let meta = fs::metadata(&p).ok()?;
                Some((meta.modified().ok()?, meta.len(), p))
            })
            .collect();
        let mut total: u64 = entries.iter().map(|(_, len, _)| len).sum();
        entries.sort();
        for (_, len, path) in entries {
            if total <= self.max_bytes {
                break;
            }
            if path != keep && fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
            }
        }
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The tag that marks a directory as Palisade's cache (Cache Directory
/// Tagging Specification: the signature line, then a comment).
const TAG_FILE: &str = "CACHEDIR.TAG";
const TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This directory is Palisade's compiled-pack cache (palisade check --cache-dir).\n\
# Palisade may delete any of its entries; it is safe to delete the whole directory.\n";
/// The largest entry read, in bytes: a larger file is not an entry.
const MAX_ENTRY_BYTES: u64 = 1 << 30;

/// Whether `path` is named like an entry: 64 hex digits and `.bin`.
fn is_entry_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".bin"))
        .is_some_and(|stem| stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// Make sure `dir` is Palisade's cache: tagged by Palisade, or empty (then
/// tag it). Nothing in a directory that is not ours is ever written or deleted.
fn claim(dir: &Path) -> Result<(), String> {
    let tag = dir.join(TAG_FILE);
    match read_regular(&tag, 4096) {
        Ok(text) if text == TAG.as_bytes() => Ok(()),
        Ok(_) => Err(format!("{TAG_FILE} was not written by Palisade; refusing to use the directory")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let empty = fs::read_dir(dir).map_err(|e| format!("cannot list the directory: {e}"))?.next().is_none();
            if !empty {
                return Err(format!(
                    "the directory holds other files and no {TAG_FILE}: it is not a Palisade cache; \
                     refusing to write or delete anything in it (give an empty or new directory)"
                ));
            }
            let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("cannot write {TAG_FILE}: {e}"))?;
            tmp.write_all(TAG.as_bytes()).map_err(|e| format!("cannot write {TAG_FILE}: {e}"))?;
            match tmp.persist_noclobber(&tag) {
                Ok(_) => Ok(()),
                // Another process tagged it meanwhile.
                Err(_) if read_regular(&tag, 4096).is_ok_and(|t| t == TAG.as_bytes()) => Ok(()),
                Err(e) => Err(format!("cannot write {TAG_FILE}: {}", e.error)),
            }
        }
        Err(e) => Err(format!("cannot read {TAG_FILE}: {e}")),
    }
}

/// Read `path` if it is a regular file (not a link, FIFO or device) of at
/// most `max` bytes.
fn read_regular(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let meta = fs::symlink_metadata(path)?;
    if !meta.file_type().is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() > max {
        return Err(std::io::Error::other(format!("larger than {max} bytes")));
    }
    fs::read(path)
}

/// On Unix: `path` belongs to the current user and others have no access
/// (`dir`: no group/other permission at all; files likewise).
#[cfg(unix)]
fn check_private(path: &Path, dir: bool) -> Result<(), String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // The directory may be reached through a link (a symlinked ~/.cache): its
    // target is judged. Files are never links (`read_regular` refuses them).
    let meta = if dir { fs::metadata(path) } else { fs::symlink_metadata(path) }
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(format!(
            "{} belongs to user {}, not to this user ({me}); refusing to trust it",
            path.display(),
            meta.uid()
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        let fix = if dir { 700 } else { 600 };
        return Err(format!(
            "{} is open to other users (mode {mode:o}); refusing to trust it (chmod {fix} it)",
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _dir: bool) -> Result<(), String> {
    Ok(())
}

/// Read the secret at `path`, or create it (random, mode 0600) when absent;
/// a secret of the wrong length (in our own, checked directory) is replaced.
fn read_or_create_secret(path: &Path) -> Result<[u8; SECRET_BYTES], String> {
    match read_regular(path, 1024) {
        Ok(bytes) => {
            check_private(path, false)?;
            if let Ok(secret) = <[u8; SECRET_BYTES]>::try_from(bytes.as_slice()) {
                return Ok(secret);
            }
            // Malformed: replaced; the entries it signed then fail their MAC.
            fs::remove_file(path).map_err(|e| format!("cannot replace the malformed secret: {e}"))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot use the secret {}: {e}", path.display())),
    }
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|e| format!("cannot draw a random secret: {e}"))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    // NamedTempFile creates its file with mode 0600.
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("cannot write the secret: {e}"))?;
    tmp.write_all(&secret).map_err(|e| format!("cannot write the secret: {e}"))?;
    // Another process may have created it meanwhile: keep theirs.
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(secret),
        Err(_) => {
            check_private(path, false)?;
            read_regular(path, 1024)
                .ok()
                .and_then(|b| <[u8; SECRET_BYTES]>::try_from(b.as_slice()).ok())
                .ok_or_else(|| format!("cannot read the secret {}", path.display()))
        }
    }
}
