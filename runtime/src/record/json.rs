//! Reading and writing the JSON records runlayout keeps in a run folder
//! (`run.json`, `run.status.json`, `run.layout.json`,
//! `run.summary.json`, `run.restarts.jsonl`): the one place that
//! knows whether the `manifest` feature is on. Without it no record is
//! written or read: a read finds none, a write does nothing.

use std::path::Path;

#[cfg(feature = "manifest")]
use crate::error::Operation;
use crate::error::{Error, RecordKind, Result};
#[cfg(feature = "manifest")]
use crate::io::owned_file::{self, Read};
#[cfg(feature = "manifest")]
use crate::io::temporary;

/// Whether this build writes and reads records at all.
pub(crate) const ENABLED: bool = cfg!(feature = "manifest");

/// No record runlayout writes comes near this size; a larger one is not one
/// of them and is not read to the end.
#[cfg(feature = "manifest")]
const RECORD_MAX: u64 = 1 << 20;

/// A record kept in a run folder: which one it is, for errors, and serde,
/// when records are kept at all.
#[cfg(feature = "manifest")]
pub(crate) trait Record: serde::Serialize + serde::de::DeserializeOwned {
    /// Which record this is.
    const KIND: RecordKind;
}
/// A record kept in a run folder: which one it is (nothing more is needed,
/// since without the `manifest` feature none is read or written).
#[cfg(not(feature = "manifest"))]
pub(crate) trait Record {
    /// Which record this is.
    const KIND: RecordKind;
}

/// The error for a record at `path` that cannot be read or written as
/// JSON.
pub(crate) fn invalid<T: Record>(path: &Path, message: String) -> Error {
    Error::InvalidRecord {
        kind: T::KIND,
        path: path.into(),
        message,
    }
}

/// The fields of a record this version does not know, kept as they were.
#[cfg(feature = "serde")]
pub(crate) type Extra = serde_json::Map<String, serde_json::Value>;
/// The fields of a record this version does not know: none are read
/// without serde.
#[cfg(not(feature = "serde"))]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Extra(());

/// The lock around an update (read, change, replace) of a run folder's
/// changing records, held until dropped; `None` when records are not kept
/// (nothing is written, and no `run.lock` is made).
pub(crate) fn lock(run_dir: &Path) -> Result<Option<crate::io::record_lock::RecordLock>> {
    if ENABLED {
        crate::io::record_lock::lock(run_dir).map(Some)
    } else {
        Ok(None)
    }
}

/// The JSON record at `path`, read defensively (a regular file of at most
/// 1 MiB); `None` if there is none, or records are not kept.
pub(crate) fn read<T: Record>(path: &Path) -> Result<Option<T>> {
    #[cfg(feature = "manifest")]
    let parse =
        |bytes: &[u8]| serde_json::from_slice(bytes).map_err(|e| invalid::<T>(path, e.to_string()));
    // Never called: without records there is nothing to parse.
    #[cfg(not(feature = "manifest"))]
    let parse = |_: &[u8]| Err(invalid::<T>(path, String::new()));
    read_as(path, parse)
}

/// The bytes of the record at `path`, read as [`read`] reads them, made
/// into what `parse` makes of them: for a reader that needs a few of the
/// record's fields and not the whole of it. `None` if there is none, or
/// records are not kept (then `parse` is never called).
pub(crate) fn read_as<R>(path: &Path, parse: impl FnOnce(&[u8]) -> Result<R>) -> Result<Option<R>> {
    #[cfg(feature = "manifest")]
    {
        let bytes = match owned_file::read(path, RECORD_MAX)? {
            Read::Bytes(bytes) => bytes,
            Read::Missing => return Ok(None),
            Read::TooLarge => {
                return Err(Error::FileTooLarge {
                    path: path.into(),
                    limit: RECORD_MAX,
                });
            }
        };
        parse(&bytes).map(Some)
    }
    #[cfg(not(feature = "manifest"))]
    {
        let _ = (path, parse);
        Ok(None)
    }
}

/// Replaces the JSON record at `path` atomically (temporary file, rename):
/// a reader finds the old record or the new one, never half of one. Does
/// nothing when records are not kept.
pub(crate) fn write<T: Record>(path: &Path, record: &T) -> Result<()> {
    #[cfg(feature = "manifest")]
    {
        write_text(path, &to_json(path, record)?)
    }
    #[cfg(not(feature = "manifest"))]
    {
        let _ = (path, record);
        Ok(())
    }
}

/// Makes the record at `path` from its JSON `text`: it appears whole or not
/// at all (see [`temporary::create_whole`]); `prepare` is handed the
/// written file before it appears (to lock it). Returns the file, open for
/// reading and writing; `None` when records are not kept.
pub(crate) fn create<T: Record>(
    path: &Path,
    text: &[u8],
    mut prepare: impl FnMut(&std::fs::File) -> std::io::Result<()>,
) -> Result<Option<std::fs::File>> {
    #[cfg(feature = "manifest")]
    {
        temporary::create_whole(path, Operation::WriteFile, |mut file| {
            use std::io::Write as _;
            file.write_all(text)?;
            prepare(file)
        })
        .map(Some)
    }
    #[cfg(not(feature = "manifest"))]
    {
        let _ = (path, text, &mut prepare);
        Ok(None)
    }
}

/// Replaces the record at `path` with `json` (a record's text)
/// atomically.
#[cfg(feature = "manifest")]
pub(crate) fn write_text(path: &Path, json: &[u8]) -> Result<()> {
    temporary::replace(path, Operation::WriteFile, |tmp| {
        use std::io::Write as _;
        std::fs::File::create_new(tmp)?.write_all(json)
    })
}

/// `record` as the pretty JSON runlayout writes, with a final newline.
#[cfg(feature = "manifest")]
pub(crate) fn to_json<T: Record>(path: &Path, record: &T) -> Result<Vec<u8>> {
    // Records are a few hundred bytes: one allocation, not a doubling.
    let mut json = Vec::with_capacity(1024);
    serde_json::to_writer_pretty(&mut json, record)
        .map_err(|e| invalid::<T>(path, e.to_string()))?;
    json.push(b'\n');
    Ok(json)
}

/// Appends `record` as one line of JSON to the record at `path` (made if
/// missing), in one `write` on a file opened for appending without
/// following a symlink or blocking on a FIFO. The caller holds the run's
/// record lock, so lines of two writers never interleave, also on a
/// network file system. Does nothing when records are not kept.
pub(crate) fn append_line<T: Record>(path: &Path, record: &T) -> Result<()> {
    #[cfg(feature = "manifest")]
    {
        use std::io::Write as _;
        let mut line = serde_json::to_vec(record).map_err(|e| invalid::<T>(path, e.to_string()))?;
        line.push(b'\n');
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
        }
        let mut file = match options.open(path) {
            Ok(file) => file,
            Err(e) => {
                return Err(
                    not_regular(path).unwrap_or_else(|| Error::io(Operation::WriteFile, path, e))
                );
            }
        };
        let meta = file
            .metadata()
            .map_err(|e| Error::io(Operation::Metadata, path, e))?;
        if !meta.is_file() {
            return Err(Error::NotARegularFile {
                path: path.into(),
                kind: crate::io::owned_file::describe(meta.file_type()),
            });
        }
        file.write_all(&line)
            .map_err(|e| Error::io(Operation::WriteFile, path, e))
    }
    #[cfg(not(feature = "manifest"))]
    {
        let _ = (path, record);
        Ok(())
    }
}

/// What stands at `path` when it is no regular file (a symlink refused by
/// `O_NOFOLLOW`, a folder), as the error to report.
#[cfg(feature = "manifest")]
fn not_regular(path: &Path) -> Option<Error> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    (!meta.is_file()).then(|| Error::NotARegularFile {
        path: path.into(),
        kind: crate::io::owned_file::describe(meta.file_type()),
    })
}

/// The records of the JSON-lines record at `path`, oldest first; empty if
/// there is none, or records are not kept. A last line without its newline
/// is an append cut short (a writer killed in its `write`, or a full disk)
/// and is passed over; any other line that is not a record is an error
/// naming the line.
pub(crate) fn read_lines<T: Record>(path: &Path) -> Result<Vec<T>> {
    #[cfg(feature = "manifest")]
    {
        let bytes = match owned_file::read(path, RECORD_MAX)? {
            Read::Bytes(bytes) => bytes,
            Read::Missing => return Ok(Vec::new()),
            Read::TooLarge => {
                return Err(Error::FileTooLarge {
                    path: path.into(),
                    limit: RECORD_MAX,
                });
            }
        };
        let whole = bytes.ends_with(b"\n");
        let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        let mut records = Vec::new();
        for (at, line) in lines.iter().enumerate() {
            let last = at + 1 == lines.len();
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice(line) {
                Ok(record) => records.push(record),
                Err(_) if last && !whole => {}
                Err(e) => return Err(invalid::<T>(path, format!("line {}: {e}", at + 1))),
            }
        }
        Ok(records)
    }
    #[cfg(not(feature = "manifest"))]
    {
        let _ = path;
        Ok(Vec::new())
    }
}
