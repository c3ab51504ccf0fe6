//! Thin wrappers over `std::fs` that attach the operation and the path to
//! every error, so no caller has to remember to.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Operation, Result};

/// `mkdir -p`.
pub(crate) fn create_dir_all(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|e| Error::io(Operation::CreateDirAll, path, e))
}

/// Makes one folder; `Ok(false)` if something already stands at `path`.
/// The caller decides what "exists" means: a collision, a resume, or fine.
pub(crate) fn create_dir_new(path: &Path) -> Result<bool> {
    match fs::create_dir(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io(Operation::CreateDir, path, e)),
    }
}

/// Succeeds if `path` is a folder (following symlinks, so a run folder may
/// live on another disk behind a link); names the path otherwise.
pub(crate) fn require_dir(path: &Path) -> Result<()> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::NotADirectory { path: path.into() }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(Error::RunNotFound { path: path.into() })
        }
        Err(e) => Err(Error::io(Operation::Metadata, path, e)),
    }
}

/// The canonical, absolute form of `path`, every symlink resolved.
pub(crate) fn canonicalize(path: &Path) -> Result<PathBuf> {
    fs::canonicalize(path).map_err(|e| Error::io(Operation::Canonicalize, path, e))
}
