//! A run's working copy and its home in object storage, as the file
//! writers below the run layer see them: where a run lives (`RunHome`),
//! which working copies this process has open (so that a file written
//! atomically in one is stored in its home before the write returns), and
//! the working copy's state file, which remembers what was last uploaded
//! and which home the working copy belongs to.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Operation, RecordKind, Result};
use crate::io::fs::At;
use crate::io::store::Store;
use crate::io::temporary;

/// The working copy's state file, in the run folder. Hidden, never
/// uploaded.
pub(crate) const STATE: &str = ".runlayout-home.json";

/// Where a run lives in object storage, and its working copy.
#[derive(Debug)]
pub(crate) struct RunHome {
    pub(crate) store: Store,
    /// The run folder's key below the root (`pretrain/2026-12-06_k3x9a`).
    pub(crate) key: String,
    /// The run folder's URL.
    pub(crate) url: String,
    /// The working copy: the run's local folder.
    pub(crate) dir: PathBuf,
    /// The status record a listing read with the run's manifest (`None`
    /// inside: there was none), for the first status read to use.
    pub(crate) listed_status: Mutex<Option<Result<Option<Vec<u8>>>>>,
}

impl RunHome {
    /// The home's status record: the one a listing read, once, else read
    /// now.
    pub(crate) fn status_bytes(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let listed = self
            .listed_status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match listed {
            Some(listed) => listed,
            None => Ok(self.store.get(key)?.map(|object| object.bytes)),
        }
    }

    /// Changes the home's record at `relative` by `change` (given what
    /// is stored there, `None` if nothing is): read, change, put only if
    /// the record is still as read (or still absent), else read again and
    /// change again, so that no writer's change is lost to another's.
    /// Returns the record as stored.
    ///
    /// # Errors
    ///
    /// Those of `change`; [`Error::Store`] naming the record if a request
    /// fails, or if other writers' changes came first 16 times in a row.
    pub(crate) fn change_record(
        &self,
        relative: &str,
        change: impl Fn(Option<&[u8]>) -> Result<Vec<u8>>,
    ) -> Result<Vec<u8>> {
        const TRIES: usize = 16;
        let key = self.key_of(relative);
        for _ in 0..TRIES {
            let stored = self.store.get(&key)?;
            let next = change(stored.as_ref().map(|object| &object.bytes[..]))?;
            let put = match stored {
                Some(object) => self.store.replace(&key, next.clone(), object.version)?,
                None => self.store.create(&key, next.clone())?,
            };
            if put {
                return Ok(next);
            }
        }
        Err(Error::Store {
            op: "update",
            url: self.store.url_of(&key),
            message: format!("other writers' changes came first {TRIES} times in a row"),
        })
    }

    /// Records the working copy's file at `relative` as holding what the
    /// home holds (a sync leaves it until it changes here).
    pub(crate) fn mark_stored(&self, relative: &str) -> Result<()> {
        let dir = self.dir.clone();
        let mut marked = Ok(());
        self.update(|state| marked = state.mark(&dir, relative))?;
        marked
    }

    /// The key of `relative` (a path below the run folder, `/`-separated).
    pub(crate) fn key_of(&self, relative: &str) -> String {
        format!("{}/{relative}", self.key)
    }

    /// The key of the folder `relative` below the run folder (`""`: the
    /// run folder itself).
    pub(crate) fn key_of_folder(&self, relative: &str) -> String {
        if relative.is_empty() {
            self.key.clone()
        } else {
            self.key_of(relative)
        }
    }

    /// Uploads the file at `relative` in the working copy, and records it
    /// as uploaded as it was when read. Returns the bytes uploaded.
    pub(crate) fn upload(&self, relative: &str) -> Result<u64> {
        let path = self.dir.join(relative);
        let meta = std::fs::symlink_metadata(&path).at(Operation::Metadata, &path)?;
        let sent = self.store.put_file(&self.key_of(relative), &path)?;
        self.update(|state| {
            state.files.insert(relative.to_owned(), stamp(&meta));
        })?;
        Ok(sent)
    }

    /// Changes the working copy's state with `change`, one change at a
    /// time in this process.
    pub(crate) fn update(&self, change: impl FnOnce(&mut State)) -> Result<()> {
        static CHANGING: Mutex<()> = Mutex::new(());
        let _turn = CHANGING.lock().unwrap_or_else(PoisonError::into_inner);
        let mut state = State::read(&self.dir, &self.url)?;
        change(&mut state);
        state.write(&self.dir)
    }
}

/// The working copies of the runs this process holds, each as long as a
/// `Run` (or a clone of it) holds it.
static HOMES: Mutex<Vec<Weak<RunHome>>> = Mutex::new(Vec::new());

/// `home`, registered as a working copy of this process until its last
/// holder lets it go.
pub(crate) fn register(home: RunHome) -> Arc<RunHome> {
    let home = Arc::new(home);
    let mut homes = HOMES.lock().unwrap_or_else(PoisonError::into_inner);
    homes.retain(|held| held.strong_count() > 0);
    homes.push(Arc::downgrade(&home));
    home
}

/// The working copy `path` is in, and its `/`-separated path there.
fn home_of(path: &Path) -> Option<(Arc<RunHome>, String)> {
    home_of_folder(path).filter(|(_, relative)| !relative.is_empty())
}

/// The working copy the folder `path` is (`""`) or is in, and its
/// `/`-separated path there.
pub(crate) fn home_of_folder(path: &Path) -> Option<(Arc<RunHome>, String)> {
    let homes = HOMES.lock().unwrap_or_else(PoisonError::into_inner);
    homes
        .iter()
        .filter_map(Weak::upgrade)
        .filter_map(|home| {
            let below = path.strip_prefix(&home.dir).ok()?;
            let relative = if below.as_os_str().is_empty() {
                String::new()
            } else {
                key_below(below)?
            };
            Some((home, relative))
        })
        // A working copy inside another's folder is the nearer one.
        .max_by_key(|(home, _)| home.dir.as_os_str().len())
}

/// After a file was written atomically at `path`: stores it in its run's
/// home if it is in a working copy of a run that lives in object storage
/// (one put, or an upload in parts above the threshold). The working
/// copy's own files are never stored this way.
pub(crate) fn store_written(path: &Path) -> Result<()> {
    match home_of(path) {
        Some((home, relative)) if !is_own(&relative) => home.upload(&relative).map(drop),
        _ => Ok(()),
    }
}

/// The run folder's own files a sync leaves: the manifest (in the home
/// since the run was made), the record lock, the state file.
pub(crate) fn is_own(relative: &str) -> bool {
    [
        runlayout_grammar::names::MANIFEST,
        runlayout_grammar::names::LOCK,
        STATE,
    ]
    .contains(&relative)
}

/// `relative` as a key below the run folder, if it stays below it.
pub(crate) fn key_below(relative: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for part in relative.components() {
        match part {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The state file's contents.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct State {
    /// The run's URL in its home.
    pub(crate) home: String,
    /// Each uploaded file's `[size, modification time in ns]`, by its
    /// `/`-separated path below the run folder.
    #[serde(default)]
    pub(crate) files: BTreeMap<String, (u64, u128)>,
}

impl State {
    /// The state of the working copy at `dir`; an empty one (for `home`)
    /// if there is none yet. A working copy of another home is an error:
    /// two homes' runs of one name would share it.
    pub(crate) fn read(dir: &Path, home: &str) -> Result<State> {
        let path = dir.join(STATE);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(State {
                    home: home.to_owned(),
                    files: BTreeMap::new(),
                });
            }
            Err(e) => return Err(e).at(Operation::ReadFile, &path),
        };
        let state: State = serde_json::from_slice(&text).map_err(|e| Error::InvalidRecord {
            path: path.clone(),
            kind: RecordKind::WorkingCopy,
            message: e.to_string(),
        })?;
        if state.home != home {
            return Err(Error::UnsupportedRoot {
                root: home.to_owned(),
                reason: format!(
                    "its working copy `{}` belongs to `{}`: give this run another cache folder \
                     (RunBuilder::cache_dir, RUNLAYOUT_CACHE)",
                    dir.display(),
                    state.home
                ),
            });
        }
        Ok(state)
    }

    /// Writes the state back, atomically.
    pub(crate) fn write(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_vec_pretty(self).unwrap_or_default();
        temporary::replace(&dir.join(STATE), Operation::WriteFile, |tmp| {
            use std::io::Write as _;
            std::fs::File::create_new(tmp)?.write_all(&text)
        })
    }

    /// Whether the file at `relative` (below `dir`) is as it was when last
    /// uploaded or fetched: the home holds it as it is here.
    pub(crate) fn holds(&self, dir: &Path, relative: &str) -> bool {
        let meta = std::fs::symlink_metadata(dir.join(relative));
        meta.is_ok_and(|meta| self.files.get(relative) == Some(&stamp(&meta)))
    }

    /// Records the file at `relative` (below `dir`) as uploaded as it is now.
    pub(crate) fn mark(&mut self, dir: &Path, relative: &str) -> Result<()> {
        let path = dir.join(relative);
        let meta = std::fs::symlink_metadata(&path).at(Operation::Metadata, &path)?;
        self.files.insert(relative.to_owned(), stamp(&meta));
        Ok(())
    }
}

/// A file's size and modification time: what tells a changed file.
pub(crate) fn stamp(meta: &std::fs::Metadata) -> (u64, u128) {
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    (meta.len(), modified)
}
