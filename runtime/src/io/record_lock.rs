//! The lock that serialises the updates of a run's changing records: an
//! exclusive `flock` on `run.lock` in the run folder.
//!
//! A record that changes (the status record, the summary record, the
//! restarts record) is updated by read, modify, write to a temporary name,
//! rename. Two processes doing that at once would each write what they
//! read, and the second rename would drop the first one's key; with the
//! lock held around the whole step, every update starts from the last one.
//! Readers take no lock: a record is replaced by a rename, so they find the
//! old record or the new one.
//!
//! The lock is its own file, not `run.json`, whose shared locks are the use
//! claims of every process holding the run (`claim.rs`): an exclusive lock
//! there would wait for all of them. `run.lock` is made on first use and
//! never removed (removing a lock file while another process waits on it
//! would let two hold "the" lock at once). It is opened without following a
//! symlink and without blocking on a FIFO, and must be a regular file. The
//! lock lives in the kernel (or a network file system's lock manager): a
//! process killed while holding it holds it no more. Where the file system
//! does not do locks, updates go unlocked.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use runlayout_grammar::names::LOCK;

use crate::error::{Error, Operation, Result};
use crate::io::fs::At as _;

/// An exclusive lock on a run's `run.lock`, released when dropped.
#[derive(Debug)]
pub(crate) struct RecordLock {
    _file: Option<File>,
}

/// Waits for the exclusive lock on the run folder `run_dir`'s `run.lock`,
/// making the file if it is missing.
///
/// # Errors
///
/// [`Error::NotARegularFile`] if something else stands at `run.lock` (a
/// symlink, a FIFO, a folder), [`Error::Io`] (`lock`) naming it.
pub(crate) fn lock(run_dir: &Path) -> Result<RecordLock> {
    let path = run_dir.join(LOCK);
    let file = open(&path)?;
    match file.lock() {
        Ok(()) => Ok(RecordLock { _file: Some(file) }),
        Err(e) if unsupported(&e) => Ok(RecordLock { _file: None }),
        Err(e) => Err(e).at(Operation::Lock, &path),
    }
}

/// Opens (or makes) `run.lock` for writing: an exclusive lock on a network
/// file system needs a file open for writing.
fn open(path: &PathBuf) -> Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true);
    no_follow(&mut options);
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) => return Err(refusal(path, e)),
    };
    let meta = file.metadata().at(Operation::Metadata, path)?;
    if !meta.is_file() {
        return Err(Error::NotARegularFile {
            path: path.clone(),
            kind: crate::io::owned_file::describe(meta.file_type()),
        });
    }
    Ok(file)
}

/// The error for a `run.lock` that could not be opened: a symlink there
/// (refused by `O_NOFOLLOW`) or a folder is no lock file.
fn refusal(path: &Path, e: io::Error) -> Error {
    #[cfg(unix)]
    if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::EISDIR)) {
        let kind = std::fs::symlink_metadata(path)
            .map(|m| crate::io::owned_file::describe(m.file_type()))
            .unwrap_or("something else");
        return Error::NotARegularFile {
            path: path.into(),
            kind,
        };
    }
    Error::io(Operation::Lock, path, e)
}

#[cfg(unix)]
fn no_follow(options: &mut std::fs::OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt as _;
    options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC);
}

#[cfg(not(unix))]
fn no_follow(_options: &mut std::fs::OpenOptions) {}

/// Whether the lock failed because this file system does not do locks.
fn unsupported(e: &io::Error) -> bool {
    #[cfg(unix)]
    if matches!(
        e.raw_os_error(),
        Some(libc::ENOLCK | libc::EOPNOTSUPP | libc::ENOSYS)
    ) {
        return true;
    }
    e.kind() == io::ErrorKind::Unsupported
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn the_lock_file_is_made_once_and_a_symlink_or_fifo_there_is_refused() -> TestResult {
        let dir = tempfile::tempdir()?;
        drop(lock(dir.path())?);
        assert!(dir.path().join(LOCK).is_file());
        drop(lock(dir.path())?);

        let other = tempfile::tempdir()?;
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join(LOCK), other.path().join(LOCK))?;
            let err = lock(other.path()).unwrap_err();
            assert!(matches!(err, Error::NotARegularFile { .. }), "{err:?}");
            assert!(err.to_string().contains("run.lock"), "{err}");
        }
        Ok(())
    }
}
