//! Writing a report to `--output`: complete or absent, never half-written.

use std::fs::{self, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Write an inventory snapshot's bytes
/// ([`Inventory::to_snapshot_bytes`](palisade_engine::inventory::Inventory::to_snapshot_bytes))
/// to `path`, as [`write_output`] does.
pub fn write_snapshot(path: &Path, snapshot: &[u8]) -> Result<()> {
    write_output(path, "the snapshot", |out| out.write_all(snapshot))
}

/// Refuses, before any work, an output file that cannot be written: a
/// directory, or a file in a folder that does not exist. `flag` names the
/// option in the error.
pub fn check_destination(flag: &str, path: &Path) -> Result<()> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    if path.is_dir() {
        bail!("{flag} {}: it is a directory; give the path of the file to write", path.display());
    }
    let folder = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        bail!("{flag} {}: the folder {} does not exist", path.display(), folder.display());
    }
    Ok(())
}

/// Whether `path` is this process's standard output under another name
/// (`/dev/stdout`, `/proc/self/fd/1`, or the file standard output is
/// redirected to): the same device and inode.
pub fn names_stdout(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(path), fs::metadata("/dev/stdout")) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Write an output to `path`, or to standard output when `None`, as
/// [`write_output`] does; a reader of standard output that stopped early
/// (`| head`) is not an error (the verdict does not change).
pub fn emit(path: Option<&Path>, what: &str, render: impl Fn(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    match write_output(path.unwrap_or(Path::new("-")), what, render) {
        Err(e) if crate::is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

/// Write the output `render` produces to `path`; `what` names it in errors
/// (`the snapshot`).
///
/// `-` is standard output. A regular file (or a link to one) is replaced
/// atomically: the output goes to a temporary file beside the target, which
/// is then renamed over it, keeping an existing file's permissions (a new
/// file gets `0666` less the umask). A device or FIFO (`/dev/stdout`, a
/// named pipe) is written through. A directory is refused.
pub fn write_output(path: &Path, what: &str, render: impl Fn(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    if path.as_os_str() == "-" {
        let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
        return render(&mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("writing {what} to standard output"));
    }
    let shown = path.display();
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => bail!("cannot write {what} to {shown}: it is a directory"),
        Ok(meta) if !meta.is_file() => {
            let file = OpenOptions::new().write(true).open(path).with_context(|| format!("cannot open {shown}"))?;
            let mut out = io::BufWriter::with_capacity(1 << 16, file);
            render(&mut out).and_then(|()| out.flush()).with_context(|| format!("writing {what} to {shown}"))
        }
        Ok(meta) => {
            let target = fs::canonicalize(path).with_context(|| format!("cannot resolve {shown}"))?;
            replace(&target, what, meta.permissions(), true, render)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            replace(path, what, Permissions::from_mode(0o666), false, render)
        }
        Err(e) => Err(e).with_context(|| format!("cannot write {what} to {shown}")),
    }
}

/// Write to a temporary file created with `mode` (less the umask), then
/// rename it over `path`; `exact` sets `mode` exactly afterwards (an
/// existing file's mode is kept as it was).
fn replace(
    path: &Path,
    what: &str,
    mode: Permissions,
    exact: bool,
    render: impl Fn(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let shown = path.display();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".palisade-report-")
        .suffix(".tmp")
        .permissions(mode.clone())
        .tempfile_in(dir)
        .with_context(|| format!("cannot write {what} to {shown}: cannot create a file in {}", dir.display()))?;
    // Renderers write in small pieces (serde_json writes each token): buffer them.
    let mut out = io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
    render(&mut out).and_then(|()| out.flush()).with_context(|| format!("writing {what} to {shown}"))?;
    drop(out);
    tmp.as_file().sync_all().with_context(|| format!("writing {what} to {shown}"))?;
    if exact {
        fs::set_permissions(tmp.path(), mode).with_context(|| format!("writing {what} to {shown}"))?;
    }
    tmp.persist(path).map_err(|e| e.error).with_context(|| format!("cannot write {what} to {shown}"))?;
    Ok(())
}
