//! Reading the small files runlayout owns (the manifest, status records,
//! pointer files) defensively: a hostile or broken tree may put a FIFO, a
//! device or a huge file where runlayout expects its own, and a reader must
//! neither hang nor run out of memory.
//!
//! The open never blocks (`O_NONBLOCK`), at most `limit` bytes are read, and
//! whatever is not a plain small file is reported by its kind. The common
//! case, a small regular file, costs three system calls: open, one read,
//! close. The file's kind is asked only when the read was odd (nothing, or
//! more than a file of ours holds), which is all a FIFO or a device can give.

use std::fs::{File, FileType};
use std::io::{self, Read as _};
use std::path::Path;

use crate::error::{Error, Operation, Result};
use crate::io::fs::{self, At as _};

/// Most files of ours fit in one read of this size.
const FIRST_READ: usize = 1024;

/// What [`read`] found at a path.
pub(crate) enum Read {
    /// Nothing.
    Missing,
    /// A regular file of at most the limit, whole.
    Bytes(Vec<u8>),
    /// A regular file larger than the limit, not read to the end: no file
    /// of ours.
    TooLarge,
}

/// The contents of the regular file at `path`, if it holds at most
/// `limit` bytes: what a caller makes of nothing there (a symlink that leads
/// nowhere included) and of a larger file is its own to say.
///
/// # Errors
///
/// [`Error::NotARegularFile`], [`Error::Io`] naming the path.
pub(crate) fn read(path: &Path, limit: u64) -> Result<Read> {
    let mut file = match open_nonblocking(path) {
        Err(e) if fs::is_not_found(&e) => return Ok(Read::Missing),
        opened => opened.at(Operation::ReadFile, path)?,
    };
    let mut bytes = vec![0; FIRST_READ.min(limit as usize + 1)];
    let mut filled = 0;
    loop {
        let n = match file.read(&mut bytes[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A FIFO with a writer that has written nothing, or a folder.
            Err(e) => {
                return match explain(&file, path) {
                    Some(err) => Err(err),
                    None => Err(e).at(Operation::ReadFile, path),
                };
            }
        };
        filled += n;
        if filled as u64 > limit {
            return match explain(&file, path) {
                Some(err) => Err(err),
                None => Ok(Read::TooLarge),
            };
        }
        // A short read of a regular file ends it; room left means the file did.
        if n == 0 || filled < bytes.len() {
            break;
        }
        let grown = (bytes.len() * 2).min(limit as usize + 1);
        bytes.resize(grown, 0);
    }
    bytes.truncate(filled);
    if bytes.is_empty()
        && let Some(err) = explain(&file, path)
    {
        return Err(err);
    }
    Ok(Read::Bytes(bytes))
}

/// [`Error::NotARegularFile`] if the open `file` is something else.
fn explain(file: &File, path: &Path) -> Option<Error> {
    let kind = file.metadata().ok()?.file_type();
    require_regular(path, kind).err()
}

fn require_regular(path: &Path, kind: FileType) -> Result<()> {
    if kind.is_file() {
        Ok(())
    } else {
        Err(Error::NotARegularFile {
            path: path.into(),
            kind: describe(kind),
        })
    }
}

/// What a file type is, in words.
pub(crate) fn describe(kind: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "device";
        }
        if kind.is_socket() {
            return "socket";
        }
    }
    if kind.is_dir() {
        "folder"
    } else if kind.is_symlink() {
        "symlink"
    } else if kind.is_file() {
        "regular file"
    } else {
        "special file"
    }
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn bytes(read: Read) -> Option<Vec<u8>> {
        match read {
            Read::Bytes(bytes) => Some(bytes),
            Read::Missing | Read::TooLarge => None,
        }
    }

    #[test]
    fn regular_files_are_read_and_missing_ones_are_none() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("f");
        assert!(matches!(read(&path, 10)?, Read::Missing));
        std::fs::write(&path, b"hello")?;
        assert_eq!(bytes(read(&path, 10)?).as_deref(), Some(&b"hello"[..]));
        assert_eq!(bytes(read(&path, 5)?).as_deref(), Some(&b"hello"[..]));
        Ok(())
    }

    #[test]
    fn files_over_the_limit_are_not_read_to_the_end() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello!")?;
        assert!(matches!(read(&path, 5)?, Read::TooLarge));
        Ok(())
    }

    #[test]
    fn folders_are_refused() -> TestResult {
        let dir = tempfile::tempdir()?;
        let err = read(dir.path(), 5).err().ok_or("a folder is read")?;
        assert!(
            matches!(err, Error::NotARegularFile { kind: "folder", .. }),
            "{err}"
        );
        Ok(())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn devices_and_fifos_are_never_read() -> TestResult {
        let dir = tempfile::tempdir()?;
        let zero = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero)?;
        let err = read(&zero, 5).err().ok_or("a device is read")?;
        assert!(
            matches!(err, Error::NotARegularFile { kind: "device", .. }),
            "{err}"
        );
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status()?;
        assert!(made.success());
        let err = read(&fifo, 5).err().ok_or("a FIFO is read")?;
        assert!(
            matches!(err, Error::NotARegularFile { kind: "FIFO", .. }),
            "{err}"
        );
        Ok(())
    }
}
