//! The file-system calls runlayout makes, wrapped once (as `fs-err` wraps
//! `std::fs`): each attaches its operation and path to an error, so a
//! caller never spells them, and answers "nothing is there" as a value
//! where callers ask for it, never as an error to match. What "exists"
//! means to a caller (a collision, a resume, fine) is the caller's to say.
//!
//! Folders are made exclusively (`create_dir`, never check-then-create),
//! with missing parents made on demand.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Operation, Result};

/// Attaches an operation and a path to an I/O result: for the calls that
/// are no function of this module (a lock, a sync, a rename of a
/// temporary, a call through a folder descriptor).
pub(crate) trait At<T> {
    /// The result, its error naming `op` and `path`.
    fn at(self, op: Operation, path: &Path) -> Result<T>;
}

impl<T> At<T> for io::Result<T> {
    fn at(self, op: Operation, path: &Path) -> Result<T> {
        self.map_err(|e| Error::io(op, path, e))
    }
}

/// The same for the calls made through folder descriptors.
#[cfg(unix)]
impl<T> At<T> for std::result::Result<T, rustix::io::Errno> {
    fn at(self, op: Operation, path: &Path) -> Result<T> {
        self.map_err(|e| Error::io(op, path, e.into()))
    }
}

/// Whether `e` says nothing stands at the path.
pub(crate) fn is_not_found(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

/// Whether `e` says nothing stands at the path, or can: nothing is there,
/// or a file stands where one of its folders should.
pub(crate) fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// What one `mkdir` did.
pub(crate) enum Created {
    /// It made the folder.
    New,
    /// Something already stands at the path.
    Taken,
    /// A parent folder is missing (the system's error, for a caller that
    /// reports it).
    NoParent(io::Error),
}

/// One `mkdir`, never check-then-create.
pub(crate) fn create_dir(path: &Path) -> Result<Created> {
    match mkdir(path) {
        Ok(made) => Ok(made),
        Err(e) => Err(Error::io(Operation::CreateDir, path, e)),
    }
}

/// One `mkdir`, an error other than "exists" or "no parent" as the system
/// gave it.
fn mkdir(path: &Path) -> io::Result<Created> {
    match fs::create_dir(path) {
        Ok(()) => Ok(Created::New),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(Created::Taken),
        Err(e) if is_not_found(&e) => Ok(Created::NoParent(e)),
        Err(e) => Err(e),
    }
}

/// `mkdir -p`.
pub(crate) fn create_dir_all(path: &Path) -> Result<()> {
    fs::create_dir_all(path).at(Operation::CreateDirAll, path)
}

/// Makes one folder; `Ok(false)` if something already stands at `path`.
pub(crate) fn create_new(path: &Path) -> Result<bool> {
    match create_dir(path)? {
        Created::New => Ok(true),
        Created::Taken => Ok(false),
        Created::NoParent(e) => Err(Error::io(Operation::CreateDir, path, e)),
    }
}

/// Makes one folder like [`create_new`], and its missing parents when
/// there are some. Parents usually exist, so `mkdir` is tried first: the
/// common case costs that one call, and a missing parent shows as `NotFound`.
pub(crate) fn create_new_with_parents(path: &Path) -> Result<bool> {
    match mkdir(path) {
        Ok(Created::New) => Ok(true),
        Ok(Created::Taken) => Ok(false),
        Ok(Created::NoParent(_)) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                create_dir_all(parent)?;
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
pub(crate) fn ensure_folder(path: &Path) -> Result<()> {
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
    fs::canonicalize(path).at(Operation::Canonicalize, path)
}

/// The canonical form of `path`, or `path` as it is when it has none (it
/// is gone): a key that names one folder however it is reached.
pub(crate) fn canonical_or_same(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A folder's entries, each error naming the folder.
pub(crate) struct ReadDir {
    entries: fs::ReadDir,
    path: PathBuf,
}

impl Iterator for ReadDir {
    type Item = Result<fs::DirEntry>;

    fn next(&mut self) -> Option<Result<fs::DirEntry>> {
        let entry = self.entries.next()?;
        Some(entry.at(Operation::ReadDir, &self.path))
    }
}

/// The entries of the folder at `path`.
pub(crate) fn read_dir(path: &Path) -> Result<ReadDir> {
    let entries = fs::read_dir(path).at(Operation::ReadDir, path)?;
    Ok(ReadDir {
        entries,
        path: path.to_path_buf(),
    })
}

/// [`read_dir`]; `None` if nothing is at `path`.
pub(crate) fn read_dir_if_there(path: &Path) -> Result<Option<ReadDir>> {
    let entries = none_if(fs::read_dir(path), is_not_found, Operation::ReadDir, path)?;
    Ok(entries.map(|entries| ReadDir {
        entries,
        path: path.to_path_buf(),
    }))
}

/// [`read_dir`]; `None` if nothing is at `path` or can be ([`is_absent`]:
/// a file stands where one of its folders should).
pub(crate) fn read_dir_if_reachable(path: &Path) -> Result<Option<ReadDir>> {
    let entries = none_if(fs::read_dir(path), is_absent, Operation::ReadDir, path)?;
    Ok(entries.map(|entries| ReadDir {
        entries,
        path: path.to_path_buf(),
    }))
}

/// What stands at `path`, a symlink followed; `None` if nothing is there
/// (a symlink that leads nowhere included).
pub(crate) fn metadata_if_there(path: &Path) -> Result<Option<fs::Metadata>> {
    none_if(fs::metadata(path), is_not_found, Operation::Metadata, path)
}

/// What stands at `path`, a symlink followed; `None` if nothing is there
/// or can be ([`is_absent`]).
pub(crate) fn metadata_if_reachable(path: &Path) -> Result<Option<fs::Metadata>> {
    none_if(fs::metadata(path), is_absent, Operation::Metadata, path)
}

/// What stands at `path` itself, a symlink not followed; `None` if
/// nothing is there.
pub(crate) fn symlink_metadata_if_there(path: &Path) -> Result<Option<fs::Metadata>> {
    none_if(
        fs::symlink_metadata(path),
        is_not_found,
        Operation::Metadata,
        path,
    )
}

/// `result`, with the error `nothing` accepts as `None` and any other
/// naming `op` and `path`.
fn none_if<T>(
    result: io::Result<T>,
    nothing: fn(&io::Error) -> bool,
    op: Operation,
    path: &Path,
) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if nothing(&e) => Ok(None),
        Err(e) => Err(Error::io(op, path, e)),
    }
}

/// Whether a folder stands at `path`, or a symlink to one.
pub(crate) fn is_folder_at(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_dir())
}

/// Whether `entry` is a folder, or a symlink to one: a run or stage folder
/// may live on another disk behind a link.
pub(crate) fn is_folder(entry: &fs::DirEntry) -> bool {
    match entry.file_type() {
        Ok(t) if t.is_dir() => true,
        Ok(t) if t.is_symlink() => is_folder_at(&entry.path()),
        _ => false,
    }
}

/// Whether a symlink stands at `path` itself.
pub(crate) fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Removes the file (or the link, as itself) at `path`; nothing there is
/// no error.
pub(crate) fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if !is_not_found(&e) => Err(Error::io(Operation::Remove, path, e)),
        _ => Ok(()),
    }
}

/// Removes whatever is at `path`: a folder with all it holds, never
/// following a symlink out of it; anything else (a link included) as
/// itself. Nothing there is no error.
pub(crate) fn remove_any(path: &Path) -> Result<()> {
    let removed = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        // A link to a folder is removed as a folder on some systems.
        Ok(_) => fs::remove_file(path).or_else(|e| fs::remove_dir(path).map_err(|_| e)),
        Err(e) => Err(e),
    };
    match removed {
        Err(e) if !is_not_found(&e) => Err(Error::io(Operation::Remove, path, e)),
        _ => Ok(()),
    }
}

/// When what stands at `path` (a symlink followed) was last modified, if
/// the system says.
pub(crate) fn modified(path: &Path) -> Option<std::time::SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The kind of `entry`, a symlink not followed; `None` if nothing stands
/// there any more ([`is_absent`]).
pub(crate) fn entry_type(entry: &fs::DirEntry) -> Result<Option<fs::FileType>> {
    match entry.file_type() {
        Ok(kind) => Ok(Some(kind)),
        Err(e) if is_absent(&e) => Ok(None),
        // The entry's path is made for the error only: a walk asks this of
        // every name, and must allocate nothing for it.
        Err(e) => Err(Error::io(Operation::Metadata, entry.path(), e)),
    }
}
