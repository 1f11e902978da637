//! Policies and packs as data: the describe document (declared once, in
//! [`palisade_abi::wire`]), the enforcement vocabulary, the per-run
//! [`PolicySettings`], and [`DescribedPack`], what a report needs of a
//! loaded pack (implemented by the runtime's `Pack`), so that reports build
//! without the WebAssembly runtime.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

pub use palisade_abi::wire::{PackMetadata, PolicyInfo};
pub use palisade_abi::{EnforcementLevel, PolicyKind, Severity};

/// Which kind of WebAssembly a pack is, told from its first eight bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PackKind {
    /// A core module (`\0asm` version 1) speaking guest ABI v1 (`sdk/ABI.md`).
    Module,
    /// A component (`\0asm` version `0x0d`, layer 1) of the WIT world
    /// `palisade:policy/pack@1.0.0` (`sdk/wit/palisade.wit`).
    Component,
}

/// One pack of a report's provenance: what identifies the pack that
/// produced a finding.
#[derive(Debug, Clone, Serialize)]
pub struct PackProvenance {
    /// Describe name.
    pub name: String,
    /// Describe version.
    pub version: String,
    /// Hex SHA-256 of the module.
    pub sha256: String,
    /// Path as given, or `builtin:NAME`.
    pub path: String,
    /// `module` (guest ABI v1) or `component` (WIT world `palisade:policy/pack`).
    pub kind: PackKind,
}

/// A loaded pack as reports see it: its provenance and its describe
/// document. The runtime's `Pack` implements it.
pub trait DescribedPack {
    /// Name, version, digest, path and kind.
    fn provenance(&self) -> PackProvenance;
    /// The describe document.
    fn metadata(&self) -> &PackMetadata;
}

/// Per-run policy settings: enforcement level overrides and configs, by policy name.
#[derive(Debug, Clone, Default)]
pub struct PolicySettings {
    /// Enforcement level per policy name, overriding the pack's default.
    pub levels: HashMap<String, EnforcementLevel>,
    /// Config object per policy name (schema defaults are filled in).
    pub configs: HashMap<String, Value>,
}

impl PolicySettings {
    /// The effective level of `policy`: the level set for it, else its
    /// default. A stack policy cannot remediate (its findings are not about
    /// one resource): at `remediate` it runs as `mandatory` (see
    /// [`PolicySettings::note`]).
    pub fn level(&self, policy: &PolicyInfo) -> EnforcementLevel {
        match self.asked_level(policy) {
            EnforcementLevel::Remediate if policy.kind == PolicyKind::Stack => EnforcementLevel::Mandatory,
            level => level,
        }
    }

    /// The level set for `policy`, or its default, before the rule for stack policies.
    fn asked_level(&self, policy: &PolicyInfo) -> EnforcementLevel {
        self.levels.get(&policy.name).copied().unwrap_or(policy.enforcement_level)
    }

    /// A note for the report when the effective level is not the one asked
    /// for: a stack policy set to `remediate` runs as `mandatory`.
    pub fn note(&self, policy: &PolicyInfo) -> Option<String> {
        (policy.kind == PolicyKind::Stack && self.asked_level(policy) == EnforcementLevel::Remediate).then(|| {
            format!(
                "stack policy `{}` is set to remediate, but stack policies cannot remediate: it runs as mandatory",
                policy.name
            )
        })
    }
}
