//! Palisade's data model: what every other crate speaks, with no
//! WebAssembly runtime, no parser and no report format in it.
//!
//! - [`model`]: the normalized [`model::Resource`] and [`model::Stack`] every
//!   policy sees, whatever the input format (also the guest ABI's wire shape
//!   of a resource, `sdk/ABI.md` section 4), and the [`model::InputFormat`]s;
//! - [`inventory`]: the live inventory snapshot (`palisade-inventory` v1);
//! - [`policy`]: describe documents, enforcement levels, per-run
//!   [`policy::PolicySettings`], and [`policy::DescribedPack`];
//! - [`finding`] and [`fault`]: what evaluation produces;
//! - [`split`]: Terraform's split resources (`aws_s3_bucket_versioning`,
//!   `aws_security_group_rule`, ...) folded into their parent, for drift and
//!   policies alike;
//! - [`secrets`]: which values are secret and the one redaction path
//!   ([`SecretSet`]) every output goes through;
//! - [`remediation`]: fixes checked against their resource, the
//!   remediation plan and the remediation report's model;
//! - [`limits`]: caps on files that are not inputs; [`text`]: terminal-safe
//!   text.
#![deny(missing_docs)]

pub mod fault;
pub mod finding;
pub mod inventory;
pub mod limits;
pub mod model;
pub mod policy;
pub mod remediation;
pub mod secrets;
pub mod split;
pub mod text;

pub use fault::{FaultKind, GuestFault};
pub use finding::{Evaluation, Findings, PolicyError, SourceLocation, Violation};
pub use secrets::{
    MIN_SECRET_CHARS, REDACTED, SecretScope, SecretSet, is_conventionally_secret, mark_conventional_secrets,
};
