//! A family of a run whose home is object storage: its members are read
//! from the home's keys (the truth, whichever node stored them) as well as
//! from the working copy, and removed from both.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;

use runlayout_grammar::template::Value;

use crate::error::Result;
use crate::io::removal::Outcome;
use crate::io::working_copy::{self, RunHome};
use crate::layout::entry::EntryKind;
use crate::layout::family::key::Raw;
use crate::layout::family::template::{Level, Parsed};
use crate::layout::family::walk::Found;

/// What a home holds of a family: its keys below the family's base
/// folder, and which files of the working copy were uploaded.
pub(super) struct Stored {
    pub(super) home: Arc<RunHome>,
    /// The keys stored, as `/`-separated paths below the family's root.
    pub(super) keys: Keys,
    /// The working copy's files last uploaded or fetched, likewise.
    uploaded: Keys,
}

impl Stored {
    /// Whether the member at `path` (below `root`) in the working copy was
    /// stored once and is no longer: another node removed it, so it is
    /// no member any more. A member never uploaded is one, as on disk.
    pub(super) fn is_gone(&self, root: &Path, path: &Path, kind: EntryKind) -> bool {
        let Some(key) = path
            .strip_prefix(root)
            .ok()
            .and_then(working_copy::key_below)
        else {
            return false;
        };
        self.uploaded.holds(&key, kind) && !self.keys.holds(&key, kind)
    }
}

/// What the home of the working copy `root` is in holds of the family
/// whose fixed folders are `base`; `None` for a family outside any
/// working copy. One listing request per 1,000 keys, and a read of the
/// working copy's state.
pub(super) fn stored(root: &Path, base: &Path) -> Result<Option<Stored>> {
    let Some((home, root_in_run)) = working_copy::home_of_folder(root) else {
        return Ok(None);
    };
    let base_in_run = join(&root_in_run, &as_key(base));
    let listed = home.store.list(&home.key_of_folder(&base_in_run))?;
    let root_prefix = format!("{}/", home.key_of_folder(&root_in_run));
    let keys = listed
        .into_iter()
        .filter_map(|listed| plain_below(listed.key.strip_prefix(&root_prefix)?))
        .collect();
    let in_run_prefix = if root_in_run.is_empty() {
        String::new()
    } else {
        format!("{root_in_run}/")
    };
    let uploaded = working_copy::State::read(&home.dir, &home.url)?
        .files
        .into_keys()
        .filter_map(|key| plain_below(key.strip_prefix(&in_run_prefix)?))
        .collect();
    Ok(Some(Stored {
        keys: Keys {
            root_in_run: root_in_run.clone(),
            keys,
        },
        uploaded: Keys {
            root_in_run,
            keys: uploaded,
        },
        home,
    }))
}

/// `key`, if it names a plain path (no `..`, no empty part): keys that
/// do not are no member.
fn plain_below(key: &str) -> Option<String> {
    let plain = working_copy::key_below(Path::new(key))?;
    (plain == key).then_some(plain)
}

/// Removes the member at `member` (below `root`) from the home too: its
/// object, or every object below a folder member. `Removed` if anything
/// was, else what the removal here came to (`here`).
pub(super) fn remove(
    home: &RunHome,
    keys: &Keys,
    root: &Path,
    member: &Path,
    here: Outcome,
) -> Result<Outcome> {
    let Some(below_root) = member
        .strip_prefix(root)
        .ok()
        .and_then(working_copy::key_below)
    else {
        return Ok(here);
    };
    let doomed: Vec<&String> = if keys.keys.contains(&below_root) {
        vec![&below_root]
    } else {
        keys.below(&below_root).collect()
    };
    for key in &doomed {
        home.store
            .delete(&home.key_of(&join(&keys.root_in_run, key)))?;
    }
    Ok(if doomed.is_empty() {
        here
    } else {
        Outcome::Removed
    })
}

/// The keys of a home below a family's root.
pub(super) struct Keys {
    /// The family's root, below the run folder (`""`: the run folder).
    root_in_run: String,
    /// The keys, below the root.
    keys: BTreeSet<String>,
}

impl Keys {
    /// Whether a `want` is stored at `at`: the object itself for a file,
    /// any object below it for a folder.
    fn holds(&self, at: &str, want: EntryKind) -> bool {
        match want {
            EntryKind::File => self.keys.contains(at),
            EntryKind::Dir => self.below(at).next().is_some(),
        }
    }

    /// The keys below the folder `at`.
    pub(super) fn below<'a>(&'a self, at: &str) -> impl Iterator<Item = &'a String> + 'a {
        let prefix = if at.is_empty() {
            String::new()
        } else {
            format!("{at}/")
        };
        self.keys
            .range(prefix.clone()..)
            .take_while(move |key| key.starts_with(&prefix))
    }

    /// The names directly below the folder `at`, each once.
    fn names(&self, at: &str) -> BTreeSet<&str> {
        let skip = if at.is_empty() { 0 } else { at.len() + 1 };
        self.below(at)
            .filter_map(|key| key.get(skip..)?.split('/').next())
            .collect()
    }
}

impl Parsed {
    /// [`walk`](Parsed::walk), over the keys of a home instead of the
    /// folders below `root`: every member stored there, in no particular
    /// order, its place given below `root` as on disk.
    pub(super) fn walk_keys(
        &self,
        root: &Path,
        keys: &Keys,
        kind: EntryKind,
        visit: &mut dyn FnMut(&mut [Raw], Found<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut walk = KeyWalk {
            root,
            keys,
            levels: &self.levels,
            kind,
            values: Vec::with_capacity(self.kinds.len()),
            read: Vec::with_capacity(self.kinds.len()),
            visit,
        };
        walk.level(0, &as_key(&self.base))
    }
}

/// The state of one walk through a home's keys.
struct KeyWalk<'a> {
    root: &'a Path,
    keys: &'a Keys,
    levels: &'a [Level],
    kind: EntryKind,
    values: Vec<Raw>,
    read: Vec<Value>,
    visit: &'a mut dyn FnMut(&mut [Raw], Found<'_>) -> Result<()>,
}

impl KeyWalk<'_> {
    /// Walks the levels from `index` on, below the folder at key `at`.
    fn level(&mut self, index: usize, at: &str) -> Result<()> {
        let last = index + 1 == self.levels.len();
        let want = if last { self.kind } else { EntryKind::Dir };
        match &self.levels[index] {
            Level::Fixed(name) => {
                let here = join(at, name);
                if !last {
                    return self.level(index + 1, &here);
                }
                if self.keys.holds(&here, want) {
                    let dir = self.root.join(&here);
                    let own = self.values.len();
                    self.member(own, Found::new(&dir, None))?;
                }
                Ok(())
            }
            Level::Named { reader, first, .. } => {
                let names: Vec<String> =
                    self.keys.names(at).into_iter().map(str::to_owned).collect();
                for name in names {
                    // Hidden names are never members, as on disk.
                    if name.starts_with('.') || !reader.read(&name, *first, &mut self.read) {
                        continue;
                    }
                    let here = join(at, &name);
                    if !self.keys.holds(&here, want) {
                        continue;
                    }
                    let mark = self.values.len();
                    for value in &self.read {
                        self.values.push(match value {
                            Value::Uint(n) => Raw::Uint(*n),
                            Value::Text(range) => Raw::Text(name[range.clone()].to_owned()),
                            Value::Float(x) => Raw::Float(*x),
                        });
                    }
                    let result = if last {
                        let dir = self.root.join(at);
                        self.member(mark, Found::new(&dir, Some(OsStr::new(&name))))
                    } else {
                        self.level(index + 1, &here)
                    };
                    self.values.truncate(mark);
                    result?;
                }
                Ok(())
            }
        }
    }

    /// Hands a member to the visitor, as the folder walk does.
    fn member(&mut self, own: usize, found: Found<'_>) -> Result<()> {
        if own == 0 {
            (self.visit)(&mut self.values, found)
        } else {
            let mut values = self.values.clone();
            (self.visit)(&mut values, found)
        }
    }
}

/// `name` below the key `at`.
pub(super) fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}/{name}")
    }
}

/// A relative path as a key.
fn as_key(path: &Path) -> String {
    path.components()
        .filter_map(|part| part.as_os_str().to_str())
        .filter(|part| *part != ".")
        .collect::<Vec<_>>()
        .join("/")
}
