//! `Entry` and `EntryKind`: one declared path of a layout, as the derive
//! writes it into `Layout::ENTRIES`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Whether an [`Entry`] names a folder or a file.
///
/// ```
/// use runlayout::layout::{Entry, EntryKind};
///
/// assert_eq!(Entry::file("logfile", "log.txt").kind(), EntryKind::File);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum EntryKind {
    /// A folder.
    Dir,
    /// A file.
    File,
}

/// One declared path of a [`Layout`](crate::Layout): its accessor's name,
/// its path relative to the layout's root (`/`-separated, `{placeholders}`
/// included, as declared), its kind, and for a nested layout the entries of
/// that layout.
///
/// ```
/// use runlayout::layout::{Entry, EntryKind};
///
/// let e = Entry::dir("checkpoint", "checkpoints");
/// assert_eq!((e.name(), e.path(), e.kind()), ("checkpoint", "checkpoints", EntryKind::Dir));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    name: &'static str,
    path: &'static str,
    kind: EntryKind,
    children: &'static [Entry],
}

impl Entry {
    /// A folder entry.
    ///
    /// ```
    /// let e = runlayout::layout::Entry::dir("plots", "plots/");
    /// assert_eq!(e.path(), "plots/");
    /// ```
    pub const fn dir(name: &'static str, path: &'static str) -> Entry {
        Entry {
            name,
            path,
            kind: EntryKind::Dir,
            children: &[],
        }
    }

    /// A file entry.
    ///
    /// ```
    /// let e = runlayout::layout::Entry::file("summary", "tracker/summary.yaml");
    /// assert_eq!(e.name(), "summary");
    /// ```
    pub const fn file(name: &'static str, path: &'static str) -> Entry {
        Entry {
            name,
            path,
            kind: EntryKind::File,
            children: &[],
        }
    }

    /// A folder that holds another layout, whose entries are `children`.
    ///
    /// ```
    /// use runlayout::layout::Entry;
    ///
    /// const TRACKER: &[Entry] = &[Entry::file("config", "config.yaml")];
    /// let e = Entry::nested("tracker", "basetracker", TRACKER);
    /// assert_eq!(e.children().len(), 1);
    /// ```
    pub const fn nested(
        name: &'static str,
        path: &'static str,
        children: &'static [Entry],
    ) -> Entry {
        Entry {
            name,
            path,
            kind: EntryKind::Dir,
            children,
        }
    }

    /// The accessor's name.
    ///
    /// ```
    /// assert_eq!(runlayout::layout::Entry::dir("ckpt", "checkpoints").name(), "ckpt");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The path relative to the layout's root, as declared.
    ///
    /// ```
    /// let e = runlayout::layout::Entry::file("epoch", "checkpoints/epoch_{epoch}.ckpt");
    /// assert_eq!(e.path(), "checkpoints/epoch_{epoch}.ckpt");
    /// ```
    pub const fn path(&self) -> &'static str {
        self.path
    }

    /// Folder or file.
    ///
    /// ```
    /// use runlayout::layout::{Entry, EntryKind};
    /// assert_eq!(Entry::dir("d", "d").kind(), EntryKind::Dir);
    /// ```
    pub const fn kind(&self) -> EntryKind {
        self.kind
    }

    /// The entries of a nested layout; empty for other entries.
    ///
    /// ```
    /// assert!(runlayout::layout::Entry::dir("d", "d").children().is_empty());
    /// ```
    pub const fn children(&self) -> &'static [Entry] {
        self.children
    }

    /// Whether the path has `{placeholders}`, filled in by the accessor's
    /// arguments.
    ///
    /// ```
    /// use runlayout::layout::Entry;
    /// assert!(Entry::file("e", "epoch_{n}.ckpt").is_parameterized());
    /// assert!(!Entry::file("l", "log.txt").is_parameterized());
    /// ```
    pub fn is_parameterized(&self) -> bool {
        self.path.contains('{')
    }

    /// The folders this entry needs, each with all its parents, below `base`:
    /// the folder itself, or a file's parent, up to the first component that
    /// depends on a placeholder (which only the accessor can fill in).
    pub(crate) fn folders(&self, base: &Path, out: &mut BTreeSet<PathBuf>) {
        let folder = match self.kind {
            EntryKind::Dir => self.path,
            EntryKind::File => self.path.rsplit_once('/').map_or("", |(dir, _)| dir),
        };
        let mut path = base.to_path_buf();
        let mut fixed = true;
        for part in folder.split('/').filter(|p| !p.is_empty()) {
            if part.contains('{') {
                fixed = false;
                break;
            }
            path.push(part);
            out.insert(path.clone());
        }
        if fixed {
            for child in self.children {
                child.folders(&path, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folders(entries: &[Entry]) -> Vec<String> {
        let mut out = BTreeSet::new();
        for e in entries {
            e.folders(Path::new(""), &mut out);
        }
        out.iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn folders_come_parents_first_and_once() {
        const TRACKER: &[Entry] = &[Entry::file("c", "config.yaml"), Entry::dir("p", "plots")];
        let got = folders(&[
            Entry::dir("ckpt", "checkpoints/"),
            Entry::file("log", "log.txt"),
            Entry::file("cfg", "basetracker/config.yaml"),
            Entry::file("sum", "basetracker/summary.yaml"),
            Entry::file("epoch", "checkpoints/epoch_{e}/model.bin"),
            Entry::dir("per_split", "eval/{split}/plots"),
            Entry::nested("tracker", "a/tracker", TRACKER),
        ]);
        assert_eq!(
            got,
            [
                "a",
                "a/tracker",
                "a/tracker/plots",
                "basetracker",
                "checkpoints",
                "eval"
            ]
        );
    }
}
