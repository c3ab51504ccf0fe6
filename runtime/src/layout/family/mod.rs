//! Families: the files (or folders) of one parameterized entry that exist
//! on disk, found by reading names back through the entry's template.
//!
//! `#[derive(Layout)]` gives every entry with a placeholder a
//! `<name>_family()` accessor returning a [`Family`]; the family of
//! `checkpoints/epoch_{epoch:04}.ckpt` lists, resumes from and prunes the
//! epochs there are. A name is a member only if it round-trips: the values
//! read from it render to exactly that name, and the accessor would accept
//! them (see `runlayout_grammar::template::Template::read`).
//!
//! Removal (`keep_last`, `retain`, `keep_best`) stays inside the family's
//! own folders: it never goes through a folder below the template's fixed
//! base that is a symlink, and renames each member aside before deleting it, so that it
//! leaves listings at once and a kill leaves only a hidden temporary (see
//! [`Family`]'s "Removal").
//!
//! Its files: `key` (what a family is keyed by and how keys are ordered,
//! what its members are), `template` (parsing a template, rendering a
//! member's path), `walk` (the walk through its folders), `best` (the best
//! members by a metric: `best`, `keep_best`, [`Goal`]), `link` (a link to
//! the newest member: `link_last`), `survey` (a template known only at
//! run time, and the foreign files of a layout's families). Uses the
//! layout's entries and typed paths, `io` and `error`.

mod best;
#[cfg(feature = "object-store")]
mod home;
mod key;
mod link;
mod survey;
mod template;
mod walk;

use std::cmp::Ordering;
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::io::removal::{self, Outcome};
use crate::layout::entry::EntryKind;
use template::Parsed;

pub use best::Goal;
pub use key::{FamilyKey, FamilyMember};
pub use survey::{Foreign, Survey, foreign, survey};
pub use template::FamilyTemplate;

/// The files or folders of one parameterized entry that exist on disk, keyed
/// by their placeholders' values: `K` is `u64` for
/// `checkpoints/epoch_{epoch:04}.ckpt`, `(u32, u32)` for
/// `samples/{epoch:u32}/{step:u32}.png`, `String` for `eval/{split}`,
/// `(u32, f64)` for `top/e{epoch:u32}_{val_loss:.4}.ckpt` (a float ordered
/// by [`f64::total_cmp`], see [`FamilyKey`]); `P` is
/// the entry's [`FilePath`](crate::FilePath) or [`DirPath`](crate::DirPath).
///
/// `#[derive(Layout)]` generates a `<name>_family()` accessor for each entry
/// with a placeholder. Making a family does no I/O; each call reads the
/// folders the template spans afresh: one `read_dir` of each folder that
/// holds names with placeholders, none for fixed names.
///
/// A name is a **member** only if it round-trips: the values read from it
/// render to exactly that name, and the accessor would accept them. So
/// `epoch_1.ckpt` is not epoch 1 (that is `epoch_0001.ckpt`), and neither are
/// `epoch_0001.ckpt.tmp`, hidden names (runlayout's temporaries start with
/// `.`), names that are not UTF-8, nor anything of the wrong kind: a folder
/// where the entry declares a file, a file where it declares a folder, a
/// FIFO, a dangling symlink. A symlink counts as what it leads to (a
/// checkpoint may live on another disk, a split's folder may be linked from
/// elsewhere), and members are read through linked folders too. A missing
/// folder, or a file where a folder should be, holds no members.
///
/// # Removal
///
/// [`keep_last`](Family::keep_last), [`retain`](Family::retain) and
/// [`keep_best`](Family::keep_best) (and their `_report` forms) remove
/// members only inside the family's own folders:
///
/// - The fixed folders the template starts with (`checkpoints/` of
///   `checkpoints/epoch_{epoch:04}.ckpt`), and the layout's root, are the
///   family's own even when they are links: `checkpoints/` linked to a
///   scratch disk is a usual setup on clusters, and its members are removed.
/// - Below them, a folder that is a link (`eval/ext` of
///   `eval/{split}/metrics.json`, or `trials/1/logs` of
///   `trials/{trial}/logs/{step}.txt`) leads out of the family's tree: the
///   members behind it are listed, but a removal leaves them, and says so
///   in [`Removal::left`] with the link ([`LeftReason::LinkedFolder`]).
///   On Unix each folder is opened relative to its parent without following
///   a link, so a folder swapped for a link while a removal runs is not
///   followed either.
/// - A member that is itself a link is removed as a link, never what it
///   points to; links inside a folder member are removed as links.
/// - A member is first renamed to a hidden temporary name in its own folder
///   (`.runlayout-<pid>-...-<random>.tmp`, never a member), then deleted: it leaves
///   every listing at once, a process listing meanwhile never finds half of
///   it, and a removal killed halfway leaves only that temporary. Removals
///   sweep the folders they read of temporaries whose process is gone (as
///   atomic writes do), so the next one removes it.
/// - A member another process removed meanwhile is skipped.
///
/// ```
/// use runlayout::{Family, FilePath, family::FamilyTemplate};
///
/// static EPOCHS: FamilyTemplate = FamilyTemplate::new("checkpoints/epoch_{epoch:04}.ckpt");
///
/// let run = tempfile::tempdir()?;
/// let epochs: Family<u64, FilePath> = Family::new(run.path(), &EPOCHS);
/// assert_eq!(epochs.last()?, None); // no checkpoints/ yet: no members
///
/// std::fs::create_dir(run.path().join("checkpoints"))?;
/// for epoch in [1, 2, 3, 10] {
///     let name = format!("checkpoints/epoch_{epoch:04}.ckpt");
///     std::fs::write(run.path().join(name), b"weights")?;
/// }
/// std::fs::write(run.path().join("checkpoints/epoch_7.ckpt"), b"not a member")?;
///
/// let (epoch, path) = epochs.last()?.expect("four members");
/// assert_eq!(epoch, 10);
/// assert!(path.ends_with("checkpoints/epoch_0010.ckpt"));
///
/// let removed = epochs.keep_last(2)?;
/// assert_eq!(removed.len(), 2); // epochs 1 and 2
/// let left: Vec<u64> = epochs.list()?.into_iter().map(|(e, _)| e).collect();
/// assert_eq!(left, [3, 10]);
/// assert!(run.path().join("checkpoints/epoch_7.ckpt").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Family<K, P> {
    root: PathBuf,
    template: &'static FamilyTemplate,
    members: PhantomData<fn() -> (K, P)>,
}

impl<K: FamilyKey, P: FamilyMember> Family<K, P> {
    /// The family of `template` below the layout root `root`. No I/O.
    ///
    /// ```
    /// use runlayout::{DirPath, Family, family::FamilyTemplate};
    ///
    /// static EVALS: FamilyTemplate = FamilyTemplate::new("eval/{split}");
    /// let evals: Family<String, DirPath> = Family::new("runs/r1", &EVALS);
    /// assert_eq!(evals.root(), std::path::Path::new("runs/r1"));
    /// ```
    pub fn new(root: impl AsRef<Path>, template: &'static FamilyTemplate) -> Family<K, P> {
        Family {
            root: root.as_ref().to_path_buf(),
            template,
            members: PhantomData,
        }
    }

    /// The layout's root, which the template is relative to.
    ///
    /// ```
    /// use runlayout::{Family, FilePath, family::FamilyTemplate};
    ///
    /// static LOGS: FamilyTemplate = FamilyTemplate::new("logs/{rank:u32}.txt");
    /// let logs: Family<u32, FilePath> = Family::new("run", &LOGS);
    /// assert_eq!(logs.root(), std::path::Path::new("run"));
    /// ```
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The template, as declared.
    ///
    /// ```
    /// use runlayout::{Family, FilePath, family::FamilyTemplate};
    ///
    /// static LOGS: FamilyTemplate = FamilyTemplate::new("logs/{rank:u32}.txt");
    /// let logs: Family<u32, FilePath> = Family::new("run", &LOGS);
    /// assert_eq!(logs.template(), "logs/{rank:u32}.txt");
    /// ```
    #[must_use]
    pub fn template(&self) -> &'static str {
        self.template.as_str()
    }

    /// Every member, ascending by key.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io) naming a folder that exists but cannot be read
    /// (`read folder`) or an entry whose kind cannot be told (`read metadata
    /// of`); [`Error::InvalidTemplate`](crate::Error::InvalidTemplate) for a hand-made template that cannot
    /// name a family of `K`. A missing folder is no error: it holds no
    /// members.
    ///
    /// ```
    /// use runlayout::{Family, FilePath, family::FamilyTemplate};
    ///
    /// static PLOTS: FamilyTemplate = FamilyTemplate::new("plots/{split}_{step:u32}.png");
    /// let run = tempfile::tempdir()?;
    /// std::fs::create_dir(run.path().join("plots"))?;
    /// for name in ["val_20.png", "train_3.png", "val_3.png", "val_03.png", "notes.txt"] {
    ///     std::fs::write(run.path().join("plots").join(name), b"")?;
    /// }
    /// let plots: Family<(String, u32), FilePath> = Family::new(run.path(), &PLOTS);
    /// let keys: Vec<_> = plots.list()?.into_iter().map(|(key, _)| key).collect();
    /// assert_eq!(
    ///     keys,
    ///     [("train".into(), 3), ("val".into(), 3), ("val".into(), 20)]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list(&self) -> Result<Vec<(K, P)>> {
        self.members(false)
    }

    /// Every member, ascending by key; with `sweep`, the folders read are
    /// swept of what dead processes left.
    fn members(&self, sweep: bool) -> Result<Vec<(K, P)>> {
        let parsed = self.template.parsed::<K>()?;
        let mut members = Vec::new();
        #[cfg(feature = "object-store")]
        let stored = home::stored(&self.root, &parsed.base)?;
        parsed.walk_sweeping(&self.root, P::KIND, sweep, &mut |values, found| {
            let path = found.path();
            #[cfg(feature = "object-store")]
            if stored
                .as_ref()
                .is_some_and(|s| s.is_gone(&self.root, &path, P::KIND))
            {
                return Ok(());
            }
            if let Some(key) = K::take(values) {
                members.push((key, P::from_path(path)));
            }
            Ok(())
        })?;
        // A run whose home is object storage: the members stored there
        // too, whichever node stored them (each once).
        #[cfg(feature = "object-store")]
        if let Some(stored) = &stored {
            let here: std::collections::HashSet<PathBuf> = members
                .iter()
                .map(|(_, p)| p.path().to_path_buf())
                .collect();
            parsed.walk_keys(&self.root, &stored.keys, P::KIND, &mut |values, found| {
                let path = found.path();
                if !here.contains(&path)
                    && let Some(key) = K::take(values)
                {
                    members.push((key, P::from_path(path)));
                }
                Ok(())
            })?;
        }
        members.sort_unstable_by(|a, b| key::order(&a.0, &b.0));
        Ok(members)
    }

    /// The member with the greatest key: the checkpoint to resume from.
    /// Only its path is made; the other members are compared by key alone.
    ///
    /// # Errors
    ///
    /// Those of [`list`](Family::list).
    ///
    /// ```
    /// use runlayout::{Family, FilePath, family::FamilyTemplate};
    ///
    /// static EPOCHS: FamilyTemplate = FamilyTemplate::new("checkpoints/epoch_{epoch:04}.ckpt");
    /// let run = tempfile::tempdir()?;
    /// let epochs: Family<u64, FilePath> = Family::new(run.path(), &EPOCHS);
    /// let first = epochs.last()?.map_or(1, |(epoch, _)| epoch + 1);
    /// assert_eq!(first, 1); // nothing to resume from
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn last(&self) -> Result<Option<(K, P)>> {
        let parsed = self.template.parsed::<K>()?;
        let mut best: Option<K> = None;
        let mut consider = |values: &mut [key::Raw]| {
            if let Some(key) = K::take(values)
                && best
                    .as_ref()
                    .is_none_or(|b| key::order(&key, b) == Ordering::Greater)
            {
                best = Some(key);
            }
        };
        #[cfg(feature = "object-store")]
        let stored = home::stored(&self.root, &parsed.base)?;
        parsed.walk(&self.root, P::KIND, &mut |values, _found| {
            #[cfg(feature = "object-store")]
            if stored
                .as_ref()
                .is_some_and(|s| s.is_gone(&self.root, &_found.path(), P::KIND))
            {
                return Ok(());
            }
            consider(values);
            Ok(())
        })?;
        // A run whose home is object storage: the newest member stored
        // there counts too, whichever node stored it (fetch it to read it).
        #[cfg(feature = "object-store")]
        if let Some(stored) = &stored {
            parsed.walk_keys(&self.root, &stored.keys, P::KIND, &mut |values, _| {
                consider(values);
                Ok(())
            })?;
        }
        Ok(best.map(|key| {
            let path = self.path_of(parsed, &key);
            (key, path)
        }))
    }

    /// The path of the member with `key`, rendered as the walk found it.
    fn path_of(&self, parsed: &Parsed, key: &K) -> P {
        let mut values = Vec::new();
        key.raw(&mut values);
        P::from_path(parsed.render(&self.root, &values))
    }

    /// Removes every member but the `n` with the greatest keys, and returns
    /// the paths it removed, ascending by key. `keep_last(0)` removes them
    /// all. Nothing that is not a member is touched, and nothing outside
    /// the family's own folders: see [Removal](Family#removal).
    ///
    /// A member it leaves (one reached through a linked folder) is not in
    /// the list returned; [`keep_last_report`](Family::keep_last_report)
    /// says which it left and why. So does a member that vanished
    /// meanwhile (another process removed it): it is in neither list.
    ///
    /// # Errors
    ///
    /// Those of [`list`](Family::list), and [`Error::Io`](crate::Error::Io) (`remove`) naming
    /// the first member that could not be removed (or, if it was moved
    /// aside and could not be deleted, the hidden name it was moved to);
    /// the members before it are gone.
    ///
    /// ```
    /// use runlayout::{DirPath, Family, family::FamilyTemplate};
    ///
    /// static STEPS: FamilyTemplate = FamilyTemplate::new("steps/{step:u32}");
    /// let run = tempfile::tempdir()?;
    /// for step in [100, 200, 300] {
    ///     std::fs::create_dir_all(run.path().join(format!("steps/{step}/shards")))?;
    /// }
    /// let steps: Family<u32, DirPath> = Family::new(run.path(), &STEPS);
    /// let removed = steps.keep_last(1)?;
    /// assert_eq!(removed, [DirPath::new(run.path().join("steps/100")), DirPath::new(run.path().join("steps/200"))]);
    /// assert!(run.path().join("steps/300/shards").is_dir());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep_last(&self, n: usize) -> Result<Vec<P>> {
        Ok(self.keep_last_report(n)?.removed_paths())
    }

    /// [`keep_last`](Family::keep_last), reporting the members it removed
    /// with their keys, and those it was to remove but left, with the
    /// reason: a [`Removal`].
    ///
    /// # Errors
    ///
    /// Those of [`keep_last`](Family::keep_last).
    ///
    /// ```
    /// use runlayout::{Family, FilePath, family::{FamilyTemplate, LeftReason}};
    ///
    /// static EVALS: FamilyTemplate = FamilyTemplate::new("eval/{split}/metrics.json");
    /// let dir = tempfile::tempdir()?;
    /// let (run, elsewhere) = (dir.path().join("run"), dir.path().join("elsewhere"));
    /// for folder in [run.join("eval/val"), elsewhere.clone()] {
    ///     std::fs::create_dir_all(&folder)?;
    ///     std::fs::write(folder.join("metrics.json"), b"{}")?;
    /// }
    /// # #[cfg(unix)] {
    /// std::os::unix::fs::symlink(&elsewhere, run.join("eval/ext"))?;
    /// let evals: Family<String, FilePath> = Family::new(&run, &EVALS);
    /// let report = evals.keep_last_report(0)?;
    /// assert_eq!(report.removed[0].0, "val");
    /// let left = &report.left[0];
    /// assert_eq!(left.key, "ext");
    /// assert_eq!(left.reason, LeftReason::LinkedFolder { link: run.join("eval/ext") });
    /// assert!(elsewhere.join("metrics.json").exists());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep_last_report(&self, n: usize) -> Result<Removal<K, P>> {
        let members = self.members(true)?;
        let cut = members.len().saturating_sub(n);
        self.remove(members.into_iter().take(cut))
    }

    /// Removes every member whose key `keep` refuses, and returns the paths
    /// it removed, ascending by key: the general form of
    /// [`keep_last`](Family::keep_last), for the best k by a metric the
    /// program tracks, every 10th epoch, and the like. Removal works as
    /// there; `keep` is asked about each member after the listing, just
    /// before that member is removed or kept.
    ///
    /// # Errors
    ///
    /// Those of [`keep_last`](Family::keep_last).
    ///
    /// ```
    /// use runlayout::{Family, FilePath, family::FamilyTemplate};
    ///
    /// static EPOCHS: FamilyTemplate = FamilyTemplate::new("ckpt/{epoch:u32}.pt");
    /// let run = tempfile::tempdir()?;
    /// std::fs::create_dir(run.path().join("ckpt"))?;
    /// for epoch in 1..=25 {
    ///     std::fs::write(run.path().join(format!("ckpt/{epoch}.pt")), b"w")?;
    /// }
    /// let epochs: Family<u32, FilePath> = Family::new(run.path(), &EPOCHS);
    /// // Every 10th epoch, and the last.
    /// epochs.retain(|&epoch| epoch % 10 == 0 || epoch == 25)?;
    /// let left: Vec<u32> = epochs.list()?.into_iter().map(|(e, _)| e).collect();
    /// assert_eq!(left, [10, 20, 25]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retain(&self, keep: impl FnMut(&K) -> bool) -> Result<Vec<P>> {
        Ok(self.retain_report(keep)?.removed_paths())
    }

    /// [`retain`](Family::retain), reporting what it removed and what it
    /// left, as [`keep_last_report`](Family::keep_last_report) does.
    ///
    /// # Errors
    ///
    /// Those of [`keep_last`](Family::keep_last).
    ///
    /// ```
    /// use runlayout::{Family, FilePath, family::FamilyTemplate};
    ///
    /// static EPOCHS: FamilyTemplate = FamilyTemplate::new("ckpt/{epoch:u32}.pt");
    /// let run = tempfile::tempdir()?;
    /// std::fs::create_dir(run.path().join("ckpt"))?;
    /// for epoch in 1..=3 {
    ///     std::fs::write(run.path().join(format!("ckpt/{epoch}.pt")), b"w")?;
    /// }
    /// let epochs: Family<u32, FilePath> = Family::new(run.path(), &EPOCHS);
    /// let report = epochs.retain_report(|&epoch| epoch != 2)?;
    /// assert_eq!(report.removed, [(2, FilePath::new(run.path().join("ckpt/2.pt")))]);
    /// assert!(report.left.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retain_report(&self, mut keep: impl FnMut(&K) -> bool) -> Result<Removal<K, P>> {
        let members = self.members(true)?;
        self.remove(members.into_iter().filter(|(key, _)| !keep(key)))
    }

    /// Removes `members`, each as [Removal](Family#removal) says.
    fn remove(&self, members: impl Iterator<Item = (K, P)>) -> Result<Removal<K, P>> {
        let parsed = self.template.parsed::<K>()?;
        let base = self.root.join(&parsed.base);
        let mut report = Removal {
            removed: Vec::new(),
            left: Vec::new(),
        };
        let kind = match P::KIND {
            EntryKind::File => removal::Kind::File,
            EntryKind::Dir => removal::Kind::Folder,
        };
        #[cfg(feature = "object-store")]
        let stored = home::stored(&self.root, &parsed.base)?;
        for (key, member) in members {
            let outcome = removal::remove_below(&base, member.path(), kind)?;
            // A run whose home is object storage: the member goes there
            // too (every object of a folder member), unless it was left.
            #[cfg(feature = "object-store")]
            let outcome = match (&stored, outcome) {
                (Some(stored), here @ (Outcome::Removed | Outcome::Gone)) => {
                    home::remove(&stored.home, &stored.keys, &self.root, member.path(), here)?
                }
                (_, outcome) => outcome,
            };
            match outcome {
                Outcome::Removed => report.removed.push((key, member)),
                // Another process removed or replaced it meanwhile.
                Outcome::Gone => {}
                Outcome::LinkedFolder(link) => report.left.push(LeftMember {
                    key,
                    member,
                    reason: LeftReason::LinkedFolder { link },
                }),
            }
        }
        Ok(report)
    }
}

/// What a removal of a family's members did: [`Family::keep_last_report`],
/// [`Family::retain_report`]. Members that vanished meanwhile (another
/// process removed them) are in neither list.
///
/// ```
/// use runlayout::{Family, FilePath, family::FamilyTemplate};
///
/// static EPOCHS: FamilyTemplate = FamilyTemplate::new("ckpt/{epoch:u32}.pt");
/// let run = tempfile::tempdir()?;
/// let epochs: Family<u32, FilePath> = Family::new(run.path(), &EPOCHS);
/// let report = epochs.keep_last_report(3)?;
/// assert!(report.removed.is_empty() && report.left.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Removal<K, P> {
    /// The members removed, ascending by key.
    pub removed: Vec<(K, P)>,
    /// The members it was to remove and left, ascending by key.
    pub left: Vec<LeftMember<K, P>>,
}

impl<K, P> Removal<K, P> {
    fn removed_paths(self) -> Vec<P> {
        self.removed.into_iter().map(|(_, path)| path).collect()
    }
}

/// A member a removal was to remove and left: its key, its path, and why.
///
/// ```
/// use runlayout::{Family, FilePath, family::FamilyTemplate};
///
/// static EVALS: FamilyTemplate = FamilyTemplate::new("eval/{split}/metrics.json");
/// let dir = tempfile::tempdir()?;
/// let elsewhere = dir.path().join("elsewhere");
/// std::fs::create_dir_all(&elsewhere)?;
/// std::fs::write(elsewhere.join("metrics.json"), b"{}")?;
/// std::fs::create_dir_all(dir.path().join("run/eval"))?;
/// # #[cfg(unix)] {
/// std::os::unix::fs::symlink(&elsewhere, dir.path().join("run/eval/test"))?;
/// let evals: Family<String, FilePath> = Family::new(dir.path().join("run"), &EVALS);
/// let left = evals.keep_last_report(0)?.left.remove(0);
/// assert_eq!(left.member, dir.path().join("run/eval/test/metrics.json"));
/// assert!(left.reason.to_string().starts_with("reached through the linked folder `"));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeftMember<K, P> {
    /// Its key.
    pub key: K,
    /// Its path, as listed.
    pub member: P,
    /// Why it was left.
    pub reason: LeftReason,
}

/// Why a removal left a member: [`LeftMember::reason`].
///
/// ```
/// use runlayout::family::LeftReason;
///
/// let reason = LeftReason::LinkedFolder { link: "run/eval/ext".into() };
/// assert_eq!(reason.to_string(), "reached through the linked folder `run/eval/ext`");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeftReason {
    /// A folder between the family's fixed base and the member is a
    /// symlink (`eval/ext` in `eval/{split}/metrics.json`): the member
    /// lives outside the family's own folders, which removal never leaves.
    LinkedFolder {
        /// The link, as the family's root spells it.
        link: PathBuf,
    },
}

impl fmt::Display for LeftReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeftReason::LinkedFolder { link } => {
                write!(f, "reached through the linked folder `{}`", link.display())
            }
        }
    }
}

impl<K, P> Clone for Family<K, P> {
    fn clone(&self) -> Family<K, P> {
        Family {
            root: self.root.clone(),
            template: self.template,
            members: PhantomData,
        }
    }
}

impl<K, P> fmt::Debug for Family<K, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("template", &self.template.as_str())
            .field("root", &self.root)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::error::Operation;
    use crate::layout::typed_path::FilePath;
    use std::{fs, io};

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    static EPOCHS: FamilyTemplate = FamilyTemplate::new("checkpoints/epoch_{epoch:04}.ckpt");
    static SAMPLES: FamilyTemplate =
        FamilyTemplate::new("samples/{epoch:u32}/{split}/{step:u16}.png");
    static FIRST: FamilyTemplate = FamilyTemplate::new("{split}/metrics.json");

    fn touch(root: &Path, rel: &str) -> io::Result<()> {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().expect("a parent"))?;
        fs::write(path, rel)
    }

    #[test]
    fn members_round_trip_and_nothing_else_is_one() -> TestResult {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        for rel in [
            "checkpoints/epoch_0002.ckpt",
            "checkpoints/epoch_0010.ckpt",
            "checkpoints/epoch_12345.ckpt",
            "checkpoints/epoch_1.ckpt",
            "checkpoints/epoch_00003.ckpt",
            "checkpoints/epoch_0004.ckpt.tmp",
            "checkpoints/.epoch_0005.ckpt",
            "checkpoints/.runlayout-1-00000000-abcdefgh.tmp",
            "checkpoints/epoch_+006.ckpt",
            "checkpoints/best.ckpt",
        ] {
            touch(root, rel)?;
        }
        fs::create_dir(root.join("checkpoints/epoch_0007.ckpt"))?;
        let epochs: Family<u64, FilePath> = Family::new(root, &EPOCHS);
        let listed: Vec<(u64, PathBuf)> = epochs
            .list()?
            .into_iter()
            .map(|(k, p)| (k, p.into_path_buf()))
            .collect();
        assert_eq!(
            listed,
            [
                (2, root.join("checkpoints/epoch_0002.ckpt")),
                (10, root.join("checkpoints/epoch_0010.ckpt")),
                (12345, root.join("checkpoints/epoch_12345.ckpt")),
            ]
        );
        let (last, path) = epochs.last()?.expect("members");
        assert_eq!((last, path.as_path()), (12345, listed[2].1.as_path()));
        Ok(())
    }

    #[test]
    fn levels_are_walked_and_the_last_path_is_rendered_as_found() -> TestResult {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        for rel in [
            "samples/1/val/5.png",
            "samples/1/val/6.png",
            "samples/1/train/7.png",
            "samples/12/val/0.png",
            "samples/12/val/65536.png",
            "samples/012/val/1.png",
            "samples/3/nul/1.png",
            "samples/3.txt",
        ] {
            touch(root, rel)?;
        }
        let samples: Family<(u32, String, u16), FilePath> = Family::new(root, &SAMPLES);
        let keys: Vec<_> = samples.list()?.into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                (1, "train".to_owned(), 7),
                (1, "val".to_owned(), 5),
                (1, "val".to_owned(), 6),
                (12, "val".to_owned(), 0)
            ]
        );
        let (key, path) = samples.last()?.expect("members");
        assert_eq!(key, (12, "val".to_owned(), 0));
        assert_eq!(path, root.join("samples/12/val/0.png"));
        Ok(())
    }

    #[test]
    fn float_keys_are_plain_f64_ordered_by_total_cmp() -> TestResult {
        static TOP: FamilyTemplate = FamilyTemplate::new("top/e{epoch:u32}_{val_loss:.4}.ckpt");
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        for rel in [
            "top/e3_0.4155.ckpt",
            "top/e3_-1.2500.ckpt",
            "top/e3_0.0000.ckpt",
            "top/e1_12.0000.ckpt",
            // Not what {val_loss:.4} writes: no members.
            "top/e2_0.5.ckpt",
            "top/e2_-0.0000.ckpt",
            "top/e2_+0.5000.ckpt",
            "top/e2_00.5000.ckpt",
            "top/e2_1e-3.ckpt",
            "top/e2_NaN.ckpt",
            "top/e2_inf.ckpt",
            "top/last.ckpt",
        ] {
            touch(root, rel)?;
        }
        let top: Family<(u32, f64), FilePath> = Family::new(root, &TOP);
        let listed: Vec<((u32, f64), PathBuf)> = top
            .list()?
            .into_iter()
            .map(|(k, p)| (k, p.into_path_buf()))
            .collect();
        assert_eq!(
            listed,
            [
                ((1, 12.0), root.join("top/e1_12.0000.ckpt")),
                ((3, -1.25), root.join("top/e3_-1.2500.ckpt")),
                ((3, 0.0), root.join("top/e3_0.0000.ckpt")),
                ((3, 0.4155), root.join("top/e3_0.4155.ckpt")),
            ]
        );
        assert!(listed[2].0.1.is_sign_positive(), "zero reads as +0.0");
        let (key, path) = top.last()?.expect("members");
        assert_eq!(key, (3, 0.4155));
        assert_eq!(path, root.join("top/e3_0.4155.ckpt"));
        let removed = top.keep_last(1)?;
        assert_eq!(removed.len(), 3);
        assert!(
            root.join("top/e2_0.5.ckpt").exists(),
            "no member, never removed"
        );
        Ok(())
    }

    #[test]
    fn text_in_the_first_component_follows_the_run_folder_rule() -> TestResult {
        let dir = tempfile::tempdir()?;
        for rel in [
            "val/metrics.json",
            "ancestor/metrics.json",
            "run.json/metrics.json",
        ] {
            touch(dir.path(), rel)?;
        }
        let family: Family<String, FilePath> = Family::new(dir.path(), &FIRST);
        let keys: Vec<_> = family.list()?.into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["val"]);
        Ok(())
    }

    #[test]
    fn missing_folders_hold_no_members() -> TestResult {
        let dir = tempfile::tempdir()?;
        let epochs: Family<u64, FilePath> = Family::new(dir.path().join("absent"), &EPOCHS);
        assert!(epochs.list()?.is_empty());
        assert_eq!(epochs.last()?, None);
        assert!(epochs.keep_last(0)?.is_empty());
        fs::write(dir.path().join("checkpoints"), "a file, not a folder")?;
        let epochs: Family<u64, FilePath> = Family::new(dir.path(), &EPOCHS);
        assert!(epochs.list()?.is_empty());
        Ok(())
    }

    #[test]
    fn hand_made_templates_that_cannot_name_a_family_are_errors() {
        static TWO_TEXTS: FamilyTemplate = FamilyTemplate::new("a/{x}_{y}");
        static FIXED: FamilyTemplate = FamilyTemplate::new("a/b.txt");
        static BROKEN: FamilyTemplate = FamilyTemplate::new("a/{x");
        let message = |result: Result<Vec<(String, FilePath)>>| result.unwrap_err().to_string();
        let two: Family<(String, String), FilePath> = Family::new("r", &TWO_TEXTS);
        assert!(
            two.list()
                .unwrap_err()
                .to_string()
                .contains("cannot be told apart"),
            "{:?}",
            two.list()
        );
        assert!(message(Family::new("r", &FIXED).list()).contains("no placeholder"));
        assert!(message(Family::new("r", &BROKEN).list()).contains("unclosed"));
        let wrong: Family<u32, FilePath> = Family::new("r", &EPOCHS);
        assert_eq!(
            wrong.list().unwrap_err().to_string(),
            "template `checkpoints/epoch_{epoch:04}.ckpt` cannot name a family: \
             its placeholders take `u64`, not u32"
        );
        let wrong: Family<(u32, u32, u16), FilePath> = Family::new("r", &SAMPLES);
        assert!(
            wrong
                .last()
                .unwrap_err()
                .to_string()
                .ends_with("its placeholders take `(u32, String, u16)`, not (u32, u32, u16)")
        );
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_folders_are_errors_naming_the_folder() -> TestResult {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir()?;
        let checkpoints = dir.path().join("checkpoints");
        fs::create_dir(&checkpoints)?;
        fs::set_permissions(&checkpoints, fs::Permissions::from_mode(0o000))?;
        let readable = fs::read_dir(&checkpoints).is_ok(); // root reads anything
        let epochs: Family<u64, FilePath> = Family::new(dir.path(), &EPOCHS);
        let listed = epochs.list();
        fs::set_permissions(&checkpoints, fs::Permissions::from_mode(0o755))?;
        if !readable {
            let err = listed.unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Io {
                        op: Operation::ReadDir,
                        ..
                    }
                ),
                "{err}"
            );
            assert_eq!(err.path(), Some(checkpoints.as_path()));
            assert!(err.to_string().starts_with("cannot read folder `"), "{err}");
        }
        Ok(())
    }

    #[test]
    fn families_are_cheap_to_clone_and_say_what_they_are() {
        let epochs: Family<u64, FilePath> = Family::new("run", &EPOCHS);
        let copy = epochs.clone();
        assert_eq!(copy.root(), Path::new("run"));
        assert_eq!(
            format!("{epochs:?}"),
            "Family { template: \"checkpoints/epoch_{epoch:04}.ckpt\", root: \"run\" }"
        );
    }
}
