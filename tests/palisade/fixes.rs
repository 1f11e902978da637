//! Fixes proposed by policies at level `remediate`, as `palisade check`
//! shows them (sdk/ABI.md section 5, "Remediation"): a JSON Patch per
//! resource in the JSON report, a readable diff in the text report, the
//! user's plan never rewritten; invalid fixes are errors of their policy;
//! a stack policy set to remediate runs as mandatory, with a note.

use serde_json::{Value, json};

use crate::support::{build_wat, code, json, palisade, repo, stderr, write};

const PLAN: &str = r#"{"format_version": "1.2", "resource_changes": [
  {"address": "aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket", "name": "logs",
   "provider_name": "registry.terraform.io/hashicorp/aws",
   "change": {"actions": ["create"], "before": null,
              "after": {"bucket": "logs", "acl": "public-read", "tags": {"env": "dev"}, "tags_all": {"env": "dev"}},
              "after_unknown": {"id": true}}},
  {"address": "aws_db_instance.main", "mode": "managed", "type": "aws_db_instance", "name": "main",
   "provider_name": "registry.terraform.io/hashicorp/aws",
   "change": {"actions": ["delete"], "before": {"identifier": "main", "tags": null}, "after": null}}]}"#;

#[test]
fn the_built_in_tag_policy_proposes_a_json_patch_and_never_touches_the_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Without the public ACL and the deletion, only the tag policy can fail the run.
    let private = PLAN.replace("public-read", "private");
    let private =
        format!("{}]}}", &private[..private.find(",\n  {\"address\": \"aws_db_instance").expect("two resources")]);
    let plan = write(dir.path(), "plan.json", &private);
    let config = write(
        dir.path(),
        "config.yaml",
        "required-tags:\n  enforcementLevel: remediate\n  tags: [owner, env]\n  defaults: {owner: platform}\n",
    );
    let json_out = palisade(&["check", &plan, "--config", &config, "--format", "json"], None);
    assert_eq!(code(&json_out), 1, "a remediate violation fails check: {}", stderr(&json_out));
    let report = json(&json_out);
    let v = report["violations"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["policy"] == "required-tags"))
        .unwrap_or_else(|| panic!("no required-tags violation: {report}"));
    assert_eq!(v["enforcement_level"], "remediate");
    assert_eq!(v["remediation"]["patch"], json!([{"op": "add", "path": "/tags/owner", "value": "platform"}]));
    assert_eq!(v["remediation"]["tags"], json!({"set": {"owner": "platform"}, "remove": []}));
    assert_valid_report(&report);

    let text = palisade(&["check", &plan, "--config", &config], None);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("proposed fix") && stdout.contains("+ /tags/owner: \"platform\""), "{stdout}");
    let md = palisade(&["check", &plan, "--config", &config, "--format", "markdown"], None);
    assert!(String::from_utf8_lossy(&md.stdout).contains("Proposed fixes (1"), "markdown lists the fix");
    assert_eq!(std::fs::read_to_string(&plan).expect("plan"), private, "the plan is never rewritten");

    // At the default level (advisory) the same violation carries no fix.
    let config = write(dir.path(), "advisory.yaml", "required-tags:\n  tags: [owner]\n  defaults: {owner: platform}\n");
    let out = palisade(&["check", &plan, "--config", &config, "--format", "json"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    let v = &r["violations"].as_array().expect("violations").iter().find(|v| v["policy"] == "required-tags").cloned();
    assert!(v.as_ref().is_some_and(|v| v.get("remediation").is_none()), "{r}");
}

#[test]
fn fixes_are_checked_and_stack_policies_at_remediate_run_as_mandatory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = write(dir.path(), "plan.json", PLAN);
    let pack = build_wat("fixer", dir.path());
    let pack = pack.to_str().expect("UTF-8");
    let mut args = vec!["check", plan.as_str(), "--pack", pack, "--format", "json"];
    args.extend(["--enforcement", "all=remediate"]);
    let out = palisade(&args, None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let r = json(&out);
    let violations = r["violations"].as_array().expect("violations");
    let good = violations.iter().find(|v| v["policy"] == "good-fix").expect("good-fix violation");
    assert_eq!(good["remediation"]["patch"], json!([{"op": "replace", "path": "/acl", "value": "private"}]));
    assert_eq!(good["remediation"]["diff"], json!(["~ /acl: \"public-read\" -> \"private\""]));
    assert!(good["remediation"].get("tags").is_none(), "a property patch is not a tag change");
    // A fix that does not apply is an abi error of its policy, naming the resource.
    let errors = r["policy_errors"].as_array().expect("policy errors");
    let bad = errors.iter().find(|e| e["policy"] == "bad-fix").unwrap_or_else(|| panic!("no bad-fix error: {r}"));
    assert_eq!(bad["kind"], "abi");
    let message = bad["message"].as_str().unwrap_or_default();
    assert!(message.contains("aws_s3_bucket.logs") && message.contains("does not apply"), "{message}");
    assert_eq!(bad["resources"], json!(["aws_s3_bucket.logs"]), "the error is the resource's only");
    let kept = violations.iter().find(|v| v["policy"] == "bad-fix").expect("the bad fix's violation is kept");
    assert!(kept.get("remediation").is_none());
    // A string where a fix should be (a component's text that is not JSON) is
    // that resource's error; the violation stays. An empty patch is no fix.
    let text = errors.iter().find(|e| e["policy"] == "json-text-fix").unwrap_or_else(|| panic!("{r}"));
    assert!(text["message"].as_str().is_some_and(|m| m.contains("not JSON of an object")), "{text}");
    assert!(violations.iter().any(|v| v["policy"] == "json-text-fix" && v.get("remediation").is_none()));
    let empty = violations.iter().find(|v| v["policy"] == "empty-fix").expect("empty-fix violation");
    assert!(empty.get("remediation").is_none() && !errors.iter().any(|e| e["policy"] == "empty-fix"), "{r}");
    // The stack policy runs as mandatory, its fix dropped, with a note.
    let stack = violations.iter().find(|v| v["policy"] == "stack-fix").expect("stack-fix violation");
    assert_eq!(stack["enforcement_level"], "mandatory");
    assert!(stack.get("remediation").is_none());
    let doc = r["policies"].as_array().expect("policies").iter().find(|p| p["name"] == "stack-fix").cloned();
    let doc = doc.expect("stack-fix in policies");
    assert_eq!(doc["enforcement_level"], "mandatory");
    assert!(doc["note"].as_str().is_some_and(|n| n.contains("runs as mandatory")), "{doc}");
    // The text report says so too.
    let text = palisade(&["check", &plan, "--pack", pack, "--enforcement", "stack-fix=remediate"], None);
    assert_eq!(code(&text), 1);
    assert!(String::from_utf8_lossy(&text.stdout).contains("note: stack policy `stack-fix` is set to remediate"));

    // At advisory, what a policy sends as a fix is never looked at.
    let out =
        palisade(&["check", &plan, "--pack", pack, "--format", "json", "--enforcement", "stack-fix=disabled"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["policy_errors"], json!([]), "{r}");
    assert_eq!(r["violations"].as_array().map(Vec::len), Some(4), "{r}");

    // The built-in stack policy, set to remediate in a config file, runs as mandatory and never crashes.
    let config = write(dir.path(), "c.json", r#"{"aws-stateful-resource-disallow-deletion": "remediate"}"#);
    let out = palisade(&["check", &plan, "--config", &config, "--format", "json"], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let r = json(&out);
    let v = r["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .find(|v| v["resource"] == "aws_db_instance.main")
        .cloned();
    assert_eq!(v.expect("deletion found")["enforcement_level"], "mandatory");
}

/// A plan with a long password and a secret-named tag, no sensitivity markers.
const SECRET_PLAN: &str = r#"{"format_version": "1.2", "resource_changes": [
  {"address": "aws_db_instance.main", "mode": "managed", "type": "aws_db_instance", "name": "main",
   "change": {"actions": ["create"], "before": null,
              "after": {"password": "LongTok-A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5",
                        "tags": {"db-password": "TagSecretValue-77", "team": "data"}},
              "after_unknown": {"id": true}}}]}"#;

#[test]
fn fixes_never_show_secret_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = write(dir.path(), "plan.json", SECRET_PLAN);
    let probe = crate::support::edge_probe().to_str().expect("UTF-8 path");
    let check = |patch: Value, format: &str| {
        let config = json!({"all": "disabled", "probe-fix": {"enforcementLevel": "remediate", "patch": patch}});
        let config = write(dir.path(), "config.json", &config.to_string());
        palisade(&["check", "--pack", probe, "--config", &config, "--format", format, &plan], None)
    };
    let leaks = |out: &std::process::Output| {
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(out));
        ["LongTok-A1b2C3", "TagSecretValue"].into_iter().filter(|s| all.contains(s)).count()
    };
    // A long secret replaced: the diff shows `[secret]`, never a cut-off part of it.
    let rotate = json!([{"op": "replace", "path": "/password", "value": "rotate-me"}]);
    for format in ["text", "json", "markdown", "sarif"] {
        let out = check(rotate.clone(), format);
        assert_eq!(code(&out), 1, "{format}: {}", stderr(&out));
        assert_eq!(leaks(&out), 0, "{format}: {}", String::from_utf8_lossy(&out.stdout));
    }
    let report = json(&check(rotate, "json"));
    assert_eq!(report["violations"][0]["remediation"]["diff"], json!([r#"~ /password: "[secret]" -> "rotate-me""#]));
    // Fixes that carry a secret value (a guarded `test` of the password, a
    // whole tag map with the secret tag) are refused, naming the resource;
    // the violation stays, without the fix.
    for patch in [
        json!([{"op": "test", "path": "/tags/db-password", "value": "TagSecretValue-77"}, {"op": "remove", "path": "/tags/team"}]),
        json!([{"op": "replace", "path": "/tags", "value": {"db-password": "TagSecretValue-77", "owner": "x"}}]),
    ] {
        let out = check(patch.clone(), "json");
        assert_eq!(leaks(&out), 0, "{patch}: {}", String::from_utf8_lossy(&out.stdout));
        let report = json(&out);
        assert!(report["violations"][0].get("remediation").is_none_or(Value::is_null), "{report}");
        let error = &report["policy_errors"][0];
        assert_eq!((error["policy"].as_str(), error["kind"].as_str()), (Some("probe-fix"), Some("abi")), "{report}");
        assert!(error["message"].as_str().unwrap_or("").contains("carries a secret value"), "{report}");
    }
}

/// `check` at level `remediate` on the bundled plan: the built-in policies
/// propose their actions (the report shows each with the patch of what it
/// changes, and validates against the report schema); the plan is never
/// rewritten.
#[test]
fn check_shows_the_actions_the_built_in_policies_propose() {
    let plan = repo("examples/plans/web-stack.tfplan.json");
    let before = std::fs::read(&plan).expect("plan");
    let plan = plan.to_str().expect("utf-8").to_string();
    let out = palisade(&["check", &plan, "--enforcement", "all=remediate", "--format", "json"], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    let kinds: std::collections::BTreeSet<String> = report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter_map(|v| v["remediation"]["action"]["kind"].as_str().map(str::to_string))
        .collect();
    assert!(!kinds.is_empty(), "some action proposed: {report:#}");
    for v in report["violations"].as_array().expect("violations") {
        if v["remediation"]["action"].is_object() {
            assert!(v["remediation"]["patch"].as_array().is_some_and(|p| !p.is_empty()), "{v:#}");
        }
    }
    assert_valid_report(&report);
    assert_eq!(std::fs::read(repo("examples/plans/web-stack.tfplan.json")).expect("plan"), before);
}

/// Assert that `report` (a `check --format json` report) is valid against
/// `engine/schema/report.schema.json`, naming each error's path.
fn assert_valid_report(report: &Value) {
    let schema: Value =
        serde_json::from_slice(&std::fs::read(repo("engine/schema/report.schema.json")).expect("schema"))
            .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(report).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}");
}
