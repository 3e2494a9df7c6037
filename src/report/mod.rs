//! Report: the files a run leaves behind (CSV tables, summaries), each written to a
//! temporary name and renamed into place so that no reader ever sees half a file.

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

/// Failure to write an output file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot write: {source}")]
pub struct WriteError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Writes a file atomically: `write` fills a temporary file next to `path`, which is then
/// renamed over `path`. On any error the temporary file is removed and `path` is untouched.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let fail = |source| WriteError { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp{}", std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut out = std::io::BufWriter::new(file);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}
