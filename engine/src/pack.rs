//! Policy packs: loading a WebAssembly module, checking its imports and ABI
//! version, and reading its `describe` document (`sdk/ABI.md`, sections 1-3).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use wasmtime::{ExternType, InstancePre, Linker, Module};

use crate::fault::GuestFault;
use crate::runtime::{Guest, HostState, Runtime};
use crate::wasi;
pub use palisade_abi::{EnforcementLevel, PolicyKind, Severity};

/// One policy as described by its pack (ABI v1 section 3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyInfo {
    /// Unique name in the pack, e.g. `aws-s3-bucket-disallow-public-read`.
    pub name: String,
    /// What the policy checks.
    #[serde(default)]
    pub description: String,
    /// Severity of a violation.
    pub severity: Severity,
    /// Default enforcement level.
    pub enforcement_level: EnforcementLevel,
    /// Resource or stack policy.
    #[serde(default)]
    pub kind: PolicyKind,
    /// Types judged by a resource policy; empty or `*` means every managed resource.
    #[serde(default)]
    pub resource_types: Vec<String>,
    /// JSON Schema of the policy's config.
    #[serde(default = "default_schema")]
    pub config_schema: Value,
    /// A help URL or text.
    #[serde(default)]
    pub help: Option<String>,
}

fn default_schema() -> Value {
    serde_json::json!({"type": "object"})
}

impl PolicyInfo {
    /// The config passed to the policy: `given` (or `{}`) with the defaults of
    /// the schema's top-level `properties` filled in where absent.
    pub fn config_with_defaults(&self, given: Option<&Value>) -> Value {
        let mut config = match given {
            Some(Value::Object(map)) => map.clone(),
            _ => serde_json::Map::new(),
        };
        if let Some(Value::Object(props)) = self.config_schema.get("properties") {
            for (key, schema) in props {
                if let Some(default) = schema.get("default") {
                    config.entry(key.clone()).or_insert_with(|| default.clone());
                }
            }
        }
        Value::Object(config)
    }
}

/// A pack's `describe` document (ABI v1 section 3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackMetadata {
    /// Pack name.
    pub name: String,
    /// Pack version.
    pub version: String,
    /// What the pack is for.
    #[serde(default)]
    pub description: String,
    /// Its policies, in the pack's order.
    pub policies: Vec<PolicyInfo>,
}

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
    /// Not a valid WebAssembly module.
    #[error("not a valid WebAssembly module: {0}")]
    Compile(String),
    /// The module imports something the host does not provide.
    #[error(
        "imports `{module}::{name}`, which Palisade does not provide (packs may import only functions of wasi_snapshot_preview1)"
    )]
    Import {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
    },
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
    /// The pack's describe document.
    pub metadata: PackMetadata,
    pub(crate) runtime: Runtime,
    pub(crate) pre: InstancePre<HostState>,
}

impl fmt::Debug for Pack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pack")
            .field("path", &self.path)
            .field("sha256", &self.sha256)
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

impl Pack {
    /// Compile `bytes`, link the deny-all WASI for its imports, pre-instantiate,
    /// check the ABI version and read `describe` (on a fresh instance).
    pub(crate) fn load(runtime: &Runtime, path: &str, bytes: &[u8]) -> Result<Pack, PackError> {
        let err = |kind| PackError { path: path.to_string(), kind };
        if !bytes.starts_with(b"\0asm") {
            let head: String = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
            let message = format!(
                "the file does not start with the bytes 00 61 73 6d (\\0asm) of a WebAssembly module; it starts with {head}"
            );
            return Err(err(PackErrorKind::Compile(message)));
        }
        let module = Module::new(&runtime.engine, bytes).map_err(|e| err(PackErrorKind::Compile(one_line(&e))))?;
        let mut linker: Linker<HostState> = Linker::new(&runtime.engine);
        for import in module.imports() {
            match import.ty() {
                ExternType::Func(ty) if import.module() == wasi::WASI_P1 => {
                    wasi::define(&mut linker, import.name(), ty)
                        .map_err(|e| err(PackErrorKind::Compile(one_line(&e))))?;
                }
                _ => {
                    return Err(err(PackErrorKind::Import {
                        module: import.module().to_string(),
                        name: import.name().to_string(),
                    }));
                }
            }
        }
        let pre = linker.instantiate_pre(&module).map_err(|e| err(PackErrorKind::Compile(one_line(&e))))?;
        let mut guest = Guest::new(runtime, &pre).map_err(|f| err(PackErrorKind::Guest(f)))?;
        let reply = guest.describe().map_err(|f| err(PackErrorKind::Guest(f)))?;
        let metadata = parse_describe(&reply).map_err(|m| err(PackErrorKind::Describe(m)))?;
        Ok(Pack {
            path: path.to_string(),
            sha256: hex::encode(Sha256::digest(bytes)),
            metadata,
            runtime: runtime.clone(),
            pre,
        })
    }

    /// The policy named `name`, if the pack has it.
    pub fn policy(&self, name: &str) -> Option<&PolicyInfo> {
        self.metadata.policies.iter().find(|p| p.name == name)
    }
}

/// The first line of an error and of its root cause, for one-line messages.
fn one_line(e: &wasmtime::Error) -> String {
    let top = e.to_string();
    let cause = e.root_cause().to_string();
    let first = |s: &str| s.lines().next().unwrap_or_default().trim().to_string();
    if cause == top { first(&top) } else { format!("{}: {}", first(&top), first(&cause)) }
}

/// Parse and validate a describe document.
fn parse_describe(reply: &[u8]) -> Result<PackMetadata, String> {
    let mut de = serde_json::Deserializer::from_slice(reply);
    let meta: PackMetadata = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        format!("at `{path}`: {}", e.into_inner())
    })?;
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
