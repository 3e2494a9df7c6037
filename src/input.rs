//! The one place that reads input files (scenarios, orbit and station files, sweep files,
//! shard manifests). Only regular files are read: a FIFO would block the run forever
//! waiting for a writer, and a device or a folder is never a valid input, so each is
//! refused at once with an error that says what the path is.

use std::io::{Error, ErrorKind, Read};
use std::path::Path;

/// Reads a regular file (following symbolic links) as bytes.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    check_regular(path)?;
    let mut file = std::fs::File::open(path)?;
    // The path may have been swapped between the check and the open; check what was opened.
    if !file.metadata()?.is_file() {
        return Err(not_regular(path));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a regular file (following symbolic links) as UTF-8 text.
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read(path)?).map_err(|e| {
        Error::new(
            ErrorKind::InvalidData,
            format!("not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
        )
    })
}

fn check_regular(path: &Path) -> std::io::Result<()> {
    if std::fs::metadata(path)?.is_file() { Ok(()) } else { Err(not_regular(path)) }
}

fn not_regular(path: &Path) -> Error {
    let kind = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => "a folder",
        Ok(m) => special_kind(&m),
        Err(_) => "not a regular file",
    };
    Error::new(ErrorKind::InvalidInput, format!("{kind}, not a regular file; only regular files are read as input"))
}

#[cfg(unix)]
fn special_kind(m: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::Metadata) -> &'static str {
    "a special file"
}
