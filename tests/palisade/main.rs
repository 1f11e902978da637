//! Palisade's integration tests: one test binary, one module per intent.
//!
//! They drive the public interfaces: the `palisade` binary (exit codes,
//! reports) and the engine library with the built-in pack built from source.

mod authoring;
mod cache;
mod cases;
mod cli;
mod components;
mod contract;
mod corpus;
mod drift;
mod edge_cases;
mod fixes;
mod formats;
mod gating;
mod hostile;
mod languages;
mod moto;
mod remediate;
mod remediation_report;
mod scan;
mod schedule;
mod support;
mod walkthrough;
