//! The walk through a family's folders: every name read back through the
//! template's levels, each member handed to a visitor with its values.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use runlayout_grammar::template::Value;

use crate::error::Result;
use crate::io::fs;
use crate::io::temporary;
use crate::layout::entry::EntryKind;
use crate::layout::family::key::Raw;
use crate::layout::family::template::{Level, Parsed};

impl Parsed {
    /// Calls `visit` with the values and the place of every member below
    /// `root`, in no particular order.
    pub(super) fn walk(
        &self,
        root: &Path,
        kind: EntryKind,
        visit: &mut dyn FnMut(&mut [Raw], Found<'_>) -> Result<()>,
    ) -> Result<()> {
        self.walk_sweeping(root, kind, false, visit)
    }

    /// [`walk`](Parsed::walk), removing on the way, when `sweep` is set,
    /// the temporaries dead processes left in the folders it reads (a
    /// writer's half-written member, a removal's member renamed aside).
    pub(super) fn walk_sweeping(
        &self,
        root: &Path,
        kind: EntryKind,
        sweep: bool,
        visit: &mut dyn FnMut(&mut [Raw], Found<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut path = root.join(&self.base);
        let mut walk = Walk {
            levels: &self.levels,
            kind,
            sweep,
            values: Vec::with_capacity(self.kinds.len()),
            read: Vec::with_capacity(self.kinds.len()),
            visit,
        };
        walk.level(0, &mut path)
    }
}

/// Where the walk found a member: its folder and, unless the member's own
/// name is fixed (and already in `dir`), its name. The path is made only
/// when asked for, so `last()` makes none for the members it passes over.
#[derive(Clone, Copy)]
pub(super) struct Found<'a> {
    dir: &'a Path,
    name: Option<&'a OsStr>,
}

impl<'a> Found<'a> {
    /// A member found in `dir`, under `name` unless its name is in `dir`
    /// already.
    #[cfg_attr(not(feature = "object-store"), allow(dead_code))]
    pub(super) fn new(dir: &'a Path, name: Option<&'a OsStr>) -> Found<'a> {
        Found { dir, name }
    }

    pub(super) fn path(&self) -> PathBuf {
        match self.name {
            Some(name) => self.dir.join(name),
            None => self.dir.to_path_buf(),
        }
    }
}

/// The state of one walk through a family's folders.
struct Walk<'a> {
    levels: &'a [Level],
    kind: EntryKind,
    /// Whether stale temporaries in the folders read are removed.
    sweep: bool,
    /// The values of the levels above, then of the current name.
    values: Vec<Raw>,
    /// Scratch space for one name's values.
    read: Vec<Value>,
    visit: &'a mut dyn FnMut(&mut [Raw], Found<'_>) -> Result<()>,
}

impl Walk<'_> {
    /// Hands a member to the visitor, which may take its values: those from
    /// index `own` on belong to this member alone, those before it to the
    /// folders above, which later members share, so they are copied.
    fn member(&mut self, own: usize, found: Found<'_>) -> Result<()> {
        if own == 0 {
            (self.visit)(&mut self.values, found)
        } else {
            let mut values = self.values.clone();
            (self.visit)(&mut values, found)
        }
    }

    /// Walks the levels from `index` on, below the folder `path`.
    fn level(&mut self, index: usize, path: &mut PathBuf) -> Result<()> {
        let last = index + 1 == self.levels.len();
        let want = if last { self.kind } else { EntryKind::Dir };
        match &self.levels[index] {
            Level::Fixed(name) => {
                path.push(name);
                let result = if last {
                    let found = Found {
                        dir: path,
                        name: None,
                    };
                    match is_kind_at(path, want) {
                        Ok(true) => self.member(self.values.len(), found),
                        Ok(false) => Ok(()),
                        Err(e) => Err(e),
                    }
                } else {
                    self.level(index + 1, path)
                };
                path.pop();
                result
            }
            Level::Named { reader, first, .. } => {
                // No folder (or a file where it should be), no members.
                let Some(entries) = fs::read_dir_if_reachable(path)? else {
                    return Ok(());
                };
                for entry in entries {
                    let entry = entry?;
                    let name = entry.file_name();
                    let Some(text) = name.to_str() else {
                        continue;
                    };
                    // Hidden names (runlayout's temporaries among them) are
                    // never members; no placeholder value starts with `.`.
                    if text.starts_with('.') {
                        if self.sweep {
                            temporary::remove_if_stale(path, &name);
                        }
                        continue;
                    }
                    if !reader.read(text, *first, &mut self.read) {
                        continue;
                    }
                    let mark = self.values.len();
                    for value in &self.read {
                        self.values.push(match value {
                            Value::Uint(n) => Raw::Uint(*n),
                            Value::Text(range) => Raw::Text(text[range.clone()].to_owned()),
                            Value::Float(x) => Raw::Float(*x),
                        });
                    }
                    let found = Found {
                        dir: path,
                        name: Some(&name),
                    };
                    let result = match is_kind(&entry, found, want) {
                        Ok(true) if last => self.member(mark, found),
                        Ok(true) => {
                            path.push(&name);
                            let result = self.level(index + 1, path);
                            path.pop();
                            result
                        }
                        Ok(false) => Ok(()),
                        Err(e) => Err(e),
                    };
                    self.values.truncate(mark);
                    result?;
                }
                Ok(())
            }
        }
    }
}

/// Whether the folder entry `found` is a `want`: by the type the folder
/// listing gives, and for a symlink by what it leads to (a dangling link is
/// nothing). Nothing there (any more: removed while it was walked) is none.
fn is_kind(entry: &std::fs::DirEntry, found: Found<'_>, want: EntryKind) -> Result<bool> {
    match fs::entry_type(entry)? {
        Some(t) if t.is_symlink() => is_kind_at(&found.path(), want),
        Some(t) => Ok(matches_kind(t, want)),
        None => Ok(false),
    }
}

/// Whether a `want` stands at `path`, following symlinks.
fn is_kind_at(path: &Path, want: EntryKind) -> Result<bool> {
    let meta = fs::metadata_if_reachable(path)?;
    Ok(meta.is_some_and(|meta| matches_kind(meta.file_type(), want)))
}

fn matches_kind(t: std::fs::FileType, want: EntryKind) -> bool {
    match want {
        EntryKind::File => t.is_file(),
        EntryKind::Dir => t.is_dir(),
    }
}
