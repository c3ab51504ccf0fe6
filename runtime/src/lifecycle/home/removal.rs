//! Removing a run from its home, as a prune does: its manifest is first
//! replaced by a tombstone (only if it is still the manifest planned on),
//! so that from then on no node creates, opens or joins a run of that id
//! while its objects are deleted (a listing leaves it out, an open or a
//! join is `RunBeingRemoved`, a creator finds the id taken); the tombstone
//! goes last. A tombstone whose prune is gone (killed) is finished by the
//! next prune. A home has no claims: a node that opened the run before the
//! tombstone keeps writing into it, and what it writes after the deletion
//! is left below a key no listing shows.

use std::time::SystemTime;

use super::*;
use crate::error::Result;
use crate::io::process::{self, Fate};
use crate::record::manifest::MANIFEST;
use crate::record::process_record::ProcessRecord;
use crate::run::address::Address;

/// What stands at a run's `run.json` in the home while the run is being
/// removed. No manifest reads as it (it has no `id`); it names the prune
/// that removes the run, and since when.
#[derive(serde::Serialize, serde::Deserialize)]
struct Tombstone {
    runlayout_removing: Removing,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Removing {
    #[serde(flatten)]
    by: ProcessRecord,
    since: String,
    /// The manifest it stands in for, so that anyone can put it back: a
    /// removal a prune left is undone, not finished, when a run links
    /// to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    manifest: Option<String>,
}

/// Whether `bytes` (what stands at a run's `run.json`) is a tombstone.
pub(crate) fn is_tombstone(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Tombstone>(bytes).is_ok()
}

/// Whether the tombstone `bytes` was left by a prune that is gone: one of
/// this pid space whose process is no more, or any older than a day (a
/// prune of another machine cannot be asked).
pub(crate) fn is_left_behind(bytes: &[u8]) -> bool {
    let Ok(tombstone) = serde_json::from_slice::<Tombstone>(bytes) else {
        return false;
    };
    let removing = tombstone.runlayout_removing;
    if let Some(writer) = removing.by.writer()
        && process::fate(writer) == Fate::Gone
    {
        return true;
    }
    let since = crate::record::time::parse(&removing.since);
    since.is_some_and(|since| {
        SystemTime::now()
            .duration_since(since)
            .is_ok_and(|age| age > crate::io::temporary::FOREIGN_STALE_AFTER)
    })
}

impl Home {
    /// Puts a tombstone at the run's `run.json`, only if the manifest
    /// there is still `manifest`: `false` if it is not (removed, or made
    /// anew, since it was read).
    pub(crate) fn begin_removal(&self, address: &Address, manifest: &[u8]) -> Result<bool> {
        let key = join(&self.run_key(address), MANIFEST);
        let Some(stored) = self.store.get(&key)? else {
            return Ok(false);
        };
        if stored.bytes != manifest {
            return Ok(false);
        }
        let tombstone = Tombstone {
            runlayout_removing: Removing {
                by: ProcessRecord::this_process(),
                since: crate::record::time::now(),
                manifest: String::from_utf8(manifest.to_vec()).ok(),
            },
        };
        let bytes = serde_json::to_vec(&tombstone).unwrap_or_default();
        self.store.replace(&key, bytes, stored.version)
    }

    /// Puts `manifest` back in place of this process's tombstone: the run
    /// was found in use after all. `false` if the tombstone is not there.
    pub(crate) fn undo_removal(&self, address: &Address, manifest: &[u8]) -> Result<bool> {
        let key = join(&self.run_key(address), MANIFEST);
        match self.store.get(&key)? {
            Some(stored) if is_tombstone(&stored.bytes) => {
                self.store.replace(&key, manifest.to_vec(), stored.version)
            }
            _ => Ok(false),
        }
    }

    /// Deletes the tombstone at the run folder `key` (below the root),
    /// if one stands there: the id is free again. Before, the run's
    /// records are taken out of its stage's index (while the tombstone
    /// stands, no run of that id ends and is indexed anew).
    pub(crate) fn end_removal(&self, key: &str) -> Result<()> {
        let at = join(key, MANIFEST);
        match self.store.get(&at)? {
            Some(stored) if is_tombstone(&stored.bytes) => {
                crate::record::stage_index::forget(&self.store, key);
                self.store.delete(&at)
            }
            _ => Ok(()),
        }
    }

    /// Finishes the removal a prune that is gone left at the run folder
    /// `key` (below the root): every object below it, then its tombstone.
    /// Nothing happens unless a tombstone left behind stands there. A run
    /// that a run links to (a link made before the tombstone, which the
    /// gone prune never saw) is not removed: its manifest is put back.
    pub(crate) fn finish_left_removal(&self, key: &str) -> Result<bool> {
        let at = join(key, MANIFEST);
        let Some(stored) = self.store.get(&at)? else {
            return Ok(false);
        };
        if !is_left_behind(&stored.bytes) {
            return Ok(false);
        }
        // Linked to, or its links or objects cannot be read whole (another
        // tool wrote a key no path can be made of below it): it is not
        // finished, which could leave objects or a link behind, nor left
        // as it is, which would stop every prune here; it is undone, and
        // a prune that selects it again keeps it, saying why.
        let linked = descendant_keys(&self.store, key).map_or(true, |keys| !keys.is_empty());
        let objects = match linked {
            true => None,
            false => self.objects_below(key).ok(),
        };
        let Some(objects) = objects else {
            let tombstone = serde_json::from_slice::<Tombstone>(&stored.bytes).ok();
            let manifest = tombstone.and_then(|t| t.runlayout_removing.manifest);
            // A tombstone without its manifest stays: neither finished
            // nor undone.
            if let Some(manifest) = manifest {
                self.store
                    .replace(&at, manifest.into_bytes(), stored.version)?;
            }
            return Ok(false);
        };
        for object in objects {
            if object.relative != MANIFEST {
                self.delete_object(&object)?;
            }
        }
        self.end_removal(key)?;
        Ok(true)
    }
}
