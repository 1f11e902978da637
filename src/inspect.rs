//! `palisade inspect`: what a pack is, from its own binary and its
//! `describe` document: metadata, policies, guest contract, imports, size
//! and digest.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Result;
use palisade_engine::{Pack, PackKind, PolicyInfo};
use serde_json::{Value, json};

use crate::Format;
use crate::test_pack::LoadArgs;

/// Show a pack's metadata, policies, ABI or WIT version, imports, size and digest.
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

/// Load the pack and print what it is; exit code 0.
pub(crate) fn run(args: &InspectArgs) -> Result<u8> {
    let (_engine, pack) = args.load.load(&args.pack)?;
    let pack = &pack;
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&document(pack))?)?,
        Format::Text => write_text(&mut out, pack)?,
    }
    out.flush()?;
    Ok(0)
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

/// The text form, for people.
fn write_text(out: &mut impl Write, pack: &Pack) -> io::Result<()> {
    let meta = &pack.metadata;
    writeln!(out, "pack         {} {}", meta.name, meta.version)?;
    if !meta.description.is_empty() {
        writeln!(out, "description  {}", meta.description)?;
    }
    writeln!(out, "file         {}", pack.path)?;
    let contract = match (pack.kind, pack.abi_version(), pack.wit_package()) {
        (PackKind::Module, Some(v), _) => format!("core module, guest ABI v{v}"),
        (PackKind::Component, _, Some((package, version))) => format!("component, WIT {package}@{version}"),
        (kind, _, _) => format!("{kind:?}"),
    };
    writeln!(out, "kind         {contract}")?;
    writeln!(out, "size         {} bytes", pack.size())?;
    writeln!(out, "sha256       {}", pack.sha256)?;
    if pack.imports().is_empty() {
        writeln!(out, "imports      (none)")?;
    }
    for (i, import) in pack.imports().iter().enumerate() {
        writeln!(out, "{}{import}", if i == 0 { "imports      " } else { "             " })?;
    }
    writeln!(out, "\npolicies ({}):", meta.policies.len())?;
    for policy in &meta.policies {
        write_policy(out, policy)?;
    }
    Ok(())
}

/// One policy: name, kind, level, severity, then its details indented.
fn write_policy(out: &mut impl Write, p: &PolicyInfo) -> io::Result<()> {
    let (kind, level, severity) = (p.kind.as_str(), p.enforcement_level.as_str(), p.severity.as_str());
    writeln!(out, "  {}  ({kind}, {level}, {severity})", p.name)?;
    if !p.description.is_empty() {
        writeln!(out, "      {}", p.description)?;
    }
    let types = if p.resource_types.is_empty() { "*".to_string() } else { p.resource_types.join(", ") };
    writeln!(out, "      resource types: {types}")?;
    writeln!(out, "      config schema:  {}", p.config_schema)?;
    if let Some(help) = p.help.as_deref().filter(|h| !h.is_empty()) {
        writeln!(out, "      help:           {help}")?;
    }
    Ok(())
}
