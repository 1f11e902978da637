//! The input parsers against the real-world corpus in `tests/data/corpus`
//! (copies of public files, see its README.md and SOURCES.tsv), plus error
//! cases on small inline inputs, and every corpus file through the CLI.
//!
//! - `counts`: resource and policy-target counts computed independently of
//!   the parsers from the raw JSON, checked for every file;
//! - `model`: specific normalizations of chosen corpus files;
//! - `inline`: normalizations of small inline inputs;
//! - `errors`: error messages, and damaged files that must never panic;
//! - `cli`: every corpus file through `palisade check` with the built-in pack.
//!
//! This module holds the shared helpers: locating and loading the files,
//! decoding them without the crate's decoder, finding resources.

use std::fs;
use std::path::PathBuf;

use palisade_engine::input::{InputError, InputFormat, read_input};
use palisade_engine::model::{PathSegment, Resource, Stack};
use serde_json::Value;

mod cli;
mod counts;
mod errors;
mod inline;
mod model;

/// The corpus, relative to the repository root (the CLI's working folder).
const CORPUS_REL: &str = "tests/data/corpus";
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/corpus");
const FOLDERS: &[&str] = &["tfplan", "tfstate", "pulumi_stack_export", "pulumi_events"];
/// The one corpus file that must be refused: a plan with `"errored": true`.
const ERRORED_PLAN: &str = "opentofu__opentofu__show-json-plan-error.json";

/// One corpus file: its folder (the format), its name and its full path.
struct CorpusFile {
    folder: &'static str,
    name: String,
    path: PathBuf,
}

impl CorpusFile {
    /// `folder/name`, the label used as the source name and in messages.
    fn label(&self) -> String {
        format!("{}/{}", self.folder, self.name)
    }

    /// The path relative to the repository root.
    fn rel_path(&self) -> String {
        format!("{CORPUS_REL}/{}/{}", self.folder, self.name)
    }

    fn bytes(&self) -> Vec<u8> {
        fs::read(&self.path).unwrap_or_else(|e| panic!("{}: {e}", self.path.display()))
    }
}

/// Every corpus file, by folder then name.
fn corpus_files() -> Vec<CorpusFile> {
    let mut out = Vec::new();
    for folder in FOLDERS {
        let dir = PathBuf::from(CORPUS).join(folder);
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut names: Vec<String> =
            entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        assert!(!names.is_empty(), "no files in {}", dir.display());
        out.extend(names.into_iter().map(|name| CorpusFile { folder, path: dir.join(&name), name }));
    }
    out
}

/// The format a file of `folder` must be detected as.
fn expected_format(folder: &str) -> InputFormat {
    match folder {
        "tfplan" => InputFormat::TfPlan,
        "tfstate" => InputFormat::TfState,
        "pulumi_stack_export" => InputFormat::PulumiExport,
        _ => InputFormat::PulumiEvents,
    }
}

/// Decodes a corpus file without the crate's decoder: UTF-16 by hand.
fn decode_independently(bytes: &[u8]) -> String {
    let utf16 = |body: &[u8], le: bool| {
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|p| if le { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) })
            .collect();
        String::from_utf16(&units).unwrap_or_else(|e| panic!("bad UTF-16: {e}"))
    };
    match bytes {
        [0xFF, 0xFE, body @ ..] => utf16(body, true),
        [0xFE, 0xFF, body @ ..] => utf16(body, false),
        [0xEF, 0xBB, 0xBF, body @ ..] => String::from_utf8(body.to_vec()).unwrap_or_default(),
        _ => String::from_utf8(bytes.to_vec()).unwrap_or_else(|e| panic!("bad UTF-8: {e}")),
    }
}

/// Reads one corpus file with the crate's parsers, panicking on an error.
fn read(folder: &str, name: &str) -> Stack {
    let path = PathBuf::from(CORPUS).join(folder).join(name);
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    read_input(name, &bytes, None).unwrap_or_else(|e| panic!("{e}"))
}

/// Reads an inline input, expecting an error.
fn err(source: &str, text: &str) -> InputError {
    match read_input(source, text.as_bytes(), None) {
        Ok(stack) => panic!("{source}: expected an error, got {} resources", stack.resources.len()),
        Err(e) => e,
    }
}

fn find<'a>(stack: &'a Stack, address: &str) -> &'a Resource {
    stack
        .resources
        .iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| panic!("{}: no resource {address}", stack.source))
}

fn at<'a>(value: &'a Value, path: &[PathSegment]) -> &'a Value {
    path.iter().fold(value, |v, seg| match seg {
        PathSegment::Key(k) => &v[k.as_str()],
        PathSegment::Index(i) => &v[*i],
    })
}

fn key(k: &str) -> PathSegment {
    PathSegment::Key(k.to_string())
}

fn idx(i: usize) -> PathSegment {
    PathSegment::Index(i)
}
