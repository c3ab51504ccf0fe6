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

/// Makes one folder like [`create_dir_new`], and its missing parents when
/// there are some. Parents usually exist, so `mkdir` is tried first: the
/// common case costs that one call, and a missing parent shows as `NotFound`.
pub(crate) fn create_dir_new_with_parents(path: &Path) -> Result<bool> {
    match fs::create_dir(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                create_dir_all(parent)?;
            }
            create_dir_new(path)
        }
        // A file where a parent folder should be: name that file.
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => match blocking_file(path) {
            Some(file) => Err(Error::NotADirectory { path: file }),
            None => Err(Error::io(Operation::CreateDir, path, e)),
        },
        Err(e) => Err(Error::io(Operation::CreateDir, path, e)),
    }
}

/// Makes sure a folder stands at `path`: made (with missing parents) if
/// nothing is there, fine if a folder is, [`Error::NotADirectory`] otherwise.
pub(crate) fn ensure_dir(path: &Path) -> Result<()> {
    if create_dir_new_with_parents(path)? {
        return Ok(());
    }
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::NotADirectory { path: path.into() }),
        Err(e) => Err(Error::io(Operation::Metadata, path, e)),
    }
}

/// The first of `path`'s parents that exists and is not a folder.
fn blocking_file(path: &Path) -> Option<PathBuf> {
    let mut parents: Vec<&Path> = path.ancestors().skip(1).collect();
    parents.reverse();
    parents
        .into_iter()
        .find(|p| fs::metadata(p).is_ok_and(|m| !m.is_dir()))
        .map(Path::to_path_buf)
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
