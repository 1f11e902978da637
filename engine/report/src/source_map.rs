//! Where a Terraform resource address is declared: the `.tf` file, line and
//! column of its `resource` or `data` block, so that findings (SARIF, GitHub
//! annotations, Markdown) can point at the code a reviewer is reading.
//!
//! [`SourceMap::from_dir`] parses the root module's `*.tf` files with
//! `hcl-edit` (which keeps byte spans) and follows every `module` block into
//! the module it calls, recursively, the way `terraform init` lays modules
//! out:
//!
//! - a local source (`./x`, `../x`) is a folder relative to the calling
//!   module's folder;
//! - any other source (registry, git, S3, an archive URL, an absolute path)
//!   is looked up by its module key (`network`, `network.subnets`: the call
//!   names from the root, joined by `.`) in the root's
//!   `.terraform/modules/modules.json` manifest, whose `Modules[].Dir` is a
//!   folder relative to the root. When the manifest is absent or has no such
//!   key, the module's resources are located at its `module` block in the
//!   caller and a [warning](SourceMap::warnings) says why.
//!
//! `.terraform` is not committed, so no location points into it: every
//! resource of a module followed through the manifest (a non-local source),
//! including those of the modules it calls in turn, local or not, is located
//! at the outermost such `module` block, the one in the repository's tree,
//! exactly as when that module is not installed. The installed copy is still
//! read, only to know which resources the module declares (an address it
//! does not declare is not located). A local source that leads into a
//! `.terraform` folder is treated the same way (only a `DIR` that is itself
//! in one yields locations there).
//!
//! Addresses follow Terraform's resource address syntax
//! (<https://developer.hashicorp.com/terraform/cli/state/resource-addressing>):
//! `[module.NAME[KEY].]...[data.]TYPE.NAME[KEY]`. Instance keys (`[0]`,
//! `["key"]`) are dropped for the lookup, since every instance of a block
//! (or of a module call) is declared by the same block.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use hcl_edit::Span;
use hcl_edit::structure::Block;

/// The module manifest `terraform init` writes, relative to the root folder.
const MANIFEST: &str = ".terraform/modules/modules.json";
/// Module calls deeper than this are not followed (a warning is recorded).
const MAX_MODULE_DEPTH: usize = 64;
/// Module instances (call paths) walked at most, whatever the tree's shape.
const MAX_MODULE_CALLS: usize = 10_000;

/// The declarations of a Terraform configuration, by resource address.
///
/// Built by [`SourceMap::from_dir`]; queried with [`SourceMap::locate`].
/// Each `resource` and `data` block is recorded once per module call path,
/// under its address without instance keys (`module.apps.aws_instance.app`,
/// `data.aws_iam_policy_document.x`).
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    /// `[module.NAME.]...[data.]TYPE.NAME` -> the block's first token.
    blocks: HashMap<String, SourceLocation>,
    /// `module.NAME[.module.NAME]...` of each module call that could not be
    /// followed -> the `module` block's first token in the caller.
    unfollowed: HashMap<String, SourceLocation>,
    /// What did not stop the map, in the order met.
    warnings: Vec<String>,
}

pub use palisade_model::finding::SourceLocation;

/// Why [`SourceMap::from_dir`] could not build a map.
#[derive(Debug, thiserror::Error)]
pub enum SourceMapError {
    /// A folder could not be listed or a `.tf` file could not be read (the
    /// root folder missing, a permission denied, ...).
    #[error("cannot read {path}: {error}")]
    Read {
        /// The folder or file, as it would appear in [`SourceLocation::file`].
        path: String,
        /// The operating system's error (shown in the message, so not also
        /// a `source`, which would print it twice).
        error: io::Error,
    },
    /// A `.tf` file is not valid HCL.
    #[error("{file}:{line}:{column}: HCL syntax error: {message}")]
    Syntax {
        /// The file, as it would appear in [`SourceLocation::file`].
        file: String,
        /// The line of the error, 1-based.
        line: u32,
        /// The column of the error, 1-based, in characters.
        column: u32,
        /// The parser's message (e.g. `expected ...`).
        message: String,
    },
}

impl SourceMap {
    /// Parse every `*.tf` file of `dir` (not recursing into subfolders) and
    /// of every module it calls, recursively.
    ///
    /// Files are read in name order, as Terraform does; hidden and editor
    /// files (`.x`, `x~`, `#x#`) are ignored, and override files
    /// (`override.tf`, `*_override.tf`) are read last and never move a
    /// declaration already found. `*.tf.json` files are skipped with a
    /// warning (their resources are not located). A file that is not UTF-8
    /// is read with its invalid bytes replaced, with a warning; a UTF-8 byte
    /// order mark is ignored.
    ///
    /// Module calls are followed as the [module docs](self) say: local
    /// sources relative to the caller's folder, others through
    /// `DIR/.terraform/modules/modules.json` (an unreadable or malformed
    /// manifest is a warning, and is then treated as absent). A module call
    /// that cannot be followed (not installed, missing folder, a source that
    /// is not a literal string, a cycle of module sources, more than 64
    /// levels deep) is a warning, and its resources are located at the call.
    /// A module called from several places is walked once per call path
    /// (each file is parsed once). The resources of a module reached through
    /// the manifest, or inside a `.terraform` folder, are located at the
    /// outermost call that leads there (never in `.terraform`).
    ///
    /// # Errors
    ///
    /// [`SourceMapError::Read`] when `dir`, the folder of a followed module,
    /// or one of their `.tf` files cannot be read;
    /// [`SourceMapError::Syntax`] when one of those files is not valid HCL.
    pub fn from_dir(dir: &Path) -> Result<SourceMap, SourceMapError> {
        let root = normalize(dir);
        let mut walker = Walker {
            manifest: HashMap::new(),
            manifest_state: ManifestState::Absent,
            parsed: HashMap::new(),
            calls_walked: 0,
            map: SourceMap::default(),
            root: root.clone(),
        };
        walker.read_manifest();
        let mut stack = vec![identity(&root)];
        walker.walk(&ModuleAt { dir: &root, prefix: "", key: "", anchor: None }, &mut stack)?;
        Ok(walker.map)
    }

    /// Where `address` is declared: e.g. `aws_s3_bucket.logs`,
    /// `aws_instance.web[0]`, `aws_iam_role.r["a.b[c]"]`,
    /// `data.aws_iam_policy_document.x`,
    /// `module.network.aws_subnet.public[1]`,
    /// `module.apps["web"].module.db.aws_db_instance.main`.
    ///
    /// Instance keys (a number, or a quoted string that may hold `.`, `[`,
    /// `]` and `\"`) are ignored: every instance maps to its block's first
    /// token. A resource inside a module call that could not be followed maps
    /// to that `module` block. `None` for an address that is not declared or
    /// is not a resource address (a module address alone, a malformed key).
    pub fn locate(&self, address: &str) -> Option<&SourceLocation> {
        let (modules, resource) = parse_address(address)?;
        let mut key = String::new();
        let mut module_paths = Vec::with_capacity(modules.len());
        for module in &modules {
            key.push_str("module.");
            key.push_str(module);
            module_paths.push(key.clone());
            key.push('.');
        }
        key.push_str(&resource);
        if let Some(location) = self.blocks.get(&key) {
            return Some(location);
        }
        // Nothing under an unfollowed module was walked: its outermost one
        // is the call to point at.
        module_paths.iter().find_map(|path| self.unfollowed.get(path))
    }

    /// Problems that did not stop the map, each one line starting with the
    /// file (and line) concerned: a module whose source could not be
    /// followed (remote and not installed, missing folder, a cycle), with the
    /// module call's file and line; a skipped `.tf.json` file; a file that is
    /// not UTF-8; an unreadable manifest.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Number of resource and data blocks mapped (once per module call path;
    /// the instances of a `count` or `for_each` count once).
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether no resource or data block was mapped.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

/// What one module folder declares.
#[derive(Debug, Default)]
struct ModuleDecls {
    /// `[data.]TYPE.NAME` -> location, in file and block order.
    blocks: Vec<(String, SourceLocation)>,
    /// The module calls, in file and block order, names unique.
    calls: Vec<ModuleCall>,
}

/// A `module "NAME" { source = ... }` block.
#[derive(Debug)]
struct ModuleCall {
    name: String,
    /// The `source` attribute when it is a literal string.
    source: Option<String>,
    at: SourceLocation,
}

enum ManifestState {
    Absent,
    Read,
    Unusable,
}

struct Walker {
    root: PathBuf,
    /// Module key -> installed folder (relative to the root).
    manifest: HashMap<String, String>,
    manifest_state: ManifestState,
    /// Normalized folder -> its declarations, so a module called from several
    /// places is read once.
    parsed: HashMap<PathBuf, Rc<ModuleDecls>>,
    calls_walked: usize,
    map: SourceMap,
}

/// A module folder the walk reached, and how.
#[derive(Clone, Copy)]
struct ModuleAt<'a> {
    /// The module's folder.
    dir: &'a Path,
    /// The address prefix of its blocks: `""` or `module.a.module.b.`.
    prefix: &'a str,
    /// Its module key in the manifest: `""` or `a.b`.
    key: &'a str,
    /// The outermost call on the path that went through the manifest or
    /// into a `.terraform` folder: when set, everything below is located
    /// there.
    anchor: Option<&'a SourceLocation>,
}

#[derive(serde::Deserialize)]
struct Manifest {
    #[serde(rename = "Modules", default)]
    modules: Vec<ManifestEntry>,
}

#[derive(serde::Deserialize)]
struct ManifestEntry {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Dir")]
    dir: String,
}

impl Walker {
    fn read_manifest(&mut self) {
        let path = self.root.join(MANIFEST);
        let shown = display(&path);
        let bytes =
            match palisade_model::limits::read_capped(fs_path(&path), palisade_model::limits::MAX_SETTINGS_BYTES) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return,
                Err(e) => {
                    self.map.warnings.push(format!("{shown}: cannot read the module manifest: {e}"));
                    self.manifest_state = ManifestState::Unusable;
                    return;
                }
            };
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        match serde_json::from_slice::<Manifest>(bytes) {
            Ok(manifest) => {
                self.manifest = manifest.modules.into_iter().map(|m| (m.key, m.dir)).collect();
                self.manifest_state = ManifestState::Read;
            }
            Err(e) => {
                self.map.warnings.push(format!("{shown}: invalid module manifest: {e}"));
                self.manifest_state = ManifestState::Unusable;
            }
        }
    }

    /// Record the declarations of the module `at`, then walk its module
    /// calls. `stack` holds the identities of the folders on the call path,
    /// `at.dir`'s included.
    fn walk(&mut self, at: &ModuleAt<'_>, stack: &mut Vec<PathBuf>) -> Result<(), SourceMapError> {
        let ModuleAt { dir, prefix, key, anchor } = *at;
        let decls = self.parse_dir(dir)?;
        for (address, location) in &decls.blocks {
            let location = anchor.unwrap_or(location);
            self.map.blocks.entry(format!("{prefix}{address}")).or_insert_with(|| location.clone());
        }
        for call in &decls.calls {
            let module_path = format!("{prefix}module.{}", call.name);
            let child_key = if key.is_empty() { call.name.clone() } else { format!("{key}.{}", call.name) };
            let child = match self.resolve(dir, call, &child_key) {
                Ok(child) => child,
                Err(reason) => {
                    self.unfollowed_call(call, anchor, &module_path, &reason);
                    continue;
                }
            };
            let id = identity(&child);
            if stack.contains(&id) {
                let reason =
                    format!("its source {} is a module already on the call path (a cycle)", display_dir(&child));
                self.unfollowed_call(call, anchor, &module_path, &reason);
                continue;
            }
            if stack.len() > MAX_MODULE_DEPTH {
                let reason = format!("module calls nest more than {MAX_MODULE_DEPTH} deep");
                self.unfollowed_call(call, anchor, &module_path, &reason);
                continue;
            }
            if self.calls_walked >= MAX_MODULE_CALLS {
                let reason = format!("more than {MAX_MODULE_CALLS} module calls were followed");
                self.unfollowed_call(call, anchor, &module_path, &reason);
                continue;
            }
            self.calls_walked += 1;
            // Installed (non-local) or inside `.terraform`: not in the
            // repository, so located at this call, unless already anchored.
            let local = call.source.as_deref().is_some_and(is_local_source);
            let child_anchor = anchor.or_else(|| (!local || in_dot_terraform(&child)).then_some(&call.at));
            stack.push(id);
            let child_prefix = format!("{module_path}.");
            let child_at = ModuleAt { dir: &child, prefix: &child_prefix, key: &child_key, anchor: child_anchor };
            let walked = self.walk(&child_at, stack);
            stack.pop();
            walked?;
        }
        Ok(())
    }

    /// Record a call that is not followed: its resources are located at the
    /// call, or at `anchor` when the call itself is in an installed module.
    fn unfollowed_call(&mut self, call: &ModuleCall, anchor: Option<&SourceLocation>, module_path: &str, reason: &str) {
        let at = &call.at;
        let (target, shown) = match anchor {
            Some(anchor) => (anchor, format!("the module call at {}:{}", anchor.file, anchor.line)),
            None => (at, "this module call".to_owned()),
        };
        self.map.warnings.push(format!(
            "{}:{}: module \"{}\" not followed: {reason}; resources of {module_path} are located at {shown}",
            at.file, at.line, call.name
        ));
        self.map.unfollowed.entry(module_path.to_owned()).or_insert_with(|| target.clone());
    }

    /// The folder a module call's source names, or why there is none.
    fn resolve(&self, dir: &Path, call: &ModuleCall, key: &str) -> Result<PathBuf, String> {
        let Some(source) = &call.source else {
            return Err("its source is not a literal string".to_owned());
        };
        if is_local_source(source) {
            let folder = normalize(&dir.join(source));
            return if fs_path(&folder).is_dir() {
                Ok(folder)
            } else {
                Err(format!("its source {source:?} is not a folder ({})", display_dir(&folder)))
            };
        }
        let manifest = display(&self.root.join(MANIFEST));
        match self.manifest_state {
            ManifestState::Absent => {
                return Err(format!(
                    "its source {source:?} is not installed ({manifest} is absent; run `terraform init`)"
                ));
            }
            ManifestState::Unusable => {
                return Err(format!("its source {source:?} is not installed ({manifest} is unusable)"));
            }
            ManifestState::Read => {}
        }
        let Some(installed) = self.manifest.get(key) else {
            return Err(format!(
                "its source {source:?} is not installed (no {key:?} key in {manifest}; run `terraform init`)"
            ));
        };
        let folder = normalize(&self.root.join(installed));
        if fs_path(&folder).is_dir() {
            Ok(folder)
        } else {
            Err(format!("its source {source:?} is installed in {}, which is not a folder", display_dir(&folder)))
        }
    }

    /// The declarations of the `*.tf` files of `dir`, parsed once per folder.
    fn parse_dir(&mut self, dir: &Path) -> Result<Rc<ModuleDecls>, SourceMapError> {
        if let Some(decls) = self.parsed.get(dir) {
            return Ok(Rc::clone(decls));
        }
        let read_error = |error| SourceMapError::Read { path: display_dir(dir), error };
        let mut files = Vec::new();
        let mut overrides = Vec::new();
        for entry in fs::read_dir(fs_path(dir)).map_err(read_error)? {
            let entry = entry.map_err(read_error)?;
            let os_name = entry.file_name();
            let Some(name) = os_name.to_str() else {
                if os_name.to_string_lossy().ends_with(".tf") {
                    let shown = display(&dir.join(&os_name));
                    self.map.warnings.push(format!("{shown}: skipped: the file name is not UTF-8"));
                }
                continue;
            };
            if name.starts_with('.') || name.ends_with('~') || (name.starts_with('#') && name.ends_with('#')) {
                continue;
            }
            let path = dir.join(name);
            if name.ends_with(".tf.json") {
                self.map.warnings.push(format!(
                    "{}: skipped: .tf.json files are not read by the source map; their resources are not located",
                    display(&path)
                ));
                continue;
            }
            let Some(stem) = name.strip_suffix(".tf") else { continue };
            match fs::metadata(fs_path(&path)) {
                Ok(meta) if meta.is_file() => {}
                Ok(_) => continue,
                Err(error) => return Err(SourceMapError::Read { path: display(&path), error }),
            }
            if stem == "override" || stem.ends_with("_override") {
                overrides.push(path);
            } else {
                files.push(path);
            }
        }
        files.sort();
        overrides.sort();
        let mut decls = ModuleDecls::default();
        let mut seen_blocks = HashSet::new();
        let mut seen_calls = HashSet::new();
        for path in files.iter().chain(&overrides) {
            self.parse_file(path, &mut decls, &mut seen_blocks, &mut seen_calls)?;
        }
        let decls = Rc::new(decls);
        self.parsed.insert(dir.to_path_buf(), Rc::clone(&decls));
        Ok(decls)
    }

    fn parse_file(
        &mut self,
        path: &Path,
        decls: &mut ModuleDecls,
        seen_blocks: &mut HashSet<String>,
        seen_calls: &mut HashSet<String>,
    ) -> Result<(), SourceMapError> {
        let file = display(path);
        let bytes = palisade_model::limits::read_capped(fs_path(path), palisade_model::limits::MAX_SETTINGS_BYTES)
            .map_err(|error| SourceMapError::Read { path: file.clone(), error })?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                self.map.warnings.push(format!(
                    "{file}: not UTF-8 (invalid byte at offset {}); read with invalid bytes replaced",
                    e.utf8_error().valid_up_to()
                ));
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let body = hcl_edit::parser::parse_body(text).map_err(|e| SourceMapError::Syntax {
            file: file.clone(),
            line: to_u32(e.location().line()),
            column: to_u32(e.location().column()),
            message: e.message().to_owned(),
        })?;
        let lines = LineIndex::new(text);
        for block in body.blocks() {
            let at = || {
                let offset = block.ident.span().or_else(|| block.span()).map_or(0, |span| span.start);
                lines.locate(&file, offset)
            };
            match (block.ident.as_str(), block.labels.as_slice()) {
                (mode @ ("resource" | "data"), [kind, name]) => {
                    let prefix = if mode == "data" { "data." } else { "" };
                    let address = format!("{prefix}{}.{}", kind.as_str(), name.as_str());
                    if seen_blocks.insert(address.clone()) {
                        decls.blocks.push((address, at()));
                    }
                }
                ("module", [name]) => {
                    let name = name.as_str();
                    if seen_calls.insert(name.to_owned()) {
                        decls.calls.push(ModuleCall { name: name.to_owned(), source: module_source(block), at: at() });
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A module block's `source` when it is a literal string.
fn module_source(block: &Block) -> Option<String> {
    let value = &block.body.get_attribute("source")?.value;
    if let Some(source) = value.as_str() {
        return Some(source.to_owned());
    }
    // `"${...}"`-free templates are literal strings too.
    let template = value.as_string_template()?;
    let mut source = String::new();
    for element in template.iter() {
        source.push_str(element.as_literal()?.as_str());
    }
    Some(source)
}

/// Terraform's test for a local module source
/// (`./` or `../`, either separator).
fn is_local_source(source: &str) -> bool {
    ["./", "../", ".\\", "..\\"].iter().any(|p| source.starts_with(p)) || source == "." || source == ".."
}

/// Whether `dir` is in a `.terraform` folder (one of its components).
fn in_dot_terraform(dir: &Path) -> bool {
    dir.components().any(|c| c.as_os_str() == ".terraform")
}

/// Byte offset -> line and column.
struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    fn locate(&self, file: &str, offset: usize) -> SourceLocation {
        let line = self.starts.partition_point(|&start| start <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = match self.text.get(start..offset) {
            Some(prefix) => prefix.chars().count(),
            None => offset.saturating_sub(start),
        } + 1;
        SourceLocation { file: file.to_owned(), line: to_u32(line), column: to_u32(column) }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Lexical normalization: `.` dropped, `x/..` folded, `/..` kept at `/`.
fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            _ => out.push(component),
        }
    }
    out.iter().collect()
}

/// The path to hand the file system (`.` for the empty, normalized `.`).
fn fs_path(path: &Path) -> &Path {
    if path.as_os_str().is_empty() { Path::new(".") } else { path }
}

/// What identifies a module folder on a call path: its canonical path when
/// it has one (so symlinks do not hide a cycle).
fn identity(dir: &Path) -> PathBuf {
    fs::canonicalize(fs_path(dir)).unwrap_or_else(|_| dir.to_path_buf())
}

/// `path` with `/` separators.
fn display(path: &Path) -> String {
    let mut out = String::new();
    for component in path.components() {
        if !out.is_empty() && !out.ends_with('/') && !matches!(component, Component::RootDir) {
            out.push('/');
        }
        match component {
            Component::Prefix(prefix) => out.push_str(&prefix.as_os_str().to_string_lossy()),
            Component::RootDir => out.push('/'),
            Component::CurDir => out.push('.'),
            Component::ParentDir => out.push_str(".."),
            Component::Normal(name) => out.push_str(&name.to_string_lossy()),
        }
    }
    out
}

/// A folder for messages: `.` rather than nothing.
fn display_dir(path: &Path) -> String {
    let shown = display(path);
    if shown.is_empty() { ".".to_owned() } else { shown }
}

/// Split a resource address into its module call names and its
/// `[data.]TYPE.NAME`, dropping instance keys; `None` when it is not one.
fn parse_address(address: &str) -> Option<(Vec<&str>, String)> {
    let mut cursor = Cursor { rest: address };
    let mut modules = Vec::new();
    while let Some(rest) = cursor.rest.strip_prefix("module.") {
        cursor.rest = rest;
        modules.push(cursor.ident()?);
        cursor.instance_key()?;
        cursor.expect('.')?;
    }
    let data = match cursor.rest.strip_prefix("data.") {
        Some(rest) => {
            cursor.rest = rest;
            true
        }
        None => false,
    };
    let kind = cursor.ident()?;
    cursor.expect('.')?;
    let name = cursor.ident()?;
    cursor.instance_key()?;
    if !cursor.rest.is_empty() {
        return None;
    }
    let prefix = if data { "data." } else { "" };
    Some((modules, format!("{prefix}{kind}.{name}")))
}

struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    /// An HCL identifier (letters, digits, `_`, `-`), non-empty.
    fn ident(&mut self) -> Option<&'a str> {
        let end = self.rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let (ident, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(ident)
    }

    fn expect(&mut self, c: char) -> Option<()> {
        self.rest = self.rest.strip_prefix(c)?;
        Some(())
    }

    /// An optional `[123]` or `["..."]` (with `\` escapes); `None` when one
    /// starts but is malformed.
    fn instance_key(&mut self) -> Option<()> {
        let Some(rest) = self.rest.strip_prefix('[') else { return Some(()) };
        let rest = if let Some(quoted) = rest.strip_prefix('"') {
            let mut chars = quoted.char_indices();
            loop {
                match chars.next()? {
                    (_, '\\') => {
                        chars.next()?;
                    }
                    (i, '"') => break quoted.get(i + 1..)?,
                    _ => {}
                }
            }
        } else {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            if digits == 0 {
                return None;
            }
            rest.get(digits..)?
        };
        self.rest = rest.strip_prefix(']')?;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test tree, relative to the crate folder (`cargo test`'s working
    /// directory), so locations are relative too.
    const TREE: &str = "../../tests/data/source-map";

    fn tree() -> SourceMap {
        SourceMap::from_dir(Path::new(TREE)).expect("the test tree maps")
    }

    fn at(file: &str, line: u32) -> SourceLocation {
        SourceLocation { file: format!("{TREE}/{file}"), line, column: 1 }
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    fn copy_tree(from: &Path, to: &Path) {
        fs::create_dir_all(to).expect("mkdir");
        for entry in fs::read_dir(from).expect("read_dir") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("file type").is_dir() {
                copy_tree(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), target).expect("copy");
            }
        }
    }

    fn file_of(map: &SourceMap, address: &str) -> String {
        map.locate(address).map(|l| format!("{}:{}", l.file, l.line)).unwrap_or_default()
    }

    #[test]
    fn root_resources_and_data() {
        let map = tree();
        assert_eq!(map.locate("aws_s3_bucket.logs"), Some(&at("main.tf", 30)));
        assert_eq!(map.locate("aws_s3_bucket_acl.logs"), Some(&at("main.tf", 35)));
        assert_eq!(map.locate("aws_ebs_volume.data"), Some(&at("main.tf", 40)));
        assert_eq!(map.locate("aws_ebs_volume.data[0]"), Some(&at("main.tf", 40)));
        assert_eq!(map.locate("aws_ebs_volume.data[1]"), Some(&at("main.tf", 40)));
        assert_eq!(map.locate("data.aws_iam_policy_document.logs_read"), Some(&at("main.tf", 50)));
        assert_eq!(map.len(), 10);
        assert!(!map.is_empty());
    }

    #[test]
    fn quoted_instance_keys_with_dots_brackets_and_quotes() {
        let map = tree();
        for address in [
            r#"aws_ebs_volume.data["a.b[c]"]"#,
            r#"aws_ebs_volume.data["say \"hi\" ]["]"#,
            r#"aws_ebs_volume.data["back\\slash"]"#,
            r#"aws_ebs_volume.data[""]"#,
        ] {
            assert_eq!(map.locate(address), Some(&at("main.tf", 40)), "{address}");
        }
    }

    #[test]
    fn module_resources_across_files() {
        let map = tree();
        assert_eq!(map.locate("module.network.aws_route_table.public"), Some(&at("modules/network/main.tf", 14)));
        assert_eq!(map.locate("module.network.aws_security_group.ssh"), Some(&at("modules/network/security.tf", 2)));
    }

    #[test]
    fn nested_module() {
        let map = tree();
        let subnet = at("modules/network/subnets/main.tf", 13);
        assert_eq!(map.locate("module.network.module.subnets.aws_subnet.this[0]"), Some(&subnet));
        assert_eq!(map.locate("module.network.module.subnets.aws_subnet.this"), Some(&subnet));
        assert_eq!(
            map.locate("module.network.module.subnets.aws_route_table_association.this[0]"),
            Some(&at("modules/network/subnets/main.tf", 22))
        );
    }

    #[test]
    fn for_each_module_instances() {
        let map = tree();
        let db = at("modules/app/main.tf", 22);
        let ec2 = at("modules/app/main.tf", 36);
        assert_eq!(map.locate(r#"module.apps["web"].aws_db_instance.main"#), Some(&db));
        assert_eq!(map.locate(r#"module.apps["api"].aws_db_instance.main"#), Some(&db));
        assert_eq!(map.locate(r#"module.apps["api"].aws_instance.app"#), Some(&ec2));
        assert_eq!(map.locate(r#"module.apps["a.b[c]"].aws_instance.app"#), Some(&ec2));
        assert_eq!(map.locate(r#"module.apps["x\"].module.y[\"z"].aws_instance.app[3]"#), Some(&ec2));
        assert_eq!(map.locate("module.apps[2].aws_instance.app"), Some(&ec2));
        assert_eq!(map.locate("module.apps.aws_instance.app"), Some(&ec2));
    }

    #[test]
    fn uninstalled_remote_module_points_at_the_call() {
        let map = tree();
        let call = at("main.tf", 84);
        assert_eq!(map.locate("module.vpc.aws_vpc.this[0]"), Some(&call));
        assert_eq!(map.locate("module.vpc.aws_vpc.this"), Some(&call));
        assert_eq!(map.locate(r#"module.vpc.module.endpoints["s3"].data.aws_iam_policy_document.x"#), Some(&call));
        let warnings = map.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let warning = &warnings[0];
        assert!(warning.starts_with(&format!("{TREE}/main.tf:84: module \"vpc\"")), "{warning}");
        assert!(warning.contains("\"terraform-aws-modules/vpc/aws\" is not installed"), "{warning}");
        assert!(warning.contains("terraform init"), "{warning}");
        assert!(warning.contains("module.vpc"), "{warning}");
    }

    #[test]
    fn unknown_addresses() {
        let map = tree();
        for address in [
            "",
            "aws_s3_bucket",
            "aws_s3_bucket.nope",
            "aws_s3_bucket.logs.extra",
            "aws_s3_bucket.logs[",
            "aws_s3_bucket.logs[]",
            "aws_s3_bucket.logs[x]",
            r#"aws_s3_bucket.logs["open]"#,
            r#"aws_s3_bucket.logs["a"]x"#,
            "aws_s3_bucket.logs[0][1]",
            "data.aws_s3_bucket.logs",
            "data.aws_iam_policy_document",
            "aws_iam_policy_document.logs_read",
            "module.",
            "module.network",
            "module.vpc",
            "module.nope.aws_s3_bucket.logs",
            "module.network.aws_subnet.this",
            "module.network.module.subnets.aws_subnet.nope",
            "module.network.module.nope.aws_subnet.this",
            ".aws_s3_bucket.logs",
            "aws_s3_bucket..logs",
            " aws_s3_bucket.logs",
            "aws_s3_bucket.logs ",
        ] {
            assert_eq!(map.locate(address), None, "{address:?}");
        }
    }

    /// The test tree copied to `infra/` in a temporary folder, with the
    /// registry module of `module "vpc"` installed in `.terraform`: its own
    /// resource, a nested remote module, a nested local module (installed
    /// too) and a call to a folder that does not exist. No manifest yet.
    fn tree_with_installed_vpc() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("infra");
        copy_tree(Path::new(TREE), &root);
        write(
            &root.join(".terraform/modules/vpc/main.tf"),
            "resource \"aws_vpc\" \"this\" {\n  count = 1\n}\n\nmodule \"endpoints\" {\n  source = \"terraform-aws-modules/vpc/aws//modules/vpc-endpoints\"\n}\n\nmodule \"flow_logs\" {\n  source = \"./modules/flow-logs\"\n}\n\nmodule \"gone\" {\n  source = \"./modules/gone\"\n}\n",
        );
        write(
            &root.join(".terraform/modules/vpc/modules/vpc-endpoints/main.tf"),
            "\n\n  resource \"aws_vpc_endpoint\" \"this\" {\n    for_each = {}\n  }\n",
        );
        // A local module of the installed one: installed too.
        write(
            &root.join(".terraform/modules/vpc/modules/flow-logs/main.tf"),
            "resource \"aws_flow_log\" \"this\" {}\n",
        );
        (tmp, root)
    }

    /// The source map of [`tree_with_installed_vpc`] with `manifest` as its
    /// module manifest, and the tree's root as locations show it.
    fn map_with_manifest(manifest: &str) -> (SourceMap, String) {
        let (_tmp, root) = tree_with_installed_vpc();
        write(&root.join(MANIFEST), manifest);
        let map = SourceMap::from_dir(&root).expect("maps");
        (map, display(&root))
    }

    /// The manifest `terraform init` writes for the tree of
    /// [`tree_with_installed_vpc`].
    const VPC_MANIFEST: &str = r#"{"Modules":[
                {"Key":"","Source":"","Dir":"."},
                {"Key":"network","Source":"./modules/network","Dir":"modules/network"},
                {"Key":"vpc","Source":"registry.terraform.io/terraform-aws-modules/vpc/aws","Version":"5.8.1","Dir":".terraform/modules/vpc"},
                {"Key":"vpc.endpoints","Source":"registry.terraform.io/terraform-aws-modules/vpc/aws//modules/vpc-endpoints","Version":"5.8.1","Dir":".terraform/modules/vpc/modules/vpc-endpoints"},
                {"Key":"vpc.flow_logs","Source":"./modules/flow-logs","Dir":".terraform/modules/vpc/modules/flow-logs"}
            ]}"#;

    #[test]
    fn installed_remote_modules_through_the_manifest() {
        let (map, base) = map_with_manifest(VPC_MANIFEST);
        // `.terraform` is not in the repository: everything the installed
        // module declares, nested modules (remote or local) included, is
        // located at the `module "vpc"` block the user wrote.
        let call = format!("{base}/main.tf:84");
        assert_eq!(file_of(&map, "module.vpc.aws_vpc.this[0]"), call);
        let endpoint = map.locate(r#"module.vpc.module.endpoints.aws_vpc_endpoint.this["s3"]"#).expect("located");
        assert_eq!((endpoint.file.clone(), endpoint.line, endpoint.column), (format!("{base}/main.tf"), 84, 1));
        assert_eq!(file_of(&map, "module.vpc.module.flow_logs.aws_flow_log.this"), call);
        // The installed module is read: what it does not declare is not located.
        assert_eq!(map.locate("module.vpc.aws_subnet.nope"), None);
        assert_eq!(map.locate("module.vpc.module.flow_logs.aws_subnet.nope"), None);
        assert_no_dot_terraform(&map);
    }

    #[test]
    fn a_call_an_installed_module_cannot_follow_is_located_at_the_outer_call() {
        let (map, base) = map_with_manifest(VPC_MANIFEST);
        let call = format!("{base}/main.tf:84");
        assert_eq!(file_of(&map, "module.vpc.module.gone.aws_subnet.x"), call);
        assert_eq!(map.warnings().len(), 1, "{:?}", map.warnings());
        assert!(map.warnings()[0].contains(&format!("located at the module call at {call}")), "{:?}", map.warnings());
        assert_no_dot_terraform(&map);
    }

    #[test]
    fn local_modules_keep_their_own_files_beside_installed_ones() {
        let (map, base) = map_with_manifest(VPC_MANIFEST);
        assert_eq!(
            file_of(&map, "module.network.aws_security_group.ssh"),
            format!("{base}/modules/network/security.tf:2")
        );
        assert_eq!(file_of(&map, "aws_s3_bucket.logs"), format!("{base}/main.tf:30"));
        assert_eq!(map.len(), 13);
        assert_no_dot_terraform(&map);
    }

    #[test]
    fn a_manifest_without_the_key_locates_at_the_call_with_a_warning() {
        let (map, base) = map_with_manifest(r#"{"Modules":[{"Key":"","Source":"","Dir":"."}]}"#);
        assert_eq!(file_of(&map, "module.vpc.aws_vpc.this[0]"), format!("{base}/main.tf:84"));
        assert!(map.warnings()[0].contains("no \"vpc\" key"), "{:?}", map.warnings());
    }

    #[test]
    fn a_malformed_manifest_is_a_warning_not_an_error() {
        let (map, base) = map_with_manifest("{not json");
        assert_eq!(file_of(&map, "module.vpc.aws_vpc.this[0]"), format!("{base}/main.tf:84"));
        assert!(map.warnings()[0].contains("invalid module manifest"), "{:?}", map.warnings());
        assert_eq!(map.warnings().len(), 2, "{:?}", map.warnings());
    }

    /// No location of `map` points into a `.terraform` folder.
    fn assert_no_dot_terraform(map: &SourceMap) {
        for (address, location) in map.blocks.iter().chain(&map.unfollowed) {
            assert!(!location.file.contains(".terraform"), "{address} at {}", location.file);
        }
    }

    #[test]
    fn local_sources_into_dot_terraform_are_located_at_the_call() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        write(&root.join("main.tf"), "module \"copy\" {\n  source = \"./.terraform/modules/copy\"\n}\n");
        write(
            &root.join(".terraform/modules/copy/main.tf"),
            "resource \"aws_s3_bucket\" \"b\" {}\nmodule \"inner\" {\n  source = \"./inner\"\n}\n",
        );
        write(&root.join(".terraform/modules/copy/inner/main.tf"), "resource \"aws_s3_bucket\" \"i\" {}\n");
        let map = SourceMap::from_dir(root).expect("maps");
        let base = display(root);
        assert_eq!(file_of(&map, "module.copy.aws_s3_bucket.b"), format!("{base}/main.tf:1"));
        assert_eq!(file_of(&map, "module.copy.module.inner.aws_s3_bucket.i"), format!("{base}/main.tf:1"));
        assert_eq!(map.len(), 2);
        assert!(map.warnings().is_empty(), "{:?}", map.warnings());
        assert_no_dot_terraform(&map);
    }

    #[test]
    fn module_cycles_end_with_a_warning() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        write(
            &root.join("main.tf"),
            "module \"me\" {\n  source = \"./\"\n}\n\nmodule \"a\" {\n  source = \"./a\"\n}\n",
        );
        write(
            &root.join("a/main.tf"),
            "resource \"null_resource\" \"a\" {}\n\nmodule \"b\" {\n  source = \"../b\"\n}\n",
        );
        write(&root.join("b/main.tf"), "resource \"null_resource\" \"b\" {}\nmodule \"a\" {\n  source = \"../a\"\n}\n");
        let map = SourceMap::from_dir(root).expect("maps");
        let base = display(root);
        assert_eq!(file_of(&map, "module.a.null_resource.a"), format!("{base}/a/main.tf:1"));
        assert_eq!(file_of(&map, "module.a.module.b.null_resource.b"), format!("{base}/b/main.tf:1"));
        assert_eq!(file_of(&map, "module.me.module.a.null_resource.a"), format!("{base}/main.tf:1"));
        assert_eq!(file_of(&map, "module.a.module.b.module.a.null_resource.a"), format!("{base}/b/main.tf:2"));
        assert_eq!(map.len(), 2);
        let warnings = map.warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with(&format!("{base}/main.tf:1: module \"me\"")), "{warnings:?}");
        assert!(warnings[1].starts_with(&format!("{base}/b/main.tf:2: module \"a\"")), "{warnings:?}");
        assert!(warnings.iter().all(|w| w.contains("cycle")), "{warnings:?}");
    }

    #[test]
    fn a_module_called_twice_is_mapped_per_call_and_missing_folders_warn() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        write(
            &root.join("main.tf"),
            "module \"blue\" {\n  source = \"./mod\"\n}\nmodule \"green\" {\n  source = \"./mod\"\n}\nmodule \"gone\" {\n  source = \"../nowhere\"\n}\nmodule \"computed\" {\n  source = \"./${var.x}\"\n}\n",
        );
        write(&root.join("mod/main.tf"), "data \"aws_caller_identity\" \"me\" {}\n");
        let map = SourceMap::from_dir(root).expect("maps");
        let base = display(root);
        assert_eq!(file_of(&map, "module.blue.data.aws_caller_identity.me"), format!("{base}/mod/main.tf:1"));
        assert_eq!(file_of(&map, "module.green.data.aws_caller_identity.me"), format!("{base}/mod/main.tf:1"));
        assert_eq!(file_of(&map, "module.gone.aws_s3_bucket.x"), format!("{base}/main.tf:7"));
        assert_eq!(file_of(&map, "module.computed.aws_s3_bucket.x"), format!("{base}/main.tf:10"));
        assert_eq!(map.len(), 2);
        let warnings = map.warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("\"../nowhere\" is not a folder"), "{warnings:?}");
        assert!(warnings[1].contains("not a literal string"), "{warnings:?}");
    }

    #[test]
    fn syntax_errors_name_file_line_and_column() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        write(&root.join("main.tf"), "module \"m\" {\n  source = \"./m\"\n}\n");
        write(&root.join("m/ok.tf"), "resource \"a\" \"b\" {}\n");
        write(&root.join("m/bad.tf"), "resource \"aws_s3_bucket\" \"x\" {\n  bucket = \"a\"\n  acl = = \"b\"\n}\n");
        let err = SourceMap::from_dir(root).expect_err("a syntax error");
        let SourceMapError::Syntax { file, line, column, message } = &err else { panic!("{err:?}") };
        assert_eq!(file, &format!("{}/m/bad.tf", display(root)));
        assert_eq!((*line, *column), (3, 9));
        assert!(!message.is_empty());
        let shown = err.to_string();
        assert!(shown.starts_with(&format!("{}/m/bad.tf:3:9: HCL syntax error: ", display(root))), "{shown}");
    }

    #[test]
    fn missing_dir_is_a_read_error_naming_it() {
        let err = SourceMap::from_dir(Path::new("../../tests/data/no-such-dir")).expect_err("no such dir");
        assert!(matches!(&err, SourceMapError::Read { path, .. } if path == "../../tests/data/no-such-dir"), "{err:?}");
        assert!(err.to_string().starts_with("cannot read ../../tests/data/no-such-dir: "), "{err}");
    }

    #[test]
    fn odd_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        write(&root.join("a.tf.json"), r#"{"resource":{"aws_s3_bucket":{"j":{}}}}"#);
        write(&root.join("bom.tf"), "\u{feff}resource \"aws_s3_bucket\" \"bom\" {}\n");
        fs::write(root.join("latin1.tf"), b"# caf\xe9\n  resource \"aws_s3_bucket\" \"latin1\" {}\n").expect("write");
        write(&root.join("main.tf"), "resource \"aws_s3_bucket\" \"main\" {}\n");
        write(&root.join("main_override.tf"), "\n\nresource \"aws_s3_bucket\" \"main\" {\n  acl = \"private\"\n}\n");
        write(&root.join(".hidden.tf"), "this is not HCL {");
        write(&root.join("main.tf~"), "this is not HCL {");
        write(&root.join("sub/nested.tf"), "resource \"aws_s3_bucket\" \"nested\" {}\n");
        write(&root.join("empty.tf"), "");
        write(&root.join("unicode.tf"), "/* é */ resource \"aws_s3_bucket\" \"u\" {}\n");
        let map = SourceMap::from_dir(root).expect("maps");
        let base = display(root);
        let bom = map.locate("aws_s3_bucket.bom").expect("bom");
        assert_eq!((bom.file.as_str(), bom.line, bom.column), (format!("{base}/bom.tf").as_str(), 1, 1));
        assert_eq!(map.locate("aws_s3_bucket.latin1").map(|l| (l.line, l.column)), Some((2, 3)));
        assert_eq!(file_of(&map, "aws_s3_bucket.main"), format!("{base}/main.tf:1"));
        assert_eq!(map.locate("aws_s3_bucket.u").map(|l| (l.line, l.column)), Some((1, 9)));
        assert_eq!(map.locate("aws_s3_bucket.j"), None);
        assert_eq!(map.locate("aws_s3_bucket.nested"), None);
        assert_eq!(map.len(), 4);
        let warnings = map.warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with(&format!("{base}/a.tf.json: skipped")), "{warnings:?}");
        assert!(warnings[1].starts_with(&format!("{base}/latin1.tf: not UTF-8")), "{warnings:?}");
    }

    #[test]
    fn empty_dir_and_relative_paths() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let map = SourceMap::from_dir(tmp.path()).expect("maps");
        assert!(map.is_empty());
        assert_eq!(map.len(), 0);
        assert!(map.warnings().is_empty());
        assert_eq!(display(&normalize(Path::new("./infra/../infra/./modules"))), "infra/modules");
        assert_eq!(display(&normalize(Path::new("../x/./y/.."))), "../x");
        assert_eq!(display(&normalize(Path::new("/a/../../b"))), "/b");
        assert_eq!(display_dir(&normalize(Path::new("."))), ".");
        assert_eq!(display(&normalize(&Path::new("").join("main.tf"))), "main.tf");
    }

    #[test]
    fn addresses_parse() {
        assert_eq!(
            parse_address(r#"module.a["x.y"].module.b[0].data.t.n["k"]"#),
            Some((vec!["a", "b"], "data.t.n".to_owned()))
        );
        assert_eq!(parse_address("t.n[10]"), Some((vec![], "t.n".to_owned())));
        assert_eq!(parse_address("module.a.t"), None);
        assert_eq!(parse_address("module.a[\"\\\"].t.n"), None);
    }

    #[test]
    fn location_serializes() {
        let location = SourceLocation { file: "main.tf".to_owned(), line: 3, column: 1 };
        assert_eq!(serde_json::to_string(&location).expect("serializes"), r#"{"file":"main.tf","line":3,"column":1}"#);
    }
}
