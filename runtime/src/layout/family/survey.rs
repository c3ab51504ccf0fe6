//! [`survey`]: the members of a template known only when the program
//! runs (a layout read back from a run's record), and [`foreign`]: what
//! else stands in the folders of a layout's families; both for the
//! `runlayout` command.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use runlayout_grammar::names::RUN_NAMES;

use crate::error::{Error, Result};
use crate::io::{fs, temporary};
use crate::layout::entry::EntryKind;
use crate::layout::family::key::Raw;
use crate::layout::family::template::{Parsed, parse};

/// How many members a template has below a root, and which has the
/// greatest values: [`survey`].
///
/// ```
/// # let run = tempfile::tempdir()?;
/// use runlayout::{__cli::survey, layout::EntryKind};
/// std::fs::create_dir(run.path().join("checkpoints"))?;
/// for name in ["epoch_0002.ckpt", "epoch_0010.ckpt", "notes.txt"] {
///     std::fs::write(run.path().join("checkpoints").join(name), b"")?;
/// }
/// let found = survey(run.path(), "checkpoints/epoch_{epoch:04}.ckpt", EntryKind::File)?;
/// assert_eq!(found.members, 2);
/// assert_eq!(found.last, Some(run.path().join("checkpoints/epoch_0010.ckpt")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Survey {
    /// How many members there are.
    pub members: usize,
    /// The member with the greatest values.
    pub last: Option<PathBuf>,
}

/// The members of `template` (an entry's path with its placeholders, of
/// `kind`) below `root`, counted, and the greatest: [`Family::list`](crate::Family::list) and
/// [`Family::last`](crate::Family::last) for a template known only when the program runs (a
/// layout read back from a run's record). Members are what a family of
/// that entry would list.
///
/// # Errors
///
/// [`Error::InvalidTemplate`] for a template that cannot name a family,
/// and those of [`Family::list`](crate::Family::list).
///
/// ```
/// # let run = tempfile::tempdir()?;
/// let none = runlayout::__cli::survey(run.path(), "steps/{step:u32}", runlayout::layout::EntryKind::Dir)?;
/// assert_eq!((none.members, none.last), (0, None));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn survey(root: &Path, template: &str, kind: EntryKind) -> Result<Survey> {
    let parsed = parsed(template)?;
    let mut members = 0;
    let mut best: Option<Vec<Raw>> = None;
    parsed.walk(root, kind, &mut |values, _| {
        members += 1;
        if best.as_deref().is_none_or(|b| &*values > b) {
            best = Some(values.to_vec());
        }
        Ok(())
    })?;
    Ok(Survey {
        members,
        last: best.map(|values| parsed.render(root, &values)),
    })
}

/// `template` parsed, or why it cannot name a family.
fn parsed(template: &str) -> Result<Parsed> {
    parse(template).map_err(|problem| Error::InvalidTemplate {
        template: template.to_owned(),
        problem,
    })
}

/// How many foreign files [`Foreign`] names.
const EXAMPLES: usize = 5;

/// What stands in the folders of a layout's families and is neither a
/// member nor runlayout's own temporary: [`foreign`].
///
/// ```
/// # let run = tempfile::tempdir()?;
/// use runlayout::{__cli::foreign, layout::EntryKind};
/// let ckpt = run.path().join("checkpoints");
/// std::fs::create_dir(&ckpt)?;
/// for name in ["epoch_0001.ckpt", ".tmpX4b9Qz", "epoch_1.ckpt"] {
///     std::fs::write(ckpt.join(name), b"")?;
/// }
/// let found = foreign(run.path(), &[("checkpoints/epoch_{epoch:04}.ckpt", EntryKind::File)])?;
/// assert_eq!(found.count, 2);
/// assert_eq!(found.examples, [ckpt.join(".tmpX4b9Qz"), ckpt.join("epoch_1.ckpt")]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Foreign {
    /// How many there are.
    pub count: usize,
    /// The first few of them, by path.
    pub examples: Vec<PathBuf>,
}

/// The foreign files of a layout's families below `root`, given the
/// layout's `entries` (each entry's path, placeholders included, and its
/// kind): a killed saver's temporary, a checkpoint named by hand.
///
/// A family's folders are those that hold its members: for
/// `checkpoints/epoch_{epoch:04}.ckpt`, `checkpoints/` (whether or not it
/// holds members); for `eval/{split}/metrics.json`, each `eval/<split>/`
/// that holds a member. A name there is foreign unless it is a member of
/// an entry, an entry's fixed path, a folder on the way to either, a name
/// runlayout keeps in a run (`run.json`, `ancestor`, ...), or one of
/// runlayout's temporaries. Nothing is followed out of those folders, and
/// nothing is removed.
///
/// # Errors
///
/// [`Error::InvalidTemplate`] for a template that cannot name a family;
/// [`Error::Io`] naming a folder that cannot be read.
///
/// ```
/// # let run = tempfile::tempdir()?;
/// use runlayout::{__cli::foreign, layout::EntryKind};
/// let found = foreign(run.path(), &[("steps/{step:u32}", EntryKind::Dir)])?;
/// assert_eq!(found.count, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn foreign(root: &Path, entries: &[(&str, EntryKind)]) -> Result<Foreign> {
    let mut accounted: HashSet<PathBuf> = RUN_NAMES.iter().map(|n| root.join(n)).collect();
    let mut folders = BTreeSet::new();
    for &(template, kind) in entries {
        if !template.contains('{') {
            account(&mut accounted, root, &root.join(template));
            continue;
        }
        let parsed = parsed(template)?;
        let base = root.join(&parsed.base);
        // The member's own name is the first with placeholders: its
        // folder is fixed, and is the family's even while empty.
        if parsed.levels.len() == 1 {
            folders.insert(base.clone());
        }
        account(&mut accounted, root, &base);
        parsed.walk(root, kind, &mut |_, found| {
            let path = found.path();
            if let Some(folder) = path.parent() {
                folders.insert(folder.to_path_buf());
            }
            account(&mut accounted, root, &path);
            Ok(())
        })?;
    }
    let mut all = Vec::new();
    for folder in folders {
        let Some(names) = fs::read_dir_if_reachable(&folder)? else {
            continue;
        };
        for entry in names {
            let name = entry?.file_name();
            let path = folder.join(&name);
            if !temporary::is_temporary(&name) && !accounted.contains(&path) {
                all.push(path);
            }
        }
    }
    all.sort();
    let count = all.len();
    all.truncate(EXAMPLES);
    Ok(Foreign {
        count,
        examples: all,
    })
}

/// Counts `path` and the folders on its way from `root` as the layout's.
fn account(accounted: &mut HashSet<PathBuf>, root: &Path, path: &Path) {
    for place in path.ancestors() {
        if place == root || !accounted.insert(place.to_path_buf()) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn touch(root: &Path, path: &str) -> std::io::Result<()> {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a folder"))?;
        std::fs::write(path, b"")
    }

    #[test]
    fn foreign_files_are_what_no_entry_accounts_for_in_family_folders() -> TestResult {
        let run = tempfile::tempdir()?;
        let root = run.path();
        let entries = [
            ("checkpoints/epoch_{epoch:04}.ckpt", EntryKind::File),
            ("checkpoints/best.ckpt", EntryKind::File),
            ("eval/{split}/metrics.json", EntryKind::File),
            ("eval/{split}/preds.csv", EntryKind::File),
            ("{name}.json", EntryKind::File),
            ("log.txt", EntryKind::File),
        ];
        for path in [
            "checkpoints/epoch_0001.ckpt",
            "checkpoints/best.ckpt",
            "eval/val/metrics.json",
            "eval/val/preds.csv",
            "eval/test/preds.csv",
            "config.json",
            "log.txt",
            "run.json",
            "run.status.json",
            // Runlayout's own temporaries, a file's and a saver's folder.
            "checkpoints/.runlayout-1-1-00000000-abcdefgh.tmp",
            "checkpoints/.runlayout-1-1-00000000-bcdefghi.tmp/epoch_0002.ckpt",
            // Foreign: a killed saver's temporary, a name that is no member,
            // a stray file beside members.
            "checkpoints/.tmpX4b9Qz",
            "checkpoints/epoch_2.ckpt",
            "eval/val/plot.png",
            "stdout.log",
            // Not in a family folder: a folder of no member is not read,
            // nor one below a family folder (but it is foreign there).
            "eval/empty/.tmpA1b2C3",
            "elsewhere/.tmpA1b2C3",
        ] {
            touch(root, path)?;
        }
        let found = foreign(root, &entries)?;
        let expected = [
            "checkpoints/.tmpX4b9Qz",
            "checkpoints/epoch_2.ckpt",
            "elsewhere",
            "eval/val/plot.png",
            "stdout.log",
        ];
        assert_eq!(found.count, 5, "{found:?}");
        assert_eq!(
            found.examples,
            expected.map(|p| root.join(p)).to_vec(),
            "{found:?}"
        );
        Ok(())
    }

    #[test]
    fn foreign_files_are_counted_past_the_examples_and_in_an_empty_family() -> TestResult {
        let run = tempfile::tempdir()?;
        for n in 0..7 {
            touch(run.path(), &format!("checkpoints/.tmp{n}"))?;
        }
        let entries = [("checkpoints/epoch_{epoch:04}.ckpt", EntryKind::File)];
        let found = foreign(run.path(), &entries)?;
        assert_eq!(found.count, 7);
        assert_eq!(found.examples.len(), EXAMPLES);
        let none = foreign(run.path(), &[("steps/{step:u32}", EntryKind::Dir)])?;
        assert_eq!(none, Foreign::default());
        Ok(())
    }
}
