//! A [`Pack`] of policies: the describe document and the evaluate dispatch
//! behind the ABI exports, callable natively for tests.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::policy::{Config, Finding, Policy};
use crate::resource::Batch;

/// One entry of an evaluate reply (ABI section 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The policy that reported it.
    pub policy: String,
    /// The address of the resource.
    pub resource: String,
    /// A sentence for people.
    pub message: String,
    /// Whether the policy could not decide because a value is unknown.
    #[serde(default)]
    pub undecided: bool,
    /// The proposed fix (ABI section 5, "Remediation"), for [`Finding::Fixable`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Value>,
}

/// A policy pack: a name, a version and its policies.
#[derive(Debug, Clone)]
pub struct Pack {
    name: String,
    version: String,
    description: Option<String>,
    policies: Vec<Policy>,
}

/// The evaluate request (ABI section 5).
#[derive(Debug, Deserialize)]
struct Request {
    policy: String,
    #[serde(default)]
    config: Value,
    #[serde(default)]
    targets: Vec<usize>,
}

impl Pack {
    /// An empty pack `name` at `version` (e.g. `env!("CARGO_PKG_VERSION")`).
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Pack { name: name.into(), version: version.into(), description: None, policies: Vec::new() }
    }

    /// Sets the pack's description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Adds a policy ([`ResourcePolicy`](crate::ResourcePolicy) or
    /// [`StackPolicy`](crate::StackPolicy)).
    ///
    /// # Panics
    /// If the pack already has a policy of that name.
    pub fn policy(mut self, policy: impl Into<Policy>) -> Self {
        let policy = policy.into();
        assert!(
            self.find(policy.name()).is_none(),
            "policy {:?} is added twice to pack {:?}",
            policy.name(),
            self.name
        );
        self.policies.push(policy);
        self
    }

    /// Adds several policies (see [`policy`](Self::policy)).
    pub fn policies<I, P>(self, policies: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<Policy>,
    {
        policies.into_iter().fold(self, Pack::policy)
    }

    /// The pack name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pack version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The policies, in the order added.
    pub fn all_policies(&self) -> &[Policy] {
        &self.policies
    }

    /// The policy called `name`.
    pub fn find(&self, name: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.name() == name)
    }

    /// Checks what the host will check of the describe document: a name and
    /// a version, policy names of lower-case words joined by `-`, unique.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.is_empty() || self.version.is_empty() {
            return Err("the pack needs a name and a version".to_owned());
        }
        for (i, p) in self.policies.iter().enumerate() {
            let name = p.name();
            let well_formed = !name.is_empty()
                && name
                    .split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
            if !well_formed {
                return Err(format!("policy name {name:?} is not lower-case words joined by '-'"));
            }
            if self.policies[..i].iter().any(|q| q.name() == name) {
                return Err(format!("policy name {name:?} is used twice"));
            }
        }
        Ok(())
    }

    /// The describe document (ABI section 3).
    pub fn describe(&self) -> Value {
        let mut doc = json!({
            "name": self.name,
            "version": self.version,
            "policies": self.policies.iter().map(Policy::describe).collect::<Vec<_>>(),
        });
        if let (Some(d), Value::Object(map)) = (&self.description, &mut doc) {
            map.insert("description".to_owned(), Value::String(d.clone()));
        }
        doc
    }

    /// The describe document as JSON text.
    pub fn describe_json(&self) -> String {
        self.describe().to_string()
    }

    /// Runs `policy` with `config` on the resources of `batch` at `targets`,
    /// as `palisade_evaluate` does. `Err` is a failure of the policy itself:
    /// unknown policy, target out of range, a panic, or a stack policy naming
    /// an address not in the batch.
    pub fn evaluate(
        &self,
        batch: &Batch,
        policy: &str,
        config: Value,
        targets: &[usize],
    ) -> Result<Vec<Violation>, String> {
        let found = self.find(policy).ok_or_else(|| format!("pack {:?} has no policy {policy:?}", self.name))?;
        let config = Config::new(config);
        let stack = batch.stack_of(targets)?;
        let to_violation = |resource: &str, finding: Finding| {
            let undecided = finding.is_undecided();
            let (message, remediation) = match finding {
                Finding::Violation(m) | Finding::Undecided(m) => (m, None),
                Finding::Fixable(m, fix) => (m, Some(fix.json().clone())),
            };
            Violation { policy: policy.to_owned(), resource: resource.to_owned(), message, undecided, remediation }
        };
        let mut out = Vec::new();
        match found {
            Policy::Resource(p) => {
                for resource in stack.resources() {
                    let outcome = catch_unwind(AssertUnwindSafe(|| p.check(&resource, &config))).map_err(|panic| {
                        format!("policy {policy:?} panicked on {}: {}", resource.address(), panic_message(&*panic))
                    })?;
                    if let Err(finding) = outcome {
                        out.push(to_violation(resource.address(), finding));
                    }
                }
            }
            Policy::Stack(p) => {
                let findings = catch_unwind(AssertUnwindSafe(|| p.check(&stack, &config)))
                    .map_err(|panic| format!("policy {policy:?} panicked: {}", panic_message(&*panic)))?;
                for (address, finding) in findings {
                    if stack.get(&address).is_none() {
                        return Err(format!(
                            "policy {policy:?} reported {address:?}, which is not a resource of the stack"
                        ));
                    }
                    out.push(to_violation(&address, finding));
                }
            }
        }
        Ok(out)
    }

    /// Answers an evaluate request document (ABI section 5) on `batch`
    /// (`None` when nothing is loaded): `{"violations": [...]}` or `{"error": ...}`.
    pub fn evaluate_json(&self, batch: Option<&Batch>, request: &[u8]) -> String {
        let result = serde_json::from_slice::<Request>(request)
            .map_err(|e| format!("invalid evaluate request: {e}"))
            .and_then(|req| {
                let batch = batch.ok_or("no batch is loaded: call palisade_load first")?;
                self.evaluate(batch, &req.policy, req.config, &req.targets)
            });
        match result {
            Ok(violations) => json!({ "violations": violations }).to_string(),
            Err(error) => json!({ "error": error }).to_string(),
        }
    }

    /// Runs `policy` on `batch` the way the host would: the targets chosen by
    /// its `resource_types` (every resource for a stack policy) and the
    /// config's top-level schema defaults filled in. For tests of a pack.
    pub fn run(&self, batch: &Batch, policy: &str, config: Option<Value>) -> Result<Vec<Violation>, String> {
        let found = self.find(policy).ok_or_else(|| format!("pack {:?} has no policy {policy:?}", self.name))?;
        let targets: Vec<usize> = match found {
            Policy::Resource(p) => batch.resources().filter(|r| p.targets(r)).map(|r| r.index()).collect(),
            Policy::Stack(_) => (0..batch.len()).collect(),
        };
        let mut config = config.unwrap_or_else(|| json!({}));
        if let (Some(Value::Object(props)), Value::Object(cfg)) = (found.config_schema().get("properties"), &mut config)
        {
            for (key, schema) in props {
                if let (false, Some(default)) = (cfg.contains_key(key), schema.get("default")) {
                    cfg.insert(key.clone(), default.clone());
                }
            }
        }
        self.evaluate(batch, policy, config, &targets)
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}
