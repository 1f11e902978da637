//! Palisade's scanner: live cloud inventory and drift between declared
//! state and the cloud.
//!
//! - [`aws`]: the AWS provider, the Resource Groups Tagging API in every
//!   region and account asked for, into an inventory snapshot
//!   ([`palisade_model::inventory::Inventory`]).
//! - [`arn`]: ARNs, and the resource types Palisade can match between
//!   declared state and the cloud.
//! - [`drift`]: declared state against a cloud inventory: missing,
//!   unmanaged and changed resources, coverage, ignore rules, reports.
//! - [`remediate`]: applying a remediation plan's tag changes to live AWS
//!   resources (re-read, reconcile, batched tagging calls).
#![deny(missing_docs)]

pub mod arn;
pub mod aws;
pub mod drift;
mod progress;
pub mod remediate;
