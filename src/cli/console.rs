//! The only way the command line writes text: standard output carries a command's result
//! (a CSV, a summary), so failing to write it is a failure of the command (exit 1, with one
//! line on standard error); standard error carries warnings and the error line, and is
//! written on a best-effort basis, because when it cannot be written there is nowhere left
//! to report that, and the exit code still says what happened.

use std::io::Write;

use super::CliError;

/// Writes `text` and a newline to standard output.
pub fn out_line(text: &str) -> Result<(), CliError> {
    let mut stdout = stdout()?;
    writeln!(stdout, "{text}").and_then(|()| stdout.flush()).map_err(stdout_failed)
}

/// Writes `bytes` to standard output as they are.
pub fn out_bytes(bytes: &[u8]) -> Result<(), CliError> {
    let mut stdout = stdout()?;
    stdout.write_all(bytes).and_then(|()| stdout.flush()).map_err(stdout_failed)
}

/// Runs `write` on standard output (buffered), flushing at the end.
pub fn out_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), CliError> {
    let stdout = stdout()?;
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, stdout);
    write(&mut buffered).and_then(|()| buffered.flush()).map_err(stdout_failed)
}

/// Writes one line to standard error, ignoring failures (see the module documentation).
pub fn err_line(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

/// `warning: …` on standard error.
pub fn warn(text: &str) {
    err_line(&format!("warning: {text}"));
}

fn stdout_failed(e: std::io::Error) -> CliError {
    CliError::Failed(format!("standard output: cannot write: {e}"))
}

/// Standard output, unless the process was started with it closed.
fn stdout() -> Result<std::io::StdoutLock<'static>, CliError> {
    if stdout_was_closed() {
        return Err(CliError::Failed("standard output: closed; nothing can be written to it".into()));
    }
    Ok(std::io::stdout().lock())
}

/// Whether descriptor 1 was closed when the process started. The Rust runtime reopens a
/// closed standard descriptor on `/dev/null` read-write before `main` (so later files never
/// take its number); a shell redirection to `/dev/null` opens it write-only. So descriptor 1
/// on `/dev/null` in read-write mode means the caller closed it, and every write would
/// vanish while reporting success.
#[cfg(unix)]
fn stdout_was_closed() -> bool {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::io::AsRawFd;
    let fd = std::io::stdout().as_raw_fd();
    // SAFETY: F_GETFL only reads the descriptor's status flags; an invalid descriptor
    // returns -1.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags == -1 {
        return true;
    }
    if flags & libc::O_ACCMODE != libc::O_RDWR {
        return false;
    }
    // SAFETY: the descriptor is open (F_GETFL succeeded) and ManuallyDrop never closes it.
    let file = std::mem::ManuallyDrop::new(unsafe { <std::fs::File as std::os::unix::io::FromRawFd>::from_raw_fd(fd) });
    match (file.metadata(), std::fs::metadata("/dev/null")) {
        (Ok(t), Ok(null)) => t.rdev() == null.rdev() && t.dev() == null.dev() && t.ino() == null.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn stdout_was_closed() -> bool {
    false
}
