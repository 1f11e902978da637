//! Input paths as baselines and exemption `input:` globs compare them:
//! relative to the repository root, whatever the spelling on the command
//! line (absolute, `./x`, `../repo/x`), so a baseline written on a laptop
//! matches in CI.
//!
//! The repository root is the nearest folder at or above the current
//! directory that holds a `.git` (a folder, or a file in a worktree or
//! submodule); without one, the current directory. An input's key is its
//! path made absolute (against the current directory), resolved (symbolic
//! links and `..`: canonicalized when the file exists, else its deepest
//! existing folder canonicalized and the rest normalized lexically), then
//! made relative to the root, `/`-separated. A path outside the root keeps
//! its absolute form; standard input (`-`) stays `-`; an empty path stays
//! empty (a finding recorded without a file).

use std::path::{Component, Path, PathBuf};

/// The current directory and the repository root, resolved once, to key
/// many input paths.
#[derive(Debug, Clone)]
pub struct InputPaths {
    /// The current directory, canonicalized.
    cwd: PathBuf,
    /// The repository root (see the module documentation).
    root: PathBuf,
}

/// How exemption `input:` globs see one input: its [`InputPaths::key`],
/// its absolute path, and the path as given less any leading `./` (what
/// earlier versions matched, so existing exemptions files keep working).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputName {
    /// Relative to the repository root (absolute outside it).
    pub key: String,
    /// Absolute and resolved.
    pub absolute: String,
    /// As given, less any leading `./`.
    pub given: String,
}

impl InputPaths {
    /// The current directory and its repository root. When the current
    /// directory cannot be read (deleted), paths are keyed as given.
    pub fn current() -> InputPaths {
        let cwd = std::env::current_dir().and_then(std::fs::canonicalize).unwrap_or_default();
        InputPaths::at(cwd)
    }

    /// Keys paths as if `cwd` (absolute) were the current directory.
    pub fn at(cwd: PathBuf) -> InputPaths {
        let root = cwd.ancestors().find(|d| d.join(".git").exists()).map_or_else(|| cwd.clone(), Path::to_path_buf);
        InputPaths { cwd, root }
    }

    /// The repository root paths are keyed against.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `path`'s key (see the module documentation).
    pub fn key(&self, path: &str) -> String {
        if path == "-" || path.is_empty() || self.cwd.as_os_str().is_empty() {
            return given(path).to_string();
        }
        let absolute = self.absolute(path);
        match absolute.strip_prefix(&self.root) {
            Ok(relative) if relative.as_os_str().is_empty() => ".".to_string(),
            Ok(relative) => slashed(relative),
            Err(_) => slashed(&absolute),
        }
    }

    /// Every name of `path` an exemption's `input:` glob is matched against.
    pub fn name(&self, path: &str) -> InputName {
        let absolute = if path == "-" || path.is_empty() || self.cwd.as_os_str().is_empty() {
            path.to_string()
        } else {
            slashed(&self.absolute(path))
        };
        InputName { key: self.key(path), absolute, given: given(path).to_string() }
    }

    /// `path` made absolute against the current directory and resolved.
    fn absolute(&self, path: &str) -> PathBuf {
        let joined = lexical(&self.cwd.join(path));
        if let Ok(full) = std::fs::canonicalize(&joined) {
            return full;
        }
        // The deepest folder that exists, resolved, and the rest as written.
        let mut rest = Vec::new();
        let mut existing = joined.as_path();
        while let Some(parent) = existing.parent() {
            rest.push(existing.file_name().unwrap_or_default().to_os_string());
            existing = parent;
            if let Ok(full) = std::fs::canonicalize(existing) {
                return rest.iter().rev().fold(full, |acc, part| acc.join(part));
            }
        }
        joined
    }
}

/// `path`'s key against the current directory ([`InputPaths::current`]);
/// to key many paths, make one [`InputPaths`].
pub fn input_key(path: &str) -> String {
    InputPaths::current().key(path)
}

/// `path` less any leading `./` (and the slashes after it).
fn given(path: &str) -> &str {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest.trim_start_matches('/');
    }
    p
}

/// `path` with `.` dropped and `..` taking off the component before it
/// (never above the root).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A path's components joined with `/`.
fn slashed(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::RootDir => Some(String::new()),
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if parts.len() == 1 && parts[0].is_empty() { "/".to_string() } else { parts.join("/") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_file_have_one_key() {
        let repo = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(repo.path()).expect("canonical");
        std::fs::create_dir_all(root.join(".git")).expect("git");
        std::fs::create_dir_all(root.join("infra/plans")).expect("plans");
        std::fs::write(root.join("infra/plans/prod.json"), "{}").expect("write");
        let paths = InputPaths::at(root.join("infra"));
        assert_eq!(paths.root(), root.as_path());
        let absolute = root.join("infra/plans/prod.json").display().to_string();
        for spelling in ["plans/prod.json", "./plans/prod.json", "../infra/plans/prod.json", absolute.as_str()] {
            assert_eq!(paths.key(spelling), "infra/plans/prod.json", "{spelling}");
        }
        // A file that does not exist is normalized lexically.
        assert_eq!(paths.key("./plans/../plans/gone.json"), "infra/plans/gone.json");
        assert_eq!(paths.key("nowhere/x/../y.json"), "infra/nowhere/y.json");
        assert_eq!(paths.key("-"), "-");
        assert_eq!(paths.key(""), "");
        // Outside the repository: absolute.
        assert_eq!(paths.key("/definitely/not/here.json"), "/definitely/not/here.json");
        let name = paths.name("./plans/prod.json");
        assert_eq!((name.given.as_str(), name.absolute), ("plans/prod.json", absolute));
    }

    #[test]
    fn without_git_the_current_directory_is_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cwd = std::fs::canonicalize(dir.path()).expect("canonical");
        // A temporary folder is not in a repository (unless TMPDIR is).
        if cwd.ancestors().any(|d| d.join(".git").exists()) {
            return;
        }
        let paths = InputPaths::at(cwd.clone());
        assert_eq!(paths.root(), cwd.as_path());
        assert_eq!(paths.key("a/b.json"), "a/b.json");
    }
}
