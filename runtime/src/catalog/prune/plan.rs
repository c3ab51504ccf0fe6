//! What a prune plans and what it did: the runs it would remove and how
//! much they hold, the runs it keeps though selected and why, and what
//! interrupted prunes left.

use std::path::PathBuf;

use crate::error::Error;
use crate::io::claim;
use crate::record::status::RunStatus;
use crate::run::Run;

/// A run a plan removes, and how much it holds.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// use runlayout::{Run, prune::Prune};
/// let old = Run::builder(root.path()).debug(true).create()?;
/// old.finish()?;
/// // Let go of: a run is in use while a `Run` that made or opened it lives.
/// let old = { let path = old.path().to_path_buf(); drop(old); path };
/// Run::builder(root.path()).debug(true).create()?.finish()?; // the latest one stays
/// let plan = Prune::new(root.path()).debug_only(true).plan()?;
/// # #[cfg(feature = "manifest")] {
/// assert_eq!(plan.remove[0].run.path(), old);
/// assert!(plan.remove[0].bytes > 0, "its run.json");
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Candidate {
    /// The run.
    pub run: Run,
    /// Its status when planned.
    pub status: RunStatus,
    /// The bytes its removal frees: what its files hold (symlinks inside
    /// counted as themselves, not followed); 0 for a run folder that is a
    /// symlink, which goes as a link.
    pub bytes: u64,
    /// Where the run folder leads, when it is a symlink: removing the run
    /// removes the link alone, and that folder stays where it is.
    pub link_to: Option<PathBuf>,
}

/// Why a selected run is kept.
///
/// ```
/// use runlayout::prune::KeepReason;
/// assert_eq!(KeepReason::Running.to_string(), "it is running");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeepReason {
    /// A process runs it (a crashed run may go).
    Running,
    /// A `latest` pointer names it.
    Latest(PathBuf),
    /// A run that stays grew out of it (directly or further down).
    AncestorOf(PathBuf),
    /// Its status could not be read.
    Unreadable(String),
    /// A file system is mounted inside it: removing the run would empty it.
    MountInside(PathBuf),
    /// It was gone by the time of removal (another prune removed it).
    Gone,
    /// A process holds it: created, opened, joined or linking it (see
    /// [`Run`]). Only a crashed run's process lets go of it, by dying.
    InUse,
    /// It cannot be claimed for removal here: the file system does not
    /// lock files, or this user may not open its manifest.
    Unclaimable(String),
    /// [`Prune::keep_best`](crate::Prune::keep_best) ranks runs by
    /// a value of their summary, and this run has no number there (the
    /// key, as `summary.val_loss`): neither best nor removed by that rule.
    NoValue(String),
}

impl From<claim::Refusal> for KeepReason {
    fn from(refusal: claim::Refusal) -> KeepReason {
        match refusal {
            claim::Refusal::InUse => KeepReason::InUse,
            claim::Refusal::Gone => KeepReason::Gone,
            claim::Refusal::Unclaimable(why) => KeepReason::Unclaimable(why),
        }
    }
}

impl std::fmt::Display for KeepReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeepReason::Running => f.write_str("it is running"),
            KeepReason::Latest(pointer) => {
                write!(f, "the latest pointer `{}` names it", pointer.display())
            }
            KeepReason::AncestorOf(run) => {
                write!(f, "`{}`, which stays, grew out of it", run.display())
            }
            KeepReason::Unreadable(why) => write!(f, "its status cannot be read: {why}"),
            KeepReason::MountInside(at) => {
                write!(
                    f,
                    "a file system is mounted inside it, at `{}`",
                    at.display()
                )
            }
            KeepReason::Gone => f.write_str("it was already gone"),
            KeepReason::InUse => f.write_str("another process is using it"),
            KeepReason::Unclaimable(why) => write!(f, "it cannot be claimed for removal: {why}"),
            KeepReason::NoValue(key) => write!(f, "its summary has no number at `{key}`"),
        }
    }
}

/// A run the selection picked that the plan keeps, and why.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// use runlayout::{Run, prune::{KeepReason, Prune}};
/// Run::builder(root.path()).debug(true).create()?; // running, and latest
/// let plan = Prune::new(root.path()).debug_only(true).plan()?;
/// # #[cfg(feature = "manifest")]
/// assert_eq!(plan.kept[0].reason, KeepReason::Running);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Kept {
    /// The run.
    pub run: Run,
    /// Why it stays.
    pub reason: KeepReason,
}

/// What [`Prune::plan`](crate::Prune::plan) found: what would go, what stays though selected,
/// and trash an interrupted prune left.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// let plan = runlayout::prune::Prune::new(root.path()).plan()?;
/// assert!(plan.remove.is_empty() && plan.kept.is_empty() && plan.trash.is_empty());
/// assert_eq!(plan.bytes(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct PrunePlan {
    /// The runs to remove, oldest first.
    pub remove: Vec<Candidate>,
    /// Selected runs that stay, with the reason.
    pub kept: Vec<Kept>,
    /// Hidden trash of prunes that died half-way, to finish.
    pub trash: Vec<PathBuf>,
    /// Back-links in runs of this root that name a place below it where no
    /// run is any more (what a prune killed right after moving a run away
    /// leaves), to remove.
    pub stale_backlinks: Vec<PathBuf>,
    /// What the scan could not read; those runs are neither removed nor kept.
    pub problems: Vec<Error>,
    /// The root, canonical: stale back-links are checked again against it.
    pub(super) within: Option<PathBuf>,
    /// Whether `latest` pointers of removed runs are moved on
    /// ([`Prune::include_latest`](crate::Prune::include_latest)).
    pub(super) include_latest: bool,
    /// For a root in object storage: what removes its runs there (the
    /// home, laid out where the plan was made).
    pub(super) remover: Option<std::sync::Arc<dyn Remover>>,
}

/// What removes a planned run somewhere other than a folder (a root in
/// object storage): asks again whether it may go, and removes it.
pub(super) trait Remover: std::fmt::Debug + Send + Sync {
    /// Finishes a piece of the plan's trash (what a removal that is gone
    /// left there): `false` if there was nothing left to finish.
    fn finish(&self, trash: &std::path::Path) -> crate::error::Result<bool>;

    /// `Ok(Err(reason))` if the run stays after all.
    fn remove(
        &self,
        candidate: &Candidate,
    ) -> crate::error::Result<std::result::Result<(), KeepReason>>;

    /// Moves on each `latest` pointer that names one of the `removed`
    /// runs ([`Prune::include_latest`](crate::Prune::include_latest)):
    /// each pointer and the run it names now.
    fn move_latest_on(
        &self,
        removed: &[&crate::run::Run],
    ) -> crate::error::Result<Vec<(std::path::PathBuf, Option<std::path::PathBuf>)>>;
}

/// What [`PrunePlan::execute`] did.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// let done = runlayout::prune::Prune::new(root.path()).plan()?.execute()?;
/// assert_eq!((done.removed.len(), done.bytes, done.trash), (0, 0, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Pruned {
    /// The run folders removed.
    pub removed: Vec<PathBuf>,
    /// The bytes they held.
    pub bytes: u64,
    /// How many pieces of trash were finished.
    pub trash: usize,
    /// How many back-links to runs that are gone were removed.
    pub stale_backlinks: usize,
    /// Planned runs not removed, and why: what changed since the plan
    /// (running again, in use, grown a descendant, removed by another prune).
    pub skipped: Vec<(PathBuf, KeepReason)>,
    /// Removed run folders that were symlinks, and the folder each led to,
    /// which was left where it is: removal never leaves the tree it was
    /// asked about.
    pub unlinked: Vec<(PathBuf, PathBuf)>,
    /// With [`Prune::include_latest`](crate::Prune::include_latest), each
    /// `latest` pointer that named a removed run, and the run folder it
    /// names now: the newest run of its stage left, or `None` when none
    /// is left and the pointer was removed.
    pub latest: Vec<(PathBuf, Option<PathBuf>)>,
}

impl PrunePlan {
    /// The bytes the runs to remove hold.
    ///
    /// ```
    /// let plan = runlayout::prune::PrunePlan::default();
    /// assert_eq!(plan.bytes(), 0);
    /// ```
    pub fn bytes(&self) -> u64 {
        self.remove.iter().map(|c| c.bytes).sum()
    }
}
