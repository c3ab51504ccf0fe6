//! Bringing a run of the home into a working copy: its manifest (the
//! home's is the truth) and the records the working copy lacks or holds
//! unchanged since it last stored or fetched them.

use std::path::{Path, PathBuf};

use super::*;
use crate::error::{Error, Operation, Result};
use crate::io::atomic_file::AtomicFile;
use crate::io::fs::At;
use crate::io::working_copy::{State, is_own};
use crate::layout::record::LAYOUT_RECORD;
use crate::lifecycle::ancestry::ANCESTOR;
use crate::lifecycle::sync;
use crate::record::manifest::MANIFEST;
use crate::record::restarts::RESTARTS;
use crate::record::status::STATUS;
use crate::record::summary::SUMMARY;
use crate::run::address::Address;

/// The records and link a working copy is brought, besides the
/// manifest.
pub(super) const RECORDS: [&str; 5] = [STATUS, SUMMARY, RESTARTS, LAYOUT_RECORD, ANCESTOR];

/// The working copy's own record at `path` (`None` if there is none),
/// read as any record of a run folder is: never blocking on a FIFO,
/// never more than a record holds.
pub(super) fn read_record(path: &Path) -> Result<Option<Vec<u8>>> {
    crate::record::json::read_as(path, |bytes| Ok(bytes.to_vec()))
}

/// Takes the working copy `dir`'s turn: an exclusive lock on the folder
/// itself, so that ranks of one node bring the home's run into it one
/// at a time, and no file is made in it before its manifest (a folder
/// with files and no manifest reads as a run kept without one).
pub(super) fn lock_folder(dir: &Path) -> Result<std::fs::File> {
    let folder = std::fs::File::open(dir).at(Operation::Lock, dir)?;
    match folder.lock() {
        Ok(()) => Ok(folder),
        // A file system without locks: the turns go unlocked, as the
        // updates of records do there.
        Err(e) if crate::io::claim::unsupported(&e) => Ok(folder),
        Err(e) => Err(e).at(Operation::Lock, dir),
    }
}

/// Refuses the working copy `dir`, of another run than its home's of
/// that id, if it holds files besides runlayout's own: they are that
/// run's, and neither belong in the home's run nor may be removed.
pub(super) fn refuse_foreign_files(dir: &Path, url: &str) -> Result<()> {
    let own = |name: &str| {
        is_own(name)
            || RECORDS.contains(&name)
            || crate::io::temporary::is_temporary(std::ffi::OsStr::new(name))
    };
    for entry in std::fs::read_dir(dir).at(Operation::ReadDir, dir)? {
        let entry = entry.at(Operation::ReadDir, dir)?;
        let name = entry.file_name();
        if !name.to_str().is_some_and(own) {
            return Err(Error::UnsupportedRoot {
                root: url.to_owned(),
                reason: format!(
                    "its working copy `{}` holds `{}` of another run of that id \
                     (its run.json is not the home's): move the folder away",
                    dir.display(),
                    name.to_string_lossy()
                ),
            });
        }
    }
    Ok(())
}

impl Home {
    /// Brings the run at `address` from the home into its working copy
    /// (made if missing), so that the working copy can be opened as a
    /// run, and returns its manifest. The home is the truth:
    ///
    /// - its manifest replaces one the working copy holds that differs
    ///   (a copy a creator killed before its claim left there, of a run
    ///   another node then made), and with it every record; a working
    ///   copy that holds other files of that other run is refused,
    ///   naming it, and left as it is;
    /// - a record (status, summary, restarts, layouts) or the
    ///   `ancestor` link the working copy lacks, or holds as it was
    ///   last stored or fetched, is brought (another node may have
    ///   stored a newer one); one changed here since is newer, and
    ///   stays.
    ///
    /// Ranks of one node fetching into one working copy take turns
    /// (a lock on its folder). [`Error::RunNotFound`] naming the run's URL
    /// if the home has no such run, and nothing is made here then.
    pub(crate) fn fetch_run(&self, address: &Address) -> Result<Vec<u8>> {
        let dir = address.folder(&self.cache);
        let home = self.run_home(address);
        // A working copy of another home's run of that name is refused.
        State::read(&dir, &home.url)?;
        let Some(manifest) = self.store.get(&home.key_of(MANIFEST))? else {
            return Err(Error::RunNotFound {
                path: PathBuf::from(home.url),
                elsewhere: Vec::new(),
            });
        };
        let manifest = manifest.bytes;
        if super::is_tombstone(&manifest) {
            return Err(Error::RunBeingRemoved {
                path: PathBuf::from(home.url),
            });
        }
        std::fs::create_dir_all(&dir).at(Operation::CreateDirAll, &dir)?;
        let _turn = lock_folder(&dir)?;
        let mut state = State::read(&dir, &home.url)?;
        let replaced = match read_record(&dir.join(MANIFEST))? {
            Some(local) if local == manifest => false,
            Some(_) => {
                refuse_foreign_files(&dir, &home.url)?;
                // The marks were of the other run's files.
                state.files.clear();
                state.write(&dir)?;
                true
            }
            None => false,
        };
        if replaced || !dir.join(MANIFEST).exists() {
            sync::place(&home, MANIFEST, &manifest)?;
        } else if !state.holds(&dir, MANIFEST) {
            // The home's manifest, as the working copy holds it: ranks
            // after this one need not ask.
            home.update(|state| {
                let _ = state.mark(&dir, MANIFEST);
            })?;
        }
        // The records are brought under the run's record lock, which this
        // node's ranks take to change or append to them (a joiner's
        // restart line): none is replaced, or removed, under a change.
        let _records = crate::record::json::lock(&dir)?;
        for record in RECORDS {
            let local = dir.join(record);
            let there = std::fs::symlink_metadata(&local).is_ok();
            if !(replaced || !there || state.holds(&dir, record)) {
                continue;
            }
            // Read as a record, never more than one holds.
            let theirs = self.store.get(&home.key_of(record))?.map(|o| o.bytes);
            // Lines this node's ranks appended, joining this id before
            // its manifest was the home's, are this run's restarts.
            let ours = match replaced && there && record == RESTARTS {
                true => read_record(&local)?,
                false => None,
            };
            match (theirs, ours) {
                (Some(mut theirs), Some(ours)) => {
                    if !theirs.is_empty() && !theirs.ends_with(b"\n") {
                        theirs.push(b'\n');
                    }
                    theirs.extend_from_slice(&ours);
                    // Not marked: the home lacks the appended lines.
                    AtomicFile::write(&local, &theirs)?;
                }
                (Some(theirs), None) => sync::place(&home, record, &theirs)?,
                (None, Some(_)) => {}
                // Another run's record is not this run's.
                (None, None) if replaced => crate::io::fs::remove_file(&local)?,
                (None, None) => {}
            }
        }
        Ok(manifest)
    }
}
