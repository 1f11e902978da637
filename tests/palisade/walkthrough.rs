//! The README's commands, run as a user runs them:
//!
//! - every shell command of README.md's `sh` blocks is run (in a scratch
//!   folder that mirrors the repository, with this build as `palisade` on
//!   `PATH`) and gives the exit code and output the README promises, or is
//!   listed in [`README_COMMANDS`] as run by another test or not runnable
//!   here, with the reason; a command the README shows and the list does
//!   not know, or the other way round, fails the test;
//! - the walkthrough, `examples/walkthrough/walkthrough.sh`, against this
//!   test process's moto (seed, scan, drift, remediate dry run and
//!   `--apply`, a re-run, the HTML report, `schedule --once`), then its
//!   outputs checked;
//! - every relative link of README.md and `docs/*.md` names a file or
//!   folder that exists.

use std::path::{Path, PathBuf};
use std::process::Command;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde_json::Value;

use crate::support::{repo, root};

fn read_json(path: &std::path::Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_readme_walkthrough_runs_end_to_end_on_moto() {
    let moto = crate::moto::session();
    let work = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new("bash");
    cmd.arg(repo("examples/walkthrough/walkthrough.sh"))
        .arg(work.path())
        .env("PALISADE", env!("CARGO_BIN_EXE_palisade"))
        .env("PALISADE_MOTO_PYTHON", crate::moto::python());
    moto.command_env(&mut cmd);
    let out = cmd.output().expect("run the walkthrough");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "walkthrough failed ({:?}):\n{stdout}\n{stderr}", out.status);

    // Drift as the README describes it.
    assert!(stdout.contains("drift: 1 missing, 2 unmanaged, 1 changed"), "{stdout}");
    // The dry run planned five changes (the four seeded resources and the
    // default security group the EC2 reader finds untagged) and changed
    // nothing; the apply did four and one failed.
    let dry = read_json(&work.path().join("reports/dry-run/remediation.json"));
    assert_eq!(dry["run"]["mode"], "dry-run");
    assert_eq!(dry["summary"]["planned"], 5, "{}", dry["summary"]);
    assert_eq!(dry["summary"]["violations"], 5, "the buckets are read: nothing undecided: {}", dry["summary"]);
    assert_eq!(dry["summary"]["applied"], 0);
    let apply = read_json(&work.path().join("reports/apply/remediation.json"));
    assert_eq!((apply["summary"]["applied"].as_u64(), apply["summary"]["failed"].as_u64()), (Some(4), Some(1)));
    let failed: Vec<&Value> =
        apply["changes"].as_array().expect("changes").iter().filter(|c| c["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["arn"].as_str().is_some_and(|a| a.contains(":sqs:")), "moto refuses to tag SQS: {failed:?}");
    let html = std::fs::read_to_string(work.path().join("reports/apply/remediation.html")).expect("HTML report");
    assert!(html.contains("walkthrough-assets") && html.contains("platform-team"));
    // The re-run had only the queue left to try.
    let rerun = read_json(&work.path().join("reports/rerun/remediation.json"));
    assert_eq!(rerun["summary"]["planned"], 1, "{}", rerun["summary"]);
    assert_eq!(rerun["summary"]["applied"], 0);
    // One scheduled run, behind `latest`, with its reports.
    let latest = work.path().join("scheduled-reports/walkthrough/latest");
    let run = read_json(&latest.join("run.json"));
    assert_eq!(run["job"], "walkthrough", "{run}");
    assert!(latest.join("inventory.json").is_file() && latest.join("drift.json").is_file());
    // A public bucket and an open group: two actions planned, applied only
    // as allowed, verified fixed, and done (nothing sent) the second time.
    let plan = read_json(&work.path().join("actions-plan.json"));
    let kinds: Vec<&str> =
        plan["actions"].as_array().expect("actions").iter().filter_map(|a| a["action"]["kind"].as_str()).collect();
    assert_eq!(kinds, ["ec2.revoke-ingress", "s3.block-public-access"], "{plan:#}");
    let applied = read_json(&work.path().join("reports/actions-apply/remediation.json"));
    for a in applied["actions"].as_array().expect("actions") {
        assert_eq!(
            (a["status"].as_str(), a["verification"]["result"].as_str()),
            (Some("applied"), Some("fixed")),
            "{a:#}"
        );
    }
    let again = read_json(&work.path().join("reports/actions-again/remediation.json"));
    assert!(
        again["actions"].as_array().expect("actions").iter().all(|a| a["status"] == "done" && a["sent"].is_null()),
        "{again:#}"
    );
}

/// What the test does with one command the README shows.
#[derive(Debug)]
enum Shown {
    /// Run; it must exit with `code` and print `stdout_has` on standard
    /// output.
    Run { code: i32, stdout_has: &'static str },
    /// Run by the test of this name.
    RunBy(&'static str),
    /// Not run by the tests, for this reason.
    NotRun(&'static str),
}

/// Commands that install toolchains.
const INSTALLS: &str = "installs toolchains (apt, rustup, PyPI, npm); the test machine ran it, and the tests find them through PALISADE_TOOLCHAINS";
/// Commands that need an AWS account.
const AWS_ACCOUNT: &str = "needs an AWS account; the same commands run against moto in the walkthrough";

/// Every command of README.md's `sh` blocks (a line, its `\` continuations
/// joined, its comment dropped, split at ` && `), in README order, and
/// what the test does with it. Run commands are run with `cargo run
/// --release --` and `target/release/palisade` replaced by `palisade`, this
/// build (the same code; a release build takes minutes).
const README_COMMANDS: &[(&str, Shown)] = &[
    ("scripts/install-toolchains.sh rust", Shown::NotRun(INSTALLS)),
    (
        "cargo run --release -- check examples/plans/web-stack.tfplan.json",
        Shown::Run {
            code: 1,
            stdout_has: "FAILED: 10 resources loaded, 9 judged; 6 mandatory, 0 remediate, 1 advisory",
        },
    ),
    ("scripts/install-toolchains.sh", Shown::NotRun(INSTALLS)),
    ("cargo test --workspace", Shown::NotRun("the test suite itself, of which this test is part")),
    ("git clone https://github.com/palisade-dev/palisade", Shown::NotRun("network; the tests run in a clone")),
    ("cd palisade", Shown::NotRun("follows the clone")),
    ("scripts/install-toolchains.sh rust", Shown::NotRun(INSTALLS)),
    (
        "cargo build --release --locked",
        Shown::NotRun("a release build takes minutes; the tests run the same code, built by `cargo test`"),
    ),
    ("target/release/palisade --version", Shown::Run { code: 0, stdout_has: "palisade " }),
    (
        "palisade check examples/plans/web-stack.tfplan.json",
        Shown::Run {
            code: 1,
            stdout_has: "FAILED: 10 resources loaded, 9 judged; 6 mandatory, 0 remediate, 1 advisory",
        },
    ),
    ("terraform plan -out tfplan", Shown::NotRun("needs Terraform and a Terraform project")),
    ("terraform show -json tfplan > plan.json", Shown::NotRun("needs Terraform and a Terraform project")),
    ("palisade check plan.json", Shown::NotRun("reads the plan the terraform commands write")),
    ("pulumi preview --json > preview.json", Shown::NotRun("needs Pulumi and a Pulumi project")),
    ("palisade check preview.json", Shown::NotRun("reads the preview the pulumi command writes")),
    (
        "palisade check examples/plans/web-stack.tfplan.json \
    --config examples/ci/policy/palisade-config.yaml --exemptions examples/ci/policy/exemptions.yaml \
    --format github --report sarif=palisade.sarif --report markdown=palisade.md",
        Shown::Run { code: 1, stdout_has: "::error title=Palisade%3A FAILED::FAILED: 10 resources loaded, 9 judged" },
    ),
    ("palisade new --lang rust my-pack", Shown::Run { code: 0, stdout_has: "Created the rust pack my-pack" }),
    ("cd my-pack", Shown::Run { code: 0, stdout_has: "" }),
    ("./build.sh my-pack.wasm", Shown::Run { code: 0, stdout_has: "" }),
    ("palisade test my-pack.wasm", Shown::Run { code: 0, stdout_has: "PASSED: 10 cases in 2 files" }),
    ("palisade inspect my-pack.wasm", Shown::Run { code: 0, stdout_has: "my-pack 1.0.0" }),
    (
        "palisade check --pack my-pack.wasm ../examples/plans/web-stack.tfplan.json",
        Shown::Run { code: 1, stdout_has: "FAILED: 10 resources loaded, 2 judged; 1 mandatory" },
    ),
    (
        "palisade drift --state examples/drift/terraform.tfstate \
    --inventory examples/drift/inventory.json --ignore-file examples/drift/palisadeignore",
        Shown::Run { code: 1, stdout_has: "drift: 1 missing, 1 unmanaged, 2 changed; coverage 85.7% (6 of 7)" },
    ),
    ("examples/walkthrough/walkthrough.sh", Shown::RunBy("the_readme_walkthrough_runs_end_to_end_on_moto")),
    ("palisade scan --region eu-west-1 --output inventory.json", Shown::NotRun(AWS_ACCOUNT)),
    ("palisade drift --state terraform.tfstate --inventory inventory.json", Shown::NotRun(AWS_ACCOUNT)),
    (
        "palisade remediate --inventory inventory.json --config tags.json --plan-out plan.json",
        Shown::NotRun(AWS_ACCOUNT),
    ),
    (
        "palisade schedule --config examples/schedule/palisade.toml --check",
        Shown::Run { code: 0, stdout_has: "examples/schedule/palisade.toml: 2 job(s), valid" },
    ),
    ("palisade scan --print-iam-policy", Shown::Run { code: 0, stdout_has: "\"ec2:DescribeSecurityGroups\"" }),
    ("palisade scan --print-iam-policy --resource-type s3", Shown::Run { code: 0, stdout_has: "\"s3:GetBucketAcl\"" }),
];

/// The `sh` blocks of a Markdown document, each as its commands: a line
/// with its `\` continuations, without its comment (from ` #`), split at
/// ` && `.
fn shell_blocks(markdown: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) if &*lang == "sh" => {
                current = Some(String::new());
            }
            Event::Text(text) => {
                if let Some(block) = current.as_mut() {
                    block.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(block) = current.take() {
                    blocks.push(commands(&block));
                }
            }
            _ => {}
        }
    }
    blocks
}

/// The commands of one shell block. A line ending in `\\` goes on with the
/// next, whose indentation is dropped (as in a Rust string literal).
fn commands(block: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut line = String::new();
    for raw in block.lines() {
        let text = match raw.find(" #") {
            Some(at) => &raw[..at],
            None if raw.trim_start().starts_with('#') => "",
            None => raw,
        };
        let text = if line.is_empty() { text.trim_end() } else { text.trim() };
        match text.strip_suffix('\\') {
            Some(head) => line.push_str(head),
            None => {
                line.push_str(text);
                commands.extend(line.split(" && ").map(str::trim).filter(|c| !c.is_empty()).map(String::from));
                line.clear();
            }
        }
    }
    commands
}

/// A folder whose entries are links to the repository's top-level entries
/// (not `target`), where the README's commands run from "the repository
/// root" without writing into it; and a folder with `palisade`, this build.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path().join("repo");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&work).expect("the scratch folder");
    std::fs::create_dir_all(&bin).expect("the bin folder");
    for entry in std::fs::read_dir(root()).expect("the repository") {
        let name = entry.expect("an entry").file_name();
        if name != "target" && name != ".git" {
            std::os::unix::fs::symlink(root().join(&name), work.join(&name)).expect("a link");
        }
    }
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_palisade"), bin.join("palisade")).expect("palisade");
    (dir, work)
}

/// Run the `commands` of one block, in order, in one shell in `work`: the
/// exit code and standard output of each.
fn run_block(work: &Path, bin: &Path, commands: &[&str]) -> Vec<(i32, String, String)> {
    let out_dir = tempfile::tempdir().expect("the output folder");
    let out = out_dir.path();
    let mut script = String::new();
    for (i, command) in commands.iter().enumerate() {
        let command =
            command.replace("cargo run --release --", "palisade").replace("target/release/palisade", "palisade");
        script.push_str(&format!(
            "{{ {command}\n}} >'{o}/{i}.out' 2>'{o}/{i}.err'; echo $? >'{o}/{i}.code'\n",
            o = out.display()
        ));
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let toolchains = std::env::var_os("PALISADE_TOOLCHAINS").unwrap_or_else(|| repo("target/toolchains").into());
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(&script).current_dir(work).env("PATH", path).env("PALISADE_TOOLCHAINS", toolchains);
    cmd.env("PALISADE_CACHE_DIR", repo("target/test-cache")).env_remove("CARGO_TARGET_DIR").env_remove("RUSTFLAGS");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    let status = cmd.status().expect("bash runs");
    assert!(status.success(), "the block's script ended early ({status}):\n{script}");
    let read = |i: usize, ext: &str| std::fs::read_to_string(out.join(format!("{i}.{ext}"))).unwrap_or_default();
    (0..commands.len())
        .map(|i| (read(i, "code").trim().parse().unwrap_or(-1), read(i, "out"), read(i, "err")))
        .collect()
}

#[test]
fn every_readme_command_runs_or_says_why_not() {
    let readme = std::fs::read_to_string(repo("README.md")).expect("README.md");
    let blocks = shell_blocks(&readme);
    let shown: Vec<&str> = blocks.iter().flatten().map(String::as_str).collect();
    let listed: Vec<&str> = README_COMMANDS.iter().map(|(c, _)| *c).collect();
    assert_eq!(shown, listed, "README.md's commands and README_COMMANDS differ: list each command, in order");
    let this = std::fs::read_to_string(repo("tests/palisade/walkthrough.rs")).expect("this file");
    for (command, how) in README_COMMANDS {
        match how {
            Shown::NotRun(why) => assert!(!why.is_empty(), "{command}: say why"),
            Shown::RunBy(test) => assert!(this.contains(&format!("fn {test}()")), "{command}: no test {test}"),
            Shown::Run { .. } => {}
        }
    }
    let (_dir, work) = scratch();
    let bin = work.parent().expect("the scratch folder").join("bin");
    let mut listed = README_COMMANDS.iter();
    for block in &blocks {
        let entries: Vec<&(&str, Shown)> = listed.by_ref().take(block.len()).collect();
        let to_run: Vec<(&str, i32, &str)> = entries
            .iter()
            .filter_map(|(c, how)| match how {
                Shown::Run { code, stdout_has } => Some((*c, *code, *stdout_has)),
                _ => None,
            })
            .collect();
        if to_run.is_empty() {
            continue;
        }
        let commands: Vec<&str> = to_run.iter().map(|(c, _, _)| *c).collect();
        let results = run_block(&work, &bin, &commands);
        for ((command, code, stdout_has), (got, stdout, stderr)) in to_run.iter().zip(&results) {
            assert_eq!(got, code, "`{command}` exited {got}, the README says {code}:\n{stdout}\n{stderr}");
            assert!(stdout.contains(stdout_has), "`{command}` did not print {stdout_has:?}:\n{stdout}\n{stderr}");
        }
    }
}

/// The relative link targets of a Markdown document (no scheme), with
/// their `#fragment` if any.
fn relative_links(markdown: &str) -> Vec<String> {
    Parser::new_ext(markdown, Options::ENABLE_TABLES)
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => Some(dest_url.to_string()),
            _ => None,
        })
        .filter(|url| !url.contains("://") && !url.starts_with("mailto:"))
        .collect()
}

/// The anchors of a Markdown document's headings, as GitHub makes them:
/// the heading's text in lower case, without punctuation, spaces as `-`.
fn anchors(markdown: &str) -> Vec<String> {
    let mut anchors = Vec::new();
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(text) | Event::Code(text) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(h) = heading.take() {
                    let slug: String = h
                        .to_lowercase()
                        .chars()
                        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
                        .map(|c| if c == ' ' { '-' } else { c })
                        .collect();
                    anchors.push(slug);
                }
            }
            _ => {}
        }
    }
    anchors
}

/// Why `link` of `page` leads nowhere: its file is missing, or its
/// `#fragment` names no heading of the Markdown file it points to.
fn broken(page: &Path, link: &str) -> Option<String> {
    let (path, fragment) = match link.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (link, None),
    };
    let target = if path.is_empty() { page.to_path_buf() } else { page.parent()?.join(path) };
    if !target.exists() {
        return Some(format!("{}: {link}: no such file", page.display()));
    }
    let fragment = fragment.filter(|_| target.extension().is_some_and(|e| e == "md"))?;
    let text = std::fs::read_to_string(&target).ok()?;
    (!anchors(&text).iter().any(|a| a == fragment))
        .then(|| format!("{}: {link}: no heading #{fragment} in {}", page.display(), target.display()))
}

#[test]
fn every_relative_link_of_the_readme_and_docs_resolves() {
    let mut pages = vec![repo("README.md")];
    for entry in std::fs::read_dir(repo("docs")).expect("docs/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    assert!(pages.len() > 10, "docs/ has a page per command: {pages:?}");
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).expect("a page");
        for link in relative_links(&text) {
            checked += 1;
            problems.extend(broken(page, &link));
        }
    }
    assert!(checked > 50, "links were found: {checked}");
    assert!(problems.is_empty(), "links to nothing:\n{}", problems.join("\n"));
    // The checker sees a broken file and a broken anchor.
    let readme = repo("README.md");
    assert!(broken(&readme, "docs/no-such-page.md").is_some());
    assert!(broken(&readme, "docs/check.md#no-such-heading").is_some());
    assert_eq!(broken(&readme, "docs/check.md#fixes-at-level-remediate"), None);
}

#[test]
fn every_command_has_its_page_in_docs() {
    let help = crate::support::palisade(&["--help"], None);
    let text = String::from_utf8_lossy(&help.stdout);
    let commands: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert_eq!(commands.len(), 8, "{text}");
    for command in commands {
        let page = repo(&format!("docs/{command}.md"));
        let page = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(page.starts_with(&format!("# `palisade {command}`")), "docs/{command}.md names the command first");
        // Every long option of its --help is on its page.
        let help = crate::support::palisade(&[command, "--help"], None);
        let help = String::from_utf8_lossy(&help.stdout);
        let options = help
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with('-'))
            .filter_map(|l| l.split([' ', ',']).find(|w| w.starts_with("--")));
        for option in options.filter(|o| *o != "--help") {
            assert!(page.contains(option), "docs/{command}.md does not mention {option}");
        }
    }
}
