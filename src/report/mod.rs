//! Report: the files a run leaves behind (CSV tables, summaries), each written to a
//! temporary name and renamed into place so that no reader ever sees half a file.

pub mod catalogue;
pub mod contacts;
pub mod coverage;
pub mod export;
pub mod figures;
pub mod html;
pub mod inference;
pub mod run;
pub mod summary;
pub mod tables;

/// The chart layer is its own crate (it knows nothing about satellites); reports use it
/// as `report::plot`.
pub use orbsim_plot as plot;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::time::UtcTime;

/// Failure to write an output file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot write: {source}")]
pub struct WriteError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Why `path` may not be replaced by an output file: it is a symbolic link, a device, a
/// FIFO, a socket or a folder. Replacing any of those with a regular file would destroy
/// what the user named (a link's target would silently stay stale; `/dev/stdout` would
/// become a file), so outputs are written only to new paths and over regular files.
pub fn unreplaceable(path: &Path) -> Option<&'static str> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_symlink() {
        Some("a symbolic link")
    } else if t.is_dir() {
        Some("a folder")
    } else {
        Some("a special file (device, FIFO or socket)")
    }
}

/// Writes a file atomically: `write` fills a temporary file (`.<name>.<random>.tmp`) next
/// to `path`, which is then renamed over `path`. On any error the temporary file is removed
/// and `path` is untouched. Temporaries left by a killed process for the same `path` are
/// removed first. `path` must not be a symbolic link or a special file ([`unreplaceable`]).
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let fail = |source| WriteError { path: path.to_path_buf(), source };
    if let Some(what) = unreplaceable(path) {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("is {what}; outputs replace only regular files"),
        )));
    }
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(fail)?;
            dir
        }
        None => Path::new("."),
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let prefix = format!(".{file_name}.");
    remove_leftovers(dir, &prefix);
    let result = (|| {
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(TEMP_SUFFIX).rand_bytes(TEMP_RANDOM_LEN);
        // The temporary becomes the output: read-write for everyone less the umask, as
        // `File::create` gives, not a temporary file's owner-only mode.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder.tempfile_in(dir)?;
        let mut out = std::io::BufWriter::new(tmp);
        write(&mut out)?;
        let tmp = out.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map(|_| ()).map_err(|e| e.error)
    })();
    result.map_err(fail)
}

/// Renders `figure` and writes `<stem>.png` and `<stem>.svg` the way every output file is
/// written ([`write_atomically`]); returns the files and the SVG text, which report.html
/// inlines, so the chart is rendered once.
pub fn save_figure(figure: &impl plot::Figure, stem: &Path) -> Result<(plot::PlotFiles, String), plot::PlotError> {
    let png = figure.render_png()?;
    let svg = figure.render_svg()?;
    let files = plot::PlotFiles::for_stem(stem);
    for (path, bytes) in [(&files.png, &png[..]), (&files.svg, svg.as_bytes())] {
        write_atomically(path, |w| w.write_all(bytes))
            .map_err(|e| plot::PlotError::Write { path: e.path, source: e.source })?;
    }
    Ok((files, svg))
}

/// Writes a time in `summary.json` the way every output writes times: ISO-8601 UTC with
/// milliseconds.
fn iso<S: serde::Serializer>(t: &UtcTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.iso_millis())
}

/// [`iso`], or `null` for no time.
fn iso_opt<S: serde::Serializer>(t: &Option<UtcTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.iso_millis()),
        None => s.serialize_none(),
    }
}

/// Length of the random part of a temporary file's name.
const TEMP_RANDOM_LEN: usize = 6;

/// How every temporary file orbsim writes ends.
const TEMP_SUFFIX: &str = ".tmp";

/// Removes temporaries named `<prefix>….tmp` in `dir` (and those of older versions,
/// `<prefix>tmp<pid>`), left by a process killed while writing.
fn remove_leftovers(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Exactly `<prefix><random>.tmp`, so that the temporary of another file whose name
        // merely starts with this one's (`a.csv` and `a.csv.b`) is never taken for ours.
        let ours = name.strip_prefix(prefix).is_some_and(|rest| {
            let random = rest.strip_suffix(TEMP_SUFFIX);
            random.is_some_and(|r| r.len() == TEMP_RANDOM_LEN && r.bytes().all(|b| b.is_ascii_alphanumeric()))
                || rest
                    .strip_prefix("tmp")
                    .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        });
        if ours && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether `dir` may be replaced by a run's output folder: it does not exist, or it is a
/// folder that is empty or holds only the files of an earlier run (regular files with the
/// extensions orbsim writes, `summary.json` among them, no subfolders). Anything else — a
/// symbolic link, a special file, a folder with other files — is refused, since replacing
/// it would destroy what the user keeps there.
pub fn check_run_folder(dir: &Path) -> Result<(), String> {
    let Ok(meta) = std::fs::symlink_metadata(dir) else { return Ok(()) };
    if !meta.is_dir() {
        return Err(format!("is {}, not a folder", unreplaceable(dir).unwrap_or("a regular file")));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read: {e}"))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read: {e}"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        let known = RUN_FILE_EXTENSIONS.iter().any(|ext| name.ends_with(ext)) || name.ends_with(TEMP_SUFFIX);
        if !(is_file && known) {
            return Err(format!(
                "holds `{name}`, which is not a run's output; give a new or empty folder, or move it away"
            ));
        }
        names.push(name);
    }
    if !names.is_empty() && !names.iter().any(|n| n == "summary.json") {
        return Err("holds files but no summary.json, so not a run's outputs; give a new or empty folder".into());
    }
    Ok(())
}

/// Extensions of the files a run folder holds.
const RUN_FILE_EXTENSIONS: [&str; 7] = [".csv", ".json", ".png", ".svg", ".html", ".toml", ".tle"];

/// Suffix of a folder being filled, and of the folder it replaces while it is renamed away.
const PARTIAL_SUFFIX: &str = ".partial";
const OLD_SUFFIX: &str = ".old";

/// Fills a new folder with `fill` and puts it in place of `dir` (see [`check_run_folder`]),
/// so that `dir` holds either the complete outputs of one run or those of the previous one.
///
/// The folder is filled as a hidden sibling `.<name>.<random>.partial`; when `fill`
/// succeeds the old `dir` is renamed to `.<name>.<random>.old`, the new one renamed into
/// place, and the old one removed. A process killed on the way leaves those hidden
/// siblings (recognisable by their suffix), and the next call for the same `dir` removes
/// them first. Two processes writing the same `dir` at once are not supported.
pub fn write_folder_atomically<T>(
    dir: &Path,
    fill: impl FnOnce(&Path) -> Result<T, WriteError>,
) -> Result<T, WriteError> {
    let fail = |source| WriteError { path: dir.to_path_buf(), source };
    check_run_folder(dir).map_err(|m| fail(std::io::Error::new(std::io::ErrorKind::AlreadyExists, m)))?;
    let parent = match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => p,
        None => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(fail)?;
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "run".into());
    let prefix = format!(".{name}.");
    if let Ok(entries) = std::fs::read_dir(parent) {
        for entry in entries.flatten() {
            let entry_name = entry.file_name().to_string_lossy().into_owned();
            let leftover = entry_name
                .strip_prefix(&prefix)
                .is_some_and(|rest| rest.ends_with(PARTIAL_SUFFIX) || rest.ends_with(OLD_SUFFIX));
            if leftover && entry.file_type().is_ok_and(|t| t.is_dir()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let staging = tempfile::Builder::new().prefix(&prefix).suffix(PARTIAL_SUFFIX).tempdir_in(parent).map_err(fail)?;
    let value = fill(staging.path())?;
    let old = if dir.exists() {
        let old = tempfile::Builder::new().prefix(&prefix).suffix(OLD_SUFFIX).tempdir_in(parent).map_err(fail)?;
        let old = old.keep();
        std::fs::rename(dir, &old).map_err(fail)?;
        Some(old)
    } else {
        None
    };
    let filled = staging.keep();
    if let Err(e) = std::fs::rename(&filled, dir) {
        if let Some(old) = &old {
            let _ = std::fs::rename(old, dir);
        }
        let _ = std::fs::remove_dir_all(&filled);
        return Err(fail(e));
    }
    if let Some(old) = old {
        let _ = std::fs::remove_dir_all(old);
    }
    Ok(value)
}
