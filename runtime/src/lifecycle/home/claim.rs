//! Claiming a working copy's run in its home: the manifest put only if
//! none is there, a lost claim joined or its working copy discarded.

use std::path::Path;

use super::fetch::read_record;
use super::latest::created_text;
use super::*;
use crate::error::{Error, Operation, Result};
use crate::io::fs::At;
use crate::io::working_copy::{STATE, State};
use crate::record::manifest::MANIFEST;
use crate::run::Run;
use crate::run::address::Address;

/// The manifest `local` offers the home: the one its use claim holds
/// (this call made or opened it; another rank of the node may have put
/// the home's at its path since), else the one at `path`.
pub(super) fn offered_manifest(local: &Run, path: &Path) -> Result<Option<Vec<u8>>> {
    use std::io::{Read as _, Seek as _};
    let Some(held) = local.claimed_manifest() else {
        return read_record(path);
    };
    let mut bytes = Vec::new();
    let limit = crate::io::store::RECORD_MAX;
    let read = held.try_clone().and_then(|mut file| {
        file.rewind()?;
        file.take(limit + 1).read_to_end(&mut bytes)
    });
    read.at(Operation::ReadFile, path)?;
    if bytes.len() as u64 > limit {
        return Err(Error::FileTooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(Some(bytes))
}

impl Home {
    /// Claims in the home the run whose working copy is `local`: its
    /// manifest is put only if none is at its key, then the stage's
    /// `latest` moves to it (if `latest`). A working copy this call
    /// made is removed again if the put fails, unless another rank of
    /// this node uses it already ([`discard`](Home::discard)).
    ///
    /// Once the put is in, the run exists and stands: a rank of
    /// another node may have joined it at once. A failure after it
    /// (moving `latest`) is returned, the run left in the home and its
    /// working copy here, for `create_or_open` to join.
    pub(crate) fn claim(&self, local: Run, latest: bool) -> Result<Claimed> {
        let manifest_path = local.path().join(MANIFEST);
        let manifest = match offered_manifest(&local, &manifest_path) {
            Ok(Some(manifest)) => manifest,
            failed => {
                if local.is_new() {
                    self.discard(local);
                }
                return Err(failed.err().unwrap_or_else(|| Error::RunNotFound {
                    path: manifest_path,
                    elsewhere: Vec::new(),
                }));
            }
        };
        let created = created_text(&manifest);
        let key = format!("{}/{MANIFEST}", self.run_key(local.address()));
        match self.store.create(&key, manifest.clone()) {
            Ok(true) => {}
            Ok(false) => return Ok(Claimed::Taken(local, manifest)),
            Err(e) => {
                if local.is_new() {
                    self.discard(local);
                }
                return Err(e);
            }
        }
        let run = self.attach(local);
        self.record(&run, latest, created)?;
        Ok(Claimed::Mine(run))
    }

    /// Whether the working copy `local` holds a manifest the home was
    /// given or gave (this node claimed or joined its run): no request
    /// is made.
    pub(crate) fn claimed(&self, local: &Run) -> Result<bool> {
        let home = self.run_home(local.address());
        Ok(State::read(local.path(), &home.url)?.holds(local.path(), MANIFEST))
    }

    /// Whether the home holds a run at `address` (one read).
    pub(crate) fn has_run(&self, address: &Address) -> Result<bool> {
        let key = join(&self.run_key(address), MANIFEST);
        Ok(self.store.get(&key)?.is_some())
    }

    /// Whether the home's run at `address` was made for the launched
    /// `job` (its manifest's `job`; one read). A manifest that cannot
    /// be read as one names no job.
    pub(crate) fn is_run_of_job(&self, address: &Address, job: &str) -> Result<bool> {
        let Some(bytes) = self.stored(address, MANIFEST)? else {
            return Ok(false);
        };
        let recorded = serde_json::from_slice::<crate::record::manifest::Manifest>(&bytes)
            .ok()
            .and_then(|m| m.job);
        Ok(recorded.as_deref() == Some(job))
    }

    /// What a run claimed in the home gets: its working copy's state,
    /// and the stage's `latest` (if `latest`).
    ///
    /// `latest` moves first: a working copy marked as claimed is one
    /// the ranks of this node use without asking the home, so a move
    /// that failed is left for the next rank, which joins and moves it.
    pub(super) fn record(&self, run: &Run, latest: bool, created: Option<String>) -> Result<()> {
        if latest {
            self.move_latest(run.address(), created)?;
        }
        let dir = run.path();
        run.home()
            .ok_or_else(|| Error::UnsupportedRoot {
                root: self.root_url(),
                reason: "the run lost its home".to_owned(),
            })?
            .update(|state| {
                let _ = state.mark(dir, MANIFEST);
            })
    }

    /// Removes a working copy whose claim in the home lost: its
    /// manifest, its state, its folder (left if anything else is in
    /// it), under the removal claim, as prune removes a run. A working
    /// copy another rank of this node uses (a `create_or_open` of that
    /// id met in it) stays: whoever uses it next takes the home's
    /// manifest.
    pub(crate) fn discard(&self, local: Run) {
        let dir = local.path().to_path_buf();
        drop(local);
        let Ok(_removing) = crate::io::claim::remove_run(&dir) else {
            return;
        };
        let _ = std::fs::remove_file(dir.join(MANIFEST));
        let _ = std::fs::remove_file(dir.join(STATE));
        let _ = std::fs::remove_dir(&dir);
    }

    /// Joins the run in the home whose address `local` (a working copy
    /// whose claim lost, offering the manifest `offered`) has: the
    /// working copy takes the home's manifest in place of its own, and
    /// the stage's `latest` moves to the run if it names an older one
    /// (if `latest`: the run's creator may have died before it moved
    /// it). A run whose manifest in the home is the one this call
    /// offered (another rank of this node put it first) stays new.
    pub(crate) fn join(&self, local: Run, latest: bool, offered: &[u8]) -> Result<Run> {
        let address = local.address().clone();
        let manifest = self.fetch_run(&address)?;
        if latest {
            self.move_latest(&address, created_text(&manifest))?;
        }
        if local.is_new() && offered == &manifest[..] {
            return Ok(self.attach(local));
        }
        Ok(self.attach(local.joined()))
    }
}
