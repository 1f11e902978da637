//! `palisade inspect`: what a pack is, from its own binary and its
//! `describe` document: metadata, policies, guest contract, imports, size
//! and digest.
//!
//! The pack's policies' config schemas and their defaults are checked as
//! `check` checks them (`palisade_engine::config::resolve` with no config):
//! a schema that does not compile, or defaults that break it, would fail
//! every `check`, so `inspect` lists them under `problems` and exits 1.
//!
//! Every string the pack provides (name, version, description, policy
//! names, descriptions, resource types, help, schema, imports) is written
//! to the text output through `palisade_engine::report::clean`: control,
//! zero-width and bidirectional characters and line breaks are shown
//! escaped (`\u{1b}`, `\n`, `\u{202e}`), so a pack cannot clear the
//! screen, forge a line or reorder what is shown. The JSON output is
//! escaped by serde.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Result;
use palisade_engine::report::clean;
use palisade_engine::{Pack, PackKind, PolicyInfo};
use serde_json::{Value, json};

use crate::Format;
use crate::test_pack::LoadArgs;

/// Show a pack's metadata, policies, ABI or WIT version, imports, size and
/// digest, and check its policies' config schemas and defaults.
#[derive(clap::Args)]
pub(crate) struct InspectArgs {
    /// The pack: a .wasm file, or `builtin:aws-baseline`.
    #[arg(value_name = "PACK")]
    pack: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Limits and cache.
    #[command(flatten)]
    load: LoadArgs,
}

/// Load the pack and print what it is; exit code 0, or 1 when it has
/// [`problems`].
pub(crate) fn run(args: &InspectArgs) -> Result<u8> {
    let (_engine, pack) = args.load.load(&args.pack)?;
    let pack = &pack;
    let problems = problems(pack);
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => {
            let mut doc = document(pack);
            doc["problems"] = json!(problems);
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        Format::Text => write_text(&mut out, pack, &problems)?,
    }
    out.flush()?;
    Ok(if problems.is_empty() { 0 } else { 1 })
}

/// What would make every `check` with `pack` fail: its policies' config
/// schemas and defaults resolved as `check` resolves them with no config
/// file, one line per problem (a schema that does not compile; each rule
/// the defaults break).
fn problems(pack: &Pack) -> Vec<String> {
    match palisade_engine::config::resolve(None, &[], std::slice::from_ref(pack)) {
        Ok(_) => Vec::new(),
        Err(palisade_engine::config::ConfigError::Invalid { source_name, violations }) => {
            violations.iter().map(|v| format!("{source_name}: {v}")).collect()
        }
        Err(e) => vec![e.to_string()],
    }
}

/// The JSON document: one object, the pack's fields then its policies.
fn document(pack: &Pack) -> Value {
    let meta = &pack.metadata;
    let (wit_package, wit_version) = pack.wit_package().unzip();
    json!({
        "name": meta.name,
        "version": meta.version,
        "description": meta.description,
        "path": pack.path,
        "kind": pack.kind,
        "abi_version": pack.abi_version(),
        "wit_package": wit_package,
        "wit_version": wit_version,
        "imports": pack.imports(),
        "size": pack.size(),
        "sha256": pack.sha256,
        "policies": meta.policies,
    })
}

/// The text form, for people; every string of the pack's is [`clean`]ed.
fn write_text(out: &mut impl Write, pack: &Pack, problems: &[String]) -> io::Result<()> {
    let meta = &pack.metadata;
    writeln!(out, "pack         {} {}", clean(&meta.name), clean(&meta.version))?;
    if !meta.description.is_empty() {
        writeln!(out, "description  {}", clean(&meta.description))?;
    }
    writeln!(out, "file         {}", clean(&pack.path))?;
    let contract = match (pack.kind, pack.abi_version(), pack.wit_package()) {
        (PackKind::Module, Some(v), _) => format!("core module, guest ABI v{v}"),
        (PackKind::Component, _, Some((package, version))) => format!("component, WIT {package}@{version}"),
        (kind, _, _) => format!("{kind:?}"),
    };
    writeln!(out, "kind         {}", clean(&contract))?;
    writeln!(out, "size         {} bytes", pack.size())?;
    writeln!(out, "sha256       {}", pack.sha256)?;
    if pack.imports().is_empty() {
        writeln!(out, "imports      (none)")?;
    }
    for (i, import) in pack.imports().iter().enumerate() {
        writeln!(out, "{}{}", if i == 0 { "imports      " } else { "             " }, clean(import))?;
    }
    writeln!(out, "\npolicies ({}):", meta.policies.len())?;
    for policy in &meta.policies {
        write_policy(out, policy)?;
    }
    if !problems.is_empty() {
        writeln!(out, "\nproblems ({}):", problems.len())?;
        for p in problems {
            writeln!(out, "  {}", clean(p))?;
        }
    }
    Ok(())
}

/// One policy: name, kind, level, severity, then its details indented.
fn write_policy(out: &mut impl Write, p: &PolicyInfo) -> io::Result<()> {
    let (kind, level, severity) = (p.kind.as_str(), p.enforcement_level.as_str(), p.severity.as_str());
    writeln!(out, "  {}  ({kind}, {level}, {severity})", clean(&p.name))?;
    if !p.description.is_empty() {
        writeln!(out, "      {}", clean(&p.description))?;
    }
    let types = if p.resource_types.is_empty() { "*".to_string() } else { p.resource_types.join(", ") };
    writeln!(out, "      resource types: {}", clean(&types))?;
    writeln!(out, "      config schema:  {}", clean(&p.config_schema.to_string()))?;
    if let Some(help) = p.help.as_deref().filter(|h| !h.is_empty()) {
        writeln!(out, "      help:           {}", clean(help))?;
    }
    Ok(())
}
