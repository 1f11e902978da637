//! The SARIF report: SARIF 2.1.0 (OASIS,
//! <https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>),
//! built with the `serde-sarif` crate, in the subset GitHub code scanning
//! reads (<https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning>).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor, ReportingDescriptorReference,
    Result as SarifResult, ResultLevel, Run, Sarif, Suppression, Tool, ToolComponent,
};
use sha2::{Digest, Sha256};

use crate::exemption::ExemptionRef;
use crate::{ExemptedViolation, PolicyDoc, Report};
use palisade_model::finding::{PolicyError, Violation};
use palisade_model::policy::{EnforcementLevel, Severity};

/// The `$schema` written in the log.
const SARIF_SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// `tool.driver.informationUri`.
const INFORMATION_URI: &str = "https://github.com/palisade-dev/palisade";
/// The `artifactLocation.uri` of findings read from standard input (`-`),
/// which has no path; GitHub requires a non-empty URI.
const STDIN_URI: &str = "stdin";
/// Where the READMEs of built-in packs are: `policies/NAME/README.md` is
/// appended, then `#POLICY`, each policy's anchor.
const BUILTIN_DOCS: &str = "https://github.com/palisade-dev/palisade/blob/main/";
/// The key of the fingerprint in `partialFingerprints`.
const FINGERPRINT_KEY: &str = "palisade/v1";

/// Write `report` as a SARIF 2.1.0 log (pretty-printed JSON and a newline).
///
/// One run; its tool is `palisade`. Each policy of [`Report::policies`] is a
/// rule, and each violation a result:
///
/// | report | SARIF |
/// | --- | --- |
/// | policy name | `rule.id` (`pack/policy` when two packs share the name) |
/// | description | `shortDescription`, `fullDescription` |
/// | help | `helpUri` when it is an `http(s)` URL, else `help.text` |
/// | policy of a built-in pack (provenance `builtin:NAME`) | `helpUri`: its anchor (the policy name) in `policies/NAME/README.md` of the repository |
/// | effective enforcement level (after `--config`, `--enforcement`) | `defaultConfiguration.level`: mandatory, remediate → `error`; advisory → `warning`; disabled → `none` (and `enabled` false) |
/// | severity | `properties.security-severity` (9.5, 8.0, 5.5, 2.0), `properties.severity` |
/// | violation, blocking (decided mandatory or remediate) | result `level` `error` |
/// | violation, decided advisory | result `level` `warning` |
/// | violation, undecided (a value known only after apply) | result `level` `note` |
/// | the resource's action (`create`, `no-op`, ...) | result `properties.action` |
/// | resource (address, URN, ARN) | `logicalLocations[0]`, `kind` `resource` |
/// | `--source-dir` location | `physicalLocation`: the `.tf` file, `region.startLine`/`startColumn` (columns in code points: `columnKind` `unicodeCodePoints`) |
/// | no location | `physicalLocation`: the input file as given, `region.startLine` 1 (GitHub requires a start line); standard input is the placeholder `stdin` |
/// | exempted | result with `suppressions[0]`: `kind` `external`, `status` `accepted`, `justification` the reason |
/// | baseline applied | `baselineState` `unchanged` (baselined) or `new` |
/// | policy error | `invocations[0].toolExecutionNotifications` (`error` when blocking, else `warning`) |
/// | expired or unused exemption | `invocations[0].toolConfigurationNotifications` (`warning`, `note`) |
/// | incomplete inventory scope | a tool execution notification, `error` |
/// | input that could not be read | a tool execution notification, `error`, at the input file, with properties `input` and `inputError` |
///
/// `invocations[0].executionSuccessful` is false when a blocking policy
/// failed or an input is incomplete or could not be read. Each result has
/// `partialFingerprints["palisade/v1"]`: the hex SHA-256 of its rule id and
/// resource, so code scanning tracks one alert per policy and resource
/// across runs. The output has no timestamps and follows the report's order,
/// so the same report gives the same bytes.
pub fn render_sarif(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rules = Rules::new(report);
    let baseline = report.baseline.is_some();
    let mut results = Vec::new();
    for v in &report.violations {
        let mut found = result(&rules, v, baseline.then_some("new"), None);
        if report.blocks(v) {
            // Undecided results that block (--fail-on-undecided) are errors.
            found.level = Some(ResultLevel::Error);
        }
        results.push(found);
    }
    for v in &report.baselined {
        results.push(result(&rules, v, Some("unchanged"), None));
    }
    for ExemptedViolation { violation, exemption } in &report.exempted {
        results.push(result(&rules, violation, None, Some(exemption)));
    }
    let driver = ToolComponent::builder()
        .name("palisade")
        .version(report.provenance.palisade_version.clone())
        .semantic_version(report.provenance.palisade_version.clone())
        .information_uri(INFORMATION_URI)
        .rules(rules.descriptors.clone())
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .invocations(vec![invocation(report, &rules)])
        .results(results)
        .column_kind(json!("unicodeCodePoints"))
        .properties(bag(
            None,
            [
                ("summary", serde_json::to_value(&report.summary).map_err(io::Error::other)?),
                ("provenance", serde_json::to_value(&report.provenance).map_err(io::Error::other)?),
            ],
        ))
        .build();
    let log = Sarif::builder().schema(SARIF_SCHEMA).version(json!("2.1.0")).runs(vec![run]).build();
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")
}

/// The rules, and each `(pack, policy)`'s id and index among them.
struct Rules {
    descriptors: Vec<ReportingDescriptor>,
    index: HashMap<(String, String), (String, usize)>,
}

impl Rules {
    /// One rule per policy of the report, then one (without a description)
    /// per policy that a finding names but the report does not describe.
    fn new(report: &Report) -> Rules {
        let mut docs: Vec<PolicyDoc> = report.policies.clone();
        let named = report
            .violations
            .iter()
            .chain(&report.baselined)
            .chain(report.exempted.iter().map(|e| &e.violation))
            .map(|v| (&v.pack, &v.policy, v.severity, v.enforcement_level))
            .chain(report.policy_errors.iter().map(|e| (&e.pack, &e.policy, Severity::High, e.enforcement_level)));
        for (pack, policy, severity, enforcement_level) in named {
            if !docs.iter().any(|d| &d.pack == pack && &d.name == policy) {
                docs.push(PolicyDoc {
                    pack: pack.clone(),
                    name: policy.clone(),
                    description: String::new(),
                    severity,
                    enforcement_level,
                    kind: Default::default(),
                    help: None,
                    note: None,
                });
            }
        }
        let mut packs_of: HashMap<&str, usize> = HashMap::new();
        for d in &docs {
            *packs_of.entry(d.name.as_str()).or_default() += 1;
        }
        let mut rules = Rules { descriptors: Vec::with_capacity(docs.len()), index: HashMap::new() };
        for (i, d) in docs.iter().enumerate() {
            let shared = packs_of.get(d.name.as_str()).is_some_and(|n| *n > 1);
            let id = if shared { format!("{}/{}", d.pack, d.name) } else { d.name.clone() };
            rules.index.insert((d.pack.clone(), d.name.clone()), (id.clone(), i));
            rules.descriptors.push(descriptor(d, id, builtin_help(report, d)));
        }
        rules
    }

    /// The rule id and index of `policy` of `pack` (always present: every
    /// finding's policy has a rule).
    fn of(&self, pack: &str, policy: &str) -> (String, Option<i64>) {
        match self.index.get(&(pack.to_string(), policy.to_string())) {
            Some((id, i)) => (id.clone(), i64::try_from(*i).ok()),
            None => (policy.to_string(), None),
        }
    }
}

/// The help URL of a policy of a built-in pack (provenance path
/// `builtin:NAME`): its anchor in `policies/NAME/README.md` on the main
/// branch, [`BUILTIN_DOCS`].
fn builtin_help(report: &Report, d: &PolicyDoc) -> Option<String> {
    let pack = report.provenance.packs.iter().find(|p| p.name == d.pack)?;
    let name = pack.path.strip_prefix("builtin:")?;
    Some(format!("{BUILTIN_DOCS}policies/{name}/README.md#{}", d.name))
}

/// A rule from a policy; `builtin_help` is the help URL of a built-in
/// pack's policy, which comes before the help the policy gives.
fn descriptor(d: &PolicyDoc, id: String, builtin_help: Option<String>) -> ReportingDescriptor {
    let description = if d.description.is_empty() { d.name.clone() } else { d.description.clone() };
    let text = |t: &str| MultiformatMessageString::builder().text(t).build();
    let mut config = ReportingConfiguration::builder().level(json!(enforcement_level(d.enforcement_level))).build();
    if d.enforcement_level == EnforcementLevel::Disabled {
        config.enabled = Some(false);
    }
    let properties = bag(
        Some(vec!["security".to_string(), "iac".to_string(), format!("{}-policy", d.kind.as_str())]),
        [
            ("pack", json!(d.pack)),
            ("severity", json!(d.severity.as_str())),
            ("enforcementLevel", json!(d.enforcement_level.as_str())),
            ("kind", json!(d.kind.as_str())),
            ("security-severity", json!(security_severity(d.severity))),
        ],
    );
    let mut rule = ReportingDescriptor::builder()
        .id(id)
        .name(d.name.clone())
        .short_description(text(&description))
        .full_description(text(&description))
        .default_configuration(config)
        .properties(properties)
        .build();
    match d.help.as_deref() {
        Some(url) if is_url(url) => rule.help_uri = Some(url.trim().to_string()),
        Some(help) => rule.help = Some(text(help)),
        None => {}
    }
    if builtin_help.is_some() {
        rule.help_uri = builtin_help;
    }
    rule
}

/// A result for one violation: `baseline_state` when a baseline was
/// applied, `exemption` when it is exempted.
fn result(rules: &Rules, v: &Violation, baseline_state: Option<&str>, exemption: Option<&ExemptionRef>) -> SarifResult {
    let (rule_id, rule_index) = rules.of(&v.pack, &v.policy);
    let fingerprint = fingerprint(&rule_id, &v.resource);
    let mut properties = vec![
        ("pack", json!(v.pack)),
        ("enforcementLevel", json!(v.enforcement_level.as_str())),
        ("severity", json!(v.severity.as_str())),
        ("resourceType", json!(v.resource_type)),
        ("action", json!(v.action.as_str())),
        ("input", json!(v.file)),
        ("undecided", json!(v.undecided)),
    ];
    if let Some(e) = exemption {
        properties.push(("exemption", json!({"file": e.file, "number": e.number, "expires": e.expires})));
    }
    let location = Location::builder()
        .physical_location(physical(v))
        .logical_locations(vec![logical(&v.resource, Some(&v.resource_type))])
        .build();
    let mut result = SarifResult::builder()
        .rule_id(rule_id)
        .message(Message::builder().text(v.message.clone()).build())
        .level(result_level(v))
        .locations(vec![location])
        .partial_fingerprints(BTreeMap::from([(FINGERPRINT_KEY.to_string(), fingerprint)]))
        .properties(bag(None, properties))
        .build();
    result.rule_index = rule_index;
    result.baseline_state = baseline_state.map(|s| json!(s));
    result.suppressions = exemption.map(|e| vec![suppression(e)]);
    result
}

/// The suppression of an exempted result.
fn suppression(e: &ExemptionRef) -> Suppression {
    Suppression::builder()
        .kind(json!("external"))
        .status(json!("accepted"))
        .justification(e.reason.clone())
        .properties(bag(
            None,
            [
                ("file", json!(e.file)),
                ("number", json!(e.number)),
                ("policy", json!(e.policy)),
                ("resource", json!(e.resource)),
                ("expires", json!(e.expires)),
            ],
        ))
        .build()
}

/// Where a violation is: its `.tf` declaration, else its input file, line 1.
fn physical(v: &Violation) -> PhysicalLocation {
    let (uri, region) = match &v.location {
        Some(l) => (
            file_uri(&l.file),
            Region::builder().start_line(i64::from(l.line.max(1))).start_column(i64::from(l.column.max(1))).build(),
        ),
        None => (file_uri(&v.file), Region::builder().start_line(1).build()),
    };
    PhysicalLocation::builder().artifact_location(ArtifactLocation::builder().uri(uri).build()).region(region).build()
}

/// A resource as a logical location.
fn logical(resource: &str, resource_type: Option<&str>) -> LogicalLocation {
    let mut location =
        LogicalLocation::builder().fully_qualified_name(resource).name(resource).kind("resource").build();
    location.properties = resource_type.map(|t| bag(None, [("resourceType", json!(t))]));
    location
}

/// The one invocation: policy errors, incomplete inputs and exemption
/// notes as notifications.
fn invocation(report: &Report, rules: &Rules) -> Invocation {
    let mut execution = input_errors(report);
    for line in &report.incomplete {
        execution.push(notification("error", format!("incomplete input: {line}"), None, Vec::new()));
    }
    for note in &report.notes {
        execution.push(notification("note", note.clone(), None, Vec::new()));
    }
    for e in &report.policy_errors {
        execution.push(policy_error(rules, e));
    }
    let mut configuration = Vec::new();
    if let Some(x) = &report.exemptions {
        for e in &x.expired {
            let text = format!(
                "exemption {} of {} (policy {}, resource {}) expired on {}; it no longer exempts {} resource(s)",
                e.exemption.number,
                e.exemption.file,
                e.exemption.policy,
                e.exemption.resource,
                e.exemption.expires.as_deref().unwrap_or("?"),
                e.no_longer_exempts.len()
            );
            let locations = e.no_longer_exempts.iter().map(|r| logical_only(r)).collect();
            configuration.push(notification("warning", text, None, locations));
        }
        for e in &x.unused {
            let text = format!(
                "exemption {} of {} (policy {}, resource {}) matched no violation",
                e.number, e.file, e.policy, e.resource
            );
            configuration.push(notification("note", text, None, Vec::new()));
        }
    }
    let successful = report.summary.complete && !report.policy_errors.iter().any(PolicyError::blocks);
    let mut invocation = Invocation::builder().execution_successful(successful).build();
    invocation.tool_execution_notifications = (!execution.is_empty()).then_some(execution);
    invocation.tool_configuration_notifications = (!configuration.is_empty()).then_some(configuration);
    invocation
}

/// The inputs that could not be read, as `error` notifications at their files.
fn input_errors(report: &Report) -> Vec<Notification> {
    report
        .input_errors
        .iter()
        .map(|e| {
            let artifact = ArtifactLocation::builder().uri(file_uri(&e.input)).build();
            let at = Location::builder()
                .physical_location(PhysicalLocation::builder().artifact_location(artifact).build())
                .build();
            let mut n = notification("error", format!("could not read input: {}", e.message), None, vec![at]);
            n.properties = Some(bag(None, [("input", json!(e.input)), ("inputError", json!(true))]));
            n
        })
        .collect()
}

/// A policy error as a notification on its rule, at its resources.
fn policy_error(rules: &Rules, e: &PolicyError) -> Notification {
    let (id, index) = rules.of(&e.pack, &e.policy);
    let mut rule = ReportingDescriptorReference::builder().id(id).build();
    rule.index = index;
    let level = if e.blocks() { "error" } else { "warning" };
    let text = format!(
        "policy {} of pack {} ({}) failed ({}) on {}: {}",
        e.policy, e.pack, e.enforcement_level, e.kind, e.file, e.message
    );
    let locations = e.resources.iter().map(|r| logical_only(r)).collect();
    let mut n = notification(level, text, Some(rule), locations);
    n.properties = Some(bag(
        None,
        [
            ("pack", json!(e.pack)),
            ("policy", json!(e.policy)),
            ("enforcementLevel", json!(e.enforcement_level.as_str())),
            ("kind", json!(e.kind)),
            ("input", json!(e.file)),
        ],
    ));
    n
}

/// A notification.
fn notification(
    level: &str,
    text: String,
    rule: Option<ReportingDescriptorReference>,
    locations: Vec<Location>,
) -> Notification {
    let mut n = Notification::builder().level(json!(level)).message(Message::builder().text(text).build()).build();
    n.associated_rule = rule;
    n.locations = (!locations.is_empty()).then_some(locations);
    n
}

/// A location naming only a resource.
fn logical_only(resource: &str) -> Location {
    Location::builder().logical_locations(vec![logical(resource, None)]).build()
}

/// A property bag with optional tags.
fn bag<'a>(tags: Option<Vec<String>>, entries: impl IntoIterator<Item = (&'a str, Value)>) -> PropertyBag {
    let map: BTreeMap<String, Value> = entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut bag = PropertyBag::builder().additional_properties(map).build();
    bag.tags = tags;
    bag
}

/// A rule's default level, from the policy's effective enforcement level:
/// mandatory and remediate (they fail the run) → `error`, advisory →
/// `warning`, disabled → `none`.
fn enforcement_level(level: EnforcementLevel) -> &'static str {
    match level {
        EnforcementLevel::Mandatory | EnforcementLevel::Remediate => "error",
        EnforcementLevel::Advisory => "warning",
        EnforcementLevel::Disabled => "none",
    }
}

/// A result's level: `error` for a blocking violation (decided, mandatory
/// or remediate), `note` for an undecided one (it needs a value known only
/// after apply), `warning` for a decided advisory one.
fn result_level(v: &Violation) -> ResultLevel {
    if v.blocks() {
        ResultLevel::Error
    } else if v.undecided {
        ResultLevel::Note
    } else {
        ResultLevel::Warning
    }
}

/// GitHub's `security-severity` score (0.0 to 10.0) of a severity: the
/// middle of the CVSS band GitHub maps back to the same name.
fn security_severity(severity: Severity) -> String {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
    .to_string()
}

/// The fingerprint of a finding: hex SHA-256 of `rule id NUL resource`.
fn fingerprint(rule_id: &str, resource: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(resource.as_bytes());
    hex::encode(h.finalize())
}

/// Whether `s` is an `http(s)` URL (help given as a link).
fn is_url(s: &str) -> bool {
    let s = s.trim();
    (s.starts_with("https://") || s.starts_with("http://")) && !s.contains(char::is_whitespace)
}

/// A path as a URI reference: `-` is [`STDIN_URI`]; `\` becomes `/`; an
/// absolute path becomes a `file://` URI; bytes outside RFC 3986's
/// unreserved, sub-delimiter, `:`, `@` and `/` characters are percent-encoded.
fn file_uri(path: &str) -> String {
    if path == "-" || path.is_empty() {
        return STDIN_URI.to_string();
    }
    let path = path.replace('\\', "/");
    let drive = path.as_bytes().get(1) == Some(&b':') && path.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
    let prefix = if path.starts_with('/') {
        "file://"
    } else if drive {
        "file:///"
    } else {
        ""
    };
    let mut uri = String::with_capacity(path.len() + prefix.len());
    uri.push_str(prefix);
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}
