//! Evaluation: packs against stacks, in parallel batches (rayon), each batch
//! on a fresh guest instance, each policy's fault contained to that policy.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::json;

use crate::limits::Limits;
use crate::pack::{EnforcementLevel, Pack, PackError, PackErrorKind, PolicyInfo, PolicyKind};
use crate::runtime::{Guest, Request, Runtime};
use palisade_model::fault::{FaultKind, GuestFault};
use palisade_model::finding::{Findings, PolicyError, Violation};
use palisade_model::model::{ChangeScope, Stack};
use palisade_model::policy::PolicySettings;
use palisade_model::secrets::{SecretScope, SecretSet};

/// Builds an [`Engine`]: limits, batch size and the module cache.
#[derive(Debug, Clone)]
pub struct EngineBuilder {
    limits: Limits,
    batch_size: usize,
    cache_dir: Option<PathBuf>,
    cache_max_bytes: u64,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder {
            limits: Limits::default(),
            batch_size: 256,
            cache_dir: None,
            cache_max_bytes: crate::cache::DEFAULT_MAX_BYTES,
        }
    }
}

impl EngineBuilder {
    /// Default limits ([`Limits::default`]) and batches of 256 resources.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replace all limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// How many resources one guest instance judges at a time (at least 1).
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    /// Cache compiled packs in `dir` (created if needed; see
    /// [`crate::ModuleCache`]), or not at all with `None` (the default).
    pub fn cache_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.cache_dir = dir;
        self
    }

    /// Keep the cache's entries under `bytes` in total, evicting the least
    /// recently used (default [`crate::cache::DEFAULT_MAX_BYTES`], 2 GiB).
    pub fn cache_max_bytes(mut self, bytes: u64) -> Self {
        self.cache_max_bytes = bytes;
        self
    }

    /// Start the engine (a wasmtime engine and its epoch ticker thread).
    ///
    /// Errors: wasmtime cannot be configured on this machine, the cache
    /// directory cannot be created, or the ticker thread cannot start.
    pub fn build(self) -> Result<Engine, EngineError> {
        let mut runtime = Runtime::new(self.limits).map_err(EngineError::Wasm)?;
        if let Some(dir) = &self.cache_dir {
            runtime.use_cache(dir, self.cache_max_bytes)?;
        }
        Ok(Engine { runtime, batch_size: self.batch_size })
    }
}

/// The engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// wasmtime cannot be configured here, or the ticker thread cannot start.
    #[error("cannot start the WebAssembly engine: {0}")]
    Wasm(String),
    /// The module cache directory cannot be used (see [`crate::ModuleCache::open`]).
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
}

/// Loads packs and evaluates them. Cheap to share across threads.
#[derive(Debug)]
pub struct Engine {
    runtime: Runtime,
    batch_size: usize,
}

impl Engine {
    /// Load a pack from the bytes of a core module (guest ABI v1) or a
    /// component (WIT world `palisade:policy/pack`), told apart by their
    /// preamble; `path` names it in errors and reports.
    pub fn load_pack(&self, path: &str, bytes: &[u8]) -> Result<Pack, PackError> {
        Pack::load(&self.runtime, path, bytes, None)
    }

    /// Load a pack from a `.wasm` file. A component pack whose file
    /// `NAME.wasm` has a folder `NAME.data` beside it is granted that folder,
    /// read-only, at `/data` (core modules never see files). A `NAME.data`
    /// that is a symbolic link is refused ([`PackErrorKind::Data`]).
    pub fn load_pack_file(&self, path: &Path) -> Result<Pack, PackError> {
        let shown = path.display().to_string();
        let bytes = palisade_model::limits::read_capped(path, palisade_model::limits::MAX_PACK_BYTES)
            .map_err(|e| PackError { path: shown.clone(), kind: PackErrorKind::Io(e) })?;
        let data = path.with_extension("data");
        let granted = match std::fs::symlink_metadata(&data) {
            Ok(meta) if meta.is_dir() => Some(data),
            // A link could grant any folder of the machine: refused.
            Ok(meta) if meta.file_type().is_symlink() => {
                let message =
                    format!("its data folder {} is a symbolic link; it must be a real folder", data.display());
                return Err(PackError { path: shown, kind: PackErrorKind::Data(message) });
            }
            _ => None,
        };
        Pack::load(&self.runtime, &shown, &bytes, granted)
    }

    /// Load a pack from bytes, granting a component read-only access to
    /// `data` at `/data` (ignored for core modules).
    pub fn load_pack_with_data(&self, path: &str, bytes: &[u8], data: &Path) -> Result<Pack, PackError> {
        Pack::load(&self.runtime, path, bytes, Some(data.to_path_buf()))
    }

    /// Evaluate every pack against every stack (each input is its own stack).
    ///
    /// Never fails: a policy that traps, loops, exceeds a limit or breaks the
    /// ABI becomes a [`PolicyError`] for the resources it was judging, and
    /// the other policies' results stand.
    pub fn check(&self, packs: &[Pack], stacks: &[Stack], settings: &PolicySettings) -> Findings {
        self.check_scoped(packs, stacks, settings, ChangeScope::All)
    }

    /// [`Engine::check`], judging only the resources in `scope`: with
    /// [`ChangeScope::Changed`], resource policies are given only the
    /// resources the input changes, and stack policies (which still see the
    /// whole stack, as context) keep only their violations on those.
    /// Policy errors are kept whatever they concern.
    pub fn check_scoped(
        &self,
        packs: &[Pack],
        stacks: &[Stack],
        settings: &PolicySettings,
        scope: ChangeScope,
    ) -> Findings {
        let prepared: Vec<Prepared> = stacks.par_iter().map(Prepared::new).collect();
        let mut jobs = Vec::new();
        for pack in packs {
            for stack in &prepared {
                jobs.extend(plan_jobs(pack, stack, self.batch_size, scope));
            }
        }
        let tripped = Tripped::default();
        let mut findings =
            jobs.par_iter().map(|job| run_job(job, settings, &tripped)).reduce(Findings::default, |mut a, b| {
                a.violations.extend(b.violations);
                a.policy_errors.extend(b.policy_errors);
                a
            });
        findings.violations.retain(|v| scope.includes(v.action));
        findings.resources_evaluated =
            stacks.iter().flat_map(|s| &s.resources).filter(|r| r.is_policy_target() && scope.includes(r.op)).count();
        findings.resources_loaded = stacks.iter().map(|s| s.resources.len()).sum();
        findings.evaluations = evaluations(packs, stacks, settings, scope);
        findings.resources_judged = findings
            .evaluations
            .iter()
            .flat_map(|e| e.resources.iter().map(move |r| (e.file.as_str(), r.as_str())))
            .collect::<std::collections::HashSet<_>>()
            .len();
        findings.normalize();
        findings
    }
}

/// What each enabled policy judges in each input ([`palisade_model::Evaluation`]).
fn evaluations(
    packs: &[Pack],
    stacks: &[Stack],
    settings: &PolicySettings,
    scope: ChangeScope,
) -> Vec<palisade_model::Evaluation> {
    let mut out = Vec::new();
    for pack in packs {
        for stack in stacks {
            for policy in &pack.metadata.policies {
                if settings.level(policy) == EnforcementLevel::Disabled {
                    continue;
                }
                let resources: Vec<String> = match policy.kind {
                    PolicyKind::Stack => Vec::new(),
                    PolicyKind::Resource => stack
                        .resources
                        .iter()
                        .filter(|r| scope.includes(r.op) && r.is_targeted_by(&policy.resource_types))
                        .map(|r| r.address.clone())
                        .collect(),
                };
                if policy.kind == PolicyKind::Resource && resources.is_empty() {
                    continue;
                }
                out.push(palisade_model::Evaluation {
                    pack: pack.metadata.name.clone(),
                    policy: policy.name.clone(),
                    kind: policy.kind,
                    file: stack.source.clone(),
                    resources,
                });
            }
        }
    }
    out
}

/// A stack with each resource serialized once, an address index and its secrets.
struct Prepared<'s> {
    stack: &'s Stack,
    json: Vec<String>,
    secrets: SecretSet,
    header: String,
}

impl<'s> Prepared<'s> {
    fn new(stack: &'s Stack) -> Self {
        let json = stack.resources.iter().map(|r| serde_json::to_string(r).unwrap_or_else(|_| "null".into())).collect();
        let header = json!({"source": stack.source, "format": stack.format.to_string()}).to_string();
        Prepared { stack, json, secrets: SecretSet::of(&stack.resources), header }
    }

    /// The batch document for `range` (ABI section 4).
    fn batch(&self, range: &Range<usize>) -> Vec<u8> {
        let parts = &self.json[range.clone()];
        let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + self.header.len() + 32);
        out.push_str("{\"stack\":");
        out.push_str(&self.header);
        out.push_str(",\"resources\":[");
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(p);
        }
        out.push_str("]}");
        out.into_bytes()
    }
}

/// One unit of parallel work: one pack, one stack, a range of its resources.
struct Job<'a> {
    pack: &'a Pack,
    stack: &'a Prepared<'a>,
    range: Range<usize>,
    resource_policies: bool,
    stack_policies: bool,
    /// The resources resource policies judge.
    scope: ChangeScope,
}

fn plan_jobs<'a>(pack: &'a Pack, stack: &'a Prepared<'a>, batch: usize, scope: ChangeScope) -> Vec<Job<'a>> {
    let n = stack.stack.resources.len();
    let has_stack = pack.metadata.policies.iter().any(|p| p.kind == PolicyKind::Stack);
    if n <= batch {
        return vec![Job { pack, stack, range: 0..n, resource_policies: true, stack_policies: true, scope }];
    }
    let mut jobs: Vec<Job<'a>> = (0..n)
        .step_by(batch)
        .map(|start| Job {
            pack,
            stack,
            range: start..(start + batch).min(n),
            resource_policies: true,
            stack_policies: false,
            scope,
        })
        .collect();
    if has_stack {
        jobs.push(Job { pack, stack, range: 0..n, resource_policies: false, stack_policies: true, scope });
    }
    jobs
}

/// A policy to run in a job, with its level and targets (batch-local indexes).
struct Task<'a> {
    policy: &'a PolicyInfo,
    level: EnforcementLevel,
    targets: Vec<usize>,
}

fn tasks<'a>(job: &Job<'a>, settings: &PolicySettings) -> Vec<Task<'a>> {
    let resources = &job.stack.stack.resources[job.range.clone()];
    job.pack
        .metadata
        .policies
        .iter()
        .filter_map(|policy| {
            let level = settings.level(policy);
            if level == EnforcementLevel::Disabled {
                return None;
            }
            let targets: Vec<usize> = match policy.kind {
                PolicyKind::Resource if job.resource_policies => resources
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| job.scope.includes(r.op) && r.is_targeted_by(&policy.resource_types))
                    .map(|(i, _)| i)
                    .collect(),
                PolicyKind::Stack if job.stack_policies => (0..resources.len()).collect(),
                _ => return None,
            };
            if policy.kind == PolicyKind::Resource && targets.is_empty() {
                return None;
            }
            Some(Task { policy, level, targets })
        })
        .collect()
}

/// Policies that ran out of time on an input, by (pack, policy, input): the
/// fault is reused for their other batches of that input instead of waiting
/// out the deadline again (a looping policy on a 50k-resource plan would
/// otherwise cost 200 deadlines). The reused fault is the same error, so the
/// report does not depend on which batches ran first.
type Tripped = std::sync::Mutex<HashMap<(String, String, String), GuestFault>>;

fn run_job(job: &Job<'_>, settings: &PolicySettings, tripped: &Tripped) -> Findings {
    let mut out = Findings::default();
    let tasks = tasks(job, settings);
    if tasks.is_empty() {
        return out;
    }
    let batch = job.stack.batch(&job.range);
    let resources = &job.stack.stack.resources[job.range.clone()];
    let cx = JobContext {
        job,
        index: resources.iter().enumerate().map(|(i, r)| (r.address.as_str(), i)).collect(),
        settings,
        // The guest sees the whole batch: any of its secrets may be in any message.
        scope: job.stack.secrets.scope(job.range.clone()),
    };
    let scope = &cx.scope;
    let mut guest: Option<Guest> = None;
    let key =
        |task: &Task<'_>| (job.pack.metadata.name.clone(), task.policy.name.clone(), job.stack.stack.source.clone());
    for task in &tasks {
        let earlier = tripped.lock().ok().and_then(|t| t.get(&key(task)).cloned());
        if let Some(fault) = earlier {
            out.policy_errors.push(policy_error(job, task, fault, scope));
            continue;
        }
        let mut g = match guest.take().map_or_else(|| start(job, &batch), Ok) {
            Ok(g) => g,
            Err(fault) => {
                out.policy_errors.push(policy_error(job, task, fault, scope));
                continue;
            }
        };
        match evaluate(&mut g, &cx, task) {
            Ok((violations, bad_fixes)) => {
                out.violations.extend(violations);
                out.policy_errors.extend(bad_fixes);
                guest = Some(g);
            }
            Err(fault) => {
                // After a policy's own error the instance is sound; after any other fault, replace it.
                if fault.kind == FaultKind::Policy {
                    guest = Some(g);
                }
                if fault.kind == FaultKind::Timeout
                    && let Ok(mut t) = tripped.lock()
                {
                    t.entry(key(task)).or_insert_with(|| fault.clone());
                }
                out.policy_errors.push(policy_error(job, task, fault, scope));
            }
        }
    }
    out
}

/// A fresh instance with the batch loaded.
fn start(job: &Job<'_>, batch: &[u8]) -> Result<Guest, GuestFault> {
    let mut guest = Guest::new(&job.pack.runtime, &job.pack.code)?;
    guest.load(batch)?;
    Ok(guest)
}

/// What every policy run of a job shares.
struct JobContext<'a> {
    job: &'a Job<'a>,
    /// The batch's addresses, to batch-local indexes.
    index: HashMap<&'a str, usize>,
    settings: &'a PolicySettings,
    /// The secrets of the batch, which messages are redacted of.
    scope: SecretScope,
}

/// Run one policy on the loaded batch. Violations must name one of the
/// task's targets. A fix that does not fit its resource is an `abi` error
/// of the policy for that resource only (second list); its violation is
/// kept without the fix.
fn evaluate(
    guest: &mut Guest,
    cx: &JobContext<'_>,
    task: &Task<'_>,
) -> Result<(Vec<Violation>, Vec<PolicyError>), GuestFault> {
    let JobContext { job, index, settings, scope } = cx;
    let config = task.policy.config_with_defaults(settings.configs.get(&task.policy.name));
    let mut bad_fixes = Vec::new();
    let wire = guest.evaluate(&Request {
        policy: task.policy.name.as_str().into(),
        config: std::borrow::Cow::Borrowed(&config),
        targets: task.targets.as_slice().into(),
    })?;
    let resources = &job.stack.stack.resources[job.range.clone()];
    let mut found = Vec::with_capacity(wire.len());
    for v in wire {
        if let Some(p) = v.policy.as_ref().filter(|p| **p != task.policy.name) {
            return Err(GuestFault::abi(format!("asked for policy `{}`, got a violation of `{p}`", task.policy.name)));
        }
        // `targets` are built in ascending order.
        let given = index.get(v.resource.as_str()).filter(|i| task.targets.binary_search(i).is_ok());
        let Some(&i) = given else {
            return Err(GuestFault::abi(format!(
                "a violation names resource `{}`, which is not among the resources it was given",
                job.stack.secrets.redact_scope(&v.resource, scope)
            )));
        };
        let r = &resources[i];
        // Fixes count only for decided violations of resource policies at `remediate`.
        let remediation = match v.remediation.filter(|d| !d.is_null()) {
            Some(doc)
                if !v.undecided
                    && task.level == EnforcementLevel::Remediate
                    && task.policy.kind == PolicyKind::Resource =>
            {
                let redact = |text: &str| job.stack.secrets.redact_scope(text, scope);
                match palisade_model::remediation::resolve(&doc, r, &redact) {
                    Ok(fix) => fix,
                    Err(why) => {
                        bad_fixes.push(PolicyError {
                            pack: job.pack.metadata.name.clone(),
                            policy: task.policy.name.clone(),
                            enforcement_level: task.level,
                            kind: FaultKind::Abi,
                            resources: vec![r.address.clone()],
                            message: cap(format!(
                                "the remediation proposed for `{}` is invalid (the violation is kept without it): {}",
                                r.address,
                                job.stack.secrets.redact_scope(&why, scope)
                            )),
                            file: r.source.clone(),
                        });
                        None
                    }
                }
            }
            _ => None,
        };
        found.push(Violation {
            policy: task.policy.name.clone(),
            pack: job.pack.metadata.name.clone(),
            enforcement_level: if v.undecided { EnforcementLevel::Advisory } else { task.level },
            severity: task.policy.severity,
            resource: r.address.clone(),
            resource_type: r.resource_type.clone(),
            action: r.op,
            message: cap(job.stack.secrets.redact_scope(&v.message, scope)),
            file: r.source.clone(),
            undecided: v.undecided,
            location: None,
            remediation,
        });
    }
    Ok((found, bad_fixes))
}

fn policy_error(job: &Job<'_>, task: &Task<'_>, fault: GuestFault, scope: &SecretScope) -> PolicyError {
    let resources = &job.stack.stack.resources[job.range.clone()];
    PolicyError {
        pack: job.pack.metadata.name.clone(),
        policy: task.policy.name.clone(),
        enforcement_level: task.level,
        kind: fault.kind,
        resources: task.targets.iter().map(|&i| resources[i].address.clone()).collect(),
        message: cap(job.stack.secrets.redact_scope(&fault.message, scope)),
        file: job.stack.stack.source.clone(),
    }
}

/// The longest message reported, in bytes; longer ones are cut.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// `message` cut to [`MAX_MESSAGE_BYTES`] (at a character boundary), with a note.
fn cap(mut message: String) -> String {
    if message.len() > MAX_MESSAGE_BYTES {
        let mut end = MAX_MESSAGE_BYTES;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let total = message.len();
        message.truncate(end);
        message.push_str(&format!(" ... (message cut: {total} bytes)"));
    }
    message
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let long = "é".repeat(super::MAX_MESSAGE_BYTES);
        let cut = super::cap(long.clone());
        assert!(cut.len() < long.len() && cut.ends_with(&format!("(message cut: {} bytes)", long.len())));
        assert_eq!(super::cap("short".into()), "short");
    }
}
