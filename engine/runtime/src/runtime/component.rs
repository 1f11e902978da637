//! Components of the WIT world `palisade:policy/pack@1.0.0` (`sdk/wit`):
//! the same life cycle and information as guest ABI v1, as typed calls.
//!
//! WASI 0.2 is linked from `wasmtime-wasi`, configured to grant nothing a
//! policy could use to reach out: no arguments, no environment, no
//! preopened directory (except a pack's own read-only data folder, see
//! [`crate::EngineBuilder`]), no network (TCP, UDP and name lookup denied),
//! empty stdin, stdout discarded, stderr kept (capped) for error messages.
//! Filesystem and socket calls therefore fail, as a deny-all would. Clocks
//! and randomness are real, for language runtimes (CPython, SpiderMonkey)
//! that cannot start without them. Imports outside WASI 0.2 and this world
//! are refused at load time, naming the import.

use std::path::{Path, PathBuf};

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{ResourceLimiter, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::{DescribeError, HostState, Request, Runtime, WireViolation, classify};
use crate::pack::{EnforcementLevel, PackMetadata, PolicyInfo, PolicyKind, Severity, one_line};
use palisade_model::fault::{FaultKind, GuestFault};

mod bindings {
    wasmtime::component::bindgen!({ path: "../../sdk/wit", world: "pack" });
}

use bindings::palisade::policy::types as wit;

/// The WIT package and version packs are built against (the newest of
/// [`WIT_VERSIONS`]).
pub const WIT_PACKAGE: &str = "palisade:policy@1.0.0";
/// Every version of the WIT package `palisade:policy` this host binds,
/// oldest first. The contract rule (`sdk/ABI.md`, "Growing the contract"):
/// a change to the world is a new version, and every version stays bound,
/// so a component built against an older one keeps loading.
pub const WIT_VERSIONS: &[&str] = &["1.0.0"];
/// The interface of shared types a pack imports (types only, no functions).
const TYPES_INTERFACE: &str = "palisade:policy/types@1.0.0";
/// Import prefixes the host provides: WASI 0.2 (through `wasmtime-wasi`;
/// an interface or version it lacks fails at link time, naming it).
const PROVIDED: &[&str] =
    &["wasi:io/", "wasi:clocks/", "wasi:random/", "wasi:cli/", "wasi:filesystem/", "wasi:sockets/"];
/// Where a pack's data folder appears inside the guest.
pub const DATA_GUEST_PATH: &str = "/data";
/// How much of a component's stderr is kept for error messages, in bytes.
const STDERR_BYTES: usize = 16 << 10;

/// A pre-instantiated pack component and the data folder it is granted.
pub(crate) struct ComponentCode {
    pre: bindings::PackPre<ComponentState>,
    data: Option<PathBuf>,
}

/// Per-store data of a component: the shared limiter state plus WASI.
pub(crate) struct ComponentState {
    host: HostState,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for ComponentState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// Check a component's imports, link WASI and pre-instantiate it; `data` is
/// the folder granted read-only at [`DATA_GUEST_PATH`].
///
/// Errors: [`PrepareError::Import`] for an import the host does not
/// provide, [`PrepareError::Link`] when linking fails otherwise.
pub(crate) fn prepare(
    runtime: &Runtime,
    component: &Component,
    data: Option<PathBuf>,
) -> Result<ComponentCode, PrepareError> {
    let ty = component.component_type();
    // One version is bound today (`bindings`); the next adds its bindings
    // module and a match on the version found here.
    wit_version(ty.imports(&runtime.engine).map(|(name, _)| name))?;
    for (name, _) in ty.imports(&runtime.engine) {
        if name != TYPES_INTERFACE && !PROVIDED.iter().any(|p| name.starts_with(p)) {
            return Err(PrepareError::Import(name.to_string()));
        }
    }
    let mut linker: Linker<ComponentState> = Linker::new(&runtime.engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| PrepareError::Link(one_line(&e)))?;
    // The types interface holds only types: an empty instance satisfies it.
    linker.instance(TYPES_INTERFACE).map_err(|e| PrepareError::Link(one_line(&e)))?;
    let pre = linker.instantiate_pre(component).map_err(|e| PrepareError::Link(one_line(&e)))?;
    let pre = bindings::PackPre::new(pre).map_err(|e| PrepareError::Link(one_line(&e)))?;
    Ok(ComponentCode { pre, data })
}

/// The version of `palisade:policy` a component was built against, told by
/// the version of its `palisade:policy/...` imports; `None` when it imports
/// nothing of the package (it is then tried against the bound worlds,
/// oldest first: today only `@1.0.0`).
///
/// Errors: [`PrepareError::Version`] for a version not in [`WIT_VERSIONS`]
/// (or none), [`PrepareError::Link`] for imports naming two versions.
fn wit_version<'a>(imports: impl Iterator<Item = &'a str>) -> Result<Option<&'static str>, PrepareError> {
    let mut found: Option<&'static str> = None;
    for name in imports {
        let Some(rest) = name.strip_prefix("palisade:policy/") else { continue };
        let version = rest.split_once('@').map_or("", |(_, v)| v);
        let bound = WIT_VERSIONS
            .iter()
            .copied()
            .find(|v| *v == version)
            .ok_or_else(|| PrepareError::Version(version.to_string()))?;
        if let Some(other) = found.filter(|v| *v != bound) {
            return Err(PrepareError::Link(format!(
                "it imports both palisade:policy@{other} and palisade:policy@{bound}; a component is built against one version"
            )));
        }
        found = Some(bound);
    }
    Ok(found)
}

/// The load error of a component built against `found`, a version of
/// `palisade:policy` this host does not bind: the supported versions, and
/// what to do (an older pack is rebuilt; a newer one needs a newer
/// Palisade).
pub(crate) fn unsupported_wit(found: &str) -> String {
    let supported = WIT_VERSIONS.join(", ");
    if found.is_empty() {
        return format!(
            "imports palisade:policy without a version; build the pack against a supported version ({supported})"
        );
    }
    let numbers = |v: &str| v.split('.').map(|n| n.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
    let older = WIT_VERSIONS.first().is_some_and(|oldest| numbers(found) < numbers(oldest));
    let advice = if older {
        "build the pack against a supported version"
    } else {
        "use a newer Palisade, or build the pack against a supported version"
    };
    format!(
        "is built against palisade:policy@{found}, which this Palisade does not support (it supports {supported}); {advice}"
    )
}

/// Why a component cannot be pre-instantiated.
#[derive(Debug)]
pub(crate) enum PrepareError {
    /// A `palisade:policy` version this host does not bind.
    Version(String),
    /// An import outside WASI 0.2 and the pack world, by name.
    Import(String),
    /// Linking failed (a WASI version the host lacks, a wrong export type).
    Link(String),
}

/// One live component instance.
pub(crate) struct ComponentGuest {
    store: Store<ComponentState>,
    pack: bindings::Pack,
    stderr: MemoryOutputPipe,
    reply_limit: usize,
    deadline_ticks: u64,
}

impl ComponentGuest {
    /// Instantiate `pre` in a fresh store with a fresh WASI context.
    pub fn new(runtime: &Runtime, code: &ComponentCode) -> Result<ComponentGuest, GuestFault> {
        let stderr = MemoryOutputPipe::new(STDERR_BYTES);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }));
        if let Some(dir) = &code.data {
            grant_data(&mut wasi, dir)?;
        }
        let state = ComponentState { host: runtime.host_state(), wasi: wasi.build(), table: ResourceTable::new() };
        let mut store = Store::new(&runtime.engine, state);
        store.limiter(|s| &mut s.host as &mut dyn ResourceLimiter);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(runtime.limits.deadline_ticks());
        let pack = code.pre.instantiate(&mut store).map_err(|e| {
            let extra = tail(&stderr);
            classify(&store.data().host, e, "instantiating the component", &extra)
        })?;
        Ok(ComponentGuest {
            store,
            pack,
            stderr,
            reply_limit: runtime.limits.reply_bytes,
            deadline_ticks: runtime.limits.deadline_ticks(),
        })
    }

    fn arm(&mut self) {
        self.store.set_epoch_deadline(self.deadline_ticks);
    }

    fn fault(&self, e: wasmtime::Error, what: &str) -> GuestFault {
        classify(&self.store.data().host, e, what, &tail(&self.stderr))
    }

    /// Call `describe` and convert its record to the ABI v1 metadata.
    pub fn describe(&mut self) -> Result<PackMetadata, DescribeError> {
        self.arm();
        let info =
            self.pack.call_describe(&mut self.store).map_err(|e| DescribeError::Fault(self.fault(e, "describe")))?;
        let mut policies = Vec::with_capacity(info.policies.len());
        for (i, p) in info.policies.into_iter().enumerate() {
            let config_schema = match p.config_schema {
                None => serde_json::json!({"type": "object"}),
                Some(text) => serde_json::from_str(&text)
                    .map_err(|e| DescribeError::Invalid(format!("at `policies[{i}].config-schema`: not JSON: {e}")))?,
            };
            policies.push(PolicyInfo {
                name: p.name,
                description: p.description,
                severity: match p.severity {
                    wit::Severity::Low => Severity::Low,
                    wit::Severity::Medium => Severity::Medium,
                    wit::Severity::High => Severity::High,
                    wit::Severity::Critical => Severity::Critical,
                },
                enforcement_level: match p.enforcement_level {
                    wit::EnforcementLevel::Advisory => EnforcementLevel::Advisory,
                    wit::EnforcementLevel::Mandatory => EnforcementLevel::Mandatory,
                    wit::EnforcementLevel::Remediate => EnforcementLevel::Remediate,
                    wit::EnforcementLevel::Disabled => EnforcementLevel::Disabled,
                },
                kind: match p.kind {
                    wit::PolicyKind::Resource => PolicyKind::Resource,
                    wit::PolicyKind::Stack => PolicyKind::Stack,
                },
                resource_types: p.resource_types,
                config_schema,
                help: p.help,
            });
        }
        Ok(PackMetadata { name: info.name, version: info.version, description: info.description, policies })
    }

    /// Call `load`; `err` refuses the batch (a [`FaultKind::Policy`] fault).
    pub fn load(&mut self, batch: &[u8]) -> Result<(), GuestFault> {
        let text = std::str::from_utf8(batch).map_err(|e| GuestFault::abi(format!("the batch is not UTF-8: {e}")))?;
        self.arm();
        match self.pack.call_load(&mut self.store, text) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(GuestFault::new(FaultKind::Policy, format!("load refused the batch: {message}"))),
            Err(e) => Err(self.fault(e, "load")),
        }
    }

    /// Call `evaluate`; `err` is the policy's own error.
    pub fn evaluate(&mut self, request: &Request<'_>) -> Result<Vec<WireViolation>, GuestFault> {
        let targets = request
            .targets
            .iter()
            .map(|&t| u32::try_from(t).map_err(|_| GuestFault::abi(format!("target {t} does not fit in a u32"))))
            .collect::<Result<Vec<u32>, _>>()?;
        let wire =
            wit::EvaluateRequest { policy: request.policy.to_string(), config: request.config.to_string(), targets };
        self.arm();
        let violations = match self.pack.call_evaluate(&mut self.store, &wire) {
            Ok(Ok(v)) => v,
            Ok(Err(message)) => return Err(GuestFault::new(FaultKind::Policy, message)),
            Err(e) => return Err(self.fault(e, "evaluate")),
        };
        let size: usize = violations.iter().map(|v| v.resource.len() + v.message.len() + 64).sum();
        if size > self.reply_limit {
            return Err(GuestFault::abi(format!(
                "evaluate replied about {size} bytes of violations, over the limit of {} bytes",
                self.reply_limit
            )));
        }
        violations
            .into_iter()
            .map(|v| {
                // The WIT field carries the remediation document as JSON
                // text; text that is not JSON stays a string, which the
                // host refuses for that resource only where a fix counts.
                let remediation = v.remediation.map(|text| {
                    serde_json::from_str::<serde_json::Value>(&text).unwrap_or(serde_json::Value::String(text))
                });
                Ok::<_, GuestFault>(WireViolation {
                    policy: None,
                    resource: v.resource,
                    message: v.message,
                    undecided: v.undecided,
                    remediation,
                })
            })
            .collect()
    }
}

/// Grant `dir` read-only at [`DATA_GUEST_PATH`] (cap-std, through wasmtime-wasi).
fn grant_data(wasi: &mut WasiCtxBuilder, dir: &Path) -> Result<(), GuestFault> {
    wasi.preopened_dir(dir, DATA_GUEST_PATH, FsPerms::ReadOnly).map(|_| ()).map_err(|e| {
        GuestFault::new(FaultKind::Abi, format!("cannot open the pack's data folder {}: {e}", dir.display()))
    })
}

/// The last three lines of stderr, as `; stderr: ...`, or empty. Kept
/// whole, newlines included: the evaluation redacts secrets from the whole
/// message, then cuts it to [`crate::MAX_MESSAGE_BYTES`].
fn tail(pipe: &MemoryOutputPipe) -> String {
    let bytes = pipe.contents();
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().map(str::trim_end).filter(|l| !l.is_empty()).collect();
    if lines.is_empty() {
        return String::new();
    }
    format!("; stderr: {}", lines[lines.len().saturating_sub(3)..].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(imports: &[&str]) -> Result<Option<&'static str>, String> {
        wit_version(imports.iter().copied()).map_err(|e| match e {
            PrepareError::Version(v) => format!("version {v:?}"),
            PrepareError::Link(m) => m,
            PrepareError::Import(i) => format!("import {i}"),
        })
    }

    #[test]
    fn the_version_is_told_by_the_palisade_imports() {
        assert_eq!(version(&["wasi:io/streams@0.2.6", "palisade:policy/types@1.0.0"]), Ok(Some("1.0.0")));
        assert_eq!(version(&["wasi:io/streams@0.2.6"]), Ok(None), "no palisade import: tried against the bound worlds");
        assert_eq!(version(&["palisade:policy/types@1.1.0"]), Err("version \"1.1.0\"".into()));
        assert_eq!(version(&["palisade:policy/types"]), Err("version \"\"".into()));
    }

    #[test]
    fn unsupported_versions_are_told_what_to_do() {
        assert!(
            unsupported_wit("1.1.0")
                .ends_with("(it supports 1.0.0); use a newer Palisade, or build the pack against a supported version")
        );
        assert!(unsupported_wit("0.9.0").ends_with("(it supports 1.0.0); build the pack against a supported version"));
        assert!(unsupported_wit("").starts_with("imports palisade:policy without a version"));
    }
}
