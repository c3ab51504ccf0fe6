//! Removing a run from its home, as a prune does: its manifest is first
//! replaced by a tombstone (only if it is still the manifest read), so
//! that from then on no node creates, opens or joins a run of that id
//! while its objects are deleted (a listing leaves it out, an open or a
//! join is `RunBeingRemoved`, a creator finds the id taken); the tombstone
//! goes last. A home has no claims: a node that opened the run before the
//! tombstone keeps writing into it, and what it writes after the deletion
//! is left below a key no listing shows.

use super::*;
use crate::error::Result;
use crate::record::manifest::MANIFEST;
use crate::run::address::Address;

/// What stands at a run's `run.json` in the home while the run is being
/// removed. No manifest reads as it (it has no `id`), and it names who
/// removes the run, and since when.
#[derive(serde::Serialize, serde::Deserialize)]
struct Tombstone {
    runlayout_removing: Removing,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Removing {
    host: Option<String>,
    pid: u32,
    since: String,
}

/// Whether `bytes` (what stands at a run's `run.json`) is a tombstone.
pub(crate) fn is_tombstone(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Tombstone>(bytes).is_ok()
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
        let me = crate::io::process::current();
        let tombstone = Tombstone {
            runlayout_removing: Removing {
                host: me.host.clone(),
                pid: me.pid,
                since: crate::record::time::now(),
            },
        };
        let bytes = serde_json::to_vec(&tombstone).unwrap_or_default();
        self.store.replace(&key, bytes, stored.version)
    }

    /// Deletes the tombstone: the run's id is free again.
    pub(crate) fn finish_removal(&self, address: &Address) -> Result<()> {
        self.store.delete(&join(&self.run_key(address), MANIFEST))
    }
}
