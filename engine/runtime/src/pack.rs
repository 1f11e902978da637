//! Policy packs: loading a WebAssembly module, checking its imports and ABI
//! version, and reading its `describe` document (`sdk/ABI.md`, sections 1-3).

use std::fmt;
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{ExternType, Linker, Module};

use crate::cache::{CacheOutcome, Compiler, Kind};
use crate::runtime::component::{self, PrepareError};
use crate::runtime::{Code, DescribeError, Guest, HostState, Runtime};
use crate::wasi;
use palisade_model::fault::GuestFault;
pub use palisade_model::policy::{EnforcementLevel, PackKind, PackMetadata, PolicyInfo, PolicyKind, Severity};

/// Why a pack could not be loaded. Always names the pack's file.
#[derive(Debug, thiserror::Error)]
#[error("policy pack {path}: {kind}")]
pub struct PackError {
    /// The pack's path as given (or `builtin:NAME`).
    pub path: String,
    /// What went wrong.
    pub kind: PackErrorKind,
}

/// What went wrong loading a pack.
#[derive(Debug, thiserror::Error)]
pub enum PackErrorKind {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// Not a valid WebAssembly module or component.
    #[error("not a valid WebAssembly module or component: {0}")]
    Compile(String),
    /// The module imports something the host does not provide.
    #[error(
        "imports `{module}::{name}`, which Palisade does not provide (packs may import only the functions of wasi_snapshot_preview1, with their WASI signatures)"
    )]
    Import {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
    },
    /// The component imports something the host does not provide (only
    /// WASI 0.2 and `palisade:policy/types` are provided).
    #[error(
        "imports `{0}`, which Palisade does not provide (components may import only palisade:policy/types@1.0.0 and WASI 0.2 interfaces: wasi:io, wasi:clocks, wasi:random, wasi:cli, wasi:filesystem, wasi:sockets)"
    )]
    ComponentImport(String),
    /// The component was built against a version of the WIT package
    /// `palisade:policy` that this host does not bind.
    #[error("{}", crate::runtime::component::unsupported_wit(.found))]
    WitVersion {
        /// The version the component imports.
        found: String,
    },
    /// The binary is valid but cannot be linked as a pack: an import of a
    /// WASI version the host lacks, a missing or mistyped export.
    #[error("cannot be linked as a policy pack: {0}")]
    Link(String),
    /// The pack's data folder cannot be granted.
    #[error("{0}")]
    Data(String),
    /// Starting the guest or `describe` failed (trap, limit, ABI).
    #[error("{0}")]
    Guest(#[from] GuestFault),
    /// The describe document is not valid.
    #[error("palisade_describe returned an invalid document: {0}")]
    Describe(String),
}

/// A loaded pack: compiled once, pre-instantiated, described.
pub struct Pack {
    /// The pack's path as given (or `builtin:NAME`).
    pub path: String,
    /// Hex SHA-256 of the module bytes.
    pub sha256: String,
    /// Size of the module bytes (see [`Pack::size`]).
    size: u64,
    /// Core module or component.
    pub kind: PackKind,
    /// The pack's describe document.
    pub metadata: PackMetadata,
    /// Whether the compiled code came from the module cache.
    pub cache: CacheOutcome,
    /// What the code imports, in its order (see [`Pack::imports`]).
    imports: Vec<String>,
    pub(crate) runtime: Runtime,
    pub(crate) code: Code,
}

impl fmt::Debug for Pack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pack")
            .field("path", &self.path)
            .field("sha256", &self.sha256)
            .field("kind", &self.kind)
            .field("cache", &self.cache)
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

impl palisade_model::policy::DescribedPack for Pack {
    fn provenance(&self) -> palisade_model::policy::PackProvenance {
        palisade_model::policy::PackProvenance {
            name: self.metadata.name.clone(),
            version: self.metadata.version.clone(),
            sha256: self.sha256.clone(),
            path: self.path.clone(),
            kind: self.kind,
        }
    }

    fn metadata(&self) -> &PackMetadata {
        &self.metadata
    }
}

impl Pack {
    /// Tell the kind from the bytes, compile (or fetch from the cache),
    /// link, pre-instantiate, and read `describe` on a fresh instance.
    /// Core modules get the deny-all WASI preview 1 for their imports;
    /// components get WASI 0.2 as [`component`] describes, and `data` (if
    /// any) read-only at `/data`.
    pub(crate) fn load(runtime: &Runtime, path: &str, bytes: &[u8], data: Option<PathBuf>) -> Result<Pack, PackError> {
        let err = |kind| PackError { path: path.to_string(), kind };
        let kind = detect(bytes).map_err(|m| err(PackErrorKind::Compile(m)))?;
        let (code, cache, imports) = match kind {
            PackKind::Module => {
                let (module, cache) =
                    compile_module(runtime, bytes).map_err(|e| err(PackErrorKind::Compile(one_line(&e))))?;
                let imports = module.imports().map(|i| format!("{}::{}", i.module(), i.name())).collect();
                (Code::Module(link_module(runtime, &module).map_err(err)?), cache, imports)
            }
            PackKind::Component => {
                let (component, cache) =
                    compile_component(runtime, bytes).map_err(|e| err(PackErrorKind::Compile(one_line(&e))))?;
                let imports =
                    component.component_type().imports(&runtime.engine).map(|(name, _)| name.to_string()).collect();
                let code = component::prepare(runtime, &component, data).map_err(|e| {
                    err(match e {
                        PrepareError::Version(found) => PackErrorKind::WitVersion { found },
                        PrepareError::Import(name) => PackErrorKind::ComponentImport(name),
                        PrepareError::Link(message) => PackErrorKind::Link(message),
                    })
                })?;
                (Code::Component(code), cache, imports)
            }
        };
        let mut guest = Guest::new(runtime, &code).map_err(|f| err(PackErrorKind::Guest(f)))?;
        let metadata = match guest.describe() {
            Ok(meta) => validate(meta).map_err(|m| err(PackErrorKind::Describe(m)))?,
            Err(DescribeError::Fault(f)) => return Err(err(PackErrorKind::Guest(f))),
            Err(DescribeError::Invalid(m)) => return Err(err(PackErrorKind::Describe(m))),
        };
        Ok(Pack {
            path: path.to_string(),
            sha256: hex::encode(Sha256::digest(bytes)),
            size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            kind,
            metadata,
            cache,
            imports,
            runtime: runtime.clone(),
            code,
        })
    }

    /// The policy named `name`, if the pack has it.
    pub fn policy(&self, name: &str) -> Option<&PolicyInfo> {
        self.metadata.policies.iter().find(|p| p.name == name)
    }

    /// What the pack's code imports, in the order the binary declares them:
    /// `module::name` for a core module (e.g.
    /// `wasi_snapshot_preview1::fd_write`; a name imported twice is listed
    /// twice), the interface names for a component (e.g.
    /// `palisade:policy/types@1.0.0`, `wasi:io/streams@0.2.6`). Every one of
    /// them was checked and linked at load time.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// The guest ABI version a core module speaks: what its
    /// `palisade_abi_version` export returned at load time, which loading
    /// requires to be [`crate::ABI_VERSION`]. `None` for a component.
    pub fn abi_version(&self) -> Option<i32> {
        (self.kind == PackKind::Module).then_some(palisade_abi::ABI_VERSION)
    }

    /// The WIT package and version a component implements, as
    /// `(package, version)`, e.g. `("palisade:policy", "1.0.0")`: read from
    /// the component's own `palisade:policy/...@VERSION` imports, else the
    /// world it was linked against ([`crate::WIT_PACKAGE`]). `None` for a
    /// core module.
    pub fn wit_package(&self) -> Option<(String, String)> {
        if self.kind != PackKind::Component {
            return None;
        }
        let split = |s: &str| s.split_once('@').map(|(p, v)| (p.to_string(), v.to_string()));
        let from_imports = self.imports.iter().find_map(|name| {
            let (path, version) = name.split_once('@')?;
            let (package, _interface) = path.split_once('/')?;
            (package == "palisade:policy").then(|| (package.to_string(), version.to_string()))
        });
        from_imports.or_else(|| split(component::WIT_PACKAGE))
    }

    /// The size of the pack's WebAssembly binary, in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// The first line of an error and of its root cause, for one-line messages.
pub(crate) fn one_line(e: &wasmtime::Error) -> String {
    let top = e.to_string();
    let cause = e.root_cause().to_string();
    let first = |s: &str| s.lines().next().unwrap_or_default().trim().to_string();
    if cause == top { first(&top) } else { format!("{}: {}", first(&top), first(&cause)) }
}

/// Validate a describe document (ABI v1 section 3).
fn validate(meta: PackMetadata) -> Result<PackMetadata, String> {
    let name_ok = |s: &str| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if !name_ok(&meta.name) {
        return Err(format!("the pack name {:?} is not letters, digits, `-`, `_` and `.`", meta.name));
    }
    if meta.version.is_empty() || meta.version.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("the pack version {:?} is empty or has spaces or control characters", meta.version));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, p) in meta.policies.iter().enumerate() {
        if !name_ok(&p.name) {
            return Err(format!("policies[{i}]: the name {:?} is not letters, digits, `-`, `_` and `.`", p.name));
        }
        if !seen.insert(p.name.as_str()) {
            return Err(format!("policy `{}` is described twice", p.name));
        }
    }
    Ok(meta)
}

/// The kind of WebAssembly binary `bytes` holds, from its preamble: the
/// magic `\0asm`, then version `01 00 00 00` (core module) or `0d 00 01 00`
/// (component, binary format layer 1).
fn detect(bytes: &[u8]) -> Result<PackKind, String> {
    let head = || bytes.iter().take(8).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
    if bytes.is_empty() {
        return Err("the file is empty; a policy pack is a WebAssembly module or component".into());
    }
    if !bytes.starts_with(b"\0asm") {
        return Err(format!(
            "the file does not start with the bytes 00 61 73 6d (\\0asm) of a WebAssembly module; it starts with {}",
            head()
        ));
    }
    match bytes.get(4..8) {
        Some([1, 0, 0, 0]) => Ok(PackKind::Module),
        Some([0x0d, 0, 1, 0]) => Ok(PackKind::Component),
        _ => Err(format!(
            "unknown WebAssembly binary version (bytes {}); expected a core module (01 00 00 00) or a component (0d 00 01 00)",
            head()
        )),
    }
}

/// Compile a core module, through the cache when there is one.
fn compile_module(runtime: &Runtime, bytes: &[u8]) -> wasmtime::Result<(Module, CacheOutcome)> {
    let engine = &runtime.engine;
    // SAFETY: `get_or_build` passes only payloads whose HMAC under the cache's
    // secret proves the cache itself wrote them, from `Module::serialize`;
    // wasmtime checks their engine compatibility.
    #[allow(unsafe_code)]
    let deserialize = |payload: &[u8]| unsafe { Module::deserialize(engine, payload) };
    let build = || Module::new(engine, bytes);
    cached(runtime, bytes, Compiler { kind: Kind::Module, build, serialize: Module::serialize, deserialize })
}

/// Compile a component, through the cache when there is one.
fn compile_component(runtime: &Runtime, bytes: &[u8]) -> wasmtime::Result<(Component, CacheOutcome)> {
    let engine = &runtime.engine;
    // SAFETY: as in `compile_module`: only entries the cache wrote.
    #[allow(unsafe_code)]
    let deserialize = |payload: &[u8]| unsafe { Component::deserialize(engine, payload) };
    let build = || Component::new(engine, bytes);
    cached(runtime, bytes, Compiler { kind: Kind::Component, build, serialize: Component::serialize, deserialize })
}

/// `compiler.build()` directly without a cache, else through it.
fn cached<T, B, S, D>(
    runtime: &Runtime,
    bytes: &[u8],
    compiler: Compiler<B, S, D>,
) -> wasmtime::Result<(T, CacheOutcome)>
where
    B: FnOnce() -> wasmtime::Result<T>,
    S: FnOnce(&T) -> wasmtime::Result<Vec<u8>>,
    D: FnOnce(&[u8]) -> wasmtime::Result<T>,
{
    match &runtime.cache {
        None => Ok(((compiler.build)()?, CacheOutcome::Disabled)),
        Some(cache) => cache.get_or_build(bytes, compiler),
    }
}

/// Check a core module's imports, link the deny-all WASI preview 1 and
/// pre-instantiate it.
fn link_module(runtime: &Runtime, module: &Module) -> Result<wasmtime::InstancePre<HostState>, PackErrorKind> {
    let mut linker: Linker<HostState> = Linker::new(&runtime.engine);
    // A module may import one function twice (Go does); define it once, and
    // let `instantiate_pre` check that every import matches its type.
    let mut defined = std::collections::HashSet::new();
    for import in module.imports() {
        match import.ty() {
            ExternType::Func(ty)
                if import.module() == wasi::WASI_P1
                    && wasi::FUNCTIONS.contains(&import.name())
                    && wasi::is_wasi_shape(&ty) =>
            {
                if defined.insert(import.name()) {
                    wasi::define(&mut linker, import.name(), ty).map_err(|e| PackErrorKind::Compile(one_line(&e)))?;
                }
            }
            _ => {
                return Err(PackErrorKind::Import {
                    module: import.module().to_string(),
                    name: import.name().to_string(),
                });
            }
        }
    }
    linker.instantiate_pre(module).map_err(|e| PackErrorKind::Link(one_line(&e)))
}
