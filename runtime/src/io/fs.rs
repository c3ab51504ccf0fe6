//! Making folders: exclusively (`create_dir`, never check-then-create), with
//! missing parents made on demand. Errors carry the operation and the path;
//! what "exists" means (a collision, a resume, fine) is the caller's to say.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Operation, Result};

/// `mkdir -p`.
pub(crate) fn create_all(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|e| Error::io(Operation::CreateDirAll, path, e))
}

/// Makes one folder; `Ok(false)` if something already stands at `path`.
pub(crate) fn create_new(path: &Path) -> Result<bool> {
    match fs::create_dir(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io(Operation::CreateDir, path, e)),
    }
}

/// Makes one folder like [`create_new`], and its missing parents when
/// there are some. Parents usually exist, so `mkdir` is tried first: the
/// common case costs that one call, and a missing parent shows as `NotFound`.
pub(crate) fn create_new_with_parents(path: &Path) -> Result<bool> {
    match fs::create_dir(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                create_all(parent)?;
            }
            create_new(path)
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
/// nothing is there, fine if a folder is (or a symlink to one),
/// [`Error::NotADirectory`] otherwise.
pub(crate) fn ensure(path: &Path) -> Result<()> {
    if create_new_with_parents(path)? {
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

/// The canonical, absolute form of `path`, every symlink resolved.
pub(crate) fn canonicalize(path: &Path) -> Result<PathBuf> {
    fs::canonicalize(path).map_err(|e| Error::io(Operation::Canonicalize, path, e))
}

/// Whether `entry` is a folder, or a symlink to one: a run or stage folder
/// may live on another disk behind a link.
pub(crate) fn is_folder(entry: &fs::DirEntry) -> bool {
    match entry.file_type() {
        Ok(t) if t.is_dir() => true,
        Ok(t) if t.is_symlink() => fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()),
        _ => false,
    }
}
