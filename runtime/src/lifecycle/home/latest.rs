//! The `latest` object of a stage in the home: read, and moved forward by
//! conditional replaces, never back.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use super::*;
use crate::error::{Error, RecordKind, Result};
use crate::record::time;
use crate::run::address::{Address, Group};

/// How often the `latest` object is written before a race is let be.
pub(super) const MAX_MOVES: usize = 16;

/// Conditional replaces of a `latest` object that another writer won,
/// in this process (each was read again and retried).
pub(crate) static LOST_RACES: AtomicU64 = AtomicU64::new(0);

/// Whether the run `pointer` names was made after `created` (a run of
/// unknown time is older than any other).
pub(super) fn is_newer(pointer: &Pointer, created: Option<SystemTime>) -> bool {
    let theirs = pointer.created.as_deref().and_then(time::parse);
    match (theirs, created) {
        (Some(theirs), Some(mine)) => theirs > mine,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// What a `latest` object holds: the run it names (relative to the
/// stage, as a `latest` link's target) and when that run was made.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Pointer {
    run: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created: Option<String>,
}

impl Pointer {
    pub(super) fn parse(bytes: &[u8], url: &str) -> Result<Pointer> {
        serde_json::from_slice(bytes).map_err(|e| Error::InvalidRecord {
            kind: RecordKind::Latest,
            path: PathBuf::from(url),
            message: e.to_string(),
        })
    }

    pub(super) fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// When the manifest `text` says its run was made, as it says it.
pub(super) fn created_text(text: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(text).ok()?;
    Some(value.get("created")?.as_str()?.to_owned())
}

/// The key of the `latest` object of `group`.
pub(super) fn pointer_key(group: Group<'_>) -> String {
    key_of(&group.pointer(Path::new("")))
}

impl Home {
    /// The run the `latest` object of `group` names in the home.
    pub(crate) fn latest(&self, group: Group<'_>) -> Result<Option<Address>> {
        let key = pointer_key(group);
        let Some(object) = self.store.get(&key)? else {
            return Ok(None);
        };
        let pointer = Pointer::parse(&object.bytes, &self.store.url_of(&key))?;
        match group.address_of_target(Path::new(&pointer.run)) {
            Some(address) => Ok(Some(address)),
            None => Err(Error::InvalidRecord {
                kind: RecordKind::Latest,
                path: PathBuf::from(self.store.url_of(&key)),
                message: format!("`{}` names no run of the stage", pointer.run),
            }),
        }
    }

    /// Moves the `latest` object of the run's stage to the run at
    /// `address`, made at `created`, unless it names a run made later:
    /// read, compare, replace only if unchanged since the read; a lost
    /// race is read again (and counted in [`LOST_RACES`]).
    pub(super) fn move_latest(&self, address: &Address, created: Option<String>) -> Result<()> {
        let key = pointer_key(address.group());
        let target = key_of(&address.pointer_target());
        let mine = created.as_deref().and_then(time::parse);
        let body = Pointer {
            run: target.clone(),
            created,
        }
        .to_bytes();
        for _ in 0..MAX_MOVES {
            let written = match self.store.get(&key)? {
                None => self.store.create(&key, body.clone())?,
                Some(current) => {
                    let pointer = Pointer::parse(&current.bytes, &self.store.url_of(&key));
                    if let Ok(pointer) = &pointer
                        && (pointer.run == target || is_newer(pointer, mine))
                    {
                        return Ok(());
                    }
                    self.store.replace(&key, body.clone(), current.version)?
                }
            };
            if written {
                return Ok(());
            }
            LOST_RACES.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The run the `latest` object of `group` names now, and the object's
    /// bytes as read (to change it only if unchanged); `None` if there is
    /// no such object.
    pub(crate) fn latest_as_stored(&self, group: Group<'_>) -> Result<Option<(Address, Vec<u8>)>> {
        let key = pointer_key(group);
        let Some(object) = self.store.get(&key)? else {
            return Ok(None);
        };
        let Some(address) = self.latest(group)? else {
            return Ok(None);
        };
        Ok(Some((address, object.bytes)))
    }

    /// Sets the `latest` object of `group`, only if it still holds
    /// `stored`, to the run at `to`, made at `created` (or removes it,
    /// `to` being `None`): how a prune that removed the run it named moves
    /// it on, back to an older run if need be. `false` if another writer
    /// changed it since (a creator moved it on to its new run: it stays).
    /// A removal is a read and a delete: a creator moving it in between
    /// loses its pointer, which its stage's next run makes again.
    pub(crate) fn reset_latest(
        &self,
        group: Group<'_>,
        stored: &[u8],
        to: Option<(&Address, Option<String>)>,
    ) -> Result<bool> {
        let key = pointer_key(group);
        let Some(current) = self.store.get(&key)? else {
            return Ok(false);
        };
        if current.bytes != stored {
            return Ok(false);
        }
        match to {
            Some((address, created)) => {
                let body = Pointer {
                    run: key_of(&address.pointer_target()),
                    created,
                }
                .to_bytes();
                self.store.replace(&key, body, current.version)
            }
            None => self.store.delete(&key).map(|()| true),
        }
    }
}
