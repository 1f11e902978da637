//! The JUnit XML report, in the Jenkins/Ant dialect
//! (<https://llg.cubic.org/docs/junit/>) that CI systems read (GitLab,
//! Jenkins, Azure DevOps, GitHub test-reporter actions), written with the
//! `quick-junit` crate.

use std::collections::HashMap;
use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Property, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::Report;
use palisade_model::finding::Violation;
use palisade_model::policy::PolicyKind;

/// What was found on one test case.
#[derive(Default)]
struct Case {
    errors: Vec<String>,
    error_kind: Option<String>,
    failures: Vec<String>,
    failure_level: Option<String>,
    skipped: Vec<String>,
    passed_notes: Vec<String>,
}

/// A case's key: pack, input, policy, resource (`None` for a stack case).
type Key = (String, String, String, Option<String>);
/// A suite: pack, input.
type SuiteKey = (String, String);
/// A case within its suite: policy, resource (`None` for a stack case).
type CaseKey = (String, Option<String>);

/// The suites and cases in report order, with what was found on each.
#[derive(Default)]
struct Plan {
    /// `(pack, input)` of each suite, in order.
    suites: Vec<SuiteKey>,
    /// Cases of each suite: `(policy, resource)`, in order.
    cases: HashMap<SuiteKey, Vec<CaseKey>>,
    found: HashMap<Key, Case>,
    /// `(pack, policy, input)` of stack policies.
    stack: std::collections::HashSet<(String, String, String)>,
}

impl Plan {
    fn add_case(&mut self, pack: &str, file: &str, policy: &str, resource: Option<&str>) {
        let suite = (pack.to_string(), file.to_string());
        let cases = match self.cases.get_mut(&suite) {
            Some(c) => c,
            None => {
                self.suites.push(suite.clone());
                self.cases.entry(suite).or_default()
            }
        };
        cases.push((policy.to_string(), resource.map(str::to_string)));
        let key = (pack.to_string(), file.to_string(), policy.to_string(), resource.map(str::to_string));
        self.found.entry(key).or_default();
    }

    /// The case of `policy` on `resource` (the input's case for a stack
    /// policy or an empty `resource`), created when no evaluation made it.
    fn case(&mut self, pack: &str, file: &str, policy: &str, resource: &str) -> &mut Case {
        let stack = self.stack.contains(&(pack.to_string(), policy.to_string(), file.to_string()));
        let resource = (!stack && !resource.is_empty()).then_some(resource);
        let key: Key = (pack.to_string(), file.to_string(), policy.to_string(), resource.map(str::to_string));
        if !self.found.contains_key(&key) {
            self.add_case(pack, file, policy, resource);
        }
        self.found.entry(key).or_default()
    }
}

/// Write `report` as JUnit XML.
///
/// - `<testsuites name="palisade">`: the run.
/// - One `<testsuite>` per pack × input file, named `PACK: FILE`, with
///   properties `pack` and `input` (and `note`, each of the input's
///   [`Report::notes`]).
/// - One `<testcase>` per policy × resource evaluated ([`Report::evaluations`]):
///   `classname` is the policy, `name` the resource (address, URN or ARN).
///   A stack policy, which judges the input as a whole, has one case per
///   input, named `stack: FILE`.
///
/// A case's status, the first that applies:
///
/// An input that could not be read is a suite of its own, `palisade: FILE`,
/// whose one case `read FILE` (classname `palisade.input`) is an `<error>`
/// of type `input-error`, before the other suites.
///
/// | finding on that policy and resource | case |
/// | --- | --- |
/// | policy error | `<error>`: type the fault kind, message the error |
/// | blocking violation (decided, mandatory or remediate) | `<failure>`: type the level, message and text `[LEVEL, SEVERITY, ACTION] MESSAGE` |
/// | exempted violation | `<skipped>`: message `exempted: REASON` |
/// | baselined violation | `<skipped>`: message `known to the baseline` |
/// | advisory or undecided violation | passed, with `[advisory, SEVERITY, ACTION] MESSAGE` in `<system-out>` |
/// | none | passed |
///
/// Advisory and undecided violations pass because `palisade check` does not
/// fail on them: a CI that fails on JUnit failures then fails exactly when
/// `check` does (policy errors of advisory policies are the exception: they
/// are `<error>`s, since the policy did not run). A finding no evaluation
/// accounts for still gets its own case, so the counts always cover the
/// report. No timestamps or durations are written.
pub fn render_junit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut plan = Plan::default();
    for e in &report.evaluations {
        match e.kind {
            PolicyKind::Stack => {
                plan.stack.insert((e.pack.clone(), e.policy.clone(), e.file.clone()));
                plan.add_case(&e.pack, &e.file, &e.policy, None);
            }
            PolicyKind::Resource => {
                for r in &e.resources {
                    plan.add_case(&e.pack, &e.file, &e.policy, Some(r));
                }
            }
        }
    }
    for e in &report.policy_errors {
        let message = format!("{} ({}): {}", e.kind, e.enforcement_level, e.message);
        let resources: Vec<&str> =
            if e.resources.is_empty() { vec![""] } else { e.resources.iter().map(String::as_str).collect() };
        for r in resources {
            let case = plan.case(&e.pack, &e.file, &e.policy, r);
            case.errors.push(message.clone());
            case.error_kind.get_or_insert_with(|| e.kind.to_string());
        }
    }
    for v in &report.violations {
        let line = describe(v);
        let case = plan.case(&v.pack, &v.file, &v.policy, &v.resource);
        if report.blocks(v) {
            case.failures.push(line);
            case.failure_level.get_or_insert_with(|| v.enforcement_level.to_string());
        } else {
            case.passed_notes.push(line);
        }
    }
    for x in &report.exempted {
        let v = &x.violation;
        let e = &x.exemption;
        let line = format!("exempted: {} ({} #{}): {}", e.reason, e.file, e.number, describe(v));
        plan.case(&v.pack, &v.file, &v.policy, &v.resource).skipped.push(line);
    }
    for v in &report.baselined {
        let line = format!("known to the baseline: {}", describe(v));
        plan.case(&v.pack, &v.file, &v.policy, &v.resource).skipped.push(line);
    }
    let mut junit = JunitReport::new("palisade");
    add_input_errors(report, &mut junit);
    for suite_key in &plan.suites {
        let (pack, file) = suite_key;
        let mut suite = TestSuite::new(format!("{pack}: {file}"));
        suite.add_properties([Property::new("pack", pack.as_str()), Property::new("input", file.as_str())]);
        let prefix = format!("{file}: ");
        for note in report.notes.iter().filter_map(|n| n.strip_prefix(&prefix)) {
            suite.add_property(Property::new("note", note));
        }
        for (policy, resource) in plan.cases.get(suite_key).into_iter().flatten() {
            let key: Key = (pack.clone(), file.clone(), policy.clone(), resource.clone());
            let found = plan.found.get(&key);
            let name = match resource {
                Some(r) => r.clone(),
                None => format!("stack: {file}"),
            };
            suite.add_test_case(test_case(policy, name, found));
        }
        junit.add_test_suite(suite);
    }
    let mut bytes = Vec::new();
    junit.serialize(&mut bytes).map_err(io::Error::other)?;
    out.write_all(&bytes)
}

/// One suite per input that could not be read, named `palisade: FILE`
/// (property `input`), with one errored case (type `input-error`).
fn add_input_errors(report: &Report, junit: &mut JunitReport) {
    for e in &report.input_errors {
        let mut suite = TestSuite::new(format!("palisade: {}", e.input));
        suite.add_property(Property::new("input", e.input.as_str()));
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(format!("could not read input: {}", e.message)).set_type("input-error");
        let mut case = TestCase::new(format!("read {}", e.input), status);
        case.set_classname("palisade.input");
        suite.add_test_case(case);
        junit.add_test_suite(suite);
    }
}

/// One test case from what was found on it.
fn test_case(policy: &str, name: String, found: Option<&Case>) -> TestCase {
    let empty = Case::default();
    let found = found.unwrap_or(&empty);
    let status = if let Some(first) = found.errors.first() {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_message(first.as_str()).set_description(found.errors.join("\n"));
        if let Some(kind) = &found.error_kind {
            s.set_type(kind.as_str());
        }
        s
    } else if let Some(first) = found.failures.first() {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_message(first.as_str()).set_description(found.failures.join("\n"));
        if let Some(level) = &found.failure_level {
            s.set_type(level.as_str());
        }
        s
    } else if let Some(first) = found.skipped.first() {
        let mut s = TestCaseStatus::skipped();
        s.set_message(first.as_str());
        if found.skipped.len() > 1 {
            s.set_description(found.skipped.join("\n"));
        }
        s
    } else {
        TestCaseStatus::success()
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(policy);
    if !found.passed_notes.is_empty() {
        case.set_system_out(found.passed_notes.join("\n"));
    }
    case
}

/// `[LEVEL, SEVERITY, ACTION] MESSAGE` (the resource's action, e.g.
/// `create`), with `undecided` for an undecided violation.
fn describe(v: &Violation) -> String {
    let undecided = if v.undecided { ", undecided" } else { "" };
    format!("[{}, {}, {}{undecided}] {}", v.enforcement_level, v.severity, v.action, v.message)
}
