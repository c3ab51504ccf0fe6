//! Names that are replaced atomically: links (a symlink or, where symlinks
//! cannot be made, a small pointer file) and small files (the manifest).
//!
//! `symlink` never overwrites and `rename` replaces its target atomically, so
//! the new link or file is made at a unique temporary name in the same folder
//! and then renamed over the old one: a reader finds the old version or the
//! new one, never nothing and never half a file, and a dangling old link is
//! replaced like any other.

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::path::{Component, Path, PathBuf};

use crate::builder::MAX_ATTEMPTS;
use crate::error::{Error, Operation, Result};
use crate::links::LinkStyle;
use crate::random;

/// The first line of a pointer file; anything else is a user's file.
const POINTER_MAGIC: &str = "runlayout-link";

/// Pointer files hold one relative path; a larger file is not one of ours.
const POINTER_MAX: u64 = 64 * 1024;

/// Makes `dst` a link to `target` (relative to `dst`'s folder), replacing an
/// old link of either form. A real file or folder at `dst` is left alone and
/// reported as [`Error::NotALink`].
///
/// The check for a real file and the rename are two steps: a real file made
/// at `dst` between them by another program would be replaced. The layout
/// reserves the name, so nothing of runlayout's ever does that.
pub(crate) fn replace(dst: &Path, target: &Path, style: LinkStyle) -> Result<()> {
    read(dst)?;
    let dir = dst.parent().unwrap_or(Path::new("."));
    let tmp = make_temp(dir, dst, |tmp| make_link(tmp, target, style))?;
    move_into_place(&tmp, dst)
}

/// The target of the link at `path`, in either form; `None` if nothing is
/// there, [`Error::NotALink`] if a real file or folder is.
pub(crate) fn read(path: &Path) -> Result<Option<PathBuf>> {
    // readlink first: one call answers the common cases (a symlink, nothing).
    let not_a_symlink = match fs::read_link(path) {
        Ok(target) => return Ok(Some(target)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => e,
    };
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(Operation::Metadata, path, e)),
        Ok(meta) if meta.is_file() => match read_pointer(path)? {
            Some(target) => Ok(Some(target)),
            None => Err(Error::NotALink { path: path.into() }),
        },
        Ok(meta) if meta.file_type().is_symlink() => {
            Err(Error::io(Operation::ReadLink, path, not_a_symlink))
        }
        Ok(_) => Err(Error::NotALink { path: path.into() }),
    }
}

/// Whether `name` is one of the temporary names this module makes.
pub(crate) fn is_temporary(name: &str) -> bool {
    name.starts_with(".runlayout-") && name.ends_with(".tmp")
}

/// Writes `bytes` to `path` through a temporary file and a rename, so no
/// reader ever sees the file missing or half written.
#[cfg(feature = "manifest")]
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = make_temp(dir, path, |tmp| {
        write_new(tmp, bytes).map_err(|e| (Operation::WriteFile, e))
    })?;
    move_into_place(&tmp, path)
}

fn move_into_place(tmp: &Path, dst: &Path) -> Result<()> {
    fs::rename(tmp, dst).map_err(|e| {
        // The temporary name is ours and useless now.
        let _ = fs::remove_file(tmp);
        Error::io(Operation::Rename, dst, e)
    })
}

/// Makes something at a fresh temporary name next to `dst` with `make`. The
/// name starts with `.`, which no run id or stage may, so one left behind by a
/// killed process is never mistaken for a run, and never collides with one.
fn make_temp(
    dir: &Path,
    dst: &Path,
    mut make: impl FnMut(&Path) -> Result<(), (Operation, io::Error)>,
) -> Result<PathBuf> {
    for _ in 0..MAX_ATTEMPTS {
        let name: [u8; 10] = random::fresh_chars();
        let mut tmp_name = String::from(".runlayout-");
        tmp_name.extend(name.iter().map(|&b| char::from(b)));
        tmp_name.push_str(".tmp");
        let tmp = dir.join(tmp_name);
        match make(&tmp) {
            Ok(()) => return Ok(tmp),
            Err((_, e)) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err((op, e)) => return Err(Error::io(op, dst, e)),
        }
    }
    Err(Error::TooManyCollisions {
        parent: dir.into(),
        attempts: MAX_ATTEMPTS,
    })
}

/// A symlink if the style and the file system allow it, else a pointer file.
fn make_link(at: &Path, target: &Path, style: LinkStyle) -> Result<(), (Operation, io::Error)> {
    if style == LinkStyle::Auto {
        match symlink_dir(target, at) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err((Operation::Symlink, e));
            }
            // Refused (Windows without the privilege, a share that has no
            // symlinks): the pointer file says the same thing.
            Err(_) => {}
        }
    }
    write_pointer(at, target).map_err(|e| (Operation::WriteFile, e))
}

#[cfg(unix)]
fn symlink_dir(target: &Path, at: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, at)
}

#[cfg(windows)]
fn symlink_dir(target: &Path, at: &Path) -> io::Result<()> {
    std::os::windows::fs::symlink_dir(target, at)
}

#[cfg(not(any(unix, windows)))]
fn symlink_dir(_target: &Path, _at: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Writes a new pointer file: the magic line, then the target with `/`
/// separators, so the file reads the same on every system.
fn write_pointer(at: &Path, target: &Path) -> io::Result<()> {
    let mut text = format!("{POINTER_MAGIC}\n");
    for (i, part) in target.components().enumerate() {
        let part = match part {
            Component::ParentDir => "..",
            Component::CurDir => ".",
            Component::Normal(name) => name.to_str().ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, "link target is not valid UTF-8")
            })?,
            Component::RootDir | Component::Prefix(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "pointer files hold relative paths only",
                ));
            }
        };
        if i > 0 {
            text.push('/');
        }
        text.push_str(part);
    }
    text.push('\n');
    write_new(at, text.as_bytes())
}

/// Writes a file that must not exist yet; a half-written one is removed.
fn write_new(at: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(at)?;
    file.write_all(bytes).inspect_err(|_| {
        let _ = fs::remove_file(at);
    })
}

/// The target a pointer file holds; `None` if the file is not a pointer file.
fn read_pointer(path: &Path) -> Result<Option<PathBuf>> {
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(POINTER_MAX).read_to_end(&mut bytes))
        .map_err(|e| Error::io(Operation::ReadFile, path, e))?;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Ok(None);
    };
    let mut lines = text.lines();
    if lines.next() != Some(POINTER_MAGIC) {
        return Ok(None);
    }
    let target = match lines.next() {
        Some(line) if !line.is_empty() && !line.starts_with('/') => line,
        _ => return Ok(None),
    };
    Ok(Some(target.split('/').collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn pointer_files_round_trip() -> TestResult {
        let dir = tempfile::tempdir()?;
        let at = dir.path().join("p");
        write_pointer(&at, Path::new("../../a/b"))?;
        assert_eq!(read_pointer(&at)?, Some(PathBuf::from("../../a/b")));
        Ok(())
    }

    #[test]
    fn foreign_files_are_not_pointers() -> TestResult {
        let dir = tempfile::tempdir()?;
        let at = dir.path().join("p");
        fs::write(&at, "notes\n../x\n")?;
        assert_eq!(read_pointer(&at)?, None);
        fs::write(&at, "runlayout-link\n/etc\n")?;
        assert_eq!(read_pointer(&at)?, None);
        Ok(())
    }

    #[test]
    fn pointer_files_refuse_absolute_targets() -> TestResult {
        let dir = tempfile::tempdir()?;
        let err = write_pointer(&dir.path().join("p"), Path::new("/abs")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        Ok(())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn refused_symlinks_fall_back_to_pointer_files() -> TestResult {
        // Linux refuses a symlink whose target exceeds PATH_MAX; a pointer
        // file holds it all the same, as it would on a share without symlinks.
        let dir = tempfile::tempdir()?;
        let long: PathBuf = std::iter::repeat_n("abcdefghij", 500).collect();
        assert!(std::os::unix::fs::symlink(&long, dir.path().join("probe")).is_err());
        let at = dir.path().join("ancestor");
        replace(&at, &long, LinkStyle::Auto)?;
        assert!(fs::symlink_metadata(&at)?.is_file());
        assert_eq!(read(&at)?, Some(long));
        Ok(())
    }

    #[test]
    fn temporary_names_are_recognised() {
        assert!(is_temporary(".runlayout-abcdefghij.tmp"));
        assert!(!is_temporary("ancestor"));
    }
}
