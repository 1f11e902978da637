//! The vocabulary of Palisade's guest ABI v1 (`sdk/ABI.md`), shared by the
//! host (`palisade-engine`) and the Rust guest SDK (`palisade-sdk`) so that
//! both sides spell the wire values the same way; [`wire`] declares the
//! documents that cross the boundary, once. No dependencies but serde and
//! serde_json;
//! builds for the host and for `wasm32-unknown-unknown`.
#![deny(missing_docs)]

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub mod wire;

/// The ABI version: what `palisade_abi_version` returns (ABI section 1).
pub const ABI_VERSION: i32 = 1;

/// The in-band marker of an unknown value (ABI section 4): Pulumi's
/// unknown-value sentinel string (`UnknownStringValue` in Pulumi's
/// `sdk/go/common/resource/plugin`). A property whose value is this string is
/// known only after apply.
pub const UNKNOWN: &str = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/// How bad a violation of a policy is (CrossGuard's severities; ABI section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`.
    High,
    /// `critical`.
    Critical,
}

impl Severity {
    /// The wire name (`"high"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The customary default level: critical and high are mandatory, medium
    /// and low advisory.
    pub fn default_enforcement(self) -> EnforcementLevel {
        match self {
            Severity::Critical | Severity::High => EnforcementLevel::Mandatory,
            Severity::Medium | Severity::Low => EnforcementLevel::Advisory,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a violation of a policy does to a run (CrossGuard's levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnforcementLevel {
    /// `advisory`: reported; never fails the run.
    Advisory,
    /// `mandatory`: fails the run.
    Mandatory,
    /// `remediate`: proposes a fix; in `check` it fails the run like `mandatory`.
    Remediate,
    /// `disabled`: not run.
    Disabled,
}

impl EnforcementLevel {
    /// The wire name (`"mandatory"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EnforcementLevel::Advisory => "advisory",
            EnforcementLevel::Mandatory => "mandatory",
            EnforcementLevel::Remediate => "remediate",
            EnforcementLevel::Disabled => "disabled",
        }
    }

    /// Whether a decided violation at this level fails `check`.
    pub fn blocks(self) -> bool {
        matches!(self, EnforcementLevel::Mandatory | EnforcementLevel::Remediate)
    }
}

impl fmt::Display for EnforcementLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EnforcementLevel {
    type Err = String;

    /// Parses a wire name; the error names the accepted ones.
    fn from_str(s: &str) -> Result<Self, String> {
        [
            EnforcementLevel::Advisory,
            EnforcementLevel::Mandatory,
            EnforcementLevel::Remediate,
            EnforcementLevel::Disabled,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
        .ok_or_else(|| format!("unknown enforcement level `{s}` (expected advisory, mandatory, remediate or disabled)"))
    }
}

/// Whether a policy judges one resource at a time or the whole stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    /// `resource`: judges each targeted resource on its own.
    #[default]
    Resource,
    /// `stack`: sees every resource of the input at once.
    Stack,
}

impl PolicyKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Resource => "resource",
            PolicyKind::Stack => "stack",
        }
    }
}

/// Whether `pattern` is a prefix pattern (`aws_*`: not empty before the
/// `*`) that `resource_type` starts with.
fn prefixes(pattern: &str, resource_type: &str) -> bool {
    pattern.strip_suffix('*').is_some_and(|prefix| !prefix.is_empty() && resource_type.starts_with(prefix))
}

/// Whether a resource policy declaring `types` judges a resource (ABI
/// section 3). `kind` is the resource's wire kind (`managed`, `data`,
/// `provider`, `component`), `will_exist` whether its op leaves it in place
/// (not `delete`, not `forget`).
///
/// Managed resources match when `types` is empty, has `*`, names their
/// type, or has a prefix pattern their type starts with (`aws_*`); data sources only when `data.<type>` is named (they share type
/// names with managed resources); providers and components only when their
/// type is named. Resources that will not exist never match.
pub fn is_targeted(kind: &str, will_exist: bool, resource_type: &str, types: &[String]) -> bool {
    if !will_exist {
        return false;
    }
    match kind {
        "managed" => {
            types.is_empty() || types.iter().any(|t| t == "*" || t == resource_type || prefixes(t, resource_type))
        }
        "data" => types.iter().any(|t| t.strip_prefix("data.") == Some(resource_type)),
        _ => types.iter().any(|t| t == resource_type),
    }
}
