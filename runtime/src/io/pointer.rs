//! Links runlayout owns (`ancestor`, `latest`, back-links in `descendants/`)
//! and their two forms: a relative symlink, or where symlinks cannot be made,
//! a small pointer file holding the same relative path.
//!
//! A pointer file is the magic line `runlayout-link`, then the target with
//! `/` separators, so it reads the same on every system:
//!
//! ```text
//! runlayout-link
//! ../../pretrain/2026-11-30_k3x9a
//! ```

use std::io::{self, Write as _};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Operation, Result};
use crate::io::fs::{self, At as _};
use crate::io::owned_file::{self, Read};
use crate::io::temporary;

/// The first line of a pointer file; anything else is a user's file.
const POINTER_MAGIC: &str = "runlayout-link";

/// Pointer files hold one relative path; a larger file is not one of ours.
const POINTER_MAX: u64 = 64 * 1024;

/// How runlayout writes its links: ancestor links, back-links and the
/// `latest` pointer.
///
/// ```
/// use runlayout::{LinkStyle, Run};
///
/// let root = tempfile::tempdir()?;
/// let old = Run::builder(root.path()).stage("pretrain").create()?;
/// let new = Run::builder(root.path())
///     .stage("finetune")
///     .link_style(LinkStyle::PointerFile)
///     .create()?;
/// new.link(&old)?;
/// // A plain file, which any file system and any copy tool keeps.
/// assert!(new.path().join("ancestor").is_file());
/// assert_eq!(new.ancestor()?, Some(old.path().canonicalize()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum LinkStyle {
    /// A relative symlink; where the system refuses symlinks (Windows
    /// without the privilege, some network shares), a pointer file instead.
    #[default]
    Auto,
    /// Always a pointer file: a small text file holding the relative path,
    /// for file systems and transfer tools that mangle symlinks.
    PointerFile,
}

/// Makes `dst` a link to `target` (relative to `dst`'s folder), replacing an
/// old link of either form atomically. A real file or folder at `dst` is
/// left alone and reported as [`Error::NotALink`].
///
/// The check for a real file and the rename are two steps: a real file made
/// at `dst` between them by another program would be replaced. runlayout
/// reserves the names it links at, so nothing of its own ever does that.
pub(crate) fn write(dst: &Path, target: &Path, style: LinkStyle) -> Result<()> {
    read(dst)?;
    replace(dst, target, style)
}

/// [`write`], for a caller that has just [`read`] `dst` itself.
pub(crate) fn replace(dst: &Path, target: &Path, style: LinkStyle) -> Result<()> {
    temporary::replace(dst, Operation::WriteLink, |tmp| {
        make(tmp, target, style, symlink_dir)
    })
}

/// [`write`], for a link to a file (a family's `last.ckpt`): on Windows a
/// file symlink, which programs open as the file it leads to.
pub(crate) fn write_to_file(dst: &Path, target: &Path, style: LinkStyle) -> Result<()> {
    read(dst)?;
    temporary::replace(dst, Operation::WriteLink, |tmp| {
        make(tmp, target, style, symlink_file)
    })
}

/// The target of the link at `path`, in either form; `None` if nothing is
/// there, [`Error::NotALink`] if a real file or folder (or a FIFO, a
/// device, ...) is.
pub(crate) fn read(path: &Path) -> Result<Option<PathBuf>> {
    // readlink first: one call answers the common cases (a symlink, nothing).
    let not_a_symlink = match std::fs::read_link(path) {
        Ok(target) => return Ok(Some(target)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => e,
    };
    match fs::symlink_metadata_if_there(path)? {
        None => Ok(None),
        Some(meta) if meta.is_file() => match read_pointer(path)? {
            Some(target) => Ok(Some(target)),
            None => Err(Error::NotALink { path: path.into() }),
        },
        Some(meta) if meta.file_type().is_symlink() => {
            Err(not_a_symlink).at(Operation::ReadLink, path)
        }
        Some(_) => Err(Error::NotALink { path: path.into() }),
    }
}

/// A symlink if the style and the file system allow it, else a pointer file.
fn make(
    at: &Path,
    target: &Path,
    style: LinkStyle,
    symlink: fn(&Path, &Path) -> io::Result<()>,
) -> io::Result<()> {
    if style == LinkStyle::Auto {
        match symlink(target, at) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
            // Refused (Windows without the privilege, a share that has no
            // symlinks): the pointer file says the same thing.
            Err(_) => {}
        }
    }
    write_pointer(at, target)
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

#[cfg(unix)]
fn symlink_file(target: &Path, at: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, at)
}

#[cfg(windows)]
fn symlink_file(target: &Path, at: &Path) -> io::Result<()> {
    std::os::windows::fs::symlink_file(target, at)
}

#[cfg(not(any(unix, windows)))]
fn symlink_file(_target: &Path, _at: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Writes a new pointer file: the magic line, then the target.
fn write_pointer(at: &Path, target: &Path) -> io::Result<()> {
    let text = pointer_text(target)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(at)?;
    file.write_all(text.as_bytes())
}

/// What a pointer file to `target` holds: the magic line, then the target
/// with `/` separators (also the contents of a link's object in a run's
/// home in object storage).
pub(crate) fn pointer_text(target: &Path) -> io::Result<String> {
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
    Ok(text)
}

/// The target a pointer file holds; `None` if the file is not a pointer file.
fn read_pointer(path: &Path) -> Result<Option<PathBuf>> {
    match owned_file::read(path, POINTER_MAX)? {
        Read::Bytes(bytes) => Ok(parse_pointer(&bytes)),
        // A large regular file is somebody's data, not a pointer.
        Read::Missing | Read::TooLarge => Ok(None),
    }
}

/// The target in a pointer file's bytes, if they are a pointer file.
pub(crate) fn parse_pointer(bytes: &[u8]) -> Option<PathBuf> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.lines();
    if lines.next() != Some(POINTER_MAGIC) {
        return None;
    }
    match lines.next() {
        Some(line) if !line.is_empty() && !line.starts_with('/') && !line.contains('\\') => {
            Some(line.split('/').collect())
        }
        _ => None,
    }
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
        std::fs::write(&at, "notes\n../x\n")?;
        assert_eq!(read_pointer(&at)?, None);
        std::fs::write(&at, "runlayout-link\n/etc\n")?;
        assert_eq!(read_pointer(&at)?, None);
        std::fs::write(&at, vec![b'x'; 2 * POINTER_MAX as usize])?;
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
        write(&at, &long, LinkStyle::Auto)?;
        assert!(std::fs::symlink_metadata(&at)?.is_file());
        assert_eq!(read(&at)?, Some(long));
        Ok(())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_fifo_is_no_link_and_is_never_opened() -> TestResult {
        let dir = tempfile::tempdir()?;
        let at = dir.path().join("ancestor");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&at)
                .status()?
                .success()
        );
        assert!(matches!(read(&at), Err(Error::NotALink { .. })));
        assert!(matches!(
            write(&at, Path::new("x"), LinkStyle::Auto),
            Err(Error::NotALink { .. })
        ));
        Ok(())
    }
}
