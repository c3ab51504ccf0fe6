//! Removing runs safely: a selection, the runs it must never touch, a plan
//! to look at, and a removal that a crash can interrupt but never leave half
//! visible.
//!
//! A run is never selected when it is running, when a `latest` pointer names
//! it, or when it is an ancestor (however far up) of a run that stays.
//! Removal first renames the run folder to a hidden temporary name in the
//! same folder (one `rename`: the run leaves every listing at once), then
//! drops its back-link in its ancestor, then deletes the hidden folder
//! without following symlinks out of it. The back-link goes after the
//! rename, never before: until the run has left, every run that points at
//! an ancestor has its back-link there, which is what protects an ancestor
//! from runs no scan of this root lists. A prune killed half-way thus
//! leaves hidden trash and, killed between the rename and the unlink, one
//! back-link naming a run that is gone. The next prune (or `runlayout prune
//! --yes` with no selection) finishes both: it removes the trash once its
//! writer is gone, and every back-link in a run of this root that names a
//! place below this root where nothing is any more. (A back-link naming a
//! place below another root is left alone: that root may just not be
//! mounted.)

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use runlayout_grammar::names::DEBUG_DIR;

use crate::catalog::scan::{DebugRuns, FoundRun, Runs};
use crate::error::{Error, Result};
use crate::io::claim;
use crate::io::fs;
use crate::io::temporary;
use crate::lifecycle::ancestry;
use crate::lifecycle::latest;
use crate::record::probe;
use crate::record::status::RunStatus;
use crate::run::Run;
use crate::run::address::Group;

/// Which runs to remove below an output root; see [`Prune::plan`].
///
/// With no criterion (`debug_only`, `status`, `older_than`, `keep_last`)
/// nothing is selected, and a plan only finishes what an interrupted prune
/// left behind. [`stage`](Prune::stage) narrows the others.
///
/// ```
/// use std::time::Duration;
/// use runlayout_runtime::{Prune, Run, RunStatus};
///
/// let root = tempfile::tempdir()?;
/// let failed = Run::builder(root.path()).stage("s").create()?;
/// failed.fail("diverged")?;
/// // A run is in use while a `Run` that created or opened it lives.
/// let failed = { let path = failed.path().to_path_buf(); drop(failed); path };
/// Run::builder(root.path()).stage("s").create()?.finish()?;
/// let plan = Prune::new(root.path()).status([RunStatus::Failed]).plan()?;
/// # #[cfg(feature = "manifest")] {
/// assert_eq!(plan.remove.len(), 1);
/// assert_eq!(plan.remove[0].run.path(), failed);
/// plan.execute()?;
/// assert!(!failed.exists());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a Prune does nothing until plan() and execute() are called"]
pub struct Prune {
    root: PathBuf,
    stage: Option<String>,
    debug_only: bool,
    statuses: Vec<RunStatus>,
    older_than: Option<Duration>,
    keep_last: Option<usize>,
}

/// A run a plan removes, and how much it holds.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// use runlayout_runtime::{Prune, Run};
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
/// use runlayout_runtime::KeepReason;
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
        }
    }
}

/// A run the selection picked that the plan keeps, and why.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// use runlayout_runtime::{KeepReason, Prune, Run};
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

/// What [`Prune::plan`] found: what would go, what stays though selected,
/// and trash an interrupted prune left.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// let plan = runlayout_runtime::Prune::new(root.path()).plan()?;
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
    within: Option<PathBuf>,
}

/// What [`PrunePlan::execute`] did.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// let done = runlayout_runtime::Prune::new(root.path()).plan()?.execute()?;
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
}

impl Prune {
    /// A prune of the runs below `root`; nothing is selected yet.
    ///
    /// ```
    /// let prune = runlayout_runtime::Prune::new("runs").keep_last(5);
    /// # let _ = prune;
    /// ```
    pub fn new(root: impl Into<PathBuf>) -> Prune {
        Prune {
            root: root.into(),
            stage: None,
            debug_only: false,
            statuses: Vec::new(),
            older_than: None,
            keep_last: None,
        }
    }

    /// Only runs of this stage.
    ///
    /// ```
    /// let prune = runlayout_runtime::Prune::new("runs").stage("sweep").debug_only(true);
    /// # let _ = prune;
    /// ```
    pub fn stage(mut self, stage: impl Into<String>) -> Prune {
        self.stage = Some(stage.into());
        self
    }

    /// Selects the runs below `debug/` (and only those).
    ///
    /// ```
    /// let prune = runlayout_runtime::Prune::new("runs").debug_only(true);
    /// # let _ = prune;
    /// ```
    pub fn debug_only(mut self, debug: bool) -> Prune {
        self.debug_only = debug;
        self
    }

    /// Selects runs of these statuses.
    ///
    /// ```
    /// use runlayout_runtime::{Prune, RunStatus};
    /// let prune = Prune::new("runs").status([RunStatus::Failed, RunStatus::Crashed]);
    /// # let _ = prune;
    /// ```
    pub fn status(mut self, statuses: impl IntoIterator<Item = RunStatus>) -> Prune {
        self.statuses = statuses.into_iter().collect();
        self
    }

    /// Selects runs created longer than `age` ago.
    ///
    /// ```
    /// let week = std::time::Duration::from_secs(7 * 86_400);
    /// let prune = runlayout_runtime::Prune::new("runs").older_than(week);
    /// # let _ = prune;
    /// ```
    pub fn older_than(mut self, age: Duration) -> Prune {
        self.older_than = Some(age);
        self
    }

    /// Selects all but the `n` newest runs of each stage.
    ///
    /// ```
    /// let prune = runlayout_runtime::Prune::new("runs").keep_last(3);
    /// # let _ = prune;
    /// ```
    pub fn keep_last(mut self, n: usize) -> Prune {
        self.keep_last = Some(n);
        self
    }

    fn has_criterion(&self) -> bool {
        self.debug_only
            || !self.statuses.is_empty()
            || self.older_than.is_some()
            || self.keep_last.is_some()
    }

    /// Reads the tree and plans: what the selection picks, minus what must
    /// stay. Nothing is changed.
    ///
    /// # Errors
    ///
    /// Those of [`Runs::list`].
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let plan = runlayout_runtime::Prune::new(root.path()).keep_last(10).plan()?;
    /// assert!(plan.remove.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn plan(&self) -> Result<PrunePlan> {
        // Before the scan, which would sweep it on its way.
        let trash = find_trash(&self.root);
        // Protection looks at every run, whatever the selection.
        let everything = Runs::scan(&self.root).debug(DebugRuns::Include).list()?;
        let within = fs::canonicalize(&self.root).ok();
        let mut plan = PrunePlan {
            problems: everything.problems,
            trash,
            stale_backlinks: stale_backlinks(within.as_deref(), &everything.runs),
            within,
            ..PrunePlan::default()
        };
        if !self.has_criterion() {
            return Ok(plan);
        }
        let selected = self.select(&everything.runs);
        let (protected, mut sizes) = protect(&self.root, &everything.runs, &selected);
        for found in everything.runs {
            let key = canon(found.run.path());
            if !selected.contains(&key) {
                continue;
            }
            match (protected.get(&key), sizes.remove(&key)) {
                (None, Some(bytes)) => {
                    let status = found.status().unwrap_or(RunStatus::Crashed);
                    let link_to = probe::link_of(found.run.path());
                    plan.remove.push(Candidate {
                        bytes,
                        run: found.run,
                        status,
                        link_to,
                    });
                }
                (reason, _) => plan.kept.push(Kept {
                    run: found.run,
                    reason: reason.cloned().unwrap_or(KeepReason::Gone),
                }),
            }
        }
        Ok(plan)
    }

    /// The canonical folders of the runs the criteria pick.
    fn select(&self, runs: &[FoundRun]) -> HashSet<PathBuf> {
        let now = SystemTime::now();
        // Per stage (debug or not): when each run was created, and where.
        type Stage<'a> = (bool, Option<&'a str>);
        let mut newest: BTreeMap<Stage<'_>, Vec<(Option<SystemTime>, PathBuf)>> = BTreeMap::new();
        for found in runs {
            newest
                .entry((found.run.is_debug(), found.run.stage()))
                .or_default()
                .push((found.created, canon(found.run.path())));
        }
        let mut beyond_last = HashSet::new();
        if let Some(n) = self.keep_last {
            for group in newest.values_mut() {
                group.sort_by(|a, b| b.cmp(a));
                beyond_last.extend(group.iter().skip(n).map(|(_, p)| p.clone()));
            }
        }
        runs.iter()
            .filter(|f| self.stage.is_none() || f.run.stage() == self.stage.as_deref())
            .filter(|f| !self.debug_only || f.run.is_debug())
            .filter(|f| {
                self.statuses.is_empty() || f.status().is_ok_and(|s| self.statuses.contains(&s))
            })
            .filter(|f| {
                self.older_than.is_none_or(|age| {
                    f.created
                        .and_then(|c| now.duration_since(c).ok())
                        .is_some_and(|d| d > age)
                })
            })
            .map(|f| canon(f.run.path()))
            .filter(|p| self.keep_last.is_none() || beyond_last.contains(p))
            .collect()
    }
}

/// Why each run that must stay stays, and what each selected run that may
/// go holds. Every reason to keep a run is known before any ancestor line
/// is followed: running, unreadable, named by a `latest` pointer, pointed
/// at by a run that stays, and what the survey of a selected run finds (a
/// file system mounted inside it, the run gone). Then every run that stays
/// keeps its whole line of ancestors, so the dry run keeps exactly what
/// `execute` will keep.
fn protect(
    root: &Path,
    runs: &[FoundRun],
    selected: &HashSet<PathBuf>,
) -> (HashMap<PathBuf, KeepReason>, HashMap<PathBuf, u64>) {
    let mut reasons = HashMap::new();
    let mut ancestors = HashMap::new();
    for found in runs {
        let me = canon(found.run.path());
        match found.status() {
            Ok(RunStatus::Running) => {
                reasons.insert(me.clone(), KeepReason::Running);
            }
            Ok(_) => {}
            Err(e) => {
                reasons.insert(me.clone(), KeepReason::Unreadable(e.to_string()));
            }
        }
        if let Ok(Some(ancestor)) = found.run.ancestor() {
            ancestors.insert(me.clone(), ancestor);
        }
        // A run that another run points at stays, whoever that run is: one
        // under another root, or one without a manifest, which no scan of
        // this root lists. Its back-links tell, verified.
        if selected.contains(&me)
            && let Some(child) = lasting_descendant(&found.run, selected)
        {
            reasons.entry(me).or_insert(KeepReason::AncestorOf(child));
        }
    }
    for (pointer, run) in latest_runs(root, runs) {
        reasons
            .entry(canon(&run))
            .or_insert(KeepReason::Latest(pointer));
    }
    // What the selected runs hold, and which cannot go: in use by another
    // process, a mount inside, or gone meanwhile.
    let mut sizes = HashMap::new();
    for found in runs {
        let me = canon(found.run.path());
        if !selected.contains(&me) || reasons.contains_key(&me) {
            continue;
        }
        if let Err(refusal) = claim::removable(found.run.path()) {
            reasons.insert(me, refusal.into());
            continue;
        }
        // A run folder that is a symlink goes as a link: it frees nothing.
        if probe::link_of(found.run.path()).is_some() {
            sizes.insert(me, 0);
            continue;
        }
        match survey(found.run.path()) {
            Ok(bytes) => {
                sizes.insert(me, bytes);
            }
            Err(reason) => {
                reasons.insert(me, reason);
            }
        }
    }
    // Every run that stays keeps its whole line of ancestors.
    let staying: Vec<PathBuf> = runs
        .iter()
        .map(|f| canon(f.run.path()))
        .filter(|p| !selected.contains(p) || reasons.contains_key(p))
        .collect();
    for start in staying {
        let mut child = start;
        let mut seen = HashSet::new();
        while let Some(parent) = ancestors.get(&child).cloned() {
            if !seen.insert(parent.clone()) {
                break; // a cycle of links
            }
            reasons
                .entry(parent.clone())
                .or_insert_with(|| KeepReason::AncestorOf(child.clone()));
            child = parent;
        }
    }
    sizes.retain(|path, _| !reasons.contains_key(path));
    (reasons, sizes)
}

/// A run that points at `run` and is not itself selected, if there is one.
fn lasting_descendant(run: &Run, selected: &HashSet<PathBuf>) -> Option<PathBuf> {
    let descendants = run.descendants().ok()?;
    descendants.into_iter().find(|d| !selected.contains(d))
}

/// The run each `latest` pointer of the tree names, with the pointer.
fn latest_runs(root: &Path, runs: &[FoundRun]) -> Vec<(PathBuf, PathBuf)> {
    let mut groups = HashSet::new();
    for found in runs {
        let r = &found.run;
        groups.insert((r.is_debug(), r.nesting(), r.stage().map(str::to_owned)));
    }
    groups
        .into_iter()
        .filter_map(|(debug, nesting, stage)| {
            let stage = stage.as_deref();
            let group = Group {
                debug,
                nesting,
                stage,
            };
            let (pointer, address) = latest::read(root, group).ok()?;
            Some((pointer, address?.folder(root)))
        })
        .collect()
}

/// The back-links in runs of `root` that name a place below it where no
/// run is any more; see the module's documentation.
fn stale_backlinks(within: Option<&Path>, runs: &[FoundRun]) -> Vec<PathBuf> {
    let Some(within) = within else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = runs
        .iter()
        .flat_map(|f| ancestry::dangling_backlinks(f.run.path(), within))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Trash a prune left: hidden temporaries holding a folder, whose writer is
/// gone (or, of another pid space, untouched for a day), in the folders
/// where runs live.
fn find_trash(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut bases = vec![root.to_path_buf(), root.join(DEBUG_DIR)];
    for base in bases.clone() {
        for entry in fs::read_dir(&base).into_iter().flatten().flatten() {
            if fs::is_folder(&entry) && !temporary::is_temporary(&entry.file_name()) {
                bases.push(entry.path());
            }
        }
    }
    for dir in bases {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let left = temporary::is_left_behind(
                &dir,
                &entry.file_name(),
                Some(temporary::FOREIGN_STALE_AFTER),
            );
            if is_dir && left {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

impl PrunePlan {
    /// The bytes the runs to remove hold.
    ///
    /// ```
    /// let plan = runlayout_runtime::PrunePlan::default();
    /// assert_eq!(plan.bytes(), 0);
    /// ```
    pub fn bytes(&self) -> u64 {
        self.remove.iter().map(|c| c.bytes).sum()
    }

    /// Removes the planned runs, and finishes the trash. A run that is
    /// running again by now (resumed since the plan) is skipped. Each run folder is
    /// first renamed to a hidden temporary name (it leaves every listing at
    /// once), then deleted without following symlinks out of it; then its
    /// back-link in its ancestor goes, and in run-first order its id folder
    /// if that is now empty.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the path of the first removal that failed; what
    /// was removed before it stays removed.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let plan = runlayout_runtime::Prune::new(root.path()).plan()?;
    /// plan.execute()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute(&self) -> Result<Pruned> {
        let mut done = Pruned::default();
        for trash in &self.trash {
            fs::remove_any(trash)?;
            done.trash += 1;
        }
        for link in &self.stale_backlinks {
            // Still naming nothing: a run made there since keeps its link.
            let dangling = self
                .within
                .as_deref()
                .is_some_and(|within| ancestry::is_dangling(link, within));
            if dangling && std::fs::remove_file(link).is_ok() {
                done.stale_backlinks += 1;
            }
        }
        // Descendants go before their ancestors: a run is taken up once no
        // planned run that points at it is still waiting, and stays if any
        // run still points at it then (one skipped, or one linked since).
        let mut waiting: Vec<(&Candidate, PathBuf)> = self
            .remove
            .iter()
            .map(|c| (c, canon(c.run.path())))
            .collect();
        loop {
            let pending: HashSet<PathBuf> = waiting.iter().map(|(_, p)| p.clone()).collect();
            let before = waiting.len();
            let mut still = Vec::new();
            for (candidate, me) in waiting {
                let children = candidate.run.descendants().unwrap_or_default();
                if children.iter().any(|c| pending.contains(c) && *c != me) {
                    still.push((candidate, me));
                    continue;
                }
                let path = candidate.run.path().to_path_buf();
                match remove_claimed(candidate)? {
                    Ok(()) => {
                        done.removed.push(path.clone());
                        done.bytes += candidate.bytes;
                        if let Some(far) = &candidate.link_to {
                            done.unlinked.push((path, far.clone()));
                        }
                    }
                    Err(reason) => done.skipped.push((path, reason)),
                }
            }
            waiting = still;
            if waiting.is_empty() || waiting.len() == before {
                break;
            }
        }
        // A cycle of links among the planned runs: none of them goes.
        for (candidate, _) in waiting {
            let child = candidate
                .run
                .descendants()
                .ok()
                .and_then(|d| d.into_iter().next());
            let reason = child.map_or(KeepReason::Gone, KeepReason::AncestorOf);
            done.skipped
                .push((candidate.run.path().to_path_buf(), reason));
        }
        Ok(done)
    }
}

/// Removes a planned run under its removal claim: the claim is taken
/// first, so no process uses the run from then on, and every reason to keep
/// it is asked again under it (what the plan saw may have changed: resumed,
/// linked to, removed by another prune, a file system mounted). The claim
/// is held until the run's folder is gone.
fn remove_claimed(candidate: &Candidate) -> Result<std::result::Result<(), KeepReason>> {
    let run = &candidate.run;
    let _claim = match claim::remove_run(run.path()) {
        Ok(claim) => claim,
        Err(refusal) => return Ok(Err(refusal.into())),
    };
    if let Err(reason) = still_removable(run) {
        return Ok(Err(reason));
    }
    if candidate.link_to.is_some() {
        // A run folder that is a symlink goes as the link it is: the
        // folder it leads to (another disk, another root) and its
        // back-link stay.
        return fs::remove_file(run.path()).map(Ok);
    }
    remove_run(run).map(Ok)
}

/// Whether a planned run may still go, asked under its removal claim.
fn still_removable(run: &Run) -> std::result::Result<(), KeepReason> {
    match run.status() {
        Ok(RunStatus::Running) => return Err(KeepReason::Running),
        Ok(_) => {}
        Err(e) => return Err(KeepReason::Unreadable(e.to_string())),
    }
    // Under the claim no link to the run is under way: every one is
    // committed (and its back-link there), or not begun.
    let children = run.descendants().unwrap_or_default();
    if let Some(child) = children.into_iter().next() {
        return Err(KeepReason::AncestorOf(child));
    }
    if probe::link_of(run.path()).is_some() {
        return Ok(());
    }
    survey(run.path()).map(|_| ())
}

/// Moves the run out of sight, drops its back-link in its ancestor, deletes
/// it, and tidies after it.
fn remove_run(run: &Run) -> Result<()> {
    let path = run.path();
    let backlink = ancestry::backlink(run).ok().flatten();
    let place = run.address().place(run.root());
    let Some(trash) = temporary::move_aside(path)? else {
        return Ok(());
    };
    // The run has left: its back-link goes now, before the long deletion,
    // so that a kill leaves at most this one link naming nothing (which
    // the next prune removes), never one for the whole deletion.
    if let Some(link) = backlink {
        let _ = std::fs::remove_file(link);
    }
    fs::remove_any(&trash)?;
    // An id folder of its own (run first), left with no stage, goes too.
    if place.has_own_id_folder() {
        let _ = std::fs::remove_dir(&place.id_dir);
    }
    Ok(())
}

/// The bytes a run's files hold, symlinks inside it not followed, and the
/// folder that holds them: the run folder, or where a run folder that is a
/// symlink (a run moved to another disk) leads. A run with a file system
/// mounted inside it must not be removed at all.
fn survey(path: &Path) -> std::result::Result<u64, KeepReason> {
    let Ok(real) = std::fs::canonicalize(path) else {
        return Err(KeepReason::Gone);
    };
    if let Some(mount) = mount_points().into_iter().find(|m| m.starts_with(&real)) {
        return Err(KeepReason::MountInside(mount));
    }
    let Ok(top) = std::fs::metadata(&real) else {
        return Err(KeepReason::Gone);
    };
    let device = device_of(&top);
    let mut total = 0;
    let mut stack = vec![real];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if device_of(&meta) != device {
                    return Err(KeepReason::MountInside(entry.path()));
                }
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    Ok(total)
}

/// Every mount point of this process's view (Linux: `/proc/self/mountinfo`;
/// elsewhere none, and the device check of [`survey`] stands alone). A bind
/// mount of a folder of the same file system has the same device, so only
/// this list tells it.
fn mount_points() -> Vec<PathBuf> {
    let Ok(table) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    table
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|point| PathBuf::from(unescape_mount(point)))
        .collect()
}

/// A mount point as `mountinfo` writes it, with `\040`-style octal escapes
/// for spaces, tabs, newlines and backslashes.
fn unescape_mount(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| {
            let d = std::str::from_utf8(d).ok()?;
            u8::from_str_radix(d, 8).ok()
        });
        match (bytes[i], octal) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The device a file lives on, where the system says.
#[cfg(unix)]
fn device_of(meta: &std::fs::Metadata) -> Option<u64> {
    use std::os::unix::fs::MetadataExt as _;
    Some(meta.dev())
}

#[cfg(not(unix))]
fn device_of(_meta: &std::fs::Metadata) -> Option<u64> {
    None
}

fn canon(path: &Path) -> PathBuf {
    fs::canonical_or_same(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[cfg(target_os = "linux")]
    #[test]
    fn trash_of_a_dead_prune_is_planned_and_finished() -> TestResult {
        let root = tempfile::tempdir()?;
        let run = Run::builder(root.path()).stage("s").create()?;
        // What a prune killed after its rename leaves: the run's folder
        // under a temporary name of a process that is gone.
        let tag = &crate::io::process::current().host_tag;
        let trash = root
            .path()
            .join(format!("s/.runlayout-{}-1-{tag}-abcdefgh.tmp", u32::MAX));
        std::fs::create_dir_all(trash.join("checkpoints"))?;
        std::fs::write(trash.join("checkpoints/e1.ckpt"), "w")?;
        let plan = Prune::new(root.path()).plan()?;
        assert_eq!(plan.trash, std::slice::from_ref(&trash));
        assert!(plan.remove.is_empty(), "no criterion selects no run");
        let done = plan.execute()?;
        assert_eq!(done.trash, 1);
        assert!(!trash.exists() && run.path().exists());
        Ok(())
    }

    #[test]
    fn mount_points_are_read_with_their_escapes() {
        assert_eq!(unescape_mount("/mnt/a\\040b"), "/mnt/a b");
        assert_eq!(unescape_mount("/plain"), "/plain");
        assert_eq!(unescape_mount("/odd\\"), "/odd\\");
        if cfg!(target_os = "linux") {
            assert!(mount_points().contains(&PathBuf::from("/")));
        }
    }

    #[test]
    fn back_links_to_runs_gone_from_this_root_are_finished_and_no_others() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().join("runs");
        let other = tmp.path().join("other");
        let ancestor = Run::builder(&root).stage("a").create()?;
        let here = Run::builder(&root).stage("b").create()?;
        let there = Run::builder(&other).stage("b").create()?;
        let stays = Run::builder(&root).stage("b").create()?;
        for run in [&here, &there, &stays] {
            run.link(&ancestor)?;
        }
        // Gone without a prune's care, as a prune killed after its rename
        // leaves it; and a run of another root that may just be unmounted.
        std::fs::remove_dir_all(here.path())?;
        std::fs::remove_dir_all(there.path())?;
        if !crate::record::manifest::is_written(true) {
            // Without manifests a scan finds no runs, so no back-links.
            assert!(Prune::new(&root).plan()?.stale_backlinks.is_empty());
            return Ok(());
        }
        let plan = Prune::new(&root).plan()?;
        assert_eq!(plan.stale_backlinks.len(), 1, "{:?}", plan.stale_backlinks);
        let done = plan.execute()?;
        assert_eq!(done.stale_backlinks, 1);
        let left = std::fs::read_dir(ancestor.path().join("descendants"))?.count();
        assert_eq!(left, 2, "the other root's and the living run's stay");
        assert_eq!(
            ancestor.descendants()?,
            [std::fs::canonicalize(stays.path())?]
        );
        assert!(Prune::new(&root).plan()?.stale_backlinks.is_empty());
        Ok(())
    }

    #[test]
    fn back_links_into_an_empty_or_missing_stage_folder_are_kept() -> TestResult {
        // A stage on a disk not mounted right now: its folder is an empty
        // mount point, or not there at all. Its runs come back.
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().join("runs");
        let ancestor = Run::builder(&root).stage("a").create()?;
        let on_disk = Run::builder(&root)
            .stage("b")
            .latest_pointer(false)
            .create()?;
        let elsewhere = Run::builder(&root)
            .stage("c")
            .latest_pointer(false)
            .create()?;
        on_disk.link(&ancestor)?;
        elsewhere.link(&ancestor)?;
        std::fs::remove_dir_all(on_disk.path())?; // stage b: an empty folder
        std::fs::remove_dir_all(root.join("c"))?; // stage c: no folder
        let plan = Prune::new(&root).plan()?;
        assert!(
            plan.stale_backlinks.is_empty(),
            "{:?}",
            plan.stale_backlinks
        );
        plan.execute()?;
        assert_eq!(
            std::fs::read_dir(ancestor.path().join("descendants"))?.count(),
            2
        );
        Ok(())
    }

    #[test]
    fn a_live_prunes_work_is_left_alone() -> TestResult {
        let root = tempfile::tempdir()?;
        Run::builder(root.path()).stage("s").create()?;
        let mine = temporary::builder().tempdir_in(root.path().join("s"))?;
        let plan = Prune::new(root.path()).plan()?;
        assert!(plan.trash.is_empty());
        assert!(mine.path().exists());
        Ok(())
    }
}
