//! Palisade's integration tests: one test binary, one module per intent.
//! The data-driven case files run in their own target, one trial per file
//! (`tests/case_files/`), which shares `support.rs` and `moto.rs`.
//!
//! They drive the public interfaces: the `palisade` binary (exit codes,
//! reports) and the engine library with the built-in pack built from source.

mod authoring;
mod cache;
mod cli;
mod components;
mod contract;
mod corpus;
mod drift;
mod drift_attributes;
mod fixes;
mod formats;
mod gating;
mod hostile;
mod inputs;
mod languages;
mod live;
mod moto;
mod pipeline;
mod remediate;
mod remediate_actions;
mod remediation_report;
mod scan;
mod schedule;
mod support;
mod verdicts;
mod walkthrough;
