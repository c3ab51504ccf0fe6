//! Removing one name below a folder without ever leaving that folder's
//! tree: never through a folder below it that is a symlink (so a folder
//! swapped for a link while a removal runs is not followed either), and
//! first renamed aside to a temporary name in its own folder, so that it
//! leaves every listing at once and a kill halfway leaves only a hidden
//! temporary, which the next removal (or atomic write) there sweeps once
//! this process is gone. A family's removal of its members is built on it.

use std::path::{Path, PathBuf};

use crate::error::Result;

/// What became of a name a removal was asked to remove.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It was removed.
    Removed,
    /// Nothing stands at its name any more, or not what was to be removed:
    /// another process removed or replaced it.
    Gone,
    /// A folder between the base and the name is a symlink (given as the
    /// base spells it): the name lies outside the base's tree, and is left.
    LinkedFolder(PathBuf),
}

/// What the name to be removed must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Folder,
}

/// Removes `target`, below the folder `base` (followed if it is a link: a
/// base on another disk is the caller's own), as a link if it is one, as
/// long as a `kind` (or a link) stands there.
pub(crate) fn remove_below(base: &Path, target: &Path, kind: Kind) -> Result<Outcome> {
    let Ok(below) = target.strip_prefix(base) else {
        // Only what is below the base is removed.
        return Ok(Outcome::Gone);
    };
    let mut parts: Vec<&std::ffi::OsStr> = below.iter().collect();
    let Some(name) = parts.pop() else {
        return Ok(Outcome::Gone);
    };
    imp::remove(base, &parts, name, kind)
}

/// Through folder descriptors: each folder below the base is opened
/// relative to its parent without following a link (`O_NOFOLLOW`), and
/// the member is renamed and removed relative to the folder it is in,
/// so a folder swapped for a link at any moment is never followed.
#[cfg(unix)]
mod imp {
    use std::ffi::{OsStr, OsString};
    use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt as _;
    use std::path::Path;

    use rustix::fs::{self as rfs, AtFlags, Dir, FileType, Mode, OFlags};
    use rustix::io::Errno;

    use super::{Kind, Outcome};
    use crate::error::{Operation, Result};
    use crate::io::fs::At as _;
    use crate::io::temporary;

    const DIR: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::CLOEXEC);

    /// How often a folder renamed aside is emptied again when a process
    /// still writing into it added entries meanwhile.
    const EMPTYING_ROUNDS: u32 = 8;

    pub(super) fn remove(
        base: &Path,
        folders: &[&OsStr],
        name: &OsStr,
        kind: Kind,
    ) -> Result<Outcome> {
        let mut at = base.to_path_buf();
        let mut dir = match rfs::open(base, DIR, Mode::empty()) {
            Ok(fd) => fd,
            Err(e) if is_gone(e) => return Ok(Outcome::Gone),
            Err(e) => return Err(e).at(Operation::Remove, base),
        };
        for &folder in folders {
            at.push(folder);
            dir = match open_folder(dir.as_fd(), folder) {
                Ok(Some(fd)) => fd,
                Ok(None) if is_link(dir.as_fd(), folder) => {
                    return Ok(Outcome::LinkedFolder(at));
                }
                Ok(None) => return Ok(Outcome::Gone),
                Err(e) => return Err(e).at(Operation::Remove, &at),
            };
        }
        let path = at.join(name);
        // What stands at the name, a link not followed: still a member?
        let found = match rfs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => FileType::from_raw_mode(stat.st_mode),
            Err(e) if is_gone(e) => return Ok(Outcome::Gone),
            Err(e) => return Err(e).at(Operation::Remove, &path),
        };
        let fits = match kind {
            Kind::File => found == FileType::RegularFile,
            Kind::Folder => found == FileType::Directory,
        };
        if !fits && found != FileType::Symlink {
            return Ok(Outcome::Gone);
        }
        // The name is this process's alone: the rename replaces nothing.
        let aside = temporary::fresh_name();
        match rfs::renameat(&dir, name, &dir, aside.as_str()) {
            Ok(()) => {}
            Err(e) if e == Errno::NOENT => return Ok(Outcome::Gone),
            Err(e) => return Err(e).at(Operation::Remove, &path),
        }
        // Out of every listing now; what follows only frees the space.
        remove_any(dir.as_fd(), OsStr::new(&aside)).at(Operation::Remove, &at.join(&aside))?;
        Ok(Outcome::Removed)
    }

    /// The folder `name` in `dir`, opened without following a link;
    /// `None` if no folder stands there (a link, a file, nothing).
    fn open_folder(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<Option<OwnedFd>> {
        match rfs::openat(dir, name, DIR | OFlags::NOFOLLOW, Mode::empty()) {
            Ok(fd) => Ok(Some(fd)),
            // A link is ELOOP on Linux, ENOTDIR on some systems.
            Err(e) if e == Errno::LOOP || e == Errno::NOTDIR || is_gone(e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn is_link(dir: BorrowedFd<'_>, name: &OsStr) -> bool {
        rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode) == FileType::Symlink)
    }

    fn is_gone(e: Errno) -> bool {
        e == Errno::NOENT || e == Errno::NOTDIR
    }

    /// Removes `name` in `dir`: a folder with all it holds, anything
    /// else (a link included) as itself. Nothing there is no error.
    fn remove_any(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<()> {
        match open_folder(dir, name)? {
            Some(folder) => remove_folder(dir, name, folder),
            None => match rfs::unlinkat(dir, name, AtFlags::empty()) {
                Err(e) if e == Errno::NOENT => Ok(()),
                other => other,
            },
        }
    }

    /// The names in the open `folder`, read to the end (the reading's
    /// own descriptor closed before any child is opened: a deep tree
    /// holds one descriptor per level).
    fn names_in(folder: &OwnedFd) -> rustix::io::Result<Vec<OsString>> {
        let mut names = Vec::new();
        let mut entries = Dir::read_from(folder)?;
        while let Some(entry) = entries.read() {
            let entry = entry?;
            let bytes = entry.file_name().to_bytes();
            if bytes != b"." && bytes != b".." {
                names.push(OsStr::from_bytes(bytes).to_owned());
            }
        }
        Ok(names)
    }

    /// Empties the open `folder` (named `name` in `dir`) and removes it.
    /// Names are read before any is removed (removing while reading may
    /// skip some), and read again if a writer added some meanwhile.
    fn remove_folder(dir: BorrowedFd<'_>, name: &OsStr, folder: OwnedFd) -> rustix::io::Result<()> {
        let mut rounds = 0;
        loop {
            let names = names_in(&folder)?;
            for child in &names {
                remove_any(folder.as_fd(), child)?;
            }
            match rfs::unlinkat(dir, name, AtFlags::REMOVEDIR) {
                Err(e) if e == Errno::NOTEMPTY && rounds < EMPTYING_ROUNDS => rounds += 1,
                Err(e) if e == Errno::NOENT => return Ok(()),
                other => return other,
            }
        }
    }
}

/// Through paths, where folder descriptors are not used: each folder
/// below the base is looked at without following a link just before
/// the member is renamed aside.
#[cfg(not(unix))]
mod imp {
    use std::ffi::OsStr;
    use std::fs;
    use std::io;
    use std::path::Path;

    use super::{Kind, Outcome};
    use crate::error::{Operation, Result};
    use crate::io::fs::At as _;
    use crate::io::temporary;

    pub(super) fn remove(
        base: &Path,
        folders: &[&OsStr],
        name: &OsStr,
        kind: Kind,
    ) -> Result<Outcome> {
        let mut at = base.to_path_buf();
        for &folder in folders {
            at.push(folder);
            match fs::symlink_metadata(&at) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Ok(Outcome::LinkedFolder(at));
                }
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Ok(Outcome::Gone),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Outcome::Gone),
                Err(e) => return Err(e).at(Operation::Remove, &at),
            }
        }
        let path = at.join(name);
        let found = match fs::symlink_metadata(&path) {
            Ok(meta) => meta.file_type(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Outcome::Gone),
            Err(e) => return Err(e).at(Operation::Remove, &path),
        };
        let fits = match kind {
            Kind::File => found.is_file(),
            Kind::Folder => found.is_dir(),
        };
        if !fits && !found.is_symlink() {
            return Ok(Outcome::Gone);
        }
        let aside = at.join(temporary::fresh_name());
        match fs::rename(&path, &aside) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Outcome::Gone),
            Err(e) => return Err(e).at(Operation::Remove, &path),
        }
        // Out of every listing now; what follows only frees the space.
        crate::io::fs::remove_any(&aside)?;
        Ok(Outcome::Removed)
    }
}
