//! What a folder is, as far as runs go: the one answer to "is this a
//! run?", for every caller that asks (opening and joining a run, the
//! refusal to make a run inside another, the layout record, the scan,
//! prune, the hints of an error).
//!
//! A folder is a **run** when it holds its manifest (`run.json`, a regular
//! file), or, made without one, when it holds something and nothing in it
//! makes it a **folder of runs**: no `latest` pointer, no run inside (a
//! stage folder, or in run-first order a run id folder). An **empty**
//! folder is neither: another process may have just made it and be writing
//! its manifest. Each look costs what it must, in this order: one `stat` of
//! the path, one of `run.json`, one read of the folder when there is no
//! manifest.

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, NotARunReason, Operation, Result};
use crate::io::fs::{self, At as _};
use crate::io::owned_file;
use crate::io::temporary;
use crate::record::json;
use crate::record::manifest::{MANIFEST, Manifest};
use crate::run::address;

/// What stands at a path where a run or a folder of runs should be.
#[derive(Debug)]
pub(crate) enum Stand {
    /// A folder, or a symlink to one.
    Folder,
    /// Something else: a file, a FIFO, a device.
    NotAFolder,
    /// A symlink to nothing.
    Dangling {
        /// Where it points.
        target: PathBuf,
    },
    /// Nothing (the system's error, for a caller that reports it).
    Missing(io::Error),
}

/// What a folder is.
#[derive(Debug)]
pub(crate) enum Kind {
    /// A run: it holds its manifest.
    Run,
    /// A run made without a manifest (by hand, or with manifests switched
    /// off): it holds something, and nothing that makes it a folder of runs.
    RunWithoutManifest,
    /// A folder of runs, and why.
    FolderOfRuns(NotARunReason),
    /// An empty folder: made a moment ago by a creator that is writing the
    /// manifest, left by one that died, or made by hand.
    Empty,
    /// Something that is no folder.
    NotAFolder,
    /// A symlink to nothing.
    Dangling {
        /// Where it points.
        target: PathBuf,
    },
    /// Nothing.
    Missing,
}

/// What stands at `path`: one `stat`, and a `readlink` when nothing does.
pub(crate) fn stand(path: &Path) -> Result<Stand> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(Stand::Folder),
        Ok(_) => Ok(Stand::NotAFolder),
        Err(e) if fs::is_not_found(&e) => Ok(match std::fs::read_link(path) {
            Ok(target) => Stand::Dangling { target },
            Err(_) => Stand::Missing(e),
        }),
        Err(e) => Err(e).at(Operation::Metadata, path),
    }
}

/// What the folder at `path` is.
///
/// # Errors
///
/// [`Error::NotARegularFile`] naming `run.json` if something else than a
/// regular file has that name (it is never opened); [`Error::Io`].
pub(crate) fn probe(path: &Path) -> Result<Kind> {
    match stand(path)? {
        Stand::Folder => {}
        Stand::NotAFolder => return Ok(Kind::NotAFolder),
        Stand::Dangling { target } => return Ok(Kind::Dangling { target }),
        Stand::Missing(_) => return Ok(Kind::Missing),
    }
    if has_manifest(path)? {
        return Ok(Kind::Run);
    }
    // Gone since it was found (a prune moved it away): nothing is there.
    let Some(contents) = Contents::read(path)? else {
        return Ok(Kind::Missing);
    };
    let empty = contents.entries == 0;
    Ok(match contents.not_a_run() {
        Some(reason) => Kind::FolderOfRuns(reason),
        None if empty => Kind::Empty,
        None => Kind::RunWithoutManifest,
    })
}

/// Whether the folder holds its manifest: a regular file (anything else
/// of that name is an error, and never opened).
pub(crate) fn has_manifest(folder: &Path) -> Result<bool> {
    let path = folder.join(MANIFEST);
    match fs::metadata_if_there(&path)? {
        Some(meta) if meta.is_file() => Ok(true),
        Some(meta) => Err(Error::NotARegularFile {
            path,
            kind: owned_file::describe(meta.file_type()),
        }),
        None => Ok(false),
    }
}

/// Whether `folder` is a run by its record: whether a run may be made
/// inside it, or a layout recorded in it. Cheap in the common case (one
/// failing `stat` when there is no `run.json`): with records kept, a
/// `run.json` that reads as a manifest (a user's own `run.json`, a config
/// of another tool, is none); without, any regular file of that name.
pub(crate) fn is_recorded_run(folder: &Path) -> bool {
    let path = folder.join(MANIFEST);
    let Ok(meta) = std::fs::metadata(&path) else {
        return false;
    };
    if json::ENABLED {
        matches!(manifest(folder), Ok(Some(_)))
    } else {
        meta.is_file()
    }
}

/// The manifest that makes `folder` a run for a scan; `None` if it holds
/// none (or records are not kept), an error if it holds one that cannot be
/// read (it is a run all the same, whose record is broken).
pub(crate) fn manifest(folder: &Path) -> Result<Option<Manifest>> {
    Manifest::read(folder)
}

/// Where the run folder at `path` leads, canonical, when it is a symlink
/// (a run moved to another disk): removing the run removes the link alone.
pub(crate) fn link_of(path: &Path) -> Option<PathBuf> {
    fs::is_symlink(path).then(|| fs::canonical_or_same(path))
}

/// What a folder without a manifest holds, as far as telling a run from a
/// folder of runs goes.
struct Contents {
    /// Entries other than runlayout's temporaries.
    entries: usize,
    /// A `latest` pointer: only folders of runs (and the root) hold one.
    pointer: Option<PathBuf>,
    /// A sub-folder that is a run: a stage folder, or a run-first id folder.
    run_inside: Option<PathBuf>,
}

impl Contents {
    /// The folder's contents; `None` if it is gone.
    fn read(path: &Path) -> Result<Option<Contents>> {
        let Some(entries) = fs::read_dir_if_there(path)? else {
            return Ok(None);
        };
        let mut contents = Contents {
            entries: 0,
            pointer: None,
            run_inside: None,
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if temporary::is_temporary(&name) {
                continue;
            }
            contents.entries += 1;
            if address::is_pointer_name(&name) {
                contents.pointer = Some(entry.path());
            } else if contents.run_inside.is_none()
                && fs::is_folder(&entry)
                && std::fs::symlink_metadata(entry.path().join(MANIFEST)).is_ok()
            {
                contents.run_inside = Some(entry.path());
            }
        }
        Ok(Some(contents))
    }

    /// Why the folder is no run, if it is none.
    fn not_a_run(self) -> Option<NotARunReason> {
        if let Some(pointer) = self.pointer {
            return Some(NotARunReason::HoldsPointer { pointer });
        }
        self.run_inside.map(|run| NotARunReason::HoldsRun { run })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn every_kind_of_folder_is_told() -> TestResult {
        let dir = tempfile::tempdir()?;
        let at = |name: &str| dir.path().join(name);
        std::fs::create_dir(at("run"))?;
        std::fs::write(at("run").join(MANIFEST), "{}")?;
        std::fs::create_dir(at("bare"))?;
        std::fs::write(at("bare").join("log.txt"), "x")?;
        std::fs::create_dir_all(at("stage/r1"))?;
        std::fs::write(at("stage/r1").join(MANIFEST), "{}")?;
        std::fs::create_dir(at("pointed"))?;
        std::fs::write(at("pointed/latest"), "runlayout-link\nr1\n")?;
        std::fs::create_dir(at("empty"))?;
        std::fs::write(at("file"), "x")?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(at("nowhere"), at("dangling"))?;
        let kind = |name: &str| probe(&at(name)).map(|f| format!("{f:?}"));
        assert_eq!(kind("run")?, "Run");
        assert_eq!(kind("bare")?, "RunWithoutManifest");
        assert!(kind("stage")?.starts_with("FolderOfRuns(HoldsRun"));
        assert!(kind("pointed")?.starts_with("FolderOfRuns(HoldsPointer"));
        assert_eq!(kind("empty")?, "Empty");
        assert_eq!(kind("file")?, "NotAFolder");
        #[cfg(unix)]
        assert!(kind("dangling")?.starts_with("Dangling"));
        assert_eq!(kind("missing")?, "Missing");
        // A folder named run.json is no manifest, and never opened.
        std::fs::create_dir_all(at("odd").join(MANIFEST))?;
        assert!(matches!(
            probe(&at("odd")),
            Err(Error::NotARegularFile { .. })
        ));
        Ok(())
    }

    #[test]
    fn a_foreign_run_json_makes_no_recorded_run() -> TestResult {
        let dir = tempfile::tempdir()?;
        assert!(!is_recorded_run(dir.path()));
        std::fs::write(dir.path().join(MANIFEST), "{\"tool\": \"other\"}")?;
        // With records kept it must read as a manifest; without, a file
        // of that name is all there is to go by.
        assert_eq!(is_recorded_run(dir.path()), !json::ENABLED);
        Ok(())
    }
}
